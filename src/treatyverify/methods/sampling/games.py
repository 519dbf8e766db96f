"""Inspection games: the inspector-inspectee game with false alarms, and site inspections.

Game with false alarms
----------------------
The inspectee acts legally or violates (probability ``q``); the inspector runs a test
with false-alarm probability ``alpha`` whose non-detection probability ``beta(alpha)``
is given by the test's ROC (convex and decreasing). Payoffs (inspector, inspectee):

============================  ================  ======================
outcome                        inspector         inspectee
============================  ================  ======================
legal, no alarm                0                 0
legal, false alarm             ``-e``            ``-h``
violation, detected            ``-b``            ``-b'``
violation, not detected        ``-a``            ``d``
============================  ================  ======================

with ``0 < b < a``, ``e > 0``, ``d > 0``, ``b' > 0`` and ``0 <= h < b'``. Expected
payoffs: inspector ``-(1 - q) e alpha - q [b + (a - b) beta(alpha)]``; inspectee
``-h alpha`` when legal and ``-b' + (b' + d) beta(alpha)`` when violating.

In the equilibrium of the simultaneous game the inspectee is indifferent, which fixes
``alpha*``::

    (b' + d) beta(alpha*) = b' - h alpha*,

and ``alpha*`` must be the inspector's best response to ``q*``; the inspector's
payoff is concave in ``alpha`` (``beta`` convex, ``a > b``), so the first-order
condition ``-(1 - q) e - q (a - b) beta'(alpha) = 0`` gives::

    q* = e / (e - (a - b) beta'(alpha*)).

Under inspector leadership (the inspector announces ``alpha`` credibly) the inspectee
is deterred whenever ``1 - beta(alpha) > (d + h alpha) / (d + b')``, which for
``h = 0`` (or a test without false alarms) is ``1 - beta > d / (d + b')``; the
smallest deterring ``alpha`` is ``alpha*`` (at ``alpha*`` the inspectee is
indifferent and, by the leadership convention, acts legally), giving the inspector
``-e alpha*``.

For a normally distributed test statistic with shift ``delta`` (in standard
deviations) under violation, the most powerful test at level ``alpha`` (Neyman-Pearson)
has ``beta(alpha) = Phi(z_{1-alpha} - delta)`` and
``beta'(alpha) = -phi(z_{1-alpha} - delta) / phi(z_{1-alpha})
= -exp(delta z_{1-alpha} - delta^2 / 2)``.

Site inspections
----------------
Of ``N`` sites the inspector inspects ``n`` chosen uniformly at random; the inspectee
violates at ``k`` sites and is caught when an inspected site is among them, with
probability ``1 - C(N - k, n) / C(N, n)``. With a gain ``d`` per undetected violating
site and a sanction ``b'`` on detection, the inspectee's payoff is
``U(k) = d k beta_k - b' (1 - beta_k)`` with ``U(0) = 0``. Uniform inspection is an
equilibrium strategy: against it every set of ``k`` sites is caught equally often,
and against an inspectee choosing ``k`` sites uniformly every set of ``n`` inspected
sites detects equally often. The inspectee then picks the ``k`` maximising ``U``; it
is deterred when no ``k >= 1`` gives a positive payoff (``k = 1`` alone deters when
``n / N > d / (d + b')``, the deterrence condition above with ``1 - beta = n / N``).

References
----------
R. Avenhaus and M. J. Canty, *Compliance Quantified: An Introduction to Data
Verification*, Cambridge University Press, 1996, chapters 6 (attributes sampling and
deterrence) and 9 (inspector leadership). R. Avenhaus, B. von Stengel and S. Zamir,
"Inspection games", in R. J. Aumann and S. Hart (eds.), *Handbook of Game Theory with
Economic Applications*, vol. 3, North-Holland, 2002, chapter 51, pp. 1947-1987.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from scipy.optimize import brentq
from scipy.stats import norm

from treatyverify.errors import InputError
from treatyverify.methods.sampling.attribute import detection_probability, non_detection_probability

__all__ = [
    "ROC",
    "FalseAlarmEquilibrium",
    "InspectionPayoffs",
    "NormalROC",
    "SiteGameEquilibrium",
    "deterrence_threshold",
    "deterring_inspections",
    "false_alarm_equilibrium",
    "is_deterred",
    "site_detection_probability",
    "site_game_equilibrium",
]

_ALPHA_EDGE = 1e-15
"""Distance from 0 and 1 of the false-alarm interval searched for ``alpha*``."""
_TIE_TOLERANCE = 1e-12
"""Relative size of payoff differences treated as floating-point rounding (ties)."""


class ROC(Protocol):
    """A test's operating characteristic: non-detection probability against false alarms."""

    def beta(self, alpha: float) -> float:
        """Non-detection probability at false-alarm probability ``alpha``."""
        ...

    def beta_slope(self, alpha: float) -> float:
        """Derivative ``d beta / d alpha`` (negative)."""
        ...


def _check_probability(value: float, where: str) -> None:
    if not (isinstance(value, int | float) and 0.0 < value < 1.0):
        raise InputError(f"must lie strictly between 0 and 1, not {value!r}", where=where)


@dataclass(frozen=True)
class NormalROC:
    """One-sided test of a normal statistic shifted by ``shift`` under violation.

    Parameters
    ----------
    shift
        Mean shift of the test statistic under violation, in standard deviations
        (for example diverted mass / standard deviation of the material balance).
    """

    shift: float

    def __post_init__(self) -> None:
        if not (isinstance(self.shift, int | float) and math.isfinite(self.shift)):
            raise InputError(
                f"the shift must be a finite number, not {self.shift!r}", where="shift"
            )
        if self.shift < 0:
            raise InputError("the shift must not be negative", where="shift")

    @classmethod
    def from_errors(cls, alpha: float, beta: float) -> NormalROC:
        """The ROC through ``(alpha, beta)``: ``shift = z_{1-alpha} + z_{1-beta}``."""
        _check_probability(alpha, "alpha")
        _check_probability(beta, "beta")
        return cls(float(norm.isf(alpha) + norm.isf(beta)))

    def beta(self, alpha: float) -> float:
        """``Phi(z_{1-alpha} - shift)``."""
        _check_probability(alpha, "alpha")
        return float(norm.cdf(norm.isf(alpha) - self.shift))

    def beta_slope(self, alpha: float) -> float:
        """``-exp(shift z_{1-alpha} - shift^2 / 2)``."""
        _check_probability(alpha, "alpha")
        z = float(norm.isf(alpha))
        return -math.exp(self.shift * z - self.shift**2 / 2.0)


@dataclass(frozen=True)
class InspectionPayoffs:
    """Payoffs of the inspection game with false alarms (utility units, any common scale).

    Parameters
    ----------
    a
        Inspector's loss from an undetected violation.
    b
        Inspector's loss from a detected violation (``0 < b < a``).
    e
        Inspector's loss from a false alarm (``e > 0``).
    d
        Inspectee's gain from an undetected violation (``d > 0``).
    b_inspectee
        Inspectee's loss from a detected violation, ``b'`` (``b' > 0``).
    h
        Inspectee's loss from a false alarm (``0 <= h < b'``).
    """

    a: float
    b: float
    e: float
    d: float
    b_inspectee: float
    h: float = 0.0

    def __post_init__(self) -> None:
        for name in ("a", "b", "e", "d", "b_inspectee", "h"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value)):
                raise InputError(f"must be a finite number, not {value!r}", where=name)
        if not 0 < self.b < self.a:
            raise InputError("the inspector's losses must satisfy 0 < b < a", where="b")
        if self.e <= 0:
            raise InputError("the false-alarm loss must be positive", where="e")
        if self.d <= 0:
            raise InputError("the gain from an undetected violation must be positive", where="d")
        if self.b_inspectee <= 0:
            raise InputError("the sanction on detection must be positive", where="b_inspectee")
        if not 0 <= self.h < self.b_inspectee:
            raise InputError("the inspectee's false-alarm loss must satisfy 0 <= h < b'", where="h")


def deterrence_threshold(payoffs: InspectionPayoffs, alpha: float = 0.0) -> float:
    """Detection probability above which violation does not pay: ``(d + h alpha) / (d + b')``.

    Parameters
    ----------
    alpha
        False-alarm probability of the announced test (0 for a test without false alarms).
    """
    if not (isinstance(alpha, int | float) and 0.0 <= alpha <= 1.0):
        raise InputError(f"must lie between 0 and 1, not {alpha!r}", where="alpha")
    return (payoffs.d + payoffs.h * alpha) / (payoffs.d + payoffs.b_inspectee)


def is_deterred(
    payoffs: InspectionPayoffs, detection_probability: float, alpha: float = 0.0
) -> bool:
    """Whether the inspectee strictly prefers legal behaviour.

    Parameters
    ----------
    detection_probability
        ``1 - beta`` of the announced inspection.
    alpha
        Its false-alarm probability.
    """
    if not (isinstance(detection_probability, int | float) and 0 <= detection_probability <= 1):
        raise InputError(
            f"must lie between 0 and 1, not {detection_probability!r}",
            where="detection_probability",
        )
    return detection_probability > deterrence_threshold(payoffs, alpha)


@dataclass(frozen=True)
class FalseAlarmEquilibrium:
    """Equilibrium of the inspection game with false alarms.

    Attributes
    ----------
    alpha
        Inspector's false-alarm probability ``alpha*``.
    beta
        Non-detection probability ``beta(alpha*)``.
    violation_probability
        Inspectee's violation probability ``q*`` in the simultaneous game.
    inspector_payoff, inspectee_payoff
        Expected payoffs in the simultaneous game (the inspectee's is ``-h alpha*``).
    leadership_payoff
        Inspector's payoff ``-e alpha*`` under leadership, where the inspectee is
        deterred (acts legally).
    """

    alpha: float
    beta: float
    violation_probability: float
    inspector_payoff: float
    inspectee_payoff: float
    leadership_payoff: float


def false_alarm_equilibrium(payoffs: InspectionPayoffs, roc: ROC) -> FalseAlarmEquilibrium:
    """Solve the simultaneous inspection game with false alarms.

    ``alpha*`` solves ``(b' + d) beta(alpha) = b' - h alpha`` (inspectee indifferent;
    the left side minus the right is convex, positive at 0 and negative at 1, so the
    root is unique), and ``q* = e / (e - (a - b) beta'(alpha*))`` (inspector's
    first-order condition).

    Parameters
    ----------
    payoffs
        The payoffs of both players.
    roc
        The inspector's test; ``beta`` must be continuous, convex and decreasing from
        1 at ``alpha = 0`` to 0 at ``alpha = 1``.
    """
    d, b_prime, h = payoffs.d, payoffs.b_inspectee, payoffs.h

    def surplus(alpha: float) -> float:
        return (b_prime + d) * roc.beta(alpha) - b_prime + h * alpha

    low, high = _ALPHA_EDGE, 1.0 - _ALPHA_EDGE
    if surplus(low) <= 0:  # deterred already at (almost) no false alarms
        alpha = low
    elif surplus(high) >= 0:
        raise InputError(
            "the test cannot deter: even at alpha = 1 violation pays; "
            "use a test with more power or larger sanctions",
            where="roc",
        )
    else:
        alpha = float(brentq(surplus, low, high, xtol=1e-15, rtol=1e-14))
    beta = roc.beta(alpha)
    slope = roc.beta_slope(alpha)
    q = payoffs.e / (payoffs.e - (payoffs.a - payoffs.b) * slope)
    inspector = -(1.0 - q) * payoffs.e * alpha - q * (payoffs.b + (payoffs.a - payoffs.b) * beta)
    return FalseAlarmEquilibrium(
        alpha=alpha,
        beta=beta,
        violation_probability=q,
        inspector_payoff=inspector,
        inspectee_payoff=-h * alpha,
        leadership_payoff=-payoffs.e * alpha,
    )


def site_detection_probability(sites: int, inspections: int, violations: int) -> float:
    """Probability ``1 - C(N - k, n) / C(N, n)`` that ``n`` random inspections find a violation.

    Parameters
    ----------
    sites
        Number of sites ``N``.
    inspections
        Sites inspected ``n``, chosen uniformly without replacement.
    violations
        Sites ``k`` at which the inspectee violates.
    """
    return detection_probability(sites, violations, inspections)


@dataclass(frozen=True)
class SiteGameEquilibrium:
    """Equilibrium of the site inspection game (uniform inspections, best ``k``).

    Attributes
    ----------
    sites, inspections
        ``N`` and ``n``.
    violations
        The inspectee's best number of violating sites ``k*`` (0 when deterred).
    detection_probability
        ``1 - C(N - k*, n) / C(N, n)`` (0 when ``k* = 0``).
    inspectee_payoff
        ``U(k*) = d k* beta_k* - b' (1 - beta_k*)``.
    """

    sites: int
    inspections: int
    violations: int
    detection_probability: float
    inspectee_payoff: float

    @property
    def deterred(self) -> bool:
        """Whether the inspectee's best response is legal behaviour."""
        return self.violations == 0


def _check_gain(gain_per_site: float, sanction: float) -> None:
    if not (isinstance(gain_per_site, int | float) and math.isfinite(gain_per_site)):
        raise InputError("must be a finite number", where="gain_per_site")
    if gain_per_site <= 0:
        raise InputError("the gain per violating site must be positive", where="gain_per_site")
    if not (isinstance(sanction, int | float) and math.isfinite(sanction) and sanction > 0):
        raise InputError("the sanction on detection must be a positive number", where="sanction")


def site_game_equilibrium(
    sites: int,
    inspections: int,
    *,
    gain_per_site: float,
    sanction: float,
    max_violations: int | None = None,
) -> SiteGameEquilibrium:
    """The inspectee's best response ``k*`` to ``n`` uniform inspections of ``N`` sites.

    Parameters
    ----------
    sites, inspections
        ``N`` sites, ``n`` of them inspected uniformly at random.
    gain_per_site
        Inspectee's gain ``d`` per violating site when not detected (utility units).
    sanction
        Inspectee's loss ``b'`` on detection (utility units).
    max_violations
        Most sites the inspectee can violate at (``N`` when omitted).

    Ties (within rounding error) go to the smaller ``k``, so to legal behaviour first.
    """
    _check_gain(gain_per_site, sanction)
    non_detection_probability(sites, 0, inspections)  # validates sites and inspections
    top = sites if max_violations is None else max_violations
    if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= sites:
        raise InputError(f"must be an integer between 0 and {sites}", where="max_violations")
    # Payoffs within rounding error of each other count as ties (kept by the smaller k).
    tolerance = _TIE_TOLERANCE * (gain_per_site * max(top, 1) + sanction)
    best_k, best_payoff, best_detection = 0, 0.0, 0.0
    for k in range(1, top + 1):
        beta_k = non_detection_probability(sites, k, inspections)
        payoff = gain_per_site * k * beta_k - sanction * (1.0 - beta_k)
        if payoff > best_payoff + tolerance:
            best_k, best_payoff, best_detection = k, payoff, 1.0 - beta_k
    return SiteGameEquilibrium(sites, inspections, best_k, best_detection, best_payoff)


def deterring_inspections(
    sites: int,
    *,
    gain_per_site: float,
    sanction: float,
    max_violations: int | None = None,
) -> int:
    """Fewest uniform inspections ``n`` of ``N`` sites for which no violation pays.

    Parameters are those of :func:`site_game_equilibrium`. Inspecting every site
    always deters (``beta_k = 0`` for ``k >= 1``), so the answer is at most ``N``.
    """
    for inspections in range(sites + 1):
        equilibrium = site_game_equilibrium(
            sites,
            inspections,
            gain_per_site=gain_per_site,
            sanction=sanction,
            max_violations=max_violations,
        )
        if equilibrium.deterred:
            return inspections
    return sites  # unreachable: n = N deters
