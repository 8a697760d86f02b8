"""Planar geometry toolkit shared by every stage and by the map (metric CRS, metres).

Thin, documented wrappers over shapely/GEOS and scipy for the few operations the stages share:
the single parts of a geometry, the side of a line a point lies on, the Voronoi ridges between labelled
sites, and the faces enclosed between two lines. Nothing here reads or writes files or knows a CRS.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import Delaunay, QhullError, cKDTree
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge

from . import progress

_SINGLE = {"Point", "LineString", "LinearRing", "Polygon"}


def parts(geom: BaseGeometry | None, kind: str | None = None) -> list[BaseGeometry]:
    """The non-empty single-part geometries of ``geom``, nested collections flattened.

    ``shapely.make_valid`` may return e.g. GeometryCollection(MultiPolygon, LineString): this takes it apart.

    Parameters
    ----------
    geom : shapely geometry or None
        Any geometry, in any CRS (None and empty give no parts).
    kind : {"Point", "LineString", "Polygon"}, optional
        Keep only parts of this type (LinearRings count as LineStrings); None keeps every part.

    Returns
    -------
    list of shapely geometry
        Points, LineStrings (a LinearRing returned as a LineString) and Polygons, in the order GEOS stores them,
        coordinates unchanged.
    """
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type in _SINGLE:
        g = LineString(geom.coords) if geom.geom_type == "LinearRing" else geom
        return [g] if kind is None or g.geom_type == kind else []
    return [p for sub in shapely.get_parts(geom) for p in parts(sub, kind)]


def lines(geom: BaseGeometry | None) -> list[LineString]:
    """The line parts of ``geom`` (:func:`parts` of kind "LineString").

    Parameters
    ----------
    geom : shapely geometry or None
        Any geometry, in any CRS.

    Returns
    -------
    list of LineString
        Rings included as LineStrings; coordinates unchanged.
    """
    return parts(geom, "LineString")


def polygons(geom: BaseGeometry | None) -> list[Polygon]:
    """The polygon parts of ``geom`` (:func:`parts` of kind "Polygon").

    Parameters
    ----------
    geom : shapely geometry or None
        Any geometry, in any CRS.

    Returns
    -------
    list of Polygon
        Coordinates unchanged.
    """
    return parts(geom, "Polygon")


def label_spot(geom: BaseGeometry, box: tuple[float, float, float, float], *, tolerance: float) -> Point | None:
    """Where a polygon's label goes inside a box: the pole of inaccessibility of its largest part in the box.

    Parameters
    ----------
    geom : Polygon or MultiPolygon
        The area to label, in any CRS (the map's).
    box : (float, float, float, float)
        (minx, miny, maxx, maxy) of what is shown, in ``geom``'s CRS.
    tolerance : float
        Precision of ``shapely.ops.polylabel``, in ``geom``'s units.

    Returns
    -------
    Point or None
        In ``geom``'s CRS; None when no part of ``geom`` lies in the box.
    """
    from shapely.ops import polylabel

    visible = polygons(shapely.clip_by_rect(geom, *box))
    return polylabel(max(visible, key=lambda p: p.area), tolerance=tolerance) if visible else None


def multiline(geom: BaseGeometry | None) -> MultiLineString:
    """The line parts of ``geom`` as one MultiLineString (:func:`lines`).

    Parameters
    ----------
    geom : shapely geometry or None
        Any geometry, in any CRS.

    Returns
    -------
    MultiLineString
        Empty when ``geom`` has no line part; coordinates unchanged.
    """
    return MultiLineString(lines(geom))


def multipolygon(geom: BaseGeometry | None) -> MultiPolygon:
    """The polygon parts of ``geom`` as one MultiPolygon (:func:`polygons`).

    Parameters
    ----------
    geom : shapely geometry or None
        Any geometry, in any CRS.

    Returns
    -------
    MultiPolygon
        Empty when ``geom`` has no polygon part; coordinates unchanged (overlapping parts are not dissolved).
    """
    return MultiPolygon(polygons(geom))


def merged(geom: BaseGeometry | None, min_length: float = 0.0) -> list[LineString]:
    """The line parts of ``geom`` joined end to end where they touch (``shapely.ops.linemerge``).

    Parameters
    ----------
    geom : shapely geometry or None
        Any geometry, in any CRS; its non-line parts are ignored.
    min_length : float
        Only merged lines longer than this (strictly) are returned, in ``geom``'s units.

    Returns
    -------
    list of LineString
        In ``geom``'s CRS; empty when it has no line part.
    """
    ls = lines(geom)
    if not ls:
        return []
    return [g for g in lines(linemerge(ls)) if g.length > min_length]


def oriented(line: LineString, start: Point) -> LineString:
    """``line`` running away from ``start``: reversed if its last vertex is nearer to ``start`` than its first.

    Parameters
    ----------
    line : LineString
        Any CRS (planar distances decide).
    start : Point
        In ``line``'s CRS.

    Returns
    -------
    LineString
        ``line`` itself, or a reversed copy (a tie keeps it as it is).
    """
    a, b = Point(line.coords[0]), Point(line.coords[-1])
    return LineString(line.coords[::-1]) if b.distance(start) < a.distance(start) else line


def reversals(line: LineString, max_turn_deg: float = 170.0, min_segment: float = 1e-6) -> int:
    """How many vertices of ``line`` turn it by more than ``max_turn_deg`` (the line doubles back there).

    Parameters
    ----------
    line : LineString
        Any CRS (planar directions).
    max_turn_deg : float
        Turns sharper than this count, degrees (180: straight back).
    min_segment : float
        Segments shorter than this (``line``'s units) are skipped: they have no direction.

    Returns
    -------
    int
        The number of such vertices (0 for a line of fewer than two segments).
    """
    xy = shapely.get_coordinates(line)
    d = np.diff(xy, axis=0)
    d = d[np.hypot(d[:, 0], d[:, 1]) > min_segment]
    if len(d) < 2:
        return 0
    a, b = d[:-1], d[1:]
    cos = np.einsum("ij,ij->i", a, b) / (np.hypot(*a.T) * np.hypot(*b.T))
    return int(np.count_nonzero(cos < np.cos(np.radians(max_turn_deg))))


def non_simple_lines(land, sea) -> list[str]:
    """Names of the boundary lines that are not simple or double back.

    A line fails when it is invalid, crosses or touches itself (``is_simple``), or turns by more than 170 deg at a
    vertex (:func:`reversals`). Three lines are tested: the land boundary, the maritime boundary, and the two
    joined at B as one line.

    Parameters
    ----------
    land, sea : LineString
        The land boundary (A -> B) and the maritime boundary (B seaward), in one CRS (the metric CRS); ``sea``
        starts where ``land`` ends.

    Returns
    -------
    list of str
        Among "land_boundary", "maritime_boundary", "land + maritime", in that order; empty when all are simple.
    """
    whole = LineString([*land.coords, *sea.coords[1:]])
    return [name for name, g in (("land_boundary", land), ("maritime_boundary", sea), ("land + maritime", whole))
            if not (g.is_valid and g.is_simple) or reversals(g)]


def side_of_line(xy: np.ndarray, line: LineString, step: float = 1.0, segments: Segments | None = None
                 ) -> np.ndarray:
    """Which side of ``line`` each point lies on: +1 left (looking along it), -1 right, 0 on it.

    The side is the sign of the cross product of the line's direction at the nearest point (over
    ``step`` either side) with the vector to the point; beyond the ends the end directions
    extend the line. The nearest point is :meth:`Segments.nearest`'s (a k-d tree, not GEOS's
    ``line_locate_point``, which walks the whole line for every point: 5 s for 300 islands on a 1,000 km line).

    Parameters
    ----------
    xy : array_like (n, 2) or (2,)
        Points, in ``line``'s CRS (the metric CRS).
    line : LineString
        The dividing line, oriented.
    step : float
        Half-length (``line``'s units, metres in the metric CRS) over which the direction at the nearest point is
        taken.
    segments : Segments, optional
        ``Segments(line)``, when the caller has it already.

    Returns
    -------
    ndarray (n,) of int
        +1, -1 or 0 for each point.
    """
    xy = np.atleast_2d(np.asarray(xy, float))
    seg = Segments(line) if segments is None else segments
    j, t, foot = seg.nearest(xy)
    length = np.sqrt(seg.len2)
    cum = np.concatenate([[0.0], np.cumsum(length)])
    s = cum[j] + t * length[j]

    def at(v):                                   # the point at distance v along the line (clipped to it)
        v = np.clip(v, 0.0, cum[-1])
        k = np.clip(np.searchsorted(cum, v, side="right") - 1, 0, len(length) - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            tt = np.where(length[k] > 0, (v - cum[k]) / length[k], 0.0)
        return seg.at(k, tt)

    d, v = at(s + step) - at(s - step), xy - foot
    return np.sign(d[:, 0] * v[:, 1] - d[:, 1] * v[:, 0]).astype(int)


def side_codes(xy: np.ndarray, line: LineString, sides: tuple[str, str], segments: Segments | None = None
               ) -> list[str]:
    """Which of two states each point falls to: ``sides[0]`` left of ``line`` looking along it, else ``sides[1]``
    (a point on the line counts as right); one :func:`side_of_line` pass for all the points.

    Parameters
    ----------
    xy : ndarray (n, 2)
        The points, in the line's CRS (e.g. islands' or faces' representative points).
    line : LineString
        The dividing line, oriented (e.g. downstream, or seaward).
    sides : (str, str)
        The state codes left and right of the line.
    segments : Segments, optional
        ``Segments(line)``, when the caller has it already.

    Returns
    -------
    list of str
        ``sides[0]`` or ``sides[1]`` per point.
    """
    side = side_of_line(np.asarray(xy, float).reshape(-1, 2), line, segments=segments)
    return [sides[0] if v > 0 else sides[1] for v in side]


@dataclass(frozen=True)
class Ridges:
    """Voronoi ridges between sites, as finite segments (:func:`voronoi_ridges`), in the sites' CRS.

    Attributes
    ----------
    vertices : ndarray (k, 2)
        The ridges' end points, float64, in the sites' coordinates.
    edges : ndarray (m, 2) of int
        Indices into ``vertices`` of each ridge's two ends.
    sites : ndarray (m, 2) of int
        Indices into the sites of the two sites each ridge separates (equidistant from both).
    """

    vertices: np.ndarray
    edges: np.ndarray
    sites: np.ndarray

    @property
    def segments(self) -> np.ndarray:
        """(m, 2, 2) start and end of every ridge."""
        return self.vertices[self.edges]


# Sites are joggled by at most this much (m) before Qhull sees them. Bank points on straight, grid-aligned banks
# (a water mask's cell edges, a canal), densified at a constant step, are co-circular by the thousand; Qhull
# then merges facets point by point and slows down about quadratically (two parallel rows of 20,000 points 5 m
# apart: 58 s; joggled by 1e-6 m: 0.28 s). Qhull's own joggle (QJ) was tried: its triangulation of the joggled
# input, with circumcentres from the unjoggled sites, is not a Delaunay triangulation of either, and the
# bundled middle line doubled back at a 3 mm ridge. Here the joggled sites are used throughout (Delaunay and
# circumcentres), so the ridges are the exact Voronoi diagram of sites that each moved by at most 1e-6 m.
JOGGLE_M = 1e-6


def joggled(sites: np.ndarray, joggle_m: float = JOGGLE_M) -> np.ndarray:
    """``sites`` each moved by a deterministic offset in [-joggle_m, joggle_m] per axis: a hash of the
    point's own coordinate bits (splitmix64), so a point gets the same offset in any order, tile or run.

    Parameters
    ----------
    sites : array_like (n, 2)
        Planar points, float64.
    joggle_m : float
        The largest offset per axis, in the points' units; 0: ``sites`` unchanged (a float64 copy).

    Returns
    -------
    ndarray (n, 2)
        The joggled points, float64.
    """
    xy = np.array(sites, dtype=np.float64, order="C")
    if joggle_m <= 0 or not len(xy):
        return xy

    def mix(z):                          # splitmix64's finaliser; uint64 arithmetic wraps, as it should
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    bits = (xy + 0.0).view(np.uint64)     # + 0.0: -0.0 and 0.0 hash alike
    with np.errstate(over="ignore"):
        h = mix(bits[:, 0] + np.uint64(0x9E3779B97F4A7C15))
        h = mix(h ^ bits[:, 1])
        u = np.column_stack([mix(h ^ np.uint64(k)) >> np.uint64(11) for k in (1, 2)]) * 2.0 ** -53
    return xy + (2.0 * u - 1.0) * joggle_m


def _off_line(pts: np.ndarray) -> float:
    """The largest distance of centred points ``pts`` (n, 2) from their least-squares line through the origin."""
    normal = np.linalg.svd(pts, full_matrices=False)[2][1]
    return float(np.abs(pts @ normal).max())


def voronoi_ridges(sites: np.ndarray, *, far_m: float, joggle_m: float = JOGGLE_M) -> Ridges:
    """The Voronoi ridges between ``sites`` as finite segments, with the pair of sites each separates.

    The ridges are the duals of the edges of the Delaunay triangulation (``scipy.spatial.Delaunay``, Qhull):
    the ridge of edge (i, j) joins the circumcentres of the two triangles sharing it. Building them from the
    triangulation by hand, rather than with ``scipy.spatial.Voronoi``, skips Qhull's Voronoi-region
    bookkeeping that nothing here uses. A ridge that runs to infinity (an edge of the convex hull) is cut
    ``far_m`` beyond its finite end. Exactly collinear sites (the points of a straight coast) have no
    triangulation: four far sites are added for them, and their ridges dropped. Co-circular sites give
    zero-length ridges, which are kept.

    Parameters
    ----------
    sites : array_like (n, 2)
        Planar points (the metric CRS, m); distinct.
    far_m : float
        How far beyond its finite end a ridge that runs to infinity is cut, in the sites' units (m).
    joggle_m : float
        The sites are first moved by at most this per axis (:func:`joggled`, ``JOGGLE_M``: co-circular sites
        by the thousand make Qhull quadratic); the ridges are those of the moved sites. 0: exact.

    Returns
    -------
    Ridges
        In the sites' coordinates; ``Ridges.sites`` index into ``sites``.
    """
    sites = joggled(sites, joggle_m)
    centre = 0.5 * (sites.min(axis=0) + sites.max(axis=0))
    pts = sites - centre                       # centred: circumcentres keep their precision
    n = len(sites)
    try:
        if n > 2 and _off_line(pts) <= 4.0 * JOGGLE_M:    # (joggled) collinear sites: slivers, no ridge
            raise QhullError("collinear")
        tri = Delaunay(pts, qhull_options="Qbb Qc Qz Q12")
    except QhullError:                          # collinear: a triangulation needs sites off the line
        radius = float(np.linalg.norm(pts, axis=1).max()) + far_m
        ang = np.linspace(0.0, 2 * np.pi, 4, endpoint=False) + np.pi / 4
        pts = np.vstack([pts, radius * np.column_stack([np.cos(ang), np.sin(ang)])])
        tri = Delaunay(pts, qhull_options="Qbb Qc Qz Q12")
    simp, nbr = tri.simplices, tri.neighbors
    a = pts[simp[:, 0]]
    b, c = pts[simp[:, 1]] - a, pts[simp[:, 2]] - a
    den = 2.0 * (b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0])
    b2, c2 = np.einsum("ij,ij->i", b, b), np.einsum("ij,ij->i", c, c)
    with np.errstate(divide="ignore", invalid="ignore"):
        cc = np.column_stack([(c[:, 1] * b2 - b[:, 1] * c2) / den, (b[:, 0] * c2 - c[:, 0] * b2) / den]) + a
    t, k = np.nonzero(nbr > np.arange(len(simp))[:, None])   # each interior edge once
    u = nbr[t, k]
    s1, s2 = simp[t, (k + 1) % 3], simp[t, (k + 2) % 3]
    th, kh = np.nonzero(nbr < 0)                               # hull edges
    # Qhull puts the circumcentre of (nearly) collinear sites, e.g. the points of a straight cap or bank,
    # numerically "at infinity": finite but far away, on either side. A vertex that far out is treated as
    # infinite: its ridge runs from the other vertex out of the convex hull, like a hull edge's.
    mean = pts[:n].mean(axis=0)
    radius = float(np.linalg.norm(pts - mean, axis=1).max())
    remote = ~np.isfinite(cc).all(axis=1)
    remote[~remote] = np.linalg.norm(cc[~remote] - mean, axis=1) > 10.0 * radius
    finite = ~remote[t] & ~remote[u]
    one = remote[t] != remote[u]
    ray_t = np.concatenate([th, np.where(remote[t[one]], u[one], t[one])])
    r1 = np.concatenate([simp[th, (kh + 1) % 3], s1[one]])
    r2 = np.concatenate([simp[th, (kh + 2) % 3], s2[one]])
    ok = ~remote[ray_t]
    ray_t, r1, r2 = ray_t[ok], r1[ok], r2[ok]
    # a ray runs along the bisector out of the convex hull (away from its interior, the mean of the points:
    # a triangle's third vertex can be all but collinear with the edge), cut far_m out
    d = pts[r2] - pts[r1]
    normal = np.column_stack([d[:, 1], -d[:, 0]]) / np.maximum(np.linalg.norm(d, axis=1), 1e-300)[:, None]
    away = np.sign(np.einsum("ij,ij->i", 0.5 * (pts[r1] + pts[r2]) - mean, normal))
    tips = cc[ray_t] + far_m * normal * np.where(away == 0, 1.0, away)[:, None]
    vertices = np.vstack([cc, tips]) + centre
    edges = np.vstack([np.column_stack([t[finite], u[finite]]),
                       np.column_stack([ray_t, len(cc) + np.arange(len(ray_t))])])
    pairs = np.vstack([np.column_stack([s1[finite], s2[finite]]), np.column_stack([r1, r2])])
    keep = (pairs < n).all(axis=1) & np.isfinite(vertices[edges]).all(axis=(1, 2))
    return Ridges(vertices, edges[keep], pairs[keep])


def _clip(a: np.ndarray, b: np.ndarray, box: tuple[float, float, float, float]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Liang-Barsky clipping of segments a -> b (m, 2) to ``box``: (kept, t0, t1) with the kept part
    a + t (b - a), t in [t0, t1]."""
    d = b - a
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, (lo, hi) in enumerate(((box[0], box[2]), (box[1], box[3]))):
            for edge, sign in ((lo, -1.0), (hi, 1.0)):
                p, q = sign * d[:, k], sign * (edge - a[:, k])
                t = q / p
                parallel = p == 0
                entering, leaving = p < 0, p > 0
                t0 = np.where(entering, np.maximum(t0, t), t0)
                t1 = np.where(leaving, np.minimum(t1, t), t1)
                t1 = np.where(parallel & (q < 0), -1.0, t1)
    return t0 <= t1, t0, t1


def _tiles(xy: np.ndarray, idx: np.ndarray, max_sites: int, box: tuple[float, float, float, float]) -> list:
    """Boxes covering ``box`` that each hold at most ``max_sites`` of the points (median splits, like a k-d tree,
    across the longer extent of the points in the box: the outer box reaches far beyond them, so its own shape
    would cut a long river lengthwise, between its banks)."""
    if len(idx) <= max_sites:
        return [box]
    span = np.ptp(xy[idx], axis=0)          # split the points' longer extent (the box may reach far out)
    k = 0 if span[0] >= span[1] else 1
    cut = float(np.median(xy[idx, k]))
    lo, hi = idx[xy[idx, k] < cut], idx[xy[idx, k] >= cut]
    if len(lo) == 0 or len(hi) == 0:
        return [box]
    b1 = (box[0], box[1], cut, box[3]) if k == 0 else (box[0], box[1], box[2], cut)
    b2 = (cut, box[1], box[2], box[3]) if k == 0 else (box[0], cut, box[2], box[3])
    return _tiles(xy, lo, max_sites, b1) + _tiles(xy, hi, max_sites, b2)


def local_voronoi_ridges(sites: np.ndarray, *, reach_m: float, max_sites: int, far_m: float,
                         joggle_m: float = JOGGLE_M) -> Ridges:
    """The Voronoi ridges between ``sites``, exact wherever the nearest site is within ``reach_m``, computed in tiles.

    Qhull's time grows faster than linearly on points along near-parallel curves (densified banks): about
    2.6x per doubling at 100k points. So the sites are split into boxes (median splits) of at most ``max_sites``
    sites, and each box's ridges are computed from its sites and every site within ``reach_m`` + 1 m of it, then
    clipped to the box. At a point of the box whose nearest site is within ``reach_m`` (e.g. inside a river whose
    half-width is below it), every site that decides the diagram there is in that subset, so its ridges there are
    the true ones. A ridge crossing a box edge is cut there on both sides of the edge at the same point: the
    crossing is computed from the two sites' bisector and the edge alone, so both boxes give it bit for bit and
    the pieces join exactly. Ridges elsewhere (far from every site) may differ from the full diagram's. With few
    sites this is :func:`voronoi_ridges`.

    Parameters
    ----------
    sites : array_like (n, 2)
        Planar points (the metric CRS, m); distinct.
    reach_m : float
        The ridges are exact where the nearest site is at most this far (m).
    max_sites : int
        Largest number of sites in one box (``land.voronoi_tile_sites``).
    far_m : float
        With at most ``max_sites`` sites: as :func:`voronoi_ridges`. In tiles, each box cuts its infinite ridges
        beyond the box and its reach instead.
    joggle_m : float
        As :func:`voronoi_ridges`; the sites are joggled once, before they are split into boxes.

    Returns
    -------
    Ridges
        In the sites' coordinates; ``Ridges.sites`` index into ``sites`` (a ridge cut at box edges comes in
        pieces that share their end vertices).
    """
    sites = joggled(sites, joggle_m)          # once: the boxes, their cuts and their ridges use the same sites
    if len(sites) <= max_sites:
        return voronoi_ridges(sites, far_m=far_m, joggle_m=0.0)
    full = (float(sites[:, 0].min()), float(sites[:, 1].min()), float(sites[:, 0].max()), float(sites[:, 1].max()))
    far = 1e3 * max(full[2] - full[0], full[3] - full[1], 1.0)
    outer = (full[0] - far, full[1] - far, full[2] + far, full[3] + far)
    kd = cKDTree(sites)
    verts, edges, pairs, cuts = [], [], [], []
    offset = n_cut = 0
    boxes = _tiles(sites, np.arange(len(sites)), max_sites, outer)
    tick = progress.counter("Voronoi tiles")
    for n_box, box in enumerate(boxes, start=1):
        tick(n_box, len(boxes))
        lo = np.maximum(np.array(box[:2]), np.array(full[:2]) - reach_m)
        hi = np.minimum(np.array(box[2:]), np.array(full[2:]) + reach_m)
        centre, half = 0.5 * (lo + hi), 0.5 * (hi - lo) + reach_m + 1.0
        sub = np.array(kd.query_ball_point(centre, float(np.hypot(*half))), int)
        sub = sub[(np.abs(sites[sub] - centre) <= half).all(axis=1)]
        if len(sub) < 3:
            continue
        # a ridge running to infinity must leave the box and its reach before it is cut
        r = voronoi_ridges(sites[sub], far_m=float(np.hypot(*(hi - lo))) + 2 * reach_m + 1.0, joggle_m=0.0)
        a, b = r.vertices[r.edges[:, 0]], r.vertices[r.edges[:, 1]]
        kept, t0, t1 = _clip(a, b, box)
        g = np.sort(sub[r.sites[kept]], axis=1)
        e = r.edges[kept] + offset
        a, b, t0, t1 = a[kept], b[kept], t0[kept], t1[kept]
        for col, cut, t in ((0, t0 > 0, t0), (1, t1 < 1, t1)):
            if cut.any():   # on a box edge: from the bisector of the two sites and the edge, the same in both boxes
                p = _on_edge(sites[g[cut, 0]], sites[g[cut, 1]], a[cut] + t[cut, None] * (b[cut] - a[cut]), box)
                cuts.append(p)
                e[cut, col] = -1 - (n_cut + np.arange(len(p)))     # cut points are numbered apart, below 0
                n_cut += len(p)
        verts.append(r.vertices)
        edges.append(e)
        pairs.append(g)
        offset += len(r.vertices)
    edges = np.vstack(edges)
    vertices = np.vstack(verts)
    if cuts:       # cut points shared by two boxes are equal bit for bit: one vertex each
        uniq, inverse = np.unique(np.vstack(cuts), axis=0, return_inverse=True)
        cut = edges < 0
        edges[cut] = len(vertices) + inverse.ravel()[-1 - edges[cut]]
        vertices = np.vstack([vertices, uniq])
    return Ridges(vertices, edges, np.vstack(pairs))


def _on_edge(p: np.ndarray, q: np.ndarray, approx: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Where the bisector of ``p`` and ``q`` meets the edge of ``box`` nearest to ``approx`` (each row)."""
    x0, y0, x1, y1 = box
    dist = np.abs(np.column_stack([approx[:, 0] - x0, approx[:, 0] - x1, approx[:, 1] - y0, approx[:, 1] - y1]))
    which = np.argmin(dist, axis=1)
    value = np.array([x0, x1, y0, y1])[which]
    vertical = which < 2
    d = q - p
    rhs = 0.5 * (np.einsum("ij,ij->i", q, q) - np.einsum("ij,ij->i", p, p))   # d . x = rhs on the bisector
    out = np.empty_like(approx)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, 0] = np.where(vertical, value, (rhs - d[:, 1] * value) / d[:, 0])
        out[:, 1] = np.where(vertical, (rhs - d[:, 0] * value) / d[:, 1], value)
    bad = ~np.isfinite(out).all(axis=1)
    out[bad] = approx[bad]
    return out


class Inside:
    """Fast point- and segment-in-polygon tests for many queries against one polygon.

    GEOS's prepared point-in-area locator indexes a polygon's edges by their y-range, so for a polygon much
    wider than tall (a river running east-west) every query meets most edges: 17x slower on a 100k-vertex
    channel. The tests here swap x and y for such polygons (same answers) and use the prepared geometry.

    Parameters
    ----------
    poly : Polygon or MultiPolygon
        The area, in any planar CRS (the metric CRS); the queries are in the same CRS.
    """

    def __init__(self, poly: BaseGeometry):
        x0, y0, x1, y1 = poly.bounds
        self.swap = (x1 - x0) > (y1 - y0)
        self.poly = shapely.transform(poly, lambda xy: xy[:, ::-1]) if self.swap else poly
        shapely.prepare(self.poly)

    def points(self, xy: np.ndarray) -> np.ndarray:
        """Whether each point lies strictly inside the polygon (``shapely.contains_xy``).

        Parameters
        ----------
        xy : array_like (n, 2)
            Points, in the polygon's CRS.

        Returns
        -------
        ndarray (n,) of bool
            False on the boundary and outside.
        """
        xy = np.atleast_2d(xy)
        i, j = (1, 0) if self.swap else (0, 1)
        return shapely.contains_xy(self.poly, xy[:, i], xy[:, j])

    def segments(self, segs: np.ndarray) -> np.ndarray:
        """Whether each segment lies inside the polygon (``shapely.contains``: no point outside, touching allowed).

        Parameters
        ----------
        segs : ndarray (m, 2, 2)
            Start and end of each segment, in the polygon's CRS.

        Returns
        -------
        ndarray (m,) of bool
        """
        return shapely.contains(self.poly, shapely.linestrings(segs[..., ::-1] if self.swap else segs))


class Segments:
    """The straight segments of a (multi)line, indexed for exact nearest-point queries on many points.

    GEOS's ``line_locate_point``/``line_interpolate_point`` walk a line from its start, so many queries on a
    long line cost (points x vertices); here each query costs a k-d tree search.

    Parameters
    ----------
    line : shapely (Multi)LineString
        Any planar line (coordinates in one CRS's units).
    """

    def __init__(self, line: BaseGeometry):
        starts, ends = [], []
        for part in lines(line):
            c = shapely.get_coordinates(part)
            starts.append(c[:-1])
            ends.append(c[1:])
        self.a = np.vstack(starts)
        self.b = np.vstack(ends)
        self.d = self.b - self.a
        self.len2 = np.einsum("ij,ij->i", self.d, self.d)
        # samples along every segment, at most ``step`` apart (the median length of the segments that have one,
        # and at least a quarter of the mean: at most ~5 samples per segment): a segment within D of a point
        # has a sample within D + step / 2 of it
        length = np.sqrt(self.len2)
        some = length[length > 0]
        step = max(float(np.median(some)) if len(some) else 0.0, float(length.mean()) / 4, 1e-9)
        n = np.maximum(np.ceil(length / step).astype(int), 1)
        owner = np.repeat(np.arange(len(self.a)), n)
        frac = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n, n)
        self._owner = np.concatenate([owner, np.arange(len(self.a))])
        self._kd = cKDTree(np.vstack([self.a[owner] + frac[:, None] * self.d[owner], self.b]))
        self._half = 0.5 * float((length / n).max())

    def nearest(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The nearest point of the line to each of ``xy``, exactly (planar).

        The nearest sample (k-d tree) bounds the distance D to the line; every segment within D has a sample
        within D + step / 2 (``query_ball_point``), and exact distances to those segments decide; of segments
        at exactly the same distance, the one with the nearer end is taken (at a shared vertex: the segment
        that starts there, t = 0). Hand-written because GEOS's nearest-segment search over long densified lines
        costs tens of microseconds per point, many times this.

        Parameters
        ----------
        xy : ndarray (n, 2)
            Query points, in the line's units.

        Returns
        -------
        j : ndarray of int (n,)
            The nearest segment of each point.
        t : ndarray (n,)
            The nearest point's parameter on it (0 at its start, 1 at its end).
        nearest : ndarray (n, 2)
            ``a[j] + t * (b[j] - a[j])``.
        """
        xy = np.asarray(xy, float).reshape(-1, 2)
        if not len(xy):
            return np.empty(0, int), np.empty(0), np.empty((0, 2))
        first, _ = self._kd.query(xy, k=1)
        reach = (first + self._half) * (1 + 1e-9) + 1e-9          # rounding must not drop a segment
        found = self._kd.query_ball_point(xy, reach, return_sorted=False)
        counts = np.fromiter((len(f) for f in found), int, len(found))
        m = len(self.a)
        key = np.unique(np.repeat(np.arange(len(xy)), counts) * m
                        + self._owner[np.concatenate(found).astype(int)])
        pt, seg = key // m, key % m
        p = xy[pt]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.einsum("kj,kj->k", p - self.a[seg], self.d[seg]) / self.len2[seg]
        t = np.clip(np.nan_to_num(t), 0.0, 1.0)
        off = self.a[seg] + t[:, None] * self.d[seg] - p
        d2 = np.einsum("kj,kj->k", off, off)
        # among segments at exactly the same distance: the one with the nearer end, and of two that share it the
        # one that starts there
        to_a, to_b = ((p - self.a[seg]) ** 2).sum(axis=1), ((p - self.b[seg]) ** 2).sum(axis=1)
        order = np.lexsort((to_a > to_b, np.minimum(to_a, to_b), d2, pt))
        best = order[np.r_[True, pt[order][1:] != pt[order][:-1]]]
        j, tt = seg[best], t[best]
        return j, tt, self.a[j] + tt[:, None] * self.d[j]

    def at(self, j: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Points at parameter ``t`` (clipped to [0, 1]) on segments ``j``.

        Parameters
        ----------
        j : ndarray (n,) of int
            Segment indices (as :meth:`nearest` gives them).
        t : ndarray (n,)
            Parameters along those segments; values outside [0, 1] are clipped to the segment's ends.

        Returns
        -------
        ndarray (n, 2)
            In the line's CRS.
        """
        t = np.clip(t, 0.0, 1.0)
        return self.a[j] + t[:, None] * self.d[j]

    def distances(self, xy: np.ndarray) -> np.ndarray:
        """Exact planar distances from points to the line (:meth:`nearest`).

        Parameters
        ----------
        xy : array_like (n, 2) or (2,)
            Points, in the line's CRS.

        Returns
        -------
        ndarray (n,)
            In the line's units (metres in the metric CRS; planar, not geodesic).
        """
        _, _, q = self.nearest(xy)
        return np.linalg.norm(np.atleast_2d(xy) - q, axis=1)


def faces_between(a: LineString, b: LineString) -> list[Polygon]:
    """The faces enclosed between two lines that run the same way, closed by straight segments joining their starts
    and their ends (noded where the lines cross; ``shapely.polygonize``).

    Parameters
    ----------
    a, b : LineString
        In one planar CRS (the metric CRS), oriented the same way (e.g. both downstream or both seaward).

    Returns
    -------
    list of Polygon
        In that CRS; empty when the lines enclose nothing (e.g. they coincide).
    """
    ring = [a, b, LineString([a.coords[0], b.coords[0]]), LineString([a.coords[-1], b.coords[-1]])]
    noded = shapely.union_all([g for g in ring if g.length > 0])
    return polygons(shapely.polygonize(lines(noded)))
