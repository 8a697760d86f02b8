"""The QGIS side of the outputs: the styles in border.gpkg and the project border.qgs, as QGIS 3.22 reads them.

One run of ``tumen-border run`` on the bundled case per module. The pure-Python tests read the files with
sqlite3, xml and pyogrio; the QGIS tests open them with QGIS's own Python API in a subprocess of Debian's
python (``tests/qgis_check.py``) and are skipped, with the reason, only when QGIS is not importable there.
What QGIS must find comes from the style table, and the table itself is checked against its package data and
the config read directly (tomllib), not through :func:`pipeline.styles.style_table`.
"""
from __future__ import annotations

import sqlite3
import tomllib
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

import pyogrio
import pytest

from pipeline import styles
from pipeline.config import load_config
from qgis_helpers import qgis_unavailable, run_qgis_check, summary

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "inputs" / "tumen" / "tumen.toml"
STYLES_TOML = ROOT / "pipeline" / "templates" / "styles.toml"
QGIS_COLUMNS = ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"]
GEOM = {"Point": "Point", "MultiPoint": "Point", "LineString": "Line", "MultiLineString": "Line",
        "Polygon": "Polygon", "MultiPolygon": "Polygon"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, run_cli):
    """(output folder, config, style table) of one run on the bundled case."""
    out = tmp_path_factory.mktemp("qgis") / "out"
    code, _stdout, stderr = run_cli(["run", "--out", out, "--config", CONFIG, "-q"])
    assert code == 0, stderr
    cfg = load_config(CONFIG)
    return out, cfg, styles.style_table(cfg)


def _layers(out: Path) -> dict[str, dict]:
    """Layer name -> pyogrio's info, for every table of border.gpkg except layer_styles."""
    gpkg = out / "border.gpkg"
    return {n: pyogrio.read_info(gpkg, layer=n) for n, _ in pyogrio.list_layers(gpkg) if n != styles.STYLE_TABLE}


def _rgb(colour: str) -> list[int]:
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


def expected(out: Path, table: styles.StyleTable) -> dict:
    """What QGIS must find: counts and geometry types as written (pyogrio), symbols and order from the table."""
    layers = {}
    for name, info in _layers(out).items():
        rows = table.of(name)
        first = rows.iloc[0]
        key = "stroke" if first["geometry"] == "line" else "fill"
        layers[name] = {"count": info["features"], "geom": GEOM[info["geometry_type"]],
                        "renderer": "categorizedSymbol" if first["by"] else "singleSymbol",
                        "attr": first["by"] or None,
                        "colours": {r["value"]: _rgb(r[key]) for _, r in rows.iterrows()},
                        "label_field": first["label"] or None}
    return {"layers": layers, "order": [n for n in reversed(table.layers) if n in layers]}


# ------------------------------------------------------------------------------------------- pure python
def test_table_follows_package_data_and_config(outputs):
    """The table's colours are the package data's and the config's, read here without pipeline.styles."""
    _out, cfg, table = outputs
    raw = tomllib.loads(STYLES_TOML.read_text(encoding="utf-8"))
    lb = table.of("land_boundary").iloc[0]
    assert (lb["stroke"], lb["width_mm"]) == (raw["layers"]["land_boundary"]["stroke"],
                                             raw["layers"]["land_boundary"]["width_mm"])
    coast = table.of("coast").set_index("value")
    for role in ("left", "right", "third"):
        code, colour = getattr(cfg.sides, role), getattr(cfg.sides, f"{role}_colour")
        assert coast.loc[code, "stroke"] == colour.lower()
        assert coast.loc[code, "legend"].endswith(cfg.sides.name(code))
        tint = raw["layers"]["land"]["fill"]["tint"]
        mixed = "#" + "".join(f"{round(c + (255 - c) * tint):02x}" for c in _rgb(colour))
        assert table.of("land").set_index("value").loc[code, "fill"] == mixed
    assert list(table.rows["layer"].drop_duplicates()) == list(raw["layers"])     # draw order = file order


def test_layer_styles_table_as_qgis_reads_it(outputs):
    """One default style per layer in QGIS's layer_styles schema, matched to the layer's geometry column."""
    out, cfg, table = outputs
    names = set(_layers(out))
    with closing(sqlite3.connect(f"file:{out / 'border.gpkg'}?mode=ro", uri=True)) as con:
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{styles.STYLE_TABLE}")')]
        assert cols == QGIS_COLUMNS
        assert con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = ?",
                           (styles.STYLE_TABLE,)).fetchone() == ("attributes",)
        geom_col = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        rows = con.execute("SELECT f_table_schema, f_table_name, f_geometry_column, styleName, useAsDefault, "
                           "styleQML, update_time FROM layer_styles").fetchall()
    assert sorted(r[1] for r in rows) == sorted(names)                      # exactly one per layer
    for schema, name, geom, style_name, default, qml, stamp in rows:
        assert schema == "" and style_name == name and default == 1        # QGIS filters on f_table_schema = ''
        assert geom == geom_col[name]
        assert stamp.startswith(cfg.output.timestamp.rstrip("Z"))           # the fixed timestamp
        root = ET.fromstring(qml)
        assert root.tag == "qgis" and root.find("renderer-v2") is not None


def test_layer_styles_frame_is_fixed_and_complete(outputs):
    _out, _cfg, table = outputs
    layers = {n: None for n in table.layers}
    a = styles.layer_styles_frame(layers, table, timestamp="2001-02-03T04:05:06Z")
    b = styles.layer_styles_frame(layers, table, timestamp="2001-02-03T04:05:06Z")
    assert a.equals(b) and list(a["f_table_name"]) == table.layers
    assert list(a.columns) == QGIS_COLUMNS[1:]
    assert str(a["update_time"].iloc[0]) == "2001-02-03 04:05:06+00:00"
    with pytest.raises(styles.StyleError, match="mystery"):
        styles.layer_styles_frame({"mystery": None}, table, timestamp="2001-02-03T04:05:06Z")


def test_project_refers_to_the_gpkg_beside_it(outputs):
    out, _cfg, table = outputs
    layers = _layers(out)
    root = ET.parse(out / "border.qgs").getroot()
    assert root.findtext("properties/Paths/Absolute") == "false"
    assert root.findtext("projectCrs/spatialrefsys/authid") == "EPSG:4326"
    maps = root.findall("projectlayers/maplayer")
    assert {m.findtext("layername") for m in maps} == set(layers)
    for m in maps:
        assert m.findtext("datasource") == f"./border.gpkg|layername={m.findtext('layername')}"
        assert m.findtext("provider") == "ogr" and m.find("renderer-v2") is not None
    order = [t.get("name") for t in root.findall("layer-tree-group/layer-tree-layer")]
    assert order == [n for n in reversed(table.layers) if n in layers]
    ext = {k: float(root.findtext(f"mapcanvas/extent/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")}
    for name in ("land_boundary", "maritime_boundary"):
        x0, y0, x1, y1 = layers[name]["total_bounds"]
        assert ext["xmin"] < x0 and ext["ymin"] < y0 and x1 < ext["xmax"] and y1 < ext["ymax"]


# ------------------------------------------------------------------------------------------- QGIS itself
@pytest.fixture(scope="module")
def qgis():
    reason = qgis_unavailable()
    if reason:
        pytest.skip(reason)


def test_qgis_opens_the_styled_outputs(outputs, qgis):
    out, _cfg, table = outputs
    exp = expected(out, table)
    proc = run_qgis_check(out, exp)
    log = f"exit {proc.returncode}\nSTDOUT:\n{proc.stdout}\nSTDERR:\n{proc.stderr[-4000:]}"
    assert proc.returncode == 0, log
    s = summary(proc)
    assert s.get("ok") is True and s["qgis"].startswith("3."), log
    assert set(s["layers"]) == set(exp["layers"]) and all(v["ok"] for v in s["layers"].values()), log
    assert s["project"]["order"] == exp["order"]


def test_qgis_check_can_fail(outputs, qgis):
    """The check is not vacuous: a wrong colour, a wrong count and a missing layer are each reported."""
    out, _cfg, table = outputs
    exp = expected(out, table)
    exp["layers"]["land_boundary"]["colours"] = {"": [0, 255, 0]}
    exp["layers"]["tripoint"]["count"] += 1
    exp["layers"]["nonexistent"] = dict(exp["layers"]["closing_line"])
    proc = run_qgis_check(out, exp)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failures = summary(proc)["failures"]
    assert any(f.startswith("land_boundary: on open: symbol colours") for f in failures), failures
    assert any(f.startswith("tripoint: featureCount") for f in failures), failures
    assert any(f.startswith("nonexistent:") for f in failures), failures
