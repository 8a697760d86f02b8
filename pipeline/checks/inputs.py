"""Checks of the inputs as read: treaty points against independent control figures, and the metric CRS."""
from __future__ import annotations

from ..geodesy import inverse
from . import check, from_files


@check("control_point", tolerance="validation.max_control_offset_m",
       detail="treaty point {key} as read (after its datum transform) to its independent control figure "
              "(inputs.controls)",
       catches="a treaty point read in the wrong datum, a transform that fell back to a coarse operation, or a "
               "mistyped coordinate")
def control_point(r, cfg) -> dict[str, float]:
    """Per treaty point with a control figure: geodesic distance (m) between the two, both in WGS 84."""
    pts = r.inputs.points
    return {pid: float(inverse(*pts[pid].lonlat, *c.lonlat)[1]) for pid, c in r.inputs.controls.items()}


@from_files(control_point)
def _(run, cfg) -> dict[str, float]:
    return dict(run.report.control_offsets_m)


@check("projection_scale_error", unit="ppm", tolerance="crs.max_scale_error_ppm",
       detail="worst scale distortion of the metric CRS over the data extent",
       catches="a metric CRS unsuited to the area (buffers and Voronoi diagrams would be distorted)")
def projection_scale_error(r, cfg) -> float:
    """Worst scale error (ppm) of the run's metric CRS over the data extent."""
    return r.inputs.geo.scale_error_ppm(cfg.crs.scale_samples)


@from_files(projection_scale_error)
def _(run, cfg) -> float:
    return run.report.crs.max_scale_error_ppm
