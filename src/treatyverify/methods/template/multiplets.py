"""Compare a candidate with a plutonium template by its multiplet areas.

The second template test of issue 3, beside the whole-spectrum deviance of
:mod:`treatyverify.methods.template.compare`. The areas of the plutonium multiplets
(the 630-670 keV group of Pu-239, Pu-240 and Am-241 lines, and the regions at 203-209,
328-341, 345, 367-384, 413.7 and 451.5 keV) are fitted jointly with one intrinsic
relative-efficiency curve (:func:`~treatyverify.methods.gamma.attributes.pu_isotopics`),
which turns them into the activity ratios of Pu-240, Pu-241 and Am-241 to Pu-239. Those
ratios do not depend on the item's mass, size, distance or shielding (the efficiency
curve is fitted to each spectrum's own Pu-239 lines), but they fingerprint its
isotopic make-up and age. With the log ratios ``x`` (candidate) and ``y`` (template)
and their covariances from the two fits,

    X2 = (x - y)^T (Cx + Cy)^-1 (x - y),

on the directions of the log ratios that the template measures (below), with one degree
of freedom per direction. The nuclear-data uncertainties are left out: both spectra share
the same emission probabilities, so they cancel in the difference. Each covariance is
multiplied by its fit's deviance per degree of freedom when that exceeds 1. The item
passes when the chi-square p-value is at least the treaty's false-alarm probability. A
candidate that does not show the Pu-239 lines at 375 and 413.7 keV at five standard
deviations, or whose multiplets cannot be fitted, fails outright.

Ratios the data do not measure. A ratio whose lines a spectrum does not show (Pu-240's
642 keV line under the Pu-239 lines of a short unshielded count, say) comes out of the
fit at the edge of its range with a variance many orders of magnitude above the others.
Inverting the sum of the covariances with a relative cut-off (a pseudo-inverse) then
discards the well-measured directions instead, and the test passes anything. Instead:

1. The template fixes the test. A ratio whose standard deviation in the template
   exceeds :data:`MAX_TEMPLATE_SIGMA` is left out (the test is marginal over it: its row
   and column are deleted, which involves no arithmetic on the huge variance); of the
   rest, the eigenvectors of the template's covariance whose standard deviation exceeds
   it are left out too (two ratios known only in a combination). The others span the
   *constrained subspace*; its dimension is the degrees of freedom
   (:attr:`MultipletComparison.dof`), and the number of directions left out is reported
   (:attr:`MultipletComparison.unconstrained`).
   Chosen on the trusted template's data alone, the subspace does not depend on the
   candidate, so the test keeps its size.
2. The candidate must measure what the template measures: when its covariance,
   projected on the subspace, has a direction with a standard deviation above
   :data:`MAX_RATIO_SIGMA`, the item fails with the reason ``ratio-not-measured``. An
   item without Am-241, for instance, leaves its Am-241 ratio at the edge of its range
   with an enormous variance; were that direction simply dropped, the test would be blind
   to exactly what tells that item from the template. A genuine candidate measured like
   the template has about the template's precision, half this bound or better.
3. On the subspace, ``X2 = z^T M^-1 z`` with ``z = Q^T (x - y)``,
   ``M = Q^T (Cx + Cy) Q`` and ``Q`` the orthonormal basis of step 1.

Energy scale. The candidate's channels are aligned to the template's before the fit
(:mod:`~treatyverify.methods.template.align`, on the two spectra's counts when they have
the same number of channels): the candidate is fitted with the template's calibration
carried through the fitted offset and gain drift, instead of its own. A drift beyond the
accepted limits fails the item with the reason ``drift-beyond-limit``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.methods.gamma.attributes import (
    PU239_PRESENCE_LINES_KEV,
    GammaMeasurement,
    IsotopicsFit,
    line_areas,
    pu_isotopics,
)
from treatyverify.methods.gamma.calibration import EnergyCalibration
from treatyverify.methods.template.align import (
    MAX_GAIN_CHANGE,
    MAX_OFFSET_CHANNELS,
    Alignment,
    fit_alignment,
)

__all__ = [
    "DRIFT_BEYOND_LIMIT",
    "MAX_RATIO_SIGMA",
    "MAX_TEMPLATE_SIGMA",
    "MIN_PRESENCE_SIGMA",
    "NO_PLUTONIUM",
    "RATIO_NOT_MEASURED",
    "MultipletComparison",
    "SubspaceTest",
    "compare_multiplets",
    "subspace_chi_square",
    "template_subspace",
]

MIN_PRESENCE_SIGMA = 5.0
"""The candidate's Pu-239 presence lines must be at least this significant together."""
EFFICIENCY_DEGREE = 2
"""Degree of the relative-efficiency polynomial in ln E, as the ratio attribute uses."""
MAX_RATIO_SIGMA = 1.0 / 3.0
"""Largest standard deviation of a log activity ratio (a direction of them) that counts as
measured: the ratio known to a factor exp(1/3), a three-sigma measurement, where the log
of a ratio is still close to normal. The same bound as the isotopics fit's for the
Pu-239 level (``treatyverify.methods.gamma.attributes``). Notional."""
MAX_TEMPLATE_SIGMA = MAX_RATIO_SIGMA / 2.0
"""The template must measure a direction twice as well as :data:`MAX_RATIO_SIGMA` for it
to enter the test, so that a genuine candidate measured like the template, whose
precision differs from the template's by its Poisson fluctuation, clears that bound."""

NO_PLUTONIUM = "no-plutonium"
"""Reason: the candidate does not show the Pu-239 lines, or its multiplets do not fit."""
RATIO_NOT_MEASURED = "ratio-not-measured"
"""Reason: the candidate does not measure a ratio (a direction) that the template does."""
DRIFT_BEYOND_LIMIT = "drift-beyond-limit"
"""Reason: the candidate's energy scale drifted beyond the accepted limits."""


@dataclass(frozen=True)
class MultipletComparison:
    """The outcome of a multiplet comparison (kept behind the barrier).

    Attributes
    ----------
    nuclides
        The nuclides whose activity ratios to Pu-239 were fitted.
    statistic
        ``X2`` (infinite when the item failed without a comparison).
    dof
        Degrees of freedom: the dimension of the constrained subspace.
    p_value
        Chi-square probability of ``X2`` or more for a genuine item.
    passed
        ``p_value >= false_alarm_probability``.
    unconstrained
        Directions of the log ratios the template does not measure, left out of the test.
    reason
        Why the item failed without a comparison (:data:`NO_PLUTONIUM`,
        :data:`RATIO_NOT_MEASURED`, :data:`DRIFT_BEYOND_LIMIT`), or ``""``.
    alignment
        The energy-scale correction applied to the candidate, when one was fitted.
    """

    nuclides: tuple[str, ...]
    statistic: float
    dof: int
    p_value: float
    false_alarm_probability: float
    passed: bool
    unconstrained: int = 0
    reason: str = ""
    alignment: Alignment | None = None


def _presence_sigma(measurement: GammaMeasurement) -> float:
    lines = line_areas(measurement, PU239_PRESENCE_LINES_KEV)
    area = sum(line.area for line in lines)
    sigma = math.sqrt(sum(line.area_sigma**2 for line in lines))
    return area / sigma if sigma > 0 else 0.0


def _dispersion(fit: IsotopicsFit) -> float:
    """Deviance per degree of freedom of a fit, at least 1 (quasi-Poisson allowance).

    The simulated and measured line shapes and continua are not exactly the model's;
    at millions of counts that shows as a deviance above its degrees of freedom, and
    the Fisher covariance alone would then understate the scatter of the ratios.
    """
    return max(1.0, fit.deviance / fit.ndof) if fit.ndof > 0 else 1.0


@dataclass(frozen=True)
class SubspaceTest:
    """The chi-square of two log-ratio vectors on the template's constrained subspace.

    Attributes
    ----------
    statistic
        ``z^T M^-1 z`` over the constrained directions (infinite when not ``measured``).
    dof
        Dimension of the constrained subspace.
    unconstrained
        Directions left out because the template does not measure them.
    measured
        False when the candidate does not measure one of the constrained directions to
        :data:`MAX_RATIO_SIGMA`.
    """

    statistic: float
    dof: int
    unconstrained: int
    measured: bool


def template_subspace(
    template_covariance: NDArray[np.float64],
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """The ratios the template measures, and an orthonormal basis of their directions.

    Parameters
    ----------
    template_covariance
        Covariance of the template's log ratios (dimensionless squared).

    Returns
    -------
    tuple
        The indices of the ratios kept (standard deviation at most
        :data:`MAX_TEMPLATE_SIGMA`; the others are marginalised by deleting their rows
        and columns, which needs no arithmetic on their variances), and, over those, the
        eigenvectors whose variance is at most its square (one column each).
    """
    cov = np.asarray(template_covariance, dtype=np.float64)
    sigma = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    kept = np.flatnonzero(np.isfinite(sigma) & (sigma <= MAX_TEMPLATE_SIGMA))
    if kept.size == 0:
        return kept, np.zeros((0, 0))
    block = cov[np.ix_(kept, kept)]
    values, vectors = np.linalg.eigh(0.5 * (block + block.T))
    return kept, np.asarray(vectors[:, values <= MAX_TEMPLATE_SIGMA**2], dtype=np.float64)


def subspace_chi_square(
    difference: NDArray[np.float64],
    template_covariance: NDArray[np.float64],
    candidate_covariance: NDArray[np.float64],
) -> SubspaceTest:
    """Chi-square of ``difference`` on the directions the template measures.

    See the module docstring: the template fixes the subspace and its dimension (the
    degrees of freedom), the candidate must measure every direction of it, and the
    statistic is ``z^T (Q^T (C_t + C_c) Q)^-1 z`` with ``z = Q^T d``.

    Parameters
    ----------
    difference
        Candidate minus template log ratios (dimensionless).
    template_covariance, candidate_covariance
        Their covariances (dimensionless squared), same order.

    Raises
    ------
    InputError
        When the template measures no direction at all.
    """
    d = np.asarray(difference, dtype=np.float64)
    t_cov = np.asarray(template_covariance, dtype=np.float64)
    c_cov = np.asarray(candidate_covariance, dtype=np.float64)
    kept, basis = template_subspace(t_cov)
    dof = int(basis.shape[1])
    if dof == 0:
        raise InputError(
            "the template measures none of the activity ratios well enough to compare",
            where="MAX_TEMPLATE_SIGMA",
        )
    unconstrained = d.size - dof
    block = c_cov[np.ix_(kept, kept)]
    if not (np.all(np.isfinite(block)) and np.all(np.isfinite(d[kept]))):
        return SubspaceTest(math.inf, dof, unconstrained, False)
    projected = basis.T @ block @ basis
    if np.max(np.linalg.eigvalsh(0.5 * (projected + projected.T))) > MAX_RATIO_SIGMA**2:
        return SubspaceTest(math.inf, dof, unconstrained, False)
    z = basis.T @ d[kept]
    combined = basis.T @ t_cov[np.ix_(kept, kept)] @ basis + projected
    statistic = float(z @ np.linalg.solve(0.5 * (combined + combined.T), z))
    return SubspaceTest(statistic, dof, unconstrained, True)


def _aligned(
    template: GammaMeasurement,
    candidate: GammaMeasurement,
    max_offset_channels: float,
    max_gain_change: float,
) -> tuple[GammaMeasurement, Alignment | None]:
    """The candidate with the template's calibration carried through the fitted drift."""
    t_counts, c_counts = template.spectrum.counts, candidate.spectrum.counts
    if t_counts.size != c_counts.size:
        return candidate, None
    alignment = fit_alignment(
        t_counts,
        c_counts,
        max_offset_channels=max_offset_channels,
        max_gain_change=max_gain_change,
    )
    if alignment.is_identity or not alignment.within_limits:
        return candidate, alignment
    # E_c(x) = E_t((x - offset) / (1 + gain)): substitute x_t = alpha + beta x.
    beta = 1.0 / (1.0 + alignment.gain_change)
    alpha = -alignment.offset_channels * beta
    coefficients = list(template.calibration.coefficients) + [0.0] * (
        3 - len(template.calibration.coefficients)
    )
    c0, c1, c2 = coefficients
    composed = (
        c0 + c1 * alpha + c2 * alpha**2,
        c1 * beta + 2.0 * c2 * alpha * beta,
        c2 * beta**2,
    )
    degree = template.calibration.degree
    calibration = EnergyCalibration(
        coefficients=composed[: degree + 1],
        covariance=np.full((degree + 1, degree + 1), np.nan),
        channel_range=(0.0, float(c_counts.size)),
    )
    moved = GammaMeasurement(
        candidate.spectrum, calibration, candidate.fwhm_noise_kev, candidate.fwhm_fano_kev
    )
    return moved, alignment


def compare_multiplets(
    template: GammaMeasurement,
    candidate: GammaMeasurement,
    *,
    false_alarm_probability: float,
    max_offset_channels: float = MAX_OFFSET_CHANNELS,
    max_gain_change: float = MAX_GAIN_CHANGE,
) -> MultipletComparison:
    """Test whether the candidate's plutonium multiplets match the template's.

    Parameters
    ----------
    template, candidate
        The two measurements (spectrum, calibration in keV, resolution in keV).
    false_alarm_probability
        The probability, set by the treaty, of failing a genuine item.
    max_offset_channels, max_gain_change
        Largest accepted drift of the candidate's energy scale (channels;
        dimensionless); both zero: no alignment.

    Raises
    ------
    InputError
        A threshold outside (0, 1), negative drift limits, a template that is not
        plutonium (its own Pu-239 lines below five standard deviations or its
        multiplets not fitted), or a template that measures no activity ratio.
    """
    if not 0.0 < false_alarm_probability < 1.0:
        raise InputError(
            "the false-alarm probability lies strictly between 0 and 1",
            where="false_alarm_probability",
        )
    if _presence_sigma(template) < MIN_PRESENCE_SIGMA:
        raise InputError(
            "the template shows no plutonium multiplets to compare", where=template.spectrum.source
        )
    reference = pu_isotopics(template, degree=EFFICIENCY_DEGREE, nuclear_data_uncertainty=False)
    template_cov = reference.covariance * _dispersion(reference)
    _, basis = template_subspace(template_cov)
    dof = int(basis.shape[1])
    if dof == 0:
        raise InputError(
            "the template's multiplets measure none of the activity ratios well enough "
            "to compare (MAX_TEMPLATE_SIGMA)",
            where=template.spectrum.source,
        )
    unconstrained = len(reference.nuclides) - dof
    moved, alignment = _aligned(template, candidate, max_offset_channels, max_gain_change)

    def failed(reason: str) -> MultipletComparison:
        return MultipletComparison(
            reference.nuclides,
            math.inf,
            dof,
            0.0,
            false_alarm_probability,
            False,
            unconstrained,
            reason,
            alignment,
        )

    if alignment is not None and not alignment.within_limits:
        return failed(DRIFT_BEYOND_LIMIT)
    if _presence_sigma(moved) < MIN_PRESENCE_SIGMA:
        return failed(NO_PLUTONIUM)
    try:
        fitted = pu_isotopics(moved, degree=EFFICIENCY_DEGREE, nuclear_data_uncertainty=False)
    except InputError:
        return failed(NO_PLUTONIUM)
    test = subspace_chi_square(
        fitted.log_ratios - reference.log_ratios,
        template_cov,
        fitted.covariance * _dispersion(fitted),
    )
    if not test.measured:
        return failed(RATIO_NOT_MEASURED)
    p_value = float(stats.chi2.sf(test.statistic, test.dof))
    return MultipletComparison(
        nuclides=reference.nuclides,
        statistic=test.statistic,
        dof=test.dof,
        p_value=p_value,
        false_alarm_probability=false_alarm_probability,
        passed=p_value >= false_alarm_probability,
        unconstrained=test.unconstrained,
        alignment=alignment,
    )
