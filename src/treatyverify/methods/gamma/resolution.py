"""Turn a calibrated spectrum into a :class:`GammaMeasurement`: calibration and resolution.

The attributes need the energy calibration as a polynomial and the detector
resolution ``FWHM(E)^2 = a^2 + c E``. The calibration is fitted to the spectrum's
channel edges. The resolution is the instrument's when it is given (as two terms, or
in an :class:`~treatyverify.methods.gamma.instrument.InstrumentProfile`); otherwise it
is measured on the spectrum itself and fitted as a straight line in ``FWHM^2`` against
energy, weighted by the uncertainties of the widths and robust to outlying widths.
That form is the usual semiconductor resolution model: electronic noise plus a
statistical term growing with energy (Gilmore, Practical Gamma-ray Spectrometry, 2nd
ed., Wiley 2008, section 1.6).

Which peaks are measured. A peak found by the search is a candidate when it is
strong (:data:`MIN_SIGNIFICANCE`) and no other strong peak lies within
:data:`ISOLATION_FWHM` typical widths. Neighbours closer than about one FWHM are not
resolved by the search, yet they widen the fitted peak; so candidates that the
curated nuclear-data table (:mod:`treatyverify.methods.nucdata`) knows as one line
with no other tabulated line within :data:`CLEAN_FWHM` typical width ("clean"
peaks) are preferred; farther neighbours, when strong, are found by the search and
make the peak not isolated. Peaks within :data:`XRAY_FWHM` typical widths of a
tabulated X-ray line (``kind: xray`` in the table) are never used: the natural
(Lorentzian) width of K X-rays, some 0.1 keV for uranium and plutonium, widens their
peaks beyond the detector's resolution, and an X-ray peak in the fit region distorts
the fit of its neighbour. The energy span of the clean candidates is cut into
:data:`ENERGY_BANDS` equal bands and the most significant clean peak of each band is
fitted first, then the other clean peaks by significance, until :data:`MAX_PEAKS`
widths are measured: a few peaks spread over the energy range fix the two terms as
well as many crowded ones. When the clean peaks give fewer than :data:`MIN_PEAKS`
widths, the other candidates are fitted, most significant first.

When those widths do not give a line whose statistical term they determine (below),
the lines of the natural background are added (:data:`BACKGROUND_LINES`: K-40, the
uranium-series Pb-214 and Bi-214 and the thorium-series Ac-228 and Tl-208), present in
every measurement made near soil or concrete. They are fitted at their tabulated
energies, however weak, when no peak the search finds (from
:data:`MIN_BACKGROUND_SIGNIFICANCE`) lies within :data:`ISOLATION_FWHM` widths, and
kept when their area is at least :data:`MIN_BACKGROUND_AREA_SIGMA` standard
deviations; their larger uncertainties weigh them less. A spectrum whose source has
one line (Cs-137, K-40, Co-60) or lines only below 210 keV (HEU) gets its span from
them. Then the remaining candidates are added; and when the widths still do not give
a resolution, every candidate is fitted, up to :data:`MAX_PEAKS_IF_UNSOUND` widths,
before the estimate gives up.

How a width is measured: each peak is fitted alone, Gaussian plus linear
background, free width, by Poisson likelihood
(:func:`~treatyverify.methods.gamma.peaks.fit_multiplet`: iminuit MIGRAD with the
exact gradient of the deviance; the width's uncertainty from the exact Hessian), to
which a systematic :data:`WIDTH_SYSTEMATIC` of the width is added in quadrature
(unresolved weak neighbours, and the departures of a real detector from the two-term
model and of its peaks from a Gaussian, which the statistical uncertainty of a strong
peak does not cover). Fits that do not converge, whose centroid strays by more than
half a typical width, and widths outside :data:`WIDTH_RANGE` of the typical width (an
unresolved multiplet or a broad structure), are dropped.

How the line is fitted. Weighted least squares in ``FWHM^2``, the weights taken at the
line rather than at each measured width (reweighted twice), so that a width that
fluctuated low gains no weight. While the line's chi-square is improbable (p-value
below :data:`OUTLIER_P_VALUE`), the width whose removal lowers it most is dropped: a
deletion test, which finds a strong biased width even when it pulls the line towards
itself.

The physics bound, and what is done outside the fitted span. The statistical term of
a germanium detector cannot be smaller than its Fano limit, ``FWHM^2 = (2.355)^2 F w
E`` with ``w`` = 2.96 eV per electron-hole pair at 77 K and ``F`` about 0.1, so
``c >= `` :data:`FANO_LIMIT_KEV` (1.64e-3 keV); nor can the noise term be negative.
The line is fitted with both bounds. A model fitted on peaks spanning
``E_lo..E_hi`` is not trusted far outside: its slope is kept only when the widths
determine it, that is when its standard uncertainty is at most :data:`SLOPE_PRECISION`
of the Fano limit. Otherwise (peaks crowded in a narrow span) the statistical term is
set to the Fano limit and only the noise term is fitted: outside the span the width
then grows, or falls, by the smallest amount germanium allows, so the extrapolated
FWHM errs low above the span and high below it (for a coaxial detector whose term is
1.5 times the limit, by some 6 % at 1000 keV from peaks below 210 keV), instead of
running away with the scatter of the slope. A measured slope is used as it is
outside the span too; :class:`ResolutionEstimate` records the span, whether the slope
was measured, and which energies are extrapolated.

On simulated weapon-grade plutonium (the coaxial HPGe detector of
:mod:`~treatyverify.methods.gamma.simulate`, 10 and 30 minutes, bare and behind
2 cm of steel) the estimated FWHM is within about 2 % of the detector's between 255
and 1000 keV. On the 43 GADRAS reference spectra of the ORTEC Fulcrum-40h every
spectrum gets a resolution, within 10 % of the true one at 122, 662 and 1001 keV
inside the span of its peaks but for one spectrum (K-40 alone, +12 % at 662 keV);
extrapolated to 122 keV from peaks above 130-600 keV it errs by up to 22 %
(``benchmarks/gamma_resolution.py``, figures in ``docs/benchmarks.md``).

When no resolution can be measured, the spectrum is classified without it
(:func:`spectrum_class`): a spectrum whose peaks, or whose channels, are too wide for
a germanium detector is refused with
:class:`~treatyverify.errors.MethodRefusedError` (``needs-high-resolution``) rather
than reported as a failed estimate.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from treatyverify.errors import InputError, MethodRefusedError
from treatyverify.methods.gamma.attributes import GammaMeasurement
from treatyverify.methods.gamma.calibration import EnergyCalibration, fit_energy_calibration
from treatyverify.methods.gamma.identify import (
    HPGE_MAX_GAIN_KEV,
    IdentifiedPeak,
    identify_lines,
    typical_fwhm_kev,
)
from treatyverify.methods.gamma.instrument import (
    DetectorKind,
    InstrumentProfile,
    detector_label,
    reference_energy_kev,
    resolution_class,
)
from treatyverify.methods.gamma.peaks import FWHM_PER_SIGMA, fit_multiplet
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.nucdata.tables import load_gamma_lines

__all__ = [
    "BACKGROUND_LINES",
    "FANO_LIMIT_KEV",
    "DetectorReport",
    "ResolutionEstimate",
    "calibration_from_edges",
    "describe_detector",
    "estimate_resolution",
    "measurement_from_spectrum",
    "spectrum_class",
]

MIN_SIGNIFICANCE = 20.0
"""Peaks used for the resolution: at least this significant in the search (sigma)."""
ISOLATION_FWHM = 4.0
"""... no other such peak closer than this many typical FWHM; the fit region spans
as many typical FWHM on each side of the peak."""
CLEAN_FWHM = 1.0
"""A clean peak has no tabulated line other than its own within this many typical
FWHM (keV / keV): closer lines are not separated by the search."""
COINCIDENT_FWHM = 0.1
"""Tabulated lines closer than this many typical FWHM count as one line: they widen
the peak by well under one per cent."""
XRAY_FWHM = ISOLATION_FWHM
"""Peaks within this many typical FWHM of a tabulated X-ray line are not used: the fit
region would hold the X-ray peak, wider than the detector's resolution."""
ENERGY_BANDS = 4
"""The clean candidates' energy span is cut into this many bands of equal width."""
MIN_PEAKS = 3
"""Widths needed to measure both terms (two terms and one degree of freedom)."""
MIN_PEAKS_FANO_SLOPE = 2
"""Widths needed when the statistical term is the Fano limit and only the noise term is
fitted (one term, and a second width to check it)."""
MAX_PEAKS = 8
"""Widths measured per spectrum: enough for two terms and the outlier test; more only
cost time."""
MAX_PEAKS_IF_UNSOUND = 40
"""When those widths do not give a resolution (few counts), up to this many are used."""
WIDTH_RANGE = (0.4, 2.5)
"""Accepted fitted FWHM as a multiple of the typical width: outside it, the "peak" is an
unresolved multiplet or a broad structure, not a single line."""
SPAN_PRECISION = 0.1
"""Widths known to this relative standard uncertainty or better (before the systematic)
define the span of the estimate; weaker ones inform the line but do not pin it."""
REWEIGHTINGS = 2
"""Times the weights are recomputed from the fitted line."""
OUTLIER_P_VALUE = 1e-2
"""Widths are dropped from the line while its chi-square has a smaller p-value."""
WIDTH_SYSTEMATIC = 0.03
"""Relative systematic uncertainty added in quadrature to every fitted width: the
best two-term line through single-line widths of the Fulcrum-40h reference spectra
(59.5-2614 keV) leaves residuals of up to 3 % (``docs/benchmarks.md``)."""

BACKGROUND_LINES: tuple[tuple[str, float], ...] = (
    ("Pb-214", 295.224),
    ("Ac-228", 338.320),
    ("Pb-214", 351.932),
    ("Tl-208", 583.187),
    ("Bi-214", 609.312),
    ("Ac-228", 911.196),
    ("Bi-214", 1120.287),
    ("Bi-214", 1238.111),
    ("K-40", 1460.822),
    ("Bi-214", 1764.494),
    ("Bi-214", 2204.210),
    ("Tl-208", 2614.511),
)
"""Natural background lines ``(nuclide, keV)``: the strong gamma lines of K-40 and of
the uranium and thorium decay series in soil and building materials (Gilmore 2008,
chapter 13); energies from the curated table (DDEP), checked against it by a test.
Each dominates its neighbourhood in a natural background: the tabulated lines within
two FWHM are weaker by more than a factor of ten there (Ac-228 1459.1 keV, 0.87 % per
decay, beside K-40, against the 26 % of Ac-228 911.2 keV; U-234-series 1765.4 keV,
0.008 %, beside Bi-214 1764.5 keV), so the table's cleanliness test, which counts
every tabulated line alike, is not applied to them."""
MIN_BACKGROUND_SIGNIFICANCE = 5.0
"""Peaks the search finds from this significance (sigma; the default threshold of
:func:`~treatyverify.methods.gamma.identify.identify_lines`) count as neighbours of a
background line, and as X-ray lines to avoid."""
MIN_BACKGROUND_AREA_SIGMA = 3.0
"""A background line's width is kept when its fitted area is at least this many
standard deviations."""

GE_PAIR_ENERGY_KEV = 2.96e-3
"""Mean energy per electron-hole pair in germanium at 77 K, 2.96 eV: G. F. Knoll,
Radiation Detection and Measurement, 4th ed. (Wiley, 2010), table 11.1."""
GE_FANO_FACTOR = 0.1
"""Fano factor of germanium, about 0.1 (Knoll 2010, chapter 12; measured values range
from 0.06 to 0.13: T. Papp et al., X-Ray Spectrom. 34 (2005) 106, and the 0.123 of
a coaxial HPGe in Sains Malaysiana 44(5) (2015) 761)."""
FANO_LIMIT_KEV = FWHM_PER_SIGMA**2 * GE_FANO_FACTOR * GE_PAIR_ENERGY_KEV
"""Smallest statistical term of germanium: ``FWHM^2 = (2.355)^2 F w E``, so
``c >= 2.355^2 x 0.1 x 2.96e-3 keV = 1.64e-3 keV``."""
SLOPE_PRECISION = 0.5
"""The fitted statistical term is kept when its standard uncertainty is at most this
fraction of :data:`FANO_LIMIT_KEV`; otherwise the Fano limit is used."""
CLASSIFY_PEAKS = 5
"""Without a resolution estimate, the spectrum is classified on the widths of up to
this many of its most significant peaks (their median)."""
MIN_CLASSIFY_SIGNIFICANCE = 10.0
"""... each at least this significant in the search (sigma)."""

Width = tuple[float, float, float]
"""Energy (keV), FWHM (keV) and its standard uncertainty (keV) of one fitted peak."""


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
        Energies of the peaks whose widths the line was fitted to (keV); widths
        dropped as not fitting it are not listed.
    span_kev
        Lowest and highest energy (keV) of the widths measured to :data:`SPAN_PRECISION`
        or better, the ones that pin the line: outside it the line is extrapolated.
    slope_measured
        Whether ``fano_kev`` was measured (``True``) or set to the Fano limit of
        germanium because the widths did not determine it (``False``).
    """

    noise_kev: float
    fano_kev: float
    peaks_used: tuple[float, ...]
    span_kev: tuple[float, float] = (0.0, 0.0)
    slope_measured: bool = True

    def fwhm_kev(self, energy_kev: float) -> float:
        """FWHM at ``energy_kev`` (keV)."""
        return math.sqrt(self.noise_kev**2 + self.fano_kev * energy_kev)

    def extrapolated(self, energy_kev: float) -> bool:
        """Whether ``energy_kev`` (keV) lies outside the span of the fitted peaks."""
        return not self.span_kev[0] <= energy_kev <= self.span_kev[1]


@dataclass(frozen=True)
class _Line:
    """A fitted ``FWHM^2 = noise_sq + fano E``; ``measured`` as in ResolutionEstimate;
    ``kept`` the indices of the widths it was fitted to (the others were dropped)."""

    noise_sq: float
    fano: float
    measured: bool
    kept: tuple[int, ...]


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

    See the module docstring for the choice of peaks, the fits and the bounds.

    Raises
    ------
    InputError
        When too few widths could be measured, or they fall with energy (no
        resolution follows ``FWHM^2 = a^2 + c E``).
    """
    found = identify_lines(spectrum, min_significance=MIN_BACKGROUND_SIGNIFICANCE)
    guess_kev = typical_fwhm_kev(spectrum)
    xrays = _xray_energies()
    usable = [p for p in found if not _near(p.energy_kev, xrays, XRAY_FWHM * guess_kev)]
    peaks = [p for p in usable if p.significance >= MIN_SIGNIFICANCE]
    isolated = [p for p in peaks if _isolated(p, peaks, guess_kev)]
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
    if line is None or not line.measured:
        widths += _background_widths(spectrum, calibration, found, widths, guess_kev)
        line = _sound_line(widths)
    if line is None or not line.measured:
        tried = {w[0] for w in widths}
        rest = [p for p in others if p.energy_kev not in tried]
        widths += _widths(spectrum, calibration, rest, guess_kev, MAX_PEAKS)
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
    if len(widths) < MIN_PEAKS_FANO_SLOPE:
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
    energies = tuple(widths[i][0] for i in line.kept)
    pinned = [widths[i][0] for i in line.kept if widths[i][2] <= SPAN_PRECISION * widths[i][1]]
    span = (min(pinned), max(pinned)) if pinned else (min(energies), max(energies))
    return ResolutionEstimate(math.sqrt(line.noise_sq), line.fano, energies, span, line.measured)


# --------------------------------------------------------------------------- peaks


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


@functools.cache
def _xray_energies() -> NDArray[np.float64]:
    """Energies of the X-ray lines of the nuclear-data table, increasing (keV)."""
    return np.sort(
        np.asarray(
            [
                line.energy_kev
                for entry in load_gamma_lines().nuclides.values()
                for line in entry.lines
                if line.kind == "xray"
            ],
            dtype=np.float64,
        )
    )


def _near(energy_kev: float, table: NDArray[np.float64], distance_kev: float) -> bool:
    """Whether ``table`` has an energy within ``distance_kev`` of ``energy_kev`` (keV)."""
    return bool(table.size) and float(np.min(np.abs(table - energy_kev))) <= distance_kev


def _isolated(peak: IdentifiedPeak, peaks: list[IdentifiedPeak], guess_kev: float) -> bool:
    """No other of ``peaks`` within ISOLATION_FWHM typical widths (keV) of ``peak``."""
    return not any(
        q is not peak and abs(q.energy_kev - peak.energy_kev) < ISOLATION_FWHM * guess_kev
        for q in peaks
    )


def _background_widths(
    spectrum: Spectrum,
    calibration: EnergyCalibration,
    found: list[IdentifiedPeak],
    measured: list[Width],
    guess_kev: float,
) -> list[Width]:
    """Widths of the natural background lines, fitted at their tabulated energies.

    A line is fitted when no peak the search found (other than the line itself,
    within half a typical width) lies within ISOLATION_FWHM typical widths, no X-ray
    line is near, and its width was not measured already; it is kept when its area is
    at least MIN_BACKGROUND_AREA_SIGMA standard deviations (see :func:`_fitted_fwhm`).
    The table's cleanliness test is not applied: the list is chosen clean for natural
    backgrounds (see :data:`BACKGROUND_LINES`).
    """
    widths: list[Width] = []
    for _, energy in BACKGROUND_LINES:
        if any(abs(w[0] - energy) < ISOLATION_FWHM * guess_kev for w in measured):
            continue
        if _near(energy, _xray_energies(), XRAY_FWHM * guess_kev):
            continue
        crowded = any(
            0.5 * guess_kev < abs(p.energy_kev - energy) < ISOLATION_FWHM * guess_kev for p in found
        )
        if crowded:
            continue
        width = _fitted_fwhm(
            spectrum, calibration, energy, guess_kev, min_area_sigma=MIN_BACKGROUND_AREA_SIGMA
        )
        if width is not None:
            widths.append((energy, *width))
    return widths


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
) -> list[Width]:
    """Energy, FWHM and its uncertainty (keV) of up to ``limit`` of ``peaks``, in order;
    peaks whose fit is refused (see :func:`_fitted_fwhm`) are passed over."""
    measured: list[Width] = []
    for peak in peaks:
        if len(measured) >= limit:
            break
        width = _fitted_fwhm(spectrum, calibration, peak.energy_kev, guess_kev)
        if width is not None:
            measured.append((peak.energy_kev, *width))
    return measured


def _fitted_fwhm(
    spectrum: Spectrum,
    calibration: EnergyCalibration,
    energy_kev: float,
    guess_kev: float,
    width_range: tuple[float, float] = WIDTH_RANGE,
    *,
    min_area_sigma: float = 0.0,
) -> tuple[float, float] | None:
    """FWHM and its standard uncertainty (keV) of the single peak at ``energy_kev``.

    ``None`` when the region is too short, the fit fails or does not converge, the
    centroid lies more than half ``guess_kev`` from ``energy_kev``, the area is less
    than ``min_area_sigma`` standard deviations, or the width is outside
    ``width_range`` of ``guess_kev`` (keV).
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
    if not fitted.area > min_area_sigma * fitted.area_sigma:
        return None
    centroid_kev = float(calibration.energy(np.asarray([fitted.centroid_ch]))[0])
    if abs(centroid_kev - energy_kev) > 0.5 * guess_kev:
        return None
    gain = float(calibration.gain(np.asarray([fitted.centroid_ch]))[0])
    fwhm = fitted.fwhm_ch * gain
    if not width_range[0] <= fwhm / guess_kev <= width_range[1]:
        return None
    return fwhm, fitted.fwhm_sigma * gain


# --------------------------------------------------------------------------- the line


def _sound_line(widths: list[Width]) -> _Line | None:
    """``FWHM^2 = noise_sq + fano E`` fitted to ``widths`` within the physics bounds.

    ``None`` when there are too few widths (MIN_PEAKS for a measured slope,
    MIN_PEAKS_FANO_SLOPE for the Fano limit), or when the widths fall with energy:
    the unbounded slope more than three standard deviations below zero.
    """
    if len(widths) < MIN_PEAKS_FANO_SLOPE:
        return None
    energies = np.asarray([w[0] for w in widths])
    fwhm = np.asarray([w[1] for w in widths])
    relative = np.hypot(np.asarray([w[2] for w in widths]) / fwhm, WIDTH_SYSTEMATIC)
    return _robust_line(energies, fwhm**2, relative)


def _bounded_fit(
    x: NDArray[np.float64], y: NDArray[np.float64], w: NDArray[np.float64], fano: float | None
) -> tuple[float, float]:
    """Weighted least squares ``y = a + b x`` with ``a >= 0`` and ``b >= FANO_LIMIT_KEV``,
    or with ``b`` fixed to ``fano`` when given; ``w`` are inverse standard deviations.

    A two-parameter problem with bounds: the best of the unbounded solution and the
    solutions with one or both bounds active that satisfies them.
    """
    w2 = w**2

    def with_slope(b: float) -> tuple[float, float]:
        return max(float(np.sum(w2 * (y - b * x)) / np.sum(w2)), 0.0), b

    if fano is not None:
        return with_slope(fano)
    candidates: list[tuple[float, float]] = []
    if x.size >= 2 and np.ptp(x) > 0:
        design = np.column_stack([np.ones(x.size), x]) * w[:, None]
        solution, *_ = np.linalg.lstsq(design, y * w, rcond=None)
        candidates.append((float(solution[0]), float(solution[1])))
    candidates.append(with_slope(FANO_LIMIT_KEV))
    through_origin = float(np.sum(w2 * x * y) / np.sum(w2 * x * x))
    candidates.append((0.0, through_origin))
    feasible = [(a, b) for a, b in candidates if a >= 0.0 and b >= FANO_LIMIT_KEV]
    return min(feasible, key=lambda ab: float(np.sum(w2 * (y - ab[0] - ab[1] * x) ** 2)))


def _slope_sigma(
    x: NDArray[np.float64], y: NDArray[np.float64], w: NDArray[np.float64]
) -> tuple[float, float]:
    """Unbounded weighted slope of ``y`` on ``x`` and its standard uncertainty, scaled
    by the larger of 1 and the square root of the reduced chi-square."""
    if x.size < MIN_PEAKS or np.ptp(x) <= 0:
        return math.nan, math.inf
    design = np.column_stack([np.ones(x.size), x]) * w[:, None]
    solution, *_ = np.linalg.lstsq(design, y * w, rcond=None)
    residual = y * w - design @ solution
    scale = max(1.0, float(np.sum(residual**2)) / (x.size - 2))
    covariance = np.linalg.inv(design.T @ design) * scale
    return float(solution[1]), math.sqrt(float(covariance[1, 1]))


def _weighted_line(
    x: NDArray[np.float64], y: NDArray[np.float64], relative: NDArray[np.float64]
) -> tuple[float, float, bool, NDArray[np.float64]]:
    """The bounded line, whether its slope is measured, and the weights it used.

    The standard deviation of ``FWHM^2`` is ``2 relative FWHM^2``, taken at the line
    rather than at the measured width, so that a width that fluctuated low does not
    gain weight: the weights start from the widths and are recomputed twice from the
    line (iteratively reweighted least squares).
    """
    w = 1.0 / (2.0 * relative * y)
    a, b, measured = 0.0, FANO_LIMIT_KEV, False
    for _ in range(REWEIGHTINGS + 1):
        _, slope_sigma = _slope_sigma(x, y, w)
        measured = slope_sigma <= SLOPE_PRECISION * FANO_LIMIT_KEV
        a, b = _bounded_fit(x, y, w, None if measured else FANO_LIMIT_KEV)
        w = 1.0 / (2.0 * relative * np.maximum(a + b * x, 1e-9))
    return a, b, measured, w


def _robust_line(
    x: NDArray[np.float64], y: NDArray[np.float64], relative: NDArray[np.float64]
) -> _Line | None:
    """The bounded line through ``(x, y)``, dropping widths that do not fit it.

    ``relative`` are the relative standard uncertainties of the widths. The slope is
    measured when its unbounded standard uncertainty is at most SLOPE_PRECISION of
    the Fano limit, otherwise it is the Fano limit. While the chi-square of the line is
    improbable (p-value below OUTLIER_P_VALUE) and more widths remain than the line
    needs, the width whose removal lowers the chi-square most is dropped: a deletion
    test, which finds a strong biased width even when it pulls the line towards itself.
    """
    keep = np.ones(x.size, dtype=bool)
    while True:
        xs, ys, rs = x[keep], y[keep], relative[keep]
        a, b, measured, w = _weighted_line(xs, ys, rs)
        slope, slope_sigma = _slope_sigma(xs, ys, w)
        if measured and slope < -3.0 * slope_sigma:
            return None  # the widths fall with energy: not a resolution
        fano = None if measured else FANO_LIMIT_KEV
        need = MIN_PEAKS if measured else MIN_PEAKS_FANO_SLOPE
        count = xs.size
        if count < need:
            return None
        chi_square = float(np.sum(((ys - a - b * xs) * w) ** 2))
        dof = count - (2 if measured else 1)
        if count <= need or chi_square <= stats.chi2.isf(OUTLIER_P_VALUE, dof):
            return _Line(a, b, measured, tuple(int(i) for i in np.flatnonzero(keep)))
        kept = np.flatnonzero(keep)
        drops = []
        for position in range(count):
            rest = np.arange(count) != position
            c_a, c_b = _bounded_fit(xs[rest], ys[rest], w[rest], fano)
            drops.append(float(np.sum(((ys[rest] - c_a - c_b * xs[rest]) * w[rest]) ** 2)))
        keep[kept[int(np.argmin(drops))]] = False


# --------------------------------------------------------------------------- kinds


def spectrum_class(spectrum: Spectrum, calibration: EnergyCalibration) -> DetectorKind | None:
    """The detector class of a spectrum whose resolution could not be estimated.

    The most significant peaks (up to :data:`CLASSIFY_PEAKS`, each at least
    :data:`MIN_CLASSIFY_SIGNIFICANCE`) are fitted alone with a free width; the median
    FWHM, carried to 662 keV by the Fano limit of germanium (the slowest growth any
    detector has, so a scintillator is never made to look wider than it is), gives the
    class (:func:`~treatyverify.methods.gamma.instrument.resolution_class`). Without
    such a peak, channels wider than
    :data:`~treatyverify.methods.gamma.identify.HPGE_MAX_GAIN_KEV` mean a
    low-resolution detector (``nai``: an HPGe peak would span under two channels),
    finer channels mean nothing (``None``).
    """
    edges = spectrum.channel_edges_kev
    if edges is None:
        return None
    guess_kev = typical_fwhm_kev(spectrum)
    peaks = sorted(
        (
            p
            for p in identify_lines(spectrum, min_significance=MIN_CLASSIFY_SIGNIFICANCE)
            if not _near(p.energy_kev, _xray_energies(), XRAY_FWHM * guess_kev)
        ),
        key=lambda p: p.significance,
        reverse=True,
    )
    reference = reference_energy_kev()
    at_reference: list[float] = []
    for peak in peaks[: 2 * CLASSIFY_PEAKS]:
        width = _fitted_fwhm(spectrum, calibration, peak.energy_kev, guess_kev, (0.1, 5.0))
        if width is not None:
            squared = width[0] ** 2 + FANO_LIMIT_KEV * (reference - peak.energy_kev)
            at_reference.append(math.sqrt(max(squared, width[0] ** 2 * 0.25)))
        if len(at_reference) >= CLASSIFY_PEAKS:
            break
    if at_reference:
        return resolution_class(float(np.median(at_reference)) / reference)
    gain = float(np.median(np.diff(edges)))
    return DetectorKind.NAI if gain >= HPGE_MAX_GAIN_KEV else None


# --------------------------------------------------------------------------- measurement


def measurement_from_spectrum(
    spectrum: Spectrum,
    *,
    fwhm_noise_kev: float | None = None,
    fwhm_fano_kev: float | None = None,
    instrument: InstrumentProfile | None = None,
) -> GammaMeasurement:
    """A :class:`GammaMeasurement` with the file's calibration and a resolution.

    The resolution is, in this order: both terms when given; the instrument profile's
    when it has one; otherwise measured on the spectrum (:func:`estimate_resolution`).
    The profile, if any, travels with the measurement.

    Raises
    ------
    MethodRefusedError
        ``needs-high-resolution``: the resolution could not be measured and the
        spectrum, or its instrument profile, is not HPGe-class (:func:`spectrum_class`).
    InputError
        Only one resolution term given, or the resolution of an HPGe-class spectrum
        could not be measured.
    """
    calibration = calibration_from_edges(spectrum)
    if (fwhm_noise_kev is None) != (fwhm_fano_kev is None):
        raise InputError("give both resolution terms or neither", where="fwhm_fano_kev")
    if fwhm_noise_kev is None or fwhm_fano_kev is None:
        if instrument is not None and instrument.has_resolution:
            fwhm_noise_kev = float(instrument.fwhm_noise_kev or 0.0)
            fwhm_fano_kev = float(instrument.fwhm_fano_kev or 0.0)
        else:
            try:
                estimate = estimate_resolution(spectrum, calibration)
            except InputError as failure:
                _refuse_low_resolution(spectrum, calibration, instrument, failure)
                raise
            fwhm_noise_kev, fwhm_fano_kev = estimate.noise_kev, estimate.fano_kev
    return GammaMeasurement(
        spectrum, calibration, fwhm_noise_kev, fwhm_fano_kev, instrument=instrument
    )


def _refuse_low_resolution(
    spectrum: Spectrum,
    calibration: EnergyCalibration,
    instrument: InstrumentProfile | None,
    failure: InputError,
) -> None:
    """Raise the refusal when a failed estimate is that of a non-HPGe spectrum."""
    kind: DetectorKind
    if instrument is not None and instrument.detector not in (
        DetectorKind.HPGE,
        DetectorKind.OTHER,
    ):
        kind, basis = instrument.detector, f"instrument {instrument.id!r}"
    else:
        measured = spectrum_class(spectrum, calibration)
        if measured is None or measured is DetectorKind.HPGE:
            return
        kind, basis = measured, "its peak widths or channels"
    raise MethodRefusedError(
        "needs-high-resolution",
        "the gamma attributes need a high-resolution (HPGe-class) spectrum; this one is "
        f"from a {detector_label(kind)}-class detector ({basis}), and its resolution "
        "could not be measured",
        where=spectrum.source,
    ) from failure


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class DetectorReport:
    """What the attributes would take a spectrum's detector and resolution to be.

    Attributes
    ----------
    kind
        The instrument profile's kind when there is one (other than ``other``),
        otherwise the class of the resolution; ``None`` when neither is known.
    basis
        How ``kind`` was learnt, in words (``"instrument 'portal-hpge'"``, ``"class of
        the resolution measured on the spectrum"``...).
    resolution_class
        The class of the resolution used (:func:`resolution_class`), or ``None``.
    fwhm_noise_kev, fwhm_fano_kev
        The resolution used, ``FWHM(E)^2 = a^2 + c E`` (keV, keV), or ``None``.
    resolution_source
        ``"given"``, ``"instrument"``, ``"measured"`` or ``"none"``.
    problem
        Why there is no resolution (the refusal or error message), or ``None``.
    """

    kind: DetectorKind | None
    basis: str
    resolution_class: DetectorKind | None
    fwhm_noise_kev: float | None
    fwhm_fano_kev: float | None
    resolution_source: str
    problem: str | None = None

    def fwhm_kev(self, energy_kev: float) -> float | None:
        """FWHM at ``energy_kev`` (keV) of the resolution used, or ``None``."""
        if self.fwhm_noise_kev is None or self.fwhm_fano_kev is None:
            return None
        return math.sqrt(self.fwhm_noise_kev**2 + self.fwhm_fano_kev * energy_kev)


def describe_detector(
    spectrum: Spectrum, instrument: InstrumentProfile | None = None
) -> DetectorReport:
    """The detector and resolution :func:`measurement_from_spectrum` would use.

    Never raises for a spectrum whose resolution cannot be had: the refusal or the
    error becomes :attr:`DetectorReport.problem` (a calibrated spectrum is needed).
    """
    profile_kind = (
        instrument.detector
        if instrument is not None and instrument.detector is not DetectorKind.OTHER
        else None
    )
    profile_basis = f"instrument {instrument.id!r}" if instrument is not None else ""
    try:
        measurement = measurement_from_spectrum(spectrum, instrument=instrument)
    except InputError as exc:
        measured = spectrum_class(spectrum, calibration_from_edges(spectrum))
        return DetectorReport(
            profile_kind or measured,
            profile_basis if profile_kind else "class of its peak widths or channels",
            None,
            None,
            None,
            "none",
            exc.message,
        )
    energy = reference_energy_kev()
    measured_class = resolution_class(measurement.fwhm_kev(energy) / energy)
    source = "instrument" if instrument is not None and instrument.has_resolution else "measured"
    basis = (
        "class of the instrument's resolution"
        if source == "instrument"
        else "class of the resolution measured on the spectrum"
    )
    return DetectorReport(
        profile_kind or measured_class,
        profile_basis if profile_kind else basis,
        measured_class,
        measurement.fwhm_noise_kev,
        measurement.fwhm_fano_kev,
        source,
    )
