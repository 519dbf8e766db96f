"""Issue 18 (parts 1 and 4): picks against the prediction, model error, station
corrections, and a depth that is used only when resolved.

Reference origins: U.S. Geological Survey, ANSS Comprehensive Catalog (ComCat) event pages
of the 3 September 2017 explosion (41.343 N, 129.036 E, 03:30:01.760 UTC) and the
9 September 2016 explosion (41.287 N, 129.078 E, 00:30:01.380 UTC), as in
tests/monitoring/test_seismic_pipeline.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from obspy import UTCDateTime
from obspy.geodetics import gps2dist_azimuth

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.detect import Band, Detection
from treatyverify.monitoring.seismic.locate import (
    ModelError,
    Pick,
    _distance_azimuth,
    locate,
    read_station_corrections,
    station_corrections,
)
from treatyverify.monitoring.seismic.pipeline import (
    MIN_PICKS_MORE,
    calibrate,
    event_picks,
    locate_events,
    pick_and_locate,
    picks_near_prediction,
)
from treatyverify.monitoring.seismic.screening import screen_location_depth
from treatyverify.monitoring.seismic.traveltime import TravelTimeTable, load_table

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic"
REFERENCES = {
    "regional-event-a": (41.343, 129.036, UTCDateTime("2017-09-03T03:30:01.760")),
    "regional-event-b": (41.287, 129.078, UTCDateTime("2016-09-09T00:30:01.380")),
}
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not present at {DATA}")


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TravelTimeTable]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TREATYVERIFY_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield load_table("iasp91")


def _network(rng: np.random.Generator, n: int = 20) -> dict[str, tuple[float, float]]:
    return {f"XX.S{i:02d}": (rng.uniform(36.0, 46.0), rng.uniform(124.0, 134.0)) for i in range(n)}


def _arrivals(
    table: TravelTimeTable, stations: dict[str, tuple[float, float]], lat: float, lon: float
) -> dict[str, float]:
    slat = np.array([v[0] for v in stations.values()])
    slon = np.array([v[1] for v in stations.values()])
    dist, _ = _distance_azimuth(lat, lon, slat, slon)
    return dict(zip(stations, (float(t) for t in table.time(dist, 0.0)), strict=True))


def _detection(key: str, epoch: float, snr: float = 20.0, channel: str = "BHZ") -> Detection:
    t = UTCDateTime(epoch)
    return Detection(f"{key}..{channel}", t, t, t + 5, Band(1.0, 3.0), snr, 8.0, 100.0, 0.5)


def _error_km(event: str, lat: float, lon: float) -> float:
    ref_lat, ref_lon, _ = REFERENCES[event]
    return float(gps2dist_azimuth(ref_lat, ref_lon, lat, lon)[0]) / 1e3


def test_the_p_is_the_detection_nearest_the_prediction(table: TravelTimeTable) -> None:
    rng = np.random.default_rng(18)
    stations = _network(rng)
    origin = UTCDateTime(2020, 1, 1).timestamp
    tt = _arrivals(table, stations, 41.3, 129.0)
    found = []
    for key, t in tt.items():
        found.append(_detection(key, origin + t + rng.normal(0.0, 0.2)))
        found.append(_detection(key, origin + t + 6.0))  # a later regional phase
    # Noise triggers long before the P at a third of the stations: the earliest detection
    # there is not the P.
    for key in list(stations)[::3]:
        found.append(_detection(key, origin + rng.uniform(-280.0, -30.0), snr=4.0))
        found.append(_detection(key, origin + 2.0, snr=50.0, channel="BHN"))  # horizontal
    picks, location = pick_and_locate(found, stations, table=table)
    assert location.n_picks == len(stations)
    assert all(abs(p.epoch_s - origin - tt[p.station]) < 1.0 for p in picks)
    north_km = (location.latitude_deg - 41.3) * 111.19
    east_km = (location.longitude_deg - 129.0) * 111.19 * math.cos(math.radians(41.3))
    assert math.hypot(north_km, east_km) < 3.0
    assert abs(float(location.origin_time) - origin) < 0.5
    assert not location.depth_resolved


def test_event_picks_skip_noise_before_p_and_far_stations(table: TravelTimeTable) -> None:
    rng = np.random.default_rng(19)
    stations = _network(rng)
    origin = UTCDateTime(2020, 1, 1).timestamp
    tt = _arrivals(table, stations, 41.3, 129.0)
    found = [_detection(k, origin + t + rng.normal(0.0, 0.2)) for k, t in tt.items()]
    noisy = list(stations)[::2]
    found += [_detection(k, origin + rng.uniform(-280.0, -30.0), snr=4.0) for k in noisy]
    # with a given hypocentre, a station beyond the table's reach is left out, not an error
    far = {**stations, "XX.FAR": (-41.3, -51.0)}
    hypocentre = (41.3, 129.0, 0.0, origin)
    given, none = event_picks(
        [*found, _detection("XX.FAR", origin + 600.0)],
        far,
        table=table,
        hypocentre=hypocentre,
        window_s=10.0,
    )
    own, location = event_picks(found, stations, table=table)
    assert none is None and location is not None
    for picks in (given, own):
        assert sorted(p.station for p in picks) == sorted(stations)
        assert all(abs(p.epoch_s - origin - tt[p.station]) < 1.0 for p in picks)


def test_picking_window_is_respected_and_checked(table: TravelTimeTable) -> None:
    stations = {"XX.A": (41.0, 130.0)}
    origin = UTCDateTime(2020, 1, 1).timestamp
    t = _arrivals(table, stations, 41.3, 129.0)["XX.A"]
    late = [_detection("XX.A", origin + t + 4.0)]

    def pick(**options: float | dict[str, float]) -> list[Pick]:
        return picks_near_prediction(
            late,
            stations,
            table,
            latitude_deg=41.3,
            longitude_deg=129.0,
            depth_km=0.0,
            origin_time=origin,
            **options,  # type: ignore[arg-type]
        )

    assert pick() == []
    assert [p.station for p in pick(window_s=5.0)] == ["XX.A"]
    # a station correction of +4 s moves the prediction onto the late detection
    assert len(pick(corrections_s={"XX.A": 4.0})) == 1
    with pytest.raises(InputError, match="positive"):
        pick(window_s=0.0)


def test_model_error_is_by_phase_and_distance_and_has_no_default(table: TravelTimeTable) -> None:
    error = ModelError("P", (1.0, 10.0), (1.0, 2.0), source="test")
    assert error.at([0.0, 5.5, 20.0]) == pytest.approx([1.0, 1.5, 2.0])
    assert ModelError.constant("Pn", 0.7).at(3.0) == pytest.approx(0.7)
    with pytest.raises(InputError, match="increase"):
        ModelError("P", (2.0, 1.0), (1.0, 1.0))
    with pytest.raises(InputError, match=">= 0"):
        ModelError("P", (1.0,), (-1.0,))
    with pytest.raises(InputError, match="as many"):
        ModelError("P", (1.0, 2.0), (1.0,))
    rng = np.random.default_rng(3)
    stations = _network(rng)
    origin = 1.6e9
    picks = [
        Pick(k, "P", origin + t + rng.normal(0.0, 0.1), 0.1)
        for k, t in _arrivals(table, stations, 41.3, 129.0).items()
    ]
    plain = locate(picks, stations, table, variance="a-priori")
    widened = locate(picks, stations, table, variance="a-priori", model_error={"P": error})
    assert not plain.model_error and widened.model_error
    # sigma from 0.1 s to about 1-2 s: the a-priori ellipse grows about tenfold
    assert widened.ellipse.semi_major_km > 8.0 * plain.ellipse.semi_major_km
    with pytest.raises(InputError, match="no travel-time model error"):
        locate(picks, stations, table, model_error={"Sn": error})


def test_station_corrections_from_a_calibration_event(table: TravelTimeTable) -> None:
    """Station delays common to two nearby events: corrections measured on the first at
    its known origin remove the bias they put into the second's location."""
    rng = np.random.default_rng(11)
    stations = _network(rng)
    delays = {k: float(rng.normal(0.0, 1.5)) for k in stations}
    t1, t2 = 1.5e9, 1.6e9
    first = [
        _detection(k, t1 + t + delays[k])
        for k, t in _arrivals(table, stations, 41.3, 129.0).items()
    ]
    second = [
        _detection(k, t2 + t + delays[k])
        for k, t in _arrivals(table, stations, 41.25, 129.1).items()
    ]
    corrections = calibrate(
        first,
        stations,
        table=table,
        latitude_deg=41.3,
        longitude_deg=129.0,
        depth_km=0.0,
        origin_time=t1,
        window_s=10.0,
    )
    assert corrections == pytest.approx(delays, abs=1e-6)
    _, biased = pick_and_locate(second, stations, table=table, window_s=10.0)
    _, fixed = pick_and_locate(
        second, stations, table=table, window_s=10.0, corrections_s=corrections
    )

    def err(loc_lat: float, loc_lon: float) -> float:
        return float(gps2dist_azimuth(41.25, 129.1, loc_lat, loc_lon)[0]) / 1e3

    assert err(fixed.latitude_deg, fixed.longitude_deg) < 0.5
    assert err(biased.latitude_deg, biased.longitude_deg) > err(
        fixed.latitude_deg, fixed.longitude_deg
    )
    assert fixed.corrected_stations == tuple(sorted(stations))
    assert abs(float(fixed.origin_time) - t2) < 0.05
    picks = [Pick("XX.S00", "P", t1 + 1.0)]
    assert station_corrections(
        picks,
        stations,
        table,
        latitude_deg=41.3,
        longitude_deg=129.0,
        depth_km=0.0,
        origin_time=t1,
    )["XX.S00"] == pytest.approx(
        1.0 - _arrivals(table, {"XX.S00": stations["XX.S00"]}, 41.3, 129.0)["XX.S00"]
    )


def test_station_corrections_file(tmp_path: Path) -> None:
    good = tmp_path / "corrections.csv"
    good.write_text("station,correction_s\nIU.INCN,-0.25\nIC.MDJ,0.4\n")
    assert read_station_corrections(good) == {"IU.INCN": -0.25, "IC.MDJ": 0.4}
    for text, message in [
        ("station,correction_s\nIU.INCN,x\n", "not a number"),
        ("station,correction_s\nIU.INCN,nan\n", "not finite"),
        ("station,correction_s\nIU.INCN,1\nIU.INCN,2\n", "twice"),
        ("station,delay\nIU.INCN,1\n", "columns"),
    ]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(InputError, match=message):
            read_station_corrections(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_station_corrections(tmp_path / "missing.csv")


def test_a_free_depth_from_first_p_is_unresolved_and_not_screened(table: TravelTimeTable) -> None:
    rng = np.random.default_rng(5)
    stations = _network(rng)
    picks = [
        Pick(k, "P", 1.6e9 + t + rng.normal(0.0, 0.5), 0.5)
        for k, t in _arrivals(table, stations, 41.3, 129.0).items()
    ]
    free = locate(picks, stations, table, free_depth=True, depth_km=10.0)
    assert not free.depth_fixed and not free.depth_resolved
    decision = screen_location_depth(free)
    assert decision.outcome == "not screened"
    assert "not used" in decision.explanation


def _real(event: str) -> tuple[dict[str, tuple[float, float]], list[Detection]]:
    from treatyverify.monitoring.seismic.detect import detect
    from treatyverify.monitoring.seismic.ingest import ingest, read_stations

    folder = DATA / event
    known = read_stations(folder / "stations.csv")
    stream = ingest(folder / "waveforms.mseed", known).stream
    return {k: (s.latitude, s.longitude) for k, s in known.items()}, detect(stream)


@pytest.fixture(scope="module")
def real() -> dict[str, tuple[dict[str, tuple[float, float]], list[Detection]]]:
    return {event: _real(event) for event in REFERENCES}


@needs_data
def test_picking_against_the_prediction_on_the_2017_explosion(
    table: TravelTimeTable,
    real: dict[str, tuple[dict[str, tuple[float, float]], list[Detection]]],
) -> None:
    """Earliest detections: 14 picks, 8.4 km, published epicentre 1.65 radii outside the
    ellipse (docs/benchmarks.md); picked against the prediction: more picks, smaller
    error, the published epicentre inside the 90 % ellipse."""
    coordinates, detections = real["regional-event-a"]
    _, location = pick_and_locate(detections, coordinates, table=table)
    assert location.n_picks >= 20
    assert _error_km("regional-event-a", location.latitude_deg, location.longitude_deg) < 7.5
    lat, lon, origin = REFERENCES["regional-event-a"]
    dist, az, _ = gps2dist_azimuth(location.latitude_deg, location.longitude_deg, lat, lon)
    north, east = dist * math.cos(math.radians(az)) / 1e3, dist * math.sin(math.radians(az)) / 1e3
    assert location.ellipse.contains(north, east)
    assert abs(location.origin_time - origin) < 1.0


@needs_data
@pytest.mark.parametrize(("target", "calibration"), [("a", "b"), ("b", "a")])
def test_corrections_from_one_explosion_locate_the_other_better(
    table: TravelTimeTable,
    real: dict[str, tuple[dict[str, tuple[float, float]], list[Detection]]],
    target: str,
    calibration: str,
) -> None:
    event, other = f"regional-event-{target}", f"regional-event-{calibration}"
    lat, lon, origin = REFERENCES[other]
    corrections = calibrate(
        real[other][1],
        real[other][0],
        table=table,
        latitude_deg=lat,
        longitude_deg=lon,
        depth_km=0.0,
        origin_time=float(origin),
    )
    assert len(corrections) >= 15
    coordinates, detections = real[event]
    _, plain = pick_and_locate(detections, coordinates, table=table)
    _, corrected = pick_and_locate(detections, coordinates, table=table, corrections_s=corrections)
    before = _error_km(event, plain.latitude_deg, plain.longitude_deg)
    after = _error_km(event, corrected.latitude_deg, corrected.longitude_deg)
    assert after < 0.75 * before
    assert abs(corrected.origin_time - REFERENCES[event][2]) < abs(
        plain.origin_time - REFERENCES[event][2]
    )


def test_two_events_in_one_window_with_their_later_phases(table: TravelTimeTable) -> None:
    """A large event and a smaller one 8.5 minutes later, each with a P and a later
    regional phase (at 3.5 km/s) at every station, plus noise triggers: two events, each
    located where it was, and no spurious one from the later phases."""
    rng = np.random.default_rng(1709)
    stations = _network(rng, n=24)
    first_t, second_t = 1.5e9, 1.5e9 + 510.0
    found = []
    for lat, lon, t0, share in ((41.3, 129.0, first_t, 1.0), (39.0, 131.5, second_t, 0.5)):
        slat = np.array([v[0] for v in stations.values()])
        slon = np.array([v[1] for v in stations.values()])
        dist, _ = _distance_azimuth(lat, lon, slat, slon)
        for key, d, t in zip(stations, dist, table.time(dist, 0.0), strict=True):
            if rng.uniform() > share:  # the smaller event is seen at half the stations
                continue
            found.append(_detection(key, t0 + float(t) + rng.normal(0.0, 0.2)))
            found.append(_detection(key, t0 + float(d) * 111.19 / 3.5, snr=5.0))
    for key in stations:
        found.append(_detection(key, first_t + rng.uniform(-280.0, 700.0), snr=3.0))
    events = locate_events(found, stations, table=table)
    assert len(events) == 2
    (_, big), (_, small) = events
    for location, (lat, lon, t0) in (
        (big, (41.3, 129.0, first_t)),
        (small, (39.0, 131.5, second_t)),
    ):
        assert (
            float(gps2dist_azimuth(lat, lon, location.latitude_deg, location.longitude_deg)[0])
            < 5e3
        )
        assert abs(float(location.origin_time) - t0) < 1.0
    assert small.n_picks >= MIN_PICKS_MORE
    with pytest.raises(InputError, match="at least"):
        locate_events(found, stations, table=table, min_picks_more=3)


@needs_data
@pytest.mark.parametrize("event", sorted(REFERENCES))
def test_one_event_in_each_real_window(
    table: TravelTimeTable,
    real: dict[str, tuple[dict[str, tuple[float, float]], list[Detection]]],
    event: str,
) -> None:
    """The explosion's later phases form no second event, nor do noise triggers. (The
    collapse 8.5 minutes after the 2017 test is detected at only two stations with the
    default detector, too few to locate.)"""
    coordinates, detections = real[event]
    events = locate_events(detections, coordinates, table=table)
    assert len(events) == 1
    location = events[0][1]
    assert _error_km(event, location.latitude_deg, location.longitude_deg) < 12.0
