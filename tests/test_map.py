"""pipeline.mapping.render_map: a valid, non-blank, fixed-size PNG, byte-identical across renders."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from PIL import Image
from shapely.geometry import LineString, Point, Polygon

from pipeline.mapping import render_map

LON0, LAT0 = 130.65, 42.35
DEG_M = 111_320.0  # metres per degree of latitude (approx.); enough for synthetic layers


def _ll(dx_m: float, dy_m: float) -> tuple[float, float]:
    return LON0 + dx_m / (DEG_M * np.cos(np.radians(LAT0))), LAT0 + dy_m / DEG_M


def _gdf(geoms, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs="EPSG:4326")


def synthetic_layers() -> dict[str, gpd.GeoDataFrame]:
    # a sinuous river ~14 km long flowing south-east, 200-500 m wide, with an island
    t = np.linspace(0, 1, 200)
    cx = 4000 * t + 600 * np.sin(t * 3 * np.pi)
    cy = 7000 - 14000 * t
    half = 100 + 150 * t
    nx, ny = np.gradient(cy), -np.gradient(cx)
    n = np.hypot(nx, ny)
    nx, ny = nx / n, ny / n
    left = [_ll(x + h * a, y + h * b) for x, y, h, a, b in zip(cx, cy, half, nx, ny)]
    right = [_ll(x - h * a, y - h * b) for x, y, h, a, b in zip(cx, cy, half, nx, ny)]
    island = [_ll(cx[100] + dx, cy[100] + dy) for dx, dy in ((-40, -150), (40, -150), (40, 150), (-40, 150))]
    river = Polygon(left + right[::-1], [island])
    centre = LineString([_ll(x, y) for x, y in zip(cx, cy)])
    thalweg = LineString([_ll(x + 0.5 * h * a, y + 0.5 * h * b) for x, y, h, a, b in zip(cx, cy, half, nx, ny)])
    mouth = _ll(cx[-1], cy[-1])
    sea_end = _ll(cx[-1] + 14000, cy[-1] - 17000)
    # (nx, ny) points west of this south-flowing river: ``left`` is the west (DPRK) bank
    coast_prk = LineString([left[0], *left[::20], left[-1], _ll(cx[-1] - 4000, cy[-1] - 3000),
                            _ll(cx[-1] - 9000, cy[-1] - 12000)])
    coast_rus = LineString([right[0], *right[::20], right[-1], _ll(cx[-1] + 3000, cy[-1] + 2000),
                            _ll(cx[-1] + 12000, cy[-1] + 9000)])
    arc = lambda c0, r, a0, a1: LineString([_ll(c0[0] + r * np.cos(a), c0[1] + r * np.sin(a))
                                           for a in np.linspace(a0, a1, 60)])
    tripoint = _ll(cx[0], cy[0])
    return {
        "river": _gdf([river]),
        "coast": _gdf([coast_rus, coast_prk], side=["RUS", "PRK"]),
        "land_boundary": _gdf([centre]),
        "thalweg": _gdf([thalweg]),
        "closing_line": _gdf([LineString([left[-1], right[-1]])]),
        "maritime_boundary": _gdf([LineString([mouth, sea_end])]),
        "territorial_sea_limits": _gdf([arc((cx[-1] + 3000, cy[-1]), 22224, -0.3, -1.7),
                                        arc((cx[-1] - 3000, cy[-1]), 22224, -1.2, -2.6)], side=["RUS", "PRK"]),
        "tripoint": _gdf([Point(tripoint)], name=["Tripoint"]),
        "monuments": _gdf([Point(_ll(cx[0] - 200, cy[0] + 50)), Point(_ll(cx[0] + 250, cy[0] - 30))],
                          name=["No. 423", "No. 424"]),
        "boundary_points": _gdf([Point(mouth), Point(_ll(cx[-1] + 80, cy[-1] + 60)), Point(sea_end)],
                                name=["mouth", "B", "sea end"],
                                kind=["mouth (computed)", "mouth point B (treaty)", "sea end (computed)"]),
        "osm_reference_border": _gdf([LineString([_ll(x + 30, y) for x, y in zip(cx, cy)])], part=["land"]),
    }


def _png_pixels(data: bytes) -> tuple[int, int, np.ndarray]:
    """Check the PNG signature and chunk CRCs (no timestamp chunk), decode with Pillow -> width, height, pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, ctypes = 8, []
    while pos < len(data):
        (length,), ctype = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(ctype + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        ctypes.append(ctype)
        pos += 12 + length
    assert ctypes[0] == b"IHDR" and ctypes[-1] == b"IEND" and b"tIME" not in ctypes
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        assert "Software" not in im.info and "Creation Time" not in im.info
        return im.width, im.height, np.asarray(im.convert("RGBA"))


@pytest.fixture(scope="module")
def layers():
    return synthetic_layers()


def test_render_map_png(tmp_path: Path, layers):
    p = tmp_path / "map.png"
    render_map(layers, p, "Test map", "Test attribution © OpenStreetMap contributors, ODbL. MODELLED.")
    data = p.read_bytes()
    w, h, px = _png_pixels(data)
    assert 1800 <= w <= 2200 and 1200 <= h <= 2000
    rgb = px[..., :3].astype(float)
    assert rgb.std() > 10, "image looks blank"
    assert len(np.unique(rgb.reshape(-1, 3)[::97], axis=0)) > 20  # many colours: layers, text, legend
    # red land/maritime boundary present
    red = (px[..., 0] > 200) & (px[..., 1] < 60) & (px[..., 2] < 60)
    assert red.sum() > 500
    # deterministic: a second render gives identical bytes
    p2 = tmp_path / "map2.png"
    render_map(layers, p2, "Test map", "Test attribution © OpenStreetMap contributors, ODbL. MODELLED.")
    assert p2.read_bytes() == data


def test_render_map_minimal_layers(tmp_path: Path, layers):
    p = tmp_path / "sub" / "min.png"
    render_map({k: layers[k] for k in ("land_boundary", "maritime_boundary")}, p, "Minimal", "attr")
    w, h, px = _png_pixels(p.read_bytes())
    assert 1800 <= w <= 2200 and px[..., :3].std() > 10


def test_render_map_requires_boundaries(tmp_path: Path, layers):
    with pytest.raises(ValueError, match="maritime_boundary"):
        render_map({"land_boundary": layers["land_boundary"]}, tmp_path / "x.png", "t", "a")
    assert not (tmp_path / "x.png").exists()
