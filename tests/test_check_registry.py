"""A check is defined once: registered by a plugin module (found through the ``tumen_border.checks`` entry-point
group), it is judged by ``run``, stated in report.json and report.md, re-measured by ``check`` and written to its
JUnit file, with no other file touched. The plugin here is the issue's thought experiment, ``tripoint_inside_river``.
"""
from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET

import pytest

from pipeline import checks

PLUGIN = '''
import numpy as np
import shapely
from shapely.geometry import Point

from pipeline.checks import check, from_files

LIMIT_M = [1.0]     # the test moves it to make the check fail


@check("tripoint_inside_river", tolerance=lambda cfg, key: LIMIT_M[0],
       detail="distance from tripoint A to the river's water area (0 inside it)",
       catches="a tripoint constructed off the river")
def inside(r, cfg):
    a = Point(r.inputs.geo.lonlat_to_metric(np.array([[r.tripoint.a.lon, r.tripoint.a.lat]]))[0])
    return float(a.distance(r.inputs.water))


@from_files(inside)
def _(run, cfg):
    a = (run.report.tripoint.lon, run.report.tripoint.lat)
    water = shapely.union_all(run.geometries("river"))
    return 0.0 if water.buffer(1e-9).covers(Point(a)) else run.distance_to_line(np.array([a]), water.boundary)
'''


class _EntryPoint:
    name = "toy"

    def load(self):
        import importlib

        return importlib.import_module("toy_border_checks")


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    (tmp_path / "toy_border_checks.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(checks, "_entry_points", lambda: [_EntryPoint()])
    monkeypatch.setattr(checks, "_loaded", False)
    yield __import__("toy_border_checks")
    checks.unregister("tripoint_inside_river")
    import sys

    sys.modules.pop("toy_border_checks", None)


def test_a_plugin_check_is_run_reported_rechecked_and_in_junit(plugin, bundle, run_cli, tmp_path):
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(["run", "--config", bundle / "tumen.toml", "--out", out, "--no-map", "-q"])
    assert code == 0, stdout + stderr
    assert "PASS  tripoint_inside_river: 0.0000 m" in stdout
    report = json.loads((out / "report.json").read_text())
    row = next(c for c in report["checks"] if c["name"] == "tripoint_inside_river")
    assert row["passed"] and row["tolerance"] == 1.0 and row["value"] == 0.0
    assert "tripoint_inside_river" in (out / "report.md").read_text()
    names = [c["name"] for c in report["checks"]]
    assert names[-1] == "tripoint_inside_river", "a plugin's checks come after the built-ins"

    junit = tmp_path / "checks.xml"
    code, stdout, stderr = run_cli(["check", out, "--config", bundle / "tumen.toml", "--junit-xml", junit])
    assert code == 0, stdout + stderr
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert "tripoint_inside_river" in cases and cases["tripoint_inside_river"].find("failure") is None

    plugin.LIMIT_M[0] = -1.0          # now it must fail, in run and in check, and CI sees exit 1
    code, stdout, _ = run_cli(["check", out, "--config", bundle / "tumen.toml", "--junit-xml", junit])
    assert code == 1 and "FAIL  tripoint_inside_river" in stdout
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["tripoint_inside_river"].find("failure") is not None


def test_a_broken_plugin_is_reported_and_the_built_ins_still_run(monkeypatch, caplog):
    class Broken:
        name = "broken"

        def load(self):
            raise ImportError("no module named nowhere")

    monkeypatch.setattr(checks, "_entry_points", lambda: [Broken()])
    monkeypatch.setattr(checks, "_loaded", False)
    with caplog.at_level("WARNING"):
        found = checks.registry()
    assert "land_length" in found and "check plugin broken could not be loaded" in caplog.text


def test_a_name_is_registered_once():
    d = checks.registry()["land_length"]
    with pytest.raises(ValueError, match="already registered"):
        checks.register(d)
