"""IDC standard event screening: the Ms:mb criterion and depth, each decision explained.

Every number comes from the CTBT treaty specification (``treaties/ctbt.yaml``, section
``monitoring.screening``), read with :func:`treatyverify.treaty.load_treaty`:

Ms:mb (criterion ``ms-mb``)
    statistic ``x = Ms - mb_coefficient * mb + constant`` (1.25 and 2.2, i.e. the IDC
    criterion Ms - 1.25 mb > -2.2); its standard error
    ``sigma_x = sqrt(sigma_Ms^2 + mb_coefficient^2 sigma_mb^2)`` (independent network
    magnitudes); the event is screened out (consistent with a natural event) when
    ``x > uncertainty_multiplier * sigma_x``, applied only when ``mb >= min_mb``.
Depth (criterion ``depth``)
    screened out when ``depth - z * sigma_depth > min_depth_km`` with ``z`` the
    one-sided normal quantile at ``confidence`` (0.975 gives 1.96).

Outcomes are ``"screened out"``, ``"not screened out"`` (the criterion was applied and the
event remains) and ``"not screened"`` (data insufficient to apply it: no Ms, no
uncertainty, mb below the threshold, a fixed depth); an event is never passed silently.

Wording. A screening criterion only removes events: one that meets it "is screened out as
natural"; one that does not "cannot be screened out by" that criterion, which is not a
statement that the event is an explosion or is "not consistent with an earthquake".
Annex 2 to the CTBT Protocol is the "List of characterization parameters for International
Data Centre standard event screening" (Protocol Part I, paragraph 18(b)); its parameters
screen events *out*. An Ms:mb statistic above zero but within the uncertainty margin is
said to be on the earthquake side of the line and still not screened out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.locate import Location
from treatyverify.treaty import load_treaty
from treatyverify.treaty.models import ScreeningCriterion, TreatySpec

__all__ = [
    "Outcome",
    "ScreeningDecision",
    "screen_depth",
    "screen_location_depth",
    "screen_ms_mb",
]

Outcome = Literal["screened out", "not screened out", "not screened"]


@dataclass(frozen=True)
class ScreeningDecision:
    """One screening decision.

    Parameters
    ----------
    criterion
        Criterion id in the treaty specification (``"ms-mb"`` or ``"depth"``).
    outcome
        ``"screened out"``, ``"not screened out"`` or ``"not screened"``.
    explanation
        One sentence with the numbers that decided it.
    statistic
        The tested quantity (Ms:mb statistic in magnitude units, or the lower
        confidence bound of depth in km); ``None`` when not screened.
    threshold
        What the statistic was compared with; ``None`` when not screened.
    """

    criterion: str
    outcome: Outcome
    explanation: str
    statistic: float | None = None
    threshold: float | None = None

    @property
    def screened_out(self) -> bool:
        """Whether the event was screened out by this criterion."""
        return self.outcome == "screened out"


def _criterion(treaty: TreatySpec | None, criterion_id: str) -> ScreeningCriterion:
    spec = treaty if treaty is not None else load_treaty("ctbt")
    return spec.screening(criterion_id)


def _number(c: ScreeningCriterion, name: str) -> float:
    value = c.parameter(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"parameter {name!r} of {c.id!r} is not a number", where=c.id)
    return float(value)


def _finite(x: float | None) -> float:
    """The value, or nan when absent, so that one ``math.isfinite`` test covers both."""
    return math.nan if x is None else float(x)


def screen_ms_mb(
    mb: float | None,
    ms: float | None,
    *,
    mb_stderr: float | None,
    ms_stderr: float | None,
    treaty: TreatySpec | None = None,
) -> ScreeningDecision:
    """Apply the Ms:mb criterion.

    Parameters
    ----------
    mb, ms
        Network body- and surface-wave magnitudes (``None`` when not computed).
    mb_stderr, ms_stderr
        Their standard errors (magnitude units; ``None``/``nan`` when unknown).
    treaty
        Treaty specification with the ``ms-mb`` criterion; the shipped CTBT by default.
    """
    c = _criterion(treaty, "ms-mb")
    coef, const = _number(c, "mb_coefficient"), _number(c, "constant")
    k, min_mb = _number(c, "uncertainty_multiplier"), _number(c, "min_mb")
    if mb is None or not math.isfinite(mb):
        return ScreeningDecision("ms-mb", "not screened", "no mb: the criterion needs mb and Ms")
    if ms is None or not math.isfinite(ms):
        return ScreeningDecision("ms-mb", "not screened", "no Ms: the criterion needs mb and Ms")
    if mb < min_mb:
        return ScreeningDecision(
            "ms-mb",
            "not screened",
            f"mb {mb:.2f} is below {min_mb:g}, the smallest mb the criterion is applied to",
        )
    mb_se, ms_se = _finite(mb_stderr), _finite(ms_stderr)
    if not (math.isfinite(mb_se) and math.isfinite(ms_se)):
        return ScreeningDecision(
            "ms-mb",
            "not screened",
            "no standard error for mb or Ms (fewer than two station magnitudes): "
            "the uncertainty rule cannot be applied",
        )
    sigma = math.sqrt(ms_se**2 + (coef * mb_se) ** 2)
    x = ms - coef * mb + const
    bound = k * sigma
    met = x > bound
    relation = ">" if met else "<="
    outcome: Outcome = "screened out" if met else "not screened out"
    if met:
        verdict = "screened out as natural by the Ms:mb criterion"
    elif x > 0.0:
        # On the earthquake side of the line, but not by the required margin: the
        # criterion does not screen the event out, and it says nothing more.
        verdict = (
            f"on the earthquake side of the Ms:mb line but within {k:g} standard errors "
            "of it, so it cannot be screened out by the Ms:mb criterion"
        )
    else:
        verdict = "cannot be screened out by the Ms:mb criterion"
    return ScreeningDecision(
        "ms-mb",
        outcome,
        f"Ms - {coef:g} mb + {const:g} = {x:.2f} {relation} {k:g} x {sigma:.2f} "
        f"(Ms {ms:.2f}, mb {mb:.2f}): {verdict}",
        statistic=x,
        threshold=bound,
    )


def screen_depth(
    depth_km: float | None,
    sigma_km: float | None,
    *,
    depth_fixed: bool = False,
    treaty: TreatySpec | None = None,
) -> ScreeningDecision:
    """Apply the depth criterion.

    Parameters
    ----------
    depth_km
        Source depth, km.
    sigma_km
        Its standard error, km.
    depth_fixed
        Whether the depth was held fixed in location (then it was not resolved).
    treaty
        Treaty specification with the ``depth`` criterion; the shipped CTBT by default.
    """
    c = _criterion(treaty, "depth")
    min_depth, conf = _number(c, "min_depth_km"), _number(c, "confidence")
    if depth_fixed:
        return ScreeningDecision(
            "depth", "not screened", "depth was fixed in location, so it is not resolved"
        )
    depth, sigma = _finite(depth_km), _finite(sigma_km)
    if not (math.isfinite(depth) and math.isfinite(sigma) and sigma > 0.0):
        return ScreeningDecision("depth", "not screened", "no depth with a positive standard error")
    z = float(stats.norm.ppf(conf))
    low = depth - z * sigma
    deep = low > min_depth
    relation = ">" if deep else "<="
    return ScreeningDecision(
        "depth",
        "screened out" if deep else "not screened out",
        f"depth {depth:.1f} km - {z:.2f} x {sigma:.1f} km = {low:.1f} km {relation} "
        f"{min_depth:g} km: "
        + (
            f"deeper than {min_depth:g} km at {conf:.1%} confidence, so screened out as "
            "natural by the depth criterion"
            if deep
            else f"not shown deeper than {min_depth:g} km at {conf:.1%} confidence, so it "
            "cannot be screened out by the depth criterion"
        ),
        statistic=low,
        threshold=min_depth,
    )


def screen_location_depth(
    location: Location, *, treaty: TreatySpec | None = None
) -> ScreeningDecision:
    """Depth screening of a :class:`~treatyverify.monitoring.seismic.locate.Location`.

    The depth standard error is the square root of the depth variance of the location
    covariance (km). A depth the data do not resolve (:attr:`Location.depth_resolved` false:
    held fixed, or free but located from first-arriving P alone, which trades depth against
    origin time at regional distances) is not used: the event is "not screened" by depth.
    """
    if not location.depth_fixed and not location.depth_resolved:
        return ScreeningDecision(
            "depth",
            "not screened",
            f"depth {location.depth_km:.1f} km was solved for from first-arriving P alone, "
            "which does not resolve depth (no depth phases), so it is not used",
        )
    var = float(location.covariance[3, 3])
    sigma = math.sqrt(var) if var > 0.0 else None
    return screen_depth(location.depth_km, sigma, depth_fixed=location.depth_fixed, treaty=treaty)
