#!/usr/bin/python3
"""Run the plugin's Processing algorithms in real QGIS, headless, on the bundled case.

Run by Debian's python (QGIS from the apt package python3-qgis), not the project's python:

    QT_QPA_PLATFORM=offscreen TUMEN_BORDER="..." /usr/bin/python3 tests/qgis_processing_check.py \
        PLUGINS_DIR WORK_DIR CONFIG

PLUGINS_DIR holds the unzipped ``tumen_border_processing/``; WORK_DIR is an empty folder for the runs; CONFIG the
bundled configuration. $TUMEN_BORDER is the project's command (the algorithms' default).

Imports the plugin as QGIS does (``classFactory`` then ``initProcessing``) and runs, with ``processing``:
Compute border into WORK_DIR/run_a (its layers loaded as the toolbox loads them, ``runAndLoadResults``), Check a
run on it (all hold, JUnit XML), the same with a 1 m land tolerance (reported failure; exception on request),
Compute border with the middle line and a 1 m sea tolerance into run_b (the failed run, in run_b/failed-run, is
returned and loaded), Compare two runs a → b's failed run (loaded), then a missing
config file, a missing river file and a missing command (each a QgsProcessingException with the tool's
``error:`` line), and a cancel. One line per step, a JSON summary on the last line, exit 1 on any failure.

Standard library + qgis only: it must not import the pipeline package.
"""
from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
import traceback
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
PROCESSING_PLUGINS = "/usr/share/qgis/python/plugins"
IDS = ("tumenborder:computeborder", "tumenborder:checkrun", "tumenborder:compareruns")


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: /usr/bin/python3 tests/qgis_processing_check.py PLUGINS_DIR WORK_DIR CONFIG", file=sys.stderr)
        return 2
    plugins, work, config = Path(argv[1]), Path(argv[2]), argv[3]

    from qgis.core import (Qgis, QgsApplication, QgsLayerTreeLayer, QgsProcessingException, QgsProcessingFeedback,
                           QgsProject)

    app = QgsApplication([], False)
    app.setPrefixPath("/usr", True)
    app.initQgis()
    sys.path.insert(0, PROCESSING_PLUGINS)
    from processing.core.Processing import Processing
    Processing.initialize()
    import processing

    sys.path.insert(0, str(plugins))
    import tumen_border_processing

    plugin = tumen_border_processing.classFactory(None)
    plugin.initProcessing()

    summary: dict = {"qgis": Qgis.QGIS_VERSION, "steps": {}, "failures": [],
                     "plugin": str(Path(tumen_border_processing.__file__).parent)}
    project = QgsProject.instance()

    class Feedback(QgsProcessingFeedback):
        """Keeps what the algorithm reports; cancels itself at the first tool log line when asked to."""

        def __init__(self, cancel_on_log: bool = False):
            super().__init__()
            self.infos, self.warnings, self.errors, self.console, self.progress = [], [], [], [], []
            self.cancel_on_log = cancel_on_log
            self.progressChanged.connect(self.progress.append)

        def pushInfo(self, info):  # noqa: N802
            self.infos.append(info)
            super().pushInfo(info)

        def pushWarning(self, warning):  # noqa: N802
            self.warnings.append(warning)
            super().pushWarning(warning)

        def reportError(self, error, fatalError=False):  # noqa: N802, N803
            self.errors.append(error)
            super().reportError(error, fatalError)

        def pushConsoleInfo(self, info):  # noqa: N802
            self.console.append(info)
            super().pushConsoleInfo(info)
            if self.cancel_on_log:
                self.cancel()

    def step(name: str, fn) -> None:
        problems: list[str] = []
        info: dict = {}
        t0 = time.monotonic()
        try:
            fn(problems, info)
        except Exception as exc:  # noqa: BLE001 -- a step that crashes is a failed step, with its traceback
            problems.append(f"{type(exc).__name__}: {exc}")
            info["traceback"] = traceback.format_exc()[-2000:]
        info["seconds"] = round(time.monotonic() - t0, 2)
        summary["steps"][name] = {"ok": not problems, **info}
        summary["failures"] += [f"{name}: {p}" for p in problems]
        print(f"{'OK  ' if not problems else 'FAIL'} {name}: "
              f"{json.dumps({k: v for k, v in info.items() if k != 'traceback'}, ensure_ascii=False, default=str)}"
              + ("" if not problems else " -- " + "; ".join(problems)), flush=True)

    def expect(problems: list[str], ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    def raises(fn) -> str | None:
        """The message of the QgsProcessingException ``fn`` raises, or None."""
        try:
            fn()
        except QgsProcessingException as exc:
            return str(exc)
        return None

    def stored_renderers(gpkg: Path) -> dict[str, str]:
        """Layer -> the renderer type of its default style in the GeoPackage's layer_styles (read with sqlite3)."""
        with closing(sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)) as con:
            rows = con.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault").fetchall()
        return {name: ET.fromstring(qml).find("renderer-v2").get("type") for name, qml in rows}

    def check_group(problems, info, group_name: str, expected: list[str], gpkg: Path) -> None:
        group = project.layerTreeRoot().findGroup(group_name)
        expect(problems, group is not None, f"no group {group_name!r} in the layer tree")
        if group is None:
            return
        nodes = [n for n in group.children() if isinstance(n, QgsLayerTreeLayer)]
        info["order"] = [n.layer().name() for n in nodes]
        expect(problems, info["order"] == expected, f"layers {info['order']} != {expected}")
        renderers = stored_renderers(gpkg) if gpkg.name == "border.gpkg" else {}
        bad = []
        for n in nodes:
            lyr = n.layer()
            src = Path(lyr.source().split("|")[0])
            if not lyr.isValid():
                bad.append(f"{lyr.name()} not valid")
                continue
            if lyr.crs().authid() != "EPSG:4326":
                bad.append(f"{lyr.name()} crs {lyr.crs().authid()}")
            if lyr.featureCount() < 1:
                bad.append(f"{lyr.name()} has no features")
            if src.resolve() != gpkg.resolve():
                bad.append(f"{lyr.name()} from {src}")
            if renderers and renderers.get(lyr.name()) != lyr.renderer().type():
                bad.append(f"{lyr.name()} renderer {lyr.renderer().type()} != stored {renderers.get(lyr.name())}")
        expect(problems, not bad, "; ".join(bad))
        if renderers:
            info["categorized"] = sorted(n for n, t in renderers.items() if t == "categorizedSymbol")
            expect(problems, bool(info["categorized"]), "no categorised style stored: the style check is vacuous")

    run_a, run_b, cmp_dir = work / "run_a", work / "run_b" / "failed-run", work / "compare"

    # ------------------------------------------------------------------------------------------- steps
    def provider(problems, info):
        reg = QgsApplication.processingRegistry()
        prov = reg.providerById("tumenborder")
        expect(problems, prov is not None, "provider tumenborder not registered")
        algs = {a.id(): (a.displayName(), a.group()) for a in (prov.algorithms() if prov else [])}
        info["algorithms"] = algs
        expect(problems, sorted(algs) == sorted(IDS), f"algorithms {sorted(algs)}")
        expect(problems, {v[1] for v in algs.values()} == {"River-and-sea boundary"}, "group")

    def compute(problems, info):
        fb = Feedback()
        res = processing.runAndLoadResults(IDS[0], {"CONFIG": config, "OUTPUT": str(run_a)}, feedback=fb)
        info["results"] = {k: res.get(k) for k in ("ALL_HOLD", "CHECKS_TOTAL", "CHECKS_FAILED", "RUN_FOLDER")}
        expect(problems, res["ALL_HOLD"] is True and res["CHECKS_FAILED"] == 0 and res["CHECKS_TOTAL"] > 0,
               f"checks {info['results']}")
        expect(problems, res["OUTPUT"] == str(run_a) and res["RUN_FOLDER"] == str(run_a), "output folder")
        for key in ("GPKG", "PROJECT", "MAP", "REPORT_MD", "REPORT_JSON"):
            expect(problems, bool(res.get(key)) and Path(res[key]).is_file(), f"{key} = {res.get(key)!r}")
        expect(problems, res["LAND_BOUNDARY"] == f"{run_a / 'border.gpkg'}|layername=land_boundary",
               f"LAND_BOUNDARY {res['LAND_BOUNDARY']!r}")
        expect(problems, any(line.startswith("all ") and "checks hold" in line for line in fb.infos),
               "the tool's summary line did not reach the log")
        expect(problems, any(0 < p < 100 for p in fb.progress), f"no stage progress: {fb.progress[:5]}")
        expect(problems, not fb.errors, f"errors reported: {fb.errors}")
        qgs = ET.parse(run_a / "border.qgs").getroot()
        order = [n.get("name") for n in qgs.iter("layer-tree-layer")]
        info["project_layers"] = len(project.mapLayers())
        check_group(problems, info, "tumen-border: run_a", order, run_a / "border.gpkg")

    def check_ok(problems, info):
        fb = Feedback()
        junit = work / "checks.xml"
        res = processing.run(IDS[1], {"RUN": str(run_a), "CONFIG": config, "JUNIT": str(junit)}, feedback=fb)
        info["results"] = {k: res.get(k) for k in ("ALL_HOLD", "CHECKS_TOTAL", "CHECKS_PASSED", "CHECKS_FAILED")}
        lines = res["CHECKS"].splitlines()
        expect(problems, res["ALL_HOLD"] is True and res["CHECKS_FAILED"] == 0
               and res["CHECKS_PASSED"] == res["CHECKS_TOTAL"] == len(lines) > 0, f"counts {info['results']}")
        expect(problems, all(line.startswith("PASS") for line in lines), "a check line is not PASS")
        expect(problems, junit.is_file() and res["JUNIT"] == str(junit), "no JUnit XML")
        if junit.is_file():
            cases = list(ET.parse(junit).getroot().iter("testcase"))
            expect(problems, len(cases) == len(lines), f"{len(cases)} JUnit test cases for {len(lines)} checks")

    def check_fails(problems, info):
        fb = Feedback()
        params = {"RUN": str(run_a), "CONFIG": config, "EXTRA_SETS": "official.land_tolerance_m=1"}
        res = processing.run(IDS[1], dict(params), feedback=fb)
        info["results"] = {k: res.get(k) for k in ("ALL_HOLD", "CHECKS_FAILED")}
        expect(problems, res["ALL_HOLD"] is False and res["CHECKS_FAILED"] == 1, f"counts {info['results']}")
        expect(problems, any("FAILED: land_length" in e for e in fb.errors), f"errors {fb.errors}")
        msg = raises(lambda: processing.run(IDS[1], {**params, "FAIL_ON_CHECK": True}, feedback=Feedback()))
        info["raised"] = msg
        expect(problems, msg is not None and "land_length" in msg, f"FAIL_ON_CHECK raised {msg!r}")

    def compute_fails(problems, info):
        fb = Feedback()
        out = run_b.parent
        res = processing.runAndLoadResults(IDS[0], {"CONFIG": config, "OUTPUT": str(out), "NO_MAP": True,
                                                    "BORDER_LINE": 3, "EXTRA_SETS": "official.sea_tolerance_m=1"},
                                           feedback=fb)
        info["results"] = {k: res.get(k) for k in ("ALL_HOLD", "CHECKS_FAILED", "RUN_FOLDER")}
        expect(problems, res["ALL_HOLD"] is False and res["CHECKS_FAILED"] == 1, f"checks {info['results']}")
        expect(problems, res["RUN_FOLDER"] == str(out / "failed-run") and res["OUTPUT"] == str(out), "folders")
        expect(problems, res["GPKG"] == str(out / "failed-run" / "border.gpkg"), f"GPKG {res['GPKG']!r}")
        expect(problems, not (out / "border.gpkg").exists(), "a failed run was published")
        expect(problems, any("FAILED: sea_length" in e for e in fb.errors), f"errors {fb.errors}")
        gpkg = out / "failed-run" / "border.gpkg"
        order = [n.get("name") for n in ET.parse(gpkg.with_name("border.qgs")).getroot().iter("layer-tree-layer")]
        check_group(problems, info, "tumen-border: run_b (checks FAILED)", order, gpkg)
        expect(problems, res["MAP"] is None and not (run_b / "map.png").exists(), "map.png written with NO_MAP")
        report = json.loads((run_b / "report.json").read_text(encoding="utf-8"))
        info["border_line"] = report["land"]["border_line"]
        expect(problems, info["border_line"] == "middle", "BORDER_LINE = middle did not reach the run")

    def compare(problems, info):
        fb = Feedback()
        res = processing.runAndLoadResults(IDS[2], {"RUN_A": str(run_a), "RUN_B": str(run_b), "CONFIG": config,
                                                    "OUTPUT": str(cmp_dir)}, feedback=fb)
        info["results"] = {k: res.get(k) for k in ("HAUSDORFF_M", "AREA_CHANGED_KM2", "TRIPOINT_SHIFT_M")}
        expect(problems, 100 < (res["HAUSDORFF_M"] or 0) < 400, f"Hausdorff {res['HAUSDORFF_M']}")
        expect(problems, (res["AREA_CHANGED_KM2"] or 0) > 0.1, f"area {res['AREA_CHANGED_KM2']}")
        for key in ("GPKG", "REPORT_MD", "REPORT_JSON"):
            expect(problems, bool(res.get(key)) and Path(res[key]).is_file(), f"{key} = {res.get(key)!r}")
        check_group(problems, info, "tumen-border compare: compare", ["changed_areas"], cmp_dir / "compare.gpkg")

    def bad_config(problems, info):
        fb = Feedback()
        missing = work / "no-such.toml"
        msg = raises(lambda: processing.run(IDS[0], {"CONFIG": str(missing), "OUTPUT": str(work / "bad1")},
                                            feedback=fb))
        tool_line = next((e for e in fb.errors if e.startswith("error:")), None)
        info.update(raised=msg, tool_line=tool_line)
        expect(problems, tool_line is not None and "no-such.toml" in tool_line, f"tool error line {tool_line!r}")
        expect(problems, msg is not None and tool_line is not None and tool_line in msg, f"exception {msg!r}")
        expect(problems, not (work / "bad1").exists(), "the output folder was created")

    def bad_river(problems, info):
        fb = Feedback()
        missing = work / "elsewhere" / "no-such-river.gpkg"     # not the output's parent: inputs are checked after it
        msg = raises(lambda: processing.run(IDS[0], {"CONFIG": config, "RIVER": str(missing),
                                                     "OUTPUT": str(work / "bad2")}, feedback=fb))
        info["raised"] = msg
        expect(problems, msg is not None and "error:" in msg and "no-such-river.gpkg" in msg, f"exception {msg!r}")

    def bad_command(problems, info):
        msg = raises(lambda: processing.run(IDS[1], {"RUN": str(run_a), "CONFIG": config,
                                                     "COMMAND": str(work / "no-such-command")}, feedback=Feedback()))
        info["raised"] = msg
        expect(problems, msg is not None and "no-such-command" in msg, f"exception {msg!r}")

    def cancel(problems, info):
        fb = Feedback(cancel_on_log=True)
        t0 = time.monotonic()
        msg = raises(lambda: processing.run(IDS[0], {"CONFIG": config, "OUTPUT": str(work / "run_c"),
                                                     "NO_MAP": True}, feedback=fb))
        info.update(raised=msg, after_s=round(time.monotonic() - t0, 2))
        expect(problems, msg is not None and msg.startswith("Canceled"), f"exception {msg!r}")
        expect(problems, not (work / "run_c" / "border.gpkg").exists(), "a canceled run published border.gpkg")

    for name, fn in (("provider", provider), ("compute border", compute), ("check a run", check_ok),
                     ("check a run, failing", check_fails), ("compute border, middle line, failing check", compute_fails),
                     ("compare two runs", compare), ("missing config", bad_config), ("missing river", bad_river),
                     ("missing command", bad_command), ("cancel", cancel)):
        step(name, fn)

    summary["ok"] = not summary["failures"]
    print(json.dumps(summary, ensure_ascii=False, default=str))
    sys.stdout.flush()
    sys.stderr.flush()
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    # os._exit: skip QGIS/Qt teardown, which can crash after layers were used from Python (see NOTES)
    os._exit(main(sys.argv))
