"""Analytic fixtures with exact answers for the geometry tests (land line, tripoint, maritime, toolkit).

Everything is in a metric plane (metres): the local transverse Mercator of :func:`geodesy` (scale 1 on its
central meridian through the origin (LON0, LAT0)). Expected values come from the analytic construction, from
geographiclib (Karney's algorithms, pure Python, independent of pyproj) or from pyproj called directly --
never from the code under test.

Rivers. A river flows towards +x; its upstream end is a straight cross-section (the "cap"), its downstream
end opens into the sea: ``land`` is a big polygon covering everything behind the coast line, and the water
polygon runs on ``ext`` metres past the coast, so that :func:`pipeline.land_line.find_mouth` finds the
opening. The coast is perpendicular to the channel at the mouth, so the closing line is the channel's
cross-section ``snap_m`` seaward of the coast and the true middle line ends where the centre line crosses it.

``straight_channel``  constant width, true middle line = the axis
``sine_channel``      banks are exact offset curves (normals computed analytically) of a sine centre line
                      y = A sin(2 pi x / wavelength); true middle line = the sine (needs R_min > half-width)
``taper_channel``     banks y = +-(w0 + k x) / 2; true middle line = y = 0
``island_channel``    straight channel with a rectangular or elliptic island pushed to the right bank
                      (y < 0); true middle line = the medial axis of the wider (left) branch, computed by
                      bisection on exact distances to the island polygon and the banks
``mirror``            the same channel mirrored across y = 0 (reverses ring orientation)
``depth_grid``        a :class:`pipeline.model.DepthGrid` (5 m cells, in any grid CRS) of a depth function
                      given in the metric plane
``thalweg_case``      such a grid over a straight channel whose deepest line is a sine
``u_thalweg_case``    a long U-shaped channel whose deepest line is a sine about its centre line, as a windowed
                      depth grid (only the windows along the channel; the bounding box is never allocated)

Sea. Two states on either side of a river that flows south (-y) into the sea; the first side (``LEFT``) is
the left bank looking downstream, i.e. the east.

``wedge``             two straight coasts meeting at an apex: the equidistance line is the bisector, ending
                      at R / sin(half the opening angle) from the apex
``straight_coast``    one straight coast y = 0: the equidistance line is the perpendicular x = 0, ending at R
``headland_coast``    the straight coast with a sharp headland on the left side: the equidistance line is x = 0,
                      then the parabola equidistant from the headland's tip and the right coast

Measures and brute forces: ``hausdorff_downstream``, ``equidistance_errors`` (rivers); ``brute_nearest``
(geodesic nearest point of a planar polyline, geographiclib); ``isometric_latitude`` and ``rhumb_point`` (the
loxodrome by its textbook formulas). ``record`` keeps the worst figure per case for the accuracy tables
printed in pytest's terminal summary.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import shapely
from geographiclib.geodesic import Geodesic
from pyproj import CRS, Transformer
from scipy.optimize import minimize_scalar
from scipy.spatial import cKDTree
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.ops import substring

from pipeline.geodesy import Geodesy, local_tm
from pipeline.model import DepthGrid

ROOT = Path(__file__).resolve().parents[1]   # the repository
BIG = 100_000.0  # extent of the land polygon, metres
SNAP = 1.0       # mouth_snap_m used by the tests; the closing line lies SNAP seaward of the coast
NM12 = 12 * 1852.0   # 12 nautical miles, metres (the territorial sea's breadth)
LON0, LAT0 = 130.75, 42.30  # origin of the fixtures' metric plane (near the Tumen mouth)
GL = Geodesic.WGS84         # geographiclib's WGS-84 ellipsoid


# ------------------------------------------------------------------------------------- geodesy
@functools.lru_cache(maxsize=None)
def geodesy(lon0: float = LON0, lat0: float = LAT0, half_deg: float = 0.6) -> Geodesy:
    """The pipeline's Geodesy on a local TM at (lon0, lat0), area of interest +-``half_deg`` around it."""
    return Geodesy(metric=local_tm(lon0, lat0),
                   area=(lon0 - half_deg, lat0 - half_deg, lon0 + half_deg, lat0 + half_deg))


@functools.lru_cache(maxsize=None)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def transform(xy, src: CRS | str, dst: CRS | str) -> np.ndarray:
    """(n, 2) coordinates from ``src`` to ``dst`` with pyproj directly (not through pipeline.geodesy)."""
    xy = np.atleast_2d(np.asarray(xy, float))
    s = src.to_wkt() if isinstance(src, CRS) else src
    d = dst.to_wkt() if isinstance(dst, CRS) else dst
    x, y = _transformer(s, d).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def to_lonlat(xy, crs: CRS) -> np.ndarray:
    return transform(xy, crs, "EPSG:4326")


def to_metric(ll, crs: CRS) -> np.ndarray:
    return transform(ll, "EPSG:4326", crs)


def geom_to_lonlat(geom, crs: CRS):
    return shapely.transform(geom, lambda xy: to_lonlat(xy, crs))


def geom_to_metric(geom, crs: CRS):
    return shapely.transform(geom, lambda xy: to_metric(xy, crs))


def gl_inverse(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float, float]:
    """(distance m, azimuth at 1, azimuth at 2), geographiclib."""
    r = GL.Inverse(float(lat1), float(lon1), float(lat2), float(lon2))
    return r["s12"], r["azi1"], r["azi2"]


def gl_distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return GL.Inverse(float(lat1), float(lon1), float(lat2), float(lon2), Geodesic.DISTANCE)["s12"]


def angle_diff(a: float, b: float) -> float:
    """|a - b| in degrees, modulo 360, in [0, 180]."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


@dataclass(frozen=True)
class Nearest:
    distance_m: float
    station_m: float          # along the polyline (planar metres)
    xy: np.ndarray            # metric


def brute_nearest(line, lon: float, lat: float, crs: CRS, samples: int = 41) -> Nearest:
    """The point of the planar (multi)polyline ``line`` (in ``crs``) geodesically nearest to (lon, lat), by brute
    force with geographiclib: every segment is scanned at ``samples`` points, then minimised by bounded Brent
    between the neighbours of its best sample (to 1e-5 m along it); the best segment wins."""
    parts = [line] if line.geom_type == "LineString" else list(line.geoms)
    out = None
    offset = 0.0
    for part in parts:
        c = np.asarray(part.coords, float)
        for a, b in zip(c[:-1], c[1:]):
            seg = float(np.hypot(*(b - a)))
            if seg == 0.0:
                continue

            def f(u, a=a, b=b):
                (x, y), = to_lonlat(a + u * (b - a), crs)
                return gl_distance(lon, lat, x, y)

            t = np.linspace(0.0, 1.0, samples)
            d = np.array([gl_distance(lon, lat, x, y) for x, y in to_lonlat(a + t[:, None] * (b - a), crs)])
            k = int(np.argmin(d))
            lo, hi = t[max(k - 1, 0)], t[min(k + 1, samples - 1)]
            r = minimize_scalar(f, bounds=(lo, hi), method="bounded", options=dict(xatol=1e-5 / seg))
            dist, u = min([(float(r.fun), float(r.x)), (float(d[k]), float(t[k]))])
            if out is None or dist < out.distance_m:
                out = Nearest(dist, offset + u * seg, a + u * (b - a))
            offset += seg
    return out


# loxodrome by its textbook formulas: longitude is linear in the isometric latitude psi along a rhumb line
def isometric_latitude(lat_deg) -> np.ndarray:
    """psi(phi) = asinh(tan phi) - e atanh(e sin phi) on WGS 84 (radians)."""
    e = np.sqrt(GL.f * (2 - GL.f))
    phi = np.radians(np.asarray(lat_deg, float))
    return np.arcsinh(np.tan(phi)) - e * np.arctanh(e * np.sin(phi))


def latitude_from_isometric(psi) -> np.ndarray:
    """Inverse of :func:`isometric_latitude` by fixed-point iteration (converges to 1e-15 rad in < 10 steps)."""
    e = np.sqrt(GL.f * (2 - GL.f))
    psi = np.asarray(psi, float)
    phi = np.arctan(np.sinh(psi))
    for _ in range(20):
        phi = np.arctan(np.sinh(psi + e * np.arctanh(e * np.sin(phi))))
    return np.degrees(phi)


def rhumb_course(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Constant azimuth (deg) of the rhumb line a -> b: atan2(d lambda, d psi)."""
    dlon = np.radians(b[0] - a[0])
    dpsi = isometric_latitude(b[1]) - isometric_latitude(a[1])
    return float(np.degrees(np.arctan2(dlon, dpsi)) % 360.0)


def rhumb_point(a: tuple[float, float], b: tuple[float, float], f) -> np.ndarray:
    """Lon/lat of the points at fraction ``f`` of the rhumb line a -> b (by longitude and isometric latitude)."""
    f = np.asarray(f, float)
    psi = isometric_latitude(a[1]) + f * (isometric_latitude(b[1]) - isometric_latitude(a[1]))
    return np.column_stack([a[0] + f * (b[0] - a[0]), latitude_from_isometric(psi)])


@functools.lru_cache(maxsize=None)
def treaty_points_wgs84() -> dict[str, tuple[float, float]]:
    """Treaty points B and E from inputs/tumen/treaty_points.csv (datum not stated: read in Pulkovo 1942, as the case
    does), transformed to WGS 84 lon/lat with pyproj directly (its default, best available operation)."""
    import csv

    t = _transformer("EPSG:4284", "EPSG:4326")
    with open(ROOT / "inputs" / "tumen" / "treaty_points.csv", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    return {k: tuple(map(float, t.transform(float(rows[k]["lon"]), float(rows[k]["lat"])))) for k in ("B", "E")}


# ------------------------------------------------------------------------------------- rivers
@dataclass(frozen=True)
class Channel:
    name: str
    water: Polygon | MultiPolygon       # the river's water area, islands as holes, running on into the sea
    land: Polygon                       # covers the river (rivers not cut out) up to the coast line
    true_line: LineString               # exact middle line, from the cap's centre to the closing line
    shores: tuple[LineString, ...]      # left bank, right bank, island shores (up to the closing line)
    width: float                        # nominal (largest) width, metres: the part of the line within one
                                        # width of the cap is not compared (the axis forks to the cap's corners)
    closing_line: LineString            # expected closing line of the mouth
    info: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------- building blocks
def _half_plane_land(origin: np.ndarray, tangent: np.ndarray) -> Polygon:
    """Everything behind the line through ``origin`` perpendicular to ``tangent`` (unit), as a big polygon."""
    n = np.array([-tangent[1], tangent[0]])
    o = np.asarray(origin, float)
    return Polygon([o + BIG * n, o + BIG * n - BIG * tangent, o - BIG * n - BIG * tangent, o - BIG * n])


def _channel_from_centreline(name, c: np.ndarray, t: np.ndarray, half: np.ndarray, ext: float,
                             true_line: np.ndarray | None = None, holes=(), info=None) -> Channel:
    """Water polygon from centre-line samples ``c`` (n, 2), unit tangents ``t`` and half-widths ``half``;
    the last sample is the mouth (the coast passes there, perpendicular to ``t[-1]``); the water then runs on
    straight for ``ext`` metres into the sea. ``true_line`` defaults to the centre line."""
    n = np.column_stack([-t[:, 1], t[:, 0]])                 # left normal, looking downstream
    left = c + half[:, None] * n
    right = c - half[:, None] * n
    tL = t[-1]
    sea_l, sea_r = left[-1] + ext * tL, right[-1] + ext * tL
    ring = np.vstack([left, [sea_l, sea_r], right[::-1]])
    water = Polygon(ring, holes=[np.asarray(h.coords) for h in holes])
    assert water.is_valid, f"{name}: invalid water polygon"
    land = _half_plane_land(c[-1], tL)
    # the banks up to the closing line (SNAP seaward of the coast)
    left_b = LineString(np.vstack([left, left[-1] + SNAP * tL]))
    right_b = LineString(np.vstack([right, right[-1] + SNAP * tL]))
    # sanity: the banks lie in the land (rivers not cut out), only the part past the coast outside it
    assert shapely.difference(left_b, land.buffer(SNAP + 1e-6)).length < 1e-6
    assert shapely.difference(right_b, land.buffer(SNAP + 1e-6)).length < 1e-6
    tl = c if true_line is None else true_line
    true = LineString(np.vstack([tl, c[-1] + SNAP * tL]))
    closing = LineString([right[-1] + SNAP * tL, left[-1] + SNAP * tL])
    shores = (left_b, right_b) + tuple(LineString(h.coords) for h in holes)
    return Channel(name, water, land, true, shores, float(2 * half.max()), closing, dict(info or {}))


def straight_channel(length: float = 3000.0, width: float = 200.0, ext: float = 50.0, step: float = 10.0,
                     angle_deg: float = 0.0) -> Channel:
    """Straight channel along +x (optionally rotated about the origin by ``angle_deg``)."""
    x = np.linspace(0.0, length, int(round(length / step)) + 1)
    c = np.column_stack([x, np.zeros_like(x)])
    t = np.tile([1.0, 0.0], (len(x), 1))
    ch = _channel_from_centreline("straight", c, t, np.full(len(x), width / 2), ext)
    return rotate(ch, angle_deg) if angle_deg else ch


def sine_min_radius(amplitude: float, wavelength: float) -> float:
    k = 2 * np.pi / wavelength
    curvature = amplitude * k * k
    return np.inf if curvature == 0 else 1.0 / curvature


def sine_channel(amplitude: float = 120.0, wavelength: float = 1500.0, width: float = 150.0,
                 quarter_waves: int = 9, ext: float = 50.0, step: float = 2.0) -> Channel:
    """Centre line y = A sin(2 pi x / wavelength) for 0 <= x <= quarter_waves * wavelength / 4
    (``quarter_waves`` odd: the mouth is on a crest or trough, so the coast x = L is perpendicular to it).
    Banks: the centre line offset by +-width/2 along the exact normals."""
    assert quarter_waves % 2 == 1, "the mouth must be at a crest or trough"
    r = sine_min_radius(amplitude, wavelength)
    assert r > width / 2, f"radius of curvature {r:.0f} m <= half-width {width / 2:.0f} m: banks would self-cross"
    k = 2 * np.pi / wavelength
    L = quarter_waves * wavelength / 4
    x = np.linspace(0.0, L, int(np.ceil(L / step)) + 1)
    c = np.column_stack([x, amplitude * np.sin(k * x)])
    d = np.column_stack([np.ones_like(x), amplitude * k * np.cos(k * x)])
    t = d / np.linalg.norm(d, axis=1, keepdims=True)
    t[-1] = (1.0, 0.0)  # exact at the crest
    return _channel_from_centreline("sine", c, t, np.full(len(x), width / 2), ext,
                                    info=dict(amplitude=amplitude, wavelength=wavelength, min_radius=r))


def taper_channel(w0: float = 80.0, w1: float = 400.0, length: float = 3000.0, ext: float = 50.0,
                  step: float = 10.0) -> Channel:
    """Banks y = +-(w0 + k x)/2, width w0 at the cap and w1 at the coast; the taper continues into the sea."""
    x = np.linspace(0.0, length, int(round(length / step)) + 1)
    k = (w1 - w0) / length
    half = (w0 + k * x) / 2
    top = np.column_stack([x, half])
    bot = np.column_stack([x, -half])
    xe = length + ext
    he = (w0 + k * xe) / 2
    water = Polygon(np.vstack([top, [[xe, he], [xe, -he]], bot[::-1]]))
    land = box(-BIG, -BIG, length, BIG)
    xc = length + SNAP
    hc = (w0 + k * xc) / 2
    left = LineString(np.vstack([top, [[xc, hc]]]))
    right = LineString(np.vstack([bot, [[xc, -hc]]]))
    true = LineString([(0.0, 0.0), (xc, 0.0)])
    # the width used to skip the cap region: the cap's own width is what makes the axis fork
    return Channel("taper", water, land, true, (left, right), float(w0), LineString([(xc, -hc), (xc, hc)]),
                   dict(w0=w0, w1=w1))


def medial_y(xs: np.ndarray, d_upper, d_lower, y_lo: float, y_hi: float, iterations: int = 60) -> np.ndarray:
    """For each x, the root y in [y_lo, y_hi] of d_upper(p) = d_lower(p), p = (x, y), by bisection; ``d_upper``
    and ``d_lower`` map an array of shapely points to exact distances to the upper and lower shores and must
    be decreasing and non-decreasing in y respectively (true for a shore wholly above / a convex island
    symmetric about y_lo below), so the root is unique: the boundary of the upper shore's Voronoi region."""
    lo = np.full(len(xs), float(y_lo))
    hi = np.full(len(xs), float(y_hi))
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        p = shapely.points(xs, mid)
        pos = d_upper(p) > d_lower(p)
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    return 0.5 * (lo + hi)


def _island_polygon(kind: str, cx: float, cy: float, half_len: float, half_wid: float) -> Polygon:
    if kind == "rect":
        return box(cx - half_len, cy - half_wid, cx + half_len, cy + half_wid)
    if kind == "ellipse":
        a = np.linspace(0, 2 * np.pi, 1441)[:-1]
        return Polygon(np.column_stack([cx + half_len * np.cos(a), cy + half_wid * np.sin(a)]))
    raise ValueError(kind)


def island_channel(kind: str = "rect", length: float = 3000.0, width: float = 200.0, ext: float = 50.0,
                   island_y: float = -40.0, island_half_len: float = 500.0, island_half_wid: float = 20.0,
                   step: float = 10.0) -> Channel:
    """Straight channel |y| <= width/2 with an island centred at (length/2, island_y), island_y < 0: the left
    branch (y > island) is the wider one. The island is symmetric about y = island_y, so along each vertical
    x = const above it d(island) is non-decreasing in y, and the left branch's medial axis (the boundary of the
    left bank's Voronoi region) is the unique root y(x) of 0.5*width - y = min(y + 0.5*width, d(island)),
    found by bisection on exact distances: independent of any Voronoi code."""
    assert island_y < 0
    isl = _island_polygon(kind, length / 2, island_y, island_half_len, island_half_wid)
    x = np.linspace(0.0, length, int(round(length / step)) + 1)
    c = np.column_stack([x, np.zeros_like(x)])
    t = np.tile([1.0, 0.0], (len(x), 1))
    xs = np.arange(0.0, length + SNAP + 0.25, 0.5)
    h = width / 2
    # farther than h from the island, the axis y = 0 is exact; bisect only near the island
    x0, _, x1, _ = isl.bounds
    near = (xs > x0 - h) & (xs < x1 + h)
    y = np.zeros_like(xs)
    # distance to the island polygon: 0 inside, else to its ring densified to 5 cm (over-estimate
    # < 0.05^2 / (8 d) < 1e-4 m at the d > 10 m of the middle line)
    tree = cKDTree(_dense_points(isl.exterior, 0.05))

    def d_island(p):
        xy = shapely.get_coordinates(p)
        return np.where(shapely.contains_xy(isl, xy[:, 0], xy[:, 1]), 0.0, tree.query(xy)[0])

    y[near] = medial_y(xs[near], lambda p: h - shapely.get_y(p),
                       lambda p: np.minimum(shapely.get_y(p) + h, d_island(p)), island_y, h, iterations=44)
    true = np.column_stack([xs, y])
    top = isl.bounds[3]
    wide, narrow = h - top, isl.bounds[1] + h
    ch = _channel_from_centreline(f"island-{kind}", c, t, np.full(len(x), h), ext, true_line=true,
                                  holes=[isl.exterior],
                                  info=dict(island=isl, wide_branch_m=wide, narrow_branch_m=narrow))
    return ch


def island_rect_exact_y(x: np.ndarray, x0: float, x1: float, top: float, half_width: float) -> np.ndarray:
    """Closed form of the left branch's middle line for a rectangular island [x0, x1] x [.., top] in the
    channel |y| <= h: alongside the island y = (h + top)/2; off its ends, at dx from the nearest corner, the
    parabola equidistant from the left bank and the corner, (h - y)^2 = dx^2 + (y - top)^2, i.e.
    y = (h^2 - top^2 - dx^2) / (2 (h - top)), until it meets the axis y = 0."""
    h = half_width
    y = np.zeros_like(x, dtype=float)
    dx = np.where(x < x0, x0 - x, np.where(x > x1, x - x1, 0.0))
    # (h - y)^2 = dx^2 + (y - top)^2  ->  y = (h^2 - top^2 - dx^2) / (2 (h - top))
    par = (h * h - top * top - dx * dx) / (2 * (h - top))
    return np.maximum(y, par)


def mirror(ch: Channel) -> Channel:
    """Mirror across y = 0 (the ring orientation reverses; left and right banks swap)."""
    m = lambda g: affinity.scale(g, 1.0, -1.0, origin=(0, 0))  # noqa: E731
    left, right, *isl = ch.shores
    return Channel(ch.name + "-mirrored", m(ch.water), m(ch.land), m(ch.true_line),
                   (m(right), m(left), *map(m, isl)), ch.width, m(ch.closing_line), dict(ch.info))


def rotate(ch: Channel, angle_deg: float) -> Channel:
    r = lambda g: affinity.rotate(g, angle_deg, origin=(0, 0))  # noqa: E731
    return Channel(f"{ch.name}-rot{angle_deg:g}", r(ch.water), r(ch.land), r(ch.true_line),
                   tuple(map(r, ch.shores)), ch.width, r(ch.closing_line), dict(ch.info))


# ------------------------------------------------------------------------------- robustness cases
def bowtie_channel() -> tuple[Polygon, Channel]:
    """The straight channel with a self-intersecting 'bowtie' loop in its left bank at x = 1500 (an invalid
    polygon, as digitised by hand). Returns (the invalid water, the channel it repairs to): shapely.make_valid
    keeps the loop's lower lobe, a 7.5 m triangular bump of the bank into the land, and splits off the upper
    lobe (a 75 m2 triangle touching at a point). The bump moves the true middle line off the axis by at most
    0.25 m (at x = 1500: sqrt(10^2 + (100 - y)^2) = 100 + y); the true line is found by bisection."""
    ch = straight_channel()
    ring = list(ch.water.exterior.coords)
    # the left bank runs +x along y = +100; insert the loop between x = 1490 and 1510
    i = next(k for k, (x, y) in enumerate(ring) if y == 100.0 and x > 1490.0)
    loop = [(1490.0, 100.0), (1510.0, 115.0), (1490.0, 115.0), (1510.0, 100.0)]
    ring = ring[:i] + loop + ring[i:]
    bad = Polygon(ring)
    assert not bad.is_valid
    left = LineString([(0.0, 100.0), (1490.0, 100.0), (1500.0, 107.5), (1510.0, 100.0), (3000.0 + SNAP, 100.0)])
    right = ch.shores[1]
    xs = np.arange(0.0, 3000.0 + SNAP + 0.1, 0.5)
    shapely.prepare(left)
    y = medial_y(xs, lambda p: shapely.distance(left, p), lambda p: shapely.get_y(p) + 100.0, -100.0, 100.0)
    return bad, replace(ch, name="bowtie", true_line=LineString(np.column_stack([xs, y])), shores=(left, right))


def multipart_channel() -> tuple[MultiPolygon, Channel]:
    """The straight channel drawn as two polygons touching along x = 1500 (unioned by the caller), plus a far
    pond inside the land that must be ignored."""
    ch = straight_channel()
    up = shapely.clip_by_rect(ch.water, -1, -1000, 1500, 1000)
    down = shapely.clip_by_rect(ch.water, 1500, -1000, 1e6, 1000)
    pond = Point(1500.0, 3000.0).buffer(300.0)
    return MultiPolygon([up, down, pond]), ch


def short_channel() -> Channel:
    """A river whose banks stop 200 m short of the coast: no part of the water lies outside the land."""
    ch = straight_channel()
    return replace(ch, name="short", water=shapely.clip_by_rect(ch.water, -1, -1000, 2800, 1000))


def two_outlet_channel(second_width: float) -> Channel:
    """The straight channel plus a side outlet of ``second_width`` leaving the left bank at x = 2000 and
    reaching the sea (the coast is x = 3000) through a narrow creek running north then east."""
    ch = straight_channel()
    creek = shapely.union_all([box(1980.0, 99.0, 1980.0 + second_width, 400.0),
                               box(1980.0, 400.0 - second_width, 3060.0, 400.0)])
    return replace(ch, name=f"two-outlets-{second_width:g}", water=shapely.union_all([ch.water, creek]))



# ------------------------------------------------------------------------------------- thalweg
GRID_CRS = {
    # the metric CRS itself
    "identity": None,
    # UTM zone 52N: shifted by ~(644 km, 4685 km) and turned by the 1.18 deg meridian convergence
    "utm52": "EPSG:32652",
    # an oblique Mercator whose grid is turned 30 deg from north, with false origin (500 km, 4600 km)
    "omerc30": (f"+proj=omerc +lat_0={LAT0} +lonc={LON0} +alpha=45 +gamma=15 +k=1 +x_0=500000 +y_0=4600000 "
                "+ellps=WGS84 +units=m +no_defs"),
}


def depth_grid(water: Polygon, depth_of, *, cell: float = 5.0, grid: str = "identity") -> DepthGrid:
    """A north-up depth grid in the CRS ``GRID_CRS[grid]`` covering ``water`` (metric): each cell whose centre
    lies in the water gets ``depth_of(xy)`` of its centre (metric (n, 2) -> depths), the others NaN. Cell centres
    go to the metric plane with pyproj directly."""
    from affine import Affine

    metric = geodesy().metric
    crs = metric if GRID_CRS[grid] is None else CRS.from_user_input(GRID_CRS[grid])
    ring = shapely.get_coordinates(shapely.segmentize(water.exterior, 50.0))
    g = transform(ring, metric, crs)
    x0, y0 = np.floor(g.min(axis=0) / cell) * cell - 2 * cell
    x1, y1 = np.ceil(g.max(axis=0) / cell) * cell + 2 * cell
    cols, rows = int(round((x1 - x0) / cell)), int(round((y1 - y0) / cell))
    transform_ = Affine(cell, 0.0, x0, 0.0, -cell, y1)   # as rasterio.transform.from_origin
    cc, rr = np.meshgrid(np.arange(cols), np.arange(rows))
    centres = np.column_stack([x0 + (cc.ravel() + 0.5) * cell, y1 - (rr.ravel() + 0.5) * cell])
    m = transform(centres, crs, metric)
    wet = shapely.contains_xy(water, m[:, 0], m[:, 1])
    depth = np.full(rows * cols, np.nan)
    depth[wet] = depth_of(m[wet])
    return DepthGrid(depth.reshape(rows, cols), transform_, crs, cell, "geotiff", f"fixture ({grid})")


def sine_depth(amplitude: float, wavelength: float, sigma: float, dmax: float, x0: float = -50.0,
               x1: float = 3100.0):
    """depth(xy) = 0.5 + dmax exp(-(d / sigma)^2), d = distance to the deepest line y = A sin(2 pi x / wavelength)
    (its vertices 0.25 m apart: error < 0.01 m at the sigma scale); returns (function, deepest line)."""
    k = 2 * np.pi / wavelength
    xs = np.arange(x0, x1 + 1e-9, 0.25)
    line = np.column_stack([xs, amplitude * np.sin(k * xs)])
    tree = cKDTree(line)

    def depth_of(xy: np.ndarray) -> np.ndarray:
        d, _ = tree.query(xy)
        return 0.5 + dmax * np.exp(-(d / sigma) ** 2)

    return depth_of, LineString(line)


@dataclass(frozen=True)
class ThalwegCase:
    grid: DepthGrid
    water: Polygon               # metric
    true_line: LineString        # the deepest line from start to the closing line, metric
    start: Point
    closing_line: LineString     # the cross-section x = xb
    cell: float


def thalweg_case(cell: float = 5.0, amplitude: float = 60.0, wavelength: float = 1200.0, sigma: float = 40.0,
                 dmax: float = 12.0, length: float = 3000.0, width: float = 300.0, grid: str = "identity"
                 ) -> ThalwegCase:
    """Straight channel |y| <= width/2, 0 <= x <= length; depth from :func:`sine_depth`; the thalweg runs from the
    deepest line at x = 100 to the cross-section x = length - 100 (its closing line)."""
    depth_of, _ = sine_depth(amplitude, wavelength, sigma, dmax)
    water = box(0.0, -width / 2, length, width / 2)
    k = 2 * np.pi / wavelength
    xa, xb = 100.0, length - 100.0
    xt = np.arange(xa, xb + 1e-9, 0.25)
    true = LineString(np.column_stack([xt, amplitude * np.sin(k * xt)]))
    return ThalwegCase(depth_grid(water, depth_of, cell=cell, grid=grid), water, true,
                       Point(xa, amplitude * np.sin(k * xa)), LineString([(xb, -width / 2), (xb, width / 2)]), cell)


@dataclass(frozen=True)
class UCourse:
    """A U-shaped channel (see :func:`u_thalweg_case`): the centre line goes north up the arm x = 2R from y = 0 to
    y = arm, over the half circle of radius R centred on (R, arm), and south down the arm x = 0 to y = 0; s is
    the arc length from (2R, 0), n the offset to the left looking downstream."""

    radius: float
    arm: float

    @property
    def length(self) -> float:
        return 2 * self.arm + np.pi * self.radius

    def sn(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(s, n) of points (n, 2) near the centre line (exact: the normals of each piece do not cross there)."""
        R, a = self.radius, self.arm
        x, y = xy[:, 0], xy[:, 1]
        theta = np.arctan2(y - a, x - R)
        bend = y > a
        up = ~bend & (x > R)
        s = np.where(bend, a + R * theta, np.where(up, y, a + np.pi * R + (a - y)))
        n = np.where(bend, R - np.hypot(x - R, y - a), np.where(up, 2 * R - x, x))
        return s, n

    def at(self, s: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Points (len(s), 2) at arc length ``s`` and left offset ``n``."""
        R, a = self.radius, self.arm
        s, n = np.broadcast_arrays(np.asarray(s, float), np.asarray(n, float))
        theta = np.clip((s - a) / R, 0.0, np.pi)
        bend = np.column_stack([R + (R - n) * np.cos(theta), a + (R - n) * np.sin(theta)])
        up = np.column_stack([2 * R - n, s])
        down = np.column_stack([n, a - (s - a - np.pi * R)])
        return np.where((s < a)[:, None], up, np.where((s > a + np.pi * R)[:, None], down, bend))


@dataclass(frozen=True)
class UThalwegCase:
    course: UCourse
    grid: DepthGrid              # windowed: only the windows the channel touches
    water: Polygon               # metric
    deepest_n: object            # s -> n of the deepest line
    start: Point
    closing_line: LineString
    cell: float
    box_cells: int               # cells of the channel's bounding box at ``cell``


def u_thalweg_case(radius: float = 40_000.0, arm: float = 10_000.0, width: float = 100.0, cell: float = 10.0,
                   amplitude: float = 20.0, wavelength: float = 3000.0, sigma: float = 15.0, dmax: float = 12.0,
                   block: int = 64) -> UThalwegCase:
    """A long U-shaped channel (146 km by default, its bounding box 80 x 50 km) whose deepest line is known: depth
    0.5 + dmax exp(-((n - d(s)) / sigma)^2) with d(s) = amplitude sin(2 pi s / wavelength), in the metric CRS
    itself; wet where |n| <= width / 2. The depth is a windowed :class:`DepthGrid` of ``block`` x ``block``
    cells: only the windows the channel touches are made, never the bounding box. The thalweg runs from the
    deepest line 100 m above the upstream end to the cross-section 100 m above the downstream end."""
    from affine import Affine

    from pipeline.model import DepthWindow

    c = UCourse(radius, arm)
    k = 2 * np.pi / wavelength
    deepest = lambda s: amplitude * np.sin(k * s)  # noqa: E731
    x0, y1 = -width, arm + radius + width
    transform = Affine(cell, 0.0, x0, 0.0, -cell, y1)
    centre = c.at(np.arange(0.0, c.length + cell, cell), 0.0)
    cols, rows = ~transform @ (centre[:, 0], centre[:, 1])
    reach = width / 2 / cell + 2
    blocks = {(int(r // block), int(q // block)) for rr, cc in zip(rows, cols)
              for r in (rr - reach, rr + reach) for q in (cc - reach, cc + reach)}
    windows = []
    for br, bc in sorted(blocks):
        rr, cc = np.mgrid[br * block:(br + 1) * block, bc * block:(bc + 1) * block]
        gx, gy = transform @ (cc.ravel() + 0.5, rr.ravel() + 0.5)
        s, n = c.sn(np.column_stack([gx, gy]))
        wet = (np.abs(n) <= width / 2) & (s >= 0.0) & (s <= c.length)
        depth = np.where(wet, 0.5 + dmax * np.exp(-((n - deepest(s)) / sigma) ** 2), np.nan)
        if wet.any():
            windows.append(DepthWindow(br * block, bc * block, depth.reshape(block, block)))
    metric = geodesy().metric
    grid = DepthGrid.from_windows(windows, transform, metric, cell, "geotiff", "fixture (U course, windowed)")
    water = LineString(centre).buffer(width / 2, cap_style="flat")
    s0, s1 = 100.0, c.length - 100.0
    start = Point(c.at(np.array([s0]), deepest(np.array([s0])))[0])
    closing = LineString(c.at(np.array([s1, s1]), np.array([width / 2, -width / 2])))
    box_cells = int(np.ceil((2 * radius + width) / cell) * np.ceil((arm + radius + width / 2) / cell))
    return UThalwegCase(c, grid, water, deepest, start, closing, cell, box_cells)


# -------------------------------------------------------------------------------------- sea
LEFT, RIGHT = "L", "R"      # left bank looking downstream (east: the river flows south), right bank (west)
SIDES = (LEFT, RIGHT)


def unit(bearing_deg: float) -> np.ndarray:
    """Unit vector of a grid bearing (clockwise from +y)."""
    r = np.radians(bearing_deg)
    return np.array([np.sin(r), np.cos(r)])


@dataclass(frozen=True)
class Sea:
    name: str
    land: dict                  # side -> land polygon (the river not cut out of it)
    water: Polygon              # the river, ending at the closing line
    frame: Polygon              # the data extent
    closing: LineString
    mouth: Point                # where the channel line meets the closing line (equidistance start)
    coast: dict                 # side -> the exact coast (LineString), from the river mouth to the frame
    equidistance: LineString    # the exact equidistance line, mouth -> 12-nm end
    info: dict = field(default_factory=dict)

    @property
    def end(self) -> Point:
        return Point(self.equidistance.coords[-1])

    def baseline(self, side: str) -> LineString:
        """Exact baseline: the coast plus its half of the closing line to the mouth."""
        c = np.asarray(self.coast[side].coords)
        return LineString(np.vstack([np.asarray(self.mouth.coords), c]))


def wedge(bearing_left: float, bearing_right: float, river_width: float, frame=None, far: float = 200e3,
          breadth: float = NM12) -> Sea:
    """Coast L from the apex O = (0, 0) on grid bearing ``bearing_left`` (land L to its north-east), coast R on
    ``bearing_right`` (land R to its north-west), a river ``river_width`` wide between them from the north. The
    equidistance line is the bisector of the coasts from where it crosses the closing line, to
    R / sin(half the opening angle) from O (where it is ``breadth`` from both coasts)."""
    frame = box(-40e3, -40e3, 40e3, 5e3) if frame is None else frame
    ul, ur = unit(bearing_left), unit(bearing_right)
    w = river_width / 2.0
    pl, pr = ul * w / abs(ul[0]), ur * w / abs(ur[0])   # where the banks x = +-w meet the coasts
    water = Polygon([pr, (-w, far), (w, far), pl]).intersection(frame)
    land = {LEFT: Polygon([pl, (w, far), (2 * far, 2 * far), pl + far * ul]).intersection(frame),
            RIGHT: Polygon([pr, pr + far * ur, (-2 * far, 2 * far), (-w, far)]).intersection(frame)}
    closing = LineString([pr, pl])
    half = abs(bearing_left - bearing_right) / 2.0
    bis = unit((bearing_left + bearing_right) / 2.0)
    mouth = closing.intersection(LineString([(0.0, 0.0), 1e3 * bis]))   # the bisector through O
    end = breadth / np.sin(np.radians(half)) * bis
    coast = {s: LineString([p, p + far * u]).intersection(frame) for s, p, u in ((LEFT, pl, ul), (RIGHT, pr, ur))}
    return Sea(f"wedge-{bearing_left:g}-{bearing_right:g}", land, water, frame, closing, mouth, coast,
               LineString([mouth, end]), dict(bisector=bis, half_angle=half, coast_dir={LEFT: ul, RIGHT: ur}))


def straight_coast(river_width: float = 20.0, frame=None, breadth: float = NM12) -> Sea:
    """The coast y = 0, land L east of the river (x >= w), land R west of it; the data extent ends 30 km
    offshore. The equidistance line is the perpendicular x = 0 from the mouth (0, 0) to (0, -breadth)."""
    frame = box(-45e3, -30e3, 45e3, 5e3) if frame is None else frame
    w = river_width / 2.0
    x0, y0, x1, y1 = frame.bounds
    land = {LEFT: box(w, 0.0, x1, y1), RIGHT: box(x0, 0.0, -w, y1)}
    coast = {LEFT: LineString([(w, 0.0), (x1, 0.0)]), RIGHT: LineString([(-w, 0.0), (x0, 0.0)])}
    return Sea("straight-coast", land, box(-w, 0.0, w, y1), frame, LineString([(-w, 0.0), (w, 0.0)]),
               Point(0.0, 0.0), coast, LineString([(0.0, 0.0), (0.0, -breadth)]))


def headland_coast(a: float = 5000.0, b: float = 3000.0, c: float = 1000.0, river_width: float = 20.0,
                   breadth: float = NM12, step: float = 5.0) -> Sea:
    """The straight coast with a headland on the left side: the triangle (a - c, 0), (a, -b), (a + c, 0).

    Exact equidistance line: x = 0 from the mouth down to y = -y1, y1 = (a^2 + b^2) / (2 b), where the tip
    T = (a, -b) becomes nearer than the mouth; then the parabola with focus T and directrix y = 0 (the right
    coast), depth(x) = ((x - a)^2 + b^2) / (2 b), westward until its depth is ``breadth``, at
    x_end = a - sqrt(2 b breadth - b^2). The tip, not the headland's west side, is the nearest left point all
    along it while c (a - x) < b (depth - b), true for the defaults (c = 1000 < 1600 at x = 0)."""
    sea = straight_coast(river_width)
    y1 = (a * a + b * b) / (2 * b)
    assert c * a < b * (y1 - b), "the headland's west side would be nearer than its tip"
    x_end = a - np.sqrt(2 * b * breadth - b * b)
    xs = np.append(np.arange(0.0, x_end, -step), x_end)
    depth = ((xs - a) ** 2 + b * b) / (2 * b)
    exact = LineString(np.vstack([[(0.0, 0.0)], np.column_stack([xs, -depth])]))
    head = Polygon([(a - c, 0.0), (a, -b), (a + c, 0.0)])
    land = dict(sea.land, **{LEFT: shapely.union_all([sea.land[LEFT], head])})
    x1 = sea.frame.bounds[2]
    coast = dict(sea.coast, **{LEFT: LineString([(river_width / 2, 0.0), (a - c, 0.0), (a, -b), (a + c, 0.0),
                                                (x1, 0.0)])})
    return replace(sea, name="headland-coast", land=land, coast=coast, equidistance=exact,
                   info=dict(tip=(a, -b), y1=y1, x_end=x_end))


# -------------------------------------------------------------------------------------- measures
def _dense_points(line: LineString, step: float) -> np.ndarray:
    return shapely.get_coordinates(shapely.segmentize(line, step))


def directed_hausdorff(a: LineString, b: LineString, step: float = 0.05) -> float:
    """max over a of the distance to b, both densified to ``step``: exact to within +-step/2."""
    d, _ = cKDTree(_dense_points(b, step)).query(_dense_points(a, step))
    return float(d.max())


def hausdorff(a: LineString, b: LineString, step: float = 0.05) -> float:
    return max(directed_hausdorff(a, b, step), directed_hausdorff(b, a, step))


def vertex_hausdorff(a: LineString, b: LineString) -> float:
    """max(distance of a's vertices to b, of b's vertices to a), exact (GEOS); the Hausdorff distance of two
    densely sampled, nearly parallel lines (between vertices it can exceed this by a chord's sagitta only)."""
    da = shapely.distance(shapely.points(np.asarray(a.coords)), b).max()
    db = shapely.distance(shapely.points(np.asarray(b.coords)), a).max()
    return float(max(da, db))


def downstream_parts(line: LineString, ch: Channel, skip: float | None = None) -> tuple[LineString, LineString]:
    """(computed line, true line), both from ``skip`` (default: one width) downstream of the cap to the mouth."""
    skip = ch.width if skip is None else skip
    t = ch.true_line
    p = t.interpolate(skip)
    s = line.project(p)
    return substring(line, s, line.length), substring(t, skip, t.length)


def hausdorff_downstream(line: LineString, ch: Channel, skip: float | None = None) -> float:
    a, b = downstream_parts(line, ch, skip)
    return hausdorff(a, b)


def equidistance_errors(line: LineString, ch: Channel, skip: float | None = None) -> np.ndarray:
    """|d1 - d2| at the line's vertices from ``skip`` (default one width) downstream of the cap, where d1 <= d2
    are the two smallest distances to the fixture's own shore lines (left bank, right bank, islands)."""
    a, _ = downstream_parts(line, ch, skip)
    pts = shapely.points(np.asarray(a.coords))
    d = np.column_stack([shapely.distance(pts, s) for s in ch.shores])
    d.sort(axis=1)
    return np.abs(d[:, 1] - d[:, 0])


# --------------------------------------------------------------------------------------- report
# table -> case -> measure -> worst value; printed in pytest's terminal summary, one table per stage
ACCURACY: dict[str, dict[str, dict[str, float]]] = {}
TITLES = {"land": "land_line accuracy (metres, worst per case)",
          "tripoint": "tripoint accuracy (worst per case; unit in the column name)",
          "maritime": "maritime accuracy (worst per case; unit in the column name)",
          "toolkit": "toolkit accuracy against geographiclib / analytic answers (worst per case)"}


def record(case: str, *, table: str = "land", **measures: float) -> None:
    """Keep the worst (largest) value seen of each measure for ``case`` in ``table``."""
    m = ACCURACY.setdefault(table, {}).setdefault(case, {})
    for k, v in measures.items():
        m[k] = max(float(v), m.get(k, float("-inf")))


class _AccuracyReport:
    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        for table, cases in ACCURACY.items():
            keys = sorted({k for m in cases.values() for k in m})
            width = {k: max(10, len(k) + 2) for k in keys}
            first = max(len(c) for c in cases) + 2
            tr.section(TITLES.get(table, table))
            tr.write_line(f"{'case':{first}s}" + "".join(f"{k:>{width[k]}s}" for k in keys))
            for case, m in sorted(cases.items()):
                tr.write_line(f"{case:{first}s}" + "".join(
                    f"{m[k]:>{width[k]}.3g}" if k in m else f"{'-':>{width[k]}s}" for k in keys))


def register_report(config) -> None:
    """Print ``ACCURACY`` in the terminal summary (once per session, whichever test module asks first)."""
    if not config.pluginmanager.has_plugin("geometry-accuracy"):
        config.pluginmanager.register(_AccuracyReport(), "geometry-accuracy")
