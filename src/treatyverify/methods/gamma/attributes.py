"""Line attributes of a nuclear item: presence, oxide, symmetry, and line areas.

Each attribute computes a physics result (a net area, a significance, a p-value) and
compares it with a threshold the caller passes in. The caller is the method catalog
(:mod:`treatyverify.barrier.catalog`), which takes every threshold from the treaty
specification; there are no decision thresholds in this module. The results are
sensitive: they stay behind the information barrier, which releases only what the
treaty lists in ``reveals``. The isotopic attributes (enrichment, Pu-240/Pu-239, age)
are in :mod:`treatyverify.methods.gamma.isotopic_attributes`.

:func:`pu_isotopics` is the fit of the plutonium multiplets on one smooth curve in
``ln E`` that the template multiplet test (:mod:`treatyverify.methods.template`)
compares between template and candidate; the isotopic attributes use the physical
engine of :mod:`treatyverify.methods.gamma.isotopics` instead.

Channel convention: channel ``i`` spans ``[i, i + 1)`` (see
:mod:`treatyverify.methods.gamma.peaks`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from treatyverify.errors import InputError
from treatyverify.methods.gamma.line_areas import (
    FixedLineFit,
    LineSignificance,
    fit_fixed_lines,
    line_areas,
)
from treatyverify.methods.gamma.measurement import GammaMeasurement
from treatyverify.methods.gamma.signatures import signature
from treatyverify.methods.nucdata.tables import nuclide

__all__ = [
    "OXIDE_LINES_KEV",
    "PU239_PRESENCE_LINES_KEV",
    "PU241_ALPHA_BRANCHING",
    "SYMMETRY_LINES_KEV",
    "FixedLineFit",
    "GammaMeasurement",
    "IsotopicsFit",
    "LineSignificance",
    "OxideResult",
    "PresenceResult",
    "SymmetryResult",
    "fit_fixed_lines",
    "line_areas",
    "oxide_absence",
    "pu_isotopics",
    "pu_presence",
    "symmetry",
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

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
# Largest accepted standard uncertainty of ln(Pu-239 level) in the isotopics fit: a
# level known to worse than 1/3 (a 3-sigma signal) means there is no plutonium to fit.
_MAX_LEVEL_SIGMA = 1.0 / 3.0


@dataclass(frozen=True)
class PresenceResult:
    """Presence of plutonium (kept behind the barrier).

    Parameters
    ----------
    lines_seen
        How many Pu-239 signature lines stand above three standard deviations.
    significance_sigma
        Combined significance: the summed net area over its standard deviation.
    threshold_sigma
        The treaty threshold.
    passed
        The signature is seen.
    """

    lines_seen: int
    significance_sigma: float
    threshold_sigma: float
    passed: bool


def pu_presence(measurement: GammaMeasurement, *, min_significance_sigma: float) -> PresenceResult:
    """Presence of plutonium: the Pu-239 signature
    (:data:`~treatyverify.methods.gamma.signatures.SIGNATURES`), three or more of its
    lines from 129 to 451 keV each seen, their summed area at ``min_significance_sigma``.

    One or two lines are not enough: Pa-233 (Np-237's daughter) has lines 0.4 and
    2.1 keV from Pu-239's 375.1 and 413.7 keV.

    Parameters
    ----------
    measurement
        The spectrum with its calibration and resolution.
    min_significance_sigma
        Treaty threshold on the combined significance ``sum(A_k) / sqrt(sum var(A_k))``
        of the signature lines (standard deviations).

    Returns
    -------
    PresenceResult
        The lines seen, the combined significance and the decision.
    """
    found = signature(measurement, "Pu-239", min_sigma=min_significance_sigma)
    return PresenceResult(
        found.lines_seen, found.combined_sigma, min_significance_sigma, found.seen
    )


# ------------------------------------------- plutonium multiplets (templates)


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
