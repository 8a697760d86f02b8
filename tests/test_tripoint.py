"""Stage 3 (tripoint) against fixtures whose answer is known exactly.

The middle line is a WGS-84 geodesic (or a smooth sinuous curve) in the local metric CRS; the monument is put
at a known geodesic distance on the perpendicular through a chosen foot P, so the tripoint must be P.
"""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point

from pipeline.geodesy import local_tm_crs, to_lonlat, to_metric
from pipeline.land_line import GeometryError
from pipeline.tripoint import PULKOVO_1942, geodesic_foot, locate_tripoint, to_pulkovo

G = Geod(ellps="WGS84")
CRS = local_tm_crs(130.65, 42.40)
A = (130.635, 42.392)                      # start of the geodesic middle line
AZ0 = G.inv(*A, 130.665, 42.408)[0]        # its initial azimuth (~55 deg)
LENGTH = 3000.0
FOOT = 1234.5                               # station of the known foot, metres along the geodesic
OFFSET = 250.0


def mon(mid: str, lon: float, lat: float) -> tuple[str, str, str, float, float]:
    return (mid, f"sign {mid}", "WGS84", float(lon), float(lat))


def geo_dist(lon1, lat1, lon2, lat2) -> float:
    return float(G.inv(lon1, lat1, lon2, lat2)[2])


def angle_diff(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@pytest.fixture(scope="module")
def geodesic_line() -> LineString:
    """A 3 km geodesic densified every ~5 m (Geod.npts), in the local metric CRS."""
    b = G.fwd(*A, AZ0, LENGTH)[:2]
    pts = [A, *G.npts(*A, *b, int(LENGTH / 5.0) - 1), b]
    return to_metric(LineString(pts), CRS)


def sine(x):
    return 60.0 * np.sin(2 * np.pi * np.asarray(x) / 900.0)


@pytest.fixture(scope="module")
def sinuous_line() -> LineString:
    """y = 60 sin(2 pi x / 900) over 3 km (radius of curvature >= 342 m), vertices every 0.1 m.

    Seen from the concave side of a bend a polyline's nearest point is mid-chord, not at a vertex: vertices
    every 0.1 m keep that below 0.05 m (with vertices every 1 m it is up to 0.5 m)."""
    x = np.linspace(-1500.0, 1500.0, 30001)
    return LineString(np.column_stack([x, sine(x)]))


def test_straight_geodesic_line(geodesic_line):
    plon, plat, az_p = G.fwd(*A, AZ0, FOOT)             # the foot and the line's azimuth there
    mlon, mlat, back = G.fwd(plon, plat, az_p + 90.0, OFFSET)
    m = mon("423", mlon, mlat)
    tp = locate_tripoint(geodesic_line, CRS, m, [m], 1000.0)

    foot_error = geo_dist(tp.lon, tp.lat, plon, plat)
    assert foot_error < 0.1, foot_error
    assert tp.perpendicular_deviation_deg < 0.01
    assert abs(tp.station_m - FOOT) < 0.1            # planar station ~ geodesic length (scale error ~1e-6)
    assert tp.point.distance(geodesic_line) < 1e-6   # the tripoint is on the line
    row, = tp.monuments
    assert row.id == "423" and (row.lon, row.lat) == (mlon, mlat)
    assert abs(row.distance_m - OFFSET) < 0.1
    # monument -> tripoint is the back azimuth of the forward problem P -> monument
    assert angle_diff(row.azimuth_deg, back % 360.0) < 0.01
    assert angle_diff(row.back_azimuth_deg, az_p + 90.0) < 0.01
    assert 0.0 <= row.azimuth_deg < 360.0 and 0.0 <= row.back_azimuth_deg < 360.0


def test_other_side_and_extra_monuments(geodesic_line):
    """A monument on the left of the line; other monuments only get distance/azimuth rows."""
    plon, plat, az_p = G.fwd(*A, AZ0, 2100.0)
    mlon, mlat, _ = G.fwd(plon, plat, az_p - 90.0, 80.0)
    far = G.fwd(plon, plat, 10.0, 5000.0)                # not limited by max_distance_m
    tp = locate_tripoint(geodesic_line, CRS, mon("O", mlon, mlat), [mon("O", mlon, mlat), mon("F", *far[:2])], 100.0)
    assert geo_dist(tp.lon, tp.lat, plon, plat) < 0.1
    assert tp.perpendicular_deviation_deg < 0.01
    assert [r.id for r in tp.monuments] == ["O", "F"]
    assert abs(tp.monuments[1].distance_m - geo_dist(*far[:2], tp.lon, tp.lat)) < 1e-6


def test_sinuous_line(sinuous_line):
    x0 = 237.0                                       # near a crest: radius of curvature ~345 m
    p = to_lonlat(Point(x0, sine(x0)), CRS)
    tangent = to_lonlat(LineString([(x, sine(x)) for x in (x0 - 0.01, x0 + 0.01)]), CRS)
    az_p = G.inv(*tangent.coords[0], *tangent.coords[1])[0]
    for side, d in ((+90.0, 200.0), (-90.0, OFFSET)):   # concave and convex side of the bend
        mlon, mlat, back = G.fwd(p.x, p.y, az_p + side, d)
        m = mon("S", mlon, mlat)
        tp = locate_tripoint(sinuous_line, CRS, m, [m], 1000.0)
        assert geo_dist(tp.lon, tp.lat, p.x, p.y) < 0.1
        assert tp.perpendicular_deviation_deg < 0.01
        assert abs(tp.monuments[0].distance_m - d) < 0.1
        assert angle_diff(tp.monuments[0].azimuth_deg, back % 360.0) < 0.01


@pytest.mark.parametrize("amp, lam, phase, mx, my", [(100.0, 165.0, 1.18, 349.4, 56.5),
                                                      (123.0, 160.0, 0.25, 25.3, 58.6)])
def test_meander_with_several_local_minima(amp, lam, phase, mx, my):
    """Tight meanders: the geodesic distance along the line has several local minima within the search
    window around the planar nearest point; the global one must be found (regression: a bounded Brent
    search over the whole +-200 m window stopped in a local minimum 17 m worse, ~90-130 m along the line)."""
    x = np.arange(-1500.0, 1500.0 + 1e-9, 1.0)
    line = LineString(np.column_stack([x, amp * np.sin(2 * np.pi * x / lam + phase)]))
    m = to_lonlat(Point(mx, my), CRS)
    s, d = geodesic_foot(line, CRS, m.x, m.y)
    ss, dd = _brute(line, m.x, m.y, 0.5)
    assert d <= dd.min() + 1e-6
    assert abs(s - ss[np.argmin(dd)]) < 0.5
    assert abs(s - line.project(to_metric(m, CRS))) < 0.5     # here the planar nearest point is right


def test_monument_too_far(geodesic_line):
    plon, plat, az_p = G.fwd(*A, AZ0, FOOT)
    m = mon("423", *G.fwd(plon, plat, az_p + 90.0, OFFSET)[:2])
    with pytest.raises(GeometryError, match=r"monument 423 is 250 m from the middle line.*200 m"):
        locate_tripoint(geodesic_line, CRS, m, [m], 200.0)


@pytest.mark.parametrize("where, dist, end", [(LENGTH + 60.0, 0.0, "end"), (-40.0, 0.0, "start"),
                                               (LENGTH + 5.0, 30.0, "end")])
def test_perpendicular_misses_the_line(geodesic_line, where, dist, end):
    """A monument beyond an end of the line (on its prolongation, or off it): no perpendicular foot."""
    if where >= 0:
        plon, plat, az = G.fwd(*A, AZ0, where)
    else:
        plon, plat, az = G.fwd(*A, AZ0 + 180.0, -where)
        az += 180.0
    m = mon("X7", *G.fwd(plon, plat, az + 90.0, dist)[:2]) if dist else mon("X7", plon, plat)
    with pytest.raises(GeometryError, match=rf"perpendicular from monument X7 does not meet.*line's {end}"):
        locate_tripoint(geodesic_line, CRS, m, [m], 1000.0)
    s, _ = geodesic_foot(geodesic_line, CRS, m[3], m[4])
    assert s == (geodesic_line.length if end == "end" else 0.0)


def test_pulkovo_datum():
    """EPSG:4284 42.4195 N 130.63825 E of border sign 423 -> WGS-84 with pyproj, and back with to_pulkovo."""
    lon, lat = Transformer.from_crs(PULKOVO_1942, "EPSG:4326", always_xy=True).transform(130.63825, 42.4195)
    assert abs(lat - 42.419800) < 1e-6 and abs(lon - 130.639300) < 1e-6
    # the published WGS-84 coordinates of the same sign (42.419787 N, 130.639275 E) are ~2.6 m away
    assert 2.0 < geo_dist(lon, lat, 130.639275, 42.419787) < 3.0
    plon, plat, desc = to_pulkovo(lon, lat)
    assert geo_dist(plon, plat, 130.63825, 42.4195) < 0.01
    assert "Pulkovo 1942" in desc


def test_tripoint_pulkovo_fields(geodesic_line):
    plon, plat, az_p = G.fwd(*A, AZ0, FOOT)
    m = mon("423", *G.fwd(plon, plat, az_p + 90.0, OFFSET)[:2])
    tp = locate_tripoint(geodesic_line, CRS, m, [], 1000.0)
    back = Transformer.from_crs(PULKOVO_1942, "EPSG:4326", always_xy=True).transform(tp.lon_pulkovo, tp.lat_pulkovo)
    assert geo_dist(*back, tp.lon, tp.lat) < 0.01
    assert 1.0 < geo_dist(tp.lon, tp.lat, tp.lon_pulkovo, tp.lat_pulkovo) < 200.0   # a real datum shift
    assert tp.pulkovo_transform


# ------------------------------------------------------------------------------------------- property
def _brute(line: LineString, lon: float, lat: float, step: float, lo: float = 0.0, hi: float | None = None):
    """(stations, geodesic distances to (lon, lat)) of points of ``line`` every ``step`` from ``lo`` to ``hi``."""
    hi = line.length if hi is None else hi
    ss = np.append(np.arange(lo, hi, step), hi)
    xy = shapely.get_coordinates(line)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    q = shapely.get_coordinates(to_lonlat(shapely.MultiPoint(np.column_stack(
        [np.interp(ss, cum, xy[:, 0]), np.interp(ss, cum, xy[:, 1])])), CRS))
    return ss, G.inv(np.full(len(q), lon), np.full(len(q), lat), q[:, 0], q[:, 1])[2]


@st.composite
def smooth_line_and_monument(draw):
    """A rotated sum of three sines (radius of curvature >= 1000 m) with vertices every 0.1 m, and a monument
    5-400 m off the line, opposite a station at least 400 m from either end."""
    x = np.linspace(-1500.0, 1500.0, 30001)
    y = np.zeros_like(x)
    for _ in range(3):
        lam = draw(st.floats(800.0, 3000.0))
        amp = draw(st.floats(0.0, 1.0)) * lam ** 2 / (4 * np.pi ** 2 * 1000.0 * 3)
        y += amp * np.sin(2 * np.pi * x / lam + draw(st.floats(0.0, 2 * np.pi)))
    th = draw(st.floats(0.0, 2 * np.pi))
    c, s = np.cos(th), np.sin(th)
    line = LineString(np.column_stack([c * x - s * y, s * x + c * y]))
    st_m = draw(st.floats(400.0, line.length - 400.0))
    off = draw(st.floats(5.0, 400.0)) * draw(st.sampled_from([-1.0, 1.0]))
    p, q = line.interpolate(st_m - 0.5), line.interpolate(st_m + 0.5)
    n = np.array([-(q.y - p.y), q.x - p.x]) / p.distance(q)
    m = np.array(line.interpolate(st_m).coords[0]) + off * n
    return line, to_lonlat(Point(m), CRS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(smooth_line_and_monument())
def test_tripoint_is_geodesic_nearest_point(case):
    line, m = case
    tp = locate_tripoint(line, CRS, mon("P", m.x, m.y), [mon("P", m.x, m.y)], 1000.0)
    ss, dd = _brute(line, m.x, m.y, 0.5)
    k = int(np.argmin(dd))
    assert tp.monuments[0].distance_m <= dd[k] + 1e-6      # never worse than any sample
    # refine the brute force: every 1 cm within half a metre of the best sample
    fs, fd = _brute(line, m.x, m.y, 0.01, max(0.0, ss[k] - 0.5), min(line.length, ss[k] + 0.5))
    assert tp.monuments[0].distance_m <= fd.min() + 1e-6
    best = to_lonlat(line.interpolate(fs[np.argmin(fd)]), CRS)
    assert geo_dist(tp.lon, tp.lat, best.x, best.y) < 0.1
    assert tp.perpendicular_deviation_deg < 0.05
