"""Stage 4 — the maritime boundary: territorial-sea limits and the equidistance line.

Baselines
    Each side's coastline (the sea-facing edge of its land polygons, rivers cut out) plus its half of
    the river mouth's closing line (a river-mouth baseline, UNCLOS art. 9).
Outer limits
    The boundary of the baseline buffered by 12 nautical miles in the local metric CRS, kept in the sea
    and on the side's own side of the equidistance line; each limit is checked point by point against
    ``pyproj.Geod`` distances to the baseline.
Equidistance (median) line
    The Voronoi ridges (``scipy.spatial.Voronoi``) separating points densified along the two sides'
    baselines: every point of it is equally distant from the nearest points of the two baselines. It
    starts at the land boundary's end on the closing line and ends where its geodesic distance to the
    baselines reaches 12 nautical miles. ``azimuth`` and ``endpoint`` methods give straight (geodesic)
    lines instead, as treaties sometimes fix.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS
from scipy.optimize import brentq, minimize_scalar
from scipy.spatial import Voronoi
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, substring

from .geodesy import GEOD, to_lonlat, to_metric
from .land_line import GeometryError, _lines


@dataclass(frozen=True)
class Baselines:
    sea: BaseGeometry                    # the sea within the data extent (metric)
    coast: dict[str, BaseGeometry]       # side -> coastline (lines)
    baseline: dict[str, BaseGeometry]    # side -> coastline + its half of the closing line


@dataclass(frozen=True)
class Maritime:
    line: LineString                     # metric, from the land boundary's end to the end point
    method: str
    end: Point                           # metric
    limits: dict[str, BaseGeometry]      # side -> 12-nm outer limit (lines, metric)
    limit_error_m: dict[str, float]      # side -> worst |geodesic distance to baseline - R|
    equidistance_error_m: float | None   # worst |d(left) - d(right)| along the line (geodesic)
    end_distance_m: dict[str, float]     # side -> geodesic distance from the end point to the baseline
    start_gap_m: float                   # land boundary's end -> raw Voronoi median line (0 unless equidistance)


def baselines(land: dict[str, BaseGeometry], water: BaseGeometry, frame: BaseGeometry,
              closing_line: LineString, land_end: Point, sides: tuple[str, str], snap_m: float) -> Baselines:
    land_union = shapely.union_all(list(land.values()))
    sea = frame.difference(land_union).difference(water)
    if sea.is_empty:
        raise GeometryError("the coast data set has no sea within its extent")
    sea_near = sea.buffer(snap_m)
    coast, base = {}, {}
    a, b = Point(closing_line.coords[0]), Point(closing_line.coords[-1])
    for side in sides:
        shore = land[side].difference(water).boundary.intersection(sea_near)
        lines = [g for g in _lines(linemerge(_lines(shore))) if g.length > snap_m] if not shore.is_empty else []
        if not lines:
            raise GeometryError(f"{side} has no coastline on the sea in the coast data set")
        coast[side] = shapely.MultiLineString(lines)
        tip = a if land[side].distance(a) <= land[side].distance(b) else b
        half = LineString([tip, land_end])
        base[side] = shapely.union_all([coast[side], half])
    return Baselines(sea, coast, base)


def geodesic_distance_to(pt: Point, line: BaseGeometry, metric: CRS, window_m: float = 50.0) -> float:
    """Geodesic distance from ``pt`` to the nearest point of ``line`` (both metric), refined on the
    ellipsoid around the planar nearest point."""
    parts = _lines(line)
    part = min(parts, key=lambda g: g.distance(pt))
    s0 = part.project(pt)
    p_ll = to_lonlat(pt, metric)

    def dist(s: float) -> float:
        q = to_lonlat(part.interpolate(s), metric)
        return GEOD.inv(p_ll.x, p_ll.y, q.x, q.y)[2]

    lo, hi = max(0.0, s0 - window_m), min(part.length, s0 + window_m)
    if hi - lo < 1e-6:
        return dist(s0)
    return float(minimize_scalar(dist, bounds=(lo, hi), method="bounded", options={"xatol": 1e-3}).fun)


def _densify(geom: BaseGeometry, step: float, near: Point, fine_radius: float, fine_step: float) -> np.ndarray:
    out = []
    for part in _lines(geom):
        out.append(shapely.get_coordinates(shapely.segmentize(part, step)))
        fine = part.intersection(near.buffer(fine_radius))
        for f in _lines(fine):
            out.append(shapely.get_coordinates(shapely.segmentize(f, fine_step)))
    return np.vstack(out)


def _median_ridges(bl: Baselines, sides: tuple[str, str], start: Point, radius: float, step: float) -> LineString:
    """The raw Voronoi median line near ``start``, oriented seaward (not yet joined to ``start``)."""
    reach = start.buffer(3.0 * radius)
    pts, labels = [], []
    for k, side in enumerate(sides):
        xy = _densify(bl.baseline[side].intersection(reach), step, start, 1000.0, 1.0)
        pts.append(xy)
        labels.append(np.full(len(xy), k))
    # a point on both baselines (the land boundary's end, where the two halves of the closing line meet)
    # is equidistant by definition: it must not seed a cell of either side, or the median line is shifted
    # by half the densification step there
    xy, inv = np.unique(np.round(np.vstack(pts), 4), axis=0, return_inverse=True)
    inv = inv.ravel()
    lab = np.concatenate(labels)
    lo, hi = np.full(len(xy), len(sides)), np.full(len(xy), -1)
    np.minimum.at(lo, inv, lab)
    np.maximum.at(hi, inv, lab)
    own = lo == hi
    xy, lab = xy[own], lo[own]
    vor = Voronoi(xy)
    rp = np.asarray(vor.ridge_points)
    rv = np.array(vor.ridge_vertices)
    sep = (lab[rp[:, 0]] != lab[rp[:, 1]]) & (rv >= 0).all(axis=1)
    segs = np.stack([vor.vertices[rv[sep, 0]], vor.vertices[rv[sep, 1]]], axis=1)
    seg_geoms = shapely.linestrings(segs)
    in_sea = shapely.intersects(seg_geoms, bl.sea.intersection(reach))
    merged = linemerge(list(seg_geoms[in_sea]))
    cands = [g for g in _lines(merged)]
    if not cands:
        raise GeometryError("no equidistance line between the two coasts was found in the sea")
    line = min(cands, key=lambda g: g.distance(start))
    if line.distance(start) > 2.0 * step:
        raise GeometryError(f"the equidistance line passes {line.distance(start):.0f} m from the land boundary's end")
    if Point(line.coords[-1]).distance(start) < Point(line.coords[0]).distance(start):
        line = LineString(line.coords[::-1])
    return line


def _from_start(line: LineString, start: Point) -> LineString:
    """``line`` seaward of its point nearest to ``start``, beginning exactly at ``start``."""
    s0 = line.project(start)
    line = substring(line, s0, line.length)
    return LineString([start.coords[0], *line.coords[1:]]) if Point(line.coords[0]).distance(start) > 1e-9 else line


def equidistance_line(bl: Baselines, sides: tuple[str, str], start: Point, radius: float, step: float) -> LineString:
    """The median line between the two sides' baselines, from ``start`` seaward (not yet cut at 12 nm)."""
    return _from_start(_median_ridges(bl, sides, start, radius, step), start)


def _dist_to_baselines(p: Point, bl: Baselines, sides, metric) -> tuple[float, float]:
    return tuple(geodesic_distance_to(p, bl.baseline[s], metric) for s in sides)


def cut_at_radius(line: LineString, bl: Baselines, sides, metric: CRS, radius: float, sample_m: float = 100.0):
    """Cut ``line`` where its geodesic distance to the nearer baseline first reaches ``radius``."""
    def f(s: float) -> float:
        return min(_dist_to_baselines(line.interpolate(s), bl, sides, metric)) - radius

    ss = np.arange(0.0, line.length + sample_m, sample_m).clip(max=line.length)
    prev = ss[0]
    for s in ss[1:]:
        if f(s) >= 0:
            s_end = brentq(f, prev, s, xtol=1e-4)
            return substring(line, 0, s_end)
        prev = s
    raise GeometryError(f"the maritime line leaves the data extent before reaching {radius:.0f} m from the coast")


def geodesic_ray(start_ll: Point, azimuth: float, length: float, metric: CRS, step: float = 10.0) -> LineString:
    d = np.arange(0.0, length + step, step)
    lon, lat, _ = GEOD.fwd(np.full(len(d), start_ll.x), np.full(len(d), start_ll.y), np.full(len(d), azimuth), d)
    return to_metric(LineString(np.column_stack([lon, lat])), metric)


def geodesic_segment(a_ll: Point, b_ll: Point, metric: CRS, step: float = 10.0) -> LineString:
    n = max(0, int(GEOD.inv(a_ll.x, a_ll.y, b_ll.x, b_ll.y)[2] // step))
    mid = GEOD.npts(a_ll.x, a_ll.y, b_ll.x, b_ll.y, n) if n else []
    return to_metric(LineString([(a_ll.x, a_ll.y), *mid, (b_ll.x, b_ll.y)]), metric)


def territorial_limits(bl: Baselines, sides, radius: float, quad_segs: int) -> dict[str, BaseGeometry]:
    buffers = {s: bl.baseline[s].buffer(radius, quad_segs=quad_segs) for s in sides}
    out = {}
    for s in sides:
        other = [buffers[o] for o in sides if o != s][0]
        arc = buffers[s].boundary.intersection(bl.sea).difference(other)
        lines = [g for g in _lines(linemerge(_lines(arc))) if g.length > 1.0] if not arc.is_empty else []
        out[s] = shapely.MultiLineString(lines)
    return out


def limit_error(limit: BaseGeometry, baseline: BaseGeometry, metric: CRS, radius: float, n: int) -> float:
    lines = _lines(limit)
    total = sum(g.length for g in lines)
    if total == 0:
        return float("nan")
    worst = 0.0
    for g in lines:
        k = max(2, int(round(n * g.length / total)))
        for s in np.linspace(0, g.length, k):
            worst = max(worst, abs(geodesic_distance_to(g.interpolate(s), baseline, metric) - radius))
    return worst


def maritime_boundary(bl: Baselines, sides: tuple[str, str], land_end: Point, metric: CRS, *, method: str,
                      radius: float, densify_m: float, quad_segs: int, check_points: int,
                      azimuth_deg: float | None = None, end_lonlat: tuple[float, float] | None = None) -> Maritime:
    start_ll = to_lonlat(land_end, metric)
    gap = 0.0
    if method == "equidistance":
        raw = _median_ridges(bl, sides, land_end, radius, densify_m)
        gap = float(raw.distance(land_end))
        line = cut_at_radius(_from_start(raw, land_end), bl, sides, metric, radius)
    elif method == "azimuth":
        if azimuth_deg is None:
            raise ValueError("the 'azimuth' maritime method needs azimuth_deg")
        line = cut_at_radius(geodesic_ray(start_ll, azimuth_deg, 3.0 * radius, metric), bl, sides, metric, radius)
    elif method == "endpoint":
        if end_lonlat is None:
            raise ValueError("the 'endpoint' maritime method needs end_lonlat")
        line = geodesic_segment(start_ll, Point(*end_lonlat), metric)
    else:
        raise ValueError(f"unknown maritime method {method!r} (equidistance, azimuth or endpoint)")
    end = Point(line.coords[-1])
    limits = territorial_limits(bl, sides, radius, quad_segs)
    lim_err = {s: limit_error(limits[s], bl.baseline[s], metric, radius, check_points) for s in sides}
    eq_err = None
    if method == "equidistance":
        worst = 0.0
        for s in np.linspace(1.0, line.length, check_points):
            d1, d2 = _dist_to_baselines(line.interpolate(s), bl, sides, metric)
            worst = max(worst, abs(d1 - d2))
        eq_err = worst
    end_d = dict(zip(sides, _dist_to_baselines(end, bl, sides, metric)))
    return Maritime(line, method, end, limits, lim_err, eq_err, end_d, gap)


def shared_edge(a: BaseGeometry, b: BaseGeometry, snap_m: float) -> LineString:
    """The common boundary of two territory polygons (e.g. OpenStreetMap's mapped border), as one line."""
    edge = a.boundary.intersection(b.buffer(snap_m))
    lines = _lines(linemerge(_lines(edge))) if not edge.is_empty else []
    if not lines:
        raise GeometryError("the reference territories share no border")
    return max(lines, key=lambda g: g.length)


@dataclass(frozen=True)
class Comparison:
    hausdorff_m: float
    mean_m: float
    end_distance_m: float


def compare(line: LineString, ref: LineString, metric: CRS, step: float = 10.0) -> Comparison:
    """Hausdorff (both lines sampled every ``step`` m) and mean (over ``line``) distances, and the distance between ends."""
    pts = shapely.points(shapely.get_coordinates(shapely.segmentize(line, step)))
    mean = float(np.mean(shapely.distance(pts, ref)))
    haus = float(shapely.hausdorff_distance(shapely.segmentize(line, step), shapely.segmentize(ref, step)))
    a, b = to_lonlat(Point(line.coords[-1]), metric), to_lonlat(Point(ref.coords[-1]), metric)
    return Comparison(haus, mean, float(GEOD.inv(a.x, a.y, b.x, b.y)[2]))
