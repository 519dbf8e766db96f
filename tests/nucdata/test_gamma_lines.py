"""Curated gamma-line table: internal consistency and facts checked against DDEP."""

from __future__ import annotations

import math

import pytest

from treatyverify.errors import UnknownNameError
from treatyverify.methods.nucdata.tables import half_life_s, line, load_gamma_lines, nuclide

YEAR_S = 365.2422 * 86400.0

REQUIRED = [
    "Pu-238", "Pu-239", "Pu-240", "Pu-241", "Pu-242", "U-237", "Am-241", "U-234", "U-235",
    "U-238", "Pa-234m", "Th-232", "Ac-228", "Pb-212", "Tl-208", "Ra-226", "Pb-214", "Bi-214",
    "K-40", "Cs-137", "Ba-137m", "Co-60", "Ba-133", "Eu-152",
]  # fmt: skip


def test_all_required_nuclides_present() -> None:
    assert set(REQUIRED) <= set(load_gamma_lines().nuclides)


@pytest.mark.parametrize("name", REQUIRED)
def test_block_is_consistent(name: str) -> None:
    nuc = nuclide(name)
    assert nuc.source.startswith("DDEP recommended data")
    assert nuc.url.startswith("https://www.lnhb.fr/nuclides/")
    assert nuc.half_life.value > 0
    assert nuc.half_life_s.value > 0
    # The two half-life lines of the Lara file agree within their stated uncertainty.
    rel = abs(nuc.half_life.seconds - nuc.half_life_s.value) / nuc.half_life_s.value
    assert rel <= max(nuc.half_life_s.uncertainty / nuc.half_life_s.value, 1e-3)
    for ln in nuc.lines:
        assert ln.energy_kev > 0
        assert 0 < ln.probability <= 1
        assert 0 <= ln.probability_unc < ln.probability
        assert ln.origin


def test_requested_energies_are_covered() -> None:
    wanted = {
        "Pu-239": [129.3, 203.5, 345.0, 375.0, 413.7, 646.0, 658.9],
        "Pu-240": [45.2, 104.2, 160.3, 642.35],
        "Pu-241": [148.6],
        "U-237": [208.0],
        "Pu-238": [43.5, 152.7, 766.4],
        "Pu-242": [44.9],
        "Am-241": [59.54, 125.3, 335.4, 662.4, 722.0],
        "U-235": [143.8, 163.3, 185.7, 205.3],
        "Pa-234m": [766.4, 1001.0],
        "U-234": [53.2],
        "Ac-228": [911.2, 969.0],
        "Pb-212": [238.6],
        "Tl-208": [583.2, 2614.5],
        "Ra-226": [186.2],
        "Pb-214": [295.2, 351.9],
        "Bi-214": [609.3, 1120.3, 1764.5],
        "K-40": [1460.8],
        "Cs-137": [661.66],
        "Co-60": [1173.2, 1332.5],
        "Ba-133": [81.0, 276.4, 302.9, 356.0, 383.8],
        "Eu-152": [121.8, 244.7, 344.3, 778.9, 964.1, 1085.8, 1112.1, 1408.0],
    }
    for name, energies in wanted.items():
        for energy in energies:
            assert abs(line(name, energy).energy_kev - energy) < 0.1, (name, energy)


def test_cs137_ddep_2023() -> None:
    # DDEP / LNHB Cs-137 evaluation 2023 (Lara file): T1/2 = 30.018(22) a,
    # 661.6553(30) keV with 85.01(20) % per Cs-137 decay. The earlier DDEP
    # evaluation gave 30.05(8) a and 85.10(20) %: both agree within 0.5 %.
    nuc = nuclide("Cs-137")
    assert nuc.half_life.value == pytest.approx(30.018)
    assert nuc.half_life.unit == "a"
    assert half_life_s("Cs-137") / YEAR_S == pytest.approx(30.05, rel=5e-3)
    ln = line("Cs-137", 661.66)
    assert ln.energy_kev == pytest.approx(661.657, abs=0.003)
    assert ln.probability == pytest.approx(0.851, abs=0.002)


def test_co60_ddep() -> None:
    # DDEP Co-60 (INEEL 2006): T1/2 = 5.2711(8) a; 1332.492 keV 99.9826 %.
    assert half_life_s("Co-60") / YEAR_S == pytest.approx(5.2711, abs=0.0008)
    assert line("Co-60", 1332.5).probability == pytest.approx(0.999826)


def test_ba137m_branching_matches_cs137() -> None:
    # Per Cs-137 decay = per Ba-137m decay x feeding of Ba-137m (94.4 % in the DDEP
    # Cs-137 table): 0.8990 x 0.944 = 0.849, within 0.3 % of 0.8501.
    per_ba = line("Ba-137m", 661.66).probability
    per_cs = line("Cs-137", 661.66).probability
    assert per_cs / per_ba == pytest.approx(0.944, abs=0.003)


def test_tl208_branching_recorded() -> None:
    nuc = nuclide("Tl-208")
    assert nuc.branching_from_parent is not None
    assert nuc.branching_from_parent.parent == "Bi-212"
    assert nuc.branching_from_parent.fraction == pytest.approx(0.3593)


def test_half_lives_ordered_as_physics_says() -> None:
    assert half_life_s("U-238") > half_life_s("U-235") > half_life_s("Pu-242")
    assert half_life_s("Pu-239") > half_life_s("Pu-240") > half_life_s("Am-241")
    assert math.isclose(
        math.log(2) / half_life_s("Pu-239"), 911.41e-15, rel_tol=1e-3
    )  # Lara Pu-239: decay constant 911.41e-15 /s


def test_unknown_nuclide_named() -> None:
    with pytest.raises(UnknownNameError, match="Pu-244"):
        nuclide("Pu-244")


def test_no_line_near_energy() -> None:
    with pytest.raises(UnknownNameError, match="Cs-137"):
        line("Cs-137", 1000.0)


# Rows of the LNHB Lara files (repository copies named in gamma_lines.yaml), as
# (energy keV, energy unc, intensity %, intensity unc %), copied from the files:
# Pu-239.lara.txt (KRI 2007), Am-241_@00.lara.txt (KRI 2009), U-237.lara.txt (KRI 2009),
# Pu-241.lara.txt (KRI 2006), Ba-133_@00.lara.txt (KRI 2015).
LARA_ROWS = [
    ("Pu-239", 332.845, 0.005, 0.000488, 0.000008),
    ("Pu-239", 380.191, 0.006, 0.000302, 0.000004),
    ("Pu-239", 382.75, 0.05, 0.000256, 0.000004),
    ("Pu-239", 451.481, 0.010, 0.000187, 0.000003),
    ("Pu-239", 639.99, 0.10, 0.00000846, 0.00000020),
    ("Pu-239", 652.05, 0.02, 0.00000663, 0.00000020),
    ("Am-241", 641.32, 0.04, 0.00000704, 0.00000010),
    ("Am-241", 652.73, 0.02, 0.0000376, 0.0000009),
    ("Am-241", 679.79, 0.02, 0.00000331, 0.00000008),
    ("Am-241", 688.72, 0.04, 0.0000323, 0.0000006),
    ("Am-241", 208.005, 0.023, 0.000786, 0.000009),
    ("U-237", 164.61, 0.02, 1.86, 0.03),
    ("U-237", 267.556, 0.012, 0.721, 0.010),
    ("U-237", 332.376, 0.016, 1.199, 0.016),
    ("U-237", 335.38, 0.04, 0.0958, 0.0022),
    ("Pu-241", 103.680, 0.005, 0.000103, 0.000002),
    ("Pu-241", 159.96, 0.02, 0.00000645, 0.00000009),
    ("Ba-133", 53.1622, 0.0018, 2.14, 0.06),
    ("Ba-133", 79.6142, 0.0019, 2.63, 0.19),
    ("Ba-133", 160.6121, 0.0016, 0.638, 0.006),
    ("Ba-133", 223.2368, 0.0013, 0.450, 0.005),
]


@pytest.mark.parametrize(("name", "energy", "energy_unc", "intensity", "intensity_unc"), LARA_ROWS)
def test_added_lines_match_lara_rows(
    name: str, energy: float, energy_unc: float, intensity: float, intensity_unc: float
) -> None:
    ln = line(name, energy, tolerance_kev=1e-6)
    assert ln.energy_unc_kev == energy_unc
    assert ln.intensity_percent == intensity
    assert ln.intensity_unc_percent == intensity_unc


def test_pu239_table_has_every_line_above_1e5_percent_from_120_to_770_kev() -> None:
    # Lara Pu-239 lists 42 gamma lines with I >= 1e-5 % and a stated uncertainty between
    # 120 and 770 keV (the 345.00 keV row, 0.00005 % without uncertainty, is left out).
    energies = [
        ln.energy_kev
        for ln in nuclide("Pu-239").lines
        if 120 <= ln.energy_kev <= 770 and ln.intensity_percent >= 1e-5
    ]
    assert len(energies) == 42
    assert all(
        any(abs(e - x) < 1e-9 for x in energies)
        for e in (332.845, 336.113, 380.191, 382.75, 451.481, 645.94)
    )
