"""QGIS styling for ``border.gpkg``: QML documents, the GeoPackage ``layer_styles`` table, a ``.qgs`` project.

Pure standard library (``sqlite3`` + ``xml``); nothing here imports QGIS, so the pipeline's own
Python can write styles that QGIS (3.22 and later) applies on first open.

* :data:`STYLES` maps a layer name to a QML style document.
* :func:`write_layer_styles` stores one default style per layer in the GeoPackage, in the same
  ``layer_styles`` table QGIS itself creates (``QgsOgrProviderMetadata::saveStyle``: the table is
  made through GDAL with ``FID=id`` and is registered in ``gpkg_contents`` as ``attributes``).
  QGIS loads the row with ``useAsDefault=1`` whose ``f_table_name`` and ``f_geometry_column``
  match the layer when the layer is added.
* :func:`write_qgis_project` writes a small ``.qgs`` project that refers to the GeoPackage by a
  relative path and embeds the same styles.
"""
from __future__ import annotations

import hashlib
import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

__all__ = ["STYLES", "write_layer_styles", "write_qgis_project"]

QGIS_VERSION = "3.22.0-Białowieża"   # the oldest QGIS these documents are written for
STYLE_TABLE = "layer_styles"
_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
_SCALE0 = "3x:0,0,0,0,0,0"           # QgsMapUnitScale "no scale limits"

# ---------------------------------------------------------------------------------------------
# Symbols
# ---------------------------------------------------------------------------------------------


def _symbol_layer(symbol: ET.Element, cls: str, props: dict[str, str]) -> None:
    """One symbol layer; properties written both as <Option type="Map"> and <prop>, as QGIS 3.22 does."""
    layer = ET.SubElement(symbol, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    opt = ET.SubElement(layer, "Option", {"type": "Map"})
    for k in sorted(props):
        ET.SubElement(opt, "Option", {"name": k, "type": "QString", "value": props[k]})
    for k in sorted(props):
        ET.SubElement(layer, "prop", {"k": k, "v": props[k]})


def _symbol(kind: str, name: str, cls: str, props: dict[str, str]) -> ET.Element:
    sym = ET.Element("symbol", {"type": kind, "name": name, "alpha": "1",
                                "clip_to_extent": "1", "force_rhr": "0"})
    _symbol_layer(sym, cls, props)
    return sym


def _line(color: str, width: float, style: str = "solid", *, custom_dash: str | None = None,
          name: str = "0") -> ET.Element:
    """A SimpleLine symbol. ``style``: solid | dash | dot | dash dot | dash dot dot."""
    return _symbol("line", name, "SimpleLine", {
        "line_color": color, "line_width": f"{width:g}", "line_width_unit": "MM",
        "line_style": style, "capstyle": "round" if style == "solid" else "flat",
        "joinstyle": "round", "use_custom_dash": "1" if custom_dash else "0",
        "customdash": custom_dash or "5;2", "customdash_unit": "MM",
        "customdash_map_unit_scale": _SCALE0, "width_map_unit_scale": _SCALE0,
        "offset": "0", "offset_unit": "MM", "offset_map_unit_scale": _SCALE0,
        "draw_inside_polygon": "0", "ring_filter": "0",
    })


def _fill(color: str, outline: str, outline_width: float, name: str = "0") -> ET.Element:
    return _symbol("fill", name, "SimpleFill", {
        "color": color, "style": "solid", "outline_color": outline, "outline_style": "solid",
        "outline_width": f"{outline_width:g}", "outline_width_unit": "MM", "joinstyle": "round",
        "border_width_map_unit_scale": _SCALE0, "offset": "0,0", "offset_unit": "MM",
        "offset_map_unit_scale": _SCALE0,
    })


def _marker(shape: str, color: str, size: float, *, outline: str = "0,0,0,255",
            outline_width: float = 0.3, name: str = "0") -> ET.Element:
    """A SimpleMarker symbol. ``shape``: circle | star | triangle | diamond | square | cross2 ..."""
    return _symbol("marker", name, "SimpleMarker", {
        "name": shape, "color": color, "size": f"{size:g}", "size_unit": "MM",
        "size_map_unit_scale": _SCALE0, "outline_color": outline, "outline_style": "solid",
        "outline_width": f"{outline_width:g}", "outline_width_unit": "MM",
        "outline_width_map_unit_scale": _SCALE0, "angle": "0", "scale_method": "diameter",
        "joinstyle": "miter", "cap_style": "square", "horizontal_anchor_point": "1",
        "vertical_anchor_point": "1", "offset": "0,0", "offset_unit": "MM",
        "offset_map_unit_scale": _SCALE0,
    })


# ---------------------------------------------------------------------------------------------
# Renderers and labels
# ---------------------------------------------------------------------------------------------

def _renderer_attrs(kind: str) -> dict[str, str]:
    return {"type": kind, "symbollevels": "0", "forceraster": "0", "enableorderby": "0",
            "referencescale": "-1"}


def _single(symbol: ET.Element) -> ET.Element:
    r = ET.Element("renderer-v2", _renderer_attrs("singleSymbol"))
    ET.SubElement(r, "symbols").append(symbol)
    ET.SubElement(r, "rotation")
    ET.SubElement(r, "sizescale")
    return r


def _categorized(attr: str, cats: list[tuple[str, str, ET.Element]], source: ET.Element) -> ET.Element:
    """``cats``: (value, legend label, symbol). The value "" is QGIS's "all other values" class."""
    r = ET.Element("renderer-v2", {**_renderer_attrs("categorizedSymbol"), "attr": attr})
    ce = ET.SubElement(r, "categories")
    se = ET.SubElement(r, "symbols")
    for i, (value, label, sym) in enumerate(cats):
        ET.SubElement(ce, "category", {"render": "true", "symbol": str(i), "value": value,
                                       "label": label, "type": "string"})
        sym.set("name", str(i))
        se.append(sym)
    src = ET.SubElement(r, "source-symbol")
    source.set("name", "0")
    src.append(source)
    ET.SubElement(r, "rotation")
    ET.SubElement(r, "sizescale")
    return r


def _labels(field: str, *, size: float = 9.0, bold: bool = False, color: str = "0,0,0,255",
            priority: int = 5, dist: float = 1.5) -> ET.Element:
    """Simple labelling from ``field`` (points: cartographic placement around the marker, white halo)."""
    lab = ET.Element("labeling", {"type": "simple"})
    st = ET.SubElement(lab, "settings", {"calloutType": "simple"})
    ts = ET.SubElement(st, "text-style", {
        "fieldName": field, "isExpression": "0", "fontFamily": "Sans Serif",
        "namedStyle": "Bold" if bold else "Regular", "fontWeight": "75" if bold else "50",
        "fontItalic": "0", "fontUnderline": "0", "fontStrikeout": "0", "fontKerning": "1",
        "fontSize": f"{size:g}", "fontSizeUnit": "Point", "fontSizeMapUnitScale": _SCALE0,
        "textColor": color, "textOpacity": "1", "blendMode": "0", "multilineHeight": "1",
        "capitalization": "0", "allowHtml": "0", "useSubstitutions": "0",
        "textOrientation": "horizontal", "previewBkgrdColor": "255,255,255,255",
    })
    ET.SubElement(ts, "text-buffer", {
        "bufferDraw": "1", "bufferSize": "0.8", "bufferSizeUnits": "MM",
        "bufferSizeMapUnitScale": _SCALE0, "bufferColor": "255,255,255,255",
        "bufferOpacity": "0.9", "bufferNoFill": "1", "bufferJoinStyle": "128", "bufferBlendMode": "0",
    })
    ET.SubElement(st, "text-format", {
        "wrapChar": "", "autoWrapLength": "0", "useMaxLineLengthForAutoWrap": "1",
        "multilineAlign": "3", "formatNumbers": "0", "decimals": "3", "plussign": "0",
        "addDirectionSymbol": "0", "placeDirectionSymbol": "0", "reverseDirectionSymbol": "0",
        "leftDirectionSymbol": "<", "rightDirectionSymbol": ">",
    })
    ET.SubElement(st, "placement", {
        "placement": "6",  # OrderedPositionsAroundPoint ("cartographic")
        "predefinedPositionOrder": "TR,TL,BR,BL,R,L,TSR,BSR", "dist": f"{dist:g}",
        "distUnits": "MM", "distMapUnitScale": _SCALE0, "offsetType": "0", "quadOffset": "4",
        "xOffset": "0", "yOffset": "0", "offsetUnits": "MM", "labelOffsetMapUnitScale": _SCALE0,
        "rotationAngle": "0", "rotationUnit": "AngleDegrees", "preserveRotation": "1",
        "priority": str(priority), "placementFlags": "10", "centroidWhole": "0",
        "centroidInside": "0", "fitInPolygonOnly": "0", "maxCurvedCharAngleIn": "25",
        "maxCurvedCharAngleOut": "-25", "repeatDistance": "0", "repeatDistanceUnits": "MM",
        "repeatDistanceMapUnitScale": _SCALE0, "overrunDistance": "0",
        "overrunDistanceUnit": "MM", "overrunDistanceMapUnitScale": _SCALE0,
        "geometryGenerator": "", "geometryGeneratorEnabled": "0",
        "geometryGeneratorType": "PointGeometry", "layerType": "PointGeometry",
    })
    ET.SubElement(st, "rendering", {
        "drawLabels": "1", "scaleVisibility": "0", "scaleMin": "0", "scaleMax": "0",
        "obstacle": "1", "obstacleFactor": "1", "obstacleType": "1", "displayAll": "0",
        "upsidedownLabels": "0", "labelPerPart": "0", "mergeLines": "0", "minFeatureSize": "0",
        "limitNumLabels": "0", "maxNumLabels": "2000", "fontLimitPixelSize": "0",
        "fontMinPixelSize": "0", "fontMaxPixelSize": "10000", "zIndex": "0",
        "unplacedVisibility": "0",
    })
    return lab


_GEOM_CODE = {"point": "0", "line": "1", "polygon": "2"}   # QgsWkbTypes::GeometryType


def _qml(geom: str, renderer: ET.Element, labeling: ET.Element | None = None) -> str:
    root = ET.Element("qgis", {
        "version": QGIS_VERSION, "styleCategories": "AllStyleCategories",
        "labelsEnabled": "1" if labeling is not None else "0",
        "hasScaleBasedVisibilityFlag": "0", "minScale": "100000000", "maxScale": "0",
        "readOnly": "0", "simplifyAlgorithm": "0", "simplifyDrawingHints": "1" if geom != "point" else "0",
        "simplifyDrawingTol": "1", "simplifyLocal": "1", "simplifyMaxScale": "1",
        "symbologyReferenceScale": "-1",
    })
    flags = ET.SubElement(root, "flags")
    for k, v in (("Identifiable", "1"), ("Removable", "1"), ("Searchable", "1"), ("Private", "0")):
        ET.SubElement(flags, k).text = v
    root.append(renderer)
    if labeling is not None:
        root.append(labeling)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.SubElement(root, "previewExpression").text = '"name"'
    ET.SubElement(root, "layerGeometryType").text = _GEOM_CODE[geom]
    ET.indent(root, " ")
    return _DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


# ---------------------------------------------------------------------------------------------
# The styles
# ---------------------------------------------------------------------------------------------

RED = "227,26,28,255"
DARK_GREEN = "0,100,0,255"


def _build_styles() -> dict[str, str]:
    s: dict[str, str] = {}
    s["river"] = _qml("polygon", _single(_fill("166,206,227,200", "31,120,180,255", 0.26)))
    s["coast"] = _qml("line", _single(_line("128,128,128,255", 0.3)))
    s["land_boundary"] = _qml("line", _single(_line(RED, 1.2)))
    s["thalweg"] = _qml("line", _single(_line("8,48,107,255", 0.6, "dash")))
    s["closing_line"] = _qml("line", _single(_line("0,0,0,255", 0.35, "dash", custom_dash="2;1.5")))
    s["maritime_boundary"] = _qml("line", _single(_line(RED, 1.0, "dash", custom_dash="5;2")))
    s["territorial_sea_limits"] = _qml("line", _categorized("side", [
        ("RUS", "RUS territorial sea limit", _line(DARK_GREEN, 0.6, "dash")),
        ("PRK", "PRK territorial sea limit", _line("35,120,60,255", 0.6, "dash dot")),
        ("", "other", _line(DARK_GREEN, 0.6, "dash")),
    ], _line(DARK_GREEN, 0.6, "dash")))
    s["tripoint"] = _qml("point", _single(_marker("star", "255,0,0,255", 7.0, outline_width=0.4)),
                         _labels("name", size=10, bold=True, priority=10, dist=2.5))
    s["monuments"] = _qml("point", _single(_marker("triangle", "0,0,0,255", 3.0, outline_width=0.2)),
                          _labels("name", size=8, priority=5))
    s["boundary_points"] = _qml("point", _categorized("kind", [
        ("mouth (computed)", "mouth (computed)", _marker("circle", "255,127,0,255", 3.2)),
        ("mouth point B (treaty)", "mouth point B (treaty)", _marker("diamond", "152,78,163,255", 4.0)),
        ("sea end (computed)", "sea end (computed)", _marker("square", "31,120,180,255", 3.0)),
        ("", "other", _marker("cross2", "90,90,90,255", 3.0, outline="90,90,90,255", outline_width=0.5)),
    ], _marker("circle", "90,90,90,255", 3.0)), _labels("name", size=8, priority=7))
    s["osm_reference_border"] = _qml("line", _single(_line("255,140,0,255", 0.5, "dot")))
    return s


STYLES: dict[str, str] = _build_styles()

# Drawing order, top first (points over lines over the river polygon).
_DRAW_ORDER = ["tripoint", "boundary_points", "monuments", "osm_reference_border",
               "land_boundary", "maritime_boundary", "thalweg", "closing_line",
               "territorial_sea_limits", "coast", "river"]

# ---------------------------------------------------------------------------------------------
# GeoPackage layer_styles
# ---------------------------------------------------------------------------------------------

# Exactly the DDL that GDAL's GPKG driver emits for the table QGIS creates in
# QgsOgrProviderMetadata::saveStyle (fields, widths, boolean subtype, CURRENT_TIMESTAMP default).
_CREATE_STYLES = (
    'CREATE TABLE IF NOT EXISTS "layer_styles" ( "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256), '
    '"f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30), '
    "\"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
)
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


def _has_table(con: sqlite3.Connection, name: str) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def write_layer_styles(gpkg_path: str | Path, layer_names) -> list[str]:
    """Store :data:`STYLES` as each layer's default QGIS style inside the GeoPackage.

    Layers in ``layer_names`` that the GeoPackage does not hold are skipped (``thalweg`` may be
    absent); a layer that exists but has no entry in :data:`STYLES` raises ``KeyError``.
    Re-running replaces the earlier rows of the same style name, and any other style of the
    layer stops being the default, as QGIS does. Returns the names of the layers styled.
    """
    gpkg_path = Path(gpkg_path)
    if not gpkg_path.is_file():
        raise FileNotFoundError(gpkg_path)
    with closing(sqlite3.connect(gpkg_path)) as con:
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        todo = [n for n in dict.fromkeys(layer_names) if n in geom_cols]
        missing = [n for n in todo if n not in STYLES]
        if missing:
            raise KeyError(f"no QGIS style defined for layer(s) {missing}")
        with con:  # one transaction
            con.execute(_CREATE_STYLES)
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) "
                f"SELECT 'layer_styles', 'attributes', 'layer_styles', '', {_NOW}, 0 "
                "WHERE NOT EXISTS (SELECT 1 FROM gpkg_contents WHERE lower(table_name) = 'layer_styles')")
            ogr_contents = _has_table(con, "gpkg_ogr_contents")
            if ogr_contents:   # GDAL's feature-count cache, kept up to date as GDAL itself does
                con.execute("INSERT INTO gpkg_ogr_contents (table_name, feature_count) SELECT 'layer_styles', 0 "
                            "WHERE NOT EXISTS (SELECT 1 FROM gpkg_ogr_contents WHERE lower(table_name) = 'layer_styles')")
                for op, sign in (("insert", "+"), ("delete", "-")):
                    con.execute(
                        f'CREATE TRIGGER IF NOT EXISTS "trigger_{op}_feature_count_layer_styles" '
                        f'AFTER {op.upper()} ON "layer_styles" BEGIN UPDATE gpkg_ogr_contents SET '
                        f"feature_count = feature_count {sign} 1 WHERE lower(table_name) = lower('layer_styles'); END")
            for name in todo:
                geom = geom_cols[name]
                con.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ? "
                            "AND f_geometry_column = ? AND useAsDefault", (name, geom))
                con.execute("DELETE FROM layer_styles WHERE f_table_name = ? AND f_geometry_column = ? "
                            "AND styleName = ?", (name, geom, name))
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                    "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL)",
                    (name, geom, name, STYLES[name], f"Default style for {name} (pipeline.qgis_styles)"))
            if ogr_contents:
                con.execute("UPDATE gpkg_ogr_contents SET feature_count = (SELECT count(*) FROM layer_styles) "
                            "WHERE lower(table_name) = 'layer_styles'")
            con.execute(f"UPDATE gpkg_contents SET last_change = {_NOW} WHERE table_name = 'layer_styles'")
    return todo


# ---------------------------------------------------------------------------------------------
# QGIS project
# ---------------------------------------------------------------------------------------------

_WGS84_WKT = (
    'GEOGCRS["WGS 84",ENSEMBLE["World Geodetic System 1984 ensemble",MEMBER["World Geodetic System 1984 '
    '(Transit)"],MEMBER["World Geodetic System 1984 (G730)"],MEMBER["World Geodetic System 1984 (G873)"],'
    'MEMBER["World Geodetic System 1984 (G1150)"],MEMBER["World Geodetic System 1984 (G1674)"],MEMBER["World '
    'Geodetic System 1984 (G1762)"],MEMBER["World Geodetic System 1984 (G2139)"],ELLIPSOID["WGS 84",6378137,'
    '298.257223563,LENGTHUNIT["metre",1]],ENSEMBLEACCURACY[2.0]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",'
    '0.0174532925199433]],CS[ellipsoidal,2],AXIS["geodetic latitude (Lat)",north,ORDER[1],ANGLEUNIT["degree",'
    '0.0174532925199433]],AXIS["geodetic longitude (Lon)",east,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]],'
    'USAGE[SCOPE["Horizontal component of 3D system."],AREA["World."],BBOX[-90,-180,90,180]],ID["EPSG",4326]]'
)


def _srs(parent: ET.Element) -> None:
    s = ET.SubElement(parent, "spatialrefsys")
    for tag, text in (("wkt", _WGS84_WKT), ("proj4", "+proj=longlat +datum=WGS84 +no_defs"),
                      ("srsid", "3452"), ("srid", "4326"), ("authid", "EPSG:4326"),
                      ("description", "WGS 84"), ("projectionacronym", "longlat"),
                      ("ellipsoidacronym", "EPSG:7030"), ("geographicflag", "true")):
        ET.SubElement(s, tag).text = text


def _geom_class(geometry_type: str) -> tuple[str, str]:
    """('Point'|'Line'|'Polygon', rank) for an OGC name such as 'MultiLineString'."""
    g = geometry_type.lower()
    if "point" in g:
        return "Point", "0"
    if "line" in g:
        return "Line", "1"
    if "polygon" in g:
        return "Polygon", "2"
    raise ValueError(f"unsupported geometry type {geometry_type!r}")


def _layer_id(name: str) -> str:
    return f"{name}_{hashlib.sha1(name.encode()).hexdigest()[:12]}"


def _gpkg_extent(gpkg: Path, names: list[str]) -> tuple[float, float, float, float] | None:
    if not gpkg.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)) as con:
            rows = [con.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?",
                                (n,)).fetchone() for n in names]
    except sqlite3.Error:
        return None
    rows = [r for r in rows if r and None not in r]
    if not rows:
        return None
    return (min(r[0] for r in rows), min(r[1] for r in rows), max(r[2] for r in rows), max(r[3] for r in rows))


def _extent_xml(parent: ET.Element, tag: str, ext: tuple[float, float, float, float]) -> None:
    e = ET.SubElement(parent, tag)
    for k, v in zip(("xmin", "ymin", "xmax", "ymax"), ext):
        ET.SubElement(e, k).text = repr(float(v))


def write_qgis_project(qgs_path: str | Path, gpkg_name: str, layers: list[tuple[str, str]], *,
                       title: str = "Border outputs",
                       extent: tuple[float, float, float, float] | None = None) -> Path:
    """Write a QGIS 3.22+ project showing ``layers`` of the GeoPackage ``gpkg_name``.

    ``gpkg_name`` is relative to the project's folder (normally just ``"border.gpkg"``) and is
    stored as ``./border.gpkg|layername=...`` with relative paths switched on, so the pair of files
    can be moved together. ``layers`` are (layer name, geometry type) pairs; layers are drawn
    points on top, then lines, the river polygon at the bottom. Each layer embeds its style from
    :data:`STYLES` (a layer without one gets QGIS's default symbol). ``extent`` (lon/lat) sets the
    initial view; by default it is read from the GeoPackage's ``gpkg_contents`` when the file
    exists next to the project.
    """
    qgs_path = Path(qgs_path)
    rel = gpkg_name if gpkg_name.startswith(("./", "../", "/")) else f"./{gpkg_name}"

    def order(item: tuple[int, tuple[str, str]]) -> tuple[int, int, int]:
        i, (name, gtype) = item
        rank = _DRAW_ORDER.index(name) if name in _DRAW_ORDER else len(_DRAW_ORDER)
        return (int(_geom_class(gtype)[1]), rank, i)

    ordered = [nt for _, nt in sorted(enumerate(layers), key=order)]
    if extent is None:
        extent = _gpkg_extent(qgs_path.parent / gpkg_name, [n for n, _ in ordered])
    if extent is not None:
        pad_x = max((extent[2] - extent[0]) * 0.10, 2e-3)
        pad_y = max((extent[3] - extent[1]) * 0.10, 2e-3)
        extent = (extent[0] - pad_x, extent[1] - pad_y, extent[2] + pad_x, extent[3] + pad_y)

    root = ET.Element("qgis", {"version": QGIS_VERSION, "projectname": title})
    ET.SubElement(root, "homePath", {"path": ""})
    ET.SubElement(root, "title").text = title
    _srs(ET.SubElement(root, "projectCrs"))

    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    for name, _ in ordered:
        tl = ET.SubElement(tree, "layer-tree-layer", {
            "id": _layer_id(name), "name": name, "source": f"{rel}|layername={name}",
            "providerKey": "ogr", "checked": "Qt::Checked", "expanded": "1"})
        ET.SubElement(tl, "customproperties")

    plist = ET.SubElement(root, "projectlayers")
    for name, gtype in ordered:
        qml = ET.fromstring(STYLES[name]) if name in STYLES else None
        attrs = {"type": "vector", "geometry": _geom_class(gtype)[0], "wkbType": gtype,
                 "styleCategories": "AllStyleCategories", "labelsEnabled": "0",
                 "hasScaleBasedVisibilityFlag": "0", "minScale": "100000000", "maxScale": "0",
                 "readOnly": "0", "autoRefreshEnabled": "0", "autoRefreshTime": "0"}
        if qml is not None:
            attrs.update({k: v for k, v in qml.attrib.items() if k != "version"})
        ml = ET.SubElement(plist, "maplayer", attrs)
        ET.SubElement(ml, "id").text = _layer_id(name)
        ET.SubElement(ml, "datasource").text = f"{rel}|layername={name}"
        ET.SubElement(ml, "layername").text = name
        _srs(ET.SubElement(ml, "srs"))
        ET.SubElement(ml, "provider", {"encoding": "UTF-8"}).text = "ogr"
        if qml is not None:
            for child in qml:
                if child.tag != "layerGeometryType":
                    ml.append(child)

    lo = ET.SubElement(root, "layerorder")
    for name, _ in ordered:
        ET.SubElement(lo, "layer", {"id": _layer_id(name)})

    props = ET.SubElement(root, "properties")
    paths = ET.SubElement(props, "Paths")
    ET.SubElement(paths, "Absolute", {"type": "bool"}).text = "false"
    srs_props = ET.SubElement(props, "SpatialRefSys")
    ET.SubElement(srs_props, "ProjectionsEnabled", {"type": "int"}).text = "1"

    if extent is not None:
        canvas = ET.SubElement(root, "mapcanvas", {"name": "theMapCanvas", "annotationsVisible": "1"})
        ET.SubElement(canvas, "units").text = "degrees"
        _extent_xml(canvas, "extent", extent)
        ET.SubElement(canvas, "rotation").text = "0"
        _srs(ET.SubElement(canvas, "destinationsrs"))
        ET.SubElement(canvas, "rendermaptile").text = "0"
        view = ET.SubElement(root, "ProjectViewSettings", {"UseProjectScales": "0", "rotation": "0"})
        ET.SubElement(view, "Scales")
        dv = ET.SubElement(view, "DefaultViewExtent", dict(zip(("xmin", "ymin", "xmax", "ymax"),
                                                               (repr(float(v)) for v in extent))))
        _srs(dv)

    ET.indent(root, "  ")
    qgs_path.parent.mkdir(parents=True, exist_ok=True)
    qgs_path.write_text(_DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n", encoding="utf-8")
    return qgs_path
