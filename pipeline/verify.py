"""``tumen-border check OUTDIR``: re-judge a finished run from its files, trusting the geometry, not the numbers.

* ``report.json`` is rebuilt with the schema it was written with (:func:`pipeline.model.from_jsonable`):
  a missing key or a wrong type is bad input (exit 2).
* The land and maritime boundary lengths are measured again on WGS 84 from ``border.gpkg``, and so is the
  gap where they meet; every stored ``length_m`` (each line layer's, and the two boundary lengths in
  ``report.json``) is recomputed from its geometry (a mismatch over ``STORED_LENGTH_TOLERANCE_M``, or a
  missing value, fails). A boundary layer without ``length_m``, a feature without geometry, or NaN in
  ``report.json`` is bad input (exit 2).
* The run's other figures are judged again with the current config's tolerances, by the same
  :func:`pipeline.checks.run_checks` the run used: the mouth offset re-derived from ``boundary_points``, the
  rest as ``report.json`` states them.
* The files are then checked against one another (:func:`pipeline.checks.file_checks` and
  :func:`pipeline.checks.geometry_checks`): each file's sha256 against the manifest, report.md against
  report.json rendered again, every GeoJSON file against its GeoPackage layer (driven by the layers the
  GeoPackage holds, so new layers are covered), the ``in_use`` flags, tripoint A, the mouth, the end point and
  the report's lengths against the geometry.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely

from . import checks
from .geometry import non_simple_lines
from .config import Config
from .errors import InputError
from .geodesy import geodesic_length_m, inverse
from .model import REPORT_SCHEMA, Check, Figures, Report, SchemaError, from_jsonable

STORED_LENGTH_TOLERANCE_M = 0.01
GEOJSON_TOLERANCE_DEG = 1e-7        # GeoJSON keeps 8 decimals (RFC 7946); 1e-7 degrees is about 1 cm
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


def read_table(path: Path, layer: str | None = None, *, allow_empty: bool = False):
    """(geometries, {field: values}) of one layer of a GeoPackage (or a GeoJSON file), in EPSG:4326; an empty
    layer is an InputError unless ``allow_empty`` (e.g. a case without monuments)."""
    import pyogrio

    try:
        meta, _, geoms, fields = pyogrio.raw.read(path, layer=layer)
    except Exception as exc:  # DataSourceError, DataLayerError
        raise InputError(path, f"cannot read layer {layer!r} ({str(exc).splitlines()[0]})") from None
    if geoms is None or len(geoms) == 0:
        if allow_empty:
            return np.array([], dtype=object), dict(zip(meta["fields"], fields))
        raise InputError(path, f"layer {layer!r} is empty")
    geoms = shapely.from_wkb(geoms)
    if (shapely.is_missing(geoms) | shapely.is_empty(geoms)).any():
        raise InputError(path, f"layer {layer!r} has a feature without a geometry")
    from pyproj import CRS

    if meta.get("crs") is None or not CRS.from_user_input(meta["crs"]).equals(CRS.from_epsg(4326)):
        raise InputError(path, f"layer {layer!r} is not in EPSG:4326")
    return geoms, dict(zip(meta["fields"], fields))


def read_column(gpkg: Path, layer: str, column: str):
    """(geometries, values of ``column``) of one layer; InputError naming the layer or the missing column."""
    geoms, fields = read_table(gpkg, layer)
    if column not in fields:
        raise InputError(gpkg, f"layer {layer!r} has no {column!r} column")
    return geoms, fields[column]


def read_layer(gpkg: Path, layer: str):
    """(geometries, length_m column or None) of one GeoPackage layer, in EPSG:4326."""
    geoms, fields = read_table(gpkg, layer)
    lengths = np.asarray(fields["length_m"], float) if "length_m" in fields else None
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
    """Every check of the run, judged again from the files in ``out_dir`` with ``cfg``'s tolerances, then the
    checks that the files are as written and that report.json and report.md describe border.gpkg."""
    gpkg, rep = read_run_files(out_dir)
    land, sea = read_line(gpkg, "land_boundary"), read_line(gpkg, "maritime_boundary")
    (x0, y0), (x1, y1) = land.coords[-1], sea.coords[0]
    points = _labelled_points(gpkg)
    crossing, mouth_point = points.get("mouth"), points.get(rep.mouth.treaty_point) if rep.mouth.treaty_point else None
    derived_offset = (_dist(crossing, mouth_point) if rep.mouth.treaty_point else None)
    m = rep.maritime
    figures = Figures(
        land_length_m=geodesic_length_m(land), sea_length_m=geodesic_length_m(sea),
        junction_gap_m=float(inverse(x0, y0, x1, y1)[1]), mouth_offset_m=derived_offset,
        end_distance_m=dict(m.end_distance_to_baselines_m),
        crossing_to_end_m={c.side: c.distance_to_end_m for c in m.limit_crossings},
        limit_error_m=dict(m.limit_error_m), equidistance_error_m=m.equidistance_error_m,
        perpendicular_deviation_deg=rep.tripoint.perpendicular_deviation_deg,
        record_disagreement_m=rep.tripoint.record_disagreement_m, scale_error_ppm=rep.crs.max_scale_error_ppm,
        dividing_angle_deviation_deg=dict(rep.tripoint.dividing.angle_deviation_deg) if rep.tripoint.dividing else {},
        construction_distance_m=_construction_distances(gpkg) if rep.tripoint.dividing else {},
        control_offsets_m=dict(rep.control_offsets_m), non_simple_lines=non_simple_lines(land, sea),
        closing_off_coast_m=_closing_off_coast(gpkg), segment_lengths_m=_segment_lengths(sea, rep, points))
    return [*checks.run_checks(figures=figures, cfg=cfg), *stored_length_checks(gpkg),
            *checks.geometry_checks(**_geometry_figures(gpkg, rep, land, sea, points, figures)),
            *checks.file_checks(not_as_written=files_not_as_written(Path(out_dir)),
                                md_differs=markdown_differences(Path(out_dir), rep),
                                geojson_differs=geojson_differences(Path(out_dir), gpkg),
                                in_use_wrong=in_use_disagreements(gpkg, rep))]


# ------------------------------------------------------------------------ figures re-measured from the layers
def _segment_lengths(sea, rep: Report, points: dict) -> dict[str, float]:
    """Each segment of the agreed line as written: the maritime boundary split at its vertices nearest to the
    turning points of ``boundary_points`` (labelled with their ids), measured on WGS 84."""
    segs = rep.maritime.segments
    if not segs or rep.maritime.method != "treaty":
        return {}
    coords = np.asarray(sea.coords)
    cut = [0]
    for g in segs[:-1]:
        p = points.get(g.end)
        if p is None:
            return {f"{g.start}-{g.end}": float("nan") for g in segs}
        cut.append(int(np.argmin(np.hypot(*(coords - np.asarray(p.coords[0])).T))))
    cut.append(len(coords) - 1)
    return {f"{g.start}-{g.end}": geodesic_length_m(shapely.LineString(coords[a:b + 1])) if b > a else 0.0
            for g, a, b in zip(segs, cut, cut[1:])}


def _closing_off_coast(gpkg: Path) -> float:
    """Largest geodesic distance (m) of the closing line's ends to the coast: the edge of the land layer."""
    layers = _layer_names(gpkg)
    if "closing_line" not in layers or "land" not in layers:
        return float("inf")
    ends = np.asarray(read_line(gpkg, "closing_line").coords)[[0, -1]]
    coast = shapely.union_all(read_layer(gpkg, "land")[0]).boundary
    return _distance_to_line(ends, coast)


def _construction_distances(gpkg: Path) -> dict[str, float]:
    """Per channel line: A on the dividing line (the tripoint layer's A on that line) to the foot of the
    perpendicular from the monument on the same line (kind ``perpendicular foot``)."""
    import pyogrio

    if "tripoint" not in _layer_names(gpkg):
        return {}
    df = pyogrio.read_dataframe(gpkg, layer="tripoint")
    a = {r["line"]: r.geometry for _, r in df.iterrows() if r["kind"] in ("tripoint", "tripoint on the other line")}
    return {r["line"]: _dist(a.get(r["line"]), r.geometry) for _, r in df.iterrows()
            if r["kind"] == "perpendicular foot"}


# ------------------------------------------------------------------------------- the report against the geometry
def _dist(p, q) -> float:
    """Geodesic distance (m) between two lon/lat points (sequences or shapely Points); inf when one is missing."""
    if p is None or q is None:
        return float("inf")
    p, q = (tuple(v.coords[0]) if hasattr(v, "coords") else tuple(v) for v in (p, q))
    return float(inverse(p[0], p[1], q[0], q[1])[1])


def _spread(named: dict[str, object]) -> tuple[float, str]:
    """(largest distance between any two of the named points, which two); inf when one is missing."""
    worst, which = 0.0, "none"
    items = list(named.items())
    for i, (a, p) in enumerate(items):
        for b, q in items[i + 1:]:
            d = _dist(p, q)
            if not d <= worst:
                worst, which = d, f"{a} vs {b}"
    return worst, which


def _labelled_points(gpkg: Path) -> dict[str, shapely.Point]:
    import pyogrio

    if "boundary_points" not in {str(n) for n, _ in pyogrio.list_layers(gpkg)}:
        return {}
    geoms, labels = read_column(gpkg, "boundary_points", "label")
    return {str(lab): g for lab, g in zip(labels, geoms)}


def _layer_names(gpkg: Path) -> dict[str, str | None]:
    import pyogrio

    return {str(n): (None if t is None else str(t)) for n, t in pyogrio.list_layers(gpkg)}


def _geometry_figures(gpkg: Path, rep: Report, land, sea, points: dict, figures: Figures) -> dict:
    """The measured values :func:`pipeline.checks.geometry_checks` judges."""
    layers = _layer_names(gpkg)
    tri = {"report.json": (rep.tripoint.lon, rep.tripoint.lat), "land_boundary start": land.coords[0],
           "boundary_points A": points.get("A"), "tripoint layer A": None}
    if "tripoint" in layers:
        geoms, labels = read_column(gpkg, "tripoint", "label")
        tri["tripoint layer A"] = next((g for g, lab in zip(geoms, labels) if str(lab) == "A"), None)
    tripoint_spread, tripoint_worst = _spread(tri)

    mouth = {"crossing": _dist(rep.mouth.crossing, points.get("mouth"))}
    if rep.mouth.treaty_point:
        mouth["treaty point"] = _dist(rep.mouth.treaty_lonlat, points.get(rep.mouth.treaty_point))
        mouth["offset"] = abs((rep.mouth.offset_m or 0.0) - figures.mouth_offset_m) \
            if rep.mouth.offset_m is not None else float("inf")
    mouth["junction"] = _dist(rep.mouth.junction, land.coords[-1])
    mouth_worst = max(mouth, key=lambda k: mouth[k])

    end = {"report.json end": rep.maritime.end, "maritime_boundary end": sea.coords[-1]}
    if rep.maritime.end_point and rep.maritime.method == "treaty":
        end |= {f"boundary_points {rep.maritime.end_point}": points.get(rep.maritime.end_point),
                "report.json end point": rep.maritime.end_point_lonlat}
    end_spread, end_worst = _spread(end)

    def length(layer: str) -> float | None:
        return sum(geodesic_length_m(g) for g in read_layer(gpkg, layer)[0]) if layer in layers else None

    pairs = {"land.land_boundary_m": (rep.land.land_boundary_m, figures.land_length_m),
             "maritime.length_m": (rep.maritime.length_m, figures.sea_length_m),
             "total_length_m": (rep.total_length_m, figures.land_length_m + figures.sea_length_m),
             "land.middle_m": (rep.land.middle_m, length("channel_middle")),
             "land.thalweg_m": (rep.land.thalweg_m, length("thalweg")),
             "mouth.closing_line_length_m": (rep.mouth.closing_line_length_m, length("closing_line"))}
    diffs = {k: (0.0 if r is None and d is None else float("inf") if r is None or d is None else abs(r - d))
             for k, (r, d) in pairs.items()}
    lengths_worst = max(diffs, key=lambda k: diffs[k])

    follows = float("inf")
    in_use = {"thalweg": "thalweg", "middle": "channel_middle"}.get(rep.land.border_line)
    if in_use in layers:
        follows = _distance_to_line(shapely.get_coordinates(land)[:-1], read_line(gpkg, in_use))
    return dict(tripoint_spread_m=tripoint_spread, tripoint_worst=tripoint_worst, follows_line_m=follows,
                mouth_mismatch_m=mouth[mouth_worst], mouth_worst=mouth_worst, end_spread_m=end_spread,
                end_worst=end_worst, lengths_mismatch_m=diffs[lengths_worst], lengths_worst=lengths_worst,
                tolerance_m=STORED_LENGTH_TOLERANCE_M)


def _distance_to_line(lonlat: np.ndarray, line) -> float:
    """Largest geodesic distance (m) from lon/lat points to a lon/lat line (through a local metric CRS)."""
    from .geodesy import Geodesy, resolve_metric_crs

    bounds = shapely.union_all([line, shapely.multipoints(lonlat)]).bounds
    geo = Geodesy(resolve_metric_crs("auto", bounds), bounds)
    d, _ = geo.distance_to_line(geo.lonlat_to_metric(lonlat), geo.to_metric(line))
    return float(np.max(d))


# ------------------------------------------------------------------------------------------- the files
def files_not_as_written(out_dir: Path) -> list[str]:
    """Files of the manifest that are missing or whose sha256 differs, and output files it does not list."""
    from . import export

    try:
        _, files = export.read_manifest(out_dir)
    except export.OutputError as exc:
        return [f"{export.MANIFEST} ({exc.problem})"]
    if not (out_dir / export.MANIFEST).is_file():
        return [f"{export.MANIFEST} (missing)"]
    out = []
    for name, sha in sorted(files.items()):
        path = out_dir / name
        if not path.is_file():
            out.append(f"{name} (missing)")
        elif export.digest(path) != sha:
            out.append(f"{name} (changed)")
    out += [f"{n} (not in the manifest)" for n in sorted(export.output_names()) if n not in files
            and (out_dir / n).exists()]
    return out


def markdown_differences(out_dir: Path, rep: Report) -> list[str]:
    """Line numbers (and the first text) where report.md differs from report.json rendered again."""
    from .report import render_markdown

    path = out_dir / "report.md"
    if not path.is_file():
        return ["report.md (missing)"]
    found = path.read_text(encoding="utf-8", errors="replace").splitlines()
    wanted = render_markdown(rep).splitlines()
    out = [f"line {i + 1}: {found[i][:60]!r}" if i < len(found) else f"line {i + 1} (missing)"
           for i in range(len(wanted)) if i >= len(found) or found[i] != wanted[i]]
    return out + [f"line {i + 1} (extra)" for i in range(len(wanted), len(found))]


def _same_values(a, b) -> bool:
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if a.shape != b.shape:
        return False
    for x, y in zip(a, b):
        if isinstance(x, (float, np.floating)) or isinstance(y, (float, np.floating)):
            try:
                if not np.isclose(float(x), float(y), rtol=1e-12, atol=1e-9, equal_nan=True):
                    return False
            except (TypeError, ValueError):
                return False
        elif x != y and not (x is None and y is None):
            return False
    return True


def geojson_differences(out_dir: Path, gpkg: Path) -> list[str]:
    """Layers whose ``<layer>.geojson`` differs from the GeoPackage layer, and GeoJSON files without a layer.

    Driven by the layers the GeoPackage holds: coordinates are compared to 1e-7 degrees (GeoJSON keeps 8
    decimals, and may drop a vertex that rounds onto its neighbour: the Hausdorff distance is compared), attributes
    exactly (floats to 1e-12 relative)."""
    layers = [n for n, t in _layer_names(gpkg).items() if t is not None]
    out = []
    for name in layers:
        path = out_dir / f"{name}.geojson"
        if not path.is_file():
            out.append(f"{name} (no {path.name})")
            continue
        a_geoms, a_fields = read_table(gpkg, name, allow_empty=True)
        try:
            b_geoms, b_fields = read_table(path, allow_empty=True)
        except InputError:
            out.append(f"{name} ({path.name} unreadable)")
            continue
        if len(a_geoms) == 0 and len(b_geoms) == 0:      # an empty layer: GeoJSON keeps no field list
            continue
        same = len(a_geoms) == len(b_geoms) and bool(np.all(
            (shapely.get_type_id(a_geoms) == shapely.get_type_id(b_geoms))
            & (shapely.hausdorff_distance(a_geoms, b_geoms) <= GEOJSON_TOLERANCE_DEG)))
        same = same and set(a_fields) == set(b_fields) and all(_same_values(a_fields[k], b_fields[k])
                                                                  for k in a_fields)
        if not same:
            out.append(name)
    gone = sorted(p.name for p in out_dir.glob("*.geojson") if p.stem not in layers)
    return out + [f"{n} (no layer in border.gpkg)" for n in gone]


def in_use_disagreements(gpkg: Path, rep: Report) -> list[str]:
    """Layers whose ``in_use`` flag is not what report.json implies (the channel line and the maritime method)."""
    expected = {"channel_middle": rep.land.border_line == "middle", "thalweg": rep.land.border_line == "thalweg",
                "maritime_equidistance": rep.maritime.method == "equidistance"}
    layers = _layer_names(gpkg)
    out = []
    for name, want in expected.items():
        if name not in layers:
            if want:
                out.append(f"{name} (missing, but in use)")
            continue
        _, fields = read_table(gpkg, name)
        flags = fields.get("in_use")
        if flags is None or len(flags) != 1 or bool(flags[0]) != want:
            out.append(name)
    return out
