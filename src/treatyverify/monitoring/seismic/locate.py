"""Association and location of seismic events from first-arriving P-type picks.

Association (:func:`associate`) is a grid search: for every node of a grid of epicentres
spanning the stations (at a fixed depth) each pick implies an origin time, pick time minus
travel time; an event at a node shows up as a cluster of implied origin times. The node
and time window holding the most picks within the tolerance win, those picks form an event
(one per station), and the search repeats on the picks left until fewer than ``min_picks``
agree; what is left are outliers.

Location (:func:`locate`) is a grid search (coarse, then fine) for a starting epicentre,
refined by Geiger's method: damped, weighted (1/sigma^2) iterative least squares over origin
time, north and east offsets (km) and, when it is free, depth. The covariance is the inverse
of the undamped normal matrix at the solution, multiplied by a variance factor; by default
(``variance="larger"``) that factor is the a-posteriori variance of unit weight
chi^2/(n - m) when it exceeds 1, else 1, so stated pick uncertainties are trusted unless the
residuals show them too optimistic. The 90 % error ellipse takes the 2 x 2 horizontal block
of that covariance scaled by the 90 % quantile of chi-square with 2 degrees of freedom
(4.605).

The Earth is the spherical model of the travel-time table (radius 6371 km, as in iasp91,
Kennett & Engdahl 1991, and ak135, Kennett, Engdahl & Buland 1995); no ellipticity or
station elevation corrections are applied.

Two terms carry what a one-dimensional model misses. A travel-time model error
(:class:`ModelError`, by phase and distance) is combined with each pick's own uncertainty in
quadrature, sigma^2 = sigma_pick^2 + sigma_model(distance)^2, so that the weights and the
ellipse account for the lateral structure that iasp91 and ak135 leave out. No default value is
shipped: no published table for this region's regional P was at hand, so the caller states the
error (for example from a study of the same paths) and its source. Station corrections (seconds,
``observed - predicted`` at that station for a reference event; :func:`station_corrections`
measures them from a calibration event of known origin, :func:`read_station_corrections` reads
them from a CSV file) are subtracted from the observed times.

Depth from first-arriving P alone is not resolved: at regional distances it trades against the
origin time. A location therefore says whether its depth is resolved
(:attr:`Location.depth_resolved`); only picks of depth phases could resolve it, and the
locator takes first-arriving P only, so a free depth is reported as unresolved and the depth
screen (:func:`treatyverify.monitoring.seismic.screening.screen_location_depth`) does not use it.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from obspy import UTCDateTime
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.traveltime import TravelTimeTable, load_table

__all__ = [
    "KM_PER_DEG",
    "P_PHASES",
    "AssociatedEvent",
    "Association",
    "ErrorEllipse",
    "Location",
    "ModelError",
    "Pick",
    "associate",
    "locate",
    "locate_from_picks",
    "read_station_corrections",
    "station_corrections",
]

FloatArray = npt.NDArray[np.float64]

#: Kilometres per degree of arc on a sphere of radius 6371 km (iasp91 and ak135).
KM_PER_DEG = 6371.0 * math.pi / 180.0

#: Phase labels accepted as first-arriving P-type picks.
P_PHASES: frozenset[str] = frozenset({"P", "Pn", "Pg", "Pb", "p", "Pdiff"})

#: 90 % quantile of chi-square with 2 degrees of freedom (scipy.stats.chi2.ppf(0.9, 2)).
CHI2_90_2DOF = float(stats.chi2.ppf(0.9, 2))


@dataclass(frozen=True)
class Pick:
    """One arrival time read at one station.

    Parameters
    ----------
    station
        Station key, as in the station-coordinate mapping (for example ``"IC.MDJ"``).
    phase
        Phase label; location models first-arriving P-type phases (:data:`P_PHASES`).
    time
        Arrival time, UTC, as :class:`obspy.UTCDateTime` or POSIX epoch seconds.
    sigma_s
        Standard uncertainty of the arrival time, s (> 0).
    """

    station: str
    phase: str
    time: UTCDateTime | float
    sigma_s: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sigma_s) and self.sigma_s > 0.0):
            raise InputError("sigma_s must be a positive number of seconds", where=self.station)
        if not math.isfinite(float(self.time)):
            raise InputError("pick time is not finite", where=self.station)

    @property
    def epoch_s(self) -> float:
        """Arrival time as POSIX epoch seconds."""
        return float(self.time)


@dataclass(frozen=True)
class ErrorEllipse:
    """Horizontal error ellipse of an epicentre.

    Parameters
    ----------
    semi_major_km, semi_minor_km
        Semi-axes, km.
    azimuth_deg
        Azimuth of the major axis, degrees clockwise from north, in [0, 180).
    confidence
        Probability content (0.9).
    """

    semi_major_km: float
    semi_minor_km: float
    azimuth_deg: float
    confidence: float = 0.9

    def contains(self, north_km: float, east_km: float) -> bool:
        """Whether an offset (north, east, km) from the epicentre lies inside the ellipse."""
        az = math.radians(self.azimuth_deg)
        along = north_km * math.cos(az) + east_km * math.sin(az)
        across = -north_km * math.sin(az) + east_km * math.cos(az)
        a, b = max(self.semi_major_km, 1e-12), max(self.semi_minor_km, 1e-12)
        return (along / a) ** 2 + (across / b) ** 2 <= 1.0


@dataclass(frozen=True)
class Location:
    """A located event.

    Parameters
    ----------
    origin_time
        Origin time, UTC.
    latitude_deg, longitude_deg
        Epicentre, degrees.
    depth_km
        Depth, km.
    depth_fixed
        Whether depth was held fixed.
    covariance
        4 x 4 covariance of (origin time s, north km, east km, depth km); the depth row and
        column are zero when depth is fixed.
    ellipse
        90 % horizontal error ellipse.
    residuals_s
        Observed minus predicted arrival time per station, s.
    rms_s
        Root mean square of the residuals, s.
    variance_factor
        A-posteriori variance of unit weight, chi^2/(n - m) (``nan`` when n = m).
    covariance_scale
        The factor the a-priori covariance was multiplied by.
    iterations
        Geiger iterations taken.
    model
        Earth model of the travel-time table.
    depth_resolved
        Whether the data resolve the depth (only depth phases could; first-arriving P alone
        never does, so this is ``False`` for every location this module makes).
    model_error
        Whether a travel-time model error was combined with the pick uncertainties.
    corrected_stations
        Stations whose times were corrected by a station correction.
    """

    origin_time: UTCDateTime
    latitude_deg: float
    longitude_deg: float
    depth_km: float
    depth_fixed: bool
    covariance: FloatArray
    ellipse: ErrorEllipse
    residuals_s: dict[str, float]
    rms_s: float
    variance_factor: float
    covariance_scale: float
    iterations: int
    model: str
    depth_resolved: bool = False
    model_error: bool = False
    corrected_stations: tuple[str, ...] = ()

    @property
    def n_picks(self) -> int:
        """Number of picks used."""
        return len(self.residuals_s)


@dataclass(frozen=True)
class ModelError:
    """Travel-time model error of one phase as a function of epicentral distance.

    The standard error is interpolated linearly between the given distances and held
    constant beyond the ends. The values are the caller's: give their source with them.

    Parameters
    ----------
    phase
        Phase label the error applies to (for example ``"P"``, ``"Pn"``, ``"Pg"``).
    distances_deg
        Epicentral distances, degrees, increasing.
    sigma_s
        Standard error of the model prediction at those distances, s (>= 0).
    source
        Where the values come from (publication, or "choice").
    """

    phase: str
    distances_deg: tuple[float, ...]
    sigma_s: tuple[float, ...]
    source: str = ""

    def __post_init__(self) -> None:
        d = np.asarray(self.distances_deg, dtype=float)
        s = np.asarray(self.sigma_s, dtype=float)
        if d.ndim != 1 or d.size == 0 or d.shape != s.shape:
            raise InputError(
                "model error needs as many sigmas as distances, at least one", where=self.phase
            )
        if not (np.all(np.isfinite(d)) and np.all(np.isfinite(s)) and np.all(s >= 0.0)):
            raise InputError("model-error sigmas must be finite and >= 0 s", where=self.phase)
        if np.any(np.diff(d) <= 0.0):
            raise InputError("model-error distances must increase", where=self.phase)

    @classmethod
    def constant(cls, phase: str, sigma_s: float, source: str = "") -> ModelError:
        """The same model error at every distance, s."""
        return cls(phase, (0.0,), (float(sigma_s),), source)

    def at(self, distance_deg: npt.ArrayLike) -> FloatArray:
        """Model standard error, s, at the given distances (degrees)."""
        return np.asarray(
            np.interp(
                np.asarray(distance_deg, dtype=float),
                np.asarray(self.distances_deg, dtype=float),
                np.asarray(self.sigma_s, dtype=float),
            ),
            dtype=np.float64,
        )


def _model_sigma(
    picks: Sequence[Pick], errors: Mapping[str, ModelError] | None, distance_deg: FloatArray
) -> FloatArray:
    """Model error (s) of each pick: its phase's entry, else the ``"P"`` entry for P phases."""
    out = np.zeros(len(picks))
    if not errors:
        return out
    for k, pick in enumerate(picks):
        entry = errors.get(pick.phase)
        if entry is None and pick.phase in P_PHASES:
            entry = errors.get("P")
        if entry is None:
            raise InputError(
                f"no travel-time model error given for phase {pick.phase!r}", where=pick.station
            )
        out[k] = float(entry.at(distance_deg[k]))
    return out


def read_station_corrections(path: str | Path) -> dict[str, float]:
    """Station corrections from a CSV file with columns ``station,correction_s``.

    A correction is the observed minus predicted time at that station, s; it is subtracted
    from the observed arrival times.

    Raises
    ------
    InputError
        Unreadable file, missing columns, a value that is not a finite number, or a station
        listed twice.
    """
    where = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read station corrections ({exc})", where=where) from None
    out: dict[str, float] = {}
    for line, row in enumerate(rows, start=2):
        station = (row.get("station") or "").strip()
        text = (row.get("correction_s") or "").strip()
        if not station or not text:
            raise InputError("needs columns station and correction_s", where=f"{where}:{line}")
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"{text!r} is not a number", where=f"{where}:{line}") from None
        if not math.isfinite(value):
            raise InputError("correction is not finite", where=f"{where}:{line}")
        if station in out:
            raise InputError(f"station {station} listed twice", where=f"{where}:{line}")
        out[station] = value
    return out


def station_corrections(
    picks: Sequence[Pick],
    stations: Mapping[str, tuple[float, float]],
    table: TravelTimeTable,
    *,
    latitude_deg: float,
    longitude_deg: float,
    depth_km: float,
    origin_time: UTCDateTime | float,
) -> dict[str, float]:
    """Per-station corrections from a calibration event of known (published) origin.

    Each correction is the pick's observed minus predicted arrival time for that origin, s;
    with one pick per station from one event it is that station's mean residual.

    Parameters
    ----------
    picks
        P-type picks of the calibration event, one per station.
    stations
        Station key to (latitude, longitude), degrees.
    table
        Travel-time table (the one the corrected events will be located with).
    latitude_deg, longitude_deg, depth_km, origin_time
        The calibration event's known hypocentre (degrees, km) and origin time (UTC).
    """
    if not picks:
        return {}
    sums: dict[str, list[float]] = {}
    lat, lon = _station_arrays(picks, stations)
    dist, _ = _distance_azimuth(latitude_deg, longitude_deg, lat, lon)
    tt = _travel(table, dist, depth_km, "calibration event")
    t0 = float(origin_time)
    for pick, t in zip(picks, tt, strict=True):
        sums.setdefault(pick.station, []).append(pick.epoch_s - t0 - float(t))
    return {k: float(np.mean(v)) for k, v in sorted(sums.items())}


@dataclass(frozen=True)
class AssociatedEvent:
    """Picks grouped as one event by :func:`associate`, with its grid-node hypocentre."""

    origin_time: UTCDateTime
    latitude_deg: float
    longitude_deg: float
    depth_km: float
    picks: tuple[Pick, ...]


@dataclass(frozen=True)
class Association:
    """Result of :func:`associate`: events (most picks first) and picks left over."""

    events: tuple[AssociatedEvent, ...]
    outliers: tuple[Pick, ...] = field(default_factory=tuple)


def _distance_azimuth(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Great-circle distance (degrees) and azimuth from point 1 to point 2 (degrees)."""
    p1, l1 = np.radians(lat1), np.radians(lon1)
    p2, l2 = np.radians(lat2), np.radians(lon2)
    dl = l2 - l1
    hav = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    dist = 2.0 * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))
    az = np.arctan2(
        np.sin(dl) * np.cos(p2), np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    )
    return np.degrees(dist), np.degrees(az)


def _station_arrays(
    picks: Sequence[Pick], stations: Mapping[str, tuple[float, float]]
) -> tuple[FloatArray, FloatArray]:
    lat = np.empty(len(picks))
    lon = np.empty(len(picks))
    for k, pick in enumerate(picks):
        if pick.phase not in P_PHASES:
            raise InputError(
                f"phase {pick.phase!r} is not a first-arriving P-type phase "
                f"({', '.join(sorted(P_PHASES))})",
                where=pick.station,
            )
        coords = stations.get(pick.station)
        if coords is None:
            raise InputError("no coordinates for this station", where=pick.station)
        la, lo = float(coords[0]), float(coords[1])
        if not (-90.0 <= la <= 90.0 and math.isfinite(lo)):
            raise InputError("station latitude/longitude out of range", where=pick.station)
        lat[k], lon[k] = la, lo
    return lat, lon


def _region(lat: FloatArray, lon: FloatArray, margin_deg: float) -> tuple[float, ...]:
    # circular mean longitude, so that a network across the antimeridian stays whole
    lon0 = float(np.degrees(np.angle(np.exp(1j * np.radians(lon)).mean())))
    dlon = (lon - lon0 + 180.0) % 360.0 - 180.0
    return (
        max(float(lat.min()) - margin_deg, -89.0),
        min(float(lat.max()) + margin_deg, 89.0),
        lon0 + float(dlon.min()) - margin_deg,
        lon0 + float(dlon.max()) + margin_deg,
    )


def _grid(box: tuple[float, ...], step_deg: float) -> tuple[FloatArray, FloatArray]:
    lat_min, lat_max, lon_min, lon_max = box
    lats = np.arange(lat_min, lat_max + 0.5 * step_deg, step_deg)
    lons = np.arange(lon_min, lon_max + 0.5 * step_deg, step_deg)
    glat, glon = np.meshgrid(lats, lons, indexing="ij")
    return glat.ravel(), glon.ravel()


def _travel(
    table: TravelTimeTable, distance_deg: FloatArray, depth_km: float | FloatArray, where: str
) -> FloatArray:
    if distance_deg.size and float(distance_deg.max()) > float(table.distances_deg[-1]):
        raise InputError(
            f"a station lies beyond {table.distances_deg[-1]:g} degrees, the table's reach",
            where=where,
        )
    return table.time(distance_deg, depth_km)


def associate(
    picks: Sequence[Pick],
    stations: Mapping[str, tuple[float, float]],
    table: TravelTimeTable,
    *,
    depth_km: float = 0.0,
    tolerance_s: float = 2.0,
    grid_step_deg: float = 0.1,
    margin_deg: float = 2.0,
    min_picks: int = 4,
) -> Association:
    """Group P picks from many stations into events by a grid search.

    Parameters
    ----------
    picks
        P-type picks, any number of events mixed, at most one pick per station per event.
    stations
        Station key to (latitude, longitude), degrees.
    table
        Travel-time table.
    depth_km
        Fixed source depth of the search, km.
    tolerance_s
        Half-width of the window of implied origin times a pick must fall in, s.
    grid_step_deg
        Spacing of the grid of trial epicentres, degrees; keep ``grid_step_deg`` times
        the P slowness (about 0.12 s/km) well under ``tolerance_s``.
    margin_deg
        Extension of the grid beyond the box spanned by the stations, degrees.
    min_picks
        Fewest picks (from distinct stations) that make an event.
    """
    if tolerance_s <= 0.0 or grid_step_deg <= 0.0 or min_picks < 1:
        raise InputError("tolerance_s, grid_step_deg and min_picks must be positive")
    remaining = list(picks)
    if not remaining:
        return Association(events=())
    lat, lon = _station_arrays(remaining, stations)
    glat, glon = _grid(_region(lat, lon, margin_deg), grid_step_deg)
    times = np.array([p.epoch_s for p in remaining])
    ref = float(times.min())
    dist, _ = _distance_azimuth(glat[:, None], glon[:, None], lat[None, :], lon[None, :])
    travel = _travel(table, dist, depth_km, "association grid")
    alive = np.ones(len(remaining), dtype=bool)
    events: list[AssociatedEvent] = []
    window = 2.0 * tolerance_s
    while int(alive.sum()) >= min_picks:
        idx = np.flatnonzero(alive)
        implied = np.sort((times[idx] - ref)[None, :] - travel[:, idx], axis=1)
        n_nodes, n = implied.shape
        span = float(implied.max() - implied.min()) + 2.0 * window + 1.0
        flat = (implied + span * np.arange(n_nodes)[:, None]).ravel()
        end = np.searchsorted(flat, flat + window, side="right")
        start = np.arange(flat.size)
        # a window may not run into the next node's row
        end = np.minimum(end, (start // n + 1) * n)
        count = end - start
        spread = flat[end - 1] - flat
        best = int(np.lexsort((spread, -count))[0])
        if int(count[best]) < min_picks:
            break
        node = best // n
        centre = float(np.median(flat[best : end[best]] - span * node))
        offsets = (times[idx] - ref) - travel[node, idx] - centre
        chosen: dict[str, int] = {}
        for k in np.flatnonzero(np.abs(offsets) <= tolerance_s):
            key = remaining[idx[k]].station
            if key not in chosen or abs(offsets[k]) < abs(offsets[chosen[key]]):
                chosen[key] = int(k)
        if len(chosen) < min_picks:
            break
        members = sorted(idx[k] for k in chosen.values())
        alive[members] = False
        events.append(
            AssociatedEvent(
                origin_time=UTCDateTime(ref + centre),
                latitude_deg=float(glat[node]),
                longitude_deg=float((glon[node] + 180.0) % 360.0 - 180.0),
                depth_km=depth_km,
                picks=tuple(remaining[m] for m in members),
            )
        )
    outliers = tuple(remaining[k] for k in np.flatnonzero(alive))
    return Association(events=tuple(events), outliers=outliers)


def _grid_start(
    times: FloatArray,
    weights: FloatArray,
    lat: FloatArray,
    lon: FloatArray,
    table: TravelTimeTable,
    depth_km: float,
    margin_deg: float,
) -> tuple[float, float]:
    box = _region(lat, lon, margin_deg)
    step = max(box[1] - box[0], box[3] - box[2]) / 30.0
    best_lat = best_lon = 0.0
    for _ in range(3):
        glat, glon = _grid(box, step)
        dist, _ = _distance_azimuth(glat[:, None], glon[:, None], lat[None, :], lon[None, :])
        res = times[None, :] - _travel(table, dist, depth_km, "location grid")
        mean = (res * weights).sum(axis=1) / weights.sum()
        misfit = (((res - mean[:, None]) ** 2) * weights).sum(axis=1)
        k = int(np.argmin(misfit))
        best_lat, best_lon = float(glat[k]), float(glon[k])
        box = (
            max(best_lat - 2 * step, -89.9),
            min(best_lat + 2 * step, 89.9),
            best_lon - 2 * step,
            best_lon + 2 * step,
        )
        step /= 5.0
    return best_lat, best_lon


def locate(
    picks: Sequence[Pick],
    stations: Mapping[str, tuple[float, float]],
    table: TravelTimeTable,
    *,
    depth_km: float = 0.0,
    free_depth: bool = False,
    start: tuple[float, float] | None = None,
    damping: float = 1e-3,
    max_iterations: int = 40,
    variance: Literal["a-priori", "a-posteriori", "larger"] = "larger",
    margin_deg: float = 5.0,
    model_error: Mapping[str, ModelError] | None = None,
    corrections_s: Mapping[str, float] | None = None,
) -> Location:
    """Locate an event from P picks: grid search, then Geiger's iterative least squares.

    Parameters
    ----------
    picks
        First-arriving P-type picks, one per station, at least 4.
    stations
        Station key to (latitude, longitude), degrees.
    table
        Travel-time table.
    depth_km
        Fixed depth, km, or the starting depth when ``free_depth``.
    free_depth
        Solve for depth too.
    start
        Starting epicentre (latitude, longitude), degrees; default: grid search.
    damping
        Marquardt damping, relative to the diagonal of the normal matrix (dimensionless).
    max_iterations
        Most Geiger iterations before giving up.
    variance
        Covariance scaling: ``"a-priori"`` (pick sigmas as given), ``"a-posteriori"``
        (times chi^2/(n - m)) or ``"larger"`` (the larger of the two; default).
    margin_deg
        Extension of the starting grid beyond the stations, degrees.
    model_error
        Travel-time model error by phase label (a ``"P"`` entry serves every P-type
        phase without its own); combined with each pick's sigma in quadrature. ``None``:
        pick sigmas alone.
    corrections_s
        Station corrections, s (observed minus predicted for a reference event), subtracted
        from the observed times; stations without one are left as they are.

    Raises
    ------
    InputError
        Fewer than 4 picks, a station picked twice, unknown station, non-P phase, depth
        outside the table, a singular system (stations do not constrain the solution),
        or no convergence.
    """
    if len(picks) < 4:
        raise InputError(f"location needs at least 4 P picks, got {len(picks)}")
    seen: set[str] = set()
    for pick in picks:
        if pick.station in seen:
            raise InputError("more than one pick at this station", where=pick.station)
        seen.add(pick.station)
    n_params = 4 if free_depth else 3
    lat_s, lon_s = _station_arrays(picks, stations)
    corr = corrections_s or {}
    for key, value in corr.items():
        if not math.isfinite(float(value)):
            raise InputError("station correction is not finite", where=key)
    epoch = np.array([p.epoch_s - float(corr.get(p.station, 0.0)) for p in picks])
    ref = float(epoch.min())
    times = epoch - ref
    pick_sigma = np.array([p.sigma_s for p in picks])
    sigma = pick_sigma
    weights = 1.0 / sigma**2
    h_max = float(table.depths_km[-1])
    if not (0.0 <= depth_km <= h_max):
        raise InputError(f"depth must lie in [0, {h_max:g}] km", where="depth_km")
    if start is None:
        lat0, lon0 = _grid_start(times, weights, lat_s, lon_s, table, depth_km, margin_deg)
    else:
        lat0, lon0 = float(start[0]), float(start[1])
    depth = float(depth_km)
    dist, _ = _distance_azimuth(lat0, lon0, lat_s, lon_s)

    def total_sigma(d: FloatArray) -> FloatArray:
        return np.sqrt(pick_sigma**2 + _model_sigma(picks, model_error, d) ** 2)

    sigma = total_sigma(dist)
    weights = 1.0 / sigma**2
    t0 = float(np.sum((times - _travel(table, dist, depth, "start")) * weights) / weights.sum())

    def design(la: float, lo: float, h: float) -> tuple[FloatArray, FloatArray]:
        d, az = _distance_azimuth(la, lo, lat_s, lon_s)
        if float(d.max()) > float(table.distances_deg[-1]):
            raise InputError("the solution moved beyond the travel-time table's reach")
        tt, slow, dtdh = table.derivatives(d, h)
        a = np.radians(az)
        g = np.column_stack(
            [
                np.ones_like(d),
                -slow * np.cos(a) / KM_PER_DEG,
                -slow * np.sin(a) / KM_PER_DEG,
                dtdh,
            ]
        )
        nonlocal sigma
        sigma = total_sigma(d)
        return g[:, :n_params], tt

    iterations = 0
    converged = False
    for iterations in range(1, max_iterations + 1):  # noqa: B007
        g, tt = design(lat0, lon0, depth)
        r = times - t0 - tt
        a = g / sigma[:, None]
        b = r / sigma
        normal = a.T @ a
        diag = np.diag(normal).copy()
        if np.any(diag <= 0.0):
            raise InputError("singular system: the picks do not constrain the location")
        damped = normal + damping * np.diag(diag)
        try:
            step = np.linalg.solve(damped, a.T @ b)
        except np.linalg.LinAlgError as exc:
            raise InputError("singular system: the picks do not constrain the location") from exc
        horiz = math.hypot(step[1], step[2])
        if horiz > 100.0:  # keep each step within the table's linear reach
            step[1:3] *= 100.0 / horiz
        t0 += float(step[0])
        lat0 += float(step[1]) / KM_PER_DEG
        lon0 += float(step[2]) / (KM_PER_DEG * max(math.cos(math.radians(lat0)), 1e-6))
        if not -90.0 < lat0 < 90.0:
            raise InputError("no convergence: the epicentre ran off the pole")
        if free_depth:
            depth = float(np.clip(depth + np.clip(step[3], -50.0, 50.0), 0.0, h_max))
        moved = abs(float(step[0])) < 1e-3 and horiz < 1e-2
        if moved and (not free_depth or abs(float(step[3])) < 1e-2):
            converged = True
            break
    if not converged:
        raise InputError(f"no convergence after {max_iterations} Geiger iterations")
    g, tt = design(lat0, lon0, depth)
    r = times - t0 - tt
    a = g / sigma[:, None]
    normal = a.T @ a
    if np.linalg.cond(normal) > 1e12:
        raise InputError("singular system: the picks do not constrain the location")
    cov_m = np.linalg.inv(normal)
    dof = len(picks) - n_params
    chi2 = float(np.sum((r / sigma) ** 2))
    s2 = chi2 / dof if dof > 0 else math.nan
    if variance == "a-priori" or not math.isfinite(s2):
        scale = 1.0
    elif variance == "a-posteriori":
        scale = s2
    else:
        scale = max(1.0, s2)
    cov = np.zeros((4, 4))
    cov[:n_params, :n_params] = cov_m * scale
    w, v = np.linalg.eigh(cov[1:3, 1:3])
    w = np.clip(w, 0.0, None)
    major = v[:, 1]
    ellipse = ErrorEllipse(
        semi_major_km=math.sqrt(CHI2_90_2DOF * float(w[1])),
        semi_minor_km=math.sqrt(CHI2_90_2DOF * float(w[0])),
        azimuth_deg=math.degrees(math.atan2(float(major[1]), float(major[0]))) % 180.0,
    )
    return Location(
        origin_time=UTCDateTime(ref + t0),
        latitude_deg=lat0,
        longitude_deg=(lon0 + 180.0) % 360.0 - 180.0,
        depth_km=depth,
        depth_fixed=not free_depth,
        covariance=cov,
        ellipse=ellipse,
        residuals_s={p.station: float(x) for p, x in zip(picks, r, strict=True)},
        rms_s=float(np.sqrt(np.mean(r**2))),
        variance_factor=s2,
        covariance_scale=scale,
        iterations=iterations,
        model=table.model,
        depth_resolved=False,  # first-arriving P only: no depth phases
        model_error=bool(model_error),
        corrected_stations=tuple(sorted(p.station for p in picks if p.station in corr)),
    )


def locate_from_picks(
    picks: Sequence[Pick],
    stations: Mapping[str, tuple[float, float]],
    *,
    model: str = "iasp91",
    depth_km: float = 0.0,
    free_depth: bool = False,
    tolerance_s: float = 2.0,
    table: TravelTimeTable | None = None,
) -> Location:
    """Associate picks and locate the event with the most associated picks.

    The entry point for detections: P-type picks from a network (stray picks allowed) in,
    one located event out. Picks that do not associate with that event are left out.

    Parameters
    ----------
    picks
        P-type picks, possibly with outliers.
    stations
        Station key to (latitude, longitude), degrees.
    model
        Earth model of the travel-time table (``"iasp91"`` or ``"ak135"``).
    depth_km
        Fixed depth, km, or the starting depth when ``free_depth``.
    free_depth
        Solve for depth too.
    tolerance_s
        Association tolerance, s.
    table
        A travel-time table to use instead of loading ``model`` from the cache.
    """
    tab = table if table is not None else load_table(model)
    found = associate(picks, stations, tab, depth_km=depth_km, tolerance_s=tolerance_s)
    if not found.events:
        raise InputError(
            f"no 4 or more of the {len(picks)} picks agree on an event within {tolerance_s:g} s"
        )
    event = found.events[0]
    return locate(
        event.picks,
        stations,
        tab,
        depth_km=depth_km,
        free_depth=free_depth,
        start=(event.latitude_deg, event.longitude_deg),
    )
