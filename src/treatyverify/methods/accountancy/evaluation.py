"""The decision on a campaign of material balances, as a treaty's mass-balance method takes it.

One campaign of ``n`` balance periods is judged by Page's test on SITMUF, with the
decision interval ``h`` chosen so that the probability of any false alarm over the ``n``
periods is the treaty's ``false_alarm_probability`` (:func:`page_threshold`, exact
run-length recursion). The reference value ``k = 0.5`` is the usual choice for
detecting a shift of one standard deviation of SITMUF (Page 1954; the optimal ``k`` is
half the shift to be detected); it is a parameter. GEMUF and the CUMUF test of the whole
campaign are reported beside it, each at the same false-alarm probability, for the
analyst; they do not change the decision.

The detection probability for an abrupt loss of one significant quantity in a single
period, ``Phi(SQ / sigma_i - z_(1-alpha))`` (:func:`abrupt_loss_detection_probability`),
is given per period as the yardstick of what the balance can see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.balance import MaterialBalance
from treatyverify.methods.accountancy.detection import abrupt_loss_detection_probability
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

__all__ = ["DEFAULT_PAGE_K", "CampaignEvaluation", "evaluate_campaign"]

DEFAULT_PAGE_K = 0.5
"""Reference value of Page's test on SITMUF (dimensionless): half of a one-sigma shift."""


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
        The goal quantity for the detection yardstick, kg (``None``: not computed).
    abrupt_sq_detection
        Per period, the detection probability of a single-period MUF test for an abrupt
        loss of one significant quantity.
    """

    balance: MaterialBalance
    false_alarm_probability: float
    sitmuf: np.ndarray[Any, np.dtype[np.float64]]
    page: PageResult
    gemuf: GemufResult
    cumuf: CumufTestResult
    significant_quantity_kg: float | None
    abrupt_sq_detection: tuple[float, ...]

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
            "by_period": [
                {
                    "period": pid,
                    "muf_kg": round(float(b.muf_kg[i]), 4),
                    "sigma_muf_kg": round(float(b.sigma_muf_kg[i]), 4),
                    "cumuf_kg": round(float(b.cumuf_kg[i]), 4),
                    "sitmuf": round(float(self.sitmuf[i]), 4),
                    "page_statistic": round(float(self.page.statistic[i]), 4),
                    "abrupt_sq_detection": (
                        round(self.abrupt_sq_detection[i], 4) if self.abrupt_sq_detection else None
                    ),
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
        Goal quantity for the per-period detection yardstick, kg; ``None`` skips it.
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
    yardstick: tuple[float, ...] = ()
    if significant_quantity_kg is not None:
        yardstick = tuple(
            abrupt_loss_detection_probability(significant_quantity_kg, float(s), alpha)
            for s in balance.sigma_muf_kg
        )
    return CampaignEvaluation(
        balance=balance,
        false_alarm_probability=alpha,
        sitmuf=x,
        page=page,
        gemuf=gemuf_test(balance.muf_kg, balance.covariance_kg2, alpha),
        cumuf=cumuf_test(balance.muf_kg, balance.covariance_kg2, alpha),
        significant_quantity_kg=significant_quantity_kg,
        abrupt_sq_detection=yardstick,
    )
