"""PNG plots of seismic monitoring results (issue 4, item 9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from obspy import Stream, Trace, UTCDateTime
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.ingest import Station
from treatyverify.monitoring.seismic.locate import ErrorEllipse, Location, Pick
from treatyverify.report.monitoring_plots import (
    ScreeningPoint,
    map_png,
    record_section_png,
    screening_png,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ORIGIN = UTCDateTime("2017-09-03T03:30:01.760")
STATIONS = {
    "IC.MDJ": Station("IC", "MDJ", 44.617, 129.591, 250.0),
    "KG.CHC": Station("KG", "CHC", 37.52, 127.0, 40.0),
    "XX.FAR": Station("XX", "FAR", 39.0, 133.0, 0.0),
}


def _location() -> Location:
    return Location(
        origin_time=ORIGIN,
        latitude_deg=41.3,
        longitude_deg=129.05,
        depth_km=0.0,
        depth_fixed=True,
        covariance=np.diag([0.09, 9.0, 4.0, 0.0]),
        ellipse=ErrorEllipse(6.4, 4.3, 12.0),
        residuals_s={key: 0.1 for key in STATIONS},
        rms_s=0.1,
        variance_factor=1.0,
        covariance_scale=1.0,
        iterations=5,
        model="iasp91",
    )


def _stream_and_picks() -> tuple[Stream, list[Pick]]:
    rng = np.random.default_rng(4)
    rate, seconds = 20.0, 150.0
    traces, picks = [], []
    for i, station in enumerate(STATIONS.values()):
        arrival = 40.0 + 15.0 * i
        t = np.arange(int(rate * seconds)) / rate
        data = rng.normal(0.0, 0.1, t.size)
        after = t >= arrival
        data[after] += np.sin(2 * np.pi * 2.0 * t[after]) * np.exp(-(t[after] - arrival) / 5.0)
        for channel in ("BHZ", "BHE"):
            header = {
                "network": station.network,
                "station": station.station,
                "channel": channel,
                "sampling_rate": rate,
                "starttime": ORIGIN - 10.0,
            }
            traces.append(Trace(data=data.astype(np.float32), header=header))
        picks.append(Pick(station.key, "P", ORIGIN - 10.0 + arrival, 0.3))
    return Stream(traces), picks


def _is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == PNG_SIGNATURE


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".png"))


@pytest.mark.parametrize("unit", ["km", "deg"])
def test_record_section_is_a_png(tmp_path: Path, unit: str) -> None:
    stream, picks = _stream_and_picks()
    out = record_section_png(
        stream,
        picks,
        _location(),
        STATIONS,
        tmp_path / "section.png",
        distance_unit="km" if unit == "km" else "deg",
    )
    assert out == tmp_path / "section.png" and _is_png(out)
    assert _leftovers(tmp_path) == []
    assert len(stream) == 6 and "processing" not in stream[0].stats  # input untouched


def test_record_section_checks_band_and_channels(tmp_path: Path) -> None:
    stream, picks = _stream_and_picks()
    with pytest.raises(InputError, match="Nyquist"):
        record_section_png(stream, picks, _location(), STATIONS, tmp_path / "a.png", band=(1, 12))
    with pytest.raises(InputError, match="no vertical"):
        record_section_png(Stream(), picks, _location(), STATIONS, tmp_path / "a.png")
    assert list(tmp_path.iterdir()) == []


def test_map_is_a_png(tmp_path: Path) -> None:
    out = map_png(STATIONS, _location(), tmp_path / "map.png")
    assert _is_png(out) and _leftovers(tmp_path) == []


def test_screening_plot_is_a_png(tmp_path: Path) -> None:
    events = [
        ScreeningPoint("explosion", 6.1, 4.8, 0.1, 0.2),
        ScreeningPoint("earthquake", 5.0, 4.9, 0.1, None),
        ScreeningPoint("no Ms", 4.5, float("nan")),
    ]
    out = screening_png(events, tmp_path / "screening.png")
    assert _is_png(out) and _leftovers(tmp_path) == []


def test_a_bad_path_is_an_input_error_naming_it(tmp_path: Path) -> None:
    stream, picks = _stream_and_picks()
    missing = tmp_path / "absent" / "plot.png"
    calls = [
        lambda p: record_section_png(stream, picks, _location(), STATIONS, p),
        lambda p: map_png(STATIONS, _location(), p),
        lambda p: screening_png([ScreeningPoint("e", 5.0, 4.0)], p),
    ]
    for call in calls:
        for bad in (missing, tmp_path):
            with pytest.raises(InputError) as caught:
                call(bad)
            assert str(bad) in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("treatyverify.files.os.replace", refuse)
    with pytest.raises(InputError, match="cannot write"):
        map_png(STATIONS, _location(), tmp_path / "map.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not present at {DATA}")
def test_monitor_process_writes_the_plots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREATYVERIFY_CACHE", str(tmp_path / "tt-cache"))
    folder = DATA / "seismic" / "regional-event-a"
    plots = tmp_path / "plots"
    result = CliRunner().invoke(
        app,
        [
            "monitor",
            "process",
            str(folder),
            "--stations",
            str(folder / "stations.csv"),
            "--png",
            str(plots),
        ],
    )
    assert result.exit_code == 0, result.stderr
    for name in ("record-section.png", "map.png"):
        assert _is_png(plots / name)
        assert name in result.stdout.replace("\n", "")
