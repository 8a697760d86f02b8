"""Bad input: exit code 2, one ``error: <file>: <problem>`` line naming the culprit, no traceback, nothing touched.

Each case breaks one thing in a copy of ``inputs/`` (the ``bundle`` fixture) or chooses a bad output folder,
and runs ``tumen-border run --no-map`` in-process into an output folder that holds a finished earlier run
(a copy of the ``previous_outputs`` fixture). Every case asserts:

* exit code 2 and no traceback;
* exactly one line starting with ``error:`` (on stderr; none on stdout), naming the culprit file or folder
  and containing the case's phrase;
* the inputs unchanged and the previous outputs unchanged: every file's bytes and mtime, and every
  folder's mtime (so no temporary file was made and removed), under the test's whole temporary folder.

The expected culprit is what each corruption broke; the phrase is what a user needs to hear.
"""
from __future__ import annotations

import csv
import fcntl
import json
import logging
import os
import re
import sqlite3
import warnings
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.windows import Window
from shapely.geometry import Polygon

from conftest import INPUTS, copy_outputs, edit_toml, snapshot  # tests/ is on sys.path

CONFIG = "tumen.toml"
COAST = "osm_land_coastline_tumen.geojson"
RIVER = "modelled/tumen_river.gpkg"
DEPTH = "modelled/tumen_depth.tif"
POINTS = "treaty_points.csv"
REFERENCE = "osm_territory_with_sea_tumen.geojson"


# ------------------------------------------------------------------------------------------ helpers
def read_river(b: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(b / RIVER, layer="water", engine="pyogrio")


def write_river(b: Path, gdf: gpd.GeoDataFrame, **kw) -> None:
    """Replace the river GeoPackage by one holding only the ``water`` layer ``gdf``."""
    (b / RIVER).unlink()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)  # wanted in one case
        gdf.to_file(b / RIVER, layer="water", driver="GPKG", engine="pyogrio", **kw)


def river_as_shapefile(b: Path, prj: str | None) -> Path:
    """Write the river as ``modelled/tumen_river.shp``; ``prj`` None: no .prj, else the .prj's text."""
    shp = b / "modelled" / "tumen_river.shp"
    read_river(b)[["geometry"]].to_file(shp, engine="pyogrio")
    shp.with_suffix(".prj").unlink(missing_ok=True)
    if prj is not None:
        shp.with_suffix(".prj").write_text(prj)
    edit_toml(b / CONFIG, "inputs", "river", '"modelled/tumen_river.shp"')
    edit_toml(b / CONFIG, "inputs", "river_layer", '""')
    return shp


def map_coords(obj, f):
    if isinstance(obj, list) and obj and isinstance(obj[0], (int, float)):
        return f(obj)
    if isinstance(obj, list):
        return [map_coords(o, f) for o in obj]
    return obj


def edit_geojson(path: Path, f_feature: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    for feat in data["features"]:
        f_feature(feat)
    path.write_text(json.dumps(data))    # json writes NaN / Infinity literals, which GDAL reads


def set_a_vertex(path: Path, value: float) -> None:
    """Set the latitude of the middle vertex of the first ring of the first feature of a GeoJSON file."""
    data = json.loads(path.read_text())
    ring = data["features"][0]["geometry"]["coordinates"]
    while isinstance(ring[0][0], list):
        ring = ring[0]
    ring[len(ring) // 2][1] = value          # not the first or last vertex: the ring stays closed
    path.write_text(json.dumps(data))


def read_points_csv(b: Path) -> tuple[list[str], list[dict]]:
    with open(b / POINTS, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


def write_points_csv(b: Path, fields: list[str], rows: list[dict]) -> None:
    with open(b / POINTS, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def edit_points(b: Path, pid: str, **changes) -> None:
    fields, rows = read_points_csv(b)
    for r in rows:
        if r["id"] == pid:
            r.update({k: (v(r[k]) if callable(v) else v) for k, v in changes.items()})
    write_points_csv(b, fields, rows)


def write_depth(b: Path, window: Window | None = None, fill: float | None = None, **profile_changes) -> None:
    path = b / DEPTH
    with rasterio.open(path) as src:
        window = window or Window(0, 0, src.width, src.height)
        arr = src.read(1, window=window)
        profile = dict(src.profile, width=int(window.width), height=int(window.height),
                       transform=src.transform @ Affine.translation(window.col_off, window.row_off))
    profile.update(profile_changes)
    if fill is not None:
        arr[arr != profile["nodata"]] = fill
    path.unlink()
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)


# ------------------------------------------------------------------------------------------ the case table
@dataclass
class Ctx:
    """What a corruption may change: the bundle's files, the ``--out`` argument, extra CLI arguments."""

    bundle: Path
    out: Path | str          # the --out argument (a prefilled copy of an earlier run's outputs by default)
    tmp: Path
    args: list[str] = field(default_factory=list)
    config: Path | None = None   # the --config argument (default: bundle / CONFIG)
    lock_fd: int | None = None   # a lock held by the test while the run tries (closed after it)
    env: dict[str, str] = field(default_factory=dict)   # environment variables set for the run


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    corrupt: Callable[[Ctx], Path | None]   # returns the file or folder the error must name (None: no path)
    phrase: str                             # must appear (case-insensitively) in the error line


def missing(rel: str):
    def f(c: Ctx) -> Path:
        (c.bundle / rel).unlink()
        return c.bundle / rel
    return f


def truncated(rel: str):
    def f(c: Ctx) -> Path:
        data = (c.bundle / rel).read_bytes()
        (c.bundle / rel).write_bytes(data[: len(data) // 2])
        return c.bundle / rel
    return f


def toml(section: str, key: str, literal: str):
    def f(c: Ctx) -> Path:
        edit_toml(c.bundle / CONFIG, section, key, literal)
        return c.bundle / CONFIG
    return f


def toml_culprit(rel: str, section: str, key: str, literal: str):
    """A config value that does not fit the file it applies to: the error names that file."""
    def f(c: Ctx) -> Path:
        edit_toml(c.bundle / CONFIG, section, key, literal)
        return c.bundle / rel
    return f


def cli_args(*args: str):
    def f(c: Ctx) -> Path:
        c.args += list(args)
        return c.bundle / CONFIG
    return f


def point_edit(pid: str, **changes):
    def f(c: Ctx) -> Path:
        edit_points(c.bundle, pid, **changes)
        return c.bundle / POINTS
    return f


# -- config
def config_missing(c: Ctx) -> Path:
    c.config = c.bundle / "no_such.toml"
    return c.config


def config_is_folder(c: Ctx) -> Path:
    c.config = c.bundle / "modelled"
    return c.config


def toml_missing_required(c: Ctx) -> Path:
    text = (c.bundle / CONFIG).read_text()
    (c.bundle / CONFIG).write_text(re.sub(r"(?m)^coast = .*$", "", text, count=1))
    return c.bundle / CONFIG


def toml_deepest_without_depth(c: Ctx) -> Path:
    text = (c.bundle / CONFIG).read_text()
    (c.bundle / CONFIG).write_text(re.sub(r"(?m)^depth = .*$", "", text, count=1))
    edit_toml(c.bundle / CONFIG, "land", "main_channel", '"deepest"')
    return c.bundle / CONFIG


def point_id_missing(section: str, key: str):
    def f(c: Ctx) -> Path:
        edit_toml(c.bundle / CONFIG, section, key, '"424"')
        return c.bundle / POINTS
    return f


# -- files and formats
def folder_as_coast(c: Ctx) -> Path:
    edit_toml(c.bundle / CONFIG, "inputs", "coast", '"modelled"')
    return c.bundle / "modelled"


def river_empty_layer(c: Ctx) -> Path:
    write_river(c.bundle, read_river(c.bundle).iloc[0:0], geometry_type="Polygon")
    return c.bundle / RIVER


def river_as_lines(c: Ctx) -> Path:
    """Lines in a river file declared to hold polygons (inputs.river_form = "polygons")."""
    edit_toml(c.bundle / CONFIG, "inputs", "river_form", '"polygons"')
    gdf = read_river(c.bundle)
    write_river(c.bundle, gdf.set_geometry(gdf.geometry.boundary))
    return c.bundle / RIVER


def river_gpkg_undefined_srs(c: Ctx) -> Path:
    write_river(c.bundle, read_river(c.bundle).set_crs(None, allow_override=True))
    return c.bundle / RIVER


def river_shp_without_prj(c: Ctx) -> Path:
    return river_as_shapefile(c.bundle, None)


def river_shp_garbage_prj(c: Ctx) -> Path:
    river_as_shapefile(c.bundle, "this is not a coordinate reference system")
    return c.bundle / "modelled" / "tumen_river.prj"


def river_gpkg_garbage_srs(c: Ctx) -> Path:
    """A GeoPackage whose gpkg_spatial_ref_sys row holds no parsable definition."""
    with closing(sqlite3.connect(c.bundle / RIVER)) as con:
        (srs_id,) = con.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'water'").fetchone()
        con.execute("UPDATE gpkg_spatial_ref_sys SET definition = 'garbage', organization = 'NONE', "
                    "organization_coordsys_id = 0 WHERE srs_id = ?", (srs_id,))
        con.commit()
    return c.bundle / RIVER


def coast_unknown_crs_member(c: Ctx) -> Path:
    data = json.loads((c.bundle / COAST).read_text())
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}
    (c.bundle / COAST).write_text(json.dumps(data))
    return c.bundle / COAST


def river_not_spatial(c: Ctx) -> Path:
    """inputs.river pointing at a table without geometry (the treaty points CSV)."""
    edit_toml(c.bundle / CONFIG, "inputs", "river", f'"{POINTS}"')
    edit_toml(c.bundle / CONFIG, "inputs", "river_layer", '""')
    return c.bundle / POINTS


def points_not_utf8(c: Ctx) -> Path:
    text = (c.bundle / POINTS).read_text(encoding="utf-8")
    (c.bundle / POINTS).write_bytes(text.replace("Frontière", "Fronti\u00e8re").encode("latin-1", "replace"))
    return c.bundle / POINTS


# -- coordinates and datums
def river_nan_vertex(c: Ctx) -> Path:
    gdf = read_river(c.bundle)
    poly = gdf.geometry.iloc[0]
    ring = np.asarray(poly.exterior.coords)
    ring[len(ring) // 2, 1] = np.nan
    write_river(c.bundle, gdf.set_geometry([Polygon(ring, [h.coords for h in poly.interiors])], crs=gdf.crs))
    return c.bundle / RIVER


def geojson_vertex(rel: str, value: float):
    def f(c: Ctx) -> Path:
        set_a_vertex(c.bundle / rel, value)
        return c.bundle / rel
    return f


def coast_lat_lon_swapped(c: Ctx) -> Path:
    edit_geojson(c.bundle / COAST, lambda feat: feat["geometry"].update(
        coordinates=map_coords(feat["geometry"]["coordinates"], lambda p: [p[1], p[0], *p[2:]])))
    return c.bundle / COAST


def river_moved_50km(c: Ctx) -> Path:
    gdf = read_river(c.bundle)
    write_river(c.bundle, gdf.set_geometry(gdf.geometry.translate(xoff=50_000)))
    return c.bundle / RIVER


def river_on_mars(c: Ctx) -> Path:
    """The river's lon/lat labelled with a Mars CRS: PROJ knows it, but there is no path to WGS 84."""
    gdf = read_river(c.bundle).to_crs(4326)
    write_river(c.bundle, gdf.set_crs("IAU_2015:49900", allow_override=True))
    return c.bundle / RIVER


def coast_on_mars(c: Ctx) -> Path:
    """The coast as a GeoPackage whose lon/lat are labelled with a Mars CRS."""
    gdf = gpd.read_file(c.bundle / COAST, engine="pyogrio").set_crs("IAU_2015:49900", allow_override=True)
    gdf.to_file(c.bundle / "coast_mars.gpkg", driver="GPKG", engine="pyogrio")
    edit_toml(c.bundle / CONFIG, "inputs", "coast", '"coast_mars.gpkg"')
    return c.bundle / "coast_mars.gpkg"


def depth_geographic_crs(c: Ctx) -> Path:
    write_depth(c.bundle, crs="EPSG:4326")
    return c.bundle / DEPTH


# -- geometry
def river_degenerate_polygon(c: Ctx) -> Path:
    """A ring along one straight line (exactly collinear integer vertices): invalid, make_valid gives lines."""
    gdf = read_river(c.bundle)
    x0, y0 = (float(round(v)) for v in gdf.total_bounds[:2])
    flat = Polygon([(x0, y0), (x0 + 3000, y0 + 8000), (x0 + 6000, y0 + 16000), (x0, y0)])
    assert not flat.is_valid
    write_river(c.bundle, gdf.set_geometry([flat], crs=gdf.crs))
    return c.bundle / RIVER


def river_sliver_polygon(c: Ctx) -> Path:
    """A valid polygon of (almost) zero area: its middle vertex is off the line by a rounding error."""
    gdf = read_river(c.bundle)
    x0, y0, x1, y1 = gdf.total_bounds
    sliver = Polygon([(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1), (x0, y0)])
    assert sliver.is_valid and sliver.area < 1
    write_river(c.bundle, gdf.set_geometry([sliver], crs=gdf.crs))
    return c.bundle / RIVER


def coast_degenerate_polygon(c: Ctx) -> Path:
    """The PRK land as a ring along a straight line (dyadic lon/lat, so exactly collinear)."""
    def flatten(feat):
        if feat["properties"]["iso_a3"] == "PRK":
            feat["geometry"] = {"type": "Polygon", "coordinates": [[[130.5, 42.25], [130.625, 42.375],
                                                                     [130.75, 42.5], [130.5, 42.25]]]}
    edit_geojson(c.bundle / COAST, flatten)
    return c.bundle / COAST


def coast_without_side(c: Ctx) -> Path:
    def rename(feat):
        if feat["properties"]["iso_a3"] == "PRK":
            feat["properties"]["iso_a3"] = "KOR"
    edit_geojson(c.bundle / COAST, rename)
    return c.bundle / COAST


# -- treaty points
def points_rename_column(old: str, new: str):
    def f(c: Ctx) -> Path:
        text = (c.bundle / POINTS).read_text(encoding="utf-8")
        header, rest = text.split("\n", 1)
        (c.bundle / POINTS).write_text(header.replace(old, new, 1) + "\n" + rest, encoding="utf-8")
        return c.bundle / POINTS
    return f


def points_duplicate_id(c: Ctx) -> Path:
    fields, rows = read_points_csv(c.bundle)
    write_points_csv(c.bundle, fields, rows + [dict(rows[0])])
    return c.bundle / POINTS


def points_extra_field(c: Ctx) -> Path:
    lines = (c.bundle / POINTS).read_text(encoding="utf-8").splitlines()
    lines[3] += ",surplus"
    (c.bundle / POINTS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return c.bundle / POINTS


def points_no_rows(c: Ctx) -> Path:
    fields, _ = read_points_csv(c.bundle)
    write_points_csv(c.bundle, fields, [])
    return c.bundle / POINTS


# -- depth
def depth_cropped(c: Ctx) -> Path:
    write_depth(c.bundle, Window(0, 0, 50, 50))
    return c.bundle / DEPTH


def depth_all_nodata(c: Ctx) -> Path:
    write_depth(c.bundle, fill=-9999.0)
    return c.bundle / DEPTH


def depth_non_square(c: Ctx) -> Path:
    with rasterio.open(c.bundle / DEPTH) as src:
        t = src.transform
    write_depth(c.bundle, transform=Affine(t.a * 1.5, 0.0, t.c, 0.0, t.e, t.f))
    return c.bundle / DEPTH


# -- later stages: the error surfaces after loading and must still name its input
def depth_dry(c: Ctx) -> Path:
    """Every depth value zero: the thalweg (channel stage) finds no water depth."""
    write_depth(c.bundle, fill=0.0)
    return c.bundle / DEPTH


def river_short_of_coast(c: Ctx) -> Path:
    """The water area cut 3 km north of where it leaves the land, so it ends inside the land."""
    gdf = read_river(c.bundle)
    water = shapely.union_all(gdf.geometry.values)
    land = shapely.union_all(gpd.read_file(c.bundle / COAST, engine="pyogrio").to_crs(gdf.crs).geometry.values)
    y_sea = shapely.difference(water, land).bounds[3]     # the river runs roughly south into the sea
    x0, _, x1, y1 = water.bounds
    cut = shapely.intersection(water, shapely.box(x0 - 1, y_sea + 3000, x1 + 1, y1 + 1))
    cut = max(shapely.get_parts(cut), key=lambda g: g.area)
    assert cut.within(land.buffer(1.0))
    write_river(c.bundle, gdf.set_geometry([cut], crs=gdf.crs))
    return c.bundle / RIVER


def river_falls_apart(c: Ctx) -> Path:
    """A 200 m gap cut across the river half way up: two pieces of water that no channel line can join."""
    gdf = read_river(c.bundle)
    water = shapely.union_all(gdf.geometry.values)
    x0, y0, x1, y1 = water.bounds
    ym = (y0 + y1) / 2
    pieces = shapely.difference(water, shapely.box(x0 - 1, ym - 100, x1 + 1, ym + 100))
    assert len(shapely.get_parts(pieces)) >= 2
    write_river(c.bundle, gdf.set_geometry([pieces], crs=gdf.crs))
    return c.bundle / RIVER


# -- forms: what a mask, a depth raster, soundings or an OSM file means
MASK = "water_mask.tif"
SOUNDINGS = "soundings.gpkg"
OSM = "river.osm"


def bundle_mask(c: Ctx, values: Callable[[np.ndarray], np.ndarray], **profile) -> Path:
    """The river as a raster mask (forms_data.write_mask, 0/1) in the bundle, rewritten as ``values(water)``."""
    import forms_data as D

    info = D.write_mask(c.bundle / MASK)
    with rasterio.open(info.path) as src:
        water, p = src.read(1) == 1, dict(src.profile, **profile)
    with rasterio.open(info.path, "w", **p) as dst:
        dst.write(values(water).astype(p["dtype"]), 1)
    edit_toml(c.bundle / CONFIG, "inputs", "river", f'"{MASK}"')
    edit_toml(c.bundle / CONFIG, "inputs", "river_layer", '""')
    return info.path


def mask_water_as_nodata(c: Ctx) -> Path:
    return bundle_mask(c, lambda w: np.where(w, 255, 0), nodata=255)


def mask_values_not_percent(c: Ctx) -> Path:
    return bundle_mask(c, lambda w: np.where(w, 1000.0, 0.0), dtype="float32")


def mask_all_water(c: Ctx) -> Path:
    return bundle_mask(c, lambda w: np.full(w.shape, 80.0), dtype="float32")


def depth_in_feet(c: Ctx) -> Path:
    with rasterio.open(c.bundle / DEPTH, "r+") as dst:
        dst.units = ("ft",)
    return c.bundle / DEPTH


def bundle_soundings(c: Ctx, keep: Callable[[np.ndarray], np.ndarray] | None = None) -> Path:
    """Soundings sampled from the bundled depth (forms_data.sounding_points) as the depth input."""
    import forms_data as D
    from pyproj import CRS

    xy, depth = D.sounding_points()
    k = keep(xy) if keep else np.ones(len(xy), bool)
    D.write_soundings_gpkg(c.bundle / SOUNDINGS, xy[k], depth[k], CRS.from_epsg(32652))
    edit_toml(c.bundle / CONFIG, "inputs", "depth", f'"{SOUNDINGS}"')
    return c.bundle / SOUNDINGS


def soundings_cover_little(c: Ctx) -> Path:
    return bundle_soundings(c, lambda xy: xy[:, 1] > np.quantile(xy[:, 1], 0.9))   # the upper tenth only


def soundings_cell_1cm(c: Ctx) -> Path:
    bundle_soundings(c)
    edit_toml(c.bundle / CONFIG, "inputs", "depth_cell_m", "0.01")
    return c.bundle / CONFIG


def osm_missing_nodes(c: Ctx) -> Path:
    """The river as an OSM multipolygon whose outer way lost 20 of its nodes from the extract."""
    import forms_data as D
    from pyproj import Transformer

    poly, crs = D.modelled_river()
    t = Transformer.from_crs(crs, 4326, always_xy=True)
    ll = shapely.transform(poly, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    D.write_osm(c.bundle / OSM, [D.OsmArea(ll, {"natural": "water", "water": "river"}, True)])
    lines = (c.bundle / OSM).read_text(encoding="utf-8").splitlines()
    nodes = [i for i, line in enumerate(lines) if line.lstrip().startswith("<node ")]
    drop = set(nodes[100:120])
    (c.bundle / OSM).write_text("\n".join(x for i, x in enumerate(lines) if i not in drop) + "\n", encoding="utf-8")
    edit_toml(c.bundle / CONFIG, "inputs", "river", f'"{OSM}"')
    edit_toml(c.bundle / CONFIG, "inputs", "river_layer", '""')
    return c.bundle / OSM


def source_date_epoch(value: str):
    def f(c: Ctx) -> None:
        c.env["SOURCE_DATE_EPOCH"] = value
        return None
    return f


# -- the right file blamed: inputs checked against each other in order (coast, river, points, depth)
def river_cropped_short_of_monument(c: Ctx) -> Path:
    """The river cut 3 km short of its upstream end: the monument is where the coast's states meet, so the
    river (not the treaty points) misses the tripoint."""
    gdf = read_river(c.bundle)
    water = shapely.union_all(gdf.geometry.values)
    x0, y0, x1, y1 = water.bounds
    write_river(c.bundle, gdf.set_geometry([water.intersection(shapely.box(x0 - 1, y0 - 1, x1 + 1, y1 - 3000))],
                                           crs=gdf.crs))
    return c.bundle / RIVER


def river_moved_north(c: Ctx) -> Path:
    """The river moved 1.2 km north: it still touches the coast and passes the monument and both markers of the
    dividing line within 1 km, but the depth raster's data lies nearer to the monument and to the mouth point
    than the river does."""
    gdf = read_river(c.bundle)
    write_river(c.bundle, gdf.set_geometry(gdf.geometry.translate(yoff=1200)))
    return c.bundle / RIVER


def coast_states_overlap(c: Ctx) -> Path:
    """The DPRK land also holding a piece of Russia's (a disc of 0.005 deg, about 500 m, inside it)."""
    from shapely.geometry import mapping, shape

    data = json.loads((c.bundle / COAST).read_text())
    rus = next(shape(f["geometry"]) for f in data["features"] if f["properties"]["iso_a3"] == "RUS")
    piece = rus.representative_point().buffer(0.005).intersection(rus)

    def grow(feat):
        if feat["properties"]["iso_a3"] == "PRK":
            feat["geometry"] = mapping(shape(feat["geometry"]).union(piece))
    edit_geojson(c.bundle / COAST, grow)
    return c.bundle / COAST


# -- output folder
def out_empty(c: Ctx) -> None:
    c.out = ""
    return None


def out_is_file(c: Ctx) -> Path:
    c.out = c.tmp / "a_file"
    c.out.write_text("not a folder\n")
    return c.out


def out_parent_is_file(c: Ctx) -> Path:
    (c.tmp / "a_file").write_text("not a folder\n")
    c.out = c.tmp / "a_file" / "out"
    return c.tmp / "a_file"


def out_at(rel: str):
    def f(c: Ctx) -> Path:
        c.out = c.bundle / rel if rel else c.bundle
        return c.out
    return f


def out_contains_inputs(c: Ctx) -> Path:
    c.out = c.tmp
    return c.out


def out_is_config_folder(c: Ctx) -> Path:
    """The config alone in its own folder (input paths absolute): that folder is protected too."""
    cfg_dir = c.tmp / "settings"
    cfg_dir.mkdir()
    text = (c.bundle / CONFIG).read_text()
    for key in ("coast", "river", "depth", "points", "reference"):
        text = re.sub(rf'(?m)^{key} = "([^"]+)"', lambda m: f'{key} = "{c.bundle / m.group(1)}"', text)
    (cfg_dir / CONFIG).write_text(text)
    c.config = cfg_dir / CONFIG
    c.out = cfg_dir
    return cfg_dir


def out_symlink_to_inputs(c: Ctx) -> Path:
    link = c.tmp / "link_to_modelled"
    link.symlink_to(c.bundle / "modelled", target_is_directory=True)
    c.out = link
    return link


def out_foreign_file(c: Ctx) -> Path:
    """A folder holding a report.md that no manifest lists (the user's own file)."""
    c.out = c.tmp / "theirs"
    c.out.mkdir()
    (c.out / "report.md").write_text("my own notes\n")
    return c.out


def out_foreign_failed_run(c: Ctx) -> Path:
    (c.out / "failed-run").mkdir()
    (c.out / "failed-run" / "keep.txt").write_text("mine\n")
    return c.out


def out_manifest_garbage(c: Ctx) -> Path:
    (c.out / ".tumen-border-manifest.json").write_text("{not json")
    return c.out / ".tumen-border-manifest.json"


def _manifest_claiming(c: Ctx, rel: str) -> Path:
    """The output folder's manifest, edited to claim ``rel`` as a file of an earlier run."""
    m = c.out / ".tumen-border-manifest.json"
    data = json.loads(m.read_text())
    data["files"][rel] = "0" * 64
    m.write_text(json.dumps(data))
    return m


def out_manifest_claims_foreign(c: Ctx) -> Path:
    """A manifest that claims a file this tool never writes: the run must not remove the user's file."""
    (c.out / "thesis.docx").write_text("the user's work\n")
    return _manifest_claiming(c, "thesis.docx")


def out_manifest_escapes(c: Ctx) -> Path:
    """A manifest naming a path outside the output folder."""
    return _manifest_claiming(c, "../inputs/tumen.toml")


def out_edited_qgs(c: Ctx) -> Path:
    """The analyst saved border.qgs in QGIS after the run: it is the user's now (refused, not replaced)."""
    with open(c.out / "border.qgs", "a", encoding="utf-8") as f:
        f.write("<!-- saved in QGIS -->\n")
    return c.out / "border.qgs"


def out_gpkg_journal(c: Ctx) -> Path:
    """A -wal file beside border.gpkg: the GeoPackage is open in another program."""
    (c.out / "border.gpkg-wal").write_bytes(b"")
    return c.out / "border.gpkg-wal"


def out_holds_a_comparison(c: Ctx) -> Path:
    """The folder's manifest says `compare` wrote it."""
    m = c.out / ".tumen-border-manifest.json"
    m.write_text(json.dumps({**json.loads(m.read_text()), "command": "compare"}))
    return c.out


def out_locked(c: Ctx) -> Path:
    """Another run holds the lock (held here with fcntl.flock on the lock file, as a run does)."""
    fd = os.open(Path(c.out) / ".tumen-border.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    c.lock_fd = fd
    return Path(c.out)


CASES = [
    # config: the TOML file, --set and CLI flags (culprit: the config file)
    Case("config-missing", "config", config_missing, "config file not found"),
    Case("config-is-folder", "config", config_is_folder, "is a folder"),
    Case("toml-syntax-error", "config", toml("land", "border_line", '"middle'), "not valid TOML"),
    Case("toml-wrong-type", "config", toml("official", "land_tolerance_m", '"500 m"'), "must be a number"),
    Case("toml-negative-step", "config", toml("land", "bank_densify_m", "-5.0"), "must be greater than 0"),
    Case("toml-not-finite", "config", toml("land", "width_exponent", "nan"), "finite"),
    Case("toml-missing-required-key", "config", toml_missing_required, "missing required key(s) coast"),
    Case("toml-unknown-key", "config", toml("land", "bank_densify", "5.0"), "unknown key"),
    Case("toml-unknown-section", "config", toml("landd", "bank_densify_m", "5.0"), "unknown section"),
    Case("toml-bad-enum", "config", toml("land", "border_line", '"centre"'), "is not one of"),
    Case("toml-gpkg-version-unsupported", "config", toml("output", "gpkg_version", '"1.5"'), "gpkg_version"),
    Case("toml-bad-metric-crs", "config", toml("crs", "metric", '"EPSG:999999"'), "crs.metric"),
    Case("toml-metric-crs-geographic", "config", toml("crs", "metric", '"EPSG:4326"'), "not a projected"),
    Case("toml-metric-crs-in-feet", "config", toml("crs", "metric", '"EPSG:2227"'), "metre"),
    Case("toml-datum-crs-projected", "config", toml("treaty", "unstated_datum_crs", '"EPSG:32652"'),
         "not a geographic"),
    Case("toml-extent-latitude-over-90", "config", toml("inputs", "coast_extent", "[130.4, 42.05, 131.1, 95.0]"),
         "-90 <= south < north <= 90"),
    Case("toml-extent-lat-lon-order", "config", toml("inputs", "coast_extent", "[42.05, 130.4, 42.55, 131.1]"),
         "lon/lat order"),
    Case("toml-extent-misses-coast", "config", toml("inputs", "coast_extent", "[130.5, 42.1, 131.0, 42.5]"),
         "does not contain"),
    Case("toml-bad-colour", "config", toml("sides", "left_colour", '"brown"'), "not a colour"),
    Case("toml-bad-timestamp", "config", toml("output", "timestamp", '"2000-13-45T99:99:99Z"'), "output.timestamp"),
    Case("toml-unknown-modelled-role", "config", toml("inputs", "modelled", '["river", "rivers"]'), "unknown role"),
    Case("toml-deepest-without-depth", "config", toml_deepest_without_depth, "needs inputs.depth"),
    Case("set-unknown-key", "config", cli_args("--set", "land.bank_spacing_m=5"), "unknown setting"),
    Case("set-out-of-range", "config", cli_args("--set", "maritime.territorial_sea_nm=-12"), "greater than 0"),
    # settings a machine cannot honour (a range, or an estimate from the data before anything is allocated)
    Case("toml-bank-spacing-1mm", "config", toml("land", "bank_densify_m", "0.001"), "shore points"),
    Case("toml-buffer-segments-1e8", "config", toml("maritime", "buffer_quad_segs", "100000000"), "at most 4096"),
    Case("set-map-100000-px", "config", cli_args("--set", "output.map_width_px=100000"), "at most 10000"),
    Case("toml-soundings-cell-1cm", "config", soundings_cell_1cm, "inputs.depth_cell_m"),
    Case("source-date-epoch-after-9999", "config", source_date_epoch("253402300800"), "SOURCE_DATE_EPOCH"),
    Case("source-date-epoch-not-an-integer", "config", source_date_epoch("1e12"), "not a whole number"),
    Case("flag-negative-tolerance", "config", cli_args("--land-tolerance", "-1"), "at least 0"),
    Case("monument-id-not-in-points", "config", point_id_missing("tripoint", "monument"), "no point with id '424'"),
    Case("mouth-id-not-in-points", "config", point_id_missing("treaty", "mouth_point"), "no point with id '424'"),
    Case("end-id-not-in-points", "config", point_id_missing("treaty", "end_point"), "no point with id '424'"),
    # files and formats
    Case("missing-coast", "file", missing(COAST), "coast file not found"),
    Case("missing-river", "file", missing(RIVER), "river file not found"),
    Case("missing-points", "file", missing(POINTS), "treaty points file not found"),
    Case("missing-depth", "file", missing(DEPTH), "depth file not found"),
    Case("missing-reference", "file", missing(REFERENCE), "reference file not found"),
    Case("coast-is-a-folder", "file", folder_as_coast, "is a folder"),
    Case("truncated-coast-geojson", "file", truncated(COAST), "cannot be read"),
    Case("truncated-river-gpkg", "file", truncated(RIVER), "cannot be read"),
    Case("truncated-depth-tif", "file", truncated(DEPTH), "cannot be read"),
    Case("points-not-utf8", "file", points_not_utf8, "UTF-8"),
    Case("river-not-spatial", "file", river_not_spatial, "no geometry"),
    Case("river-empty-layer", "file", river_empty_layer, "is empty"),
    Case("river-as-lines", "file", river_as_lines, "wrong geometry type"),
    Case("river-multi-layer-unnamed", "file", toml_culprit(RIVER, "inputs", "river_layer", '""'),
         "layers (water, model_centreline, model_thalweg)"),
    Case("river-layer-not-found", "file", toml_culprit(RIVER, "inputs", "river_layer", '"rivers"'),
         "no layer 'rivers'"),
    Case("river-gpkg-undefined-srs", "crs", river_gpkg_undefined_srs, "no CRS"),
    Case("river-shp-without-prj", "crs", river_shp_without_prj, "no CRS"),
    Case("river-shp-garbage-prj", "crs", river_shp_garbage_prj, "unknown CRS"),
    Case("river-gpkg-garbage-srs", "crs", river_gpkg_garbage_srs, "unknown CRS"),
    Case("coast-geojson-unknown-crs", "crs", coast_unknown_crs_member, "unknown CRS"),
    Case("river-crs-without-path-to-wgs84", "crs", river_on_mars, "no datum transformation"),
    Case("coast-crs-without-path-to-wgs84", "crs", coast_on_mars, "transformation"),
    Case("points-crs-without-path-to-wgs84", "crs", point_edit("423-P42", crs="IAU_2015:49900"),
         "no datum transformation"),
    Case("depth-geographic-crs", "crs", depth_geographic_crs, "must be projected"),
    # coordinates
    Case("river-nan-vertex", "coordinates", river_nan_vertex, "non-finite"),
    Case("coast-infinite-vertex", "coordinates", geojson_vertex(COAST, float("inf")), "non-finite"),
    Case("reference-nan-vertex", "coordinates", geojson_vertex(REFERENCE, float("nan")), "non-finite"),
    Case("coast-lat-lon-swapped", "coordinates", coast_lat_lon_swapped, "lat/lon swapped"),
    Case("river-not-at-coast", "coordinates", river_moved_50km, "does not touch the coast"),
    # geometry
    Case("river-degenerate-polygon", "geometry", river_degenerate_polygon, "cannot be repaired"),
    Case("river-sliver-polygon", "geometry", river_sliver_polygon, "degenerate"),
    Case("coast-degenerate-polygon", "geometry", coast_degenerate_polygon, "cannot be repaired"),
    Case("coast-without-a-side", "geometry", coast_without_side, "no polygon with iso_a3 = 'PRK'"),
    Case("coast-side-field-missing", "geometry", toml_culprit(COAST, "inputs", "coast_side_field", '"iso"'),
         "no column 'iso'"),
    # treaty points: every column
    Case("points-missing-column", "points", points_rename_column("lat,lon", "latitude,lon"), "missing column"),
    Case("points-unknown-column", "points", points_rename_column("source", "sources"), "column"),
    Case("points-empty-id", "points", point_edit("E", id=""), "empty id"),
    Case("points-duplicate-id", "points", points_duplicate_id, "duplicate id"),
    Case("points-empty-name", "points", point_edit("E", name=" "), "empty name"),
    Case("points-bad-kind", "points", point_edit("E", kind="endpoint"), "kind 'endpoint'"),
    Case("points-lat-not-a-number", "points", point_edit("E", lat="42°09'"), "not a number"),
    Case("points-lat-nan", "points", point_edit("E", lat="nan"), "not a finite number"),
    Case("points-lat-out-of-range", "points", point_edit("E", lat="142.15"), "outside [-90, 90]"),
    Case("points-lon-out-of-range", "points", point_edit("E", lon="230.9"), "outside [-180, 180]"),
    Case("points-unknown-crs", "points", point_edit("423-P42", crs="EPSG:999999"), "not a CRS"),
    Case("points-projected-crs", "points", point_edit("423-P42", crs="EPSG:32652"), "not a geographic"),
    Case("points-row-with-extra-field", "points", points_extra_field, "fields, expected"),
    Case("points-no-rows", "points", points_no_rows, "no rows"),
    Case("points-outside-extent", "points", point_edit("E", lat="41.15"), "outside the data extent"),
    Case("points-monument-wrong-kind", "points", point_edit("423-WGS84", kind="other"), "expected 'monument'"),
    Case("points-empty-published", "points", point_edit("B", published=""), "empty published"),
    # depth
    Case("depth-not-covering-river", "depth", depth_cropped, "covers only"),
    Case("depth-all-nodata", "depth", depth_all_nodata, "nodata"),
    Case("depth-non-square-cells", "depth", depth_non_square, "square"),
    # forms: each input read for what its form means, or refused naming it
    Case("mask-water-as-nodata", "form", mask_water_as_nodata, "is the water marked as nodata"),
    Case("mask-values-not-percent", "form", mask_values_not_percent, "neither a binary mask"),
    Case("mask-every-cell-water", "form", mask_all_water, "every cell is water"),
    Case("depth-unit-feet", "form", depth_in_feet, "'ft'"),
    Case("depth-flat-bed", "form", lambda c: write_depth(c.bundle, fill=4.0) or c.bundle / DEPTH, "flat"),
    Case("soundings-cover-a-tenth", "form", soundings_cover_little, "inputs.soundings_reach_m"),
    Case("osm-river-missing-nodes", "form", osm_missing_nodes, "20 node(s)"),
    # the right file blamed when inputs disagree (rules in pipeline/load.py and pipeline/forms/)
    Case("river-cropped-short-of-the-monument", "geometry", river_cropped_short_of_monument, "misses the tripoint"),
    Case("river-moved-off-the-depth-raster", "geometry", river_moved_north, "misses the depth raster"),
    Case("coast-states-overlap", "geometry", coast_states_overlap, "overlap over"),
    # errors that surface in a later stage still name their input
    Case("later-depth-dry", "later stage", depth_dry, "depth"),
    Case("later-river-short-of-coast", "later stage", river_short_of_coast, "does not reach the coast"),
    Case("river-falls-apart", "geometry", river_falls_apart, "falls apart"),
    Case("points-monument-5km-from-the-river", "points",
         point_edit("423-WGS84", lon=lambda v: f"{float(v) - 0.061:.6f}"), "from the river's water area"),
    # the output folder (culprit: the folder, or the file in it)
    Case("out-empty", "output", out_empty, "output folder is empty"),
    Case("out-is-a-file", "output", out_is_file, "is a file"),
    Case("out-parent-is-a-file", "output", out_parent_is_file, "is a file"),
    Case("out-is-the-inputs-folder", "output", out_at(""), "input folder"),
    Case("out-inside-an-input-folder", "output", out_at("modelled/results"), "lies inside the input folder"),
    Case("out-contains-the-inputs", "output", out_contains_inputs, "contains the input folder"),
    Case("out-is-the-config-folder", "output", out_is_config_folder, "input folder"),
    Case("out-symlink-to-an-input-folder", "output", out_symlink_to_inputs, "input folder"),
    Case("out-holds-a-foreign-file", "output", out_foreign_file, "did not write"),
    Case("out-holds-a-foreign-failed-run", "output", out_foreign_failed_run, "failed-run"),
    Case("out-manifest-unreadable", "output", out_manifest_garbage, "manifest"),
    Case("out-manifest-claims-a-foreign-file", "output", out_manifest_claims_foreign, "thesis.docx"),
    Case("out-manifest-escapes-the-folder", "output", out_manifest_escapes, "manifest"),
    Case("out-locked-by-another-run", "output", out_locked, "another tumen-border run"),
    Case("out-output-edited-by-the-user", "output", out_edited_qgs, "changed after tumen-border wrote it"),
    Case("out-gpkg-open-elsewhere", "output", out_gpkg_journal, "open in another program"),
    Case("out-holds-a-comparison", "output", out_holds_a_comparison, "tumen-border compare"),
]


def named_path(line: str) -> str:
    """The path an ``error: <path>: <problem>`` line names."""
    return line[len("error: "):].split(": ", 1)[0]


def same_path(named: str, culprit: Path) -> bool:
    a, b = Path(named), Path(culprit)
    return os.path.abspath(a) == os.path.abspath(b) or a.resolve() == b.resolve()


def run_case(case: Case, bundle: Path, previous_outputs: Path, run_cli, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> tuple[str, Ctx]:
    ctx = Ctx(bundle=bundle, out=copy_outputs(previous_outputs, tmp_path / "out"), tmp=tmp_path)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")     # whatever a run writes by mistake into "." stays in tmp_path
    culprit = case.corrupt(ctx)
    for k, v in ctx.env.items():
        monkeypatch.setenv(k, v)
    before = snapshot(tmp_path)
    repo_inputs = snapshot(INPUTS)
    try:
        code, stdout, stderr = run_cli(["run", "--config", ctx.config or bundle / CONFIG, "--out", ctx.out,
                                        "--no-map", *ctx.args])
    finally:
        if ctx.lock_fd is not None:
            os.close(ctx.lock_fd)
    detail = f"\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"
    assert code == 2, detail
    assert "Traceback" not in stdout + stderr, detail
    assert not [line for line in stdout.splitlines() if line.lower().startswith("error")], detail
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, detail
    line = errors[0]
    assert case.phrase.lower() in line.lower(), detail
    if culprit is not None:
        assert same_path(named_path(line), culprit), f"the error names {named_path(line)!r}, not {culprit}{detail}"
    after = snapshot(tmp_path)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"inputs or previous outputs changed: {changed}{detail}"
    assert snapshot(INPUTS) == repo_inputs, "the repository's inputs/ changed"
    return line, ctx


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_one_clear_error(case: Case, bundle: Path, previous_outputs: Path, run_cli, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch):
    run_case(case, bundle, previous_outputs, run_cli, tmp_path, monkeypatch)


def test_the_table_covers_every_category():
    counts: dict[str, int] = {}
    for c in CASES:
        counts[c.category] = counts.get(c.category, 0) + 1
    assert len(CASES) >= 40 and len({c.id for c in CASES}) == len(CASES)
    assert set(counts) == {"config", "file", "crs", "coordinates", "geometry", "points", "depth", "form",
                           "later stage", "output"}, counts


# GDAL and PROJ talk most when a file is corrupt; in a subprocess, stderr is exactly what a user sees
ISOLATED = ["truncated-river-gpkg", "river-gpkg-garbage-srs", "river-nan-vertex", "mask-values-not-percent",
            "osm-river-missing-nodes", "depth-unit-feet"]


@pytest.mark.parametrize("case", [c for c in CASES if c.id in ISOLATED], ids=ISOLATED)
def test_bad_input_in_a_subprocess_prints_one_line(case: Case, bundle: Path, previous_outputs: Path, run_cli,
                                                   tmp_path: Path):
    """With -q, a user sees exactly the error line: no GDAL chatter, no Python warnings (PYTHONWARNINGS=default)."""
    ctx = Ctx(bundle=bundle, out=copy_outputs(previous_outputs, tmp_path / "out"), tmp=tmp_path)
    culprit = case.corrupt(ctx)
    before = snapshot(tmp_path)
    try:
        code, stdout, stderr = run_cli(["run", "--config", ctx.config or bundle / CONFIG, "--out", ctx.out,
                                        "--no-map", "-q", *ctx.args], isolated=True)
    finally:
        if ctx.lock_fd is not None:
            os.close(ctx.lock_fd)
    assert code == 2, stdout + stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and stdout == "", stdout + stderr
    assert case.phrase.lower() in lines[0].lower() and same_path(named_path(lines[0]), culprit), lines[0]
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------------------------------ repairs, not errors
def bow_tie(ring_coords: np.ndarray, i: int, offset: float) -> list:
    """A small twist (as from a digitising slip) in edge i -> i+1 of a ring: a, x1, x2, b with a-x1 crossing x2-b."""
    c = [tuple(p) for p in ring_coords[:-1]]
    a, b = np.asarray(c[i]), np.asarray(c[i + 1])
    d = b - a
    n = np.array([-d[1], d[0]]) / np.hypot(*d) * offset
    x1, x2 = a + 0.75 * d + n, a + 0.25 * d + n
    c[i + 1:i + 1] = [tuple(x1), tuple(x2)]
    return c + [c[0]]


def test_a_self_intersecting_river_is_repaired_and_recorded(bundle: Path, caplog):
    from pyproj import Transformer

    from pipeline.config import load_config
    from pipeline.load import load_inputs

    gdf = read_river(bundle)
    poly = gdf.geometry.iloc[0]
    coords = np.asarray(poly.exterior.coords)
    bad = Polygon(bow_tie(coords, len(coords) // 3, 5.0), [h.coords for h in poly.interiors])
    assert not bad.is_valid and "Self-intersection" in shapely.is_valid_reason(bad)
    write_river(bundle, gdf.set_geometry([bad], crs=gdf.crs))

    with caplog.at_level(logging.WARNING, logger="pipeline"):
        inputs = load_inputs(load_config(bundle / CONFIG))
    assert len(inputs.repairs) == 1 and "tumen_river.gpkg" in inputs.repairs[0] \
        and "Self-intersection" in inputs.repairs[0], inputs.repairs
    assert any("tumen_river.gpkg" in r.getMessage() and "repaired" in r.getMessage() for r in caplog.records)
    # the repaired water has the original polygon's area (its 5 m twist is tiny), measured in the run's
    # metric CRS after pyproj's own transform of the original
    t = Transformer.from_crs(gdf.crs, inputs.geo.metric, always_xy=True)
    expected = shapely.transform(poly, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))).area
    assert inputs.water.is_valid and inputs.water.area == pytest.approx(expected, rel=1e-3)


# ------------------------------------------------------------------------------------------ library failures in a stage
def _geos():
    return shapely.errors.GEOSException("TopologyException: side location conflict at 636024 4690849")


def _qhull():
    from scipy.spatial import QhullError
    return QhullError("QH6154 Qhull precision error: initial simplex is flat")


def _proj():
    from pyproj.exceptions import ProjError
    return ProjError("transform error: Invalid coordinate")


@pytest.mark.parametrize("stage, fails, culprit", [
    ("pipeline.land_line.channel_lines", _geos, RIVER),
    ("pipeline.land_line.channel_lines", _qhull, RIVER),
    ("pipeline.tripoint.locate_tripoint", _proj, POINTS),
    ("pipeline.maritime.maritime_boundary", _geos, COAST),
], ids=["geos-in-channel-lines", "qhull-in-channel-lines", "proj-in-tripoint", "geos-in-maritime"])
def test_a_library_failure_inside_a_stage_names_the_stage_input(stage, fails, culprit, bundle, previous_outputs,
                                                                 run_cli, tmp_path, monkeypatch):
    """Simulated: GEOS, Qhull or PROJ raising while a stage works on an input (the stage function is replaced
    by one that raises what the library raises)."""
    import importlib

    module, name = stage.rsplit(".", 1)

    def raising(*a, **kw):
        raise fails()

    monkeypatch.setattr(importlib.import_module(module), name, raising)
    out = copy_outputs(previous_outputs, tmp_path / "out")
    before = snapshot(tmp_path)
    code, stdout, stderr = run_cli(["run", "--config", bundle / CONFIG, "--out", out, "--no-map"])
    detail = f"\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"
    assert code == 2 and "Traceback" not in stdout + stderr, detail
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and same_path(named_path(errors[0]), bundle / culprit), detail
    assert type(fails()).__name__ in errors[0], detail
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------------------------------ odd but valid text
def test_dollar_signs_in_labels_are_drawn_as_text(bundle: Path, run_cli, tmp_path: Path):
    """A map title, state label and attribution holding "$" are the user's text, not matplotlib's mathtext
    (which would draw "$5 to $" in italics without the dollars, and fail on "$\\frac$" with a traceback): the
    run draws the map and exits 0."""
    edit_toml(bundle / CONFIG, "case", "map_title", '"From $5 to $x^{ here"')
    edit_toml(bundle / CONFIG, "sides", "left_label", '"RU $\\\\frac$"')
    edit_toml(bundle / CONFIG, "case", "attribution", '"costs US$ 5 and $$ and \\\\$"')
    code, stdout, stderr = run_cli(["run", "--config", bundle / CONFIG, "--out", tmp_path / "out", "-q"])
    assert code == 0 and "Traceback" not in stdout + stderr, stdout + stderr
    assert (tmp_path / "out" / "map.png").stat().st_size > 10_000
