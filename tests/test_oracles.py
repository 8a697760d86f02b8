"""Oracles: every figure the report states, recomputed from the OUTPUT FILES with code that shares nothing
with the pipeline, and compared with ``report.json`` and with ``report.md``.

The bundled case runs once (``tumen-border run --config inputs/tumen/tumen.toml --out <tmp>``, as
``python -m pipeline.cli`` so that the interpreter and the checkout are those of this test run). Then:

* geodesics with ``geographiclib`` (the pipeline uses ``pyproj.Geod``), datums with ``pyproj.Transformer``
  called directly, planar geometry with plain ``shapely`` in a local azimuthal equidistant projection, the
  inputs read with ``csv``/``tomllib``/``pyogrio`` (helpers in ``tests/oracle_helpers.py``, which does not
  import :mod:`pipeline`);
* each figure must agree with ``report.json`` (tolerances far below the faults they guard against, see each
  test) and ``report.md`` must show the same number rounded to the decimals it prints.

``scripts/mutation_check.py`` plants the faults these tests exist for and checks that they are caught.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Point

from oracle_helpers import (GeodesicPolyline, Layer, Plane, as_float, deviation_from_right_angle_deg, direct,
                            distance_m, geometry_length_m, inverse, island_branches,
                            line_length_m, line_of, md_sections, md_tables, middle_line_equidistance_error_m,
                            numbers, point_along, points_along, polygon_area_m2, read_layer, read_points_csv,
                            shows, side_of, transform_points)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "inputs" / "tumen" / "tumen.toml"
WGS84_CRS = "EPSG:4326"


def _env() -> dict:
    """The environment of the subprocesses: this checkout first on the import path."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, timeout=600)


# ============================================================================================ the run
@dataclass
class Run:
    out: Path            # the folder holding the run's files (its failed-run folder if a check failed)
    report: dict
    md: str
    cfg: dict            # the TOML as read by tomllib (not the pipeline's config loader)
    points: dict         # the treaty points CSV as read by csv
    exit_code: int
    stdout: str

    @property
    def gpkg(self) -> Path:
        return self.out / "border.gpkg"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    """The bundled case, run once. When one of its own checks fails (exit 1) the oracles still judge the
    failed run's files, so that a fault is reported by what it breaks, not only by the run's exit status
    (:func:`test_the_bundled_run_passes_its_own_checks` fails then too)."""
    out = tmp_path_factory.mktemp("oracle") / "outputs"
    proc = _cli("run", "--config", str(CONFIG), "--out", str(out))
    assert proc.returncode in (0, 1), f"exit {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    files = out
    if proc.returncode == 1:
        m = re.search(r"this run's files are in (\S+)$", proc.stdout, re.M)
        assert m, proc.stdout[-3000:]
        files = Path(m.group(1))
    cfg = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    return Run(files, json.loads((files / "report.json").read_text(encoding="utf-8")),
               (files / "report.md").read_text(encoding="utf-8"), cfg,
               read_points_csv(CONFIG.parent / cfg["inputs"]["points"]), proc.returncode, proc.stdout)


class Oracle:
    """Figures recomputed from the files of ``run`` (lon/lat WGS 84; metres on the ellipsoid)."""

    def __init__(self, run: Run):
        self.run = run
        self.cfg = run.cfg

    # ------------------------------------------------------------------ settings (read from the TOML)
    @cached_property
    def sides(self) -> tuple[str, str]:
        return self.cfg["sides"]["left"], self.cfg["sides"]["right"]

    @cached_property
    def area(self) -> tuple[float, float, float, float]:
        return tuple(self.cfg["inputs"]["coast_extent"])

    @cached_property
    def breadth_m(self) -> float:
        m = self.cfg.get("maritime", {})
        return float(m.get("territorial_sea_nm", 12.0)) * float(m.get("nautical_mile_m", 1852.0))

    @cached_property
    def check_points(self) -> int:
        return int(self.cfg.get("maritime", {}).get("limit_check_points", 200))

    # ------------------------------------------------------------------ treaty points through pyproj
    def crs_used(self, pid: str) -> str:
        return self.run.points[pid]["crs"] or self.cfg["treaty"]["unstated_datum_crs"]

    @cached_property
    def wgs84(self) -> dict[str, tuple[float, float]]:
        """Every CSV point in WGS 84: pyproj's best operation from its published datum, for the data extent."""
        out = {}
        for pid, r in self.run.points.items():
            src = self.crs_used(pid)
            ll = (r["lon"], r["lat"]) if src == WGS84_CRS else \
                tuple(transform_points([(r["lon"], r["lat"])], src, WGS84_CRS, self.area)[0])
            out[pid] = (float(ll[0]), float(ll[1]))
        return out

    @property
    def B(self):
        return self.wgs84[self.cfg["treaty"]["mouth_point"]]

    @property
    def E(self):
        return self.wgs84[self.cfg["treaty"]["end_point"]]

    # ------------------------------------------------------------------ layers
    @cached_property
    def layers(self) -> dict[str, Layer]:
        return {str(n): read_layer(self.run.gpkg, str(n)) for n, t in pyogrio.list_layers(self.run.gpkg)
                if t is not None}

    def line(self, layer: str) -> LineString:
        return line_of(self.layers[layer].geoms[0])

    def mean_depth_m(self, layer: str, step_m: float = 5.0) -> float:
        """Mean of the depth raster's cells under a line layer sampled every ``step_m``."""
        import rasterio

        with rasterio.open(CONFIG.parent / self.cfg["inputs"]["depth"]) as ds:
            grid = ds.read(1, masked=True).filled(np.nan)
            xy = self.plane.geom(self.line(layer))
            ll = self.plane.lonlat(shapely.get_coordinates(shapely.segmentize(xy, step_m)))
            u = transform_points(ll, WGS84_CRS, ds.crs.to_string(), self.area)
            rows, cols = rasterio.transform.rowcol(ds.transform, u[:, 0], u[:, 1])
        return float(np.nanmean(grid[np.asarray(rows), np.asarray(cols)]))

    @cached_property
    def plane(self) -> Plane:
        w, s, e, n = self.area
        return Plane(((w + e) / 2, (s + n) / 2))

    @cached_property
    def A(self) -> tuple[float, float]:
        _, g = self.layers["tripoint"].one(label="A")
        return g.x, g.y

    @cached_property
    def crossing(self) -> tuple[float, float]:
        """Where the land boundary first meets the closing line (planar intersection, then lon/lat)."""
        land = self.plane.geom(self.line("land_boundary"))
        closing = self.plane.geom(self.line("closing_line"))
        hits = shapely.get_parts(land.intersection(closing))
        assert len(hits), "the land boundary does not meet the closing line"
        first = min(hits, key=lambda p: land.project(p))
        return tuple(self.plane.lonlat(np.asarray(first.coords))[0])

    @cached_property
    def baselines(self) -> dict[str, GeodesicPolyline]:
        """Each side's baseline rebuilt from the files: its ``coast`` feature plus its half of the closing line,
        from the closing line's end nearer to that coast to where the land boundary meets the closing line."""
        tips = np.asarray(self.line("closing_line").coords)
        out = {}
        for side in self.sides:
            _, coast = self.layers["coast"].one(side=side)
            coast_xy = self.plane.geom(coast)
            tip = min(tips, key=lambda t: coast_xy.distance(Point(self.plane.xy(t)[0])))
            lines = [np.asarray(p.coords) for p in shapely.get_parts(coast)] + [np.array([tip, self.crossing])]
            out[side] = GeodesicPolyline(lines, self.plane)
        return out

    def limit(self, side: str):
        _, g = self.layers["territorial_sea_limits"].one(side=side)
        return g

    def sampled(self, geom, n: int, start_m: float = 0.0) -> np.ndarray:
        """``n`` points spread evenly (geodesic arc length) over a (multi)line, each part getting its share."""
        parts = [np.asarray(p.coords) for p in shapely.get_parts(geom)]
        lengths = [line_length_m(p) for p in parts]
        total = sum(lengths)
        return np.vstack([points_along(p, np.linspace(start_m, L, max(2, int(round(n * L / total)))))
                          for p, L in zip(parts, lengths)])


@pytest.fixture(scope="module")
def oracle(run) -> Oracle:
    return Oracle(run)


# ============================================================================================ report.md
class Md:
    def __init__(self, text: str):
        self.text = text
        self.sections = md_sections(text)

    def section(self, title: str) -> str:
        found = [v for k, v in self.sections.items() if k.startswith(title)]
        assert found, f"report.md has no section {title!r}"
        return found[0]

    def table(self, title: str, first_header: str) -> list[dict]:
        for t in md_tables(self.section(title)):
            if t and next(iter(t[0])) == first_header:
                return t
        raise AssertionError(f"report.md: no table starting with {first_header!r} in {title!r}")

    def row(self, title: str, first_header: str, starts: str) -> dict:
        rows = [r for r in self.table(title, first_header) if r[first_header].startswith(starts)]
        assert len(rows) == 1, f"report.md {title!r}: {len(rows)} rows starting with {starts!r}"
        return rows[0]

    def find(self, title: str, pattern: str) -> re.Match:
        m = re.search(pattern, self.section(title))
        assert m, f"report.md {title!r}: nothing matches {pattern!r}"
        return m


@pytest.fixture(scope="module")
def md(run) -> Md:
    return Md(run.md)


def assert_shows(written: str, value: float, what: str) -> None:
    assert shows(written, value), f"report.md shows {what} as {written!r}; report.json has {value!r}"


def pairs(text: str) -> dict[str, str]:
    """'RUS 0.229 m, PRK 0.153 m' -> {'RUS': '0.229', 'PRK': '0.153'}."""
    return {k: v for k, v in re.findall(r"([A-Z]{3}) ([-\d,.]+) m", text)}


def check(report: dict, name: str) -> dict:
    found = [c for c in report["checks"] if c["name"] == name]
    assert len(found) == 1, f"report.json: {len(found)} checks named {name!r}"
    return found[0]


# ============================================================================================ tests
def test_the_pipeline_under_test_is_this_checkout():
    """The subprocess and this process import ``pipeline`` from this checkout (a copy, under mutation)."""
    proc = subprocess.run([sys.executable, "-c", "import pipeline.cli, pipeline; print(pipeline.__file__)"],
                          cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).resolve().parent == ROOT / "pipeline"
    import pipeline

    assert Path(pipeline.__file__).resolve().parent == ROOT / "pipeline"


def test_land_and_sea_lengths_are_geodesic_sums_over_the_files_vertices(run, oracle, md):
    """Lengths: geographiclib sums over the vertices of each layer, against report.json and report.md.

    Catches lengths measured in a projection (UTM: ~160 ppm, 2.8 m here; the local TM: ~0.2 m) or on the
    wrong line; 1 cm tolerance.
    """
    rep, land = run.report, run.report["land"]
    mine = {
        "land": line_length_m(oracle.line("land_boundary").coords),
        "sea": line_length_m(oracle.line("maritime_boundary").coords),
        "thalweg": line_length_m(oracle.line("thalweg").coords),
        "middle": line_length_m(oracle.line("channel_middle").coords),
        "junction": distance_m(oracle.crossing, oracle.B),
    }
    in_use = mine[land["border_line"]]
    expected_json = [
        (land["land_boundary_m"], mine["land"], "land.land_boundary_m"),
        (check(rep, "land_length")["value"], mine["land"], "check land_length"),
        (rep["maritime"]["length_m"], mine["sea"], "maritime.length_m"),
        (check(rep, "sea_length")["value"], mine["sea"], "check sea_length"),
        (rep["total_length_m"], mine["land"] + mine["sea"], "total_length_m"),
        (land["channel_part_m"], in_use, "land.channel_part_m"),
        (land["thalweg_m"], mine["thalweg"], "land.thalweg_m"),
        (land["middle_m"], mine["middle"], "land.middle_m"),
        (land["junction_segment_m"], mine["junction"], "land.junction_segment_m"),
    ]
    for got, want, what in expected_json:
        assert got == pytest.approx(want, abs=0.01), what
    assert mine["land"] == pytest.approx(in_use + mine["junction"], abs=0.01)
    rows = [("land boundary", land["land_boundary_m"]), ("… of which the channel line", land["channel_part_m"]),
            ("… of which closing line", land["junction_segment_m"]), ("middle of the main channel", land["middle_m"]),
            ("thalweg", land["thalweg_m"]), ("maritime boundary", rep["maritime"]["length_m"]),
            ("total", rep["total_length_m"])]
    for label, value in rows:
        cell = md.row("Lengths", "line", label)["geodesic length"]
        assert_shows(numbers(cell)[0], value, f"the length of {label!r}")


def test_every_length_m_attribute_is_the_geodesic_length_of_its_geometry(run, oracle):
    """``length_m`` of every line feature, in the GeoPackage (1 cm) and in each GeoJSON file (5 cm: 8 decimals)."""
    seen = set()
    for name, layer in oracle.layers.items():
        for row, geom in zip(layer.rows, layer.geoms):
            if "length_m" in row:
                assert row["length_m"] == pytest.approx(geometry_length_m(geom), abs=0.01), f"border.gpkg {name}"
                seen.add(name)
    assert {"land_boundary", "maritime_boundary", "territorial_sea_limits", "closing_line", "channel_middle",
            "maritime_equidistance"} <= seen
    for path in sorted(run.out.glob("*.geojson")):
        layer = read_layer(path)
        for row, geom in zip(layer.rows, layer.geoms):
            if "length_m" in row:
                assert row["length_m"] == pytest.approx(geometry_length_m(geom), abs=0.05), path.name


def test_treaty_points_datum_shifts_are_pyproj_transforms_of_the_csv(run, oracle, md):
    """Datum rows: the CSV's figures through pyproj (EPSG:4284 -> 4326 for Pulkovo 1942 and for points whose
    datum the treaty leaves unstated, as the config says), and the shift as a geographiclib distance."""
    rows = {r["id"]: r for r in run.report["datums"]}
    transformed = {pid for pid in run.points if oracle.crs_used(pid) != WGS84_CRS}
    assert transformed <= set(rows), "every transformed point has a datum row"
    table = {r["point"]: r for r in md.table("Datums", "point")}
    for pid in transformed:
        r, csv_row = rows[pid], run.points[pid]
        assert r["crs_used"] == oracle.crs_used(pid)
        assert r["as_printed"] == pytest.approx([csv_row["lon"], csv_row["lat"]], abs=1e-12)
        assert r["wgs84"] == pytest.approx(list(oracle.wgs84[pid]), abs=1e-9), pid
        shift = distance_m((csv_row["lon"], csv_row["lat"]), oracle.wgs84[pid])
        assert r["shift_m"] == pytest.approx(shift, abs=1e-3), pid
        cells = table[pid]
        assert_shows(numbers(cells["distance between the readings"])[0], r["shift_m"], f"{pid} datum shift")
        lat, lon = numbers(cells["as read → WGS 84"])[:2]
        assert_shows(lat, r["wgs84"][1], f"{pid} latitude")
        assert_shows(lon, r["wgs84"][0], f"{pid} longitude")
    # the monuments as placed in the files, and the two records of the same sign
    for row, g in zip(oracle.layers["monuments"].rows, oracle.layers["monuments"].geoms):
        assert (g.x, g.y) == pytest.approx(oracle.wgs84[row["label"]], abs=1e-9), row["label"]
    tp = run.cfg["tripoint"]
    record = distance_m(oracle.wgs84[tp["monument"]], oracle.wgs84[tp["compare_monument"]])
    assert run.report["tripoint"]["record_disagreement_m"] == pytest.approx(record, abs=1e-3)
    assert check(run.report, "monument_records_agree")["value"] == pytest.approx(record, abs=1e-3)


def test_B_and_E_in_the_files_are_the_csv_points_after_the_datum_transform(run, oracle, md):
    """B and E as written (boundary points, both boundaries' ends, report.json, report.md) are the CSV's figures
    after pyproj's Pulkovo 1942 -> WGS 84 (1 mm); land end == sea start at B."""
    B, E = oracle.B, oracle.E
    pts = oracle.layers["boundary_points"]
    for pid, want in ((run.cfg["treaty"]["mouth_point"], B), (run.cfg["treaty"]["end_point"], E)):
        _, g = pts.one(label=pid)
        assert distance_m((g.x, g.y), want) < 1e-3, f"{pid} in boundary_points"
    land, sea = oracle.line("land_boundary"), oracle.line("maritime_boundary")
    assert distance_m(land.coords[-1], B) < 1e-3, "the land boundary ends at B"
    assert distance_m(sea.coords[0], B) < 1e-3, "the maritime boundary starts at B"
    assert distance_m(land.coords[-1], sea.coords[0]) < 1e-3, "land end == sea start"
    assert distance_m(sea.coords[-1], E) < 1e-3, "the maritime boundary ends at E"
    mar, mouth = run.report["maritime"], run.report["mouth"]
    for got, want, what in ((mar["start"], B, "maritime.start"), (mar["end"], E, "maritime.end"),
                            (mar["end_point_lonlat"], E, "maritime.end_point_lonlat"),
                            (mouth["treaty_lonlat"], B, "mouth.treaty_lonlat"),
                            (mouth["junction"], B, "mouth.junction")):
        assert distance_m(tuple(got), want) < 1e-3, what
    assert mouth["junction_gap_m"] == pytest.approx(0.0, abs=1e-3)
    m = md.find("Maritime boundary", r"from ([\d.]+) N, ([\d.]+) E to ([\d.]+) N, ([\d.]+) E, ([\d,.]+) m\.")
    for written, value in zip(m.groups()[:4], (mar["start"][1], mar["start"][0], mar["end"][1], mar["end"][0])):
        assert_shows(written, value, "a maritime boundary end")
    assert_shows(m.group(5), mar["length_m"], "the maritime boundary length")


def test_the_agreed_line_is_the_geodesic_from_B_to_E(run, oracle, md):
    """Every vertex of the maritime boundary lies on the geodesic B -> E (1 cm), in order; length and initial
    azimuth are those of that geodesic."""
    B, E = oracle.B, oracle.E
    length, azimuth, _ = inverse(B, E)
    last = -1.0
    for v in oracle.line("maritime_boundary").coords:
        s = distance_m(B, v)
        assert distance_m(v, point_along(B, E, s)) < 0.01, f"vertex {v} is off the geodesic B -> E"
        assert s >= last
        last = s
    mar = run.report["maritime"]
    assert mar["agreed_length_m"] == pytest.approx(length, abs=0.01)
    assert mar["agreed_azimuth_deg"] == pytest.approx(azimuth, abs=1e-6)
    m = md.find("Maritime boundary", r"geodesic ([\d,.]+) m, initial azimuth ([\d.]+)°")
    assert_shows(m.group(1), mar["agreed_length_m"], "the agreed line's length")
    assert_shows(m.group(2), mar["agreed_azimuth_deg"], "the agreed line's azimuth")


def test_mouth_crossing_offset_to_B_and_closing_line(run, oracle, md):
    """Where the land boundary meets the closing line, and its geodesic offset and azimuth to B."""
    mouth = run.report["mouth"]
    crossing = oracle.crossing
    assert distance_m(tuple(mouth["crossing"]), crossing) < 1e-3
    _, g = oracle.layers["boundary_points"].one(label="mouth")
    assert distance_m((g.x, g.y), crossing) < 1e-3
    offset, azimuth, _ = inverse(crossing, oracle.B)
    assert mouth["offset_m"] == pytest.approx(offset, abs=1e-3)
    assert mouth["offset_azimuth_deg"] == pytest.approx(azimuth, abs=1e-4)
    assert check(run.report, "mouth_offset_to_treaty_point")["value"] == pytest.approx(offset, abs=1e-3)
    closing = line_length_m(oracle.line("closing_line").coords)
    assert mouth["closing_line_length_m"] == pytest.approx(closing, abs=1e-3)
    m = md.find("Mouth", r"\*\*([\d,.]+) m\*\* from treaty point (\w+) \(([\d.]+) N, ([\d.]+) E\), azimuth ([\d.]+)°")
    assert m.group(2) == run.cfg["treaty"]["mouth_point"]
    assert_shows(m.group(1), mouth["offset_m"], "the mouth offset")
    assert_shows(m.group(3), oracle.B[1], "B's latitude")
    assert_shows(m.group(4), oracle.B[0], "B's longitude")
    assert_shows(m.group(5), mouth["offset_azimuth_deg"], "the mouth offset azimuth")
    assert_shows(md.find("Mouth", r"Closing line ([\d,.]+) m").group(1), closing, "the closing line length")


def test_the_land_boundary_is_the_channel_line_the_config_asks_for(run, oracle):
    """``land.border_line = auto`` with a depth input: the thalweg. The land boundary is that layer's line
    from the tripoint, then the straight junction to B; the other line is a different one."""
    want = run.cfg["land"].get("border_line", "auto")
    if want == "auto":
        want = "thalweg" if run.cfg["inputs"].get("depth") else "middle"
    assert run.report["land"]["border_line"] == want
    layer = {"thalweg": "thalweg", "middle": "channel_middle"}
    land = np.asarray(oracle.line("land_boundary").coords)
    used = np.asarray(oracle.line(layer[want]).coords)
    other = np.asarray(oracle.line(layer["middle" if want == "thalweg" else "thalweg"]).coords)
    assert len(land) == len(used) + 1
    assert np.abs(land[:-1] - used).max() < 1e-9
    assert distance_m(tuple(used[0]), oracle.A) < 1e-3, "the line in use starts at the tripoint A"
    assert not (len(other) == len(used) and np.abs(other - used).max() < 1e-6)
    assert oracle.layers[layer[want]].rows[0]["in_use"] == 1
    if run.cfg["inputs"].get("depth"):
        # the thalweg is the deepest line: deeper on average than the middle line (depth raster read with
        # rasterio, the lines sampled every 5 m and taken to the raster's CRS with pyproj)
        depth = {name: oracle.mean_depth_m(name) for name in ("thalweg", "channel_middle")}
        assert depth["thalweg"] > depth["channel_middle"], depth


def test_the_tripoint_is_on_the_dividing_line_and_the_perpendicular_is_its_check(run, oracle, md):
    """1998 agreement, Art. 3(1) and 1(2): A (as written in the tripoint layer, report.json and report.md) lies
    on the geodesic through markers 1 and 2 after their datum transforms (geographiclib's direct problem along
    it) and is where the land boundary starts. Art. 1(1): the foot of the perpendicular from the monument is
    reported beside it, with its distance to A and to the monument; the angle between the dividing line and
    the line in use is the reported one (within 2 deg: the files hold the line from A on only, so the oracle's
    chord is one-sided)."""
    tp, tcfg = run.report["tripoint"], run.cfg["tripoint"]
    assert tcfg["rule"] == "dividing_line" and tp["rule"] == "dividing_line"
    m1, m2 = (oracle.wgs84[i] for i in tcfg["dividing_line"])
    A = oracle.A
    assert distance_m((tp["lon"], tp["lat"]), A) < 1e-3
    s1a = distance_m(m1, A)
    _, az12, _ = inverse(m1, m2)
    on_line = direct(m1, az12, s1a)
    assert distance_m(on_line, A) < 0.01, "A lies on the geodesic through the two markers"
    d = tp["dividing"]
    assert (d["marker1"], d["marker2"]) == tuple(tcfg["dividing_line"])
    assert d["length_m"] == pytest.approx(distance_m(m1, m2), abs=1e-3)
    land = oracle.line("land_boundary")
    assert distance_m(tuple(land.coords[0]), A) < 1e-3
    ahead = points_along(land.coords, [tp["direction_window_m"] / 2])[0]
    angle = deviation_from_right_angle_deg(inverse(A, m2)[1], inverse(A, tuple(ahead))[1])
    assert d["angle_deviation_deg"][tp["line"]] == pytest.approx(angle, abs=2.0)
    assert check(run.report, f"dividing_line_angle_{tp['line']}")["value"] == d["angle_deviation_deg"][tp["line"]]
    # the perpendicular from the monument (Art. 1(1)), on the line in use
    M = oracle.wgs84[tcfg["monument"]]
    P = tp["perpendicular"]
    assert P["monument"] == tcfg["monument"]
    assert P["distance_to_monument_m"] == pytest.approx(distance_m((P["lon"], P["lat"]), M), abs=1e-3)
    assert P["distance_to_tripoint_m"] == pytest.approx(distance_m((P["lon"], P["lat"]), A), abs=1e-3)
    assert d["construction_distance_m"][tp["line"]] == pytest.approx(P["distance_to_tripoint_m"], abs=1e-6)
    assert P["perpendicular_deviation_deg"] <= tcfg["max_perpendicular_error_deg"]
    assert check(run.report, "tripoint_perpendicular")["value"] == tp["perpendicular_deviation_deg"]
    # report.md states A and the construction
    m = md.find("Tripoint A", r"\*\*([\d.]+) N, ([\d.]+) E\*\* \(WGS 84\)")
    assert_shows(m.group(1), tp["lat"], "A's latitude")
    assert_shows(m.group(2), tp["lon"], "A's longitude")
    m = md.find("Tripoint A", r"([\d,.]+) m apart, azimuth ([\d.]+)°")
    assert_shows(m.group(1), d["length_m"], "the markers' distance")
    # the same on the other channel line: A there is where that layer starts
    other = tp["on_other_line"]
    line = oracle.line({"middle": "channel_middle", "thalweg": "thalweg"}[other["line"]])
    foot = line.coords[0]
    assert distance_m((other["lon"], other["lat"]), foot) < 1e-3
    assert distance_m(direct(m1, az12, distance_m(m1, foot)), foot) < 0.01, "on the dividing line too"
    assert other["distance_to_tripoint_m"] == pytest.approx(distance_m(foot, A), abs=1e-3)
    # from the other record of the monument (after its datum transform): its perpendicular foot, as far from
    # the monument's own foot as the two records are apart at most
    comp, cid = tp["from_compare_monument"], tcfg["compare_monument"]
    assert comp["monument"] == cid
    C = (comp["lon"], comp["lat"])
    assert comp["distance_to_monument_m"] == pytest.approx(distance_m(C, oracle.wgs84[cid]), abs=1e-3)
    assert comp["distance_to_tripoint_m"] == pytest.approx(distance_m(C, A), abs=1e-3)
    assert distance_m(C, (P["lon"], P["lat"])) <= distance_m(M, oracle.wgs84[cid]) + 0.5


def test_monument_table_distances_and_azimuths(run, oracle, md):
    """Each monument's geodesic distance and azimuth to A (geographiclib), in report.json, the monuments layer
    and report.md."""
    A = oracle.A
    rows = {r["id"]: r for r in run.report["tripoint"]["monuments"]}
    layer = {r["label"]: r for r in oracle.layers["monuments"].rows}
    table = {r["monument"].split(":")[0]: r for r in md.table("Tripoint A", "monument")}
    monuments = [pid for pid, r in run.points.items() if r["kind"] == "monument"]
    assert set(rows) == set(monuments)
    for pid in monuments:
        d, az, _ = inverse(oracle.wgs84[pid], A)
        r = rows[pid]
        assert (r["lon"], r["lat"]) == pytest.approx(oracle.wgs84[pid], abs=1e-9), pid
        assert r["distance_m"] == pytest.approx(d, abs=1e-3), pid
        assert r["azimuth_deg"] == pytest.approx(az, abs=1e-5), pid
        assert layer[pid]["dist_to_tripoint_m"] == pytest.approx(d, abs=1e-3), pid
        assert layer[pid]["azimuth_to_tripoint_deg"] == pytest.approx(az, abs=1e-5), pid
        assert_shows(numbers(table[pid]["distance to A"])[0], r["distance_m"], f"{pid} distance")
        assert_shows(numbers(table[pid]["azimuth to A"])[0], r["azimuth_deg"], f"{pid} azimuth")


def test_tripoint_in_the_second_datum_is_the_pyproj_transform_of_A(run, oracle, md):
    """A in ``tripoint.second_crs`` (Pulkovo 1942 here): pyproj's transform of A as written in the files."""
    crs = run.cfg["tripoint"].get("second_crs", "")
    if not crs:
        pytest.skip("no tripoint.second_crs in the config")
    tp = run.report["tripoint"]
    lon, lat = transform_points([oracle.A], WGS84_CRS, crs, oracle.area)[0]
    assert (tp["lon_second_datum"], tp["lat_second_datum"]) == pytest.approx((lon, lat), abs=1e-9)
    row, _ = oracle.layers["tripoint"].one(label="A")
    assert (row["lon_second_datum"], row["lat_second_datum"]) == pytest.approx((lon, lat), abs=1e-9)
    m = md.find("Tripoint A", r"\(WGS 84\); ([\d.]+) N, ([\d.]+) E \(")
    assert_shows(m.group(1), lat, "A's latitude in the second datum")
    assert_shows(m.group(2), lon, "A's longitude in the second datum")


def test_territorial_sea_limits_are_12_nm_from_their_own_baseline(run, oracle, md):
    """Each limit's vertices are the breadth (12 x 1852 m, from the TOML) from that side's baseline rebuilt from
    the files (geodesic, within ``max_limit_error_m``); the self-reported worst error is recomputed the way it
    is defined (``limit_check_points`` points spread along the limit) and must agree within 5 mm."""
    mar = run.report["maritime"]
    breadth = oracle.breadth_m
    assert mar["breadth_m"] == pytest.approx(breadth, abs=1e-9)
    assert_shows(md.find("Maritime boundary", r"\(breadth ([\d,]+) m\)").group(1), breadth, "the breadth")
    tolerance = run.cfg["maritime"]["max_limit_error_m"]
    errors = {}
    for side in oracle.sides:
        limit = oracle.limit(side)
        vertices = np.vstack([np.asarray(p.coords) for p in shapely.get_parts(limit)])
        d = oracle.baselines[side].distances_m(vertices)
        assert np.abs(d - breadth).max() <= tolerance, f"{side} limit: {d.min() - breadth:+.2f} .. " \
                                                       f"{d.max() - breadth:+.2f} m off the breadth"
        sampled = oracle.baselines[side].distances_m(oracle.sampled(limit, oracle.check_points))
        errors[side] = float(np.abs(sampled - breadth).max())
        assert mar["limit_error_m"][side] == pytest.approx(errors[side], abs=0.005), side
        assert mar["limit_lengths_m"][side] == pytest.approx(geometry_length_m(limit), abs=0.01), side
    assert check(run.report, "territorial_sea_limit_error")["value"] == pytest.approx(max(errors.values()), abs=0.005)
    m = md.find("Maritime boundary", r"(?m)worst geodesic error (.*?); lengths within the data extent (.*)\.$")
    shown_err, shown_len = pairs(m.group(1)), pairs(m.group(2))
    for side in oracle.sides:
        assert_shows(shown_err[side], mar["limit_error_m"][side], f"the {side} limit error")
        assert_shows(shown_len[side], mar["limit_lengths_m"][side], f"the {side} limit length")


def test_each_limit_lies_on_its_own_side_of_the_maritime_boundary(run, oracle):
    """Looking seaward along the maritime boundary (continued along its geodesic), the left state's limit lies
    on the left and the right state's on the right: every vertex of it but its ends on the boundary."""
    sea = oracle.line("maritime_boundary")
    end, before = sea.coords[-1], sea.coords[-2]
    azimuth_on = inverse(before, end)[2]
    extension = [direct(end, azimuth_on, s) for s in np.arange(500.0, 3 * oracle.breadth_m, 500.0)]
    divider = oracle.plane.geom(LineString([*sea.coords, *extension]))
    for side, want in zip(oracle.sides, (1, -1)):
        row, limit = oracle.layers["territorial_sea_limits"].one(side=side)
        xy = oracle.plane.xy(shapely.get_coordinates(limit))
        off = shapely.distance(shapely.points(xy), divider) > 0.01     # a limit ends on the divider
        assert off.mean() > 0.9
        got = side_of(xy[off], divider)
        assert (got == want).all(), f"{side}: {np.sum(got != want)} of {len(got)} limit vertices on the wrong side"


def test_end_point_distances_and_limit_crossings(run, oracle, md):
    """E's geodesic distance to each baseline; where the agreed line (continued) crosses each limit: on the
    geodesic B -> E, at the breadth from that side's baseline, at the stated distance from E."""
    mar, E, B = run.report["maritime"], oracle.E, oracle.B
    shown = pairs(md.find("Maritime boundary", r"\(breadth [\d,]+ m\): (.*)").group(1))
    for side in oracle.sides:
        d = oracle.baselines[side].distance_m(E)
        assert mar["end_distance_to_baselines_m"][side] == pytest.approx(d, abs=0.01), side
        assert check(run.report, f"end_point_breadth_{side}")["value"] == pytest.approx(d, abs=0.01), side
        assert_shows(shown[side], mar["end_distance_to_baselines_m"][side], f"E's distance to the {side} baseline")
    for c in mar["limit_crossings"]:
        p = (c["lon"], c["lat"])
        s = distance_m(B, p)
        assert distance_m(p, point_along(B, E, s)) < 0.01, f"{c['side']} crossing is off the line B -> E"
        assert abs(oracle.baselines[c["side"]].distance_m(p) - oracle.breadth_m) <= \
            run.cfg["maritime"]["max_limit_error_m"], c["side"]
        assert c["distance_to_end_m"] == pytest.approx(distance_m(p, E), abs=1e-3)


def test_equidistance_line_error_is_recomputed_not_only_bounded(run, oracle, md):
    """|d(left baseline) - d(right baseline)| along the ``maritime_equidistance`` layer: at every vertex within
    ``max_equidistance_error_m``, and its worst value over ``limit_check_points`` points (from 1 m to the end)
    equal to the reported one (2e-5 m: the figure is ~2e-4 m, so a figure forced to 0 fails); the line ends at
    the breadth from the nearer baseline and starts where the land boundary meets the closing line."""
    mar = run.report["maritime"]
    eq = oracle.line("maritime_equidistance")
    left, right = (oracle.baselines[s] for s in oracle.sides)
    vertices = np.asarray(eq.coords)
    assert np.abs(left.distances_m(vertices) - right.distances_m(vertices)).max() <= \
        run.cfg["maritime"]["max_equidistance_error_m"]
    pts = points_along(vertices, np.linspace(1.0, line_length_m(vertices), oracle.check_points))
    worst = float(np.abs(left.distances_m(pts) - right.distances_m(pts)).max())
    assert mar["equidistance_error_m"] == pytest.approx(worst, abs=2e-5)
    assert check(run.report, "equidistance_error")["value"] == pytest.approx(worst, abs=2e-5)
    end = tuple(vertices[-1])
    assert min(left.distance_m(end), right.distance_m(end)) == pytest.approx(oracle.breadth_m, abs=0.01)
    assert distance_m(tuple(vertices[0]), oracle.crossing) <= max(mar["equidistance_start_gap_m"], 0.0) + 0.01
    assert mar["equidistance_length_m"] == pytest.approx(line_length_m(vertices), abs=0.01)
    m = md.find("Maritime boundary", r"Equidistance line: ([\d,.]+) m, equidistant within ([\d.]+) m")
    assert_shows(m.group(1), mar["equidistance_length_m"], "the equidistance line's length")
    assert_shows(m.group(2), mar["equidistance_error_m"], "the equidistance error")


def test_middle_line_equidistance_error_is_recomputed(run, oracle, md):
    """Worst |second-nearest - nearest shore| over the middle line's vertices (left bank, right bank, island
    shores, from the ``river`` and ``closing_line`` layers; planar in a local AEQD). The file holds the line from
    its tripoint foot down; in the bundled case its worst vertex lies there, so the figures agree (1 mm)."""
    plane = oracle.plane
    mine = middle_line_equidistance_error_m(plane.geom(oracle.line("channel_middle")),
                                            plane.geom(oracle.layers["river"].geoms[0]),
                                            plane.geom(oracle.line("closing_line")))
    got = run.report["land"]["middle_equidistance_error_m"]
    assert mine < 1.0
    assert got == pytest.approx(mine, abs=1e-3)
    written = md.find("Land boundary", r"worst equidistance error of its vertices ([\d.]+) m").group(1)
    assert_shows(written, got, "the middle line's equidistance error")


def test_at_each_island_the_main_channel_takes_the_widest_branch(run, oracle, md):
    """Branch widths measured from the river polygon (cross-sections from the island's shore to the other
    shore, middle 60 % of the island), the branch the middle line runs through, and the report's account.

    The report's widths are means over the whole branch including its flared ends, so they exceed the
    mid-island cross-sections (by 10-50 % here): the band [0.8, 1.6] x catches swapped, halved or doubled
    widths, not that definitional difference.
    """
    assert run.cfg["land"].get("main_channel", "widest") == "widest"
    plane, sides = oracle.plane, oracle.sides
    water = plane.geom(oracle.layers["river"].geoms[0])
    middle, land = plane.geom(oracle.line("channel_middle")), plane.geom(oracle.line("land_boundary"))
    rows = {r["island"]: r for r in run.report["land"]["islands"]}
    layer = oracle.layers["islands"]
    table = {int(r["island"]): r for r in md.table("Land boundary", "island")}
    holes = len(max(shapely.get_parts(water), key=lambda g: g.area).interiors)
    assert holes == len(rows) == len(layer.geoms) == len(table) >= 1
    for k in range(holes):
        br = island_branches(water, k, middle, {"middle": middle, "land": land})
        number = [r["island"] for r, g in zip(layer.rows, layer.geoms)
                  if plane.geom(g).symmetric_difference(br.island_xy).area < 1.0]
        assert len(number) == 1, f"hole {k}: no island feature matches it"
        r = rows[number[0]]
        taken = br.passes["middle"]
        assert taken in ("left", "right"), f"island {number[0]}: the middle line runs through {taken} branches"
        other = "right" if taken == "left" else "left"
        assert br.width_m[taken] > br.width_m[other], \
            f"island {number[0]}: the middle line takes the narrower branch ({br.width_m})"
        assert r["branch_taken"] == taken, f"island {number[0]}"
        assert 0.8 <= r["taken_width_m"] / br.width_m[taken] <= 1.6, (r["taken_width_m"], br.width_m)
        assert 0.8 <= r["other_width_m"] / br.width_m[other] <= 1.6, (r["other_width_m"], br.width_m)
        assert r["taken_width_m"] > r["other_width_m"]
        assert r["area_m2"] == pytest.approx(polygon_area_m2(plane.geom_lonlat(br.island_xy)), rel=1e-6)
        # the state the island falls to: the land boundary passes on one side, the island lies on the other
        state = sides[0] if br.passes["land"] == "right" else sides[1]
        assert br.passes["land"] in ("left", "right")
        assert r["side_in_use"] == state, f"island {number[0]}"
        feature = dict(layer.rows[[x["island"] for x in layer.rows].index(number[0])])
        assert feature["branch_taken"] == taken and feature["side"] == state
        cells = table[number[0]]
        assert cells["branch taken"] == taken
        w_taken, w_other = numbers(cells["mean width along the branch, taken / other"])[:2]
        assert_shows(w_taken, r["taken_width_m"], f"island {number[0]} taken width")
        assert_shows(w_other, r["other_width_m"], f"island {number[0]} other width")
        assert_shows(numbers(cells["area"])[0], r["area_m2"], f"island {number[0]} area")
        assert cells["state (line in use)"] == state


def test_report_md_checks_table_matches_report_json(run, md):
    rows = {r["check"]: r for r in md.table("Checks", "check")}
    assert set(rows) == {c["name"] for c in run.report["checks"]}
    for c in run.report["checks"]:
        r = rows[c["name"]]
        assert_shows(numbers(r["computed"])[0], c["value"], f"check {c['name']}")
        assert r["result"] == ("PASS" if c["passed"] else "FAIL")
        if c["kind"] == "within":
            assert c["passed"] == (abs(c["value"] - c["target"]) <= c["tolerance"])
        else:
            assert c["passed"] == (c["value"] <= c["tolerance"])


def test_check_command_measures_the_land_boundary_and_sea_files(run, oracle):
    """``tumen-border check`` re-measures the two boundaries from border.gpkg: its figures are the
    geographiclib lengths of the land_boundary and maritime_boundary layers."""
    proc = _cli("check", str(run.out), "--config", str(CONFIG))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name, layer in (("land_length", "land_boundary"), ("sea_length", "maritime_boundary")):
        m = re.search(rf"^PASS\s+{name}: ([\d,.]+) m", proc.stdout, re.M)
        assert m, f"`check` prints no {name} line:\n{proc.stdout}"
        assert abs(as_float(m.group(1)) - line_length_m(oracle.line(layer).coords)) <= 0.0005 + 1e-9, name


def test_loader_puts_the_pulkovo_record_where_pyproj_does(oracle):
    """The datum path through ``load_inputs`` on the bundle: every treaty point (sign 423's Pulkovo 1942 record
    above all) ends up where pyproj's transform puts it (1e-9 deg, ~0.1 mm)."""
    from pipeline.config import load_config
    from pipeline.load import load_inputs

    inp = load_inputs(load_config(CONFIG))
    assert oracle.crs_used("423-P42") == "EPSG:4284"
    for pid, want in oracle.wgs84.items():
        p = inp.points[pid]
        assert (p.lon_wgs84, p.lat_wgs84) == pytest.approx(want, abs=1e-9), pid


def test_river_layer_is_the_input_polygon_through_pyproj(run, oracle):
    """The ``river`` layer is the input water polygon, its edges split to at most ``crs.densify_m`` in its file's
    CRS (a projected one: metres), transformed from it by pyproj (1e-8 deg)."""
    from pyproj import CRS

    path = CONFIG.parent / run.cfg["inputs"]["river"]
    layer = run.cfg["inputs"].get("river_layer") or None
    meta, _, wkb, _ = pyogrio.raw.read(path, layer=layer)
    src = shapely.union_all(shapely.from_wkb(wkb))
    crs = meta["crs"]
    assert CRS.from_user_input(crs).is_projected and CRS.from_user_input(crs).axis_info[0].unit_name == "metre"
    step = run.cfg.get("crs", {}).get("densify_m", 250.0)
    assert step == 250.0                                       # the default: the bundled config leaves it
    src = shapely.segmentize(src, step)
    want = shapely.transform(src, lambda xy: transform_points(xy, crs, WGS84_CRS, oracle.area))
    got = oracle.layers["river"].geoms[0]
    assert got.symmetric_difference(want).area < 1e-12
    assert shapely.hausdorff_distance(got, want) < 1e-8


def test_the_bundled_run_passes_its_own_checks(run):
    """Last, so that the oracles above name what a fault breaks before the run's own verdict does."""
    assert run.exit_code == 0, run.stdout[-3000:]
    assert run.report["passed"] and all(c["passed"] for c in run.report["checks"])
