"""Stage 5 — export: GeoPackage (with QGIS styles), GeoJSON (RFC 7946), QGIS project, map, report.

:func:`build_layers` turns a :class:`~pipeline.workflow.Result` into GeoDataFrames in EPSG:4326;
:func:`write_outputs` writes everything into one folder; :func:`publish` moves a finished folder's
files into place (each with an atomic rename) only after the whole run succeeded.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from shapely.geometry import MultiLineString, MultiPolygon, Point

from .config import Config
from .geodesy import WGS84, geodesic_length, to_lonlat
from .workflow import Result

GPKG = "border.gpkg"
OUTPUT_PATTERNS = ("border.gpkg", "border.qgs", "report.json", "report.md", "map.png", "*.geojson")
OSM = "© OpenStreetMap contributors, ODbL"
# draw order, bottom to top (QGIS project and GeoPackage)
LAYER_ORDER = ("river", "coast", "osm_reference_border", "territorial_sea_limits", "closing_line", "thalweg",
               "land_boundary", "maritime_boundary", "boundary_points", "monuments", "tripoint")


def _gdf(rows: list[dict], geoms: list, columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame([{c: r.get(c) for c in columns} for r in rows], geometry=geoms, crs=WGS84)


def _multi_lines(g):
    parts = [p for p in shapely.get_parts(g) if p.geom_type == "LineString"]
    return MultiLineString(parts)


def build_layers(r: Result, cfg: Config, river_source: str) -> dict[str, gpd.GeoDataFrame]:
    m = r.metric_crs
    ll = lambda g: to_lonlat(g, m)  # noqa: E731
    line_cols = ["name", "kind", "method", "source", "length_m"]
    modelled = "river" in cfg.inputs.modelled_roles
    layers: dict[str, gpd.GeoDataFrame] = {}

    water = ll(r.water)
    layers["river"] = _gdf([{"name": "Tumen (Tumannaya) River water area", "kind": "river water area",
                             "source": river_source, "modelled": int(modelled)}],
                           [MultiPolygon(list(shapely.get_parts(water)))], ["name", "kind", "source", "modelled"])
    sides = (cfg.sides.left, cfg.sides.right)
    layers["coast"] = _gdf([{"name": f"{s} coastline", "kind": "coastline", "side": s,
                             "source": f"OpenStreetMap coastline ({OSM})"} for s in sides],
                           [ll(_multi_lines(r.baselines.coast[s])) for s in sides], ["name", "kind", "side", "source"])

    border_method = {"middle": "middle of the main channel (medial axis, Voronoi)",
                     "thalweg": "thalweg (least-cost path through the depth raster)"}[cfg.land.border_line]
    lb = ll(r.land_boundary)
    layers["land_boundary"] = _gdf([{"name": "Russia–DPRK land boundary (Tumen River)", "kind": "land boundary",
                                     "method": border_method, "source": f"computed from {river_source}",
                                     "length_m": round(geodesic_length(lb), 3)}], [lb], line_cols)
    if r.thalweg is not None:
        tw = ll(r.thalweg.line)
        layers["thalweg"] = _gdf([{"name": "Tumen thalweg (deepest line)", "kind": "thalweg",
                                   "method": "least-cost path through the depth raster (skimage MCP)",
                                   "source": "computed from the depth raster (MODELLED)" if "depth" in cfg.inputs.modelled_roles
                                   else "computed from the depth raster", "length_m": round(geodesic_length(tw), 3)}],
                                 [tw], line_cols)
    cl = ll(r.mouth.closing_line)
    layers["closing_line"] = _gdf([{"name": "Tumen mouth closing line", "kind": "river mouth closing line",
                                    "method": "straight line between the banks' seaward ends (UNCLOS art. 9)",
                                    "source": f"computed from {river_source} and the coastline",
                                    "length_m": round(geodesic_length(cl), 3)}], [cl], line_cols)
    ml = ll(r.maritime.line)
    mmethod = {"equidistance": "equidistance (median) line between the RUS and PRK baselines",
               "azimuth": f"geodesic on azimuth {cfg.maritime.azimuth_deg}°",
               "endpoint": "geodesic to the configured end point"}[r.maritime.method]
    layers["maritime_boundary"] = _gdf([{"name": "Russia–DPRK maritime boundary (territorial sea)",
                                         "kind": "maritime boundary", "method": mmethod,
                                         "source": f"computed from the coastline ({OSM})",
                                         "length_m": round(geodesic_length(ml), 3)}], [ml], line_cols)
    lim = {s: ll(_multi_lines(r.maritime.limits[s])) for s in sides}
    layers["territorial_sea_limits"] = _gdf(
        [{"name": f"{s} 12-nautical-mile limit", "kind": "territorial sea outer limit", "side": s,
          "method": f"{cfg.maritime.territorial_sea_nm:g} nm buffer of the baseline, kept on the {s} side",
          "source": f"computed from the coastline ({OSM})", "length_m": round(geodesic_length(lim[s]), 3)}
         for s in sides], [lim[s] for s in sides], ["name", "kind", "side", "method", "source", "length_m"])

    tp = r.tripoint
    layers["tripoint"] = _gdf([{"name": "Tripoint China–DPRK–Russia", "kind": "tripoint",
                                "method": f"foot of the geodesic perpendicular from {cfg.tripoint.monument} "
                                          "to the middle line", "source": "computed",
                                "datum": "WGS 84", "lon": round(tp.lon, 8), "lat": round(tp.lat, 8),
                                "lon_pulkovo1942": round(tp.lon_pulkovo, 8), "lat_pulkovo1942": round(tp.lat_pulkovo, 8)}],
                              [Point(tp.lon, tp.lat)],
                              ["name", "kind", "method", "source", "datum", "lon", "lat", "lon_pulkovo1942",
                               "lat_pulkovo1942"])
    mons = [p for p in r.points.values() if p.kind == "monument"]
    rows = {m_.id: m_ for m_ in tp.monuments}
    layers["monuments"] = _gdf([{"name": p.name + (f" [{p.datum}]" if p.transform else ""), "kind": "monument",
                                 "datum": p.datum, "source": p.source, "lon": round(p.lon_wgs84, 8),
                                 "lat": round(p.lat_wgs84, 8), "published": p.published,
                                 "dist_to_tripoint_m": round(rows[p.id].distance_m, 3),
                                 "azimuth_to_tripoint_deg": round(rows[p.id].azimuth_deg, 4)} for p in mons],
                               [Point(p.lon_wgs84, p.lat_wgs84) for p in mons],
                               ["name", "kind", "datum", "source", "lon", "lat", "published", "dist_to_tripoint_m",
                                "azimuth_to_tripoint_deg"])
    b = r.points[cfg.mouth.treaty_point]
    end = ll(Point(r.land_boundary.coords[-1]))
    sea_end = ll(r.maritime.end)
    pts = [("River mouth (computed land-boundary end)", "mouth (computed)", "computed", end),
           (f"Mouth point {b.id} (treaty)", "mouth point B (treaty)", b.source, Point(b.lon_wgs84, b.lat_wgs84)),
           ("Maritime boundary end (12 nm)", "sea end (computed)", "computed", sea_end)]
    layers["boundary_points"] = _gdf([{"name": n, "kind": k, "datum": "WGS 84", "source": s,
                                       "lon": round(p.x, 8), "lat": round(p.y, 8)} for n, k, s, p in pts],
                                     [p for *_, p in pts], ["name", "kind", "datum", "source", "lon", "lat"])
    if r.reference is not None:
        parts = ("river", "sea")
        refs = {k: ll(r.reference[k]) for k in parts}
        layers["osm_reference_border"] = _gdf(
            [{"name": f"OpenStreetMap Russia–DPRK border ({k} part)", "kind": "reference (OpenStreetMap)",
              "part": k, "source": f"OpenStreetMap maritime borders ({OSM}); reference only",
              "length_m": round(geodesic_length(refs[k]), 3)} for k in parts],
            [refs[k] for k in parts], ["name", "kind", "part", "source", "length_m"])
    return {k: layers[k] for k in LAYER_ORDER if k in layers}


def write_outputs(layers: dict[str, gpd.GeoDataFrame], report: dict, out: Path, cfg: Config) -> list[Path]:
    """Write every output into ``out`` (a fresh folder). Returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    gpkg = out / GPKG
    for name, gdf in layers.items():
        pyogrio.write_dataframe(gdf, gpkg, layer=name, driver="GPKG", append=gpkg.exists(),
                                dataset_options={"VERSION": cfg.output.gpkg_version} if not gpkg.exists() else None,
                                layer_options={"SPATIAL_INDEX": "YES"})
        pyogrio.write_dataframe(gdf, out / f"{name}.geojson", driver="GeoJSON",
                                layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "8", "WRITE_NAME": "NO"})
    from .qgis_styles import write_layer_styles, write_qgis_project

    write_layer_styles(gpkg, list(layers))
    write_qgis_project(out / "border.qgs", GPKG,
                       [(n, g.geometry.iloc[0].geom_type) for n, g in layers.items()])
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "report.md").write_text(report_markdown(report), encoding="utf-8")
    if cfg.output.map:
        from .mapping import render_map

        render_map(layers, out / "map.png", title="Russia–DPRK border on the Tumen River (computed)",
                   attribution="Coastline and reference border © OpenStreetMap contributors, ODbL."
                   + (f" MODELLED inputs: {', '.join(cfg.inputs.modelled_roles)} (scripts/make_modelled_inputs.py)."
                      if cfg.inputs.modelled_roles else ""))
    return sorted(p for p in out.iterdir() if p.is_file())


def publish(tmp: Path, out: Path) -> None:
    """Move the finished run's files from ``tmp`` into ``out`` (atomic rename each), drop stale outputs."""
    out.mkdir(parents=True, exist_ok=True)
    new = {p.name for p in tmp.iterdir() if p.is_file()}
    for pattern in OUTPUT_PATTERNS:
        for old in out.glob(pattern):
            if old.name not in new:
                old.unlink()
    for name in sorted(new):
        os.replace(tmp / name, out / name)
    shutil.rmtree(tmp, ignore_errors=True)


def software_versions() -> dict[str, str]:
    import geopandas
    import numpy
    import pyproj
    import rasterio
    import scipy
    import skimage

    return {"python": platform.python_version(), "shapely": shapely.__version__,
            "geos": shapely.geos_version_string, "pyproj": pyproj.__version__, "proj": pyproj.proj_version_str,
            "pyogrio": pyogrio.__version__, "gdal": pyogrio.__gdal_version_string__,
            "geopandas": geopandas.__version__, "rasterio": rasterio.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "scikit-image": skimage.__version__}


def _fmt(v, nd=1):
    return "—" if v is None else f"{v:,.{nd}f}"


def report_markdown(rep: dict) -> str:
    L = ["# Russia–DPRK border on the Tumen River — computed report", ""]
    L += ["Every figure below was computed by `tumen-border run` from the inputs listed at the end; "
          "lengths and distances are geodesic on the WGS-84 ellipsoid (pyproj.Geod).", ""]
    if rep.get("modelled"):
        L += [f"> **Modelled inputs:** {', '.join(rep['modelled'])} are MODELLED, not surveyed "
              "(see README, 'What is modelled'). Figures that depend on them are model results.", ""]
    L += ["## Checks", "", "| check | computed | official / target | difference | tolerance | result |",
          "|---|---:|---:|---:|---:|---|"]
    for c in rep["checks"]:
        if c["kind"] == "within":
            L.append(f"| {c['name']} | {_fmt(c['value'])} {c['unit']} | {_fmt(c['target'])} {c['unit']} | "
                     f"{c['value'] - c['target']:+,.1f} {c['unit']} | ±{_fmt(c['tolerance'])} {c['unit']} | "
                     f"{'PASS' if c['passed'] else 'FAIL'} |")
        else:
            L.append(f"| {c['name']} | {_fmt(c['value'], 3)} {c['unit']} | — | — | ≤ {_fmt(c['tolerance'], 3)} "
                     f"{c['unit']} | {'PASS' if c['passed'] else 'FAIL'} |")
    L += ["", f"Overall: **{'PASS' if rep['passed'] else 'FAIL'}**", ""]
    land, mar, mouth, tp = rep["land"], rep["maritime"], rep["mouth"], rep["tripoint"]
    L += ["## Lengths", "", "| line | geodesic length |", "|---|---:|",
          f"| land boundary ({land['border_line']}) | {_fmt(land['length_m'])} m |",
          f"| middle of the main channel | {_fmt(land['middle_line_length_m'])} m |",
          f"| thalweg | {_fmt(land['thalweg_length_m'])} m |",
          f"| maritime boundary ({mar['method']}) | {_fmt(mar['length_m'])} m |",
          f"| total | {_fmt(rep['total_length_m'])} m |", ""]
    L += ["## Tripoint", "",
          f"Foot of the geodesic perpendicular from monument `{tp['monument']}` to the middle line: "
          f"**{tp['lat']:.7f} N, {tp['lon']:.7f} E** (WGS 84); "
          f"{tp['lat_pulkovo1942']:.7f} N, {tp['lon_pulkovo1942']:.7f} E (Pulkovo 1942, via {tp['pulkovo_transform']}). "
          f"Angle to the middle line deviates from 90° by {tp['perpendicular_deviation_deg']:.4f}°.", "",
          "| monument | datum | lat | lon | distance to tripoint | azimuth to tripoint |", "|---|---|---:|---:|---:|---:|"]
    for m in tp["monuments"]:
        L.append(f"| {m['name']} | {m['datum']} | {m['lat']:.7f} | {m['lon']:.7f} | {_fmt(m['distance_m'])} m | "
                 f"{m['azimuth_deg']:.2f}° |")
    if "alternative" in tp:
        a = tp["alternative"]
        L += ["", f"Tripoint from `{a['monument']}` instead: {a['lat']:.7f} N, {a['lon']:.7f} E, "
                  f"{_fmt(a['distance_from_tripoint_m'], 2)} m from the one above."]
    if rep["datums"]:
        L += ["", "### Datum transforms (pyproj)", "", "| point | published | WGS 84 | shift | operation |",
              "|---|---|---|---:|---|"]
        for d in rep["datums"]:
            L.append(f"| {d['id']} | {d['published']} ({d['datum']}) | {d['lon_lat_wgs84'][1]:.7f} N "
                     f"{d['lon_lat_wgs84'][0]:.7f} E | {d['shift_m']:.2f} m | {d['transform']} "
                     f"(accuracy {d['transform_accuracy_m']} m) |")
    L += ["", "## Mouth", "",
          f"Closing line {_fmt(mouth['closing_line_length_m'])} m between the banks' seaward ends; "
          f"other openings to the sea: {', '.join(_fmt(x) + ' m' for x in mouth['other_openings_m']) or 'none'}.",
          f"Land boundary ends at {mouth['land_end'][1]:.7f} N, {mouth['land_end'][0]:.7f} E, "
          f"**{_fmt(mouth['offset_m'])} m** from treaty point {mouth['treaty_point']} "
          f"({mouth['treaty_lonlat'][1]:.7f} N, {mouth['treaty_lonlat'][0]:.7f} E).", ""]
    L += ["## Maritime boundary", "",
          f"Method: {mar['method']}; ends at {mar['end'][1]:.7f} N, {mar['end'][0]:.7f} E, "
          f"{', '.join(f'{k} {v:,.3f} m' for k, v in mar['end_distance_to_baseline_m'].items())} from the baselines "
          f"(target {mar['radius_m']:,.0f} m).",
          f"Worst geodesic error of the 12-nm limits: "
          f"{', '.join(f'{k} {v:.3f} m' for k, v in mar['limit_error_m'].items())}; "
          f"equidistance error along the line: {_fmt(mar['equidistance_error_m'], 4)} m.", ""]
    if "validation" in rep:
        L += ["## Validation against OpenStreetMap's mapped border (reference only)", "",
              "| part | reference length | Hausdorff | mean distance | distance between ends |", "|---|---:|---:|---:|---:|"]
        for k, v in rep["validation"].items():
            L.append(f"| {k} | {_fmt(v['reference_length_m'])} m | {_fmt(v['hausdorff_m'])} m | "
                     f"{_fmt(v['mean_distance_m'])} m | {_fmt(v['end_distance_m'])} m |")
        L.append("")
    L += ["## Middle line", "",
          f"Main-channel rule: {land['main_channel_rule']}; {land['shore_points']} shore points; worst "
          f"equidistance error of the middle line's vertices: {_fmt(land['middle_line_equidistance_error_m'], 3)} m.", ""]
    if land["islands"]:
        L += ["| island | area | passed on | width of branch taken | width of other branch |", "|---|---:|---|---:|---:|"]
        for i in land["islands"]:
            L.append(f"| {i['island']} | {i['area_m2']:,.0f} m² | {i['taken']} | {i['taken_width_m']:,.0f} m | "
                     f"{i['other_width_m']:,.0f} m |")
        L.append("")
    L += ["## Projection", "", f"Metric CRS: `{rep['crs']['metric']}`; worst scale error over the data extent "
          f"{rep['crs']['max_scale_error_ppm']} ppm ({rep['crs']['length_error_over_sea_length_m']} m over the "
          "official sea length). Lengths are measured geodesically, not in this projection.", ""]
    L += ["## Inputs", "", "| role | file | sha256 | modelled |", "|---|---|---|---|"]
    for role, p in rep["inputs"].items():
        L.append(f"| {role} | `{p['path']}` | `{p['sha256']}` | {'yes' if p.get('modelled') else 'no'} |")
    L += ["", "## Software", "", ", ".join(f"{k} {v}" for k, v in rep["software"].items()), ""]
    return "\n".join(L)
