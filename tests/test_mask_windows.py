"""The mask form read by windows (issue 24): the windowed water equals the whole raster's, exactly.

Oracles, never the code under test: ``rasterio.features.shapes`` on the whole array (the cell-edge water as
the form traced it before it read by windows), ``skimage.measure.find_contours`` on the whole array padded
with land (the 0.5 contour), and the pre-window implementation of the form itself (:func:`whole_raster_read`:
the whole band read at once). Equality is exact: the same coordinates after ``shapely.normalize``.
"""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from conftest import INPUTS  # tests/ is on sys.path
from pipeline import readers
from pipeline.config import load_config, with_overrides
from pipeline.forms import Context, mask
from pipeline.geodesy import crs_area_m2

BOUNDARIES = ("cell_edges", "contour")


# ------------------------------------------------------------------------------------------- helpers
def random_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Blobs, lines and single cells: corners, saddles, holes and patches of every size."""
    kind = rng.integers(3)
    if kind == 0:
        return rng.random((h, w)) < rng.uniform(0.2, 0.8)
    if kind == 1:      # smooth blobs: long straight-ish edges and holes
        from scipy import ndimage
        return ndimage.gaussian_filter(rng.random((h, w)), rng.uniform(0.8, 2.5)) > 0.5
    yy, xx = np.mgrid[0:h, 0:w]  # an oblique river with islands
    centre = rng.uniform(0, w) + (yy - h / 2) * rng.uniform(-1.5, 1.5)
    return (np.abs(xx - centre) < rng.uniform(1, max(w / 3, 1.5))) & ~(rng.random((h, w)) < 0.05)


def windows_of(water: np.ndarray, sizes: tuple[int, int], *, shift: int = 0, drop_dry: bool = True):
    """(padded, row, col) of ``water`` cut into windows of ``sizes`` (land beyond the array); windows without
    water of their own are dropped as a sparse file's absent blocks are. ``shift`` plants a fault: windows
    after the first column claim a column offset that many cells off."""
    h, w = water.shape
    padded = np.pad(water, 1)
    for r0 in range(0, h, sizes[0]):
        for c0 in range(0, w, sizes[1]):
            r1, c1 = min(r0 + sizes[0], h), min(c0 + sizes[1], w)
            if drop_dry and not water[r0:r1, c0:c1].any():
                continue
            yield padded[r0:r1 + 2, c0:c1 + 2], r0, c0 + (shift if c0 else 0)


def cell_edges_oracle(water: np.ndarray) -> shapely.Geometry:
    """The water cells as ``rasterio.features.shapes`` traces the whole array (pixel coordinates), unioned."""
    from rasterio.features import shapes

    polys = [Polygon(g["coordinates"][0], g["coordinates"][1:])
             for g, _ in shapes(water.astype("uint8"), mask=water, connectivity=4)]
    return shapely.union_all(polys)


def contour_oracle(water: np.ndarray) -> shapely.Geometry:
    """The region inside the 0.5 contours ``skimage.measure.find_contours`` traces on the array padded with
    land (closed, nested rings: their even-odd region), in pixel coordinates (cell centres at +0.5)."""
    from skimage.measure import find_contours

    rings = [Polygon(c[:, ::-1] - 0.5) for c in find_contours(np.pad(water, 1).astype(float), 0.5)]
    region = Polygon()
    for ring in rings:
        region = shapely.symmetric_difference(region, ring)
    return shapely.simplify(region, 0.0)


def same(a, b) -> bool:
    return shapely.normalize(a).equals_exact(shapely.normalize(b), tolerance=0.0)


# ------------------------------------------------------------------------------------------- properties
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(1, 40), w=st.integers(1, 40), wh=st.integers(1, 45),
       ww=st.integers(1, 45), boundary=st.sampled_from(BOUNDARIES))
def test_windowed_water_equals_the_whole_raster(seed, h, w, wh, ww, boundary):
    """Any mask cut into any windows (windows without water left out, as absent blocks are) gives exactly the
    water of the whole array: the cells' edges as ``shapes`` traces them, or the 0.5 contour as
    ``find_contours`` traces it."""
    water = random_mask(np.random.default_rng(seed), h, w)
    got = mask.water_region(windows_of(water, (wh, ww)), boundary)
    whole = mask.water_region(windows_of(water, (h, w), drop_dry=False), boundary)
    assert same(got, whole)
    if water.any():
        oracle = cell_edges_oracle(water) if boundary == "cell_edges" else contour_oracle(water)
        assert same(got, oracle), f"symmetric difference {shapely.symmetric_difference(got, oracle).area}"
    assert got.is_valid


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_planted_window_offset_fault_is_caught(boundary):
    """The property has teeth: windows placed one column off (an off-by-one offset) differ from the whole."""
    rng = np.random.default_rng(24)
    caught = 0
    for _ in range(20):
        water = random_mask(rng, 30, 30)
        if not water.any():
            continue
        got = mask.water_region(windows_of(water, (8, 8), shift=1), boundary)
        caught += not same(got, mask.water_region(windows_of(water, (30, 30)), boundary))
    assert caught >= 15


def test_a_planted_halo_fault_is_caught(monkeypatch):
    """Dropping the corner triangles a window adds to its neighbours' cells (needed where the neighbour is
    absent from the file) breaks the contour at window corners: the property sees it."""
    real = mask.contour_corrections

    def own_cells_only(padded, row, col):
        add, remove = real(padded, row, col)
        h, w = padded.shape[0] - 2, padded.shape[1] - 2
        inside = shapely.within(add, shapely.box(col, row, col + w, row + h))
        return add[inside], remove
    monkeypatch.setattr(mask, "contour_corrections", own_cells_only)
    water = np.zeros((8, 8), bool)
    water[2:4, 2:4] = True          # three of the four cells around corner (4, 4) are water; the fourth is
    water[4, 2:4] = True            # land in a window of its own, without water: left out like an absent block
    water[2:4, 4] = True
    got = mask.water_region(windows_of(water, (4, 4)), "contour")
    assert not same(got, contour_oracle(water))


def test_contour_cuts_corners_at_45_degrees():
    """A 3 x 2 block of water: the contour runs through the middles of its outer cell edges and cuts each
    corner at 45 degrees (an eighth of a cell off each corner); the cell-edge water is the block itself."""
    water = np.zeros((5, 4), bool)
    water[1:4, 1:3] = True
    cells = mask.water_region(windows_of(water, (5, 4)), "cell_edges")
    contour = mask.water_region(windows_of(water, (5, 4)), "contour")
    assert same(cells, shapely.box(1, 1, 3, 4))
    assert contour.area == pytest.approx(6 - 4 * 0.125)
    assert same(contour, Polygon([(1.5, 1), (2.5, 1), (3, 1.5), (3, 3.5), (2.5, 4), (1.5, 4), (1, 3.5), (1, 1.5)]))


# ------------------------------------------------------------------------------------------- files
def write_mask(path: Path, water: np.ndarray, *, block: int = 16, nodata=None, sparse: bool = True,
               cell: float = 10.0) -> Path:
    """A tiled GeoTIFF (UTM 32N, ``cell`` m) of ``water`` as 0/1; with ``sparse`` the blocks without water are
    not written (they read back as nodata, or 0 without one)."""
    import rasterio
    from rasterio.transform import Affine
    from rasterio.windows import Window

    h, w = water.shape
    profile = dict(driver="GTiff", width=w, height=h, count=1, dtype="uint8", crs="EPSG:32632", nodata=nodata,
                   transform=Affine(cell, 0, 500_000.5, 0, -cell, 5_000_000.25), tiled=True, blockxsize=block,
                   blockysize=block, compress="deflate", sparse_ok=sparse)
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, h, block):
            for c0 in range(0, w, block):
                part = water[r0:r0 + block, c0:c0 + block]
                if part.any() or not sparse:
                    dst.write(part.astype("uint8"), 1, window=Window(c0, r0, part.shape[1], part.shape[0]))
    return path


def whole_raster_read(path: Path, cfg):
    """The mask form as it read before windows: the whole band at once, ``shapes`` with the transform, then
    the speckle rules (``mask.remove_speckle`` is the same rule) -- the oracle of the file tests."""
    from rasterio.features import shapes

    raster = readers.read_raster(path, "river mask", projected=False)
    finite = raster.values[np.isfinite(raster.values)]
    values = mask.MaskValues(np.unique(finite), int(raster.values.size - finite.size))
    rule = mask.mask_rule(path, values, raster.nodata, cfg.inputs.water_threshold)
    water = rule.water(raster.values)
    pieces = [Polygon(g["coordinates"][0], g["coordinates"][1:])
              for g, _ in shapes(water.astype("uint8"), mask=water, connectivity=4, transform=raster.transform)]
    kept, speckle, filled, islands = [], 0, 0, 0
    for p in pieces:
        if crs_area_m2(p, raster.crs) < cfg.inputs.mask_min_area_m2:
            speckle += 1
            continue
        holes = [h for h in p.interiors if crs_area_m2(Polygon(h), raster.crs) >= cfg.inputs.mask_min_area_m2]
        filled, islands = filled + len(p.interiors) - len(holes), islands + len(holes)
        kept.append(Polygon(p.exterior, holes))
    return shapely.union_all(kept), (int(water.sum()), len(kept), islands, speckle, filled)


@pytest.fixture
def cfg():
    return with_overrides(load_config(INPUTS / "tumen.toml"), {"inputs.mask_min_area_m2": 450.0,
                                                                "forms.mask.boundary": "cell_edges"})


@pytest.mark.parametrize("nodata", [None, 0])
@pytest.mark.parametrize("seed", range(6))
def test_the_form_reads_a_sparse_file_by_windows_as_the_whole_raster(seed, nodata, tmp_path, cfg, monkeypatch):
    """A sparse tiled mask read by windows of 2 x 2 blocks (absent blocks skipped) gives the whole-raster
    read's water, counts and speckle exactly; cell corners come out as ``shapes`` puts them (GDAL's
    arithmetic)."""
    rng = np.random.default_rng(seed)
    water = np.zeros((70, 90), bool)
    water[10:60, 20:75] = random_mask(rng, 50, 55)
    path = write_mask(tmp_path / "m.tif", water, nodata=nodata)
    monkeypatch.setattr(readers, "WINDOW_CELLS", 32)
    grid = readers.raster_grid(path, "river mask", projected=False)
    absent = sum(win.raw is None for win in readers.raster_windows(grid, "river mask"))
    assert absent > 0
    want, (n_water, n_kept, islands, speckle, filled) = whole_raster_read(path, cfg)
    area = mask.read(path, cfg, Context(geo=None))
    assert area.geometry.equals_exact(shapely.normalize(want), tolerance=0.0)
    assert (f"{n_water} water cells -> {n_kept} water polygon(s) with {islands} island(s); removed {speckle} "
            f"water patch(es) and filled {filled} hole(s)") in area.detail
    assert (nodata is not None) == ("nodata cell(s)" in area.detail)


def test_the_contour_form_reads_by_windows_as_the_whole_raster(tmp_path, cfg, monkeypatch):
    """``[forms.mask] boundary = "contour"``: windows of one block give the whole raster's contour water."""
    rng = np.random.default_rng(7)
    water = np.zeros((64, 80), bool)
    water[5:60, 3:77] = random_mask(rng, 55, 74)
    path = write_mask(tmp_path / "m.tif", water)
    contour = with_overrides(cfg, {"forms.mask.boundary": "contour", "inputs.mask_min_area_m2": 0.0})
    whole = mask.read(path, contour, Context(geo=None)).geometry
    monkeypatch.setattr(readers, "WINDOW_CELLS", 16)
    got = mask.read(path, contour, Context(geo=None))
    assert got.geometry.equals_exact(whole, tolerance=0.0) and "0.5 contour" in got.detail
    pixel = shapely.transform(got.geometry, lambda xy: np.column_stack([(xy[:, 0] - 500_000.5) / 10,
                                                                        (5_000_000.25 - xy[:, 1]) / 10]))
    assert pixel.symmetric_difference(contour_oracle(water)).area < 1e-9


def test_a_long_sparse_mask_is_not_read_at_its_bounding_box(tmp_path, cfg):
    """A diagonal band across a 20,000 x 20,000 cell raster (400 M cells: 3.2 GB as float64), one piece per
    block on the diagonal (blocks meet at a corner only), is read with less than 1 % of that in numpy memory
    (tracemalloc); the absent blocks are not read."""
    n, block = 20_000, 512
    import rasterio
    from rasterio.transform import Affine
    from rasterio.windows import Window

    path = tmp_path / "long.tif"
    profile = dict(driver="GTiff", width=n, height=n, count=1, dtype="uint8", crs="EPSG:32632",
                   transform=Affine(10, 0, 400_000, 0, -10, 5_200_000), tiled=True, blockxsize=block,
                   blockysize=block, compress="deflate", sparse_ok=True, BIGTIFF="YES")
    with rasterio.open(path, "w", **profile) as dst:
        for k in range(0, n, block):
            tile = np.zeros((block, block), "uint8")
            yy, xx = np.mgrid[0:block, 0:block]
            tile[np.abs(xx - yy) < 15] = 1          # 30 cells wide along the diagonal
            if k + block <= n:
                dst.write(tile, 1, window=Window(k, k, block, block))
    tracemalloc.start()
    area = mask.read(path, cfg, Context(geo=None))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.01 * n * n * 8, f"peak {peak / 2**20:.0f} MiB"
    tiles = n // block
    assert len(shapely.get_parts(area.geometry)) == tiles
    assert area.geometry.area == pytest.approx(tiles * int((np.abs(np.subtract.outer(*[np.arange(block)] * 2)) < 15)
                                                           .sum()) * 100.0)
