"""The test-ban regime and its shipped scenario, ctbt-undeclared-test.

Independent facts used here:

- USGS ComCat us2000aert: the 3 September 2017 explosion, 41.343 N 129.036 E,
  03:30:01.760 UTC, M 6.3; the monitoring tests accept an epicentre within 25 km and an
  origin time within 3 s of it (tests/monitoring/test_seismic_pipeline.py).
- The scenario's windows by hand: (02:40:00 - 00:00:00) = 9,600 s, less 2 h of analysis,
  is 2,400 s = three 800 s windows; the test at 00:15:00 falls in the second
  (00:13:20-00:26:40). Waveform hours = 17 stations x 3 x 800 s / 3600 s = 11.33 h.
- Synthetic magnitudes by hand: the synthetic P peak is p_fraction (0.05) times the
  Wood-Anderson amplitude of the IASPEI ML formula, so the ML measured on it is
  mb + log10(0.05) + log10(|H_WA(2 Hz)|) + log10(half peak-to-peak / peak) with
  |H_WA(2 Hz)| = 1.6^2 / sqrt((1 - 1.6^2)^2 + (2 x 0.7 x 1.6)^2) = 0.938 (T0 0.8 s,
  h 0.7) and, for sin(2 pi 2 t) exp(-t/1.5), the first half swing (0.92 + 0.78)/2 = 0.85:
  ML = mb - 1.30 - 0.03 - 0.07 = mb - 1.40.
"""

from __future__ import annotations

import math
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import yaml
from obspy import UTCDateTime
from obspy.geodetics import gps2dist_azimuth

from treatyverify.errors import InputError
from treatyverify.exercise import LoadedScenario, montecarlo, parse_scenario, run_exercise
from treatyverify.exercise.regimes.test_ban import (
    BULLETIN_KIND,
    DATA_ENV,
    monitoring_windows,
)
from treatyverify.exercise.world import RunContext

NAME = "ctbt-undeclared-test.yaml"
TEXT = (resources.files("treatyverify.exercise") / "scenarios" / NAME).read_text("utf-8")
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
EVENT = DATA / "seismic" / "regional-event-a"
USGS = (41.343, 129.036)
TEST_TIME = UTCDateTime("2027-03-01T00:15:00Z")
SWEEP = "sweep:\n  parameter: strategy.mb\n"


@pytest.fixture
def synthetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the data folder at an empty place: the synthetic path."""
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "no-data-here"))
    monkeypatch.setattr(montecarlo, "_PREPARED", {})  # prepared state depends on the data


@pytest.fixture
def real(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the data folder at the shared data; skip when absent."""
    if not (EVENT / "waveforms.mseed").is_file():
        pytest.skip(f"shared seismic data not present at {EVENT}")
    monkeypatch.setenv(DATA_ENV, str(DATA))
    monkeypatch.setattr(montecarlo, "_PREPARED", {})  # prepared state depends on the data


def scenario(mb: float | None = None, *, sweep: bool = False, **replace: str) -> LoadedScenario:
    """The shipped scenario, without its sweep, with ``mb`` and text replacements."""
    text = TEXT if sweep else TEXT[: TEXT.index(SWEEP)]
    if mb is not None:
        assert "  mb: 4.0 " in text
        text = text.replace("  mb: 4.0 ", f"  mb: {mb} ")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return parse_scenario(text, name=NAME)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _place(where: str | None) -> tuple[int, str]:
    """The line and the field path of a ``where`` such as ``file.yaml:12:5: a.b[0]``."""
    _file, line, _column, path = str(where).split(":", 3)
    return int(line), path.strip()


# The shipped scenario ---------------------------------------------------------------


def test_shipped_scenario_windows_and_sweep(synthetic: None) -> None:
    loaded = scenario(sweep=True)
    assert loaded.regime.name == "test-ban"
    assert [value for value, _ in loaded.points] == [3.4, 3.6, 3.8, 4.0]
    windows = monitoring_windows(loaded.points[0][1])  # type: ignore[arg-type]
    assert [w[0] for w in windows] == ["window-01", "window-02", "window-03"]
    assert all((end - start).total_seconds() == 800.0 for _, start, end in windows)
    assert windows[1][1].isoformat() == "2027-03-01T00:13:20+00:00"


# Synthetic path ---------------------------------------------------------------------


def test_large_synthetic_test_is_caught_in_its_window(synthetic: None) -> None:
    result = run_exercise(scenario(5.0), runs=2, seed=7)
    (point,) = result.points
    assert point.detection is not None and point.detection.successes == 2
    assert point.false_alarm.successes == 0
    for run in point.cheating:
        assert [(a.subject, a.cheating) for a in run.alarms] == [("window-02", True)]
        assert run.notes == {"waveforms": "synthetic"}
        assert run.verified
    effort = point.effort
    assert effort["stations"] == 17.0
    assert effort["waveform_hours"] == pytest.approx(17 * 3 * 800 / 3600)
    assert effort["osi_requests"] == pytest.approx(0.5)  # 1 per cheating run, 0 per twin


def test_tiny_synthetic_test_is_missed(synthetic: None) -> None:
    result = run_exercise(scenario(2.0), runs=2, seed=7)
    (point,) = result.points
    assert point.detection is not None and point.detection.successes == 0
    assert all(not run.alarms for run in point.cheating + point.compliant)


def bulletins(loaded: LoadedScenario, *, cheat: bool, seed: int = 3) -> list[dict[str, object]]:
    """Play one run and return its bulletin record bodies."""
    point = loaded.points[0][1]
    prepared = loaded.regime.prepare(point, loaded.spec)
    with tempfile.TemporaryDirectory() as folder:
        context = RunContext(
            loaded.spec,
            point,
            index=0,
            cheat=cheat,
            seed=np.random.SeedSequence(seed),
            directory=Path(folder),
        )
        loaded.regime.run(context, point, prepared)
        bodies = [dict(r.body) for r in context.ledger.records() if r.kind == BULLETIN_KIND]
        context.ledger.close()
    return bodies


def test_synthetic_bulletin_location_magnitude_and_screening(synthetic: None) -> None:
    bodies = bulletins(scenario(4.5), cheat=True)
    assert [b["window"] for b in bodies] == ["window-01", "window-02", "window-03"]
    assert [b["event"] is not None for b in bodies] == [False, True, False]
    event = bodies[1]["event"]
    assert isinstance(event, dict)
    km = gps2dist_azimuth(*USGS, event["latitude_deg"], event["longitude_deg"])[0] / 1000
    assert km < 25.0
    assert abs(UTCDateTime(event["origin_utc"]) - TEST_TIME) < 3.0
    magnitudes = event["magnitudes"]
    assert magnitudes["ML"]["value"] == pytest.approx(4.5 - 1.40, abs=0.15)
    assert magnitudes["mb"]["value"] is None  # no Veith-Clawson table, no station 20-105 deg
    assert magnitudes["Ms_20"]["value"] is None
    assert {k: v["outcome"] for k, v in event["screening"].items()} == {
        "ms-mb": "not screened",
        "depth": "not screened",
    }
    assert event["inside_territory"] is True
    assert "EVENT" in event["ims1"]


def test_compliant_synthetic_run_locates_nothing(synthetic: None) -> None:
    bodies = bulletins(scenario(4.5), cheat=False)
    assert all(b["event"] is None for b in bodies)
    assert all(b["detections"] == 0 for b in bodies)  # white noise: no trigger (docs)


def test_same_seed_same_outcome(synthetic: None) -> None:
    first = run_exercise(scenario(3.4), runs=2, seed=11)
    again = run_exercise(scenario(3.4), runs=2, seed=11)
    assert first.points[0].to_json() == again.points[0].to_json()


def test_resampled_noise_keeps_its_rms() -> None:
    from treatyverify.exercise.regimes.test_ban import _overlap_added_noise

    rng = np.random.default_rng(5)
    noise = rng.normal(0.0, 2.0, 20_000)
    made = _overlap_added_noise(noise, 80_000, 100.0, rng)
    assert made.size == 80_000
    assert made.std() == pytest.approx(2.0, rel=0.03)
    assert np.abs(np.diff(made)).max() < 12 * 2.0 * math.sqrt(2)  # no step at the joins


# Real path --------------------------------------------------------------------------


def test_real_unscaled_event_located_near_usgs_epicentre(real: None) -> None:
    bodies = bulletins(scenario(6.3), cheat=True)
    event = bodies[1]["event"]
    assert isinstance(event, dict)
    km = gps2dist_azimuth(*USGS, event["latitude_deg"], event["longitude_deg"])[0] / 1000
    assert km < 25.0
    assert abs(UTCDateTime(event["origin_utc"]) - TEST_TIME) < 3.0
    assert event["magnitudes"]["ML"]["status"].endswith("no response")  # raw counts


def test_real_runs_small_missed_large_caught(real: None) -> None:
    large = run_exercise(scenario(5.0), runs=1, seed=1).points[0]
    assert large.cheating[0].notes == {"waveforms": "real: regional-event-a"}
    assert [a.subject for a in large.cheating[0].alarms] == ["window-02"]
    assert not large.compliant[0].alarms
    small = run_exercise(scenario(2.0), runs=1, seed=1).points[0]
    assert not small.cheating[0].alarms


def test_unknown_station_is_named_with_its_line(real: None) -> None:
    text_old = "    - {id: KS.SEO2, latitude: 37.4939, longitude: 126.9171}"
    with pytest.raises(InputError) as caught:
        scenario(**{text_old: "    - {id: KS.NOPE, latitude: 37.4939, longitude: 126.9171}"})
    assert _place(caught.value.where) == (line_of(TEXT, "KS.SEO2"), "monitoring.stations[16]")
    assert "unknown station KS.NOPE" in caught.value.message


# Bad input --------------------------------------------------------------------------


def expect(where_field: str, needle: str, message: str, **replace: str) -> None:
    with pytest.raises(InputError) as caught:
        scenario(**replace)
    assert str(caught.value.where).startswith(f"{NAME}:")
    assert _place(caught.value.where) == (line_of(TEXT, needle), where_field)
    assert message in caught.value.message


def test_test_outside_timeline(synthetic: None) -> None:
    expect(
        "strategy.time",
        "time: 2027-03-01T00:15:00Z",
        "outside the monitored period",
        **{"time: 2027-03-01T00:15:00Z": "time: 2027-03-02T00:15:00Z"},
    )


def test_test_too_late_in_its_window(synthetic: None) -> None:
    expect(
        "strategy.time",
        "time: 2027-03-01T00:15:00Z",
        "do not fit in its window",
        **{"time: 2027-03-01T00:15:00Z": "time: 2027-03-01T00:25:00Z"},
    )


def test_magnitude_outside_simulated_range(synthetic: None) -> None:
    expect("strategy.mb", "  mb: 4.0", "outside the range", **{"  mb: 4.0 ": "  mb: 7.0 "})


def test_magnitude_range_above_recorded_event(synthetic: None) -> None:
    expect(
        "waveforms.magnitude_range[1]",
        "magnitude_range:",
        "only be scaled down",
        **{"magnitude_range: [2.0, 6.3]": "magnitude_range: [2.0, 7.0]"},
    )


def test_territory_not_a_polygon(synthetic: None) -> None:
    bow_tie = "    - [40.0, 127.5]\n    - [42.8, 130.5]\n    - [40.0, 130.5]\n    - [42.8, 127.5]\n"
    square = "    - [40.0, 127.5]\n    - [40.0, 130.5]\n    - [42.8, 130.5]\n    - [42.8, 127.5]\n"
    expect("territory.polygon", "  polygon:", "not a valid polygon", **{square: bow_tie})


def test_test_site_outside_territory(synthetic: None) -> None:
    expect(
        "strategy.latitude",
        "  latitude: 41.343     #",
        "outside the host's territory",
        **{"  latitude: 41.343     #": "  latitude: 43.343     #"},
    )


def test_duplicate_station(synthetic: None) -> None:
    mdj = "    - {id: IC.MDJ, latitude: 44.6170, longitude: 129.5908}\n"
    with pytest.raises(InputError) as caught:
        scenario(**{mdj: mdj + mdj})
    assert _place(caught.value.where) == (line_of(TEXT, "IC.MDJ") + 1, "monitoring.stations[2]")


def test_screening_criterion_not_seismic(synthetic: None) -> None:
    expect(
        "monitoring.screening[0]",
        "screening: [ms-mb, depth]",
        "not a seismic screening criterion",
        **{"screening: [ms-mb, depth]": "screening: [xenon-isotopic-ratios, depth]"},
    )


def test_team_larger_than_the_treaty_allows(synthetic: None) -> None:
    expect(
        "inspector.team_size",
        "team_size: 40",
        "at most 40 inspectors",
        **{"team_size: 40 ": "team_size: 41 "},
    )


def test_strategy_the_regime_cannot_run(synthetic: None) -> None:
    expect(
        "strategy.kind",
        "kind: undeclared-test",
        "cannot express",
        **{"kind: undeclared-test": "kind: diversion"},
    )


def test_treaty_without_monitoring_cannot_express_a_test(synthetic: None, tmp_path: Path) -> None:
    ctbt = resources.files("treatyverify") / "treaties" / "ctbt.yaml"
    document = yaml.safe_load(ctbt.read_text("utf-8"))
    document.pop("monitoring")
    document["stages"] = [s for s in document["stages"] if s["kind"] != "monitoring"]
    (tmp_path / "no-monitoring.yaml").write_text(yaml.safe_dump(document), "utf-8")
    text = TEXT.replace("treaty: ctbt\n", "treaty: no-monitoring.yaml\n")
    with pytest.raises(InputError) as caught:
        parse_scenario(text, name=NAME, base=tmp_path)
    assert _place(caught.value.where) == (line_of(TEXT, "kind: undeclared-test"), "strategy.kind")
    assert "no monitoring section" in caught.value.message
