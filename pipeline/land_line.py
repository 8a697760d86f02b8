"""Stage 2 -- the channel lines: the river mouth, the middle of the main channel, and the thalweg.

Mouth
    Where the water's outer ring leaves the land is an opening to the sea; its closing line joins the
    banks' seaward ends, as UNCLOS art. 9 draws a river-mouth baseline.
Middle line
    The medial axis of the water area: Voronoi ridges (:func:`pipeline.geometry.voronoi_ridges`) of points
    every ``bank_densify_m`` along the banks and island shores, kept where they lie in the water; each is
    equidistant from its two shore points. Water beyond the closing line is cut off first; the closing line
    is not a bank, so the axis runs out through it. The ridges form a graph; the main channel is the
    least-cost path from the mouth to the farthest upstream node, edge cost = length x (median width / local
    width)^p ("widest"), or with depth from the depth grid in place of width ("deepest").
Thalweg
    The least-cost path through the depth grid's wet cells, cell cost (max depth / depth)^q, moves to the 8
    neighbours weighted as ``skimage.graph.MCP_Geometric`` weighs them, found by Dijkstra over those cells only
    (never a grid of the river's bounding box), from the middle line's upstream end to the closing line's
    deepest reachable cell, smoothed over a few cells without leaving the water.

Everything is in the metric CRS; nothing here reads or writes files. Geometry that cannot give a line
raises :class:`~pipeline.errors.GeometryError` naming the input it comes from ("river" or "depth").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import split, substring

from . import geometry
from .errors import GeometryError
from .geodesy import Geodesy
from .model import ChannelLines, DepthGrid, GridCells, IslandChoice, LandBoundary, MiddleLine, Mouth, Thalweg

if TYPE_CHECKING:
    from .config import LandCfg

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------- mouth
def main_polygon(water: BaseGeometry) -> Polygon:
    """The largest connected polygon of the water area.

    Touching or overlapping parts are dissolved first; disconnected others are logged (a warning) and ignored.

    Parameters
    ----------
    water : Polygon, MultiPolygon or GeometryCollection
        The river's water area, metric CRS (m).

    Returns
    -------
    Polygon
        The largest part by planar area (metric), islands as holes.

    Raises
    ------
    GeometryError
        ("river") when ``water`` holds no polygon.
    """
    parts = geometry.polygons(water)
    if not parts:
        raise GeometryError("river", f"the water area holds no polygon (it is {water.geom_type})")
    if len(parts) > 1:
        parts = geometry.polygons(shapely.union_all(parts))
    parts.sort(key=lambda p: p.area, reverse=True)
    if len(parts) > 1:
        log.warning("water area has %d disconnected parts; using the largest (%.0f m2), ignoring %.0f m2",
                    len(parts), parts[0].area, sum(p.area for p in parts[1:]))
    return parts[0]


def find_mouth(*, water: BaseGeometry, land: BaseGeometry, snap_m: float, min_width_m: float) -> Mouth:
    """The openings of the water area to the sea, widest first.

    Parameters
    ----------
    water : Polygon or MultiPolygon
        River water area, metric.
    land : geometry
        Union of the coast data's land polygons (rivers not cut out), metric.
    snap_m : float
        Parts of the water's outer ring farther than this from land are openings.
    min_width_m : float
        Openings whose ends are closer than this are ignored.

    Returns
    -------
    Mouth
        ``closing_line`` joins the two ends of the widest opening (the banks' seaward ends).
    """
    poly = main_polygon(water)
    opening = shapely.difference(poly.exterior, land.buffer(snap_m))
    merged = MultiLineString(geometry.merged(opening))
    closings = []
    for part in merged.geoms:
        a, b = Point(part.coords[0]), Point(part.coords[-1])
        if a.distance(b) >= min_width_m:
            closings.append(LineString([a, b]))
    if not closings:
        raise GeometryError("river", "the river does not reach the coast: no part of its outer bank line lies "
                                     f"more than {snap_m} m outside the land (banks stop short of the coast?)")
    closings.sort(key=lambda g: g.length, reverse=True)
    return Mouth(closings[0], tuple(closings[1:]), merged)


def _extended(line: LineString, d: float) -> LineString:
    a, b = np.asarray(line.coords[0], float), np.asarray(line.coords[-1], float)
    u = (b - a) / max(np.linalg.norm(b - a), 1e-12)
    return LineString([a - d * u, b + d * u])


def river_part(poly: Polygon, mouth: Mouth, snap_m: float) -> Polygon:
    """The water polygon cut at the closing lines, without the sea-side water beyond them.

    The pieces whose boundary, apart from the closing lines, lies on the opening are sea-side; the largest
    other piece is the river.

    Parameters
    ----------
    poly : Polygon
        The main water polygon (:func:`main_polygon`), metric CRS (m).
    mouth : Mouth
        Its openings (:func:`find_mouth`): the closing line and the other openings cut it.
    snap_m : float
        Distance (m) within which water counts as touching land; the closing lines are extended by half of it
        (at least 1 mm) to cut the polygon cleanly.

    Returns
    -------
    Polygon
        The river above its closing line(s) (metric), islands as holes; the largest piece by planar area.
    """
    cuts = [mouth.closing_line, *mouth.other_openings]
    blade = MultiLineString([_extended(c, max(0.5 * snap_m, 1e-3)) for c in cuts])
    pieces = list(shapely.get_parts(split(poly, blade)))
    if mouth.opening is not None and not mouth.opening.is_empty:
        tol = max(1e-3 * snap_m, 1e-6)
        sea_edge = shapely.union_all([mouth.opening.buffer(tol), blade.buffer(tol)])
        river = [p for p in pieces if not shapely.covered_by(p.boundary, sea_edge)]
        pieces = river or pieces
    return max(pieces, key=lambda p: p.area)


def islands(*, water: BaseGeometry, mouth: Mouth, snap_m: float) -> dict[int, Polygon]:
    """The islands of the river by number: the one numbering every module uses (report, layers, compare).

    Parameters
    ----------
    water : Polygon or MultiPolygon
        The river's water area (metric), islands as holes.
    mouth : Mouth
        The river's mouth: what lies seaward of its closing line is not river.
    snap_m : float
        Distance (m) within which water counts as touching land.

    Returns
    -------
    dict[int, Polygon]
        Island k (from 1) is the k-th hole of the river's main water polygon above the closing line (metric).
    """
    return numbered_islands(river_part(main_polygon(water), mouth, snap_m))


def numbered_islands(poly: Polygon) -> dict[int, Polygon]:
    """The holes of a water polygon as islands numbered from 1 in ring order (see :func:`islands`).

    Parameters
    ----------
    poly : Polygon
        A water polygon, metric CRS (m); its holes are the islands.

    Returns
    -------
    dict of int to Polygon
        Island k -> the polygon of the k-th hole (``poly.interiors[k - 1]``), metric.
    """
    return {k: Polygon(h) for k, h in enumerate(poly.interiors, start=1)}


# ----------------------------------------------------------------------------------------- middle line
@dataclass(frozen=True)
class _Shore:
    """Points along the shores: ``xy`` (n, 2), ``label`` (0 = outer banks, k = island k), and the index of
    each point's neighbours along its shore (``prev``/``next``, -1 at the open ends)."""

    xy: np.ndarray
    label: np.ndarray
    prev: np.ndarray
    next: np.ndarray


def _shore_points(poly: Polygon, openings: list[LineString], snap_m: float, step: float) -> _Shore:
    """Points every ``step`` along the banks and island shores, not along the openings."""
    cut = shapely.union_all([m.buffer(snap_m, cap_style="flat") for m in openings])
    pts, labels, prev, nxt = [], [], [], []
    seen: set[tuple[float, float]] = set()
    n = 0
    for k, ring in enumerate([poly.exterior, *poly.interiors]):
        line = LineString(ring.coords)
        for part in geometry.lines(shapely.difference(line, cut) if k == 0 else line):
            xy = shapely.get_coordinates(shapely.segmentize(part, step))
            closed = bool((xy[0] == xy[-1]).all())
            if closed:
                xy = xy[:-1]                       # a closed ring: its last vertex repeats the first
            else:                                  # an end shared with an earlier part is already a point
                keep = [tuple(p) not in seen for p in (xy[0], xy[-1])]
                xy = xy[(0 if keep[0] else 1): (len(xy) if keep[1] else len(xy) - 1)]
                seen |= {tuple(xy[0]), tuple(xy[-1])}
            m = len(xy)
            idx = np.arange(n, n + m)
            prev.append(np.roll(idx, 1) if closed else np.concatenate([[-1], idx[:-1]]))
            nxt.append(np.roll(idx, -1) if closed else np.concatenate([idx[1:], [-1]]))
            pts.append(xy)
            labels.append(np.full(m, k))
            n += m
    return _Shore(np.vstack(pts), np.concatenate(labels), np.concatenate(prev), np.concatenate(nxt))


def _cross_closing(a: np.ndarray, b: np.ndarray, c0: np.ndarray, c1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For segments a->b (m, 2): whether each crosses the segment c0->c1, and the crossing point."""
    d, e = b - a, c1 - c0
    den = d[:, 0] * e[1] - d[:, 1] * e[0]
    w = c0 - a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = (w[:, 0] * e[1] - w[:, 1] * e[0]) / den
        u = (w[:, 0] * d[:, 1] - w[:, 1] * d[:, 0]) / den
    hit = (den != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    return hit, a + np.nan_to_num(t)[:, None] * d


def _ridges_inside(rid: geometry.Ridges, v_in: np.ndarray, shore: _Shore, water: geometry.Inside,
                   openings: list[LineString]) -> np.ndarray:
    """Indices of the ridges that lie in the water: both ends in it (``v_in``), crossing no bank or opening."""
    ea, eb = rid.edges[:, 0], rid.edges[:, 1]
    cand = np.flatnonzero(v_in[ea] & v_in[eb])
    # both ends in the water: the ridge is in the water unless it crosses a bank or an opening. A bank is at
    # least r = sqrt(R^2 - (s/2)^2) from a Voronoi vertex whose sites are R away (s: the largest spacing of
    # shore points), so a ridge no longer than r_a + r_b that crosses no opening is inside; the few others
    # are tested exactly (GEOS)
    a, b = rid.vertices[ea[cand]], rid.vertices[eb[cand]]
    sites = shore.xy
    site = sites[rid.sites[cand, 0]]
    nxt = shore.next
    spacing = float(np.linalg.norm(sites[nxt >= 0] - sites[nxt[nxt >= 0]], axis=1).max())
    clear = lambda v: np.sqrt(np.maximum(np.einsum("ij,ij->i", v - site, v - site) - spacing ** 2 / 4, 0))  # noqa: E731
    short = np.linalg.norm(b - a, axis=1) <= clear(a) + clear(b)
    for o in openings:
        for o0, o1 in zip(shapely.get_coordinates(o)[:-1], shapely.get_coordinates(o)[1:]):
            short &= ~_cross_closing(a, b, o0, o1)[0]
    exact = ~short
    keep = short.copy()
    keep[exact] = water.segments(np.stack([a[exact], b[exact]], axis=1))
    return cand[keep]


def _ridges_out_through(rid: geometry.Ridges, v_in: np.ndarray, closing_line: LineString
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(indices, crossing points) of the ridges with one end in the water that cross the closing line: the axis
    leaves the river there."""
    ea, eb = rid.edges[:, 0], rid.edges[:, 1]
    one = np.flatnonzero(v_in[ea] != v_in[eb])
    c0, c1 = (np.asarray(c, float) for c in closing_line.coords)
    hit, where = _cross_closing(rid.vertices[ea[one]], rid.vertices[eb[one]], c0, c1)
    return one[hit], where[hit]


class _Axis:
    """The medial-axis graph: edges (node pairs), their length, width, shore labels and generator sites."""

    def __init__(self, poly: Polygon, mouth: Mouth, step: float, snap_m: float, tile_sites: int):
        # the water's edge off the land (mouth.opening) is no bank either: a staircase edge (raster mask) along
        # the closing line would otherwise leave shore points on the river side of it
        openings = [mouth.closing_line, *mouth.other_openings, *geometry.lines(mouth.opening)]
        self.shore = _shore_points(poly, openings, snap_m, step)
        sites, site_label = self.shore.xy, self.shore.label
        self.n_sites = len(sites)
        # the diagram is only needed inside the water, where the nearest shore point is at most the largest
        # inscribed circle's radius away (GEOS gives it within ``tol``; + a step for the sampling): Qhull can
        # then work in tiles (see geometry.local_voronoi_ridges)
        tol = max(poly.area / poly.length, step)
        reach = shapely.maximum_inscribed_circle(poly, tol).length + tol + 2 * step
        # a ridge that runs to infinity must still cross the closing line: beyond any width and that line
        rid = geometry.local_voronoi_ridges(sites, reach_m=reach, max_sites=tile_sites,
                                            far_m=2 * reach + mouth.closing_line.length)
        water = geometry.Inside(poly)
        v_in = water.points(rid.vertices)
        inside = _ridges_inside(rid, v_in, self.shore, water, openings)
        cross, where = _ridges_out_through(rid, v_in, mouth.closing_line)
        ea, eb = rid.edges[:, 0], rid.edges[:, 1]
        n_v = len(rid.vertices)
        # nodes: Voronoi vertices, then one new node per crossing
        inner = np.where(v_in[ea[cross]], ea[cross], eb[cross])
        node_a = np.concatenate([ea[inside], inner])
        node_b = np.concatenate([eb[inside], n_v + np.arange(len(cross))])
        xy = np.vstack([rid.vertices, where])
        used, compact = np.unique(np.concatenate([node_a, node_b]), return_inverse=True)
        m = len(node_a)
        self.node_a, self.node_b = compact[:m], compact[m:]
        self.nodes = xy[used]
        self.sites = rid.sites[np.concatenate([inside, cross])]
        self.labels = site_label[self.sites]
        pa, pb = self.nodes[self.node_a], self.nodes[self.node_b]
        self.length = np.linalg.norm(pb - pa, axis=1)
        self.mid = 0.5 * (pa + pb)
        # each ridge is equidistant from its two sites: the local width is twice that distance
        self.width = 2.0 * np.linalg.norm(self.mid - sites[self.sites[:, 0]], axis=1)
        self.crossing = np.zeros(m, bool)
        self.crossing[len(inside):] = True

    def edge_keys(self, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(a key of every edge, the key of every step of ``path``): equal keys join the same two nodes."""
        n = len(self.nodes)
        return (np.minimum(self.node_a, self.node_b) * n + np.maximum(self.node_a, self.node_b),
                np.minimum(path[:-1], path[1:]) * n + np.maximum(path[:-1], path[1:]))

    def graph(self, weight: np.ndarray):
        n = len(self.nodes)
        w = np.concatenate([weight, weight]) + 1e-12   # csgraph drops explicit zeros: keep zero-length ridges
        return coo_matrix((w, (np.concatenate([self.node_a, self.node_b]),
                               np.concatenate([self.node_b, self.node_a]))), shape=(n, n)).tocsr()


def middle_line(*, water: BaseGeometry, mouth: Mouth, bank_densify_m: float, snap_m: float,
                width_exponent: float = 2.0, depth_at: Callable[[np.ndarray], np.ndarray] | None = None,
                min_depth_m: float = 0.05, simplify_m: float = 0.0, tile_sites: int = 20_000) -> MiddleLine:
    """The middle of the main channel from the upstream end of the water area to the closing line.

    Parameters
    ----------
    water : Polygon or MultiPolygon
        The river's water area, metric CRS (m), islands as holes.
    mouth : Mouth
        Its mouth (:func:`find_mouth`); the line ends on ``mouth.closing_line``.
    bank_densify_m : float
        Spacing (m) of the shore points (the line's accuracy is a small fraction of it on smooth banks).
    snap_m : float
        Distance (m) within which water counts as touching land, as in :func:`find_mouth`.
    width_exponent : float
        p in the edge cost length x (median width / width)^p, or x (max depth / depth)^p with ``depth_at``;
        0 makes the shortest path the main channel.
    depth_at : callable, optional
        (n, 2) metric points -> depths (m, positive down; NaN where unknown); when given the main channel is the
        deepest.
    min_depth_m : float
        Depths (m) below this, or unknown, count as this in the cost.
    simplify_m : float
        Douglas-Peucker tolerance (m) for the result; 0: none.
    tile_sites : int
        Above this many shore points the Voronoi diagram is computed in tiles (same result, linear time).

    Returns
    -------
    MiddleLine
        The line (metric, upstream -> its crossing of the closing line), the island choices (which side the main
        channel passes each island on, widths in m, depths in m), the number of shore points, and the worst
        equidistance error (m, :func:`equidistance_error`).

    Raises
    ------
    GeometryError
        ("river") when the closing line does not touch the water, the medial axis does not reach it, or its graph
        is disconnected between the mouth and upstream.
    """
    poly = main_polygon(water)
    if not poly.intersects(mouth.closing_line.buffer(snap_m)):
        raise GeometryError("river", "the closing line of the mouth does not touch the water area")
    poly = river_part(poly, mouth, snap_m)
    ax = _Axis(poly, mouth, bank_densify_m, snap_m, tile_sites)
    crossing = np.flatnonzero(ax.crossing)
    if len(crossing) == 0:
        raise GeometryError("river", "the middle line does not reach the mouth's closing line")
    end = int(ax.node_b[crossing[np.argmax(ax.width[crossing])]])
    dist, _ = dijkstra(ax.graph(ax.length), indices=end, return_predecessors=True)
    upstream = int(np.argmax(np.where(np.isfinite(dist), dist, -1)))
    depth = None
    if depth_at is not None:
        depth = np.asarray(depth_at(ax.mid), float)
        depth = np.where(np.isfinite(depth), np.maximum(depth, min_depth_m), min_depth_m)
        cost = ax.length * (depth.max() / depth) ** width_exponent
        rule = "deepest"
    else:
        cost = ax.length * (np.median(ax.width) / np.maximum(ax.width, 1e-3)) ** width_exponent
        rule = "widest"
    _, pred = dijkstra(ax.graph(cost), indices=end, return_predecessors=True)
    path = [upstream]
    while path[-1] != end:
        p = int(pred[path[-1]])
        if p < 0:
            raise GeometryError("river", "the middle line's graph is disconnected between the mouth and upstream")
        path.append(p)
    # co-circular shore points give ridges of (nearly) zero length, their circumcentres equal up to rounding
    # (~1e-14 m): such repeated vertices are dropped (a micrometre is far below any accuracy here)
    line = shapely.remove_repeated_points(LineString(ax.nodes[path]), 1e-6)
    if simplify_m > 0:
        line = line.simplify(simplify_m, preserve_topology=False)
    islands = _island_choices(poly, ax, np.asarray(path), line, rule, depth)
    return MiddleLine(line, tuple(islands), ax.n_sites, equidistance_error(ax, np.asarray(path)))


def _island_choices(poly: Polygon, ax: _Axis, path: np.ndarray, line: LineString, rule: str,
                    depth: np.ndarray | None) -> list[IslandChoice]:
    """For each island the path passes: which side it passes on, and the width (and depth) of both branches."""
    key, steps = ax.edge_keys(path)
    on_path = np.isin(key, steps)
    out = []
    along = geometry.Segments(line)
    around = _ridges_around(ax.labels)
    numbered = numbered_islands(poly)
    centroids = np.array([isl.centroid.coords[0] for isl in numbered.values()]).reshape(-1, 2)
    rights = dict(zip(numbered, geometry.side_codes(centroids, line, ("left", "right"), segments=along)))
    for k, island in numbered.items():
        near = around.get(k, np.empty(0, np.int64))
        taken = near[on_path[near]]
        if len(taken) == 0:
            continue  # the path does not pass this island (e.g. upstream of where it starts)
        other = near[~on_path[near]]
        # the other branch: ridges around the island on its far side (nearer the island than the path)
        if len(other):
            pts = ax.mid[other]
            other = other[along.distances(pts) > geometry.Segments(island.exterior).distances(pts)]
        right = rights[k] == "right"

        def mean(v, idx):
            return float(np.average(v[idx], weights=np.maximum(ax.length[idx], 1e-9))) if len(idx) else 0.0

        out.append(IslandChoice(
            k, float(island.area), "left" if right else "right", mean(ax.width, taken), mean(ax.width, other),
            None if depth is None else mean(depth, taken), None if depth is None or not len(other)
            else mean(depth, other), rule))
    return out


def _ridges_around(labels: np.ndarray) -> dict[int, np.ndarray]:
    """For each label, the ridges (sorted indices) between a site of it and a site of another label: what
    ``np.flatnonzero((labels == k).any(axis=1) & (labels != k).any(axis=1))`` gives for each ``k``, in one
    sort instead of one pass over all ridges per island.

    Parameters
    ----------
    labels : ndarray (m, 2) of int
        The labels of the two sites of each ridge.

    Returns
    -------
    dict of int to ndarray of int64
    """
    between = np.flatnonzero(labels[:, 0] != labels[:, 1])
    ridge = np.concatenate([between, between])
    label = np.concatenate([labels[between, 0], labels[between, 1]])
    order = np.lexsort((ridge, label))
    ridge, label = ridge[order], label[order]
    cut = np.flatnonzero(np.diff(label)) + 1
    return {int(g[0]): r for g, r in zip(np.split(label, cut), np.split(ridge, cut)) if len(g)}


def _local_distance(xy: np.ndarray, site: np.ndarray, shore: _Shore) -> np.ndarray:
    """Exact distance from points ``xy`` to the shore polyline around their site: the two shore segments
    that meet at the site (the nearest point of a densely sampled shore to a point equidistant from its
    sites lies on them)."""
    best = np.linalg.norm(xy - shore.xy[site], axis=1)
    for other in (shore.prev[site], shore.next[site]):
        ok = other >= 0
        a, b = shore.xy[site[ok]], shore.xy[other[ok]]
        d = b - a
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.clip(np.nan_to_num(np.einsum("ij,ij->i", xy[ok] - a, d) / np.einsum("ij,ij->i", d, d)), 0, 1)
        best[ok] = np.minimum(best[ok], np.linalg.norm(xy[ok] - (a + t[:, None] * d), axis=1))
    return best


def equidistance_error(ax: _Axis, path: np.ndarray) -> float:
    """How far the middle line is from equidistant between its two shores.

    Worst |d(shore of one site) - d(shore of the other)| at the vertices of the path's ridges, distances to the
    shore polylines around each ridge's two sites. The first half-width from the upstream end is left out: the
    axis forks to the corners of the upstream cap there.

    Parameters
    ----------
    ax : _Axis
        The medial-axis graph of :func:`middle_line` (metric).
    path : ndarray of int
        Node indices of the main channel along ``ax``, as :func:`middle_line` found it (upstream first).

    Returns
    -------
    float
        Metres (planar, metric CRS); 0 when no vertex is past the first half-width.
    """
    key, steps = ax.edge_keys(path)
    order = np.argsort(key)
    edge = order[np.searchsorted(key, steps, sorter=order)]
    xy = np.vstack([ax.nodes[path[:-1]], ax.nodes[path[1:]]])
    s1, s2 = np.tile(ax.sites[edge, 0], 2), np.tile(ax.sites[edge, 1], 2)
    d1, d2 = _local_distance(xy, s1, ax.shore), _local_distance(xy, s2, ax.shore)
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(ax.nodes[path], axis=0), axis=1))])
    use = np.tile(along[:-1] >= np.median(d1), 2)
    return float(np.max(np.abs(d1 - d2)[use])) if use.any() else 0.0


# --------------------------------------------------------------------------------------------- thalweg
def grid_cells(grid: DepthGrid, geo: Geodesy, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grid cells under metric points, through the run's datum path.

    Parameters
    ----------
    grid : DepthGrid
        The depth grid (its own CRS and transform).
    geo : Geodesy
        The run's metric CRS and datum path.
    xy : ndarray (n, 2)
        Points in the run's metric CRS (m).

    Returns
    -------
    (ndarray, ndarray) of int
        Row and column of each point's cell in the whole grid; they may lie outside it (or outside its windows).
    """
    g = geo.lonlat_to_xy(geo.metric_to_lonlat(xy), grid.crs)
    col, row = ~grid.transform @ (g[:, 0], g[:, 1])
    return np.floor(row).astype(int), np.floor(col).astype(int)


def grid_sampler(grid: DepthGrid, geo: Geodesy) -> Callable[[np.ndarray], np.ndarray]:
    """A function from metric points to the depth of the grid cell under each.

    Parameters
    ----------
    grid : DepthGrid
        Dense or windowed; read through its :attr:`~pipeline.model.DepthGrid.cells` index, so a lookup costs the
        same whatever the grid's extent.
    geo : Geodesy
        The run's datum path (metric -> grid CRS).

    Returns
    -------
    callable
        (n, 2) metric points -> (n,) depths in m (float64), as the grid holds them; NaN where the cell holds no
        depth or the point lies off the grid.
    """

    def sample(xy: np.ndarray) -> np.ndarray:
        r, c = grid_cells(grid, geo, xy)
        return grid.cells.values_at(r, c)

    return sample


# the moves of skimage.graph.MCP_Geometric(fully_connected=True), (rows, columns, length in cells): the four to
# later cells in row-major order; each with its reverse, they are the eight moves to the neighbours
_MOVES = ((0, 1, 1.0), (1, -1, float(np.sqrt(2.0))), (1, 0, 1.0), (1, 1, float(np.sqrt(2.0))))


def _neighbours(key: np.ndarray):
    """For each move of ``_MOVES`` in turn: the (from, to) indices (int32 arrays) of the listed cells that are one
    such move apart (a generator: one move's pairs at a time).

    ``key`` are sorted ``GridCells`` keys (``row << 32 | col``). The right neighbour is the next key or none;
    one binary search finds the cell below-left, and the cells below and below-right, if listed, follow its
    place within two (row-major order)."""
    n = len(key)
    below_left = np.searchsorted(key, key + (1 << 32) - 1).astype(np.int32)
    for dr, dc, _ in _MOVES:
        if dr == 0:                                      # the right neighbour: the next key, if it is listed
            right = np.flatnonzero(key[1:] == key[:-1] + dc).astype(np.int32)
            yield right, right + 1
            continue
        want = key + (dr << 32) + dc
        at = np.full(n, -1, np.int32)
        for k in range(dc + 2):
            j = below_left + k
            ok = (at < 0) & (j < n)
            ok[ok] = key[j[ok]] == want[ok]
            at[ok] = j[ok]
        has = np.flatnonzero(at >= 0).astype(np.int32)
        yield has, at[has]


def _cost_graph(key: np.ndarray, cost: np.ndarray):
    """The moves between the listed cells as a sparse array holding each move once, from the earlier cell in
    row-major order to the later: weight ``length * 0.5 * (cost_a + cost_b)``, the floating-point operations of
    MCP_Geometric's ``_travel_cost`` (``length * 0.5`` is exact). Read as undirected it holds all eight moves."""
    from scipy.sparse import csr_array

    n = len(key)
    to = np.full((n, len(_MOVES)), -1, np.int32)
    for m, (a, b) in enumerate(_neighbours(key)):
        to[a, m] = b
    has = to >= 0
    count = has.sum(axis=1)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(count, out=indptr[1:])
    indices = to[has]                                  # row-major: by source cell, then by move
    del to
    weight = cost[indices]
    weight += np.repeat(cost, count)
    move = np.broadcast_to(np.arange(len(_MOVES), dtype=np.int8), has.shape)[has]
    del has
    weight *= np.array([length * 0.5 for _, _, length in _MOVES])[move]
    if indptr[-1] < 2 ** 31:
        indptr = indptr.astype(np.int32)
    return csr_array((weight, indices, indptr), shape=(n, n))


def least_cost_path(key: np.ndarray, cost: np.ndarray, start: int, ends: np.ndarray
                    ) -> tuple[np.ndarray, Callable[[int], np.ndarray]]:
    """Least-cost paths over the listed cells of a grid, as ``skimage.graph.MCP_Geometric(fully_connected=True)``
    finds them on the dense grid, but sized by the listed cells only.

    Dijkstra (``scipy.sparse.csgraph.dijkstra``) on the graph whose nodes are the listed cells and whose edges
    join 8-neighbours, weighted as MCP_Geometric weighs a move (:func:`_cost_graph`); the start's own cost is
    left out, as MCP_Geometric does. Unlisted cells are impassable, as infinite costs are to MCP. The graphs
    are the same, so the least costs are equal to the bit (each is the minimum, over the same finalised
    predecessors, of the same sums). Paths can differ only where a cell is reached equally cheaply from two
    cells of exactly equal cumulative cost: the two heaps break that tie differently.

    Parameters
    ----------
    key : ndarray
        Sorted int64 cell keys (``GridCells.key``: ``row << 32 | col``).
    cost : ndarray
        Positive finite cost per cell of length of each listed cell (float64).
    start : int
        Index of the start cell.
    ends : ndarray
        Indices of the candidate end cells.

    Returns
    -------
    end_costs : ndarray
        Least cumulative cost from the start to each end, float64 (inf where unreachable).
    path_to : callable
        Index of a reached cell -> indices of the cells of its least-cost path, start first.
    """
    dist, pred = dijkstra(_cost_graph(key, cost), directed=False, indices=start, return_predecessors=True)

    def path_to(end: int) -> np.ndarray:
        path = [end]
        while path[-1] != start:
            p = int(pred[path[-1]])
            if p < 0:
                raise ValueError(f"cell {end} is not reachable from cell {start}")
            path.append(p)
        return np.array(path[::-1])

    return dist[ends], path_to


def _start_cell(grid: DepthGrid, geo: Geodesy, start: Point, wet: GridCells) -> int:
    """Index into ``wet`` of the cell under the metric point ``start``, or of the nearest wet cell (distance in
    cells; ties: the first in row-major order) when that one is dry."""
    (r,), (c,) = grid_cells(grid, geo, np.asarray(start.coords))
    if not grid.covers(np.array([r]), np.array([c]))[0]:
        raise GeometryError("depth", "the depth grid does not cover the upstream end of the river")
    return int(np.argmin((wet.rows - r) ** 2 + (wet.cols - c) ** 2))   # the cell itself (0) when it is wet


def _end_cells(grid: DepthGrid, geo: Geodesy, closing_line: LineString, wet: GridCells) -> np.ndarray:
    """Indices into ``wet`` (in row-major order) of the wet cells the metric ``closing_line`` touches, rasterised
    with ``all_touched`` on the window of the grid around the line (not on the whole grid)."""
    from affine import Affine
    from rasterio.features import rasterize

    closing_grid = geo.from_metric_to(closing_line, grid.crs)
    x0, y0, x1, y1 = closing_grid.bounds
    cc, rr = ~grid.transform @ (np.array([x0, x0, x1, x1]), np.array([y0, y1, y0, y1]))
    r0, c0 = int(np.floor(rr.min())) - 1, int(np.floor(cc.min())) - 1
    h, w = int(np.floor(rr.max())) + 2 - r0, int(np.floor(cc.max())) + 2 - c0
    window = grid.transform @ Affine.translation(c0, r0)
    touched = rasterize([(closing_grid, 1)], out_shape=(h, w), transform=window, all_touched=True, dtype="uint8")
    tr, tc = np.nonzero(touched)                        # row-major
    i = wet.find(tr + r0, tc + c0)
    return i[i >= 0]


def thalweg(*, grid: DepthGrid, geo: Geodesy, water: BaseGeometry, start: Point, closing_line: LineString,
            depth_exponent: float, smooth_cells: int) -> Thalweg:
    """Least-cost path through the depth grid from ``start`` to the deepest reachable cell on ``closing_line``.

    The path runs over the grid's wet cells only (:func:`least_cost_path`, as ``MCP_Geometric`` on the dense
    grid); nothing is sized by the grid's extent, so a windowed grid along the river works as a dense one.

    Parameters
    ----------
    grid : DepthGrid
        Depth (m, positive down, NaN = no data), dense or windowed.
    geo : Geodesy
        The run's datum path (metric <-> grid CRS).
    water : geometry
        Metric water area: the smoothed line never leaves it.
    start : Point
        Metric upstream start (snapped to the nearest wet cell).
    closing_line : LineString
        Metric; the path ends on it.
    depth_exponent : float
        q in cell cost = (max depth / depth)^q.
    smooth_cells : int
        Moving-average window in cells (1: none).

    Returns
    -------
    Thalweg
        The line (metric) from ``start`` to a point on ``closing_line``, its cell count, and the fraction of
        its vertices smoothed.
    """
    from scipy import ndimage

    cells = grid.cells
    pos = np.flatnonzero(cells.value > 0)
    if len(pos) == 0:
        raise GeometryError("depth", "the depth grid holds no positive depth inside the river")
    depth = cells.value[pos]
    cost = ((float(np.max(depth)) / depth) ** depth_exponent).astype(np.float64)  # in the grid's dtype, as before
    passable = np.isfinite(cost)                     # an overflow to inf is a wall, as it is to MCP
    wet = GridCells(cells.key[pos[passable]], depth[passable])
    cost = cost[passable]
    del pos, depth, passable
    s = _start_cell(grid, geo, start, wet)
    ends = _end_cells(grid, geo, closing_line, wet)
    if len(ends) == 0:
        raise GeometryError("depth", "no wet cell of the depth grid lies on the river mouth's closing line")
    end_costs, path_to = least_cost_path(wet.key, cost, s, ends)
    reached = np.isfinite(end_costs)
    if not reached.any():
        raise GeometryError("depth", "the depth grid has no wet path from upstream to the river mouth")
    # the thalweg crosses the mouth at the closing line's deepest reachable cell (the cheapest end cell would
    # bias an oblique crossing towards the upstream side by up to a cell or two)
    end_depth = np.where(reached, wet.value[ends], -np.inf)
    path = path_to(int(ends[np.lexsort((end_costs, -end_depth))[0]]))
    on = GridCells(wet.key[path], wet.value[path])
    gx, gy = grid.transform @ (on.cols + 0.5, on.rows + 0.5)
    raw = np.column_stack([gx, gy]).astype(float)
    smooth = raw.copy()
    if smooth_cells > 1 and len(raw) > 2 * smooth_cells:
        smooth = ndimage.uniform_filter1d(raw, size=smooth_cells, axis=0, mode="nearest")
    water_grid = geo.from_metric_to(water, grid.crs)
    shapely.prepare(water_grid)
    inside = shapely.contains_xy(water_grid, smooth[:, 0], smooth[:, 1])
    smooth[~inside] = raw[~inside]
    metric = geo.lonlat_to_metric(geo.xy_to_lonlat(smooth, grid.crs))
    # end exactly on the closing line, at the point nearest the last cell's centre
    last = Point(metric[-1])
    metric[-1] = np.asarray(closing_line.interpolate(closing_line.project(last)).coords)[0]
    metric[0] = np.asarray(start.coords)[0]
    return Thalweg(LineString(metric), len(path), float(inside.mean()), grid.cell_m)


# ------------------------------------------------------------------------------------------- the stage
def channel_lines(*, water: BaseGeometry, land: BaseGeometry, depth: DepthGrid | None, geo: Geodesy,
                  border_line: Literal["thalweg", "middle"], settings: LandCfg) -> ChannelLines:
    """Stage 2: the mouth, the middle of the main channel and (with a depth grid) the thalweg.

    Parameters
    ----------
    water : Polygon or MultiPolygon
        The river's water area (metric CRS of ``geo``), islands as holes.
    land : Polygon or MultiPolygon
        Every state's land, merged (metric): where the water touches it is a bank, where not, an opening.
    depth : DepthGrid or None
        Depth in metres (positive down) on a grid in its own CRS; None: no thalweg.
    geo : Geodesy
        The run's metric CRS and datum path.
    border_line : {"thalweg", "middle"}
        Which line the land boundary follows (``Config.border_line``: "auto" already resolved).
    settings : LandCfg
        ``[land]``: the main-channel rule at islands (``main_channel``), shore spacing (m), cost exponents,
        the mouth's snapping distance (m), Voronoi tiling, thalweg smoothing (cells).

    Returns
    -------
    ChannelLines
        The mouth (closing line per UNCLOS art. 9), both lines from the upstream end of the water area to the
        closing line (metric), and which one is in use.
    """
    s = settings
    mouth = find_mouth(water=water, land=land, snap_m=s.mouth_snap_m, min_width_m=s.min_mouth_width_m)
    depth_at = grid_sampler(depth, geo) if (depth is not None and s.main_channel == "deepest") else None
    middle = middle_line(water=water, mouth=mouth, bank_densify_m=s.bank_densify_m, snap_m=s.mouth_snap_m,
                         width_exponent=s.width_exponent, depth_at=depth_at, min_depth_m=s.min_depth_m,
                         simplify_m=s.simplify_m, tile_sites=s.voronoi_tile_sites)
    thal = None
    if depth is not None:
        thal = thalweg(grid=depth, geo=geo, water=water, start=Point(middle.line.coords[0]),
                       closing_line=mouth.closing_line, depth_exponent=s.thalweg_depth_exponent,
                       smooth_cells=s.thalweg_smooth_cells)
    if border_line == "thalweg" and thal is None:
        raise GeometryError("depth", "the thalweg was asked for but there is no depth grid")
    return ChannelLines(mouth, middle, thal, "thalweg" if border_line == "thalweg" else "middle")


def land_boundary(*, channel: ChannelLines, station_m: float, tripoint: Point, other_station_m: float | None,
                  junction: Point | None, junction_id: str) -> LandBoundary:
    """The land boundary: the channel line in use from the tripoint to the closing line, then on to the junction.

    The channel line in use is cut at ``station_m`` and starts exactly at ``tripoint``; where ``junction`` (the
    treaty mouth point B) is given and off the line's end, a straight segment joins it.

    Parameters
    ----------
    channel : ChannelLines
        Stage 2's result (metric CRS); ``channel.line_in_use`` is followed.
    station_m : float
        Where A lies along the line in use, planar metres from its upstream end.
    tripoint : Point
        A (metric): the first vertex of the result.
    other_station_m : float or None
        Where A's construction meets the other channel line (planar m along it); None: the other line's point
        nearest to ``tripoint``.
    junction : Point or None
        The treaty mouth point B (metric), where the maritime boundary starts; None: the crossing of the closing
        line is the junction.
    junction_id : str
        Its label ("B", or the rule that computed it); "" when there is none.

    Returns
    -------
    LandBoundary
        The line A -> closing line (-> B), both channel lines from A's station to the closing line (metric),
        the crossing of the closing line, the junction and its label.

    Raises
    ------
    GeometryError
        ("points") when ``station_m`` is at or beyond the end of the line in use (A at or below the mouth).
    """
    line = channel.line_in_use
    if station_m >= line.length:
        raise GeometryError("points", "the tripoint lies at or below the river mouth")
    coords = np.asarray(substring(line, station_m, line.length).coords)
    coords[0] = np.asarray(tripoint.coords)[0]
    crossing = Point(coords[-1])
    if junction is not None and Point(coords[-1]).distance(junction) > 0:
        coords = np.vstack([coords, np.asarray(junction.coords)])
    parts = {channel.in_use: substring(line, station_m, line.length)}
    other = channel.other
    if other is not None:
        if other_station_m is None:   # the other line's nearest point to the tripoint
            other_station_m = float(other.project(tripoint))
        parts[channel.other_name] = substring(other, other_station_m, other.length)
    return LandBoundary(LineString(coords), parts["middle"], parts.get("thalweg"), crossing,
                        junction if junction is not None else crossing, junction_id)
