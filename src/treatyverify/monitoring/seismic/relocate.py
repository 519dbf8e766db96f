"""Relative location of one event with respect to a master event from differential times.

Two events a few kilometres apart send P waves to a distant station along almost the same
path, so the errors of the Earth model cancel in the difference of their arrival times.
With the master event a at a known hypocentre and the differential times
dt_i = t_b,i - t_a,i measured by waveform cross-correlation (:mod:`.xcorr`), the offset
of event b solves

    dt_i = d_origin + T(Delta_i(b)) - T(Delta_i(a))
         ~ d_origin + s_i . dx,    s_i = -(dT/dDelta)_i / (km per degree) (cos az_i, sin az_i),

where T is the first-arrival travel time of the table, Delta_i the epicentral distance,
az_i the azimuth from the source to station i, dx = (north, east) offset in km and
d_origin the difference of the origin times (depth is held at the master's). This is the
double-difference idea of Waldhauser & Ellsworth (2000, Bull. Seism. Soc. Am. 90,
1353-1368) for a single pair of events. The solve is weighted least squares iterated
(Gauss-Newton) with the table's times evaluated at the moving epicentre, so offsets of
several km come out without linearization error.

Weights are 1/sigma_i^2 with sigma_i = ``sigma_s`` / cc_i (a lower correlation coefficient
gives a less precise delay; hypoDD weights by cc^2 in the same spirit). The covariance is
the inverse of the normal matrix multiplied by the a-posteriori variance of unit weight
chi^2/(n - 3) when that exceeds 1 (as in :func:`.locate.locate`). The 1-sigma ellipse
holds 39.3 % of a bivariate normal distribution, the 90 % ellipse is scaled by the 90 %
quantile of chi-square with 2 degrees of freedom (4.605).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.ingest import Station
from treatyverify.monitoring.seismic.locate import KM_PER_DEG, ErrorEllipse, Location
from treatyverify.monitoring.seismic.traveltime import TravelTimeTable, load_table
from treatyverify.monitoring.seismic.xcorr import DifferentialTime

__all__ = ["RelativeLocation", "relocate"]

FloatArray = npt.NDArray[np.float64]

#: Probability content of the 1-sigma ellipse of a bivariate normal: 1 - exp(-1/2).
ONE_SIGMA_2D = 1.0 - math.exp(-0.5)

#: 90 % quantile of chi-square with 2 degrees of freedom.
CHI2_90_2DOF = float(stats.chi2.ppf(0.9, 2))


@dataclass(frozen=True)
class RelativeLocation:
    """Offset of event b from master event a.

    Parameters
    ----------
    north_km, east_km
        Offset of b from a, km.
    origin_shift_s
        Origin time of b minus that of a, s.
    latitude_deg, longitude_deg
        Epicentre of b implied by the master's epicentre and the offset, degrees.
    covariance
        3 x 3 covariance of (origin shift s, north km, east km).
    ellipse_1sigma
        1-sigma horizontal ellipse (39.3 % content), km.
    ellipse_90
        90 % horizontal ellipse, km.
    residuals_s
        Observed minus computed differential time per station, s.
    rms_s
        Root mean square residual, s.
    variance_factor
        A-posteriori variance of unit weight chi^2/(n - 3) (``nan`` when n = 3).
    iterations
        Gauss-Newton iterations taken.
    """

    north_km: float
    east_km: float
    origin_shift_s: float
    latitude_deg: float
    longitude_deg: float
    covariance: FloatArray
    ellipse_1sigma: ErrorEllipse
    ellipse_90: ErrorEllipse
    residuals_s: dict[str, float]
    rms_s: float
    variance_factor: float
    iterations: int

    @property
    def distance_km(self) -> float:
        """Horizontal distance of b from a, km."""
        return math.hypot(self.north_km, self.east_km)


def _distance_azimuth(
    lat: float, lon: float, slat: FloatArray, slon: FloatArray
) -> tuple[FloatArray, FloatArray]:
    p1, p2 = math.radians(lat), np.radians(slat)
    dl = np.radians(slon) - math.radians(lon)
    hav = np.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    dist = np.degrees(2.0 * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0))))
    az = np.arctan2(
        np.sin(dl) * np.cos(p2), math.cos(p1) * np.sin(p2) - math.sin(p1) * np.cos(p2) * np.cos(dl)
    )
    return np.asarray(dist, dtype=np.float64), np.asarray(az, dtype=np.float64)


def _ellipse(block: FloatArray, scale: float, confidence: float) -> ErrorEllipse:
    w, v = np.linalg.eigh(block)
    major = v[:, 1]
    azimuth = math.degrees(math.atan2(major[1], major[0])) % 180.0
    return ErrorEllipse(
        math.sqrt(max(scale * w[1], 0.0)),
        math.sqrt(max(scale * w[0], 0.0)),
        azimuth,
        confidence,
    )


def relocate(
    differential: Sequence[DifferentialTime],
    master: Location | tuple[float, float, float],
    stations: Mapping[str, Station] | Mapping[str, tuple[float, float]],
    *,
    sigma_s: float = 0.02,
    model: str = "iasp91",
    table: TravelTimeTable | None = None,
    max_iterations: int = 10,
) -> RelativeLocation:
    """Locate event b relative to master event a from differential P times.

    Parameters
    ----------
    differential
        Differential times b minus a per station (from :func:`.xcorr.differential_times`).
    master
        Hypocentre of event a: a :class:`.locate.Location` or (latitude deg, longitude
        deg, depth km).
    stations
        Station coordinates keyed by ``"NET.STA"``: :class:`.ingest.Station` or
        (latitude, longitude) in degrees.
    sigma_s
        Uncertainty of a differential time at cc = 1, s; divided by cc per station.
    model
        Earth model of the travel-time table when ``table`` is not given.
    table
        Travel-time table; default :func:`.traveltime.load_table` of ``model``.
    max_iterations
        Largest number of Gauss-Newton iterations.

    Raises
    ------
    InputError
        Fewer than 4 stations, unknown stations, or a geometry that does not constrain
        the offset.
    """
    if not (math.isfinite(sigma_s) and sigma_s > 0):
        raise InputError("sigma_s must be a positive number", where="sigma_s")
    if isinstance(master, Location):
        lat0, lon0, depth = master.latitude_deg, master.longitude_deg, master.depth_km
    else:
        lat0, lon0, depth = (float(x) for x in master)
    used = [d for d in differential if math.isfinite(d.dt_s) and d.cc > 0]
    if len(used) < 4:
        raise InputError(
            f"relative location needs differential times at 4 or more stations, got {len(used)}",
            where="differential times",
        )
    slat = np.empty(len(used))
    slon = np.empty(len(used))
    for k, d in enumerate(used):
        coords = stations.get(d.station)
        if coords is None:
            raise InputError("no coordinates for this station", where=d.station)
        if isinstance(coords, Station):
            slat[k], slon[k] = coords.latitude, coords.longitude
        else:
            slat[k], slon[k] = float(coords[0]), float(coords[1])
    tt = table if table is not None else load_table(model)
    dt = np.array([d.dt_s for d in used])
    reference = float(np.median(dt))  # keeps the numbers small: origin shifts can be years
    obs = dt - reference
    sigma = sigma_s / np.array([d.cc for d in used])
    w = 1.0 / sigma
    dist_a, _ = _distance_azimuth(lat0, lon0, slat, slon)
    time_a = tt.time(dist_a, depth)
    coslat = math.cos(math.radians(lat0))
    x = np.zeros(3)  # origin shift (s, from reference), north km, east km
    iterations = 0
    g = np.zeros((len(used), 3))
    residual = obs.copy()
    for _ in range(max_iterations):
        iterations += 1
        lat = lat0 + x[1] / KM_PER_DEG
        lon = lon0 + x[2] / (KM_PER_DEG * coslat)
        dist_b, az_b = _distance_azimuth(lat, lon, slat, slon)
        time_b, slow_b, _ = tt.derivatives(dist_b, depth)
        residual = obs - (x[0] + time_b - time_a)
        g = np.column_stack(
            [
                np.ones(len(used)),
                -slow_b * np.cos(az_b) / KM_PER_DEG,
                -slow_b * np.sin(az_b) / KM_PER_DEG,
            ]
        )
        step, *_ = np.linalg.lstsq(g * w[:, None], residual * w, rcond=None)
        x = x + step
        if float(np.hypot(step[1], step[2])) < 1e-5 and abs(float(step[0])) < 1e-6:
            break
    normal = (g * w[:, None]).T @ (g * w[:, None])
    if np.linalg.cond(normal) > 1e12:
        raise InputError(
            "the stations do not constrain the offset (too narrow an azimuth range)",
            where="differential times",
        )
    lat = lat0 + x[1] / KM_PER_DEG
    lon = lon0 + x[2] / (KM_PER_DEG * coslat)
    dist_b, _ = _distance_azimuth(lat, lon, slat, slon)
    residual = obs - (x[0] + tt.time(dist_b, depth) - time_a)
    n = len(used)
    chi2 = float(np.sum((residual * w) ** 2))
    factor = chi2 / (n - 3) if n > 3 else math.nan
    scale = max(factor, 1.0) if math.isfinite(factor) else 1.0
    covariance = np.asarray(np.linalg.inv(normal) * scale, dtype=np.float64)
    block = np.asarray(covariance[1:3, 1:3], dtype=np.float64)
    return RelativeLocation(
        north_km=float(x[1]),
        east_km=float(x[2]),
        origin_shift_s=reference + float(x[0]),
        latitude_deg=float(lat),
        longitude_deg=float(lon),
        covariance=covariance,
        ellipse_1sigma=_ellipse(block, 1.0, ONE_SIGMA_2D),
        ellipse_90=_ellipse(block, CHI2_90_2DOF, 0.9),
        residuals_s={d.station: float(r) for d, r in zip(used, residual, strict=True)},
        rms_s=float(np.sqrt(np.mean(residual**2))),
        variance_factor=factor,
        iterations=iterations,
    )
