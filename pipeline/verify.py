"""``tumen-border check OUTDIR``: re-judge a finished run from its files, trusting the geometry, not the numbers.

* ``report.json`` is rebuilt with the schema it was written with (:func:`pipeline.model.from_jsonable`):
  a missing key or a wrong type is bad input (exit 2).
* The land and maritime boundary lengths are measured again on WGS 84 from ``border.gpkg``, and so is the
  gap where they meet; every stored ``length_m`` (each line layer's, and the two boundary lengths in
  ``report.json``) is recomputed from its geometry (a mismatch over ``STORED_LENGTH_TOLERANCE_M``, or a
  missing value, fails). A boundary layer without ``length_m``, a feature without geometry, or NaN in
  ``report.json`` is bad input (exit 2).
* The run's other figures (from the report) are judged again with the current config's tolerances, by the
  same :func:`pipeline.checks.run_checks` the run used.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely

from . import checks
from .config import Config
from .errors import InputError
from .geodesy import geodesic_length_m, inverse
from .model import REPORT_SCHEMA, Check, Figures, Report, SchemaError, from_jsonable

STORED_LENGTH_TOLERANCE_M = 0.01
BOUNDARY_LAYERS = ("land_boundary", "maritime_boundary")
GPKG, REPORT = "border.gpkg", "report.json"


def read_report(path: Path) -> Report:
    """``report.json`` as a :class:`Report`; InputError naming the file when it does not fit the schema."""
    if not path.is_file():
        raise InputError(path, "not found (run `tumen-border run` first)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not valid JSON ({exc})") from None
    except ValueError as exc:     # NaN or Infinity: not JSON, and never in a report this tool writes
        raise InputError(path, str(exc)) from None
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise InputError(path, f"not a report of schema {REPORT_SCHEMA!r} (found {found!r})")
    try:
        return from_jsonable(Report, data)
    except SchemaError as exc:
        raise InputError(path, f"does not match the report schema: {exc}") from None


def _no_constant(name: str):
    raise ValueError(f"holds {name}, which is not a JSON number (a report never holds one)")


def read_layer(gpkg: Path, layer: str):
    """(geometries, length_m column or None) of one GeoPackage layer, in EPSG:4326."""
    import pyogrio

    try:
        meta, _, geoms, fields = pyogrio.raw.read(gpkg, layer=layer)
    except Exception as exc:  # DataSourceError, DataLayerError
        raise InputError(gpkg, f"cannot read layer {layer!r} ({str(exc).splitlines()[0]})") from None
    if geoms is None or len(geoms) == 0:
        raise InputError(gpkg, f"layer {layer!r} is empty")
    geoms = shapely.from_wkb(geoms)
    if (shapely.is_missing(geoms) | shapely.is_empty(geoms)).any():
        raise InputError(gpkg, f"layer {layer!r} has a feature without a geometry")
    from pyproj import CRS

    if meta.get("crs") is None or not CRS.from_user_input(meta["crs"]).equals(CRS.from_epsg(4326)):
        raise InputError(gpkg, f"layer {layer!r} is not in EPSG:4326")
    names = list(meta["fields"])
    lengths = np.asarray(fields[names.index("length_m")], float) if "length_m" in names else None
    return geoms, lengths


def _worst(measured, stored) -> float:
    """max |measured - stored|; infinite when a stored value is missing (NULL) or not finite."""
    diff = np.abs(np.asarray(measured, float) - np.asarray(stored, float))
    return float(diff.max()) if np.isfinite(diff).all() else float("inf")


def stored_length_checks(gpkg: Path) -> list[Check]:
    """One check per line layer: every feature's stored ``length_m`` against its geometry's geodesic length.

    The two boundary layers must carry ``length_m`` (their lengths are the figures the run is judged by).
    """
    import pyogrio

    out = []
    for name, gtype in pyogrio.list_layers(gpkg):
        if gtype is None or "line" not in str(gtype).lower():
            continue
        geoms, lengths = read_layer(gpkg, str(name))
        if lengths is None:
            if name in BOUNDARY_LAYERS:
                raise InputError(gpkg, f"layer {name!r} has no length_m column")
            continue
        worst = _worst([geodesic_length_m(g) for g in geoms], lengths)
        out.append(checks.at_most(f"stored_length_{name}", worst, STORED_LENGTH_TOLERANCE_M, "m",
                                  f"worst |stored length_m - geodesic length of the geometry| in layer {name}",
                                  "a length_m attribute that does not describe its geometry"))
    return out


def read_run_files(out_dir: Path) -> tuple[Path, Report]:
    """(path of border.gpkg, the report) of a finished run; InputError naming what is missing or malformed."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(out_dir, "output folder not found (run `tumen-border run` first)")
    gpkg = out_dir / GPKG
    if not gpkg.is_file():
        raise InputError(gpkg, "not found (run `tumen-border run` first)")
    return gpkg, read_report(out_dir / REPORT)


def read_line(gpkg: Path, layer: str):
    """The features of a line layer merged into one LineString (InputError if they are not one connected line)."""
    line = shapely.line_merge(shapely.union_all(read_layer(gpkg, layer)[0]))
    if line.geom_type != "LineString":
        raise InputError(gpkg, f"{layer} must be one connected line")
    return line


def verify_outputs(out_dir: Path, cfg: Config) -> list[Check]:
    """Every check of the run, judged again from the files in ``out_dir`` with ``cfg``'s tolerances."""
    gpkg, rep = read_run_files(out_dir)
    land, sea = read_line(gpkg, "land_boundary"), read_line(gpkg, "maritime_boundary")
    (x0, y0), (x1, y1) = land.coords[-1], sea.coords[0]
    m = rep.maritime
    figures = Figures(
        land_length_m=geodesic_length_m(land), sea_length_m=geodesic_length_m(sea),
        junction_gap_m=float(inverse(x0, y0, x1, y1)[1]), mouth_offset_m=rep.mouth.offset_m,
        end_distance_m=dict(m.end_distance_to_baselines_m),
        crossing_to_end_m={c.side: c.distance_to_end_m for c in m.limit_crossings},
        limit_error_m=dict(m.limit_error_m), equidistance_error_m=m.equidistance_error_m,
        perpendicular_deviation_deg=rep.tripoint.perpendicular_deviation_deg,
        record_disagreement_m=rep.tripoint.record_disagreement_m, scale_error_ppm=rep.crs.max_scale_error_ppm,
        dividing_angle_deviation_deg=dict(rep.tripoint.dividing.angle_deviation_deg) if rep.tripoint.dividing else {},
        construction_distance_m=dict(rep.tripoint.dividing.construction_distance_m) if rep.tripoint.dividing else {},
        control_offsets_m=dict(rep.control_offsets_m))
    reported = checks.at_most(
        "stored_length_report", _worst([figures.land_length_m, figures.sea_length_m],
                                       [rep.land.land_boundary_m, rep.maritime.length_m]),
        STORED_LENGTH_TOLERANCE_M, "m", "worst |length in report.json - geodesic length of the layer| for the land "
                                        "and the maritime boundary", "a report whose lengths do not describe the lines")
    return list(checks.run_checks(figures=figures, cfg=cfg)) + stored_length_checks(gpkg) + [reported]
