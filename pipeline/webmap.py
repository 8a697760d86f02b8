"""The web map: one self-contained ``map.html`` (Leaflet inlined) drawn from the layers with the style table.

:func:`render_webmap` returns the page as a string; :mod:`pipeline.export` writes it. The page needs no network:
Leaflet 1.9.4 (``templates/web``, BSD-2-Clause, see its PROVENANCE.md) and the page's own script and CSS are
inlined, every point is an ``L.circleMarker`` (no marker images), and the CSS's image references are removed.
An online base map is offered in the layer switcher, off by default.

Every colour, width, dash, draw order, label and legend text comes from the style table
(:func:`pipeline.styles.style_table`), the same rows as the QGIS styles and the PNG map; the title, attribution,
checks and legal chain from the config and the report. Nothing names a case. Coordinates are rounded to
:data:`COORD_DECIMALS` decimals (about 1 cm); the same inputs give the same bytes.

The page exposes ``window.borderMap``: ``map`` (the Leaflet map), ``layers`` (per layer name: ``features``, the
number of features, ``drawn``, the SVG paths in its pane, ``labels``, its permanent labels) and ``ready``.
"""
from __future__ import annotations

import html
import json
import math
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping as geojson_mapping

from .config import Config
from .geometry import label_spot
from .model import Check, Report
from .styles import StyleTable, categories, view_extent

COORD_DECIMALS = 7
PX_PER_MM = 96 / 25.4           # CSS pixels (1/96 inch)
PX_PER_PT = 96 / 72
M_PER_DEG = 111_320.0           # about a degree of latitude: turns the PNG's label precision into degrees


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files("pipeline").joinpath("templates", "web", name).read_text(encoding="utf-8")


def _leaflet_js() -> str:
    """leaflet.js without its source-map comment (no request for leaflet.js.map)."""
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", _asset("leaflet.js"))


def _leaflet_css() -> str:
    """leaflet.css without its image references (the PNG icons are not shipped; nothing is requested)."""
    return re.sub(r"url\(images/[^)]*\)", "none", _asset("leaflet.css"))


# ------------------------------------------------------------------------------------------ formatting
def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars as Python ones, NaN and missing values as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def format_value(key: str, value: Any) -> str:
    """An attribute as the popup shows it: lengths in metres (``length_m`` 17293.57... -> "17,293.6 m"), areas,
    angles and coordinates with their units; "—" for a missing value.

    Parameters
    ----------
    key : the column name; its suffix gives the unit (``_m``, ``_m2``, ``_km2``, ``_deg``, ``lon``/``lat``)
    value : the value (str, int, float or None)

    Returns
    -------
    str
    """
    value = _plain(value)
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:d}"
    if key.endswith("_km2"):
        return f"{value:,.3f} km²"
    if key.endswith("_m2"):
        return f"{value:,.0f} m²"
    if key.endswith("_m"):
        return f"{value:,.1f} m" if abs(value) >= 100 else f"{value:,.2f} m"
    if key.endswith("_deg"):
        return f"{value:.2f}°"
    if key in ("lon", "lat") or key.startswith(("lon_", "lat_")):
        return f"{value:.7f}°"
    return f"{value:,.6g}"


def _popup(props: dict[str, Any], title_key: str) -> str:
    """The popup: the feature's name, then every attribute (formatted; ``data-value`` holds the raw value)."""
    title = props.get(title_key)
    rows = "".join(
        f'<tr><th>{html.escape(k)}</th><td data-key="{html.escape(k)}" '
        f'data-value="{html.escape(json.dumps(v, ensure_ascii=False))}">{html.escape(format_value(k, v))}</td></tr>'
        for k, v in props.items())
    head = f"<b>{html.escape(str(title))}</b>" if title is not None else ""
    return f'{head}<table class="bm-attrs">{rows}</table>'


# ----------------------------------------------------------------------------------------------- layers
def _rounded(geom) -> dict:
    """GeoJSON geometry of ``geom`` with coordinates rounded to :data:`COORD_DECIMALS` decimals."""
    return geojson_mapping(shapely.transform(geom, lambda c: np.round(c, COORD_DECIMALS)))


def _px(mm: float) -> float:
    return round(mm * PX_PER_MM, 2)


def _path_style(row: dict) -> dict[str, Any]:
    """Leaflet path options of a style row (polygon, line, or the circle of a point)."""
    stroke = bool(row["stroke"]) and row["width_mm"] > 0
    style: dict[str, Any] = {"stroke": stroke, "color": row["stroke"] or row["fill"] or "#000000",
                             "weight": _px(row["width_mm"]), "opacity": 1.0}
    if row["geometry"] == "line":
        style.update(fill=False, lineCap="butt" if row["dash_mm"] else "round")
        if row["dash_mm"]:
            style["dashArray"] = " ".join(f"{_px(float(v)):g}" for v in row["dash_mm"].split(";"))
        return style
    style.update(fill=bool(row["fill"]), fillColor=row["fill"] or "#000000", fillOpacity=row["fill_opacity"])
    if row["geometry"] == "point":
        style["radius"] = round(_px(row["size_mm"]) / 2, 2)
    return style


def _label_style(row: dict) -> dict[str, Any]:
    dx, dy = row["label_dx_pt"], row["label_dy_pt"]
    return {"on": row["label_on"], "direction": "right" if dx > 0 else "left" if dx < 0 else "center",
            "offset": [round(dx * PX_PER_PT, 1), round(-dy * PX_PER_PT, 1)]}


def _label_css(layer: str, i: int, row: dict) -> str:
    return (f".bm-l-{layer}-{i}{{color:{row['label_colour']};font-size:{row['label_size_pt'] * PX_PER_PT:.1f}px;"
            f"font-weight:{'bold' if row['label_bold'] else 'normal'}}}")


def _swatch(row: dict) -> str:
    """A small legend symbol of a style row, as inline CSS (no image)."""
    if row["geometry"] == "line":
        border = "dashed" if row["dash_mm"] else "solid"
        return (f'<span class="bm-swatch bm-swatch-line" style="border-top:{max(_px(row["width_mm"]), 1):g}px '
                f'{border} {row["stroke"]}"></span>')
    fill = row["fill"] or "transparent"
    edge = row["stroke"] if row["stroke"] and row["width_mm"] > 0 else "transparent"
    shape = " bm-swatch-point" if row["geometry"] == "point" else ""
    return (f'<span class="bm-swatch{shape}" style="background:{fill};opacity:{row["fill_opacity"]:g};'
            f'border:1px solid {edge}"></span>')


def _layer_data(name: str, gdf, table: StyleTable, *, box: tuple[float, float, float, float]
                ) -> tuple[dict[str, Any], list[str]]:
    """One layer for the page: its styles, features (drawing order: the first category on top), control label,
    and the CSS of its labels. A polygon's label is placed as on the PNG's main panel: at the pole of
    inaccessibility of its largest part inside ``box``, the first view (lon/lat)."""
    tolerance_deg = table.map["land_label_tolerance_m"] / M_PER_DEG
    rows = table.records(name)
    parts = categories(gdf, rows)
    css, legend = [], []
    features: list[dict[str, Any]] = []
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    for i, (row, part) in reversed(list(enumerate(parts))):       # the last category first: drawn below
        for idx, geom in zip(part.index, part.geometry):
            if geom is None or geom.is_empty:
                continue
            props = {c: _plain(gdf.at[idx, c]) for c in columns}
            feature = {"type": "Feature", "geometry": _rounded(geom), "properties": props, "style": i,
                       "popup": _popup(props, "name")}
            if row["label"] and props.get(row["label"]) not in (None, ""):
                feature["label"] = str(props[row["label"]])
                spot = label_spot(geom, box, tolerance=tolerance_deg) if row["geometry"] == "polygon" else None
                if spot is not None:
                    feature["label_at"] = [round(spot.y, COORD_DECIMALS), round(spot.x, COORD_DECIMALS)]
            features.append(feature)
    styles = [{"path": _path_style(row), "label": _label_style(row)} for row, _ in parts]
    for i, (row, part) in enumerate(parts):
        if row["label"]:
            css.append(_label_css(name, i, row))
        if len(part):
            text = row["legend"] or row["value"] or name
            legend.append(f'<span class="bm-entry">{_swatch(row)}{html.escape(text)}</span>')
    control = f'<span class="bm-layer" data-layer="{html.escape(name)}" title="{html.escape(name)}">' + \
        "".join(legend or [html.escape(name)]) + "</span>"
    first = rows[0]
    return ({"name": name, "geometry": first["geometry"], "order": int(first["order"]), "styles": styles,
             "features": features, "control": control}, css)


# ------------------------------------------------------------------------------------------------ panel
def _check_row(c: Check) -> str:
    if c.kind == "within":
        value = f"{c.value:,.3f} {c.unit}"
        limit = f"{c.target:,.3f} ± {c.tolerance:,.3f} {c.unit}"
    else:
        value = f"{c.value:,.4f} {c.unit}"
        limit = f"≤ {c.tolerance:,.4f} {c.unit}"
    status = "PASS" if c.passed else "FAIL"
    return (f'<tr class="bm-{status.lower()}" title="{html.escape(c.detail)}"><td>{html.escape(c.name)}</td>'
            f"<td>{html.escape(value)}</td><td>{html.escape(limit)}</td><td>{status}</td></tr>")


def _panel(cfg: Config, report: Report) -> str:
    title = cfg.case.map_title or cfg.case.name
    passed = all(c.passed for c in report.checks)
    notes = "".join(f"<p class=\"bm-note\">{html.escape(n)}</p>" for n in report.notes)
    return (f'<h1>{html.escape(title)}</h1>'
            f'<p class="bm-chain">{html.escape(report.legal_chain)}</p>'
            f'<p class="bm-source">{html.escape(report.legal_source)}</p>{notes}'
            f'<h2>Checks: {"all pass" if passed else "FAILED"}</h2>'
            '<table class="bm-checks"><thead><tr><th>check</th><th>value</th><th>target / limit</th><th></th>'
            f'</tr></thead><tbody>{"".join(_check_row(c) for c in report.checks)}</tbody></table>'
            '<h2>Layers</h2><div id="bm-layers"></div>'
            f'<p class="bm-attribution">{html.escape(cfg.case.attribution)}</p>'
            '<p class="bm-attribution">Map drawn with Leaflet 1.9.4 (BSD 2-Clause licence, © Volodymyr Agafonkin, '
            'CloudMade), inlined in this file.</p>')


def _json_for_script(data: Any) -> str:
    """JSON to put inside a ``<script type="application/json">``: no ``<`` that could end the element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def render_webmap(layers: dict[str, Any], *, table: StyleTable, cfg: Config, report: Report) -> str:
    """``map.html``: every layer on a Leaflet map, with popups, labels, a layer switcher, a scale and the checks.

    Parameters
    ----------
    layers : the output layers by name (EPSG:4326 GeoDataFrames, :func:`pipeline.layers.build_layers`)
    table : the style table (:func:`pipeline.styles.style_table`); StyleError if a layer has no style in it
    cfg : the run's config: the title, the attribution
    report : the run's report: the checks, the legal chain, the notes

    Returns
    -------
    str
        A complete HTML document that works opened from disk with no network: Leaflet, the page's script and
        style, and the data are inlined; nothing is requested unless the reader switches on the online base map.
        The same arguments give the same string.
    """
    web, view = table.web, table.view
    x0, y0, x1, y1 = view_extent(layers, table)
    drawn, css = [], []
    for name in [n for n in table.layers if n in layers] + [n for n in layers if n not in table.layers]:
        data, label_css = _layer_data(name, layers[name], table, box=(x0, y0, x1, y1))
        drawn.append(data)
        css += label_css
    data = {"layers": drawn, "bounds": [[y0, x0], [y1, x1]], "max_zoom": web["max_zoom"],
            "detail_zoom_steps": web["detail_zoom_steps"], "attribution": html.escape(cfg.case.attribution),
            "offline_base_map": web["offline_base_map"],
            "online": {"name": web["online_base_map"], "url": web["online_tiles"],
                       "attribution": html.escape(web["online_attribution"])}}
    font = view["font"].replace('"', "")
    halo, hc = view["halo_pt"] * PX_PER_PT, view["halo_colour"]
    page_css = (_asset("webmap.css")
                .replace("$background", view["background"]).replace("$font", font)
                .replace("$panel_width", f"{int(web['panel_width_px'])}px")
                .replace("$halo", ",".join(f"{dx:g}px {dy:g}px 0 {hc}" for dx, dy in
                                           ((halo, 0), (-halo, 0), (0, halo), (0, -halo),
                                            (halo, halo), (-halo, -halo), (halo, -halo), (-halo, halo)))))
    title = cfg.case.map_title or cfg.case.name
    return ("<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n"
            f"<style>\n{_leaflet_css()}</style>\n"
            f"<style>\n{page_css}{chr(10).join(css)}\n</style>\n"
            "</head>\n<body>\n"
            f'<main id="bm-map" aria-label="{html.escape(title)}"></main>\n'
            f'<aside id="bm-panel">{_panel(cfg, report)}</aside>\n'
            f"<script>\n{_leaflet_js()}</script>\n"
            f'<script id="bm-data" type="application/json">{_json_for_script(data)}</script>\n'
            f"<script>\n{_asset('webmap.js')}</script>\n"
            "</body>\n</html>\n")
