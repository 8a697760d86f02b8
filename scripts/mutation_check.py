#!/usr/bin/env python
"""Plant a fixed list of faults, one at a time, into a COPY of the repository and check that the tests catch each.

Usage (from anywhere; about 5-8 minutes on 2 cores for the whole list)::

    python scripts/mutation_check.py                 # every fault
    python scripts/mutation_check.py --list          # the faults, without running anything
    python scripts/mutation_check.py --only F03 F10  # some of them
    python scripts/mutation_check.py --full          # every test per fault, naming all that catch it

The repository is copied to a temporary folder (without ``.git``, outputs and caches); the working tree is
never edited. Each fault is an exact text replacement in one file of the copy; the tests it names run there
(``pytest -x``) with ``PYTHONPATH`` pointing at the copy, which is verified to be the ``pipeline`` that
gets imported, and with bytecode caching off so that no stale ``.pyc`` hides a fault. Then the file is
restored. A fault whose anchor text is no longer found (exactly once) is reported as ``stale``, never
skipped silently: update its anchor.

Results per fault: ``caught`` (pytest exit 1: a test failed or errored), ``survived`` (exit 0), ``stale``,
``error`` (pytest could not run: exit 2-5, or a timeout). Before the faults, the named test files must pass on
the unmutated copy (the baseline); otherwise nothing is scored. Exit status 0 only when every fault is caught.

Not part of the default CI run (it reruns the bundled case once per fault).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORACLES = ("tests/test_oracles.py",)
IGNORE = shutil.ignore_patterns(".git", "outputs", "outputs.failed", "__pycache__", ".pytest_cache", ".hypothesis",
                                "*.egg-info", "*.pyc", ".ipynb_checkpoints")


@dataclass(frozen=True)
class Fault:
    id: str
    what: str                       # the fault, as a reviewer would describe it
    file: str                       # relative to the repository root
    old: str                        # exact text, found exactly once
    new: str
    tests: tuple[str, ...] = ORACLES


FAULTS: tuple[Fault, ...] = (
    # ---------------------------------------------------------------- the faults of the audit (issue 15)
    Fault("F01", "lengths measured on the planar UTM 52N grid instead of the ellipsoid",
          "pipeline/geodesy.py",
          "        return geodesic_length_m(self.to_lonlat(geom_metric))",
          "        return float(self.from_metric_to(geom_metric, CRS.from_epsg(32652)).length)"),
    Fault("F02", "the Pulkovo 1942 transform skipped in the loader (every treaty point kept as printed)",
          "pipeline/load.py",
          "        lon, lat = geo.xy_to_lonlat(np.array([[r.lon, r.lat]]), crs)[0]",
          "        lon, lat = r.lon, r.lat"),
    Fault("F03", "the 12-nm radius 50 m too long where the limits are built (the report still says 22,224 m)",
          "pipeline/maritime.py",
          'buffers = limit_lines(base=base, sides=sides, breadth_m=m.breadth_m, quad_segs=',
          'buffers = limit_lines(base=base, sides=sides, breadth_m=m.breadth_m + 50.0, quad_segs='),
    Fault("F04", "the length_m attribute 100 m wrong",
          "pipeline/layers.py",
          '**({"length_m": geodesic_length_m(g)} if "length_m" in layer.fields else {})}',
          '**({"length_m": geodesic_length_m(g) + 100.0} if "length_m" in layer.fields else {})}'),
    Fault("F05", "the two sides' 12-nm limits swapped in the export",
          "pipeline/layers.py",
          '[geometry.multiline(r.inputs.geo.to_lonlat(r.maritime.limits[s])) for s in sides])',
          '[geometry.multiline(r.inputs.geo.to_lonlat(r.maritime.limits[s])) for s in sides[::-1]])'),
    Fault("F06", "treaty point B moved 111 m (north) in the boundary_points layer",
          "pipeline/layers.py",
          '"datum": f"read in {p.crs_used}", "source": p.source}, Point(*p.lonlat)))',
          '"datum": f"read in {p.crs_used}", "source": p.source}, '
          'Point(p.lonlat[0], p.lonlat[1] + (0.001 if pid == cfg.treaty.mouth_point else 0.0))))'),
    Fault("F07", "the self-reported 12-nm limit error forced to 0",
          "pipeline/maritime.py",
          '    return MaritimeResult(m.method, boundary, base, limits, errors, eq.line, eq.error_m, eq.start_gap_m,',
          '    return MaritimeResult(m.method, boundary, base, limits, {s: 0.0 for s in errors}, eq.line, eq.error_m, eq.start_gap_m,'),
    Fault("F08", "the self-reported equidistance error of the maritime_equidistance line forced to 0",
          "pipeline/maritime.py",
          '    return MaritimeResult(m.method, boundary, base, limits, errors, eq.line, eq.error_m, eq.start_gap_m,',
          '    return MaritimeResult(m.method, boundary, base, limits, errors, eq.line, 0.0, eq.start_gap_m,'),
    Fault("F09", "the self-reported middle-line equidistance error forced to 0",
          "pipeline/land_line.py",
          "ax.n_sites, equidistance_error(",
          "ax.n_sites, 0.0 * equidistance_error("),
    Fault("F10", "`tumen-border check` measures the thalweg instead of the land boundary",
          "pipeline/verify.py",
          'self.land, self.sea = self.line("land_boundary"), self.line("maritime_boundary")',
          'self.land, self.sea = self.line("thalweg"), self.line("maritime_boundary")'),
    Fault("F11", "report.md shows the thalweg length as the land length",
          "pipeline/report.py",
          "→ mouth point) | {_f(land.land_boundary_m)} m |",
          "→ mouth point) | {_f(land.thalweg_m)} m |"),
    Fault("F12", "the main channel taken through the narrowest branch at every island",
          "pipeline/land_line.py",
          "cost = ax.length * (np.median(ax.width) / np.maximum(ax.width, 1e-3)) ** width_exponent",
          "cost = ax.length * (np.median(ax.width) / np.maximum(ax.width, 1e-3)) ** -width_exponent"),
    # ---------------------------------------------------------------- further faults the built-in checks miss
    Fault("F13", "treaty point B moved 111 m (north-east, across the line B-E) where the run uses it",
          "pipeline/driver.py",
          "    return point.id, Point(geo.lonlat_to_metric(np.array([point.lonlat]))[0])",
          "    return point.id, Point(geo.lonlat_to_metric(np.array([point.lonlat]) + [0.00095, 0.0007])[0])"),
    Fault("F14", "B and E (no datum stated) read as WGS 84 instead of the configured Pulkovo 1942",
          "pipeline/load.py",
          "        crs_used = r.crs or unstated_crs",
          '        crs_used = r.crs or "EPSG:4326"'),
    Fault("F15", "E read as WGS 84 where the run uses it (the agreed line ends 93 m off)",
          "pipeline/model.py",
          'return cls(tuple((i, points[i].lonlat) for i in chain), tuple(treaty.segment_lines),',
          'return cls(tuple((i, (points[i].lon, points[i].lat)) for i in chain), tuple(treaty.segment_lines),'),
    Fault("F16", "the least accurate datum operation instead of the best (Pulkovo 1942 to WGS 84 (1))",
          "pipeline/geodesy.py",
          "    return group.transformers[0]",
          "    return group.transformers[-1]"),
    Fault("F17", "tripoint A 5 m down the line from where the dividing line crosses it",
          "pipeline/tripoint.py",
          "    s = float(line.project(x))",
          "    s = float(line.project(x)) + 5.0; x = line.interpolate(s)"),
    Fault("F18", "the foot from the other record of sign 423 computed from its untransformed figure",
          "pipeline/tripoint.py",
          "    lon_m, lat_m = monument.lonlat",
          "    lon_m, lat_m = monument.lon, monument.lat"),
    Fault("F19", "monument distances and azimuths from the published (untransformed) figures",
          "pipeline/tripoint.py",
          "        az, d = inverse(m.lon_wgs84, m.lat_wgs84, a.lon, a.lat)",
          "        az, d = inverse(m.lon, m.lat, a.lon, a.lat)"),
    Fault("F20", "the tripoint's Pulkovo 1942 (second datum) coordinates transformed the wrong way",
          "pipeline/tripoint.py",
          "lon2, lat2 = geo.lonlat_to_xy(np.array([[a.lon, a.lat]]), crs)[0]",
          "lon2, lat2 = geo.xy_to_lonlat(np.array([[a.lon, a.lat]]), crs)[0]"),
    Fault("F21", "the mouth offset measured to B as printed (no datum transform)",
          "pipeline/checks/boundary.py",
          'return float(inverse(lon, lat, *r.inputs.points[cfg.treaty.mouth_point].lonlat)[1])',
          'return float(inverse(lon, lat, r.inputs.points[cfg.treaty.mouth_point].lon, r.inputs.points[cfg.treaty.mouth_point].lat)[1])'),
    Fault("F22", "the rhumb line B-E as the maritime boundary instead of the geodesic",
          "pipeline/maritime.py",
          'boundary, divider = ag.line, ag.divider',
          'boundary, divider = ag.rhumb, ag.divider'),
    Fault("F23", "the maritime_boundary layer loses its first vertex (starts 100 m from B)",
          "pipeline/layers.py",
          '[r.inputs.geo.to_lonlat(mar.boundary)])',
          '[r.inputs.geo.to_lonlat(type(mar.boundary)(mar.boundary.coords[1:]))])'),
    Fault("F24", "each side's baseline takes the other side's half of the closing line",
          "pipeline/maritime.py",
          "tip = a if land[side].distance(a) <= land[side].distance(b) else b",
          "tip = a if land[side].distance(a) > land[side].distance(b) else b"),
    Fault("F25", "each 12-nm limit kept on the other side of the maritime boundary",
          "pipeline/maritime.py",
          "keep = [p for p, v in zip(pieces, on) if v == (1 if k == 0 else -1)]",
          "keep = [p for p, v in zip(pieces, on) if v == (-1 if k == 0 else 1)]"),
    Fault("F26", "the land boundary follows the middle line while everything says thalweg",
          "pipeline/model.py",
          'return self.thalweg.line if self.in_use == "thalweg" else self.middle.line',
          'return self.middle.line if self.in_use == "thalweg" else self.thalweg.line'),
    Fault("F27", "island branch labels flipped (left <-> right) in the report",
          "pipeline/land_line.py",
          '"left" if right else "right", mean(ax.width, taken), mean(ax.width, other),',
          '"right" if right else "left", mean(ax.width, taken), mean(ax.width, other),'),
    Fault("F28", "island branch widths swapped (taken <-> other) in the report",
          "pipeline/land_line.py",
          '"left" if right else "right", mean(ax.width, taken), mean(ax.width, other),',
          '"left" if right else "right", mean(ax.width, other), mean(ax.width, taken),'),
    Fault("F29", "the measured sea length (the check's and the report's) is that of the equidistance line",
          "pipeline/checks/boundary.py",
          'return r.inputs.geo.length_m(r.maritime.boundary)',
          'return r.inputs.geo.length_m(r.maritime.equidistance)'),
    Fault("F30", "the baselines without the river mouth's closing-line halves (coastline only)",
          "pipeline/maritime.py",
          'base[side] = shapely.union_all([coast[side], LineString([tip, crossing])])',
          'base[side] = coast[side]'),
    Fault("F31", "report.md's checks table shows each check's target as its computed value",
          "pipeline/report.py",
          "L.append(f\"| {c.name} | {_f(c.value, 3 if c.kind == 'within' else 4)} {c.unit}",
          "L.append(f\"| {c.name} | {_f(c.target, 3 if c.kind == 'within' else 4)} {c.unit}"),
    # ---------------------------------------------------------------- speed (issue 13)
    Fault("F32", "the Voronoi tiles split the outer box's longer side (a long river is cut between its banks)",
          "pipeline/geometry.py",
          "    k = 0 if span[0] >= span[1] else 1",
          "    k = 0 if box[2] - box[0] >= box[3] - box[1] else 1",
          ("tests/test_toolkit.py",)),
    # ---------------------------------------------------------------- the treaty forms (issues 19 and 21)
    Fault("F37", "the perpendicular's foot 5 m down the line from where it meets the channel at a right angle",
          "pipeline/tripoint.py",
          "    p = line.interpolate(s)",
          "    p = line.interpolate(s + 5.0)",
          ("tests/test_tripoint.py",)),
    Fault("F33", "the channel's direction at the foot taken from one segment (2 m), not the stated window",
          "pipeline/tripoint.py",
          "    ss = np.clip([station_m - window_m / 2, station_m + window_m / 2], 0.0, line.length)",
          "    ss = np.clip([station_m - 1.0, station_m + 1.0], 0.0, line.length)",
          ("tests/test_tripoint.py",)),
    Fault("F34", "the dividing line drawn from marker 1 at the azimuth of the perpendicular, not through marker 2",
          "pipeline/tripoint.py",
          "    az, d = inverse(m1.lon_wgs84, m1.lat_wgs84, m2.lon_wgs84, m2.lat_wgs84)",
          "    az, d = inverse(m1.lon_wgs84, m1.lat_wgs84, m2.lon_wgs84, m2.lat_wgs84); az = az + 8.0",
          (*ORACLES, "tests/test_tripoint.py")),
    Fault("F35", "the agreed line's turning points skipped (a straight line from the mouth point to the end point)",
          "pipeline/model.py",
          'chain = [*treaty.turning_points, treaty.end_point] if treaty.end_point else []',
          'chain = [treaty.end_point] if treaty.end_point else []',
          ("tests/test_cases.py",)),
    Fault("F36", "the Rio Grande's NAD27 figures read as WGS 84 (controls compared after no transform)",
          "pipeline/checks/inputs.py",
          'return {pid: float(inverse(*pts[pid].lonlat, *c.lonlat)[1]) for pid, c in r.inputs.controls.items()}',
          'return {pid: float(inverse(pts[pid].lon, pts[pid].lat, *c.lonlat)[1]) for pid, c in r.inputs.controls.items()}',
          ("tests/test_cases.py",)),
    Fault("F38", "the mask's fitted edge without its pull to the middle of the gap (grid-parallel banks drift)",
          "pipeline/forms/_bankfit.py",
          "    pull = np.where(gap, max(PULL_RATIO * kappa ** 2, TINY_PULL) * fade * h, TINY_PULL)",
          "    pull = np.full(k, TINY_PULL)",
          ("tests/test_bankfit.py",)),
    Fault("F39", "the mask's fitted stations without their side constraints (every ring falls back to its reference)",
          "pipeline/forms/_bankfit.py",
          "    limit = centres.side * offset - MARGIN",
          "    limit = centres.side * offset + 1e9",
          ("tests/test_bankfit.py",)),
    Fault("F40", "the mask's fitted ring not checked for crossing itself (only its cell centres' sides)",
          "pipeline/forms/_bankfit.py",
          "    if not poly.is_valid:\n        return False\n",
          "",
          ("tests/test_bankfit.py",)),
)


# ============================================================================================ running
def copy_repo(dst: Path) -> Path:
    repo = dst / "repo"
    shutil.copytree(ROOT, repo, ignore=IGNORE)
    (repo / "outputs").mkdir(exist_ok=True)
    return repo


def env_for(repo: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), os.environ.get("PYTHONPATH", "")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def imported_pipeline(repo: Path) -> Path:
    """Where ``import pipeline`` resolves with the copy's environment (must be the copy)."""
    proc = subprocess.run([sys.executable, "-c", "import pipeline; print(pipeline.__file__)"], cwd=repo,
                          env=env_for(repo), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"cannot import pipeline from the copy: {proc.stderr}")
    return Path(proc.stdout.strip()).resolve()


def pytest(repo: Path, tests: tuple[str, ...], timeout_s: float, full: bool = False) -> tuple[int, str, float]:
    """(pytest exit code, its output, seconds); exit code -1 on a timeout. ``full``: no ``-x``."""
    t0 = time.perf_counter()
    # one process (-n 0): under pytest-xdist, -x stops the session with exit 2 ("interrupted"), not 1
    cmd = [sys.executable, "-m", "pytest", *tests, *([] if full else ["-x"]), "-n", "0", "-q", "-p",
           "no:cacheprovider", "-rfE", "--no-header"]
    try:
        proc = subprocess.run(cmd, cwd=repo, env=env_for(repo), capture_output=True, text=True, timeout=timeout_s)
        return proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        return -1, "timeout", time.perf_counter() - t0


def failures(output: str) -> str:
    """The failed (or errored) tests named in pytest's short summary, comma-separated."""
    found = re.findall(r"^(FAILED|ERROR) (\S+)", output, re.M)
    return ", ".join(dict.fromkeys(f"{kind} {name.split('::')[-1]}" for kind, name in found))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", default=None, help="fault ids to plant (default: all)")
    ap.add_argument("--list", action="store_true", help="list the faults and exit")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per pytest run")
    ap.add_argument("--full", action="store_true", help="run every test for each fault (no -x) and name every "
                                                        "test that catches it (about 3x slower)")
    args = ap.parse_args(argv)
    faults = [f for f in FAULTS if args.only is None or f.id in args.only]
    if args.list:
        for f in faults:
            print(f"{f.id}  {f.file:24s} {f.what}  [{', '.join(f.tests)}]")
        return 0
    if not faults:
        print("no such fault", file=sys.stderr)
        return 2
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        repo = copy_repo(Path(tmp))
        where = imported_pipeline(repo)
        if where.parent != (repo / "pipeline").resolve():
            print(f"the copy's environment imports {where}, not the copy: nothing would be tested", file=sys.stderr)
            return 2
        print(f"copy: {repo} (imports {where})")
        suites = sorted({f.tests for f in faults})
        for tests in suites:
            code, out, secs = pytest(repo, tests, args.timeout)
            print(f"baseline {' '.join(tests)}: exit {code} in {secs:.0f} s")
            if code != 0:
                print(out[-4000:])
                print("the tests fail without any fault planted: fix that first", file=sys.stderr)
                return 2
        results = []
        for f in faults:
            path = repo / f.file
            text = path.read_text(encoding="utf-8")
            n = text.count(f.old)
            if n != 1:
                results.append((f, "stale", 0.0, f"anchor found {n} times in {f.file}"))
                print(f"{f.id}  stale     {f.what} (anchor found {n} times in {f.file})", flush=True)
                continue
            try:
                path.write_text(text.replace(f.old, f.new), encoding="utf-8")
                code, out, secs = pytest(repo, f.tests, args.timeout, args.full)
            finally:
                path.write_text(text, encoding="utf-8")
            status = {0: "survived", 1: "caught"}.get(code, "error")
            detail = failures(out) if code == 1 else (f"pytest exit {code}" if code else "")
            results.append((f, status, secs, detail))
            print(f"{f.id}  {status:9s} {secs:5.0f} s  {f.what}" + (f"  <- {detail}" if detail else ""), flush=True)
    caught = sum(1 for _, s, _, _ in results if s == "caught")
    print(f"\nscore: {caught}/{len(results)} faults caught "
          f"({sum(s == 'survived' for _, s, _, _ in results)} survived, "
          f"{sum(s == 'stale' for _, s, _, _ in results)} stale, {sum(s == 'error' for _, s, _, _ in results)} "
          f"errors) in {time.perf_counter() - t_start:.0f} s")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
