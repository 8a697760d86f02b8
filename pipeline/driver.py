"""The one driver: load -> channel lines -> tripoint -> land boundary -> maritime boundary -> checks -> report
-> layers -> export. It reads as the recipe it is; each step is a pure function of the previous results,
and only :mod:`pipeline.export` writes files.

A :class:`~pipeline.errors.GeometryError` from a stage names the input role it comes from; here it becomes
an :class:`~pipeline.errors.InputError` naming that input's file. So does any other GEOS, Qhull or PROJ
failure raised while a stage works on an input.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Point

from . import checks, land_line, maritime, progress, tripoint, validate
from .config import Config
from .errors import GeometryError, InputError, one_line
from .geodesy import GEOD
from .load import load_inputs
from .model import AgreedSpec, Report, Results

log = logging.getLogger(__name__)


@contextmanager
def stage(name: str, timings: dict[str, float]):
    """Log a stage's start and end (and its progress while it runs long, :mod:`pipeline.progress`) and record
    its wall time.

    Parameters
    ----------
    name : str
        The stage's name, as logged and as the key in ``timings``.
    timings : dict of str to float
        Filled with ``name`` -> wall time in seconds when the block ends without an exception.

    Yields
    ------
    None
    """
    t0 = time.perf_counter()
    log.info("stage %s ...", name)
    with progress.running(name):
        yield
    timings[name] = time.perf_counter() - t0
    log.info("stage %s done in %.2f s", name, timings[name])


@contextmanager
def blame(cfg: Config, role: str):
    """Turn a geometry failure into an InputError naming the input file it comes from.

    A GeometryError carries its own role; any other exception raised by GEOS, Qhull or PROJ while a stage
    works is blamed on ``role``, the input the stage works on.

    Parameters
    ----------
    cfg : Config
        The run's config: its input files by role (:meth:`pipeline.config.InputsCfg.files`), and its own path
        for the role "config".
    role : str
        The input the stage works on ("river", "points", "coast", "reference", ...).

    Yields
    ------
    None

    Raises
    ------
    InputError
        Naming the file of the error's role (a GeometryError's own, else ``role``) and the problem.
    """
    from pyproj.exceptions import ProjError
    from scipy.spatial import QhullError

    files = {**cfg.inputs.files(), "config": cfg.path}
    try:
        yield
    except GeometryError as exc:
        raise InputError(files.get(exc.role, files.get(role)), f"{_name(exc.role)}: {exc.problem}") from None
    except (shapely.errors.GEOSException, QhullError, ProjError) as exc:
        raise InputError(files.get(role), f"{_name(role)}: the geometry cannot be processed "
                                          f"({type(exc).__name__}: {one_line(exc)})") from None


def _name(role: str) -> str:
    return {"points": "treaty points", "depth": "depth", "reference": "reference border", "controls": "control points",
            "config": "configuration"}.get(role, role)


def compute(cfg: Config, timings: dict[str, float] | None = None) -> Results:
    """Run every computing stage on the inputs named by ``cfg``: load, channel lines, tripoint, land and maritime
    boundaries, reference lines, checks.

    Parameters
    ----------
    cfg : Config
        The run's config.
    timings : dict of str to float, optional
        Filled with each stage's wall time in seconds, by stage name.

    Returns
    -------
    Results
        Typed and unrounded: geometries in the run's metric CRS (``results.inputs.geo``), lengths in metres, and
        the checks judged with their figures.

    Raises
    ------
    InputError
        Naming the input file at fault (a stage's geometry failure is blamed on the input it came from).
    """
    timings = {} if timings is None else timings
    sides = cfg.sides.pair
    with stage("load", timings):
        inp = load_inputs(cfg)
    for msg in inp.repairs:
        log.warning("repaired: %s", msg)
    if cfg.inputs.depth is None:
        log.warning("no depth input: the land boundary follows the middle of the main channel (no thalweg)")
    geo = inp.geo
    land_union = shapely.union_all(list(inp.land.values()))

    with stage("channel_lines", timings), blame(cfg, "river"):
        channel = land_line.channel_lines(water=inp.water, land=land_union, depth=inp.depth, geo=geo,
                                          border_line=cfg.border_line, settings=cfg.land)

    points = inp.points
    with stage("tripoint", timings), blame(cfg, "points"):
        tp = tripoint.locate_tripoint(lines=channel.by_name, in_use=channel.in_use, settings=cfg.tripoint,
                                      points=points, geo=geo)

    with stage("land_boundary", timings), blame(cfg, "river"):
        tr = cfg.treaty
        mouth_id, junction = "", None
        if cfg.maritime.method == "treaty":
            mouth_id, junction = mouth_point(rule=tr.mouth_rule, point=points.get(tr.mouth_point),
                                             closing_line=channel.mouth.closing_line, geo=geo)
        land = land_line.land_boundary(
            channel=channel, station_m=tp.a.station_m, tripoint=tp.a.point,
            other_station_m=tp.on_other_line.station_m if tp.on_other_line else None,
            junction=junction, junction_id=mouth_id)

    with stage("maritime", timings), blame(cfg, "coast"):
        mar = maritime.maritime_boundary(
            land=inp.land, water=inp.water, frame=inp.frame, closing_line=channel.mouth.closing_line,
            crossing=land.crossing, junction=land.junction, junction_id=land.junction_id or "crossing",
            agreed=AgreedSpec.from_treaty(cfg.treaty, points), sides=sides, geo=geo, settings=cfg.maritime,
            snap_m=cfg.land.mouth_snap_m)

    reference = None
    if inp.reference is not None:
        with stage("reference", timings), blame(cfg, "reference"):
            reference = validate.reference_lines(reference=inp.reference, sides=sides, tripoint=tp.a.point,
                                                 junction=land.junction, snap_m=cfg.land.mouth_snap_m)

    results = Results(inp, channel, tp, land, mar, reference, (), {}, timings)
    with stage("checks", timings):
        figures, found = checks.run_checks(results, cfg)
    return replace(results, checks=found, figures=figures)


#: the label of a mouth point computed by ``treaty.mouth_rule = "closing_line_centre"``
MOUTH_CENTRE = "mouth centre"


def mouth_point(*, rule: str, point, closing_line, geo) -> tuple[str, Point]:
    """The mouth point B and its label: the treaty point, or the centre of the closing line.

    The centre is the geodesic midpoint of the closing line's ends, where the treaty puts B at "the centre of the
    mouth, wherever it is".

    Parameters
    ----------
    rule : {"point", "closing_line_centre"}
        ``treaty.mouth_rule``.
    point : TreatyPoint or None
        The treaty mouth point (its WGS-84 reading); used with the rule "point", where it must not be None.
    closing_line : LineString
        The river mouth's closing line, metric CRS (m).
    geo : Geodesy
        The run's metric CRS and datum path.

    Returns
    -------
    label : str
        The treaty point's id, or :data:`MOUTH_CENTRE`.
    point : Point
        B in the metric CRS.
    """
    if rule == "closing_line_centre":
        (lon1, lat1), (lon2, lat2) = geo.metric_to_lonlat(np.asarray(closing_line.coords)[[0, -1]])
        (mid,) = GEOD.npts(lon1, lat1, lon2, lat2, 1)
        return MOUTH_CENTRE, Point(geo.lonlat_to_metric(np.array([mid]))[0])
    return point.id, Point(geo.lonlat_to_metric(np.array([point.lonlat]))[0])


@dataclass(frozen=True)
class Outcome:
    """What ``tumen-border run`` did (:func:`run`).

    Attributes
    ----------
    results : Results
        The typed results, with the stage timings (s).
    report : Report
        The report as written (``report.json``).
    published : Path
        Where the files went: the output folder, or its ``failed-run`` folder when a check failed.
    """

    results: Results
    report: Report
    published: Path

    @property
    def passed(self) -> bool:
        """Whether every check holds (``report.passed``)."""
        return self.report.passed


def run(cfg: Config, out_dir: Path) -> Outcome:
    """Everything: check the output folder, compute, report, build layers, write and publish.

    The output folder is checked and locked before anything is computed; files are written to a temporary
    folder on its file system and published all-or-nothing (see :mod:`pipeline.export`). When a check fails
    the previous outputs stay untouched and this run's files go to ``<out>/failed-run``.

    Parameters
    ----------
    cfg : Config
        The run's config.
    out_dir : Path
        The output folder (made if missing).

    Returns
    -------
    Outcome
        The results, the report, and where the files were published.

    Raises
    ------
    OutputError
        When the output folder cannot be used (a file, an input folder, read-only, locked by another run, ...).
    InputError
        Naming the input file at fault.
    """
    from . import export, layers, report

    target = export.prepare(out_dir, cfg)
    with target.lock():
        timings: dict[str, float] = {}
        results = compute(cfg, timings)
        with stage("report", timings):
            rep = report.build_report(results, cfg, software=export.software_versions())
        with stage("layers", timings):
            built = layers.build_layers(results, cfg, rep)
        with stage("export", timings):
            where = target.publish(results=results, report=rep, layers=built, cfg=cfg)
        log.info("stage timings: %s", ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
        return Outcome(replace(results, timings=timings), rep, where)
