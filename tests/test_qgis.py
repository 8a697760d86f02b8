"""QGIS styling of the outputs: pure-python checks, then QGIS itself opening a synthetic border.gpkg.

The QGIS part runs tests/qgis_check.py under /usr/bin/python3 (python3-qgis) and is skipped,
with the reason, when that python cannot import qgis.core.
"""
from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon

from pipeline.qgis_styles import STYLES, write_layer_styles, write_qgis_project
from qgis_helpers import qgis_unavailable, run_qgis_check, summary

X0, Y0 = 130.70, 42.30


def _ls(*pts):
    return LineString([(X0 + dx, Y0 + dy) for dx, dy in pts])


def _mls(*parts):
    return MultiLineString([[(X0 + dx, Y0 + dy) for dx, dy in part] for part in parts])


def _pt(dx, dy):
    return Point(X0 + dx, Y0 + dy)


def _line_row(name, kind, **extra):
    return {"name": name, "kind": kind, "method": "synthetic", "source": "test", "length_m": 1234.5, **extra}


# layer -> (geometry type written, QGIS geometry class, rows)
def synthetic_layers(with_thalweg: bool = True) -> dict[str, tuple[str, str, list[dict]]]:
    river = MultiPolygon([Polygon([(X0 - .02, Y0 + .05), (X0 + .01, Y0 + .05), (X0 + .01, Y0 - .01),
                                   (X0 - .02, Y0 - .01)])])
    layers = {
        "river": ("MultiPolygon", "Polygon", [
            {"name": "Tumen", "kind": "river", "source": "test", "modelled": 1, "geometry": river}]),
        "coast": ("MultiLineString", "Line", [
            {"name": "coast RUS", "kind": "coast", "side": "RUS", "source": "test",
             "geometry": _mls([(0.0, 0.0), (0.03, 0.04)])},
            {"name": "coast PRK", "kind": "coast", "side": "PRK", "source": "test",
             "geometry": _mls([(0.0, 0.0), (0.02, -0.04)], [(0.021, -0.041), (0.025, -0.05)])}]),
        "land_boundary": ("LineString", "Line", [
            {**_line_row("land boundary", "treaty river boundary"), "geometry": _ls((-.02, .05), (0, 0))}]),
        "thalweg": ("LineString", "Line", [
            {**_line_row("thalweg", "thalweg"), "geometry": _ls((-.02, .05), (-.005, .02), (0, 0))}]),
        "closing_line": ("LineString", "Line", [
            {**_line_row("closing line", "closing line"), "geometry": _ls((-.003, .004), (.004, -.003))}]),
        "maritime_boundary": ("LineString", "Line", [
            {**_line_row("maritime boundary", "equidistance"), "geometry": _ls((0, 0), (.2, -.1))}]),
        "territorial_sea_limits": ("MultiLineString", "Line", [
            {**_line_row("RUS 12 nm", "territorial sea limit", side="RUS"),
             "geometry": _mls([(0.02, 0.05), (0.2, -0.05)])},
            {**_line_row("PRK 12 nm", "territorial sea limit", side="PRK"),
             "geometry": _mls([(0.0, -0.15), (0.19, -0.12)])}]),
        "tripoint": ("Point", "Point", [
            {"name": "CHN-PRK-RUS tripoint", "kind": "tripoint", "method": "synthetic", "source": "test",
             "datum": "WGS84", "lon": X0 - .02, "lat": Y0 + .05, "lon_pulkovo1942": X0 - .019,
             "lat_pulkovo1942": Y0 + .0501, "geometry": _pt(-.02, .05)}]),
        "monuments": ("Point", "Point", [
            {"name": f"No. {i}", "kind": "boundary monument", "datum": "WGS84", "source": "test",
             "lon": X0 - .02 + i * .001, "lat": Y0 + .051, "published": bool(i % 2),
             "dist_to_tripoint_m": 100.0 * i, "azimuth_to_tripoint_deg": 45.0 * i,
             "geometry": _pt(-.02 + i * .001, .051)} for i in range(1, 4)]),
        "boundary_points": ("Point", "Point", [
            {"name": n, "kind": k, "datum": "WGS84", "source": "test", "lon": X0 + dx, "lat": Y0 + dy,
             "geometry": _pt(dx, dy)}
            for n, k, dx, dy in [("mouth", "mouth (computed)", 0.0, 0.0),
                                 ("B", "mouth point B (treaty)", 0.001, -0.001),
                                 ("sea end", "sea end (computed)", 0.2, -0.1),
                                 ("other", "something new", 0.1, -0.05)]]),
        "osm_reference_border": ("LineString", "Line", [
            {"name": "OSM border (river)", "kind": "reference", "part": "river", "source": "osm",
             "length_m": 5000.0, "geometry": _ls((-.021, .05), (.001, .001))},
            {"name": "OSM border (sea)", "kind": "reference", "part": "sea", "source": "osm",
             "length_m": 20000.0, "geometry": _ls((.001, .001), (.21, -.1))}]),
    }
    if not with_thalweg:
        del layers["thalweg"]
    return layers


def build_gpkg(path: Path, with_thalweg: bool = True) -> dict:
    """Write the synthetic GeoPackage; return the EXPECTED dict for qgis_check."""
    layers = synthetic_layers(with_thalweg)
    for name, (_gtype, _cls, rows) in layers.items():
        gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
        gdf.to_file(path, driver="GPKG", layer=name, engine="pyogrio",
                    dataset_options={"VERSION": "1.2"})
    return {name: {"count": len(rows), "geom": cls} for name, (_g, cls, rows) in layers.items()}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """OUTDIR with a styled border.gpkg and border.qgs; returns (outdir, expected)."""
    outdir = tmp_path_factory.mktemp("qgis_out")
    gpkg = outdir / "border.gpkg"
    expected = build_gpkg(gpkg)
    names = list(expected)
    styled = write_layer_styles(gpkg, names)
    assert styled == names
    layers = [(n, pyogrio.read_info(gpkg, layer=n)["geometry_type"]) for n in names]
    write_qgis_project(outdir / "border.qgs", "border.gpkg", layers)
    return outdir, expected


# ---------------------------------------------------------------------------------------------
# pure python
# ---------------------------------------------------------------------------------------------

def test_synthetic_gpkg_is_what_the_pipeline_writes(outputs):
    outdir, expected = outputs
    gpkg = outdir / "border.gpkg"
    info = {n: pyogrio.read_info(gpkg, layer=n) for n in expected}
    assert info["river"]["geometry_type"] == "MultiPolygon"
    assert info["coast"]["geometry_type"] == "MultiLineString"
    assert info["tripoint"]["geometry_type"] == "Point"
    assert all(i["crs"] == "EPSG:4326" for i in info.values())
    with closing(sqlite3.connect(gpkg)) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47            # 'GPKG'
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200                 # VERSION=1.2


@pytest.mark.parametrize("layer", sorted(STYLES))
def test_each_style_is_qml(layer):
    root = ET.fromstring(STYLES[layer])
    assert root.tag == "qgis"
    assert STYLES[layer].startswith("<!DOCTYPE qgis")
    rend = root.find("renderer-v2")
    assert rend is not None and rend.get("type") in {"singleSymbol", "categorizedSymbol"}
    symbols = rend.findall("symbols/symbol")
    assert symbols and all(s.find("layer") is not None for s in symbols)
    geom = root.findtext("layerGeometryType")
    kind = {"0": "marker", "1": "line", "2": "fill"}[geom]
    assert all(s.get("type") == kind for s in symbols)
    is_point = geom == "0"
    assert (root.get("labelsEnabled") == "1") == is_point
    if is_point:
        assert root.find("labeling/settings/text-style").get("fieldName") == "name"


def test_styles_cover_all_layers_with_requested_looks():
    assert set(STYLES) == set(synthetic_layers())

    def first(layer):
        lyr = ET.fromstring(STYLES[layer]).find("renderer-v2/symbols/symbol/layer")
        return lyr.get("class"), {o.get("name"): o.get("value") for o in lyr.findall("Option/Option")}

    cls, p = first("land_boundary")
    assert cls == "SimpleLine" and p["line_color"].startswith("227,26,28") and p["line_style"] == "solid"
    assert float(p["line_width"]) >= 1.0
    cls, p = first("maritime_boundary")
    assert p["line_color"].startswith("227,26,28") and (p["line_style"] == "dash" or p["use_custom_dash"] == "1")
    assert first("thalweg")[1]["line_style"] == "dash"
    assert first("osm_reference_border")[1]["line_style"] == "dot"
    assert first("tripoint")[1]["name"] == "star" and first("tripoint")[1]["color"].startswith("255,0,0")
    assert first("monuments")[1]["name"] == "triangle"
    assert first("river")[0] == "SimpleFill"
    bp = ET.fromstring(STYLES["boundary_points"]).find("renderer-v2")
    assert bp.get("type") == "categorizedSymbol" and bp.get("attr") == "kind"
    values = [c.get("value") for c in bp.findall("categories/category")]
    assert {"mouth (computed)", "mouth point B (treaty)", "sea end (computed)", ""} <= set(values)


def test_layer_styles_table_as_qgis_makes_it(outputs):
    outdir, expected = outputs
    with closing(sqlite3.connect(outdir / "border.gpkg")) as con:
        cols = [r[1] for r in con.execute('PRAGMA table_info("layer_styles")')]
        assert cols == ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                        "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui",
                        "update_time"]
        assert con.execute("SELECT data_type, identifier FROM gpkg_contents WHERE table_name='layer_styles'"
                           ).fetchone() == ("attributes", "layer_styles")
        rows = con.execute("SELECT f_table_name, f_geometry_column, f_table_schema, styleName, useAsDefault, "
                           "styleQML FROM layer_styles").fetchall()
        assert con.execute("SELECT feature_count FROM gpkg_ogr_contents WHERE table_name='layer_styles'"
                           ).fetchone() == (len(rows),)
        assert all(r[4] == 1 for r in rows)
        assert sorted(r[0] for r in rows) == sorted(expected)           # exactly one default per layer
        assert {r[1] for r in rows} == {"geom"}
        assert {r[2] for r in rows} == {""}                           # QGIS filters on f_table_schema=''
        for name, _g, _s, style_name, _d, qml in rows:
            assert qml == STYLES[name] and style_name == name
            ET.fromstring(qml)
    # and GDAL sees a plain attribute table
    assert "layer_styles" in pyogrio.list_layers(outdir / "border.gpkg")[:, 0]
    df = pyogrio.read_dataframe(outdir / "border.gpkg", layer="layer_styles")
    assert len(df) == len(expected)


def test_write_layer_styles_rerun_and_absent_layer(tmp_path):
    gpkg = tmp_path / "border.gpkg"
    expected = build_gpkg(gpkg, with_thalweg=False)
    names = list(synthetic_layers())                # includes thalweg, absent from this file
    assert "thalweg" not in write_layer_styles(gpkg, names)
    assert write_layer_styles(gpkg, names) == list(expected)     # rerun replaces, never duplicates
    with closing(sqlite3.connect(gpkg)) as con:
        counts = dict(con.execute("SELECT f_table_name, sum(useAsDefault) FROM layer_styles GROUP BY 1"))
        n = con.execute("SELECT count(*) FROM layer_styles").fetchone()[0]
        assert con.execute("SELECT count(*) FROM gpkg_contents WHERE table_name='layer_styles'").fetchone()[0] == 1
        assert con.execute("SELECT feature_count FROM gpkg_ogr_contents WHERE table_name='layer_styles'"
                           ).fetchone()[0] == n
    assert counts == {name: 1 for name in expected} and n == len(expected)


def test_write_layer_styles_rejects_layer_without_style(tmp_path):
    gpkg = tmp_path / "x.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[_pt(0, 0)], crs=4326).to_file(gpkg, layer="mystery")
    with pytest.raises(KeyError, match="mystery"):
        write_layer_styles(gpkg, ["mystery"])


def test_project_xml(outputs):
    outdir, expected = outputs
    root = ET.parse(outdir / "border.qgs").getroot()
    assert root.tag == "qgis"
    assert root.findtext("projectCrs/spatialrefsys/authid") == "EPSG:4326"
    assert root.findtext("properties/Paths/Absolute") == "false"
    sources = [m.findtext("datasource") for m in root.findall("projectlayers/maplayer")]
    assert sources == [f"./border.gpkg|layername={n}" for n in
                       [m.findtext("layername") for m in root.findall("projectlayers/maplayer")]]
    order = [t.get("name") for t in root.findall("layer-tree-group/layer-tree-layer")]
    assert sorted(order) == sorted(expected)
    assert order[0] == "tripoint" and order[-1] == "river"
    assert order.index("boundary_points") < order.index("land_boundary") < order.index("coast")
    for m in root.findall("projectlayers/maplayer"):
        assert m.findtext("provider") == "ogr"
        assert m.find("renderer-v2") is not None
    ext = root.find("mapcanvas/extent")
    assert float(ext.findtext("xmin")) < X0 < float(ext.findtext("xmax"))


# ---------------------------------------------------------------------------------------------
# QGIS itself
# ---------------------------------------------------------------------------------------------

def test_qgis_opens_styled_outputs(outputs):
    reason = qgis_unavailable()
    if reason:
        pytest.skip(reason)
    outdir, expected = outputs
    proc = run_qgis_check(outdir, expected)
    report = f"exit {proc.returncode}\nSTDOUT:\n{proc.stdout}\nSTDERR:\n{proc.stderr[-4000:]}"
    assert proc.returncode == 0, report
    s = summary(proc)
    assert s.get("ok") is True, report
    assert set(s["layers"]) == set(expected)
    assert s["layers"]["land_boundary"]["renderer"] == "singleSymbol"
    assert s["layers"]["boundary_points"]["renderer"] == "categorizedSymbol"


def test_qgis_check_fails_on_wrong_expectations(outputs):
    """The check must be able to fail: a wrong count and a missing layer are reported, exit 1."""
    reason = qgis_unavailable()
    if reason:
        pytest.skip(reason)
    outdir, expected = outputs
    wrong = {**expected, "tripoint": {"count": 2, "geom": "Point"}, "nonexistent": {"count": 1, "geom": "Line"}}
    proc = run_qgis_check(outdir, wrong)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failures = summary(proc)["failures"]
    assert any(f.startswith("tripoint: featureCount") for f in failures)
    assert any(f.startswith("nonexistent:") for f in failures)
