"""Tests of treatyverify.methods.sampling.games: inspection games with false alarms and sites.

Independent facts used here:

* standard normal quantiles and densities from printed tables: z_0.95 = 1.6449,
  z_0.90 = 1.2816, phi(1.6449) = 0.10314, phi(1.2816) = 0.17550 (NIST/SEMATECH
  e-Handbook of Statistical Methods, section 1.3.6.7.1, and phi(z) = exp(-z^2/2)/sqrt(2 pi)
  evaluated by hand);
* the equilibrium conditions of the game with false alarms (inspectee indifferent,
  inspector's first-order condition) and the deterrence condition
  1 - beta > (d + h alpha) / (d + b'), as derived in the module docstring after
  Avenhaus and Canty (1996) and Avenhaus, von Stengel and Zamir (2002);
* hypergeometric detection probabilities computed by hand in the comments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from treatyverify.errors import InputError
from treatyverify.methods.sampling import (
    AttributePlan,
    InspectionPayoffs,
    NormalROC,
    deterrence_threshold,
    deterring_inspections,
    false_alarm_equilibrium,
    is_deterred,
    site_detection_probability,
    site_game_equilibrium,
)

Z_95, Z_90 = 1.6449, 1.2816  # upper 5 % and 10 % points of the standard normal
# delta = z_0.95 + z_0.90: the test at alpha = 0.05 has beta = Phi(z_0.95 - delta) = 0.10.
ROC_05_10 = NormalROC(Z_95 + Z_90)


def test_normal_roc_matches_table_values() -> None:
    assert ROC_05_10.beta(0.05) == pytest.approx(0.10, abs=2e-5)
    assert NormalROC.from_errors(0.05, 0.10).shift == pytest.approx(Z_95 + Z_90, abs=1e-4)
    # beta'(0.05) = -phi(z_0.95 - delta)/phi(z_0.95) = -phi(1.2816)/phi(1.6449)
    #             = -0.17550/0.10314 = -1.7016.
    assert ROC_05_10.beta_slope(0.05) == pytest.approx(-0.17550 / 0.10314, rel=2e-4)
    # and the slope agrees with a central difference of beta.
    step = 1e-6
    numeric = (ROC_05_10.beta(0.2 + step) - ROC_05_10.beta(0.2 - step)) / (2 * step)
    assert ROC_05_10.beta_slope(0.2) == pytest.approx(numeric, rel=1e-6)
    assert NormalROC(0.0).beta(0.3) == pytest.approx(0.7)  # no power: beta = 1 - alpha


def test_equilibrium_without_inspectee_false_alarm_cost() -> None:
    # b' = 1, d = 9, h = 0: indifference beta(alpha*) = b'/(b' + d) = 0.1 -> alpha* = 0.05.
    # a = 10, b = 1, e = 1: q* = e / (e + (a - b) * 1.7016) = 1 / 16.314 = 0.06130.
    payoffs = InspectionPayoffs(a=10.0, b=1.0, e=1.0, d=9.0, b_inspectee=1.0, h=0.0)
    eq = false_alarm_equilibrium(payoffs, ROC_05_10)
    assert eq.alpha == pytest.approx(0.05, rel=1e-3)
    assert eq.beta == pytest.approx(0.10, rel=1e-4)
    assert eq.violation_probability == pytest.approx(0.06130, abs=2e-5)
    # Inspector: -(1 - q) e alpha - q (b + (a - b) beta)
    #          = -(0.93870)(0.05) - 0.06130 (1 + 0.9) = -0.04694 - 0.11647 = -0.16340.
    assert eq.inspector_payoff == pytest.approx(-0.16340, abs=1e-4)
    assert eq.inspectee_payoff == 0.0
    assert eq.leadership_payoff == pytest.approx(-0.05, rel=1e-3)
    # Deterrence threshold d/(d + b') = 0.9 = 1 - beta(alpha*): the inspectee is indifferent.
    assert deterrence_threshold(payoffs) == pytest.approx(0.9)
    assert 1 - eq.beta == pytest.approx(deterrence_threshold(payoffs), abs=1e-9)


def test_equilibrium_with_inspectee_false_alarm_cost() -> None:
    # b' = 2, d = 17.5, h = 1: (b' - h alpha)/(b' + d) = (2 - 0.05)/19.5 = 0.1 at
    # alpha = 0.05, the same alpha* as above; the inspectee's payoff is -h alpha* = -0.05.
    payoffs = InspectionPayoffs(a=10.0, b=1.0, e=1.0, d=17.5, b_inspectee=2.0, h=1.0)
    eq = false_alarm_equilibrium(payoffs, ROC_05_10)
    assert eq.alpha == pytest.approx(0.05, rel=1e-3)
    assert eq.inspectee_payoff == pytest.approx(-0.05, rel=1e-3)
    # Threshold (d + h alpha)/(d + b') = (17.5 + 0.05)/19.5 = 0.9.
    assert deterrence_threshold(payoffs, eq.alpha) == pytest.approx(0.9, rel=1e-4)
    assert deterrence_threshold(payoffs, 0.05) == pytest.approx(17.55 / 19.5)


@pytest.mark.parametrize(
    "payoffs",
    [
        InspectionPayoffs(a=10.0, b=1.0, e=1.0, d=9.0, b_inspectee=1.0),
        InspectionPayoffs(a=50.0, b=5.0, e=0.5, d=2.0, b_inspectee=3.0, h=0.4),
        InspectionPayoffs(a=3.0, b=2.0, e=4.0, d=1.0, b_inspectee=10.0, h=9.0),
    ],
)
def test_equilibrium_is_mutual_best_response(payoffs: InspectionPayoffs) -> None:
    roc = NormalROC(2.0)
    eq = false_alarm_equilibrium(payoffs, roc)
    legal = -payoffs.h * eq.alpha
    illegal = -payoffs.b_inspectee + (payoffs.b_inspectee + payoffs.d) * eq.beta
    assert legal == pytest.approx(illegal, abs=1e-9)  # the inspectee is indifferent
    q = eq.violation_probability

    def inspector(alpha: float) -> float:
        beta = roc.beta(alpha)
        return -(1 - q) * payoffs.e * alpha - q * (payoffs.b + (payoffs.a - payoffs.b) * beta)

    assert inspector(eq.alpha) == pytest.approx(eq.inspector_payoff)
    for factor in (0.5, 0.9, 0.99, 1.01, 1.1, 1.5):
        other = min(eq.alpha * factor, 0.999)
        assert inspector(other) <= inspector(eq.alpha) + 1e-12, factor
    # Announcing a larger alpha deters strictly, a smaller one does not.
    up, down = eq.alpha * 1.05, eq.alpha * 0.95
    assert is_deterred(payoffs, 1 - roc.beta(up), up)
    assert not is_deterred(payoffs, 1 - roc.beta(down), down)


def test_attribute_plan_deters_when_detection_exceeds_d_over_d_plus_b() -> None:
    # Attribute tests have no false alarms (alpha = 0): deterred iff 1 - beta > d/(d + b').
    # The 44-of-100 plan detects a goal-quantity diversion with 1 - 0.093667 = 0.906.
    payoffs = InspectionPayoffs(a=10.0, b=1.0, e=1.0, d=9.0, b_inspectee=1.0)  # 9/10 = 0.9
    plan = AttributePlan(items=100, item_mass_kg=2.0, goal_kg=8.0, beta=0.10)
    assert is_deterred(payoffs, plan.detection_probability(44))
    assert not is_deterred(payoffs, plan.detection_probability(43))  # 1 - 0.100736 < 0.9


def test_a_test_too_weak_to_deter_is_refused() -> None:
    @dataclass(frozen=True)
    class Weak:
        """beta(alpha) = 1 - alpha/2: at most 50 % detection."""

        def beta(self, alpha: float) -> float:
            return 1.0 - alpha / 2.0

        def beta_slope(self, alpha: float) -> float:
            return -0.5

    payoffs = InspectionPayoffs(a=10.0, b=1.0, e=1.0, d=9.0, b_inspectee=1.0)
    with pytest.raises(InputError) as caught:
        false_alarm_equilibrium(payoffs, Weak())
    assert caught.value.where == "roc"


def test_site_detection_probabilities_50_sites_10_inspections() -> None:
    # k = 1: 10/50 = 0.20; k = 5: 1 - (40*39*38*37*36)/(50*49*48*47*46) = 0.689437.
    assert site_detection_probability(50, 10, 1) == pytest.approx(0.20)
    assert site_detection_probability(50, 10, 5) == pytest.approx(0.689437, abs=1e-6)
    assert site_detection_probability(50, 10, 0) == 0.0
    assert site_detection_probability(50, 41, 10) == 1.0  # pigeonhole: 41 + 10 > 50


def test_site_game_hand_example_5_sites() -> None:
    # N = 5, d = 1 per site, b' = 1. With n = 2: beta_k = C(5-k, 2)/C(5, 2):
    #   k=1: 6/10, U = 1*0.6 - 0.4 = 0.2;   k=2: 3/10, U = 2*0.3 - 0.7 = -0.1;
    #   k=3: 1/10, U = 0.3 - 0.9 = -0.6;    k>=4: beta = 0, U = -1.   -> k* = 1, U = 0.2.
    eq = site_game_equilibrium(5, 2, gain_per_site=1.0, sanction=1.0)
    assert (eq.violations, eq.deterred) == (1, False)
    assert eq.inspectee_payoff == pytest.approx(0.2)
    assert eq.detection_probability == pytest.approx(0.4)
    # With n = 3: k=1: beta = C(4,3)/C(5,3) = 0.4, U = 0.4 - 0.6 = -0.2;
    #             k=2: beta = 1/10, U = 0.2 - 0.9 = -0.7; k>=3: U = -1 -> deterred.
    assert site_game_equilibrium(5, 3, gain_per_site=1.0, sanction=1.0).deterred
    assert deterring_inspections(5, gain_per_site=1.0, sanction=1.0) == 3


def test_site_game_k1_condition_is_n_over_n_exceeds_d_over_d_plus_b() -> None:
    # One violation alone is deterred iff n/N > d/(d + b') = 1/5 -> n > 10 of 50.
    at_10 = site_game_equilibrium(50, 10, gain_per_site=1.0, sanction=4.0, max_violations=1)
    at_11 = site_game_equilibrium(50, 11, gain_per_site=1.0, sanction=4.0, max_violations=1)
    assert at_10.deterred  # U(1) = 0.8 - 4 * 0.2 = 0: a tie goes to legal behaviour
    assert at_11.deterred
    at_9 = site_game_equilibrium(50, 9, gain_per_site=1.0, sanction=4.0, max_violations=1)
    assert at_9.violations == 1  # U(1) = 0.82 - 0.72 = 0.1 > 0
    # Allowing more violations can only need as many inspections or more.
    assert deterring_inspections(50, gain_per_site=1.0, sanction=4.0) >= deterring_inspections(
        50, gain_per_site=1.0, sanction=4.0, max_violations=1
    )


@pytest.mark.parametrize(
    ("call", "where"),
    [
        (lambda: InspectionPayoffs(a=1.0, b=2.0, e=1.0, d=1.0, b_inspectee=1.0), "b"),
        (lambda: InspectionPayoffs(a=3.0, b=2.0, e=0.0, d=1.0, b_inspectee=1.0), "e"),
        (lambda: InspectionPayoffs(a=3.0, b=2.0, e=1.0, d=-1.0, b_inspectee=1.0), "d"),
        (lambda: InspectionPayoffs(a=3.0, b=2.0, e=1.0, d=1.0, b_inspectee=0.0), "b_inspectee"),
        (lambda: InspectionPayoffs(a=3.0, b=2.0, e=1.0, d=1.0, b_inspectee=1.0, h=1.0), "h"),
        (lambda: NormalROC(-1.0), "shift"),
        (lambda: NormalROC(1.0).beta(0.0), "alpha"),
        (lambda: NormalROC.from_errors(0.05, 1.0), "beta"),
        (lambda: site_game_equilibrium(0, 0, gain_per_site=1.0, sanction=1.0), "items"),
        (lambda: site_game_equilibrium(5, 6, gain_per_site=1.0, sanction=1.0), "sample"),
        (lambda: site_game_equilibrium(5, 2, gain_per_site=0.0, sanction=1.0), "gain_per_site"),
        (lambda: site_game_equilibrium(5, 2, gain_per_site=1.0, sanction=-1.0), "sanction"),
        (
            lambda: site_game_equilibrium(5, 2, gain_per_site=1.0, sanction=1.0, max_violations=6),
            "max_violations",
        ),
    ],
)
def test_bad_input_names_the_parameter(call: Callable[[], object], where: str) -> None:
    with pytest.raises(InputError) as caught:
        call()
    assert caught.value.where == where


def test_a_population_past_the_documented_maximum_is_refused_at_once() -> None:
    # SciPy's hypergeometric distribution stalls above about 10^9 (20 s and more at
    # 10^12); the command answered nothing for 2^63 sites.
    assert site_detection_probability(10**9, 1, 1) == pytest.approx(1e-9)
    for sites in (10**9 + 1, 2**63):
        with pytest.raises(InputError, match="at most 1000000000"):
            site_detection_probability(sites, 1, 1)
