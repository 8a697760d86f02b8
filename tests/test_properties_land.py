"""Property tests (hypothesis) of pipeline.land_line.middle_line on random smooth channels.

Random sine channels (amplitude, wavelength, width, length, how far the water runs on into the sea, and a
rotation of the whole scene) whose minimum radius of curvature is at least the full width (so the banks,
exact offset curves, stay smooth and the true middle line is the sine). For each: the middle line lies in
the water, every vertex is equidistant from the banks within 1 m, the line is within 1 m of the sine
(Hausdorff, from one width below the cap), and mirroring the input across the axis mirrors the line.
Random straight channels with a rectangular island: the wider branch is taken, 1 m accuracy holds.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely import affinity

import fixtures as F
from pipeline.land_line import find_mouth, middle_line

SNAP, MIN_WIDTH, STEP, TOL_M = F.SNAP, 20.0, 5.0, 1.0
SETTINGS = dict(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def _accuracy_report(request):
    F.register_report(request.config)


@st.composite
def sine_channels(draw):
    wavelength = draw(st.floats(500.0, 2500.0))
    width = draw(st.floats(40.0, 300.0))
    k = 2 * np.pi / wavelength
    a_max = min(250.0, 1.0 / (width * k * k))  # min radius of curvature 1/(A k^2) >= width
    amplitude = draw(st.floats(0.0, 1.0)) * a_max
    quarter_waves = draw(st.sampled_from([3, 5, 7]))
    ext = draw(st.floats(2.0, 300.0))
    angle = draw(st.floats(0.0, 360.0))
    ch = F.sine_channel(amplitude=amplitude, wavelength=wavelength, width=width, quarter_waves=quarter_waves,
                        ext=ext, step=4.0)
    return F.rotate(ch, angle) if angle else ch


def run(ch: F.Channel):
    mouth = find_mouth(water=ch.water, land=ch.land, snap_m=SNAP, min_width_m=MIN_WIDTH)
    return middle_line(water=ch.water, mouth=mouth, bank_densify_m=STEP, snap_m=SNAP)


@settings(**SETTINGS)
@given(sine_channels())
def test_random_sine_channel_inside_equidistant_accurate(ch):
    ml = run(ch)
    assert ml.line.within(ch.water.buffer(1e-6))
    eq = F.equidistance_errors(ml.line, ch).max()
    h = F.hausdorff_downstream(ml.line, ch)
    F.record("property: random sine channels", hausdorff=h, equidistance_own=eq,
             equidistance_pipeline=ml.equidistance_error_m)
    assert eq < TOL_M
    assert ml.equidistance_error_m < TOL_M
    assert h < TOL_M


@settings(**SETTINGS)
@given(sine_channels())
def test_mirrored_input_gives_mirrored_line(ch):
    """Mirror the channel across y = 0 (the sine's axis, before the scene's rotation; ring orientation and
    left/right banks swap): the middle line mirrors, within 1 m away from the cap (there the axis forks to
    the cap's two corners and either may be taken)."""
    m = F.mirror(ch)
    ml, mm = run(ch), run(m)
    mirrored_back = affinity.scale(mm.line, 1.0, -1.0, origin=(0, 0))
    a, _ = F.downstream_parts(ml.line, ch)
    b, _ = F.downstream_parts(mirrored_back, ch)
    h = F.hausdorff(a, b)
    F.record("property: mirror symmetry", hausdorff=h)
    assert h < TOL_M
    assert mm.line.within(m.water.buffer(1e-6))


@st.composite
def island_channels(draw):
    width = 200.0
    half_wid = draw(st.floats(5.0, 30.0))
    island_y = draw(st.floats(-100.0 + half_wid + 15.0, -half_wid - 15.0))
    top, bottom = island_y + half_wid, island_y - half_wid
    wide, narrow = 100.0 - top, bottom + 100.0
    half_len = draw(st.floats(150.0, 900.0))
    # a clear choice: the wide branch at least 30 % wider (island_y < 0 puts it on the left)
    assume(wide > 1.3 * narrow)
    return F.island_channel("rect", width=width, island_y=island_y, island_half_len=half_len,
                            island_half_wid=half_wid)


@settings(**SETTINGS)
@given(island_channels())
def test_random_island_wider_branch_and_accuracy(ch):
    ml = run(ch)
    c, = ml.islands
    assert c.taken == "left" and c.taken_width_m > c.other_width_m
    h = F.hausdorff_downstream(ml.line, ch)
    eq = F.equidistance_errors(ml.line, ch).max()
    F.record("property: random rect islands", hausdorff=h, equidistance_own=eq,
             equidistance_pipeline=ml.equidistance_error_m)
    assert h < TOL_M and eq < TOL_M and ml.equidistance_error_m < TOL_M
    isl = ch.info["island"]
    assert not ml.line.intersects(isl)
