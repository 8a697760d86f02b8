"""Stage 4 -- the maritime boundary: the agreed line, the territorial-sea limits and the equidistance line.

Baselines
    Each side's coastline (the sea-facing edge of its land, rivers cut out) plus its half of the river
    mouth's closing line up to where the channel line meets it (a river-mouth baseline, UNCLOS art. 9).
Agreed line (``method = "treaty"``)
    The straight line of the treaty from the mouth point B to the end point E, drawn as the WGS-84 geodesic
    with vertices every ``line_densify_m`` (so it stays the geodesic in any viewer); the rhumb line between
    the same points is computed for comparison.
Equidistance (median) line
    Always computed: the Voronoi ridges (:func:`pipeline.geometry.voronoi_ridges`) separating points along
    the two baselines, from the channel line's crossing of the closing line seaward, cut where its geodesic
    distance to the baselines reaches the territorial-sea breadth. It is the boundary with
    ``method = "equidistance"``, and a comparison otherwise: the faces between it and the agreed line, with
    the state each would fall to under either line, are measured on the ellipsoid.
Outer limits
    Each baseline buffered by the breadth (12 nautical miles) in the metric CRS, kept in the sea and on the
    side's own side of the boundary in use (continued seaward), checked point by point with geodesic
    distances to the baseline.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from . import geometry
from .errors import GeometryError
from .geodesy import GEOD, Geodesy, geodesic_area_m2, geodesic_path, rhumb_path
from .model import AgreedSegment, AgreedSpec, AreaPiece, Baselines, MaritimeResult

if TYPE_CHECKING:
    from .config import MaritimeCfg


# ------------------------------------------------------------------------------------------- baselines
def baselines(*, land: dict[str, BaseGeometry], water: BaseGeometry, frame: BaseGeometry, closing_line: LineString,
              crossing: Point, sides: tuple[str, str], snap_m: float) -> Baselines:
    """Each side's coastline and baseline: the coastline plus its part of the closing line, up to ``crossing``.

    Parameters
    ----------
    land : dict
        State code -> its land (metric).
    water : Polygon or MultiPolygon
        The river's water area (metric), cut from the land.
    frame : Polygon
        The data extent (metric); land edges along it are not coast.
    closing_line : LineString
        The mouth's closing line (metric).
    crossing : Point
        Where the channel line in use meets the closing line (metric): the two baselines meet there (the
        closing line's end on each side's land to ``crossing``), not at the treaty mouth point B.
    sides : (str, str)
        The two state codes.
    snap_m : float
        Distance (m) within which water or sea counts as touching land.

    Returns
    -------
    Baselines
        The sea (metric), each side's coastline and baseline (metric lines).
    """
    sea = frame.difference(shapely.union_all(list(land.values()))).difference(water)
    if sea.is_empty:
        raise GeometryError("coast", "the coast data set has no sea within its extent")
    sea_near = sea.buffer(snap_m)
    # where land or a land border is cut by the data extent, thin slivers of "sea" appear along the extent's
    # edge; the land edge beside them is no coast
    edge = frame.exterior.buffer(snap_m)
    coast, base = {}, {}
    a, b = Point(closing_line.coords[0]), Point(closing_line.coords[-1])
    for side in sides:
        shore = land[side].difference(water).boundary.intersection(sea_near).difference(edge)
        parts = geometry.merged(shore, min_length=snap_m)
        if not parts:
            raise GeometryError("coast", f"{side} has no coastline on the sea in the coast data set")
        coast[side] = MultiLineString(parts)
        tip = a if land[side].distance(a) <= land[side].distance(b) else b
        base[side] = shapely.union_all([coast[side], LineString([tip, crossing])])
    return Baselines(sea, coast, base)


def _densified(geom: BaseGeometry, step: float, near: Point, fine_radius: float, fine_step: float) -> np.ndarray:
    out = []
    for part in geometry.lines(geom):
        out.append(shapely.get_coordinates(shapely.segmentize(part, step)))
        if fine_radius > 0:
            for fine in geometry.lines(part.intersection(near.buffer(fine_radius))):
                out.append(shapely.get_coordinates(shapely.segmentize(fine, fine_step)))
    return np.vstack(out)


# ------------------------------------------------------------------------------------- equidistance
def median_line(*, base: Baselines, sides: tuple[str, str], start: Point, reach_m: float, step_m: float,
                fine_step_m: float, fine_radius_m: float) -> LineString:
    """The raw Voronoi median line between the two baselines near ``start``, oriented seaward.

    Baseline points within ``reach_m`` of ``start`` are the sites; a point on both baselines (the shared end
    of the two halves of the closing line) is equidistant by definition and seeds neither side. Of the ridges
    separating the two sides that touch the sea, the merged line nearest to ``start`` is taken.

    Parameters
    ----------
    base : Baselines
        The sea and each side's baseline (metric CRS, m).
    sides : (str, str)
        The two state codes (keys of ``base.baseline``).
    start : Point
        Where the line should start (metric): the channel line's crossing of the closing line.
    reach_m : float
        Radius (m) around ``start`` of the baseline points used.
    step_m : float
        Spacing (m) of the baseline points.
    fine_step_m : float
        Spacing (m) of the baseline points within ``fine_radius_m`` of ``start``.
    fine_radius_m : float
        Radius (m) of the finer spacing; 0: none.

    Returns
    -------
    LineString
        Metric, oriented away from ``start`` (planar; not yet cut at the breadth, nor begun exactly at
        ``start``: :func:`from_start`).

    Raises
    ------
    GeometryError
        ("coast") when no line between the two coasts lies in the sea, or the nearest passes farther than
        2 x ``step_m`` from ``start``.
    """
    reach = start.buffer(reach_m)
    pts, labels = [], []
    for k, side in enumerate(sides):
        xy = _densified(base.baseline[side].intersection(reach), step_m, start, fine_radius_m, fine_step_m)
        pts.append(xy)
        labels.append(np.full(len(xy), k))
    # rounded only to merge coincident points (float noise ~1e-11 m): on a straight coast the line's direction
    # hangs on the two sites nearest the start, so coarser rounding (0.1 mm) turned it by up to 1e-4 rad (~1 m at 12 nm)
    xy, inv = np.unique(np.round(np.vstack(pts), 6), axis=0, return_inverse=True)
    inv = inv.ravel()
    lab = np.concatenate(labels)
    lo, hi = np.full(len(xy), 2), np.full(len(xy), -1)
    np.minimum.at(lo, inv, lab)
    np.maximum.at(hi, inv, lab)
    own = lo == hi
    xy, lab = xy[own], lo[own]
    # not joggled, for the same reason: a 1e-6 m joggle of sites 10 m apart turns a ridge by 1e-7 rad (2 mm at
    # 12 nm); coast points are not the parallel rows that make Qhull slow
    rid = geometry.voronoi_ridges(xy, far_m=reach_m, joggle_m=0.0)
    sep = lab[rid.sites[:, 0]] != lab[rid.sites[:, 1]]
    segs = shapely.linestrings(rid.segments[sep])
    sea = base.sea.intersection(reach)
    shapely.prepare(sea)
    cands = geometry.merged(MultiLineString(list(segs[shapely.intersects(sea, segs)])))
    if not cands:
        raise GeometryError("coast", "no equidistance line between the two coasts was found in the sea")
    line = min(cands, key=lambda g: g.distance(start))
    if line.distance(start) > 2.0 * step_m:
        raise GeometryError("coast", f"the equidistance line passes {line.distance(start):.0f} m from the end of the "
                                     "land boundary")
    return geometry.oriented(line, start)


def from_start(line: LineString, start: Point) -> LineString:
    """``line`` seaward of its point nearest to ``start``, beginning exactly at ``start``.

    Parameters
    ----------
    line : LineString
        Metric CRS (m), oriented seaward.
    start : Point
        Metric; its projection on ``line`` (planar) is where the result is cut.

    Returns
    -------
    LineString
        Metric: ``start``, then ``line``'s vertices past the cut (the cut point itself is replaced by ``start``
        unless they are within 1e-9 m).
    """
    s0 = line.project(start)
    rest = substring(line, s0, line.length)
    coords = [start.coords[0], *rest.coords[1:]] if Point(rest.coords[0]).distance(start) > 1e-9 else rest.coords
    return LineString(coords)


def nearer_distance(xy: np.ndarray, index: dict[str, geometry.Segments], geo: Geodesy) -> np.ndarray:
    """Geodesic distance from each metric point to the nearer of the baselines.

    Parameters
    ----------
    xy : array_like (n, 2)
        Points, metric CRS (m).
    index : dict of str to pipeline.geometry.Segments
        Each side's baseline (metric), indexed.
    geo : Geodesy
        The run's metric CRS and datum path.

    Returns
    -------
    ndarray (n,)
        Metres on WGS 84 (:meth:`Geodesy.distance_to_line`).
    """
    return np.minimum.reduce([geo.distance_to_line(xy, seg)[0] for seg in index.values()])


def cut_at_breadth(line: LineString, *, index: dict[str, geometry.Segments], geo: Geodesy, breadth_m: float,
                   step_m: float = 50.0) -> LineString:
    """``line`` up to where its geodesic distance to the nearer baseline first reaches ``breadth_m``.

    Distances are computed for vertices every ``step_m`` at once, then for 1,000 points within the bracketing
    interval, and the crossing is interpolated linearly between the two samples around it (error far
    below a millimetre: the distance is smooth at that scale).

    Parameters
    ----------
    line : LineString
        Metric CRS (m), starting near the coast and running seaward.
    index : dict of str to pipeline.geometry.Segments
        Each side's baseline (metric), indexed.
    geo : Geodesy
        The run's metric CRS and datum path.
    breadth_m : float
        The territorial sea's breadth, metres on WGS 84.
    step_m : float
        Spacing (m, planar along ``line``) of the first, coarse samples.

    Returns
    -------
    LineString
        Metric: ``line`` from its start to the point at ``breadth_m`` from the nearer baseline.

    Raises
    ------
    GeometryError
        ("coast") when the line never gets ``breadth_m`` from the baselines within the data (or starts beyond it).
    """
    ss = np.append(np.arange(0.0, line.length, step_m), line.length)
    d = nearer_distance(shapely.get_coordinates(shapely.line_interpolate_point(line, ss)), index, geo)
    over = np.flatnonzero(d >= breadth_m)
    if len(over) == 0 or over[0] == 0:
        raise GeometryError("coast", f"the maritime line leaves the coast data's extent before it is "
                                     f"{breadth_m:,.0f} m from the coast (extend inputs.coast_extent seaward)")
    lo, hi = ss[over[0] - 1], ss[over[0]]
    fine = np.linspace(lo, hi, 1001)
    d = nearer_distance(shapely.get_coordinates(shapely.line_interpolate_point(line, fine)), index, geo)
    k = int(np.flatnonzero(d >= breadth_m)[0])
    s_end = fine[k - 1] + (breadth_m - d[k - 1]) / (d[k] - d[k - 1]) * (fine[k] - fine[k - 1])
    return substring(line, 0.0, float(s_end))


# ---------------------------------------------------------------------------------------------- limits
def limit_lines(*, base: Baselines, sides: tuple[str, str], breadth_m: float, quad_segs: int, geo: Geodesy,
                index: dict[str, geometry.Segments] | None = None) -> dict[str, BaseGeometry]:
    """Each side's full outer-limit line: its baseline's ``breadth_m`` buffer boundary, corrected to the ellipsoid.

    The buffer boundary is drawn in the metric CRS, each vertex then moved along the line from its nearest
    baseline point so that its distance is ``breadth_m`` on the ellipsoid (:func:`scale_corrected`), and kept
    within the sea.

    Parameters
    ----------
    base : Baselines
        The sea and each side's baseline (metric CRS, m).
    sides : (str, str)
        The two state codes.
    breadth_m : float
        The territorial sea's breadth, metres (on WGS 84 after the correction).
    quad_segs : int
        Segments per quarter circle of the buffers (``maritime.buffer_quad_segs``).
    geo : Geodesy
        The run's metric CRS (its point scale corrects the buffers).
    index : dict of str to Segments, optional
        The baselines' :class:`~pipeline.geometry.Segments` by side, when already built (else built here).

    Returns
    -------
    dict of str to geometry
        Side -> its limit line(s) in the sea (metric; LineString or MultiLineString), on both sides of any
        boundary (:func:`territorial_limits` keeps each side's own).
    """
    # the union of the parts' buffers, not the buffer of the multi-part line: the same area, but GEOS takes
    # minutes on a coastline in hundreds of pieces (a staircase water edge crossing it) and < 1 s this way
    out = {}
    for s in sides:
        area = shapely.union_all(shapely.buffer(shapely.get_parts(base.baseline[s]), breadth_m, quad_segs=quad_segs))
        baseline = index[s] if index is not None else base.baseline[s]     # the baselines' Segments, if built
        out[s] = scale_corrected(area.boundary, baseline, geo).intersection(base.sea)
    return out


def scale_corrected(limit: BaseGeometry, baseline: BaseGeometry | geometry.Segments, geo: Geodesy) -> BaseGeometry:
    """A buffer boundary drawn in the metric CRS, moved so that its distance to the baseline is right on the ellipsoid.

    Each vertex is moved along the line from its nearest baseline point by the projection's mean point scale
    along that line. A buffer of radius r in a conformal projection is r / k on the ellipsoid, k the point scale
    along the way (1 + 10-60 ppm in the local transverse Mercator at 12 nmi from its centre: 0.2-1.5 m over
    22 km); the distance from the nearest baseline point is multiplied by k averaged with Simpson's rule over the
    two ends and the middle. Hand-written: GEOS buffers in the plane, and no library buffers on the ellipsoid.

    Parameters
    ----------
    limit : shapely geometry
        The buffer's boundary, metric CRS (m).
    baseline : shapely geometry or Segments
        The (multi)line it buffers, metric (or its :class:`~pipeline.geometry.Segments`, when already built).
    geo : Geodesy
        The run's metric CRS (:meth:`Geodesy.point_scale`).

    Returns
    -------
    shapely geometry
        ``limit`` with every vertex moved (same type, metric).
    """
    seg = baseline if isinstance(baseline, geometry.Segments) else geometry.Segments(baseline)

    def fix(xy: np.ndarray) -> np.ndarray:
        _, _, q = seg.nearest(xy)
        k0, km, k1 = geo.point_scale(np.vstack([q, (q + xy) / 2, xy])).reshape(3, len(xy))
        return q + (xy - q) * ((k0 + 4 * km + k1) / 6)[:, None]

    return shapely.transform(limit, fix)


def territorial_limits(*, lines: dict[str, BaseGeometry], sides: tuple[str, str], divider: LineString
                       ) -> dict[str, MultiLineString]:
    """Each side's outer limit: its full limit line (:func:`limit_lines`) kept on its own side of ``divider``.

    Pieces of 1 m or less (planar) are dropped; the rest are merged where they touch.

    Parameters
    ----------
    lines : dict of str to geometry
        Side -> its full limit line (metric CRS, m).
    sides : (str, str)
        The two state codes; the first side's limit is kept left of ``divider``, the second's right.
    divider : LineString
        The boundary in use continued seaward (metric), oriented seaward.

    Returns
    -------
    dict of str to MultiLineString
        Side -> its limit (metric); empty when none of it lies on its side.
    """
    out = {}
    along = geometry.Segments(divider)                                    # indexed once for both sides
    for k, side in enumerate(sides):
        pieces = [p for p in geometry.lines(shapely.difference(lines[side], divider.buffer(1e-6)))
                  if p.length > 1.0]
        reps = np.array([p.interpolate(0.5, normalized=True).coords[0] for p in pieces]).reshape(-1, 2)
        on = geometry.side_of_line(reps, divider, segments=along)
        keep = [p for p, v in zip(pieces, on) if v == (1 if k == 0 else -1)]
        out[side] = MultiLineString(geometry.merged(MultiLineString(keep)) if keep else [])
    return out


def limit_error_m(*, limit: BaseGeometry, baseline: BaseGeometry | geometry.Segments, geo: Geodesy, breadth_m: float,
                  n_points: int) -> float:
    """How far a limit is from lying at ``breadth_m`` from its baseline, measured on the ellipsoid.

    Parameters
    ----------
    limit : shapely geometry
        The limit's line(s), metric CRS (m).
    baseline : shapely geometry or pipeline.geometry.Segments
        The baseline it was drawn from (metric), or its index.
    geo : Geodesy
        The run's metric CRS and datum path.
    breadth_m : float
        The territorial sea's breadth, metres.
    n_points : int
        Points checked, spread along ``limit`` in proportion to each part's length (at least 2 per part).

    Returns
    -------
    float
        Worst |geodesic distance to ``baseline`` - ``breadth_m``|, metres; NaN for an empty limit.
    """
    parts = geometry.lines(limit)
    total = sum(p.length for p in parts)
    if total == 0:
        return float("nan")
    xy = np.vstack([shapely.get_coordinates(shapely.line_interpolate_point(
        p, np.linspace(0.0, p.length, max(2, int(round(n_points * p.length / total)))))) for p in parts])
    d, _ = geo.distance_to_line(xy, baseline)
    return float(np.max(np.abs(d - breadth_m)))


# --------------------------------------------------------------------------------------- agreed line
def agreed_line(*, start: tuple[str, Point], points: list[tuple[str, tuple[float, float]]], kinds: list[str],
                geo: Geodesy, step_m: float) -> tuple[LineString, tuple[AgreedSegment, ...]]:
    """The agreed line from ``start`` through ``points``, each segment a geodesic or a rhumb line.

    Vertices are at most ``step_m`` apart, so the line stays that line in any viewer.

    Parameters
    ----------
    start : (str, Point)
        Id and point (metric CRS) of the line's start: the mouth point B, or the crossing of the closing line.
    points : list of (str, (float, float))
        Id and (longitude, latitude) in degrees (WGS 84) of each further point, the last the end point.
    kinds : list of str
        "geodesic" or "rhumb" for each segment, in order; empty: every segment a geodesic.
    geo : Geodesy
        The run's metric CRS and datum path.
    step_m : float
        Largest spacing of the vertices, metres along the line.

    Returns
    -------
    line : LineString
        The whole line, metric.
    segments : tuple of AgreedSegment
        One per segment: its ends' ids, kind, line (metric), geodesic length of the line as drawn (m, WGS 84)
        and initial azimuth (deg from true north, [0, 360)).
    """
    ids = [start[0]] + [p[0] for p in points]
    lls = [geo.point_lonlat(start[1])] + [p[1] for p in points]
    coords = [np.asarray(start[1].coords)[0]]
    segs = []
    for i, (a, b) in enumerate(zip(lls, lls[1:])):
        kind = kinds[i] if kinds else "geodesic"
        if kind == "rhumb":
            n = max(2, int(np.ceil(GEOD.inv(a[0], a[1], b[0], b[1])[2] / step_m)) + 1)
            path = rhumb_path(a, b, n)
        else:
            path = geodesic_path(a, b, step_m)
        xy = geo.lonlat_to_metric(path)
        seg = LineString(np.vstack([coords[-1], xy[1:]]))
        coords.extend(xy[1:])
        length = float(GEOD.line_length(path[:, 0], path[:, 1]))
        az = float(GEOD.inv(a[0], a[1], path[1, 0], path[1, 1])[0] % 360.0)
        segs.append(AgreedSegment(ids[i], ids[i + 1], kind, seg, length, az))
    return LineString(coords), tuple(segs)


def extended(line: LineString, *, geo: Geodesy, length_m: float, step_m: float) -> LineString:
    """``line`` continued past its end along the geodesic of its last segment.

    Parameters
    ----------
    line : LineString
        Metric CRS (m).
    geo : Geodesy
        The run's metric CRS and datum path.
    length_m : float
        How far past the end, metres on WGS 84.
    step_m : float
        Largest spacing (m) of the added vertices.

    Returns
    -------
    LineString
        Metric: ``line``'s vertices, then the continuation's.
    """
    (x0, y0), (x1, y1) = line.coords[-2], line.coords[-1]
    (lon0, lat0), (lon1, lat1) = geo.metric_to_lonlat(np.array([[x0, y0], [x1, y1]]))
    az = GEOD.inv(lon0, lat0, lon1, lat1)[1] + 180.0   # forward azimuth at the end point
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, az, length_m)
    more = geo.lonlat_to_metric(geodesic_path((lon1, lat1), (lon2, lat2), step_m))
    return LineString(np.vstack([np.asarray(line.coords), more[1:]]))


def crossings(*, line: LineString, limits: dict[str, BaseGeometry]) -> dict[str, Point | None]:
    """The first point where ``line`` meets each side's limit.

    Parameters
    ----------
    line : LineString
        Metric CRS (m), from its start seaward.
    limits : dict of str to geometry
        Side -> its limit line(s), metric.

    Returns
    -------
    dict of str to Point or None
        Side -> the crossing reached first along ``line`` (metric); None where ``line`` meets that limit in no
        point.
    """
    out: dict[str, Point | None] = {}
    for side, limit in limits.items():
        x = geometry.parts(line.intersection(limit), "Point")
        out[side] = min(x, key=line.project) if x else None
    return out


def areas_between(*, agreed: LineString, equidistance: LineString, agreed_divider: LineString,
                  equidistance_divider: LineString, sides: tuple[str, str], geo: Geodesy) -> tuple[AreaPiece, ...]:
    """The faces between the agreed and the equidistance line, each with its geodesic area and the state it falls to
    under either line.

    The faces are closed by straight segments at both ends (:func:`pipeline.geometry.faces_between`); a face's
    state is the side of each divider its representative point lies on.

    Parameters
    ----------
    agreed, equidistance : LineString
        The two lines, metric CRS (m), both oriented seaward.
    agreed_divider, equidistance_divider : LineString
        Each continued seaward (metric): the lines the states are decided by.
    sides : (str, str)
        The state codes left and right of the lines looking seaward.
    geo : Geodesy
        The run's metric CRS (areas are measured on WGS 84).

    Returns
    -------
    tuple of AreaPiece
        Largest first: face (metric), area (km2, geodesic), state under the agreed line, state under the
        equidistance line.
    """
    out = []
    faces = geometry.faces_between(agreed, equidistance)
    reps = np.array([f.representative_point().coords[0] for f in faces]).reshape(-1, 2)
    agreed_sides = geometry.side_codes(reps, agreed_divider, sides)       # each divider indexed once
    eq_sides = geometry.side_codes(reps, equidistance_divider, sides)
    for face, under_agreed, under_eq in zip(faces, agreed_sides, eq_sides):
        out.append(AreaPiece(face, geodesic_area_m2(geo.to_lonlat(face)) / 1e6, under_agreed, under_eq))
    out.sort(key=lambda a: -a.area_km2)
    return tuple(out)


# -------------------------------------------------------------------------------------------- the stage
def maritime_boundary(*, land: dict[str, BaseGeometry], water: BaseGeometry, frame: BaseGeometry,
                      closing_line: LineString, crossing: Point, junction: Point, junction_id: str,
                      agreed: AgreedSpec, sides: tuple[str, str], geo: Geodesy, settings: MaritimeCfg,
                      snap_m: float) -> MaritimeResult:
    """Stage 4: the maritime boundary from ``junction`` seaward, the 12-nm limits, and the comparisons.

    Parameters
    ----------
    land : dict
        State code -> its land (metric CRS of ``geo``).
    water : Polygon or MultiPolygon
        The river's water area (metric); cut from the land to make the coastlines.
    frame : Polygon
        The data extent (metric): coastline along its edge is not coast.
    closing_line : LineString
        The river mouth's closing line (metric; UNCLOS art. 9): each side's half is part of its baseline.
    crossing : Point
        Where the channel line meets the closing line (metric): the baselines' halves meet there and the
        equidistance line starts there.
    junction : Point
        Where the land boundary ends and the maritime boundary starts (metric; treaty point B, or ``crossing``).
    junction_id : str
        Its label ("B", or the rule that computed it).
    agreed : AgreedSpec
        The treaty's agreed line (points in WGS 84); no points: no agreed line (``settings.method`` must then be
        "equidistance").
    sides : (str, str)
        The state codes left and right of the river looking downstream.
    geo : Geodesy
        The run's metric CRS; every distance judged is geodesic on WGS 84.
    settings : MaritimeCfg
        ``[maritime]``: method, breadth (nmi and the nautical mile in m), baseline spacings (m), buffer segments,
        output vertex spacing (m), points per checked limit.
    snap_m : float
        Distance (m) within which water counts as touching land (``land.mouth_snap_m``).

    Returns
    -------
    MaritimeResult
        The boundary in use, the baselines, limits and equidistance line (metric), their measured errors (m),
        the agreed line's segments, and the areas between the agreed and the equidistance line (km2).

    Raises
    ------
    GeometryError
        ("coast") when the coast data give no sea, a side no coastline, or no equidistance line out to the
        breadth; ("points") when ``settings.method`` is "treaty" and ``agreed`` has no points.
    """
    m = settings
    base = baselines(land=land, water=water, frame=frame, closing_line=closing_line, crossing=crossing,
                     sides=sides, snap_m=snap_m)
    index = {s: geometry.Segments(base.baseline[s]) for s in sides}
    eq = _equidistance(base=base, index=index, crossing=crossing, sides=sides, geo=geo, settings=m)
    ag = _agreed(agreed=agreed, start=(junction_id, junction), geo=geo, settings=m) if agreed.points else None
    if m.method == "treaty":
        if ag is None:
            raise GeometryError("points", "the treaty method needs the end point E")
        boundary, divider = ag.line, ag.divider
    else:
        boundary = LineString([junction.coords[0], *eq.line.coords]) \
            if Point(eq.line.coords[0]).distance(junction) > 0 else eq.line
        divider = eq.divider
    buffers = limit_lines(base=base, sides=sides, breadth_m=m.breadth_m, quad_segs=m.buffer_quad_segs, geo=geo,
                          index=index)
    limits = territorial_limits(lines=buffers, sides=sides, divider=divider)
    errors = {s: limit_error_m(limit=limits[s], baseline=index[s], geo=geo, breadth_m=m.breadth_m,
                               n_points=m.limit_check_points) for s in sides}
    end = np.asarray(boundary.coords[-1:])
    end_d = {s: float(geo.distance_to_line(end, index[s])[0][0]) for s in sides}
    cross: dict[str, Point | None] = {s: None for s in sides}
    areas: tuple[AreaPiece, ...] = ()
    if ag is not None:
        cross = crossings(line=extended(ag.line, geo=geo, length_m=m.breadth_m / 4, step_m=m.line_densify_m),
                          limits=buffers)
        areas = areas_between(agreed=ag.line, equidistance=eq.line, agreed_divider=ag.divider,
                              equidistance_divider=eq.divider, sides=sides, geo=geo)
    return MaritimeResult(m.method, boundary, base, limits, errors, eq.line, eq.error_m, eq.start_gap_m,
                          *(ag.line, ag.rhumb, ag.rhumb_separation_m) if ag else (None, None, None),
                          end_d, cross, areas, ag.segments if ag else (), ag.beyond if ag else None)


@dataclass(frozen=True)
class _Equidistance:
    line: LineString          # from the crossing to the 12-nm limit (metric)
    divider: LineString       # the whole median line from the crossing seaward (metric)
    error_m: float            # worst |d(left) - d(right)| along ``line``, geodesic
    start_gap_m: float        # the raw median line's distance from the crossing


def _equidistance(*, base: Baselines, index: dict, crossing: Point, sides: tuple[str, str], geo: Geodesy,
                  settings: MaritimeCfg) -> _Equidistance:
    """The equidistance line between the two baselines from ``crossing`` to the breadth, and its error."""
    m = settings
    raw = median_line(base=base, sides=sides, start=crossing, reach_m=m.search_radius_factor * m.breadth_m,
                      step_m=m.coast_densify_m, fine_step_m=m.mouth_densify_m, fine_radius_m=m.mouth_densify_radius_m)
    divider = from_start(raw, crossing)
    line = cut_at_breadth(divider, index=index, geo=geo, breadth_m=m.breadth_m)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(
        line, np.linspace(1.0, line.length, m.limit_check_points)))
    error = float(np.max(np.abs(geo.distance_to_line(xy, index[sides[0]])[0]
                                - geo.distance_to_line(xy, index[sides[1]])[0])))
    return _Equidistance(line, divider, error, float(raw.distance(crossing)))


@dataclass(frozen=True)
class _Agreed:
    line: LineString                         # junction -> E (metric)
    segments: tuple[AgreedSegment, ...]
    rhumb: LineString                        # the same points joined by rhumb lines, for comparison
    rhumb_separation_m: float
    divider: LineString                      # ``line`` continued one breadth past E
    beyond: LineString | None                # the treaty's line past E


def _agreed(*, agreed: AgreedSpec, start: tuple[str, Point], geo: Geodesy, settings: MaritimeCfg) -> _Agreed:
    """The agreed line through the treaty's points, its rhumb-line twin, and its continuations."""
    step = settings.line_densify_m
    points = list(agreed.points)
    line, segments = agreed_line(start=start, points=points, kinds=list(agreed.kinds), geo=geo, step_m=step)
    rhumb, _ = agreed_line(start=start, points=points, kinds=["rhumb"] * len(points), geo=geo, step_m=step)
    beyond = None
    if agreed.beyond:
        beyond, _ = agreed_line(start=(points[-1][0], Point(line.coords[-1])), points=list(agreed.beyond),
                                kinds=[], geo=geo, step_m=step)
    return _Agreed(line, segments, rhumb, geo.separation(rhumb, line, step / 10)[0],
                   extended(line, geo=geo, length_m=settings.breadth_m, step_m=step), beyond)


