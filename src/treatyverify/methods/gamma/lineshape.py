"""Full-energy peak shape of a semiconductor detector, integrated over channels.

A peak of unit area at energy ``c`` (keV) is a Gaussian of standard deviation ``sigma``
with a fraction ``eta`` moved into a low-energy tail: the same Gaussian convolved with
an exponential of length ``tau`` towards low energies. Incomplete charge collection
and small-angle scattering before the crystal give HPGe peaks this tail, and the step
that goes with it: a continuum below the peak of density ``step * area / 2 *
erfc((E - c) / (sqrt(2) sigma))`` counts per keV, which is not part of the peak area.
This is the skewed-Gaussian-plus-step form used by peak-fitting codes for germanium
spectra (G. W. Phillips and K. W. Marlow, "Automatic analysis of gamma-ray spectra
from germanium detectors", Nucl. Instrum. Methods 137 (1976) 525, the "Hypermet"
function; G. Gilmore, *Practical Gamma-ray Spectrometry*, 2nd ed., Wiley 2008,
section 6.3), here with one tail.

Every term is integrated exactly over each channel with closed forms, so the counts of
a channel do not depend on how finely the spectrum is binned:

- Gaussian: ``Phi(z)`` with ``z = (E - c) / sigma``;
- tail (cumulative distribution of ``G - Y``, ``G`` normal, ``Y`` exponential of mean
  ``tau``): ``Phi(z) + exp(lambda x + lambda^2 sigma^2 / 2) Phi(-z - lambda sigma)``
  with ``x = E - c`` and ``lambda = 1 / tau``, evaluated through ``log_ndtr`` so that
  it neither overflows nor underflows;
- step: ``sigma * (z (1 - Phi(z)) - phi(z))`` is an antiderivative of ``1 - Phi``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = ["PeakShape", "peak_columns"]

FloatArray = npt.NDArray[np.float64]

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


class PeakShape:
    """Global shape parameters of the peaks of one spectrum.

    Parameters
    ----------
    tail_fraction
        ``eta``: fraction of the peak area in the low-energy tail (0 <= eta < 1).
    tail_length_sigma
        ``tau / sigma``: length of the tail in units of the Gaussian sigma (> 0).
    step_per_kev
        Step height below each peak as a fraction of its area per keV (1/keV, >= 0).
    """

    __slots__ = ("step_per_kev", "tail_fraction", "tail_length_sigma")

    def __init__(self, tail_fraction: float, tail_length_sigma: float, step_per_kev: float) -> None:
        self.tail_fraction = float(tail_fraction)
        self.tail_length_sigma = float(tail_length_sigma)
        self.step_per_kev = float(step_per_kev)

    def __repr__(self) -> str:
        return (
            f"PeakShape(tail_fraction={self.tail_fraction:.4g}, "
            f"tail_length_sigma={self.tail_length_sigma:.4g}, "
            f"step_per_kev={self.step_per_kev:.4g})"
        )


def _tail_cdf(x: FloatArray, sigma: FloatArray, tau: FloatArray) -> FloatArray:
    """Cumulative distribution of a Gaussian with a low-side exponential tail (x in keV)."""
    z = x / sigma
    log_term = x / tau + 0.5 * (sigma / tau) ** 2 + special.log_ndtr(-z - sigma / tau)
    return np.asarray(special.ndtr(z) + np.exp(np.minimum(log_term, 0.0)), dtype=np.float64)


def _step_antiderivative(z: FloatArray) -> FloatArray:
    """``z (1 - Phi(z)) - phi(z)``, an antiderivative of ``1 - Phi(z)``."""
    return np.asarray(z * special.ndtr(-z) - np.exp(-0.5 * z * z) / _SQRT_2PI, dtype=np.float64)


def peak_columns(
    edges_kev: FloatArray,
    centroids_kev: FloatArray,
    sigmas_kev: FloatArray,
    shape: PeakShape,
) -> tuple[FloatArray, FloatArray]:
    """Counts per channel of unit-area peaks and of their steps.

    Parameters
    ----------
    edges_kev
        Channel edges of one region (keV), ``n + 1`` increasing values.
    centroids_kev
        Centroid of each peak (keV), shape ``(m,)``.
    sigmas_kev
        Gaussian standard deviation of each peak (keV), shape ``(m,)``.
    shape
        Tail and step parameters.

    Returns
    -------
    peaks, steps
        Arrays of shape ``(n, m)``: the fraction of each peak's area in each channel
        (full-energy counts, Gaussian and tail), and the counts of each peak's step per
        unit area in each channel.
    """
    x = edges_kev[:, None] - centroids_kev[None, :]
    sigma = sigmas_kev[None, :]
    z = x / sigma
    gauss = special.ndtr(z)
    eta = shape.tail_fraction
    if eta > 0.0:
        tau = shape.tail_length_sigma * sigma
        cdf = (1.0 - eta) * gauss + eta * _tail_cdf(x, sigma, tau)
    else:
        cdf = gauss
    peaks = np.diff(cdf, axis=0)
    if shape.step_per_kev > 0.0:
        steps = shape.step_per_kev * sigma * np.diff(_step_antiderivative(z), axis=0)
    else:
        steps = np.zeros_like(peaks)
    return np.asarray(peaks, dtype=np.float64), np.asarray(steps, dtype=np.float64)


def peak_columns_derivatives(
    edges_kev: FloatArray,
    centroids_kev: FloatArray,
    sigmas_kev: FloatArray,
    shape: PeakShape,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """:func:`peak_columns` (peak + step) and its exact derivatives.

    Writing ``u = (E - c) / sigma`` and ``k`` the tail length in sigmas, the tail's
    cumulative distribution is a function of ``u`` and ``k`` alone,
    ``T = Phi(u) + R`` with ``R = exp(u/k + 1/(2 k^2)) Phi(-u - 1/k)``, and
    ``dT/du = R / k``, ``dT/dk = -R (u/k^2 + 1/k^3) + phi(u) / k^2``; the step's
    antiderivative ``sigma (u (1 - Phi(u)) - phi(u))`` has ``d/dc = -(1 - Phi(u))`` and
    ``d/dsigma = -phi(u)``.

    Returns
    -------
    columns, d_centroid, d_sigma, d_tail_fraction, d_tail_length, d_step
        Arrays of shape ``(n, m)``: counts per channel per unit area, and their
        derivatives by each peak's centroid (1/keV), its sigma (1/keV), the tail
        fraction, the tail length (per sigma) and the step (per 1/keV).
    """
    sigma = sigmas_kev[None, :]
    u = (edges_kev[:, None] - centroids_kev[None, :]) / sigma
    phi = np.exp(-0.5 * u * u) / _SQRT_2PI
    gauss = special.ndtr(u)
    eta, k, s = shape.tail_fraction, shape.tail_length_sigma, shape.step_per_kev
    log_r = u / k + 0.5 / (k * k) + special.log_ndtr(-u - 1.0 / k)
    r = np.exp(np.minimum(log_r, 0.0))
    cdf = (1.0 - eta) * gauss + eta * (gauss + r)
    dcdf_du = (1.0 - eta) * phi + eta * r / k
    anti = u * special.ndtr(-u) - phi
    columns = np.diff(cdf, axis=0) + s * sigma * np.diff(anti, axis=0)
    d_u = np.diff(dcdf_du, axis=0)
    d_centroid = -d_u / sigma + s * np.diff(gauss, axis=0)
    d_sigma = -np.diff(dcdf_du * u, axis=0) / sigma - s * np.diff(phi, axis=0)
    d_eta = np.diff(r, axis=0)
    d_k = eta * np.diff(-r * (u / k**2 + 1.0 / k**3) + phi / k**2, axis=0)
    d_step = sigma * np.diff(anti, axis=0)
    return (
        np.asarray(columns, dtype=np.float64),
        np.asarray(d_centroid, dtype=np.float64),
        np.asarray(d_sigma, dtype=np.float64),
        np.asarray(d_eta, dtype=np.float64),
        np.asarray(d_k, dtype=np.float64),
        np.asarray(d_step, dtype=np.float64),
    )


def cumulative(
    offsets_kev: FloatArray, sigmas_kev: FloatArray, shape: PeakShape, *, derivatives: bool
) -> tuple[FloatArray, ...]:
    """The peak's and the step's cumulative counts at points ``E - c`` (keV), per unit
    area, and with ``derivatives`` their derivatives (as :func:`peak_columns_derivatives`
    documents), all elementwise: differences between a channel's edges give the
    channel's counts. Returns ``(counts,)`` or ``(counts, d_c, d_sigma, d_eta, d_k,
    d_step)``."""
    sigma = sigmas_kev
    u = offsets_kev / sigma
    eta, k, s = shape.tail_fraction, shape.tail_length_sigma, shape.step_per_kev
    gauss = special.ndtr(u)
    phi = np.exp(-0.5 * u * u) / _SQRT_2PI
    anti = u * special.ndtr(-u) - phi
    if eta > 0.0:
        log_r = u / k + 0.5 / (k * k) + special.log_ndtr(-u - 1.0 / k)
        r = np.exp(np.minimum(log_r, 0.0))
    else:
        r = np.zeros_like(u)
    counts = gauss + eta * r + s * sigma * anti
    if not derivatives:
        return (np.asarray(counts, dtype=np.float64),)
    dcdf_du = (1.0 - eta) * phi + eta * r / k
    d_c = -dcdf_du / sigma + s * gauss
    d_sigma = -dcdf_du * u / sigma - s * phi
    d_eta = r
    d_k = eta * (-r * (u / k**2 + 1.0 / k**3) + phi / k**2)
    d_step = sigma * anti
    return tuple(
        np.asarray(a, dtype=np.float64) for a in (counts, d_c, d_sigma, d_eta, d_k, d_step)
    )
