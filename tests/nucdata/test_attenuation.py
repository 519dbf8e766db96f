"""Curated mass-attenuation table: Hubbell-Seltzer and XCOM values, interpolation, errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from treatyverify.errors import InputError, UnknownNameError
from treatyverify.methods.nucdata.tables import (
    ATOMIC_WEIGHTS,
    attenuation_factor,
    load_attenuation,
    mass_attenuation,
    mass_attenuation_array,
    mixture_attenuation,
    oxide_mass_fractions,
)

MATERIALS = ["Al", "Fe", "W", "Pb", "U", "Pu", "polyethylene", "concrete", "O", "Ge", "Cd"]
# Hubbell-Seltzer Table 3 edge rows; Pu from XCOM MDATX3.094 (121818.0 eV).
K_EDGE_KEV = {"W": 69.53, "Pb": 88.00, "U": 115.6, "Pu": 121.818}

#: XCOM 3.1 (XCOM.f): AVOG in 1e24/mol, atomic weights from ATWTS.DAT.
XCOM_AVOG = 0.60221367
XCOM_ATWT = {"U": 238.0289, "Pu": 239.0522}


def test_all_materials_present() -> None:
    assert set(MATERIALS) <= set(load_attenuation().materials)


@pytest.mark.parametrize("name", MATERIALS)
def test_table_consistent(name: str) -> None:
    mat = load_attenuation().materials[name]
    nist = "https://physics.nist.gov/PhysRefData/"
    assert mat.url.startswith(nist + ("Xcom/" if name == "Pu" else "XrayMassCoef/"))
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
    with pytest.raises(UnknownNameError, match="Th"):
        mass_attenuation("Th", 100.0)
    with pytest.raises(InputError, match="outside"):
        mass_attenuation("Pb", 30.0)
    with pytest.raises(InputError, match="outside"):
        mass_attenuation("Pb", 5000.0)
    with pytest.raises(InputError, match="negative"):
        attenuation_factor("Pb", -1.0, 661.7)
    assert attenuation_factor("Pb", 0.0, 661.7) == 1.0


def _xcom_mu_rho(element: str, partials_b_atom: tuple[float, ...]) -> float:
    """mu/rho as XCOM.f prints it: sum of the partials (b/atom) * AVOG / A, 4 figures."""
    return float(f"{sum(partials_b_atom) * XCOM_AVOG / XCOM_ATWT[element]:.3e}")


# Partial cross sections (coherent, incoherent, photoelectric, pair nuclear, pair electron),
# b/atom, copied from the XCOM distribution in bruceravel/demeter lib/Xray/data/xcom/
# (commit e1c0b9173359799680f0b2e1d2de68ef76ed2c19), MDATX3.094 and MDATX3.092.
PU_PARTIALS = {
    100.0: (105.5, 38.29, 701.2, 0.0, 0.0),
    400.0: (8.976, 28.68, 86.36, 0.0, 0.0),
    3000.0: (0.1806, 10.82, 1.675, 5.546, 3.778e-03),
}
PU_K_EDGE_PARTIALS = ((75.71, 37.83, 412.1, 0.0, 0.0), (75.71, 37.83, 1708.0, 0.0, 0.0))
U_PARTIALS = {
    200.0: (29.82, 34.32, 448.9, 0.0, 0.0),
    1500.0: (0.6635, 15.72, 4.83, 0.8691, 0.0),
}


@pytest.mark.parametrize("energy", sorted(PU_PARTIALS))
def test_plutonium_values_from_xcom(energy: float) -> None:
    assert mass_attenuation("Pu", energy) == _xcom_mu_rho("Pu", PU_PARTIALS[energy])


def test_plutonium_reference_values() -> None:
    # The table's Pu column, as XCOM 3.1 prints it from MDATX3.094.
    assert mass_attenuation("Pu", 100.0) == pytest.approx(2.129)
    assert mass_attenuation("Pu", 400.0) == pytest.approx(0.3124)
    assert mass_attenuation("Pu", 1000.0) == pytest.approx(0.08262)


@pytest.mark.parametrize("energy", sorted(U_PARTIALS))
def test_xcom_arithmetic_reproduces_hubbell_seltzer_uranium(energy: float) -> None:
    # The derivation used for Pu, applied to MDATX3.092, gives the Hubbell-Seltzer U row.
    assert mass_attenuation("U", energy) == _xcom_mu_rho("U", U_PARTIALS[energy])


def test_plutonium_k_edge_jump() -> None:
    mat = load_attenuation().materials["Pu"]
    i = mat.energies_kev.index(121.818)
    assert mat.energies_kev[i + 1] == 121.818
    below, above = mat.mu_rho_cm2_g[i], mat.mu_rho_cm2_g[i + 1]
    assert (below, above) == tuple(_xcom_mu_rho("Pu", p) for p in PU_K_EDGE_PARTIALS)
    assert mass_attenuation("Pu", 121.818) == above == pytest.approx(4.589)
    assert mass_attenuation("Pu", 121.8) < 1.4 < 4.0 < above
    assert above / below == pytest.approx(3.47, abs=0.01)


def test_plutonium_against_uranium() -> None:
    # Between the two K edges uranium is above its edge and plutonium below its own.
    assert mass_attenuation("U", 118.0) > 3 * mass_attenuation("Pu", 118.0)
    # Elsewhere Pu is a few per cent above U: about 7 % at 150-400 keV (photoelectric),
    # falling to about 3 % at 3 MeV (Z/A: +1.7 %; pair production ~Z^2/A).
    for energy in (150.0, 200.0, 300.0, 400.0):
        assert 1.06 < mass_attenuation("Pu", energy) / mass_attenuation("U", energy) < 1.08
    for energy in (1000.0, 2000.0, 3000.0):
        assert 1.02 < mass_attenuation("Pu", energy) / mass_attenuation("U", energy) < 1.05


# ------------------------------------------------------------ O, Ge, Cd (Table 3)

# Rows of the NIST element tables as transcribed in ehsteve/roentgen
# roentgen/data/elements/zNN.csv (commit 93a47835a9b9cc15d502acee302b7da9d7ebddb6),
# energy in MeV there: z08.csv "1.000e-01,1.551e-01", "6.000e-01,8.070e-02",
# "3.000e+00,3.597e-02"; z32.csv "4.000e-02,6.207e+00", "1.000e-01,5.550e-01",
# "1.000e+00,5.727e-02"; z48.csv "4.000e-02,1.778e+01", "1.500e-01,5.593e-01",
# "2.000e+00,4.139e-02".
NEW_ELEMENT_ROWS = [
    ("O", 100.0, 0.1551),
    ("O", 600.0, 0.08070),
    ("O", 3000.0, 0.03597),
    ("Ge", 40.0, 6.207),
    ("Ge", 100.0, 0.5550),
    ("Ge", 1000.0, 0.05727),
    ("Cd", 40.0, 17.78),
    ("Cd", 150.0, 0.5593),
    ("Cd", 2000.0, 0.04139),
]


@pytest.mark.parametrize(("name", "energy", "mu_rho"), NEW_ELEMENT_ROWS)
def test_new_elements_match_the_nist_rows(name: str, energy: float, mu_rho: float) -> None:
    assert mass_attenuation(name, energy) == mu_rho


def test_new_element_densities_from_table_1() -> None:
    # Hubbell-Seltzer Table 1 in roentgen/data/elements.csv (commit 02cce07...):
    # "8,O,Oxygen,0.50002,95,1.33E-03", "32,Ge,Germanium,0.44071,350,5.32E+00",
    # "48,Cd,Cadmium,0.427,469,8.65E+00".
    materials = load_attenuation().materials
    assert materials["O"].density_g_cm3 == 0.00133
    assert materials["Ge"].density_g_cm3 == 5.32
    assert materials["Cd"].density_g_cm3 == 8.65
    # Their K edges (Ge 11.10, Cd 26.71 keV) lie below 40 keV: no edge rows.
    for name in ("O", "Ge", "Cd"):
        energies = materials[name].energies_kev
        assert len(set(energies)) == len(energies)


# ------------------------------------------------------------------- mixture rule


def test_uo2_mixture_by_hand() -> None:
    # w_U = 238.0289 / (238.0289 + 2 x 15.9994) = 238.0289 / 270.0277 = 0.8814981,
    # w_O = 0.1185019 (XCOM ATWTS.DAT U; O the midpoint of CIAAW [15.99903, 15.99977]).
    # At 100 keV (a tabulated energy): U 1.954, O 0.1551 cm^2/g, so
    # mu/rho = 0.8814981 x 1.954 + 0.1185019 x 0.1551 = 1.7224473 + 0.0183796 = 1.7408269.
    w = oxide_mass_fractions("U", "UO2")
    assert w["U"] == pytest.approx(0.8814981, abs=1e-7)
    assert w["O"] == pytest.approx(0.1185019, abs=1e-7)
    assert mixture_attenuation(w, 100.0) == pytest.approx(1.7408269, abs=1e-7)


def test_oxide_fractions() -> None:
    assert ATOMIC_WEIGHTS["O"] == pytest.approx(15.9994, abs=1e-9)
    for element, formula in (("U", "UO2"), ("U", "U3O8"), ("Pu", "PuO2")):
        w = oxide_mass_fractions(element, formula)
        assert set(w) == {element, "O"}
        assert math.fsum(w.values()) == pytest.approx(1.0, abs=1e-15)
    # U3O8: 3 x 238.0289 / (3 x 238.0289 + 8 x 15.9994) = 714.0867 / 842.0819 = 0.848001
    assert oxide_mass_fractions("U", "U3O8")["U"] == pytest.approx(0.848001, abs=1e-6)
    # PuO2: 239.0522 / (239.0522 + 31.9988) = 239.0522 / 271.0510 = 0.881945
    assert oxide_mass_fractions("Pu", "PuO2")["Pu"] == pytest.approx(0.881945, abs=1e-6)
    # Enriched uranium is lighter: a given atomic weight is used as given.
    light = oxide_mass_fractions("U", "UO2", metal_atomic_weight=235.0)
    assert light["U"] == pytest.approx(235.0 / (235.0 + 2 * ATOMIC_WEIGHTS["O"]))


def test_mixture_follows_each_element_at_its_edge() -> None:
    w = oxide_mass_fractions("U", "UO2")
    below = mixture_attenuation(w, 115.59)
    at = mixture_attenuation(w, 115.6)
    assert at == pytest.approx(w["U"] * 4.893 + w["O"] * mass_attenuation("O", 115.6))
    assert at > 3 * below


def test_mixture_errors_name_the_problem() -> None:
    with pytest.raises(InputError, match="sum to"):
        mixture_attenuation({"U": 0.8, "O": 0.1}, 200.0)
    with pytest.raises(InputError, match=">= 0"):
        mixture_attenuation({"U": 1.1, "O": -0.1}, 200.0)
    with pytest.raises(UnknownNameError, match="Th"):
        mixture_attenuation({"Th": 1.0}, 200.0)
    with pytest.raises(InputError, match="outside"):
        mixture_attenuation({"U": 1.0}, 20.0)
    with pytest.raises(InputError, match="formula"):
        oxide_mass_fractions("U", "PuO2")
    with pytest.raises(UnknownNameError, match="metal_atomic_weight"):
        oxide_mass_fractions("Th", "ThO2")
    assert mixture_attenuation({"Pb": 1.0}, 661.7) == mass_attenuation("Pb", 661.7)


# ------------------------------------------------------------------ vectorised mu/rho


@pytest.mark.parametrize("name", MATERIALS)
def test_array_equals_scalar_on_a_grid_with_edges(name: str) -> None:
    mat = load_attenuation().materials[name]
    tabulated = np.asarray(mat.energies_kev)
    just_below = np.nextafter(tabulated[1:], 0.0)
    grid = np.unique(
        np.concatenate([np.geomspace(tabulated[0], tabulated[-1], 401), tabulated, just_below])
    )
    values = mass_attenuation_array(name, grid)
    assert values.shape == grid.shape
    for energy, value in zip(grid, values, strict=True):
        assert value == pytest.approx(mass_attenuation(name, float(energy)), rel=1e-13)
    # Tabulated energies give the tabulated value exactly (above the edge at an edge).
    for energy in tabulated:
        assert mass_attenuation_array(name, np.array([energy]))[0] == mass_attenuation(
            name, float(energy)
        )


def test_array_keeps_shape_and_refuses_out_of_range() -> None:
    energies = np.array([[100.0, 115.6], [121.818, 3000.0]])
    assert mass_attenuation_array("U", energies).shape == (2, 2)
    assert mass_attenuation_array("U", energies)[0, 1] == pytest.approx(4.893)
    with pytest.raises(InputError, match="outside"):
        mass_attenuation_array("U", np.array([100.0, 39.0]))
    with pytest.raises(InputError, match="outside"):
        mass_attenuation_array("U", np.array([np.nan]))
    with pytest.raises(UnknownNameError):
        mass_attenuation_array("Th", np.array([100.0]))
