"""Shared fixtures: a writable copy of ``inputs/`` to corrupt, and a way to run the CLI.

``bundle``   -- ``tmp_path / "inputs"``: a copy of the repository's ``inputs/`` (config, coast, river,
                depth, points, reference), every file writable, so a test can break one file.
``run_cli``  -- ``run_cli(args, isolated=False) -> (exit_code, stdout, stderr)``: the CLI in-process with
                click's CliRunner, or with ``isolated=True`` as ``python -m pipeline.cli`` in a subprocess (slower,
                but stderr then holds everything a user sees, GDAL's C-level messages included).
``edit_toml`` -- ``edit_toml(path, section, key, literal)``: set (or add) ``key = literal`` in ``[section]``;
                ``literal`` is raw TOML (``'"x.shp"'``, ``'5.0'``).
"""
from __future__ import annotations

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
INPUTS = ROOT / "inputs"


def _run_cli(args, *, isolated: bool = False, timeout: float = 300) -> tuple[int, str, str]:
    """Run ``tumen-border ARGS``; return (exit code, stdout, stderr).

    In-process with click's CliRunner by default (fast: no interpreter start, no re-import of GDAL & co.);
    a traceback from an uncaught exception is appended to stderr, as Python would print it.
    ``isolated=True``: ``python -m pipeline.cli`` in a subprocess from the repository root, so stderr holds
    everything a user would see, GDAL's own C-level messages and Python warnings included.
    """
    args = [str(a) for a in args]
    if isolated:
        env = dict(os.environ, PYTHONWARNINGS="default")
        proc = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout, env=env)
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


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    dst = tmp_path / "inputs"
    shutil.copytree(INPUTS, dst, ignore=shutil.ignore_patterns("__pycache__", "*.aux.xml"))
    for p in dst.rglob("*"):
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dst


@pytest.fixture(scope="session", name="run_cli")
def _run_cli_fixture():
    return _run_cli


@pytest.fixture(scope="session", name="edit_toml")
def _edit_toml_fixture():
    return edit_toml
