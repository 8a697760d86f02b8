"""``tumen-border compare RUN_A RUN_B``: how the border moved between two runs (e.g. two epochs of water masks).

The treaty lets the river part follow the main channel as it moves; the tripoint and the mouth point are
fixed. For two finished runs this module measures, on the WGS-84 ellipsoid: the shift of the land boundary
(Hausdorff and mean distance), the area that changes side between the two land boundaries (per state,
faces between the lines), the islands that change side, and whether the tripoint and the mouth point hold.
Nothing here writes files (see :mod:`pipeline.export`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from . import geometry
from .errors import InputError, one_line
from .geodesy import GEOD, Geodesy, geodesic_area_m2, inverse, resolve_metric_crs
from .model import Report
from .verify import REPORT, read_column, read_line, read_run_files

COMPARE_SCHEMA = "river-sea-border-compare/1"


@dataclass(frozen=True)
class Run:
    """The parts of a finished run that a comparison needs (:func:`read_run`), in lon/lat (WGS 84, degrees).

    Attributes
    ----------
    folder : Path
        The run's output folder.
    report : Report
        Its ``report.json``.
    land_boundary : LineString
        The ``land_boundary`` layer merged into one line, lon/lat.
    islands : dict of int to (Polygon, str)
        Island number (the ``islands`` layer's) -> (polygon in lon/lat, state code under the line in use); empty
        when the run has no islands layer.
    points : dict of str to Point
        The ``boundary_points`` layer by label (A, B, E, mouth, ...), lon/lat.
    """

    folder: Path
    report: Report
    land_boundary: LineString
    islands: dict[int, tuple[shapely.Polygon, str]]  # island number (the layer's) -> (polygon, state under the
                                                     # line in use)
    points: dict[str, Point]                        # boundary_points by label (A, B, E, ...)


@dataclass(frozen=True)
class ChangedArea:
    """A face between the two runs' land boundaries that changes state.

    Attributes
    ----------
    polygon : Polygon
        Lon/lat (WGS 84, deg).
    area_km2 : float
        Geodesic area on WGS 84, km2.
    side_a, side_b : str
        Its state code in run A and in run B.
    """

    polygon: object            # lon/lat Polygon
    area_km2: float
    side_a: str
    side_b: str


@dataclass(frozen=True)
class IslandChange:
    """An island of run A and the island of run B that covers most of it.

    Attributes
    ----------
    island_a : int
        Its number in run A.
    island_b : int or None
        The matching island's number in run B; None when none covers ``compare.min_island_overlap`` of it.
    side_a, side_b : str
        Its state code in run A and in run B ("gone" when there is no match).
    overlap : float
        Shared area / area of the island in run A (0-1, planar in lon/lat: a ratio of nearby areas).
    """

    island_a: int
    island_b: int | None
    side_a: str
    side_b: str
    overlap: float             # shared area / area of the island in run A


@dataclass(frozen=True)
class Comparison:
    """How the border moved between two runs (``compare.json``); distances geodesic on WGS 84.

    Attributes
    ----------
    schema : str
        :data:`COMPARE_SCHEMA`.
    run_a, run_b : str
        The two output folders.
    hausdorff_m, mean_shift_m : float
        Largest and mean distance (m) between the land boundaries, sampled both ways every ``compare.step_m``.
    area_changed_km2 : float
        Total area (km2) of the faces between the land boundaries that change state.
    area_by_side : dict of str to float
        "X -> Y" -> km2 of X's side in run A that is Y's in run B.
    islands_changed : int
        Islands whose state differs between the runs.
    islands : list of IslandChange
        Every island of run A.
    tripoint_shift_m, mouth_point_shift_m : float or None
        How far A and the treaty mouth point moved (m); None where a run lacks the point.
    holds : dict of str to bool
        "tripoint" (and "mouth point" when the report names one): moved at most ``tolerance_m``.
    tolerance_m : float
        ``compare.tolerance_m`` (m).
    areas : list of ChangedArea
        The faces that change state, largest first.
    dividing_line : str
        "M1–M2" when both runs fix A on the same dividing line, else "".
    tripoint_off_dividing_line_m : float or None
        Run B's A to run A's dividing line (m, geodesic); None unless ``dividing_line`` is set.
    """

    schema: str
    run_a: str
    run_b: str
    hausdorff_m: float
    mean_shift_m: float
    area_changed_km2: float
    area_by_side: dict[str, float]          # "X -> Y": km2 of X's side in run A that is Y's in run B
    islands_changed: int
    islands: list[IslandChange]
    tripoint_shift_m: float | None
    mouth_point_shift_m: float | None
    holds: dict[str, bool]                  # "tripoint", "mouth point": within the tolerance
    tolerance_m: float
    areas: list[ChangedArea]
    dividing_line: str = ""                 # "M1–M2" when both runs fix A on the same dividing line
    tripoint_off_dividing_line_m: float | None = None   # run B's A to run A's dividing line (geodesic)


def read_run(folder: Path) -> Run:
    """Read ``border.gpkg`` and ``report.json`` of a finished run.

    Parameters
    ----------
    folder : str or Path
        The run's output folder.

    Returns
    -------
    Run
        Its land boundary, islands and labelled points in lon/lat (WGS 84), and its report.

    Raises
    ------
    InputError
        Naming the file at fault: no folder or GeoPackage, a report that does not fit its schema, a layer missing,
        empty or not one connected line, a GeoPackage GDAL cannot open.
    """
    import pyogrio

    folder = Path(folder)
    gpkg, rep = read_run_files(folder)
    land = read_line(gpkg, "land_boundary")
    try:
        layers = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    except Exception as exc:      # DataSourceError: not a GeoPackage GDAL can open
        raise InputError(gpkg, f"cannot be read ({one_line(exc)})") from None
    islands = {}
    if "islands" in layers:
        geoms, sides = read_column(gpkg, "islands", "side")
        _, numbers = read_column(gpkg, "islands", "island")
        islands = {int(k): (g, str(s)) for k, g, s in zip(numbers, geoms, sides)}
    geoms, labels = read_column(gpkg, "boundary_points", "label")
    points = {str(lab): g for lab, g in zip(labels, geoms)}
    return Run(folder, rep, land, islands, points)


def _distance(p: Point | None, q: Point | None) -> float | None:
    if p is None or q is None:
        return None
    return float(inverse(p.x, p.y, q.x, q.y)[1])


def compare_runs(a: Run, b: Run, *, step_m: float, tolerance_m: float, min_overlap: float) -> Comparison:
    """How the border of run ``b`` differs from that of run ``a``.

    Every distance and area is geodesic on WGS 84; the planar work (sampling, faces between the lines, the
    nearest points) is done in a local transverse Mercator (:func:`pipeline.geodesy.resolve_metric_crs` "auto")
    over both land boundaries.

    Parameters
    ----------
    a, b : Run
        Two finished runs of the same border (:func:`read_run`; lon/lat WGS 84 geometries).
    step_m : float
        Sample spacing (m) along the land boundaries for the shift measures.
    tolerance_m : float
        The tripoint and the mouth point "hold" when they moved at most this far (m, geodesic).
    min_overlap : float
        An island of run B is the same island as one of run A when it covers this fraction (0-1) of it.

    Returns
    -------
    Comparison
        The shift of the land boundary (m), the area that changes side (km2, per "X -> Y"), the islands and
        their states in both runs, how far A and the mouth point moved (m), whether they hold, and with a
        dividing-line rule in both runs how far run B's A lies off run A's dividing line (m).

    Raises
    ------
    InputError
        Naming run B's ``report.json`` when the runs are of different borders (other sides).
    """
    if a.report.sides != b.report.sides:
        raise InputError(b.folder / REPORT, f"the runs are of different borders: sides {a.report.sides} vs "
                                            f"{b.report.sides}")
    left, right = a.report.sides["left"], a.report.sides["right"]
    bounds = shapely.union_all([a.land_boundary, b.land_boundary]).bounds
    geo = Geodesy(resolve_metric_crs("auto", bounds), bounds)
    la, lb = geo.to_metric(a.land_boundary), geo.to_metric(b.land_boundary)
    ab, _ = geo.distance_to_line(shapely.get_coordinates(shapely.segmentize(la, step_m)), lb)
    ba, _ = geo.distance_to_line(shapely.get_coordinates(shapely.segmentize(lb, step_m)), la)
    areas, by_side = _changed_areas(la, lb, geo, (left, right))
    changes = _island_changes(a, b, min_overlap)
    tri = _distance(a.points.get("A"), b.points.get("A"))
    mouth_id = a.report.mouth.treaty_point
    mouth = _distance(a.points.get(mouth_id), b.points.get(mouth_id)) if mouth_id else None
    holds = {"tripoint": tri is not None and tri <= tolerance_m}
    divider, off = _off_dividing_line(a, b)
    if mouth_id:
        holds["mouth point"] = mouth is not None and mouth <= tolerance_m
    return Comparison(COMPARE_SCHEMA, str(a.folder), str(b.folder), float(max(ab.max(), ba.max())),
                      float(np.concatenate([ab, ba]).mean()), sum(x.area_km2 for x in areas), by_side,
                      sum(1 for c in changes if c.side_a != c.side_b), changes, tri, mouth, holds, tolerance_m,
                      areas, divider, off)


def _changed_areas(la: LineString, lb: LineString, geo: Geodesy, sides: tuple[str, str]
                   ) -> tuple[list[ChangedArea], dict[str, float]]:
    """The faces between two land boundaries (metric) that change state, largest first, and km2 per change."""
    areas, by_side = [], {}
    faces = geometry.faces_between(la, lb)
    reps = np.array([f.representative_point().coords[0] for f in faces]).reshape(-1, 2)
    under_a, under_b = geometry.side_codes(reps, la, sides), geometry.side_codes(reps, lb, sides)  # one index each
    for face, side_a, side_b in zip(faces, under_a, under_b):
        if side_a == side_b:
            continue
        km2 = geodesic_area_m2(geo.to_lonlat(face)) / 1e6
        areas.append(ChangedArea(geo.to_lonlat(face), km2, side_a, side_b))
        key = f"{side_a} -> {side_b}"
        by_side[key] = by_side.get(key, 0.0) + km2
    areas.sort(key=lambda x: -x.area_km2)
    return areas, by_side


def _island_changes(a: Run, b: Run, min_overlap: float) -> list[IslandChange]:
    """Each island of run A with the island of run B that covers most of it (none below ``min_overlap``)."""
    changes = []
    for i, (isl, side) in a.islands.items():
        best, best_j = 0.0, None
        for j, (other, _) in b.islands.items():
            share = isl.intersection(other).area / isl.area if isl.intersects(other) else 0.0
            if share > best:
                best, best_j = share, j
        side_b = b.islands[best_j][1] if best_j is not None and best >= min_overlap else "gone"
        changes.append(IslandChange(i, best_j if best >= min_overlap else None, side, side_b, best))
    return changes


def _off_dividing_line(a: Run, b: Run) -> tuple[str, float | None]:
    """("M1–M2", run B's A to run A's dividing line in m) when both runs fix A on the same dividing line, else
    ("", None)."""
    da, db = a.report.tripoint.dividing, b.report.tripoint.dividing
    if da is None or db is None or (da.marker1, da.marker2) != (db.marker1, db.marker2) \
            or b.points.get("A") is None:
        return "", None
    # Art. 2: natural changes move neither the dividing line nor the tripoint. Run A's dividing line is the
    # geodesic from marker 1 at run A's azimuth; run B's A must lie on it (off = its distance from it)
    m1 = next(m for m in a.report.tripoint.monuments if m.id == da.marker1)
    pb = b.points["A"]
    _, s = inverse(m1.lon, m1.lat, pb.x, pb.y)
    lon, lat, _ = GEOD.fwd(m1.lon, m1.lat, da.azimuth_deg, float(s))
    return f"{da.marker1}–{da.marker2}", float(inverse(lon, lat, pb.x, pb.y)[1])


def render_markdown(c: Comparison) -> str:
    """``compare.md``: the comparison for reading.

    Parameters
    ----------
    c : Comparison
        As :func:`compare_runs` made it.

    Returns
    -------
    str
        Markdown, ending with a newline: a table of the measures (m, km2), the islands' table when there are
        islands, and what "holds" means.
    """
    def f(v, nd=1):
        return "—" if v is None else f"{v:,.{nd}f}"

    L = ["# How the border moved between two runs", "", f"Run A: `{c.run_a}`  ", f"Run B: `{c.run_b}`", "",
         "| measure | value |", "|---|---:|",
         f"| land boundary shift, Hausdorff | {f(c.hausdorff_m)} m |",
         f"| land boundary shift, mean | {f(c.mean_shift_m)} m |",
         f"| area that changes side | {f(c.area_changed_km2, 4)} km² |"]
    for k, v in c.area_by_side.items():
        L.append(f"| … {k} | {f(v, 4)} km² |")
    L += [f"| islands that change side | {c.islands_changed} of {len(c.islands)} |",
          f"| tripoint A moved | {f(c.tripoint_shift_m, 3)} m ({'holds' if c.holds.get('tripoint') else 'MOVED'}) |"]
    if "mouth point" in c.holds:
        L.append(f"| mouth point moved | {f(c.mouth_point_shift_m, 3)} m "
                 f"({'holds' if c.holds['mouth point'] else 'MOVED'}) |")
    if c.dividing_line:
        L.append(f"| run B's A off run A's dividing line {c.dividing_line} | {f(c.tripoint_off_dividing_line_m, 3)} m |")
    L += ["", f"A point holds when it moved at most {c.tolerance_m:g} m. Lengths and areas are geodesic (WGS 84).", ""]
    if c.dividing_line:
        L += [f"Both runs fix A on the dividing line {c.dividing_line} (1998 agreement, Art. 3(1) and 1(2)). Art. 2: "
              "natural changes of the river move neither the dividing line nor the tripoint, so when the channel "
              "moves, A stays on the dividing line and the land boundary joins it there; a tripoint that moved "
              "along the line ('MOVED' above) shows how far the channel's crossing moved, not a new tripoint.", ""]
    if c.islands:
        L += ["| island (A) | island (B) | state in A | state in B | overlap |", "|---:|---:|---|---|---:|"]
        for i in c.islands:
            L.append(f"| {i.island_a} | {i.island_b if i.island_b is not None else '—'} | {i.side_a} | {i.side_b} | "
                     f"{i.overlap:.0%} |")
    return "\n".join(L) + "\n"


