"""``treatyverify monitor magnitude``: validity, relative magnitude, one-line errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy.core.inventory import Channel, Inventory, Network, Site, Station
from obspy.core.inventory.response import Response
from typer.testing import CliRunner

from treatyverify.cli.app import app

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "seismic"
runner = CliRunner()
T0 = obspy.UTCDateTime("2020-01-01T00:00:00")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREATYVERIFY_CACHE", str(tmp_path_factory.getbasetemp() / "tt-cache"))


def _synthetic(tmp_path: Path, *, response: bool, station_in_xml: str = "AAA") -> list[str]:
    """A one-channel miniSEED file, a CSV of coordinates and a StationXML file."""
    rng = np.random.default_rng(3)
    tr = obspy.Trace(
        rng.normal(0.0, 100.0, 60000).astype(np.float64),
        header={
            "network": "XX",
            "station": "AAA",
            "channel": "BHZ",
            "sampling_rate": 100.0,
            "starttime": T0,
        },
    )
    wave = tmp_path / "w.mseed"
    tr.write(str(wave), format="MSEED", encoding="FLOAT64")
    csv = tmp_path / "s.csv"
    csv.write_text("network,station,latitude,longitude,elevation_m\nXX,AAA,10.0,25.0,0\n")
    resp = None
    if response:
        resp = Response.from_paz(
            [0j, 0j],
            [complex(-0.037, 0.037), complex(-0.037, -0.037)],
            stage_gain=1.0e9,
            stage_gain_frequency=1.0,
            input_units="M/S",
            output_units="COUNTS",
            normalization_frequency=1.0,
        )
    channel = Channel(
        "BHZ", "", 10.0, 25.0, 0.0, 0.0, sample_rate=100.0, response=resp, azimuth=0, dip=-90
    )
    sta = Station(station_in_xml, 10.0, 25.0, 0.0, channels=[channel], site=Site(name="t"))
    xml = tmp_path / "inv.xml"
    Inventory(networks=[Network("XX", stations=[sta])], source="test").write(
        str(xml), format="STATIONXML"
    )
    return [str(wave), "--stations", str(csv), "--inventory", str(xml)]


ORIGIN = ["--origin-time", "2020-01-01T00:01:00", "--latitude", "10", "--longitude", "20"]


def _one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2, (out, err)
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err + out
    return lines[0]


def test_channel_without_response_is_one_line(tmp_path: Path) -> None:
    args = _synthetic(tmp_path, response=False)
    line = _one_line_error(*run("monitor", "magnitude", *args, *ORIGIN))
    assert "XX.AAA..BHZ has no instrument response" in line


def test_station_missing_from_stationxml_is_one_line(tmp_path: Path) -> None:
    args = _synthetic(tmp_path, response=True, station_in_xml="ZZZ")
    line = _one_line_error(*run("monitor", "magnitude", *args, *ORIGIN))
    assert "station XX.AAA is not in the StationXML" in line


def test_unreadable_stationxml_and_missing_origin(tmp_path: Path) -> None:
    args = _synthetic(tmp_path, response=True)
    bad = tmp_path / "bad.xml"
    bad.write_text("<nonsense")
    args[-1] = str(bad)
    line = _one_line_error(*run("monitor", "magnitude", *args, *ORIGIN))
    assert "cannot read StationXML" in line
    good = _synthetic(tmp_path, response=True)
    line = _one_line_error(*run("monitor", "magnitude", *good))
    assert "give the origin" in line
    line = _one_line_error(*run("monitor", "magnitude", *good, *ORIGIN, "--phase", "S"))
    assert "--phase" in line


def test_synthetic_with_response_reports_validity(tmp_path: Path) -> None:
    args = _synthetic(tmp_path, response=True)
    code, out, err = run("monitor", "magnitude", *args, *ORIGIN, "--json")
    assert code == 0, err
    found = json.loads(out)
    valid = {v["kind"]: v for v in found["validity"]}
    assert found["response"] is True
    assert not valid["mb"]["valid"]  # 5 degrees: outside 20-105
    assert valid["mb(Lg)"]["valid"] and valid["ML"]["valid"]
    assert not valid["relative"]["valid"]


needs_regional = pytest.mark.skipif(
    not (DATA / "regional-event-b" / "waveforms.mseed").is_file(),
    reason=f"shared data absent: {DATA}/regional-event-a|b (DPRK 2017 and 2016 explosions)",
)


@needs_regional
def test_relative_magnitude_of_the_2016_test_against_2017() -> None:
    a, b = DATA / "regional-event-a", DATA / "regional-event-b"
    code, out, err = run(
        "monitor",
        "magnitude",
        str(b / "waveforms.mseed"),
        "--stations",
        str(b / "stations.csv"),
        "--origin-time",
        "2016-09-09T00:30:01.380",
        "--latitude",
        "41.287",
        "--longitude",
        "129.078",
        "--relative-to",
        str(a / "waveforms.mseed"),
        "--master-time",
        "2017-09-03T03:30:01.760",
        "--master-latitude",
        "41.343",
        "--master-longitude",
        "129.036",
        "--json",
    )
    assert code == 0, err
    found = json.loads(out)
    valid = {v["kind"]: v for v in found["validity"]}
    assert found["response"] is False
    assert not valid["mb"]["valid"] and "20-105" in valid["mb"]["reason"]
    assert not valid["ML"]["valid"] and "response" in valid["ML"]["reason"]
    assert valid["relative"]["valid"]
    rel = found["relative"]
    assert rel["status"] == "computed"
    # IDC: 5.1 (2016) - 6.1 (2017) = -1.0, each rounded to 0.1.
    assert abs(rel["delta_magnitude"] + 1.0) <= math.hypot(rel["stderr"], 0.041)


needs_array = pytest.mark.skipif(
    not (DATA / "array-yellowknife-2012-08-14" / "stations.xml").is_file(),
    reason=f"shared data absent: {DATA}/array-yellowknife-2012-08-14",
)


@needs_array
def test_yellowknife_table_output() -> None:
    folder = DATA / "array-yellowknife-2012-08-14"
    code, out, err = run(
        "monitor",
        "magnitude",
        str(folder / "waveforms.mseed"),
        "--stations",
        str(folder / "stations.xml"),
        "--quakeml",
        str(folder / "catalog-origin.quakeml"),
    )
    assert code == 0, err
    assert "Veith-Clawson" in out
    assert "deeper than 100 km" in out
    assert "log10(A/T)" in out
