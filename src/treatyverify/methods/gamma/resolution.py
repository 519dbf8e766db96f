"""Turn a calibrated spectrum into a :class:`GammaMeasurement`: calibration and resolution.

The attributes need the energy calibration as a polynomial and the detector
resolution ``FWHM(E)^2 = a^2 + c E``. The calibration is fitted to the spectrum's
channel edges; the resolution, unless the instrument's values are given, is measured
on the spectrum itself and fitted as a straight line in ``FWHM^2`` against energy,
weighted by the uncertainties of the widths and robust to outlying widths. That form
is the usual semiconductor resolution model: electronic noise plus a statistical
term growing with energy (Gilmore, Practical Gamma-ray Spectrometry, 2nd ed., Wiley
2008, section 1.6).

Which peaks are measured. A peak found by the search is a candidate when it is
strong (:data:`MIN_SIGNIFICANCE`) and no other strong peak lies within
:data:`ISOLATION_FWHM` typical widths. Neighbours closer than about one FWHM are not
resolved by the search, yet they widen the fitted peak; so candidates that the
curated nuclear-data table (:mod:`treatyverify.methods.nucdata`) knows as one line
with no other tabulated line within :data:`CLEAN_FWHM` typical widths ("clean"
peaks) are preferred. The energy span of the clean candidates is cut into
:data:`ENERGY_BANDS` equal bands and the most significant clean peak of each band is
fitted first, then the other clean peaks by significance, until :data:`MAX_PEAKS`
widths are measured: a few peaks spread over the energy range fix the two terms as
well as many crowded ones. Only when the clean peaks give fewer than
:data:`MIN_PEAKS` widths are the other candidates used, most significant first. When
the widths do not give a resolution (a negative statistical term, as happens with few
counts), every candidate is fitted, up to :data:`MAX_PEAKS_IF_UNSOUND` widths, before
the estimate gives up.

How a width is measured: each peak is fitted alone, Gaussian plus linear
background, free width, by Poisson likelihood
(:func:`~treatyverify.methods.gamma.peaks.fit_multiplet`: iminuit MIGRAD with the
exact gradient of the deviance; the width's uncertainty from the exact Hessian).
Fits that do not converge, and widths outside :data:`WIDTH_RANGE` of the typical
width (an unresolved multiplet or a broad structure), are dropped.

On simulated weapon-grade plutonium (the coaxial HPGe detector of
:mod:`~treatyverify.methods.gamma.simulate`, 10 and 30 minutes, bare and behind
2 cm of steel) the estimated FWHM is within a few per cent of the detector's between
129 and 1000 keV; the simulation draws its lines from the same table, so on real
spectra lines missing from the table can still widen a "clean" peak.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from treatyverify.errors import InputError
from treatyverify.methods.gamma.attributes import GammaMeasurement
from treatyverify.methods.gamma.calibration import EnergyCalibration, fit_energy_calibration
from treatyverify.methods.gamma.identify import (
    IdentifiedPeak,
    identify_lines,
    typical_fwhm_kev,
)
from treatyverify.methods.gamma.peaks import fit_multiplet
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.nucdata.tables import load_gamma_lines

__all__ = [
    "ResolutionEstimate",
    "calibration_from_edges",
    "estimate_resolution",
    "measurement_from_spectrum",
]

MIN_SIGNIFICANCE = 20.0
"""Peaks used for the resolution: at least this significant in the search (sigma)."""
ISOLATION_FWHM = 4.0
"""... no other such peak closer than this many typical FWHM; the fit region spans
as many typical FWHM on each side of the peak."""
CLEAN_FWHM = 2.0
"""A clean peak has no tabulated line other than its own within this many typical
FWHM (keV / keV)."""
COINCIDENT_FWHM = 0.1
"""Tabulated lines closer than this many typical FWHM count as one line: they widen
the peak by well under one per cent."""
ENERGY_BANDS = 4
"""The clean candidates' energy span is cut into this many bands of equal width."""
MIN_PEAKS = 3
MAX_PEAKS = 8
"""Widths measured per spectrum: enough for two terms and the outlier test; more only
cost time."""
MAX_PEAKS_IF_UNSOUND = 40
"""When those widths do not give a resolution (few counts), up to this many are used."""
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
    """Measure the resolution model on strong, isolated, preferably clean peaks.

    See the module docstring for the choice of peaks and the fits.

    Raises
    ------
    InputError
        When fewer than :data:`MIN_PEAKS` widths could be measured, or they do not
        follow the model (negative statistical term).
    """
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
    table = _tabulated_energies()
    clean = [p for p in isolated if _is_clean(p.energy_kev, guess_kev, table)]
    others = sorted(
        (p for p in isolated if not any(p is q for q in clean)),
        key=lambda p: p.significance,
        reverse=True,
    )
    spread = _spread_over_energy(clean)
    widths = _widths(spectrum, calibration, spread, guess_kev, MAX_PEAKS)
    if len(widths) < MIN_PEAKS:
        widths += _widths(spectrum, calibration, others, guess_kev, MAX_PEAKS - len(widths))
    line = _sound_line(widths)
    if line is None:
        # Too few widths, or too few to follow the model (low counts): use every
        # candidate, up to MAX_PEAKS_IF_UNSOUND widths, before giving up.
        tried = {w[0] for w in widths}
        rest = [p for p in spread + others if p.energy_kev not in tried]
        widths += _widths(
            spectrum, calibration, rest, guess_kev, MAX_PEAKS_IF_UNSOUND - len(widths)
        )
        line = _sound_line(widths)
    if len(widths) < MIN_PEAKS:
        raise InputError(
            f"too few strong isolated peaks ({len(widths)}) to measure the resolution; "
            "give the instrument's resolution instead",
            where=spectrum.source,
        )
    if line is None:
        raise InputError(
            "the measured peak widths do not follow FWHM^2 = a^2 + c E; give the "
            "instrument's resolution instead",
            where=spectrum.source,
        )
    noise_sq, fano = line
    energies = [w[0] for w in widths]
    return ResolutionEstimate(math.sqrt(max(noise_sq, 0.0)), fano, tuple(energies))


@functools.cache
def _tabulated_energies() -> NDArray[np.float64]:
    """Energies of every line of the nuclear-data table, increasing (keV)."""
    return np.sort(
        np.asarray(
            [
                line.energy_kev
                for entry in load_gamma_lines().nuclides.values()
                for line in entry.lines
            ],
            dtype=np.float64,
        )
    )


def _is_clean(energy_kev: float, fwhm_kev: float, table: NDArray[np.float64]) -> bool:
    """Whether the table has a line at ``energy_kev`` and no other within CLEAN_FWHM.

    The peak is the table's line when one lies within half a typical FWHM; lines within
    COINCIDENT_FWHM of each other count as one (energies and width in keV).
    """
    near = table[np.abs(table - energy_kev) <= CLEAN_FWHM * fwhm_kev]
    if near.size == 0 or float(np.min(np.abs(near - energy_kev))) > 0.5 * fwhm_kev:
        return False
    return float(near[-1] - near[0]) <= COINCIDENT_FWHM * fwhm_kev


def _spread_over_energy(peaks: list[IdentifiedPeak]) -> list[IdentifiedPeak]:
    """``peaks`` reordered: the most significant of each energy band, then the rest.

    The bands are ENERGY_BANDS equal cuts of the peaks' energy span; within both parts
    the order is by decreasing significance.
    """
    if not peaks:
        return []
    by_significance = sorted(peaks, key=lambda p: p.significance, reverse=True)
    low = min(p.energy_kev for p in peaks)
    span = max(p.energy_kev for p in peaks) - low
    best: dict[int, IdentifiedPeak] = {}
    for peak in by_significance:
        band = (
            min(int(ENERGY_BANDS * (peak.energy_kev - low) / span), ENERGY_BANDS - 1)
            if span > 0
            else 0
        )
        best.setdefault(band, peak)
    first = sorted(best.values(), key=lambda p: p.significance, reverse=True)
    return first + [p for p in by_significance if not any(p is q for q in first)]


def _widths(
    spectrum: Spectrum,
    calibration: EnergyCalibration,
    peaks: list[IdentifiedPeak],
    guess_kev: float,
    limit: int,
) -> list[tuple[float, float, float]]:
    """Energy, FWHM and its uncertainty (keV) of up to ``limit`` of ``peaks``, in order;
    peaks whose fit is refused (see :func:`_fitted_fwhm`) are passed over."""
    measured: list[tuple[float, float, float]] = []
    for peak in peaks:
        if len(measured) >= limit:
            break
        width = _fitted_fwhm(spectrum, calibration, peak.energy_kev, guess_kev)
        if width is not None:
            measured.append((peak.energy_kev, *width))
    return measured


def _sound_line(widths: list[tuple[float, float, float]]) -> tuple[float, float] | None:
    """``(a^2, c)`` of ``FWHM^2 = a^2 + c E`` fitted to ``widths`` (keV^2, keV), or None
    when there are fewer than MIN_PEAKS or the line is not a resolution (negative
    statistical term, or no positive FWHM^2 at the lowest energy)."""
    if len(widths) < MIN_PEAKS:
        return None
    energies = np.asarray([w[0] for w in widths])
    fwhm = np.asarray([w[1] for w in widths])
    sigma = np.asarray([w[2] for w in widths])
    noise_sq, fano = _robust_line(energies, fwhm**2, 1.0 / (2.0 * fwhm * sigma))
    if fano < 0.0 or noise_sq + fano * float(energies.min()) <= 0.0:
        return None
    return noise_sq, fano


def _fitted_fwhm(
    spectrum: Spectrum, calibration: EnergyCalibration, energy_kev: float, guess_kev: float
) -> tuple[float, float] | None:
    """FWHM and its standard uncertainty (keV) of the single peak at ``energy_kev``.

    ``None`` when the region is too short, the fit fails or does not converge, or the
    width is outside WIDTH_RANGE of ``guess_kev`` (keV).
    """
    centre = float(calibration.channel(np.asarray([energy_kev]))[0])
    width_ch = guess_kev / float(calibration.gain(np.asarray([centre]))[0])
    lo = max(int(centre - ISOLATION_FWHM * width_ch), 0)
    hi = min(int(centre + ISOLATION_FWHM * width_ch) + 1, spectrum.n_channels)
    if hi - lo < 8:
        return None
    try:
        fit = fit_multiplet(spectrum.counts, lo, hi, [centre], fwhm_guess=width_ch)
    except InputError:
        return None
    fitted = fit.peaks[0]
    if not fit.converged or not math.isfinite(fitted.fwhm_sigma) or fitted.fwhm_sigma <= 0:
        return None
    gain = float(calibration.gain(np.asarray([fitted.centroid_ch]))[0])
    fwhm = fitted.fwhm_ch * gain
    if not WIDTH_RANGE[0] <= fwhm / guess_kev <= WIDTH_RANGE[1]:
        return None
    return fwhm, fitted.fwhm_sigma * gain


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
