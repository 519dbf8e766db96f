"""Decisions that respect uncertainty: pass, fail or inconclusive on a confidence bound.

An attribute compares a measured quantity with a treaty threshold. A decision on the
point estimate alone passes half of the items that sit exactly at the threshold and
is as confident after one count as after a thousand. Here the decision reads the
one-sided confidence bound at the treaty's confidence level ``c`` (``z = Phi^-1(c)``):

- ``at least`` a threshold ``t``: pass when the lower bound ``>= t``, fail when the
  upper bound ``< t``;
- ``below`` a threshold ``t``: pass when the upper bound ``< t``, fail when the lower
  bound ``>= t``;
- otherwise, or when the relative standard uncertainty exceeds the treaty's maximum,
  *inconclusive*.

A fail is therefore as confident as a pass: an honest item is failed by chance with
probability at most ``1 - c``. Bounds of a ratio of two uncertain quantities come from
Fieller's theorem (E. C. Fieller, "Some problems in interval estimation", J. R. Stat.
Soc. B 16 (1954) 175), which stays correct when the denominator is poorly known, where
the first-order (delta) standard uncertainty is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from scipy import stats

from treatyverify.errors import InputError

__all__ = [
    "BoundedValue",
    "Decision",
    "Verdict",
    "decide",
    "fieller_bounds",
    "one_sided_confidence",
    "one_sided_z",
]


class Decision(StrEnum):
    """The outcome of an attribute."""

    PASS = "pass"  # noqa: S105 - a decision, not a password
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class BoundedValue:
    """A measured value with its standard uncertainty and one-sided confidence bounds.

    Attributes
    ----------
    value, sigma
        Estimate and standard uncertainty (same unit).
    lower, upper
        One-sided lower and upper confidence bounds at ``confidence`` (same unit; may
        be infinite when the data do not bound the value).
    confidence
        The one-sided confidence level of each bound.
    """

    value: float
    sigma: float
    lower: float
    upper: float
    confidence: float


@dataclass(frozen=True)
class Verdict:
    """A decision with its reason code (``None`` for a clear pass or fail)."""

    decision: Decision
    reason: str | None = None

    @property
    def passed(self) -> bool:
        """True only for a pass."""
        return self.decision is Decision.PASS


def one_sided_confidence(z: float) -> float:
    """``Phi(z)``: the one-sided confidence level of a bound ``z`` sigmas out."""
    return float(stats.norm.cdf(z))


def one_sided_z(confidence: float) -> float:
    """``Phi^-1(confidence)`` for a one-sided bound.

    Raises
    ------
    InputError
        Unless ``0.5 <= confidence < 1``.
    """
    if not (math.isfinite(confidence) and 0.5 <= confidence < 1.0):
        raise InputError("must lie in [0.5, 1)", where="confidence_level")
    return float(stats.norm.ppf(confidence))


def decide(
    measured: BoundedValue,
    threshold: float,
    *,
    direction: str,
    max_relative_uncertainty: float,
) -> Verdict:
    """Pass, fail or inconclusive for ``measured`` against ``threshold``.

    Parameters
    ----------
    measured
        The value with its bounds.
    threshold
        Treaty threshold (unit of ``measured``).
    direction
        ``"at least"`` (pass when the value reaches the threshold) or ``"below"`` (pass
        when it stays under it).
    max_relative_uncertainty
        Largest accepted ``sigma / |value|`` (dimensionless); above it the decision is
        inconclusive whatever the bounds say. ``inf`` for no such limit.
    """
    if direction not in ("at least", "below"):
        raise InputError(f"unknown direction {direction!r}", where="direction")
    if not max_relative_uncertainty > 0:
        raise InputError("must be > 0", where="max_relative_uncertainty")
    if measured.value != 0 and measured.sigma > max_relative_uncertainty * abs(measured.value):
        return Verdict(Decision.INCONCLUSIVE, "uncertainty-above-maximum")
    if direction == "at least":
        if measured.lower >= threshold:
            return Verdict(Decision.PASS)
        if measured.upper < threshold:
            return Verdict(Decision.FAIL)
    else:
        if measured.upper < threshold:
            return Verdict(Decision.PASS)
        if measured.lower >= threshold:
            return Verdict(Decision.FAIL)
    return Verdict(Decision.INCONCLUSIVE, "bound-straddles-threshold")


def fieller_bounds(
    numerator: float,
    denominator: float,
    var_numerator: float,
    var_denominator: float,
    covariance: float,
    z: float,
) -> tuple[float, float]:
    """One-sided bounds at ``z`` of the ratio ``a / b`` of two correlated normal estimates.

    The set of ratios ``r`` with ``(a - r b)^2 <= z^2 (v_a - 2 r c + r^2 v_b)``; when
    ``b`` is significant (``b^2 > z^2 v_b``) this is the interval between the roots of
    the quadratic, otherwise it is unbounded and ``(-inf, inf)`` is returned.

    Parameters
    ----------
    numerator, denominator
        ``a`` and ``b``.
    var_numerator, var_denominator, covariance
        ``v_a``, ``v_b`` and ``cov(a, b)``.
    z
        The normal quantile of each one-sided bound.
    """
    a, b = numerator, denominator
    qa = b * b - z * z * var_denominator
    if qa <= 0.0:
        return -math.inf, math.inf
    qb = -2.0 * (a * b - z * z * covariance)
    qc = a * a - z * z * var_numerator
    disc = qb * qb - 4.0 * qa * qc
    if disc < 0.0:  # rounding only: the estimate itself always lies inside
        disc = 0.0
    root = math.sqrt(disc)
    return (-qb - root) / (2.0 * qa), (-qb + root) / (2.0 * qa)
