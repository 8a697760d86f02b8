"""Geodesy toolkit: the datum path, the local metric CRS, and geodesic measures on WGS 84.

Every length, distance, azimuth and area this project reports is measured on the WGS-84 ellipsoid with
``pyproj.Geod`` (Karney's algorithms), on arrays; the only other measures, :func:`crs_length_m` and
:func:`crs_area_m2`, measure a file's geometry in its own CRS before the datum path (speckle areas of a
water mask, the lengths a form reports). Planar work (buffers, Voronoi diagrams, nearest points)
happens in a local metric CRS whose scale error over the data extent is measured
(:meth:`Geodesy.scale_error_ppm`) and reported.

Every datum change -- vector inputs, rasters, treaty points -- goes through one function,
:func:`best_transformer`: pyproj's most accurate available operation for the data's area of interest.
A :class:`Geodesy` is built once per run (in the load stage) and holds the transformers, so nothing
rebuilds them in a loop.
"""
from __future__ import annotations

import warnings

from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import TransverseMercatorConversion
from pyproj.exceptions import CRSError
from pyproj.transformer import TransformerGroup
from shapely.geometry.base import BaseGeometry


WGS84 = CRS.from_epsg(4326)
GEOD = Geod(ellps="WGS84")
DISTANCE_NOISE_M = 1e-6    # m: geodesic distances (via the projection and Geod.inv) agree to about 1e-9 m

LonLatBox = tuple[float, float, float, float]   # west, south, east, north (degrees)


def parse_crs(text: str, kind: str = "any") -> CRS:
    """A CRS from its text, of the kind asked for.

    Parameters
    ----------
    text : str
        Anything ``pyproj.CRS.from_user_input`` reads: "EPSG:4326", WKT, a PROJ string.
    kind : {"any", "geographic", "projected"}
        The kind of CRS the setting must be.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    ValueError
        With the reason: not a CRS PROJ knows, or not of ``kind``.
    """
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        raise ValueError("not a CRS PROJ knows (e.g. EPSG:4326)") from None
    if kind == "geographic" and not crs.is_geographic:
        raise ValueError(f"{crs.name} is not a geographic (lat/lon) CRS")
    if kind == "projected" and not crs.is_projected:
        raise ValueError(f"{crs.name} is not a projected (metric) CRS")
    return crs


def local_tm(lon0: float, lat0: float) -> CRS:
    """Transverse Mercator on WGS 84 centred on (lon0, lat0), scale 1 on the central meridian.

    Built on the WGS-84 datum itself (no ``+towgs84``): WGS 84 <-> this CRS is an exact conversion.

    Parameters
    ----------
    lon0, lat0 : float
        The natural origin, degrees (WGS 84); no false easting or northing, so x and y are metres from it.

    Returns
    -------
    pyproj.crs.ProjectedCRS
        Axes easting, northing in metres; named "Local TM <lat0>N <lon0>E (WGS 84)".
    """
    conv = TransverseMercatorConversion(latitude_natural_origin=lat0, longitude_natural_origin=lon0,
                                        false_easting=0.0, false_northing=0.0, scale_factor_natural_origin=1.0)
    return ProjectedCRS(conversion=conv, geodetic_crs=WGS84, name=f"Local TM {lat0:.3f}N {lon0:.3f}E (WGS 84)")


def resolve_metric_crs(spec: str, bounds: LonLatBox) -> CRS:
    """The run's metric CRS from the ``crs.metric`` setting.

    Parameters
    ----------
    spec : str
        "auto" (any case): :func:`local_tm` at the centre of ``bounds``, rounded to 0.001 deg; else the text of a
        projected CRS (:func:`parse_crs`).
    bounds : tuple of float
        (west, south, east, north) of the data, degrees (WGS 84).

    Returns
    -------
    pyproj.CRS
        A projected CRS.

    Raises
    ------
    ValueError
        When ``spec`` is neither "auto" nor a projected CRS.
    """
    if spec.strip().lower() == "auto":
        w, s, e, n = bounds
        return local_tm(round((w + e) / 2, 3), round((s + n) / 2, 3))
    return parse_crs(spec, "projected")


def best_transformer(src: CRS, dst: CRS, area: LonLatBox) -> Transformer:
    """pyproj's most accurate available operation from ``src`` to ``dst`` over ``area``.

    Operations are ranked by pyproj (``TransformerGroup``: accuracy first, for the area of interest);
    ones whose grids are missing are not available.

    Parameters
    ----------
    src, dst : pyproj.CRS
        Source and target CRS.
    area : tuple of float
        (west, south, east, north) of the area of interest, degrees (WGS 84).

    Returns
    -------
    pyproj.Transformer
        With ``always_xy``: x is longitude (or easting) in and out, whatever the CRS's axis order.

    Raises
    ------
    ValueError
        When no operation is available.
    """
    w, s, e, n = area
    with warnings.catch_warnings():   # "best transformation is not available (missing grid)": the operation
        warnings.simplefilter("ignore", UserWarning)   # used instead is reported with its accuracy
        group = TransformerGroup(src, dst, always_xy=True, area_of_interest=AreaOfInterest(w, s, e, n))
    if not group.transformers:
        raise ValueError(f"no transformation from {src.name} to {dst.name} is available")
    return group.transformers[0]


def operation_accuracy_m(t: Transformer) -> float | None:
    """The accuracy pyproj states for an operation.

    Parameters
    ----------
    t : pyproj.Transformer
        A datum operation (:func:`best_transformer`).

    Returns
    -------
    float or None
        Metres (0 for an exact conversion, e.g. WGS 84 -> a transverse Mercator on it); None when pyproj does
        not know it (it states -1).
    """
    return float(t.accuracy) if t.accuracy is not None and t.accuracy >= 0 else None


def _apply(t: Transformer, xy: np.ndarray) -> np.ndarray:
    x, y = t.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


@dataclass
class Geodesy:
    """The run's metric CRS and datum path, built once (transformers are cached per source CRS).

    Parameters
    ----------
    metric : CRS
        Projected CRS for planar work.
    area : tuple of float
        (west, south, east, north) in degrees: the area of interest for choosing datum operations.
    """

    metric: CRS
    area: LonLatBox
    _to_wgs84: dict = field(default_factory=dict, repr=False)
    _from_wgs84: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._ll_to_m = best_transformer(WGS84, self.metric, self.area)
        self._m_to_ll = best_transformer(self.metric, WGS84, self.area)

    # ------------------------------------------------------------------- datum path
    def _op(self, cache: dict, other: CRS, to_wgs84: bool) -> Transformer | None:
        """The best operation between ``other`` and WGS 84 (None when ``other`` is WGS 84 lon/lat), cached."""
        key = other.to_wkt()
        if key not in cache:
            same = other.equals(WGS84, ignore_axis_order=True)
            pair = (other, WGS84) if to_wgs84 else (WGS84, other)
            cache[key] = None if same else best_transformer(*pair, self.area)
        return cache[key]

    def to_wgs84_op(self, src: CRS) -> Transformer | None:
        """The operation ``src`` -> WGS 84 (lon/lat), chosen once per source CRS and cached.

        Parameters
        ----------
        src : pyproj.CRS
            The CRS of an input's coordinates.

        Returns
        -------
        pyproj.Transformer or None
            :func:`best_transformer` over the run's area (``always_xy``); None when ``src`` is WGS 84 lon/lat itself.
        """
        return self._op(self._to_wgs84, src, True)

    def from_wgs84_op(self, dst: CRS) -> Transformer | None:
        """The operation WGS 84 (lon/lat) -> ``dst``, chosen once per target CRS and cached.

        Parameters
        ----------
        dst : pyproj.CRS
            The CRS wanted (a depth grid's, a second datum).

        Returns
        -------
        pyproj.Transformer or None
            :func:`best_transformer` over the run's area (``always_xy``); None when ``dst`` is WGS 84 lon/lat itself.
        """
        return self._op(self._from_wgs84, dst, False)

    def xy_to_lonlat(self, xy: np.ndarray, src: CRS) -> np.ndarray:
        """Coordinates in ``src`` -> WGS-84 lon/lat, through :func:`best_transformer`.

        Parameters
        ----------
        xy : array_like (n, 2)
            Coordinates in ``src``, x first (longitude or easting: ``always_xy`` order, whatever the CRS's axis order).
        src : pyproj.CRS
            Their CRS.

        Returns
        -------
        ndarray (n, 2)
            Longitude, latitude in degrees (WGS 84), float64.
        """
        op = self.to_wgs84_op(src)
        return np.asarray(xy, float) if op is None else _apply(op, np.asarray(xy, float))

    def lonlat_to_xy(self, ll: np.ndarray, dst: CRS) -> np.ndarray:
        """WGS-84 lon/lat -> coordinates in ``dst``, through :func:`best_transformer`.

        Parameters
        ----------
        ll : array_like (n, 2)
            Longitude, latitude in degrees (WGS 84).
        dst : pyproj.CRS
            The CRS wanted.

        Returns
        -------
        ndarray (n, 2)
            Coordinates in ``dst``, x first (``always_xy``), float64.
        """
        op = self.from_wgs84_op(dst)
        return np.asarray(ll, float) if op is None else _apply(op, np.asarray(ll, float))

    def to_metric_from(self, geom: BaseGeometry, src: CRS) -> BaseGeometry:
        """A geometry in ``src`` -> the run's metric CRS, via WGS 84 (the same path for every input).

        Parameters
        ----------
        geom : shapely geometry
            In ``src`` (x = longitude for a geographic CRS, as GDAL reads).
        src : pyproj.CRS
            Its CRS.

        Returns
        -------
        shapely geometry
            The same type, in the metric CRS (m).
        """
        return shapely.transform(geom, lambda xy: self.lonlat_to_metric(self.xy_to_lonlat(xy, src)))

    def from_metric_to(self, geom: BaseGeometry, dst: CRS) -> BaseGeometry:
        """A geometry in the run's metric CRS -> ``dst``, via WGS 84 (e.g. the closing line onto a depth grid).

        Parameters
        ----------
        geom : shapely geometry
            In the metric CRS (m).
        dst : pyproj.CRS
            The CRS wanted.

        Returns
        -------
        shapely geometry
            The same type, in ``dst`` (x first).
        """
        return shapely.transform(geom, lambda xy: self.lonlat_to_xy(self.metric_to_lonlat(xy), dst))

    # ------------------------------------------------------------------- metric <-> lon/lat
    def lonlat_to_metric(self, ll: np.ndarray) -> np.ndarray:
        """WGS-84 lon/lat -> the run's metric CRS.

        Parameters
        ----------
        ll : array_like (n, 2)
            Longitude, latitude in degrees (WGS 84).

        Returns
        -------
        ndarray (n, 2)
            Easting, northing in metres (metric CRS).
        """
        return _apply(self._ll_to_m, np.asarray(ll, float))

    def metric_to_lonlat(self, xy: np.ndarray) -> np.ndarray:
        """The run's metric CRS -> WGS-84 lon/lat.

        Parameters
        ----------
        xy : array_like (n, 2)
            Easting, northing in metres (metric CRS).

        Returns
        -------
        ndarray (n, 2)
            Longitude, latitude in degrees (WGS 84).
        """
        return _apply(self._m_to_ll, np.asarray(xy, float))

    def to_metric(self, geom_lonlat: BaseGeometry) -> BaseGeometry:
        """A lon/lat geometry -> the run's metric CRS.

        Parameters
        ----------
        geom_lonlat : shapely geometry
            Longitude, latitude in degrees (WGS 84).

        Returns
        -------
        shapely geometry
            The same type, in metres (metric CRS).
        """
        return shapely.transform(geom_lonlat, self.lonlat_to_metric)

    def to_lonlat(self, geom_metric: BaseGeometry) -> BaseGeometry:
        """A geometry in the run's metric CRS -> lon/lat.

        Parameters
        ----------
        geom_metric : shapely geometry
            In metres (metric CRS).

        Returns
        -------
        shapely geometry
            The same type, longitude and latitude in degrees (WGS 84).
        """
        return shapely.transform(geom_metric, self.metric_to_lonlat)

    def point_lonlat(self, geom_metric: BaseGeometry) -> tuple[float, float]:
        """WGS-84 lon/lat of a point given in the run's metric CRS.

        Parameters
        ----------
        geom_metric : shapely geometry
            A Point (of any other geometry, its first vertex), metres (metric CRS).

        Returns
        -------
        (float, float)
            Longitude, latitude in degrees (WGS 84).
        """
        x, y = self.metric_to_lonlat(shapely.get_coordinates(geom_metric)[:1])[0]
        return float(x), float(y)

    # ------------------------------------------------------------------- geodesic measures
    def length_m(self, geom_metric: BaseGeometry) -> float:
        """Geodesic length on WGS 84 of a (multi)line given in the metric CRS (vertices joined by geodesics).

        Parameters
        ----------
        geom_metric : LineString or MultiLineString
            In metres (metric CRS); of a polygon, its exterior ring (as :func:`geodesic_length_m`).

        Returns
        -------
        float
            Metres on the WGS-84 ellipsoid (not the planar length: the projection's scale error is not in it).
        """
        return geodesic_length_m(self.to_lonlat(geom_metric))

    def distance_to_line(self, xy: np.ndarray, line: BaseGeometry, *, refine_m: float = 1.0
                         ) -> tuple[np.ndarray, np.ndarray]:
        """Geodesic distances from metric points to a metric line, and the nearest points.

        The planar nearest point (an STRtree of the line's segments, :class:`pipeline.geometry.Segments`) is
        refined once on the ellipsoid: the geodesic distance is evaluated ``refine_m`` either side along its
        segment, and the vertex of the parabola through the three values is taken when it is nearer. In a
        conformal projection with a scale error of a few ppm the correction is far below a millimetre; the
        refinement makes the result independent of the projection, not of the data.

        Parameters
        ----------
        xy : array_like (n, 2) or (2,)
            Points, metres (metric CRS).
        line : LineString, MultiLineString or pipeline.geometry.Segments
            The line (metric); a :class:`~pipeline.geometry.Segments` of it reuses its index across calls.
        refine_m : float
            Step (m, along the nearest segment) of the refinement on the ellipsoid.

        Returns
        -------
        distance_m : ndarray (n,)
            Geodesic distance on WGS 84, metres.
        nearest_xy : ndarray (n, 2)
            The nearest point of the line to each point, metres (metric CRS).
        """
        from .geometry import Segments

        xy = np.atleast_2d(np.asarray(xy, float))
        seg = line if isinstance(line, Segments) else Segments(line)
        j, t, near0 = seg.nearest(xy)
        h = refine_m / np.sqrt(np.maximum(seg.len2[j], 1e-18))
        cand = np.stack([seg.at(j, t - h), near0, seg.at(j, t + h)])
        d = self._distances(xy, cand)
        symmetric = (t - h >= 0) & (t + h <= 1)          # both samples on the segment
        curv = d[0] - 2 * d[1] + d[2]
        with np.errstate(divide="ignore", invalid="ignore"):
            dt = np.where(symmetric & (curv > 0), 0.5 * h * (d[0] - d[2]) / curv, 0.0)
        dt = np.clip(np.nan_to_num(dt), -h, h)
        refined = seg.at(j, t + dt)
        d_ref = self._distances(xy, refined[None])[0]
        # the parabola's vertex is kept unless it is farther: a foot 1 cm off changes a 30 km distance by 2e-9 m,
        # the size of the round-off of the distances themselves, so "nearer" is judged within DISTANCE_NOISE_M
        better = d_ref <= d[1] + DISTANCE_NOISE_M
        return np.where(better, d_ref, d[1]), np.where(better[:, None], refined, near0)

    def _distances(self, xy: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """Geodesic distances from ``xy`` (n, 2) to each of ``cand`` (k, n, 2), all metric -> (k, n)."""
        k, n = cand.shape[:2]
        ll = self.metric_to_lonlat(np.vstack([xy, cand.reshape(-1, 2)]))
        p, q = np.tile(ll[:n], (k, 1)), ll[n:]
        return GEOD.inv(p[:, 0], p[:, 1], q[:, 0], q[:, 1])[2].reshape(k, n)

    def foot_on_line(self, line: BaseGeometry, lon: float, lat: float, *, resolution_m: float,
                     window_m: float = 2.0, samples: int = 41) -> tuple[float, float]:
        """The point of ``line`` nearest to (lon, lat) on the WGS-84 ellipsoid, as a station along the line.

        Starts at the planar nearest point (the global planar minimum) and narrows a window of ``samples``
        stations around the best one by a factor ``(samples - 1) / 4`` per round until the spacing is below
        ``resolution_m``; the geodesic distance is evaluated on arrays each round.

        Parameters
        ----------
        line : LineString
            Metres (metric CRS).
        lon, lat : float
            The point, degrees (WGS 84).
        resolution_m : float
            Spacing (m along the line) of the last round's stations: the station's resolution.
        window_m : float
            Half-width (m along the line) of the first round's window around the planar nearest point.
        samples : int
            Stations per round (more than 5: each round's window is 4 / (samples - 1) of the last).

        Returns
        -------
        station_m : float
            Distance along ``line`` from its start (planar metres of the metric CRS), in [0, line length].
        distance_m : float
            Geodesic distance on WGS 84 from (lon, lat) to that point, metres.
        """
        p = self.lonlat_to_metric(np.array([[lon, lat]]))
        s = float(shapely.line_locate_point(line, shapely.points(p)[0]))
        half = window_m
        while True:
            ss = np.clip(np.linspace(s - half, s + half, samples), 0.0, line.length)
            q = self.metric_to_lonlat(shapely.get_coordinates(shapely.line_interpolate_point(line, ss)))
            d = GEOD.inv(np.full(len(ss), lon), np.full(len(ss), lat), q[:, 0], q[:, 1])[2]
            k = int(np.argmin(d))
            s, best = float(ss[k]), float(d[k])
            step = 2 * half / (samples - 1)
            if step <= resolution_m:
                return s, best
            half = 2 * step

    def azimuth_along(self, line: BaseGeometry, station_m: float, h_m: float = 1.0) -> float:
        """Geodesic azimuth of a metric line's direction at a station.

        Parameters
        ----------
        line : LineString
            Metres (metric CRS).
        station_m : float
            Distance along ``line`` from its start (planar metres).
        h_m : float
            Half-length (m along the line) of the chord whose azimuth is taken (clipped to the line's ends).

        Returns
        -------
        float
            Azimuth on WGS 84 of the geodesic from ``station_m - h_m`` to ``station_m + h_m``, at its start, degrees
            clockwise from true north in [0, 360).
        """
        ss = np.clip([station_m - h_m, station_m + h_m], 0.0, line.length)
        a, b = self.metric_to_lonlat(shapely.get_coordinates(shapely.line_interpolate_point(line, ss)))
        return float(GEOD.inv(a[0], a[1], b[0], b[1])[0] % 360.0)

    def separation(self, a: BaseGeometry, b: BaseGeometry, step_m: float) -> tuple[float, float]:
        """How far line ``a`` runs from line ``b``: geodesic distances from points along ``a`` to ``b``.

        Parameters
        ----------
        a, b : LineString or MultiLineString
            Metres (metric CRS).
        step_m : float
            ``a`` is sampled at its vertices after ``shapely.segmentize(a, step_m)`` (no two more than ``step_m``
            apart, planar metres).

        Returns
        -------
        largest_m, mean_m : float
            The largest and the mean (over the samples, not length-weighted) geodesic distance on WGS 84, metres.
        """
        xy = shapely.get_coordinates(shapely.segmentize(a, step_m))
        d, _ = self.distance_to_line(xy, b)
        return float(d.max()), float(d.mean())

    def point_scale(self, xy: np.ndarray) -> np.ndarray:
        """Point scale factor of the metric CRS at metric points: projected length / length on the ellipsoid.

        One number per point: the metric CRS is conformal (pyproj's ``get_factors``, meridional scale).

        Parameters
        ----------
        xy : array_like (n, 2)
            Metres (metric CRS).

        Returns
        -------
        ndarray (n,)
            Dimensionless scale factors (1 + error; e.g. 1.00005 is 50 ppm).
        """
        from pyproj import Proj

        ll = self.metric_to_lonlat(np.atleast_2d(xy))
        return np.asarray(Proj(self.metric).get_factors(ll[:, 0], ll[:, 1]).meridional_scale, float)

    def scale_error_ppm(self, n: int) -> float:
        """Worst scale distortion of the metric CRS over the run's area.

        Parameters
        ----------
        n : int
            The area (``Geodesy.area``) is sampled at an n x n grid of lon/lat points (n >= 2; ``crs.scale_samples``).

        Returns
        -------
        float
            max |scale factor - 1| over the grid, meridional and parallel, in parts per million.
        """
        from pyproj import Proj

        w, s, e, nn = self.area
        lons, lats = np.meshgrid(np.linspace(w, e, n), np.linspace(s, nn, n))
        f = Proj(self.metric).get_factors(lons.ravel(), lats.ravel())
        return float(np.max(np.abs(np.concatenate([f.meridional_scale, f.parallel_scale]) - 1.0))) * 1e6


# ----------------------------------------------------------------------- measures in a file's own CRS
def densify_in(geom: BaseGeometry, crs: CRS, max_edge_m: float) -> BaseGeometry:
    """``geom`` with every edge longer than ``max_edge_m`` split evenly in its own projected CRS
    (``shapely.segmentize``); a geometry in a geographic CRS is returned as it is.

    An edge drawn or gridded in a projection is straight there -- a water mask's cell edges, polygons digitised
    in UTM. Reprojecting only the vertices would keep it straight in the metric CRS, where it is curved: its
    middle moves by L^2 k / 8 for an edge of length L whose image has curvature k (two transverse Mercators 125
    km apart: k ~ 3e-9 /m, 34 m for a 300 km edge; 2 mm for 2.5 km). Splitting first keeps it where it was.
    An edge in lon/lat has no such meaning from its file: RFC 7946 says straight in lon/lat, treaty lines and
    mapped borders mean geodesics, web editors draw rhumb lines. Those inputs are taken vertex by vertex, as
    ``ogr2ogr`` and QGIS reproject (densifying the bundled mapped borders in lon/lat moved their validation
    figures by up to 32 m, e.g. the Jakobselva sea line's mean gap from 7.2 to 12.6 m: away from the geodesic).

    Parameters
    ----------
    geom : shapely geometry
        In ``crs``.
    crs : pyproj.CRS
        Its CRS; projected: ``max_edge_m`` is converted to the first axis's unit (metres, feet).
    max_edge_m : float
        The longest edge kept, metres; 0 or less: ``geom`` unchanged.

    Returns
    -------
    shapely geometry
        The same type and vertices, with vertices added on the long edges.
    """
    if max_edge_m <= 0 or crs.is_geographic or not crs.axis_info:
        return geom
    return shapely.segmentize(geom, max_edge_m / crs.axis_info[0].unit_conversion_factor)


def crs_length_m(geom: BaseGeometry, crs: CRS) -> float:
    """Length in metres of ``geom`` given in ``crs``, before any datum change (for what a form reports).

    Parameters
    ----------
    geom : shapely geometry
        A (multi)line or polygon boundary in ``crs``; x = longitude when ``crs`` is geographic (as GDAL reads).
    crs : pyproj.CRS
        Its CRS.

    Returns
    -------
    float
        Geodesic length on ``crs``'s own ellipsoid when it is geographic, else the planar length times the axis
        unit in metres (a projected CRS's grid length: its scale error is not removed).
    """
    if crs.is_geographic:
        return float(crs.get_geod().geometry_length(geom))
    return float(geom.length) * crs.axis_info[0].unit_conversion_factor


def crs_area_m2(geom: BaseGeometry, crs: CRS) -> float:
    """Area in m2 of ``geom`` given in ``crs``, before any datum change (as :func:`crs_length_m`).

    Parameters
    ----------
    geom : shapely geometry
        A (multi)polygon in ``crs``; x = longitude when ``crs`` is geographic.
    crs : pyproj.CRS
        Its CRS.

    Returns
    -------
    float
        Geodesic area (sign-free) on ``crs``'s ellipsoid when it is geographic, else the planar area times the
        square of the axis unit in metres.
    """
    if crs.is_geographic:
        return abs(float(crs.get_geod().geometry_area_perimeter(geom)[0]))
    return float(geom.area) * crs.axis_info[0].unit_conversion_factor ** 2


# ----------------------------------------------------------------------- lon/lat measures (no CRS needed)
def geodesic_length_m(geom_lonlat: BaseGeometry) -> float:
    """Length in metres on WGS 84 of a lon/lat (multi)line or polygon boundary.

    Parameters
    ----------
    geom_lonlat : shapely geometry
        Longitude, latitude in degrees (WGS 84); vertices joined by geodesics (``pyproj.Geod.geometry_length``).

    Returns
    -------
    float
        Metres; of a polygon, its exterior ring (pyproj leaves the holes out).
    """
    return float(GEOD.geometry_length(geom_lonlat))


def geodesic_area_m2(geom_lonlat: BaseGeometry) -> float:
    """Area in m2 on WGS 84 of a lon/lat (multi)polygon (sign-free).

    Parameters
    ----------
    geom_lonlat : Polygon or MultiPolygon
        Longitude, latitude in degrees (WGS 84); edges are geodesics (``pyproj.Geod.geometry_area_perimeter``).

    Returns
    -------
    float
        Square metres: the absolute value of the exterior's signed area plus each hole's, so a hole is
        subtracted when it winds against the exterior (as ``shapely.geometry.polygon.orient`` makes it).
    """
    return abs(float(GEOD.geometry_area_perimeter(geom_lonlat)[0]))


def inverse(lon1, lat1, lon2, lat2) -> tuple[np.ndarray | float, np.ndarray | float]:
    """The geodesic inverse problem on WGS 84 (``pyproj.Geod.inv``): azimuth and distance from point 1 to point 2.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float or array_like
        Degrees (WGS 84); arrays of one shape.

    Returns
    -------
    azimuth_deg : float or ndarray
        Forward azimuth at point 1 towards point 2, degrees clockwise from true north in [0, 360).
    distance_m : float or ndarray
        Geodesic distance, metres.
    """
    az, _, d = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.mod(az, 360.0), d


def geodesic_path(a: tuple[float, float], b: tuple[float, float], step_m: float) -> np.ndarray:
    """Lon/lat vertices of the geodesic a -> b, at most ``step_m`` apart, equally spaced (ends included).

    Parameters
    ----------
    a, b : (float, float)
        Start and end, (longitude, latitude) in degrees (WGS 84).
    step_m : float
        Largest spacing of the vertices along the geodesic, metres.

    Returns
    -------
    ndarray (k, 2)
        Longitude, latitude in degrees; the first row is ``a``, the last ``b`` (k >= 2).
    """
    d = float(GEOD.inv(a[0], a[1], b[0], b[1])[2])
    n = max(0, int(np.ceil(d / step_m)) - 1)
    mid = GEOD.npts(a[0], a[1], b[0], b[1], n) if n else []
    return np.array([a, *mid, b], float)


def rhumb_path(a: tuple[float, float], b: tuple[float, float], n: int) -> np.ndarray:
    """Lon/lat vertices of the rhumb line (loxodrome) a -> b: straight in Mercator coordinates.

    Hand-written because pyproj has no loxodrome: on the ellipsoid, a rhumb line is linear in
    longitude against isometric latitude, which is the Mercator northing (EPSG:3395 scaled), so the
    points are interpolated in World Mercator and transformed back (an exact conversion).

    Parameters
    ----------
    a, b : (float, float)
        Start and end, (longitude, latitude) in degrees (WGS 84).
    n : int
        Number of vertices, ends included (n >= 2), equally spaced in Mercator coordinates.

    Returns
    -------
    ndarray (n, 2)
        Longitude, latitude in degrees; the first row is ``a``, the last ``b`` (to rounding).
    """
    t = Transformer.from_crs(WGS84, CRS.from_epsg(3395), always_xy=True)
    (x0, x1), (y0, y1) = t.transform([a[0], b[0]], [a[1], b[1]])
    f = np.linspace(0.0, 1.0, n)
    lon, lat = t.transform(x0 + f * (x1 - x0), y0 + f * (y1 - y0), direction="INVERSE")
    return np.column_stack([lon, lat])

