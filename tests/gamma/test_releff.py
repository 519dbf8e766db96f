"""The physical relative efficiency: escape probability, mixtures, the generic detector."""

from __future__ import annotations

import math

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.gamma.releff import (
    Absorber,
    EfficiencyModel,
    IntrinsicTable,
    attenuation_coefficients,
    generic_hpge,
)
from treatyverify.methods.nucdata.tables import mass_attenuation


def test_slab_escape_probability_by_hand() -> None:
    # S(t) = (1 - exp(-t)) / t: S(1) = 0.632121, S(10) = 0.099995; thin: S -> 1 - t/2.
    model = EfficiencyModel({"U": 1.0})
    energies = np.array([200.0])
    att = model.attenuation_table(energies)
    mu = mass_attenuation("U", 200.0)
    for x_item, expected in ((1.0 / mu, 0.632121), (10.0 / mu, 0.099995), (1e-9 / mu, 1.0)):
        no_tilt = np.array([0.0, 0.0, x_item])
        with_item, _ = model.log_efficiency(no_tilt, att)
        bare, _ = model.log_detector(no_tilt, att)
        assert math.exp(with_item[0] - bare[0]) == pytest.approx(expected, rel=1e-5)


def test_thick_item_follows_one_over_mu() -> None:
    model = EfficiencyModel({"U": 1.0})
    energies = np.array([185.72, 1001.03])
    att = model.attenuation_table(energies)
    theta = np.array([0.0, 0.0, 1000.0])  # opaque at both energies
    item, _ = model.log_efficiency(theta, att)
    bare, _ = model.log_detector(theta, att)
    ratio = math.exp((item[1] - bare[1]) - (item[0] - bare[0]))
    mu = [mass_attenuation("U", e) for e in energies]
    assert ratio == pytest.approx(mu[0] / mu[1], rel=1e-6)


def test_mixture_rule_for_uranium_dioxide() -> None:
    # UO2 by mass: U 238.0289 / (238.0289 + 2 x 15.9994) = 0.88148 (atomic weights of
    # XCOM ATWTS.DAT and IUPAC for oxygen); mu/rho is the weighted sum of the elements'.
    w_u = 238.0289 / (238.0289 + 2 * 15.9994)
    value = attenuation_coefficients({"U": w_u, "O": 1 - w_u}, np.array([662.0]))[0]
    hand = w_u * mass_attenuation("U", 662.0) + (1 - w_u) * mass_attenuation("O", 662.0)
    assert value == pytest.approx(hand, rel=1e-12)
    with pytest.raises(InputError, match="sum to 1"):
        attenuation_coefficients({"U": 0.5}, np.array([662.0]))


def test_generic_detector_is_the_geometric_mean_with_a_small_residual() -> None:
    generic = generic_hpge()
    # GADRAS generic HPGe 10 / 20 / 40 %, full-energy peak efficiency at 1000 keV:
    # 6.7000, 14.849 and 15.589 per cent; their geometric mean is 11.577.
    at_1000 = math.exp(float(generic.table.log_efficiency(np.array([1000.0]))[0]))
    assert at_1000 == pytest.approx((6.7000 * 14.849 * 15.589) ** (1 / 3), rel=1e-9)
    assert 0.01 < generic.slope_sigma < 0.3 and 0.05 < generic.low_energy_sigma < 2.0
    assert generic.residual_sigma < 0.05
    assert generic.names == ("hpge-10", "hpge-20", "hpge-40")


def test_efficiency_derivatives_match_finite_differences() -> None:
    model = EfficiencyModel(
        {"Pu": 1.0},
        absorbers=(Absorber("steel", {"Fe": 1.0}), Absorber("lead", {"Pb": 1.0}, 0.5)),
    )
    energies = np.array([129.3, 208.0, 413.7, 645.9])
    att = model.attenuation_table(energies)
    theta = np.array([-0.05, 0.2, 3.0, 1.5])
    value, jac = model.log_efficiency(theta, att)
    for j in range(theta.size):
        step = np.zeros_like(theta)
        step[j] = 1e-6
        moved, _ = model.log_efficiency(theta + step, att)
        np.testing.assert_allclose((moved - value) / 1e-6, jac[:, j], rtol=1e-4, atol=1e-8)
    assert model.names == ("slope", "low_energy", "x_item", "x_steel")


def test_a_characterised_detector_replaces_the_generic_shape() -> None:
    table = IntrinsicTable((100.0, 1000.0), (2.0, 0.2), "a test detector")
    assert table.log_efficiency(np.array([math.sqrt(1e5)]))[0] == pytest.approx(0.5 * math.log(0.4))
    # beyond the table the end slopes continue (-1 in ln-ln here)
    assert table.log_efficiency(np.array([2000.0]))[0] == pytest.approx(math.log(0.1))
    with pytest.raises(InputError, match="increasing"):
        IntrinsicTable((200.0, 100.0), (1.0, 1.0), "x")
