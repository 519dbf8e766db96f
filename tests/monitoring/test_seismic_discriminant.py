"""Tests of the regional P/S (Pg/Lg) spectral-ratio discriminant (issue 18, part 7)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import obspy
import pytest
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.discriminant import (
    SourcedThreshold,
    network_ps_ratio,
    station_ps_ratio,
)
from treatyverify.monitoring.seismic.ingest import Station

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic"
T0 = obspy.UTCDateTime("2020-01-01T00:00:00")
FS = 100.0


def _trace(
    distance_km: float, p_amp: float, s_amp: float, *, seed: int, station: str = "AAA"
) -> obspy.Trace:
    """White noise (unit) with white bursts in the Pg (6.2-5.0 km/s) and Lg (3.6-3.0) windows."""
    rng = np.random.default_rng(seed)
    start = T0 - 100.0
    n = int((distance_km / 3.0 + 150.0) * FS)
    x = rng.normal(0.0, 1.0, n)
    for amp, fast, slow in ((p_amp, 6.2, 5.0), (s_amp, 3.6, 3.0)):
        i0 = int((distance_km / fast + 100.0) * FS)
        i1 = int((distance_km / slow + 100.0) * FS)
        x[i0:i1] += rng.normal(0.0, amp, i1 - i0)
    tr = obspy.Trace(x, header={"network": "XX", "station": station, "channel": "BHZ"})
    tr.stats.sampling_rate = FS
    tr.stats.starttime = start
    return tr


def test_known_ratio_is_recovered_with_noise_correction() -> None:
    # Pg power 100 + 1 (noise), Lg power 25 + 1: corrected ratio of amplitudes 10/5 = 2.
    # One station scatters by ~0.07 in log10 (about 19 independent bins per window at
    # 6-8 Hz); over 40 seeded stations the mean is within 0.03 of log10(2) and the
    # sub-band standard errors (3 degrees of freedom) have the right size.
    rows = [station_ps_ratio(_trace(500.0, 10.0, 5.0, seed=s), 500.0, T0) for s in range(40)]
    values = np.array([r.log10_ps for r in rows], dtype=float)
    errors = np.array([r.stderr for r in rows], dtype=float)
    assert values.mean() == pytest.approx(math.log10(2.0), abs=0.03)
    assert 0.03 < values.std() < 0.12
    assert 0.03 < float(np.median(errors)) < 0.1


def test_low_snr_station_is_not_used_and_says_why() -> None:
    r = station_ps_ratio(_trace(500.0, 1.0, 0.5, seed=2), 500.0, T0)
    assert not r.used and "SNR" in r.reason


def test_window_outside_the_data_is_not_used() -> None:
    r = station_ps_ratio(_trace(500.0, 10.0, 5.0, seed=3), 1400.0, T0)
    assert not r.used and "not covered" in r.reason


def _network(n: int, ratio: float) -> tuple[obspy.Stream, dict[str, Station]]:
    stream = obspy.Stream()
    stations: dict[str, Station] = {}
    for i in range(n):
        lat = 41.0 + 3.0 + i  # 3-7 degrees north of the source: 330-770 km
        code = f"S{i}"
        stream += _trace(
            obspy.geodetics.gps2dist_azimuth(41.0, 129.0, lat, 129.0)[0] / 1e3,
            10.0 * ratio,
            10.0,
            seed=10 + i,
            station=code,
        )
        stations[f"XX.{code}"] = Station("XX", code, lat, 129.0, 0.0)
    return stream, stations


def test_no_threshold_means_not_decided() -> None:
    stream, stations = _network(8, 3.0)
    r = network_ps_ratio(stream, stations, origin_time=T0, latitude_deg=41.0, longitude_deg=129.0)
    assert r.decision == "not decided"
    # 8 stations of ~0.07 scatter each: mean within ~3 standard errors (0.08) of log10(3).
    assert r.mean_log10_ps == pytest.approx(math.log10(3.0), abs=0.08)
    assert r.stderr is not None and r.stderr > 0.0
    assert "no published threshold" in r.explanation
    assert "explosion" not in r.explanation and "earthquake" not in r.explanation


def test_sourced_threshold_decides_only_outside_the_interval() -> None:
    stream, stations = _network(8, 3.0)
    kw = {"origin_time": T0, "latitude_deg": 41.0, "longitude_deg": 129.0}
    mean = network_ps_ratio(stream, stations, **kw).mean_log10_ps
    assert mean is not None
    low = SourcedThreshold(0.0, "synthetic test threshold")
    high = SourcedThreshold(1.0, "synthetic test threshold")
    near = SourcedThreshold(mean, "synthetic test threshold")
    assert network_ps_ratio(stream, stations, threshold=low, **kw).decision == "explosion-like"
    assert network_ps_ratio(stream, stations, threshold=high, **kw).decision == "earthquake-like"
    assert network_ps_ratio(stream, stations, threshold=near, **kw).decision == "not decided"


def test_one_station_is_not_enough() -> None:
    stream, stations = _network(1, 3.0)
    r = network_ps_ratio(stream, stations, origin_time=T0, latitude_deg=41.0, longitude_deg=129.0)
    assert r.decision == "not decided" and r.stderr is None
    assert "at least two" in r.explanation


def test_threshold_without_source_is_refused() -> None:
    with pytest.raises(InputError, match="source"):
        SourcedThreshold(0.5, " ")


runner = CliRunner()


def test_cli_threshold_needs_its_source(tmp_path: Path) -> None:
    stations = tmp_path / "s.csv"
    stations.write_text("network,station,latitude,longitude,elevation_m\nXX,AAA,44,129,0\n")
    wave = tmp_path / "w.mseed"
    obspy.Stream([_trace(330.0, 10.0, 5.0, seed=4)]).write(str(wave), format="MSEED")
    result = runner.invoke(
        app,
        [
            "monitor", "discriminate", str(wave), "--stations", str(stations),
            "--origin-time", str(T0), "--latitude", "41", "--longitude", "129",
            "--threshold", "0.5",
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--threshold-source" in result.stderr


# USGS ComCat origins: 2017-09-03 03:30:01.760 UTC, 41.343 N 129.036 E (regional-event-a);
# 2016-09-09 00:30:01.380 UTC, 41.287 N 129.078 E (regional-event-b).
ORIGINS = {
    "regional-event-a": ("2017-09-03T03:30:01.760", 41.343, 129.036),
    "regional-event-b": ("2016-09-09T00:30:01.380", 41.287, 129.078),
}


@pytest.mark.parametrize("event", sorted(ORIGINS))
def test_dprk_explosions_have_high_p_over_s_but_no_decision(event: str) -> None:
    folder = DATA / event
    if not (folder / "waveforms.mseed").is_file():
        pytest.skip(f"real DPRK regional data absent ({folder})")
    t, lat, lon = ORIGINS[event]
    result = runner.invoke(
        app,
        [
            "monitor", "discriminate", str(folder / "waveforms.mseed"),
            "--stations", str(folder / "stations.csv"), "--origin-time", t,
            "--latitude", str(lat), "--longitude", str(lon), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["decision"] == "not decided"
    used = [s for s in out["stations"] if s["log10_ps"] is not None]
    assert len(used) >= 5
    # Measured (docs/monitoring-magnitude-screening.md): a 0.59 +/- 0.04 (10 stations),
    # b 0.48 +/- 0.07 (8 stations); P above S at 6-8 Hz at every Korean-Peninsula station.
    assert 0.3 < out["mean_log10_ps"] < 0.8
    assert 0.0 < out["stderr"] < 0.15
    assert {"IC.MDJ", "KS.SEHB"} <= {s["station"] for s in used}
