"""Settings: one TOML file (``inputs/tumen/tumen.toml``), strict about sections, keys, types and ranges.

This module is the one documented place for every setting, like ``osmnx.settings``: each key below is a
dataclass field whose metadata gives its unit, its allowed range and a one-line description; README's
configuration table is checked against it by the tests. Relative paths are resolved against the TOML
file's folder. CLI flags override values through :func:`with_overrides` with dotted keys
(``official.land_tolerance_m``); every override goes through the same checks as the file.

Nothing here is specific to one border: names, labels, colours, attribution and official figures are
settings, and the Tumen values live in ``inputs/tumen/tumen.toml``.
"""
from __future__ import annotations

import dataclasses
import datetime
import math
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from collections.abc import Callable
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .errors import InputError
from .typed import strict

# ------------------------------------------------------------------------------------- field helper


def setting(default: Any = dataclasses.MISSING, *, doc: str, unit: str = "", gt: float | None = None,
            ge: float | None = None, le: float | None = None, lt: float | None = None,
            choices: Callable[[], tuple[str, ...]] | None = None) -> Any:
    """A config field: its default, its documentation and its allowed values.

    Parameters
    ----------
    default : any
        The value when the config leaves the key out (none: the key is required); a list default is copied
        for each config.
    doc : str
        One line for README's configuration table.
    unit : str
        The unit of a number ("m", "deg", ...), for the table and for range messages.
    gt, ge, le, lt : float, optional
        Bounds of a number (greater than, at least, at most, less than).
    choices : callable, optional
        Returns the allowed values of a text setting whose values are registered elsewhere (e.g. the input
        forms); asked when a config is checked, so a value registered after this module was imported counts.

    Returns
    -------
    dataclasses.Field
        For a frozen settings dataclass; the metadata holds ``doc``, ``unit``, the bounds and ``choices``.
    """
    meta = {"doc": doc, "unit": unit, "gt": gt, "ge": ge, "le": le, "lt": lt, "choices": choices}
    if isinstance(default, list):
        return field(default_factory=lambda d=tuple(default): list(d), metadata=meta)
    return field(default=default, metadata=meta)


Side = str          # a state code as it appears in the coast data (e.g. "RUS")
Colour = str        # "#rrggbb"
ROLES = ("coast", "river", "depth", "points", "reference", "controls")
LATEST_EPOCH = 253402300799   # 9999-12-31T23:59:59Z: SOURCE_DATE_EPOCH beyond it has no ISO 8601 form


def river_forms() -> tuple[str, ...]:
    """The values ``inputs.river_form`` takes: "auto" and the registered river forms (:mod:`pipeline.forms`).

    Returns
    -------
    tuple of str
        "auto" first, then the forms in the order recognition asks them.
    """
    from .forms import AUTO, names   # the registry imports the form modules: only when a config is checked

    return (AUTO, *names("river"))


# ------------------------------------------------------------------------------------------ sections
@dataclass(frozen=True)
class CaseCfg:
    """Names and texts of the case: nothing in the code names a river or a state."""

    name: str = setting("River and sea boundary", doc="title of the report")
    map_title: str = setting("", doc="title of the map (default: the case name)")
    river_name: str = setting("the river", doc="name of the river, used in layer names")
    attribution: str = setting("", doc="attribution printed on the map and in the report (data licences)")
    coast_source: str = setting("coast data", doc="source text of the coastline layers")
    reference_source: str = setting("reference border", doc="source text of the reference border layer")


@dataclass(frozen=True)
class SidesCfg:
    """The two states of the border (left and right bank looking downstream) and the third at the tripoint."""

    left: Side = setting(doc="code of the state on the left bank looking downstream (as in the coast data)")
    right: Side = setting(doc="code of the state on the right bank")
    third: Side = setting("", doc="code of the third state at the tripoint (optional)")
    left_name: str = setting("", doc="short name of the left state (default: its code)")
    right_name: str = setting("", doc="short name of the right state")
    third_name: str = setting("", doc="short name of the third state")
    left_label: str = setting("", doc="map label of the left state (\\n for a line break)")
    right_label: str = setting("", doc="map label of the right state")
    third_label: str = setting("", doc="map label of the third state")
    left_colour: Colour = setting("#7a5230", doc="colour of the left state's coast and land edge")
    right_colour: Colour = setting("#3f5866", doc="colour of the right state's coast and land edge")
    third_colour: Colour = setting("#6b6b6b", doc="colour of the third state's land edge")

    def name(self, code: str) -> str:
        """The short name of the state with code ``code``.

        Parameters
        ----------
        code : str
            A state code as in the coast data (e.g. the value of ``left``).

        Returns
        -------
        str
            Its ``<role>_name``, or the code itself when that is empty or the code is none of the three.
        """
        for role in ("left", "right", "third"):
            if getattr(self, role) == code:
                return getattr(self, f"{role}_name") or code
        return code

    def label(self, code: str) -> str:
        """The map label of the state with code ``code``.

        Parameters
        ----------
        code : str
            A state code as in the coast data.

        Returns
        -------
        str
            Its ``<role>_label`` (``\\n`` for a line break), else its :meth:`name` in capitals; an unknown code
            as it is.
        """
        for role in ("left", "right", "third"):
            if getattr(self, role) == code:
                return getattr(self, f"{role}_label") or self.name(code).upper()
        return code

    def colour(self, code: str) -> str:
        """The colour of the state with code ``code`` (its coast and land edge on the maps).

        Parameters
        ----------
        code : str
            A state code as in the coast data.

        Returns
        -------
        str
            "#rrggbb": its ``<role>_colour``; "#555555" for a code that is none of the three.
        """
        for role in ("left", "right", "third"):
            if getattr(self, role) == code:
                return getattr(self, f"{role}_colour")
        return "#555555"

    @property
    def pair(self) -> tuple[str, str]:
        return (self.left, self.right)


@dataclass(frozen=True)
class InputsCfg:
    coast: Path = setting(doc="land polygons, one country code per polygon (any GDAL vector format)")
    river: Path = setting(doc="river water area: polygons, a raster water mask, an OpenStreetMap file, or two "
                              "bank lines")
    points: Path = setting(doc="treaty points CSV (id,name,kind,datum,crs,lat,lon,published,source)")
    coast_layer: str = setting("", doc="layer of the coast file (needed when it holds several)")
    coast_side_field: str = setting("iso_a3", doc="column of the coast file holding each polygon's country code")
    coast_extent: list = setting([], doc="[west, south, east, north] lon/lat box the coast data covers: "
                                         "inside it, what is not land is sea (default: the data's bounds)",
                                 unit="deg")
    river_layer: str = setting("", doc="layer of the river file (needed when it holds several)")
    river_form: str = setting("auto", doc="form of the river file (a registered river form, README \"Adding an "
                                          "input form\"); auto: recognised from the file itself",
                              choices=river_forms)
    water_threshold: float = setting(50.0, doc="raster mask: cells >= this value are water, e.g. 50 for water "
                                               "occurrence in percent (a mask holding only 0 and 1 is binary: "
                                               "1 = water, whatever this value)", ge=0.0)
    mask_min_area_m2: float = setting(2000.0, doc="raster mask: water patches and holes (islands) smaller than "
                                                  "this are removed as speckle", unit="m2", ge=0.0)
    depth: Path | None = setting(None, doc="river depth: a GeoTIFF, or soundings (points in any vector format "
                                           "or a CSV with lon/lat or x/y columns); optional")
    depth_layer: str = setting("", doc="layer of the soundings file")
    depth_field: str = setting("depth", doc="soundings: column holding the depth (or elevation)")
    depth_positive: Literal["down", "up"] = setting(
        "down", doc="soundings: down = depths positive downwards; up = elevations (depth = -value)")
    depth_crs: str = setting("EPSG:4326", doc="soundings CSV: CRS of its coordinates (vector files carry their own)")
    depth_cell_m: float = setting(10.0, doc="soundings: cell size of the interpolated depth grid (the grid over "
                                            "the river may have at most 50 million cells)", unit="m", gt=0.0)
    depth_min_relief_m: float = setting(0.1, doc="depth: the range (max - min) of depth across the river's water "
                                                 "below this is a flat bed with no deepest line: refused when the "
                                                 "thalweg or the deepest channel is used", unit="m", ge=0.0)
    soundings_reach_m: float = setting(100.0, doc="soundings: water within this distance of a sounding counts as "
                                                  "surveyed", unit="m", gt=0.0)
    soundings_min_coverage: float = setting(0.5, doc="soundings: the fraction of the river's water cells that must "
                                                     "be surveyed (within inputs.soundings_reach_m of a sounding)",
                                            ge=0.0, le=1.0)
    reference: Path | None = setting(None, doc="territory polygons with sea, for validation only (optional)")
    controls: Path | None = setting(None, doc="independent published coordinates of treaty points (same CSV form as "
                                              "inputs.points, same ids), for validation only: each treaty point as "
                                              "read is checked against its control (optional)")
    reference_layer: str = setting("", doc="layer of the reference file")
    reference_side_field: str = setting("iso_a3", doc="column of the reference file with the country code")
    modelled: list = setting([], doc="roles of inputs that are modelled, not surveyed (coast, river, depth, "
                                     "points, reference): flagged in layers, report and map")
    derived_from_reference: list = setting([], doc="roles of inputs built from the reference data: comparisons "
                                                   "of lines computed from them with the reference are labelled "
                                                   "consistency checks, not accuracy")

    def files(self) -> dict[str, Path]:
        """Every input file the run reads, by role.

        Returns
        -------
        dict of str to Path
            "coast", "river", "points", and "depth", "reference", "controls" when given; absolute paths (relative ones
            were resolved against the config's folder).
        """
        out = {"coast": self.coast, "river": self.river, "points": self.points}
        if self.depth is not None:
            out["depth"] = self.depth
        if self.reference is not None:
            out["reference"] = self.reference
        if self.controls is not None:
            out["controls"] = self.controls
        return out


@dataclass(frozen=True)
class TreatyCfg:
    unstated_datum_crs: str = setting("EPSG:4326", doc="how to read treaty coordinates whose datum the text does "
                                                      "not state (crs column empty), e.g. EPSG:4284 (Pulkovo 1942)")
    mouth_point: str = setting("B", doc="id of the treaty point where the river part ends (empty: none, or "
                                        "computed by treaty.mouth_rule)")
    mouth_rule: Literal["point", "closing_line_centre"] = setting(
        "point", doc="how the mouth point B is fixed: point = the treaty point treaty.mouth_point; "
                     "closing_line_centre = the centre of the river mouth's closing line, wherever the mouth is "
                     "(e.g. USA-Mexico 1970, Art. V)")
    turning_points: list = setting([], doc="ids of the agreed line's turning points between the mouth point and "
                                           "the end point, in order (e.g. [\"P2\"]); empty: a single line B -> E")
    segment_lines: list = setting([], doc="kind of line of each segment of the agreed line, \"geodesic\" or "
                                          "\"rhumb\", in order (empty: every segment a geodesic)")
    beyond_points: list = setting([], doc="ids of the treaty's points beyond the end point, in order: drawn as the "
                                          "layer maritime_beyond, not part of the territorial-sea boundary")
    end_point: str = setting("E", doc="id of the treaty point where the maritime boundary ends (empty: none)")
    source: str = setting("", doc="the legal text the chain of points comes from, cited in the report")


@dataclass(frozen=True)
class CrsCfg:
    metric: str = setting("auto", doc="projection for buffers and Voronoi diagrams: auto = transverse Mercator "
                                      "on WGS 84 centred on the data extent, or a projected CRS")
    max_scale_error_ppm: float = setting(50.0, doc="check: worst scale distortion of that projection over the "
                                                   "extent", unit="ppm", gt=0.0)
    scale_samples: int = setting(25, doc="grid of n x n points where the scale distortion is measured", ge=2,
                                 le=1000)
    densify_m: float = setting(250.0, doc="edges of inputs in a projected CRS (a mask's cell edges) longer than "
                                          "this are split there before reprojection: straight in their CRS, "
                                          "curved in the metric one (L^2 k / 8 off at the middle); lon/lat "
                                          "inputs are taken vertex by vertex; 0 = off", unit="m", ge=0.0)


@dataclass(frozen=True)
class OfficialCfg:
    sea_length_m: float | None = setting(None, doc="official length of the maritime part; none (left out) when "
                                                   "none is published: no sea-length check", unit="m", gt=0.0)
    sea_tolerance_m: float | None = setting(None, doc="allowed |computed - official| sea length (needed with "
                                                      "sea_length_m)", unit="m", ge=0.0)
    land_length_m: float | None = setting(None, doc="official length of the land (river) part; none (left out) "
                                                    "when none is published: no land-length check", unit="m",
                                          gt=0.0)
    land_tolerance_m: float | None = setting(None, doc="allowed |computed - official| land length (needed with "
                                                       "land_length_m)", unit="m", ge=0.0)
    source: str = setting("", doc="where the official figures come from")
    segments: list = setting([], doc="published lengths of segments of the agreed line: a list of tables "
                                     "{from, to, length_m, tolerance_m, source}; each is checked (sea_segment_FROM_TO)")


@dataclass(frozen=True)
class LandCfg:
    border_line: Literal["auto", "thalweg", "middle"] = setting(
        "auto", doc="line that is the land boundary: auto = thalweg when a depth input is given, else the "
                    "middle of the main channel")
    main_channel: Literal["widest", "deepest"] = setting(
        "widest", doc="rule that picks the main channel where islands split the river (deepest needs depth)")
    bank_densify_m: float = setting(5.0, doc="spacing of shore points for the Voronoi medial axis (at most 2 "
                                             "million points on the river's banks)", unit="m", gt=0.0)
    width_exponent: float = setting(2.0, doc="p in edge cost = length x (median width / width)^p", ge=0.0)
    mouth_snap_m: float = setting(1.0, doc="distance within which water counts as touching land", unit="m", gt=0.0)
    min_mouth_width_m: float = setting(20.0, doc="openings to the sea narrower than this are ignored", unit="m",
                                       ge=0.0)
    min_water_width_m: float = setting(1.0, doc="a water area whose mean width (2 area / perimeter) is below "
                                               "this is degenerate", unit="m", gt=0.0)
    min_depth_m: float = setting(0.05, doc="depths below this count as this in channel costs", unit="m", gt=0.0)
    thalweg_depth_exponent: float = setting(8.0, doc="q in cell cost = (max depth / depth)^q", ge=0.0)
    thalweg_smooth_cells: int = setting(5, doc="moving-average window of the thalweg (never leaves the water)",
                                        unit="cells", ge=1)
    simplify_m: float = setting(0.0, doc="Douglas-Peucker tolerance for the middle line (0: none)", unit="m",
                                ge=0.0)
    compare_step_m: float = setting(10.0, doc="sample spacing when two lines are compared", unit="m", ge=0.01)
    voronoi_tile_sites: int = setting(20000, doc="above this many shore points the medial axis's Voronoi diagram is "
                                                 "computed in tiles (same result inside the water, linear time)",
                                      unit="points", ge=100)


@dataclass(frozen=True)
class TripointCfg:
    rule: Literal["dividing_line", "perpendicular", "start_point"] = setting(
        "perpendicular", doc="how the land line's start A is fixed: dividing_line = where the geodesic through "
                             "two bank markers (extended) crosses the channel line; perpendicular = foot of the "
                             "perpendicular from one monument; start_point = the channel point nearest to a "
                             "configured point (a model choice)")
    dividing_line: list = setting([], doc="rule dividing_line: ids of the two markers the dividing line runs "
                                          "through, [marker 1, marker 2]")
    monument: str = setting("", doc="id of the monument the perpendicular is dropped from (rule perpendicular; "
                                    "with rule dividing_line, the check construction)")
    compare_monument: str = setting("", doc="a second record of the same monument (e.g. another datum)")
    start_lonlat: list = setting([], doc="rule start_point: [lon, lat] (WGS 84) of the point the land line starts "
                                         "nearest to: a model choice, e.g. where the river data begins", unit="deg")
    monument_max_distance_m: float = setting(1000.0, doc="a monument farther than this from the channel line is "
                                                         "an input error", unit="m", gt=0.0)
    direction_window_m: float = setting(200.0, doc="length of channel line over which its direction at A is "
                                                   "measured (chord azimuth), for perpendiculars and angles",
                                        unit="m", gt=0.0, le=100000.0)
    max_perpendicular_error_deg: float = setting(0.5, doc="check: deviation from 90 deg of the perpendicular",
                                                 unit="deg", gt=0.0)
    max_dividing_angle_error_deg: float = setting(
        15.0, doc="check (rule dividing_line): the angle between the dividing line and the channel at A may "
                  "differ from 90 deg (Art. 1(1)) by at most this", unit="deg", gt=0.0, le=90.0)
    max_construction_distance_m: float = setting(
        100.0, doc="check (rule dividing_line): A on the dividing line and the foot of the perpendicular from "
                   "the monument at most this far apart", unit="m", gt=0.0)
    max_record_disagreement_m: float = setting(10.0, doc="check: two records of the monument, each transformed "
                                                         "to WGS 84, at most this far apart", unit="m", gt=0.0)
    foot_resolution_m: float = setting(0.001, doc="resolution of the geodesic foot search along the line",
                                       unit="m", gt=0.0)
    second_crs: str = setting("", doc="a geographic CRS the tripoint is also given in (e.g. EPSG:4284 for "
                                      "Pulkovo 1942); empty: none")

    @property
    def construction_points(self) -> list[str]:
        """Ids of every point A is constructed from: the markers, the monument(s) or the start point."""
        ids = list(self.dividing_line) if self.rule == "dividing_line" else []
        ids += [self.monument, self.compare_monument]
        return [i for i in dict.fromkeys(ids) if i]


@dataclass(frozen=True)
class MouthCfg:
    max_offset_m: float = setting(500.0, doc="check: where the channel line meets the closing line, at most this "
                                             "far from the treaty mouth point", unit="m", gt=0.0)
    max_junction_gap_m: float = setting(0.01, doc="check: land boundary's end to maritime boundary's start",
                                        unit="m", gt=0.0)
    max_closing_off_coast_m: float = setting(1.05, doc="check: the mouth's closing line's ends at most this far "
                                                       "from the coast (they lie where the water's outer ring leaves "
                                                       "land.mouth_snap_m of the land)", unit="m", gt=0.0)


@dataclass(frozen=True)
class MaritimeCfg:
    method: Literal["treaty", "equidistance"] = setting(
        "treaty", doc="maritime boundary: treaty = geodesic from the mouth point to the end point; "
                      "equidistance = median line between the two baselines to the 12-nm limit")
    territorial_sea_nm: float = setting(12.0, doc="breadth of the territorial sea", unit="nmi", gt=0.0)
    nautical_mile_m: float = setting(1852.0, doc="length of the nautical mile", unit="m", gt=0.0)
    coast_densify_m: float = setting(10.0, doc="spacing of baseline points for the equidistance line", unit="m",
                                     ge=0.5)
    mouth_densify_m: float = setting(1.0, doc="spacing of baseline points near the mouth", unit="m", ge=0.05)
    mouth_densify_radius_m: float = setting(1000.0, doc="radius around the mouth of the finer spacing", unit="m",
                                            ge=0.0)
    search_radius_factor: float = setting(3.0, doc="baseline points within this many territorial-sea breadths "
                                                   "of the mouth seed the equidistance line", gt=1.0)
    buffer_quad_segs: int = setting(256, doc="segments per quarter circle of the 12-nm buffers", ge=4, le=4096)
    line_densify_m: float = setting(100.0, doc="vertex spacing of geodesic lines in the outputs (so that they are "
                                               "geodesics in any viewer)", unit="m", ge=1.0)
    limit_check_points: int = setting(200, doc="points per limit checked geodesically", ge=2, le=100_000)
    max_limit_error_m: float = setting(1.0, doc="check: worst |geodesic distance of a limit point to its "
                                                "baseline - breadth|", unit="m", gt=0.0)
    max_equidistance_error_m: float = setting(1.0, doc="check: worst |d(left) - d(right)| along the "
                                                       "equidistance line", unit="m", gt=0.0)
    end_tolerance_m: float = setting(500.0, doc="check: the end point's distance to each baseline within this of "
                                                "the breadth, and the agreed line's crossing of each limit within "
                                                "this of the end point", unit="m", gt=0.0)
    judge_end_point: bool = setting(True, doc="judge the end point against the 12-nm limits computed from the "
                                              "coastline (end_point_breadth, agreed_line_meets_limit); false "
                                              "where the treaty's limits are measured from straight baselines the "
                                              "coast data does not hold: the figures are reported, not judged")

    @property
    def breadth_m(self) -> float:
        """Breadth of the territorial sea in metres (``territorial_sea_nm`` x ``nautical_mile_m``)."""
        return self.territorial_sea_nm * self.nautical_mile_m


@dataclass(frozen=True)
class ValidationCfg:
    step_m: float = setting(10.0, doc="sample spacing of the comparisons with reference lines", unit="m", ge=0.01)
    margin_m: float = setting(100.0, doc="the reference's mapped 12-nm limit is its seaward edge farther than this "
                                         "from land, other territories and the data extent's edge", unit="m",
                              gt=0.0)
    max_control_offset_m: float = setting(10.0, doc="check: a treaty point as read (after its datum transform) at "
                                                    "most this far from its control point (inputs.controls)",
                                          unit="m", gt=0.0)


@dataclass(frozen=True)
class CompareCfg:
    step_m: float = setting(10.0, doc="tumen-border compare: sample spacing along the land boundaries", unit="m",
                            ge=0.01)
    tolerance_m: float = setting(1.0, doc="tumen-border compare: the tripoint and the mouth point hold when they "
                                          "moved at most this far", unit="m", gt=0.0)
    min_island_overlap: float = setting(0.5, doc="tumen-border compare: an island of run B is one of run A when it "
                                                 "covers this fraction of it", gt=0.0, le=1.0)


@dataclass(frozen=True)
class OutputCfg:
    dir: Path = setting(Path("outputs"), doc="output folder")
    gpkg_version: Literal["1.2", "1.3", "1.4"] = setting(
        "1.2", doc="GeoPackage version (1.2 opens without a warning in QGIS 3.22)")
    map: bool = setting(True, doc="draw map.png")
    webmap: bool = setting(True, doc="write map.html, the web map (works offline; written with --no-map too)")
    timestamp: str = setting("2000-01-01T00:00:00Z", doc="timestamp stored in the GeoPackage (fixed, so reruns "
                                                         "are byte-identical; SOURCE_DATE_EPOCH overrides it)")
    map_width_px: int = setting(2000, doc="map width", unit="px", ge=400, le=10_000)
    map_height_px: int = setting(1600, doc="map height", unit="px", ge=300, le=10_000)
    map_dpi: int = setting(150, doc="map resolution", unit="dpi", ge=50, le=1200)


@dataclass(frozen=True)
class Config:
    inputs: InputsCfg
    sides: SidesCfg
    official: OfficialCfg
    tripoint: TripointCfg
    case: CaseCfg = field(default_factory=CaseCfg)
    treaty: TreatyCfg = field(default_factory=TreatyCfg)
    crs: CrsCfg = field(default_factory=CrsCfg)
    land: LandCfg = field(default_factory=LandCfg)
    mouth: MouthCfg = field(default_factory=MouthCfg)
    maritime: MaritimeCfg = field(default_factory=MaritimeCfg)
    validation: ValidationCfg = field(default_factory=ValidationCfg)
    compare: CompareCfg = field(default_factory=CompareCfg)
    output: OutputCfg = field(default_factory=OutputCfg)
    forms: dict[str, Any] = field(default_factory=dict)   # [forms.<name>] tables as given: name -> settings
    path: Path | None = None

    def form_settings(self, name: str) -> Any:
        """The settings of the input form ``name``: its ``[forms.<name>]`` table, or the defaults when the config
        leaves the table out (None for a form that declares no settings).

        Parameters
        ----------
        name : str
            A registered form's name (:mod:`pipeline.forms`).

        Returns
        -------
        dataclass instance or None
            An instance of the form's ``settings`` dataclass.
        """
        if name in self.forms:
            return self.forms[name]
        from .forms import _registry   # the registry imports the form modules: only when a form asks

        form = _registry().get(name)
        if form is None or form.settings is None:
            return None
        try:
            return form.settings()
        except TypeError:   # a setting without a default: the table is needed
            raise InputError(self.path, f"[{FORMS}.{name}]: the {name} input form needs its settings "
                                        f"({', '.join(f.name for f in fields(form.settings))})") from None

    @property
    def folder(self) -> Path:
        """The folder of the TOML file (relative paths were resolved against it)."""
        return self.path.resolve().parent if self.path else Path.cwd()

    @property
    def border_line(self) -> Literal["thalweg", "middle"]:
        """The land boundary's line after ``auto`` is resolved: thalweg when depth is given."""
        if self.land.border_line == "auto":
            return "thalweg" if self.inputs.depth is not None else "middle"
        return self.land.border_line

    @property
    def territorial_sea_m(self) -> float:
        """Breadth of the territorial sea (m): :attr:`MaritimeCfg.breadth_m`."""
        return self.maritime.breadth_m

    def is_modelled(self, role: str) -> bool:
        """Whether the input of ``role`` is modelled, not surveyed (``inputs.modelled``).

        Parameters
        ----------
        role : str
            One of :data:`ROLES` ("coast", "river", "depth", "points", "reference", "controls").

        Returns
        -------
        bool
        """
        return role in self.inputs.modelled


FORMS = "forms"   # [forms.<name>]: the settings an input form declares itself (pipeline.forms.Form.settings)
SECTIONS = {f.name: f for f in fields(Config) if f.name not in ("path", FORMS)}


def section_types() -> dict[str, type]:
    """The settings dataclass of every section of the config file, by section name.

    Returns
    -------
    dict of str to type
        "inputs" -> :class:`InputsCfg`, "sides" -> :class:`SidesCfg`, ... in :class:`Config`'s field order
        (``[forms.<name>]`` tables are the forms' own: :func:`documented_keys`).
    """
    hints = get_type_hints(Config)
    return {name: hints[name] for name in SECTIONS}


def documented_keys() -> list[tuple[str, str, str, str, str]]:
    """Every setting with its documentation, for README's configuration table (``scripts/config_table.py``).

    Returns
    -------
    list of (str, str, str, str, str)
        (dotted key, type, default as TOML text or "required", unit, one-line description), section by section,
        then the settings the registered input forms declare (``forms.<name>.<key>``).
    """
    out = []
    for name, cls in section_types().items():
        out += [(f"{name}.{key}", *rest) for key, *rest in _keys_of(cls)]
    return out + _form_keys()


def _keys_of(cls: type) -> list[tuple[str, str, str, str, str]]:
    """(key, type, default as TOML text or "required", unit, doc) of every field of one settings dataclass."""
    out = []
    hints = get_type_hints(cls)
    for f in fields(cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        else:
            default = dataclasses.MISSING
        text = ("required" if default is dataclasses.MISSING else "none" if default is None
                else f'"{default}"' if isinstance(default, (str, Path))
                else str(default).lower() if isinstance(default, bool) else repr(default))
        choices = f.metadata.get("choices")
        kind = " | ".join(repr(a) for a in choices()) if choices else _type_name(hints[f.name])
        out.append((f.name, kind, text, f.metadata.get("unit", ""), f.metadata.get("doc", "")))
    return out


def _form_keys() -> list[tuple[str, str, str, str, str]]:
    """The rows of :func:`documented_keys` for the settings registered input forms declare ([forms.<name>])."""
    from .forms import available

    out = []
    for form in available():
        if form.settings is not None:
            out += [(f"{FORMS}.{form.name}.{key}", kind, default, unit, doc)
                    for key, kind, default, unit, doc in _keys_of(form.settings)]
    return out


def _type_name(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(hint))
    return "none" if hint is type(None) else getattr(hint, "__name__", str(hint))


# ----------------------------------------------------------------------------------------- converting
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _convert(value: Any, hint: Any, where: str, base: Path, path: Path | None) -> Any:
    """``value`` from TOML (or a ``--set``) as the field's type (:func:`pipeline.typed.strict`: nothing coerced,
    relative paths resolved against ``base``, ``""`` unsets an optional setting); an InputError naming ``path``
    if it is not."""
    def fail(message: str):
        raise InputError(path, message)

    return strict(value, hint, where, fail, base=base, empty_is_none=True)


def _check_choices(where: str, value: Any, meta: dict, path: Path | None) -> None:
    """A setting with ``choices`` must be one of them (as a Literal must be one of its values)."""
    choices = meta.get("choices")
    if choices is not None and value not in (allowed := choices()):
        raise InputError(path, f"{where} = {value!r} is not one of {', '.join(repr(a) for a in allowed)}")


def _check_range(where: str, value: Any, meta: dict, path: Path | None) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    unit = f" {meta['unit']}" if meta.get("unit") else ""
    for key, ok, word in (("gt", lambda v, b: v > b, "greater than"), ("ge", lambda v, b: v >= b, "at least"),
                          ("lt", lambda v, b: v < b, "less than"), ("le", lambda v, b: v <= b, "at most")):
        bound = meta.get(key)
        if bound is not None and not ok(value, bound):
            raise InputError(path, f"{where} = {value!r} must be {word} {bound:g}{unit}")


def _section(cls: type, data: Any, name: str, base: Path, path: Path | None):
    if not isinstance(data, dict):
        raise InputError(path, f"[{name}] must be a table")
    hints = get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise InputError(path, f"unknown key(s) in [{name}]: {', '.join(unknown)} (known: {', '.join(known)})")
    missing = [k for k, f in known.items() if f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING and k not in data]  # type: ignore[misc]
    if missing:
        raise InputError(path, f"[{name}]: missing required key(s) {', '.join(missing)}")
    kwargs = {}
    for key, value in data.items():
        where = f"{name}.{key}"
        kwargs[key] = _convert(value, hints[key], where, base, path)
        _check_range(where, kwargs[key], known[key].metadata, path)
        _check_choices(where, kwargs[key], known[key].metadata, path)
    return cls(**kwargs)


def _form_settings_type(name: str, where: str, path: Path | None) -> type:
    """The settings dataclass the registered input form ``name`` declares; an InputError naming ``where`` when
    there is no such form or it declares no settings."""
    from .forms import _registry   # the registry imports the form modules: only when a config names one

    registry = _registry()
    with_settings = sorted(n for n, f in registry.items() if f.settings is not None)
    if name not in registry or registry[name].settings is None:
        raise InputError(path, f"{where}: {name!r} is not an input form with settings (forms with settings: "
                               f"{', '.join(with_settings) or 'none'})")
    return registry[name].settings


def _form_sections(data: Any, base: Path, path: Path | None) -> dict[str, Any]:
    """The ``[forms.<name>]`` tables, each read as the settings its form declares."""
    if not isinstance(data, dict):
        raise InputError(path, f"[{FORMS}] must hold one table per input form, [{FORMS}.<name>]")
    return {name: _section(_form_settings_type(name, f"[{FORMS}.{name}]", path), table, f"{FORMS}.{name}", base,
                           path) for name, table in data.items()}


def load_config(path: str | Path) -> Config:
    """Read and validate the TOML config file at ``path``.

    Parameters
    ----------
    path : str or Path
        The config file (e.g. ``inputs/tumen/tumen.toml``); relative paths in it are resolved against its folder.

    Returns
    -------
    Config
        Every key converted to its type and checked, alone and across keys (:func:`validate`).

    Raises
    ------
    InputError
        Naming ``path``: a folder, missing, unreadable, not UTF-8 TOML, or any setting wrong (unknown section or
        key, missing required one, wrong type, out of range, or inconsistent with others).
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "config: is a folder, not a TOML file")
    if not path.is_file():
        raise InputError(path, "config file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise InputError(path, f"config cannot be read: {exc.strerror}") from None
    return config_from_dict(data, path)


def config_from_dict(data: dict, path: Path | None, base: Path | None = None) -> Config:
    """A config from the tables of a parsed TOML file.

    Parameters
    ----------
    data : dict
        Section name -> table, as ``tomllib`` gives them (``[forms.<name>]`` tables under "forms").
    path : Path or None
        The file they came from, named in errors; None for a config built in code.
    base : Path, optional
        Folder relative paths are resolved against (default: ``path``'s folder, else the current folder).

    Returns
    -------
    Config
        Checked alone and across keys (:func:`validate`); ``Config.path`` is ``path``.

    Raises
    ------
    InputError
        Naming ``path`` and the first problem: unknown or missing section, unknown or missing key, wrong type,
        out of range, not one of the choices, or inconsistent with other keys.
    """
    unknown = sorted(set(data) - set(SECTIONS) - {FORMS})
    if unknown:
        raise InputError(path, f"unknown section(s): {', '.join(unknown)} (known: {', '.join(SECTIONS)}, "
                               f"{FORMS}.<input form>)")
    types = section_types()
    required = [n for n, f in SECTIONS.items() if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]  # type: ignore[misc]
    missing = [n for n in required if n not in data]
    if missing:
        raise InputError(path, f"missing section(s) {', '.join('[' + m + ']' for m in missing)}")
    base = base or (path.resolve().parent if path else Path.cwd())
    kwargs = {name: _section(types[name], data[name], name, base, path) for name in SECTIONS if name in data}
    cfg = Config(path=path, forms=_form_sections(data.get(FORMS, {}), base, path), **kwargs)
    validate(cfg)
    return cfg


def validate(cfg: Config) -> None:
    """Check what no single key can: settings that need, exclude or must agree with one another.

    Run after loading (:func:`config_from_dict`) and again after CLI overrides (:func:`with_overrides`). The
    checks are :data:`CROSS_CHECKS`, one per theme, asked in that order; the first problem is raised.

    Parameters
    ----------
    cfg : Config
        A config whose keys have each been checked on their own (type, range, choices).

    Raises
    ------
    InputError
        Naming ``cfg.path`` (or no file for a bad ``SOURCE_DATE_EPOCH``) and the first problem found.
    """
    for check in CROSS_CHECKS:
        check(cfg)


def _land_needs_depth(cfg: Config) -> None:
    """The deepest channel and the thalweg need a depth input."""
    if cfg.land.main_channel == "deepest" and cfg.inputs.depth is None:
        raise InputError(cfg.path, "land.main_channel = 'deepest' needs inputs.depth")
    if cfg.land.border_line == "thalweg" and cfg.inputs.depth is None:
        raise InputError(cfg.path, "land.border_line = 'thalweg' needs inputs.depth")


def _official_pairs(cfg: Config) -> None:
    """An official length and its tolerance go together."""
    o = cfg.official
    for part in ("land", "sea"):
        if (getattr(o, f"{part}_length_m") is None) != (getattr(o, f"{part}_tolerance_m") is None):
            raise InputError(cfg.path, f"official.{part}_length_m and official.{part}_tolerance_m go together: give "
                                       "both or neither")


def _treaty_chain(cfg: Config) -> None:
    """The agreed line's points and segment kinds: what the treaty method needs, and their shapes."""
    path, tr = cfg.path, cfg.treaty
    if cfg.maritime.method == "treaty" and not ((tr.mouth_point or tr.mouth_rule == "closing_line_centre")
                                                and tr.end_point):
        raise InputError(path, "maritime.method = 'treaty' needs treaty.end_point and treaty.mouth_point (or "
                               "treaty.mouth_rule = 'closing_line_centre')")
    if tr.mouth_rule == "closing_line_centre" and tr.mouth_point:
        raise InputError(path, "treaty.mouth_rule = 'closing_line_centre' computes the mouth point: leave "
                               "treaty.mouth_point empty")
    for key in ("turning_points", "beyond_points", "segment_lines"):
        if not all(isinstance(v, str) and v for v in getattr(tr, key)):
            raise InputError(path, f"treaty.{key} = {getattr(tr, key)!r} must be a list of non-empty strings")
    n_seg = len(tr.turning_points) + 1
    if tr.segment_lines and (len(tr.segment_lines) != n_seg
                             or any(v not in ("geodesic", "rhumb") for v in tr.segment_lines)):
        raise InputError(path, f"treaty.segment_lines = {tr.segment_lines!r} must give \"geodesic\" or \"rhumb\" for "
                               f"each of the agreed line's {n_seg} segment(s)")


def _official_segments(cfg: Config) -> None:
    """Each published segment length is a whole table and names a segment of the agreed line."""
    path, tr = cfg.path, cfg.treaty
    chain = [tr.mouth_point or "(mouth)", *tr.turning_points, tr.end_point]
    for i, seg in enumerate(cfg.official.segments):
        ok = (isinstance(seg, dict) and set(seg) <= {"from", "to", "length_m", "tolerance_m", "source"}
              and {"from", "to", "length_m", "tolerance_m"} <= set(seg)
              and all(isinstance(seg[k], (int, float)) and not isinstance(seg[k], bool) and math.isfinite(seg[k])
                      and seg[k] >= 0 for k in ("length_m", "tolerance_m")))
        if not ok:
            raise InputError(path, f"official.segments[{i}] = {seg!r} must be a table with from, to, length_m, "
                                   "tolerance_m (and source)")
        pair = (seg["from"], seg["to"])
        if pair not in list(zip(chain, chain[1:])):
            raise InputError(path, f"official.segments[{i}]: {pair[0]} -> {pair[1]} is not a segment of the agreed "
                                   f"line {' -> '.join(chain)}")


def _sides(cfg: Config) -> None:
    """Two (or three) different state codes, and colours like "#7a5230"."""
    s = cfg.sides
    codes = [c for c in (s.left, s.right, s.third) if c]
    if not (s.left and s.right) or len(set(codes)) < len(codes):
        raise InputError(cfg.path, f"[sides]: left, right (and third) must be given and differ, got {s.left!r}, "
                                   f"{s.right!r}, {s.third!r}")
    for role in ("left", "right", "third"):
        colour = getattr(s, f"{role}_colour")
        if not _COLOUR.match(colour):
            raise InputError(cfg.path, f"sides.{role}_colour = {colour!r} is not a colour like \"#7a5230\"")


def _inputs(cfg: Config) -> None:
    """The coast extent as a lon/lat box, known input roles, a mask threshold in percent."""
    path, ic = cfg.path, cfg.inputs
    e = ic.coast_extent
    if e:
        if not (len(e) == 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                    for v in e)):
            raise InputError(path, f"inputs.coast_extent = {e!r} must be [west, south, east, north] in degrees")
        w, so, ea, n = e
        if not (-180 <= w < ea <= 180 and -90 <= so < n <= 90):
            raise InputError(path, f"inputs.coast_extent = {e} must have -180 <= west < east <= 180 and "
                                   "-90 <= south < north <= 90 (lon/lat order)")
    for key in ("modelled", "derived_from_reference"):
        bad_roles = [r for r in getattr(ic, key) if r not in ROLES]
        if bad_roles:
            raise InputError(path, f"inputs.{key}: unknown role(s) {bad_roles} (roles: {', '.join(ROLES)})")
    if ic.water_threshold > 100 and ic.river_form == "mask":
        raise InputError(path, f"inputs.water_threshold = {ic.water_threshold} must be at most 100 (percent)")


def _crs_settings(cfg: Config) -> None:
    """Every CRS setting is a CRS PROJ knows, of the kind it must be (the metric CRS in metres)."""
    from .geodesy import parse_crs  # pyproj is imported only when a CRS has to be checked

    path = cfg.path
    for key, text, kind in (("crs.metric", cfg.crs.metric, "projected"),
                            ("treaty.unstated_datum_crs", cfg.treaty.unstated_datum_crs, "geographic"),
                            ("inputs.depth_crs", cfg.inputs.depth_crs, "any"),
                            ("tripoint.second_crs", cfg.tripoint.second_crs or "EPSG:4326", "geographic")):
        if key == "crs.metric" and text.strip().lower() == "auto":
            continue
        try:
            crs = parse_crs(text, kind)
        except ValueError as exc:
            raise InputError(path, f"{key} = {text!r}: {exc}") from None
        units = {a.unit_name for a in crs.axis_info}
        if kind == "projected" and units != {"metre"}:   # buffers and spacings are given in metres
            raise InputError(path, f"{key} = {text!r}: {crs.name} has axes in {', '.join(sorted(units))}, not metre")


def _timestamps(cfg: Config) -> None:
    """``output.timestamp`` a real UTC time; ``SOURCE_DATE_EPOCH`` (environment) whole seconds up to 9999."""
    stamp = cfg.output.timestamp
    try:
        datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")   # a real date and time, not just the shape
    except ValueError:
        raise InputError(cfg.path, f"output.timestamp = {stamp!r} must be a UTC time like 2000-01-01T00:00:00Z") \
            from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()   # overrides output.timestamp (export.timestamp)
    if epoch and not epoch.isdigit():   # reproducible-builds.org: a malformed value is an error, not ignored
        raise InputError(None, f"SOURCE_DATE_EPOCH = {epoch[:30]!r} is not a whole number of seconds since "
                               "1970-01-01T00:00:00Z")
    if epoch.isdigit() and int(epoch) > LATEST_EPOCH:
        raise InputError(None, f"SOURCE_DATE_EPOCH = {epoch[:30]} is after 9999-12-31T23:59:59Z (epoch "
                               f"{LATEST_EPOCH}), the latest time the outputs can store")


def _tripoint_rule(cfg: Config) -> None:
    """What the tripoint rule needs: its markers, its monument or its start point; two monument records differ."""
    path, t = cfg.path, cfg.tripoint
    if t.compare_monument and t.monument == t.compare_monument:
        raise InputError(path, "tripoint.compare_monument must differ from tripoint.monument")
    if t.compare_monument and not t.monument:
        raise InputError(path, "tripoint.compare_monument needs tripoint.monument")
    if t.rule == "dividing_line" and not (len(t.dividing_line) == 2 and all(isinstance(v, str) and v for v in
                                                                            t.dividing_line)
                                          and t.dividing_line[0] != t.dividing_line[1]):
        raise InputError(path, f"tripoint.dividing_line = {t.dividing_line!r} must name two different points, "
                               "[marker 1, marker 2]")
    if t.rule == "perpendicular" and not t.monument:
        raise InputError(path, "tripoint.rule = 'perpendicular' needs tripoint.monument")
    if t.rule == "start_point" and not (len(t.start_lonlat) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in t.start_lonlat)
            and -180 <= t.start_lonlat[0] <= 180 and -90 <= t.start_lonlat[1] <= 90):
        raise InputError(path, f"tripoint.rule = 'start_point' needs tripoint.start_lonlat = [lon, lat] in degrees, "
                               f"got {t.start_lonlat!r}")


#: the checks across keys :func:`validate` asks, in order (the first problem found is the one reported)
CROSS_CHECKS: tuple[Callable[[Config], None], ...] = (
    _land_needs_depth, _official_pairs, _treaty_chain, _official_segments, _sides, _inputs, _crs_settings,
    _timestamps, _tripoint_rule)


def with_overrides(cfg: Config, overrides: dict[str, Any], base: Path | None = None) -> Config:
    """A copy of ``cfg`` with dotted keys replaced, e.g. ``{"official.land_tolerance_m": 100}``.

    Every value goes through the same checks as in the file, and the result through :func:`validate` again.

    Parameters
    ----------
    cfg : Config
        The loaded config.
    overrides : dict of str to any
        Dotted key (``section.key`` or ``forms.<name>.<key>``) -> value as TOML would give it (CLI flags and
        ``--set``).
    base : Path, optional
        Folder relative paths given here are resolved against (default: the current folder, where the command
        line was typed).

    Returns
    -------
    Config
        A new config (``cfg`` is unchanged; it is returned as it is when ``overrides`` is empty).

    Raises
    ------
    InputError
        Naming ``cfg.path``: an unknown setting, a bad value, or a result inconsistent across keys.
    """
    base = base or Path.cwd()
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if section == FORMS:
            cfg = _with_form_override(cfg, dotted, value, base)
            continue
        if section not in SECTIONS or not key:
            raise InputError(cfg.path, f"unknown setting {dotted!r} (sections: {', '.join(SECTIONS)})")
        sub = getattr(cfg, section)
        known = {f.name: f for f in fields(sub)}
        if key not in known:
            raise InputError(cfg.path, f"unknown setting {dotted!r} (keys of [{section}]: {', '.join(known)})")
        new = _convert(value, get_type_hints(type(sub))[key], dotted, base, cfg.path)
        _check_range(dotted, new, known[key].metadata, cfg.path)
        _check_choices(dotted, new, known[key].metadata, cfg.path)
        cfg = dataclasses.replace(cfg, **{section: dataclasses.replace(sub, **{key: new})})
    if overrides:
        validate(cfg)
    return cfg


def _with_form_override(cfg: Config, dotted: str, value: Any, base: Path) -> Config:
    """``cfg`` with one input form's setting (``forms.<name>.<key>``) replaced."""
    _, _, rest = dotted.partition(".")
    name, _, key = rest.partition(".")
    cls = _form_settings_type(name, f"unknown setting {dotted!r}", cfg.path)
    known = {f.name: f for f in fields(cls)}
    if key not in known:
        raise InputError(cfg.path, f"unknown setting {dotted!r} (keys of [{FORMS}.{name}]: {', '.join(known)})")
    new = _convert(value, get_type_hints(cls)[key], dotted, base, cfg.path)
    _check_range(dotted, new, known[key].metadata, cfg.path)
    _check_choices(dotted, new, known[key].metadata, cfg.path)
    given = cfg.forms.get(name)
    try:
        settings = dataclasses.replace(given, **{key: new}) if given is not None else cls(**{key: new})
    except TypeError:   # the form has settings without a default, and the config does not give them
        raise InputError(cfg.path, f"{dotted}: [{FORMS}.{name}] has required settings ("
                                   f"{', '.join(known)}); give them in the config") from None
    return dataclasses.replace(cfg, forms={**cfg.forms, name: settings})


def bundled_cases(root: str | Path) -> list[tuple[Path, Config]]:
    """Every case under ``root``: one folder per case holding ``<case>.toml`` (``inputs/<case>/<case>.toml``).

    Parameters
    ----------
    root : str or Path
        The folder of case folders (``inputs``).

    Returns
    -------
    list of (Path, Config)
        (config path, loaded config) pairs, sorted by folder name; folders without ``<folder>.toml`` are skipped,
        and a ``root`` that is not a folder gives none.

    Raises
    ------
    InputError
        From :func:`load_config`, naming the first config that does not load.
    """
    root = Path(root)
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        toml = folder / f"{folder.name}.toml"
        if toml.is_file():
            out.append((toml, load_config(toml)))
    return out
