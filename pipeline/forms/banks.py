"""River form ``banks``: two open lines, the left and the right bank, plus optional closed lines (or polygons)
as islands, in any GDAL vector format.

Any order and direction; a bank in several pieces that join end to end is merged. The banks are joined at
both ends by straight lines -- the upstream cap and the seaward line -- into the water polygon. The banks must
reach the sea: their seaward ends on or beyond the river mouth's closing line (off the land), else the water
area has no opening to the sea. Recognised from a vector layer holding lines.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import shapely
from pyproj import CRS
from shapely.geometry import LineString, Polygon

from .. import geometry
from ..errors import InputError
from ..geodesy import crs_length_m
from ..readers import read_vector
from . import Context, Form, Probe, WaterArea

if TYPE_CHECKING:
    from ..config import Config

LINE_TYPES = {"LineString", "MultiLineString", "LinearRing"}
ROLE = "river (bank lines)"


def recognises(path: Path, probe: Probe) -> bool:
    """Whether the file's vector layer holds lines.

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
    return bool((probe.geometry_types() or set()) & LINE_TYPES)


def _banks_and_rings(path: Path, geoms) -> tuple[list[LineString], list[LineString], int]:
    """(open lines after merging pieces that join end to end, closed rings = islands, open pieces read)."""
    open_parts, rings = [], []
    for g in geoms:
        for part in geometry.parts(g):
            if part.geom_type == "Polygon":
                rings.append(LineString(part.exterior.coords))
            elif part.geom_type == "LineString":
                (rings if part.is_closed else open_parts).append(part)
            else:
                raise InputError(path, f"{ROLE}: a {part.geom_type} among the bank lines; expected two open lines "
                                       "(the banks) and closed lines or polygons (islands)")
    banks = []
    for line in geometry.lines(shapely.line_merge(shapely.MultiLineString(open_parts))) if open_parts else []:
        (rings if line.is_closed else banks).append(line)   # pieces that merge into a ring are an island
    return banks, rings, len(open_parts)


def _check_banks(path: Path, banks: list[LineString], rings: list[LineString], n_pieces: int) -> None:
    """Exactly two simple open lines that neither cross nor touch; else an InputError naming the file."""
    if len(banks) != 2:
        merged = (f" (merged from {n_pieces} pieces that join end to end)"
                  if n_pieces != len(banks) else "")
        raise InputError(path, f"{ROLE}: expected exactly two open lines, the left and the right bank; found "
                               f"{len(banks)} open line(s){merged} and {len(rings)} closed line(s) (islands)")
    a, b = banks
    for k, line in enumerate(banks, start=1):
        if not line.is_simple:
            raise InputError(path, f"{ROLE}: bank line {k} crosses itself")
    if a.intersects(b):
        where = shapely.get_coordinates(a.intersection(b))[0]
        raise InputError(path, f"{ROLE}: the two bank lines cross or touch at ({where[0]:.6g}, {where[1]:.6g}); "
                               "the banks of a river never meet")


def _close_banks(a: LineString, b: LineString) -> tuple[Polygon, tuple] | None:
    """The banks joined at both ends into a polygon, and the joins as (index of a's end, index of b's end)
    pairs. Of the two ways to pair the ends, the one giving a valid polygon; if both do, the one with the
    shorter joins; None when neither does."""
    best = None
    for joins in (((-1, -1), (0, 0)), ((-1, 0), (0, -1))):
        b_coords = list(b.coords)[::-1] if joins[0][1] == -1 else list(b.coords)
        poly = Polygon(list(a.coords) + b_coords)
        if not poly.is_valid or poly.area == 0:
            continue
        span = sum(LineString([a.coords[i], b.coords[j]]).length for i, j in joins)
        if best is None or span < best[0]:
            best = (span, poly, joins)
    return None if best is None else (best[1], best[2])


def _with_islands(path: Path, shell: Polygon, rings: list[LineString]) -> Polygon:
    """The water between the banks with the island rings as holes; an InputError when a ring is not a simple
    ring inside it or the islands overlap."""
    holes = []
    for k, ring in enumerate(rings, start=1):
        island = Polygon(ring.coords)
        if not island.is_valid or not shell.contains(island):
            raise InputError(path, f"{ROLE}: island ring {k} is not a simple ring inside the water area between "
                                   "the banks")
        holes.append(ring.coords)
    water = Polygon(shell.exterior.coords, holes)
    if not water.is_valid:
        raise InputError(path, f"{ROLE}: the islands overlap or touch each other "
                               f"({shapely.is_valid_reason(water)})")
    return water


def read(path: Path, cfg: Config, context: Context) -> WaterArea:
    """The two banks closed at both ends by straight lines, the islands as holes, in the file's CRS.

    Parameters
    ----------
    path : Path
        The river file.
    cfg : Config
        ``inputs.river_layer``: the layer (or the file's only one).
    context : Context
        Not used (the water is stated in the file's CRS).

    Returns
    -------
    WaterArea
        The water in the layer's CRS; the detail gives the banks' and the joins' lengths in metres (measured in
        that CRS: geodesic when geographic) and the islands.
    """
    vec = read_vector(path, cfg.inputs.river_layer, ROLE, "inputs.river_layer")
    crs = CRS.from_user_input(vec.crs)
    banks, rings, n_pieces = _banks_and_rings(path, vec.geometry)
    _check_banks(path, banks, rings, n_pieces)
    a, b = banks
    closed = _close_banks(a, b)
    if closed is None:
        raise InputError(path, f"{ROLE}: the two bank lines cannot be closed into a water area: a straight line "
                               "joining their ends crosses a bank (do both lines run from upstream to the sea?)")
    shell, joins = closed
    water = _with_islands(path, shell, rings)
    ends = [LineString([a.coords[i], b.coords[j]]) for i, j in joins]
    detail = (f"two bank lines ({crs_length_m(a, crs) / 1000:.2f} km and {crs_length_m(b, crs) / 1000:.2f} km) "
              f"joined at their ends by straight lines of {crs_length_m(ends[0], crs):.0f} m and "
              f"{crs_length_m(ends[1], crs):.0f} m, {len(water.interiors)} island(s), layer {vec.layer}")
    return WaterArea(water, crs, detail)


FORM = Form(name="banks", role="river", describes="two bank lines", priority=30, recognises=recognises,
            read=read)
