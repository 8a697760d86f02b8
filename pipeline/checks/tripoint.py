"""Checks of tripoint A: the two constructions of the treaty (the dividing line, Art. 3(1); the perpendicular
from the monument, Art. 1(1)) judged on each channel line, and the two records of the monument."""
from __future__ import annotations

from ..geodesy import inverse
from . import check, from_files


@check("tripoint_perpendicular", unit="deg", tolerance="tripoint.max_perpendicular_error_deg",
       detail=lambda cfg, key, note: "deviation from 90 deg between the channel's direction (over "
       f"{cfg.tripoint.direction_window_m:g} m) and the geodesic to the monument, at the perpendicular's foot",
       catches="a foot that is not the foot of the perpendicular")
def tripoint_perpendicular(r, cfg) -> float | None:
    """|angle - 90| (deg) at the foot of the perpendicular from the monument on the line in use (None without
    one)."""
    p = r.tripoint.perpendicular
    return p.perpendicular_deviation_deg if p is not None else None


@from_files(tripoint_perpendicular)
def _(run, cfg) -> float | None:
    return run.report.tripoint.perpendicular_deviation_deg


@check("dividing_line_angle", unit="deg", tolerance="tripoint.max_dividing_angle_error_deg",
       detail="|angle - 90 deg| between the dividing line and the {key} line's direction at A (the dividing line is "
              "perpendicular to the centre line by Art. 1(1))",
       catches="a channel line that crosses the dividing line askew (a misplaced channel near the tripoint, or "
               "markers read in the wrong datum)")
def dividing_line_angle(r, cfg) -> dict[str, float]:
    """Per channel line: |angle - 90| (deg) between the dividing line and the line's direction at A."""
    tp = r.tripoint
    if tp.dividing is None:
        return {}
    return {f.line_name: f.perpendicular_deviation_deg for f in (tp.a, tp.on_other_line) if f is not None}


@from_files(dividing_line_angle)
def _(run, cfg) -> dict[str, float]:
    d = run.report.tripoint.dividing
    return dict(d.angle_deviation_deg) if d else {}


@check("tripoint_constructions_agree", tolerance="tripoint.max_construction_distance_m",
       detail="on the {key} line: A on the dividing line (Art. 3(1)) to the foot of the perpendicular from the "
              "monument (Art. 1(1))",
       catches="two readings of the treaty that disagree: a channel misplaced at the tripoint, or a marker in the "
               "wrong datum")
def tripoint_constructions_agree(r, cfg) -> dict[str, float]:
    """Per channel line: geodesic distance (m) from A on the dividing line to the perpendicular's foot."""
    d = r.tripoint.dividing
    return dict(d.construction_distance_m) if d is not None else {}


@from_files(tripoint_constructions_agree)
def _(run, cfg) -> dict[str, float]:
    """Per channel line, from the ``tripoint`` layer: A on that line to the foot of kind ``perpendicular foot``."""
    if run.report.tripoint.dividing is None or "tripoint" not in run.layers:
        return {}
    df = run.frame("tripoint")
    a = {r["line"]: r.geometry for _, r in df.iterrows() if r["kind"] in ("tripoint", "tripoint on the other line")}
    return {r["line"]: run.distance(a.get(r["line"]), r.geometry) for _, r in df.iterrows()
            if r["kind"] == "perpendicular foot"}


@check("monument_records_agree", tolerance="tripoint.max_record_disagreement_m",
       detail="distance between the two records of the monument after their datum transforms",
       catches="a datum transform skipped or applied twice")
def monument_records_agree(r, cfg) -> float | None:
    """Geodesic distance (m) between the two records of the monument in WGS 84 (None without a second record)."""
    if r.tripoint.from_compare_monument is None:
        return None
    a, b = r.inputs.points[cfg.tripoint.monument], r.inputs.points[cfg.tripoint.compare_monument]
    return float(inverse(a.lon_wgs84, a.lat_wgs84, b.lon_wgs84, b.lat_wgs84)[1])


@from_files(monument_records_agree)
def _(run, cfg) -> float | None:
    return run.report.tripoint.record_disagreement_m
