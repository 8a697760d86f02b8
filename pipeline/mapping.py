"""Static PNG map of the Russia–DPRK border on the lower Tumen River.

:func:`render_map` draws the layers (EPSG:4326 GeoDataFrames) in a transverse Mercator centred on the
data (conformal, scale factor within a few ppm of 1 over the map), with a main panel showing the whole
border (river, land boundary, maritime boundary, 12-nm limits), an inset on the tripoint area with the
bank monuments, an inset on the mouth, a legend, scale bars, a north arrow turned by the computed grid
convergence, degree ticks and the attribution text.

Only the object-oriented matplotlib API with an explicit Agg canvas is used (no pyplot, no global
backend switch), under a fixed ``rc_context``; the PNG carries no "Software" or date metadata, so two
renders of the same layers give identical bytes.
"""
from __future__ import annotations

import math
import os
import textwrap
from pathlib import Path

import geopandas as gpd
import matplotlib
import matplotlib.transforms
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Patch, Rectangle
from matplotlib.path import Path as MplPath
from pyproj import CRS, Proj, Transformer

# ---------------------------------------------------------------------------------------------
# Figure geometry (pixels at DPI) and style
# ---------------------------------------------------------------------------------------------

DPI = 150
FIG_W_PX, FIG_H_PX = 2000, 1600
REQUIRED = ("land_boundary", "maritime_boundary")

SEA = "#e3eef7"
RED = "#e31a1c"
WATER_FILL, WATER_EDGE = "#a6cee3", "#1f78b4"
COAST_COLOURS = {"RUS": "#7a5230", "PRK": "#3f5866", "CHN": "#6b6b6b"}
COAST_DEFAULT = "#555555"
TS_STYLES = {"RUS": ("#006400", (0, (5, 3))), "PRK": ("#23783c", (0, (6, 2, 1, 2)))}
TS_DEFAULT = ("#006400", (0, (5, 3)))
POINT_STYLES = {  # boundary_points kind -> (marker, face colour, size)
    "mouth (computed)": ("o", "#ff7f00", 7),
    "mouth point B (treaty)": ("D", "#984ea3", 7),
    "sea end (computed)": ("s", "#1f78b4", 7),
}
POINT_DEFAULT = ("X", "#5a5a5a", 7)
COUNTRY_NAMES = {"RUS": "RUSSIA", "PRK": "DPRK\n(NORTH KOREA)", "CHN": "CHINA"}

HALO = [patheffects.withStroke(linewidth=3.0, foreground="white")]
RC = {
    "font.family": "DejaVu Sans", "font.size": 9, "axes.linewidth": 0.8, "path.simplify": False,
    "svg.hashsalt": "tumen", "savefig.facecolor": "white", "savefig.edgecolor": "white",
}

_Z = {"river": 1, "graticule": 1.5, "coast": 2, "ts": 3, "closing": 4, "thalweg": 4.5, "osm": 5,
      "maritime": 6, "land": 7, "frame": 8, "points": 9, "labels": 10, "deco": 11}


# ---------------------------------------------------------------------------------------------
# Geometry helpers
# ---------------------------------------------------------------------------------------------

def _present(layers: dict, key: str) -> gpd.GeoDataFrame | None:
    g = layers.get(key)
    if g is None or len(g) == 0:
        return None
    g = g[g.geometry.notna() & ~g.geometry.is_empty]
    return g if len(g) else None


def local_tmerc(layers: dict[str, gpd.GeoDataFrame]) -> CRS:
    """Transverse Mercator (k=1, WGS 84) centred on the midpoint of the layers' lon/lat bounds."""
    bounds = np.array([_to4326(g).total_bounds for k in sorted(layers)
                       if (g := _present(layers, k)) is not None])
    lon0 = round(float((bounds[:, 0].min() + bounds[:, 2].max()) / 2), 4)
    lat0 = round(float((bounds[:, 1].min() + bounds[:, 3].max()) / 2), 4)
    return CRS.from_proj4(f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +ellps=WGS84 +units=m +no_defs")


def _tmerc_centre(crs: CRS) -> tuple[float, float]:
    p = {k: v for k, v in (t.lstrip("+").split("=", 1) for t in crs.srs.split() if "=" in t)}
    return float(p["lon_0"]), float(p["lat_0"])


def _to4326(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if g.crs is None:
        return g.set_crs(4326)
    return g if g.crs.to_epsg() == 4326 else g.to_crs(4326)


def _line_arrays(geom) -> list[np.ndarray]:
    out = []
    for part in shapely.get_parts(geom):
        if part.is_empty:
            continue
        if part.geom_type == "LineString" or part.geom_type == "LinearRing":
            out.append(np.asarray(part.coords)[:, :2])
        elif part.geom_type == "Polygon":
            out.append(np.asarray(part.exterior.coords)[:, :2])
            out.extend(np.asarray(r.coords)[:, :2] for r in part.interiors)
        elif part.geom_type in ("MultiLineString", "MultiPolygon", "GeometryCollection"):
            out.extend(_line_arrays(part))
    return out


def _all_lines(g: gpd.GeoDataFrame | None) -> list[np.ndarray]:
    return [] if g is None else [a for geom in g.geometry for a in _line_arrays(geom)]


def _polygon_path(geom) -> MplPath | None:
    verts, codes = [], []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:, :2]
            verts.append(xy)
            c = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            codes.append(c)
    return MplPath(np.concatenate(verts), np.concatenate(codes)) if verts else None


def _points(g: gpd.GeoDataFrame | None) -> list[tuple[float, float, dict]]:
    """(x, y, attributes) for every point of the layer (multi-points split), in row order."""
    if g is None:
        return []
    out = []
    cols = [c for c in g.columns if c != g.geometry.name]
    for row, geom in zip(g[cols].to_dict("records"), g.geometry):
        for p in shapely.get_parts(geom):
            if p.geom_type == "Point" and not p.is_empty:
                out.append((float(p.x), float(p.y), row))
    return out


def _str(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _nice(x: float, steps=(1, 2, 2.5, 5)) -> float:
    """Largest 'round' number (steps × 10^n) not above x."""
    e = math.floor(math.log10(x))
    best = 10.0 ** e
    for s in steps:
        if s * 10.0 ** e <= x:
            best = s * 10.0 ** e
    return best


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------

class _Ctx:
    """Projected layers, shared by the panels."""

    def __init__(self, layers: dict[str, gpd.GeoDataFrame]):
        missing = [k for k in REQUIRED if _present(layers, k) is None]
        if missing:
            raise ValueError(f"render_map: required layer(s) missing or empty: {', '.join(missing)}")
        self.crs = local_tmerc(layers)
        self.lon0, self.lat0 = _tmerc_centre(self.crs)
        self._proj = Proj(self.crs)
        self.fwd = Transformer.from_crs(4326, self.crs, always_xy=True)
        self.inv = Transformer.from_crs(self.crs, 4326, always_xy=True)
        self.g: dict[str, gpd.GeoDataFrame | None] = {}
        for k in ("river", "coast", "land_boundary", "thalweg", "closing_line", "maritime_boundary",
                  "territorial_sea_limits", "tripoint", "monuments", "boundary_points", "osm_reference_border"):
            g = _present(layers, k)
            self.g[k] = None if g is None else _to4326(g).to_crs(self.crs)
        self.land = shapely.line_merge(shapely.union_all(self.g["land_boundary"].geometry.values))
        self.sea = shapely.line_merge(shapely.union_all(self.g["maritime_boundary"].geometry.values))
        tp = _points(self.g["tripoint"])
        self.tripoint = tp[0] if tp else None
        self.bpoints = _points(self.g["boundary_points"])
        self.monuments = _points(self.g["monuments"])

    def point_scale(self, x: float, y: float) -> float:
        lon, lat = self.inv.transform(x, y)
        return float(self._proj.get_factors(lon, lat).meridional_scale)

    def extent(self) -> tuple[float, float, float, float]:
        keys = ["river", "land_boundary", "maritime_boundary", "territorial_sea_limits", "closing_line",
                "thalweg", "tripoint", "boundary_points"]
        b = np.array([self.g[k].total_bounds for k in keys if self.g[k] is not None])
        return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())

    def land_ends(self) -> tuple[np.ndarray, np.ndarray]:
        """(upstream end, downstream end) of the land boundary."""
        arrs = _line_arrays(self.land)
        pts = np.concatenate([arrs[0][:1], arrs[-1][-1:]])
        sea = self.sea
        d = [shapely.Point(p).distance(sea) for p in pts]
        if self.tripoint is not None:
            t = np.array(self.tripoint[:2])
            up = int(np.argmin(np.hypot(*(pts - t).T)))
        else:
            up = int(np.argmax(d))
        return pts[up], pts[1 - up]

    def sea_end(self) -> np.ndarray:
        arrs = _line_arrays(self.sea)
        pts = np.concatenate([arrs[0][:1], arrs[-1][-1:]])
        d = [shapely.Point(p).distance(self.land) for p in pts]
        return pts[int(np.argmax(d))]


def _fit(ax, x0: float, y0: float, x1: float, y1: float, pad: float = 0.05) -> None:
    """Set limits covering the box (plus pad) with the axes' own aspect ratio: equal scale in x and y."""
    fig = ax.figure
    pos = ax.get_position()
    ratio = (pos.height * fig.get_figheight()) / (pos.width * fig.get_figwidth())
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = max(x1 - x0, 1.0) * (1 + 2 * pad), max(y1 - y0, 1.0) * (1 + 2 * pad)
    if h / w > ratio:
        w = h / ratio
    else:
        h = w * ratio
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal", adjustable="datalim")


def _draw_layers(ax, c: _Ctx, scale: float = 1.0, main: bool = True) -> None:
    g = c.g
    lw = scale
    if g["river"] is not None:
        for geom in g["river"].geometry:
            p = _polygon_path(geom)
            if p is not None:
                ax.add_patch(PathPatch(p, facecolor=WATER_FILL, edgecolor=WATER_EDGE, linewidth=0.6 * lw,
                                       zorder=_Z["river"]))
    if g["coast"] is not None:
        side = g["coast"]["side"] if "side" in g["coast"].columns else [""] * len(g["coast"])
        for s in sorted({_str(v) for v in side}):
            sub = g["coast"][[(_str(v) == s) for v in side]]
            ax.add_collection(LineCollection(_all_lines(sub), colors=COAST_COLOURS.get(s, COAST_DEFAULT),
                                             linewidths=1.1 * lw, zorder=_Z["coast"], capstyle="round"))
    if g["territorial_sea_limits"] is not None:
        ts = g["territorial_sea_limits"]
        side = ts["side"] if "side" in ts.columns else [""] * len(ts)
        for s in sorted({_str(v) for v in side}):
            col, dash = TS_STYLES.get(s, TS_DEFAULT)
            sub = ts[[(_str(v) == s) for v in side]]
            ax.add_collection(LineCollection(_all_lines(sub), colors=col, linewidths=1.3 * lw,
                                             linestyles=[dash], zorder=_Z["ts"]))
    if g["closing_line"] is not None:
        ax.add_collection(LineCollection(_all_lines(g["closing_line"]), colors="black", linewidths=0.9 * lw,
                                         linestyles=[(0, (2, 1.5))], zorder=_Z["closing"]))
    if g["thalweg"] is not None:
        ax.add_collection(LineCollection(_all_lines(g["thalweg"]), colors="#08306b", linewidths=0.9 * lw,
                                         linestyles=[(0, (4, 2))], zorder=_Z["thalweg"]))
    if g["osm_reference_border"] is not None:
        ax.add_collection(LineCollection(_all_lines(g["osm_reference_border"]), colors="#ff8c00",
                                         linewidths=1.2 * lw, linestyles=[(0, (1, 1.5))], zorder=_Z["osm"]))
    ax.add_collection(LineCollection(_all_lines(g["maritime_boundary"]), colors=RED, linewidths=2.0 * lw,
                                     linestyles=[(0, (6, 2.5))], zorder=_Z["maritime"]))
    ax.add_collection(LineCollection(_all_lines(g["land_boundary"]), colors=RED, linewidths=2.2 * lw,
                                     zorder=_Z["land"], capstyle="round", joinstyle="round"))
    # points
    for x, y, _ in c.monuments:
        ax.plot([x], [y], marker="^", ms=6 if main else 8, mfc="black", mec="white", mew=0.6, ls="none",
                zorder=_Z["points"])
    for x, y, row in c.bpoints:
        m, col, ms = POINT_STYLES.get(_str(row.get("kind")), POINT_DEFAULT)
        ax.plot([x], [y], marker=m, ms=ms, mfc=col, mec="black", mew=0.6, ls="none", zorder=_Z["points"] + 0.1)
    if c.tripoint is not None:
        x, y, _ = c.tripoint
        ax.plot([x], [y], marker="*", ms=15 if main else 18, mfc="red", mec="black", mew=0.7, ls="none",
                zorder=_Z["points"] + 0.2)


def _seg_hits_box(p, q, b) -> bool:
    """Whether the segment p-q meets the box b = (x0, y0, x1, y1) (Liang–Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for d, lo, hi, s in ((dx, b[0], b[2], p[0]), (dy, b[1], b[3], p[1])):
        if abs(d) < 1e-12:
            if s < lo or s > hi:
                return False
            continue
        a, c = (lo - s) / d, (hi - s) / d
        if a > c:
            a, c = c, a
        t0, t1 = max(t0, a), min(t1, c)
        if t0 > t1:
            return False
    return True


def _box_dist(b, x: float, y: float) -> float:
    return math.hypot(max(b[0] - x, 0.0, x - b[2]), max(b[1] - y, 0.0, y - b[3]))


def _overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


class _Labeller:
    """Deterministic label placement. Labels are queued with :meth:`add` and placed together by :meth:`flush`.
    Each label's text extent is measured once with the renderer; candidate boxes (8 directions × growing distances
    from the point) are then computed arithmetically. A candidate must lie inside the axes (a few px clear of the
    frame) and overlap no other label, marker or decoration, and its leader line (drawn for far labels) must cross
    no other label or marker; among those the cheapest wins (distance + weighted length of map lines under the
    box). Labels are placed greedily, in the order (of all orders, for up to 5 labels) that gives the best result."""

    DIRS = [(1, 1, "left", "bottom"), (1, -1, "left", "top"), (-1, 1, "right", "bottom"), (-1, -1, "right", "top"),
            (1, 0, "left", "center"), (-1, 0, "right", "center"), (0, 1, "center", "bottom"),
            (0, -1, "center", "top")]
    RADII = (8, 14, 22, 32, 44, 58, 75, 95)   # points
    LEADER_PT = 14                           # leader line from this distance on
    MARGIN = 4.0                             # px kept free inside the axes frame
    KEEP = 48                                # candidates kept per label for the joint search

    def __init__(self, ax, renderer):
        self.ax, self.r = ax, renderer
        self.boxes = []
        self.lines: list[tuple[float, object]] = []   # (weight, shapely geometry in display px)
        self.queue: list[tuple] = []
        self.barrier = None   # line (display px) a label should stay on its point's side of
        self.anchors: list[tuple[float, float]] = []   # marker centres (display px)

    def set_barrier(self, arrays: list[np.ndarray]) -> None:
        geoms = [shapely.LineString(self.ax.transData.transform(a)) for a in arrays if len(a) >= 2]
        self.barrier = shapely.MultiLineString(geoms) if geoms else None

    def block_points(self, xy: list[tuple[float, float]], r_px: float = 6) -> None:
        from matplotlib.transforms import Bbox
        for x, y in xy:
            px, py = self.ax.transData.transform((x, y))
            self.boxes.append(Bbox.from_extents(px - r_px, py - r_px, px + r_px, py + r_px))
            self.anchors.append((float(px), float(py)))

    def block_artists(self) -> None:
        """Block every text and rectangle (title box, scale bar, inset frames) already on the axes."""
        self.boxes.extend(t.get_window_extent(self.r) for t in self.ax.texts if t.get_text().strip())
        self.boxes.extend(p.get_window_extent(self.r) for p in self.ax.patches if isinstance(p, Rectangle))

    def add_lines(self, arrays: list[np.ndarray], weight: float) -> None:
        """Map lines (data coords) that labels should preferably not cover."""
        geoms = [shapely.LineString(self.ax.transData.transform(a)) for a in arrays if len(a) >= 2]
        if geoms:
            self.lines.append((weight, shapely.MultiLineString(geoms)))

    def add(self, x: float, y: float, text: str, **kw) -> None:
        px, py = self.ax.transData.transform((x, y))
        if self.ax.get_window_extent(self.r).contains(px, py):
            self.queue.append((x, y, text, kw))

    def place(self, x: float, y: float, text: str, **kw) -> None:
        self.add(x, y, text, **kw)
        self.flush()

    def _candidates(self, x, y, text, kw) -> list[tuple]:
        out = self._candidates1(x, y, text, kw, 0.0)
        if "\n" not in text and len(text) > 24 and " (" in text:   # also try it on two lines
            i = text.index(" (")
            out += self._candidates1(x, y, text[:i] + "\n" + text[i + 1:], kw, 4.0)
        out.sort(key=lambda c: (c[0] > 0, c[0], c[1]))
        return out[: self.KEEP]

    def _candidates1(self, x, y, text, kw, extra: float) -> list[tuple]:
        ax = self.ax
        axbox = ax.get_window_extent(self.r)
        px, py = (float(v) for v in ax.transData.transform((x, y)))
        style = dict(fontsize=9, zorder=_Z["labels"], path_effects=HALO)
        style.update(kw)
        probe = ax.text(x, y, text, ha="left", va="bottom", **style)
        tb = probe.get_window_extent(self.r)
        probe.remove()
        w, h = tb.width + 4, tb.height + 4            # + halo
        k = ax.figure.dpi / 72.0
        inner = (axbox.x0 + self.MARGIN, axbox.y0 + self.MARGIN, axbox.x1 - self.MARGIN, axbox.y1 - self.MARGIN)
        static = [b.extents for b in self.boxes]
        pt = shapely.Point(px, py)
        off_barrier = self.barrier is not None and self.barrier.distance(pt) > 6.0
        out = []
        for rad in self.RADII:
            for di, (ux, uy, ha, va) in enumerate(self.DIRS):
                f = 0.75 if ux and uy else 1.0
                dx, dy = ux * rad * f, uy * rad * f
                x0 = px + dx * k - {"left": 2, "center": w / 2, "right": w - 2}[ha]
                y0 = py + dy * k - {"bottom": 2, "center": h / 2, "top": h - 2}[va]
                bb = (x0, y0, x0 + w, y0 + h)
                pen = 1e3 * (max(0.0, inner[0] - bb[0]) + max(0.0, bb[2] - inner[2])
                             + max(0.0, inner[1] - bb[1]) + max(0.0, bb[3] - inner[3]))
                pen += sum(_overlap(bb, o) for o in static)
                seg = None
                if rad >= self.LEADER_PT:
                    q = (min(max(px, bb[0]), bb[2]), min(max(py, bb[1]), bb[3]))
                    seg = ((px, py), q)
                    pen += sum(100.0 for o in static if not (o[0] <= px <= o[2] and o[1] <= py <= o[3])
                               and _seg_hits_box(seg[0], q, o))
                b = shapely.box(*bb)
                cost = rad + 0.25 * sum(wt * shapely.intersection(b, g).length for wt, g in self.lines) + 0.5 * di
                cost += extra
                d_own = _box_dist(bb, px, py)
                if any(_box_dist(bb, ox, oy) < 1.5 * d_own + 10.0 for ox, oy in self.anchors
                       if math.hypot(ox - px, oy - py) > 3.0):
                    cost += 30.0   # another marker is nearer the label than its own: ambiguous
                if off_barrier and shapely.LineString([(px, py), ((bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2)]
                                                      ).intersects(self.barrier):
                    cost += 40.0   # label across the boundary from its point
                out.append((pen, cost, bb, seg, (dx, dy, ha, va), dict(style, text=text)))
        return out

    @staticmethod
    def _greedy(cands: list[list[tuple]], order) -> tuple[tuple, dict]:
        placed: dict[int, tuple] = {}
        bad = pen_sum = cost_sum = 0.0
        for i in order:
            best, best_key = None, None
            for cand in cands[i]:
                pen, cost, bb, seg = cand[:4]
                for other in placed.values():
                    pen += _overlap(bb, other[2])
                    if seg is not None and _seg_hits_box(seg[0], seg[1], other[2]):
                        pen += 100.0
                    if other[3] is not None and _seg_hits_box(other[3][0], other[3][1], bb):
                        pen += 100.0
                key = (pen > 0, pen, cost)
                if best_key is None or key < best_key:
                    best, best_key = cand, key
            placed[i] = best
            bad += best_key[0]
            pen_sum += best_key[1]
            cost_sum += best_key[2]
        return (bad, pen_sum, cost_sum), placed

    def flush(self) -> None:
        import itertools
        from matplotlib.transforms import Bbox
        if not self.queue:
            return
        cands = [self._candidates(*q) for q in self.queue]
        n = len(cands)
        orders = itertools.permutations(range(n)) if n <= 5 else [tuple(range(n))]
        best = min((self._greedy(cands, o) + (o,) for o in orders), key=lambda r: (r[0], r[2]))
        placed = best[1]
        for i, (x, y, _, _) in enumerate(self.queue):
            _, _, bb, seg, (dx, dy, ha, va), style = placed[i]
            style = dict(style)
            text = style.pop("text")
            arrow = None
            if seg is not None:
                (qx, qy) = seg[1]
                relpos = (min(1.0, max(0.0, (qx - bb[0] - 2) / max(bb[2] - bb[0] - 4, 1.0))),
                          min(1.0, max(0.0, (qy - bb[1] - 2) / max(bb[3] - bb[1] - 4, 1.0))))
                arrow = dict(arrowstyle="-", color="#444444", lw=0.7, shrinkA=0, shrinkB=3, relpos=relpos,
                             patchA=None)
            self.ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                             annotation_clip=True, arrowprops=arrow, **style)
            self.boxes.append(Bbox.from_extents(*bb))
        self.queue = []


def _scale_bar(ax, frac: float = 0.22, loc: tuple[float, float] = (0.04, 0.045)) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w = x1 - x0
    length = _nice(w * frac)
    n = 4 if _nice(length / 4, steps=(1, 2, 2.5, 5)) == length / 4 else 2
    bx, by = x0 + loc[0] * w, y0 + loc[1] * (y1 - y0)
    hgt = (y1 - y0) * 0.010
    km = length >= 1000
    unit, div = ("km", 1000.0) if km else ("m", 1.0)
    fmt = (lambda v: f"{v / div:g}")
    pad = w * 0.012
    ax.add_patch(Rectangle((bx - pad, by - hgt * 1.2), length + 2 * pad + w * 0.045, hgt * 5.2,
                           facecolor="white", edgecolor="#999999", linewidth=0.5, alpha=0.85, zorder=_Z["deco"]))
    for i in range(n):
        ax.add_patch(Rectangle((bx + i * length / n, by), length / n, hgt,
                               facecolor="black" if i % 2 == 0 else "white", edgecolor="black",
                               linewidth=0.6, zorder=_Z["deco"] + 0.1))
    for i in (0, n // 2, n):
        ax.text(bx + i * length / n, by + hgt * 1.6, fmt(i * length / n) + (f" {unit}" if i == n else ""),
                ha="left" if i == n else "center", va="bottom", fontsize=8, zorder=_Z["deco"] + 0.2,
                transform=ax.transData + (_shift(ax, -2.5) if i == n else matplotlib.transforms.IdentityTransform()))


def _shift(ax, dx_pt: float):
    """A display-space shift by ``dx_pt`` points (to centre '20 km' on its tick by the number)."""
    return matplotlib.transforms.ScaledTranslation(dx_pt / 72, 0, ax.figure.dpi_scale_trans)


def _convergence(c: "_Ctx", x: float, y: float) -> float:
    """Grid convergence (degrees, true north clockwise from grid up) at projected (x, y)."""
    lon, lat = c.inv.transform(x, y)
    nx, ny = c.fwd.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(nx - x, ny - y))


def _north_arrow(ax, c: _Ctx, loc: tuple[float, float] = (0.93, 0.86)) -> float:
    """Arrow to true north at axes fraction ``loc``; returns the grid convergence there (degrees)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bx, by = x0 + loc[0] * (x1 - x0), y0 + loc[1] * (y1 - y0)
    gamma = _convergence(c, bx, by)
    L = 0.07 * (y1 - y0)
    tx, ty = bx + L * math.sin(math.radians(gamma)), by + L * math.cos(math.radians(gamma))
    ax.annotate("", xy=(tx, ty), xytext=(bx, by), zorder=_Z["deco"],
                arrowprops=dict(arrowstyle="-|>,head_length=0.9,head_width=0.45", color="black", lw=2.0,
                                shrinkA=0, shrinkB=0))
    ax.text(tx, ty + 0.012 * (y1 - y0), "N", ha="center", va="bottom", fontsize=13, fontweight="bold",
            zorder=_Z["deco"], path_effects=HALO)
    ax.text(bx, by - 0.012 * (y1 - y0), f"true north\n(grid conv. {gamma:+.2f}°)", ha="center", va="top",
            fontsize=7, zorder=_Z["deco"], path_effects=HALO)
    return gamma


def _graticule(ax, c: _Ctx) -> None:
    """Meridians/parallels at round degree steps, projected; ticks where they cross the bottom/left edges."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    cx, cy = np.array([x0, x1, x1, x0]), np.array([y0, y0, y1, y1])
    lons, lats = c.inv.transform(cx, cy)
    lo0, lo1, la0, la1 = min(lons) - 0.05, max(lons) + 0.05, min(lats) - 0.05, max(lats) + 0.05
    step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0)
                if (max(lons) - min(lons)) / s <= 6)
    dec = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if step in (0.25, 0.025) else 0)
    xt, xl, yt, yl = [], [], [], []
    dense = np.linspace(0, 1, 200)
    for lon in np.arange(math.floor(lo0 / step) * step, lo1 + step, step):
        lon = round(lon, 6)
        px, py = c.fwd.transform(np.full_like(dense, lon), la0 + dense * (la1 - la0))
        ax.plot(px, py, color="#7f8c99", lw=0.4, alpha=0.6, zorder=_Z["graticule"])
        if py[0] <= y0 <= py[-1]:
            xb = float(np.interp(y0, py, px))
            if x0 <= xb <= x1:
                xt.append(xb)
                xl.append(f"{abs(lon):.{dec}f}°{'E' if lon >= 0 else 'W'}")
    for lat in np.arange(math.floor(la0 / step) * step, la1 + step, step):
        lat = round(lat, 6)
        px, py = c.fwd.transform(lo0 + dense * (lo1 - lo0), np.full_like(dense, lat))
        ax.plot(px, py, color="#7f8c99", lw=0.4, alpha=0.6, zorder=_Z["graticule"])
        if px[0] <= x0 <= px[-1]:
            yb = float(np.interp(x0, px, py))
            if y0 <= yb <= y1:
                yt.append(yb)
                yl.append(f"{abs(lat):.{dec}f}°{'N' if lat >= 0 else 'S'}")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xticks(xt, xl, fontsize=8)
    ax.set_yticks(yt, yl, fontsize=8, rotation=90, va="center")
    ax.tick_params(length=3, pad=2)


def _side_of_line(line, xy: np.ndarray) -> np.ndarray:
    """Signed perpendicular offset of points from ``line`` (+ = left of its direction), via the nearest station."""
    out = np.empty(len(xy))
    for i, (x, y) in enumerate(xy):
        pt = shapely.Point(x, y)
        st = line.project(pt)
        a, b = line.interpolate(max(0.0, st - 25.0)), line.interpolate(min(line.length, st + 25.0))
        out[i] = ((b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x)) / max(math.hypot(b.x - a.x, b.y - a.y), 1e-9)
    return out


def _country_labels(ax, c: _Ctx, lab: _Labeller) -> None:
    """RUSSIA / DPRK either side of the land boundary. Each country's side is where its coast lies, on average,
    relative to the boundary line (coasts that share the border edge contribute ~0); with both coasts present
    the country with the more-left coast gets the left side and the other the right."""
    coast = c.g["coast"]
    if coast is None or "side" not in coast.columns:
        return
    line = shapely.line_merge(c.land)
    if line.geom_type != "LineString" or line.length == 0:
        return
    up, _ = c.land_ends()
    if np.hypot(*(np.asarray(line.coords[0]) - up)) > np.hypot(*(np.asarray(line.coords[-1]) - up)):
        line = line.reverse()
    x0, x1 = ax.get_xlim()
    off = 0.16 * (x1 - x0)
    s = 0.35 * line.length
    mid = line.interpolate(s)
    score = {}
    for side in sorted({_str(v) for v in coast["side"]} & {"RUS", "PRK"}):
        geom = shapely.union_all(coast[[_str(v) == side for v in coast["side"]]].geometry.values)
        xy = shapely.get_coordinates(shapely.segmentize(geom, 100.0))
        d = np.hypot(xy[:, 0] - mid.x, xy[:, 1] - mid.y)
        xy = xy[d <= max(2.0 * off, float(d.min()) + 1000.0)]
        if len(xy) > 400:
            xy = xy[:: len(xy) // 400 + 1]
        score[side] = float(np.mean(np.clip(_side_of_line(line, xy), -2000.0, 2000.0)))
    if len(score) == 2:
        left = max(score, key=lambda k: (score[k], k))
        signs = {left: 1.0, (set(score) - {left}).pop(): -1.0}
    else:
        signs = {k: math.copysign(1.0, v) for k, v in score.items() if abs(v) > 1.0}
    # candidate spots: stations along the boundary × distances off it; the label (shifted to lie fully inside
    # the axes, 8 px clear of the frame) should cover as little of the river and the lines as possible
    g = c.g
    lines = [(8.0, _all_lines(g["land_boundary"])), (3.0, _all_lines(g["maritime_boundary"])),
             (1.5, _all_lines(g["river"])),
             (1.0, _all_lines(g["coast"]) + _all_lines(g["territorial_sea_limits"])
              + _all_lines(g["osm_reference_border"]))]
    disp = [(w, shapely.MultiLineString([ax.transData.transform(a) for a in arrs if len(a) >= 2]))
            for w, arrs in lines if arrs]
    for side, sign in sorted(signs.items()):
        name = COUNTRY_NAMES[side]
        variants = [(name, 12.0)]
        if " " in name:   # narrower fall-backs: one word a line, then smaller
            variants += [(name.replace(" ", "\n"), 12.0), (name.replace(" ", "\n"), 10.5)]
        t = ax.text(mid.x, mid.y, name, ha="center", va="center", fontsize=12, color="#555555",
                    fontstyle="italic", fontweight="bold", alpha=0.8, zorder=_Z["labels"] - 0.5, path_effects=HALO)
        best, best_key = None, None
        for vi, (vtext, vsize) in enumerate(variants):
            t.set_text(vtext)
            t.set_fontsize(vsize)
            tb = t.get_window_extent(lab.r)
            bb_key = _country_spot(ax, line, sign, x1 - x0, tb.width + 6, tb.height + 6, lab, disp, 25.0 * vi)
            if best_key is None or bb_key[0] < best_key:
                best_key, best = bb_key[0], (vtext, vsize, bb_key[1])
        vtext, vsize, best = best
        t.set_text(vtext)
        t.set_fontsize(vsize)
        t.set_position(tuple(ax.transData.inverted().transform(((best[0] + best[2]) / 2, (best[1] + best[3]) / 2))))
        lab.boxes.append(t.get_window_extent(lab.r))


def _country_spot(ax, line, sign: float, width: float, w: float, h: float, lab: "_Labeller", disp, extra: float):
    """Best (key, box) for a w × h px country label on the ``sign`` side of ``line``."""
    axbox, m = ax.get_window_extent(lab.r), 8.0
    best, best_key = None, None
    for si, frac in enumerate((0.35, 0.3, 0.4, 0.25, 0.45, 0.5, 0.2, 0.55, 0.6)):
        mp = line.interpolate(frac * line.length)
        p, q = line.interpolate(frac * line.length - 50), line.interpolate(frac * line.length + 50)
        tx, ty = q.x - p.x, q.y - p.y
        n = math.hypot(tx, ty) or 1.0
        vx, vy = -ty / n, tx / n
        for oi, f in enumerate((0.16, 0.13, 0.19, 0.10, 0.22, 0.26)):
            px, py = ax.transData.transform((mp.x + sign * f * width * vx, mp.y + sign * f * width * vy))
            bx0, by0 = px - w / 2, py - h / 2
            bx0 += max(0.0, axbox.x0 + m - bx0) - max(0.0, bx0 + w - (axbox.x1 - m))
            by0 += max(0.0, axbox.y0 + m - by0) - max(0.0, by0 + h - (axbox.y1 - m))
            bb = (bx0, by0, bx0 + w, by0 + h)
            box = shapely.box(*bb)
            hit = sum(_overlap(bb, o.extents) for o in lab.boxes)
            cover = sum(wt * shapely.intersection(box, gm).length for wt, gm in disp)
            key = (hit > 0, hit, cover + 2.0 * si + 2.0 * oi + extra)
            if best_key is None or key < best_key:
                best, best_key = bb, key
    return best_key, best


def _base_name(name: str) -> str:
    """Monument name without a trailing ``[datum]`` tag."""
    name = name.strip()
    if name.endswith("]") and " [" in name:
        name = name[: name.rindex(" [")].strip()
    return name


def _datum_tag(datum: str) -> str:
    """'WGS 84' or '<datum> → WGS 84' (short datum name, parenthetical dropped)."""
    d = datum.split("(")[0].strip() or datum.strip()
    return "WGS 84" if d.replace("-", " ").upper() in ("WGS 84", "WGS84", "") else f"{d} → WGS 84"


MERGE_M = 20.0   # monuments closer than this get one label


def _monument_labels(c: _Ctx) -> list[tuple[float, float, str]]:
    """One (x, y, text) per group of monuments within MERGE_M of each other (single-link, in row order)."""
    from pyproj import Geod
    mons = c.monuments
    groups: list[list[int]] = []
    for i, (x, y, _) in enumerate(mons):
        near = [g for g in groups if any(math.hypot(x - mons[j][0], y - mons[j][1]) <= MERGE_M for j in g)]
        merged = [i] + [j for g in near for j in g]
        groups = [g for g in groups if g not in near] + [sorted(merged)]
    groups.sort(key=lambda g: g[0])
    geod = Geod(ellps="WGS84")
    out = []
    for g in groups:
        rows = [mons[j] for j in g]
        x, y = float(np.mean([r[0] for r in rows])), float(np.mean([r[1] for r in rows]))
        if len(g) == 1:
            out.append((x, y, _str(rows[0][2].get("name")) or "monument"))
            continue
        names = []
        for r in rows:
            n = _base_name(_str(r[2].get("name"))) or "monument"
            if n not in names:
                names.append(n)
        tags = []
        for r in rows:
            t = _datum_tag(_str(r[2].get("datum")))
            if t not in tags:
                tags.append(t)
        ll = [c.inv.transform(r[0], r[1]) for r in rows]
        dmax = max(geod.inv(a[0], a[1], b[0], b[1])[2] for i_, a in enumerate(ll) for b in ll[i_ + 1:])
        sep = "apart" if len(rows) == 2 else "apart at most"
        detail = f"({'; '.join(tags)}, {dmax:.1f} m {sep})" if len(tags) == len(rows) else \
            f"({len(rows)} records, {dmax:.1f} m {sep})"
        out.append((x, y, " / ".join(names) + "\n" + detail))
    return out


def _point_labels(ax, c: _Ctx, lab: _Labeller, monuments: bool, star_px: float = 11.0) -> None:
    g = c.g
    lab.add_lines(_all_lines(g["land_boundary"]) + _all_lines(g["maritime_boundary"]), 3.0)
    lab.add_lines(_all_lines(g["coast"]) + _all_lines(g["territorial_sea_limits"])
                  + _all_lines(g["osm_reference_border"]) + _all_lines(g["closing_line"]), 1.0)
    lab.add_lines(_all_lines(g["river"]) + _all_lines(g["thalweg"]), 0.4)
    lab.set_barrier(_all_lines(g["land_boundary"]))
    lab.block_points([(x, y) for x, y, _ in c.monuments + c.bpoints], 7)
    if c.tripoint is not None:
        lab.block_points([c.tripoint[:2]], star_px)
        x, y, row = c.tripoint
        lab.add(x, y, _str(row.get("name")) or "Tripoint", fontsize=10, fontweight="bold")
    kinds = {_str(r.get("kind")) for *_, r in c.bpoints}
    if monuments:
        for x, y, text in _monument_labels(c):
            lab.add(x, y, text, fontsize=8.5)
    # boundary points closer than ~14 px on this panel share one label
    disp = [ax.transData.transform((x, y)) for x, y, _ in c.bpoints]
    groups: list[list[int]] = []
    for i, p in enumerate(disp):
        for gr in groups:
            if any(np.hypot(*(p - disp[j])) < 14.0 for j in gr):
                gr.append(i)
                break
        else:
            groups.append([i])
    for gr in groups:
        texts = []
        for j in gr:
            row = c.bpoints[j][2]
            name, kind = _str(row.get("name")), _str(row.get("kind"))
            text = name or kind
            if name and kind and name.lower() not in kind.lower() and len(name) <= 12:
                text = f"{name}\n({kind})"
            texts.append(text)
        x = float(np.mean([c.bpoints[j][0] for j in gr]))
        y = float(np.mean([c.bpoints[j][1] for j in gr]))
        lab.add(x, y, "\n".join(texts), fontsize=8.5)
    if "sea end (computed)" not in kinds and not any("sea end" in k for k in kinds):
        x, y = c.sea_end()
        lab.block_points([(x, y)], 5)
        lab.add(x, y, "Sea end", fontsize=8.5)
    lab.flush()


def _inset_window(centre: np.ndarray, others: list[np.ndarray], half: float, reach: float):
    pts = [centre] + [p for p in others if np.hypot(*(p - centre)) <= reach]
    a = np.array(pts)
    lo = np.minimum(a.min(axis=0), centre - half)
    hi = np.maximum(a.max(axis=0), centre + half)
    return lo[0], lo[1], hi[0], hi[1]


def _legend_handles(c: _Ctx) -> list[tuple[object, str]]:
    g = c.g
    h: list[tuple[object, str]] = []
    if g["river"] is not None:
        h.append((Patch(facecolor=WATER_FILL, edgecolor=WATER_EDGE, linewidth=0.6), "River water area"))
    h.append((Line2D([], [], color=RED, lw=2.2), "Land boundary (river)"))
    h.append((Line2D([], [], color=RED, lw=2.0, ls=(0, (6, 2.5))), "Maritime boundary"))
    if g["territorial_sea_limits"] is not None:
        ts = g["territorial_sea_limits"]
        sides = sorted({_str(v) for v in ts["side"]}) if "side" in ts.columns else [""]
        for s in sides:
            col, dash = TS_STYLES.get(s, TS_DEFAULT)
            h.append((Line2D([], [], color=col, lw=1.3, ls=dash), f"12-nm limit{f' ({s})' if s else ''}"))
    if g["thalweg"] is not None:
        h.append((Line2D([], [], color="#08306b", lw=0.9, ls=(0, (4, 2))), "Thalweg"))
    if g["closing_line"] is not None:
        h.append((Line2D([], [], color="black", lw=0.9, ls=(0, (2, 1.5))), "Mouth closing line"))
    if g["osm_reference_border"] is not None:
        h.append((Line2D([], [], color="#ff8c00", lw=1.2, ls=(0, (1, 1.5))), "OSM reference border"))
    if g["coast"] is not None:
        sides = sorted({_str(v) for v in g["coast"]["side"]}) if "side" in g["coast"].columns else [""]
        for s in sides:
            h.append((Line2D([], [], color=COAST_COLOURS.get(s, COAST_DEFAULT), lw=1.1),
                      f"Coastline{f' ({s})' if s else ''}"))
    if c.tripoint is not None:
        h.append((Line2D([], [], marker="*", ms=13, mfc="red", mec="black", mew=0.7, ls="none"), "Tripoint"))
    if c.monuments:
        h.append((Line2D([], [], marker="^", ms=7, mfc="black", mec="white", mew=0.6, ls="none"),
                  "Boundary monument"))
    seen = []
    for *_, row in c.bpoints:
        k = _str(row.get("kind"))
        if k not in seen:
            seen.append(k)
    for k in sorted(seen, key=lambda k: (list(POINT_STYLES).index(k) if k in POINT_STYLES else 99, k)):
        m, col, ms = POINT_STYLES.get(k, POINT_DEFAULT)
        h.append((Line2D([], [], marker=m, ms=ms, mfc=col, mec="black", mew=0.6, ls="none"),
                  k[:1].upper() + k[1:] if k else "Boundary point"))
    h.append((Patch(facecolor=SEA, edgecolor="#999999", linewidth=0.5), "Sea / background (no land fill)"))
    return h


def _axes_px(fig, x: float, y: float, w: float, h: float):
    """Axes from a pixel box (origin bottom-left)."""
    return fig.add_axes((x / FIG_W_PX, y / FIG_H_PX, w / FIG_W_PX, h / FIG_H_PX))


def _frame(ax, colour="#333333") -> None:
    ax.set_facecolor(SEA)
    for sp in ax.spines.values():
        sp.set_edgecolor(colour)
        sp.set_linewidth(1.0)
        sp.set_zorder(_Z["deco"] + 1)


def _panel_title(ax, text: str) -> None:
    ax.text(0.015, 0.985, text, transform=ax.transAxes, ha="left", va="top", fontsize=10, fontweight="bold",
            zorder=_Z["deco"] + 1, bbox=dict(boxstyle="square,pad=0.3", facecolor="white", edgecolor="#999999",
                                             linewidth=0.5, alpha=0.9))


def _inset_box(ax, lims, label: str) -> None:
    (x0, x1), (y0, y1) = lims
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#222222", linewidth=1.0,
                           linestyle="-", zorder=_Z["frame"]))
    ax.text(x1, y1, f" {label}", ha="left", va="bottom", fontsize=8.5, fontweight="bold", color="#222222",
            zorder=_Z["frame"], path_effects=HALO)


# ---------------------------------------------------------------------------------------------
# Public
# ---------------------------------------------------------------------------------------------

def _render_map_old(layers: dict[str, gpd.GeoDataFrame], path: Path, title: str, attribution: str) -> None:
    """Save a PNG map (2000 × 1600 px, 150 dpi) of the border layers to ``path``.

    ``layers``: EPSG:4326 GeoDataFrames keyed river, coast, land_boundary, thalweg, closing_line,
    maritime_boundary, territorial_sea_limits, tripoint, monuments, boundary_points, osm_reference_border;
    all optional except land_boundary and maritime_boundary (ValueError if missing or empty).
    The output is deterministic: the same layers give the same bytes.
    """
    c = _Ctx(layers)
    path = Path(path)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(FIG_W_PX / DPI, FIG_H_PX / DPI), dpi=DPI, facecolor="white")
        canvas = FigureCanvasAgg(fig)
        renderer = canvas.get_renderer()

        # --- layout (pixels): main panel left, tripoint inset, mouth inset and legend on the right
        main = _axes_px(fig, 70, 110, 1210, 1410)
        ins1 = _axes_px(fig, 1320, 960, 650, 560)
        ins2 = _axes_px(fig, 1320, 470, 650, 460)
        leg_ax = _axes_px(fig, 1320, 110, 650, 330)

        # --- main panel
        _frame(main)
        _draw_layers(main, c)
        _fit(main, *c.extent(), pad=0.04)
        _graticule(main, c)
        main_lims = (main.get_xlim(), main.get_ylim())
        lab = _Labeller(main, renderer)

        # --- tripoint inset
        up, down = c.land_ends()
        centre1 = np.array(c.tripoint[:2]) if c.tripoint is not None else up
        _frame(ins1)
        _draw_layers(ins1, c, scale=1.3, main=False)
        _fit(ins1, *_inset_window(centre1, [np.array(p[:2]) for p in c.monuments], 1000.0, 2500.0), pad=0.12)
        ins1.set_xticks([])
        ins1.set_yticks([])
        _panel_title(ins1, "Inset 1 – tripoint area" if c.tripoint is not None else "Inset 1 – upstream end")
        _scale_bar(ins1, frac=0.3)
        lab1 = _Labeller(ins1, renderer)
        lab1.block_artists()
        _point_labels(ins1, c, lab1, monuments=True, star_px=13.0)

        # --- mouth inset
        mouth_pts = [np.array((x, y)) for x, y, r in c.bpoints if "mouth" in _str(r.get("kind")).lower()]
        treaty = [np.array((x, y)) for x, y, r in c.bpoints if "treaty" in _str(r.get("kind")).lower()
                  and "mouth" in _str(r.get("kind")).lower()]
        if treaty:
            centre2 = treaty[0]
        elif mouth_pts:
            centre2 = mouth_pts[0]
        elif c.g["closing_line"] is not None:
            cp = shapely.union_all(c.g["closing_line"].geometry.values).centroid
            centre2 = np.array((cp.x, cp.y))
        else:
            centre2 = down
        others = mouth_pts + [a for ln in _all_lines(c.g["closing_line"]) for a in ln] + [down]
        _frame(ins2)
        _draw_layers(ins2, c, scale=1.3, main=False)
        _fit(ins2, *_inset_window(centre2, others, 1000.0, 3000.0), pad=0.15)
        ins2.set_xticks([])
        ins2.set_yticks([])
        _panel_title(ins2, "Inset 2 – river mouth")
        _scale_bar(ins2, frac=0.3)
        lab2 = _Labeller(ins2, renderer)
        lab2.block_artists()
        _point_labels(ins2, c, lab2, monuments=False, star_px=13.0)

        # --- main decorations (after the insets so their frames can be drawn on it)
        main.set_xlim(*main_lims[0])
        main.set_ylim(*main_lims[1])
        _inset_box(main, (ins1.get_xlim(), ins1.get_ylim()), "1")
        _inset_box(main, (ins2.get_xlim(), ins2.get_ylim()), "2")
        _scale_bar(main, frac=0.22)
        gamma = _north_arrow(main, c)
        lab.block_artists()
        _country_labels(main, c, lab)
        _point_labels(main, c, lab, monuments=False)

        # --- legend
        leg_ax.set_axis_off()
        handles = _legend_handles(c)
        ncol = 2 if len(handles) > 8 else 1
        leg_ax.legend([h for h, _ in handles], [t for _, t in handles], loc="upper left", ncol=ncol,
                      fontsize=8.5, frameon=True, title="Legend", title_fontproperties={"weight": "bold"},
                      borderaxespad=0.0, handlelength=2.6, columnspacing=1.2, labelspacing=0.7,
                      mode="expand", bbox_to_anchor=(0, 0, 1, 1))

        # --- title and footer
        fig.text(70 / FIG_W_PX, 1-22 / FIG_H_PX, title, ha="left", va="top", fontsize=15, fontweight="bold")
        (mx0, mx1), (my0, my1) = main_lims
        gmax = max(abs(_convergence(c, x, y)) for x in (mx0, mx1) for y in (my0, my1))
        kmax = max(abs(1 - c.point_scale(x, y)) for x in (mx0, mx1) for y in (my0, my1)) * 1e6
        proj = (f"Transverse Mercator (conformal), lat_0 {c.lat0}°, lon_0 {c.lon0}°, k = 1, WGS 84 ellipsoid. "
                f"Grid convergence ≤ {gmax:.2f}° on the map ({gamma:+.2f}° at the arrow); "
                f"scale error ≤ {kmax:.0f} ppm.")
        fig.text(70 / FIG_W_PX, 62 / FIG_H_PX, proj, ha="left", va="top", fontsize=8, color="#333333")
        fig.text(70 / FIG_W_PX, 40 / FIG_H_PX, textwrap.fill(attribution, 230), ha="left", va="top",
                 fontsize=8.5, color="#222222")

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
        os.replace(tmp, path)


def render_map(layers, *, table, cfg, report) -> bytes:
    """INTERIM adapter (to be replaced)."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "map.png"
        _render_map_old(layers, p, cfg.case.map_title or cfg.case.name, cfg.case.attribution)
        return p.read_bytes()
