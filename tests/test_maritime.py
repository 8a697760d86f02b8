"""Stage 4 (maritime boundary) against fixtures whose answer is known exactly (see tests/fixtures.py, "Sea").

Wedge: two straight coasts meet at an apex O; the left state's land (east, the left bank looking downstream)
and the right state's (west) lie on either side of a narrow river coming from the north, the sea is the wedge
between the coasts. Each side's baseline (coast + its half of the closing line, up to where the channel line
meets it, M, on the bisector) is, apart from the river mouth, a straight line through O: the equidistance
line is the bisector from M, and it ends where its distance to both coasts is 12 nautical miles, at
R / sin(half the opening angle) from O. A straight coast (the equidistance line is the perpendicular, ending
at R) and a coast with a headland (the perpendicular, then a parabola) have exact answers too; the data extent
ends 30 km offshore. The agreed line is checked with geographiclib on the treaty points B and E themselves,
the areas between it and the equidistance line against the triangle they enclose in the wedge.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest
import shapely
from scipy.optimize import minimize_scalar
from shapely.geometry import LineString, Point, box
from shapely.ops import substring

import fixtures as F
from pipeline import geometry
from pipeline import maritime as mar
from pipeline.config import MaritimeCfg
from pipeline.errors import GeometryError
from pipeline.model import AgreedSpec

GEO = F.geodesy()
METRIC = GEO.metric
R = F.NM12                                   # 12 nautical miles = 22,224 m
LEFT, RIGHT = F.SIDES                        # left (east) and right (west) state
SIDES = F.SIDES
LINE_DENSIFY_M = 100.0
MAR_KW = dict(coast_densify_m=10.0, mouth_densify_m=1.0, mouth_densify_radius_m=1000.0, search_radius_factor=3.0,
              buffer_quad_segs=256, line_densify_m=LINE_DENSIFY_M, limit_check_points=50)
assert MaritimeCfg().breadth_m == R

SYMMETRIC = (130.0, 230.0, 20.0)     # opening angle 100 deg, bisector due south (on the central meridian)
ASYMMETRIC = (100.0, 240.0, 2.0)     # coasts 80 and 60 deg either side of south: bisector on bearing 170


@pytest.fixture(scope="module", autouse=True)
def _accuracy_report(request):
    F.register_report(request.config)


def record(case: str, **measures: float) -> None:
    F.record(case, table="maritime", **measures)


def run(sea: F.Sea, *, method: str = "equidistance", end_ll=None, junction: Point | None = None, **kw):
    settings = MaritimeCfg(method=method, **dict(MAR_KW, **kw))
    return mar.maritime_boundary(land=sea.land, water=sea.water, frame=sea.frame, closing_line=sea.closing,
                                 crossing=sea.mouth, junction=sea.mouth if junction is None else junction,
                                 junction_id="B", agreed=AgreedSpec((("E", end_ll),) if end_ll is not None else ()),
                                 sides=SIDES, geo=GEO, settings=settings, snap_m=1.0)


def baselines_of(sea: F.Sea):
    return mar.baselines(land=sea.land, water=sea.water, frame=sea.frame, closing_line=sea.closing,
                         crossing=sea.mouth, sides=SIDES, snap_m=1.0)


def lonlat(p) -> tuple[float, float]:
    (lon, lat), = F.to_lonlat(np.asarray(Point(p).coords), METRIC)
    return float(lon), float(lat)


def metric(ll) -> Point:
    return Point(F.to_metric([ll], METRIC)[0])


def geo_dist_to_baseline(p, sea: F.Sea, side: str) -> float:
    """Brute force (geographiclib): geodesic distance from ``p`` (metric) to the exact baseline of ``side``."""
    return F.brute_nearest(sea.baseline(side), *lonlat(p), METRIC).distance_m


def signed_offset(xy: np.ndarray, sea: F.Sea) -> np.ndarray:
    """Signed distance from the bisector through O, positive on the left (east) side looking seaward."""
    bis = sea.info["bisector"]
    return np.atleast_2d(xy) @ np.array([-bis[1], bis[0]])


@functools.lru_cache(maxsize=None)
def wedge(which: tuple) -> F.Sea:
    return F.wedge(*which)


@functools.lru_cache(maxsize=None)
def solved(which: tuple):
    return run(wedge(which))


@pytest.fixture(scope="module", params=[SYMMETRIC, ASYMMETRIC], ids=["symmetric-100deg", "asymmetric-80-60deg"])
def case(request):
    sea = wedge(request.param)
    return sea, baselines_of(sea), solved(request.param)


# ----------------------------------------------------------------------------------------- baselines
def test_baselines():
    sea = wedge(SYMMETRIC)
    bl = baselines_of(sea)
    for s in SIDES:
        # the coast runs from the river mouth to the frame; the baseline adds the half closing line to M
        assert bl.coast[s].hausdorff_distance(sea.coast[s]) < 1.5          # <= snap_m of bank/frame edge kept
        assert bl.baseline[s].distance(sea.mouth) < 1e-9
        assert bl.baseline[s].distance(Point(sea.coast[s].coords[0])) < 1e-9
    assert not bl.sea.intersects(sea.land[LEFT].buffer(-0.01)) and not bl.sea.intersects(sea.water.buffer(-0.01))


def test_no_coastline_is_an_error():
    sea = wedge(SYMMETRIC)
    land = dict(sea.land, **{RIGHT: box(50e3, 0.0, 60e3, 4e3)})            # outside the coast data set's frame
    with pytest.raises(GeometryError, match=f"{RIGHT} has no coastline") as e:
        mar.baselines(land=land, water=sea.water, frame=sea.frame, closing_line=sea.closing, crossing=sea.mouth,
                      sides=SIDES, snap_m=1.0)
    assert e.value.role == "coast"


# ---------------------------------------------------------------------------------------- equidistance
def test_equidistance_is_the_bisector(case):
    sea, bl, res = case
    assert res.method == "equidistance" and res.boundary.equals_exact(res.equidistance, 0.0)
    assert res.equidistance.coords[0] == sea.mouth.coords[0]
    h = shapely.hausdorff_distance(res.equidistance, sea.equidistance, densify=0.001)   # straight: exact
    end = Point(res.equidistance.coords[-1]).distance(sea.end)
    record(sea.name, equidistance_hausdorff_m=h, end_m=end, start_gap_m=res.equidistance_start_gap_m,
           equidistance_error_m=res.equidistance_error_m)
    assert h < 1.0
    assert end < 1.0
    # start gap: M -> the raw Voronoi median line, at most half the 1 m densification near the mouth
    assert 0.0 <= res.equidistance_start_gap_m < 0.5
    assert res.equidistance_error_m < 1.0
    assert res.agreed is None and res.rhumb is None and res.areas == ()


def test_median_line_leaves_the_mouth_on_the_bisector():
    """Regression: the land boundary's end is on both baselines; it used to seed a Voronoi cell of one side
    only, which put the median line 0.5 m (half the 1 m densification) off the bisector at the mouth."""
    sea = wedge(SYMMETRIC)
    raw = mar.median_line(base=baselines_of(sea), sides=SIDES, start=sea.mouth, reach_m=3 * R, step_m=10.0,
                          fine_step_m=1.0, fine_radius_m=1000.0)
    near = shapely.get_coordinates(substring(mar.from_start(raw, sea.mouth), 0.0, 2000.0))
    assert np.max(np.abs(near[:, 0])) < 0.1                   # x = 0 is the bisector
    assert raw.distance(sea.mouth) < 0.5


def test_equidistance_end_is_at_12nm(case):
    sea, bl, res = case
    end = Point(res.equidistance.coords[-1])
    for s in SIDES:
        brute = geo_dist_to_baseline(end, sea, s)                         # independent brute force
        record(sea.name, end_distance_error_m=abs(brute - R))
        assert abs(res.end_distance_m[s] - R) < 1.0
        assert abs(brute - R) < 1.0
        assert abs(res.end_distance_m[s] - brute) < 1e-3                   # the same figure, two ways


def test_territorial_limits(case):
    sea, bl, res = case
    end = Point(res.equidistance.coords[-1])
    for s in SIDES:
        assert res.limit_error_m[s] < 1.0
        assert res.limits[s].distance(end) < 1.0                     # the two limits meet at the line's end
        off = signed_offset(shapely.get_coordinates(res.limits[s]) - np.asarray(sea.mouth.coords[0]), sea)
        assert np.all(off * (1 if s == LEFT else -1) > -1.0)           # each limit on its own side
        assert bl.sea.buffer(1e-6).contains(res.limits[s])
        # independent check of a few limit points against the exact baseline
        g = max(shapely.get_parts(res.limits[s]), key=lambda p: p.length)
        for f in (0.1, 0.5, 0.9):
            err = abs(geo_dist_to_baseline(g.interpolate(f, normalized=True), sea, s) - R)
            record(sea.name, limit_error_m=err)
            assert err < 1.0


def test_cut_at_breadth():
    sea = wedge(SYMMETRIC)
    bl = baselines_of(sea)
    raw = mar.from_start(mar.median_line(base=bl, sides=SIDES, start=sea.mouth, reach_m=3 * R, step_m=10.0,
                                         fine_step_m=1.0, fine_radius_m=1000.0), sea.mouth)
    index = {s: geometry.Segments(bl.baseline[s]) for s in SIDES}
    cut = mar.cut_at_breadth(raw, index=index, geo=GEO, breadth_m=R)
    assert cut.coords[0] == sea.mouth.coords[0]
    assert Point(cut.coords[-1]).distance(sea.end) < 1.0 and raw.length > cut.length
    d = mar.nearer_distance(np.asarray(cut.coords[-1:]), index, GEO)[0]
    assert abs(d - R) < 1e-3
    assert abs(geo_dist_to_baseline(Point(cut.coords[-1]), sea, LEFT) - R) < 1e-3


def test_frame_too_small_for_12nm():
    sea = wedge(SYMMETRIC)
    small = box(-15e3, -15e3, 15e3, 5e3)
    clipped = F.Sea(sea.name, {k: v.intersection(small) for k, v in sea.land.items()}, sea.water.intersection(small),
                    small, sea.closing, sea.mouth, sea.coast, sea.equidistance, sea.info)
    with pytest.raises(GeometryError, match="leaves the coast data's extent") as e:
        run(clipped)
    assert e.value.role == "coast"


# ------------------------------------------------------------------------------- straight coast, headland
@functools.lru_cache(maxsize=None)
def straight_solved():
    sea = F.straight_coast()
    return sea, run(sea)


def test_straight_coast_equidistance_is_the_perpendicular():
    """Regression: exactly collinear coast points (Qhull cannot build their Voronoi diagram) with the data
    extent ending 30 km offshore gave "no equidistance line between the two coasts was found". The line is the
    perpendicular x = 0 and ends 22,224 m from the coast (on the central meridian: geographiclib's distance
    from the mouth)."""
    sea, res = straight_solved()
    xy = np.asarray(res.equidistance.coords)
    end = Point(xy[-1])
    end_ll = lonlat(end)
    d_mouth = F.gl_distance(*end_ll, *lonlat(sea.mouth))
    record(sea.name, equidistance_hausdorff_m=np.abs(xy[:, 0]).max(), end_m=end.distance(sea.end),
           end_distance_error_m=abs(d_mouth - R), equidistance_error_m=res.equidistance_error_m)
    assert np.hypot(*xy[0]) < 1e-6
    assert np.abs(xy[:, 0]).max() < 0.01
    assert end.distance(sea.end) < 0.01
    assert abs(d_mouth - R) < 0.01                            # the mouth is the nearest point of either baseline
    for s in SIDES:
        assert abs(res.end_distance_m[s] - R) < 0.01
        assert abs(geo_dist_to_baseline(end, sea, s) - R) < 0.01
        assert res.limit_error_m[s] < 1.0
        lim = shapely.get_coordinates(res.limits[s])
        assert np.all(lim[:, 0] * (1 if s == LEFT else -1) > -1e-3)        # each limit on its own side of x = 0


def test_straight_coast_agreed_line_on_the_perpendicular():
    """The agreed line from the mouth to the equidistance line's end: it meets both limits there, and encloses
    no area with the equidistance line."""
    sea, eq = straight_solved()
    e_ll = lonlat(Point(eq.equidistance.coords[-1]))
    res = run(sea, method="treaty", end_ll=e_ll)
    assert res.boundary.equals_exact(res.agreed, 0.0) and res.boundary.coords[0] == (0.0, 0.0)
    assert shapely.hausdorff_distance(res.agreed, eq.equidistance) < 0.01
    for s in SIDES:
        assert res.limit_crossings[s] is not None and res.limit_crossings[s].distance(sea.end) < 1.0
    assert sum(a.area_km2 for a in res.areas) < 1e-3


@functools.lru_cache(maxsize=None)
def headland_solved():
    sea = F.headland_coast()
    return sea, run(sea)


def test_headland_coast_equidistance():
    """A headland on the left side: the line runs down x = 0 until the headland's tip is nearer than the mouth,
    then along the parabola equidistant from the tip and the right coast, to the right side's 12-nm limit."""
    sea, res = headland_solved()
    h = F.vertex_hausdorff(res.equidistance, sea.equidistance)
    end = Point(res.equidistance.coords[-1])
    tip = Point(sea.info["tip"])
    d_tip = F.gl_distance(*lonlat(end), *lonlat(tip))
    record(sea.name, equidistance_hausdorff_m=h, end_m=end.distance(sea.end), end_distance_error_m=abs(d_tip - R),
           equidistance_error_m=res.equidistance_error_m)
    assert h < 1.0
    assert end.distance(sea.end) < 1.0
    assert abs(d_tip - R) < 0.1                                # the end is 12 nm from the tip ...
    assert abs(geo_dist_to_baseline(end, sea, RIGHT) - R) < 0.1   # ... and from the right coast
    assert abs(geo_dist_to_baseline(end, sea, LEFT) - d_tip) < 1e-3
    assert res.equidistance_error_m < 1.0
    # where the line leaves x = 0: depth y1 = (a^2 + b^2) / (2 b)
    xy = np.asarray(res.equidistance.coords)
    leaves = -xy[np.flatnonzero(np.abs(xy[:, 0]) > 1.0)[0], 1]
    assert abs(leaves - sea.info["y1"]) < 100.0


# --------------------------------------------------------------------------------------- the agreed line
def line_lonlat(line: LineString) -> np.ndarray:
    return F.to_lonlat(np.asarray(line.coords), METRIC)


def check_on_geodesic(ll: np.ndarray, start: tuple[float, float], azi1: float) -> float:
    """Worst distance (m) of the vertices ``ll`` from the geodesic leaving ``start`` on ``azi1`` (geographiclib)."""
    gline = F.GL.Line(start[1], start[0], azi1)
    worst = 0.0
    for lon, lat in ll:
        p = gline.Position(F.gl_distance(*start, lon, lat))
        worst = max(worst, F.gl_distance(lon, lat, p["lon2"], p["lat2"]))
    return worst


def agreed(b, e) -> LineString:
    """The agreed line B -> E as the pipeline draws it (one geodesic segment from B's metric point)."""
    start = Point(GEO.lonlat_to_metric(np.array([b]))[0])
    line, _ = mar.agreed_line(start=("B", start), points=[("E", e)], kinds=[], geo=GEO, step_m=LINE_DENSIFY_M)
    return line


def test_geodesic_line_between_the_treaty_points():
    """maritime.agreed_line B -> E (one geodesic segment): geodesic length and initial azimuth as geographiclib's inverse solution
    (1 mm, 1e-6 deg), every vertex on the geodesic, vertices at most line_densify_m apart."""
    b, e = F.treaty_points_wgs84()["B"], F.treaty_points_wgs84()["E"]
    inv = F.GL.Inverse(b[1], b[0], e[1], e[0])
    line = agreed(b, e)
    ll = line_lonlat(line)
    steps = np.array([F.gl_distance(*p, *q) for p, q in zip(ll[:-1], ll[1:])])
    length = float(steps.sum())
    azimuth = F.gl_inverse(*ll[0], *ll[1])[1]
    off = check_on_geodesic(ll, b, inv["azi1"])
    record("agreed line B-E", length_error_m=abs(length - inv["s12"]),
           azimuth_error_deg=F.angle_diff(azimuth, inv["azi1"]), off_geodesic_m=off)
    assert F.gl_distance(*ll[0], *b) < 1e-3 and F.gl_distance(*ll[-1], *e) < 1e-3
    assert abs(length - inv["s12"]) < 1e-3
    assert F.angle_diff(azimuth, inv["azi1"]) < 1e-6
    assert off < 1e-3
    assert steps.max() <= LINE_DENSIFY_M + 1e-6
    assert 22_000.0 < inv["s12"] < 22_200.0 and 135.0 < inv["azi1"] < 137.0      # the official 22.1 km, SE


def test_extended_continues_the_geodesic():
    b, e = F.treaty_points_wgs84()["B"], F.treaty_points_wgs84()["E"]
    inv = F.GL.Inverse(b[1], b[0], e[1], e[0])
    line = agreed(b, e)
    more = mar.extended(line, geo=GEO, length_m=R / 4, step_m=LINE_DENSIFY_M)
    ll = line_lonlat(more)
    assert np.array_equal(np.asarray(more.coords)[:len(line.coords)], np.asarray(line.coords))
    assert check_on_geodesic(ll, b, inv["azi1"]) < 1e-3
    assert F.gl_distance(*b, *ll[-1]) == pytest.approx(inv["s12"] + R / 4, abs=1e-3)
    steps = [F.gl_distance(*p, *q) for p, q in zip(ll[:-1], ll[1:])]
    assert max(steps) <= LINE_DENSIFY_M + 1e-6


def distance_to_geodesic(lon: float, lat: float, gline, length: float) -> float:
    """Geodesic distance from (lon, lat) to the geodesic segment ``gline`` [0, length] (bounded Brent)."""
    def f(s):
        p = gline.Position(s)
        return F.gl_distance(lon, lat, p["lon2"], p["lat2"])
    r = minimize_scalar(f, bounds=(0.0, length), method="bounded", options=dict(xatol=1e-4))
    return float(r.fun)


@functools.lru_cache(maxsize=None)
def treaty_on_straight_coast():
    """The treaty method with junction B and end point E, on the straight coast (B lies 0.8 km off it)."""
    b, e = F.treaty_points_wgs84()["B"], F.treaty_points_wgs84()["E"]
    return run(F.straight_coast(), method="treaty", end_ll=e, junction=metric(b))


def test_agreed_line_in_maritime_boundary():
    b, e = F.treaty_points_wgs84()["B"], F.treaty_points_wgs84()["E"]
    res = treaty_on_straight_coast()
    inv = F.GL.Inverse(b[1], b[0], e[1], e[0])
    ll = line_lonlat(res.boundary)
    assert res.boundary is res.agreed and res.boundary.coords[0] == metric(b).coords[0]
    assert F.gl_distance(*ll[-1], *e) < 1e-3
    assert check_on_geodesic(ll, b, inv["azi1"]) < 1e-3
    assert sum(F.gl_distance(*p, *q) for p, q in zip(ll[:-1], ll[1:])) == pytest.approx(inv["s12"], abs=1e-3)


def test_rhumb_separation_against_independent_computation():
    """The rhumb line B -> E (by its formulas: longitude linear in isometric latitude) is at most ~4 m from the
    geodesic; its largest separation (geographiclib distances to the geodesic, maximised by Brent) is the
    pipeline's figure within 1 mm."""
    b, e = F.treaty_points_wgs84()["B"], F.treaty_points_wgs84()["E"]
    res = treaty_on_straight_coast()
    inv = F.GL.Inverse(b[1], b[0], e[1], e[0])
    gline = F.GL.Line(b[1], b[0], inv["azi1"])

    def sep(f):
        (lon, lat), = F.rhumb_point(b, e, [f])
        return distance_to_geodesic(lon, lat, gline, inv["s12"])

    fs = np.linspace(0.0, 1.0, 41)
    k = int(np.argmax([sep(f) for f in fs]))
    r = minimize_scalar(lambda f: -sep(f), bounds=(fs[max(k - 1, 0)], fs[min(k + 1, 40)]), method="bounded",
                        options=dict(xatol=1e-6))
    expected = -float(r.fun)
    record("rhumb vs geodesic B-E", separation_error_m=abs(res.rhumb_separation_m - expected))
    assert 1.0 < expected < 10.0
    assert res.rhumb_separation_m == pytest.approx(expected, abs=1e-3)
    # the rhumb line itself: B to E, every vertex on the loxodrome
    rl = line_lonlat(res.rhumb)
    assert F.gl_distance(*rl[0], *b) < 1e-3 and F.gl_distance(*rl[-1], *e) < 1e-3
    course = F.rhumb_course(b, e)
    assert max(F.angle_diff(F.rhumb_course(b, tuple(p)), course) for p in rl[1:]) < 1e-6


# ------------------------------------------------------------------------------------- agreed line on a wedge
@pytest.mark.parametrize("azimuth, side_agreed, side_eq", [(170.0, RIGHT, LEFT), (190.0, LEFT, RIGHT)])
def test_areas_between_agreed_and_equidistance_lines(azimuth, side_agreed, side_eq):
    """The agreed line leaves M 10 deg east (west) of the bisector for 28 km; the equidistance line is the
    bisector to Q, R / sin 50 deg from O. Between them lies the triangle M E Q: area 1/2 |ME| |MQ| sin 10 deg.
    East of the bisector is the left state's under equidistance; west of the agreed line the right state's."""
    sea = wedge(SYMMETRIC)
    me = 28_000.0
    r = F.GL.Direct(*lonlat(sea.mouth)[::-1], azimuth, me)
    res = run(sea, method="treaty", end_ll=(r["lon2"], r["lat2"]))
    mq = sea.end.distance(sea.mouth)
    expected = 0.5 * me * mq * np.sin(np.radians(10.0)) / 1e6
    total = sum(a.area_km2 for a in res.areas)
    big = res.areas[0]
    record(f"areas, agreed line at {azimuth:g} deg", area_rel_error=abs(total / expected - 1))
    assert total == pytest.approx(expected, rel=0.005)
    assert big.area_km2 > 0.999 * total                         # one triangle (and at most slivers)
    assert (big.side_agreed, big.side_equidistance) == (side_agreed, side_eq)
    assert res.equidistance.equals_exact(solved(SYMMETRIC).equidistance, 1e-6)
    # the agreed line is the geodesic M -> E; it crosses each limit where that limit is 12 nm from its baseline
    assert check_on_geodesic(line_lonlat(res.agreed), lonlat(sea.mouth), azimuth) < 1e-3
    for s in SIDES:
        x = res.limit_crossings[s]
        if x is not None:
            assert mar.extended(res.agreed, geo=GEO, length_m=R / 4, step_m=LINE_DENSIFY_M).distance(x) < 1e-6
            assert abs(geo_dist_to_baseline(x, sea, s) - R) < 1.0
    # each limit on its own side of the agreed line continued seaward (the left state's east of it)
    divider = mar.extended(res.agreed, geo=GEO, length_m=R, step_m=LINE_DENSIFY_M)
    for s in SIDES:
        pts = shapely.get_coordinates(shapely.segmentize(res.limits[s], 500.0))
        assert len(pts) > 10
        side = geometry.side_of_line(pts, divider)
        assert np.all(side[divider.distance(shapely.points(pts)) > 1.0] == (1 if s == LEFT else -1))
