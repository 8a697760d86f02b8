"""Command line: thin commands over library functions, like rasterio's ``rio``.

``tumen-border run``      every stage (:func:`pipeline.driver.run`)
``tumen-border check DIR`` re-judge a finished run from its files (:func:`pipeline.verify.verify_outputs`)

Exit codes: 0 every check holds; 1 a check fails; 2 bad input or an unusable output folder (one line
naming the file or folder and the problem, no traceback); 130 / 143 interrupted by SIGINT / SIGTERM.
Heavy libraries are imported inside the commands, so ``--help`` starts fast.
"""
from __future__ import annotations

import functools
import gc
import logging
import signal
import sys
from pathlib import Path

import click

from .errors import Interrupted, PipelineError

log = logging.getLogger("pipeline")
DEFAULT_CONFIG = Path("inputs") / "tumen" / "tumen.toml"


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr, force=True)
    for noisy in ("pyogrio", "rasterio", "fiona", "matplotlib", "PIL", "pyproj", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _raise_interrupted(signum, _frame):
    raise Interrupted(signum)


def handled(fn):
    """Decorator of a command: map its outcome and its exceptions to exit codes, each error one line on stderr.

    Parameters
    ----------
    fn : callable
        A command's function, returning its exit code (0 every check holds, 1 a check fails).

    Returns
    -------
    callable
        ``fn`` wrapped: SIGINT and SIGTERM raise :class:`~pipeline.errors.Interrupted` while it runs (the previous
        handlers are restored after); it then exits the process (``sys.exit``) with ``fn``'s code, 2 after a
        :class:`~pipeline.errors.PipelineError` or an ``OSError`` (printed as "error: <path>: <problem>"), or
        128 + the signal's number when interrupted.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        previous = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            code = fn(*args, **kwargs)
        except PipelineError as exc:
            click.echo(f"error: {exc.message}", err=True)
            code = exc.exit_code
        except OSError as exc:       # a path the system refuses (ENAMETOOLONG, ELOOP ...), met before a file was named
            click.echo(f"error: {os_error_line(exc)}", err=True)
            code = 2
        except Interrupted as exc:
            click.echo(f"interrupted by signal {exc.signum}; nothing was left half-written in the output folder",
                       err=True)
            code = exc.exit_code
        finally:
            for s, h in previous.items():
                signal.signal(s, h)
        sys.exit(code)
    return wrapper


def os_error_line(exc: OSError) -> str:
    """``<path>: <problem>`` for an OSError that reached the CLI: one line, the path shortened if huge.

    Parameters
    ----------
    exc : OSError
        E.g. ENAMETOOLONG or ELOOP, met before a file was named by the pipeline.

    Returns
    -------
    str
        The file name (over 200 characters: its first and last 80 and its length) and the system's message, with
        a hint for a name too long; the message alone when the error names no file.
    """
    import errno

    name = str(exc.filename) if exc.filename is not None else ""
    if len(name) > 200:
        name = f"{name[:80]}...{name[-80:]} ({len(name)} characters)"
    problem = exc.strerror or str(exc)
    if exc.errno == errno.ENAMETOOLONG:
        problem += " (the path or one of its names is longer than this system allows; use a shorter one)"
    return f"{name}: {problem}" if name else problem


def _parse_sets(sets: tuple[str, ...]) -> dict:
    import tomllib

    from .errors import InputError

    out = {}
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep:
            raise InputError(None, f"--set {item!r}: expected KEY=VALUE, e.g. official.land_tolerance_m=300")
        try:
            out[key.strip()] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = raw
    return out


def _config(path: Path, overrides: dict, sets: tuple[str, ...]):
    from .config import load_config, with_overrides

    cfg = load_config(path)
    given = {k: v for k, v in overrides.items() if v is not None}
    given.update(_parse_sets(sets))
    return with_overrides(cfg, given)


# shared options (rasterio's rio/options.py style)
config_opt = click.option("--config", "config_path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG,
                          show_default=True, help="TOML configuration (paths, CRS, official figures, tolerances).")
land_tol_opt = click.option("--land-tolerance", type=float, default=None, help="Tolerance (m) of the land-length check.")
sea_tol_opt = click.option("--sea-tolerance", type=float, default=None, help="Tolerance (m) of the sea-length check.")
set_opt = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                       help="Override any config value, e.g. --set maritime.coast_densify_m=5 (repeatable).")
verbose_opt = click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
quiet_opt = click.option("-q", "--quiet", is_flag=True, help="Only warnings, errors and the check lines.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tumen-border")
def main() -> None:
    """Compute a river-and-sea international boundary from geodata (the Tumen: Russia–DPRK)."""


@main.command()
@config_opt
@click.option("--out", type=str, default=None, help="Output folder (default: output.dir of the config).")
@click.option("--border-line", type=click.Choice(["auto", "thalweg", "middle"]), default=None,
              help="Line the land boundary follows (auto: thalweg when a depth input is given).")
@click.option("--main-channel", type=click.Choice(["widest", "deepest"]), default=None,
              help="Rule that picks the main channel where islands split the river.")
@click.option("--maritime-method", type=click.Choice(["treaty", "equidistance"]), default=None,
              help="Maritime boundary: the treaty's straight line, or the equidistance line.")
@land_tol_opt
@sea_tol_opt
@click.option("--no-map", is_flag=True, help="Skip map.png.")
@set_opt
@verbose_opt
@quiet_opt
@handled
def run(config_path, out, border_line, main_channel, maritime_method, land_tolerance, sea_tolerance, no_map, sets,
        verbose, quiet):
    """Run every stage; publish the outputs only if every check holds."""
    _setup_logging(verbose, quiet)
    from .driver import run as run_all
    from .errors import OutputError

    if out is not None and not out.strip():   # Path("") is ".", the current folder: refuse it here
        raise OutputError(None, "the output folder is empty (--out \"\"); give a folder")
    cfg = _config(config_path, {"land.border_line": border_line, "land.main_channel": main_channel,
                                "maritime.method": maritime_method, "official.land_tolerance_m": land_tolerance,
                                "official.sea_tolerance_m": sea_tolerance,
                                "output.map": False if no_map else None}, sets)
    # the libraries' import-time objects live as long as the process: keep the cyclic garbage collector from
    # walking them again and again during the run (a run allocates many short-lived objects)
    gc.freeze()
    outcome = run_all(cfg, Path(out) if out is not None else cfg.output.dir)
    for c in outcome.report.checks:
        click.echo(c.line())
    if outcome.passed:
        click.echo(f"all {len(outcome.report.checks)} checks hold; outputs in {outcome.published}")
        return 0
    failed = sum(not c.passed for c in outcome.report.checks)
    click.echo(f"{failed} check(s) FAILED; the previous outputs are untouched; this run's files are in "
               f"{outcome.published}")
    return 1


@main.command()
@click.option("--root", type=click.Path(path_type=Path), default=Path("inputs"), show_default=True,
              help="Folder holding one folder per case (<case>/<case>.toml).")
@handled
def cases(root):
    """List the bundled cases: each config, its border, how A and B are fixed, the agreed line."""
    from .config import bundled_cases

    found = bundled_cases(root)
    if not found:
        from .errors import InputError
        raise InputError(root, "no case here: expected folders <case>/<case>.toml")
    for path, cfg in found:
        t, tr, s = cfg.tripoint, cfg.treaty, cfg.sides
        start = {"dividing_line": f"dividing line {'–'.join(t.dividing_line)}", "perpendicular":
                 f"perpendicular from {t.monument}", "start_point": "a configured start point (model choice)"}[t.rule]
        mouth = tr.mouth_point or "centre of the mouth (computed)"
        line = " → ".join([mouth, *tr.turning_points, tr.end_point]) if tr.end_point else "equidistance"
        click.echo(f"{path}\n  {cfg.case.name}: {s.name(s.left)} (left bank) / {s.name(s.right)} (right bank)\n"
                   f"  A: {start}; land line: {cfg.land.border_line}; sea: {line}"
                   + (f" (then {', '.join(tr.beyond_points)} beyond)" if tr.beyond_points else "")
                   + (f"\n  modelled: {', '.join(cfg.inputs.modelled)}" if cfg.inputs.modelled else ""))
    click.echo(f"run one with: tumen-border run --config {found[0][0]}")
    return 0


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path), default=Path("outputs"))
@config_opt
@land_tol_opt
@sea_tol_opt
@set_opt
@click.option("--junit-xml", "junit", type=click.Path(path_type=Path), default=None,
              help="Also write the checks as JUnit XML (one test case per check) to this file.")
@handled
def check(out_dir, config_path, land_tolerance, sea_tolerance, sets, junit):
    """Re-measure a finished run in OUT_DIR and judge every check again; exit 1 if one fails."""
    _setup_logging(False, True)
    from .verify import verify_outputs

    cfg = _config(config_path, {"official.land_tolerance_m": land_tolerance,
                                "official.sea_tolerance_m": sea_tolerance}, sets)
    found = verify_outputs(out_dir, cfg)
    if junit is not None:
        from .export import write_junit

        write_junit(junit, found, suite=f"tumen-border check {out_dir}")
    for c in found:
        click.echo(c.line())
    failed = [c for c in found if not c.passed]
    click.echo(f"{len(found) - len(failed)} of {len(found)} checks hold" + (f"; {len(failed)} FAILED" if failed else ""))
    return 1 if failed else 0


@main.command()
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option("--out", type=str, required=True, help="Folder for compare.gpkg, compare.json and compare.md.")
@config_opt
@set_opt
@handled
def compare(run_a, run_b, out, config_path, sets):
    """How the border moved from RUN_A to RUN_B (two output folders of `tumen-border run`)."""
    _setup_logging(False, True)
    from . import compare as cmp
    from . import export

    cfg = _config(config_path, {}, sets)
    target = export.prepare_compare(Path(out), [run_a, run_b])
    a, b = cmp.read_run(run_a), cmp.read_run(run_b)
    c = cfg.compare
    result = cmp.compare_runs(a, b, step_m=c.step_m, tolerance_m=c.tolerance_m, min_overlap=c.min_island_overlap)
    with target.lock():
        where = target.publish_files(target.folder, lambda tmp: export.write_comparison(
            tmp, result, timestamp=export.timestamp(cfg.output.timestamp), gpkg_version=cfg.output.gpkg_version))
    click.echo(cmp.render_markdown(result))
    click.echo(f"written to {where}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    main()
