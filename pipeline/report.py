"""The report: one :class:`~pipeline.model.Report` built from the typed results, rendered as JSON and Markdown.

``report.json`` is the report object as it is (unrounded figures, the schema of :mod:`pipeline.model`);
``report.md`` shows the same numbers, rounded for reading. Nothing here writes files.
"""
from __future__ import annotations

import json

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from . import geometry, land_line, validate
from .config import Config
from .geodesy import geodesic_area_m2, inverse
from .tripoint import distance_m
from .model import (REPORT_SCHEMA, AreaRow, CrsReport, DatumRow, DividingReport, FootReport, IslandRow, LandReport,
                    LimitCrossing, MaritimeReport, MethodRow, MouthReport, Report, Results, SegmentRow,
                    TripointReport, ValidationRow, to_jsonable)

MOUTH_RULES = {
    "point": "the treaty's mouth point, a fixed coordinate",
    "closing_line_centre": "the centre of the river mouth's closing line, wherever the mouth is (computed: the "
                           "treaty fixes no coordinate)",
}
LINE_NAMES = {"thalweg": "the thalweg (deepest line)", "middle": "the middle of the main channel"}


def _ll(geo, p: Point) -> list[float]:
    return list(geo.point_lonlat(p))


def island_rows(r: Results, cfg: Config) -> list[IslandRow]:
    """One row per island: area (m², geodesic on WGS 84), the branch the middle line took and why, the state it
    falls to under the line in use and under the other line, its distance to the land boundary (m).

    Parameters
    ----------
    r : the typed results
    cfg : the run's config (the two states)

    Returns
    -------
    list[IslandRow]
    """
    geo, sides = r.inputs.geo, cfg.sides.pair
    choices = {c.island: c for c in r.channel.middle.islands}
    line, other = r.channel.line_in_use, r.channel.other
    rows = []
    numbered = land_line.islands(water=r.inputs.water, mouth=r.channel.mouth, snap_m=cfg.land.mouth_snap_m)
    boundary = geometry.Segments(r.land.line)          # indexed once for every island
    reps = np.array([p.representative_point().coords[0] for p in numbered.values()]).reshape(-1, 2)
    in_use = geometry.side_codes(reps, line, sides)          # one pass along each line for all islands
    alts = geometry.side_codes(reps, other, sides) if other is not None else [""] * len(reps)
    for (k, isl), side, alt in zip(numbered.items(), in_use, alts):
        d, _ = geo.distance_to_line(np.asarray(isl.exterior.coords), boundary)
        c = choices.get(k)
        rows.append(IslandRow(k, geodesic_area_m2(geo.to_lonlat(isl)), c.taken if c else "not passed",
                              c.taken_width_m if c else 0.0, c.other_width_m if c else 0.0,
                              c.taken_depth_m if c else None, c.other_depth_m if c else None,
                              c.rule if c else "", side, alt, float(d.min())))
    return rows


def land_report(r: Results, cfg: Config) -> LandReport:
    """The land boundary's section of the report: the line in use and why, its lengths (m, geodesic on WGS 84),
    the thalweg against the middle line, the middle line's quality, the islands.

    Parameters
    ----------
    r : the typed results
    cfg : the run's config

    Returns
    -------
    LandReport
    """
    geo, ch, lb = r.inputs.geo, r.channel, r.land
    reason = ("a depth input is given (land.border_line = 'auto' takes the thalweg)" if cfg.land.border_line == "auto"
              and ch.in_use == "thalweg" else "no depth input: the middle of the main channel is used"
              if cfg.inputs.depth is None else f"land.border_line = {cfg.land.border_line!r}")
    in_use_part = lb.thalweg_part if ch.in_use == "thalweg" else lb.middle_part
    sep_max = sep_mean = area = None
    if lb.thalweg_part is not None:
        sep_max, sep_mean = geo.separation(lb.thalweg_part, lb.middle_part, cfg.land.compare_step_m)
        faces = geometry.faces_between(lb.thalweg_part, lb.middle_part)
        area = sum(geodesic_area_m2(geo.to_lonlat(f)) for f in faces) / 1e6
    rows = island_rows(r, cfg)
    per_side = {s: sum(1 for i in rows if i.side_in_use == s) for s in cfg.sides.pair}
    junction = LineString([lb.crossing, lb.junction]) if lb.crossing.distance(lb.junction) > 0 else None
    return LandReport(
        border_line=ch.in_use, border_line_reason=reason,
        main_channel_rule=ch.middle.islands[0].rule if ch.middle.islands else cfg.land.main_channel,
        land_boundary_m=r.figures["land_length"], channel_part_m=geo.length_m(in_use_part),
        junction_segment_m=geo.length_m(junction) if junction is not None else 0.0,
        middle_m=geo.length_m(lb.middle_part),
        thalweg_m=geo.length_m(lb.thalweg_part) if lb.thalweg_part is not None else None,
        separation_max_m=sep_max, separation_mean_m=sep_mean, area_between_km2=area,
        shore_points=ch.middle.shore_points, middle_equidistance_error_m=ch.middle.equidistance_error_m,
        thalweg_cells=ch.thalweg.cells if ch.thalweg else None,
        thalweg_smoothed_fraction=ch.thalweg.smoothed_fraction if ch.thalweg else None,
        islands=rows, islands_per_side=per_side)


def _foot_report(foot, tripoint) -> FootReport | None:
    if foot is None:
        return None
    return FootReport(foot.line_name, foot.monument, foot.lon, foot.lat, foot.distance_m,
                      _nan_none(foot.perpendicular_deviation_deg), distance_m(foot, tripoint))


def _nan_none(v: float) -> float | None:
    return None if v != v else v


def tripoint_report(r: Results, cfg: Config) -> TripointReport:
    """Tripoint A: the rule, its construction and coordinates (WGS 84 lon/lat degrees, and in the second datum),
    distances (m) to the monument and between the constructions, the dividing line when the rule uses one.

    Parameters
    ----------
    r : the typed results
    cfg : the run's config (``tripoint.direction_window_m``)

    Returns
    -------
    TripointReport
    """
    tp = r.tripoint
    a = tp.a
    dividing = None
    if tp.dividing is not None:
        feet = [f for f in (a, tp.on_other_line) if f is not None]
        dividing = DividingReport(
            tp.dividing.marker1, tp.dividing.marker2, tp.dividing.length_m, tp.dividing.azimuth_deg,
            {f.line_name: [f.lon, f.lat] for f in feet}, {f.line_name: f.perpendicular_deviation_deg for f in feet},
            dict(tp.dividing.construction_distance_m))
    return TripointReport(
        rule=tp.rule, article=tp.article, construction=a.construction,
        direction_window_m=cfg.tripoint.direction_window_m,
        line=a.line_name, monument=a.monument, lon=a.lon, lat=a.lat, second_datum=tp.second_datum,
        lon_second_datum=tp.lon_second, lat_second_datum=tp.lat_second,
        second_datum_operation=tp.second_operation, station_m=a.station_m,
        distance_to_monument_m=a.distance_m, angle_deviation_deg=_nan_none(a.perpendicular_deviation_deg),
        perpendicular_deviation_deg=r.figures["tripoint_perpendicular"],
        monuments=list(tp.monuments),
        on_other_line=_foot_report(tp.on_other_line, a), from_compare_monument=_foot_report(tp.from_compare_monument, a),
        record_disagreement_m=r.figures["monument_records_agree"], dividing=dividing,
        perpendicular=_foot_report(tp.perpendicular, a), perpendicular_other=_foot_report(tp.perpendicular_other, a))


def datum_rows(r: Results) -> list[DatumRow]:
    """The treaty points whose datum was not stated or that were transformed: as printed and as read (lon/lat
    degrees), the distance between the two readings (m, geodesic on WGS 84), the operation used.

    Parameters
    ----------
    r : the typed results (the points as loaded)

    Returns
    -------
    list[DatumRow]
    """
    rows = []
    for p in r.inputs.points.values():
        if not p.operation and p.datum_stated:
            continue
        shift = float(inverse(p.lon, p.lat, p.lon_wgs84, p.lat_wgs84)[1])
        rows.append(DatumRow(p.id, p.name, p.datum, p.datum_stated, p.crs_used, p.published, [p.lon, p.lat],
                             [p.lon_wgs84, p.lat_wgs84], shift, p.operation, p.operation_accuracy_m))
    return rows


def mouth_report(r: Results, cfg: Config) -> MouthReport:
    """The mouth: the closing line (length m, ends lon/lat), where the channel line meets it, its offset (m) and
    azimuth (degrees) to the treaty's mouth point, the junction of the land and maritime boundaries.

    Parameters
    ----------
    r : the typed results
    cfg : the run's config (the treaty's mouth point and rule)

    Returns
    -------
    MouthReport
    """
    geo, mouth, lb = r.inputs.geo, r.channel.mouth, r.land
    b = r.inputs.points.get(cfg.treaty.mouth_point) if cfg.treaty.mouth_point else None
    crossing = geo.point_lonlat(lb.crossing)
    az = float(inverse(crossing[0], crossing[1], b.lon_wgs84, b.lat_wgs84)[0]) if b is not None else None
    return MouthReport(
        closing_line_length_m=geo.length_m(mouth.closing_line),
        closing_line_ends=[list(v) for v in geo.metric_to_lonlat(np.asarray(mouth.closing_line.coords))],
        other_openings_m=[geo.length_m(o) for o in mouth.other_openings], crossing=list(crossing),
        treaty_point=cfg.treaty.mouth_point, treaty_lonlat=list(b.lonlat) if b is not None else None,
        offset_m=r.figures["mouth_offset_to_treaty_point"], offset_azimuth_deg=az, junction=_ll(geo, lb.junction),
        junction_gap_m=r.figures["land_sea_junction"], rule=cfg.treaty.mouth_rule, rule_text=MOUTH_RULES[cfg.treaty.mouth_rule]
        if r.maritime.method == "treaty" else "no mouth point: the maritime boundary starts where the channel line "
                                               "meets the closing line")


def maritime_report(r: Results, cfg: Config) -> MaritimeReport:
    """The maritime boundary: method, ends (lon/lat degrees), lengths (m, geodesic on WGS 84), where the agreed
    line meets the 12-nm limits, the methods compared, the areas between the lines (km²), the segments.

    Parameters
    ----------
    r : the typed results
    cfg : the run's config (breadth, the treaty's end point, the validation step)

    Returns
    -------
    MaritimeReport
    """
    geo, mar, sides = r.inputs.geo, r.maritime, cfg.sides.pair
    end_id = cfg.treaty.end_point
    e = r.inputs.points.get(end_id) if end_id else None
    crossings = []
    for side, p in mar.limit_crossings.items():
        if p is None or e is None:
            crossings.append(LimitCrossing(side, None, None, None))
            continue
        lon, lat = geo.point_lonlat(p)
        crossings.append(LimitCrossing(side, lon, lat, r.figures["agreed_line_meets_limit"][side]))
    methods = []
    lines = [("treaty", mar.agreed), ("equidistance", mar.equidistance)]
    for name, line in lines:
        if line is None:
            continue
        end = geo.point_lonlat(Point(line.coords[-1]))
        sep = geo.separation(line, mar.agreed, cfg.validation.step_m * 10) if mar.agreed is not None else (None, None)
        ends = {s: float(geo.distance_to_line(np.asarray(line.coords[-1:]), mar.baselines.baseline[s])[0][0])
                for s in sides}
        methods.append(MethodRow(name, name == mar.method, geo.length_m(line), _ll(geo, Point(line.coords[0])),
                                 list(end), float(inverse(*end, *e.lonlat)[1]) if e is not None else None,
                                 sep[0], sep[1], ends))
    areas = [AreaRow(i + 1, a.area_km2, a.side_agreed, a.side_equidistance) for i, a in enumerate(mar.areas)]
    by_side: dict[str, float] = {}
    for a in mar.areas:
        key = f"{a.side_agreed} under the agreed line, {a.side_equidistance} under equidistance"
        by_side[key] = by_side.get(key, 0.0) + a.area_km2
    agreed_az = mar.segments[0].azimuth_deg if mar.segments else None
    return MaritimeReport(
        method=mar.method, breadth_m=cfg.territorial_sea_m, length_m=r.figures["sea_length"],
        start=_ll(geo, Point(mar.boundary.coords[0])), end=_ll(geo, Point(mar.boundary.coords[-1])),
        end_point=end_id, end_point_lonlat=list(e.lonlat) if e is not None else None,
        end_distance_to_baselines_m=dict(mar.end_distance_m), limit_crossings=crossings,
        agreed_length_m=geo.length_m(mar.agreed) if mar.agreed is not None else None, agreed_azimuth_deg=agreed_az,
        rhumb_length_m=geo.length_m(mar.rhumb) if mar.rhumb is not None else None,
        rhumb_max_separation_m=mar.rhumb_separation_m, limit_error_m=dict(mar.limit_error_m),
        limit_lengths_m={s: geo.length_m(mar.limits[s]) for s in sides},
        equidistance_length_m=geo.length_m(mar.equidistance), equidistance_error_m=mar.equidistance_error_m,
        equidistance_start_gap_m=mar.equidistance_start_gap_m, methods=methods, areas=areas,
        area_total_km2=sum(a.area_km2 for a in mar.areas), area_by_side=by_side,
        segments=segment_rows(r, cfg), beyond=list(cfg.treaty.beyond_points),
        beyond_length_m=geo.length_m(mar.beyond) if mar.beyond is not None else None)


def segment_rows(r: Results, cfg: Config) -> list[SegmentRow]:
    """The agreed line segment by segment: kind, geodesic length (m and nmi), initial azimuth, and the
    published figure where the config has one.

    Parameters
    ----------
    r : the typed results (the agreed line's segments)
    cfg : the run's config (``official.segments``, ``maritime.nautical_mile_m``)

    Returns
    -------
    list[SegmentRow]
    """
    published = {(s["from"], s["to"]): s for s in cfg.official.segments}
    nmi = cfg.maritime.nautical_mile_m
    out = []
    for g in r.maritime.segments:
        p = published.get((g.start, g.end))
        out.append(SegmentRow(g.start, g.end, g.kind, g.length_m, g.length_m / nmi, g.azimuth_deg,
                              float(p["length_m"]) if p else None, float(p["tolerance_m"]) if p else None,
                              str(p.get("source", "")) if p else ""))
    return out


def legal_chain(r: Results, cfg: Config) -> str:
    """The border point for point in words: A → the channel line → B (or the closing line) → each segment → E.

    Parameters
    ----------
    r : the typed results
    cfg : the run's config (the treaty's points and rules)

    Returns
    -------
    str
    """
    chain = f"A (tripoint) → {LINE_NAMES[r.channel.in_use]}"
    if r.tripoint.rule == "start_point":
        chain = chain.replace("A (tripoint)", "A (start point, a model choice)")
    if r.land.junction_id:
        chain += f" → {r.land.junction_id} ({'treaty mouth point' if cfg.treaty.mouth_rule == 'point' else 'computed'})"
    else:
        chain += " → the closing line of the mouth"
    if r.maritime.method == "treaty":
        for g in r.maritime.segments:
            kind = {"geodesic": "straight line (geodesic)", "rhumb": "rhumb line"}[g.kind]
            chain += f" → {kind} → {g.end}" + (" (treaty end point)" if g.end == cfg.treaty.end_point else "")
    else:
        chain += " → equidistance line → the 12-nm limits"
    return chain


def build_report(r: Results, cfg: Config, *, software: dict[str, str]) -> Report:
    """The report of a run: every figure the outputs state, unrounded, from the typed results.

    Parameters
    ----------
    r : the typed results of the run
    cfg : the run's config
    software : library name -> version (:func:`pipeline.export.software_versions`)

    Returns
    -------
    Report
        Lengths and distances in metres (geodesic on WGS 84), areas in m² or km², angles in degrees, coordinates
        as WGS 84 [lon, lat] degrees.
    """
    geo, sides = r.inputs.geo, cfg.sides.pair
    land = land_report(r, cfg)
    mar = maritime_report(r, cfg)
    mouth = mouth_report(r, cfg)
    tp = tripoint_report(r, cfg)
    record = r.figures["monument_records_agree"]
    end_d = dict(r.maritime.end_distance_m)
    rows = validate.validations(
        geo=geo, sides=sides, breadth_m=cfg.territorial_sea_m, end_distance_m=end_d,
        end_point_id=cfg.treaty.end_point if r.maritime.method == "treaty" else "", record_disagreement_m=record,
        monument_id=cfg.tripoint.monument, mouth_offset_m=mouth.offset_m, mouth_point_id=cfg.treaty.mouth_point,
        reference=r.inputs.reference, reference_parts=r.reference, land_boundary=r.land.line,
        maritime_boundary=r.maritime.boundary, limits=r.maritime.limits,
        land=shapely.union_all(list(r.inputs.land.values())), frame=r.inputs.frame,
        derived=list(cfg.inputs.derived_from_reference), step_m=cfg.validation.step_m,
        margin_m=cfg.validation.margin_m)
    if r.reference is not None:
        tr = cfg.treaty
        mapped = shapely.union_all([g for g in r.reference.values() if not g.is_empty])
        for pid in dict.fromkeys([tr.mouth_point, *tr.turning_points, tr.end_point, *tr.beyond_points]):
            if not pid or pid not in r.inputs.points:
                continue
            xy = geo.lonlat_to_metric(np.array([r.inputs.points[pid].lonlat]))
            d = float(geo.distance_to_line(xy, mapped)[0][0])
            rows.append(ValidationRow(
                f"treaty point {pid} vs the reference's mapped border", True, "treaty coordinate vs mapped border",
                d, f"{pid} lies {d:,.1f} m from the mapped border (the reference's common edge of the two "
                   "territories); reference only: how the mapped border treats the treaty's points"))
    for pid, d in r.figures["control_point"].items():
        p, c = r.inputs.points[pid], r.inputs.controls[pid]
        rows.append(ValidationRow(
            f"treaty point {pid} as read vs its control figure", True,
            f"{p.crs_used} reading through {p.operation or 'no operation'} vs {c.source}", d,
            f"{pid} read in {p.crs_used} ({p.operation or 'no transform'}"
            f"{'' if p.operation_accuracy_m is None else f', stated accuracy {p.operation_accuracy_m:g} m'}) lies "
            f"{d:,.2f} m from the control figure {c.lat:.7f}, {c.lon:.7f} ({c.datum})"))
    notes = []
    if cfg.inputs.depth is None:
        notes.append("No depth input: the land boundary follows the middle of the main channel; there is no thalweg.")
    if cfg.inputs.modelled:
        notes.append(f"MODELLED inputs: {', '.join(cfg.inputs.modelled)}. Figures that depend on them (land length, "
                     "tripoint, thalweg, mouth offset, islands) are model results, not survey results.")
    scale = r.figures["projection_scale_error"]
    return Report(
        schema=REPORT_SCHEMA, case=cfg.case.name,
        sides={"left": sides[0], "right": sides[1], "third": cfg.sides.third},
        side_names={c: cfg.sides.name(c) for c in (*sides, cfg.sides.third) if c},
        legal_chain=legal_chain(r, cfg), legal_source=cfg.treaty.source, official_source=cfg.official.source,
        passed=r.passed, checks=list(r.checks), total_length_m=land.land_boundary_m + mar.length_m, land=land,
        tripoint=tp, datums=datum_rows(r), mouth=mouth, maritime=mar, validation=rows,
        crs=CrsReport(geo.metric.name, scale, scale * 1e-6 * r.figures["sea_length"]),
        inputs=dict(r.inputs.files), modelled=list(cfg.inputs.modelled), repairs=list(r.inputs.repairs),
        notes=notes, software=software, control_offsets_m=dict(r.figures["control_point"]))


def to_json(report: Report) -> str:
    """``report.json``: the report as it is (unrounded), indented, UTF-8 text.

    Parameters
    ----------
    report : the report

    Returns
    -------
    str
        The JSON document, ending in a newline.
    """
    return json.dumps(to_jsonable(report), indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------------------ markdown
def _f(v: float | None, nd: int = 1) -> str:
    return "—" if v is None else f"{v:,.{nd}f}"


def _latlon(ll, nd: int = 7) -> str:
    """``[lon, lat]`` as "lat N/S, lon E/W" (hemispheres spelled out, so west longitudes read right)."""
    if ll is None:
        return "—"
    lon, lat = ll[0], ll[1]
    return f"{abs(lat):.{nd}f} {'N' if lat >= 0 else 'S'}, {abs(lon):.{nd}f} {'E' if lon >= 0 else 'W'}"


def tripoint_markdown(tp: TripointReport) -> list[str]:
    """The report's section on A: the rule and its article, both constructions, the monument table.

    Parameters
    ----------
    tp : the report's tripoint section

    Returns
    -------
    list[str]
        Markdown lines (distances in metres, angles in degrees, coordinates WGS 84 lat, lon).
    """
    second = (f"; {_latlon((tp.lon_second_datum, tp.lat_second_datum))} ({tp.second_datum}, via "
              f"{tp.second_datum_operation})" if tp.second_datum else "")
    L = ["## Tripoint A" if tp.rule != "start_point" else "## Start of the land boundary A", "",
         f"Rule `{tp.rule}` ({tp.article}). A = {tp.construction} on {LINE_NAMES[tp.line]}: "
         f"**{_latlon((tp.lon, tp.lat))}** (WGS 84){second}. {_f(tp.distance_to_monument_m, 2)} m from "
         f"`{tp.monument}`."]
    if tp.angle_deviation_deg is not None:
        L[-1] += (f" The channel's direction is measured over {_f(tp.direction_window_m, 0)} m of line; at A it "
                  f"meets the construction at 90° ± {tp.angle_deviation_deg:.5f}°.")
    if tp.rule == "start_point":
        L[-1] += " **A is a model choice, not a treaty point.**"
    L.append("")
    d = tp.dividing
    if d is not None:
        L += [f"Dividing line: the geodesic through `{d.marker1}` and `{d.marker2}` ({_f(d.length_m, 1)} m apart, "
              f"azimuth {d.azimuth_deg:.2f}° at `{d.marker1}`), extended across the river. The perpendicular from "
              "the monument (Art. 1(1)) is computed beside it as a check. Natural changes of the river move "
              "neither the dividing line nor the tripoint (Art. 2): when the channel moves, A stays on this line.",
              "", "| line | A on the dividing line | angle to the line − 90° | perpendicular's foot | "
              "foot to A |", "|---|---|---:|---|---:|"]
        feet = {f.line: f for f in (tp.perpendicular, tp.perpendicular_other) if f is not None}
        for line, ll in d.crossings.items():
            f = feet.get(line)
            foot = _latlon((f.lon, f.lat)) if f else "—"
            L.append(f"| {line} | {_latlon(ll)} | {d.angle_deviation_deg[line]:.3f}° | {foot} | "
                     f"{_f(d.construction_distance_m.get(line), 2)} m |")
        L.append("")
    elif tp.perpendicular_deviation_deg is not None and tp.rule != "perpendicular":
        L += [f"Perpendicular from the monument: 90° ± {tp.perpendicular_deviation_deg:.5f}°.", ""]
    L += ["| monument | datum | lat | lon | distance to A | azimuth to A |", "|---|---|---:|---:|---:|---:|"]
    for m in tp.monuments:
        L.append(f"| {m.id}: {m.name} | {m.datum} | {m.lat:.7f} | {m.lon:.7f} | {_f(m.distance_m, 2)} m | "
                 f"{m.azimuth_deg:.3f}° |")
    for label, f in (("on the other channel line", tp.on_other_line),
                     ("from the other record of the monument", tp.from_compare_monument)):
        if f is not None:
            L.append(f"\nTripoint {label} ({LINE_NAMES[f.line]}, from `{f.monument}`): {_latlon((f.lon, f.lat))}, "
                     f"**{_f(f.distance_to_tripoint_m, 2)} m** from A.")
    return L


def _intro_markdown(rep: Report) -> list[str]:
    """The title, how the figures were computed, the notes, the legal chain and its source."""
    L = [f"# {rep.case} — computed report", "",
         "Every figure was computed by `tumen-border run` from the inputs listed at the end; lengths, distances, "
         "azimuths and areas are geodesic on the WGS-84 ellipsoid (pyproj.Geod). `report.json` holds the same "
         "figures unrounded.", ""]
    for note in rep.notes:
        L += [f"> **Note:** {note}", ""]
    L += ["## The border, point for point", "", f"**{rep.legal_chain}**", ""]
    if rep.legal_source:
        L += [f"Source: {rep.legal_source}", ""]
    return L


def _checks_markdown(rep: Report) -> list[str]:
    """Every check: value, target, tolerance, result and what it would catch; then the overall result."""
    L = ["## Checks", "", "| check | computed | target | tolerance | result | what it would catch |",
         "|---|---:|---:|---:|---|---|"]
    for c in rep.checks:
        target = f"{_f(c.target, 3)} {c.unit}" if c.kind == "within" else "—"
        tol = f"±{_f(c.tolerance, 3)}" if c.kind == "within" else f"≤ {_f(c.tolerance, 4)}"
        L.append(f"| {c.name} | {_f(c.value, 3 if c.kind == 'within' else 4)} {c.unit} | {target} | {tol} {c.unit} | "
                 f"{'PASS' if c.passed else 'FAIL'} | {c.catches} |")
    return L + ["", f"Overall: **{'PASS' if rep.passed else 'FAIL'}**", ""]


def _lengths_markdown(rep: Report) -> list[str]:
    """The table of geodesic lengths (m): land boundary and its parts, both channel lines, the sea, the total."""
    land, mar = rep.land, rep.maritime
    return ["## Lengths", "", "| line | geodesic length |", "|---|---:|",
            f"| land boundary (A → {LINE_NAMES[land.border_line]} → mouth point) | {_f(land.land_boundary_m)} m |",
            f"| … of which the channel line, A → closing line | {_f(land.channel_part_m)} m |",
            f"| … of which closing line → mouth point | {_f(land.junction_segment_m)} m |",
            f"| middle of the main channel, its own foot → closing line | {_f(land.middle_m)} m |",
            f"| thalweg, its own foot → closing line | {_f(land.thalweg_m)} m |",
            f"| maritime boundary ({mar.method}) | {_f(mar.length_m)} m |",
            f"| total | {_f(rep.total_length_m)} m |", ""]


def _land_markdown(rep: Report) -> list[str]:
    """The line in use and why, the thalweg against the middle line, the middle line's quality, the islands."""
    land = rep.land
    L = ["## Land boundary", "",
         f"Line in use: {LINE_NAMES[land.border_line]} ({land.border_line_reason}). Main-channel rule at islands: "
         f"{land.main_channel_rule}."]
    if land.thalweg_m is not None:
        L.append(f"Thalweg vs middle line: largest separation {_f(land.separation_max_m)} m, mean "
                 f"{_f(land.separation_mean_m)} m, area between them {_f(land.area_between_km2, 3)} km².")
    L += [f"Middle line: {land.shore_points:,} shore points; worst equidistance error of its vertices "
          f"{_f(land.middle_equidistance_error_m, 3)} m.", ""]
    if not land.islands:
        return L
    L += ["| island | area | branch taken | mean width along the branch, taken / other | mean depth, taken / other | "
          "state (line in use) | "
          "state (other line) | distance to border |", "|---:|---:|---|---:|---:|---|---|---:|"]
    for i in land.islands:
        depth = "—" if i.taken_depth_m is None else f"{_f(i.taken_depth_m, 2)} / {_f(i.other_depth_m, 2)} m"
        L.append(f"| {i.island} | {_f(i.area_m2, 0)} m² | {i.branch_taken} | {_f(i.taken_width_m)} / "
                 f"{_f(i.other_width_m)} m | {depth} | {i.side_in_use} | {i.side_alternative or '—'} | "
                 f"{_f(i.distance_to_border_m)} m |")
    return L + ["", "Islands per state (line in use): " + ", ".join(f"{k} {v}" for k, v in land.islands_per_side.items()),
                ""]


def _datums_markdown(rep: Report) -> list[str]:
    """The treaty points whose datum was not stated or was transformed: as printed, as read, the distance."""
    if not rep.datums:
        return []
    L = ["", "## Datums of the treaty points", "",
         "| point | published | datum stated | read in | as printed (WGS 84 reading) | as read → WGS 84 | "
         "distance between the readings | operation |", "|---|---|---|---|---|---|---:|---|"]
    for d in rep.datums:
        L.append(f"| {d.id} | {d.published} | {d.datum if d.stated else 'no'} | {d.crs_used} | "
                 f"{_latlon(d.as_printed)} | {_latlon(d.wgs84)} | {_f(d.shift_m, 2)} m | {d.operation or '—'}"
                 f"{'' if d.accuracy_m is None else f' (accuracy {d.accuracy_m:g} m)'} |")
    return L


def _mouth_markdown(rep: Report) -> list[str]:
    """The closing line, where the channel line meets it (and its offset to the treaty's mouth point), the
    junction of the land and maritime boundaries, the mouth-point rule."""
    mo = rep.mouth
    offset = (f", **{_f(mo.offset_m)} m** from treaty point {mo.treaty_point} ({_latlon(mo.treaty_lonlat)}), "
              f"azimuth {_f(mo.offset_azimuth_deg, 2)}°." if mo.offset_m is not None else ".")
    return ["", "## Mouth", "",
            f"Closing line {_f(mo.closing_line_length_m)} m between the banks' seaward ends; other openings: "
            f"{', '.join(_f(x) + ' m' for x in mo.other_openings_m) or 'none'}. The channel line meets it at "
            f"{_latlon(mo.crossing)}" + offset,
            f"Land and maritime boundaries meet at {_latlon(mo.junction)} (gap {mo.junction_gap_m:.4f} m).",
            f"Mouth point: {mo.rule_text}.", ""]


def _segments_markdown(mar: MaritimeReport) -> list[str]:
    """The method and ends of the maritime boundary, the agreed line segment by segment, the line beyond."""
    L = ["## Maritime boundary", "",
         f"Method: **{mar.method}**, from {_latlon(mar.start)} to {_latlon(mar.end)}, {_f(mar.length_m)} m."]
    if not mar.segments:
        return L
    L += ["", "| segment | line | length | | initial azimuth | published | diff |", "|---|---|---:|---:|---:|---:|---:|"]
    for g in mar.segments:
        pub = "—" if g.published_m is None else f"{_f(g.published_m)} m (±{_f(g.tolerance_m)} m)"
        diff = "—" if g.published_m is None else f"{g.length_m - g.published_m:+,.1f} m"
        L.append(f"| {g.start} → {g.end} | {g.kind} | {_f(g.length_m)} m | {g.length_nmi:.3f} nmi | "
                 f"{g.azimuth_deg:.2f}° | {pub} | {diff} |")
    if mar.beyond:
        L.append(f"\nBeyond the end point the treaty's line runs on through {', '.join(mar.beyond)} "
                 f"({_f(mar.beyond_length_m)} m; layer `maritime_beyond`), outside the territorial sea: not part "
                 "of this boundary.")
    return L + [""]


def _agreed_line_markdown(mar: MaritimeReport) -> list[str]:
    """The agreed line against the rhumb lines, the end point's distances, where the line meets the limits."""
    L = []
    if mar.agreed_length_m is not None:
        kinds = {g.kind for g in mar.segments}
        kind = "geodesic" if kinds == {"geodesic"} else "rhumb line" if kinds == {"rhumb"} else "geodesics and rhumb lines"
        rhumb = ("the rhumb line between the same points is" if len(mar.segments) == 1
                 else "rhumb lines between the same points are")
        L.append(f"Agreed line {mar.end_point and 'to ' + mar.end_point}: {kind} {_f(mar.agreed_length_m)} m, "
                 f"initial azimuth {_f(mar.agreed_azimuth_deg, 2)}°; {rhumb} "
                 f"{_f(mar.rhumb_length_m, 3)} m long and at most {_f(mar.rhumb_max_separation_m, 2)} m from it.")
    L.append("Distance of the end point to each baseline (breadth "
             f"{_f(mar.breadth_m, 0)} m): " + ", ".join(f"{s} {_f(d)} m" for s, d in mar.end_distance_to_baselines_m.items())
             + ".")
    for c in mar.limit_crossings:
        if c.lon is not None:
            L.append(f"The agreed line (continued) crosses the {c.side} 12-nm limit at {_latlon((c.lon, c.lat), 6)}, "
                     f"{_f(c.distance_to_end_m)} m from the end point.")
    return L


def _methods_markdown(mar: MaritimeReport) -> list[str]:
    """The 12-nm limits, the equidistance line, the methods compared, the sea between the two lines."""
    L = ["", f"12-nm limits: worst geodesic error {', '.join(f'{s} {v:.3f} m' for s, v in mar.limit_error_m.items())}; "
             f"lengths within the data extent {', '.join(f'{s} {_f(v)} m' for s, v in mar.limit_lengths_m.items())}.",
         f"Equidistance line: {_f(mar.equidistance_length_m)} m, equidistant within {mar.equidistance_error_m:.4f} m.",
         "", "| method | in use | length | end | end → end point | largest / mean separation from the agreed line |",
         "|---|---|---:|---|---:|---:|"]
    for m in mar.methods:
        L.append(f"| {m.method} | {'yes' if m.in_use else 'no'} | {_f(m.length_m)} m | {_latlon(m.end)} | "
                 f"{_f(m.end_to_end_point_m)} m | {_f(m.max_separation_from_agreed_m)} / "
                 f"{_f(m.mean_separation_from_agreed_m)} m |")
    if mar.areas:
        L += ["", "Sea between the agreed and the equidistance line (closed by straight segments at both ends):", "",
              "| piece | area | falls to, agreed line | falls to, equidistance |", "|---:|---:|---|---|"]
        for a in mar.areas:
            L.append(f"| {a.piece} | {_f(a.area_km2, 3)} km² | {a.side_agreed} | {a.side_equidistance} |")
        L.append(f"\nIn all {_f(mar.area_total_km2, 3)} km².")
    return L


def _validation_markdown(rep: Report) -> list[str]:
    """The comparisons with the reference data, each marked independent or not."""
    if not rep.validation:
        return []
    L = ["", "## Validation", "", "| comparison | independent | figure | detail |", "|---|---|---:|---|"]
    for v in rep.validation:
        L.append(f"| {v.name} | {'yes' if v.independent else '**no — consistency check**'} | {_f(v.value_m)} m | "
                 f"{v.detail} |")
    return L


def _provenance_markdown(rep: Report) -> list[str]:
    """The metric CRS and its scale error, the inputs with their sha256, the repairs, the software versions."""
    L = ["", "## Projection", "",
         f"Metric CRS for buffers and Voronoi diagrams: {rep.crs.metric}; worst scale error over the data extent "
         f"{rep.crs.max_scale_error_ppm:.2f} ppm ({rep.crs.length_error_over_sea_m:.3f} m over the official sea "
         "length). Lengths are measured on the ellipsoid, not in this projection.", ""]
    L += ["## Inputs", "", "| role | file | form | modelled | sha256 |", "|---|---|---|---|---|"]
    for role, p in rep.inputs.items():
        L.append(f"| {role} | `{p.path}` | {p.form}: {p.detail} | {'**yes**' if p.modelled else 'no'} | `{p.sha256}` |")
    if rep.repairs:
        L += ["", "Repairs: " + "; ".join(rep.repairs)]
    return L + ["", "## Software", "", ", ".join(f"{k} {v}" for k, v in rep.software.items()), ""]


# the sections of report.md, in order: each gives its lines
_SECTIONS = (
    _intro_markdown, _checks_markdown, _lengths_markdown, _land_markdown,
    lambda rep: tripoint_markdown(rep.tripoint), _datums_markdown, _mouth_markdown,
    lambda rep: _segments_markdown(rep.maritime), lambda rep: _agreed_line_markdown(rep.maritime),
    lambda rep: _methods_markdown(rep.maritime), _validation_markdown, _provenance_markdown,
)


def render_markdown(rep: Report) -> str:
    """``report.md``: the same numbers as ``report.json``, rounded for reading.

    Parameters
    ----------
    rep : the report (of a run, or ``report.json`` read back: ``check`` renders it again and compares)

    Returns
    -------
    str
        The Markdown document, its sections in :data:`_SECTIONS` order; lengths in metres, areas in m² or km²,
        angles in degrees, coordinates as WGS 84 latitude, longitude with their hemispheres.
    """
    return "\n".join(line for section in _SECTIONS for line in section(rep))
