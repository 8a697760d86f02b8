#!/usr/bin/env python3
"""Print README's configuration table from pipeline/config.py (the one documented settings place).

    python scripts/config_table.py > /tmp/table.md    # then paste it into README.md, "Configuration"

tests/test_docs.py checks that every key of the config appears in README's table.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import documented_keys  # noqa: E402


def main() -> None:
    print("| key | type | default | unit | meaning |")
    print("|---|---|---|---|---|")
    for key, kind, default, unit, doc in documented_keys():
        doc = doc.replace("|", "\\|").replace("\n", " ")
        print(f"| `{key}` | {kind.replace('|', 'or')} | {default} | {unit} | {doc} |")

if __name__ == "__main__":
    main()
