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
    # Chi-square survival with 2 degrees of freedom is exp(-G/2).
    assert result.p_value == pytest.approx(math.exp(-expected / 2), rel=1e-9)


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
