"""Strict conversion of plain data (TOML, JSON) to typed values: the one place both the config
(:mod:`pipeline.config`) and ``report.json`` read back by ``tumen-border check`` (:func:`pipeline.model.from_jsonable`)
are checked against their dataclasses' type hints.

Nothing is coerced: ``"5"`` is not a number, ``1`` is not ``true``, a float must be finite; a Literal must be
one of its values; ``X | None`` accepts ``None`` (and, where the caller says so, ``""``). Each problem is
reported through the caller's ``fail(message)``, which raises the caller's error (an
:class:`~pipeline.errors.InputError` naming the config file, a :class:`~pipeline.model.SchemaError` naming the
JSON path), so the messages read the same everywhere: ``<where> must be a number, got '17.3 km'``.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, Callable, Literal, NoReturn, get_args, get_origin, get_type_hints

Fail = Callable[[str], NoReturn]


def strict(value: Any, hint: Any, where: str, fail: Fail, *, base: Path | None = None,
           empty_is_none: bool = False) -> Any:
    """``value`` as type ``hint``, or ``fail(message)``.

    Parameters
    ----------
    value : Any
        Plain data: what ``tomllib`` or ``json`` produced.
    hint : type hint
        ``float``, ``int``, ``bool``, ``str``, ``Path``, ``list``, ``list[T]``, ``dict[str, T]``, a
        ``Literal[...]``, ``T | None``, ``Any``, or a dataclass (built field by field, every key required, no
        unknown key).
    where : str
        Where the value sits, for messages (``"land.bank_densify_m"``, ``"$.maritime.length_m"``).
    fail : callable
        ``fail(message)`` raises the caller's error with the message (which names ``where``); it must not
        return.
    base : Path, optional
        Folder relative ``Path`` values are resolved against (None: kept as given).
    empty_is_none : bool
        Read ``""`` as None for ``T | None`` (a config's way of leaving a setting unset).

    Returns
    -------
    Any
        The typed value (a float for ``float``, a ``Path``, a dataclass instance ...).
    """
    def again(v: Any, h: Any, w: str) -> Any:
        return strict(v, h, w, fail, base=base, empty_is_none=empty_is_none)

    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _dataclass(value, hint, where, fail, again)
    if origin is Literal:
        if value not in get_args(hint):
            fail(f"{where} = {value!r} is not one of {', '.join(repr(a) for a in get_args(hint))}")
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in get_args(hint) or (empty_is_none and value == ""):
            return None
        return again(value, [a for a in get_args(hint) if a is not type(None)][0], where)
    if origin in (list, dict) or hint in (list, dict):
        return _container(value, hint, where, fail, again)
    check = _SCALARS.get(hint)
    if check is not None:
        word, ok = check
        if not ok(value):
            fail(f"{where} must be {word}, got {value!r}")
        if hint is float and not math.isfinite(value):
            fail(f"{where} must be a finite number, got {value!r}")
        return float(value) if hint is float else value
    if hint is Path:
        if not isinstance(value, str) or not value.strip():
            fail(f"{where} must be a non-empty path string, got {value!r}")
        return Path(value) if base is None or Path(value).is_absolute() else base / value
    if hint is Any:
        return value
    raise TypeError(f"{where}: unsupported type {hint!r}")  # pragma: no cover  (a dataclass the code declares)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_SCALARS: dict[Any, tuple[str, Callable[[Any], bool]]] = {
    float: ("a number", _number),
    int: ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    bool: ("true or false", lambda v: isinstance(v, bool)),
    str: ("a string", lambda v: isinstance(v, str)),
}


def _container(value: Any, hint: Any, where: str, fail: Fail, again: Callable) -> Any:
    kind = get_origin(hint) or hint
    if kind is list:
        if not isinstance(value, list):
            fail(f"{where} must be a list, got {value!r}")
        (item,) = get_args(hint) or (Any,)
        return [again(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        fail(f"{where} must be an object, got {value!r}")
    _, item = get_args(hint) or (str, Any)
    return {k: again(v, item, f"{where}.{k}") for k, v in value.items()}


def _dataclass(value: Any, cls: type, where: str, fail: Fail, again: Callable) -> Any:
    if not isinstance(value, dict):
        fail(f"{where} must be an object, got {type(value).__name__}")
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    missing = [n for n in names if n not in value]
    if missing:
        fail(f"{where}: missing key(s) {', '.join(missing)}")
    extra = sorted(set(value) - set(names))
    if extra:
        fail(f"{where}: unknown key(s) {', '.join(extra)}")
    return cls(**{n: again(value[n], hints[n], f"{where}.{n}") for n in names})
