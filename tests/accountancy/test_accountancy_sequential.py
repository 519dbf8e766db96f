"""Tests of CUMUF, SITMUF, Page's test and GEMUF against hand calculations and simulation."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy import integrate, stats

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.sequential import (
    cholesky_factor,
    cumuf,
    cumuf_test,
    gemuf_statistic,
    gemuf_test,
    page_alarm_probability,
    page_average_run_length,
    page_statistic,
    page_test,
    page_threshold,
    single_muf_test,
    sitmuf,
)

# Sigma = L L^T with a lower factor chosen to have round numbers (worked by hand):
# row 1: [4, 2, 0.4]; row 2: [2, 1 + 4, 0.2 + 1.6]; row 3: [0.4, 1.8, 0.04 + 0.64 + 1].
L_HAND = np.array([[2.0, 0.0, 0.0], [1.0, 2.0, 0.0], [0.2, 0.8, 1.0]])
SIGMA_HAND = np.array([[4.0, 2.0, 0.4], [2.0, 5.0, 1.8], [0.4, 1.8, 1.68]])


def nrta_covariance(periods: int, inventory_sd_kg: float, transfer_sd_kg: float) -> np.ndarray:
    """MUF covariance when period i shares its closing inventory with period i + 1.

    MUF_i = I_(i-1) + T_i - I_i: Var = sT^2 + 2 sI^2, Cov(MUF_i, MUF_(i+1)) = -sI^2.
    """
    variance = transfer_sd_kg**2 + 2 * inventory_sd_kg**2
    cov = np.diag(np.full(periods, variance))
    off = -(inventory_sd_kg**2) * np.ones(periods - 1)
    return cov + np.diag(off, 1) + np.diag(off, -1)


def conditional_residuals(muf: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """SITMUF by its definition: (MUF_i - E[MUF_i | earlier]) / sd(MUF_i | earlier)."""
    out = np.empty_like(muf)
    out[0] = muf[0] / math.sqrt(cov[0, 0])
    for i in range(1, muf.size):
        weights = np.linalg.solve(cov[:i, :i], cov[:i, i])
        mean = weights @ muf[:i]
        variance = cov[i, i] - weights @ cov[:i, i]
        out[i] = (muf[i] - mean) / math.sqrt(variance)
    return out


# ----------------------------------------------------------------------------- SITMUF


def test_cholesky_factor_matches_hand_factor() -> None:
    assert np.allclose(L_HAND @ L_HAND.T, SIGMA_HAND)
    assert np.allclose(cholesky_factor(SIGMA_HAND), L_HAND, atol=1e-14)


def test_sitmuf_of_hand_example() -> None:
    # x1 = 2/2 = 1; x2 = (3 - 1*1)/2 = 1; x3 = (1 - 0.2*1 - 0.8*1)/1 = 0.
    assert np.allclose(sitmuf([2.0, 3.0, 1.0], SIGMA_HAND), [1.0, 1.0, 0.0], atol=1e-14)


def test_sitmuf_equals_conditional_expectation_form_by_hand_2x2() -> None:
    # sigma1 = 2 kg, sigma2 = 3 kg, rho = 0.5; MUF = (1, 4) kg.
    # x1 = 1/2; E[MUF2 | MUF1] = rho sigma2/sigma1 MUF1 = 0.75 kg;
    # sd(MUF2 | MUF1) = 3 sqrt(1 - 0.25) = 3 sqrt(3)/2 kg; x2 = 3.25 / (3 sqrt(3)/2).
    cov = np.array([[4.0, 3.0], [3.0, 9.0]])
    expected = [0.5, 6.5 / (3.0 * math.sqrt(3.0))]
    assert np.allclose(sitmuf([1.0, 4.0], cov), expected, rtol=1e-14)


def test_sitmuf_equals_conditional_expectation_form_general() -> None:
    rng = np.random.default_rng(11)
    a = rng.standard_normal((7, 7))
    cov = a @ a.T + 0.5 * np.eye(7)
    muf = rng.normal(0.0, 2.0, 7)
    assert np.allclose(sitmuf(muf, cov), conditional_residuals(muf, cov), rtol=1e-10)


def test_sitmuf_accepts_many_campaigns() -> None:
    rng = np.random.default_rng(12)
    muf = rng.standard_normal((5, 3))
    rows = np.array([sitmuf(row, SIGMA_HAND) for row in muf])
    assert np.allclose(sitmuf(muf, SIGMA_HAND), rows, rtol=1e-14)


def test_sitmuf_of_correlated_normal_data_is_iid_standard_normal() -> None:
    # 20,000 simulated 10-period campaigns with strongly correlated MUF (NRTA covariance,
    # correlation of neighbours -sI^2/(sT^2 + 2 sI^2) = -0.45).
    periods, campaigns = 10, 20_000
    cov = nrta_covariance(periods, inventory_sd_kg=1.5, transfer_sd_kg=0.5)
    rng = np.random.default_rng(2026)
    muf = rng.standard_normal((campaigns, periods)) @ np.linalg.cholesky(cov).T
    x = sitmuf(muf, cov)
    # Each period: Kolmogorov-Smirnov against N(0, 1) at the 0.1 % level (fixed seed).
    for column in x.T:
        assert stats.kstest(column, "norm").pvalue > 1e-3
    # Independence: every off-diagonal sample correlation within 4.5 standard errors
    # (1/sqrt(m)) of zero, whereas the raw MUF are correlated at -0.45.
    limit = 4.5 / math.sqrt(campaigns)
    corr = np.corrcoef(x, rowvar=False)
    assert np.max(np.abs(corr - np.eye(periods))) < limit
    raw = np.corrcoef(muf, rowvar=False)
    assert raw[0, 1] < -0.4


def test_covariance_not_positive_definite_names_first_failing_period() -> None:
    cov = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 2.0], [0.0, 2.0, 1.0]])
    with pytest.raises(InputError, match="period 3"):
        sitmuf([0.0, 0.0, 0.0], cov)


def test_singular_covariance_is_refused_not_regularised() -> None:
    # MUF_3 = MUF_1 + MUF_2 exactly: Sigma = A A^T with A = [[1, 0], [0, 1], [1, 1]].
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    with pytest.raises(InputError, match=r"period 3"):
        cholesky_factor(a @ a.T)


def test_non_positive_variance_is_named() -> None:
    with pytest.raises(InputError, match="period 2"):
        cholesky_factor(np.diag([1.0, 0.0, 1.0]))


@pytest.mark.parametrize(
    ("muf", "cov", "message"),
    [
        ([1.0, 2.0], np.ones((2, 3)), "square"),
        ([1.0, 2.0, 3.0], np.eye(2), "n = 2"),
        ([1.0, 2.0], np.array([[1.0, 0.5], [0.4, 1.0]]), "symmetric"),
        ([1.0, 2.0], np.array([[1.0, np.nan], [np.nan, 1.0]]), "non-finite"),
        ([1.0, np.inf], np.eye(2), "non-finite"),
        ([[[1.0, 2.0]]], np.eye(2), "shape"),
    ],
)
def test_bad_shapes_and_values_raise_input_error(
    muf: list[float], cov: np.ndarray, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        sitmuf(muf, cov)


# ----------------------------------------------------------------------------- CUMUF


def test_cumuf_values_and_variances_by_hand() -> None:
    cov = np.array([[4.0, 3.0], [3.0, 9.0]])
    result = cumuf([1.0, 4.0], cov)
    assert np.allclose(result.values_kg, [1.0, 5.0])
    assert np.allclose(result.variances_kg2, [4.0, 4.0 + 9.0 + 2 * 3.0])
    assert np.allclose(result.sigma_kg, [2.0, math.sqrt(19.0)])


def test_cumuf_of_nrta_covariance_telescopes() -> None:
    # Sum of MUF_1..MUF_i = I_0 + sum T - I_i: variance i sT^2 + 2 sI^2.
    cov = nrta_covariance(6, inventory_sd_kg=1.5, transfer_sd_kg=0.5)
    expected = np.arange(1, 7) * 0.25 + 2 * 2.25
    assert np.allclose(cumuf(np.zeros(6), cov).variances_kg2, expected)


def test_cumuf_test_threshold() -> None:
    cov = np.array([[4.0, 3.0], [3.0, 9.0]])
    result = cumuf_test([1.0, 4.0], cov, 0.05)
    assert result.period == 2
    assert result.threshold_kg == pytest.approx(stats.norm.ppf(0.95) * math.sqrt(19.0))
    assert not result.alarm
    assert cumuf_test([1.0, 4.0], cov, 0.05, period=1).cumuf_kg == 1.0
    with pytest.raises(InputError, match="period"):
        cumuf_test([1.0, 4.0], cov, 0.05, period=3)


def test_single_muf_test_thresholds() -> None:
    cov = np.array([[4.0, 3.0], [3.0, 9.0]])
    result = single_muf_test([1.0, 5.0], cov, 0.05)
    z = 1.6448536269514722  # z_0.95
    assert np.allclose(result.thresholds_kg, [2.0 * z, 3.0 * z])
    assert result.alarms.tolist() == [False, True]
    assert result.first_alarm_period == 2


# ----------------------------------------------------------------------------- GEMUF


def test_gemuf_by_hand_with_two_degrees_of_freedom() -> None:
    # diag(1, 4) kg^2, MUF = (2, 2) kg: statistic 4 + 1 = 5; with 2 degrees of freedom
    # chi-square's survival function is exp(-x/2), so the 95 % point is -2 ln 0.05.
    result = gemuf_test([2.0, 2.0], np.diag([1.0, 4.0]), 0.05)
    assert result.statistic == pytest.approx(5.0)
    assert result.threshold == pytest.approx(-2.0 * math.log(0.05))
    assert result.degrees_of_freedom == 2
    assert not result.alarm


def test_gemuf_statistic_equals_quadratic_form() -> None:
    muf = np.array([0.3, -1.2, 2.0])
    expected = muf @ np.linalg.solve(SIGMA_HAND, muf)
    assert gemuf_statistic(muf, SIGMA_HAND) == pytest.approx(expected, rel=1e-12)


def test_gemuf_false_alarm_rate_by_monte_carlo() -> None:
    # 200,000 campaigns: the binomial standard error of a 5 % rate is 4.9e-4; accept
    # within 4 standard errors (a correct test fails this with probability 6e-5).
    periods, campaigns, alpha = 12, 200_000, 0.05
    cov = nrta_covariance(periods, inventory_sd_kg=1.0, transfer_sd_kg=0.8)
    rng = np.random.default_rng(7)
    muf = rng.standard_normal((campaigns, periods)) @ np.linalg.cholesky(cov).T
    statistic = gemuf_statistic(muf, cov)
    rate = float(np.mean(statistic > stats.chi2.isf(alpha, periods)))
    assert abs(rate - alpha) < 4 * math.sqrt(alpha * (1 - alpha) / campaigns)


# ----------------------------------------------------------------------------- Page's test


def test_page_statistic_by_hand() -> None:
    # k = 0.5: S1 = 0.5, S2 = 0.5 + 1.5 = 2, S3 = max(0, 2 - 3.5) = 0, S4 = 3.5.
    result = page_test([1.0, 2.0, -3.0, 4.0], k=0.5, h=3.0)
    assert np.allclose(result.statistic, [0.5, 2.0, 0.0, 3.5])
    assert result.alarm_period == 4
    assert result.alarm
    assert page_test([1.0, 2.0, -3.0, 4.0], k=0.5, h=3.5).alarm_period is None


def test_page_statistic_equals_the_recursion() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(0.2, 1.0, (4, 300))
    expected = np.zeros_like(x)
    s = np.zeros(4)
    for i in range(x.shape[1]):
        s = np.maximum(0.0, s + x[:, i] - 0.3)
        expected[:, i] = s
    assert np.allclose(page_statistic(x, 0.3), expected, atol=1e-11)


def test_page_alarm_probability_exact_for_one_and_two_periods() -> None:
    k, h = 0.5, 2.0
    # One period: alarm iff x1 > h + k.
    assert page_alarm_probability(k, h, 1) == pytest.approx(stats.norm.sf(h + k), rel=1e-12)
    # Two periods: no alarm iff (x1 <= k and x2 <= h + k) or (S1 = u in (0, h] and
    # x2 <= h - u + k); integrated independently with adaptive quadrature.
    inner, _ = integrate.quad(
        lambda u: stats.norm.pdf(u + k) * stats.norm.cdf(h - u + k), 0.0, h, epsabs=1e-13
    )
    no_alarm = stats.norm.cdf(k) * stats.norm.cdf(h + k) + inner
    assert page_alarm_probability(k, h, 2) == pytest.approx(1.0 - no_alarm, rel=1e-10)


def test_page_alarm_probability_converges_in_the_nodes() -> None:
    for h in (1.0, 4.0, 8.0):
        coarse = page_alarm_probability(0.5, h, 500)
        fine = page_alarm_probability(0.5, h, 500, nodes=128)
        assert coarse == pytest.approx(fine, rel=1e-8)


def test_page_threshold_meets_alpha() -> None:
    h = page_threshold(0.05, 12, k=0.5)
    assert page_alarm_probability(0.5, h, 12) == pytest.approx(0.05, abs=1e-9)
    assert page_threshold(0.01, 12, k=0.5) > h  # a smaller alpha needs a larger h
    assert page_threshold(0.05, 100, k=0.5) > h  # a longer campaign needs a larger h


def test_page_threshold_false_alarm_rate_by_monte_carlo() -> None:
    # SITMUF of simulated correlated MUF through Page's test with h chosen for 5 % over
    # 12 periods: 200,000 campaigns, accepted within 4 binomial standard errors.
    periods, campaigns, alpha, k = 12, 200_000, 0.05, 0.5
    h = page_threshold(alpha, periods, k=k)
    cov = nrta_covariance(periods, inventory_sd_kg=1.0, transfer_sd_kg=0.8)
    rng = np.random.default_rng(8)
    muf = rng.standard_normal((campaigns, periods)) @ np.linalg.cholesky(cov).T
    alarms = np.any(page_statistic(sitmuf(muf, cov), k) > h, axis=1)
    rate = float(np.mean(alarms))
    assert abs(rate - alpha) < 4 * math.sqrt(alpha * (1 - alpha) / campaigns)


def test_page_threshold_refuses_unreachable_alpha() -> None:
    # With k = 3 and 2 periods even h = 0 alarms only with 1 - Phi(3)^2 = 0.0027.
    with pytest.raises(InputError, match="lower k"):
        page_threshold(0.05, 2, k=3.0)


def test_page_average_run_length_by_monte_carlo() -> None:
    # k = 0.5, h = 2, shift 1: 20,000 simulated runs (truncated at 200 periods, where
    # the chance of no alarm is negligible); accepted within 4 standard errors.
    k, h, shift, runs, horizon = 0.5, 2.0, 1.0, 20_000, 200
    rng = np.random.default_rng(9)
    path = page_statistic(rng.normal(shift, 1.0, (runs, horizon)), k)
    over = path > h
    assert over.any(axis=1).all()
    lengths = np.argmax(over, axis=1) + 1
    standard_error = lengths.std(ddof=1) / math.sqrt(runs)
    arl = page_average_run_length(k, h, shift=shift)
    assert abs(arl - lengths.mean()) < 4 * standard_error


def test_page_in_control_run_length_is_long() -> None:
    # The in-control ARL grows roughly like exp(2 k (h + 1.166)) (Siegmund's approximation).
    assert page_average_run_length(0.5, 5.0) > page_average_run_length(0.5, 4.0) > 300.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: page_test([1.0], k=0.5, h=-1.0), "h"),
        (lambda: page_test([[1.0]], k=0.5, h=1.0), "shape"),
        (lambda: page_statistic([1.0, np.nan], 0.5), "non-finite"),
        (lambda: page_alarm_probability(0.5, 1.0, 0), "periods"),
        (lambda: page_threshold(1.5, 12, k=0.5), "false-alarm"),
        (lambda: gemuf_test([1.0], np.eye(1), 0.0), "false-alarm"),
    ],
)
def test_bad_parameters_raise_input_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()
