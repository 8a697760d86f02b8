"""Soundings interpolated window by window along the water give the whole grid's values (issue 24)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString

from pipeline.forms import soundings as sd


def _case(seed: int = 3, n: int = 4000):
    """A winding 40 m wide river, ~6 km of course, and soundings at random points in it (general position)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, 400)
    centre = LineString(np.column_stack([3000 * np.sin(3 * t) + 500_000, 4000 * t + 5_000_000]))
    water = centre.buffer(20.0)
    minx, miny, maxx, maxy = water.bounds
    xy = np.column_stack([rng.uniform(minx, maxx, 20 * n), rng.uniform(miny, maxy, 20 * n)])
    xy = xy[shapely.contains_xy(water, xy[:, 0], xy[:, 1])][:n]
    depth = 5 + np.sin(xy[:, 0] / 37.0) + np.cos(xy[:, 1] / 53.0)
    cfg = SimpleNamespace(path=Path("case.toml"),
                          inputs=SimpleNamespace(depth_cell_m=2.0, soundings_reach_m=50.0))
    return water, sd._Soundings(xy, depth, 0, "test"), cfg


def _whole(water, s, cfg) -> np.ndarray:
    """The dense path's values on the whole grid (NaN off the water)."""
    return sd._interpolate(Path("s.csv"), s, sd._water_cells(cfg, water))


def _assembled(filled, shape) -> np.ndarray:
    out = np.full(shape, np.nan)
    for w in filled.windows:
        h, wd = w.depth.shape
        part = out[w.row0:w.row0 + h, w.col0:w.col0 + wd]
        part[np.isfinite(w.depth)] = w.depth[np.isfinite(w.depth)]
    return out


def test_windowed_equals_whole():
    water, s, cfg = _case()
    g = sd._grid(cfg, water)
    whole = _whole(water, s, cfg)
    filled = sd._fill_windows(Path("s.csv"), cfg, s, water, g, size=64)
    got = _assembled(filled, g.shape)
    assert filled.n_cells < 0.5 * g.shape[0] * g.shape[1]            # the corridor, not the box
    assert filled.n_water == np.isfinite(whole).sum()
    np.testing.assert_array_equal(got, whole)                         # to the bit, NaN where NaN


def test_planted_fault_no_overlap_differs_at_window_edges():
    """Each window triangulating only its own soundings (overlap 0): cells near its edges take triangles the
    whole set does not have; a wide overlap agrees again away from the hull's edge."""
    water, s, cfg = _case()
    g = sd._grid(cfg, water)
    whole = _whole(water, s, cfg)
    filled = sd._fill_windows(Path("s.csv"), cfg, s, water, g, size=64, overlap_cells=0)
    got = _assembled(filled, g.shape)
    bad = np.argwhere(np.abs(np.nan_to_num(got) - np.nan_to_num(whole)) > 1e-6)
    assert len(bad) > 0
    edge = np.minimum(np.minimum(bad[:, 0] % 64, 63 - bad[:, 0] % 64), np.minimum(bad[:, 1] % 64, 63 - bad[:, 1] % 64))
    assert np.median(edge) <= 3                                       # where it differs: along window edges
    wide = _assembled(sd._fill_windows(Path("s.csv"), cfg, s, water, g, size=64, overlap_cells=200), g.shape)
    assert (np.abs(np.nan_to_num(wide) - np.nan_to_num(whole)) > 1e-6).sum() < 0.1 * len(bad)


def test_corridor_windows_cover_every_water_cell():
    water, s, cfg = _case()
    g = sd._grid(cfg, water)
    cells = sd._water_cells(cfg, water)
    wins = sd.corridor_windows(water, g.transform, g.shape, 64)
    inside = np.zeros(len(cells.rows), bool)
    for w in wins:
        inside |= ((cells.rows >= w.row0) & (cells.rows < w.row0 + w.shape[0])
                   & (cells.cols >= w.col0) & (cells.cols < w.col0 + w.shape[1]))
    assert inside.all()


def test_corridor_refused_by_its_cells_not_the_box(monkeypatch):
    water, s, cfg = _case()
    g = sd._grid(cfg, water)
    n = sum(w.shape[0] * w.shape[1] for w in sd.corridor_windows(water, g.transform, g.shape, 64))
    monkeypatch.setattr(sd, "MAX_GRID_CELLS", n)
    sd._fill_windows(Path("s.csv"), cfg, s, water, g, size=64)           # exactly at the limit: filled
    monkeypatch.setattr(sd, "MAX_GRID_CELLS", n - 1)
    with pytest.raises(Exception, match="corridor into"):
        sd._fill_windows(Path("s.csv"), cfg, s, water, g, size=64)


def test_ridges_around_is_the_per_island_scan():
    """land_line's one-sort grouping gives each island's ridges as the per-island scan did."""
    from pipeline.land_line import _ridges_around

    labels = np.random.default_rng(1).integers(-1, 6, (5000, 2))
    around = _ridges_around(labels)
    for k in range(-1, 6):
        want = np.flatnonzero((labels == k).any(axis=1) & (labels != k).any(axis=1))
        np.testing.assert_array_equal(around.get(k, np.empty(0, np.int64)), want)


def test_soundings_within_a_cell_of_the_water_are_kept_by_their_exact_distance(tmp_path):
    """A 1 km square of water, 10 m cells: soundings inside, one 5 m east of it, one 15 m east, and one 9.995 m off
    its north-east corner at 47.8125 deg from east -- the middle of a chord of the 16-segment quarter circle
    of a buffer of the water (the planted fault), which falls 1 - cos(2.8125 deg) = 0.12 % short of 10 m there:
    kept, dropped, kept."""
    from pipeline.geodesy import Geodesy
    from pyproj import CRS

    x0, y0 = 500_000.0, 5_000_000.0
    water = shapely.box(x0, y0, x0 + 1000.0, y0 + 1000.0)
    ang = np.radians(45.0 + 2.8125)
    probes = [(x0 + 1005.0, y0 + 500.0), (x0 + 1015.0, y0 + 500.0),
              (x0 + 1000.0 + 9.995 * np.cos(ang), y0 + 1000.0 + 9.995 * np.sin(ang))]
    inside = [(x0 + 100.0 * i, y0 + 100.0 * j) for i in range(1, 10) for j in range(1, 10)]
    rows = ["x,y,depth"] + [f"{float(x)!r},{float(y)!r},3.0" for x, y in inside + probes]
    csv = tmp_path / "s.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cfg = SimpleNamespace(path=tmp_path / "case.toml", inputs=SimpleNamespace(
        depth_cell_m=10.0, depth_positive="down", depth_field="depth", depth_crs="EPSG:32632"))
    utm = CRS.from_epsg(32632)
    geo = Geodesy(utm, (8.9, 45.1, 9.1, 45.2))
    got = sd._soundings_in_water(csv, cfg, water, geo)
    assert got.n_outside == 1 and len(got.xy) == len(inside) + 2
    kept = {tuple(np.round(p, 3)) for p in got.xy}
    assert tuple(np.round(probes[2], 3)) in kept and tuple(np.round(probes[1], 3)) not in kept
