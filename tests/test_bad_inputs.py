"""Bad input: one ``error: <file>: <problem>`` line on stderr, exit code 2, no traceback, no outputs touched.

Each case corrupts one file of a copy of ``inputs/`` (the ``bundle`` fixture) and runs
``tumen-border run --no-map`` into an output folder pre-populated with a sentinel file.
"""
from __future__ import annotations

import csv
import json
import logging
import re
import sqlite3
import warnings
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.windows import Window
from shapely.geometry import Polygon

from pipeline.config import load_config
from pipeline.geodesy import WGS84, to_metric
from pipeline.land_line import find_mouth
from pipeline.load import load_inputs

from conftest import edit_toml  # noqa: E402  (tests/ is on sys.path, like qgis_helpers)

CONFIG = "tumen.toml"
COAST = "osm_land_coastline_tumen.geojson"
RIVER = "modelled/tumen_river.gpkg"
DEPTH = "modelled/tumen_depth.tif"
POINTS = "treaty_points.csv"
REFERENCE = "osm_territory_with_sea_tumen.geojson"


# ------------------------------------------------------------------------------------------ helpers
def read_river(b: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(b / RIVER, layer="water", engine="pyogrio")


def write_river(b: Path, gdf: gpd.GeoDataFrame, **kw) -> None:
    """Replace the river GeoPackage by one holding only the ``water`` layer ``gdf``."""
    (b / RIVER).unlink()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)  # wanted in one case
        gdf.to_file(b / RIVER, layer="water", driver="GPKG", engine="pyogrio", **kw)


def river_as_shapefile(b: Path, prj: str | None) -> Path:
    """Write the river as ``modelled/tumen_river.shp``; ``prj`` None: no .prj, else the .prj's text."""
    shp = b / "modelled" / "tumen_river.shp"
    read_river(b)[["geometry"]].to_file(shp, engine="pyogrio")
    shp.with_suffix(".prj").unlink(missing_ok=True)
    if prj is not None:
        shp.with_suffix(".prj").write_text(prj)
    edit_toml(b / CONFIG, "inputs", "river", '"modelled/tumen_river.shp"')
    edit_toml(b / CONFIG, "inputs", "river_layer", '""')
    return shp


def map_coords(obj, f):
    if isinstance(obj, list) and obj and isinstance(obj[0], (int, float)):
        return f(obj)
    if isinstance(obj, list):
        return [map_coords(o, f) for o in obj]
    return obj


def edit_geojson(path: Path, f_feature: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    for feat in data["features"]:
        f_feature(feat)
    path.write_text(json.dumps(data))


def edit_points(b: Path, pid: str, **changes) -> None:
    path = b / POINTS
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    for r in rows:
        if r["id"] == pid:
            r.update({k: (v(r[k]) if callable(v) else v) for k, v in changes.items()})
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def write_depth(b: Path, window: Window | None = None, fill: float | None = None) -> None:
    path = b / DEPTH
    with rasterio.open(path) as src:
        window = window or Window(0, 0, src.width, src.height)
        arr = src.read(1, window=window)
        profile = dict(src.profile, width=int(window.width), height=int(window.height),
                       transform=src.transform @ Affine.translation(window.col_off, window.row_off))
    if fill is not None:
        arr[:] = fill
    path.unlink()
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)


def metric_water_and_land(b: Path):
    """The river water area and the coast land union in the river file's CRS (UTM 52N)."""
    river = read_river(b)
    coast = gpd.read_file(b / COAST, engine="pyogrio").to_crs(river.crs)
    return river, shapely.union_all(river.geometry.values), shapely.union_all(coast.geometry.values)


# ------------------------------------------------------------------------------------------ corruptions
# Each takes the bundle folder and returns the file the error must name.
def missing(rel: str):
    def f(b: Path) -> Path:
        (b / rel).unlink()
        return b / rel
    return f


def truncated(rel: str):
    def f(b: Path) -> Path:
        truncate(b / rel)
        return b / rel
    return f


def river_empty_layer(b: Path) -> Path:
    gdf = read_river(b)
    write_river(b, gdf.iloc[0:0], geometry_type="Polygon")
    return b / RIVER


def river_as_lines(b: Path) -> Path:
    gdf = read_river(b)
    write_river(b, gdf.set_geometry(gdf.geometry.boundary))
    return b / RIVER


def river_gpkg_undefined_srs(b: Path) -> Path:
    gdf = read_river(b)
    write_river(b, gdf.set_crs(None, allow_override=True))
    return b / RIVER


def river_shp_without_prj(b: Path) -> Path:
    return river_as_shapefile(b, None)


def river_shp_garbage_prj(b: Path) -> Path:
    river_as_shapefile(b, "this is not a coordinate reference system")
    return b / "modelled" / "tumen_river.prj"


def river_gpkg_garbage_srs(b: Path) -> Path:
    """A GeoPackage whose gpkg_spatial_ref_sys row holds no parsable definition."""
    with closing(sqlite3.connect(b / RIVER)) as con:
        (srs_id,) = con.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'water'").fetchone()
        con.execute("UPDATE gpkg_spatial_ref_sys SET definition = 'garbage', organization = 'NONE', "
                    "organization_coordsys_id = 0 WHERE srs_id = ?", (srs_id,))
        con.commit()
    return b / RIVER


def river_not_spatial(b: Path) -> Path:
    """inputs.river pointing at a table without geometry (the treaty points CSV)."""
    edit_toml(b / CONFIG, "inputs", "river", f'"{POINTS}"')
    edit_toml(b / CONFIG, "inputs", "river_layer", '""')
    return b / POINTS


def coast_unknown_crs_member(b: Path) -> Path:
    data = json.loads((b / COAST).read_text())
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}
    (b / COAST).write_text(json.dumps(data))
    return b / COAST


def coast_lat_lon_swapped(b: Path) -> Path:
    edit_geojson(b / COAST, lambda feat: feat["geometry"].update(
        coordinates=map_coords(feat["geometry"]["coordinates"], lambda c: [c[1], c[0], *c[2:]])))
    return b / COAST


def river_degenerate_polygon(b: Path) -> Path:
    """A ring along one straight line (exactly collinear integer vertices): invalid, make_valid gives lines."""
    gdf = read_river(b)
    x0, y0 = (float(round(v)) for v in gdf.total_bounds[:2])
    flat = Polygon([(x0, y0), (x0 + 3000, y0 + 8000), (x0 + 6000, y0 + 16000), (x0, y0)])
    assert not flat.is_valid
    write_river(b, gdf.set_geometry([flat], crs=gdf.crs))
    return b / RIVER


def river_sliver_polygon(b: Path) -> Path:
    """A valid polygon of (almost) zero area: its middle vertex is off the line by a rounding error."""
    gdf = read_river(b)
    x0, y0, x1, y1 = gdf.total_bounds
    sliver = Polygon([(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1), (x0, y0)])
    assert sliver.is_valid and sliver.area < 1
    write_river(b, gdf.set_geometry([sliver], crs=gdf.crs))
    return b / RIVER


def coast_degenerate_polygon(b: Path) -> Path:
    """The PRK land as a ring along a straight line (dyadic lon/lat, so exactly collinear)."""
    def flatten(feat):
        if feat["properties"]["iso_a3"] == "PRK":
            feat["geometry"] = {"type": "Polygon", "coordinates": [[[130.5, 42.25], [130.625, 42.375],
                                                                     [130.75, 42.5], [130.5, 42.25]]]}
    edit_geojson(b / COAST, flatten)
    return b / COAST


def river_moved_50km(b: Path) -> Path:
    gdf = read_river(b)
    write_river(b, gdf.set_geometry(gdf.geometry.translate(xoff=50_000)))
    return b / RIVER


def river_short_of_coast(b: Path) -> Path:
    """Cut the water area 3 km upstream of where it leaves the land: its banks end inside the land.

    The OSM coastline runs ~3.5 km up the estuary, so the cut is 3 km upstream of the northernmost water
    outside the land (the river runs roughly south to the sea here).
    """
    river, water, land = metric_water_and_land(b)
    assert find_mouth(water, land, 1.0, 20.0)  # the intact river does reach the coast
    y_sea = shapely.difference(water, land).bounds[3]
    x0, _, x1, y1 = water.bounds
    cut = shapely.intersection(water, shapely.box(x0 - 1, y_sea + 3000, x1 + 1, y1 + 1))
    cut = max(shapely.get_parts(cut), key=lambda g: g.area)
    assert cut.within(land.buffer(1.0))
    write_river(b, river.set_geometry([cut], crs=river.crs))
    return b / RIVER


def monument_5km_away(b: Path) -> Path:
    edit_points(b, "423-WGS84", lon=lambda v: f"{float(v) - 0.061:.6f}")  # ~5 km west
    return b / POINTS


def points_missing_column(b: Path) -> Path:
    text = (b / POINTS).read_text().replace("lat,lon", "latitude,lon", 1)
    (b / POINTS).write_text(text)
    return b / POINTS


def depth_cropped(b: Path) -> Path:
    write_depth(b, Window(0, 0, 50, 50))
    return b / DEPTH


def depth_all_nodata(b: Path) -> Path:
    write_depth(b, fill=-9999.0)
    return b / DEPTH


def toml_syntax_error(b: Path) -> Path:
    edit_toml(b / CONFIG, "land", "border_line", '"middle')  # unterminated string
    return b / CONFIG


def toml_wrong_type(b: Path) -> Path:
    edit_toml(b / CONFIG, "official", "land_tolerance_m", '"500 m"')
    return b / CONFIG


def toml_negative_step(b: Path) -> Path:
    edit_toml(b / CONFIG, "land", "bank_densify_m", "-5.0")
    return b / CONFIG


def toml_missing_required(b: Path) -> Path:
    text = (b / CONFIG).read_text()
    (b / CONFIG).write_text(re.sub(r"(?m)^coast = .*$", "", text, count=1))
    return b / CONFIG


def toml_unknown_key(b: Path) -> Path:
    edit_toml(b / CONFIG, "land", "bank_densify", "5.0")
    return b / CONFIG


def toml_unknown_section(b: Path) -> Path:
    edit_toml(b / CONFIG, "landd", "bank_densify_m", "5.0")
    return b / CONFIG


def toml_bad_metric_crs(b: Path) -> Path:
    edit_toml(b / CONFIG, "crs", "metric", '"EPSG:999999"')
    return b / CONFIG


def toml_missing_point_id(key: str):
    section, _, name = key.partition(".")

    def f(b: Path) -> Path:
        edit_toml(b / CONFIG, section, name, '"424"')
        return b / POINTS
    return f


@dataclass(frozen=True)
class Case:
    id: str
    corrupt: Callable[[Path], Path]
    phrase: str          # must appear (case-insensitively) in the error line


CASES = [
    Case("missing-config", missing(CONFIG), "config file not found"),
    Case("missing-coast", missing(COAST), "coast file not found"),
    Case("missing-river", missing(RIVER), "river file not found"),
    Case("missing-points", missing(POINTS), "treaty points file not found"),
    Case("missing-depth", missing(DEPTH), "depth raster file not found"),
    Case("missing-reference", missing(REFERENCE), "reference border file not found"),
    Case("truncated-coast-geojson", truncated(COAST), "cannot be read"),
    Case("truncated-river-gpkg", truncated(RIVER), "cannot be read"),
    Case("truncated-depth-tif", truncated(DEPTH), "cannot be read"),
    Case("river-empty-layer", river_empty_layer, "is empty"),
    Case("river-as-lines", river_as_lines, "wrong geometry type"),
    Case("river-gpkg-undefined-srs", river_gpkg_undefined_srs, "no CRS"),
    Case("river-shp-without-prj", river_shp_without_prj, "no CRS"),
    Case("river-shp-garbage-prj", river_shp_garbage_prj, "unknown CRS"),
    Case("river-gpkg-garbage-srs", river_gpkg_garbage_srs, "unknown CRS"),
    Case("coast-geojson-unknown-crs", coast_unknown_crs_member, "unknown CRS"),
    Case("river-not-spatial", river_not_spatial, "no geometry"),
    Case("coast-lat-lon-swapped", coast_lat_lon_swapped, "lat/lon swapped"),
    Case("river-degenerate-polygon", river_degenerate_polygon, "cannot be repaired"),
    Case("river-sliver-polygon", river_sliver_polygon, "degenerate"),
    Case("coast-degenerate-polygon", coast_degenerate_polygon, "cannot be repaired"),
    Case("river-not-at-coast", river_moved_50km, "does not touch the coast"),
    Case("river-short-of-coast", river_short_of_coast, "does not reach the coast"),
    Case("monument-5km-away", monument_5km_away, "from the middle line"),
    Case("points-missing-column", points_missing_column, "missing column"),
    Case("depth-not-covering-river", depth_cropped, "covers only"),
    Case("depth-all-nodata", depth_all_nodata, "nodata"),
    Case("toml-syntax-error", toml_syntax_error, "not valid TOML"),
    Case("toml-wrong-type", toml_wrong_type, "must be a number"),
    Case("toml-negative-step", toml_negative_step, "must be greater than 0"),
    Case("toml-missing-required-key", toml_missing_required, "missing required key(s) coast"),
    Case("toml-unknown-key", toml_unknown_key, "unknown key"),
    Case("toml-unknown-section", toml_unknown_section, "unknown section"),
    Case("toml-bad-metric-crs", toml_bad_metric_crs, "crs.metric"),
    Case("missing-monument-id", toml_missing_point_id("tripoint.monument"), "no point with id '424'"),
    Case("missing-compare-monument-id", toml_missing_point_id("tripoint.compare_monument"), "no point with id '424'"),
    Case("missing-mouth-point-id", toml_missing_point_id("mouth.treaty_point"), "no point with id '424'"),
]


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes | None]]:
    """Every path under ``root``: (size, mtime_ns, content of small files)."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.stat()
        out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns,
                                         p.read_bytes() if p.is_file() and st.st_size < 4096 else None)
    return out


def check_one_clear_error(case: Case, bundle: Path, run_cli, tmp_path: Path, isolated: bool = False) -> None:
    culprit = case.corrupt(bundle)
    out = tmp_path / "out"
    out.mkdir()
    (out / "SENTINEL.txt").write_text("previous run's outputs\n")
    before = snapshot(tmp_path)

    code, stdout, stderr = run_cli(["run", "--config", bundle / CONFIG, "--out", out, "--no-map"], isolated=isolated)

    detail = f"\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"
    assert code == 2, detail
    assert "Traceback" not in stdout + stderr, detail
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, detail
    line = errors[0]
    named = Path(line[len("error: "):].split(": ", 1)[0])
    assert named.name == culprit.name, f"error names {named}, expected {culprit.name}{detail}"
    assert case.phrase.lower() in line.lower(), detail
    assert "error:" not in stdout.lower(), detail
    assert snapshot(tmp_path) == before, "the output folder (or its parent) was modified"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_one_clear_error(case: Case, bundle: Path, run_cli, tmp_path: Path):
    check_one_clear_error(case, bundle, run_cli, tmp_path)


# GDAL and PROJ talk most when a file is corrupt; in a subprocess, stderr is exactly what a user sees
ISOLATED = ["truncated-river-gpkg", "truncated-depth-tif", "river-gpkg-garbage-srs", "river-short-of-coast"]


@pytest.mark.parametrize("case", [c for c in CASES if c.id in ISOLATED], ids=ISOLATED)
def test_bad_input_in_a_subprocess_prints_nothing_else(case: Case, bundle: Path, run_cli, tmp_path: Path):
    check_one_clear_error(case, bundle, run_cli, tmp_path, isolated=True)
    # beyond the error line, only the CLI's own log lines ("HH:MM:SS LEVEL message")
    code, _, stderr = run_cli(["run", "--config", bundle / CONFIG, "--out", tmp_path / "out", "--no-map", "-q"],
                              isolated=True)
    assert [line for line in stderr.splitlines() if not line.startswith("error:")] == [], stderr


# ------------------------------------------------------------------------------------------ repairs
def bow_tie(ring_coords: np.ndarray, i: int, offset: float) -> list:
    """A small twist (as from a digitising slip) in edge i -> i+1 of a ring: a, x1, x2, b with a-x1 crossing x2-b."""
    c = [tuple(p) for p in ring_coords[:-1]]
    a, b = np.asarray(c[i]), np.asarray(c[i + 1])
    d = b - a
    n = np.array([-d[1], d[0]]) / np.hypot(*d) * offset
    x1, x2 = a + 0.75 * d + n, a + 0.25 * d + n
    c[i + 1:i + 1] = [tuple(x1), tuple(x2)]
    return c + [c[0]]


def twist_river(bundle: Path) -> Polygon:
    """Give the river polygon a 5 m bow tie; return the original polygon."""
    gdf = read_river(bundle)
    poly = gdf.geometry.iloc[0]
    coords = np.asarray(poly.exterior.coords)
    bad = Polygon(bow_tie(coords, len(coords) // 3, 5.0), [h.coords for h in poly.interiors])
    assert not bad.is_valid and "Self-intersection" in shapely.is_valid_reason(bad)
    write_river(bundle, gdf.set_geometry([bad], crs=gdf.crs))
    return poly


def test_self_intersecting_river_is_repaired(bundle: Path, caplog):
    poly = twist_river(bundle)
    gdf = read_river(bundle)

    with caplog.at_level(logging.WARNING, logger="pipeline"):
        inputs = load_inputs(load_config(bundle / CONFIG))
    assert len(inputs.repairs) == 1 and "tumen_river.gpkg" in inputs.repairs[0] \
        and "Self-intersection" in inputs.repairs[0], inputs.repairs
    assert any("tumen_river.gpkg" in r.getMessage() and "repaired" in r.getMessage() for r in caplog.records)
    assert inputs.water.is_valid and inputs.water.area == pytest.approx(
        to_metric(gpd.GeoSeries([poly], crs=gdf.crs).to_crs(WGS84).iloc[0], inputs.metric_crs).area, rel=1e-3)


def test_self_intersecting_coast_is_repaired(bundle: Path):
    def twist(feat):
        if feat["properties"]["iso_a3"] == "RUS":
            g = shapely.geometry.shape(feat["geometry"])
            big = max(shapely.get_parts(g), key=lambda p: p.area)
            c = np.asarray(big.exterior.coords)
            x0, y0, x1, y1 = np.asarray(shapely.bounds(g)) + [0.01, 0.01, -0.01, -0.01]
            i = next(i for i in range(len(c) // 2, len(c) - 1)  # an edge away from the data extent's border
                     if all(x0 < x < x1 and y0 < y < y1 for x, y in c[i:i + 2]))
            twisted = Polygon(bow_tie(c, i, 1e-4), big.interiors)
            assert not twisted.is_valid
            feat["geometry"] = shapely.geometry.mapping(
                shapely.MultiPolygon([twisted, *[p for p in shapely.get_parts(g) if p is not big]]))
    edit_geojson(bundle / COAST, twist)
    inputs = load_inputs(load_config(bundle / CONFIG))
    assert any(COAST in r and "RUS" in r for r in inputs.repairs), inputs.repairs
    assert all(g.is_valid for g in inputs.land.values())


def test_run_with_a_repaired_river_completes(bundle: Path, run_cli, tmp_path: Path):
    twist_river(bundle)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(["run", "--config", bundle / CONFIG, "--out", out, "--no-map"])
    assert code == 0, stdout + stderr
    assert not [line for line in stderr.splitlines() if line.startswith("error:")]
    assert any("repaired" in line and "tumen_river.gpkg" in line and "WARNING" in line for line in stderr.splitlines())
    repairs = json.loads((out / "report.json").read_text())["repairs"]
    assert len(repairs) == 1 and "tumen_river.gpkg" in repairs[0]
