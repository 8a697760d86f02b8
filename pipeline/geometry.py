"""Planar geometry toolkit shared by every stage and by the map (metric CRS, metres).

Thin, documented wrappers over shapely/GEOS and scipy for the few operations the stages share:
the single parts of a geometry, the side of a line a point lies on, the Voronoi ridges between labelled
sites, and the faces enclosed between two lines. Nothing here reads or writes files or knows a CRS.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import Voronoi
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

    ``scipy.spatial.Voronoi`` (Qhull) on the sites plus eight frame sites on a circle ``frame_factor``
    times the sites' radius away: every ridge between two real sites is then finite (a ridge that would
    run to infinity ends about ``frame_factor / 2`` radii out), and exactly collinear sites, e.g. the points
    of a straight coast, are no longer degenerate for Qhull. Ridges of frame sites are dropped.
    """
    sites = np.asarray(sites, float)
    centre = 0.5 * (sites.min(axis=0) + sites.max(axis=0))
    radius = max(float(np.linalg.norm(sites - centre, axis=1).max()), 1.0)
    ang = np.linspace(0.0, 2 * np.pi, 8, endpoint=False) + np.pi / 8
    frame = centre + frame_factor * radius * np.column_stack([np.cos(ang), np.sin(ang)])
    vor = Voronoi(np.vstack([sites, frame]))
    rp = np.asarray(vor.ridge_points)
    rv = np.asarray(vor.ridge_vertices)
    keep = (rp < len(sites)).all(axis=1) & (rv >= 0).all(axis=1)
    return Ridges(vor.vertices, rv[keep], rp[keep])


def faces_between(a: LineString, b: LineString) -> list[Polygon]:
    """The faces enclosed between two lines that run the same way, closed by straight segments joining their
    starts and their ends (noded where the lines cross; ``shapely.polygonize``)."""
    ring = [a, b, LineString([a.coords[0], b.coords[0]]), LineString([a.coords[-1], b.coords[-1]])]
    noded = shapely.union_all([g for g in ring if g.length > 0])
    return polygons(shapely.polygonize(lines(noded)))
