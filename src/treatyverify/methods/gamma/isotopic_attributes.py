"""Isotopic attributes of a nuclear item: enrichment, Pu-240/Pu-239 and plutonium age.

Each attribute (1) refuses a spectrum that is not HPGe-class
(:func:`~treatyverify.methods.gamma.instrument.require_high_resolution`); (2) asks
whether the nuclide it measures is there (:mod:`treatyverify.methods.gamma.signatures`):
without Pu-239 the ratio and age attributes fail, without uranium the enrichment
attribute fails, whatever number a fit would give; (3) measures the quantity with the
relative-efficiency engine (:mod:`treatyverify.methods.gamma.item_isotopics`), with its
standard uncertainty and one-sided bounds at the treaty's confidence level; (4) decides
on the bound (:func:`treatyverify.methods.decision.decide`): pass, fail, or
*inconclusive* when the bound straddles the threshold or the relative uncertainty
exceeds the treaty's maximum. Every threshold and level comes from the caller, which
reads them from the treaty; there are none in this module. The results are sensitive
and stay behind the information barrier.
"""

from __future__ import annotations

from dataclasses import dataclass

from treatyverify.methods.decision import BoundedValue, Decision, Verdict, decide
from treatyverify.methods.gamma.instrument import require_high_resolution
from treatyverify.methods.gamma.item_isotopics import (
    plutonium_isotopics,
    uranium_isotopics,
)
from treatyverify.methods.gamma.measurement import GammaMeasurement
from treatyverify.methods.gamma.signatures import SignatureResult, signature

__all__ = [
    "AgeResult",
    "EnrichmentResult",
    "RatioResult",
    "pu240_pu239_ratio",
    "pu_age",
    "u_enrichment",
]

NO_SIGNATURE = "no-signature"
"""Reason of a fail because the nuclide the attribute measures is not in the spectrum."""


@dataclass(frozen=True)
class EnrichmentResult:
    """U-235 enrichment and its decision (behind the barrier).

    Attributes
    ----------
    enrichment
        ``N(U-235) / (N(U-235) + N(U-238))`` with its bounds; ``None`` when no uranium
        was seen.
    u235, u238
        The signature tests of U-235 and of U-238 (through Pa-234m).
    min_enrichment
        The treaty threshold.
    verdict
        Pass, fail or inconclusive, with its reason.
    """

    enrichment: BoundedValue | None
    u235: SignatureResult
    u238: SignatureResult
    min_enrichment: float
    verdict: Verdict

    @property
    def passed(self) -> bool:
        """True only for a pass."""
        return self.verdict.passed


@dataclass(frozen=True)
class RatioResult:
    """Pu-240/Pu-239 atom ratio and its decision (behind the barrier).

    Attributes
    ----------
    ratio
        ``N(Pu-240) / N(Pu-239)`` with its bounds; ``None`` when no Pu-239 was seen.
    pu239
        The Pu-239 signature test.
    max_ratio
        The treaty threshold.
    verdict
        Pass, fail or inconclusive, with its reason.
    """

    ratio: BoundedValue | None
    pu239: SignatureResult
    max_ratio: float
    verdict: Verdict

    @property
    def passed(self) -> bool:
        """True only for a pass."""
        return self.verdict.passed


@dataclass(frozen=True)
class AgeResult:
    """Time since americium was last separated from the plutonium, and its decision.

    Attributes
    ----------
    age_years
        Age (years of 365.2422 d) with its bounds; ``None`` when no Pu-239 was seen.
    pu239
        The Pu-239 signature test.
    min_age_years
        The treaty threshold.
    verdict
        Pass, fail or inconclusive, with its reason.
    """

    age_years: BoundedValue | None
    pu239: SignatureResult
    min_age_years: float
    verdict: Verdict

    @property
    def passed(self) -> bool:
        """True only for a pass."""
        return self.verdict.passed


def u_enrichment(
    measurement: GammaMeasurement,
    *,
    min_enrichment: float,
    confidence_level: float,
    max_relative_uncertainty: float,
    min_signature_sigma: float,
) -> EnrichmentResult:
    """The enrichment attribute: pass when the U-235 atom fraction is at least
    ``min_enrichment`` at ``confidence_level``.

    Parameters
    ----------
    measurement
        The spectrum with calibration, resolution and instrument.
    min_enrichment
        Treaty threshold on ``N235 / (N235 + N238)`` (dimensionless).
    confidence_level
        One-sided confidence of the bound the decision reads (0.5-1).
    max_relative_uncertainty
        Largest accepted relative standard uncertainty of the enrichment.
    min_signature_sigma
        Uranium must be seen at this significance (standard deviations).

    Raises
    ------
    MethodRefusedError
        ``needs-high-resolution`` for a spectrum that is not HPGe-class.
    """
    require_high_resolution(measurement, "gamma.u-enrichment")
    u235 = signature(measurement, "U-235", min_sigma=min_signature_sigma)
    u238 = signature(measurement, "U-238", min_sigma=min_signature_sigma)
    if not (u235.seen or u238.seen):
        return EnrichmentResult(
            None, u235, u238, min_enrichment, Verdict(Decision.FAIL, NO_SIGNATURE)
        )
    enrichment = uranium_isotopics(measurement, confidence=confidence_level).enrichment
    verdict = decide(
        enrichment,
        min_enrichment,
        direction="at least",
        max_relative_uncertainty=max_relative_uncertainty,
    )
    return EnrichmentResult(enrichment, u235, u238, min_enrichment, verdict)


def pu240_pu239_ratio(
    measurement: GammaMeasurement,
    *,
    max_ratio: float,
    confidence_level: float,
    max_relative_uncertainty: float,
    min_signature_sigma: float,
) -> RatioResult:
    """The isotopic-ratio attribute: pass when ``N(Pu-240) / N(Pu-239)`` is below
    ``max_ratio`` at ``confidence_level``; fail when the item shows no Pu-239.

    Parameters are as for :func:`u_enrichment`, with ``max_ratio`` the treaty threshold
    on the atom ratio (dimensionless) and ``min_signature_sigma`` applying to Pu-239.
    """
    require_high_resolution(measurement, "gamma.pu240-pu239-ratio")
    pu239 = signature(measurement, "Pu-239", min_sigma=min_signature_sigma)
    if not pu239.seen:
        return RatioResult(None, pu239, max_ratio, Verdict(Decision.FAIL, NO_SIGNATURE))
    ratio = plutonium_isotopics(measurement, confidence=confidence_level).pu240_pu239
    verdict = decide(
        ratio, max_ratio, direction="below", max_relative_uncertainty=max_relative_uncertainty
    )
    return RatioResult(ratio, pu239, max_ratio, verdict)


def pu_age(
    measurement: GammaMeasurement,
    *,
    min_age_years: float,
    confidence_level: float,
    max_relative_uncertainty: float,
    min_signature_sigma: float,
) -> AgeResult:
    """The age attribute: pass when the plutonium is at least ``min_age_years`` old at
    ``confidence_level`` (Am-241 grown in from Pu-241 since the last separation); fail
    when the item shows no Pu-239.

    Parameters are as for :func:`pu240_pu239_ratio`, with ``min_age_years`` the
    treaty threshold (years).
    """
    require_high_resolution(measurement, "gamma.pu-age")
    pu239 = signature(measurement, "Pu-239", min_sigma=min_signature_sigma)
    if not pu239.seen:
        return AgeResult(None, pu239, min_age_years, Verdict(Decision.FAIL, NO_SIGNATURE))
    age = plutonium_isotopics(measurement, confidence=confidence_level).age_years
    verdict = decide(
        age,
        min_age_years,
        direction="at least",
        max_relative_uncertainty=max_relative_uncertainty,
    )
    return AgeResult(age, pu239, min_age_years, verdict)
