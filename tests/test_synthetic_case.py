"""Nothing is case-specific: a fully synthetic case (invented states AAA | BBB, third state CCC; see
``tests/synthetic_case.py``) run end to end through the CLI, its figures checked against analytic answers.

Two variants, each run once (module-scoped fixture):

``straight``   a perfectly straight coast, the data extent ending 30 km offshore along the axis, no depth input
               (the land boundary follows the middle line, with a warning and a note in the report), B = C;
``headlands``  one triangular headland on each side (mirror images), a depth GeoTIFF (thalweg), a reference
               input, B 40 m off the axis on the closing line: every layer of border.gpkg is written.

Expected values come from geographiclib (independent of the pipeline's pyproj.Geod) and the construction
itself; the pipeline is never imported here.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from synthetic_case import (BREADTH_M, FORBIDDEN, HEADLANDS, NAMES, STRAIGHT, Case, build_case, distance,
                            distance_to_baseline, distance_to_segment, inverse, line_length)

ALWAYS = ["land", "river", "islands", "maritime_comparison", "coast", "territorial_sea_limits", "closing_line",
          "channel_middle", "maritime_equidistance", "land_boundary", "maritime_boundary", "boundary_points",
          "monuments", "tripoint"]
LAYERS = {"straight": ALWAYS, "headlands": ALWAYS + ["thalweg", "reference_border"]}   # 16: every layer
FILES = ["border.gpkg", "border.qgs", "map.html", "map.png", "report.json", "report.md"]
SPECS = {"straight": STRAIGHT, "headlands": HEADLANDS}


@dataclass(frozen=True)
class Run:
    case: Case
    out: Path
    code: int
    stdout: str
    stderr: str

    @property
    def ex(self):
        return self.case.expected

    @property
    def variant(self) -> str:
        return self.case.expected.spec.variant

    def layer(self, name: str, ext: str = "gpkg"):
        path = self.out / "border.gpkg" if ext == "gpkg" else self.out / f"{name}.geojson"
        return pyogrio.read_dataframe(path, layer=name if ext == "gpkg" else None)

    def report(self) -> dict:
        return json.loads((self.out / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=list(SPECS))
def run(request, tmp_path_factory, run_cli) -> Run:
    """Build the case's inputs and run ``tumen-border run --config <toml> --out <tmp>`` once, as a subprocess."""
    base = tmp_path_factory.mktemp(f"synthetic_{request.param}")
    case = build_case(base / "inputs", SPECS[request.param])
    out = base / "out"
    code, stdout, stderr = run_cli(["run", "--config", case.config, "--out", out], isolated=True)
    return Run(case, out, code, stdout, stderr)


def coords(geom) -> np.ndarray:
    return shapely.get_coordinates(geom)


def as_drawn(xy: np.ndarray) -> np.ndarray:
    """The vertices and the midpoints of every segment as a lon/lat viewer draws it (straight in lon/lat,
    RFC 7946): a line with too few vertices strays from the curve it stands for."""
    mid = 0.5 * (xy[:-1] + xy[1:])
    return np.vstack([xy, mid])


# ---------------------------------------------------------------------------------------------- runs
def test_run_exits_0_with_every_check_holding(run):
    assert run.code == 0, run.stdout + run.stderr
    assert re.search(r"all \d+ checks hold", run.stdout), run.stdout
    assert "FAIL" not in run.stdout
    rep = run.report()
    assert rep["passed"] and all(c["passed"] for c in rep["checks"])


def test_check_command_rejudges_the_outputs_and_exits_0(run, run_cli):
    code, stdout, stderr = run_cli(["check", run.out, "--config", run.case.config], isolated=True)
    assert code == 0, stdout + stderr
    assert "FAILED" not in stdout


def test_every_output_file_is_present_and_not_empty(run):
    for name in FILES + [f"{layer}.geojson" for layer in LAYERS[run.variant]]:
        path = run.out / name
        assert path.is_file() and path.stat().st_size > 0, name
    assert (run.out / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_layer_is_in_the_geopackage_and_as_geojson(run):
    listed = {name for name, _ in pyogrio.list_layers(run.out / "border.gpkg")}
    assert set(LAYERS[run.variant]) <= listed
    for name in LAYERS[run.variant]:
        gpkg, gj = run.layer(name), run.layer(name, "geojson")
        assert len(gpkg) >= 1 and len(gj) == len(gpkg), name
        assert gpkg.crs.to_epsg() == 4326, name
        assert not gpkg.geometry.is_empty.any(), name


def test_depth_input_decides_the_line_and_its_absence_is_said(run):
    rep = run.report()
    notes = " ".join(rep["notes"])
    md = (run.out / "report.md").read_text(encoding="utf-8")
    if run.ex.spec.depth:
        assert rep["land"]["border_line"] == "thalweg"
        assert "No depth input" not in notes and "no depth input" not in run.stderr
    else:
        assert rep["land"]["border_line"] == "middle"
        assert "no depth input" in run.stderr.lower()           # the warning, as the user sees it
        assert "No depth input" in notes and "No depth input" in md
        assert not (run.out / "thalweg.geojson").exists()


# ---------------------------------------------------------------------------------------------- names
def test_names_labels_and_texts_come_from_the_config_only(run):
    texts = {p.name: p.read_text(encoding="utf-8") for p in [run.out / "report.md", run.out / "report.json",
                                                              run.out / "border.qgs", *run.out.glob("*.geojson")]}
    word = re.compile(r"\b(" + "|".join(map(re.escape, FORBIDDEN)) + r")\b")
    for name, text in texts.items():
        hit = word.search(text)
        assert hit is None, f"{name} mentions {hit.group(0)!r}: …{text[max(0, hit.start() - 80):hit.end() + 40]}…"
    for name in ("report.md", "report.json", "border.qgs", "land.geojson", "territorial_sea_limits.geojson"):
        assert "Aland" in texts[name] and "Beeland" in texts[name], name
    land = run.layer("land")
    assert dict(zip(land["side"], land["name"])) == {c: NAMES[c][0] for c in ("AAA", "BBB", "CCC")}
    rep = run.report()
    assert rep["sides"] == {"left": "AAA", "right": "BBB", "third": "CCC"}
    assert rep["side_names"] == {c: NAMES[c][0] for c in ("AAA", "BBB", "CCC")}


# ---------------------------------------------------------------------------------------------- figures
def test_land_boundary_length_and_ends(run):
    ex = run.ex
    for ext, tol in (("gpkg", 1.0), ("geojson", 1.0)):
        xy = coords(run.layer("land_boundary", ext).geometry.iloc[0])
        assert abs(line_length(xy) - ex.land_length_m) <= tol, (ext, line_length(xy) - ex.land_length_m)
        assert distance(tuple(xy[0]), ex.tripoint) <= 0.1
        assert distance(tuple(xy[-1]), ex.b) <= 0.01
    stored = float(run.layer("land_boundary")["length_m"].iloc[0])
    assert abs(stored - ex.land_length_m) <= 1.0


def test_sea_boundary_is_the_geodesic_from_b_to_e(run):
    ex = run.ex
    for ext in ("gpkg", "geojson"):
        xy = coords(run.layer("maritime_boundary", ext).geometry.iloc[0])
        assert abs(line_length(xy) - ex.sea_length_m) <= 0.1, (ext, line_length(xy) - ex.sea_length_m)
        assert distance(tuple(xy[0]), ex.b) <= 0.01 and distance(tuple(xy[-1]), ex.e) <= 0.01
    xy = coords(run.layer("maritime_boundary").geometry.iloc[0])
    sample = as_drawn(xy)[:: max(1, len(xy) // 25)]
    assert max(distance_to_segment(tuple(p), ex.b, ex.e)[0] for p in sample) <= 0.1


def test_tripoint_is_the_foot_of_the_perpendicular_from_the_monument(run):
    ex = run.ex
    tp = run.layer("tripoint")
    a = tp[tp["kind"] == "tripoint"].geometry.iloc[0]
    assert distance((a.x, a.y), ex.tripoint) <= 0.1
    rep = run.report()["tripoint"]
    assert distance((rep["lon"], rep["lat"]), ex.tripoint) <= 0.1
    assert abs(rep["distance_to_monument_m"] - distance(ex.tripoint, ex.monument)) <= 0.1
    # the second record's own perpendicular meets the line 0.30 m downstream
    other = tp[tp["kind"] == "tripoint from the other record"].geometry.iloc[0]
    foot = ex.frame.point(ex.spec.tripoint_s_m + ex.record_foot_shift_m, 0.0)
    assert distance((other.x, other.y), foot) <= 0.1
    assert abs(rep["from_compare_monument"]["distance_to_tripoint_m"] - ex.record_foot_shift_m) <= 0.05


def test_equidistance_line_is_the_perpendicular_and_ends_12_nm_from_both_baselines(run):
    ex = run.ex
    xy = coords(run.layer("maritime_equidistance").geometry.iloc[0])
    assert distance(tuple(xy[0]), ex.crossing) <= 0.1
    drawn = as_drawn(xy)
    sample = drawn[:: max(1, len(drawn) // 60)]
    worst = max(ex.axis_distance(tuple(p)) for p in sample)
    # 0.1 m, not 1 m: the planar (Voronoi) line departs from the geodesic by a few cm at most; on a straight
    # coast its direction hangs on the two sites nearest C (1 m either side), so a site rounded to 0.1 mm turns
    # it by up to 1e-4 rad: 0.7 m at the end here, which this bound catches
    assert worst <= 0.1, f"the equidistance line strays {worst:.3f} m from the analytic perpendicular"
    end = tuple(xy[-1])
    assert distance(end, ex.e) <= 0.1
    for side in ("AAA", "BBB"):
        assert abs(distance_to_baseline(end, ex.baselines[side]) - BREADTH_M) <= 1.0, side
    assert abs(line_length(xy) - ex.equidistance_length_m) <= 1.0


def test_headland_apex_is_what_ends_the_equidistance_line():
    """The analytic model itself: with headlands the end is nearer the apexes than C (not 22,224 m out)."""
    from synthetic_case import analytic

    ex = analytic(HEADLANDS)
    for side in ("AAA", "BBB"):
        assert abs(distance_to_baseline(ex.e, ex.baselines[side]) - distance(ex.e, ex.apex[side])) < 1e-3
        assert abs(distance(ex.e, ex.apex[side]) - BREADTH_M) < 1e-3
    assert ex.equidistance_length_m > BREADTH_M + 2_000.0


def test_territorial_sea_limits_lie_on_their_own_side_12_nm_out(run):
    ex = run.ex
    lim = run.layer("territorial_sea_limits")
    assert set(lim["side"]) == {"AAA", "BBB"}
    _, az_c = inverse(ex.crossing, ex.e)
    for side, geom in zip(lim["side"], lim.geometry):
        xy = coords(geom)
        assert len(xy) >= 2
        sign = 1.0 if side == "AAA" else -1.0            # AAA is left of the boundary looking seaward
        checked = 0
        for p in xy[:: max(1, len(xy) // 40)]:
            p = tuple(p)
            d, az = inverse(ex.crossing, p)
            across = -d * math.sin(math.radians(az - az_c))   # > 0: left of the line C -> E
            if abs(across) > 1.0:
                assert across * sign > 0, (side, p, across)
            if d <= 30_000.0:                               # away from the data extent's edge
                assert abs(distance_to_baseline(p, ex.baselines[side]) - BREADTH_M) <= 1.0, (side, p)
                checked += 1
        assert checked >= 5, side


def test_coast_layer_follows_the_analytic_coast_near_the_mouth(run):
    ex = run.ex
    coast = run.layer("coast")
    for side, geom in zip(coast["side"], coast.geometry):
        near = [tuple(p) for p in coords(geom) if distance(tuple(p), ex.crossing) <= 15_000.0]
        assert len(near) >= 10, side
        worst = max(distance_to_baseline(p, ex.baselines[side]) for p in near[:: max(1, len(near) // 30)])
        assert worst <= 1.0 + 1e-6, (side, worst)   # the bank's last metre before the sea counts as coast


def test_island_falls_to_the_right_bank_state(run):
    rep = run.report()["land"]
    assert [i["side_in_use"] for i in rep["islands"]] == ["BBB"]
    assert rep["islands_per_side"] == {"AAA": 0, "BBB": 1}
    islands = run.layer("islands")
    assert list(islands["side"]) == ["BBB"]


def test_report_figures_match_the_analytic_answers(run):
    ex, rep = run.ex, run.report()
    assert abs(rep["land"]["land_boundary_m"] - ex.land_length_m) <= 1.0
    assert abs(rep["maritime"]["length_m"] - ex.sea_length_m) <= 0.1
    assert abs(rep["mouth"]["offset_m"] - ex.mouth_offset_m) <= 0.05
    assert distance(tuple(rep["mouth"]["crossing"]), ex.crossing) <= 0.05
    for side in ("AAA", "BBB"):
        assert abs(rep["maritime"]["end_distance_to_baselines_m"][side] - BREADTH_M) <= 1.0
