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
    """The longest common boundary of two territory polygons (e.g. a mapped border), as one line."""
    parts = geometry.merged(a.boundary.intersection(b.buffer(snap_m)))
    if not parts:
        raise GeometryError("reference", "the reference territories share no border")
    return max(parts, key=lambda g: g.length)


def reference_lines(*, reference: dict[str, BaseGeometry], sides: tuple[str, str], tripoint: Point,
                    junction: Point, snap_m: float) -> dict[str, LineString]:
    """The reference border split where it passes nearest to ``junction``: ``river`` and ``sea`` parts."""
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
    """The seaward edge of a reference territory-with-sea polygon: its boundary away from the data extent's
    edge, from other territories and from land by more than ``margin_m``."""
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
    """The comparisons of a run, each labelled independent or not (see the module docstring)."""
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


