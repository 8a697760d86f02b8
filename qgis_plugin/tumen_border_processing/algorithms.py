"""The Processing algorithms: "Compute border", "Check a run", "Compare two runs".

Each runs the ``tumen-border`` command (``runner.py``) and maps its exit code the way QGIS's own algorithms
report: 0 fine; 2 (bad input, unusable output folder) a QgsProcessingException carrying the tool's
``error: ...`` line; 1 (a check failed) an error in the log, the algorithm still finishing with the failed run's
files and ``ALL_HOLD`` false — or an exception with the advanced parameter "Fail when a check fails". A cancel
stops the tool (SIGTERM; it leaves its output folder as it was) and raises.
"""
from __future__ import annotations

import json
import shlex
import sqlite3
import xml.etree.ElementTree as ET
from collections import deque
from contextlib import closing
from pathlib import Path

from qgis.core import (QgsLayerTreeLayer, QgsProcessing, QgsProcessingAlgorithm, QgsProcessingContext,
                       QgsProcessingException, QgsProcessingLayerPostProcessorInterface, QgsProcessingOutputBoolean,
                       QgsProcessingOutputFile, QgsProcessingOutputFolder, QgsProcessingOutputNumber,
                       QgsProcessingOutputString, QgsProcessingOutputVectorLayer, QgsProcessingParameterBoolean,
                       QgsProcessingParameterDefinition, QgsProcessingParameterEnum, QgsProcessingParameterFile,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterString, QgsProject, QgsVectorLayer)
from qgis.PyQt.QtCore import QCoreApplication

from . import runner

GROUP, GROUP_ID = "River-and-sea boundary", "riverseaboundary"
FAILED_RUN = "failed-run"       # where `tumen-border run` puts the files of a run whose checks failed
STYLE_TABLE = "layer_styles"
# input override parameter -> (config key of the file, config key of its layer or None)
INPUT_OVERRIDES = {
    "RIVER": ("inputs.river", "inputs.river_layer"),
    "DEPTH": ("inputs.depth", "inputs.depth_layer"),
    "COAST": ("inputs.coast", "inputs.coast_layer"),
    "POINTS": ("inputs.points", None),
}
CHOICES = {   # enum parameter -> (CLI option, values after "from the configuration")
    "BORDER_LINE": ("--border-line", ["auto", "thalweg", "middle"]),
    "MAIN_CHANNEL": ("--main-channel", ["widest", "deepest"]),
    "MARITIME_METHOD": ("--maritime-method", ["treaty", "equidistance"]),
}
_POST_PROCESSORS: deque = deque(maxlen=500)     # QGIS does not keep Python post-processors alive: we do


def tr(text: str) -> str:
    return QCoreApplication.translate("TumenBorder", text)


class _IntoGroup(QgsProcessingLayerPostProcessorInterface):
    """Moves a loaded layer into the run's group of the layer tree, at its place in the draw order."""

    def __init__(self, state: dict, layer_id: str):
        super().__init__()
        self.state, self.layer_id = state, layer_id

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS's name)
        project = context.project() or QgsProject.instance()
        root = project.layerTreeRoot()
        node = root.findLayer(layer.id())
        if node is None:
            return
        group = self.state.get("group")
        if group is None:
            group = self.state["group"] = root.insertGroup(0, self.state["name"])
        ranks = self.state["ranks"]
        mine = ranks.get(layer.id(), len(ranks))
        at = sum(1 for c in group.children()
                 if isinstance(c, QgsLayerTreeLayer) and ranks.get(c.layerId(), len(ranks)) < mine)
        group.insertLayer(at, layer)             # the new node first, then the old one goes (as a drag and drop)
        node.parent().removeChildNode(node)


def gpkg_layers(gpkg: Path) -> list[str]:
    """The feature tables of a GeoPackage, in its own order (sqlite3: no GDAL needed for a list)."""
    with closing(sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)) as con:
        rows = con.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features' "
                           "ORDER BY rowid").fetchall()
    return [r[0] for r in rows if r[0] != STYLE_TABLE]


def draw_order(folder: Path, gpkg: Path) -> list[str]:
    """The layers of ``gpkg``, top first: the layer tree of ``border.qgs`` beside it, else the GeoPackage's order."""
    names = gpkg_layers(gpkg)
    qgs = folder / "border.qgs"
    if qgs.is_file():
        try:
            tree = [n.get("name") for n in ET.parse(qgs).getroot().iter("layer-tree-layer")]
        except ET.ParseError:
            tree = []
        return [n for n in tree if n in names] + [n for n in names if n not in tree]
    return names


class TumenBorderAlgorithm(QgsProcessingAlgorithm):
    """What the three algorithms share: the command, its config, extra settings, running and loading."""

    SUBCOMMAND = ""     # of tumen-border
    ID = ""             # the algorithm's name (its id is tumenborder:ID)
    DISPLAY = ""        # its name in the toolbox
    HELP = ""           # the help shown beside the dialog

    def createInstance(self):  # noqa: N802
        return type(self)()

    def name(self):
        return self.ID

    def displayName(self):  # noqa: N802
        return self.tr(self.DISPLAY)

    def shortHelpString(self):  # noqa: N802
        return self.tr(self.HELP)

    def group(self):
        return tr(GROUP)

    def groupId(self):  # noqa: N802
        return GROUP_ID

    def tr(self, text):
        return tr(text)

    # -------------------------------------------------------------------------------- shared parameters
    def _add_config(self, description: str):
        self.addParameter(QgsProcessingParameterFile(
            "CONFIG", self.tr(description), behavior=QgsProcessingParameterFile.File,
            fileFilter="TOML configuration (*.toml);;All files (*.*)",
            defaultValue=runner.find_default_config() or None))

    def _add_extra_sets(self):
        self.addParameter(QgsProcessingParameterString(
            "EXTRA_SETS", self.tr("Extra settings (--set KEY=VALUE, separated by spaces or new lines)"),
            multiLine=True, optional=True))

    def _add_advanced(self, *, load: bool, fail_switch: bool):
        params = []
        if load:
            params.append(QgsProcessingParameterBoolean(
                "LOAD_LAYERS", self.tr("Load the layers into the project (styled, in draw order)"), defaultValue=True))
        if fail_switch:
            params.append(QgsProcessingParameterBoolean(
                "FAIL_ON_CHECK", self.tr("Fail when a check fails (default: report it and return the run)"),
                defaultValue=False))
        params.append(QgsProcessingParameterString(
            "COMMAND", self.tr(f"tumen-border command (default: ${runner.ENV_COMMAND}, else tumen-border on PATH)"),
            optional=True))
        for p in params:
            p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(p)

    # ------------------------------------------------------------------------------------------ running
    def _config_args(self, parameters, context) -> list[str]:
        config = self.parameterAsFile(parameters, "CONFIG", context)
        if not config:
            raise QgsProcessingException(self.tr("No configuration file given"))
        return ["--config", config]

    def _set_args(self, parameters, context) -> list[str]:
        try:
            items = runner.extra_sets(self.parameterAsString(parameters, "EXTRA_SETS", context))
        except ValueError as exc:
            raise QgsProcessingException(str(exc)) from exc
        return [a for item in items for a in ("--set", item)]

    def _run_tool(self, args: list[str], parameters, context, feedback, *, progress: bool = False):
        try:
            cmd = runner.resolve_command(self.parameterAsString(parameters, "COMMAND", context))
        except runner.CommandNotFound as exc:
            raise QgsProcessingException(str(exc)) from exc
        full = [*cmd, self.SUBCOMMAND, *args]
        feedback.pushCommandInfo(" ".join(shlex.quote(a) for a in full))

        def on_stdout(line):
            (feedback.pushWarning if line.startswith("FAIL") else feedback.pushInfo)(line)

        def on_stderr(line):
            if line.startswith("error:"):
                feedback.reportError(line, False)
            elif " WARNING " in line or " ERROR " in line:
                feedback.pushWarning(line)
            else:
                feedback.pushConsoleInfo(line)
            done = runner.stage_progress(line) if progress else None
            if done is not None:
                feedback.setProgress(done)

        try:
            outcome = runner.run(full, on_stdout=on_stdout, on_stderr=on_stderr, is_canceled=feedback.isCanceled)
        except OSError as exc:
            raise QgsProcessingException(self.tr(f"cannot start {cmd[0]}: {exc}")) from exc
        return outcome

    def _judge(self, outcome, parameters, context, feedback) -> bool:
        """True when every check holds; False when one failed (reported); raise for everything else."""
        name = f"tumen-border {self.SUBCOMMAND}"
        if outcome.canceled:
            raise QgsProcessingException(self.tr(
                f"Canceled: {name} was stopped (exit {outcome.code}); it leaves its output folder as it was"))
        if outcome.code == 0:
            return True
        if outcome.code == 1 and outcome.failed:
            names = [runner.CHECK_LINE.match(line).group(2) for line in outcome.failed]
            msg = self.tr(f"{len(names)} check(s) FAILED: {', '.join(names)}")
            if self.parameterAsBool(parameters, "FAIL_ON_CHECK", context):
                raise QgsProcessingException(msg)
            feedback.reportError(msg, False)
            return False
        if outcome.code == 2 and outcome.error_line:
            raise QgsProcessingException(f"{name}: {outcome.error_line}")
        tail = " | ".join(outcome.stderr[-5:]) or "no message"
        raise QgsProcessingException(self.tr(f"{name} stopped with exit code {outcome.code}: {tail}"))

    @staticmethod
    def _counts(outcome) -> dict:
        return {"CHECKS_TOTAL": len(outcome.checks), "CHECKS_FAILED": len(outcome.failed),
                "CHECKS_PASSED": len(outcome.checks) - len(outcome.failed), "CHECKS": "\n".join(outcome.checks)}

    def _add_check_outputs(self):
        self.addOutput(QgsProcessingOutputBoolean("ALL_HOLD", self.tr("Every check holds")))
        for key, text in (("CHECKS_TOTAL", "Checks"), ("CHECKS_PASSED", "Checks that hold"),
                          ("CHECKS_FAILED", "Checks that failed")):
            self.addOutput(QgsProcessingOutputNumber(key, self.tr(text)))
        self.addOutput(QgsProcessingOutputString("CHECKS", self.tr("Check lines")))

    def _load(self, gpkg: Path, names: list[str], group_name: str, context, feedback) -> list[str]:
        """Queue the layers of ``gpkg`` (top first) to be loaded when the algorithm completes, each with the
        default style stored in the GeoPackage, into a group of the layer tree named ``group_name``."""
        project = context.project() or QgsProject.instance()
        state = {"name": group_name, "ranks": {}, "group": None}
        loaded = []
        for name in names:
            layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")  # loads the stored default style
            if not layer.isValid():
                feedback.pushWarning(self.tr(f"{gpkg.name}: layer {name} could not be opened"))
                continue
            state["ranks"][layer.id()] = len(state["ranks"])
            context.temporaryLayerStore().addMapLayer(layer)
            details = QgsProcessingContext.LayerDetails(name, project, name)
            details.forceName = True
            post = _IntoGroup(state, layer.id())
            _POST_PROCESSORS.append(post)
            details.setPostProcessor(post)
            context.addLayerToLoadOnCompletion(layer.id(), details)
            loaded.append(name)
        return loaded


class ComputeBorder(TumenBorderAlgorithm):
    SUBCOMMAND = "run"
    ID = "computeborder"
    DISPLAY = "Compute border"
    HELP = (
        "Runs <b>tumen-border run</b>: computes the river-and-sea boundary of the configuration and writes "
        "border.gpkg (every layer styled), GeoJSON, border.qgs, map.png and report.md/json into the output "
        "folder, then loads the layers into the project in the draw order of border.qgs.<br><br>"
        "Input files replace the configuration's (<i>--set inputs.river=...</i>); the configuration's layer "
        "name of a replaced file is cleared: pick a single-layer file, write <i>file.gpkg|layername=NAME</i>, "
        "or give the layer in the extra settings. Extra settings are any <i>KEY=VALUE</i> of the "
        "configuration (README, \"Configuration\").<br><br>"
        "When a check fails, the run's files go to <i>OUTPUT/failed-run</i> (the previous outputs stay "
        "untouched): the algorithm reports the failed checks as an error, loads the failed run's layers "
        "and returns ALL_HOLD = false, unless \"Fail when a check fails\" is set. Bad input is an error "
        "carrying the tool's one-line message.<br><br>"
        f"Runs the tumen-border command of the project: the advanced parameter, else ${runner.ENV_COMMAND}, "
        "else tumen-border on PATH.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self._add_config("Configuration (TOML)")
        for key, text, filt in (("RIVER", "River water area (replaces inputs.river)", "All files (*.*)"),
                                ("DEPTH", "Depth: GeoTIFF or soundings (replaces inputs.depth)", "All files (*.*)"),
                                ("COAST", "Coast: land polygons per state (replaces inputs.coast)", "All files (*.*)"),
                                ("POINTS", "Treaty points CSV (replaces inputs.points)",
                                 "CSV (*.csv);;All files (*.*)")):
            self.addParameter(QgsProcessingParameterFile(key, self.tr(text), fileFilter=filt, optional=True))
        for key, text in (("BORDER_LINE", "Line the land boundary follows"),
                          ("MAIN_CHANNEL", "Main channel at islands"),
                          ("MARITIME_METHOD", "Maritime boundary")):
            self.addParameter(QgsProcessingParameterEnum(
                key, self.tr(text), options=[self.tr("as in the configuration"), *CHOICES[key][1]], defaultValue=0))
        self.addParameter(QgsProcessingParameterBoolean("NO_MAP", self.tr("Skip map.png (faster)"),
                                                        defaultValue=False))
        self._add_extra_sets()
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT", self.tr("Output folder")))
        self._add_advanced(load=True, fail_switch=True)
        self.addOutput(QgsProcessingOutputFolder("RUN_FOLDER", self.tr(
            "Folder holding this run's files (the output folder, or its failed-run folder)")))
        for key, text in (("GPKG", "GeoPackage"), ("PROJECT", "QGIS project"), ("MAP", "Map"),
                          ("REPORT_MD", "Report (Markdown)"), ("REPORT_JSON", "Report (JSON)")):
            self.addOutput(QgsProcessingOutputFile(key, self.tr(text)))
        for key, text in (("LAND_BOUNDARY", "Land boundary"), ("MARITIME_BOUNDARY", "Maritime boundary")):
            self.addOutput(QgsProcessingOutputVectorLayer(key, self.tr(text), QgsProcessing.TypeVectorLine))
        self._add_check_outputs()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        out = Path(self.parameterAsString(parameters, "OUTPUT", context))
        args = [*self._config_args(parameters, context), "--out", str(out)]
        for key, (option, values) in CHOICES.items():
            i = self.parameterAsEnum(parameters, key, context)
            if i > 0:
                args += [option, values[i - 1]]
        if self.parameterAsBool(parameters, "NO_MAP", context):
            args.append("--no-map")
        for key, (file_key, layer_key) in INPUT_OVERRIDES.items():
            value = self.parameterAsString(parameters, key, context)
            if not value:
                continue
            path, layer = runner.split_file_layer(value)
            args += ["--set", f"{file_key}={runner.toml_string(path)}"]
            if layer_key:
                args += ["--set", f"{layer_key}={runner.toml_string(layer or '')}"]
        args += self._set_args(parameters, context)

        outcome = self._run_tool(args, parameters, context, feedback, progress=True)
        holds = self._judge(outcome, parameters, context, feedback)
        folder = out if holds else out / FAILED_RUN
        gpkg = folder / "border.gpkg"
        results = {"OUTPUT": str(out), "RUN_FOLDER": str(folder), "ALL_HOLD": holds, **self._counts(outcome)}
        for key, name in (("GPKG", "border.gpkg"), ("PROJECT", "border.qgs"), ("MAP", "map.png"),
                          ("REPORT_MD", "report.md"), ("REPORT_JSON", "report.json")):
            results[key] = str(folder / name) if (folder / name).is_file() else None
        for key, name in (("LAND_BOUNDARY", "land_boundary"), ("MARITIME_BOUNDARY", "maritime_boundary")):
            results[key] = f"{gpkg}|layername={name}" if gpkg.is_file() else None
        if gpkg.is_file() and self.parameterAsBool(parameters, "LOAD_LAYERS", context):
            label = f"{out.name}" + ("" if holds else " (checks FAILED)")
            self._load(gpkg, draw_order(folder, gpkg), f"tumen-border: {label}", context, feedback)
        feedback.setProgress(100)
        return results


class CheckRun(TumenBorderAlgorithm):
    SUBCOMMAND = "check"
    ID = "checkrun"
    DISPLAY = "Check a run"
    HELP = (
        "Runs <b>tumen-border check</b>: re-measures a finished run from its files and judges every check "
        "again against the configuration's official figures and tolerances. Returns the number of checks "
        "that hold and fail and the check lines; optionally writes them as JUnit XML. A failed check is "
        "reported as an error and ALL_HOLD = false (or an exception with \"Fail when a check fails\").")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            "RUN", self.tr("Run folder (output of Compute border)"), behavior=QgsProcessingParameterFile.Folder))
        self._add_config("Configuration (TOML) with the official figures")
        self._add_extra_sets()
        self.addParameter(QgsProcessingParameterFileDestination(
            "JUNIT", self.tr("JUnit XML of the checks"), fileFilter="JUnit XML (*.xml)", optional=True,
            createByDefault=False))
        self._add_advanced(load=False, fail_switch=True)
        self._add_check_outputs()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        run = self.parameterAsFile(parameters, "RUN", context)
        if not run:
            raise QgsProcessingException(self.tr("No run folder given"))
        junit = self.parameterAsFileOutput(parameters, "JUNIT", context)
        args = [run, *self._config_args(parameters, context), *self._set_args(parameters, context)]
        if junit:
            args += ["--junit-xml", junit]
        outcome = self._run_tool(args, parameters, context, feedback)
        holds = self._judge(outcome, parameters, context, feedback)
        return {"ALL_HOLD": holds, "JUNIT": junit or None, **self._counts(outcome)}


class CompareRuns(TumenBorderAlgorithm):
    SUBCOMMAND = "compare"
    ID = "compareruns"
    DISPLAY = "Compare two runs"
    HELP = (
        "Runs <b>tumen-border compare</b>: how the border moved from run A to run B (two output folders of "
        "Compute border, e.g. one per epoch of the river): the land boundary's shift, the area that changes "
        "side per state, the islands that change side, whether the tripoint and the mouth point hold. "
        "Writes compare.gpkg (layer changed_areas), compare.json and compare.md, and loads compare.gpkg's "
        "layers.")
    FIGURES = {"HAUSDORFF_M": ("hausdorff_m", "Land boundary shift, Hausdorff (m)"),
               "MEAN_SHIFT_M": ("mean_shift_m", "Land boundary shift, mean (m)"),
               "AREA_CHANGED_KM2": ("area_changed_km2", "Area that changes side (km²)"),
               "ISLANDS_CHANGED": ("islands_changed", "Islands that change side"),
               "TRIPOINT_SHIFT_M": ("tripoint_shift_m", "Tripoint A moved (m)"),
               "MOUTH_POINT_SHIFT_M": ("mouth_point_shift_m", "Mouth point moved (m)")}

    def initAlgorithm(self, config=None):  # noqa: N802
        for key, text in (("RUN_A", "Run A (folder)"), ("RUN_B", "Run B (folder)")):
            self.addParameter(QgsProcessingParameterFile(key, self.tr(text),
                                                         behavior=QgsProcessingParameterFile.Folder))
        self._add_config("Configuration (TOML) with the comparison settings")
        self._add_extra_sets()
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT", self.tr("Output folder")))
        self._add_advanced(load=True, fail_switch=False)
        for key, text in (("GPKG", "GeoPackage"), ("REPORT_MD", "Comparison (Markdown)"),
                          ("REPORT_JSON", "Comparison (JSON)")):
            self.addOutput(QgsProcessingOutputFile(key, self.tr(text)))
        self.addOutput(QgsProcessingOutputVectorLayer("CHANGED_AREAS", self.tr("Areas that change side"),
                                                      QgsProcessing.TypeVectorPolygon))
        for key, (_field, text) in self.FIGURES.items():
            self.addOutput(QgsProcessingOutputNumber(key, self.tr(text)))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        runs = [self.parameterAsFile(parameters, k, context) for k in ("RUN_A", "RUN_B")]
        if not all(runs):
            raise QgsProcessingException(self.tr("Give both run folders"))
        out = Path(self.parameterAsString(parameters, "OUTPUT", context))
        args = [*runs, "--out", str(out), *self._config_args(parameters, context), *self._set_args(parameters, context)]
        outcome = self._run_tool(args, parameters, context, feedback)
        self._judge(outcome, parameters, context, feedback)
        gpkg = out / "compare.gpkg"
        results = {"OUTPUT": str(out), "GPKG": str(gpkg) if gpkg.is_file() else None,
                   "REPORT_MD": str(out / "compare.md"), "REPORT_JSON": str(out / "compare.json"),
                   "CHANGED_AREAS": f"{gpkg}|layername=changed_areas" if gpkg.is_file() else None}
        try:
            figures = json.loads((out / "compare.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            figures = {}
        for key, (field, _text) in self.FIGURES.items():
            results[key] = figures.get(field)
        if gpkg.is_file() and self.parameterAsBool(parameters, "LOAD_LAYERS", context):
            self._load(gpkg, gpkg_layers(gpkg), f"tumen-border compare: {out.name}", context, feedback)
        return results
