"""Wires the stages together: Inputs -> land line -> tripoint -> maritime -> figures for the report.

Pure: takes the loaded :class:`~pipeline.load.Inputs` and the config, returns a :class:`Result`.
Geometry failures are turned into :class:`InputError` naming the input file at fault.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from rasterio.transform import rowcol
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring

from . import land_line, maritime, tripoint
from .check import Check, accuracy_checks, as_dicts, length_checks
from .config import Config
from .errors import InputError
from .geodesy import geodesic_distance, geodesic_length, reproject, scale_error, to_lonlat, transformer
from .land_line import GeometryError
from .load import Inputs

log = logging.getLogger(__name__)


@dataclass
class Result:
    metric_crs: object
    mouth: land_line.Mouth
    middle: land_line.MiddleLine
    land_boundary: LineString          # the border (middle line or thalweg per config), metric
    middle_boundary: LineString        # middle line, tripoint -> mouth
    thalweg: land_line.Thalweg | None
    tripoint: tripoint.Tripoint
    tripoint_alt: tripoint.Tripoint | None
    maritime: maritime.Maritime
    baselines: maritime.Baselines
    reference: dict[str, LineString] | None
    water: object                      # the river water area (metric)
    points: dict                       # treaty points by id
    report: dict = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


@contextmanager
def stage(name: str, timings: dict):
    t0 = time.perf_counter()
    log.info("stage %s ...", name)
    yield
    timings[name] = time.perf_counter() - t0
    log.info("stage %s done in %.2f s", name, timings[name])


@contextmanager
def blame(path, what: str):
    """Turn a GeometryError into an InputError naming ``path``."""
    try:
        yield
    except GeometryError as exc:
        raise InputError(path, f"{what}: {exc}") from None


def _depth_sampler(inp: Inputs):
    g = inp.depth
    t = transformer(inp.metric_crs, g.crs)

    def sample(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        r, c = (np.asarray(v) for v in rowcol(g.transform, x, y))
        ok = (r >= 0) & (r < g.depth.shape[0]) & (c >= 0) & (c < g.depth.shape[1])
        out = np.full(len(xy), np.nan)
        out[ok] = g.depth[r[ok], c[ok]]
        return out

    return sample


def _monument_args(p) -> tuple[str, str, str, float, float]:
    return (p.id, p.name, p.datum, p.lon_wgs84, p.lat_wgs84)


def compute(inp: Inputs, cfg: Config, timings: dict | None = None) -> Result:
    timings = {} if timings is None else timings
    ic, sides = cfg.inputs, (cfg.sides.left, cfg.sides.right)
    metric = inp.metric_crs
    land_union = shapely.union_all(list(inp.land.values()))

    with stage("land_line", timings), blame(ic.river, "river"):
        mouth = land_line.find_mouth(inp.water, land_union, cfg.land.mouth_snap_m, cfg.land.min_mouth_width_m)
        depth_at = _depth_sampler(inp) if (inp.depth is not None and cfg.land.main_channel == "deepest") else None
        middle = land_line.middle_line(inp.water, mouth, cfg.land.bank_densify_m, cfg.land.mouth_snap_m,
                                       cfg.land.width_exponent, depth_at, cfg.land.simplify_m)

    with stage("tripoint", timings), blame(ic.points, "treaty points"):
        origin = inp.points[cfg.tripoint.monument]
        monuments = [p for p in inp.points.values() if p.kind == "monument"]
        tp = tripoint.locate_tripoint(middle.line, metric, _monument_args(origin),
                                      [_monument_args(p) for p in monuments], cfg.tripoint.monument_max_distance_m)
        tp_alt = None
        if cfg.tripoint.compare_monument:  # load.py checked that every id the config names exists
            tp_alt = tripoint.locate_tripoint(middle.line, metric, _monument_args(inp.points[cfg.tripoint.compare_monument]),
                                              [], cfg.tripoint.monument_max_distance_m)

    with stage("land_boundary", timings), blame(ic.river, "river"):
        middle_bd = land_line.land_boundary(middle.line, tp.point, mouth)
        thal = None
        if inp.depth is not None:
            g = inp.depth
            to_g, from_g = transformer(metric, g.crs), transformer(g.crs, metric)
            thal = land_line.thalweg(g.depth, g.transform, to_g.transform, from_g.transform,
                                     reproject(inp.water, metric, g.crs), tp.point, Point(middle_bd.coords[-1]),
                                     cfg.land.thalweg_depth_exponent, cfg.land.thalweg_smooth_cells)
        border = thal.line if cfg.land.border_line == "thalweg" else middle_bd
        land_end = Point(border.coords[-1])

    with stage("maritime", timings), blame(ic.coast, "coast"):
        bl = maritime.baselines(inp.land, inp.water, inp.frame, mouth.closing_line, land_end, sides,
                                cfg.land.mouth_snap_m)
        m = cfg.maritime
        radius = m.territorial_sea_nm * m.nautical_mile_m
        mar = maritime.maritime_boundary(
            bl, sides, land_end, metric, method=m.method, radius=radius, densify_m=m.coast_densify_m,
            quad_segs=m.buffer_quad_segs, check_points=m.limit_check_points, azimuth_deg=m.azimuth_deg,
            end_lonlat=(m.end_lon, m.end_lat) if m.end_lon is not None else None)

    reference = None
    if inp.reference is not None:
        with stage("validation", timings), blame(ic.reference, "reference border"):
            edge = maritime.shared_edge(inp.reference[sides[0]], inp.reference[sides[1]], cfg.land.mouth_snap_m)
            if Point(edge.coords[0]).distance(tp.point) > Point(edge.coords[-1]).distance(tp.point):
                edge = LineString(edge.coords[::-1])
            s = edge.project(land_end)
            reference = {"river": substring(edge, 0, s), "sea": substring(edge, s, edge.length)}

    result = Result(metric, mouth, middle, border, middle_bd, thal, tp, tp_alt, mar, bl, reference, inp.water, inp.points)
    with stage("report", timings):
        result.report = build_report(result, inp, cfg)
    result.checks = length_checks(result.report["land"]["length_m"], result.report["maritime"]["length_m"], cfg) \
        + accuracy_checks(result.report, cfg)
    result.report["checks"] = as_dicts(result.checks)
    result.report["passed"] = result.passed
    return result


def _ll(p: Point, metric) -> list[float]:
    q = to_lonlat(p, metric)
    return [round(q.x, 8), round(q.y, 8)]


def _r(x: float | None, nd: int = 3):
    return None if x is None else round(float(x), nd)


def build_report(r: Result, inp: Inputs, cfg: Config) -> dict:
    metric = r.metric_crs
    land_len = geodesic_length(to_lonlat(r.land_boundary, metric))
    middle_len = geodesic_length(to_lonlat(r.middle_boundary, metric))
    thal_len = geodesic_length(to_lonlat(r.thalweg.line, metric)) if r.thalweg else None
    sea_len = geodesic_length(to_lonlat(r.maritime.line, metric))
    sc = scale_error(metric, inp.lonlat_bounds, cfg.official.sea_length_m)
    land_end = Point(r.land_boundary.coords[-1])
    end_ll = to_lonlat(land_end, metric)
    b = inp.points[cfg.mouth.treaty_point]
    off, off_az = tripoint.mouth_offset(end_ll, b.lon_wgs84, b.lat_wgs84)
    tp = r.tripoint
    rep: dict = {
        "crs": {"metric": metric.srs, "max_scale_error_ppm": _r(sc.max_ppm, 2),
                "length_error_over_sea_length_m": _r(sc.length_error_m, 3)},
        "land": {
            "border_line": cfg.land.border_line,
            "length_m": _r(land_len), "middle_line_length_m": _r(middle_len), "thalweg_length_m": _r(thal_len),
            "main_channel_rule": "deepest" if (cfg.land.main_channel == "deepest" and inp.depth) else "widest",
            "islands": [dict(i.__dict__, area_m2=_r(i.area_m2, 0), taken_width_m=_r(i.taken_width_m, 1),
                             other_width_m=_r(i.other_width_m, 1)) for i in r.middle.islands],
            "middle_line_equidistance_error_m": _r(r.middle.max_equidistance_error_m),
            "shore_points": r.middle.n_generators,
            "thalweg_cells": r.thalweg.cells if r.thalweg else None,
            "thalweg_smoothed_fraction": _r(r.thalweg.smoothed_vertices_kept) if r.thalweg else None,
            "thalweg_to_middle_hausdorff_m": _r(shapely.hausdorff_distance(r.thalweg.line, r.middle_boundary), 1)
            if r.thalweg else None,
        },
        "tripoint": {
            "monument": cfg.tripoint.monument, "lon": _r(tp.lon, 8), "lat": _r(tp.lat, 8),
            "lon_pulkovo1942": _r(tp.lon_pulkovo, 8), "lat_pulkovo1942": _r(tp.lat_pulkovo, 8),
            "pulkovo_transform": tp.pulkovo_transform,
            "perpendicular_deviation_deg": _r(tp.perpendicular_deviation_deg, 4),
            "monuments": [dict(m.__dict__, distance_m=_r(m.distance_m), azimuth_deg=_r(m.azimuth_deg, 4),
                               back_azimuth_deg=_r(m.back_azimuth_deg, 4), lon=_r(m.lon, 8), lat=_r(m.lat, 8))
                          for m in tp.monuments],
        },
        "datums": [],
        "mouth": {"closing_line_length_m": _r(r.mouth.closing_line.length, 1),
                  "closing_line_ends": [_ll(Point(c), metric) for c in r.mouth.closing_line.coords],
                  "other_openings_m": [_r(o.length, 1) for o in r.mouth.other_openings],
                  "land_end": [round(end_ll.x, 8), round(end_ll.y, 8)], "treaty_point": cfg.mouth.treaty_point,
                  "treaty_lonlat": [b.lon_wgs84, b.lat_wgs84], "offset_m": _r(off, 1), "offset_azimuth_deg": _r(off_az, 2)},
        "maritime": {
            "method": r.maritime.method, "length_m": _r(sea_len),
            "radius_m": cfg.maritime.territorial_sea_nm * cfg.maritime.nautical_mile_m,
            "end": _ll(r.maritime.end, metric),
            "end_distance_to_baseline_m": {k: _r(v) for k, v in r.maritime.end_distance_m.items()},
            "limit_error_m": {k: _r(v, 4) for k, v in r.maritime.limit_error_m.items()},
            "equidistance_error_m": _r(r.maritime.equidistance_error_m, 4),
            "start_gap_m": _r(r.maritime.start_gap_m, 4),
            "limit_lengths_m": {k: _r(geodesic_length(to_lonlat(v, metric)), 1) for k, v in r.maritime.limits.items()},
        },
        "total_length_m": _r(land_len + sea_len),
    }
    if r.tripoint_alt is not None:
        a = r.tripoint_alt
        rep["tripoint"]["alternative"] = {
            "monument": cfg.tripoint.compare_monument, "lon": _r(a.lon, 8), "lat": _r(a.lat, 8),
            "distance_from_tripoint_m": _r(geodesic_distance(a.lon, a.lat, tp.lon, tp.lat))}
    for p in inp.points.values():
        if p.transform:
            rep["datums"].append({
                "id": p.id, "datum": p.datum, "crs": p.crs, "published": p.published,
                "lon_lat_published": [p.lon, p.lat], "lon_lat_wgs84": [_r(p.lon_wgs84, 8), _r(p.lat_wgs84, 8)],
                "shift_m": _r(geodesic_distance(p.lon, p.lat, p.lon_wgs84, p.lat_wgs84), 2),
                "transform": p.transform, "transform_accuracy_m": p.transform_accuracy_m})
    if r.reference is not None:
        rep["validation"] = {}
        for part, ours in (("river", r.land_boundary), ("sea", r.maritime.line)):
            c = maritime.compare(ours, r.reference[part], metric)
            rep["validation"][part] = {"reference_length_m": _r(geodesic_length(to_lonlat(r.reference[part], metric)), 1),
                                       "hausdorff_m": _r(c.hausdorff_m, 1), "mean_distance_m": _r(c.mean_m, 1),
                                       "end_distance_m": _r(c.end_distance_m, 1),
                                       "reference_end": _ll(Point(r.reference[part].coords[-1]), metric)}
    return rep
