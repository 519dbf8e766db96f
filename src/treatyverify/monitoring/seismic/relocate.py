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

Sequences (:func:`relocate_sequence`) are located in one of two ways:

- ``joint=False``, *each against the master*: every event is located from its own
  differential times with the master alone, by :func:`relocate`; the events do not
  inform one another, and each covariance is that of its own solve.
- ``joint=True``, *jointly, master fixed*: the differential times of every pair of
  events (master-event and event-event) enter one weighted least-squares system in the
  offsets and origin shifts of all events but the master, whose hypocentre and origin
  time are held fixed (the datum of the relative catalogue). This is the
  double-difference system of Waldhauser & Ellsworth (2000) without its depth terms,
  anchored at the master instead of constrained at the centroid: the offsets and their
  covariances are relative to the master, as in the pairwise solve, so the two modes
  can be compared event by event. The covariance of each event is its 3 x 3 block of
  the inverse normal matrix, scaled by the system's a-posteriori variance of unit
  weight chi^2/(n - 3K) (K events) when that exceeds 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from obspy import UTCDateTime
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.ingest import Station
from treatyverify.monitoring.seismic.locate import KM_PER_DEG, ErrorEllipse, Location
from treatyverify.monitoring.seismic.traveltime import TravelTimeTable, load_table
from treatyverify.monitoring.seismic.xcorr import DifferentialTime

__all__ = [
    "MasterOrigin",
    "RelativeCatalog",
    "RelativeEvent",
    "RelativeLocation",
    "relocate",
    "relocate_sequence",
]

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
        Observed minus computed differential time per station, s (joint solve of a
        sequence: keyed ``"NET.STA"`` for the pair with the master and
        ``"NET.STA (other event)"`` for pairs with other events, signed as this event
        minus the other).
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


@dataclass(frozen=True)
class MasterOrigin:
    """The master event of a relative catalogue: the datum every offset refers to.

    Parameters
    ----------
    name
        Name of the master event (for example its data directory).
    latitude_deg, longitude_deg
        Epicentre, degrees.
    depth_km
        Depth, km (the relative solve holds every event at this depth).
    origin_time
        Origin time, UTC; ``None`` when unknown (relative origin shifts only).
    source
        Where the hypocentre comes from (a catalogue, a QuakeML file, a location from
        the data); written into the bulletins.
    location
        The location when the master was located from the data, else ``None``.
    """

    name: str
    latitude_deg: float
    longitude_deg: float
    depth_km: float
    origin_time: UTCDateTime | None = None
    source: str = "given"
    location: Location | None = None

    def __post_init__(self) -> None:
        if not (-90.0 <= self.latitude_deg <= 90.0 and math.isfinite(self.longitude_deg)):
            raise InputError("master latitude/longitude out of range", where=self.name)
        if not (math.isfinite(self.depth_km) and self.depth_km >= 0.0):
            raise InputError("master depth must be a number of km >= 0", where=self.name)


@dataclass(frozen=True)
class RelativeEvent:
    """One event of a relative catalogue.

    Parameters
    ----------
    name
        Name of the event.
    location
        Offset from the master with its covariance and ellipses.
    origin_time
        Master origin time plus the origin shift, UTC (``None`` without a master time).
    stations
        Stations whose differential times involving this event entered the solve
        (the location-defining stations).
    n_differential
        Number of differential times involving this event that entered the solve.
    """

    name: str
    location: RelativeLocation
    origin_time: UTCDateTime | None
    stations: tuple[str, ...]
    n_differential: int


@dataclass(frozen=True)
class RelativeCatalog:
    """Events located relative to one master.

    Parameters
    ----------
    master
        The master event.
    events
        The relocated events, in the order given.
    method
        ``"master"`` (each event against the master) or ``"joint"`` (all pairs, master
        fixed).
    model
        Earth model of the travel-time table.
    sigma_s
        Uncertainty of a differential time at cc = 1, s.
    variance_factor
        Joint solve: a-posteriori variance of unit weight of the whole system; pairwise
        solves: ``nan`` (see each event's own).
    pairs
        The event pairs whose differential times were used, as (a, b) names (b minus a).
    """

    master: MasterOrigin
    events: tuple[RelativeEvent, ...]
    method: Literal["master", "joint"]
    model: str
    sigma_s: float
    variance_factor: float = math.nan
    pairs: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def event(self, name: str) -> RelativeEvent:
        """The event called ``name``."""
        for found in self.events:
            if found.name == name:
                return found
        raise InputError("no such event in the relative catalogue", where=name)


def _coordinates(
    stations: Mapping[str, Station] | Mapping[str, tuple[float, float]], key: str
) -> tuple[float, float]:
    coords = stations.get(key)
    if coords is None:
        raise InputError("no coordinates for this station", where=key)
    if isinstance(coords, Station):
        return coords.latitude, coords.longitude
    return float(coords[0]), float(coords[1])


def _usable(differential: Sequence[DifferentialTime]) -> list[DifferentialTime]:
    return [d for d in differential if math.isfinite(d.dt_s) and d.cc > 0]


def _reversed(differential: Sequence[DifferentialTime]) -> list[DifferentialTime]:
    """Times a minus b from times b minus a."""
    return [DifferentialTime(d.station, d.trace_id, -d.dt_s, d.cc) for d in differential]


def _pair_data(
    differential: Mapping[tuple[str, str], Sequence[DifferentialTime]],
    names: Sequence[str],
) -> dict[tuple[str, str], list[DifferentialTime]]:
    """Pairs keyed (a, b) with a before b in ``names``, times b minus a, usable only."""
    order = {name: k for k, name in enumerate(names)}
    out: dict[tuple[str, str], list[DifferentialTime]] = {}
    for (a, b), times in differential.items():
        for name in (a, b):
            if name not in order:
                raise InputError("differential times name an unknown event", where=name)
        if a == b:
            raise InputError("differential times of an event with itself", where=a)
        key, data = ((a, b), list(times)) if order[a] < order[b] else ((b, a), _reversed(times))
        if key in out:
            raise InputError("differential times of a pair given twice", where=f"{a}-{b}")
        kept = _usable(data)
        if kept:
            out[key] = kept
    return out


def relocate_sequence(
    differential: Mapping[tuple[str, str], Sequence[DifferentialTime]],
    master: MasterOrigin,
    events: Sequence[str],
    stations: Mapping[str, Station] | Mapping[str, tuple[float, float]],
    *,
    joint: bool = False,
    sigma_s: float = 0.02,
    model: str = "iasp91",
    table: TravelTimeTable | None = None,
    max_iterations: int = 10,
) -> RelativeCatalog:
    """Locate a sequence of events relative to one master event.

    Parameters
    ----------
    differential
        Differential P times per pair of events, keyed ``(a, b)`` by event names, the
        times being b minus a (from :func:`.xcorr.differential_times` with a's recording
        first); either order of a pair is accepted. Pairs of two non-master events are
        used only when ``joint``.
    master
        The master event; its ``name`` is the one used in ``differential``.
    events
        Names of the events to locate, in the catalogue's order (not the master).
    stations
        Station coordinates keyed by ``"NET.STA"``: :class:`.ingest.Station` or
        (latitude, longitude) in degrees.
    joint
        False: each event against the master (:func:`relocate`). True: all pairs in one
        system with the master fixed (module docstring).
    sigma_s
        Uncertainty of a differential time at cc = 1, s; divided by cc per datum.
    model
        Earth model of the travel-time table when ``table`` is not given.
    table
        Travel-time table; default :func:`.traveltime.load_table` of ``model``.
    max_iterations
        Largest number of Gauss-Newton iterations.

    Raises
    ------
    InputError
        No events, a repeated name, an event without enough differential times (4
        stations with the master; in the joint solve, not tied to the master through
        other events), unknown stations, or a geometry that does not constrain an
        offset.
    """
    if not events:
        raise InputError("no events to locate relative to the master", where=master.name)
    names = [master.name, *events]
    if len(set(names)) != len(names):
        raise InputError("each event must have its own name, not the master's", where="events")
    if not (math.isfinite(sigma_s) and sigma_s > 0):
        raise InputError("sigma_s must be a positive number", where="sigma_s")
    tt = table if table is not None else load_table(model)
    pairs = _pair_data(differential, names)
    hypocentre = (master.latitude_deg, master.longitude_deg, master.depth_km)
    if not joint:
        found: list[RelativeEvent] = []
        used_pairs: list[tuple[str, str]] = []
        for name in events:
            data = pairs.get((master.name, name), [])
            try:
                rel = relocate(
                    data,
                    hypocentre,
                    stations,
                    sigma_s=sigma_s,
                    table=tt,
                    max_iterations=max_iterations,
                )
            except InputError as exc:
                raise InputError(exc.message, where=f"{name} against {master.name}") from None
            used_pairs.append((master.name, name))
            found.append(_event(name, rel, master, data))
        return RelativeCatalog(
            master, tuple(found), "master", tt.model, sigma_s, math.nan, tuple(used_pairs)
        )
    return _joint(pairs, master, list(events), stations, sigma_s, tt, max_iterations)


def _event(
    name: str, rel: RelativeLocation, master: MasterOrigin, data: Sequence[DifferentialTime]
) -> RelativeEvent:
    time = None if master.origin_time is None else master.origin_time + rel.origin_shift_s
    return RelativeEvent(
        name, rel, time, tuple(sorted({d.station for d in data})), len(_usable(data))
    )


def _reference_shifts(
    pairs: Mapping[tuple[str, str], Sequence[DifferentialTime]], names: Sequence[str]
) -> dict[str, float]:
    """Origin shift of every event from the master (names[0]) by the median differential
    time along a chain of pairs (breadth first); events not reached are left out."""
    shift = {names[0]: 0.0}
    frontier = [names[0]]
    while frontier:
        nxt: list[str] = []
        for here in frontier:
            for (a, b), data in pairs.items():
                med = float(np.median([d.dt_s for d in data]))
                if a == here and b not in shift:
                    shift[b] = shift[a] + med
                    nxt.append(b)
                elif b == here and a not in shift:
                    shift[a] = shift[b] - med
                    nxt.append(a)
        frontier = nxt
    return shift


def _joint(
    pairs: Mapping[tuple[str, str], Sequence[DifferentialTime]],
    master: MasterOrigin,
    events: list[str],
    stations: Mapping[str, Station] | Mapping[str, tuple[float, float]],
    sigma_s: float,
    tt: TravelTimeTable,
    max_iterations: int,
) -> RelativeCatalog:
    names = [master.name, *events]
    index = {name: k for k, name in enumerate(names)}
    reference = _reference_shifts(pairs, names)
    for name in events:
        if name not in reference:
            raise InputError(
                "no differential times tie this event to the master, directly or through "
                "other events",
                where=name,
            )
    rows = [(index[a], index[b], d) for (a, b), data in pairs.items() for d in data]
    keys = sorted({d.station for _, _, d in rows})
    column = {key: k for k, key in enumerate(keys)}
    coords = np.array([_coordinates(stations, key) for key in keys]).reshape(-1, 2)
    slat, slon = coords[:, 0], coords[:, 1]
    ia = np.array([r[0] for r in rows], dtype=np.intp)
    ib = np.array([r[1] for r in rows], dtype=np.intp)
    ks = np.array([column[r[2].station] for r in rows], dtype=np.intp)
    ref = np.array([reference[name] for name in names])
    obs = np.array([r[2].dt_s for r in rows]) - (ref[ib] - ref[ia])
    w = np.array([r[2].cc for r in rows]) / sigma_s
    n_ev = len(names)
    depth = master.depth_km
    lat0, lon0 = master.latitude_deg, master.longitude_deg
    coslat = math.cos(math.radians(lat0))
    x = np.zeros((n_ev, 3))  # per event: origin shift from reference s, north km, east km
    n_par = 3 * len(events)

    def predicted() -> tuple[FloatArray, FloatArray]:
        times = np.empty((n_ev, len(keys)))
        g_full = np.zeros((len(rows), 3 * n_ev))
        per_event = []
        for k in range(n_ev):
            lat = lat0 + x[k, 1] / KM_PER_DEG
            lon = lon0 + x[k, 2] / (KM_PER_DEG * coslat)
            dist, az = _distance_azimuth(lat, lon, slat, slon)
            t, slow, _ = tt.derivatives(dist, depth)
            times[k] = t
            per_event.append((slow, az))
        model_dt = x[ib, 0] - x[ia, 0] + times[ib, ks] - times[ia, ks]
        r = np.arange(len(rows))
        for sign, which in ((1.0, ib), (-1.0, ia)):
            slow = np.array([per_event[k][0][s] for k, s in zip(which, ks, strict=True)])
            az = np.array([per_event[k][1][s] for k, s in zip(which, ks, strict=True)])
            g_full[r, 3 * which] += sign
            g_full[r, 3 * which + 1] += sign * -slow * np.cos(az) / KM_PER_DEG
            g_full[r, 3 * which + 2] += sign * -slow * np.sin(az) / KM_PER_DEG
        return obs - model_dt, g_full[:, 3:]  # the master's columns dropped: held fixed

    if len(rows) < n_par + 1:
        raise InputError(
            f"the joint solve has {len(rows)} differential times for {n_par} unknowns",
            where="differential times",
        )
    iterations = 0
    residual, g = predicted()
    for _ in range(max_iterations):
        iterations += 1
        step, *_ = np.linalg.lstsq(g * w[:, None], residual * w, rcond=None)
        x[1:] += step.reshape(-1, 3)
        residual, g = predicted()
        moves = step.reshape(-1, 3)
        if (
            float(np.max(np.hypot(moves[:, 1], moves[:, 2]))) < 1e-5
            and float(np.max(np.abs(moves[:, 0]))) < 1e-6
        ):
            break
    normal = (g * w[:, None]).T @ (g * w[:, None])
    if np.linalg.cond(normal) > 1e12:
        raise InputError(
            "the differential times do not constrain every offset (too few stations or too "
            "narrow an azimuth range for some event)",
            where="differential times",
        )
    chi2 = float(np.sum((residual * w) ** 2))
    dof = len(rows) - n_par
    factor = chi2 / dof if dof > 0 else math.nan
    scale = max(factor, 1.0) if math.isfinite(factor) else 1.0
    covariance = np.asarray(np.linalg.inv(normal) * scale, dtype=np.float64)
    found: list[RelativeEvent] = []
    for k, name in enumerate(events, start=1):
        mine = (ia == k) | (ib == k)
        if int(np.count_nonzero(mine)) < 3:
            raise InputError("fewer than 3 differential times involve this event", where=name)
        cov = np.asarray(covariance[3 * (k - 1) : 3 * k, 3 * (k - 1) : 3 * k], dtype=np.float64)
        block = np.asarray(cov[1:3, 1:3], dtype=np.float64)
        lat = lat0 + x[k, 1] / KM_PER_DEG
        lon = lon0 + x[k, 2] / (KM_PER_DEG * coslat)
        residuals: dict[str, float] = {}
        for m in np.flatnonzero(mine):
            other = names[int(ia[m] if ib[m] == k else ib[m])]
            key = rows[m][2].station
            label = key if other == master.name else f"{key} ({other})"
            residuals[label] = float(residual[m] if ib[m] == k else -residual[m])
        rel = RelativeLocation(
            north_km=float(x[k, 1]),
            east_km=float(x[k, 2]),
            origin_shift_s=float(ref[k] + x[k, 0]),
            latitude_deg=float(lat),
            longitude_deg=float(lon),
            covariance=cov,
            ellipse_1sigma=_ellipse(block, 1.0, ONE_SIGMA_2D),
            ellipse_90=_ellipse(block, CHI2_90_2DOF, 0.9),
            residuals_s=residuals,
            rms_s=float(np.sqrt(np.mean(residual[mine] ** 2))),
            variance_factor=factor,
            iterations=iterations,
        )
        data = [rows[m][2] for m in np.flatnonzero(mine)]
        found.append(_event(name, rel, master, data))
    return RelativeCatalog(
        master, tuple(found), "joint", tt.model, sigma_s, factor, tuple(sorted(pairs))
    )
