"""A fully synthetic river-and-sea case with known answers: plain functions that write a config TOML and its
inputs into a folder, and return the analytic answers (nothing here imports :mod:`pipeline`).

Two invented states share a straight river of constant width that meets the sea at right angles: ``AAA`` on
the left bank looking downstream, ``BBB`` on the right bank, and ``CCC`` on the left bank upstream of the
tripoint. Everything is built directly with geodesics on WGS 84 (``geographiclib``, Karney's reference
implementation; the pipeline measures with ``pyproj.Geod``), in *river coordinates* (s, y) about the mouth O:

    P(s, y) = the point reached from O by going s metres along the river's axis geodesic (s > 0 seaward,
              downstream azimuth ``azimuth_deg`` at O), then y metres along the geodesic perpendicular to the
              axis there (y > 0 to the left looking downstream, the AAA side).

The axis is {P(s, 0)}; the banks are the geodesic parallels y = +-half_width (every point of the axis is
exactly half_width from both, so the middle line is the axis); the coast is {P(0, y)}, the geodesic through O
perpendicular to the axis (variant "straight"), or that geodesic with one triangular headland per side, the
two mirror images of each other across the axis (variant "headlands"; the axis then runs along a meridian, so
the mirror image is exact on the ellipsoid of revolution: lon -> 2 lon0 - lon).

Analytic answers (see :class:`Expected`):

* the water runs ``sea_ext_m`` past the coast, so the mouth's closing line is the cross-section 1 m
  (``mouth_snap_m``) seaward of the coast: it meets the axis at C = P(1, 0);
* the tripoint A is the foot of the geodesic perpendicular from the monument M = P(s_T, half_width + 50) to the
  axis: A = P(s_T, 0), because the perpendicular geodesic through A is the one M was built on;
* the land boundary runs A -> axis -> C -> B (B on the closing line), so its length is |AC| + |CB|
  (both geodesics; B = C on the straight coast);
* straight coast: the equidistance line is the axis continued seaward from C (for every point on it the
  nearest point of either baseline is C, the foot of the perpendicular), and it ends 22,224 m from C;
* headlands: by symmetry the equidistance line is again the axis continued seaward; it ends where its
  geodesic distance to the headlands' apexes reaches 22,224 m (found by bisection on geographiclib distances;
  the apex is the nearest point of the baseline there, which :func:`distance_to_baseline` confirms);
* the treaty end point E is that end (on both 12-nm limits) and the sea length is the geodesic |BE|.

The island (a hole in the water, next to the right bank, upstream of the tripoint) does not touch the
land boundary; it lies right of the axis, so it falls to BBB.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import shapely
from geographiclib.geodesic import Geodesic
from shapely.geometry import LineString, MultiPolygon, Polygon, box, mapping

GL = Geodesic.WGS84
BREADTH_M = 12 * 1852.0            # 12 nautical miles = 22,224 m
SNAP_M = 1.0                       # land.mouth_snap_m: the closing line lies this far seaward of the coast
STEP_M = 250.0                     # vertex spacing of the (geodesic) edges written to the inputs
FRAME_STEP_DEG = 0.001             # the pipeline's segmentize step of the data extent (load.py); the land
                                   # polygons are cut with the very same vertices so no sliver of "sea" is left
LonLat = tuple[float, float]
FORBIDDEN = ("RUS", "PRK", "CHN", "Tumen", "Russia", "DPRK", "China", "Korea")
NAMES = {"AAA": ("Aland", "ALAND", "#8c2d04"), "BBB": ("Beeland", "BEELAND\n(SOUTH)", "#2b6f9e"),
         "CCC": ("Ceeland", "CEELAND", "#6a6a30")}


# ------------------------------------------------------------------------------------------- geodesics
def direct(p: LonLat, azimuth_deg: float, s_m: float) -> tuple[LonLat, float]:
    """(end point, azimuth at the end) of the geodesic from ``p`` (lon, lat) along ``azimuth_deg`` for ``s_m``."""
    g = GL.Direct(p[1], p[0], azimuth_deg, s_m)
    return (g["lon2"], g["lat2"]), g["azi2"]


def inverse(p: LonLat, q: LonLat) -> tuple[float, float]:
    """(distance m, azimuth at ``p`` in degrees) of the geodesic p -> q."""
    g = GL.Inverse(p[1], p[0], q[1], q[0])
    return g["s12"], g["azi1"]


def distance(p: LonLat, q: LonLat) -> float:
    return inverse(p, q)[0]


def line_length(coords) -> float:
    """Geodesic length (m) of a lon/lat polyline, vertex to vertex (geographiclib)."""
    c = np.asarray(coords, float)
    return float(sum(distance(tuple(a), tuple(b)) for a, b in zip(c[:-1], c[1:])))


def distance_to_segment(p: LonLat, a: LonLat, b: LonLat, tol_m: float = 1e-4) -> tuple[float, float]:
    """(distance m, fraction along) from ``p`` to the geodesic segment a-b: Brent's bounded minimisation
    (``scipy.optimize.minimize_scalar``) of the geodesic distance along the segment, which is unimodal at
    these distances (tens of km); the ends are compared too."""
    from scipy.optimize import minimize_scalar

    line = GL.InverseLine(a[1], a[0], b[1], b[0])
    total = line.s13

    def f(s: float) -> float:
        q = line.Position(s)
        return GL.Inverse(p[1], p[0], q["lat2"], q["lon2"])["s12"]

    res = minimize_scalar(f, bounds=(0.0, total), method="bounded", options={"xatol": tol_m})
    return min((f(0.0), 0.0), (float(res.fun), float(res.x) / total), (f(total), 1.0))


def distance_to_baseline(p: LonLat, segments: list[tuple[LonLat, LonLat]]) -> float:
    """Geodesic distance (m) from ``p`` to a baseline given as geodesic segments."""
    return min(distance_to_segment(p, a, b)[0] for a, b in segments)


# ----------------------------------------------------------------------------------- river coordinates
@dataclass(frozen=True)
class RiverFrame:
    """River coordinates (s, y) about the mouth O: see the module docstring."""

    origin: LonLat
    azimuth_deg: float      # downstream azimuth of the axis at O

    def axis(self, s_m: float) -> tuple[LonLat, float]:
        """(point, downstream azimuth) at ``s_m`` along the axis."""
        return direct(self.origin, self.azimuth_deg, s_m)

    def point(self, s_m: float, y_m: float) -> LonLat:
        q, az = self.axis(s_m)
        if y_m == 0.0:
            return q
        return direct(q, az - 90.0, y_m)[0]

    def points(self, sy) -> list[LonLat]:
        return [self.point(float(s), float(y)) for s, y in sy]


def _ramp(a: float, b: float, step: float = STEP_M) -> np.ndarray:
    """``a`` to ``b`` in steps of at most ``step`` on the grid of multiples of ``step`` (ends included), so that
    edges shared by two polygons get the same vertices."""
    lo, hi = min(a, b), max(a, b)
    inner = np.arange(math.floor(lo / step) + 1, math.ceil(hi / step)) * step
    out = np.concatenate([[lo], inner[(inner > lo) & (inner < hi)], [hi]])
    return out if a <= b else out[::-1]


# ---------------------------------------------------------------------------------------- the case
@dataclass(frozen=True)
class Spec:
    """The numbers that define a case (metres unless stated)."""

    variant: Literal["straight", "headlands"]
    origin: LonLat
    azimuth_deg: float                 # downstream azimuth of the axis at the mouth
    half_width_m: float
    river_length_m: float              # from the coast to the upstream end of the water
    tripoint_s_m: float                # s of the intended tripoint (negative: upstream of the coast)
    monument_offset_m: float           # monument beyond the left bank
    b_offset_m: float                  # B on the closing line, this far right (BBB side) of the axis
    extent_m: tuple[float, float, float, float]   # data extent: metres west, south, east, north of O
    island: tuple[float, float, float, float]      # s0, s1, y0, y1 of the island (a hole in the water)
    headland: tuple[float, float, float] = (0.0, 0.0, 0.0)  # |y| from, |y| to, apex s (apex at mid |y|)
    sea_ext_m: float = 300.0           # the water runs on this far past the coast
    depth: bool = False
    reference: bool = False
    depth_max_m: float = 6.0
    depth_cell_m: float = 5.0


STRAIGHT = Spec(variant="straight", origin=(10.0, 45.0), azimuth_deg=115.0, half_width_m=150.0,
                river_length_m=12_000.0, tripoint_s_m=-6_000.0, monument_offset_m=50.0, b_offset_m=0.0,
                extent_m=(20_000.0, 35_000.0, 0.0, 35_000.0), island=(-9_200.0, -8_800.0, -130.0, -60.0))
HEADLANDS = Spec(variant="headlands", origin=(10.0, 44.6), azimuth_deg=180.0, half_width_m=120.0,
                 river_length_m=10_000.0, tripoint_s_m=-5_000.0, monument_offset_m=40.0, b_offset_m=40.0,
                 extent_m=(25_000.0, 40_000.0, 32_000.0, 20_000.0), island=(-7_700.0, -7_300.0, -105.0, -50.0),
                 headland=(4_000.0, 8_000.0, 3_000.0), depth=True, reference=True)


@dataclass
class Expected:
    """The analytic answers of a case (lon/lat on WGS 84, metres)."""

    spec: Spec
    frame: RiverFrame
    extent: tuple[float, float, float, float]          # west, south, east, north (deg), as in the TOML
    sides: tuple[str, str, str] = ("AAA", "BBB", "CCC")
    tripoint: LonLat = (0.0, 0.0)
    monument: LonLat = (0.0, 0.0)
    monument_record: LonLat = (0.0, 0.0)
    record_foot_shift_m: float = 0.0                   # the second record's foot, from the tripoint
    crossing: LonLat = (0.0, 0.0)                      # C: the axis on the closing line
    b: LonLat = (0.0, 0.0)
    e: LonLat = (0.0, 0.0)
    land_length_m: float = 0.0
    sea_length_m: float = 0.0
    equidistance_length_m: float = 0.0                  # C -> end, along the axis
    baselines: dict[str, list[tuple[LonLat, LonLat]]] = field(default_factory=dict)
    apex: dict[str, LonLat] = field(default_factory=dict)
    island_side: str = "BBB"
    mouth_offset_m: float = 0.0

    def axis_distance(self, p: LonLat) -> float:
        """Geodesic distance (m) from ``p`` to the equidistance line's geodesic (the axis from C seaward,
        continued 10 km past its end)."""
        end = self.frame.point(SNAP_M + self.equidistance_length_m + 10_000.0, 0.0)
        return distance_to_segment(p, self.crossing, end)[0]


def _frame_ll(extent) -> Polygon:
    return shapely.segmentize(box(*extent), FRAME_STEP_DEG)


def _coast_sy(spec: Spec, y_from: float, y_to: float) -> list[tuple[float, float]]:
    """(s, y) vertices of the coast from ``y_from`` to ``y_to`` (one side of the axis), every ``STEP_M``; with
    headlands, the vertices strictly between a headland's base points are replaced by its apex (the headland's
    two edges are single straight edges, i.e. geodesics to well below a millimetre over 3.6 km)."""
    ys = [float(y) for y in _ramp(y_from, y_to)]
    if spec.variant != "headlands":
        return [(0.0, y) for y in ys]
    h0, h1, apex_s = spec.headland
    keep = [y for y in ys if not (h0 < abs(y) < h1)]
    out: list[tuple[float, float]] = []
    for y, nxt in zip(keep, keep[1:] + [None]):
        out.append((0.0, y))
        if nxt is not None and {abs(y), abs(nxt)} == {h0, h1}:
            out.append((apex_s, math.copysign((h0 + h1) / 2, y)))
    return out


def _baseline_sy(spec: Spec, sign: float) -> list[tuple[float, float]]:
    """The coast of one side as few geodesic pieces as it is made of: the bank, the headland's base points and
    apex, and a far point (the straight coast between them is one geodesic, the perpendicular through O)."""
    w = spec.half_width_m
    if spec.variant != "headlands":
        return [(0.0, sign * w), (0.0, sign * 60_000.0)]
    h0, h1, apex_s = spec.headland
    return [(0.0, sign * w), (0.0, sign * h0), (apex_s, sign * (h0 + h1) / 2), (0.0, sign * h1),
            (0.0, sign * 60_000.0)]


def _polygons(spec: Spec, fr: RiverFrame, extent) -> dict[str, Polygon]:
    """Land polygons (lon/lat) of the three states, rivers not cut out, cut to the data extent."""
    big = 80_000.0
    s_t = spec.tripoint_s_m
    axis_in = [(float(s), 0.0) for s in _ramp(-big, 0.0)]                # upstream -> O
    a_axis = [(s, y) for s, y in axis_in if s >= s_t]
    c_axis = [(s, y) for s, y in axis_in if s <= s_t]
    tri_line = [(s_t, float(y)) for y in _ramp(0.0, big)]                 # AAA | CCC, from the axis outwards
    # AAA: axis s_T -> O, coast O -> +big, then round outside the extent back to the A|C line
    aaa = a_axis + _coast_sy(spec, 0.0, big)[1:] + [(s_t, big)] + tri_line[::-1][1:]
    ccc = c_axis + tri_line[1:] + [(-big, big)]
    bbb = axis_in + _coast_sy(spec, 0.0, -big)[1:] + [(-big, -big)]
    frame = _frame_ll(extent)
    out = {}
    for code, sy in (("AAA", aaa), ("BBB", bbb), ("CCC", ccc)):
        poly = Polygon(fr.points(sy))
        assert poly.is_valid, code
        out[code] = shapely.intersection(poly, frame)
    return out


def _water(spec: Spec, fr: RiverFrame) -> Polygon:
    """The river's water area (lon/lat), running ``sea_ext_m`` past the coast, the island as a hole."""
    w = spec.half_width_m
    ss = _ramp(-spec.river_length_m, spec.sea_ext_m)
    left = [(float(s), w) for s in ss]
    right = [(float(s), -w) for s in ss[::-1]]
    s0, s1, y0, y1 = spec.island
    hole = [(s0, y0), (s1, y0), (s1, y1), (s0, y1)]
    return Polygon(fr.points(left + right), [fr.points(hole)])


def _extent(spec: Spec, fr: RiverFrame) -> tuple[float, float, float, float]:
    """(west, south, east, north) degrees: metres west/south/north of O along the meridian and the geodesic
    due east or west; east = 0 means "30 km offshore along the axis" (the straight case)."""
    o = fr.origin
    west = direct(o, 270.0, spec.extent_m[0])[0][0]
    south = direct(o, 180.0, spec.extent_m[1])[0][1]
    north = direct(o, 0.0, spec.extent_m[3])[0][1]
    east = direct(o, 90.0, spec.extent_m[2])[0][0] if spec.extent_m[2] else fr.point(30_000.0, 0.0)[0]
    return (round(west, 9), round(south, 9), round(east, 9), round(north, 9))


def analytic(spec: Spec) -> Expected:
    """Every analytic answer of ``spec`` (geographiclib only)."""
    fr = RiverFrame(spec.origin, spec.azimuth_deg)
    ex = Expected(spec, fr, _extent(spec, fr))
    ex.tripoint = fr.point(spec.tripoint_s_m, 0.0)
    y_m = spec.half_width_m + spec.monument_offset_m
    ex.monument = fr.point(spec.tripoint_s_m, y_m)
    # a second record of the same monument, 0.30 m downstream and 0.20 m farther out (a resurvey): its own
    # perpendicular meets the axis 0.30 m downstream of A
    ex.monument_record = fr.point(spec.tripoint_s_m + 0.30, y_m + 0.20)
    ex.record_foot_shift_m = 0.30
    ex.crossing = fr.point(SNAP_M, 0.0)
    ex.b = fr.point(SNAP_M, -spec.b_offset_m)
    ex.mouth_offset_m = distance(ex.crossing, ex.b)
    w = spec.half_width_m
    for code, sign in (("AAA", 1.0), ("BBB", -1.0)):
        segs = [(ex.crossing, fr.point(SNAP_M, sign * w)), (fr.point(SNAP_M, sign * w), fr.point(0.0, sign * w))]
        coast = fr.points(_baseline_sy(spec, sign))
        segs += list(zip(coast[:-1], coast[1:]))
        ex.baselines[code] = segs
    if spec.variant == "straight":
        ex.equidistance_length_m = BREADTH_M
    else:
        h0, h1, apex_s = spec.headland
        apex = fr.point(apex_s, (h0 + h1) / 2)
        ex.apex = {"AAA": apex, "BBB": fr.point(apex_s, -(h0 + h1) / 2)}
        lo, hi = BREADTH_M * 0.5, BREADTH_M * 2.0          # distance along the axis from C
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if distance(fr.point(SNAP_M + mid, 0.0), apex) < BREADTH_M:
                lo = mid
            else:
                hi = mid
        ex.equidistance_length_m = 0.5 * (lo + hi)
    ex.e = fr.point(SNAP_M + ex.equidistance_length_m, 0.0)
    ex.land_length_m = distance(ex.tripoint, ex.crossing) + ex.mouth_offset_m
    ex.sea_length_m = distance(ex.b, ex.e)
    return ex


# ------------------------------------------------------------------------------------------- writing
def _fmt(v: float) -> str:
    return repr(float(v))


def _write_geojson(path: Path, features: list[tuple[dict, object]]) -> None:
    """GeoJSON with every coordinate written as Python's shortest exact float (``json``), so that vertices
    shared by polygons, and those on the data extent's edge, read back bit for bit."""
    fc = {"type": "FeatureCollection",
          "features": [{"type": "Feature", "properties": props, "geometry": mapping(geom)} for props, geom in features]}
    path.write_text(json.dumps(fc), encoding="utf-8")


def _write_water(path: Path, water: Polygon) -> None:
    import geopandas as gpd

    gpd.GeoDataFrame({"name": ["synthetic river water"]}, geometry=[water], crs="EPSG:4326").to_file(
        path, layer="water", driver="GPKG")


def _write_points(path: Path, ex: Expected) -> None:
    rows = [("M1", "Boundary sign 1 (Aland-Ceeland-Beeland)", "monument", "WGS 84", "EPSG:4326", ex.monument,
             "synthetic monument on the left bank opposite the tripoint"),
            ("M1-R", "Boundary sign 1, resurvey", "monument", "WGS 84", "EPSG:4326", ex.monument_record,
             "synthetic second record of the same sign"),
            ("B", "Mouth point B", "mouth", "not stated", "", ex.b, "synthetic treaty: the river part ends at B"),
            ("E", "End point E", "end", "not stated", "", ex.e,
             "synthetic treaty: straight line from B to where the two 12-nm limits meet, E")]
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "kind", "datum", "crs", "lat", "lon", "published", "source"])
        for pid, name, kind, datum, crs, (lon, lat), src in rows:
            w.writerow([pid, name, kind, datum, crs, f"{lat:.12f}", f"{lon:.12f}", f"{lat:.12f} N {lon:.12f} E", src])


def _read_back_points(path: Path, ex: Expected) -> None:
    """The answers from the coordinates as written (12 decimals: below 1e-6 m), not as computed."""
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        got = {r["id"]: (float(r["lon"]), float(r["lat"])) for r in csv.DictReader(f)}
    ex.monument, ex.monument_record, ex.b, ex.e = got["M1"], got["M1-R"], got["B"], got["E"]
    ex.mouth_offset_m = distance(ex.crossing, ex.b)
    ex.land_length_m = distance(ex.tripoint, ex.crossing) + ex.mouth_offset_m
    ex.sea_length_m = distance(ex.b, ex.e)


def _local_tm(fr: RiverFrame):
    """Transverse Mercator on WGS 84 whose central meridian is the river's axis (headlands variant)."""
    from pyproj import CRS

    lon0, lat0 = fr.origin
    return CRS.from_proj4(f"+proj=tmerc +lat_0={lat0!r} +lon_0={lon0!r} +k=1 +x_0=0 +y_0=0 +datum=WGS84 "
                          "+units=m +no_defs +type=crs")


def _write_depth(path: Path, spec: Spec, fr: RiverFrame, water: Polygon) -> None:
    """Depth GeoTIFF in a TM whose central meridian is the axis (x = 0): a column of cells is centred on the
    axis, depth = max (1 - (x / half_width)^2) in the water (deepest on the axis), nodata elsewhere."""
    import rasterio
    from pyproj import Transformer
    from rasterio.transform import Affine

    assert spec.azimuth_deg % 180.0 == 0.0, "the depth grid needs the axis along a meridian"
    tm = _local_tm(fr)
    to_tm = Transformer.from_crs("EPSG:4326", tm, always_xy=True)
    water_tm = shapely.transform(water, lambda xy: np.column_stack(to_tm.transform(xy[:, 0], xy[:, 1])))
    cell = spec.depth_cell_m
    x0 = -(math.ceil(spec.half_width_m / cell) + 2) * cell - cell / 2
    minx, miny, maxx, maxy = water_tm.bounds
    top = (math.ceil(maxy / cell) + 4) * cell
    bottom = (math.floor(miny / cell) - 4) * cell
    ncol = int(round(-2 * x0 / cell))
    nrow = int(round((top - bottom) / cell))
    xs = x0 + cell * (np.arange(ncol) + 0.5)
    ys = top - cell * (np.arange(nrow) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    inside = shapely.contains_xy(water_tm, gx, gy)
    depth = np.where(inside, spec.depth_max_m * (1.0 - (gx / spec.half_width_m) ** 2), np.nan).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=ncol, height=nrow, count=1, dtype="float32",
                       crs=rasterio.crs.CRS.from_wkt(tm.to_wkt()), transform=Affine(cell, 0.0, x0, 0.0, -cell, top),
                       nodata=float("nan")) as dst:
        dst.write(depth, 1)


def _reference(spec: Spec, fr: RiverFrame, land: dict[str, Polygon], water: Polygon, extent) -> dict[str, object]:
    """Reference territories with sea (validation only): each state's land plus the sea on its side of the
    axis within 12 nm of its coast (drawn in the axis' TM; a reference, not an answer)."""
    from pyproj import Transformer

    tm = _local_tm(fr)
    fwd = Transformer.from_crs("EPSG:4326", tm, always_xy=True)
    inv = Transformer.from_crs(tm, "EPSG:4326", always_xy=True)
    to_tm = lambda g: shapely.transform(g, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))  # noqa: E731
    to_ll = lambda g: shapely.transform(g, lambda xy: np.column_stack(inv.transform(xy[:, 0], xy[:, 1])))  # noqa: E731
    land_tm = to_tm(shapely.union_all(list(land.values())))
    frame_tm = to_tm(_frame_ll(extent))
    out = {}
    for code, sign in (("AAA", 1.0), ("BBB", -1.0)):
        coast = to_tm(LineString(fr.points(_coast_sy(spec, sign * spec.half_width_m, sign * 60_000.0))))
        half = box(0.0, -1e6, 1e6, 1e6) if sign > 0 else box(-1e6, -1e6, 0.0, 1e6)
        sea = coast.buffer(BREADTH_M, quad_segs=64).intersection(half).intersection(frame_tm).difference(land_tm)
        out[code] = shapely.union_all([land[code], to_ll(sea)])
    return out


def _toml(spec: Spec, ex: Expected) -> str:
    names = "\n".join(
        f'{role} = "{code}"\n{role}_name = "{NAMES[code][0]}"\n{role}_label = {json.dumps(NAMES[code][1])}\n'
        f'{role}_colour = "{NAMES[code][2]}"' for role, code in zip(("left", "right", "third"), ex.sides))
    west, south, east, north = ex.extent
    depth = '\ndepth = "depth.tif"' if spec.depth else ""
    reference = '\nreference = "reference.geojson"\nreference_side_field = "code"' if spec.reference else ""
    modelled = ["coast", "river", "points"] + (["depth"] if spec.depth else [])
    return f"""# Synthetic case ({spec.variant} coast), written by tests/synthetic_case.py: invented states, analytic answers.

[case]
name = "Aland–Beeland boundary on the Synthetic River ({spec.variant} coast)"
map_title = "Aland–Beeland boundary (synthetic, {spec.variant} coast)"
river_name = "Synthetic River"
attribution = "Synthetic geometry from tests/synthetic_case.py; no real data"
coast_source = "synthetic coast (tests/synthetic_case.py)"
reference_source = "synthetic reference territories (tests/synthetic_case.py)"

[sides]
{names}

[inputs]
coast = "coast.geojson"
coast_side_field = "code"
coast_extent = [{_fmt(west)}, {_fmt(south)}, {_fmt(east)}, {_fmt(north)}]
river = "river.gpkg"
river_layer = "water"
points = "points.csv"{depth}{reference}
modelled = {json.dumps(modelled)}

[treaty]
unstated_datum_crs = "EPSG:4326"
mouth_point = "B"
end_point = "E"
source = "Synthetic Aland–Beeland treaty, art. 1: from the tripoint along the river to B, then straight to E"

[official]
source = "analytic answers of tests/synthetic_case.py (geographiclib)"
land_length_m = {_fmt(ex.land_length_m)}
land_tolerance_m = 1.0
sea_length_m = {_fmt(ex.sea_length_m)}
sea_tolerance_m = 0.1

[land]
mouth_snap_m = {_fmt(SNAP_M)}

[tripoint]
monument = "M1"
compare_monument = "M1-R"
max_perpendicular_error_deg = 0.01
max_record_disagreement_m = 1.0

[mouth]
max_offset_m = {_fmt(ex.mouth_offset_m + 0.05)}
max_junction_gap_m = 0.01

[maritime]
method = "treaty"
end_tolerance_m = 1.0
max_limit_error_m = 1.0
max_equidistance_error_m = 1.0
"""


@dataclass(frozen=True)
class Case:
    folder: Path
    config: Path
    expected: Expected


def build_case(folder: Path, spec: Spec) -> Case:
    """Write ``case.toml``, ``coast.geojson``, ``river.gpkg``, ``points.csv`` (and ``depth.tif``,
    ``reference.geojson`` when ``spec`` asks for them) into ``folder``; return the analytic answers."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ex = analytic(spec)
    fr = ex.frame
    land = _polygons(spec, fr, ex.extent)
    water = _water(spec, fr)
    _write_geojson(folder / "coast.geojson",
                   [({"code": c, "name": NAMES[c][0]}, MultiPolygon([g]) if g.geom_type == "Polygon" else g)
                    for c, g in land.items()])
    _write_water(folder / "river.gpkg", water)
    _write_points(folder / "points.csv", ex)
    _read_back_points(folder / "points.csv", ex)
    if spec.depth:
        _write_depth(folder / "depth.tif", spec, fr, water)
    if spec.reference:
        ref = _reference(spec, fr, land, water, ex.extent)
        _write_geojson(folder / "reference.geojson", [({"code": c}, g) for c, g in ref.items()])
    config = folder / "case.toml"
    config.write_text(_toml(spec, ex), encoding="utf-8")
    return Case(folder, config, ex)


__all__ = ["Spec", "Expected", "Case", "STRAIGHT", "HEADLANDS", "FORBIDDEN", "NAMES", "BREADTH_M", "build_case",
           "analytic", "distance", "inverse", "line_length", "distance_to_segment", "distance_to_baseline"]
