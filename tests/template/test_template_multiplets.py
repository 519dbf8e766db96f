"""The multiplet comparison: its rank handling, genuine items, hoaxes.

The rank handling is tested on covariances alone. Genuine items and hoaxes come from the
GADRAS reference spectra (``template_reference``: Poisson draws of a reference item,
with an instrument's drift), with the instrument's resolution measured once on the
template's reference file. Two cases the reference set does not hold are simulated
(``simulate_item``): genuine items that differ by up to 2 % in mass and 1 cm in
distance, and the reactor-grade and lead hoaxes.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
from scipy import stats
from template_reference import draw, expected, needs_reference, reference

from treatyverify.errors import InputError
from treatyverify.methods.gamma.attributes import GammaMeasurement
from treatyverify.methods.gamma.resolution import measurement_from_spectrum
from treatyverify.methods.gamma.simulate import HPGE_COAXIAL, simulate_item
from treatyverify.methods.template.multiplets import (
    DRIFT_BEYOND_LIMIT,
    MAX_RATIO_SIGMA,
    MAX_TEMPLATE_SIGMA,
    NO_PLUTONIUM,
    RATIO_NOT_MEASURED,
    compare_multiplets,
    subspace_chi_square,
)

# ------------------------------------------------------------------ rank handling


def test_an_unmeasured_ratio_no_longer_hides_the_measured_ones() -> None:
    # As fitted on a short unshielded count: the Pu-240 ratio unmeasured (standard
    # deviations of 2.6e5 and 4e17), the other two to a few per cent, and the candidate
    # 0.5 away in the second (ten standard deviations).
    template = np.array([[7e10, 3e3, -1e3], [3e3, 1.3e-3, 2e-4], [-1e3, 2e-4, 6e-3]])
    candidate = np.diag([1.7e35, 2e-3, 5e-3])
    difference = np.array([15.0, 0.5, -0.3])
    blind = float(difference @ np.linalg.lstsq(template + candidate, difference, rcond=None)[0])
    assert blind < 1e-20  # the old pseudo-inverse: p = 1.0
    test = subspace_chi_square(difference, template, candidate)
    assert (test.dof, test.unconstrained, test.measured) == (2, 1, True)
    sub = np.ix_([1, 2], [1, 2])
    expected_statistic = float(
        difference[1:] @ np.linalg.solve(template[sub] + candidate[sub], difference[1:])
    )
    assert test.statistic == pytest.approx(expected_statistic, rel=1e-9)
    assert stats.chi2.sf(test.statistic, test.dof) < 1e-15


def test_a_combination_measured_only_as_a_sum_counts_one_degree_of_freedom() -> None:
    # Two ratios each known to 0.16 but anticorrelated at -0.99: their sum is measured,
    # their difference is not.
    s = 0.16
    template = np.array([[s * s, -0.99 * s * s], [-0.99 * s * s, s * s]])
    test = subspace_chi_square(np.array([0.3, -0.3]), template, template)
    assert (test.dof, test.unconstrained) == (1, 1)
    assert test.statistic == pytest.approx(0.0, abs=1e-12)  # the difference is not tested


def test_a_candidate_must_measure_what_the_template_measures() -> None:
    # An item without Am-241: its ratio runs to the edge of the fit with a huge variance.
    template = np.diag([4e-4, 3e-3])
    candidate = np.diag([5e-4, 1e30])
    test = subspace_chi_square(np.array([0.01, -12.0]), template, candidate)
    assert not test.measured
    # Just inside the bound it is measured.
    inside = np.diag([5e-4, (0.9 * MAX_RATIO_SIGMA) ** 2 - 3e-3])
    assert subspace_chi_square(np.array([0.01, 0.0]), template, inside).measured


def test_a_template_that_measures_nothing_is_refused() -> None:
    template = np.diag([(2 * MAX_TEMPLATE_SIGMA) ** 2] * 3)
    with pytest.raises(InputError) as caught:
        subspace_chi_square(np.zeros(3), template, template)
    assert not re.search(r"\d", caught.value.message)


# ------------------------------------------------------------------ reference spectra


@functools.cache
def resolution(name: str) -> tuple[float, float]:
    """The instrument's resolution, measured once on the reference file."""
    measured = measurement_from_spectrum(reference(name))
    return measured.fwhm_noise_kev, measured.fwhm_fano_kev


def measure(
    name: str, rng: np.random.Generator, offset: float = 0.0, gain: float = 0.0, *, of: str
) -> GammaMeasurement:
    noise, fano = resolution(of)
    spectrum = draw(expected(name, offset, gain), rng, name)
    return measurement_from_spectrum(spectrum, fwhm_noise_kev=noise, fwhm_fano_kev=fano)


@needs_reference
@pytest.mark.parametrize(
    ("name", "offset", "gain", "dof"),
    [
        ("Pu239_Unshielded", 0.25, 3e-4, 2),  # Pu-240 unmeasured in 30 min unshielded
        ("Pu239_Shielded", -0.25, 2e-4, 3),
    ],
)
def test_genuine_reference_items_pass(name: str, offset: float, gain: float, dof: int) -> None:
    rng = np.random.default_rng(11)
    trials, alpha = 40, 0.05
    failures = 0
    for _ in range(trials):
        result = compare_multiplets(
            measure(name, rng, of=name),
            measure(name, rng, offset, gain, of=name),
            false_alarm_probability=alpha,
        )
        assert result.reason == ""
        assert (result.dof, result.unconstrained) == (dof, 3 - dof)
        failures += not result.passed
    assert failures <= 6  # 2 expected; 7 or more has a binomial probability of 0.5 %


@needs_reference
@pytest.mark.parametrize("template", ["Pu239_Unshielded", "Pu239_Shielded"])
@pytest.mark.parametrize(
    "hoax", ["Pu238_Unshielded", "Pu238_Shielded", "U235_Unshielded_9330", "U238_Unshielded"]
)
def test_other_materials_fail(template: str, hoax: str) -> None:
    # The user's report: heat-source Pu-238 passed a weapon-grade template at p = 1.0.
    rng = np.random.default_rng(12)
    for _ in range(4):
        result = compare_multiplets(
            measure(template, rng, of=template),
            measure(hoax, rng, 0.25, of=template),
            false_alarm_probability=0.01,
        )
        assert not result.passed
        assert result.p_value < 1e-6
        assert result.reason in ("", NO_PLUTONIUM, RATIO_NOT_MEASURED, DRIFT_BEYOND_LIMIT)


@needs_reference
def test_uranium_fails_for_want_of_plutonium() -> None:
    rng = np.random.default_rng(13)
    result = compare_multiplets(
        measure("Pu239_Unshielded", rng, of="Pu239_Unshielded"),
        measure("U235_Unshielded_9330", rng, of="Pu239_Unshielded"),
        false_alarm_probability=0.01,
        max_offset_channels=0.0,
        max_gain_change=0.0,
    )
    assert not result.passed and result.reason == NO_PLUTONIUM


@needs_reference
def test_a_drift_beyond_the_limits_fails_with_its_reason() -> None:
    rng = np.random.default_rng(14)
    result = compare_multiplets(
        measure("Pu239_Shielded", rng, of="Pu239_Shielded"),
        measure("Pu239_Shielded", rng, 3.0, of="Pu239_Shielded"),
        false_alarm_probability=0.01,
    )
    assert not result.passed and result.reason == DRIFT_BEYOND_LIMIT


@needs_reference
def test_a_template_without_plutonium_is_refused() -> None:
    rng = np.random.default_rng(15)
    with pytest.raises(InputError) as caught:
        compare_multiplets(
            measure("U235_Unshielded_9330", rng, of="Pu239_Unshielded"),
            measure("Pu239_Unshielded", rng, of="Pu239_Unshielded"),
            false_alarm_probability=0.05,
        )
    assert "plutonium" in caught.value.message
    assert not re.search(r"\d", caught.value.message)


# ------------------------------------------------------------------ simulated items

# The detector's resolution as a straight line in FWHM^2 over 200-700 keV (the same
# instrument calibration docs/benchmarks.md uses).
NOISE_KEV, FANO_KEV = 0.7293, 0.00209


def item(kind: str, rng: np.random.Generator, *, vary: bool = True) -> GammaMeasurement:
    mass = 4.0 * (1.0 + (0.02 * rng.uniform(-1.0, 1.0) if vary else 0.0))
    distance = 50.0 + (rng.uniform(-1.0, 1.0) if vary else 0.0)
    spectrum = simulate_item(
        kind,
        mass_kg=mass,
        detector=HPGE_COAXIAL,
        live_time_s=600.0,
        distance_cm=distance,
        age_years=20.0,
        rng=rng,
    )
    return measurement_from_spectrum(spectrum, fwhm_noise_kev=NOISE_KEV, fwhm_fano_kev=FANO_KEV)


def test_simulated_genuine_items_of_varied_mass_and_distance_pass() -> None:
    rng = np.random.default_rng(2026)
    trials, alpha = 120, 0.05
    failures = 0
    p_values = []
    for _ in range(trials):
        template = item("weapon-grade-pu", rng, vary=False)
        result = compare_multiplets(
            template, item("weapon-grade-pu", rng), false_alarm_probability=alpha
        )
        failures += not result.passed
        p_values.append(result.p_value)
    # 6 expected; a rate beyond 13 in 120 (binomial tail below 0.3 %) means a miscalibrated test.
    assert failures <= 13
    assert 0.3 < float(np.median(p_values)) < 0.7


@pytest.mark.parametrize("hoax", ["reactor-grade-substitute", "lead-hoax"])
def test_simulated_hoaxes_are_caught(hoax: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(10):
        template = item("weapon-grade-pu", rng, vary=False)
        result = compare_multiplets(template, item(hoax, rng), false_alarm_probability=0.01)
        assert not result.passed
        assert result.p_value < 1e-6


def test_the_threshold_must_be_a_probability() -> None:
    rng = np.random.default_rng(4)
    measurement = item("weapon-grade-pu", rng)
    with pytest.raises(InputError):
        compare_multiplets(measurement, measurement, false_alarm_probability=0.0)
