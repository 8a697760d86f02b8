"""Stage 2 — the land boundary: river mouth, middle of the main channel, thalweg.

Middle line
    The medial axis of the water area: the Voronoi diagram (GEOS, via ``shapely.voronoi_polygons``)
    of points densified along the banks and island shores; its edges that lie in the water are
    equidistant from the two nearest shores. Water beyond the closing lines (the water area may run on
    into the sea) is cut off first; the closing line is not a bank, so the axis runs out through it. The edges form a graph; the main channel is the least-cost path from the mouth to
    the farthest upstream node, edge cost = length x (reference width / local width)^p ("widest"), or
    with depth from the raster in place of width ("deepest").
Thalweg
    The least-cost path through the depth raster (``skimage.graph.MCP_Geometric``) with cell cost
    (max depth / depth)^q, between the same start and end points, smoothed without leaving the water.

All geometry is in the metric CRS of :mod:`pipeline.load`; nothing here reads or writes files.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Voronoi
from shapely.geometry import LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, split, substring

log = logging.getLogger(__name__)


class GeometryError(ValueError):
    """The inputs are readable but their geometry cannot give a border (e.g. no river mouth)."""


# --------------------------------------------------------------------------------------- mouth
@dataclass(frozen=True)
class Mouth:
    closing_line: LineString              # straight line between the banks' seaward ends
    other_openings: tuple[LineString, ...]  # smaller outlets to the sea, reported, not used
    # the water's outer ring farther than snap_m from land (all openings): what lies between it and the
    # closing lines is sea-side water, cut off before the middle line is computed; None = not known
    # (a Mouth built by hand): the largest piece left by the closing lines is taken as the river
    opening: BaseGeometry | None = None


def _lines(g: BaseGeometry) -> list[LineString]:
    if g.is_empty:
        return []
    if g.geom_type == "LineString":
        return [g]
    return [p for p in shapely.get_parts(g) if p.geom_type == "LineString"]


def _polygons(g: BaseGeometry) -> list[shapely.Polygon]:
    """The non-empty polygons of ``g``, nested collections flattened (``shapely.make_valid`` returns e.g.
    GeometryCollection(MultiPolygon, LineString) for a self-intersecting ring)."""
    if g.is_empty:
        return []
    if g.geom_type == "Polygon":
        return [g]
    if hasattr(g, "geoms"):
        return [p for part in g.geoms for p in _polygons(part)]
    return []


def main_polygon(water: BaseGeometry) -> shapely.Polygon:
    """The largest connected polygon of the water area (others are reported and ignored). Parts that
    touch or overlap (a river digitised in pieces) are dissolved first."""
    parts = _polygons(water)
    if not parts:
        raise GeometryError(f"the water area holds no polygon (it is {water.geom_type}, empty={water.is_empty})")
    if len(parts) > 1:
        parts = _polygons(shapely.union_all(parts))
    parts.sort(key=lambda p: p.area, reverse=True)
    if len(parts) > 1:
        log.warning("water area has %d disconnected parts; using the largest (%.0f m2), ignoring %.0f m2",
                    len(parts), parts[0].area, sum(p.area for p in parts[1:]))
    return parts[0]


def find_mouth(water: BaseGeometry, land: BaseGeometry, snap_m: float, min_width_m: float) -> Mouth:
    """Where the river's outer bank line leaves the land: the openings to the sea, widest first.

    ``land`` is the union of the coast data set's land polygons (rivers not cut out). Bank parts
    that run inside or along the land are banks; what remains of the water's outer ring, farther
    than ``snap_m`` from land, is an opening; its closing line joins the opening's two ends
    (the banks' seaward ends), as UNCLOS art. 9 draws a river-mouth baseline.
    """
    poly = main_polygon(water)
    opening = shapely.difference(poly.exterior, land.buffer(snap_m))
    merged = linemerge(_lines(opening)) if not opening.is_empty else opening
    closings = []
    for part in _lines(merged):
        a, b = Point(part.coords[0]), Point(part.coords[-1])
        if a.distance(b) >= min_width_m:
            closings.append(LineString([a, b]))
    if not closings:
        raise GeometryError("the river does not reach the coast: no part of its outer bank line lies "
                            f"more than {snap_m} m outside the land (banks stop short of the coast?)")
    closings.sort(key=lambda g: g.length, reverse=True)
    return Mouth(closings[0], tuple(closings[1:]), merged)


def _extended(line: LineString, d: float) -> LineString:
    a, b = np.asarray(line.coords[0], float), np.asarray(line.coords[-1], float)
    u = (b - a) / max(np.linalg.norm(b - a), 1e-12)
    return LineString([a - d * u, b + d * u])


def _river_part(poly: shapely.Polygon, mouth: Mouth, snap_m: float) -> shapely.Polygon:
    """The water polygon cut at the mouth's closing lines, without the sea-side water beyond them.

    The water area may run on past the coast; that part is bounded by the opening, not by banks, and
    must neither generate the medial axis nor carry it past the closing line. The pieces whose
    boundary, apart from the closing lines, lies on the opening are sea-side; the largest other piece
    is the river.
    """
    cuts = [mouth.closing_line, *mouth.other_openings]
    # the closing lines end on the ring: extend them a little so that they cut it for sure
    blade = MultiLineString([_extended(c, max(0.5 * snap_m, 1e-3)) for c in cuts])
    pieces = list(shapely.get_parts(split(poly, blade)))
    if mouth.opening is not None and not mouth.opening.is_empty:
        tol = max(1e-3 * snap_m, 1e-6)
        sea_edge = shapely.union_all([mouth.opening.buffer(tol), blade.buffer(tol)])
        river = [p for p in pieces if not shapely.covered_by(p.boundary, sea_edge)]
        pieces = river or pieces
    return max(pieces, key=lambda p: p.area)


# --------------------------------------------------------------------------------- middle line
@dataclass(frozen=True)
class IslandChoice:
    island: int
    area_m2: float
    taken: str             # "left" or "right" of the island, looking downstream
    taken_width_m: float   # length-weighted mean width of the branch taken
    other_width_m: float
    rule: str


@dataclass(frozen=True)
class MiddleLine:
    line: LineString                 # from the upstream end to the crossing of the closing line
    islands: tuple[IslandChoice, ...]
    n_generators: int
    max_equidistance_error_m: float  # worst |d(left shore) - d(right shore)| over the vertices


@dataclass(frozen=True)
class _Skeleton:
    a: np.ndarray        # (m, 2) segment starts
    b: np.ndarray        # (m, 2) segment ends
    width: np.ndarray    # (m,) 2 x distance from the segment's midpoint to the nearest shore point
    labels: np.ndarray   # (m, 2) shore labels of the two generators the segment separates
    node_a: np.ndarray
    node_b: np.ndarray
    nodes: np.ndarray    # (n, 2)


def _shore_points(poly: shapely.Polygon, mouths: list[LineString], snap_m: float, step: float):
    """Points along the banks and island shores (not along the openings), with a label per point:
    0 = outer banks, k >= 1 = island k (the polygon's k-th hole)."""
    openings = shapely.union_all([m.buffer(snap_m, cap_style="flat") for m in mouths])
    rings = [poly.exterior] + list(poly.interiors)
    pts, labels = [], []
    for k, ring in enumerate(rings):
        line = LineString(ring.coords)
        if k == 0:
            line = shapely.difference(line, openings)
        for part in _lines(line):
            xy = shapely.get_coordinates(shapely.segmentize(part, step))
            pts.append(xy)
            labels.append(np.full(len(xy), k))
    xy, lab = np.vstack(pts), np.concatenate(labels)
    xy, first = np.unique(np.round(xy, 6), axis=0, return_index=True)
    return xy, lab[first]


def _voronoi_segments(gens: np.ndarray, far: float) -> tuple[np.ndarray, np.ndarray]:
    """Voronoi ridges of ``gens`` (scipy.spatial.Voronoi / Qhull) as segments, with the index pair of
    the two generators each ridge separates. Infinite ridges are cut ``far`` metres out."""
    vor = Voronoi(gens)
    rv = np.array(vor.ridge_vertices)
    rp = np.asarray(vor.ridge_points)
    centre = gens.mean(axis=0)
    # Qhull puts the circumcentre of (nearly) collinear hull generators, e.g. the points of a straight
    # cap or bank, numerically "at infinity": finite but ~1e15 m away, on either side. Treat vertices
    # that far out as infinite, so that their ridges get the outward direction below.
    radius = np.linalg.norm(gens - centre, axis=1).max()
    remote = np.linalg.norm(vor.vertices - centre, axis=1) > 10.0 * radius
    rv = np.where((rv >= 0) & remote[np.maximum(rv, 0)], -1, rv)
    keep = (rv >= 0).any(axis=1)
    rv, rp = rv[keep], rp[keep]
    finite = (rv >= 0).all(axis=1)
    a = vor.vertices[rv[finite, 0]]
    b = vor.vertices[rv[finite, 1]]
    # infinite ridges: from their finite vertex along the bisector, away from the generators' centre
    inf = np.flatnonzero(~finite)
    v0 = vor.vertices[rv[inf].max(axis=1)]
    t = gens[rp[inf, 1]] - gens[rp[inf, 0]]
    n = np.column_stack([-t[:, 1], t[:, 0]]) / np.linalg.norm(t, axis=1, keepdims=True)
    mid = 0.5 * (gens[rp[inf, 0]] + gens[rp[inf, 1]])
    n *= np.sign(np.einsum("ij,ij->i", mid - centre, n))[:, None]
    a = np.vstack([a, v0])
    b = np.vstack([b, v0 + n * far])
    return np.stack([a, b], axis=1), np.vstack([rp[finite], rp[inf]])


def _skeleton(poly: shapely.Polygon, mouth: Mouth, step: float, snap_m: float) -> tuple[_Skeleton, int]:
    gens, glab = _shore_points(poly, [mouth.closing_line, *mouth.other_openings], snap_m, step)
    segs, pairs = _voronoi_segments(gens, far=4.0 * mouth.closing_line.length + 1000.0)
    seg_geoms = shapely.linestrings(segs)
    shapely.prepare(poly)
    inside = shapely.contains(poly, seg_geoms)  # prepared geometry first: indexed predicate
    crossing = shapely.intersects(seg_geoms, mouth.closing_line) & ~inside
    a, b = segs[:, 0].copy(), segs[:, 1].copy()
    # clip segments that cross the closing line at the crossing: the axis leaves the river there
    a_in = shapely.intersects_xy(poly, a[:, 0], a[:, 1])
    b_in = shapely.intersects_xy(poly, b[:, 0], b[:, 1])
    for i in np.flatnonzero(crossing):
        x = shapely.intersection(seg_geoms[i], mouth.closing_line)
        if x.geom_type != "Point" or a_in[i] == b_in[i]:
            crossing[i] = False
        elif a_in[i]:
            b[i] = (x.x, x.y)
        else:
            a[i] = (x.x, x.y)
    keep = inside | crossing
    a, b, pairs = a[keep], b[keep], pairs[keep]
    # each ridge is equidistant from its two generators: the local width is twice that distance
    width = 2.0 * np.linalg.norm(0.5 * (a + b) - gens[pairs[:, 0]], axis=1)
    labels = glab[pairs]
    nodes, inv = np.unique(np.round(np.vstack([a, b]), 3), axis=0, return_inverse=True)
    inv = inv.ravel()
    m = len(a)
    return _Skeleton(a, b, width, labels, inv[:m], inv[m:], nodes), len(gens)


def _graph(sk: _Skeleton, weight: np.ndarray):
    n = len(sk.nodes)
    g = coo_matrix((np.concatenate([weight, weight]),
                    (np.concatenate([sk.node_a, sk.node_b]), np.concatenate([sk.node_b, sk.node_a]))),
                   shape=(n, n)).tocsr()
    return g


def _path_nodes(pred: np.ndarray, start: int, end: int) -> list[int]:
    out = [end]
    while out[-1] != start:
        p = pred[out[-1]]
        if p < 0:
            raise GeometryError("the middle line's graph is disconnected between the mouth and upstream")
        out.append(int(p))
    return out  # from ``end`` back to ``start``


def middle_line(water: BaseGeometry, mouth: Mouth, step_m: float, snap_m: float, width_exponent: float = 2.0,
                depth_at=None, simplify_m: float = 0.0) -> MiddleLine:
    """Middle line of the main channel from the upstream end of the water area to the mouth.

    ``depth_at``: optional callable (xy array) -> depth array (metres); when given, the main channel is
    the deepest (edge cost falls with depth), otherwise the widest (edge cost falls with width).
    """
    poly = main_polygon(water)
    if not poly.intersects(mouth.closing_line.buffer(snap_m)):
        raise GeometryError("the closing line of the mouth does not touch the water area")
    poly = _river_part(poly, mouth, snap_m)
    sk, n_gen = _skeleton(poly, mouth, step_m, snap_m)
    length = np.linalg.norm(sk.b - sk.a, axis=1)
    # the mouth node: the outer end of the widest edge crossing the closing line
    on_mouth = np.flatnonzero(shapely.distance(shapely.points(sk.b), mouth.closing_line) < 1e-6)
    on_mouth_a = np.flatnonzero(shapely.distance(shapely.points(sk.a), mouth.closing_line) < 1e-6)
    cands = [(sk.width[i], sk.node_b[i]) for i in on_mouth] + [(sk.width[i], sk.node_a[i]) for i in on_mouth_a]
    if not cands:
        raise GeometryError("the middle line does not reach the mouth's closing line")
    end = max(cands)[1]
    dist_len, _ = dijkstra(_graph(sk, length), indices=end, return_predecessors=True)
    finite = np.isfinite(dist_len)
    upstream = int(np.argmax(np.where(finite, dist_len, -1)))
    if depth_at is not None:
        depth = np.maximum(np.asarray(depth_at(0.5 * (sk.a + sk.b)), dtype=float), 0.05)
        depth = np.where(np.isfinite(depth), depth, 0.05)
        cost = length * (np.nanmax(depth) / depth) ** width_exponent
        rule = "deepest"
    else:
        cost = length * (np.median(sk.width) / np.maximum(sk.width, 1e-3)) ** width_exponent
        rule = "widest"
    _, pred = dijkstra(_graph(sk, cost), indices=end, return_predecessors=True)
    path = _path_nodes(pred, end, upstream)  # upstream -> mouth
    line = LineString(sk.nodes[path])
    if simplify_m > 0:
        line = line.simplify(simplify_m, preserve_topology=False)
    islands = _island_choices(poly, sk, path, line, rule)
    err = equidistance_error(line, poly, mouth)
    return MiddleLine(line, tuple(islands), n_gen, err)


def _banks(poly: shapely.Polygon, mouth: Mouth, line: LineString) -> tuple[LineString, LineString]:
    """Split the outer ring (minus the mouth) at the middle line's upstream end: (left bank, right bank)."""
    ring = LineString(poly.exterior.coords)
    start = Point(line.coords[0])
    cl = mouth.closing_line
    # rotate the ring to start at the closing line's first end
    s0 = ring.project(Point(cl.coords[0]))
    s1 = ring.project(Point(cl.coords[1]))
    su = ring.project(start)
    L = ring.length

    def arc(u, v):
        if v >= u:
            return substring(ring, u, v)
        # across the ring's start; a projection may land on it (s = 0 or L): drop the empty piece
        parts = [g for g in (substring(ring, u, L), substring(ring, 0, v)) if g.geom_type == "LineString"]
        return parts[0] if len(parts) == 1 else linemerge(parts)

    # the ring runs s0 -> ... ; the bank from the closing end to the upstream point that does not
    # pass the other closing end
    def between(u, w, v):  # is w on the arc u -> v (forward)?
        return ((w - u) % L) <= ((v - u) % L)

    if between(s0, su, s1):
        b1, b2 = arc(s0, su), arc(su, s1)
    else:
        b1, b2 = arc(s1, su), arc(su, s0)
    # left bank: lies to the left of the downstream direction (from upstream point to mouth)
    d = np.array(line.coords[-1]) - np.array(line.coords[0])
    c1 = np.array(b1.interpolate(0.5, normalized=True).coords[0]) - np.array(line.coords[0])
    left_first = d[0] * c1[1] - d[1] * c1[0] > 0
    return (b1, b2) if left_first else (b2, b1)


def _distances(pts: np.ndarray, line: LineString) -> np.ndarray:
    """Exact distances from ``pts`` to ``line``, through an STRtree of the line's segments."""
    segs = []
    for part in _lines(line):
        c = shapely.get_coordinates(part)
        segs.append(shapely.linestrings(np.stack([c[:-1], c[1:]], axis=1)))
    segs = np.concatenate(segs)
    (src, _), dist = shapely.STRtree(segs).query_nearest(pts, return_distance=True, all_matches=False)
    out = np.empty(len(pts))
    out[src] = dist
    return out


def equidistance_error(line: LineString, poly: shapely.Polygon, mouth: Mouth) -> float:
    """Worst difference, over the line's vertices, between the distances to the two nearest shores
    (left bank, right bank, island shores), measured to the exact shore lines."""
    left, right = _banks(poly, mouth, line)
    shores = [left, right] + [LineString(r.coords) for r in poly.interiors]
    pts = shapely.points(np.asarray(line.coords))
    d = np.column_stack([_distances(pts, s) for s in shores])
    d.sort(axis=1)
    # the upstream end lies on the cap between the banks; the axis' very first vertices are
    # near-degenerate there: measure from where the line is a full half-width from its start
    half = np.median(d[:, 0])
    xy = np.asarray(line.coords)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(xy, axis=0), axis=1))])
    use = s >= half
    return float(np.max(np.abs(d[use, 1] - d[use, 0]))) if use.any() else 0.0


def _island_choices(poly, sk: _Skeleton, path: list[int], line: LineString, rule: str) -> list[IslandChoice]:
    out = []
    on_path = set(zip(path[:-1], path[1:]))
    on_path |= {(b, a) for a, b in on_path}
    length = np.linalg.norm(sk.b - sk.a, axis=1)
    for k, hole in enumerate(poly.interiors, start=1):
        isl = shapely.Polygon(hole)
        near = np.flatnonzero((sk.labels == k).any(axis=1) & (sk.labels != k).any(axis=1))
        if len(near) == 0:
            continue
        taken_mask = np.array([(sk.node_a[i], sk.node_b[i]) in on_path for i in near])
        if not taken_mask.any():
            continue  # the path does not pass this island (e.g. upstream of where it starts)
        # side of the island relative to the path, looking downstream
        s = line.project(isl.centroid)
        p0, p1 = line.interpolate(max(s - 5, 0)), line.interpolate(min(s + 5, line.length))
        d = np.array(p1.coords[0]) - np.array(p0.coords[0])
        c = np.array(isl.centroid.coords[0]) - np.array(p0.coords[0])
        island_right = d[0] * c[1] - d[1] * c[0] < 0
        w_t = np.average(sk.width[near[taken_mask]], weights=length[near[taken_mask]])
        other = near[~taken_mask]
        # the other branch: edges around this island on the far side (beyond the island from the path)
        mids = 0.5 * (sk.a[other] + sk.b[other])
        far = np.array([shapely.distance(Point(m), line) > shapely.distance(Point(m), isl) for m in mids]) \
            if len(other) else np.zeros(0, bool)
        w_o = float(np.average(sk.width[other[far]], weights=length[other[far]])) if far.any() else 0.0
        out.append(IslandChoice(k, float(isl.area), "left" if island_right else "right", float(w_t), w_o, rule))
    return out


def land_boundary(middle: LineString, start: Point, mouth: Mouth) -> LineString:
    """The part of the middle line from ``start`` (the tripoint, on the line) to the closing line."""
    s0 = middle.project(start)
    s1 = middle.project(middle.intersection(mouth.closing_line.buffer(1e-6)).centroid) \
        if middle.intersects(mouth.closing_line.buffer(1e-6)) else middle.length
    if s0 >= s1:
        raise GeometryError("the tripoint lies downstream of the river mouth")
    line = substring(middle, s0, s1)
    coords = np.asarray(line.coords)
    coords[0] = start.coords[0]
    return LineString(coords)


# ------------------------------------------------------------------------------------- thalweg
@dataclass(frozen=True)
class Thalweg:
    line: LineString
    cells: int
    smoothed_vertices_kept: float   # fraction of vertices whose smoothed position stayed in the water


def thalweg(depth: np.ndarray, transform, to_grid, from_grid, water_grid: BaseGeometry,
            start: Point, end: Point, exponent: float, smooth_cells: int) -> Thalweg:
    """Least-cost path through ``depth`` (NaN = not water) from ``start`` to ``end``.

    ``to_grid``/``from_grid`` transform (x, y) arrays between the metric CRS and the grid's CRS;
    ``water_grid`` is the water area in the grid's CRS (used to keep the smoothed line in the water).
    """
    from rasterio.transform import rowcol, xy
    from skimage.graph import MCP_Geometric

    valid = np.isfinite(depth) & (depth > 0)
    if not valid.any():
        raise GeometryError("the depth raster holds no positive depth inside the river")
    dmax = float(np.nanmax(depth[valid]))
    cost = np.full(depth.shape, np.inf)
    cost[valid] = (dmax / depth[valid]) ** exponent
    pts = []
    for p in (start, end):
        gx, gy = to_grid(np.array([p.x]), np.array([p.y]))
        r, c = rowcol(transform, gx[0], gy[0])
        if not (0 <= r < depth.shape[0] and 0 <= c < depth.shape[1]):
            raise GeometryError("the thalweg's start or end lies outside the depth raster")
        if not valid[r, c]:  # snap to the nearest water cell
            dist, (ri, ci) = ndimage.distance_transform_edt(~valid, return_indices=True)
            r, c = int(ri[r, c]), int(ci[r, c])
        pts.append((r, c))
    mcp = MCP_Geometric(cost, fully_connected=True)
    costs, _ = mcp.find_costs([pts[0]], [pts[1]])
    if not np.isfinite(costs[pts[1]]):
        raise GeometryError("the depth raster has no wet path between the tripoint and the mouth")
    cells = np.array(mcp.traceback(pts[1]))
    gx, gy = xy(transform, cells[:, 0], cells[:, 1])
    raw = np.column_stack([gx, gy]).astype(float)
    sm = raw.copy()
    if smooth_cells > 1 and len(raw) > 2 * smooth_cells:
        sm = ndimage.uniform_filter1d(raw, size=smooth_cells, axis=0, mode="nearest")
    inside = shapely.contains_xy(water_grid, sm[:, 0], sm[:, 1])
    sm[~inside] = raw[~inside]
    mx, my = from_grid(sm[:, 0], sm[:, 1])
    coords = np.column_stack([mx, my])
    coords[0], coords[-1] = start.coords[0], end.coords[0]
    return Thalweg(LineString(coords), len(cells), float(inside.mean()))
