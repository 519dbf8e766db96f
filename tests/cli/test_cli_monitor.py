"""``treatyverify monitor process|infrasound|xenon`` from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy.geodetics import gps2dist_azimuth
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.monitoring.radionuclide.xenon import (
    IsotopeResult,
    XenonSample,
    write_samples_json,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
runner = CliRunner()
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not present at {DATA}")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREATYVERIFY_CACHE", str(tmp_path_factory.getbasetemp() / "tt-cache"))


@needs_data
def test_process_locates_the_2017_explosion(tmp_path: Path) -> None:
    folder = DATA / "seismic" / "regional-event-a"
    code, out, err = run(
        "monitor", "process", str(folder), "--stations", str(folder / "stations.csv"), "--json"
    )
    assert code == 0, err
    found = json.loads(out)
    # USGS ComCat: 41.343 N, 129.036 E, 2017-09-03 03:30:01.760 UTC.
    error_km = (
        gps2dist_azimuth(41.343, 129.036, found["latitude_deg"], found["longitude_deg"])[0] / 1e3
    )
    assert error_km < 25.0
    assert found["origin_time"].startswith("2017-09-03T03:30:0")
    assert any("JP.JEW" in w for w in found["warnings"])


@needs_data
def test_process_writes_bulletins_flagging_only_the_picks_used(tmp_path: Path) -> None:
    """QuakeML and IMS1.0 bulletins, read back with ObsPy: an arrival is defining (time
    weight 1, flag T) exactly when the location has a residual for its station."""
    folder = DATA / "seismic" / "regional-event-a"
    quakeml, ims1 = tmp_path / "event.xml", tmp_path / "event.ims"
    args = ["monitor", "process", str(folder), "--stations", str(folder / "stations.csv")]
    code, out, err = run(*args, "--quakeml", str(quakeml), "--ims1", str(ims1), "--json")
    assert code == 0, err
    used = set(json.loads(out)["residuals_s"])
    event = obspy.read_events(str(quakeml))[0]
    origin = event.origins[0]
    picks = {p.resource_id: p.waveform_id for p in event.picks}
    defining = {
        f"{picks[a.pick_id].network_code}.{picks[a.pick_id].station_code}"
        for a in origin.arrivals
        if a.time_weight
    }
    assert defining == used
    assert len(origin.arrivals) > len(used)  # stray picks are listed, not defining
    read_back = obspy.read_events(str(ims1), format="IMS10BULLETIN")
    assert abs(read_back[0].origins[0].time - origin.time) < 0.1
    again, _, err = run(*args, "--quakeml", str(quakeml))
    assert again == 2 and "--force" in err


def test_process_of_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    stations = tmp_path / "stations.csv"
    stations.write_text("network,station,latitude,longitude,elevation_m\nXX,AAA,1,2,0\n")
    code, _out, err = run(
        "monitor", "process", str(tmp_path / "absent"), "--stations", str(stations)
    )
    assert code == 2 and err.count("\n") == 1 and "absent" in err


@needs_data
def test_infrasound_finds_the_arrival_from_the_southwest() -> None:
    files = sorted(str(p) for p in (DATA / "infrasound").glob("*.SAC"))
    code, out, err = run("monitor", "infrasound", *files, "--json")
    assert code == 0, err
    arrivals = json.loads(out)
    # infrapy Quickstart on the same data: 251.5 deg, 0.335 km/s.
    assert any(
        abs(a["back_azimuth_deg"] - 251.5) < 10 and abs(a["trace_velocity_km_s"] - 0.335) < 0.035
        for a in arrivals
    )


def test_xenon_screens_samples_against_the_ctbt_line(tmp_path: Path) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def sample(name: str, values: dict[str, tuple[float, float]]) -> XenonSample:
        return XenonSample(
            sample_id=name,
            station="XXX01",
            collection_start=t0,
            collection_stop=t0 + timedelta(hours=12),
            acquisition_start=t0 + timedelta(hours=18),
            acquisition_live_time_s=43200.0,
            results={
                iso: IsotopeResult(concentration_mbq_m3=c, uncertainty_mbq_m3=u)
                for iso, (c, u) in values.items()
            },
        )

    path = tmp_path / "samples.json"
    write_samples_json(
        [
            sample(
                "fresh",
                {
                    "Xe-131m": (0.1, 0.005),
                    "Xe-133m": (10.0, 0.5),
                    "Xe-133": (20.0, 1.0),
                    "Xe-135": (100.0, 5.0),
                },
            ),
            sample(
                "reactor",
                {
                    "Xe-131m": (1.0, 0.05),
                    "Xe-133m": (1.0, 0.05),
                    "Xe-133": (10.0, 0.5),
                    "Xe-135": (2.0, 0.1),
                },
            ),
        ],
        path,
    )
    code, out, err = run("monitor", "xenon", str(path), "--json")
    assert code == 0, err
    decisions = {s["sample"]: s["decision"] for s in json.loads(out)["samples"]}
    assert decisions == {"fresh": "explosion-side", "reactor": "civilian-side"}


def test_xenon_bad_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("not,a,xenon,file\n1,2,3,4\n")
    code, _out, err = run("monitor", "xenon", str(path))
    assert code == 2 and err.count("\n") == 1 and "bad.csv" in err


@pytest.mark.skipif(
    not (DATA / "seismic" / "IC.MDJ.2013.043.mseed").is_file(), reason="MDJ recordings absent"
)
def test_xcorr_finds_the_2017_explosion_with_the_2013_template() -> None:
    seismic = DATA / "seismic"
    code, out, err = run(
        "monitor",
        "xcorr",
        str(seismic / "IC.MDJ.2013.043.mseed"),
        str(seismic / "IC.MDJ.2017.246.mseed"),
        "--start",
        "2013-02-12T02:58:40",
        "--length",
        "60",
        "--json",
    )
    assert code == 0, err
    matches = json.loads(out)
    assert len(matches) == 1
    assert matches[0]["time"].startswith("2017-09-03T03:30:")
    assert matches[0]["cc"] > 0.6


def test_screen_explains_each_decision(tmp_path: Path) -> None:
    # Ms - 1.25 mb + 2.2 = 5.5 - 6.25 + 2.2 = 1.45 > 2 sqrt(0.1^2 + (1.25 x 0.1)^2) = 0.32.
    quake = tmp_path / "quake.json"
    quake.write_text(
        json.dumps(
            {
                "mb": 5.0,
                "mb_stderr": 0.1,
                "ms": 5.5,
                "ms_stderr": 0.1,
                "depth_km": 30,
                "depth_sigma_km": 3,
            }
        )
    )
    code, out, err = run("monitor", "screen", str(quake), "--json")
    assert code == 0, err
    outcomes = {r["criterion"]: r["outcome"] for r in json.loads(out)}
    assert outcomes == {"ms-mb": "screened out", "depth": "screened out"}
    # An explosion-like event: Ms - 1.25 mb + 2.2 = -0.25, shallow.
    blast = tmp_path / "blast.json"
    blast.write_text(
        json.dumps(
            {
                "mb": 5.0,
                "mb_stderr": 0.1,
                "ms": 3.8,
                "ms_stderr": 0.15,
                "depth_km": 0.5,
                "depth_sigma_km": 2.0,
            }
        )
    )
    code, out, err = run("monitor", "screen", str(blast), "--json")
    assert code == 0, err
    assert {r["outcome"] for r in json.loads(out)} == {"not screened out"}
    # No Ms: that criterion is not applied, and says so.
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"mb": 4.5, "mb_stderr": 0.1}))
    code, out, err = run("monitor", "screen", str(partial), "--json")
    assert code == 0, err
    assert {r["outcome"] for r in json.loads(out)} == {"not screened"}


def test_screen_refuses_a_non_number(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"mb": "five"}))
    code, _out, err = run("monitor", "screen", str(bad))
    assert code == 2 and "mb" in err and err.count("\n") == 1


def test_screen_writes_the_screening_plot(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"mb": 5.1, "mb_stderr": 0.1, "ms": 4.0, "ms_stderr": 0.1}))
    png = tmp_path / "screening.png"
    code, out, err = run("monitor", "screen", str(event), "--png", str(png))
    assert code == 0, err
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert str(png) in out.replace("\n", "")


def _damaged_copy(folder: Path, out: Path) -> None:
    """The 2017 recordings split into one file per station, with damage done to a few."""
    stream = obspy.read(str(folder / "waveforms.mseed"))
    stations = sorted({tr.stats.station for tr in stream})
    gap, clipped, constant, resampled = stations[:4]
    for code in stations:
        part = stream.select(station=code).copy()
        if code == gap:  # cut 5 s out of every component: a gap
            t0 = part[0].stats.starttime
            part = part.slice(t0, t0 + 200) + part.slice(t0 + 205, None)
        elif code == clipped:
            for tr in part:
                top = np.percentile(np.abs(tr.data), 90)
                tr.data = np.clip(tr.data, -top, top).astype(tr.data.dtype)
        elif code == constant:
            for tr in part:
                tr.data[:] = 7
        elif code == resampled:
            for tr in part:
                tr.decimate(2, no_filter=True)
        part.write(str(out / f"{code}.mseed"), format="MSEED")
    stranger = stream.select(station=stations[5]).copy()
    for tr in stranger:
        tr.stats.station = "ZZZZ"  # not in the station table
    stranger.write(str(out / "ZZZZ.mseed"), format="MSEED")
    (out / "corrupt.mseed").write_bytes(b"\x00not a seismogram" * 100)
    (out / "stations.csv").write_bytes((folder / "stations.csv").read_bytes())


@needs_data
def test_process_warns_about_damaged_data_and_still_locates(tmp_path: Path) -> None:
    folder = DATA / "seismic" / "regional-event-a"
    _damaged_copy(folder, tmp_path)
    code, out, err = run(
        "monitor", "process", str(tmp_path), "--stations", str(tmp_path / "stations.csv"), "--json"
    )
    assert code == 0, err
    found = json.loads(out)
    error_km = (
        gps2dist_azimuth(41.343, 129.036, found["latitude_deg"], found["longitude_deg"])[0] / 1e3
    )
    assert error_km < 25.0
    warnings = "\n".join(found["warnings"])
    for problem in ("gap of", "clipped", "constant", "Hz", "not in the station table"):
        assert problem in warnings, problem
    assert "corrupt.mseed" in warnings and "file skipped" in warnings


def test_a_failed_location_says_why(tmp_path: Path) -> None:
    rows = ["network,station,latitude,longitude,elevation_m"]
    traces = []
    for k in range(5):
        rows.append(f"XX,S{k},{40 + k * 0.5},{130 + k * 0.3},0")
        noise = np.random.default_rng(k).normal(0, 50, 40 * 300).astype(np.int32)
        header = {"network": "XX", "station": f"S{k}", "channel": "BHZ", "sampling_rate": 40.0}
        traces.append(obspy.Trace(noise, header=header))
    (tmp_path / "stations.csv").write_text("\n".join(rows) + "\n")
    obspy.Stream(traces).write(str(tmp_path / "noise.mseed"), format="MSEED")
    code, _out, err = run(
        "monitor", "process", str(tmp_path), "--stations", str(tmp_path / "stations.csv")
    )
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("error:") and "location failed:" in last and "picks" in last


@needs_data
def test_process_with_a_calibration_event_and_a_model_error(tmp_path: Path) -> None:
    """Issue 18: station corrections from the 2016 explosion at its USGS origin (41.287 N,
    129.078 E, 00:30:01.380 UTC) locate the 2017 one closer to its USGS epicentre."""
    folder = DATA / "seismic" / "regional-event-a"
    base = ("monitor", "process", str(folder), "--stations", str(folder / "stations.csv"))
    code, out, err = run(*base, "--json")
    assert code == 0, err
    plain = json.loads(out)
    calibration = DATA / "seismic" / "regional-event-b"
    code, out, err = run(
        *base,
        "--calibration",
        str(calibration),
        "--calibration-origin",
        "41.287,129.078,0,2016-09-09T00:30:01.380",
        "--model-error",
        "1.0",
        "--json",
    )
    assert code == 0, err
    corrected = json.loads(out)

    def error_km(found: dict[str, float]) -> float:
        metres = gps2dist_azimuth(41.343, 129.036, found["latitude_deg"], found["longitude_deg"])[0]
        return float(metres) / 1e3

    assert error_km(corrected) < error_km(plain)
    assert corrected["stations_corrected"] >= 15 and plain["stations_corrected"] == 0
    assert corrected["model_error_s"] == 1.0 and plain["model_error_s"] is None
    assert corrected["depth_fixed"] and not corrected["depth_resolved"]
    # the same corrections from a file
    rows = ["station,correction_s", "IU.INCN,0.5"]
    (tmp_path / "corrections.csv").write_text("\n".join(rows) + "\n")
    code, out, err = run(
        *base, "--station-corrections", str(tmp_path / "corrections.csv"), "--json"
    )
    assert code == 0, err
    assert json.loads(out)["stations_corrected"] == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--model-error", "-1"), "--model-error"),
        (("--calibration", "x"), "go together"),
        (("--calibration", "x", "--calibration-origin", "1,2,3"), "four values"),
        (("--calibration", "x", "--calibration-origin", "1,2,3,yesterday"), "cannot read"),
    ],
)
def test_process_refuses_bad_calibration_options(
    tmp_path: Path, options: tuple[str, ...], message: str
) -> None:
    (tmp_path / "stations.csv").write_text("network,station,latitude,longitude,elevation_m\n")
    code, _out, err = run(
        "monitor", "process", str(tmp_path), "--stations", str(tmp_path / "stations.csv"), *options
    )
    assert code == 2
    assert message in err.strip().splitlines()[-1]
