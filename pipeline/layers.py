"""Output layers: the layer catalogue, and the typed results as GeoDataFrames in EPSG:4326 (lon/lat).

:data:`CATALOGUE` holds one :class:`Layer` entry per output layer: its name, the geometry type written, its
fields (name -> type, in order), its builder, and what other modules need to know about it (whether it carries
an ``in_use`` flag and what makes it in use, whether it is a boundary layer, which inset of the PNG map it
frames, which report figure states its length). Everything that handles layers follows the catalogue:
:func:`build_layers` (a loop over it), :mod:`pipeline.export` (GeoPackage and GeoJSON: order and geometry
types), :mod:`pipeline.styles` (the QGIS project and ``layer_styles``), :mod:`pipeline.mapping` (the insets) and
``tumen-border check`` (:func:`in_use_expected`, :data:`BOUNDARY_LAYERS`, :data:`LENGTH_FIGURES`). A layer's
style is the row ``[layers.<name>]`` of ``pipeline/templates/styles.toml``, which also sets the draw order.

Every name, label and source text comes from the config; no case is named here. Line layers that declare
``length_m`` get the geodesic length on WGS 84 of the geometry as stored; layers with an ``in_use`` rule get
their ``in_use`` flag from the report. Nothing here writes files.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any, Callable, Optional

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from . import geometry
from .config import Config
from .geodesy import WGS84, geodesic_length_m, geodesic_path, inverse
from .land_line import islands
from .model import Report, Results
from .tripoint import distance_m

Rows = tuple[list[dict[str, Any]], list[BaseGeometry]]
Builder = Callable[[Results, Config, Report], Optional[Rows]]

GEOMETRY_TYPES = ("Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
INSET_ROLES = {
    "tripoint": "the tripoint inset frames every feature; the first feature is A",
    "tripoint_near": "the tripoint inset also frames the features within [map] tripoint_reach_m of A",
    "mouth": "the mouth inset frames every feature",
    "mouth_near": "the mouth inset also frames the features within [map] mouth_reach_m of the mouth layer",
}
# pyogrio's dtype of a field of each declared type, as read back from the GeoPackage
DTYPES = {str: "object", float: "float64", int: "int64"}


@dataclass(frozen=True)
class InUse:
    """When a layer's ``in_use`` flag is 1: the report figure at ``figure`` (a dotted path in
    :class:`~pipeline.model.Report`, e.g. ``"land.border_line"``) equals ``value``."""

    figure: str
    value: str


@dataclass(frozen=True)
class Layer:
    """One entry of the layer catalogue.

    Attributes
    ----------
    name : the layer's name in border.gpkg, its ``<name>.geojson``, border.qgs and map.html; its style is
        ``[layers.<name>]`` of ``pipeline/templates/styles.toml``
    geometry : the geometry type written (one of :data:`GEOMETRY_TYPES`; coordinates EPSG:4326 lon/lat)
    fields : field name -> Python type (str, float or int), in the order written. ``length_m`` and ``in_use``
        are filled by :func:`build_layers` (the geodesic length of each geometry, in metres on WGS 84; the
        :attr:`in_use` rule); the builder gives every other field, exactly those
    build : ``build(results, cfg, report)`` -> (rows, geometries in EPSG:4326 lon/lat), one row (a dict)
        per geometry; None when the layer is absent from this run
    in_use : the rule of the layer's ``in_use`` flag (then ``fields`` has ``in_use``), or None
    boundary : a boundary layer: its length is a figure the run is judged by, so ``check`` requires its
        ``length_m``
    inset : its role in the PNG map's insets (a key of :data:`INSET_ROLES`), or ""
    length_figure : the report figure (dotted path in :class:`~pipeline.model.Report`) that states the
        geodesic length of the whole layer, or ""
    """

    name: str
    geometry: str
    fields: dict[str, type]
    build: Builder
    in_use: InUse | None = None
    boundary: bool = False
    inset: str = ""
    length_figure: str = ""

    def filled(self) -> set[str]:
        """The fields :func:`build_layers` fills itself (``length_m``, ``in_use``); the builder gives the rest.

        Returns
        -------
        set[str]
        """
        return ({"length_m"} & set(self.fields)) | ({"in_use"} if self.in_use is not None else set())


# ------------------------------------------------------------------------------------------ shared text
def _pair(cfg: Config) -> str:
    s = cfg.sides
    return f"{s.name(s.pair[0])}–{s.name(s.pair[1])}"


def _river_source(r: Results, cfg: Config) -> str:
    return r.inputs.files["river"].path + (" (MODELLED)" if cfg.is_modelled("river") else "")


def _depth_source(r: Results, cfg: Config) -> str:
    if "depth" not in r.inputs.files:
        return ""
    return r.inputs.files["depth"].path + (" (MODELLED)" if cfg.is_modelled("depth") else "")


def _line_name(r: Results) -> str:
    return {"thalweg": "thalweg", "middle": "middle of the main channel"}[r.channel.in_use]


# -------------------------------------------------------------------------------------- area builders
def _land(r: Results, cfg: Config, rep: Report) -> Rows:
    names, land = cfg.sides, r.inputs.land
    known = (*names.pair, names.third)
    codes = [c for c in known if c and c in land] + sorted(c for c in land if c not in known)
    return ([{"name": names.name(c), "label": names.label(c), "kind": "land", "side": c,
              "source": cfg.case.coast_source} for c in codes],
            [geometry.multipolygon(r.inputs.geo.to_lonlat(land[c])) for c in codes])


def _river(r: Results, cfg: Config, rep: Report) -> Rows:
    return ([{"name": f"{cfg.case.river_name} water area", "kind": "river water area",
              "source": _river_source(r, cfg), "modelled": int(cfg.is_modelled("river"))}],
            [geometry.multipolygon(r.inputs.geo.to_lonlat(r.inputs.water))])


def _islands(r: Results, cfg: Config, rep: Report) -> Rows | None:
    isl = islands(water=r.inputs.water, mouth=r.channel.mouth, snap_m=cfg.land.mouth_snap_m)
    if not isl:
        return None
    rows = {i.island: i for i in rep.land.islands}
    return ([{"name": f"Island {k}", "kind": "island", "island": k, "area_m2": rows[k].area_m2,
              "side": rows[k].side_in_use, "side_other_line": rows[k].side_alternative,
              "branch_taken": rows[k].branch_taken, "distance_to_border_m": rows[k].distance_to_border_m,
              "source": _river_source(r, cfg), "modelled": int(cfg.is_modelled("river"))}
             for k in isl],
            [r.inputs.geo.to_lonlat(p) for p in isl.values()])


def _maritime_comparison(r: Results, cfg: Config, rep: Report) -> Rows | None:
    areas = r.maritime.areas
    if not areas:
        return None
    return ([{"name": f"Area {i + 1} between the agreed and the equidistance line", "kind": "area between lines",
              "area_km2": a.area_km2, "side_agreed": a.side_agreed, "side_equidistance": a.side_equidistance}
             for i, a in enumerate(areas)],
            [r.inputs.geo.to_lonlat(a.polygon) for a in areas])


# --------------------------------------------------------------------------------------- line builders
def _coast(r: Results, cfg: Config, rep: Report) -> Rows:
    names, sides = cfg.sides, cfg.sides.pair
    return ([{"name": f"{names.name(s)} coastline", "kind": "coastline", "side": s,
              "source": cfg.case.coast_source} for s in sides],
            [geometry.multiline(r.inputs.geo.to_lonlat(r.maritime.baselines.coast[s])) for s in sides])


def _reference_border(r: Results, cfg: Config, rep: Report) -> Rows | None:
    if r.reference is None:
        return None
    parts = ("river", "sea")
    return ([{"name": f"Reference {_pair(cfg)} border ({p} part)", "kind": "reference border", "part": p,
              "source": cfg.case.reference_source} for p in parts],
            [r.inputs.geo.to_lonlat(r.reference[p]) for p in parts])


def _territorial_sea_limits(r: Results, cfg: Config, rep: Report) -> Rows:
    names, sides = cfg.sides, cfg.sides.pair
    return ([{"name": f"{names.name(s)} {cfg.maritime.territorial_sea_nm:g}-nautical-mile limit",
              "kind": "territorial sea limit", "side": s,
              "method": f"{cfg.territorial_sea_m:,.0f} m buffer of the baseline, on the {s} side of the boundary",
              "source": f"computed from the coastline ({cfg.case.coast_source})"} for s in sides],
            [geometry.multiline(r.inputs.geo.to_lonlat(r.maritime.limits[s])) for s in sides])


def _closing_line(r: Results, cfg: Config, rep: Report) -> Rows:
    return ([{"name": f"{cfg.case.river_name} mouth closing line", "kind": "closing line",
              "method": "straight line between the banks' seaward ends (UNCLOS art. 9)",
              "source": f"computed from {_river_source(r, cfg)} and the coastline"}],
            [r.inputs.geo.to_lonlat(r.channel.mouth.closing_line)])


def _dividing_line(r: Results, cfg: Config, rep: Report) -> Rows | None:
    """The dividing line of the boundary waters: the geodesic from marker 1 to marker 2 (vertices every 10 m),
    continued to A where A lies beyond a marker."""
    tp = r.tripoint
    d = tp.dividing
    if d is None:
        return None
    m1, m2 = r.inputs.points[d.marker1], r.inputs.points[d.marker2]
    a = (tp.a.lon, tp.a.lat)
    ends = [m1.lonlat, m2.lonlat]
    if inverse(*m1.lonlat, *a)[1] > d.length_m:          # A beyond marker 2
        ends[1] = a
    elif inverse(*m2.lonlat, *a)[1] > d.length_m:        # A beyond marker 1
        ends[0] = a
    return ([{"name": f"Dividing line {d.marker1}–{d.marker2}", "kind": "dividing line", "marker1": d.marker1,
              "marker2": d.marker2, "markers_distance_m": d.length_m, "azimuth_deg": d.azimuth_deg,
              "source": tp.article}],
            [LineString(geodesic_path(ends[0], ends[1], 10.0))])


def _channel_middle(r: Results, cfg: Config, rep: Report) -> Rows:
    rule = r.channel.middle.islands[0].rule if r.channel.middle.islands else cfg.land.main_channel
    return ([{"name": f"{cfg.case.river_name}: middle of the main channel", "kind": "channel middle",
              "method": f"medial axis (Voronoi) of the water area, main channel by the {rule} rule",
              "source": f"computed from {_river_source(r, cfg)}"}],
            [r.inputs.geo.to_lonlat(r.land.middle_part)])


def _thalweg(r: Results, cfg: Config, rep: Report) -> Rows | None:
    if r.land.thalweg_part is None:
        return None
    return ([{"name": f"{cfg.case.river_name}: thalweg (deepest line)", "kind": "thalweg",
              "method": "least-cost path over the depth grid's wet cells (Dijkstra, MCP_Geometric move costs)",
              "source": f"computed from {_depth_source(r, cfg)}"}],
            [r.inputs.geo.to_lonlat(r.land.thalweg_part)])


def _maritime_equidistance(r: Results, cfg: Config, rep: Report) -> Rows:
    mar = r.maritime
    return ([{"name": f"{_pair(cfg)} equidistance line" + (" (comparison)" if mar.method != "equidistance" else ""),
              "kind": "equidistance line", "method": "median line between the two baselines, to the 12-nm limit",
              "source": cfg.case.coast_source}],             # vertices: straight in any viewer
            [r.inputs.geo.to_lonlat(shapely.segmentize(mar.equidistance, cfg.maritime.line_densify_m))])


def _land_boundary(r: Results, cfg: Config, rep: Report) -> Rows:
    lb = r.land
    end = f"treaty point {lb.junction_id}" if lb.junction_id else "closing line"
    depth = f" and {_depth_source(r, cfg)}" if r.channel.in_use == "thalweg" else ""
    return ([{"name": f"{_pair(cfg)} land boundary ({cfg.case.river_name})", "kind": "land boundary",
              "method": f"A → {_line_name(r)} → {end}", "source": f"computed from {_river_source(r, cfg)}{depth}"}],
            [r.inputs.geo.to_lonlat(lb.line)])


def _maritime_boundary(r: Results, cfg: Config, rep: Report) -> Rows:
    mar = r.maritime
    treaty = mar.method == "treaty"
    method = (" → ".join([f"{r.land.junction_id}"] + [f"({g.kind}) {g.end}" for g in mar.segments])
              if treaty else "equidistance line to the 12-nm limit")
    return ([{"name": f"{_pair(cfg)} maritime boundary (territorial sea)", "kind": "maritime boundary",
              "method": method, "source": cfg.treaty.source if treaty else cfg.case.coast_source}],
            [r.inputs.geo.to_lonlat(mar.boundary)])


def _maritime_beyond(r: Results, cfg: Config, rep: Report) -> Rows | None:
    if r.maritime.beyond is None:
        return None
    tr = cfg.treaty
    return ([{"name": f"Treaty line beyond {tr.end_point}: " + " → ".join([tr.end_point, *tr.beyond_points]),
              "kind": "treaty line beyond the territorial sea", "method": "geodesics between the treaty's points",
              "source": tr.source}],
            [r.inputs.geo.to_lonlat(r.maritime.beyond)])


# -------------------------------------------------------------------------------------- point builders
def _treaty_points(r: Results, cfg: Config) -> list[tuple[dict, Point]]:
    """Each treaty point as read (and as printed, read as WGS 84, when its datum was not stated)."""
    tr = cfg.treaty
    out = []
    for pid, label in ((tr.mouth_point, "mouth point"), *((t, "turning point") for t in tr.turning_points),
                       (tr.end_point, "end point"), *((t, "point beyond the end point") for t in tr.beyond_points)):
        if not pid:
            continue
        p = r.inputs.points[pid]
        out.append(({"name": f"{pid}: treaty {label}", "label": pid, "kind": "treaty point",
                     "datum": f"read in {p.crs_used}", "source": p.source}, Point(*p.lonlat)))
        if not p.datum_stated and p.crs_used != "EPSG:4326":
            out.append(({"name": f"{pid} as printed, read as WGS 84", "label": f"{pid} (as printed)",
                         "kind": "treaty point as printed", "datum": "WGS 84 reading", "source": p.source},
                        Point(p.lon, p.lat)))
    return out


def _boundary_points(r: Results, cfg: Config, rep: Report) -> Rows:
    geo, lb, a = r.inputs.geo, r.land, r.tripoint.a
    a_name = "A: tripoint" if r.tripoint.rule != "start_point" else "A: start of the land line (model choice)"
    pts = [({"name": a_name, "label": "A", "kind": "tripoint", "datum": "WGS 84",
             "source": f"computed: {a.construction} on the {_line_name(r)}"}, Point(a.lon, a.lat)),
           ({"name": "Channel line meets the closing line", "label": "mouth", "kind": "computed point",
             "datum": "WGS 84", "source": "computed"}, Point(*geo.point_lonlat(lb.crossing)))]
    if lb.junction_id and not cfg.treaty.mouth_point:      # B computed by treaty.mouth_rule
        pts.append(({"name": f"B: {lb.junction_id} (computed: {cfg.treaty.mouth_rule})", "label": "B",
                     "kind": "treaty point", "datum": "WGS 84", "source": "computed"},
                    Point(*geo.point_lonlat(lb.junction))))
    pts += _treaty_points(r, cfg)
    q = geo.point_lonlat(Point(r.maritime.equidistance.coords[-1]))
    pts.append(({"name": "End of the equidistance line", "label": "equidistance end", "kind": "computed point",
                 "datum": "WGS 84", "source": "computed"}, Point(*q)))
    return [{**row, "lon": p.x, "lat": p.y} for row, p in pts], [p for _, p in pts]


def _monuments(r: Results, cfg: Config, rep: Report) -> Rows:
    rows_m = {m.id: m for m in r.tripoint.monuments}
    mons = [p for p in r.inputs.points.values() if p.kind == "monument"]
    return ([{"name": p.name, "label": p.id, "kind": "monument", "datum": p.datum, "source": p.source,
              "lon": p.lon_wgs84, "lat": p.lat_wgs84, "published": p.published,
              "dist_to_tripoint_m": rows_m[p.id].distance_m, "azimuth_to_tripoint_deg": rows_m[p.id].azimuth_deg}
             for p in mons],
            [Point(*p.lonlat) for p in mons])


def _feet(r: Results) -> list[tuple[Any, str, str]]:
    """(foot, kind, label) of every tripoint construction; A first."""
    tp = r.tripoint
    feet = [(tp.a, "tripoint", "A")]
    if tp.on_other_line is not None:
        feet.append((tp.on_other_line, "tripoint on the other line", f"A ({tp.on_other_line.line_name})"))
    if tp.from_compare_monument is not None:
        feet.append((tp.from_compare_monument, "tripoint from the other record",
                     f"A ({tp.from_compare_monument.monument})"))
    if tp.rule == "dividing_line":
        feet += [(f, "perpendicular foot", f"⊥ ({f.line_name})") for f in (tp.perpendicular, tp.perpendicular_other)
                 if f is not None]
    return feet


def _tripoint(r: Results, cfg: Config, rep: Report) -> Rows:
    tp, names = r.tripoint, cfg.sides
    a = tp.a
    first = (f"Tripoint {names.name(names.pair[0])}–{names.name(names.pair[1])}–{names.name(names.third)}"
             if names.third else "Tripoint")
    feet = _feet(r)
    rows = [{"name": first if i == 0 else f"Tripoint ({kind})", "label": label, "kind": kind, "line": f.line_name,
             "monument": f.monument, "construction": f.construction, "datum": "WGS 84", "lon": f.lon, "lat": f.lat,
             "second_datum": tp.second_datum if i == 0 else "",
             "lon_second_datum": tp.lon_second if i == 0 else None,
             "lat_second_datum": tp.lat_second if i == 0 else None,
             "distance_to_monument_m": f.distance_m, "distance_to_A_m": 0.0 if i == 0 else distance_m(f, a)}
            for i, (f, kind, label) in enumerate(feet)]
    return rows, [Point(f.lon, f.lat) for f, _, _ in feet]


# ----------------------------------------------------------------------------------------- the catalogue
_TEXT = {"name": str, "kind": str, "method": str, "source": str}     # a computed line's description
_POINT = {"name": str, "label": str, "kind": str, "datum": str, "source": str, "lon": float, "lat": float}
_LENGTH = {"length_m": float}

# one entry per layer, in the order written to border.gpkg (the draw order is styles.toml's)
CATALOGUE: tuple[Layer, ...] = (
    Layer("land", "MultiPolygon", {"name": str, "label": str, "kind": str, "side": str, "source": str}, _land),
    Layer("river", "MultiPolygon", {"name": str, "kind": str, "source": str, "modelled": int}, _river),
    Layer("islands", "Polygon",
          {"name": str, "kind": str, "island": int, "area_m2": float, "side": str, "side_other_line": str,
           "branch_taken": str, "distance_to_border_m": float, "source": str, "modelled": int}, _islands),
    Layer("maritime_comparison", "Polygon",
          {"name": str, "kind": str, "area_km2": float, "side_agreed": str, "side_equidistance": str},
          _maritime_comparison),
    Layer("coast", "MultiLineString", {"name": str, "kind": str, "side": str, "source": str}, _coast),
    Layer("reference_border", "LineString", {"name": str, "kind": str, "part": str, "source": str, **_LENGTH},
          _reference_border),
    Layer("territorial_sea_limits", "MultiLineString",
          {"name": str, "kind": str, "side": str, "method": str, "source": str, **_LENGTH}, _territorial_sea_limits),
    Layer("closing_line", "LineString", {**_TEXT, **_LENGTH}, _closing_line, inset="mouth",
          length_figure="mouth.closing_line_length_m"),
    Layer("dividing_line", "LineString",
          {"name": str, "kind": str, "marker1": str, "marker2": str, "markers_distance_m": float,
           "azimuth_deg": float, "source": str, **_LENGTH}, _dividing_line),
    Layer("channel_middle", "LineString", {**_TEXT, "in_use": int, **_LENGTH}, _channel_middle,
          in_use=InUse("land.border_line", "middle"), length_figure="land.middle_m"),
    Layer("thalweg", "LineString", {**_TEXT, "in_use": int, **_LENGTH}, _thalweg,
          in_use=InUse("land.border_line", "thalweg"), length_figure="land.thalweg_m"),
    Layer("maritime_equidistance", "LineString", {**_TEXT, "in_use": int, **_LENGTH}, _maritime_equidistance,
          in_use=InUse("maritime.method", "equidistance")),
    Layer("land_boundary", "LineString", {**_TEXT, **_LENGTH}, _land_boundary, boundary=True,
          length_figure="land.land_boundary_m"),
    Layer("maritime_boundary", "LineString", {**_TEXT, **_LENGTH}, _maritime_boundary, boundary=True,
          length_figure="maritime.length_m"),
    Layer("maritime_beyond", "LineString", {**_TEXT, **_LENGTH}, _maritime_beyond),
    Layer("boundary_points", "Point", _POINT, _boundary_points, inset="mouth_near"),
    Layer("monuments", "Point",
          {**_POINT, "published": str, "dist_to_tripoint_m": float, "azimuth_to_tripoint_deg": float}, _monuments,
          inset="tripoint_near"),
    Layer("tripoint", "Point",
          {"name": str, "label": str, "kind": str, "line": str, "monument": str, "construction": str, "datum": str,
           "lon": float, "lat": float, "second_datum": str, "lon_second_datum": float, "lat_second_datum": float,
           "distance_to_monument_m": float, "distance_to_A_m": float}, _tripoint, inset="tripoint"),
)

BY_NAME: dict[str, Layer] = {layer.name: layer for layer in CATALOGUE}
# layer name -> geometry type written (GeoPackage and GeoJSON), in the order written
LAYERS: dict[str, str] = {layer.name: layer.geometry for layer in CATALOGUE}
# the layers whose length_m ``check`` requires (their lengths are the figures the run is judged by)
BOUNDARY_LAYERS: tuple[str, ...] = tuple(layer.name for layer in CATALOGUE if layer.boundary)
# layer -> the report figure (dotted path) that states its geodesic length
LENGTH_FIGURES: dict[str, str] = {layer.name: layer.length_figure for layer in CATALOGUE if layer.length_figure}


# ---------------------------------------------------------------------------------------------- public
def report_figure(report: Report, path: str) -> Any:
    """A figure of the report by its dotted path.

    Parameters
    ----------
    report : the run's report
    path : attribute names joined by dots, e.g. ``"land.border_line"`` or ``"mouth.closing_line_length_m"``

    Returns
    -------
    Any
        The value (lengths in metres, as the report states them).
    """
    return reduce(getattr, path.split("."), report)


def in_use_expected(report: Report) -> dict[str, bool]:
    """What each layer with an ``in_use`` flag should carry, from the report.

    Parameters
    ----------
    report : the run's report (``report.json`` read back, or the report of a run)

    Returns
    -------
    dict[str, bool]
        Layer name -> whether it is in use (its ``in_use`` is 1), for every catalogue layer with an ``in_use``
        rule, in catalogue order; a layer that is in use must be present.
    """
    return {layer.name: report_figure(report, layer.in_use.figure) == layer.in_use.value
            for layer in CATALOGUE if layer.in_use is not None}


def in_use_layer(report: Report, figure: str) -> str | None:
    """The layer in use among those whose ``in_use`` rule reads ``figure``.

    Parameters
    ----------
    report : the run's report
    figure : the dotted report path of the rule, e.g. ``"land.border_line"`` (the channel line in use)

    Returns
    -------
    str or None
        The layer's name (``channel_middle`` or ``thalweg`` for ``"land.border_line"``); None when no layer
        with that rule is in use.
    """
    expected = in_use_expected(report)
    return next((layer.name for layer in CATALOGUE if layer.in_use is not None and layer.in_use.figure == figure
                 and expected[layer.name]), None)


def inset_layer(role: str) -> str:
    """The layer that plays ``role`` in the PNG map's insets.

    Parameters
    ----------
    role : a key of :data:`INSET_ROLES` (``tripoint``, ``tripoint_near``, ``mouth``, ``mouth_near``)

    Returns
    -------
    str
        The name of the one catalogue layer with that role (KeyError if none has it).
    """
    for layer in CATALOGUE:
        if layer.inset == role:
            return layer.name
    raise KeyError(f"no catalogue layer has the inset role {role!r}")


def _frame(layer: Layer, rows: list[dict[str, Any]], geoms: list[BaseGeometry], report: Report) -> gpd.GeoDataFrame:
    """The layer's GeoDataFrame (EPSG:4326): the builder's rows with ``length_m`` and ``in_use`` filled, the
    fields in catalogue order; ValueError when a row's fields are not exactly the declared ones."""
    given = set(layer.fields) - layer.filled()
    for row in rows:
        if set(row) != given:
            raise ValueError(f"layer {layer.name!r}: the builder gives {sorted(row)}, the catalogue declares "
                             f"{sorted(given)} (besides {sorted(layer.filled())}, filled here)")
    flag = None if layer.in_use is None else int(in_use_expected(report)[layer.name])
    filled = [{**row, **({"in_use": flag} if flag is not None else {}),
               **({"length_m": geodesic_length_m(g)} if "length_m" in layer.fields else {})}
              for row, g in zip(rows, geoms)]
    return gpd.GeoDataFrame({c: [row.get(c) for row in filled] for c in layer.fields}, geometry=geoms, crs=WGS84)


def build_layers(r: Results, cfg: Config, report: Report) -> dict[str, gpd.GeoDataFrame]:
    """Every output layer of a run: each catalogue entry's builder, in catalogue order.

    Parameters
    ----------
    r : the typed results of the run (metric geometry; the builders turn it to lon/lat)
    cfg : the run's config (names, labels, sources)
    report : the run's report (island rows, the ``in_use`` flags)

    Returns
    -------
    dict[str, geopandas.GeoDataFrame]
        Layer name -> GeoDataFrame in EPSG:4326 (lon/lat degrees) with exactly the catalogue's fields in
        order; ``length_m`` in metres (geodesic on WGS 84). Layers absent from this run are left out.
    """
    out: dict[str, gpd.GeoDataFrame] = {}
    for layer in CATALOGUE:
        built = layer.build(r, cfg, report)
        if built is not None:
            out[layer.name] = _frame(layer, *built, report)
    return out


def gpkg_differences(gpkg: Path) -> list[str]:
    """Where a written GeoPackage and the catalogue disagree.

    Parameters
    ----------
    gpkg : path of a run's ``border.gpkg``

    Returns
    -------
    list[str]
        One line per disagreement (empty when they agree): a spatial layer not in the catalogue; a catalogue
        layer written with another geometry type, other fields or another field order; a field of another type
        than declared (compared only where the field holds a value: GDAL types a field without any value from
        what pandas inferred, REAL in an empty layer, TEXT for a column of nulls); layers out of catalogue order.
        Non-spatial tables (``layer_styles``) are not layers.
    """
    import pyogrio

    written = [str(n) for n, t in pyogrio.list_layers(gpkg) if t is not None]
    out = [f"{n} (not in the catalogue)" for n in written if n not in BY_NAME]
    known = [n for n in written if n in BY_NAME]
    if known != [n for n in LAYERS if n in known]:
        out.append(f"layers out of catalogue order: {known}")
    for name in known:
        layer, info = BY_NAME[name], pyogrio.read_info(gpkg, layer=name)
        if info["geometry_type"] != layer.geometry:
            out.append(f"{name}: geometry {info['geometry_type']}, declared {layer.geometry}")
        if list(info["fields"]) != list(layer.fields):
            out.append(f"{name}: fields {list(info['fields'])}, declared {list(layer.fields)}")
            continue
        values = pyogrio.read_dataframe(gpkg, layer=name, read_geometry=False)
        for field, dtype in zip(info["fields"], info["dtypes"]):
            if values[field].notna().any() and dtype != DTYPES[layer.fields[field]]:
                out.append(f"{name}.{field}: {dtype}, declared {layer.fields[field].__name__}")
    return out
