"""Energy calibration and line matching, against hand-computed and simulated truth."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from scipy.special import ndtr

from treatyverify.errors import InputError
from treatyverify.methods.gamma.calibration import (
    EnergyCalibration,
    fit_energy_calibration,
    match_lines,
)
from treatyverify.methods.gamma.peaks import FWHM_PER_SIGMA, find_peaks

# Ba-133 and Cs-137 gamma lines (keV), rounded as in the issue; from the DDEP
# recommended data (www.lnhb.fr/nuclear-data), relative intensities approximate.
REFERENCE_KEV = [81.0, 276.4, 302.9, 356.0, 383.8, 661.7]
INTENSITY = [0.33, 0.072, 0.183, 0.62, 0.089, 0.85]


def test_linear_hand_computed() -> None:
    cal = fit_energy_calibration([100.0, 1000.0], [100.0, 1000.0])
    assert cal.coefficients == pytest.approx((0.0, 1.0), abs=1e-9)
    assert cal.degree == 1
    assert cal.energy(500.0) == pytest.approx(500.0)
    assert cal.channel(250.0) == pytest.approx(250.0)
    assert np.all(np.isnan(cal.covariance))  # two points, two coefficients, no sigmas
    assert cal.edges(4) == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0])


def test_linear_with_offset_and_sigmas() -> None:
    # E = 2 + 0.5 x; with centroid sigmas of 0.1 ch the energy sigma is 0.05 keV.
    x = np.array([100.0, 400.0, 1000.0])
    cal = fit_energy_calibration(x, 2.0 + 0.5 * x, centroid_sigmas=[0.1, 0.1, 0.1])
    assert cal.coefficients == pytest.approx((2.0, 0.5))
    assert cal.residuals_kev == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    # Hand-computed: cov = sigma_E^2 (A^T A)^-1 for design rows (1, x).
    design = np.vander(x, 2, increasing=True)
    expected = 0.05**2 * np.linalg.inv(design.T @ design)
    assert cal.covariance == pytest.approx(expected, rel=1e-6)
    assert float(cal.energy_sigma(400.0)) == pytest.approx(
        float(np.sqrt([1.0, 400.0] @ expected @ [1.0, 400.0]))
    )


def test_quadratic_recovered_and_inverse_round_trip() -> None:
    true = (1.5, 0.37, 2.0e-6)
    x = np.array([150.0, 700.0, 1300.0, 2200.0, 3500.0, 4000.0])
    e = true[0] + true[1] * x + true[2] * x**2
    cal = fit_energy_calibration(x, e, degree=2, channel_range=(0.0, 4096.0))
    assert cal.coefficients == pytest.approx(true, rel=1e-8)
    channels = np.linspace(0.0, 4096.0, 50)
    assert cal.channel(cal.energy(channels)) == pytest.approx(channels, abs=1e-8)
    edges = cal.edges(4096)
    assert edges.size == 4097
    assert np.all(np.diff(edges) > 0)


def test_negative_curvature_inverse() -> None:
    cal = EnergyCalibration(
        coefficients=(0.0, 1.0, -1.0e-4), covariance=np.zeros((3, 3)), channel_range=(0, 4000)
    )
    channels = np.array([0.0, 10.0, 1234.5, 3999.0])
    assert cal.channel(cal.energy(channels)) == pytest.approx(channels, abs=1e-8)


def test_errors_name_the_field() -> None:
    with pytest.raises(InputError, match="centroids_ch"):
        fit_energy_calibration([100.0, 200.0], [10.0, 20.0], degree=2)
    with pytest.raises(InputError, match="energies_kev"):
        fit_energy_calibration([100.0, 200.0], [10.0, np.nan])
    with pytest.raises(InputError, match=r"energies_kev.*monotonic"):
        fit_energy_calibration([100.0, 200.0, 300.0], [10.0, 30.0, 20.0], degree=2)
    with pytest.raises(InputError, match="energies_kev"):
        fit_energy_calibration([100.0, 200.0], [30.0, 10.0])
    with pytest.raises(InputError, match="degree"):
        fit_energy_calibration([100.0, 200.0], [10.0, 20.0], degree=3)
    with pytest.raises(InputError, match="centroid_sigmas"):
        fit_energy_calibration([1.0, 2.0], [1.0, 2.0], centroid_sigmas=[0.1, 0.0])


def simulated_ba_cs(rng: np.random.Generator, gain: float, offset: float) -> npt.NDArray[np.int64]:
    """A Ba-133 + Cs-137 HPGe-like spectrum of 2048 channels with extra X-ray peaks."""
    n_ch = 2048
    edges = np.arange(n_ch + 1, dtype=np.float64)
    centres = edges[:-1] + 0.5
    energy = offset + gain * centres
    mu = 40.0 * np.exp(-energy / 400.0) + 3.0  # falling continuum, counts per channel
    lines = [*REFERENCE_KEV, 31.0, 35.0, 53.2]  # the last three are not in the reference list
    strengths = [*INTENSITY, 0.6, 0.15, 0.021]
    for e_kev, inten in zip(lines, strengths, strict=True):
        fwhm_ch = np.sqrt(0.8**2 + 0.0023 * e_kev) / gain  # HPGe-like FWHM(E), keV -> ch
        x0 = (e_kev - offset) / gain
        sigma = fwhm_ch / FWHM_PER_SIGMA
        mu += 2.0e4 * inten * np.diff(ndtr((edges - x0) / sigma))
    return rng.poisson(mu)


def test_match_lines_recovers_gain_of_ba133_cs137() -> None:
    rng = np.random.default_rng(133137)
    gain, offset = 0.351, 1.8
    counts = simulated_ba_cs(rng, gain, offset)
    found = find_peaks(counts, fwhm_ch=4.0, min_significance=5.0)
    assert len(found) >= 6
    match = match_lines(
        found.centroids_ch, REFERENCE_KEV, gain_range_kev_per_ch=(0.1, 1.0), tolerance_ch=3.0
    )
    assert match.n_matched == len(REFERENCE_KEV)
    assert sorted(match.line_indices.tolist()) == list(range(len(REFERENCE_KEV)))
    c0, c1 = match.calibration.coefficients
    assert c1 == pytest.approx(gain, rel=1e-3)
    assert c0 == pytest.approx(offset, abs=0.3)
    assert np.max(np.abs(match.residuals_kev)) < 0.3
    # The same with an offset range and a quadratic final fit.
    quad = match_lines(
        found.centroids_ch,
        REFERENCE_KEV,
        gain_range_kev_per_ch=(0.1, 1.0),
        offset_range_kev=(-20.0, 20.0),
        tolerance_ch=3.0,
        degree=2,
    )
    assert quad.n_matched == len(REFERENCE_KEV)
    assert quad.calibration.energy(1000.0) == pytest.approx(offset + gain * 1000.0, abs=0.2)


def test_match_lines_without_a_fitting_gain_fails_clearly() -> None:
    peaks = [230.0, 790.0, 865.0, 1015.0, 1095.0, 1880.0]
    with pytest.raises(InputError, match="reference_energies_kev"):
        match_lines(
            peaks, REFERENCE_KEV, gain_range_kev_per_ch=(2.0, 3.0), offset_range_kev=(-20.0, 20.0)
        )
