"""The modelled inputs are what the generator script makes, say they are modelled, and behave as designed."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
from rasterio.transform import rowcol
import shapely

ROOT = Path(__file__).resolve().parents[1]
MODELLED = ROOT / "inputs" / "tumen" / "modelled"


def _generator():
    spec = importlib.util.spec_from_file_location("make_modelled_inputs", ROOT / "scripts" / "make_modelled_inputs.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # the generator's dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_bundled_modelled_inputs_are_what_the_script_generates(tmp_path):
    made = _generator().build(MODELLED / "model.toml", tmp_path)
    # the generator writes reproducible files: the same bytes as the committed ones
    assert made["river"].read_bytes() == (MODELLED / "tumen_river.gpkg").read_bytes()
    assert made["depth"].read_bytes() == (MODELLED / "tumen_depth.tif").read_bytes()
    for layer in ("water", "model_centreline", "model_thalweg"):
        a = gpd.read_file(MODELLED / "tumen_river.gpkg", layer=layer).geometry.union_all()
        b = gpd.read_file(made["river"], layer=layer).geometry.union_all()
        assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=1e-6), layer
    with rasterio.open(MODELLED / "tumen_depth.tif") as x, rasterio.open(made["depth"]) as y:
        assert x.transform == y.transform and x.crs == y.crs
        assert np.array_equal(x.read(1), y.read(1))


def test_modelled_files_say_so_in_their_metadata():
    meta = pyogrio.read_info(MODELLED / "tumen_river.gpkg", layer="water")
    assert "MODELLED" in (meta.get("layer_metadata") or {}).get("DESCRIPTION", "") or \
        (meta.get("dataset_metadata") or {}).get("MODELLED") == "yes"
    with rasterio.open(MODELLED / "tumen_depth.tif") as src:
        assert src.tags()["MODELLED"] == "yes"
        assert "MODELLED" in src.tags()["DESCRIPTION"]


def test_modelled_river_widths_and_islands():
    water = gpd.read_file(MODELLED / "tumen_river.gpkg", layer="water").to_crs(32652).geometry.union_all()
    centre = gpd.read_file(MODELLED / "tumen_river.gpkg", layer="model_centreline").to_crs(32652).geometry.iloc[0]
    assert water.is_valid
    assert len(water.interiors) >= 3  # islands
    # width across the channel, sampled along the modelled course (skip the estuary, the last 15 %)
    widths = []
    for s in np.linspace(0.05, 0.8, 16) * centre.length:
        p = centre.interpolate(s)
        q = centre.interpolate(s + 1.0)
        t = np.array(q.coords[0]) - np.array(p.coords[0])
        n = np.array([-t[1], t[0]]) / np.linalg.norm(t)
        xs = shapely.LineString([np.array(p.coords[0]) - 2000 * n, np.array(p.coords[0]) + 2000 * n])
        piece = xs.intersection(water)
        parts = shapely.get_parts(piece)
        widths.append(max(g.length for g in parts if g.distance(p) < 1.0) if len(parts) else 0.0)
    widths = np.array(widths)
    assert 120 < widths.min() < 250 and widths.max() > 350  # ~150 m upstream, wider downstream


def test_model_thalweg_is_the_ridge_of_the_depth_grid():
    """Along cross-sections of the channel, the deepest cell lies within 2 cells of the model thalweg."""
    thalweg = gpd.read_file(MODELLED / "tumen_river.gpkg", layer="model_thalweg").geometry.iloc[0]
    with rasterio.open(MODELLED / "tumen_depth.tif") as src:
        depth = src.read(1, masked=True).filled(np.nan)
        transform = src.transform
        cell = src.res[0]
    offsets = []
    for s in np.linspace(0.1, 0.8, 15) * thalweg.length:
        p = np.array(thalweg.interpolate(s).coords[0])
        q = np.array(thalweg.interpolate(s + 1.0).coords[0])
        n = np.array([-(q - p)[1], (q - p)[0]]) / np.linalg.norm(q - p)
        ts = np.arange(-150, 151, 2.0)
        pts = p + ts[:, None] * n
        rows, cols = rowcol(transform, pts[:, 0], pts[:, 1])
        vals = depth[np.asarray(rows), np.asarray(cols)]
        offsets.append(abs(ts[np.nanargmax(vals)]))
    assert max(offsets) <= 2 * cell
