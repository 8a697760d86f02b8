"""River and depth data in the forms analysts hold (:mod:`pipeline.forms`), on inputs generated from the
bundled modelled ones by :mod:`forms_data`.

Acceptance: each form, run through the whole pipeline (``driver.compute``) with a copy of
``inputs/tumen/tumen.toml`` pointing at it, gives lines within these distances (symmetric Hausdorff, points every
2 m along both lines) of the canonical run on the bundled polygons and GeoTIFF:

==============  =========================================================
raster mask     land boundary and middle line within 1.5 cells (15 m)
OpenStreetMap   land boundary, middle line and thalweg within 1 m
bank lines      land boundary, middle line and thalweg within 1 m
soundings       thalweg within 3 cells (30 m) of the canonical thalweg
==============  =========================================================

The measured figures are printed in pytest's terminal summary (table "forms"). Expected values of the
unit tests come from the generators' own data: cells counted with ``scipy.ndimage``, planes evaluated at
points transformed with pyproj, analytic rectangles -- never from the code under test.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer
from scipy import ndimage
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import split

import fixtures as F
import forms_data as D
from conftest import INPUTS, edit_toml  # tests/ is on sys.path
from pipeline import forms, geometry
from pipeline.forms.osm import is_river_water
from pipeline.config import load_config, with_overrides
from pipeline.driver import compute
from pipeline.errors import InputError

UTM = CRS.from_epsg(32652)          # the modelled inputs' CRS
TOLERANCE_M = {                     # line -> largest allowed Hausdorff distance to the canonical run
    "mask": {"land": 15.0, "middle": 15.0},
    "osm": {"land": 1.0, "middle": 1.0, "thalweg": 1.0},
    "banks": {"land": 1.0, "middle": 1.0, "thalweg": 1.0},
    "soundings": {"thalweg": 30.0},
}
DECOY_TAGS = {"farmland": {"landuse": "farmland"}, "pond": {"natural": "water", "water": "pond"},
              "oxbow": {"natural": "water", "water": "oxbow"}}


@pytest.fixture(scope="module", autouse=True)
def _accuracy_report(request):
    F.register_report(request.config)


def hausdorff_m(a, b, step_m: float = 2.0) -> float:
    """Symmetric Hausdorff distance between two (metric) lines, on points every ``step_m`` along each."""
    pa = shapely.points(shapely.get_coordinates(shapely.segmentize(a, step_m)))
    pb = shapely.points(shapely.get_coordinates(shapely.segmentize(b, step_m)))
    return float(max(shapely.distance(pa, b).max(), shapely.distance(pb, a).max()))


def to_crs(geom, src: CRS, dst: CRS):
    t = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def water_area(path: Path, form: str, cfg):
    """(water, the CRS the form states it in, detail) as the registered river form ``form`` reads ``path``."""
    area = forms.get(form, "river").read(path, cfg, forms.Context(geo=None))   # river forms need no datum path
    return area.geometry, area.crs, area.detail


def depth_grid(path: Path, water, geo, cfg, anchors=None):
    """The depth grid the form that recognises ``path`` reads, given the river's (metric) water."""
    form, grid = forms.read("depth", path, cfg, forms.Context(geo, water, anchors or {}))
    assert form.name == grid.form
    return grid


def river_form(path: Path, cfg, configured: str, layer: str) -> str:
    """The name of the river form :func:`pipeline.forms.recognise` picks for ``path``."""
    return forms.recognise("river", path, with_overrides(cfg, {"inputs.river_form": configured,
                                                               "inputs.river_layer": layer})).name


# ============================================================================================ fixtures
@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("forms")


@pytest.fixture(scope="module")
def base_cfg():
    return load_config(INPUTS / "tumen.toml")


@pytest.fixture(scope="module")
def bare_cfg(base_cfg):
    """The bundled config without a river layer name (the generated files hold one layer each)."""
    return with_overrides(base_cfg, {"inputs.river_layer": ""})


@pytest.fixture(scope="module")
def canonical(base_cfg):
    return compute(base_cfg)


@pytest.fixture(scope="module")
def river():
    poly, crs = D.modelled_river()
    assert crs.equals(UTM)
    return poly


@pytest.fixture(scope="module")
def closing_utm(canonical) -> LineString:
    """The canonical run's closing line in the modelled file's CRS (pyproj, directly)."""
    return to_crs(canonical.channel.mouth.closing_line, canonical.inputs.geo.metric, UTM)


def config_copy(work: Path, base_cfg, name: str, **inputs: str):
    """A copy of inputs/tumen/tumen.toml in its own folder, with absolute paths to the bundled inputs and the
    [inputs] keys ``inputs`` (string values) set."""
    folder = work / name
    folder.mkdir(exist_ok=True)
    toml = folder / "tumen.toml"
    shutil.copy(INPUTS / "tumen.toml", toml)
    for key in ("coast", "river", "points", "reference", "depth"):
        edit_toml(toml, "inputs", key, json.dumps(str(getattr(base_cfg.inputs, key))))
    for key, value in inputs.items():
        edit_toml(toml, "inputs", key, json.dumps(value))
    return load_config(toml)


@pytest.fixture(scope="module")
def mask(work) -> D.MaskInfo:
    return D.write_mask(work / "water_mask.tif")


@pytest.fixture(scope="module")
def osm(work, river) -> tuple[Path, dict[int, str]]:
    ll = to_crs(river, UTM, D.WGS84)
    areas = [D.OsmArea(ll, {"natural": "water", "water": "river", "name": "Modelled river"}, True)]
    for name, shape in D.decoy_areas(river):
        areas.append(D.OsmArea(to_crs(shape, UTM, D.WGS84), DECOY_TAGS[name], as_relation=name == "oxbow"))
    path = work / "river.osm"
    return path, D.write_osm(path, areas)


@pytest.fixture(scope="module")
def banks(work, river, closing_utm) -> Path:
    """Bank lines (the second reversed: the banks need not run the same way) and islands as closed lines,
    in GeoJSON (lon/lat)."""
    b1, b2, _, _ = D.split_banks(river, closing_utm)
    lines = [b1, LineString(b2.coords[::-1]), *[LineString(h.coords) for h in river.interiors]]
    path = work / "banks.geojson"
    D.write_vector(path, [to_crs(g, UTM, D.WGS84) for g in lines], D.WGS84,
                   {"kind": ["bank", "bank"] + ["island"] * len(river.interiors)})
    return path


@pytest.fixture(scope="module")
def soundings() -> tuple[np.ndarray, np.ndarray]:
    return D.sounding_points()


@pytest.fixture(scope="module")
def soundings_gpkg(work, soundings) -> Path:
    path = work / "soundings.gpkg"
    D.write_soundings_gpkg(path, *soundings, UTM)
    return path


@pytest.fixture(scope="module")
def form_run(work, base_cfg, mask, osm, banks, soundings_gpkg):
    """form -> the whole pipeline's results with a copy of the config pointing at that form's file."""
    files = {"mask": {"river": str(mask.path), "river_layer": ""}, "osm": {"river": str(osm[0]), "river_layer": ""},
             "banks": {"river": str(banks), "river_layer": ""}, "soundings": {"depth": str(soundings_gpkg)}}
    done = {}

    def run(form: str):
        if form not in done:
            done[form] = compute(config_copy(work, base_cfg, form, **files[form]))
        return done[form]

    return run


# ============================================================================================ acceptance
@pytest.mark.parametrize("form", list(TOLERANCE_M))
def test_form_gives_the_canonical_lines(form, form_run, canonical):
    r = form_run(form)
    assert r.inputs.geo.metric.equals(canonical.inputs.geo.metric)
    measured = {"land": hausdorff_m(r.land.line, canonical.land.line),
                "middle": hausdorff_m(r.channel.middle.line, canonical.channel.middle.line),
                "thalweg": hausdorff_m(r.channel.thalweg.line, canonical.channel.thalweg.line)}
    F.record(form, table="forms: Hausdorff distance to the canonical run's lines (m)", **measured)
    river, depth = r.inputs.files["river"], r.inputs.files["depth"]
    assert (river.form, depth.form) == ({"soundings": "polygons"}.get(form, form),
                                        "soundings" if form == "soundings" else "geotiff")
    assert river.detail and depth.detail
    for line, tol in TOLERANCE_M[form].items():
        assert measured[line] <= tol, f"{form}: {line} {measured[line]:.2f} m from the canonical run (> {tol} m)"
    assert r.passed, [c.name for c in r.checks if not c.passed]


def test_each_form_is_recognised_from_the_file(mask, osm, banks, soundings_gpkg, base_cfg):
    assert river_form(mask.path, base_cfg, "auto", "") == "mask"
    assert river_form(osm[0], base_cfg, "auto", "") == "osm"
    assert river_form(banks, base_cfg, "auto", "") == "banks"
    assert river_form(D.MODELLED_RIVER, base_cfg, "auto", D.RIVER_LAYER) == "polygons"
    assert river_form(D.MODELLED_RIVER, base_cfg, "mask", D.RIVER_LAYER) == "mask"   # configured wins
    with pytest.raises(InputError) as e:
        river_form(soundings_gpkg, base_cfg, "auto", "")
    assert e.value.path == soundings_gpkg and "Point" in e.value.problem
    assert e.value.problem.endswith("expected water polygons, two bank lines, a raster water mask or an "
                                    "OpenStreetMap file")
    assert forms.recognise("depth", soundings_gpkg, base_cfg).name == "soundings"
    assert forms.recognise("depth", D.MODELLED_DEPTH, base_cfg).name == "geotiff"


# ============================================================================================ raster mask
def _cleaned(water: np.ndarray, min_cells: int) -> tuple[np.ndarray, int, int]:
    """(cleaned mask, water patches removed, holes filled): 4-connected water patches below ``min_cells``
    dropped, then enclosed (8-connected) land patches below ``min_cells`` filled."""
    labels, n = ndimage.label(water)                                   # 4-connected
    sizes = ndimage.sum(water, labels, np.arange(1, n + 1))
    kept = np.isin(labels, 1 + np.flatnonzero(sizes >= min_cells))
    land, m = ndimage.label(~kept, structure=np.ones((3, 3)))          # 8-connected
    border = np.unique(np.concatenate([land[0], land[-1], land[:, 0], land[:, -1]]))
    lsizes = ndimage.sum(~kept, land, np.arange(1, m + 1))
    small = [k for k in range(1, m + 1) if k not in border and lsizes[k - 1] < min_cells]
    return kept | np.isin(land, small), int((sizes < min_cells).sum()), len(small)


@pytest.mark.parametrize("boundary", ["cell_edges", "fitted"])
def test_mask_polygon_is_exactly_the_cleaned_mask(mask, river, base_cfg, boundary):
    """Both edges give back the cleaned mask when sampled at the cell centres; ``cell_edges`` (the default) is
    made of whole cells, ``fitted`` runs between the cell centres either side of them (tests/test_bankfit.py)."""
    from rasterio.features import rasterize

    cfg = with_overrides(base_cfg, {"forms.mask.boundary": boundary})
    water, crs, detail = water_area(mask.path, "mask", cfg)
    assert crs.equals(UTM)
    cell_area = mask.cell_m ** 2
    raw = (mask.river | mask.speckle) & ~mask.holes                  # what the file holds
    expected, removed, filled = _cleaned(raw, int(np.ceil(base_cfg.inputs.mask_min_area_m2 / cell_area)))
    got = rasterize([(water, 1)], out_shape=mask.shape, transform=mask.transform, dtype="uint8").astype(bool)
    assert (got == expected).all(), f"{int((got != expected).sum())} cells differ from the cleaned mask"
    col, row = ~mask.transform @ tuple(shapely.get_coordinates(water).T)
    if boundary == "cell_edges":   # whole cells only: the cells' area, every vertex a cell corner
        assert water.area == pytest.approx(expected.sum() * cell_area, rel=1e-9)
        assert np.allclose(col, np.round(col), atol=1e-6) and np.allclose(row, np.round(row), atol=1e-6)
    else:                          # between the cell centres either side: within 3/4 of a cell of the cell edges
        cells, _, _ = water_area(mask.path, "mask", with_overrides(base_cfg, {"forms.mask.boundary": "cell_edges"}))
        off = shapely.distance(shapely.points(shapely.get_coordinates(water)), cells.boundary)
        assert off.max() < 0.75 * mask.cell_m and "edge fitted" in detail
        assert water.area == pytest.approx(expected.sum() * cell_area, rel=0.01)
    assert not (got & mask.speckle).any() and (got & mask.holes).sum() == mask.holes.sum()
    parts = geometry.polygons(water)
    assert len(parts) == 1 and len(parts[0].interiors) == len(river.interiors)   # the islands stay holes
    assert re.search(rf"removed {removed} water patch\(es\) and filled {filled} hole\(s\)", detail), detail
    assert removed >= int(ndimage.label(mask.speckle)[1]) > 0 and filled == int(ndimage.label(mask.holes)[1]) > 0


def test_mask_in_percent_with_threshold(mask, work, base_cfg):
    path = work / "occurrence.tif"
    D.percent_mask(mask, path)      # same water as the binary mask; a row of water cells at exactly 50
    binary, _, _ = water_area(mask.path, "mask", base_cfg)
    percent, _, detail = water_area(path, "mask", base_cfg)
    assert percent.equals(binary), "cells >= inputs.water_threshold (50) are water, cells below it land"
    assert "cells >= 50 as water" in detail
    with pytest.raises(InputError) as e:
        water_area(path, "mask", with_overrides(base_cfg, {"inputs.water_threshold": 100.5}))
    assert e.value.path == path and "no water cells" in e.value.problem


def test_mask_without_water_is_an_input_error(work, mask):
    import rasterio

    path = work / "dry.tif"
    with rasterio.open(mask.path) as src:
        profile = src.profile
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.zeros(mask.shape, "uint8"), 1)
    with pytest.raises(InputError) as e:
        water_area(path, "mask", load_config(INPUTS / "tumen.toml"))
    assert e.value.path == path and "no water cells" in e.value.problem


# ============================================================================================ OpenStreetMap
def test_osm_takes_the_river_and_ignores_the_decoys(osm, river, base_cfg):
    path, ids = osm
    water, crs, detail = water_area(path, "osm", base_cfg)
    assert crs.equals(D.WGS84, ignore_axis_order=True)
    got = to_crs(water, crs, UTM)
    shift = hausdorff_m(got.boundary, river.boundary)
    assert shift < 0.02, f"OSM water {shift:.3f} m from the river it encodes (1e-7 deg is about 1 cm)"
    assert got.area == pytest.approx(river.area, abs=0.02 * river.length)
    took, _, ignored = detail.partition("ignored")
    assert ids[0] in took and "natural=water water=river" in took
    for k, name in enumerate(DECOY_TAGS, start=1):
        assert ids[k] not in took
        assert " ".join(f"{a}={b}" for a, b in DECOY_TAGS[name].items()) in ignored


@pytest.mark.parametrize("tags, taken", [
    ({"natural": "water", "water": "river"}, True),
    ({"natural": "water", "water": "riverbank"}, True),
    ({"natural": "water", "water": "rapids"}, True),
    ({"waterway": "riverbank"}, True),
    ({"natural": "water", "water": "oxbow"}, False),
    ({"natural": "water", "water": "pond"}, False),
    ({"natural": "water", "water": "lake"}, False),
    ({"natural": "water", "water": "canal"}, False),
    ({"natural": "water"}, False),
    ({"water": "river"}, False),
    ({"landuse": "farmland"}, False),
])
def test_osm_river_water_rule(tags, taken):
    assert is_river_water(tags) is taken


def test_osm_without_river_water_lists_what_it_found(work, river, base_cfg):
    areas = [D.OsmArea(to_crs(shape, UTM, D.WGS84), DECOY_TAGS[name], as_relation=name == "oxbow")
             for name, shape in D.decoy_areas(river)]
    path = work / "decoys_only.osm"
    D.write_osm(path, areas)
    with pytest.raises(InputError) as e:
        water_area(path, "osm", base_cfg)
    p = e.value.problem
    assert e.value.path == path and "no river water area" in p
    assert "landuse=farmland (1)" in p and "natural=water water=pond (1)" in p and "water=oxbow (1)" in p


def test_osm_with_the_river_only_as_a_line(work, base_cfg):
    path = work / "line_only.osm"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
                    '  <node id="-1" lat="42.40" lon="130.60"/>\n  <node id="-2" lat="42.41" lon="130.61"/>\n'
                    '  <way id="-3"><nd ref="-1"/><nd ref="-2"/><tag k="waterway" v="river"/></way>\n</osm>\n',
                    encoding="utf-8")
    with pytest.raises(InputError) as e:
        water_area(path, "osm", base_cfg)
    assert e.value.path == path and "holds no areas" in e.value.problem


# ============================================================================================ bank lines
def test_bank_lines_close_into_the_river(banks, river, closing_utm, bare_cfg):
    water, crs, detail = water_area(banks, "banks", bare_cfg)
    a, b = (np.asarray(c) for c in closing_utm.coords)
    u = (b - a) / np.linalg.norm(b - a)
    blade = LineString([a - u, b + u])
    start = Point(D.modelled_centreline().coords[0])
    expected = next(p for p in split(river, blade).geoms if p.distance(start) < 1.0)  # the river side
    diff = to_crs(water, crs, UTM).symmetric_difference(expected).area
    assert diff < 1.0, f"{diff:.2f} m2 between the closed bank lines and the river up to its closing line"
    assert len(water.interiors) == len(river.interiors)
    assert f"{len(river.interiors)} island(s)" in detail


def _write_lines(path: Path, lines) -> Path:
    D.write_vector(path, [affinity.translate(g, 634000, 4690000) for g in lines], UTM)
    return path


def test_bank_lines_in_pieces_and_any_direction(work, bare_cfg):
    path = _write_lines(work / "pieces.gpkg", [LineString([(0, 0), (400, 0)]), LineString([(400, 0), (1000, 0)]),
                                               LineString([(1000, 100), (0, 100)]),
                                               LineString([(300, 40), (500, 40), (500, 60), (300, 60), (300, 40)])])
    water, _, detail = water_area(path, "banks", bare_cfg)
    expected = affinity.translate(Polygon(box(0, 0, 1000, 100).exterior.coords,
                                                  [box(300, 40, 500, 60).exterior.coords]), 634000, 4690000)
    assert water.symmetric_difference(expected).area < 1e-6
    assert "1 island(s)" in detail and "1.00 km and 1.00 km" in detail and "100 m and 100 m" in detail


@pytest.mark.parametrize("case, lines, message", [
    ("one line", [LineString([(0, 0), (1000, 0)])], "found 1 open line"),
    ("three lines", [LineString([(0, 0), (1000, 0)]), LineString([(0, 100), (1000, 100)]),
                     LineString([(0, 300), (1000, 300)])], "found 3 open line"),
    ("rings only", [LineString([(0, 0), (10, 0), (10, 10), (0, 0)]), LineString([(20, 0), (30, 0), (30, 10),
                                                                                   (20, 0)])], "found 0 open line"),
    ("crossing", [LineString([(0, 0), (1000, 100)]), LineString([(0, 100), (1000, 0)])], "cross or touch"),
    ("island outside", [LineString([(0, 0), (1000, 0)]), LineString([(0, 100), (1000, 100)]),
                        LineString([(300, 140), (500, 140), (500, 160), (300, 140)])], "island ring 1"),
    ("point", [Point(0, 0), LineString([(0, 0), (1000, 0)])], "a Point among the bank lines"),
])
def test_bad_bank_lines(case, lines, message, work, bare_cfg):
    path = _write_lines(work / f"bad_{case.replace(' ', '_')}.geojson", lines)
    with pytest.raises(InputError) as e:
        water_area(path, "banks", bare_cfg)
    assert e.value.path == path and message in e.value.problem, e.value.problem


# ============================================================================================ soundings
def _plane(xy_utm: np.ndarray) -> np.ndarray:
    """A tilted plane of depth (m, positive down) in the UTM coordinates: 6 m, +1 cm/m east, -0.4 cm/m north."""
    return 6.0 + 0.01 * (xy_utm[:, 0] - 636000.0) - 0.004 * (xy_utm[:, 1] - 4690000.0)


@pytest.mark.parametrize("form", ["gpkg, depths", "csv lon/lat, elevations"])
def test_soundings_interpolate_a_plane_exactly_on_the_water(form, work, soundings, canonical, base_cfg):
    """Linear interpolation reproduces a plane: every water cell inside the soundings' hull holds the plane's
    depth at its centre (evaluated in UTM after pyproj's transform), every cell outside the water is NaN.
    The CSV holds lon/lat (pyproj) and elevations (minus the depth), read with depth_positive = "up"."""
    xy, _ = soundings
    if form.startswith("gpkg"):
        path = work / "plane.gpkg"
        D.write_soundings_gpkg(path, xy, _plane(xy), UTM, column="sounding")
        cfg = with_overrides(base_cfg, {"inputs.depth_field": "sounding", "inputs.depth_cell_m": 10.0})
    else:
        ll = np.column_stack(Transformer.from_crs(UTM, D.WGS84, always_xy=True).transform(xy[:, 0], xy[:, 1]))
        path = work / "plane_lonlat.csv"
        D.write_soundings_csv(path, ll, -_plane(xy), column="elev")
        cfg = with_overrides(base_cfg, {"inputs.depth_field": "elev", "inputs.depth_positive": "up",
                                        "inputs.depth_crs": "EPSG:4326", "inputs.depth_cell_m": 10.0})
    geo, water = canonical.inputs.geo, canonical.inputs.water
    grid = depth_grid(path, water, geo, cfg)
    assert grid.form == "soundings" and grid.crs.equals(geo.metric) and grid.cell_m == 10.0
    assert f"{len(xy)} soundings" in grid.detail and "10 m" in grid.detail
    t = grid.transform
    assert (t.a, t.b, t.d, t.e) == (10.0, 0.0, 0.0, -10.0)
    rows, cols = np.indices(grid.depth.shape)
    cx, cy = t @ (cols.ravel() + 0.5, rows.ravel() + 0.5)
    wet = shapely.contains_xy(water, cx, cy)
    values = grid.depth.ravel()
    assert np.isnan(values[~wet]).all() and np.isfinite(values[wet]).all()
    hull = shapely.convex_hull(to_crs(shapely.multipoints(xy), UTM, geo.metric))
    inner = wet & shapely.contains_xy(hull.buffer(-10.0), cx, cy)
    expected = _plane(np.column_stack(Transformer.from_crs(geo.metric, UTM, always_xy=True)
                                      .transform(cx[inner], cy[inner])))
    err = np.abs(values[inner] - expected)
    F.record(f"soundings: plane ({form})", table="forms: Hausdorff distance to the canonical run's lines (m)",
             plane_error=float(err.max()))
    assert inner.sum() > 0.8 * wet.sum() and err.max() < 1e-3, f"worst {err.max():.4f} m off the plane"


def test_soundings_outside_the_water_are_dropped(work, soundings, canonical, base_cfg):
    xy, depth = soundings
    far = xy[:5] + [30_000.0, 0.0]
    path = work / "with_strays.gpkg"
    D.write_soundings_gpkg(path, np.vstack([xy, far]), np.concatenate([depth, depth[:5]]), UTM)
    grid = depth_grid(path, canonical.inputs.water, canonical.inputs.geo, base_cfg)
    assert f"{len(xy)} soundings" in grid.detail and "5 outside the water dropped" in grid.detail


def _bad_soundings(work: Path, case: str, xy: np.ndarray, depth: np.ndarray) -> tuple[Path, dict]:
    if case == "no depth column":
        path = work / "no_depth.gpkg"
        D.write_soundings_gpkg(path, xy, depth, UTM, column="z")
        return path, {}
    if case == "no depth column (CSV)":
        path = work / "no_depth.csv"
        D.write_soundings_csv(path, xy, depth, column="z", axes=("x", "y"))
        return path, {"inputs.depth_crs": "EPSG:32652"}
    if case == "two soundings":
        path = work / "two.csv"
        D.write_soundings_csv(path, xy[:2], depth[:2], column="depth", axes=("x", "y"))
        return path, {"inputs.depth_crs": "EPSG:32652"}
    if case == "outside the water":
        path = work / "shifted.gpkg"
        D.write_soundings_gpkg(path, xy + [30_000.0, 0.0], depth, UTM)
        return path, {}
    if case == "elevations read as depths":
        path = work / "elevations.gpkg"
        D.write_soundings_gpkg(path, xy, -depth, UTM)
        return path, {}
    if case == "lon/lat columns, projected CRS":
        path = work / "lonlat_projected.csv"
        D.write_soundings_csv(path, xy, depth, column="depth")
        return path, {"inputs.depth_crs": "EPSG:32652"}
    raise AssertionError(case)


@pytest.mark.parametrize("case, message", [
    ("no depth column", "no column 'depth'"),
    ("no depth column (CSV)", "no column 'depth'"),
    ("two soundings", "at least 3"),
    ("outside the water", "outside the river water area"),
    ("elevations read as depths", "no sounding inside the water has a positive depth"),
    ("lon/lat columns, projected CRS", "is not a geographic CRS"),
])
def test_bad_soundings(case, message, work, soundings, canonical, base_cfg):
    xy, depth = soundings
    path, overrides = _bad_soundings(work, case, xy, depth)
    cfg = with_overrides(base_cfg, overrides) if overrides else base_cfg
    with pytest.raises(InputError) as e:
        depth_grid(path, canonical.inputs.water, canonical.inputs.geo, cfg)
    assert e.value.path == path and message in e.value.problem, e.value.problem
    if "column" in case:
        assert "z" in e.value.problem      # the columns the file has are listed


# ============================================================================================ hostile variants
def _rewrite_mask(src: Path, dst: Path, values: np.ndarray, **profile) -> Path:
    import rasterio

    with rasterio.open(src) as s:
        p = dict(s.profile, **profile)
    with rasterio.open(dst, "w", **p) as d:
        d.write(values.astype(p["dtype"]), 1)
    return dst


MASK_VARIANTS = {   # name -> (water value, land value, profile changes): the same water as the 0/1 mask
    "0/255": (255, 0, {}),
    "NaN land": (1.0, np.nan, {"dtype": "float32", "nodata": np.nan}),
    "int16 nodata land": (1, -32768, {"dtype": "int16", "nodata": -32768}),
    "255 water, land nodata 0": (255, 0, {"nodata": 0}),
}


@pytest.mark.parametrize("variant", list(MASK_VARIANTS))
def test_mask_variants_give_the_same_lines(variant, work, base_cfg, mask, form_run, canonical):
    """0/255 masks and masks with land as nodata (NaN, the band's nodata value) hold the same water as the 0/1
    mask: the whole run gives the 0/1 mask's lines exactly, within the mask tolerance of the canonical run."""
    import rasterio

    wet_value, land_value, profile = MASK_VARIANTS[variant]
    with rasterio.open(mask.path) as s:
        water = s.read(1) == 1
    path = _rewrite_mask(mask.path, work / f"mask_{re.sub(r'[^a-z0-9]+', '_', variant)}.tif",
                         np.where(water, wet_value, land_value), **profile)
    r = compute(config_copy(work, base_cfg, f"mask-{variant.replace('/', '-')}", river=str(path), river_layer=""))
    ref = form_run("mask")
    assert r.inputs.water.equals(ref.inputs.water), variant
    for line in ("land", "middle"):
        got = r.land.line if line == "land" else r.channel.middle.line
        assert hausdorff_m(got, ref.land.line if line == "land" else ref.channel.middle.line) < 1e-6, line
        want = canonical.land.line if line == "land" else canonical.channel.middle.line
        assert hausdorff_m(got, want) <= TOLERANCE_M["mask"][line], line
    assert r.passed


@pytest.mark.parametrize("values, message", [
    (lambda w: np.where(w, 1000.0, 0.0), "neither a binary mask"),
    (lambda w: np.where(w, 0.9, -0.3), "neither a binary mask"),
    (lambda w: np.where(w, 0.9, 0.1), "a fraction 0..1"),
    (lambda w: np.full(w.shape, 80.0), "every cell is water"),
])
def test_masks_whose_values_defeat_the_threshold_are_refused(values, message, work, mask, base_cfg):
    import rasterio

    with rasterio.open(mask.path) as s:
        water = s.read(1) == 1
    path = _rewrite_mask(mask.path, work / "odd_values.tif", values(water), dtype="float32")
    with pytest.raises(InputError) as e:
        water_area(path, "mask", base_cfg)
    assert e.value.path == path and message in e.value.problem, e.value.problem


def test_depth_with_scale_and_offset_gives_the_canonical_thalweg(work, base_cfg, canonical):
    """A depth GeoTIFF storing (depth - 5) / 0.5 with scale 0.5 and offset 5 (float64: exact) holds the bundled
    depth as physical values: the run gives the canonical lines exactly. Read raw, most depths would be
    negative."""
    import rasterio

    with rasterio.open(D.MODELLED_DEPTH) as s:
        p, band = s.profile, s.read(1, masked=True)
    raw = np.where(band.mask, -9999.0, (band.filled(0).astype("float64") - 5.0) / 0.5)
    path = work / "depth_scaled.tif"
    with rasterio.open(path, "w", **dict(p, dtype="float64", nodata=-9999.0)) as d:
        d.write(raw, 1)
        d.scales, d.offsets, d.units = (0.5,), (5.0,), ("metre",)
    r = compute(config_copy(work, base_cfg, "depth-scaled", depth=str(path)))
    assert "scale 0.5, offset 5 applied" in r.inputs.files["depth"].detail
    assert np.array_equal(np.nan_to_num(r.inputs.depth.depth, nan=-1), np.nan_to_num(canonical.inputs.depth.depth,
                                                                                     nan=-1))
    for got, want in ((r.land.line, canonical.land.line), (r.channel.thalweg.line, canonical.channel.thalweg.line)):
        assert hausdorff_m(got, want) < 1e-6


def test_a_flat_bed_warns_when_only_the_middle_line_is_used(work, base_cfg, canonical, caplog):
    """With land.border_line = "middle" a flat bed is not refused (the depth feeds only the report's thalweg):
    a warning says the thalweg is meaningless. With the thalweg in use it is refused (tests/test_bad_inputs)."""
    import logging

    import rasterio

    with rasterio.open(D.MODELLED_DEPTH) as s:
        p, band = s.profile, s.read(1)
    path = work / "flat.tif"
    with rasterio.open(path, "w", **p) as d:
        d.write(np.where(band == p["nodata"], band, 4.0).astype(p["dtype"]), 1)
    geo, water = canonical.inputs.geo, canonical.inputs.water
    with pytest.raises(InputError) as e:
        depth_grid(path, water, geo, base_cfg)
    assert e.value.path == path and "flat" in e.value.problem
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        depth_grid(path, water, geo, with_overrides(base_cfg, {"land.border_line": "middle"}))
    assert any("flat" in r.getMessage() and "meaningless" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857", "EPSG:32652 (CSV x/y)"])
def test_soundings_are_read_in_their_stated_crs(crs, work, soundings, soundings_gpkg, canonical, base_cfg):
    """The same soundings written in another CRS (pyproj) give the same depth grid as in UTM: the same cells,
    and the same depth to 1 mm in at least 95 % of them. (The soundings lie on a regular pattern, so their
    Delaunay triangulation has co-circular quads whose diagonal a last-digit change flips: there the linear
    interpolation differs by up to a few decimetres. Read in the wrong CRS, they would lie kilometres away.)"""
    xy, depth = soundings
    geo, water = canonical.inputs.geo, canonical.inputs.water
    want = depth_grid(soundings_gpkg, water, geo, base_cfg)
    cfg = base_cfg
    if "CSV" in crs:
        path = work / "soundings_utm.csv"
        D.write_soundings_csv(path, xy, depth, column="depth", axes=("x", "y"))
        cfg = with_overrides(base_cfg, {"inputs.depth_crs": "EPSG:32652"})
    else:
        dst = CRS.from_user_input(crs)
        moved = np.column_stack(Transformer.from_crs(UTM, dst, always_xy=True).transform(xy[:, 0], xy[:, 1]))
        path = work / f"soundings_{dst.to_epsg()}.gpkg"
        D.write_soundings_gpkg(path, moved, depth, dst)
    got = depth_grid(path, water, geo, cfg)
    assert got.transform == want.transform and got.depth.shape == want.depth.shape
    assert (np.isfinite(got.depth) == np.isfinite(want.depth)).all()
    err = np.abs(got.depth - want.depth)[np.isfinite(want.depth)]
    assert (err <= 1e-3).mean() >= 0.95 and err.max() < 0.5, (float((err <= 1e-3).mean()), float(err.max()))


def test_soundings_coverage_is_measured_and_enforced(work, soundings, canonical, base_cfg):
    xy, depth = soundings
    geo, water = canonical.inputs.geo, canonical.inputs.water
    keep = xy[:, 1] > np.quantile(xy[:, 1], 0.8)          # the upper fifth of the river only
    path = work / "upper_fifth.gpkg"
    D.write_soundings_gpkg(path, xy[keep], depth[keep], UTM)
    with pytest.raises(InputError) as e:
        depth_grid(path, water, geo, base_cfg)
    assert e.value.path == path and "inputs.soundings_reach_m" in e.value.problem
    grid = depth_grid(path, water, geo, with_overrides(base_cfg, {"inputs.soundings_min_coverage": 0.1}))
    assert re.search(r"\d+% of the water within 100 m of one", grid.detail), grid.detail


def test_osm_incomplete_decoy_is_noted_not_refused(work, river, base_cfg):
    """A way of a decoy area that references a node missing from the file: the river is complete, so the file is
    read, and the detail says one other area is incomplete."""
    ll = to_crs(river, UTM, D.WGS84)
    areas = [D.OsmArea(ll, {"natural": "water", "water": "river"}, True)]
    name, shape = D.decoy_areas(river)[1]
    areas.append(D.OsmArea(to_crs(shape, UTM, D.WGS84), DECOY_TAGS[name], as_relation=False))
    path = work / "decoy_incomplete.osm"
    D.write_osm(path, areas)
    text = path.read_text().splitlines()
    last_nd = max(i for i, t in enumerate(text) if "<nd ref=" in t)
    text.insert(last_nd, '    <nd ref="-9999999"/>')
    path.write_text("\n".join(text) + "\n")
    _, _, detail = water_area(path, "osm", base_cfg)
    assert "1 other area(s) incomplete" in detail, detail
