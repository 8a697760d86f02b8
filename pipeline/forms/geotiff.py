"""Depth form ``geotiff``: a single-band raster of depth in metres (positive down), north-up, square cells, in
a projected CRS, used as it is.

The band's scale/offset are applied and a stated unit other than metres is refused; the raster must cover
the river's water and hold depths in at least half of its cells (else the treaty points arbitrate which file
is out of place: :func:`blame_for_coverage`); a flat bed is refused when the thalweg or the deepest channel
is used (:func:`pipeline.forms._depth.check_relief`). Recognised from a ``.tif``/``.tiff`` name, or any file
GDAL opens as a raster that is not a CSV (GDAL's XYZ driver opens some CSVs of soundings as rasters).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from shapely.geometry.base import BaseGeometry

from ..errors import InputError
from ..model import DepthGrid
from ..readers import GEOTIFF_SUFFIXES, Raster, read_raster
from . import Context, Form, Probe
from ._depth import check_relief

if TYPE_CHECKING:
    from ..config import Config

METRE_UNITS = ("m", "metre", "metres", "meter", "meters")   # a depth raster's stated unit, if any
ROLE = "depth raster"


def recognises(path: Path, probe: Probe) -> bool:
    """Whether the file is named as a GeoTIFF, or GDAL opens it as a raster and it is not a CSV.

    Parameters
    ----------
    path : Path
        The depth file.
    probe : Probe
        Whether GDAL opens it as a raster (asked once for every form).

    Returns
    -------
    bool
    """
    suffix = path.suffix.lower()
    return suffix in GEOTIFF_SUFFIXES or (suffix != ".csv" and probe.is_raster)   # not a CSV: GDAL's XYZ driver


def blame_for_coverage(path: Path, problem: str, depth: np.ndarray, transform, water: BaseGeometry,
                       anchors: Mapping[str, BaseGeometry], cfg: Config) -> InputError:
    """Which file to blame when a depth raster and the river miss each other: the treaty points arbitrate.

    The river has already passed the checks against the coast and the monument, so by default the depth file
    is at fault. But when the depth raster's data (its cells holding a value, i.e. where it says the water
    is) lies nearer to every treaty point in ``anchors`` (the tripoint monument and the mouth point) than the
    river's water does -- by more than two raster cells -- the river is the one out of place, and the error
    names the river file.

    Parameters
    ----------
    path : Path
        The depth raster.
    problem : str
        How they miss each other, for the message.
    depth : ndarray (rows, cols)
        The raster's depths (NaN = no data).
    transform : affine.Affine
        The raster's grid: (col, row) -> its CRS.
    water : shapely geometry
        The river's water in the raster's CRS.
    anchors : mapping of str to shapely Point
        Treaty points in the raster's CRS.
    cfg : Config
        ``inputs.river``, named when the river is blamed.

    Returns
    -------
    InputError
        Naming the depth raster, or the river file.
    """
    from scipy.spatial import cKDTree

    rows, cols = np.nonzero(np.isfinite(depth))
    if anchors and len(rows):
        cx, cy = transform @ (cols + 0.5, rows + 0.5)
        tree = cKDTree(np.column_stack([cx, cy]))
        margin = 2 * abs(transform.a)
        said = []
        for name, at in anchors.items():
            d_depth = float(tree.query([at.x, at.y])[0])
            d_river = float(water.distance(at))
            said.append(f"{name}: river {d_river:.0f} m, depth data {d_depth:.0f} m")
            if d_river <= d_depth + margin:
                break
        else:
            return InputError(cfg.inputs.river, f"river: the water area misses the depth raster {path.name} "
                                                f"({problem}), whose data lies nearer to the treaty points "
                                                f"({'; '.join(said)}): the river is out of place")
    return InputError(path, f"depth raster: {problem}")


def _read_depth_raster(path: Path) -> Raster:
    """The raster, its unit, its data and its cells checked: metres, some data, square cells."""
    raster = read_raster(path, ROLE, projected=True)
    if raster.units and raster.units.lower() not in METRE_UNITS:
        raise InputError(path, f"{ROLE}: band 1 states its unit as {raster.units!r}; depths must be in metres "
                               f"({', '.join(METRE_UNITS)}; or no unit stated)")
    if np.isnan(raster.values).all():
        raise InputError(path, f"{ROLE}: every cell is nodata (nodata value {raster.nodata}); no depth to use")
    res = raster.res
    if abs(res[0] - res[1]) > 1e-6 * res[0]:
        raise InputError(path, f"{ROLE}: cells must be square, got {res}")
    return raster


def read(path: Path, cfg: Config, context: Context) -> DepthGrid:
    """The raster's depths as they are, once they are found to cover the river's water.

    Parameters
    ----------
    path : Path
        The depth file.
    cfg : Config
        ``inputs.depth_min_relief_m`` and the lines in use (flat-bed rule); ``inputs.river`` (blame).
    context : Context
        The datum path (``geo``), the river's water (``water``, metric) and the treaty points that arbitrate
        blame (``anchors``, metric); both are transformed into the raster's CRS.

    Returns
    -------
    DepthGrid
        Depth in metres, positive down, on the raster's own grid in its CRS (``form = "geotiff"``).
    """
    from rasterio.features import rasterize
    from rasterio.transform import array_bounds
    from shapely.geometry import box

    geo = context.geo
    raster = _read_depth_raster(path)
    depth, res = raster.values, raster.res
    water = geo.from_metric_to(context.water, raster.crs)
    h, w = depth.shape
    grid = box(*array_bounds(h, w, raster.transform))
    covered = water.intersection(grid).area / water.area
    anchors = {name: geo.from_metric_to(at, raster.crs) for name, at in context.anchors.items()}
    if covered < 0.99:
        raise blame_for_coverage(path, f"covers only {covered:.1%} of the river water area (raster bounds "
                                       f"{[round(v) for v in grid.bounds]} in {raster.crs.name}; river "
                                       f"{[round(v) for v in water.bounds]})", depth, raster.transform, water,
                                 anchors, cfg)
    inside = rasterize([(water, 1)], out_shape=depth.shape, transform=raster.transform, dtype="uint8").astype(bool)
    frac = float(np.isfinite(depth[inside]).mean()) if inside.any() else 0.0
    if frac < 0.5:
        raise blame_for_coverage(path, f"only {frac:.1%} of the river's cells hold depth values", depth,
                                 raster.transform, water, anchors, cfg)
    relief = check_relief(path, ROLE, depth[inside], cfg)
    scaled = f", {raster.scaled}" if raster.scaled else ""
    return DepthGrid(depth, raster.transform, raster.crs, float(res[0]), "geotiff",
                     f"{w} x {h} cells of {res[0]:g} m, {raster.crs.name}{scaled}, relief {relief:.2f} m")


FORM = Form(name="geotiff", role="depth", describes="a depth raster", priority=10, recognises=recognises,
            read=read)
