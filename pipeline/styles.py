"""Presentation as data: the one style table, and the QGIS styles and project filled from it.

:func:`style_table` reads ``pipeline/templates/styles.toml`` (package data) and the state colours of the config
into a :class:`StyleTable`: one row per layer and category with its colours, symbol, widths, dash, draw order,
label and legend text. The same rows style the QGIS layers (here), the PNG map (:mod:`pipeline.mapping`) and
the web map (:mod:`pipeline.webmap`); no colour, width or draw order is written anywhere else. A layer's style
is the row ``[layers.<name>]`` of its catalogue entry (:data:`pipeline.layers.CATALOGUE`), which gives the
geometry type the QGIS project declares.

The QGIS documents are filled from templates shipped as package data (``templates/qml``, ``templates/project``)
with :class:`string.Template`: every value is XML-escaped when it is filled in, fragments built from other
templates are inserted as they are. Nothing here writes files; :mod:`pipeline.export` does.
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from string import Template
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .config import Config
from .layers import LAYERS

STYLE_TABLE = "layer_styles"
GPKG_GEOMETRY_COLUMN = "geom"   # GDAL's GPKG driver names the geometry column so (GEOMETRY_NAME default)
MM_PER_PT = 25.4 / 72.0

# the columns of a row, their types; [defaults] of styles.toml must set exactly these
COLUMNS: dict[str, type] = {
    "legend": str, "fill": str, "fill_opacity": float, "stroke": str, "width_mm": float, "dash_mm": str,
    "marker": str, "size_mm": float, "label": str, "label_size_pt": float, "label_bold": bool,
    "label_colour": str, "label_dx_pt": float, "label_dy_pt": float, "label_on": str,
}
COLOUR_COLUMNS = ("fill", "stroke", "label_colour")
GEOMETRIES = ("point", "line", "polygon")
MARKERS = ("circle", "square", "diamond", "triangle", "star", "cross")
LABEL_PANELS = ("all", "main", "insets")
_QGIS_MARKER = {"circle": "circle", "square": "square", "diamond": "diamond", "triangle": "triangle",
                "star": "star", "cross": "cross2"}
_QGIS_GEOMETRY = {"point": ("Point", "0", "PointGeometry"), "line": ("Line", "1", "LineGeometry"),
                  "polygon": ("Polygon", "2", "PolygonGeometry")}


class StyleError(ValueError):
    """The style table (package data) is malformed, or a layer has no style."""


@dataclass(frozen=True)
class StyleTable:
    """The style table.

    ``rows``: one row per (layer, category), in draw order, bottom first; columns ``layer``, ``geometry``
    (point | line | polygon), ``order`` (draw order, 0 = bottom), ``by`` (the attribute categorising the layer,
    "" for a single symbol), ``value`` (the category's value; "" = the layer's single symbol, or "any other
    value"), then :data:`COLUMNS`, with every colour resolved to ``#rrggbb`` ("" = none).
    ``view``: the first view (extent layers, padding, background colour, font, halo).
    ``map``: the layout of the PNG map (see ``styles.toml`` [map]).
    ``web``: the web map's settings (see ``styles.toml`` [web]).
    """

    rows: pd.DataFrame
    view: dict[str, Any]
    map: dict[str, Any]
    web: dict[str, Any] = field(default_factory=dict)

    @property
    def layers(self) -> list[str]:
        """Styled layer names in draw order, bottom first.

        Returns
        -------
        list[str]
        """
        return list(dict.fromkeys(self.rows["layer"]))

    def of(self, layer: str) -> pd.DataFrame:
        """The rows of ``layer`` (categories in table order); StyleError if the table has no style for it.

        Parameters
        ----------
        layer : a layer name (a catalogue entry's name, :data:`pipeline.layers.CATALOGUE`)

        Returns
        -------
        pandas.DataFrame
            The layer's style rows (columns as :class:`StyleTable` ``rows``).
        """
        rows = self._by_layer.get(layer)
        if rows is None:
            raise StyleError(f"the style table has no style for layer {layer!r} (pipeline/templates/styles.toml)")
        return rows

    def records(self, layer: str) -> list[dict[str, Any]]:
        """The rows of ``layer`` as dicts (column -> value, Python scalars), in table order; StyleError if the table
        has no style for it. Made once per layer and shared: read them, do not change them.

        Parameters
        ----------
        layer : a layer name

        Returns
        -------
        list[dict[str, Any]]
            One dict per category (``rows.to_dict("records")`` of :meth:`of`).
        """
        self.of(layer)                                       # StyleError when the table has no style for it
        return self._records[layer]

    @cached_property
    def _by_layer(self) -> dict[str, pd.DataFrame]:
        """The rows split by layer once (every output asks :meth:`of` for every layer, many times)."""
        return dict(iter(self.rows.groupby("layer", sort=False)))

    @cached_property
    def _records(self) -> dict[str, list[dict[str, Any]]]:
        return {layer: rows.to_dict("records") for layer, rows in self._by_layer.items()}


# ----------------------------------------------------------------------------------------- package data
def _resource(*parts: str) -> str:
    return resources.files("pipeline").joinpath("templates", *parts).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _template(*parts: str) -> Template:
    return Template(_resource(*parts))


class _Xml(str):
    """A fragment of XML already built: filled into a template as it is."""


def _fill(parts: tuple[str, ...], **values: Any) -> _Xml:
    """Fill a template of package data; plain values are XML-escaped (attribute-safe), fragments are not."""
    esc = {k: v if isinstance(v, _Xml) else escape(str(v), {'"': "&quot;", "\n": "&#10;"}) for k, v in values.items()}
    return _Xml(_template(*parts).substitute(esc))


# ------------------------------------------------------------------------------------------- the table
def _mix_white(colour: str, tint: float) -> str:
    """``colour`` (#rrggbb) mixed with white: ``tint`` 0 = the colour, 1 = white."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * tint):02x}" for c in rgb)


def _resolve_colour(value: Any, side_colour: str | None, where: str) -> str:
    if isinstance(value, dict):
        if set(value) != {"from", "tint"} or value["from"] != "side":
            raise StyleError(f"{where}: a derived colour is {{ from = \"side\", tint = t }}, got {value!r}")
        if side_colour is None:
            raise StyleError(f"{where}: a colour from the side, but this category has no state (set a colour)")
        tint = float(value["tint"])
        if not 0.0 <= tint <= 1.0:
            raise StyleError(f"{where}: tint {tint} is not between 0 and 1")
        return _mix_white(side_colour, tint)
    if not isinstance(value, str) or not (value == "" or (len(value) == 7 and value.startswith("#"))):
        raise StyleError(f"{where}: colour {value!r} is not \"#rrggbb\" or \"\"")
    return value.lower()


def _row(spec: dict[str, Any], defaults: dict[str, Any], where: str, *,
         side_colour: str | None = None, side_name: str = "") -> dict[str, Any]:
    unknown = sorted(set(spec) - set(COLUMNS))
    if unknown:
        raise StyleError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
    row = {**defaults, **spec}
    for col, typ in COLUMNS.items():
        if col in COLOUR_COLUMNS:
            row[col] = _resolve_colour(row[col], side_colour, f"{where}.{col}")
        elif typ is float and isinstance(row[col], int) and not isinstance(row[col], bool):
            row[col] = float(row[col])
        elif not isinstance(row[col], typ):
            raise StyleError(f"{where}.{col}: {row[col]!r} is not a {typ.__name__}")
    if "{name}" in row["legend"]:
        if not side_name:
            raise StyleError(f"{where}.legend: {row['legend']!r} names a state but the category has none")
        row["legend"] = row["legend"].replace("{name}", side_name)
    if not row["label_colour"]:
        raise StyleError(f"{where}.label_colour: a label needs a colour")
    if row["marker"] and row["marker"] not in MARKERS:
        raise StyleError(f"{where}.marker: {row['marker']!r} is not one of {', '.join(MARKERS)}")
    if row["label_on"] not in LABEL_PANELS:
        raise StyleError(f"{where}.label_on: {row['label_on']!r} is not one of {', '.join(LABEL_PANELS)}")
    if row["dash_mm"]:
        try:
            dash = [float(v) for v in row["dash_mm"].split(";")]
        except ValueError:
            dash = []
        if len(dash) < 2 or len(dash) % 2 or min(dash) <= 0:
            raise StyleError(f"{where}.dash_mm: {row['dash_mm']!r} is not \"on;off[;on;off]\" in mm")
    return row


def style_table(cfg: Config) -> StyleTable:
    """The style table from ``pipeline/templates/styles.toml``, with the state colours and names of ``cfg``.

    Layers categorised by ``side`` get one category per state of the config (left, right, third), coloured
    from ``cfg.sides.*_colour`` (tinted as the TOML says) and named ``cfg.sides.name(code)`` in the legend,
    plus the "any other value" category. StyleError if the package data is malformed.

    Parameters
    ----------
    cfg : the run's config (``[sides]``: codes, names, colours)

    Returns
    -------
    StyleTable
        Widths, dashes and sizes in millimetres, label sizes and offsets in points, colours ``#rrggbb``.
    """
    data = tomllib.loads(_resource("styles.toml"))
    defaults = data["defaults"]
    if set(defaults) != set(COLUMNS):
        raise StyleError(f"styles.toml [defaults] must set exactly {', '.join(COLUMNS)}")
    rows: list[dict[str, Any]] = []
    for order, (layer, spec) in enumerate(data["layers"].items()):
        spec = dict(spec)
        geometry = spec.pop("geometry", None)
        if geometry not in GEOMETRIES:
            raise StyleError(f"[layers.{layer}].geometry: {geometry!r} is not one of {', '.join(GEOMETRIES)}")
        by = spec.pop("by", "")
        categories = spec.pop("categories", {})
        other = spec.pop("other", None)
        base = {"layer": layer, "geometry": geometry, "order": order, "by": by}
        where = f"[layers.{layer}]"
        unknown = sorted(set(spec) - set(COLUMNS))
        if unknown:
            raise StyleError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
        if not by:
            if categories or other is not None:
                raise StyleError(f"{where}: categories need by = \"<attribute>\"")
            rows.append({**base, "value": "", **_row(spec, defaults, where)})
            continue
        if other is None:
            raise StyleError(f"{where}: a categorised layer needs [layers.{layer}.other]")
        layer_defaults = {**defaults, **spec}
        if by == "side":
            if categories:
                raise StyleError(f"{where}: the categories of by = \"side\" come from the config's [sides]")
            s = cfg.sides
            for code in (c for c in (s.left, s.right, s.third) if c):
                rows.append({**base, "value": code, **_row({}, layer_defaults, f"{where} ({code})",
                                                            side_colour=s.colour(code), side_name=s.name(code))})
        else:
            for value, cat in categories.items():
                rows.append({**base, "value": value,
                             **_row(cat, layer_defaults, f"[layers.{layer}.categories.{value!r}]")})
        rows.append({**base, "value": "", **_row(other, layer_defaults, f"[layers.{layer}.other]",
                                                  side_colour=None)})
    frame = pd.DataFrame(rows, columns=["layer", "geometry", "order", "by", "value", *COLUMNS])
    view = dict(data["view"])
    for key in ("background", "halo_colour"):
        view[key] = _resolve_colour(view[key], None, f"[view].{key}")
    return StyleTable(rows=frame, view=view, map=dict(data["map"]), web=dict(data.get("web", {})))


def categories(gdf: Any, records: list[dict[str, Any]]) -> list[tuple[dict, Any]]:
    """(style row, features) per category of a layer, in table order; the row with value "" takes every value
    no other row names (or every feature, for a single symbol).

    Parameters
    ----------
    gdf : the layer's features (a GeoDataFrame, any CRS; a missing category column counts as "")
    records : the layer's style rows as dicts, :meth:`StyleTable.records`

    Returns
    -------
    list[tuple[dict, geopandas.GeoDataFrame]]
        One (style row, the features it styles) per category, possibly with no features.
    """
    by = records[0]["by"]
    if not by:
        return [(records[0], gdf)]
    values = gdf[by].astype("string").fillna("").to_numpy() if by in gdf.columns else np.full(len(gdf), "")
    named = [r["value"] for r in records if r["value"]]
    return [(row, gdf[values == row["value"] if row["value"] else ~np.isin(values, named)]) for row in records]


# ------------------------------------------------------------------------------------------------ QML
def _qgis_colour(colour: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` as QGIS writes colours, "r,g,b,a" (a 0-255); "" is fully transparent."""
    if not colour:
        return "0,0,0,0"
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(255 * opacity)}"


def _num(value: float) -> str:
    return f"{value:g}"


def _symbol(row: dict[str, Any], name: str) -> _Xml:
    geometry = row["geometry"]
    if geometry == "line":
        dashed = bool(row["dash_mm"])
        return _fill(("qml", "symbol_line.xml"), name=name, colour=_qgis_colour(row["stroke"]),
                     width=_num(row["width_mm"]), line_style="dash" if dashed else "solid",
                     use_custom_dash=int(dashed), customdash=row["dash_mm"] or "5;2",   # QGIS's default, unused
                     capstyle="flat" if dashed else "round")
    if geometry == "polygon":
        outline = bool(row["stroke"]) and row["width_mm"] > 0
        return _fill(("qml", "symbol_fill.xml"), name=name, colour=_qgis_colour(row["fill"], row["fill_opacity"]),
                     style="solid" if row["fill"] else "no", outline=_qgis_colour(row["stroke"]),
                     outline_style="solid" if outline else "no", width=_num(row["width_mm"]))
    return _fill(("qml", "symbol_marker.xml"), name=name, colour=_qgis_colour(row["fill"], row["fill_opacity"]),
                 shape=_QGIS_MARKER[row["marker"] or "circle"], outline=_qgis_colour(row["stroke"]),
                 width=_num(row["width_mm"]), size=_num(row["size_mm"]))


def _renderer(rows: list[dict[str, Any]]) -> _Xml:
    first = rows[0]
    if not first["by"]:
        return _fill(("qml", "renderer_single.xml"), symbol=_symbol(first, "0"))
    cats, syms = [], []
    for i, row in enumerate(rows):
        cats.append(_fill(("qml", "category.xml"), symbol=i, value=row["value"], label=row["legend"] or row["value"]))
        syms.append(_symbol(row, str(i)))
    other = next(r for r in rows if r["value"] == "")
    return _fill(("qml", "renderer_categorized.xml"), attr=first["by"], categories=_Xml("\n".join(cats)),
                 symbols=_Xml("\n".join(syms)), source_symbol=_symbol(other, "0"))


def _quadrant(dx_pt: float, dy_pt: float) -> int:
    """QGIS's label quadrant (QgsPalLayerSettings::QuadrantPosition, 0 above left ... 8 below right)."""
    col = 0 if dx_pt < 0 else 2 if dx_pt > 0 else 1
    row = 0 if dy_pt > 0 else 2 if dy_pt < 0 else 1
    return 3 * row + col


def _offset(row: dict[str, Any]) -> str:
    """QGIS's "x,y" label offset in points: the quadrant puts the label beside the point, the offset moves it
    further (QGIS's y grows downwards, the table's label_dy_pt upwards)."""
    return f"{_num(row['label_dx_pt'])},{_num(-row['label_dy_pt'])}"


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# label settings that may differ between the categories of a layer: QGIS data-defined property -> its value
_LABEL_PROPERTIES = {
    "OffsetQuad": lambda r: str(_quadrant(r["label_dx_pt"], r["label_dy_pt"])),
    "OffsetXY": lambda r: _sql_literal(_offset(r)),
    "Color": lambda r: "color_rgb({},{},{})".format(*(int(r["label_colour"][i:i + 2], 16) for i in (1, 3, 5))),
    "Size": lambda r: _num(r["label_size_pt"]),
    "Bold": lambda r: "true" if r["label_bold"] else "false",
}


def _data_defined(rows: list[dict[str, Any]]) -> _Xml:
    """QGIS data-defined label properties (CASE on the category attribute) for the settings that differ
    between the categories of ``rows``; "" when they are all alike."""
    by = rows[0]["by"]
    if not by:
        return _Xml("")
    field = '"' + by.replace('"', '""') + '"'
    other = next(r for r in rows if r["value"] == "")
    props = []
    for name, value in _LABEL_PROPERTIES.items():
        values = [value(r) for r in rows]
        if len(set(values)) == 1:
            continue
        cases = " ".join(f"WHEN {field} = {_sql_literal(r['value'])} THEN {value(r)}"
                         for r in rows if r["value"])
        props.append(_fill(("qml", "dd_property.xml"), name=name, expression=f"CASE {cases} ELSE {value(other)} END"))
    if not props:
        return _Xml("")
    return _fill(("qml", "dd_properties.xml"), properties=_Xml("\n".join(props)))


def _labeling(rows: list[dict[str, Any]], view: dict[str, Any]) -> _Xml:
    """Simple labels from the table's label column; per-category settings as data-defined properties."""
    first = rows[0]
    point = first["geometry"] == "point"
    return _fill(("qml", "labeling.xml"), field=first["label"], font=view["font"],
                 named_style="Bold" if first["label_bold"] else "Regular", weight=75 if first["label_bold"] else 50,
                 size=_num(first["label_size_pt"]), colour=_qgis_colour(first["label_colour"]),
                 halo=_num(view["halo_pt"]), halo_colour=_qgis_colour(view["halo_colour"]), align=3 if point else 1,
                 placement=1 if point else 4,   # OverPoint (offset from the point) | Horizontal (inside polygons)
                 quadrant=_quadrant(first["label_dx_pt"], first["label_dy_pt"]) if point else 4,
                 x_offset=_num(first["label_dx_pt"]) if point else 0,
                 y_offset=_num(-first["label_dy_pt"]) if point else 0,
                 layer_type=_QGIS_GEOMETRY[first["geometry"]][2], dd_properties=_data_defined(rows))


def _body(layer: str, table: StyleTable) -> tuple[_Xml, bool]:
    rows = table.records(layer)
    labels = bool(rows[0]["label"])
    labeling = _labeling(rows, table.view) if labels else _Xml("")
    return _fill(("qml", "body.xml"), renderer=_renderer(rows), labeling=labeling), labels


def layer_qml(layer: str, table: StyleTable) -> str:
    """The QML style document (QGIS 3.22+) of ``layer``: its renderer and labels from the table.

    Parameters
    ----------
    layer : the layer's name
    table : the style table; StyleError if it has no style for ``layer``

    Returns
    -------
    str
        The QML document (XML).
    """
    body, labels = _body(layer, table)
    geometry = table.records(layer)[0]["geometry"]
    return str(_fill(("qml", "document.qml"), labels_enabled=int(labels), body=body,
                     simplify_hints=0 if geometry == "point" else 1, geometry_code=_QGIS_GEOMETRY[geometry][1]))


def layer_styles_frame(layers: dict[str, Any], table: StyleTable, *, timestamp: str) -> pd.DataFrame:
    """Rows of the GeoPackage ``layer_styles`` table (QGIS's own schema): one default style per layer.

    Parameters
    ----------
    layers : the output layers by name (only the names are used)
    table : the style table; StyleError if a layer has no style in it
    timestamp : ``update_time`` of every row, ISO 8601 UTC ("2000-01-01T00:00:00Z"); fixed so that reruns give
        the same bytes

    Returns
    -------
    pandas.DataFrame
        One row per layer, in the order of ``layers``. QGIS loads the row whose ``f_table_name`` and
        ``f_geometry_column`` match the layer, with ``f_table_schema`` = '' and ``useAsDefault`` true, when the
        layer is opened.
    """
    stamp = pd.Timestamp(timestamp)
    rows = [{"f_table_catalog": "", "f_table_schema": "", "f_table_name": name,
             "f_geometry_column": GPKG_GEOMETRY_COLUMN, "styleName": name, "styleQML": layer_qml(name, table),
             "styleSLD": "", "useAsDefault": True, "description": f"Default style for {name}", "owner": "",
             "ui": None, "update_time": stamp} for name in layers]
    frame = pd.DataFrame(rows, columns=["f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                                        "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner",
                                        "ui", "update_time"])
    return frame.astype({"useAsDefault": bool, "ui": object})


# -------------------------------------------------------------------------------------------- project
def _layer_id(name: str) -> str:
    return f"{name}_{hashlib.sha1(name.encode()).hexdigest()[:12]}"


def view_extent(layers: dict[str, Any], table: StyleTable) -> tuple[float, float, float, float]:
    """The first view: the bounds of the table's extent layers (``[view] extent_layers``; every layer when none of
    them is present), padded by ``[view] pad_fraction`` of the larger side.

    Parameters
    ----------
    layers : the output layers by name (EPSG:4326 GeoDataFrames)
    table : the style table

    Returns
    -------
    tuple[float, float, float, float]
        (min lon, min lat, max lon, max lat), degrees (EPSG:4326).
    """
    names = [n for n in table.view["extent_layers"] if n in layers and len(layers[n])]
    if not names:
        names = list(layers)
    b = pd.DataFrame([layers[n].total_bounds for n in names]).to_numpy()
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    pad = table.view["pad_fraction"] * max(x1 - x0, y1 - y0)
    return float(x0 - pad), float(y0 - pad), float(x1 + pad), float(y1 + pad)


def qgis_project(layers: dict[str, Any], table: StyleTable, *, gpkg_name: str, title: str) -> str:
    """A QGIS project (.qgs, QGIS 3.22+) showing every layer of ``gpkg_name`` styled from the table.

    The canvas opens on :func:`view_extent`; the background is the table's sea colour. Each layer's geometry
    type is its catalogue entry's (:data:`pipeline.layers.LAYERS`).

    Parameters
    ----------
    layers : the output layers by name (EPSG:4326 GeoDataFrames, as written to the GeoPackage)
    table : the style table: symbols, labels and the draw order (top of the layer list = drawn last)
    gpkg_name : the GeoPackage's file name, stored relative to the project (``./border.gpkg``)
    title : the project's title

    Returns
    -------
    str
        The project document (XML), in EPSG:4326.
    """
    rel = gpkg_name if gpkg_name.startswith(("./", "../", "/")) else f"./{gpkg_name}"
    srs = _Xml(_resource("project", "srs_wgs84.xml").rstrip("\n"))
    for name in layers:
        table.of(name)                                       # every layer must have a style
    top_first = [n for n in reversed(table.layers) if n in layers]
    tree, order, custom, maps = [], [], [], []
    for name in top_first:
        lid, source = _layer_id(name), f"{rel}|layername={name}"
        geometry = table.records(name)[0]["geometry"]
        body, labels = _body(name, table)
        x0, y0, x1, y1 = (repr(float(v)) for v in layers[name].total_bounds)
        tree.append(_fill(("project", "tree_layer.xml"), id=lid, name=name, source=source,
                          expanded=int(bool(table.records(name)[0]["by"]))))
        custom.append(_fill(("project", "order_item.xml"), id=lid))
        order.append(_fill(("project", "layer_order.xml"), id=lid))
        maps.append(_fill(("project", "map_layer.xml"), geometry=_QGIS_GEOMETRY[geometry][0], wkb_type=LAYERS[name],
                          labels_enabled=int(labels), simplify_hints=0 if geometry == "point" else 1,
                          xmin=x0, ymin=y0, xmax=x1, ymax=y1, id=lid, source=source, name=name, srs=srs, body=body))
    x0, y0, x1, y1 = view_extent(layers, table)
    bg = table.view["background"]
    return str(_fill(("project", "project.qgs"), title=title, srs=srs, tree_layers=_Xml("\n".join(tree)),
                     custom_order=_Xml("\n".join(custom)), map_layers=_Xml("\n".join(maps)),
                     layer_order=_Xml("\n".join(order)), xmin=repr(x0), ymin=repr(y0), xmax=repr(x1), ymax=repr(y1),
                     background_red=int(bg[1:3], 16), background_green=int(bg[3:5], 16),
                     background_blue=int(bg[5:7], 16)))
