"""End to end: the CLI on the bundled Tumen inputs, the layers it writes, the legal chain, the method switches.

Figures are recomputed independently in test_oracles.py; publishing safety is in test_publish.py; this file
checks what a GIS analyst and a CI job see: every layer, the point-for-point chain A -> channel -> B -> E, the
thalweg default and its fallback, the equidistance alternative, and the notebook.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "inputs" / "tumen" / "tumen.toml"
CLI = [sys.executable, "-m", "pipeline.cli"]

# layer: (geometry type, feature count) -- counts follow from the inputs: 3 land polygons (RUS, PRK, CHN),
# 3 modelled islands, 2 sides, 3 monument records, the chain A, B, E with B and E also as printed, the mouth
# crossing and the equidistance end; the tripoint on the line in use, on the other line, and from the other
# record of sign No. 423
EXPECTED = {
    "land": ("MultiPolygon", 3), "river": ("MultiPolygon", 1), "islands": ("Polygon", 3),
    "coast": ("MultiLineString", 2), "reference_border": ("LineString", 2),
    "territorial_sea_limits": ("MultiLineString", 2), "closing_line": ("LineString", 1),
    "dividing_line": ("LineString", 1), "channel_middle": ("LineString", 1), "thalweg": ("LineString", 1), "maritime_equidistance": ("LineString", 1),
    "land_boundary": ("LineString", 1), "maritime_boundary": ("LineString", 1), "boundary_points": ("Point", 7),
    "monuments": ("Point", 3), "tripoint": ("Point", 5),
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


def layer(outputs: Path, name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(outputs / "border.gpkg", layer=name)


def test_every_layer_has_the_right_type_count_and_crs(outputs):
    layers = dict(pyogrio.list_layers(outputs / "border.gpkg"))
    assert set(EXPECTED) <= set(layers), set(EXPECTED) - set(layers)
    for name, (gtype, count) in EXPECTED.items():
        gdf = layer(outputs, name)
        assert len(gdf) == count, name
        assert set(gdf.geom_type) == {gtype}, name
        assert gdf.crs.to_epsg() == 4326, name
        assert gdf.is_valid.all(), name
        gj = gpd.read_file(outputs / f"{name}.geojson")
        assert len(gj) == count and gj.crs.to_epsg() == 4326, name
    assert len(layer(outputs, "maritime_comparison")) >= 1


def test_geojson_is_rfc7946_lon_lat(outputs):
    doc = json.loads((outputs / "tripoint.geojson").read_text())
    assert "crs" not in doc  # RFC 7946: WGS 84 lon/lat implied
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert 130.5 < lon < 130.8 and 42.3 < lat < 42.5


def test_the_chain_a_channel_b_e_point_for_point(outputs, report):
    """A -> thalweg -> B -> straight line -> E, joined exactly, each point labelled in boundary_points."""
    pts = layer(outputs, "boundary_points").set_index("label")
    land = layer(outputs, "land_boundary").geometry.iloc[0]
    sea = layer(outputs, "maritime_boundary").geometry.iloc[0]
    a = layer(outputs, "tripoint").set_index("label").geometry["A"]
    assert shapely.Point(land.coords[0]).equals_exact(a, 1e-12)
    assert shapely.Point(land.coords[-1]).equals_exact(pts.geometry["B"], 1e-12)
    assert shapely.Point(sea.coords[0]).equals_exact(pts.geometry["B"], 1e-12)
    assert shapely.Point(sea.coords[-1]).equals_exact(pts.geometry["E"], 1e-12)
    assert {"A", "B", "E", "B (as printed)", "E (as printed)"} <= set(pts.index)
    assert report["legal_chain"].startswith("A (tripoint) → the thalweg")
    assert "→ B (treaty mouth point) → straight line (geodesic) → E" in report["legal_chain"]
    assert report["maritime"]["method"] == "treaty" and report["land"]["border_line"] == "thalweg"
    assert "1990 USSR–DPRK agreement" in report["legal_source"]


def test_the_line_in_use_and_the_comparison_lines_are_labelled(outputs):
    assert layer(outputs, "thalweg")["in_use"].tolist() == [1]
    assert layer(outputs, "channel_middle")["in_use"].tolist() == [0]
    assert layer(outputs, "maritime_equidistance")["in_use"].tolist() == [0]
    md = (outputs / "report.md").read_text()
    assert "| treaty | yes |" in md and "| equidistance | no |" in md


def test_report_records_inputs_versions_and_honest_validation(outputs, report):
    assert set(report["inputs"]) == {"coast", "river", "points", "depth", "reference"}
    assert all(len(p["sha256"]) == 64 for p in report["inputs"].values())
    assert report["inputs"]["river"]["modelled"] and not report["inputs"]["coast"]["modelled"]
    assert {"shapely", "pyproj", "pyogrio", "rasterio"} <= set(report["software"])
    rows = {r["name"]: r for r in report["validation"]}
    river = [r for n, r in rows.items() if n.startswith("river part")][0]
    assert river["independent"] is False and "CONSISTENCY CHECK" in river["detail"]
    assert rows["end point E vs the computed 12-nm limits"]["independent"] is True


def test_qgis_project_and_map_exist(outputs):
    assert (outputs / "border.qgs").stat().st_size > 1000
    png = (outputs / "map.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000


def test_check_command_passes_and_fails_on_tolerance(outputs):
    ok = run_cli("check", str(outputs), "--config", str(CONFIG))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = run_cli("check", str(outputs), "--config", str(CONFIG), "--land-tolerance", "1")
    assert bad.returncode == 1
    assert "FAIL  land_length" in bad.stdout


def test_without_depth_the_middle_line_is_used_with_a_warning_and_a_note(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("run", "--config", str(CONFIG), "--out", str(out), "--no-map", "--set", 'inputs.depth=""')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no depth input" in proc.stderr
    rep = json.loads((out / "report.json").read_text())
    assert rep["land"]["border_line"] == "middle" and rep["land"]["thalweg_m"] is None
    assert any("No depth input" in n for n in rep["notes"])
    assert not (out / "thalweg.geojson").exists()
    assert rep["legal_chain"].startswith("A (tripoint) → the middle of the main channel")


def test_equidistance_alternative_fails_the_official_sea_length(tmp_path):
    """The median line is ~22.6 km: the ±50 m sea check must reject it (the check fails both ways)."""
    out = tmp_path / "out"
    proc = run_cli("run", "--config", str(CONFIG), "--out", str(out), "--no-map", "--maritime-method",
                   "equidistance", "-q")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  sea_length" in proc.stdout
    rep = json.loads((out / "failed-run" / "report.json").read_text())
    assert rep["maritime"]["method"] == "equidistance"
    assert rep["maritime"]["length_m"] == pytest.approx(rep["maritime"]["equidistance_length_m"], abs=1e-6)
    assert not (out / "report.json").exists()   # nothing published in the folder itself


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
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert len(images) >= 2
