"""Progress lines of long stages, in one place: while a stage runs longer than :data:`AFTER_S` seconds, one
INFO line every :data:`EVERY_S` seconds at most, with the stage's name, its elapsed time and the counts its
long loops report (``stage channel_lines: 12 s, Voronoi tiles 120/800``).

The driver wraps each stage in :func:`running`; a long loop anywhere below it reports its count through the
function :func:`counter` returns (cheap: it only stores the count). A daemon thread writes the lines, so a
stage with no loop to count (one long library call) still says it is alive. Nothing is started when the
``pipeline`` logger does not show INFO (``-q``), and a count outside a stage is dropped.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

log = logging.getLogger("pipeline.progress")

AFTER_S = 3.0      # a stage that ends sooner prints nothing
EVERY_S = 2.0      # at most one line per this many seconds
TICK_S = 0.25      # how often the writer looks at the clock


@dataclass
class _Stage:
    """The stage running now: its name, start (``time.perf_counter``) and the counts of its loops."""

    name: str
    t0: float
    counts: dict[str, tuple[int, int | None]] = field(default_factory=dict)

    def line(self, now: float) -> str:
        """``stage <name>: <elapsed> s[, <what> <done>/<total>]...``"""
        said = [f"{what} {done}/{total}" if total else f"{what} {done}" for what, (done, total) in
                dict(self.counts).items()]
        return ", ".join([f"stage {self.name}: {now - self.t0:.0f} s", *said])


_current: _Stage | None = None


def _write(state: _Stage, stop: threading.Event, after_s: float, every_s: float) -> None:
    """The writer thread: a line when the stage has run ``after_s`` s, then every ``every_s`` s, until
    ``stop``."""
    last = None
    while not stop.wait(TICK_S):
        now = time.perf_counter()
        if now - state.t0 >= after_s and (last is None or now - last >= every_s):
            log.info("%s", state.line(now))
            last = now


@contextmanager
def running(name: str, *, after_s: float | None = None, every_s: float | None = None) -> Iterator[None]:
    """Write progress lines while the stage ``name`` runs (nothing when INFO is not shown).

    Parameters
    ----------
    name : str
        The stage's name, as the driver logs it.
    after_s : float, optional
        Seconds before the first line (s); default :data:`AFTER_S`.
    every_s : float, optional
        Least seconds between two lines (s); default :data:`EVERY_S`.

    Yields
    ------
    None
        Progress is written (by a daemon thread) until the block ends.
    """
    global _current
    if not log.isEnabledFor(logging.INFO):
        yield
        return
    after_s, every_s = (AFTER_S if after_s is None else after_s), (EVERY_S if every_s is None else every_s)
    state, stop = _Stage(name, time.perf_counter()), threading.Event()
    writer = threading.Thread(target=_write, args=(state, stop, after_s, every_s), daemon=True,
                              name=f"progress {name}")
    previous, _current = _current, state
    writer.start()
    try:
        yield
    finally:
        stop.set()
        writer.join()
        _current = previous


def counter(what: str) -> Callable[[int, int | None], None]:
    """A function a long loop calls with its count, shown in the running stage's progress lines.

    Parameters
    ----------
    what : str
        What is counted, e.g. "Voronoi tiles".

    Returns
    -------
    callable
        ``tick(done, total=None)``: ``done`` of ``total`` items so far; does nothing outside a stage or when
        the progress lines are off.
    """
    state = _current

    def tick(done: int, total: int | None = None) -> None:
        if state is not None:
            state.counts[what] = (done, total)
    return tick
