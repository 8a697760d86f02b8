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
    """One published coordinate. ``crs`` is as published ("" = not stated); ``crs_used`` is how it was read."""

    id: str
    name: str
    kind: str                     # monument | mouth | end | other
    datum: str
    crs: str
    lat: float
    lon: float
    published: str
    source: str
    crs_used: str
    lon_wgs84: float
    lat_wgs84: float
    operation: str                # pyproj's description of the operation ("" when none was needed)
    operation_accuracy_m: float | None

    @property
    def datum_stated(self) -> bool:
        return bool(self.crs)

    @property
    def lonlat(self) -> LonLat:
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
        """Whether grid cells (``rows``, ``cols``: int arrays) lie in this window (bool array)."""
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
        """The keys of cells (``rows``, ``cols`` >= 0, int arrays)."""
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
        """Index into ``key`` / ``value`` of each cell (``rows``, ``cols``: int arrays of one shape), -1 where a
        cell holds no value or lies off the grid (negative row or column included)."""
        rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
        ok = (rows >= 0) & (cols >= 0) & (rows < 2 ** 31) & (cols < 2 ** 31)
        want = self.keys(np.where(ok, rows, 0), np.where(ok, cols, 0))
        i = np.searchsorted(self.key, want)
        i_ok = np.minimum(i, max(len(self.key) - 1, 0))
        hit = ok & (i < len(self.key))
        hit[hit] = self.key[i_ok[hit]] == want[hit]
        return np.where(hit, i, -1)

    def values_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The value of each cell as float64, NaN where it holds none or lies off the grid."""
        i = self.find(rows, cols)
        out = np.full(np.shape(i), np.nan)
        out[i >= 0] = self.value[i[i >= 0]]
        return out

    @classmethod
    def from_windows(cls, windows: tuple[DepthWindow, ...]) -> GridCells:
        """The finite cells of ``windows`` (where windows overlap, the first window's value is kept)."""
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
        """A windowed grid: ``windows`` (iterable of :class:`DepthWindow`) on the grid ``transform`` (affine,
        ``crs``), cells of ``cell_m`` metres."""
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
        """Whether grid cells (int arrays) lie in one of the grid's windows (for a dense grid: in its extent)."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        out = np.zeros(np.shape(rows), bool)
        for w in self.windows:
            out |= w.contains(rows, cols)
        return out

    def tiled(self, block: int = 256) -> DepthGrid:
        """The same grid as windows of ``block`` x ``block`` cells, keeping only the windows that hold a depth
        (the transitional adapter from a dense grid: the array is cut up, never copied whole)."""
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
    path: str
    sha256: str
    bytes: int
    modelled: bool
    form: str
    detail: str


@dataclass(frozen=True)
class Inputs:
    """Everything the stages need, validated, in the metric CRS of ``geo``."""

    geo: Geodesy
    frame: Polygon                          # the data extent (metric): outside it nothing is known
    land: dict[str, BaseGeometry]           # state code -> land polygons (rivers not cut out)
    water: BaseGeometry                     # river water area, islands as holes
    points: dict[str, TreatyPoint]
    depth: DepthGrid | None
    reference: dict[str, BaseGeometry] | None
    files: dict[str, InputFile]
    repairs: tuple[str, ...] = ()
    controls: dict[str, TreatyPoint] = field(default_factory=dict)   # independent figures of treaty points


# ============================================================================================ stages
@dataclass(frozen=True)
class Mouth:
    closing_line: LineString                # straight line between the banks' seaward ends (UNCLOS art. 9)
    other_openings: tuple[LineString, ...]  # smaller outlets to the sea, reported, not used
    opening: BaseGeometry | None = None     # the water's outer ring away from land (all openings)


@dataclass(frozen=True)
class IslandChoice:
    island: int
    area_m2: float
    taken: Literal["left", "right"]        # side of the island the main channel passes, looking downstream
    taken_width_m: float
    other_width_m: float
    taken_depth_m: float | None
    other_depth_m: float | None
    rule: str


@dataclass(frozen=True)
class MiddleLine:
    line: LineString                        # upstream end -> crossing of the closing line
    islands: tuple[IslandChoice, ...]
    shore_points: int
    equidistance_error_m: float             # worst |d(nearest shore) - d(second nearest)| over the vertices


@dataclass(frozen=True)
class Thalweg:
    line: LineString                        # upstream end -> closing line
    cells: int
    smoothed_fraction: float
    cell_m: float


@dataclass(frozen=True)
class ChannelLines:
    """Stage 2 result: the mouth and both channel lines, each from upstream to the closing line."""

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
        return "middle" if self.in_use == "thalweg" else "thalweg"

    @property
    def by_name(self) -> dict[str, LineString]:
        """The line in use first, then the other line (when there is one), by name."""
        return {self.in_use: self.line_in_use, **({self.other_name: self.other} if self.other is not None else {})}

    @property
    def other(self) -> LineString | None:
        if self.in_use == "thalweg":
            return self.middle.line
        return self.thalweg.line if self.thalweg is not None else None


@dataclass(frozen=True)
class MonumentRow:
    id: str
    name: str
    datum: str
    lon: float
    lat: float
    distance_m: float            # geodesic, monument -> tripoint
    azimuth_deg: float           # at the monument, towards the tripoint
    back_azimuth_deg: float      # at the tripoint, towards the monument


@dataclass(frozen=True)
class ChannelPoint:
    """A point on a channel line and how it was constructed: the foot of the geodesic perpendicular from a
    monument, the crossing of the dividing line, or the channel point nearest a start point."""

    line_name: str               # which channel line it lies on ("thalweg" | "middle")
    monument: str
    point: Point                 # metric
    lon: float
    lat: float
    station_m: float             # along the line from its upstream end (planar metres)
    distance_m: float            # geodesic, to the monument (dividing line: to marker 1; start rule: to the point)
    perpendicular_deviation_deg: float   # |angle - 90 deg| with the channel's direction over the stated window
    construction: str = ""       # how it was found: "perpendicular from X", "the dividing line X–Y", ...


@dataclass(frozen=True)
class DividingLine:
    """The dividing line of the 1998 agreement: the geodesic through two bank markers, extended."""

    marker1: str
    marker2: str
    line: LineString             # metric, extended beyond both markers
    length_m: float              # geodesic, marker 1 -> marker 2
    azimuth_deg: float           # at marker 1, towards marker 2
    construction_distance_m: dict[str, float]   # line name -> A (dividing line) to the perpendicular's foot


@dataclass(frozen=True)
class Tripoint:
    a: ChannelPoint              # tripoint A, on the line in use
    second_datum: str            # name of tripoint.second_crs ("" when none)
    lon_second: float | None     # A in that CRS
    lat_second: float | None
    second_operation: str
    monuments: tuple[MonumentRow, ...]
    on_other_line: ChannelPoint | None
    from_compare_monument: ChannelPoint | None
    rule: str = "perpendicular"  # tripoint.rule
    article: str = ""            # the treaty article the rule implements
    dividing: DividingLine | None = None
    perpendicular: ChannelPoint | None = None         # perpendicular from the monument, on the line in use
    perpendicular_other: ChannelPoint | None = None   # ... on the other line


@dataclass(frozen=True)
class LandBoundary:
    line: LineString             # A -> channel line -> crossing -> junction (B, or the crossing)
    middle_part: LineString      # middle line from its own tripoint foot to the closing line
    thalweg_part: LineString | None
    crossing: Point              # where the line in use meets the closing line
    junction: Point              # where the maritime boundary starts (treaty point B, or the crossing)
    junction_id: str             # "B" or "" (the crossing)


@dataclass(frozen=True)
class Baselines:
    sea: BaseGeometry
    coast: dict[str, BaseGeometry]          # side -> coastline
    baseline: dict[str, BaseGeometry]       # side -> coastline + its half of the closing line


@dataclass(frozen=True)
class AreaPiece:
    polygon: Polygon                         # metric
    area_km2: float                          # geodesic
    side_agreed: str                         # the state it falls to under the agreed line
    side_equidistance: str


@dataclass(frozen=True)
class AgreedSegment:
    """One segment of the agreed line between two of its points."""

    start: str                               # point ids ("B", "P2", ...)
    end: str
    kind: str                                # "geodesic" | "rhumb"
    line: LineString                         # metric
    length_m: float                          # geodesic length of the line as drawn (WGS 84)
    azimuth_deg: float                       # initial azimuth at ``start``


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
        """The agreed line of ``[treaty]`` (``turning_points``, ``end_point``, ``segment_lines``,
        ``beyond_points``) with each point as read (after its datum transform)."""
        chain = [*treaty.turning_points, treaty.end_point] if treaty.end_point else []
        return cls(tuple((i, points[i].lonlat) for i in chain), tuple(treaty.segment_lines),
                   tuple((i, points[i].lonlat) for i in treaty.beyond_points))


@dataclass(frozen=True)
class MaritimeResult:
    method: str
    boundary: LineString                     # the line in use (metric), from the junction seaward
    baselines: Baselines
    limits: dict[str, MultiLineString]
    limit_error_m: dict[str, float]
    equidistance: LineString
    equidistance_error_m: float
    equidistance_start_gap_m: float
    agreed: LineString | None                # geodesic B -> E (metric)
    rhumb: LineString | None
    rhumb_separation_m: float | None
    end_distance_m: dict[str, float]         # end point (E, or the boundary's end) -> each baseline
    limit_crossings: dict[str, Point | None] # where the agreed line crosses each limit (metric)
    areas: tuple[AreaPiece, ...]
    segments: tuple[AgreedSegment, ...] = ()   # the agreed line's segments, mouth point first
    beyond: LineString | None = None         # the treaty's line beyond the end point (metric), drawn apart


# ============================================================================================ report
@dataclass(frozen=True)
class Check:
    name: str
    value: float
    target: float
    tolerance: float       # "within": allowed |value - target|; "at most": the limit
    unit: str
    kind: Literal["within", "at most"]
    passed: bool
    detail: str            # what is measured
    catches: str           # what error the check would catch

    def line(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        if self.kind == "within":
            return (f"{status}  {self.name}: {self.value:,.3f} {self.unit} vs {self.target:,.3f} {self.unit} "
                    f"(diff {self.value - self.target:+,.3f}, tolerance ±{self.tolerance:,.3f}) — {self.detail}")
        return f"{status}  {self.name}: {self.value:,.4f} {self.unit} (at most {self.tolerance:,.4f}) — {self.detail}"


@dataclass(frozen=True)
class IslandRow:
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
    border_line: str
    border_line_reason: str
    main_channel_rule: str
    land_boundary_m: float
    channel_part_m: float                   # the channel line in use, A -> crossing
    junction_segment_m: float               # crossing -> B
    middle_m: float                         # middle line, its tripoint foot -> closing line
    thalweg_m: float | None
    separation_max_m: float | None          # between thalweg and middle line
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
    line: str
    monument: str
    lon: float
    lat: float
    distance_to_monument_m: float
    perpendicular_deviation_deg: float | None
    distance_to_tripoint_m: float


@dataclass(frozen=True)
class DividingReport:
    marker1: str
    marker2: str
    length_m: float                              # geodesic, marker 1 -> marker 2
    azimuth_deg: float                           # at marker 1, towards marker 2
    crossings: dict[str, list[float]]            # line -> [lon, lat] where the dividing line crosses it
    angle_deviation_deg: dict[str, float]        # line -> |angle with the line's direction at the crossing - 90|
    construction_distance_m: dict[str, float]    # line -> crossing to the perpendicular's foot


@dataclass(frozen=True)
class TripointReport:
    rule: str                                    # tripoint.rule
    article: str                                 # the treaty article(s) the rule implements
    construction: str                            # how A was found
    direction_window_m: float                    # channel direction measured over this length of line
    line: str
    monument: str                                # the point A was constructed from (marker 1, monument, start)
    lon: float
    lat: float
    second_datum: str
    lon_second_datum: float | None
    lat_second_datum: float | None
    second_datum_operation: str
    station_m: float
    distance_to_monument_m: float
    angle_deviation_deg: float | None            # A's construction: |angle - 90| (None for a start point)
    perpendicular_deviation_deg: float | None    # the perpendicular from the monument (None without one)
    monuments: list[MonumentRow]
    on_other_line: FootReport | None
    from_compare_monument: FootReport | None
    record_disagreement_m: float | None       # the two records of the monument, both in WGS 84
    dividing: DividingReport | None
    perpendicular: FootReport | None             # perpendicular from the monument, line in use
    perpendicular_other: FootReport | None       # ... on the other line


@dataclass(frozen=True)
class DatumRow:
    id: str
    name: str
    datum: str
    stated: bool
    crs_used: str
    published: str
    as_printed: list[float]                  # lon, lat as printed (read as WGS 84)
    wgs84: list[float]                       # lon, lat after the datum transform
    shift_m: float                           # geodesic distance between the two readings
    operation: str
    accuracy_m: float | None


@dataclass(frozen=True)
class MouthReport:
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
    rule: str = "point"                      # treaty.mouth_rule: how the mouth point was fixed
    rule_text: str = ""


@dataclass(frozen=True)
class SegmentRow:
    start: str
    end: str
    kind: str                                # geodesic | rhumb
    length_m: float
    length_nmi: float
    azimuth_deg: float
    published_m: float | None                # the treaty's or an official figure, when one is configured
    tolerance_m: float | None
    source: str


@dataclass(frozen=True)
class LimitCrossing:
    side: str
    lon: float | None
    lat: float | None
    distance_to_end_m: float | None


@dataclass(frozen=True)
class MethodRow:
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
    piece: int
    area_km2: float
    side_agreed: str
    side_equidistance: str


@dataclass(frozen=True)
class MaritimeReport:
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
    area_by_side: dict[str, float]           # "A->B": km2 that the agreed line gives A where equidistance gives B
    segments: list[SegmentRow] = field(default_factory=list)   # the agreed line, segment by segment
    beyond: list[str] = field(default_factory=list)            # ids of the treaty points beyond the end point
    beyond_length_m: float | None = None


@dataclass(frozen=True)
class ValidationRow:
    name: str
    independent: bool
    what: str
    value_m: float
    detail: str


@dataclass(frozen=True)
class CrsReport:
    metric: str
    max_scale_error_ppm: float
    length_error_over_sea_m: float


@dataclass(frozen=True)
class Report:
    schema: str
    case: str
    sides: dict[str, str]                    # left / right / third -> code
    side_names: dict[str, str]               # code -> name
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
    control_offsets_m: dict[str, float] = field(default_factory=dict)   # treaty point id -> to its control (m)


# ============================================================================ strict (de)serialisation
def to_jsonable(obj: Any) -> Any:
    """A dataclass tree as JSON-ready dicts/lists (floats kept exact; NaN never occurs in a report)."""
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
    """Rebuild ``cls`` from JSON data, checking every key and type (:func:`pipeline.typed.strict`); SchemaError
    names the first problem by its JSON path."""
    from .typed import strict

    def fail(message: str):
        raise SchemaError(message)

    return strict(data, cls, where, fail)


@dataclass(frozen=True)
class Results:
    """Everything one run computed, before presentation."""

    inputs: Inputs
    channel: ChannelLines
    tripoint: Tripoint
    land: LandBoundary
    maritime: MaritimeResult
    reference: dict[str, LineString] | None
    checks: tuple[Check, ...]
    figures: dict[str, Any]                # check name -> the figure it judged (pipeline.checks), also what the
                                           # report states
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)
