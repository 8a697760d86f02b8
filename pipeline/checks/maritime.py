"""Checks of the maritime boundary: its end on the 12-nm limits, the limits themselves, the equidistance line.

The figures of the limits and the equidistance line are measured by :mod:`pipeline.maritime` (on the ellipsoid,
against the baselines) and stated in ``report.json``; ``tumen-border check`` judges them as stated there
(``report.json`` is protected by the manifest's sha256, see :mod:`pipeline.checks.files`).
"""
from __future__ import annotations

from ..geodesy import inverse
from . import check, from_files, worst


def _judged(cfg) -> bool:
    return cfg.maritime.judge_end_point


@check("end_point_breadth", kind="within", tolerance="maritime.end_tolerance_m",
       target=lambda cfg, key: cfg.territorial_sea_m, applies=_judged,
       detail="geodesic distance from the maritime boundary's end to the {key} baseline",
       catches="an end point off the 12-nm limits: a wrong end point, breadth or baseline")
def end_point_breadth(r, cfg) -> dict[str, float]:
    """Per side: geodesic distance (m) from the boundary's end point to that side's baseline."""
    return dict(r.maritime.end_distance_m)


@from_files(end_point_breadth)
def _(run, cfg) -> dict[str, float]:
    return dict(run.report.maritime.end_distance_to_baselines_m)


@check("agreed_line_meets_limit", tolerance="maritime.end_tolerance_m", applies=_judged, absolute=True,
       detail="where the agreed line (continued past its end) crosses the {key} 12-nm limit, to the end point",
       catches="an agreed line aimed away from where the limits meet")
def agreed_line_meets_limit(r, cfg) -> dict[str, float | None]:
    """Per side: geodesic distance (m) from where the agreed line crosses that side's 12-nm limit to the treaty
    end point (None where it does not cross; no figure without an end point)."""
    if not cfg.treaty.end_point:
        return {}
    end = r.inputs.points[cfg.treaty.end_point].lonlat
    out: dict[str, float | None] = {}
    for side, p in r.maritime.limit_crossings.items():
        out[side] = None if p is None else float(inverse(*r.inputs.geo.point_lonlat(p), *end)[1])
    return out


@from_files(agreed_line_meets_limit)
def _(run, cfg) -> dict[str, float | None]:
    return {c.side: c.distance_to_end_m for c in run.report.maritime.limit_crossings}


@check("territorial_sea_limit_error", tolerance="maritime.max_limit_error_m",
       detail="worst |geodesic distance of a limit point to its baseline - 12 nm|",
       catches="12-nm limits drawn with the wrong radius or distorted by the projection")
def territorial_sea_limit_error(r, cfg) -> float:
    """Worst error (m) of either side's 12-nm limit (NaN when one side's is NaN)."""
    return worst(r.maritime.limit_error_m.values())


@from_files(territorial_sea_limit_error)
def _(run, cfg) -> float:
    return worst(run.report.maritime.limit_error_m.values())


@check("equidistance_error", tolerance="maritime.max_equidistance_error_m",
       detail="worst |d(left baseline) - d(right baseline)| along the equidistance line (geodesic)",
       catches="a median line that is not equidistant (wrong baselines or sites)")
def equidistance_error(r, cfg) -> float:
    """Worst difference (m) of the geodesic distances to the two baselines along the equidistance line."""
    return r.maritime.equidistance_error_m


@from_files(equidistance_error)
def _(run, cfg) -> float:
    return run.report.maritime.equidistance_error_m
