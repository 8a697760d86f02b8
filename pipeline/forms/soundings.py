"""Depth form ``soundings``: points in any GDAL vector format (read in the file's own CRS), or a CSV with x/y or
lon/lat columns (CRS ``inputs.depth_crs``), depth in ``inputs.depth_field`` (``inputs.depth_positive``:
"down" depths, "up" elevations).

The soundings go through the datum path into the metric CRS and are interpolated onto a north-up grid of
``inputs.depth_cell_m`` cells over the water area: linear interpolation on their Delaunay triangulation
(``scipy.interpolate.griddata``), and the nearest sounding for water cells outside their convex hull. Linear,
not a radial-basis fit: it honours every sounding, never leaves the range of the measured depths (an RBF
overshoots between cross-sections a hundred metres apart and can make dry or negative cells in the channel
the thalweg follows), and needs no shape parameter. Cells whose centre lies outside the water are NaN.

The soundings must survey ``inputs.soundings_min_coverage`` of the water (within ``inputs.soundings_reach_m``);
a flat bed (relief below ``inputs.depth_min_relief_m``) is refused when the thalweg or the deepest channel is
used; a grid of more than :data:`MAX_GRID_CELLS` cells is refused before it is made. Takes any depth file
no other depth form recognises (its reading says what is wrong with it).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ..errors import InputError
from ..geodesy import parse_crs
from ..model import DepthGrid
from ..readers import read_vector, read_xy_csv
from . import Context, Form, Probe
from ._depth import check_relief

if TYPE_CHECKING:
    from ..config import Config
    from ..geodesy import Geodesy

log = logging.getLogger(__name__)

MIN_SOUNDINGS = 3                                     # a triangle: the least linear interpolation needs
MAX_GRID_CELLS = 50_000_000                           # soundings grid: 400 MB of float64, plus the same again
ROLE = "depth soundings"


def recognises(path: Path, probe: Probe) -> bool:
    """Any depth file (this form is asked last: ``priority`` 90).

    Parameters
    ----------
    path : Path
        The depth file.
    probe : Probe
        Not used.

    Returns
    -------
    bool
        True.
    """
    return True


def _read_csv_soundings(path: Path, cfg: Config) -> tuple[np.ndarray, np.ndarray, CRS, str]:
    """(xy (n, 2) as written, values (n,) as written, ``inputs.depth_crs``, how they were read) of a CSV."""
    ic = cfg.inputs
    table = read_xy_csv(path, ROLE, value_column=ic.depth_field, value_key="inputs.depth_field")
    crs = parse_crs(ic.depth_crs)
    if table.axes[0] in ("lon", "longitude") and not crs.is_geographic:
        raise InputError(path, f"{ROLE}: columns {'/'.join(table.axes)} but inputs.depth_crs = "
                               f"{ic.depth_crs!r} ({crs.name}) is not a geographic CRS")
    return table.xy, table.values, crs, f"CSV columns {'/'.join(table.axes)} in {crs.name}"


def _read_soundings(path: Path, cfg: Config) -> tuple[np.ndarray, np.ndarray, CRS, str]:
    """(xy (n, 2) in the file's CRS, values (n,) as written, that CRS, how they were read)."""
    ic = cfg.inputs
    if path.suffix.lower() == ".csv":
        return _read_csv_soundings(path, cfg)
    vec = read_vector(path, ic.depth_layer, ROLE, "inputs.depth_layer")
    types = {g.geom_type for g in vec.geometry}
    if not types <= {"Point", "MultiPoint"}:
        raise InputError(path, f"{ROLE}: wrong geometry type {', '.join(sorted(types))}; expected points")
    if ic.depth_field not in vec.columns:
        raise InputError(path, f"{ROLE}: no column {ic.depth_field!r} (inputs.depth_field); columns: "
                               f"{', '.join(vec.columns) or 'none'}")
    parts, index = shapely.get_parts(vec.geometry, return_index=True)
    try:
        values = np.asarray(vec.columns[ic.depth_field], dtype=float)[index]
    except (TypeError, ValueError):
        raise InputError(path, f"{ROLE}: column {ic.depth_field!r} is not numeric") from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise InputError(path, f"{ROLE}: feature {int(index[np.flatnonzero(bad)[0]])} has no depth value in "
                               f"{ic.depth_field!r} ({int(bad.sum())} such feature(s))")
    crs = CRS.from_user_input(vec.crs)
    return shapely.get_coordinates(parts), values, crs, f"layer {vec.layer} in {crs.name}"


@dataclass(frozen=True)
class _Soundings:
    """The soundings inside the water: ``xy`` (n, 2) metric, ``depth`` (n,) metres positive down; how many
    were dropped (outside the water), and how they were read."""

    xy: np.ndarray
    depth: np.ndarray
    n_outside: int
    how: str


def _soundings_in_water(path: Path, cfg: Config, water: BaseGeometry, geo: Geodesy) -> _Soundings:
    """The file's soundings through the datum path into the metric CRS, those outside the water dropped."""
    ic = cfg.inputs
    xy_file, values, crs, how = _read_soundings(path, cfg)
    if len(values) < MIN_SOUNDINGS:
        raise InputError(path, f"{ROLE}: {len(values)} sounding(s); at least {MIN_SOUNDINGS} are needed to "
                               "interpolate a depth grid")
    depth = values if ic.depth_positive == "down" else -values
    ll = geo.xy_to_lonlat(xy_file, crs)
    if not np.isfinite(ll).all():
        raise InputError(path, f"{ROLE}: coordinates cannot be transformed from {crs.name} to WGS 84 (outside the "
                               "CRS's area of use?)")
    xy = geo.lonlat_to_metric(ll)
    near_water = water.buffer(ic.depth_cell_m)  # soundings on the bank line itself count as in the water
    shapely.prepare(near_water)
    inside = shapely.contains_xy(near_water, xy[:, 0], xy[:, 1])
    if inside.sum() < MIN_SOUNDINGS:
        w, s, e, n = (float(v) for v in (*ll.min(axis=0), *ll.max(axis=0)))
        raise InputError(path, f"{ROLE}: {int((~inside).sum())} of {len(values)} soundings lie outside the river "
                               f"water area, {int(inside.sum())} inside (at least {MIN_SOUNDINGS} needed); the "
                               f"soundings span lon {w:.5f}..{e:.5f}, lat {s:.5f}..{n:.5f} read in {crs.name} "
                               "(wrong CRS, or x/y swapped?)")
    if not inside.all():
        log.warning("%s: %d of %d soundings lie outside the river water area; they are not used", path.name,
                    int((~inside).sum()), len(values))
    xy, depth = xy[inside], depth[inside]
    if not (depth > 0).any():
        raise InputError(path, f"{ROLE}: no sounding inside the water has a positive depth (values "
                               f"{depth.min():g}..{depth.max():g} m with inputs.depth_positive = "
                               f"{ic.depth_positive!r}; elevations need \"up\", depths \"down\")")
    return _Soundings(xy, depth, int((~inside).sum()), how)


@dataclass(frozen=True)
class _WaterCells:
    """The grid over the water's bounds: ``transform`` (affine, metric), ``shape`` (rows, cols); the water
    cells' indices ``rows``, ``cols`` and centres ``cx``, ``cy`` (metric)."""

    transform: object
    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    cx: np.ndarray
    cy: np.ndarray


def _water_cells(cfg: Config, water: BaseGeometry) -> _WaterCells:
    """The north-up grid of ``inputs.depth_cell_m`` cells (aligned to multiples of the cell) over the water,
    and its water cells (centre inside); a grid of more than :data:`MAX_GRID_CELLS` is refused before it is
    allocated, naming the config."""
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    cell = cfg.inputs.depth_cell_m
    minx, miny, maxx, maxy = water.bounds
    x0, y1 = np.floor(minx / cell) * cell, np.ceil(maxy / cell) * cell
    n_cells = np.ceil((maxx - x0) / cell) * np.ceil((y1 - miny) / cell)
    if n_cells > MAX_GRID_CELLS:   # estimated before anything is allocated
        raise InputError(cfg.path, f"inputs.depth_cell_m = {cell:g} m would grid the river's "
                                   f"{(maxx - minx) / 1000:.1f} x {(maxy - miny) / 1000:.1f} km extent into "
                                   f"{n_cells:.3g} cells (at most {MAX_GRID_CELLS:,}); use a larger cell")
    width, height = int(np.ceil((maxx - x0) / cell)), int(np.ceil((y1 - miny) / cell))
    transform = from_origin(x0, y1, cell, cell)
    wet = rasterize([(water, 1)], out_shape=(height, width), transform=transform, dtype="uint8").astype(bool)
    rows, cols = np.nonzero(wet)
    cx, cy = transform @ (cols + 0.5, rows + 0.5)
    return _WaterCells(transform, (height, width), rows, cols, cx, cy)


def _surveyed(path: Path, soundings: np.ndarray, cells: np.ndarray, cfg: Config) -> float:
    """The fraction of the water cells (centres ``cells``) within ``inputs.soundings_reach_m`` of a sounding;
    below ``inputs.soundings_min_coverage`` the grid would be mostly nearest-neighbour fill, not measurement:
    an InputError naming the soundings file."""
    from scipy.spatial import cKDTree

    ic = cfg.inputs
    if len(cells) == 0:
        return 0.0
    dist, _ = cKDTree(soundings).query(cells, distance_upper_bound=ic.soundings_reach_m)
    frac = float(np.isfinite(dist).mean())
    if frac < ic.soundings_min_coverage:
        raise InputError(path, f"depth soundings: only {frac:.1%} of the river's water lies within "
                               f"inputs.soundings_reach_m = {ic.soundings_reach_m:g} m of a sounding (at least "
                               f"inputs.soundings_min_coverage = {ic.soundings_min_coverage:.0%} needed); the rest "
                               "would be filled from the nearest sounding, not measured")
    return frac


def _interpolate(path: Path, s: _Soundings, cells: _WaterCells) -> np.ndarray:
    """Depth at the water cells' centres: linear on the soundings' triangulation, the nearest sounding beyond
    their hull; the grid (NaN off the water)."""
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    try:
        est = griddata(s.xy, s.depth, (cells.cx, cells.cy), method="linear")
    except QhullError:
        raise InputError(path, f"{ROLE}: the {len(s.depth)} soundings in the water lie on one line; they cannot be "
                               "triangulated") from None
    gap = ~np.isfinite(est)
    if gap.any():
        est[gap] = griddata(s.xy, s.depth, (cells.cx[gap], cells.cy[gap]), method="nearest")
    grid = np.full(cells.shape, np.nan)
    grid[cells.rows, cells.cols] = est
    return grid


def read(path: Path, cfg: Config, context: Context) -> DepthGrid:
    """The soundings interpolated onto a grid over the river's water (see the module docstring).

    Parameters
    ----------
    path : Path
        The depth file.
    cfg : Config
        ``inputs.depth_*`` and ``inputs.soundings_*`` settings; the lines in use (flat-bed rule).
    context : Context
        The datum path and metric CRS (``geo``) and the river's water in it (``water``).

    Returns
    -------
    DepthGrid
        Depth in metres, positive down, on cells of ``inputs.depth_cell_m`` metres in the metric CRS
        (``form = "soundings"``); NaN off the water.
    """
    ic = cfg.inputs
    geo, water = context.geo, context.water
    s = _soundings_in_water(path, cfg, water, geo)
    cells = _water_cells(cfg, water)
    surveyed = _surveyed(path, s.xy, np.column_stack([cells.cx, cells.cy]), cfg)
    check_relief(path, ROLE, s.depth, cfg)
    grid = _interpolate(path, s, cells)
    hull = shapely.convex_hull(shapely.multipoints(s.xy))
    cover = float(hull.intersection(water).area / water.area)
    height, width = cells.shape
    detail = (f"{len(s.depth)} soundings ({s.how}; {s.n_outside} outside the water dropped; "
              f"{surveyed:.0%} of the water within {ic.soundings_reach_m:g} m of one), depth "
              f"{s.depth.min():.2f}..{s.depth.max():.2f} m, positive {ic.depth_positive}; linear interpolation "
              f"(nearest beyond their hull, which covers {cover:.0%} of the water) on {width} x {height} cells of "
              f"{ic.depth_cell_m:g} m in {geo.metric.name}")
    return DepthGrid(grid, cells.transform, geo.metric, float(ic.depth_cell_m), "soundings", detail)


FORM = Form(name="soundings", role="depth", describes="depth soundings", priority=90, recognises=recognises,
            read=read)
