"""Planar geometry toolkit shared by every stage and by the map (metric CRS, metres).

Thin, documented wrappers over shapely/GEOS and scipy for the few operations the stages share:
the single parts of a geometry, the side of a line a point lies on, the Voronoi ridges between labelled
sites, and the faces enclosed between two lines. Nothing here reads or writes files or knows a CRS.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import Delaunay, cKDTree
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, substring

_SINGLE = {"Point", "LineString", "LinearRing", "Polygon"}


def parts(geom: BaseGeometry | None, kind: str | None = None) -> list[BaseGeometry]:
    """The non-empty single-part geometries of ``geom``, nested collections flattened.

    ``kind`` keeps only one type: "Point", "LineString" (LinearRings are returned as LineStrings) or
    "Polygon". ``shapely.make_valid`` may return e.g. GeometryCollection(MultiPolygon, LineString).
    """
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type in _SINGLE:
        g = LineString(geom.coords) if geom.geom_type == "LinearRing" else geom
        return [g] if kind is None or g.geom_type == kind else []
    return [p for sub in shapely.get_parts(geom) for p in parts(sub, kind)]


def lines(geom: BaseGeometry | None) -> list[LineString]:
    return parts(geom, "LineString")


def polygons(geom: BaseGeometry | None) -> list[Polygon]:
    return parts(geom, "Polygon")


def multiline(geom: BaseGeometry | None) -> MultiLineString:
    return MultiLineString(lines(geom))


def multipolygon(geom: BaseGeometry | None) -> MultiPolygon:
    return MultiPolygon(polygons(geom))


def merged(geom: BaseGeometry | None, min_length: float = 0.0) -> list[LineString]:
    """The line parts of ``geom`` joined end to end where they touch (``linemerge``), longer than ``min_length``."""
    ls = lines(geom)
    if not ls:
        return []
    return [g for g in lines(linemerge(ls)) if g.length > min_length]


def oriented(line: LineString, start: Point) -> LineString:
    """``line`` reversed if its last vertex is nearer to ``start`` than its first."""
    a, b = Point(line.coords[0]), Point(line.coords[-1])
    return LineString(line.coords[::-1]) if b.distance(start) < a.distance(start) else line


def between(line: LineString, s0: float, s1: float) -> LineString:
    """The part of ``line`` from station ``s0`` to ``s1`` (metres along it, s0 < s1)."""
    return substring(line, s0, s1)


def side_of_line(xy: np.ndarray, line: LineString, step: float = 1.0) -> np.ndarray:
    """For each point of ``xy`` (n, 2): +1 if it lies left of ``line`` (looking along it), -1 right, 0 on it.

    The side is the sign of the cross product of the line's direction at the nearest point (over
    ``step`` metres either side) with the vector to the point; beyond the ends the end directions
    extend the line.
    """
    xy = np.atleast_2d(np.asarray(xy, float))
    s = shapely.line_locate_point(line, shapely.points(xy))
    a = shapely.get_coordinates(shapely.line_interpolate_point(line, np.clip(s - step, 0, line.length)))
    b = shapely.get_coordinates(shapely.line_interpolate_point(line, np.clip(s + step, 0, line.length)))
    foot = shapely.get_coordinates(shapely.line_interpolate_point(line, s))
    d, v = b - a, xy - foot
    return np.sign(d[:, 0] * v[:, 1] - d[:, 1] * v[:, 0]).astype(int)


@dataclass(frozen=True)
class Ridges:
    """Voronoi ridges between sites: ``vertices`` (k, 2); ``edges`` (m, 2) vertex indices of each ridge;
    ``sites`` (m, 2) indices of the two sites each ridge separates."""

    vertices: np.ndarray
    edges: np.ndarray
    sites: np.ndarray

    @property
    def segments(self) -> np.ndarray:
        """(m, 2, 2) start and end of every ridge."""
        return self.vertices[self.edges]


def voronoi_ridges(sites: np.ndarray, frame_factor: float = 20.0) -> Ridges:
    """The Voronoi ridges between ``sites`` (n, 2), all finite, with the pair of sites each separates.

    The ridges are the duals of the edges of the Delaunay triangulation (``scipy.spatial.Delaunay``, Qhull):
    the ridge of edge (i, j) joins the circumcentres of the two triangles sharing it. Building them from
    the triangulation by hand, rather than with ``scipy.spatial.Voronoi``, skips Qhull's Voronoi-region
    bookkeeping that nothing here uses (about a third of the time on 100k densified bank points).
    Eight frame sites on a circle ``frame_factor`` times the sites' radius away make every ridge between
    two real sites finite (a ridge that would run to infinity ends about ``frame_factor / 2`` radii out)
    and exactly collinear sites, e.g. the points of a straight coast, no longer degenerate; ridges of frame
    sites are dropped. Co-circular sites give zero-length ridges, which are kept.
    """
    sites = np.asarray(sites, float)
    centre = 0.5 * (sites.min(axis=0) + sites.max(axis=0))
    radius = max(float(np.linalg.norm(sites - centre, axis=1).max()), 1.0)
    ang = np.linspace(0.0, 2 * np.pi, 8, endpoint=False) + np.pi / 8
    frame = frame_factor * radius * np.column_stack([np.cos(ang), np.sin(ang)])
    pts = np.vstack([sites - centre, frame])          # centred: circumcentres keep their precision
    tri = Delaunay(pts, qhull_options="Qbb Qc Qz Q12")
    simp, nbr = tri.simplices, tri.neighbors
    a = pts[simp[:, 0]]
    b, c = pts[simp[:, 1]] - a, pts[simp[:, 2]] - a
    den = 2.0 * (b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0])
    b2, c2 = np.einsum("ij,ij->i", b, b), np.einsum("ij,ij->i", c, c)
    with np.errstate(divide="ignore", invalid="ignore"):
        cc = np.column_stack([(c[:, 1] * b2 - b[:, 1] * c2) / den, (b[:, 0] * c2 - c[:, 0] * b2) / den])
    vertices = cc + a + centre
    t, k = np.nonzero(nbr > np.arange(len(simp))[:, None])   # each interior edge once
    s1, s2 = simp[t, (k + 1) % 3], simp[t, (k + 2) % 3]
    n = len(sites)
    keep = (s1 < n) & (s2 < n)
    edges = np.column_stack([t, nbr[t, k]])[keep]
    ok = np.isfinite(vertices[edges]).all(axis=(1, 2))       # a zero-area triangle has no circumcentre
    return Ridges(vertices, edges[ok], np.column_stack([s1, s2])[keep][ok])


class Segments:
    """The straight segments of a (multi)line with an STRtree, for nearest-point queries on many points.

    GEOS's ``line_locate_point``/``line_interpolate_point`` walk a line from its start, so many queries on a
    long line cost (points x vertices); the tree makes each query logarithmic.
    """

    def __init__(self, line: BaseGeometry):
        starts, ends, verts, after, before = [], [], [], [], []
        m = v = 0
        for part in lines(line):
            c = shapely.get_coordinates(part)
            k = len(c) - 1
            starts.append(c[:-1])
            ends.append(c[1:])
            verts.append(c)
            seg = np.arange(m, m + k)
            after.append(np.append(seg, -1))       # the segment that starts at each vertex (-1: none)
            before.append(np.insert(seg, 0, -1))   # the segment that ends at it
            m += k
            v += len(c)
        self.a = np.vstack(starts)
        self.b = np.vstack(ends)
        self.d = self.b - self.a
        self.len2 = np.einsum("ij,ij->i", self.d, self.d)
        self.tree = shapely.STRtree(shapely.linestrings(np.stack([self.a, self.b], axis=1)))
        self.kd = cKDTree(np.vstack(verts))
        after, before = np.concatenate(after), np.concatenate(before)
        self.vertex_segments = np.column_stack([np.where(after < 0, before, after), np.where(before < 0, after, before)])
        self.n_vertices = v
        self.half_max = 0.5 * float(np.sqrt(self.len2.max()))

    def nearest(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For points ``xy`` (n, 2): (segment index, parameter t in [0, 1], nearest point (n, 2)), exact.

        The nearest point of the line lies on a segment with an end within d + L/2 of the query point (d: the
        distance to the best segment found, L: the longest segment). The k nearest segment ends (a k-d tree
        of the vertices; k = 8, then 64 for the points that need more) hold all of them for
        nearly every point, and exact distances to their segments decide; the few remaining points fall back
        to GEOS's STRtree search. (Hand-written because GEOS's nearest-segment search over long densified
        lines costs tens of microseconds per point, many times this.)
        """
        xy = np.atleast_2d(np.asarray(xy, float))
        n, m = len(xy), len(self.a)
        j = np.full(n, -1)
        tt = np.zeros(n)
        todo = np.arange(n)
        for k in (8, 64):
            if len(todo) == 0:
                break
            k = min(k, self.n_vertices)
            _, idx = self.kd.query(xy[todo], k=k)
            cand = self.vertex_segments[idx.reshape(len(todo), k)].reshape(len(todo), 2 * k)
            p = xy[todo][:, None, :]
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.einsum("nkj,nkj->nk", p - self.a[cand], self.d[cand]) / self.len2[cand]
            t = np.clip(np.nan_to_num(t), 0.0, 1.0)
            off = self.a[cand] + t[..., None] * self.d[cand] - p
            d2 = np.einsum("nkj,nkj->nk", off, off)
            best = np.argmin(d2, axis=1)
            rows = np.arange(len(todo))
            j[todo], tt[todo] = cand[rows, best], t[rows, best]
            if k == self.n_vertices:
                todo = todo[:0]
                break
            # complete when the k-th nearest vertex lies beyond d_best + L/2
            dk, _ = self.kd.query(xy[todo], k=[k])
            done = dk[:, 0] > np.sqrt(d2[rows, best]) + self.half_max
            todo = todo[~done]
        if len(todo):
            src, seg = self.tree.query_nearest(shapely.points(xy[todo]), all_matches=False)
            jj = seg[np.argsort(src)]
            with np.errstate(divide="ignore", invalid="ignore"):
                t2 = np.einsum("ij,ij->i", xy[todo] - self.a[jj], self.d[jj]) / self.len2[jj]
            j[todo], tt[todo] = jj, np.clip(np.nan_to_num(t2), 0.0, 1.0)
        return j, tt, self.a[j] + tt[:, None] * self.d[j]

    def at(self, j: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Points at parameter ``t`` (clipped to [0, 1]) on segments ``j``."""
        t = np.clip(t, 0.0, 1.0)
        return self.a[j] + t[:, None] * self.d[j]

    def distances(self, xy: np.ndarray) -> np.ndarray:
        """Exact planar distances from ``xy`` to the line."""
        _, _, q = self.nearest(xy)
        return np.linalg.norm(np.atleast_2d(xy) - q, axis=1)


def faces_between(a: LineString, b: LineString) -> list[Polygon]:
    """The faces enclosed between two lines that run the same way, closed by straight segments joining their
    starts and their ends (noded where the lines cross; ``shapely.polygonize``)."""
    ring = [a, b, LineString([a.coords[0], b.coords[0]]), LineString([a.coords[-1], b.coords[-1]])]
    noded = shapely.union_all([g for g in ring if g.length > 0])
    return polygons(shapely.polygonize(lines(noded)))
