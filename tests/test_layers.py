"""The layer catalogue (:data:`pipeline.layers.CATALOGUE`): its entries are whole, every layer has a style row,
the built layers have exactly the declared fields, a builder that gives other fields is refused, and
:func:`pipeline.layers.gpkg_differences` finds a GeoPackage that disagrees with the catalogue. That every
bundled case's border.gpkg agrees with the catalogue is tested in test_cases.py (its runs)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import LineString

from pipeline import layers
from pipeline.geodesy import WGS84

STYLE_GEOMETRY = {"Point": "point", "LineString": "line", "MultiLineString": "line", "Polygon": "polygon",
                  "MultiPolygon": "polygon"}


def test_every_entry_is_whole():
    names = [e.name for e in layers.CATALOGUE]
    assert len(names) == len(set(names))
    assert list(layers.LAYERS) == names and list(layers.BY_NAME) == names
    for e in layers.CATALOGUE:
        assert e.geometry in layers.GEOMETRY_TYPES, e.name
        assert e.fields and all(t in layers.DTYPES for t in e.fields.values()), e.name
        assert ("in_use" in e.fields) == (e.in_use is not None), e.name
        assert e.inset in ("", *layers.INSET_ROLES), e.name
        assert not (e.boundary or e.length_figure) or "length_m" in e.fields, e.name
    assert sorted(e.inset for e in layers.CATALOGUE if e.inset) == sorted(layers.INSET_ROLES)  # one layer a role


def test_every_layer_has_a_style_row_and_every_style_row_a_layer(bundled_case):
    table = bundled_case[3]
    assert set(table.layers) == set(layers.LAYERS)
    for e in layers.CATALOGUE:
        assert set(table.of(e.name)["geometry"]) == {STYLE_GEOMETRY[e.geometry]}, e.name


def test_built_layers_have_the_declared_fields_in_order(bundled_case):
    built, _cfg, rep, _table = bundled_case
    assert list(built) == [n for n in layers.LAYERS if n in built]
    for name, gdf in built.items():
        assert list(gdf.columns) == [*layers.BY_NAME[name].fields, "geometry"], name
        assert gdf.crs.to_epsg() == 4326, name
    for name, want in layers.in_use_expected(rep).items():
        if name in built or want:
            assert list(built[name]["in_use"]) == [int(want)], name


def test_what_check_reads_from_the_catalogue(bundled_case):
    rep = bundled_case[2]
    assert layers.BOUNDARY_LAYERS == ("land_boundary", "maritime_boundary")
    assert layers.in_use_expected(rep) == {"channel_middle": rep.land.border_line == "middle",
                                           "thalweg": rep.land.border_line == "thalweg",
                                           "maritime_equidistance": rep.maritime.method == "equidistance"}
    assert layers.in_use_layer(rep, "land.border_line") == {"middle": "channel_middle",
                                                            "thalweg": "thalweg"}[rep.land.border_line]
    stated = {name: layers.report_figure(rep, path) for name, path in layers.LENGTH_FIGURES.items()}
    assert stated["land_boundary"] == rep.land.land_boundary_m
    assert stated["closing_line"] == rep.mouth.closing_line_length_m
    assert layers.inset_layer("tripoint") == "tripoint"
    with pytest.raises(KeyError):
        layers.inset_layer("nowhere")


@pytest.fixture(scope="module")
def results(bundled_case):
    from pipeline import driver

    return driver.compute(bundled_case[1])


@pytest.mark.parametrize("fault", ["missing", "extra"])
def test_a_builder_with_other_fields_is_refused(bundled_case, results, monkeypatch, fault):
    """A builder that forgets a declared field (or gives one the catalogue does not declare) stops the run."""
    original = layers.BY_NAME["closing_line"]

    def wrong(r, cfg, rep):
        rows, geoms = original.build(r, cfg, rep)
        rows = [{k: v for k, v in row.items() if k != "method"} if fault == "missing" else {**row, "extra": 1}
                for row in rows]
        return rows, geoms

    catalogue = tuple(dataclasses.replace(e, build=wrong) if e.name == "closing_line" else e
                      for e in layers.CATALOGUE)
    monkeypatch.setattr(layers, "CATALOGUE", catalogue)
    _built, cfg, rep, _table = bundled_case
    with pytest.raises(ValueError, match="closing_line"):
        layers.build_layers(results, cfg, rep)


def _write(path: Path, name: str, columns: dict, geometry_type: str, append: bool) -> None:
    gdf = gpd.GeoDataFrame(columns, geometry=[LineString([(130.6, 42.3), (130.7, 42.4)])], crs=WGS84)
    pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG", geometry_type=geometry_type, append=append)


def test_gpkg_differences_finds_what_disagrees(tmp_path):
    gpkg = tmp_path / "border.gpkg"
    good = {"name": ["x"], "kind": ["closing line"], "method": ["m"], "source": ["s"], "length_m": [1.0]}
    _write(gpkg, "closing_line", good, "LineString", False)
    assert layers.gpkg_differences(gpkg) == []
    _write(gpkg, "land_boundary", {k: good[k] for k in ("kind", "name", "method", "source", "length_m")},
           "LineString", True)                                                  # fields out of order
    _write(gpkg, "maritime_boundary", {**good, "length_m": ["1.0"]}, "LineString", True)   # a text length
    _write(gpkg, "thalweg", {**good, "in_use": [1]}, "MultiLineString", True)  # in_use misplaced, geometry
    _write(gpkg, "mystery", good, "LineString", True)
    _write(gpkg, "coast", {k: good[k] for k in ("name", "kind", "source")} | {"side": ["X"]}, "MultiLineString", True)
    found = layers.gpkg_differences(gpkg)
    assert any(f.startswith("land_boundary: fields") for f in found), found
    assert "maritime_boundary.length_m: object, declared float" in found, found
    assert "thalweg: geometry MultiLineString, declared LineString" in found, found
    assert any(f.startswith("thalweg: fields") for f in found), found
    assert "mystery (not in the catalogue)" in found, found
    assert any(f.startswith("layers out of catalogue order") for f in found), found   # coast after the lines
    assert any(f.startswith("coast: fields") for f in found), found                   # side after source
