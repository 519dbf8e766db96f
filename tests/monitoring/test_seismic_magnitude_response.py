"""Instrument response removal, response checks, mb(Lg), validity and relative magnitudes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy.core.inventory import Channel, Inventory, Network, Site, Station
from obspy.core.inventory.response import Response

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.magnitude import (
    EventOrigin,
    assess_magnitudes,
    event_magnitudes,
    mblg_value,
    relative_magnitude,
    relative_station,
    robust_median,
)
from treatyverify.monitoring.seismic.response import (
    check_responses,
    read_inventory,
    to_displacement_nm,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic"
T0 = obspy.UTCDateTime("2020-01-01T00:00:00")

# A 1 Hz geophone-like velocity sensor: two zeros at the origin, poles at h = 0.707.
W0 = 2.0 * math.pi * 1.0
POLES = [complex(-0.707 * W0, 0.707 * W0), complex(-0.707 * W0, -0.707 * W0)]
ZEROS = [0j, 0j]
GAIN_COUNTS_PER_M_S = 4.0e8  # overall gain at the normalization frequency (5 Hz)
F_NORM = 5.0


def _paz_velocity(f_hz: float) -> complex:
    """The sensor's velocity response (counts per m/s) at f_hz, normalized to the gain at 5 Hz."""

    def shape(f: float) -> complex:
        s = 2j * math.pi * f
        return s * s / ((s - POLES[0]) * (s - POLES[1]))

    return GAIN_COUNTS_PER_M_S * shape(f_hz) / abs(shape(F_NORM))


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREATYVERIFY_CACHE", str(tmp_path_factory.getbasetemp() / "tt-cache"))


def _inventory(*, with_response: bool = True, rate: float = 100.0, code: str = "AAA") -> Inventory:
    shape_at_norm = abs((2j * math.pi * F_NORM) ** 2) / abs(
        (2j * math.pi * F_NORM - POLES[0]) * (2j * math.pi * F_NORM - POLES[1])
    )
    response = None
    if with_response:
        response = Response.from_paz(
            ZEROS,
            POLES,
            stage_gain=GAIN_COUNTS_PER_M_S,
            stage_gain_frequency=F_NORM,
            input_units="M/S",
            output_units="COUNTS",
            normalization_frequency=F_NORM,
            normalization_factor=1.0 / shape_at_norm,
        )
    channel = Channel(
        "HHZ", "", 10.0, 20.0, 0.0, 0.0, sample_rate=rate, response=response, azimuth=0, dip=-90
    )
    station = Station(code, 10.0, 20.0, 0.0, channels=[channel], site=Site(name="test"))
    return Inventory(networks=[Network("XX", stations=[station])], source="test")


def _counts_of_sine(disp_nm: float, f_hz: float, seconds: float = 60.0) -> obspy.Trace:
    """Raw counts of a displacement sine u = U sin(w t), written out by hand:
    velocity U w cos(w t) through the response H(f) gives |H| U w cos(w t + arg H)."""
    rate = 100.0
    t = np.arange(int(seconds * rate)) / rate
    w = 2.0 * math.pi * f_hz
    h = _paz_velocity(f_hz)
    u_m = disp_nm * 1e-9
    counts = abs(h) * u_m * w * np.cos(w * t + np.angle(h))
    header = {"network": "XX", "station": "AAA", "channel": "HHZ", "sampling_rate": rate}
    header["starttime"] = T0
    return obspy.Trace(counts, header=header)


def test_response_removal_matches_a_hand_computed_sine(tmp_path: Path) -> None:
    path = tmp_path / "inv.xml"
    _inventory().write(str(path), format="STATIONXML")
    inv = read_inventory(path)
    for f_hz in (0.5, 2.0):
        raw = _counts_of_sine(100.0, f_hz)
        check_responses([raw], inv, source=str(path))
        disp = to_displacement_nm(raw, inv)
        middle = disp.data[1500:4500]
        t = np.arange(disp.stats.npts)[1500:4500] / 100.0
        expected = 100.0 * np.sin(2.0 * math.pi * f_hz * t)
        assert np.max(np.abs(middle)) == pytest.approx(100.0, rel=0.02)
        assert np.max(np.abs(middle - expected)) < 3.0  # nm, phase and amplitude together


def test_channel_without_response_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "noresp.xml"
    _inventory(with_response=False).write(str(path), format="STATIONXML")
    inv = read_inventory(path)
    with pytest.raises(InputError, match=r"channel XX\.AAA\.\.HHZ has no instrument response") as e:
        check_responses([_counts_of_sine(1.0, 1.0)], inv, source=str(path))
    assert "\n" not in str(e.value)


def test_station_missing_and_rate_mismatch(tmp_path: Path) -> None:
    inv = _inventory(code="BBB")
    with pytest.raises(InputError, match=r"station XX\.AAA is not in the StationXML"):
        check_responses([_counts_of_sine(1.0, 1.0)], inv)
    with pytest.raises(InputError, match="sample rate 20 Hz differs"):
        check_responses([_counts_of_sine(1.0, 1.0)], _inventory(rate=20.0))
    bad = tmp_path / "bad.xml"
    bad.write_text("<not stationxml")
    with pytest.raises(InputError, match="cannot read StationXML"):
        read_inventory(bad)


def test_mblg_by_hand() -> None:
    # A = 1000 nm = 1 micrometre, T = 1 s: log10(A/T) = 0.
    assert mblg_value(1000.0, 1.0, 10.0) == pytest.approx(3.30 + 1.66, abs=1e-12)
    assert mblg_value(1000.0, 1.0, 2.0) == pytest.approx(3.75 + 0.90 * math.log10(2.0), abs=1e-12)
    with pytest.raises(InputError, match=r"0\.5-30"):
        mblg_value(1000.0, 1.0, 40.0)


def test_validity_for_regional_counts_without_response() -> None:
    found = {
        v.kind: v
        for v in assess_magnitudes(
            {"A.B": 5.0, "A.C": 8.0},
            0.0,
            has_response=False,
            has_long_period=False,
            has_correction=False,
            has_master=True,
        )
    }
    assert not found["mb"].valid and "20-105" in found["mb"].reason
    assert not found["mb(Lg)"].valid and "response" in found["mb(Lg)"].reason
    assert not found["ML"].valid and found["ML"].stations_in_range == 2
    assert not found["Ms_20"].valid
    assert found["relative"].valid


def test_robust_median() -> None:
    med, sigma, stderr = robust_median([1.0, 2.0, 3.0, 4.0, 100.0])
    assert med == 3.0
    assert sigma == pytest.approx(1.4826 * 1.0)
    assert stderr == pytest.approx(math.sqrt(math.pi / 2) * 1.4826 / math.sqrt(5))


def _wavelet_trace(scale: float, seed: int = 7) -> obspy.Trace:
    rng = np.random.default_rng(seed)
    rate = 100.0
    n = 12000
    data = rng.normal(0.0, 1.0, n)
    t = np.arange(n) / rate
    onset = 60.0
    env = np.where(t >= onset, np.exp(-(t - onset) / 3.0), 0.0)
    data = data + 200.0 * env * np.sin(2 * math.pi * 1.2 * (t - onset))
    header = {"network": "XX", "station": "AAA", "channel": "BHZ", "sampling_rate": rate}
    header["starttime"] = T0
    return obspy.Trace(scale * data, header=header)


def test_trace_against_itself_scaled_by_ten_is_minus_one() -> None:
    a = _wavelet_trace(1.0)
    b = _wavelet_trace(0.1)
    found = relative_station(
        a, b, start_a=T0 + 59.0, start_b=T0 + 59.0, length_s=10.0, band_hz=(0.7, 1.5)
    )
    assert found.computed, found.status
    assert found.delta_magnitude == pytest.approx(-1.0, abs=1e-9)
    assert found.lsq_delta_magnitude == pytest.approx(-1.0, abs=1e-9)
    assert found.cc == pytest.approx(1.0, abs=1e-9)
    assert found.lag_s == 0.0


def test_relative_magnitude_over_stations_scaled_by_ten() -> None:
    origin = EventOrigin(T0, 0.0, 0.0, 0.0)
    stations: dict[str, tuple[float, float]] = {}
    st_a, st_b = obspy.Stream(), obspy.Stream()
    table_p_s = {}
    from treatyverify.monitoring.seismic.traveltime import load_table

    table = load_table()
    for i, lon in enumerate((3.0, 5.0, 7.0)):
        code = f"S{i}"
        stations[f"XX.{code}"] = (0.0, lon)
        dist = origin.distance_deg(0.0, lon)
        table_p_s[code] = float(table.time(dist, 0.0))
        for stream, scale in ((st_a, 1.0), (st_b, 0.1)):
            tr = _wavelet_trace(scale, seed=i)
            tr.stats.station = code
            tr.stats.starttime = T0 + table_p_s[code] - 60.0  # wavelet onset at predicted P
            stream += tr
    rel = relative_magnitude(st_b, st_a, stations, origin, origin, band_hz=(0.7, 1.5))
    assert rel.n_stations == 3, rel.status
    assert rel.value == pytest.approx(-1.0, abs=1e-9)
    assert rel.stderr == pytest.approx(0.0, abs=1e-9)


needs_regional = pytest.mark.skipif(
    not (DATA / "regional-event-b" / "waveforms.mseed").is_file(),
    reason=f"shared data absent: {DATA}/regional-event-a|b (DPRK 2017 and 2016 explosions)",
)

# USGS origins of the 3 September 2017 (a) and 9 September 2016 (b) explosions.
ORIGIN_A = EventOrigin(obspy.UTCDateTime("2017-09-03T03:30:01.760"), 41.343, 129.036, 0.0)
ORIGIN_B = EventOrigin(obspy.UTCDateTime("2016-09-09T00:30:01.380"), 41.287, 129.078, 0.0)
# IDC: mb 6.1 (2017, CTBTO "3 September 2017 DPRK" page, revised from 5.8) and 5.1 (2016,
# CTBTO "Technical Findings" page of 9 September 2016, revised from 5.0). Each rounded to
# 0.1, so the difference -1.0 carries sqrt(2) * 0.1 / sqrt(12) = 0.041 of rounding.
PUBLISHED_DIFFERENCE = -1.0
PUBLISHED_SIGMA = math.sqrt(2.0) * 0.1 / math.sqrt(12.0)


@needs_regional
def test_relative_mb_of_2016_against_2017_matches_the_idc() -> None:
    from treatyverify.monitoring.seismic.ingest import read_stations

    st_a = obspy.read(str(DATA / "regional-event-a" / "waveforms.mseed"))
    st_b = obspy.read(str(DATA / "regional-event-b" / "waveforms.mseed"))
    known = read_stations(DATA / "regional-event-a" / "stations.csv")
    coords = {k: (s.latitude, s.longitude) for k, s in known.items()}
    rel = relative_magnitude(st_b, st_a, coords, ORIGIN_B, ORIGIN_A)
    assert rel.value is not None and rel.stderr is not None
    assert rel.n_stations >= 10
    combined = math.hypot(rel.stderr, PUBLISHED_SIGMA)
    assert abs(rel.value - PUBLISHED_DIFFERENCE) <= combined


needs_array = pytest.mark.skipif(
    not (DATA / "array-yellowknife-2012-08-14" / "stations.xml").is_file(),
    reason=f"shared data absent: {DATA}/array-yellowknife-2012-08-14",
)


@needs_array
def test_yellowknife_has_responses_but_mb_needs_a_q_table() -> None:
    folder = DATA / "array-yellowknife-2012-08-14"
    inv = read_inventory(folder / "stations.xml")
    stream = obspy.read(str(folder / "waveforms.mseed"))
    coords = {f"{n.code}.{s.code}": (s.latitude, s.longitude) for n in inv for s in n}
    event = obspy.read_events(str(folder / "catalog-origin.quakeml"))[0].origins[0]
    origin = EventOrigin(event.time, event.latitude, event.longitude, event.depth / 1000.0)
    result = event_magnitudes(stream, coords, origin, inventory=inv)
    valid = {v.kind: v for v in result.validity}
    assert not valid["mb"].valid and "Veith-Clawson" in valid["mb"].reason
    assert not valid["Ms_20"].valid and "deeper" in valid["Ms_20"].reason
    assert len(result.log_a_over_t) == 18
    assert all(2.0 < v < 5.0 for v in result.log_a_over_t.values())
