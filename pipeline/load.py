"""Stage 1 -- load: read every input, validate it, repair what can be repaired, and put it in the metric CRS.

Every input goes through the same datum path (:class:`pipeline.geodesy.Geodesy`: the file's CRS ->
WGS 84 by pyproj's best operation for the data extent -> the metric CRS), treaty points included. The river
and the depth are read by the input form that recognises them (:mod:`pipeline.forms`, a registry: nothing
here knows one form from another); the river's water area goes through the datum path from the CRS its form
states. Each problem raises an :class:`~pipeline.errors.InputError` naming the file. Nothing here computes a
border.

:func:`load_inputs` reads like a recipe, in the order the inputs are trusted: the coast (which fixes the
extent and the metric CRS), the river against the coast, the treaty points against the river, the depth
against the river, then the reference and the control points (validation only).
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import ProjError
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from . import forms, geometry
from .config import Config
from .errors import InputError, one_line
from .geodesy import WGS84, Geodesy, LonLatBox, densify_in, operation_accuracy_m, resolve_metric_crs
from .model import DepthGrid, InputFile, Inputs, TreatyPoint
from .readers import VectorLayer, read_points, read_vector, repair_polygons, require_file, sha256

log = logging.getLogger(__name__)
MAX_SHORE_POINTS = 2_000_000   # Voronoi sites of the medial axis: about 1 GB of diagram at most
MAX_COAST_OVERLAP_M2 = 100.0   # two states' land polygons may overlap by digitising slivers up to this area


# ------------------------------------------------------------------------------------------ geometry checks
def check_not_degenerate(geom: BaseGeometry, path: Path, role: str, what: str, min_width_m: float) -> None:
    """A (metric) polygon area whose mean width (2 area / perimeter) is below ``min_width_m`` is degenerate.

    Parameters
    ----------
    geom : shapely geometry
        A (multi)polygon in the metric CRS (metres).
    path : Path
        The file it comes from, named by the error.
    role : str
        What the file is, for the message.
    what : str
        What the polygon is, for the message (e.g. "the water area").
    min_width_m : float
        The least mean width, in metres.
    """
    width = 2 * geom.area / geom.length if geom.length > 0 else 0.0
    if width < min_width_m:
        raise InputError(path, f"{role}: {what} is degenerate: area {geom.area:.3g} m2, mean width {width:.3g} m "
                               "(zero-area or sliver polygons?)")


def check_lonlat(geom_ll: BaseGeometry, path: Path, role: str) -> None:
    """After the datum path, coordinates must be finite lon/lat (a wrong axis order shows up here).

    Parameters
    ----------
    geom_ll : shapely geometry
        A geometry in WGS 84 lon/lat (degrees).
    path : Path
        The file it comes from, named by the error.
    role : str
        What the file is, for the message.
    """
    xy = shapely.get_coordinates(geom_ll)
    if not np.isfinite(xy).all():
        raise InputError(path, f"{role}: coordinates cannot be transformed to WGS 84 (outside the CRS's area of use?)")
    minx, miny = xy.min(axis=0)
    maxx, maxy = xy.max(axis=0)
    if miny < -90 or maxy > 90:
        hint = " (lat/lon swapped?)" if -90 <= minx and maxx <= 90 else ""
        raise InputError(path, f"{role}: latitudes outside [-90, 90]{hint}: bounds "
                               f"{[round(float(v), 4) for v in (minx, miny, maxx, maxy)]}")
    if minx < -180 or maxx > 180:
        raise InputError(path, f"{role}: longitudes outside [-180, 180]: bounds "
                               f"{[round(float(v), 4) for v in (minx, miny, maxx, maxy)]}")


# ------------------------------------------------------------------------------------------ coast & extent
def _lonlat_bounds(layer: VectorLayer) -> LonLatBox:
    """Bounds in lon/lat, only to choose the area of interest (pyproj's default operation suffices)."""
    from pyproj import Transformer

    minx, miny, maxx, maxy = shapely.total_bounds(layer.geometry)
    if CRS.from_user_input(layer.crs).equals(WGS84, ignore_axis_order=True):
        return (float(minx), float(miny), float(maxx), float(maxy))
    t = Transformer.from_crs(layer.crs, WGS84, always_xy=True)
    return tuple(float(v) for v in t.transform_bounds(minx, miny, maxx, maxy))  # type: ignore[return-value]


def _by_side(layer: VectorLayer, field: str, role: str, repairs: list[str]) -> dict[str, BaseGeometry]:
    if field not in layer.columns:
        raise InputError(layer.path, f"{role}: no column {field!r} naming the country of each polygon "
                                     f"(columns: {', '.join(layer.columns) or 'none'})")
    codes = [str(v) for v in layer.columns[field]]
    polys = repair_polygons(layer.geometry, [f"{field}={c}" for c in codes], layer.path, role, repairs)
    out: dict[str, list] = {}
    for code, g in zip(codes, polys):
        out.setdefault(code, []).append(g)
    return {code: shapely.union_all(gs) for code, gs in out.items()}


def _wgs84_op(geo: Geodesy, crs: CRS, path: Path, role: str):
    """The datum operation ``crs`` -> WGS 84 for the data extent; an InputError naming ``path`` when PROJ has none
    (e.g. a CRS of another body, or an engineering CRS)."""
    try:
        return geo.to_wgs84_op(crs)
    except (ValueError, ProjError):
        raise InputError(path, f"{role}: PROJ knows no datum transformation from its CRS ({crs.name}) to "
                               "WGS 84") from None


def _to_metric(geo: Geodesy, geom: BaseGeometry, crs, path: Path, role: str, max_edge_m: float) -> BaseGeometry:
    """``geom`` from ``crs`` through the datum path (-> WGS 84, checked, -> the metric CRS), its edges first split
    to at most ``max_edge_m`` in ``crs`` (:func:`pipeline.geodesy.densify_in`: straight there, curved here)."""
    src = CRS.from_user_input(crs)
    _wgs84_op(geo, src, path, role)
    geom = densify_in(geom, src, max_edge_m)
    ll = shapely.transform(geom, lambda xy: geo.xy_to_lonlat(xy, src))
    check_lonlat(ll, path, role)
    return geo.to_metric(ll)


# ------------------------------------------------------------------------------------------ treaty points
def treaty_points(path: Path, geo: Geodesy, unstated_crs: str) -> dict[str, TreatyPoint]:
    """Every row transformed to WGS 84 from the datum it was read in: its ``crs`` column, or
    ``unstated_crs`` when the source states none.

    Parameters
    ----------
    path : Path
        The treaty points CSV (:func:`pipeline.readers.read_points`).
    geo : Geodesy
        The run's datum path: pyproj's best operation to WGS 84 for the data extent.
    unstated_crs : str
        The geographic CRS a row without a ``crs`` is read in (``treaty.unstated_datum_crs``).

    Returns
    -------
    dict of str to TreatyPoint
        By id, in file order: as published, and in WGS 84 lon/lat (degrees) with the operation used.
    """
    out = {}
    for r in read_points(path):
        crs_used = r.crs or unstated_crs
        crs = CRS.from_user_input(crs_used)
        op = _wgs84_op(geo, crs, path, f"treaty points line {r.line} ({r.id})")
        lon, lat = geo.xy_to_lonlat(np.array([[r.lon, r.lat]]), crs)[0]
        if not (np.isfinite(lon) and np.isfinite(lat)):
            raise InputError(path, f"treaty points line {r.line} ({r.id}): no datum transform from {crs_used} "
                                   "to WGS 84 at this place")
        w, s, e, n = geo.area
        if not (w <= lon <= e and s <= lat <= n):
            raise InputError(path, f"treaty points line {r.line} ({r.id}): {lat:.6f} N {lon:.6f} E lies outside "
                                   f"the data extent {[round(v, 3) for v in geo.area]} (lat/lon swapped?)")
        out[r.id] = TreatyPoint(r.id, r.name, r.kind, r.datum, r.crs, r.lat, r.lon, r.published, r.source,
                                crs_used, float(lon), float(lat), op.description if op else "",
                                operation_accuracy_m(op) if op else None)
    return out


def _require_points(cfg: Config, points: dict[str, TreatyPoint]) -> None:
    cfg_name = cfg.path.name if cfg.path else "the config"
    t = cfg.tripoint
    wanted = [("tripoint.monument", t.monument, "monument"),
              ("tripoint.compare_monument", t.compare_monument, "monument"),
              *(("tripoint.dividing_line", pid, "monument") for pid in (t.dividing_line if t.rule == "dividing_line"
                                                                         else [])),
              ("treaty.mouth_point", cfg.treaty.mouth_point, None),
              ("treaty.end_point", cfg.treaty.end_point, None)]
    for key, pid, kind in wanted:
        if not pid:
            continue
        if pid not in points:
            raise InputError(cfg.inputs.points, f"treaty points: no point with id {pid!r}, which {key} in "
                                                f"{cfg_name} names (ids: {', '.join(points)})")
        if kind and points[pid].kind != kind:
            raise InputError(cfg.inputs.points, f"treaty points: {pid!r} ({key}) has kind {points[pid].kind!r}, "
                                                f"expected {kind!r}")


# ------------------------------------------------------------------------------------------ the stage
def load_inputs(cfg: Config) -> Inputs:
    """Read, validate and project every input named by ``cfg``.

    Parameters
    ----------
    cfg : Config
        The run's settings (``[inputs]`` names the files).

    Returns
    -------
    Inputs
        Geometries in the metric CRS of ``Inputs.geo`` (metres); treaty points in WGS 84; the depth grid in the
        CRS it states.

    Raises
    ------
    InputError
        naming the file at fault and the problem.
    """
    repairs: list[str] = []
    for role, p in cfg.inputs.files().items():
        require_file(p, role if role != "points" else "treaty points")
    coast = read_vector(cfg.inputs.coast, cfg.inputs.coast_layer, "coast", "inputs.coast_layer")
    bounds = _extent(cfg, coast)
    geo = _geodesy(cfg, bounds)
    land = _land(cfg, coast, geo, repairs)
    frame = geo.to_metric(shapely.segmentize(box(*bounds), 0.001))
    river_form, water, river_detail = _river(cfg, geo, repairs)
    _check_river_by_the_coast(cfg, water, land, frame, bounds)
    points = treaty_points(cfg.inputs.points, geo, cfg.treaty.unstated_datum_crs)
    _require_points(cfg, points)
    _check_monument_by_the_river(cfg, water, points, geo, land)
    depth = _depth(cfg, geo, water, points)
    reference = _reference(cfg, geo, repairs)
    controls = _controls(cfg, geo, points)
    detail = {"controls": ("csv", f"{len(controls)} control points, validation only"),
              "coast": (coast.layer, f"{len(coast.geometry)} polygons, layer {coast.layer}"),
              "river": (river_form, river_detail),
              "depth": (depth.form, depth.detail) if depth is not None else ("", ""),
              "points": ("csv", f"{len(points)} points"),
              "reference": ("vector", "reference only, never used to compute")}
    log.info("loaded coast (%d polygons), river (%s), %d treaty points%s; metric CRS %s", len(coast.geometry),
             river_form, len(points), f", depth ({depth.form})" if depth is not None else "", geo.metric.name)
    return Inputs(geo, frame, land, water, points, depth, reference, _input_files(cfg, detail), tuple(repairs),
                  controls)


def _extent(cfg: Config, coast: VectorLayer) -> LonLatBox:
    """The data extent in lon/lat: the coast data's bounds, or ``inputs.coast_extent`` when it contains them."""
    ic = cfg.inputs
    try:
        bounds = _lonlat_bounds(coast)
    except ProjError as exc:
        raise InputError(ic.coast, f"coast: no transformation from its CRS to WGS 84 ({one_line(exc)})") from None
    check_lonlat(box(*bounds), ic.coast, "coast")   # before the extent is compared: a lat/lon swap shows here
    if ic.coast_extent:
        w, s, e, n = ic.coast_extent
        tol = 1e-6
        if not (w <= bounds[0] + tol and e >= bounds[2] - tol and s <= bounds[1] + tol and n >= bounds[3] - tol):
            raise InputError(cfg.path, f"inputs.coast_extent {ic.coast_extent} does not contain the coast data's "
                                       f"bounds {[round(v, 5) for v in bounds]}")
        bounds = (float(w), float(s), float(e), float(n))
    return bounds


def _geodesy(cfg: Config, bounds: LonLatBox) -> Geodesy:
    """The run's datum path and metric CRS (``crs.metric``) for the extent ``bounds``."""
    try:
        return Geodesy(resolve_metric_crs(cfg.crs.metric, bounds), bounds)
    except ValueError as exc:
        raise InputError(cfg.path, f"crs.metric: {exc}") from None


def _land(cfg: Config, coast: VectorLayer, geo: Geodesy, repairs: list[str]) -> dict[str, BaseGeometry]:
    """Each state's land (metric), checked: both states of the border present, no overlap, not degenerate."""
    ic = cfg.inputs
    land_src = _by_side(coast, ic.coast_side_field, "coast", repairs)
    for code in cfg.sides.pair:
        if code not in land_src:
            raise InputError(ic.coast, f"coast: no polygon with {ic.coast_side_field} = {code!r} "
                                       f"(found {', '.join(sorted(land_src))})")
    land = {code: _to_metric(geo, g, coast.crs, ic.coast, "coast", cfg.crs.densify_m) for code, g in land_src.items()}
    _check_coast_overlap(land, ic.coast, ic.coast_side_field, geo)
    for code in cfg.sides.pair:
        check_not_degenerate(land[code], ic.coast, "coast", f"the land of {ic.coast_side_field} = {code!r}",
                             cfg.land.min_water_width_m)
    return land


def _river(cfg: Config, geo: Geodesy, repairs: list[str]) -> tuple[str, BaseGeometry, str]:
    """(the form that read the river, its water area in the metric CRS, what was taken): read by the form that
    recognises the file, then through the datum path from the CRS the form states, repaired and checked."""
    path = cfg.inputs.river
    form, area = forms.read("river", path, cfg, forms.Context(geo))
    repairs.extend(area.repairs)
    water = _to_metric(geo, area.geometry, area.crs, path, "river", cfg.crs.densify_m)
    if not water.is_valid:
        water = repair_polygons(np.array([water]), ["union of features"], path, "river", repairs)[0]
    check_not_degenerate(water, path, "river", "the water area", cfg.land.min_water_width_m)
    _check_shore_points(cfg, water)
    return form.name, water, area.detail


def _check_river_by_the_coast(cfg: Config, water: BaseGeometry, land: dict[str, BaseGeometry], frame: BaseGeometry,
                              bounds: LonLatBox) -> None:
    """The river's water must touch the coast's land and lie within the coast data's extent (metric)."""
    ic = cfg.inputs
    land_union = shapely.union_all(list(land.values()))
    if not water.intersects(land_union.buffer(cfg.land.mouth_snap_m)):
        where = "inside" if water.intersects(frame) else "outside"
        raise InputError(ic.river, f"river: the water area does not touch the coast data set's land: it lies "
                                   f"{water.distance(land_union) / 1000:.1f} km from it, {where} the coast extent "
                                   f"{[round(v, 3) for v in bounds]} (wrong CRS or wrong place?)")
    if not water.within(frame.buffer(cfg.land.mouth_snap_m)):
        out = water.difference(frame).area / water.area
        raise InputError(ic.river, f"river: {out:.1%} of the water area lies beyond the coast data set's extent "
                                   f"{[round(v, 3) for v in bounds]}")


def _depth(cfg: Config, geo: Geodesy, water: BaseGeometry, points: dict[str, TreatyPoint]) -> DepthGrid | None:
    """The depth grid (None without ``inputs.depth``), read by the form that recognises the file, given the
    river's water and the tripoint monument and the mouth point (metric) to arbitrate blame."""
    path = cfg.inputs.depth
    if path is None:
        return None
    try:
        anchors = {pid: shapely.Point(geo.lonlat_to_metric(np.array([points[pid].lonlat]))[0])
                   for pid in (cfg.tripoint.monument, cfg.treaty.mouth_point) if pid}
        _, depth = forms.read("depth", path, cfg, forms.Context(geo, water, anchors))
    except (ProjError, shapely.errors.GEOSException) as exc:   # PROJ or GEOS failing on the depth file's data
        raise InputError(path, f"depth: cannot be processed ({type(exc).__name__}: {one_line(exc)})") from None
    return depth


def _reference(cfg: Config, geo: Geodesy, repairs: list[str]) -> dict[str, BaseGeometry] | None:
    """The reference territories (metric) by state code (None without ``inputs.reference``)."""
    ic = cfg.inputs
    if ic.reference is None:
        return None
    ref = read_vector(ic.reference, ic.reference_layer, "reference border", "inputs.reference_layer")
    ref_src = _by_side(ref, ic.reference_side_field, "reference border", repairs)
    for code in cfg.sides.pair:
        if code not in ref_src:
            raise InputError(ic.reference, f"reference border: no polygon with {ic.reference_side_field} = "
                                           f"{code!r} (found {', '.join(sorted(ref_src))})")
    return {code: _to_metric(geo, g, ref.crs, ic.reference, "reference border",
                                   cfg.crs.densify_m) for code, g in ref_src.items()}


def _controls(cfg: Config, geo: Geodesy, points: dict[str, TreatyPoint]) -> dict[str, TreatyPoint]:
    """The control points (WGS 84) by id, each the id of a treaty point ({} without ``inputs.controls``)."""
    ic = cfg.inputs
    if ic.controls is None:
        return {}
    controls = treaty_points(ic.controls, geo, cfg.treaty.unstated_datum_crs)
    unknown = sorted(set(controls) - set(points))
    if unknown:
        raise InputError(ic.controls, f"control points: {', '.join(unknown)} are not ids of the treaty points "
                                      f"in {ic.points.name}")
    return controls


def _input_files(cfg: Config, detail: dict[str, tuple[str, str]]) -> dict[str, InputFile]:
    """Each input file by role: path (relative to the config folder's parent), sha256, size, form, detail."""
    return {role: InputFile(_relative(p, cfg.folder), sha256(p), p.stat().st_size, cfg.is_modelled(role),
                            detail[role][0], detail[role][1])
            for role, p in cfg.inputs.files().items()}


def _check_shore_points(cfg: Config, water: BaseGeometry) -> None:
    """Estimate, before any is made, the shore points ``land.bank_densify_m`` puts on the river's banks (outer
    ring and islands): more than :data:`MAX_SHORE_POINTS` is refused naming the key (a 1 mm spacing on 50 km
    of banks would be 50 million Voronoi sites)."""
    n = water.length / cfg.land.bank_densify_m
    if n > MAX_SHORE_POINTS:
        raise InputError(cfg.path, f"land.bank_densify_m = {cfg.land.bank_densify_m:g} m would put {n:.3g} shore "
                                   f"points on the river's {water.length / 1000:.1f} km of banks (at most "
                                   f"{MAX_SHORE_POINTS:,}); use a larger spacing")


def _check_coast_overlap(land: dict[str, BaseGeometry], path: Path, field: str, geo: Geodesy) -> None:
    """The coast's states' lands (metric) must not overlap: each place is one state's land. An overlap larger
    than :data:`MAX_COAST_OVERLAP_M2` (digitising slivers are smaller) names the coast file, before any other
    input is compared with the coast."""
    codes = sorted(land)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            both = shapely.intersection(land[a], land[b])
            if both.area > MAX_COAST_OVERLAP_M2:
                lon, lat = geo.metric_to_lonlat(np.array([both.representative_point().coords[0]]))[0]
                raise InputError(path, f"coast: the land of {field} = {a!r} and {b!r} overlap over "
                                       f"{both.area / 1e6:.3g} km2 (around {lat:.5f} N {lon:.5f} E); each place must "
                                       "be one state's land")


def _check_monument_by_the_river(cfg: Config, water: BaseGeometry, points: dict[str, TreatyPoint],
                                 geo: Geodesy, land: dict[str, BaseGeometry]) -> None:
    """Every point A is constructed from (the dividing line's markers, the monument and its other record)
    must lie within ``tripoint.monument_max_distance_m`` of the river's main water area (its largest connected
    part, which the channel lines follow).

    Which file is wrong when one does not -- the rule, with the coast (checked before) as the witness:

    * the point lies that close to a detached part of the water: the river file (its water falls apart);
    * the point lies within the same distance of the land of each state of the border (left, right and,
      when configured, third) in the coast data -- where the coast says the states meet: the coast
      corroborates the point, so the river file is at fault (cropped short of the tripoint, or misplaced);
    * otherwise the treaty points file (the point is where no states meet).

    Distances are planar in the metric CRS, whose scale error (a few ppm) is far below the tolerance.
    """
    limit = cfg.tripoint.monument_max_distance_m
    parts = sorted(geometry.polygons(shapely.union_all(geometry.polygons(water))), key=lambda p: p.area,
                   reverse=True)
    states = [c for c in (*cfg.sides.pair, cfg.sides.third) if c and c in land]
    for mid in cfg.tripoint.construction_points:
        at = shapely.Point(geo.lonlat_to_metric(np.array([points[mid].lonlat]))[0])
        what = f"{points[mid].kind} {mid}"
        d_main = parts[0].distance(at) if parts else float("inf")
        if d_main <= limit:
            continue
        d_any = water.distance(at)
        if d_any <= limit:
            raise InputError(cfg.inputs.river, f"river: the water area falls apart into {len(parts)} disconnected "
                                               f"parts; the largest, which the border follows, lies {d_main:.0f} m "
                                               f"from {what} (tripoint.monument_max_distance_m = {limit:g} m), a "
                                               f"detached part {d_any:.0f} m: join the parts of the river")
        to_land = {c: land[c].distance(at) for c in states}
        if to_land and max(to_land.values()) <= limit:
            raise InputError(cfg.inputs.river, f"river: the water area passes {d_any:.0f} m from {what} "
                                               f"(tripoint.monument_max_distance_m = {limit:g} m), which the coast "
                                               f"data corroborates (within {max(to_land.values()):.0f} m of the land "
                                               f"of {', '.join(states)}): the river misses the tripoint (cropped or "
                                               "misplaced?)")
        raise InputError(cfg.inputs.points, f"treaty points: {what} lies {d_any:.0f} m from the river's water "
                                            f"area (more than tripoint.monument_max_distance_m = {limit:g} m)")


def _relative(p: Path, base: Path) -> str:
    """``p`` relative to the config folder's parent when possible (how README and the report cite files)."""
    import os

    try:
        return os.path.relpath(Path(p).resolve(), base.parent)
    except ValueError:
        return str(p)


__all__ = ["load_inputs", "treaty_points", "repair_polygons", "check_not_degenerate", "DepthGrid"]
