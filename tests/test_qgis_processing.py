"""The QGIS plugin ``qgis_plugin/tumen_border_processing``: its zip, its subprocess runner, and its Processing
algorithms run in real QGIS 3.22, headless.

The zip is built with ``scripts/build_qgis_plugin.py`` and unzipped into a temporary plugin folder; Debian's
python (where QGIS lives) then imports the plugin from there as QGIS does and runs every algorithm on the bundled
case (``tests/qgis_processing_check.py``). The algorithms run this repository's ``pipeline.cli`` through
$TUMEN_BORDER. Skipped, with the reason, only when QGIS is not importable by /usr/bin/python3.
"""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from qgis_helpers import qgis_unavailable, run_qgis_script, summary

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "inputs" / "tumen" / "tumen.toml"
BUILD = ROOT / "scripts" / "build_qgis_plugin.py"
CHECK_SCRIPT = Path(__file__).resolve().with_name("qgis_processing_check.py")
PLUGIN = "tumen_border_processing"
STEPS = ["provider", "compute border", "check a run", "check a run, failing", "compute border, middle line, failing check",
         "compare two runs", "missing config", "missing river", "missing command", "cancel"]

sys.path.insert(0, str(ROOT / "qgis_plugin"))
from tumen_border_processing import runner  # noqa: E402  (plain Python: no qgis import)


def build(out: Path) -> Path:
    proc = subprocess.run([sys.executable, BUILD, "--out", out], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return out


def this_checkout_command() -> str:
    """A TUMEN_BORDER value that runs this checkout's pipeline.cli with this test's python (not the one on PATH)."""
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from pipeline.cli import main; main()"
    return shlex.join([sys.executable, "-c", code])


# --------------------------------------------------------------------------------------------- the zip
def test_zip_is_deterministic_and_installable(tmp_path):
    a, b = build(tmp_path / "a.zip"), build(tmp_path / "b.zip")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        names = zf.namelist()
        meta = zf.read(f"{PLUGIN}/metadata.txt").decode("utf-8")
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert names == sorted(names) and all(n.startswith(f"{PLUGIN}/") for n in names)   # one folder at the root
    assert {f"{PLUGIN}/{f}" for f in ("__init__.py", "plugin.py", "provider.py", "algorithms.py", "runner.py",
                                       "metadata.txt", "icon.svg")} <= set(names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    fields = dict(line.split("=", 1) for line in meta.splitlines() if "=" in line)
    for key in ("name", "description", "about", "version", "author", "email", "repository", "license"):
        assert fields.get(key, "").strip(), key
    assert fields["qgisMinimumVersion"] == "3.22" and fields["hasProcessingProvider"] == "yes"
    assert fields["version"] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


# ---------------------------------------------------------------------------- the runner, without QGIS
def test_command_resolution(tmp_path):
    env = {"PATH": os.environ["PATH"]}
    assert runner.resolve_command(f"{sys.executable} -m pipeline.cli", env) == [sys.executable, "-m",
                                                                                "pipeline.cli"]
    env[runner.ENV_COMMAND] = shlex.join([sys.executable, "-c", "print('a b')"])
    assert runner.resolve_command("", env) == [sys.executable, "-c", "print('a b')"]
    assert runner.resolve_command("python3", env)[0] == runner.shutil.which("python3")   # the parameter wins
    with pytest.raises(runner.CommandNotFound, match="no-such"):
        runner.resolve_command(str(tmp_path / "no-such"), env)
    with pytest.raises(runner.CommandNotFound, match="TUMEN_BORDER"):
        runner.resolve_command("", {"PATH": str(tmp_path)})


@pytest.mark.parametrize("value", [r"C:\data\river.gpkg", "/tmp/it's here.gpkg", "/a/\"quoted\"\\b", "1.5", ""])
def test_toml_string_reads_back(value):
    assert tomllib.loads(f"v = {runner.toml_string(value)}")["v"] == value


def test_extra_sets_and_layer_names():
    assert runner.extra_sets("a.b=1  'inputs.river_layer=\"\"'\nc.d=x y=2 # note") == [
        "a.b=1", 'inputs.river_layer=""', "c.d=x", "y=2"]
    with pytest.raises(ValueError, match="not KEY=VALUE"):
        runner.extra_sets("a.b=1 oops")
    assert runner.split_file_layer("/d/r.gpkg|layername=water") == ("/d/r.gpkg", "water")
    assert runner.split_file_layer("/d/r.tif") == ("/d/r.tif", None)
    env = runner.child_env({"PYTHONHOME": "/qgis/python", "PYTHONPATH": "/qgis", "PATH": "/bin"})
    assert "PYTHONHOME" not in env and "PYTHONPATH" not in env and env["PYTHONIOENCODING"] == "utf-8"


def test_run_streams_lines_and_cancels():
    code = ("import sys, time; print('PASS  a: ok', flush=True); print('error: x: bad', file=sys.stderr, "
            "flush=True); print('FAIL  b: no', flush=True); sys.exit(1)")
    got = []
    out = runner.run([sys.executable, "-c", code], on_stdout=lambda s: got.append(("out", s)),
                     on_stderr=lambda s: got.append(("err", s)), is_canceled=lambda: False)
    assert out.code == 1 and not out.canceled
    assert sorted(got) == [("err", "error: x: bad"), ("out", "FAIL  b: no"), ("out", "PASS  a: ok")]
    assert out.checks == ["PASS  a: ok", "FAIL  b: no"] and out.failed == ["FAIL  b: no"]
    assert out.error_line == "error: x: bad"

    seen = []
    t0 = time.monotonic()
    out = runner.run([sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"],
                     on_stdout=seen.append, on_stderr=seen.append, is_canceled=lambda: bool(seen))
    assert out.canceled and out.code == -signal.SIGTERM and time.monotonic() - t0 < 10


def test_stage_progress():
    assert runner.stage_progress("03:36:11 INFO    stage load done in 0.69 s") == pytest.approx(100 / 11)
    assert runner.stage_progress("03:36:13 INFO    stage export done in 0.56 s") == pytest.approx(1000 / 11)
    assert runner.stage_progress("stage load ...") is None and runner.stage_progress("stage nope done") is None


# ------------------------------------------------------------------------------------------ QGIS itself
def test_processing_algorithms_in_qgis(tmp_path):
    reason = qgis_unavailable()
    if reason:
        pytest.skip(reason)
    plugins, work = tmp_path / "plugins", tmp_path / "work"
    work.mkdir()
    with zipfile.ZipFile(build(tmp_path / "plugin.zip")) as zf:
        zf.extractall(plugins)                     # as QGIS's "Install from ZIP" does
    proc = run_qgis_script(CHECK_SCRIPT, [plugins, work, CONFIG],
                           env={runner.ENV_COMMAND: this_checkout_command()}, timeout=300)
    log = f"exit {proc.returncode}\nSTDOUT:\n{proc.stdout}\nSTDERR:\n{proc.stderr[-4000:]}"
    s = summary(proc)
    assert proc.returncode == 0 and s.get("ok") is True, log
    assert s["qgis"].startswith("3.") and s["plugin"] == str(plugins / PLUGIN), log
    assert list(s["steps"]) == STEPS and all(v["ok"] for v in s["steps"].values()), log
