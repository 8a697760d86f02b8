#!/usr/bin/python3
"""Open the pipeline's outputs with QGIS's own Python API and check that they are styled.

Run by Debian's python (QGIS from the apt package python3-qgis), not the project's python:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py OUTDIR EXPECTED_JSON

EXPECTED_JSON: '{"land_boundary": {"count": 1, "geom": "Line"}, ...}' (geom: Point|Line|Polygon).
For each layer of OUTDIR/border.gpkg: valid, feature count, EPSG:4326, geometry type, a default
style stored in the GeoPackage (listStylesInDatabase / loadDefaultStyle), and QGIS's renderer and
labels after loading it matching the stored QML (land_boundary: red). Then OUTDIR/border.qgs is
read with QgsProject and every layer must be valid and styled. One line per check group, a JSON
summary on the last line, exit status 1 on any failure (2 on bad usage).

Standard library + qgis only: it must not import the pipeline package (whose dependencies
Debian's python does not have).
"""
from __future__ import annotations

import json
import os
import sqlite3
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

RED_LAND_BOUNDARY = (227, 26, 28)   # what pipeline.qgis_styles sets; checked independently of the QML


def _rgb(text: str) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in text.split(",")[:3])
    return r, g, b


def stored_styles(gpkg: Path) -> dict[str, str]:
    """layer -> default styleQML, read straight from the GeoPackage with sqlite3."""
    con = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault "
                           "ORDER BY update_time").fetchall()
    finally:
        con.close()
    return {name: qml for name, qml in rows}


def qml_expectations(qml: str) -> dict:
    """What QGIS should show after loading ``qml``: renderer type, first symbol colour, labels."""
    root = ET.fromstring(qml)
    rend = root.find("renderer-v2")
    exp = {"renderer": rend.get("type"), "labels": root.get("labelsEnabled") == "1"}
    sym = rend.find("symbols/symbol")
    if sym is not None:
        layer = sym.find("layer")
        props = {o.get("name"): o.get("value") for o in layer.findall("Option/Option")}
        color = props.get("line_color") if layer.get("class") == "SimpleLine" else props.get("color")
        exp["color"] = _rgb(color)
    if exp["renderer"] == "categorizedSymbol":
        exp["attr"] = rend.get("attr")
        exp["categories"] = len(rend.findall("categories/category"))
    lab = root.find("labeling/settings/text-style")
    if lab is not None:
        exp["label_field"] = lab.get("fieldName")
    return exp


def gdal_complaints(gpkg: Path) -> list[str]:
    """GDAL warnings/errors raised while opening the GeoPackage and reading every table."""
    from osgeo import gdal
    msgs: list[str] = []

    def handler(cls, code, msg):
        if cls >= gdal.CE_Warning:
            msgs.append(f"GDAL {cls}/{code}: {msg}")

    gdal.PushErrorHandler(handler)
    try:
        ds = gdal.OpenEx(str(gpkg), gdal.OF_VECTOR | gdal.OF_READONLY)
        if ds is None:
            return msgs or ["GDAL cannot open border.gpkg"]
        names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
        if "layer_styles" not in names:
            msgs.append(f"layer_styles not listed by GDAL: {names}")
        for i in range(ds.GetLayerCount()):
            lyr = ds.GetLayer(i)
            lyr.GetFeatureCount()
            for _ in lyr:
                pass
        ds = None
    finally:
        gdal.PopErrorHandler()
    return msgs


def check_renderer(layer, exp: dict, name: str) -> list[str]:
    """Compare a QgsVectorLayer's renderer/labels to ``exp``; return problems."""
    bad = []
    r = layer.renderer()
    if r is None or r.type() != exp["renderer"]:
        return [f"renderer {r.type() if r else None!r} != {exp['renderer']!r}"]
    if exp["renderer"] == "singleSymbol":
        c = r.symbol().color()
        got = (c.red(), c.green(), c.blue())
        if got != exp["color"]:
            bad.append(f"symbol colour {got} != {exp['color']}")
    elif exp["renderer"] == "categorizedSymbol":
        if r.classAttribute() != exp["attr"]:
            bad.append(f"categorized on {r.classAttribute()!r} != {exp['attr']!r}")
        if len(r.categories()) != exp["categories"]:
            bad.append(f"{len(r.categories())} categories != {exp['categories']}")
    if exp["labels"]:
        if not layer.labelsEnabled() or layer.labeling() is None:
            bad.append("labels not enabled")
        elif layer.labeling().settings().fieldName != exp.get("label_field"):
            bad.append(f"label field {layer.labeling().settings().fieldName!r} != {exp.get('label_field')!r}")
    if name == "land_boundary" and exp["renderer"] == "singleSymbol":
        c = r.symbol().color()
        if (c.red(), c.green(), c.blue()) != RED_LAND_BOUNDARY:
            bad.append(f"land_boundary is not red: {(c.red(), c.green(), c.blue())}")
    return bad


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: /usr/bin/python3 tests/qgis_check.py OUTDIR EXPECTED_JSON", file=sys.stderr)
        return 2
    outdir = Path(argv[1]).resolve()
    expected = json.loads(argv[2])
    gpkg, qgs = outdir / "border.gpkg", outdir / "border.qgs"

    from qgis.core import (Qgis, QgsApplication, QgsMapLayerType, QgsProject, QgsVectorLayer,
                           QgsWkbTypes)

    app = QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    messages: list[str] = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda msg, tag, level: messages.append(f"[{tag}] {msg}") if level >= Qgis.Warning else None)

    summary = {"qgis": Qgis.QGIS_VERSION, "layers": {}, "project": {}, "failures": []}

    def fail(where: str, problems: list[str]) -> None:
        for p in problems:
            summary["failures"].append(f"{where}: {p}")

    # GDAL itself (the library QGIS reads the file with) must open every table without complaint
    problems = gdal_complaints(gpkg)
    fail("border.gpkg (GDAL)", problems)
    print(f"{'OK  ' if not problems else 'FAIL'} border.gpkg opened by GDAL"
          + ("" if not problems else " -- " + "; ".join(problems)))

    try:
        stored = stored_styles(gpkg)
    except (sqlite3.Error, OSError) as exc:
        stored = {}
        fail("border.gpkg", [f"cannot read layer_styles: {exc}"])

    keep = []   # layers are deleted before QGIS goes away
    for name, exp in expected.items():
        problems = []
        uri = f"{gpkg}|layername={name}"
        lyr = QgsVectorLayer(uri, name, "ogr")   # the default style is loaded from the db here
        keep.append(lyr)
        info = {}
        if not lyr.isValid():
            problems.append("layer not valid")
        else:
            info["count"] = lyr.featureCount()
            info["crs"] = lyr.crs().authid()
            info["geom"] = QgsWkbTypes.geometryDisplayString(lyr.geometryType())
            if info["count"] != exp["count"]:
                problems.append(f"featureCount {info['count']} != {exp['count']}")
            if info["crs"] != "EPSG:4326":
                problems.append(f"crs {info['crs']!r} != 'EPSG:4326'")
            if info["geom"] != exp["geom"]:
                problems.append(f"geometry {info['geom']!r} != {exp['geom']!r}")
            n_related, ids, names, _descs, err = lyr.listStylesInDatabase()
            info["db_styles"] = n_related
            if n_related < 1:
                problems.append(f"no style in the GeoPackage for this layer ({err})")
            if name not in stored:
                problems.append("no useAsDefault row in layer_styles")
            else:
                want = qml_expectations(stored[name])
                problems += [f"on open: {p}" for p in check_renderer(lyr, want, name)]
                info["renderer"] = lyr.renderer().type()
                # Once more without the automatic style: the plain layer must NOT look like the
                # stored style, and loadDefaultStyle() must bring it in from the database.
                opts = QgsVectorLayer.LayerOptions()
                opts.loadDefaultStyle = False
                plain = QgsVectorLayer(uri, name, "ogr", opts)
                keep.append(plain)
                if not check_renderer(plain, want, name):
                    problems.append("an unstyled layer already matches the stored style (check is vacuous)")
                msg, ok = plain.loadDefaultStyle()
                if not ok:
                    problems.append(f"loadDefaultStyle failed: {msg}")
                else:
                    problems += [f"loadDefaultStyle: {p}" for p in check_renderer(plain, want, name)]
        summary["layers"][name] = {"ok": not problems, **info}
        fail(name, problems)
        print(f"{'OK  ' if not problems else 'FAIL'} {name}: {json.dumps(info)}"
              + ("" if not problems else " -- " + "; ".join(problems)))

    # the project
    project = QgsProject.instance()
    problems = []
    if not qgs.is_file():
        problems.append("border.qgs missing")
    elif not project.read(str(qgs)):
        problems.append(f"QgsProject.read failed: {project.error()}")
    else:
        if project.crs().authid() != "EPSG:4326":
            problems.append(f"project crs {project.crs().authid()!r}")
        by_name = {l.name(): l for l in project.mapLayers().values()}
        summary["project"]["layers"] = list(by_name)
        if set(by_name) != set(expected):
            problems.append(f"project layers {sorted(by_name)} != expected {sorted(expected)}")
        for name, lyr in by_name.items():
            if lyr.type() != QgsMapLayerType.VectorLayer or not lyr.isValid():
                problems.append(f"{name} not valid")
                continue
            if Path(lyr.source().split("|")[0]).resolve() != gpkg:
                problems.append(f"{name} source {lyr.source()!r} is not {gpkg}")
            if name in expected and lyr.featureCount() != expected[name]["count"]:
                problems.append(f"{name} featureCount {lyr.featureCount()}")
            if name in stored:
                problems += [f"{name}: {p}" for p in check_renderer(lyr, qml_expectations(stored[name]), name)]
        order = [n.name() for n in project.layerTreeRoot().findLayers()]
        summary["project"]["order"] = order
        if order and "river" in order and order[-1] != "river":
            problems.append(f"river is not drawn at the bottom: {order}")
    summary["project"]["ok"] = not problems
    fail("border.qgs", problems)
    print(f"{'OK  ' if not problems else 'FAIL'} border.qgs: {json.dumps(summary['project'])}"
          + ("" if not problems else " -- " + "; ".join(problems)))

    summary["warnings"] = messages
    summary["ok"] = not summary["failures"]
    project.clear()
    keep.clear()
    print(json.dumps(summary, ensure_ascii=False))
    sys.stdout.flush()
    sys.stderr.flush()
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    # os._exit: skip QGIS/Qt teardown, which can crash after layers were used from Python and
    # would turn a pass into a signal exit.
    os._exit(main(sys.argv))
