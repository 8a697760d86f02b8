"""The PNG map, drawn from the layers with the style table (:func:`pipeline.styles.style_table`).

:func:`render_map` projects the EPSG:4326 layers to a transverse Mercator centred on the first view (conformal,
metres, scale factor 1 at the centre) and draws them with geopandas on an Agg figure (object-oriented matplotlib,
no pyplot state): a main panel with the whole border, an inset on the tripoint area and one on the mouth, a legend,
scale bars (matplotlib-scalebar), a north arrow turned by the grid convergence (pyproj's meridian convergence)
and a degree graticule. Every colour, width, dash, symbol, draw order, label and legend text comes from the style
table, and the layout from its ``[map]`` section; nothing names a case. The PNG has no date or software metadata,
so the same layers give the same bytes.
"""
from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import Bbox
from matplotlib_scalebar.scalebar import ScaleBar
from PIL import Image
from pyproj import CRS, Proj, Transformer

from .config import Config
from .geometry import label_spot
from .layers import inset_layer
from .model import Report
from .styles import MM_PER_PT, StyleTable, categories, view_extent

_MARKER = {"circle": "o", "square": "s", "diamond": "D", "triangle": "^", "star": "*", "cross": "X"}
_LABEL_Z = 1000.0           # labels and decorations above every layer
_DECO_Z = 1100.0


def _pt(mm: float) -> float:
    return mm / MM_PER_PT


def _dashes(row: dict) -> Any:
    """The row's dash pattern for matplotlib, in points (lines.scale_dashes is off), or "solid"."""
    if not row["dash_mm"]:
        return "solid"
    return (0, tuple(_pt(float(v)) for v in row["dash_mm"].split(";")))


# ------------------------------------------------------------------------------------------ projection
def local_tmerc(extent_lonlat: tuple[float, float, float, float]) -> CRS:
    """Transverse Mercator on WGS 84, scale factor 1, centred on the middle of ``extent_lonlat``.

    Parameters
    ----------
    extent_lonlat : (min lon, min lat, max lon, max lat), degrees (EPSG:4326)

    Returns
    -------
    pyproj.CRS
        The projection, in metres.
    """
    x0, y0, x1, y1 = extent_lonlat
    return CRS.from_dict({"proj": "tmerc", "lat_0": (y0 + y1) / 2, "lon_0": (x0 + x1) / 2, "k": 1,
                          "ellps": "WGS84", "units": "m", "no_defs": True})


def true_north_deg(proj: Proj, lon: float, lat: float) -> float:
    """Direction of true north at (lon, lat), degrees clockwise from grid north (up) in ``proj``.

    PROJ's meridian convergence is the bearing of grid north clockwise from true north, so true north lies
    at minus the convergence from grid north.

    Parameters
    ----------
    proj : the map's projection
    lon, lat : the point, degrees (EPSG:4326)

    Returns
    -------
    float
        Degrees, clockwise positive.
    """
    return -float(proj.get_factors(lon, lat).meridian_convergence)


# ----------------------------------------------------------------------------------------------- layers
@dataclass(frozen=True)
class _Drawn:
    """A projected layer split by category: (style row, features) for every category with features."""

    name: str
    geometry: str
    parts: list[tuple[dict, gpd.GeoDataFrame]]


def _plot_layer(ax, layer: _Drawn) -> None:
    """Draw one layer on ``ax`` with its style rows (geopandas plotting); parts outside the panel are skipped."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for i, (row, part) in enumerate(layer.parts):
        bx0, by0, bx1, by1 = part.total_bounds
        if bx0 > x1 or bx1 < x0 or by0 > y1 or by1 < y0:
            continue
        z = 1.0 + row["order"] + 0.01 * (len(layer.parts) - i)     # the first category on top
        common = {"ax": ax, "zorder": z, "aspect": None, "autolim": False, "add_labels": False}
        geoms = part.geometry
        if row["geometry"] == "polygon":
            face = to_rgba(row["fill"], row["fill_opacity"]) if row["fill"] else "none"
            edge = row["stroke"] if row["stroke"] and row["width_mm"] > 0 else "none"
            geoms.plot(facecolor=face, edgecolor=edge, linewidth=_pt(row["width_mm"]), **common)
        elif row["geometry"] == "line":
            geoms.plot(color=row["stroke"], linewidth=_pt(row["width_mm"]), linestyle=_dashes(row),
                       capstyle="butt" if row["dash_mm"] else "round", **common)
        else:
            geoms.plot(marker=_MARKER[row["marker"] or "circle"], markersize=_pt(row["size_mm"]) ** 2,
                       color=row["fill"] or "none", edgecolor=row["stroke"] or "none",
                       linewidth=_pt(row["width_mm"]), **common)


# ------------------------------------------------------------------------------------------------ frames
def _fit(ax, box: tuple[float, float, float, float], pad_fraction: float) -> None:
    """Limits covering ``box`` (padded) with the axes' own width/height ratio: equal scale in x and y."""
    fig = ax.figure
    pos = ax.get_position()
    ratio = (pos.height * fig.get_figheight()) / (pos.width * fig.get_figwidth())
    x0, y0, x1, y1 = box
    w, h = (x1 - x0) * (1 + 2 * pad_fraction), (y1 - y0) * (1 + 2 * pad_fraction)
    w, h = max(w, h / ratio), max(h, w * ratio)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal", adjustable="datalim")
    ax.apply_aspect()


def _window(points: np.ndarray, *, min_half_m: float) -> tuple[float, float, float, float]:
    """The bounds of ``points`` (n x 2, metres), widened to at least 2 * min_half_m around their centre."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    c = (lo + hi) / 2
    half = np.maximum((hi - lo) / 2, min_half_m)
    return float(c[0] - half[0]), float(c[1] - half[1]), float(c[0] + half[0]), float(c[1] + half[1])


def _xy(gdf: gpd.GeoDataFrame | None) -> np.ndarray:
    if gdf is None or gdf.empty:
        return np.empty((0, 2))
    return shapely.get_coordinates(gdf.geometry.values)


def _tripoint_window(g: dict[str, gpd.GeoDataFrame], m: dict) -> tuple[float, float, float, float]:
    """The tripoint inset: every feature of the catalogue's ``tripoint`` inset layer (the first is A) and the
    features of its ``tripoint_near`` layer (the monuments) within tripoint_reach_m of A."""
    pts = _xy(g[inset_layer("tripoint")])
    a = pts[0]
    mons = _xy(g.get(inset_layer("tripoint_near")))
    near = mons[np.hypot(*(mons - a).T) <= m["tripoint_reach_m"]] if len(mons) else mons
    return _window(np.vstack([pts, near]), min_half_m=m["inset_min_half_m"])


def _mouth_window(g: dict[str, gpd.GeoDataFrame], m: dict) -> tuple[float, float, float, float]:
    """The mouth inset: the catalogue's ``mouth`` inset layer (the closing line) and the features of its
    ``mouth_near`` layer (the boundary points) within mouth_reach_m of it."""
    line = shapely.union_all(g[inset_layer("mouth")].geometry.values)
    pts = g[inset_layer("mouth_near")]
    near = pts[pts.geometry.distance(line).to_numpy() <= m["mouth_reach_m"]]
    return _window(np.vstack([shapely.get_coordinates(line), _xy(near)]), min_half_m=m["inset_min_half_m"])


# ------------------------------------------------------------------------------------------------ labels
@dataclass
class _Label:
    x: float                  # anchor, data coordinates
    y: float
    text: str
    row: dict                 # style row (font, colour, offset)
    key: tuple                # (layer, category value): labels of one category at one spot are merged


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def _shown_on(row: dict, panel: str) -> bool:
    return bool(row["label"]) and row["label_on"] in ("all", panel)


def _panel_labels(ax, drawn: list[_Drawn], panel: str, *, tolerance_m: float) -> list[_Label]:
    """Labels of the features visible on ``ax`` (``panel``: "main" | "insets"), top layer first.

    A polygon's label goes to the pole of inaccessibility (``tolerance_m``) of its largest part in view.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    out: list[_Label] = []
    for layer in reversed(drawn):
        for row, part in layer.parts:
            if not _shown_on(row, panel) or row["label"] not in part.columns:
                continue
            for text, geom in zip(part[row["label"]], part.geometry):
                text = _text(text)
                if not text or geom is None or geom.is_empty:
                    continue
                if row["geometry"] == "polygon":
                    spot = label_spot(geom, (x0, y0, x1, y1), tolerance=tolerance_m)
                    if spot is None:
                        continue
                else:
                    spot = shapely.get_parts(geom)[0].centroid if geom.geom_type != "Point" else geom
                    if not (x0 <= spot.x <= x1 and y0 <= spot.y <= y1):
                        continue
                out.append(_Label(spot.x, spot.y, text, row, (layer.name, row["value"])))
    return out


def _merge(ax, labels: list[_Label], merge_px: float) -> list[_Label]:
    """One label per spot: within ``merge_px`` a repeated text is dropped and texts of one category are joined."""
    kept: list[_Label] = []
    disp = ax.transData.transform
    for lab in labels:
        p = disp((lab.x, lab.y))
        for k in kept:
            if math.dist(p, disp((k.x, k.y))) > merge_px:
                continue
            if lab.text in k.text.split(" / "):
                break
            if k.key == lab.key:
                k.text = f"{k.text} / {lab.text}"
                break
        else:
            kept.append(_Label(lab.x, lab.y, lab.text, lab.row, lab.key))
    return kept


def _overlaps(bb: Bbox, boxes: list[Bbox], pad: float) -> bool:
    return any(bb.x0 - pad < b.x1 and b.x0 < bb.x1 + pad and bb.y0 - pad < b.y1 and b.y0 < bb.y1 + pad for b in boxes)


def _place_labels(ax, labels: list[_Label], renderer, *, blocked: list[Bbox], halo: list, pad_px: float) -> None:
    """Put each label at its table offset, or at the first mirrored offset that overlaps no other label, no
    marker and no decoration and stays inside the panel. When none does, a point's label stays at the table
    offset and a polygon's label (a state's name: the legend names its fill too) is left out.

    Hand-written because the rule is this simple: fixed offsets per kind from the style table, tried in four
    mirror images; a force-directed placer (adjustText) is slower and moves labels away from their table offsets.
    """
    frame = ax.get_window_extent(renderer)
    placed: list[Bbox] = []
    for lab in labels:
        dx, dy = lab.row["label_dx_pt"], lab.row["label_dy_pt"]
        tries = list(dict.fromkeys([(dx, dy), (-dx, dy), (dx, -dy), (-dx, -dy)]))
        best, fits = None, False
        ax_, ay_ = ax.transData.transform((lab.x, lab.y))
        others = placed + [b for b in blocked if not b.contains(ax_, ay_)]     # not the label's own marker
        for ox, oy in tries:
            t = ax.annotate(lab.text, (lab.x, lab.y), xytext=(ox, oy), textcoords="offset points",
                            ha="left" if ox > 0 else "right" if ox < 0 else "center",
                            va="bottom" if oy > 0 else "top" if oy < 0 else "center",
                            fontsize=lab.row["label_size_pt"], fontweight="bold" if lab.row["label_bold"] else "normal",
                            color=lab.row["label_colour"], path_effects=halo, zorder=_LABEL_Z,
                            annotation_clip=False)
            bb = t.get_window_extent(renderer)
            inside = (bb.x0 >= frame.x0 + pad_px and bb.x1 <= frame.x1 - pad_px and bb.y0 >= frame.y0 + pad_px
                      and bb.y1 <= frame.y1 - pad_px)
            if inside and not _overlaps(bb, others, pad_px):
                if best is not None:
                    best[0].remove()
                best, fits = (t, bb), True
                break
            if best is None:
                best = (t, bb)      # the table's offset, kept if no other fits
            else:
                t.remove()
        if not fits and lab.row["geometry"] == "polygon":
            best[0].remove()
            continue
        placed.append(best[1])


def _marker_boxes(ax, drawn: list[_Drawn]) -> list[Bbox]:
    """Display boxes of every point marker on ``ax``."""
    boxes = []
    px_per_pt = ax.figure.dpi / 72.0
    for layer in drawn:
        if layer.geometry != "point":
            continue
        for row, part in layer.parts:
            half = _pt(row["size_mm"]) * px_per_pt / 2
            for x, y in ax.transData.transform(_xy(part)):
                boxes.append(Bbox.from_extents(x - half, y - half, x + half, y + half))
    return boxes


# ------------------------------------------------------------------------------------------ decorations
def _graticule(ax, inv: Transformer, fwd: Transformer, m: dict, size_pt: float) -> None:
    """Meridians and parallels at a round step, ticked and labelled where they meet the bottom and left edges."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    n = 200
    bx, by = np.linspace(x0, x1, n), np.full(n, y0)
    lx, ly = np.full(n, x0), np.linspace(y0, y1, n)
    blon, _ = inv.transform(bx, by)
    _, llat = inv.transform(lx, ly)
    clon, clat = inv.transform(np.array([x0, x1, x1, x0]), np.array([y0, y0, y1, y1]))
    span = max(clon.max() - clon.min(), clat.max() - clat.min())
    step = next((s for s in m["graticule_steps_deg"] if span / s <= m["graticule_max_lines"]),
                m["graticule_steps_deg"][-1])
    decimals = len(f"{step:g}".partition(".")[2])

    def ticks(lo: float, hi: float) -> np.ndarray:
        return np.arange(math.ceil(lo / step), math.floor(hi / step) + 1) * step

    style = {"color": m["graticule_colour"], "linewidth": m["graticule_width_pt"], "zorder": 0.5}
    dense = np.linspace(0, 1, 50)
    xt, xl = [], []
    for lon in ticks(clon.min(), clon.max()):
        px, py = fwd.transform(np.full(50, lon), clat.min() + dense * (clat.max() - clat.min()))
        ax.plot(px, py, **style)
        if blon.min() <= lon <= blon.max():
            xt.append(float(np.interp(lon, blon, bx)))
            xl.append(f"{abs(lon):.{decimals}f}°{'E' if lon >= 0 else 'W'}")
    yt, yl = [], []
    for lat in ticks(clat.min(), clat.max()):
        px, py = fwd.transform(clon.min() + dense * (clon.max() - clon.min()), np.full(50, lat))
        ax.plot(px, py, **style)
        if llat.min() <= lat <= llat.max():
            yt.append(float(np.interp(lat, llat, ly)))
            yl.append(f"{abs(lat):.{decimals}f}°{'N' if lat >= 0 else 'S'}")
    ax.set_xticks(xt, xl, fontsize=size_pt)
    ax.set_yticks(yt, yl, fontsize=size_pt, rotation=90, va="center")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def _north_arrow(ax, proj: Proj, inv: Transformer, m: dict, renderer) -> tuple[float, list[Bbox]]:
    """Arrow to true north at ``north_arrow_xy`` of the panel; returns (convergence there, its boxes)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    fx, fy = m["north_arrow_xy"]
    bx, by = x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)
    north = true_north_deg(proj, *inv.transform(bx, by))
    length = m["north_arrow_length_fraction"] * (y1 - y0)
    tip = (bx + length * math.sin(math.radians(north)), by + length * math.cos(math.radians(north)))
    arrow = ax.annotate("", xy=tip, xytext=(bx, by), zorder=_DECO_Z, annotation_clip=False,
                        arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.4",
                                    "color": m["decoration_colour"], "lw": m["arrow_width_pt"], "shrinkA": 0,
                                    "shrinkB": 0})
    text = ax.annotate(m["north_arrow_text"], tip, xytext=(0, m["arrow_width_pt"]), textcoords="offset points",
                       ha="center", va="bottom", fontsize=m["title_size_pt"], fontweight="bold",
                       color=m["decoration_colour"], zorder=_DECO_Z)
    return -north, [arrow.get_window_extent(renderer), text.get_window_extent(renderer)]


def _scale_bar(ax, m: dict, renderer) -> Bbox:
    """A scale bar (1 data unit = 1 m: the projection's scale factor is 1 within a few ppm on the map);
    returns the box labels keep out of (a corner of the panel, ``scalebar_keepout``)."""
    ax.add_artist(ScaleBar(1.0, "m", location=m["scalebar_location"], length_fraction=m["scalebar_length_fraction"],
                           box_alpha=m["scalebar_box_alpha"], font_properties={"size": m["text_size_pt"]}))
    fx0, fy0, fx1, fy1 = m["scalebar_keepout"]
    return Bbox.from_extents(*ax.transAxes.transform((fx0, fy0)), *ax.transAxes.transform((fx1, fy1)))


def _legend(ax, drawn: list[_Drawn], m: dict) -> None:
    """Every drawn category with a legend text, top layer first; one entry per text."""
    handles, texts = [], []
    for layer in reversed(drawn):
        for row, _ in layer.parts:
            if not row["legend"] or row["legend"] in texts:
                continue
            if row["geometry"] == "polygon":
                h = Patch(facecolor=to_rgba(row["fill"], row["fill_opacity"]) if row["fill"] else "none",
                          edgecolor=row["stroke"] if row["stroke"] and row["width_mm"] > 0 else "none",
                          linewidth=_pt(row["width_mm"]))
            elif row["geometry"] == "line":
                h = Line2D([], [], color=row["stroke"], linewidth=_pt(row["width_mm"]), linestyle=_dashes(row))
            else:
                h = Line2D([], [], linestyle="none", marker=_MARKER[row["marker"] or "circle"],
                           markersize=_pt(row["size_mm"]), markerfacecolor=row["fill"] or "none",
                           markeredgecolor=row["stroke"] or "none", markeredgewidth=_pt(row["width_mm"]))
            handles.append(h)
            texts.append(row["legend"])
    ax.set_axis_off()
    ax.legend(handles, texts, loc="upper left", ncol=m["legend_columns"], fontsize=m["legend_size_pt"],
              frameon=False, borderaxespad=0.0, handlelength=m["legend_handle_length"],
              columnspacing=m["legend_column_spacing"], labelspacing=m["legend_label_spacing"],
              mode="expand", bbox_to_anchor=(0, 0, 1, 1))


def _panel_title(ax, text: str, m: dict) -> Bbox:
    return ax.text(0.012, 0.985, text, transform=ax.transAxes, ha="left", va="top", fontsize=m["panel_title_size_pt"],
                   fontweight="bold", zorder=_DECO_Z,
                   bbox={"boxstyle": "square,pad=0.3", "facecolor": m["paper_colour"], "edgecolor": m["panel_edge"],
                         "linewidth": m["graticule_width_pt"]})


def _hemisphere(lon: float, lat: float) -> str:
    return f"{abs(lat):.4f}°{'N' if lat >= 0 else 'S'} {abs(lon):.4f}°{'E' if lon >= 0 else 'W'}"


# ------------------------------------------------------------------------------------------------ steps
@dataclass(frozen=True)
class _Projected:
    """The layers in the map's projection: ``extent`` the first view (lon/lat degrees), ``crs`` the transverse
    Mercator centred on it, ``fwd``/``inv`` lon/lat <-> metres, ``g`` every non-empty layer projected, ``drawn``
    those with a style, split by category, in the table's draw order (bottom first)."""

    extent: tuple[float, float, float, float]
    crs: CRS
    proj: Proj
    fwd: Transformer
    inv: Transformer
    g: dict[str, gpd.GeoDataFrame]
    drawn: list[_Drawn]


def _require(layers: dict[str, gpd.GeoDataFrame], table: StyleTable) -> None:
    """ValueError naming the required layers missing or empty; StyleError for a layer without a style."""
    missing = [k for k in table.map["required_layers"] if k not in layers or layers[k] is None or layers[k].empty]
    if missing:
        raise ValueError(f"render_map: required layer(s) missing or empty: {', '.join(missing)}")
    for name in layers:
        table.of(name)


def _project(layers: dict[str, gpd.GeoDataFrame], table: StyleTable) -> _Projected:
    extent = view_extent(layers, table)
    crs = local_tmerc(extent)
    g = {name: gdf.to_crs(crs) for name, gdf in layers.items() if gdf is not None and not gdf.empty}
    drawn = []
    for name in table.layers:
        if name in g:
            parts = [(row, part) for row, part in categories(g[name], table.records(name)) if not part.empty]
            drawn.append(_Drawn(name, parts[0][0]["geometry"], parts))
    return _Projected(extent, crs, Proj(crs), Transformer.from_crs(4326, crs, always_xy=True),
                      Transformer.from_crs(crs, 4326, always_xy=True), g, drawn)


def _rc(view: dict, m: dict) -> dict[str, Any]:
    return {"font.family": view["font"], "font.size": m["text_size_pt"], "lines.scale_dashes": False,
            "axes.linewidth": 0.8, "xtick.labelsize": m["text_size_pt"], "ytick.labelsize": m["text_size_pt"],
            "text.parse_math": False}   # labels and titles are the user's text: a "$" is a dollar sign, not TeX


def _panels(fig: Figure, p: _Projected, m: dict, background: str) -> tuple[Any, list]:
    """The main panel (the first view) and the two insets (tripoint, mouth), framed, with every layer drawn."""
    main = fig.add_axes(m["main"])
    insets = [fig.add_axes(m["tripoint_inset"]), fig.add_axes(m["mouth_inset"])]
    x0, y0, x1, y1 = p.extent
    corners = np.array(p.fwd.transform([x0, x1, x1, x0], [y0, y0, y1, y1])).T
    _fit(main, (*corners.min(axis=0), *corners.max(axis=0)), 0.0)
    _fit(insets[0], _tripoint_window(p.g, m), m["inset_pad_fraction"])
    _fit(insets[1], _mouth_window(p.g, m), m["inset_pad_fraction"])
    for ax in (main, *insets):
        ax.set_facecolor(background)
        for spine in ax.spines.values():
            spine.set_edgecolor(m["panel_edge"])
            spine.set_zorder(_DECO_Z)
        for layer in p.drawn:
            _plot_layer(ax, layer)
    return main, insets


def _inset_frames(main, insets: list, m: dict, halo: list) -> list:
    """Each inset's extent outlined on the main panel with its number; the insets lose their ticks. Returns the
    numbers' texts (labels keep out of them)."""
    boxes = []
    for ax, number in zip(insets, m["inset_frame_labels"]):
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        main.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=m["decoration_colour"],
                                 linewidth=m["frame_width_pt"], zorder=_DECO_Z))
        boxes.append(main.annotate(
            number, (x0, y1), xytext=(-m["frame_width_pt"], m["frame_width_pt"]), textcoords="offset points",
            ha="right", va="bottom", fontsize=m["panel_title_size_pt"], fontweight="bold",
            color=m["decoration_colour"], zorder=_DECO_Z, path_effects=halo))
        ax.set_xticks([])
        ax.set_yticks([])
    return boxes


def _label(panels: list[tuple[Any, str, list]], drawn: list[_Drawn], m: dict, renderer, halo: list) -> None:
    """Label every panel ((axes, "main" | "insets", boxes or artists labels keep out of)), after its scale bar."""
    for ax, panel, extra in panels:
        blocked = [_scale_bar(ax, m, renderer), *_marker_boxes(ax, drawn),
                   *[b if isinstance(b, Bbox) else b.get_window_extent(renderer) for b in extra]]
        labels = _merge(ax, _panel_labels(ax, drawn, panel, tolerance_m=m["land_label_tolerance_m"]),
                        m["label_merge_px"])
        _place_labels(ax, labels, renderer, blocked=blocked, halo=halo, pad_px=m["label_pad_px"])


def _texts(fig: Figure, main, p: _Projected, m: dict, cfg: Config, passed: bool, gamma: float) -> None:
    """The title (and the failed stamp), the projection note with its worst scale error, the attribution."""
    tx, ty = m["title_xy"]
    fig.text(tx, ty, cfg.case.map_title or cfg.case.name, ha="left", va="top", fontsize=m["title_size_pt"],
             fontweight="bold")
    if not passed:
        fig.text(1 - tx, ty, m["failed_stamp"], ha="right", va="top", fontsize=m["title_size_pt"],
                 fontweight="bold", color=m["failed_colour"])
    (x0, x1), (y0, y1) = main.get_xlim(), main.get_ylim()
    lons, lats = p.inv.transform(np.array([x0, x1, x1, x0, (x0 + x1) / 2]), np.array([y0, y0, y1, y1, (y0 + y1) / 2]))
    ppm = max(abs(p.proj.get_factors(lo, la).meridional_scale - 1.0) for lo, la in zip(lons, lats)) * 1e6
    lon0, lat0 = p.inv.transform(0.0, 0.0)
    note = m["projection_note"].format(centre=_hemisphere(lon0, lat0), gamma=gamma, ppm=ppm)
    nx, ny = m["notes_xy"]
    fig.text(nx, ny, "\n".join([note, *textwrap.wrap(cfg.case.attribution, m["notes_wrap_chars"])]),
             ha="left", va="top", fontsize=m["text_size_pt"], color=m["decoration_colour"], linespacing=1.4)


def _png(canvas: FigureCanvasAgg, compress_level: int, dpi: int) -> bytes:
    """The drawn canvas as PNG bytes: RGB (the figure is opaque: a quarter less to compress than RGBA), with no
    date or software text (Pillow writes none unless asked)."""
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG", compress_level=compress_level, dpi=(dpi, dpi))
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------ public
def render_map(layers: dict[str, gpd.GeoDataFrame], *, table: StyleTable, cfg: Config, report: Report) -> bytes:
    """The map as PNG bytes.

    Parameters
    ----------
    layers : the output layers (EPSG:4326 lon/lat GeoDataFrames) by name, as :func:`pipeline.layers.build_layers`
        makes them; the layers in ``table.map["required_layers"]`` must be present and non-empty (ValueError
        naming the missing ones), every layer must have a style in ``table`` (StyleError)
    table : the style table (colours, symbols, draw order, labels, legend; the layout in ``table.map``)
    cfg : the run's config: title (``case.map_title`` or ``case.name``), attribution, size
        (``output.map_width_px`` x ``map_height_px`` pixels at ``map_dpi``)
    report : the run's report; a failed run's map carries the ``failed_stamp``

    Returns
    -------
    bytes
        The PNG. The same inputs give the same bytes (no date or software metadata in the PNG).
    """
    m, view, out = table.map, table.view, cfg.output
    _require(layers, table)
    p = _project(layers, table)
    with matplotlib.rc_context(_rc(view, m)):
        # a Figure without a canvas first: geopandas asks the canvas to redraw after every plot call, which the
        # base canvas ignores; the Agg canvas is attached once everything is plotted
        fig = Figure(figsize=(out.map_width_px / out.map_dpi, out.map_height_px / out.map_dpi), dpi=out.map_dpi,
                     facecolor=m["paper_colour"])
        main, insets = _panels(fig, p, m, view["background"])
        canvas = FigureCanvasAgg(fig)
        # matplotlib's stroke is centred on the glyph outline, QGIS's buffer lies outside it: twice as wide
        halo = [patheffects.withStroke(linewidth=2 * view["halo_pt"], foreground=view["halo_colour"])]
        renderer = canvas.get_renderer()
        _graticule(main, p.inv, p.fwd, m, m["text_size_pt"])
        main.apply_aspect()
        frame_boxes = _inset_frames(main, insets, m, halo)
        gamma, arrow_boxes = _north_arrow(main, p.proj, p.inv, m, renderer)
        first = m["start_inset_title"] if report.tripoint.rule == "start_point" else m["tripoint_inset_title"]
        titles = [_panel_title(insets[0], first, m), _panel_title(insets[1], m["mouth_inset_title"], m)]
        _label([(main, "main", arrow_boxes + frame_boxes), (insets[0], "insets", [titles[0]]),
                (insets[1], "insets", [titles[1]])], p.drawn, m, renderer, halo)
        _legend(fig.add_axes(m["legend"]), p.drawn, m)
        _texts(fig, main, p, m, cfg, report.passed, gamma)
        canvas.draw()
    return _png(canvas, m["png_compress_level"], out.map_dpi)
