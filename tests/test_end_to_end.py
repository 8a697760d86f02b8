"""End-to-end: the CLI on the bundled inputs, its outputs, the length checks, reproducibility and atomicity."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from pipeline.config import load_config
from pipeline.geodesy import geodesic_length

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "inputs" / "tumen.toml"
CLI = [sys.executable, "-m", "pipeline.cli"]

EXPECTED = {  # layer: (geometry type, feature count)
    "river": ("MultiPolygon", 1),
    "coast": ("MultiLineString", 2),
    "osm_reference_border": ("LineString", 2),
    "territorial_sea_limits": ("MultiLineString", 2),
    "closing_line": ("LineString", 1),
    "thalweg": ("LineString", 1),
    "land_boundary": ("LineString", 1),
    "maritime_boundary": ("LineString", 1),
    "boundary_points": ("Point", 3),
    "monuments": ("Point", 3),
    "tripoint": ("Point", 1),
}


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "outputs"
    proc = run_cli("run", "--config", str(CONFIG), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="module")
def report(outputs) -> dict:
    return json.loads((outputs / "report.json").read_text())


def test_every_layer_has_the_right_type_count_and_crs(outputs):
    layers = dict(pyogrio.list_layers(outputs / "border.gpkg"))
    assert set(EXPECTED) <= set(layers)
    for name, (gtype, count) in EXPECTED.items():
        gdf = gpd.read_file(outputs / "border.gpkg", layer=name)
        assert len(gdf) == count, name
        assert set(gdf.geom_type) == {gtype}, name
        assert gdf.crs.to_epsg() == 4326, name
        assert gdf.is_valid.all(), name
        gj = gpd.read_file(outputs / f"{name}.geojson")
        assert len(gj) == count and gj.crs.to_epsg() == 4326, name


def test_geojson_is_rfc7946_lon_lat(outputs):
    doc = json.loads((outputs / "tripoint.geojson").read_text())
    assert "crs" not in doc  # RFC 7946: WGS 84 lon/lat implied
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert 130.5 < lon < 130.8 and 42.3 < lat < 42.5


def test_lengths_within_official_tolerances_measured_from_the_files(outputs, report):
    cfg = load_config(CONFIG)
    land = geodesic_length(shapely.union_all(gpd.read_file(outputs / "border.gpkg", layer="land_boundary").geometry))
    sea = geodesic_length(shapely.union_all(gpd.read_file(outputs / "border.gpkg", layer="maritime_boundary").geometry))
    assert abs(land - cfg.official.land_length_m) <= cfg.official.land_tolerance_m
    assert abs(sea - cfg.official.sea_length_m) <= cfg.official.sea_tolerance_m
    assert report["land"]["length_m"] == pytest.approx(land, abs=0.01)
    assert report["maritime"]["length_m"] == pytest.approx(sea, abs=0.01)
    assert report["passed"] and all(c["passed"] for c in report["checks"])


def test_land_boundary_runs_from_the_tripoint_to_the_mouth(outputs, report):
    gpkg = outputs / "border.gpkg"
    line = gpd.read_file(gpkg, layer="land_boundary").geometry.iloc[0]
    tp = gpd.read_file(gpkg, layer="tripoint").geometry.iloc[0]
    sea = gpd.read_file(gpkg, layer="maritime_boundary").geometry.iloc[0]
    assert shapely.Point(line.coords[0]).distance(tp) < 1e-7
    assert shapely.Point(line.coords[-1]).distance(shapely.Point(sea.coords[0])) < 1e-7
    # the tripoint table: every monument with distance and azimuth
    rows = report["tripoint"]["monuments"]
    assert {r["id"] for r in rows} == {"423-WGS84", "423-P42", "K2"}
    assert all(0 < r["distance_m"] < 1000 and 0 <= r["azimuth_deg"] < 360 for r in rows)
    assert report["tripoint"]["perpendicular_deviation_deg"] < 0.01


def test_report_records_inputs_versions_and_validation(outputs, report):
    assert set(report["inputs"]) == {"coast", "river", "points", "depth", "reference"}
    for p in report["inputs"].values():
        assert len(p["sha256"]) == 64
    assert report["inputs"]["river"]["modelled"] and not report["inputs"]["coast"]["modelled"]
    assert {"shapely", "pyproj", "gdal", "rasterio"} <= set(report["software"])
    assert report["validation"]["sea"]["hausdorff_m"] > 0
    md = (outputs / "report.md").read_text()
    assert "17,000.0 m" in md and "22,100.0 m" in md and "MODELLED" in md


def test_qgis_project_and_map_exist(outputs):
    assert (outputs / "border.qgs").stat().st_size > 1000
    png = (outputs / "map.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000


def test_qgis_opens_every_layer_with_its_style(outputs):
    from qgis_helpers import qgis_unavailable, run_qgis_check

    reason = qgis_unavailable()
    if reason:
        pytest.skip(reason)
    kinds = {"MultiPolygon": "Polygon", "MultiLineString": "Line", "LineString": "Line", "Point": "Point"}
    expected = {k: {"count": c, "geom": kinds[g]} for k, (g, c) in EXPECTED.items()}
    proc = run_qgis_check(outputs, expected)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_command_passes_and_fails_on_tolerance(outputs):
    ok = run_cli("check", str(outputs), "--config", str(CONFIG))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count("PASS") >= 2
    bad = run_cli("check", str(outputs), "--config", str(CONFIG), "--land-tolerance", "1")
    assert bad.returncode == 1
    assert "FAIL  land_length" in bad.stdout


def test_failed_check_leaves_previous_outputs_untouched(outputs, tmp_path):
    out = tmp_path / "outputs"
    shutil.copytree(outputs, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = run_cli("run", "--config", str(CONFIG), "--out", str(out), "--no-map", "--sea-tolerance", "1", "-q")
    assert proc.returncode == 1
    assert "FAIL  sea_length" in proc.stdout
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert (tmp_path / "outputs.failed" / "report.json").is_file()


def test_two_runs_give_identical_geojson_and_report_numbers(outputs, tmp_path):
    out2 = tmp_path / "again"
    proc = run_cli("run", "--config", str(CONFIG), "--out", str(out2), "-q")
    assert proc.returncode == 0, proc.stderr
    for gj in outputs.glob("*.geojson"):
        assert (out2 / gj.name).read_bytes() == gj.read_bytes(), gj.name
    a = json.loads((outputs / "report.json").read_text())
    b = json.loads((out2 / "report.json").read_text())
    assert a == b


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_run_leaves_previous_outputs_untouched(outputs, tmp_path, sig):
    out = tmp_path / "outputs"
    shutil.copytree(outputs, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = subprocess.Popen([*CLI, "run", "--config", str(CONFIG), "--out", str(out)], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    for line in proc.stderr:  # interrupt once the computation is under way
        if "stage maritime" in line or time.time() > deadline:
            break
    proc.send_signal(sig)
    proc.wait(timeout=120)
    assert proc.returncode != 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    if sig == signal.SIGINT:  # a clean interrupt also removes its temporary folder
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".outputs.tmp")]


def test_notebook_executes_on_the_outputs(outputs):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "notebooks" / "tumen_border.ipynb", as_version=4)
    os.environ["TUMEN_OUTPUTS"] = str(outputs)
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    finally:
        os.environ.pop("TUMEN_OUTPUTS", None)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 2
