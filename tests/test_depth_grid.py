"""Depth grids kept to the river's corridor (issue 24): ``pipeline.model.DepthGrid`` as windows, its cell index
``GridCells``, and ``pipeline.land_line.least_cost_path`` -- the thalweg's least-cost path over the listed cells
only -- against scikit-image's ``MCP_Geometric`` on the dense grid, the implementation it replaces.

The equivalence is exact: the least cumulative cost of every cell is compared bit for bit, and the path to every
cell is compared cell for cell on grids of random real costs (where exact ties do not happen). On grids of a
few integer costs, where equally cheap paths abound, the costs are still equal to the bit and every path we
return costs exactly the least cost (the two heaps break ties differently). A planted fault -- a diagonal
move weighted 1.5 instead of sqrt 2 -- must be caught by the same comparison.
"""
from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from skimage.graph import MCP_Geometric

import fixtures as F
from pipeline import land_line
from pipeline.land_line import grid_sampler, least_cost_path
from pipeline.model import DepthGrid, DepthWindow, GridCells


# ------------------------------------------------------------------------------------- GridCells, windows
def test_grid_cells_find_and_values():
    depth = np.array([[1.0, np.nan, 3.0], [np.nan, 5.0, 6.0]])
    cells = GridCells.from_windows((DepthWindow(0, 0, depth),))
    assert list(cells.rows) == [0, 0, 1, 1] and list(cells.cols) == [0, 2, 1, 2]
    rows, cols = np.array([0, 0, 1, -1, 0, 2, 5]), np.array([0, 1, 2, 0, -3, 0, 2 ** 33])
    assert list(cells.find(rows, cols)) == [0, -1, 3, -1, -1, -1, -1]
    got = cells.values_at(rows, cols)
    assert got[0] == 1.0 and got[2] == 6.0 and np.isnan(got[[1, 3, 4, 5, 6]]).all()


def test_windows_overlap_first_kept_and_sorted():
    a = DepthWindow(10, 20, np.full((2, 2), 1.0))
    b = DepthWindow(11, 21, np.full((2, 2), 2.0))       # overlaps a at (11, 21)
    c = DepthWindow(0, 0, np.array([[np.nan, 7.0]]))
    cells = GridCells.from_windows((a, b, c))
    assert np.all(np.diff(cells.key) > 0)
    assert list(zip(cells.rows, cells.cols, cells.value)) == [
        (0, 1, 7.0), (10, 20, 1.0), (10, 21, 1.0), (11, 20, 1.0), (11, 21, 1.0), (11, 22, 2.0), (12, 21, 2.0),
        (12, 22, 2.0)]


def test_depth_grid_dense_is_one_window_and_tiled_holds_the_same_cells():
    tc = F.thalweg_case()
    g = tc.grid
    assert len(g.windows) == 1 and g.windows[0].depth is g.depth and (g.windows[0].row0, g.windows[0].col0) == (0, 0)
    t = g.tiled(16)
    assert t.depth is None and len(t.windows) > 1
    assert np.array_equal(t.cells.key, g.cells.key) and np.array_equal(t.cells.value, g.cells.value)
    band = np.where(np.abs(np.subtract.outer(np.arange(100), np.arange(100))) <= 3, 1.0, np.nan)   # a diagonal river
    d = DepthGrid(band, Affine.identity(), None, 1.0, "geotiff", "").tiled(10)
    assert len(d.windows) == 28 and sum(w.depth.size for w in d.windows) == 2800      # of the 100 windows, 28 wet
    assert np.array_equal(d.cells.key, GridCells.from_windows((DepthWindow(0, 0, band),)).key)
    h, w = g.depth.shape
    rows, cols = np.array([0, h - 1, h, -1, 5]), np.array([0, w - 1, 0, 0, w])
    assert list(g.covers(rows, cols)) == [True, True, False, False, False]


def test_depth_grid_is_dense_or_windowed():
    with pytest.raises(ValueError, match="either dense"):
        DepthGrid(None, Affine.identity(), None, 1.0, "geotiff", "")
    with pytest.raises(ValueError, match="either dense"):
        DepthGrid(np.ones((2, 2)), Affine.identity(), None, 1.0, "geotiff", "", (DepthWindow(0, 0, np.ones((1, 1))),))
    with pytest.raises(ValueError, match="offsets >= 0"):
        DepthWindow(-1, 0, np.ones((2, 2)))


@pytest.mark.parametrize("grid", list(F.GRID_CRS))
def test_sampler_same_on_dense_and_windowed(grid):
    tc = F.thalweg_case(grid=grid)
    geo = F.geodesy()
    rng = np.random.default_rng(3)
    xy = np.column_stack([rng.uniform(-100, 3100, 5000), rng.uniform(-200, 200, 5000)])
    dense, windowed = grid_sampler(tc.grid, geo)(xy), grid_sampler(tc.grid.tiled(16), geo)(xy)
    assert np.array_equal(dense, windowed, equal_nan=True)
    # as the dense lookup it replaces: the cell under each point, NaN off the grid
    r, c = land_line.grid_cells(tc.grid, geo, xy)
    on = (r >= 0) & (r < tc.grid.depth.shape[0]) & (c >= 0) & (c < tc.grid.depth.shape[1])
    want = np.full(len(xy), np.nan)
    want[on] = tc.grid.depth[r[on], c[on]]
    assert np.array_equal(dense, want, equal_nan=True) and np.isfinite(dense).sum() > 1000


# ------------------------------------------------------------------------------ least_cost_path vs MCP
def random_costs(seed: int, kind: str) -> np.ndarray:
    """A small grid of costs with 20 % impassable (inf) cells: real costs ("real") or a few integers ("ties")."""
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(8, 50, 2))
    cost = rng.uniform(1.0, 10.0, (h, w)) if kind == "real" else rng.integers(1, 4, (h, w)).astype(float)
    cost[rng.random((h, w)) < 0.2] = np.inf
    return cost


def compare_with_mcp(cost: np.ndarray, seed: int) -> tuple[int, int, int]:
    """(cells whose least cost differs from MCP_Geometric's, cells whose path differs, cells whose path does not
    cost its least cost), from a random start to every cell."""
    rows, cols = np.nonzero(np.isfinite(cost))
    start = int(np.random.default_rng(seed).integers(len(rows)))
    mcp = MCP_Geometric(cost, fully_connected=True)
    want, _ = mcp.find_costs([(rows[start], cols[start])])
    got, path_to = least_cost_path(GridCells.keys(rows, cols), cost[rows, cols], start, np.arange(len(rows)))
    cost_diff = int(np.sum(~((got == want[rows, cols]) | (np.isinf(got) & np.isinf(want[rows, cols])))))
    path_diff = not_least = 0
    for end in np.flatnonzero(np.isfinite(got)):
        ours = path_to(int(end))
        theirs = np.array(mcp.traceback((rows[end], cols[end])))
        path_diff += not (len(ours) == len(theirs) and np.array_equal(rows[ours], theirs[:, 0])
                          and np.array_equal(cols[ours], theirs[:, 1]))
        total = 0.0                                   # the path's own cost, summed as MCP sums it
        for a, b in zip(ours[:-1], ours[1:]):
            length = float(np.sqrt(2.0)) if rows[a] != rows[b] and cols[a] != cols[b] else 1.0
            total = total + length * 0.5 * (cost[rows[a], cols[a]] + cost[rows[b], cols[b]])
        not_least += total != got[end]
    return cost_diff, path_diff, not_least


@pytest.mark.parametrize("seed", range(6))
def test_least_cost_path_equals_mcp_geometric(seed):
    """Real costs: the least cost of every cell equal to the bit, the path to every cell the same cells."""
    assert compare_with_mcp(random_costs(seed, "real"), seed) == (0, 0, 0)


@pytest.mark.parametrize("seed", range(6))
def test_least_cost_path_with_ties_costs_the_least(seed):
    """A few integer costs (exact ties everywhere): equal least costs; each path, where it differs from MCP's,
    is another path of exactly the least cost."""
    cost_diff, _, not_least = compare_with_mcp(random_costs(seed, "ties"), seed)
    assert cost_diff == 0 and not_least == 0


def test_least_cost_path_catches_a_wrong_diagonal_weight(monkeypatch):
    """The comparison above fails when a fault is planted: diagonal moves weighted 1.5 instead of sqrt 2."""
    moves = tuple((dr, dc, 1.5 if dr and dc else length) for dr, dc, length in land_line._MOVES)
    monkeypatch.setattr(land_line, "_MOVES", moves)
    cost_diff, path_diff, not_least = compare_with_mcp(random_costs(0, "real"), 0)
    assert cost_diff > 0 and path_diff > 0 and not_least > 0


def test_least_cost_path_catches_a_missing_move(monkeypatch):
    """... and when a move is missing (no below-left neighbour): cells are reached more dearly or not at all."""
    monkeypatch.setattr(land_line, "_MOVES", tuple(m for m in land_line._MOVES if m[:2] != (1, -1)))
    cost_diff, path_diff, _ = compare_with_mcp(random_costs(1, "real"), 1)
    assert cost_diff > 0 and path_diff > 0


def test_least_cost_path_unreachable_end():
    cost = np.ones((5, 9))
    cost[:, 4] = np.inf                               # a wall between the halves
    rows, cols = np.nonzero(np.isfinite(cost))
    ends = np.array([len(rows) - 1, 1])
    got, path_to = least_cost_path(GridCells.keys(rows, cols), cost[rows, cols], 0, ends)
    assert np.isinf(got[0]) and got[1] == 1.0
    assert list(path_to(1)) == [0, 1]
    with pytest.raises(ValueError, match="not reachable"):
        path_to(int(ends[0]))
