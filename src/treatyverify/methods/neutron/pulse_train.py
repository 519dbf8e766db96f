"""Monte Carlo pulse trains of a plutonium item and their shift-register analysis.

The simulator follows the assumptions of the point model exactly, so that its
output can test the point-model code ([Ensslin1998] section 5):

- source events form a Poisson process: spontaneous fissions at rate
  ``F = (specific fission rate) * m240eff``, each emitting nu neutrons drawn from
  the spontaneous-fission distribution, and (alpha,n) reactions at rate
  ``alpha * F * nu_s1``, each emitting one neutron;
- every neutron, from any generation, induces a fission with probability ``p`` and
  otherwise leaks; an induced fission emits nu neutrons drawn from the induced
  distribution; the leakage multiplication is ``M = (1 - p) / (1 - p nu_i1)``;
- all neutrons of one chain are born at the time of its source event; each leaked
  neutron is detected with probability ``efficiency`` after an exponentially
  distributed delay of mean ``die_away_s``; there is no dead time.

The shift register opens, for every detection (trigger), a foreground gate
``(t + P, t + P + G]`` (reals plus accidentals, R+A) and a background gate
``(t + L, t + L + G]`` (accidentals, A), and histograms the counts in them. With the
factorial moments of the normalised histograms, ``f_k`` for R+A and ``b_k`` for A
(``f_1 = sum n P(n)``, ``f_2 = sum n (n - 1) P(n)``)::

    S = (number of triggers) / (measurement time)
    D = S (f_1 - b_1)
    T = S [(f_2 - b_2) - 2 b_1 (f_1 - b_1)] / 2

as in [Ensslin1998] sections 5 and 6 (references in
:mod:`treatyverify.methods.neutron.constants`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq
from scipy.special import ndtr

from treatyverify.errors import InputError
from treatyverify.methods.neutron.constants import (
    PU240_SF_PU239_INDUCED,
    PointModelConstants,
)

__all__ = [
    "MultiplicityDistributions",
    "PulseTrain",
    "ShiftRegisterResult",
    "factorial_moments",
    "multiplicity_distributions",
    "shift_register",
    "simulate_pulse_train",
    "terrell_distribution",
]

_NU_MAX = 10  # largest number of neutrons per fission kept in P(nu)


@dataclass(frozen=True)
class MultiplicityDistributions:
    """Neutron multiplicity distributions P(nu), nu = 0, 1, ..., for the simulator.

    Parameters
    ----------
    spontaneous
        P(nu) of one spontaneous fission (probabilities summing to 1).
    induced
        P(nu) of one induced fission (probabilities summing to 1).
    """

    spontaneous: NDArray[np.float64]
    induced: NDArray[np.float64]

    def constants(self, specific_fission_rate_per_s_per_g: float) -> PointModelConstants:
        """The point-model constants whose moments are those of these distributions.

        Parameters
        ----------
        specific_fission_rate_per_s_per_g
            Spontaneous fissions per second per gram (1/(s g)).
        """
        s1, s2, s3 = factorial_moments(self.spontaneous)
        i1, i2, i3 = factorial_moments(self.induced)
        return PointModelConstants(s1, s2, s3, i1, i2, i3, specific_fission_rate_per_s_per_g)


@dataclass(frozen=True)
class PulseTrain:
    """Sorted detection times and the measurement window they belong to.

    Parameters
    ----------
    times_s
        Detection times (s), sorted ascending; they include detections outside the
        window so that gates near its edges see the same neighbourhood as inside.
    start_s, stop_s
        The measurement window (s): triggers are taken in ``[start_s, stop_s)``.
    """

    times_s: NDArray[np.float64]
    start_s: float
    stop_s: float

    @property
    def duration_s(self) -> float:
        """Length of the measurement window (s)."""
        return self.stop_s - self.start_s


@dataclass(frozen=True)
class ShiftRegisterResult:
    """Shift-register histograms and the rates derived from them.

    Parameters
    ----------
    foreground
        Number of triggers whose R+A gate held n counts, n = 0, 1, ...
    accidentals
        Number of triggers whose A gate held n counts, n = 0, 1, ...
    singles_per_s, doubles_per_s, triples_per_s
        S, D and T (1/s) from the whole measurement.
    covariance
        3x3 covariance of ``(S, D, T)`` (1/s^2) estimated from the scatter of the
        rates of equal cycles, divided by the number of cycles.
    n_cycles
        Number of cycles the measurement was split into for the covariance.
    """

    foreground: NDArray[np.int64]
    accidentals: NDArray[np.int64]
    singles_per_s: float
    doubles_per_s: float
    triples_per_s: float
    covariance: NDArray[np.float64]
    n_cycles: int

    @property
    def sigma_per_s(self) -> tuple[float, float, float]:
        """Standard deviations of S, D and T (1/s)."""
        d = np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))
        return float(d[0]), float(d[1]), float(d[2])


def factorial_moments(p: NDArray[np.float64]) -> tuple[float, float, float]:
    """First three factorial moments of a distribution P(n), n = 0, 1, ...

    Parameters
    ----------
    p
        Probabilities (or counts; they are normalised).

    Returns
    -------
    tuple of float
        ``(sum n P, sum n(n-1) P, sum n(n-1)(n-2) P)``.
    """
    arr = np.asarray(p, dtype=float)
    total = float(arr.sum())
    if total <= 0:
        raise InputError("distribution is empty", where="p")
    n = np.arange(arr.size, dtype=float)
    w = arr / total
    return (
        float(np.sum(n * w)),
        float(np.sum(n * (n - 1) * w)),
        float(np.sum(n * (n - 1) * (n - 2) * w)),
    )


def terrell_distribution(
    nu_1: float, nu_2: float, nu_3: float, *, nu_max: int = _NU_MAX
) -> NDArray[np.float64]:
    """P(nu) with the given first three factorial moments, shaped after Terrell.

    Terrell's model ([Terrell1957]) takes the cumulative distribution as a normal
    integral, ``sum_{n<=nu} P(n) = Phi((nu - nu_bar + 1/2 + b) / sigma)``. Here the
    shift ``b`` and width ``sigma`` are fitted so that the first two factorial moments
    are exact; then the smallest (least-squares) correction that also makes the
    third moment exact, keeping the normalisation and the first two moments, is
    added (weighted by P, so that the shape and the empty tail are kept). The
    third moment of the fitted Terrell shape differs from the tabulated
    one by a few per cent; the correction removes that difference.

    Parameters
    ----------
    nu_1, nu_2, nu_3
        Target factorial moments (dimensionless).
    nu_max
        Largest multiplicity kept.

    Returns
    -------
    numpy.ndarray
        ``P(0), ..., P(nu_max)``, non-negative and summing to 1.
    """
    if not (nu_1 > 0 and nu_2 > 0 and nu_3 > 0):
        raise InputError("factorial moments must be > 0", where="nu_1, nu_2, nu_3")
    n = np.arange(nu_max + 1, dtype=float)

    def shape(sigma: float, b: float) -> NDArray[np.float64]:
        cdf = ndtr((n - nu_1 + 0.5 + b) / sigma)
        cdf[-1] = 1.0
        return np.diff(np.concatenate([[0.0], cdf]))

    def fit_b(sigma: float) -> float:
        def mean_error(b: float) -> float:
            return factorial_moments(shape(sigma, b))[0] - nu_1

        return float(brentq(mean_error, -2.0, 2.0, xtol=1e-14))

    def second_error(sigma: float) -> float:
        return factorial_moments(shape(sigma, fit_b(sigma)))[1] - nu_2

    try:
        sigma = float(brentq(second_error, 0.3, 3.0, xtol=1e-14))
    except ValueError as exc:
        raise InputError(
            "no Terrell distribution has these moments", where="nu_1, nu_2, nu_3"
        ) from exc
    p = shape(sigma, fit_b(sigma))
    # Minimum-norm correction delta with A (p + delta) = targets, A the moment rows.
    a = np.vstack([np.ones_like(n), n, n * (n - 1), n * (n - 1) * (n - 2)])
    target = np.array([1.0, nu_1, nu_2, nu_3])
    w = np.diag(p)  # weighting by P keeps the shape and the empty tail
    delta = w @ a.T @ np.linalg.solve(a @ w @ a.T, target - a @ p)
    p = p + delta
    if np.any(p < -1e-12):
        raise InputError(
            "the moments cannot be met by a non-negative Terrell-shaped distribution",
            where="nu_1, nu_2, nu_3",
        )
    return np.asarray(np.clip(p, 0.0, None), dtype=np.float64)


def multiplicity_distributions(
    constants: PointModelConstants = PU240_SF_PU239_INDUCED,
) -> MultiplicityDistributions:
    """Spontaneous and induced P(nu) with the factorial moments of ``constants``.

    Parameters
    ----------
    constants
        Point-model nuclear data (their nu moments are matched exactly).
    """
    return MultiplicityDistributions(
        spontaneous=terrell_distribution(constants.nu_s1, constants.nu_s2, constants.nu_s3),
        induced=terrell_distribution(constants.nu_i1, constants.nu_i2, constants.nu_i3),
    )


def simulate_pulse_train(
    m240eff_g: float,
    multiplication: float,
    alpha: float,
    *,
    efficiency: float,
    die_away_s: float,
    duration_s: float,
    seed: int | np.random.Generator,
    margin_s: float | None = None,
    constants: PointModelConstants = PU240_SF_PU239_INDUCED,
    distributions: MultiplicityDistributions | None = None,
) -> PulseTrain:
    """Simulate the detection times of neutrons from a plutonium item.

    Parameters
    ----------
    m240eff_g
        240Pu-effective mass (g), > 0.
    multiplication
        Leakage multiplication M (dimensionless), >= 1 and below the value at which
        the chain becomes critical.
    alpha
        Ratio of (alpha,n) to spontaneous-fission neutrons (dimensionless), >= 0.
    efficiency
        Detection probability of a leaked neutron (dimensionless), in (0, 1].
    die_away_s
        Mean detection delay tau (s), > 0.
    duration_s
        Length of the measurement window (s), > 0.
    seed
        Seed or numpy Generator, for reproducibility.
    margin_s
        Time simulated before and after the window so that gates at its edges are
        complete (s); default ``30 * die_away_s + 0.01``.
    constants
        Nuclear data: the specific fission rate and nu_s1 (for the (alpha,n) rate),
        and the moments the default distributions are built from.
    distributions
        P(nu) to draw from; by default :func:`multiplicity_distributions` of
        ``constants``.

    Returns
    -------
    PulseTrain
        Sorted detection times (s) and the window ``[0, duration_s)``.
    """
    for name, value in (
        ("m240eff_g", m240eff_g),
        ("die_away_s", die_away_s),
        ("duration_s", duration_s),
    ):
        if not math.isfinite(value) or value <= 0:
            raise InputError("must be a finite number > 0", where=name)
    if not math.isfinite(alpha) or alpha < 0:
        raise InputError("must be >= 0", where="alpha")
    if not math.isfinite(efficiency) or not 0 < efficiency <= 1:
        raise InputError("must be in (0, 1]", where="efficiency")
    dists = distributions if distributions is not None else multiplicity_distributions(constants)
    nu_i1 = factorial_moments(dists.induced)[0]
    if not math.isfinite(multiplication) or multiplication < 1:
        raise InputError("leakage multiplication must be >= 1", where="multiplication")
    p_fission = (multiplication - 1.0) / (multiplication * nu_i1 - 1.0)
    if p_fission * nu_i1 >= 0.95:
        raise InputError("too close to critical to simulate", where="multiplication")
    margin = 30.0 * die_away_s + 0.01 if margin_s is None else margin_s
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    span = duration_s + 2.0 * margin
    fission_rate = constants.specific_fission_rate_per_s_per_g * m240eff_g
    alpha_n_rate = alpha * fission_rate * constants.nu_s1
    n_sf = int(rng.poisson(fission_rate * span))
    n_an = int(rng.poisson(alpha_n_rate * span))
    n_events = n_sf + n_an
    event_times = rng.uniform(-margin, duration_s + margin, size=n_events)

    # First generation: nu neutrons per spontaneous fission, one per (alpha,n) event.
    first = np.concatenate([_draw(rng, dists.spontaneous, n_sf), np.ones(n_an, dtype=np.int64)])
    owners = np.repeat(np.arange(n_events, dtype=np.int64), first)
    leaked: list[NDArray[np.int64]] = []
    while owners.size:
        fissions = rng.random(owners.size) < p_fission
        leaked.append(owners[~fissions])
        parents = owners[fissions]
        owners = np.repeat(parents, _draw(rng, dists.induced, parents.size))
    escaped = np.concatenate(leaked) if leaked else np.empty(0, dtype=np.int64)

    detected = escaped[rng.random(escaped.size) < efficiency]
    times = event_times[detected] + rng.exponential(die_away_s, size=detected.size)
    times.sort()
    return PulseTrain(times_s=times, start_s=0.0, stop_s=float(duration_s))


def shift_register(
    train: PulseTrain,
    *,
    predelay_s: float,
    gate_s: float,
    long_delay_s: float,
    n_cycles: int = 20,
) -> ShiftRegisterResult:
    """Shift-register multiplicity analysis of a pulse train.

    Parameters
    ----------
    train
        The detection times and measurement window.
    predelay_s
        Pre-delay P (s), >= 0.
    gate_s
        Gate width G (s), > 0.
    long_delay_s
        Long delay L to the accidentals gate (s), > P + G, and many die-away times
        so that the A gate holds no correlated counts.
    n_cycles
        Number of equal cycles the window is split into to estimate the covariance
        of S, D, T (>= 2).

    Returns
    -------
    ShiftRegisterResult
        R+A and A histograms, S, D, T (1/s) and their covariance (1/s^2).
    """
    if not math.isfinite(predelay_s) or predelay_s < 0:
        raise InputError("must be a finite number >= 0", where="predelay_s")
    if not math.isfinite(gate_s) or gate_s <= 0:
        raise InputError("must be a finite number > 0", where="gate_s")
    if not math.isfinite(long_delay_s) or long_delay_s < predelay_s + gate_s:
        raise InputError("must be at least predelay_s + gate_s", where="long_delay_s")
    if n_cycles < 2:
        raise InputError("need at least 2 cycles", where="n_cycles")
    times = train.times_s
    lo, hi = np.searchsorted(times, [train.start_s, train.stop_s], side="left")
    trig = times[lo:hi]
    if trig.size == 0:
        raise InputError("no detections in the measurement window", where="train")
    # Counts in (t + a, t + b]: index of the last time <= t + b minus that <= t + a.
    fg = _gate_counts(times, trig, predelay_s, predelay_s + gate_s)
    ac = _gate_counts(times, trig, long_delay_s, long_delay_s + gate_s)

    # Triggers are sorted, so each cycle is a contiguous block of them.
    edges = train.start_s + train.duration_s * np.arange(n_cycles) / n_cycles
    starts = np.searchsorted(trig, edges, side="left")
    per_cycle = _rates(fg, ac, train.duration_s / n_cycles, starts)
    total = _rates(fg, ac, train.duration_s, np.zeros(1, dtype=np.intp))[0]
    covariance = np.cov(per_cycle, rowvar=False) / n_cycles
    return ShiftRegisterResult(
        foreground=np.bincount(fg).astype(np.int64),
        accidentals=np.bincount(ac).astype(np.int64),
        singles_per_s=float(total[0]),
        doubles_per_s=float(total[1]),
        triples_per_s=float(total[2]),
        covariance=np.asarray(covariance, dtype=float),
        n_cycles=n_cycles,
    )


def _gate_counts(
    times: NDArray[np.float64], trig: NDArray[np.float64], open_s: float, close_s: float
) -> NDArray[np.int64]:
    upper = np.searchsorted(times, trig + close_s, side="right")
    lower = np.searchsorted(times, trig + open_s, side="right")
    return (upper - lower).astype(np.int64)


def _rates(
    fg: NDArray[np.int64], ac: NDArray[np.int64], duration_s: float, starts: NDArray[np.intp]
) -> NDArray[np.float64]:
    """S, D, T of the blocks of triggers beginning at ``starts`` (one row per block)."""
    f = fg.astype(float)
    b = ac.astype(float)
    ends = np.append(starts[1:], fg.size)
    n = (ends - starts).astype(float)
    if np.any(n == 0):
        raise InputError("a cycle holds no detections; use fewer cycles", where="n_cycles")
    sums = np.add.reduceat(np.vstack([f, f * (f - 1), b, b * (b - 1)]), starts, axis=1)
    f1, f2, b1, b2 = sums / n
    singles = n / duration_s
    doubles = singles * (f1 - b1)
    triples = singles * ((f2 - b2) - 2.0 * b1 * (f1 - b1)) / 2.0
    return np.column_stack([singles, doubles, triples])


def _draw(rng: np.random.Generator, p: NDArray[np.float64], size: int) -> NDArray[np.int64]:
    """``size`` multiplicities drawn from P(nu)."""
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return np.searchsorted(cdf, rng.random(size), side="right").astype(np.int64)
