"""Gamma attributes end to end on spectra of the package simulator.

The simulator (:mod:`treatyverify.methods.gamma.simulate`) emits every tabulated line
of each nuclide of a preset item, so these tests check that the isotopics fit models
every line it sees: the Pu-240/Pu-239 atom ratio of the weapon-grade and fuel-grade
presets, computed from their mass fractions, and the age since separation must come
back within a few standard deviations. Spectra are seeded.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from treatyverify.methods.gamma.attributes import GammaMeasurement, pu240_pu239_ratio, pu_age
from treatyverify.methods.gamma.calibration import EnergyCalibration
from treatyverify.methods.gamma.simulate import HPGE_COAXIAL, simulate_item
from treatyverify.methods.gamma.sources import preset
from treatyverify.methods.gamma.spectrum import Spectrum

DET = HPGE_COAXIAL
CAL = EnergyCalibration(
    (DET.offset_kev, DET.gain_kev_per_channel), np.zeros((2, 2)), (0.0, float(DET.n_channels))
)
# GammaMeasurement has FWHM^2 = a + b E; the detector adds c E^2 (c = 1e-7), folded
# into b at 500 keV (FWHM within 0.3 % between 200 and 700 keV).
NOISE_KEV, FANO_KEV = math.sqrt(DET.fwhm_a_kev2), DET.fwhm_b_kev + DET.fwhm_c * 500.0


def measurement(spectrum: Spectrum) -> GammaMeasurement:
    """The spectrum with the simulator's calibration (its channel edges) and resolution."""
    assert spectrum.channel_edges_kev is not None
    np.testing.assert_allclose(spectrum.channel_edges_kev, CAL.edges(DET.n_channels))
    return GammaMeasurement(spectrum, CAL, NOISE_KEV, FANO_KEV)


def true_ratio(kind: str) -> float:
    """N(Pu-240) / N(Pu-239) of a preset from its mass fractions (molar mass = A)."""
    f = preset(kind).mass_fractions
    return (f["Pu-240"] / 240.0) / (f["Pu-239"] / 239.0)


@pytest.mark.parametrize("kind", ["weapon-grade-pu", "fuel-grade-pu"])
@pytest.mark.parametrize("iron_cm", [0.0, 2.0])
@pytest.mark.parametrize("live_time_s", [300.0, 1800.0])
def test_ratio_recovered(kind: str, iron_cm: float, live_time_s: float) -> None:
    spectrum = simulate_item(
        kind,
        mass_kg=4.0,
        live_time_s=live_time_s,
        shielding=[("Fe", iron_cm)] if iron_cm else [],
        age_years=20.0,
        rng=7,
    )
    result = pu240_pu239_ratio(measurement(spectrum), max_ratio=0.1)
    truth = true_ratio(kind)
    assert abs(result.ratio - truth) < 2.5 * result.ratio_sigma
    assert abs(result.ratio / truth - 1.0) < 0.06
    assert result.efficiency_chi2 < 3.0 * result.efficiency_ndof


@pytest.mark.parametrize("years", [5.0, 20.0])
def test_age_recovered(years: float) -> None:
    spectrum = simulate_item(
        "weapon-grade-pu", mass_kg=4.0, live_time_s=1800.0, age_years=years, rng=11
    )
    result = pu_age(measurement(spectrum), min_age_years=1.0)
    assert abs(result.age_years - years) < 3.0 * result.age_sigma_years
    assert result.age_sigma_years < 0.1 * years


def test_fuel_grade_fails_weapon_grade_passes() -> None:
    for kind, passed in (("weapon-grade-pu", True), ("fuel-grade-pu", False)):
        spectrum = simulate_item(kind, mass_kg=4.0, live_time_s=1800.0, rng=3)
        assert pu240_pu239_ratio(measurement(spectrum), max_ratio=0.1).passed is passed
