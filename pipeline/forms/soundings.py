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
used. A grid whose box holds at most :data:`DENSE_MAX_CELLS` is filled whole; a larger one only in the windows
of :data:`WINDOW_CELLS` x :data:`WINDOW_CELLS` cells that the water touches (:func:`corridor_windows`), each
window's water cells interpolated on the one Delaunay triangulation of all the soundings (sized by the soundings,
not the grid), so every cell gets the value the whole grid would give it (``tests/test_soundings_windows.py``).
The cells gridded (the box, or the windows: the river's corridor) are refused above :data:`MAX_GRID_CELLS`
before anything is allocated. Takes any depth file
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
from ..model import DepthGrid, DepthWindow
from ..readers import read_vector, read_xy_csv
from . import Context, Form, Probe
from ._depth import check_relief

if TYPE_CHECKING:
    from ..config import Config
    from ..geodesy import Geodesy

log = logging.getLogger(__name__)

MIN_SOUNDINGS = 3                                     # a triangle: the least linear interpolation needs
MAX_GRID_CELLS = 50_000_000                           # soundings grid: 400 MB of float64, plus the same again
DENSE_MAX_CELLS = 1 << 22                             # a box of at most 4 M cells (32 MiB) is filled whole
WINDOW_CELLS = 128                                    # else: windows of 128 x 128 cells along the water
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
    # soundings within a cell of the water (on the bank line itself) count as in it: exact distances (GEOS's
    # prepared dwithin) for the few outside, not a buffer of the whole water (9.8 s for a 1,000 km river)
    shapely.prepare(water)
    inside = shapely.contains_xy(water, xy[:, 0], xy[:, 1])
    if not inside.all():
        inside[~inside] = shapely.dwithin(water, shapely.points(xy[~inside]), ic.depth_cell_m)
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


@dataclass(frozen=True)
class _Grid:
    """The north-up grid of ``cell`` metres over the water's bounds (aligned to multiples of the cell):
    ``transform`` (affine, metric) and ``shape`` (rows, cols) of the whole extent; nothing is allocated."""

    transform: object
    shape: tuple[int, int]
    cell: float


def _grid(cfg: Config, water: BaseGeometry) -> _Grid:
    """The grid of ``inputs.depth_cell_m`` cells over the water's bounds (not allocated)."""
    from rasterio.transform import from_origin

    cell = cfg.inputs.depth_cell_m
    minx, miny, maxx, maxy = water.bounds
    x0, y1 = np.floor(minx / cell) * cell, np.ceil(maxy / cell) * cell
    width, height = int(np.ceil((maxx - x0) / cell)), int(np.ceil((y1 - miny) / cell))
    return _Grid(from_origin(x0, y1, cell, cell), (height, width), float(cell))


def _water_cells(cfg: Config, water: BaseGeometry) -> _WaterCells:
    """The north-up grid of ``inputs.depth_cell_m`` cells (aligned to multiples of the cell) over the water,
    and its water cells (centre inside); a grid of more than :data:`MAX_GRID_CELLS` is refused before it is
    allocated, naming the config."""
    from rasterio.features import rasterize

    g = _grid(cfg, water)
    height, width = g.shape
    if height * width > MAX_GRID_CELLS:   # estimated before anything is allocated
        _refuse(cfg, water, height * width, "extent")
    wet = rasterize([(water, 1)], out_shape=(height, width), transform=g.transform, dtype="uint8").astype(bool)
    rows, cols = np.nonzero(wet)
    cx, cy = g.transform @ (cols + 0.5, rows + 0.5)
    return _WaterCells(g.transform, (height, width), rows, cols, cx, cy)


def _refuse(cfg: Config, water: BaseGeometry, n_cells: float, what: str):
    """An InputError naming the config: ``n_cells`` cells (of the river's ``what``) are too many."""
    cell = cfg.inputs.depth_cell_m
    minx, miny, maxx, maxy = water.bounds
    raise InputError(cfg.path, f"inputs.depth_cell_m = {cell:g} m would grid the river's "
                               f"{(maxx - minx) / 1000:.1f} x {(maxy - miny) / 1000:.1f} km {what} into "
                               f"{n_cells:.3g} cells (at most {MAX_GRID_CELLS:,}); use a larger cell")


@dataclass(frozen=True)
class _Window:
    """One window of the grid: rows ``row0 ..`` and columns ``col0 ..`` of ``shape`` (h, w), and the water
    inside it (``piece``, metric, clipped to the window)."""

    row0: int
    col0: int
    shape: tuple[int, int]
    piece: BaseGeometry


def corridor_windows(water: BaseGeometry, transform, shape: tuple[int, int], size: int) -> list[_Window]:
    """The windows of a grid that the water touches: the grid cut into ``size`` x ``size`` blocks (clipped to
    the grid), keeping those whose box intersects ``water``.

    The water is split by recursive bisection of the block range (``shapely.clip_by_rect`` on each half), so
    a long river is clipped O(log blocks) times per vertex, not once per block.

    Parameters
    ----------
    water : shapely geometry
        The water area in the grid's CRS (metric).
    transform : affine.Affine
        The grid's north-up transform, (col, row) -> CRS.
    shape : (int, int)
        The grid's (rows, cols).
    size : int
        Cells per window side.

    Returns
    -------
    list of _Window
        Row-major order of the blocks; ``piece`` is the water inside each.
    """
    height, width = shape
    nbr, nbc = -(-height // size), -(-width // size)
    out: list[_Window] = []

    def box_of(r0, r1, c0, c1):              # block ranges -> metric box (xmin, ymin, xmax, ymax)
        x0, y0 = transform @ (c0 * size, min(r1 * size, height))
        x1, y1 = transform @ (min(c1 * size, width), r0 * size)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def split(geom, r0, r1, c0, c1):
        piece = shapely.clip_by_rect(geom, *box_of(r0, r1, c0, c1))
        if piece.is_empty:
            return
        if r1 - r0 == 1 and c1 - c0 == 1:
            row0, col0 = r0 * size, c0 * size
            out.append(_Window(row0, col0, (min(size, height - row0), min(size, width - col0)), piece))
        elif r1 - r0 >= c1 - c0:
            mid = (r0 + r1) // 2
            split(piece, r0, mid, c0, c1)
            split(piece, mid, r1, c0, c1)
        else:
            mid = (c0 + c1) // 2
            split(piece, r0, r1, c0, mid)
            split(piece, r0, r1, mid, c1)

    split(water, 0, nbr, 0, nbc)
    return sorted(out, key=lambda w: (w.row0, w.col0))


def _surveyed(path: Path, soundings: np.ndarray, cells: np.ndarray, cfg: Config) -> float:
    """The fraction of the water cells (centres ``cells``) within ``inputs.soundings_reach_m`` of a sounding;
    below ``inputs.soundings_min_coverage`` the grid would be mostly nearest-neighbour fill, not measurement:
    an InputError naming the soundings file."""
    from scipy.spatial import cKDTree

    if len(cells) == 0:
        return 0.0
    dist, _ = cKDTree(soundings).query(cells, distance_upper_bound=cfg.inputs.soundings_reach_m)
    return _coverage(path, float(np.isfinite(dist).mean()), cfg)


def _coverage(path: Path, frac: float, cfg: Config) -> float:
    """``frac`` (the surveyed fraction of the water cells) checked against ``inputs.soundings_min_coverage``."""
    ic = cfg.inputs
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
        raise _collinear(path, s) from None
    gap = ~np.isfinite(est)
    if gap.any():
        est[gap] = griddata(s.xy, s.depth, (cells.cx[gap], cells.cy[gap]), method="nearest")
    grid = np.full(cells.shape, np.nan)
    grid[cells.rows, cells.cols] = est
    return grid


def _collinear(path: Path, s: _Soundings) -> InputError:
    return InputError(path, f"{ROLE}: the {len(s.depth)} soundings in the water lie on one line; they cannot be "
                            "triangulated")


class _Survey:
    """The soundings indexed once for a windowed grid: their Delaunay triangulation with linear interpolation
    (what ``griddata(method="linear")`` builds, sized by the soundings, not the grid) and a k-d tree (the
    nearest sounding beyond the hull, what ``griddata(method="nearest")`` builds; and the coverage check)."""

    def __init__(self, path: Path, s: _Soundings):
        from scipy.interpolate import LinearNDInterpolator
        from scipy.spatial import QhullError, cKDTree

        self.s = s
        self.tree = cKDTree(s.xy)
        try:
            self.linear = LinearNDInterpolator(s.xy, s.depth)
        except QhullError:
            raise _collinear(path, s) from None

    def nearest(self, xy: np.ndarray) -> np.ndarray:
        """The depth of the nearest sounding to each point (n, 2)."""
        return self.s.depth[self.tree.query(xy)[1]]


def interpolate_window(survey: _Survey, xy: np.ndarray, box: tuple[float, float, float, float] | None = None,
                       overlap_m: float = 0.0) -> np.ndarray:
    """Depth at a window's water-cell centres ``xy`` (n, 2; metric): linear on the soundings' Delaunay
    triangulation, the nearest sounding beyond its hull -- per cell the computation the dense grid does.

    With ``box`` (xmin, ymin, xmax, ymax) the triangulation is instead that of the soundings within
    ``overlap_m`` of the window only (the streaming variant, not used by the form): near the window's edges
    it can differ from the whole set's, which is the fault the tests plant (overlap 0).

    Parameters
    ----------
    survey : _Survey
        All the soundings (metric; depth in m, positive down), indexed.
    xy : ndarray (n, 2)
        Cell centres, metric.
    box : tuple of float, optional
        The window's extent (metric), for the per-window triangulation.
    overlap_m : float
        The margin around ``box``, metres.

    Returns
    -------
    ndarray (n,)
        Depth in metres, positive down.
    """
    from scipy.interpolate import LinearNDInterpolator

    if box is None:
        out = survey.linear(xy)
    else:
        x0, y0, x1, y1 = box[0] - overlap_m, box[1] - overlap_m, box[2] + overlap_m, box[3] + overlap_m
        p = survey.s.xy
        sub = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
        out = (LinearNDInterpolator(p[sub], survey.s.depth[sub])(xy) if sub.sum() >= MIN_SOUNDINGS
               else np.full(len(xy), np.nan))
    gap = ~np.isfinite(out)
    if gap.any():
        out[gap] = survey.nearest(xy[gap])
    return out


@dataclass(frozen=True)
class _Filled:
    """A windowed soundings grid: its windows, how many water cells, how many of them surveyed, cells held."""

    windows: tuple[DepthWindow, ...]
    n_water: int
    n_surveyed: int
    n_cells: int


def _fill_windows(path: Path, cfg: Config, s: _Soundings, water: BaseGeometry, g: _Grid,
                  size: int = WINDOW_CELLS, overlap_cells: int | None = None) -> _Filled:
    """The soundings interpolated window by window along the water (:func:`corridor_windows`,
    :func:`interpolate_window`; ``overlap_cells`` set: each window triangulates its own soundings, the fault
    the tests plant); windows are refused by their total cells before any is allocated."""
    from affine import Affine
    from rasterio.features import rasterize

    wins = corridor_windows(water, g.transform, g.shape, size)
    n_cells = sum(w.shape[0] * w.shape[1] for w in wins)
    if n_cells > MAX_GRID_CELLS:
        _refuse(cfg, water, n_cells, "corridor")
    survey = _Survey(path, s)
    reach = cfg.inputs.soundings_reach_m
    out, n_water, n_surveyed = [], 0, 0
    for w in wins:
        h, wd = w.shape
        t = g.transform @ Affine.translation(w.col0, w.row0)
        wet = rasterize([(w.piece, 1)], out_shape=(h, wd), transform=t, dtype="uint8").astype(bool)
        rows, cols = np.nonzero(wet)
        if not len(rows):
            continue
        cx, cy = g.transform @ (cols + (w.col0 + 0.5), rows + (w.row0 + 0.5))   # as the dense grid's centres
        xy = np.column_stack([cx, cy])
        x0, y1 = t @ (0, 0)
        x1, y0 = t @ (wd, h)
        depth = np.full((h, wd), np.nan)
        box = None if overlap_cells is None else (x0, y0, x1, y1)
        depth[rows, cols] = interpolate_window(survey, xy, box, (overlap_cells or 0) * g.cell)
        out.append(DepthWindow(w.row0, w.col0, depth))
        n_water += len(rows)
        n_surveyed += int(np.isfinite(survey.tree.query(xy, distance_upper_bound=reach)[0]).sum())
    return _Filled(tuple(out), n_water, n_surveyed, n_cells)


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
    g = _grid(cfg, water)
    if g.shape[0] * g.shape[1] > DENSE_MAX_CELLS:
        return _read_windowed(path, cfg, context, s, g)
    cells = _water_cells(cfg, water)
    surveyed = _surveyed(path, s.xy, np.column_stack([cells.cx, cells.cy]), cfg)
    check_relief(path, ROLE, s.depth, cfg)
    grid = _interpolate(path, s, cells)
    height, width = cells.shape
    detail = (f"{_described(s, cfg, water, surveyed)} on {width} x {height} cells of {ic.depth_cell_m:g} m in "
              f"{geo.metric.name}")
    return DepthGrid(grid, cells.transform, geo.metric, float(ic.depth_cell_m), "soundings", detail)


def _described(s: _Soundings, cfg: Config, water: BaseGeometry, surveyed: float) -> str:
    """The report's words for the soundings and their interpolation (without the grid)."""
    ic = cfg.inputs
    hull = shapely.convex_hull(shapely.multipoints(s.xy))
    cover = float(hull.intersection(water).area / water.area)
    return (f"{len(s.depth)} soundings ({s.how}; {s.n_outside} outside the water dropped; "
            f"{surveyed:.0%} of the water within {ic.soundings_reach_m:g} m of one), depth "
            f"{s.depth.min():.2f}..{s.depth.max():.2f} m, positive {ic.depth_positive}; linear interpolation "
            f"(nearest beyond their hull, which covers {cover:.0%} of the water)")


def _read_windowed(path: Path, cfg: Config, context: Context, s: _Soundings, g: _Grid) -> DepthGrid:
    """A grid too large to fill whole: windows along the water (:func:`_fill_windows`), checked as the dense
    grid is (coverage, relief), a :class:`DepthGrid` of windows."""
    ic = cfg.inputs
    filled = _fill_windows(path, cfg, s, context.water, g)
    surveyed = _coverage(path, filled.n_surveyed / filled.n_water if filled.n_water else 0.0, cfg)
    check_relief(path, ROLE, s.depth, cfg)
    height, width = g.shape
    detail = (f"{_described(s, cfg, context.water, surveyed)} on {len(filled.windows)} windows of up to "
              f"{WINDOW_CELLS} x {WINDOW_CELLS} cells along the water ({filled.n_cells:,} cells of the "
              f"{width} x {height} grid) of {ic.depth_cell_m:g} m in {context.geo.metric.name}")
    return DepthGrid.from_windows(filled.windows, g.transform, context.geo.metric, float(ic.depth_cell_m),
                                  "soundings", detail)


FORM = Form(name="soundings", role="depth", describes="depth soundings", priority=90, recognises=recognises,
            read=read)
