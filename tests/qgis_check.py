#!/usr/bin/python3
"""Open the pipeline's outputs with QGIS's own Python API and check that they are styled as expected.

Run by Debian's python (QGIS from the apt package python3-qgis), not the project's python:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py OUTDIR EXPECTED_JSON

EXPECTED_JSON::

    {"layers": {"land_boundary": {"count": 1, "geom": "Line", "renderer": "singleSymbol",
                                  "attr": null, "colours": {"": [227, 26, 28]}, "label_field": null}, ...},
     "order": ["boundary_points", ..., "land"]}          # layer list of the project, top first

``geom``: Point | Line | Polygon; ``colours``: category value -> RGB of its symbol (the single symbol under "");
``label_field``: the labelled attribute, or null for no labels.

Checked: GDAL (the library QGIS reads the file with) opens border.gpkg and reads every table without a warning
(a GeoPackage version newer than this GDAL knows is one); for every expected layer of border.gpkg, opened
as QGIS opens it: valid, EPSG:4326, geometry type, feature count, a default style stored in the GeoPackage
(listStylesInDatabase) that QGIS loads on open, whose renderer, colours and labels are the expected ones;
the same layer opened without its default style does not already match (the check is not vacuous), and
loadDefaultStyle() brings the style in. Then border.qgs read with QgsProject: EPSG:4326, exactly the expected
layers, each valid, read from border.gpkg next to the project (relative path), with the expected feature count
and style, in the expected order, and a default view that holds every layer's extent. No warning may reach
QGIS's message log. One line per check group, a JSON summary on the last line, exit status 1 on any failure
(2 on bad usage).

Standard library + qgis only: it must not import the pipeline package (whose dependencies Debian's python does
not have).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
        for i in range(ds.GetLayerCount()):
            lyr = ds.GetLayer(i)
            lyr.GetFeatureCount()
            for _ in lyr:
                pass
        ds = None
    finally:
        gdal.PopErrorHandler()
    return msgs


def _rgb(colour) -> list[int]:
    return [colour.red(), colour.green(), colour.blue()]


def check_style(layer, exp: dict) -> list[str]:
    """Compare a QgsVectorLayer's renderer and labels with ``exp``; return the problems."""
    bad = []
    r = layer.renderer()
    if r is None or r.type() != exp["renderer"]:
        return [f"renderer {r.type() if r else None!r} != {exp['renderer']!r}"]
    if exp["renderer"] == "singleSymbol":
        got = {"": _rgb(r.symbol().color())}
    else:
        if r.classAttribute() != exp["attr"]:
            bad.append(f"categorised on {r.classAttribute()!r} != {exp['attr']!r}")
        got = {str(c.value() if c.value() is not None else ""): _rgb(c.symbol().color()) for c in r.categories()}
    if got != exp["colours"]:
        bad.append(f"symbol colours {got} != {exp['colours']}")
    if exp["label_field"]:
        if not layer.labelsEnabled() or layer.labeling() is None:
            bad.append("labels not enabled")
        elif layer.labeling().settings().fieldName != exp["label_field"]:
            bad.append(f"label field {layer.labeling().settings().fieldName!r} != {exp['label_field']!r}")
    elif layer.labelsEnabled():
        bad.append("labels enabled, none expected")
    return bad


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: /usr/bin/python3 tests/qgis_check.py OUTDIR EXPECTED_JSON", file=sys.stderr)
        return 2
    outdir = Path(argv[1]).resolve()
    expected = json.loads(argv[2])
    layers, order = expected["layers"], expected["order"]
    gpkg, qgs = outdir / "border.gpkg", outdir / "border.qgs"

    from qgis.core import Qgis, QgsApplication, QgsMapLayerType, QgsProject, QgsVectorLayer, QgsWkbTypes

    app = QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    messages: list[str] = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda msg, tag, level: messages.append(f"[{tag}] {msg}") if level >= Qgis.Warning else None)

    summary = {"qgis": Qgis.QGIS_VERSION, "layers": {}, "project": {}, "failures": []}

    def report(where: str, problems: list[str], info: dict) -> None:
        summary["failures"] += [f"{where}: {p}" for p in problems]
        print(f"{'OK  ' if not problems else 'FAIL'} {where}: {json.dumps(info, ensure_ascii=False)}"
              + ("" if not problems else " -- " + "; ".join(problems)))

    problems = gdal_complaints(gpkg)
    report("border.gpkg (GDAL)", problems, {"warnings": len(problems)})

    keep = []   # layers stay alive until QGIS goes away
    for name, exp in layers.items():
        problems, info = [], {}
        uri = f"{gpkg}|layername={name}"
        lyr = QgsVectorLayer(uri, name, "ogr")   # the default style is loaded from the GeoPackage here
        keep.append(lyr)
        if not lyr.isValid():
            problems.append("layer not valid")
        else:
            info = {"count": lyr.featureCount(), "crs": lyr.crs().authid(),
                    "geom": QgsWkbTypes.geometryDisplayString(lyr.geometryType()), "renderer": lyr.renderer().type()}
            if info["count"] != exp["count"]:
                problems.append(f"featureCount {info['count']} != {exp['count']}")
            if info["crs"] != "EPSG:4326":
                problems.append(f"crs {info['crs']!r} != 'EPSG:4326'")
            if info["geom"] != exp["geom"]:
                problems.append(f"geometry {info['geom']!r} != {exp['geom']!r}")
            n_styles, _ids, _names, _descs, err = lyr.listStylesInDatabase()
            info["db_styles"] = n_styles
            if n_styles < 1:
                problems.append(f"no style in the GeoPackage for this layer ({err})")
            problems += [f"on open: {p}" for p in check_style(lyr, exp)]
            opts = QgsVectorLayer.LayerOptions()
            opts.loadDefaultStyle = False
            plain = QgsVectorLayer(uri, name, "ogr", opts)
            keep.append(plain)
            if not check_style(plain, exp):
                problems.append("the layer without its default style already matches (the check is vacuous)")
            msg, ok = plain.loadDefaultStyle()
            if not ok:
                problems.append(f"loadDefaultStyle failed: {msg}")
            else:
                problems += [f"loadDefaultStyle: {p}" for p in check_style(plain, exp)]
        summary["layers"][name] = {"ok": not problems, **info}
        report(name, problems, info)

    project = QgsProject.instance()
    problems, info = [], {}
    if not qgs.is_file():
        problems.append("border.qgs missing")
    elif not project.read(str(qgs)):
        problems.append(f"QgsProject.read failed: {project.error()}")
    else:
        if project.crs().authid() != "EPSG:4326":
            problems.append(f"project crs {project.crs().authid()!r}")
        by_name = {lyr.name(): lyr for lyr in project.mapLayers().values()}
        info["layers"] = sorted(by_name)
        if set(by_name) != set(layers):
            problems.append(f"project layers {sorted(by_name)} != expected {sorted(layers)}")
        view = project.viewSettings().defaultViewExtent()
        info["view"] = [view.xMinimum(), view.yMinimum(), view.xMaximum(), view.yMaximum()]
        for name, lyr in sorted(by_name.items()):
            if lyr.type() != QgsMapLayerType.VectorLayer or not lyr.isValid():
                problems.append(f"{name} not valid")
                continue
            if Path(lyr.source().split("|")[0]).resolve() != gpkg:
                problems.append(f"{name} source {lyr.source()!r} is not {gpkg}")
            if name not in layers:
                continue
            if lyr.featureCount() != layers[name]["count"]:
                problems.append(f"{name} featureCount {lyr.featureCount()} != {layers[name]['count']}")
            problems += [f"{name}: {p}" for p in check_style(lyr, layers[name])]
        info["order"] = [n.name() for n in project.layerTreeRoot().findLayers()]
        if info["order"] != order:
            problems.append(f"layer order {info['order']} != {order}")
        if "land_boundary" in by_name and not view.contains(by_name["land_boundary"].extent()):
            problems.append("the default view does not hold the land boundary")
    summary["project"] = {"ok": not problems, **info}
    report("border.qgs", problems, info)

    summary["warnings"] = messages
    if messages:
        summary["failures"] += [f"QGIS message log: {m}" for m in messages]
        print("FAIL QGIS message log: " + " | ".join(messages))
    summary["ok"] = not summary["failures"]
    project.clear()
    keep.clear()
    print(json.dumps(summary, ensure_ascii=False))
    sys.stdout.flush()
    sys.stderr.flush()
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    # os._exit: skip QGIS/Qt teardown, which can crash after layers were used from Python and would turn a
    # pass into a signal exit.
    os._exit(main(sys.argv))
