"""Gamma attributes of a nuclear item: physics result with uncertainty, then a decision.

Each attribute has one function that computes the physics result (a net area, an
isotopic ratio, an age, an enrichment) with its standard uncertainty and compares it
with a threshold the caller passes in. The caller is the method catalog
(:mod:`treatyverify.barrier.catalog`), which takes every threshold from the treaty
specification; there are no decision thresholds in this module. The results are
sensitive: they stay behind the information barrier, which releases only what the
treaty lists in ``reveals``.

Relative efficiency ("intrinsic" self-calibration). The ratio, age and enrichment
attributes need no efficiency-calibrated geometry: the peak areas of many lines of a
reference nuclide (Pu-239 or U-235), divided by their emission probabilities, trace
the relative full-energy efficiency of the measurement, container and self-absorption
included, as a smooth function of energy. The lines of the other nuclides are put on
the same curve with one free level per nuclide, which is the activity ratio to the
reference. This is the method of FRAM and MGA (T. E. Sampson et al., "Application
Guide to Gamma-Ray Isotopic Analysis Using the FRAM Software", LA-14018, 2003;
R. Gunnink, "MGA: a gamma-ray spectrum analysis code for determining plutonium
isotopic abundances", UCRL-LR-103220, 1990), here as one generalised least-squares
fit of ``ln(A_k / Y_k) = s_nuclide(k) + sum_j beta_j (ln E_k)^j`` with the full
covariance of the areas from the Poisson-likelihood multiplet fits. Every line energy,
emission probability and half-life comes from ``nucdata/gamma_lines.yaml`` (DDEP).

Channel convention: channel ``i`` spans ``[i, i + 1)`` (see
:mod:`treatyverify.methods.gamma.peaks`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from treatyverify.errors import InputError
from treatyverify.methods.gamma.calibration import EnergyCalibration
from treatyverify.methods.gamma.peaks import MultipletFit, fit_multiplet
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.nucdata.tables import line, nuclide
from treatyverify.treaty.models import InstrumentProfile

__all__ = [
    "OXIDE_LINES_KEV",
    "PU239_PRESENCE_LINES_KEV",
    "PU241_ALPHA_BRANCHING",
    "SYMMETRY_LINES_KEV",
    "AgeResult",
    "EnrichmentResult",
    "FixedLineFit",
    "GammaMeasurement",
    "IsotopicsFit",
    "LineSignificance",
    "OxideResult",
    "PresenceResult",
    "RatioResult",
    "RelativeActivities",
    "SymmetryResult",
    "TracedLine",
    "age_from_activity_ratio",
    "fit_fixed_lines",
    "line_areas",
    "oxide_absence",
    "pu240_pu239_ratio",
    "pu_age",
    "pu_isotopics",
    "pu_presence",
    "relative_activities",
    "symmetry",
    "u_enrichment",
]

FloatArray = npt.NDArray[np.float64]

PU239_PRESENCE_LINES_KEV: tuple[float, ...] = (375.054, 413.713)
"""Pu-239 lines of the presence attribute (keV), DDEP via ``gamma_lines.yaml``; the
129.296 keV line is added when the item is declared unshielded."""

PU_REGIONS_KEV: tuple[tuple[float, float], ...] = (
    (203.0, 208.5),
    (332.0, 337.7),
    (345.0, 345.1),
    (367.0, 383.9),
    (413.7, 413.8),
    (451.4, 451.5),
    (633.0, 664.6),
)
"""Energy windows (keV) of the plutonium isotopics fit. Each is fitted over the window
plus three FWHM on each side, with *every* tabulated line of Pu-239, Pu-240, Pu-241
(with its U-237 daughter) and Am-241 whose energy falls in that span, tied to its
tabulated energy and emission probability: the Pu-239 lines at 203.55, 332.85,
345.01, 375.05, 380.19, 382.75, 413.71, 451.48 and 633-665 keV, the Pu-240 642.34 keV
line, the U-237 lines at 208.00, 332.38, 335.38, 337.7, 368.60 and 370.93 keV and the
Am-241 lines at 208.01, 332.35, 335.37, 368.62, 370.94, 376.65, 641.32, 652.73
and 662.40 keV, among others (see ``gamma_lines.yaml``)."""

PU_ISOTOPICS_NUCLIDES: tuple[str, ...] = ("Pu-239", "Pu-240", "Pu-241", "Am-241")
"""Nuclides of the plutonium isotopics fit; Pu-239 is the reference."""

PU241_ALPHA_BRANCHING = 2.44e-5
"""Alpha branching of Pu-241 to U-237 (0.00244 %), DDEP Pu-241 evaluation KRI-2006 as
noted in ``gamma_lines.yaml``. U-237 (6.75 d) is in equilibrium with Pu-241 a few
weeks after separation, so its 208.00 keV line traces Pu-241."""

OXIDE_LINES_KEV: tuple[float, ...] = (870.7,)
"""Line of the absence-of-oxide attribute (keV): the first excited state of O-17
(870.7 keV; D. R. Tilley, H. R. Weller and C. M. Cheves, Nucl. Phys. A 565 (1993) 1).
HPGe spectra of PuO2 powders show it as the one oxygen-related line ("Detection of the
871 keV gamma-ray from PuO2 material", 2005, OpenAlex work 2005.article.000368); the
FMTTD measured an absence-of-oxide attribute (OSTI 783354, 2001). See docs/attributes.md."""

SYMMETRY_LINES_KEV: tuple[float, ...] = (375.054, 413.713, 645.94)
"""Pu-239 lines whose rates the symmetry attribute compares between positions (keV)."""

_REGION_HALF_WIDTH_FWHM = 3.0  # region = line +- 3 FWHM beyond the outer lines
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
_MAX_SHIFT_FWHM = 0.5  # largest accepted shift of a tied multiplet from its energies
# Largest accepted standard uncertainty of ln(Pu-239 level) in the isotopics fit: a
# level known to worse than 1/3 (a 3-sigma signal) means there is no plutonium to fit.
_MAX_LEVEL_SIGMA = 1.0 / 3.0


@dataclass(frozen=True, eq=False)
class GammaMeasurement:
    """One gamma spectrum with the instrument calibration needed to analyse it.

    Parameters
    ----------
    spectrum
        The measured spectrum (counts per channel, live time in s).
    calibration
        Energy calibration, channel -> keV.
    fwhm_noise_kev
        Resolution: ``FWHM(E)^2 = fwhm_noise_kev^2 + fwhm_fano_kev * E`` (keV, keV).
    fwhm_fano_kev
        The statistical term of the resolution (keV; FWHM^2 grows by this many keV^2
        per keV of energy).
    """

    spectrum: Spectrum
    calibration: EnergyCalibration
    fwhm_noise_kev: float
    fwhm_fano_kev: float
    instrument: InstrumentProfile | None = None  # the agreed detector (instrument.py)

    def __post_init__(self) -> None:
        for name in ("fwhm_noise_kev", "fwhm_fano_kev"):
            value = float(getattr(self, name))
            if not math.isfinite(value) or value < 0.0:
                raise InputError("must be a finite number >= 0 keV", where=name)
        if self.fwhm_noise_kev == 0.0 and self.fwhm_fano_kev == 0.0:
            raise InputError("the resolution is zero", where="fwhm_noise_kev")

    def __repr__(self) -> str:
        return f"GammaMeasurement(spectrum={self.spectrum!r})"

    def fwhm_kev(self, energy_kev: float) -> float:
        """FWHM at ``energy_kev`` (keV)."""
        return math.sqrt(self.fwhm_noise_kev**2 + self.fwhm_fano_kev * energy_kev)

    def region(self, energies_kev: Sequence[float]) -> tuple[int, int]:
        """Channels ``[lo, hi)`` spanning the lines plus three FWHM each side."""
        cal = self.calibration
        e_lo, e_hi = min(energies_kev), max(energies_kev)
        lo_e = e_lo - _REGION_HALF_WIDTH_FWHM * self.fwhm_kev(e_lo)
        hi_e = e_hi + _REGION_HALF_WIDTH_FWHM * self.fwhm_kev(e_hi)
        lo = max(math.floor(float(cal.channel(lo_e))), 0)
        hi = min(math.ceil(float(cal.channel(hi_e))), self.spectrum.n_channels)
        if hi - lo < 8:
            raise InputError(
                f"the region around {e_lo:.1f}-{e_hi:.1f} keV lies outside the spectrum",
                where=self.spectrum.source,
            )
        return lo, hi

    def fit_lines(self, energies_kev: Sequence[float]) -> MultipletFit:
        """Fit Gaussian peaks at known energies (keV) with the known resolution.

        The region spans the lines plus three FWHM on each side; the centroids are
        tied to the calibration with one common shift, the widths follow the
        resolution (held fixed, as weak peaks advise), the background is linear.
        A shift of more than half a FWHM means the lines are not there: InputError.
        """
        e = np.asarray(sorted(energies_kev), dtype=np.float64)
        cal = self.calibration
        lo, hi = self.region([float(v) for v in e])

        def fwhm_ch(x: FloatArray) -> FloatArray:
            energy = cal.energy(x)
            width = np.sqrt(self.fwhm_noise_kev**2 + self.fwhm_fano_kev * energy)
            return np.asarray(width / cal.gain(x), dtype=np.float64)

        guesses = cal.channel(e)
        fit = fit_multiplet(
            self.spectrum.counts,
            lo,
            hi,
            [float(g) for g in guesses],
            fwhm_guess=float(fwhm_ch(np.asarray(guesses[:1]))[0]),
            energies=[float(v) for v in e],
            calibration=cal,
            fwhm_model=fwhm_ch,
            fix_width=True,
        )
        shift = float(fit.values[fit.parameter_names.index("shift")])
        if abs(shift) > _MAX_SHIFT_FWHM * float(fwhm_ch(guesses[:1])[0]):
            raise InputError(
                f"no peak found at {e[0]:.1f}-{e[-1]:.1f} keV (the fit moved the lines away)",
                where=self.spectrum.source,
            )
        return fit


# ----------------------------------------------------------------- line areas


@dataclass(frozen=True)
class LineSignificance:
    """Net area of one line and its significance.

    Parameters
    ----------
    energy_kev
        Line energy (keV).
    area, area_sigma
        Net area and its standard uncertainty (counts).
    """

    energy_kev: float
    area: float
    area_sigma: float

    @property
    def significance_sigma(self) -> float:
        """``area / area_sigma`` (standard deviations)."""
        return self.area / self.area_sigma if self.area_sigma > 0 else 0.0


def line_areas(
    measurement: GammaMeasurement, energies_kev: Sequence[float]
) -> list[LineSignificance]:
    """Net areas of lines at their known energies (lines within 3 FWHM share a region).

    The peak positions and widths are held at the calibration and resolution, so a
    weak or absent line is not pulled onto a nearby fluctuation; the areas may come
    out negative, which keeps the significance of an absent line centred on zero. The
    model ``mu = sum_k A_k g_k + linear background`` is linear in its parameters and is
    fitted by Poisson maximum likelihood with iteratively reweighted least squares
    (weights ``1 / mu``); the covariance is ``(X^T diag(1/mu) X)^-1``.
    """
    groups: list[list[float]] = []
    for energy in sorted(energies_kev):
        if groups and energy - groups[-1][-1] < 3.0 * measurement.fwhm_kev(energy):
            groups[-1].append(energy)
        else:
            groups.append([energy])
    out: list[LineSignificance] = []
    for group in groups:
        out.extend(_fixed_fit(measurement, group))
    return out


@dataclass(frozen=True, eq=False)
class FixedLineFit:
    """Net areas of lines held at known positions and widths, with their covariance.

    Parameters
    ----------
    energies_kev
        The line energies (keV).
    areas
        Net areas (counts); may be negative for absent lines.
    covariance
        Covariance of the areas (counts^2), from the Poisson Fisher information.
    dispersion
        Pearson chi-square of the region per degree of freedom: about 1 when the model
        (Gaussian lines on a linear background) describes the counts, larger when it
        does not (unmodelled lines, a line shape with tails).
    """

    energies_kev: tuple[float, ...]
    areas: FloatArray
    covariance: FloatArray
    dispersion: float


def fit_fixed_lines(measurement: GammaMeasurement, energies: Sequence[float]) -> FixedLineFit:
    """Fit lines at their known energies with the known resolution, in one region.

    The model ``mu = sum_k A_k g_k + linear background`` is linear in its parameters
    and is fitted by Poisson maximum likelihood with iteratively reweighted least
    squares (weights ``1 / mu``); the covariance is ``(X^T diag(1/mu) X)^-1``.
    """
    chosen = [float(e) for e in energies]
    cal = measurement.calibration
    lo, hi = measurement.region(chosen)
    n = measurement.spectrum.counts[lo:hi]
    edges = cal.energy(np.arange(lo, hi + 1, dtype=np.float64))
    columns = []
    for energy in chosen:
        sigma_kev = measurement.fwhm_kev(energy) / _FWHM_PER_SIGMA
        columns.append(np.diff(special.ndtr((edges - energy) / sigma_kev)))
    t = np.linspace(0.0, 1.0, n.size)
    columns.extend([1.0 - t, t])
    design = np.column_stack(columns)
    mu = np.maximum(n, 1.0)
    cov: FloatArray = np.eye(design.shape[1])
    theta = np.zeros(design.shape[1])
    for _ in range(8):
        w = 1.0 / mu
        cov = np.asarray(np.linalg.inv(design.T @ (design * w[:, None])), dtype=np.float64)
        theta = cov @ (design.T @ (w * n))
        # A floor far below one count: a higher one (0.5 was tried) overstates the
        # variance in near-empty regions and shrinks the significance's spread to a
        # third of its nominal 1 (measured on simulated spectra without oxide).
        mu = np.maximum(design @ theta, 1e-3)
    k = len(chosen)
    dof = max(n.size - design.shape[1], 1)
    dispersion = float(np.sum((n - mu) ** 2 / mu) / dof)
    return FixedLineFit(
        tuple(chosen), np.asarray(theta[:k], dtype=np.float64), cov[:k, :k].copy(), dispersion
    )


def _fixed_fit(measurement: GammaMeasurement, energies: list[float]) -> list[LineSignificance]:
    fit = fit_fixed_lines(measurement, energies)
    return [
        LineSignificance(e, float(fit.areas[k]), math.sqrt(max(float(fit.covariance[k, k]), 0.0)))
        for k, e in enumerate(energies)
    ]


@dataclass(frozen=True)
class PresenceResult:
    """Presence of plutonium (kept behind the barrier).

    Parameters
    ----------
    lines
        Net area of each Pu-239 line.
    significance_sigma
        Combined significance: the summed net area over its standard deviation.
    threshold_sigma
        The treaty threshold.
    passed
        ``significance_sigma >= threshold_sigma``.
    """

    lines: tuple[LineSignificance, ...]
    significance_sigma: float
    threshold_sigma: float
    passed: bool


def pu_presence(
    measurement: GammaMeasurement, *, min_significance_sigma: float, unshielded: bool = False
) -> PresenceResult:
    """Presence of plutonium from the net areas of Pu-239 lines.

    Parameters
    ----------
    measurement
        The spectrum with its calibration and resolution.
    min_significance_sigma
        Treaty threshold: plutonium is present when the combined significance
        ``sum(A_k) / sqrt(sum var(A_k))`` of the lines reaches it (standard deviations).
    unshielded
        Add the 129.296 keV line (useful only without a heavy container).

    Returns
    -------
    PresenceResult
        Per-line areas, the combined significance and the decision.
    """
    energies = list(PU239_PRESENCE_LINES_KEV)
    if unshielded:
        energies.insert(0, line("Pu-239", 129.296).energy_kev)
    areas = line_areas(measurement, energies)
    total = sum(a.area for a in areas)
    sigma = math.sqrt(sum(a.area_sigma**2 for a in areas))
    z = total / sigma if sigma > 0 else 0.0
    return PresenceResult(tuple(areas), z, min_significance_sigma, z >= min_significance_sigma)


# ---------------------------------------------------------- relative activities


@dataclass(frozen=True)
class TracedLine:
    """A line used on the relative-efficiency curve.

    Parameters
    ----------
    nuclide
        The nuclide whose activity the line traces (``"Pu-239"``).
    energy_kev
        Line energy (keV).
    probability, probability_sigma
        Emission probability per decay of ``nuclide`` and its standard uncertainty.
    """

    nuclide: str
    energy_kev: float
    probability: float
    probability_sigma: float


def _traced(nuclide_name: str, energy_kev: float, *, per_parent: float = 1.0) -> TracedLine:
    ln = line(nuclide_name, energy_kev, tolerance_kev=0.05)
    return TracedLine(
        nuclide_name, ln.energy_kev, ln.probability * per_parent, ln.probability_unc * per_parent
    )


@dataclass(frozen=True, eq=False)
class RelativeActivities:
    """Activities relative to a reference nuclide, from one intrinsic-efficiency fit.

    Parameters
    ----------
    reference
        The reference nuclide (its log activity is absorbed in the curve).
    nuclides
        The other nuclides, in the order of ``log_ratios``.
    log_ratios
        ``ln(activity / activity_reference)`` of each nuclide.
    covariance
        Their covariance.
    chi2, ndof
        Goodness of fit of the efficiency curve.
    """

    reference: str
    nuclides: tuple[str, ...]
    log_ratios: FloatArray = field(repr=False)
    covariance: FloatArray = field(repr=False)
    chi2: float
    ndof: int

    def log_ratio(self, name: str) -> tuple[float, float]:
        """``ln(A_name / A_reference)`` and its standard uncertainty."""
        k = self.nuclides.index(name)
        return float(self.log_ratios[k]), math.sqrt(max(float(self.covariance[k, k]), 0.0))


def relative_activities(
    measurement: GammaMeasurement,
    groups: Sequence[Sequence[TracedLine]],
    *,
    reference: str,
    degree: int,
    nuclear_data_uncertainty: bool = True,
) -> RelativeActivities:
    """Activity ratios to ``reference`` from an intrinsic relative-efficiency fit.

    Parameters
    ----------
    measurement
        The spectrum with calibration and resolution.
    groups
        Lines to fit; each group is fitted as one multiplet (its lines share one
        region), different groups independently.
    reference
        Nuclide that fixes the efficiency curve (at least ``degree + 1`` lines).
    degree
        Degree of the polynomial in ``ln E`` for ``ln(efficiency)``.
    nuclear_data_uncertainty
        Add the emission-probability uncertainties (DDEP) to the covariance.

    Returns
    -------
    RelativeActivities
        ``ln(A_X / A_reference)`` for every other nuclide with covariance.

    Raises
    ------
    InputError
        When a line has no positive net area, or the lines cannot fix the curve.
    """
    lines: list[TracedLine] = []
    blocks: list[FloatArray] = []
    areas: list[float] = []
    for group in groups:
        fit = measurement.fit_lines([ln.energy_kev for ln in group])
        order = sorted(group, key=lambda ln: ln.energy_kev)
        lines.extend(order)
        areas.extend(fit.areas.tolist())
        blocks.append(fit.area_covariance)
    a = np.asarray(areas, dtype=np.float64)
    if np.any(a <= 0.0):
        bad = [ln.energy_kev for ln, v in zip(lines, a, strict=True) if v <= 0.0]
        raise InputError(
            f"no net counts in the line(s) at {', '.join(f'{e:.1f}' for e in bad)} keV",
            where=measurement.spectrum.source,
        )
    n = a.size
    cov_a = np.zeros((n, n))
    start = 0
    for block in blocks:
        size = block.shape[0]
        cov_a[start : start + size, start : start + size] = block
        start += size
    y = np.log(a / np.array([ln.probability for ln in lines]))
    cov_y = cov_a / np.outer(a, a)
    if nuclear_data_uncertainty:
        rel = np.array([ln.probability_sigma / ln.probability for ln in lines])
        cov_y = cov_y + np.diag(rel**2)
    others = sorted({ln.nuclide for ln in lines} - {reference}, key=lambda s: s)
    if sum(ln.nuclide == reference for ln in lines) < degree + 1:
        raise InputError(
            f"the efficiency curve of degree {degree} needs at least {degree + 1} "
            f"lines of {reference}",
            where="degree",
        )
    log_e = np.log(np.array([ln.energy_kev for ln in lines]) / 400.0)
    design = np.column_stack(
        [log_e**j for j in range(degree + 1)]
        + [np.array([1.0 if ln.nuclide == name else 0.0 for ln in lines]) for name in others]
    )
    weight = np.linalg.inv(cov_y)
    normal = design.T @ weight @ design
    try:
        theta_cov = np.linalg.inv(normal)
    except np.linalg.LinAlgError as exc:
        raise InputError("the lines cannot fix the efficiency curve", where="lines") from exc
    theta = theta_cov @ design.T @ weight @ y
    resid = y - design @ theta
    chi2 = float(resid @ weight @ resid)
    k = degree + 1
    return RelativeActivities(
        reference=reference,
        nuclides=tuple(others),
        log_ratios=np.asarray(theta[k:], dtype=np.float64),
        covariance=np.asarray(theta_cov[k:, k:], dtype=np.float64),
        chi2=chi2,
        ndof=int(n - design.shape[1]),
    )


# ------------------------------------------------------------------ Pu-240/239


@dataclass(frozen=True)
class RatioResult:
    """Pu-240/Pu-239 atom ratio (kept behind the barrier).

    Parameters
    ----------
    ratio, ratio_sigma
        ``N(Pu-240) / N(Pu-239)`` and its standard uncertainty.
    max_ratio
        The treaty threshold.
    passed
        ``ratio < max_ratio``.
    efficiency_chi2, efficiency_ndof
        Goodness of fit of the relative-efficiency curve.
    """

    ratio: float
    ratio_sigma: float
    max_ratio: float
    passed: bool
    efficiency_chi2: float
    efficiency_ndof: int


@dataclass(frozen=True, eq=False)
class IsotopicsFit:
    """Result of :func:`pu_isotopics`: log activity ratios to Pu-239 with covariance."""

    nuclides: tuple[str, ...]
    log_ratios: FloatArray
    covariance: FloatArray
    deviance: float
    ndof: int


def _pu_line_table() -> list[tuple[str, float, float, float]]:
    """(nuclide, energy keV, probability per decay, its sigma) of the isotopics fit.

    U-237 lines are given per Pu-241 decay (alpha branching, equilibrium).
    """
    out: list[tuple[str, float, float, float]] = []
    for name in PU_ISOTOPICS_NUCLIDES:
        for ln in nuclide(name).lines:
            out.append((name, ln.energy_kev, ln.probability, ln.probability_unc))
    for ln in nuclide("U-237").lines:
        b = PU241_ALPHA_BRANCHING
        out.append(("Pu-241", ln.energy_kev, ln.probability * b, ln.probability_unc * b))
    return out


def pu_isotopics(
    measurement: GammaMeasurement, *, degree: int, nuclear_data_uncertainty: bool
) -> IsotopicsFit:
    """Joint Poisson fit of all plutonium regions with one relative-efficiency curve.

    Model, per channel ``i`` of every region of :data:`PU_REGIONS_KEV`:
    ``mu_i = sum_k exp(sum_j beta_j x_k^j + s_nuc(k)) p_k g_ik + b_r(i)`` with
    ``x_k = ln(E_k / 400 keV)``, ``p_k`` the emission probability of line ``k``,
    ``g_ik`` its Gaussian (calibration position, resolution width) integrated over the
    channel, ``s_nuc = ln(A_nuc / A_Pu239)`` (0 for Pu-239) and a linear background per
    region whose end values are ``exp`` of free parameters. Every area is an
    exponential, so it stays positive, and lines that no fit could separate (U-237 and
    Am-241 at 208.0 keV, Am-241 and Pu-240 near 641.5 keV) are apportioned through the
    nuclide levels fixed by the other lines. The Poisson deviance is minimised by
    Fisher scoring with Levenberg-Marquardt damping; the covariance is the inverse
    Fisher matrix, plus, with ``nuclear_data_uncertainty``, the emission-probability
    uncertainties propagated through the estimating equations.
    """
    cal = measurement.calibration
    table = _pu_line_table()
    others = [n for n in PU_ISOTOPICS_NUCLIDES if n != "Pu-239"]
    n_beta = degree + 1
    rows: list[FloatArray] = []
    blocks: list[FloatArray] = []
    used: list[tuple[str, float, float, float]] = []
    g_rows: list[list[FloatArray]] = []
    spans: list[tuple[int, int]] = []
    for e_lo, e_hi in PU_REGIONS_KEV:
        lo, hi = measurement.region([e_lo, e_hi])
        edges = cal.energy(np.arange(lo, hi + 1, dtype=np.float64))
        # Lines just outside the channels still leak their tails into them.
        reach = 5.0 * measurement.fwhm_kev(e_hi) / _FWHM_PER_SIGMA
        in_region = [t for t in table if edges[0] - reach <= t[1] <= edges[-1] + reach]
        spans.append((lo, hi))
        cols = []
        for t in in_region:
            sigma_kev = measurement.fwhm_kev(t[1]) / _FWHM_PER_SIGMA
            cols.append(np.diff(special.ndtr((edges - t[1]) / sigma_kev)))
        g_rows.append(cols)
        used.extend(in_region)
        rows.append(measurement.spectrum.counts[lo:hi])
        tt = np.linspace(0.0, 1.0, hi - lo)
        blocks.append(np.column_stack([1.0 - tt, tt]))
    n = np.concatenate(rows)
    n_lines = len(used)
    g = np.zeros((n.size, n_lines))
    bmat = np.zeros((n.size, 2 * len(spans)))
    row0, col0 = 0, 0
    for r, cols in enumerate(g_rows):
        size = rows[r].size
        for c, col in enumerate(cols):
            g[row0 : row0 + size, col0 + c] = col
        bmat[row0 : row0 + size, 2 * r : 2 * r + 2] = blocks[r]
        row0 += size
        col0 += len(cols)
    present = {t[0] for t in used}
    for name in PU_ISOTOPICS_NUCLIDES:
        if name not in present:
            raise InputError(f"no line of {name} in the fitted regions", where="PU_REGIONS_KEV")
    x = np.log(np.array([t[1] for t in used]) / 400.0)
    xpow = np.column_stack([x**j for j in range(n_beta)])
    member = np.column_stack([[1.0 if t[0] == name else 0.0 for t in used] for name in others])
    p = np.array([t[2] for t in used])
    design = np.hstack([xpow, member])  # log area = design @ theta[:k] + ln p
    k = design.shape[1]

    def model(theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        area = np.exp(design @ theta[:k]) * p
        bg = np.exp(theta[k:])
        mu = g @ area + bmat @ bg
        jac = np.hstack([g @ (design * area[:, None]), bmat * bg[None, :]])
        return np.maximum(mu, 1e-12), jac, area

    def deviance(mu: FloatArray) -> float:
        pos = n > 0
        return float(2.0 * (np.sum(mu - n) + np.sum(n[pos] * np.log(n[pos] / mu[pos]))))

    theta = np.zeros(k + bmat.shape[1])
    theta[n_beta:k] = [math.log(v) for v in (0.2, 10.0, 0.5)][: k - n_beta]
    for r, (lo, hi) in enumerate(spans):
        counts = measurement.spectrum.counts
        theta[k + 2 * r] = math.log(max(float(np.mean(counts[lo : lo + 3])), 0.5))
        theta[k + 2 * r + 1] = math.log(max(float(np.mean(counts[hi - 3 : hi])), 0.5))
    _, _, area0 = model(theta)
    net = float(np.sum(n) - np.sum(bmat @ np.exp(theta[k:])))
    theta[0] = math.log(max(net, 10.0) / float(np.sum(area0)))
    mu, jac, _ = model(theta)
    dev = deviance(mu)
    lam = 1e-3
    for _ in range(200):
        grad = jac.T @ (n / mu - 1.0)
        fisher = jac.T @ (jac / mu[:, None])
        damped = fisher + lam * np.diag(np.diag(fisher))
        try:
            step = np.linalg.solve(damped, grad)
        except np.linalg.LinAlgError as exc:
            raise InputError("the isotopics fit is singular", where="lines") from exc
        step = np.clip(step, -2.0, 2.0)
        trial = theta + step
        mu_t, jac_t, _ = model(trial)
        dev_t = deviance(mu_t)
        if dev_t <= dev:
            converged = dev - dev_t < 1e-7 * max(dev, 1.0)
            theta, mu, jac, dev = trial, mu_t, jac_t, dev_t
            lam = max(lam / 10.0, 1e-9)
            if converged:
                break
        else:
            lam *= 10.0
            if lam > 1e10:
                break
    fisher = jac.T @ (jac / mu[:, None])
    try:
        cov = np.asarray(np.linalg.inv(fisher), dtype=np.float64)
    except np.linalg.LinAlgError as exc:
        raise InputError("the lines cannot fix the efficiency curve", where="lines") from exc
    level_sigma = math.sqrt(max(float(cov[0, 0]), 0.0))
    if not level_sigma < _MAX_LEVEL_SIGMA:
        raise InputError(
            "no net counts of Pu-239 in the fitted regions (its level is uncertain by a "
            f"factor exp({level_sigma:.2g}))",
            where=measurement.spectrum.source,
        )
    if nuclear_data_uncertainty:
        # d mu / d ln p_k = area_k g_k; the estimate moves by cov J^T W (d mu / d ln p).
        area = np.exp(design @ theta[:k]) * p
        dmu = g * area[None, :]
        sens = cov @ (jac.T @ (dmu / mu[:, None]))
        rel = np.array([t[3] / t[2] for t in used])
        cov = cov + (sens * rel**2) @ sens.T
    sl = slice(n_beta, k)
    return IsotopicsFit(
        nuclides=tuple(others),
        log_ratios=np.asarray(theta[sl], dtype=np.float64),
        covariance=np.asarray(cov[sl, sl], dtype=np.float64),
        deviance=dev,
        ndof=int(n.size - theta.size),
    )


def pu240_pu239_ratio(
    measurement: GammaMeasurement,
    *,
    max_ratio: float,
    degree: int = 2,
    nuclear_data_uncertainty: bool = True,
) -> RatioResult:
    """Pu-240/Pu-239 atom ratio from the 640 keV multiplet, and the decision.

    One joint Poisson fit (:data:`PU_REGIONS_KEV`) of every tabulated Pu-239, Pu-240,
    Pu-241 (U-237) and Am-241 line in the 203-209, 328-341, 345, 367-384, 413.7, 451.5
    and 630-670 keV regions, energies and emission probabilities tied to the DDEP
    table, areas on one relative-efficiency curve with a free level per nuclide; the
    630-670 keV multiplet then holds Pu-239 633.15/637.80/639.99/645.94/652.05/654.88/
    658.86/664.58, Pu-240 642.34 and Am-241 632.93/641.32/652.73/662.40 keV. Then
    ``N240 / N239 = (A240 / A239) * T240 / T239`` with the DDEP half-lives.

    Decision: pass when the estimate ``ratio < max_ratio``. An item whose true ratio
    is ``r`` then fails with probability ``Phi((r - max_ratio) / sigma)``: about 50 % at
    the threshold, falling quickly below it once ``sigma`` is small; count long enough
    that ``sigma`` is well below ``max_ratio - r`` for genuine items.

    Parameters
    ----------
    measurement
        The spectrum with calibration and resolution.
    max_ratio
        Treaty threshold on ``N(Pu-240) / N(Pu-239)`` (dimensionless).
    degree
        Degree of the efficiency polynomial in ``ln E``.
    nuclear_data_uncertainty
        Include emission-probability and half-life uncertainties.
    """
    fit = pu_isotopics(
        measurement, degree=degree, nuclear_data_uncertainty=nuclear_data_uncertainty
    )
    k240 = fit.nuclides.index("Pu-240")
    log_act = float(fit.log_ratios[k240])
    log_sigma = math.sqrt(max(float(fit.covariance[k240, k240]), 0.0))
    t240, t239 = nuclide("Pu-240").half_life_s, nuclide("Pu-239").half_life_s
    ratio = math.exp(log_act) * t240.value / t239.value
    rel_var = log_sigma**2
    if nuclear_data_uncertainty:
        rel_var += (t240.uncertainty / t240.value) ** 2 + (t239.uncertainty / t239.value) ** 2
    sigma = ratio * math.sqrt(rel_var)
    return RatioResult(ratio, sigma, max_ratio, ratio < max_ratio, fit.deviance, fit.ndof)


# ---------------------------------------------------------------------- Pu age


@dataclass(frozen=True)
class AgeResult:
    """Time since the last separation of americium (kept behind the barrier).

    Parameters
    ----------
    age_years, age_sigma_years
        Age and its standard uncertainty (years of 365.2422 d).
    activity_ratio, activity_ratio_sigma
        ``A(Am-241) / A(Pu-241)`` and its uncertainty.
    min_age_years
        The treaty threshold.
    passed
        ``age_years >= min_age_years``.
    """

    age_years: float
    age_sigma_years: float
    activity_ratio: float
    activity_ratio_sigma: float
    min_age_years: float
    passed: bool


_YEAR_S = 365.2422 * 86400.0


def age_from_activity_ratio(activity_ratio: float) -> float:
    """Years since separation for ``A(Am-241)/A(Pu-241)``, Am-241 = 0 at separation.

    Bateman: ``A_Am / A_Pu = lam_Am / d * (exp(d t) - 1)`` with ``d = lam_Pu - lam_Am``,
    so ``t = ln(1 + q d / lam_Am) / d`` (half-lives DDEP via ``gamma_lines.yaml``).
    """
    if not math.isfinite(activity_ratio) or activity_ratio < 0.0:
        raise InputError("must be a finite ratio >= 0", where="activity_ratio")
    lam_am = math.log(2.0) / nuclide("Am-241").half_life_s.value
    lam_pu = math.log(2.0) / nuclide("Pu-241").half_life_s.value
    d = lam_pu - lam_am
    return math.log1p(activity_ratio * d / lam_am) / d / _YEAR_S


def pu_age(
    measurement: GammaMeasurement,
    *,
    min_age_years: float,
    degree: int = 2,
    nuclear_data_uncertainty: bool = True,
) -> AgeResult:
    """Plutonium age from the ingrowth of Am-241 from Pu-241, and the decision.

    Pu-241 is traced by the lines of its U-237 daughter (emission per Pu-241 decay =
    U-237 intensity x 0.00244 %, in equilibrium some weeks after separation: 208.00,
    332.38, 335.38, 368.60, 370.93 keV), Am-241 by its 208.01, 332.35, 335.37, 368.62,
    376.65, 641.32, 652.73 and 662.40 keV lines, in the same joint fit as
    :func:`pu240_pu239_ratio`. The activity ratio gives the age
    by :func:`age_from_activity_ratio`. Decision: pass when the estimate reaches
    ``min_age_years``.

    Parameters
    ----------
    measurement
        The spectrum with calibration and resolution.
    min_age_years
        Treaty threshold (years).
    degree
        Degree of the efficiency polynomial in ``ln E``.
    nuclear_data_uncertainty
        Include emission-probability uncertainties.
    """
    rel = pu_isotopics(
        measurement, degree=degree, nuclear_data_uncertainty=nuclear_data_uncertainty
    )
    k_am, k_pu = rel.nuclides.index("Am-241"), rel.nuclides.index("Pu-241")
    log_q = float(rel.log_ratios[k_am] - rel.log_ratios[k_pu])
    var = float(
        rel.covariance[k_am, k_am] + rel.covariance[k_pu, k_pu] - 2 * rel.covariance[k_am, k_pu]
    )
    q = math.exp(log_q)
    q_sigma = q * math.sqrt(max(var, 0.0))
    age = age_from_activity_ratio(q)
    lam_am = math.log(2.0) / nuclide("Am-241").half_life_s.value
    lam_pu = math.log(2.0) / nuclide("Pu-241").half_life_s.value
    dt_dq = 1.0 / (lam_am + q * (lam_pu - lam_am)) / _YEAR_S
    return AgeResult(age, dt_dq * q_sigma, q, q_sigma, min_age_years, age >= min_age_years)


# ------------------------------------------------------------- U enrichment


@dataclass(frozen=True)
class EnrichmentResult:
    """U-235 atom fraction of uranium (kept behind the barrier).

    Parameters
    ----------
    enrichment, enrichment_sigma
        ``N(U-235) / (N(U-235) + N(U-238))`` and its standard uncertainty.
    u235_significance_sigma
        Significance of the 185.72 keV line (presence of uranium).
    min_enrichment
        The treaty threshold.
    passed
        ``enrichment >= min_enrichment``.
    """

    enrichment: float
    enrichment_sigma: float
    u235_significance_sigma: float
    min_enrichment: float
    passed: bool


def u_enrichment(
    measurement: GammaMeasurement,
    *,
    min_enrichment: float,
    degree: int = 1,
    nuclear_data_uncertainty: bool = True,
) -> EnrichmentResult:
    """U-235 enrichment from 185.7 keV (U-235) against 1001 keV (Pa-234m, U-238).

    U-235 is traced by its 143.77, 163.36, 185.72 and 205.32 keV lines, U-238 by the
    766.36 and 1001.03 keV lines of Pa-234m (in secular equilibrium with U-238
    some months after separation). One relative-efficiency curve, a polynomial of
    ``degree`` in ``ln E``, joins the two groups; its shape between 205 and 766 keV is
    the assumption of the method (degree 1: a power law, as for a bare coaxial HPGe
    above ~150 keV; see docs/attributes.md). ``N235 / N238 = (A235 / A238) * T235 /
    T238``; the enrichment is the atom fraction ``r / (1 + r)`` (U-234 and U-236
    neglected). Decision: pass when the estimate reaches ``min_enrichment``.

    Parameters
    ----------
    measurement
        The spectrum with calibration and resolution.
    min_enrichment
        Treaty threshold on the U-235 atom fraction (dimensionless).
    degree
        Degree of the efficiency polynomial in ``ln E``.
    nuclear_data_uncertainty
        Include emission-probability and half-life uncertainties.
    """
    groups = [
        [_traced("U-235", 143.767), _traced("U-235", 163.356)],
        [_traced("U-235", 185.720), _traced("U-235", 205.316)],
        [_traced("Pa-234m", 766.361)],
        [_traced("Pa-234m", 1001.026)],
    ]
    rel = relative_activities(
        measurement,
        groups,
        reference="U-235",
        degree=degree,
        nuclear_data_uncertainty=nuclear_data_uncertainty,
    )
    log_act, log_sigma = rel.log_ratio("Pa-234m")  # ln(A238 / A235)
    t235, t238 = nuclide("U-235").half_life_s, nuclide("U-238").half_life_s
    r = math.exp(-log_act) * t235.value / t238.value  # N235 / N238
    rel_var = log_sigma**2
    if nuclear_data_uncertainty:
        rel_var += (t235.uncertainty / t235.value) ** 2 + (t238.uncertainty / t238.value) ** 2
    enrichment = r / (1.0 + r)
    sigma = r * math.sqrt(rel_var) / (1.0 + r) ** 2
    z = line_areas(measurement, [185.720])[0].significance_sigma
    return EnrichmentResult(enrichment, sigma, z, min_enrichment, enrichment >= min_enrichment)


# -------------------------------------------------------------------- oxide


@dataclass(frozen=True)
class OxideResult:
    """Absence of oxide (kept behind the barrier).

    Parameters
    ----------
    lines
        Net area of each oxide line.
    significance_sigma
        Combined significance of the oxide line(s).
    max_significance_sigma
        The treaty threshold.
    passed
        ``significance_sigma <= max_significance_sigma`` (no oxide seen).
    """

    lines: tuple[LineSignificance, ...]
    significance_sigma: float
    max_significance_sigma: float
    passed: bool


def oxide_absence(
    measurement: GammaMeasurement,
    *,
    max_oxide_significance_sigma: float,
    energies_kev: Sequence[float] = OXIDE_LINES_KEV,
) -> OxideResult:
    """Absence of oxide: the oxide line(s) must not be significant.

    Parameters
    ----------
    measurement
        The spectrum with calibration and resolution.
    max_oxide_significance_sigma
        Treaty threshold: pass when the combined significance of the line(s) stays at
        or below it (standard deviations).
    energies_kev
        Oxide signature lines (keV); :data:`OXIDE_LINES_KEV` by default.
    """
    areas = line_areas(measurement, energies_kev)
    total = sum(a.area for a in areas)
    sigma = math.sqrt(sum(a.area_sigma**2 for a in areas))
    z = total / sigma if sigma > 0 else 0.0
    return OxideResult(
        tuple(areas), z, max_oxide_significance_sigma, z <= max_oxide_significance_sigma
    )


# ----------------------------------------------------------------- symmetry


@dataclass(frozen=True)
class SymmetryResult:
    """Agreement of line count rates between detector positions (behind the barrier).

    Parameters
    ----------
    chi2, ndof
        ``sum over lines and positions of (r_ip - rbar_i)^2 / var(r_ip)`` with the
        weighted mean ``rbar_i`` of each line, and ``lines * (positions - 1)``.
    p_value
        ``P(chi2_ndof >= chi2)``.
    false_alarm_probability
        The treaty threshold.
    passed
        ``p_value >= false_alarm_probability``.
    """

    chi2: float
    ndof: int
    p_value: float
    false_alarm_probability: float
    passed: bool


def symmetry(
    positions: Sequence[GammaMeasurement],
    *,
    false_alarm_probability: float,
    energies_kev: Sequence[float] = SYMMETRY_LINES_KEV,
) -> SymmetryResult:
    """Symmetry: the line count rates seen from several positions agree.

    Each line's net area is fitted in every spectrum and divided by the live time;
    the rates are compared by a chi-square test with Poisson (fit) errors only.

    Parameters
    ----------
    positions
        Two or more measurements of the same item from different positions, with the
        same detector and distance.
    false_alarm_probability
        Treaty threshold: pass when the p-value reaches it.
    energies_kev
        Lines compared (keV); Pu-239 lines by default.
    """
    if len(positions) < 2:
        raise InputError("symmetry needs spectra from at least two positions", where="positions")
    if not 0.0 < false_alarm_probability < 1.0:
        raise InputError("must lie strictly between 0 and 1", where="false_alarm_probability")
    rates = np.zeros((len(positions), len(energies_kev)))
    sigmas = np.zeros_like(rates)
    for p, meas in enumerate(positions):
        for k, area in enumerate(line_areas(meas, energies_kev)):
            rates[p, k] = area.area / meas.spectrum.live_time_s
            sigmas[p, k] = area.area_sigma / meas.spectrum.live_time_s
    if np.any(sigmas <= 0.0):
        raise InputError("a line area has no uncertainty", where="positions")
    w = 1.0 / sigmas**2
    mean = (w * rates).sum(axis=0) / w.sum(axis=0)
    chi2 = float((w * (rates - mean) ** 2).sum())
    ndof = len(energies_kev) * (len(positions) - 1)
    p_value = float(stats.chi2.sf(chi2, ndof))
    return SymmetryResult(
        chi2, ndof, p_value, false_alarm_probability, p_value >= false_alarm_probability
    )
