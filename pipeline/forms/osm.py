"""River form ``osm``: an OpenStreetMap file (``.osm`` XML or ``.osm.pbf``), read with GDAL's OSM driver
(layer ``multipolygons``).

The river's water is every area tagged ``natural=water`` with ``water`` one of :data:`OSM_RIVER_WATER`
(``river``; ``riverbank`` and ``rapids``, older values for parts of a river), or tagged ``waterway=riverbank``
(the legacy river-area tag, on multipolygon relations); an XML file whose river water areas miss nodes or
member ways is refused (:func:`osm_completeness`). Everything else is ignored and listed in the detail: ponds,
lakes, reservoirs, oxbow lakes (``water=oxbow``: cut off from the channel, so not part of it), canals,
basins, farmland, buildings ... Recognised by the file name (GDAL's OSM driver reads only files named so).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import shapely

from ..errors import InputError
from ..readers import is_osm, read_osm_areas, read_osm_refs
from . import Context, Form, Probe, WaterArea

if TYPE_CHECKING:
    from ..config import Config

OSM_RIVER_WATER = ("river", "riverbank", "rapids")   # natural=water + water=<one of these> is river water
OSM_RIVER_WATERWAY = ("riverbank",)                   # waterway=<one of these> (legacy area tag) is river water
OSM_SUMMARY_KEYS = ("natural", "water", "waterway", "landuse", "leisure", "amenity", "building", "place",
                    "boundary", "man_made")            # the tags that say what an OSM area is, in the detail
DETAIL_IDS = 10                                       # how many OSM ids the detail string names
ROLE = "river (OpenStreetMap)"


def recognises(path: Path, probe: Probe) -> bool:
    """Whether the file is named as an OpenStreetMap file (:func:`pipeline.readers.is_osm`).

    Parameters
    ----------
    path : Path
        The river file.
    probe : Probe
        Not used (the name decides).

    Returns
    -------
    bool
    """
    return is_osm(path)


def is_river_water(tags: dict[str, str]) -> bool:
    """Whether an OSM area with these tags is part of a river's water (see the module docstring).

    Parameters
    ----------
    tags : dict
        The area's OSM tags, key -> value.

    Returns
    -------
    bool
    """
    return ((tags.get("natural") == "water" and tags.get("water") in OSM_RIVER_WATER)
            or tags.get("waterway") in OSM_RIVER_WATERWAY)


def _summary(tags: dict[str, str]) -> str:
    said = [f"{k}={tags[k]}" for k in OSM_SUMMARY_KEYS if k in tags]
    return " ".join(said) or " ".join(f"{k}={v}" for k, v in sorted(tags.items()) if k not in ("name", "type")) \
        or "no tags"


def _counted(labels: list[str]) -> str:
    counts: dict[str, int] = {}
    for s in labels:
        counts[s] = counts.get(s, 0) + 1
    return ", ".join(f"{s} ({n})" for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _named(ids: list[str]) -> str:
    more = f" and {len(ids) - DETAIL_IDS} more" if len(ids) > DETAIL_IDS else ""
    return ", ".join(ids[:DETAIL_IDS]) + more


def osm_completeness(path: Path) -> str:
    """Refuse an OSM XML file whose river water areas are incomplete; else a note for the detail string.

    GDAL's OSM driver builds a way whose nodes are missing from the extract from the nodes it has (a shorter
    ring, or none), and a multipolygon without its missing member ways -- silently. So the file's references
    are read here: a river water area (:func:`is_river_water`: a closed way, or a multipolygon relation) with a
    missing node or member way is an InputError naming the file and the counts; incomplete areas that are not
    river water are only counted in the note. PBF files are not checked (the note says so).

    Parameters
    ----------
    path : Path
        The OSM file.

    Returns
    -------
    str
        "" or a note starting with "; " for the detail string.
    """
    refs = read_osm_refs(path, ROLE)
    if refs is None:
        return "; completeness not checked (PBF)"
    broken, other = [], 0
    for wid, (_, tags) in refs.ways.items():
        if wid in refs.missing_nodes:
            if is_river_water(tags):
                broken.append((f"way {wid}", 0, refs.missing_nodes[wid]))
            else:
                other += 1
    for rid, (members, tags) in refs.relations.items():
        absent = sum(m not in refs.ways for m in members)
        nodes = sum(refs.missing_nodes.get(m, 0) for m in members)
        if absent or nodes:
            if is_river_water(tags):
                broken.append((f"relation {rid}", absent, nodes))
            else:
                other += 1
    if broken:
        ways, nodes = sum(b[1] for b in broken), sum(b[2] for b in broken)
        raise InputError(path, f"{ROLE}: {len(broken)} river water area(s) incomplete in the file "
                               f"({_named([b[0] for b in broken])}): {ways} member way(s) and {nodes} node(s) they "
                               "reference are missing from the extract, so their rings would be built short or "
                               "not at all; export the areas complete (e.g. Overpass \"(._;>;);\", or JOSM's "
                               "\"download members\")")
    return f"; {other} other area(s) incomplete in the extract (not river water, ignored)" if other else ""


def read(path: Path, cfg: Config, context: Context) -> WaterArea:
    """The union of the file's river water areas, in WGS 84 lon/lat as GDAL's OSM driver reads them.

    Parameters
    ----------
    path : Path
        The river file.
    cfg : Config
        Not used (the tags decide what is river water).
    context : Context
        Not used.

    Returns
    -------
    WaterArea
        The water in the file's CRS (WGS 84, degrees); the detail names the areas taken and what was ignored.
    """
    complete = osm_completeness(path)
    areas = read_osm_areas(path, ROLE)
    incomplete = (f"; {areas.incomplete} area(s) without a geometry (members missing from the file)"
                  if areas.incomplete else "")
    if len(areas.geometry) == 0:
        raise InputError(path, f"{ROLE}: the file holds no areas (multipolygon relations or closed "
                               "area ways); the river must be mapped as an area (natural=water + water=river), "
                               f"not only as a waterway line{incomplete}")
    take = [is_river_water(t) for t in areas.tags]
    ignored = [_summary(t) for t, k in zip(areas.tags, take) if not k]
    if not any(take):
        raise InputError(path, f"{ROLE}: no river water area among its {len(areas.tags)} areas "
                               f"(taken: natural=water with water={'|'.join(OSM_RIVER_WATER)}, or waterway="
                               f"{'|'.join(OSM_RIVER_WATERWAY)}); found: {_counted(ignored)}{incomplete}")
    taken_ids = [i for i, k in zip(areas.ids, take) if k]
    polys = [g for g, k in zip(areas.geometry, take) if k]
    detail = (f"OpenStreetMap: took {len(polys)} river water area(s) ({_named(taken_ids)}: "
              f"{_counted([_summary(t) for t, k in zip(areas.tags, take) if k])}); ignored {len(ignored)}"
              + (f": {_counted(ignored)}" if ignored else "") + incomplete + complete)
    return WaterArea(shapely.union_all(polys), areas.crs, detail)


FORM = Form(name="osm", role="river", describes="an OpenStreetMap file", priority=10, recognises=recognises,
            read=read)
