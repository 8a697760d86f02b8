"""README is the user's manual: every setting, every layer and every check it must describe is there."""
from __future__ import annotations

import re
from pathlib import Path

from pipeline.config import documented_keys
from pipeline.layers import LAYERS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table():
    table = README[README.index("<!-- config table"):README.index("<!-- end of config table -->")]
    missing = [key for key, *_ in documented_keys() if f"`{key}`" not in table]
    assert not missing, f"README's configuration table lacks {missing}: run python scripts/config_table.py"
    rows = re.findall(r"^\| `([a-z_]+(?:\.[a-z_0-9]+)+)` \|", table, flags=re.M)   # forms.<name>.<key> too
    assert sorted(rows) == sorted(k for k, *_ in documented_keys()), "stale keys in README's configuration table"


def test_every_layer_and_check_is_described():
    for name in LAYERS:
        assert f"| `{name}` |" in README, name
    from pipeline.checks import registry

    for check in registry():          # every registered check, by name (per-key checks as `<name>_<key>`)
        assert f"`{check}" in README, check


def test_no_placeholders_left():
    assert not re.search(r"PLACEHOLDER|BENCH_[A-Z_]+|TEST_(COUNT|TIME)", README)
