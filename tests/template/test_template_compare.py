"""The template comparison: hand-computed statistics, its size under the null, its power."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray

from treatyverify.errors import InputError
from treatyverify.methods.template.compare import compare_spectra, merge_bins


@dataclass(frozen=True)
class Counted:
    counts: NDArray[np.float64]
    live_time_s: float


def shape(n: int = 512) -> NDArray[np.float64]:
    """Expected counts per second per channel: a falling continuum and three lines."""
    x = np.arange(n, dtype=np.float64)
    rate = 2.0 * np.exp(-x / 200.0) + 0.05
    for centre, height in ((100, 8.0), (250, 4.0), (400, 2.0)):
        rate += height * np.exp(-0.5 * ((x - centre) / 3.0) ** 2)
    return rate


def test_identical_spectra_give_zero_deviance_and_pass() -> None:
    counts = np.array([10.0, 20.0, 30.0, 40.0])
    same = Counted(counts, 100.0)
    result = compare_spectra(same, same, false_alarm_probability=0.05, min_counts=1)
    assert result.statistic == pytest.approx(0.0, abs=1e-12)
    assert result.p_value == pytest.approx(1.0)
    assert result.passed


def test_deviance_matches_a_hand_computation() -> None:
    # Two bins, equal live times (p = 1/2). Bin 1: T=30, C=10, n=40, expected 20 each.
    # Bin 2: T=5, C=15, n=20, expected 10 each. Each bin's deviance is divided by
    # Williams' factor q = 1 + (1/p + 1/(1-p) - 1) / (6 n) = 1 + 3 / (6 n).
    bin_1 = 2 * (10 * math.log(0.5) + 30 * math.log(1.5)) / (1 + 3 / 240)
    bin_2 = 2 * (15 * math.log(1.5) + 5 * math.log(0.5)) / (1 + 3 / 120)
    expected = bin_1 + bin_2
    template = Counted(np.array([30.0, 5.0]), 60.0)
    candidate = Counted(np.array([10.0, 15.0]), 60.0)
    result = compare_spectra(template, candidate, false_alarm_probability=0.05, min_counts=1)
    assert result.statistic == pytest.approx(expected, rel=1e-12)
    assert result.bins == 2
    # The p-value: a chi-square scaled to the exact null mean and variance of the two
    # corrected deviances (binomial splits of 40 and 20 counts), close to 2 degrees of
    # freedom, whose survival would be exp(-G/2).
    (m40, v40), (m20, v20) = exact_moments(40, 0.5), exact_moments(20, 0.5)
    mean, variance = m40 + m20, v40 + v20
    scale = variance / (2 * mean)
    assert result.dof == pytest.approx(mean / scale, rel=1e-9)
    assert result.p_value == pytest.approx(chi2_sf(expected / scale, mean / scale), rel=1e-9)
    assert result.p_value == pytest.approx(math.exp(-expected / 2), rel=0.05)


def exact_moments(n: int, p: float) -> tuple[float, float]:
    """Mean and variance of one bin's Williams-corrected deviance, summed over k."""
    q = 1 + (1 / p + 1 / (1 - p) - 1) / (6 * n)
    first = second = 0.0
    for k in range(n + 1):
        weight = math.comb(n, k) * p**k * (1 - p) ** (n - k)
        d = 2 * (
            (k * math.log(k / (n * p)) if k else 0.0)
            + ((n - k) * math.log((n - k) / (n * (1 - p))) if n - k else 0.0)
        )
        first += weight * d / q
        second += weight * (d / q) ** 2
    return first, second - first**2


def test_live_times_enter_through_the_expected_split() -> None:
    # Candidate counted three times longer: p = 3/4; counts exactly in proportion.
    template = Counted(np.array([100.0, 40.0, 10.0]), 10.0)
    candidate = Counted(np.array([300.0, 120.0, 30.0]), 30.0)
    result = compare_spectra(template, candidate, false_alarm_probability=0.05, min_counts=1)
    assert result.statistic == pytest.approx(0.0, abs=1e-9)


def test_merging_reaches_the_minimum_in_every_bin() -> None:
    t = np.array([1.0, 0.0, 3.0, 10.0, 2.0, 2.0, 0.0, 1.0])
    c = np.array([0.0, 2.0, 1.0, 15.0, 1.0, 1.0, 1.0, 0.0])
    t_b, c_b = merge_bins(t, c, 5.0)
    assert t_b.sum() == t.sum() and c_b.sum() == c.sum()
    assert np.all(t_b + c_b >= 5.0)
    # Totals 1,2,4 | 25 | 3,3 and the remainder 1,1 merged into the last group.
    assert list(t_b + c_b) == [7.0, 25.0, 8.0]


@pytest.mark.parametrize("ratio", [1.0, 3.0])
def test_false_alarm_rate_matches_the_threshold(ratio: float) -> None:
    rng = np.random.default_rng(20260301)
    rate = shape()
    alpha = 0.05
    trials = 1500
    failures = 0
    for _ in range(trials):
        template = Counted(rng.poisson(rate * 60.0).astype(np.float64), 60.0)
        candidate = Counted(rng.poisson(rate * 60.0 * ratio).astype(np.float64), 60.0 * ratio)
        result = compare_spectra(template, candidate, false_alarm_probability=alpha)
        failures += not result.passed
    # Binomial standard deviation of the rate over 1500 trials is 0.0056; allow 3.5 sigma.
    assert abs(failures / trials - alpha) < 3.5 * math.sqrt(alpha * (1 - alpha) / trials)


def test_false_alarm_rate_holds_at_a_count_per_channel() -> None:
    # 4096 channels of one count each: merged bins of about 20 counts, where the
    # uncorrected deviance would fail genuine items about twice as often as allowed.
    rng = np.random.default_rng(31)
    rate = np.full(4096, 0.5)
    alpha, trials = 0.05, 600
    failures = 0
    for _ in range(trials):
        template = Counted(rng.poisson(rate).astype(np.float64), 1.0)
        candidate = Counted(rng.poisson(rate).astype(np.float64), 1.0)
        failures += not compare_spectra(template, candidate, false_alarm_probability=alpha).passed
    assert abs(failures / trials - alpha) < 3.5 * math.sqrt(alpha * (1 - alpha) / trials)


def test_monte_carlo_p_values_are_uniform_under_the_null() -> None:
    rng = np.random.default_rng(7)
    rate = shape(128) * 0.2
    p_values = []
    for _ in range(200):
        template = Counted(rng.poisson(rate * 30.0).astype(np.float64), 30.0)
        candidate = Counted(rng.poisson(rate * 30.0).astype(np.float64), 30.0)
        result = compare_spectra(
            template,
            candidate,
            false_alarm_probability=0.05,
            min_counts=1,
            monte_carlo=199,
            rng=rng,
        )
        assert result.method == "monte-carlo"
        p_values.append(result.p_value)
    assert stats_uniform_ks(np.array(p_values)) > 0.001


def stats_uniform_ks(values: NDArray[np.float64]) -> float:
    from scipy import stats

    return float(stats.kstest(values, "uniform").pvalue)


def test_a_missing_line_is_caught() -> None:
    rng = np.random.default_rng(11)
    rate = shape()
    x = np.arange(rate.size, dtype=np.float64)
    hoax = rate - 2.0 * np.exp(-0.5 * ((x - 400) / 3.0) ** 2)  # the weakest line is absent
    caught = 0
    for _ in range(200):
        template = Counted(rng.poisson(rate * 60.0).astype(np.float64), 60.0)
        candidate = Counted(rng.poisson(hoax * 60.0).astype(np.float64), 60.0)
        caught += not compare_spectra(template, candidate, false_alarm_probability=0.01).passed
    assert caught / 200 >= 0.99


@pytest.mark.parametrize(
    ("template", "candidate", "where"),
    [
        (Counted(np.ones(10), 1.0), Counted(np.ones(12), 1.0), "candidate"),
        (Counted(np.ones(10), 0.0), Counted(np.ones(10), 1.0), "template"),
        (Counted(np.ones(10), 1.0), Counted(-np.ones(10), 1.0), "candidate"),
        (Counted(np.full(10, np.nan), 1.0), Counted(np.ones(10), 1.0), "template"),
        (Counted(np.zeros(10), 1.0), Counted(np.zeros(10), 1.0), "candidate"),
    ],
)
def test_bad_input_is_named(template: Counted, candidate: Counted, where: str) -> None:
    with pytest.raises(InputError) as caught:
        compare_spectra(template, candidate, false_alarm_probability=0.05)
    assert caught.value.where == where


def test_the_threshold_must_be_a_probability() -> None:
    spectrum = Counted(np.ones(100), 1.0)
    with pytest.raises(InputError):
        compare_spectra(spectrum, spectrum, false_alarm_probability=1.5)


def test_shape_comparison_matches_a_hand_computed_contingency_table() -> None:
    # Template [30, 10], candidate [10, 30]: N = 80, rows 40/40, columns 40/40, so the
    # candidate's share is 1/2 and every expected count is 20.
    # G = 2 [30 ln(30/20) + 10 ln(10/20)] * 2; Williams per bin: q = 1 + 3 / (6 * 40).
    g = 4 * (30 * math.log(1.5) + 10 * math.log(0.5))
    q = 1 + 3 / 240
    template = Counted(np.array([30.0, 10.0]), 10.0)
    candidate = Counted(np.array([10.0, 30.0]), 99.0)  # live times play no part
    result = compare_spectra(
        template, candidate, false_alarm_probability=0.05, normalization="total", min_counts=1
    )
    assert result.statistic == pytest.approx(g / q, rel=1e-12)
    # One degree of freedom fewer than bins: the exact moments of the two bins, less the
    # mean 1 and variance 2 of the estimated share; close to a chi-square with 1 dof.
    m, v = exact_moments(40, 0.5)
    mean, variance = 2 * m - 1, 2 * v - 2
    scale = variance / (2 * mean)
    assert result.p_value == pytest.approx(chi2_sf(g / q / scale, mean / scale), rel=1e-9)
    assert result.p_value == pytest.approx(float(chi2_sf(g / q, 1)), rel=0.05)


def chi2_sf(value: float, dof: float) -> float:
    from scipy import stats

    return float(stats.chi2.sf(value, dof))


def test_shape_comparison_ignores_intensity_and_keeps_its_false_alarm_rate() -> None:
    rng = np.random.default_rng(44)
    rate = shape()
    alpha, trials = 0.05, 800
    failures_total = failures_live = 0
    for _ in range(trials):
        template = Counted(rng.poisson(rate * 60.0).astype(np.float64), 60.0)
        brighter = Counted(rng.poisson(rate * 60.0 * 1.04).astype(np.float64), 60.0)
        failures_total += not compare_spectra(
            template, brighter, false_alarm_probability=alpha, normalization="total"
        ).passed
        failures_live += not compare_spectra(
            template, brighter, false_alarm_probability=alpha, normalization="live-time"
        ).passed
    assert abs(failures_total / trials - alpha) < 3.5 * math.sqrt(alpha * (1 - alpha) / trials)
    assert failures_live / trials > 2 * alpha  # the rate test notices a 4 % brighter item


def test_shape_comparison_still_catches_a_missing_line() -> None:
    rng = np.random.default_rng(12)
    rate = shape()
    x = np.arange(rate.size, dtype=np.float64)
    hoax = rate - 2.0 * np.exp(-0.5 * ((x - 400) / 3.0) ** 2)
    caught = sum(
        not compare_spectra(
            Counted(rng.poisson(rate * 60.0).astype(np.float64), 60.0),
            Counted(rng.poisson(hoax * 60.0 * 1.1).astype(np.float64), 60.0),
            false_alarm_probability=0.01,
            normalization="total",
        ).passed
        for _ in range(200)
    )
    assert caught / 200 >= 0.99


def test_shape_monte_carlo_p_values_are_uniform_under_the_null() -> None:
    rng = np.random.default_rng(8)
    rate = shape(128) * 0.2
    p_values = [
        compare_spectra(
            Counted(rng.poisson(rate * 30.0).astype(np.float64), 30.0),
            Counted(rng.poisson(rate * 45.0).astype(np.float64), 30.0),
            false_alarm_probability=0.05,
            normalization="total",
            min_counts=1,
            monte_carlo=199,
            rng=rng,
        ).p_value
        for _ in range(150)
    ]
    assert stats_uniform_ks(np.array(p_values)) > 0.001


def test_an_unknown_normalization_is_named() -> None:
    spectrum = Counted(np.full(100, 50.0), 1.0)
    with pytest.raises(InputError) as caught:
        compare_spectra(spectrum, spectrum, false_alarm_probability=0.05, normalization="peak")
    assert caught.value.where == "normalization"


def test_shape_comparison_holds_when_the_candidate_has_far_fewer_counts() -> None:
    # A candidate with 1/1000 of the template's counts: merged bins must hold enough
    # expected candidate counts, else the chi-square approximation and Williams'
    # correction break down (the correction would grow without bound).
    rng = np.random.default_rng(90)
    rate = shape()
    alpha, trials = 0.05, 600
    failures = 0
    for _ in range(trials):
        template = Counted(rng.poisson(rate * 6000.0).astype(np.float64), 6000.0)
        candidate = Counted(rng.poisson(rate * 6.0).astype(np.float64), 6.0)
        failures += not compare_spectra(
            template, candidate, false_alarm_probability=alpha, normalization="total"
        ).passed
    assert abs(failures / trials - alpha) < 3.5 * math.sqrt(alpha * (1 - alpha) / trials)


def test_a_weak_candidate_of_another_shape_is_caught() -> None:
    # Like a lead hoax: the candidate shows only a falling background, 1 % of the counts.
    rng = np.random.default_rng(91)
    rate = shape()
    x = np.arange(rate.size, dtype=np.float64)
    background = 0.5 * np.exp(-x / 300.0)
    caught = sum(
        not compare_spectra(
            Counted(rng.poisson(rate * 600.0).astype(np.float64), 600.0),
            Counted(rng.poisson(background * 600.0 * 0.1).astype(np.float64), 600.0),
            false_alarm_probability=0.01,
            normalization="total",
        ).passed
        for _ in range(100)
    )
    assert caught == 100


def test_a_monte_carlo_past_the_maximum_is_refused() -> None:
    same = Counted(np.array([10.0, 20.0, 30.0, 40.0]), 100.0)
    with pytest.raises(InputError, match="between 0 and 100000 draws"):
        compare_spectra(same, same, false_alarm_probability=0.05, monte_carlo=10**8)
