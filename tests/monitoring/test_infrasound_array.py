"""Tests of infrasound array beamforming, the F-statistic and detection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import obspy
import pytest
from numpy.typing import NDArray
from scipy import stats

from treatyverify.canonical import canonical_bytes
from treatyverify.errors import InputError
from treatyverify.monitoring.infrasound.array import (
    adaptive_f_scale,
    beamform,
    detect,
    element_offsets,
    f_threshold,
    read_array,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "infrasound"

# Element coordinates (latitude, longitude, degrees) of the BRP array, YJ network, as in
# the SAC headers stla/stlo of ../shared/data/infrasound/YJ.BRP{1-4}..EDF.SAC (the LANL
# infrapy example data).
BRP_LATLON = [
    (39.4727, -110.7409),
    (39.4738, -110.7405),
    (39.4729, -110.7391),
    (39.4730, -110.7400),
]

# Expected arrival in the BRP example: the infrapy Quickstart (LANL-Seismoacoustics/infrapy,
# docs/source/quickstart.rst, output of `infrapy detect beam --local-wvfrms
# 'data/YJ.BRP*.SAC'`, 0.5-5 Hz, 10 s windows) lists a detection with peak F at
# 2012-04-09T18:10:20, back azimuth -108.5 degrees (= 251.5 clockwise from north) and
# trace velocity 335 m/s.
INFRAPY_BACK_AZIMUTH_DEG = 360.0 - 108.51593202520215
INFRAPY_TRACE_VELOCITY_KM_S = 0.3349964881969233

COARSE_GRID = {
    "back_azimuths_deg": np.arange(0.0, 360.0, 2.0),
    "trace_velocities_km_s": np.arange(0.28, 0.6001, 0.01),
}


def _stream(
    data: NDArray[np.float64], fs: float, latlon: list[tuple[float, float]]
) -> obspy.Stream:
    traces = []
    for i, (row, (lat, lon)) in enumerate(zip(data, latlon, strict=True)):
        tr = obspy.Trace(
            data=row.astype(np.float32),
            header={
                "network": "XX",
                "station": f"SYN{i + 1}",
                "channel": "BDF",
                "sampling_rate": fs,
                "starttime": obspy.UTCDateTime(2020, 1, 1),
            },
        )
        tr.stats.coordinates = obspy.core.AttribDict({"latitude": lat, "longitude": lon})
        traces.append(tr)
    return obspy.Stream(traces)


def _plane_wave(
    xy: NDArray[np.float64],
    *,
    back_azimuth_deg: float,
    trace_velocity_km_s: float,
    fs: float,
    duration_s: float,
    snr: float,
    seed: int,
) -> NDArray[np.float64]:
    """Band-limited (0.5-5 Hz) random plane wave, exact fractional delays, plus white noise."""
    rng = np.random.default_rng(seed)
    npts = round(duration_s * fs)
    freqs = np.fft.rfftfreq(npts, d=1.0 / fs)
    source = np.fft.rfft(rng.standard_normal(npts))
    source[(freqs < 0.5) | (freqs > 5.0)] = 0.0
    baz = np.radians(back_azimuth_deg)
    slowness = -np.array([np.sin(baz), np.cos(baz)]) / (trace_velocity_km_s * 1000.0)
    rows = []
    for offset in xy:
        delay = float(slowness @ offset)  # arrival time relative to the array centre, s
        rows.append(np.fft.irfft(source * np.exp(-2j * np.pi * freqs * delay), n=npts))
    signal = np.array(rows)
    signal /= signal.std()
    return snr * signal + rng.standard_normal(signal.shape)


@pytest.mark.parametrize(
    ("back_azimuth_deg", "trace_velocity_km_s"),
    [(251.5, 0.335), (45.0, 0.42), (320.0, 0.30), (170.0, 0.36)],
)
def test_plane_wave_direction_recovered(
    back_azimuth_deg: float, trace_velocity_km_s: float
) -> None:
    fs = 40.0
    xy = element_offsets(_stream(np.zeros((4, 10)), fs, BRP_LATLON))
    data = _plane_wave(
        xy,
        back_azimuth_deg=back_azimuth_deg,
        trace_velocity_km_s=trace_velocity_km_s,
        fs=fs,
        duration_s=100.0,
        snr=1.0,
        seed=round(back_azimuth_deg),
    )
    result = beamform(_stream(data, fs, BRP_LATLON), xy, freq_band_hz=(0.5, 5.0), window_s=10.0)
    assert result.f_stat.size == 19
    assert np.all(result.f_stat > f_threshold(result.dof, 1e-6))
    dets = detect(result)
    assert len(dets) == 1
    det = dets[0]
    err = (det.back_azimuth_deg - back_azimuth_deg + 180.0) % 360.0 - 180.0
    assert abs(err) < 3.0
    assert det.trace_velocity_km_s == pytest.approx(trace_velocity_km_s, rel=0.05)
    assert det.n_windows == 19
    body = det.to_record_body()
    canonical_bytes(body)  # JSON types only
    assert body["array"] == "XX.SYN"


def test_element_offsets_brp_geometry() -> None:
    xy = element_offsets(_stream(np.zeros((4, 10)), 100.0, BRP_LATLON))
    assert xy.shape == (4, 2)
    np.testing.assert_allclose(xy.mean(axis=0), 0.0, atol=0.5)
    # BRP2 is north of BRP1 by 0.0011 degrees of latitude (~122 m) and east by ~34 m.
    assert xy[1, 1] - xy[0, 1] == pytest.approx(122.2, abs=1.0)
    assert xy[1, 0] - xy[0, 0] == pytest.approx(34.4, abs=1.0)


def test_f_statistic_of_noise_follows_f_distribution() -> None:
    rng = np.random.default_rng(20240409)
    fs, window_s, n_windows = 20.0, 5.0, 2000
    data = rng.standard_normal((4, round(fs * window_s * n_windows)))
    stream = _stream(data, fs, BRP_LATLON)
    xy = element_offsets(stream)
    # One fixed beam: the distribution holds per beam, not for the maximum over a grid.
    result = beamform(
        stream,
        xy,
        freq_band_hz=(1.0, 5.0),
        window_s=window_s,
        overlap=0.0,
        back_azimuths_deg=[90.0],
        trace_velocities_km_s=[0.34],
    )
    assert result.dof == (42, 126)  # 21 bins from 1 to 5 Hz in steps of 0.2 Hz
    d1, d2 = result.dof
    assert result.f_stat.mean() == pytest.approx(d2 / (d2 - 2.0), rel=0.03)
    for p in (0.1, 0.01):
        rate = float(np.mean(result.f_stat > f_threshold(result.dof, p)))
        sigma = np.sqrt(p * (1 - p) / n_windows)
        assert abs(rate - p) < 4 * sigma + 0.002
    ks = stats.kstest(result.f_stat, stats.f(d1, d2).cdf)
    assert ks.pvalue > 1e-3
    assert adaptive_f_scale(result) == pytest.approx(1.0, abs=0.05)
    assert len(detect(result, false_alarm_probability=1e-6)) == 0


@pytest.mark.skipif(not DATA.is_dir(), reason=f"real BRP array data absent ({DATA})")
def test_brp_detection_matches_infrapy_example() -> None:
    stream = read_array(DATA / "YJ.BRP*.SAC")
    assert [tr.id for tr in stream] == [f"YJ.BRP{i}..EDF" for i in range(1, 5)]
    xy = element_offsets(stream)
    result = beamform(
        stream, xy, freq_band_hz=(0.5, 5.0), window_s=10.0, overlap=0.5, **COARSE_GRID
    )
    assert result.f_stat.size == 239
    scale = adaptive_f_scale(result)
    assert 1.0 <= scale < 4.0  # wind noise and the grid maximum lift F above 1
    dets = detect(result, false_alarm_probability=0.001, f_scale=scale)
    acoustic = [d for d in dets if 0.30 <= d.trace_velocity_km_s <= 0.45]
    assert acoustic
    err = [
        abs((d.back_azimuth_deg - INFRAPY_BACK_AZIMUTH_DEG + 180.0) % 360.0 - 180.0)
        for d in acoustic
    ]
    best = acoustic[int(np.argmin(err))]
    assert min(err) < 10.0
    assert best.trace_velocity_km_s == pytest.approx(INFRAPY_TRACE_VELOCITY_KM_S, rel=0.1)
    peak = obspy.UTCDateTime("2012-04-09T18:10:20")
    assert obspy.UTCDateTime(best.start) - 30.0 <= peak <= obspy.UTCDateTime(best.end)


def test_mixed_sampling_rates_name_the_trace() -> None:
    stream = _stream(np.zeros((4, 4000)), 100.0, BRP_LATLON)
    stream[2].stats.sampling_rate = 50.0
    with pytest.raises(InputError) as info:
        beamform(stream, element_offsets(stream))
    assert info.value.where == "XX.SYN3..BDF"


def test_missing_coordinates_name_the_trace() -> None:
    stream = _stream(np.zeros((4, 4000)), 100.0, BRP_LATLON)
    del stream[1].stats.coordinates
    with pytest.raises(InputError) as info:
        element_offsets(stream)
    assert info.value.where == "XX.SYN2..BDF"


def test_sac_undefined_coordinates_are_missing() -> None:
    stream = _stream(np.zeros((4, 4000)), 100.0, BRP_LATLON)
    del stream[3].stats.coordinates
    stream[3].stats.sac = obspy.core.AttribDict({"stla": -12345.0, "stlo": -12345.0})
    with pytest.raises(InputError, match="no coordinates") as info:
        element_offsets(stream)
    assert info.value.where == "XX.SYN4..BDF"


def test_fewer_than_three_elements() -> None:
    stream = _stream(np.zeros((2, 4000)), 100.0, BRP_LATLON[:2])
    with pytest.raises(InputError, match="at least 3") as info:
        beamform(stream, element_offsets(stream))
    assert info.value.where is not None
    assert "XX.SYN1..BDF" in info.value.where


def test_bad_band_and_missing_files(tmp_path: Path) -> None:
    stream = _stream(np.zeros((4, 4000)), 100.0, BRP_LATLON)
    xy = element_offsets(stream)
    with pytest.raises(InputError) as info:
        beamform(stream, xy, freq_band_hz=(1.0, 60.0))
    assert info.value.where == "freq_band_hz"
    with pytest.raises(InputError) as info:
        beamform(stream, xy[:3])
    assert info.value.where == "coords"
    with pytest.raises(InputError) as info:
        read_array(tmp_path / "none*.SAC")
    assert info.value.where == str(tmp_path / "none*.SAC")
