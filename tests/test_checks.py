"""Every check registered in ``pipeline/checks/`` can fail, in each direction it can fail, and reads its
tolerance from the config key the README names.

The audit found a length check that could no longer fail when the line was too short and a suite that did not
notice. Here each check is fed figures built for it (:func:`pipeline.checks.judge` takes them keyed by check
name): a passing set (the bundled run's figures, rounded), then one figure moved just past the tolerance in each
direction (too long AND too short; too far), NaN, and exactly at the tolerance (still passes: the bounds are
inclusive). The table must name every registered check, so a check added without a test here fails
:func:`test_the_table_covers_every_check`; and every check must say how ``tumen-border check`` re-measures it.
"""
from __future__ import annotations

import math

import pytest

from conftest import INPUTS
from pipeline import checks
from pipeline.checks import Measured
from pipeline.config import load_config, with_overrides

CFG = load_config(INPUTS / "tumen.toml")
SIDES = ("RUS", "PRK")
BASE = {"land_length": 17_293.6, "sea_length": 22_103.8, "land_sea_junction": 0.0,
        "mouth_offset_to_treaty_point": 221.2, "end_point_breadth": {"RUS": 22_056.9, "PRK": 21_827.0},
        "agreed_line_meets_limit": {"RUS": 167.0, "PRK": 397.0}, "territorial_sea_limit_error": 0.23,
        "equidistance_error": 0.0003, "tripoint_perpendicular": 0.0, "monument_records_agree": 2.55,
        "projection_scale_error": 10.3, "dividing_line_angle": {"thalweg": 5.4, "middle": 5.5},
        "tripoint_constructions_agree": {"thalweg": 21.6, "middle": 24.5}, "closing_line_on_coast": 1.0,
        "boundaries_simple": Measured(0, ")"), "sea_segment": {}, "control_point": {}}
NON_NUMERIC = {"boundaries_simple"}   # judges a list of line names (tests/test_treaty_checks.py)
KEYED = {"sea_segment", "control_point"}   # no rows on the Tumen (tests/test_treaty_checks.py)
LINES = ("thalweg", "middle")


def _set(fig: dict, key: str, value: float, side: str | None = None) -> dict:
    if side is None:
        return {**fig, key: value}
    return {**fig, key: {**fig[key], side: value}}


# check -> (figure name, side or None, config key of the tolerance, how the figure maps to "value - target":
# the directions it can fail in, as (label, figure value at distance `excess` past the tolerance t))
def _within(target):
    return {"too long/far": lambda t, e, c: target(c) + t + e, "too short/near": lambda t, e, c: target(c) - t - e}


def _at_most(signed: bool = False):
    out = {"too far": lambda t, e, c: t + e}
    if signed:     # |d| is judged: the other direction fails too
        out["too far, other side"] = lambda t, e, c: -(t + e)
    return out


TABLE = {
    "land_length": ("land_length", None, "official.land_tolerance_m", _within(lambda c: c.official.land_length_m)),
    "sea_length": ("sea_length", None, "official.sea_tolerance_m", _within(lambda c: c.official.sea_length_m)),
    "land_sea_junction": ("land_sea_junction", None, "mouth.max_junction_gap_m", _at_most()),
    "mouth_offset_to_treaty_point": ("mouth_offset_to_treaty_point", None, "mouth.max_offset_m", _at_most()),
    **{f"end_point_breadth_{s}": ("end_point_breadth", s, "maritime.end_tolerance_m",
                                  _within(lambda c: c.territorial_sea_m)) for s in SIDES},
    **{f"agreed_line_meets_limit_{s}": ("agreed_line_meets_limit", s, "maritime.end_tolerance_m",
                                        _at_most(signed=True)) for s in SIDES},
    "territorial_sea_limit_error": ("territorial_sea_limit_error", None, "maritime.max_limit_error_m", _at_most()),
    "equidistance_error": ("equidistance_error", None, "maritime.max_equidistance_error_m", _at_most()),
    "tripoint_perpendicular": ("tripoint_perpendicular", None, "tripoint.max_perpendicular_error_deg", _at_most()),
    "monument_records_agree": ("monument_records_agree", None, "tripoint.max_record_disagreement_m", _at_most()),
    "projection_scale_error": ("projection_scale_error", None, "crs.max_scale_error_ppm", _at_most()),
    "closing_line_on_coast": ("closing_line_on_coast", None, "mouth.max_closing_off_coast_m", _at_most()),
    **{f"dividing_line_angle_{line}": ("dividing_line_angle", line, "tripoint.max_dividing_angle_error_deg",
                                       _at_most()) for line in LINES},
    **{f"tripoint_constructions_agree_{line}": ("tripoint_constructions_agree", line,
                                                "tripoint.max_construction_distance_m", _at_most()) for line in LINES},
}
CASES = [(name, d) for name, row in TABLE.items() for d in row[3]]


def _tolerance(cfg, key: str) -> float:
    section, field = key.split(".")
    return float(getattr(getattr(cfg, section), field))


def verdicts(fig: dict, cfg=CFG) -> dict[str, object]:
    return {c.name: c for c in checks.judge(fig, cfg)}


def test_the_base_figures_pass_every_check():
    found = verdicts(BASE)
    assert all(c.passed for c in found.values()), [c.line() for c in found.values() if not c.passed]


def test_the_table_covers_every_check():
    emitted = set(verdicts(BASE))
    assert emitted - NON_NUMERIC == set(TABLE), "a check without a row here (or a row without a check)"
    run_checks = {n for n, d in checks.registry().items() if d.results is not None}
    assert run_checks == set(BASE), "a check measured by `run` that the base figures do not feed"
    assert {TABLE[n][0] for n in TABLE} | NON_NUMERIC | KEYED == run_checks


def test_every_check_says_how_check_remeasures_it():
    """`tumen-border check` judges every check `run` judges (re-measured from the files), and more."""
    missing = [n for n, d in checks.registry().items() if d.files is None]
    assert missing == [], f"checks `tumen-border check` cannot re-measure: {missing}"


@pytest.mark.parametrize("name,direction", CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_each_check_fails_in_each_direction_and_holds_at_its_tolerance(name, direction):
    field, side, key, directions = TABLE[name]
    t = _tolerance(CFG, key)
    for excess, passes in ((1e-6 * max(t, 1.0), False), (t, False), (0.0, True)):
        value = directions[direction](t, excess, CFG)
        found = verdicts(_set(BASE, field, value, side))
        assert found[name].passed is passes, (direction, excess, found[name].line())
        others = [o.name for o in found.values() if not o.passed]
        assert others == ([] if passes else [name]), others
    c = verdicts(_set(BASE, field, math.nan, side))[name]
    assert not c.passed, "NaN passes: " + c.line()


@pytest.mark.parametrize("name", list(TABLE), ids=list(TABLE))
def test_each_check_reads_its_tolerance_from_its_config_key(name):
    """Halve the key: the check's tolerance halves, and a figure between the two tolerances flips the verdict."""
    field, side, key, directions = TABLE[name]
    t = _tolerance(CFG, key)
    tighter = with_overrides(CFG, {key: t / 2})
    value = next(iter(directions.values()))(t / 2, t / 4, CFG)      # 3/4 of the way to the old tolerance
    fig = _set(BASE, field, value, side)
    loose, tight = verdicts(fig)[name], verdicts(fig, tighter)[name]
    assert loose.tolerance == t and tight.tolerance == t / 2
    assert loose.passed and not tight.passed, (loose.line(), tight.line())


@pytest.mark.parametrize("key", ["official.land_length_m", "official.sea_length_m"])
def test_the_official_length_is_the_target(key):
    check_name = {"official.land_length_m": "land_length", "official.sea_length_m": "sea_length"}[key]
    cfg = with_overrides(CFG, {key: 1234.5})
    assert verdicts(BASE, cfg)[check_name].target == 1234.5


def test_optional_checks_are_absent_without_their_figure():
    fig = {**BASE, "mouth_offset_to_treaty_point": None, "monument_records_agree": None,
           "agreed_line_meets_limit": {"RUS": None, "PRK": 167.0}}
    names = set(verdicts(fig))
    assert {"mouth_offset_to_treaty_point", "monument_records_agree", "agreed_line_meets_limit_RUS"}.isdisjoint(names)
    assert "agreed_line_meets_limit_PRK" in names


def test_the_worst_limit_error_is_nan_when_either_side_is():
    """The limit check judges the worse side; a NaN on the second side once passed (``max`` skips it)."""
    assert checks.worst([0.1, 0.3]) == 0.3
    for values in ([math.nan, 0.1], [0.1, math.nan]):
        assert math.isnan(checks.worst(values))
        assert not verdicts({**BASE, "territorial_sea_limit_error": checks.worst(values)})[
            "territorial_sea_limit_error"].passed


# ------------------------------------------------------------------ the checks `tumen-border check` adds
FILE_CHECKS = {"files_as_written": "files", "report_md_renders_report_json": "lines", "geojson_equals_gpkg": "layers",
               "in_use_flags": "layers", "layers_as_catalogued": "layers"}
GEOMETRY = ("tripoint_is_land_boundary_start", "land_boundary_follows_line_in_use", "mouth_offset_from_layers",
            "end_point_is_maritime_boundary_end", "stored_length_report")


def file_verdicts(**given):
    from pipeline.checks.files import _named

    return verdicts({k: _named(given.get(k, [])) for k in FILE_CHECKS})


def geometry_verdicts(**given):
    return verdicts({k: Measured(given.get(k, 0.0), "x") for k in GEOMETRY})


def test_file_checks_pass_on_nothing_found_and_fail_naming_what_was():
    assert all(c.passed for c in file_verdicts().values())
    for k in FILE_CHECKS:
        found = file_verdicts(**{k: ["the-culprit.geojson (changed)"]})
        failed = [c for c in found.values() if not c.passed]
        assert len(failed) == 1 and failed[0].name == k and "the-culprit.geojson (changed)" in failed[0].line(), k


@pytest.mark.parametrize("k", GEOMETRY)
def test_geometry_checks_fail_past_their_tolerance_on_nan_and_on_a_missing_point(k):
    from pipeline.checks.files import STORED_LENGTH_TOLERANCE_M as tol

    assert geometry_verdicts(**{k: tol})[k].passed
    for bad in (tol * 1.0001, math.inf, math.nan):
        found = geometry_verdicts(**{k: bad})
        assert [n for n, c in found.items() if not c.passed] == [k], (k, bad)


def test_stored_lengths_are_judged_per_layer():
    found = verdicts({"stored_length": {"thalweg": 0.0, "coast": 0.02}})
    assert found["stored_length_thalweg"].passed and not found["stored_length_coast"].passed
    assert "in layer coast" in found["stored_length_coast"].detail


# ------------------------------------------------------------- what each check says (JUnit and the report show it)
UNITS = {"tripoint_perpendicular": "deg", "projection_scale_error": "ppm", "dividing_line_angle_thalweg": "deg",
         "dividing_line_angle_middle": "deg", "boundaries_simple": "lines", **FILE_CHECKS}
WITHIN = {"land_length", "sea_length", "end_point_breadth_RUS", "end_point_breadth_PRK"}


def every_check():
    return [*verdicts(BASE).values(), *file_verdicts().values(), *geometry_verdicts().values()]


def test_every_check_is_well_formed_with_its_unit_kind_and_texts():
    found = every_check()
    assert {c.name for c in found} >= set(FILE_CHECKS) | set(GEOMETRY) and len({c.name for c in found}) == len(found)
    for c in found:
        assert isinstance(c.value, float) and isinstance(c.tolerance, float), c
        assert c.unit == UNITS.get(c.name, "m"), (c.name, c.unit)
        assert c.kind == ("within" if c.name in WITHIN else "at most"), (c.name, c.kind)
        assert c.kind == "within" or c.target == 0.0, (c.name, c.target)
        assert isinstance(c.detail, str) and len(c.detail) > 20 and isinstance(c.catches, str) and len(c.catches) > 20
        assert c.line().startswith(f"PASS  {c.name}: ") and c.detail in c.line()


def test_a_file_check_names_up_to_six_culprits():
    six = [f"f{i}" for i in range(6)]
    line = file_verdicts(files_as_written=six)["files_as_written"].detail
    assert line.endswith("f0, f1, f2, f3, f4, f5"), line
    line = file_verdicts(files_as_written=[*six, "f6"])["files_as_written"].detail
    assert line.endswith("f0, f1, f2, f3, f4, f5 ...") and "f6" not in line, line
    assert file_verdicts()["files_as_written"].detail.endswith(": none")
