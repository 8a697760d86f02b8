"""Independent oracles for ``tests/test_oracles.py``: nothing here imports :mod:`pipeline`.

* geodesics: ``geographiclib`` (Karney's reference implementation; the pipeline uses ``pyproj.Geod``);
* datums: ``pyproj.Transformer`` called directly, with the data's area of interest;
* planar geometry: ``shapely`` in a local azimuthal equidistant projection (pyproj), used only to pick
  candidates or to cut cross-sections; every reported distance is then measured on the ellipsoid;
* inputs and outputs: ``csv``, ``tomllib``, ``pyogrio`` and plain regular expressions for ``report.md``.

Coordinates are (lon, lat) in degrees on WGS 84 unless a name says ``xy`` (metres in a :class:`Plane`).
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from geographiclib.geodesic import Geodesic
from pyproj import Transformer
from pyproj.aoi import AreaOfInterest
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

GEOD = Geodesic.WGS84
LonLat = tuple[float, float]


# ------------------------------------------------------------------------------------------ geodesics
def inverse(p: LonLat, q: LonLat) -> tuple[float, float, float]:
    """(distance m, forward azimuth at p in [0, 360) deg, forward azimuth at q deg) of the geodesic p -> q."""
    g = GEOD.Inverse(p[1], p[0], q[1], q[0])
    return g["s12"], g["azi1"] % 360.0, g["azi2"] % 360.0


def distance_m(p: LonLat, q: LonLat) -> float:
    """Geodesic distance (m) on WGS 84."""
    return GEOD.Inverse(p[1], p[0], q[1], q[0], Geodesic.DISTANCE)["s12"]


def line_length_m(coords) -> float:
    """Geodesic length (m) of a polyline whose vertices are joined by geodesics."""
    c = np.asarray(coords, float)
    return float(sum(distance_m(c[i], c[i + 1]) for i in range(len(c) - 1)))


def geometry_length_m(geom: BaseGeometry) -> float:
    """Geodesic length (m) of a lon/lat (Multi)LineString: the sum over its parts."""
    return sum(line_length_m(np.asarray(g.coords)) for g in shapely.get_parts(geom))


def point_along(p: LonLat, q: LonLat, s_m: float) -> LonLat:
    """The point ``s_m`` metres from p along the geodesic p -> q (beyond q when s_m exceeds its length)."""
    pos = GEOD.InverseLine(p[1], p[0], q[1], q[0]).Position(s_m)
    return pos["lon2"], pos["lat2"]


def direct(p: LonLat, azimuth_deg: float, s_m: float) -> LonLat:
    g = GEOD.Direct(p[1], p[0], azimuth_deg, s_m)
    return g["lon2"], g["lat2"]


def foot_on_segment(p: LonLat, a: LonLat, b: LonLat, start_m: float | None = None) -> tuple[float, float]:
    """(distance m, arc length from a in m) of the point of the geodesic segment a -> b nearest to p.

    Newton-like iteration on the arc length: at the current point the along-track component of the
    geodesic to p, ``d cos(azimuth to p - azimuth of the line)``, is the correction; it converges to the
    foot of the geodesic perpendicular in a few steps for distances far below the Earth's radius, and stops
    at an end of the segment when the foot lies beyond it.
    """
    line = GEOD.InverseLine(a[1], a[0], b[1], b[0])
    length = line.s13
    s = 0.5 * length if start_m is None else min(max(start_m, 0.0), length)
    d = math.inf
    for _ in range(30):
        pos = line.Position(s)
        g = GEOD.Inverse(pos["lat2"], pos["lon2"], p[1], p[0])
        d = g["s12"]
        step = d * math.cos(math.radians(g["azi1"] - pos["azi2"]))
        s_new = min(max(s + step, 0.0), length)
        if abs(s_new - s) < 1e-7:
            break
        s = s_new
    return d, s


class Plane:
    """A local azimuthal equidistant projection on WGS 84 (pyproj), centred on ``centre`` (lon, lat).

    Used to pick candidate segments and to cut cross-sections; distances that are asserted are geodesic.
    """

    def __init__(self, centre: LonLat):
        proj = f"+proj=aeqd +lat_0={centre[1]} +lon_0={centre[0]} +datum=WGS84 +units=m +no_defs"
        self._fwd = Transformer.from_crs("EPSG:4326", proj, always_xy=True)
        self._inv = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)

    def xy(self, lonlat) -> np.ndarray:
        ll = np.atleast_2d(np.asarray(lonlat, float))
        x, y = self._fwd.transform(ll[:, 0], ll[:, 1])
        return np.column_stack([x, y])

    def lonlat(self, xy) -> np.ndarray:
        p = np.atleast_2d(np.asarray(xy, float))
        lon, lat = self._inv.transform(p[:, 0], p[:, 1])
        return np.column_stack([lon, lat])

    def geom(self, geom_lonlat: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom_lonlat, self.xy)

    def geom_lonlat(self, geom_xy: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom_xy, self.lonlat)


class GeodesicPolyline:
    """A set of lon/lat polylines whose vertices are joined by geodesics; geodesic distances to it.

    The ``candidates`` planar-nearest segments (in ``plane``) are refined on the ellipsoid with
    :func:`foot_on_segment`; the least of their geodesic distances is returned.
    """

    def __init__(self, lines: list[np.ndarray], plane: Plane, candidates: int = 4):
        a, b = [], []
        for c in lines:
            c = np.asarray(c, float)
            a.append(c[:-1])
            b.append(c[1:])
        self.a_ll, self.b_ll = np.vstack(a), np.vstack(b)
        self.a_xy, self.b_xy = plane.xy(self.a_ll), plane.xy(self.b_ll)
        self.plane = plane
        self.k = candidates

    def distance_m(self, p: LonLat) -> float:
        q = self.plane.xy(p)[0]
        d = self.b_xy - self.a_xy
        len2 = np.maximum(np.einsum("ij,ij->i", d, d), 1e-18)
        t = np.clip(np.einsum("ij,ij->i", q - self.a_xy, d) / len2, 0.0, 1.0)
        planar = np.linalg.norm(self.a_xy + t[:, None] * d - q, axis=1)
        best = math.inf
        for j in np.argsort(planar)[: self.k]:
            seg = float(np.sqrt(len2[j]))
            dj, _ = foot_on_segment(tuple(p), tuple(self.a_ll[j]), tuple(self.b_ll[j]), start_m=t[j] * seg)
            best = min(best, dj)
        return best

    def distances_m(self, pts) -> np.ndarray:
        return np.array([self.distance_m(tuple(p)) for p in np.asarray(pts, float)])


def points_along(coords, stations_m) -> np.ndarray:
    """Lon/lat points at the given geodesic arc lengths (m) along a polyline (clipped to its ends)."""
    c = np.asarray(coords, float)
    seg = np.array([distance_m(c[i], c[i + 1]) for i in range(len(c) - 1)])
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    out = []
    for s in np.clip(np.asarray(stations_m, float), 0.0, cum[-1]):
        i = min(int(np.searchsorted(cum, s, side="right")) - 1, len(seg) - 1)
        out.append(point_along(c[i], c[i + 1], s - cum[i]))
    return np.array(out)


def deviation_from_right_angle_deg(az1: float, az2: float) -> float:
    """How far (deg, in [0, 90]) the angle between two azimuths (deg) is from a right angle."""
    return abs(((az1 - az2) % 180.0) - 90.0)


def polygon_area_m2(poly_lonlat) -> float:
    """Geodesic area (m2, sign-free) of a lon/lat polygon: exterior minus holes (geographiclib PolygonArea)."""
    def ring_area(coords) -> float:
        acc = GEOD.Polygon()
        for lon, lat in np.asarray(coords, float)[:-1]:
            acc.AddPoint(lat, lon)
        return abs(acc.Compute()[2])

    return ring_area(poly_lonlat.exterior.coords) - sum(ring_area(h.coords) for h in poly_lonlat.interiors)


# ------------------------------------------------------------------------------------------ planar oracles
def side_of(xy, line_xy: LineString) -> np.ndarray:
    """+1 where a planar point lies left of ``line_xy`` (looking along it), -1 right: the sign of the cross
    product of the direction of the nearest segment with the vector from the nearest point to the point.
    Beyond the line's ends the end segments are continued."""
    c = np.asarray(line_xy.coords, float)
    a, b = c[:-1], c[1:]
    pts = np.atleast_2d(np.asarray(xy, float))
    tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))
    _, j = tree.query_nearest(shapely.points(pts), all_matches=False)
    d = b[j] - a[j]
    t = np.einsum("ij,ij->i", pts - a[j], d) / np.einsum("ij,ij->i", d, d)
    last, first = j == len(a) - 1, j == 0
    t = np.where(last & (t > 1), t, np.where(first & (t < 0), t, np.clip(t, 0.0, 1.0)))
    v = pts - (a[j] + t[:, None] * d)
    return np.sign(d[:, 0] * v[:, 1] - d[:, 1] * v[:, 0]).astype(int)


def water_banks(water_xy, closing_xy: LineString, middle_xy: LineString) -> tuple[BaseGeometry, BaseGeometry, list]:
    """(left bank, right bank, island shores) of the river looking downstream, in the plane.

    The banks are the water polygon's outer ring without its arc between the closing line's ends (the
    opening to the sea); each of its segments goes to the side of the middle line its midpoint lies on.
    """
    from shapely.geometry import MultiLineString, Point
    from shapely.ops import substring

    poly = max(shapely.get_parts(water_xy), key=lambda g: g.area)
    ring = LineString(poly.exterior.coords)
    s0, s1 = sorted(ring.project(Point(q)) for q in closing_xy.coords)
    inner = substring(ring, s0, s1)
    outer = shapely.line_merge(MultiLineString([substring(ring, s1, ring.length), substring(ring, 0.0, s0)]))
    banks = max((inner, outer), key=lambda g: g.length)
    c = np.asarray(banks.coords)
    a, b = c[:-1], c[1:]
    side = side_of(0.5 * (a + b), middle_xy)
    left = MultiLineString([LineString(s) for s in np.stack([a, b], axis=1)[side > 0]])
    right = MultiLineString([LineString(s) for s in np.stack([a, b], axis=1)[side < 0]])
    return left, right, [LineString(h.coords) for h in poly.interiors]


def middle_line_equidistance_error_m(middle_xy: LineString, water_xy, closing_xy: LineString) -> float:
    """Worst |distance to the second-nearest shore - distance to the nearest| over the line's vertices, the
    shores being the left bank, the right bank and each island's shore (planar, metres)."""
    left, right, islands = water_banks(water_xy, closing_xy, middle_xy)
    v = shapely.points(np.asarray(middle_xy.coords))
    d = np.sort(np.column_stack([shapely.distance(v, s) for s in (left, right, *islands)]), axis=1)
    return float(np.max(np.abs(d[:, 1] - d[:, 0])))


@dataclass
class Branches:
    """The two branches of the river around one island, looking downstream (planar metres)."""

    island_xy: object
    width_m: dict          # "left" / "right" -> median width from the island's shore to the other shore
    passes: dict           # line name -> "left" / "right" / "both" / "none": the branch the line runs through


def island_branches(water_xy, island_index: int, middle_xy: LineString, lines_xy: dict[str, LineString],
                    *, step_m: float = 2.0, core: float = 0.3) -> Branches:
    """Measure the two branches around the ``island_index``-th hole of the water polygon.

    Downstream is the direction of ``middle_xy`` (upstream -> mouth). The island's long axis is that of its
    minimum rotated rectangle; its shore is sampled every ``step_m`` within ``core`` x its length either side
    of its centre, and each sample's shortest distance to any other shore (bank or other island) is a
    cross-section of the branch on that side: the width is their median. The branch a line runs through is
    the one whose cross-section through the island's centre the line crosses.
    """
    from shapely.geometry import Point, Polygon

    poly = max(shapely.get_parts(water_xy), key=lambda g: g.area)
    holes = list(poly.interiors)
    island = Polygon(holes[island_index])
    rect = np.asarray(island.minimum_rotated_rectangle.exterior.coords)[:4]
    e1, e2 = rect[1] - rect[0], rect[2] - rect[1]
    axis = e1 if np.linalg.norm(e1) >= np.linalg.norm(e2) else e2
    length = float(np.linalg.norm(axis))
    u = axis / length
    centre = np.asarray(island.centroid.coords)[0]
    if middle_xy.project(Point(centre + u * length / 2)) < middle_xy.project(Point(centre - u * length / 2)):
        u = -u
    n = np.array([-u[1], u[0]])                      # left normal looking downstream
    others = shapely.union_all([LineString(poly.exterior.coords)]
                               + [LineString(h.coords) for k, h in enumerate(holes) if k != island_index])
    pts = shapely.get_coordinates(shapely.segmentize(LineString(holes[island_index].coords), step_m))
    along, across = (pts - centre) @ u, (pts - centre) @ n
    width, section = {}, {}
    for name, sign in (("left", 1.0), ("right", -1.0)):
        sel = pts[(np.abs(along) <= core * length) & (np.sign(across) == sign)]
        width[name] = float(np.median(shapely.distance(shapely.points(sel), others)))
        ray = LineString([centre, centre + sign * n * 10 * length])
        pieces = [g for g in shapely.get_parts(ray.intersection(poly)) if g.distance(island) < 1e-6]
        section[name] = min(pieces, key=lambda g: g.distance(Point(centre)))
    passes = {}
    for key, line in lines_xy.items():
        hit = [name for name in ("left", "right") if section[name].intersects(line)]
        passes[key] = hit[0] if len(hit) == 1 else ("both" if hit else "none")
    return Branches(island, width, passes)


# ------------------------------------------------------------------------------------------ datums
def transform_points(lonlat, src: str, dst: str, area: tuple[float, float, float, float]) -> np.ndarray:
    """pyproj's best operation ``src`` -> ``dst`` for the area (west, south, east, north), lon/lat order."""
    t = Transformer.from_crs(src, dst, always_xy=True, area_of_interest=AreaOfInterest(*area))
    ll = np.atleast_2d(np.asarray(lonlat, float))
    x, y = t.transform(ll[:, 0], ll[:, 1])
    return np.column_stack([x, y])


def read_points_csv(path: Path) -> dict[str, dict]:
    """The treaty points CSV as {id: row} with ``lon`` and ``lat`` as floats (the published figures)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = {r["id"]: dict(r) for r in csv.DictReader(f)}
    for r in rows.values():
        r["lon"], r["lat"] = float(r["lon"]), float(r["lat"])
    return rows


# ------------------------------------------------------------------------------------------ files
@dataclass
class Layer:
    rows: list[dict]
    geoms: list[BaseGeometry]

    def where(self, **kv) -> list[tuple[dict, BaseGeometry]]:
        return [(r, g) for r, g in zip(self.rows, self.geoms) if all(r.get(k) == v for k, v in kv.items())]

    def one(self, **kv) -> tuple[dict, BaseGeometry]:
        found = self.where(**kv)
        assert len(found) == 1, f"expected one feature with {kv}, found {len(found)}"
        return found[0]


def read_layer(path: Path, layer: str | None = None) -> Layer:
    """A vector layer as plain rows and shapely geometries (pyogrio's raw reader, no GeoPandas)."""
    meta, _, wkb, fields = pyogrio.raw.read(path, layer=layer)
    geoms = list(shapely.from_wkb(wkb))
    names = list(meta["fields"])
    rows = [{n: (v.item() if hasattr(v, "item") else v) for n, v in zip(names, vals)}
            for vals in zip(*fields)] if names else [{} for _ in geoms]
    return Layer(rows, geoms)


# ------------------------------------------------------------------------------------------ report.md
def md_sections(text: str) -> dict[str, str]:
    """``## Title`` -> the section's text (without the title line)."""
    out, title, buf = {}, "", []
    for line in text.splitlines():
        if line.startswith("## "):
            out[title] = "\n".join(buf)
            title, buf = line[3:].strip(), []
        else:
            buf.append(line)
    out[title] = "\n".join(buf)
    return out


def md_tables(section: str) -> list[list[dict[str, str]]]:
    """Every pipe table of a section as a list of {header: cell} rows (the separator row dropped)."""
    tables, block = [], []
    for line in section.splitlines() + [""]:
        if line.startswith("|"):
            block.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        if len(block) >= 2:
            head = block[0]
            tables.append([dict(zip(head, r)) for r in block[2:]])
        block = []
    return tables


NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def numbers(text: str) -> list[str]:
    """Every number as written in ``text`` (thousands separators kept)."""
    return NUMBER.findall(text.replace("**", ""))


def shows(written: str, value: float) -> bool:
    """Whether ``written`` (e.g. "17,289.7") is ``value`` rounded to the decimals it shows."""
    written = written.replace("−", "-")
    nd = len(written.split(".")[1]) if "." in written else 0
    expect = f"{value:,.{nd}f}"
    if "," not in written:
        expect = expect.replace(",", "")
    return written == expect or (expect.lstrip("-") == written.lstrip("-") and float(written.replace(",", "")) == 0)


def as_float(written: str) -> float:
    return float(written.replace(",", "").replace("−", "-"))


def line_of(geom: BaseGeometry) -> LineString:
    """A (Multi)LineString feature as one LineString (its parts merged end to end)."""
    merged = shapely.line_merge(geom) if geom.geom_type != "LineString" else geom
    assert merged.geom_type == "LineString", f"expected one connected line, got {merged.geom_type}"
    return merged
