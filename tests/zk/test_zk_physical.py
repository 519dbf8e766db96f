"""Tests of treatyverify.methods.zk.physical: the preloaded-detector zero-knowledge protocol.

Independent facts used here:

* the marbles argument of Glaser, Barak and Goldston (Nature 510, 497-502, 2014): a host
  who preloads one of two buckets for a different content is caught with probability
  1/2 per round, so passes ``n`` rounds with probability ``(1/2)^n``; with ``k`` sets and
  the inspector's random choice, ``(1/k)^n``;
* the sum of independent Poisson variables is Poisson with the summed mean, so a genuine
  item on a Poisson preload gives ``Poisson(N_max)`` totals whatever the template;
* Poisson probabilities written out by hand (``e^-1`` etc.) for a one-bin example.

Monte Carlo tolerances: a pass fraction from ``n`` independent trials with probability
``p`` has standard deviation ``sqrt(p (1 - p) / n)``; tests allow 4 to 5 standard
deviations (a two-sided 4-sigma band fails by chance with probability 6e-5), at fixed
seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.zk.physical import (
    DecisionRule,
    information_test,
    pass_probability,
    perturb_template,
    preload_means,
    round_pass_probability,
    rounds_needed,
    set_accept_probability,
    simulate_genuine_totals,
    simulate_protocol,
    simulate_raw_counts,
    simulate_totals,
    soundness_error,
)

# A symmetric eight-bin radiograph profile (counts at N_max = 1000) and a second genuine
# design with a different profile (mirror image shifted), both at most N_max.
TEMPLATE = np.array([800.0, 650.0, 500.0, 300.0, 300.0, 500.0, 650.0, 800.0])
OTHER_DESIGN = np.array([300.0, 500.0, 650.0, 800.0, 800.0, 650.0, 500.0, 300.0])


def _binomial_sd(p: float, n: int) -> float:
    return math.sqrt(p * (1.0 - p) / n)


# ----------------------------------------------------------------------------- model


def test_preload_is_complement_of_template() -> None:
    np.testing.assert_allclose(preload_means([1.0, 2.5, 0.0], 10), [9.0, 7.5, 10.0])


def test_genuine_totals_on_poisson_preload_have_mean_and_variance_n_max() -> None:
    rng = np.random.default_rng(11)
    totals = simulate_genuine_totals(TEMPLATE, 1000, 20_000, rng)
    # Poisson(1000): mean 1000, variance 1000; standard error of the mean sqrt(1000/2e4).
    np.testing.assert_allclose(totals.mean(axis=0), 1000.0, atol=5 * math.sqrt(1000 / 20_000))
    np.testing.assert_allclose(totals.var(axis=0), 1000.0, rtol=0.05)


def test_exact_preload_totals_have_variance_of_the_template() -> None:
    rng = np.random.default_rng(12)
    totals = simulate_genuine_totals(TEMPLATE, 1000, 20_000, rng, preload="exact")
    np.testing.assert_allclose(totals.mean(axis=0), 1000.0, atol=1.0)
    np.testing.assert_allclose(totals.var(axis=0), TEMPLATE, rtol=0.05)


def test_simulate_totals_shape_and_dtype() -> None:
    rng = np.random.default_rng(1)
    out = simulate_totals([5.0, 0.0], [1.0, 2.0], rng, size=3)
    assert out.shape == (3, 2)
    assert out.dtype == np.int64


def test_perturb_template() -> None:
    h = perturb_template([100.0, 200.0, 300.0], -0.25, [1])
    np.testing.assert_allclose(h, [100.0, 150.0, 300.0])
    np.testing.assert_allclose(perturb_template([100.0, 200.0], 0.1), [110.0, 220.0])


# ---------------------------------------------------------------------- decision rule


def test_one_bin_rule_by_hand() -> None:
    # n_max = 1, one bin, k = 2, alpha = 0.5: alpha_bin = 1 - 0.5^(1/2) = 0.2929, tails
    # 0.1464 each. P(T = 0) = e^-1 = 0.368 > 0.146 so lo = 0; P(T > 1) = 1 - 2/e = 0.264
    # > 0.146 and P(T > 2) = 1 - 2.5/e = 0.080 <= 0.146 so hi = 2.
    rule = DecisionRule(n_max=1, n_bins=1, alpha=0.5)
    assert rule.alpha_bin == pytest.approx(1 - math.sqrt(0.5))
    assert rule.bounds == (0, 2)
    a0 = 2.5 / math.e
    assert set_accept_probability([0.0], [1.0], rule) == pytest.approx(a0)
    # Genuine round: both sets accepted, (2.5/e)^2 = 0.846, false alarm 0.154 <= 0.5.
    assert round_pass_probability([1.0], [1.0], rule) == pytest.approx(a0**2)
    # A set preloaded for 1 count that receives a 0-count hoax totals Poisson(0) = 0,
    # accepted: at one count per bin the test has no power.
    assert round_pass_probability([1.0], [0.0], rule) == pytest.approx(a0)


def test_accepts_per_bin_and_chi2() -> None:
    rule = DecisionRule(n_max=1000, n_bins=2, alpha=0.01)
    lo, hi = rule.bounds
    assert rule.accepts([[1000, 1000], [lo, hi], [lo - 1, 1000]]).tolist() == [True, True, False]
    chi = DecisionRule(n_max=1000, n_bins=2, alpha=0.01, kind="chi2")
    # Critical value of chi2(2) at alpha_set = 1 - 0.99^(1/2): -2 ln(alpha_set) = 10.6.
    assert chi.chi2_critical == pytest.approx(-2 * math.log(chi.alpha_set))
    assert chi.accepts([1000, 1000])
    assert not chi.accepts([1000, 1200])


def test_false_alarm_exact_is_at_most_alpha_and_close_to_it() -> None:
    rule = DecisionRule(n_max=1000, n_bins=8, alpha=0.05)
    fa = 1.0 - round_pass_probability(TEMPLATE, TEMPLATE, rule)
    # Discreteness makes the per-bin rule conservative, but at N_max = 1000 only slightly.
    assert 0.9 * 0.05 <= fa <= 0.05


@pytest.mark.parametrize("kind", ["per_bin", "chi2"])
def test_false_alarm_monte_carlo(kind: str) -> None:
    alpha = 0.05
    trials = 20_000
    rule = DecisionRule(n_max=1000, n_bins=8, alpha=alpha, kind=kind)  # type: ignore[arg-type]
    sim = simulate_protocol(
        TEMPLATE, TEMPLATE, rule, rounds=1, trials=trials, rng=np.random.default_rng(2024)
    )
    fa = 1.0 - sim.pass_fraction
    # 5 binomial standard deviations (sd = 0.0015 here); the chi-square rule is only
    # asymptotically of size alpha, and at N_max = 1000 the Poisson-vs-normal error in
    # the tail is well inside this band.
    assert abs(fa - alpha) < 5 * _binomial_sd(alpha, trials)


# ------------------------------------------------------------------------- soundness


@pytest.mark.parametrize(("n_sets", "rounds"), [(2, 1), (2, 5), (2, 10), (4, 3)])
def test_preload_cheat_passes_with_one_over_k_to_the_n(n_sets: int, rounds: int) -> None:
    # A gross hoax (half the counts in every bin) with a tiny false-alarm budget: the
    # statistical tests pass every matched set and reject every mismatched one, so only
    # the inspector's random choice matters: (1/k)^rounds.
    rule = DecisionRule(n_max=1000, n_bins=8, alpha=1e-6, n_sets=n_sets)
    hoax = perturb_template(TEMPLATE, -0.5)
    p = pass_probability(TEMPLATE, hoax, rule, rounds=rounds, host="preload_for_hoax")
    assert p == pytest.approx((1.0 / n_sets) ** rounds, rel=1e-5)


def test_preload_cheat_formula_by_components() -> None:
    rule = DecisionRule(n_max=200, n_bins=3, alpha=0.05)
    t = np.array([150.0, 100.0, 50.0])
    h = np.array([150.0, 80.0, 50.0])
    p_t, p_h = 200 - t, 200 - h
    a0 = set_accept_probability(p_t, t, rule)
    expected = 0.5 * set_accept_probability(p_h, h, rule) * a0 + 0.5 * set_accept_probability(
        p_h, t, rule
    ) * set_accept_probability(p_t, h, rule)
    got = round_pass_probability(t, h, rule, host="preload_for_hoax")
    assert got == pytest.approx(expected)


def test_preload_cheat_monte_carlo_matches_half_to_the_n() -> None:
    trials = 20_000
    rule = DecisionRule(n_max=1000, n_bins=8, alpha=1e-6)
    hoax = perturb_template(TEMPLATE, -0.5)
    sim = simulate_protocol(
        TEMPLATE,
        hoax,
        rule,
        rounds=3,
        trials=trials,
        rng=np.random.default_rng(7),
        host="preload_for_hoax",
    )
    assert abs(sim.pass_fraction - 0.125) < 4 * _binomial_sd(0.125, trials)
    lo, hi = sim.confidence_interval(0.9999)
    assert lo < 0.125 < hi


def test_large_deficit_with_honest_preload_is_always_rejected() -> None:
    rule = DecisionRule(n_max=1000, n_bins=8, alpha=0.01)
    # 270 counts missing in two bins = 8.5 sigma (sqrt(1000) = 31.6) each, against a
    # per-bin threshold at about 3.4 sigma: each bin passes with probability ~1e-7.
    hoax = perturb_template(TEMPLATE, -0.9, [3, 4])
    assert pass_probability(TEMPLATE, hoax, rule, rounds=1) < 1e-9
    assert pass_probability(TEMPLATE, hoax, rule, rounds=3) < 1e-27
    sim = simulate_protocol(
        TEMPLATE, hoax, rule, rounds=1, trials=5_000, rng=np.random.default_rng(3)
    )
    assert sim.pass_fraction < 0.005


def test_honest_exact_matches_monte_carlo_for_marginal_hoax() -> None:
    trials = 20_000
    rule = DecisionRule(n_max=1000, n_bins=8, alpha=0.01)
    hoax = perturb_template(TEMPLATE, -0.3, [3, 4])  # 90 counts = 2.8 sigma per bin
    exact = pass_probability(TEMPLATE, hoax, rule, rounds=2)
    sim = simulate_protocol(
        TEMPLATE, hoax, rule, rounds=2, trials=trials, rng=np.random.default_rng(5)
    )
    assert 0.05 < exact < 0.95
    assert abs(sim.pass_fraction - exact) < 4 * _binomial_sd(exact, trials)


def test_blend_strategy_exact_matches_monte_carlo() -> None:
    trials = 20_000
    rule = DecisionRule(n_max=10_000, n_bins=8, alpha=0.01)
    t = TEMPLATE * 10
    hoax = perturb_template(t, -0.1, [3, 4])
    exact = round_pass_probability(t, hoax, rule, host="blend", blend=0.5)
    sim = simulate_protocol(
        t, hoax, rule, rounds=1, trials=trials, rng=np.random.default_rng(9), host="blend"
    )
    assert abs(sim.pass_fraction - exact) < 4 * _binomial_sd(exact, trials)


def test_soundness_error_is_the_best_strategy() -> None:
    rule = DecisionRule(n_max=10_000, n_bins=8, alpha=0.01)
    t = TEMPLATE * 10
    hoax = perturb_template(t, -0.1, [3, 4])
    best = soundness_error(t, hoax, rule, rounds=4)
    for host in ("honest", "preload_for_hoax", "blend"):
        p = pass_probability(t, hoax, rule, rounds=4, host=host)
        assert best.pass_probability >= p - 1e-15
    assert best.pass_probability == pytest.approx(best.round_pass_probability**4)
    # Near the noise level splitting the deviation over both sets beats both pure cheats.
    assert best.host == "blend"
    # A gross hoax: the preload cheat is best and gives (1/2)^rounds.
    strict = DecisionRule(n_max=1000, n_bins=8, alpha=1e-6)
    gross = soundness_error(TEMPLATE, perturb_template(TEMPLATE, -0.9), strict, rounds=4)
    assert gross.host == "preload_for_hoax"
    assert gross.pass_probability == pytest.approx(0.5**4, rel=1e-5)


def test_pass_probability_decreases_with_n_max() -> None:
    # The same relative hoax is easier to catch with more counts: shift grows as N_max,
    # noise as sqrt(N_max).
    probs = []
    for n_max in (1_000, 10_000, 100_000):
        t = TEMPLATE * n_max / 1000
        rule = DecisionRule(n_max=n_max, n_bins=8, alpha=0.01)
        probs.append(pass_probability(t, perturb_template(t, -0.1, [3, 4]), rule, rounds=1))
    assert probs[0] > probs[1] > probs[2]


def test_rounds_needed() -> None:
    assert rounds_needed(0.5, 2.0**-10) == 10
    assert rounds_needed(0.5, 0.001) == 10  # 2^-10 = 9.8e-4 <= 1e-3 < 2^-9
    assert rounds_needed(0.25, 0.5) == 1


# ------------------------------------------------------------------ information test


def test_totals_of_genuine_designs_carry_no_information() -> None:
    rng = np.random.default_rng(20140626)
    a = simulate_genuine_totals(TEMPLATE, 1000, 2_000, rng)
    b = simulate_genuine_totals(OTHER_DESIGN, 1000, 2_000, rng)
    res = information_test(a, b)
    assert res.dof > 0
    assert res.p_value > 0.05


def test_raw_counts_reveal_the_design() -> None:
    rng = np.random.default_rng(20140626)
    a = simulate_raw_counts(TEMPLATE, 2_000, rng)
    b = simulate_raw_counts(OTHER_DESIGN, 2_000, rng)
    assert information_test(a, b).p_value < 1e-12


def test_exact_preload_leaks_through_the_spread_of_totals() -> None:
    rng = np.random.default_rng(20140626)
    a = simulate_genuine_totals(TEMPLATE, 1000, 2_000, rng, preload="exact")
    b = simulate_genuine_totals(OTHER_DESIGN, 1000, 2_000, rng, preload="exact")
    assert information_test(a, b).p_value < 1e-6


def test_information_test_null_calibration() -> None:
    # Under the null hypothesis the p-value is roughly uniform: over 40 independent seeded
    # repetitions the fraction below 0.05 is a Binomial(40, 0.05) count, at most 6 with
    # probability 0.99.
    rng = np.random.default_rng(99)
    small = 0
    for _ in range(40):
        a = simulate_genuine_totals(TEMPLATE, 1000, 400, rng)
        b = simulate_genuine_totals(OTHER_DESIGN, 1000, 400, rng)
        small += information_test(a, b).p_value < 0.05
    assert small <= 6


# ----------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "where"),
    [
        (lambda: preload_means([-1.0, 2.0], 10), "template_counts"),
        (lambda: preload_means([11.0], 10), "n_max"),
        (lambda: preload_means([], 10), "template_counts"),
        (lambda: DecisionRule(n_max=100, n_bins=2, alpha=0.0), "alpha"),
        (lambda: DecisionRule(n_max=100, n_bins=2, alpha=1.0), "alpha"),
        (lambda: DecisionRule(n_max=100, n_bins=2, n_sets=1), "n_sets"),
        (lambda: DecisionRule(n_max=0, n_bins=2), "n_max"),
        (
            lambda: pass_probability([1.0, 2.0], [1.0], DecisionRule(100, 2), rounds=1),
            "candidate_counts",
        ),
        (
            lambda: pass_probability([1.0, 2.0], [1.0, 2.0], DecisionRule(100, 2), rounds=0),
            "rounds",
        ),
        (lambda: rounds_needed(1.5, 0.1), "round_pass"),
        (lambda: perturb_template([1.0], -1.0), "fraction"),
        (lambda: perturb_template([1.0], 0.1, [3]), "bins"),
        (
            lambda: round_pass_probability(
                [1.0], [2.0], DecisionRule(100, 1), host="blend", blend=2.0
            ),
            "blend",
        ),
        (
            lambda: set_accept_probability([1.0], [1.0], DecisionRule(100, 1, kind="chi2")),
            "rule.kind",
        ),
        (lambda: information_test(np.ones((10, 2)), np.ones((100, 2))), "sample_a"),
        (lambda: information_test(np.ones((100, 2)), np.ones((100, 3))), "sample_b"),
        (lambda: DecisionRule(100, 2).accepts([1.0, 2.0, 3.0]), "totals"),
    ],
)
def test_bad_input_raises_input_error(call: object, where: str) -> None:
    assert callable(call)
    with pytest.raises(InputError) as info:
        call()
    assert info.value.where == where


def test_hoax_above_n_max_cannot_be_preloaded_for() -> None:
    rule = DecisionRule(n_max=100, n_bins=1)
    with pytest.raises(InputError) as info:
        round_pass_probability([50.0], [150.0], rule, host="preload_for_hoax")
    assert info.value.where == "candidate_counts"
