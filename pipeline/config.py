"""Configuration: one TOML file (``inputs/tumen.toml``), strict about keys and types.

Relative paths in the file are resolved against the file's folder. CLI flags override
values through :func:`with_overrides` using dotted keys (``official.land_tolerance_m``).
"""
from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from .errors import InputError

# pyproj is imported lazily in _validate (only when crs.metric is not "auto")


@dataclass(frozen=True)
class InputsCfg:
    coast: Path
    coast_layer: str = ""
    coast_side_field: str = "iso_a3"
    coast_extent: list | None = None   # [west, south, east, north] lon/lat the coast data covers
    river: Path = Path()
    river_layer: str = ""
    depth: Path | None = None
    points: Path = Path()
    reference: Path | None = None
    reference_layer: str = ""
    reference_side_field: str = "iso_a3"
    modelled: str = ""                 # comma-separated roles of modelled inputs, e.g. "river,depth"

    @property
    def modelled_roles(self) -> tuple[str, ...]:
        return tuple(m.strip() for m in self.modelled.split(",") if m.strip())


@dataclass(frozen=True)
class SidesCfg:
    left: str = "RUS"   # left bank looking downstream
    right: str = "PRK"
    third: str = "CHN"  # the third state at the tripoint


@dataclass(frozen=True)
class CrsCfg:
    metric: str = "auto"
    max_scale_error_ppm: float = 50.0


@dataclass(frozen=True)
class OfficialCfg:
    land_length_m: float = 17000.0
    land_tolerance_m: float = 500.0
    sea_length_m: float = 22100.0
    sea_tolerance_m: float = 1200.0
    source: str = ""


@dataclass(frozen=True)
class LandCfg:
    border_line: str = "middle"          # "middle" (treaty) or "thalweg"
    bank_densify_m: float = 5.0
    main_channel: str = "widest"         # "widest" or "deepest" (needs a depth raster)
    width_exponent: float = 2.0
    mouth_snap_m: float = 1.0
    min_mouth_width_m: float = 20.0
    thalweg_depth_exponent: float = 4.0
    thalweg_smooth_cells: int = 5
    simplify_m: float = 0.2


@dataclass(frozen=True)
class TripointCfg:
    monument: str = "423-WGS84"
    compare_monument: str = ""           # a second record of the same monument (e.g. another datum)
    monument_max_distance_m: float = 1000.0
    max_perpendicular_error_deg: float = 0.5


@dataclass(frozen=True)
class MouthCfg:
    treaty_point: str = "B"
    max_offset_m: float = 500.0


@dataclass(frozen=True)
class MaritimeCfg:
    method: str = "equidistance"         # "equidistance", "azimuth" or "endpoint"
    territorial_sea_nm: float = 12.0
    nautical_mile_m: float = 1852.0
    coast_densify_m: float = 10.0
    buffer_quad_segs: int = 256
    azimuth_deg: float | None = None
    end_lon: float | None = None
    end_lat: float | None = None
    limit_check_points: int = 200
    max_limit_error_m: float = 1.0
    max_equidistance_error_m: float = 1.0


@dataclass(frozen=True)
class OutputCfg:
    dir: Path = Path("outputs")
    gpkg_version: str = "1.2"
    map: bool = True


@dataclass(frozen=True)
class Config:
    inputs: InputsCfg
    sides: SidesCfg = field(default_factory=SidesCfg)
    crs: CrsCfg = field(default_factory=CrsCfg)
    official: OfficialCfg = field(default_factory=OfficialCfg)
    land: LandCfg = field(default_factory=LandCfg)
    tripoint: TripointCfg = field(default_factory=TripointCfg)
    mouth: MouthCfg = field(default_factory=MouthCfg)
    maritime: MaritimeCfg = field(default_factory=MaritimeCfg)
    output: OutputCfg = field(default_factory=OutputCfg)
    path: Path | None = None

    def input_files(self) -> dict[str, Path]:
        """Every input file the run reads, by role."""
        out = {"coast": self.inputs.coast, "river": self.inputs.river, "points": self.inputs.points}
        if self.inputs.depth is not None:
            out["depth"] = self.inputs.depth
        if self.inputs.reference is not None:
            out["reference"] = self.inputs.reference
        return out


_CHOICES = {
    ("land", "border_line"): {"middle", "thalweg"},
    ("land", "main_channel"): {"widest", "deepest"},
    ("maritime", "method"): {"equidistance", "azimuth", "endpoint"},
}

# numeric settings that must be > 0 (step sizes, distances, divisors) or >= 0 (tolerances, exponents)
_POSITIVE = {
    ("crs", "max_scale_error_ppm"), ("official", "land_length_m"), ("official", "sea_length_m"),
    ("land", "bank_densify_m"), ("land", "mouth_snap_m"), ("tripoint", "monument_max_distance_m"),
    ("tripoint", "max_perpendicular_error_deg"), ("mouth", "max_offset_m"), ("maritime", "territorial_sea_nm"),
    ("maritime", "nautical_mile_m"), ("maritime", "coast_densify_m"), ("maritime", "buffer_quad_segs"),
    ("maritime", "limit_check_points"), ("maritime", "max_limit_error_m"), ("maritime", "max_equidistance_error_m"),
}
_NON_NEGATIVE = {
    ("official", "land_tolerance_m"), ("official", "sea_tolerance_m"), ("land", "width_exponent"),
    ("land", "min_mouth_width_m"), ("land", "thalweg_depth_exponent"), ("land", "thalweg_smooth_cells"),
    ("land", "simplify_m"),
}


def _convert(value: Any, hint: Any, where: str, base: Path, path: Path) -> Any:
    text = str(hint)
    if text.startswith("list"):
        if not (isinstance(value, list) and len(value) == 4 and all(isinstance(v, (int, float)) for v in value)):
            raise InputError(path, f"{where} must be [west, south, east, north] in degrees")
        return [float(v) for v in value]
    if "Path" in text:
        if not isinstance(value, str):
            raise InputError(path, f"{where} must be a path string")
        if value == "" and "None" in text:
            return None
        p = Path(value)
        return p if p.is_absolute() else (base / p)
    if hint is bool:
        if not isinstance(value, bool):
            raise InputError(path, f"{where} must be true or false, got {value!r}")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise InputError(path, f"{where} must be an integer, got {value!r}")
        return value
    if "float" in text:
        if value is None and "None" in text:
            return None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise InputError(path, f"{where} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise InputError(path, f"{where} must be a finite number, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise InputError(path, f"{where} must be a string, got {value!r}")
    return value


def _section(cls: type, data: dict, name: str, base: Path, path: Path):
    if not isinstance(data, dict):
        raise InputError(path, f"[{name}] must be a table")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(path, f"unknown key(s) in [{name}]: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    required = [f.name for f in fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [k for k in required if k not in data]
    if missing:
        raise InputError(path, f"[{name}]: missing required key(s) {', '.join(missing)}")
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = _convert(value, hints[key], f"{name}.{key}", base, path)
        _check_value(name, key, kwargs[key], value, path)
    return cls(**kwargs)


def _check_value(section: str, key: str, new: Any, raw: Any, path: Path | None) -> None:
    allowed = _CHOICES.get((section, key))
    if allowed and new not in allowed:
        raise InputError(path, f"{section}.{key} = {raw!r} is not one of {sorted(allowed)}")
    if (section, key) in _POSITIVE and new is not None and not new > 0:
        raise InputError(path, f"{section}.{key} = {raw!r} must be greater than 0")
    if (section, key) in _NON_NEGATIVE and new is not None and not new >= 0:
        raise InputError(path, f"{section}.{key} = {raw!r} must not be negative")


_SECTIONS = {f.name: f for f in fields(Config) if f.name != "path"}


def load_config(path: str | Path) -> Config:
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "config file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not valid TOML: {exc}") from None
    return config_from_dict(data, path)


def config_from_dict(data: dict, path: Path) -> Config:
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise InputError(path, f"unknown section(s): {', '.join(unknown)} (known: {', '.join(_SECTIONS)})")
    if "inputs" not in data:
        raise InputError(path, "missing [inputs] section")
    base = path.resolve().parent
    hints = get_type_hints(Config)
    kwargs = {name: _section(hints[name], data.get(name, {}), name, base, path)
              for name in _SECTIONS if name in data}
    cfg = Config(path=path, **kwargs)
    _validate(cfg, path)
    return cfg


def _validate(cfg: Config, path: Path | None) -> None:
    """Checks across keys; run after loading and again after CLI overrides."""
    if cfg.land.main_channel == "deepest" and cfg.inputs.depth is None:
        raise InputError(path, "land.main_channel = 'deepest' needs inputs.depth")
    if cfg.land.border_line == "thalweg" and cfg.inputs.depth is None:
        raise InputError(path, "land.border_line = 'thalweg' needs inputs.depth")
    m = cfg.maritime
    if m.method == "azimuth" and m.azimuth_deg is None:
        raise InputError(path, "maritime.method = 'azimuth' needs maritime.azimuth_deg")
    if m.method == "endpoint" and (m.end_lon is None or m.end_lat is None):
        raise InputError(path, "maritime.method = 'endpoint' needs maritime.end_lon and maritime.end_lat")
    if m.end_lat is not None and not -90 <= m.end_lat <= 90:
        raise InputError(path, f"maritime.end_lat = {m.end_lat} is outside [-90, 90] (lat/lon swapped?)")
    s = cfg.sides
    if len({s.left, s.right, s.third}) < 3:
        raise InputError(path, f"[sides]: left, right and third must differ, got {s.left!r}, {s.right!r}, {s.third!r}")
    e = cfg.inputs.coast_extent
    if e is not None and not (-180 <= e[0] < e[2] <= 360 and -90 <= e[1] < e[3] <= 90):
        raise InputError(path, f"inputs.coast_extent = {e} must be [west, south, east, north] with west < east, "
                               "south < north, latitudes within [-90, 90]")
    spec = cfg.crs.metric.strip()
    if spec.lower() != "auto":
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            crs = CRS.from_user_input(spec)
        except CRSError:
            raise InputError(path, f"crs.metric = {spec!r} is not a CRS PROJ knows (use \"auto\" or e.g. "
                                   "\"EPSG:32652\")") from None
        if not crs.is_projected:
            raise InputError(path, f"crs.metric = {spec!r} ({crs.name}) is not a projected (metric) CRS")


def with_overrides(cfg: Config, overrides: dict[str, Any]) -> Config:
    """Return a copy with dotted keys replaced, e.g. ``{"official.land_tolerance_m": 100}``."""
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if section not in _SECTIONS or not key:
            raise InputError(cfg.path, f"unknown setting {dotted!r}")
        sub = getattr(cfg, section)
        hints = get_type_hints(type(sub))
        if key not in hints:
            raise InputError(cfg.path, f"unknown setting {dotted!r}")
        base = Path.cwd()
        new = _convert(value, hints[key], dotted, base, cfg.path)
        _check_value(section, key, new, value, cfg.path)
        cfg = dataclasses.replace(cfg, **{section: dataclasses.replace(sub, **{key: new})})
    if overrides:
        _validate(cfg, cfg.path)
    return cfg
