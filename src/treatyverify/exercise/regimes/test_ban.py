"""The ``test-ban`` regime: seismic monitoring of a host that may set off an undeclared test.

The scenario's monitored period (the timeline less the analysis time at its end) is cut
into monitoring windows of ``monitoring.window_s`` seconds, named ``window-01``,
``window-02``, ... Each run makes the vertical-component waveforms of every window at
the scenario's stations and puts them through the monitoring code of
:mod:`treatyverify.monitoring.seismic`: detection (band-pass STA/LTA with AIC onsets),
first-arrival P picks, association and location (Geiger, depth fixed), station and
network magnitudes, and the treaty's event screening (criteria read from the treaty
specification). Each window's result is a signed ``seismic_bulletin`` record. A located
event inside the host's territory that no criterion screens out is a finding of
non-compliance about that window: an event requiring consultation and clarification,
for which an on-site inspection is requested while the scenario's quota of requests
lasts. A window with no such event gets a compliant finding.

Waveforms come from the real records of ``waveforms.real.dataset`` in the shared data
folder when it is present (``$TREATYVERIFY_DATA``, else ``../shared/data`` from the
current directory), and are synthetic otherwise; see docs/exercise-test-ban.md for how
each run's waveforms are made and the limits of that approximation.

When the host cheats (``context.cheat``), its explosion of body-wave magnitude
``strategy.mb`` goes off at ``strategy.time``; the window holding it is the cheating
subject. A compliant twin run has noise only.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import numpy as np
import obspy
from numpy.typing import NDArray
from obspy.core.inventory.response import Response
from obspy.geodetics import locations2degrees
from pydantic import Field
from shapely.geometry import Point, Polygon
from shapely.validation import explain_validity

from treatyverify.compliance.screening import (
    SCREENING_RULE,
    EventResult,
    WindowResult,
    screening_finding,
)
from treatyverify.errors import InputError, TreatyVerifyError
from treatyverify.exercise.regime import RunTruth
from treatyverify.exercise.scenario import Compliant, ScenarioBase, ScenarioError, Strategy, Strict
from treatyverify.exercise.world import RunContext
from treatyverify.monitoring.seismic.bulletin import ims1_bulletin
from treatyverify.monitoring.seismic.detect import DetectorConfig, detect
from treatyverify.monitoring.seismic.ingest import check_stream, read_stations, read_waveforms
from treatyverify.monitoring.seismic.locate import KM_PER_DEG, Location, Pick
from treatyverify.monitoring.seismic.magnitude import (
    MS20_DISTANCE_DEG,
    NetworkMagnitude,
    StationMagnitude,
    ml_value,
    network_magnitude,
    station_magnitude,
)
from treatyverify.monitoring.seismic.pipeline import locate_events
from treatyverify.monitoring.seismic.screening import (
    ScreeningDecision,
    screen_location_depth,
    screen_ms_mb,
)
from treatyverify.monitoring.seismic.traveltime import TravelTimeTable, load_table
from treatyverify.records.ledger import Record
from treatyverify.treaty import TreatySpec

__all__ = [
    "BULLETIN_KIND",
    "DATA_ENV",
    "REGIME",
    "SCREENING_CRITERIA",
    "TestBanScenario",
    "data_root",
    "monitoring_windows",
]

FloatArray = NDArray[np.float64]

BULLETIN_KIND = "seismic_bulletin"
"""Record kind of one monitoring window's bulletin (see docs/exercise-test-ban.md)."""

DATA_ENV = "TREATYVERIFY_DATA"
"""Environment variable naming the shared data folder (else ``../shared/data``)."""

SCREENING_CRITERIA = frozenset({"ms-mb", "depth"})
"""Seismic screening criteria of a treaty specification this regime can apply."""

RULE = SCREENING_RULE
"""Rule id of the regime's findings (:mod:`treatyverify.compliance.screening`)."""

ML_RANGE_KM = (10.0, 1000.0)
"""Hypocentral distances of the IASPEI ML formula used for synthetic amplitudes, km."""

MUTE_BEFORE_P_S = (6.0, 4.0)
"""Real records: the event part is zero until 6 s before the predicted P and reaches full
weight 4 s before it (a half-cosine ramp; a choice of this module, wide enough for the
1-2 s misfit of iasp91 regional P times)."""

NOISE_SEGMENT_S = 40.0
"""Real records: length of the noise segments overlap-added into a run's noise (s)."""

NOISE_GUARD_S = 10.0
"""Real records: noise is taken up to this long before the predicted P (s)."""

CHANNEL = "BHZ"
"""SEED channel code of the run's vertical traces."""

MAX_WINDOWS = 24
"""Most monitoring windows one run processes (a run-time guard, not a treaty number)."""


# Scenario model ----------------------------------------------------------------------


class StationEntry(Strict):
    """A seismic station of the monitoring network.

    Attributes
    ----------
    id
        ``NET.STA`` code.
    latitude, longitude
        Coordinates, degrees (WGS84).
    """

    id: str = Field(pattern=r"^[A-Z0-9]{1,2}\.[A-Z0-9]{1,5}$")
    latitude: float = Field(ge=-90.0, le=90.0)
    longitude: float = Field(ge=-180.0, le=180.0)


class Territory(Strict):
    """The host's territory, where an event requires consultation.

    Attributes
    ----------
    polygon
        Vertices ``[latitude, longitude]`` (degrees), in order; the ring is closed
        implicitly.
    """

    polygon: tuple[tuple[float, float], ...] = Field(min_length=3, max_length=1000)


class Monitoring(Strict):
    """How the monitoring is run.

    Attributes
    ----------
    network
        The treaty's seismic network the stations stand for.
    screening
        The treaty's screening criteria applied (``ms-mb``, ``depth``).
    inspection
        The treaty's inspection type an alarm asks for (on-site inspection).
    analyst
        The party that processes the data and signs the bulletins.
    window_s
        Length of one monitoring window, s.
    analysis_hours
        Time kept at the end of the timeline for analysis, findings and the report, h.
    location_depth_km
        Depth at which events are located (held fixed), km.
    stations
        The stations.
    detector
        Overrides of :class:`~treatyverify.monitoring.seismic.detect.DetectorConfig`.
    """

    network: str
    screening: tuple[str, ...] = Field(min_length=1)
    inspection: str
    analyst: str
    window_s: float = Field(gt=60.0, le=86_400.0)
    analysis_hours: float = Field(ge=1.0, le=24.0 * 366)
    location_depth_km: float = Field(ge=0.0, le=40.0)
    stations: tuple[StationEntry, ...] = Field(min_length=4, max_length=500)
    detector: dict[str, Any] = Field(default_factory=dict)


class RealWaveforms(Strict):
    """Real records of an explosion, used when the shared data folder holds them.

    Attributes
    ----------
    dataset
        Folder under the data folder with ``stations.csv`` and ``waveforms.mseed``.
    origin
        Published origin time of the recorded event (UTC).
    latitude, longitude
        Its published epicentre, degrees.
    mb
        Its published body-wave magnitude.
    site_tolerance_km
        How far the scenario's test site may lie from the recorded epicentre, km (the
        records fix the place).
    """

    dataset: str = Field(pattern=r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
    origin: datetime
    latitude: float = Field(ge=-90.0, le=90.0)
    longitude: float = Field(ge=-180.0, le=180.0)
    mb: float = Field(ge=0.0, le=8.0)
    site_tolerance_km: float = Field(gt=0.0, le=100.0)


class SyntheticWaveforms(Strict):
    """Synthetic waveforms, used when the real records are absent.

    Attributes
    ----------
    rate_hz
        Sampling rate, Hz.
    noise_nm
        RMS of the white ground-displacement noise, nm.
    p_fraction
        Peak P displacement as a fraction of the Wood-Anderson amplitude the IASPEI ML
        formula gives for the event's magnitude and distance.
    frequency_hz
        Frequency of the P wavelet, Hz.
    decay_s
        Decay time of the P wavelet, s.
    """

    rate_hz: float = Field(ge=20.0, le=200.0)
    noise_nm: float = Field(gt=0.0, le=1.0e6)
    p_fraction: float = Field(gt=0.0, le=10.0)
    frequency_hz: float = Field(gt=0.0, le=10.0)
    decay_s: float = Field(gt=0.0, le=60.0)


class Waveforms(Strict):
    """Where each run's waveforms come from.

    Attributes
    ----------
    real
        The real records (optional).
    synthetic
        The synthetic fall-back.
    magnitude_range
        Smallest and largest ``mb`` the scenario can simulate.
    signal_s
        Time after the last station's P that must fit in the test's window, s.
    """

    real: RealWaveforms | None = None
    synthetic: SyntheticWaveforms
    magnitude_range: tuple[float, float]
    signal_s: float = Field(ge=0.0, le=3600.0)


class UndeclaredTest(Strategy):
    """The host sets off an underground nuclear explosion.

    Attributes
    ----------
    mb
        Body-wave magnitude of the explosion.
    latitude, longitude
        Test site, degrees.
    time
        Origin time (UTC).
    """

    kind: Literal["undeclared-test"]
    mb: float = Field(ge=-2.0, le=9.0)
    latitude: float = Field(ge=-90.0, le=90.0)
    longitude: float = Field(ge=-180.0, le=180.0)
    time: datetime


class TestBanScenario(ScenarioBase):
    """A scenario of the ``test-ban`` regime (see docs/exercise-test-ban.md).

    Attributes
    ----------
    territory
        The host's territory, where an event requires consultation.
    monitoring
        How the monitoring is run: stations, windows, screening.
    waveforms
        Where each run's waveforms come from: synthetic or real records.
    """

    __test__ = False  # not a pytest test class, despite its name

    regime: Literal["test-ban"]
    strategy: Annotated[Compliant | UndeclaredTest, Field(discriminator="kind")]
    territory: Territory
    monitoring: Monitoring
    waveforms: Waveforms


# Helpers -----------------------------------------------------------------------------


def data_root() -> Path:
    """The shared data folder: ``$TREATYVERIFY_DATA``, else ``../shared/data`` from here."""
    given = os.environ.get(DATA_ENV)
    return Path(given) if given else Path.cwd() / ".." / "shared" / "data"


def _real_folder(scenario: TestBanScenario) -> Path | None:
    """The real dataset's folder if the scenario names one and both files are there."""
    real = scenario.waveforms.real
    if real is None:
        return None
    folder = data_root() / real.dataset
    ok = (folder / "stations.csv").is_file() and (folder / "waveforms.mseed").is_file()
    return folder if ok else None


def monitoring_windows(scenario: TestBanScenario) -> list[tuple[str, datetime, datetime]]:
    """The monitoring windows ``(id, start, end)`` of the scenario (UTC)."""
    monitored = scenario.timeline.days * 86_400.0 - scenario.monitoring.analysis_hours * 3600.0
    count = int(monitored // scenario.monitoring.window_s) if monitored > 0 else 0
    step = timedelta(seconds=scenario.monitoring.window_s)
    start = scenario.timeline.start
    return [(f"window-{k + 1:02d}", start + k * step, start + (k + 1) * step) for k in range(count)]


def _polygon(territory: Territory) -> Polygon:
    return Polygon([(lon, lat) for lat, lon in territory.polygon])


def _distances_deg(
    latitude: float, longitude: float, stations: Sequence[StationEntry]
) -> FloatArray:
    return np.array(
        [locations2degrees(latitude, longitude, s.latitude, s.longitude) for s in stations],
        dtype=np.float64,
    )


def _detector(scenario: TestBanScenario) -> DetectorConfig:
    return DetectorConfig.from_mapping(scenario.monitoring.detector)


# Checks ------------------------------------------------------------------------------


def _check_treaty(scenario: TestBanScenario, spec: TreatySpec) -> None:
    monitoring = scenario.monitoring
    if spec.monitoring is None:
        raise ScenarioError(
            f"{spec.id} has no monitoring section, so it cannot express an undeclared test",
            loc=("strategy", "kind"),
        )
    try:
        network = spec.monitoring_network(monitoring.network)
    except TreatyVerifyError as exc:
        raise ScenarioError(exc.message, loc=("monitoring", "network")) from None
    if network.technology != "seismic":
        raise ScenarioError(
            f"{spec.id} network {network.id!r} is {network.technology}, not seismic",
            loc=("monitoring", "network"),
        )
    for index, criterion_id in enumerate(monitoring.screening):
        loc = ("monitoring", "screening", index)
        try:
            criterion = spec.screening(criterion_id)
        except TreatyVerifyError as exc:
            raise ScenarioError(exc.message, loc=loc) from None
        if criterion.technology != "seismic" or criterion_id not in SCREENING_CRITERIA:
            raise ScenarioError(
                f"{criterion_id!r} is not a seismic screening criterion this regime applies "
                f"(it applies: {', '.join(sorted(SCREENING_CRITERIA))})",
                loc=loc,
            )
    try:
        inspection = spec.inspection(monitoring.inspection)
        inspection.require("max_area_km2")
    except TreatyVerifyError as exc:
        raise ScenarioError(exc.message, loc=("monitoring", "inspection")) from None
    team = inspection.team_size
    if team is not None and scenario.inspector.team_size > team:
        raise ScenarioError(
            f"{spec.id} allows at most {team} inspectors in a {inspection.id} team",
            loc=("inspector", "team_size"),
        )
    if monitoring.analyst not in scenario.inspectors:
        raise ScenarioError(
            f"the analyst {monitoring.analyst!r} is not one of the inspecting parties",
            loc=("monitoring", "analyst"),
        )


def _check_network(scenario: TestBanScenario) -> None:
    monitoring = scenario.monitoring
    seen: set[str] = set()
    for index, station in enumerate(monitoring.stations):
        if station.id in seen:
            raise ScenarioError(
                f"station {station.id} is listed twice", loc=("monitoring", "stations", index)
            )
        seen.add(station.id)
    try:
        _detector(scenario)
    except InputError as exc:
        raise ScenarioError(exc.message, loc=("monitoring", "detector")) from None
    windows = monitoring_windows(scenario)
    if not windows:
        raise ScenarioError(
            f"the timeline holds no {monitoring.window_s:g} s monitoring window before its "
            f"last {monitoring.analysis_hours:g} h of analysis",
            loc=("timeline", "end"),
        )
    if len(windows) > MAX_WINDOWS:
        raise ScenarioError(
            f"the timeline holds {len(windows)} monitoring windows; a run processes at most "
            f"{MAX_WINDOWS} (shorten the timeline or lengthen the windows)",
            loc=("timeline", "end"),
        )
    folder = _real_folder(scenario)
    if folder is not None:
        _check_real_stations(scenario, folder)


def _check_real_stations(scenario: TestBanScenario, folder: Path) -> None:
    """Every station must be in the real dataset's table, at the coordinates given."""
    try:
        known = read_stations(folder / "stations.csv")
    except InputError as exc:
        raise ScenarioError(f"real data: {exc}", loc=("waveforms", "real", "dataset")) from None
    for index, station in enumerate(scenario.monitoring.stations):
        loc = ("monitoring", "stations", index)
        found = known.get(station.id)
        if found is None:
            raise ScenarioError(
                f"unknown station {station.id}: the real dataset has no such station", loc=loc
            )
        if max(abs(found.latitude - station.latitude), abs(found.longitude - station.longitude)) > (
            0.01
        ):
            raise ScenarioError(
                f"station {station.id} is at {found.latitude:.4f}, {found.longitude:.4f} in "
                "the real dataset",
                loc=loc,
            )


def _check_territory(scenario: TestBanScenario) -> Polygon:
    for index, (lat, lon) in enumerate(scenario.territory.polygon):
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ScenarioError(
                "a vertex is [latitude, longitude] in degrees",
                loc=("territory", "polygon", index),
            )
    polygon = _polygon(scenario.territory)
    if not polygon.is_valid or polygon.area <= 0.0:
        reason = explain_validity(polygon) if not polygon.is_valid else "it has no area"
        raise ScenarioError(
            f"the territory is not a valid polygon: {reason}", loc=("territory", "polygon")
        )
    return polygon


def _check_magnitude_range(scenario: TestBanScenario) -> None:
    waveforms = scenario.waveforms
    low, high = waveforms.magnitude_range
    if not low < high:
        raise ScenarioError(
            "give the smallest and the largest mb, in order", loc=("waveforms", "magnitude_range")
        )
    real = waveforms.real
    if real is not None and high > real.mb:
        raise ScenarioError(
            f"the real records can only be scaled down: the largest mb is at most the recorded "
            f"event's {real.mb:g}",
            loc=("waveforms", "magnitude_range", 1),
        )


def _check_test(scenario: TestBanScenario, strategy: UndeclaredTest, polygon: Polygon) -> None:
    low, high = scenario.waveforms.magnitude_range
    if not low <= strategy.mb <= high:
        raise ScenarioError(
            f"mb {strategy.mb:g} is outside the range the scenario can simulate "
            f"({low:g}-{high:g}, waveforms.magnitude_range)",
            loc=("strategy", "mb"),
        )
    if not polygon.contains(Point(strategy.longitude, strategy.latitude)):
        raise ScenarioError(
            "the test site is outside the host's territory", loc=("strategy", "latitude")
        )
    real = scenario.waveforms.real
    if real is not None:
        apart = locations2degrees(
            strategy.latitude, strategy.longitude, real.latitude, real.longitude
        )
        if apart * KM_PER_DEG > real.site_tolerance_km:
            raise ScenarioError(
                f"the test site is {apart * KM_PER_DEG:.0f} km from the recorded event; the real "
                f"records fix the place to within {real.site_tolerance_km:g} km",
                loc=("strategy", "latitude"),
            )
    _check_test_distances(scenario, strategy)
    _check_test_time(scenario, strategy)


def _check_test_distances(scenario: TestBanScenario, strategy: UndeclaredTest) -> None:
    """Synthetic amplitudes come from the ML formula: stations within its distances."""
    distances = _distances_deg(strategy.latitude, strategy.longitude, scenario.monitoring.stations)
    low, high = ML_RANGE_KM
    for index, distance in enumerate(distances):
        km = float(distance) * KM_PER_DEG
        if not low <= km <= high:
            raise ScenarioError(
                f"station {scenario.monitoring.stations[index].id} is {km:.0f} km from the test "
                f"site; synthetic amplitudes are defined for {low:g}-{high:g} km",
                loc=("monitoring", "stations", index),
            )


def _check_test_time(scenario: TestBanScenario, strategy: UndeclaredTest) -> None:
    windows = monitoring_windows(scenario)
    holding = [w for w in windows if w[1] <= strategy.time < w[2]]
    if not holding:
        raise ScenarioError(
            f"the test at {strategy.time.isoformat()} is outside the monitored period "
            f"{windows[0][1].isoformat()} to {windows[-1][2].isoformat()}",
            loc=("strategy", "time"),
        )
    _, start, end = holding[0]
    distances = _distances_deg(strategy.latitude, strategy.longitude, scenario.monitoring.stations)
    latest_p = float(np.max(load_table().time(distances, 0.0)))
    needed = (strategy.time - start).total_seconds() + latest_p + scenario.waveforms.signal_s
    if needed > (end - start).total_seconds():
        raise ScenarioError(
            f"the test's signals (last P {latest_p:.0f} s after the origin, plus "
            f"{scenario.waveforms.signal_s:g} s) do not fit in its window ending "
            f"{end.isoformat()}",
            loc=("strategy", "time"),
        )


# Prepared state ----------------------------------------------------------------------


@dataclass(frozen=True)
class RealStation:
    """One station's real vertical record, split into noise and event parts.

    Attributes
    ----------
    noise
        Samples before the predicted P (counts, demeaned).
    event
        The whole record with everything before the P muted (counts, demeaned).
    origin_index
        Sample of the event's origin time in ``event``.
    """

    noise: FloatArray
    event: FloatArray
    origin_index: int


@dataclass(frozen=True)
class Prepared:
    """What every run of a scenario point shares.

    Attributes
    ----------
    source
        ``"real: <dataset>"`` or ``"synthetic"``.
    rate_hz
        Sampling rate of the run's traces, Hz.
    coordinates
        Station key to (latitude, longitude), degrees, for the stations used.
    table
        The iasp91 first-P travel-time table.
    detector
        Detector configuration.
    real
        Per-station real records (real source only).
    p_offsets_s
        Synthetic source: P travel time to each station from the test site, s.
    p_amplitudes_nm
        Synthetic source: peak P displacement at each station, nm.
    reference_mb
        Real source: published mb of the recorded event (``nan`` for synthetic).
    """

    source: str
    rate_hz: float
    coordinates: dict[str, tuple[float, float]]
    table: TravelTimeTable
    detector: DetectorConfig
    real: dict[str, RealStation]
    p_offsets_s: dict[str, float]
    p_amplitudes_nm: dict[str, float]
    reference_mb: float


def _prepare_real(
    scenario: TestBanScenario, real: RealWaveforms, folder: Path, table: TravelTimeTable
) -> tuple[float, dict[str, RealStation]]:
    wanted = {s.id: s for s in scenario.monitoring.stations}
    table_all = read_stations(folder / "stations.csv")
    stations = {key: value for key, value in table_all.items() if key in wanted}
    raw = read_waveforms(folder / "waveforms.mseed").select(component="Z")
    chosen = obspy.Stream([t for t in raw if f"{t.stats.network}.{t.stats.station}" in wanted])
    stream = check_stream(chosen, stations).stream
    origin = obspy.UTCDateTime(real.origin)
    out: dict[str, RealStation] = {}
    rate = 0.0
    for trace in stream:
        key = f"{trace.stats.network}.{trace.stats.station}"
        if key in out or key not in wanted:
            continue
        rate = rate or float(trace.stats.sampling_rate)
        if float(trace.stats.sampling_rate) != rate:
            continue
        station = wanted[key]
        distance = locations2degrees(
            real.latitude, real.longitude, station.latitude, station.longitude
        )
        p_s = float(table.time(distance, 0.0))
        out[key] = _split_record(np.asarray(trace.data, dtype=np.float64), rate, trace, origin, p_s)
    return rate, out


def _split_record(
    data: FloatArray, rate: float, trace: obspy.Trace, origin: obspy.UTCDateTime, p_s: float
) -> RealStation:
    """Noise before the predicted P, and the record muted before it (counts)."""
    data = data - float(np.mean(data))
    origin_index = round((origin - trace.stats.starttime) * rate)
    p_index = origin_index + round(p_s * rate)
    noise = data[: max(0, p_index - int(NOISE_GUARD_S * rate))].copy()
    ramp_start = p_index - int(MUTE_BEFORE_P_S[0] * rate)
    ramp_end = p_index - int(MUTE_BEFORE_P_S[1] * rate)
    weight = np.ones(data.size)
    weight[: max(0, ramp_start)] = 0.0
    span = np.arange(max(0, ramp_start), max(0, ramp_end))
    weight[span] = 0.5 - 0.5 * np.cos(np.pi * (span - ramp_start) / max(1, ramp_end - ramp_start))
    return RealStation(noise, data * weight, origin_index)


def _prepare_synthetic(
    scenario: TestBanScenario, table: TravelTimeTable
) -> tuple[dict[str, float], dict[str, float]]:
    strategy = scenario.strategy
    if not isinstance(strategy, UndeclaredTest):
        return {}, {}
    stations = scenario.monitoring.stations
    distances = _distances_deg(strategy.latitude, strategy.longitude, stations)
    times = table.time(distances, 0.0)
    offsets, amplitudes = {}, {}
    for station, distance, p_s in zip(stations, distances, times, strict=True):
        # ml_value(1 nm, R) is the formula's distance term: A = 10**(ML - term).
        term = ml_value(1.0, float(distance) * KM_PER_DEG)
        offsets[station.id] = float(p_s)
        amplitudes[station.id] = scenario.waveforms.synthetic.p_fraction * 10.0 ** (
            strategy.mb - term
        )
    return offsets, amplitudes


# Waveforms of one run ----------------------------------------------------------------

SYNTHETIC_RESPONSE = Response.from_paz(
    zeros=[], poles=[], stage_gain=1.0e9, input_units="M", output_units="COUNTS"
)
"""Response of the synthetic traces: flat, 1 count per nm of ground displacement."""


def _overlap_added_noise(
    noise: FloatArray, n: int, rate: float, rng: np.random.Generator
) -> FloatArray:
    """``n`` samples of noise made of random segments of ``noise``, overlap-added.

    Segments of :data:`NOISE_SEGMENT_S` start at random offsets; each is weighted by a
    sine window and they overlap by half, so the squared weights sum to one and the
    variance of stationary noise is kept, with no step at the joins.
    """
    length = min(int(NOISE_SEGMENT_S * rate), noise.size) // 2 * 2
    hop = length // 2
    window = np.sin(np.pi * (np.arange(length) + 0.5) / length)
    count = (n // length + 2) * 2  # even: the segments alternate between two layers
    starts = rng.integers(0, noise.size - length + 1, size=count)
    pieces = noise[starts[:, None] + np.arange(length)]
    pieces = (pieces - pieces.mean(axis=1, keepdims=True)) * window
    # Even segments tile the output end to end from 0, odd ones from hop.
    out = np.zeros(count * hop + length)
    out[: count // 2 * length] += pieces[0::2].ravel()
    out[hop : hop + count // 2 * length] += pieces[1::2].ravel()
    return out[hop : hop + n]


def _add_at(target: FloatArray, signal: FloatArray, shift: int) -> None:
    """Add ``signal`` to ``target`` with its sample 0 at ``shift`` (clipped to the ends)."""
    lo, hi = max(0, shift), min(target.size, shift + signal.size)
    if hi > lo:
        target[lo:hi] += signal[lo - shift : hi - shift]


def _wavelet(config: SyntheticWaveforms, rate: float) -> FloatArray:
    t = np.arange(int(10.0 * config.decay_s * rate)) / rate
    return np.sin(2.0 * np.pi * config.frequency_hz * t) * np.exp(-t / config.decay_s)


def _traces(
    scenario: TestBanScenario,
    prepared: Prepared,
    rng: np.random.Generator,
    start: datetime,
    test_offset_s: float | None,
) -> obspy.Stream:
    """The vertical traces of one window; the test's origin ``test_offset_s`` after start."""
    rate = prepared.rate_hz
    n = round(scenario.monitoring.window_s * rate)
    traces = []
    for key in sorted(prepared.coordinates):
        if prepared.real:
            record = prepared.real[key]
            data = _overlap_added_noise(record.noise, n, rate, rng)
        else:
            data = rng.normal(0.0, scenario.waveforms.synthetic.noise_nm, n)
        if test_offset_s is not None:
            _add_event(scenario, prepared, key, data, test_offset_s)
        network, station = key.split(".")
        header = {
            "network": network,
            "station": station,
            "channel": CHANNEL,
            "sampling_rate": rate,
            "starttime": obspy.UTCDateTime(start),
        }
        trace = obspy.Trace(data, header=header)
        if not prepared.real:
            trace.stats.response = SYNTHETIC_RESPONSE
        traces.append(trace)
    return obspy.Stream(traces)


def _add_event(
    scenario: TestBanScenario, prepared: Prepared, key: str, data: FloatArray, offset_s: float
) -> None:
    strategy = cast(UndeclaredTest, scenario.strategy)
    rate = prepared.rate_hz
    origin = round(offset_s * rate)
    if prepared.real:
        record = prepared.real[key]
        scale = 10.0 ** (strategy.mb - prepared.reference_mb)
        _add_at(data, scale * record.event, origin - record.origin_index)
    else:
        wavelet = _wavelet(scenario.waveforms.synthetic, rate)
        shift = origin + round(prepared.p_offsets_s[key] * rate)
        _add_at(data, prepared.p_amplitudes_nm[key] * wavelet, shift)


# Analysis of one window --------------------------------------------------------------


def _analyse(
    stream: obspy.Stream,
    scenario: TestBanScenario,
    prepared: Prepared,
    spec: TreatySpec,
) -> WindowResult:
    """Detections -> every event's picks -> location -> magnitudes -> screening."""
    detections = detect(stream, config=prepared.detector)
    depth = scenario.monitoring.location_depth_km
    stations = {d.station_key for d in detections if d.trace_id.endswith("Z")}
    try:
        located = locate_events(
            detections, prepared.coordinates, depth_km=depth, table=prepared.table
        )
    except InputError as exc:
        return WindowResult(len(detections), len(stations), (), exc.message)
    polygon = _polygon(scenario.territory)
    events = []
    for picks, location in located:
        used = tuple(p for p in picks if p.station in location.residuals_s)
        magnitudes = _magnitudes(stream, location, used, prepared)
        screening = tuple(
            _screen(c, location, magnitudes, spec) for c in scenario.monitoring.screening
        )
        inside = polygon.contains(Point(location.longitude_deg, location.latitude_deg))
        events.append(EventResult(location, used, magnitudes, screening, inside))
    return WindowResult(len(detections), len(stations), tuple(events), "")


def _magnitudes(
    stream: obspy.Stream, location: Location, picks: Sequence[Pick], prepared: Prepared
) -> tuple[NetworkMagnitude, ...]:
    """mb (no distance-depth table is shipped), Ms_20 (teleseismic only) and ML."""
    by_station = {f"{t.stats.network}.{t.stats.station}": t for t in stream}
    mb: list[StationMagnitude] = []
    ms: list[StationMagnitude] = []
    ml: list[StationMagnitude] = []
    for pick in picks:
        trace = by_station[pick.station]
        lat, lon = prepared.coordinates[pick.station]
        distance = locations2degrees(location.latitude_deg, location.longitude_deg, lat, lon)
        onset = obspy.UTCDateTime(pick.time)
        common = {"onset": onset, "distance_deg": distance, "depth_km": location.depth_km}
        mb.append(station_magnitude(trace, "mb", **common))
        if MS20_DISTANCE_DEG[0] <= distance <= MS20_DISTANCE_DEG[1]:
            ms.append(station_magnitude(trace, "Ms_20", **common))
        ml.append(station_magnitude(trace, "ML", **common))
    return (
        network_magnitude(mb, "mb"),
        network_magnitude(ms, "Ms_20"),
        network_magnitude(ml, "ML"),
    )


def _screen(
    criterion: str,
    location: Location,
    magnitudes: Sequence[NetworkMagnitude],
    spec: TreatySpec,
) -> ScreeningDecision:
    if criterion == "depth":
        return screen_location_depth(location, treaty=spec)
    mb, ms = magnitudes[0], magnitudes[1]
    return screen_ms_mb(mb.value, ms.value, mb_stderr=mb.stderr, ms_stderr=ms.stderr, treaty=spec)


# Records and findings ----------------------------------------------------------------


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def _event_body(result: EventResult, prepared: Prepared) -> dict[str, Any]:
    """A located event of a bulletin: origin, ellipse (km, km, degrees), magnitudes,
    screening and the IMS1.0-style text."""
    location = result.location
    ellipse = location.ellipse
    return {
        "origin_utc": location.origin_time.isoformat() + "Z",
        "latitude_deg": round(location.latitude_deg, 4),
        "longitude_deg": round(location.longitude_deg, 4),
        "depth_km": round(location.depth_km, 2),
        "depth_fixed": location.depth_fixed,
        "ellipse_km": [
            round(ellipse.semi_major_km, 2),
            round(ellipse.semi_minor_km, 2),
            round(ellipse.azimuth_deg, 1),
        ],
        "rms_s": round(location.rms_s, 3),
        "stations": sorted(p.station for p in result.used),
        "magnitudes": {
            m.kind: {
                "value": _rounded(m.value, 2),
                "stderr": _rounded(m.stderr, 2),
                "n": m.n_stations,
                "status": m.status,
            }
            for m in result.magnitudes
        },
        "screening": {
            d.criterion: {"outcome": d.outcome, "explanation": d.explanation}
            for d in result.screening
        },
        "inside_territory": result.inside,
        "ims1": ims1_bulletin(
            location,
            result.used,
            prepared.coordinates,
            magnitudes=[m for m in result.magnitudes if m.value is not None],
        ),
    }


def _bulletin(
    context: RunContext,
    window: tuple[str, datetime, datetime],
    result: WindowResult,
    prepared: Prepared,
    signer: str,
) -> Record:
    """Append the window's ``seismic_bulletin`` record, signed by the analyst."""
    window_id, start, end = window
    body = {
        "window": window_id,
        "start_utc": start.isoformat(),
        "end_utc": end.isoformat(),
        "stations": len(prepared.coordinates),
        "detections": result.detections,
        "picks": result.picks,
        "event": _event_body(result.events[0], prepared) if result.events else None,
        "no_event_reason": result.reason or None,
        "further_events": [_event_body(e, prepared) for e in result.events[1:]],
    }
    return context.ledger.append(
        BULLETIN_KIND, body, context.keys[signer], ref=f"bulletin:{window_id}", time=context.now
    )


# The regime --------------------------------------------------------------------------


class _TestBan:
    name = "test-ban"
    model = TestBanScenario
    strategies = frozenset({"compliant", "undeclared-test"})

    def check(self, scenario: Any, spec: TreatySpec) -> None:
        """Check the scenario against the treaty (see the module doc)."""
        chosen = cast(TestBanScenario, scenario)
        _check_treaty(chosen, spec)
        _check_network(chosen)
        polygon = _check_territory(chosen)
        _check_magnitude_range(chosen)
        if isinstance(chosen.strategy, UndeclaredTest):
            _check_test(chosen, chosen.strategy, polygon)

    def prepare(self, scenario: Any, spec: TreatySpec) -> Prepared:
        """Load the travel-time table and the real records (or the synthetic set-up)."""
        chosen = cast(TestBanScenario, scenario)
        table = load_table("iasp91")
        coordinates = {s.id: (s.latitude, s.longitude) for s in chosen.monitoring.stations}
        detector = _detector(chosen)
        folder = _real_folder(chosen)
        real = chosen.waveforms.real
        if folder is not None and real is not None:
            rate, records = _prepare_real(chosen, real, folder, table)
            used = {k: v for k, v in coordinates.items() if k in records}
            source = f"real: {Path(real.dataset).name}"
            return Prepared(source, rate, used, table, detector, records, {}, {}, real.mb)
        offsets, amplitudes = _prepare_synthetic(chosen, table)
        rate = chosen.waveforms.synthetic.rate_hz
        return Prepared(
            "synthetic", rate, coordinates, table, detector, {}, offsets, amplitudes, math.nan
        )

    def run(self, context: RunContext, scenario: Any, prepared: Any) -> RunTruth:
        """Process every monitoring window; the host sets off its test when cheating."""
        chosen = cast(TestBanScenario, scenario)
        shared = cast(Prepared, prepared)
        return _play(context, chosen, shared)


def _play(context: RunContext, scenario: TestBanScenario, prepared: Prepared) -> RunTruth:
    """One run: every window's waveforms, analysis and bulletin, then one finding a window.

    Parameters
    ----------
    context
        The run's ledger, keys, clock and random streams.
    scenario
        The scenario (one sweep point).
    prepared
        The shared state from :meth:`_TestBan.prepare`.
    """
    strategy = scenario.strategy
    test = strategy if context.cheat and isinstance(strategy, UndeclaredTest) else None
    windows = monitoring_windows(scenario)
    cheating: set[str] = set()
    analysed: list[tuple[str, WindowResult, Record]] = []
    for window in windows:
        window_id, start, end = window
        offset = None
        if test is not None and start <= test.time < end:
            offset = (test.time - start).total_seconds()
            cheating.add(window_id)
        stream = _traces(scenario, prepared, context.rng, start, offset)
        result = _analyse(stream, scenario, prepared, context.spec)
        context.move_to(end)
        analysed.append(
            (
                window_id,
                result,
                _bulletin(context, window, result, prepared, scenario.monitoring.analyst),
            )
        )
    requests = 0
    for window_id, result, record in analysed:
        osi = result.requires_consultation and requests < scenario.inspector.quota
        requests += osi
        context.propose(
            screening_finding(
                spec=context.spec,
                host=scenario.host,
                inspection_id=scenario.monitoring.inspection,
                window_id=window_id,
                result=result,
                record=record,
                osi=osi,
            ),
            by=scenario.inspectors[0],
        )
    stations = float(len(prepared.coordinates))
    return RunTruth(
        effort={
            "stations": stations,
            "waveform_hours": stations * len(windows) * scenario.monitoring.window_s / 3600.0,
            "osi_requests": float(requests),
        },
        cheating_subjects=frozenset(cheating),
        notes={"waveforms": prepared.source},
    )


REGIME = _TestBan()
"""The ``test-ban`` regime."""
