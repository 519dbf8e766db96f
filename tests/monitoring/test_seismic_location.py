"""Travel-time tables, association and location (issue 4, item 3)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from obspy import UTCDateTime
from obspy.taup import TauPyModel

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic import traveltime
from treatyverify.monitoring.seismic.locate import (
    KM_PER_DEG,
    Pick,
    _distance_azimuth,
    associate,
    locate,
    locate_from_picks,
)
from treatyverify.monitoring.seismic.traveltime import TravelTimeTable, load_table

EVENT_A = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic" / "regional-event-a"
PHASES = ["p", "P", "Pn", "Pg"]


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TravelTimeTable]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TREATYVERIFY_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield load_table("iasp91")


def _network(rng: np.random.Generator, n: int = 30) -> dict[str, tuple[float, float]]:
    return {f"S{i:02d}": (rng.uniform(34.0, 46.0), rng.uniform(124.0, 136.0)) for i in range(n)}


def _picks(
    table: TravelTimeTable,
    stations: dict[str, tuple[float, float]],
    lat: float,
    lon: float,
    depth_km: float,
    origin: float,
    noise_s: float,
    rng: np.random.Generator,
) -> list[Pick]:
    slat = np.array([v[0] for v in stations.values()])
    slon = np.array([v[1] for v in stations.values()])
    dist, _ = _distance_azimuth(lat, lon, slat, slon)
    times = (
        origin + table.time(dist, depth_km) + rng.normal(0.0, noise_s, dist.size) * (noise_s > 0)
    )
    sigma = noise_s if noise_s > 0 else 0.1
    return [Pick(k, "P", float(t), sigma) for k, t in zip(stations, times, strict=True)]


def _offset_km(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    north = (lat - lat0) * KM_PER_DEG
    east = (lon - lon0) * KM_PER_DEG * math.cos(math.radians(lat0))
    return north, east


@pytest.mark.parametrize("model", ["iasp91", "ak135"])
def test_table_matches_taup_at_random_regional_points(
    model: str, table: TravelTimeTable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if model != "iasp91":
        monkeypatch.setenv("TREATYVERIFY_CACHE", str(tmp_path))
        table = load_table(model)
    taup = TauPyModel(model)
    rng = np.random.default_rng(7)
    errors = []
    for _ in range(40):
        dist, depth = rng.uniform(0.1, 20.0), rng.uniform(0.0, 40.0)
        direct = taup.get_travel_times(depth, dist, phase_list=PHASES)
        errors.append(float(table.time(dist, depth)) - min(a.time for a in direct))
    assert max(abs(e) for e in errors) < 0.05
    # teleseismic points, with a looser bound for the coarser grid there
    for dist, depth in [(35.3, 10.0), (62.7, 150.0), (88.1, 610.0)]:
        direct = taup.get_travel_times(depth, dist, phase_list=PHASES)
        assert abs(float(table.time(dist, depth)) - direct[0].time) < 0.1
    # slowness is the ray parameter of the first arrival
    arrival = taup.get_travel_times(10.0, 30.0, phase_list=PHASES)[0]
    _, slow, dtdh = table.derivatives(30.0, 10.0)
    assert float(slow) == pytest.approx(arrival.ray_param_sec_degree, rel=5e-3)
    assert float(dtdh) < 0.0  # a deeper source is nearer along a down-going ray


def test_table_is_vectorised_and_checks_range(table: TravelTimeTable) -> None:
    values = table.time(np.array([[1.0, 2.0], [3.0, 4.0]]), 10.0)
    assert values.shape == (2, 2)
    assert np.all(np.diff(values.ravel()) > 0)
    with pytest.raises(InputError, match="distance must lie"):
        table.time(120.0, 10.0)
    with pytest.raises(InputError, match="depth"):
        table.time(10.0, -5.0)


def test_cache_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREATYVERIFY_CACHE", str(tmp_path))
    dist, depths = np.linspace(0.0, 10.0, 41), np.array([0.0, 10.0, 20.0])
    first = load_table("iasp91", distances_deg=dist, depths_km=depths)
    files = list(tmp_path.glob("traveltime-iasp91-*.npz"))
    assert len(files) == 1
    mtime = files[0].stat().st_mtime_ns

    def boom(*args: object, **kwargs: object) -> TravelTimeTable:
        raise AssertionError("the table was rebuilt")

    monkeypatch.setattr(traveltime, "build_table", boom)
    second = load_table("iasp91", distances_deg=dist, depths_km=depths)
    assert np.array_equal(first.times_s, second.times_s)
    assert files[0].stat().st_mtime_ns == mtime
    # another grid is another key
    with pytest.raises(AssertionError, match="rebuilt"):
        load_table("iasp91", distances_deg=dist[:-1], depths_km=depths)


def test_noise_free_event_located_within_1_km(table: TravelTimeTable) -> None:
    rng = np.random.default_rng(1)
    stations = _network(rng)
    origin = float(UTCDateTime("2020-01-01T00:00:00"))
    for lat, lon in [(40.2, 130.7), (37.5, 127.1), (44.0, 134.0)]:
        picks = _picks(table, stations, lat, lon, 10.0, origin, 0.0, rng)
        loc = locate(picks, stations, table, depth_km=10.0)
        north, east = _offset_km(loc.latitude_deg, loc.longitude_deg, lat, lon)
        assert math.hypot(north, east) < 1.0
        assert abs(float(loc.origin_time) - origin) < 0.05
        assert loc.rms_s < 0.05
        assert set(loc.residuals_s) == set(stations)
    free = locate(picks, stations, table, depth_km=0.0, free_depth=True)
    assert free.depth_km == pytest.approx(10.0, abs=1.0)
    assert not free.depth_fixed and free.covariance[3, 3] > 0.0


def test_error_ellipse_coverage_near_90_percent(table: TravelTimeTable) -> None:
    rng = np.random.default_rng(2)
    stations = _network(rng, 20)
    inside = 0
    trials = 200
    for _ in range(trials):
        lat, lon = rng.uniform(36.0, 44.0), rng.uniform(126.0, 134.0)
        picks = _picks(table, stations, lat, lon, 0.0, 1.6e9, 0.5, rng)
        loc = locate(picks, stations, table, depth_km=0.0, variance="a-priori")
        north, east = _offset_km(lat, lon, loc.latitude_deg, loc.longitude_deg)
        inside += loc.ellipse.contains(north, east)
        assert loc.ellipse.semi_major_km >= loc.ellipse.semi_minor_km > 0.0
    # 90 % +- about 3 binomial standard deviations of 200 trials
    assert 0.84 <= inside / trials <= 0.96


def test_association_separates_two_simultaneous_events_and_rejects_outliers(
    table: TravelTimeTable,
) -> None:
    rng = np.random.default_rng(3)
    stations = _network(rng, 25)
    origin = 1.6e9
    first = _picks(table, stations, 44.5, 134.5, 0.0, origin, 0.2, rng)
    second = _picks(table, stations, 35.5, 125.5, 0.0, origin, 0.2, rng)
    strays = [Pick("S01", "P", origin + 300.0, 0.2), Pick("S02", "P", origin - 200.0, 0.2)]
    found = associate(first + second + strays, stations, table, grid_step_deg=0.2)
    assert len(found.events) == 2
    assert set(strays) <= set(found.outliers)
    for truth in (first, second):
        best = max(len(set(truth) & set(e.picks)) for e in found.events)
        assert best >= 0.9 * len(truth)
    for event in found.events:
        assert abs(float(event.origin_time) - origin) < 3.0


def test_failures_say_why(table: TravelTimeTable) -> None:
    rng = np.random.default_rng(4)
    stations = _network(rng, 8)
    picks = _picks(table, stations, 40.0, 130.0, 0.0, 1.6e9, 0.0, rng)
    with pytest.raises(InputError, match="at least 4"):
        locate(picks[:3], stations, table)
    with pytest.raises(InputError, match="no coordinates") as info:
        locate([*picks[:4], Pick("NOPE", "P", 1.6e9, 0.1)], stations, table)
    assert info.value.where == "NOPE"
    with pytest.raises(InputError, match="not a first-arriving P"):
        locate([*picks[:4], Pick("S05", "S", 1.6e9, 0.1)], stations, table)
    with pytest.raises(InputError, match="more than one pick"):
        locate([*picks[:4], picks[0]], stations, table)
    with pytest.raises(InputError, match="no convergence"):
        locate(picks, stations, table, start=(30.0, 120.0), max_iterations=2)
    with pytest.raises(InputError, match="positive"):
        Pick("S00", "P", 1.6e9, 0.0)
    same = {k: (40.0, 130.0) for k in stations}
    with pytest.raises(InputError, match=r"singular|convergence"):
        locate(picks, same, table)
    with pytest.raises(InputError, match="agree on an event"):
        scattered = [Pick(k, "P", 1.6e9 + 500.0 * i, 0.1) for i, k in enumerate(stations)]
        locate_from_picks(scattered, stations, table=table)


def _event_a_stations() -> dict[str, tuple[float, float]]:
    with (EVENT_A / "stations.csv").open(newline="") as handle:
        return {
            f"{row['network']}.{row['station']}": (float(row["latitude"]), float(row["longitude"]))
            for row in csv.DictReader(handle)
        }


@pytest.mark.skipif(
    not (EVENT_A / "stations.csv").is_file(),
    reason="../shared/data/seismic/regional-event-a/stations.csv is not present",
)
def test_locate_from_picks_on_the_real_network(table: TravelTimeTable) -> None:
    # USGS epicentre of the 2017-09-03 event (us2000aert): 41.343 N, 129.036 E, 03:30:01.760 UTC
    stations = _event_a_stations()
    assert len(stations) == 28
    origin = UTCDateTime("2017-09-03T03:30:01.760")
    rng = np.random.default_rng(5)
    picks = _picks(table, stations, 41.343, 129.036, 0.0, float(origin), 0.5, rng)
    picks.append(Pick(next(iter(stations)), "P", float(origin) + 400.0, 0.5))  # a stray pick
    loc = locate_from_picks(picks, stations, table=table)
    north, east = _offset_km(loc.latitude_deg, loc.longitude_deg, 41.343, 129.036)
    assert math.hypot(north, east) < 5.0
    assert abs(loc.origin_time - origin) < 1.0
    assert loc.n_picks == 27 or loc.n_picks == 28
