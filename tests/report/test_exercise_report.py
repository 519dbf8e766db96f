"""The exercise report (issue 7, item 5): files, numbers, figures, refusals.

Results are built by hand from synthetic run outcomes, so every number the report shows
is known in advance; intervals are checked against the Clopper-Pearson definition
(beta quantiles, and the closed form 1 - (alpha/2)**(1/n) for zero successes).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import beta

from treatyverify.errors import InputError
from treatyverify.exercise import parse_scenario
from treatyverify.exercise.loader import LoadedScenario
from treatyverify.exercise.montecarlo import ExerciseResult, PointResult
from treatyverify.exercise.outcome import Alarm, MethodResult, RunOutcome, TimelineEvent
from treatyverify.exercise.scenario import ScenarioBase
from treatyverify.report.exercise_plots import detection_figure, representative_run, sweep_axis
from treatyverify.report.exercise_report import (
    MARKER,
    render_html,
    report_context,
    write_exercise_report,
)
from treatyverify.treaty import load_treaty

METHOD = "pu-isotopic-ratio"
GENUINE = "weapon-grade-pu"
HOAX = "hoax-lead"
PDF_PAGE = re.compile(rb"/Type\s*/Page[^s]")
SCENARIO_TEXT = """\
scenario: report-test
title: Report test (synthetic outcomes)
regime: dismantlement
treaty: warhead-dismantlement
host: host
inspectors: [inspector-1, inspector-2]
timeline:
  start: 2027-01-04T00:00:00Z
  end: 2027-03-31T00:00:00Z
inspector:
  quota: 4
  team_size: 3
  team_days: 40
  methods: [pu-isotopic-ratio]
strategy:
  kind: hoax-items
monte_carlo:
  runs: 10
  seed: 7
"""


def _document(kind: str = "hoax-items", sweep: dict[str, Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "scenario": "report-test",
        "title": "Report test (synthetic outcomes)",
        "regime": "dismantlement",
        "treaty": "warhead-dismantlement",
        "host": "host",
        "inspectors": ["inspector-1", "inspector-2"],
        "timeline": {"start": "2027-01-04T00:00:00Z", "end": "2027-03-31T00:00:00Z"},
        "inspector": {"quota": 4, "team_size": 3, "team_days": 40, "methods": [METHOD]},
        "strategy": {"kind": kind},
        "monte_carlo": {"runs": 10, "seed": 7},
    }
    if sweep is not None:
        document["sweep"] = sweep
    return document


def _loaded(kind: str = "hoax-items", sweep: dict[str, Any] | None = None) -> LoadedScenario:
    scenario = ScenarioBase.model_validate(_document(kind, sweep))
    points: tuple[tuple[int | float | str | None, ScenarioBase], ...]
    if sweep is None:
        points = ((None, scenario),)
    else:
        points = tuple((value, scenario) for value in sweep["values"])
    return LoadedScenario(
        name="report-test.yaml",
        text=SCENARIO_TEXT,
        base=None,
        scenario=scenario,
        spec=load_treaty("warhead-dismantlement"),
        regime=None,  # type: ignore[arg-type]
        points=points,
    )


def _events(alarm: bool) -> tuple[TimelineEvent, ...]:
    kinds = [
        ("2027-01-04T00:00:00Z", "genesis", "host", "ledger"),
        ("2027-01-04T00:30:00Z", "declaration", "host", "ref host-2027"),
        ("2027-01-05T08:00:00Z", "draw_commit", "inspector-1", "draw inspection-1"),
        ("2027-01-05T08:05:00Z", "draw_reveal", "inspector-1", "draw inspection-1"),
        ("2027-01-06T10:00:00Z", "barrier_release", "inspector-1", "item w-1"),
        ("2027-01-06T10:30:00Z", "barrier_release", "inspector-1", "item w-2"),
        (
            "2027-01-06T11:00:00Z",
            "finding",
            "inspector-1",
            "authentication:item: " + ("non-compliance" if alarm else "compliant"),
        ),
        ("2027-01-06T11:05:00Z", "report", "inspector-1", "1 findings"),
        ("2027-01-06T11:06:00Z", "cosign", "host", "report"),
    ]
    return tuple(TimelineEvent(*entry) for entry in kinds)


def _run(
    index: int,
    *,
    cheat: bool,
    alarm: bool,
    notes: dict[str, str] | None = None,
    measured: bool = True,
) -> RunOutcome:
    """One synthetic run: items w-1 (genuine) and w-2 (the hoax when ``cheat``)."""
    second_kind, second_genuine = (HOAX, False) if cheat else (GENUINE, True)
    results = (
        (
            MethodResult(METHOD, "w-1", GENUINE, True, True),
            MethodResult(METHOD, "w-2", second_kind, second_genuine, not alarm),
        )
        if measured
        else ()
    )
    releases = tuple((r.method, "pass", "true" if r.passed else "false") for r in results)
    alarms = (Alarm("authentication:item", "w-2", 6, "disputed", cheat),) if alarm else ()
    return RunOutcome(
        index=index,
        cheat=cheat,
        alarms=alarms,
        method_results=results,
        releases=releases,
        effort={"inspections": 3.0 if cheat else 2.0, "team_days": 12.0},
        events=_events(alarm),
        records=9,
        root=f"{index:064x}",
        verified=True,
        report_status="adopted",
        notes=notes or {},
    )


def _point(
    value: int | float | str | None,
    detected: int,
    false_alarms: int,
    *,
    notes: dict[str, str] | None = None,
    measured: bool = True,
    cheats: bool = True,
) -> PointResult:
    cheating = tuple(
        _run(i, cheat=True, alarm=i < detected, notes=notes, measured=measured)
        for i in range(10 if cheats else 0)
    )
    compliant = tuple(
        _run(i, cheat=False, alarm=i < false_alarms, notes=notes, measured=measured)
        for i in range(10)
    )
    return PointResult(value, cheating, compliant)


def _result(loaded: LoadedScenario, points: tuple[PointResult, ...]) -> ExerciseResult:
    return ExerciseResult(
        scenario=loaded,
        seed=7,
        runs=10,
        workers=2,
        scheduler=None,
        elapsed_s=2.0 * len(points),
        points=points,
    )


NOTES = {"items": "synthetic: 2 per run", "escape": "<script>alert(1)</script>"}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExerciseResult, Any]:
    """A one-point report: 7 of 10 violations detected, 1 of 10 compliant runs alarmed."""
    result = _result(_loaded(), (_point(None, 7, 1, notes=NOTES),))
    out = tmp_path_factory.mktemp("report") / "out"
    return result, write_exercise_report(result, out)


def _interval(successes: int, trials: int) -> tuple[float, float]:
    """Clopper-Pearson 95 % limits from the beta distribution's quantiles."""
    low = 0.0 if successes == 0 else beta.ppf(0.025, successes, trials - successes + 1)
    high = 1.0 if successes == trials else beta.ppf(0.975, successes + 1, trials - successes)
    return float(low), float(high)


def test_every_file_is_written(written: tuple[ExerciseResult, Any]) -> None:
    files = written[1]
    for path in (files.html, files.pdf, files.summary, files.runs, files.marker):
        assert path.is_file(), path
    names = sorted(path.name for path in files.figures)
    assert names == ["detection.png", "effort.png", "operating.png", "timeline.png"]
    for path in files.figures:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert files.skipped == ()
    hidden = [p.name for p in files.folder.parent.iterdir() if p.name.startswith(".")]
    assert hidden == []


def test_detection_and_false_alarm_with_clopper_pearson(
    written: tuple[ExerciseResult, Any],
) -> None:
    html = written[1].html.read_text(encoding="utf-8")
    low, high = _interval(7, 10)
    assert (round(low, 3), round(high, 3)) == (0.348, 0.933)  # beta(7, 4), beta(8, 3)
    assert f"0.700 [{low:.3f}, {high:.3f}] (7/10)" in html
    low, high = _interval(1, 10)
    assert f"0.100 [{low:.3f}, {high:.3f}] (1/10)" in html
    hoax_low, hoax_high = _interval(3, 10)  # the hoax passed in the 3 undetected runs
    assert f"0.300 [{hoax_low:.3f}, {hoax_high:.3f}] (3/10)" in html
    # genuine items: 10 in violating runs, 20 in compliant runs, one failed (the false alarm)
    genuine_low, genuine_high = _interval(29, 30)
    assert f"0.967 [{genuine_low:.3f}, {genuine_high:.3f}] (29/30)" in html


def test_effort_releases_ledger_and_metadata(written: tuple[ExerciseResult, Any]) -> None:
    result, files = written
    html = files.html.read_text(encoding="utf-8")
    assert '<td class="num">2.5</td>' in html  # inspections: (10 x 3 + 10 x 2) / 20
    assert '<td class="num">12</td>' in html
    # pass=true: 10 genuine + 3 hoax in violating runs, 19 + 20 - 1... counted by hand:
    # violating runs: w-1 true x10, w-2 false x7 true x3; compliant: w-1 true x10,
    # w-2 false x1 true x9  ->  true 32, false 8
    assert "false: 8<br>true: 32" in html
    assert "Nothing else left the information barrier." in html
    assert result.scenario.digest in html
    assert result.scenario.spec.digest() in html
    assert "0.1 s per run" in html  # 2.0 s over 20 runs
    assert "All 20 run ledgers verified: <strong>yes</strong>" in html
    assert "adopted 20" in html
    assert "disputed 8" in html
    assert "items: synthetic: 2 per run (20 runs)" in html
    assert "never released to the parties" in html


def test_html_is_self_contained_and_escaped(written: tuple[ExerciseResult, Any]) -> None:
    files = written[1]
    html = files.html.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "http://" not in html
    assert "https://" not in html
    sources = re.findall(r'src="([^"]+)"', html)
    assert sorted(sources) == [
        f"figures/{n}.png" for n in ("detection", "effort", "operating", "timeline")
    ]
    for source in sources:
        assert (files.folder / source).is_file()


def test_report_shows_only_what_the_result_holds(written: tuple[ExerciseResult, Any]) -> None:
    result, files = written
    html = files.html.read_text(encoding="utf-8")
    spec_methods = {method.id for method in result.scenario.spec.methods}
    assert "pu-mass" in spec_methods
    for method in spec_methods - {METHOD}:
        assert method not in html, method
    outputs = set(re.findall(r"<td>([a-z0-9-]+\.[a-z_]+)</td>", html))
    assert outputs == {f"{METHOD}.pass"}


def test_summary_and_runs_files(written: tuple[ExerciseResult, Any]) -> None:
    result, files = written
    summary = json.loads(files.summary.read_text(encoding="utf-8"))
    assert summary == json.loads(json.dumps(result.to_json()))
    assert summary["points"][0]["detection"]["successes"] == 7
    lines = files.runs.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20
    runs = [json.loads(line) for line in lines]
    assert [r["twin"] for r in runs] == ["violating"] * 10 + ["compliant"] * 10
    assert {r["point"] for r in runs} == {0}
    assert {r["value"] for r in runs} == {None}
    assert sum(r["detected"] for r in runs) == 7
    assert sum(r["false_alarm"] for r in runs) == 1


def test_pdf_has_a_text_page_and_one_page_per_figure(written: tuple[ExerciseResult, Any]) -> None:
    data = written[1].pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(PDF_PAGE.findall(data)) == 1 + 4


def test_operating_figure_skipped_without_method_results(tmp_path: Path) -> None:
    result = _result(_loaded(), (_point(None, 0, 0, measured=False),))
    files = write_exercise_report(result, tmp_path / "out")
    assert [name for name, _ in files.skipped] == ["operating"]
    assert not (files.folder / "figures" / "operating.png").exists()
    html = files.html.read_text(encoding="utf-8")
    assert "Figure operating not drawn: no method results" in html
    assert "Nothing was released through the information barrier." in html
    assert len(PDF_PAGE.findall(files.pdf.read_bytes())) == 1 + 3


def test_compliant_strategy_reports_false_alarms_only() -> None:
    loaded = _loaded(kind="compliant")
    result = _result(loaded, (_point(None, 0, 0, cheats=False),))
    html = render_html(report_context(result))
    upper = 1.0 - 0.025 ** (1 / 10)  # Clopper-Pearson upper limit for 0 of 10
    assert f"0.000 [0.000, {upper:.3f}] (0/10)" in html
    assert "n/a (no violation)" in html
    _unused, run = representative_run(result) or (None, None)
    assert run is not None and not run.cheat and run.index == 0


def test_sweep_points_each_get_a_row(tmp_path: Path) -> None:
    sweep = {"parameter": "inspector.quota", "values": [2, 4, 8]}
    loaded = _loaded(sweep=sweep)
    points = (_point(2, 4, 0), _point(4, 7, 1), _point(8, 10, 1))
    result = _result(loaded, points)
    axis = sweep_axis(result)
    assert axis.numeric and axis.positions == (2.0, 4.0, 8.0)
    assert axis.title == "inspector.quota"
    files = write_exercise_report(result, tmp_path / "out")
    html = files.html.read_text(encoding="utf-8")
    for value, detected in ((2, 4), (4, 7), (8, 10)):
        assert f"inspector.quota = {value}" in html
        low, high = _interval(detected, 10)
        assert f"[{low:.3f}, {high:.3f}] ({detected}/10)" in html
    assert "[0.692, 1.000] (10/10)" in html  # (alpha/2)**(1/10) for 10 of 10
    assert len(files.figures) == 4
    first, run = representative_run(result) or (None, None)
    assert first is points[0] and run is points[0].cheating[0]


def test_text_sweep_values_sit_on_a_categorical_axis() -> None:
    sweep = {"parameter": "strategy.shielding", "values": ["none", "lead-5cm"]}
    result = _result(_loaded(sweep=sweep), (_point("none", 9, 0), _point("lead-5cm", 2, 0)))
    axis = sweep_axis(result)
    assert not axis.numeric and axis.labels == ("none", "lead-5cm")
    assert "strategy.shielding = lead-5cm" in render_html(report_context(result))
    assert detection_figure(result) is not None


def test_foreign_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("keep me", encoding="utf-8")
    result = _result(_loaded(), (_point(None, 1, 0),))
    with pytest.raises(InputError) as caught:
        write_exercise_report(result, out)
    assert caught.value.where == str(out)
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_a_file_in_place_of_the_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.write_text("not a folder", encoding="utf-8")
    result = _result(_loaded(), (_point(None, 1, 0),))
    with pytest.raises(InputError) as caught:
        write_exercise_report(result, out)
    assert caught.value.where == str(out)


def test_an_earlier_report_is_replaced_whole_and_identically(
    tmp_path: Path, written: tuple[ExerciseResult, Any]
) -> None:
    result, first = written
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / MARKER).write_text("{}", encoding="utf-8")
    (out / "figures" / "stale.png").write_bytes(b"old")  # a figure no longer drawn
    files = write_exercise_report(result, out)
    assert not (out / "figures" / "stale.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    # the same result gives the same files, byte for byte
    for name in ("report.html", "report.pdf", "summary.json", "runs.jsonl"):
        assert (files.folder / name).read_bytes() == (first.folder / name).read_bytes(), name
    for old, new in zip(first.figures, files.figures, strict=True):
        assert old.read_bytes() == new.read_bytes(), new.name


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import treatyverify.report.exercise_report as module

    def broken(*_args: object) -> bytes:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module, "_pdf_bytes", broken)
    result = _result(_loaded(), (_point(None, 2, 0),))
    with pytest.raises(InputError) as caught:
        write_exercise_report(result, tmp_path / "out")
    assert caught.value.where == str(tmp_path / "out")
    assert "No space left on device" in caught.value.message
    assert list(tmp_path.iterdir()) == []


def test_broken_scenario_names_file_line_and_field() -> None:
    text = SCENARIO_TEXT.replace("regime: dismantlement", "regime: dismantlment")
    with pytest.raises(InputError) as caught:
        parse_scenario(text, name="report-test.yaml")
    assert caught.value.where == "report-test.yaml:3:1: regime"
    assert "dismantlment" in caught.value.message


def test_malformed_scenario_names_its_line() -> None:
    text = SCENARIO_TEXT.replace("  quota: 4\n", "  quota: [4\n")
    with pytest.raises(InputError) as caught:
        parse_scenario(text, name="report-test.yaml")
    assert caught.value.where is not None
    assert caught.value.where.startswith("report-test.yaml:12:")  # the next key after "[4"
