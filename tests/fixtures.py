"""Analytic river fixtures for the land-line tests, each with its exact true middle line.

Everything is in a metric plane (metres). A river flows towards +x; its upstream end is a straight
cross-section (the "cap"), its downstream end opens into the sea: ``land`` is a big polygon covering
everything behind the coast line, and the water polygon runs on ``ext`` metres past the coast, so that
:func:`pipeline.land_line.find_mouth` finds the opening. The coast is perpendicular to the channel at
the mouth, so the closing line is the channel's cross-section ``snap_m`` seaward of the coast and the
true middle line ends where the centre line crosses it.

Builders (plain functions, no pytest):

``straight_channel``  constant width, true middle line = the axis
``sine_channel``      banks are exact offset curves (normals computed analytically) of a sine centre line
                      y = A sin(2 pi x / wavelength); true middle line = the sine (needs R_min > half-width)
``taper_channel``     banks y = +-(w0 + k x) / 2; true middle line = y = 0
``island_channel``    straight channel with a rectangular or elliptic island pushed to the right bank
                      (y < 0); true middle line = the medial axis of the wider (left) branch, computed by
                      bisection on exact distances to the island polygon and the banks
``mirror``            the same channel mirrored across y = 0 (reverses ring orientation)
``thalweg_case``      a depth raster (5 m cells) over a straight channel whose deepest line is a sine
``hausdorff_downstream``, ``equidistance_errors``  the accuracy measures used by the tests
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.ops import substring

BIG = 100_000.0  # extent of the land polygon, metres
SNAP = 1.0       # mouth_snap_m used by the tests; the closing line lies SNAP seaward of the coast


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
@dataclass(frozen=True)
class ThalwegCase:
    depth: np.ndarray            # (rows, cols), NaN = dry
    transform: object            # rasterio Affine (grid CRS)
    to_grid: object
    from_grid: object
    water_grid: Polygon          # water in the grid CRS
    water: Polygon               # water in the metric CRS
    true_line: LineString        # the deepest line, metric
    start: Point
    end: Point
    cell: float


def thalweg_case(cell: float = 5.0, amplitude: float = 60.0, wavelength: float = 1200.0, sigma: float = 40.0,
                 dmax: float = 12.0, length: float = 3000.0, width: float = 300.0,
                 grid_angle_deg: float = 0.0, grid_offset=(0.0, 0.0)) -> ThalwegCase:
    """Straight channel |y| <= width/2, 0 <= x <= length; depth = 0.5 + dmax exp(-(d/sigma)^2), d = distance
    to the deepest line y = A sin(2 pi x / wavelength). The grid's CRS is the metric one rotated by
    ``grid_angle_deg`` and shifted by ``grid_offset`` (identity by default)."""
    from affine import Affine

    k = 2 * np.pi / wavelength
    xs = np.arange(-50.0, length + 50.0 + 1e-9, 0.25)
    true_full = LineString(np.column_stack([xs, amplitude * np.sin(k * xs)]))
    water = box(0.0, -width / 2, length, width / 2)
    th = np.deg2rad(grid_angle_deg)
    cs, sn = np.cos(th), np.sin(th)
    ox, oy = grid_offset

    def to_grid(x, y):
        x, y = np.asarray(x, float), np.asarray(y, float)
        return cs * x - sn * y + ox, sn * x + cs * y + oy

    def from_grid(gx, gy):
        gx, gy = np.asarray(gx, float) - ox, np.asarray(gy, float) - oy
        return cs * gx + sn * gy, -sn * gx + cs * gy

    water_grid = shapely.transform(water, lambda xy: np.column_stack(to_grid(xy[:, 0], xy[:, 1])))
    x0, y0, x1, y1 = water_grid.bounds
    x0, y1 = np.floor(x0 / cell) * cell - 2 * cell, np.ceil(y1 / cell) * cell + 2 * cell
    cols = int(np.ceil((x1 - x0) / cell)) + 2
    rows = int(np.ceil((y1 - y0) / cell)) + 2
    transform = Affine(cell, 0.0, x0, 0.0, -cell, y1)  # north-up, as rasterio.transform.from_origin
    cc, rr = np.meshgrid(np.arange(cols), np.arange(rows))
    gx = x0 + (cc + 0.5) * cell
    gy = y1 - (rr + 0.5) * cell
    mx, my = from_grid(gx.ravel(), gy.ravel())
    wet = shapely.contains_xy(water, mx, my)
    # distance to the deepest line: nearest of its vertices 0.25 m apart (error < 0.01 m at sigma scale)
    d, _ = cKDTree(shapely.get_coordinates(true_full)).query(np.column_stack([mx[wet], my[wet]]))
    depth = np.full(rows * cols, np.nan)
    depth[wet] = 0.5 + dmax * np.exp(-(d / sigma) ** 2)
    depth = depth.reshape(rows, cols)
    xa, xb = 100.0, length - 100.0
    start = Point(xa, amplitude * np.sin(k * xa))
    end = Point(xb, amplitude * np.sin(k * xb))
    xt = np.arange(xa, xb + 1e-9, 0.25)
    true = LineString(np.column_stack([xt, amplitude * np.sin(k * xt)]))
    return ThalwegCase(depth, transform, to_grid, from_grid, water_grid, water, true, start, end, cell)


# -------------------------------------------------------------------------------------- measures
def _dense_points(line: LineString, step: float) -> np.ndarray:
    return shapely.get_coordinates(shapely.segmentize(line, step))


def directed_hausdorff(a: LineString, b: LineString, step: float = 0.05) -> float:
    """max over a of the distance to b, both densified to ``step``: exact to within +-step/2."""
    d, _ = cKDTree(_dense_points(b, step)).query(_dense_points(a, step))
    return float(d.max())


def hausdorff(a: LineString, b: LineString, step: float = 0.05) -> float:
    return max(directed_hausdorff(a, b, step), directed_hausdorff(b, a, step))


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
ACCURACY: dict[str, dict[str, float]] = {}  # case -> measure -> metres; printed in pytest's terminal summary


def record(case: str, **measures: float) -> None:
    """Keep the worst value seen of each measure for ``case``."""
    m = ACCURACY.setdefault(case, {})
    for k, v in measures.items():
        m[k] = max(float(v), m.get(k, float("-inf")))


class _AccuracyReport:
    def pytest_terminal_summary(self, terminalreporter):
        if not ACCURACY:
            return
        keys = sorted({k for m in ACCURACY.values() for k in m})
        tr = terminalreporter
        tr.section("land_line accuracy (metres, worst per case)")
        tr.write_line(f"{'case':36s}" + "".join(f"{k:>24s}" for k in keys))
        for case, m in sorted(ACCURACY.items()):
            tr.write_line(f"{case:36s}" + "".join(f"{m[k]:>24.3f}" if k in m else f"{'-':>24s}" for k in keys))


def register_report(config) -> None:
    """Print ``ACCURACY`` in the terminal summary (once per session, whichever test module asks first)."""
    if not config.pluginmanager.has_plugin("land-line-accuracy"):
        config.pluginmanager.register(_AccuracyReport(), "land-line-accuracy")
