"""The forms river and depth data come in, recognised from the file itself and turned into one shape each:
a water-area polygon (in the file's CRS, for :mod:`pipeline.load` to put through the datum path) and a
depth grid.

River (``inputs.river``):

polygons
    Any GDAL vector format; read by :mod:`pipeline.load` itself.
mask
    A raster (GeoTIFF or any GDAL raster) of water, read as physical values (band scale/offset applied):
    binary 0/1 or 0/255 (the non-zero value = water), or water occurrence in percent (0..100), where cells >=
    ``inputs.water_threshold`` are water; nodata cells are land; other values are refused (see
    :func:`mask_water_cells`). The water cells are
    polygonised on their cell edges (``rasterio.features.shapes``, 4-connected); water patches and holes
    (islands) smaller than ``inputs.mask_min_area_m2`` are speckle: patches are dropped, holes filled. Nothing
    is smoothed or buffered, so the water area is exactly the union of the cleaned mask's water cells: it never
    reaches a cell that is not water, apart from the filled speckle holes; islands large enough stay holes.
osm
    An OpenStreetMap file (``.osm`` XML or ``.osm.pbf``), read with GDAL's OSM driver (layer
    ``multipolygons``). The river's water is every area tagged ``natural=water`` with ``water`` one of
    :data:`OSM_RIVER_WATER` (``river``; ``riverbank`` and ``rapids``, older values for parts of a river), or
    tagged ``waterway=riverbank`` (the legacy river-area tag, on multipolygon relations); an XML file whose
    river water areas miss nodes or member ways is refused (:func:`osm_completeness`). Everything else is
    ignored and listed in the detail: ponds, lakes, reservoirs, oxbow lakes (``water=oxbow``: cut off from
    the channel, so not part of it), canals, basins, farmland, buildings ...
banks
    Two open lines, the left and the right bank (any order and direction, any GDAL vector format; a bank
    in several pieces that join end to end is merged), plus optional closed lines (or polygons) as islands.
    The banks are joined at both ends by straight lines -- the upstream cap and the seaward line -- into the
    water polygon. The banks must reach the sea: their seaward ends on or beyond the river mouth's closing
    line (off the land), else the water area has no opening to the sea.

Depth (``inputs.depth``): a GeoTIFF (a north-up grid in a projected CRS, used as it is), or soundings:
points in any GDAL vector format, or a CSV with x/y or lon/lat columns (CRS ``inputs.depth_crs``), depth in
``inputs.depth_field`` (``inputs.depth_positive``: "down" depths, "up" elevations). The soundings go through
the datum path into the metric CRS and are interpolated onto a north-up grid of ``inputs.depth_cell_m`` cells
over the water area: linear interpolation on their Delaunay triangulation (``scipy.interpolate.griddata``),
and the nearest sounding for water cells outside their convex hull. Linear, not a radial-basis fit: it honours
every sounding, never leaves the range of the measured depths (an RBF overshoots between cross-sections a
hundred metres apart and can make dry or negative cells in the channel the thalweg follows), and needs no
shape parameter. Cells whose centre lies outside the water are NaN.

A GeoTIFF's band scale/offset are applied and a stated unit other than metres is refused; soundings must
survey ``inputs.soundings_min_coverage`` of the water (within ``inputs.soundings_reach_m``); a flat bed
(relief below ``inputs.depth_min_relief_m``) is refused when the thalweg or the deepest channel is used.

Every problem is an :class:`~pipeline.errors.InputError` naming the file.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from . import geometry
from .config import Config
from .errors import InputError
from .geodesy import Geodesy, parse_crs
from .model import DepthGrid
from .readers import (is_osm, is_raster, read_osm_areas, read_osm_refs, read_raster, read_vector, read_xy_csv,
                      require_file)

log = logging.getLogger(__name__)

RIVER_FORMS = ("polygons", "mask", "osm", "banks")
OSM_RIVER_WATER = ("river", "riverbank", "rapids")   # natural=water + water=<one of these> is river water
OSM_RIVER_WATERWAY = ("riverbank",)                   # waterway=<one of these> (legacy area tag) is river water
OSM_SUMMARY_KEYS = ("natural", "water", "waterway", "landuse", "leisure", "amenity", "building", "place",
                    "boundary", "man_made")            # the tags that say what an OSM area is, in the detail
DETAIL_IDS = 10                                       # how many OSM ids the detail string names
GEOTIFF_SUFFIXES = (".tif", ".tiff")                 # read as rasters even when GDAL cannot open them
MIN_SOUNDINGS = 3                                     # a triangle: the least linear interpolation needs
MASK_BINARY = ((0.0, 1.0), (0.0, 255.0))              # value sets of a binary mask: the non-zero value is water
PERCENT_RANGE = (0.0, 100.0)                          # any other mask is water occurrence in percent
METRE_UNITS = ("m", "metre", "metres", "meter", "meters")   # a depth raster's stated unit, if any
MAX_GRID_CELLS = 50_000_000                           # soundings grid: 400 MB of float64, plus the same again

_POLYGON_TYPES = {"Polygon", "MultiPolygon"}
_LINE_TYPES = {"LineString", "MultiLineString", "LinearRing"}


# ============================================================================================ river
def river_form(path: Path, configured: str, layer: str) -> str:
    """The form of the river file: ``configured`` unless it is "auto", else recognised from the file.

    An OSM file (by its name, as GDAL's OSM driver requires) is "osm", a raster "mask"; a vector layer
    (``layer``, or the file's only layer) holding lines is "banks", one holding polygons "polygons".
    """
    path = require_file(path, "river")
    if configured != "auto":
        return configured
    if is_osm(path):
        return "osm"
    if is_raster(path) or path.suffix.lower() in GEOTIFF_SUFFIXES:   # a damaged GeoTIFF: say so when read
        return "mask"
    found = {g.geom_type for g in read_vector(path, layer, "river", "inputs.river_layer").geometry}
    if found & _LINE_TYPES:
        return "banks"
    if found & _POLYGON_TYPES:
        return "polygons"
    raise InputError(path, f"river: the layer holds {', '.join(sorted(found))} geometries; expected water polygons, "
                           "two bank lines, a raster water mask or an OpenStreetMap file")


def water_area(path: Path, form: str, cfg: Config) -> tuple[BaseGeometry, CRS, str]:
    """(water polygon in the file's CRS, that CRS, what was taken) for the forms "mask", "osm" and "banks".

    The polygon has the islands as holes; it is not transformed (:mod:`pipeline.load` puts it through the
    datum path). The string says what was taken from the file, for the report.
    """
    if form == "mask":
        return _mask_water(path, cfg)
    if form == "osm":
        return _osm_water(path)
    if form == "banks":
        return _banks_water(path, cfg.inputs.river_layer)
    raise InputError(path, f"river: the {form!r} form is read by the loader, not here (forms: {RIVER_FORMS})")


# ------------------------------------------------------------------------------------- CRS-aware measures
def area_m2(geom: BaseGeometry, crs: CRS) -> float:
    """Area in m2 of ``geom`` given in ``crs``: geodesic on the CRS's ellipsoid when it is geographic
    (x = longitude, as GDAL reads), else planar times the square of the axis unit in metres."""
    if crs.is_geographic:
        return abs(float(crs.get_geod().geometry_area_perimeter(geom)[0]))
    return float(geom.area) * crs.axis_info[0].unit_conversion_factor ** 2


def length_m(geom: BaseGeometry, crs: CRS) -> float:
    """Length in metres of ``geom`` in ``crs`` (geodesic when geographic, as :func:`area_m2`)."""
    if crs.is_geographic:
        return float(crs.get_geod().geometry_length(geom))
    return float(geom.length) * crs.axis_info[0].unit_conversion_factor


# ------------------------------------------------------------------------------------------- raster mask
def _values_seen(seen: np.ndarray) -> str:
    """The distinct values of a mask, for a message: all of them when few, else the range and a count."""
    if len(seen) <= 6:
        return ", ".join(f"{v:g}" for v in seen)
    return f"{len(seen)} distinct values from {seen[0]:g} to {seen[-1]:g}"


def mask_water_cells(path: Path, values: np.ndarray, nodata: float | None, threshold: float) -> tuple[np.ndarray, str]:
    """(water cells, what the mask was read as) of a mask's physical values (NaN = nodata).

    The rule, from the values the file holds (nodata cells are land, whatever their value):

    * values only 0 and 1, or only 0 and 255 (or only one of them, the rest nodata): binary, the non-zero
      value is water, whatever ``inputs.water_threshold``;
    * other values within 0..100: water occurrence in percent, cells >= the threshold are water;
    * anything else (negative values, values above 100 that are not a 0/255 mask): the threshold has no
      meaning for them -- refused, naming the file and the values seen.

    A mask with no water cell, or whose every cell is water (no land at all), is refused.
    """
    finite = np.isfinite(values)
    n_nodata = int((~finite).sum())
    said = "NaN" if nodata is None or not np.isfinite(nodata) else f"{nodata:g}"
    nodata_note = f"; {n_nodata} nodata cell(s) ({said}) read as land" if n_nodata else ""
    if not finite.any():
        raise InputError(path, f"river mask: every cell is nodata (nodata value {nodata})")
    seen = np.unique(values[finite])
    kind = ""
    for pair in MASK_BINARY:
        if np.isin(seen, pair).all():
            wet = pair[1]
            water = values == wet
            kind = f"binary 0/{wet:g} mask ({wet:g} = water){nodata_note}"
            break
    else:
        if seen[0] < PERCENT_RANGE[0] or seen[-1] > PERCENT_RANGE[1]:
            raise InputError(path, f"river mask: values {_values_seen(seen)} are neither a binary mask (0/1 or "
                                   f"0/255) nor water occurrence in percent ({PERCENT_RANGE[0]:g} to "
                                   f"{PERCENT_RANGE[1]:g}): inputs.water_threshold = {threshold:g} has no meaning "
                                   "for them")
        with np.errstate(invalid="ignore"):
            water = values >= threshold
        kind = f"mask with cells >= {threshold:g} as water{nodata_note}"
    if not water.any():
        hint = (f"; {n_nodata} cell(s) are nodata ({said}): is the water marked as nodata?" if n_nodata
                else "; a fraction 0..1? set inputs.water_threshold = 0.5" if seen[-1] <= 1 < threshold
                else "; set inputs.water_threshold")
        raise InputError(path, f"river mask: no water cells ({kind.split(';')[0]}; values seen: "
                               f"{_values_seen(seen)}){hint}")
    if water.all():
        raise InputError(path, f"river mask: every cell is water ({kind}; values seen: {_values_seen(seen)}); a "
                               "mask needs land cells (0, below inputs.water_threshold, or nodata)")
    return water, kind


def _mask_water(path: Path, cfg: Config) -> tuple[BaseGeometry, CRS, str]:
    from rasterio.features import shapes

    ic = cfg.inputs
    raster = read_raster(path, "river mask", projected=False)
    water, kind = mask_water_cells(path, raster.values, raster.nodata, ic.water_threshold)
    values = raster.values
    if raster.scaled:
        kind += f" ({raster.scaled})"
    crs = raster.crs
    pieces = [Polygon(g["coordinates"][0], g["coordinates"][1:])
              for g, _ in shapes(water.astype("uint8"), mask=water, connectivity=4, transform=raster.transform)]
    kept, speckle, filled, islands = [], 0, 0, 0
    for p in pieces:
        if area_m2(p, crs) < ic.mask_min_area_m2:
            speckle += 1
            continue
        holes = [h for h in p.interiors if area_m2(Polygon(h), crs) >= ic.mask_min_area_m2]
        filled += len(p.interiors) - len(holes)
        islands += len(holes)
        kept.append(Polygon(p.exterior, holes))
    if not kept:
        raise InputError(path, f"river mask: all {len(pieces)} water patches are smaller than "
                               f"inputs.mask_min_area_m2 = {ic.mask_min_area_m2:g} m2")
    h, w = values.shape
    detail = (f"{kind}, {w} x {h} cells of {raster.res[0]:g} x {raster.res[1]:g} ({crs.name}), "
              f"{int(water.sum())} water cells -> {len(kept)} water polygon(s) with {islands} island(s); removed "
              f"{speckle} water patch(es) and filled {filled} hole(s) under {ic.mask_min_area_m2:g} m2")
    return shapely.union_all(kept), crs, detail


# ------------------------------------------------------------------------------------------- OpenStreetMap
def is_river_water(tags: dict[str, str]) -> bool:
    """Whether an OSM area with these tags is part of a river's water (see the module docstring)."""
    return ((tags.get("natural") == "water" and tags.get("water") in OSM_RIVER_WATER)
            or tags.get("waterway") in OSM_RIVER_WATERWAY)


def _summary(tags: dict[str, str]) -> str:
    said = [f"{k}={tags[k]}" for k in OSM_SUMMARY_KEYS if k in tags]
    return " ".join(said) or " ".join(f"{k}={v}" for k, v in sorted(tags.items()) if k not in ("name", "type")) \
        or "no tags"


def _counted(labels: list[str]) -> str:
    counts: dict[str, int] = {}
    for s in labels:
        counts[s] = counts.get(s, 0) + 1
    return ", ".join(f"{s} ({n})" for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _named(ids: list[str]) -> str:
    more = f" and {len(ids) - DETAIL_IDS} more" if len(ids) > DETAIL_IDS else ""
    return ", ".join(ids[:DETAIL_IDS]) + more


def osm_completeness(path: Path) -> str:
    """Refuse an OSM XML file whose river water areas are incomplete; else a note for the detail string.

    GDAL's OSM driver builds a way whose nodes are missing from the extract from the nodes it has (a shorter
    ring, or none), and a multipolygon without its missing member ways -- silently. So the file's references
    are read here: a river water area (:func:`is_river_water`: a closed way, or a multipolygon relation) with a
    missing node or member way is an InputError naming the file and the counts; incomplete areas that are not
    river water are only counted in the note. PBF files are not checked (the note says so).
    """
    refs = read_osm_refs(path, "river (OpenStreetMap)")
    if refs is None:
        return "; completeness not checked (PBF)"
    broken, other = [], 0
    for wid, (_, tags) in refs.ways.items():
        if wid in refs.missing_nodes:
            if is_river_water(tags):
                broken.append((f"way {wid}", 0, refs.missing_nodes[wid]))
            else:
                other += 1
    for rid, (members, tags) in refs.relations.items():
        absent = sum(m not in refs.ways for m in members)
        nodes = sum(refs.missing_nodes.get(m, 0) for m in members)
        if absent or nodes:
            if is_river_water(tags):
                broken.append((f"relation {rid}", absent, nodes))
            else:
                other += 1
    if broken:
        ways, nodes = sum(b[1] for b in broken), sum(b[2] for b in broken)
        raise InputError(path, f"river (OpenStreetMap): {len(broken)} river water area(s) incomplete in the file "
                               f"({_named([b[0] for b in broken])}): {ways} member way(s) and {nodes} node(s) they "
                               "reference are missing from the extract, so their rings would be built short or "
                               "not at all; export the areas complete (e.g. Overpass \"(._;>;);\", or JOSM's "
                               "\"download members\")")
    return f"; {other} other area(s) incomplete in the extract (not river water, ignored)" if other else ""


def _osm_water(path: Path) -> tuple[BaseGeometry, CRS, str]:
    complete = osm_completeness(path)
    areas = read_osm_areas(path, "river (OpenStreetMap)")
    incomplete = (f"; {areas.incomplete} area(s) without a geometry (members missing from the file)"
                  if areas.incomplete else "")
    if len(areas.geometry) == 0:
        raise InputError(path, "river (OpenStreetMap): the file holds no areas (multipolygon relations or closed "
                               "area ways); the river must be mapped as an area (natural=water + water=river), "
                               f"not only as a waterway line{incomplete}")
    take = [is_river_water(t) for t in areas.tags]
    ignored = [_summary(t) for t, k in zip(areas.tags, take) if not k]
    if not any(take):
        raise InputError(path, f"river (OpenStreetMap): no river water area among its {len(areas.tags)} areas "
                               f"(taken: natural=water with water={'|'.join(OSM_RIVER_WATER)}, or waterway="
                               f"{'|'.join(OSM_RIVER_WATERWAY)}); found: {_counted(ignored)}{incomplete}")
    taken_ids = [i for i, k in zip(areas.ids, take) if k]
    polys = [g for g, k in zip(areas.geometry, take) if k]
    detail = (f"OpenStreetMap: took {len(polys)} river water area(s) ({_named(taken_ids)}: "
              f"{_counted([_summary(t) for t, k in zip(areas.tags, take) if k])}); ignored {len(ignored)}"
              + (f": {_counted(ignored)}" if ignored else "") + incomplete + complete)
    return shapely.union_all(polys), areas.crs, detail


# ------------------------------------------------------------------------------------------- bank lines
def _banks_water(path: Path, layer: str) -> tuple[BaseGeometry, CRS, str]:
    role = "river (bank lines)"
    vec = read_vector(path, layer, role, "inputs.river_layer")
    crs = CRS.from_user_input(vec.crs)
    open_parts, rings = [], []
    for g in vec.geometry:
        for part in geometry.parts(g):
            if part.geom_type == "Polygon":
                rings.append(LineString(part.exterior.coords))
            elif part.geom_type == "LineString":
                (rings if part.is_closed else open_parts).append(part)
            else:
                raise InputError(path, f"{role}: a {part.geom_type} among the bank lines; expected two open lines "
                                       "(the banks) and closed lines or polygons (islands)")
    banks = []
    for line in geometry.lines(shapely.line_merge(shapely.MultiLineString(open_parts))) if open_parts else []:
        (rings if line.is_closed else banks).append(line)   # pieces that merge into a ring are an island
    if len(banks) != 2:
        merged = (f" (merged from {len(open_parts)} pieces that join end to end)"
                  if len(open_parts) != len(banks) else "")
        raise InputError(path, f"{role}: expected exactly two open lines, the left and the right bank; found "
                               f"{len(banks)} open line(s){merged} and {len(rings)} closed line(s) (islands)")
    a, b = banks
    for k, line in enumerate(banks, start=1):
        if not line.is_simple:
            raise InputError(path, f"{role}: bank line {k} crosses itself")
    if a.intersects(b):
        where = shapely.get_coordinates(a.intersection(b))[0]
        raise InputError(path, f"{role}: the two bank lines cross or touch at ({where[0]:.6g}, {where[1]:.6g}); "
                               "the banks of a river never meet")
    closed = _close_banks(a, b)
    if closed is None:
        raise InputError(path, f"{role}: the two bank lines cannot be closed into a water area: a straight line "
                               "joining their ends crosses a bank (do both lines run from upstream to the sea?)")
    shell, joins = closed
    holes = []
    for k, ring in enumerate(rings, start=1):
        island = Polygon(ring.coords)
        if not island.is_valid or not shell.contains(island):
            raise InputError(path, f"{role}: island ring {k} is not a simple ring inside the water area between "
                                   "the banks")
        holes.append(ring.coords)
    water = Polygon(shell.exterior.coords, holes)
    if not water.is_valid:
        raise InputError(path, f"{role}: the islands overlap or touch each other "
                               f"({shapely.is_valid_reason(water)})")
    ends = [LineString([a.coords[i], b.coords[j]]) for i, j in joins]
    detail = (f"two bank lines ({length_m(a, crs) / 1000:.2f} km and {length_m(b, crs) / 1000:.2f} km) joined at "
              f"their ends by straight lines of {length_m(ends[0], crs):.0f} m and {length_m(ends[1], crs):.0f} m, "
              f"{len(holes)} island(s), layer {vec.layer}")
    return water, crs, detail


def _close_banks(a: LineString, b: LineString) -> tuple[Polygon, tuple] | None:
    """The banks joined at both ends into a polygon, and the joins as (index of a's end, index of b's end)
    pairs. Of the two ways to pair the ends, the one giving a valid polygon; if both do, the one with the
    shorter joins; None when neither does."""
    best = None
    for joins in (((-1, -1), (0, 0)), ((-1, 0), (0, -1))):
        b_coords = list(b.coords)[::-1] if joins[0][1] == -1 else list(b.coords)
        poly = Polygon(list(a.coords) + b_coords)
        if not poly.is_valid or poly.area == 0:
            continue
        span = sum(LineString([a.coords[i], b.coords[j]]).length for i, j in joins)
        if best is None or span < best[0]:
            best = (span, poly, joins)
    return None if best is None else (best[1], best[2])


# ============================================================================================ depth
def depth_grid(path: Path, water_metric: BaseGeometry, geo: Geodesy, cfg: Config,
               anchors: dict[str, shapely.Point] | None = None) -> DepthGrid:
    """The depth input as a grid: a raster (GeoTIFF) as it is, soundings interpolated (see the module
    docstring); every problem names ``path``.

    Parameters
    ----------
    path : Path
        The depth file.
    water_metric : geometry
        The river water area in the metric CRS of ``geo``.
    geo : Geodesy
        The run's datum path.
    cfg : Config
        ``inputs.depth_*`` settings.
    anchors : dict, optional
        Treaty points (name -> point in the metric CRS) that arbitrate when a depth raster and the river miss
        each other (see :func:`_blame_for_coverage`).
    """
    path = require_file(path, "depth")
    suffix = path.suffix.lower()
    if suffix in GEOTIFF_SUFFIXES or (suffix != ".csv" and is_raster(path)):   # not a CSV: GDAL's XYZ driver
        return _geotiff_grid(path, water_metric, geo, cfg, anchors or {})
    return _soundings_grid(path, water_metric, geo, cfg)


def _check_relief(path: Path, role: str, depth: np.ndarray, cfg: Config) -> float:
    """The depth range (max - min) over the river's water; below ``inputs.depth_min_relief_m`` the bed is flat:
    it has no deepest line, so a thalweg (or the deepest channel) from it would be an artefact of noise or of
    the grid. Refused then when the run uses the thalweg or the deepest channel; with the middle line and the
    widest channel the depth only feeds the report's thalweg, and a warning says it is meaningless."""
    finite = depth[np.isfinite(depth)]
    relief = float(finite.max() - finite.min()) if finite.size else 0.0
    limit = cfg.inputs.depth_min_relief_m
    if relief >= limit and relief > 0:
        return relief
    text = (f"{role}: the river bed is flat: depth varies by {relief:.3g} m across the water "
            f"({finite.min():g}..{finite.max():g} m), less than inputs.depth_min_relief_m = {limit:g} m, so it has "
            "no deepest line")
    if cfg.border_line == "thalweg" or cfg.land.main_channel == "deepest":
        raise InputError(path, f"{text}; set land.border_line = \"middle\" (and land.main_channel = \"widest\") "
                               "or give a depth with relief")
    log.warning("%s: %s; the thalweg in the outputs is meaningless", path.name, text)
    return relief


def _blame_for_coverage(path: Path, problem: str, depth: np.ndarray, transform, water: BaseGeometry,
                        anchors: dict[str, BaseGeometry], cfg: Config) -> InputError:
    """Which file to blame when a depth raster and the river miss each other: the treaty points arbitrate.

    The river has already passed the checks against the coast and the monument, so by default the depth file
    is at fault. But when the depth raster's data (its cells holding a value, i.e. where it says the water
    is) lies nearer to every treaty point in ``anchors`` (the tripoint monument and the mouth point, in the
    raster's CRS) than the river's water does -- by more than two raster cells -- the river is the one
    out of place, and the error names the river file.
    """
    from scipy.spatial import cKDTree

    rows, cols = np.nonzero(np.isfinite(depth))
    if anchors and len(rows):
        cx, cy = transform @ (cols + 0.5, rows + 0.5)
        tree = cKDTree(np.column_stack([cx, cy]))
        margin = 2 * abs(transform.a)
        said = []
        for name, at in anchors.items():
            d_depth = float(tree.query([at.x, at.y])[0])
            d_river = float(water.distance(at))
            said.append(f"{name}: river {d_river:.0f} m, depth data {d_depth:.0f} m")
            if d_river <= d_depth + margin:
                break
        else:
            return InputError(cfg.inputs.river, f"river: the water area misses the depth raster {path.name} "
                                                f"({problem}), whose data lies nearer to the treaty points "
                                                f"({'; '.join(said)}): the river is out of place")
    return InputError(path, f"depth raster: {problem}")


def _geotiff_grid(path: Path, water_metric: BaseGeometry, geo: Geodesy, cfg: Config,
                  anchors: dict[str, BaseGeometry]) -> DepthGrid:
    from rasterio.features import rasterize
    from rasterio.transform import array_bounds
    from shapely.geometry import box

    raster = read_raster(path, "depth raster", projected=True)
    if raster.units and raster.units.lower() not in METRE_UNITS:
        raise InputError(path, f"depth raster: band 1 states its unit as {raster.units!r}; depths must be in metres "
                               f"({', '.join(METRE_UNITS)}; or no unit stated)")
    depth = raster.values
    if np.isnan(depth).all():
        raise InputError(path, f"depth raster: every cell is nodata (nodata value {raster.nodata}); no depth to use")
    res = raster.res
    if abs(res[0] - res[1]) > 1e-6 * res[0]:
        raise InputError(path, f"depth raster: cells must be square, got {res}")
    water = geo.from_metric_to(water_metric, raster.crs)
    h, w = depth.shape
    grid = box(*array_bounds(h, w, raster.transform))
    covered = water.intersection(grid).area / water.area
    anchors = {name: geo.from_metric_to(at, raster.crs) for name, at in anchors.items()}
    if covered < 0.99:
        raise _blame_for_coverage(path, f"covers only {covered:.1%} of the river water area (raster bounds "
                                        f"{[round(v) for v in grid.bounds]} in {raster.crs.name}; river "
                                        f"{[round(v) for v in water.bounds]})", depth, raster.transform, water,
                                  anchors, cfg)
    inside = rasterize([(water, 1)], out_shape=depth.shape, transform=raster.transform, dtype="uint8").astype(bool)
    frac = float(np.isfinite(depth[inside]).mean()) if inside.any() else 0.0
    if frac < 0.5:
        raise _blame_for_coverage(path, f"only {frac:.1%} of the river's cells hold depth values", depth,
                                  raster.transform, water, anchors, cfg)
    relief = _check_relief(path, "depth raster", depth[inside], cfg)
    scaled = f", {raster.scaled}" if raster.scaled else ""
    return DepthGrid(depth, raster.transform, raster.crs, float(res[0]), "geotiff",
                     f"{w} x {h} cells of {res[0]:g} m, {raster.crs.name}{scaled}, relief {relief:.2f} m")


# ------------------------------------------------------------------------------------------- soundings
def _read_soundings(path: Path, cfg: Config) -> tuple[np.ndarray, np.ndarray, CRS, str]:
    """(xy (n, 2) in the file's CRS, values (n,) as written, that CRS, how they were read)."""
    ic = cfg.inputs
    role = "depth soundings"
    if path.suffix.lower() == ".csv":
        table = read_xy_csv(path, role, value_column=ic.depth_field, value_key="inputs.depth_field")
        crs = parse_crs(ic.depth_crs)
        if table.axes[0] in ("lon", "longitude") and not crs.is_geographic:
            raise InputError(path, f"{role}: columns {'/'.join(table.axes)} but inputs.depth_crs = "
                                   f"{ic.depth_crs!r} ({crs.name}) is not a geographic CRS")
        return table.xy, table.values, crs, f"CSV columns {'/'.join(table.axes)} in {crs.name}"
    vec = read_vector(path, ic.depth_layer, role, "inputs.depth_layer")
    types = {g.geom_type for g in vec.geometry}
    if not types <= {"Point", "MultiPoint"}:
        raise InputError(path, f"{role}: wrong geometry type {', '.join(sorted(types))}; expected points")
    if ic.depth_field not in vec.columns:
        raise InputError(path, f"{role}: no column {ic.depth_field!r} (inputs.depth_field); columns: "
                               f"{', '.join(vec.columns) or 'none'}")
    parts, index = shapely.get_parts(vec.geometry, return_index=True)
    try:
        values = np.asarray(vec.columns[ic.depth_field], dtype=float)[index]
    except (TypeError, ValueError):
        raise InputError(path, f"{role}: column {ic.depth_field!r} is not numeric") from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise InputError(path, f"{role}: feature {int(index[np.flatnonzero(bad)[0]])} has no depth value in "
                               f"{ic.depth_field!r} ({int(bad.sum())} such feature(s))")
    crs = CRS.from_user_input(vec.crs)
    return shapely.get_coordinates(parts), values, crs, f"layer {vec.layer} in {crs.name}"


def _surveyed(path: Path, soundings: np.ndarray, cells: np.ndarray, cfg: Config) -> float:
    """The fraction of the water cells (centres ``cells``) within ``inputs.soundings_reach_m`` of a sounding;
    below ``inputs.soundings_min_coverage`` the grid would be mostly nearest-neighbour fill, not measurement:
    an InputError naming the soundings file."""
    from scipy.spatial import cKDTree

    ic = cfg.inputs
    if len(cells) == 0:
        return 0.0
    dist, _ = cKDTree(soundings).query(cells, distance_upper_bound=ic.soundings_reach_m)
    frac = float(np.isfinite(dist).mean())
    if frac < ic.soundings_min_coverage:
        raise InputError(path, f"depth soundings: only {frac:.1%} of the river's water lies within "
                               f"inputs.soundings_reach_m = {ic.soundings_reach_m:g} m of a sounding (at least "
                               f"inputs.soundings_min_coverage = {ic.soundings_min_coverage:.0%} needed); the rest "
                               "would be filled from the nearest sounding, not measured")
    return frac


def _soundings_grid(path: Path, water_metric: BaseGeometry, geo: Geodesy, cfg: Config) -> DepthGrid:
    from rasterio.features import rasterize
    from rasterio.transform import from_origin
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    ic = cfg.inputs
    role = "depth soundings"
    xy_file, values, crs, how = _read_soundings(path, cfg)
    if len(values) < MIN_SOUNDINGS:
        raise InputError(path, f"{role}: {len(values)} sounding(s); at least {MIN_SOUNDINGS} are needed to "
                               "interpolate a depth grid")
    depth = values if ic.depth_positive == "down" else -values
    ll = geo.xy_to_lonlat(xy_file, crs)
    if not np.isfinite(ll).all():
        raise InputError(path, f"{role}: coordinates cannot be transformed from {crs.name} to WGS 84 (outside the "
                               "CRS's area of use?)")
    xy = geo.lonlat_to_metric(ll)
    cell = ic.depth_cell_m
    near_water = water_metric.buffer(cell)  # soundings on the bank line itself count as in the water
    shapely.prepare(near_water)
    inside = shapely.contains_xy(near_water, xy[:, 0], xy[:, 1])
    if inside.sum() < MIN_SOUNDINGS:
        w, s, e, n = (float(v) for v in (*ll.min(axis=0), *ll.max(axis=0)))
        raise InputError(path, f"{role}: {int((~inside).sum())} of {len(values)} soundings lie outside the river "
                               f"water area, {int(inside.sum())} inside (at least {MIN_SOUNDINGS} needed); the "
                               f"soundings span lon {w:.5f}..{e:.5f}, lat {s:.5f}..{n:.5f} read in {crs.name} "
                               "(wrong CRS, or x/y swapped?)")
    if not inside.all():
        log.warning("%s: %d of %d soundings lie outside the river water area; they are not used", path.name,
                    int((~inside).sum()), len(values))
    xy, depth = xy[inside], depth[inside]
    if not (depth > 0).any():
        raise InputError(path, f"{role}: no sounding inside the water has a positive depth (values "
                               f"{depth.min():g}..{depth.max():g} m with inputs.depth_positive = "
                               f"{ic.depth_positive!r}; elevations need \"up\", depths \"down\")")
    minx, miny, maxx, maxy = water_metric.bounds
    x0, y1 = np.floor(minx / cell) * cell, np.ceil(maxy / cell) * cell
    n_cells = np.ceil((maxx - x0) / cell) * np.ceil((y1 - miny) / cell)
    if n_cells > MAX_GRID_CELLS:   # estimated before anything is allocated
        raise InputError(cfg.path, f"inputs.depth_cell_m = {cell:g} m would grid the river's "
                                   f"{(maxx - minx) / 1000:.1f} x {(maxy - miny) / 1000:.1f} km extent into "
                                   f"{n_cells:.3g} cells (at most {MAX_GRID_CELLS:,}); use a larger cell")
    width, height = int(np.ceil((maxx - x0) / cell)), int(np.ceil((y1 - miny) / cell))
    transform = from_origin(x0, y1, cell, cell)
    wet = rasterize([(water_metric, 1)], out_shape=(height, width), transform=transform, dtype="uint8").astype(bool)
    rows, cols = np.nonzero(wet)
    cx, cy = transform @ (cols + 0.5, rows + 0.5)
    surveyed = _surveyed(path, xy, np.column_stack([cx, cy]), cfg)
    _check_relief(path, role, depth, cfg)
    try:
        est = griddata(xy, depth, (cx, cy), method="linear")
    except QhullError:
        raise InputError(path, f"{role}: the {len(depth)} soundings in the water lie on one line; they cannot be "
                               "triangulated") from None
    gap = ~np.isfinite(est)
    if gap.any():
        est[gap] = griddata(xy, depth, (cx[gap], cy[gap]), method="nearest")
    grid = np.full((height, width), np.nan)
    grid[rows, cols] = est
    hull = shapely.convex_hull(shapely.multipoints(xy))
    cover = float(hull.intersection(water_metric).area / water_metric.area)
    detail = (f"{len(depth)} soundings ({how}; {int((~inside).sum())} outside the water dropped; "
              f"{surveyed:.0%} of the water within {ic.soundings_reach_m:g} m of one), depth "
              f"{depth.min():.2f}..{depth.max():.2f} m, positive {ic.depth_positive}; linear interpolation "
              f"(nearest beyond their hull, which covers {cover:.0%} of the water) on {width} x {height} cells of "
              f"{cell:g} m in {geo.metric.name}")
    return DepthGrid(grid, transform, geo.metric, float(cell), "soundings", detail)
