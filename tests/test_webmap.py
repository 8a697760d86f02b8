"""map.html: pipeline.webmap.render_webmap on the bundled case (conftest's ``bundled_case``), then the page of a
real run in headless Chromium.

The unit tests (fast) parse the page: well-formed, self-contained (no script, style sheet or image from
elsewhere), every layer and feature in it with every attribute, colours, widths and dashes taken from the style
table (a colour changed in the table changes the page), coordinates rounded, the same string twice.

The browser test opens ``map.html`` of the session's finished run (``previous_outputs``) from disk in Debian's
Chromium driven by Playwright, with no network, and asserts what a reader would see: no console error, no
request that leaves the file, every layer drawn with as many SVG paths as its GeoJSON file has features, the
points labelled, and a click on the land boundary opening a popup whose length is report.json's land length.
It saves a screenshot to ``$TEST_ARTIFACTS`` (default ``test-artifacts/`` at the repository's root). It is
skipped, with the reason, only when Playwright or ``/usr/bin/chromium`` is missing (``.ci/run`` installs both).
"""
from __future__ import annotations

import dataclasses
import html
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from pipeline import export, styles, webmap
from pipeline.config import load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "inputs" / "tumen" / "tumen.toml"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def page(bundled_case):
    layers, cfg, rep, table = bundled_case
    return webmap.render_webmap(layers, table=table, cfg=cfg, report=rep)


class _Tags(HTMLParser):
    """Start tags with their attributes, the open-element stack checked at every end tag."""

    VOID = {"meta", "link", "img", "br", "hr", "input", "source"}

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.script_text: dict[str, str] = {}
        self._current_id = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)
        self._current_id = dict(attrs).get("id") if tag == "script" else None

    def handle_data(self, data):
        if self._current_id:
            self.script_text[self._current_id] = self.script_text.get(self._current_id, "") + data

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()
        self._current_id = None


def _parse(html_text: str) -> _Tags:
    p = _Tags()
    p.feed(html_text)
    p.close()
    assert p.stack == [], f"unclosed elements {p.stack}"
    return p


def _data(html_text: str) -> dict:
    return json.loads(_parse(html_text).script_text["bm-data"])


# ------------------------------------------------------------------------------------------------ unit
def test_the_page_is_well_formed_and_self_contained(page):
    assert page.startswith("<!DOCTYPE html>\n")
    tags = _parse(page).tags
    names = [t for t, _ in tags]
    assert names.count("html") == names.count("head") == names.count("body") == 1
    assert [a for t, a in tags if t == "script"] == [{}, {"id": "bm-data", "type": "application/json"}, {}]
    for tag, attrs in tags:
        assert tag not in ("link", "img", "iframe", "object", "embed"), f"<{tag}> would load a file"
        assert "src" not in attrs and "srcset" not in attrs, (tag, attrs)
    assert not re.search(r"<(script|link|img)[^>]*\s(src|href)\s*=", page, flags=re.I)
    assert "sourceMappingURL" not in page
    assert set(re.findall(r"url\(([^)]*)\)", page)) == {"#default#VML"}, "a CSS url() would request a file"
    assert "window.L" in page and 'version="1.9.4"' in page, "Leaflet 1.9.4 is inlined"


def test_every_layer_feature_and_attribute_is_in_the_page(bundled_case, page):
    layers, _cfg, _rep, table = bundled_case
    data = _data(page)
    assert [ly["name"] for ly in data["layers"]] == [n for n in table.layers if n in layers]
    assert set(layers) == {ly["name"] for ly in data["layers"]}
    for ly in data["layers"]:
        gdf = layers[ly["name"]]
        assert len(ly["features"]) == len(gdf), ly["name"]
        columns = [c for c in gdf.columns if c != gdf.geometry.name]
        names = sorted(f["properties"]["name"] for f in ly["features"])
        assert names == sorted(gdf["name"]), ly["name"]
        for f in ly["features"]:
            assert list(f["properties"]) == columns
            for c in columns:
                assert f'data-key="{c}"' in f["popup"], (ly["name"], c)


def test_colours_widths_and_dashes_come_from_the_style_table(bundled_case, page):
    layers, cfg, rep, table = bundled_case
    data = _data(page)
    for ly in data["layers"]:
        rows = table.of(ly["name"]).to_dict("records")
        assert len(ly["styles"]) == len(rows)
        for row, s in zip(rows, ly["styles"]):
            path = s["path"]
            assert path["weight"] == pytest.approx(row["width_mm"] * 96 / 25.4, abs=0.01)
            if row["stroke"]:
                assert path["color"] == row["stroke"]
            if row["geometry"] != "line":
                assert path["fill"] == bool(row["fill"]) and path["fillOpacity"] == row["fill_opacity"]
                if row["fill"]:
                    assert path["fillColor"] == row["fill"]
            elif row["dash_mm"]:
                assert [float(v) for v in path["dashArray"].split()] == pytest.approx(
                    [float(v) * 96 / 25.4 for v in row["dash_mm"].split(";")], abs=0.01)
            else:
                assert "dashArray" not in path
            if row["geometry"] == "point":
                assert 2 * path["radius"] == pytest.approx(row["size_mm"] * 96 / 25.4, abs=0.02)
    assert f"background: {table.view['background']};" in page
    # no colour is a literal of the page: change one in the table and the page follows
    rows = table.rows.copy()
    rows.loc[rows["layer"] == "land_boundary", "stroke"] = "#123456"
    changed = webmap.render_webmap(layers, table=dataclasses.replace(table, rows=rows), cfg=cfg, report=rep)
    lb = next(ly for ly in _data(changed)["layers"] if ly["name"] == "land_boundary")
    assert lb["styles"][0]["path"]["color"] == "#123456" and "#123456" not in page


def test_coordinates_are_rounded_and_in_place(bundled_case, page):
    import numpy as np
    import shapely
    from shapely.geometry import shape

    layers = bundled_case[0]
    for ly in _data(page)["layers"]:
        for f, geom in zip(sorted(ly["features"], key=lambda f: f["properties"]["name"]),
                           layers[ly["name"]].sort_values("name").geometry):
            got = shapely.get_coordinates(shape(f["geometry"]))
            want = shapely.get_coordinates(geom)
            assert got.shape == want.shape
            assert np.abs(got - want).max() <= 0.5e-7 + 1e-12, ly["name"]
            assert np.abs(got * 1e7 - np.round(got * 1e7)).max() < 1e-6, "more than 7 decimals"


def test_the_same_arguments_give_the_same_page_and_the_land_length_is_shown(bundled_case, page):
    layers, cfg, rep, table = bundled_case
    assert webmap.render_webmap(layers, table=table, cfg=cfg, report=rep) == page
    lb = next(ly for ly in _data(page)["layers"] if ly["name"] == "land_boundary")
    assert f">{rep.land.land_boundary_m:,.1f} m</td>" in lb["features"][0]["popup"]
    panel = page[page.index('<aside id="bm-panel">'):page.index("</aside>")]
    assert html.escape(rep.legal_chain) in panel
    assert panel.count("<tr class=\"bm-pass\"") == len(rep.checks)
    assert (cfg.case.map_title or cfg.case.name) in panel


def test_text_from_the_config_cannot_break_the_page(bundled_case):
    layers, cfg, rep, table = bundled_case
    evil = "</script><script>alert(1)</script> & <b>"
    cfg2 = dataclasses.replace(cfg, case=dataclasses.replace(cfg.case, attribution=evil, map_title=evil))
    text = webmap.render_webmap(layers, table=table, cfg=cfg2, report=rep)
    assert text.count("<script") == 3 and text.count("</script>") == 3
    assert _data(text)["attribution"] == "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;"


def test_output_webmap_false_skips_the_page_and_no_map_keeps_it(bundle, run_cli, previous_outputs, tmp_path):
    """``--no-map`` skips map.png only (the session's run used it and wrote map.html); ``output.webmap = false``
    skips map.html, and the manifest does not list it."""
    assert (previous_outputs / "map.html").is_file() and not (previous_outputs / "map.png").exists()
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(["run", "--config", bundle / "tumen.toml", "--out", out, "--no-map", "-q",
                                    "--set", "output.webmap=false"])
    assert code == 0, stdout + stderr
    assert not (out / "map.html").exists() and (out / "report.json").is_file()
    assert "map.html" not in json.loads((out / export.MANIFEST).read_text(encoding="utf-8"))["files"]


@pytest.mark.parametrize("key, value, shown", [
    ("length_m", 17293.574582686233, "17,293.6 m"), ("distance_to_A_m", 0.4123, "0.41 m"),
    ("area_m2", 123456.7, "123,457 m²"), ("area_km2", 71.4213, "71.421 km²"),
    ("azimuth_to_tripoint_deg", 226.1149, "226.11°"), ("lon", 130.63707912, "130.6370791°"),
    ("lat_second_datum", 42.41792154, "42.4179215°"), ("in_use", 1, "1"), ("name", "A", "A"),
    ("lon_second_datum", None, "—"), ("area_km2", float("nan"), "—"), ("side", pd.NA, "—")])
def test_popup_values_are_formatted_with_their_units(key, value, shown):
    assert webmap.format_value(key, value) == shown


# --------------------------------------------------------------------------------------------- browser
def _artifacts() -> Path:
    folder = Path(os.environ.get("TEST_ARTIFACTS") or ROOT / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright; skipped (with the reason) when either is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium; .ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclasses.dataclass
class Opened:
    page: object
    errors: list[str]
    requests: list[str]


def _open(browser, path: Path) -> Opened:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    # nothing may leave the file; should something try, it is refused here too (and shows in `requests`)
    context.route(re.compile(r"^(?!file:|data:)"), lambda route: route.abort())
    page.goto(path.as_uri())
    try:
        page.wait_for_function("window.borderMap && window.borderMap.ready", timeout=10000)
    except Exception as exc:      # playwright's TimeoutError: say what the page did instead
        raise AssertionError(f"the map never became ready ({type(exc).__name__}); errors {errors}, "
                             f"requests {requests}") from None
    return Opened(page, errors, requests)


@pytest.fixture(scope="module")
def opened(browser, previous_outputs):
    o = _open(browser, previous_outputs / "map.html")
    yield o
    o.page.context.close()


def _geojson(folder: Path, name: str) -> dict:
    return json.loads((folder / f"{name}.geojson").read_text(encoding="utf-8"))


def test_the_page_opens_offline_without_errors_and_draws_every_layer(opened, previous_outputs):
    page = opened.page
    drawn = page.evaluate("Object.fromEntries(Object.entries(borderMap.layers).map(([k, v]) => "
                          "[k, [v.features, v.drawn, v.labels]]))")
    files = {p.name[:-len(".geojson")] for p in previous_outputs.glob("*.geojson")}
    assert set(drawn) == files
    for name in files:
        n = len(_geojson(previous_outputs, name)["features"])
        assert drawn[name][:2] == [n, n], f"{name}: {drawn[name][:2]} drawn, {n} features in {name}.geojson"
    # the labelled layers: one permanent label per labelled feature, with the feature's text
    table = styles.style_table(load_config(CONFIG))
    texts = page.eval_on_selector_all(".leaflet-tooltip.bm-label", "els => els.map(e => e.textContent)")
    want = []
    for name in files:
        label = table.of(name).iloc[0]["label"]
        if label:
            got = [f["properties"][label] for f in _geojson(previous_outputs, name)["features"]]
            assert drawn[name][2] == len(got), name
            want += got
    assert sorted(texts) == sorted(want) and len(want) >= 3
    bg = page.eval_on_selector(".leaflet-container", "e => getComputedStyle(e).backgroundColor")
    hexa = table.view["background"]
    assert bg == "rgb({}, {}, {})".format(*(int(hexa[i:i + 2], 16) for i in (1, 3, 5)))
    # the online base map is offered, and off
    assert page.eval_on_selector_all("#bm-layers input[type=radio]", "els => els.map(e => e.checked)") == [True, False]
    assert opened.errors == []
    assert [u for u in opened.requests if not u.startswith(("file:", "data:"))] == []


def test_clicking_the_land_boundary_shows_the_reports_land_length(opened, previous_outputs):
    page = opened.page
    rep = json.loads((previous_outputs / "report.json").read_text(encoding="utf-8"))
    line = _geojson(previous_outputs, "land_boundary")["features"][0]
    lon, lat = line["geometry"]["coordinates"][len(line["geometry"]["coordinates"]) // 2]
    x, y = page.evaluate(f"(() => {{ const p = borderMap.map.latLngToContainerPoint([{lat}, {lon}]); "
                         "return [p.x, p.y]; })()")
    box = page.locator("#bm-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    cell = page.locator(".leaflet-popup-content td[data-key=length_m]")
    cell.wait_for(timeout=5000)
    assert page.locator(".leaflet-popup-content b").text_content() == line["properties"]["name"]
    land_m = rep["land"]["land_boundary_m"]
    assert cell.text_content() == f"{land_m:,.1f} m"
    raw = float(cell.get_attribute("data-value"))
    assert raw == line["properties"]["length_m"]          # the value the layer files store, unrounded
    assert abs(raw - land_m) < 1e-3                         # ... which is report.json's land length
    page.screenshot(path=str(_artifacts() / "webmap.png"))
    assert opened.errors == []
    assert [u for u in opened.requests if not u.startswith(("file:", "data:"))] == []


def test_a_page_that_asks_the_network_fails_the_test(browser, previous_outputs, tmp_path):
    """The browser test can fail: the same page with a script from a CDN shows the request (refused)."""
    text = (previous_outputs / "map.html").read_text(encoding="utf-8")
    bad = tmp_path / "map.html"
    bad.write_text(text.replace("</head>", '<script src="https://unpkg.com/leaflet@1.9.4/dist/leaflet.js">'
                                          "</script>\n</head>", 1), encoding="utf-8")
    o = _open(browser, bad)
    try:
        assert [u for u in o.requests if not u.startswith(("file:", "data:"))] == [
            "https://unpkg.com/leaflet@1.9.4/dist/leaflet.js"]
        assert o.errors, "the refused request is a console error"
    finally:
        o.page.context.close()
