"""River form ``mask``: a raster (GeoTIFF or any GDAL raster, any CRS) of water.

Read as physical values (band scale/offset applied): binary 0/1 or 0/255 (the non-zero value = water), or
water occurrence in percent (0..100), where cells >= ``inputs.water_threshold`` are water; nodata cells are
land; other values are refused (see :func:`mask_rule`). Water patches and holes (islands) smaller than
``inputs.mask_min_area_m2`` are speckle: patches are dropped, holes filled. Recognised from any file GDAL
opens as a raster, and from a ``.tif``/``.tiff`` name (a damaged GeoTIFF is then refused as a raster).

The water's edge (``[forms.mask] boundary``):

``"cell_edges"`` (default)
    The water cells' own edges (``rasterio.features.shapes``, 4-connected). Nothing is smoothed or
    buffered: the water area is exactly the union of the cleaned mask's water cells, every vertex a cell
    corner; banks at an angle to the grid are staircases (half a cell out at worst).
``"contour"``
    The 0.5 level of the mask (water 1, land 0, land beyond the raster) traced by marching squares, as
    ``skimage.measure.find_contours`` traces it (water 4-connected at a saddle): the staircase's corners cut
    at 45 degrees through the middles of the cell edges. Sub-cell: the edge no longer keeps to whole cells --
    each corner of the water gains or loses an eighth of a cell -- in exchange for banks that follow an
    oblique shore more closely (the middle line on a 10 m mask: see benchmarks/README.md "Scale").
``"fitted"``
    The smoothest curve that keeps within the mask's own bound: vertices a cell apart, every cell centre
    either side of the staircase kept on its own side, the bending least, with a pull to the middle of the gap
    between the cells on straight reaches only (:mod:`pipeline.forms._bankfit`; convex quadratic programmes
    solved by Clarabel). Sub-cell where the staircase's steps pin the bank (an oblique shore, a bend); on a run
    along a grid axis the bank stays near the cell edge (the mask holds nothing finer there); sharp corners
    are rounded.

The raster is read window by window (the file's blocks, about 1024 x 1024 cells; windows whose blocks are
all absent from a sparse GeoTIFF are not read) in two passes: the values it holds (which decide how it is
read), then the water of each window, traced in pixel coordinates (exact in floating point) and merged
across windows (:func:`water_region`) before the speckle rules apply. Nothing is allocated at the size of
the raster, and the result does not depend on the windows.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from .. import progress
from ..config import setting
from ..errors import InputError
from ..geodesy import crs_area_m2
from ..readers import GEOTIFF_SUFFIXES, RasterGrid, raster_grid, raster_windows
from . import Context, Form, Probe, WaterArea

if TYPE_CHECKING:
    from ..config import Config

ROLE = "river mask"
MASK_BINARY = ((0.0, 1.0), (0.0, 255.0))              # value sets of a binary mask: the non-zero value is water
PERCENT_RANGE = (0.0, 100.0)                          # any other mask is water occurrence in percent
Boundary = Literal["cell_edges", "contour", "fitted"]


@dataclass(frozen=True)
class Settings:
    """The mask form's own settings (``[forms.mask]``)."""

    boundary: Boundary = setting(
        "cell_edges", doc="raster mask: where the water's edge runs. cell_edges: on the water cells' edges "
                          "(exactly the water cells; staircase banks); contour: on the mask's 0.5 level by "
                          "marching squares (corners cut at 45 degrees through the cell edges' middles; "
                          "sub-cell, no longer whole cells); fitted: the smoothest curve keeping every cell "
                          "centre on its side, through the staircase's steps (sub-cell; corners rounded)")


def recognises(path: Path, probe: Probe) -> bool:
    """Whether GDAL opens the file as a raster, or it is named as a GeoTIFF.

    Parameters
    ----------
    path : Path
        The river file.
    probe : Probe
        Whether GDAL opens it as a raster (asked once for every form).

    Returns
    -------
    bool
    """
    return probe.is_raster or path.suffix.lower() in GEOTIFF_SUFFIXES   # a damaged GeoTIFF: say so when read


# ============================================================================================ the values
@dataclass(frozen=True)
class MaskValues:
    """What a mask holds: ``seen`` its distinct physical values (finite, ascending), ``n_nodata`` its nodata
    cells (the band's nodata, masked cells and values that are not finite)."""

    seen: np.ndarray
    n_nodata: int


def _distinct(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, how many cells hold each) of a window's unmasked raw values."""
    if raw.dtype == np.uint8:
        counts = np.bincount(raw.ravel(), minlength=256)
        held = np.flatnonzero(counts)
        return held.astype(np.uint8), counts[held]
    return np.unique(raw, return_counts=True)


def mask_values(grid: RasterGrid, windows: Iterable) -> MaskValues:
    """The distinct physical values of a mask and its nodata cells, from its windows (first pass).

    A window absent from the file (``raw`` None) holds the grid's fill: nodata, or raw 0 without one.

    Parameters
    ----------
    grid : RasterGrid
        The mask's grid (scale/offset, nodata).
    windows : iterable of RasterWindow
        Every window of the raster, without halo (:func:`pipeline.readers.raster_windows`).

    Returns
    -------
    MaskValues
        As a whole-raster read would see them (the same physical arithmetic, value by value).
    """
    values, counts, n_nodata = [], [], 0
    for win in windows:
        if win.raw is None:
            if grid.nodata is not None:
                n_nodata += win.height * win.width
            else:
                values.append(np.zeros(1, dtype=np.float64))
                counts.append(np.array([win.height * win.width]))
            continue
        valid = ~np.ma.getmaskarray(win.raw)
        n_nodata += int(valid.size - valid.sum())
        held, n = _distinct(win.raw.data[valid])
        values.append(grid.physical(held))
        counts.append(n)
    if not values:
        return MaskValues(np.zeros(0), n_nodata)
    phys, n = np.concatenate(values), np.concatenate(counts)
    finite = np.isfinite(phys)
    return MaskValues(np.unique(phys[finite]), n_nodata + int(n[~finite].sum()))


def _values_seen(seen: np.ndarray) -> str:
    """The distinct values of a mask, for a message: all of them when few, else the range and a count."""
    if len(seen) <= 6:
        return ", ".join(f"{v:g}" for v in seen)
    return f"{len(seen)} distinct values from {seen[0]:g} to {seen[-1]:g}"


@dataclass(frozen=True)
class MaskRule:
    """Which cells of a mask are water: those equal to ``wet`` (a binary mask), else those >= ``threshold``
    (percent); ``kind`` says what the mask was read as, for the detail string."""

    wet: float | None
    threshold: float
    kind: str

    def water(self, values: np.ndarray) -> np.ndarray:
        """Whether each cell is water.

        Parameters
        ----------
        values : ndarray
            Physical values, NaN where nodata (never water).

        Returns
        -------
        ndarray of bool
        """
        if self.wet is not None:
            return values == self.wet
        with np.errstate(invalid="ignore"):
            return values >= self.threshold


def mask_rule(path: Path, values: MaskValues, nodata: float | None, threshold: float) -> MaskRule:
    """How a mask is read, from the values it holds (nodata cells are land, whatever their value):

    * values only 0 and 1, or only 0 and 255 (or only one of them, the rest nodata): binary, the non-zero
      value is water, whatever ``inputs.water_threshold``;
    * other values within 0..100: water occurrence in percent, cells >= the threshold are water;
    * anything else (negative values, values above 100 that are not a 0/255 mask): the threshold has no
      meaning for them -- refused, naming the file and the values seen.

    A mask with no water cell, or whose every cell is water (no land at all), is refused.

    Parameters
    ----------
    path : Path
        The mask file, named by every error.
    values : MaskValues
        Its distinct physical values and nodata cells (:func:`mask_values`).
    nodata : float or None
        The band's nodata value as the file states it (for messages).
    threshold : float
        ``inputs.water_threshold``, in the mask's unit (percent).

    Returns
    -------
    MaskRule
        Which cells are water, and what the mask was read as.
    """
    seen, n_nodata = values.seen, values.n_nodata
    said = "NaN" if nodata is None or not np.isfinite(nodata) else f"{nodata:g}"
    nodata_note = f"; {n_nodata} nodata cell(s) ({said}) read as land" if n_nodata else ""
    if not len(seen):
        raise InputError(path, f"river mask: every cell is nodata (nodata value {nodata})")
    for pair in MASK_BINARY:
        if np.isin(seen, pair).all():
            wet = pair[1]
            rule = MaskRule(wet, threshold, f"binary 0/{wet:g} mask ({wet:g} = water){nodata_note}")
            break
    else:
        if seen[0] < PERCENT_RANGE[0] or seen[-1] > PERCENT_RANGE[1]:
            raise InputError(path, f"river mask: values {_values_seen(seen)} are neither a binary mask (0/1 or "
                                   f"0/255) nor water occurrence in percent ({PERCENT_RANGE[0]:g} to "
                                   f"{PERCENT_RANGE[1]:g}): inputs.water_threshold = {threshold:g} has no meaning "
                                   "for them")
        rule = MaskRule(None, threshold, f"mask with cells >= {threshold:g} as water{nodata_note}")
    wet_seen = rule.water(seen)
    _require_water_and_land(path, bool(wet_seen.any()), bool(wet_seen.all()) and not n_nodata, rule.kind, seen,
                            n_nodata, said, threshold)
    return rule


def _require_water_and_land(path: Path, any_water: bool, all_water: bool, kind: str, seen: np.ndarray,
                            n_nodata: int, said: str, threshold: float) -> None:
    """A mask with no water cell, or no land cell, is an InputError (with a hint at the likely cause)."""
    if not any_water:
        hint = (f"; {n_nodata} cell(s) are nodata ({said}): is the water marked as nodata?" if n_nodata
                else "; a fraction 0..1? set inputs.water_threshold = 0.5" if seen[-1] <= 1 < threshold
                else "; set inputs.water_threshold")
        raise InputError(path, f"river mask: no water cells ({kind.split(';')[0]}; values seen: "
                               f"{_values_seen(seen)}){hint}")
    if all_water:
        raise InputError(path, f"river mask: every cell is water ({kind}; values seen: {_values_seen(seen)}); a "
                               "mask needs land cells (0, below inputs.water_threshold, or nodata)")


# ============================================================================================ the water's edge
_CORNERS = np.array([(0, 0), (0, 1), (1, 0), (1, 1)])   # cells a, b / c, d of a square: (row, col) offsets


def _corner_triangles(row: int, col: int, i: np.ndarray, j: np.ndarray, which: np.ndarray) -> np.ndarray:
    """The triangles marching squares cuts at the corner points of squares (i, j): each in the quarter of cell
    ``which`` (0..3 = a, b, c, d) at that corner, between the corner and the middles of the cell's two edges
    there. Pixel coordinates (x = column, y = row; cell (r, c) spans [c, c + 1] x [r, r + 1]); square (i, j)
    of a window padded by one cell has its corner point at (col + j, row + i)."""
    dy, dx = _CORNERS[which].T
    corner = np.column_stack([col + j, row + i]).astype(np.float64)
    along_x = corner + np.column_stack([np.where(dx == 1, 0.5, -0.5), np.zeros(len(i))])
    along_y = corner + np.column_stack([np.zeros(len(i)), np.where(dy == 1, 0.5, -0.5)])
    return shapely.polygons(np.stack([corner, along_x, along_y, corner], axis=1))


def contour_corrections(padded: np.ndarray, row: int, col: int) -> tuple[np.ndarray, np.ndarray]:
    """(triangles to add, triangles to remove) that turn a window's cell-edge water into the 0.5 contour.

    Marching squares at 0.5 on a 0/1 mask cuts each corner of the water at 45 degrees: a square of four cell
    centres holding three water cells adds a triangle to its land cell; one holding one water cell, or two
    diagonal ones (a saddle: water stays 4-connected, as ``find_contours`` keeps it by default), removes one
    from each such water cell. Each triangle lies inside its cell.

    Parameters
    ----------
    padded : ndarray of bool (h + 2, w + 2)
        The window's water cells with a ring of their neighbours (land beyond the raster).
    row, col : int
        The window's first cell in the raster.

    Returns
    -------
    add : ndarray of Polygon
        Triangles in the window's land cells and in the ring's (a neighbouring window absent from the file
        makes none of its own; duplicates of a neighbour's are harmless in the union); pixel coordinates.
    remove : ndarray of Polygon
        Triangles in the window's own water cells.
    """
    cells = np.stack([padded[:-1, :-1], padded[:-1, 1:], padded[1:, :-1], padded[1:, 1:]])
    n = cells.sum(axis=0, dtype=np.int8)
    i, j = np.nonzero(n == 3)
    add = _corner_triangles(row, col, i, j, np.argmin(cells[:, i, j], axis=0))
    i1, j1 = np.nonzero(n == 1)
    i2, j2 = np.nonzero((n == 2) & (cells[0] == cells[3]))          # saddles: a and d, or b and c
    first = np.where(cells[0, i2, j2], 0, 1)
    i, j = np.concatenate([i1, i2, i2]), np.concatenate([j1, j2, j2])
    which = np.concatenate([np.argmax(cells[:, i1, j1], axis=0), first, 3 - first])
    r, c = i + _CORNERS[which, 0], j + _CORNERS[which, 1]           # the water cell, in the padded window
    own = (r >= 1) & (r <= padded.shape[0] - 2) & (c >= 1) & (c <= padded.shape[1] - 2)
    return add, _corner_triangles(row, col, i[own], j[own], which[own])


def window_region(padded: np.ndarray, row: int, col: int, boundary: Boundary) -> list[BaseGeometry]:
    """One window's water in pixel coordinates (x = column, y = row), in pieces to be merged.

    Parameters
    ----------
    padded : ndarray of bool (h + 2, w + 2)
        The window's water cells with a ring of their neighbours (land beyond the raster); the ring is used
        by ``"contour"`` only.
    row, col : int
        The window's first cell in the raster.
    boundary : {"cell_edges", "contour"}
        The water's edge (see the module docstring).

    Returns
    -------
    list of shapely geometries
        The window's water cells, 4-connected patches (``"cell_edges"``), or its part of the contour region
        (``"contour"``: it may reach a neighbour's cell by a corner triangle); [] when there is none.
    """
    from affine import Affine
    from rasterio.features import shapes

    water = np.ascontiguousarray(padded[1:-1, 1:-1])
    pieces = []
    if water.any():
        pieces = [Polygon(g["coordinates"][0], g["coordinates"][1:]) for g, _ in
                  shapes(water.view(np.uint8), mask=water, connectivity=4, transform=Affine.translation(col, row))]
    if boundary == "cell_edges":
        return pieces
    add, remove = contour_corrections(padded, row, col)
    if not pieces and not len(add):
        return []
    region = shapely.union_all(np.concatenate([np.array(pieces, dtype=object), add]))
    return [shapely.difference(region, shapely.union_all(remove)) if len(remove) else region]


def water_region(windows: Iterable[tuple[np.ndarray, int, int]], boundary: Boundary) -> BaseGeometry:
    """The water of every window merged, in pixel coordinates; independent of how the raster was cut.

    Every vertex lies on the half-cell lattice, so the union is exact in floating point; the vertices the
    merge leaves on straight edges where windows met are removed (``shapely.simplify`` with tolerance 0,
    exact on that lattice), so the result equals the whole raster's.

    Parameters
    ----------
    windows : iterable of (padded, row, col)
        Each window's water with a ring of neighbouring cells (see :func:`window_region`).
    boundary : {"cell_edges", "contour"}
        The water's edge.

    Returns
    -------
    shapely (Multi)Polygon
        Valid; empty when there is no water.
    """
    pieces = [p for padded, row, col in windows for p in window_region(padded, row, col, boundary)]
    if not pieces:
        return Polygon()
    return shapely.simplify(shapely.union_all(pieces), 0.0)


def to_crs_coordinates(region: BaseGeometry, transform) -> BaseGeometry:
    """``region`` from pixel coordinates to the raster's CRS: x = c + column * a, y = f + row * e (the
    arithmetic GDAL's polygonize uses, so cell corners come out as ``rasterio.features.shapes`` gives them).

    Parameters
    ----------
    region : shapely geometry
        In pixel coordinates (x = column, y = row).
    transform : affine.Affine
        The raster's north-up transform.

    Returns
    -------
    shapely geometry
        In the raster's CRS.
    """
    a, c, e, f = transform.a, transform.c, transform.e, transform.f
    return shapely.transform(region, lambda xy: np.column_stack([c + xy[:, 0] * a, f + xy[:, 1] * e]))


def remove_speckle(path: Path, region: BaseGeometry, crs, min_area_m2: float
                   ) -> tuple[list[Polygon], int, int, int, int]:
    """The water without speckle: (kept polygons, patches found, patches removed, holes filled, islands kept).

    Parameters
    ----------
    path : Path
        The mask file (named by the error).
    region : shapely geometry
        The merged water in ``crs``.
    crs : pyproj.CRS
        The raster's CRS (areas are geodesic when it is geographic).
    min_area_m2 : float
        ``inputs.mask_min_area_m2``: patches smaller are dropped, holes smaller filled (m2).

    Returns
    -------
    tuple
        An InputError when every patch is speckle.
    """
    pieces = list(shapely.get_parts(region))
    kept, speckle, filled, islands = [], 0, 0, 0
    for p in pieces:
        if crs_area_m2(p, crs) < min_area_m2:
            speckle += 1
            continue
        holes = [h for h in p.interiors if crs_area_m2(Polygon(h), crs) >= min_area_m2]
        filled += len(p.interiors) - len(holes)
        islands += len(holes)
        kept.append(Polygon(p.exterior, holes))
    if not kept:
        raise InputError(path, f"river mask: all {len(pieces)} water patches are smaller than "
                               f"inputs.mask_min_area_m2 = {min_area_m2:g} m2")
    return kept, len(pieces), speckle, filled, islands


def fitted(region: BaseGeometry, transform) -> BaseGeometry:
    """The cell-edge water ``region`` (raster CRS) with every ring fitted (:mod:`pipeline.forms._bankfit`),
    in pixel coordinates (the fit's cells are one unit across).

    Parameters
    ----------
    region : shapely (Multi)Polygon
        Speckle removed, in the raster's CRS, every vertex a cell corner.
    transform : affine.Affine
        The raster's north-up transform.

    Returns
    -------
    shapely (Multi)Polygon
        In the raster's CRS.
    """
    from ._bankfit import fit_region

    inv = ~transform                                   # back to pixel coordinates: cell corners are integers
    px = shapely.transform(region, lambda xy: np.rint(np.column_stack(inv @ (xy[:, 0], xy[:, 1]))))
    return to_crs_coordinates(fit_region(px), transform)


def _water_windows(grid: RasterGrid, rule: MaskRule, boundary: Boundary, counted: list[int]
                   ) -> Iterable[tuple[np.ndarray, int, int]]:
    """(padded water, row, col) of every window the file holds (second pass); adds its water cells to
    ``counted[0]``. The ring around each window is read for ``"contour"`` only (land otherwise)."""
    halo = 1 if boundary == "contour" else 0
    for win in raster_windows(grid, ROLE, halo=halo, progress=progress.counter("mask windows")):
        if win.raw is None:
            continue
        water = rule.water(grid.physical(win.raw))
        counted[0] += int(water[halo:halo + win.height, halo:halo + win.width].sum())
        yield (water if halo else np.pad(water, 1)), win.row, win.col


def read(path: Path, cfg: Config, context: Context) -> WaterArea:
    """The mask's water as polygons, speckle removed, in the raster's CRS, read window by window.

    Parameters
    ----------
    path : Path
        The river file.
    cfg : Config
        ``inputs.water_threshold`` (percent), ``inputs.mask_min_area_m2`` (m2, measured in the raster's CRS:
        geodesic when geographic) and ``[forms.mask] boundary``.
    context : Context
        Not used (the cells are stated in the raster's CRS).

    Returns
    -------
    WaterArea
        The water in the raster's CRS (normalised: the same coordinates whatever the windows); with
        ``boundary = "cell_edges"`` every vertex is a cell corner.
    """
    ic, settings = cfg.inputs, cfg.form_settings(FORM.name)
    grid = raster_grid(path, ROLE, projected=False)
    rule = mask_rule(path, mask_values(grid, raster_windows(grid, ROLE)), grid.nodata, ic.water_threshold)
    kind = rule.kind + (f" ({grid.scaled})" if grid.scaled else "")
    counted = [0]
    traced = "contour" if settings.boundary == "contour" else "cell_edges"
    region = water_region(_water_windows(grid, rule, traced, counted), traced)
    region = to_crs_coordinates(region, grid.transform)
    kept, _, speckle, filled, islands = remove_speckle(path, region, grid.crs, ic.mask_min_area_m2)
    n_kept = len(kept)
    if settings.boundary == "fitted":
        kept = [fitted(shapely.union_all(kept), grid.transform)]
    edge = {"cell_edges": "", "contour": "; edge on the 0.5 contour (marching squares)",
            "fitted": "; edge fitted between the cell centres either side (smoothest bank)"}[settings.boundary]
    detail = (f"{kind}, {grid.width} x {grid.height} cells of {grid.res[0]:g} x {grid.res[1]:g} ({grid.crs.name}), "
              f"{counted[0]} water cells -> {n_kept} water polygon(s) with {islands} island(s); removed "
              f"{speckle} water patch(es) and filled {filled} hole(s) under {ic.mask_min_area_m2:g} m2{edge}")
    return WaterArea(shapely.normalize(shapely.union_all(kept)), grid.crs, detail)


FORM = Form(name="mask", role="river", describes="a raster water mask", priority=20, recognises=recognises,
            read=read, settings=Settings)
