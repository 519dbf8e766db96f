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

    X2 = (x - y)^T (Cx + Cy)^-1 (x - y),   with one degree of freedom per ratio.

The nuclear-data uncertainties are left out: both spectra share the same emission
probabilities, so they cancel in the difference. Each covariance is multiplied by its
fit's deviance per degree of freedom when that exceeds 1. The item passes when the chi-square
p-value is at least the treaty's false-alarm probability. A candidate that does not
show the Pu-239 lines at 375 and 413.7 keV at five standard deviations, or whose
multiplets cannot be fitted, fails outright.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.methods.gamma.attributes import (
    PU239_PRESENCE_LINES_KEV,
    GammaMeasurement,
    IsotopicsFit,
    line_areas,
    pu_isotopics,
)

__all__ = ["MIN_PRESENCE_SIGMA", "MultipletComparison", "compare_multiplets"]

MIN_PRESENCE_SIGMA = 5.0
"""The candidate's Pu-239 presence lines must be at least this significant together."""
EFFICIENCY_DEGREE = 2
"""Degree of the relative-efficiency polynomial in ln E, as the ratio attribute uses."""


@dataclass(frozen=True)
class MultipletComparison:
    """The outcome of a multiplet comparison (kept behind the barrier).

    Attributes
    ----------
    nuclides
        The nuclides whose activity ratios to Pu-239 were compared.
    statistic
        ``X2`` (infinite when the candidate shows no plutonium).
    dof
        Degrees of freedom.
    p_value
        Chi-square probability of ``X2`` or more for a genuine item.
    passed
        ``p_value >= false_alarm_probability``.
    """

    nuclides: tuple[str, ...]
    statistic: float
    dof: int
    p_value: float
    false_alarm_probability: float
    passed: bool


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


def compare_multiplets(
    template: GammaMeasurement,
    candidate: GammaMeasurement,
    *,
    false_alarm_probability: float,
) -> MultipletComparison:
    """Test whether the candidate's plutonium multiplets match the template's.

    Raises
    ------
    InputError
        A threshold outside (0, 1), or a template that is not plutonium (its own
        Pu-239 lines below five standard deviations or its multiplets not fitted).
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
    dof = len(reference.nuclides)

    def failed() -> MultipletComparison:
        return MultipletComparison(
            reference.nuclides, math.inf, dof, 0.0, false_alarm_probability, False
        )

    if _presence_sigma(candidate) < MIN_PRESENCE_SIGMA:
        return failed()
    try:
        fitted = pu_isotopics(candidate, degree=EFFICIENCY_DEGREE, nuclear_data_uncertainty=False)
    except InputError:
        return failed()
    difference = fitted.log_ratios - reference.log_ratios
    combined = fitted.covariance * _dispersion(fitted) + reference.covariance * _dispersion(
        reference
    )
    statistic = float(difference @ np.linalg.lstsq(combined, difference, rcond=None)[0])
    p_value = float(stats.chi2.sf(statistic, dof))
    return MultipletComparison(
        nuclides=reference.nuclides,
        statistic=statistic,
        dof=dof,
        p_value=p_value,
        false_alarm_probability=false_alarm_probability,
        passed=p_value >= false_alarm_probability,
    )
