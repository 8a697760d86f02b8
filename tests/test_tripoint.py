"""Stage 3 (tripoint) against fixtures whose answer is known exactly.

The channel line is a WGS-84 geodesic (or a smooth sinuous curve) in the local metric CRS; the monument is put
at a known geodesic distance on the perpendicular through a chosen foot P (geographiclib's direct problem), so
the tripoint must be P. Distances and azimuths are checked with geographiclib; datum figures with pyproj called
directly.
"""
from __future__ import annotations

import dataclasses

import functools

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point
from shapely.ops import substring

import fixtures as F
from pipeline.errors import GeometryError
from pipeline.model import TreatyPoint
from pyproj import CRS as ProjCRS

from pipeline.config import TripointCfg
from pipeline.tripoint import locate_tripoint, perpendicular_foot

PULKOVO_1942 = ProjCRS.from_epsg(4284)

GEO = F.geodesy(130.65, 42.40)
CRS = GEO.metric
A = (130.635, 42.392)                                          # start of the geodesic channel line
AZ0 = F.gl_inverse(*A, 130.665, 42.408)[1]                     # its initial azimuth (~55 deg)
LENGTH = 3000.0
FOOT = 1234.5                                                  # station of the known foot, metres along it
OFFSET = 250.0
RESOLUTION_M = 0.001                                           # tripoint.foot_resolution_m (the default)
G = Geod(ellps="WGS84")                                        # vectorised brute force (pyproj called directly)


@pytest.fixture(scope="module", autouse=True)
def _accuracy_report(request):
    F.register_report(request.config)


def record(case: str, **measures: float) -> None:
    F.record(case, table="tripoint", **measures)


def fwd(lon: float, lat: float, azimuth: float, distance: float) -> tuple[float, float, float]:
    """geographiclib's direct problem: (lon2, lat2, forward azimuth at the end point)."""
    r = F.GL.Direct(lat, lon, azimuth, distance)
    return r["lon2"], r["lat2"], r["azi2"]


def mon(mid: str, lon: float, lat: float) -> TreatyPoint:
    """A monument published in WGS 84."""
    return TreatyPoint(mid, f"sign {mid}", "monument", "WGS 84", "EPSG:4326", float(lat), float(lon), "", "test",
                       "EPSG:4326", float(lon), float(lat), "", None)


WINDOW_M = TripointCfg.direction_window_m   # the default: the channel's direction over 200 m of line


def locate(line: LineString, m: TreatyPoint, monuments, max_distance_m: float = 1000.0, *, other_line=None,
           compare_monument=None, second_crs: str = "", line_name: str = "middle", window_m: float = WINDOW_M):
    """Rule ``perpendicular`` from ``m``; ``monuments`` (and ``m``) are the treaty points tabulated.

    ``window_m``: the length of line the channel's direction is measured over; a few decimetres make the
    perpendicular the tangent's, so the foot is the geodesic nearest point (the known answers below)."""
    points = {m.id: m, **{x.id: x for x in monuments}}
    if compare_monument is not None:
        points[compare_monument.id] = compare_monument
    lines = {line_name: line}
    if other_line is not None:
        lines["thalweg" if line_name == "middle" else "middle"] = other_line
    settings = TripointCfg(rule="perpendicular", monument=m.id, monument_max_distance_m=max_distance_m,
                           compare_monument=compare_monument.id if compare_monument is not None else "",
                           foot_resolution_m=RESOLUTION_M, second_crs=second_crs, direction_window_m=window_m)
    return locate_tripoint(lines=lines, in_use=line_name, settings=settings, points=points, geo=GEO)


def metric_line(lonlat: np.ndarray) -> LineString:
    return LineString(F.to_metric(lonlat, CRS))


@functools.lru_cache(maxsize=None)
def geodesic_line() -> LineString:
    """A 3 km geodesic with vertices every 5 m (geographiclib), in the local metric CRS."""
    line = F.GL.Line(A[1], A[0], AZ0)
    pts = [line.Position(s) for s in np.arange(0.0, LENGTH + 1e-9, 5.0)]
    return metric_line(np.array([(p["lon2"], p["lat2"]) for p in pts]))


def sine(x):
    return 60.0 * np.sin(2 * np.pi * np.asarray(x) / 900.0)


@functools.lru_cache(maxsize=None)
def sinuous_line() -> LineString:
    """y = 60 sin(2 pi x / 900) over 3 km (radius of curvature >= 342 m), vertices every 0.1 m.

    Seen from the concave side of a bend a polyline's nearest point is mid-chord, not at a vertex: vertices
    every 0.1 m keep that below 0.05 m (with vertices every 1 m it is up to 0.5 m)."""
    x = np.linspace(-1500.0, 1500.0, 30001)
    return LineString(np.column_stack([x, sine(x)]))


def test_straight_geodesic_line():
    plon, plat, az_p = fwd(*A, AZ0, FOOT)              # the foot and the line's azimuth there
    mlon, mlat, az_m = fwd(plon, plat, az_p + 90.0, OFFSET)
    m = mon("423", mlon, mlat)
    tp = locate(geodesic_line(), m, [m])
    a = tp.a
    foot_error = F.gl_distance(a.lon, a.lat, plon, plat)
    record("geodesic line", foot_m=foot_error, deviation_deg=a.perpendicular_deviation_deg,
           distance_error_m=abs(a.distance_m - OFFSET))
    assert foot_error < 0.01, foot_error
    assert a.perpendicular_deviation_deg < 0.01
    assert abs(a.station_m - FOOT) < 0.1             # planar station ~ geodesic length (scale error ~1e-6)
    assert a.point.distance(geodesic_line()) < 1e-6  # the tripoint is on the line
    assert abs(a.distance_m - OFFSET) < 0.01
    assert (a.line_name, a.monument) == ("middle", "423")
    row, = tp.monuments
    assert row.id == "423" and (row.lon, row.lat) == (mlon, mlat)
    assert abs(row.distance_m - OFFSET) < 0.01
    # monument -> tripoint is the reverse of the direct problem P -> monument
    assert F.angle_diff(row.azimuth_deg, az_m + 180.0) < 0.01
    assert F.angle_diff(row.back_azimuth_deg, az_p + 90.0) < 0.01
    assert 0.0 <= row.azimuth_deg < 360.0 and 0.0 <= row.back_azimuth_deg < 360.0
    assert tp.on_other_line is None and tp.from_compare_monument is None


def test_other_side_and_extra_monuments():
    """A monument on the left of the line; other monuments only get distance/azimuth rows."""
    plon, plat, az_p = fwd(*A, AZ0, 2100.0)
    mlon, mlat, _ = fwd(plon, plat, az_p - 90.0, 80.0)
    far = fwd(plon, plat, 10.0, 5000.0)                 # not limited by max_distance_m
    tp = locate(geodesic_line(), mon("O", mlon, mlat), [mon("O", mlon, mlat), mon("F", *far[:2])], 100.0)
    assert F.gl_distance(tp.a.lon, tp.a.lat, plon, plat) < 0.01
    assert tp.a.perpendicular_deviation_deg < 0.01
    assert [r.id for r in tp.monuments] == ["O", "F"]
    d, az, back = F.gl_inverse(*far[:2], tp.a.lon, tp.a.lat)
    assert abs(tp.monuments[1].distance_m - d) < 1e-6
    assert F.angle_diff(tp.monuments[1].azimuth_deg, az) < 1e-6
    assert F.angle_diff(tp.monuments[1].back_azimuth_deg, back + 180.0) < 1e-6


def test_other_line_and_second_record():
    """The foot on the other channel line (the geodesic's parallel 30 m to the right: its own perpendicular foot)
    and from a second record of the monument 2.6 m away, as for sign No. 423."""
    plon, plat, az_p = fwd(*A, AZ0, FOOT)
    mlon, mlat, _ = fwd(plon, plat, az_p + 90.0, OFFSET)
    geo_line = F.GL.Line(A[1], A[0], AZ0)
    par = []
    for s in np.arange(0.0, LENGTH + 1e-9, 5.0):
        p = geo_line.Position(s)
        q = fwd(p["lon2"], p["lat2"], p["azi2"] + 90.0, 30.0)
        par.append(q[:2])
    other = metric_line(np.array(par))
    second = fwd(mlon, mlat, 200.0, 2.6)
    tp = locate(geodesic_line(), mon("423", mlon, mlat), [], other_line=other,
                compare_monument=mon("423b", *second[:2]))
    o = tp.on_other_line
    assert o.line_name == "thalweg" and o.monument == "423"
    # the parallel's point on the same perpendicular is 30 m from P towards the monument
    qlon, qlat, _ = fwd(plon, plat, az_p + 90.0, 30.0)
    assert F.gl_distance(o.lon, o.lat, qlon, qlat) < 0.05
    assert abs(o.distance_m - (OFFSET - 30.0)) < 0.01 and o.perpendicular_deviation_deg < 0.05
    c = tp.from_compare_monument
    assert c.monument == "423b" and c.line_name == "middle"
    # the second record's own foot: the direct problem from it back onto the geodesic
    s0 = FOOT - 100.0                                    # brute force over 200 m around the foot
    brute = F.brute_nearest(substring(geodesic_line(), s0, s0 + 200.0), second[0], second[1], CRS, samples=11)
    assert abs(c.distance_m - brute.distance_m) < 1e-3
    assert abs(c.station_m - (s0 + brute.station_m)) < 0.05
    record("other line / second record", foot_m=F.gl_distance(o.lon, o.lat, qlon, qlat))


def test_sinuous_line():
    x0 = 237.0                                       # near a crest: radius of curvature ~345 m
    (plon, plat), = F.to_lonlat([[x0, sine(x0)]], CRS)
    (t0, t1) = F.to_lonlat([[x, sine(x)] for x in (x0 - 0.01, x0 + 0.01)], CRS)
    az_p = F.gl_inverse(*t0, *t1)[1]
    for side, d in ((+90.0, 200.0), (-90.0, OFFSET)):   # concave and convex side of the bend
        mlon, mlat, az_m = fwd(plon, plat, az_p + side, d)
        m = mon("S", mlon, mlat)
        tp = locate(sinuous_line(), m, [m], window_m=0.2)
        err = F.gl_distance(tp.a.lon, tp.a.lat, plon, plat)
        record("sinuous line", foot_m=err, deviation_deg=tp.a.perpendicular_deviation_deg)
        assert err < 0.1
        assert tp.a.perpendicular_deviation_deg < 0.01
        assert abs(tp.monuments[0].distance_m - d) < 0.1
        assert F.angle_diff(tp.monuments[0].azimuth_deg, az_m + 180.0) < 0.01


@pytest.mark.parametrize("amp, lam, phase, mx, my", [(100.0, 165.0, 1.18, 349.4, 56.5),
                                                      (123.0, 160.0, 0.25, 25.3, 58.6)])
def test_meander_with_several_local_minima(amp, lam, phase, mx, my):
    """Tight meanders: the geodesic distance along the line has several local minima near the planar nearest
    point; the global one must be found (regression: a bounded Brent search over a +-200 m window stopped in a
    local minimum 17 m worse, ~90-130 m along the line)."""
    x = np.arange(-1500.0, 1500.0 + 1e-9, 1.0)
    line = LineString(np.column_stack([x, amp * np.sin(2 * np.pi * x / lam + phase)]))
    (mlon, mlat), = F.to_lonlat([[mx, my]], CRS)
    s, d = GEO.foot_on_line(line, mlon, mlat, resolution_m=RESOLUTION_M)
    ss, dd = _brute(line, mlon, mlat, 0.5)
    assert d <= dd.min() + 1e-6
    assert abs(s - ss[np.argmin(dd)]) < 0.5
    assert abs(s - line.project(Point(mx, my))) < 0.5       # here the planar nearest point is right


def test_monument_too_far():
    plon, plat, az_p = fwd(*A, AZ0, FOOT)
    m = mon("423", *fwd(plon, plat, az_p + 90.0, OFFSET)[:2])
    with pytest.raises(GeometryError, match=r"monument 423 is 250 m from the middle line.*= 200 m") as e:
        locate(geodesic_line(), m, [m], 200.0)
    assert e.value.role == "points"


@pytest.mark.parametrize("where, dist, end", [(LENGTH + 60.0, 0.0, "end"), (-40.0, 0.0, "start"),
                                               (LENGTH + 5.0, 30.0, "end")])
def test_perpendicular_misses_the_line(where, dist, end):
    """A monument beyond an end of the line (on its prolongation, or off it): no perpendicular foot."""
    if where >= 0:
        plon, plat, az = fwd(*A, AZ0, where)
    else:
        plon, plat, az = fwd(*A, AZ0 + 180.0, -where)
        az += 180.0
    m = mon("X7", *fwd(plon, plat, az + 90.0, dist)[:2]) if dist else mon("X7", plon, plat)
    with pytest.raises(GeometryError, match=rf"perpendicular from monument X7 does not meet the middle line.*"
                                            rf"line's {end}"):
        locate(geodesic_line(), m, [m])
    s, _ = GEO.foot_on_line(geodesic_line(), m.lon_wgs84, m.lat_wgs84, resolution_m=RESOLUTION_M)
    assert s == pytest.approx(geodesic_line().length if end == "end" else 0.0, abs=1e-9)


def test_foot_function_names_its_line():
    plon, plat, az_p = fwd(*A, AZ0, FOOT)
    m = mon("423", *fwd(plon, plat, az_p + 90.0, OFFSET)[:2])
    f = perpendicular_foot(line=geodesic_line(), line_name="thalweg", monument=m, geo=GEO, max_distance_m=1000.0,
                           resolution_m=RESOLUTION_M, window_m=WINDOW_M)
    assert (f.line_name, f.monument) == ("thalweg", "423")
    assert F.gl_distance(f.lon, f.lat, plon, plat) < 0.01
    assert (f.lon, f.lat) == pytest.approx(F.to_lonlat(np.asarray(f.point.coords), CRS)[0], abs=1e-12)


def test_pulkovo_datum():
    """EPSG:4284 42.4195 N 130.63825 E of border sign 423 -> WGS-84 with pyproj, and the pipeline's datum path."""
    lon, lat = Transformer.from_crs(PULKOVO_1942, "EPSG:4326", always_xy=True).transform(130.63825, 42.4195)
    assert abs(lat - 42.419800) < 1e-6 and abs(lon - 130.639300) < 1e-6
    # the published WGS-84 coordinates of the same sign (42.419787 N, 130.639275 E) are ~2.6 m away
    assert 2.0 < F.gl_distance(lon, lat, 130.639275, 42.419787) < 3.0
    (glon, glat), = GEO.xy_to_lonlat(np.array([[130.63825, 42.4195]]), PULKOVO_1942)
    assert F.gl_distance(glon, glat, lon, lat) < 0.01


def test_tripoint_second_datum_fields():
    plon, plat, az_p = fwd(*A, AZ0, FOOT)
    m = mon("423", *fwd(plon, plat, az_p + 90.0, OFFSET)[:2])
    tp = locate(geodesic_line(), m, [], second_crs="EPSG:4284")
    back = Transformer.from_crs(PULKOVO_1942, "EPSG:4326", always_xy=True).transform(tp.lon_second, tp.lat_second)
    assert F.gl_distance(*back, tp.a.lon, tp.a.lat) < 0.01
    assert 1.0 < F.gl_distance(tp.a.lon, tp.a.lat, tp.lon_second, tp.lat_second) < 200.0   # a real shift
    assert "Pulkovo 1942" in tp.second_operation and tp.second_datum == "Pulkovo 1942"
    none = locate(geodesic_line(), m, [])
    assert none.second_datum == "" and none.lon_second is None


# ------------------------------------------------------------------------------------------- property
def _brute(line: LineString, lon: float, lat: float, step: float, lo: float = 0.0, hi: float | None = None):
    """(stations, geodesic distances to (lon, lat)) of points of ``line`` every ``step`` from ``lo`` to ``hi``
    (pyproj's Geod on arrays, the metric -> lon/lat conversion by pyproj directly)."""
    hi = line.length if hi is None else hi
    ss = np.append(np.arange(lo, hi, step), hi)
    xy = shapely.get_coordinates(line)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    q = F.to_lonlat(np.column_stack([np.interp(ss, cum, xy[:, 0]), np.interp(ss, cum, xy[:, 1])]), CRS)
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
    return line, F.to_lonlat([m], CRS)[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(smooth_line_and_monument())
def test_tripoint_is_geodesic_nearest_point(case):
    line, (mlon, mlat) = case
    tp = locate(line, mon("P", mlon, mlat), [mon("P", mlon, mlat)], window_m=0.2)
    ss, dd = _brute(line, mlon, mlat, 0.5)
    k = int(np.argmin(dd))
    assert tp.monuments[0].distance_m <= dd[k] + 1e-6      # never worse than any sample
    # refine the brute force: every 1 cm within half a metre of the best sample
    fs, fd = _brute(line, mlon, mlat, 0.01, max(0.0, ss[k] - 0.5), min(line.length, ss[k] + 0.5))
    assert tp.monuments[0].distance_m <= fd.min() + 1e-6
    (blon, blat), = F.to_lonlat(np.asarray(line.interpolate(fs[np.argmin(fd)]).coords), CRS)
    err = F.gl_distance(tp.a.lon, tp.a.lat, blon, blat)
    record("property: random smooth lines", foot_m=err, deviation_deg=tp.a.perpendicular_deviation_deg)
    assert err < 0.1
    assert tp.a.perpendicular_deviation_deg < 0.05


# ------------------------------------------------------------------ the dividing line (1998 agreement, issue 19)
def test_dividing_line_crossing_against_geographiclib():
    """Markers 1 and 2 on one geodesic through a known point X0 of a geodesic channel line, crossing it 10 deg
    off the perpendicular: A must be X0 (geographiclib's direct problem puts all three on one geodesic), lie on
    the geodesic through the markers and on the channel line, and the angle must read 10 deg."""
    from pipeline.tripoint import dividing_crossing, dividing_line

    xlon, xlat, az_x = fwd(*A, AZ0, FOOT)                 # X0 and the channel's azimuth there
    az_div = az_x + 80.0                                  # the dividing line's azimuth at X0
    m1 = mon("M1", *fwd(xlon, xlat, az_div + 180.0, 250.0)[:2])   # behind X0 on that geodesic
    m2 = mon("M2", *fwd(xlon, xlat, az_div, 170.0)[:2])           # ahead of it
    line_m, d12, az12 = dividing_line(m1, m2, geo=GEO, extend_m=1000.0)
    s12, azi1, _ = F.gl_inverse(m1.lon, m1.lat, m2.lon, m2.lat)
    assert abs(d12 - s12) < 1e-6 and F.angle_diff(az12, azi1) < 1e-9
    a = dividing_crossing(line=geodesic_line(), line_name="middle", divider=line_m, m1=m1, m2=m2, geo=GEO,
                          max_distance_m=1000.0, resolution_m=RESOLUTION_M, window_m=WINDOW_M)
    err = F.gl_distance(a.lon, a.lat, xlon, xlat)
    # on the markers' geodesic: the point of that geodesic at A's distance from marker 1 is A
    s1a, az1a, _ = F.gl_inverse(m1.lon, m1.lat, a.lon, a.lat)
    r = F.GL.Direct(m1.lat, m1.lon, azi1, s1a)
    off_geodesic = F.gl_distance(a.lon, a.lat, r["lon2"], r["lat2"])
    record("dividing line crossing (geodesic channel)", foot_m=err, deviation_deg=abs(a.perpendicular_deviation_deg - 10.0),
           distance_error_m=off_geodesic)
    assert err < 0.005, err
    assert off_geodesic < 0.005, off_geodesic
    assert a.point.distance(geodesic_line()) < 1e-6                  # on the channel line
    assert abs(a.perpendicular_deviation_deg - 10.0) < 1e-4          # the angle: 80 deg, i.e. 90 - 10
    assert abs(a.distance_m - 250.0) < 0.005 and a.monument == "M1"
    assert a.construction == "the dividing line M1–M2"


def test_dividing_line_beyond_a_marker_and_missing_the_line():
    """The markers may both stand on one side (A on the extension, Art. 3(1)); a dividing line parallel to the
    channel never crosses it: an error naming the markers."""
    from pipeline.tripoint import dividing_crossing, dividing_line

    xlon, xlat, az_x = fwd(*A, AZ0, FOOT)
    m1 = mon("M1", *fwd(xlon, xlat, az_x + 90.0, 300.0)[:2])
    m2 = mon("M2", *fwd(xlon, xlat, az_x + 90.0, 120.0)[:2])          # both on the left: A beyond marker 2
    line_m, _, _ = dividing_line(m1, m2, geo=GEO, extend_m=1000.0)
    a = dividing_crossing(line=geodesic_line(), line_name="middle", divider=line_m, m1=m1, m2=m2, geo=GEO,
                          max_distance_m=1000.0, resolution_m=RESOLUTION_M, window_m=WINDOW_M)
    assert F.gl_distance(a.lon, a.lat, xlon, xlat) < 0.005
    assert a.perpendicular_deviation_deg < 0.001
    p1 = mon("P1", *fwd(xlon, xlat, az_x + 90.0, 300.0)[:2])
    p2 = mon("P2", *fwd(p1.lon, p1.lat, az_x, 500.0)[:2])             # parallel to the channel, 300 m off
    line_p, _, _ = dividing_line(p1, p2, geo=GEO, extend_m=100.0)
    with pytest.raises(GeometryError, match="dividing line P1–P2 does not cross the middle line"):
        dividing_crossing(line=geodesic_line(), line_name="middle", divider=line_p, m1=p1, m2=p2, geo=GEO,
                          max_distance_m=1000.0, resolution_m=RESOLUTION_M, window_m=WINDOW_M)


@pytest.mark.parametrize("skew", [0.0, 7.0, -23.0])
def test_angle_on_an_analytic_channel(skew):
    """A circular channel (radius 600 m, vertices every 0.5 m): the chord over any window centred on a point is
    parallel to the tangent there, so a dividing line through the circle's centre (a radius) meets the channel
    at exactly 90 deg, and one turned by ``skew`` at 90 - skew; the perpendicular from a monument on the radius
    falls on that radius (planar angles are kept by the conformal metric CRS)."""
    from pipeline.tripoint import dividing_crossing, dividing_line

    R, t0 = 600.0, 0.9
    t = np.linspace(0.0, 1.8, int(1.8 * R / 0.5) + 1)
    arc = LineString(np.column_stack([R * np.cos(t), R * np.sin(t)]))
    p = np.array([R * np.cos(t0), R * np.sin(t0)])
    radial = p / R
    c, s = np.cos(np.radians(skew)), np.sin(np.radians(skew))
    u = np.array([c * radial[0] - s * radial[1], s * radial[0] + c * radial[1]])
    (l1, l2) = F.to_lonlat([p + 250.0 * u, p - 150.0 * u], CRS)
    m1, m2 = mon("M1", *l1), mon("M2", *l2)
    line_m, _, _ = dividing_line(m1, m2, geo=GEO, extend_m=1000.0)
    for window in (20.0, 200.0, 600.0):
        a = dividing_crossing(line=arc, line_name="middle", divider=line_m, m1=m1, m2=m2, geo=GEO,
                              max_distance_m=1000.0, resolution_m=RESOLUTION_M, window_m=window)
        (plon, plat), = F.to_lonlat([p], CRS)
        record("angle on a circular channel", foot_m=F.gl_distance(a.lon, a.lat, plon, plat),
               deviation_deg=abs(a.perpendicular_deviation_deg - abs(skew)))
        assert F.gl_distance(a.lon, a.lat, plon, plat) < 0.01
        assert abs(a.perpendicular_deviation_deg - abs(skew)) < 0.001, (window, a.perpendicular_deviation_deg)
    if skew == 0.0:       # the perpendicular from marker 1 (on the radius) falls on the same point
        f = perpendicular_foot(line=arc, line_name="middle", monument=m1, geo=GEO, max_distance_m=1000.0,
                               resolution_m=RESOLUTION_M, window_m=WINDOW_M)
        assert F.gl_distance(f.lon, f.lat, a.lon, a.lat) < 0.01 and f.perpendicular_deviation_deg < 0.001


def test_marker_2_is_read_in_the_pyongyang_system_through_the_loader():
    """Marker 2 (the Korean marker) is published in the Pyongyang system like sign No. 423's treaty figure, so
    the loader reads it as Pulkovo 1942 (EPSG:4284) and transforms it with pyproj's best operation; as printed,
    markers 1 and 2 are 417.8 m apart at azimuth 217.8 deg (the data README, pyproj Geod WGS-84)."""
    from conftest import INPUTS
    from pipeline.config import load_config
    from pipeline.load import load_inputs

    cfg = load_config(INPUTS / "tumen.toml")
    pts = load_inputs(cfg).points
    k2, m1 = pts["K2"], pts["423-P42"]
    assert k2.crs == "EPSG:4284" and k2.kind == "monument" and "Pyongyang" in k2.datum
    assert (k2.lat, k2.lon) == pytest.approx((42 + 24 / 60 + 59.5 / 3600, 130 + 38 / 60 + 6.5 / 3600), abs=1e-8)
    lon, lat = Transformer.from_crs(PULKOVO_1942, "EPSG:4326", always_xy=True).transform(k2.lon, k2.lat)
    assert F.gl_distance(lon, lat, k2.lon_wgs84, k2.lat_wgs84) < 0.01
    assert 80.0 < F.gl_distance(k2.lon, k2.lat, lon, lat) < 110.0      # a real datum shift, as for No. 423
    s12, azi1, _ = F.gl_inverse(m1.lon, m1.lat, k2.lon, k2.lat)       # as printed
    assert round(s12, 1) == 417.8 and round(azi1 % 360.0, 1) == 217.8
    s12w, azi1w, _ = F.gl_inverse(m1.lon_wgs84, m1.lat_wgs84, k2.lon_wgs84, k2.lat_wgs84)   # both transformed
    assert abs(s12w - s12) < 0.5 and F.angle_diff(azi1w, azi1) < 0.1
    assert cfg.tripoint.rule == "dividing_line" and cfg.tripoint.dividing_line == ["423-P42", "K2"]


def _rings_variant(poly, kind: str, rng):
    """The same water area with other ring vertices: start vertex moved, resampled at another spacing, or
    unevenly densified (random extra vertices on random segments: exactly the same shape)."""
    def ring(coords):
        c = np.asarray(coords)[:-1]
        if kind == "rotated":
            c = np.roll(c, -int(rng.integers(1, len(c))), axis=0)
        elif kind == "resampled":
            r = LineString(np.vstack([c, c[:1]]))
            c = shapely.get_coordinates(r.interpolate(np.arange(0.0, r.length, 3.7)))
        elif kind == "densified":
            out = []
            for p, q in zip(c, np.roll(c, -1, axis=0)):
                out.append(p)
                k = int(rng.integers(0, 4)) if rng.random() < 0.5 else 0
                for f in np.sort(rng.random(k)):
                    out.append(p + f * (q - p))
            c = np.array(out)
        return np.vstack([c, c[:1]])
    from shapely.geometry import Polygon
    return Polygon(ring(poly.exterior.coords), [ring(h.coords) for h in poly.interiors])


def test_a_does_not_wobble_with_the_rings_vertices():
    """Issue 19: vertex spacing, bank sampling and the polygon's start vertex must move A by less than 0.1 m
    and the angle by less than 0.05 deg (one segment's direction moved them 0.83 m and 0.4 deg): the bundled
    water area with rotated, resampled and unevenly densified rings, the middle line and both constructions."""
    from conftest import INPUTS
    from pipeline import geometry, land_line
    from pipeline.config import load_config
    from pipeline.load import load_inputs

    cfg = load_config(INPUTS / "tumen.toml")
    inp = load_inputs(cfg)
    land = shapely.union_all(list(inp.land.values()))
    lc = cfg.land
    rng = np.random.default_rng(19)

    def construct(water):
        ch = land_line.channel_lines(water=water, land=land, depth=None, geo=inp.geo, border_line="middle",
                                     settings=dataclasses.replace(lc, main_channel="widest"))
        return locate_tripoint(lines={"middle": ch.middle.line}, in_use="middle", settings=cfg.tripoint,
                               points=inp.points, geo=inp.geo)

    base = construct(inp.water)
    for kind in ("rotated", "resampled", "densified"):
        water = shapely.MultiPolygon([_rings_variant(p, kind, rng) for p in geometry.polygons(inp.water)])
        tp = construct(shapely.union_all(water))
        moved = F.gl_distance(tp.a.lon, tp.a.lat, base.a.lon, base.a.lat)
        turned = abs(tp.a.perpendicular_deviation_deg - base.a.perpendicular_deviation_deg)
        perp = F.gl_distance(tp.perpendicular.lon, tp.perpendicular.lat, base.perpendicular.lon,
                             base.perpendicular.lat)
        record(f"bundled water, rings {kind}", foot_m=max(moved, perp), deviation_deg=turned)
        assert moved < 0.1 and perp < 0.1, (kind, moved, perp)
        assert turned < 0.05, (kind, turned)
