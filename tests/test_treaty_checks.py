"""The checks the treaty forms brought (issues 19 and 21), each shown to fail in every direction it can fail,
on figures built for it, with the tolerance read from the config key it names."""
from __future__ import annotations


import pytest

from conftest import ROOT
from pipeline.checks import Measured, judge
from pipeline.config import load_config, with_overrides

TUMEN = load_config(ROOT / "inputs" / "tumen" / "tumen.toml")
JAKOBSELVA = load_config(ROOT / "inputs" / "jakobselva" / "jakobselva.toml")
RIO = load_config(ROOT / "inputs" / "rio_grande" / "rio_grande.toml")


def figures(**kw) -> dict:
    """Figures keyed by check name (:func:`pipeline.checks.judge`), a plain passing set updated with ``kw``."""
    base = {"land_length": 17000.0, "sea_length": 22100.0, "land_sea_junction": 0.0,
            "mouth_offset_to_treaty_point": 100.0, "end_point_breadth": {}, "agreed_line_meets_limit": {},
            "territorial_sea_limit_error": 0.1, "equidistance_error": 0.0, "tripoint_perpendicular": 0.0,
            "monument_records_agree": None, "projection_scale_error": 1.0, "boundaries_simple": Measured(0, ")"),
            "closing_line_on_coast": 0.0}
    return {**base, **kw}


def run_checks(*, figures: dict, cfg) -> tuple:
    return judge(figures, cfg)


def verdict(cfg, f: dict, name: str) -> bool:
    found = {c.name: c for c in judge(f, cfg)}
    assert name in found, (name, sorted(found))
    return found[name].passed


@pytest.mark.parametrize("value, ok", [(23335.2, True), (23335.2 + 92.6, True), (23335.2 - 92.6, True),
                                       (23335.2 + 92.7, False), (23335.2 - 92.7, False)])
def test_segment_length_fails_too_long_and_too_short(value, ok):
    f = figures(sea_segment={"P1_P2": value, "P2_P3": 18674.7})
    assert verdict(JAKOBSELVA, f, "sea_segment_P1_P2") is ok
    assert not any(c.name.startswith("sea_segment_P2") for c in run_checks(figures=f, cfg=JAKOBSELVA))


def test_segment_tolerance_is_the_configured_one():
    cfg = with_overrides(JAKOBSELVA, {"official.segments": [{"from": "P1", "to": "P2", "length_m": 23335.2,
                                                             "tolerance_m": 1.0}]})
    assert verdict(cfg, figures(sea_segment={"P1_P2": 23336.1}), "sea_segment_P1_P2")
    assert not verdict(cfg, figures(sea_segment={"P1_P2": 23336.3}), "sea_segment_P1_P2")


@pytest.mark.parametrize("key, check, limit", [
    ("dividing_line_angle", "dividing_line_angle_thalweg", TUMEN.tripoint.max_dividing_angle_error_deg),
    ("tripoint_constructions_agree", "tripoint_constructions_agree_thalweg", TUMEN.tripoint.max_construction_distance_m),
])
def test_tripoint_constructions_fail_beyond_their_tolerance(key, check, limit):
    assert verdict(TUMEN, figures(**{key: {"thalweg": limit}}), check)
    assert not verdict(TUMEN, figures(**{key: {"thalweg": limit * 1.001}}), check)
    looser = with_overrides(TUMEN, {f"tripoint.{'max_dividing_angle_error_deg' if 'angle' in check else 'max_construction_distance_m'}": limit * 2})
    assert verdict(looser, figures(**{key: {"thalweg": limit * 1.5}}), check)


def test_control_points_fail_beyond_the_operation_accuracy():
    assert verdict(RIO, figures(control_point={"FP": 9.99}), "control_point_FP")
    assert not verdict(RIO, figures(control_point={"FP": 10.01}), "control_point_FP")
    assert not verdict(RIO, figures(control_point={"T": 46.1}), "control_point_T")   # read as WGS 84


def test_boundaries_simple_and_closing_line_on_coast():
    assert verdict(TUMEN, figures(), "boundaries_simple")
    assert not verdict(TUMEN, figures(boundaries_simple=Measured(1, "; here: land_boundary)")), "boundaries_simple")
    limit = TUMEN.mouth.max_closing_off_coast_m
    assert verdict(TUMEN, figures(closing_line_on_coast=limit), "closing_line_on_coast")
    assert not verdict(TUMEN, figures(closing_line_on_coast=limit * 1.001), "closing_line_on_coast")


def test_official_lengths_are_checked_only_when_published():
    names = {c.name for c in run_checks(figures=figures(), cfg=RIO)}
    assert "land_length" not in names and "sea_length" not in names
    names = {c.name for c in run_checks(figures=figures(), cfg=TUMEN)}
    assert {"land_length", "sea_length"} <= names


def test_end_point_judged_only_where_the_coast_holds_the_baselines():
    f = figures(end_point_breadth={"NOR": 25306.8, "RUS": 24599.1}, agreed_line_meets_limit={"NOR": 20164.3})
    names = {c.name for c in run_checks(figures=f, cfg=JAKOBSELVA)}
    assert not any(n.startswith(("end_point_breadth", "agreed_line_meets")) for n in names)
    judged = with_overrides(JAKOBSELVA, {"maritime.judge_end_point": True})
    assert not verdict(judged, f, "end_point_breadth_NOR") and not verdict(judged, f, "agreed_line_meets_limit_NOR")


def test_doubling_back_is_seen():
    """geometry.reversals: a line that runs past a point and back is counted; a bend is not."""
    from shapely.geometry import LineString
    from pipeline.geometry import non_simple_lines
    from pipeline.geometry import reversals

    assert reversals(LineString([(0, 0), (10, 0), (10, 10)])) == 0
    assert reversals(LineString([(0, 0), (10, 0), (9, 0.01)])) == 1
    land = LineString([(0, 0), (10, 0), (9.5, 0)])          # past B and back
    sea = LineString([(9.5, 0), (20, 5)])
    assert non_simple_lines(land, sea) == ["land_boundary", "land + maritime"]
    assert non_simple_lines(LineString([(0, 0), (9.5, 0)]), sea) == []
