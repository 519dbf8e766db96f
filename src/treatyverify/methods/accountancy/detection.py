"""Detection probabilities of the material-balance tests for a given loss pattern.

A loss pattern is a vector ``mu`` (kg) of the material removed in each of the ``n``
balance periods; under it MUF ~ N(mu, Sigma). Exact probabilities where the test
statistic has a known distribution:

- one balance, abrupt loss ``M``: ``PD = Phi(M / sigma - z_(1-alpha))``
  (:func:`abrupt_loss_detection_probability`);
- each single MUF: ``PD_i = Phi(mu_i / sigma_i - z_(1-alpha))``
  (:func:`single_period_detection_probabilities`);
- CUMUF at period ``t``: ``Phi(sum_(i<=t) mu_i / sigma(CUMUF_t) - z_(1-alpha))``
  (:func:`cumuf_detection_probability`);
- GEMUF: non-central chi-square with ``n`` degrees of freedom and non-centrality
  ``mu^T Sigma^-1 mu`` (:func:`gemuf_detection_probability`).

Page's test on SITMUF has no closed form for an arbitrary pattern, because
``E[SITMUF] = L^-1 mu`` varies from period to period. The SITMUF stay independent with
unit variance, so :func:`page_detection_probability` runs the run-length recursion of
:func:`~.sequential.page_alarm_probability` backwards with the mean of each period
(Gauss-Legendre quadrature); :func:`page_detection_probability_mc` estimates the same by
Monte Carlo. Monte Carlo versions of the CUMUF and GEMUF tests are given to cross-check
the exact forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.sequential import (
    QUADRATURE_NODES,
    _as_covariance,
    _as_muf,
    _check_alpha,
    _sitmuf_with_factor,
    cholesky_factor,
    cumuf,
    page_alarm_probability_by_period,
    page_statistic,
)

__all__ = [
    "DEFAULT_BATCH",
    "MonteCarloEstimate",
    "abrupt_loss_detection_probability",
    "cumuf_detection_probability",
    "cumuf_detection_probability_mc",
    "gemuf_detection_probability",
    "gemuf_detection_probability_mc",
    "page_detection_probability",
    "page_detection_probability_mc",
    "single_period_detection_probabilities",
    "wilson_interval",
]

DEFAULT_BATCH = 200_000
"""Monte Carlo campaigns drawn at once. Memory is about ``batch * n * 8`` bytes times a
few work arrays: 200,000 campaigns of 12 periods take about 19 MB per array."""

FloatArray = NDArray[np.float64]


# ----------------------------------------------------------------------------- exact


def abrupt_loss_detection_probability(loss_kg: float, sigma_muf_kg: float, alpha: float) -> float:
    """Detection probability of a one-sided MUF test for an abrupt loss in one balance.

    ``PD = Phi(M / sigma - z_(1-alpha))``: the test alarms when ``MUF > z_(1-alpha) sigma``
    and ``MUF ~ N(M, sigma^2)`` under the loss.

    Parameters
    ----------
    loss_kg
        Loss ``M`` in the balance period (kg).
    sigma_muf_kg
        Standard deviation of MUF (kg), > 0.
    alpha
        False-alarm probability (dimensionless).

    Returns
    -------
    float
        Detection probability (dimensionless). For ``M = 8`` kg plutonium, ``sigma = 2.43``
        kg and ``alpha = 0.05`` it is 0.950.
    """
    a = _check_alpha(alpha)
    if not math.isfinite(loss_kg):
        raise InputError(f"the loss must be finite, got {loss_kg}", where="loss_kg")
    if not (math.isfinite(sigma_muf_kg) and sigma_muf_kg > 0.0):
        raise InputError(
            f"sigma-MUF must be finite and positive, got {sigma_muf_kg}", where="sigma_muf_kg"
        )
    return float(stats.norm.cdf(loss_kg / sigma_muf_kg - stats.norm.isf(a)))


def _loss_and_covariance(
    loss_kg: ArrayLike, covariance_kg2: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    cov = _as_covariance(covariance_kg2)
    loss = _as_muf(loss_kg, cov.shape[0], where="loss_kg")
    if loss.ndim != 1:
        raise InputError(
            f"the loss pattern must have shape (n,), got {loss.shape}", where="loss_kg"
        )
    return loss, cov


def single_period_detection_probabilities(
    loss_kg: ArrayLike, covariance_kg2: ArrayLike, alpha: float
) -> FloatArray:
    """Detection probability of each period's own MUF test, ``Phi(mu_i/sigma_i - z)``.

    Parameters
    ----------
    loss_kg
        Loss pattern ``mu`` (kg), shape (n,).
    covariance_kg2
        MUF covariance (kg^2); only the diagonal is used.
    alpha
        False-alarm probability of each single test (dimensionless).

    Returns
    -------
    numpy.ndarray
        ``PD_i`` for each period (dimensionless), shape (n,).
    """
    a = _check_alpha(alpha)
    loss, cov = _loss_and_covariance(loss_kg, covariance_kg2)
    variances = np.diag(cov)
    if np.any(variances <= 0.0):
        period = int(np.flatnonzero(variances <= 0.0)[0]) + 1
        raise InputError(f"the variance of period {period} is not positive", where="covariance_kg2")
    z = stats.norm.isf(a)
    return np.asarray(stats.norm.cdf(loss / np.sqrt(variances) - z), dtype=np.float64)


def cumuf_detection_probability(
    loss_kg: ArrayLike, covariance_kg2: ArrayLike, alpha: float, *, period: int | None = None
) -> float:
    """Exact detection probability of the one-sided CUMUF test (see ``cumuf_test``).

    Parameters
    ----------
    loss_kg
        Loss pattern ``mu`` (kg), shape (n,).
    covariance_kg2
        MUF covariance (kg^2).
    alpha
        False-alarm probability of the test (dimensionless).
    period
        Period whose CUMUF is tested (1-based); the last by default.

    Returns
    -------
    float
        ``Phi(sum_(i<=t) mu_i / sigma(CUMUF_t) - z_(1-alpha))``.
    """
    a = _check_alpha(alpha)
    loss, cov = _loss_and_covariance(loss_kg, covariance_kg2)
    result = cumuf(loss, cov)
    n = loss.size
    t = n if period is None else int(period)
    if not 1 <= t <= n:
        raise InputError(f"period must be in 1..{n}, got {period}", where="period")
    shift = result.values_kg[t - 1] / result.sigma_kg[t - 1]
    return float(stats.norm.cdf(shift - stats.norm.isf(a)))


def gemuf_detection_probability(
    loss_kg: ArrayLike, covariance_kg2: ArrayLike, alpha: float
) -> float:
    """Exact detection probability of the GEMUF test (see ``gemuf_test``).

    ``MUF^T Sigma^-1 MUF`` is non-central chi-square with ``n`` degrees of freedom and
    non-centrality ``lambda = mu^T Sigma^-1 mu``.

    Parameters
    ----------
    loss_kg
        Loss pattern ``mu`` (kg), shape (n,).
    covariance_kg2
        MUF covariance (kg^2), positive definite.
    alpha
        False-alarm probability over the campaign (dimensionless).

    Returns
    -------
    float
        P(statistic > chi2_(1-alpha)(n)) under the loss (dimensionless).
    """
    a = _check_alpha(alpha)
    loss, cov = _loss_and_covariance(loss_kg, covariance_kg2)
    lower = cholesky_factor(cov)
    standardised = _sitmuf_with_factor(loss, lower)
    noncentrality = float(standardised @ standardised)
    n = loss.size
    threshold = stats.chi2.isf(a, n)
    if noncentrality == 0.0:
        return float(stats.chi2.sf(threshold, n))
    return float(stats.ncx2.sf(threshold, n, noncentrality))


def page_detection_probability(
    loss_kg: ArrayLike,
    covariance_kg2: ArrayLike,
    *,
    k: float,
    h: float,
    nodes: int = QUADRATURE_NODES,
) -> float:
    """Probability that Page's test on SITMUF alarms within the campaign under a loss.

    Under ``MUF ~ N(mu, Sigma)`` the SITMUF ``x = L^-1 MUF`` are independent with unit
    variance and means ``m = L^-1 mu``. With ``G_n = 1`` and, for ``i = n..1``,
    ``G_(i-1)(s) = Phi(k + m_i - s) G_i(0) + int_0^h G_i(u) phi(u - s + k - m_i) du``
    (the recursion of :func:`~.sequential.page_alarm_probability` with a mean per
    period), the answer is ``1 - G_0(0)``. With ``loss_kg`` all zero it is the
    false-alarm probability over the campaign.

    Parameters
    ----------
    loss_kg
        Loss pattern ``mu`` (kg), shape (n,).
    covariance_kg2
        MUF covariance (kg^2), positive definite.
    k, h
        Reference value and decision interval (dimensionless), ``h >= 0``.
    nodes
        Gauss-Legendre nodes on ``[0, h]``.

    Returns
    -------
    float
        P(some ``S_i > h``, ``i <= n``) (dimensionless).
    """
    if not (math.isfinite(k) and math.isfinite(h) and h >= 0.0):
        raise InputError(f"need finite k and finite h >= 0, got k = {k}, h = {h}", where="h")
    loss, cov = _loss_and_covariance(loss_kg, covariance_kg2)
    means = _sitmuf_with_factor(loss, cholesky_factor(cov))
    return page_alarm_probability_by_period(k, h, [float(m) for m in means], nodes=nodes)


# ----------------------------------------------------------------------------- Monte Carlo


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (Wilson 1927).

    Parameters
    ----------
    successes, trials
        Counts, ``0 <= successes <= trials``, ``trials >= 1``.
    level
        Two-sided confidence level (dimensionless).

    Returns
    -------
    tuple of float
        Lower and upper bounds.
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise InputError(f"need 0 <= successes <= trials, trials >= 1; got {successes}/{trials}")
    z = float(stats.norm.isf((1.0 - level) / 2.0))
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, eq=False)
class MonteCarloEstimate:
    """A detection (or false-alarm) probability estimated by Monte Carlo.

    Attributes
    ----------
    probability
        Fraction of simulated campaigns with an alarm.
    standard_error
        Binomial standard error ``sqrt(p (1 - p) / trials)``.
    interval
        95 % Wilson score interval.
    alarms, trials
        Counts.
    seed
        Seed of the ``numpy.random.Generator`` (PCG64) used.
    """

    probability: float
    standard_error: float
    interval: tuple[float, float]
    alarms: int
    trials: int
    seed: int


AlarmRule = Callable[[FloatArray], NDArray[np.bool_]]


def _simulate(
    loss: FloatArray,
    lower: FloatArray,
    rule: AlarmRule,
    trials: int,
    seed: int,
    batch_size: int,
) -> MonteCarloEstimate:
    """Draw ``MUF = mu + L z`` in batches and count campaigns for which ``rule`` alarms."""
    if trials < 1:
        raise InputError(f"trials must be >= 1, got {trials}", where="trials")
    if batch_size < 1:
        raise InputError(f"batch_size must be >= 1, got {batch_size}", where="batch_size")
    rng = np.random.default_rng(seed)
    alarms = 0
    done = 0
    while done < trials:
        size = min(batch_size, trials - done)
        z = rng.standard_normal((size, loss.size))
        muf = z @ lower.T
        muf += loss
        alarms += int(np.count_nonzero(rule(muf)))
        done += size
    p = alarms / trials
    return MonteCarloEstimate(
        probability=p,
        standard_error=math.sqrt(p * (1.0 - p) / trials),
        interval=wilson_interval(alarms, trials),
        alarms=alarms,
        trials=trials,
        seed=seed,
    )


def page_detection_probability_mc(
    loss_kg: ArrayLike,
    covariance_kg2: ArrayLike,
    *,
    k: float,
    h: float,
    trials: int = 1_000_000,
    seed: int = 20_260_101,
    batch_size: int = DEFAULT_BATCH,
) -> MonteCarloEstimate:
    """Monte Carlo probability that Page's test on SITMUF alarms within the campaign.

    Each trial draws ``MUF = mu + L z`` (``z`` iid standard normal, ``Sigma = L L^T``),
    transforms it to SITMUF and runs Page's test; a trial counts when ``S_i > h`` for
    some period. With ``loss_kg`` all zero this estimates the false-alarm probability.

    Parameters
    ----------
    loss_kg
        Loss pattern ``mu`` (kg), shape (n,).
    covariance_kg2
        MUF covariance (kg^2).
    k, h
        Reference value and decision interval (dimensionless).
    trials
        Simulated campaigns.
    seed
        Seed of ``numpy.random.default_rng``.
    batch_size
        Campaigns drawn at once (bounds memory).

    Returns
    -------
    MonteCarloEstimate
        The estimate with its binomial standard error and Wilson interval.
    """
    if not (math.isfinite(k) and math.isfinite(h) and h >= 0.0):
        raise InputError(f"need finite k and finite h >= 0, got k = {k}, h = {h}", where="h")
    loss, cov = _loss_and_covariance(loss_kg, covariance_kg2)
    lower = cholesky_factor(cov)

    def rule(muf: FloatArray) -> NDArray[np.bool_]:
        path = page_statistic(_sitmuf_with_factor(muf, lower), k)
        return np.asarray(np.any(path > h, axis=1))

    return _simulate(loss, lower, rule, trials, seed, batch_size)


def cumuf_detection_probability_mc(
    loss_kg: ArrayLike,
    covariance_kg2: ArrayLike,
    alpha: float,
    *,
    period: int | None = None,
    trials: int = 1_000_000,
    seed: int = 20_260_102,
    batch_size: int = DEFAULT_BATCH,
) -> MonteCarloEstimate:
    """Monte Carlo counterpart of :func:`cumuf_detection_probability` (a cross-check).

    Parameters are those of :func:`cumuf_detection_probability` and
    :func:`page_detection_probability_mc`.
    """
    a = _check_alpha(alpha)
    loss, cov = _loss_and_covariance(loss_kg, covariance_kg2)
    lower = cholesky_factor(cov)
    n = loss.size
    t = n if period is None else int(period)
    if not 1 <= t <= n:
        raise InputError(f"period must be in 1..{n}, got {period}", where="period")
    threshold = float(stats.norm.isf(a)) * float(cumuf(loss, cov).sigma_kg[t - 1])

    def rule(muf: FloatArray) -> NDArray[np.bool_]:
        return np.asarray(muf[:, :t].sum(axis=1) > threshold)

    return _simulate(loss, lower, rule, trials, seed, batch_size)


def gemuf_detection_probability_mc(
    loss_kg: ArrayLike,
    covariance_kg2: ArrayLike,
    alpha: float,
    *,
    trials: int = 1_000_000,
    seed: int = 20_260_103,
    batch_size: int = DEFAULT_BATCH,
) -> MonteCarloEstimate:
    """Monte Carlo counterpart of :func:`gemuf_detection_probability` (a cross-check).

    Parameters are those of :func:`gemuf_detection_probability` and
    :func:`page_detection_probability_mc`.
    """
    a = _check_alpha(alpha)
    loss, cov = _loss_and_covariance(loss_kg, covariance_kg2)
    lower = cholesky_factor(cov)
    threshold = float(stats.chi2.isf(a, loss.size))

    def rule(muf: FloatArray) -> NDArray[np.bool_]:
        x = _sitmuf_with_factor(muf, lower)
        return np.asarray(np.einsum("ij,ij->i", x, x) > threshold)

    return _simulate(loss, lower, rule, trials, seed, batch_size)
