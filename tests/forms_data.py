"""Generators of river and depth inputs in the forms analysts hold, made from the bundled modelled inputs
(``inputs/tumen/modelled/tumen_river.gpkg`` layer ``water``, ``inputs/tumen/modelled/tumen_depth.tif``).

Each writer takes the geometry it should encode (in the modelled file's CRS, EPSG:32652) and writes one
file; transforms are pyproj called directly, geometry is shapely, rasters rasterio -- nothing here calls the
pipeline. Plain functions, no pytest:

``modelled_river``    the water polygon and its CRS; ``modelled_centreline`` the model's centre line
``write_mask``        a 0/1 GeoTIFF of the river rasterised at ``cell_m``, with speckle (small water patches
                      on land) and small holes (land cells in the river) planted; returns what was planted
``percent_mask``      the same mask as water occurrence in percent (water 60..100, land 0..40)
``write_osm``         an OSM XML file: the river as a multipolygon relation (outer ring in two ways, islands as
                      inner ways), plus decoy areas with their own tags; negative ids, as editors save them
``split_banks``       the river's outer ring cut at the upstream cap and at the closing-line ends into the
                      two bank lines; ``write_banks`` writes them and the islands (closed lines) to GeoJSON
``sounding_points``   depth sampled from the depth GeoTIFF every ``step_m`` along cross-sections of the
                      centre line every ``spacing_m``; ``write_soundings_gpkg`` / ``write_soundings_csv``
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

ROOT = Path(__file__).resolve().parents[1]
MODELLED_RIVER = ROOT / "inputs" / "tumen" / "modelled" / "tumen_river.gpkg"
RIVER_LAYER = "water"
MODELLED_DEPTH = ROOT / "inputs" / "tumen" / "modelled" / "tumen_depth.tif"
COAST = ROOT / "inputs" / "tumen" / "osm_land_coastline_tumen.geojson"
WGS84 = CRS.from_epsg(4326)


def modelled_river() -> tuple[Polygon, CRS]:
    df = pyogrio.read_dataframe(MODELLED_RIVER, layer=RIVER_LAYER)
    (geom,) = df.geometry
    return geom, CRS.from_user_input(df.crs)


def modelled_centreline() -> LineString:
    df = pyogrio.read_dataframe(MODELLED_RIVER, layer="model_centreline")
    return df.geometry.iloc[0]


def transform_geom(geom, src: CRS, dst: CRS):
    t = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


# ------------------------------------------------------------------------------------------- raster mask
@dataclass(frozen=True)
class MaskInfo:
    path: Path
    transform: object
    shape: tuple[int, int]
    river: np.ndarray          # bool: cells of the rasterised river (before anything was planted)
    speckle: np.ndarray        # bool: planted water cells on land (patches below the speckle area)
    holes: np.ndarray          # bool: planted land cells in the river (holes below the speckle area)
    cell_m: float


def _grid(bounds, cell_m: float, margin_m: float):
    from rasterio.transform import from_origin

    minx, miny, maxx, maxy = bounds
    x0 = np.floor((minx - margin_m) / cell_m) * cell_m + 0.37 * cell_m   # not aligned with the depth grid
    y1 = np.ceil((maxy + margin_m) / cell_m) * cell_m + 0.61 * cell_m
    w = int(np.ceil((maxx + margin_m - x0) / cell_m))
    h = int(np.ceil((y1 - (miny - margin_m)) / cell_m))
    return from_origin(x0, y1, cell_m, cell_m), (h, w)


def coast_land(crs: CRS) -> BaseGeometry:
    """The union of the bundled coast data's land polygons, in ``crs``."""
    df = pyogrio.read_dataframe(COAST)
    return transform_geom(shapely.union_all(df.geometry.values), CRS.from_user_input(df.crs), crs)


def run_on(closing_line: LineString, river: Polygon, length_m: float) -> Polygon:
    """The river continued ``length_m`` straight into the sea beyond its ``closing_line`` (a rectangle on the
    line, on the side away from the river), as a water mask clipped to the river corridor shows it: the
    modelled polygon itself stops at the closing line."""
    a, b = (np.asarray(c, float) for c in closing_line.coords)
    t = (b - a) / np.linalg.norm(b - a)
    n = np.array([-t[1], t[0]])
    mid = (a + b) / 2
    if river.contains(Point(mid + n)):
        n = -n
    return Polygon([a, b, b + length_m * n, a + length_m * n])


def write_mask(path: Path, *, cell_m: float = 10.0, patch_cells: int = 2, n_speckle: int = 6,
               n_holes: int = 6, margin_m: float = 500.0, sea: BaseGeometry | None = None) -> MaskInfo:
    """The river (plus ``sea``, the water beyond its mouth, if given) rasterised -- cell centres inside are
    water, 1; else 0 -- as a uint8 GeoTIFF on a 10 m grid not aligned with the depth grid.

    Planted: ``n_speckle`` water patches of ``patch_cells`` x ``patch_cells`` cells 200 m off the banks on
    land, and ``n_holes`` land patches of the same size in the middle of the river, at least 150 m from the
    islands: both smaller than the default ``inputs.mask_min_area_m2`` when ``patch_cells * cell_m`` is
    below 44 m.
    """
    import rasterio
    from rasterio.features import rasterize

    river, crs = modelled_river()
    transform, shape = _grid(river.bounds, cell_m, margin_m)
    water = river if sea is None else shapely.union_all([river, sea])
    wet = rasterize([(water, 1)], out_shape=shape, transform=transform, dtype="uint8").astype(bool)
    inv = ~transform
    speckle = np.zeros(shape, bool)
    holes = np.zeros(shape, bool)

    def patch(x: float, y: float) -> tuple[slice, slice]:
        col, row = inv @ (x, y)
        r, c = int(row), int(col)
        return slice(r, r + patch_cells), slice(c, c + patch_cells)

    outside = river.exterior.buffer(200.0).exterior  # a line 200 m off the outer bank, on both sides
    for f in np.linspace(0.05, 0.45, n_speckle):
        p = outside.interpolate(f, normalized=True)
        if river.buffer(150.0).contains(p):
            continue
        speckle[patch(p.x, p.y)] = True
    islands = shapely.union_all([Polygon(h) for h in river.interiors]).buffer(150.0)
    line = modelled_centreline()
    for f in np.linspace(0.08, 0.7, n_holes):
        p = line.interpolate(f, normalized=True)
        if islands.contains(p) or not river.buffer(-60.0).contains(p):
            continue
        holes[patch(p.x, p.y)] = True
    holes &= wet
    speckle &= ~wet
    mask = (wet | speckle) & ~holes
    profile = dict(driver="GTiff", width=shape[1], height=shape[0], count=1, dtype="uint8", crs=crs.to_wkt(),
                   transform=transform, compress="deflate")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(mask.astype("uint8"), 1)
    return MaskInfo(Path(path), transform, shape, wet, speckle, holes, cell_m)


def percent_mask(src: MaskInfo, path: Path, *, seed: int = 7) -> np.ndarray:
    """The mask of ``src`` as water occurrence in percent (float32): water cells 60..100, land 0..40; a
    band of land cells at exactly 49.5 and water cells at exactly 50 checks the ">=" of the threshold.
    Returns the percent grid."""
    import rasterio

    with rasterio.open(src.path) as s:
        water = s.read(1).astype(bool)
        profile = s.profile
    rng = np.random.default_rng(seed)
    pct = np.where(water, rng.uniform(60, 100, water.shape), rng.uniform(0, 40, water.shape))
    rows = np.flatnonzero(water.any(axis=1))
    pct[rows[len(rows) // 2], water[rows[len(rows) // 2]]] = 50.0
    pct[rows[len(rows) // 3], ~water[rows[len(rows) // 3]]] = 49.5
    profile.update(dtype="float32", nodata=-1.0)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(pct.astype("float32"), 1)
    return pct


# ------------------------------------------------------------------------------------------- OpenStreetMap
@dataclass(frozen=True)
class OsmArea:
    polygon: Polygon            # lon/lat
    tags: dict
    as_relation: bool           # a multipolygon relation (else a closed way)


def write_osm(path: Path, areas: list[OsmArea], *, split_outer: int = 2) -> dict[int, str]:
    """An OSM XML file holding ``areas``; every id negative (as JOSM saves new objects). Returns
    {index of area: its id as GDAL names it, "relation -k" or "way -k"}. Outer rings of relations are split
    into ``split_outer`` ways (the driver has to join them)."""
    next_id = iter(range(-1, -10_000_000, -1))
    nodes, ways, rels, ids = [], [], [], {}

    def node_refs(coords) -> list[int]:
        refs = []
        for lon, lat in coords[:-1]:
            nid = next(next_id)
            nodes.append(f'  <node id="{nid}" visible="true" lat="{lat:.7f}" lon="{lon:.7f}"/>')
            refs.append(nid)
        return refs + [refs[0]]

    def way(refs, tags=None) -> int:
        wid = next(next_id)
        body = "".join(f'\n    <nd ref="{r}"/>' for r in refs)
        body += "".join(f"\n    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in (tags or {}).items())
        ways.append(f'  <way id="{wid}" visible="true">{body}\n  </way>')
        return wid

    for k, area in enumerate(areas):
        outer = node_refs(list(area.polygon.exterior.coords))
        if not area.as_relation:
            ids[k] = f"way {way(outer, area.tags)}"
            continue
        n = len(outer)
        cuts = np.linspace(0, n - 1, split_outer + 1).astype(int)
        members = [("outer", way(outer[a:b + 1])) for a, b in zip(cuts[:-1], cuts[1:])]
        members += [("inner", way(node_refs(list(h.coords)))) for h in area.polygon.interiors]
        rid = next(next_id)
        body = "".join(f'\n    <member type="way" ref="{w}" role="{role}"/>' for role, w in members)
        tags = {"type": "multipolygon", **area.tags}
        body += "".join(f"\n    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        rels.append(f'  <relation id="{rid}" visible="true">{body}\n  </relation>')
        ids[k] = f"relation {rid}"
    text = "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests/forms_data.py">',
                      *nodes, *ways, *rels, "</osm>", ""])
    Path(path).write_text(text, encoding="utf-8")
    return ids


def decoy_areas(river: Polygon) -> list[tuple[str, Polygon]]:
    """Three areas (in the river's CRS) that overlap its banks, so that taking any of them as water changes
    the water area where the lines run: a farmland square on one bank, a pond and an oxbow lake on the other."""
    line = modelled_centreline()
    out = []
    for name, f, side, size in (("farmland", 0.25, 1, 400.0), ("pond", 0.45, -1, 300.0), ("oxbow", 0.6, 1, 350.0)):
        p = np.asarray(line.interpolate(f, normalized=True).coords[0])
        q = np.asarray(line.interpolate(f + 0.001, normalized=True).coords[0])
        t = (q - p) / np.linalg.norm(q - p)
        normal = side * np.array([-t[1], t[0]])
        bank = Point(p + normal * 1000.0)
        edge = shapely.get_coordinates(shapely.shortest_line(river.exterior, LineString([p, bank.coords[0]])))[0]
        centre = Point(edge + normal * 0.25 * size)     # three quarters on land, a quarter over the water
        shape = centre.buffer(size / 2) if name != "farmland" else box(centre.x - size / 2, centre.y - size / 2,
                                                                          centre.x + size / 2, centre.y + size / 2)
        out.append((name, shape))
    return out


# ------------------------------------------------------------------------------------------- bank lines
def split_banks(river: Polygon, closing_line: LineString) -> tuple[LineString, LineString, LineString, LineString]:
    """The outer ring of ``river`` cut into (bank from the upstream cap to one closing-line end, bank from the
    other closing-line end back to the cap, the cap, the seaward part between the closing-line ends).

    The cap is the ring's edge through the model centre line's upstream end; ``closing_line`` (same CRS)
    has both ends on the ring.
    """
    ring = np.asarray(river.exterior.coords)[:-1]
    start = Point(modelled_centreline().coords[0])
    edges = [LineString([ring[i], ring[(i + 1) % len(ring)]]) for i in range(len(ring))]
    i = int(np.argmin([e.distance(start) for e in edges]))
    rotated = LineString(np.vstack([ring[i + 1:], ring[:i + 1]]))      # cap end -> ... -> other cap end
    s = sorted(rotated.project(Point(c)) for c in closing_line.coords)
    bank1 = substring(rotated, 0.0, s[0])
    sea = substring(rotated, s[0], s[1])
    bank2 = substring(rotated, s[1], rotated.length)
    return bank1, bank2, edges[i], sea


def write_vector(path: Path, geoms: list, crs: CRS, columns: dict | None = None, *, layer: str | None = None,
                 driver: str | None = None) -> None:
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(columns or {}, geometry=list(geoms), crs=crs.to_wkt() if not crs.to_epsg() else
                           f"EPSG:{crs.to_epsg()}")
    pyogrio.write_dataframe(gdf, path, layer=layer, driver=driver)


# ------------------------------------------------------------------------------------------- soundings
def sounding_points(*, spacing_m: float = 100.0, step_m: float = 10.0, half_length_m: float = 1000.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(xy (n, 2) in EPSG:32652, depth (n,) m positive down): the depth GeoTIFF's cell value under points every
    ``step_m`` along cross-sections (perpendicular to the model centre line, ``half_length_m`` each side)
    every ``spacing_m`` along it; points outside the water or on nodata cells are left out."""
    import rasterio

    river, _ = modelled_river()
    line = modelled_centreline()
    pts = []
    for s in np.arange(spacing_m / 2, line.length, spacing_m):
        a = np.asarray(line.interpolate(max(s - 5.0, 0)).coords[0])
        b = np.asarray(line.interpolate(min(s + 5.0, line.length)).coords[0])
        c = np.asarray(line.interpolate(s).coords[0])
        t = (b - a) / np.linalg.norm(b - a)
        n = np.array([-t[1], t[0]])
        k = np.arange(-half_length_m, half_length_m + step_m / 2, step_m)
        pts.append(c + k[:, None] * n)
    xy = np.vstack(pts)
    xy = xy[shapely.contains_xy(river, xy[:, 0], xy[:, 1])]
    with rasterio.open(MODELLED_DEPTH) as src:
        band = src.read(1, masked=True).filled(np.nan)
        col, row = ~src.transform @ (xy[:, 0], xy[:, 1])
    depth = band[np.floor(row).astype(int), np.floor(col).astype(int)].astype(float)
    ok = np.isfinite(depth)
    return xy[ok], depth[ok]


def write_soundings_gpkg(path: Path, xy: np.ndarray, depth: np.ndarray, crs: CRS, *, column: str = "depth") -> None:
    write_vector(path, list(shapely.points(xy)), crs, {column: depth}, layer="soundings")


def write_soundings_csv(path: Path, lonlat: np.ndarray, values: np.ndarray, *, column: str,
                        axes: tuple[str, str] = ("lon", "lat")) -> None:
    rows = [f"{axes[0]},{axes[1]},{column}"] + [f"{x:.9f},{y:.9f},{v:.4f}" for (x, y), v in zip(lonlat, values)]
    Path(path).write_text("\n".join(rows) + "\n", encoding="utf-8")
