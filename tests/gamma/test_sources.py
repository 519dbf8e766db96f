"""Isotopic source terms checked against hand computations from public constants."""

from __future__ import annotations

import math

import pytest

from treatyverify.errors import InputError, UnknownNameError
from treatyverify.methods.gamma.sources import (
    PRESETS,
    Material,
    SourceLine,
    activities_bq,
    emission_lines,
    mass_number,
    preset,
    specific_activity_bq_per_g,
)

N_A = 6.02214076e23  # mol^-1, exact (SI 2019)
YEAR_S = 365.2422 * 86400.0  # the year of the LNHB half-lives


def rate_at(lines: list[SourceLine], energy_kev: float, nuclide: str) -> float:
    return sum(
        ln.rate_per_s
        for ln in lines
        if ln.nuclide == nuclide and abs(ln.energy_kev - energy_kev) < 0.5
    )


def test_specific_activity_of_pu239() -> None:
    # A/m = N_A ln2 / (M T1/2); with T1/2 = 24110 a and M = 239 g/mol:
    # 6.02214076e23 * 0.693147 / (239 * 24110 * 3.15569e7 s) = 2.2955e9 Bq/g.
    hand = N_A * math.log(2) / (239.0 * 24110 * YEAR_S)
    assert hand == pytest.approx(2.2955e9, rel=1e-4)
    assert specific_activity_bq_per_g("Pu-239") == pytest.approx(2.30e9, rel=0.003)
    # The table's 24100(11) a differs from 24110 a by 0.04 %.
    assert specific_activity_bq_per_g("Pu-239") == pytest.approx(hand, rel=6e-4)


def test_mass_number_as_molar_mass() -> None:
    assert mass_number("Pu-239") == 239
    assert mass_number("Pa-234m") == 234
    # AME2020: m(Pu-239) = 239.0521634 u; the mass number is 0.022 % low, within 0.03 %.
    assert abs(239.0521634 - 239) / 239.0521634 < 3e-4
    with pytest.raises(UnknownNameError):
        mass_number("plutonium")


def test_am241_ingrowth_in_weapon_grade_after_20_years() -> None:
    # Bateman, Pu-241 (14.33 a) -> Am-241 (432.6 a), from 0.44 % Pu-241 and no Am:
    # lP = ln2/14.33 = 0.048370/a, lA = ln2/432.6 = 0.0016023/a,
    # f_Am = 0.0044 * lP/(lA - lP) * (exp(-20 lP) - exp(-20 lA))
    #      = 0.0044 * (-1.03426) * (0.38009 - 0.96846) = 0.0026775.
    material = preset("weapon-grade-pu", age_years=20.0)
    fractions = material.fractions_at_age()
    assert fractions["Am-241"] == pytest.approx(0.0026775, rel=5e-4)
    # Pu-241 itself: 0.0044 * exp(-20 lP) = 0.0016724.
    assert fractions["Pu-241"] == pytest.approx(0.0044 * 0.38009, rel=5e-4)
    # Am-241 activity of 1 kg: m f N_A ln2 / (241 T1/2).
    act = activities_bq(material, 1.0)["Am-241"]
    hand = 1000.0 * 0.0026775 * N_A * math.log(2) / (241 * 432.6 * YEAR_S)
    assert act == pytest.approx(hand, rel=1e-3)


def test_pu240_to_pu239_line_ratio_follows_the_isotopic_ratio() -> None:
    # R(642.34)/R(645.94) = (f240/f239) (T239/T240) (M239/M240) (p642/p646)
    # with DDEP p642 = 1.26e-7, p646 = 1.49e-7 per decay, T 6561 a and 24100 a.
    for kind in ("weapon-grade-pu", "fuel-grade-pu"):
        material = preset(kind, age_years=0.0)
        lines = emission_lines(material, 1.0)
        ratio = rate_at(lines, 642.34, "Pu-240") / rate_at(lines, 645.94, "Pu-239")
        f240, f239 = material.fraction("Pu-240"), material.fraction("Pu-239")
        hand = (f240 / f239) * (24100 / 6561) * (239 / 240) * (1.26e-7 / 1.49e-7)
        assert ratio == pytest.approx(hand, rel=1e-3)


def test_grades_as_declared() -> None:
    wg = PRESETS["weapon-grade-pu"]
    assert wg.fraction("Pu-239") == pytest.approx(0.935)
    assert wg.fraction("Pu-240") < 0.07
    fg = PRESETS["fuel-grade-pu"]
    assert 0.12 <= fg.fraction("Pu-240") / fg.fraction("Pu-239") <= 0.15
    assert PRESETS["heu"].fraction("U-235") == pytest.approx(0.93)
    assert 0.002 <= PRESETS["depleted-u"].fraction("U-235") <= 0.003
    for material in PRESETS.values():
        assert material.basis


def test_natural_uranium_atom_fraction() -> None:
    # IUPAC: amount fraction of U-235 in natural uranium 0.007204.
    nat = PRESETS["natural-u"]
    atoms = {iso: nat.fraction(iso) / mass_number(iso) for iso in ("U-234", "U-235", "U-238")}
    assert atoms["U-235"] / sum(atoms.values()) == pytest.approx(0.007204, rel=1e-6)


def test_u237_and_pa234m_daughters() -> None:
    # U-237 follows Pu-241 with the 2.44e-5 alpha branch (in equilibrium after a year);
    # its 208.00 keV line has 21.3 % per decay.
    material = preset("reactor-grade-pu", age_years=1.0)
    acts = activities_bq(material, 1.0)
    assert acts["U-237"] == pytest.approx(acts["Pu-241"] * 2.44e-5, rel=1e-9)
    lines = emission_lines(material, 1.0)
    assert rate_at(lines, 208.0, "U-237") == pytest.approx(acts["U-237"] * 0.213)
    # Freshly separated: no U-237 yet.
    assert activities_bq(material.with_age(0.0), 1.0)["U-237"] == 0.0
    # Pa-234m in secular equilibrium with U-238; 1001.026 keV has 0.847 % per decay.
    du = activities_bq(PRESETS["depleted-u"], 1.0)
    assert du["Pa-234m"] == du["U-238"]
    hand_u238 = 1000.0 * PRESETS["depleted-u"].fraction("U-238") * N_A * math.log(2)
    hand_u238 /= 238 * 141.00e15
    assert du["U-238"] == pytest.approx(hand_u238, rel=1e-9)
    lines = emission_lines(PRESETS["depleted-u"], 1.0)
    assert rate_at(lines, 1001.026, "Pa-234m") == pytest.approx(hand_u238 * 0.00847)


def test_lead_hoax_emits_nothing() -> None:
    assert emission_lines(PRESETS["lead-hoax"], 5.0) == []
    assert emission_lines(preset("du-hoax"), 1.0)


def test_material_validation() -> None:
    with pytest.raises(InputError, match="more than 1"):
        Material(name="x", element="U", mass_fractions={"U-235": 0.6, "U-238": 0.6})
    with pytest.raises(UnknownNameError, match="Cs-137"):
        Material(name="x", element="U", mass_fractions={"Cs-137": 0.1})
    with pytest.raises(InputError, match="age"):
        Material(name="x", element="Pu", age_years=-1.0)
    with pytest.raises(UnknownNameError, match="unknown item kind"):
        preset("plutonium")
    with pytest.raises(InputError, match="mass"):
        activities_bq(PRESETS["heu"], -1.0)
