"""``tumen-border compare``: how the border moves when the channel moves, on a modelled shift with a known answer.

Run A's land boundary is a straight geodesic; in run B a reach of it is moved sideways by D metres (straight
transitions of length T at both ends). The area between them is the trapezoid D x (L + T) (L: the shifted reach
at full offset), the Hausdorff shift is D, the mean shift follows from the lengths, the island between the two
lines changes side, and the tripoint moved by the distance we moved it.
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from geographiclib.geodesic import Geodesic
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Point, Polygon

from pipeline.compare import Run, compare_runs
from pipeline.verify import read_report

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "pipeline.cli"]
D, L, T, LENGTH = 80.0, 3000.0, 500.0, 8000.0       # shift, reach at full shift, transition, line length (m)
LON0, LAT0 = 130.7, 42.35
TM = CRS.from_proj4(f"+proj=tmerc +lat_0={LAT0} +lon_0={LON0} +k=1 +ellps=WGS84 +units=m +no_defs")
TO_LL = Transformer.from_crs(TM, "EPSG:4326", always_xy=True)


def ll(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(TO_LL.transform(xy[:, 0], xy[:, 1])))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("cmp")
    a, b = base / "a", base / "b"
    for out, extra in ((a, []), (b, ["--border-line", "middle"])):
        proc = subprocess.run([*CLI, "run", "--out", str(out), "--no-map", "-q", *extra], cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return a, b


def synthetic_runs(report_path: Path):
    """Two Runs over the same (real, schema-valid) report, with land boundaries of known geometry.

    In the local TM the river runs north along x = 0 (left = west = the report's left side); in run B the
    reach 2,500 m <= y <= 5,500 m is moved east by D with straight transitions of T (the line bends back to
    x = 0 at 2,000 m and 6,000 m). An island sits at x = +40, west of B's shifted reach: it changes side."""
    rep = read_report(report_path)
    line_a = LineString([(0.0, y) for y in np.linspace(0.0, LENGTH, 161)])
    y0, y1 = 2000.0, 2000.0 + T + L + T
    xs = lambda y: np.interp(y, [0, y0, y0 + T, y1 - T, y1, LENGTH], [0, 0, D, D, 0, 0])  # noqa: E731
    ys = np.unique(np.concatenate([np.linspace(0, LENGTH, 161), [y0, y0 + T, y1 - T, y1]]))
    line_b = LineString(np.column_stack([xs(ys), ys]))
    island = Polygon([(30, 4000), (50, 4000), (50, 4040), (30, 4040)])
    left, right = rep.sides["left"], rep.sides["right"]
    pts_a = {"A": ll(Point(0, 0)), "B": ll(Point(0, LENGTH))}
    pts_b = {"A": ll(Point(0, 30.0)), "B": ll(Point(0, LENGTH))}          # the tripoint moved 30 m
    a = Run(Path("a"), rep, ll(line_a), {1: (ll(island), right)}, pts_a)
    b = Run(Path("b"), rep, ll(line_b), {1: (ll(island), left)}, pts_b)
    return a, b, left, right


def test_known_shift(runs):
    a, b, left, right = synthetic_runs(runs[0] / "report.json")
    c = compare_runs(a, b, step_m=1.0, tolerance_m=1.0, min_overlap=0.5)
    # a trapezoid D x (L + T) east of A's line: right of A (right state), left of B (left state)
    expected_area = D * (L + T) / 1e6
    assert c.area_changed_km2 == pytest.approx(expected_area, rel=2e-4)
    assert c.area_by_side == {f"{right} -> {left}": pytest.approx(expected_area, rel=2e-4)}
    assert c.hausdorff_m == pytest.approx(D, abs=0.05)
    # mean over both lines' samples: on A, d = D on L and ~D/2 (the ramps) on 2T; on B the same, B being longer
    ramp = np.hypot(T, D)
    mean_a = (D * L + D / 2 * 2 * T * (T / ramp)) / LENGTH          # A's samples under B's ramps are nearer
    assert c.mean_shift_m == pytest.approx(mean_a, rel=0.02)
    assert c.islands_changed == 1 and c.islands[0].side_a == right and c.islands[0].side_b == left
    g = Geodesic.WGS84.Inverse(a.points["A"].y, a.points["A"].x, b.points["A"].y, b.points["A"].x)["s12"]
    assert c.tripoint_shift_m == pytest.approx(g, abs=1e-6) and g == pytest.approx(30.0, abs=0.01)
    assert c.holds == {"tripoint": False, "mouth point": True}


def test_identical_runs_show_no_change(runs):
    a, _, _, _ = synthetic_runs(runs[0] / "report.json")
    c = compare_runs(a, a, step_m=10.0, tolerance_m=1.0, min_overlap=0.5)
    assert c.hausdorff_m < 1e-6 and c.area_changed_km2 == 0 and c.islands_changed == 0
    assert c.holds == {"tripoint": True, "mouth point": True}


def test_cli_compare_writes_its_report_and_layer(runs, tmp_path):
    a, b = runs
    out = tmp_path / "cmp"
    proc = subprocess.run([*CLI, "compare", str(a), str(b), "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((out / "compare.json").read_text())
    import geopandas as gpd

    areas = gpd.read_file(out / "compare.gpkg", layer="changed_areas")
    assert data["area_changed_km2"] == pytest.approx(areas["area_km2"].sum(), rel=1e-12)
    assert data["area_changed_km2"] > 0.1 and data["hausdorff_m"] > 50          # thalweg vs middle line
    assert data["holds"]["mouth point"] is True                                 # B is a fixed treaty point
    assert "| area that changes side |" in (out / "compare.md").read_text()


def test_cli_compare_refuses_to_write_into_a_run(runs):
    a, b = runs
    proc = subprocess.run([*CLI, "compare", str(a), str(b), "--out", str(a)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert str(a) in proc.stderr


def test_runs_of_different_borders_are_refused(runs):
    a, b, _, _ = synthetic_runs(runs[0] / "report.json")
    other = dataclasses.replace(b.report, sides={"left": "XXX", "right": "YYY", "third": ""})
    from pipeline.errors import InputError

    with pytest.raises(InputError, match="different borders"):
        compare_runs(a, dataclasses.replace(b, report=other), step_m=10.0, tolerance_m=1.0, min_overlap=0.5)


def test_art_2_a_stays_on_the_dividing_line_when_the_channel_moves(runs):
    """The thalweg run and the middle-line run fix A on the same dividing line (1998 agreement): run B's A lies
    on run A's dividing line (geographiclib: the point of that geodesic at the same distance from marker 1), it
    moved along it by the distance between the two crossings, and compare.md says what Art. 2 means."""
    a, b = runs
    ra, rb = read_report(a / "report.json"), read_report(b / "report.json")
    from pipeline.compare import read_run
    c = compare_runs(read_run(a), read_run(b), step_m=10.0, tolerance_m=1.0, min_overlap=0.5)
    da = ra.tripoint.dividing
    assert c.dividing_line == f"{da.marker1}–{da.marker2}"
    m1 = next(m for m in ra.tripoint.monuments if m.id == da.marker1)
    g = Geodesic.WGS84
    s = g.Inverse(m1.lat, m1.lon, rb.tripoint.lat, rb.tripoint.lon)["s12"]
    p = g.Direct(m1.lat, m1.lon, da.azimuth_deg, s)
    off = g.Inverse(p["lat2"], p["lon2"], rb.tripoint.lat, rb.tripoint.lon)["s12"]
    assert off < 0.01 and c.tripoint_off_dividing_line_m == pytest.approx(off, abs=1e-3)
    moved = g.Inverse(ra.tripoint.lat, ra.tripoint.lon, rb.tripoint.lat, rb.tripoint.lon)["s12"]
    assert c.tripoint_shift_m == pytest.approx(moved, abs=1e-3) and moved > 1.0
    from pipeline.compare import render_markdown
    md = render_markdown(c)
    assert "Art. 2" in md and f"dividing line {c.dividing_line}" in md
