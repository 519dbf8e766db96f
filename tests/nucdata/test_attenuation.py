"""Curated mass-attenuation table: Hubbell-Seltzer values, interpolation, errors."""

from __future__ import annotations

import itertools
import math

import pytest

from treatyverify.errors import InputError, UnknownNameError
from treatyverify.methods.nucdata.tables import (
    attenuation_factor,
    load_attenuation,
    mass_attenuation,
)

MATERIALS = ["Al", "Fe", "W", "Pb", "U", "polyethylene", "concrete"]
K_EDGE_KEV = {"W": 69.53, "Pb": 88.00, "U": 115.6}  # Hubbell-Seltzer Table 3 edge rows


def test_all_materials_present() -> None:
    assert set(MATERIALS) <= set(load_attenuation().materials)


@pytest.mark.parametrize("name", MATERIALS)
def test_table_consistent(name: str) -> None:
    mat = load_attenuation().materials[name]
    assert mat.url.startswith("https://physics.nist.gov/PhysRefData/XrayMassCoef/")
    assert mat.energies_kev[0] == 40
    assert mat.energies_kev[-1] == 3000
    assert all(m > 0 for m in mat.mu_rho_cm2_g)


def test_reference_values() -> None:
    # Hubbell & Seltzer, NISTIR 5632, Table 3: Pb 1 MeV 7.102E-02, Fe 1 MeV 5.995E-02,
    # Pb 100 keV 5.549E+00 cm^2/g.
    assert mass_attenuation("Pb", 1000.0) == pytest.approx(0.07102)
    assert mass_attenuation("Fe", 1000.0) == pytest.approx(0.05995)
    assert mass_attenuation("Pb", 100.0) == pytest.approx(5.549)


@pytest.mark.parametrize("name", MATERIALS)
def test_exact_at_tabulated_points(name: str) -> None:
    mat = load_attenuation().materials[name]
    for e, m in zip(mat.energies_kev, mat.mu_rho_cm2_g, strict=True):
        if mat.energies_kev.count(e) == 1:
            assert mass_attenuation(name, e) == m


def test_interpolation_is_log_log() -> None:
    # Geometric mean of 500 and 800 keV gets the geometric mean of the coefficients.
    e = math.sqrt(600.0 * 800.0)
    expected = math.sqrt(0.1248 * 0.08870)
    assert mass_attenuation("Pb", e) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", MATERIALS)
def test_monotonic_above_k_edge(name: str) -> None:
    # Above the K edge (and below ~3 MeV, where pair production is still small)
    # mu/rho falls with energy.
    start = K_EDGE_KEV.get(name, 40.0) + 0.01
    energies = [start * (3000.0 / start) ** (k / 200) for k in range(201)]
    values = [mass_attenuation(name, e) for e in energies]
    assert all(b < a for a, b in itertools.pairwise(values))


def test_edge_jump() -> None:
    assert mass_attenuation("Pb", 88.0) == pytest.approx(7.683)  # above-edge row
    assert mass_attenuation("Pb", 87.99) < 2.0


def test_lead_half_value_layer_at_cs137() -> None:
    # HVL = ln 2 / (mu/rho * rho); for lead at 661.7 keV about 0.55 cm (computed),
    # the usual "about 0.6 cm" of shielding handbooks for broad beams being larger.
    mu = mass_attenuation("Pb", 661.7) * 11.35
    hvl = math.log(2) / mu
    assert 0.5 < hvl < 0.6
    assert attenuation_factor("Pb", hvl, 661.7, density=11.35) == pytest.approx(0.5)


def test_density_required_for_compounds() -> None:
    with pytest.raises(InputError, match="concrete"):
        attenuation_factor("concrete", 10.0, 661.7)
    t = attenuation_factor("concrete", 10.0, 661.7, density=2.3)
    assert 0 < t < 1


def test_errors_name_the_problem() -> None:
    with pytest.raises(UnknownNameError, match="Pu"):
        mass_attenuation("Pu", 100.0)
    with pytest.raises(InputError, match="outside"):
        mass_attenuation("Pb", 30.0)
    with pytest.raises(InputError, match="outside"):
        mass_attenuation("Pb", 5000.0)
    with pytest.raises(InputError, match="negative"):
        attenuation_factor("Pb", -1.0, 661.7)
    assert attenuation_factor("Pb", 0.0, 661.7) == 1.0
