"""River form ``mask``: a raster (GeoTIFF or any GDAL raster, any CRS) of water.

Read as physical values (band scale/offset applied): binary 0/1 or 0/255 (the non-zero value = water), or
water occurrence in percent (0..100), where cells >= ``inputs.water_threshold`` are water; nodata cells are
land; other values are refused (see :func:`mask_water_cells`). The water cells are polygonised on their cell
edges (``rasterio.features.shapes``, 4-connected); water patches and holes (islands) smaller than
``inputs.mask_min_area_m2`` are speckle: patches are dropped, holes filled. Nothing is smoothed or buffered,
so the water area is exactly the union of the cleaned mask's water cells: it never reaches a cell that is
not water, apart from the filled speckle holes; islands large enough stay holes. Recognised from any file
GDAL opens as a raster, and from a ``.tif``/``.tiff`` name (a damaged GeoTIFF is then refused as a raster).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from ..errors import InputError
from ..geodesy import crs_area_m2
from ..readers import GEOTIFF_SUFFIXES, Raster, read_raster
from . import Context, Form, Probe, WaterArea

if TYPE_CHECKING:
    from ..config import Config

MASK_BINARY = ((0.0, 1.0), (0.0, 255.0))              # value sets of a binary mask: the non-zero value is water
PERCENT_RANGE = (0.0, 100.0)                          # any other mask is water occurrence in percent


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


def _values_seen(seen: np.ndarray) -> str:
    """The distinct values of a mask, for a message: all of them when few, else the range and a count."""
    if len(seen) <= 6:
        return ", ".join(f"{v:g}" for v in seen)
    return f"{len(seen)} distinct values from {seen[0]:g} to {seen[-1]:g}"


def mask_water_cells(path: Path, values: np.ndarray, nodata: float | None, threshold: float) -> tuple[np.ndarray, str]:
    """(water cells, what the mask was read as) of a mask's physical values (NaN = nodata).

    The rule, from the values the file holds (nodata cells are land, whatever their value):

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
    values : ndarray (rows, cols)
        Physical values, NaN where nodata.
    nodata : float or None
        The band's nodata value as the file states it (for messages).
    threshold : float
        ``inputs.water_threshold``, in the mask's unit (percent).

    Returns
    -------
    water : ndarray of bool (rows, cols)
        True where the cell is water.
    kind : str
        What the mask was read as, for the detail string.
    """
    finite = np.isfinite(values)
    n_nodata = int((~finite).sum())
    said = "NaN" if nodata is None or not np.isfinite(nodata) else f"{nodata:g}"
    nodata_note = f"; {n_nodata} nodata cell(s) ({said}) read as land" if n_nodata else ""
    if not finite.any():
        raise InputError(path, f"river mask: every cell is nodata (nodata value {nodata})")
    seen = np.unique(values[finite])
    kind = ""
    for pair in MASK_BINARY:
        if np.isin(seen, pair).all():
            wet = pair[1]
            water = values == wet
            kind = f"binary 0/{wet:g} mask ({wet:g} = water){nodata_note}"
            break
    else:
        if seen[0] < PERCENT_RANGE[0] or seen[-1] > PERCENT_RANGE[1]:
            raise InputError(path, f"river mask: values {_values_seen(seen)} are neither a binary mask (0/1 or "
                                   f"0/255) nor water occurrence in percent ({PERCENT_RANGE[0]:g} to "
                                   f"{PERCENT_RANGE[1]:g}): inputs.water_threshold = {threshold:g} has no meaning "
                                   "for them")
        with np.errstate(invalid="ignore"):
            water = values >= threshold
        kind = f"mask with cells >= {threshold:g} as water{nodata_note}"
    _require_water_and_land(path, water, kind, seen, n_nodata, said, threshold)
    return water, kind


def _require_water_and_land(path: Path, water: np.ndarray, kind: str, seen: np.ndarray, n_nodata: int, said: str,
                            threshold: float) -> None:
    """A mask with no water cell, or no land cell, is an InputError (with a hint at the likely cause)."""
    if not water.any():
        hint = (f"; {n_nodata} cell(s) are nodata ({said}): is the water marked as nodata?" if n_nodata
                else "; a fraction 0..1? set inputs.water_threshold = 0.5" if seen[-1] <= 1 < threshold
                else "; set inputs.water_threshold")
        raise InputError(path, f"river mask: no water cells ({kind.split(';')[0]}; values seen: "
                               f"{_values_seen(seen)}){hint}")
    if water.all():
        raise InputError(path, f"river mask: every cell is water ({kind}; values seen: {_values_seen(seen)}); a "
                               "mask needs land cells (0, below inputs.water_threshold, or nodata)")


def _water_polygons(path: Path, raster: Raster, water: np.ndarray, min_area_m2: float
                    ) -> tuple[list[Polygon], int, int, int, int]:
    """The water cells as polygons in the raster's CRS, speckle removed: (kept polygons, patches found, patches
    removed, holes filled, islands kept); an InputError when every patch is speckle."""
    from rasterio.features import shapes

    crs = raster.crs
    pieces = [Polygon(g["coordinates"][0], g["coordinates"][1:])
              for g, _ in shapes(water.astype("uint8"), mask=water, connectivity=4, transform=raster.transform)]
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


def read(path: Path, cfg: Config, context: Context) -> WaterArea:
    """The mask's water cells as polygons, speckle removed, in the raster's CRS.

    Parameters
    ----------
    path : Path
        The river file.
    cfg : Config
        ``inputs.water_threshold`` (percent) and ``inputs.mask_min_area_m2`` (m2, measured in the raster's CRS:
        geodesic when geographic).
    context : Context
        Not used (the cells are stated in the raster's CRS).

    Returns
    -------
    WaterArea
        The water in the raster's CRS; every vertex a cell corner.
    """
    ic = cfg.inputs
    raster = read_raster(path, "river mask", projected=False)
    water, kind = mask_water_cells(path, raster.values, raster.nodata, ic.water_threshold)
    if raster.scaled:
        kind += f" ({raster.scaled})"
    kept, _, speckle, filled, islands = _water_polygons(path, raster, water, ic.mask_min_area_m2)
    h, w = raster.values.shape
    detail = (f"{kind}, {w} x {h} cells of {raster.res[0]:g} x {raster.res[1]:g} ({raster.crs.name}), "
              f"{int(water.sum())} water cells -> {len(kept)} water polygon(s) with {islands} island(s); removed "
              f"{speckle} water patch(es) and filled {filled} hole(s) under {ic.mask_min_area_m2:g} m2")
    water_area: BaseGeometry = shapely.union_all(kept)
    return WaterArea(water_area, raster.crs, detail)


FORM = Form(name="mask", role="river", describes="a raster water mask", priority=20, recognises=recognises,
            read=read)
