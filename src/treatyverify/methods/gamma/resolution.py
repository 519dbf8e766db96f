"""Turn a calibrated spectrum into a :class:`GammaMeasurement`: calibration and resolution.

The attributes need the energy calibration as a polynomial and the detector
resolution ``FWHM(E)^2 = a^2 + c E``. The calibration is fitted to the spectrum's
channel edges; the resolution, unless the instrument's values are given, is measured
on the spectrum itself: every strong, isolated peak is fitted alone (Poisson
likelihood, free width) and ``FWHM^2`` is fitted as a straight line in energy,
weighted by the uncertainties of the widths. That form is the usual semiconductor
resolution model: electronic noise plus a statistical term growing with energy
(Gilmore, Practical Gamma-ray Spectrometry, 2nd ed., Wiley 2008, section 1.6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from treatyverify.errors import InputError
from treatyverify.methods.gamma.attributes import GammaMeasurement
from treatyverify.methods.gamma.calibration import EnergyCalibration, fit_energy_calibration
from treatyverify.methods.gamma.identify import identify_lines, typical_fwhm_kev
from treatyverify.methods.gamma.peaks import fit_multiplet
from treatyverify.methods.gamma.spectrum import Spectrum

__all__ = [
    "ResolutionEstimate",
    "calibration_from_edges",
    "estimate_resolution",
    "measurement_from_spectrum",
]

MIN_SIGNIFICANCE = 20.0
"""Peaks used for the resolution: at least this significant in the search (sigma)."""
ISOLATION_FWHM = 4.0
"""... and no other found peak closer than this many FWHM."""
MIN_PEAKS = 3
MAX_PEAKS = 40
"""The most significant isolated peaks are enough; more only cost time."""
WIDTH_RANGE = (0.4, 2.5)
"""Accepted fitted FWHM as a multiple of the typical width: outside it, the "peak" is an
unresolved multiplet or a broad structure, not a single line."""
OUTLIER_SIGMA = 4.0


@dataclass(frozen=True)
class ResolutionEstimate:
    """``FWHM(E)^2 = noise_kev^2 + fano_kev * E`` fitted to single peaks.

    Attributes
    ----------
    noise_kev
        The constant term (keV).
    fano_kev
        The statistical term (keV^2 per keV).
    peaks_used
        Energies of the peaks fitted (keV).
    """

    noise_kev: float
    fano_kev: float
    peaks_used: tuple[float, ...]

    def fwhm_kev(self, energy_kev: float) -> float:
        """FWHM at ``energy_kev`` (keV)."""
        return math.sqrt(self.noise_kev**2 + self.fano_kev * energy_kev)


def calibration_from_edges(spectrum: Spectrum) -> EnergyCalibration:
    """The quadratic calibration through the spectrum's channel edges."""
    edges = spectrum.channel_edges_kev
    if edges is None:
        raise InputError("spectrum is not energy-calibrated", where=spectrum.source)
    channels = np.arange(edges.size, dtype=np.float64)
    step = max(1, edges.size // 512)
    return fit_energy_calibration(
        channels[::step],
        edges[::step],
        degree=2,
        channel_range=(0.0, float(spectrum.n_channels)),
    )


def estimate_resolution(spectrum: Spectrum, calibration: EnergyCalibration) -> ResolutionEstimate:
    """Measure the resolution model on the strong isolated peaks of ``spectrum``."""
    peaks = [p for p in identify_lines(spectrum) if p.significance >= MIN_SIGNIFICANCE]
    guess_kev = typical_fwhm_kev(spectrum)
    isolated = [
        peak
        for peak in peaks
        if not any(
            q is not peak and abs(q.energy_kev - peak.energy_kev) < ISOLATION_FWHM * guess_kev
            for q in peaks
        )
    ]
    isolated = sorted(isolated, key=lambda p: p.significance, reverse=True)[:MAX_PEAKS]
    energies: list[float] = []
    squares: list[float] = []
    weights: list[float] = []
    for peak in isolated:
        centre = float(calibration.channel(np.asarray([peak.energy_kev]))[0])
        width_ch = guess_kev / float(calibration.gain(np.asarray([centre]))[0])
        lo = max(int(centre - 4 * width_ch), 0)
        hi = min(int(centre + 4 * width_ch) + 1, spectrum.n_channels)
        if hi - lo < 8:
            continue
        try:
            fit = fit_multiplet(spectrum.counts, lo, hi, [centre], fwhm_guess=width_ch)
        except InputError:
            continue
        fitted = fit.peaks[0]
        if not fit.converged or not math.isfinite(fitted.fwhm_sigma) or fitted.fwhm_sigma <= 0:
            continue
        gain = float(calibration.gain(np.asarray([fitted.centroid_ch]))[0])
        fwhm = fitted.fwhm_ch * gain
        sigma = fitted.fwhm_sigma * gain
        if not WIDTH_RANGE[0] <= fwhm / guess_kev <= WIDTH_RANGE[1]:
            continue
        energies.append(peak.energy_kev)
        squares.append(fwhm**2)
        weights.append(1.0 / (2.0 * fwhm * sigma) ** 2)
    if len(energies) < MIN_PEAKS:
        raise InputError(
            f"too few strong isolated peaks ({len(energies)}) to measure the resolution; "
            "give the instrument's resolution instead",
            where=spectrum.source,
        )
    noise_sq, fano = _robust_line(
        np.asarray(energies), np.asarray(squares), np.sqrt(np.asarray(weights))
    )
    if fano < 0.0 or noise_sq + fano * min(energies) <= 0.0:
        raise InputError(
            "the measured peak widths do not follow FWHM^2 = a^2 + c E; give the "
            "instrument's resolution instead",
            where=spectrum.source,
        )
    return ResolutionEstimate(math.sqrt(max(noise_sq, 0.0)), fano, tuple(energies))


def _robust_line(
    x: NDArray[np.float64], y: NDArray[np.float64], w: NDArray[np.float64]
) -> tuple[float, float]:
    """Weighted straight line ``y = a + b x``, dropping points beyond OUTLIER_SIGMA.

    One point at a time, the worst, while more than MIN_PEAKS remain; ``w`` are the
    inverse standard deviations of ``y``. The residual scale is the larger of 1 and
    the reduced chi-square, so widths slightly off the model do not all look bad.
    """
    keep = np.ones(x.size, dtype=bool)
    while True:
        design = np.column_stack([np.ones(int(keep.sum())), x[keep]])
        solution, *_ = np.linalg.lstsq(design * w[keep, None], y[keep] * w[keep], rcond=None)
        residual = (y - (solution[0] + solution[1] * x)) * w
        dof = max(int(keep.sum()) - 2, 1)
        scale = max(1.0, float(np.sqrt(np.sum(residual[keep] ** 2) / dof)))
        worst = int(np.argmax(np.where(keep, np.abs(residual), -1.0)))
        if keep.sum() <= MIN_PEAKS or abs(residual[worst]) <= OUTLIER_SIGMA * scale:
            return float(solution[0]), float(solution[1])
        keep[worst] = False


def measurement_from_spectrum(
    spectrum: Spectrum,
    *,
    fwhm_noise_kev: float | None = None,
    fwhm_fano_kev: float | None = None,
) -> GammaMeasurement:
    """A :class:`GammaMeasurement` with the file's calibration and a resolution.

    The resolution is the instrument's when both terms are given, otherwise it is
    measured on the spectrum (:func:`estimate_resolution`).
    """
    calibration = calibration_from_edges(spectrum)
    if (fwhm_noise_kev is None) != (fwhm_fano_kev is None):
        raise InputError("give both resolution terms or neither", where="fwhm_fano_kev")
    if fwhm_noise_kev is None or fwhm_fano_kev is None:
        estimate = estimate_resolution(spectrum, calibration)
        fwhm_noise_kev, fwhm_fano_kev = estimate.noise_kev, estimate.fano_kev
    return GammaMeasurement(spectrum, calibration, fwhm_noise_kev, fwhm_fano_kev)
