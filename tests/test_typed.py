"""pipeline.typed.strict: the one strict converter of the config and of report.json (nothing coerced)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from pipeline.typed import strict


class Refused(Exception):
    pass


def fail(message):
    raise Refused(message)


@dataclass(frozen=True)
class Inner:
    kind: Literal["a", "b"]
    values: list[float]


@dataclass(frozen=True)
class Outer:
    n: int
    name: str
    inner: Inner
    by_key: dict[str, float]
    maybe: float | None


GOOD = {"n": 3, "name": "x", "inner": {"kind": "a", "values": [1, 2.5]}, "by_key": {"k": 1}, "maybe": None}


def test_a_good_tree_is_built_with_floats_for_numbers():
    o = strict(GOOD, Outer, "$", fail)
    assert o == Outer(3, "x", Inner("a", [1.0, 2.5]), {"k": 1.0}, None)
    assert all(type(v) is float for v in o.inner.values) and type(o.by_key["k"]) is float


@pytest.mark.parametrize("change, message", [
    (dict(n=True), "$.n must be an integer, got True"),
    (dict(n=1.0), "$.n must be an integer, got 1.0"),
    (dict(name=1), "$.name must be a string, got 1"),
    (dict(inner={"kind": "c", "values": []}), "$.inner.kind = 'c' is not one of 'a', 'b'"),
    (dict(inner={"kind": "a", "values": ["1"]}), "$.inner.values[0] must be a number, got '1'"),
    (dict(inner={"kind": "a", "values": [math.inf]}), "$.inner.values[0] must be a finite number, got inf"),
    (dict(by_key=[]), "$.by_key must be an object, got []"),
    (dict(maybe=""), "$.maybe must be a number, got ''"),
    (dict(extra=1), "$: unknown key(s) extra"),
])
def test_each_wrong_value_is_refused_naming_where(change, message):
    with pytest.raises(Refused) as e:
        strict({**GOOD, **change}, Outer, "$", fail)
    assert str(e.value) == message


def test_a_missing_key_is_refused():
    with pytest.raises(Refused, match=r"^\$: missing key\(s\) maybe$"):
        strict({k: v for k, v in GOOD.items() if k != "maybe"}, Outer, "$", fail)


def test_config_flavour_reads_empty_as_unset_and_resolves_paths(tmp_path):
    assert strict("", float | None, "x", fail, empty_is_none=True) is None
    assert strict("data/a.gpkg", Path, "x", fail, base=tmp_path) == tmp_path / "data/a.gpkg"
    assert strict("/abs.gpkg", Path, "x", fail, base=tmp_path) == Path("/abs.gpkg")
    with pytest.raises(Refused, match="must be a non-empty path string"):
        strict(" ", Path, "x", fail, base=tmp_path)
