"""Run the ``tumen-border`` command as a subprocess: find it, build its arguments, stream its output.

Plain Python (no ``qgis`` import), so it can be tested without QGIS. The QGIS side is in ``algorithms.py``.
"""
from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ENV_COMMAND = "TUMEN_BORDER"            # the command, e.g. "/opt/venv/bin/tumen-border" or "python -m pipeline.cli"
ENV_CONFIG = "TUMEN_BORDER_CONFIG"      # a default configuration file for "Compute border"
# QGIS's own Python settings: wrong for another interpreter (OSGeo4W sets PYTHONHOME to QGIS's Python)
DROPPED_ENV = ("PYTHONHOME", "PYTHONPATH")
CHECK_LINE = re.compile(r"^(PASS|FAIL)\s+(\S+?):")
# the stages `tumen-border run` logs ("stage NAME done in ..."), in order: progress of Compute border
STAGES = ("load", "channel_lines", "tripoint", "land_boundary", "maritime", "reference", "checks", "report",
          "layers", "export")
STAGE_DONE = re.compile(r"\bstage (\w+) done\b")


class CommandNotFound(Exception):
    """No ``tumen-border`` command: not given, not in the environment, not on PATH."""


def resolve_command(given: str = "", env: dict | None = None) -> list[str]:
    """The command as an argument list: ``given`` (the algorithm's parameter), else $TUMEN_BORDER, else PATH.

    A value is split like a shell would (``shlex``), so it may be a program with arguments:
    ``/opt/venv/bin/python -m pipeline.cli``. Its first word is looked up on PATH when it is not a path.
    """
    env = os.environ if env is None else env
    for source, value in (("the command parameter", given), (f"${ENV_COMMAND}", env.get(ENV_COMMAND, ""))):
        value = (value or "").strip()
        if not value:
            continue
        words = shlex.split(value, posix=os.name != "nt")
        if os.name == "nt":
            words = [w[1:-1] if len(w) > 1 and w[0] == w[-1] == '"' else w for w in words]
        program = words[0]
        found = program if Path(program).is_file() else shutil.which(program, path=env.get("PATH"))
        if not found:
            raise CommandNotFound(f"{source} names {program!r}, which is not a file nor on PATH")
        return [found, *words[1:]]
    found = shutil.which("tumen-border", path=env.get("PATH"))
    if not found:
        raise CommandNotFound(
            "the tumen-border command was not found on PATH; install the project (pip install -e .) in some "
            f"Python and give the command in the algorithm's advanced parameter, or set ${ENV_COMMAND} "
            "(e.g. /path/to/venv/bin/tumen-border)")
    return [found]


def toml_string(value: str) -> str:
    """``value`` as a TOML string for ``--set KEY=VALUE`` (a literal string keeps Windows backslashes)."""
    if "'" not in value and "\n" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def split_file_layer(value: str) -> tuple[str, str | None]:
    """``path|layername=NAME`` (as QGIS writes a layer of a GeoPackage) -> (path, NAME); a plain path -> (path, None)."""
    path, sep, rest = value.partition("|")
    if not sep:
        return value, None
    for part in rest.split("|"):
        key, _, name = part.partition("=")
        if key.strip().lower() == "layername":
            return path, name
    return path, None


def extra_sets(text: str) -> list[str]:
    """The free "extra --set" text: KEY=VALUE items separated by spaces or new lines, quoted like a shell."""
    items = shlex.split(text or "", comments=True)
    bad = [i for i in items if "=" not in i or not i.partition("=")[0].strip()]
    if bad:
        raise ValueError(f"extra settings: {bad[0]!r} is not KEY=VALUE (e.g. official.land_tolerance_m=300)")
    return items


def child_env(env: dict | None = None) -> dict[str, str]:
    """The environment of the subprocess: QGIS's, without its Python settings, with UTF-8 output."""
    env = dict(os.environ if env is None else env)
    for k in DROPPED_ENV:
        env.pop(k, None)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@dataclass
class Outcome:
    code: int
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    canceled: bool = False

    @property
    def checks(self) -> list[str]:
        """The check lines (``PASS  name: ...`` / ``FAIL  name: ...``) the command printed."""
        return [line for line in self.stdout if CHECK_LINE.match(line)]

    @property
    def failed(self) -> list[str]:
        return [line for line in self.checks if line.startswith("FAIL")]

    @property
    def error_line(self) -> str | None:
        """The command's one-line ``error: ...`` message (exit 2), if it printed one."""
        return next((line for line in self.stderr if line.startswith("error:")), None)


def run(cmd: list[str], *, on_stdout: Callable[[str], None], on_stderr: Callable[[str], None],
        is_canceled: Callable[[], bool], cwd: str | None = None, env: dict | None = None,
        poll_s: float = 0.1, grace_s: float = 15.0) -> Outcome:
    """Run ``cmd``, passing each output line to ``on_stdout`` / ``on_stderr`` as it comes (in the caller's thread).

    When ``is_canceled()`` turns true the process gets SIGTERM (``tumen-border`` then leaves the output folder as
    it was and exits 143), and SIGKILL after ``grace_s`` seconds.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            cwd=cwd, env=child_env(env), text=True, encoding="utf-8", errors="replace",
                            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    lines: queue.Queue = queue.Queue()

    def pump(stream, tag):
        for line in stream:
            lines.put((tag, line.rstrip("\r\n")))
        lines.put((tag, None))

    threads = [threading.Thread(target=pump, args=(s, t), daemon=True)
               for s, t in ((proc.stdout, "out"), (proc.stderr, "err"))]
    for t in threads:
        t.start()
    out = Outcome(code=0)
    open_streams, canceled_at = 2, None
    while open_streams:
        if canceled_at is None and is_canceled():
            out.canceled, canceled_at = True, time.monotonic()
            proc.terminate()
        elif canceled_at is not None and proc.poll() is None and time.monotonic() - canceled_at > grace_s:
            proc.kill()
        try:
            tag, line = lines.get(timeout=poll_s)
        except queue.Empty:
            continue
        if line is None:
            open_streams -= 1
        elif tag == "out":
            out.stdout.append(line)
            on_stdout(line)
        else:
            out.stderr.append(line)
            on_stderr(line)
    out.code = proc.wait()
    for t in threads:
        t.join()
    proc.stdout.close()
    proc.stderr.close()
    return out


def stage_progress(line: str) -> float | None:
    """Percent done after a ``stage NAME done`` log line of ``tumen-border run``, else None."""
    m = STAGE_DONE.search(line)
    if not m or m.group(1) not in STAGES:
        return None
    return 100.0 * (STAGES.index(m.group(1)) + 1) / (len(STAGES) + 1)    # the last step (the map) is not a stage


def find_default_config(env: dict | None = None, here: Path | None = None) -> str:
    """A default configuration for "Compute border": $TUMEN_BORDER_CONFIG, else ``inputs/tumen/tumen.toml`` of the
    repository the plugin sits in (run from a checkout), else ``inputs/tumen/tumen.toml`` in the current folder, else ""."""
    env = os.environ if env is None else env
    if env.get(ENV_CONFIG):
        return env[ENV_CONFIG]
    here = Path(__file__).resolve() if here is None else here
    for folder in [*list(here.parents)[:4], Path.cwd()]:
        candidate = folder / "inputs" / "tumen" / "tumen.toml"
        if candidate.is_file():
            return str(candidate)
    return ""
