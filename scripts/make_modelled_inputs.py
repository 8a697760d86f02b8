"""Generate MODELLED river inputs from a per-case spec: water polygon (banks, islands) and, optionally, a depth grid.

No public river-bank polygons or bathymetry of the bundled rivers are reachable offline, so these inputs are
modelled, deterministically, from real data and the choices written in a small spec file
(``inputs/<case>/modelled/model.toml``; not the pipeline config):

* ``[course]`` the river's course: the common edge of two states' land polygons in the case's OpenStreetMap coast
  file (``mode = "border"``), oriented downstream to the coast, optionally extended upstream along another
  edge (``upstream_states``, as the Tumen's CHN/PRK edge) and/or cut to ``length_m`` upstream of the coast; or a
  configured lon/lat line (``mode = "line"``, upstream first); smoothed with a Gaussian filter;
* ``[width]`` a modelled width profile (upstream width widening to the width at the mouth, with an
  along-stream oscillation); ``[[islands]]`` optional modelled islands, each leaving one branch clearly wider;
* ``[mouth]`` how the water reaches the sea: ``mode = "inlet"`` takes the sea inlet of the coast file, closed
  by the shortest lines between the land parts nearest the configured point pairs (the Tumen's estuary);
  ``mode = "channel"`` runs the channel straight on past the coast for ``sea_extension_m``, so that its
  outer ring leaves the land on both banks (the pipeline finds the mouth there);
* ``[depth]`` optional: a modelled field whose deepest line (the model thalweg) swings toward the outer bank
  in bends and through the wider branch at islands; depth grows downstream.

Run:  python scripts/make_modelled_inputs.py inputs/<case>/modelled/model.toml [--out DIR]
Outputs (in the spec's folder unless --out): the river GeoPackage (layers water, model_centreline and, with
depth, model_thalweg) and the depth GeoTIFF, in the spec's CRS; every file tagged MODELLED in its metadata.
"""
from __future__ import annotations

import argparse
import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin
from scipy import ndimage
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import linemerge, substring

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = "scripts/make_modelled_inputs.py"
NODATA = -9999.0
SPECS = sorted((ROOT / "inputs").glob("*/modelled/model.toml"))


# ------------------------------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class Island:
    at: float              # position along the channel, fraction of its length
    side: int              # +1: island pushed to the left bank (looking downstream), -1: to the right
    half_length_m: float
    width_share: float     # fraction of the local width the island takes
    follow_channel: bool = False   # False: a straight ellipse on the local tangent; True: bent with the channel


@dataclass(frozen=True)
class Spec:
    path: Path
    name: str
    coast: Path
    coast_field: str
    extent: tuple[float, float, float, float]
    crs: str
    river_file: str
    water_layer_description: str
    description: str
    source: str
    created: str
    layer_dates: dict[str, str]
    # course
    course_mode: str
    states: tuple[str, str]
    upstream_states: tuple[str, str] | None
    upstream_extra_m: float
    length_m: float | None
    mouth_near: tuple[float, float] | None
    line: tuple[tuple[float, float], ...] | None
    sample_m: float
    smooth_sigma_m: float
    step_m: float
    tail_smooth_m: float
    # width
    width_up_m: float
    width_mouth_m: float
    width_exponent: float
    oscillation_m: float
    oscillation_wavelength_m: float
    oscillation_decay: float
    channel_past_head_m: float
    # mouth
    mouth_mode: str
    closing: tuple[tuple[tuple[float, float], tuple[float, float]], ...]
    sea_extension_m: float
    islands: tuple[Island, ...]
    # depth (None: no depth grid)
    depth_file: str | None
    cell_m: float = 10.0
    depth_up_m: float = 3.0
    depth_mouth_m: float = 9.0
    depth_exponent: float = 1.3
    sigma_up_m: float = 60.0
    sigma_mouth_m: float = 200.0
    bank_taper_m: float = 25.0
    min_depth_m: float = 0.3
    bend_gain_m: float = 350.0
    bend_norm_m: float = 60.0
    curvature_smooth_m: float = 300.0
    outer_half_width_m: float = 250.0
    estuary_fade_m: float = 400.0
    island_swing: float = 0.55


def load_spec(path: Path) -> Spec:
    """Read and check a generator spec; unknown keys are an error, relative paths are relative to the spec."""
    path = Path(path).resolve()
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    known = {"model": {"name", "coast", "coast_field", "extent", "crs", "river_file", "water_layer_description",
                       "description", "source", "created", "layer_dates"},
             "course": {"mode", "states", "mouth_near", "upstream_states", "upstream_extra_m", "length_m", "line", "sample_m",
                        "smooth_sigma_m", "step_m", "tail_smooth_m"},
             "width": {"upstream_m", "mouth_m", "exponent", "oscillation_m", "oscillation_wavelength_m",
                       "oscillation_decay", "channel_past_head_m"},
             "mouth": {"mode", "closing", "sea_extension_m"},
             "islands": None,
             "depth": {"file", "cell_m", "upstream_m", "mouth_m", "exponent", "sigma_upstream_m", "sigma_mouth_m",
                       "bank_taper_m", "min_depth_m", "bend_gain_m", "bend_norm_m", "curvature_smooth_m",
                       "outer_half_width_m", "estuary_fade_m", "island_swing"}}
    for sec, keys in raw.items():
        if sec not in known:
            raise ValueError(f"{path}: unknown section [{sec}]")
        if keys is not None and known[sec] is not None:
            bad = set(keys) - known[sec]
            if bad:
                raise ValueError(f"{path}: unknown keys in [{sec}]: {sorted(bad)}")
    m, c, w, mo = raw["model"], raw["course"], raw["width"], raw["mouth"]
    d = raw.get("depth")
    for i in raw.get("islands", []):
        bad = set(i) - {"at", "side", "half_length_m", "width_share", "follow_channel"}
        if bad:
            raise ValueError(f"{path}: unknown keys in [[islands]]: {sorted(bad)}")
    islands = tuple(Island(float(i["at"]), int(i["side"]), float(i["half_length_m"]), float(i["width_share"]),
                           bool(i.get("follow_channel", False))) for i in raw.get("islands", []))
    if c["mode"] not in ("border", "line"):
        raise ValueError(f"{path}: course.mode must be 'border' or 'line'")
    if mo["mode"] not in ("inlet", "channel"):
        raise ValueError(f"{path}: mouth.mode must be 'inlet' or 'channel'")
    depth_kw = {}
    if d is not None:
        depth_kw = dict(cell_m=float(d.get("cell_m", 10.0)), depth_up_m=float(d["upstream_m"]),
                        depth_mouth_m=float(d["mouth_m"]), depth_exponent=float(d.get("exponent", 1.3)),
                        sigma_up_m=float(d["sigma_upstream_m"]), sigma_mouth_m=float(d["sigma_mouth_m"]),
                        bank_taper_m=float(d["bank_taper_m"]), min_depth_m=float(d.get("min_depth_m", 0.3)),
                        bend_gain_m=float(d.get("bend_gain_m", 350.0)), bend_norm_m=float(d.get("bend_norm_m", 60.0)),
                        curvature_smooth_m=float(d.get("curvature_smooth_m", 300.0)),
                        outer_half_width_m=float(d.get("outer_half_width_m", 250.0)),
                        estuary_fade_m=float(d.get("estuary_fade_m", 400.0)),
                        island_swing=float(d.get("island_swing", 0.55)))
    return Spec(
        path=path, name=m["name"], coast=(path.parent / m["coast"]).resolve(), coast_field=m["coast_field"],
        extent=tuple(float(v) for v in m["extent"]), crs=m["crs"], river_file=m["river_file"],
        water_layer_description=m["water_layer_description"], description=m["description"], source=m["source"],
        created=m["created"], layer_dates=dict(m.get("layer_dates", {})),
        course_mode=c["mode"], states=tuple(c.get("states", ("", ""))),
        upstream_states=tuple(c["upstream_states"]) if c.get("upstream_states") else None,
        upstream_extra_m=float(c.get("upstream_extra_m", 0.0)),
        length_m=float(c["length_m"]) if c.get("length_m") is not None else None,
        mouth_near=tuple(map(float, c["mouth_near"])) if c.get("mouth_near") else None,
        line=tuple(tuple(map(float, p)) for p in c["line"]) if c.get("line") else None,
        sample_m=float(c.get("sample_m", 50.0)), smooth_sigma_m=float(c["smooth_sigma_m"]),
        step_m=float(c.get("step_m", 10.0)), tail_smooth_m=float(c.get("tail_smooth_m", 120.0)),
        width_up_m=float(w["upstream_m"]), width_mouth_m=float(w["mouth_m"]), width_exponent=float(w["exponent"]),
        oscillation_m=float(w["oscillation_m"]), oscillation_wavelength_m=float(w["oscillation_wavelength_m"]),
        oscillation_decay=float(w.get("oscillation_decay", 0.5)),
        channel_past_head_m=float(w.get("channel_past_head_m", 300.0)),
        mouth_mode=mo["mode"], closing=tuple(tuple(tuple(map(float, p)) for p in pair) for pair in mo.get("closing", [])),
        sea_extension_m=float(mo.get("sea_extension_m", 0.0)), islands=islands,
        depth_file=d["file"] if d is not None else None, **depth_kw)


# ------------------------------------------------------------------------------------------------ geometry
def _lines(g):
    return [g] if g.geom_type == "LineString" else list(g.geoms)


def _edge(a, b) -> list[LineString]:
    """The common edge of two land polygons, merged into its connected pieces."""
    shared = a.intersection(b)
    pieces = [g for g in getattr(shared, "geoms", [shared]) if g.geom_type in ("LineString", "MultiLineString")]
    return _lines(linemerge([ln for g in pieces for ln in _lines(g)]))


def border_course(land: gpd.GeoDataFrame, spec: Spec, sea) -> LineString:
    """The common edge of ``spec.states``, oriented downstream (its end at the sea), with the ``upstream_states``
    edge prepended at the junction of the three states (cut ``upstream_extra_m`` upstream of it)."""
    a, b = (land.loc[k, "geometry"] for k in spec.states)
    if spec.upstream_states is None:
        # the piece of the common edge that ends at mouth_near, that end downstream (without mouth_near: the
        # piece nearest the sea, its end nearer the sea downstream)
        pieces = _edge(a, b)
        if spec.mouth_near is not None:
            q = _to_metric([Point(spec.mouth_near)], spec.crs)[0]
        ab = min(pieces, key=lambda g: (min(Point(g.coords[0]).distance(q), Point(g.coords[-1]).distance(q))
                                        if spec.mouth_near is not None else (round(g.distance(sea), 3), -g.length)))
        target = q if spec.mouth_near is not None else sea
        if Point(ab.coords[0]).distance(target) < Point(ab.coords[-1]).distance(target):
            ab = LineString(ab.coords[::-1])
        return ab
    # the Tumen's construction, kept as it was (the longest piece; oriented away from the junction)
    third = next(k for k in spec.upstream_states if k not in spec.states)
    c = land.loc[third, "geometry"]
    shared_state = next(k for k in spec.upstream_states if k in spec.states)
    s = land.loc[shared_state, "geometry"]
    other = a if s is b else b
    rp = linemerge(_lines(other.intersection(s)))
    cp = linemerge(_lines(c.intersection(s)))
    rp = max(_lines(rp), key=lambda g: g.length)
    junction = Point(shapely.get_coordinates(other.intersection(s).intersection(c.buffer(1e-7)))[0])
    if Point(rp.coords[-1]).distance(junction) < Point(rp.coords[0]).distance(junction):
        rp = LineString(rp.coords[::-1])
    cp = min(_lines(cp), key=lambda g: g.distance(junction))
    if Point(cp.coords[0]).distance(junction) < Point(cp.coords[-1]).distance(junction):
        cp = LineString(cp.coords[::-1])
    course = LineString(list(cp.coords) + list(rp.coords)[1:])
    junction_s = course.project(Point(shapely.get_coordinates(other.intersection(s).intersection(c.buffer(1)))[0]))
    return substring(course, max(0.0, junction_s - spec.upstream_extra_m), course.length)


def resample(line: LineString, step: float) -> np.ndarray:
    n = max(2, int(np.ceil(line.length / step)) + 1)
    return shapely.get_coordinates(line.interpolate(np.linspace(0, line.length, n)))


def smooth(xy: np.ndarray, sigma_samples: float) -> np.ndarray:
    out = ndimage.gaussian_filter1d(xy, sigma_samples, axis=0, mode="nearest")
    out[0], out[-1] = xy[0], xy[-1]
    return out


def normals(xy: np.ndarray) -> np.ndarray:
    d = np.gradient(xy, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return np.column_stack([-d[:, 1], d[:, 0]])  # left of the direction of flow


def curvature(xy: np.ndarray) -> np.ndarray:
    dx, dy = np.gradient(xy[:, 0]), np.gradient(xy[:, 1])
    ddx, ddy = np.gradient(dx), np.gradient(dy)
    return (dx * ddy - dy * ddx) / np.power(dx * dx + dy * dy, 1.5)  # >0: bending left


def _to_metric(lonlat, crs: str):
    return gpd.GeoSeries(list(lonlat), crs=4326).to_crs(crs).tolist()


def estuary_and_mouth(spec: Spec, land_m: gpd.GeoDataFrame, sea, head: Point):
    """``inlet`` mode: the sea inlet nearest the course's end, cut off by the closing lines (each the shortest
    line between the land parts nearest its two configured points); returns (estuary, first closing line)."""
    inlet = [g for g in sea.geoms] if sea.geom_type == "MultiPolygon" else [sea]
    inlet = min(inlet, key=lambda g: g.distance(head))
    parts = [p for g in land_m.geometry for p in getattr(g, "geoms", [g])]
    lines = []
    for pa, pb in spec.closing:
        qa, qb = _to_metric([Point(pa), Point(pb)], spec.crs)
        part_a = min(parts, key=lambda p: p.distance(qa))
        part_b = min(parts, key=lambda p: p.distance(qb))
        lines.append(shapely.shortest_line(part_a, part_b))
    cut = inlet
    for ln in lines:
        cut = cut.difference(ln.buffer(0.05))
    estuary = min(list(getattr(cut, "geoms", [cut])), key=lambda g: g.distance(head))
    for ln in lines:
        estuary = estuary.union(ln.buffer(0.05))
    return estuary.buffer(0), lines[0]


def build(spec: Spec | Path, out_dir: Path | None = None) -> dict[str, Path]:
    """Generate the modelled files of ``spec`` into ``out_dir`` (default: the spec's folder)."""
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    out_dir = Path(out_dir) if out_dir is not None else spec.path.parent
    land = gpd.read_file(spec.coast).set_index(spec.coast_field)
    lonlat_frame = box(*spec.extent)
    sea_ll = lonlat_frame.difference(shapely.union_all(land.geometry.values))
    land_m = land.to_crs(spec.crs)
    sea = gpd.GeoSeries([sea_ll], crs=4326).to_crs(spec.crs).iloc[0]

    if spec.course_mode == "border":
        course = border_course(land_m, spec, sea)
    else:
        course = LineString([p.coords[0] for p in _to_metric([Point(q) for q in spec.line], spec.crs)])
    if spec.length_m is not None and spec.length_m < course.length:
        course = substring(course, course.length - spec.length_m, course.length)

    xy = resample(course, spec.sample_m)
    xy = smooth(xy, spec.smooth_sigma_m / spec.sample_m)
    centre = LineString(xy)
    head = Point(course.coords[-1])
    if spec.mouth_mode == "inlet":
        # the water downstream of the course's end is the sea inlet of the coast file, closed at the sea; the
        # model course continues through it straight to the first closing line's midpoint
        estuary, mouth_line = estuary_and_mouth(spec, land_m, sea, head)
        tail_end = mouth_line.interpolate(0.5, normalized=True)
    else:
        # the channel runs on past the coast, straight along its last direction, so that both banks cross
        # the coastline: the water's outer ring leaves the land there (the pipeline's mouth)
        estuary = None
        d = xy[-1] - xy[-2]
        tail_end = Point(xy[-1] + d / np.linalg.norm(d) * spec.sea_extension_m)
    tail = LineString([centre.coords[-1], tail_end.coords[0]])
    full = LineString(list(centre.coords) + list(tail.coords)[1:])
    fxy = smooth(resample(full, spec.step_m), spec.tail_smooth_m / spec.step_m)
    full = LineString(fxy)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(fxy, axis=0), axis=1))])
    # the channel's length: to the estuary head (inlet: the course's smoothed length, as first built) or
    # along the resmoothed line to the coast (channel: so that the width at the coast is the width at the mouth)
    L_channel = centre.length if estuary is not None else float(s[np.argmin(np.hypot(*(fxy - xy[-1]).T))])

    # width profile on the channel part (an inlet estuary keeps its OSM shores)
    u = np.clip(s / L_channel, 0, 1)
    width = (spec.width_up_m + (spec.width_mouth_m - spec.width_up_m) * u ** spec.width_exponent
             + spec.oscillation_m * np.sin(2 * np.pi * s / spec.oscillation_wavelength_m)
             * (1 - spec.oscillation_decay * u))
    nrm = normals(fxy)
    in_channel = s <= L_channel + spec.channel_past_head_m if estuary is not None else np.ones_like(s, bool)
    left = fxy[in_channel] + nrm[in_channel] * (width[in_channel, None] / 2)
    right = fxy[in_channel] - nrm[in_channel] * (width[in_channel, None] / 2)
    ring = Polygon(np.vstack([left, right[::-1]]))
    if estuary is None and not ring.is_valid:
        # bends tighter than the half width fold a bank over itself; buffer(0) could drop water
        raise ValueError(f"{spec.path}: the channel's banks cross themselves ({shapely.is_valid_reason(ring)}): "
                         "smooth the course more or narrow the river")
    channel = ring.buffer(0)
    water = shapely.union_all([channel, estuary]).buffer(0) if estuary is not None else channel

    # islands (holes), each pushed to one side so that the other branch is the wider, main channel
    islands = []
    for isl in spec.islands:
        i = int(np.searchsorted(s, isl.at * L_channel))
        if isl.follow_channel:
            # in channel coordinates: an ellipse in (along, across), so that it bends with the channel
            sel = np.abs(s - s[i]) < isl.half_length_m
            e = np.sqrt(np.clip(1 - ((s[sel] - s[i]) / isl.half_length_m) ** 2, 0, 1))
            mid = fxy[sel] + nrm[sel] * (isl.side * 0.17 * width[sel])[:, None]
            hw = (isl.width_share * width[sel] / 2 * e)[:, None]
            islands.append(Polygon(np.vstack([mid + nrm[sel] * hw, (mid - nrm[sel] * hw)[::-1]])).buffer(0))
            continue
        w = width[i]
        c = fxy[i] + nrm[i] * isl.side * 0.17 * w
        t = np.array([-nrm[i, 1], nrm[i, 0]])
        ang = np.linspace(0, 2 * np.pi, 73)[:-1]
        pts = c + np.outer(np.cos(ang) * isl.half_length_m, t) + np.outer(np.sin(ang) * isl.width_share * w / 2, nrm[i])
        islands.append(Polygon(pts))
    if islands:
        water = water.difference(shapely.union_all(islands)).buffer(0)
    water = shapely.set_precision(water, 0.01)

    meta = {"MODELLED": "yes", "DESCRIPTION": spec.description, "GENERATOR": GENERATOR,
            "SOURCE": spec.source, "CREATED": spec.created}
    out_dir.mkdir(parents=True, exist_ok=True)
    gpkg = out_dir / spec.river_file
    if gpkg.exists():
        gpkg.unlink()
    water_parts = list(getattr(water, "geoms", [water]))

    def write(gdf: gpd.GeoDataFrame, layer: str, **kw) -> None:
        # a fixed last_change per layer makes the GeoPackage reproducible
        stamp = spec.layer_dates.get(layer, f"{spec.created}T00:00:00.000Z")
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": stamp})
        try:
            gdf.to_file(gpkg, layer=layer, driver="GPKG", **kw)
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})

    write(gpd.GeoDataFrame({"name": [f"{spec.name} water area part {i+1}" for i in range(len(water_parts))],
                            "modelled": [1] * len(water_parts),
                            "source": [f"modelled: {GENERATOR}"] * len(water_parts)},
                           geometry=water_parts, crs=spec.crs), "water", metadata=meta,
          layer_options={"DESCRIPTION": spec.water_layer_description})
    write(gpd.GeoDataFrame({"name": ["model centreline"], "modelled": [1]}, geometry=[full], crs=spec.crs),
          "model_centreline",
          layer_options={"DESCRIPTION": "MODELLED course used to build the banks (smoothed OSM line)"})
    made = {"river": gpkg}
    if spec.depth_file is None:
        return made

    # model thalweg: offset toward the outer bank in bends, through the main branch at islands
    kappa = ndimage.gaussian_filter1d(curvature(fxy), spec.curvature_smooth_m / spec.step_m)
    half = np.where(in_channel, width / 2, spec.outer_half_width_m)
    offset_frac = np.clip(-kappa * spec.bend_gain_m * 0.5 / np.maximum(half, 1) * half / spec.bend_norm_m, -0.5, 0.5)
    for isl in spec.islands:
        centre_s = isl.at * L_channel
        wgt = np.exp(-((s - centre_s) / (isl.half_length_m * 1.1)) ** 4)
        offset_frac = offset_frac * (1 - wgt) + (-isl.side * spec.island_swing) * wgt
    offset_frac[s > L_channel] *= np.clip(1 - (s[s > L_channel] - L_channel) / spec.estuary_fade_m, 0, 1)
    offset_frac[:10] *= np.linspace(0, 1, 10)
    thalweg_xy = fxy + nrm * (offset_frac * half)[:, None]
    thalweg = LineString(thalweg_xy)
    thalweg = thalweg.intersection(water.buffer(-5)) if not water.buffer(-5).contains(thalweg) else thalweg
    if thalweg.geom_type != "LineString":
        thalweg = max(_lines(linemerge(_lines(thalweg))), key=lambda g: g.length)

    # depth grid
    cell = spec.cell_m
    minx, miny, maxx, maxy = water.bounds
    minx, miny = np.floor(minx / cell) * cell - 50, np.floor(miny / cell) * cell - 50
    maxx, maxy = np.ceil(maxx / cell) * cell + 50, np.ceil(maxy / cell) * cell + 50
    ncol, nrow = int((maxx - minx) / cell), int((maxy - miny) / cell)
    transform = from_origin(minx, maxy, cell, cell)
    mask = rasterize([(water, 1)], out_shape=(nrow, ncol), transform=transform, dtype="uint8").astype(bool)
    rows, cols = np.nonzero(mask)
    cx = minx + (cols + 0.5) * cell
    cy = maxy - (rows + 0.5) * cell
    tpts = resample(thalweg, 2.0)
    ts = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(tpts, axis=0), axis=1))])
    d_thal, idx = cKDTree(tpts).query(np.column_stack([cx, cy]))
    frac_s = ts[idx] / ts[-1]
    dmax = spec.depth_up_m + (spec.depth_mouth_m - spec.depth_up_m) * frac_s ** spec.depth_exponent
    sigma = spec.sigma_up_m + (spec.sigma_mouth_m - spec.sigma_up_m) * frac_s
    bank_dist = ndimage.distance_transform_edt(mask) * cell
    taper = np.clip(bank_dist[rows, cols] / spec.bank_taper_m, 0.0, 1.0)
    depth = np.full((nrow, ncol), NODATA, dtype="float32")
    depth[rows, cols] = (spec.min_depth_m + dmax * np.exp(-(d_thal / sigma) ** 2)) * taper

    write(gpd.GeoDataFrame({"name": ["model thalweg"], "modelled": [1]}, geometry=[thalweg], crs=spec.crs),
          "model_thalweg",
          layer_options={"DESCRIPTION": "MODELLED deepest line: the ridge of the modelled depth grid"})
    tif = out_dir / spec.depth_file
    with rasterio.open(tif, "w", driver="GTiff", width=ncol, height=nrow, count=1, dtype="float32",
                       crs=spec.crs, transform=transform, nodata=NODATA, compress="deflate",
                       predictor=3, tiled=True, blockxsize=256, blockysize=256) as dst:
        dst.write(depth, 1)
        dst.update_tags(**meta, UNITS="metres below water surface")
        dst.set_band_description(1, "MODELLED depth (m)")
    made["depth"] = tif
    return made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spec", type=Path, nargs="+", help="inputs/<case>/modelled/model.toml")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: the spec's folder)")
    args = ap.parse_args()
    for spec in args.spec:
        for role, p in build(spec, args.out).items():
            print(f"{role}: {p}")


if __name__ == "__main__":
    main()
