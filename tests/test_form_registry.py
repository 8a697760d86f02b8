"""The input-form registry (:mod:`pipeline.forms`): a form added without touching the pipeline is read by the
loader by name and by recognition, the config accepts exactly the registered forms, and the built-ins are
declared as entry points the way a third-party package declares its own.

The toy form is the issue's thought experiment, a river given as a centre line with widths (a CSV of
lon, lat, width_m): it lives in a module written to a temporary folder, is registered with
:func:`pipeline.forms.register` (nothing installed), and builds its water in metres -- in the run's metric CRS,
which it states, so the loader's datum path applies to it as to any other form.
"""
from __future__ import annotations

import logging
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer

import forms_data as D
from conftest import INPUTS, ROOT, edit_toml  # tests/ is on sys.path
from pipeline import forms
from pipeline.config import load_config, with_overrides
from pipeline.errors import InputError
from pipeline.load import load_inputs

TOY = "centreline"
TOY_MODULE = '''
"""Toy river form: a centre line with widths (CSV lon, lat, <width column>), the water built in metres."""
import csv
from dataclasses import dataclass

import numpy as np
import shapely

from pipeline.config import setting
from pipeline.forms import Form, WaterArea


@dataclass(frozen=True)
class Settings:
    width_column: str = setting("width_m", doc="centre line CSV: column holding the river's width")
    min_width_m: float = setting(10.0, doc="centre line CSV: narrower widths count as this", unit="m", gt=0.0)


def _header(path):
    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f), None) or []


def recognises(path, probe):
    return path.suffix.lower() == ".csv" and probe.cfg.form_settings("centreline").width_column in _header(path)


def read(path, cfg, context):
    s = cfg.form_settings("centreline")
    column = _header(path).index(s.width_column)
    rows = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, usecols=(0, 1, column))   # lon, lat, width
    xy = context.geo.lonlat_to_metric(rows[:, :2])
    half = np.maximum(rows[:, 2], s.min_width_m) / 2
    pieces = [shapely.LineString(xy[i:i + 2]).buffer((half[i] + half[i + 1]) / 2) for i in range(len(xy) - 1)]
    return WaterArea(shapely.union_all(pieces), context.geo.metric,
                     f"centre line of {len(xy)} points, widths {rows[:, 2].min():.0f}..{rows[:, 2].max():.0f} m")


FORM = Form(name="centreline", role="river", describes="a centre line with widths", recognises=recognises,
            read=read, settings=Settings)
'''


@pytest.fixture(scope="module")
def centreline_csv(tmp_path_factory) -> Path:
    """The modelled river's centre line in lon/lat, each vertex with the river's width there (twice the
    distance to the nearest bank, at least 40 m), written as lon,lat,width_m."""
    river, crs = D.modelled_river()
    line = shapely.segmentize(D.modelled_centreline(), 200.0)
    xy = shapely.get_coordinates(line)
    width = np.maximum(2 * shapely.distance(shapely.points(xy), river.exterior), 40.0)
    lon, lat = Transformer.from_crs(crs, D.WGS84, always_xy=True).transform(xy[:, 0], xy[:, 1])
    path = tmp_path_factory.mktemp("toy") / "centreline.csv"
    np.savetxt(path, np.column_stack([lon, lat, width]), delimiter=",", header="lon,lat,width_m", comments="",
               fmt="%.8f")
    return path


@pytest.fixture
def toy_form(tmp_path, monkeypatch):
    """The toy form's module in a temporary folder, imported and registered; unregistered afterwards."""
    (tmp_path / "toy_centreline_form.py").write_text(textwrap.dedent(TOY_MODULE), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import toy_centreline_form

    form = forms.register(toy_centreline_form.FORM)
    yield form
    forms.unregister(TOY)
    sys.modules.pop("toy_centreline_form", None)


@pytest.fixture(scope="module")
def base_cfg():
    """The bundled config without the depth (the toy river is wider than the depth raster covers)."""
    return with_overrides(load_config(INPUTS / "tumen.toml"), {"inputs.depth": ""})


def test_load_picks_a_registered_form_by_recognition(toy_form, centreline_csv, base_cfg):
    cfg = with_overrides(base_cfg, {"inputs.river": str(centreline_csv), "inputs.river_layer": ""})
    assert forms.recognise("river", centreline_csv, cfg) is toy_form
    inputs = load_inputs(cfg)
    river = inputs.files["river"]
    assert river.form == TOY and river.detail.startswith("centre line of ")
    # the water the form built in metres, through the loader's datum path (metric -> WGS 84 -> metric)
    area = toy_form.read(centreline_csv, cfg, forms.Context(inputs.geo))
    assert inputs.water.symmetric_difference(area.geometry).area < 1e-3 * area.geometry.area
    assert inputs.water.distance(shapely.union_all(list(inputs.land.values()))) == 0.0


def test_load_picks_a_registered_form_by_name(toy_form, centreline_csv, base_cfg, tmp_path):
    """A file the form does not recognise (not named .csv) is read by it when ``inputs.river_form`` names it;
    left to recognition it is refused, and the message lists what the registered forms read."""
    renamed = tmp_path / "centreline.txt"
    renamed.write_bytes(centreline_csv.read_bytes())
    cfg = with_overrides(base_cfg, {"inputs.river": str(renamed), "inputs.river_layer": ""})
    with pytest.raises(InputError) as e:
        load_inputs(cfg)
    assert e.value.path == renamed
    named = with_overrides(cfg, {"inputs.river_form": TOY})
    assert load_inputs(named).files["river"].form == TOY


def test_unrecognised_file_lists_every_registered_river_form(toy_form, base_cfg, tmp_path):
    points = tmp_path / "points.geojson"
    D.write_vector(points, [shapely.Point(130.6, 42.4)], D.WGS84)
    with pytest.raises(InputError) as e:
        forms.recognise("river", points, with_overrides(base_cfg, {"inputs.river_layer": ""}))
    assert e.value.problem == ("river: the layer holds Point geometries; expected a centre line with widths, water "
                               "polygons, two bank lines, a raster water mask or an OpenStreetMap file")


def test_the_config_refuses_an_unknown_form_naming_the_registered_ones(base_cfg, tmp_path):
    with pytest.raises(InputError) as e:
        with_overrides(base_cfg, {"inputs.river_form": TOY})
    assert e.value.problem == ("inputs.river_form = 'centreline' is not one of 'auto', 'osm', 'mask', 'banks', "
                               "'polygons'")
    toml = tmp_path / "tumen.toml"
    toml.write_text((INPUTS / "tumen.toml").read_text(encoding="utf-8"), encoding="utf-8")
    edit_toml(toml, "inputs", "river_form", '"geotiff"')          # a depth form is not a river form
    with pytest.raises(InputError) as e:
        load_config(toml)
    assert e.value.path == toml and "inputs.river_form = 'geotiff' is not one of 'auto', 'osm'" in e.value.problem


def test_the_config_accepts_a_registered_form(toy_form, base_cfg):
    assert with_overrides(base_cfg, {"inputs.river_form": TOY}).inputs.river_form == TOY
    assert forms.names("river") == ("osm", "mask", "banks", "polygons", TOY)   # priority, then name
    from pipeline.config import documented_keys

    kind = {key: kind for key, kind, *_ in documented_keys()}["inputs.river_form"]
    assert kind == "'auto' | 'osm' | 'mask' | 'banks' | 'polygons' | 'centreline'"


def test_built_in_forms_are_declared_as_entry_points():
    """pyproject.toml declares each built-in form under ``tumen_border.forms`` as ``name = "module:FORM"``,
    exactly the forms the package scan finds (so the installed metadata lists them all)."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = declared["project"]["entry-points"][forms.ENTRY_POINT_GROUP]
    found = {f.name: f"{f.read.__module__}:FORM" for f in forms._builtin_forms()}
    assert declared == found
    assert set(found) == {"osm", "mask", "banks", "polygons", "geotiff", "soundings"}


def test_an_installed_form_is_found_through_its_entry_point(tmp_path, monkeypatch, caplog):
    """A third-party package's entry point adds its form; a broken one, or one taking a built-in's name, is
    skipped with a warning; entries of this package are not loaded (the scan found them, metadata may be
    stale)."""
    (tmp_path / "toy_plugin.py").write_text(textwrap.dedent(TOY_MODULE), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    group = forms.ENTRY_POINT_GROUP
    entries = [metadata.EntryPoint(TOY, "toy_plugin:FORM", group),
               metadata.EntryPoint("broken", "no_such_module:FORM", group),
               metadata.EntryPoint("mask", "toy_plugin:FORM", group),                 # names itself otherwise
               metadata.EntryPoint(TOY, "toy_plugin:FORM", group),                    # a second one by that name
               metadata.EntryPoint("osm", "pipeline.forms.gone:FORM", group)]   # stale: the module was renamed
    monkeypatch.setattr(forms.metadata, "entry_points", lambda group: entries if group == forms.ENTRY_POINT_GROUP
                        else [])
    monkeypatch.setattr(forms, "_found", None)     # rediscover with these entry points
    with caplog.at_level(logging.WARNING, logger="pipeline.forms"):
        assert forms.names("river") == ("osm", "mask", "banks", "polygons", TOY)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "'broken' (no_such_module:FORM) not loaded" in said
    assert "'mask' (toy_plugin:FORM) ignored: it names itself 'centreline'" in said
    assert "'centreline' (toy_plugin:FORM) ignored: it takes a name already registered" in said
    assert "gone" not in said
    assert forms.get("osm", "river").read.__module__ == "pipeline.forms.osm"


def test_the_contract_is_enforced(toy_form, base_cfg):
    with pytest.raises(ValueError):
        forms.Form(name="Centre Line", role="river", describes="x", recognises=toy_form.recognises,
                   read=toy_form.read)
    with pytest.raises(ValueError):
        forms.Form(name="lidar", role="elevation", describes="x", recognises=toy_form.recognises,
                   read=toy_form.read)
    with pytest.raises(ValueError):
        forms.register(toy_form)                                   # the name is taken
    liar = forms.Form(name="liar", role="depth", describes="x", priority=0, recognises=lambda path, probe: True,
                      read=lambda path, cfg, context: forms.WaterArea(shapely.Point(0, 0), None, ""))
    forms.register(liar)
    try:
        with pytest.raises(TypeError, match="'liar' returned a WaterArea, not a DepthGrid"):
            forms.read("depth", D.MODELLED_DEPTH, base_cfg, forms.Context(None))
    finally:
        forms.unregister("liar")


def test_a_form_declares_its_own_settings(toy_form, base_cfg, tmp_path, centreline_csv):
    """The toy form's settings come from ``[forms.centreline]``, are checked like any setting, overridden with
    ``forms.centreline.<key>`` and listed in the configuration table; nothing in pipeline/config.py names them."""
    assert base_cfg.form_settings(TOY).width_column == "width_m"        # defaults when the table is left out
    toml = tmp_path / "tumen.toml"
    toml.write_text((INPUTS / "tumen.toml").read_text(encoding="utf-8"), encoding="utf-8")
    edit_toml(toml, "forms.centreline", "width_column", '"w"')
    cfg = load_config(toml)
    assert cfg.form_settings(TOY).width_column == "w" and cfg.form_settings(TOY).min_width_m == 10.0
    assert with_overrides(cfg, {"forms.centreline.min_width_m": 25}).form_settings(TOY).min_width_m == 25.0
    for key, literal, message in (("min_width_m", "0", "forms.centreline.min_width_m = 0.0 must be greater than 0"),
                                  ("widths", '"w"', "unknown key(s) in [forms.centreline]: widths")):
        bad = tmp_path / f"bad_{key}.toml"
        bad.write_text(toml.read_text(encoding="utf-8"), encoding="utf-8")
        edit_toml(bad, "forms.centreline", key, literal)
        with pytest.raises(InputError) as e:
            load_config(bad)
        assert e.value.path == bad and message in e.value.problem, e.value.problem
    with pytest.raises(InputError) as e:
        with_overrides(cfg, {"forms.osm.threshold": 5})
    assert "'osm' is not an input form with settings (forms with settings: centreline, mask)" in e.value.problem
    from pipeline.config import documented_keys

    rows = {key: (kind, default, unit) for key, kind, default, unit, _ in documented_keys()}
    assert rows["forms.centreline.min_width_m"] == ("float", "10.0", "m")
    # the setting decides recognition and reading: the CSV's width column renamed to "w"
    renamed = tmp_path / "w.csv"
    renamed.write_text(centreline_csv.read_text().replace("width_m", "w", 1))
    run = with_overrides(base_cfg, {"forms.centreline.width_column": "w", "inputs.river": str(renamed),
                                    "inputs.river_layer": ""})
    assert run.form_settings(TOY).min_width_m == 10.0                     # the other setting keeps its default
    assert load_inputs(run).files["river"].form == TOY
