"""pipeline.land_line on analytic rivers with exact true middle lines (see tests/fixtures.py).

Required accuracy (the issue): the middle line within 1 m of the true midline (Hausdorff, from one width
downstream of the upstream cap to the mouth), every vertex equidistant from the two nearest shores within
1 m (the pipeline's own ``max_equidistance_error_m`` and an independent measure against the fixture's
exact shores); the thalweg within one cell of the known deepest line. The measured figures are collected
in ``fixtures.ACCURACY`` and printed as a table in pytest's terminal summary.
"""
from __future__ import annotations

import functools
import logging

import numpy as np
import pytest
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point
from shapely.ops import substring

import fixtures as F
from pipeline.land_line import (GeometryError, IslandChoice, MiddleLine, Mouth, Thalweg, find_mouth, land_boundary,
                                middle_line, thalweg)

SNAP, MIN_WIDTH, STEP = F.SNAP, 20.0, 5.0
TOL_M = 1.0

record = F.record  # worst figures per case, printed in the terminal summary (fixtures.ACCURACY)


@pytest.fixture(scope="module", autouse=True)
def _accuracy_report(request):
    F.register_report(request.config)


# ------------------------------------------------------------------------------------------ cases
BUILDERS = {
    "straight": lambda: F.straight_channel(),
    "straight-rot30": lambda: F.straight_channel(angle_deg=30.0),
    "sine": lambda: F.sine_channel(),
    "sine-mirrored": lambda: F.mirror(F.sine_channel()),
    "sine-tight": lambda: F.sine_channel(amplitude=100.0, wavelength=700.0, width=120.0, quarter_waves=11),
    "taper": lambda: F.taper_channel(),
    "island-rect": lambda: F.island_channel("rect"),
    "island-ellipse": lambda: F.island_channel("ellipse"),
    "island-ellipse-mirrored": lambda: F.mirror(F.island_channel("ellipse")),
}


@functools.lru_cache(maxsize=None)
def case(name: str) -> F.Channel:
    return BUILDERS[name]()


@functools.lru_cache(maxsize=None)
def computed(name: str) -> tuple[Mouth, MiddleLine]:
    ch = case(name)
    mouth = find_mouth(ch.water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
    return mouth, middle_line(ch.water, mouth, step_m=STEP, snap_m=SNAP)


def check_accuracy(name: str, ch: F.Channel, ml: MiddleLine) -> None:
    h = F.hausdorff_downstream(ml.line, ch)
    eq = F.equidistance_errors(ml.line, ch).max()
    record(name, hausdorff=h, equidistance_own=eq, equidistance_pipeline=ml.max_equidistance_error_m)
    assert h < TOL_M, f"{name}: middle line {h:.3f} m from the true midline"
    assert eq < TOL_M, f"{name}: a vertex is {eq:.3f} m off equidistance (fixture shores)"
    assert ml.max_equidistance_error_m < TOL_M, f"{name}: pipeline equidistance error {ml.max_equidistance_error_m:.3f} m"


# ------------------------------------------------------------------------------- the fixtures
def test_fixture_island_rect_matches_closed_form():
    """The bisection-built true line of the rectangular island equals the closed form."""
    ch = case("island-rect")
    isl = ch.info["island"]
    xy = np.asarray(ch.true_line.coords)[:-1]
    x0, _, x1, top = isl.bounds
    exact = F.island_rect_exact_y(xy[:, 0], x0, x1, top, 100.0)
    assert np.abs(xy[:, 1] - exact).max() < 1e-6
    assert abs(exact[np.searchsorted(xy[:, 0], 1500.0)] - 40.0) < 1e-9


def test_fixture_sine_banks_are_offset_curves():
    ch = case("sine")
    left, right = ch.shores[:2]
    pts = shapely.points(F._dense_points(ch.true_line, 5.0))
    for bank in (left, right):
        d = shapely.distance(pts, bank)
        assert np.abs(d - 75.0).max() < 0.01


# ---------------------------------------------------------------------------------- find_mouth
@pytest.mark.parametrize("name", list(BUILDERS))
def test_find_mouth_closing_line(name):
    ch = case(name)
    mouth, _ = computed(name)
    assert F.hausdorff(mouth.closing_line, ch.closing_line, step=1.0) < 1e-6
    assert mouth.other_openings == ()
    assert mouth.opening is not None and mouth.opening.length > mouth.closing_line.length


def test_find_mouth_banks_stop_short_of_coast():
    ch = F.short_channel()
    with pytest.raises(GeometryError, match="does not reach the coast.*banks stop short of the coast"):
        find_mouth(ch.water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)


def test_find_mouth_past_coast_by_less_than_snap():
    ch = F.straight_channel(ext=0.5)
    with pytest.raises(GeometryError, match="does not reach the coast"):
        find_mouth(ch.water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)


def test_find_mouth_narrower_than_min_width():
    ch = F.straight_channel(width=15.0)
    with pytest.raises(GeometryError, match="does not reach the coast"):
        find_mouth(ch.water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)


def test_find_mouth_ring_starting_in_the_opening():
    """The ring's first vertex lies in the opening: the two pieces of the opening are merged."""
    ch = case("sine")
    ring = np.asarray(ch.water.exterior.coords)[:-1]
    i = int(np.argmax(ring[:, 0]))  # a sea-side corner
    water = shapely.Polygon(np.roll(ring, -i, axis=0))
    mouth = find_mouth(water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
    assert F.hausdorff(mouth.closing_line, ch.closing_line, step=1.0) < 1e-6
    ml = middle_line(water, mouth, step_m=STEP, snap_m=SNAP)
    check_accuracy("sine-ring-rolled", ch, ml)


@pytest.mark.parametrize("second", [10.0, 40.0])
def test_find_mouth_second_outlet(second):
    """A side outlet narrower than min_width is ignored; a wider one is reported in other_openings; the
    middle line runs to the main (widest) closing line either way."""
    ch = F.two_outlet_channel(second)
    mouth = find_mouth(ch.water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
    assert F.hausdorff(mouth.closing_line, ch.closing_line, step=1.0) < 1e-6
    if second < MIN_WIDTH:
        assert mouth.other_openings == ()
    else:
        assert len(mouth.other_openings) == 1
        assert abs(mouth.other_openings[0].length - second) < 1e-6
    ml = middle_line(ch.water, mouth, step_m=STEP, snap_m=SNAP)
    assert Point(ml.line.coords[-1]).distance(Point(3000.0 + SNAP, 0.0)) < 1e-3
    assert ml.max_equidistance_error_m < TOL_M
    # away from the creek's junction (x = 1980 .. 1980 + width) the line is the axis
    a, b = F.downstream_parts(ml.line, ch)
    far = shapely.clip_by_rect(a, -1e6, -1e6, 1700.0, 1e6)
    assert F.directed_hausdorff(far, b) < TOL_M


# --------------------------------------------------------------------------------- middle_line
@pytest.mark.parametrize("name", list(BUILDERS))
def test_middle_line_accuracy(name):
    """Within 1 m of the true midline; every vertex equidistant within 1 m."""
    ch = case(name)
    _, ml = computed(name)
    check_accuracy(name, ch, ml)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_middle_line_runs_from_upstream_end_to_closing_line(name):
    ch = case(name)
    mouth, ml = computed(name)
    start, end = Point(ml.line.coords[0]), Point(ml.line.coords[-1])
    cap_centre = Point(ch.true_line.coords[0])
    # the axis forks to the cap's corners: it starts within a (cap) half-width of the cap's centre
    cap_half = ch.info.get("w0", ch.width) / 2
    assert start.distance(cap_centre) <= cap_half * np.sqrt(2) + STEP
    assert end.distance(mouth.closing_line) < 1e-3  # skeleton nodes are rounded to the mm
    assert end.distance(Point(ch.true_line.coords[-1])) < TOL_M
    assert ml.line.is_simple
    assert ml.line.within(ch.water.buffer(1e-6))
    assert ml.n_generators > 2 * ch.true_line.length / STEP * 0.9


@pytest.mark.parametrize("ext", [1.5, 50.0, 200.0, 400.0])
@pytest.mark.parametrize("angle", [0.0, 17.0, 30.0, 45.0])
def test_middle_line_water_running_past_the_coast(ext, angle):
    """Regression: the water past the coast (bounded by the opening, not by banks) was fed to the Voronoi
    diagram and kept in the skeleton; the line then ended off the axis (up to a bank corner: 200 m error)
    or no skeleton node lay on the closing line at all (GeometryError), depending on ext and the angle."""
    ch = F.straight_channel(ext=ext, angle_deg=angle)
    mouth = find_mouth(ch.water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
    ml = middle_line(ch.water, mouth, step_m=STEP, snap_m=SNAP)
    check_accuracy(f"straight-ext{ext:g}-rot{angle:g}", ch, ml)
    assert Point(ml.line.coords[-1]).distance(Point(ch.true_line.coords[-1])) < TOL_M


def test_middle_line_ring_starting_at_a_closing_line_end():
    """Regression (found by the mirror property): when the river polygon's ring starts at a closing-line
    end, that end projects to s = ring length, and splitting the ring into banks built a one-point
    substring (GEOSException "point array must contain 0 or >1 elements")."""
    ch = F.mirror(F.rotate(F.sine_channel(amplitude=0.0, wavelength=500.0, width=40.0, quarter_waves=3, ext=2.0,
                                          step=4.0), 185.25))
    mouth = find_mouth(ch.water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
    ml = middle_line(ch.water, mouth, step_m=STEP, snap_m=SNAP)
    check_accuracy("narrow-rot185-mirrored", ch, ml)


def test_middle_line_short_wide_channel_collinear_cap():
    """Regression (found by the random-channel property): Qhull put the circumcentre of three nearly
    collinear cap points ~1e15 m away on the river's side; the 'finite' ridges to it ran from the cap
    across the whole river to the closing line, were clipped there and, being the widest edges crossing
    it, chose the mouth node: the line ended 129 m off the axis (equidistance error 129 m)."""
    w = 293.728491595268
    ch = F.rotate(F.sine_channel(amplitude=0.0, wavelength=500.0, width=w, quarter_waves=3, ext=2.0, step=4.0), w)
    mouth = find_mouth(ch.water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
    ml = middle_line(ch.water, mouth, step_m=STEP, snap_m=SNAP)
    check_accuracy("short-wide-rot293.7", ch, ml)
    assert Point(ml.line.coords[-1]).distance(Point(ch.true_line.coords[-1])) < TOL_M


def test_middle_line_hand_built_mouth_without_opening():
    """A Mouth built by hand (no opening): the largest piece left by the closing line is the river."""
    ch = case("sine")
    mouth, _ = computed("sine")
    ml = middle_line(ch.water, Mouth(mouth.closing_line, ()), step_m=STEP, snap_m=SNAP)
    check_accuracy("sine-mouth-by-hand", ch, ml)


def test_middle_line_closing_line_off_the_water():
    ch = case("straight")
    far = Mouth(LineString([(0.0, 5000.0), (200.0, 5000.0)]), ())
    with pytest.raises(GeometryError, match="closing line of the mouth does not touch the water"):
        middle_line(ch.water, far, step_m=STEP, snap_m=SNAP)


def test_middle_line_no_polygon():
    ch = case("straight")
    mouth, _ = computed("straight")
    with pytest.raises(GeometryError, match="holds no polygon"):
        middle_line(ch.water.boundary, mouth, step_m=STEP, snap_m=SNAP)


@pytest.mark.parametrize("step", [2.5, 10.0])
@pytest.mark.parametrize("name", ["island-ellipse", "taper"])
def test_middle_line_other_densify_steps(name, step):
    ch = case(name)
    mouth, _ = computed(name)
    ml = middle_line(ch.water, mouth, step_m=step, snap_m=SNAP)
    check_accuracy(f"{name}-step{step:g}", ch, ml)


@pytest.mark.parametrize("simplify", [0.5, 2.0])
def test_middle_line_simplify(simplify):
    ch = case("island-ellipse")
    mouth, ml0 = computed("island-ellipse")
    ml = middle_line(ch.water, mouth, step_m=STEP, snap_m=SNAP, simplify_m=simplify)
    assert len(ml.line.coords) < len(ml0.line.coords)
    assert F.directed_hausdorff(ml0.line, ml.line) <= simplify + 1e-6
    assert ml.max_equidistance_error_m < TOL_M  # the kept vertices are on the medial axis
    assert F.hausdorff_downstream(ml.line, ch) < simplify + TOL_M


# -------------------------------------------------------------------------------------- islands
@pytest.mark.parametrize("name", ["island-rect", "island-ellipse", "island-ellipse-mirrored"])
def test_island_wider_branch_taken(name):
    ch = case(name)
    _, ml = computed(name)
    isl = ch.info["island"] if "mirrored" not in name else affinity.scale(ch.info["island"], 1, -1, origin=(0, 0))
    wide, narrow = ch.info["wide_branch_m"], ch.info["narrow_branch_m"]
    assert len(ml.islands) == 1
    c = ml.islands[0]
    assert isinstance(c, IslandChoice)
    assert c.island == 1 and c.rule == "widest"
    assert c.area_m2 == pytest.approx(isl.area, rel=1e-9)
    # the island lies on the right bank's side (left, once mirrored): the path passes on its other side
    assert c.taken == ("right" if "mirrored" in name else "left")
    assert c.taken_width_m > c.other_width_m
    assert c.taken_width_m == pytest.approx(wide, rel=0.1)
    assert c.other_width_m == pytest.approx(narrow, rel=0.25)
    # along the island the line is in the wider branch, midway between island and bank
    x0, y0, x1, y1 = isl.bounds
    reach = shapely.clip_by_rect(ml.line, x0 + 50, -1e6, x1 - 50, 1e6)
    ys = shapely.get_coordinates(reach)[:, 1]
    sign = -1.0 if "mirrored" in name else 1.0
    mid_wide = sign * (100.0 + (y1 if sign > 0 else -y0)) / 2
    assert np.all(sign * ys > sign * mid_wide - TOL_M - 30.0)  # beyond the island, in the wide branch
    if "rect" in name:
        assert np.abs(ys - 40.0).max() < TOL_M


def test_island_deepest_branch_taken_with_depth():
    """With ``depth_at`` the main channel is the deepest: make the narrow branch deeper."""
    ch = case("island-ellipse")
    mouth, _ = computed("island-ellipse")
    isl = ch.info["island"]
    cy = isl.centroid.y
    calls = []

    def depth_at(xy):
        calls.append(len(xy))
        return np.where(xy[:, 1] < cy, 10.0, 3.0)

    ml = middle_line(ch.water, mouth, step_m=STEP, snap_m=SNAP, depth_at=depth_at)
    assert calls
    c, = ml.islands
    assert c.rule == "deepest" and c.taken == "right"
    assert c.taken_width_m < c.other_width_m
    x0, y0, x1, _ = isl.bounds
    ys = shapely.get_coordinates(shapely.clip_by_rect(ml.line, x0 + 50, -1e6, x1 - 50, 1e6))[:, 1]
    assert np.all(ys < y0)
    assert ml.max_equidistance_error_m < TOL_M
    record("island-ellipse-deepest", equidistance_pipeline=ml.max_equidistance_error_m)


# ---------------------------------------------------------------------------------- robustness
def test_self_intersecting_water_repaired_with_make_valid(caplog):
    bad, ch = F.bowtie_channel()
    water = shapely.make_valid(bad)  # GeometryCollection(MultiPolygon(river, 75 m2 triangle), LineString)
    assert water.is_valid
    with caplog.at_level(logging.WARNING, logger="pipeline.land_line"):
        mouth = find_mouth(water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
        ml = middle_line(water, mouth, step_m=STEP, snap_m=SNAP)
    assert "ignoring 75 m2" in caplog.text
    check_accuracy("bowtie (make_valid)", ch, ml)
    # the bank's bump lifts the true line by 0.25 m at x = 1500: the computed line follows it
    y = shapely.intersection(ml.line, LineString([(1500.0, -100.0), (1500.0, 100.0)])).y
    assert y == pytest.approx(0.25, abs=0.1)


@pytest.mark.parametrize("union", [True, False], ids=["unioned", "raw-multipolygon"])
def test_multipart_water_and_a_far_pond(union, caplog):
    """Two touching polygons (unioned by the caller, or passed as they are: dissolved by main_polygon)
    plus a pond in the land larger than either half: the pond is ignored, with a warning."""
    parts, ch = F.multipart_channel()
    water = shapely.union_all(parts) if union else parts
    with caplog.at_level(logging.WARNING, logger="pipeline.land_line"):
        mouth = find_mouth(water, ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
        ml = middle_line(water, mouth, step_m=STEP, snap_m=SNAP)
    assert "2 disconnected parts" in caplog.text and "ignoring 282" in caplog.text
    check_accuracy(f"multipart-{'unioned' if union else 'raw'}", ch, ml)
    assert ml.line.length > 2900.0


# ------------------------------------------------------------------------------- land_boundary
def test_land_boundary_from_start_to_closing_line():
    ch = case("sine")
    mouth, ml = computed("sine")
    start = ml.line.interpolate(ml.line.project(ch.true_line.interpolate(1000.0)))
    lb = land_boundary(ml.line, start, mouth)
    assert Point(lb.coords[0]).equals_exact(start, 1e-9)
    assert Point(lb.coords[-1]).distance(mouth.closing_line) < 1e-3
    assert lb.length == pytest.approx(ml.line.length - ml.line.project(start), abs=1e-6)
    assert F.directed_hausdorff(lb, ch.true_line) < TOL_M


def test_land_boundary_start_off_the_line_is_kept_exactly():
    mouth, ml = computed("straight")
    start = Point(1200.0, 3.0)  # e.g. a tripoint computed elsewhere, a little off the line
    lb = land_boundary(ml.line, start, mouth)
    assert lb.coords[0] == (1200.0, 3.0)
    assert Point(lb.coords[1]).x > 1200.0
    # the first vertex moves from the foot of the perpendicular (1200, 0) to the start, 3 m off
    assert lb.length == pytest.approx(3000.0 + SNAP - 1200.0, abs=3.0)


def test_land_boundary_start_beyond_the_mouth():
    mouth, ml = computed("straight")
    with pytest.raises(GeometryError, match="downstream of the river mouth"):
        land_boundary(ml.line, Point(ml.line.coords[-1]), mouth)


# ------------------------------------------------------------------------------------- thalweg
THALWEG_GRIDS = {
    "identity": dict(),
    "rotated30-shifted": dict(grid_angle_deg=30.0, grid_offset=(500_000.0, 4_600_000.0)),
    "rotated-12.5-shifted": dict(grid_angle_deg=-12.5, grid_offset=(-300_000.0, 1_000_000.0)),
}


@functools.lru_cache(maxsize=None)
def thalweg_case(grid: str) -> F.ThalwegCase:
    return F.thalweg_case(**THALWEG_GRIDS[grid])


def run_thalweg(tc: F.ThalwegCase, start=None, end=None, smooth=5, depth=None) -> Thalweg:
    return thalweg(tc.depth if depth is None else depth, tc.transform, tc.to_grid, tc.from_grid, tc.water_grid,
                   tc.start if start is None else start, tc.end if end is None else end, exponent=4.0,
                   smooth_cells=smooth)


def thalweg_error(line: LineString, tc: F.ThalwegCase, trim_cells: int = 3) -> float:
    trim = trim_cells * tc.cell
    a = substring(line, trim, line.length - trim)
    t = tc.true_line
    b = substring(t, t.project(Point(a.coords[0])), t.project(Point(a.coords[-1])))
    return F.hausdorff(a, b)


@pytest.mark.parametrize("smooth", [1, 5])
@pytest.mark.parametrize("grid", list(THALWEG_GRIDS))
def test_thalweg_follows_the_deepest_line(grid, smooth):
    tc = thalweg_case(grid)
    th = run_thalweg(tc, smooth=smooth)
    assert th.line.coords[0] == tc.start.coords[0] and th.line.coords[-1] == tc.end.coords[-1]
    assert th.cells > 0.9 * tc.true_line.length / (tc.cell * np.sqrt(2))
    assert th.smoothed_vertices_kept == pytest.approx(1.0)
    assert th.line.within(tc.water.buffer(1e-6))
    h = thalweg_error(th.line, tc)
    record(f"thalweg-{grid}-smooth{smooth}", hausdorff=h)
    assert h <= tc.cell, f"thalweg {h:.2f} m from the deepest line (cell {tc.cell} m)"


def test_thalweg_start_in_a_dry_cell_is_snapped():
    tc = thalweg_case("identity")
    start = Point(100.0, 157.0)  # on the bank, 7 m outside the water, in a dry (NaN) cell of the raster
    th = run_thalweg(tc, start=start)
    assert th.line.coords[0] == (100.0, 157.0)
    first_wet = Point(th.line.coords[1])
    assert tc.water.buffer(1e-6).contains(first_wet) and first_wet.y > 140.0
    assert thalweg_error(th.line, tc, trim_cells=40) <= tc.cell


def test_thalweg_start_outside_the_raster():
    tc = thalweg_case("identity")
    with pytest.raises(GeometryError, match="outside the depth raster"):
        run_thalweg(tc, start=Point(-5000.0, 0.0))


def test_thalweg_no_wet_path():
    tc = thalweg_case("identity")
    depth = tc.depth.copy()
    col = int((1500.0 - tc.transform.c) // tc.cell)
    depth[:, col - 1:col + 2] = np.nan  # a dry bar across the river
    with pytest.raises(GeometryError, match="no wet path"):
        run_thalweg(tc, depth=depth)


def test_thalweg_all_dry():
    tc = thalweg_case("identity")
    with pytest.raises(GeometryError, match="no positive depth"):
        run_thalweg(tc, depth=np.full_like(tc.depth, np.nan))
