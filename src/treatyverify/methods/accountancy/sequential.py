"""Verification statistics on a sequence of material balances (near-real-time accountancy).

Input everywhere is a vector of MUF values (material unaccounted for, kg) over ``n``
balance periods and their full ``n x n`` covariance matrix (kg^2); MUF of consecutive
periods are correlated because the closing inventory of one period is the opening
inventory of the next. The functions work on plain numpy arrays.

Statistics (formulas and references in ``docs/accountancy-statistics.md``):

- CUMUF, the cumulative MUF, with its variance (:func:`cumuf`, :func:`cumuf_test`);
- SITMUF, the standardised independent transform of MUF by Cholesky factorisation
  ``Sigma = L L^T``: ``x = L^-1 MUF``, i.e. for each period the standardised residual of
  MUF_i given MUF_1..MUF_(i-1) (Avenhaus & Jaech 1981; :func:`sitmuf`);
- Page's test (one-sided CUSUM) on SITMUF (Page 1954; :func:`page_test`), with the
  decision interval ``h`` chosen for a false-alarm probability over a campaign of ``n``
  periods by a Gauss-Legendre (Nystroem) solution of the run-length recursion
  (:func:`page_threshold`, :func:`page_alarm_probability`,
  :func:`page_average_run_length`);
- GEMUF, ``MUF^T Sigma^-1 MUF`` against chi-square with ``n`` degrees of freedom
  (:func:`gemuf_test`);
- the test of each single MUF against its Neyman-Pearson threshold
  (:func:`single_muf_test`).

A covariance that is not symmetric, not square, not finite or not positive definite is
refused with :class:`treatyverify.errors.InputError` naming the first failing period;
nothing is regularised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import linalg, optimize, stats

from treatyverify.errors import InputError

__all__ = [
    "SINGULAR_TOLERANCE",
    "CumufResult",
    "CumufTestResult",
    "GemufResult",
    "PageResult",
    "SingleMufResult",
    "cholesky_factor",
    "cumuf",
    "cumuf_test",
    "gemuf_statistic",
    "gemuf_test",
    "page_alarm_probability",
    "page_alarm_probability_by_period",
    "page_average_run_length",
    "page_statistic",
    "page_test",
    "page_threshold",
    "single_muf_test",
    "sitmuf",
]

SINGULAR_TOLERANCE = 1e-10
"""Smallest accepted ratio of the conditional variance of MUF_i given MUF_1..MUF_(i-1)
(the squared Cholesky pivot) to the variance of MUF_i (dimensionless). A smaller ratio
means MUF_i is a linear combination of the earlier MUF to within rounding (multiple
correlation R^2 > 1 - 1e-10) and the covariance is refused as singular."""

QUADRATURE_NODES = 64
"""Gauss-Legendre nodes on [0, h] for the run-length recursion of Page's test. With a
unit-variance normal kernel and h <= 10 the false-alarm probability converges to better
than 1e-8 relative well before 64 nodes (checked against 128 nodes and by Monte Carlo in
the tests)."""

FloatArray = NDArray[np.float64]


# ----------------------------------------------------------------------------- validation


def _as_covariance(covariance_kg2: ArrayLike, where: str = "covariance_kg2") -> FloatArray:
    """Return the covariance as a float array after checking shape, finiteness, symmetry."""
    cov = np.asarray(covariance_kg2, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise InputError(
            f"the covariance must be a square n x n matrix, got shape {cov.shape}", where=where
        )
    if cov.shape[0] == 0:
        raise InputError("the covariance is empty: need at least one balance period", where=where)
    if not np.all(np.isfinite(cov)):
        raise InputError("the covariance has non-finite entries", where=where)
    scale = float(np.max(np.abs(cov)))
    asym = float(np.max(np.abs(cov - cov.T)))
    if asym > 1e-12 * scale:
        raise InputError(
            f"the covariance is not symmetric (largest |S - S^T| = {asym:.3g} kg^2)", where=where
        )
    return cov


def _as_muf(muf_kg: ArrayLike, periods: int, where: str = "muf_kg") -> FloatArray:
    """Return MUF as a float array of shape (n,) or (m, n), checked against ``periods``."""
    muf = np.asarray(muf_kg, dtype=np.float64)
    if muf.ndim not in (1, 2) or muf.shape[-1] != periods:
        raise InputError(
            f"MUF must have shape (n,) or (m, n) with n = {periods} periods to match the "
            f"covariance, got shape {muf.shape}",
            where=where,
        )
    if not np.all(np.isfinite(muf)):
        raise InputError("MUF has non-finite values", where=where)
    return muf


def _check_alpha(alpha: float, where: str = "alpha") -> float:
    value = float(alpha)
    if not 0.0 < value < 1.0:
        raise InputError(f"the false-alarm probability must be in (0, 1), got {alpha}", where=where)
    return value


def cholesky_factor(covariance_kg2: ArrayLike) -> FloatArray:
    """Lower Cholesky factor ``L`` of the MUF covariance, ``Sigma = L L^T``.

    Parameters
    ----------
    covariance_kg2
        Covariance of the MUF sequence, ``n x n`` (kg^2), symmetric positive definite.

    Returns
    -------
    numpy.ndarray
        Lower-triangular ``L`` (kg). ``L[i, i]^2`` is the conditional variance of MUF_i
        given MUF_1..MUF_(i-1) (kg^2).

    Raises
    ------
    InputError
        Shape, finiteness or symmetry is wrong, or the matrix is singular or not
        positive definite; the message names the first period (1-based) whose leading
        block fails.
    """
    cov = _as_covariance(covariance_kg2)
    diagonal = np.diag(cov)
    bad = np.flatnonzero(diagonal <= 0.0)
    if bad.size:
        raise InputError(
            f"the variance of period {bad[0] + 1} is {diagonal[bad[0]]:.6g} kg^2, not positive",
            where="covariance_kg2",
        )
    factor, info = linalg.lapack.dpotrf(cov, lower=1, clean=1)
    if info > 0:
        raise InputError(
            f"the covariance is not positive definite: its leading {info} x {info} block "
            f"fails at period {info} (the conditional variance of period {info} given the "
            "earlier periods is not positive)",
            where="covariance_kg2",
        )
    if info < 0:  # pragma: no cover - LAPACK argument error, cannot happen with checked input
        raise InputError(f"LAPACK dpotrf argument {-info} was refused", where="covariance_kg2")
    lower = np.asarray(factor, dtype=np.float64)
    ratio = np.diag(lower) ** 2 / diagonal
    tiny = np.flatnonzero(ratio < SINGULAR_TOLERANCE)
    if tiny.size:
        period = int(tiny[0]) + 1
        raise InputError(
            f"the covariance is singular: at period {period} the conditional variance given "
            f"the earlier periods is {ratio[tiny[0]]:.3g} of its own variance "
            f"(below {SINGULAR_TOLERANCE:g}), so MUF_{period} is a linear combination of "
            "earlier MUF",
            where="covariance_kg2",
        )
    return lower


# ----------------------------------------------------------------------------- CUMUF


@dataclass(frozen=True, eq=False)
class CumufResult:
    """Cumulative MUF over a campaign.

    Attributes
    ----------
    values_kg
        ``CUMUF_i = MUF_1 + ... + MUF_i`` (kg), shape (n,).
    variances_kg2
        ``Var(CUMUF_i) = sum_{j,l <= i} Sigma_jl`` (kg^2), shape (n,).
    """

    values_kg: FloatArray
    variances_kg2: FloatArray

    @property
    def sigma_kg(self) -> FloatArray:
        """Standard deviations of CUMUF (kg)."""
        return np.sqrt(self.variances_kg2)


def cumuf(muf_kg: ArrayLike, covariance_kg2: ArrayLike) -> CumufResult:
    """Cumulative MUF and its variances.

    Parameters
    ----------
    muf_kg
        MUF of the ``n`` balance periods (kg), shape (n,).
    covariance_kg2
        Their covariance, ``n x n`` (kg^2).

    Returns
    -------
    CumufResult
        ``CUMUF_i`` (kg) and ``Var(CUMUF_i)`` (kg^2), the sum of the leading ``i x i``
        block of the covariance.
    """
    cov = _as_covariance(covariance_kg2)
    muf = _as_muf(muf_kg, cov.shape[0])
    if muf.ndim != 1:
        raise InputError(f"MUF must have shape (n,), got {muf.shape}", where="muf_kg")
    variances = np.diagonal(np.cumsum(np.cumsum(cov, axis=0), axis=1)).copy()
    if np.any(variances <= 0.0):
        period = int(np.flatnonzero(variances <= 0.0)[0]) + 1
        raise InputError(
            f"the variance of CUMUF at period {period} is not positive", where="covariance_kg2"
        )
    return CumufResult(values_kg=np.cumsum(muf), variances_kg2=variances)


@dataclass(frozen=True, eq=False)
class CumufTestResult:
    """One-sided test of the cumulative MUF at one period.

    Attributes
    ----------
    period
        The balance period tested (1-based); the last one by default.
    cumuf_kg, sigma_kg, threshold_kg
        ``CUMUF`` at that period, its standard deviation and the threshold
        ``z_(1-alpha) sigma`` (kg).
    alpha
        False-alarm probability of the test.
    alarm
        ``cumuf_kg > threshold_kg``.
    """

    period: int
    cumuf_kg: float
    sigma_kg: float
    threshold_kg: float
    alpha: float
    alarm: bool


def cumuf_test(
    muf_kg: ArrayLike,
    covariance_kg2: ArrayLike,
    alpha: float,
    *,
    period: int | None = None,
) -> CumufTestResult:
    """Neyman-Pearson test of the cumulative MUF against a loss (one-sided).

    Parameters
    ----------
    muf_kg
        MUF of the ``n`` balance periods (kg), shape (n,).
    covariance_kg2
        Their covariance (kg^2).
    alpha
        False-alarm probability of this single test (dimensionless).
    period
        Period whose CUMUF is tested (1-based, 1..n); the last period by default, which
        is the test of the total balance of the campaign.

    Returns
    -------
    CumufTestResult
        Alarm when ``CUMUF_period > z_(1-alpha) sigma(CUMUF_period)``.
    """
    a = _check_alpha(alpha)
    result = cumuf(muf_kg, covariance_kg2)
    n = result.values_kg.size
    t = n if period is None else int(period)
    if not 1 <= t <= n:
        raise InputError(f"period must be in 1..{n}, got {period}", where="period")
    sigma = float(result.sigma_kg[t - 1])
    value = float(result.values_kg[t - 1])
    threshold = float(stats.norm.isf(a)) * sigma
    return CumufTestResult(
        period=t,
        cumuf_kg=value,
        sigma_kg=sigma,
        threshold_kg=threshold,
        alpha=a,
        alarm=value > threshold,
    )


# ----------------------------------------------------------------------------- SITMUF


def sitmuf(muf_kg: ArrayLike, covariance_kg2: ArrayLike) -> FloatArray:
    """Standardised independent transform of MUF, ``x = L^-1 MUF`` with ``Sigma = L L^T``.

    ``x_i = (MUF_i - E[MUF_i | MUF_1..MUF_(i-1)]) / sd(MUF_i | MUF_1..MUF_(i-1))``: under
    no loss and normal errors the ``x_i`` are independent standard normal.

    Parameters
    ----------
    muf_kg
        MUF (kg), shape (n,) for one campaign or (m, n) for ``m`` campaigns at once.
    covariance_kg2
        Covariance of one campaign's MUF, ``n x n`` (kg^2).

    Returns
    -------
    numpy.ndarray
        SITMUF (dimensionless), the same shape as ``muf_kg``.
    """
    lower = cholesky_factor(covariance_kg2)
    muf = _as_muf(muf_kg, lower.shape[0])
    return _sitmuf_with_factor(muf, lower)


def _sitmuf_with_factor(muf: FloatArray, lower: FloatArray) -> FloatArray:
    """SITMUF of checked MUF rows given the Cholesky factor (no validation)."""
    solved = linalg.solve_triangular(lower, muf.T, lower=True, check_finite=False)
    return np.asarray(solved.T, dtype=np.float64)


# ----------------------------------------------------------------------------- GEMUF


def gemuf_statistic(muf_kg: ArrayLike, covariance_kg2: ArrayLike) -> FloatArray | float:
    """``MUF^T Sigma^-1 MUF`` (dimensionless), computed as the squared norm of SITMUF.

    Parameters
    ----------
    muf_kg
        MUF (kg), shape (n,) or (m, n).
    covariance_kg2
        Covariance of one campaign (kg^2).

    Returns
    -------
    float or numpy.ndarray
        A float for one campaign, an array of shape (m,) for ``m`` campaigns.
    """
    x = sitmuf(muf_kg, covariance_kg2)
    values = np.einsum("...i,...i->...", x, x)
    return float(values) if x.ndim == 1 else np.asarray(values, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class GemufResult:
    """The global (GEMUF) test of a campaign.

    Attributes
    ----------
    statistic
        ``MUF^T Sigma^-1 MUF`` (dimensionless).
    threshold
        ``chi2_(1-alpha)(n)``, the upper ``alpha`` quantile of chi-square with ``n``
        degrees of freedom.
    degrees_of_freedom
        ``n``, the number of balance periods.
    alpha
        False-alarm probability.
    alarm
        ``statistic > threshold``.
    """

    statistic: float
    threshold: float
    degrees_of_freedom: int
    alpha: float
    alarm: bool


def gemuf_test(muf_kg: ArrayLike, covariance_kg2: ArrayLike, alpha: float) -> GemufResult:
    """The global test: ``MUF^T Sigma^-1 MUF`` against chi-square with ``n`` d.o.f.

    Parameters
    ----------
    muf_kg
        MUF of the ``n`` balance periods (kg), shape (n,).
    covariance_kg2
        Their covariance (kg^2).
    alpha
        False-alarm probability over the campaign (dimensionless).

    Returns
    -------
    GemufResult
        The statistic, the threshold and the decision.
    """
    a = _check_alpha(alpha)
    value = gemuf_statistic(muf_kg, covariance_kg2)
    if not isinstance(value, float):
        raise InputError("the GEMUF test takes one campaign, MUF of shape (n,)", where="muf_kg")
    n = int(np.asarray(covariance_kg2).shape[0])
    threshold = float(stats.chi2.isf(a, n))
    return GemufResult(
        statistic=value,
        threshold=threshold,
        degrees_of_freedom=n,
        alpha=a,
        alarm=value > threshold,
    )


# ----------------------------------------------------------------------------- single MUF


@dataclass(frozen=True, eq=False)
class SingleMufResult:
    """Each MUF tested on its own.

    Attributes
    ----------
    thresholds_kg
        ``z_(1-alpha) sigma_i`` per period (kg), shape (n,).
    alarms
        ``MUF_i > threshold_i`` per period, shape (n,).
    alpha
        False-alarm probability of each single test (not of the campaign).
    first_alarm_period
        First period (1-based) with an alarm, or None.
    """

    thresholds_kg: FloatArray
    alarms: NDArray[np.bool_]
    alpha: float
    first_alarm_period: int | None


def single_muf_test(muf_kg: ArrayLike, covariance_kg2: ArrayLike, alpha: float) -> SingleMufResult:
    """Test each MUF against its one-sided Neyman-Pearson threshold ``z_(1-alpha) sigma_i``.

    Parameters
    ----------
    muf_kg
        MUF of the ``n`` balance periods (kg), shape (n,).
    covariance_kg2
        Their covariance (kg^2); only the diagonal is used.
    alpha
        False-alarm probability of each period's test (dimensionless).

    Returns
    -------
    SingleMufResult
        Thresholds, alarms and the first alarm period.
    """
    a = _check_alpha(alpha)
    cov = _as_covariance(covariance_kg2)
    muf = _as_muf(muf_kg, cov.shape[0])
    if muf.ndim != 1:
        raise InputError(f"MUF must have shape (n,), got {muf.shape}", where="muf_kg")
    variances = np.diag(cov)
    if np.any(variances <= 0.0):
        period = int(np.flatnonzero(variances <= 0.0)[0]) + 1
        raise InputError(f"the variance of period {period} is not positive", where="covariance_kg2")
    thresholds = float(stats.norm.isf(a)) * np.sqrt(variances)
    alarms = muf > thresholds
    first = int(np.argmax(alarms)) + 1 if alarms.any() else None
    return SingleMufResult(
        thresholds_kg=thresholds, alarms=alarms, alpha=a, first_alarm_period=first
    )


# ----------------------------------------------------------------------------- Page's test


def page_statistic(x: ArrayLike, k: float) -> FloatArray:
    """Page's one-sided CUSUM path ``S_i = max(0, S_(i-1) + x_i - k)``, ``S_0 = 0``.

    Computed without a loop as ``S_i = C_i - min(0, C_1, ..., C_i)`` with
    ``C_i = sum_(j <= i) (x_j - k)``, along the last axis.

    Parameters
    ----------
    x
        Standardised observations, normally SITMUF (dimensionless), shape (n,) or (m, n).
    k
        Reference value (dimensionless, SITMUF units); ``k = delta / 2`` is the usual
        choice for detecting a mean shift ``delta``.

    Returns
    -------
    numpy.ndarray
        ``S_1..S_n`` (dimensionless), the same shape as ``x``.
    """
    values = np.asarray(x, dtype=np.float64)
    if values.ndim not in (1, 2) or values.shape[-1] == 0:
        raise InputError(f"x must have shape (n,) or (m, n), got {values.shape}", where="x")
    if not np.all(np.isfinite(values)):
        raise InputError("x has non-finite values", where="x")
    if not math.isfinite(k):
        raise InputError(f"the reference value k must be finite, got {k}", where="k")
    c = np.cumsum(values - k, axis=-1)
    floor = np.minimum(np.minimum.accumulate(c, axis=-1), 0.0)
    return np.asarray(c - floor, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class PageResult:
    """Page's test on one SITMUF sequence.

    Attributes
    ----------
    statistic
        ``S_1..S_n`` (dimensionless).
    k
        Reference value (dimensionless).
    h
        Decision interval (dimensionless); alarm when ``S_i > h``.
    alarm_period
        First period (1-based) with ``S_i > h``, or None when there is none.
    """

    statistic: FloatArray
    k: float
    h: float
    alarm_period: int | None

    @property
    def alarm(self) -> bool:
        """Whether the test alarmed at any period."""
        return self.alarm_period is not None


def page_test(x: ArrayLike, *, k: float, h: float) -> PageResult:
    """Page's test (one-sided CUSUM) on a SITMUF sequence.

    Parameters
    ----------
    x
        SITMUF of one campaign (dimensionless), shape (n,); see :func:`sitmuf`.
    k
        Reference value (dimensionless).
    h
        Decision interval (dimensionless), ``h >= 0``; see :func:`page_threshold`.

    Returns
    -------
    PageResult
        The statistic path and the first alarm period.
    """
    if not (math.isfinite(h) and h >= 0.0):
        raise InputError(f"the decision interval h must be finite and >= 0, got {h}", where="h")
    values = np.asarray(x, dtype=np.float64)
    if values.ndim != 1:
        raise InputError(f"x must have shape (n,), got {values.shape}", where="x")
    path = page_statistic(values, k)
    over = path > h
    first = int(np.argmax(over)) + 1 if over.any() else None
    return PageResult(statistic=path, k=float(k), h=float(h), alarm_period=first)


def _page_kernel(k: float, h: float, shift: float, nodes: int) -> tuple[FloatArray, FloatArray]:
    """Transition parts of Page's statistic for ``x ~ N(shift, 1)`` on states {0, u_1..u_m}.

    Returns ``(p0, kernel)``: ``p0[s]`` = P(next state is 0 | state s) and
    ``kernel[s, q]`` = quadrature weight times the density of moving from s to u_q.
    """
    t, w = np.polynomial.legendre.leggauss(nodes)
    u = 0.5 * h * (t + 1.0)
    weights = 0.5 * h * w
    states = np.concatenate(([0.0], u))
    p0 = stats.norm.cdf(k - shift - states)
    kernel = weights[None, :] * stats.norm.pdf(u[None, :] - states[:, None] + k - shift)
    return np.asarray(p0, dtype=np.float64), np.asarray(kernel, dtype=np.float64)


def _check_page_parameters(k: float, h: float, shift: float) -> None:
    if not math.isfinite(k):
        raise InputError(f"the reference value k must be finite, got {k}", where="k")
    if not (math.isfinite(h) and h >= 0.0):
        raise InputError(f"the decision interval h must be finite and >= 0, got {h}", where="h")
    if not math.isfinite(shift):
        raise InputError(f"the shift must be finite, got {shift}", where="shift")


def page_alarm_probability(
    k: float, h: float, periods: int, *, shift: float = 0.0, nodes: int = QUADRATURE_NODES
) -> float:
    """Probability that Page's test alarms within ``periods`` periods, starting at ``S_0 = 0``.

    For iid ``x_i ~ N(shift, 1)``; with ``shift = 0`` this is the false-alarm probability
    over a campaign of SITMUF. ``G_j(s)``, the probability of no alarm in ``j`` steps from
    state ``s``, obeys ``G_(j+1)(s) = Phi(k + shift - s) G_j(0) +
    int_0^h G_j(u) phi(u - s + k - shift) du`` with ``G_0 = 1``; the integral is taken by
    ``nodes``-point Gauss-Legendre quadrature (Nystroem method) and the answer is
    ``1 - G_periods(0)``.

    Parameters
    ----------
    k
        Reference value (dimensionless).
    h
        Decision interval (dimensionless), ``h >= 0``.
    periods
        Campaign length ``n`` (balance periods), ``>= 1``.
    shift
        Mean of the standardised observations (dimensionless); 0 under no loss.
    nodes
        Quadrature nodes on ``[0, h]``.

    Returns
    -------
    float
        P(some ``S_i > h``, ``i <= periods``).
    """
    if periods < 1:
        raise InputError(f"periods must be >= 1, got {periods}", where="periods")
    return page_alarm_probability_by_period(k, h, [shift] * periods, nodes=nodes)


def page_alarm_probability_by_period(
    k: float, h: float, shifts: Sequence[float], *, nodes: int = QUADRATURE_NODES
) -> float:
    """As :func:`page_alarm_probability`, with a mean of its own for each period.

    For independent ``x_i ~ N(shifts[i], 1)``; the recursion runs backwards from the last
    period, ``G_(i-1)(s) = Phi(k + m_i - s) G_i(0) + int_0^h G_i(u) phi(u - s + k - m_i)
    du`` with ``G_n = 1``, and the answer is ``1 - G_0(0)``.
    """
    for shift in shifts:
        _check_page_parameters(k, h, shift)
    kernels: dict[float, tuple[FloatArray, FloatArray]] = {}
    g = np.ones(nodes + 1)
    for shift in reversed(shifts):
        if shift not in kernels:
            kernels[shift] = _page_kernel(k, h, shift, nodes)
        p0, kernel = kernels[shift]
        g = p0 * g[0] + kernel @ g[1:]
    return float(min(max(1.0 - g[0], 0.0), 1.0))


def page_average_run_length(
    k: float, h: float, *, shift: float = 0.0, nodes: int = QUADRATURE_NODES
) -> float:
    """Average run length (periods to the first alarm) of Page's test from ``S_0 = 0``.

    Solves ``ARL(s) = 1 + Phi(k + shift - s) ARL(0) + int_0^h ARL(u) phi(u - s + k - shift)
    du`` by the same quadrature as :func:`page_alarm_probability` (Goel & Wu 1971's
    integral-equation method).

    Parameters
    ----------
    k
        Reference value (dimensionless).
    h
        Decision interval (dimensionless).
    shift
        Mean of the iid ``N(shift, 1)`` observations (dimensionless).
    nodes
        Quadrature nodes on ``[0, h]``.

    Returns
    -------
    float
        The average run length (balance periods).
    """
    _check_page_parameters(k, h, shift)
    p0, kernel = _page_kernel(k, h, shift, nodes)
    transition = np.zeros((nodes + 1, nodes + 1))
    transition[:, 0] = p0
    transition[:, 1:] = kernel
    arl = np.linalg.solve(np.eye(nodes + 1) - transition, np.ones(nodes + 1))
    return float(arl[0])


def page_threshold(alpha: float, periods: int, *, k: float, nodes: int = QUADRATURE_NODES) -> float:
    """Decision interval ``h`` giving false-alarm probability ``alpha`` over ``periods``.

    Solves ``page_alarm_probability(k, h, periods) = alpha`` for ``h`` (Brent's method,
    absolute tolerance 1e-10 in ``h``) under iid standard normal SITMUF.

    Parameters
    ----------
    alpha
        False-alarm probability over the whole campaign (dimensionless).
    periods
        Campaign length ``n`` (balance periods).
    k
        Reference value (dimensionless).
    nodes
        Quadrature nodes on ``[0, h]``.

    Returns
    -------
    float
        ``h`` (dimensionless).

    Raises
    ------
    InputError
        When even ``h = 0`` gives a false-alarm probability below ``alpha`` (``k`` too
        large for so short a campaign: ``1 - Phi(k)^n < alpha``).
    """
    a = _check_alpha(alpha)
    if periods < 1:
        raise InputError(f"periods must be >= 1, got {periods}", where="periods")
    if not math.isfinite(k):
        raise InputError(f"the reference value k must be finite, got {k}", where="k")

    def excess(h: float) -> float:
        return page_alarm_probability(k, h, periods, nodes=nodes) - a

    at_zero = excess(0.0)
    if at_zero <= 0.0:
        raise InputError(
            f"with k = {k} and {periods} periods the false-alarm probability is at most "
            f"{at_zero + a:.4g} even for h = 0, below alpha = {a}; lower k",
            where="k",
        )
    high = 1.0
    while excess(high) > 0.0:
        high *= 2.0
        if high > 1e3:  # pragma: no cover - needs alpha below ~1e-300
            raise InputError(f"no decision interval below 1000 reaches alpha = {a}", where="alpha")
    return float(optimize.brentq(excess, 0.0, high, xtol=1e-10))
