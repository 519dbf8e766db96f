"""The campaign decision: Page's test on SITMUF at the treaty's false-alarm probability."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from treatyverify.barrier.barrier import InformationBarrier
from treatyverify.barrier.catalog import default_registry
from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.errors import InputError
from treatyverify.methods.accountancy import abrupt, material_balance, reprocessing_plant
from treatyverify.methods.accountancy.detection import page_detection_probability_mc
from treatyverify.methods.accountancy.evaluation import evaluate_campaign
from treatyverify.treaty import load_treaty


def test_false_alarms_of_compliant_years_match_the_campaign_alpha() -> None:
    # 200 compliant plant years at alpha = 0.05 over the campaign: the number of alarms
    # is binomial(200, 0.05), mean 10, sd 3.08; [2, 20] holds it with probability > 0.99.
    alarms = sum(
        not evaluate_campaign(
            material_balance(reprocessing_plant(seed), "Pu"), false_alarm_probability=0.05
        ).passed
        for seed in range(200)
    )
    assert 2 <= alarms <= 20


def test_an_abrupt_loss_of_five_significant_quantities_is_caught_when_it_happens() -> None:
    # 40 kg in month 6 against sigma-MUF of about 3.8 kg: SITMUF of about 10 in that month,
    # far beyond any h for 12 periods at 5 %.
    year = reprocessing_plant(3, diversion_kg=abrupt(40.0, 5))
    result = evaluate_campaign(
        material_balance(year, "Pu"), false_alarm_probability=0.05, significant_quantity_kg=8.0
    )
    assert not result.passed
    assert result.page.alarm_period == 6
    assert result.gemuf.alarm


def test_the_sq_detection_is_that_of_the_decision_rule_not_of_one_month() -> None:
    balance = material_balance(reprocessing_plant(4), "Pu")
    result = evaluate_campaign(balance, false_alarm_probability=0.05, significant_quantity_kg=8.0)
    sigma = float(balance.sigma_muf_kg[0])
    # the single-month test, Phi(SQ/sigma - z_0.95), z_0.95 = 1.6449 (normal table)
    single_month = stats.norm.cdf(8.0 / sigma - 1.6449)
    mc = page_detection_probability_mc(
        abrupt(8.0, 0), balance.covariance_kg2, k=result.page.k, h=result.page.h, trials=200_000
    )
    assert abs(result.sq_detection[0] - mc.probability) < 4.5 * mc.standard_error
    assert not math.isclose(result.sq_detection[0], single_month, abs_tol=0.1)
    summary = result.summary()
    assert summary["periods"] == 12 and len(summary["by_period"]) == 12


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, float("nan")])
def test_false_alarm_probability_must_be_a_probability(alpha: float) -> None:
    balance = material_balance(reprocessing_plant(5), "Pu")
    with pytest.raises(InputError) as info:
        evaluate_campaign(balance, false_alarm_probability=alpha)
    assert info.value.where == "false_alarm_probability"


def test_mass_balance_behind_the_barrier_releases_only_pass() -> None:
    spec = load_treaty("fmct")
    diverted = material_balance(reprocessing_plant(6, diversion_kg=abrupt(40.0, 2)), "Pu")
    barrier = InformationBarrier(spec, "separated-plutonium", default_registry())
    releases = barrier.evaluate(SensitiveData({"balance": diverted}))
    assert [r.method_id for r in releases] == ["pu-mass-balance"]
    assert releases[0].outputs == {"pass": False}
