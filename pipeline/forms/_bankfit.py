"""The smoothest bank a 0/1 mask allows: ``[forms.mask] boundary = "fitted"`` (not a form: the registry skips
modules whose name starts with "_").

What a mask sampled at cell centres says about the bank, and nothing more: between every water cell and its
4-neighbour land cell the bank crosses the segment joining their centres, the water cell's centre on the water
side, the land cell's on the land side. The staircase of cell edges puts the bank at the middle of each such
segment (half a cell out at worst, 5 m on a 10 m mask). Where the bank runs at an angle to the grid or bends,
the steps pin it: a step's segment lies along the bank, so the bank's position across it is known closely
there; along a run of cells without a step (a bank along a grid axis) it is known only to within the segment.

The fitted edge keeps the mask's information and adds one assumption, stated: **the bank is smooth**. Per ring
of the cell-edge water (pixel coordinates, :func:`fit_ring`):

1. **Reference** (:func:`segment_fit`): the curve through one point on each crossing segment
   (``m_i + u_i n_i``, ``-1/2 <= u_i <= 1/2``) with the least bending. It samples back to the mask by
   construction, but its vertices are spaced as the staircase's segments cross it, unevenly, and a second
   difference over uneven spacing is not curvature: the same bend costs least along the middle of a repeating
   staircase (45 degrees, 1:2), so on a long gentle bend this curve is drawn toward the staircase's middle
   (measured: a disc of radius 3,000 cells, 0.24 cell off near 45 degrees, 2.4 m on a 10 m mask). It is where
   the fit starts, and what a ring keeps should the fit fail.
2. **Stations** (:func:`station_step`): the curve as offsets ``d_j`` along the normals ``nu_j`` of stations
   ``q_j`` one cell apart, minimising

       sum_j (nu_j . (P_{j-1} - 2 P_j + P_{j+1}))^2 / h^3  +  sum_j lambda_j h (d_j - c_j)^2,   P_j = q_j + d_j nu_j

   subject to every cell centre of the ring's crossing segments on its own side by ``MARGIN`` (the offset
   interpolated at the centre's foot is linear in d). Even spacing makes the first term the integral of
   kappa^2 wherever the curve lies among the cells (the disc: 0.06 cell near 45 degrees). ``c_j`` is the
   middle of the gap the mask leaves at station j (between the nearest centres either side); the pull
   ``lambda_j`` is ``PULL_RATIO kappa^2`` on a straight reach -- where the mask leaves the bank free, a
   grid-parallel run, the middle is the estimate whose worst error is least -- and fades as
   ``1 / (1 + (kappa_j / (CURVED_SHARE kappa))^2)`` where the reach bends (``kappa_j`` its curvature over
   +-10 stations, ``kappa`` the ring's typical one, :func:`curvature_scale`): there the steps pin the bank,
   and a pull would only draw it toward the staircase. The ring's own kappa sets the scale, so a 1 km bend
   and a 100 km one are treated alike.
3. **Steps** repeat from the curve found (re-spaced after the first ``RESAMPLE_STEPS`` step(s) if it moved
   the curve more than ``RESAMPLE_ABOVE``) until one moves it less than ``CONVERGED``: the side constraints are
   linearised, and exact at convergence. Once the stations stay, a step frees only the stations within
   ``TURN_HALF_WINDOW`` of one that still moved (the rest keep d = 0), so the last steps, which move a few
   corners, cost little.
4. **Checked**: the fitted ring simple and every centre on its own side of it (point in polygon,
   :func:`_separates`). A ring that fails, or whose solve ends without a solution, keeps its reference (step
   1), with a warning; so does, silently, a ring of fewer than ``MIN_EDGES`` cell edges (an islet of a few
   cells, whose shape the mask barely holds).

Each step is a convex quadratic programme with sparse linear constraints, one variable per station, banded:
solved by Clarabel (interior point, sparse LDL; the solver CVXPY uses by default) -- not something to write by
hand.

What it guarantees (tests/test_bankfit.py): the fitted water, sampled at the cell centres again, is the mask,
cell for cell; a straight bank at an angle to the grid and a circle are recovered to a small fraction of a
cell. What it cannot do: where the mask holds no finer information -- a bank along a grid axis -- the fit is
one of many banks that give the same mask (the middle of the gap), and its error there is the prior's, up to
half a cell. A sharp corner of the true bank (a raster's edge, an island's tip) is rounded, within the cells.

Measured on ``benchmarks/bench_scale.py``'s rivers (10 m mask): see benchmarks/README.md "The water's edge".
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.ndimage import maximum_filter1d
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

log = logging.getLogger(__name__)

PULL_RATIO = 64.0        # lambda / kappa^2 on a straight reach: the pull to the middle of the mask's gap
CURVED_SHARE = 0.25      # the pull fades where a reach bends more than this share of the ring's typical curvature
CURVED = 1e-5            # 1/cell: a stretch bending more than this counts as curved (R < 100,000 cells)
TURN_HALF_WINDOW = 25    # points either side over which a ring's typical curvature is measured
FADE_HALF_WINDOW = 10    # stations either side over which a reach's own curvature is measured (the pull's fade)
NORMAL_HALF_WINDOW = 5   # edges either side over which the reference fit takes the staircase's normal
MIN_EDGES = 64           # a ring of fewer cell edges (a feature under ~16 cells across) keeps its reference
TINY_PULL = 1e-12        # lambda of the reference fit, and of a ring with no curved stretch: a tie-break only
INSIDE = 1e-6            # cell: how far inside its segment a reference vertex at a bound is kept
STATION = 1.0            # cell: the spacing of the fitted curve's vertices (stations)
MARGIN = 1e-3            # cell: how far a cell centre is kept from the fitted curve, on its own side
RESAMPLE_ABOVE = 0.05    # cell: the stations are re-spaced after a step that moved the curve more than this,
RESAMPLE_STEPS = 1       # after the first step only (re-spaced every step, thin islands cycled: measured)
CONVERGED = 0.005        # cell: the steps end when one moves the curve less than this (5 cm on a 10 m mask)
MAX_STEPS = 10           # the steps end here whatever (measured: 4-8 on benchmarks/bench_scale.py's rivers)
PROJECT_HALF_WINDOW = 3  # stations either side of its last foot among which a cell centre's foot is sought


@dataclass
class _Centres:
    """The cell centres a ring's crossing segments join: where they are, which side of the ring's direction
    they lie on (+1 left, -1 right), and where along the current stations their foot was last found."""

    xy: np.ndarray
    side: np.ndarray
    t: np.ndarray           # fractional station index


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
        90 degrees to the left (the segment between the centres of the cells either side runs from
        ``m - n/2``, right of the ring, to ``m + n/2``, left of it).
    """
    v = shapely.get_coordinates(shapely.segmentize(shapely.linearrings(ring), 1.0))
    d = np.diff(v, axis=0)
    return (v[:-1] + v[1:]) / 2.0, np.column_stack([-d[:, 1], d[:, 0]])


def _closed(p: np.ndarray) -> np.ndarray:
    """The ring ``p`` (k points) with its first point repeated last."""
    return np.vstack([p, p[:1]])


def _cyclic_band(vals: np.ndarray) -> sp.csr_matrix:
    """The k x k matrix whose row i holds ``vals[i]`` at columns i - 1, i, i + 1 (cyclic): a second difference
    along a closed curve."""
    k = len(vals)
    i = np.arange(k)
    cols = np.column_stack([np.roll(i, 1), i, np.roll(i, -1)])
    return sp.csr_matrix((vals.ravel(), (np.repeat(i, 3), cols.ravel())), shape=(k, k))


def _tangents(p: np.ndarray, k: int) -> np.ndarray:
    """Unit tangents of the closed polyline ``p``: the chord from the point ``k`` before to ``k`` after (cyclic)."""
    t = np.roll(p, -k, axis=0) - np.roll(p, k, axis=0)
    return t / np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-12)[:, None]


def _normals(p: np.ndarray, k: int) -> np.ndarray:
    """Unit normals of the closed polyline ``p`` (its :func:`_tangents` turned left)."""
    t = _tangents(p, k)
    return np.column_stack([-t[:, 1], t[:, 0]])


def _solve_qp(p: sp.csc_matrix, q: np.ndarray, a: sp.csc_matrix, b: np.ndarray, keeps: str) -> np.ndarray | None:
    """argmin 1/2 x'Px + q'x subject to Ax <= b (Clarabel); None, with a warning that the ring keeps ``keeps``,
    if it ends without a solution."""
    import clarabel

    settings = clarabel.DefaultSettings()
    settings.verbose = False
    sol = clarabel.DefaultSolver(sp.triu(p).tocsc(), q, a.tocsc(), b, [clarabel.NonnegativeConeT(a.shape[0])],
                                 settings).solve()
    if str(sol.status) not in ("Solved", "AlmostSolved"):     # never seen; the caller keeps what it had
        log.warning("bank fit: Clarabel ended with %s on a ring of %d unknowns; the ring keeps its %s",
                    sol.status, p.shape[0], keeps)
        return None
    return np.asarray(sol.x)


def _local_curvature(p: np.ndarray, w: int) -> np.ndarray:
    """|kappa| at each point of the closed curve ``p``: the turn of the chord direction across +-``w`` points
    per unit of arc length between them."""
    k = len(p)
    t = _tangents(p, w)
    before, after = np.roll(t, w, axis=0), np.roll(t, -w, axis=0)
    turn = np.arctan2(before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0], (before * after).sum(1))
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*(np.roll(p, -1, axis=0) - p).T))])
    i = np.arange(k)
    arc = cum[(i + w) % k] - cum[(i - w) % k] + np.where(i + w >= k, cum[-1], 0.0) + np.where(i - w < 0, cum[-1], 0.0)
    return np.abs(turn) / np.maximum(arc, 1e-9)


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
    kappa = _local_curvature(p, min(TURN_HALF_WINDOW, max(1, len(p) // 8)))
    curved = kappa[kappa > CURVED]
    return float(np.median(curved)) if len(curved) else 0.0


def segment_fit(m: np.ndarray, n: np.ndarray) -> np.ndarray | None:
    """The reference: the curve through one point on each crossing segment (``m + u n``, -1/2 <= u <= 1/2)
    with the least bending across it.

    Minimises ``sum_i (nu_i . (P_{i-1} - 2 P_i + P_{i+1}))^2`` (``nu_i`` the staircase's normal over
    +-``NORMAL_HALF_WINDOW`` edges) plus a tie-break ``TINY_PULL * sum u_i^2``: a bounded QP, one variable
    per cell edge, banded. It samples back to the mask by construction; its bending is not the curve's, as its
    vertices are spaced as the staircase's segments cross it (see the module docstring), so it is only where
    :func:`fit_ring` starts.

    Parameters
    ----------
    m, n : ndarray (k, 2)
        :func:`unit_edges` of a ring.

    Returns
    -------
    ndarray (k,) or None
        u of each vertex, kept ``INSIDE`` its segment; None if the solver ended without a solution.
    """
    k = len(m)
    prev, nxt = np.roll(np.arange(k), 1), np.roll(np.arange(k), -1)
    nu = _normals(m, min(NORMAL_HALF_WINDOW, max(1, k // 4)))
    a = _cyclic_band(np.column_stack([(nu * n[prev]).sum(1), -2.0 * (nu * n).sum(1), (nu * n[nxt]).sum(1)]))
    b = -(nu * (m[prev] - 2.0 * m + m[nxt])).sum(1)
    eye = sp.identity(k, format="csc")
    u = _solve_qp((a.T @ a + TINY_PULL * eye).tocsc(), -(a.T @ b), sp.vstack([eye, -eye]), np.full(2 * k, 0.5),
                  "cell edges")
    # an interior point solution lies within ~1e-8 of the box; kept strictly inside it (INSIDE), so no vertex
    # falls on a cell centre, where sampling the water again could go either way
    return None if u is None else np.clip(u, -0.5 + INSIDE, 0.5 - INSIDE)


def _stations(p: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """The closed polyline ``p`` re-spaced into stations ``STATION`` apart (at least 8), the spacing, and the
    fractional indices ``t`` on ``p`` carried to the new stations (by arc length)."""
    closed = _closed(p)
    seg = np.hypot(*np.diff(closed, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(8, int(round(cum[-1] / STATION)))
    h = cum[-1] / n
    s = np.arange(n) * h
    q = np.column_stack([np.interp(s, cum, closed[:, 0]), np.interp(s, cum, closed[:, 1])])
    j = np.floor(t).astype(np.int64) % len(p)
    return q, h, (cum[j] + (t - np.floor(t)) * seg[j]) / h


def _feet(q: np.ndarray, centres: _Centres) -> tuple[np.ndarray, np.ndarray]:
    """Each centre's foot on the closed polyline ``q``, sought among the segments within
    ``PROJECT_HALF_WINDOW`` stations of its last one (so a centre between two close banks of one ring stays
    with its own): fractional station index and signed offset (left +, cells)."""
    k = len(q)
    seg = np.roll(q, -1, axis=0) - q
    ll = np.maximum((seg * seg).sum(1), 1e-24)
    base = np.floor(centres.t).astype(np.int64)
    best = np.full(len(centres.xy), np.inf)
    t = np.zeros(len(centres.xy))
    off = np.zeros(len(centres.xy))
    for shift in range(-PROJECT_HALF_WINDOW, PROJECT_HALF_WINDOW + 1):
        j = (base + shift) % k
        ab = seg[j]
        r = centres.xy - q[j]
        f = np.clip((r * ab).sum(1) / ll[j], 0.0, 1.0)
        r -= f[:, None] * ab
        dist = np.hypot(r[:, 0], r[:, 1])
        better = dist < best
        best[better] = dist[better]
        t[better] = (j + f)[better]
        off[better] = ((ab[:, 0] * r[:, 1] - ab[:, 1] * r[:, 0]) / np.sqrt(ll[j]))[better]
    return t, off


def station_step(q: np.ndarray, nu: np.ndarray, h: float, centres: _Centres, kappa: float,
                 free: np.ndarray | None = None) -> np.ndarray | None:
    """One step of the fit: the offsets d (cells) along the stations' normals that minimise the bending plus
    the pull, every cell centre kept on its side (see the module docstring).

    Parameters
    ----------
    q : ndarray (k, 2)
        The stations (a closed curve, evenly spaced, not closed).
    nu : ndarray (k, 2)
        Their unit normals (``_normals(q, 1)``), along which d moves them.
    h : float
        Their spacing (cells).
    centres : _Centres
        The ring's cell centres; their feet (``t``) are updated.
    kappa : float
        The ring's typical curvature (:func:`curvature_scale`), 1/cell.
    free : ndarray (k,) of bool, optional
        The stations that may move (the others keep d = 0: their terms and constraints stay, with d = 0
        put in); all by default.

    Returns
    -------
    ndarray (k,) or None
        d, left positive; None if the solver ended without a solution.
    """
    k = len(q)
    prev, nxt = np.roll(np.arange(k), 1), np.roll(np.arange(k), -1)
    # bending: nu_j . (P_{j-1} - 2 P_j + P_{j+1}) / h^2 with P = q + d nu, squared, times h (an integral)
    a = _cyclic_band(np.column_stack([(nu * nu[prev]).sum(1), np.full(k, -2.0), (nu * nu[nxt]).sum(1)]) / h ** 1.5)
    b = (nu * (q[prev] - 2.0 * q + q[nxt])).sum(1) / h ** 1.5
    # every centre on its side: side * (d(t) - offset) <= -MARGIN, d(t) interpolated between its two stations
    centres.t, offset = _feet(q, centres)
    j0 = np.floor(centres.t).astype(np.int64) % k
    f = centres.t - np.floor(centres.t)
    rows = np.arange(len(offset))
    sides = sp.csr_matrix((np.concatenate([centres.side * (1.0 - f), centres.side * f]),
                           (np.concatenate([rows, rows]), np.concatenate([j0, (j0 + 1) % k]))), shape=(len(rows), k))
    # the pull: to the middle of the gap between the nearest left and right centres, on straight reaches only
    hi, lo = np.full(k, np.inf), np.full(k, -np.inf)
    near = np.rint(centres.t).astype(np.int64) % k
    np.minimum.at(hi, near[centres.side > 0], offset[centres.side > 0])
    np.maximum.at(lo, near[centres.side < 0], offset[centres.side < 0])
    gap = np.isfinite(hi) & np.isfinite(lo) & (hi > lo)
    middle = (np.where(gap, hi, 0.0) + np.where(gap, lo, 0.0)) / 2.0      # 0 where there is no gap
    fade = 1.0
    if kappa > 0:
        fade = 1.0 / (1.0 + (_local_curvature(q, min(FADE_HALF_WINDOW, max(1, k // 8))) / (CURVED_SHARE * kappa)) ** 2)
    pull = np.where(gap, max(PULL_RATIO * kappa ** 2, TINY_PULL) * fade * h, TINY_PULL)
    limit = centres.side * offset - MARGIN
    if free is not None:                     # the others' d = 0: drop their columns, and rows left empty
        cols = np.flatnonzero(free)
        a, sides = a[:, cols], sides[:, cols]
        used, binding = a.getnnz(axis=1) > 0, sides.getnnz(axis=1) > 0
        a, b, sides, limit, pull, middle = a[used], b[used], sides[binding], limit[binding], pull[cols], middle[cols]
    d = _solve_qp((a.T @ a + sp.diags(pull)).tocsc(), a.T @ b - pull * middle, sides, limit, "reference fit")
    if d is None or free is None:
        return d
    out = np.zeros(k)
    out[cols] = d
    return out


def _separates(q: np.ndarray, ring: np.ndarray, centres: _Centres) -> bool:
    """Whether the closed curve ``q`` is simple and has every centre on its own side, as the cell-edge ``ring``
    has."""
    poly = shapely.Polygon(q)
    if not poly.is_valid:
        return False
    inside = shapely.contains_xy(poly, centres.xy[:, 0], centres.xy[:, 1])
    return bool(np.array_equal(inside, (centres.side > 0) == shapely.is_ccw(shapely.linearrings(ring))))


def fit_ring(ring: np.ndarray) -> np.ndarray:
    """The smoothest closed curve the ring's cell centres allow (see the module docstring).

    Parameters
    ----------
    ring : ndarray (n, 2)
        A cell-edge ring in pixel coordinates (see :func:`unit_edges`).

    Returns
    -------
    ndarray (k + 1, 2)
        The fitted ring, closed, in pixel coordinates: every cell centre of the ring's crossing segments on its
        own side of it, as on the cell edges.
    """
    m, n = unit_edges(ring)
    u = segment_fit(m, n)
    if u is None:
        return _closed(m)
    ref = m + u[:, None] * n
    k = len(m)
    if k < MIN_EDGES:
        return _closed(ref)
    kappa = curvature_scale(ref)
    centres = _Centres(np.vstack([m + n / 2.0, m - n / 2.0]), np.repeat([1.0, -1.0], k),
                       np.tile(np.arange(k, dtype=float), 2))       # vertex i of ref is on centre i's segment
    q, h, centres.t = _stations(ref, centres.t)
    free = None
    for step in range(MAX_STEPS):
        nu = _normals(q, 1)
        d = station_step(q, nu, h, centres, kappa, free)
        if d is None:
            return _closed(ref)
        q = q + d[:, None] * nu
        moved = np.abs(d)
        if moved.max() < CONVERGED:
            break
        if moved.max() > RESAMPLE_ABOVE and step < RESAMPLE_STEPS:
            q, h, centres.t = _stations(q, centres.t)
            free = None
        else:                                # only where the curve still moves, and +-TURN_HALF_WINDOW about
            free = maximum_filter1d((moved >= CONVERGED).astype(np.uint8), 2 * TURN_HALF_WINDOW + 1, mode="wrap") > 0
    if not _separates(q, ring, centres):
        log.warning("bank fit: a ring of %d cell edges would put a cell centre on the wrong side of its bank; "
                    "it keeps its reference fit", k)
        return _closed(ref)
    return _closed(q)


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
