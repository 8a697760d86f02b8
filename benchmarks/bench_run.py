#!/usr/bin/env python3
"""Benchmark of the whole default run against the import time of its libraries (issue 13).

Run from the repository root::

    python3 benchmarks/bench_run.py            # 5 interleaved pairs (+1 warm-up pair), ~30 s
    python3 benchmarks/bench_run.py --runs 9   # more pairs on a noisy machine
    python3 benchmarks/bench_run.py --quick    # 2 pairs, no warm-up, no import-coverage check

What it measures, each as a fresh subprocess of the same Python interpreter:

* **run**: ``tumen-border run --config inputs/tumen/tumen.toml --out <new empty folder>`` -- every stage, every
  output, the map included (the console script next to ``sys.executable``, not the pyenv shim, so the
  shim's bash start-up is not counted; ``python -m pipeline.cli`` if there is no console script). The
  run must exit 0 and write ``map.png`` and ``border.gpkg``, or the benchmark stops.
* **import-only**: ``python -c`` importing exactly the modules the pipeline imports (``IMPORTS`` below:
  the third-party modules and the standard-library modules named by ``import`` statements in
  ``pipeline/``; every full run compares it with the modules a run loads, ``--no-check-imports`` skips that).

The two are interleaved (import, run, import, run, ... N times) so slow phases of a shared machine hit
both alike. Reported: median and min wall time of each, the CPU time (user + sys, from ``os.wait4``; less
sensitive to other processes than wall time), the ratio of the medians against the target (run <= 2.5 x
import-only), the per-stage times parsed from the run's INFO log on stderr (``stage X done in Y s``; the
pipeline is not changed for this), and the peak resident memory (``ru_maxrss`` of each child from
``os.wait4``).

``--profile`` instead runs ``pipeline.driver.run`` in this process with one cProfile per stage and prints
the top functions of each stage, then the I/O floor (reading the inputs, writing the GeoPackage and GeoJSON
layers alone). See benchmarks/README.md for the results and what they mean.

Nothing is written outside a temporary folder, which is removed at the end.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path("inputs") / "tumen" / "tumen.toml"
TARGET_RATIO = 2.5           # issue 13: the whole run within 2.5 x the import time of its libraries

# Every module the pipeline imports in a default run (python -X importtime on a run, cross-checked against
# the import statements in pipeline/*.py; check_imports() compares it with a run's sys.modules every full
# benchmark). Third-party first, then the standard-library modules the pipeline names itself (cheap, but the
# run pays for them too). matplotlib: the Agg pieces mapping.py imports, not pyplot (geopandas' plotting
# imports pyplot lazily during the run; that is counted as run time and reported by the coverage check).
IMPORTS = (
    # command line
    "click",
    # arrays and geometry
    "numpy", "shapely", "shapely.geometry", "shapely.geometry.base", "shapely.ops",
    "pyproj", "pyproj.aoi", "pyproj.crs", "pyproj.crs.coordinate_operation", "pyproj.exceptions",
    "pyproj.transformer",
    "scipy.spatial", "scipy.sparse", "scipy.sparse.csgraph", "scipy.ndimage", "scipy.optimize",
    "skimage.graph:MCP_Geometric",          # lazy package: the attribute import loads skimage.graph._mcp
    # data I/O
    "rasterio", "rasterio.errors", "rasterio.features", "rasterio.transform",
    "pyogrio", "pandas", "geopandas",
    # the map (Agg canvas, scale bar)
    "matplotlib", "matplotlib.transforms", "matplotlib.patheffects", "matplotlib.backends.backend_agg",
    "matplotlib.colors", "matplotlib.figure", "matplotlib.lines", "matplotlib.patches",
    "matplotlib_scalebar.scalebar",
    # standard library named by the pipeline modules a default run loads
    "csv", "dataclasses", "datetime", "errno", "fcntl", "functools", "hashlib", "importlib.metadata",
    "importlib.resources", "io", "json", "logging", "math", "platform", "re", "shutil", "signal", "string",
    "tempfile", "textwrap", "tomllib", "typing", "warnings", "xml.etree.ElementTree", "xml.sax.saxutils",
)
# "module:name" is ``from module import name`` (needed for lazily loading packages such as skimage.graph)
IMPORT_SNIPPET = (f"import importlib\nfor m in {IMPORTS!r}:\n    mod, _, attr = m.partition(':')\n"
                  f"    obj = importlib.import_module(mod)\n    if attr:\n        getattr(obj, attr)\n")

STAGE_RE = re.compile(r"stage (\S+) done in ([0-9.]+) s")


# ------------------------------------------------------------------------------------------ running
def run_command(out: Path) -> list[str]:
    """The default run, as a user types it, without the pyenv shim."""
    script = Path(sys.executable).parent / "tumen-border"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "pipeline.cli"]
    return [*head, "run", "--config", str(CONFIG), "--out", str(out)]


def import_command() -> list[str]:
    return [sys.executable, "-c", IMPORT_SNIPPET]


def spawn(cmd: list[str], *, log_dir: Path, tag: str) -> dict:
    """Run ``cmd`` from the repository root; wall time, CPU time and peak RSS of the child (``os.wait4``).

    stdout/stderr go to files (no pipes: a full pipe would stall the child and count as its time).
    """
    out_path, err_path = log_dir / f"{tag}.out", log_dir / f"{tag}.err"
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)   # reaped by wait4: tell Popen
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024.0,
            "rc": p.returncode, "stdout": out_path.read_text(errors="replace"),
            "stderr": err_path.read_text(errors="replace")}


def stage_times(stderr: str) -> dict[str, float]:
    """``stage X done in Y s`` lines of the run's log (the driver logs them at INFO, 2 decimals)."""
    return {m.group(1): float(m.group(2)) for m in STAGE_RE.finditer(stderr)}


def one_run(work: Path, i: int) -> dict:
    out = work / f"out{i}"
    r = spawn(run_command(out), log_dir=work, tag=f"run{i}")
    if r["rc"] != 0:
        sys.exit(f"the run exited {r['rc']}; stderr tail:\n{r['stderr'][-2000:]}")
    missing = [f for f in ("map.png", "border.gpkg", "report.json") if not (out / f).is_file()]
    if missing:
        sys.exit(f"the run did not write {missing}: not the default run")
    r["stages"] = stage_times(r["stderr"])
    r["n_files"] = sum(1 for _ in out.iterdir())
    shutil.rmtree(out, ignore_errors=True)
    return r


def one_import(work: Path, i: int) -> dict:
    r = spawn(import_command(), log_dir=work, tag=f"imp{i}")
    if r["rc"] != 0:
        sys.exit(f"the import-only child exited {r['rc']}:\n{r['stderr'][-2000:]}")
    return r


# ----------------------------------------------------------------------------------- import coverage
# Recorder for the coverage child: every module named by an import statement in a pipeline module (the
# importing frame's globals say who imports), written out at exit with the modules in sys.modules.
_RECORDER = """\
import atexit, builtins, sys
_named = set()
_import = builtins.__import__
def _recording_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and globals and str(globals.get("__name__", "")).startswith("pipeline"):
        _named.add(name)
        _named.update(f"{name}.{f}" for f in (fromlist or ()) if isinstance(f, str))
    return _import(name, globals, locals, fromlist, level)
builtins.__import__ = _recording_import
def _dump():
    with open(DUMP, "w") as f:
        f.write("\\n".join(sys.modules))
    with open(DUMP + ".named", "w") as f:
        f.write("\\n".join(m for m in _named if m in sys.modules))
atexit.register(_dump)
"""


def _probe(body: str, work: Path, tag: str) -> tuple[set[str], set[str], dict[str, int], list[str]]:
    """Run ``body`` in ``python -X importtime -c``; the modules in ``sys.modules`` at exit, those of them that
    a pipeline module names in an import statement, the self import time (us) per module from the
    importtime lines, and the child's stderr lines."""
    dump = work / f"{tag}.modules"
    code = _RECORDER.replace("DUMP", repr(str(dump))) + body
    r = spawn([sys.executable, "-X", "importtime", "-c", code], log_dir=work, tag=tag)
    if r["rc"] != 0:
        sys.exit(f"{tag}: exit {r['rc']}\n{r['stderr'][-2000:]}")
    self_us: dict[str, int] = {}
    lines = r["stderr"].splitlines()
    for line in lines:
        if line.startswith("import time:") and "self [us]" not in line:
            _, us, _cum, name = (x.strip() for x in re.split(r"[:|]", line, maxsplit=3))
            self_us[name] = self_us.get(name, 0) + int(us)
    return set(dump.read_text().split()), set(Path(f"{dump}.named").read_text().split()), self_us, lines


def imports_by_stage(lines: list[str]) -> dict[str, tuple[float, list[str]]]:
    """Seconds of top-level imports done while each stage ran (the run's stderr interleaves the importtime
    lines and the stage log lines in order), with the imported top-level names, biggest first."""
    start = re.compile(r"stage (\S+) \.\.\.")
    where, out = "before the first stage", {}
    for line in lines:
        if (m := STAGE_RE.search(line)) is not None:
            where = f"after {m.group(1)}"
            continue
        if (m := start.search(line)) is not None:
            where = m.group(1)
            continue
        if line.startswith("import time:") and "self [us]" not in line:
            _, _self, cum, name = re.split(r"[:|]", line, maxsplit=3)
            if name.startswith(" ") and not name.startswith("  "):    # depth 0: not inside another import
                t, names = out.setdefault(where, (0.0, []))
                out[where] = (t + int(cum) / 1e6, names + [(int(cum), name.strip())])
    return {k: (t, [n for _, n in sorted(v, reverse=True)]) for k, (t, v) in out.items()}


def check_imports(work: Path) -> tuple[list[str], dict[str, float]]:
    """Compare the modules loaded by a run and by the import-only child (``sys.modules`` at exit); lines for
    the report, and the import seconds inside each stage (from ``-X importtime``)."""
    argv = ["tumen-border", *run_command(work / "cov")[-5:]]
    run_mods, named, run_us, run_lines = _probe(
        f"import runpy, sys\nsys.argv = {argv!r}\nrunpy.run_module('pipeline.cli', run_name='__main__')\n",
        work, "cov-run")
    shutil.rmtree(work / "cov", ignore_errors=True)
    imp_mods, _, _, _ = _probe(IMPORT_SNIPPET, work, "cov-imp")
    stdlib = set(sys.stdlib_module_names)

    def third(m: str) -> bool:
        top = m.split(".")[0]
        return top not in stdlib and top != "pipeline" and not top.startswith("_")

    only_run = sorted(m for m in run_mods - imp_mods if third(m))
    only_imp = sorted(imp_mods - run_mods)
    tops_run = sorted({m.split(".")[0] for m in run_mods if third(m)})
    tops_missing = sorted({m.split(".")[0] for m in only_run} - {m.split(".")[0] for m in imp_mods})
    lines = [f"third-party packages loaded by the run: {', '.join(tops_run)}"]
    lines.append("packages loaded by the run but not by the import-only child: "
                 + (", ".join(tops_missing) if tops_missing else "none"))
    unlisted = sorted(m for m in named - imp_mods if m.split(".")[0] != "pipeline")
    lines.append("modules the pipeline's own import statements load in the run but the import-only child does "
                 "not: " + (", ".join(unlisted) if unlisted else "none"))
    if only_run:
        us = sum(run_us.get(m, 0) for m in only_run)
        shown = ", ".join(only_run[:8]) + (", ..." if len(only_run) > 8 else "")
        lines.append(f"{len(only_run)} third-party submodules are imported lazily inside library calls during the "
                     f"run (self time {us / 1000:.0f} ms, counted as run time): {shown}")
    lines.append("modules loaded by the import-only child but not by the run: "
                 + (", ".join(only_imp) if only_imp else "none"))
    if tops_missing or unlisted or any(third(m) for m in only_imp):
        lines.append("WARNING: IMPORTS in benchmarks/bench_run.py is out of date with the pipeline's imports "
                     "(see the lines above); the ratio below is not the issue's ratio until it is fixed")
    by_stage = imports_by_stage(run_lines)
    total = sum(t for t, _ in by_stage.values())
    lines.append(f"top-level import time in the run, by where it happens (-X importtime adds its own overhead; "
                 f"{total:.2f} s in all):")
    for where, (t, names) in by_stage.items():
        lines.append(f"  {where}: {t:.2f} s ({', '.join(names[:4])}{', ...' if len(names) > 4 else ''})")
    return lines, {k: t for k, (t, _) in by_stage.items()}


# ------------------------------------------------------------------------------------------ profile
def _short(key) -> str:
    """'pipeline/land_line.py:206 middle_line' from a pstats key (file, line, function)."""
    file, line, func = key
    if file.startswith("~") or file.startswith("<"):
        return func if file == "~" else f"{file}:{line} {func}"
    parts = Path(file).parts
    for anchor in ("site-packages", "lib"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor):]
            break
    if "pipeline" in parts:
        parts = parts[parts.index("pipeline"):]
    return f"{'/'.join(parts)}:{line} {func}"


def _is_import_frame(key) -> bool:
    file, _, func = key
    return "importlib" in file or func in ("<module>", "exec_module", "_call_with_frames_removed") or \
        "_imp." in func or "builtins.__import__" in func


def profile_stages(cfg_path: Path, out: Path, top: int) -> tuple[dict, dict[str, float], float]:
    """``pipeline.driver.run`` in this process, one cProfile per stage.

    The driver's ``stage`` context manager is wrapped (the module attribute is replaced for this process
    only), so each stage gets its own profiler; nothing in pipeline/ is changed. Returns the per-stage
    pstats, the stage wall times (without the profiler: taken from a first, unprofiled run) and the
    unprofiled wall time of ``driver.run``.
    """
    import cProfile
    import logging
    import pstats
    from contextlib import contextmanager

    from pipeline import driver
    from pipeline.config import load_config

    logging.basicConfig(level=logging.WARNING)
    cfg = load_config(cfg_path)
    # first, an unprofiled run: the stage times and the lazy imports (so the profiled run below measures
    # compute and I/O, and the imports done inside stages are reported from this run separately)
    plain: dict[str, float] = {}
    t0 = time.perf_counter()
    outcome = driver.run(cfg, out / "plain")
    wall = time.perf_counter() - t0
    plain.update(outcome.results.timings)
    original = driver.stage
    stats: dict[str, pstats.Stats] = {}

    @contextmanager
    def profiled(name, timings):
        prof = cProfile.Profile()
        with original(name, timings):
            prof.enable()
            try:
                yield
            finally:
                prof.disable()
        stats[name] = pstats.Stats(prof)

    driver.stage = profiled
    try:
        driver.run(cfg, out / "profiled")
    finally:
        driver.stage = original
    return stats, plain, wall


def print_profile(stats: dict, plain: dict[str, float], wall: float, top: int) -> None:
    print(f"\n## Profile of pipeline.driver.run, in-process, per stage (cProfile)\n")
    print(f"Unprofiled in-process run (modules already imported except those a stage imports lazily on first use): "
          f"{wall:.2f} s; stages {', '.join(f'{k} {v:.2f} s' for k, v in plain.items())}. The profiled run is the "
          f"second in this process, so lazy imports are done; cProfile inflates pure-Python code (matplotlib) more "
          f"than C code (GEOS, Qhull, GDAL).")
    for name, st in stats.items():
        raw = st.stats  # key -> (primitive calls, calls, tottime, cumtime, callers)
        total = sum(v[2] for v in raw.values())
        if total < 0.02:
            continue
        print(f"\n### {name}: {total:.3f} s under the profiler (unprofiled {plain.get(name, float('nan')):.2f} s)\n")
        rows = [(k, v) for k, v in raw.items() if not _is_import_frame(k) and v[3] < 0.97 * total
                and "contextlib" not in k[0]]
        print("| cumulative s | self s | calls | function (top by cumulative time) |")
        print("|---:|---:|---:|---|")
        for k, v in sorted(rows, key=lambda kv: -kv[1][3])[:top]:
            print(f"| {v[3]:.3f} | {v[2]:.3f} | {v[1]} | `{_short(k)}` |")
        selfs = sorted(raw.items(), key=lambda kv: -kv[1][2])[:max(3, top // 2)]
        print("\nTop self time: " + "; ".join(f"`{_short(k)}` {v[2]:.3f} s ({v[1]} calls)" for k, v in selfs))


def measure_floor(cfg_path: Path, work: Path, reps: int) -> list[str]:
    """The I/O floor: reading the inputs and writing the output layers alone (best of ``reps``)."""
    import pyogrio
    import rasterio

    from pipeline import driver, layers as layers_mod
    from pipeline.config import load_config
    from pipeline.export import GPKG
    from pipeline.layers import LAYERS

    cfg = load_config(cfg_path)
    files = cfg.inputs.files()
    lines = []

    def best(fn) -> float:
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return min(ts)

    read_total = 0.0
    for role, path in files.items():
        size = path.stat().st_size
        if path.suffix.lower() in (".tif", ".tiff"):
            def fn(path=path):
                with rasterio.open(path) as src:
                    src.read(1, masked=True)
            how = "rasterio.open + read(1, masked=True)"
        elif path.suffix.lower() == ".csv":
            def fn(path=path):
                path.read_text(encoding="utf-8-sig").splitlines()
            how = "read_text"
        else:
            layer = getattr(cfg.inputs, f"{role}_layer", "") or None

            def fn(path=path, layer=layer):
                pyogrio.raw.read(path, layer=layer)
            how = "pyogrio.raw.read" + (f" (layer {layer})" if layer else "")
        t = best(fn)
        read_total += t
        lines.append(f"read {role} ({path.name}, {size / 1024:.0f} kB) with {how}: {t * 1000:.1f} ms")
    lines.append(f"reading every input: {read_total * 1000:.0f} ms")

    # the output layers as the run builds them, then written exactly as pipeline.export.write_all writes them
    outcome = driver.run(cfg, work / "floor-run")
    built = layers_mod.build_layers(outcome.results, cfg, outcome.report)
    n_feat = sum(len(g) for g in built.values())

    def write_gpkg():
        f = work / "floor" / GPKG
        f.unlink(missing_ok=True)
        for i, (name, gdf) in enumerate(built.items()):
            pyogrio.write_dataframe(gdf, f, layer=name, driver="GPKG", append=i > 0, geometry_type=LAYERS[name],
                                    dataset_options={"VERSION": cfg.output.gpkg_version} if i == 0 else None,
                                    layer_options={"SPATIAL_INDEX": "YES"})

    def write_geojson():
        for name, gdf in built.items():
            pyogrio.write_dataframe(gdf, work / "floor" / f"{name}.geojson", driver="GeoJSON",
                                    geometry_type=LAYERS[name],
                                    layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "8", "WRITE_NAME": "NO"})

    (work / "floor").mkdir(exist_ok=True)
    t_g, t_j = best(write_gpkg), best(write_geojson)
    # the same GeoPackage without an fsync at every SQLite commit (GDAL config option; not what export does)
    previous = pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    try:
        t_g_nosync = best(write_gpkg)
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": previous})
    size_g = (work / "floor" / GPKG).stat().st_size
    size_j = sum(p.stat().st_size for p in (work / "floor").glob("*.geojson"))
    lines.append(f"write the {len(built)} layers ({n_feat} features) to {GPKG} as export does (one "
                 f"write_dataframe per layer, spatial index): {t_g * 1000:.0f} ms ({size_g / 1024:.0f} kB)")
    lines.append(f"the same GeoPackage with OGR_SQLITE_SYNCHRONOUS=OFF (no fsync per SQLite commit): "
                 f"{t_g_nosync * 1000:.0f} ms")
    lines.append(f"write the {len(built)} layers as GeoJSON (RFC 7946): {t_j * 1000:.0f} ms ({size_j / 1024:.0f} kB)")
    shutil.rmtree(work / "floor", ignore_errors=True)
    blob = os.urandom(size_g + size_j)
    t_b = best(lambda: (work / "blob").write_bytes(blob))
    lines.append(f"writing the same number of bytes ({(size_g + size_j) / 1024:.0f} kB) as one file: "
                 f"{t_b * 1000:.1f} ms")
    lines.append(f"floor (read inputs + write GPKG + GeoJSON layers as export does): {(read_total + t_g + t_j) * 1000:.0f} ms; "
                 f"{(read_total + t_g_nosync + t_j) * 1000:.0f} ms without the per-commit fsync")
    return lines


def run_profile(top: int, reps: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench_prof_"))
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        sys.path.insert(0, str(ROOT))
        t0 = time.perf_counter()
        import pipeline.driver  # noqa: F401  (the import time of the driver and what it imports at the top)
        t_imp = time.perf_counter() - t0
        stats, plain, wall = profile_stages(CONFIG, work, top)
        print(f"\n(import of pipeline.driver in this process: {t_imp:.2f} s)")
        print_profile(stats, plain, wall, top)
        print(f"\n## I/O floor (best of {reps})\n")
        for line in measure_floor(CONFIG, work, reps):
            print(f"- {line}")
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)


# -------------------------------------------------------------------------------------------- report
def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"
    except OSError:
        return "load average unknown"


def _code_state() -> str:
    """git HEAD and the pipeline files that differ from it (the numbers belong to that working tree)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "diff", "--name-only", "HEAD", "--", "pipeline"],
                               capture_output=True, text=True, timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return "git state unknown"
    return f"git HEAD {head}" + (f" + uncommitted changes to {', '.join(dirty)}" if dirty else "")


def _sum_or_dash(stage_imports: dict[str, float], names: list[str], inside: bool) -> str:
    if not stage_imports:
        return "not measured"
    return f"{sum(t for k, t in stage_imports.items() if (k in names) == inside):.2f}"


def _ms(xs: list[float]) -> tuple[float, float]:
    return statistics.median(xs), min(xs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="interleaved import/run pairs (default 5)")
    ap.add_argument("--quick", action="store_true", help="2 pairs, no warm-up, no import-coverage check")
    ap.add_argument("--no-check-imports", dest="check_imports", action="store_false",
                    help="skip the python -X importtime comparison of run and import-only modules")
    ap.add_argument("--profile", action="store_true",
                    help="instead: profile pipeline.driver.run in-process per stage (cProfile) and measure the I/O floor")
    ap.add_argument("--top", type=int, default=10, help="--profile: functions listed per stage (default 10)")
    args = ap.parse_args(argv)
    if args.profile:
        print(f"# profile of the default run; {_load()}; {_code_state()}")
        run_profile(args.top, reps=3 if args.quick else 5)
        return 0
    n = 2 if args.quick else max(args.runs, 1)
    warm = 0 if args.quick else 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"# whole-run benchmark{' (--quick)' if args.quick else ''}")
    print(f"{_dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {platform.machine()}, {cores} cores usable; "
          f"Python {platform.python_version()}; {_load()} at start")
    print(f"code: {_code_state()}")
    work = Path(tempfile.mkdtemp(prefix="bench_run_"))
    stage_imports: dict[str, float] = {}
    stale = False
    try:
        print(f"run:         {' '.join(run_command(Path('<tmp>')))}")
        print(f"import-only: {sys.executable} -c <import {len(IMPORTS)} modules: {', '.join(IMPORTS[:4])}, ...>")
        if args.check_imports and not args.quick:
            print("\n## Import coverage (python -X importtime, one run each, not timed)\n")
            cov_lines, stage_imports = check_imports(work)
            for line in cov_lines:
                print(line if line.startswith("  ") else f"- {line}")
            stale = any(line.startswith("WARNING") for line in cov_lines)
        for i in range(warm):
            one_import(work, -1 - i)
            one_run(work, -1 - i)
        imps, runs = [], []
        for i in range(n):
            imps.append(one_import(work, i))
            runs.append(one_run(work, i))
        load_end = _load()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n## Wall time: {n} interleaved pairs (import, run, ...){f', after {warm} warm-up pair' if warm else ''}\n")
    print("| child | median s | min s | max s | median CPU s (user+sys) | peak RSS MB (max) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, rs in (("import-only", imps), ("run", runs)):
        w = [r["wall"] for r in rs]
        c = [r["cpu"] for r in rs]
        print(f"| {name} | {statistics.median(w):.3f} | {min(w):.3f} | {max(w):.3f} | {statistics.median(c):.3f} | "
              f"{max(r['maxrss_mb'] for r in rs):.0f} |")
    (mi, ni), (mr, nr) = _ms([r["wall"] for r in imps]), _ms([r["wall"] for r in runs])
    ci, cr = (statistics.median([r["cpu"] for r in rs]) for rs in (imps, runs))
    ratio = mr / mi
    print()
    print(f"- ratio of medians (run / import-only): {ratio:.2f} x   (ratio of mins {nr / ni:.2f} x, "
          f"of median CPU times {cr / ci:.2f} x)")
    print(f"- beyond the imports: {mr - mi:.2f} s (median run - median import-only); the target allows "
          f"{(TARGET_RATIO - 1) * mi:.2f} s")
    print(f"- each run wrote {runs[0]['n_files']} files (map.png included) into a new folder")
    print(f"- {load_end} at the end")
    print(f"\nTARGET run <= {TARGET_RATIO} x import-only (ratio of medians): {ratio:.2f} x -> "
          f"{'PASS' if ratio <= TARGET_RATIO else 'FAIL'}"
          + ("   (WARNING: IMPORTS is out of date, see the import coverage above)" if stale else ""))

    names = list(dict.fromkeys(k for r in runs for k in r["stages"]))
    print(f"\n## Per-stage wall time of the run (from its log, 10 ms resolution; {n} runs)\n")
    print("| stage | median s | min s | share of median run | of which imports (one -X importtime run) |")
    print("|---|---:|---:|---:|---:|")
    for k in names:
        v = [r["stages"].get(k, 0.0) for r in runs]
        imp = f"{stage_imports[k]:.2f}" if k in stage_imports else ("0" if stage_imports else "not measured")
        print(f"| {k} | {statistics.median(v):.2f} | {min(v):.2f} | {statistics.median(v) / mr:.0%} | {imp} |")
    staged = [sum(r["stages"].values()) for r in runs]
    outside = [r["wall"] - s for r, s in zip(runs, staged)]
    print(f"| all stages | {statistics.median(staged):.2f} | {min(staged):.2f} | {statistics.median(staged) / mr:.0%} | "
          f"{_sum_or_dash(stage_imports, names, True)} |")
    print(f"| outside the stages (interpreter, imports, config, lock) | {statistics.median(outside):.2f} | "
          f"{min(outside):.2f} | {statistics.median(outside) / mr:.0%} | "
          f"{_sum_or_dash(stage_imports, names, False)} |")
    print(f"\nPeak memory (ru_maxrss): run median {statistics.median(r['maxrss_mb'] for r in runs):.0f} MB, "
          f"import-only median {statistics.median(r['maxrss_mb'] for r in imps):.0f} MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
