"""Peak search and Poisson-likelihood fits of peak multiplets in gamma spectra.

Channel convention (the same as :mod:`treatyverify.methods.gamma.calibration`):
channel ``i`` spans ``[i, i + 1)`` in the continuous channel coordinate, so a peak
centred in the middle of channel 100 has centroid 100.5. Spectra are plain arrays of
counts per channel.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from iminuit import Minuit
from scipy import special

from treatyverify.errors import InputError
from treatyverify.methods.gamma.calibration import EnergyCalibration

__all__ = [
    "FittedPeak",
    "MultipletFit",
    "PeakSearch",
    "find_peaks",
    "fit_multiplet",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: FWHM / sigma of a Gaussian, 2 sqrt(2 ln 2).
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
_SQRT_2PI = math.sqrt(2.0 * math.pi)

BackgroundKind = Literal["linear", "quadratic", "step"]


def _counts_array(counts: npt.ArrayLike) -> FloatArray:
    try:
        array = np.asarray(counts, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError("must be an array of counts", where="counts") from exc
    if array.ndim != 1 or array.size == 0:
        raise InputError("must be a non-empty one-dimensional array", where="counts")
    if not np.all(np.isfinite(array)):
        raise InputError("holds NaN or infinite values", where="counts")
    if np.any(array < 0.0):
        raise InputError("holds negative counts", where="counts")
    return array


def _ndtr(x: FloatArray) -> FloatArray:
    """Standard normal cumulative distribution."""
    return np.asarray(special.ndtr(x), dtype=np.float64)


# --------------------------------------------------------------------------- search


@dataclass(frozen=True, eq=False)
class PeakSearch:
    """Peak candidates from :func:`find_peaks`.

    Parameters
    ----------
    centroids_ch
        Candidate centroids (continuous channel coordinate, channels), increasing.
    significances
        Filter output over its Poisson standard deviation at each candidate.
    channels
        Channel index of the filter maximum of each candidate.
    filtered
        Filter output for every channel (counts; 0 where the kernel overhangs).
    filtered_sigma
        Poisson standard deviation of the filter output for every channel (counts).
    """

    centroids_ch: FloatArray
    significances: FloatArray
    channels: IntArray
    filtered: FloatArray = field(repr=False)
    filtered_sigma: FloatArray = field(repr=False)

    def __len__(self) -> int:
        return int(self.centroids_ch.size)


def second_derivative_kernel(fwhm_ch: float) -> FloatArray:
    """Zero-sum kernel: minus the second derivative of a Gaussian, per channel.

    The Gaussian has the given FWHM (channels); each coefficient is the integral of
    ``-g''(x)`` over a channel, ``g'(j - 1/2) - g'(j + 1/2)``, for offsets
    ``j = -w..w`` with ``w = ceil(3 sigma)``; the mean is subtracted so that the
    kernel sums to zero and a constant or linear background gives no response.
    """
    sigma = fwhm_ch / FWHM_PER_SIGMA
    half = max(2, math.ceil(3.0 * sigma))
    j = np.arange(-half, half + 1, dtype=np.float64)

    def dgauss(x: FloatArray) -> FloatArray:
        return np.asarray(-x / sigma**2 * np.exp(-0.5 * (x / sigma) ** 2) / (_SQRT_2PI * sigma))

    kernel = dgauss(j - 0.5) - dgauss(j + 0.5)
    return np.asarray(kernel - kernel.mean(), dtype=np.float64)


def find_peaks(
    counts: npt.ArrayLike,
    *,
    fwhm_ch: float,
    min_significance: float = 4.0,
) -> PeakSearch:
    """Search a spectrum for peaks with a smoothed second-difference filter.

    Method (Mariscotti, Nucl. Instrum. Methods 50 (1967) 309; in the Gaussian
    form described by Gilmore, *Practical Gamma-ray Spectrometry*, 2nd ed., Wiley
    2008): the spectrum is correlated with a zero-sum kernel ``k`` equal to
    minus the second derivative of a Gaussian of the expected peak width
    (:func:`second_derivative_kernel`). A constant or linearly varying continuum
    gives zero response; a peak gives a positive maximum at its centroid. Because
    channel counts ``n`` are independent Poisson variables, the filter output
    ``S_i = sum_j k_j n_{i+j}`` has variance ``sum_j k_j^2 n_{i+j}``, estimated
    from the observed counts. A candidate is a local maximum of ``S`` whose
    significance ``S_i / sqrt(var S_i)`` reaches ``min_significance``; its centroid
    is refined by a parabola through the filter output at ``i - 1, i, i + 1``.
    Channels within the kernel half-width of either end are not searched.

    False candidates: in simulated flat Poisson spectra of 4096 channels (FWHM 5
    channels, continua of 2 to 1000 counts per channel) the default threshold of 4
    gave at most 0.1 false candidates per spectrum on average, a threshold of 3
    gave up to about 4.

    Parameters
    ----------
    counts
        Counts per channel.
    fwhm_ch
        Expected peak FWHM (channels); the filter is tuned to it.
    min_significance
        Threshold on the filter significance (standard deviations).

    Returns
    -------
    PeakSearch
        Candidate centroids and significances.

    Raises
    ------
    InputError
        For bad counts, a non-positive width, or a spectrum shorter than the kernel.
    """
    n = _counts_array(counts)
    if not (math.isfinite(fwhm_ch) and fwhm_ch > 0.0):
        raise InputError("must be a positive number of channels", where="fwhm_ch")
    if not math.isfinite(min_significance):
        raise InputError("must be a finite number", where="min_significance")
    kernel = second_derivative_kernel(fwhm_ch)
    half = (kernel.size - 1) // 2
    if n.size < kernel.size + 2:
        raise InputError(
            "has fewer channels than the filter needs (its width plus two)",
            where="counts",
        )
    # "valid" correlation: value for channel i uses channels i-half..i+half
    s_valid = np.correlate(n, kernel, mode="valid")
    v_valid = np.correlate(n, kernel**2, mode="valid")
    filtered = np.zeros_like(n)
    variance = np.zeros_like(n)
    filtered[half : n.size - half] = s_valid
    variance[half : n.size - half] = v_valid
    sigma = np.sqrt(variance)
    signif = np.divide(filtered, sigma, out=np.zeros_like(n), where=variance > 0.0)

    inner = np.arange(half + 1, n.size - half - 1)
    left, mid, right = filtered[inner - 1], filtered[inner], filtered[inner + 1]
    is_peak = (mid > left) & (mid >= right) & (signif[inner] >= min_significance)
    idx = inner[is_peak]
    s_l, s_m, s_r = filtered[idx - 1], filtered[idx], filtered[idx + 1]
    curvature = s_l - 2.0 * s_m + s_r
    delta = np.divide(0.5 * (s_l - s_r), curvature, out=np.zeros(idx.size), where=curvature < 0.0)
    delta = np.clip(delta, -0.5, 0.5)
    return PeakSearch(
        centroids_ch=np.asarray(idx + 0.5 + delta, dtype=np.float64),
        significances=np.asarray(signif[idx], dtype=np.float64),
        channels=np.asarray(idx, dtype=np.int64),
        filtered=filtered,
        filtered_sigma=np.asarray(sigma, dtype=np.float64),
    )


# --------------------------------------------------------------------------- fit


@dataclass(frozen=True)
class FittedPeak:
    """One Gaussian peak of a :class:`MultipletFit`.

    Parameters
    ----------
    area
        Net peak area (counts).
    area_sigma
        Standard uncertainty of the area (counts).
    centroid_ch
        Centroid (continuous channel coordinate, channels).
    centroid_sigma
        Standard uncertainty of the centroid (channels).
    fwhm_ch
        Full width at half maximum (channels).
    fwhm_sigma
        Standard uncertainty of the FWHM (channels).
    energy_kev
        The known energy the peak was tied to (keV), if any.
    """

    area: float
    area_sigma: float
    centroid_ch: float
    centroid_sigma: float
    fwhm_ch: float
    fwhm_sigma: float
    energy_kev: float | None = None


@dataclass(frozen=True, eq=False)
class MultipletFit:
    """Result of :func:`fit_multiplet`.

    Parameters
    ----------
    lo, hi
        The region of interest: channels ``lo`` to ``hi - 1``.
    peaks
        The fitted peaks, in the order of the guesses.
    background
        Background model name.
    background_names
        Names of the background parameters: ``b_lo`` and ``b_hi`` (counts per
        channel of the linear part in the first and last channel of the region,
        both bounded below by zero so the linear background never goes negative),
        for the quadratic model ``b2`` (counts per channel^3: the coefficient of
        ``(x - x_first)(x - x_last)``, zero at both ends) and for the step model
        ``step`` (step height in counts per channel per count of peak area).
    background_values, background_sigmas
        Their values and standard uncertainties.
    parameter_names, values, covariance
        All fit parameters, their values and covariance (from the Hessian of the
        deviance at the minimum).
    deviance
        Poisson deviance ``2 sum(mu - n + n ln(n / mu))`` at the minimum.
    ndof
        Degrees of freedom: channels in the region minus free parameters.
    converged
        Whether MIGRAD reported a valid minimum with an accurate covariance (from
        HESSE, or from an exact Hessian that is positive definite).
    model_counts
        Expected counts per channel of the region at the minimum.
    """

    lo: int
    hi: int
    peaks: tuple[FittedPeak, ...]
    background: str
    background_names: tuple[str, ...]
    background_values: FloatArray = field(repr=False)
    background_sigmas: FloatArray = field(repr=False)
    parameter_names: tuple[str, ...]
    values: FloatArray = field(repr=False)
    covariance: FloatArray = field(repr=False)
    deviance: float
    ndof: int
    converged: bool
    model_counts: FloatArray = field(repr=False)

    @property
    def areas(self) -> FloatArray:
        """Peak areas (counts)."""
        return np.array([p.area for p in self.peaks], dtype=np.float64)

    @property
    def area_sigmas(self) -> FloatArray:
        """Standard uncertainties of the peak areas (counts)."""
        return np.array([p.area_sigma for p in self.peaks], dtype=np.float64)

    @property
    def area_covariance(self) -> FloatArray:
        """Covariance matrix of the peak areas (counts^2)."""
        idx = [self.parameter_names.index(f"area{k}") for k in range(len(self.peaks))]
        return np.asarray(self.covariance[np.ix_(idx, idx)], dtype=np.float64)

    @property
    def centroids_ch(self) -> FloatArray:
        """Peak centroids (channels)."""
        return np.array([p.centroid_ch for p in self.peaks], dtype=np.float64)


class _Model:
    """Expected counts per channel of a region for a parameter vector."""

    def __init__(
        self,
        lo: int,
        hi: int,
        n_peaks: int,
        background: BackgroundKind,
        base_channels: FloatArray | None,
        width_mode: Literal["shared", "each", "model"],
        fwhm_model: Callable[[FloatArray], FloatArray] | None,
    ) -> None:
        self.lower = np.arange(lo, hi, dtype=np.float64)
        centres = self.lower + 0.5
        self.t = (centres - centres[0]) / (centres[-1] - centres[0])  # 0 first, 1 last
        # (x - x_first)(x - x_last) integrated over each channel, per channel.
        self.bowl = (centres - centres[0]) * (centres - centres[-1]) + 1.0 / 12.0
        self.n_peaks = n_peaks
        self.background = background
        self.base = base_channels
        self.width_mode = width_mode
        self.fwhm_model = fwhm_model
        names = [f"area{k}" for k in range(n_peaks)]
        names += ["shift"] if base_channels is not None else [f"x{k}" for k in range(n_peaks)]
        if width_mode == "shared":
            names.append("fwhm")
        elif width_mode == "each":
            names += [f"fwhm{k}" for k in range(n_peaks)]
        else:
            names.append("fwhm_scale")
        extra = {"linear": [], "quadratic": ["b2"], "step": ["step"]}
        self.bkg_names = ["b_lo", "b_hi", *extra[background]]
        self.names = tuple(names + self.bkg_names)
        self.edges = np.append(self.lower, self.lower[-1] + 1.0)
        # Parameter index of each peak's area, centroid and FWHM (for the derivatives).
        k = n_peaks
        self.area_index = np.arange(k)
        self.centroid_index = np.full(k, k) if base_channels is not None else np.arange(k, 2 * k)
        first_width = k + (1 if base_channels is not None else k)
        self.width_index = (
            np.full(k, first_width)
            if width_mode != "each"
            else np.arange(first_width, first_width + k)
        )
        self.bkg_index = len(names)

    @property
    def analytic(self) -> bool:
        """Whether :meth:`derivatives` applies to this model.

        It does for a linear or quadratic background with free widths (shared or one
        each); the step background and the width model are left to numerical
        derivatives.
        """
        return self.background in ("linear", "quadratic") and self.width_mode != "model"

    def unpack(self, p: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Areas, centroids, FWHMs (channels) and background parameters."""
        k = self.n_peaks
        areas = p[:k]
        if self.base is not None:
            centroids = self.base + p[k]
            i = k + 1
        else:
            centroids = p[k : 2 * k]
            i = 2 * k
        if self.width_mode == "shared":
            fwhms = np.full(k, p[i])
            i += 1
        elif self.width_mode == "each":
            fwhms = p[i : i + k]
            i += k
        else:
            shape = self.fwhm_model
            if shape is None:
                raise RuntimeError("width mode 'model' needs an fwhm_model")
            fwhms = p[i] * np.asarray(shape(centroids), dtype=np.float64)
            i += 1
        return areas, centroids, fwhms, p[i:]

    def __call__(self, p: FloatArray) -> FloatArray:
        areas, centroids, fwhms, bkg = self.unpack(p)
        sig = fwhms / FWHM_PER_SIGMA
        edges = self.edges
        z = (edges[:, None] - centroids[None, :]) / sig[None, :]
        cdf = _ndtr(z)
        mu = (np.diff(cdf, axis=0) * areas[None, :]).sum(axis=1)
        # Polynomial background integrated exactly over each channel.
        mu = mu + bkg[0] * (1.0 - self.t) + bkg[1] * self.t
        if self.background == "quadratic":
            mu = mu + bkg[2] * self.bowl
        elif self.background == "step":
            # Step of height step*A_k below each peak: integral over the channel of
            # Q(u) = 1 - Phi(u / sigma), antiderivative u Q(u) - sigma^2 phi_sigma(u).
            u = edges[:, None] - centroids[None, :]
            q = 1.0 - cdf
            phi = np.exp(-0.5 * z**2) / _SQRT_2PI  # sigma^2 phi_sigma(u) = sigma phi(z)
            anti = u * q - sig[None, :] * phi
            mu = mu + bkg[2] * (np.diff(anti, axis=0) * areas[None, :]).sum(axis=1)
        return np.asarray(mu, dtype=np.float64)

    def derivatives(
        self, p: FloatArray, weights: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        """Expected counts, their Jacobian and, given ``weights``, a curvature term.

        Only for :attr:`analytic` models. With ``z = (e - x) / s`` at the channel
        edges ``e`` (``s`` the Gaussian sigma, ``f = FWHM_PER_SIGMA s`` the FWHM) a
        peak contributes ``A [Phi(z_hi) - Phi(z_lo)]`` to a channel, and
        ``dPhi/dx = -phi / s``, ``dPhi/ds = -z phi / s``, ``d2Phi/dx2 = -z phi / s^2``,
        ``d2Phi/dx ds = (1 - z^2) phi / s^2``, ``d2Phi/ds2 = z (2 - z^2) phi / s^2``.
        The background is linear in its parameters.

        Parameters
        ----------
        p
            Parameter vector (in the order of :attr:`names`).
        weights
            Per-channel weights ``w_i``; when given, the third value is
            ``sum_i w_i d2 mu_i / dp_a dp_b`` (parameters x parameters).

        Returns
        -------
        tuple
            ``mu`` (counts per channel), the Jacobian ``d mu_i / d p_a`` (channels x
            parameters) and the curvature term or ``None``.
        """
        areas, centroids, fwhms, bkg = self.unpack(p)
        k = self.n_peaks
        sig = fwhms / FWHM_PER_SIGMA
        z = (self.edges[:, None] - centroids[None, :]) / sig[None, :]
        pdf = np.exp(-0.5 * z * z) / _SQRT_2PI
        zpdf = z * pdf
        d_area = np.diff(_ndtr(z), axis=0)
        d_pdf = np.diff(pdf, axis=0)
        d_zpdf = np.diff(zpdf, axis=0)
        a_over_s = areas / sig
        d_centroid = -a_over_s[None, :] * d_pdf
        d_fwhm = (-a_over_s / FWHM_PER_SIGMA)[None, :] * d_zpdf
        jac = np.zeros((self.lower.size, len(self.names)))
        jac[:, :k] = d_area
        if self.base is not None:
            jac[:, k] = d_centroid.sum(axis=1)
        else:
            jac[:, k : 2 * k] = d_centroid
        if self.width_mode == "shared":
            jac[:, self.width_index[0]] = d_fwhm.sum(axis=1)
        else:
            jac[:, self.width_index] = d_fwhm
        b = self.bkg_index
        jac[:, b] = 1.0 - self.t
        jac[:, b + 1] = self.t
        mu = d_area @ areas + bkg[0] * (1.0 - self.t) + bkg[1] * self.t
        if self.background == "quadratic":
            jac[:, b + 2] = self.bowl
            mu = mu + bkg[2] * self.bowl
        if weights is None:
            return np.asarray(mu, dtype=np.float64), jac, None
        # Weighted sums over channels of the second derivatives, one value per peak.
        s2 = sig * sig
        w_pdf = weights @ d_pdf
        w_zpdf = weights @ d_zpdf
        w_xs = weights @ np.diff(pdf - z * zpdf, axis=0)
        w_ss = weights @ np.diff(zpdf * (2.0 - z * z), axis=0)
        area_centroid = -w_pdf / sig
        area_fwhm = -w_zpdf / (sig * FWHM_PER_SIGMA)
        centroid_centroid = -areas * w_zpdf / s2
        centroid_fwhm = areas * w_xs / (s2 * FWHM_PER_SIGMA)
        fwhm_fwhm = areas * w_ss / (s2 * FWHM_PER_SIGMA**2)
        ia, ix, iw = self.area_index, self.centroid_index, self.width_index
        rows = np.concatenate([ia, ix, ia, iw, ix, ix, iw, iw])
        cols = np.concatenate([ix, ia, iw, ia, ix, iw, ix, iw])
        vals = np.concatenate(
            [
                area_centroid,
                area_centroid,
                area_fwhm,
                area_fwhm,
                centroid_centroid,
                centroid_fwhm,
                centroid_fwhm,
                fwhm_fwhm,
            ]
        )
        curvature = np.zeros((len(self.names), len(self.names)))
        np.add.at(curvature, (rows, cols), vals)
        return np.asarray(mu, dtype=np.float64), jac, curvature


_MU_FLOOR = 1e-12
"""Expected counts are floored here in the deviance, so the logarithm stays finite."""


class _Deviance:
    """Poisson deviance ``D(p) = 2 sum(mu - n + n ln(n / mu))`` of a model, with its
    analytic gradient and Hessian for :attr:`_Model.analytic` models.

    ``dD/dp_a = 2 sum_i (1 - n_i / mu_i) dmu_i/dp_a`` and
    ``d2D/dp_a dp_b = 2 sum_i [n_i / mu_i^2 dmu_i/dp_a dmu_i/dp_b
    + (1 - n_i / mu_i) d2mu_i/dp_a dp_b]`` (the exact, observed Hessian, the one
    HESSE would estimate by finite differences). Channels whose expectation is at the
    floor contribute a constant and no derivative.
    """

    def __init__(self, counts: FloatArray, model: _Model) -> None:
        self.counts = counts
        self.model = model
        self.n_log_n = np.asarray(special.xlogy(counts, counts), dtype=np.float64)

    def __call__(self, p: FloatArray) -> float:
        mu = np.maximum(self.model(np.asarray(p, dtype=np.float64)), _MU_FLOOR)
        terms = mu - self.counts + self.n_log_n - self.counts * np.log(mu)
        return float(2.0 * np.sum(terms))

    def _ratio(self, mu: FloatArray) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        above = mu > _MU_FLOOR
        safe = np.where(above, mu, 1.0)
        return self.counts / safe, above

    def gradient(self, p: FloatArray) -> FloatArray:
        """Gradient of the deviance (per unit of each parameter)."""
        mu, jac, _ = self.model.derivatives(np.asarray(p, dtype=np.float64))
        ratio, above = self._ratio(mu)
        residual = np.where(above, 2.0 * (1.0 - ratio), 0.0)
        return np.asarray(residual @ jac, dtype=np.float64)

    def hessian_matrix(self, p: FloatArray) -> FloatArray:
        """Hessian of the deviance (parameters x parameters)."""
        p = np.asarray(p, dtype=np.float64)
        mu = self.model(p)
        ratio, above = self._ratio(mu)
        residual = np.where(above, 2.0 * (1.0 - ratio), 0.0)
        _, jac, curvature = self.model.derivatives(p, residual)
        if curvature is None:  # pragma: no cover - derivatives() returns it with weights
            raise RuntimeError("no curvature term")
        weight = np.where(above, 2.0 * ratio / np.where(above, mu, 1.0), 0.0)
        return np.asarray(jac.T @ (weight[:, None] * jac) + curvature, dtype=np.float64)


def fit_multiplet(
    counts: npt.ArrayLike,
    lo: int,
    hi: int,
    centroids_guess: Sequence[float],
    *,
    fwhm_guess: float,
    background: BackgroundKind = "linear",
    shared_width: bool = True,
    energies: Sequence[float] | None = None,
    calibration: EnergyCalibration | None = None,
    fwhm_model: Callable[[FloatArray], FloatArray] | None = None,
    fix_width: bool = False,
) -> MultipletFit:
    """Fit Gaussian peaks over a background in one region by Poisson likelihood.

    Model: the expected counts in channel ``i`` (spanning ``[i, i + 1)``) are
    ``mu_i = sum_k A_k [Phi((i + 1 - x_k) / s_k) - Phi((i - x_k) / s_k)] + B_i``:
    each Gaussian is integrated over the channel with the error function, and the
    background ``B_i`` is integrated exactly (linear, quadratic, or linear plus a
    smoothed step of height proportional to each peak's area below it, as in
    Gilmore 2008). The parameters minimise the Poisson deviance
    ``D = 2 sum_i (mu_i - n_i + n_i ln(n_i / mu_i))`` (Baker and Cousins, Nucl.
    Instrum. Methods 221 (1984) 437), which equals twice the negative
    log-likelihood up to a constant, so its ``errordef`` is 1. The minimiser is
    MIGRAD (iminuit); the covariance is the inverse of the Hessian of ``D / 2`` at
    the minimum. For a linear or quadratic background with free or shared widths
    MIGRAD is given the exact gradient of ``D`` (strategy 0) and the covariance
    comes from the exact Hessian (:func:`_covariance_at_minimum`); for the step
    background and the width model both are numerical (strategy 1, HESSE). Areas
    are bounded below by zero; centroids lie in the region; widths within a factor
    five of the guess; the linear background is parametrised by its values in the
    first and last channel, both bounded below by zero, so it never goes negative
    (see :class:`MultipletFit`).

    Parameters
    ----------
    counts
        Counts per channel of the whole spectrum.
    lo, hi
        The region of interest: channels ``lo`` to ``hi - 1`` (``0 <= lo < hi <=
        len(counts)``).
    centroids_guess
        Starting centroid of each peak (channels).
    fwhm_guess
        Starting FWHM (channels), also the scale for the width bounds.
    background
        ``"linear"``, ``"quadratic"`` or ``"step"`` (linear plus step).
    shared_width
        One FWHM for all peaks (``True``) or one each (``False``).
    energies
        Known energies (keV) of the peaks, one per guess. With them the centroids
        are tied to ``calibration.channel(energies) + shift`` with one free shift, so
        the peaks keep their known relative positions (a known multiplet).
    calibration
        Energy calibration; needed with ``energies``.
    fwhm_model
        FWHM (channels) as a function of centroid (channels); when given the widths
        follow it up to one free scale factor (starting at 1) and ``shared_width``
        is ignored.
    fix_width
        Hold the width parameters at their starting values (``fwhm_guess``, or the
        ``fwhm_model`` with scale 1) instead of fitting them: advisable for weak
        peaks, where a free width trades off against the background.

    Returns
    -------
    MultipletFit
        Areas, centroids and widths with uncertainties, background, deviance,
        degrees of freedom, covariance and a convergence flag.

    Raises
    ------
    InputError
        For bad counts, a region out of range, too short or empty, guesses outside
        the region, a non-positive width, an unknown background, or energies without
        a calibration.
    """
    n_all = _counts_array(counts)
    if not (0 <= lo < hi <= n_all.size):
        raise InputError(
            "the fit region must lie inside the spectrum (0 <= lo < hi <= channels)",
            where="lo/hi",
        )
    if background not in ("linear", "quadratic", "step"):
        raise InputError(
            f"unknown background {background!r}; use linear, quadratic or step",
            where="background",
        )
    guesses = np.asarray(centroids_guess, dtype=np.float64).ravel()
    if guesses.size == 0 or not np.all(np.isfinite(guesses)):
        raise InputError("needs at least one finite centroid", where="centroids_guess")
    if np.any((guesses < lo) | (guesses > hi)):
        raise InputError("centroids must lie in the fit region [lo, hi)", where="centroids_guess")
    if not (math.isfinite(fwhm_guess) and fwhm_guess > 0.0):
        raise InputError("must be a positive number of channels", where="fwhm_guess")
    n_peaks = guesses.size
    base: FloatArray | None = None
    energy_list: list[float | None] = [None] * n_peaks
    if energies is not None:
        e = np.asarray(energies, dtype=np.float64).ravel()
        if e.size != n_peaks or not np.all(np.isfinite(e)):
            raise InputError("needs one finite energy per centroid guess", where="energies")
        if calibration is None:
            raise InputError("tying peaks to energies needs a calibration", where="calibration")
        base = calibration.channel(e)
        energy_list = [float(v) for v in e]
    width_mode: Literal["shared", "each", "model"] = (
        "model" if fwhm_model is not None else "shared" if shared_width else "each"
    )
    model = _Model(lo, hi, n_peaks, background, base, width_mode, fwhm_model)
    n = n_all[lo:hi]
    if n.sum() <= 0.0:
        raise InputError("the fit region holds no counts", where="counts")
    if n.size <= len(model.names):
        raise InputError(
            "the fit region has no more channels than the model has parameters",
            where="lo/hi",
        )

    start, errors, limits = _starting_values(n, lo, hi, guesses, fwhm_guess, model)
    deviance = _Deviance(n, model)
    minuit = Minuit(
        deviance,
        start,
        grad=deviance.gradient if model.analytic else False,
        hessian=False,
        name=model.names,
    )
    minuit.errordef = Minuit.LEAST_SQUARES  # deviance = 2 (-ln L) + const
    minuit.errors = errors
    for name, limit in zip(model.names, limits, strict=True):
        minuit.limits[name] = limit
    fixed = np.array([fix_width and name.startswith("fwhm") for name in model.names])
    for name, hold in zip(model.names, fixed, strict=True):
        if hold:
            minuit.fixed[name] = True
    # With the exact gradient MIGRAD needs no numerical derivatives and no final
    # Hessian of its own (strategy 0): the covariance comes from the exact Hessian.
    minuit.strategy = 0 if model.analytic else 1
    minuit.migrad()
    if not minuit.valid:
        minuit.simplex()
        minuit.migrad()
    values = np.array(minuit.values, dtype=np.float64)
    if model.analytic:
        covariance, positive = _covariance_at_minimum(deviance, values, fixed, limits)
        converged = bool(minuit.valid and positive)
    else:
        minuit.hesse()
        cov_matrix = minuit.covariance
        if cov_matrix is None:
            covariance = np.full((values.size, values.size), np.nan)
        else:
            covariance = np.array(cov_matrix, dtype=np.float64)
        fmin = minuit.fmin
        converged = bool(minuit.valid and fmin is not None and fmin.has_accurate_covar)
    sigmas = np.sqrt(np.clip(np.diag(covariance), 0.0, None))

    areas, centroids, fwhms, bkg = model.unpack(values)
    if base is not None:
        centroid_sig = np.full(n_peaks, sigmas[model.names.index("shift")])
    else:
        centroid_sig = np.array([sigmas[model.names.index(f"x{k}")] for k in range(n_peaks)])
    if width_mode == "shared":
        fwhm_sig = np.full(n_peaks, sigmas[model.names.index("fwhm")])
    elif width_mode == "each":
        fwhm_sig = np.array([sigmas[model.names.index(f"fwhm{k}")] for k in range(n_peaks)])
    else:
        scale_i = model.names.index("fwhm_scale")
        fwhm_sig = fwhms / values[scale_i] * sigmas[scale_i]
    peaks = tuple(
        FittedPeak(
            area=float(areas[k]),
            area_sigma=float(sigmas[k]),
            centroid_ch=float(centroids[k]),
            centroid_sigma=float(centroid_sig[k]),
            fwhm_ch=float(fwhms[k]),
            fwhm_sigma=float(fwhm_sig[k]),
            energy_kev=energy_list[k],
        )
        for k in range(n_peaks)
    )
    n_bkg = len(model.bkg_names)
    return MultipletFit(
        lo=lo,
        hi=hi,
        peaks=peaks,
        background=background,
        background_names=tuple(model.bkg_names),
        background_values=np.asarray(bkg, dtype=np.float64),
        background_sigmas=np.asarray(sigmas[-n_bkg:], dtype=np.float64),
        parameter_names=model.names,
        values=values,
        covariance=covariance,
        deviance=float(minuit.fval) if minuit.fval is not None else math.nan,
        ndof=int(n.size - minuit.nfit),
        converged=converged,
        model_counts=model(values),
    )


AT_LIMIT_SIGMA = 0.01
"""A parameter within this many standard deviations of a limit that the deviance
pushes it against is held at the limit (see :func:`_covariance_at_minimum`)."""


def _covariance_at_minimum(
    deviance: _Deviance,
    values: FloatArray,
    fixed: npt.NDArray[np.bool_],
    limits: Sequence[tuple[float | None, float | None]],
) -> tuple[FloatArray, bool]:
    """Covariance ``2 H^-1`` from the exact Hessian ``H`` of the deviance.

    ``D`` is twice the negative log-likelihood, so the covariance of the free
    parameters is the inverse of ``H / 2``. Fixed parameters, and parameters held
    at a limit (closer than :data:`AT_LIMIT_SIGMA` standard deviations, with the
    gradient pointing out of the allowed range), get zero rows and columns: the
    others' covariance is then conditional on them, as with a fixed parameter.

    Returns
    -------
    tuple
        The covariance (parameters x parameters; NaN if the Hessian of the free
        parameters is not positive definite) and whether it is.
    """
    hess = deviance.hessian_matrix(values)
    size = values.size

    def inverse(free: npt.NDArray[np.bool_]) -> FloatArray | None:
        index = np.flatnonzero(free)
        try:
            factor = np.linalg.cholesky(0.5 * hess[np.ix_(index, index)])
        except np.linalg.LinAlgError:
            return None
        root = np.linalg.inv(factor)
        full = np.zeros((size, size))
        full[np.ix_(index, index)] = root.T @ root
        return full

    free = ~fixed
    covariance = inverse(free)
    if covariance is None:
        return np.full((size, size), np.nan), False
    sigma = np.sqrt(np.diag(covariance))
    grad = deviance.gradient(values)
    lower = np.array([-np.inf if lim[0] is None else lim[0] for lim in limits])
    upper = np.array([np.inf if lim[1] is None else lim[1] for lim in limits])
    held = free & (
        ((values - lower <= AT_LIMIT_SIGMA * sigma) & (grad > 0.0))
        | ((upper - values <= AT_LIMIT_SIGMA * sigma) & (grad < 0.0))
    )
    if held.any():
        covariance = inverse(free & ~held)
        if covariance is None:
            return np.full((size, size), np.nan), False
    return covariance, True


def _starting_values(
    n: FloatArray,
    lo: int,
    hi: int,
    guesses: FloatArray,
    fwhm_guess: float,
    model: _Model,
) -> tuple[FloatArray, list[float], list[tuple[float | None, float | None]]]:
    """Starting values, step sizes and limits for every parameter of ``model``."""
    width = hi - lo
    k_edge = max(1, min(3, width // 6))
    left = float(n[:k_edge].mean())
    right = float(n[-k_edge:].mean())
    bkg_at = left * (1.0 - model.t) + right * model.t
    sigma = fwhm_guess / FWHM_PER_SIGMA
    idx = np.clip(np.floor(guesses).astype(np.int64) - lo, 0, width - 1)
    heights = np.maximum(n[idx] - bkg_at[idx], 0.5)
    areas = heights * sigma * _SQRT_2PI
    net = float(n.sum() - bkg_at.sum())
    if net > 0.0:
        areas = areas * net / areas.sum()
    areas = np.maximum(areas, 1.0)

    start: list[float] = [float(a) for a in areas]
    errors: list[float] = [float(max(math.sqrt(a), 1.0)) for a in areas]
    limits: list[tuple[float | None, float | None]] = [(0.0, None)] * model.n_peaks
    if model.base is not None:
        start.append(float(np.mean(guesses - model.base)))
        errors.append(0.1 * sigma)
        limits.append((float(-width), float(width)))
    else:
        start += [float(g) for g in guesses]
        errors += [0.1 * sigma] * model.n_peaks
        limits += [(float(lo), float(hi))] * model.n_peaks
    fwhm_lim = (fwhm_guess / 5.0, min(5.0 * fwhm_guess, float(width)))
    if model.width_mode == "shared":
        start.append(fwhm_guess)
        errors.append(0.1 * fwhm_guess)
        limits.append(fwhm_lim)
    elif model.width_mode == "each":
        start += [fwhm_guess] * model.n_peaks
        errors += [0.1 * fwhm_guess] * model.n_peaks
        limits += [fwhm_lim] * model.n_peaks
    else:
        start.append(1.0)
        errors.append(0.1)
        limits.append((0.2, 5.0))
    # Start the edge values off their zero bound, where MIGRAD steps poorly.
    start += [max(left, 0.1), max(right, 0.1)]
    errors += [max(math.sqrt(max(left, 1.0) / k_edge), 0.1)]
    errors += [max(math.sqrt(max(right, 1.0) / k_edge), 0.1)]
    limits += [(0.0, None), (0.0, None)]
    if model.background == "quadratic":
        start.append(0.0)
        errors.append(max(math.sqrt(max(left, right, 1.0)) / width**2, 1e-5))
        limits.append((None, None))
    elif model.background == "step":
        start.append(0.0)
        errors.append(1e-3)
        limits.append((None, None))
    return np.asarray(start, dtype=np.float64), errors, limits
