"""The D statistic, the balance corrected by it (MUF - D), their tests and detection probabilities.

For strata ``i`` of ``N_i`` declared items, of which the inspector re-measured ``n_i``,

    D = sum_i c_i (N_i / n_i) sum_j (x_op,ij - x_insp,ij),

the operator-inspector differences extrapolated to each stratum (R. Avenhaus and
M. J. Canty, *Compliance Quantified*, Cambridge University Press, 1996, chapter 8, the
D statistic of variables sampling; J. L. Jaech, *Statistical Methods in Nuclear Material
Control*, TID-26298, US AEC, 1973). ``c_i`` is the stratum's sign in
``MUF = PB + X - Y - PE`` (:class:`.paired.Stratum` ``balance_sign``), so that
``MUF - D`` is the balance closed with the inspector's measurements in place of the
operator's; with every ``c_i = +1`` it is the form without signs.

Variance (derived here from the multiplicative error model of :mod:`.measurement_errors`,
first order, the declared values standing in for the true ones as in :mod:`.balance`).
With ``w_i = N_i / n_i``,

    Var(D) = sum_ij w_i^2 x_ij^2 (sr_op^2 + sr_in^2)
           + sum_g ss_g^2 (sum_{ij in g} c_i w_i x_ij)^2,

``g`` running over the systematic groups: (operator, method) and (inspector, method,
inspection period). The systematic part does not shrink with ``n``: for one stratum of
equal items of mass ``m``, ``Var(D) = N^2 m^2 [(sr_op^2 + sr_in^2) / n + ss_op^2 + ss_in^2]``,
the textbook form. The operator's errors enter both MUF and D, so

    Cov(MUF, D) = sum_ij w_i x_ij^2 sr_op^2 + sum_(g op) ss_g^2 (sum_{ij in g} c_i w_i x_ij)
                                                       (sum_(i in g) c_i T_i),

``T_i`` the operator's declared stratum total, and

    Var(MUF - D) = Var(MUF) + Var(D) - 2 Cov(MUF, D).

For one stratum of equal items this is

    [Var(MUF) - N m^2 sr_op^2 - N^2 m^2 ss_op^2] + N^2 m^2 [sr_op^2 (1/n - 1/N) + sr_in^2 / n
                                                            + ss_in^2]:

the operator's errors of the stratum total leave the balance (its systematic error
cancels) and the inspector's errors of the extrapolation take their place.

Tests (one-sided, normal; the Neyman-Pearson test of a normal mean):

- D test: the declaration hides a loss when ``D < 0`` (every hiding falsification lowers
  ``D``), alarm when ``D < -z_(1-alpha) sigma_D``;
- MUF - D test: alarm when ``MUF - D > z_(1-alpha) sigma(MUF - D)``.

Detection probabilities. A falsification hides ``mu_i`` kg in each of ``r_i`` items of
stratum ``i`` (gross defect: ``mu_i`` the item's content; partial: a fraction of it; bias:
``r_i = N_i``). The number ``K_i`` of falsified items in the sample is hypergeometric
``(N_i, r_i, n_i)``; given ``K``, ``D ~ N(-sum_i w_i K_i mu_i, Var(D))`` and
``MUF - D ~ N(L - sum_i r_i mu_i + sum_i w_i K_i mu_i, Var(MUF - D))`` for a diversion of
``L`` kg in the balance period. So

    PD(D)       = sum_K P(K) Phi(sum_i w_i K_i mu_i / sigma_D - z_(1-alpha)),
    PD(MUF - D) = sum_K P(K) Phi((L - F + sum_i w_i K_i mu_i) / sigma(MUF - D) - z_(1-alpha)),

``F = sum_i r_i mu_i``. The mixture over the sampling of defective items is the
"sampling of a finite population of discrepancies" term of the D statistic's variance
(EUR 9230 EN, Commission of the European Communities, 1984). Since ``E[w_i K_i] = r_i``,
``MUF - D`` has mean ``L`` whichever way the diversion is hidden.

Sample size of the variables test, one stratum, bias defects (``L`` spread over all
items): ``L / sigma_D >= z_(1-alpha) + z_(1-beta)`` gives

    n >= N^2 m^2 sr^2 / ((L / (z_(1-alpha) + z_(1-beta)))^2 - N^2 m^2 ss^2),

and no ``n`` suffices when the systematic errors alone make ``N m ss`` too large.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.measurement_errors import ErrorModel, MethodErrors
from treatyverify.methods.accountancy.paired import (
    AttributeResult,
    PairedData,
    attribute_detection_probability,
    attribute_tests,
)

__all__ = [
    "CorrectedBalance",
    "DStatistic",
    "DTest",
    "DeclarationVerification",
    "Falsification",
    "StratumD",
    "d_detection_probability",
    "d_sigma_kg",
    "d_statistic",
    "d_test",
    "muf_minus_d",
    "muf_minus_d_detection_probability",
    "variables_sample_size",
    "verify_declarations",
]

_PRUNE = 1e-15
"""Joint sampling outcomes of smaller probability are dropped (their sum is reported)."""

_MAX_OUTCOMES = 2_000_000
"""Largest joint support of the sampled-defect counts kept while convolving strata."""


@dataclass(frozen=True)
class StratumD:
    """The D statistic of one stratum.

    Attributes
    ----------
    stratum
        Stratum id.
    items, sample
        Declared items ``N`` and verified items ``n``.
    sign
        Sign in the balance (+1 or -1).
    d_kg
        ``c (N / n) sum_j (x_op - x_insp)``, kg.
    random_variance_kg2, systematic_variance_kg2
        Parts of its variance, kg² (systematic: groups restricted to this stratum).
    declared_kg
        Operator's declared stratum total, kg.
    mean_declared_kg
        Mean declared value of the verified items, kg.
    inspector_random_kg2
        Mean over the verified items of ``x^2 sr_in^2``, kg².
    inspector_shares
        ``(group index, share)``: the share of the verified declared mass the inspector
        measured in each of its systematic groups (indices into
        ``DStatistic.inspector_groups``).
    """

    stratum: str
    items: int
    sample: int
    sign: int
    d_kg: float
    random_variance_kg2: float
    systematic_variance_kg2: float
    declared_kg: float
    mean_declared_kg: float = 0.0
    inspector_random_kg2: float = 0.0
    inspector_shares: tuple[tuple[int, float], ...] = ()

    @property
    def variance_kg2(self) -> float:
        """Variance of the stratum's D, kg²."""
        return self.random_variance_kg2 + self.systematic_variance_kg2

    @property
    def sigma_kg(self) -> float:
        """Standard deviation of the stratum's D, kg."""
        return math.sqrt(self.variance_kg2)

    @property
    def weight(self) -> float:
        """Extrapolation factor ``N / n``."""
        return self.items / self.sample


@dataclass(frozen=True)
class DStatistic:
    """The D statistic combined over strata.

    Attributes
    ----------
    strata
        Per-stratum values.
    d_kg
        ``D``, kg.
    random_variance_kg2, systematic_variance_kg2
        Parts of ``Var(D)``, kg² (systematic groups may span strata).
    muf_covariance_kg2
        ``Cov(MUF, D)`` from the operator's errors, kg², for a MUF that includes every
        stratum's declared total with its sign.
    inspector_groups
        ``(ss^2, sum c w x)`` of each inspector systematic group (dimensionless, kg).
    """

    strata: tuple[StratumD, ...]
    d_kg: float
    random_variance_kg2: float
    systematic_variance_kg2: float
    muf_covariance_kg2: float
    inspector_groups: tuple[tuple[float, float], ...] = ()

    @property
    def variance_kg2(self) -> float:
        """``Var(D)``, kg²."""
        return self.random_variance_kg2 + self.systematic_variance_kg2

    @property
    def sigma_kg(self) -> float:
        """``sigma_D``, kg."""
        return math.sqrt(self.variance_kg2)

    def stratum(self, stratum_id: str) -> StratumD:
        """The values of one stratum."""
        for s in self.strata:
            if s.stratum == stratum_id:
                return s
        raise InputError(f"unknown stratum {stratum_id!r}", where="stratum")


def d_statistic(data: PairedData, error_model: ErrorModel) -> DStatistic:
    """The D statistic of paired data, its variance and its covariance with MUF.

    Parameters
    ----------
    data
        Strata and paired results (:func:`.paired.load_paired`).
    error_model
        Method errors (the one :func:`.paired.load_paired` returns).

    Returns
    -------
    DStatistic
        D (kg), its variance (kg²) and ``Cov(MUF, D)`` (kg²), with per-stratum values.
    """
    by_stratum: dict[str, list[int]] = {s.id: [] for s in data.strata}
    for index, result in enumerate(data.results):
        by_stratum[result.stratum].append(index)
    x = np.fromiter((r.operator_kg for r in data.results), dtype=np.float64)
    y = np.fromiter((r.inspector_kg for r in data.results), dtype=np.float64)
    n_results = x.size
    w = np.zeros(n_results)
    sign = np.zeros(n_results)
    sr_op = np.zeros(n_results)
    sr_in = np.zeros(n_results)
    groups: dict[tuple[str, ...], list[int]] = {}
    totals: dict[str, float] = {}
    strata_out: list[StratumD] = []
    for stratum in data.strata:
        rows = by_stratum[stratum.id]
        if not rows:
            continue
        idx = np.asarray(rows)
        w[idx] = stratum.items / len(rows)
        sign[idx] = stratum.balance_sign
        op = error_model.get(stratum.operator_method)
        sr_op[idx] = op.random_rsd
        declared = (
            stratum.declared_kg
            if stratum.declared_kg is not None
            else float(w[idx[0]] * x[idx].sum())
        )
        totals[stratum.id] = declared
        groups.setdefault(("op", stratum.operator_method), []).extend(rows)
        for j in rows:
            r = data.results[j]
            sr_in[j] = error_model.get(r.method).random_rsd
            groups.setdefault(("in", r.method, r.period), []).append(j)
    coeff = sign * w * x  # c_i w_i x_ij
    random_terms = (w * x) ** 2 * (sr_op**2 + sr_in**2)
    diffs = sign * w * (x - y)

    def systematic(rows: NDArray[np.intp] | None) -> float:
        total = 0.0
        for key, members in groups.items():
            idx = np.asarray(members)
            if rows is not None:
                idx = np.intersect1d(idx, rows)
            if idx.size:
                total += error_model.get(key[1]).systematic_rsd ** 2 * float(coeff[idx].sum()) ** 2
        return total

    inspector_keys = [key for key in groups if key[0] == "in"]
    group_index = {key: k for k, key in enumerate(inspector_keys)}
    for stratum in data.strata:
        rows = by_stratum[stratum.id]
        if not rows:
            continue
        idx = np.asarray(rows)
        mass = float(x[idx].sum())
        shares: dict[int, float] = {}
        for j in rows:
            r = data.results[j]
            k = group_index[("in", r.method, r.period)]
            shares[k] = shares.get(k, 0.0) + float(x[j]) / mass
        strata_out.append(
            StratumD(
                stratum=stratum.id,
                items=stratum.items,
                sample=len(rows),
                sign=stratum.balance_sign,
                d_kg=float(diffs[idx].sum()),
                random_variance_kg2=float(random_terms[idx].sum()),
                systematic_variance_kg2=systematic(idx),
                declared_kg=totals[stratum.id],
                mean_declared_kg=mass / len(rows),
                inspector_random_kg2=float(np.mean(x[idx] ** 2 * sr_in[idx] ** 2)),
                inspector_shares=tuple(sorted(shares.items())),
            )
        )
    covariance = float(np.sum(w * x**2 * sr_op**2))
    for stratum_method in {s.operator_method for s in data.strata}:
        members = groups.get(("op", stratum_method))
        if not members:
            continue
        in_muf = sum(
            s.balance_sign * totals[s.id]
            for s in data.strata
            if s.operator_method == stratum_method and s.id in totals
        )
        ss = error_model.get(stratum_method).systematic_rsd
        covariance += ss**2 * float(coeff[np.asarray(members)].sum()) * in_muf
    return DStatistic(
        strata=tuple(strata_out),
        d_kg=float(diffs.sum()),
        random_variance_kg2=float(random_terms.sum()),
        systematic_variance_kg2=systematic(None),
        muf_covariance_kg2=covariance,
        inspector_groups=tuple(
            (
                error_model.get(key[1]).systematic_rsd ** 2,
                float(coeff[np.asarray(groups[key])].sum()),
            )
            for key in inspector_keys
        ),
    )


def _z(alpha: float, where: str = "alpha") -> float:
    if not (isinstance(alpha, int | float) and 0.0 < alpha < 1.0):
        raise InputError(f"must lie strictly between 0 and 1, not {alpha!r}", where=where)
    return float(stats.norm.isf(alpha))


@dataclass(frozen=True)
class DTest:
    """One-sided test of D: does the declaration hide a loss?

    Attributes
    ----------
    d_kg, sigma_kg
        ``D`` and ``sigma_D``, kg.
    alpha
        False-alarm probability.
    threshold_kg
        ``-z_(1-alpha) sigma_D``, kg: alarm when ``D`` is below it.
    """

    d_kg: float
    sigma_kg: float
    alpha: float
    threshold_kg: float

    @property
    def alarm(self) -> bool:
        """``D < -z sigma_D``."""
        return self.d_kg < self.threshold_kg


def d_test(d: DStatistic | StratumD, alpha: float) -> DTest:
    """Test ``D`` at false-alarm probability ``alpha`` (alarm when ``D < -z sigma_D``).

    Parameters
    ----------
    d
        The combined or one stratum's D statistic.
    alpha
        False-alarm probability (dimensionless).
    """
    z = _z(alpha)
    if not d.sigma_kg > 0.0:
        raise InputError("sigma_D is zero: the method errors are all zero", where="errors")
    return DTest(d_kg=d.d_kg, sigma_kg=d.sigma_kg, alpha=alpha, threshold_kg=-z * d.sigma_kg)


@dataclass(frozen=True)
class CorrectedBalance:
    """The balance corrected by D and its one-sided test.

    Attributes
    ----------
    muf_kg, sigma_muf_kg
        Operator's MUF and its standard deviation, kg.
    d_kg, sigma_d_kg
        D and its standard deviation, kg.
    covariance_kg2
        ``Cov(MUF, D)``, kg².
    alpha
        False-alarm probability.
    """

    muf_kg: float
    sigma_muf_kg: float
    d_kg: float
    sigma_d_kg: float
    covariance_kg2: float
    alpha: float

    @property
    def value_kg(self) -> float:
        """``MUF - D``, kg."""
        return self.muf_kg - self.d_kg

    @property
    def variance_kg2(self) -> float:
        """``Var(MUF) + Var(D) - 2 Cov(MUF, D)``, kg²."""
        return self.sigma_muf_kg**2 + self.sigma_d_kg**2 - 2.0 * self.covariance_kg2

    @property
    def sigma_kg(self) -> float:
        """``sigma(MUF - D)``, kg."""
        return math.sqrt(self.variance_kg2)

    @property
    def threshold_kg(self) -> float:
        """``z_(1-alpha) sigma(MUF - D)``, kg."""
        return float(stats.norm.isf(self.alpha)) * self.sigma_kg

    @property
    def alarm(self) -> bool:
        """``MUF - D`` above the threshold."""
        return self.value_kg > self.threshold_kg


def muf_minus_d(
    muf_kg: float, sigma_muf_kg: float, d: DStatistic, alpha: float
) -> CorrectedBalance:
    """The balance corrected by D, with its variance and test.

    Parameters
    ----------
    muf_kg
        The operator's MUF of the balance period the strata belong to, kg.
    sigma_muf_kg
        Its standard deviation (:func:`.balance.material_balance`), kg; it must
        include the errors of the strata's declared totals.
    d
        The D statistic of the period's paired data.
    alpha
        False-alarm probability (dimensionless).
    """
    _z(alpha)
    for value, where in ((muf_kg, "muf_kg"), (sigma_muf_kg, "sigma_muf_kg")):
        if not math.isfinite(value):
            raise InputError("must be finite", where=where)
    if sigma_muf_kg < 0.0:
        raise InputError("must not be negative", where="sigma_muf_kg")
    result = CorrectedBalance(
        muf_kg=muf_kg,
        sigma_muf_kg=sigma_muf_kg,
        d_kg=d.d_kg,
        sigma_d_kg=d.sigma_kg,
        covariance_kg2=d.muf_covariance_kg2,
        alpha=alpha,
    )
    if not result.variance_kg2 > 0.0:
        raise InputError(
            "Var(MUF - D) is not positive: sigma-MUF must include the operator's errors of "
            "the verified strata",
            where="sigma_muf_kg",
        )
    return result


def d_sigma_kg(
    items: int,
    sample: int,
    item_mass_kg: float,
    operator: MethodErrors,
    inspector: MethodErrors,
) -> float:
    """``sigma_D = N m sqrt((sr_op^2 + sr_in^2) / n + ss_op^2 + ss_in^2)`` for equal items, kg.

    Parameters
    ----------
    items, sample
        ``N`` and ``n``.
    item_mass_kg
        Mass per item ``m``, kg.
    operator, inspector
        Method errors of the two parties.
    """
    if not 1 <= sample <= items:
        raise InputError(f"need 1 <= n <= N, got n = {sample}, N = {items}", where="sample")
    sr2 = operator.random_rsd**2 + inspector.random_rsd**2
    ss2 = operator.systematic_rsd**2 + inspector.systematic_rsd**2
    return items * item_mass_kg * math.sqrt(sr2 / sample + ss2)


def variables_sample_size(
    items: int,
    item_mass_kg: float,
    goal_kg: float,
    alpha: float,
    beta: float,
    operator: MethodErrors,
    inspector: MethodErrors,
) -> int:
    """Items to verify so the D test detects a goal quantity hidden by bias defects.

    Smallest ``n`` with ``Phi(goal / sigma_D(n) - z_(1-alpha)) >= 1 - beta`` for one
    stratum of ``N`` equal items (see the module docstring).

    Parameters
    ----------
    items
        ``N``.
    item_mass_kg
        Mass per item, kg.
    goal_kg
        Goal quantity, kg.
    alpha, beta
        False-alarm and accepted non-detection probabilities.
    operator, inspector
        Method errors of the two parties.

    Raises
    ------
    InputError
        When even ``n = N`` does not reach ``1 - beta`` (the systematic errors dominate).
    """
    total = _z(alpha) + _z(beta, "beta")
    if not (math.isfinite(goal_kg) and goal_kg > 0.0):
        raise InputError("must be a positive mass", where="goal_kg")
    if not (math.isfinite(item_mass_kg) and item_mass_kg > 0.0):
        raise InputError("must be a positive mass", where="item_mass_kg")
    if isinstance(items, bool) or not isinstance(items, int) or items < 1:
        raise InputError("must be a positive integer", where="items")
    budget = (goal_kg / total) ** 2
    scale = (items * item_mass_kg) ** 2
    sr2 = operator.random_rsd**2 + inspector.random_rsd**2
    ss2 = operator.systematic_rsd**2 + inspector.systematic_rsd**2
    room = budget - scale * ss2
    if room <= 0.0 or scale * sr2 / room > items * (1.0 + 1e-12):
        reach = d_sigma_kg(items, items, item_mass_kg, operator, inspector)
        raise InputError(
            f"no sample suffices: even verifying all {items} items leaves sigma_D = "
            f"{reach:.4g} kg, above {math.sqrt(budget):.4g} kg = goal / (z_(1-alpha) + "
            "z_(1-beta))",
            where="goal_kg",
        )
    return max(1, min(items, math.ceil(scale * sr2 / room * (1.0 - 1e-12))))


@dataclass(frozen=True)
class Falsification:
    """Items of one stratum falsified to hide material.

    Attributes
    ----------
    stratum
        Stratum id.
    items
        Falsified items ``r`` (``N`` for a bias defect).
    amount_kg
        Material hidden per falsified item ``mu``, kg (the item's content for a gross
        defect, a fraction of it for a partial defect).
    """

    stratum: str
    items: int
    amount_kg: float

    @property
    def hidden_kg(self) -> float:
        """``r mu``, kg."""
        return self.items * self.amount_kg


@dataclass(frozen=True)
class _Outcomes:
    """Joint sampling outcomes of the falsified items: one entry per outcome ``K``."""

    shift_kg: NDArray[np.float64]  # sum_i w_i K_i mu_i
    probability: NDArray[np.float64]
    d_variance_kg2: NDArray[np.float64]  # Var(D | K)
    hidden_kg: float  # F = sum_i r_i mu_i


def _outcomes(d: DStatistic, falsifications: Sequence[Falsification]) -> _Outcomes:
    """Distribution of ``sum_i w_i K_i mu_i`` and ``Var(D | K)`` over the sampled defects.

    A falsified item holds ``(1 - phi)`` of its declared content, ``phi = mu / m``
    (``m`` the stratum's mean declared value); the inspector's relative errors then act
    on the smaller true content, so given ``K`` the inspector's random variance of the
    stratum falls by ``K w^2 q (1 - (1 - phi)^2)`` (``q`` the mean ``x^2 sr_in^2``) and
    each inspector systematic coefficient ``sum c w x`` by ``c w mu K`` times the
    stratum's share of that group (exact when a stratum has one inspector group).
    """
    n_groups = len(d.inspector_groups)
    values = np.zeros(1)
    probs = np.ones(1)
    random_drop = np.zeros(1)
    delta = np.zeros((1, n_groups))
    seen: set[str] = set()
    hidden = 0.0
    for index, f in enumerate(falsifications):
        where = f"falsifications[{index}]"
        if f.stratum in seen:
            raise InputError("one falsification per stratum", where=f"{where}.stratum")
        seen.add(f.stratum)
        s = d.stratum(f.stratum)
        if isinstance(f.items, bool) or not isinstance(f.items, int) or f.items < 0:
            raise InputError("must be a non-negative integer", where=f"{where}.items")
        if f.items > s.items:
            raise InputError(
                f"more falsified items than the stratum's {s.items}", where=f"{where}.items"
            )
        if not (math.isfinite(f.amount_kg) and 0.0 <= f.amount_kg <= s.mean_declared_kg):
            raise InputError(
                f"must be a mass from 0 to the item's declared {s.mean_declared_kg:g} kg",
                where=f"{where}.amount_kg",
            )
        hidden += f.hidden_kg
        phi = f.amount_kg / s.mean_declared_kg
        k = np.arange(max(0, s.sample + f.items - s.items), min(f.items, s.sample) + 1)
        pk = stats.hypergeom.pmf(k, s.items, f.items, s.sample)
        keep = pk > _PRUNE
        k, pk = k[keep].astype(np.float64), pk[keep]
        step = s.weight * f.amount_kg * k
        drop = k * s.weight**2 * s.inspector_random_kg2 * (1.0 - (1.0 - phi) ** 2)
        step_delta = np.zeros((k.size, n_groups))
        for group, share in s.inspector_shares:
            step_delta[:, group] = -s.sign * s.weight * f.amount_kg * k * share
        values = (values[:, None] + step[None, :]).ravel()
        probs = (probs[:, None] * pk[None, :]).ravel()
        random_drop = (random_drop[:, None] + drop[None, :]).ravel()
        delta = (delta[:, None, :] + step_delta[None, :, :]).reshape(-1, n_groups)
        kept = probs > _PRUNE
        values, probs, random_drop, delta = (
            values[kept],
            probs[kept],
            random_drop[kept],
            delta[kept],
        )
        if values.size > _MAX_OUTCOMES:
            raise InputError(
                f"more than {_MAX_OUTCOMES} joint sampling outcomes", where="falsifications"
            )
    variance = np.full(values.size, d.variance_kg2) - random_drop
    for g, (ss2, coefficient) in enumerate(d.inspector_groups):
        variance += ss2 * ((coefficient + delta[:, g]) ** 2 - coefficient**2)
    return _Outcomes(
        shift_kg=values,
        probability=probs,
        d_variance_kg2=np.maximum(variance, 0.0),
        hidden_kg=hidden,
    )


def d_detection_probability(
    d: DStatistic, falsifications: Sequence[Falsification], alpha: float
) -> float:
    """Probability that the D test alarms under the falsifications.

    ``sum_K P(K) Phi(sum_i w_i K_i mu_i / sigma_D - z_(1-alpha))`` (module docstring).

    Parameters
    ----------
    d
        The D statistic of the verification (its strata, samples and ``sigma_D``).
    falsifications
        At most one per stratum.
    alpha
        False-alarm probability of the D test.
    """
    z = _z(alpha)
    out = _outcomes(d, falsifications)
    threshold = -z * d.sigma_kg  # fixed under H0; D | K ~ N(-shift, Var(D | K))
    with np.errstate(divide="ignore"):
        sd = np.sqrt(out.d_variance_kg2)
        pd = float(np.sum(out.probability * stats.norm.cdf((out.shift_kg + threshold) / sd)))
    return min(1.0, max(0.0, pd))


def muf_minus_d_detection_probability(
    corrected: CorrectedBalance,
    d: DStatistic,
    diverted_kg: float,
    falsifications: Sequence[Falsification] = (),
) -> float:
    """Probability that the MUF - D test alarms for a diversion hidden by falsifications.

    ``sum_K P(K) Phi((L - F + sum_i w_i K_i mu_i) / sigma(MUF - D) - z_(1-alpha))``.

    Parameters
    ----------
    corrected
        The corrected balance (its ``sigma`` and ``alpha``).
    d
        The D statistic it was built from.
    diverted_kg
        Material ``L`` removed in the balance period, kg (the true MUF).
    falsifications
        How part or all of it is hidden in the declarations (``F = sum r mu``); none:
        diversion into MUF.
    """
    if not math.isfinite(diverted_kg):
        raise InputError("must be finite", where="diverted_kg")
    out = _outcomes(d, falsifications)
    mean = diverted_kg - out.hidden_kg + out.shift_kg
    variance = corrected.variance_kg2 - d.variance_kg2 + out.d_variance_kg2
    with np.errstate(divide="ignore"):
        sd = np.sqrt(variance)
        pd = float(np.sum(out.probability * stats.norm.cdf((mean - corrected.threshold_kg) / sd)))
    return min(1.0, max(0.0, pd))


Decision = Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True)
class DeclarationVerification:
    """The verification of an operator's declarations by paired data, and its decision.

    Attributes
    ----------
    d
        The D statistic.
    d_tests
        The combined D test first, then one per stratum (each at ``alpha``).
    attributes
        The attribute (gross and partial defect) tests per cell.
    corrected
        The MUF - D test, when the period's MUF was given.
    alpha, beta
        False-alarm probability of each test family and accepted non-detection
        probability.
    goal_kg
        Goal quantity, kg (``None``: the capability is not assessed).
    capability
        Per check, the probability of detecting a goal quantity: ``"D, bias defects"``
        (``Phi(goal / sigma_D - z)``) and, per stratum, ``"<stratum>, gross defects"``
        (attribute test, ``ceil(goal / m)`` emptied items).
    decision
        ``"fail"`` on any alarm; ``"pass"`` when nothing alarms and every capability
        reaches ``1 - beta``; ``"inconclusive"`` otherwise (no goal given, a declared
        stratum not verified, or too little detection capability).
    reasons
        Why the decision is what it is, one sentence each.
    """

    d: DStatistic
    d_tests: tuple[DTest, ...]
    attributes: tuple[AttributeResult, ...]
    corrected: CorrectedBalance | None
    alpha: float
    beta: float | None
    goal_kg: float | None
    capability: dict[str, float]
    decision: Decision
    reasons: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (kg, probabilities dimensionless)."""
        combined = self.d_tests[0]
        return {
            "decision": self.decision,
            "reasons": list(self.reasons),
            "alpha": self.alpha,
            "beta": self.beta,
            "goal_kg": self.goal_kg,
            "d": {
                "d_kg": round(combined.d_kg, 6),
                "sigma_kg": round(combined.sigma_kg, 6),
                "threshold_kg": round(combined.threshold_kg, 6),
                "alarm": combined.alarm,
            },
            "strata": [
                {
                    "stratum": s.stratum,
                    "items": s.items,
                    "sample": s.sample,
                    "balance_sign": s.sign,
                    "d_kg": round(t.d_kg, 6),
                    "sigma_kg": round(t.sigma_kg, 6),
                    "threshold_kg": round(t.threshold_kg, 6),
                    "alarm": t.alarm,
                }
                for s, t in zip(self.d.strata, self.d_tests[1:], strict=True)
            ],
            "attribute_tests": [
                {
                    "stratum": a.stratum,
                    "method": a.method,
                    "period": a.period,
                    "sample": a.sample,
                    "alpha": round(a.alpha, 6),
                    "threshold": round(a.threshold, 6),
                    "flagged": list(a.flagged),
                    "gross_defects": list(a.gross),
                    "alarm": a.alarm,
                }
                for a in self.attributes
            ],
            "muf_minus_d": None
            if self.corrected is None
            else {
                "muf_kg": self.corrected.muf_kg,
                "sigma_muf_kg": self.corrected.sigma_muf_kg,
                "covariance_kg2": round(self.corrected.covariance_kg2, 6),
                "value_kg": round(self.corrected.value_kg, 6),
                "sigma_kg": round(self.corrected.sigma_kg, 6),
                "threshold_kg": round(self.corrected.threshold_kg, 6),
                "alarm": self.corrected.alarm,
            },
            "goal_detection_probability": {k: round(v, 4) for k, v in self.capability.items()},
        }


def verify_declarations(
    data: PairedData,
    error_model: ErrorModel,
    *,
    alpha: float,
    beta: float | None = None,
    goal_kg: float | None = None,
    muf_kg: float | None = None,
    sigma_muf_kg: float | None = None,
) -> DeclarationVerification:
    """Test the operator's declarations with paired data and decide, failing closed.

    Parameters
    ----------
    data, error_model
        From :func:`.paired.load_paired`.
    alpha
        False-alarm probability of the D test, of each stratum's D test, of the
        attribute tests together and of the MUF - D test (dimensionless).
    beta
        Accepted non-detection probability of a goal quantity (needed with ``goal_kg``).
    goal_kg
        Goal quantity, kg; ``None`` leaves the capability unassessed (inconclusive).
    muf_kg, sigma_muf_kg
        The operator's MUF of the period and its standard deviation, kg (both or none).
    """
    _z(alpha)
    if (goal_kg is None) != (beta is None):
        raise InputError("give the goal quantity and beta together", where="beta")
    if goal_kg is not None and not (math.isfinite(goal_kg) and goal_kg > 0.0):
        raise InputError("must be a positive mass", where="goal_kg")
    if beta is not None:
        _z(beta, "beta")
    if (muf_kg is None) != (sigma_muf_kg is None):
        raise InputError("give MUF and sigma-MUF together", where="sigma_muf_kg")
    d = d_statistic(data, error_model)
    tests = (d_test(d, alpha), *(d_test(s, alpha) for s in d.strata))
    attributes = attribute_tests(data, error_model, alpha)
    corrected = None
    if muf_kg is not None and sigma_muf_kg is not None:
        corrected = muf_minus_d(muf_kg, sigma_muf_kg, d, alpha)
    reasons: list[str] = []
    alarms = [f"D test of {s.stratum}" for s, t in zip(d.strata, tests[1:], strict=True) if t.alarm]
    if tests[0].alarm:
        alarms.insert(0, "combined D test")
    alarms += [
        f"attribute test of {a.stratum}/{a.method}/{a.period}" for a in attributes if a.alarm
    ]
    if corrected is not None and corrected.alarm:
        alarms.append("MUF - D test")
    capability: dict[str, float] = {}
    if goal_kg is not None:
        capability["D, bias defects"] = float(
            stats.norm.cdf(goal_kg / d.sigma_kg - stats.norm.isf(alpha))
        )
        for s in d.strata:
            cells = [a for a in attributes if a.stratum == s.stratum]
            worst = max(cells, key=lambda a: a.threshold)
            emptied = math.ceil(goal_kg / s.mean_declared_kg * (1.0 - 1e-12))
            if emptied <= s.items:
                capability[f"{s.stratum}, gross defects"] = attribute_detection_probability(
                    s.items, emptied, s.sample, 1.0, worst.errors, worst.threshold
                )
    unverified = [s.id for s in data.strata if data.sample_size(s.id) == 0]
    if alarms:
        decision: Decision = "fail"
        reasons.append("alarm: " + ", ".join(alarms))
    else:
        decision = "pass"
        if goal_kg is None:
            decision = "inconclusive"
            reasons.append("no alarm, but no goal quantity was given to judge the capability")
        if unverified:
            decision = "inconclusive"
            reasons.append("declared strata not verified: " + ", ".join(unverified))
        required = 1.0 - beta if beta is not None else 1.0
        weak = [k for k, v in capability.items() if v < required]
        if weak:
            decision = "inconclusive"
            reasons.append(
                f"no alarm, but a goal quantity of {goal_kg:g} kg is detected with "
                f"probability below 1 - beta = {required:g} by: " + ", ".join(weak)
            )
        if decision == "pass":
            reasons.append("no alarm, and every test detects a goal quantity as required")
    return DeclarationVerification(
        d=d,
        d_tests=tests,
        attributes=attributes,
        corrected=corrected,
        alpha=alpha,
        beta=beta,
        goal_kg=goal_kg,
        capability=capability,
        decision=decision,
        reasons=tuple(reasons),
    )
