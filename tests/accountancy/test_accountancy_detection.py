"""Tests of the exact and Monte Carlo detection probabilities of the balance tests."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.detection import (
    abrupt_loss_detection_probability,
    cumuf_detection_probability,
    cumuf_detection_probability_mc,
    gemuf_detection_probability,
    gemuf_detection_probability_mc,
    page_detection_probability_mc,
    single_period_detection_probabilities,
    wilson_interval,
)
from treatyverify.methods.accountancy.sequential import page_alarm_probability, page_threshold

PU_SIGNIFICANT_QUANTITY_KG = 8.0
"""IAEA significant quantity of plutonium (IAEA Safeguards Glossary, 2001 edition,
International Nuclear Verification Series No. 3)."""


def nrta_covariance(periods: int, inventory_sd_kg: float, transfer_sd_kg: float) -> np.ndarray:
    """MUF covariance when period i shares its closing inventory with period i + 1."""
    variance = transfer_sd_kg**2 + 2 * inventory_sd_kg**2
    off = -(inventory_sd_kg**2) * np.ones(periods - 1)
    return np.diag(np.full(periods, variance)) + np.diag(off, 1) + np.diag(off, -1)


def within(estimate: float, exact: float, standard_error: float, n_se: float = 4.0) -> bool:
    return abs(estimate - exact) < n_se * standard_error


def test_abrupt_loss_of_one_significant_quantity() -> None:
    # 8 kg Pu, sigma-MUF 2.43 kg, alpha 5 %: PD = Phi(8/2.43 - 1.645) = Phi(1.647) = 0.950.
    # sigma = 8/2.43 is the sigma-MUF at which one significant quantity is detected with
    # 95 % probability at 5 % false alarms (8 / (2 z_0.95) = 8 / 3.29 = 2.43 kg).
    pd = abrupt_loss_detection_probability(PU_SIGNIFICANT_QUANTITY_KG, 2.43, 0.05)
    assert pd == pytest.approx(0.95, abs=1e-3)


def test_no_loss_is_detected_with_probability_alpha() -> None:
    assert abrupt_loss_detection_probability(0.0, 2.43, 0.05) == pytest.approx(0.05)
    assert abrupt_loss_detection_probability(-8.0, 2.43, 0.05) < 0.05


def test_single_period_probabilities_by_hand() -> None:
    cov = np.diag([4.0, 9.0])
    # Period 1: 2 kg / 2 kg = 1 sd; period 2: 6 kg / 3 kg = 2 sd; z_0.95 = 1.6449.
    pd = single_period_detection_probabilities([2.0, 6.0], cov, 0.05)
    z = stats.norm.ppf(0.95)
    assert np.allclose(pd, [stats.norm.cdf(1.0 - z), stats.norm.cdf(2.0 - z)])


def test_cumuf_exact_by_hand_and_by_monte_carlo() -> None:
    # Protracted loss of 8 kg spread evenly over 12 periods of a correlated campaign.
    periods = 12
    cov = nrta_covariance(periods, inventory_sd_kg=1.0, transfer_sd_kg=0.8)
    loss = np.full(periods, 8.0 / periods)
    # By hand: Var(CUMUF_12) = 12 sT^2 + 2 sI^2 = 12 * 0.64 + 2 = 9.68 kg^2.
    exact = cumuf_detection_probability(loss, cov, 0.05)
    assert exact == pytest.approx(stats.norm.cdf(8.0 / math.sqrt(9.68) - stats.norm.ppf(0.95)))
    mc = cumuf_detection_probability_mc(loss, cov, 0.05, trials=200_000, seed=1)
    assert within(mc.probability, exact, mc.standard_error)
    # An earlier period carries less of the loss.
    assert cumuf_detection_probability(loss, cov, 0.05, period=6) < exact


def test_gemuf_exact_without_loss_is_alpha() -> None:
    cov = nrta_covariance(5, inventory_sd_kg=1.0, transfer_sd_kg=0.8)
    assert gemuf_detection_probability(np.zeros(5), cov, 0.05) == pytest.approx(0.05)


def test_gemuf_exact_with_one_period_is_the_two_sided_normal_test() -> None:
    # n = 1: MUF^2/sigma^2 > chi2_0.95(1) = z_0.975^2 is the two-sided test, so
    # PD = Phi(d - z_0.975) + Phi(-d - z_0.975) with d = M / sigma.
    d = 3.0 / 1.5
    z = stats.norm.ppf(0.975)
    expected = stats.norm.cdf(d - z) + stats.norm.cdf(-d - z)
    assert gemuf_detection_probability([3.0], [[2.25]], 0.05) == pytest.approx(expected, rel=1e-9)


def test_gemuf_exact_against_monte_carlo() -> None:
    periods = 12
    cov = nrta_covariance(periods, inventory_sd_kg=1.0, transfer_sd_kg=0.8)
    loss = np.zeros(periods)
    loss[4] = 4.0  # abrupt 4 kg loss in period 5
    exact = gemuf_detection_probability(loss, cov, 0.05)
    mc = gemuf_detection_probability_mc(loss, cov, 0.05, trials=200_000, seed=2)
    assert within(mc.probability, exact, mc.standard_error)


def test_page_mc_without_loss_matches_the_integral_equation() -> None:
    periods = 12
    cov = nrta_covariance(periods, inventory_sd_kg=1.0, transfer_sd_kg=0.8)
    h = page_threshold(0.05, periods, k=0.5)
    mc = page_detection_probability_mc(np.zeros(periods), cov, k=0.5, h=h, trials=200_000)
    assert within(mc.probability, 0.05, mc.standard_error)


def test_page_mc_with_constant_standardised_shift() -> None:
    # Independent periods and a loss of delta sigma_i in every period: SITMUF is iid
    # N(delta, 1), so the integral equation with that shift gives the exact answer.
    sigmas = np.array([1.0, 2.0, 0.5, 1.5, 1.0, 3.0, 1.0, 2.0])
    delta, k = 0.7, 0.5
    h = page_threshold(0.05, sigmas.size, k=k)
    exact = page_alarm_probability(k, h, sigmas.size, shift=delta)
    mc = page_detection_probability_mc(
        delta * sigmas, np.diag(sigmas**2), k=k, h=h, trials=200_000, seed=3
    )
    assert within(mc.probability, exact, mc.standard_error)


def test_monte_carlo_is_reproducible_and_independent_of_batch_size() -> None:
    cov = nrta_covariance(6, inventory_sd_kg=1.0, transfer_sd_kg=0.8)
    loss = np.full(6, 0.5)
    a = page_detection_probability_mc(loss, cov, k=0.5, h=2.0, trials=30_000, seed=5)
    b = page_detection_probability_mc(
        loss, cov, k=0.5, h=2.0, trials=30_000, seed=5, batch_size=7_000
    )
    assert a.alarms == b.alarms
    assert a.seed == 5
    assert a.standard_error == pytest.approx(math.sqrt(a.probability * (1 - a.probability) / 3e4))
    assert a.interval[0] < a.probability < a.interval[1]


def test_wilson_interval_with_no_successes() -> None:
    # Closed form for 0 successes: upper bound z^2 / (n + z^2).
    z2 = stats.norm.ppf(0.975) ** 2
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(z2 / (10 + z2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trials": 0}, "trials"),
        ({"batch_size": 0}, "batch_size"),
        ({"h": -1.0}, "h"),
    ],
)
def test_bad_monte_carlo_arguments(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"k": 0.5, "h": 1.0, **kwargs}
    with pytest.raises(InputError, match=message):
        page_detection_probability_mc(np.zeros(3), np.eye(3), **arguments)


def test_bad_exact_arguments() -> None:
    with pytest.raises(InputError, match="sigma-MUF"):
        abrupt_loss_detection_probability(8.0, 0.0, 0.05)
    with pytest.raises(InputError, match="false-alarm"):
        abrupt_loss_detection_probability(8.0, 2.43, 1.0)
    with pytest.raises(InputError, match="n = 2"):
        cumuf_detection_probability([1.0, 2.0, 3.0], np.eye(2), 0.05)
    with pytest.raises(InputError, match="period 2"):
        gemuf_detection_probability([1.0, 2.0], np.diag([1.0, -1.0]), 0.05)
