"""From station files to a located event: ingest, detect, pick, associate, locate.

The one seismic chain of the package: the ``monitor process`` command, the test-ban
exercise and the library all call :func:`pick_and_locate` (or :func:`process`, which
ingests and detects first). It runs as a national data center does on a regional network,
with no hint of the answer:

1. every file is ingested and checked; the vertical channels are searched for arrivals;
2. a first guess: each station's earliest vertical detection is taken as its P, the
   guesses are associated on a grid of trial epicentres and the largest associated set is
   located by Geiger's method;
3. picking against the prediction: at each station the P is the vertical detection nearest
   the first-arrival time that this location predicts, if one lies within
   :data:`PICK_WINDOW_S`; the event is relocated from these picks, and the step is repeated
   (:data:`REPICK_ROUNDS` times) so that picks and location agree. A noise trigger before
   the P, or a later regional phase, no longer stands in for the station's P;
4. further events (:func:`locate_events`): the detections in the located event's wave
   train (its P to the arrival at :data:`WAVE_TRAIN_VELOCITY_KM_S`) are removed and the
   search runs again on what is left, every detection offered, with at least
   :data:`MIN_PICKS_MORE` picks required.

The uncertainty given to a pick falls with its signal-to-noise ratio (0.3 s at SNR 20 or
more, up to 1.5 s near the trigger threshold); these bounds and the 6/SNR law are choices
made here, not values from a publication. A travel-time model error and station
corrections (see :mod:`treatyverify.monitoring.seismic.locate`) are passed through to the
location. Depth is held fixed (0 km by default): regional first-arriving P does not
resolve it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from obspy import Stream

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.detect import Detection, DetectorConfig, detect
from treatyverify.monitoring.seismic.ingest import IngestWarning, ingest, read_stations
from treatyverify.monitoring.seismic.locate import (
    KM_PER_DEG,
    Location,
    ModelError,
    Pick,
    associate,
    locate,
    station_corrections,
)
from treatyverify.monitoring.seismic.traveltime import TravelTimeTable, load_table

__all__ = [
    "MIN_PICKS_MORE",
    "PICK_WINDOW_S",
    "REPICK_ROUNDS",
    "WAVE_TRAIN_VELOCITY_KM_S",
    "ProcessResult",
    "calibrate",
    "event_picks",
    "first_arrival_picks",
    "in_wave_train",
    "locate_events",
    "pick_and_locate",
    "pick_sigma_s",
    "picks_near_prediction",
    "process",
]

VERTICAL = ("Z",)
"""Channel orientation codes (last letter) searched for P onsets."""

PICK_WINDOW_S = 3.0
"""Half-width of the window around a station's predicted first arrival in which its P is
sought, s. A choice: wide enough for the 1-2 s residuals of iasp91 at regional distances on
this network (docs/monitoring-location.md), narrow enough that the Pg a few seconds after
Pn and triggers on the P coda are not taken."""

REPICK_ROUNDS = 3
"""Rounds of picking against the prediction and relocating (a choice; the picks settle
after one or two rounds on regional-event-a and -b)."""

WAVE_TRAIN_VELOCITY_KM_S = 2.0
"""Slowest group velocity taken as part of a located event's wave train, km/s. A choice:
slower than the Lg window this package uses for magnitudes (3.6-3.0 km/s), so that Lg and
the start of its coda are counted to the event that made them."""

MIN_PICKS_MORE = 6
"""Fewest picks that make an event after the first in a window. A choice, measured: once
the located explosion's wave train is removed, chance coincidences of the remaining
triggers form a 5-pick "event" on regional-event-a (03:38:57 UTC, 40.5 N 134.6 E, 470 km
from the test site, so not the collapse that followed the test) and two 4-pick ones on
regional-event-b; with 6, none does."""


@dataclass(frozen=True)
class ProcessResult:
    """What :func:`process` found.

    Parameters
    ----------
    detections
        Every detection, all channels.
    picks
        One P candidate per station with a vertical detection: the one the location chose
        where there is one, else the station's earliest (listed, not used).
    location
        The located event; ``location.residuals_s`` names the picks it used.
    warnings
        Problems met while ingesting.
    stream
        The ingested waveforms.
    stations
        Station key to (latitude, longitude), degrees.
    further
        Further events found in the window (:func:`locate_events`), largest first.
    """

    detections: tuple[Detection, ...]
    picks: tuple[Pick, ...]
    location: Location
    warnings: tuple[IngestWarning, ...]
    stream: Stream = field(default_factory=Stream)
    stations: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    further: tuple[Location, ...] = ()

    @property
    def used_picks(self) -> tuple[Pick, ...]:
        """The picks the location used."""
        return tuple(p for p in self.picks if p.station in self.location.residuals_s)


def pick_sigma_s(snr: float) -> float:
    """Pick uncertainty (s) from the detection's signal-to-noise ratio."""
    if not math.isfinite(snr) or snr <= 1.0:
        return 1.5
    return min(1.5, max(0.3, 6.0 / snr))


def _vertical(detections: Iterable[Detection]) -> list[Detection]:
    return [d for d in detections if d.trace_id.endswith(VERTICAL)]


def first_arrival_picks(detections: Iterable[Detection]) -> list[Pick]:
    """Each station's earliest vertical-channel detection, as a P pick."""
    earliest: dict[str, Detection] = {}
    for found in _vertical(detections):
        held = earliest.get(found.station_key)
        if held is None or found.onset < held.onset:
            earliest[found.station_key] = found
    return [
        Pick(key, "P", found.onset, pick_sigma_s(found.snr))
        for key, found in sorted(earliest.items())
    ]


def picks_near_prediction(
    detections: Iterable[Detection],
    stations: Mapping[str, tuple[float, float]],
    table: TravelTimeTable,
    *,
    latitude_deg: float,
    longitude_deg: float,
    depth_km: float,
    origin_time: float,
    window_s: float = PICK_WINDOW_S,
    corrections_s: Mapping[str, float] | None = None,
) -> list[Pick]:
    """Each station's vertical detection nearest its predicted first-arrival time.

    Parameters
    ----------
    detections
        Detections, any channels (only vertical ones are taken).
    stations
        Station key to (latitude, longitude), degrees; stations not listed are skipped.
    table
        Travel-time table of the first-arriving P.
    latitude_deg, longitude_deg, depth_km, origin_time
        The hypocentre (degrees, km) and origin time (POSIX epoch s) that predict the times.
    window_s
        Largest distance of a pick from its predicted time, s.
    corrections_s
        Station corrections, s, added to the predicted times.
    """
    if not (math.isfinite(window_s) and window_s > 0.0):
        raise InputError("the picking window must be a positive number of seconds")
    corr = corrections_s or {}
    found = [d for d in _vertical(detections) if d.station_key in stations]
    if not found:
        return []
    from obspy.geodetics import locations2degrees

    lat = np.array([stations[d.station_key][0] for d in found])
    lon = np.array([stations[d.station_key][1] for d in found])
    dist = np.asarray(locations2degrees(latitude_deg, longitude_deg, lat, lon), dtype=float)
    if float(dist.max()) > float(table.distances_deg[-1]):
        raise InputError(f"a station lies beyond {table.distances_deg[-1]:g} degrees")
    predicted = origin_time + table.time(dist, depth_km)
    best: dict[str, tuple[float, Detection]] = {}
    for d, t in zip(found, predicted, strict=True):
        off = abs(float(d.onset) - float(t) - float(corr.get(d.station_key, 0.0)))
        if off <= window_s and (d.station_key not in best or off < best[d.station_key][0]):
            best[d.station_key] = (off, d)
    return [Pick(key, "P", d.onset, pick_sigma_s(d.snr)) for key, (_, d) in sorted(best.items())]


def pick_and_locate(
    detections: Iterable[Detection],
    stations: Mapping[str, tuple[float, float]],
    *,
    table: TravelTimeTable,
    depth_km: float = 0.0,
    tolerance_s: float = 2.0,
    window_s: float = PICK_WINDOW_S,
    model_error: Mapping[str, ModelError] | None = None,
    corrections_s: Mapping[str, float] | None = None,
    min_picks: int = 4,
    every_detection: bool = False,
) -> tuple[list[Pick], Location]:
    """Associate, locate, then pick each station's P against the prediction and relocate.

    Parameters
    ----------
    detections
        Detections of the network.
    stations
        Station key to (latitude, longitude), degrees.
    table
        Travel-time table.
    depth_km
        Fixed source depth, km.
    tolerance_s
        Association tolerance of the first guess, s.
    window_s
        Half-width of the picking window around each predicted first arrival, s.
    model_error
        Travel-time model error by phase (see :func:`~.locate.locate`); ``None``: none.
    corrections_s
        Station corrections, s (see :func:`~.locate.locate`).
    min_picks
        Fewest picks (distinct stations) that make the event, both in association and in
        the final location.
    every_detection
        Offer every vertical detection to the association, not only each station's
        earliest (for a later event in a window, whose P is not a station's earliest).

    Returns
    -------
    picks, location
        One P per station with a vertical detection (the picked one where the location
        found one, else the earliest), and the location from the picked ones.

    Raises
    ------
    InputError
        Too few picks agree on an event, or the location fails, saying why.
    """
    found = list(detections)
    earliest = [p for p in first_arrival_picks(found) if p.station in stations]
    offered = earliest
    if every_detection:
        offered = [
            Pick(d.station_key, "P", d.onset, pick_sigma_s(d.snr))
            for d in _vertical(found)
            if d.station_key in stations
        ]
    association = associate(
        offered, stations, table, depth_km=depth_km, tolerance_s=tolerance_s, min_picks=min_picks
    )
    if not association.events:
        raise InputError(
            f"no {min_picks} or more of the {len(earliest)} stations' picks agree on an event "
            f"within {tolerance_s:g} s"
        )
    event = association.events[0]
    location = locate(
        event.picks,
        stations,
        table,
        depth_km=depth_km,
        start=(event.latitude_deg, event.longitude_deg),
        model_error=model_error,
        corrections_s=corrections_s,
    )
    used: list[Pick] = list(event.picks)
    for _ in range(REPICK_ROUNDS):
        chosen = picks_near_prediction(
            found,
            stations,
            table,
            latitude_deg=location.latitude_deg,
            longitude_deg=location.longitude_deg,
            depth_km=location.depth_km,
            origin_time=float(location.origin_time),
            window_s=window_s,
            corrections_s=corrections_s,
        )
        if len(chosen) < min_picks or chosen == used:
            break
        location = locate(
            chosen,
            stations,
            table,
            depth_km=depth_km,
            start=(location.latitude_deg, location.longitude_deg),
            model_error=model_error,
            corrections_s=corrections_s,
        )
        used = chosen
    if location.n_picks < min_picks:
        raise InputError(f"only {location.n_picks} picks fit the event, fewer than {min_picks}")
    by_station = {p.station: p for p in used}
    listed = [by_station.get(p.station, p) for p in earliest]
    listed += [p for p in used if p.station not in {q.station for q in earliest}]
    return listed, location


def event_picks(
    detections: Iterable[Detection],
    stations: Mapping[str, tuple[float, float]],
    *,
    table: TravelTimeTable,
    hypocentre: tuple[float, float, float, float] | None = None,
    window_s: float = PICK_WINDOW_S,
) -> tuple[list[Pick], Location | None]:
    """One event's P picks: each station's detection nearest its predicted arrival.

    Parameters
    ----------
    detections
        Detections of the event's recordings.
    stations
        Station key to (latitude, longitude), degrees.
    table
        Travel-time table.
    hypocentre
        Latitude, longitude (degrees), depth (km) and origin time (POSIX epoch s) that
        predict the arrivals, for example a catalogue's; ``None``: the event's own
        location by :func:`pick_and_locate`.
    window_s
        Largest distance of a pick from its predicted time, s.

    Returns
    -------
    picks, location
        The picks, at the stations the table reaches, and the location they came from
        (``None`` when ``hypocentre`` was given).

    Raises
    ------
    InputError
        Without ``hypocentre``, the event cannot be located from the detections.
    """
    found = list(detections)
    location = None
    if hypocentre is None:
        _, location = pick_and_locate(found, stations, table=table)
        hypocentre = (
            location.latitude_deg,
            location.longitude_deg,
            location.depth_km,
            float(location.origin_time),
        )
    from obspy.geodetics import locations2degrees

    lat, lon, depth, origin_time = hypocentre
    reach = float(table.distances_deg[-1])
    reached = {
        key: coords
        for key, coords in stations.items()
        if float(locations2degrees(lat, lon, coords[0], coords[1])) <= reach
    }
    picks = picks_near_prediction(
        found,
        reached,
        table,
        latitude_deg=lat,
        longitude_deg=lon,
        depth_km=depth,
        origin_time=origin_time,
        window_s=window_s,
    )
    return picks, location


def in_wave_train(
    found: Detection,
    location: Location,
    stations: Mapping[str, tuple[float, float]],
    table: TravelTimeTable,
    *,
    window_s: float = PICK_WINDOW_S,
    corrections_s: Mapping[str, float] | None = None,
) -> bool:
    """Whether a detection falls in a located event's regional wave train at its station.

    The wave train runs from the predicted first arrival (plus the station's correction,
    if any) less ``window_s`` to the time a wave at :data:`WAVE_TRAIN_VELOCITY_KM_S`
    reaches the station: Pn, Pg, Sn, Lg and the start of the coda. A station without
    coordinates is never in it.
    """
    coords = stations.get(found.station_key)
    if coords is None:
        return False
    from obspy.geodetics import locations2degrees

    dist = float(
        locations2degrees(location.latitude_deg, location.longitude_deg, coords[0], coords[1])
    )
    t0 = float(location.origin_time)
    shift = float((corrections_s or {}).get(found.station_key, 0.0))
    first = t0 + float(table.time(np.array([dist]), location.depth_km)[0]) + shift - window_s
    last = max(first + 2.0 * window_s, t0 + dist * KM_PER_DEG / WAVE_TRAIN_VELOCITY_KM_S)
    return first <= float(found.onset) <= last


def locate_events(
    detections: Iterable[Detection],
    stations: Mapping[str, tuple[float, float]],
    *,
    table: TravelTimeTable,
    depth_km: float = 0.0,
    tolerance_s: float = 2.0,
    window_s: float = PICK_WINDOW_S,
    model_error: Mapping[str, ModelError] | None = None,
    corrections_s: Mapping[str, float] | None = None,
    min_picks_more: int = MIN_PICKS_MORE,
    max_events: int = 10,
) -> list[tuple[list[Pick], Location]]:
    """Every event in a window: the largest first, then the next in what is left.

    The largest event is found and located as by :func:`pick_and_locate`; the detections
    in its wave train at every station (:func:`in_wave_train`) are removed, so that its
    Pg, Sn and Lg do not form a spurious event a few seconds later; the search then runs
    again on what is left, with every vertical detection offered to the association (a
    later event's P is not a station's earliest detection) and at least ``min_picks_more``
    picks required, until no further event is found or ``max_events`` are.

    Parameters
    ----------
    detections, stations, table, depth_km, tolerance_s, window_s, model_error, corrections_s
        As for :func:`pick_and_locate`.
    min_picks_more
        Fewest picks that make an event after the first.
    max_events
        Most events reported.

    Returns
    -------
    list of (picks, location)
        Largest event first; the picks of each as :func:`pick_and_locate` returns them.

    Raises
    ------
    InputError
        Not even one event is found (the reason of :func:`pick_and_locate`).
    """
    if min_picks_more < 4 or max_events < 1:
        raise InputError("min_picks_more must be at least 4 and max_events at least 1")
    remaining = list(detections)
    events: list[tuple[list[Pick], Location]] = []
    while len(events) < max_events:
        try:
            picks, location = pick_and_locate(
                remaining,
                stations,
                table=table,
                depth_km=depth_km,
                tolerance_s=tolerance_s,
                window_s=window_s,
                model_error=model_error,
                corrections_s=corrections_s,
                min_picks=min_picks_more if events else 4,
                every_detection=bool(events),
            )
        except InputError:
            if not events:
                raise
            break
        events.append((picks, location))
        used = {(p.station, p.epoch_s) for p in picks if p.station in location.residuals_s}
        remaining = [
            d
            for d in remaining
            if (d.station_key, float(d.onset)) not in used
            and not in_wave_train(
                d, location, stations, table, window_s=window_s, corrections_s=corrections_s
            )
        ]
    return events


def calibrate(
    detections: Iterable[Detection],
    stations: Mapping[str, tuple[float, float]],
    *,
    table: TravelTimeTable,
    latitude_deg: float,
    longitude_deg: float,
    depth_km: float,
    origin_time: float,
    window_s: float = PICK_WINDOW_S,
) -> dict[str, float]:
    """Station corrections from a calibration event of known (published) origin.

    Each station's P is its vertical detection nearest the time predicted from the known
    origin (within ``window_s``); its correction is observed minus predicted, s (see
    :func:`~.locate.station_corrections`).

    Parameters
    ----------
    detections
        Detections of the calibration event's recordings.
    stations
        Station key to (latitude, longitude), degrees.
    table
        Travel-time table of the events to be corrected.
    latitude_deg, longitude_deg, depth_km, origin_time
        Published hypocentre (degrees, km) and origin time (POSIX epoch s).
    window_s
        Half-width of the picking window, s.
    """
    picks = picks_near_prediction(
        detections,
        stations,
        table,
        latitude_deg=latitude_deg,
        longitude_deg=longitude_deg,
        depth_km=depth_km,
        origin_time=origin_time,
        window_s=window_s,
    )
    return station_corrections(
        picks,
        stations,
        table,
        latitude_deg=latitude_deg,
        longitude_deg=longitude_deg,
        depth_km=depth_km,
        origin_time=origin_time,
    )


def process(
    waveforms: str | Path | Iterable[str | Path],
    stations_path: str | Path,
    *,
    config: DetectorConfig | None = None,
    model: str = "iasp91",
    depth_km: float = 0.0,
    window_s: float = PICK_WINDOW_S,
    model_error: Mapping[str, ModelError] | None = None,
    corrections_s: Mapping[str, float] | None = None,
    table: TravelTimeTable | None = None,
) -> ProcessResult:
    """Detect, pick and locate the events in a set of station recordings.

    The largest event is ``location``; any further ones (:func:`locate_events`) are in
    ``further``.

    Parameters
    ----------
    waveforms
        Waveform files (any format ObsPy reads).
    stations_path
        StationXML or CSV of the stations.
    config
        Detector settings; the defaults of :func:`~.detect.detect` when ``None``.
    model
        Earth model of the travel-time table (``"iasp91"`` or ``"ak135"``).
    depth_km
        Fixed source depth, km.
    window_s, model_error, corrections_s
        As for :func:`pick_and_locate`.
    table
        A travel-time table to use instead of loading ``model``.

    Raises
    ------
    InputError
        Unreadable files or station list, or a location that fails (too few associated
        picks, no convergence), saying why.
    """
    known = read_stations(stations_path)
    ingested = ingest(waveforms, known)
    detections = detect(ingested.stream, config=config)
    coordinates = {key: (s.latitude, s.longitude) for key, s in known.items()}
    tab = table if table is not None else load_table(model)
    events = locate_events(
        detections,
        coordinates,
        table=tab,
        depth_km=depth_km,
        window_s=window_s,
        model_error=model_error,
        corrections_s=corrections_s,
    )
    picks, location = events[0]
    return ProcessResult(
        tuple(detections),
        tuple(picks),
        location,
        tuple(ingested.warnings),
        ingested.stream,
        coordinates,
        tuple(loc for _, loc in events[1:]),
    )
