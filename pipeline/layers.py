"""Output layers: the typed results as GeoDataFrames in EPSG:4326 (lon/lat), one per layer, in draw order.

Every name, label and source text comes from the config; the Tumen is not written here. Line layers carry
``length_m``, the geodesic length on WGS 84 of the geometry as stored. Nothing here writes files.
"""
from __future__ import annotations

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Point

from . import geometry
from .config import Config
from .geodesy import WGS84, geodesic_length_m, geodesic_path, inverse
from .land_line import islands
from .tripoint import distance_m
from .model import Report, Results

# layer name -> geometry type written (GeoPackage and GeoJSON)
LAYERS = {
    "land": "MultiPolygon", "river": "MultiPolygon", "islands": "Polygon", "maritime_comparison": "Polygon",
    "coast": "MultiLineString", "reference_border": "LineString", "territorial_sea_limits": "MultiLineString",
    "closing_line": "LineString", "dividing_line": "LineString", "channel_middle": "LineString",
    "thalweg": "LineString", "maritime_equidistance": "LineString", "land_boundary": "LineString",
    "maritime_boundary": "LineString", "maritime_beyond": "LineString",
    "boundary_points": "Point", "monuments": "Point", "tripoint": "Point",
}


def _frame(rows: list[dict], geoms: list, columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [r.get(c) for r in rows] for c in columns}, geometry=geoms, crs=WGS84)


def _line_rows(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    for r, g in zip(rows, geoms):
        r["length_m"] = geodesic_length_m(g)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    return _frame(rows, geoms, cols)


def dividing_layer(r: Results) -> gpd.GeoDataFrame:
    """The dividing line of the boundary waters: the geodesic from marker 1 to marker 2 (vertices every 10 m),
    continued to A where A lies beyond a marker."""
    tp = r.tripoint
    d, pts = tp.dividing, r.inputs.points
    m1, m2 = pts[d.marker1], pts[d.marker2]
    a = (tp.foot.lon, tp.foot.lat)
    ends = [m1.lonlat, m2.lonlat]
    if inverse(*m1.lonlat, *a)[1] > d.length_m:          # A beyond marker 2
        ends[1] = a
    elif inverse(*m2.lonlat, *a)[1] > d.length_m:        # A beyond marker 1
        ends[0] = a
    return _line_rows([{"name": f"Dividing line {d.marker1}–{d.marker2}", "kind": "dividing line",
                        "marker1": d.marker1, "marker2": d.marker2, "markers_distance_m": d.length_m,
                        "azimuth_deg": d.azimuth_deg, "source": tp.article}],
                      [LineString(geodesic_path(ends[0], ends[1], 10.0))])


def build_layers(r: Results, cfg: Config, report: Report) -> dict[str, gpd.GeoDataFrame]:
    """Every output layer, keyed by name, in :data:`LAYERS` order (absent layers are skipped)."""
    geo, sides, names = r.inputs.geo, cfg.sides.pair, cfg.sides
    ll = geo.to_lonlat
    case, river = cfg.case, cfg.case.river_name
    pair = f"{names.name(sides[0])}–{names.name(sides[1])}"
    river_src = r.inputs.files["river"].path + (" (MODELLED)" if cfg.is_modelled("river") else "")
    depth_src = (r.inputs.files["depth"].path + (" (MODELLED)" if cfg.is_modelled("depth") else "")
                 if "depth" in r.inputs.files else "")
    out: dict[str, gpd.GeoDataFrame] = {}

    codes = [c for c in (*sides, names.third) if c and c in r.inputs.land] + \
        sorted(c for c in r.inputs.land if c not in (*sides, names.third))
    out["land"] = _frame([{"name": names.name(c), "label": names.label(c), "kind": "land", "side": c,
                           "source": case.coast_source}
                          for c in codes], [geometry.multipolygon(ll(r.inputs.land[c])) for c in codes],
                         ["name", "label", "kind", "side", "source"])
    out["river"] = _frame([{"name": f"{river} water area", "kind": "river water area", "source": river_src,
                            "modelled": int(cfg.is_modelled("river"))}],
                          [geometry.multipolygon(ll(r.inputs.water))], ["name", "kind", "source", "modelled"])

    isl = islands(water=r.inputs.water, mouth=r.channel.mouth, snap_m=cfg.land.mouth_snap_m)
    if isl:
        rows = {i.island: i for i in report.land.islands}
        out["islands"] = _frame(
            [{"name": f"Island {k}", "kind": "island", "island": k, "area_m2": rows[k].area_m2,
              "side": rows[k].side_in_use, "side_other_line": rows[k].side_alternative,
              "branch_taken": rows[k].branch_taken, "distance_to_border_m": rows[k].distance_to_border_m,
              "source": river_src, "modelled": int(cfg.is_modelled("river"))} for k in range(1, len(isl) + 1)],
            [ll(p) for p in isl], ["name", "kind", "island", "area_m2", "side", "side_other_line", "branch_taken",
                                   "distance_to_border_m", "source", "modelled"])
    mar = r.maritime
    if mar.areas:
        out["maritime_comparison"] = _frame(
            [{"name": f"Area {i + 1} between the agreed and the equidistance line", "kind": "area between lines",
              "area_km2": a.area_km2, "side_agreed": a.side_agreed, "side_equidistance": a.side_equidistance}
             for i, a in enumerate(mar.areas)], [ll(a.polygon) for a in mar.areas],
            ["name", "kind", "area_km2", "side_agreed", "side_equidistance"])
    out["coast"] = _frame([{"name": f"{names.name(s)} coastline", "kind": "coastline", "side": s,
                            "source": case.coast_source} for s in sides],
                          [geometry.multiline(ll(mar.baselines.coast[s])) for s in sides],
                          ["name", "kind", "side", "source"])
    if r.reference is not None:
        parts = ("river", "sea")
        out["reference_border"] = _line_rows(
            [{"name": f"Reference {pair} border ({p} part)", "kind": "reference border", "part": p,
              "source": case.reference_source} for p in parts], [ll(r.reference[p]) for p in parts])
    out["territorial_sea_limits"] = _line_rows(
        [{"name": f"{names.name(s)} {cfg.maritime.territorial_sea_nm:g}-nautical-mile limit",
          "kind": "territorial sea limit", "side": s,
          "method": f"{cfg.territorial_sea_m:,.0f} m buffer of the baseline, on the {s} side of the boundary",
          "source": f"computed from the coastline ({case.coast_source})"} for s in sides],
        [geometry.multiline(ll(mar.limits[s])) for s in sides])
    out["closing_line"] = _line_rows(
        [{"name": f"{river} mouth closing line", "kind": "closing line",
          "method": "straight line between the banks' seaward ends (UNCLOS art. 9)",
          "source": f"computed from {river_src} and the coastline"}], [ll(r.channel.mouth.closing_line)])
    lb = r.land
    out["channel_middle"] = _line_rows(
        [{"name": f"{river}: middle of the main channel", "kind": "channel middle",
          "method": "medial axis (Voronoi) of the water area, main channel by the "
                    f"{r.channel.middle.islands[0].rule if r.channel.middle.islands else cfg.land.main_channel} rule",
          "source": f"computed from {river_src}", "in_use": int(r.channel.in_use == "middle")}],
        [ll(lb.middle_part)])
    if lb.thalweg_part is not None:
        out["thalweg"] = _line_rows(
            [{"name": f"{river}: thalweg (deepest line)", "kind": "thalweg",
              "method": "least-cost path through the depth grid (skimage MCP)", "source": f"computed from {depth_src}",
              "in_use": int(r.channel.in_use == "thalweg")}], [ll(lb.thalweg_part)])
    out["maritime_equidistance"] = _line_rows(
        [{"name": f"{pair} equidistance line (comparison)" if mar.method != "equidistance"
          else f"{pair} equidistance line", "kind": "equidistance line",
          "method": "median line between the two baselines, to the 12-nm limit", "source": case.coast_source,
          "in_use": int(mar.method == "equidistance")}],
        [ll(shapely.segmentize(mar.equidistance, cfg.maritime.line_densify_m))])  # vertices: straight in any viewer
    line_name = {"thalweg": "thalweg", "middle": "middle of the main channel"}[r.channel.in_use]
    out["land_boundary"] = _line_rows(
        [{"name": f"{pair} land boundary ({river})", "kind": "land boundary",
          "method": f"A → {line_name} → " + (f"treaty point {lb.junction_id}" if lb.junction_id else "closing line"),
          "source": f"computed from {river_src}" + (f" and {depth_src}" if r.channel.in_use == "thalweg" else "")}],
        [ll(lb.line)])
    method = (" → ".join([f"{lb.junction_id}"] + [f"({g.kind}) {g.end}" for g in mar.segments])
              if mar.method == "treaty" else "equidistance line to the 12-nm limit")
    out["maritime_boundary"] = _line_rows(
        [{"name": f"{pair} maritime boundary (territorial sea)", "kind": "maritime boundary", "method": method,
          "source": cfg.treaty.source if mar.method == "treaty" else case.coast_source}], [ll(mar.boundary)])

    tr = cfg.treaty
    if mar.beyond is not None:
        out["maritime_beyond"] = _line_rows(
            [{"name": f"Treaty line beyond {tr.end_point}: " + " → ".join([tr.end_point, *tr.beyond_points]),
              "kind": "treaty line beyond the territorial sea", "method": "geodesics between the treaty's points",
              "source": tr.source}], [ll(mar.beyond)])

    pts: list[tuple[dict, Point]] = []
    a = r.tripoint.foot
    pts.append(({"name": "A: tripoint" if r.tripoint.rule != "start_point" else "A: start of the land line (model "
                 "choice)", "label": "A", "kind": "tripoint", "datum": "WGS 84",
                 "source": f"computed: {a.construction} on the {line_name}"}, Point(a.lon, a.lat)))
    pts.append(({"name": "Channel line meets the closing line", "label": "mouth", "kind": "computed point",
                 "datum": "WGS 84", "source": "computed"}, Point(*geo.point_lonlat(lb.crossing))))
    if lb.junction_id and not cfg.treaty.mouth_point:      # B computed by treaty.mouth_rule
        pts.append(({"name": f"B: {lb.junction_id} (computed: {cfg.treaty.mouth_rule})", "label": "B",
                     "kind": "treaty point", "datum": "WGS 84", "source": "computed"},
                    Point(*geo.point_lonlat(lb.junction))))
    for pid, label in ((tr.mouth_point, "mouth point"), *((t, "turning point") for t in tr.turning_points),
                       (tr.end_point, "end point"), *((t, "point beyond the end point") for t in tr.beyond_points)):
        if not pid:
            continue
        p = r.inputs.points[pid]
        pts.append(({"name": f"{pid}: treaty {label}", "label": pid, "kind": "treaty point",
                     "datum": f"read in {p.crs_used}", "source": p.source}, Point(*p.lonlat)))
        if not p.datum_stated and p.crs_used != "EPSG:4326":
            pts.append(({"name": f"{pid} as printed, read as WGS 84", "label": f"{pid} (as printed)",
                         "kind": "treaty point as printed", "datum": "WGS 84 reading", "source": p.source},
                        Point(p.lon, p.lat)))
    q = geo.point_lonlat(Point(mar.equidistance.coords[-1]))
    pts.append(({"name": "End of the equidistance line", "label": "equidistance end", "kind": "computed point",
                 "datum": "WGS 84", "source": "computed"}, Point(*q)))
    for row, p in pts:
        row["lon"], row["lat"] = p.x, p.y
    out["boundary_points"] = _frame([r_ for r_, _ in pts], [p for _, p in pts],
                                    ["name", "label", "kind", "datum", "source", "lon", "lat"])

    rows_m = {m.id: m for m in r.tripoint.monuments}
    mons = [p for p in r.inputs.points.values() if p.kind == "monument"]
    out["monuments"] = _frame(
        [{"name": p.name, "label": p.id, "kind": "monument", "datum": p.datum, "source": p.source,
          "lon": p.lon_wgs84, "lat": p.lat_wgs84, "published": p.published,
          "dist_to_tripoint_m": rows_m[p.id].distance_m, "azimuth_to_tripoint_deg": rows_m[p.id].azimuth_deg}
         for p in mons], [Point(*p.lonlat) for p in mons],
        ["name", "label", "kind", "datum", "source", "lon", "lat", "published", "dist_to_tripoint_m",
         "azimuth_to_tripoint_deg"])
    tp = r.tripoint
    if tp.dividing is not None:
        out["dividing_line"] = dividing_layer(r)
    feet = [(a, "tripoint", "A")]
    if tp.on_other_line is not None:
        feet.append((tp.on_other_line, "tripoint on the other line", f"A ({tp.on_other_line.line})"))
    if tp.from_compare_monument is not None:
        feet.append((tp.from_compare_monument, "tripoint from the other record", f"A ({tp.from_compare_monument.monument})"))
    if tp.rule == "dividing_line":
        for f in (tp.perpendicular, tp.perpendicular_other):
            if f is not None:
                feet.append((f, "perpendicular foot", f"⊥ ({f.line})"))
    second = {0: (tp.lon_second, tp.lat_second)}
    out["tripoint"] = _frame(
        [{"name": f"Tripoint {names.name(sides[0])}–{names.name(sides[1])}–{names.name(names.third)}"
          if i == 0 and names.third else ("Tripoint" if i == 0 else f"Tripoint ({kind})"), "label": label,
          "kind": kind, "line": f.line, "monument": f.monument, "construction": f.construction, "datum": "WGS 84",
          "lon": f.lon, "lat": f.lat,
          "second_datum": tp.second_datum if i == 0 else "", "lon_second_datum": second.get(i, (None, None))[0],
          "lat_second_datum": second.get(i, (None, None))[1],
          "distance_to_monument_m": f.distance_m,
          "distance_to_A_m": 0.0 if i == 0 else distance_m(f, a)}
         for i, (f, kind, label) in enumerate(feet)], [Point(f.lon, f.lat) for f, _, _ in feet],
        ["name", "label", "kind", "line", "monument", "construction", "datum", "lon", "lat", "second_datum",
         "lon_second_datum", "lat_second_datum", "distance_to_monument_m", "distance_to_A_m"])
    return {k: out[k] for k in LAYERS if k in out}
