"""Waveform cross-correlation and relative location.

Real data (../shared/data/seismic): IC.MDJ.00.BHZ recordings of the 12 February 2013
and 3 September 2017 North Korean explosions, and the 28-station regional sets of the
3 September 2017 (regional-event-a) and 9 September 2016 (regional-event-b) explosions.

Reference origins: U.S. Geological Survey ComCat event pages (also listed on the IRIS
DMC special-event page "2017 North Korean nuclear test"): 12 February 2013 02:57:51.27
UTC, 41.299 N 129.004 E; 3 September 2017 03:30:01.760 UTC, 41.343 N 129.036 E.
Station IC.MDJ (Mudanjiang): 44.6170 N, 129.5908 E, the coordinates in
``regional-event-a/stations.csv`` (the miniSEED headers carry none).

Relative location of b (2016) with respect to a (2017): Yao, Tian, Sun & Wen (2018),
"Source characteristics of North Korea's 3 September 2017 nuclear test", Seismological
Research Letters 89(6), doi:10.1785/0220180134, locate the 2017 test relative to the
2016 test by waveform cross-correlation; their Table 1 (as reproduced on the co-authors'
pages; the paper itself was not read) gives 41.3001 N 129.0776 E (2016-09-09) and
41.3018 N 129.0738 E (2017-09-03): the 2016 test lies 0.19 km south and 0.32 km east of
the 2017 test (111.19 km per degree of latitude, 83.5 km per degree of longitude at
41.3 N). Issue 4 asks for agreement within 1 km. S. J. Gibbons' relative locations
(regressionRelLoc, NORSAR, 2024) give 0.15 km south and 0.24 km east, close to it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy.geodetics import locations2degrees
from obspy.taup import TauPyModel

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.detect import Band, detect
from treatyverify.monitoring.seismic.ingest import ingest, read_stations
from treatyverify.monitoring.seismic.locate import KM_PER_DEG, Pick
from treatyverify.monitoring.seismic.pipeline import first_arrival_picks
from treatyverify.monitoring.seismic.relocate import relocate
from treatyverify.monitoring.seismic.traveltime import load_table
from treatyverify.monitoring.seismic.xcorr import (
    DifferentialTime,
    differential_times,
    parabolic_peak,
    scan_template,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic"
MDJ = (44.6170, 129.5908)
ORIGIN_2013 = (obspy.UTCDateTime("2013-02-12T02:57:51.27"), 41.299, 129.004)
ORIGIN_2017 = (obspy.UTCDateTime("2017-09-03T03:30:01.760"), 41.343, 129.036)


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREATYVERIFY_CACHE", str(tmp_path_factory.getbasetemp() / "tt-cache"))


def wavelet(rate_hz: float, seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    return np.asarray(
        np.exp(-t / 2.0) * np.sin(2 * np.pi * 3.0 * t) + 0.3 * rng.standard_normal(t.size),
        dtype=np.float64,
    )


def trace(
    data: np.ndarray, start: obspy.UTCDateTime, rate_hz: float, sta: str = "AAA"
) -> obspy.Trace:
    return obspy.Trace(
        data.astype(np.float64),
        header={
            "network": "XX",
            "station": sta,
            "channel": "BHZ",
            "sampling_rate": rate_hz,
            "starttime": start,
        },
    )


def test_parabolic_peak_recovers_a_vertex_between_samples() -> None:
    x = np.arange(11, dtype=np.float64)
    y = 1.0 - 0.05 * (x - 4.3) ** 2
    where, height = parabolic_peak(y, int(np.argmax(y)))
    assert where == pytest.approx(4.3)
    assert height == pytest.approx(1.0)
    assert parabolic_peak(y, 0) == (0.0, float(y[0]))


def test_scan_finds_each_repeat_of_a_synthetic_template() -> None:
    rng = np.random.default_rng(4)
    rate = 40.0
    event = wavelet(rate, 10.0, rng)
    start = obspy.UTCDateTime(2020, 1, 1)
    data = 0.2 * rng.standard_normal(int(600 * rate))
    for at_s, gain in ((100.0, 1.0), (351.3, 0.3)):
        i = int(at_s * rate)
        data[i : i + event.size] += gain * event
    template = np.concatenate(
        [0.2 * rng.standard_normal(400), event, 0.2 * rng.standard_normal(400)]
    )
    tpl = trace(template, start - 10.0, rate)
    onset = tpl.stats.starttime + 400 / rate
    found = scan_template(
        tpl,
        trace(data, start, rate),
        band=Band(1.0, 6.0),
        threshold=0.4,
        mad_multiple=8.0,
        window=(onset - 1.0, onset + 9.0),
        reference=onset,
    )
    assert [round(m.time - start, 1) for m in found] == [100.0, 351.3]
    assert all(m.mad_multiple > 8.0 for m in found)


def test_scan_refuses_mismatched_rates_and_bad_thresholds() -> None:
    rng = np.random.default_rng(1)
    a = trace(rng.standard_normal(200), obspy.UTCDateTime(0), 20.0)
    b = trace(rng.standard_normal(2000), obspy.UTCDateTime(0), 40.0)
    with pytest.raises(InputError, match="sampling rates"):
        scan_template(a, b, band=Band(1.0, 5.0))
    with pytest.raises(InputError, match="threshold"):
        scan_template(a, a, band=Band(1.0, 5.0), threshold=1.5)
    with pytest.raises(InputError, match="Nyquist"):
        scan_template(a, a, band=Band(1.0, 12.0))


def test_differential_time_to_a_fraction_of_a_sample() -> None:
    rng = np.random.default_rng(7)
    rate = 20.0
    t = np.arange(int(120 * rate)) / rate
    shape = np.exp(-(((t - 60.0) / 1.5) ** 2)) * np.sin(2 * np.pi * 2.5 * (t - 60.0))
    delayed = np.exp(-(((t - 60.0137) / 1.5) ** 2)) * np.sin(2 * np.pi * 2.5 * (t - 60.0137))
    a_start = obspy.UTCDateTime(2016, 1, 1)
    b_start = obspy.UTCDateTime(2017, 1, 1)
    stream_a = obspy.Stream([trace(shape + 1e-3 * rng.standard_normal(t.size), a_start, rate)])
    stream_b = obspy.Stream([trace(delayed + 1e-3 * rng.standard_normal(t.size), b_start, rate)])
    picks_a = [Pick("XX.AAA", "P", a_start + 58.0)]
    picks_b = [Pick("XX.AAA", "P", b_start + 58.4)]  # a pick 0.4 s late
    (found,) = differential_times(
        stream_a, stream_b, picks_a, picks_b, band=Band(1.0, 5.0), align=False
    )
    assert found.dt_s == pytest.approx((b_start - a_start) + 0.0137, abs=2e-3)
    assert found.cc > 0.99


def network() -> dict[str, tuple[float, float]]:
    return {
        f"XX.S{k:02d}": (
            41.3 + r * math.cos(math.radians(az)),
            129.0 + r * math.sin(math.radians(az)) / 0.75,
        )
        for k, (r, az) in enumerate((r, az) for r in (3.0, 6.0, 10.0) for az in range(0, 360, 40))
    }


def test_relocation_recovers_a_synthetic_offset_within_50_m() -> None:
    table = load_table()
    stations = network()
    lat_a, lon_a, depth = 41.30, 129.05, 0.0
    north, east, shift = 2.4, -1.7, 31.0e6
    lat_b = lat_a + north / KM_PER_DEG
    lon_b = lon_a + east / (KM_PER_DEG * math.cos(math.radians(lat_a)))
    found = []
    for key, (la, lo) in stations.items():
        t_a = float(table.time(locations2degrees(lat_a, lon_a, la, lo), depth))
        t_b = float(table.time(locations2degrees(lat_b, lon_b, la, lo), depth))
        found.append(DifferentialTime(key, key + "..BHZ", shift + t_b - t_a, 0.9))
    result = relocate(found, (lat_a, lon_a, depth), stations, table=table)
    assert math.hypot(result.north_km - north, result.east_km - east) < 0.05
    assert result.origin_shift_s == pytest.approx(shift, abs=0.01)
    assert result.rms_s < 0.005


def test_relocation_needs_four_stations() -> None:
    few = [DifferentialTime("XX.S00", "XX.S00..BHZ", 1.0, 0.9)] * 3
    with pytest.raises(InputError, match="4 or more"):
        relocate(few, (41.3, 129.0, 0.0), network())


@pytest.mark.skipif(
    not (DATA / "IC.MDJ.2013.043.mseed").is_file(),
    reason=f"IC.MDJ recordings of the 2013 and 2017 explosions not present in {DATA}",
)
def test_2013_template_finds_the_2017_explosion_at_mdj() -> None:
    model = TauPyModel("iasp91")

    def p_arrival(origin: tuple[obspy.UTCDateTime, float, float]) -> obspy.UTCDateTime:
        distance = locations2degrees(origin[1], origin[2], *MDJ)
        first = model.get_travel_times(0.0, distance, ["p", "P", "Pn", "Pg"])[0]
        return origin[0] + first.time

    template = obspy.read(str(DATA / "IC.MDJ.2013.043.mseed")).select(channel="BHZ")[0]
    continuous = obspy.read(str(DATA / "IC.MDJ.2017.246.mseed")).select(channel="BHZ")[0]
    p_2013, p_2017 = p_arrival(ORIGIN_2013), p_arrival(ORIGIN_2017)
    found = scan_template(
        template,
        continuous,
        band=Band(0.5, 2.0),
        threshold=0.5,
        mad_multiple=10.0,
        window=(p_2013 - 5.0, p_2013 + 55.0),
        reference=p_2013,
    )
    assert len(found) == 1
    (match,) = found
    assert match.cc > 0.6
    assert match.mad_multiple > 15.0
    assert abs(match.time - p_2017) < 2.0


@pytest.mark.skipif(
    not (DATA / "regional-event-b" / "waveforms.mseed").is_file(),
    reason=f"regional explosion recordings not present in {DATA}",
)
def test_2016_explosion_relative_to_2017_explosion() -> None:
    """Offset of the 9 September 2016 test from the 3 September 2017 test.

    Within 1 km of Yao et al. (2018), 0.19 km south and 0.32 km east (module docstring).
    """
    events = {}
    for name in ("regional-event-a", "regional-event-b"):
        stations = read_stations(DATA / name / "stations.csv")
        stream = ingest(DATA / name / "waveforms.mseed", stations).stream
        events[name] = (stations, stream, first_arrival_picks(detect(stream)))
    stations_a, stream_a, picks_a = events["regional-event-a"]
    _, stream_b, picks_b = events["regional-event-b"]
    found = differential_times(stream_a, stream_b, picks_a, picks_b)
    assert len(found) >= 8
    result = relocate(found, (*ORIGIN_2017[1:], 0.0), stations_a)
    published_north_km, published_east_km = -0.19, 0.32
    assert (
        math.hypot(result.north_km - published_north_km, result.east_km - published_east_km) < 1.0
    )
    assert result.ellipse_1sigma.semi_major_km < 0.5
    # The origin-time difference: 9 Sep 2016 00:30:01.38 to 3 Sep 2017 03:30:01.76 (USGS).
    expected = obspy.UTCDateTime("2016-09-09T00:30:01.38") - ORIGIN_2017[0]
    assert result.origin_shift_s == pytest.approx(expected, abs=3.0)
