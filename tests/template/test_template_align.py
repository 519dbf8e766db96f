"""The energy-scale alignment: the drift it finds, the statistics of its rebinning, its limits."""

from __future__ import annotations

import re

import numpy as np
import pytest
from template_reference import expected, needs_reference

from treatyverify.errors import InputError
from treatyverify.methods.template.align import (
    IDENTITY,
    MAX_GAIN_CHANGE,
    MAX_OFFSET_CHANNELS,
    Alignment,
    align_counts,
    drifted_expectation,
    fit_alignment,
)


def drift(offset: float, gain: float) -> Alignment:
    return Alignment(offset, gain, 0.0, 0.0, 0, 2.0, MAX_OFFSET_CHANNELS, MAX_GAIN_CHANGE)


def test_the_binomial_split_keeps_poisson_statistics() -> None:
    # Half a channel of offset is where a proportional split would halve the variance
    # and correlate neighbours by 0.5; the binomial split leaves Poisson counts.
    rng = np.random.default_rng(5)
    rate = 40.0
    template = rng.poisson(rate, 20000).astype(np.float64)
    candidate = rng.poisson(rate, 20000).astype(np.float64)
    t_al, c_al = align_counts(template, candidate, drift(1.0, 0.0))
    for values in (t_al, c_al):
        inner = values[10:-10]
        assert inner.mean() == pytest.approx(rate, rel=0.01)
        assert inner.var() / inner.mean() == pytest.approx(1.0, abs=0.04)
        lag_one = np.corrcoef(inner[:-1], inner[1:])[0, 1]
        assert abs(lag_one) < 0.03


def test_every_count_is_kept_or_dropped_never_divided() -> None:
    rng = np.random.default_rng(6)
    template = rng.poisson(7.0, 3000).astype(np.float64)
    candidate = rng.poisson(7.0, 3000).astype(np.float64)
    t_al, c_al = align_counts(template, candidate, drift(0.6, 4e-4))
    for before, after in ((template, t_al), (candidate, c_al)):
        assert np.all(after == np.round(after))
        # Only what is moved past the common range is dropped: a few channels' worth.
        assert 0.0 <= before.sum() - after.sum() <= before[:4].sum() + before[-4:].sum()


def test_the_split_is_a_function_of_the_data() -> None:
    rng = np.random.default_rng(7)
    template = rng.poisson(3.0, 1000).astype(np.float64)
    candidate = rng.poisson(3.0, 1000).astype(np.float64)
    first = align_counts(template, candidate, drift(0.3, 0.0))
    second = align_counts(template.copy(), candidate.copy(), drift(0.3, 0.0))
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])


def test_the_identity_changes_nothing() -> None:
    template = np.array([1.5, 2.0, 3.0])  # not whole counts: no split is needed
    t_al, c_al = align_counts(template, template, IDENTITY)
    assert np.array_equal(t_al, template) and np.array_equal(c_al, template)


def test_counts_that_are_not_whole_are_refused_without_their_values() -> None:
    counts = np.full(100, 12.5)
    with pytest.raises(InputError) as caught:
        align_counts(counts, np.full(100, 12.0), drift(0.3, 0.0))
    assert caught.value.where == "template"
    assert not re.search(r"\d", str(caught.value))


@pytest.mark.parametrize(
    ("name", "value"), [("max_offset_channels", -1.0), ("max_gain_change", float("nan"))]
)
def test_the_limits_are_checked(name: str, value: float) -> None:
    counts = np.ones(100)
    with pytest.raises(InputError) as caught:
        fit_alignment(counts, counts, **{name: value})
    assert caught.value.where == name


def test_a_spectrum_without_lines_gets_no_correction() -> None:
    rng = np.random.default_rng(8)
    counts = rng.poisson(5.0, 4096).astype(np.float64)
    other = rng.poisson(5.0, 4096).astype(np.float64)
    alignment = fit_alignment(counts, other)
    assert alignment.peaks == 0
    assert alignment.parameters == pytest.approx(0.0, abs=1e-9)
    assert alignment.within_limits


def test_the_drifted_expectation_keeps_the_counts_and_moves_by_the_drift() -> None:
    x = np.arange(600, dtype=np.float64)
    counts = np.round(20.0 + 4000.0 * np.exp(-0.5 * ((x - 300.0) / 4.0) ** 2))
    still = drifted_expectation(counts)
    moved = drifted_expectation(counts, offset_channels=3.0)
    assert still.sum() == pytest.approx(counts.sum(), rel=1e-3)
    # A whole-channel offset moves the expectation by that many channels exactly.
    assert np.allclose(moved[50:550], still[47:547], rtol=1e-9, atol=1e-9)
    # A gain change moves the line at channel coordinate 300.5 (the centre of channel
    # 300) to 300.5 (1 + g), and thins the continuum by 1 / (1 + g) per channel.
    stretched = drifted_expectation(counts, gain_change=1e-3) - 20.0 / 1.001
    centroid = float(np.sum(x[100:500] * stretched[100:500]) / np.sum(stretched[100:500]))
    assert centroid == pytest.approx(300.5 * 1.001 - 0.5, abs=0.005)


@needs_reference
@pytest.mark.parametrize(
    ("name", "offset", "gain"),
    [
        ("Pu239_Unshielded", 0.25, 3e-4),
        ("Pu239_Shielded", -0.25, -3e-4),
        ("U235_Unshielded_9330", 0.25, -3e-4),
    ],
)
def test_a_known_drift_is_recovered(name: str, offset: float, gain: float) -> None:
    rng = np.random.default_rng(9)
    pulls = []
    for _ in range(6):
        template = rng.poisson(expected(name)).astype(np.float64)
        candidate = rng.poisson(expected(name, offset, gain)).astype(np.float64)
        alignment = fit_alignment(template, candidate)
        assert alignment.within_limits
        assert alignment.peaks >= 5
        pulls.append((alignment.offset_channels - offset) / alignment.offset_sigma)
        pulls.append((alignment.gain_change - gain) / alignment.gain_sigma)
    # The stated uncertainties describe the scatter: every pull within 4 sigma.
    assert max(abs(p) for p in pulls) < 4.0


@needs_reference
@pytest.mark.parametrize(("offset", "gain"), [(3.0, 0.0), (0.0, 2e-3)])
def test_a_drift_beyond_the_limits_is_found_beyond_them(offset: float, gain: float) -> None:
    rng = np.random.default_rng(10)
    template = rng.poisson(expected("Pu239_Shielded")).astype(np.float64)
    candidate = rng.poisson(expected("Pu239_Shielded", offset, gain)).astype(np.float64)
    assert not fit_alignment(template, candidate).within_limits
