"""Build the QGIS plugin zip: ``python scripts/build_qgis_plugin.py [--out dist/tumen_border_processing.zip]``.

The zip holds the folder ``tumen_border_processing/`` at its root, as QGIS's Plugins → Manage and Install
Plugins → Install from ZIP expects. Deterministic: entries sorted, fixed timestamps and permissions, no
``__pycache__``; building twice gives the same bytes.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "qgis_plugin" / "tumen_border_processing"
DEFAULT_OUT = ROOT / "dist" / "tumen_border_processing.zip"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)          # the earliest time a zip entry can hold
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def plugin_files(folder: Path = PLUGIN) -> list[Path]:
    """The files that go into the zip, sorted by their path inside it."""
    files = [p for p in folder.rglob("*") if p.is_file() and not SKIP_DIRS & set(p.relative_to(folder).parts)
             and p.suffix not in SKIP_SUFFIXES]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def build(out: Path = DEFAULT_OUT, folder: Path = PLUGIN) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in plugin_files(folder):
            info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3                      # unix, whichever system builds it
            info.external_attr = 0o100644 << 16         # a regular file, rw-r--r--
            zf.writestr(info, path.read_bytes())
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if not (PLUGIN / "metadata.txt").is_file():
        print(f"error: {PLUGIN}: no metadata.txt", file=sys.stderr)
        return 2
    out = build(args.out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"{out} ({out.stat().st_size} bytes, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
