#!/usr/bin/env python3
"""Scale benchmark (issue 24, first deliverable): time, memory and accuracy of the whole run against the
length L of the river border, on synthetic cases whose middle line and thalweg are known analytically.

Run from the repository root::

    python3 benchmarks/bench_scale.py                          # 10, 30, 100 km, straight and U course
    python3 benchmarks/bench_scale.py --sizes 10 30 100 300 1000 --course both --timeout 600
    python3 benchmarks/bench_scale.py --sizes 10 --course u --keep /tmp/scale   # keep the cases and outputs
    python3 benchmarks/bench_scale.py --repeat 3          # min wall / CPU of 3 runs per case (shared machine)
    python3 benchmarks/bench_scale.py --stages            # and each run's stage timings (from its INFO log)
    python3 benchmarks/bench_scale.py --boundary cell_edges   # the mask's edge the cases use (default fitted)
    python3 benchmarks/bench_scale.py --set land.thalweg_depth_exponent=8   # --set passed on to every run

Each case is generated deterministically (numpy seed ``--seed``) in a local projected CRS, UTM zone 32N
(EPSG:32632); the mouth is at E 500,000 m, N 5,000,000 m (about 9 E, 45.1 N) on a straight coast N = 5,000,000
(sea to the south). In course coordinates (s along the centre line from the upstream end, n to the left
looking downstream):

* **courses** (``--course``): ``straight`` -- the river flows south along x = A sin(2 pi y / lambda) (A = 200 m,
  lambda = 8 km; arc length 0.6 % above the straight length, radius of curvature >= 8 km); ``u`` -- an
  inverted U: north up an arm at x = 2R, a half circle of radius R = L / 8 over the top, south down an arm at
  x = 0 to the sea (its bounding box is about 0.25 L x 0.43 L: it grows as L^2, the straight one as L).
  L is the arc length from the upstream end of the water to the coast.
* **water**: constant width 2w = 300 m, the banks the exact offsets n = +-w of the centre line (sampled every
  5 m; chord error < 5 mm), running 300 m past the coast into the sea; 3 islands per 10 km (300 m long, n from
  0.40 w to 0.75 w: in the left arm, so the widest channel is the right one), their s jittered by the seed;
  none within 2 km of the mouth or of the tripoint.
  Given as a **10 m water mask GeoTIFF** (uint8 0/1, 512 x 512 tiles, DEFLATE, ``SPARSE_OK``): only the tiles
  the river touches are written, one window at a time (rasterio windowed writes), so the generator never holds
  the bounding box in memory (one 512 x 512 tile, 256 KiB); unwritten tiles read back as 0.
* **depth**: soundings CSV (x, y, depth; ``inputs.depth_crs = EPSG:32632``): a cross-section every 100 m of s,
  a point every 10 m of n from -w to +w (points on islands left out); depth = 10 - 9 ((n - d(s)) / 1.3 w)^2 m
  with the deepest line at n = d(s) = w (-0.30 + 0.15 sin(2 pi s / 4 km)), i.e. 22.5 to 67.5 m right of the
  centre, away from the islands. The **known thalweg** is {c(s) + d(s) n(s)}, the **known middle line** the
  centre line {c(s)} (the medial axis of the constant-width channel; near the islands the middle of the main
  channel is not the centre line, so island windows +- 2w are left out of the middle-line error).
* **land**: two states, ``AAA`` on the left bank and ``BBB`` on the right bank, split by the centre line, from
  the upstream end by a straight line to the edge of the data, and from the mouth straight out to sea;
  written as lon/lat GeoJSON cut to ``inputs.coast_extent`` with the pipeline's 0.001 deg segmentized box (as
  tests/synthetic_case.py does), 12 nm + 10 km (32.2 km) of land and sea around the river.
* **treaty points**: monument M1 2 km below the upstream end, 50 m beyond the left bank (tripoint by the
  perpendicular); mouth point B on the axis 1 m seaward of the coast; end point E on the axis 22,225 m
  seaward (12 nm + 1 m, as planar UTM metres: within the default end tolerance).

Each case runs the whole CLI in a fresh subprocess::

    python -m pipeline.cli run --config case.toml --out out --no-map -q --set output.webmap=false

timed by wall clock and ``os.wait4`` (user + sys CPU time, peak resident memory ``ru_maxrss`` of that child;
through a bare launcher interpreter, see ``LAUNCHER``), killed after ``--timeout`` s; ``--repeat N`` keeps
the min wall and CPU time and the max peak memory of N runs. **Memory guard**: before anything is generated, the
river's corridor is estimated analytically: its wet cells at 10 m, (L + 300 m of sea) x 300 m / 100 m^2 (islands
not subtracted: 3.0 M at 1,000 km, measured 2.96 M). Above ``--max-cells`` (default 120 million) wet cells the size
is refused. The run's memory is estimated as ``BYTES_PER_WET_CELL`` (800 B: the straight course at 1,000 km peaked
at 2,071 MiB for 2.96 M wet cells, everything included) per wet cell, plus ``MASK_BYTES_PER_BOX_CELL`` (28 B) per
cell of the 10 m bounding box for as long as the mask form read and polygonised the whole box (measured: U course
300 km, 2.76 GiB at 9.8e7 box cells; 0 now that the mask is read by windows); above ``--max-gib`` (16) the size
is refused too. Either prints ``refused: would need N wet cells / X GiB``, so the benchmark cannot take the machine
(24 GiB, 2 cores, shared) down. Before issue 24's phase 3 the guard counted bounding-box cells at 100 B each.

The case's ``[crs]`` tolerance: where the data extent is so wide that any transverse Mercator centred on it (the
pipeline's auto projection) comes within 2 % of the default 50 ppm scale error or exceeds it (U course from 250 km:
49.7 ppm), the generated config sets ``crs.max_scale_error_ppm`` to 1.1 x that least possible error, with the
reason in a comment (see :func:`crs_section`); nothing else is loosened.

Accuracy: the run's ``channel_middle`` and ``thalweg`` layers (border.gpkg, or failed-run/border.gpkg when a
check failed) are projected to EPSG:32632, densified to 1 m, and each vertex's distance to the known line
(exact distance to the known polyline's nearest segments, sampled every 2 m) is taken, between 300 m below
the tripoint's s and 300 m above the coast. Max and mean, in metres and in cells (10 m: the mask cell and
the default ``inputs.depth_cell_m``).

Then the log-log slopes (numpy polyfit of log time / log memory on log L, per course, over the sizes that
ran) and the issue's targets with PASS / FAIL / NOT MEASURED.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EPSG = 32632
X0, Y0 = 500_000.0, 5_000_000.0       # the mouth (UTM 32N)
W = 150.0                             # half width (m)
CELL = 10.0                           # mask cell and inputs.depth_cell_m (m)
SEA_EXT = 300.0                       # the water runs this far past the coast
BREADTH = 12 * 1852.0
# land/sea around the river: the sea part needs the coast within 12 nm of the end point E, and a little more; a
# wider margin only widens the auto transverse Mercator's extent, whose scale error grows as the square of its
# half-width (60 km margins: 50.1 ppm on the 30 km U course, 44.7 ppm on every straight one)
MARGIN = BREADTH + 10_000.0
SCALE_PPM = 50.0                      # the pipeline's default crs.max_scale_error_ppm
SOUND_DS, SOUND_DN = 100.0, 10.0      # soundings: cross-section spacing along, point spacing across
TRIP_FROM_UP = 2_000.0                # tripoint s below the upstream end
BYTES_PER_WET_CELL = 800              # measured: straight 1,000 km, 2.96 M wet cells, 2,071 MiB peak (all included)
MASK_BYTES_PER_BOX_CELL = 0           # was 28 (U 300 km, mask read whole: 2.76 GiB at 9.8e7 box cells); the mask
                                      # form now reads by windows (U 1,000 km mask: 256 MiB, bench_mask.py)
TARGETS = {"slope": 1.1, "time_1000": 120.0, "mem_1000_gib": 4.0, "middle_m": 1.0, "thalweg_cells": 1.5}


# --------------------------------------------------------------------------------------------- courses
@dataclass
class Course:
    kind: str
    length_m: float                   # arc length, upstream end -> coast
    s: np.ndarray                     # arc length of the samples (upstream end = 0), past the coast too
    xy: np.ndarray                    # (n, 2) centre line, local metres (mouth = 0, 0)
    t: np.ndarray                     # (n, 2) unit tangent, downstream
    islands: list = field(default_factory=list)   # (s0, s1)

    @property
    def normal(self) -> np.ndarray:   # unit normal to the left looking downstream
        return np.column_stack([-self.t[:, 1], self.t[:, 0]])

    @property
    def s_mouth(self) -> float:
        return self.length_m

    @property
    def s_trip(self) -> float:
        return TRIP_FROM_UP


def ridge(s: np.ndarray) -> np.ndarray:
    """n of the deepest line at s (m, negative: right of the centre)."""
    return W * (-0.30 + 0.15 * np.sin(2 * np.pi * s / 4000.0))


def depth_at(s: np.ndarray, n: np.ndarray) -> np.ndarray:
    return 10.0 - 9.0 * ((n - ridge(s)) / (1.3 * W)) ** 2


def straight_course(L: float, ds: float = 5.0) -> Course:
    A, lam = 200.0, 8000.0
    k = 2 * np.pi / lam
    u = np.arange(0.0, L + 2 * lam, 0.5)[::-1]            # y from far upstream down to 0 (fine, for arc length)
    u = np.concatenate([u, -np.arange(0.5, SEA_EXT + 1.0, 0.5)])
    x = A * np.sin(k * u)
    seg = np.hypot(np.diff(x), np.diff(u))
    s_raw = np.concatenate([[0.0], np.cumsum(seg)])
    s_coast = np.interp(0.0, u[::-1], s_raw[::-1])
    start = s_coast - L                                     # upstream end: arc length L above the coast
    s_new = np.arange(start, s_coast + SEA_EXT, ds)
    s_new = np.unique(np.concatenate([s_new, [s_coast, s_coast + SEA_EXT]]))
    uu = np.interp(s_new, s_raw, u)
    xx = A * np.sin(k * uu)
    tx, ty = -A * k * np.cos(k * uu), -np.ones_like(uu)     # d/d(-u): downstream is decreasing y
    nrm = np.hypot(tx, ty)
    return Course("straight", L, s_new - start, np.column_stack([xx, uu]), np.column_stack([tx / nrm, ty / nrm]))


def u_course(L: float, ds: float = 5.0) -> Course:
    R = L / 8.0
    y_up = min(2_000.0, 0.2 * L)                            # the upstream end, this far from the coast
    y_top = (L - np.pi * R + y_up) / 2.0                    # both arms reach this y
    a1 = y_top - y_up
    a2 = a1 + np.pi * R
    s = np.arange(0.0, L + SEA_EXT, ds)
    s = np.unique(np.concatenate([s, [a1, a2, L, L + SEA_EXT]]))
    xy = np.empty((len(s), 2))
    t = np.empty((len(s), 2))
    m1, m3 = s <= a1, s >= a2
    m2 = ~m1 & ~m3
    xy[m1] = np.column_stack([np.full(m1.sum(), 2 * R), y_up + s[m1]])
    t[m1] = (0.0, 1.0)
    th = (s[m2] - a1) / R
    xy[m2] = np.column_stack([R + R * np.cos(th), y_top + R * np.sin(th)])
    t[m2] = np.column_stack([-np.sin(th), np.cos(th)])
    xy[m3] = np.column_stack([np.zeros(m3.sum()), y_top - (s[m3] - a2)])
    t[m3] = (0.0, -1.0)
    return Course("u", L, s, xy, t)


def make_course(kind: str, L: float, seed: int) -> Course:
    c = straight_course(L) if kind == "straight" else u_course(L)
    rng = np.random.default_rng(seed + int(L) + (0 if kind == "straight" else 1))
    lo, hi = c.s_trip + 2_000.0, c.s_mouth - 2_000.0
    n = max(1, int(round(3 * L / 10_000.0)))
    if hi - lo > 1_000.0:
        centres = lo + (np.arange(n) + 0.5) / n * (hi - lo)
        centres += rng.uniform(-0.2, 0.2, n) * (hi - lo) / n
        c.islands = [(float(m - 150.0), float(m + 150.0)) for m in centres]
    return c


def at_s(c: Course, s: np.ndarray):
    """(xy, normal) at arc lengths ``s`` (linear interpolation, renormalised)."""
    x = np.interp(s, c.s, c.xy[:, 0])
    y = np.interp(s, c.s, c.xy[:, 1])
    tx = np.interp(s, c.s, c.t[:, 0])
    ty = np.interp(s, c.s, c.t[:, 1])
    nn = np.hypot(tx, ty)
    return np.column_stack([x, y]), np.column_stack([-ty / nn, tx / nn])


def bbox_local(c: Course) -> tuple[float, float, float, float]:
    lo = c.xy.min(axis=0) - W
    hi = c.xy.max(axis=0) + W
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def box_cells(kind: str, L: float) -> int:
    """Cells of the river's bounding box at 10 m (analytic, nothing generated).

    Parameters
    ----------
    kind : str
        "straight" or "u".
    L : float
        The river's length, m.

    Returns
    -------
    int
    """
    if kind == "straight":
        wx, wy = 2 * 200.0 + 2 * W, L + SEA_EXT
    else:
        R = L / 8.0
        y_up = min(2_000.0, 0.2 * L)
        wx, wy = 2 * R + 2 * W, (L - np.pi * R + y_up) / 2.0 + R + W + SEA_EXT
    return int(math.ceil(wx / CELL) * math.ceil(wy / CELL))


def guard_cells(kind: str, L: float) -> int:
    """Wet cells of the river's corridor at 10 m: (L + sea part) x width / cell^2, islands not subtracted
    (analytic, nothing generated; the same for both courses).

    Parameters
    ----------
    kind : str
        "straight" or "u" (the corridor does not depend on it).
    L : float
        The river's length, m.

    Returns
    -------
    int
    """
    return int(math.ceil((L + SEA_EXT) * 2 * W / CELL ** 2))


def guard_gib(kind: str, L: float) -> float:
    """The run's estimated peak memory (GiB): ``BYTES_PER_WET_CELL`` per wet cell, plus
    ``MASK_BYTES_PER_BOX_CELL`` per bounding-box cell while the mask form reads the whole box.

    Parameters
    ----------
    kind : str
        "straight" or "u".
    L : float
        The river's length, m.

    Returns
    -------
    float
    """
    return (guard_cells(kind, L) * BYTES_PER_WET_CELL + box_cells(kind, L) * MASK_BYTES_PER_BOX_CELL) / 2 ** 30


# ------------------------------------------------------------------------------------------- writing
def water_pieces(c: Course, chunk_m: float = 5_000.0):
    """The water as polygons of at most ``chunk_m`` of s each (so a tile rasterizes only its neighbours), and
    the islands (polygons, local metres)."""
    from shapely.geometry import Polygon

    pieces = []
    edges = np.arange(0.0, c.s[-1], chunk_m).tolist() + [float(c.s[-1])]
    nrm = c.normal
    for a, b in zip(edges[:-1], edges[1:]):
        m = (c.s >= a) & (c.s <= b)
        left = c.xy[m] + W * nrm[m]
        right = c.xy[m] - W * nrm[m]
        pieces.append(Polygon(np.vstack([left, right[::-1]])))
    islands = []
    for s0, s1 in c.islands:
        ss = np.arange(s0, s1 + 0.1, 5.0)
        p, nr = at_s(c, ss)
        outer = p + 0.75 * W * nr
        inner = p + 0.40 * W * nr
        islands.append(Polygon(np.vstack([inner, outer[::-1]])))
    return pieces, islands


def write_mask(path: Path, c: Course) -> tuple[int, int, int]:
    """Sparse tiled GeoTIFF, only the tiles the water touches written; returns (width, height, tiles)."""
    import rasterio
    import shapely
    from rasterio.features import rasterize
    from rasterio.transform import Affine
    from rasterio.windows import Window

    pieces, islands = water_pieces(c)
    x0l, y0l, x1l, y1l = bbox_local(c)
    x0 = math.floor((X0 + x0l - 200.0) / CELL) * CELL
    y1 = math.ceil((Y0 + y1l + 200.0) / CELL) * CELL
    width = int(math.ceil((X0 + x1l + 200.0 - x0) / CELL))
    height = int(math.ceil((y1 - (Y0 + y0l - 200.0)) / CELL))
    B = 512
    tr = Affine(CELL, 0.0, x0, 0.0, -CELL, y1)
    geoms = [shapely.affinity.translate(g, X0, Y0) for g in pieces]
    isl = [shapely.affinity.translate(g, X0, Y0) for g in islands]
    tree = shapely.STRtree(geoms)
    itree = shapely.STRtree(isl) if isl else None
    # tiles touched: sample the centre line every 100 m, take the tiles of its +-(w + 20 m) box
    p, _ = at_s(c, np.arange(0.0, c.s[-1] + 100.0, 100.0))
    tiles = set()
    r = W + 120.0
    for x, y in p + (X0, Y0):
        for cx in (x - r, x + r):
            for cy in (y - r, y + r):
                tiles.add((int((y1 - cy) // CELL) // B, int((cx - x0) // CELL) // B))
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="uint8", crs=f"EPSG:{EPSG}",
                   transform=tr, tiled=True, blockxsize=B, blockysize=B, compress="deflate",
                   sparse_ok=True, BIGTIFF="IF_SAFER")
    with rasterio.open(path, "w", **profile) as dst:
        for ti, tj in sorted(tiles):
            if ti < 0 or tj < 0 or ti * B >= height or tj * B >= width:
                continue
            win = Window(tj * B, ti * B, min(B, width - tj * B), min(B, height - ti * B))
            wt = rasterio.windows.transform(win, tr)
            bx = shapely.box(*rasterio.windows.bounds(win, tr))
            near = [geoms[i] for i in tree.query(bx)]
            if not near:
                continue
            arr = rasterize([(g, 1) for g in near], out_shape=(win.height, win.width), transform=wt, fill=0,
                            dtype="uint8")
            if itree is not None:
                ni = [isl[i] for i in itree.query(bx)]
                if ni:
                    arr = rasterize([(g, 0) for g in ni], out=arr, transform=wt)
            dst.write(arr, 1, window=win)
    return width, height, len(tiles)


def write_soundings(path: Path, c: Course) -> int:
    ss = np.arange(0.0, c.s_mouth + SEA_EXT - 1.0, SOUND_DS)
    nn = np.arange(-W, W + 0.01, SOUND_DN)
    p, nr = at_s(c, ss)
    S = np.repeat(ss, len(nn))
    N = np.tile(nn, len(ss))
    xy = np.repeat(p, len(nn), axis=0) + N[:, None] * np.repeat(nr, len(nn), axis=0)
    keep = np.ones(len(S), bool)
    for s0, s1 in c.islands:
        keep &= ~((S >= s0) & (S <= s1) & (N >= 0.40 * W) & (N <= 0.75 * W))
    d = depth_at(S, N)
    out = np.column_stack([xy[:, 0] + X0, xy[:, 1] + Y0, d])[keep]
    with open(path, "w", encoding="utf-8") as f:
        f.write("x,y,depth\n")
        np.savetxt(f, out, fmt=["%.3f", "%.3f", "%.3f"], delimiter=",")
    return int(keep.sum())


def write_land(folder: Path, c: Course) -> list[float]:
    """coast.geojson (lon/lat, AAA left / BBB right), cut to the lon/lat extent it returns."""
    import shapely
    from pyproj import Transformer
    from shapely.geometry import LineString, box, mapping
    from shapely.ops import split

    x0l, y0l, x1l, y1l = bbox_local(c)
    dom = box(x0l - MARGIN, -MARGIN, x1l + MARGIN, y1l + MARGIN)
    land = box(dom.bounds[0], 0.0, dom.bounds[2], dom.bounds[3])
    m = c.s <= c.s_mouth
    line = c.xy[m][::20]
    line = np.vstack([line, c.xy[m][-1]])
    up = c.xy[0]
    t0 = c.t[0]
    # from the upstream end, straight on against the flow to the edge of the land
    far = up - t0 * 4 * (MARGIN + c.length_m)
    divider = LineString(np.vstack([far, line, [0.0, -1.0]]))
    parts = list(split(land, divider).geoms)
    probe, nr = at_s(c, np.array([c.s_mouth / 2]))
    left_pt = shapely.Point(*(probe[0] + 2 * W * nr[0]))
    aaa = [g for g in parts if g.contains(left_pt)]
    bbb = [g for g in parts if not g.contains(left_pt)]
    assert len(aaa) == 1 and len(bbb) == 1, len(parts)
    fwd = Transformer.from_crs(EPSG, 4326, always_xy=True)

    def to_ll(g):
        g = shapely.segmentize(shapely.affinity.translate(g, X0, Y0), 250.0)
        return shapely.transform(g, lambda a: np.column_stack(fwd.transform(a[:, 0], a[:, 1])))

    dom_ll = to_ll(dom)
    ring = np.asarray(dom_ll.exterior.coords)
    bx0, by0, bx1, by1 = dom.bounds
    # inner lon/lat box of the (UTM) domain
    edge = lambda xs, ys: np.column_stack(fwd.transform(X0 + xs, Y0 + ys))  # noqa: E731
    k = np.linspace(0.0, 1.0, 2001)
    west = edge(np.full_like(k, bx0), by0 + k * (by1 - by0))[:, 0].max()
    east = edge(np.full_like(k, bx1), by0 + k * (by1 - by0))[:, 0].min()
    south = edge(bx0 + k * (bx1 - bx0), np.full_like(k, by0))[:, 1].max()
    north = edge(bx0 + k * (bx1 - bx0), np.full_like(k, by1))[:, 1].min()
    ext = [round(float(west), 6) + 0.001, round(float(south), 6) + 0.001, round(float(east), 6) - 0.001,
           round(float(north), 6) - 0.001]
    del ring
    frame = shapely.segmentize(box(*ext), 0.001)
    feats = []
    for code, g in (("AAA", aaa[0]), ("BBB", bbb[0])):
        gl = shapely.intersection(to_ll(g), frame)
        feats.append({"type": "Feature", "properties": {"code": code, "name": code},
                      "geometry": mapping(gl)})
    (folder / "coast.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return ext


def write_points(path: Path, c: Course) -> None:
    from pyproj import Transformer

    fwd = Transformer.from_crs(EPSG, 4326, always_xy=True)
    p, nr = at_s(c, np.array([c.s_trip]))
    mon = p[0] + (W + 50.0) * nr[0]
    rows = [("M1", "Boundary sign 1", "monument", mon), ("B", "Mouth point B", "mouth", np.array([0.0, -1.0])),
            ("E", "End point E", "end", np.array([0.0, -(BREADTH + 1.0)]))]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "kind", "datum", "crs", "lat", "lon", "published", "source"])
        for pid, name, kind, xy in rows:
            lon, lat = fwd.transform(X0 + xy[0], Y0 + xy[1])
            w.writerow([pid, name, kind, "WGS 84", "EPSG:4326", f"{lat:.10f}", f"{lon:.10f}",
                        f"{lat:.10f} N {lon:.10f} E", "bench_scale.py (synthetic)"])


def tm_scale_ppm(ext: list[float]) -> tuple[float, float]:
    """(x km, ppm): the largest distance x of the lon/lat extent from its central meridian, and the scale error
    k - 1 = x^2 / (2 M N) there of a transverse Mercator of scale 1 on that meridian (M, N: the radii of
    curvature at the extent's mean latitude) -- the least worst scale error of the pipeline's auto projection."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    w, s, e, n = ext
    lon0 = (w + e) / 2.0
    x = max(geod.inv(lon0, lat, lon, lat)[2] for lat in (s, n) for lon in (w, e))
    e2 = geod.es
    sin2 = math.sin(math.radians((s + n) / 2.0)) ** 2
    mn = geod.a ** 2 * (1 - e2) / (1 - e2 * sin2) ** 2          # M N
    return x / 1000.0, x * x / (2.0 * mn) * 1e6


def crs_section(ext: list[float]) -> str:
    """The ``[crs]`` section: none (the default scale tolerance) or, where the extent is too wide for it (its least
    possible scale error within 2 % of the default or above), 1.1 x the least scale error any transverse Mercator
    centred on it has (see :func:`tm_scale_ppm`), with the reason."""
    x_km, ppm = tm_scale_ppm(ext)
    if ppm <= 0.98 * SCALE_PPM:          # the formula is within 0.2 % of the pipeline's measure (50.09 vs 50.13 ppm)
        return ""
    across = 2 * ppm * 1e-6 / (x_km * 1000.0) * 2 * W          # dk/dx = x / MN = 2 (k - 1) / x, over the width
    return f"""
[crs]
# The data extent reaches {x_km:.1f} km east and west of its central meridian: any transverse Mercator centred on it
# (the auto projection) has a scale error of {ppm:.1f} ppm there (k - 1 = x^2 / 2MN), above the default 50 ppm. That
# is the extent's width, not a fault of the inputs: lengths and distances are measured on the ellipsoid, the 12-nm
# limits are corrected for the point scale, and across the river's {2 * W:g} m the scale varies by at most {across:.1e}
# ({across * W * 1000:.2f} mm over a half-width: the planar middle line's equidistance). Tolerance: 1.1 x that figure
# (benchmarks/bench_scale.py).
max_scale_error_ppm = {math.ceil(1.1 * ppm):.1f}
"""


def write_toml(path: Path, c: Course, ext: list[float], boundary: str) -> None:
    path.write_text(f"""# Scale benchmark case ({c.kind} course, L = {c.length_m / 1000:g} km), written by benchmarks/bench_scale.py

[case]
name = "Scale benchmark, {c.kind} course, {c.length_m / 1000:g} km"
map_title = "Scale benchmark ({c.kind}, {c.length_m / 1000:g} km)"
river_name = "Bench River"
attribution = "Synthetic geometry from benchmarks/bench_scale.py; no real data"
coast_source = "synthetic coast (benchmarks/bench_scale.py)"

[sides]
left = "AAA"
left_name = "Aland"
right = "BBB"
right_name = "Beeland"

[inputs]
coast = "coast.geojson"
coast_side_field = "code"
coast_extent = [{ext[0]!r}, {ext[1]!r}, {ext[2]!r}, {ext[3]!r}]
river = "mask.tif"
river_form = "mask"
depth = "soundings.csv"
depth_field = "depth"
depth_crs = "EPSG:{EPSG}"
depth_cell_m = {CELL!r}
points = "points.csv"
modelled = ["coast", "river", "depth", "points"]

[treaty]
unstated_datum_crs = "EPSG:4326"
mouth_point = "B"
end_point = "E"
source = "Synthetic treaty: from the tripoint along the thalweg to B, then straight to E"

[official]
source = "no published lengths (synthetic case): no length checks"

[land]
mouth_snap_m = 1.0

[tripoint]
monument = "M1"

[maritime]
method = "treaty"

[output]
map = false
webmap = false

[forms.mask]
boundary = "{boundary}"
{crs_section(ext)}""", encoding="utf-8")


def build(folder: Path, kind: str, L: float, seed: int, boundary: str) -> tuple[Course, dict]:
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    c = make_course(kind, L, seed)
    w, h, tiles = write_mask(folder / "mask.tif", c)
    n = write_soundings(folder / "soundings.csv", c)
    ext = write_land(folder, c)
    write_points(folder / "points.csv", c)
    write_toml(folder / "case.toml", c, ext, boundary)
    info = {"gen_s": time.perf_counter() - t0, "mask": f"{w} x {h}", "tiles": tiles, "soundings": n,
            "islands": len(c.islands), "mask_MiB": (folder / "mask.tif").stat().st_size / 2**20}
    return c, info


# --------------------------------------------------------------------------------------------- running
# A small launcher between this process and the run: Linux counts the pre-exec memory of a forked child in
# its ru_maxrss (exec records the old mm's high-water mark), so a child forked straight from this process
# (hundreds of MiB after generating a case) would report this process's size; the run is forked from the
# launcher (a bare interpreter, ~10 MiB) and the launcher reports the run's own os.wait4 figures.
LAUNCHER = """
import json, os, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
_, status, ru = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"rc": os.waitstatus_to_exitcode(status), "cpu_s": ru.ru_utime + ru.ru_stime,
               "peak_mib": ru.ru_maxrss / 1024.0}, f)
"""


def stage_times(log: str) -> dict[str, float]:
    """The run's own ``stage timings: load 1.88 s, channel_lines 4.19 s, ...`` log line as {stage: seconds}."""
    for line in log.splitlines():
        if "stage timings:" in line:
            items = line.split("stage timings:", 1)[1].split(",")
            return {k: float(v) for k, v in (item.strip().rsplit(" ", 2)[:2] for item in items if item.strip())}
    return {}


def run_cli(cfg: Path, out: Path, timeout: float, stages: bool = False, sets: list[str] = ()) -> dict:
    cmd = [sys.executable, "-m", "pipeline.cli", "run", "--config", str(cfg), "--out", str(out), "--no-map",
           *([] if stages else ["-q"]), "--set", "output.webmap=false", *(a for kv in sets for a in ("--set", kv))]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    stats = out.parent / f"{out.name}.rusage.json"
    stats.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, str(stats), *cmd], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    killed = []

    def kill():                       # the launcher and the run share the new session's process group
        killed.append(True)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    text = proc.stdout.read().decode("utf-8", "replace")
    proc.wait()
    wall = time.perf_counter() - t0
    timer.cancel()
    r = {"rc": proc.returncode, "cpu_s": float("nan"), "peak_mib": float("nan")}
    if stats.exists():
        r.update(json.loads(stats.read_text()))
    return {"cmd": cmd, "timeout": bool(killed), "wall_s": wall, "log": text, "stages": stage_times(text), **r}


# ------------------------------------------------------------------------------------------- accuracy
def known_lines(c: Course, step: float = 2.0):
    s = np.arange(0.0, c.s[-1], step)
    p, nr = at_s(c, s)
    return s, p, p + ridge(s)[:, None] * nr


def line_error(got_xy: np.ndarray, s_ref: np.ndarray, ref: np.ndarray, keep_s) -> tuple[float, float, int]:
    """(max, mean, n) distance of ``got_xy`` vertices to the polyline ``ref``, for those whose nearest s passes
    ``keep_s``."""
    from scipy.spatial import cKDTree

    _, i = cKDTree(ref).query(got_xy)
    best = np.full(len(got_xy), np.inf)
    sbest = s_ref[i].astype(float)
    for j0 in (i - 1, i):
        j0 = np.clip(j0, 0, len(ref) - 2)
        a, b = ref[j0], ref[j0 + 1]
        ab = b - a
        t = np.clip(((got_xy - a) * ab).sum(1) / (ab * ab).sum(1), 0.0, 1.0)
        d = np.hypot(*(got_xy - (a + t[:, None] * ab)).T)
        better = d < best
        best[better] = d[better]
        sbest[better] = (s_ref[j0] + t * (s_ref[j0 + 1] - s_ref[j0]))[better]
    m = keep_s(sbest)
    if not m.any():
        return float("nan"), float("nan"), 0
    return float(best[m].max()), float(best[m].mean()), int(m.sum())


def accuracy(out: Path, c: Course) -> dict:
    import pyogrio
    import shapely
    from pyproj import Transformer

    gpkg = out / "border.gpkg"
    if not gpkg.exists():
        gpkg = out / "failed-run" / "border.gpkg"
    if not gpkg.exists():
        return {}
    inv = Transformer.from_crs(4326, EPSG, always_xy=True)
    s_ref, mid, thal = known_lines(c)
    lo, hi = c.s_trip + 300.0, c.s_mouth - 300.0
    isl = c.islands

    def keep_mid(s):
        m = (s >= lo) & (s <= hi)
        for s0, s1 in isl:
            m &= ~((s >= s0 - 2 * W) & (s <= s1 + 2 * W))
        return m

    res = {}
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    for name, ref, keep in (("channel_middle", mid, keep_mid), ("thalweg", thal, lambda s: (s >= lo) & (s <= hi))):
        if name not in layers:
            continue
        df = pyogrio.read_dataframe(gpkg, layer=name)
        crs = df.crs.to_epsg() if df.crs is not None else 4326
        tr = Transformer.from_crs(crs, EPSG, always_xy=True) if crs != EPSG else None
        g = shapely.union_all(df.geometry.values)
        if tr is not None:
            g = shapely.transform(g, lambda a: np.column_stack(tr.transform(a[:, 0], a[:, 1])))
        g = shapely.segmentize(g, 1.0)
        xy = shapely.get_coordinates(g) - (X0, Y0)
        res[name] = line_error(xy, s_ref, ref, keep)
    del inv
    return res


# ---------------------------------------------------------------------------------------------- report
def fmt(v, spec=".1f"):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def slope(rows, key):
    pts = [(r["L"], r[key]) for r in rows if r.get(key) and r.get("ok")]
    if len(pts) < 2:
        return None, ""
    L, v = np.log(np.array(pts, float)).T
    return float(np.polyfit(L, v, 1)[0]), f"{pts[0][0]:g}-{pts[-1][0]:g} km"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[10, 30, 100], help="river lengths, km")
    ap.add_argument("--course", choices=["straight", "u", "both"], default="both")
    ap.add_argument("--timeout", type=float, default=600.0, help="per run, s")
    ap.add_argument("--max-cells", type=float, default=120e6,
                    help="refuse sizes whose river corridor holds more than this many wet 10 m cells")
    ap.add_argument("--max-gib", type=float, default=16.0,
                    help="refuse sizes whose estimated peak memory exceeds this (GiB; see the docstring)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per case: min wall and CPU time, max peak memory of them (shared machine)")
    ap.add_argument("--seed", type=int, default=24)
    ap.add_argument("--keep", type=Path, default=None, help="keep cases and outputs in this folder")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    ap.add_argument("--stages", action="store_true",
                    help="run without -q and print each run's stage timings (from its own log; min over repeats)")
    ap.add_argument("--boundary", choices=["fitted", "cell_edges", "contour"], default="fitted",
                    help="the cases' [forms.mask] boundary: the water's edge traced from the 10 m mask (default fitted: "
                         "the smoothest bank within the mask's bound; cell_edges is the pipeline's default)")
    ap.add_argument("--set", dest="sets", metavar="KEY=VALUE", action="append", default=[],
                    help="passed on to every run as --set KEY=VALUE, e.g. forms.mask.boundary=contour (repeatable)")
    a = ap.parse_args(argv)
    courses = ["straight", "u"] if a.course == "both" else [a.course]
    tmp = Path(tempfile.mkdtemp(prefix="bench_scale_")) if a.keep is None else a.keep
    print(f"bench_scale: sizes {a.sizes} km, courses {courses}, timeout {a.timeout:g} s, guard "
          f"{a.max_cells:.3g} wet cells, {a.max_gib:g} GiB estimated, "
          f"load {os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
          + f", mask edge {a.boundary}"
          + (f", runs with --set {' --set '.join(a.sets)}" if a.sets else ""), flush=True)
    rows = []
    try:
        for kind in courses:
            for L_km in a.sizes:
                L = L_km * 1000.0
                row = {"course": kind, "L": L_km, "ok": False}
                rows.append(row)
                cells, gib = guard_cells(kind, L), guard_gib(kind, L)
                row["cells"], row["box_cells"] = cells, box_cells(kind, L)
                if cells > a.max_cells or gib > a.max_gib:
                    row["note"] = (f"refused: would need {cells:.3g} wet cells / {gib:.1f} GiB (corridor at "
                                   f"{CELL:g} m; {row['box_cells']:.3g} box cells for the mask form)")
                    print(f"{kind:8s} {L_km:6g} km: {row['note']}", flush=True)
                    continue
                folder = tmp / f"{kind}_{L_km:g}km"
                c, info = build(folder / "case", kind, L, a.seed, a.boundary)
                row.update(info)
                runs = []
                for k in range(a.repeat):
                    runs.append(run_cli(folder / "case" / "case.toml", folder / ("out" if k == 0 else f"out{k}"),
                                        a.timeout, a.stages, a.sets))
                    if runs[-1]["timeout"]:
                        break
                r = dict(runs[0])
                if len(runs) > 1 and not any(x["timeout"] for x in runs):
                    r["wall_s"] = min(x["wall_s"] for x in runs)
                    r["cpu_s"] = min(x["cpu_s"] for x in runs)
                    r["peak_mib"] = max(x["peak_mib"] for x in runs)
                row["walls"] = [round(x["wall_s"], 2) for x in runs]
                row.update({k: r[k] for k in ("rc", "timeout", "wall_s", "cpu_s", "peak_mib")})
                row["ok"] = not r["timeout"] and (r["rc"] in (0, 1)) and (
                    (folder / "out" / "border.gpkg").exists() or (folder / "out" / "failed-run" / "border.gpkg").exists())
                acc = accuracy(folder / "out", c) if not r["timeout"] else {}
                for name, key in (("channel_middle", "mid"), ("thalweg", "thal")):
                    if name in acc:
                        row[f"{key}_max"], row[f"{key}_mean"], row[f"{key}_n"] = acc[name]
                tail = [ln for ln in r["log"].splitlines() if ln.strip()]
                fails = [ln.strip() for ln in tail if "FAIL" in ln]
                row["fails"] = fails
                if r["timeout"]:
                    row["note"] = f"killed after {a.timeout:g} s"
                elif not row["ok"]:
                    row["note"] = f"exit {r['rc']}: " + (tail[-1][:160] if tail else "")
                print(f"{kind:8s} {L_km:6g} km: gen {info['gen_s']:.1f} s (mask {info['mask']}, {info['tiles']} "
                      f"tiles, {info['mask_MiB']:.1f} MiB; {info['soundings']} soundings, {info['islands']} islands), "
                      f"run exit {r['rc']}{' TIMEOUT' if r['timeout'] else ''} {r['wall_s']:.1f} s wall (of {row['walls']}), "
                      f"{r['cpu_s']:.1f} s CPU, {r['peak_mib']:.0f} MiB" + (f"; {row['note']}" if row.get("note") else ""),
                      flush=True)
                for ln in fails[:6]:
                    print(f"    check: {ln[:150]}")
                if a.stages and runs[0]["stages"]:
                    row["stages"] = {k: min(x["stages"].get(k, math.inf) for x in runs) for k in runs[0]["stages"]}
                    print("    stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in row["stages"].items()))
    finally:
        if a.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)

    print()
    hdr = (f"{'course':8s} {'L km':>6s} {'wet Mcells':>11s} {'wall s':>8s} {'CPU s':>8s} {'peak MiB':>9s} "
           f"{'mid max m':>9s} {'mid mean':>8s} {'thal max m':>10s} {'thal mean':>9s} {'thal max c':>10s} "
           f"{'thal mean c':>11s}  note")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        ran = "wall_s" in r
        print(f"{r['course']:8s} {r['L']:6g} {r['cells'] / 1e6:11.2f} {fmt(r.get('wall_s')) if ran else '-':>8s} "
              f"{fmt(r.get('cpu_s')) if ran else '-':>8s} {fmt(r.get('peak_mib'), '.0f') if ran else '-':>9s} "
              f"{fmt(r.get('mid_max'), '.2f'):>9s} {fmt(r.get('mid_mean'), '.2f'):>8s} "
              f"{fmt(r.get('thal_max'), '.2f'):>10s} {fmt(r.get('thal_mean'), '.2f'):>9s} "
              f"{fmt(r.get('thal_max') / CELL if r.get('thal_max') is not None else None, '.2f'):>10s} "
              f"{fmt(r.get('thal_mean') / CELL if r.get('thal_mean') is not None else None, '.2f'):>11s}  "
              f"{r.get('note', '')}")
    print(f"(middle-line error in cells = metres / {CELL:g}; middle line outside island windows +- {2 * W:g} m; "
          f"both lines between 300 m below the tripoint and 300 m above the coast)")

    print("\nLog-log slopes (numpy polyfit of log value on log L, sizes that ran) and the issue's targets:")
    verdicts = []
    for kind in courses:
        rk = [r for r in rows if r["course"] == kind]
        for key, label in (("wall_s", "time"), ("peak_mib", "memory")):
            s, span = slope(rk, key)
            bad = [f"{r['L']:g} km" for r in rk if not r.get("ok")]
            covers = min(a.sizes) <= 10 and max(a.sizes) >= 1000
            if bad:
                v = f"FAIL ({', '.join(bad)} did not complete)"
            elif s is None:
                v = "NOT MEASURED"
            elif s > TARGETS["slope"]:
                v = "FAIL"
            else:
                v = "PASS" if covers else "PASS so far (10-1000 km not all requested)"
            done = [(r["L"], r[key]) for r in rk if r.get("ok")]
            local = ", ".join(f"{l0:g}-{l1:g} {math.log(v1 / v0) / math.log(l1 / l0):.2f}"
                              for (l0, v0), (l1, v1) in zip(done[:-1], done[1:]))
            print(f"  {kind:8s} {label:6s} slope {fmt(s, '.2f'):>5s} over {span or '-':14s} target <= "
                  f"{TARGETS['slope']} from 10 to 1000 km: {v}")
            if local:
                print(f"           (local slopes between consecutive sizes: {local})")
            verdicts.append(v)
    for kind in courses:
        r1000 = next((r for r in rows if r["course"] == kind and r["L"] == 1000), None)
        if r1000 is None:
            vt = vm = "NOT MEASURED (1000 km not requested)"
        elif "wall_s" not in r1000:
            vt = vm = f"FAIL ({r1000.get('note', 'not run')})"
        else:
            vt = ("PASS" if r1000["ok"] and r1000["wall_s"] <= TARGETS["time_1000"] else "FAIL") + \
                f" ({r1000['wall_s']:.0f} s)"
            vm = ("PASS" if r1000["ok"] and r1000["peak_mib"] <= TARGETS["mem_1000_gib"] * 1024 else "FAIL") + \
                f" ({r1000['peak_mib'] / 1024:.2f} GiB)"
        print(f"  {kind:8s} 1000 km time <= {TARGETS['time_1000']:g} s: {vt}")
        print(f"  {kind:8s} 1000 km memory <= {TARGETS['mem_1000_gib']:g} GiB: {vm}")
    for key, label, lim, scale in (("mid_max", "middle line max error", TARGETS["middle_m"], 1.0),
                                   ("thal_max", "thalweg max error", TARGETS["thalweg_cells"], 1.0 / CELL)):
        for kind in courses:
            got = [(r["L"], r[key] * scale) for r in rows if r["course"] == kind and r.get(key) is not None]
            unit = "m" if scale == 1.0 else "cells"
            if not got:
                print(f"  {kind:8s} {label} <= {lim:g} {unit}: NOT MEASURED")
                continue
            worst = max(v for _, v in got)
            v = "PASS" if worst <= lim else "FAIL"
            print(f"  {kind:8s} {label} <= {lim:g} {unit}: {v} (worst {worst:.2f} {unit}; "
                  + ", ".join(f"{L:g} km {x:.2f}" for L, x in got) + ")")
    if a.json:
        a.json.write_text(json.dumps([{k: v for k, v in r.items()} for r in rows], indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
