"""pipeline.land_line on analytic rivers with exact true middle lines (see tests/fixtures.py).

Required accuracy (the issue): the middle line within 1 m of the true midline (Hausdorff, from one width
downstream of the upstream cap to the mouth), every vertex equidistant from the two nearest shores within
1 m (the pipeline's own ``MiddleLine.equidistance_error_m`` and an independent measure against the fixture's
exact shores); the thalweg within one cell of the known deepest line, in grids of three CRSs (the metric one,
UTM 52N, an oblique Mercator turned 30 deg), ending exactly on the closing line. ``channel_lines`` with a
depth grid (the thalweg in use; the "deepest" rule at an island) and ``land_boundary`` (from exactly the
tripoint to exactly the junction point). The measured figures are collected in ``fixtures.ACCURACY`` and
printed as a table in pytest's terminal summary.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import replace

import numpy as np
import pytest
import shapely
from shapely.ops import substring
from shapely import affinity
from shapely.geometry import LineString, Point

import fixtures as F
from pipeline.config import LandCfg
from pipeline.errors import GeometryError
from pipeline.land_line import channel_lines, find_mouth, islands, land_boundary, middle_line, thalweg
from pipeline.model import ChannelLines, IslandChoice, MiddleLine, Mouth, Thalweg

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
    mouth = find_mouth(water=ch.water, land=ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
    return mouth, middle(ch.water, mouth)


def middle(water, mouth: Mouth, **kw) -> MiddleLine:
    """middle_line with the tests' defaults (shore points every STEP m, snap SNAP m)."""
    kw.setdefault("bank_densify_m", STEP)
    return middle_line(water=water, mouth=mouth, snap_m=SNAP, **kw)


def mouth_of(water, land) -> Mouth:
    return find_mouth(water=water, land=land, snap_m=SNAP, min_width_m=MIN_WIDTH)


def check_accuracy(name: str, ch: F.Channel, ml: MiddleLine) -> None:
    h = F.hausdorff_downstream(ml.line, ch)
    eq = F.equidistance_errors(ml.line, ch).max()
    record(name, hausdorff=h, equidistance_own=eq, equidistance_pipeline=ml.equidistance_error_m)
    assert h < TOL_M, f"{name}: middle line {h:.3f} m from the true midline"
    assert eq < TOL_M, f"{name}: a vertex is {eq:.3f} m off equidistance (fixture shores)"
    assert ml.equidistance_error_m < TOL_M, f"{name}: pipeline equidistance error {ml.equidistance_error_m:.3f} m"


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
        mouth_of(ch.water, ch.land)


def test_find_mouth_past_coast_by_less_than_snap():
    ch = F.straight_channel(ext=0.5)
    with pytest.raises(GeometryError, match="does not reach the coast"):
        mouth_of(ch.water, ch.land)


def test_find_mouth_narrower_than_min_width():
    ch = F.straight_channel(width=15.0)
    with pytest.raises(GeometryError, match="does not reach the coast"):
        mouth_of(ch.water, ch.land)


def test_find_mouth_ring_starting_in_the_opening():
    """The ring's first vertex lies in the opening: the two pieces of the opening are merged."""
    ch = case("sine")
    ring = np.asarray(ch.water.exterior.coords)[:-1]
    i = int(np.argmax(ring[:, 0]))  # a sea-side corner
    water = shapely.Polygon(np.roll(ring, -i, axis=0))
    mouth = mouth_of(water, ch.land)
    assert F.hausdorff(mouth.closing_line, ch.closing_line, step=1.0) < 1e-6
    ml = middle(water, mouth)
    check_accuracy("sine-ring-rolled", ch, ml)


@pytest.mark.parametrize("second", [10.0, 40.0])
def test_find_mouth_second_outlet(second):
    """A side outlet narrower than min_width is ignored; a wider one is reported in other_openings; the
    middle line runs to the main (widest) closing line either way."""
    ch = F.two_outlet_channel(second)
    mouth = mouth_of(ch.water, ch.land)
    assert F.hausdorff(mouth.closing_line, ch.closing_line, step=1.0) < 1e-6
    if second < MIN_WIDTH:
        assert mouth.other_openings == ()
    else:
        assert len(mouth.other_openings) == 1
        assert abs(mouth.other_openings[0].length - second) < 1e-6
    ml = middle(ch.water, mouth)
    assert Point(ml.line.coords[-1]).distance(Point(3000.0 + SNAP, 0.0)) < 1e-3
    assert ml.equidistance_error_m < TOL_M
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
    assert ml.shore_points > 2 * ch.true_line.length / STEP * 0.9


@pytest.mark.parametrize("ext", [1.5, 50.0, 200.0, 400.0])
@pytest.mark.parametrize("angle", [0.0, 17.0, 30.0, 45.0])
def test_middle_line_water_running_past_the_coast(ext, angle):
    """Regression: the water past the coast (bounded by the opening, not by banks) was fed to the Voronoi
    diagram and kept in the skeleton; the line then ended off the axis (up to a bank corner: 200 m error)
    or no skeleton node lay on the closing line at all (GeometryError), depending on ext and the angle."""
    ch = F.straight_channel(ext=ext, angle_deg=angle)
    mouth = mouth_of(ch.water, ch.land)
    ml = middle(ch.water, mouth)
    check_accuracy(f"straight-ext{ext:g}-rot{angle:g}", ch, ml)
    assert Point(ml.line.coords[-1]).distance(Point(ch.true_line.coords[-1])) < TOL_M


def test_middle_line_ring_starting_at_a_closing_line_end():
    """Regression (found by the mirror property): when the river polygon's ring starts at a closing-line
    end, that end projects to s = ring length, and splitting the ring into banks built a one-point
    substring (GEOSException "point array must contain 0 or >1 elements")."""
    ch = F.mirror(F.rotate(F.sine_channel(amplitude=0.0, wavelength=500.0, width=40.0, quarter_waves=3, ext=2.0,
                                          step=4.0), 185.25))
    mouth = mouth_of(ch.water, ch.land)
    ml = middle(ch.water, mouth)
    check_accuracy("narrow-rot185-mirrored", ch, ml)


def test_middle_line_short_wide_channel_collinear_cap():
    """Regression (found by the random-channel property): Qhull put the circumcentre of three nearly
    collinear cap points ~1e15 m away on the river's side; the 'finite' ridges to it ran from the cap
    across the whole river to the closing line, were clipped there and, being the widest edges crossing
    it, chose the mouth node: the line ended 129 m off the axis (equidistance error 129 m)."""
    w = 293.728491595268
    ch = F.rotate(F.sine_channel(amplitude=0.0, wavelength=500.0, width=w, quarter_waves=3, ext=2.0, step=4.0), w)
    mouth = mouth_of(ch.water, ch.land)
    ml = middle(ch.water, mouth)
    check_accuracy("short-wide-rot293.7", ch, ml)
    assert Point(ml.line.coords[-1]).distance(Point(ch.true_line.coords[-1])) < TOL_M


def test_middle_line_hand_built_mouth_without_opening():
    """A Mouth built by hand (no opening): the largest piece left by the closing line is the river."""
    ch = case("sine")
    mouth, _ = computed("sine")
    ml = middle(ch.water, Mouth(mouth.closing_line, ()))
    check_accuracy("sine-mouth-by-hand", ch, ml)


def test_middle_line_closing_line_off_the_water():
    ch = case("straight")
    far = Mouth(LineString([(0.0, 5000.0), (200.0, 5000.0)]), ())
    with pytest.raises(GeometryError, match="closing line of the mouth does not touch the water"):
        middle(ch.water, far)


def test_middle_line_no_polygon():
    ch = case("straight")
    mouth, _ = computed("straight")
    with pytest.raises(GeometryError, match="holds no polygon"):
        middle(ch.water.boundary, mouth)


@pytest.mark.parametrize("step", [2.5, 10.0])
@pytest.mark.parametrize("name", ["island-ellipse", "taper"])
def test_middle_line_other_densify_steps(name, step):
    ch = case(name)
    mouth, _ = computed(name)
    ml = middle(ch.water, mouth, bank_densify_m=step)
    check_accuracy(f"{name}-step{step:g}", ch, ml)


@pytest.mark.parametrize("simplify", [0.5, 2.0])
def test_middle_line_simplify(simplify):
    ch = case("island-ellipse")
    mouth, ml0 = computed("island-ellipse")
    ml = middle(ch.water, mouth, simplify_m=simplify)
    assert len(ml.line.coords) < len(ml0.line.coords)
    assert F.directed_hausdorff(ml0.line, ml.line) <= simplify + 1e-6
    assert ml.equidistance_error_m < TOL_M  # the kept vertices are on the medial axis
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

    ml = middle(ch.water, mouth, depth_at=depth_at)
    assert calls
    c, = ml.islands
    assert c.rule == "deepest" and c.taken == "right"
    assert c.taken_width_m < c.other_width_m
    x0, y0, x1, _ = isl.bounds
    ys = shapely.get_coordinates(shapely.clip_by_rect(ml.line, x0 + 50, -1e6, x1 - 50, 1e6))[:, 1]
    assert np.all(ys < y0)
    assert ml.equidistance_error_m < TOL_M
    record("island-ellipse-deepest", equidistance_pipeline=ml.equidistance_error_m)


# ---------------------------------------------------------------------------------- robustness
def test_self_intersecting_water_repaired_with_make_valid(caplog):
    bad, ch = F.bowtie_channel()
    water = shapely.make_valid(bad)  # GeometryCollection(MultiPolygon(river, 75 m2 triangle), LineString)
    assert water.is_valid
    with caplog.at_level(logging.WARNING, logger="pipeline.land_line"):
        mouth = mouth_of(water, ch.land)
        ml = middle(water, mouth)
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
        mouth = mouth_of(water, ch.land)
        ml = middle(water, mouth)
    assert "2 disconnected parts" in caplog.text and "ignoring 282" in caplog.text
    check_accuracy(f"multipart-{'unioned' if union else 'raw'}", ch, ml)
    assert ml.line.length > 2900.0


# ------------------------------------------------------------------------------------- thalweg
THALWEG_GRIDS = list(F.GRID_CRS)   # identity, UTM 52N (shifted, turned 1.18 deg), oblique Mercator (turned 30 deg)
CREST_X = 2700.0                   # the deepest line y = 60 sin(2 pi x / 1200) has a crest at x = 2700


@functools.lru_cache(maxsize=None)
def thalweg_case(grid: str) -> F.ThalwegCase:
    return F.thalweg_case(grid=grid)


def run_thalweg(tc: F.ThalwegCase, *, start=None, closing=None, smooth=5, grid=None) -> Thalweg:
    return thalweg(grid=tc.grid if grid is None else grid, geo=F.geodesy(), water=tc.water,
                   start=tc.start if start is None else start,
                   closing_line=tc.closing_line if closing is None else closing, depth_exponent=4.0,
                   smooth_cells=smooth)


def cross_section(x: float, half_width: float = 150.0) -> LineString:
    return LineString([(x, -half_width), (x, half_width)])


def deepest_at(x: float, wavelength: float = 1200.0) -> Point:
    """Where the fixtures' deepest line (A = 60 m) crosses the cross-section x."""
    return Point(x, 60.0 * np.sin(2 * np.pi * x / wavelength))


def distances_to(line: LineString, true_line: LineString) -> np.ndarray:
    """Exact distance of each vertex of ``line`` to the deepest line (a polyline of vertices 0.25 m apart,
    within 1 mm of the sine)."""
    return shapely.distance(shapely.points(np.asarray(line.coords)), true_line)


@pytest.mark.parametrize("smooth", [1, 5])
@pytest.mark.parametrize("grid", THALWEG_GRIDS)
def test_thalweg_follows_the_deepest_line(grid, smooth):
    """Within one cell of the deepest line from 3 cells below the start to the closing line (placed where the
    deepest line crosses it at a right angle), and ending exactly on the closing line."""
    tc = thalweg_case(grid)
    closing = cross_section(CREST_X)
    th = run_thalweg(tc, smooth=smooth, closing=closing)
    xy = np.asarray(th.line.coords)
    assert tuple(xy[0]) == tc.start.coords[0]
    assert Point(xy[-1]).distance(closing) < 1e-9
    assert th.cells > 0.9 * (CREST_X - 100.0) / (tc.cell * np.sqrt(2)) and th.cell_m == tc.cell
    assert th.smoothed_fraction == pytest.approx(1.0)
    assert th.line.within(tc.water.buffer(1e-6))
    d = distances_to(th.line, tc.true_line)
    use = xy[:, 0] >= tc.start.x + 3 * tc.cell
    end_error = Point(xy[-1]).distance(deepest_at(CREST_X))
    record(f"thalweg-{grid}-smooth{smooth}", hausdorff=d[use].max(), thalweg_end=end_error)
    assert d[use].max() <= tc.cell, f"thalweg {d[use].max():.2f} m from the deepest line (cell {tc.cell} m)"
    assert end_error <= tc.cell


@pytest.mark.parametrize("grid", THALWEG_GRIDS)
def test_thalweg_oblique_closing_line(grid):
    """The deepest line crosses the closing line (x = 2900) 15 deg off its normal: within one cell of it up to
    6 cells above the closing line, within two cells at the end."""
    tc = thalweg_case(grid)
    th = run_thalweg(tc)
    xy = np.asarray(th.line.coords)
    assert Point(xy[-1]).distance(tc.closing_line) < 1e-9
    d = distances_to(th.line, tc.true_line)
    xb = tc.closing_line.coords[0][0]
    use = (xy[:, 0] >= tc.start.x + 3 * tc.cell) & (xy[:, 0] <= xb - 6 * tc.cell)
    end_error = Point(xy[-1]).distance(deepest_at(xb))
    record(f"thalweg-{grid}-oblique", hausdorff=d[use].max(), thalweg_end=end_error)
    assert d[use].max() <= tc.cell
    assert end_error <= tc.cell


def test_thalweg_ends_at_the_deepest_point_of_an_oblique_closing_line():
    """The thalweg crosses the mouth at the closing line's deepest cell (the cheapest end cell would be up to
    1.5 cells off where the deepest line crosses an oblique closing line)."""
    tc = thalweg_case("identity")
    th = run_thalweg(tc)
    xb = tc.closing_line.coords[0][0]
    assert Point(th.line.coords[-1]).distance(deepest_at(xb)) <= tc.cell


def test_thalweg_start_in_a_dry_cell_is_snapped():
    tc = thalweg_case("identity")
    start = Point(100.0, 157.0)  # on the bank, 7 m outside the water, in a dry (NaN) cell of the raster
    th = run_thalweg(tc, start=start)
    assert th.line.coords[0] == (100.0, 157.0)
    first_wet = Point(th.line.coords[1])
    assert tc.water.buffer(1e-6).contains(first_wet) and first_wet.y > 140.0
    xy = np.asarray(th.line.coords)
    d = distances_to(th.line, tc.true_line)
    assert d[(xy[:, 0] > 300.0) & (xy[:, 0] < 2900.0 - 30.0)].max() <= tc.cell


def test_thalweg_start_outside_the_raster():
    tc = thalweg_case("identity")
    with pytest.raises(GeometryError, match="does not cover the upstream end") as e:
        run_thalweg(tc, start=Point(-5000.0, 0.0))
    assert e.value.role == "depth"


def test_thalweg_no_wet_path():
    tc = thalweg_case("identity")
    depth = tc.grid.depth.copy()
    col = int((1500.0 - tc.grid.transform.c) // tc.cell)
    depth[:, col - 1:col + 2] = np.nan  # a dry bar across the river
    with pytest.raises(GeometryError, match="no wet path"):
        run_thalweg(tc, grid=replace(tc.grid, depth=depth))


def test_thalweg_all_dry():
    tc = thalweg_case("identity")
    with pytest.raises(GeometryError, match="no positive depth"):
        run_thalweg(tc, grid=replace(tc.grid, depth=np.full_like(tc.grid.depth, np.nan)))


def test_thalweg_closing_line_off_the_grid():
    tc = thalweg_case("identity")
    with pytest.raises(GeometryError, match="no wet cell of the depth grid lies on the river mouth's closing line"):
        run_thalweg(tc, closing=cross_section(3500.0))


# -------------------------------------------------------------------------------- channel_lines
LAND_KW = dict(bank_densify_m=STEP, width_exponent=2.0, mouth_snap_m=SNAP, min_mouth_width_m=MIN_WIDTH,
               min_depth_m=0.05, thalweg_depth_exponent=4.0, thalweg_smooth_cells=5, simplify_m=0.0,
               voronoi_tile_sites=20_000)
# the deepest line y = 60 sin(2 pi x / wavelength) has a crest on the closing line x = 3000 + SNAP
DEEP_WAVELENGTH = 4 * (3000.0 + SNAP) / 9


@functools.lru_cache(maxsize=None)
def deep_river() -> tuple[F.Channel, object, LineString]:
    """The straight channel 300 m wide over the thalweg fixture's sine depth (a crest on the closing line)."""
    ch = F.straight_channel(width=300.0)
    depth_of, deepest = F.sine_depth(60.0, DEEP_WAVELENGTH, 40.0, 12.0, x0=-50.0, x1=3100.0)
    return ch, F.depth_grid(ch.water, depth_of), deepest


def run_channel(ch: F.Channel, depth, *, border_line: str | None = None, **kw) -> ChannelLines:
    settings = LandCfg(**dict(LAND_KW, **{"main_channel": "widest", **kw}))
    line = border_line or ("thalweg" if depth is not None else "middle")
    return channel_lines(water=ch.water, land=ch.land, depth=depth, geo=F.geodesy(), border_line=line,
                         settings=settings)


@functools.lru_cache(maxsize=None)
def deep_channel() -> ChannelLines:
    ch, grid, _ = deep_river()
    return run_channel(ch, grid)


def test_channel_lines_thalweg_ends_exactly_on_the_closing_line():
    ch, grid, deepest = deep_river()
    cl = deep_channel()
    assert cl.in_use == "thalweg" and cl.line_in_use is cl.thalweg.line and cl.other is cl.middle.line
    assert F.hausdorff(cl.mouth.closing_line, ch.closing_line, step=1.0) < 1e-6
    th = cl.thalweg.line
    assert Point(th.coords[-1]).distance(cl.mouth.closing_line) < 1e-9
    assert th.coords[0] == cl.middle.line.coords[0]           # both start at the upstream end of the water
    # within one cell of the deepest line once it has left the cap (the start is the middle line's)
    xy = np.asarray(th.coords)
    d = distances_to(th, deepest)
    use = xy[:, 0] >= 300.0
    end_error = Point(xy[-1]).distance(deepest_at(3000.0 + SNAP, DEEP_WAVELENGTH))
    record("channel_lines thalweg (deep river)", hausdorff=d[use].max(), thalweg_end=end_error)
    assert d[use].max() <= grid.cell_m and end_error <= grid.cell_m
    # the middle line is unaffected by the depth ("widest" rule)
    check_accuracy("channel_lines middle (deep river)", ch, cl.middle)


def test_channel_lines_middle_in_use_keeps_the_thalweg():
    ch, grid, _ = deep_river()
    cl = run_channel(ch, grid, border_line="middle")
    assert cl.in_use == "middle" and cl.line_in_use is cl.middle.line and cl.other is cl.thalweg.line
    assert cl.thalweg.line.equals_exact(deep_channel().thalweg.line, 1e-9)


def test_channel_lines_without_depth():
    ch = case("sine")
    cl = run_channel(ch, None)
    assert cl.thalweg is None and cl.other is None and cl.in_use == "middle"
    check_accuracy("sine (channel_lines)", ch, cl.middle)
    with pytest.raises(GeometryError, match="thalweg was asked for but there is no depth grid") as e:
        run_channel(ch, None, border_line="thalweg")
    assert e.value.role == "depth"


@functools.lru_cache(maxsize=None)
def deep_narrow_branch() -> tuple[F.Channel, ChannelLines]:
    """The elliptic island with the narrow (right, y < island) branch 10 m deep and the wide branch 3 m deep."""
    ch = case("island-ellipse")
    cy = ch.info["island"].centroid.y
    grid = F.depth_grid(ch.water, lambda xy: np.where(xy[:, 1] < cy, 10.0, 3.0))
    return ch, run_channel(ch, grid, border_line="middle", main_channel="deepest")


def test_deepest_rule_takes_the_deeper_narrower_branch():
    ch, cl = deep_narrow_branch()
    c, = cl.middle.islands
    assert c.rule == "deepest" and c.taken == "right"
    x0, y0, x1, _ = ch.info["island"].bounds
    ys = shapely.get_coordinates(shapely.clip_by_rect(cl.middle.line, x0 + 50, -1e6, x1 - 50, 1e6))[:, 1]
    assert np.all(ys < y0)                              # along the island the line is in the right branch
    assert cl.middle.equidistance_error_m < TOL_M
    record("island-ellipse-deepest (grid)", equidistance_pipeline=cl.middle.equidistance_error_m)


def test_deepest_rule_reports_both_widths_and_depths():
    """The island choice reports the taken (narrow, deep) and the other (wide, shallow) branch: the widths of the
    two branches (40 m and 120 m at the island's middle, widening towards its ends) and their depths in the grid
    (10 m and 3 m). The taken branch's figures are averages over the path's ridges near the island, which include
    the ridges where the path crosses over from mid-channel at the island's ends: its width reads ~58 m (the same
    branch reads 48 m as the 'other' of the 'widest' rule) and its depth ~9.4 m, hence the tolerances."""
    ch, cl = deep_narrow_branch()
    c, = cl.middle.islands
    wide, narrow = ch.info["wide_branch_m"], ch.info["narrow_branch_m"]
    assert c.taken_width_m < c.other_width_m and c.taken_depth_m > c.other_depth_m
    assert c.taken_width_m == pytest.approx(narrow, rel=0.5)
    assert c.other_width_m == pytest.approx(wide, rel=0.1)
    assert c.taken_depth_m == pytest.approx(10.0, rel=0.1)
    assert c.other_depth_m == pytest.approx(3.0, rel=0.1)
    record("island-ellipse-deepest (grid)", taken_depth_error=abs(c.taken_depth_m - 10.0),
           other_depth_error=abs(c.other_depth_m - 3.0))
    assert c.area_m2 == pytest.approx(ch.info["island"].area, rel=1e-9)
    # the same island under the "widest" rule: the wide branch, no depths
    w, = computed("island-ellipse")[1].islands
    assert w.taken == "left" and w.taken_depth_m is None and w.other_depth_m is None
    assert w.taken_width_m == pytest.approx(c.other_width_m, rel=0.1)


def test_islands_are_the_holes_in_order():
    ch = case("island-ellipse")
    mouth, _ = computed("island-ellipse")
    isl, = islands(water=ch.water, mouth=mouth, snap_m=SNAP).values()
    assert isl.symmetric_difference(ch.info["island"]).area < 1e-6


# ------------------------------------------------------------------------------- land_boundary
def test_land_boundary_from_tripoint_to_closing_line():
    ch = case("sine")
    mouth, ml = computed("sine")
    cl = ChannelLines(mouth, ml, None, "middle")
    s = ml.line.project(ch.true_line.interpolate(1000.0))
    tp = ml.line.interpolate(s)
    lb = land_boundary(channel=cl, station_m=s, tripoint=tp, other_station_m=None, junction=None, junction_id="")
    assert Point(lb.line.coords[0]).distance(tp) <= 1e-9
    assert Point(lb.line.coords[-1]).distance(mouth.closing_line) < 1e-9
    assert lb.crossing.equals(Point(lb.line.coords[-1])) and lb.junction.equals(lb.crossing) and lb.junction_id == ""
    assert lb.line.length == pytest.approx(ml.line.length - s, abs=1e-6)
    assert lb.middle_part.equals_exact(lb.line, 1e-9) and lb.thalweg_part is None
    assert F.directed_hausdorff(lb.line, ch.true_line) < TOL_M


def test_land_boundary_start_off_the_line_is_kept_exactly():
    mouth, ml = computed("straight")
    cl = ChannelLines(mouth, ml, None, "middle")
    start = Point(1200.0, 3.0)  # e.g. a tripoint computed elsewhere, a little off the line
    lb = land_boundary(channel=cl, station_m=ml.line.project(start), tripoint=start, other_station_m=None,
                       junction=None, junction_id="")
    assert lb.line.coords[0] == (1200.0, 3.0)
    assert Point(lb.line.coords[1]).x > 1200.0
    # the first vertex moves from the foot of the perpendicular (1200, 0) to the start, 3 m off
    assert lb.line.length == pytest.approx(3000.0 + SNAP - 1200.0, abs=3.0)


def test_land_boundary_start_beyond_the_mouth():
    mouth, ml = computed("straight")
    cl = ChannelLines(mouth, ml, None, "middle")
    with pytest.raises(GeometryError, match="tripoint lies at or below the river mouth") as e:
        land_boundary(channel=cl, station_m=ml.line.length, tripoint=Point(ml.line.coords[-1]), other_station_m=None,
                      junction=None, junction_id="")
    assert e.value.role == "points"


def test_land_boundary_with_junction_starts_at_the_tripoint_and_ends_at_the_junction():
    """Thalweg in use, a junction (treaty mouth point B) 40 m seaward of the closing line: the line starts exactly
    at the tripoint, follows the thalweg to its crossing of the closing line, then goes straight to B, ending
    exactly there; the middle line's part starts at its own foot."""
    cl = deep_channel()
    th, ml = cl.thalweg.line, cl.middle.line
    s = th.project(Point(1500.0, 0.0))
    foot = th.interpolate(s)
    tripoint = Point(foot.x + 0.123, foot.y - 0.456)          # a foot found elsewhere, a little off the line
    s_other = ml.project(Point(1500.0, 0.0))
    junction = Point(3041.0, 17.5)
    lb = land_boundary(channel=cl, station_m=s, tripoint=tripoint, other_station_m=s_other, junction=junction,
                       junction_id="B")
    xy = np.asarray(lb.line.coords)
    assert Point(xy[0]).distance(tripoint) <= 1e-9
    assert Point(xy[-1]).distance(junction) <= 1e-9
    assert lb.junction.distance(junction) <= 1e-9 and lb.junction_id == "B"
    assert Point(xy[-2]).distance(lb.crossing) <= 1e-9
    assert lb.crossing.distance(cl.mouth.closing_line) < 1e-9
    assert lb.crossing.distance(Point(th.coords[-1])) <= 1e-9
    # between its first vertex and the crossing it is the thalweg itself
    assert F.directed_hausdorff(LineString(xy[1:-1]), th, step=1.0) < 1e-6
    assert lb.thalweg_part.length == pytest.approx(th.length - s, abs=1e-6)
    assert lb.middle_part.length == pytest.approx(ml.length - s_other, abs=1e-6)
    assert Point(lb.middle_part.coords[0]).distance(ml.interpolate(s_other)) < 1e-9
    record("land_boundary ends", junction_gap=Point(xy[-1]).distance(junction),
           tripoint_gap=Point(xy[0]).distance(tripoint))


def test_land_boundary_junction_at_the_crossing_adds_no_vertex():
    cl = deep_channel()
    th = cl.thalweg.line
    crossing = Point(th.coords[-1])
    lb = land_boundary(channel=cl, station_m=100.0, tripoint=th.interpolate(100.0), other_station_m=100.0,
                       junction=crossing, junction_id="B")
    assert lb.line.coords[-1] == crossing.coords[0] and lb.line.coords[-2] != crossing.coords[0]


def test_tiled_middle_line_is_the_same_line():
    """The Voronoi diagram computed in tiles (land.voronoi_tile_sites) gives the same middle line below the
    upstream cap (where the axis forks to the cap's two corners, either of which may be the end)."""
    ch = case("sine-tight")
    mouth = find_mouth(water=ch.water, land=ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
    whole = middle_line(water=ch.water, mouth=mouth, bank_densify_m=STEP, snap_m=SNAP, tile_sites=10**9)
    tiled = middle_line(water=ch.water, mouth=mouth, bank_densify_m=STEP, snap_m=SNAP, tile_sites=300)
    assert F.hausdorff_downstream(tiled.line, ch) < TOL_M
    cut = ch.width
    a = substring(whole.line, cut, whole.line.length)
    b = substring(tiled.line, tiled.line.project(Point(a.coords[0])), tiled.line.length)
    assert shapely.hausdorff_distance(a, b) < 1e-6
    assert tiled.islands == whole.islands and tiled.shore_points == whole.shore_points
