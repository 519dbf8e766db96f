"""f-k analysis of an array: back-azimuth and slowness with jackknife uncertainties.

Method
------
**f-k analysis (conventional, "Bartlett", beamforming in the frequency domain).** In a
window of ``n`` samples each element's trace is demeaned, tapered (a Tukey window with
22 % of the samples in its cosine flanks, the taper ObsPy's ``array_processing`` uses
after the historical ``bbfk.c``) and Fourier transformed with ``nfft`` the next power of
two; the bins ``k`` in the band give spectra ``X_nk``. For a horizontal slowness vector
``s`` (s/km, pointing the way the wave travels) the relative beam power is

    P_rel(s) = sum_k |sum_n X_nk exp(2 pi i f_k s . r_n)|^2 / (N sum_k sum_n |X_nk|^2)

which is 1 for a noise-free plane wave of slowness ``s`` and about ``1/N`` for noise that
is incoherent between elements (Capon 1969, *Proc. IEEE* 57(8), 1408-1418,
https://doi.org/10.1109/PROC.1969.7278, "conventional" estimator; Rost & Thomas 2002,
*Rev. Geophys.* 40(3), 1008, https://doi.org/10.1029/2000RG000100).
It is the quantity ``array_processing`` of ObsPy returns as "relative power" with
``method=0`` and no prewhitening, and the tests compare the two on the same windows. The
Fisher statistic of the best beam follows as ``F = (N - 1) P_rel / (1 - P_rel)``
(Blandford 1974, *Geophysics* 39(5), 633-643, https://doi.org/10.1190/1.1440453; the
infrasound module uses the same ratio). The slowness grid is Cartesian
(``s_x, s_y`` from ``-s_max`` to ``s_max``) so that the steering phases factor into an
east and a north part and the beam over the whole grid is one batched matrix product per
frequency bin. A coarse grid finds the peak and a fine grid around it refines it.

**Uncertainties.** The delete-one jackknife over elements (Efron & Stein 1981, *Ann.
Statist.* 9(3), 586-596, https://doi.org/10.1214/aos/1176345462; Efron 1982, *The
Jackknife, the Bootstrap and Other Resampling Plans*, SIAM, chapter 3): the fine-grid peak
is found again with each element left out, and the covariance of the slowness vector is
``(N - 1)/N sum_i (s_(i) - s_bar)(s_(i) - s_bar)^T``, to which the variance of the grid
quantisation, ``step^2/12`` per component, is added. It is propagated to back-azimuth and
slowness magnitude to first order. The jackknife measures how much the estimate rests on
single elements (noise, a bad element, local structure under one element); it does not
see a bias common to all elements such as the slowness and azimuth anomalies that
structure beneath an array imposes, which is why the benchmark reports pulls against the
catalogue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import obspy
from numpy.typing import NDArray
from scipy.signal import windows

from treatyverify.errors import InputError
from treatyverify.monitoring.arrays import back_azimuth_slowness
from treatyverify.monitoring.seismic.array.data import ArrayData
from treatyverify.monitoring.seismic.array.geometry import KM_PER_DEG, FloatArray

#: Taper fraction of the f-k windows (Tukey alpha): ObsPy array_processing's cosine taper
#: p = 0.22 ("0.22 matches 0.2 of historical C bbfk.c", obspy/signal/array_analysis.py).
TAPER_FRACTION = 0.22


def _spectra(
    data: FloatArray, rate_hz: float, band_hz: tuple[float, float]
) -> tuple[NDArray[np.complex128], FloatArray]:
    n = data.shape[1]
    nfft = 1 << max(1, (n - 1).bit_length())
    x = data - data.mean(axis=1, keepdims=True)
    x = x * windows.tukey(n, TAPER_FRACTION)
    freqs = np.asarray(np.fft.rfftfreq(nfft, d=1.0 / rate_hz), dtype=np.float64)
    sel = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
    if not sel.any():
        raise InputError("no Fourier bin in the band; lengthen the window", where="band")
    spec = np.fft.rfft(x, nfft, axis=1)[:, sel]
    return spec, freqs[sel]


def relative_power(
    spectra: NDArray[np.complex128],
    freqs_hz: FloatArray,
    offsets_km: FloatArray,
    sx_s_km: FloatArray,
    sy_s_km: FloatArray,
) -> FloatArray:
    """Relative beam power on a Cartesian slowness grid.

    Parameters
    ----------
    spectra
        Shape ``(N, K)``: the elements' Fourier coefficients in the band.
    freqs_hz
        The ``K`` frequencies, Hz.
    offsets_km
        Shape ``(N, 2)``: east and north offsets, km.
    sx_s_km, sy_s_km
        Grid of east and north slowness, s/km (``Gx`` and ``Gy`` values).

    Returns
    -------
    numpy.ndarray
        Shape ``(Gx, Gy)``: relative power in ``[0, 1]``.
    """
    n_el = spectra.shape[0]
    total = float(np.sum(np.abs(spectra) ** 2)) * n_el
    if total <= 0.0:
        return np.zeros((sx_s_km.size, sy_s_km.size))
    w = 2j * np.pi * freqs_hz  # (K,)
    # exp(2 pi i f (sx x + sy y)) = exp(2 pi i f sx x) exp(2 pi i f sy y): one matrix
    # product per bin over the whole grid.
    ex = np.exp(w[:, None, None] * sx_s_km[None, :, None] * offsets_km[None, None, :, 0])
    ey = np.exp(w[:, None, None] * offsets_km[None, :, 1, None] * sy_s_km[None, None, :])
    ex = ex * spectra.T[:, None, :]  # (K, Gx, N)
    beam = np.matmul(ex, ey)  # (K, Gx, Gy)
    power: FloatArray = np.sum(beam.real**2 + beam.imag**2, axis=0) / total
    return power


@dataclass(frozen=True)
class FkEstimate:
    """Best plane wave of one f-k window, with its jackknife uncertainty.

    Attributes
    ----------
    window_start
        Start of the window, UTC.
    window_s
        Window length, s.
    back_azimuth_deg, back_azimuth_sigma_deg
        Back-azimuth (direction the wave comes from, degrees clockwise from north) and
        its standard error, degrees.
    slowness_s_km, slowness_sigma_s_km
        Horizontal slowness and standard error, s/km.
    slowness_east_s_km, slowness_north_s_km
        Slowness vector, s/km (pointing the way the wave travels).
    covariance_s2_km2
        2 x 2 covariance of the slowness vector (east, north), s^2/km^2.
    relative_power
        Relative beam power of the peak, 0-1.
    f_stat
        Fisher statistic ``(N - 1) P_rel / (1 - P_rel)``.
    n_elements
        Elements used.
    band_hz
        Analysis band, Hz.
    grid_step_s_km
        Step of the fine slowness grid, s/km.
    """

    window_start: obspy.UTCDateTime
    window_s: float
    back_azimuth_deg: float
    back_azimuth_sigma_deg: float
    slowness_s_km: float
    slowness_sigma_s_km: float
    slowness_east_s_km: float
    slowness_north_s_km: float
    covariance_s2_km2: tuple[tuple[float, float], tuple[float, float]]
    relative_power: float
    f_stat: float
    n_elements: int
    band_hz: tuple[float, float]
    grid_step_s_km: float

    @property
    def slowness_s_deg(self) -> float:
        """Slowness, s/degree."""
        return self.slowness_s_km * KM_PER_DEG

    @property
    def slowness_sigma_s_deg(self) -> float:
        """Standard error of the slowness, s/degree."""
        return self.slowness_sigma_s_km * KM_PER_DEG

    @property
    def apparent_velocity_km_s(self) -> float:
        """Apparent (trace) velocity, km/s."""
        return 1.0 / self.slowness_s_km if self.slowness_s_km > 0 else math.inf


def _grid(center: float, half: float, step: float) -> FloatArray:
    n = round(half / step)
    return center + step * np.arange(-n, n + 1, dtype=np.float64)


def _peak(power: FloatArray, sx: FloatArray, sy: FloatArray) -> tuple[float, float, float]:
    i, j = np.unravel_index(int(np.argmax(power)), power.shape)
    return float(sx[i]), float(sy[j]), float(power[i, j])


def _window(array: ArrayData, start: obspy.UTCDateTime, window_s: float) -> FloatArray:
    rate = array.rate_hz
    i0 = round((start - array.starttime) * rate)
    n = round(window_s * rate)
    npts = array.stream[0].stats.npts
    if i0 < 0 or i0 + n > npts or n < 8:
        raise InputError(
            f"f-k window {start} + {window_s:g} s lies outside the data", where="window"
        )
    return np.vstack([np.asarray(tr.data[i0 : i0 + n], dtype=np.float64) for tr in array.stream])


def fk_estimate(
    array: ArrayData,
    start: obspy.UTCDateTime,
    *,
    window_s: float = 4.0,
    band_hz: tuple[float, float] = (1.0, 3.0),
    slowness_max_s_km: float = 0.25,
    coarse_step_s_km: float = 0.005,
    fine_step_s_km: float = 0.0005,
    jackknife: bool = True,
) -> FkEstimate:
    """f-k analysis of one window: best back-azimuth and slowness with uncertainties.

    Parameters
    ----------
    array
        Checked array data.
    start
        Window start, UTC.
    window_s
        Window length, s.
    band_hz
        Frequency band (low, high), Hz.
    slowness_max_s_km
        Largest slowness component of the coarse grid, s/km.
    coarse_step_s_km, fine_step_s_km
        Steps of the coarse grid and of the fine grid around its peak, s/km.
    jackknife
        Whether to compute the delete-one jackknife uncertainty (otherwise only the
        grid quantisation).
    """
    _check_band(band_hz, array.rate_hz)
    data = _window(array, start, window_s)
    spec, freqs = _spectra(data, array.rate_hz, band_hz)
    xy = array.geometry.offsets_m / 1000.0
    coarse = _grid(0.0, slowness_max_s_km, coarse_step_s_km)
    sx0, sy0, _ = _peak(relative_power(spec, freqs, xy, coarse, coarse), coarse, coarse)
    half = 2.0 * coarse_step_s_km
    fx, fy = _grid(sx0, half, fine_step_s_km), _grid(sy0, half, fine_step_s_km)
    sx, sy, power = _peak(relative_power(spec, freqs, xy, fx, fy), fx, fy)
    n_el = spec.shape[0]
    cov = np.eye(2) * fine_step_s_km**2 / 12.0
    if jackknife and n_el > 3:
        jx, jy = (
            _grid(sx, 4.0 * coarse_step_s_km, fine_step_s_km),
            _grid(sy, 4.0 * coarse_step_s_km, fine_step_s_km),
        )
        keep = np.ones(n_el, dtype=bool)
        loo = np.empty((n_el, 2))
        for i in range(n_el):
            keep[:] = True
            keep[i] = False
            p = relative_power(spec[keep], freqs, xy[keep], jx, jy)
            loo[i, 0], loo[i, 1], _ = _peak(p, jx, jy)
        dev = loo - loo.mean(axis=0)
        cov = cov + (n_el - 1) / n_el * (dev.T @ dev)
    baz, slow = back_azimuth_slowness(sx, sy)
    u = float(slow)
    if u > 0.0:
        j_baz = np.array([sy, -sx]) / u**2  # d(baz)/d(sx, sy), radians per s/km
        j_u = np.array([sx, sy]) / u
        sig_baz = math.degrees(math.sqrt(max(float(j_baz @ cov @ j_baz), 0.0)))
        sig_u = math.sqrt(max(float(j_u @ cov @ j_u), 0.0))
    else:
        sig_baz, sig_u = 180.0, math.sqrt(float(np.trace(cov)))
    f_stat = (n_el - 1) * power / (1.0 - power) if power < 1.0 else math.inf
    return FkEstimate(
        window_start=start,
        window_s=data.shape[1] / array.rate_hz,
        back_azimuth_deg=float(baz),
        back_azimuth_sigma_deg=sig_baz,
        slowness_s_km=u,
        slowness_sigma_s_km=sig_u,
        slowness_east_s_km=sx,
        slowness_north_s_km=sy,
        covariance_s2_km2=(
            (float(cov[0, 0]), float(cov[0, 1])),
            (float(cov[1, 0]), float(cov[1, 1])),
        ),
        relative_power=power,
        f_stat=f_stat,
        n_elements=n_el,
        band_hz=(float(band_hz[0]), float(band_hz[1])),
        grid_step_s_km=fine_step_s_km,
    )


def _check_band(band_hz: tuple[float, float], rate_hz: float) -> None:
    lo, hi = float(band_hz[0]), float(band_hz[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and 0.0 < lo < hi < rate_hz / 2.0):
        raise InputError(
            f"band must satisfy 0 < low < high < Nyquist ({rate_hz / 2.0:g} Hz), "
            f"got {lo:g}-{hi:g} Hz",
            where="band",
        )


@dataclass(frozen=True, eq=False)
class FkSliding:
    """Best beam of each window of a sliding f-k analysis.

    Attributes
    ----------
    window_starts
        UTC start of each window.
    window_s
        Window length, s.
    back_azimuth_deg, slowness_s_km, relative_power
        Per window: back-azimuth (degrees), slowness (s/km), relative power (0-1).
    band_hz
        Analysis band, Hz.
    """

    window_starts: tuple[obspy.UTCDateTime, ...]
    window_s: float
    back_azimuth_deg: FloatArray
    slowness_s_km: FloatArray
    relative_power: FloatArray
    band_hz: tuple[float, float]


def fk_sliding(
    array: ArrayData,
    *,
    start: obspy.UTCDateTime | None = None,
    end: obspy.UTCDateTime | None = None,
    window_s: float = 4.0,
    step_s: float = 1.0,
    band_hz: tuple[float, float] = (1.0, 3.0),
    slowness_max_s_km: float = 0.25,
    step_s_km: float = 0.005,
) -> FkSliding:
    """Sliding-window f-k analysis on one slowness grid (no refinement, no jackknife).

    Parameters
    ----------
    array
        Checked array data.
    start, end
        Span to analyse, UTC (default the whole record); windows lie wholly within it.
    window_s, step_s
        Window length and step, s.
    band_hz
        Frequency band, Hz.
    slowness_max_s_km, step_s_km
        Grid half-width and step, s/km.
    """
    _check_band(band_hz, array.rate_hz)
    if not (window_s > 0 and step_s > 0):
        raise InputError("window and step must be positive", where="window")
    rate = array.rate_hz
    t0 = array.starttime
    t_end = array.stream[0].stats.endtime + 1.0 / rate
    a = max(start, t0) if start is not None else t0
    b = min(end, t_end) if end is not None else t_end
    n = round(window_s * rate)
    nstep = max(1, round(step_s * rate))
    i_first = math.ceil((a - t0) * rate - 1e-6)
    i_last = math.floor((b - t0) * rate + 1e-6) - n
    if i_last < i_first:
        raise InputError("the span is shorter than one window", where="window")
    data = array.data()
    xy = array.geometry.offsets_m / 1000.0
    grid = _grid(0.0, slowness_max_s_km, step_s_km)
    starts = np.arange(i_first, i_last + 1, nstep)
    baz = np.empty(starts.size)
    slow = np.empty(starts.size)
    powr = np.empty(starts.size)
    for w, i0 in enumerate(starts):
        spec, freqs = _spectra(data[:, i0 : i0 + n], rate, band_hz)
        sx, sy, powr[w] = _peak(relative_power(spec, freqs, xy, grid, grid), grid, grid)
        b_, s_ = back_azimuth_slowness(sx, sy)
        baz[w], slow[w] = float(b_), float(s_)
    return FkSliding(
        window_starts=tuple(t0 + float(i) / rate for i in starts),
        window_s=n / rate,
        back_azimuth_deg=baz,
        slowness_s_km=slow,
        relative_power=powr,
        band_hz=(float(band_hz[0]), float(band_hz[1])),
    )
