"""The dismantlement regime and the shipped warhead-dismantlement scenario.

Expectations are independent of the code under test: the chance that a random draw of
``q`` of ``n`` items holds the one hoax is ``q / n`` (hypergeometric, by hand); the
reactor-grade and lead hoaxes fail published attribute thresholds (Pu-240/Pu-239 of
0.24/0.58 = 0.41 > 0.1; no plutonium lines at all); team-days are counted by hand.
"""

from __future__ import annotations

from importlib import resources

import pytest

from treatyverify.errors import InputError
from treatyverify.exercise import load_scenario, parse_scenario, shipped_scenarios
from treatyverify.exercise.montecarlo import run_chunk
from treatyverify.exercise.outcome import RunOutcome
from treatyverify.exercise.stats import Estimate

NAME = "warhead-dismantlement.yaml"
TEXT = (resources.files("treatyverify.exercise") / "scenarios" / NAME).read_text("utf-8")
GAMMA_ONLY = "  methods: [pu-presence, pu-isotopic-ratio]"
ALL_METHODS = "  methods: [pu-presence, pu-isotopic-ratio, pu-mass, pu-age, oxide-absence]"


def edited(*changes: tuple[str, str]) -> str:
    """The shipped scenario text with each ``old`` line fragment replaced by ``new``."""
    text = TEXT
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def small(quota: int, n_items: int, methods: str = GAMMA_ONLY) -> str:
    """A scenario with the first ``n_items`` items, the hoax w-01 and no sweep."""
    keep = "".join(
        line + "\n"
        for line in TEXT.splitlines()
        if not line.startswith("  - {id: w-") or int(line.split("w-")[1][:2]) <= n_items
    )
    text = keep.split("sweep:")[0]
    for old, new in (
        ("  quota: 2  ", f"  quota: {quota}  "),
        (ALL_METHODS, methods),
        ("    - item: w-05", "    - item: w-01"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def runs(text: str, *, cheat: bool, indices: range, seed: int = 7) -> list[RunOutcome]:
    return run_chunk(text, NAME, None, 0, cheat, list(indices), seed)


def line_of(text: str, fragment: str) -> int:
    """1-based line number of the only line holding ``fragment``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(hits) == 1, fragment
    return hits[0]


# The shipped scenario ------------------------------------------------------------------


def test_shipped_scenario_loads_with_its_sweep() -> None:
    assert "warhead-dismantlement" in shipped_scenarios()
    loaded = load_scenario("warhead-dismantlement")
    assert loaded.spec.id == "warhead-dismantlement"
    assert [value for value, _ in loaded.points] == [1, 2, 4, 8]
    assert loaded.scenario.strategy.kind == "hoax-items"


def test_every_number_in_the_shipped_scenario_says_where_it_comes_from() -> None:
    for line in TEXT.splitlines():
        value = line.split(":", 1)[-1].split("#")[0].strip()
        if value.replace(".", "", 1).isdigit():
            assert "#" in line, line


# Detection against the hand-computed hypergeometric probability ------------------------


def test_detection_matches_the_chance_of_drawing_the_hoax() -> None:
    """One hoax among 4 items, 1 authentication: P(detect) = 1/4."""
    outcomes = runs(small(1, 4), cheat=True, indices=range(40))
    detected = sum(run.detected for run in outcomes)
    estimate = Estimate.of(detected, len(outcomes))
    assert estimate.low <= 1 / 4 <= estimate.high
    for run in outcomes:
        measured = {result.item for result in run.method_results}
        assert len(measured) == 1
        # the hoax is caught exactly when it is drawn: every measurement catches it
        assert run.detected == ("w-01" in measured)
        assert not run.false_alarm


def test_all_items_are_authenticated_without_a_draw_when_the_quota_covers_them() -> None:
    (run,) = runs(small(3, 3), cheat=True, indices=range(1))
    assert {result.item for result in run.method_results} == {"w-01", "w-02", "w-03"}
    assert not any(event.kind.startswith("draw") for event in run.events)
    assert [alarm.subject for alarm in run.alarms] == ["w-01"]
    assert run.alarms[0].status == "disputed"  # the host disputes (host_disputes: true)


# Genuine items and hoax kinds ----------------------------------------------------------


def test_genuine_weapon_grade_items_pass_every_attribute() -> None:
    outcomes = runs(small(2, 2, ALL_METHODS), cheat=False, indices=range(3))
    for run in outcomes:
        assert run.verified and run.report_status == "adopted"
        assert not run.alarms
        assert len(run.method_results) == 2 * 5
        for result in run.method_results:
            assert result.item_kind == "weapon-grade-pu" and result.genuine
            assert result.passed is True, result
        # only the declared output, pass, leaves the barrier
        assert {output for _, output, _ in run.releases} == {"pass"}


@pytest.mark.parametrize(
    ("substitute", "caught_by"),
    [
        ("reactor-grade-substitute", "pu-isotopic-ratio"),  # 0.24/0.58 = 0.41 > 0.1
        ("lead-hoax", "pu-presence"),  # no plutonium lines
        ("du-hoax", "pu-presence"),
    ],
)
def test_each_hoax_kind_fails_the_attribute_that_should_catch_it(
    substitute: str, caught_by: str
) -> None:
    text = small(1, 1).replace("reactor-grade-substitute  ", f"{substitute}  ")
    (run,) = runs(text, cheat=True, indices=range(1))
    results = {result.method: result for result in run.method_results}
    assert results[caught_by].passed is not True
    assert results[caught_by].item_kind == substitute and not results[caught_by].genuine
    assert [alarm.cheating for alarm in run.alarms] == [True]


# Effort, determinism ------------------------------------------------------------------


def test_effort_is_counted_as_the_scenario_says() -> None:
    (run,) = runs(small(2, 4), cheat=False, indices=range(1))
    # team of 4 x (6 steps x 1 custody day + 2 authentications x 0.5 day)
    assert run.effort["team_days"] == pytest.approx(4 * (6 * 1.0 + 2 * 0.5))
    assert run.effort["authentications"] == 2
    assert run.effort["measurements"] == 2 * 2  # two gamma methods per item
    assert run.effort["counting_time_s"] == pytest.approx(2 * (300.0 + 1.0))


def test_same_seed_gives_the_same_ledger_roots() -> None:
    text = small(2, 4)
    first = runs(text, cheat=True, indices=range(2), seed=11)
    second = runs(text, cheat=True, indices=range(2), seed=11)
    assert [r.root for r in first] == [r.root for r in second]
    assert first[0].root != first[1].root
    other = runs(text, cheat=True, indices=range(1), seed=12)
    assert other[0].root != first[0].root


# Bad input: the error names the file, the line and the field ---------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("    - item: w-05", "    - item: w-99", "strategy.hoax_items[0].item", "w-99"),
        (
            "      substitute: reactor-grade-substitute",
            "      substitute: cardboard",
            "strategy.hoax_items[0].substitute",
            "cardboard",
        ),
        (
            "  - {id: w-03, type: type-a, item_class: warhead-in-container, facility: dis",
            "  - {id: w-03, type: type-a, item_class: warhead-in-box, facility: dis",
            "items[2].item_class",
            "warhead-in-box",
        ),
        (
            "w-04, type: type-a, item_class: warhead-in-container, facility: dismantlement-",
            "w-04, type: type-a, item_class: warhead-in-container, facility: nowhere-",
            "items[3].facility",
            "nowhere",
        ),
        ("  quota: 2  ", "  quota: 9  ", "inspector.quota", "exceeds the 8 items"),
        (
            "  methods: [pu-presence, pu-isotopic-ratio, pu-mass",
            "  methods: [pu-presence, template-match, pu-mass",
            "inspector.methods[1]",
            "nuclear-component-in-container",
        ),
        (
            "  methods: [pu-presence, pu-isotopic-ratio, pu-mass",
            "  methods: [pu-presence, uid-warhead-container, pu-mass",
            "inspector.methods[1]",
            "not a measurement",
        ),
        (
            "  end: 2027-04-15T00:00:00Z",
            "  end: 2027-03-20T00:00:00Z",
            "timeline.end",
            "36 days",
        ),
        ("  counting_time_s: 300.0", "  counting_time_s: 0", "measurement.counting_time_s", "> 0"),
        ("  detector: hpge", "  detector: geiger", "measurement.detector", "geiger"),
        ("  authentication_step: 7", "  authentication_step: 12", "schedule", "12"),
        ("  steps: [5, 6, 7, 8, 9, 10]", "  steps: [5, 6, 7, 8, 9, 15]", "schedule.steps[5]", "15"),
    ],
)
def test_a_broken_scenario_names_the_line_and_the_field(
    old: str, new: str, field: str, words: str
) -> None:
    text = edited((old, new))
    with pytest.raises(InputError) as caught:
        parse_scenario(text, name=NAME)
    where = str(caught.value.where)
    assert where.startswith(f"{NAME}:{line_of(text, new.strip())}:"), where
    assert f": {field}" in where, where
    assert words in str(caught.value)


def test_a_sweep_value_the_items_cannot_hold_names_the_sweep_line() -> None:
    text = edited(("  values: [1, 2, 4, 8]", "  values: [1, 2, 4, 10]"))
    with pytest.raises(InputError) as caught:
        parse_scenario(text, name=NAME)
    where = str(caught.value.where)
    assert where.startswith(f"{NAME}:{line_of(text, 'values: [1, 2, 4, 10]')}:"), where
    assert where.endswith(": sweep.values[3]"), where
    assert "inspector.quota = 10" in str(caught.value)


def test_a_strategy_the_regime_cannot_express_is_refused() -> None:
    text = edited(("  kind: hoax-items", "  kind: undeclared-test"))
    with pytest.raises(InputError) as caught:
        parse_scenario(text, name=NAME)
    where = str(caught.value.where)
    assert where.startswith(f"{NAME}:{line_of(text, 'kind: undeclared-test')}:"), where
    assert where.endswith(": strategy.kind"), where
