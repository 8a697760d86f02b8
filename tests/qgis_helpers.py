"""Run ``tests/qgis_check.py`` under Debian's python, where QGIS (python3-qgis) lives.

QGIS is not importable from the project's python, so the check runs as a subprocess:

    proc = run_qgis_check(outdir, {"layers": {"land_boundary": {"count": 1, "geom": "Line", ...}, ...},
                                   "order": [...]})
    assert proc.returncode == 0, proc.stdout + proc.stderr

(the expected JSON is described in ``tests/qgis_check.py``).

Call :func:`qgis_unavailable` first and skip when it returns a reason.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

QGIS_PYTHON = "/usr/bin/python3"
CHECK_SCRIPT = Path(__file__).resolve().with_name("qgis_check.py")


def _clean_env(tmp: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "PYENV", "VIRTUAL_ENV", "CONDA"))}
    env.update({
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": tmp,             # Qt wants a private runtime dir
        "QGIS_CUSTOM_CONFIG_PATH": tmp,     # keep QGIS's profile/settings out of $HOME
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


@lru_cache(maxsize=1)
def qgis_unavailable() -> str | None:
    """None when ``/usr/bin/python3 -c "import qgis.core"`` works, else the reason it does not."""
    if not Path(QGIS_PYTHON).exists():
        return f"{QGIS_PYTHON} not found"
    with tempfile.TemporaryDirectory(prefix="qgis-probe-") as tmp:
        os.chmod(tmp, 0o700)
        try:
            p = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True,
                               env=_clean_env(tmp), timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{QGIS_PYTHON} -c 'import qgis.core' failed: {exc}"
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["?"])[-1]
        return f"QGIS python bindings not importable by {QGIS_PYTHON} (apt package python3-qgis): {tail}"
    return None


def run_qgis_check(outdir: str | Path, expected: dict, *, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the QGIS check on ``outdir`` (holding border.gpkg and border.qgs).

    ``expected``: what QGIS must find (see ``tests/qgis_check.py``). The returned process has text
    stdout/stderr; the last stdout line is a JSON summary (see :func:`summary`).
    """
    with tempfile.TemporaryDirectory(prefix="qgis-check-") as tmp:
        os.chmod(tmp, 0o700)
        return subprocess.run(
            [QGIS_PYTHON, str(CHECK_SCRIPT), str(Path(outdir).resolve()), json.dumps(expected)],
            capture_output=True, text=True, env=_clean_env(tmp), timeout=timeout, cwd=tmp)


def summary(proc: subprocess.CompletedProcess) -> dict:
    """The JSON summary printed on the last stdout line of the check ({} if there is none)."""
    lines = proc.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        return {}


def run_qgis_script(script: str | Path, args: list[str], *, env: dict[str, str] | None = None,
                    timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``script ARGS`` under Debian's python with QGIS's headless settings (``env`` added to them)."""
    with tempfile.TemporaryDirectory(prefix="qgis-script-") as tmp:
        os.chmod(tmp, 0o700)
        return subprocess.run([QGIS_PYTHON, str(script), *map(str, args)], capture_output=True, text=True,
                              env={**_clean_env(tmp), **(env or {})}, timeout=timeout, cwd=tmp)
