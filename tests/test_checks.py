"""Every check in ``pipeline/checks.py`` can fail, in each direction it can fail, and reads its tolerance from
the config key the README names.

The audit found a length check that could no longer fail when the line was too short and a suite that did not
notice. Here each check is fed figures built for it: a passing set (the bundled run's figures, rounded), then
one figure moved just past the tolerance in each direction (too long AND too short; too far), NaN, and exactly
at the tolerance (still passes: the bounds are inclusive). The table must name every check ``run_checks``
emits, so a check added without a test here fails :func:`test_the_table_covers_every_check`.
"""
from __future__ import annotations

import dataclasses
import math

import pytest

from conftest import INPUTS
from pipeline import checks
from pipeline.config import load_config, with_overrides
from pipeline.model import Figures

CFG = load_config(INPUTS / "tumen.toml")
SIDES = ("RUS", "PRK")
BASE = Figures(land_length_m=17_293.6, sea_length_m=22_103.8, junction_gap_m=0.0, mouth_offset_m=221.2,
               end_distance_m={"RUS": 22_056.9, "PRK": 21_827.0}, crossing_to_end_m={"RUS": 167.0, "PRK": 397.0},
               limit_error_m={"RUS": 0.23, "PRK": 0.2}, equidistance_error_m=0.0003,
               perpendicular_deviation_deg=0.0, record_disagreement_m=2.55, scale_error_ppm=10.3,
               dividing_angle_deviation_deg={"thalweg": 5.4, "middle": 5.5},
               construction_distance_m={"thalweg": 21.6, "middle": 24.5}, closing_off_coast_m=1.0)
NON_NUMERIC = {"boundaries_simple"}   # judges a list of line names (tests/test_treaty_checks.py)
LINES = ("thalweg", "middle")


def _set(fig: Figures, key: str, value: float, side: str | None = None) -> Figures:
    if side is None:
        return dataclasses.replace(fig, **{key: value})
    return dataclasses.replace(fig, **{key: {**getattr(fig, key), side: value}})


# check -> (figure field, side or None, config key of the tolerance, how the figure maps to "value - target":
# the directions it can fail in, as (label, figure value at distance `excess` past the tolerance t))
def _within(target):
    return {"too long/far": lambda t, e, c: target(c) + t + e, "too short/near": lambda t, e, c: target(c) - t - e}


def _at_most(signed: bool = False):
    out = {"too far": lambda t, e, c: t + e}
    if signed:     # |d| is judged: the other direction fails too
        out["too far, other side"] = lambda t, e, c: -(t + e)
    return out


TABLE = {
    "land_length": ("land_length_m", None, "official.land_tolerance_m", _within(lambda c: c.official.land_length_m)),
    "sea_length": ("sea_length_m", None, "official.sea_tolerance_m", _within(lambda c: c.official.sea_length_m)),
    "land_sea_junction": ("junction_gap_m", None, "mouth.max_junction_gap_m", _at_most()),
    "mouth_offset_to_treaty_point": ("mouth_offset_m", None, "mouth.max_offset_m", _at_most()),
    **{f"end_point_breadth_{s}": ("end_distance_m", s, "maritime.end_tolerance_m",
                                  _within(lambda c: c.territorial_sea_m)) for s in SIDES},
    **{f"agreed_line_meets_limit_{s}": ("crossing_to_end_m", s, "maritime.end_tolerance_m", _at_most(signed=True))
       for s in SIDES},
    # the worst of both sides is judged: each side's error must be able to fail it
    **{f"territorial_sea_limit_error#{s}": ("limit_error_m", s, "maritime.max_limit_error_m", _at_most())
       for s in SIDES},
    "equidistance_error": ("equidistance_error_m", None, "maritime.max_equidistance_error_m", _at_most()),
    "tripoint_perpendicular": ("perpendicular_deviation_deg", None, "tripoint.max_perpendicular_error_deg",
                               _at_most()),
    "monument_records_agree": ("record_disagreement_m", None, "tripoint.max_record_disagreement_m", _at_most()),
    "projection_scale_error": ("scale_error_ppm", None, "crs.max_scale_error_ppm", _at_most()),
    "closing_line_on_coast": ("closing_off_coast_m", None, "mouth.max_closing_off_coast_m", _at_most()),
    **{f"dividing_line_angle_{line}": ("dividing_angle_deviation_deg", line, "tripoint.max_dividing_angle_error_deg",
                                       _at_most()) for line in LINES},
    **{f"tripoint_constructions_agree_{line}": ("construction_distance_m", line,
                                                "tripoint.max_construction_distance_m", _at_most()) for line in LINES},
}
CASES = [(name, d) for name, row in TABLE.items() for d in row[3]]


def _tolerance(cfg, key: str) -> float:
    section, field = key.split(".")
    return float(getattr(getattr(cfg, section), field))


def verdicts(fig: Figures, cfg=CFG) -> dict[str, object]:
    return {c.name: c for c in checks.run_checks(figures=fig, cfg=cfg)}


def test_the_base_figures_pass_every_check():
    found = verdicts(BASE)
    assert all(c.passed for c in found.values()), [c.line() for c in found.values() if not c.passed]


def test_the_table_covers_every_check():
    emitted = set(verdicts(BASE))
    assert emitted - NON_NUMERIC == {n.split("#")[0] for n in TABLE}, "a check without a row here (or a row without a check)"


@pytest.mark.parametrize("name,direction", CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_each_check_fails_in_each_direction_and_holds_at_its_tolerance(name, direction):
    field, side, key, directions = TABLE[name]
    check_name = name.split("#")[0]
    t = _tolerance(CFG, key)
    for excess, passes in ((1e-6 * max(t, 1.0), False), (t, False), (0.0, True)):
        value = directions[direction](t, excess, CFG)
        c = verdicts(_set(BASE, field, value, side))[check_name]
        assert c.passed is passes, (direction, excess, c.line())
        others = [o.name for o in verdicts(_set(BASE, field, value, side)).values() if not o.passed]
        assert others == ([] if passes else [check_name]), others
    c = verdicts(_set(BASE, field, math.nan, side))[check_name]
    assert not c.passed, "NaN passes: " + c.line()


@pytest.mark.parametrize("name", list(TABLE), ids=list(TABLE))
def test_each_check_reads_its_tolerance_from_its_config_key(name):
    """Halve the key: the check's tolerance halves, and a figure between the two tolerances flips the verdict."""
    field, side, key, directions = TABLE[name]
    check_name = name.split("#")[0]
    t = _tolerance(CFG, key)
    tighter = with_overrides(CFG, {key: t / 2})
    value = next(iter(directions.values()))(t / 2, t / 4, CFG)      # 3/4 of the way to the old tolerance
    fig = _set(BASE, field, value, side)
    loose, tight = verdicts(fig)[check_name], verdicts(fig, tighter)[check_name]
    assert loose.tolerance == t and tight.tolerance == t / 2
    assert loose.passed and not tight.passed, (loose.line(), tight.line())


@pytest.mark.parametrize("key", ["official.land_length_m", "official.sea_length_m"])
def test_the_official_length_is_the_target(key):
    check_name = {"official.land_length_m": "land_length", "official.sea_length_m": "sea_length"}[key]
    cfg = with_overrides(CFG, {key: 1234.5})
    assert verdicts(BASE, cfg)[check_name].target == 1234.5


def test_optional_checks_are_absent_without_their_figure():
    fig = dataclasses.replace(BASE, mouth_offset_m=None, record_disagreement_m=None,
                              crossing_to_end_m={"RUS": None, "PRK": 167.0})
    names = set(verdicts(fig))
    assert {"mouth_offset_to_treaty_point", "monument_records_agree", "agreed_line_meets_limit_RUS"}.isdisjoint(names)
    assert "agreed_line_meets_limit_PRK" in names


# ------------------------------------------------------------------ the checks `tumen-border check` adds
FILE_LISTS = ("not_as_written", "md_differs", "geojson_differs", "in_use_wrong")
GEOMETRY = ("tripoint_spread_m", "follows_line_m", "mouth_mismatch_m", "end_spread_m", "lengths_mismatch_m")


def file_verdicts(**given):
    lists = {k: [] for k in FILE_LISTS} | given
    return {c.name: c for c in checks.file_checks(**lists)}


def geometry_verdicts(tolerance_m=0.01, **given):
    values = {k: 0.0 for k in GEOMETRY} | given
    names = {k: "x" for k in ("tripoint_worst", "mouth_worst", "end_worst", "lengths_worst")}
    return {c.name: c for c in checks.geometry_checks(**values, **names, tolerance_m=tolerance_m)}


def test_file_checks_pass_on_nothing_found_and_fail_naming_what_was():
    assert all(c.passed for c in file_verdicts().values())
    for k in FILE_LISTS:
        found = file_verdicts(**{k: ["the-culprit.geojson (changed)"]})
        failed = [c for c in found.values() if not c.passed]
        assert len(failed) == 1 and "the-culprit.geojson (changed)" in failed[0].line(), k


@pytest.mark.parametrize("k", GEOMETRY)
def test_geometry_checks_fail_past_their_tolerance_on_nan_and_on_a_missing_point(k):
    assert geometry_verdicts(**{k: 0.01})[_geometry_name(k)].passed
    for bad in (0.010001, math.inf, math.nan):
        found = geometry_verdicts(**{k: bad})
        assert [n for n, c in found.items() if not c.passed] == [_geometry_name(k)], (k, bad)
    assert not geometry_verdicts(tolerance_m=0.001, **{k: 0.005})[_geometry_name(k)].passed


def _geometry_name(k: str) -> str:
    return {"tripoint_spread_m": "tripoint_is_land_boundary_start", "follows_line_m": "land_boundary_follows_line_in_use",
            "mouth_mismatch_m": "mouth_offset_from_layers", "end_spread_m": "end_point_is_maritime_boundary_end",
            "lengths_mismatch_m": "stored_length_report"}[k]


# ------------------------------------------------------------- what each check says (JUnit and the report show it)
UNITS = {"tripoint_perpendicular": "deg", "projection_scale_error": "ppm", "files_as_written": "files",
         "dividing_line_angle_thalweg": "deg", "dividing_line_angle_middle": "deg", "boundaries_simple": "lines",
         "report_md_renders_report_json": "lines", "geojson_equals_gpkg": "layers", "in_use_flags": "layers"}
WITHIN = {"land_length", "sea_length", "end_point_breadth_RUS", "end_point_breadth_PRK"}
ADDED_BY_CHECK = {"files_as_written", "report_md_renders_report_json", "geojson_equals_gpkg", "in_use_flags",
                  "tripoint_is_land_boundary_start", "land_boundary_follows_line_in_use", "mouth_offset_from_layers",
                  "end_point_is_maritime_boundary_end", "stored_length_report"}


def every_check():
    return [*verdicts(BASE).values(), *file_verdicts().values(), *geometry_verdicts().values()]


def test_every_check_is_well_formed_with_its_unit_kind_and_texts():
    found = every_check()
    assert {c.name for c in found} >= ADDED_BY_CHECK and len({c.name for c in found}) == len(found)
    for c in found:
        assert isinstance(c.value, float) and isinstance(c.tolerance, float), c
        assert c.unit == UNITS.get(c.name, "m"), (c.name, c.unit)
        assert c.kind == ("within" if c.name in WITHIN else "at most"), (c.name, c.kind)
        assert c.kind == "within" or c.target == 0.0, (c.name, c.target)
        assert isinstance(c.detail, str) and len(c.detail) > 20 and isinstance(c.catches, str) and len(c.catches) > 20
        assert c.line().startswith(f"PASS  {c.name}: ") and c.detail in c.line()


def test_a_file_check_names_up_to_six_culprits():
    six = [f"f{i}" for i in range(6)]
    line = file_verdicts(not_as_written=six)["files_as_written"].detail
    assert line.endswith("f0, f1, f2, f3, f4, f5"), line
    line = file_verdicts(not_as_written=[*six, "f6"])["files_as_written"].detail
    assert line.endswith("f0, f1, f2, f3, f4, f5 ...") and "f6" not in line, line
    assert file_verdicts()["files_as_written"].detail.endswith(": none")
