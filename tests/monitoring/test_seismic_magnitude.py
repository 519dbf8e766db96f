"""Magnitudes: hand-computed formulas, network averaging, and no response -> no value."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy.core.inventory.response import Response

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.magnitude import (
    DistanceDepthTable,
    StationMagnitude,
    mb_value,
    measure_half_peak_to_peak,
    ml_value,
    ms20_value,
    network_magnitude,
    station_magnitude,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic"

# A made-up correction for arithmetic checks only (not a real Q table).
FLAT = DistanceDepthTable(
    distances_deg=(20.0, 100.0),
    depths_km=(0.0, 100.0),
    values=((3.0, 4.0), (3.5, 4.5)),
    source="test values, not a published table",
)


def test_ms20_by_hand() -> None:
    # log10(1000/20) + 1.66 log10(50) + 0.3 = 1.69897 + 2.82025 + 0.3
    expected = math.log10(50.0) + 1.66 * math.log10(50.0) + 0.3
    assert ms20_value(1000.0, 20.0, 50.0) == pytest.approx(expected, abs=1e-12)
    assert ms20_value(1000.0, 20.0, 50.0) == pytest.approx(4.8192, abs=1e-4)


def test_ms20_ranges() -> None:
    with pytest.raises(InputError, match="period"):
        ms20_value(1000.0, 15.0, 50.0)
    with pytest.raises(InputError, match="degrees"):
        ms20_value(1000.0, 20.0, 10.0)


def test_ml_by_hand() -> None:
    # log10(1000) + 1.11 log10(100) + 0.00189*100 - 2.09 = 3 + 2.22 + 0.189 - 2.09
    assert ml_value(1000.0, 100.0) == pytest.approx(3.319, abs=1e-12)
    with pytest.raises(InputError):
        ml_value(1000.0, 5.0)


def test_mb_with_supplied_table() -> None:
    # log10(10/1) + Q(60, 50), Q bilinear: at depth 0 -> 3.5, depth 100 -> 4.0, mid -> 3.75
    assert mb_value(10.0, 1.0, 60.0, 50.0, FLAT) == pytest.approx(4.75)
    with pytest.raises(InputError, match="distance"):
        mb_value(10.0, 1.0, 110.0, 0.0, FLAT)
    with pytest.raises(InputError):
        mb_value(-1.0, 1.0, 60.0, 0.0, FLAT)


def test_table_needs_source_and_shape() -> None:
    with pytest.raises(InputError):
        DistanceDepthTable((20.0, 100.0), (0.0,), ((1.0, 2.0),), source=" ")
    with pytest.raises(InputError):
        DistanceDepthTable((20.0, 10.0), (0.0,), ((1.0, 2.0),), source="x")
    with pytest.raises(InputError):
        DistanceDepthTable((20.0, 100.0), (0.0,), ((1.0,),), source="x")


def test_half_peak_to_peak() -> None:
    rate = 20.0
    t = np.arange(0, 10, 1 / rate)
    y = 5.0 * np.sin(2 * np.pi * 0.5 * t)
    amp, period = measure_half_peak_to_peak(y, rate)
    assert amp == pytest.approx(5.0, rel=1e-2)
    assert period == pytest.approx(2.0, abs=0.11)
    assert all(math.isnan(v) for v in measure_half_peak_to_peak(np.zeros(10), rate))


def test_network_median_and_stderr() -> None:
    vals = [4.0, 4.2, 4.4, 4.6]
    mags = [StationMagnitude(f"XX.S{k}", "mb", "computed", v) for k, v in enumerate(vals)]
    mags.append(StationMagnitude("XX.S9", "mb", "not computed: no response"))
    net = network_magnitude(mags)
    assert net.value == pytest.approx(4.3)
    assert net.n_stations == 4
    s = float(np.std(vals, ddof=1))
    assert net.stderr == pytest.approx(math.sqrt(math.pi / 2) * s / 2.0)
    mean = network_magnitude(mags, method="mean")
    assert mean.value == pytest.approx(4.3)
    assert mean.stderr == pytest.approx(s / 2.0)
    one = network_magnitude(mags[:1])
    assert one.value == 4.0 and one.stderr is not None and math.isnan(one.stderr)


def test_network_none_computed_says_why() -> None:
    net = network_magnitude([StationMagnitude("XX.A", "Ms_20", "not computed: no response")])
    assert net.value is None
    assert net.status == "not computed: no response"
    with pytest.raises(InputError):
        network_magnitude([StationMagnitude("XX.A", "mb", "computed", 4.0)], kind="Ms_20")


def _synthetic(period_s: float, amp_m: float, rate: float, seconds: float) -> obspy.Trace:
    t = np.arange(0, seconds, 1 / rate)
    data = amp_m * np.sin(2 * np.pi * t / period_s)
    tr = obspy.Trace(data=data.astype(np.float64))
    tr.stats.network, tr.stats.station, tr.stats.channel = "XX", "SYN", "LHZ"
    tr.stats.sampling_rate = rate
    tr.stats.starttime = obspy.UTCDateTime(2020, 1, 1)
    return tr


def test_no_response_synthetic() -> None:
    tr = _synthetic(20.0, 1e-6, 1.0, 2000.0)
    for kind in ("mb", "Ms_20", "ML"):
        sm = station_magnitude(tr, kind, onset=tr.stats.starttime + 500, distance_deg=50.0)
        assert sm.status == "not computed: no response"
        assert sm.value is None and not sm.computed


def test_ms20_from_trace_with_response() -> None:
    # 1000 nm of displacement at 20 s, on an instrument of 1 count per metre.
    tr = _synthetic(20.0, 1000e-9, 1.0, 2000.0)
    tr.stats.response = Response.from_paz(
        zeros=[], poles=[], stage_gain=1.0, input_units="M", output_units="COUNTS"
    )
    sm = station_magnitude(tr, "Ms_20", onset=tr.stats.starttime + 800, distance_deg=50.0)
    assert sm.computed, sm.status
    assert sm.period_s == pytest.approx(20.0, abs=1.0)
    assert sm.value == pytest.approx(4.82, abs=0.1)


def test_mb_needs_a_table_and_the_idc_distance_range() -> None:
    tr = _synthetic(1.0, 1e-8, 20.0, 200.0)
    tr.stats.response = Response.from_paz(
        zeros=[], poles=[], stage_gain=1.0, input_units="M", output_units="COUNTS"
    )
    sm = station_magnitude(tr, "mb", onset=tr.stats.starttime + 100, distance_deg=50.0)
    assert sm.value is None and "Veith-Clawson" in sm.status
    regional = station_magnitude(
        tr, "mb", onset=tr.stats.starttime + 100, distance_deg=5.0, correction=FLAT
    )
    assert regional.value is None and "outside 20-105" in regional.status


def test_mb_on_a_one_hertz_p_wave() -> None:
    # 1 Hz sine of 10 nm ground displacement (inside the 0.8-4.5 Hz band) on a flat
    # displacement response: A = 10 nm, T = 1 s, so mb = log10(10/1) + Q = 1 + Q. The
    # 3-pole band-pass passes 1 Hz with a gain a little below one, hence the tolerance.
    tr = _synthetic(1.0, 1e-8, 20.0, 200.0)
    tr.stats.response = Response.from_paz(
        zeros=[], poles=[], stage_gain=1.0, input_units="M", output_units="COUNTS"
    )
    sm = station_magnitude(
        tr, "mb", onset=tr.stats.starttime + 100, distance_deg=60.0, correction=FLAT
    )
    assert sm.computed, sm.status
    assert sm.period_s == pytest.approx(1.0, abs=0.05)
    assert sm.amplitude_nm == pytest.approx(10.0, rel=0.15)
    assert sm.value == pytest.approx(1.0 + FLAT(60.0, 0.0), abs=0.07)


def test_no_response_on_shared_data() -> None:
    path = DATA / "regional-event-a" / "waveforms.mseed"
    if not path.exists():
        pytest.skip(f"shared data absent: {path} (regional-event-a waveforms)")
    st = obspy.read(str(path), headonly=False)
    for tr in st[:6]:
        sm = station_magnitude(
            tr, "ML", onset=tr.stats.starttime + 100, distance_deg=3.0, depth_km=0.0
        )
        assert sm.status == "not computed: no response"
        assert sm.value is None
        assert sm.station == ".".join(tr.id.split(".")[:2])
