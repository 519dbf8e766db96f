"""The material-balance regime and the fmct-reprocessing-diversion scenario.

Expectations are computed by hand from the plant model's published inputs (see the
docstring of treatyverify.methods.accountancy.scenario) and the textbook detection
probability of a one-sided MUF test, never read back from the regime.
"""

from __future__ import annotations

import math
import re
from importlib import resources

import pytest
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.exercise import (
    Estimate,
    ExerciseResult,
    load_scenario,
    parse_scenario,
    run_exercise,
)

SCENARIO_ID = "fmct-reprocessing-diversion"

ALPHA = 0.05
"""fmct.yaml, methods.pu-mass-balance.parameters.false_alarm_probability."""

SQ_PU_KG = 8.0
"""IAEA Safeguards Glossary (2022), para 3.14: one significant quantity of plutonium."""


def _text() -> str:
    entry = resources.files("treatyverify.exercise") / "scenarios" / f"{SCENARIO_ID}.yaml"
    return entry.read_text(encoding="utf-8")


def _edit(text: str, *changes: tuple[str, str]) -> str:
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _single_point(text: str) -> str:
    """The shipped scenario without its sweep."""
    return text.split("\nsweep:")[0] + "\n"


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _where(error: InputError) -> tuple[int, str]:
    """The line and the field path of an error's ``bad.yaml:LINE:COLUMN: PATH``."""
    file, line, _column, path = str(error.where).split(":", 3)
    assert file == "bad.yaml"
    return int(line), path.strip()


def _annual_sigma_muf_kg(diverted_kg: float) -> float:
    """sigma-MUF of one annual balance of the reprocessing plant, by hand (kg).

    Plant (methods/accountancy/scenario.py docstring): 8000 kg Pu/yr received in 10
    input-tank batches a month; 0.1 % of removals to waste (1 batch a month), 99.9 % to
    product (4 batches a month); inventory items 150, 100 and 50 kg. Relative errors
    (NOTIONAL_ERRORS): input volume 0.002 random / 0.002 systematic, input concentration
    0.004 / 0.003, product 0.001 / 0.001, waste 0.10 / 0.10, inventory 0.01 / 0.01. The
    inventory's systematic error is the same at both ends of the year and cancels.
    """
    monthly_kg = 8000.0 / 12.0
    removals = [monthly_kg] * 12
    removals[6] -= diverted_kg
    batch_in = monthly_kg / 10.0
    var = 120 * batch_in**2 * (0.002**2 + 0.004**2)  # input, random
    var += 8000.0**2 * (0.002**2 + 0.003**2)  # input, systematic
    var += sum(4 * (0.999 * r / 4) ** 2 * 0.001**2 for r in removals)  # product, random
    var += (0.999 * sum(removals)) ** 2 * 0.001**2  # product, systematic
    var += sum((0.001 * r) ** 2 * 0.10**2 for r in removals)  # waste, random
    var += (0.001 * sum(removals)) ** 2 * 0.10**2  # waste, systematic
    var += 2 * (150.0**2 + 100.0**2 + 50.0**2) * 0.01**2  # two inventories, random
    return math.sqrt(var)


def test_hand_sigma_is_the_order_of_magnitude_quoted() -> None:
    # the input systematic error dominates: 8000 kg x sqrt(0.002^2 + 0.003^2) = 28.8 kg
    assert 28.8 < _annual_sigma_muf_kg(0.0) < 31.0


def test_shipped_scenario_loads_with_its_sweep() -> None:
    loaded = load_scenario(SCENARIO_ID)
    assert loaded.spec.id == "fmct"
    assert [value for value, _ in loaded.points] == [1, 2, 4, 12]
    assert loaded.scenario.strategy.kind == "diversion"


def test_abrupt_diversion_with_one_annual_balance_matches_the_single_muf_test() -> None:
    # One PIV a year: one balance period per campaign, where Page's test on SITMUF is
    # the one-sided test MUF > z_(1-alpha) sigma, so PD = Phi(M / sigma - z_(1-alpha)).
    amount_sq = 8
    text = _edit(
        _single_point(_text()),
        ("quota: 4 ", "quota: 1 "),
        ("amount_sq: 1 ", f"amount_sq: {amount_sq} "),
    )
    mass_kg = amount_sq * SQ_PU_KG
    expected = float(
        stats.norm.cdf(mass_kg / _annual_sigma_muf_kg(mass_kg) - stats.norm.isf(ALPHA))
    )
    assert 0.65 < expected < 0.71  # 64 kg against sigma = 30.2 kg: Phi(0.47) = 0.68
    result = run_exercise(parse_scenario(text), runs=50, seed=7)
    point = result.points[0]
    assert point.detection is not None
    detected = Estimate.of(point.detection.successes, point.detection.trials, confidence=0.99)
    assert detected.low <= expected <= detected.high
    false_alarm = Estimate.of(
        point.false_alarm.successes, point.false_alarm.trials, confidence=0.99
    )
    assert false_alarm.low <= ALPHA <= false_alarm.high
    # only the treaty's declared output left the barrier
    assert set(point.releases) == {"pu-mass-balance.pass"}
    assert all(run.verified and run.report_status == "adopted" for run in point.compliant)


def test_compliant_host_with_quarterly_balances_alarms_at_the_treaty_rate() -> None:
    # Page's threshold is set for the campaign's 4 periods: P(any alarm) = alpha, whatever
    # the correlation of the MUFs (SITMUF makes them independent).
    text = _edit(
        _single_point(_text()),
        (
            "  kind: diversion\n  pattern: abrupt\n",
            "  kind: compliant\n",
        ),
    )
    text = re.sub(r"  amount_sq:.*\n  first_month:.*\n", "", text)
    result = run_exercise(parse_scenario(text), runs=60, seed=11)
    point = result.points[0]
    assert point.detection is None
    estimate = Estimate.of(point.false_alarm.successes, point.false_alarm.trials, confidence=0.99)
    assert estimate.low <= ALPHA <= estimate.high
    assert point.effort["inspections"] == 4.0
    assert point.effort["team_days"] == 4 * 4 * 3.0  # PIVs x team size x days


def test_late_alarm_is_a_detection_and_a_timeliness_failure() -> None:
    # 10 SQ in March, monthly balances: the campaign alarms at its decision, after the
    # last PIV: 2027-03-01 -> 2028-01-01 is 306 days, + 3 days PIV + 4 minutes of records.
    text = _edit(
        _single_point(_text()),
        ("quota: 4 ", "quota: 12 "),
        ("amount_sq: 1 ", "amount_sq: 10 "),
        ("first_month: 7", "first_month: 3"),
    )
    result = run_exercise(parse_scenario(text), runs=3, seed=3)
    for run in result.points[0].cheating:
        assert run.detected
        assert [alarm.subject for alarm in run.alarms] == ["rp-1/campaign-1"]
        assert run.alarms[0].status == "disputed"  # the host dissents (host_disputes)
        assert run.effort["late_detection"] == 1.0
        assert run.effort["timely_detection"] == 0.0
        assert run.notes["timeliness_goal_days"] == "30"
        assert run.notes["detection_delay_days"] == "309.0"


def test_alarm_on_a_campaign_without_diversion_is_a_false_alarm() -> None:
    text = _edit(
        _single_point(_text()),
        ("end: 2028-01-31", "end: 2029-01-31"),
        ("campaigns: 1 ", "campaigns: 2 "),
        ("quota: 4 ", "quota: 24 "),
        ("team_days: 150", "team_days: 300"),
        ("amount_sq: 1 ", "amount_sq: 10 "),
        ("first_month: 7", "first_month: 15"),
    )
    result = run_exercise(parse_scenario(text), runs=3, seed=5)
    for run in result.points[0].cheating:
        assert run.detected
        for alarm in run.alarms:
            assert alarm.cheating == (alarm.subject == "rp-1/campaign-2")
        kinds = {(r.item, r.item_kind) for r in run.method_results}
        assert kinds == {
            ("rp-1/campaign-1", "no-diversion"),
            ("rp-1/campaign-2", "diversion"),
        }


def test_same_seed_gives_identical_roots() -> None:
    loaded = parse_scenario(_single_point(_text()))
    first = run_exercise(loaded, runs=2, seed=42)
    again = run_exercise(loaded, runs=2, seed=42)
    other = run_exercise(loaded, runs=2, seed=43)

    def roots(result: ExerciseResult) -> list[str]:
        point = result.points[0]
        return [run.root for run in point.cheating + point.compliant]

    assert roots(first) == roots(again)
    assert roots(first) != roots(other)


# ----------------------------------------------------------------------------- bad input


def _error(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_scenario(text, name="bad.yaml")
    return caught.value


@pytest.mark.parametrize(
    ("change", "needle", "field", "words"),
    [
        (
            ("method: pu-mass-balance ", "method: no-such-balance "),
            "method: no-such-balance",
            "accountancy.method",
            "no accountancy.mass-balance method",
        ),
        (
            ("inspection: physical", "inspection: unknown-"),
            "inspection: unknown-",
            "accountancy.inspection",
            "no inspection type",
        ),
        (
            ("first_month: 7", "first_month: 13"),
            "first_month: 13",
            "strategy.first_month",
            "after the 12 months",
        ),
        (
            ("campaigns: 1 ", "campaigns: 2 "),
            "campaigns: 2",
            "accountancy.campaigns",
            "timeline",
        ),
        (("quota: 4 ", "quota: 5 "), "quota: 5", "inspector.quota", "equal balance periods"),
        (("team_days: 150", "team_days: 10"), "team_days: 10", "inspector.team_days", "team-days"),
        (
            ("declared: true", "declared: false"),
            "declared: false",
            "facility.declared",
            "declared",
        ),
        (
            ("amount_sq: 1 ", "amount_sq: 100 "),
            "amount_sq: 100",
            "strategy.amount_sq",
            "exceeds its receipts",
        ),
        (
            ("pattern: abrupt", "pattern: abrupt\n  last_month: 9"),
            "last_month: 9",
            "strategy.last_month",
            "one month",
        ),
        (
            ("start: 2027-01-01", "start: 2027-01-30"),
            "start: 2027-01-30",
            "timeline.start",
            "day 1 to 28",
        ),
    ],
)
def test_bad_scenario_names_file_line_and_field(
    change: tuple[str, str], needle: str, field: str, words: str
) -> None:
    text = _edit(_text(), change)
    error = _error(text)
    assert _where(error) == (_line_of(text, needle), field)
    assert words in error.message


def test_negative_amount_is_refused_at_the_strategy() -> None:
    text = _edit(_text(), ("amount_sq: 1 ", "amount_sq: -1 "))
    error = _error(text)
    assert error.where is not None
    assert error.where.startswith("bad.yaml:")
    assert error.where.endswith(": strategy.amount_sq")
    assert "greater than 0" in error.message


def test_method_for_another_material_is_refused() -> None:
    text = _edit(
        _text(),
        ("method: pu-mass-balance ", "method: heu-mass-balance "),
        ("  methods: [pu-mass-balance]\n", ""),
    )
    error = _error(text)
    assert _where(error) == (_line_of(text, "heu-mass-balance"), "accountancy.method")
    assert "balances heu" in error.message


def test_diversion_under_a_treaty_without_material_cannot_be_expressed() -> None:
    text = _edit(
        _text(),
        ("treaty: fmct", "treaty: ctbt"),
        ("inspectors: [agency]", "inspectors: [state-b]"),
        ("  methods: [pu-mass-balance]\n", ""),
    )
    error = _error(text)
    assert _where(error) == (_line_of(text, "kind: diversion"), "strategy.kind")
    assert "cannot express a diversion" in error.message
