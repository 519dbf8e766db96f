"""The whole-spectrum template test on the GADRAS reference spectra (independent data).

Templates and candidates are Poisson draws of a reference item's expected counts
(``template_reference``); genuine candidates are drawn with the drift of a real
instrument (a quarter of a channel, a few parts in 10^4 of gain), hoaxes are other
reference items or mixtures of two. The normalization is ``total``, the
warhead-dismantlement specification's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from template_reference import LIVE_TIME_S, Counted, expected, mixed, needs_reference

from treatyverify.methods.template.compare import DRIFT_BEYOND_LIMIT, compare_spectra

pytestmark = needs_reference

NORMALIZATION = "total"


def pair(
    template: str, candidate_rate: np.ndarray, rng: np.random.Generator
) -> tuple[Counted, Counted]:
    return (
        Counted(rng.poisson(expected(template)).astype(np.float64), LIVE_TIME_S),
        Counted(rng.poisson(candidate_rate).astype(np.float64), LIVE_TIME_S),
    )


def test_a_quarter_channel_fails_without_alignment_and_passes_with_it() -> None:
    # The user's report: a genuine item a quarter of a channel away failed at p ~ 1e-50.
    rng = np.random.default_rng(1)
    template, candidate = pair("Pu239_Unshielded", expected("Pu239_Unshielded", 0.25), rng)
    unaligned = compare_spectra(
        template,
        candidate,
        false_alarm_probability=0.01,
        normalization=NORMALIZATION,
        max_offset_channels=0.0,
        max_gain_change=0.0,
    )
    assert unaligned.p_value < 1e-10
    aligned = compare_spectra(
        template, candidate, false_alarm_probability=0.01, normalization=NORMALIZATION
    )
    assert aligned.passed
    assert aligned.alignment is not None
    assert aligned.alignment.offset_channels == pytest.approx(0.25, abs=0.1)


@pytest.mark.parametrize(
    ("name", "offset", "gain"),
    [
        ("Pu239_Unshielded", 0.25, 3e-4),
        ("U235_Unshielded_9330", -0.25, -3e-4),
        ("Pu239_Shielded", 0.0, 5e-4),
    ],
)
def test_genuine_drifted_items_pass_at_the_nominal_rate(
    name: str, offset: float, gain: float
) -> None:
    rng = np.random.default_rng(2)
    trials, alpha = 80, 0.05
    p_values = []
    for _ in range(trials):
        template, candidate = pair(name, expected(name, offset, gain), rng)
        result = compare_spectra(
            template, candidate, false_alarm_probability=alpha, normalization=NORMALIZATION
        )
        assert result.reason == ""
        p_values.append(result.p_value)
    failures = sum(p < alpha for p in p_values)
    # 4 expected; 10 or more has a binomial probability of 0.7 % under the nominal rate.
    assert failures <= 9
    assert stats.kstest(p_values, "uniform").pvalue > 0.001


HOAXES = [
    ("Pu239_Unshielded", {"Pu238_Unshielded": 1.0}),  # heat-source plutonium
    ("Pu239_Unshielded", {"U235_Unshielded_9330": 1.0}),  # uranium for plutonium
    ("Pu239_Unshielded", {"U238_Unshielded": 1.0}),  # depleted uranium
    ("Pu239_Unshielded", {"Pu239_Shielded": 1.0}),  # shielded against unshielded
    ("Pu239_Unshielded", {"Pu239_Unshielded": 0.99, "Pu238_Unshielded": 0.01}),
    ("Pu239_Unshielded", {"Pu239_Unshielded": 0.995, "U235_Unshielded_9330": 0.005}),
    ("U235_Unshielded_9330", {"U235_Unshielded_9000": 1.0}),  # another enrichment
    ("U235_Unshielded_9330", {"U235_Unshielded_2000": 1.0}),
    ("U235_Unshielded_9330", {"U235_Shielded": 1.0}),
]


@pytest.mark.parametrize(("template", "parts"), HOAXES)
def test_hoaxes_are_caught_even_when_the_scale_drifts(
    template: str, parts: dict[str, float]
) -> None:
    # Mixtures are weighted by each item's share of the counts: the other source's
    # expected counts are scaled to the template item's total first.
    total = float(expected(template).sum())
    rate = mixed(
        {name: weight * total / float(expected(name).sum()) for name, weight in parts.items()},
        offset_channels=0.25,
    )
    rng = np.random.default_rng(3)
    for _ in range(3):
        template_counts, candidate = pair(template, rate, rng)
        result = compare_spectra(
            template_counts,
            candidate,
            false_alarm_probability=0.01,
            normalization=NORMALIZATION,
        )
        assert not result.passed
        assert result.p_value < 1e-6


def test_a_drift_beyond_the_limits_fails_with_its_reason() -> None:
    rng = np.random.default_rng(4)
    template, candidate = pair("Pu239_Shielded", expected("Pu239_Shielded", 3.0), rng)
    result = compare_spectra(
        template, candidate, false_alarm_probability=0.01, normalization=NORMALIZATION
    )
    assert not result.passed
    assert result.reason == DRIFT_BEYOND_LIMIT
    assert math.isinf(result.statistic) and result.p_value == 0.0


def test_the_live_time_comparison_also_holds_under_drift() -> None:
    rng = np.random.default_rng(5)
    failures = 0
    for _ in range(40):
        template, candidate = pair(
            "Pu239_Unshielded", expected("Pu239_Unshielded", 0.25, 3e-4), rng
        )
        result = compare_spectra(
            template, candidate, false_alarm_probability=0.05, normalization="live-time"
        )
        failures += not result.passed
    assert failures <= 6  # 2 expected; 7 or more has a binomial probability of 0.5 %
