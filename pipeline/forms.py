"""The forms river and depth data come in, recognised from the file itself and turned into one shape each:
a water-area polygon (in the file's CRS, for :mod:`pipeline.load` to put through the datum path) and a
depth grid.

River: polygons (any GDAL vector format), a raster water mask, an OpenStreetMap file, or two bank lines.
Depth: a GeoTIFF, or soundings (points) interpolated to a grid over the water.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from .config import Config
from .errors import InputError
from .geodesy import Geodesy
from .model import DepthGrid
from .readers import is_raster, read_raster, require_file

RIVER_FORMS = ("polygons", "mask", "osm", "banks")


def river_form(path: Path, configured: str, layer: str) -> str:
    """The form of the river file: ``configured`` unless it is "auto", else recognised from the file."""
    path = require_file(path, "river")
    if configured != "auto":
        return configured
    if is_raster(path):
        return "mask"
    return "polygons"


def water_area(path: Path, form: str, cfg: Config) -> tuple[BaseGeometry, object, str]:
    """(water polygon in the file's CRS, that CRS, what was taken) for the non-polygon forms."""
    raise InputError(path, f"river: the {form!r} form is not supported yet")


def depth_grid(path: Path, water_metric: BaseGeometry, geo: Geodesy, cfg: Config) -> DepthGrid:
    """The depth input as a grid: a GeoTIFF as it is; every problem names ``path``."""
    from rasterio.features import rasterize
    from rasterio.transform import array_bounds
    from shapely.geometry import box

    raster = read_raster(path, "depth raster", projected=True)
    depth = raster.values
    if np.isnan(depth).all():
        raise InputError(path, f"depth raster: every cell is nodata (nodata value {raster.nodata}); no depth to use")
    res = raster.res
    if abs(res[0] - res[1]) > 1e-6 * res[0]:
        raise InputError(path, f"depth raster: cells must be square, got {res}")
    water = geo.from_metric_to(water_metric, raster.crs)
    h, w = depth.shape
    grid = box(*array_bounds(h, w, raster.transform))
    covered = water.intersection(grid).area / water.area
    if covered < 0.99:
        raise InputError(path, f"depth raster: covers only {covered:.1%} of the river water area (raster bounds "
                               f"{[round(v) for v in grid.bounds]} in {raster.crs.name}; river "
                               f"{[round(v) for v in water.bounds]})")
    inside = rasterize([(water, 1)], out_shape=depth.shape, transform=raster.transform, dtype="uint8").astype(bool)
    frac = float(np.isfinite(depth[inside]).mean()) if inside.any() else 0.0
    if frac < 0.5:
        raise InputError(path, f"depth raster: only {frac:.1%} of the river's cells hold depth values")
    return DepthGrid(depth, raster.transform, raster.crs, float(res[0]), "geotiff",
                     f"{w} x {h} cells of {res[0]:g} m, {raster.crs.name}")
