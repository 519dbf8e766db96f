"""The arms-count regime: Type One inspections against undeclared reentry vehicles.

Detection probabilities are checked against hand-computed values: a base drawn among B
and one missile among N of which m are loaded give a per-inspection detection
probability of (1/B)(m/N), so q independent inspections detect with 1 - (1 - m/(BN))^q.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from treatyverify.errors import InputError
from treatyverify.exercise import load_scenario, parse_scenario, run_exercise
from treatyverify.exercise.regimes.arms_count import BRIEFING_KIND, treaty_year

SMALL = (Path(__file__).resolve().parent / "small-arms-count.yaml").read_text(encoding="utf-8")


def _edited(old: str, new: str) -> str:
    assert old in SMALL
    return SMALL.replace(old, new)


def _line(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` that starts with ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(needle))


def _place(where: str | None) -> tuple[int, str]:
    """The line and the field path of a ``where`` such as ``file.yaml:12:5: a.b[0]``."""
    _file, line, _column, path = str(where).split(":", 3)
    return int(line), path.strip()


def _error(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_scenario(text, name="small.yaml")
    return caught.value


def test_treaty_year_counts_from_entry_into_force() -> None:
    # New START entered into force on 5 February 2011 (Article XIV).
    eif = date(2011, 2, 5)
    assert treaty_year(eif, datetime(2011, 2, 5, tzinfo=UTC)) == 1
    assert treaty_year(eif, datetime(2012, 2, 4, tzinfo=UTC)) == 1
    assert treaty_year(eif, datetime(2019, 2, 5, tzinfo=UTC)) == 9


def test_detection_matches_the_hand_computed_probability() -> None:
    result = run_exercise(parse_scenario(SMALL, name="small.yaml"), runs=60)
    point = result.points[0]
    assert point.detection is not None
    # One base, 2 of 4 missiles loaded, 2 inspections: 1 - (1 - 2/4)^2 = 0.75.
    assert point.detection.low <= 0.75 <= point.detection.high
    assert point.detection.trials == 60
    # Counting is exact: a compliant host is never accused, and every alarm is true.
    assert point.false_alarm.successes == 0
    assert all(not run.false_alarm for run in point.cheating)
    assert all(run.verified and run.report_status == "adopted" for run in point.compliant)


def test_alarms_are_the_disputed_reentry_vehicle_findings() -> None:
    result = run_exercise(parse_scenario(SMALL, name="small.yaml"), runs=8)
    alarms = [alarm for run in result.points[0].cheating for alarm in run.alarms]
    assert alarms
    for alarm in alarms:
        assert alarm.rule == "inspection:reentry-vehicles"
        assert alarm.subject.startswith("base-a/m")
        assert alarm.cheating
        assert alarm.status == "disputed"  # the host dissents (host_disputes defaults to true)
    run = result.points[0].cheating[0]
    kinds = [event.kind for event in run.events]
    assert kinds.count("inspection_report") == 2
    assert kinds.count(BRIEFING_KIND) == 2
    assert kinds.count("draw_result") == 4  # a base and a missile per inspection
    assert kinds[-1] == "cosign"  # the report's last co-signature closes the ledger


def test_warheads_at_an_undeclared_facility_are_never_found() -> None:
    text = _edited("  facility: base-a\n  missiles: 2\n", "  facility: storage-x\n  missiles: 0\n")
    result = run_exercise(parse_scenario(text, name="small.yaml"), runs=10)
    detection = result.points[0].detection
    assert detection is not None
    assert detection.successes == 0
    # Clopper-Pearson upper bound for 0 of 10 at 95 %: 1 - 0.025^(1/10).
    assert detection.high == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-9)


def test_the_shipped_scenario_sweeps_the_quota() -> None:
    loaded = load_scenario("new-start-reductions")
    assert [value for value, _ in loaded.points] == [1, 2, 4, 6, 8, 10]
    result = run_exercise(loaded, runs=1)
    efforts = [point.effort["inspections"] for point in result.points]
    assert efforts == [1.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert all(point.false_alarm.successes == 0 for point in result.points)


def test_the_same_seed_gives_the_same_ledgers() -> None:
    loaded = parse_scenario(SMALL, name="small.yaml")
    first = run_exercise(loaded, runs=3)
    second = run_exercise(loaded, runs=3)
    roots = [run.root for run in first.points[0].cheating + first.points[0].compliant]
    assert roots == [run.root for run in second.points[0].cheating + second.points[0].compliant]
    other = run_exercise(loaded, runs=3, seed=8)
    assert roots != [run.root for run in other.points[0].cheating + other.points[0].compliant]


BAD = [
    # (replace, with, the line that must be named starts with, field, message says)
    (
        "  quota: 2\n  team_size: 10\n  team_days: 20",
        "  quota: 11\n  team_size: 10\n  team_days: 110",
        "  quota:",
        "inspector.quota",
        "allows 10",
    ),
    ("  start: 2019-", "  start: 2010-", "  start:", "timeline.start", "not in force"),
    ("  end: 2020-", "  end: 2027-", "  end:", "timeline.end", "expires"),
    ("  facility: base-a", "  facility: base-z", "  facility:", "strategy.facility", "no base"),
    ("  missiles: 2\n", "  missiles: 5\n", "  missiles: 5", "strategy.missiles", "1 and 4"),
    ("kind: undeclared-warheads", "kind: diversion", "  kind:", "strategy.kind", "cannot express"),
    (
        "class: deployed-icbm\n",
        "class: icbm\n",
        "    missile_class",
        "bases[0].missile_class",
        "icbm",
    ),
    ("  team_days: 20", "  team_days: 19", "  team_days", "inspector.team_days", "20 team-days"),
    ("type: type-one", "type: type-three", "inspection_type", "inspection_type", "type-three"),
    (
        "  team_size: 10\n",
        "  team_size: 10\n  methods: [rv-count-icbm]\n",
        "  methods",
        "inspector.methods",
        "list no methods",
    ),
]


@pytest.mark.parametrize(("old", "new", "starts", "field", "says"), BAD)
def test_bad_scenarios_name_the_line_and_field(
    old: str, new: str, starts: str, field: str, says: str
) -> None:
    text = _edited(old, new)
    error = _error(text)
    assert str(error.where).startswith("small.yaml:")
    assert _place(error.where) == (_line(text, starts), field)
    assert says in error.message


def test_an_elimination_at_an_unknown_base_names_its_line() -> None:
    text = SMALL.replace(
        "facilities:\n",
        "eliminations:\n  - base: base-q\n    missiles: 1\n    at: 2019-06-10T00:00:00Z\n"
        "    notified_after_days: 2.0\nfacilities:\n",
    )
    error = _error(text)
    assert re.fullmatch(r"small\.yaml:\d+:\d+: eliminations\[0\]\.base", error.where or "")
