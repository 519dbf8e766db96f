"""The plutonium-mass attribute from multiplicity rates with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.neutron.attribute import MultiplicityMeasurement, pu_mass_attribute
from treatyverify.methods.neutron.point_model import predicted_rates

EFF, FD, FT = 0.5, 0.65, 0.65**2
F238, F240, F242 = 0.0001, 0.06, 0.0004


def measurement(mass_kg: float, *, rel_sigma: float = 0.0) -> MultiplicityMeasurement:
    """Rates predicted for ``mass_kg`` of weapon-grade plutonium metal (M = 1.1, alpha 0)."""
    m240eff_g = 1000.0 * mass_kg * (2.52 * F238 + F240 + 1.68 * F242)
    rates = predicted_rates(
        m240eff_g,
        1.1,
        0.0,
        efficiency=EFF,
        doubles_gate_fraction=FD,
        triples_gate_fraction=FT,
    ).as_array()
    cov = np.diag((rel_sigma * rates) ** 2)
    return MultiplicityMeasurement(
        singles_per_s=float(rates[0]),
        doubles_per_s=float(rates[1]),
        triples_per_s=float(rates[2]),
        rates_covariance=cov,
        efficiency=EFF,
        doubles_gate_fraction=FD,
        triples_gate_fraction=FT,
        f238=F238,
        f240=F240,
        f242=F242,
    )


def test_hand_check_of_singles_rate() -> None:
    # 4 kg, m240eff = 4000 (2.52e-4 + 0.06 + 6.72e-4) = 243.7 g; F = 473 * 243.7 /s;
    # S = F eps M nu_s1 (1 + alpha) = 115270 * 0.5 * 1.1 * 2.154 = 1.3656e5 /s.
    meas = measurement(4.0)
    assert meas.singles_per_s == pytest.approx(473.0 * 243.696 * 0.5 * 1.1 * 2.154, rel=1e-9)
    result = pu_mass_attribute(meas, min_mass_kg=0.5)
    assert result.mass_kg == pytest.approx(4.0, rel=1e-6)
    assert result.multiplication == pytest.approx(1.1, rel=1e-6)
    assert result.alpha == pytest.approx(0.0, abs=1e-6)
    assert result.passed


def test_threshold_decision_both_ways() -> None:
    assert pu_mass_attribute(measurement(0.6), min_mass_kg=0.5).passed
    assert not pu_mass_attribute(measurement(0.4), min_mass_kg=0.5).passed


def test_uncertainty_is_propagated_from_the_rates() -> None:
    result = pu_mass_attribute(measurement(2.0, rel_sigma=0.01), min_mass_kg=0.5)
    assert 0.0 < result.mass_sigma_kg < 0.5 * result.mass_kg


def test_bad_covariance_is_refused() -> None:
    with pytest.raises(InputError, match="3x3"):
        MultiplicityMeasurement(1.0, 1.0, 1.0, np.zeros((2, 2)), 0.5, 0.6, 0.36, 0.0, 0.06, 0.0)


def test_repr_hides_the_rates() -> None:
    assert "1.3" not in repr(measurement(4.0))
