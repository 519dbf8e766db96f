"""Line attributes (presence, oxide, symmetry) on synthetic spectra with known truth.

The isotopic attributes are tested on independent spectra instead
(``test_isotopic_attributes_reference.py``): a spectrum built here from the same
smooth efficiency an analysis assumes would test the analysis against itself.

The spectra are built here (not with the package simulator): Gaussian lines whose
areas are activity x emission probability (DDEP table) x a smooth relative
efficiency x live time, integrated over each channel ([i, i + 1)), on an exponential
continuum, with Poisson noise from a seeded generator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pytest
from scipy import special

from treatyverify.errors import InputError
from treatyverify.methods.gamma.attributes import (
    PU241_ALPHA_BRANCHING,
    GammaMeasurement,
    oxide_absence,
    pu_presence,
    symmetry,
)
from treatyverify.methods.gamma.calibration import EnergyCalibration
from treatyverify.methods.gamma.item_isotopics import age_from_activity_ratio
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.nucdata.tables import nuclide

GAIN_KEV = 0.25
N_CHANNELS = 4600  # up to 1150 keV
NOISE_KEV, FANO_KEV = 0.8, 0.0012
CAL = EnergyCalibration((0.0, GAIN_KEV), np.zeros((2, 2)), (0.0, float(N_CHANNELS)))
YEAR_S = 365.2422 * 86400.0


def efficiency(energy_kev: np.ndarray, curvature: float) -> np.ndarray:
    """Relative full-energy efficiency: ln eps quadratic in ln(E / 400 keV)."""
    x = np.log(energy_kev / 400.0)
    return np.asarray(np.exp(-0.9 * x - curvature * x**2))


def build(
    activities: Mapping[str, float],
    *,
    rng: np.random.Generator,
    live_time_s: float = 1000.0,
    continuum: float = 50.0,
    curvature: float = 0.1,
    extra_lines: Mapping[float, float] | None = None,
) -> GammaMeasurement:
    """A measurement of nuclides with ``activities`` (decays/s) seen through eps(E).

    ``extra_lines`` maps an energy (keV) to an expected net area (counts).
    """
    edges = CAL.edges(N_CHANNELS)
    centre = 0.5 * (edges[:-1] + edges[1:])
    mu = continuum * (np.exp(-centre / 250.0) * 20.0 + 1.0) * GAIN_KEV
    lines: dict[float, float] = dict(extra_lines or {})
    for name, activity in activities.items():
        for ln in nuclide(name).lines:
            area = activity * ln.probability * live_time_s
            area *= float(efficiency(np.array([ln.energy_kev]), curvature)[0])
            lines[ln.energy_kev] = lines.get(ln.energy_kev, 0.0) + area
    for energy, area in lines.items():
        sigma = math.sqrt(NOISE_KEV**2 + FANO_KEV * energy) / (2 * math.sqrt(2 * math.log(2)))
        cdf = special.ndtr((edges - energy) / sigma)
        mu = mu + area * np.diff(cdf)
    counts = rng.poisson(mu).astype(np.float64)
    spectrum = Spectrum(counts=counts, live_time_s=live_time_s, real_time_s=live_time_s)
    return GammaMeasurement(spectrum, CAL, NOISE_KEV, FANO_KEV)


def pu_activities(
    ratio240: float, *, age_years: float = 20.0, a239: float = 1.0e8, n241_per_239: float = 0.004
) -> dict[str, float]:
    """Activities (1/s) of plutonium with atom ratio Pu-240/Pu-239 ``ratio240``.

    ``a239`` is the Pu-239 activity (1/s); Pu-241 is ``n241_per_239`` atoms per Pu-239
    atom now, and Am-241 has grown in from it for ``age_years``.
    """
    t = {n: nuclide(n).half_life_s.value for n in ("Pu-239", "Pu-240", "Pu-241", "Am-241")}
    a240 = a239 * ratio240 * t["Pu-239"] / t["Pu-240"]
    a241 = a239 * n241_per_239 * t["Pu-239"] / t["Pu-241"]
    lam_am, lam_pu = math.log(2) / t["Am-241"], math.log(2) / t["Pu-241"]
    d = lam_pu - lam_am
    q = lam_am / d * math.expm1(d * age_years * YEAR_S)
    return {
        "Pu-239": a239,
        "Pu-240": a240,
        "Pu-241": a241,
        "U-237": a241 * PU241_ALPHA_BRANCHING,
        "Am-241": q * a241,
    }


# ------------------------------------------------------------------ presence


def test_plutonium_presence_and_absence() -> None:
    rng = np.random.default_rng(1)
    # 129.3 keV (on Ac-228's 129.1 keV) and 375.1 keV (on Pa-233's 375.4 keV) never
    # count, so three of the four weaker lines must stand out.
    pu = build(pu_activities(0.06, a239=1e5), rng=rng)
    present = pu_presence(pu, min_significance_sigma=3.0)
    assert present.passed and present.significance_sigma > 10 and present.lines_seen >= 3
    blank = build({}, rng=rng)
    absent = pu_presence(blank, min_significance_sigma=3.0)
    assert not absent.passed
    assert abs(absent.significance_sigma) < 3.0


def test_two_lines_are_not_a_plutonium_signature() -> None:
    # Strong lines at two of Pu-239's energies alone do not make plutonium: the
    # signature wants three of its usable lines.
    fake = build({}, rng=np.random.default_rng(9), extra_lines={345.014: 4e4, 413.713: 4e4})
    result = pu_presence(fake, min_significance_sigma=3.0)
    assert result.lines_seen == 2 and result.significance_sigma > 50
    assert not result.passed


def test_a_line_on_an_interfering_line_does_not_count() -> None:
    # 375.05 keV lies 0.35 keV from Pa-233's 375.40 keV: a peak there, however strong,
    # is no evidence of Pu-239.
    lines = {345.014: 4e4, 413.713: 4e4, 375.054: 4e4}
    result = pu_presence(
        build({}, rng=np.random.default_rng(9), extra_lines=lines), min_significance_sigma=3.0
    )
    assert result.lines_seen == 2 and not result.passed


# ----------------------------------------------------------------------- age


def test_age_formula_inverts_the_bateman_relation() -> None:
    lam_am = math.log(2) / nuclide("Am-241").half_life_s.value
    lam_pu = math.log(2) / nuclide("Pu-241").half_life_s.value
    d = lam_pu - lam_am
    for years in (0.0, 1.0, 10.0, 45.0):
        q = lam_am / d * math.expm1(d * years * YEAR_S)
        assert age_from_activity_ratio(q) == pytest.approx(years, abs=1e-9)


# --------------------------------------------------------------------- oxide


def test_oxide_line_present_and_absent() -> None:
    rng = np.random.default_rng(8)
    acts = pu_activities(0.06)
    metal = oxide_absence(build(acts, rng=rng), max_oxide_significance_sigma=3.0)
    assert metal.passed and metal.significance_sigma < 3.0
    oxide = oxide_absence(
        build(acts, rng=rng, extra_lines={870.7: 3000.0}), max_oxide_significance_sigma=3.0
    )
    assert not oxide.passed and oxide.significance_sigma > 5.0


# ------------------------------------------------------------------ symmetry


def test_symmetry_of_positions() -> None:
    rng = np.random.default_rng(9)
    acts = pu_activities(0.06, a239=2e7)
    same = [build(acts, rng=rng) for _ in range(4)]
    assert symmetry(same, false_alarm_probability=0.05).passed
    lopsided = [*same[:3], build({k: 0.8 * v for k, v in acts.items()}, rng=rng)]
    result = symmetry(lopsided, false_alarm_probability=0.05)
    assert not result.passed and result.ndof == 9
    with pytest.raises(InputError, match="two positions"):
        symmetry(same[:1], false_alarm_probability=0.05)
