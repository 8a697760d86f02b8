"""Stage 3 — the China–DPRK–Russia tripoint and the bank monuments.

The tripoint is the foot of the geodesic perpendicular dropped from border sign No. 423 to the middle
line of the main channel: the point of the line nearest to the monument on the WGS-84 ellipsoid. The
``pyproj.Geod`` distance is sampled every 0.5 m along the line within 200 m of the planar nearest point (a
meandering line has several local minima there) and the best sample is refined by a bounded scalar
minimisation (``scipy.optimize.minimize_scalar``). Distances and azimuths are geodesic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS
from scipy.optimize import minimize_scalar
from shapely.geometry import LineString, Point
from shapely.ops import substring

from .geodesy import GEOD, WGS84, best_transformer, geodesic_inverse, to_lonlat, to_metric
from .land_line import GeometryError

PULKOVO_1942 = CRS.from_epsg(4284)


@dataclass(frozen=True)
class MonumentRow:
    id: str
    name: str
    datum: str
    lon: float                  # WGS-84
    lat: float
    distance_m: float           # geodesic, monument -> tripoint
    azimuth_deg: float          # from true north, monument -> tripoint
    back_azimuth_deg: float     # tripoint -> monument


@dataclass(frozen=True)
class Tripoint:
    point: Point                # metric CRS, on the middle line
    lon: float
    lat: float
    lon_pulkovo: float
    lat_pulkovo: float
    pulkovo_transform: str
    station_m: float            # position along the middle line (metres from its upstream end, planar)
    perpendicular_deviation_deg: float  # |angle between the geodesic to the monument and the line - 90|
    monuments: tuple[MonumentRow, ...]


def to_pulkovo(lon: float, lat: float) -> tuple[float, float, str]:
    t = best_transformer(WGS84, PULKOVO_1942, lon, lat)
    x, y = t.transform(lon, lat)
    return float(x), float(y), t.description


def geodesic_foot(line: LineString, metric: CRS, lon: float, lat: float, window_m: float = 200.0,
                  xatol_m: float = 1e-4, sample_m: float = 0.5) -> tuple[float, float]:
    """(station along ``line`` in metres, geodesic distance) of the point of ``line`` nearest to (lon, lat).

    The geodesic distance is sampled every ``sample_m`` within ``window_m`` of the planar nearest point
    (a sinuous line has several local minima there) and the best sample is refined by a bounded
    minimisation between its neighbours. The ends of the line are candidates too, so a point beyond an
    end gives exactly station 0 or ``line.length``.
    """
    p = to_metric(Point(lon, lat), metric)
    s0 = line.project(p)
    lo, hi = max(0.0, s0 - window_m), min(line.length, s0 + window_m)
    n = max(2, int(np.ceil((hi - lo) / sample_m)) + 1)
    ss = np.linspace(lo, hi, n)
    piece = substring(line, lo, hi) if (lo > 0.0 or hi < line.length) else line
    q = to_lonlat(shapely.MultiPoint(shapely.get_coordinates(shapely.line_interpolate_point(piece, ss - lo))), metric)
    qxy = shapely.get_coordinates(q)
    dd = GEOD.inv(np.full(n, lon), np.full(n, lat), qxy[:, 0], qxy[:, 1])[2]
    k = int(np.argmin(dd))

    def dist(s: float) -> float:
        r = to_lonlat(piece.interpolate(s - lo), metric)
        return GEOD.inv(lon, lat, r.x, r.y)[2]

    best_s, best_d = float(ss[k]), float(dd[k])
    a, b = ss[max(0, k - 1)], ss[min(n - 1, k + 1)]
    if b - a > xatol_m:
        res = minimize_scalar(dist, bounds=(a, b), method="bounded", options={"xatol": xatol_m})
        if res.fun < best_d:
            best_s, best_d = float(res.x), float(res.fun)
    return best_s, best_d


def line_azimuth(line: LineString, metric: CRS, s: float, h: float = 1.0) -> float:
    """Geodesic azimuth (degrees) of the line's direction at station ``s``."""
    a = to_lonlat(line.interpolate(max(0.0, s - h)), metric)
    b = to_lonlat(line.interpolate(min(line.length, s + h)), metric)
    return geodesic_inverse(a.x, a.y, b.x, b.y)[0]


def locate_tripoint(middle: LineString, metric: CRS, origin: tuple[str, str, str, float, float],
                    monuments: list[tuple[str, str, str, float, float]], max_distance_m: float) -> Tripoint:
    """``origin`` and ``monuments`` are (id, name, datum, lon WGS-84, lat WGS-84)."""
    oid, _, _, olon, olat = origin
    s, d = geodesic_foot(middle, metric, olon, olat)
    if d > max_distance_m:
        raise GeometryError(f"monument {oid} is {d:.0f} m from the middle line of the river "
                            f"(more than the configured {max_distance_m:.0f} m)")
    tol = 0.01
    if s <= tol or s >= middle.length - tol:
        raise GeometryError(f"the perpendicular from monument {oid} does not meet the middle line "
                            f"(nearest point is the line's {'start' if s <= tol else 'end'})")
    foot = middle.interpolate(s)
    ll = to_lonlat(foot, metric)
    az_to_mon = geodesic_inverse(ll.x, ll.y, olon, olat)[0]
    az_line = line_azimuth(middle, metric, s)
    dev = abs(((az_to_mon - az_line) % 180.0) - 90.0)
    rows = []
    for mid, name, datum, lon, lat in monuments:
        az, back, dist = GEOD.inv(lon, lat, ll.x, ll.y)
        rows.append(MonumentRow(mid, name, datum, lon, lat, float(dist), float(az % 360.0), float(back % 360.0)))
    plon, plat, desc = to_pulkovo(ll.x, ll.y)
    return Tripoint(foot, float(ll.x), float(ll.y), plon, plat, desc, s, float(dev), tuple(rows))


def mouth_offset(end_lonlat: Point, treaty_lon: float, treaty_lat: float) -> tuple[float, float]:
    """(geodesic distance m, azimuth deg) from the computed land-boundary end to the treaty mouth point."""
    az, _, dist = GEOD.inv(end_lonlat.x, end_lonlat.y, treaty_lon, treaty_lat)
    return float(dist), float(np.mod(az, 360.0))
