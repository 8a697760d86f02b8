"""``tumen-border check OUTDIR``: re-judge a finished run from its files, trusting the geometry, not the numbers.

Every check is defined once in :mod:`pipeline.checks`; each definition says how its figure is re-measured from
a run's files. This module is what those definitions read the files with: :class:`RunFiles` (``border.gpkg``'s
layers in lon/lat, ``report.json`` rebuilt with the schema it was written with, the labelled points), the
geodesic helpers they measure with, and the functions that compare the files with one another (the manifest's
sha256, report.md against report.json rendered again, each GeoJSON file against its GeoPackage layer, the
``in_use`` flags). A missing key or a wrong type in ``report.json``, a boundary layer without ``length_m``, a
feature without geometry, or NaN in ``report.json`` is bad input (exit 2).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely

from . import checks
from .config import Config
from .errors import InputError
from .geodesy import inverse
from .model import REPORT_SCHEMA, Check, Report, SchemaError, from_jsonable

GEOJSON_TOLERANCE_DEG = 1e-7        # GeoJSON keeps 8 decimals (RFC 7946); 1e-7 degrees is about 1 cm
GPKG, REPORT = "border.gpkg", "report.json"


def read_report(path: Path) -> Report:
    """``report.json`` as a :class:`~pipeline.model.Report`, rebuilt strictly with the schema it was written with.

    Parameters
    ----------
    path : Path
        The ``report.json`` of a finished run.

    Returns
    -------
    Report
        Every key and type checked (:func:`pipeline.model.from_jsonable`).

    Raises
    ------
    InputError
        Naming ``path``: missing, not UTF-8 JSON, holding NaN or Infinity, of another schema, or not fitting the
        schema (a missing or unknown key, a wrong type).
    """
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
    """The geometries and attributes of one layer of a GeoPackage (or of a GeoJSON file).

    Parameters
    ----------
    path : Path
        A GeoPackage or GeoJSON file written by a run.
    layer : str, optional
        The layer's name (None: the file's only layer, e.g. a GeoJSON file).
    allow_empty : bool
        Accept a layer without features (e.g. a case without monuments).

    Returns
    -------
    geometries : ndarray of shapely geometry
        Lon/lat (EPSG:4326, degrees), one per feature.
    fields : dict of str to ndarray
        Field name -> its values, feature by feature.

    Raises
    ------
    InputError
        Naming ``path``: the layer cannot be read, is empty (unless ``allow_empty``), has a feature without a
        geometry, or is not in EPSG:4326.
    """
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
    """The geometries and one attribute of a layer.

    Parameters
    ----------
    gpkg : Path
        A GeoPackage written by a run.
    layer : str
        The layer's name.
    column : str
        The field wanted.

    Returns
    -------
    geometries : ndarray of shapely geometry
        Lon/lat (EPSG:4326, degrees).
    values : ndarray
        The field's values, feature by feature.

    Raises
    ------
    InputError
        Naming ``gpkg``: as :func:`read_table`, or the layer has no such field.
    """
    geoms, fields = read_table(gpkg, layer)
    if column not in fields:
        raise InputError(gpkg, f"layer {layer!r} has no {column!r} column")
    return geoms, fields[column]


def read_run_files(out_dir: Path) -> tuple[Path, Report]:
    """The GeoPackage and the report of a finished run.

    Parameters
    ----------
    out_dir : str or Path
        The run's output folder.

    Returns
    -------
    gpkg : Path
        Its ``border.gpkg``.
    report : Report
        Its ``report.json`` (:func:`read_report`).

    Raises
    ------
    InputError
        Naming the folder or file that is missing or malformed.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(out_dir, "output folder not found (run `tumen-border run` first)")
    gpkg = out_dir / GPKG
    if not gpkg.is_file():
        raise InputError(gpkg, "not found (run `tumen-border run` first)")
    return gpkg, read_report(out_dir / REPORT)


def read_line(gpkg: Path, layer: str):
    """The features of a line layer of ``gpkg`` merged into one lon/lat LineString.

    Parameters
    ----------
    gpkg : Path
        A GeoPackage written by a run (EPSG:4326 layers).
    layer : str
        The layer's name.

    Returns
    -------
    LineString
        lon/lat; InputError naming the file if the features are not one connected line.
    """
    line = shapely.line_merge(shapely.union_all(read_table(gpkg, layer)[0]))
    if line.geom_type != "LineString":
        raise InputError(gpkg, f"{layer} must be one connected line")
    return line


class RunFiles:
    """A finished run's files, read once: what the checks' ``files`` figures measure (lon/lat, EPSG:4326).

    Parameters
    ----------
    out_dir : Path
        The run's output folder (``border.gpkg`` and ``report.json`` must be in it).

    Attributes
    ----------
    out_dir, gpkg : Path
        The folder, and its GeoPackage.
    report : Report
        ``report.json``, rebuilt strictly with its schema.
    land, sea : LineString
        The land and the maritime boundary (each layer's features merged into one line), lon/lat.
    points : dict
        The ``boundary_points`` layer by label (``A``, ``mouth``, treaty point ids ...), lon/lat Points.
    layers : dict
        Layer name -> geometry type (None for a table without geometry).
    """

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.gpkg, self.report = read_run_files(self.out_dir)
        self.land, self.sea = self.line("land_boundary"), self.line("maritime_boundary")
        self.layers = _layer_names(self.gpkg)
        self.points = self._labelled_points()
        self._mouth_offset: float | None = None

    def table(self, layer: str, *, allow_empty: bool = False):
        """The geometries and attributes of ``layer`` (:func:`read_table`).

        Parameters
        ----------
        layer : str
            A layer of the run's ``border.gpkg``.
        allow_empty : bool
            Accept a layer without features.

        Returns
        -------
        geometries : ndarray of shapely geometry
            Lon/lat (EPSG:4326, degrees).
        fields : dict of str to ndarray
            Field name -> its values.
        """
        return read_table(self.gpkg, layer, allow_empty=allow_empty)

    def column(self, layer: str, column: str):
        """The geometries and one attribute of ``layer`` (:func:`read_column`).

        Parameters
        ----------
        layer : str
            A layer of the run's ``border.gpkg``.
        column : str
            The field wanted (InputError naming the file when the layer has none).

        Returns
        -------
        geometries : ndarray of shapely geometry
            Lon/lat (EPSG:4326, degrees).
        values : ndarray
            The field's values.
        """
        return read_column(self.gpkg, layer, column)

    def geometries(self, layer: str):
        """The geometries of ``layer``.

        Parameters
        ----------
        layer : str
            A layer of the run's ``border.gpkg`` (InputError when it is empty or unreadable).

        Returns
        -------
        ndarray of shapely geometry
            Lon/lat (EPSG:4326, degrees).
        """
        return self.table(layer)[0]

    def frame(self, layer: str):
        """``layer`` as a GeoDataFrame.

        Parameters
        ----------
        layer : str
            A layer of the run's ``border.gpkg``.

        Returns
        -------
        geopandas.GeoDataFrame
            Every field, geometry in lon/lat (EPSG:4326, as written).
        """
        import pyogrio

        return pyogrio.read_dataframe(self.gpkg, layer=layer)

    def line(self, layer: str):
        """The features of a line layer merged into one LineString (:func:`read_line`).

        Parameters
        ----------
        layer : str
            A line layer of the run's ``border.gpkg``.

        Returns
        -------
        LineString
            Lon/lat (EPSG:4326, degrees); InputError naming the file when the features are not one connected line.
        """
        return read_line(self.gpkg, layer)

    def _labelled_points(self) -> dict[str, shapely.Point]:
        if "boundary_points" not in self.layers:
            return {}
        geoms, labels = self.column("boundary_points", "label")
        return {str(lab): g for lab, g in zip(labels, geoms)}

    @property
    def mouth_offset_m(self) -> float | None:
        """The mouth offset re-derived from ``boundary_points``: the crossing (``mouth``) to the treaty mouth point
        (m, geodesic); None when the report names no treaty mouth point, inf when a point is missing."""
        m = self.report.mouth
        if not m.treaty_point:
            return None
        if self._mouth_offset is None:
            self._mouth_offset = self.distance(self.points.get("mouth"), self.points.get(m.treaty_point))
        return self._mouth_offset

    # the geodesic helpers the figures measure with
    @staticmethod
    def distance(p, q) -> float:
        """Geodesic distance between two lon/lat points.

        Parameters
        ----------
        p, q : Point, (float, float) or None
            Longitude, latitude in degrees (WGS 84); None for a point that is missing.

        Returns
        -------
        float
            Metres on WGS 84; inf when a point is missing (a check on it fails).
        """
        return _dist(p, q)

    @staticmethod
    def spread(named: dict[str, object]) -> tuple[float, str]:
        """The largest geodesic distance between any two of the named lon/lat points, and which two.

        Parameters
        ----------
        named : dict of str to Point, (float, float) or None
            Name -> longitude, latitude in degrees (WGS 84); None for a point that is missing.

        Returns
        -------
        distance_m : float
            Metres on WGS 84 (0 for fewer than two points; inf when a point is missing).
        which : str
            "<name> vs <name>", or "none".
        """
        return _spread(named)

    @staticmethod
    def distance_to_line(lonlat: np.ndarray, line) -> float:
        """The largest geodesic distance from lon/lat points to a lon/lat line.

        Measured through a local transverse Mercator over both (:meth:`pipeline.geodesy.Geodesy.distance_to_line`).

        Parameters
        ----------
        lonlat : ndarray (n, 2)
            Longitude, latitude in degrees (WGS 84).
        line : LineString or MultiLineString
            Lon/lat (WGS 84).

        Returns
        -------
        float
            Metres on WGS 84.
        """
        return _distance_to_line(lonlat, line)


def verify_outputs(out_dir: Path, cfg: Config) -> list[Check]:
    """Every check that can be measured on a run's files, judged with ``cfg``'s tolerances.

    Parameters
    ----------
    out_dir : Path
        A finished run's output folder.
    cfg : Config
        The config whose tolerances judge the figures (the run's, or a stricter one).

    Returns
    -------
    list of Check
        In the registry's order: the run's checks re-measured, then the checks of the files themselves.
    """
    run = RunFiles(out_dir)
    return list(checks.judge(checks.measure_files(run, cfg), cfg))


# ------------------------------------------------------------------------------- geodesic helpers
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


def _layer_names(gpkg: Path) -> dict[str, str | None]:
    import pyogrio

    return {str(n): (None if t is None else str(t)) for n, t in pyogrio.list_layers(gpkg)}


def _distance_to_line(lonlat: np.ndarray, line) -> float:
    """Largest geodesic distance (m) from lon/lat points to a lon/lat line (through a local metric CRS)."""
    from .geodesy import Geodesy, resolve_metric_crs

    bounds = shapely.union_all([line, shapely.multipoints(lonlat)]).bounds
    geo = Geodesy(resolve_metric_crs("auto", bounds), bounds)
    d, _ = geo.distance_to_line(geo.lonlat_to_metric(lonlat), geo.to_metric(line))
    return float(np.max(d))


# ------------------------------------------------------------------------------------------- the files
def files_not_as_written(out_dir: Path) -> list[str]:
    """The files of a run's folder that are not as its manifest lists them.

    Parameters
    ----------
    out_dir : Path
        A finished run's output folder.

    Returns
    -------
    list of str
        "<name> (missing)", "<name> (changed)" (its sha256 differs), "<name> (not in the manifest)" for an output
        file present but not listed, or the manifest itself "(missing)" or with its problem; empty when every file
        is as written.
    """
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
    """Where ``report.md`` differs from ``report.json`` rendered again (:func:`pipeline.report.render_markdown`).

    Parameters
    ----------
    out_dir : Path
        A finished run's output folder.
    rep : Report
        Its ``report.json`` (:func:`read_report`).

    Returns
    -------
    list of str
        "line <n>: <its first 60 characters>" for each line that differs, "line <n> (missing)" / "(extra)" for
        lines only one has, or "report.md (missing)"; empty when they agree.
    """
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
    decimals, and may drop a vertex that rounds onto its neighbour: the Hausdorff distance is compared),
    attributes exactly (floats to 1e-12 relative).

    Parameters
    ----------
    out_dir : Path
        A finished run's output folder.
    gpkg : Path
        Its ``border.gpkg``.

    Returns
    -------
    list of str
        The names of the layers that differ ("<layer> (no <file>)" / "(<file> unreadable)" where the GeoJSON is
        missing or unreadable), then "<file> (no layer in border.gpkg)"; empty when they agree.
    """
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
    """Layers whose ``in_use`` flag is not what ``report.json`` implies, by each catalogue layer's ``in_use`` rule.

    The rules follow the channel line in use and the maritime method (:func:`pipeline.layers.in_use_expected`).

    Parameters
    ----------
    gpkg : Path
        A finished run's ``border.gpkg``.
    rep : Report
        Its ``report.json``.

    Returns
    -------
    list of str
        The names of the layers whose single ``in_use`` flag is missing or wrong, and "<layer> (missing, but in
        use)"; empty when they agree.
    """
    from .layers import in_use_expected

    expected = in_use_expected(rep)          # the catalogue's in_use rules
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
