"""Name the evident lines of a spectrum from the curated nuclear-data table.

Peaks are found with :func:`~treatyverify.methods.gamma.peaks.find_peaks`, their
centroids converted to energy through the spectrum's calibration, and each is
matched to every tabulated line within a tolerance. This is a screening aid for
people (``treatyverify gamma show``); the attributes fit their regions properly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from treatyverify.errors import InputError
from treatyverify.methods.gamma.peaks import find_peaks
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.nucdata.tables import load_gamma_lines

__all__ = ["CandidateLine", "IdentifiedPeak", "identify_lines", "typical_fwhm_kev"]

HPGE_FWHM_KEV_AT_662 = 1.5
"""Typical coaxial HPGe resolution near 662 keV (about 1.8 keV at 1332 keV): G. F. Knoll,
Radiation Detection and Measurement, 4th ed. (Wiley, 2010), chapter 12."""
NAI_RELATIVE_FWHM_AT_662 = 0.07
"""Typical NaI(Tl) resolution, 7 % FWHM at 662 keV: Knoll (2010), chapter 10."""
HPGE_MAX_GAIN_KEV = 1.0
"""Calibrations finer than this (keV per channel) are taken to be semiconductor spectra."""


@dataclass(frozen=True)
class CandidateLine:
    """A tabulated line near a found peak."""

    nuclide: str
    energy_kev: float
    intensity_percent: float


@dataclass(frozen=True)
class IdentifiedPeak:
    """A found peak, its energy and the tabulated lines it may be."""

    energy_kev: float
    significance: float
    candidates: tuple[CandidateLine, ...]

    @property
    def nuclides(self) -> tuple[str, ...]:
        """Candidate nuclides, nearest line first."""
        return tuple(c.nuclide for c in self.candidates)


def typical_fwhm_kev(spectrum: Spectrum) -> float:
    """A typical FWHM near 662 keV for the detector kind the calibration suggests."""
    edges = spectrum.channel_edges_kev
    if edges is None:
        raise InputError("spectrum is not energy-calibrated", where=spectrum.source)
    gain = float(np.median(np.diff(edges)))
    if gain < HPGE_MAX_GAIN_KEV:
        return HPGE_FWHM_KEV_AT_662
    return NAI_RELATIVE_FWHM_AT_662 * 661.657


def _energy_at(edges: NDArray[np.float64], channel: float) -> float:
    index = min(max(math.floor(channel), 0), edges.size - 2)
    fraction = channel - index
    return float(edges[index] + fraction * (edges[index + 1] - edges[index]))


def identify_lines(
    spectrum: Spectrum,
    *,
    fwhm_kev: float | None = None,
    min_significance: float = 5.0,
    tolerance_kev: float | None = None,
) -> list[IdentifiedPeak]:
    """Find the peaks of ``spectrum`` and name the tabulated lines near each.

    Parameters
    ----------
    spectrum
        A calibrated spectrum.
    fwhm_kev
        Expected peak width (keV) the search is tuned to; by default the typical
        width of the detector kind (:func:`typical_fwhm_kev`).
    min_significance
        Search threshold (standard deviations of the filter output).
    tolerance_kev
        Largest distance between a peak and a line it may be; by default the larger
        of 1 keV and 0.6 FWHM.

    Returns
    -------
    list of IdentifiedPeak
        In increasing energy; ``candidates`` empty when no tabulated line is near.
    """
    edges = spectrum.channel_edges_kev
    if edges is None:
        raise InputError("spectrum is not energy-calibrated", where=spectrum.source)
    width_kev = typical_fwhm_kev(spectrum) if fwhm_kev is None else fwhm_kev
    if not (math.isfinite(width_kev) and width_kev > 0):
        raise InputError("the peak width must be positive", where="fwhm_kev")
    gain = float(np.median(np.diff(edges)))
    tolerance = max(1.0, 0.6 * width_kev) if tolerance_kev is None else tolerance_kev
    search = find_peaks(
        spectrum.counts, fwhm_ch=max(width_kev / gain, 1.0), min_significance=min_significance
    )
    table = [
        CandidateLine(name, line.energy_kev, line.intensity_percent)
        for name, entry in load_gamma_lines().nuclides.items()
        for line in entry.lines
    ]
    found: list[IdentifiedPeak] = []
    for centroid, significance in zip(search.centroids_ch, search.significances, strict=True):
        energy = _energy_at(edges, float(centroid))
        near = sorted(
            (c for c in table if abs(c.energy_kev - energy) <= tolerance),
            key=lambda c: abs(c.energy_kev - energy),
        )
        found.append(IdentifiedPeak(energy, float(significance), tuple(near)))
    return found
