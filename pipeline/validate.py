"""Validation: the computed border against data that did not produce it, and against reference data.

Each comparison says whether it is independent. A comparison with data the inputs were built from (the
roles listed in ``inputs.derived_from_reference``) is a consistency check, never evidence of accuracy.
"""
from __future__ import annotations

import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from . import geometry
from .errors import GeometryError
from .geodesy import Geodesy, inverse
from .model import ValidationRow


def shared_edge(a: BaseGeometry, b: BaseGeometry, snap_m: float) -> LineString:
    """The longest common boundary of two territory polygons (e.g. a mapped border), as one line.

    Parameters
    ----------
    a, b : Polygon or MultiPolygon
        Two territories, in one CRS (the metric CRS, m).
    snap_m : float
        ``a``'s boundary within this distance (m) of ``b`` counts as shared.

    Returns
    -------
    LineString
        The longest merged piece of the shared boundary, in that CRS.

    Raises
    ------
    GeometryError
        ("reference") when the territories share no border.
    """
    parts = geometry.merged(a.boundary.intersection(b.buffer(snap_m)))
    if not parts:
        raise GeometryError("reference", "the reference territories share no border")
    return max(parts, key=lambda g: g.length)


def reference_lines(*, reference: dict[str, BaseGeometry], sides: tuple[str, str], tripoint: Point,
                    junction: Point, snap_m: float) -> dict[str, LineString]:
    """The reference border (the mapped boundary between two territories-with-sea) split into its river and sea parts.

    The shared boundary may be broken (slivers between the territories): the piece that passes the junction is
    taken (the longest among those as near to it), oriented from its end nearer the tripoint, and split where it
    passes nearest to ``junction``.

    Parameters
    ----------
    reference : dict of str to geometry
        State code -> its territory with sea (metric CRS, m).
    sides : (str, str)
        The two state codes.
    tripoint : Point
        A (metric): the border runs from its end nearer A.
    junction : Point
        Where the land boundary meets the maritime boundary (metric).
    snap_m : float
        Boundary within this distance (m) of the other territory counts as shared.

    Returns
    -------
    dict of str to LineString
        ``"river"``: from the end nearer A to the junction; ``"sea"``: from there on (metric).

    Raises
    ------
    GeometryError
        ("reference") when the territories share no border.
    """
    parts = geometry.merged(reference[sides[0]].boundary.intersection(reference[sides[1]].buffer(snap_m)))
    if not parts:
        raise GeometryError("reference", "the reference territories share no border")
    # the mapped border may be broken (slivers between the territories): take the piece that passes the
    # junction, the longest among those as near to it
    near = min(p.distance(junction) for p in parts)
    edge = max((p for p in parts if p.distance(junction) <= near + snap_m), key=lambda g: g.length)
    edge = geometry.oriented(edge, tripoint)
    s = edge.project(junction)
    return {"river": substring(edge, 0.0, s), "sea": substring(edge, s, edge.length)}


def outer_limit(*, reference: dict[str, BaseGeometry], side: str, land: BaseGeometry, frame: BaseGeometry,
                margin_m: float) -> BaseGeometry:
    """The seaward edge of a reference territory-with-sea polygon: its mapped outer limit.

    Its boundary is kept where it lies more than ``margin_m`` from the data extent's edge, from the other
    territories and from land.

    Parameters
    ----------
    reference : dict of str to geometry
        State code -> its territory with sea (metric CRS, m).
    side : str
        The state whose limit is wanted.
    land : geometry
        Every state's land, merged (metric).
    frame : Polygon
        The data extent (metric).
    margin_m : float
        Distance (m) from the extent's edge, other territories and land within which the boundary is not limit.

    Returns
    -------
    shapely geometry
        Lines (metric); empty when no edge qualifies.
    """
    others = shapely.union_all([g for k, g in reference.items() if k != side])
    edge = reference[side].boundary
    edge = edge.difference(frame.exterior.buffer(margin_m)).difference(others.buffer(margin_m))
    return edge.difference(land.buffer(margin_m))


def validations(*, geo: Geodesy, sides: tuple[str, str], breadth_m: float, end_distance_m: dict[str, float],
                end_point_id: str, record_disagreement_m: float | None, monument_id: str,
                mouth_offset_m: float | None, mouth_point_id: str, reference: dict[str, BaseGeometry] | None,
                reference_parts: dict[str, LineString] | None, land_boundary: LineString,
                maritime_boundary: LineString, limits: dict[str, BaseGeometry], land: BaseGeometry,
                frame: BaseGeometry, derived: list[str], step_m: float, margin_m: float) -> list[ValidationRow]:
    """The comparisons of a run, each labelled independent or not (see the module docstring).

    Parameters
    ----------
    geo : Geodesy
        The run's metric CRS and datum path (separations are geodesic on WGS 84).
    sides : (str, str)
        The two state codes.
    breadth_m : float
        The territorial sea's breadth, metres.
    end_distance_m : dict of str to float
        Side -> geodesic distance (m) from the maritime boundary's end to its baseline.
    end_point_id : str
        Id of the treaty end point; "" (e.g. the equidistance method): no end-point row.
    record_disagreement_m : float or None
        Distance (m, geodesic) between the monument's two records in WGS 84; None: no row.
    monument_id : str
        The monument's id, for that row's name.
    mouth_offset_m : float or None
        Distance (m, geodesic) from the treaty mouth point to the channel line's crossing of the closing line;
        None: no row.
    mouth_point_id : str
        The treaty mouth point's id, for that row's name.
    reference : dict of str to geometry or None
        State code -> territory with sea (metric); None: no reference rows.
    reference_parts : dict of str to LineString or None
        The reference border's ``"river"`` and ``"sea"`` parts (:func:`reference_lines`, metric).
    land_boundary, maritime_boundary : LineString
        The computed boundaries (metric).
    limits : dict of str to geometry
        Side -> its computed 12-nm limit (metric).
    land : geometry
        Every state's land, merged (metric).
    frame : Polygon
        The data extent (metric).
    derived : list of str
        Input roles built from the reference (``inputs.derived_from_reference``): a comparison of lines computed
        from them is a consistency check, not independent.
    step_m : float
        Sample spacing (m) along the boundaries; the limits are sampled at 10 x this.
    margin_m : float
        As in :func:`outer_limit` (m).

    Returns
    -------
    list of ValidationRow
        Name, independent or not, what is compared, the figure (m: the worst end-point error, the records'
        disagreement, the mouth offset, or a mean separation) and a detail text.
    """
    rows = []
    if end_point_id:
        worst = max(abs(d - breadth_m) for d in end_distance_m.values())
        rows.append(ValidationRow(
            f"end point {end_point_id} vs the computed 12-nm limits", True, "treaty end point vs coastline data",
            worst, "; ".join(f"{s}: {d:,.1f} m from the baseline" for s, d in end_distance_m.items())
            + f" (breadth {breadth_m:,.0f} m): the treaty point and the coastline are independent sources"))
    if record_disagreement_m is not None:
        rows.append(ValidationRow(
            f"monument {monument_id}: its two records after the datum transforms", True,
            "published WGS-84 figure vs transformed treaty figure", record_disagreement_m,
            "independent publications of the same monument"))
    if mouth_offset_m is not None:
        rows.append(ValidationRow(
            f"treaty point {mouth_point_id} vs where the channel line meets the closing line", True,
            "treaty mouth point vs river and coastline data", mouth_offset_m,
            "the mouth point is a treaty coordinate; the crossing comes from the river and coast inputs"))
    if reference is not None and reference_parts is not None:
        for side in sides:
            edge = outer_limit(reference=reference, side=side, land=land, frame=frame, margin_m=margin_m)
            if edge.is_empty or limits[side].is_empty:
                continue
            largest, mean = geo.separation(limits[side], edge, step_m * 10)
            rows.append(ValidationRow(
                f"{side} 12-nm limit vs the reference's mapped limit", True, "computed limit vs mapped limit",
                mean, f"mean {mean:,.1f} m, largest {largest:,.1f} m over the limit inside the data extent"))
        independent = "river" not in derived
        if reference_parts["river"].length > 0:
            largest, mean = geo.separation(land_boundary, reference_parts["river"], step_m)
            rows.append(ValidationRow(
                "river part vs the reference's mapped river border", independent,
                "computed land boundary vs mapped border", mean,
                f"mean {mean:,.1f} m, largest {largest:,.1f} m"
                + ("" if independent else "; CONSISTENCY CHECK, NOT ACCURACY: the river input was built from this "
                                          "reference (inputs.derived_from_reference)")))
        largest, mean = geo.separation(maritime_boundary, reference_parts["sea"], step_m)
        (lon_a, lat_a), (lon_b, lat_b) = (geo.point_lonlat(Point(g.coords[-1]))
                                          for g in (maritime_boundary, reference_parts["sea"]))
        ends = float(inverse(lon_a, lat_a, lon_b, lat_b)[1])
        rows.append(ValidationRow(
            "sea part vs the reference's mapped sea border", "coast" not in derived,
            "computed maritime boundary vs mapped border", mean,
            f"mean {mean:,.1f} m, largest {largest:,.1f} m, ends {ends:,.1f} m apart; reference only: the mapped "
            "sea line is not the agreed line"))
    return rows


