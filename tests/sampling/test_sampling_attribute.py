"""Tests of treatyverify.methods.sampling.attribute: attribute sampling plans.

Independent facts used here:

* the IAEA attribute sample size ``n = N (1 - beta^(1/r))`` rounded up, with
  ``r = ceil(goal / item mass)`` (Avenhaus and Canty, *Compliance Quantified*, CUP 1996,
  ch. 6; JNMM 44(3), 2016, https://resources.inmm.org/node/58924); the significant
  quantity of plutonium is 8 kg (IAEA Safeguards Glossary, 2001 edition, table II);
* non-detection probabilities ``C(N - r, n) / C(N, n)`` computed by hand below and
  with exact integer arithmetic (:func:`math.comb`, :class:`fractions.Fraction`).
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from treatyverify.errors import InputError
from treatyverify.methods.sampling import (
    AttributePlan,
    defects_to_divert,
    detection_probability,
    exact_sample_size,
    iaea_sample_size,
    non_detection_probability,
)


def _exact_beta(items: int, defects: int, sample: int) -> Fraction:
    return Fraction(math.comb(items - defects, sample), math.comb(items, sample))


def test_iaea_worked_example_100_items_of_2_kg_pu() -> None:
    # r = ceil(8 kg / 2 kg) = 4; 0.1^(1/4) = 0.56234; 100 * (1 - 0.56234) = 43.77 -> 44.
    plan = AttributePlan(items=100, item_mass_kg=2.0, goal_kg=8.0, beta=0.10)
    assert plan.defects == 4
    assert plan.sample_size("iaea") == 44
    assert iaea_sample_size(100, 4, 0.10) == 44


def test_exact_size_for_the_worked_example_is_also_44() -> None:
    # beta(43) = C(96,43)/C(100,43) = (57*56*55*54)/(100*99*98*97) = 0.10074 > 0.1;
    # beta(44) = (56*55*54*53)/(100*99*98*97) = 0.09367 <= 0.1.
    assert float(_exact_beta(100, 4, 43)) == pytest.approx(57 * 56 * 55 * 54 / (100 * 99 * 98 * 97))
    assert non_detection_probability(100, 4, 43) == pytest.approx(0.100736, abs=1e-6)
    assert non_detection_probability(100, 4, 44) == pytest.approx(0.093667, abs=1e-6)
    assert exact_sample_size(100, 4, 0.10) == 44


def test_exact_size_can_be_smaller_than_the_formula() -> None:
    # N = 20, r = 4, beta = 0.05: formula 20 * (1 - 0.05^0.25) = 20 * 0.52713 = 10.54 -> 11;
    # exact: beta(10) = C(16,10)/C(20,10) = 8008/184756 = 0.04334 <= 0.05 and
    #        beta(9)  = C(16,9)/C(20,9)   = 11440/167960 = 0.06811 > 0.05  -> 10.
    assert iaea_sample_size(20, 4, 0.05) == 11
    assert exact_sample_size(20, 4, 0.05) == 10
    assert non_detection_probability(20, 4, 10) == pytest.approx(8008 / 184756)
    assert non_detection_probability(20, 4, 9) == pytest.approx(11440 / 167960)


@pytest.mark.parametrize(
    ("items", "defects", "beta"),
    [(100, 4, 0.1), (20, 4, 0.05), (1000, 3, 0.05), (50, 1, 0.2), (200, 10, 0.01), (30, 30, 0.5)],
)
def test_exact_size_is_the_smallest_meeting_beta_and_never_above_the_formula(
    items: int, defects: int, beta: float
) -> None:
    n = exact_sample_size(items, defects, beta)
    assert _exact_beta(items, defects, n) <= Fraction(beta)
    if n > 0:
        assert _exact_beta(items, defects, n - 1) > Fraction(beta)
    iaea = iaea_sample_size(items, defects, beta)
    assert n <= iaea
    # The formula always meets the target too, since beta(n) <= (1 - n/N)^r.
    assert _exact_beta(items, defects, iaea) <= Fraction(beta)


def test_detection_probability_for_50_items_10_sampled() -> None:
    # k = 1: 10/50 = 0.20.
    assert detection_probability(50, 1, 10) == pytest.approx(0.20)
    # k = 5: 1 - C(45,10)/C(50,10) = 1 - (40*39*38*37*36)/(50*49*48*47*46)
    #          = 1 - 78960960/254251200 = 1 - 0.310563 = 0.689437.
    assert detection_probability(50, 5, 10) == pytest.approx(1 - 78960960 / 254251200)
    assert round(detection_probability(50, 5, 10), 2) == 0.69
    plan = AttributePlan(items=50, item_mass_kg=1.6, goal_kg=8.0, beta=0.3)
    assert plan.defects == 5
    assert plan.detection_probability(10) == pytest.approx(0.689437, abs=1e-6)


def test_defects_round_up_and_ignore_float_noise() -> None:
    assert defects_to_divert(8.0, 2.0) == 4
    assert defects_to_divert(8.0, 3.0) == 3  # 2.67 items -> 3
    assert defects_to_divert(0.9, 0.03) == 30  # 0.9/0.03 = 30.000000000000004 in floats
    assert defects_to_divert(1.0, 5.0) == 1  # one item holds more than a goal quantity


def test_plan_round_trips_through_a_record_body() -> None:
    plan = AttributePlan(items=100, item_mass_kg=2.0, goal_kg=8.0, beta=0.1)
    assert AttributePlan.from_body(plan.to_body()) == plan


@pytest.mark.parametrize(
    ("call", "where"),
    [
        (lambda: iaea_sample_size(0, 1, 0.1), "items"),
        (lambda: iaea_sample_size(-5, 1, 0.1), "items"),
        (lambda: iaea_sample_size(10, 1, 0.0), "beta"),
        (lambda: iaea_sample_size(10, 1, 1.0), "beta"),
        (lambda: exact_sample_size(10, 1, 1.5), "beta"),
        (lambda: iaea_sample_size(10, 11, 0.1), "defects"),
        (lambda: non_detection_probability(10, 1, 11), "sample"),
        (lambda: defects_to_divert(8.0, -2.0), "item_mass_kg"),
        (lambda: defects_to_divert(0.0, 2.0), "goal_kg"),
        (lambda: AttributePlan(items=3, item_mass_kg=2.0, goal_kg=8.0, beta=0.1), "goal_kg"),
        (
            lambda: AttributePlan(items=10, item_mass_kg=2.0, goal_kg=8.0, beta=0.1).sample_size(
                "guess"  # type: ignore[arg-type]
            ),
            "method",
        ),
        (lambda: AttributePlan.from_body({"items": 10}), "plan"),
    ],
)
def test_bad_input_names_the_parameter(call: object, where: str) -> None:
    assert callable(call)
    with pytest.raises(InputError) as caught:
        call()
    assert caught.value.where == where
