"""Checks of a finished run's files (``tumen-border check`` only): that each stored figure describes its
geometry, that the report's points are the layers' points, and that the files are as written and agree with
one another. Measured with :class:`pipeline.verify.RunFiles` (lon/lat layers, metres on WGS 84)."""
from __future__ import annotations

import shapely

from ..geodesy import geodesic_length_m
from . import files_check, Measured

#: largest allowed difference (m) between a stored length or point and the geometry it describes
STORED_LENGTH_TOLERANCE_M = 0.01


@files_check("stored_length", tolerance=STORED_LENGTH_TOLERANCE_M,
             detail="worst |stored length_m - geodesic length of the geometry| in layer {key}",
             catches="a length_m attribute that does not describe its geometry")
def stored_length(run, cfg) -> dict[str, float]:
    """Per line layer with ``length_m``: worst |stored - geodesic length of the geometry| (m); infinite when a
    stored value is missing or not finite. A boundary layer without ``length_m`` is bad input."""
    import numpy as np
    from ..errors import InputError
    from ..layers import BOUNDARY_LAYERS

    out = {}
    for name, gtype in run.layers.items():
        if gtype is None or "line" not in gtype.lower():
            continue
        geoms, fields = run.table(name)
        if "length_m" not in fields:
            if name in BOUNDARY_LAYERS:
                raise InputError(run.gpkg, f"layer {name!r} has no length_m column")
            continue
        diff = np.abs(np.array([geodesic_length_m(g) for g in geoms]) - np.asarray(fields["length_m"], float))
        out[name] = float(diff.max()) if np.isfinite(diff).all() else float("inf")
    return out


# ---------------------------------------------------------------------------- the report against the geometry
@files_check("tripoint_is_land_boundary_start", tolerance=STORED_LENGTH_TOLERANCE_M,
             detail="largest distance between tripoint A in report.json, on the tripoint and boundary_points layers, "
                    "and the land boundary's first vertex (worst: {note})",
             catches="a land boundary that does not start at the tripoint, a moved or deleted tripoint, an edited "
                     "report")
def tripoint_is_land_boundary_start(run, cfg) -> Measured:
    """Largest geodesic distance (m) between the four places A is stated (which two in the note)."""
    rep = run.report
    named = {"report.json": (rep.tripoint.lon, rep.tripoint.lat), "land_boundary start": run.land.coords[0],
             "boundary_points A": run.points.get("A"), "tripoint layer A": None}
    if "tripoint" in run.layers:
        geoms, labels = run.column("tripoint", "label")
        named["tripoint layer A"] = next((g for g, lab in zip(geoms, labels) if str(lab) == "A"), None)
    return Measured(*run.spread(named))


@files_check("land_boundary_follows_line_in_use", tolerance=STORED_LENGTH_TOLERANCE_M,
             detail="largest distance from the land boundary's vertices (A to the closing line) to the channel line "
                    "report.json says is in use",
             catches="a land boundary that follows another line than the one the report names, or moved boundaries")
def land_boundary_follows_line_in_use(run, cfg) -> float:
    """Largest geodesic distance (m) of the land boundary's vertices (but the last) to the channel line in use."""
    from ..layers import in_use_layer

    layer = in_use_layer(run.report, "land.border_line")
    if layer not in run.layers:
        return float("inf")
    return run.distance_to_line(shapely.get_coordinates(run.land)[:-1], run.line(layer))


@files_check("mouth_offset_from_layers", tolerance=STORED_LENGTH_TOLERANCE_M,
             detail="report.json's mouth crossing and offset against the crossing and the treaty mouth point of the "
                    "boundary_points layer (worst: {note})",
             catches="an edited mouth offset, crossing or treaty point")
def mouth_offset_from_layers(run, cfg) -> Measured:
    """Worst disagreement (m) between report.json's mouth figures and the layers (which one in the note)."""
    m, points = run.report.mouth, run.points
    found = {"crossing": run.distance(m.crossing, points.get("mouth"))}
    if m.treaty_point:
        found["treaty point"] = run.distance(m.treaty_lonlat, points.get(m.treaty_point))
        found["offset"] = abs(m.offset_m - run.mouth_offset_m) if m.offset_m is not None else float("inf")
    found["junction"] = run.distance(m.junction, run.land.coords[-1])
    worst = max(found, key=lambda k: found[k])
    return Measured(found[worst], worst)


@files_check("end_point_is_maritime_boundary_end", tolerance=STORED_LENGTH_TOLERANCE_M,
             detail="largest distance between the end point in report.json, on the boundary_points layer, and the "
                    "maritime boundary's last vertex (worst: {note})",
             catches="a maritime boundary that does not end at the end point, moved boundaries, an edited report")
def end_point_is_maritime_boundary_end(run, cfg) -> Measured:
    """Largest geodesic distance (m) between the places the end point is stated (which two in the note)."""
    m = run.report.maritime
    named = {"report.json end": m.end, "maritime_boundary end": run.sea.coords[-1]}
    if m.end_point and m.method == "treaty":
        named |= {f"boundary_points {m.end_point}": run.points.get(m.end_point),
                  "report.json end point": m.end_point_lonlat}
    return Measured(*run.spread(named))


@files_check("stored_length_report", tolerance=STORED_LENGTH_TOLERANCE_M,
             detail="worst |length in report.json - geodesic length of its layer| (worst: {note})",
             catches="a report whose lengths do not describe the lines")
def stored_length_report(run, cfg) -> Measured:
    """Worst |length in report.json - geodesic length of its layer| (m) (which length in the note)."""
    from ..layers import LENGTH_FIGURES, report_figure

    rep = run.report
    land, sea = geodesic_length_m(run.land), geodesic_length_m(run.sea)

    def length(layer: str) -> float | None:
        return sum(geodesic_length_m(g) for g in run.geometries(layer)) if layer in run.layers else None

    pairs = {"land.land_boundary_m": (rep.land.land_boundary_m, land), "maritime.length_m": (rep.maritime.length_m, sea),
             "total_length_m": (rep.total_length_m, land + sea)}
    pairs |= {path: (report_figure(rep, path), length(layer)) for layer, path in LENGTH_FIGURES.items()
              if path not in pairs}       # every other layer whose length the report states (the catalogue)
    diffs = {k: (0.0 if r is None and d is None else float("inf") if r is None or d is None else abs(r - d))
             for k, (r, d) in pairs.items()}
    worst = max(diffs, key=lambda k: diffs[k])
    return Measured(diffs[worst], worst)


# ------------------------------------------------------------------------------------------- the files
def _named(names: list[str]) -> Measured:
    """A count of problems, with up to six of them named in the note ("none" when there are none)."""
    return Measured(len(names), f"{', '.join(names[:6])}{' ...' if len(names) > 6 else ''}" if names else "none")


@files_check("files_as_written", unit="files", tolerance=0, 
             detail="files missing or not as the manifest says they were written (sha256): {note}",
             catches="an output edited, replaced, added or deleted after the run (only a rerun may change them)")
def files_as_written(run, cfg) -> Measured:
    """Files missing, changed (sha256) or unlisted against the run's manifest."""
    from ..verify import files_not_as_written

    return _named(files_not_as_written(run.out_dir))


@files_check("report_md_renders_report_json", unit="lines", tolerance=0, 
             detail="lines of report.md that differ from report.json rendered again: {note}",
             catches="a report.md edited by hand, or one that does not show the figures of report.json")
def report_md_renders_report_json(run, cfg) -> Measured:
    """Lines of report.md that differ from report.json rendered again."""
    from ..verify import markdown_differences

    return _named(markdown_differences(run.out_dir, run.report))


@files_check("geojson_equals_gpkg", unit="layers", tolerance=0, 
             detail="GeoJSON files that differ from their border.gpkg layer (geometry or attributes): {note}",
             catches="a GeoJSON file or a GeoPackage layer edited without the other, or one of them missing")
def geojson_equals_gpkg(run, cfg) -> Measured:
    """GeoJSON files that differ from their GeoPackage layer, or have none."""
    from ..verify import geojson_differences

    return _named(geojson_differences(run.out_dir, run.gpkg))


@files_check("in_use_flags", unit="layers", tolerance=0, 
             detail="layers whose in_use flag disagrees with the line or method report.json says is in use: {note}",
             catches="channel or maritime layers swapped, or an in_use flag edited")
def in_use_flags(run, cfg) -> Measured:
    """Layers whose ``in_use`` flag disagrees with the line or method report.json says is in use."""
    from ..verify import in_use_disagreements

    return _named(in_use_disagreements(run.gpkg, run.report))


@files_check("layers_as_catalogued", unit="layers", tolerance=0,
             detail="differences between border.gpkg and the layer catalogue (layers, geometry types, fields, their "
                    "order and types): {note}",
             catches="a layer added, dropped, retyped or reordered in the GeoPackage after the run, or a run written "
                     "by another version of the catalogue")
def layers_as_catalogued(run, cfg) -> Measured:
    """Where ``border.gpkg`` disagrees with :data:`pipeline.layers.CATALOGUE`."""
    from ..layers import gpkg_differences

    return _named(gpkg_differences(run.gpkg))
