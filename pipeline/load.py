"""Stage 1 — load: read every input, validate it, repair what can be repaired, put it in a metric CRS.

Each problem with an input raises :class:`InputError` naming the file. Nothing here computes a border.
"""
from __future__ import annotations

import csv
import hashlib
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
from rasterio.features import rasterize
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from .config import Config
from .errors import InputError
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


def _require_file(path: Path | None, role: str) -> Path:
    if path is None or not Path(path).is_file():
        raise InputError(path, f"{role} file not found")
    return Path(path)


def read_vector(path: Path, layer: str, role: str) -> gpd.GeoDataFrame:
    """Read one layer with pyogrio; empty, CRS-less or unreadable data is an InputError."""
    path = _require_file(path, role)
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
        if layer and layer not in layers:
            raise InputError(path, f"{role}: no layer {layer!r} (layers: {', '.join(layers)})")
        gdf = gpd.read_file(path, layer=layer or None, engine="pyogrio")
    except InputError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, and GDAL errors
        raise InputError(path, f"{role}: cannot be read as a vector data set ({type(exc).__name__}: "
                               f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})") from None
    if len(gdf) == 0 or gdf.geometry.isna().all() or gdf.geometry.is_empty.all():
        raise InputError(path, f"{role}: layer {layer or '(first)'} is empty")
    if gdf.crs is None:
        raise InputError(path, f"{role}: no CRS is defined; set one (e.g. EPSG:4326) in the file")
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


def repair(geom: BaseGeometry, kind: str, path: Path, role: str, label: str, repairs: list[str]) -> BaseGeometry:
    """make_valid an invalid geometry and keep its ``kind`` parts ("Polygon"); log what was done."""
    if geom.is_valid:
        return geom
    reason = shapely.is_valid_reason(geom)
    fixed = shapely.make_valid(geom)
    parts = [g for g in shapely.get_parts(fixed) if g.geom_type == kind] if fixed.geom_type == "GeometryCollection" \
        else [fixed]
    fixed = shapely.union_all(parts) if parts else shapely.Polygon()
    if fixed.is_empty or not fixed.is_valid or not fixed.geom_type.endswith(kind):
        raise InputError(path, f"{role}: invalid geometry in {label} cannot be repaired ({reason})")
    msg = f"{path.name}: {role} {label} repaired with make_valid ({reason})"
    log.warning(msg)
    repairs.append(msg)
    return fixed


def _polygons(gdf: gpd.GeoDataFrame, path: Path, role: str, label_col: str | None,
              repairs: list[str]) -> list[tuple[str, BaseGeometry]]:
    types = set(gdf.geometry.geom_type)
    if not types <= {"Polygon", "MultiPolygon"}:
        raise InputError(path, f"{role}: wrong geometry type {sorted(types)}; expected Polygon/MultiPolygon")
    out = []
    for i, (idx, row) in enumerate(gdf.iterrows()):
        label = f"feature {i}" if label_col is None else f"{label_col}={row[label_col]}"
        out.append((label if label_col is None else str(row[label_col]),
                    repair(row.geometry, "Polygon", path, role, label, repairs)))
    return out


def read_points(path: Path) -> dict[str, TreatyPoint]:
    """Treaty points CSV (columns POINT_COLUMNS), each point in its published datum."""
    path = _require_file(path, "treaty points")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"treaty points: not a readable UTF-8 CSV ({exc})") from None
    if not rows:
        raise InputError(path, "treaty points: no rows")
    missing = [c for c in POINT_COLUMNS if c not in rows[0]]
    if missing:
        raise InputError(path, f"treaty points: missing column(s) {', '.join(missing)}")
    out: dict[str, TreatyPoint] = {}
    for n, r in enumerate(rows, start=2):
        try:
            lat, lon = float(r["lat"]), float(r["lon"])
            crs = CRS.from_user_input(r["crs"])
        except (ValueError, CRSError) as exc:
            raise InputError(path, f"treaty points line {n} ({r.get('id')}): {exc}") from None
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
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputError(path, "depth raster: no CRS defined")
            crs = CRS.from_user_input(src.crs.to_wkt())
            if not crs.is_projected:
                raise InputError(path, "depth raster: CRS must be projected (metres), got geographic")
            band = src.read(1, masked=True).astype("float64")
            transform, res = src.transform, src.res
    except InputError:
        raise
    except Exception as exc:  # RasterioIOError and GDAL errors on truncated files
        raise InputError(path, f"depth raster: cannot be read ({str(exc).splitlines()[0]})") from None
    depth = band.filled(np.nan)
    depth[~np.isfinite(depth)] = np.nan
    if np.isnan(depth).all():
        raise InputError(path, "depth raster: every cell is nodata")
    if abs(res[0] - res[1]) > 1e-6 * res[0]:
        raise InputError(path, f"depth raster: cells must be square, got {res}")
    water = reproject(water_metric, metric, crs)
    h, w = depth.shape
    grid = box(*rasterio.transform.array_bounds(h, w, transform))
    covered = water.intersection(grid).area / water.area
    if covered < 0.99:
        raise InputError(path, f"depth raster: covers only {covered:.1%} of the river water area")
    inside = rasterize([(water, 1)], out_shape=depth.shape, transform=transform, dtype="uint8").astype(bool)
    frac = np.isfinite(depth[inside]).mean() if inside.any() else 0.0
    if frac < 0.5:
        raise InputError(path, f"depth raster: only {frac:.1%} of the river's cells hold depth values")
    return DepthGrid(path, depth, transform, crs, float(res[0]))


def load_inputs(cfg: Config) -> Inputs:
    ic, sides = cfg.inputs, cfg.sides
    repairs: list[str] = []
    provenance = {role: {"path": str(p), "sha256": sha256(_require_file(p, role)), "bytes": p.stat().st_size}
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
    metric = resolve_metric_crs(cfg.crs.metric, lonlat_bounds)
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
    frame = to_metric(frame_ll, metric)

    river = read_vector(ic.river, ic.river_layer, "river")
    parts = [g for _, g in _polygons(river, ic.river, "river", None, repairs)]
    water = reproject(shapely.union_all(parts), CRS.from_user_input(river.crs), metric)
    water = shapely.union_all([water])
    if not water.is_valid:
        water = repair(water, "Polygon", ic.river, "river", "union of features", repairs)
    land_union = shapely.union_all(list(land.values()))
    if not water.intersects(land_union.buffer(1.0)):
        raise InputError(ic.river, "river: the water area does not overlap the coast data set's land "
                                   "(wrong CRS or wrong place?)")
    if not water.within(frame.buffer(1.0)):
        raise InputError(ic.river, "river: the water area extends beyond the coast data set's extent")

    points = read_points(ic.points)
    for pid in (cfg.tripoint.monument, cfg.mouth.treaty_point):
        if pid not in points:
            raise InputError(ic.points, f"treaty points: no point with id {pid!r} (ids: {', '.join(points)})")
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
