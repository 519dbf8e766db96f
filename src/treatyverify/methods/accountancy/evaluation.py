"""The decision on a campaign of material balances, as a treaty's mass-balance method takes it.

One campaign of ``n`` balance periods is judged by Page's test on SITMUF, with the
decision interval ``h`` chosen so that the probability of any false alarm over the ``n``
periods is the treaty's ``false_alarm_probability`` (:func:`page_threshold`, exact
run-length recursion). The reference value ``k = 0.5`` is the usual choice for
detecting a shift of one standard deviation of SITMUF (Page 1954; the optimal ``k`` is
half the shift to be detected); it is a parameter. GEMUF and the CUMUF test of the whole
campaign are reported beside it, each at the same false-alarm probability, for the
analyst; they do not change the decision.

Given a significant quantity, the evaluation also gives, for each period ``j``, the
probability that this decision rule (Page's test over all ``n`` periods, ``h`` for the
campaign false-alarm probability) alarms when one significant quantity is lost in
period ``j`` and nothing else (:func:`~.detection.page_detection_probability`). It is
not the single-month test ``Phi(SQ / sigma_j - z_(1-alpha))`` at alpha per month, which
is not the treaty's rule.

The significant quantity must count what the balance counts:
:func:`significant_quantity_basis` reads the element or isotope a treaty's significant
quantity is counted in from its ``material`` and ``basis``, and :func:`goal_quantity_kg`
refuses a balance of anything else (8 kg of plutonium is no yardstick for a uranium
balance, nor 25 kg of U-235 for a balance of element uranium).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.balance import MaterialBalance
from treatyverify.methods.accountancy.detection import page_detection_probability
from treatyverify.methods.accountancy.sequential import (
    CumufTestResult,
    GemufResult,
    PageResult,
    cumuf_test,
    gemuf_test,
    page_test,
    page_threshold,
    sitmuf,
)

if TYPE_CHECKING:
    from treatyverify.treaty.models import SignificantQuantity

__all__ = [
    "DEFAULT_PAGE_K",
    "SQ_MATERIALS",
    "CampaignEvaluation",
    "evaluate_campaign",
    "goal_quantity_kg",
    "significant_quantity_basis",
]

DEFAULT_PAGE_K = 0.5
"""Reference value of Page's test on SITMUF (dimensionless): half of a one-sigma shift."""

SQ_MATERIALS: Mapping[str, tuple[str, str | None]] = {
    "plutonium": ("Pu", None),
    "uranium-233": ("U", "U-233"),
    "heu": ("U", "U-235"),
    "leu": ("U", "U-235"),
    "natural-uranium": ("U", None),
    "depleted-uranium": ("U", None),
    "thorium": ("Th", None),
}
"""Material slug of a treaty's significant quantity -> (element, isotope) its mass counts
(``None``: the element). IAEA Safeguards Glossary, 2022 edition, para. 3.14: 8 kg Pu;
8 kg U-233; 25 kg U-235 in HEU; 75 kg U-235 in LEU (or 10 t natural U, 20 t depleted
U); 20 t Th."""


def _describe(element: str, isotope: str | None) -> str:
    return f"{isotope} contained" if isotope else f"element {element}"


def significant_quantity_basis(
    significant_quantity: SignificantQuantity, *, where: str
) -> tuple[str, str | None]:
    """The (element, isotope) whose mass a treaty's significant quantity counts.

    Parameters
    ----------
    significant_quantity
        An entry of the treaty's ``significant_quantities`` (material, kg, basis).
    where
        The entry's place, for the error (e.g. ``"fmct: significant_quantities.heu"``).

    Returns
    -------
    tuple
        ``(element, isotope)``; ``isotope`` is ``None`` for an element mass.

    Raises
    ------
    InputError
        The material is not in :data:`SQ_MATERIALS`, or the ``basis`` (``total
        element``, ``total isotope`` or ``<isotope> contained``) contradicts it.
    """
    material = significant_quantity.material
    if material not in SQ_MATERIALS:
        known = ", ".join(sorted(SQ_MATERIALS))
        raise InputError(
            f"no balance is known for material {material!r} (known: {known})",
            where=f"{where}.material",
        )
    element, isotope = SQ_MATERIALS[material]
    basis = significant_quantity.basis.strip()
    agrees = (
        basis == "total element"
        if isotope is None
        else basis in ("total isotope", f"{isotope} contained")
    )
    if not agrees:
        raise InputError(
            f"basis {basis!r} contradicts the material {material!r}, whose significant "
            f"quantity counts {_describe(element, isotope)} (IAEA Safeguards Glossary, "
            "para. 3.14)",
            where=f"{where}.basis",
        )
    return element, isotope


def goal_quantity_kg(
    significant_quantity: SignificantQuantity, balance: MaterialBalance, *, where: str
) -> float:
    """The significant quantity (kg) when it counts what ``balance`` counts; else an error.

    Parameters
    ----------
    significant_quantity
        An entry of the treaty's ``significant_quantities``.
    balance
        The material balance to judge (its ``element`` and ``isotope``).
    where
        The entry's place, for the error.
    """
    expected = significant_quantity_basis(significant_quantity, where=where)
    found = (balance.element, balance.isotope)
    if found != expected:
        raise InputError(
            f"the significant quantity of {significant_quantity.material} counts "
            f"{_describe(*expected)}, but the balance counts {_describe(*found)}",
            where=where,
        )
    return float(significant_quantity.quantity_kg)


@dataclass(frozen=True)
class CampaignEvaluation:
    """The tests of one campaign and the decision.

    Attributes
    ----------
    balance
        The material balances judged.
    false_alarm_probability
        Probability of any false alarm of Page's test over the campaign.
    sitmuf
        Standardised independent transform of the MUFs (dimensionless).
    page
        Page's test on SITMUF (statistic path, k, h, first alarm).
    gemuf, cumuf
        The global test and the test of the campaign's total CUMUF, same alpha.
    significant_quantity_kg
        The goal quantity, kg of what the balance counts (``None``: not computed).
    sq_detection
        Per period ``j``, the probability that the decision rule (Page's test over the
        whole campaign at ``false_alarm_probability``) alarms when one significant
        quantity is lost in period ``j`` alone; empty without a significant quantity.
    """

    balance: MaterialBalance
    false_alarm_probability: float
    sitmuf: np.ndarray[Any, np.dtype[np.float64]]
    page: PageResult
    gemuf: GemufResult
    cumuf: CumufTestResult
    significant_quantity_kg: float | None
    sq_detection: tuple[float, ...]

    @property
    def passed(self) -> bool:
        """No alarm of Page's test over the campaign."""
        return not self.page.alarm

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: decision, tests and per-period figures (kg)."""
        b = self.balance
        return {
            "element": b.element,
            "isotope": b.isotope,
            "periods": len(b.period_ids),
            "false_alarm_probability": self.false_alarm_probability,
            "pass": self.passed,
            "page": {
                "k": self.page.k,
                "h": round(self.page.h, 4),
                "alarm_period": self.page.alarm_period,
            },
            "gemuf": {
                "statistic": round(self.gemuf.statistic, 3),
                "threshold": round(self.gemuf.threshold, 3),
                "alarm": self.gemuf.alarm,
            },
            "cumuf": {
                "cumuf_kg": round(self.cumuf.cumuf_kg, 4),
                "sigma_kg": round(self.cumuf.sigma_kg, 4),
                "threshold_kg": round(self.cumuf.threshold_kg, 4),
                "alarm": self.cumuf.alarm,
            },
            "significant_quantity_kg": self.significant_quantity_kg,
            "sq_detection": (
                {
                    "rule": "Page's test on SITMUF over the campaign",
                    "false_alarm_probability": self.false_alarm_probability,
                    "min": round(min(self.sq_detection), 4),
                    "max": round(max(self.sq_detection), 4),
                }
                if self.sq_detection
                else None
            ),
            "by_period": [
                {
                    "period": pid,
                    "muf_kg": round(float(b.muf_kg[i]), 4),
                    "sigma_muf_kg": round(float(b.sigma_muf_kg[i]), 4),
                    "cumuf_kg": round(float(b.cumuf_kg[i]), 4),
                    "sitmuf": round(float(self.sitmuf[i]), 4),
                    "page_statistic": round(float(self.page.statistic[i]), 4),
                    "sq_detection": (round(self.sq_detection[i], 4) if self.sq_detection else None),
                }
                for i, pid in enumerate(b.period_ids)
            ],
        }


def evaluate_campaign(
    balance: MaterialBalance,
    *,
    false_alarm_probability: float,
    significant_quantity_kg: float | None = None,
    k: float = DEFAULT_PAGE_K,
) -> CampaignEvaluation:
    """Judge a campaign of balances by Page's test on SITMUF at a campaign false-alarm rate.

    Parameters
    ----------
    balance
        MUFs and their covariance (:func:`material_balance`).
    false_alarm_probability
        Probability of any false alarm over the campaign, in (0, 1).
    significant_quantity_kg
        Goal quantity, kg of what the balance counts (see :func:`goal_quantity_kg`);
        ``None`` skips the detection probabilities.
    k
        Reference value of Page's test (dimensionless, >= 0).
    """
    if not 0.0 < false_alarm_probability < 1.0:
        raise InputError("must lie strictly between 0 and 1", where="false_alarm_probability")
    if significant_quantity_kg is not None and not significant_quantity_kg > 0.0:
        raise InputError("must be a positive mass in kg", where="significant_quantity_kg")
    alpha = false_alarm_probability
    periods = len(balance.period_ids)
    x = np.asarray(sitmuf(balance.muf_kg, balance.covariance_kg2), dtype=np.float64)
    h = page_threshold(alpha, periods, k=k)
    page = page_test(x, k=k, h=h)
    detection: tuple[float, ...] = ()
    if significant_quantity_kg is not None:
        losses = significant_quantity_kg * np.eye(periods)
        detection = tuple(
            page_detection_probability(loss, balance.covariance_kg2, k=k, h=h) for loss in losses
        )
    return CampaignEvaluation(
        balance=balance,
        false_alarm_probability=alpha,
        sitmuf=x,
        page=page,
        gemuf=gemuf_test(balance.muf_kg, balance.covariance_kg2, alpha),
        cumuf=cumuf_test(balance.muf_kg, balance.covariance_kg2, alpha),
        significant_quantity_kg=significant_quantity_kg,
        sq_detection=detection,
    )
