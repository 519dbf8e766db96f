"""Energy calibration of a gamma spectrum: a polynomial from channel to energy.

Channel convention: channel ``i`` spans ``[i, i + 1)`` in the continuous channel
coordinate, so a peak centred in the middle of channel 100 has centroid 100.5.
Centroids from :mod:`treatyverify.methods.gamma.peaks` use the same coordinate, and
:meth:`EnergyCalibration.edges` gives the energies of the channel boundaries.

The calibration is data (becquerel's ``Calibration`` is the model): a polynomial
``E(x) = c0 + c1 x + c2 x^2`` in keV with its coefficient covariance, fitted by
weighted least squares to (centroid, energy) pairs, and required to increase over the
channel range it is used on so that it can be inverted.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from treatyverify.errors import InputError

__all__ = ["EnergyCalibration", "LineMatch", "fit_energy_calibration", "match_lines"]

FloatArray = npt.NDArray[np.float64]


def _as_float_array(values: npt.ArrayLike, where: str) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError("must be an array of numbers", where=where) from exc
    if array.ndim != 1:
        raise InputError("must be a one-dimensional array", where=where)
    if not np.all(np.isfinite(array)):
        raise InputError("holds NaN or infinite values", where=where)
    return array


@dataclass(frozen=True, eq=False)
class EnergyCalibration:
    """A polynomial energy calibration ``E(x) = sum_k c_k x^k`` (keV, x in channels).

    Parameters
    ----------
    coefficients
        Polynomial coefficients in increasing power: ``(c0 [keV], c1 [keV/ch],
        c2 [keV/ch^2])``; degree 1 or 2.
    covariance
        Covariance of the coefficients (keV^2 per channel power); NaN when it cannot
        be estimated (as many points as coefficients and no centroid uncertainties).
    channel_range
        Channel interval ``(lo, hi)`` over which the calibration is valid and strictly
        increasing.
    residuals_kev
        Energy minus fitted energy at each calibration point (keV); empty when the
        calibration was not fitted.
    """

    coefficients: tuple[float, ...]
    covariance: FloatArray = field(repr=False)
    channel_range: tuple[float, float]
    residuals_kev: FloatArray = field(default_factory=lambda: np.zeros(0), repr=False)

    def __post_init__(self) -> None:
        if len(self.coefficients) not in (2, 3):
            raise InputError("needs 2 or 3 coefficients (degree 1 or 2)", where="coefficients")
        if not all(np.isfinite(self.coefficients)):
            raise InputError("holds NaN or infinite values", where="coefficients")
        lo, hi = self.channel_range
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise InputError("must be a finite interval lo < hi", where="channel_range")
        if min(self.gain(np.array([lo, hi]))) <= 0.0:
            raise InputError(
                "energy does not increase with channel over the channel range",
                where="coefficients",
            )

    @property
    def degree(self) -> int:
        """Polynomial degree (1 or 2)."""
        return len(self.coefficients) - 1

    def energy(self, channel: npt.ArrayLike) -> FloatArray:
        """Energy (keV) at continuous channel coordinate(s) ``channel``."""
        x = np.asarray(channel, dtype=np.float64)
        return np.asarray(np.polynomial.polynomial.polyval(x, self.coefficients), np.float64)

    def gain(self, channel: npt.ArrayLike) -> FloatArray:
        """Local gain dE/dx (keV per channel) at ``channel``."""
        x = np.asarray(channel, dtype=np.float64)
        deriv = np.polynomial.polynomial.polyder(np.asarray(self.coefficients))
        return np.asarray(np.polynomial.polynomial.polyval(x, deriv), np.float64)

    def channel(self, energy_kev: npt.ArrayLike) -> FloatArray:
        """Continuous channel coordinate of energy ``energy_kev`` (keV): the inverse.

        The increasing branch of the polynomial is inverted in closed form,
        ``x = 2 (E - c0) / (c1 + sqrt(c1^2 + 4 c2 (E - c0)))`` (stable as ``c2 -> 0``),
        then polished by two Newton steps.

        Raises
        ------
        InputError
            When an energy lies beyond the extremum of a quadratic calibration.
        """
        e = np.asarray(energy_kev, dtype=np.float64)
        c = self.coefficients
        c2 = c[2] if self.degree == 2 else 0.0
        disc = c[1] ** 2 + 4.0 * c2 * (e - c[0])
        if np.any(disc < 0.0) or not np.all(np.isfinite(e)):
            raise InputError("energy outside the range the calibration reaches", where="energy_kev")
        x = 2.0 * (e - c[0]) / (c[1] + np.sqrt(disc))
        for _ in range(2):
            x = x - (self.energy(x) - e) / self.gain(x)
        return np.asarray(x, dtype=np.float64)

    def edges(self, n_channels: int) -> FloatArray:
        """Energies (keV) of the ``n_channels + 1`` channel boundaries 0, 1, ..., n."""
        if n_channels < 1:
            raise InputError("must be a positive number of channels", where="n_channels")
        return self.energy(np.arange(n_channels + 1, dtype=np.float64))

    def energy_sigma(self, channel: npt.ArrayLike) -> FloatArray:
        """Standard uncertainty (keV) of the calibrated energy at ``channel``.

        Propagated from the coefficient covariance only (not the centroid).
        """
        x = np.atleast_1d(np.asarray(channel, dtype=np.float64))
        design = np.vander(x, self.degree + 1, increasing=True)
        var = np.einsum("ij,jk,ik->i", design, self.covariance, design)
        return np.asarray(np.sqrt(var).reshape(np.shape(channel)), np.float64)


def fit_energy_calibration(
    centroids_ch: npt.ArrayLike,
    energies_kev: npt.ArrayLike,
    *,
    degree: int = 1,
    centroid_sigmas: npt.ArrayLike | None = None,
    channel_range: tuple[float, float] | None = None,
) -> EnergyCalibration:
    """Fit ``E(x)`` (keV) to peak centroids ``x`` (channels) by weighted least squares.

    Parameters
    ----------
    centroids_ch
        Peak centroids (continuous channel coordinate, channels).
    energies_kev
        Known energies of those peaks (keV), in the same order.
    degree
        Polynomial degree, 1 (linear) or 2 (quadratic).
    centroid_sigmas
        Standard uncertainties of the centroids (channels). They become energy
        weights through the local gain, ``sigma_E = |dE/dx| sigma_x`` (the effective
        variance method, iterated twice). Without them all points weigh the same and
        the covariance is scaled by the residual variance (needs more points than
        coefficients; otherwise the covariance is NaN).
    channel_range
        Channels ``(lo, hi)`` over which the calibration must increase and be valid;
        by default the span of the centroids.

    Returns
    -------
    EnergyCalibration
        Coefficients, covariance and residuals.

    Raises
    ------
    InputError
        Too few points for the degree, NaN values, mismatched lengths, non-positive
        sigmas, or a calibration that does not increase over ``channel_range``.
    """
    if degree not in (1, 2):
        raise InputError("must be 1 or 2", where="degree")
    x = _as_float_array(centroids_ch, "centroids_ch")
    e = _as_float_array(energies_kev, "energies_kev")
    if x.size != e.size:
        raise InputError("must have one value per centroid in centroids_ch", where="energies_kev")
    if x.size < degree + 1:
        raise InputError(
            f"needs at least {degree + 1} points for degree {degree}",
            where="centroids_ch",
        )
    if np.unique(x).size < degree + 1:
        raise InputError("needs distinct centroids", where="centroids_ch")
    sig_x: FloatArray | None = None
    if centroid_sigmas is not None:
        sig_x = _as_float_array(centroid_sigmas, "centroid_sigmas")
        if sig_x.size != x.size:
            raise InputError("must have one value per centroid", where="centroid_sigmas")
        if np.any(sig_x <= 0.0):
            raise InputError("must be positive", where="centroid_sigmas")

    # Scale channels to order one so that the normal equations stay well conditioned.
    scale = float(np.max(np.abs(x)))
    powers = np.arange(degree + 1)
    unscale = scale ** (-powers.astype(np.float64))
    design = np.vander(x / scale, degree + 1, increasing=True)
    weights = np.ones_like(x)
    coef = np.zeros(degree + 1)
    for _ in range(3 if sig_x is not None else 1):
        sw = np.sqrt(weights)
        coef_scaled, *_ = np.linalg.lstsq(design * sw[:, None], e * sw, rcond=None)
        coef = coef_scaled * unscale
        if sig_x is not None:
            gain = np.polynomial.polynomial.polyval(x, np.polynomial.polynomial.polyder(coef))
            weights = 1.0 / (gain * sig_x) ** 2
    fitted = np.polynomial.polynomial.polyval(x, coef)
    residuals = np.asarray(e - fitted, dtype=np.float64)
    normal = design.T @ (design * weights[:, None])
    cov_scaled = np.linalg.inv(normal)
    if sig_x is None:
        dof = x.size - (degree + 1)
        if dof > 0:
            cov_scaled = cov_scaled * float(np.sum(residuals**2)) / dof
        else:
            cov_scaled = np.full_like(cov_scaled, np.nan)
    covariance = np.asarray(cov_scaled * np.outer(unscale, unscale), dtype=np.float64)
    if channel_range is None:
        channel_range = (float(np.min(x)), float(np.max(x)))
    try:
        return EnergyCalibration(
            coefficients=tuple(float(c) for c in coef),
            covariance=covariance,
            channel_range=(float(channel_range[0]), float(channel_range[1])),
            residuals_kev=residuals,
        )
    except InputError as exc:
        raise InputError(
            f"the fitted calibration is not monotonic: {exc.message}", where="energies_kev"
        ) from exc


@dataclass(frozen=True, eq=False)
class LineMatch:
    """Result of :func:`match_lines`.

    Parameters
    ----------
    calibration
        Calibration fitted to the matched pairs.
    peak_indices
        Index into the peak list of each matched pair.
    line_indices
        Index into the reference line list of each matched pair.
    residuals_kev
        Reference energy minus calibrated peak energy of each pair (keV).
    """

    calibration: EnergyCalibration
    peak_indices: npt.NDArray[np.int64]
    line_indices: npt.NDArray[np.int64]
    residuals_kev: FloatArray

    @property
    def n_matched(self) -> int:
        """Number of peak-line pairs matched."""
        return int(self.peak_indices.size)


def _assign(
    predicted_ch: FloatArray, peaks: FloatArray, tolerance_ch: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Greedy one-to-one assignment of lines to the nearest peaks within tolerance."""
    dist = np.abs(predicted_ch[:, None] - peaks[None, :])
    lines_idx, peaks_idx = np.nonzero(dist <= tolerance_ch)
    order = np.argsort(dist[lines_idx, peaks_idx], kind="stable")
    used_lines: set[int] = set()
    used_peaks: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for k in order:
        li, pi = int(lines_idx[k]), int(peaks_idx[k])
        if li not in used_lines and pi not in used_peaks:
            used_lines.add(li)
            used_peaks.add(pi)
            pairs.append((pi, li))
    pairs.sort()
    p = np.array([a for a, _ in pairs], dtype=np.int64)
    ln = np.array([b for _, b in pairs], dtype=np.int64)
    return p, ln


def match_lines(
    peak_centroids_ch: npt.ArrayLike,
    reference_energies_kev: npt.ArrayLike,
    *,
    gain_range_kev_per_ch: tuple[float, float],
    offset_range_kev: tuple[float, float] | None = None,
    tolerance_ch: float = 2.0,
    degree: int = 1,
    min_matches: int = 3,
) -> LineMatch:
    """Find the energy calibration from found peaks and known lines, given a gain range.

    Algorithm (pattern matching by pair hypotheses): every pair of peaks
    ``x_i < x_j`` and every pair of reference lines ``E_k < E_l`` defines a linear
    hypothesis ``gain = (E_l - E_k) / (x_j - x_i)``, ``offset = E_k - gain x_i``.
    Hypotheses outside ``gain_range_kev_per_ch`` (and ``offset_range_kev`` if given)
    are dropped. Each remaining hypothesis predicts the channel of every reference
    line; a line counts as matched when a peak lies within ``tolerance_ch`` channels
    of its prediction. The hypothesis matching the most lines wins; ties go to the
    smallest sum of squared channel misfits. Lines are then assigned one-to-one to
    the nearest peaks (greedy by distance), a calibration of ``degree`` is fitted to
    the pairs, and assignment and fit are repeated once with the refined calibration.
    The cost grows as (peaks^2 x lines^2 / 4) x (peaks x lines), fine for tens of each.

    Parameters
    ----------
    peak_centroids_ch
        Centroids of found peaks (channels); extra peaks not in the reference list
        are allowed.
    reference_energies_kev
        Energies of known lines (keV); lines without a peak are allowed.
    gain_range_kev_per_ch
        Allowed range of the linear gain (keV per channel), ``(low, high)``.
    offset_range_kev
        Allowed range of the offset at channel 0 (keV); ``None`` for no limit.
        Giving one is advisable: with a free offset, chance three-line matches at
        absurd offsets are easy to find when the true gain is outside the range.
    tolerance_ch
        How far (channels) a peak may lie from a line's predicted channel and still
        match it; about a peak FWHM is a reasonable choice for well separated peaks.
    degree
        Degree of the final calibration (1 or 2).
    min_matches
        Fewest matched lines accepted (at least ``degree + 1``).

    Returns
    -------
    LineMatch
        The calibration and the matched pairs.

    Raises
    ------
    InputError
        When inputs are invalid or no hypothesis matches ``min_matches`` lines.
    """
    peaks = np.sort(_as_float_array(peak_centroids_ch, "peak_centroids_ch"))
    order_peaks = np.argsort(_as_float_array(peak_centroids_ch, "peak_centroids_ch"))
    lines_in = _as_float_array(reference_energies_kev, "reference_energies_kev")
    order_lines = np.argsort(lines_in)
    lines = lines_in[order_lines]
    g_lo, g_hi = gain_range_kev_per_ch
    if not (0.0 < g_lo <= g_hi and np.isfinite(g_hi)):
        raise InputError("must be 0 < low <= high", where="gain_range_kev_per_ch")
    if offset_range_kev is not None and not offset_range_kev[0] <= offset_range_kev[1]:
        raise InputError("must be low <= high", where="offset_range_kev")
    if not tolerance_ch > 0.0:
        raise InputError("must be positive", where="tolerance_ch")
    if degree not in (1, 2):
        raise InputError("must be 1 or 2", where="degree")
    min_matches = max(min_matches, degree + 1, 2)
    if peaks.size < 2 or lines.size < 2:
        raise InputError("needs at least two peaks and two lines", where="peak_centroids_ch")

    best: tuple[int, float, float, float] | None = None  # (-matches, misfit, gain, offset)
    for i, j in itertools.combinations(range(peaks.size), 2):
        dx = peaks[j] - peaks[i]
        if dx <= 0.0:
            continue
        for k, m in itertools.combinations(range(lines.size), 2):
            gain = (lines[m] - lines[k]) / dx
            if not g_lo <= gain <= g_hi:
                continue
            offset = lines[k] - gain * peaks[i]
            if offset_range_kev is not None and not (
                offset_range_kev[0] <= offset <= offset_range_kev[1]
            ):
                continue
            predicted = (lines - offset) / gain
            dist = np.min(np.abs(predicted[:, None] - peaks[None, :]), axis=1)
            hit = dist <= tolerance_ch
            key = (-int(np.sum(hit)), float(np.sum(dist[hit] ** 2)), gain, offset)
            if best is None or key[:2] < best[:2]:
                best = key
    if best is None or -best[0] < min_matches:
        raise InputError(
            f"no calibration within the gain range matches {min_matches} lines",
            where="reference_energies_kev",
        )
    _, _, gain, offset = best
    calibration = EnergyCalibration(
        coefficients=(offset, gain),
        covariance=np.full((2, 2), np.nan),
        channel_range=(float(min(0.0, peaks[0])), float(peaks[-1]) + 1.0),
    )
    p_idx = l_idx = np.zeros(0, dtype=np.int64)
    for _ in range(2):
        p_idx, l_idx = _assign(calibration.channel(lines), peaks, tolerance_ch)
        if p_idx.size < min_matches:
            raise InputError(
                f"fewer than {min_matches} lines could be matched one-to-one",
                where="reference_energies_kev",
            )
        fit_degree = degree if p_idx.size > degree + 1 or degree == 1 else 1
        calibration = fit_energy_calibration(
            peaks[p_idx],
            lines[l_idx],
            degree=fit_degree,
            channel_range=(float(min(0.0, peaks[0])), float(peaks[-1]) + 1.0),
        )
    residuals = np.asarray(lines[l_idx] - calibration.energy(peaks[p_idx]), dtype=np.float64)
    return LineMatch(
        calibration=calibration,
        peak_indices=np.asarray(order_peaks[p_idx], dtype=np.int64),
        line_indices=np.asarray(order_lines[l_idx], dtype=np.int64),
        residuals_kev=residuals,
    )
