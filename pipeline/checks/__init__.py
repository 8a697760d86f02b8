"""Stage 5 -- checks: every check is defined once, here, and everything else follows from the definition.

A check is a :class:`CheckDef`, registered with :func:`check`: its name, its kind (``within`` a target, or
``at most`` a limit), its unit, where its target and tolerance come from (config keys), what it measures and
what error it would catch, and up to two ways to measure its figure:

``results``
    a function of the typed results of a run (:class:`~pipeline.model.Results`) and the config; ``tumen-border
    run`` judges it, and its value is the figure the report states;
``files``
    a function of a finished run's files (:class:`pipeline.verify.RunFiles`) and the config; ``tumen-border
    check`` re-measures and judges it. A check with only ``files`` is a check of the files themselves
    (as written, consistent with one another).

``run``, ``report.json`` / ``report.md``, ``check`` and its JUnit file all come from the rows
:func:`judge` makes of the definitions, in registration order. A figure is a number, ``None`` (the check does
not apply: no row), a :class:`Measured` (a number with a note the detail text shows), or for a check made per
key (per side, per channel line, per segment ...) a dict of those, one row ``<name>_<key>`` per key.

The built-in checks live in the modules of this package, one theme each (:data:`BUILT_IN`). Another package
adds checks by registering them in a module named by an entry point of the group ``tumen_border.checks``
(loaded once, after the built-ins, like rasterio's ``rio`` plugins); :func:`register` is the API it calls.
Adding a check touches one module of this package (or of a plugin) plus its test.
"""
from __future__ import annotations

import importlib
import logging
import math
from dataclasses import dataclass
from typing import Any, Callable, Literal, Union

from ..model import Check

log = logging.getLogger(__name__)

#: the modules of the built-in checks, in the order their checks are reported
BUILT_IN = ("boundary", "maritime", "tripoint", "inputs", "files")
#: the entry-point group a plugin registers its check modules under
ENTRY_POINT_GROUP = "tumen_border.checks"


@dataclass(frozen=True)
class Measured:
    """A figure with a note for the check's detail text (e.g. which line, which two points).

    Parameters
    ----------
    value : float
        The figure, in the check's unit.
    note : str
        Shown in the check's detail where the text has ``{note}``.
    """

    value: float
    note: str = ""


Value = Union[float, int, Measured, None]
Figure = Union[Value, dict[str, Value]]
Setting = Union[str, float, Callable[[Any, str], Any], None]


@dataclass(frozen=True)
class CheckDef:
    """One check, as registered (see the module docstring).

    Parameters
    ----------
    name : str
        The check's name; a check measured per key emits ``<name>_<key>``.
    kind : {"within", "at most"}
        ``within``: |value - target| <= tolerance (fails too long and too short); ``at most``: value <= tolerance.
    unit : str
        Unit of the value, target and tolerance ("m", "deg", "ppm", "lines" ...).
    tolerance : str, float or callable
        A config key ("section.field"), a number, or ``f(cfg, key) -> float``.
    detail, catches : str or callable
        What is measured, and what error the check would catch. A string may use ``{key}`` (the per-key key),
        ``{note}`` (the :class:`Measured` note) and ``{cfg}``; a callable is ``f(cfg, key, note) -> str``.
    results, files : callable or None
        ``f(results, cfg) -> Figure`` and ``f(run_files, cfg) -> Figure`` (see the module docstring).
    target : str, float, callable or None
        ``within`` checks only: the target, as ``tolerance``; a target of None means "not published": no row.
    applies : callable or None
        ``f(cfg) -> bool``: whether the config asks for the check at all (default: always).
    absolute : bool
        Judge |value| (a signed figure that fails both ways).
    """

    name: str
    kind: Literal["within", "at most"]
    unit: str
    tolerance: Setting
    detail: Any
    catches: Any
    results: Callable | None = None
    files: Callable | None = None
    target: Setting = 0.0
    applies: Callable | None = None
    absolute: bool = False


_REGISTRY: dict[str, CheckDef] = {}
_loaded = False


def register(definition: CheckDef) -> CheckDef:
    """Add a check to the registry (after those registered before it).

    Parameters
    ----------
    definition : CheckDef
        The check; its name must be new.

    Returns
    -------
    CheckDef
        ``definition``, unchanged.
    """
    if definition.name in _REGISTRY:
        raise ValueError(f"a check named {definition.name!r} is already registered")
    _REGISTRY[definition.name] = definition
    return definition


def unregister(name: str) -> None:
    """Remove a check from the registry (tests, and plugins that replace a check).

    Parameters
    ----------
    name : str
        The check's registered name; nothing happens when there is none.
    """
    _REGISTRY.pop(name, None)


def check(name: str, *, kind: Literal["within", "at most"] = "at most", unit: str = "m", tolerance: Setting,
          detail: Any, catches: Any, target: Setting = 0.0, applies: Callable | None = None,
          absolute: bool = False) -> Callable[[Callable], CheckDef]:
    """Decorator: register a check whose ``results`` figure is the decorated function.

    Parameters
    ----------
    name, kind, unit, tolerance, detail, catches, target, applies, absolute
        As :class:`CheckDef` (``kind`` "at most" and ``unit`` "m" by default).

    Returns
    -------
    callable
        The decorator: ``f(results, cfg) -> figure`` in, the registered :class:`CheckDef` out (set its
        ``files`` figure with :func:`from_files`).
    """
    def wrap(fn: Callable | None) -> CheckDef:
        return register(CheckDef(name, kind, unit, tolerance, detail, catches, fn, None, target, applies, absolute))
    return wrap


def files_check(name: str, **kw: Any) -> Callable[[Callable], CheckDef]:
    """Decorator: register a check measured only on a run's files (``tumen-border check``).

    Parameters
    ----------
    name : str
        The check's name.
    **kw
        As :func:`check` (``tolerance``, ``detail``, ``catches``, ``unit`` ...).

    Returns
    -------
    callable
        The decorator: ``f(run_files, cfg) -> figure`` in, the registered :class:`CheckDef` out.
    """
    def wrap(fn: Callable) -> CheckDef:
        d = check(name, **kw)(None)
        return _replace(d, files=fn)
    return wrap


def from_files(definition: CheckDef) -> Callable[[Callable], CheckDef]:
    """Decorator: set a registered check's ``files`` figure (how ``tumen-border check`` re-measures it).

    Parameters
    ----------
    definition : CheckDef
        The check, as :func:`check` returned it.

    Returns
    -------
    callable
        The decorator: ``f(run_files, cfg) -> figure`` in (:class:`pipeline.verify.RunFiles`, lon/lat layers),
        the updated :class:`CheckDef` out (also in the registry).
    """
    def wrap(fn: Callable) -> CheckDef:
        return _replace(definition, files=fn)
    return wrap


def _replace(definition: CheckDef, **changes: Any) -> CheckDef:
    import dataclasses

    new = dataclasses.replace(definition, **changes)
    _REGISTRY[definition.name] = new
    return new


def registry() -> dict[str, CheckDef]:
    """Every registered check, in report order.

    Returns
    -------
    dict[str, CheckDef]
        Name -> definition: the built-in modules' checks in :data:`BUILT_IN` order, then any other module's
        (plugins loaded through the ``tumen_border.checks`` entry points, once; a plugin that fails to load is
        logged and skipped).
    """
    global _loaded
    if not _loaded:
        _loaded = True
        for mod in BUILT_IN:
            importlib.import_module(f"{__name__}.{mod}")
        for ep in _entry_points():
            try:
                ep.load()
            except Exception as exc:  # a broken plugin must not break the built-in checks; say so
                log.warning("check plugin %s could not be loaded: %s", ep.name, exc)
    return dict(sorted(_REGISTRY.items(), key=lambda item: _rank(item[1])))   # sorted() is stable


def _rank(d: CheckDef) -> int:
    """The built-in module's place in :data:`BUILT_IN`; any other module's checks come after them."""
    fn = d.results or d.files
    module = getattr(fn, "__module__", "") or ""
    prefix = f"{__name__}."
    name = module[len(prefix):] if module.startswith(prefix) else ""
    return BUILT_IN.index(name) if name in BUILT_IN else len(BUILT_IN)


def _entry_points():
    from importlib.metadata import entry_points

    return entry_points(group=ENTRY_POINT_GROUP)


# ------------------------------------------------------------------------------------------ judging
def setting(value: Setting, cfg: Any, key: str) -> Any:
    """A check's target or tolerance.

    Parameters
    ----------
    value : str, float, callable or None
        A config key ``"section.field"``, a callable ``f(cfg, key)``, or the value itself.
    cfg : Config
        The config the key is read from.
    key : str
        The row's key for a check made per key ("" otherwise).

    Returns
    -------
    Any
        The number (in the check's unit), or None ("not published").
    """
    if isinstance(value, str):
        section, field = value.split(".")
        return getattr(getattr(cfg, section), field)
    if callable(value):
        return value(cfg, key)
    return value


def _text(text: Any, cfg: Any, key: str, note: str) -> str:
    return text(cfg, key, note) if callable(text) else text.format(key=key, note=note, cfg=cfg)


def within(name: str, value: float, target: float, tolerance: float, unit: str, detail: str, catches: str) -> Check:
    """A ``within`` row: passes when |value - target| <= tolerance (NaN fails).

    Parameters
    ----------
    name : str
        The row's name.
    value, target, tolerance : float
        In ``unit``.
    unit, detail, catches : str
        The unit; what is measured; what error it would catch.

    Returns
    -------
    Check
    """
    return Check(name, float(value), float(target), float(tolerance), unit, "within",
                 bool(abs(value - target) <= tolerance), detail, catches)


def at_most(name: str, value: float, limit: float, unit: str, detail: str, catches: str) -> Check:
    """An ``at most`` row: passes when value <= limit (NaN fails).

    Parameters
    ----------
    name : str
        The row's name.
    value, limit : float
        In ``unit``.
    unit, detail, catches : str
        The unit; what is measured; what error it would catch.

    Returns
    -------
    Check
    """
    return Check(name, float(value), 0.0, float(limit), unit, "at most", bool(value <= limit), detail, catches)


def worst(values) -> float:
    """The largest value; NaN when any is NaN (``max`` would skip a NaN after the first element).

    Parameters
    ----------
    values : iterable of float

    Returns
    -------
    float
    """
    values = [float(v) for v in values]
    return float("nan") if any(math.isnan(v) for v in values) else max(values)


def rows(d: CheckDef, figure: Figure, cfg: Any) -> list[Check]:
    """The rows of one check for its measured figure.

    Parameters
    ----------
    d : CheckDef
        The check.
    figure : number, Measured, None or dict of those
        Its figure (see the module docstring).
    cfg : Config
        Where the targets and tolerances are read.

    Returns
    -------
    list of Check
        One row, one per key, or none (the check does not apply, no figure, nothing published to compare with).
    """
    if d.applies is not None and not d.applies(cfg):
        return []
    keyed = figure.items() if isinstance(figure, dict) else [("", figure)]
    out = []
    for key, v in keyed:
        if v is None:
            continue
        value, note = (v.value, v.note) if isinstance(v, Measured) else (v, "")
        name = f"{d.name}_{key}" if key else d.name
        target = setting(d.target, cfg, key) if d.kind == "within" else 0.0
        if target is None:             # nothing published to compare with: no row
            continue
        detail, catches = _text(d.detail, cfg, key, note), _text(d.catches, cfg, key, note)
        tol = setting(d.tolerance, cfg, key)
        if d.kind == "within":
            out.append(within(name, value, target, tol, d.unit, detail, catches))
        else:
            out.append(at_most(name, abs(value) if d.absolute else value, tol, d.unit, detail, catches))
    return out


def judge(figures: dict[str, Figure], cfg: Any) -> tuple[Check, ...]:
    """The rows of every registered check whose figure is in ``figures`` (keyed by check name), in order.

    Parameters
    ----------
    figures : dict
        Check name -> its figure (see the module docstring), unrounded, in the check's unit.
    cfg : Config
        Where the targets and tolerances are read.

    Returns
    -------
    tuple of Check
        Every row, in registry order.
    """
    return tuple(row for name, d in registry().items() if name in figures for row in rows(d, figures[name], cfg))


def measure_results(results: Any, cfg: Any) -> dict[str, Figure]:
    """Every check's figure measured on a run's typed results.

    Parameters
    ----------
    results : Results
        The run's typed results (metric CRS geometries).
    cfg : Config
        The run's config.

    Returns
    -------
    dict
        Check name -> figure, for every check with a ``results`` figure.
    """
    return {name: d.results(results, cfg) for name, d in registry().items() if d.results is not None}


def measure_files(run: Any, cfg: Any) -> dict[str, Figure]:
    """Every check's figure re-measured on a finished run's files.

    Parameters
    ----------
    run : RunFiles
        The run's files (:class:`pipeline.verify.RunFiles`: lon/lat layers, report.json).
    cfg : Config
        The config the check is run with.

    Returns
    -------
    dict
        Check name -> figure, for every check with a ``files`` figure.
    """
    return {name: d.files(run, cfg) for name, d in registry().items() if d.files is not None}


def run_checks(results: Any, cfg: Any) -> tuple[dict[str, Figure], tuple[Check, ...]]:
    """The figures and the checks of a run: what ``tumen-border run`` reports and exits on.

    Parameters
    ----------
    results : Results
        The run's typed results.
    cfg : Config
        The run's config.

    Returns
    -------
    (dict, tuple of Check)
        Check name -> figure (also what the report states), and the rows judged from them.
    """
    figures = measure_results(results, cfg)
    return figures, judge(figures, cfg)
