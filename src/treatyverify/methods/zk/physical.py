"""The physical zero-knowledge protocol for warhead verification (preloaded detectors).

Protocol (Glaser, Barak and Goldston 2014; Philippe et al. 2016)
----------------------------------------------------------------
A measurement of an item (neutron radiography or emission, recorded by non-electronic
detectors such as superheated-emulsion bubble detectors) yields counts in ``B`` detector
bins. The agreed irradiation is fixed, so the *template* (an item accepted as genuine)
has expected counts ``t_i`` per bin (unit: counts, i.e. detected events, for the agreed
exposure). The host, who knows ``t``, preloads each detector bin with the complement
``N_max - t_i`` by exposing it beforehand, so that a genuine item brings every bin to
the same known total ``N_max``. The inspector sees only these totals, which are the same
for every genuine design: nothing about ``t`` is learned. The host prepares ``k >= 2``
preloaded detector sets; the inspector randomly decides which set records the template,
which records the candidate and audits the other ``k - 2`` (by exposing them to the
template, see below). A hoax candidate with counts ``h != t`` leaves totals
``N_max - t_i + h_i`` away from ``N_max`` by more than Poisson noise; a host who
preloads one set for the hoax (``N_max - h_i``) passes only when that set happens to be
given to the candidate, with probability ``1 / k`` per round (``1/2`` in the two-set
scheme of the marbles analogy in GBG 2014).

Model (this module)
-------------------
* Detection is a Poisson process: an item with expected counts ``x`` yields
  ``X_i ~ Poisson(x_i)`` independently per bin.
* Preload, ``preload="poisson"`` (default): the preload is itself a Poisson exposure
  with mean ``N_max - t_i``, as a physical pre-irradiation would be. The total of a
  genuine item is then ``Poisson(N_max - t_i) + Poisson(t_i) = Poisson(N_max)`` exactly
  (sum of independent Poisson variables), the same law for every template: the totals
  are statistically zero-knowledge. A hoax gives ``Poisson(N_max - t_i + h_i)``.
* Preload, ``preload="exact"``: the preload is the integer ``round(N_max - t_i)``
  with no noise (a detector "set" to a value). The total is then
  ``round(N_max - t_i) + Poisson(t_i)``: its mean is ``N_max`` but its variance is
  ``t_i``, so the *spread* of the totals reveals the template profile. The
  information test below detects this leak; the exact mode exists to show it.

Decision rule
-------------
``alpha`` is the false-alarm probability of one round (an honest host, a genuine
candidate; ``k`` detector sets checked: template, candidate and ``k - 2`` audits).
Every checked set must be accepted. Two rules for one set are provided:

* ``"per_bin"`` (default): accept when every bin total lies in ``[lo, hi]``, the
  central ``1 - alpha_bin`` interval of ``Poisson(N_max)`` with
  ``alpha_bin = 1 - (1 - alpha)^(1 / (k B))`` (Šidák split over ``k B`` independent
  bins), ``lo = F^-1(alpha_bin / 2)``, ``hi = F^-1(1 - alpha_bin / 2)``. The Poisson law
  is discrete, so the real false-alarm probability is at most ``alpha`` (and is given
  exactly by :func:`round_pass_probability` with ``candidate = template``).
* ``"chi2"``: accept when ``X^2 = sum_i (T_i - N_max)^2 / N_max`` is at most the
  ``1 - alpha_set`` quantile of the chi-square law with ``B`` degrees of freedom,
  ``alpha_set = 1 - (1 - alpha)^(1 / k)`` (Pearson's statistic; the chi-square law is
  the large-``N_max`` approximation, so this rule is evaluated by Monte Carlo only).

Soundness
---------
Write ``A(p, x)`` for the probability that a set preloaded with mean ``p`` and exposed to
an item of mean ``x`` is accepted (per-bin rule: a product over bins of Poisson
probabilities). With ``A0 = A(N_max - t, t)``, one round passes with probability

* honest preload, hoax candidate: ``A(N_max - t, h) A0^(k - 1)``;
* one set preloaded for the hoax: ``(1/k) A(N_max - h, h) A0^(k - 1)
  + ((k - 1)/k) A(N_max - h, t) A(N_max - t, h) A0^(k - 2)`` (the hoax set goes to the
  candidate with probability ``1/k``; otherwise it records the template, directly or as
  an audited set, while the candidate falls on a template set). Preloading two or more
  sets for the hoax is never better: every set is used or audited.
* every set preloaded for a blend ``m = t + lambda (h - t)`` (``0 <= lambda <= 1``):
  ``A(N_max - m, h) A(N_max - m, t)^(k - 1)``. The deviation is spread over all sets
  (``(1 - lambda)(h - t)`` on the candidate's set, ``lambda (t - h)`` on the others),
  which can beat both strategies above when ``h - t`` is near the noise level.

:func:`soundness_error` takes the largest of these over the strategies (and a grid of
``lambda``): the host's best among these families, a lower bound on what an arbitrary
preloading strategy could achieve.

Rounds are independent, so ``n`` rounds pass with probability ``P_round^n``; for a gross
hoax the preload cheat passes with ``(1/k)^n``.

Audit
-----
An unused set is audited by exposing it to the template and checking its totals like a
used set. Reading an unused set's preload directly would show ``N_max - t`` and so the
template; exposing it to the template keeps the audit zero-knowledge.

References
----------
A. Glaser, B. Barak and R. J. Goldston, "A zero-knowledge protocol for nuclear warhead
verification", *Nature* 510, 497-502 (2014), doi:10.1038/nature13457.
S. Philippe, R. J. Goldston, A. Glaser and F. d'Errico, "A physical zero-knowledge
object-comparison system for nuclear warhead verification", *Nature Communications* 7,
12890 (2016), doi:10.1038/ncomms12890.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import binomtest, chi2, chi2_contingency, poisson

from treatyverify.errors import InputError

__all__ = [
    "BestCheat",
    "DecisionRule",
    "HostStrategy",
    "InformationTestResult",
    "PreloadMode",
    "ProtocolSimulation",
    "RuleKind",
    "information_test",
    "pass_probability",
    "perturb_template",
    "preload_means",
    "round_pass_probability",
    "rounds_needed",
    "set_accept_probability",
    "simulate_genuine_totals",
    "simulate_protocol",
    "simulate_raw_counts",
    "simulate_totals",
    "soundness_error",
]

PreloadMode = Literal["poisson", "exact"]
"""How the host's preload is modelled: a Poisson exposure, or an exact noiseless value."""

RuleKind = Literal["per_bin", "chi2"]
"""Acceptance rule for one detector set (see the module docstring)."""

HostStrategy = Literal["honest", "preload_for_hoax", "blend"]
"""``"honest"``: every set preloaded for the template; ``"preload_for_hoax"``: one set
preloaded for the candidate's (hoax) counts, the others for the template; ``"blend"``:
every set preloaded for ``t + blend (h - t)``."""

_PRELOAD_MODES: tuple[str, ...] = ("poisson", "exact")
_RULE_KINDS: tuple[str, ...] = ("per_bin", "chi2")
_STRATEGIES: tuple[str, ...] = ("honest", "preload_for_hoax", "blend")


# --------------------------------------------------------------------------- validation


def _counts_vector(values: ArrayLike, where: str) -> NDArray[np.float64]:
    """Return ``values`` as a 1-D float array of finite non-negative counts."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError("expected a vector of numbers", where=where) from exc
    if arr.ndim != 1 or arr.size == 0:
        raise InputError("expected a non-empty 1-D vector of counts per bin", where=where)
    if not np.all(np.isfinite(arr)):
        raise InputError("counts must be finite", where=where)
    if np.any(arr < 0):
        raise InputError("counts must be non-negative", where=where)
    return arr


def _check_int(value: int, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError("expected an integer", where=where)
    if value < minimum:
        raise InputError(f"must be at least {minimum}", where=where)
    return int(value)


def _check_probability(value: float, where: str) -> float:
    if not isinstance(value, int | float | np.floating) or isinstance(value, bool):
        raise InputError("expected a number", where=where)
    if not 0.0 < float(value) < 1.0:
        raise InputError("probability must lie strictly between 0 and 1", where=where)
    return float(value)


def _check_choice(value: str, allowed: tuple[str, ...], where: str) -> None:
    if value not in allowed:
        raise InputError(f"must be one of {', '.join(allowed)}", where=where)


def _pair(
    template_counts: ArrayLike, candidate_counts: ArrayLike, rule: DecisionRule
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate a template and a candidate against a rule (lengths, preload feasibility)."""
    t = _counts_vector(template_counts, "template_counts")
    h = _counts_vector(candidate_counts, "candidate_counts")
    if h.size != t.size:
        raise InputError(
            f"candidate has {h.size} bins but the template has {t.size}", where="candidate_counts"
        )
    if t.size != rule.n_bins:
        raise InputError(
            f"template has {t.size} bins but the rule expects {rule.n_bins}",
            where="template_counts",
        )
    preload_means(t, rule.n_max)
    return t, h


# ------------------------------------------------------------------------------ model


def preload_means(template_counts: ArrayLike, n_max: int) -> NDArray[np.float64]:
    """Expected preload per bin, ``N_max - t_i``.

    Parameters
    ----------
    template_counts
        Expected counts per bin of the item the set is preloaded for (counts for the
        agreed irradiation).
    n_max
        Target total per bin (counts); must be at least every ``t_i``.

    Returns
    -------
    numpy.ndarray
        ``n_max - template_counts`` (counts).

    Raises
    ------
    InputError
        Negative or non-finite counts, or a bin with more counts than ``n_max`` (the
        preload would have to be negative).
    """
    t = _counts_vector(template_counts, "template_counts")
    n = _check_int(n_max, "n_max", 1)
    if np.any(t > n):
        raise InputError(
            "n_max must be at least the expected count of every bin (preload >= 0)",
            where="n_max",
        )
    return n - t


def perturb_template(
    template_counts: ArrayLike, fraction: float, bins: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Counts of a hoax that changes the template's counts by a fraction in some bins.

    Parameters
    ----------
    template_counts
        Expected counts per bin of the genuine template (counts).
    fraction
        Relative change ``delta`` of the counts in the chosen bins (dimensionless,
        ``> -1``); ``-0.1`` is 10 % fewer counts there (for example fissile material
        removed, in an emission measurement).
    bins
        Indices of the changed bins; all bins when ``None``.

    Returns
    -------
    numpy.ndarray
        ``t_i (1 + delta)`` in the chosen bins, ``t_i`` elsewhere (counts).
    """
    t = _counts_vector(template_counts, "template_counts")
    if not isinstance(fraction, int | float | np.floating) or isinstance(fraction, bool):
        raise InputError("expected a number", where="fraction")
    if not math.isfinite(float(fraction)) or float(fraction) <= -1.0:
        raise InputError("fraction must be finite and greater than -1", where="fraction")
    if bins is None:
        idx = np.arange(t.size)
    else:
        idx = np.asarray(bins)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise InputError("expected a non-empty vector of bin indices", where="bins")
        if np.any(idx < 0) or np.any(idx >= t.size):
            raise InputError(f"bin indices must lie in [0, {t.size - 1}]", where="bins")
    out = t.copy()
    out[idx] = t[idx] * (1.0 + float(fraction))
    return out


def simulate_totals(
    preload_counts: ArrayLike,
    item_counts: ArrayLike,
    rng: np.random.Generator,
    *,
    size: int,
    preload: PreloadMode = "poisson",
) -> NDArray[np.int64]:
    """Draw observed totals ``preload + Poisson(item)`` for ``size`` detector sets.

    Parameters
    ----------
    preload_counts
        Expected preload per bin (counts), usually from :func:`preload_means`.
    item_counts
        Expected counts per bin of the item exposed to the set (counts).
    rng
        Seeded NumPy generator.
    size
        Number of independent detector sets (at least 1).
    preload
        ``"poisson"``: preload drawn as ``Poisson(preload_counts)``; ``"exact"``: preload
        equal to ``round(preload_counts)``.

    Returns
    -------
    numpy.ndarray
        Integer totals, shape ``(size, B)`` (counts).
    """
    p = _counts_vector(preload_counts, "preload_counts")
    x = _counts_vector(item_counts, "item_counts")
    if p.size != x.size:
        raise InputError(
            f"item has {x.size} bins but the preload has {p.size}", where="item_counts"
        )
    n = _check_int(size, "size", 1)
    _check_choice(preload, _PRELOAD_MODES, "preload")
    return _draw_totals(
        np.broadcast_to(p, (n, p.size)), np.broadcast_to(x, (n, x.size)), rng, preload
    )


def _draw_totals(
    p: NDArray[np.float64],
    x: NDArray[np.float64],
    rng: np.random.Generator,
    preload: str,
) -> NDArray[np.int64]:
    """Totals for broadcast arrays of preload means ``p`` and item means ``x``."""
    if preload == "poisson":
        # Poisson(p) + Poisson(x) has the law of Poisson(p + x): draw it in one call.
        return rng.poisson(p + x).astype(np.int64)
    return np.rint(p).astype(np.int64) + rng.poisson(x).astype(np.int64)


def simulate_genuine_totals(
    template_counts: ArrayLike,
    n_max: int,
    n_samples: int,
    rng: np.random.Generator,
    *,
    preload: PreloadMode = "poisson",
) -> NDArray[np.int64]:
    """Totals the inspector sees for a genuine item measured on sets preloaded for it.

    Parameters
    ----------
    template_counts
        Expected counts per bin of the genuine design (counts).
    n_max
        Target total per bin (counts).
    n_samples
        Number of independent measurements.
    rng
        Seeded NumPy generator.
    preload
        Preload model (see the module docstring).

    Returns
    -------
    numpy.ndarray
        Totals, shape ``(n_samples, B)`` (counts).
    """
    t = _counts_vector(template_counts, "template_counts")
    return simulate_totals(preload_means(t, n_max), t, rng, size=n_samples, preload=preload)


def simulate_raw_counts(
    template_counts: ArrayLike, n_samples: int, rng: np.random.Generator
) -> NDArray[np.int64]:
    """Counts without preload, ``Poisson(t_i)`` per bin: what an unprotected measurement shows.

    Parameters
    ----------
    template_counts
        Expected counts per bin (counts).
    n_samples
        Number of independent measurements.
    rng
        Seeded NumPy generator.

    Returns
    -------
    numpy.ndarray
        Counts, shape ``(n_samples, B)``.
    """
    t = _counts_vector(template_counts, "template_counts")
    n = _check_int(n_samples, "n_samples", 1)
    return rng.poisson(np.broadcast_to(t, (n, t.size))).astype(np.int64)


# ---------------------------------------------------------------------- decision rule


@dataclass(frozen=True)
class DecisionRule:
    """The inspector's acceptance rule for one round.

    Parameters
    ----------
    n_max
        Target total per bin (counts).
    n_bins
        Number of detector bins ``B`` per set.
    alpha
        False-alarm probability of one round for an honest host and a genuine item
        (dimensionless, in (0, 1)); split over the ``n_sets`` checked sets.
    n_sets
        Detector sets ``k`` the host prepares per round (at least 2): one for the
        template, one for the candidate, ``k - 2`` audited with the template.
    kind
        ``"per_bin"`` (exact Poisson interval per bin) or ``"chi2"`` (Pearson statistic
        per set); see the module docstring.
    """

    n_max: int
    n_bins: int
    alpha: float = 0.01
    n_sets: int = 2
    kind: RuleKind = "per_bin"
    _lo: int = field(init=False, repr=False, compare=False)
    _hi: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_int(self.n_max, "n_max", 1)
        _check_int(self.n_bins, "n_bins", 1)
        _check_probability(self.alpha, "alpha")
        _check_int(self.n_sets, "n_sets", 2)
        _check_choice(self.kind, _RULE_KINDS, "kind")
        half = self.alpha_bin / 2.0
        object.__setattr__(self, "_lo", int(poisson.ppf(half, self.n_max)))
        object.__setattr__(self, "_hi", int(poisson.isf(half, self.n_max)))

    @property
    def alpha_set(self) -> float:
        """False-alarm budget of one set, ``1 - (1 - alpha)^(1/k)``."""
        return -math.expm1(math.log1p(-self.alpha) / self.n_sets)

    @property
    def alpha_bin(self) -> float:
        """False-alarm budget of one bin (per-bin rule), ``1 - (1 - alpha)^(1/(k B))``."""
        return -math.expm1(math.log1p(-self.alpha) / (self.n_sets * self.n_bins))

    @property
    def bounds(self) -> tuple[int, int]:
        """Accepted range ``(lo, hi)`` of a bin total under the per-bin rule (counts)."""
        return self._lo, self._hi

    @property
    def chi2_critical(self) -> float:
        """Largest accepted Pearson statistic under the chi-square rule."""
        return float(chi2.isf(self.alpha_set, self.n_bins))

    def accepts(self, totals: ArrayLike) -> NDArray[np.bool_]:
        """Whether each detector set's totals are accepted.

        Parameters
        ----------
        totals
            Observed totals (counts); the last axis runs over the ``n_bins`` bins.

        Returns
        -------
        numpy.ndarray
            Boolean array of shape ``totals.shape[:-1]``.
        """
        arr = np.asarray(totals, dtype=np.float64)
        if arr.ndim == 0 or arr.shape[-1] != self.n_bins:
            raise InputError(f"last axis must have {self.n_bins} bins", where="totals")
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise InputError("totals must be finite and non-negative", where="totals")
        if self.kind == "per_bin":
            lo, hi = self.bounds
            return np.asarray(np.all((arr >= lo) & (arr <= hi), axis=-1), dtype=np.bool_)
        stat = np.sum((arr - self.n_max) ** 2, axis=-1) / self.n_max
        return np.asarray(stat <= self.chi2_critical, dtype=np.bool_)


# ------------------------------------------------------------------- exact soundness


def set_accept_probability(
    preload_counts: ArrayLike,
    item_counts: ArrayLike,
    rule: DecisionRule,
    *,
    preload: PreloadMode = "poisson",
) -> float:
    """Exact probability that one set passes the per-bin rule, ``A(p, x)``.

    Parameters
    ----------
    preload_counts
        Expected preload per bin (counts).
    item_counts
        Expected counts per bin of the exposed item (counts).
    rule
        A rule of kind ``"per_bin"`` (the chi-square rule has no exact form here).
    preload
        ``"poisson"``: total ``~ Poisson(p + x)``; ``"exact"``: total
        ``= round(p) + Poisson(x)``.

    Returns
    -------
    float
        ``prod_i P(lo <= T_i <= hi)``.
    """
    p = _counts_vector(preload_counts, "preload_counts")
    x = _counts_vector(item_counts, "item_counts")
    if p.size != x.size or p.size != rule.n_bins:
        raise InputError(
            f"preload and item must both have the rule's {rule.n_bins} bins", where="item_counts"
        )
    if rule.kind != "per_bin":
        raise InputError("exact probabilities need the per_bin rule", where="rule.kind")
    _check_choice(preload, _PRELOAD_MODES, "preload")
    lo, hi = rule.bounds
    if preload == "poisson":
        mu = p + x
        per_bin = poisson.cdf(hi, mu) - poisson.cdf(lo - 1, mu)
    else:
        r = np.rint(p)
        per_bin = poisson.cdf(hi - r, x) - poisson.cdf(lo - 1 - r, x)
    # Clip guards against round-off just outside [0, 1] in the cdf differences.
    return float(np.prod(np.clip(per_bin, 0.0, 1.0)))


def round_pass_probability(
    template_counts: ArrayLike,
    candidate_counts: ArrayLike,
    rule: DecisionRule,
    *,
    host: HostStrategy = "honest",
    preload: PreloadMode = "poisson",
    blend: float = 0.5,
) -> float:
    """Exact probability that one round is accepted (per-bin rule).

    Parameters
    ----------
    template_counts
        Expected counts per bin of the genuine template (counts).
    candidate_counts
        Expected counts per bin of the candidate (counts); equal to the template for a
        genuine candidate, which gives ``1 -`` the real false-alarm probability.
    rule
        Per-bin decision rule (gives ``n_max`` and the number of sets ``k``).
    host
        ``"honest"``, ``"preload_for_hoax"`` or ``"blend"`` (module docstring, *Soundness*).
    preload
        Preload model.
    blend
        Blend fraction ``lambda`` in [0, 1] of the ``"blend"`` strategy (ignored otherwise).

    Returns
    -------
    float
        Probability that every checked set is accepted in one round.
    """
    t, h = _pair(template_counts, candidate_counts, rule)
    _check_choice(host, _STRATEGIES, "host")
    k = rule.n_sets
    if host == "blend":
        p_m = _hoax_preload(t + _check_blend(blend) * (h - t), rule.n_max)
        return set_accept_probability(p_m, h, rule, preload=preload) * set_accept_probability(
            p_m, t, rule, preload=preload
        ) ** (k - 1)
    p_t = preload_means(t, rule.n_max)
    a0 = set_accept_probability(p_t, t, rule, preload=preload)
    if host == "honest":
        return set_accept_probability(p_t, h, rule, preload=preload) * a0 ** (k - 1)
    p_h = _hoax_preload(h, rule.n_max)
    matched = set_accept_probability(p_h, h, rule, preload=preload) * a0 ** (k - 1)
    swapped = (
        set_accept_probability(p_h, t, rule, preload=preload)
        * set_accept_probability(p_t, h, rule, preload=preload)
        * a0 ** (k - 2)
    )
    return matched / k + swapped * (k - 1) / k


def _check_blend(blend: float) -> float:
    if not isinstance(blend, int | float | np.floating) or isinstance(blend, bool):
        raise InputError("expected a number", where="blend")
    if not 0.0 <= float(blend) <= 1.0:
        raise InputError("blend must lie in [0, 1]", where="blend")
    return float(blend)


def _hoax_preload(h: NDArray[np.float64], n_max: int) -> NDArray[np.float64]:
    if np.any(h > n_max):
        raise InputError(
            "a set preloaded for the candidate needs n_max >= its counts in every bin",
            where="candidate_counts",
        )
    return n_max - h


def pass_probability(
    template_counts: ArrayLike,
    candidate_counts: ArrayLike,
    rule: DecisionRule,
    *,
    rounds: int,
    host: HostStrategy = "honest",
    preload: PreloadMode = "poisson",
    blend: float = 0.5,
) -> float:
    """Exact probability that a candidate passes ``rounds`` independent rounds.

    Parameters
    ----------
    template_counts, candidate_counts, rule, host, preload, blend
        As for :func:`round_pass_probability`.
    rounds
        Number of independent rounds (at least 1).

    Returns
    -------
    float
        ``round_pass_probability(...) ** rounds``: the hoax pass probability (soundness
        error) for a hoax, the probability of no false alarm for a genuine item.
    """
    n = _check_int(rounds, "rounds", 1)
    p_round = round_pass_probability(
        template_counts, candidate_counts, rule, host=host, preload=preload, blend=blend
    )
    return p_round**n


@dataclass(frozen=True)
class BestCheat:
    """The host strategy with the largest hoax pass probability among those modelled.

    Parameters
    ----------
    pass_probability
        Probability that the hoax passes all rounds (the soundness error).
    round_pass_probability
        Pass probability of one round.
    host
        The strategy achieving it.
    blend
        Its blend fraction (``0`` unless ``host == "blend"``).
    """

    pass_probability: float
    round_pass_probability: float
    host: HostStrategy
    blend: float


def soundness_error(
    template_counts: ArrayLike,
    candidate_counts: ArrayLike,
    rule: DecisionRule,
    *,
    rounds: int,
    preload: PreloadMode = "poisson",
    blend_steps: int = 21,
) -> BestCheat:
    """Largest hoax pass probability over the modelled host strategies (per-bin rule).

    The host may change strategy between rounds, but rounds are independent, so the best
    is the same best strategy every round: ``max_s P_round(s) ** rounds``.

    Parameters
    ----------
    template_counts, candidate_counts, rule, preload
        As for :func:`round_pass_probability`.
    rounds
        Number of independent rounds (at least 1).
    blend_steps
        Number of evenly spaced blend fractions in [0, 1] tried (at least 2; ``0`` is the
        honest preload).

    Returns
    -------
    BestCheat
        The best strategy found and its pass probabilities.
    """
    n = _check_int(rounds, "rounds", 1)
    steps = _check_int(blend_steps, "blend_steps", 2)
    best = BestCheat(pass_probability=-1.0, round_pass_probability=-1.0, host="honest", blend=0.0)
    candidates: list[tuple[HostStrategy, float]] = [("preload_for_hoax", 0.0)]
    candidates += [("blend", float(lam)) for lam in np.linspace(0.0, 1.0, steps)]
    for host, lam in candidates:
        p_round = round_pass_probability(
            template_counts, candidate_counts, rule, host=host, preload=preload, blend=lam
        )
        if p_round > best.round_pass_probability:
            name: HostStrategy = "honest" if host == "blend" and lam == 0.0 else host
            best = BestCheat(
                pass_probability=p_round**n, round_pass_probability=p_round, host=name, blend=lam
            )
    return best


def rounds_needed(round_pass: float, target: float) -> int:
    """Fewest rounds that bring the pass probability ``round_pass ** n`` to ``target`` or below.

    Parameters
    ----------
    round_pass
        Pass probability of one round (in (0, 1)).
    target
        Acceptable overall pass probability for a hoax (in (0, 1)).

    Returns
    -------
    int
        ``ceil(log(target) / log(round_pass))``, at least 1.
    """
    p = _check_probability(round_pass, "round_pass")
    q = _check_probability(target, "target")
    # Small tolerance so that exact powers (0.5 ** 10 for 2 ** -10) are not rounded up.
    return max(1, math.ceil(math.log(q) / math.log(p) - 1e-9))


# ------------------------------------------------------------------------ Monte Carlo


@dataclass(frozen=True)
class ProtocolSimulation:
    """Outcome of a Monte Carlo run of the protocol.

    Parameters
    ----------
    passed
        Whether each trial (all its rounds) was accepted, shape ``(trials,)``.
    round_passed
        Whether each round was accepted, shape ``(trials, rounds)``.
    """

    passed: NDArray[np.bool_]
    round_passed: NDArray[np.bool_]

    @property
    def trials(self) -> int:
        """Number of simulated trials."""
        return int(self.passed.size)

    @property
    def pass_fraction(self) -> float:
        """Fraction of trials in which every round was accepted."""
        return float(np.mean(self.passed))

    @property
    def round_pass_fraction(self) -> float:
        """Fraction of all simulated rounds that were accepted."""
        return float(np.mean(self.round_passed))

    def confidence_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Clopper-Pearson interval for the pass probability (``level`` in (0, 1))."""
        lvl = _check_probability(level, "level")
        ci = binomtest(int(np.sum(self.passed)), self.trials).proportion_ci(
            confidence_level=lvl, method="exact"
        )
        return float(ci.low), float(ci.high)


def simulate_protocol(
    template_counts: ArrayLike,
    candidate_counts: ArrayLike,
    rule: DecisionRule,
    *,
    rounds: int,
    trials: int,
    rng: np.random.Generator,
    host: HostStrategy = "honest",
    preload: PreloadMode = "poisson",
    blend: float = 0.5,
) -> ProtocolSimulation:
    """Simulate the protocol by Monte Carlo, vectorised over trials, rounds, sets and bins.

    In each round the host prepares ``k = rule.n_sets`` sets (all preloaded for the
    template; one for the candidate under ``"preload_for_hoax"``; all for the blend
    ``t + blend (h - t)`` under ``"blend"``); the inspector draws
    a uniformly random permutation of the sets: the first records the template, the
    second the candidate, the others are audited with the template. The round passes
    when ``rule`` accepts every set.

    Parameters
    ----------
    template_counts
        Expected counts per bin of the genuine template (counts).
    candidate_counts
        Expected counts per bin of the candidate (counts).
    rule
        Decision rule (either kind).
    rounds
        Rounds per trial (at least 1).
    trials
        Independent repetitions of the whole protocol (at least 1).
    rng
        Seeded NumPy generator.
    host
        Host strategy.
    preload
        Preload model.
    blend
        Blend fraction of the ``"blend"`` strategy (ignored otherwise).

    Returns
    -------
    ProtocolSimulation
        Per-trial and per-round outcomes.
    """
    t, h = _pair(template_counts, candidate_counts, rule)
    n_rounds = _check_int(rounds, "rounds", 1)
    n_trials = _check_int(trials, "trials", 1)
    _check_choice(host, _STRATEGIES, "host")
    _check_choice(preload, _PRELOAD_MODES, "preload")
    k = rule.n_sets
    set_preloads = np.broadcast_to(preload_means(t, rule.n_max), (k, t.size)).copy()
    if host == "preload_for_hoax":
        set_preloads[0] = _hoax_preload(h, rule.n_max)
    elif host == "blend":
        set_preloads[:] = _hoax_preload(t + _check_blend(blend) * (h - t), rule.n_max)
    # Item recorded in each slot: slot 0 template, slot 1 candidate, the rest audits.
    slot_items = np.broadcast_to(t, (k, t.size)).copy()
    slot_items[1] = h
    order = rng.permuted(np.broadcast_to(np.arange(k), (n_trials, n_rounds, k)), axis=-1)
    p = set_preloads[order]  # (trials, rounds, k, B): preload of the set put in each slot
    x = np.broadcast_to(slot_items, p.shape)
    totals = _draw_totals(p, x, rng, preload)
    round_passed = np.all(rule.accepts(totals), axis=-1)
    return ProtocolSimulation(passed=np.all(round_passed, axis=-1), round_passed=round_passed)


# ------------------------------------------------------------------ information test


@dataclass(frozen=True)
class InformationTestResult:
    """Two-sample chi-square homogeneity test of totals, combined over bins.

    Parameters
    ----------
    statistic
        Sum over detector bins of Pearson's homogeneity statistic.
    dof
        Sum of the bins' degrees of freedom.
    p_value
        ``P(chi2_dof >= statistic)``; a small value means the two samples differ.
    bin_p_values
        Homogeneity p-value of each detector bin (``nan`` for a bin with one category).
    """

    statistic: float
    dof: int
    p_value: float
    bin_p_values: NDArray[np.float64]


def information_test(
    sample_a: ArrayLike, sample_b: ArrayLike, *, n_categories: int = 8
) -> InformationTestResult:
    """Test whether two samples of per-bin totals come from the same distribution.

    For each detector bin the pooled values are cut into up to ``n_categories``
    categories at pooled quantiles, and a 2 x m contingency table (sample x category) is
    tested with Pearson's chi-square homogeneity test (``scipy.stats.chi2_contingency``,
    no continuity correction). Bins are independent within a measurement and rows are
    independent measurements, so under the null hypothesis the per-bin statistics are
    independent and asymptotically chi-square: their sum is compared with a chi-square law
    with the summed degrees of freedom.

    Parameters
    ----------
    sample_a, sample_b
        Totals (counts), shape ``(n, B)`` and ``(m, B)`` with the same ``B``; each needs
        at least ``5 * n_categories`` rows so that expected cell counts are about 5 or more.
    n_categories
        Largest number of categories per bin (at least 2).

    Returns
    -------
    InformationTestResult
        Combined statistic, degrees of freedom and p-value.
    """
    n_cat = _check_int(n_categories, "n_categories", 2)
    a = _sample_matrix(sample_a, "sample_a", 5 * n_cat)
    b = _sample_matrix(sample_b, "sample_b", 5 * n_cat)
    if a.shape[1] != b.shape[1]:
        raise InputError(
            f"sample_b has {b.shape[1]} bins but sample_a has {a.shape[1]}", where="sample_b"
        )
    quantiles = np.linspace(0.0, 1.0, n_cat + 1)[1:-1]
    total_stat = 0.0
    total_dof = 0
    bin_p = np.full(a.shape[1], np.nan)
    for j in range(a.shape[1]):
        pooled = np.concatenate([a[:, j], b[:, j]])
        edges = np.unique(np.quantile(pooled, quantiles))
        n_cols = edges.size + 1
        row_a = np.bincount(np.searchsorted(edges, a[:, j], side="right"), minlength=n_cols)
        row_b = np.bincount(np.searchsorted(edges, b[:, j], side="right"), minlength=n_cols)
        table = np.vstack([row_a, row_b])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            continue
        res = chi2_contingency(table, correction=False)
        total_stat += float(res.statistic)
        total_dof += int(res.dof)
        bin_p[j] = float(res.pvalue)
    p_value = float(chi2.sf(total_stat, total_dof)) if total_dof > 0 else 1.0
    return InformationTestResult(
        statistic=total_stat, dof=total_dof, p_value=p_value, bin_p_values=bin_p
    )


def _sample_matrix(values: ArrayLike, where: str, min_rows: int) -> NDArray[np.float64]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError("expected a matrix of numbers", where=where) from exc
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise InputError("expected shape (samples, bins)", where=where)
    if arr.shape[0] < min_rows:
        raise InputError(f"needs at least {min_rows} samples", where=where)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError("totals must be finite and non-negative", where=where)
    return arr
