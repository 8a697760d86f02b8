"""Geodesy helpers: ellipsoidal lengths with pyproj.Geod, the local metric CRS and transforms.

Everything that reports metres on the Earth goes through ``pyproj.Geod`` on WGS-84.
Geometry work (buffers, Voronoi diagrams, nearest points) happens in a local
transverse Mercator projection whose scale error over the working area is measured
by :func:`scale_error`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = CRS.from_epsg(4326)
GEOD = Geod(ellps="WGS84")


def local_tm_crs(lon0: float, lat0: float) -> CRS:
    """A transverse Mercator CRS on WGS-84 centred on (lon0, lat0), scale 1 on the central meridian."""
    return CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k=1 +x_0=0 +y_0=0 "
        "+ellps=WGS84 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs +type=crs"
    )


def resolve_metric_crs(spec: str, lon_lat_bounds: tuple[float, float, float, float]) -> CRS:
    """``auto`` gives a local TM at the centre of the bounds; anything else is parsed by pyproj."""
    if spec.strip().lower() == "auto":
        w, s, e, n = lon_lat_bounds
        return local_tm_crs(round((w + e) / 2, 3), round((s + n) / 2, 3))
    crs = CRS.from_user_input(spec)
    if not crs.is_projected:
        raise ValueError(f"metric CRS {spec!r} is not a projected CRS")
    return crs


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def transformer(src: CRS, dst: CRS) -> Transformer:
    return _transformer(src.to_wkt(), dst.to_wkt())


def reproject(geom: BaseGeometry, src: CRS, dst: CRS) -> BaseGeometry:
    t = transformer(src, dst)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def to_lonlat(geom: BaseGeometry, metric: CRS) -> BaseGeometry:
    return reproject(geom, metric, WGS84)


def to_metric(geom: BaseGeometry, metric: CRS) -> BaseGeometry:
    return reproject(geom, WGS84, metric)


def geodesic_length(geom_lonlat: BaseGeometry) -> float:
    """Length in metres on the WGS-84 ellipsoid of a lon/lat (multi)line."""
    return float(GEOD.geometry_length(geom_lonlat))


def geodesic_distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def geodesic_inverse(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float]:
    """(forward azimuth in degrees clockwise from true north, 0-360, distance in metres)."""
    az, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return float(az % 360.0), float(dist)


def best_transformer(src: CRS, dst: CRS, lon: float, lat: float) -> Transformer:
    """The most accurate available pyproj operation from ``src`` to ``dst`` around (lon, lat)."""
    from pyproj.aoi import AreaOfInterest
    from pyproj.transformer import TransformerGroup

    group = TransformerGroup(src, dst, always_xy=True,
                             area_of_interest=AreaOfInterest(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01))
    if not group.transformers:
        raise ValueError(f"no transformation from {src.name} to {dst.name} is available")
    return group.transformers[0]


@dataclass(frozen=True)
class ScaleError:
    """Worst point scale distortion of the metric CRS over an area, and what it means for a length."""

    max_ppm: float
    over_length_m: float
    length_error_m: float


def scale_error(metric: CRS, lon_lat_bounds: tuple[float, float, float, float], length_m: float,
                n: int = 25) -> ScaleError:
    """Sample the projection's meridional/parallel scale factors over the bounds (pyproj.Proj.get_factors)."""
    from pyproj import Proj

    w, s, e, nn = lon_lat_bounds
    lons, lats = np.meshgrid(np.linspace(w, e, n), np.linspace(s, nn, n))
    f = Proj(metric).get_factors(lons.ravel(), lats.ravel())
    worst = float(np.max(np.abs(np.concatenate([f.meridional_scale, f.parallel_scale]) - 1.0)))
    return ScaleError(max_ppm=worst * 1e6, over_length_m=length_m, length_error_m=worst * length_m)

