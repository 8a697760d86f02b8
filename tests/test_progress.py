"""Progress lines of long stages (:mod:`pipeline.progress`, issue 24): a slow stage says it is alive, with the
counts its loops report, at most every ``EVERY_S`` seconds; ``-q`` prints none; nothing outlives its stage."""
from __future__ import annotations

import logging
import re
import threading
import time

import pytest

from conftest import INPUTS  # tests/ is on sys.path
from pipeline import driver, progress

LINE = re.compile(r"stage (\w+): (\d+) s")


@pytest.fixture
def fast_clock(monkeypatch):
    """Progress lines after 0.2 s, then every 0.3 s (the writer looks every 20 ms)."""
    monkeypatch.setattr(progress, "AFTER_S", 0.2)
    monkeypatch.setattr(progress, "EVERY_S", 0.3)
    monkeypatch.setattr(progress, "TICK_S", 0.02)


def test_a_slow_stage_prints_its_progress_and_counts(fast_clock, caplog):
    caplog.set_level(logging.INFO, logger="pipeline")
    timings: dict[str, float] = {}
    with driver.stage("slow", timings):
        tick = progress.counter("tiles")
        for k in range(12):
            time.sleep(0.1)
            tick(k + 1, 12)
    lines = [r.getMessage() for r in caplog.records if r.name == "pipeline.progress"]
    assert 2 <= len(lines) <= 5, lines                          # 1.2 s: after 0.2 s, then every 0.3 s at most
    assert all(LINE.match(m) and m.startswith("stage slow:") for m in lines)
    assert re.search(r"tiles \d+/12", lines[-1])
    assert not [t for t in threading.enumerate() if t.name.startswith("progress")]   # the writer has stopped
    assert timings["slow"] >= 1.2


def test_a_short_stage_prints_nothing_and_counts_outside_a_stage_are_dropped(caplog):
    caplog.set_level(logging.INFO, logger="pipeline")
    progress.counter("nothing")(1, 2)                           # no stage: a no-op
    with driver.stage("short", {}):
        progress.counter("items")(1, 1)
    assert not [r for r in caplog.records if r.name == "pipeline.progress"]


def test_quiet_prints_no_progress(fast_clock, run_cli, tmp_path):
    """The same run prints progress lines at the default level and none with ``-q`` (no writer started)."""
    runs = {}
    for flag in ("", "-q"):
        code, _, stderr = run_cli(["run", "--config", INPUTS / "tumen.toml", "--out", tmp_path / f"out{flag}",
                                   "--no-map", *([flag] if flag else [])])
        assert code == 0, stderr
        runs[flag] = [ln for ln in stderr.splitlines() if LINE.search(ln)]
    assert runs[""] and not runs["-q"]
