"""Stage 1 — load: read every input, validate it, repair what can be repaired, put it in a metric CRS.

Each problem with an input raises :class:`InputError` naming the file. Nothing here computes a border.
"""
from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.features import rasterize
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from .config import Config
from .errors import InputError, one_line
from .geodesy import WGS84, best_transformer, reproject, resolve_metric_crs, to_metric

log = logging.getLogger(__name__)

POINT_COLUMNS = ("id", "name", "kind", "datum", "crs", "lat", "lon", "published", "source")


@dataclass(frozen=True)
class TreatyPoint:
    id: str
    name: str
    kind: str            # "monument" or "mouth"
    datum: str           # as published
    crs: str             # the CRS of lat/lon as published
    lat: float           # as published
    lon: float
    published: str
    source: str
    lon_wgs84: float     # after the datum transform (equal to lon/lat when published in WGS 84)
    lat_wgs84: float
    transform: str       # pyproj's description of the operation used ("" when none was needed)
    transform_accuracy_m: float | None


@dataclass(frozen=True)
class DepthGrid:
    path: Path
    depth: np.ndarray          # float64, NaN where no data
    transform: object          # affine.Affine of the grid
    crs: CRS
    cell_m: float


@dataclass(frozen=True)
class Inputs:
    metric_crs: CRS
    lonlat_bounds: tuple[float, float, float, float]
    frame: BaseGeometry                 # the data extent (metric), outside which nothing is known
    land: dict[str, BaseGeometry]       # side code -> land polygons (metric), rivers not cut out
    water: BaseGeometry                 # river water area (metric), islands as holes
    points: dict[str, TreatyPoint]
    depth: DepthGrid | None
    reference: dict[str, BaseGeometry] | None   # side code -> territory polygons incl. sea (metric)
    repairs: list[str] = field(default_factory=list)
    provenance: dict[str, dict] = field(default_factory=dict)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# what each role is called in messages, and the config key that names its file
ROLES = {"coast": ("coast", "inputs.coast"), "river": ("river", "inputs.river"),
         "points": ("treaty points", "inputs.points"), "depth": ("depth raster", "inputs.depth"),
         "reference": ("reference border", "inputs.reference")}


def _require_file(path: Path | None, role: str, key: str = "") -> Path:
    where = f" (set by {key})" if key else ""
    if path is None:
        raise InputError(None, f"no {role} file given{where}")
    path = Path(path)
    if path.is_dir():
        raise InputError(path, f"{role}: is a folder, not a file{where}")
    if not path.is_file():
        raise InputError(path, f"{role} file not found{where}")
    return path


def _gdal_detail(exc: BaseException | str, limit: int = 240) -> str:
    """GDAL's message without SQL statements and repeats, on one line, at most ``limit`` characters."""
    text = one_line(str(exc))
    text = re.sub(r"sqlite3_\w+\(.*?\) failed: ", "", text)
    parts = []
    for part in re.split(r";\s*", text):
        if part and part not in parts:
            parts.append(part)
    text = "; ".join(parts) or "no detail"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _sidecar(path: Path, suffix: str) -> Path | None:
    for cand in (path.with_suffix(suffix.lower()), path.with_suffix(suffix.upper())):
        if cand.is_file():
            return cand
    return None


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


def _check_crs(gdf: gpd.GeoDataFrame, path: Path, role: str, gdal_warnings: list[str]) -> None:
    """No CRS, or one GDAL/PROJ cannot understand, is an InputError naming the file at fault."""
    name = _geojson_crs_name(path)
    if name is not None:
        try:
            CRS.from_user_input(name)
        except CRSError:  # GDAL ignores a "crs" member it cannot parse and assumes WGS 84
            raise InputError(path, f"{role}: unknown CRS {name!r} in the GeoJSON \"crs\" member (PROJ does not "
                                   "know it); remove the member if the coordinates are WGS 84 lon/lat") from None
    if gdf.crs is not None:
        return
    prj = _sidecar(path, ".prj") if path.suffix.lower() == ".shp" else None
    if prj is not None:
        text = prj.read_text(encoding="utf-8", errors="replace").strip()
        try:
            CRS.from_user_input(text)
        except CRSError:
            raise InputError(prj, f"{role}: unknown CRS: the .prj of {path.name} holds no CRS that GDAL/PROJ "
                                  f"understands ({text[:60]!r}); replace it with a valid WKT .prj") from None
    crs_warnings = [w for w in gdal_warnings if "srs" in w.lower() or "crs" in w.lower() or "projection" in w.lower()]
    if crs_warnings:
        raise InputError(path, f"{role}: unknown CRS: {_gdal_detail(crs_warnings[0])}")
    raise InputError(path, f"{role}: no CRS is defined; set one in the file (e.g. EPSG:4326 for lon/lat; "
                           "for a Shapefile, add its .prj)")


def read_vector(path: Path, layer: str, role: str) -> gpd.GeoDataFrame:
    """Read one layer with pyogrio; empty, CRS-less or unreadable data is an InputError."""
    path = _require_file(path, role)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layers = [name for name, _ in pyogrio.list_layers(path)]
            if not layers:
                raise InputError(path, f"{role}: the data set holds no layers")
            if layer and layer not in layers:
                raise InputError(path, f"{role}: no layer {layer!r} (layers: {', '.join(layers)})")
            if not layer and len(layers) > 1:
                log.warning("%s: %s: no layer configured; reading the first of %d layers, %r",
                            path.name, role, len(layers), layers[0])
            layer = layer or layers[0]
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except InputError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, and GDAL errors
        raise InputError(path, f"{role}: cannot be read as a vector data set (truncated or corrupt?): "
                               f"{_gdal_detail(exc)}") from None
    gdal_warnings = list(dict.fromkeys(one_line(str(w.message)) for w in caught))
    try:
        if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
            raise InputError(path, f"{role}: layer {layer!r} has no geometry column")
        if len(gdf) == 0 or gdf.geometry.isna().all() or gdf.geometry.is_empty.all():
            raise InputError(path, f"{role}: layer {layer!r} is empty (no features with a geometry)")
        _check_crs(gdf, path, role, gdal_warnings)
    except InputError as exc:
        gdal_warnings = [w for w in gdal_warnings if w not in exc.problem]
        raise
    finally:
        for w in gdal_warnings:  # what GDAL said while reading, unless the error already says it
            log.warning("%s: %s: %s", path.name, role, w)
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    _check_axis_order(gdf, path, role)
    return gdf


def _check_axis_order(gdf: gpd.GeoDataFrame, path: Path, role: str) -> None:
    """Geographic data must have |lat| <= 90 once read in lon/lat order (GeoJSON/OGC axis order)."""
    if not gdf.crs.is_geographic:
        return
    minx, miny, maxx, maxy = gdf.total_bounds
    if miny < -90 or maxy > 90:
        hint = " (lat/lon swapped?)" if -90 <= minx and maxx <= 90 else ""
        raise InputError(path, f"{role}: latitudes outside [-90, 90]{hint}: bounds {gdf.total_bounds.round(4).tolist()}")
    if minx < -180 or maxx > 360:
        raise InputError(path, f"{role}: longitudes outside [-180, 180]: bounds {gdf.total_bounds.round(4).tolist()}")


def _flat_parts(geom: BaseGeometry) -> list[BaseGeometry]:
    """Single-part geometries of ``geom``, collections and multi-geometries exploded at every level."""
    if geom.geom_type.startswith("Multi") or geom.geom_type == "GeometryCollection":
        return [p for g in shapely.get_parts(geom) for p in _flat_parts(g)]
    return [geom]


def repair(geom: BaseGeometry, kind: str, path: Path, role: str, label: str, repairs: list[str]) -> BaseGeometry:
    """make_valid an invalid geometry and keep its ``kind`` parts ("Polygon"); log what was done."""
    if geom.is_valid:
        return geom
    reason = shapely.is_valid_reason(geom)
    made = _flat_parts(shapely.make_valid(geom))
    parts = [g for g in made if g.geom_type == kind and not g.is_empty]
    fixed = shapely.union_all(parts) if parts else shapely.Polygon()
    if fixed.is_empty or not fixed.is_valid or not fixed.geom_type.endswith(kind):
        left = ", ".join(sorted({g.geom_type for g in made if g.geom_type != kind})) or "nothing"
        raise InputError(path, f"{role}: invalid geometry in {label} cannot be repaired ({reason}); make_valid "
                               f"leaves no {kind.lower()}, only {left} (a zero-area ring?)")
    msg = f"{path.name}: {role} {label} repaired with make_valid ({reason})"
    log.warning(msg)
    repairs.append(msg)
    return fixed


def _polygons(gdf: gpd.GeoDataFrame, path: Path, role: str, label_col: str | None,
              repairs: list[str]) -> list[tuple[str, BaseGeometry]]:
    types = set(gdf.geometry.geom_type)
    if not types <= {"Polygon", "MultiPolygon"}:
        raise InputError(path, f"{role}: wrong geometry type {', '.join(sorted(types))}; expected polygons "
                               "(Polygon/MultiPolygon)")
    out = []
    for i, (_, row) in enumerate(gdf.iterrows()):
        label = f"feature {i}" if label_col is None else f"{label_col}={row[label_col]}"
        out.append((label if label_col is None else str(row[label_col]),
                    repair(row.geometry, "Polygon", path, role, label, repairs)))
    return out


def _check_not_degenerate(geom: BaseGeometry, path: Path, role: str, what: str, min_width_m: float = 1.0) -> None:
    """A (metric) polygon area whose mean width (2 * area / perimeter) is below ``min_width_m`` is degenerate."""
    width = 2 * geom.area / geom.length if geom.length > 0 else 0.0
    if width < min_width_m:
        raise InputError(path, f"{role}: {what} is degenerate: area {geom.area:.3g} m2, mean width {width:.3g} m "
                               "(zero-area or sliver polygons?)")


def read_points(path: Path) -> dict[str, TreatyPoint]:
    """Treaty points CSV (columns POINT_COLUMNS), each point in its published datum."""
    path = _require_file(path, "treaty points")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            header = reader.fieldnames or []
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"treaty points: not a readable UTF-8 CSV ({exc})") from None
    missing = [c for c in POINT_COLUMNS if c not in header]
    if missing:
        raise InputError(path, f"treaty points: missing column(s) {', '.join(missing)} "
                               f"(header has: {', '.join(header) or 'nothing'})")
    if not rows:
        raise InputError(path, "treaty points: no rows")
    out: dict[str, TreatyPoint] = {}
    for n, r in enumerate(rows, start=2):
        if None in r or any(r[c] is None for c in POINT_COLUMNS):
            got = len([v for k, v in r.items() if k is not None and v is not None]) + len(r.get(None) or [])
            raise InputError(path, f"treaty points line {n}: {got} fields, expected {len(header)} "
                                   "(a comma inside an unquoted value?)")
        for c in ("lat", "lon"):
            try:
                float(r[c])
            except ValueError:
                raise InputError(path, f"treaty points line {n} ({r['id']}): {c} {r[c]!r} is not a number "
                                       "(decimal degrees expected)") from None
        lat, lon = float(r["lat"]), float(r["lon"])
        try:
            crs = CRS.from_user_input(r["crs"])
        except CRSError:
            raise InputError(path, f"treaty points line {n} ({r['id']}): crs {r['crs']!r} is not a CRS PROJ knows "
                                   "(e.g. EPSG:4326)") from None
        if not crs.is_geographic:
            raise InputError(path, f"treaty points line {n}: crs {r['crs']} is not geographic lat/lon")
        if not (-90 <= lat <= 90 and -180 <= lon <= 360):
            raise InputError(path, f"treaty points line {n} ({r['id']}): lat {lat} / lon {lon} out of range "
                                   "(lat/lon swapped?)")
        if crs.equals(WGS84, ignore_axis_order=True):
            lonw, latw, desc, acc = lon, lat, "", None
        else:
            try:
                t = best_transformer(crs, WGS84, lon, lat)
            except ValueError as exc:
                raise InputError(path, f"treaty points line {n}: {exc}") from None
            lonw, latw = t.transform(lon, lat)
            desc, acc = t.description, (t.accuracy if t.accuracy >= 0 else None)
            if not (math.isfinite(lonw) and math.isfinite(latw)):
                raise InputError(path, f"treaty points line {n}: no datum transform from {r['crs']} to WGS 84")
        if r["id"] in out:
            raise InputError(path, f"treaty points line {n}: duplicate id {r['id']}")
        out[r["id"]] = TreatyPoint(r["id"], r["name"], r["kind"], r["datum"], r["crs"], lat, lon,
                                   r["published"], r["source"], float(lonw), float(latw), desc, acc)
    return out


def read_depth(path: Path, water_metric: BaseGeometry, metric: CRS) -> DepthGrid:
    path = _require_file(path, "depth raster")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a missing CRS is reported below
            src = rasterio.open(path)
        with src:
            if src.crs is None:
                raise InputError(path, "depth raster: no CRS is defined; set a projected (metre) CRS")
            try:
                crs = CRS.from_user_input(src.crs.to_wkt())
            except CRSError as exc:
                raise InputError(path, f"depth raster: unknown CRS ({_gdal_detail(exc)})") from None
            if not crs.is_projected:
                raise InputError(path, f"depth raster: CRS must be projected (metres), got {crs.name}")
            band = src.read(1, masked=True).astype("float64")
            transform, res, nodata = src.transform, src.res, src.nodata
    except InputError:
        raise
    except Exception as exc:  # RasterioIOError and GDAL errors on truncated files
        raise InputError(path, f"depth raster: cannot be read (truncated or corrupt?): {_gdal_detail(exc)}") from None
    depth = band.filled(np.nan)
    depth[~np.isfinite(depth)] = np.nan
    if np.isnan(depth).all():
        raise InputError(path, f"depth raster: every cell is nodata (nodata value {nodata}); no depth to use")
    if abs(res[0] - res[1]) > 1e-6 * res[0]:
        raise InputError(path, f"depth raster: cells must be square, got {res}")
    water = reproject(water_metric, metric, crs)
    h, w = depth.shape
    grid = box(*rasterio.transform.array_bounds(h, w, transform))
    covered = water.intersection(grid).area / water.area
    if covered < 0.99:
        raise InputError(path, f"depth raster: covers only {covered:.1%} of the river water area (raster bounds "
                               f"{[round(v) for v in grid.bounds]} in {crs.name}; river "
                               f"{[round(v) for v in water.bounds]})")
    inside = rasterize([(water, 1)], out_shape=depth.shape, transform=transform, dtype="uint8").astype(bool)
    frac = np.isfinite(depth[inside]).mean() if inside.any() else 0.0
    if frac < 0.5:
        raise InputError(path, f"depth raster: only {frac:.1%} of the river's cells hold depth values")
    return DepthGrid(path, depth, transform, crs, float(res[0]))


def load_inputs(cfg: Config) -> Inputs:
    ic, sides = cfg.inputs, cfg.sides
    repairs: list[str] = []
    provenance = {role: {"path": str(p), "sha256": sha256(_require_file(p, *ROLES.get(role, (role, "")))),
                         "bytes": p.stat().st_size}
                  for role, p in cfg.input_files().items()}

    coast = read_vector(ic.coast, ic.coast_layer, "coast")
    if ic.coast_side_field not in coast.columns:
        raise InputError(ic.coast, f"coast: no column {ic.coast_side_field!r} naming the country of each polygon")
    coast_ll = coast.to_crs(WGS84)
    lonlat_bounds = tuple(float(v) for v in coast_ll.total_bounds)
    if ic.coast_extent is not None:
        w, s, e, n = ic.coast_extent
        if not (w < e and s < n and w <= lonlat_bounds[0] + 1e-6 and e >= lonlat_bounds[2] - 1e-6
                and s <= lonlat_bounds[1] + 1e-6 and n >= lonlat_bounds[3] - 1e-6):
            raise InputError(cfg.path, f"inputs.coast_extent {ic.coast_extent} does not contain the coast "
                                       f"data's bounds {[round(v, 5) for v in lonlat_bounds]}")
        lonlat_bounds = (w, s, e, n)
    try:
        metric = resolve_metric_crs(cfg.crs.metric, lonlat_bounds)
    except (ValueError, CRSError) as exc:
        raise InputError(cfg.path, f"crs.metric: {one_line(str(exc))}") from None
    land_parts = _polygons(coast_ll, ic.coast, "coast", ic.coast_side_field, repairs)
    land: dict[str, BaseGeometry] = {}
    for side, g in land_parts:
        land[side] = shapely.union_all([land[side], g]) if side in land else g
    for side in (sides.left, sides.right):
        if side not in land:
            raise InputError(ic.coast, f"coast: no polygon with {ic.coast_side_field} = {side!r} "
                                       f"(found {sorted(land)})")
    frame_ll = shapely.segmentize(box(*lonlat_bounds), 0.001)
    land = {k: to_metric(v, metric) for k, v in land.items()}
    for side in (sides.left, sides.right):
        _check_not_degenerate(land[side], ic.coast, "coast", f"the land of {ic.coast_side_field} = {side!r}")
    frame = to_metric(frame_ll, metric)

    river = read_vector(ic.river, ic.river_layer, "river")
    parts = [g for _, g in _polygons(river, ic.river, "river", None, repairs)]
    water = reproject(shapely.union_all(parts), CRS.from_user_input(river.crs), metric)
    if not water.is_valid:
        water = repair(water, "Polygon", ic.river, "river", "union of features", repairs)
    _check_not_degenerate(water, ic.river, "river", "the water area")
    land_union = shapely.union_all(list(land.values()))
    if not water.intersects(land_union.buffer(1.0)):
        where = "inside" if water.intersects(frame) else "outside"
        raise InputError(ic.river, f"river: the water area does not touch the coast data set's land: it lies "
                                   f"{water.distance(land_union) / 1000:.1f} km from it, {where} the coast extent "
                                   f"{[round(v, 3) for v in lonlat_bounds]} (wrong CRS or wrong place?)")
    if not water.within(frame.buffer(1.0)):
        out = water.difference(frame).area / water.area
        raise InputError(ic.river, f"river: {out:.1%} of the water area lies beyond the coast data set's extent "
                                   f"{[round(v, 3) for v in lonlat_bounds]}")

    points = read_points(ic.points)
    cfg_name = cfg.path.name if cfg.path else "the config"
    for key, pid in (("tripoint.monument", cfg.tripoint.monument), ("tripoint.compare_monument",
                                                                    cfg.tripoint.compare_monument),
                     ("mouth.treaty_point", cfg.mouth.treaty_point)):
        if pid and pid not in points:
            raise InputError(ic.points, f"treaty points: no point with id {pid!r}, which {key} in {cfg_name} "
                                        f"names (ids: {', '.join(points)})")
    depth = read_depth(ic.depth, water, metric) if ic.depth is not None else None

    reference = None
    if ic.reference is not None:
        ref = read_vector(ic.reference, ic.reference_layer, "reference border")
        if ic.reference_side_field not in ref.columns:
            raise InputError(ic.reference, f"reference border: no column {ic.reference_side_field!r}")
        ref_parts = _polygons(ref.to_crs(WGS84), ic.reference, "reference border", ic.reference_side_field, repairs)
        reference = {side: to_metric(g, metric) for side, g in ref_parts}
        for side in (sides.left, sides.right):
            if side not in reference:
                raise InputError(ic.reference, f"reference border: no polygon for {side!r}")

    log.info("loaded coast (%d polygons), river (%d parts), %d treaty points%s; metric CRS %s",
             len(land_parts), len(parts), len(points), ", depth grid" if depth else "", metric.srs)
    return Inputs(metric, lonlat_bounds, frame, land, water, points, depth, reference, repairs, provenance)
