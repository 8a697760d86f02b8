"""The one exception type a user sees: bad input, named by file and problem (CLI exit code 2)."""
from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input: ``path`` is the file at fault (or None), ``problem`` a one-line description."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = one_line(problem)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.path}: {self.problem}" if self.path is not None else self.problem


def one_line(text: str) -> str:
    """Collapse a (possibly multi-line, e.g. GDAL's) message to one line, so the CLI prints exactly one."""
    return " | ".join(part.strip() for part in str(text).splitlines() if part.strip()) or "no detail"
