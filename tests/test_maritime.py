"""Stage 4 (maritime boundary) against fixtures whose answer is known exactly.

Two straight coasts meet at an apex O in the local metric CRS: side A's land lies on one side of a narrow
river coming from the north, side B's on the other, and the sea is the wedge between the two coasts. The
river's banks meet the coasts at the ends of the closing line, so each side's baseline (coast + its half of
the closing line, which runs to the land boundary's end M on the bisector) is, apart from the river mouth,
a straight line through O: the equidistance line is the bisector of the coasts from M, and it ends where its
distance to both coasts is 12 nautical miles, at R / sin(half the opening angle) from O.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import substring

from pipeline import maritime as mar
from pipeline.geodesy import local_tm_crs, to_lonlat
from pipeline.land_line import GeometryError

G = Geod(ellps="WGS84")
CRS = local_tm_crs(130.75, 42.3)
R = 22224.0                                  # 12 nautical miles
SIDES = ("A", "B")
FRAME = box(-40e3, -40e3, 40e3, 5e3)
OPTS = dict(radius=R, densify_m=10.0, quad_segs=256, check_points=50)


def unit(bearing: float) -> np.ndarray:
    r = np.radians(bearing)
    return np.array([np.sin(r), np.cos(r)])


@dataclass
class Wedge:
    land: dict
    river: Polygon
    closing: LineString
    land_end: Point
    coast_dir: dict          # side -> unit vector of the coast from O
    coast_start: dict        # side -> where the coast leaves the river mouth
    bisector: np.ndarray     # unit vector, seaward
    half_angle: float        # degrees

    @property
    def end(self) -> Point:
        """The exact end of the equidistance line (planar)."""
        return Point(R / np.sin(np.radians(self.half_angle)) * self.bisector)


def wedge(bearing_a: float, bearing_b: float, river_width: float, far: float = 200e3) -> Wedge:
    """Coast A from O on grid bearing ``bearing_a`` (land A to its north-west), coast B on ``bearing_b``
    (land B to its north-east), a river ``river_width`` wide between them from the north."""
    ua, ub = unit(bearing_a), unit(bearing_b)
    w = river_width / 2.0
    pa, pb = ua * w / abs(ua[0]), ub * w / abs(ub[0])   # where the banks x = -+w meet the coasts
    river = Polygon([pa, (-w, far), (w, far), pb]).intersection(FRAME)
    land = {"A": Polygon([pa, pa + far * ua, (-2 * far, 2 * far), (-w, far)]).intersection(FRAME),
            "B": Polygon([pb, (w, far), (2 * far, 2 * far), pb + far * ub]).intersection(FRAME)}
    closing = LineString([pa, pb])
    bis = unit((bearing_a + bearing_b) / 2.0)
    land_end = closing.intersection(LineString([(0.0, 0.0), 1e3 * bis]))   # the bisector through O
    return Wedge(land, river, closing, land_end, {"A": ua, "B": ub}, {"A": pa, "B": pb}, bis,
                 abs(bearing_a - bearing_b) / 2.0)


def geo_dist_to_coast(pt: Point, wd: Wedge, side: str) -> float:
    """Brute force: geodesic distance from ``pt`` (metric) to coast ``side`` (from the river mouth to the
    frame), sampled every 1 cm around the planar nearest point."""
    u, p0 = wd.coast_dir[side], wd.coast_start[side]
    t_max = LineString([p0, p0 + 100e3 * u]).intersection(FRAME).length
    t0 = float(np.clip(np.dot(np.array(pt.coords[0]) - p0, u), 0.0, t_max))
    t = np.clip(np.arange(t0 - 50.0, t0 + 50.0, 0.01), 0.0, t_max)
    q = shapely.get_coordinates(to_lonlat(shapely.MultiPoint(p0 + t[:, None] * u), CRS))
    ll = to_lonlat(pt, CRS)
    return float(G.inv(np.full(len(q), ll.x), np.full(len(q), ll.y), q[:, 0], q[:, 1])[2].min())


def signed_offset(xy: np.ndarray, wd: Wedge) -> np.ndarray:
    """Signed distance from the bisector through O (positive on B's side)."""
    n = np.array([-wd.bisector[1], wd.bisector[0]])        # left normal of the seaward bisector = side B
    return xy @ n


SYMMETRIC = (230.0, 130.0, 20.0)      # opening angle 100 deg, bisector due south (on the central meridian)
ASYMMETRIC = (240.0, 100.0, 2.0)      # coasts 60 and 80 deg either side of south: bisector on bearing 170


@pytest.fixture(scope="module", params=[SYMMETRIC, ASYMMETRIC], ids=["symmetric-100deg", "asymmetric-60-80deg"])
def case(request):
    wd = wedge(*request.param)
    bl = mar.baselines(wd.land, wd.river, FRAME, wd.closing, wd.land_end, SIDES, 1.0)
    res = mar.maritime_boundary(bl, SIDES, wd.land_end, CRS, method="equidistance", **OPTS)
    return wd, bl, res


@pytest.fixture(scope="module")
def sym():
    wd = wedge(*SYMMETRIC)
    return wd, mar.baselines(wd.land, wd.river, FRAME, wd.closing, wd.land_end, SIDES, 1.0)


# ----------------------------------------------------------------------------------------- baselines
def test_baselines(sym):
    wd, bl = sym
    for s in SIDES:
        # the coast runs from the river mouth to the frame; the baseline adds the half closing line to M
        far_end = LineString([wd.coast_start[s], wd.coast_start[s] + 100e3 * wd.coast_dir[s]]).intersection(FRAME)
        assert bl.coast[s].hausdorff_distance(far_end) < 1.5           # <= snap_m of bank/frame edge kept
        assert bl.baseline[s].distance(wd.land_end) < 1e-9
        assert bl.baseline[s].distance(Point(wd.coast_start[s])) < 1e-9
    assert not bl.sea.intersects(wd.land["A"].buffer(-0.01)) and not bl.sea.intersects(wd.river.buffer(-0.01))


def test_no_coastline_is_an_error():
    wd = wedge(*SYMMETRIC)
    land = dict(wd.land, B=box(50e3, 0.0, 60e3, 4e3))            # outside the coast data set's frame
    with pytest.raises(GeometryError, match="B has no coastline"):
        mar.baselines(land, wd.river, FRAME, wd.closing, wd.land_end, SIDES, 1.0)


# ---------------------------------------------------------------------------------------- equidistance
def test_equidistance_is_the_bisector(case):
    wd, bl, res = case
    exact = LineString([wd.land_end, wd.end])
    assert res.method == "equidistance"
    assert res.line.coords[0] == wd.land_end.coords[0]
    assert shapely.hausdorff_distance(res.line, exact, densify=0.001) < 1.0
    assert res.end.distance(wd.end) < 1.0
    # start_gap_m: land boundary's end -> the raw Voronoi median line, at most half the 1 m densification
    assert res.start_gap_m == pytest.approx(mar._median_ridges(bl, SIDES, wd.land_end, R, 10.0).distance(wd.land_end))
    assert 0.0 <= res.start_gap_m < 0.5
    assert res.equidistance_error_m is not None and res.equidistance_error_m < 1.0


def test_median_line_leaves_the_land_end_on_the_bisector(sym):
    """Regression: the land boundary's end is on both baselines; it used to seed a Voronoi cell of one side
    only, which put the median line 0.5 m (half the 1 m densification) off the bisector at the mouth."""
    wd, bl = sym
    raw = mar.equidistance_line(bl, SIDES, wd.land_end, R, 10.0)
    near = shapely.get_coordinates(substring(raw, 0.0, 2000.0))
    assert np.max(np.abs(near[:, 0])) < 0.1                   # x = 0 is the bisector


def test_equidistance_end_is_at_12nm(case):
    wd, bl, res = case
    for s in SIDES:
        assert abs(res.end_distance_m[s] - R) < 1.0
        assert abs(geo_dist_to_coast(res.end, wd, s) - R) < 1.0        # independent brute force


def test_territorial_limits(case):
    wd, bl, res = case
    for s in SIDES:
        assert res.limit_error_m[s] < 1.0
        assert res.limits[s].distance(res.end) < 1.0                   # the two limits meet at the line's end
        xy = shapely.get_coordinates(res.limits[s])
        off = signed_offset(xy - np.array(wd.land_end.coords[0]), wd)
        assert np.all(off * (1 if s == "B" else -1) > -1.0)           # each limit on its own side
        assert bl.sea.buffer(1e-6).contains(res.limits[s])
    # independent check of a few limit points against the coast
    for s in SIDES:
        g = shapely.get_parts(res.limits[s])[0]
        for f in (0.1, 0.5, 0.9):
            assert abs(geo_dist_to_coast(g.interpolate(f, normalized=True), wd, s) - R) < 1.0


def test_equidistance_line_function(sym):
    wd, bl = sym
    raw = mar.equidistance_line(bl, SIDES, wd.land_end, R, 10.0)
    assert raw.coords[0] == wd.land_end.coords[0]
    cut = mar.cut_at_radius(raw, bl, SIDES, CRS, R)
    assert Point(cut.coords[-1]).distance(wd.end) < 1.0
    assert raw.length > cut.length


def test_frame_too_small_for_12nm():
    wd = wedge(*SYMMETRIC)
    small = box(-15e3, -15e3, 15e3, 5e3)
    land = {k: v.intersection(small) for k, v in wd.land.items()}
    bl = mar.baselines(land, wd.river.intersection(small), small, wd.closing, wd.land_end, SIDES, 1.0)
    with pytest.raises(GeometryError, match="leaves the data extent"):
        mar.maritime_boundary(bl, SIDES, wd.land_end, CRS, method="equidistance", **OPTS)


# ------------------------------------------------------------------------------- azimuth and endpoint
def test_azimuth_method(sym):
    wd, bl = sym
    az = 170.0
    res = mar.maritime_boundary(bl, SIDES, wd.land_end, CRS, method="azimuth", azimuth_deg=az, **OPTS)
    start = to_lonlat(wd.land_end, CRS)
    assert res.line.coords[0] == pytest.approx(wd.land_end.coords[0], abs=1e-6)
    assert res.equidistance_error_m is None and res.start_gap_m == 0.0
    # a geodesic on the requested azimuth: every vertex, the end included
    ll = np.array(to_lonlat(res.line, CRS).coords)[1:]
    fwd = G.inv(np.full(len(ll), start.x), np.full(len(ll), start.y), ll[:, 0], ll[:, 1])[0]
    assert np.max(np.abs((fwd - az + 180.0) % 360.0 - 180.0)) < 0.01
    # ... ending on the 12-nm limit of the nearer coast (B: the line leans 10 deg towards it)
    assert abs(min(res.end_distance_m.values()) - R) < 1.0
    assert abs(res.end_distance_m["B"] - R) < 1.0 and res.end_distance_m["A"] > R + 100.0
    assert abs(geo_dist_to_coast(res.end, wd, "B") - R) < 1.0
    assert res.limits["B"].distance(res.end) < 1.0


def test_endpoint_method(sym):
    wd, bl = sym
    start = to_lonlat(wd.land_end, CRS)
    elon, elat, _ = G.fwd(start.x, start.y, 185.0, 20000.0)
    res = mar.maritime_boundary(bl, SIDES, wd.land_end, CRS, method="endpoint", end_lonlat=(elon, elat), **OPTS)
    ll = np.array(to_lonlat(res.line, CRS).coords)
    assert G.inv(*ll[-1], elon, elat)[2] < 1e-3 and G.inv(*ll[0], start.x, start.y)[2] < 1e-3
    fwd = G.inv(np.full(len(ll) - 1, start.x), np.full(len(ll) - 1, start.y), ll[1:, 0], ll[1:, 1])[0]
    assert np.max(np.abs((fwd - 185.0 + 180.0) % 360.0 - 180.0)) < 0.01
    assert abs(G.line_length(ll[:, 0], ll[:, 1]) - 20000.0) < 0.1


def test_method_arguments_are_checked(sym):
    wd, bl = sym
    for kw, msg in ((dict(method="azimuth"), "azimuth_deg"), (dict(method="endpoint"), "end_lonlat"),
                    (dict(method="median"), "unknown maritime method")):
        with pytest.raises(ValueError, match=msg):
            mar.maritime_boundary(bl, SIDES, wd.land_end, CRS, **kw, **OPTS)


# ------------------------------------------------------------------------------------ compare, shared_edge
def test_compare_parallel_lines():
    line = LineString([(-2500.0, 0.0), (2500.0, 0.0)])
    ref = LineString([(-2500.0, 100.0), (2500.0, 100.0)])
    c = mar.compare(line, ref, CRS)
    assert c.hausdorff_m == pytest.approx(100.0, abs=1e-6)
    assert c.mean_m == pytest.approx(100.0, abs=1e-6)
    assert c.end_distance_m == pytest.approx(100.0, abs=0.01)        # geodesic; scale error ~1e-7 here


def test_compare_hausdorff_sees_the_longer_reference():
    line = LineString([(0.0, 0.0), (1000.0, 0.0)])
    ref = LineString([(0.0, 0.0), (1300.0, 0.0)])
    c = mar.compare(line, ref, CRS)
    assert c.hausdorff_m == pytest.approx(300.0, abs=1e-6) and c.mean_m == pytest.approx(0.0, abs=1e-9)
    assert c.end_distance_m == pytest.approx(300.0, abs=0.01)


def test_shared_edge():
    a, b = box(0.0, 0.0, 1000.0, 1000.0), box(1000.0, -500.0, 2000.0, 600.0)
    e = mar.shared_edge(a, b, 1.0)
    # the common edge x = 1000, 0 <= y <= 600, give or take snap_m at each end (a's boundary within
    # snap_m of b: a 1 m spur along a's bottom edge, and 1 m more up the edge)
    assert 600.0 <= e.length <= 600.0 + 2 * 1.0 + 1e-9
    assert e.hausdorff_distance(LineString([(1000.0, 0.0), (1000.0, 600.0)])) <= 1.0 + 1e-9
    with pytest.raises(GeometryError, match="share no border"):
        mar.shared_edge(a, box(1100.0, 0.0, 2000.0, 1000.0), 1.0)
