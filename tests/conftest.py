"""Shared fixtures: a writable copy of ``inputs/`` to corrupt, a way to run the CLI, and a finished run.

``bundle``   -- ``tmp_path / "inputs"``: a copy of the repository's ``inputs/`` (config, coast, river,
                depth, points, reference), every file writable, so a test can break one file.
``run_cli``  -- ``run_cli(args, isolated=False, env=None) -> (exit_code, stdout, stderr)``: the CLI in-process
                with click's CliRunner, or with ``isolated=True`` as ``python -m pipeline.cli`` in a subprocess
                (slower, but stderr then holds everything a user sees, GDAL's C-level messages included;
                ``env`` adds environment variables to the subprocess).
``edit_toml`` -- ``edit_toml(path, section, key, literal)``: set (or add) ``key = literal`` in ``[section]``;
                ``literal`` is raw TOML (``'"x.shp"'``, ``'5.0'``).
``previous_outputs`` -- (session) the output folder of one finished ``run --no-map`` on a pristine copy of
                ``inputs/``: manifest, lock and every file a run writes. Copy it with :func:`copy_outputs`
                before changing anything; never write into it.
``bundled_case`` -- (session) (layers, config, report, style table) of the bundled inputs, computed in-process
                as a run computes them (driver -> report -> layers); nothing is written. Do not modify them.
``snapshot(root)`` -- every path under ``root`` with its type, size, mtime (ns) and SHA-256: equal snapshots
                mean nothing was created, removed, written or touched.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "inputs" / "tumen"


def _run_cli(args, *, isolated: bool = False, timeout: float = 300,
             env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``tumen-border ARGS``; return (exit code, stdout, stderr).

    In-process with click's CliRunner by default (fast: no interpreter start, no re-import of GDAL & co.);
    a traceback from an uncaught exception is appended to stderr, as Python would print it.
    ``isolated=True``: ``python -m pipeline.cli`` in a subprocess from the repository root, so stderr holds
    everything a user would see, GDAL's own C-level messages and Python warnings included.
    """
    args = [str(a) for a in args]
    if isolated:
        full_env = dict(os.environ, PYTHONWARNINGS="default", **(env or {}))
        proc = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout, env=full_env)
        return proc.returncode, proc.stdout, proc.stderr

    from click.testing import CliRunner

    from pipeline.cli import main

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:  # the CLI's logging.basicConfig(force=True) points the root logger at the runner's stream
        result = CliRunner().invoke(main, args, catch_exceptions=True)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(*result.exc_info)[1:])
    return result.exit_code, result.stdout, stderr


def edit_toml(path: Path, section: str, key: str, literal: str) -> None:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    current, header_at, done = None, None, False
    for i, line in enumerate(lines):
        m = re.match(r"\s*\[([^\]]+)\]\s*(#.*)?$", line)
        if m:
            current = m.group(1).strip()
            if current == section:
                header_at = i
            continue
        if current == section and re.match(rf"\s*{re.escape(key)}\s*=", line):
            lines[i] = f"{key} = {literal}"
            done = True
    if not done:
        if header_at is None:
            lines += ["", f"[{section}]", f"{key} = {literal}"]
        else:
            lines.insert(header_at + 1, f"{key} = {literal}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under ``root`` (``root`` included): (type, size, mtime_ns, sha256 of a file's bytes).

    Folders are included with their mtime, so a file created and removed again inside them shows too.
    """
    out = {}
    root = Path(root)
    for p in [root, *sorted(root.rglob("*"))]:
        st = p.lstat()
        if stat.S_ISREG(st.st_mode):
            out[str(p.relative_to(root))] = ("file", st.st_size, st.st_mtime_ns,
                                             hashlib.sha256(p.read_bytes()).hexdigest())
        elif stat.S_ISLNK(st.st_mode):
            out[str(p.relative_to(root))] = ("link", os.readlink(p), st.st_mtime_ns, None)
        else:
            out[str(p.relative_to(root))] = ("dir", None, st.st_mtime_ns, None)
    return out


def copy_outputs(src: Path, dst: Path) -> Path:
    """A copy of a finished run's output folder at ``dst`` (bytes and mtimes kept)."""
    shutil.copytree(src, dst, copy_function=shutil.copy2)
    return dst


def copy_inputs(dst: Path) -> Path:
    shutil.copytree(INPUTS, dst, ignore=shutil.ignore_patterns("__pycache__", "*.aux.xml"))
    for p in dst.rglob("*"):
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dst


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return copy_inputs(tmp_path / "inputs")


@pytest.fixture(scope="session", name="run_cli")
def _run_cli_fixture():
    return _run_cli


@pytest.fixture(scope="session", name="edit_toml")
def _edit_toml_fixture():
    return edit_toml


@pytest.fixture(scope="session")
def previous_outputs(tmp_path_factory) -> Path:
    """A finished ``run --no-map`` of the bundled inputs (a pristine copy): the folder it published."""
    base = tmp_path_factory.mktemp("previous")
    bundle = copy_inputs(base / "inputs")
    out = base / "out"
    code, stdout, stderr = _run_cli(["run", "--config", bundle / "tumen.toml", "--out", out, "--no-map", "-q"])
    assert code == 0, stdout + stderr
    return out


@pytest.fixture(scope="session")
def bundled_case():
    """(layers, config, report, style table) of the bundled case, computed in-process as a run does."""
    from pipeline import driver, export, report, styles
    from pipeline.config import load_config
    from pipeline.layers import build_layers

    cfg = load_config(INPUTS / "tumen.toml")
    results = driver.compute(cfg)
    rep = report.build_report(results, cfg, software=export.software_versions())
    return build_layers(results, cfg, rep), cfg, rep, styles.style_table(cfg)
