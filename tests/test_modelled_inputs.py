"""The modelled inputs are what the generator script makes from each case's spec, say they are modelled, reach
the sea where the pipeline looks for the mouth, and behave as designed."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
from rasterio.transform import rowcol
import shapely

from pipeline import land_line

ROOT = Path(__file__).resolve().parents[1]
MODELLED = ROOT / "inputs" / "tumen" / "modelled"
CASES = ("tumen", "jakobselva", "rio_grande")


def _generator():
    spec = importlib.util.spec_from_file_location("make_modelled_inputs", ROOT / "scripts" / "make_modelled_inputs.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # the generator's dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Each case's spec, and the files the generator makes from it (once per test module: seconds)."""
    gen = _generator()
    out = {}
    for case in CASES:
        spec = gen.load_spec(ROOT / "inputs" / case / "modelled" / "model.toml")
        out[case] = (spec, gen.build(spec, tmp_path_factory.mktemp(case)))
    return out


def test_every_case_has_a_spec():
    assert {p.parts[-3] for p in _generator().SPECS} == set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_bundled_modelled_inputs_are_what_the_script_generates(generated, case):
    """The generator writes reproducible files: the same bytes as the committed ones."""
    spec, made = generated[case]
    assert set(made) == ({"river", "depth"} if spec.depth_file else {"river"})
    for path in made.values():
        assert path.read_bytes() == (spec.path.parent / path.name).read_bytes(), path.name


def test_spec_refuses_unknown_keys(tmp_path):
    text = (MODELLED / "model.toml").read_text(encoding="utf-8").replace("[width]\n", "[width]\nwidht = 3\n")
    (tmp_path / "model.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="widht"):
        _generator().load_spec(tmp_path / "model.toml")


@pytest.mark.parametrize("case", CASES)
def test_every_modelled_file_says_so(generated, case):
    spec, made = generated[case]
    meta = pyogrio.read_info(made["river"], layer="water").get("layer_metadata") or {}
    assert meta.get("MODELLED") == "yes" and "MODELLED" in meta.get("DESCRIPTION", "")
    assert meta.get("GENERATOR") == "scripts/make_modelled_inputs.py"
    assert set(gpd.read_file(made["river"], layer="water")["modelled"]) == {1}
    if "depth" in made:
        with rasterio.open(made["depth"]) as src:
            assert src.tags()["MODELLED"] == "yes" and "MODELLED" in src.tags()["DESCRIPTION"]


@pytest.mark.parametrize("case", CASES)
def test_modelled_water_reaches_the_sea_where_the_pipeline_looks(generated, case):
    """One valid polygon whose outer ring leaves the coast file's land at one opening; the model course
    crosses that closing line (for the new cases: at the coast end of the mapped border, ``mouth_near``)."""
    spec, made = generated[case]
    land = gpd.read_file(spec.coast).to_crs(spec.crs).geometry.union_all()
    water = gpd.read_file(made["river"], layer="water").geometry.union_all()
    assert water.is_valid and water.geom_type == "Polygon"
    assert len(water.interiors) == len(spec.islands)
    mouth = land_line.find_mouth(water=water, land=land, snap_m=1.0, min_width_m=20.0)
    assert len(mouth.other_openings) == (len(spec.closing) - 1 if spec.mouth_mode == "inlet" else 0)
    centre = gpd.read_file(made["river"], layer="model_centreline").geometry.iloc[0]
    assert centre.distance(mouth.closing_line) < 1.0  # the Tumen's model course ends on its closing line
    crossing = shapely.Point(shapely.shortest_line(mouth.closing_line, centre).coords[0])
    if spec.mouth_near is not None:
        coast_end = gpd.GeoSeries([shapely.Point(spec.mouth_near)], crs=4326).to_crs(spec.crs).iloc[0]
        assert crossing.distance(coast_end) < 0.5 * spec.width_mouth_m
        assert spec.width_mouth_m * 0.6 < mouth.closing_line.length < spec.width_mouth_m * 2.5


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


@pytest.mark.parametrize("case", ["jakobselva", "rio_grande"])
def test_new_rivers_have_the_stated_widths(generated, case):
    """Across the channel (islands filled), the width stays near the spec's upstream width for the upper
    half of the reach and reaches the width at the mouth near the coast."""
    spec, made = generated[case]
    water = shapely.Polygon(gpd.read_file(made["river"], layer="water").geometry.iloc[0].exterior)
    centre = gpd.read_file(made["river"], layer="model_centreline").geometry.iloc[0]
    coast_end = gpd.GeoSeries([shapely.Point(spec.mouth_near)], crs=4326).to_crs(spec.crs).iloc[0]
    length = centre.project(coast_end)

    def width(s):
        p, q = np.array(centre.interpolate(s).coords[0]), np.array(centre.interpolate(s + 1.0).coords[0])
        n = np.array([-(q - p)[1], (q - p)[0]]) / np.linalg.norm(q - p)
        parts = shapely.get_parts(shapely.LineString([p - 1000 * n, p + 1000 * n]).intersection(water))
        return max(g.length for g in parts if g.distance(shapely.Point(p)) < 1.0)

    upper = np.array([width(s) for s in np.linspace(0.05, 0.5, 10) * length])
    slack = spec.oscillation_m + 0.15 * spec.width_up_m
    assert np.all(np.abs(upper - spec.width_up_m) < slack), upper
    assert abs(width(length - 20.0) - spec.width_mouth_m) < 0.15 * spec.width_mouth_m


@pytest.mark.parametrize("case, span", [("tumen", 150), ("jakobselva", 50)])
def test_model_thalweg_is_the_ridge_of_the_depth_grid(case, span):
    """Along cross-sections of the channel (``span`` m either side: not into the next meander), the deepest
    cell lies within 2 cells of the model thalweg."""
    folder = ROOT / "inputs" / case / "modelled"
    thalweg = gpd.read_file(folder / f"{case}_river.gpkg", layer="model_thalweg").geometry.iloc[0]
    with rasterio.open(folder / f"{case}_depth.tif") as src:
        depth = src.read(1, masked=True).filled(np.nan)
        transform = src.transform
        cell = src.res[0]
    offsets = []
    for s in np.linspace(0.1, 0.8, 15) * thalweg.length:
        p = np.array(thalweg.interpolate(s).coords[0])
        q = np.array(thalweg.interpolate(s + 1.0).coords[0])
        n = np.array([-(q - p)[1], (q - p)[0]]) / np.linalg.norm(q - p)
        ts = np.arange(-span, span + 1, 2.0)
        pts = p + ts[:, None] * n
        rows, cols = rowcol(transform, pts[:, 0], pts[:, 1])
        vals = depth[np.asarray(rows), np.asarray(cols)]
        offsets.append(abs(ts[np.nanargmax(vals)]))
    assert max(offsets) <= 2 * cell


def test_a_configured_course_line_works_too(tmp_path):
    """``course.mode = "line"``: a lon/lat line (upstream first) instead of the mapped border; here 2 km of
    the Rio Grande's OSM edge to the coast, given as a line."""
    gen = _generator()
    rg = ROOT / "inputs" / "rio_grande"
    land = gpd.read_file(rg / "osm_land_coastline_rio_grande.geojson").set_index("iso_a3")
    edge = land.loc["USA", "geometry"].intersection(land.loc["MEX", "geometry"])
    coords = shapely.get_coordinates(edge)
    end = int(np.argmin(np.hypot(coords[:, 0] + 97.14506, coords[:, 1] - 25.95810)))
    seg = coords[max(0, end - 40):end + 1] if end > 0 else coords[:41][::-1]
    text = (rg / "modelled" / "model.toml").read_text(encoding="utf-8")
    text = text.replace('mode = "border"', 'mode = "line"\nline = ' + str([[round(float(x), 7), round(float(y), 7)] for x, y in seg]))
    text = text.replace('coast = "../osm', f'coast = "{rg.as_posix()}/osm').replace("length_m = 25000.0", "length_m = 2000.0")
    text = text[:text.index("[[islands]]")]
    (tmp_path / "model.toml").write_text(text, encoding="utf-8")
    made = gen.build(tmp_path / "model.toml")
    water = gpd.read_file(made["river"], layer="water").geometry.union_all()
    coast = gpd.read_file(rg / "osm_land_coastline_rio_grande.geojson").to_crs(32614).geometry.union_all()
    assert water.is_valid and water.geom_type == "Polygon"
    mouth = land_line.find_mouth(water=water, land=coast, snap_m=1.0, min_width_m=20.0)
    assert 80 < mouth.closing_line.length < 250
