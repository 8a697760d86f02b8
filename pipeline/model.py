"""Typed results of every stage, and the report, as dataclasses: the contract between the modules.

Stage results hold geometries in the run's metric CRS (see :class:`pipeline.geodesy.Geodesy`) and
unrounded figures. The :class:`Report` holds only plain values (floats, strings, lon/lat pairs) and is what
``report.json`` and ``report.md`` are rendered from; :func:`from_jsonable` rebuilds it strictly, which is how
``tumen-border check`` validates a ``report.json`` against the schema it was written with.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from .geodesy import Geodesy

LonLat = tuple[float, float]
REPORT_SCHEMA = "river-sea-border-report/3"


# ============================================================================================ inputs
@dataclass(frozen=True)
class TreatyPoint:
    """One published coordinate, as printed and as read in WGS 84.

    Attributes
    ----------
    id, name : str
        As in the treaty points CSV.
    kind : str
        "monument", "mouth", "end" or "other".
    datum : str
        The datum as the source names it (text).
    crs : str
        The CRS as published; "" when the source does not state one.
    lat, lon : float
        The coordinate as printed, degrees in ``crs_used``.
    published : str
        The coordinate's text as printed.
    source : str
        Where it is published.
    crs_used : str
        How it was read: ``crs``, or ``treaty.unstated_datum_crs`` when none is stated.
    lon_wgs84, lat_wgs84 : float
        The point in WGS 84, degrees, after the datum transform.
    operation : str
        pyproj's description of the operation; "" when none was needed (read in WGS 84).
    operation_accuracy_m : float or None
        The accuracy pyproj states for it, metres; None when unknown or no operation.
    """

    id: str
    name: str
    kind: str
    datum: str
    crs: str
    lat: float
    lon: float
    published: str
    source: str
    crs_used: str
    lon_wgs84: float
    lat_wgs84: float
    operation: str
    operation_accuracy_m: float | None

    @property
    def datum_stated(self) -> bool:
        """Whether the source states the coordinate's CRS (``crs`` not empty)."""
        return bool(self.crs)

    @property
    def lonlat(self) -> LonLat:
        """(longitude, latitude) in WGS 84, degrees, as read after the datum transform."""
        return (self.lon_wgs84, self.lat_wgs84)


_ROW = 32                         # GridCells.key = row << _ROW | col


@dataclass(frozen=True)
class DepthWindow:
    """One window of a :class:`DepthGrid`: ``depth`` (h, w; m, positive down, NaN = no data) fills the grid's rows
    ``row0 .. row0 + h - 1`` and columns ``col0 .. col0 + w - 1`` (both offsets >= 0, in the grid's transform)."""

    row0: int
    col0: int
    depth: np.ndarray

    def __post_init__(self):
        if self.depth.ndim != 2 or min(self.row0, self.col0) < 0 or \
                max(self.row0 + self.depth.shape[0], self.col0 + self.depth.shape[1]) >= 2 ** 31:
            raise ValueError(f"a depth window needs a 2-d array at offsets >= 0 below 2**31 cells, got shape "
                             f"{self.depth.shape} at row {self.row0}, column {self.col0}")

    def contains(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Whether grid cells lie in this window.

        Parameters
        ----------
        rows, cols : ndarray of int
            Cells of the whole grid (row, column in its transform), one shape.

        Returns
        -------
        ndarray of bool
            True where the cell is inside the window's rows and columns.
        """
        h, w = self.depth.shape
        return (rows >= self.row0) & (rows < self.row0 + h) & (cols >= self.col0) & (cols < self.col0 + w)


@dataclass(frozen=True)
class GridCells:
    """The cells of a grid that hold a value, one sorted index: what the thalweg and the depth sampler work on,
    sized by these cells alone (16 bytes each), never by the grid's extent.

    ``key`` is ``row << 32 | col`` (int64, strictly increasing: row-major order), ``value`` the cell's value
    (the grid's dtype).
    """

    key: np.ndarray
    value: np.ndarray

    @staticmethod
    def keys(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The index keys of cells.

        Parameters
        ----------
        rows, cols : ndarray of int
            Cells of the grid (>= 0, below 2**31), one shape.

        Returns
        -------
        ndarray of int64
            ``row << 32 | col`` per cell (row-major order sorts them as the index does).
        """
        return (np.asarray(rows, np.int64) << _ROW) | np.asarray(cols, np.int64)

    @property
    def rows(self) -> np.ndarray:
        """Row of each cell (int64)."""
        return self.key >> _ROW

    @property
    def cols(self) -> np.ndarray:
        """Column of each cell (int64)."""
        return self.key & ((1 << _ROW) - 1)

    def find(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Where each cell is in the index.

        Parameters
        ----------
        rows, cols : ndarray of int
            Cells of the grid, one shape (any value: negative or huge ones lie off the grid).

        Returns
        -------
        ndarray of int
            Index into ``key`` / ``value`` of each cell; -1 where the cell holds no value or lies off the grid.
        """
        rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
        ok = (rows >= 0) & (cols >= 0) & (rows < 2 ** 31) & (cols < 2 ** 31)
        want = self.keys(np.where(ok, rows, 0), np.where(ok, cols, 0))
        i = np.searchsorted(self.key, want)
        i_ok = np.minimum(i, max(len(self.key) - 1, 0))
        hit = ok & (i < len(self.key))
        hit[hit] = self.key[i_ok[hit]] == want[hit]
        return np.where(hit, i, -1)

    def values_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The value of each cell.

        Parameters
        ----------
        rows, cols : ndarray of int
            Cells of the grid, one shape.

        Returns
        -------
        ndarray of float64
            The cell's value (depth in m for a depth grid); NaN where it holds none or lies off the grid.
        """
        i = self.find(rows, cols)
        out = np.full(np.shape(i), np.nan)
        out[i >= 0] = self.value[i[i >= 0]]
        return out

    @classmethod
    def from_windows(cls, windows: tuple[DepthWindow, ...]) -> GridCells:
        """The index of the finite cells of some windows.

        Parameters
        ----------
        windows : tuple of DepthWindow
            Windows of one grid (offsets in its transform).

        Returns
        -------
        GridCells
            Every finite cell once, sorted; where windows overlap, the first window's value is kept.
        """
        keys, values = [], []
        for w in windows:
            r, c = np.nonzero(np.isfinite(w.depth))       # row-major: sorted keys within a window
            keys.append(cls.keys(r + w.row0, c + w.col0))
            values.append(w.depth[r, c])
        key = np.concatenate(keys) if keys else np.empty(0, np.int64)
        value = np.concatenate(values) if values else np.empty(0)
        if len(windows) > 1:
            key, first = np.unique(key, return_index=True)   # sorted; the first occurrence of each cell
            value = value[first]
        return cls(key, value)


@dataclass(frozen=True)
class DepthGrid:
    """Depth in metres (positive down, NaN = no data) on a north-up grid in ``crs``: ``transform`` maps (col, row)
    of the whole grid to ``crs``.

    Either dense -- ``depth`` holds the whole extent -- or windowed: ``depth`` is None and ``tiles`` hold the
    windows along the river that carry data (:class:`DepthWindow`; build with :meth:`from_windows`), so nothing
    is sized by the river's bounding box. :attr:`windows` reads both the same way (a dense grid is one window at
    row 0, column 0), and :attr:`cells` is the index of the cells holding a depth that the thalweg and the depth
    sampler use.
    """

    depth: np.ndarray | None
    transform: Any                # affine.Affine
    crs: Any                      # pyproj CRS
    cell_m: float
    form: str                     # the depth form that made it (pipeline.forms: "geotiff", "soundings", ...)
    detail: str
    tiles: tuple[DepthWindow, ...] = ()

    def __post_init__(self):
        if (self.depth is None) == (not self.tiles):
            raise ValueError("a depth grid is either dense (depth) or windowed (tiles), not both nor neither")

    @classmethod
    def from_windows(cls, windows, transform, crs, cell_m: float, form: str, detail: str) -> DepthGrid:
        """A windowed grid.

        Parameters
        ----------
        windows : iterable of DepthWindow
            The windows that carry data, offsets in the grid's ``transform``; at least one.
        transform : affine.Affine
            (col, row) of the whole grid -> ``crs`` coordinates.
        crs : pyproj.CRS
            The grid's CRS (projected: cells are ``cell_m`` metres).
        cell_m : float
            Cell size (m).
        form, detail : str
            The depth form that made it and what it read.

        Returns
        -------
        DepthGrid
            With ``depth`` None and ``tiles`` the windows.
        """
        return cls(None, transform, crs, cell_m, form, detail, tuple(windows))

    @property
    def windows(self) -> tuple[DepthWindow, ...]:
        """The grid as windows (a dense grid: one window, the whole array at row 0, column 0)."""
        return (DepthWindow(0, 0, self.depth),) if self.depth is not None else self.tiles

    @functools.cached_property
    def cells(self) -> GridCells:
        """The cells holding a depth (finite), indexed once per grid (16 bytes per such cell)."""
        return GridCells.from_windows(self.windows)

    def covers(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Whether grid cells lie in one of the grid's windows.

        Parameters
        ----------
        rows, cols : ndarray of int
            Cells of the grid (row, column in its transform), one shape.

        Returns
        -------
        ndarray of bool
            True inside a window (for a dense grid: inside its extent).
        """
        rows, cols = np.asarray(rows), np.asarray(cols)
        out = np.zeros(np.shape(rows), bool)
        for w in self.windows:
            out |= w.contains(rows, cols)
        return out

    def tiled(self, block: int = 256) -> DepthGrid:
        """The same grid as windows of ``block`` x ``block`` cells, keeping only the windows that hold a depth.

        Parameters
        ----------
        block : int
            Window size in cells.

        Returns
        -------
        DepthGrid
            Windowed (the adapter from a dense grid: the array is cut up, never copied whole).
        """
        out = []
        for w in self.windows:
            h, wd = w.depth.shape
            for r in range(0, h, block):
                for c in range(0, wd, block):
                    part = w.depth[r:r + block, c:c + block]
                    if np.isfinite(part).any():
                        out.append(DepthWindow(w.row0 + r, w.col0 + c, part.copy()))
        return DepthGrid.from_windows(out, self.transform, self.crs, self.cell_m, self.form, self.detail)


@dataclass(frozen=True)
class InputFile:
    """One input file as the report cites it.

    Attributes
    ----------
    path : str
        Relative to the config folder's parent where possible (as README cites files).
    sha256 : str
        Hex digest of the file's bytes.
    bytes : int
        Its size.
    modelled : bool
        Its role is listed in ``inputs.modelled``: a model, not a survey.
    form : str
        How it was read: the input form's name (river, depth), the layer read (coast), "csv" or "vector".
    detail : str
        What was read (features, cells, layer), for the report.
    """

    path: str
    sha256: str
    bytes: int
    modelled: bool
    form: str
    detail: str


@dataclass(frozen=True)
class Inputs:
    """Everything the stages need, validated, in the metric CRS of ``geo`` (:func:`pipeline.load.load_inputs`).

    Attributes
    ----------
    geo : Geodesy
        The run's metric CRS and datum path.
    frame : Polygon
        The data extent (metric): outside it nothing is known.
    land : dict of str to geometry
        State code -> its land polygons (metric; rivers not cut out).
    water : geometry
        The river's water area (metric), islands as holes.
    points : dict of str to TreatyPoint
        The treaty points by id, in file order.
    depth : DepthGrid or None
        River depth on its own grid and CRS; None without a depth input.
    reference : dict of str to geometry or None
        State code -> territory with sea (metric), for validation only; None without one.
    files : dict of str to InputFile
        Every input file by role.
    repairs : tuple of str
        What was repaired on loading (invalid polygons made valid, ...), as logged.
    controls : dict of str to TreatyPoint
        Independent published figures of treaty points by id (``inputs.controls``), for validation only.
    """

    geo: Geodesy
    frame: Polygon
    land: dict[str, BaseGeometry]
    water: BaseGeometry
    points: dict[str, TreatyPoint]
    depth: DepthGrid | None
    reference: dict[str, BaseGeometry] | None
    files: dict[str, InputFile]
    repairs: tuple[str, ...] = ()
    controls: dict[str, TreatyPoint] = field(default_factory=dict)


# ============================================================================================ stages
@dataclass(frozen=True)
class Mouth:
    """The river mouth (:func:`pipeline.land_line.find_mouth`), metric CRS.

    Attributes
    ----------
    closing_line : LineString
        The straight line between the banks' seaward ends of the widest opening (UNCLOS art. 9).
    other_openings : tuple of LineString
        The closing lines of smaller outlets to the sea, widest first: reported, not used.
    opening : geometry or None
        The water's outer ring away from land (all openings, merged lines).
    """

    closing_line: LineString
    other_openings: tuple[LineString, ...]
    opening: BaseGeometry | None = None


@dataclass(frozen=True)
class IslandChoice:
    """Which way the main channel passes an island, and why (:func:`pipeline.land_line.middle_line`).

    Attributes
    ----------
    island : int
        The island's number (:func:`pipeline.land_line.islands`).
    area_m2 : float
        Its planar area in the metric CRS, m2.
    taken : {"left", "right"}
        The side of the island the main channel passes, looking downstream.
    taken_width_m, other_width_m : float
        Mean width (m, length-weighted over the medial axis) of the branch taken and of the other (0: none found).
    taken_depth_m, other_depth_m : float or None
        Mean depth (m) of the two branches with the rule "deepest"; None otherwise (or no other branch).
    rule : str
        "widest" or "deepest".
    """

    island: int
    area_m2: float
    taken: Literal["left", "right"]
    taken_width_m: float
    other_width_m: float
    taken_depth_m: float | None
    other_depth_m: float | None
    rule: str


@dataclass(frozen=True)
class MiddleLine:
    """The middle of the main channel (:func:`pipeline.land_line.middle_line`).

    Attributes
    ----------
    line : LineString
        Metric, from the upstream end of the water to its crossing of the closing line.
    islands : tuple of IslandChoice
        The islands the line passes.
    shore_points : int
        Shore points the medial axis was built from.
    equidistance_error_m : float
        Worst |d(one shore) - d(the other)| at the line's vertices, m (planar).
    """

    line: LineString
    islands: tuple[IslandChoice, ...]
    shore_points: int
    equidistance_error_m: float


@dataclass(frozen=True)
class Thalweg:
    """The thalweg: the least-cost path through the depth grid (:func:`pipeline.land_line.thalweg`).

    Attributes
    ----------
    line : LineString
        Metric, from the upstream end to the closing line.
    cells : int
        Grid cells on the path.
    smoothed_fraction : float
        Fraction (0-1) of the path's vertices that kept their smoothed position (the rest would have left the water).
    cell_m : float
        The grid's cell size, m.
    """

    line: LineString
    cells: int
    smoothed_fraction: float
    cell_m: float


@dataclass(frozen=True)
class ChannelLines:
    """Stage 2 result: the mouth and both channel lines, each from upstream to the closing line (metric CRS).

    Attributes
    ----------
    mouth : Mouth
    middle : MiddleLine
    thalweg : Thalweg or None
        None without a depth input.
    in_use : {"thalweg", "middle"}
        The line the land boundary follows.
    """

    mouth: Mouth
    middle: MiddleLine
    thalweg: Thalweg | None
    in_use: Literal["thalweg", "middle"]

    @property
    def line_in_use(self) -> LineString:
        """The channel line the land boundary follows (metric), upstream end to the closing line."""
        return self.thalweg.line if self.in_use == "thalweg" else self.middle.line

    @property
    def other_name(self) -> Literal["thalweg", "middle"]:
        """The name of the line not in use ("middle" or "thalweg")."""
        return "middle" if self.in_use == "thalweg" else "thalweg"

    @property
    def by_name(self) -> dict[str, LineString]:
        """The line in use first, then the other line (when there is one), by name."""
        return {self.in_use: self.line_in_use, **({self.other_name: self.other} if self.other is not None else {})}

    @property
    def other(self) -> LineString | None:
        """The channel line not in use (metric), or None when there is no thalweg and the middle line is in use."""
        if self.in_use == "thalweg":
            return self.middle.line
        return self.thalweg.line if self.thalweg is not None else None


@dataclass(frozen=True)
class MonumentRow:
    """A monument and the tripoint A, for the report's monument table.

    Attributes
    ----------
    id, name, datum : str
        As published.
    lon, lat : float
        The monument in WGS 84, degrees.
    distance_m : float
        Geodesic distance monument -> A, m.
    azimuth_deg : float
        At the monument, towards A (degrees from true north, [0, 360)).
    back_azimuth_deg : float
        At A, towards the monument.
    """

    id: str
    name: str
    datum: str
    lon: float
    lat: float
    distance_m: float
    azimuth_deg: float
    back_azimuth_deg: float


@dataclass(frozen=True)
class ChannelPoint:
    """A point on a channel line and how it was constructed: the foot of the geodesic perpendicular from a
    monument, the crossing of the dividing line, or the channel point nearest a start point.

    Attributes
    ----------
    line_name : str
        The channel line it lies on ("thalweg" or "middle").
    monument : str
        Id of the point it was constructed from (the monument; marker 1 of a dividing line; the start point).
    point : Point
        Metric CRS.
    lon, lat : float
        WGS 84, degrees.
    station_m : float
        Along the line from its upstream end, planar metres.
    distance_m : float
        Geodesic distance to the monument (dividing line: to marker 1; start rule: to the start point), m.
    perpendicular_deviation_deg : float
        |angle - 90 deg| between the construction and the channel's direction over the stated window; NaN for a
        start point.
    construction : str
        How it was found: "perpendicular from X", "the dividing line X–Y", "nearest to start point X".
    """

    line_name: str
    monument: str
    point: Point
    lon: float
    lat: float
    station_m: float
    distance_m: float
    perpendicular_deviation_deg: float
    construction: str = ""


@dataclass(frozen=True)
class DividingLine:
    """The dividing line of the 1998 agreement: the geodesic through two bank markers, extended.

    Attributes
    ----------
    marker1, marker2 : str
        The markers' ids.
    line : LineString
        Metric, extended beyond both markers.
    length_m : float
        Geodesic distance marker 1 -> marker 2, m.
    azimuth_deg : float
        At marker 1, towards marker 2 (degrees from true north).
    construction_distance_m : dict of str to float
        Line name -> geodesic distance (m) from A on the dividing line to the perpendicular's foot; empty without
        a monument.
    """

    marker1: str
    marker2: str
    line: LineString
    length_m: float
    azimuth_deg: float
    construction_distance_m: dict[str, float]


@dataclass(frozen=True)
class Tripoint:
    """Stage 3 result: A and the constructions checked beside it (:func:`pipeline.tripoint.locate_tripoint`).

    Attributes
    ----------
    a : ChannelPoint
        Tripoint A, on the line in use.
    second_datum : str
        Name of ``tripoint.second_crs``; "" when none.
    lon_second, lat_second : float or None
        A in that CRS, degrees.
    second_operation : str
        pyproj's description of the operation WGS 84 -> that CRS ("" when none was needed).
    monuments : tuple of MonumentRow
        Every monument among the treaty points, with its distance and azimuths to A.
    on_other_line : ChannelPoint or None
        A by the same rule on the other channel line.
    from_compare_monument : ChannelPoint or None
        The perpendicular from the second record of the monument, on the line in use.
    rule : str
        ``tripoint.rule``.
    article : str
        The treaty article the rule implements (:data:`pipeline.tripoint.ARTICLES`).
    dividing : DividingLine or None
        With the rule "dividing_line".
    perpendicular : ChannelPoint or None
        The perpendicular from ``tripoint.monument`` on the line in use (None without a monument).
    perpendicular_other : ChannelPoint or None
        ... on the other line.
    """

    a: ChannelPoint
    second_datum: str
    lon_second: float | None
    lat_second: float | None
    second_operation: str
    monuments: tuple[MonumentRow, ...]
    on_other_line: ChannelPoint | None
    from_compare_monument: ChannelPoint | None
    rule: str = "perpendicular"
    article: str = ""
    dividing: DividingLine | None = None
    perpendicular: ChannelPoint | None = None
    perpendicular_other: ChannelPoint | None = None


@dataclass(frozen=True)
class LandBoundary:
    """The land boundary (:func:`pipeline.land_line.land_boundary`), metric CRS.

    Attributes
    ----------
    line : LineString
        A -> the channel line in use -> its crossing of the closing line -> the junction (when off the crossing).
    middle_part : LineString
        The middle line from its own A station to the closing line.
    thalweg_part : LineString or None
        The thalweg likewise; None without one.
    crossing : Point
        Where the line in use meets the closing line.
    junction : Point
        Where the maritime boundary starts: treaty point B, or the crossing.
    junction_id : str
        The treaty mouth point's id (e.g. "B") or :data:`pipeline.driver.MOUTH_CENTRE`; "" when the junction is
        the crossing.
    """

    line: LineString
    middle_part: LineString
    thalweg_part: LineString | None
    crossing: Point
    junction: Point
    junction_id: str


@dataclass(frozen=True)
class Baselines:
    """The sea and each side's coastline and baseline (:func:`pipeline.maritime.baselines`), metric CRS.

    Attributes
    ----------
    sea : geometry
        The data extent less every state's land and the river's water.
    coast : dict of str to geometry
        Side -> its coastline (lines).
    baseline : dict of str to geometry
        Side -> its coastline plus its part of the closing line, up to the channel line's crossing.
    """

    sea: BaseGeometry
    coast: dict[str, BaseGeometry]
    baseline: dict[str, BaseGeometry]


@dataclass(frozen=True)
class AreaPiece:
    """A face between the agreed and the equidistance line (:func:`pipeline.maritime.areas_between`).

    Attributes
    ----------
    polygon : Polygon
        Metric CRS.
    area_km2 : float
        Geodesic area on WGS 84, km2.
    side_agreed : str
        The state it falls to under the agreed line.
    side_equidistance : str
        The state it falls to under the equidistance line.
    """

    polygon: Polygon
    area_km2: float
    side_agreed: str
    side_equidistance: str


@dataclass(frozen=True)
class AgreedSegment:
    """One segment of the agreed line between two of its points.

    Attributes
    ----------
    start, end : str
        Point ids ("B", "P2", ...).
    kind : str
        "geodesic" or "rhumb".
    line : LineString
        Metric CRS, vertices at most ``maritime.line_densify_m`` apart.
    length_m : float
        Geodesic length on WGS 84 of the line as drawn, m.
    azimuth_deg : float
        Initial azimuth at ``start``, degrees from true north in [0, 360).
    """

    start: str
    end: str
    kind: str
    line: LineString
    length_m: float
    azimuth_deg: float


@dataclass(frozen=True)
class AgreedSpec:
    """The treaty's agreed line as data for the maritime stage: its points (WGS 84) and the kind of each segment.

    ``points`` are the turning points and, last, the end point E, each ``(id, (lon, lat))``; empty: the treaty
    gives no agreed line. ``kinds`` holds "geodesic" or "rhumb" per segment (empty: all geodesics). ``beyond``
    are the treaty's points past E, joined by geodesics from E, drawn apart.
    """

    points: tuple[tuple[str, LonLat], ...] = ()
    kinds: tuple[str, ...] = ()
    beyond: tuple[tuple[str, LonLat], ...] = ()

    @classmethod
    def from_treaty(cls, treaty: Any, points: dict[str, TreatyPoint]) -> "AgreedSpec":
        """The agreed line of ``[treaty]`` with each point as read (after its datum transform).

        Parameters
        ----------
        treaty : pipeline.config.TreatyCfg
            ``turning_points``, ``end_point``, ``segment_lines`` and ``beyond_points``.
        points : dict of str to TreatyPoint
            The treaty points by id; every id ``treaty`` names must be in it.

        Returns
        -------
        AgreedSpec
            No points when ``treaty.end_point`` is empty.
        """
        chain = [*treaty.turning_points, treaty.end_point] if treaty.end_point else []
        return cls(tuple((i, points[i].lonlat) for i in chain), tuple(treaty.segment_lines),
                   tuple((i, points[i].lonlat) for i in treaty.beyond_points))


@dataclass(frozen=True)
class MaritimeResult:
    """Stage 4 result (:func:`pipeline.maritime.maritime_boundary`): geometries in the metric CRS, distances geodesic
    on WGS 84.

    Attributes
    ----------
    method : str
        ``maritime.method``: "treaty" or "equidistance".
    boundary : LineString
        The line in use, from the junction seaward.
    baselines : Baselines
    limits : dict of str to MultiLineString
        Side -> its 12-nm limit, on its own side of the boundary.
    limit_error_m : dict of str to float
        Side -> worst |distance to its baseline - breadth| along its limit, m.
    equidistance : LineString
        The equidistance line from the channel line's crossing of the closing line to the 12-nm limit.
    equidistance_error_m : float
        Worst |d(left baseline) - d(right baseline)| along it, m.
    equidistance_start_gap_m : float
        The raw median line's distance from the crossing, m (planar).
    agreed : LineString or None
        The agreed line from the junction to the end point E; None without one.
    rhumb : LineString or None
        The same points joined by rhumb lines, for comparison.
    rhumb_separation_m : float or None
        Largest distance from the rhumb-line twin to the agreed line, m.
    end_distance_m : dict of str to float
        Side -> distance from the boundary's end (E, or the 12-nm end) to its baseline, m.
    limit_crossings : dict of str to Point or None
        Side -> where the agreed line (continued a quarter breadth past E) first meets its full limit line.
    areas : tuple of AreaPiece
        The faces between the agreed and the equidistance line, largest first.
    segments : tuple of AgreedSegment
        The agreed line's segments, mouth point first.
    beyond : LineString or None
        The treaty's line beyond the end point, drawn apart.
    """

    method: str
    boundary: LineString
    baselines: Baselines
    limits: dict[str, MultiLineString]
    limit_error_m: dict[str, float]
    equidistance: LineString
    equidistance_error_m: float
    equidistance_start_gap_m: float
    agreed: LineString | None
    rhumb: LineString | None
    rhumb_separation_m: float | None
    end_distance_m: dict[str, float]
    limit_crossings: dict[str, Point | None] # where the agreed line crosses each limit (metric)
    areas: tuple[AreaPiece, ...]
    segments: tuple[AgreedSegment, ...] = ()
    beyond: LineString | None = None


# ============================================================================================ report
@dataclass(frozen=True)
class Check:
    """One judged check: a row of ``report.json``, a line of ``run``/``check``, a JUnit test case.

    Attributes
    ----------
    name : str
        The check's name (``<name>_<key>`` for a check made per key).
    value : float
        The figure, unrounded, in ``unit``.
    target : float
        "within": the published figure; "at most": 0.
    tolerance : float
        "within": the allowed |value - target|; "at most": the limit.
    unit : str
        "m", "deg", "ppm", ...
    kind : {"within", "at most"}
    passed : bool
        NaN fails.
    detail : str
        What is measured.
    catches : str
        What error the check would catch.
    """

    name: str
    value: float
    target: float
    tolerance: float
    unit: str
    kind: Literal["within", "at most"]
    passed: bool
    detail: str
    catches: str

    def line(self) -> str:
        """The check as one line of ``tumen-border run`` and ``check``.

        Returns
        -------
        str
            "PASS|FAIL  name: value unit vs target unit (diff, tolerance) — detail" for "within",
            "PASS|FAIL  name: value unit (at most limit) — detail" for "at most"; figures rounded for reading.
        """
        status = "PASS" if self.passed else "FAIL"
        if self.kind == "within":
            return (f"{status}  {self.name}: {self.value:,.3f} {self.unit} vs {self.target:,.3f} {self.unit} "
                    f"(diff {self.value - self.target:+,.3f}, tolerance ±{self.tolerance:,.3f}) — {self.detail}")
        return f"{status}  {self.name}: {self.value:,.4f} {self.unit} (at most {self.tolerance:,.4f}) — {self.detail}"


@dataclass(frozen=True)
class IslandRow:
    """One island in the report (:func:`pipeline.report.island_rows`).

    Attributes
    ----------
    island : int
        Its number (:func:`pipeline.land_line.islands`).
    area_m2 : float
        Geodesic area on WGS 84, m2.
    branch_taken : str
        The side of the island the main channel passes ("left" or "right", looking downstream), or "not passed".
    taken_width_m, other_width_m : float
        Mean widths (m) of the two branches; 0 when not passed.
    taken_depth_m, other_depth_m : float or None
        Mean depths (m) with the rule "deepest".
    rule : str
        "widest" or "deepest" ("" when not passed).
    side_in_use : str
        The state it falls to under the line in use.
    side_alternative : str
        ... under the other channel line ("" without one).
    distance_to_border_m : float
        Geodesic distance (m) from its shore's vertices to the land boundary, the least.
    """

    island: int
    area_m2: float
    branch_taken: str
    taken_width_m: float
    other_width_m: float
    taken_depth_m: float | None
    other_depth_m: float | None
    rule: str
    side_in_use: str
    side_alternative: str
    distance_to_border_m: float


@dataclass(frozen=True)
class LandReport:
    """The land boundary's section of the report; lengths geodesic on WGS 84.

    Attributes
    ----------
    border_line : str
        The line in use, "thalweg" or "middle".
    border_line_reason : str
        Why (text).
    main_channel_rule : str
        "widest" or "deepest".
    land_boundary_m : float
        The land boundary's length, A -> B, m (the figure ``land_length`` judges).
    channel_part_m : float
        The channel line in use, A -> crossing of the closing line, m.
    junction_segment_m : float
        Crossing -> B, m (0 without one).
    middle_m : float
        The middle line from its A station to the closing line, m.
    thalweg_m : float or None
        The thalweg likewise, m.
    separation_max_m, separation_mean_m : float or None
        Largest and mean distance from the thalweg to the middle line, m (sampled every ``land.compare_step_m``).
    area_between_km2 : float or None
        Area enclosed between the thalweg and the middle line, km2.
    shore_points : int
        Shore points of the medial axis.
    middle_equidistance_error_m : float
        :attr:`MiddleLine.equidistance_error_m`, m.
    thalweg_cells : int or None
        Grid cells on the thalweg's path.
    thalweg_smoothed_fraction : float or None
        :attr:`Thalweg.smoothed_fraction`.
    islands : list of IslandRow
    islands_per_side : dict of str to int
        State code -> islands that fall to it under the line in use.
    """

    border_line: str
    border_line_reason: str
    main_channel_rule: str
    land_boundary_m: float
    channel_part_m: float
    junction_segment_m: float
    middle_m: float
    thalweg_m: float | None
    separation_max_m: float | None
    separation_mean_m: float | None
    area_between_km2: float | None
    shore_points: int
    middle_equidistance_error_m: float
    thalweg_cells: int | None
    thalweg_smoothed_fraction: float | None
    islands: list[IslandRow]
    islands_per_side: dict[str, int]


@dataclass(frozen=True)
class FootReport:
    """A construction of A on a channel line, in the report (from a :class:`ChannelPoint`).

    Attributes
    ----------
    line : str
        The channel line ("thalweg" or "middle").
    monument : str
        Id of the point it was constructed from.
    lon, lat : float
        WGS 84, degrees.
    distance_to_monument_m : float
        Geodesic, m.
    perpendicular_deviation_deg : float or None
        |angle - 90 deg| of the construction with the channel (None for a start point).
    distance_to_tripoint_m : float
        Geodesic distance to A, m.
    """

    line: str
    monument: str
    lon: float
    lat: float
    distance_to_monument_m: float
    perpendicular_deviation_deg: float | None
    distance_to_tripoint_m: float


@dataclass(frozen=True)
class DividingReport:
    """The dividing line in the report (rule "dividing_line").

    Attributes
    ----------
    marker1, marker2 : str
        The markers' ids.
    length_m : float
        Geodesic distance marker 1 -> marker 2, m.
    azimuth_deg : float
        At marker 1, towards marker 2, degrees.
    crossings : dict of str to list of float
        Channel line -> [lon, lat] (WGS 84) where the dividing line crosses it.
    angle_deviation_deg : dict of str to float
        Channel line -> |angle with the line's direction at the crossing - 90|, degrees.
    construction_distance_m : dict of str to float
        Channel line -> geodesic distance (m) from the crossing to the perpendicular's foot.
    """

    marker1: str
    marker2: str
    length_m: float
    azimuth_deg: float
    crossings: dict[str, list[float]]
    angle_deviation_deg: dict[str, float]
    construction_distance_m: dict[str, float]


@dataclass(frozen=True)
class TripointReport:
    """Tripoint A in the report: coordinates WGS 84 [lon, lat] degrees, distances geodesic in m.

    Attributes
    ----------
    rule : str
        ``tripoint.rule``.
    article : str
        The treaty article(s) the rule implements.
    construction : str
        How A was found.
    direction_window_m : float
        The channel's direction is measured over this length of line, m.
    line : str
        The channel line A lies on.
    monument : str
        The point A was constructed from (marker 1, the monument, the start point).
    lon, lat : float
        A, WGS 84 degrees.
    second_datum : str
        Name of ``tripoint.second_crs`` ("" when none).
    lon_second_datum, lat_second_datum : float or None
        A in that CRS, degrees.
    second_datum_operation : str
        pyproj's description of the operation.
    station_m : float
        A along the line in use from its upstream end, planar metres (metric CRS).
    distance_to_monument_m : float
        A to the point it was constructed from, m.
    angle_deviation_deg : float or None
        A's construction: |angle - 90| degrees (None for a start point).
    perpendicular_deviation_deg : float or None
        The perpendicular from the monument: |angle - 90| degrees (None without a monument).
    monuments : list of MonumentRow
    record_disagreement_m : float or None
        The monument's two records, both in WGS 84, this far apart (m); None without a second record.
    on_other_line, from_compare_monument : FootReport or None
        A by the same rule on the other line; the perpendicular from the monument's second record.
    dividing : DividingReport or None
    perpendicular, perpendicular_other : FootReport or None
        The perpendicular from the monument on the line in use, and on the other line.
    """

    rule: str
    article: str
    construction: str
    direction_window_m: float
    line: str
    monument: str
    lon: float
    lat: float
    second_datum: str
    lon_second_datum: float | None
    lat_second_datum: float | None
    second_datum_operation: str
    station_m: float
    distance_to_monument_m: float
    angle_deviation_deg: float | None
    perpendicular_deviation_deg: float | None
    monuments: list[MonumentRow]
    on_other_line: FootReport | None
    from_compare_monument: FootReport | None
    record_disagreement_m: float | None
    dividing: DividingReport | None
    perpendicular: FootReport | None
    perpendicular_other: FootReport | None


@dataclass(frozen=True)
class DatumRow:
    """A treaty point whose datum was not stated, or that was transformed: as printed and as read.

    Attributes
    ----------
    id, name : str
    datum : str
        As published.
    stated : bool
        Whether the source states the CRS.
    crs_used : str
        The CRS it was read in.
    published : str
        The coordinate's text as printed.
    as_printed : list of float
        [lon, lat] as printed (degrees, read as if WGS 84).
    wgs84 : list of float
        [lon, lat] in WGS 84 after the datum transform, degrees.
    shift_m : float
        Geodesic distance between the two readings, m.
    operation : str
        pyproj's description of the operation.
    accuracy_m : float or None
        Its stated accuracy, m.
    """

    id: str
    name: str
    datum: str
    stated: bool
    crs_used: str
    published: str
    as_printed: list[float]
    wgs84: list[float]
    shift_m: float
    operation: str
    accuracy_m: float | None


@dataclass(frozen=True)
class MouthReport:
    """The mouth in the report: coordinates WGS 84 [lon, lat] degrees, lengths and distances geodesic in m.

    Attributes
    ----------
    closing_line_length_m : float
    closing_line_ends : list of list of float
        Its two ends, [lon, lat].
    other_openings_m : list of float
        Lengths of the other openings' closing lines.
    crossing : list of float
        Where the channel line in use meets the closing line.
    treaty_point : str
        The treaty mouth point's id ("" when none).
    treaty_lonlat : list of float or None
        It, as read.
    offset_m : float or None
        Crossing -> treaty mouth point (the figure ``mouth_offset_to_treaty_point``).
    offset_azimuth_deg : float or None
        At the crossing, towards the treaty mouth point, degrees.
    junction : list of float
        Where the land and the maritime boundary meet.
    junction_gap_m : float
        Land boundary's end -> maritime boundary's start (the figure ``land_sea_junction``).
    rule : str
        ``treaty.mouth_rule``.
    rule_text : str
        How the mouth point was fixed, in words.
    """

    closing_line_length_m: float
    closing_line_ends: list[list[float]]
    other_openings_m: list[float]
    crossing: list[float]
    treaty_point: str
    treaty_lonlat: list[float] | None
    offset_m: float | None
    offset_azimuth_deg: float | None
    junction: list[float]
    junction_gap_m: float
    rule: str = "point"
    rule_text: str = ""


@dataclass(frozen=True)
class SegmentRow:
    """One segment of the agreed line in the report.

    Attributes
    ----------
    start, end : str
        Point ids.
    kind : str
        "geodesic" or "rhumb".
    length_m : float
        Geodesic length of the line as drawn, m.
    length_nmi : float
        The same in nautical miles (``maritime.nautical_mile_m``).
    azimuth_deg : float
        Initial azimuth at ``start``, degrees.
    published_m, tolerance_m : float or None
        The published length and its tolerance from ``official.segments``, m; None when none is configured.
    source : str
        Where the published figure comes from.
    """

    start: str
    end: str
    kind: str
    length_m: float
    length_nmi: float
    azimuth_deg: float
    published_m: float | None
    tolerance_m: float | None
    source: str


@dataclass(frozen=True)
class LimitCrossing:
    """Where the agreed line meets one side's 12-nm limit, in the report.

    Attributes
    ----------
    side : str
        State code.
    lon, lat : float or None
        The crossing, WGS 84 degrees; None when there is none or no end point.
    distance_to_end_m : float or None
        Geodesic distance from the crossing to the end point E, m.
    """

    side: str
    lon: float | None
    lat: float | None
    distance_to_end_m: float | None


@dataclass(frozen=True)
class MethodRow:
    """One maritime method's line compared with the agreed line, in the report.

    Attributes
    ----------
    method : str
        "treaty" or "equidistance".
    in_use : bool
    length_m : float
        Geodesic length, m.
    start, end : list of float
        [lon, lat], WGS 84 degrees.
    end_to_end_point_m : float or None
        Its end to the treaty end point, m (None without one).
    max_separation_from_agreed_m, mean_separation_from_agreed_m : float or None
        Distance to the agreed line, sampled every 10 x ``validation.step_m``, m (None without an agreed line).
    end_distance_to_baselines_m : dict of str to float
        Side -> distance from its end to that side's baseline, m.
    """

    method: str
    in_use: bool
    length_m: float
    start: list[float]
    end: list[float]
    end_to_end_point_m: float | None
    max_separation_from_agreed_m: float | None
    mean_separation_from_agreed_m: float | None
    end_distance_to_baselines_m: dict[str, float]


@dataclass(frozen=True)
class AreaRow:
    """One face between the agreed and the equidistance line, in the report.

    Attributes
    ----------
    piece : int
        Its number, from 1, largest first.
    area_km2 : float
        Geodesic, km2.
    side_agreed, side_equidistance : str
        The state it falls to under each line.
    """

    piece: int
    area_km2: float
    side_agreed: str
    side_equidistance: str


@dataclass(frozen=True)
class MaritimeReport:
    """The maritime boundary's section of the report: coordinates WGS 84 [lon, lat] degrees, lengths and distances
    geodesic in m.

    Attributes
    ----------
    method : str
        "treaty" or "equidistance".
    breadth_m : float
        The territorial sea's breadth, m.
    length_m : float
        The maritime boundary's length (the figure ``sea_length``).
    start, end : list of float
        Its ends.
    end_point : str
        The treaty end point's id ("" when none).
    end_point_lonlat : list of float or None
    end_distance_to_baselines_m : dict of str to float
        Side -> distance from the boundary's end to that side's baseline.
    limit_crossings : list of LimitCrossing
    agreed_length_m : float or None
    agreed_azimuth_deg : float or None
        Initial azimuth of the agreed line's first segment, degrees.
    rhumb_length_m, rhumb_max_separation_m : float or None
        The rhumb-line twin's length, and its largest distance from the agreed line.
    limit_error_m : dict of str to float
        Side -> worst |distance to its baseline - breadth| along its limit.
    limit_lengths_m : dict of str to float
        Side -> its limit's length.
    equidistance_length_m, equidistance_error_m, equidistance_start_gap_m : float
        The equidistance line's length, worst |d(left) - d(right)|, and the raw line's gap at its start (planar).
    methods : list of MethodRow
    areas : list of AreaRow
    area_total_km2 : float
        Total area between the agreed and the equidistance line, km2.
    area_by_side : dict of str to float
        "X under the agreed line, Y under equidistance" -> km2.
    segments : list of SegmentRow
        The agreed line, segment by segment.
    beyond : list of str
        Ids of the treaty points beyond the end point.
    beyond_length_m : float or None
        Length of the line beyond the end point.
    """

    method: str
    breadth_m: float
    length_m: float
    start: list[float]
    end: list[float]
    end_point: str
    end_point_lonlat: list[float] | None
    end_distance_to_baselines_m: dict[str, float]
    limit_crossings: list[LimitCrossing]
    agreed_length_m: float | None
    agreed_azimuth_deg: float | None
    rhumb_length_m: float | None
    rhumb_max_separation_m: float | None
    limit_error_m: dict[str, float]
    limit_lengths_m: dict[str, float]
    equidistance_length_m: float
    equidistance_error_m: float
    equidistance_start_gap_m: float
    methods: list[MethodRow]
    areas: list[AreaRow]
    area_total_km2: float
    area_by_side: dict[str, float]
    segments: list[SegmentRow] = field(default_factory=list)
    beyond: list[str] = field(default_factory=list)
    beyond_length_m: float | None = None


@dataclass(frozen=True)
class ValidationRow:
    """One comparison with data that did not produce the border (:func:`pipeline.validate.validations`).

    Attributes
    ----------
    name : str
    independent : bool
        False for a consistency check against data the inputs were built from.
    what : str
        What is compared with what.
    value_m : float
        The figure, m (geodesic).
    detail : str
    """

    name: str
    independent: bool
    what: str
    value_m: float
    detail: str


@dataclass(frozen=True)
class CrsReport:
    """The run's metric CRS in the report.

    Attributes
    ----------
    metric : str
        Its name.
    max_scale_error_ppm : float
        Worst scale distortion over the data extent, ppm (the figure ``projection_scale_error``).
    length_error_over_sea_m : float
        The maritime boundary's length times that distortion: the most a planar measure of it could be off, m
        (every reported length is geodesic).
    """

    metric: str
    max_scale_error_ppm: float
    length_error_over_sea_m: float


@dataclass(frozen=True)
class Report:
    """Everything ``report.json`` and ``report.md`` state (:func:`pipeline.report.build_report`): plain values only,
    unrounded; coordinates WGS 84 [lon, lat] degrees, lengths and distances geodesic in m, areas m2 or km2.

    Attributes
    ----------
    schema : str
        :data:`REPORT_SCHEMA`.
    case : str
        ``case.name``.
    sides : dict of str to str
        "left", "right", "third" -> state code ("" for no third state).
    side_names : dict of str to str
        State code -> short name.
    legal_chain : str
        The border point for point in words.
    legal_source, official_source : str
        ``treaty.source`` and ``official.source``.
    passed : bool
        Every check holds.
    checks : list of Check
    total_length_m : float
        Land boundary plus maritime boundary, m.
    land : LandReport
    tripoint : TripointReport
    datums : list of DatumRow
    mouth : MouthReport
    maritime : MaritimeReport
    validation : list of ValidationRow
    crs : CrsReport
    inputs : dict of str to InputFile
        Every input file by role.
    modelled : list of str
        Roles of modelled inputs.
    repairs : list of str
        What was repaired on loading.
    notes : list of str
    software : dict of str to str
        Library -> version.
    control_offsets_m : dict of str to float
        Treaty point id -> distance to its control figure, m.
    """

    schema: str
    case: str
    sides: dict[str, str]
    side_names: dict[str, str]
    legal_chain: str
    legal_source: str
    official_source: str
    passed: bool
    checks: list[Check]
    total_length_m: float
    land: LandReport
    tripoint: TripointReport
    datums: list[DatumRow]
    mouth: MouthReport
    maritime: MaritimeReport
    validation: list[ValidationRow]
    crs: CrsReport
    inputs: dict[str, InputFile]
    modelled: list[str]
    repairs: list[str]
    notes: list[str]
    software: dict[str, str]
    control_offsets_m: dict[str, float] = field(default_factory=dict)


# ============================================================================ strict (de)serialisation
def to_jsonable(obj: Any) -> Any:
    """A dataclass tree as JSON-ready dicts and lists (floats kept exact; NaN never occurs in a report).

    Parameters
    ----------
    obj : any
        A dataclass (e.g. :class:`Report`), dict, list, tuple, numpy scalar, Path or plain value.

    Returns
    -------
    any
        dicts with str keys, lists, and str, int, float, bool or None (a Path as its text).
    """
    if dataclasses.is_dataclass(obj):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


class SchemaError(ValueError):
    """``where``: the JSON path at fault."""


def from_jsonable(cls: type, data: Any, where: str = "$") -> Any:
    """Rebuild ``cls`` from JSON data, checking every key and type (:func:`pipeline.typed.strict`).

    Parameters
    ----------
    cls : type
        A dataclass (e.g. :class:`Report`) whose fields are dataclasses, lists, dicts, unions with None, Literals,
        float, int, bool, str or Any.
    data : any
        As ``json.loads`` gives it.
    where : str
        The JSON path of ``data``, for messages ("$" at the top).

    Returns
    -------
    cls instance
        Integers accepted where floats are due (as JSON writes 1.0 as 1).

    Raises
    ------
    SchemaError
        Naming the first JSON path at fault: a missing or unknown key, a wrong type, a value not allowed.
    """
    from .typed import strict

    def fail(message: str):
        raise SchemaError(message)

    return strict(data, cls, where, fail)


@dataclass(frozen=True)
class Results:
    """Everything one run computed, before presentation: geometries in the run's metric CRS, figures unrounded.

    Attributes
    ----------
    inputs : Inputs
    channel : ChannelLines
    tripoint : Tripoint
    land : LandBoundary
    maritime : MaritimeResult
    reference : dict of str to LineString or None
        The reference border's "river" and "sea" parts (metric); None without a reference.
    checks : tuple of Check
    figures : dict of str to any
        Check name -> the figure it judged (:mod:`pipeline.checks`), also what the report states.
    timings : dict of str to float
        Stage -> wall time, s.
    """

    inputs: Inputs
    channel: ChannelLines
    tripoint: Tripoint
    land: LandBoundary
    maritime: MaritimeResult
    reference: dict[str, LineString] | None
    checks: tuple[Check, ...]
    figures: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether every check holds."""
        return all(c.passed for c in self.checks)
