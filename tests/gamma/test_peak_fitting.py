"""Peak search and Poisson-likelihood multiplet fits on simulated spectra of known truth."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest
from scipy.optimize import least_squares
from scipy.special import ndtr

from treatyverify.errors import InputError
from treatyverify.methods.gamma.calibration import EnergyCalibration
from treatyverify.methods.gamma.peaks import FWHM_PER_SIGMA, find_peaks, fit_multiplet

FloatArray = npt.NDArray[np.float64]


def expected_counts(
    n_ch: int,
    areas: Sequence[float],
    centroids: Sequence[float],
    fwhm_ch: float,
    background: float,
) -> FloatArray:
    """Gaussian peaks integrated over channels [i, i+1) on a flat background."""
    edges = np.arange(n_ch + 1, dtype=np.float64)
    sigma = fwhm_ch / FWHM_PER_SIGMA
    mu = np.full(n_ch, background)
    for area, x0 in zip(areas, centroids, strict=True):
        mu += area * np.diff(ndtr((edges - x0) / sigma))
    return mu


def test_single_peak_area_within_three_sigma() -> None:
    rng = np.random.default_rng(20240601)
    counts = rng.poisson(expected_counts(200, [1000.0], [100.3], 5.0, 20.0))
    fit = fit_multiplet(counts, 80, 120, [101.0], fwhm_guess=4.0)
    peak = fit.peaks[0]
    assert fit.converged
    assert abs(peak.area - 1000.0) < 3.0 * peak.area_sigma
    assert abs(peak.centroid_ch - 100.3) < 3.0 * peak.centroid_sigma
    assert abs(peak.fwhm_ch - 5.0) < 3.0 * peak.fwhm_sigma
    assert fit.ndof == 40 - 5
    assert fit.deviance / fit.ndof == pytest.approx(1.0, abs=0.5)
    assert fit.background_values[0] == pytest.approx(20.0, abs=3.0 * fit.background_sigmas[0])
    assert fit.model_counts.shape == (40,)
    assert fit.area_covariance.shape == (1, 1)


def test_pulls_have_unit_width() -> None:
    """Over 200 spectra, (fitted - true) / sigma has mean ~0 and SD ~1."""
    rng = np.random.default_rng(7)
    mu = expected_counts(200, [1000.0], [100.3], 5.0, 20.0)
    area_pulls, centroid_pulls = [], []
    for _ in range(200):
        fit = fit_multiplet(rng.poisson(mu), 80, 120, [101.0], fwhm_guess=4.0)
        assert fit.converged
        peak = fit.peaks[0]
        area_pulls.append((peak.area - 1000.0) / peak.area_sigma)
        centroid_pulls.append((peak.centroid_ch - 100.3) / peak.centroid_sigma)
    # With 200 samples the standard errors are 0.07 (mean) and 0.05 (SD).
    for pulls in (np.array(area_pulls), np.array(centroid_pulls)):
        assert abs(pulls.mean()) < 0.21
        assert 0.85 < pulls.std(ddof=1) < 1.15


def test_doublet_one_and_a_half_fwhm_apart() -> None:
    rng = np.random.default_rng(11)
    fwhm = 5.0
    truth = [800.0, 400.0]
    centroids = [100.2, 100.2 + 1.5 * fwhm]
    counts = rng.poisson(expected_counts(200, truth, centroids, fwhm, 20.0))
    fit = fit_multiplet(counts, 85, 125, [99.0, 108.0], fwhm_guess=4.5)
    assert fit.converged
    for peak, area, x0 in zip(fit.peaks, truth, centroids, strict=True):
        assert abs(peak.area - area) < 3.0 * peak.area_sigma
        assert abs(peak.centroid_ch - x0) < 3.0 * peak.centroid_sigma
    cov = fit.area_covariance
    assert cov == pytest.approx(cov.T)
    assert np.all(np.linalg.eigvalsh(cov) > 0.0)
    # Free widths recover the areas too.
    free = fit_multiplet(counts, 85, 125, [99.0, 108.0], fwhm_guess=4.5, shared_width=False)
    for peak, area in zip(free.peaks, truth, strict=True):
        assert abs(peak.area - area) < 3.0 * peak.area_sigma


def neyman_chi2_area(counts: FloatArray, lo: int, hi: int, fwhm: float, x0: float) -> float:
    """Area from a least-squares fit with weights 1 / max(n, 1) (Neyman's chi-square)."""
    n = counts[lo:hi].astype(np.float64)
    x = np.arange(lo, hi, dtype=np.float64)
    sigma = fwhm / FWHM_PER_SIGMA

    def residuals(p: FloatArray) -> FloatArray:
        model = p[0] * (ndtr((x + 1.0 - p[1]) / sigma) - ndtr((x - p[1]) / sigma)) + p[2]
        return np.asarray((n - model) / np.sqrt(np.maximum(n, 1.0)))

    return float(least_squares(residuals, [20.0, x0, 1.0]).x[0])


def test_poisson_likelihood_unbiased_at_low_counts() -> None:
    """20-count peaks: the Poisson fit is unbiased where Neyman's chi-square is not."""
    rng = np.random.default_rng(12345)
    true_area = 20.0
    mu = expected_counts(200, [true_area], [100.3], 5.0, 0.5)
    fixed_areas, free_areas, chi2_areas = [], [], []
    n_converged = 0
    for _ in range(300):
        counts = rng.poisson(mu)
        fit = fit_multiplet(counts, 85, 116, [100.5], fwhm_guess=5.0, fix_width=True)
        n_converged += fit.converged
        fixed_areas.append(fit.peaks[0].area)
        free = fit_multiplet(counts, 85, 116, [100.5], fwhm_guess=5.0)
        free_areas.append(free.peaks[0].area)
        chi2_areas.append(neyman_chi2_area(counts, 85, 116, 5.0, 100.5))
    assert n_converged >= 290
    for areas in (np.array(fixed_areas), np.array(free_areas)):
        sem = areas.std(ddof=1) / np.sqrt(areas.size)  # about 0.3 counts
        assert abs(areas.mean() - true_area) < max(3.0 * sem, 0.05 * true_area)
    assert np.mean(chi2_areas) < 0.9 * true_area  # chi-square underestimates


@pytest.mark.parametrize("background", ["quadratic", "step"])
def test_other_backgrounds(background: str) -> None:
    rng = np.random.default_rng(3)
    n_ch = 200
    mu = expected_counts(n_ch, [2000.0], [100.3], 5.0, 30.0)
    x = np.arange(n_ch) + 0.5
    if background == "step":
        # A step of 1 % of the area per channel below the peak, smoothed like the peak.
        mu += 0.01 * 2000.0 * (1.0 - ndtr((x - 100.3) / (5.0 / FWHM_PER_SIGMA)))
    else:
        mu += 0.004 * (x - 100.0) ** 2
    counts = rng.poisson(mu)
    fit = fit_multiplet(counts, 75, 126, [100.0], fwhm_guess=5.0, background=background)  # type: ignore[arg-type]
    assert fit.converged
    assert abs(fit.peaks[0].area - 2000.0) < 3.0 * fit.peaks[0].area_sigma
    if background == "step":
        step = fit.background_values[fit.background_names.index("step")]
        assert step == pytest.approx(0.01, abs=0.005)


def test_multiplet_tied_to_known_energies() -> None:
    """The Pu 640-662 keV group with positions fixed relative to each other."""
    energies = [639.99, 642.35, 645.97, 652.06, 658.86, 662.40]
    areas = [300.0, 200.0, 600.0, 400.0, 500.0, 900.0]
    gain, offset = 0.25, 0.5
    true_cal = EnergyCalibration(
        coefficients=(offset, gain), covariance=np.zeros((2, 2)), channel_range=(0, 4096)
    )
    centroids = true_cal.channel(energies)
    rng = np.random.default_rng(239)
    counts = rng.poisson(expected_counts(4096, areas, list(centroids), 4.4, 15.0))
    # The calibration in use is off by 0.1 keV: the free shift absorbs it.
    used_cal = EnergyCalibration(
        coefficients=(offset + 0.1, gain), covariance=np.zeros((2, 2)), channel_range=(0, 4096)
    )
    lo, hi = int(centroids[0]) - 15, int(centroids[-1]) + 16
    fit = fit_multiplet(
        counts,
        lo,
        hi,
        list(used_cal.channel(energies)),
        fwhm_guess=4.0,
        energies=energies,
        calibration=used_cal,
    )
    assert fit.converged
    assert "shift" in fit.parameter_names
    assert fit.values[fit.parameter_names.index("shift")] == pytest.approx(0.4, abs=0.1)
    for peak, area, x0, e_kev in zip(fit.peaks, areas, centroids, energies, strict=True):
        assert peak.energy_kev == e_kev
        assert abs(peak.area - area) < 3.0 * peak.area_sigma
        assert peak.centroid_ch == pytest.approx(x0, abs=3.0 * peak.centroid_sigma)


def test_widths_follow_a_fwhm_model() -> None:
    rng = np.random.default_rng(5)
    truth = [500.0, 700.0]
    centroids = [95.0, 110.0]
    # Peaks of one width here; the model says FWHM grows slowly with channel.
    counts = rng.poisson(expected_counts(200, truth, centroids, 5.0, 10.0))

    def model(x: FloatArray) -> FloatArray:
        return np.asarray(4.0 * np.sqrt(x / 100.0))

    fit = fit_multiplet(counts, 80, 125, [95.0, 110.0], fwhm_guess=5.0, fwhm_model=model)
    assert "fwhm_scale" in fit.parameter_names
    ratio = fit.peaks[1].fwhm_ch / fit.peaks[0].fwhm_ch
    assert ratio == pytest.approx(np.sqrt(fit.centroids_ch[1] / fit.centroids_ch[0]))
    for peak, area in zip(fit.peaks, truth, strict=True):
        assert abs(peak.area - area) < 3.0 * peak.area_sigma


def test_fit_errors_name_the_field() -> None:
    counts = np.zeros(100)
    with pytest.raises(InputError, match="holds no counts"):
        fit_multiplet(counts, 10, 40, [25.0], fwhm_guess=4.0)
    counts[:] = 5.0
    with pytest.raises(InputError, match="lo/hi"):
        fit_multiplet(counts, 90, 140, [95.0], fwhm_guess=4.0)
    with pytest.raises(InputError, match="lo/hi"):
        fit_multiplet(counts, 10, 14, [12.0], fwhm_guess=4.0)
    with pytest.raises(InputError, match="centroids_guess"):
        fit_multiplet(counts, 10, 40, [55.0], fwhm_guess=4.0)
    with pytest.raises(InputError, match="fwhm_guess"):
        fit_multiplet(counts, 10, 40, [25.0], fwhm_guess=0.0)
    with pytest.raises(InputError, match="background"):
        fit_multiplet(counts, 10, 40, [25.0], fwhm_guess=4.0, background="cubic")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="calibration"):
        fit_multiplet(counts, 10, 40, [25.0], fwhm_guess=4.0, energies=[100.0])
    counts[3] = np.nan
    with pytest.raises(InputError, match="counts"):
        fit_multiplet(counts, 10, 40, [25.0], fwhm_guess=4.0)


def test_find_peaks_finds_planted_peaks() -> None:
    rng = np.random.default_rng(42)
    planted = np.array([210.3, 640.8, 1100.5, 1502.2, 2003.9, 2500.1, 3071.6, 3600.4])
    areas = [600.0, 400.0, 1500.0, 450.0, 500.0, 5000.0, 400.0, 800.0]
    counts = rng.poisson(expected_counts(4096, areas, list(planted), 5.0, 100.0))
    found = find_peaks(counts, fwhm_ch=5.0, min_significance=4.0)
    nearest = np.min(np.abs(found.centroids_ch[:, None] - planted[None, :]), axis=0)
    assert np.all(nearest < 1.0)  # every planted peak found, within a channel
    extra = np.min(np.abs(found.centroids_ch[:, None] - planted[None, :]), axis=1) > 3.0
    assert int(np.sum(extra)) <= 1
    assert np.all(found.significances >= 4.0)
    assert found.filtered.shape == counts.shape


def test_find_peaks_few_false_candidates_in_flat_noise() -> None:
    rng = np.random.default_rng(99)
    false_total = sum(len(find_peaks(rng.poisson(100.0, 4096), fwhm_ch=5.0)) for _ in range(10))
    assert false_total <= 3


def test_find_peaks_errors() -> None:
    with pytest.raises(InputError, match="fwhm_ch"):
        find_peaks(np.ones(100), fwhm_ch=-1.0)
    with pytest.raises(InputError, match="counts"):
        find_peaks(np.ones(5), fwhm_ch=5.0)
    with pytest.raises(InputError, match="counts"):
        find_peaks(-np.ones(100), fwhm_ch=5.0)
