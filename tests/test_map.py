"""pipeline.mapping.render_map on the bundled case: a PNG of the configured size, the same bytes for the same
layers, a clear error without the layers it needs, colours that follow the style table, and a north arrow turned
by the grid convergence that pyproj gives.

The layers are computed once per session in-process (conftest's ``bundled_case``: driver -> report -> layers),
as a run makes them.
"""
from __future__ import annotations

import dataclasses
import io
import struct
import tomllib
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pyproj import Proj, Transformer

from pipeline import mapping, styles

ROOT = Path(__file__).resolve().parents[1]
STYLES_TOML = ROOT / "pipeline" / "templates" / "styles.toml"


@pytest.fixture(scope="module")
def case(bundled_case):
    """(layers, config, report, style table) of the bundled case."""
    return bundled_case


@pytest.fixture(scope="module")
def png(case):
    layers, cfg, rep, table = case
    return mapping.render_map(layers, table=table, cfg=cfg, report=rep)


def _chunks(data: bytes) -> list[bytes]:
    """The PNG's chunk types, after checking the signature and every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, types = 8, []
    while pos < len(data):
        (length,), ctype = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(ctype + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        types.append(ctype)
        pos += 12 + length
    return types


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def _count(px: np.ndarray, colour: str) -> int:
    """Pixels of exactly ``colour`` (#rrggbb)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return int(np.all(px == rgb, axis=-1).sum())


def test_png_is_the_configured_size_without_metadata_and_repeatable(case, png):
    layers, cfg, rep, table = case
    types = _chunks(png)
    assert types[0] == b"IHDR" and types[-1] == b"IEND"
    assert not {b"tIME", b"tEXt", b"iTXt", b"zTXt"} & set(types)       # no date, no Software text
    px = _pixels(png)
    assert px.shape == (cfg.output.map_height_px, cfg.output.map_width_px, 3)
    assert len(np.unique(px.reshape(-1, 3)[::37], axis=0)) > 50          # not blank: layers, text, legend
    assert mapping.render_map(layers, table=table, cfg=cfg, report=rep) == png


def test_missing_layers_are_named(case):
    layers, cfg, rep, table = case
    required = table.map["required_layers"]
    assert {"land_boundary", "maritime_boundary"} <= set(required)
    cut = {k: v for k, v in layers.items() if k not in ("maritime_boundary", "tripoint")}
    with pytest.raises(ValueError, match="maritime_boundary, tripoint"):
        mapping.render_map(cut, table=table, cfg=cfg, report=rep)
    with pytest.raises(styles.StyleError, match="mystery"):
        mapping.render_map({**layers, "mystery": layers["closing_line"]}, table=table, cfg=cfg, report=rep)


def test_style_table_drives_the_colours(case, png):
    """A colour changed in the table (or a state colour in the config) changes the map's pixels."""
    layers, cfg, rep, table = case
    raw = tomllib.loads(STYLES_TOML.read_text(encoding="utf-8"))
    red = raw["layers"]["land_boundary"]["stroke"]
    before = _pixels(png)
    green = "#00ff00"
    assert _count(before, green) == 0
    rows = table.rows.copy()
    rows.loc[rows["layer"] == "land_boundary", "stroke"] = green
    after = _pixels(mapping.render_map(layers, table=dataclasses.replace(table, rows=rows), cfg=cfg, report=rep))
    assert _count(after, green) > 2000
    assert _count(after, red) < _count(before, red) - 2000

    # the left state's land is filled with its config colour mixed with white by the table's tint
    magenta = "#ff00ff"
    tint = raw["layers"]["land"]["fill"]["tint"]
    fill = "#" + "".join(f"{round(c + (255 - c) * tint):02x}" for c in (255, 0, 255))
    cfg2 = dataclasses.replace(cfg, sides=dataclasses.replace(cfg.sides, left_colour=magenta))
    moved = _pixels(mapping.render_map(layers, table=styles.style_table(cfg2), cfg=cfg2, report=rep))
    assert _count(before, fill) == 0 and _count(moved, fill) > 10_000


def test_failed_run_is_stamped(case, png):
    layers, cfg, rep, table = case
    failed = mapping.render_map(layers, table=table, cfg=cfg, report=dataclasses.replace(rep, passed=False))
    stamp = table.map["failed_colour"]
    assert _count(_pixels(png), stamp) == 0 and _count(_pixels(failed), stamp) > 100


def test_north_arrow_follows_the_grid_convergence():
    """True north from PROJ's meridian convergence agrees with a step north along the meridian, projected."""
    crs = mapping.local_tmerc((130.6, 42.1, 130.9, 42.5))
    proj, fwd = Proj(crs), Transformer.from_crs(4326, crs, always_xy=True)
    for lon, lat in ((130.95, 42.45), (130.55, 42.15), (130.75, 42.30)):
        x0, y0 = fwd.transform(lon, lat)
        x1, y1 = fwd.transform(lon, lat + 1e-4)
        step = np.degrees(np.arctan2(x1 - x0, y1 - y0))
        assert mapping.true_north_deg(proj, lon, lat) == pytest.approx(step, abs=1e-4)
    assert mapping.true_north_deg(proj, 130.95, 42.45) < 0 < mapping.true_north_deg(proj, 130.55, 42.45)
