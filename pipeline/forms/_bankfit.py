"""The smoothest bank a 0/1 mask allows: ``[forms.mask] boundary = "fitted"`` (not a form: the registry skips
modules whose name starts with "_").

What a mask sampled at cell centres says about the bank, and nothing more: between every water cell and its
4-neighbour land cell the bank crosses the segment joining their centres (one cell long). The staircase of
cell edges puts the bank at the middle of each such segment (half a cell out at worst, 5 m on a 10 m mask).
Where the bank runs at an angle to the grid, the steps pin it: a step's segment lies along the bank, so the
bank's position across it is known exactly there; along a run of cells without a step it is known only to
within the segment.

The fitted edge keeps the mask's information and adds one assumption, stated: **the bank is smooth**. Each
ring of the cell-edge water (pixel coordinates) becomes the curve through one point on each crossing segment
(``P_i = m_i + u_i n_i``, ``m_i`` the segment's middle = the midpoint of the cell edge, ``n_i`` its direction,
``-1/2 <= u_i <= 1/2``: it never leaves the segment, so never leaves the mask's own bound) that minimises

    sum_i (nu_i . (P_{i-1} - 2 P_i + P_{i+1}))^2  +  lambda * sum_i u_i^2

-- the bending across the bank (``nu_i`` the curve's unit normal, estimated over +-5 edges from the fit before,
so uneven spacing along the bank costs nothing), plus a pull to the segments' middles where the mask leaves
the bank free (a run along a grid axis: there the middle is the estimate whose worst error is least). The
pull is set per ring, lambda = 8 kappa^2 with kappa the ring's typical curvature (:func:`fit_ring`), so a
1 km bend and a 100 km one are treated alike. A convex quadratic programme with box constraints, one variable
per cell edge, banded: solved by Clarabel (interior point, sparse LDL; the solver CVXPY uses by default) --
a bound-constrained QP solver is not something to write by hand.

What it guarantees (tests/test_bankfit.py): every vertex lies on its segment, so the fitted water, sampled at
the cell centres again, is the mask, cell for cell; a straight bank at an angle to the grid is recovered to a
small fraction of a cell. What it cannot do: where the mask holds no finer information -- a bank along a grid
axis, or at a low-order slope (45 degrees, 1:2) over a long gentle bend, where the staircase repeats itself --
the fit is one of many banks that give the same mask, and its error there is the prior's, up to half a cell.
A sharp corner of the true bank (a raster's edge, an island's tip) is rounded, within the segments.

Measured on ``benchmarks/bench_scale.py``'s rivers (10 m mask): see benchmarks/README.md "The water's edge".
"""
from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

log = logging.getLogger(__name__)

PULL_RATIO = 8.0         # lambda / kappa^2: the pull to the segments' middles against the ring's typical bending
CURVED = 1e-5            # 1/cell: a stretch bending more than this counts as curved (R < 100,000 cells)
TURN_HALF_WINDOW = 25    # edges either side over which the curvature of the first fit is measured
NORMAL_HALF_WINDOW = 5   # edges either side over which the curve's normal is estimated
TINY_PULL = 1e-12        # lambda of the first fit, and of a ring with no curved stretch: a tie-break only
INSIDE = 1e-6            # cell: how far inside its segment a vertex at a bound is kept


def unit_edges(ring: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The crossing segments of a cell-edge ring: each unit cell edge's midpoint and its unit normal.

    Parameters
    ----------
    ring : ndarray (n, 2)
        A closed ring in pixel coordinates whose vertices are cell corners (integers) and whose edges run
        along the grid (``rasterio.features.shapes``' output), first vertex repeated last.

    Returns
    -------
    (ndarray (k, 2), ndarray (k, 2))
        The midpoints ``m`` of the ring's k unit edges in order, and ``n``, each edge's direction turned by
        90 degrees (the segment between the centres of the cells either side runs from ``m - n/2`` to
        ``m + n/2``).
    """
    v = shapely.get_coordinates(shapely.segmentize(shapely.linearrings(ring), 1.0))
    d = np.diff(v, axis=0)
    return (v[:-1] + v[1:]) / 2.0, np.column_stack([-d[:, 1], d[:, 0]])


def _tangents(p: np.ndarray, k: int) -> np.ndarray:
    """Unit tangents of the closed polyline ``p``: the chord from the point ``k`` before to ``k`` after (cyclic)."""
    t = np.roll(p, -k, axis=0) - np.roll(p, k, axis=0)
    return t / np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-12)[:, None]


def _normals(p: np.ndarray, k: int) -> np.ndarray:
    """Unit normals of the closed polyline ``p`` (its :func:`_tangents` turned left)."""
    t = _tangents(p, k)
    return np.column_stack([-t[:, 1], t[:, 0]])


def _solve_box_qp(h: sp.csc_matrix, g: np.ndarray) -> np.ndarray:
    """argmin 1/2 u'Hu - g'u subject to -1/2 <= u <= 1/2 (Clarabel)."""
    import clarabel

    n = h.shape[0]
    eye = sp.identity(n, format="csc")
    a = sp.vstack([eye, -eye]).tocsc()                  # A u + s = b, s >= 0: u <= 1/2 and -u <= 1/2
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    sol = clarabel.DefaultSolver(sp.triu(h).tocsc(), -g, a, np.full(2 * n, 0.5),
                                 [clarabel.NonnegativeConeT(2 * n)], settings).solve()
    if str(sol.status) not in ("Solved", "AlmostSolved"):     # never seen; the cell edges' middles then stand
        log.warning("bank fit: Clarabel ended with %s on a ring of %d cell edges; its cell edges are kept",
                    sol.status, n)
        return np.zeros(n)
    # an interior point solution lies within ~1e-8 of the box; kept strictly inside it (INSIDE), so no vertex
    # falls on a cell centre, where sampling the water again could go either way
    return np.clip(np.asarray(sol.x), -0.5 + INSIDE, 0.5 - INSIDE)


def curvature_scale(p: np.ndarray) -> float:
    """The typical curvature of a closed curve (1/cell): the median of |kappa| over its curved stretches.

    kappa is the turn of the chord direction across +-``TURN_HALF_WINDOW`` points per unit of arc length;
    stretches with |kappa| <= ``CURVED`` (straight reaches, a grid-parallel arm) are left out, so a ring that
    is straight except at its bends is measured at its bends; a few sharp corners (a raster's edge) do not move
    a median.

    Parameters
    ----------
    p : ndarray (k, 2)
        The curve's points in order (pixel coordinates, not closed).

    Returns
    -------
    float
        1/cell; 0 when no stretch is curved.
    """
    k = len(p)
    w = min(TURN_HALF_WINDOW, max(1, k // 8))
    t = _tangents(p, w)
    before, after = np.roll(t, w, axis=0), np.roll(t, -w, axis=0)
    turn = np.arctan2(before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0], (before * after).sum(1))
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*(np.roll(p, -1, axis=0) - p).T))])
    i = np.arange(k)
    arc = cum[(i + w) % k] - cum[(i - w) % k] + np.where(i + w >= k, cum[-1], 0.0) + np.where(i - w < 0, cum[-1], 0.0)
    kappa = np.abs(turn) / np.maximum(arc, 1e-9)
    curved = kappa[kappa > CURVED]
    return float(np.median(curved)) if len(curved) else 0.0


def _fit(m: np.ndarray, n: np.ndarray, u: np.ndarray, pull: float) -> np.ndarray:
    """One fit: the u minimising the bending across the curve through ``m + u n`` (its normals taken from the
    current ``u``) plus ``pull * sum(u^2)``, within -1/2 <= u <= 1/2."""
    k = len(m)
    i, prev, nxt = np.arange(k), np.roll(np.arange(k), 1), np.roll(np.arange(k), -1)
    nu = _normals(m + u[:, None] * n, min(NORMAL_HALF_WINDOW, max(1, k // 4)))
    vals = np.column_stack([(nu * n[prev]).sum(1), -2.0 * (nu * n).sum(1), (nu * n[nxt]).sum(1)])
    a = sp.csr_matrix((vals.ravel(), (np.repeat(i, 3), np.column_stack([prev, i, nxt]).ravel())), shape=(k, k))
    b = -(nu * (m[prev] - 2.0 * m + m[nxt])).sum(1)
    return _solve_box_qp((a.T @ a + pull * sp.identity(k)).tocsc(), a.T @ b)


def fit_ring(ring: np.ndarray) -> np.ndarray:
    """The smoothest closed curve through the ring's crossing segments (see the module docstring).

    Three fits: the first with a tie-break pull only, its normals from the staircase; from it the ring's
    typical curvature kappa (:func:`curvature_scale`) sets the pull, lambda = ``PULL_RATIO`` kappa^2 (so the
    balance of bending and pull is the same for a 1 km bend and a 100 km one); the second and third take their
    normals from the fit before.

    Parameters
    ----------
    ring : ndarray (n, 2)
        A cell-edge ring in pixel coordinates (see :func:`unit_edges`).

    Returns
    -------
    ndarray (k + 1, 2)
        The fitted ring, closed, in pixel coordinates: vertex i on the segment ``m_i + u n_i``,
        -1/2 <= u <= 1/2, of the ring's i-th unit edge.
    """
    m, n = unit_edges(ring)
    u = _fit(m, n, np.zeros(len(m)), TINY_PULL)
    pull = max(PULL_RATIO * curvature_scale(m + u[:, None] * n) ** 2, TINY_PULL)
    for _ in range(2):
        u = _fit(m, n, u, pull)
    p = m + u[:, None] * n
    return np.vstack([p, p[:1]])


def fit_region(region: BaseGeometry) -> BaseGeometry:
    """Every ring of a cell-edge water region fitted (:func:`fit_ring`).

    Parameters
    ----------
    region : shapely (Multi)Polygon
        Water in pixel coordinates, every vertex a cell corner.

    Returns
    -------
    shapely (Multi)Polygon
        Valid (rings that the fit made touch or cross, where two banks are a cell or two apart, are repaired
        with ``make_valid``; only its polygons are kept).
    """
    polys = []
    for p in shapely.get_parts(region):
        shell = fit_ring(np.asarray(p.exterior.coords))
        holes = [fit_ring(np.asarray(h.coords)) for h in p.interiors]
        polys.append(Polygon(shell, holes))
    out = shapely.union_all(shapely.make_valid(np.array(polys, dtype=object)))
    return shapely.union_all([g for g in shapely.get_parts(out) if g.geom_type == "Polygon"])
