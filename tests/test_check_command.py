"""``tumen-border check``: a check CI can trust.

It judges a finished run from its files: ``report.json`` is validated against the schema it was written
with (a missing key or a wrong type is exit 2 with one error line, never a traceback); every stored length
is recomputed from the geometry (a length_m edited with sqlite3 fails, exit 1); ``--junit-xml`` writes one
test case per check. Expected lengths here are measured by the test itself with ``pyproj.Geod`` on the
GeoPackage's geometry, not taken from the tool.
"""
from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import geopandas as gpd
import pyogrio
import pytest
import shapely
from pyproj import CRS, Geod

from conftest import INPUTS, copy_outputs, snapshot

CONFIG = INPUTS / "tumen.toml"      # read only: the tolerances the run is judged with
GEOD = Geod(ellps="WGS84")


# ------------------------------------------------------------------------------------------ helpers
@pytest.fixture
def done(previous_outputs, tmp_path) -> Path:
    """A copy of a finished run's output folder, to tamper with."""
    return copy_outputs(previous_outputs, tmp_path / "out")


def check(run_cli, folder, *extra):
    return run_cli(["check", folder, "--config", CONFIG, *extra])


def sql(gpkg: Path, *statements: str) -> None:
    """Edit a GeoPackage with sqlite3 as a user would. GDAL's R-tree triggers name the SpatiaLite functions
    ST_IsEmpty, ST_MinX ...; plain sqlite3 lacks them, so stand-ins are registered (never called: the
    triggers that use them fire only when a geometry or a feature id changes)."""
    with closing(sqlite3.connect(gpkg)) as con:
        for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            con.create_function(name, 1, lambda g: 0)
        for s in statements:
            con.execute(s)
        con.commit()


def edit_report(folder: Path, change: Callable[[dict], None]) -> Path:
    path = folder / "report.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))      # json.dumps writes NaN as NaN, as a careless editor would
    return path


def geodesic_length(gpkg: Path, layer: str) -> list[float]:
    """Each feature's geodesic length on WGS 84, measured here with pyproj directly."""
    geoms = shapely.from_wkb(pyogrio.raw.read(gpkg, layer=layer)[2])
    return [GEOD.geometry_length(g) for g in geoms]


def lines_by_name(stdout: str) -> dict[str, str]:
    """PASS / FAIL of each check line the CLI printed, by check name."""
    out = {}
    for line in stdout.splitlines():
        if line.startswith(("PASS  ", "FAIL  ")):
            out[line[6:].split(":", 1)[0]] = line[:4]
    return out


# what editing a file also fails, besides the check the edit is aimed at: the manifest's sha256, and the copy
# of the same content in another file (the GeoJSON of a layer; report.md rendered from report.json)
GPKG_EDITED = {"files_as_written", "geojson_equals_gpkg"}
REPORT_EDITED = {"files_as_written", "report_md_renders_report_json"}


def failed(stdout: str) -> set[str]:
    return {n for n, s in lines_by_name(stdout).items() if s == "FAIL"}


def junit(path: Path) -> tuple[ET.Element, dict[str, ET.Element]]:
    root = ET.parse(path).getroot()
    suites = root.findall("testsuite")
    assert len(suites) == 1
    cases = suites[0].findall("testcase")
    by_name = {c.get("name"): c for c in cases}
    assert len(by_name) == len(cases), "two test cases share a name"
    return suites[0], by_name


# ================================================================================ exit 0 / 1 and JUnit
def test_a_finished_run_passes_with_one_junit_case_per_check(done, run_cli, tmp_path):
    before = snapshot(done)
    code, stdout, stderr = check(run_cli, done, "--junit-xml", tmp_path / "checks.xml")
    assert code == 0, stdout + stderr
    printed = lines_by_name(stdout)
    assert printed and set(printed.values()) == {"PASS"}
    suite, cases = junit(tmp_path / "checks.xml")
    assert set(cases) == set(printed) and int(suite.get("tests")) == len(printed)
    assert suite.get("failures") == "0"
    assert all(c.find("failure") is None for c in cases.values())
    # every stored length of every line layer is judged, and the report's two boundary lengths
    line_layers = {n for n, t in pyogrio.list_layers(done / "border.gpkg") if "line" in str(t).lower()
                   and "length_m" in pyogrio.read_info(done / "border.gpkg", layer=n)["fields"]}
    assert {f"stored_length_{n}" for n in line_layers} | {"stored_length_report"} <= set(printed)
    assert snapshot(done) == before, "check wrote into the run's folder"


def test_failing_checks_exit_1_and_are_junit_failures(done, run_cli, tmp_path):
    """A 1 m land tolerance: land_length fails exactly when |geodesic length - official| > 1 m (measured here)."""
    from pipeline.config import load_config

    official = load_config(CONFIG).official.land_length_m
    (length,) = geodesic_length(done / "border.gpkg", "land_boundary")
    assert abs(length - official) > 1.0, "the bundled run is within 1 m of the official length: pick another case"
    code, stdout, stderr = check(run_cli, done, "--land-tolerance", "1", "--junit-xml", tmp_path / "checks.xml")
    assert code == 1, stdout + stderr
    printed = lines_by_name(stdout)
    assert printed["land_length"] == "FAIL"
    suite, cases = junit(tmp_path / "checks.xml")
    failed = {n for n, c in cases.items() if c.find("failure") is not None}
    assert failed == {n for n, s in printed.items() if s == "FAIL"} and int(suite.get("failures")) == len(failed)
    assert "land_length" in cases["land_length"].find("failure").get("message")


@pytest.mark.parametrize("layer", ["land_boundary", "maritime_boundary", "thalweg", "territorial_sea_limits"])
def test_a_length_m_edited_with_sqlite3_fails(layer, done, run_cli, tmp_path):
    gpkg = done / "border.gpkg"
    (first, *_) = geodesic_length(gpkg, layer)
    sql(gpkg, f'UPDATE "{layer}" SET length_m = 99999 WHERE fid = (SELECT min(fid) FROM "{layer}")')
    code, stdout, stderr = check(run_cli, done, "--junit-xml", tmp_path / "checks.xml")
    assert code == 1, stdout + stderr
    printed = lines_by_name(stdout)
    assert failed(stdout) == {f"stored_length_{layer}", *GPKG_EDITED}, stdout
    line = next(x for x in stdout.splitlines() if f"stored_length_{layer}:" in x)
    assert f"{abs(99999 - first):,.4f} m" in line, (line, first)      # the value measured here with pyproj
    assert junit(tmp_path / "checks.xml")[1][f"stored_length_{layer}"].find("failure") is not None


@pytest.mark.parametrize("which", ["min", "max"])
def test_a_length_m_set_to_null_fails(which, done, run_cli):
    """NULL in the first or the last feature of a two-feature layer (NaN must not hide in a max())."""
    layer = "territorial_sea_limits"
    assert len(geodesic_length(done / "border.gpkg", layer)) == 2
    sql(done / "border.gpkg", f"UPDATE {layer} SET length_m = NULL WHERE fid = (SELECT {which}(fid) FROM {layer})")
    code, stdout, stderr = check(run_cli, done)
    assert code == 1, stdout + stderr
    assert lines_by_name(stdout)[f"stored_length_{layer}"] == "FAIL"


def test_a_length_in_report_json_that_does_not_match_the_line_fails(done, run_cli):
    edit_report(done, lambda d: d["land"].update(land_boundary_m=99999.0))
    code, stdout, stderr = check(run_cli, done)
    assert code == 1, stdout + stderr
    assert failed(stdout) == {"stored_length_report", *REPORT_EDITED}, stdout


def test_a_moved_vertex_fails_the_stored_length(done, run_cli):
    """A vertex of the land boundary moved 50 m east; its stored length_m no longer describes it."""
    gpkg = done / "border.gpkg"
    gdf = gpd.read_file(gpkg, layer="land_boundary", engine="pyogrio")
    coords = shapely.get_coordinates(gdf.geometry.iloc[0])
    k = len(coords) // 2
    coords[k, 0] += 50 / (111_320 * 0.74)              # ~50 m of longitude at 42.3 N
    gdf = gdf.set_geometry([shapely.LineString(coords)], crs=gdf.crs)
    pyogrio.write_dataframe(gdf, gpkg, layer="land_boundary", driver="GPKG")
    code, stdout, stderr = check(run_cli, done)
    assert code == 1, stdout + stderr
    assert lines_by_name(stdout)["stored_length_land_boundary"] == "FAIL"


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_check_interrupted_exits_130_or_143(sig, done, run_cli, tmp_path, monkeypatch):
    import pipeline.verify as verify

    real = verify.verify_outputs

    def verify_outputs(*a, **kw):
        found = real(*a, **kw)
        os.kill(os.getpid(), getattr(signal, sig))
        return found

    monkeypatch.setattr(verify, "verify_outputs", verify_outputs)
    code, stdout, stderr = check(run_cli, done, "--junit-xml", tmp_path / "checks.xml")
    assert code == 128 + getattr(signal, sig), stdout + stderr
    assert "Traceback" not in stderr and not (tmp_path / "checks.xml").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".checks.xml")] == []


# ================================================================================ exit 2: bad files
@dataclass(frozen=True)
class Bad:
    id: str
    corrupt: Callable[[Path, Path], tuple[Path, list[str]]]   # (run folder, tmp) -> (culprit, extra CLI args)
    phrase: str


def report_edit(change: Callable[[dict], None]):
    return lambda d, t: (edit_report(d, change), [])


def gpkg_sql(*statements: str):
    def f(d: Path, t: Path):
        sql(d / "border.gpkg", *statements)
        return d / "border.gpkg", []
    return f


def remove(name: str):
    def f(d: Path, t: Path):
        (d / name).unlink()
        return d / name, []
    return f


def no_folder(d: Path, t: Path):
    return t / "nowhere", ["--at", t / "nowhere"]


def truncated_gpkg(d: Path, t: Path):
    data = (d / "border.gpkg").read_bytes()
    (d / "border.gpkg").write_bytes(data[: len(data) // 3])
    return d / "border.gpkg", []


def layer_in_web_mercator(d: Path, t: Path):
    wkt = CRS.from_epsg(3857).to_wkt("WKT1_GDAL").replace("'", "''")
    sql(d / "border.gpkg",
        "INSERT OR REPLACE INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, "
        f"definition) VALUES ('WGS 84 / Pseudo-Mercator', 3857, 'EPSG', 3857, '{wkt}')",
        "UPDATE gpkg_geometry_columns SET srs_id = 3857 WHERE table_name = 'land_boundary'",
        "UPDATE gpkg_contents SET srs_id = 3857 WHERE table_name = 'land_boundary'")
    return d / "border.gpkg", []


def junit_in_missing_folder(d: Path, t: Path):
    return t / "missing" / "checks.xml", ["--junit-xml", t / "missing" / "checks.xml"]


def config_unknown_setting(d: Path, t: Path):
    return CONFIG, ["--set", "official.land_tolerance=5"]


def pop(*keys: str):
    def change(data: dict) -> None:
        for k in keys[:-1]:
            data = data[k]
        data.pop(keys[-1])
    return change


def put(value, *keys):
    def change(data: dict) -> None:
        for k in keys[:-1]:
            data = data[k]
        data[keys[-1]] = value
    return change


BAD = [
    Bad("folder-missing", no_folder, "output folder not found"),
    Bad("report-missing", remove("report.json"), "not found"),
    Bad("gpkg-missing", remove("border.gpkg"), "not found"),
    Bad("report-not-json", lambda d, t: ((d / "report.json").write_text("{\"schema\": "), (d / "report.json", []))[1],
        "not valid JSON"),
    Bad("report-a-list", lambda d, t: ((d / "report.json").write_text("[]"), (d / "report.json", []))[1],
        "not a report"),
    Bad("report-other-schema", report_edit(put("river-sea-border-report/1", "schema")), "not a report of schema"),
    Bad("report-missing-key", report_edit(pop("land", "land_boundary_m")), "missing key(s) land_boundary_m"),
    Bad("report-missing-section", report_edit(pop("maritime")), "missing key(s) maritime"),
    Bad("report-unknown-key", report_edit(put(1.0, "land", "land_boundary_km")), "unknown key(s) land_boundary_km"),
    Bad("report-string-for-number", report_edit(put("17.3 km", "land", "land_boundary_m")), "must be a number"),
    Bad("report-null-for-number", report_edit(put(None, "maritime", "length_m")), "must be a number"),
    Bad("report-bool-for-number", report_edit(put(True, "crs", "max_scale_error_ppm")), "must be a number"),
    Bad("report-nan", report_edit(put(float("nan"), "maritime", "equidistance_error_m")), "NaN"),
    Bad("report-infinity", report_edit(put(float("inf"), "tripoint", "perpendicular_deviation_deg")), "Infinity"),
    Bad("report-bad-enum", report_edit(lambda data: data["checks"][0].update(kind="roughly")), "is not one of"),
    Bad("report-object-for-list", report_edit(put({}, "checks")), "must be a list"),
    Bad("gpkg-truncated", truncated_gpkg, "cannot read layer"),
    Bad("gpkg-layer-dropped", gpkg_sql("DELETE FROM gpkg_geometry_columns WHERE table_name = 'land_boundary'",
                                       "DELETE FROM gpkg_contents WHERE table_name = 'land_boundary'",
                                       "DROP TABLE land_boundary"), "cannot read layer 'land_boundary'"),
    Bad("gpkg-length-column-dropped", gpkg_sql("ALTER TABLE maritime_boundary DROP COLUMN length_m"),
        "no length_m column"),
    Bad("gpkg-geometry-null", gpkg_sql("UPDATE thalweg SET geom = NULL"), "without a geometry"),
    Bad("gpkg-layer-not-wgs84", layer_in_web_mercator, "not in EPSG:4326"),
    Bad("junit-folder-missing", junit_in_missing_folder, "cannot be written"),
    Bad("config-unknown-setting", config_unknown_setting, "unknown setting"),
]


@pytest.mark.parametrize("bad", BAD, ids=[b.id for b in BAD])
def test_bad_run_folder_gives_one_clear_error(bad, done, run_cli, tmp_path):
    culprit, extra = bad.corrupt(done, tmp_path)
    folder = done
    if extra[:1] == ["--at"]:
        folder, extra = extra[1], extra[2:]
    before = snapshot(tmp_path)
    code, stdout, stderr = check(run_cli, folder, *extra)
    detail = f"\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"
    assert code == 2, detail
    assert "Traceback" not in stdout + stderr, detail
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, detail
    assert errors[0].startswith(f"error: {culprit}: "), detail
    assert bad.phrase.lower() in errors[0].lower(), detail
    assert snapshot(tmp_path) == before, "check changed files"


def test_the_bad_folder_table_covers_schema_lengths_and_files():
    assert len(BAD) >= 20 and len({b.id for b in BAD}) == len(BAD)


# ============================================================ both directions through the command line
@pytest.mark.parametrize("what", ["land", "sea"])
def test_check_fails_a_line_too_long_and_a_line_too_short(what, done, run_cli):
    """The official length set (with --set) so that the measured line is just past the tolerance, both ways:
    the line measured here with pyproj is then too long, then too short; just inside, it passes."""
    from pipeline.config import load_config

    layer = {"land": "land_boundary", "sea": "maritime_boundary"}[what]
    (length,) = geodesic_length(done / "border.gpkg", layer)
    tol = getattr(load_config(CONFIG).official, f"{what}_tolerance_m")
    for official, verdict in ((length - tol - 0.01, "FAIL"), (length + tol + 0.01, "FAIL"),
                              (length - tol + 0.01, "PASS"), (length + tol - 0.01, "PASS")):
        code, stdout, stderr = check(run_cli, done, "--set", f"official.{what}_length_m={official!r}")
        assert lines_by_name(stdout)[f"{what}_length"] == verdict, (official, length, stdout)
        assert code == (1 if verdict == "FAIL" else 0), stdout + stderr


# ============================================================================== JUnit: summary and targets
def test_junit_root_summarises_tests_and_failures(done, run_cli, tmp_path):
    code, stdout, _ = check(run_cli, done, "--land-tolerance", "1", "--sea-tolerance", "1",
                            "--junit-xml", tmp_path / "checks.xml")
    assert code == 1
    root = ET.parse(tmp_path / "checks.xml").getroot()
    cases = root.findall("testsuite/testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    assert root.tag == "testsuites" and root.get("generator") == "tumen-border check"
    assert int(root.get("tests")) == len(cases) == len(lines_by_name(stdout))
    assert int(root.get("failures")) == len(failures) == 2 == sum(v == "FAIL" for v in lines_by_name(stdout).values())


def test_junit_written_before_by_check_is_replaced(done, run_cli, tmp_path):
    for extra in ((), ("--land-tolerance", "1")):
        code, stdout, stderr = check(run_cli, done, "--junit-xml", tmp_path / "checks.xml", *extra)
        assert code in (0, 1), stdout + stderr
    assert int(ET.parse(tmp_path / "checks.xml").getroot().get("failures")) == 1


def _pytest_junit(d: Path, t: Path) -> Path:
    p = t / "pytest.xml"
    p.write_text('<?xml version="1.0"?>\n<testsuites tests="1" failures="0"><testsuite name="pytest"/></testsuites>\n')
    return p


def _users_file(d: Path, t: Path) -> Path:
    p = t / "notes.xml"
    p.write_text("my notes\n")
    return p


def _missing_listed(d: Path, t: Path) -> Path:
    (d / "report.md").unlink()            # still listed in the manifest: the run's, even while missing
    return d / "report.md"


JUNIT_TARGETS = {
    "report.json": lambda d, t: d / "report.json",
    "border.gpkg": lambda d, t: d / "border.gpkg",
    "manifest": lambda d, t: d / ".tumen-border-manifest.json",
    "lock": lambda d, t: d / ".tumen-border.lock",
    "listed-but-missing": _missing_listed,
    "new-file-with-a-run-name": lambda d, t: d / "compare.json",
    "users-file": _users_file,
    "another-tools-junit": _pytest_junit,
    "a-folder": lambda d, t: t,
}


@pytest.mark.parametrize("target", list(JUNIT_TARGETS))
def test_junit_never_overwrites_a_run_file_or_a_file_it_did_not_write(target, done, run_cli, tmp_path):
    path = JUNIT_TARGETS[target](done, tmp_path)
    before = snapshot(tmp_path)
    code, stdout, stderr = check(run_cli, done, "--junit-xml", path)
    assert code == 2 and "Traceback" not in stderr, stdout + stderr
    errors = [x for x in stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {path}: "), stderr
    assert snapshot(tmp_path) == before


# ============================================================================== tampering `check` notices
def forge_manifest(folder: Path) -> None:
    """Rewrite the manifest with the files' current sha256 (a thorough forger): the checks that catch the
    tampering below must not rely on the manifest alone."""
    import hashlib

    path = folder / ".tumen-border-manifest.json"
    m = json.loads(path.read_text())
    m["files"] = {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in m["files"]
                  if (folder / n).exists()}
    path.write_text(json.dumps(m))


def write_layer(folder: Path, layer: str, gdf) -> None:
    """Replace a layer in border.gpkg and its GeoJSON file, as the run writes them."""
    pyogrio.write_dataframe(gdf, folder / "border.gpkg", layer=layer, driver="GPKG")
    pyogrio.write_dataframe(gdf, folder / f"{layer}.geojson", driver="GeoJSON",
                            layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "8", "WRITE_NAME": "NO"})


def read(folder: Path, layer: str):
    return gpd.read_file(folder / "border.gpkg", layer=layer, engine="pyogrio")


def move_both_boundaries(d: Path) -> None:
    """Both boundaries moved 820 m east (GeoPackage and GeoJSON), their length_m recomputed: lengths kept."""
    for layer in ("land_boundary", "maritime_boundary"):
        gdf = read(d, layer)
        gdf = gdf.set_geometry(gdf.geometry.translate(xoff=820 / (111_320 * math.cos(math.radians(42.3)))))
        gdf["length_m"] = [GEOD.geometry_length(g) for g in gdf.geometry]
        write_layer(d, layer, gdf)


def edit_geojson_only(d: Path) -> None:
    data = json.loads((d / "thalweg.geojson").read_text())
    data["features"][0]["geometry"]["coordinates"][3][0] += 0.001
    (d / "thalweg.geojson").write_text(json.dumps(data))


def cut_land_start(d: Path) -> None:
    """The land boundary's first 5 vertices removed, length_m and report.json's lengths updated to match."""
    gdf = read(d, "land_boundary")
    gdf = gdf.set_geometry([shapely.LineString(shapely.get_coordinates(gdf.geometry.iloc[0])[5:])], crs=gdf.crs)
    gdf["length_m"] = [GEOD.geometry_length(g) for g in gdf.geometry]
    write_layer(d, "land_boundary", gdf)
    new = float(gdf["length_m"].iloc[0])
    edit_report(d, lambda r: r.update(total_length_m=r["total_length_m"] - r["land"]["land_boundary_m"] + new)
                or r["land"].update(land_boundary_m=new))


def render_again(d: Path) -> None:
    from pipeline.report import render_markdown
    from pipeline.verify import read_report

    (d / "report.md").write_text(render_markdown(read_report(d / "report.json")))


def drop_tripoint_layer(d: Path) -> None:
    sql(d / "border.gpkg", "DELETE FROM gpkg_geometry_columns WHERE table_name = 'tripoint'",
        "DELETE FROM gpkg_contents WHERE table_name = 'tripoint'", "DROP TABLE tripoint")
    (d / "tripoint.geojson").unlink()


def swap_channel_layers(d: Path) -> None:
    """The thalweg and middle-line layers swapped whole (features and attributes)."""
    thalweg, middle = read(d, "thalweg"), read(d, "channel_middle")
    write_layer(d, "thalweg", middle)
    write_layer(d, "channel_middle", thalweg)


def swap_channel_geometries(d: Path) -> None:
    """Only the geometries swapped (names, in_use flags and length_m kept)."""
    thalweg, middle = read(d, "thalweg"), read(d, "channel_middle")
    write_layer(d, "thalweg", thalweg.set_geometry(list(middle.geometry), crs=thalweg.crs))
    write_layer(d, "channel_middle", middle.set_geometry(list(thalweg.geometry), crs=middle.crs))


TAMPER = {
    # case: (tampering, forge the manifest and report.md afterwards?, checks that must fail)
    "boundaries-moved-820-m": (move_both_boundaries, True,
                               {"tripoint_is_land_boundary_start", "end_point_is_maritime_boundary_end",
                                "land_boundary_follows_line_in_use", "mouth_offset_from_layers"}),
    "geojson-edited-not-gpkg": (edit_geojson_only, False, {"geojson_equals_gpkg", "files_as_written"}),
    "land-start-cut-length-updated": (cut_land_start, True, {"tripoint_is_land_boundary_start"}),
    "report-tripoint-edited": (lambda d: edit_report(d, lambda r: r["tripoint"].update(lat=r["tripoint"]["lat"] + 1e-4)),
                               True, {"tripoint_is_land_boundary_start"}),
    "report-mouth-offset-edited": (lambda d: edit_report(d, lambda r: r["mouth"].update(offset_m=21.2)), True,
                                   {"mouth_offset_from_layers"}),
    "report-crossing-edited": (lambda d: edit_report(d, lambda r: r["mouth"]["crossing"].__setitem__(0, 130.7)),
                               True, {"mouth_offset_from_layers"}),
    "report-end-point-edited": (lambda d: edit_report(d, lambda r: r["maritime"].update(end=[130.9, 42.15])), True,
                                {"end_point_is_maritime_boundary_end"}),
    "tripoint-layer-deleted": (drop_tripoint_layer, True, {"tripoint_is_land_boundary_start"}),
    "channel-layers-swapped": (swap_channel_layers, True,
                               {"in_use_flags", "land_boundary_follows_line_in_use", "stored_length_report"}),
    "channel-geometries-swapped": (swap_channel_geometries, True,
                                   {"land_boundary_follows_line_in_use", "stored_length_report",
                                    "stored_length_thalweg", "stored_length_channel_middle"}),
    "in-use-flag-edited": (lambda d: sql(d / "border.gpkg", "UPDATE maritime_equidistance SET in_use = 1"), False,
                           {"in_use_flags", "files_as_written", "geojson_equals_gpkg"}),
    "report-md-edited": (lambda d: (d / "report.md").write_text((d / "report.md").read_text().replace("17,2", "17,0")),
                         False, {"report_md_renders_report_json", "files_as_written"}),
    "file-deleted": (lambda d: (d / "closing_line.geojson").unlink(), False,
                     {"files_as_written", "geojson_equals_gpkg"}),
    "file-added": (lambda d: (d / "map.png").write_bytes(b"\x89PNG not the run's"), False, {"files_as_written"}),
    "manifest-deleted": (lambda d: (d / ".tumen-border-manifest.json").unlink(), False, {"files_as_written"}),
    "layer-field-dropped": (lambda d: sql(d / "border.gpkg", "ALTER TABLE coast DROP COLUMN source"), True,
                            {"layers_as_catalogued", "geojson_equals_gpkg"}),
}


@pytest.mark.parametrize("case", list(TAMPER))
def test_check_notices_tampering_and_names_it(case, done, run_cli, tmp_path):
    tamper, forge, expected = TAMPER[case]
    tamper(done)
    if forge:
        render_again(done)
        forge_manifest(done)
    code, stdout, stderr = check(run_cli, done, "--junit-xml", tmp_path / "checks.xml")
    assert code == 1 and "Traceback" not in stderr, stdout + stderr
    assert expected <= failed(stdout), (expected - failed(stdout), stdout)
    if not forge:
        assert failed(stdout) == expected, stdout
    cases = junit(tmp_path / "checks.xml")[1]
    assert all(cases[n].find("failure") is not None for n in expected)


def test_report_json_holds_unrounded_figures(done):
    """The README promises report.json's figures unrounded: they equal the geometry's, measured here with
    pyproj, to 1e-6 m, and are not numbers rounded to a few decimals."""
    rep = json.loads((done / "report.json").read_text())
    (land,) = geodesic_length(done / "border.gpkg", "land_boundary")
    (sea,) = geodesic_length(done / "border.gpkg", "maritime_boundary")
    assert abs(rep["land"]["land_boundary_m"] - land) < 1e-6 and abs(rep["maritime"]["length_m"] - sea) < 1e-6
    figures = [rep["land"]["land_boundary_m"], rep["maritime"]["length_m"], rep["mouth"]["offset_m"],
               rep["tripoint"]["lon"], rep["tripoint"]["lat"], rep["crs"]["max_scale_error_ppm"],
               *rep["maritime"]["end_distance_to_baselines_m"].values()]
    assert all(v != round(v, 6) for v in figures), figures


# ============================================================================== compare: runs missing parts
COMPARE_BAD = {
    "islands-without-side": ("ALTER TABLE islands DROP COLUMN side", "no 'side' column"),
    "points-without-label": ("ALTER TABLE boundary_points DROP COLUMN label", "no 'label' column"),
    "points-layer-dropped": ("DROP TABLE boundary_points", "cannot read layer 'boundary_points'"),
    "land-boundary-dropped": ("DROP TABLE land_boundary", "cannot read layer 'land_boundary'"),
}


@pytest.mark.parametrize("case", list(COMPARE_BAD))
def test_compare_of_a_run_missing_a_layer_or_column_is_one_error_line(case, done, previous_outputs, run_cli,
                                                                      tmp_path):
    statement, phrase = COMPARE_BAD[case]
    table = statement.split()[2]
    sql(done / "border.gpkg", *([f"DELETE FROM gpkg_geometry_columns WHERE table_name = '{table}'",
                                 f"DELETE FROM gpkg_contents WHERE table_name = '{table}'"]
                                if statement.startswith("DROP") else []), statement)
    before = snapshot(tmp_path)
    code, stdout, stderr = run_cli(["compare", previous_outputs, done, "--out", tmp_path / "cmp", "--config", CONFIG])
    assert code == 2 and "Traceback" not in stdout + stderr, stdout + stderr
    errors = [x for x in stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {done / 'border.gpkg'}: ") and phrase in errors[0], stderr
    assert snapshot(tmp_path) == before


def test_an_empty_layer_is_checked_not_refused(done, run_cli):
    """A case without monuments writes an empty layer (and a GeoJSON file without features, which keeps no
    field list): check compares them as equal instead of refusing the run (found on the Jakobselva case)."""
    sql(done / "border.gpkg", "DELETE FROM monuments")
    (done / "monuments.geojson").write_text('{"type": "FeatureCollection", "features": []}\n')
    forge_manifest(done)
    code, stdout, stderr = check(run_cli, done)
    assert code == 0, stdout + stderr
