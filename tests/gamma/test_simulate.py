"""The spectrum simulator checked against independent hand computations."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest
from scipy import integrate

from treatyverify.errors import InputError, UnknownNameError
from treatyverify.methods.gamma.simulate import (
    DEFAULT_BACKGROUND,
    HPGE_COAXIAL,
    NAI_3X3,
    Background,
    Detector,
    SelfAttenuation,
    compton_edge_kev,
    expected_spectrum,
    line_peak_counts,
    simulate_item,
    simulate_spectrum,
    slab_escape_probability,
    sphere_escape_probability,
)
from treatyverify.methods.gamma.sources import PRESETS, SourceLine
from treatyverify.methods.gamma.spectrum import Spectrum

FloatArray = npt.NDArray[np.float64]

CS137_KEV = 661.6553
CS137 = [SourceLine(CS137_KEV, 10_000.0 * 0.8501, "Cs-137")]  # 10 kBq, 85.01 % per decay


def window(spectrum: Spectrum, lo_kev: float, hi_kev: float) -> FloatArray:
    e = spectrum.energies_kev
    return spectrum.counts[(e >= lo_kev) & (e < hi_kev)]


def moment_fwhm(spectrum: Spectrum, lo_kev: float, hi_kev: float) -> float:
    """FWHM from the second moment, less the channel-width variance w^2/12."""
    e = spectrum.energies_kev
    sel = (e >= lo_kev) & (e < hi_kev)
    c, x = spectrum.counts[sel], e[sel]
    mean = float(np.sum(c * x) / np.sum(c))
    var = float(np.sum(c * (x - mean) ** 2) / np.sum(c))
    w = float(np.diff(spectrum.channel_edges_kev)[0])  # type: ignore[arg-type]
    return 2.0 * math.sqrt(2.0 * math.log(2.0)) * math.sqrt(var - w * w / 12.0)


def test_compton_edge_of_cs137() -> None:
    # E_c = E (1 - 1/(1 + 2E/511)) = 661.7 * (1 - 1/3.5898) = 477.3 keV
    assert float(compton_edge_kev(661.7)) == pytest.approx(477.3, abs=0.1)
    # Backscatter peak E - E_c = 184.3 keV
    assert 661.7 - float(compton_edge_kev(661.7)) == pytest.approx(184.3, abs=0.1)


def test_cs137_peak_area_matches_rate_times_efficiency_times_live_time() -> None:
    live = 1000.0
    expected = CS137[0].rate_per_s * float(HPGE_COAXIAL.efficiency(CS137_KEV)) * live
    spectrum = simulate_spectrum(CS137, HPGE_COAXIAL, live, rng=20240601)
    # No background: above the Compton edge (477 keV) only the peak contributes.
    area = float(window(spectrum, CS137_KEV - 10.0, CS137_KEV + 10.0).sum())
    assert abs(area - expected) < 3.0 * math.sqrt(expected)
    assert expected > 5e3  # eps(661.7 keV) = 8.2e-4 at 25 cm: about 7000 counts


def test_continuum_follows_peak_to_total() -> None:
    mean = expected_spectrum(CS137, HPGE_COAXIAL, 100.0)
    peak = float(line_peak_counts(CS137, HPGE_COAXIAL, 100.0)[0])
    pt = float(HPGE_COAXIAL.peak_to_total(CS137_KEV))
    assert float(mean.sum()) == pytest.approx(peak / pt, rel=1e-6)


@pytest.mark.parametrize(
    ("detector", "energy"), [(HPGE_COAXIAL, 1332.492), (HPGE_COAXIAL, 121.78), (NAI_3X3, 661.66)]
)
def test_fwhm_of_simulated_peak_matches_detector_model(detector: Detector, energy: float) -> None:
    # Peak-to-total 1: no continuum, the window holds the peak alone.
    det = replace(detector, peak_to_total_ref=1.0, peak_to_total_index=0.0, peak_to_total_max=1.0)
    lines = [SourceLine(energy, 1e5, "test")]
    fwhm = float(det.fwhm_kev(energy))
    mean = simulate_spectrum(lines, det, 100.0, noise=False)
    half = 6.0 * fwhm
    assert moment_fwhm(mean, energy - half, energy + half) == pytest.approx(fwhm, rel=2e-3)
    noisy = simulate_spectrum(lines, det, 100.0, rng=7)
    assert moment_fwhm(noisy, energy - half, energy + half) == pytest.approx(fwhm, rel=0.03)


def test_detector_resolution_presets() -> None:
    # Coaxial HPGe: ~0.9 keV at 122 keV, ~1.8 keV at 1332 keV; NaI 7 % at 662 keV, ~E^-1/2.
    assert float(HPGE_COAXIAL.fwhm_kev(121.78)) == pytest.approx(0.9, abs=0.05)
    assert float(HPGE_COAXIAL.fwhm_kev(1332.49)) == pytest.approx(1.8, abs=0.1)
    assert float(NAI_3X3.fwhm_kev(661.657)) / 661.657 == pytest.approx(0.07, rel=1e-9)
    rel_1332 = float(NAI_3X3.fwhm_kev(1332.492)) / 1332.492
    assert rel_1332 == pytest.approx(0.07 * math.sqrt(661.657 / 1332.492), rel=1e-9)
    assert HPGE_COAXIAL.n_channels == 16384
    assert NAI_3X3.n_channels == 1024


def test_two_cm_iron_reduces_pu239_414_kev_line() -> None:
    # mu/rho(Fe) at 413.7 keV, log-log between 400 keV (0.09400) and 500 keV (0.08414):
    t = math.log(413.713 / 400.0) / math.log(500.0 / 400.0)
    mu_rho = math.exp(math.log(0.09400) + t * math.log(0.08414 / 0.09400))
    hand = math.exp(-mu_rho * 7.87 * 2.0)
    assert hand == pytest.approx(0.2334, abs=1e-3)
    lines = [SourceLine(413.713, 1e5, "Pu-239")]
    bare = simulate_spectrum(lines, HPGE_COAXIAL, 100.0, noise=False)
    shielded = simulate_spectrum(lines, HPGE_COAXIAL, 100.0, shielding=[("Fe", 2.0)], noise=False)
    ratio = window(shielded, 405.0, 422.0).sum() / window(bare, 405.0, 422.0).sum()
    assert ratio == pytest.approx(hand, rel=1e-6)


def test_poisson_variance_equals_mean_in_flat_region() -> None:
    # The Compton plateau of a strong Cs-137 source is flat between 250 and 400 keV.
    mean = simulate_spectrum(CS137, HPGE_COAXIAL, 3000.0, noise=False)
    flat = window(mean, 250.0, 400.0)
    assert np.ptp(flat) < 1e-9 * flat.mean()
    counts = window(simulate_spectrum(CS137, HPGE_COAXIAL, 3000.0, rng=11), 250.0, 400.0)
    assert counts.mean() == pytest.approx(flat.mean(), rel=0.02)
    assert counts.var(ddof=1) / counts.mean() == pytest.approx(1.0, abs=0.2)
    assert np.all(counts == np.round(counts))


def test_reproducible_with_a_seed() -> None:
    a = simulate_item("weapon-grade-pu", mass_kg=1.0, rng=42, live_time_s=60.0)
    b = simulate_item(
        "weapon-grade-pu", mass_kg=1.0, rng=np.random.default_rng(42), live_time_s=60.0
    )
    c = simulate_item("weapon-grade-pu", mass_kg=1.0, rng=43, live_time_s=60.0)
    assert np.array_equal(a.counts, b.counts)
    assert not np.array_equal(a.counts, c.counts)


def test_sphere_escape_probability_against_numerical_integration() -> None:
    # P = (1/V) int exp(-mu l) dV, l = -r c + sqrt(R^2 - r^2 (1 - c^2)) towards the detector.
    for tau in (0.05, 1.0, 5.0):

        def integrand(c: float, r: float, tau: float = tau) -> float:
            path = -r * c + math.sqrt(1.0 - r * r * (1.0 - c * c))
            return 1.5 * r * r * math.exp(-tau * path)

        numeric, _ = integrate.dblquad(integrand, 0.0, 1.0, -1.0, 1.0)
        assert sphere_escape_probability(tau) == pytest.approx(numeric, rel=1e-6)
    assert sphere_escape_probability(1e-4) == pytest.approx(1.0 - 0.75e-4 + 0.4e-8, rel=1e-12)
    assert sphere_escape_probability(500.0) == pytest.approx(0.75 / 500.0, rel=1e-5)
    assert slab_escape_probability(2.0) == pytest.approx((1 - math.exp(-2.0)) / 2.0)
    assert slab_escape_probability(0.0) == 1.0


def test_self_attenuation_of_a_sphere_of_mass() -> None:
    sphere = SelfAttenuation.sphere_of_mass("U", 19.0, 1.0)
    # 1 kg at 19.0 g/cm^3: R = (3 * 1000 / (4 pi 19.0))^(1/3) = 12.565^(1/3) = 2.3248 cm
    assert sphere.size_cm == pytest.approx(2.3248, abs=1e-4)
    # U at 1000 keV: mu/rho = 0.07896 cm^2/g, tau = 0.07896 * 19.0 * 2.326
    tau = 0.07896 * 19.0 * sphere.size_cm
    assert sphere.escape_probability(1000.0) == pytest.approx(sphere_escape_probability(tau))
    lines = [SourceLine(1000.0, 1e4, "x")]
    point = line_peak_counts(lines, HPGE_COAXIAL, 10.0)
    selfatt = line_peak_counts(lines, HPGE_COAXIAL, 10.0, self_attenuation=sphere)
    assert selfatt[0] / point[0] == pytest.approx(sphere_escape_probability(tau))


def test_inverse_square_distance() -> None:
    near = line_peak_counts(CS137, HPGE_COAXIAL, 10.0, distance_cm=25.0)
    far = line_peak_counts(CS137, HPGE_COAXIAL, 10.0, distance_cm=50.0)
    assert far[0] / near[0] == pytest.approx(0.25)


def test_items_and_background() -> None:
    for kind in PRESETS:
        spectrum = simulate_item(kind, mass_kg=2.0, live_time_s=100.0, rng=1)
        assert spectrum.n_channels == HPGE_COAXIAL.n_channels
        assert spectrum.channel_edges_kev is not None
        assert spectrum.channel_edges_kev[-1] == pytest.approx(4096.0)
        assert spectrum.real_time_s >= spectrum.live_time_s
    # The lead hoax shows the background's K-40 line and no Pu-239 414 keV line.
    lead = simulate_item("lead-hoax", mass_kg=5.0, live_time_s=3600.0, noise=False)
    k40 = window(lead, 1455.0, 1466.0).sum() - window(lead, 1440.0, 1451.0).sum()
    assert k40 > 50.0
    pu = simulate_item("weapon-grade-pu", mass_kg=1.0, live_time_s=3600.0, noise=False)
    line_414 = window(pu, 412.0, 415.5).sum() - window(pu, 416.0, 419.5).sum()
    lead_414 = window(lead, 412.0, 415.5).sum() - window(lead, 416.0, 419.5).sum()
    assert line_414 > 1e3 * max(abs(lead_414), 1.0)
    assert simulate_item("lead-hoax", mass_kg=5.0, background=None, noise=False).total_counts == 0


def test_background_lines_and_continuum() -> None:
    bg = Background(continuum_per_s_per_kev=0.0)
    energies = {round(ln.energy_kev, 1) for ln in bg.lines()}
    assert {1460.8, 2614.5, 583.2, 911.2, 238.6, 609.3, 1764.5, 351.9, 295.2} <= energies
    # Tl-208 lines carry the 35.93 % branch from Bi-212.
    tl = next(ln for ln in bg.lines() if abs(ln.energy_kev - 2614.511) < 0.01)
    assert tl.rate_per_s == pytest.approx(300.0 * 0.3593 * 0.99755)
    quiet = expected_spectrum([], NAI_3X3, 10.0, background=bg)
    noisy = expected_spectrum([], NAI_3X3, 10.0, background=DEFAULT_BACKGROUND)
    assert noisy.sum() > quiet.sum() > 0


def test_real_time_from_dead_time() -> None:
    spectrum = simulate_spectrum(CS137, HPGE_COAXIAL, 100.0, noise=False)
    rate = spectrum.total_counts / 100.0
    assert spectrum.real_time_s == pytest.approx(100.0 * (1.0 + rate * 10e-6))


def test_errors_name_the_problem() -> None:
    with pytest.raises(InputError, match="live time"):
        simulate_spectrum(CS137, HPGE_COAXIAL, 0.0)
    with pytest.raises(InputError, match="shield"):
        simulate_spectrum(CS137, HPGE_COAXIAL, 1.0, shielding=[("Pb",)])  # type: ignore[list-item]
    with pytest.raises(InputError, match="slab_thickness_cm"):
        simulate_item("heu", mass_kg=1.0, geometry="slab")
    with pytest.raises(UnknownNameError, match="geometry"):
        simulate_item("heu", mass_kg=1.0, geometry="cube")  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="unknown item kind"):
        simulate_item("plutonium", mass_kg=1.0)
    with pytest.raises(InputError, match="distance"):
        line_peak_counts(CS137, HPGE_COAXIAL, 1.0, distance_cm=-1.0)
