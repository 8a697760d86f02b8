"""The one module that writes files: the output folder, checked, locked, and published all-or-nothing.

Safety rules (each tested):

* The output folder is checked before anything is computed (:func:`prepare`): it must not be a file, have a
  file as a parent, be unwritable, be, contain or lie inside an input's or the config's folder, or hold a
  file this tool would write but did not write itself (the manifest ``.tumen-border-manifest.json`` lists
  what the last run wrote).
* One run at a time: ``.tumen-border.lock`` (``fcntl.flock``); a second run exits 2 at once.
* Everything is written to a temporary folder inside the output folder (so on its own file system, after
  symlinks are resolved), then moved into place file by file with ``os.replace``; if any move fails, every
  file already moved is put back from a backup folder, so the previous outputs are restored. Signals are
  held off while files move. Temporary and backup folders are removed on every exit path.
* Only files listed in the previous manifest are ever replaced or removed, and only while their bytes are the
  ones it lists (sha256): a file edited since (a ``border.qgs`` saved in QGIS) is the user's and is refused, so
  is a GeoPackage with an SQLite journal beside it (open in another program), and a folder another command
  wrote (the manifest records ``run`` or ``compare``); checked before computing and again just before the swap.
* ``check --junit-xml`` writes only a new file or one it wrote before (root ``generator`` attribute), never a
  file a manifest lists (:func:`refuse_junit_target`).
* Reruns on the same inputs give the same bytes: the GeoPackage's timestamps are fixed
  (``output.timestamp``, or ``SOURCE_DATE_EPOCH``), the map has no date, JSON is written sorted as built.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .config import Config
from .errors import OutputError
from .layers import LAYERS
from .model import Report, Results
from .readers import sha256 as digest

log = logging.getLogger(__name__)

TOOL = "tumen-border"
MANIFEST = ".tumen-border-manifest.json"
LOCK = ".tumen-border.lock"
TMP_PREFIX = ".tumen-border-tmp-"
BACKUP_PREFIX = ".tumen-border-backup-"
FAILED = "failed-run"
GPKG = "border.gpkg"
FIXED_FILES = (GPKG, "border.qgs", "map.html", "map.png", "report.json", "report.md")
COMPARE_FILES = ("compare.gpkg", "compare.json", "compare.md")
COMMANDS = ("run", "compare")                 # the commands that publish into a folder, recorded in its manifest
SQLITE_JOURNALS = ("-wal", "-shm", "-journal")
JUNIT_GENERATOR = "tumen-border check"        # the marker of a JUnit file this tool wrote (root attribute)


def output_names() -> set[str]:
    """Every file name a run may write into the output folder (manifest and lock aside): the fixed files and one
    ``<layer>.geojson`` per catalogue layer (:data:`pipeline.layers.LAYERS`).

    Returns
    -------
    set[str]
    """
    return set(FIXED_FILES) | {f"{name}.geojson" for name in LAYERS}


def software_versions() -> dict[str, str]:
    """Versions of the libraries that computed the run (from package metadata; nothing is imported).

    Returns
    -------
    dict[str, str]
        Distribution name -> version ("not installed" when missing); ``python`` first.
    """
    import platform

    out = {"python": platform.python_version()}
    for dist in ("tumen-border", "shapely", "pyproj", "pyogrio", "geopandas", "rasterio", "numpy", "scipy",
                 "matplotlib", "matplotlib-scalebar"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def timestamp(default: str) -> str:
    """The timestamp stored in outputs: ``SOURCE_DATE_EPOCH`` when set, else ``default`` (a fixed config value).

    Parameters
    ----------
    default : ISO 8601 UTC ("2000-01-01T00:00:00Z"), ``output.timestamp``

    Returns
    -------
    str
        ISO 8601 UTC, seconds.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))
    return default


def read_manifest(folder: Path) -> tuple[str | None, dict[str, str]]:
    """(the command that wrote ``folder``, {file name: sha256}) from its manifest; (None, {}) without one.

    Manifests written before the command was recorded are read too: one that lists only ``compare`` files was
    written by ``compare``, any other by ``run``.

    Parameters
    ----------
    folder : an output folder

    Returns
    -------
    tuple[str | None, dict[str, str]]
        OutputError when the manifest is unreadable or lists a file this tool never writes.
    """
    path = folder / MANIFEST
    if not path.is_file():
        return None, {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        command = data.get("command")
        if data.get("tool") != TOOL or not isinstance(files, dict) or command not in (None, *COMMANDS):
            raise ValueError
        files = {str(k): str(v) for k, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise OutputError(path, "the manifest of an earlier run is unreadable; remove the output folder's files "
                                "by hand or choose another --out") from None
    stray = sorted(n for n in files if n not in output_names() | set(COMPARE_FILES))   # never trust it blindly
    if stray:
        raise OutputError(path, f"the manifest lists {', '.join(stray[:4])}, which this tool never writes, so it is "
                                "not this tool's manifest; remove it by hand or choose another --out")
    if command is None and files:
        command = "compare" if set(files) <= set(COMPARE_FILES) else "run"
    return command, files


def refuse_unsafe(folder: Path, owned: dict[str, str], names: set[str]) -> None:
    """OutputError unless every file a publish into ``folder`` would replace can be replaced without loss.

    * a GeoPackage with an SQLite journal beside it (``-wal``, ``-shm``, ``-journal``) is open in another
      program (QGIS) or was not closed cleanly: replacing it would break that program's view or lose its edits;
    * a file whose bytes differ from the manifest's sha256 was changed after this tool wrote it (a
      ``border.qgs`` saved in QGIS, a report edited by hand): it is the user's now and is never replaced.

    Parameters
    ----------
    folder : the folder published into
    owned : {file name: sha256} of its manifest
    names : the files the publish writes
    """
    for name in sorted(n for n in set(owned) | names if n.endswith(".gpkg")):
        for suffix in SQLITE_JOURNALS:
            if (folder / f"{name}{suffix}").exists():
                raise OutputError(folder / f"{name}{suffix}", f"an SQLite journal beside {name}: the GeoPackage is "
                                  "open in another program (QGIS?) or was not closed cleanly; close it, then run "
                                  "again (nothing was touched)")
    for name, sha in sorted(owned.items()):
        path = folder / name
        if path.is_file() and digest(path) != sha:
            raise OutputError(path, "was changed after tumen-border wrote it (its sha256 differs from the manifest's), "
                                    "so it is yours now and is not replaced: move or rename it (save an edited "
                                    "border.qgs under another name), or choose another --out")


def _inside(a: Path, b: Path) -> bool:
    """Whether ``a`` is ``b`` or lies inside it (both resolved)."""
    return a == b or b in a.parents


def input_folders(cfg: Config) -> set[Path]:
    """The folders of every input file and of the config (resolved): never an output folder.

    Parameters
    ----------
    cfg : the run's config

    Returns
    -------
    set[pathlib.Path]
    """
    protected = {Path(p).resolve().parent for p in cfg.inputs.files().values()}
    if cfg.path is not None:
        protected.add(cfg.path.resolve().parent)
    return protected


def check_folder(out_dir: Path, *, protected: set[Path], names: set[str], command: str = "run") -> Path:
    """The resolved output folder, after every check that can be made before computing (OutputError if one fails).

    Parameters
    ----------
    out_dir : the folder as named on the command line
    protected : folders the output folder must not be, contain or lie inside
    names : the files a run may write there, none of which may exist unless a manifest of this tool lists it
    command : the command that will write (a folder another command wrote is refused, see also
        :func:`refuse_unsafe`)

    Returns
    -------
    pathlib.Path
        The folder, resolved (it may not exist yet).
    """
    if str(out_dir).strip() == "":
        raise OutputError(None, "the output folder is empty ('--out \"\"'); give a folder")
    out = Path(os.path.abspath(out_dir))
    real = out.resolve()
    if real.exists() and not real.is_dir():
        raise OutputError(out, "is a file, not a folder")
    ancestor = real
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(ancestor, f"is a file, so the output folder {out} cannot be made inside it")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(ancestor, "is not writable (permission denied)")
    for folder in sorted(protected):
        if _inside(real, folder) or _inside(folder, real):
            what = "is" if real == folder else "lies inside" if _inside(real, folder) else "contains"
            raise OutputError(out, f"the output folder {what} the input folder {folder}; choose another --out")
    if real.is_dir():
        owner, files = read_manifest(real)
        if owner is not None and owner != command:
            raise OutputError(out, f"holds the outputs of `tumen-border {owner}` (its manifest says so), which "
                                   f"`tumen-border {command}` never replaces; choose another --out")
        owned = set(files)
        foreign = sorted(n for n in names if (real / n).exists() and n not in owned)
        if (real / FAILED).exists() and not (real / FAILED / MANIFEST).is_file():
            foreign.append(FAILED)
        if foreign:
            raise OutputError(out, f"holds {', '.join(foreign[:4])}{' ...' if len(foreign) > 4 else ''}, which this "
                                   "tool did not write (no manifest lists it); move it away or choose another --out")
        refuse_unsafe(real, files, names)
        need = sum((real / n).stat().st_size for n in owned if (real / n).is_file())   # a rerun writes as much
        free = shutil.disk_usage(real).free
        if free < need:
            raise OutputError(out, f"has {free / 1e6:.1f} MB free on its device, but a run writes about as much as "
                                   f"the previous outputs there, {need / 1e6:.1f} MB (disk full?)")
    return real


@dataclass(frozen=True)
class Target:
    """A checked output folder (resolved) and how it was named on the command line."""

    folder: Path
    named: Path
    command: str = "run"

    @contextmanager
    def lock(self):
        """Hold ``.tumen-border.lock`` in the folder (made if missing) while the block runs.

        Yields
        ------
        None
            The lock is held until the block ends (released on any exit).

        Raises
        ------
        OutputError
            When the folder cannot be made or opened, or another run holds the lock.
        """
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(self.named, f"cannot be used ({exc.strerror})") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OutputError(self.named, "another tumen-border run is writing to this folder (it holds "
                                              f"{LOCK}); wait for it to finish") from None
            _clean_stale(self.folder)
            yield self
        finally:
            os.close(fd)

    def publish(self, *, results: Results, report: Report, layers: dict, cfg: Config) -> Path:
        """Write every output and publish it: into the folder when every check passed, else into ``failed-run``.

        Parameters
        ----------
        results : the typed results of the run
        report : the run's report (``passed`` chooses the destination)
        layers : the output layers by name (EPSG:4326 GeoDataFrames, :func:`pipeline.layers.build_layers`)
        cfg : the run's config

        Returns
        -------
        pathlib.Path
            The folder the outputs were published into.
        """
        dest = self.folder if report.passed else self.folder / FAILED
        if not report.passed and dest.exists():
            check_folder(dest, protected=input_folders(cfg), names=output_names(), command=self.command)
        return self.publish_files(dest, lambda tmp: write_all(tmp, results=results, report=report, layers=layers,
                                                              cfg=cfg))

    def publish_files(self, dest: Path, write) -> Path:
        """``write(tmp)`` fills a temporary folder in this folder; its files are then swapped into ``dest``.

        Parameters
        ----------
        dest : the folder to publish into (this folder or its ``failed-run``)
        write : a function of the temporary folder that writes every file into it

        Returns
        -------
        pathlib.Path
            ``dest``. OutputError when writing or publishing fails (nothing is published then).
        """
        from pyogrio.errors import DataLayerError, DataSourceError

        tmp = self.folder / f"{TMP_PREFIX}{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            tmp.mkdir()
            write(tmp)
            dest.mkdir(exist_ok=True)
            swap(tmp, dest, command=self.command)
        except OSError as exc:        # named by the output folder: exc.filename is often in the temporary one
            raise OutputError(self.named, _os_problem(exc)) from None
        except (DataSourceError, DataLayerError) as exc:    # GDAL failed to write (e.g. the disk is full)
            raise OutputError(self.named, _gdal_problem(exc, self.folder)) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return dest


def prepare(out_dir: Path, cfg: Config) -> Target:
    """Check the output folder before computing (see :func:`check_folder`).

    Parameters
    ----------
    out_dir : the output folder as named on the command line
    cfg : the run's config (its input folders are protected)

    Returns
    -------
    Target
    """
    return Target(check_folder(out_dir, protected=input_folders(cfg), names=output_names()), Path(out_dir))



def prepare_compare(out_dir: Path, runs: list[Path]) -> Target:
    """Check the output folder of ``tumen-border compare``: not one of the run folders, nor inside one.

    Parameters
    ----------
    out_dir : the output folder as named on the command line
    runs : the two run folders compared

    Returns
    -------
    Target
    """
    return Target(check_folder(out_dir, protected={Path(r).resolve() for r in runs}, names=set(COMPARE_FILES),
                               command="compare"), Path(out_dir), "compare")


def write_comparison(folder: Path, comparison, *, timestamp: str, gpkg_version: str) -> None:
    """The files of ``tumen-border compare``: compare.gpkg (layer ``changed_areas``, EPSG:4326), compare.json,
    compare.md.

    Parameters
    ----------
    folder : a fresh temporary folder
    comparison : the comparison (:mod:`pipeline.compare`)
    timestamp : the GeoPackage's timestamps, ISO 8601 UTC
    gpkg_version : the GeoPackage version written ("1.2")
    """
    import geopandas as gpd
    import pyogrio

    from . import compare
    from .geodesy import WGS84
    from .model import to_jsonable

    rows = [{"name": f"{a.side_a} -> {a.side_b}", "kind": "area that changes side", "side_a": a.side_a,
             "side_b": a.side_b, "area_km2": a.area_km2} for a in comparison.areas]
    gdf = gpd.GeoDataFrame(rows, geometry=[a.polygon for a in comparison.areas], crs=WGS84) if rows else \
        gpd.GeoDataFrame({"name": [], "kind": [], "side_a": [], "side_b": [], "area_km2": []}, geometry=[], crs=WGS84)
    with gdal_options(timestamp):
        pyogrio.write_dataframe(gdf, folder / "compare.gpkg", layer="changed_areas", driver="GPKG",
                                geometry_type="Polygon", dataset_options={"VERSION": gpkg_version})
    data = to_jsonable(comparison)
    data.pop("areas")
    (folder / "compare.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "compare.md").write_text(compare.render_markdown(comparison), encoding="utf-8")


def _os_problem(exc: OSError) -> str:
    where = f" at {Path(exc.filename).name}" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device while writing the outputs{where}; nothing was published"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot be written ({exc.strerror}{where}); nothing was published"
    return f"writing the outputs failed ({exc.strerror}{where}); nothing was published"


def _gdal_problem(exc: Exception, folder: Path) -> str:
    """GDAL's reason, and the free space (GDAL often reports a full disk only as a failed SQLite commit)."""
    from .readers import gdal_detail

    detail = gdal_detail(exc)
    if any(k in detail.lower() for k in ("disk is full", "no space left")):
        return "no space left on the device while writing the outputs; nothing was published"
    free = shutil.disk_usage(folder).free
    return (f"writing the outputs failed (GDAL: {detail}) with {free / 1e6:.1f} MB free on the device; nothing was "
            "published")


def _clean_stale(folder: Path) -> None:
    """Remove temporary folders of runs that were killed; put back files a killed publish had moved away."""
    for p in folder.glob(f"{TMP_PREFIX}*"):
        shutil.rmtree(p, ignore_errors=True)
    for backup in folder.glob(f"{BACKUP_PREFIX}*"):
        for f in backup.iterdir():
            if not (folder / f.name).exists():
                os.replace(f, folder / f.name)
                log.warning("restored %s from an interrupted run's backup", folder / f.name)
        shutil.rmtree(backup, ignore_errors=True)


@contextmanager
def _signals_held():
    """Hold SIGINT and SIGTERM while files move; one that arrives is delivered when the block ends.

    Python runs signal handlers in the main thread whichever thread the OS delivers a signal to, so blocking
    the signals in this thread (``pthread_sigmask``) does not hold them once GDAL or BLAS have started
    threads: the handlers are swapped for a recorder instead, and a recorded signal is raised again, to the
    handler in place before, after the block.
    """
    arrived: list[int] = []
    try:
        previous = {s: signal.signal(s, lambda signum, _frame: arrived.append(signum))
                    for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:            # not the main thread, where no Python signal handler runs anyway
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if arrived:
            signal.raise_signal(arrived[0])


def swap(tmp: Path, dest: Path, *, command: str = "run") -> None:
    """Move every file of ``tmp`` into ``dest``, replacing only files the previous manifest lists, each with the
    bytes it lists, and only when ``command`` wrote them; all or nothing. The checks of :func:`check_folder` are
    made again here: the folder may have changed while the run computed.

    Parameters
    ----------
    tmp : the temporary folder holding the new files
    dest : the folder published into
    command : the command publishing (``run`` or ``compare``), recorded in the new manifest
    """
    owner, old = read_manifest(dest)
    new = {p.name: _sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()}
    if owner is not None and owner != command:
        raise OutputError(dest, f"holds the outputs of `tumen-border {owner}`; nothing was published")
    foreign = sorted(n for n in new if (dest / n).exists() and n not in old)
    if foreign:
        raise OutputError(dest, f"holds {', '.join(foreign)}, which this tool did not write; nothing was published")
    refuse_unsafe(dest, old, set(new))
    backup = dest / f"{BACKUP_PREFIX}{os.getpid()}"
    shutil.rmtree(backup, ignore_errors=True)
    backup.mkdir()
    moved: list[str] = []       # files moved from dest into backup
    placed: list[str] = []      # files moved from tmp into dest
    manifest = tmp / MANIFEST
    manifest.write_text(json.dumps({"tool": TOOL, "command": command, "files": new}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    with _signals_held():
        try:
            for name in sorted(set(old) | {MANIFEST}):       # the previous run's files go to the backup
                if (dest / name).exists():
                    os.replace(dest / name, backup / name)
                    moved.append(name)
            for name in [*new, MANIFEST]:
                os.replace(tmp / name, dest / name)
                placed.append(name)
        except BaseException:
            for name in placed:
                (dest / name).unlink(missing_ok=True)
            for name in moved:
                os.replace(backup / name, dest / name)
            raise
        finally:
            if not any(backup.iterdir()) or placed == [*new, MANIFEST]:
                shutil.rmtree(backup, ignore_errors=True)


def _sha256(path: Path) -> str:
    """The file's SHA-256, after it is synced to disk (it is about to be published)."""
    with open(path, "rb") as f:
        data = f.read()
        os.fsync(f.fileno())
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------- writing
@contextmanager
def gdal_options(stamp: str):
    """GDAL settings while the outputs are written, restored afterwards: the GeoPackage timestamps fixed to
    ``stamp`` (``OGR_CURRENT_DATE``, so reruns are byte-identical), and no fsync after every SQLite commit
    (``OGR_SQLITE_SYNCHRONOUS=OFF``: the files are in a temporary folder; :func:`swap` syncs each file once
    before it is published).

    Parameters
    ----------
    stamp : ISO 8601 UTC timestamp
    """
    import pyogrio

    wanted = {"OGR_CURRENT_DATE": stamp, "OGR_SQLITE_SYNCHRONOUS": "OFF"}
    previous = {k: pyogrio.get_gdal_config_option(k) for k in wanted}
    pyogrio.set_gdal_config_options(wanted)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def write_all(folder: Path, *, results: Results, report: Report, layers: dict, cfg: Config) -> None:
    """Write every output file into ``folder`` (a fresh temporary folder).

    The layers go to border.gpkg and ``<layer>.geojson`` in the order given (the catalogue's), each with its
    catalogue geometry type (:data:`pipeline.layers.LAYERS`), then the ``layer_styles`` table, border.qgs, the
    reports and the maps.

    Parameters
    ----------
    folder : the folder to write into
    results : the typed results of the run
    report : the run's report
    layers : the output layers by name (EPSG:4326 GeoDataFrames, :func:`pipeline.layers.build_layers`)
    cfg : the run's config (``[output]``)
    """
    import pyogrio

    from . import report as report_module
    from . import styles

    table = styles.style_table(cfg)
    gpkg = folder / GPKG
    stamp = timestamp(cfg.output.timestamp)
    with gdal_options(stamp):
        for i, (name, gdf) in enumerate(layers.items()):
            pyogrio.write_dataframe(gdf, gpkg, layer=name, driver="GPKG", append=i > 0,
                                    geometry_type=LAYERS[name],
                                    dataset_options={"VERSION": cfg.output.gpkg_version} if i == 0 else None,
                                    layer_options={"SPATIAL_INDEX": "YES"})
            pyogrio.write_dataframe(gdf, folder / f"{name}.geojson", driver="GeoJSON", geometry_type=LAYERS[name],
                                    layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "8",
                                                   "WRITE_NAME": "NO"})
        pyogrio.write_dataframe(styles.layer_styles_frame(layers, table, timestamp=stamp), gpkg,
                                layer=styles.STYLE_TABLE, driver="GPKG", append=True, layer_options={"FID": "id"})
    (folder / "border.qgs").write_text(styles.qgis_project(layers, table, gpkg_name=GPKG, title=cfg.case.name),
                                       encoding="utf-8")
    (folder / "report.json").write_text(report_module.to_json(report), encoding="utf-8")
    (folder / "report.md").write_text(report_module.render_markdown(report), encoding="utf-8")
    if cfg.output.map:
        from . import mapping

        (folder / "map.png").write_bytes(mapping.render_map(layers, table=table, cfg=cfg, report=report))
    if cfg.output.webmap:
        from . import webmap

        (folder / "map.html").write_text(webmap.render_webmap(layers, table=table, cfg=cfg, report=report),
                                         encoding="utf-8")


def write_junit(path: Path, found: list, *, suite: str) -> None:
    """The checks as JUnit XML, one test case per check (a failure element for each failed check).

    Written atomically (a temporary file renamed into place); an OSError becomes an OutputError naming ``path``.
    Never over a file of a run (see :func:`refuse_junit_target`).

    Parameters
    ----------
    path : the XML file to write
    found : the checks (:class:`pipeline.model.Check`)
    suite : the test suite's name
    """
    import xml.etree.ElementTree as ET

    refuse_junit_target(Path(path))
    failures = sum(not c.passed for c in found)
    root = ET.Element("testsuites", {"tests": str(len(found)), "failures": str(failures),
                                     "generator": JUNIT_GENERATOR})
    ts = ET.SubElement(root, "testsuite", {"name": suite, "tests": str(len(found)), "failures": str(failures),
                                           "errors": "0", "skipped": "0"})
    for c in found:
        case = ET.SubElement(ts, "testcase", {"classname": TOOL, "name": c.name})
        if not c.passed:
            ET.SubElement(case, "failure", {"message": c.line(), "type": "CheckFailed"}).text = c.catches
        ET.SubElement(case, "system-out").text = c.line()
    ET.indent(root)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(path, f"cannot be written ({exc.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)     # on every exit path, a signal included (gone after the rename)


def _is_own_junit(path: Path) -> bool:
    """Whether ``path`` is a JUnit file this tool wrote: root ``testsuites`` with ``generator`` = ours."""
    import xml.etree.ElementTree as ET

    try:
        if path.stat().st_size > 50_000_000:
            return False
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return False
    return root.tag == "testsuites" and root.get("generator") == JUNIT_GENERATOR


def refuse_junit_target(path: Path) -> None:
    """OutputError unless ``check --junit-xml`` may write ``path``: not a folder, not the manifest or the lock,
    not a file a manifest beside it lists (a file of a run or a comparison, even one that is missing), and,
    when it exists, a JUnit file this tool wrote before (recognised by its root element and marker).

    Parameters
    ----------
    path : the file ``--junit-xml`` names
    """
    if path.is_dir():
        raise OutputError(path, "is a folder; give a file name for the JUnit XML")
    if path.name in (MANIFEST, LOCK):
        raise OutputError(path, "is tumen-border's own bookkeeping file; write the JUnit XML elsewhere")
    try:
        owner, files = read_manifest(path.parent)
    except OutputError:
        owner, files = "unknown", {}
    if path.name in files or (owner is not None and path.name in output_names() | set(COMPARE_FILES)):
        raise OutputError(path, f"is a file of the tumen-border outputs in {path.parent} (written by: {owner}); write the JUnit "
                                "XML elsewhere (nothing was touched)")
    if path.exists() and not _is_own_junit(path):
        raise OutputError(path, "exists and is not a JUnit file that `tumen-border check` wrote; it is not replaced "
                                "(choose a new file name)")
