"""Publishing cannot lose data: the output folder is checked and locked before computing, only the tool's own
files are replaced, all or nothing, from a temporary folder on the target's file system that never outlives
the run (signals included); reruns give the same bytes; every input goes through one datum path.

Most tests run the CLI in-process with the computing stages replaced by a result computed once (the
``fast`` fixture: publishing is what they test); a few run the whole pipeline, in a subprocess where a real
process boundary matters (reruns, signals). Faults that cannot be made for real are simulated, and each test
says how: a full disk and a read-only folder are real when this machine lets the test mount a small tmpfs
or a read-only bind mount (root with CAP_SYS_ADMIN), and are otherwise skipped; the same faults are always
also simulated in-process by monkeypatching ``os.replace``, ``os.access`` or the GDAL writer.
"""
from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import CRS, Geod
from pyproj.aoi import AreaOfInterest
from pyproj.transformer import TransformerGroup

from conftest import ROOT, copy_inputs, copy_outputs, snapshot

CONFIG = "tumen.toml"
MANIFEST = ".tumen-border-manifest.json"
LOCK = ".tumen-border.lock"
TEMP_PREFIXES = (".tumen-border-tmp-", ".tumen-border-backup-")


# ------------------------------------------------------------------------------------------ helpers
def the_error(stdout: str, stderr: str) -> str:
    """The one ``error:`` line of a run that must fail cleanly (no traceback)."""
    detail = f"\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"
    assert "Traceback" not in stdout + stderr, detail
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, detail
    return errors[0]


def files_of(snap: dict) -> dict:
    """Only the files of a snapshot (a folder's mtime changes when files are moved out and back in)."""
    return {k: v for k, v in snap.items() if v[0] == "file"}


def leftovers(folder: Path) -> list[str]:
    """Temporary or backup folders of a run anywhere under ``folder``."""
    return sorted(str(p) for p in Path(folder).rglob("*") if p.name.startswith(TEMP_PREFIXES))


def manifest_matches_files(folder: Path) -> bool:
    """Whether the folder's manifest lists exactly its output files, each with its SHA-256."""
    listed = json.loads((folder / MANIFEST).read_text())["files"]
    present = {p.name for p in folder.iterdir() if p.is_file() and p.name not in (MANIFEST, LOCK)}
    return set(listed) == present and all(
        hashlib.sha256((folder / n).read_bytes()).hexdigest() == h for n, h in listed.items())


@contextmanager
def mounted(target: Path, *mount_args: str):
    """``mount ARGS TARGET`` for the block, unmounted after; the test is skipped where mounting is not allowed."""
    target.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", *mount_args, str(target)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount here ({proc.stderr.strip()}); the in-process simulation covers this fault")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    """The computing stages' results for the bundled inputs, computed once for this module."""
    from pipeline.config import load_config
    from pipeline.driver import compute

    bundle = copy_inputs(tmp_path_factory.mktemp("computed") / "inputs")
    return compute(load_config(bundle / CONFIG))


@pytest.fixture
def fast(monkeypatch, computed):
    """``run`` with the computing stages replaced by ``computed`` (report, layers and export stay real)."""
    import pipeline.driver as driver

    calls = []

    def compute(cfg, timings=None):
        calls.append(cfg)
        return computed

    monkeypatch.setattr(driver, "compute", compute)
    return calls


@pytest.fixture
def prev(previous_outputs, tmp_path) -> Path:
    """A copy of a finished run's output folder (manifest and lock included)."""
    return copy_outputs(previous_outputs, tmp_path / "out")


def run(run_cli, bundle: Path, out, *extra, isolated=False, env=None):
    return run_cli(["run", "--config", bundle / CONFIG, "--out", out, "--no-map", "-q", *extra],
                   isolated=isolated, env=env)


def assert_refused_untouched(run_cli, bundle: Path, out: Path, fast: list, watched: Path, needle: str) -> None:
    """A run into ``out`` is refused before computing anything: exit 2, one error line naming ``out`` and
    holding ``needle``, and every file under ``watched`` as it was."""
    before = snapshot(watched)
    code, stdout, stderr = run(run_cli, bundle, out)
    line = the_error(stdout, stderr)
    assert code == 2 and line.startswith(f"error: {out}: ") and needle in line, line
    assert fast == [] and snapshot(watched) == before


# ================================================================================ checked before computing
def test_output_folder_problems_are_found_before_computing(fast, bundle, run_cli, tmp_path):
    (tmp_path / "a_file").write_text("x")
    code, stdout, stderr = run(run_cli, bundle, tmp_path / "a_file" / "out")
    assert code == 2 and "is a file" in the_error(stdout, stderr)
    assert fast == [], "the inputs were computed before the output folder was checked"


def test_read_only_output_folder_simulated(fast, bundle, prev, run_cli, tmp_path, monkeypatch):
    """Simulated: tests run as root, for whom chmod does not make a folder unwritable, so ``os.access``
    (what the folder check asks) answers "not writable" for this folder."""
    import pipeline.export as export

    real_access = os.access
    monkeypatch.setattr(export.os, "access",
                        lambda p, mode, **kw: False if Path(p) == prev else real_access(p, mode, **kw))
    assert_refused_untouched(run_cli, bundle, prev, fast, tmp_path, "not writable")


def test_read_only_output_folder_real_mount(fast, bundle, prev, run_cli, tmp_path):
    """Real: the previous outputs behind a read-only bind mount (EROFS applies to root too)."""
    with mounted(prev, "-o", "bind,ro", str(prev)):
        try:
            (prev / "probe").write_text("x")
            pytest.skip("the bind mount is not read-only here")
        except OSError as exc:
            assert exc.errno == errno.EROFS
        assert_refused_untouched(run_cli, bundle, prev, fast, prev, "not writable")


# ============================================================================ only its own files, all or nothing
def test_publish_replaces_only_its_own_files(fast, bundle, prev, run_cli, tmp_path):
    """Foreign files and folders beside the outputs survive; the tool's own stale outputs are replaced or
    removed (a map.png the last run listed but this run does not draw)."""
    (prev / "notes.txt").write_text("the user's notes\n")
    (prev / "mine").mkdir()
    (prev / "mine" / "report.json").write_text("the user's own report\n")
    (prev / "map.png").write_bytes(b"an old map")
    m = json.loads((prev / MANIFEST).read_text())
    m["files"]["map.png"] = hashlib.sha256(b"an old map").hexdigest()
    (prev / MANIFEST).write_text(json.dumps(m))
    foreign = {k: v for k, v in snapshot(prev).items() if k.startswith(("notes.txt", "mine"))}
    old_report = (prev / "report.json").stat().st_mtime_ns
    time.sleep(0.01)

    code, stdout, stderr = run(run_cli, bundle, prev)
    assert code == 0, stdout + stderr
    assert {k: v for k, v in snapshot(prev).items() if k.startswith(("notes.txt", "mine"))} == foreign
    assert not (prev / "map.png").exists()
    assert (prev / "report.json").stat().st_mtime_ns != old_report      # replaced by this run
    assert manifest_matches_files_except(prev, {"notes.txt"})
    assert leftovers(tmp_path) == []


def manifest_matches_files_except(folder: Path, foreign: set[str]) -> bool:
    listed = json.loads((folder / MANIFEST).read_text())["files"]
    present = {p.name for p in folder.iterdir() if p.is_file() and p.name not in (MANIFEST, LOCK, *foreign)}
    return set(listed) == present and all(
        hashlib.sha256((folder / n).read_bytes()).hexdigest() == h for n, h in listed.items())


def test_a_foreign_file_appearing_during_the_run_is_not_replaced(fast, bundle, prev, run_cli, tmp_path,
                                                                 monkeypatch):
    """A user's report.md appearing while the run computes (after the folder check) stops the publish."""
    import pipeline.export as export

    real_write_all = export.write_all
    mine = b"written by the user during the run\n"

    def write_all(folder, **kw):
        real_write_all(folder, **kw)
        (prev / MANIFEST).unlink()                       # the previous outputs are now nobody's
        (prev / "report.md").write_bytes(mine)

    monkeypatch.setattr(export, "write_all", write_all)
    code, stdout, stderr = run(run_cli, bundle, prev)
    assert code == 2 and "did not write" in the_error(stdout, stderr)
    assert (prev / "report.md").read_bytes() == mine and leftovers(tmp_path) == []


# number of os.replace calls in a publish over the previous outputs (no map): the old files and the manifest
# go to the backup (n calls, n = files + manifest), then the new ones and the new manifest come in (n)
FAIL_AT = {"first-backup-move": lambda n: 1, "last-backup-move": lambda n: n, "after-3-placed": lambda n: n + 4,
           "manifest-placement": lambda n: 2 * n}


@pytest.mark.parametrize("when", list(FAIL_AT))
def test_a_failed_replacement_restores_the_previous_outputs(when, fast, bundle, prev, run_cli, tmp_path,
                                                            monkeypatch):
    """Simulated: ``os.replace`` fails with ENOSPC on its n-th call inside the output folder."""
    real_replace = os.replace
    calls = []

    def replace(src, dst, *a, **kw):
        if str(prev) in str(src) or str(prev) in str(dst):
            calls.append((src, dst))
            if len(calls) == fail_at:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(src))
        return real_replace(src, dst, *a, **kw)

    n_old = len(json.loads((prev / MANIFEST).read_text())["files"])
    fail_at = FAIL_AT[when](n_old + 1)
    before = files_of(snapshot(prev))
    monkeypatch.setattr(os, "replace", replace)
    code, stdout, stderr = run(run_cli, bundle, prev)
    monkeypatch.undo()
    line = the_error(stdout, stderr)
    assert code == 2 and line.startswith(f"error: {prev}: ") and "no space left" in line, line
    assert fail_at == 1 or len(calls) > fail_at, "nothing was put back"
    assert files_of(snapshot(prev)) == before, "the previous outputs were not restored byte for byte"
    assert leftovers(tmp_path) == []


def test_disk_full_while_writing_simulated(fast, bundle, prev, run_cli, tmp_path, monkeypatch):
    """Simulated: GDAL's GeoPackage writer fails as it does on a full disk (pyogrio DataSourceError)."""
    from pyogrio.errors import DataSourceError

    real = pyogrio.write_dataframe

    def write_dataframe(df, path, *a, **kw):
        if str(path).endswith("border.gpkg") and kw.get("append"):
            raise DataSourceError("sqlite3_exec(CREATE TABLE \"x\" (...)) failed: database or disk is full")
        return real(df, path, *a, **kw)

    monkeypatch.setattr(pyogrio, "write_dataframe", write_dataframe)
    before = snapshot(prev)
    code, stdout, stderr = run(run_cli, bundle, prev)
    line = the_error(stdout, stderr)
    assert code == 2 and line.startswith(f"error: {prev}: ") and "no space left" in line, line
    assert files_of(snapshot(prev)) == files_of(before) and leftovers(tmp_path) == []


def test_too_little_space_is_found_before_computing_simulated(fast, bundle, prev, run_cli, tmp_path, monkeypatch):
    """Simulated: ``shutil.disk_usage`` reports 1 kB free beside 1.4 MB of previous outputs."""
    import pipeline.export as export

    real = shutil.disk_usage
    monkeypatch.setattr(export.shutil, "disk_usage",
                        lambda p: real(p)._replace(free=1000) if Path(p) == prev else real(p))
    assert_refused_untouched(run_cli, bundle, prev, fast, tmp_path, "MB free")


def test_too_little_space_is_found_before_computing_real_tmpfs(fast, bundle, previous_outputs, run_cli, tmp_path):
    """Real: the previous outputs on a tmpfs with 256 KiB to spare; a rerun writes about 1.4 MB again."""
    size = sum(p.stat().st_size for p in previous_outputs.iterdir()) + 256 * 1024
    with mounted(tmp_path / "fs", "-t", "tmpfs", "-o", f"size={size}", "tmpfs") as fs:
        out = copy_outputs(previous_outputs, fs / "out")
        assert_refused_untouched(run_cli, bundle, out, fast, out, "MB free")


def test_disk_full_while_writing_real_tmpfs(fast, bundle, run_cli, tmp_path):
    """Real: a fresh output folder on a 300 KiB tmpfs; the GeoPackage alone needs more."""
    with mounted(tmp_path / "fs", "-t", "tmpfs", "-o", "size=300k", "tmpfs") as fs:
        code, stdout, stderr = run(run_cli, bundle, fs / "out")
        line = the_error(stdout, stderr)
        assert code == 2 and line.startswith(f"error: {fs / 'out'}: ") and "nothing was published" in line, line
        assert "free on the device" in line or "no space left" in line, line
        assert sorted(p.name for p in (fs / "out").iterdir()) == [LOCK] and leftovers(fs) == []


# ==================================================================== the temporary folder: where, and always gone
def test_temporary_folder_is_on_the_target_file_system(fast, bundle, previous_outputs, run_cli, tmp_path,
                                                       monkeypatch):
    """``--out`` is a symlink to a folder on another file system (a tmpfs, where mounting is allowed): the
    temporary folder is made in the resolved target, so every move is a rename on one file system."""
    import pipeline.export as export

    fs = tmp_path / "fs"
    try:
        ctx = mounted(fs, "-t", "tmpfs", "-o", "size=64m", "tmpfs")
        ctx.__enter__()
    except pytest.skip.Exception:
        ctx = None
        fs.mkdir(exist_ok=True)          # same file system: the test still checks the folder it resolves to
    try:
        target = copy_outputs(previous_outputs, fs / "out")
        link = tmp_path / "out-link"
        link.symlink_to(target, target_is_directory=True)
        seen = []
        real_write_all = export.write_all

        def write_all(folder, **kw):
            seen.append((Path(folder), os.stat(folder).st_dev))
            return real_write_all(folder, **kw)

        monkeypatch.setattr(export, "write_all", write_all)
        code, stdout, stderr = run(run_cli, bundle, link)
        assert code == 0, stdout + stderr
        (folder, dev), = seen
        assert folder.parent == target.resolve() and dev == os.stat(target).st_dev
        assert ctx is None or dev != os.stat(tmp_path).st_dev
        assert link.is_symlink() and manifest_matches_files(target) and leftovers(fs) == []
    finally:
        if ctx is not None:
            ctx.__exit__(None, None, None)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "OSError", "GDAL error", "a bug"])
def test_temporary_folder_is_removed_on_every_exit_path(how, fast, bundle, prev, run_cli, tmp_path, monkeypatch):
    """The run is stopped after writing its files into the temporary folder, before publishing them."""
    import pipeline.export as export
    from pyogrio.errors import DataSourceError

    real_write_all = export.write_all
    seen = []

    def write_all(folder, **kw):
        real_write_all(folder, **kw)
        seen.append(Path(folder))
        assert any(Path(folder).iterdir())
        if how.startswith("SIG"):
            os.kill(os.getpid(), getattr(signal, how))
        raise {"OSError": OSError(errno.EIO, "Input/output error"),
               "GDAL error": DataSourceError("failed to write"), "a bug": ValueError("a bug")}[how]

    monkeypatch.setattr(export, "write_all", write_all)
    before = snapshot(tmp_path)
    code, stdout, stderr = run(run_cli, bundle, prev)
    expected = {"SIGINT": 130, "SIGTERM": 143, "OSError": 2, "GDAL error": 2, "a bug": 1}[how]
    assert code == expected, stdout + stderr
    if how.startswith("SIG"):
        assert "interrupted" in stderr
    assert seen and not seen[0].exists() and leftovers(tmp_path) == []
    assert files_of(snapshot(tmp_path)) == files_of(before)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_while_files_move_is_held_until_the_publish_is_complete(sig, fast, bundle, prev, run_cli,
                                                                          tmp_path, monkeypatch):
    """A signal arriving between two renames waits: the folder is never half old, half new."""
    real_replace = os.replace
    calls = []

    def replace(src, dst, *a, **kw):
        if str(prev) in str(dst):
            calls.append(dst)
            if len(calls) == 5:
                os.kill(os.getpid(), getattr(signal, sig))
        return real_replace(src, dst, *a, **kw)

    old = {k: v for k, v in files_of(snapshot(prev)).items() if k not in (MANIFEST, LOCK)}
    monkeypatch.setattr(os, "replace", replace)
    code, stdout, stderr = run(run_cli, bundle, prev)
    monkeypatch.undo()
    assert code == 128 + getattr(signal, sig), stdout + stderr
    assert len(calls) > 5 and manifest_matches_files(prev) and leftovers(tmp_path) == []
    new = {k: v for k, v in files_of(snapshot(prev)).items() if k not in (MANIFEST, LOCK)}
    assert set(new) == set(old) and all(new[k][2] != old[k][2] for k in new), "not every file is this run's"


def test_a_signal_while_a_log_line_is_written_is_not_lost(fast, bundle, prev, run_cli, tmp_path):
    """The signal arrives while a log handler writes (as it often does: the run logs all the time). Logging
    catches every ``Exception`` a handler raises, so the interruption must not be one."""
    import logging

    class SignalOnWrite(io.StringIO):
        sent = False

        def write(self, text):
            if not SignalOnWrite.sent and "stage report" in text:
                SignalOnWrite.sent = True
                os.kill(os.getpid(), signal.SIGTERM)
                sum(range(1000))              # Python runs the handler here, inside StreamHandler.emit's try
            return super().write(text)

    handler = logging.StreamHandler(SignalOnWrite())
    logging.getLogger("pipeline").addHandler(handler)
    try:
        before = snapshot(tmp_path)
        code, stdout, stderr = run_cli(["run", "--config", bundle / CONFIG, "--out", prev, "--no-map"])
    finally:
        logging.getLogger("pipeline").removeHandler(handler)
    assert SignalOnWrite.sent
    assert code == 143, stdout + stderr
    assert files_of(snapshot(tmp_path)) == files_of(before) and leftovers(tmp_path) == []


def test_sigterm_to_a_real_process_leaves_the_previous_outputs(bundle, prev, tmp_path):
    """A real process, signalled while it computes: exit 143, the previous outputs as they were."""
    before = snapshot(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", "--config", str(bundle / CONFIG),
                             "--out", str(prev), "--no-map"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:                         # the log: wait until it is computing
            if "stage load done" in line:
                break
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, stdout + stderr
    assert "interrupted by signal 15" in stderr and "Traceback" not in stderr
    assert snapshot(tmp_path) == before


# ================================================================================ one run at a time
def test_a_second_run_is_refused_while_another_process_holds_the_lock(fast, bundle, prev, run_cli, tmp_path):
    """Two processes: a helper process holds the lock as a run does (fcntl.flock on the lock file)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
                               "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()",
         str(prev / LOCK)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert_refused_untouched(run_cli, bundle, prev, fast, tmp_path, "another tumen-border run")
    finally:
        holder.communicate("")                      # closing stdin ends the holder, which frees the lock
    code, stdout, stderr = run(run_cli, bundle, prev)
    assert code == 0, stdout + stderr


def test_the_lock_is_held_while_the_run_publishes(fast, bundle, prev, run_cli, monkeypatch):
    """While the run writes, another process cannot take the lock."""
    import pipeline.export as export

    real_write_all = export.write_all
    probes = []

    def write_all(folder, **kw):
        probe = subprocess.run([sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); "
                                "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)", str(prev / LOCK)],
                               capture_output=True, text=True)
        probes.append(probe.returncode)
        return real_write_all(folder, **kw)

    monkeypatch.setattr(export, "write_all", write_all)
    code, stdout, stderr = run(run_cli, bundle, prev)
    assert code == 0, stdout + stderr
    assert probes == [1], "another process could take the lock during the run"


# ================================================================================ a failed check
def test_a_failed_check_leaves_the_previous_outputs_and_writes_failed_run(fast, computed, bundle, prev, run_cli,
                                                                          tmp_path, monkeypatch):
    import dataclasses

    import pipeline.driver as driver

    failing = dataclasses.replace(computed.checks[0], passed=False)
    monkeypatch.setattr(driver, "compute",
                        lambda cfg, timings=None: dataclasses.replace(computed, checks=(failing, *computed.checks[1:])))
    before = files_of(snapshot(prev))
    for _ in range(2):                                   # the second run replaces its own failed-run
        code, stdout, stderr = run(run_cli, bundle, prev)
        assert code == 1, stdout + stderr
        assert {k: v for k, v in files_of(snapshot(prev)).items() if not k.startswith("failed-run")} == before
        assert manifest_matches_files(prev / "failed-run")
        assert json.loads((prev / "failed-run" / "report.json").read_text())["passed"] is False
    assert leftovers(tmp_path) == []


# ================================================================================ byte-identical reruns
def test_two_runs_give_identical_bytes_in_every_file(bundle, tmp_path):
    """Two whole runs (map included) in separate processes with different hash seeds, 1.5 s apart: every
    file, the GeoPackage included, is byte-identical; the GeoPackage holds the configured timestamp."""
    from pipeline.config import load_config

    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    procs = []
    for i, seed in enumerate(("1", "2")):
        if i:
            time.sleep(1.5)                       # so that a clock-dependent timestamp would differ
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "run", "--config", str(bundle / CONFIG), "--out",
             str(tmp_path / f"run{i}"), "-q"], cwd=ROOT, env=dict(env, PYTHONHASHSEED=seed),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stdout + stderr
    a, b = tmp_path / "run0", tmp_path / "run1"
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) and {"border.gpkg", "map.png", "report.json"} <= set(names)
    differ = [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()]
    assert differ == [], f"files that differ between two runs: {differ}"
    stamp = load_config(bundle / CONFIG).output.timestamp
    with closing(sqlite3.connect(a / "border.gpkg")) as con:
        changes = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
    assert changes == {stamp}, changes


# ================================================================================ one datum path
def test_a_river_in_pulkovo_1942_gives_the_same_lines_as_in_wgs84(bundle, previous_outputs, run_cli, tmp_path):
    """The river written in EPSG:4284 (Pulkovo 1942) with pyproj's best operation for the area, run again:
    land boundary and channel lines agree with the WGS 84 run's within 1 m (the datum shift here is ~100 m)."""
    gpkg = bundle / "modelled" / "tumen_river.gpkg"
    meta, _, geoms, fields = pyogrio.raw.read(gpkg, layer="water")
    src = CRS.from_user_input(meta["crs"])
    river = shapely.from_wkb(geoms)
    w, s, e, n = 130.4, 42.05, 131.1, 42.55
    group = TransformerGroup(src, CRS.from_epsg(4284), always_xy=True, area_of_interest=AreaOfInterest(w, s, e, n))
    to_p42 = group.transformers[0]
    to_wgs = TransformerGroup(src, CRS.from_epsg(4326), always_xy=True).transformers[0]
    river_p42 = shapely.transform(river, lambda xy: np.column_stack(to_p42.transform(xy[:, 0], xy[:, 1])))
    river_wgs = shapely.transform(river, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])))
    xy_p42, xy_wgs = shapely.get_coordinates(river_p42), shapely.get_coordinates(river_wgs)
    shift = Geod(ellps="WGS84").inv(xy_p42[:, 0], xy_p42[:, 1], xy_wgs[:, 0], xy_wgs[:, 1])[2]
    assert shift.min() > 50, "the datum shift is too small here for the test to tell anything"

    gpkg.unlink()
    pyogrio.write_dataframe(__import__("geopandas").GeoDataFrame(geometry=list(river_p42), crs="EPSG:4284"),
                            gpkg, layer="water", driver="GPKG")
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(["run", "--config", bundle / CONFIG, "--out", out, "--no-map", "-q"])
    assert code == 0, stdout + stderr

    utm = CRS.from_epsg(32652)
    to_utm = TransformerGroup(CRS.from_epsg(4326), utm, always_xy=True).transformers[0]
    for layer in ("land_boundary", "channel_middle", "thalweg"):
        lines = []
        for folder in (previous_outputs, out):
            g = shapely.union_all(shapely.from_wkb(pyogrio.raw.read(folder / "border.gpkg", layer=layer)[2]))
            lines.append(shapely.transform(g, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1]))))
        d = max(farthest(lines[0], lines[1]), farthest(lines[1], lines[0]))
        assert d < 1.0, f"{layer}: {d:.3f} m between the Pulkovo 1942 and the WGS 84 run"


def farthest(a, b, step_m: float = 1.0) -> float:
    """Largest distance from points every ``step_m`` along ``a`` (vertices included) to ``b`` (planar metres)."""
    pts = shapely.points(shapely.get_coordinates(shapely.segmentize(a, step_m)))
    return float(shapely.distance(pts, b).max())


# ============================================================= hostile use: files of another run, command or user
def assert_refused(code: int, stdout: str, stderr: str, culprit: Path, needle: str) -> str:
    line = the_error(stdout, stderr)
    assert code == 2 and line.startswith(f"error: {culprit}: ") and needle in line, line
    return line


def compare_cli(run_cli, a: Path, b: Path, out: Path):
    return run_cli(["compare", a, b, "--out", out, "--config", ROOT / "inputs" / "tumen" / CONFIG])


def test_compare_into_a_folder_holding_a_run_is_refused(previous_outputs, prev, run_cli, tmp_path):
    """Before: compare moved the run's 21 files to its backup and deleted them with it."""
    before = snapshot(tmp_path)
    code, stdout, stderr = compare_cli(run_cli, previous_outputs, previous_outputs, prev)
    assert_refused(code, stdout, stderr, prev, "holds the outputs of `tumen-border run`")
    assert snapshot(tmp_path) == before


def test_run_into_a_folder_holding_a_comparison_is_refused(fast, bundle, previous_outputs, run_cli, tmp_path):
    out = tmp_path / "cmp"
    code, stdout, stderr = compare_cli(run_cli, previous_outputs, previous_outputs, out)
    assert code == 0, stdout + stderr
    assert json.loads((out / MANIFEST).read_text())["command"] == "compare"
    assert_refused_untouched(run_cli, bundle, out, fast, tmp_path, "holds the outputs of `tumen-border compare`")


def test_a_manifest_without_the_command_is_read_by_its_files(fast, bundle, previous_outputs, run_cli, tmp_path):
    """Manifests written before the command was recorded: one listing only compare files is a comparison's."""
    out = tmp_path / "cmp"
    code, stdout, stderr = compare_cli(run_cli, previous_outputs, previous_outputs, out)
    assert code == 0, stdout + stderr
    m = json.loads((out / MANIFEST).read_text())
    del m["command"]
    (out / MANIFEST).write_text(json.dumps(m))
    assert_refused_untouched(run_cli, bundle, out, fast, tmp_path, "holds the outputs of `tumen-border compare`")


@pytest.mark.parametrize("name", ["border.qgs", "report.md", "land_boundary.geojson", "border.gpkg"])
def test_an_output_edited_after_the_run_is_the_users_and_is_not_replaced(name, fast, bundle, prev, run_cli,
                                                                        tmp_path):
    """The analyst saved border.qgs in QGIS (or edited another output): a rerun refuses, naming the file; the
    choice for border.qgs is to refuse (not to write beside it), so the user decides what to keep."""
    with open(prev / name, "ab") as f:
        f.write(b"\n<!-- the analyst's edit -->\n")
    before = snapshot(tmp_path)
    code, stdout, stderr = run(run_cli, bundle, prev)
    assert_refused(code, stdout, stderr, prev / name, "changed after tumen-border wrote it")
    assert fast == [] and snapshot(tmp_path) == before


def test_an_output_edited_while_the_run_computes_is_not_replaced(fast, bundle, prev, run_cli, tmp_path,
                                                                 monkeypatch):
    """Edited after the folder check, before the publish: the publish checks again and publishes nothing."""
    import pipeline.export as export

    real_write_all = export.write_all
    mine = (prev / "border.qgs").read_bytes() + b"<!-- saved in QGIS during the run -->\n"

    def write_all(folder, **kw):
        real_write_all(folder, **kw)
        (prev / "border.qgs").write_bytes(mine)

    monkeypatch.setattr(export, "write_all", write_all)
    before = {k: v for k, v in files_of(snapshot(prev)).items() if k != "border.qgs"}
    code, stdout, stderr = run(run_cli, bundle, prev)
    assert_refused(code, stdout, stderr, prev / "border.qgs", "changed after tumen-border wrote it")
    assert (prev / "border.qgs").read_bytes() == mine
    assert {k: v for k, v in files_of(snapshot(prev)).items() if k != "border.qgs"} == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_a_geopackage_with_an_sqlite_journal_beside_it_is_not_replaced(suffix, fast, bundle, prev, run_cli,
                                                                       tmp_path):
    (prev / f"border.gpkg{suffix}").write_bytes(b"")
    before = snapshot(tmp_path)
    code, stdout, stderr = run(run_cli, bundle, prev)
    assert_refused(code, stdout, stderr, prev / f"border.gpkg{suffix}", "open in another program")
    assert fast == [] and snapshot(tmp_path) == before


def test_a_geopackage_held_open_in_wal_mode_by_another_process_is_not_replaced(fast, bundle, prev, run_cli):
    """Real: another process (as QGIS does) opens border.gpkg in WAL mode and holds a read transaction."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; con = sqlite3.connect(sys.argv[1], isolation_level=None); "
                               "con.execute('PRAGMA journal_mode=WAL'); con.execute('BEGIN'); "
                               "con.execute('SELECT count(*) FROM gpkg_contents').fetchall(); "
                               "print('open', flush=True); sys.stdin.read()", str(prev / "border.gpkg")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert (prev / "border.gpkg-wal").exists() or (prev / "border.gpkg-shm").exists()
        gpkg = (prev / "border.gpkg").read_bytes()
        code, stdout, stderr = run(run_cli, bundle, prev)
        line = the_error(stdout, stderr)
        assert code == 2 and "open in another program" in line, line
        assert fast == [] and (prev / "border.gpkg").read_bytes() == gpkg
    finally:
        holder.communicate("")


def test_the_lock_is_released_after_a_failed_check_and_after_an_error(fast, computed, bundle, prev, run_cli,
                                                                      monkeypatch):
    """After exit 1 (a check failed) and exit 2 (an error while writing), another process can take the lock."""
    import dataclasses

    import pipeline.driver as driver
    import pipeline.export as export

    def lock_free() -> bool:
        probe = subprocess.run([sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); "
                                "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)", str(prev / LOCK)])
        return probe.returncode == 0

    failing = dataclasses.replace(computed.checks[0], passed=False)
    monkeypatch.setattr(driver, "compute",
                        lambda cfg, timings=None: dataclasses.replace(computed, checks=(failing, *computed.checks[1:])))
    code, stdout, stderr = run(run_cli, bundle, prev)
    assert code == 1 and lock_free(), stdout + stderr
    monkeypatch.setattr(driver, "compute", lambda cfg, timings=None: computed)
    monkeypatch.setattr(export, "write_all", lambda folder, **kw: (_ for _ in ()).throw(OSError(errno.EIO, "I/O")))
    code, stdout, stderr = run(run_cli, bundle, prev)
    assert code == 2 and lock_free(), stdout + stderr


LONG = "x" * 300      # one name over NAME_MAX (255 on Linux file systems)


@pytest.mark.parametrize("command", ["run --out", "check OUT_DIR", "check --junit-xml", "compare --out",
                                     "compare RUN_A"])
def test_a_path_over_the_systems_limits_is_one_error_line(command, fast, bundle, previous_outputs, run_cli,
                                                          tmp_path):
    long = tmp_path / LONG / "x"
    config = ["--config", bundle / CONFIG]
    args = {"run --out": ["run", *config, "--out", long, "--no-map", "-q"],
            "check OUT_DIR": ["check", long, *config],
            "check --junit-xml": ["check", previous_outputs, *config, "--junit-xml", long],
            "compare --out": ["compare", previous_outputs, previous_outputs, "--out", long, *config],
            "compare RUN_A": ["compare", long, previous_outputs, "--out", tmp_path / "cmp", *config]}[command]
    before = snapshot(tmp_path)
    code, stdout, stderr = run_cli(args)
    line = the_error(stdout, stderr)
    assert code == 2 and "too long" in line and LONG[:60] in line, line
    assert snapshot(tmp_path) == before
