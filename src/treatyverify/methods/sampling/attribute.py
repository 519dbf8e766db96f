"""Attribute sampling plans: how many items to verify so a goal-quantity diversion is found.

An operator declares ``N`` items of equal mass. To divert a goal quantity ``M`` (kg)
undetected it must falsify (or empty) ``r = ceil(M / m)`` items of mass ``m`` (kg).
The inspector verifies ``n`` items drawn at random without replacement; the
non-detection probability (no falsified item in the sample) is hypergeometric,

    beta(n) = C(N - r, n) / C(N, n) = prod_{i=0}^{r-1} (N - n - i) / (N - i),

and the detection probability is ``1 - beta(n)``. Since each factor is at most
``(N - n) / N``, ``beta(n) <= (1 - n / N)^r``; solving ``(1 - n / N)^r = beta`` gives
the sample size used by the IAEA for attribute tests,

    n_IAEA = ceil(N * (1 - beta^(1/r))),

which therefore never falls short of the target, and the exact size (the smallest
``n`` with ``beta(n) <= beta``) is equal or a few items smaller.

Worked example: ``N = 100`` items of 2 kg Pu, goal quantity 8 kg (the IAEA
significant quantity of plutonium), ``beta = 0.10``: ``r = 4`` and
``n_IAEA = ceil(100 * (1 - 0.1^(1/4))) = ceil(43.77) = 44``, and the exact size is
also 44 (``beta(43) = 0.1007``, ``beta(44) = 0.0937``). They differ for example at
``N = 20``, ``r = 4``, ``beta = 0.05``: ``n_IAEA = ceil(10.54) = 11`` while
``beta(10) = C(16, 10) / C(20, 10) = 8008 / 184756 = 0.0433`` already suffices.

References
----------
R. Avenhaus and M. J. Canty, *Compliance Quantified: An Introduction to Data
Verification*, Cambridge University Press, 1996, chapter 6 (attributes sampling).
IAEA, *IAEA Safeguards Glossary*, 2001 edition, International Nuclear Verification
Series No. 3 (significant quantity of Pu: 8 kg).
Journal of Nuclear Materials Management 44(3), 2016, paper comparing ``n_IAEA`` with
the exact hypergeometric size (which lies in ``{n_IAEA - 3, ..., n_IAEA}``), abstract at
https://resources.inmm.org/node/58924.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.stats import hypergeom

from treatyverify.errors import InputError

__all__ = [
    "SAMPLE_SIZE_METHODS",
    "AttributePlan",
    "SampleSizeMethod",
    "defects_to_divert",
    "detection_probability",
    "exact_sample_size",
    "iaea_sample_size",
    "non_detection_probability",
]

SampleSizeMethod = Literal["iaea", "exact"]
SAMPLE_SIZE_METHODS: tuple[SampleSizeMethod, ...] = ("iaea", "exact")

_RELATIVE_TOLERANCE = 1e-9
"""Tolerance for rounding up quotients that are integers up to floating-point error."""


MAX_POPULATION = 10**9
"""Largest population (items or sites) the sampling functions accept. SciPy's
hypergeometric distribution, used for very large samples, answers in well under a
millisecond up to 10^9 but stalls for more than 20 s at 10^12 (measured 2026-12-07); no
declared population comes near either."""


def _check_items(items: int, where: str = "items") -> None:
    if isinstance(items, bool) or not isinstance(items, int) or items <= 0:
        raise InputError(
            f"the number of items must be a positive integer, not {items!r}", where=where
        )
    if items > MAX_POPULATION:
        raise InputError(f"at most {MAX_POPULATION} items or sites", where=where)


def _check_count(value: int, items: int, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= items:
        raise InputError(f"must be an integer between 0 and {items}, not {value!r}", where=where)


def _check_beta(beta: float, where: str = "beta") -> None:
    if not (isinstance(beta, int | float) and 0.0 < beta < 1.0):
        raise InputError(
            f"the non-detection probability must lie strictly between 0 and 1, not {beta!r}",
            where=where,
        )


def _ceil(value: float) -> int:
    """``ceil`` that ignores a floating-point excess above an integer (43.0000000001 -> 43)."""
    nearest = round(value)
    if abs(value - nearest) <= _RELATIVE_TOLERANCE * max(1.0, abs(value)):
        return int(nearest)
    return math.ceil(value)


def defects_to_divert(goal_kg: float, item_mass_kg: float) -> int:
    """Number of items ``r = ceil(goal / item mass)`` to falsify to divert a goal quantity.

    Parameters
    ----------
    goal_kg
        Goal quantity to divert, kg (for example 8 kg Pu, the IAEA significant quantity).
    item_mass_kg
        Declared nuclear-material mass of one item, kg.
    """
    if not (isinstance(goal_kg, int | float) and math.isfinite(goal_kg) and goal_kg > 0):
        raise InputError(
            f"the goal quantity must be a positive mass, not {goal_kg!r}", where="goal_kg"
        )
    if not (
        isinstance(item_mass_kg, int | float) and math.isfinite(item_mass_kg) and item_mass_kg > 0
    ):
        raise InputError(
            f"the item mass must be a positive mass, not {item_mass_kg!r}", where="item_mass_kg"
        )
    return max(1, _ceil(goal_kg / item_mass_kg))


def non_detection_probability(items: int, defects: int, sample: int) -> float:
    """Probability ``C(N - r, n) / C(N, n)`` that a random sample holds no defective item.

    Parameters
    ----------
    items
        Population size ``N`` (items).
    defects
        Defective (falsified) items ``r`` among them.
    sample
        Items ``n`` drawn without replacement.
    """
    return math.exp(_log_non_detection(items, defects, sample))


def detection_probability(items: int, defects: int, sample: int) -> float:
    """Probability ``1 - C(N - r, n) / C(N, n)`` that the sample holds a defective item.

    Parameters are those of :func:`non_detection_probability`. Computed as
    ``-expm1(ln beta)``, so that a small probability keeps its digits: ``1 - beta`` from
    SciPy's ``hypergeom.pmf`` was 2e-8 instead of 1e-8 at ``N = 10^8``, ``r = n = 1``.
    """
    return -math.expm1(_log_non_detection(items, defects, sample))


_EXACT_TERMS = 1_000_000
"""Up to this many factors the product is summed term by term (exact to rounding)."""


def _log_non_detection(items: int, defects: int, sample: int) -> float:
    """``ln C(N - r, n) / C(N, n)``; ``-inf`` when every sample holds a defect.

    The ratio is ``prod_{j<m} (1 - M / (N - j))`` with ``m = min(r, n)`` and
    ``M = max(r, n)`` (it is symmetric in ``r`` and ``n``), summed as ``log1p`` terms.
    Beyond :data:`_EXACT_TERMS` factors, ``M m / N`` is above 10^3 and the probability
    far below any that matters, so SciPy's log-pmf is precise enough.
    """
    _check_items(items)
    _check_count(defects, items, "defects")
    _check_count(sample, items, "sample")
    if defects + sample > items:
        return -math.inf
    m, big = sorted((defects, sample))
    if m <= _EXACT_TERMS:
        j = np.arange(m, dtype=np.float64)
        return float(np.sum(np.log1p(-big / (items - j))))
    return float(hypergeom.logpmf(0, items, defects, sample))


def iaea_sample_size(items: int, defects: int, beta: float) -> int:
    """The IAEA attribute sample size ``ceil(N * (1 - beta^(1/r)))``, at most ``N``.

    Parameters
    ----------
    items
        Population size ``N`` (items).
    defects
        Items ``r`` that must be falsified to divert a goal quantity (``r >= 1``).
    beta
        Accepted non-detection probability, in ``(0, 1)``.
    """
    _check_items(items)
    _check_count(defects, items, "defects")
    if defects == 0:
        raise InputError("at least one item must be falsified for a diversion", where="defects")
    _check_beta(beta)
    return min(items, _ceil(items * (1.0 - beta ** (1.0 / defects))))


def exact_sample_size(items: int, defects: int, beta: float) -> int:
    """The smallest ``n`` with ``C(N - r, n) / C(N, n) <= beta`` (hypergeometric).

    Parameters are those of :func:`iaea_sample_size`. The non-detection probability
    falls as ``n`` grows and is 0 at ``n = N - r + 1``, so a solution always exists.
    """
    iaea = iaea_sample_size(items, defects, beta)  # validates, and bounds the search above
    tolerance = beta * _RELATIVE_TOLERANCE
    low, high = 0, iaea  # beta(iaea) <= beta: the answer lies in [0, iaea]
    while low < high:
        middle = (low + high) // 2
        if non_detection_probability(items, defects, middle) <= beta + tolerance:
            high = middle
        else:
            low = middle + 1
    return low


@dataclass(frozen=True)
class AttributePlan:
    """An attribute sampling plan for one stratum of equal-mass items.

    Parameters
    ----------
    items
        Number of declared items ``N`` in the stratum.
    item_mass_kg
        Declared nuclear-material mass of one item, kg.
    goal_kg
        Goal quantity whose diversion must be detected, kg.
    beta
        Accepted non-detection probability for a goal-quantity diversion, in ``(0, 1)``.
    """

    items: int
    item_mass_kg: float
    goal_kg: float
    beta: float

    def __post_init__(self) -> None:
        _check_items(self.items)
        _check_beta(self.beta)
        r = defects_to_divert(self.goal_kg, self.item_mass_kg)
        if r > self.items:
            raise InputError(
                f"the {self.items} items hold less than the goal quantity "
                f"({self.items} x {self.item_mass_kg} kg < {self.goal_kg} kg): "
                "no diversion of a goal quantity is possible from this stratum",
                where="goal_kg",
            )

    @property
    def defects(self) -> int:
        """Items ``r`` to falsify to divert the goal quantity."""
        return defects_to_divert(self.goal_kg, self.item_mass_kg)

    def sample_size(self, method: SampleSizeMethod = "iaea") -> int:
        """Items to verify: ``"iaea"`` formula or ``"exact"`` hypergeometric size."""
        if method == "iaea":
            return iaea_sample_size(self.items, self.defects, self.beta)
        if method == "exact":
            return exact_sample_size(self.items, self.defects, self.beta)
        raise InputError(
            f"unknown sample size method {method!r}; use one of {', '.join(SAMPLE_SIZE_METHODS)}",
            where="method",
        )

    def detection_probability(self, sample: int) -> float:
        """Probability of detecting a goal-quantity diversion with ``sample`` items verified."""
        return detection_probability(self.items, self.defects, sample)

    def to_body(self) -> dict[str, Any]:
        """The plan's parameters as a JSON object (for a ledger record)."""
        return {
            "items": self.items,
            "item_mass_kg": self.item_mass_kg,
            "goal_kg": self.goal_kg,
            "beta": self.beta,
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any], *, where: str = "plan") -> AttributePlan:
        """Read a plan written by :meth:`to_body`."""
        try:
            return cls(
                items=body["items"],
                item_mass_kg=body["item_mass_kg"],
                goal_kg=body["goal_kg"],
                beta=body["beta"],
            )
        except KeyError as missing:
            raise InputError(f"the plan lacks field {missing}", where=where) from None
