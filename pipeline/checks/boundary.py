"""Checks of the boundary lines themselves: the official lengths, simplicity, the mouth and the junction.

Each check is measured on the run's typed results (``results``: metric geometries measured on WGS 84) and again
on the run's files (``files``: the layers of ``border.gpkg`` in lon/lat, see :class:`pipeline.verify.RunFiles`).
"""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Point

from .. import geometry
from ..geodesy import geodesic_length_m, inverse
from . import check, from_files, Measured


# ------------------------------------------------------------------------------------- official lengths
@check("land_length", kind="within", tolerance="official.land_tolerance_m", target="official.land_length_m",
       detail="geodesic (WGS 84) length of the land boundary, tripoint A to the mouth point",
       catches="a land line that misses or doubles part of the river, follows a bank, or is measured in degrees or "
               "on a planar grid")
def land_length(r, cfg) -> float:
    """Geodesic length (m) of the land boundary."""
    return r.inputs.geo.length_m(r.land.line)


@from_files(land_length)
def _(run, cfg) -> float:
    return geodesic_length_m(run.land)


@check("sea_length", kind="within", tolerance="official.sea_tolerance_m", target="official.sea_length_m",
       detail="geodesic (WGS 84) length of the maritime boundary",
       catches="a sea line that is not the agreed line (an equidistance line has another length), a misplaced mouth, "
               "turning or end point, or a length not measured on the ellipsoid")
def sea_length(r, cfg) -> float:
    """Geodesic length (m) of the maritime boundary."""
    return r.inputs.geo.length_m(r.maritime.boundary)


@from_files(sea_length)
def _(run, cfg) -> float:
    return geodesic_length_m(run.sea)


def _published(cfg, key: str) -> dict | None:
    """The ``official.segments`` row of segment ``key`` ("FROM_TO"), or None when none is published."""
    return next((s for s in cfg.official.segments if f"{s['from']}_{s['to']}" == key), None)


@check("sea_segment", kind="within",
       target=lambda cfg, key: (_published(cfg, key) or {}).get("length_m"),
       tolerance=lambda cfg, key: (_published(cfg, key) or {}).get("tolerance_m"),
       detail=lambda cfg, key, note: "length of the agreed line's segment {from} -> {to} ({source})".format(
           **{"source": "published figure", **_published(cfg, key)}),
       catches="a misplaced turning point, or a segment drawn as the wrong kind of line")
def sea_segment(r, cfg) -> dict[str, float]:
    """Per segment "FROM_TO" of the agreed line: its geodesic length (m) as drawn."""
    return {f"{g.start}_{g.end}": g.length_m for g in r.maritime.segments}


@from_files(sea_segment)
def _(run, cfg) -> dict[str, float]:
    """Each segment as written: the maritime boundary split at its vertices nearest the turning points of
    ``boundary_points`` (labelled with their ids), measured on WGS 84."""
    rep = run.report
    segs = rep.maritime.segments
    if not segs or rep.maritime.method != "treaty":
        return {}
    coords = np.asarray(run.sea.coords)
    cut = [0]
    for g in segs[:-1]:
        p = run.points.get(g.end)
        if p is None:
            return {f"{g.start}_{g.end}": float("nan") for g in segs}
        cut.append(int(np.argmin(np.hypot(*(coords - np.asarray(p.coords[0])).T))))
    cut.append(len(coords) - 1)
    return {f"{g.start}_{g.end}": geodesic_length_m(shapely.LineString(coords[a:b + 1])) if b > a else 0.0
            for g, a, b in zip(segs, cut, cut[1:])}


# ------------------------------------------------------------------------------------------ the lines
def _simple(land, sea) -> Measured:
    bad = geometry.non_simple_lines(land, sea)
    return Measured(len(bad), f"; here: {', '.join(bad)})" if bad else ")")


@check("boundaries_simple", unit="lines", tolerance=0,
       detail="boundary lines that cross, touch or double back on themselves (land, sea, and both joined{note}",
       catches="a land boundary that runs past the mouth point and back, a sea line that folds")
def boundaries_simple(r, cfg) -> Measured:
    """How many of the land line, the sea line and both joined are not simple (their names in the note)."""
    return _simple(r.land.line, r.maritime.boundary)


@from_files(boundaries_simple)
def _(run, cfg) -> Measured:
    return _simple(run.land, run.sea)


@check("closing_line_on_coast", tolerance="mouth.max_closing_off_coast_m",
       detail="worst geodesic distance of the mouth's closing line's ends to the coast (UNCLOS art. 9: between "
              "points on the low-water line of the banks; the ends lie where the water leaves land.mouth_snap_m of "
              "the land)",
       catches="a closing line drawn off the coast (e.g. at the snapping distance), so boundaries cross it twice")
def closing_line_on_coast(r, cfg) -> float:
    """Largest geodesic distance (m) of the closing line's ends to the coast (the edge of the land)."""
    coast = shapely.union_all(list(r.inputs.land.values())).boundary
    ends = np.asarray(r.channel.mouth.closing_line.coords)[[0, -1]]
    return float(r.inputs.geo.distance_to_line(ends, coast)[0].max())


@from_files(closing_line_on_coast)
def _(run, cfg) -> float:
    if "closing_line" not in run.layers or "land" not in run.layers:
        return float("inf")
    ends = np.asarray(run.line("closing_line").coords)[[0, -1]]
    coast = shapely.union_all(run.geometries("land")).boundary
    return run.distance_to_line(ends, coast)


@check("land_sea_junction", tolerance="mouth.max_junction_gap_m",
       detail="distance between the land boundary's end and the maritime boundary's start",
       catches="land and sea lines that do not meet")
def land_sea_junction(r, cfg) -> float:
    """Geodesic distance (m) from the land boundary's last vertex to the maritime boundary's first."""
    geo = r.inputs.geo
    return _gap(geo.point_lonlat(Point(r.land.line.coords[-1])), geo.point_lonlat(Point(r.maritime.boundary.coords[0])))


@from_files(land_sea_junction)
def _(run, cfg) -> float:
    return _gap(run.land.coords[-1], run.sea.coords[0])


def _gap(a, b) -> float:
    return float(inverse(a[0], a[1], b[0], b[1])[1])


@check("mouth_offset_to_treaty_point", tolerance="mouth.max_offset_m",
       detail="where the channel line meets the closing line, to the treaty mouth point",
       catches="a channel line that reaches the sea at another opening, a mouth point read in the wrong datum, or a "
               "closing line across the wrong opening")
def mouth_offset(r, cfg) -> float | None:
    """Geodesic distance (m) from the channel line's crossing of the closing line to the treaty mouth point
    (None without one)."""
    if not cfg.treaty.mouth_point:
        return None
    lon, lat = r.inputs.geo.point_lonlat(r.land.crossing)
    return float(inverse(lon, lat, *r.inputs.points[cfg.treaty.mouth_point].lonlat)[1])


@from_files(mouth_offset)
def _(run, cfg) -> float | None:
    return run.mouth_offset_m
