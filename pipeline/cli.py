"""Command line: ``tumen-border run`` (every stage) and ``tumen-border check OUTDIR`` (length checks).

Exit codes: 0 all checks pass; 1 a check failed; 2 bad input (one message naming the file and the problem).
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import click

from .config import Config, load_config, with_overrides
from .errors import InputError

log = logging.getLogger("pipeline")
DEFAULT_CONFIG = Path("inputs") / "tumen.toml"


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr, force=True)
    for noisy in ("pyogrio", "rasterio", "fiona", "matplotlib", "PIL", "pyproj", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _parse_sets(sets: tuple[str, ...]) -> dict:
    import tomllib

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


def _config(path: Path, overrides: dict) -> Config:
    cfg = load_config(path)
    return with_overrides(cfg, {k: v for k, v in overrides.items() if v is not None})


def _fail_input(exc: InputError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tumen-border")
def main() -> None:
    """Compute the Russia–DPRK border on the Tumen River (land and sea) from geodata."""


@main.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG, show_default=True,
              help="TOML configuration (paths, CRS, official figures, tolerances, methods).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: output.dir of the config).")
@click.option("--border-line", type=click.Choice(["middle", "thalweg"]), default=None,
              help="Which line is the land border (treaty: middle of the main channel).")
@click.option("--main-channel", type=click.Choice(["widest", "deepest"]), default=None,
              help="Rule that picks the main channel where islands split the river.")
@click.option("--maritime-method", type=click.Choice(["equidistance", "azimuth", "endpoint"]), default=None)
@click.option("--land-tolerance", type=float, default=None, help="Tolerance (m) of the land-length check.")
@click.option("--sea-tolerance", type=float, default=None, help="Tolerance (m) of the sea-length check.")
@click.option("--no-map", is_flag=True, help="Skip map.png.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override any config value, e.g. --set maritime.coast_densify_m=5 (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and the check lines.")
def run(config_path, out, border_line, main_channel, maritime_method, land_tolerance, sea_tolerance, no_map, sets,
        verbose, quiet):
    """Run every stage; write outputs only if the whole run succeeds."""
    _setup_logging(verbose, quiet)
    try:
        overrides = {"land.border_line": border_line, "land.main_channel": main_channel,
                     "maritime.method": maritime_method, "official.land_tolerance_m": land_tolerance,
                     "official.sea_tolerance_m": sea_tolerance, "output.map": False if no_map else None}
        overrides.update(_parse_sets(sets))
        cfg = _config(config_path, overrides)
        out_dir = out if out is not None else cfg.output.dir
        code = execute(cfg, out_dir)
    except InputError as exc:
        _fail_input(exc)
    sys.exit(code)


def execute(cfg: Config, out_dir: Path) -> int:
    """Load, compute, export into a temporary folder, publish on success. Returns the exit code."""
    from .export import build_layers, publish, software_versions, write_outputs
    from .load import load_inputs
    from .workflow import compute, stage

    timings: dict[str, float] = {}
    with stage("load", timings):
        inputs = load_inputs(cfg)
    for msg in inputs.repairs:
        log.warning("repaired: %s", msg)
    result = compute(inputs, cfg, timings)
    base = cfg.path.resolve().parent if cfg.path else Path.cwd()
    modelled = cfg.inputs.modelled_roles
    result.report["modelled"] = list(modelled)
    result.report["inputs"] = {role: dict(p, path=_rel(Path(p["path"]), base), modelled=role in modelled)
                               for role, p in inputs.provenance.items()}
    result.report["repairs"] = inputs.repairs
    result.report["software"] = software_versions()
    river_source = f"{_rel(cfg.inputs.river, base)}" + (" (MODELLED)" if "river" in modelled else "")
    layers = build_layers(result, cfg, river_source)

    out_dir = Path(os.path.normpath(Path(out_dir).absolute()))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with stage("export", timings):
            write_outputs(layers, result.report, tmp, cfg)
        if result.passed:
            publish(tmp, out_dir)
            where = out_dir
        else:
            failed = out_dir.parent / f"{out_dir.name}.failed"
            shutil.rmtree(failed, ignore_errors=True)
            os.replace(tmp, failed)
            where = failed
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("stage timings: %s", ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    for c in result.checks:
        click.echo(c.line())
    if result.passed:
        click.echo(f"all {len(result.checks)} checks passed; outputs in {where}")
        return 0
    click.echo(f"{sum(not c.passed for c in result.checks)} check(s) FAILED; {out_dir} left untouched; "
               f"this run's outputs are in {where} for inspection")
    return 1


def _rel(p: Path, base: Path) -> str:
    try:
        return os.path.relpath(Path(p).resolve(), base.parent)
    except ValueError:
        return str(p)


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path), default=Path("outputs"))
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG, show_default=True)
@click.option("--land-tolerance", type=float, default=None)
@click.option("--sea-tolerance", type=float, default=None)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE")
def check(out_dir, config_path, land_tolerance, sea_tolerance, sets):
    """Re-measure the border lengths in OUT_DIR/border.gpkg against the official figures; exit 1 on failure."""
    _setup_logging(False, True)
    from .check import verify_outputs

    try:
        overrides = {"official.land_tolerance_m": land_tolerance, "official.sea_tolerance_m": sea_tolerance}
        overrides.update(_parse_sets(sets))
        cfg = _config(config_path, overrides)
        checks = verify_outputs(out_dir, cfg)
    except InputError as exc:
        _fail_input(exc)
    for c in checks:
        click.echo(c.line())
    failed = [c for c in checks if not c.passed]
    click.echo(f"{len(checks) - len(failed)} of {len(checks)} checks hold" + (f"; {len(failed)} FAILED" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
