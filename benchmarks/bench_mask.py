#!/usr/bin/env python3
"""The mask form alone (issue 24): time and peak memory of reading a long river's 10 m water mask.

Run from the repository root::

    python3 benchmarks/bench_mask.py                                # U 100 / 300 / 1,000 km, straight 1,000 km
    python3 benchmarks/bench_mask.py --boundary contour             # [forms.mask] boundary = "contour"
    python3 benchmarks/bench_mask.py --tree /tmp/old --sizes u:100 u:300   # another checkout's pipeline/

The masks are :mod:`bench_scale`'s (``make_course`` and ``write_mask``: 10 m uint8 0/1, 512 x 512 tiles,
DEFLATE, only the tiles the river touches written), so the U course's bounding box grows as L^2 (1.08e9 cells
at 1,000 km) while the river does not. Each read runs in a fresh interpreter (``--tree`` first on its
``PYTHONPATH``): ``pipeline.forms.get("mask", "river").read`` with ``inputs/tumen/tumen.toml``'s settings
(``inputs.mask_min_area_m2`` 2,000 m2); wall and CPU time of the read, and the process's peak resident
memory (``ru_maxrss``) against its size after the imports. The water's vertex count and area are printed
so two trees can be compared.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GENERATE = """
import sys
sys.path.insert(0, "benchmarks")
from pathlib import Path
import bench_scale as B
w, h, _ = B.write_mask(Path(sys.argv[3]), B.make_course(sys.argv[1], float(sys.argv[2]) * 1000.0, 24))
print(w, h)
"""
READ = """
import resource, sys, time
from pathlib import Path
import numpy, rasterio, shapely
from pipeline import forms
from pipeline.config import load_config, with_overrides
cfg = load_config(sys.argv[2])
if sys.argv[3] != "default":
    cfg = with_overrides(cfg, {"forms.mask.boundary": sys.argv[3]})
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t, c = time.perf_counter(), time.process_time()
area = forms.get("mask", "river").read(Path(sys.argv[1]), cfg, forms.Context(geo=None))
wall, cpu = time.perf_counter() - t, time.process_time() - c
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:.0f} MiB ({base:.0f} MiB after imports), "
      f"{shapely.get_num_coordinates(area.geometry)} vertices, {area.geometry.area / 1e6:.3f} km2")
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["u:100", "u:300", "u:1000", "straight:1000"],
                    help="course:km, course one of straight, u")
    ap.add_argument("--boundary", default="default", help="[forms.mask] boundary (default: the config's)")
    ap.add_argument("--tree", type=Path, default=ROOT, help="folder holding the pipeline/ package to measure")
    ap.add_argument("--timeout", type=float, default=900.0, help="per read, s")
    a = ap.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=str(a.tree) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryDirectory(prefix="bench_mask_") as tmp:
        for spec in a.sizes:
            kind, km = spec.split(":")
            path = Path(tmp) / f"{kind}_{km}.tif"
            # written by a child: Linux counts a forked child's pre-exec memory in its ru_maxrss, so this
            # process stays small (see bench_scale.py's LAUNCHER)
            made = subprocess.run([sys.executable, "-c", GENERATE, kind, km, str(path)], cwd=ROOT, check=True,
                                  capture_output=True, text=True)
            w, h = (int(v) for v in made.stdout.split())
            try:
                out = subprocess.run([sys.executable, "-c", READ, str(path), str(ROOT / "inputs/tumen/tumen.toml"),
                                      a.boundary], env=env, cwd=tmp, capture_output=True, text=True,
                                     timeout=a.timeout)
                said = out.stdout.strip() or f"exit {out.returncode}: {out.stderr.strip().splitlines()[-1:]}"
            except subprocess.TimeoutExpired:
                said = f"killed after {a.timeout:g} s"
            print(f"{kind:8s} {km:>5s} km, {w} x {h} = {w * h / 1e6:,.0f} M cells "
                  f"({path.stat().st_size / 2**20:.2f} MiB): {said}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
