"""Voronoi ridges of co-circular sites: exact (joggle 0) against joggled (``geometry.JOGGLE_M``), measured in one run.

Two parallel rows of sites 5 m apart, 300 m across -- the bank points of a straight, grid-aligned river (a water
mask's cell edges along an arm of the bench_scale U course, a canal): every quad of sites is co-circular, and
Qhull merges facets point by point. For each size the script times ``geometry.voronoi_ridges`` both ways (best
of ``--repeat``), prints the ratio and the log-log slope of each, and the joggled ridges' largest distance from
the exact middle line y = 150 m.

    python3 benchmarks/bench_voronoi_degenerate.py                 # 1,250 .. 10,000 sites per row
    python3 benchmarks/bench_voronoi_degenerate.py --per-row 20000 # one size (the exact run takes about a minute)
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from pipeline import geometry


def rows(n: int) -> np.ndarray:
    """Two rows of ``n`` sites, 5 m apart along, 300 m across, at UTM-sized coordinates."""
    x = np.arange(n) * 5.0
    xy = np.vstack([np.column_stack([x, np.zeros(n)]), np.column_stack([x, np.full(n, 300.0)])])
    return xy + (500_000.0, 5_000_000.0)


def timed(sites: np.ndarray, joggle: float, repeat: int):
    best, rid = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        rid = geometry.voronoi_ridges(sites, far_m=1e4, joggle_m=joggle)
        best = min(best, time.perf_counter() - t)
    return best, rid


def middle_error(rid: geometry.Ridges, n: int) -> float:
    """Largest |y - 150| of the ridges between the rows, inside the rows' span (m)."""
    across = (rid.sites[:, 0] < n) != (rid.sites[:, 1] < n)
    seg = rid.segments[across] - (500_000.0, 5_000_000.0)
    inner = (seg[:, :, 0] > 0.0).all(axis=1) & (seg[:, :, 0] < 5.0 * (n - 1)).all(axis=1)
    return float(np.abs(seg[inner][:, :, 1] - 150.0).max())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-row", type=int, nargs="+", default=[1250, 2500, 5000, 10000])
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args(argv)
    print(f"joggle {geometry.JOGGLE_M:g} m; best of {a.repeat}")
    print(f"{'sites':>8} {'exact s':>9} {'joggled s':>10} {'ratio':>7} {'middle err m':>13}")
    out = []
    for n in a.per_row:
        s = rows(n)
        te, re_ = timed(s, 0.0, a.repeat)
        tj, rj = timed(s, geometry.JOGGLE_M, a.repeat)
        out.append((2 * n, te, tj))
        print(f"{2 * n:8d} {te:9.3f} {tj:10.3f} {te / tj:7.1f} {middle_error(rj, n):13.2e}"
              f"   (exact: {middle_error(re_, n):.2e})", flush=True)
    if len(out) > 1:
        n, te, tj = (np.log(np.array(v)) for v in zip(*out))
        print(f"log-log slopes: exact {np.polyfit(n, te, 1)[0]:.2f}, joggled {np.polyfit(n, tj, 1)[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
