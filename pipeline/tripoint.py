"""Stage 3 -- the tripoint A: the foot of the geodesic perpendicular from a monument to the channel line.

The foot is the point of the line nearest to the monument on the WGS-84 ellipsoid
(:meth:`pipeline.geodesy.Geodesy.foot_on_line`); at it the geodesic to the monument meets the line at a
right angle, which is measured and checked. The same is done on the other channel line and from a second
record of the monument (e.g. its figure in another datum), for comparison. Distances and azimuths from
every monument are geodesic; the tripoint can also be given in a second datum (``tripoint.second_crs``)
through pyproj's best operation.
"""
from __future__ import annotations

import numpy as np
from pyproj import CRS
from shapely.geometry import LineString

from .errors import GeometryError
from .geodesy import Geodesy, inverse
from .model import Foot, MonumentRow, Tripoint, TreatyPoint

def foot(*, line: LineString, line_name: str, monument: TreatyPoint, geo: Geodesy, max_distance_m: float,
         resolution_m: float) -> Foot:
    """The foot of the geodesic perpendicular from ``monument`` to ``line`` (metric).

    Raises GeometryError ("points") when the monument is farther than ``max_distance_m`` from the line, or
    when the nearest point is an end of the line (the perpendicular does not meet it).
    """
    s, d = geo.foot_on_line(line, monument.lon_wgs84, monument.lat_wgs84, resolution_m=resolution_m)
    if d > max_distance_m:
        raise GeometryError("points", f"monument {monument.id} is {d:.0f} m from the {line_name} line of the river "
                                      f"(more than tripoint.monument_max_distance_m = {max_distance_m:.0f} m)")
    end_margin = 10 * resolution_m
    if s <= end_margin or s >= line.length - end_margin:
        raise GeometryError("points", f"the perpendicular from monument {monument.id} does not meet the {line_name} "
                                      f"line (its nearest point is the line's {'start' if s <= end_margin else 'end'})")
    p = line.interpolate(s)
    lon, lat = geo.point_lonlat(p)
    az_to_monument = float(inverse(lon, lat, monument.lon_wgs84, monument.lat_wgs84)[0])
    az_line = geo.azimuth_along(line, s)
    deviation = abs(((az_to_monument - az_line) % 180.0) - 90.0)
    return Foot(line_name, monument.id, p, lon, lat, s, d, deviation)


def locate_tripoint(*, line: LineString, line_name: str, other_line: LineString | None, other_name: str,
                    monument: TreatyPoint, compare_monument: TreatyPoint | None, monuments: list[TreatyPoint],
                    geo: Geodesy, max_distance_m: float, resolution_m: float, second_crs: str = "") -> Tripoint:
    """Stage 3: the tripoint on the line in use, with the comparisons and the monument table.

    Parameters
    ----------
    line, line_name
        The channel line in use (metric, upstream -> mouth) and its name.
    other_line, other_name
        The other channel line, for comparison (optional).
    monument, compare_monument
        The monument the perpendicular is dropped from, and a second record of it (optional).
    monuments
        Every bank monument, tabulated with geodesic distance and azimuth to the tripoint.
    geo, max_distance_m, resolution_m
        Datum path; the farthest a monument may be; resolution of the foot search (m).
    second_crs
        A geographic CRS the tripoint is also given in, through the same datum path ("" for none).
    """
    kw = dict(monument=monument, geo=geo, max_distance_m=max_distance_m, resolution_m=resolution_m)
    a = foot(line=line, line_name=line_name, **kw)
    other = foot(line=other_line, line_name=other_name, **kw) if other_line is not None else None
    compare = None
    if compare_monument is not None:
        compare = foot(line=line, line_name=line_name, monument=compare_monument, geo=geo,
                       max_distance_m=max_distance_m, resolution_m=resolution_m)
    rows = []
    for m in monuments:
        az, d = inverse(m.lon_wgs84, m.lat_wgs84, a.lon, a.lat)
        back, _ = inverse(a.lon, a.lat, m.lon_wgs84, m.lat_wgs84)
        rows.append(MonumentRow(m.id, m.name, m.datum, m.lon_wgs84, m.lat_wgs84, float(d), float(az), float(back)))
    if not second_crs:
        return Tripoint(a, "", None, None, "", tuple(rows), other, compare)
    crs = CRS.from_user_input(second_crs)
    op = geo.from_wgs84_op(crs)
    lon2, lat2 = geo.lonlat_to_xy(np.array([[a.lon, a.lat]]), crs)[0]
    return Tripoint(a, crs.name, float(lon2), float(lat2), op.description if op else "", tuple(rows), other, compare)


def distance_m(a: Foot, b: Foot) -> float:
    """Geodesic distance between two feet."""
    return float(inverse(a.lon, a.lat, b.lon, b.lat)[1])


__all__ = ["foot", "locate_tripoint", "distance_m"]
