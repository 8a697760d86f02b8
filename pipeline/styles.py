"""INTERIM stub (to be replaced): QGIS styles and project."""
from __future__ import annotations

import pandas as pd

from . import qgis_styles as old

STYLE_TABLE = "layer_styles"


def style_table(cfg):
    return {}


def layer_styles_frame(layers, table, *, timestamp):
    rows = []
    for name, gdf in layers.items():
        qml = old.STYLES.get(name)
        if qml is None:
            continue
        rows.append({"f_table_catalog": "", "f_table_schema": "", "f_table_name": name, "f_geometry_column": "geometry",
                     "styleName": name, "styleQML": qml, "styleSLD": "", "useAsDefault": True,
                     "description": f"Default style for {name}", "owner": "", "ui": None,
                     "update_time": pd.Timestamp(timestamp)})
    return pd.DataFrame(rows)


def qgis_project(layers, table, *, gpkg_name, title):
    import tempfile, pathlib
    with tempfile.TemporaryDirectory() as d:
        p = pathlib.Path(d) / "x.qgs"
        old.write_qgis_project(p, gpkg_name, [(n, g.geometry.iloc[0].geom_type) for n, g in layers.items()], title=title,
                               extent=tuple(layers["land_boundary"].total_bounds))
        return p.read_text()
