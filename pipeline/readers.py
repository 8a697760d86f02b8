"""File readers: each turns one input file into plain data in the file's own CRS, or raises an
:class:`~pipeline.errors.InputError` that names the file and the problem.

Readers know formats (GDAL vector formats through pyogrio, GeoTIFF through rasterio, CSV, OpenStreetMap
XML); they do not change datums or validate geometry against other inputs -- :mod:`pipeline.load` does that,
the same way for every input -- and they do not know what a file means: the input forms
(:mod:`pipeline.forms`) build a water area or a depth grid from what is read here. Nothing here writes a file.
"""
from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from . import geometry
from .errors import InputError, one_line

log = logging.getLogger(__name__)

POINT_COLUMNS = ("id", "name", "kind", "datum", "crs", "lat", "lon", "published", "source")
POINT_KINDS = ("monument", "mouth", "end", "other")


def require_file(path: Path | None, role: str) -> Path:
    """``path`` if it is a readable file; otherwise an InputError naming it.

    Parameters
    ----------
    path : Path or None
        The file (None: not given).
    role : str
        What the file is, for the message (e.g. "river").

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    if path is None:
        raise InputError(None, f"no {role} file given")
    path = Path(path)
    if path.is_dir():
        raise InputError(path, f"{role}: is a folder, not a file")
    if not path.is_file():
        raise InputError(path, f"{role} file not found")
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError as exc:
        raise InputError(path, f"{role}: cannot be read ({exc.strerror})") from None
    return path


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks.

    Parameters
    ----------
    path : Path
        A readable file.

    Returns
    -------
    str
        64 lower-case hex digits.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def gdal_detail(exc: BaseException | str, limit: int = 240) -> str:
    """GDAL's message without SQL statements and repeats, on one line, at most ``limit`` characters.

    Parameters
    ----------
    exc : Exception or str
        What GDAL (through pyogrio, rasterio or pyproj) said.
    limit : int
        Longest text returned, in characters.

    Returns
    -------
    str
        The message for an :class:`~pipeline.errors.InputError`.
    """
    text = one_line(str(exc))
    text = re.sub(r"sqlite3_\w+\(.*?\) failed: ", "", text)
    parts: list[str] = []
    for part in re.split(r";\s*", text):
        if part and part not in parts:
            parts.append(part)
    text = "; ".join(parts) or "no detail"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------------------------- vectors
@dataclass(frozen=True)
class VectorLayer:
    """One layer as read: geometries (shapely array), attribute columns, the CRS (pyproj) and the layer name."""

    path: Path
    layer: str
    geometry: np.ndarray
    columns: dict[str, np.ndarray]
    crs: object


def layer_names(path: Path, role: str) -> list[str]:
    """The layer names of a vector data set, in the file's order.

    Parameters
    ----------
    path : Path
        Any GDAL vector data set.
    role : str
        What the file is, for the message.

    Returns
    -------
    list of str
        The layer names; an unreadable file is an InputError naming it.
    """
    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio.errors.DataSourceError and GDAL errors
        raise InputError(path, f"{role}: cannot be read as a vector data set (truncated or corrupt?): "
                               f"{gdal_detail(exc)}") from None


def choose_layer(path: Path, layer: str, role: str, key: str) -> str:
    """The layer to read: the one named, or the only one; several and none named is an error listing them.

    Parameters
    ----------
    path : Path
        Any GDAL vector data set.
    layer : str
        The configured layer name ("" when none is configured).
    role : str
        What the file is, for the message.
    key : str
        The config key that names the layer (e.g. "inputs.river_layer"), quoted in the message.

    Returns
    -------
    str
        The layer name.
    """
    names = layer_names(path, role)
    if not names:
        raise InputError(path, f"{role}: the data set holds no layers")
    if layer:
        if layer not in names:
            raise InputError(path, f"{role}: no layer {layer!r} (layers: {', '.join(names)})")
        return layer
    if len(names) > 1:
        raise InputError(path, f"{role}: the file holds {len(names)} layers ({', '.join(names)}); name one with "
                               f"{key}")
    return names[0]


def _geojson_crs_name(path: Path) -> str | None:
    """The name in a GeoJSON file's legacy ``"crs"`` member, looked for in the first 1 MB (None: no member)."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return None
    with open(path, "rb") as f:
        head = f.read(1 << 20).decode("utf-8", errors="replace")
    m = re.search(r'"crs"\s*:\s*(\{[^{}]*\{[^{}]*\}[^{}]*\})', head)
    if not m:
        return None
    try:
        member = json.loads(m.group(1))
        name = member.get("properties", {}).get("name") if member.get("type") == "name" else None
    except (ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def _crs_of(path: Path, role: str, crs_wkt: str | None, gdal_warnings: list[str]):
    """The layer's CRS as a pyproj CRS; none, or one PROJ cannot parse, is an InputError naming the file."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    name = _geojson_crs_name(path)
    if name is not None:
        try:
            CRS.from_user_input(name)
        except CRSError:  # GDAL ignores a "crs" member it cannot parse and assumes WGS 84
            raise InputError(path, f"{role}: unknown CRS {name!r} in the GeoJSON \"crs\" member (PROJ does not "
                                   "know it); remove the member if the coordinates are WGS 84 lon/lat") from None
    if crs_wkt:
        try:
            return CRS.from_user_input(crs_wkt)
        except CRSError as exc:
            raise InputError(path, f"{role}: unknown CRS ({gdal_detail(exc)})") from None
    if path.suffix.lower() == ".shp":
        for prj in (path.with_suffix(".prj"), path.with_suffix(".PRJ")):
            if prj.is_file():
                text = prj.read_text(encoding="utf-8", errors="replace").strip()
                raise InputError(prj, f"{role}: unknown CRS: the .prj of {path.name} holds no CRS that GDAL/PROJ "
                                      f"understands ({text[:60]!r}); replace it with a valid WKT .prj")
    crs_warnings = [w for w in gdal_warnings if any(k in w.lower() for k in ("srs", "crs", "projection"))]
    if crs_warnings:
        raise InputError(path, f"{role}: unknown CRS: {gdal_detail(crs_warnings[0])}")
    raise InputError(path, f"{role}: no CRS is defined; set one in the file (e.g. EPSG:4326 for lon/lat; for a "
                           "Shapefile, add its .prj)")


def read_vector(path: Path, layer: str, role: str, key: str) -> VectorLayer:
    """Read one layer with pyogrio; unreadable, empty, CRS-less or non-finite data is an InputError.

    Features without a geometry, or with an empty one, are dropped.

    Parameters
    ----------
    path : Path
        Any GDAL vector data set.
    layer : str
        The layer to read ("": the file's only layer).
    role : str
        What the file is, for messages (e.g. "coast").
    key : str
        The config key that names the layer (quoted when the file holds several layers).

    Returns
    -------
    VectorLayer
        The geometries and attribute columns as stored, in the layer's own CRS (``VectorLayer.crs``, a pyproj
        CRS), coordinates in that CRS's units.
    """
    import pyogrio

    path = require_file(path, role)
    layer = choose_layer(path, layer, role, key)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            meta, _, geoms, field_data = pyogrio.raw.read(path, layer=layer)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, and GDAL errors
        raise InputError(path, f"{role}: cannot be read as a vector data set (truncated or corrupt?): "
                               f"{gdal_detail(exc)}") from None
    gdal_warnings = list(dict.fromkeys(one_line(str(w.message)) for w in caught))
    try:
        if meta.get("geometry_type") in (None, "Unknown") and geoms is None:
            raise InputError(path, f"{role}: layer {layer!r} has no geometry column")
        if geoms is None:
            raise InputError(path, f"{role}: layer {layer!r} has no geometry column")
        try:
            with np.errstate(invalid="ignore"):   # NaN coordinates are reported below, as an InputError
                geometry = shapely.from_wkb(geoms, on_invalid="raise")
        except Exception as exc:  # GEOSException on unparsable WKB
            raise InputError(path, f"{role}: a geometry cannot be decoded ({gdal_detail(exc)})") from None
        crs = _crs_of(path, role, meta.get("crs"), gdal_warnings)
    except InputError as exc:
        gdal_warnings = [w for w in gdal_warnings if w not in exc.problem]
        raise
    finally:
        for w in gdal_warnings:  # what GDAL said while reading, unless the error already says it
            log.warning("%s: %s: %s", path.name, role, w)
    keep = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    if not keep.any():
        raise InputError(path, f"{role}: layer {layer!r} is empty (no features with a geometry)")
    columns = {str(name): np.asarray(values)[keep] for name, values in zip(meta["fields"], field_data)}
    geometry = geometry[keep]
    coords = shapely.get_coordinates(geometry)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        counts = shapely.get_num_coordinates(geometry)
        first = int(np.searchsorted(np.cumsum(counts), int(np.flatnonzero(bad)[0]), side="right"))
        raise InputError(path, f"{role}: feature {first} has a non-finite coordinate (NaN or infinity); "
                               f"{int(bad.sum())} such vertex(es) in the layer")
    return VectorLayer(path, layer, geometry, columns, crs)


def repair_polygons(geoms: np.ndarray, labels: list[str], path: Path, role: str,
                    repairs: list[str]) -> list[BaseGeometry]:
    """Each geometry as valid polygons: invalid ones are repaired with ``make_valid`` (logged and recorded),
    non-polygon geometry types are an error.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Polygons or multipolygons, in any CRS (the repair is planar, in that CRS's units).
    labels : list of str
        How each geometry is named in messages (e.g. "feature 3", "iso_a3=RUS").
    path : Path
        The file the geometries come from, named by every message.
    role : str
        What the file is, for messages.
    repairs : list of str
        Appended to: one message per repaired geometry (the report lists them).

    Returns
    -------
    list of shapely geometries
        Valid (multi)polygons, one per input geometry, in the same CRS.
    """
    types = sorted(set(shapely.get_type_id(geoms).tolist()))
    names = {3: "Polygon", 6: "MultiPolygon"}
    wrong = [t for t in types if t not in names]
    if wrong:
        found = sorted({g.geom_type for g in geoms})
        raise InputError(path, f"{role}: wrong geometry type {', '.join(found)}; expected polygons "
                               "(Polygon/MultiPolygon)")
    out = []
    for geom, label in zip(geoms, labels):
        if geom.is_valid:
            out.append(geom)
            continue
        reason = shapely.is_valid_reason(geom)
        made = geometry.parts(shapely.make_valid(geom))
        polys = [g for g in made if g.geom_type == "Polygon"]
        fixed = shapely.union_all(polys) if polys else Polygon()
        if fixed.is_empty or not fixed.is_valid:
            left = ", ".join(sorted({g.geom_type for g in made if g.geom_type != "Polygon"})) or "nothing"
            raise InputError(path, f"{role}: invalid geometry in {label} cannot be repaired ({reason}); make_valid "
                                   f"leaves no polygon, only {left} (a zero-area ring?)")
        msg = f"{path.name}: {role} {label} repaired with make_valid ({reason})"
        log.warning(msg)
        repairs.append(msg)
        out.append(fixed)
    return out


# ------------------------------------------------------------------------------------------- CSV
def read_csv_rows(path: Path, role: str) -> tuple[list[str], list[dict[str, str | None]]]:
    """The header and the rows of a UTF-8 CSV (a byte-order mark is skipped), as :class:`csv.DictReader`
    gives them; a file that is not UTF-8 or not CSV is an InputError naming it.

    Parameters
    ----------
    path : Path
        A readable file.
    role : str
        What the file is, for the message (e.g. "treaty points").

    Returns
    -------
    header : list of str
        The column names as written ([] for an empty file).
    rows : list of dict
        One dict per row, column name -> text; a row with more fields than the header holds the rest under
        the key None, a row with fewer has None values (the callers say which line is short or long).
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            header = list(reader.fieldnames or [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"{role}: not a readable UTF-8 CSV ({exc})") from None
    return header, rows


# -------------------------------------------------------------------------------------- treaty points
@dataclass(frozen=True)
class PointRow:
    """One row of the treaty points CSV as written: ``line`` is its line in the file, ``lat``/``lon`` decimal
    degrees in the datum ``crs`` names ("" when the source states none)."""

    line: int
    id: str
    name: str
    kind: str
    datum: str
    crs: str
    lat: float
    lon: float
    published: str
    source: str


def read_points(path: Path) -> list[PointRow]:
    """The treaty points CSV (columns :data:`POINT_COLUMNS`); every column of every row is validated.

    Parameters
    ----------
    path : Path
        The CSV: ``lat``/``lon`` in decimal degrees of the datum in its ``crs`` column (empty: not stated).

    Returns
    -------
    list of PointRow
        One per row, in file order, coordinates as written (no datum change here).
    """
    path = require_file(path, "treaty points")
    header, rows = read_csv_rows(path, "treaty points")
    missing = [c for c in POINT_COLUMNS if c not in header]
    if missing:
        raise InputError(path, f"treaty points: missing column(s) {', '.join(missing)} "
                               f"(header has: {', '.join(h for h in header if h) or 'nothing'})")
    extra = [c for c in header if c not in POINT_COLUMNS]
    if extra:
        raise InputError(path, f"treaty points: unknown column(s) {', '.join(map(str, extra))} "
                               f"(columns: {', '.join(POINT_COLUMNS)})")
    if not rows:
        raise InputError(path, "treaty points: no rows")
    out: list[PointRow] = []
    seen: set[str] = set()
    for n, r in enumerate(rows, start=2):
        if None in r or any(r[c] is None for c in POINT_COLUMNS):
            raise InputError(path, f"treaty points line {n}: {len([v for v in r.values() if v is not None])} "
                                   f"fields, expected {len(header)} (a comma inside an unquoted value?)")
        pid = r["id"].strip()
        where = f"treaty points line {n}" + (f" ({pid})" if pid else "")
        if not pid:
            raise InputError(path, f"{where}: empty id")
        if pid in seen:
            raise InputError(path, f"{where}: duplicate id {pid!r}")
        seen.add(pid)
        for c in ("name", "published", "source"):
            if not r[c].strip():
                raise InputError(path, f"{where}: empty {c}")
        if r["kind"] not in POINT_KINDS:
            raise InputError(path, f"{where}: kind {r['kind']!r} is not one of {', '.join(POINT_KINDS)}")
        lat, lon = _point_lat_lon(path, where, r)
        crs_text = r["crs"].strip()
        _check_point_crs(path, where, crs_text)
        out.append(PointRow(n, pid, r["name"].strip(), r["kind"], r["datum"].strip(), crs_text, lat, lon,
                            r["published"].strip(), r["source"].strip()))
    return out


def _point_lat_lon(path: Path, where: str, r: dict[str, str]) -> tuple[float, float]:
    """(lat, lon) of one treaty point row, in decimal degrees; not numbers or out of range: an InputError."""
    values = {}
    for c in ("lat", "lon"):
        try:
            values[c] = float(r[c])
        except ValueError:
            raise InputError(path, f"{where}: {c} {r[c]!r} is not a number (decimal degrees expected)") from None
        if not math.isfinite(values[c]):
            raise InputError(path, f"{where}: {c} {r[c]!r} is not a finite number")
    lat, lon = values["lat"], values["lon"]
    if not -90 <= lat <= 90:
        hint = " (lat/lon swapped?)" if -90 <= lon <= 90 else ""
        raise InputError(path, f"{where}: lat {lat} is outside [-90, 90]{hint}")
    if not -180 <= lon <= 180:
        raise InputError(path, f"{where}: lon {lon} is outside [-180, 180]")
    return lat, lon


def _check_point_crs(path: Path, where: str, crs_text: str) -> None:
    """A treaty point's ``crs`` column, when not empty, must be a geographic CRS PROJ knows."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if not crs_text:
        return
    try:
        crs = CRS.from_user_input(crs_text)
    except CRSError:
        raise InputError(path, f"{where}: crs {crs_text!r} is not a CRS PROJ knows (e.g. EPSG:4326; leave "
                               "it empty when the source states no datum)") from None
    if not crs.is_geographic:
        raise InputError(path, f"{where}: crs {crs_text} ({crs.name}) is not a geographic lat/lon CRS")


# ------------------------------------------------------------------------------------------- rasters
GEOTIFF_SUFFIXES = (".tif", ".tiff")   # read as rasters even when GDAL cannot open them (then: say why)


@dataclass(frozen=True)
class Raster:
    """Band 1 of a raster as physical values, with its grid: ``transform`` (affine.Affine) maps (col, row) to
    ``crs`` coordinates; ``res`` is the cell size in that CRS's units."""

    path: Path
    values: np.ndarray        # float64, NaN where nodata
    transform: object         # affine.Affine
    crs: object               # pyproj CRS
    res: tuple[float, float]
    nodata: float | None
    tags: dict
    units: str = ""           # band 1's unit as the file states it ("" when it states none)
    scaled: str = ""          # "scale 0.01, offset -5" when the file's scale/offset were applied, else ""


def is_raster(path: Path) -> bool:
    """Whether GDAL opens ``path`` as a raster (GeoTIFF and any other raster format).

    Parameters
    ----------
    path : Path
        Any file.

    Returns
    -------
    bool
        True when rasterio opens it (georeferenced or not).
    """
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path):
                return True
    except Exception:           # RasterioIOError and any GDAL error: not a raster GDAL can open
        return False


def _scale_offset(src, path: Path, role: str) -> tuple[float, float]:
    """Band 1's scale and offset (GDAL metadata; 1 and 0 when unset); non-finite or zero scale is an error."""
    scale = float(src.scales[0]) if src.scales and src.scales[0] is not None else 1.0
    offset = float(src.offsets[0]) if src.offsets and src.offsets[0] is not None else 0.0
    if not (math.isfinite(scale) and math.isfinite(offset)) or scale == 0:
        raise InputError(path, f"{role}: band 1 has scale {scale:g} and offset {offset:g}; physical values need "
                               "a finite, non-zero scale and a finite offset")
    return scale, offset


def _open_raster(path: Path, role: str):
    """``rasterio.open(path)`` with rasterio's NotGeoreferencedWarning silenced (a missing CRS is reported by
    :func:`_checked_grid`)."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return rasterio.open(path)


def _checked_grid(src, path: Path, role: str, projected: bool):
    """(pyproj CRS, scale, offset) of an open raster; no CRS, an unknown one, a geographic one when
    ``projected``, a rotated or south-up grid or an unusable scale/offset is an InputError naming the file."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if src.crs is None:
        raise InputError(path, f"{role}: no CRS is defined; set a projected (metre) CRS")
    try:
        crs = CRS.from_user_input(src.crs.to_wkt())
    except CRSError as exc:
        raise InputError(path, f"{role}: unknown CRS ({gdal_detail(exc)})") from None
    if projected and not crs.is_projected:
        raise InputError(path, f"{role}: CRS must be projected (metres), got {crs.name}")
    if src.transform.b != 0 or src.transform.d != 0 or src.transform.e >= 0:
        raise InputError(path, f"{role}: the grid must be north-up without rotation")
    scale, offset = _scale_offset(src, path, role)
    return crs, scale, offset


def _scaled_note(scale: float, offset: float) -> str:
    """"scale 0.01, offset -5 applied" when GDAL's scale/offset change the values, else ""."""
    return f"scale {scale:g}, offset {offset:g} applied" if (scale, offset) != (1.0, 0.0) else ""


def read_raster(path: Path, role: str, *, projected: bool) -> Raster:
    """Band 1 of a raster as float64 physical values (raw x scale + offset, GDAL's band scale/offset; nodata
    -> NaN), with its grid and stated unit; an InputError names the file on failure.

    Parameters
    ----------
    path : Path
        Any GDAL raster; the grid must be north-up without rotation.
    role : str
        What the file is, for messages (e.g. "depth raster").
    projected : bool
        Refuse a CRS that is not projected (metres).

    Returns
    -------
    Raster
        Values in the file's unit, on the file's grid in the file's CRS (``Raster.crs``, pyproj).
    """
    path = require_file(path, role)
    try:
        with _open_raster(path, role) as src:
            crs, scale, offset = _checked_grid(src, path, role, projected)
            band = src.read(1, masked=True).astype("float64")
            values = band.filled(np.nan)
            scaled = _scaled_note(scale, offset)
            if scaled:   # GDAL's scale/offset: physical value = raw x scale + offset
                values = values * scale + offset
            out = Raster(path, values, src.transform, crs, tuple(src.res), src.nodata, dict(src.tags()),
                         (src.units[0] or "").strip() if src.units else "", scaled)
    except InputError:
        raise
    except Exception as exc:  # RasterioIOError and GDAL errors on truncated files
        raise InputError(path, f"{role}: cannot be read (truncated or corrupt?): {gdal_detail(exc)}") from None
    out.values[~np.isfinite(out.values)] = np.nan
    return out


# ------------------------------------------------------------------------------------------- rasters by window
WINDOW_CELLS = 1024   # side of the windows a raster is read by (cells), rounded to whole blocks of the file


@dataclass(frozen=True)
class RasterGrid:
    """Band 1's grid and value encoding, without its values (read them with :func:`raster_windows`).

    ``transform`` (affine.Affine) maps (col, row) to ``crs`` coordinates (pyproj CRS); ``res`` is the cell
    size in that CRS's units; physical value = raw x ``scale`` + ``offset``; ``block`` is the file's block
    shape (rows, cols); ``sparse_ok``: a window whose every block is absent from the file may be skipped
    (a GeoTIFF written with ``SPARSE_OK``, no mask band: such blocks read as ``nodata``, or 0 without one).
    """

    path: Path
    width: int
    height: int
    transform: object
    crs: object
    res: tuple[float, float]
    nodata: float | None
    scale: float
    offset: float
    block: tuple[int, int]
    sparse_ok: bool
    tags: dict
    units: str = ""

    @property
    def scaled(self) -> str:
        """"scale 0.01, offset -5 applied" when the file's scale/offset change the values, else ""."""
        return _scaled_note(self.scale, self.offset)

    def physical(self, raw: np.ndarray) -> np.ndarray:
        """Raw values as physical values: float64, raw x scale + offset, NaN where masked or not finite.

        Parameters
        ----------
        raw : ndarray or masked array
            Values as stored (a masked array: masked = nodata).

        Returns
        -------
        ndarray of float64
            The same arithmetic as :func:`read_raster`, so a window's values equal the whole raster's.
        """
        values = np.ma.asarray(raw).astype("float64").filled(np.nan)
        if self.scaled:
            values = values * self.scale + self.offset
        values[~np.isfinite(values)] = np.nan
        return values


@dataclass(frozen=True)
class RasterWindow:
    """One window of a :class:`RasterGrid`: rows ``row`` .. ``row + height``, columns ``col`` .. ``col +
    width``. ``raw`` holds the stored values (masked array, masked = nodata) of the window and a ring of
    ``halo`` cells around it (cells beyond the raster masked), so ``raw[halo:halo + height, halo:halo +
    width]`` is the window itself; None when every block of the window is absent from the file (then each of
    its cells holds the grid's fill: nodata, or raw 0 without one)."""

    row: int
    col: int
    height: int
    width: int
    raw: np.ma.MaskedArray | None
    halo: int = 0


def raster_grid(path: Path, role: str, *, projected: bool) -> RasterGrid:
    """The grid of a raster's band 1, checked as :func:`read_raster` checks it, without reading its values.

    Parameters
    ----------
    path : Path
        Any GDAL raster; the grid must be north-up without rotation.
    role : str
        What the file is, for messages (e.g. "river mask").
    projected : bool
        Refuse a CRS that is not projected (metres).

    Returns
    -------
    RasterGrid
        The grid in the file's CRS (pyproj), its scale/offset and block shape.
    """
    from rasterio.enums import MaskFlags

    path = require_file(path, role)
    try:
        with _open_raster(path, role) as src:
            crs, scale, offset = _checked_grid(src, path, role, projected)
            flags = set(src.mask_flag_enums[0])
            sparse_ok = src.driver == "GTiff" and flags <= {MaskFlags.all_valid, MaskFlags.nodata}
            return RasterGrid(path, src.width, src.height, src.transform, crs, tuple(src.res), src.nodata, scale,
                              offset, tuple(src.block_shapes[0]), sparse_ok, dict(src.tags()),
                              (src.units[0] or "").strip() if src.units else "")
    except InputError:
        raise
    except Exception as exc:  # RasterioIOError and GDAL errors on truncated files
        raise InputError(path, f"{role}: cannot be read (truncated or corrupt?): {gdal_detail(exc)}") from None


def window_spans(size: int, block: int, target: int = WINDOW_CELLS) -> list[tuple[int, int]]:
    """(start, length) of the windows along one axis of ``size`` cells: whole blocks of ``block`` cells, as
    many as make about ``target`` cells (one block when a block is larger; then ``target`` cells).

    Parameters
    ----------
    size : int
        Cells along the axis.
    block : int
        The file's block length along the axis (cells).
    target : int
        Wanted window length (cells).

    Returns
    -------
    list of (int, int)
        Consecutive spans covering 0 .. size, each but the last of the same length.
    """
    step = block * max(1, target // block) if block <= target else target
    return [(start, min(step, size - start)) for start in range(0, size, step)]


def raster_windows(grid: RasterGrid, role: str, *, target: int | None = None, halo: int = 0, progress=None):
    """Read band 1 window by window (row-major); windows whose every block is absent from the file (a sparse
    GeoTIFF) are not read. Nothing is allocated at the size of the raster.

    Parameters
    ----------
    grid : RasterGrid
        From :func:`raster_grid`.
    role : str
        What the file is, for messages.
    target : int, optional
        Window side (cells), rounded to whole blocks of the file (:func:`window_spans`); default
        :data:`WINDOW_CELLS`.
    halo : int
        Cells read around each window as well (masked beyond the raster).
    progress : callable, optional
        ``progress(done, total)`` after each window (e.g. :func:`pipeline.progress.count`).

    Yields
    ------
    RasterWindow
        Raw values as stored (masked = nodata), or ``raw=None`` for a window absent from the file.
    """
    from rasterio.windows import Window

    target = WINDOW_CELLS if target is None else target
    rows = window_spans(grid.height, grid.block[0], target)
    cols = window_spans(grid.width, grid.block[1], target)
    total = len(rows) * len(cols)
    try:
        with _open_raster(grid.path, role) as src:
            stored = _stored_blocks(src, grid)
            for n, ((r0, h), (c0, w)) in enumerate((r, c) for r in rows for c in cols):
                raw = None
                if stored is None or stored(r0, h, c0, w):
                    top, left = min(halo, r0), min(halo, c0)
                    bottom, right = min(halo, grid.height - r0 - h), min(halo, grid.width - c0 - w)
                    raw = src.read(1, window=Window(c0 - left, r0 - top, w + left + right, h + top + bottom),
                                   masked=True)
                    if halo:
                        pad = ((halo - top, halo - bottom), (halo - left, halo - right))
                        raw = np.ma.masked_array(np.pad(raw.data, pad), np.pad(np.ma.getmaskarray(raw), pad,
                                                                               constant_values=True))
                yield RasterWindow(r0, c0, h, w, raw, halo)
                if progress is not None:
                    progress(n + 1, total)
    except InputError:
        raise
    except Exception as exc:  # RasterioIOError and GDAL errors on truncated files
        raise InputError(grid.path, f"{role}: cannot be read (truncated or corrupt?): {gdal_detail(exc)}") from None


def _stored_blocks(src, grid: RasterGrid):
    """A test ``stored(row, height, col, width)``: whether any block of the window is in the file (GDAL's
    ``BLOCK_OFFSET_<x>_<y>`` item of a GeoTIFF); None when every window must be read."""
    if not grid.sparse_ok:
        return None
    bh, bw = grid.block

    def stored(r0: int, h: int, c0: int, w: int) -> bool:
        return any(src.get_tag_item(f"BLOCK_OFFSET_{j}_{i}", "TIFF", bidx=1) is not None
                   for i in range(r0 // bh, (r0 + h - 1) // bh + 1) for j in range(c0 // bw, (c0 + w - 1) // bw + 1))
    return stored


# ------------------------------------------------------------------------------------------- OpenStreetMap
OSM_SUFFIXES = (".osm", ".pbf")   # GDAL's OSM driver opens only files named so (.osm XML, .osm.pbf)
OSM_AREA_LAYER = "multipolygons"  # the OSM driver's layer of areas: multipolygon relations and closed area ways


def is_osm(path: Path) -> bool:
    """Whether ``path`` is named as an OpenStreetMap file (``.osm`` XML or ``.osm.pbf``) that GDAL's OSM driver
    reads; the driver recognises the files by these suffixes only.

    Parameters
    ----------
    path : Path
        Any file name (the file is not opened).

    Returns
    -------
    bool
        True for the suffixes :data:`OSM_SUFFIXES` (any case).
    """
    return Path(path).suffix.lower() in OSM_SUFFIXES


@dataclass(frozen=True)
class OsmAreas:
    """The areas of an OSM file as GDAL's OSM driver builds them (layer ``multipolygons``), in WGS 84 lon/lat.

    ``ids``: "relation <id>" or "way <id>" per area; ``tags``: every tag of the area (the driver's own columns
    and its ``other_tags``); ``incomplete``: areas the driver could not build a geometry for (members missing).
    """

    path: Path
    geometry: np.ndarray
    ids: list[str]
    tags: list[dict[str, str]]
    crs: object
    incomplete: int


_HSTORE_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def parse_hstore(text: str | None) -> dict[str, str]:
    """The key/value pairs of GDAL's ``other_tags`` string (PostgreSQL hstore syntax, ``"k"=>"v","k2"=>"v2"``).

    Hand-written (a regular expression) because no installed library parses hstore text without a database
    connection; quotes and backslashes inside keys and values are backslash-escaped by GDAL.

    Parameters
    ----------
    text : str or None
        The ``other_tags`` field of one feature.

    Returns
    -------
    dict
        Tag key -> value ({} for None or "").
    """
    if not text:
        return {}
    unescape = lambda s: re.sub(r"\\(.)", r"\1", s)  # noqa: E731
    return {unescape(k): unescape(v) for k, v in _HSTORE_PAIR.findall(str(text))}


def read_osm_areas(path: Path, role: str) -> OsmAreas:
    """Every area (multipolygon relation or closed area way) of an OSM XML or PBF file, with its tags.

    Read through GDAL's OSM driver with the open option ``USE_CUSTOM_INDEXING=NO`` (the SQLite node index),
    which also accepts the negative ids of files saved by editors before upload. Tags outside GDAL's default
    ``osmconf.ini`` columns come from the ``other_tags`` field. An unreadable file is an InputError naming it.

    Parameters
    ----------
    path : Path
        An ``.osm`` or ``.osm.pbf`` file.
    role : str
        What the file is, for messages.

    Returns
    -------
    OsmAreas
        The areas with a geometry, in WGS 84 lon/lat (degrees), their ids and tags, and how many had none.
    """
    import pyogrio
    from pyproj import CRS

    path = require_file(path, role)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            meta, _, geoms, field_data = pyogrio.raw.read(path, layer=OSM_AREA_LAYER, USE_CUSTOM_INDEXING="NO")
    except Exception as exc:  # pyogrio DataSourceError / DataLayerError and GDAL errors
        raise InputError(path, f"{role}: cannot be read as an OpenStreetMap file (truncated or corrupt?): "
                               f"{gdal_detail(exc)}") from None
    for w in dict.fromkeys(one_line(str(w.message)) for w in caught):
        log.warning("%s: %s: %s", path.name, role, w)
    names = [str(n) for n in meta["fields"]]
    columns = {n: np.asarray(v, dtype=object) for n, v in zip(names, field_data)}
    count = len(geoms) if geoms is not None else 0
    try:
        geometry = shapely.from_wkb(geoms, on_invalid="raise") if count else np.array([], dtype=object)
    except Exception as exc:  # GEOSException on unparsable WKB
        raise InputError(path, f"{role}: a geometry cannot be decoded ({gdal_detail(exc)})") from None
    ids, tags = [], []
    for i in range(count):
        rel, way = columns.get("osm_id", [None] * count)[i], columns.get("osm_way_id", [None] * count)[i]
        ids.append(f"relation {rel}" if rel not in (None, "") else f"way {way}")
        t = {n: str(columns[n][i]) for n in names
             if n not in ("osm_id", "osm_way_id", "other_tags") and columns[n][i] not in (None, "")}
        t.update(parse_hstore(columns["other_tags"][i] if "other_tags" in columns else None))
        tags.append(t)
    keep = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry)) if count else np.zeros(0, bool)
    crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else CRS.from_epsg(4326)
    return OsmAreas(path, geometry[keep], [d for d, k in zip(ids, keep) if k], [t for t, k in zip(tags, keep) if k],
                    crs, int((~keep).sum()))


@dataclass(frozen=True)
class OsmRefs:
    """What an OSM XML file references, to see what is missing from it (GDAL's OSM driver builds ways with
    missing nodes shorter, or not at all, and multipolygons without their missing member ways, silently).

    ``ways``: way id -> (node refs, tags); ``relations``: relation id -> (member way refs, tags);
    ``missing_nodes``: way id -> how many of its node refs are not in the file.
    """

    ways: dict[int, tuple[list[int], dict[str, str]]]
    relations: dict[int, tuple[list[int], dict[str, str]]]
    missing_nodes: dict[int, int]


def read_osm_refs(path: Path, role: str) -> OsmRefs | None:
    """The references of an OSM XML file, read in one streaming pass (``xml.etree.ElementTree.iterparse``);
    None for a PBF file (a binary format this check does not read).

    Parameters
    ----------
    path : Path
        An ``.osm`` or ``.osm.pbf`` file.
    role : str
        What the file is, for messages.

    Returns
    -------
    OsmRefs or None
        The ways' node references and the relations' member ways, with what the file lacks.
    """
    import xml.etree.ElementTree as ET

    if Path(path).suffix.lower() != ".osm":
        return None
    nodes: set[int] = set()
    ways: dict[int, tuple[list[int], dict[str, str]]] = {}
    relations: dict[int, tuple[list[int], dict[str, str]]] = {}
    try:
        for _, el in ET.iterparse(path, events=("end",)):
            if el.tag == "node":
                nodes.add(int(el.get("id")))
            elif el.tag in ("way", "relation"):
                tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
                if el.tag == "way":
                    ways[int(el.get("id"))] = ([int(n.get("ref")) for n in el.findall("nd")], tags)
                else:
                    relations[int(el.get("id"))] = ([int(m.get("ref")) for m in el.findall("member")
                                                     if m.get("type") == "way"], tags)
            else:
                continue
            el.clear()
    except (ET.ParseError, TypeError, ValueError) as exc:
        raise InputError(path, f"{role}: cannot be read as OpenStreetMap XML ({one_line(exc)})") from None
    missing = {w: sum(r not in nodes for r in refs) for w, (refs, _) in ways.items()}
    return OsmRefs(ways, relations, {w: n for w, n in missing.items() if n})


# ------------------------------------------------------------------------------------------- point tables
XY_COLUMNS = (("x", "y"), ("lon", "lat"), ("longitude", "latitude"), ("easting", "northing"))


@dataclass(frozen=True)
class XyTable:
    """Points of a CSV: ``xy`` (n, 2) as written (x = easting or longitude), ``values`` (n,) of the value
    column, ``axes`` the coordinate columns used (e.g. ("lon", "lat")) and ``lines`` the CSV line of each row."""

    path: Path
    xy: np.ndarray
    values: np.ndarray
    axes: tuple[str, str]
    lines: np.ndarray


def read_xy_csv(path: Path, role: str, *, value_column: str, value_key: str) -> XyTable:
    """A CSV of points: coordinate columns x/y, lon/lat, longitude/latitude or easting/northing (any case) and
    the numeric column ``value_column`` (named by the config key ``value_key``); every problem is an
    InputError naming the file and, for a bad cell, its line.

    Parameters
    ----------
    path : Path
        The CSV (a header row, then one point per row).
    role : str
        What the file is, for messages (e.g. "depth soundings").
    value_column : str
        The value column's name (any case).
    value_key : str
        The config key naming ``value_column``, quoted when the column is missing.

    Returns
    -------
    XyTable
        Coordinates as written, in the CRS the caller knows (a CSV states none), and the values as written.
    """
    path = require_file(path, role)
    header, rows = read_csv_rows(path, role)
    lower = {h.strip().lower(): h for h in header}
    axes = next(((lower[a], lower[b]) for a, b in XY_COLUMNS if a in lower and b in lower), None)
    if axes is None:
        raise InputError(path, f"{role}: no coordinate columns (expected one of "
                               f"{', '.join('/'.join(p) for p in XY_COLUMNS)}; header has: "
                               f"{', '.join(header) or 'nothing'})")
    column = lower.get(value_column.strip().lower())
    if column is None:
        raise InputError(path, f"{role}: no column {value_column!r} ({value_key}); header has: {', '.join(header)}")
    if not rows:
        raise InputError(path, f"{role}: no rows")
    out = np.empty((len(rows), 3))
    for n, r in enumerate(rows):
        for j, c in enumerate((*axes, column)):
            text = (r.get(c) or "").strip()
            try:
                out[n, j] = float(text)
            except ValueError:
                raise InputError(path, f"{role} line {n + 2}: {c} {text!r} is not a number") from None
            if not math.isfinite(out[n, j]):
                raise InputError(path, f"{role} line {n + 2}: {c} {text!r} is not a finite number")
    return XyTable(path, out[:, :2], out[:, 2], (axes[0].strip().lower(), axes[1].strip().lower()),
                   np.arange(2, len(rows) + 2))
