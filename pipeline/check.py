"""Stage 6 — checks: computed figures against the official ones and the accuracy targets.

Every check is a :class:`Check` with the value, the target, the tolerance and pass/fail. The CLI exits
1 when any check fails. :func:`verify_outputs` re-measures the lengths from a written GeoPackage, so
``tumen-border check outputs/`` trusts the geometry, not the report's numbers.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import shapely

from .config import Config
from .errors import InputError
from .geodesy import geodesic_length


@dataclass(frozen=True)
class Check:
    name: str
    value: float
    target: float
    tolerance: float     # allowed |value - target| for "within" checks; the limit for "at most" checks
    unit: str
    kind: str            # "within" or "at most"
    passed: bool
    detail: str

    def line(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        if self.kind == "within":
            return (f"{status}  {self.name}: {self.value:,.1f} {self.unit} vs {self.target:,.1f} {self.unit} "
                    f"(diff {self.value - self.target:+,.1f}, tolerance ±{self.tolerance:,.1f}) — {self.detail}")
        return f"{status}  {self.name}: {self.value:,.3f} {self.unit} (at most {self.tolerance:,.3f}) — {self.detail}"


def within(name: str, value: float, target: float, tol: float, unit: str, detail: str) -> Check:
    return Check(name, float(value), float(target), float(tol), unit, "within",
                 bool(abs(value - target) <= tol), detail)


def at_most(name: str, value: float, limit: float, unit: str, detail: str) -> Check:
    return Check(name, float(value), 0.0, float(limit), unit, "at most", bool(value <= limit), detail)


def length_checks(land_m: float, sea_m: float, cfg: Config) -> list[Check]:
    o = cfg.official
    return [
        within("land_length", land_m, o.land_length_m, o.land_tolerance_m, "m",
               "geodesic (WGS-84) length of the land boundary, tripoint to mouth"),
        within("sea_length", sea_m, o.sea_length_m, o.sea_tolerance_m, "m",
               "geodesic (WGS-84) length of the maritime boundary, mouth to the 12-nm limit"),
    ]


def accuracy_checks(report: dict, cfg: Config) -> list[Check]:
    """Checks on accuracy figures recorded in the report (computed by the run)."""
    out = []
    lim = report["maritime"]["limit_error_m"]
    out.append(at_most("territorial_sea_limit_error", max(lim.values()), cfg.maritime.max_limit_error_m, "m",
                       "worst |geodesic distance to the baseline - 12 nm| over sampled points of both limits"))
    eq = report["maritime"].get("equidistance_error_m")
    if eq is not None:
        out.append(at_most("equidistance_error", eq, cfg.maritime.max_equidistance_error_m, "m",
                           "worst |d(RUS baseline) - d(PRK baseline)| along the maritime boundary (geodesic)"))
    out.append(at_most("tripoint_perpendicular", report["tripoint"]["perpendicular_deviation_deg"],
                       cfg.tripoint.max_perpendicular_error_deg, "deg",
                       "deviation from 90° between the middle line and the geodesic to the monument"))
    out.append(at_most("mouth_offset_to_treaty_point", report["mouth"]["offset_m"], cfg.mouth.max_offset_m, "m",
                       "geodesic distance from the computed land-boundary end to the treaty's mouth point"))
    out.append(at_most("projection_scale_error", report["crs"]["max_scale_error_ppm"], cfg.crs.max_scale_error_ppm,
                       "ppm", "worst scale distortion of the metric CRS over the data extent"))
    return out


def _layer_length(gpkg: Path, layer: str) -> float:
    try:
        gdf = gpd.read_file(gpkg, layer=layer)
    except Exception as exc:
        raise InputError(gpkg, f"cannot read layer {layer!r} ({str(exc).splitlines()[0]})") from None
    if len(gdf) == 0:
        raise InputError(gpkg, f"layer {layer!r} is empty")
    if gdf.crs is None or not gdf.crs.equals("EPSG:4326"):
        raise InputError(gpkg, f"layer {layer!r} is not in EPSG:4326")
    return geodesic_length(shapely.union_all(gdf.geometry.values))


def verify_outputs(out_dir: Path, cfg: Config) -> list[Check]:
    """Re-measure the border lengths from ``out_dir/border.gpkg`` and re-judge the report's accuracy figures."""
    gpkg, rep = out_dir / "border.gpkg", out_dir / "report.json"
    for p in (gpkg, rep):
        if not p.is_file():
            raise InputError(p, "not found (run `tumen-border run` first)")
    try:
        report = json.loads(rep.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(rep, f"not valid JSON ({exc})") from None
    land = _layer_length(gpkg, "land_boundary")
    sea = _layer_length(gpkg, "maritime_boundary")
    return length_checks(land, sea, cfg) + accuracy_checks(report, cfg)


def as_dicts(checks: list[Check]) -> list[dict]:
    return [asdict(c) for c in checks]
