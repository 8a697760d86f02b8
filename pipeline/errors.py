"""The exceptions a user can meet, and how each maps to an exit code (see :mod:`pipeline.cli`).

``InputError``   bad input, named by the file at fault and the problem (exit 2)
``OutputError``  the output folder cannot be used or written (exit 2)
``GeometryError`` raised by the geometry stages when readable inputs cannot give a border; the driver
                 turns it into an ``InputError`` naming the input it came from (the stages read no files
                 and do not know file names)
``Interrupted``  SIGINT or SIGTERM arrived (exit 130 / 143); raised so that every ``finally`` runs
"""
from __future__ import annotations

from pathlib import Path


def one_line(text: object) -> str:
    """Collapse a (possibly multi-line, e.g. GDAL's) message to one line, so the CLI prints exactly one.

    Parameters
    ----------
    text : object
        A message or an exception (its ``str``).

    Returns
    -------
    str
        Its non-blank lines, stripped and joined with " | "; "no detail" when there are none.
    """
    return " | ".join(part.strip() for part in str(text).splitlines() if part.strip()) or "no detail"


class PipelineError(Exception):
    """Base class of the errors a user meets: a file or folder at fault and a one-line problem (exit 2).

    Parameters
    ----------
    path : str, Path or None
        The file or folder at fault (None: none, e.g. an environment variable).
    problem : str
        What is wrong; collapsed to one line (:func:`one_line`).
    """

    exit_code = 2

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = one_line(problem)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """``<path>: <problem>``, or the problem alone without a path: the line the CLI prints."""
        return f"{self.path}: {self.problem}" if self.path is not None else self.problem


class InputError(PipelineError):
    """Bad input: a file that is missing, unreadable, or whose content cannot give a border."""


class OutputError(PipelineError):
    """The output folder is unusable (a file, read-only, an input folder, locked, disk full ...)."""


class GeometryError(ValueError):
    """Readable inputs whose geometry cannot give a border (no river mouth, no wet path, ...).

    The driver turns it into an :class:`InputError` naming the file of ``role``.

    Parameters
    ----------
    role : str
        The input the problem comes from: "river", "depth", "coast", "points", "reference" or "config".
    problem : str
        What is wrong; collapsed to one line (:func:`one_line`).
    """

    def __init__(self, role: str, problem: str):
        self.role = role
        self.problem = one_line(problem)
        super().__init__(self.problem)


class Interrupted(BaseException):   # like KeyboardInterrupt: no `except Exception` (logging's!) may swallow it
    """A termination signal arrived; raised so that every ``finally`` runs (exit code 128 + signum).

    Parameters
    ----------
    signum : int
        The signal's number (2: SIGINT, 15: SIGTERM).
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by signal {signum}")

    @property
    def exit_code(self) -> int:
        """128 + the signal's number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum
