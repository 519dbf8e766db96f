"""Ingest of seismic waveforms and station tables, and the quality checks."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import obspy
import pytest

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.ingest import (
    IngestWarning,
    Station,
    check_stream,
    ingest,
    read_stations,
    read_waveforms,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic"
EVENT_A = DATA / "regional-event-a"
needs_data = pytest.mark.skipif(
    not EVENT_A.is_dir(), reason="shared seismic data (../shared/data/seismic) not present"
)
START = obspy.UTCDateTime("2020-01-01T00:00:00")


def _trace(
    station: str = "AAA",
    channel: str = "BHZ",
    npts: int = 6000,
    rate: float = 100.0,
    start: obspy.UTCDateTime = START,
    seed: int = 0,
) -> obspy.Trace:
    data = np.random.default_rng(seed).normal(0.0, 100.0, npts).round().astype(np.int32)
    header = {
        "network": "XX",
        "station": station,
        "channel": channel,
        "sampling_rate": rate,
        "starttime": start,
    }
    return obspy.Trace(data, header=header)


def _stations(*codes: str) -> dict[str, Station]:
    return {f"XX.{c}": Station("XX", c, 40.0, 130.0, 0.0) for c in codes}


def _problems(warnings: list[IngestWarning], trace_id: str) -> list[str]:
    return [w.problem for w in warnings if w.trace_id == trace_id]


@needs_data
def test_regional_event_loads_28_stations_3_components() -> None:
    stations = read_stations(EVENT_A / "stations.csv")
    assert len(stations) == 28
    stream = read_waveforms(EVENT_A / "waveforms.mseed")
    keys = {f"{tr.stats.network}.{tr.stats.station}" for tr in stream}
    assert keys == set(stations)
    for key in keys:
        net, sta = key.split(".")
        assert len(stream.select(network=net, station=sta)) == 3
    result = ingest(EVENT_A / "waveforms.mseed", stations)
    # traces with (almost) no finite samples are dropped, each with a warning naming it
    dropped = {w.trace_id for w in result.warnings if "dropped" in w.problem}
    assert len(result.stream) + len(dropped) == 84
    assert len({f"{tr.stats.network}.{tr.stats.station}" for tr in result.stream}) >= 25


@needs_data
def test_station_csv_parsed() -> None:
    stations = read_stations(EVENT_A / "stations.csv")
    mdj = stations["IC.MDJ"]
    assert mdj == Station("IC", "MDJ", 44.6170, 129.5908, 0.0)
    assert mdj.key == "IC.MDJ"


def test_station_csv_errors_name_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "ok.csv"
    good.write_text("network,station,latitude,longitude,elevation_m\nXX,AAA,1.5,2.5,10\n")
    assert read_stations(good)["XX.AAA"].elevation_m == 10.0
    missing = tmp_path / "missing.csv"
    missing.write_text("network,station,latitude\nXX,AAA,1\n")
    with pytest.raises(InputError, match="longitude"):
        read_stations(missing)
    bad = tmp_path / "bad.csv"
    bad.write_text("network,station,latitude,longitude,elevation_m\nXX,AAA,north,2,0\n")
    with pytest.raises(InputError) as info:
        read_stations(bad)
    assert info.value.where == f"{bad}: line 2"
    out_of_range = tmp_path / "range.csv"
    out_of_range.write_text("network,station,latitude,longitude,elevation_m\nXX,AAA,95,2,0\n")
    with pytest.raises(InputError, match="latitude"):
        read_stations(out_of_range)


def test_stationxml_read(tmp_path: Path) -> None:
    inv = obspy.read_inventory()  # ObsPy's example inventory
    path = tmp_path / "stations.xml"
    inv.write(str(path), format="STATIONXML")
    stations = read_stations(path)
    assert "GR.FUR" in stations
    assert stations["GR.FUR"].latitude == pytest.approx(48.162899)


def test_gap_and_overlap_merged_with_warning() -> None:
    first = _trace(npts=3000)
    gap = _trace(npts=3000, start=START + 35.0, seed=1)  # 5 s gap
    overlap = _trace(npts=3000, start=START + 63.0, seed=2)  # 2 s overlap
    result = check_stream(obspy.Stream([first, gap, overlap]))
    assert len(result.stream) == 1
    merged = result.stream[0]
    assert merged.stats.endtime == overlap.stats.endtime
    assert not np.ma.is_masked(merged.data)
    problems = _problems(result.warnings, "XX.AAA..BHZ")
    assert any(p.startswith("gap of 5.0") for p in problems)
    assert any(p.startswith("overlap of 2.0") for p in problems)


def test_clipped_constant_unknown_mixed_rates_warn_without_crash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clipped = _trace("CLP", seed=3)
    burst = 5000 * np.sin(2 * np.pi * np.arange(6000) / 200.0)  # 0.5 Hz, beyond full scale
    clipped.data = np.clip(clipped.data + burst, -2000, 2000).astype(np.int32)
    constant = _trace("CON")
    constant.data[:] = 42
    unknown = _trace("UNK")
    forty = _trace("SLO", rate=40.0, npts=2400)
    mixed_a = _trace("MIX", npts=3000)
    mixed_b = _trace("MIX", npts=600, rate=20.0, start=START + 30.0)
    stream = obspy.Stream([_trace("AAA"), clipped, constant, unknown, forty, mixed_a, mixed_b])
    with caplog.at_level(logging.WARNING):
        result = check_stream(stream, _stations("AAA", "CLP", "CON", "SLO", "MIX"))
    ids = {tr.id for tr in result.stream}
    assert ids == {"XX.AAA..BHZ", "XX.CLP..BHZ", "XX.SLO..BHZ", "XX.MIX..BHZ"}
    assert any("clipped" in p for p in _problems(result.warnings, "XX.CLP..BHZ"))
    assert any("constant" in p for p in _problems(result.warnings, "XX.CON..BHZ"))
    assert any("not in the station table" in p for p in _problems(result.warnings, "XX.UNK..BHZ"))
    # Channels at another rate than the stream's are named in one summary warning.
    rates = [w for w in result.warnings if "dominant 100 Hz" in w.problem]
    assert len(rates) == 1 and rates[0].trace_id == "1 channel"
    assert "XX.SLO..BHZ (40 Hz)" in rates[0].problem
    assert any("20 Hz" in p for p in _problems(result.warnings, "XX.MIX..BHZ"))
    assert "XX.CLP..BHZ" in caplog.text
    assert "42" not in caplog.text  # no data values in the log
    assert not any(w.trace_id == "XX.AAA..BHZ" for w in result.warnings)


def test_nan_samples_repaired() -> None:
    tr = _trace()
    tr.data = tr.data.astype(np.float64)
    tr.data[100:105] = np.nan
    result = check_stream(obspy.Stream([tr]))
    assert np.isfinite(result.stream[0].data).all()
    assert any("repaired" in p for p in _problems(result.warnings, "XX.AAA..BHZ"))


def test_corrupt_miniseed_named(tmp_path: Path) -> None:
    good = tmp_path / "good.mseed"
    obspy.Stream([_trace(npts=20000)]).write(str(good), format="MSEED", reclen=512)
    truncated = tmp_path / "truncated.mseed"
    truncated.write_bytes(good.read_bytes()[: 512 * 3 + 200])
    result = ingest(truncated)
    assert any(w.trace_id == "truncated.mseed" for w in result.warnings)
    assert len(result.stream) == 1
    garbage = tmp_path / "garbage.mseed"
    garbage.write_bytes(b"\x00not a seismogram" * 64)
    skipped = ingest([good, garbage])  # one bad file among several: a warning, not a stop
    assert len(skipped.stream) == 1
    assert any(
        w.trace_id == "garbage.mseed" and "file skipped" in w.problem for w in skipped.warnings
    )
    with pytest.raises(InputError) as info:
        ingest(garbage)  # the only file given
    assert info.value.where == str(garbage)
    with pytest.raises(InputError) as info:
        ingest([garbage, garbage])  # nothing readable at all
    assert info.value.where == str(garbage)
    with pytest.raises(InputError, match="not found"):
        read_waveforms(tmp_path / "absent.mseed")


def test_sac_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "one.sac"
    _trace().write(str(path), format="SAC")
    stream = read_waveforms([path])
    assert stream[0].stats.station == "AAA"
