"""How much do an information barrier's releases say about an item's hidden parameters?

The releases of a barrier should be statistically independent of everything about the
item the treaty does not reveal: its plutonium mass, its geometry, its shielding, its
age. Over many simulated items of one declared type, :func:`leakage_test` estimates the
mutual information ``I(R; H)`` between the released outputs ``R`` (one discrete symbol
per item, e.g. the tuple of every release's status and outputs) and one hidden parameter
``H`` (discrete, or continuous cut into quantile bins by :func:`quantile_bins`), in bits.

Estimator
---------
The plug-in (maximum-likelihood) estimate from the contingency table of ``N`` items,
``I = sum_xy p_xy log2(p_xy / (p_x p_y))``, is biased upwards: for independent
variables ``2 N ln2 I`` is asymptotically chi-squared with ``(m_R - 1)(m_H - 1)``
degrees of freedom. Each entropy gets the Miller-Madow correction
``H_MM = H_ML + (m - 1) / (2 N)`` nats, ``m`` the number of occupied cells
(G. A. Miller, "Note on the bias of information estimates", in H. Quastler (ed.),
*Information Theory in Psychology*, Free Press 1955, pp. 95-100; L. Paninski,
"Estimation of entropy and mutual information", Neural Computation 15 (2003) 1191),
so that ``I_MM = I_ML + (m_R + m_H - m_RH - 1) / (2 N ln 2)`` bits. ``I_MM`` scatters
around 0 for independent variables and can be slightly negative.

Significance and bound
----------------------
The permutation test shuffles the hidden parameter across items, which keeps both
marginal distributions and destroys any dependence; the estimates of the shuffles are
the null distribution. The p-value is ``(1 + #{null >= observed}) / (1 + n)``, never 0
(B. Phipson and G. K. Smyth, "Permutation P-values should never be zero", Stat. Appl.
Genet. Mol. Biol. 9 (2010) 39).

The upper bound is the percentile bootstrap (B. Efron and R. J. Tibshirani, *An
Introduction to the Bootstrap*, Chapman & Hall 1993, ch. 13): the ``confidence``
quantile of ``I_MM`` over resamples of the items with replacement, an approximate
one-sided upper confidence bound on the mutual information between the releases and
the *binned* hidden parameter. What it means and what it does not:

- Resampling adds its own plug-in bias on top of the sample's, so the bound errs high
  (conservative) by about ``(m_R - 1)(m_H - 1) / (2 N ln 2)`` bits.
- It bounds the information about the bin (e.g. the quartile of the mass), not about
  the continuous value: binning can only lose information, so the true ``I(R; H)`` may
  be larger, by structure finer than the bins.
- It cannot see outcomes that never occurred. If every item passed, the bound is 0;
  yet a failure rate up to about ``3 / n_bin`` in one bin of ``n_bin`` items (the
  "rule of three", 95 %) is consistent with the sample and would carry information.
  Report ``N`` with the bound.

Released values must be few: a continuous released value gives every item its own
symbol, and then the plug-in estimate equals the entropy of the hidden bins for the
data and for every shuffle alike, so the test is blind. :func:`leakage_test` refuses
releases with more distinct symbols than half the items; bin such outputs first.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from treatyverify.errors import InputError

__all__ = [
    "LeakageEstimate",
    "encode",
    "leakage_test",
    "mutual_information_bits",
    "quantile_bins",
]

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

_MAX_SYMBOL_FRACTION = 0.5  # refuse more distinct released symbols than N / 2
_TIE_TOLERANCE_BITS = 1e-12  # null estimates this close to the observed one count as >=


@dataclass(frozen=True)
class LeakageEstimate:
    """Mutual information between released outputs and one hidden parameter.

    Attributes
    ----------
    mi_bits
        Miller-Madow corrected estimate of ``I(released; hidden)`` (bits; may be
        slightly negative when the variables are independent).
    plugin_mi_bits
        Uncorrected plug-in estimate (bits, >= 0).
    p_value
        Permutation p-value of ``mi_bits`` (probability, in ``(0, 1]``).
    null_q95_bits, null_q99_bits
        95th and 99th percentiles of the permutation null distribution of ``mi_bits``
        (bits).
    upper_bound_bits
        Bootstrap upper confidence bound on the mutual information at ``confidence``
        (bits; see the module docstring for its meaning).
    confidence
        One-sided confidence level of ``upper_bound_bits`` (probability).
    n_items
        Number of items.
    n_released_symbols, n_hidden_symbols
        Distinct released symbols and distinct hidden values (bins) in the sample.
    n_permutations, n_bootstrap
        Numbers of shuffles and of resamples.
    """

    mi_bits: float
    plugin_mi_bits: float
    p_value: float
    null_q95_bits: float
    null_q99_bits: float
    upper_bound_bits: float
    confidence: float
    n_items: int
    n_released_symbols: int
    n_hidden_symbols: int
    n_permutations: int
    n_bootstrap: int


def encode(values: Sequence[Hashable]) -> IntArray:
    """Integer codes ``0..k-1`` of hashable symbols, in order of first appearance.

    Parameters
    ----------
    values
        One symbol per item (any hashable: a bool, a bin index, a tuple of outputs).
    """
    codes: dict[Hashable, int] = {}
    out = np.empty(len(values), dtype=np.intp)
    for i, value in enumerate(values):
        out[i] = codes.setdefault(value, len(codes))
    return out


def quantile_bins(values: npt.ArrayLike, n_bins: int) -> IntArray:
    """Cut continuous values into ``n_bins`` bins of (nearly) equal counts.

    Parameters
    ----------
    values
        One finite value per item (any unit).
    n_bins
        Number of bins (>= 1); bin ``j`` holds values between the ``j/n_bins`` and
        ``(j+1)/n_bins`` sample quantiles.

    Returns
    -------
    numpy.ndarray
        Bin index ``0..n_bins-1`` per item.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise InputError("must be a non-empty 1-d array of finite numbers", where="values")
    if n_bins < 1:
        raise InputError("needs at least one bin", where="n_bins")
    inner = np.quantile(x, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    bins: IntArray = np.searchsorted(inner, x, side="right").astype(np.intp)
    return bins


def _mi_from_counts(counts: FloatArray, n_items: int) -> tuple[FloatArray, FloatArray]:
    """Plug-in and Miller-Madow MI (bits) of contingency tables ``(..., k_r, k_h)``."""
    n = float(n_items)
    row = counts.sum(axis=-1)
    col = counts.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = counts * n / (row[..., :, None] * col[..., None, :])
        terms = np.where(counts > 0, counts * np.log2(np.where(counts > 0, ratio, 1.0)), 0.0)
    plugin = terms.sum(axis=(-2, -1)) / n
    occupied = (
        np.count_nonzero(row, axis=-1)
        + np.count_nonzero(col, axis=-1)
        - np.count_nonzero(counts, axis=(-2, -1))
        - 1
    )
    corrected = plugin + occupied / (2.0 * n * math.log(2.0))
    return np.asarray(plugin, dtype=np.float64), np.asarray(corrected, dtype=np.float64)


def _tables(released: IntArray, hidden: IntArray, k_r: int, k_h: int) -> FloatArray:
    """Contingency tables of the rows of ``released`` and ``hidden`` (same shape)."""
    rows = released.shape[0]
    offset = (np.arange(rows, dtype=np.intp) * (k_r * k_h))[:, None]
    flat = np.bincount((offset + released * k_h + hidden).ravel(), minlength=rows * k_r * k_h)
    return flat.reshape(rows, k_r, k_h).astype(np.float64)


def _codes(released: Sequence[Hashable], hidden: Sequence[Hashable]) -> tuple[IntArray, IntArray]:
    if len(released) != len(hidden):
        raise InputError(
            f"{len(released)} released symbols but {len(hidden)} hidden values",
            where="hidden",
        )
    if len(released) < 2:
        raise InputError("needs at least two items", where="released")
    return encode(released), encode(hidden)


def mutual_information_bits(
    released: Sequence[Hashable], hidden: Sequence[Hashable], *, bias_correction: bool = True
) -> float:
    """Estimate of the mutual information between two discrete variables, bits.

    Parameters
    ----------
    released, hidden
        One symbol of each variable per item (equal lengths, >= 2 items).
    bias_correction
        Apply the Miller-Madow correction (default); ``False`` for the plug-in
        estimate.
    """
    r, h = _codes(released, hidden)
    k_r, k_h = int(r.max()) + 1, int(h.max()) + 1
    plugin, corrected = _mi_from_counts(_tables(r[None, :], h[None, :], k_r, k_h), r.size)
    return float(corrected[0] if bias_correction else plugin[0])


def leakage_test(
    released: Sequence[Hashable],
    hidden: Sequence[Hashable],
    *,
    n_permutations: int = 999,
    n_bootstrap: int = 999,
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> LeakageEstimate:
    """Mutual information of releases and a hidden parameter, its significance and bound.

    Parameters
    ----------
    released
        One released symbol per item (e.g. the tuple of all its releases).
    hidden
        The hidden parameter per item, discrete (e.g. :func:`quantile_bins` of a mass).
    n_permutations
        Shuffles of ``hidden`` for the null distribution (>= 1).
    n_bootstrap
        Resamples of the items for the upper bound (>= 1).
    confidence
        One-sided confidence level of the upper bound, in (0, 1).
    rng
        Random generator or seed, for reproducible shuffles and resamples.

    Raises
    ------
    InputError
        Unequal lengths, fewer than two items, bad counts, or more distinct released
        symbols than half the items (bin continuous outputs first).
    """
    r, h = _codes(released, hidden)
    n = r.size
    k_r, k_h = int(r.max()) + 1, int(h.max()) + 1
    if k_r > _MAX_SYMBOL_FRACTION * n:
        raise InputError(
            f"{k_r} distinct released symbols for {n} items: a plug-in estimate cannot "
            "see dependence; bin continuous released outputs first",
            where="released",
        )
    if n_permutations < 1 or n_bootstrap < 1:
        raise InputError("needs at least one permutation and one resample", where="n")
    if not 0.0 < confidence < 1.0:
        raise InputError("must be in (0, 1)", where="confidence")
    gen = np.random.default_rng(rng)

    plugin, corrected = _mi_from_counts(_tables(r[None, :], h[None, :], k_r, k_h), n)
    observed = float(corrected[0])

    shuffled = gen.permuted(np.broadcast_to(h, (n_permutations, n)), axis=1)
    _, null = _mi_from_counts(_tables(np.broadcast_to(r, shuffled.shape), shuffled, k_r, k_h), n)
    exceed = int(np.count_nonzero(null >= observed - _TIE_TOLERANCE_BITS))

    picks = gen.integers(0, n, size=(n_bootstrap, n))
    _, boot = _mi_from_counts(_tables(r[picks], h[picks], k_r, k_h), n)

    return LeakageEstimate(
        mi_bits=observed,
        plugin_mi_bits=float(plugin[0]),
        p_value=(1 + exceed) / (1 + n_permutations),
        null_q95_bits=float(np.quantile(null, 0.95)),
        null_q99_bits=float(np.quantile(null, 0.99)),
        upper_bound_bits=float(np.quantile(boot, confidence)),
        confidence=confidence,
        n_items=n,
        n_released_symbols=k_r,
        n_hidden_symbols=k_h,
        n_permutations=n_permutations,
        n_bootstrap=n_bootstrap,
    )
