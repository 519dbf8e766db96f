"""Decisions on confidence bounds, and Fieller's bounds of a ratio, against hand values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.decision import (
    BoundedValue,
    Decision,
    decide,
    fieller_bounds,
    one_sided_confidence,
    one_sided_z,
)


def bounded(value: float, sigma: float, z: float = 1.645) -> BoundedValue:
    return BoundedValue(value, sigma, value - z * sigma, value + z * sigma, 0.95)


def test_one_sided_quantiles_are_the_normal_ones() -> None:
    # Phi^-1(0.95) = 1.6449, Phi^-1(0.975) = 1.9600 (normal tables).
    assert one_sided_z(0.95) == pytest.approx(1.644854, abs=1e-6)
    assert one_sided_z(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert one_sided_confidence(1.959964) == pytest.approx(0.975, abs=1e-7)
    for bad in (0.4, 1.0, math.nan):
        with pytest.raises(InputError, match="confidence_level"):
            one_sided_z(bad)


@pytest.mark.parametrize(
    ("value", "sigma", "expected"),
    [
        (0.30, 0.02, Decision.PASS),  # lower bound 0.267 >= 0.2
        (0.10, 0.02, Decision.FAIL),  # upper bound 0.133 < 0.2
        (0.21, 0.02, Decision.INCONCLUSIVE),  # bounds 0.177 and 0.243 straddle 0.2
        (0.19, 0.02, Decision.INCONCLUSIVE),
    ],
)
def test_at_least_reads_the_bounds(value: float, sigma: float, expected: Decision) -> None:
    verdict = decide(
        bounded(value, sigma), 0.2, direction="at least", max_relative_uncertainty=math.inf
    )
    assert verdict.decision is expected
    assert verdict.passed is (expected is Decision.PASS)
    assert (verdict.reason == "bound-straddles-threshold") is (expected is Decision.INCONCLUSIVE)


def test_below_is_the_mirror_and_a_fail_is_as_confident_as_a_pass() -> None:
    below = {"direction": "below", "max_relative_uncertainty": math.inf}
    assert decide(bounded(0.06, 0.01), 0.1, **below).decision is Decision.PASS
    assert decide(bounded(0.14, 0.01), 0.1, **below).decision is Decision.FAIL
    assert decide(bounded(0.09, 0.01), 0.1, **below).decision is Decision.INCONCLUSIVE
    # exactly at the threshold the item is never passed
    assert decide(bounded(0.1, 0.0), 0.1, **below).decision is Decision.FAIL


def test_too_uncertain_is_inconclusive_whatever_the_bounds() -> None:
    verdict = decide(bounded(0.5, 0.2), 0.2, direction="at least", max_relative_uncertainty=0.3)
    assert verdict.decision is Decision.INCONCLUSIVE
    assert verdict.reason == "uncertainty-above-maximum"
    with pytest.raises(InputError, match="direction"):
        decide(bounded(1, 1), 0, direction="above", max_relative_uncertainty=1)


def test_fieller_bounds_solve_the_quadratic() -> None:
    # a = 6, b = 3, uncorrelated, v_a = v_b = 0.25, z = 2: the roots of
    # (b^2 - z^2 v_b) r^2 - 2 a b r + (a^2 - z^2 v_a) = 8 r^2 - 36 r + 35 = 0,
    # r = (36 -+ sqrt(1296 - 1120)) / 16 = 1.4208 and 3.0792.
    lo, hi = fieller_bounds(6.0, 3.0, 0.25, 0.25, 0.0, 2.0)
    assert lo == pytest.approx((36 - math.sqrt(176)) / 16)
    assert hi == pytest.approx((36 + math.sqrt(176)) / 16)
    # a denominator not significant at z leaves the ratio unbounded
    assert fieller_bounds(6.0, 0.5, 0.25, 0.25, 0.0, 2.0) == (-math.inf, math.inf)


def test_fieller_coverage_by_simulation() -> None:
    rng = np.random.default_rng(3)
    a, b, sa, sb, z = 2.0, 4.0, 0.3, 0.5, 1.645
    lows = []
    for _ in range(4000):
        x, y = rng.normal(a, sa), rng.normal(b, sb)
        lows.append(fieller_bounds(x, y, sa**2, sb**2, 0.0, z)[0])
    covered = np.mean(np.asarray(lows) <= a / b)
    assert covered == pytest.approx(0.95, abs=0.015)
