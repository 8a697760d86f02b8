"""Every bundled case end to end, and the treaty forms the real borders bring (issue 21).

* each ``inputs/<case>/<case>.toml`` runs through the CLI (exit 0, every layer in EPSG:4326, ``check`` holds);
* the Jakobselva's agreed line through a turning point, segment by segment, against geographiclib;
* the Rio Grande's mouth point as the centre of the closing line, on an analytic mouth;
* the Rio Grande's NAD27 figures against NOAA's NAD83 corners, through the loader;
* the config refuses what the new keys cannot mean.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from geographiclib.geodesic import Geodesic
from shapely.geometry import LineString

from conftest import ROOT
from pipeline.config import bundled_cases, load_config, with_overrides
from pipeline.errors import InputError

GL = Geodesic.WGS84
CASES = {path.parent.name: path for path, _ in bundled_cases(ROOT / "inputs")}


def test_three_cases_are_bundled(run_cli):
    assert set(CASES) == {"tumen", "jakobselva", "rio_grande"}
    code, out, err = run_cli(["cases", "--root", ROOT / "inputs"])
    assert code == 0, err
    for name in CASES:
        assert f"{name}/{name}.toml" in out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One finished run (no map) per bundled case."""
    from conftest import _run_cli
    base = tmp_path_factory.mktemp("cases")
    out = {}
    for name, toml in CASES.items():
        code, stdout, stderr = _run_cli(["run", "--config", toml, "--out", base / name, "--no-map", "-q"])
        assert code == 0, (name, stdout, stderr)
        out[name] = base / name
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_case_runs_and_its_files_hold(name, runs, run_cli):
    folder = runs[name]
    report = json.loads((folder / "report.json").read_text())
    assert report["passed"] and all(c["passed"] for c in report["checks"])
    cfg = load_config(CASES[name])
    assert report["case"] == cfg.case.name
    for layer, _ in pyogrio.list_layers(folder / "border.gpkg"):
        if layer in ("layer_styles",):
            continue
        info = pyogrio.read_info(folder / "border.gpkg", layer=layer)
        assert info["crs"] == "EPSG:4326", (name, layer)
        assert (folder / f"{layer}.geojson").is_file(), (name, layer)
    # nothing of another case leaks in: names and codes come from the config
    text = (folder / "report.md").read_text()
    for other, toml in CASES.items():
        if other != name:
            assert load_config(toml).case.name not in text
    code, out, err = run_cli(["check", folder, "--config", CASES[name]])
    assert code == 0, out + err


def _read(folder: Path, layer: str):
    import geopandas as gpd
    return gpd.read_file(folder / "border.gpkg", layer=layer)


def test_turning_point_line_against_geographiclib(runs):
    """Jakobselva: P1 -> P2 -> P3 as written lies on the two geodesics (geographiclib), each segment's length
    and azimuth in report.json are geographiclib's, P1 -> P2 is 23,337.3 m (the data README), and P4-P6 are
    a layer of their own, not part of the boundary."""
    folder = runs["jakobselva"]
    report = json.loads((folder / "report.json").read_text())
    pts = {r["label"]: (r["lon"], r["lat"]) for _, r in _read(folder, "boundary_points").iterrows()}
    sea = _read(folder, "maritime_boundary").geometry.iloc[0]
    coords = np.asarray(sea.coords)
    ids = ["P1", "P2", "P3"]
    assert tuple(coords[0]) == pytest.approx(pts["P1"], abs=1e-9)
    assert tuple(coords[-1]) == pytest.approx(pts["P3"], abs=1e-9)
    k = int(np.argmin(np.hypot(*(coords - pts["P2"]).T)))
    assert tuple(coords[k]) == pytest.approx(pts["P2"], abs=1e-9), "P2 is a vertex of the line"
    rows = report["maritime"]["segments"]
    assert [(r["start"], r["end"]) for r in rows] == [("P1", "P2"), ("P2", "P3")]
    for (a, b), part, row in zip(zip(ids, ids[1:]), (coords[:k + 1], coords[k:]), rows):
        g = GL.Inverse(pts[a][1], pts[a][0], pts[b][1], pts[b][0])
        assert row["length_m"] == pytest.approx(g["s12"], abs=1e-3)
        assert row["azimuth_deg"] == pytest.approx(g["azi1"] % 360.0, abs=1e-6)
        line = GL.Line(pts[a][1], pts[a][0], g["azi1"])
        for lon, lat in part:   # every vertex on the geodesic: the point of it at the same distance from a
            s = GL.Inverse(pts[a][1], pts[a][0], lat, lon)["s12"]
            p = line.Position(s)
            assert GL.Inverse(p["lat2"], p["lon2"], lat, lon)["s12"] < 0.01
    assert round(rows[0]["length_m"], 1) == 23337.3
    assert report["maritime"]["length_m"] == pytest.approx(rows[0]["length_m"] + rows[1]["length_m"], abs=0.01)
    check = {c["name"]: c for c in report["checks"]}["sea_segment_P1_P2"]
    assert check["target"] == 23335.2 and check["passed"]
    beyond = _read(folder, "maritime_beyond").geometry.iloc[0]
    assert tuple(beyond.coords[0]) == pytest.approx(pts["P3"], abs=1e-9)
    assert tuple(beyond.coords[-1]) == pytest.approx(pts["P6"], abs=1e-9)
    assert sea.distance(shapely.Point(pts["P4"])) > 0.001      # P4 is not on the boundary


def test_mouth_point_is_the_centre_of_an_analytic_closing_line():
    """Rio Grande rule: B is the geodesic midpoint of the closing line's ends (geographiclib)."""
    import fixtures as F
    from pipeline.driver import mouth_point

    geo = F.geodesy(-97.15, 25.96)
    ends = [(-97.1452, 25.9589), (-97.1449, 25.9571)]
    xy = F.to_metric(np.array(ends), geo.metric)
    label, b = mouth_point(rule="closing_line_centre", point=None, closing_line=LineString(xy), geo=geo)
    g = GL.Inverse(ends[0][1], ends[0][0], ends[1][1], ends[1][0])
    mid = GL.Direct(ends[0][1], ends[0][0], g["azi1"], g["s12"] / 2)
    lon, lat = geo.point_lonlat(b)
    assert GL.Inverse(lat, lon, mid["lat2"], mid["lon2"])["s12"] < 0.001
    assert label == "mouth centre"


def test_rio_grande_figures_read_as_nad27_against_noaa(runs):
    """The recalled FP and T (datum not read, config: NAD27) through the loader's datum path fall within the
    operation's stated 10 m of NOAA's NAD83 corners (PROJ's grid for NAD27 is not installed here: "NAD27 to
    WGS 84 (4)" is used and named); read as WGS 84 they would be 46 m off."""
    from pipeline.load import load_inputs

    cfg = load_config(CASES["rio_grande"])
    inp = load_inputs(cfg)
    for pid in ("FP", "T"):
        p, c = inp.points[pid], inp.controls[pid]
        assert p.crs == "" and p.crs_used == "EPSG:4267" and "NAD27 to WGS 84" in p.operation
        d = GL.Inverse(p.lat_wgs84, p.lon_wgs84, c.lat_wgs84, c.lon_wgs84)["s12"]
        as_wgs84 = GL.Inverse(p.lat, p.lon, c.lat_wgs84, c.lon_wgs84)["s12"]
        assert d < 10.0 and 40.0 < as_wgs84 < 50.0, (pid, d, as_wgs84)
    report = json.loads((runs["rio_grande"] / "report.json").read_text())
    assert report["mouth"]["rule"] == "closing_line_centre" and "wherever" in report["mouth"]["rule_text"]
    assert set(report["control_offsets_m"]) == {"FP", "T"}
    assert "mouth centre (computed)" in report["legal_chain"]


@pytest.mark.parametrize("key, value, phrase", [
    ("treaty.segment_lines", ["geodesic"], "each of the agreed line's 2 segment"),
    ("treaty.segment_lines", ["geodesic", "great circle"], "geodesic"),
    ("official.segments", [{"from": "P2", "to": "P4", "length_m": 1.0, "tolerance_m": 1.0}], "not a segment"),
    ("official.segments", [{"from": "P1", "to": "P2"}], "must be a table"),
    ("treaty.mouth_rule", "closing_line_centre", "leave treaty.mouth_point empty"),
    ("official.sea_length_m", 42012.0, "go together"),
    ("tripoint.start_lonlat", [30.9], r"start_lonlat = \[lon, lat\]"),
])
def test_the_new_treaty_keys_refuse_what_they_cannot_mean(key, value, phrase):
    cfg = load_config(CASES["jakobselva"])
    with pytest.raises(InputError, match=phrase):
        with_overrides(cfg, {key: value})


@pytest.mark.parametrize("name", ["jakobselva", "rio_grande"])
def test_qgis_opens_every_case_styled_like_the_tumen(name, runs):
    """Real QGIS 3.22 opens each other case's GeoPackage and project, styled from the same table with the
    case's own colours (the Tumen's run is opened in test_qgis.py)."""
    from pipeline import styles
    from qgis_helpers import qgis_unavailable, run_qgis_check, summary
    from test_qgis import expected

    reason = qgis_unavailable()
    if reason:
        pytest.skip(reason)
    cfg = load_config(CASES[name])
    table = styles.style_table(cfg)
    exp = expected(runs[name], table)
    assert exp["layers"]["coast"]["colours"][cfg.sides.left] == [int(cfg.sides.left_colour[i:i + 2], 16)
                                                                 for i in (1, 3, 5)]
    proc = run_qgis_check(runs[name], exp)
    log = f"exit {proc.returncode}\nSTDOUT:\n{proc.stdout}\nSTDERR:\n{proc.stderr[-4000:]}"
    assert proc.returncode == 0, log
    s = summary(proc)
    assert s.get("ok") is True and set(s["layers"]) == set(exp["layers"]), log


@pytest.mark.parametrize("name", sorted(CASES))
def test_border_gpkg_agrees_with_the_layer_catalogue(name, runs):
    """Every layer written is in the catalogue, in its order, with exactly its fields (in order, of the declared
    types where they hold a value) and its geometry type (pipeline.layers.gpkg_differences)."""
    from pipeline.layers import LAYERS, gpkg_differences

    gpkg = runs[name] / "border.gpkg"
    assert gpkg_differences(gpkg) == []
    written = {str(n) for n, t in pyogrio.list_layers(gpkg) if t is not None}
    assert {"land_boundary", "maritime_boundary", "tripoint"} <= written <= set(LAYERS)
