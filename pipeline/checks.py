"""Stage 5 -- checks: computed figures against the official ones and the accuracy targets.

Every check takes unrounded figures and returns a :class:`~pipeline.model.Check` that says what it measures
and which error it would catch. ``within`` checks fail both ways (too long and too short); ``at most`` checks
bound an error. The CLI exits 1 when any check fails.
"""
from __future__ import annotations

from .config import Config
from .model import Check, Figures


def within(name: str, value: float, target: float, tolerance: float, unit: str, detail: str, catches: str) -> Check:
    return Check(name, float(value), float(target), float(tolerance), unit, "within",
                 bool(abs(value - target) <= tolerance), detail, catches)


def at_most(name: str, value: float, limit: float, unit: str, detail: str, catches: str) -> Check:
    return Check(name, float(value), 0.0, float(limit), unit, "at most", bool(value <= limit), detail, catches)


def worst(values) -> float:
    """The largest value; NaN when any is NaN (``max`` would skip a NaN after the first element)."""
    values = [float(v) for v in values]
    return float("nan") if any(v != v for v in values) else max(values)


def length_checks(*, land_length_m: float, sea_length_m: float, cfg: Config,
                  segment_lengths_m: dict[str, float] | None = None) -> list[Check]:
    """The official lengths: land (when one is published), sea, and each published segment of the agreed line
    (also re-run by ``tumen-border check`` on lengths measured from the files)."""
    o = cfg.official
    out = []
    if o.land_length_m is not None:
        out.append(within("land_length", land_length_m, o.land_length_m, o.land_tolerance_m, "m",
                          "geodesic (WGS 84) length of the land boundary, tripoint A to the mouth point",
                          "a land line that misses or doubles part of the river, follows a bank, or is measured in "
                          "degrees or on a planar grid"))
    if o.sea_length_m is not None:
        out.append(within("sea_length", sea_length_m, o.sea_length_m, o.sea_tolerance_m, "m",
                          "geodesic (WGS 84) length of the maritime boundary",
                          "a sea line that is not the agreed line (an equidistance line has another length), a "
                          "misplaced mouth, turning or end point, or a length not measured on the ellipsoid"))
    for seg in o.segments:
        key = f"{seg['from']}-{seg['to']}"
        if segment_lengths_m is not None and key in segment_lengths_m:
            out.append(within(f"sea_segment_{seg['from']}_{seg['to']}", segment_lengths_m[key], seg["length_m"],
                              seg["tolerance_m"], "m", f"length of the agreed line's segment {seg['from']} -> "
                              f"{seg['to']} ({seg.get('source', 'published figure')})",
                              "a misplaced turning point, or a segment drawn as the wrong kind of line"))
    return out


def run_checks(*, figures: Figures, cfg: Config) -> tuple[Check, ...]:
    """Every check of a run, in a fixed order."""
    f, m = figures, cfg.maritime
    out = length_checks(land_length_m=f.land_length_m, sea_length_m=f.sea_length_m, cfg=cfg,
                        segment_lengths_m=f.segment_lengths_m)
    out.append(at_most("boundaries_simple", len(f.non_simple_lines), 0, "lines",
                       "boundary lines that cross, touch or double back on themselves (land, sea, and both joined"
                       + (f"; here: {', '.join(f.non_simple_lines)})" if f.non_simple_lines else ")"),
                       "a land boundary that runs past the mouth point and back, a sea line that folds"))
    out.append(at_most("closing_line_on_coast", f.closing_off_coast_m, cfg.mouth.max_closing_off_coast_m, "m",
                       "worst geodesic distance of the mouth's closing line's ends to the coast (UNCLOS art. 9: "
                       "between points on the low-water line of the banks; the ends lie where the water leaves "
                       "land.mouth_snap_m of the land)",
                       "a closing line drawn off the coast (e.g. at the snapping distance), so boundaries "
                       "cross it twice"))
    out.append(at_most("land_sea_junction", f.junction_gap_m, cfg.mouth.max_junction_gap_m, "m",
                       "distance between the land boundary's end and the maritime boundary's start",
                       "land and sea lines that do not meet"))
    if f.mouth_offset_m is not None:
        out.append(at_most("mouth_offset_to_treaty_point", f.mouth_offset_m, cfg.mouth.max_offset_m, "m",
                           "where the channel line meets the closing line, to the treaty mouth point",
                           "a channel line that reaches the sea at another opening, a mouth point read in the "
                           "wrong datum, or a closing line across the wrong opening"))
    breadth = cfg.territorial_sea_m
    for side, d in (f.end_distance_m.items() if m.judge_end_point else ()):
        out.append(within(f"end_point_breadth_{side}", d, breadth, m.end_tolerance_m, "m",
                          f"geodesic distance from the maritime boundary's end to the {side} baseline",
                          "an end point off the 12-nm limits: a wrong end point, breadth or baseline"))
    for side, d in f.crossing_to_end_m.items():
        if d is not None and m.judge_end_point:
            out.append(at_most(f"agreed_line_meets_limit_{side}", abs(d), m.end_tolerance_m, "m",
                               f"where the agreed line (continued past its end) crosses the {side} 12-nm limit, "
                               "to the end point", "an agreed line aimed away from where the limits meet"))
    out.append(at_most("territorial_sea_limit_error", worst(f.limit_error_m.values()), m.max_limit_error_m, "m",
                       "worst |geodesic distance of a limit point to its baseline - 12 nm|",
                       "12-nm limits drawn with the wrong radius or distorted by the projection"))
    out.append(at_most("equidistance_error", f.equidistance_error_m, m.max_equidistance_error_m, "m",
                       "worst |d(left baseline) - d(right baseline)| along the equidistance line (geodesic)",
                       "a median line that is not equidistant (wrong baselines or sites)"))
    t = cfg.tripoint
    if f.perpendicular_deviation_deg is not None:
        out.append(at_most("tripoint_perpendicular", f.perpendicular_deviation_deg, t.max_perpendicular_error_deg,
                           "deg", "deviation from 90 deg between the channel's direction (over "
                           f"{t.direction_window_m:g} m) and the geodesic to the monument, at the perpendicular's foot",
                           "a foot that is not the foot of the perpendicular"))
    per_line = (  # the two constructions of the 1998 agreement, judged on each channel line
        ("dividing_line_angle", f.dividing_angle_deviation_deg, t.max_dividing_angle_error_deg, "deg",
         "|angle - 90 deg| between the dividing line and the {line} line's direction at A (the dividing line is "
         "perpendicular to the centre line by Art. 1(1))",
         "a channel line that crosses the dividing line askew (a misplaced channel near the tripoint, or markers "
         "read in the wrong datum)"),
        ("tripoint_constructions_agree", f.construction_distance_m, t.max_construction_distance_m, "m",
         "on the {line} line: A on the dividing line (Art. 3(1)) to the foot of the perpendicular from the "
         "monument (Art. 1(1))",
         "two readings of the treaty that disagree: a channel misplaced at the tripoint, or a marker in the wrong "
         "datum"))
    for name, values, limit, unit, detail, catches in per_line:
        for line, value in values.items():
            out.append(at_most(f"{name}_{line}", value, limit, unit, detail.format(line=line), catches))
    if f.record_disagreement_m is not None:
        out.append(at_most("monument_records_agree", f.record_disagreement_m, cfg.tripoint.max_record_disagreement_m,
                           "m", "distance between the two records of the monument after their datum transforms",
                           "a datum transform skipped or applied twice"))
    for pid, d in f.control_offsets_m.items():
        out.append(at_most(f"control_point_{pid}", d, cfg.validation.max_control_offset_m, "m",
                           f"treaty point {pid} as read (after its datum transform) to its independent control "
                           "figure (inputs.controls)",
                           "a treaty point read in the wrong datum, a transform that fell back to a coarse "
                           "operation, or a mistyped coordinate"))
    out.append(at_most("projection_scale_error", f.scale_error_ppm, cfg.crs.max_scale_error_ppm, "ppm",
                       "worst scale distortion of the metric CRS over the data extent",
                       "a metric CRS unsuited to the area (buffers and Voronoi diagrams would be distorted)"))
    return tuple(out)


# ------------------------------------------------------------------------ the files of a run (tumen-border check)
def _named(what: str, names: list[str]) -> str:
    return f"{what}: {', '.join(names[:6])}{' ...' if len(names) > 6 else ''}" if names else f"{what}: none"


def file_checks(*, not_as_written: list[str], md_differs: list[str], geojson_differs: list[str],
                in_use_wrong: list[str]) -> list[Check]:
    """Checks that count problems found in a run's files (each list names them; an empty list passes)."""
    rows = [
        ("files_as_written", not_as_written, "files",
         "files missing or not as the manifest says they were written (sha256)",
         "an output edited, replaced, added or deleted after the run (only a rerun may change them)"),
        ("report_md_renders_report_json", md_differs, "lines",
         "lines of report.md that differ from report.json rendered again",
         "a report.md edited by hand, or one that does not show the figures of report.json"),
        ("geojson_equals_gpkg", geojson_differs, "layers",
         "GeoJSON files that differ from their border.gpkg layer (geometry or attributes)",
         "a GeoJSON file or a GeoPackage layer edited without the other, or one of them missing"),
        ("in_use_flags", in_use_wrong, "layers",
         "layers whose in_use flag disagrees with the line or method report.json says is in use",
         "channel or maritime layers swapped, or an in_use flag edited"),
    ]
    return [at_most(name, len(found), 0, unit, _named(what, found), catches)
            for name, found, unit, what, catches in rows]


def geometry_checks(*, tripoint_spread_m: float, tripoint_worst: str, follows_line_m: float, mouth_mismatch_m: float,
                    mouth_worst: str, end_spread_m: float, end_worst: str, lengths_mismatch_m: float,
                    lengths_worst: str, tolerance_m: float) -> list[Check]:
    """Checks that the report's points and lengths are those of the geometry in border.gpkg (metres, geodesic)."""
    rows = [
        ("tripoint_is_land_boundary_start", tripoint_spread_m,
         "largest distance between tripoint A in report.json, on the tripoint and boundary_points layers, and the "
         f"land boundary's first vertex (worst: {tripoint_worst})",
         "a land boundary that does not start at the tripoint, a moved or deleted tripoint, an edited report"),
        ("land_boundary_follows_line_in_use", follows_line_m,
         "largest distance from the land boundary's vertices (A to the closing line) to the channel line "
         "report.json says is in use",
         "a land boundary that follows another line than the one the report names, or moved boundaries"),
        ("mouth_offset_from_layers", mouth_mismatch_m,
         "report.json's mouth crossing and offset against the crossing and the treaty mouth point of the "
         f"boundary_points layer (worst: {mouth_worst})", "an edited mouth offset, crossing or treaty point"),
        ("end_point_is_maritime_boundary_end", end_spread_m,
         "largest distance between the end point in report.json, on the boundary_points layer, and the maritime "
         f"boundary's last vertex (worst: {end_worst})",
         "a maritime boundary that does not end at the end point, moved boundaries, an edited report"),
        ("stored_length_report", lengths_mismatch_m,
         f"worst |length in report.json - geodesic length of its layer| (worst: {lengths_worst})",
         "a report whose lengths do not describe the lines"),
    ]
    return [at_most(name, value, tolerance_m, "m", detail, catches) for name, value, detail, catches in rows]
