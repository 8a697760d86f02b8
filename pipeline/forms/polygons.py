"""River form ``polygons``: the water as polygons in any GDAL vector format and any CRS.

Islands are holes; the features are merged into one water area (touching parts join), invalid rings are
repaired with ``make_valid`` and each repair is reported; a geometry type other than (multi)polygons is
refused. Recognised from a vector layer holding polygons (and no lines: those are bank lines).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import shapely
from pyproj import CRS

from ..readers import read_vector, repair_polygons
from . import Context, Form, Probe, WaterArea

if TYPE_CHECKING:
    from ..config import Config

POLYGON_TYPES = {"Polygon", "MultiPolygon"}


def recognises(path: Path, probe: Probe) -> bool:
    """Whether the file's vector layer holds polygons.

    Parameters
    ----------
    path : Path
        The river file.
    probe : Probe
        Its layer's geometry types (read once for every form).

    Returns
    -------
    bool
    """
    return bool((probe.geometry_types() or set()) & POLYGON_TYPES)


def read(path: Path, cfg: Config, context: Context) -> WaterArea:
    """The union of the layer's polygons, repaired where invalid, in the file's CRS.

    Parameters
    ----------
    path : Path
        The river file.
    cfg : Config
        ``inputs.river_layer``: the layer (or the file's only one).
    context : Context
        Not used (the polygons are stated in the file's CRS).

    Returns
    -------
    WaterArea
        The water in the layer's CRS (its units), the features' repairs.
    """
    layer = read_vector(path, cfg.inputs.river_layer, "river", "inputs.river_layer")
    repairs: list[str] = []
    polys = repair_polygons(layer.geometry, [f"feature {i}" for i in range(len(layer.geometry))], path, "river",
                            repairs)
    return WaterArea(shapely.union_all(polys), CRS.from_user_input(layer.crs),
                     f"{len(polys)} polygon feature(s), layer {layer.layer}", tuple(repairs))


FORM = Form(name="polygons", role="river", describes="water polygons", priority=40, recognises=recognises,
            read=read)
