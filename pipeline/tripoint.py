"""Stage 3 -- the tripoint A (or the land line's start), constructed as the treaty fixes it.

Three rules, chosen by ``tripoint.rule``:

``dividing_line``
    1998 China–DPRK–Russia agreement on the Tumen boundary waters, Art. 3(1): the bank markers stand *on the
    extension of the dividing line*; Art. 1(2): the tripoint is where the dividing line meets the centre line
    of the main stream. So A is where the **geodesic through marker 1 and marker 2, extended**, crosses the
    channel line (:func:`dividing_crossing`). Art. 1(1) also says the dividing line runs from marker No. 423
    perpendicular to the centre line: that second construction (:func:`perpendicular_foot`) is computed
    beside it as a check; the angle between the dividing line and the channel at A (90 deg by Art. 1(1))
    and the distance between the two constructions are reported, on both channel lines.
``perpendicular``
    A is the foot of the geodesic perpendicular from one monument to the channel line (the 1985 treaty's
    wording: "the perpendicular dropped from border sign No. 423").
``start_point``
    No treaty point upstream: the land line starts at the point of the channel line nearest to a configured
    point (a labelled model choice, e.g. where the river data begins).

The channel's direction at a point is measured over a stated length of the line (``tripoint.
direction_window_m``): the geodesic azimuth of the chord between the points half that length before and
after it. One segment's direction would make the perpendicular wobble with vertex spacing, bank sampling
and the ring's start vertex (issue 19 measured 0.4 deg and 0.83 m from one segment); the chord over a
window averages that out. Distances and azimuths are geodesic on WGS 84; the tripoint can also be given in
a second datum (``tripoint.second_crs``) through pyproj's best operation.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import CRS
from scipy.optimize import brentq
from shapely.geometry import LineString, Point

from .errors import GeometryError
from .geodesy import GEOD, Geodesy, inverse
from .model import DividingLine, ChannelPoint, MonumentRow, Tripoint, TreatyPoint

if TYPE_CHECKING:
    from .config import TripointCfg

#: the article each rule implements, as the report cites it
ARTICLES = {
    "dividing_line": "1998 trilateral agreement, Art. 3(1) (the markers stand on the extension of the dividing "
                     "line) and Art. 1(2) (the tripoint is where the dividing line meets the main-stream centre "
                     "line); Art. 1(1)'s perpendicular from the monument computed beside it as a check",
    "perpendicular": "the foot of the perpendicular dropped from the monument to the main-channel line",
    "start_point": "no treaty point upstream: the land line starts at the channel point nearest to a configured "
                   "start point (a model choice, not a treaty point)",
}


def channel_azimuth(line: LineString, station_m: float, *, geo: Geodesy, window_m: float) -> float:
    """Direction of ``line`` (metric) at ``station_m``, measured over ``window_m`` of the line.

    Parameters
    ----------
    line : LineString
        The channel line in the run's metric CRS, upstream -> mouth.
    station_m : float
        Distance along ``line`` (planar metres of the metric CRS).
    geo : Geodesy
        The run's datum path.
    window_m : float
        Length of line (m) over which the direction is measured: the chord from ``station_m - window_m / 2``
        to ``station_m + window_m / 2`` (clipped to the line's ends).

    Returns
    -------
    float
        Geodesic azimuth of that chord on WGS 84 at its midpoint, degrees from true north in [0, 360).
    """
    ss = np.clip([station_m - window_m / 2, station_m + window_m / 2], 0.0, line.length)
    a, b = geo.metric_to_lonlat(shapely.get_coordinates(shapely.line_interpolate_point(line, ss)))
    az, _, d = GEOD.inv(a[0], a[1], b[0], b[1])
    back = GEOD.fwd(a[0], a[1], az, d / 2)[2]           # azimuth at the chord's midpoint, looking back
    return float((back + 180.0) % 360.0)


def angle_deviation_deg(az_a: float, az_b: float) -> float:
    """How far two directions are from perpendicular.

    Parameters
    ----------
    az_a, az_b : float
        Azimuths in degrees (any origin, as long as both share it: e.g. from true north).

    Returns
    -------
    float
        |angle between them (modulo 180) - 90|, degrees in [0, 90]: 0 when they are perpendicular.
    """
    return float(abs(((az_a - az_b) % 180.0) - 90.0))


def _channel_point(line: LineString, line_name: str, construction: str, monument_id: str, s: float, lon_m: float,
          lat_m: float, deviation: float, geo: Geodesy) -> ChannelPoint:
    p = line.interpolate(s)
    lon, lat = geo.point_lonlat(p)
    d = float(inverse(lon, lat, lon_m, lat_m)[1])
    return ChannelPoint(line_name, monument_id, p, lon, lat, float(s), d, float(deviation), construction)


def _check_reach(line: LineString, line_name: str, pid: str, s: float, d: float, *, max_distance_m: float,
                 resolution_m: float, what: str) -> None:
    if d > max_distance_m:
        raise GeometryError("points", f"{pid} is {d:.0f} m from the {line_name} line of the river "
                                      f"(more than tripoint.monument_max_distance_m = {max_distance_m:.0f} m)")
    end_margin = 10 * resolution_m
    if s <= end_margin or s >= line.length - end_margin:
        raise GeometryError("points", f"the {what} from {pid} does not meet the {line_name} line (its nearest "
                                      f"point is the line's {'start' if s <= end_margin else 'end'})")


def perpendicular_foot(*, line: LineString, line_name: str, monument: TreatyPoint, geo: Geodesy,
                       max_distance_m: float, resolution_m: float, window_m: float) -> ChannelPoint:
    """The foot of the geodesic perpendicular from ``monument`` to ``line``.

    The foot is the station where the geodesic to the monument meets the channel's direction (measured over
    ``window_m``, :func:`channel_azimuth`) at a right angle; it is searched by Brent's method around the
    point of the line nearest to the monument on the ellipsoid.

    Parameters
    ----------
    line, line_name : LineString, str
        Channel line (metric, upstream -> mouth) and its name ("thalweg" or "middle").
    monument : TreatyPoint
        The monument (its WGS-84 reading is used).
    geo : Geodesy
        The run's datum path.
    max_distance_m : float
        The farthest (m, geodesic) the monument may be from the line; farther is an input error.
    resolution_m : float
        Resolution (m along the line) of the foot.
    window_m : float
        Length of line (m) over which the channel's direction is measured.

    Returns
    -------
    ChannelPoint
        With ``perpendicular_deviation_deg`` the remaining deviation from 90 deg at the foot.

    Raises
    ------
    GeometryError
        ("points") when the monument is too far, or the perpendicular meets the line only at an end.
    """
    lon_m, lat_m = monument.lonlat
    s0, d0 = geo.foot_on_line(line, lon_m, lat_m, resolution_m=resolution_m)
    _check_reach(line, line_name, f"monument {monument.id}", s0, d0, max_distance_m=max_distance_m,
                 resolution_m=resolution_m, what="perpendicular")

    def f(s: float) -> float:   # cos(angle between the channel and the geodesic to the monument): 0 at the foot
        lon, lat = geo.point_lonlat(line.interpolate(s))
        az_m = float(inverse(lon, lat, lon_m, lat_m)[0])
        return float(np.cos(np.radians(az_m - channel_azimuth(line, s, geo=geo, window_m=window_m))))

    s = s0
    for half in (window_m / 4, window_m / 2, window_m, 2 * window_m):
        lo, hi = max(0.0, s0 - half), min(line.length, s0 + half)
        flo, fhi = f(lo), f(hi)
        if flo * fhi <= 0:
            s = float(brentq(f, lo, hi, xtol=resolution_m)) if flo != fhi else s0
            break
    lon, lat = geo.point_lonlat(line.interpolate(s))
    az_m = float(inverse(lon, lat, lon_m, lat_m)[0])
    dev = angle_deviation_deg(az_m, channel_azimuth(line, s, geo=geo, window_m=window_m))
    return _channel_point(line, line_name, f"perpendicular from {monument.id}", monument.id, s, lon_m, lat_m, dev, geo)


def dividing_line(m1: TreatyPoint, m2: TreatyPoint, *, geo: Geodesy, extend_m: float, step_m: float = 5.0
                  ) -> tuple[LineString, float, float]:
    """The geodesic through ``m1`` and ``m2``, extended ``extend_m`` beyond each, in the metric CRS.

    Parameters
    ----------
    m1, m2 : TreatyPoint
        The two markers (their WGS-84 readings are used).
    geo : Geodesy
        The run's metric CRS and datum path.
    extend_m : float
        How far beyond each marker the line runs, metres along the geodesic.
    step_m : float
        Spacing of the vertices along the geodesic, metres.

    Returns
    -------
    line : LineString
        Metric, vertices exactly on the geodesic, equally spaced at most ``step_m`` apart, from beyond ``m1`` to
        beyond ``m2``.
    length_m : float
        Geodesic distance m1 -> m2 on WGS 84, metres.
    azimuth_deg : float
        Azimuth at ``m1`` towards ``m2``, degrees from true north in [0, 360).
    """
    az, d = inverse(m1.lon_wgs84, m1.lat_wgs84, m2.lon_wgs84, m2.lat_wgs84)
    s = np.linspace(-extend_m, float(d) + extend_m, int(np.ceil((float(d) + 2 * extend_m) / step_m)) + 1)
    lon, lat, _ = GEOD.fwd(np.full(len(s), m1.lon_wgs84), np.full(len(s), m1.lat_wgs84), np.full(len(s), float(az)), s)
    return LineString(geo.lonlat_to_metric(np.column_stack([lon, lat]))), float(d), float(az)


def dividing_crossing(*, line: LineString, line_name: str, divider: LineString, m1: TreatyPoint,
                      m2: TreatyPoint, geo: Geodesy, max_distance_m: float, resolution_m: float, window_m: float
                      ) -> ChannelPoint:
    """Where the dividing line (:func:`dividing_line`) crosses the channel ``line``.

    Where it crosses more than once, the crossing nearest to the midpoint of the two markers is taken.
    ``perpendicular_deviation_deg`` of the result is the deviation from 90 deg of the angle between the
    dividing line and the channel's direction over ``window_m`` (90 deg by Art. 1(1)).

    Parameters
    ----------
    line : LineString
        The channel line, metric CRS (m), upstream -> mouth.
    line_name : str
        Its name ("thalweg" or "middle").
    divider : LineString
        The dividing line through ``m1`` and ``m2`` (metric).
    m1, m2 : TreatyPoint
        The two markers (WGS-84 readings).
    geo : Geodesy
        The run's metric CRS and datum path.
    max_distance_m : float
        The farthest (m, geodesic) the crossing may be from marker 1.
    resolution_m : float
        Resolution (m along the line); a crossing within 10 x this of the line's ends counts as missing it.
    window_m : float
        Length of line (m) over which the channel's direction is measured (:func:`channel_azimuth`).

    Returns
    -------
    ChannelPoint
        The crossing (metric point, lon/lat in degrees WGS 84, station in planar m along ``line``), its geodesic
        distance to marker 1 (m) and the angle's deviation from 90 deg.

    Raises
    ------
    GeometryError
        ("points") when the dividing line does not cross the channel line, crosses it farther than
        ``max_distance_m`` from marker 1, or only at its ends.
    """
    hits = [p for p in shapely.get_parts(line.intersection(divider)) if p.geom_type == "Point"]
    pid = f"the dividing line {m1.id}–{m2.id}"
    if not hits:
        raise GeometryError("points", f"{pid} does not cross the {line_name} line of the river")
    mid = Point(geo.lonlat_to_metric(np.array([[(m1.lon_wgs84 + m2.lon_wgs84) / 2,
                                                (m1.lat_wgs84 + m2.lat_wgs84) / 2]]))[0])
    x = min(hits, key=mid.distance)
    s = float(line.project(x))
    lon, lat = geo.point_lonlat(x)
    d = float(inverse(lon, lat, *m1.lonlat)[1])
    _check_reach(line, line_name, pid, s, d, max_distance_m=max_distance_m, resolution_m=resolution_m,
                 what="dividing line")
    az_div = float(inverse(lon, lat, *m2.lonlat)[0])
    dev = angle_deviation_deg(az_div, channel_azimuth(line, s, geo=geo, window_m=window_m))
    return ChannelPoint(line_name, m1.id, x, lon, lat, s, d, dev, pid)


def start_point(*, line: LineString, line_name: str, start: TreatyPoint, geo: Geodesy, max_distance_m: float,
               resolution_m: float) -> ChannelPoint:
    """The point of ``line`` nearest (geodesic) to the configured start point: the land line's start.

    Parameters
    ----------
    line : LineString
        The channel line, metric CRS (m), upstream -> mouth.
    line_name : str
        Its name ("thalweg" or "middle").
    start : TreatyPoint
        The configured start point (``tripoint.start_lonlat``; its WGS-84 reading is used).
    geo : Geodesy
        The run's metric CRS and datum path.
    max_distance_m : float
        The farthest (m, geodesic) the start point may be from the line.
    resolution_m : float
        Resolution (m along the line) of the nearest point.

    Returns
    -------
    ChannelPoint
        The nearest point (metric point, lon/lat in degrees WGS 84, station in planar m along ``line``) and its
        geodesic distance to the start point (m); no angle (NaN).

    Raises
    ------
    GeometryError
        ("config") when the start point is farther than ``max_distance_m`` from the line, or its nearest point is
        within 10 x ``resolution_m`` of the line's end (at or below the mouth).
    """
    s, d = geo.foot_on_line(line, *start.lonlat, resolution_m=resolution_m)
    if d > max_distance_m:
        raise GeometryError("config", f"tripoint.start_lonlat is {d:.0f} m from the {line_name} line of the river "
                                      f"(more than tripoint.monument_max_distance_m = {max_distance_m:.0f} m)")
    if s >= line.length - 10 * resolution_m:
        raise GeometryError("config", "tripoint.start_lonlat lies at or below the river mouth")
    return _channel_point(line, line_name, f"nearest to start point {start.id}", start.id, max(s, 0.0), *start.lonlat,
                 float("nan"), geo)


def _monument_rows(monuments: list[TreatyPoint], a: ChannelPoint) -> tuple[MonumentRow, ...]:
    rows = []
    for m in monuments:
        az, d = inverse(m.lon_wgs84, m.lat_wgs84, a.lon, a.lat)
        back, _ = inverse(a.lon, a.lat, m.lon_wgs84, m.lat_wgs84)
        rows.append(MonumentRow(m.id, m.name, m.datum, m.lon_wgs84, m.lat_wgs84, float(d), float(az), float(back)))
    return tuple(rows)


def locate_tripoint(*, lines: dict[str, LineString], in_use: str, settings: TripointCfg,
                    points: dict[str, TreatyPoint], geo: Geodesy) -> Tripoint:
    """Stage 3: A on the line in use by the configured rule, the check constructions and the monument table.

    The construction of the rule (:data:`RULES`) is made on every channel line; the perpendicular from
    ``settings.monument`` (when one is named) is made beside it on every line, and from
    ``settings.compare_monument`` on the line in use.

    Parameters
    ----------
    lines : dict of str to LineString
        The channel lines by name ("thalweg", "middle"; metric CRS of ``geo``, upstream -> mouth); one or both.
    in_use : str
        The name of the line the land boundary follows (a key of ``lines``).
    settings : pipeline.config.TripointCfg
        ``rule``, the point ids (``dividing_line``, ``monument``, ``compare_monument``), ``start_lonlat`` (deg,
        WGS 84), ``monument_max_distance_m`` (m), ``foot_resolution_m`` (m), ``direction_window_m`` (m) and
        ``second_crs``.
    points : dict of str to TreatyPoint
        Every treaty point by id (WGS-84 readings used); the ids ``settings`` names must be in it.
    geo : Geodesy
        The run's metric CRS and datum path.

    Returns
    -------
    Tripoint
        ``a`` is A; ``on_other_line`` A by the same rule on the other line; for the dividing-line rule
        ``dividing`` holds the line, both crossings and the perpendicular feet beside them; A in the second
        datum (deg) when ``second_crs`` is set.

    Raises
    ------
    GeometryError
        ("points", or "config" for a start point) when a construction does not meet a channel line, or a point
        lies farther than ``monument_max_distance_m`` from it.
    """
    t = settings
    reach = dict(geo=geo, max_distance_m=t.monument_max_distance_m, resolution_m=t.foot_resolution_m)
    window = t.direction_window_m
    names = [in_use] + [n for n in lines if n != in_use]
    monuments = [p for p in points.values() if p.kind == "monument"]
    perp = {}
    if t.monument:
        perp = {n: perpendicular_foot(line=lines[n], line_name=n, monument=points[t.monument], window_m=window,
                                      **reach) for n in names}
    feet, divider = RULES[t.rule](t, lines=lines, names=names, points=points, perp=perp, reach=reach)
    a = feet[in_use]
    other = feet[names[1]] if len(names) > 1 else None
    compare = None
    if t.compare_monument:
        compare = perpendicular_foot(line=lines[in_use], line_name=in_use, monument=points[t.compare_monument],
                                     window_m=window, **reach)
    rows = _monument_rows(monuments, a)
    second = _in_second_datum(a, t.second_crs, geo) if t.second_crs else ("", None, None, "")
    return Tripoint(a, *second, rows, other, compare, t.rule, ARTICLES[t.rule], divider,
                    perp.get(in_use), perp.get(names[1]) if len(names) > 1 else None)


_ByLine = dict[str, ChannelPoint]


def _by_dividing_line(t: TripointCfg, *, lines: dict[str, LineString], names: list[str],
                      points: dict[str, TreatyPoint], perp: _ByLine, reach: dict
                      ) -> tuple[_ByLine, DividingLine | None]:
    """Rule ``dividing_line``: where the geodesic through the two markers crosses each line, and that line."""
    m1, m2 = (points[i] for i in t.dividing_line)
    line_m, d12, az12 = dividing_line(m1, m2, geo=reach["geo"], extend_m=t.monument_max_distance_m)
    feet = {n: dividing_crossing(line=lines[n], line_name=n, divider=line_m, m1=m1, m2=m2,
                                 window_m=t.direction_window_m, **reach) for n in names}
    divider = DividingLine(m1.id, m2.id, line_m, d12, az12,
                           {n: float(inverse(feet[n].lon, feet[n].lat, perp[n].lon, perp[n].lat)[1])
                            for n in names} if perp else {})
    return feet, divider


def _by_perpendicular(t: TripointCfg, *, lines: dict[str, LineString], names: list[str],
                      points: dict[str, TreatyPoint], perp: _ByLine, reach: dict
                      ) -> tuple[_ByLine, DividingLine | None]:
    """Rule ``perpendicular``: the feet of the perpendicular from the monument (already made)."""
    return perp, None


def _by_start_point(t: TripointCfg, *, lines: dict[str, LineString], names: list[str],
                    points: dict[str, TreatyPoint], perp: _ByLine, reach: dict
                    ) -> tuple[_ByLine, DividingLine | None]:
    """Rule ``start_point``: the point of each line nearest to ``start_lonlat`` (a model choice)."""
    lon, lat = (float(v) for v in t.start_lonlat)
    start = TreatyPoint("start", "start of the land line (model choice)", "other", "WGS 84", "EPSG:4326", lat,
                        lon, f"{lat} N {lon} E", "tripoint.start_lonlat", "EPSG:4326", lon, lat, "", None)
    return {n: start_point(line=lines[n], line_name=n, start=start, **reach) for n in names}, None


#: how each ``tripoint.rule`` constructs A on every channel line: rule -> (feet by line name, dividing line)
RULES = {"dividing_line": _by_dividing_line, "perpendicular": _by_perpendicular, "start_point": _by_start_point}


def _in_second_datum(a: ChannelPoint, crs_text: str, geo: Geodesy) -> tuple[str, float, float, str]:
    """(CRS name, lon, lat, operation) of A in the geographic CRS ``crs_text``, through the run's datum path."""
    crs = CRS.from_user_input(crs_text)
    op = geo.from_wgs84_op(crs)
    lon2, lat2 = geo.lonlat_to_xy(np.array([[a.lon, a.lat]]), crs)[0]
    return crs.name, float(lon2), float(lat2), op.description if op else ""


def distance_m(a: ChannelPoint, b: ChannelPoint) -> float:
    """Geodesic distance between two channel points (e.g. A on the two channel lines).

    Parameters
    ----------
    a, b : ChannelPoint
        Their lon/lat (degrees, WGS 84) are used.

    Returns
    -------
    float
        Metres on WGS 84.
    """
    return float(inverse(a.lon, a.lat, b.lon, b.lat)[1])


__all__ = ["ARTICLES", "RULES", "channel_azimuth", "angle_deviation_deg", "perpendicular_foot", "dividing_line",
           "dividing_crossing", "start_point", "locate_tripoint", "distance_m"]
