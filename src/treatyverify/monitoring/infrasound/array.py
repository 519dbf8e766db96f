"""Infrasound array processing: sliding-window beamforming with the Fisher F-statistic.

A plane wave crossing an array of ``N`` microbarometers reaches element ``n`` at
``t_n = s . r_n`` where ``r_n`` is the element's horizontal offset (east, north) in
metres and ``s`` the horizontal slowness vector (s/m), which points in the direction of
propagation. For a wave arriving *from* back-azimuth ``beta`` (degrees clockwise from
north) with trace (apparent horizontal) velocity ``v``::

    s = -(sin beta, cos beta) / v

In each analysis window the delay-and-sum beam ``b(t) = (1/N) sum_n x_n(t + t_n)`` is
formed in the frequency domain, over a grid of back-azimuth and trace velocity, and the
Fisher F-statistic is computed (Blandford 1974, eq. 1),

    F = (N - 1) / N * sum_t [sum_n x_n(t + t_n)]^2 / sum_t sum_n [x_n(t + t_n) - b(t)]^2
      = (N - 1) * P_beam / (P_mean - P_beam)

with ``P_beam`` the power of the (mean) beam and ``P_mean`` the power averaged over the
elements, both summed over the in-band Fourier bins of the window (Parseval). Incoherent
noise gives ``P_beam ~ P_mean / N`` and ``F ~ 1``; a noise-free plane wave gives
``P_beam = P_mean`` and ``F`` without bound. This is the analysis of
variance of Melton & Bailey (1957), introduced for array detection by Smart & Flinn (1971)
and Blandford (1974):

* Melton, B. S., and L. F. Bailey (1957). Multiple signal correlators. *Geophysics*
  22(3), 565-588. https://doi.org/10.1190/1.1438390
* Smart, E., and E. A. Flinn (1971). Fast frequency-wavenumber analysis and Fisher
  signal detection in real-time infrasonic array data processing. *Geophys. J. R. astr.
  Soc.* 26, 279-284. https://doi.org/10.1111/j.1365-246X.1971.tb03401.x
* Blandford, R. R. (1974). An automatic event detector at the Tonto Forest Seismic
  Observatory. *Geophysics* 39(5), 633-643. https://doi.org/10.1190/1.1440453

For Gaussian noise that is independent between elements, ``F`` follows the
F-distribution with ``(2BT, 2BT(N - 1))`` degrees of freedom, ``B`` the bandwidth (Hz)
and ``T`` the window length (s). Here ``BT`` is the number ``K`` of Fourier bins in the
band, each contributing one complex (two real) degrees of freedom. :func:`detect`
declares windows whose F exceeds the ``1 - p`` quantile of that distribution; consecutive
such windows are merged into one :class:`InfrasoundDetection`.

The threshold holds for F at one fixed beam. The best beam of a window is the maximum
over the grid, which exceeds the threshold more often, and real noise (wind, microbaroms)
is neither white nor incoherent; Arrowsmith et al. (2008, *Geophys. J. Int.* 175(1),
291-300, https://doi.org/10.1111/j.1365-246X.2008.03912.x; 2009, *Bull. Seismol. Soc. Am.*
99(1), 449-453, https://doi.org/10.1785/0120080115) scale the threshold for this
("adaptive F-detector"); here ``f_scale`` in :func:`detect` plays that role, either set
by hand or estimated from the data by :func:`adaptive_f_scale`.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import obspy
from numpy.typing import ArrayLike, NDArray
from scipy import signal as sp_signal
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.monitoring.arrays import horizontal_offsets_m

__all__ = [
    "BeamformResult",
    "DetectionFamily",
    "InfrasoundDetection",
    "adaptive_f_scale",
    "beamform",
    "detect",
    "element_offsets",
    "f_threshold",
    "group_families",
    "read_array",
]

# SAC marks an undefined float header with -12345.0 (SAC User Manual, "SAC data file format").
_SAC_UNDEFINED = -12345.0

#: Default trace-velocity grid, km/s: the acoustic range of infrasound arrivals (stratospheric
#: and thermospheric returns arrive at ~0.30-0.45 km/s; direct waves near the sound speed,
#: ~0.34 km/s at 15 degC) with margin; the same span as the infrapy defaults (300-600 m/s).
DEFAULT_TRACE_VELOCITIES_KM_S = np.round(np.arange(0.28, 0.6001, 0.005), 6)
#: Default back-azimuth grid, degrees clockwise from north.
DEFAULT_BACK_AZIMUTHS_DEG = np.arange(0.0, 360.0, 1.0)


def read_array(source: str | Path | Sequence[str | Path]) -> obspy.Stream:
    """Read the waveforms of an array with ObsPy.

    Parameters
    ----------
    source
        A file, a glob pattern (for example ``".../YJ.BRP*.SAC"``) or a list of files,
        in any format :func:`obspy.read` understands.

    Returns
    -------
    obspy.Stream
        One trace per element, sorted by trace id.

    Raises
    ------
    InputError
        When no file matches or a file cannot be read.
    """
    items = [source] if isinstance(source, str | Path) else list(source)
    paths: list[str] = []
    for item in items:
        matched = sorted(glob.glob(str(item)))
        if not matched:
            raise InputError("no file matches", where=str(item))
        paths.extend(matched)
    stream = obspy.Stream()
    for path in paths:
        try:
            stream += obspy.read(path)
        except Exception as exc:  # ObsPy raises many types for unreadable files
            raise InputError(f"cannot read waveform file ({exc})", where=path) from exc
    stream.sort(keys=["network", "station", "location", "channel"])
    return stream


def _coordinates(trace: obspy.Trace) -> tuple[float, float]:
    """Latitude and longitude (degrees) of a trace, from ``stats.coordinates`` or SAC headers."""
    stats_ = trace.stats
    coords = stats_.get("coordinates")
    if coords is not None and "latitude" in coords and "longitude" in coords:
        return float(coords["latitude"]), float(coords["longitude"])
    sac = stats_.get("sac")
    if sac is not None:
        lat = sac.get("stla")
        lon = sac.get("stlo")
        if lat is not None and lon is not None and _SAC_UNDEFINED not in (lat, lon):
            return float(lat), float(lon)
    raise InputError(
        "element has no coordinates (need stats.coordinates or SAC stla/stlo)", where=trace.id
    )


def element_offsets(stream: obspy.Stream) -> NDArray[np.float64]:
    """Horizontal offsets of the array elements from the array centre.

    Distances and azimuths from the mean latitude and longitude of the elements are
    geodesics on the WGS84 ellipsoid (:func:`obspy.geodetics.gps2dist_azimuth`).

    Parameters
    ----------
    stream
        One trace per element, with coordinates in ``stats.coordinates``
        (``latitude``, ``longitude``, degrees) or in the SAC headers ``stla``/``stlo``.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, 2)``: east and north offsets in metres, in the order of ``stream``.

    Raises
    ------
    InputError
        Naming the first trace without coordinates.
    """
    latlon = np.array([_coordinates(tr) for tr in stream], dtype=np.float64).reshape(-1, 2)
    if latlon.shape[0] == 0:
        raise InputError("no traces", where="array")
    return horizontal_offsets_m(latlon[:, 0], latlon[:, 1])


@dataclass(frozen=True, eq=False)
class BeamformResult:
    """Per-window best beams of :func:`beamform`.

    Attributes
    ----------
    array
        Name of the array (``NET.STA`` of the first element, trailing digits removed).
    starttime
        UTC start of the analysed (common) data span.
    window_offsets_s
        Start of each window, seconds after ``starttime``.
    window_s
        Window length, s.
    freq_band_hz
        Analysis band (low, high), Hz.
    n_elements
        Number of array elements ``N``.
    n_bins
        Number of Fourier bins in the band (``BT``).
    back_azimuth_deg
        Best back-azimuth per window, degrees clockwise from north (direction the wave
        comes from).
    trace_velocity_km_s
        Best trace velocity per window, km/s.
    f_stat
        Fisher F-statistic of the best beam per window.
    """

    array: str
    starttime: obspy.UTCDateTime
    window_offsets_s: NDArray[np.float64]
    window_s: float
    freq_band_hz: tuple[float, float]
    n_elements: int
    n_bins: int
    back_azimuth_deg: NDArray[np.float64]
    trace_velocity_km_s: NDArray[np.float64]
    f_stat: NDArray[np.float64]

    @property
    def dof(self) -> tuple[int, int]:
        """Degrees of freedom ``(2BT, 2BT(N - 1))`` of F under incoherent Gaussian noise."""
        return 2 * self.n_bins, 2 * self.n_bins * (self.n_elements - 1)


def _array_name(stream: obspy.Stream) -> str:
    tr = stream[0]
    return f"{tr.stats.network}.{tr.stats.station.rstrip('0123456789')}"


def _check_stream(stream: obspy.Stream, coords: NDArray[np.float64]) -> None:
    if len(stream) < 3:
        where = ", ".join(tr.id for tr in stream) or "array"
        raise InputError(f"an array needs at least 3 elements, got {len(stream)}", where=where)
    if coords.shape != (len(stream), 2):
        raise InputError(
            f"coordinates have shape {coords.shape}, expected ({len(stream)}, 2)",
            where="coords",
        )
    if not np.all(np.isfinite(coords)):
        raise InputError("coordinates must be finite", where="coords")
    ids = [tr.id for tr in stream]
    for i, trace_id in enumerate(ids):
        if trace_id in ids[:i]:
            raise InputError("element appears more than once (gaps? merge first)", where=trace_id)
    fs0 = float(stream[0].stats.sampling_rate)
    for tr in stream[1:]:
        if not np.isclose(float(tr.stats.sampling_rate), fs0, rtol=1e-9, atol=0.0):
            raise InputError(
                f"sampling rate {tr.stats.sampling_rate} Hz differs from "
                f"{fs0} Hz of {stream[0].id}",
                where=tr.id,
            )
    for tr in stream:
        if not np.all(np.isfinite(np.asarray(tr.data, dtype=np.float64))):
            raise InputError("samples contain NaN or infinity", where=tr.id)


def _common_data(stream: obspy.Stream) -> tuple[obspy.UTCDateTime, NDArray[np.float64]]:
    """Samples of all elements over their common span, aligned to the first element."""
    fs = float(stream[0].stats.sampling_rate)
    start = max(tr.stats.starttime for tr in stream)
    end = min(tr.stats.endtime for tr in stream)
    if end <= start:
        raise InputError("elements do not overlap in time", where=_array_name(stream))
    rows = []
    for tr in stream:
        i0 = round((start - tr.stats.starttime) * fs)
        offset_s = tr.stats.starttime + i0 / fs - start
        if abs(offset_s) > 0.25 / fs:
            raise InputError(
                "samples are not aligned with the other elements (resample first)", where=tr.id
            )
        rows.append(np.asarray(tr.data, dtype=np.float64)[i0:])
    npts = min(len(r) for r in rows)
    return start, np.vstack([r[:npts] for r in rows])


def beamform(
    stream: obspy.Stream,
    coords: ArrayLike,
    *,
    freq_band_hz: tuple[float, float] = (0.5, 5.0),
    window_s: float = 10.0,
    overlap: float = 0.5,
    back_azimuths_deg: ArrayLike | None = None,
    trace_velocities_km_s: ArrayLike | None = None,
) -> BeamformResult:
    """Sliding-window delay-and-sum beamforming with the Fisher F-statistic.

    The traces are demeaned and band-passed (zero-phase Butterworth, 4 poles, corners
    at half the low and twice the high band edge, so that the band itself is passed
    with unit gain), cut into windows, Fourier transformed (no taper, so that bins of
    white noise stay independent), and beamed over the grid using the bins within
    ``freq_band_hz``.

    Parameters
    ----------
    stream
        One trace per element (at least 3), same sampling rate, aligned samples.
    coords
        Element offsets, shape ``(N, 2)``, east and north in metres, in the order of
        ``stream`` (see :func:`element_offsets`).
    freq_band_hz
        Analysis band (low, high), Hz; high below the Nyquist frequency.
    window_s
        Window length, s.
    overlap
        Fraction of a window shared with the next one, in ``[0, 1)``.
    back_azimuths_deg
        Back-azimuth grid, degrees clockwise from north (default 0-359 in 1 degree).
    trace_velocities_km_s
        Trace-velocity grid, km/s (default 0.28-0.60 in 0.005 km/s).

    Returns
    -------
    BeamformResult
        Best back-azimuth, trace velocity and F per window.

    Raises
    ------
    InputError
        Fewer than 3 elements, mixed sampling rates, coordinates that do not match, a
        band or window that does not fit the data.
    """
    xy = np.asarray(coords, dtype=np.float64)
    _check_stream(stream, xy)
    fs = float(stream[0].stats.sampling_rate)
    fmin, fmax = (float(freq_band_hz[0]), float(freq_band_hz[1]))
    if not 0.0 < fmin < fmax < fs / 2.0:
        raise InputError(
            f"band must satisfy 0 < low < high < Nyquist ({fs / 2.0} Hz)", where="freq_band_hz"
        )
    if not 0.0 <= overlap < 1.0:
        raise InputError("overlap must be in [0, 1)", where="overlap")
    nwin = round(window_s * fs)
    step = max(1, round(nwin * (1.0 - overlap)))
    baz = np.asarray(
        DEFAULT_BACK_AZIMUTHS_DEG if back_azimuths_deg is None else back_azimuths_deg,
        dtype=np.float64,
    ).ravel()
    vel = np.asarray(
        DEFAULT_TRACE_VELOCITIES_KM_S if trace_velocities_km_s is None else trace_velocities_km_s,
        dtype=np.float64,
    ).ravel()
    if baz.size == 0 or vel.size == 0 or np.any(vel <= 0.0) or not np.all(np.isfinite(baz)):
        raise InputError("grid needs back-azimuths and positive trace velocities", where="grid")

    start, data = _common_data(stream)
    n_el, npts = data.shape
    if nwin < 2 or nwin > npts:
        raise InputError(
            f"window of {window_s} s does not fit {npts / fs} s of common data", where="window_s"
        )
    freqs = np.fft.rfftfreq(nwin, d=1.0 / fs)
    band = (freqs >= fmin) & (freqs <= fmax)
    n_bins = int(band.sum())
    if n_bins == 0:
        raise InputError("no Fourier bin in the band; lengthen the window", where="freq_band_hz")

    data = data - data.mean(axis=1, keepdims=True)
    sos = sp_signal.butter(
        4, [fmin / 2.0, min(2.0 * fmax, 0.45 * fs)], btype="bandpass", fs=fs, output="sos"
    )
    data = sp_signal.sosfiltfilt(sos, data, axis=1)

    # Steering phases: for grid point g, element n, bin k: exp(+2 pi i f_k t_n(g)).
    bb, vv = np.meshgrid(np.radians(baz), vel * 1000.0, indexing="ij")
    sx = (-np.sin(bb) / vv).ravel()
    sy = (-np.cos(bb) / vv).ravel()
    delays = np.outer(sx, xy[:, 0]) + np.outer(sy, xy[:, 1])  # (G, N), s
    f_band = freqs[band]
    # (N, G, K) in single precision (relative error ~1e-7, ample for a beam), for speed.
    steer = np.exp((2j * np.pi) * delays.T[:, :, None] * f_band[None, None, :]).astype(np.complex64)

    starts = np.arange(0, npts - nwin + 1, step)
    best_baz = np.empty(starts.size)
    best_vel = np.empty(starts.size)
    best_f = np.empty(starts.size)
    grid_baz = bb.ravel()
    grid_vel = vv.ravel()
    beam = np.empty(steer.shape[1:], dtype=np.complex64)
    term = np.empty_like(beam)
    for w, i0 in enumerate(starts):
        spec = np.fft.rfft(data[:, i0 : i0 + nwin], axis=1)[:, band]  # (N, K)
        # Rescale so that single precision cannot overflow for any data units.
        scale = float(np.max(np.abs(spec))) or 1.0
        spec64 = (spec / scale).astype(np.complex64)
        p_mean = float(np.sum(np.abs(spec64.astype(np.complex128)) ** 2)) / n_el
        np.multiply(steer[0], spec64[0], out=beam)
        for n in range(1, n_el):
            np.multiply(steer[n], spec64[n], out=term)
            beam += term
        p_beam = (beam.real**2 + beam.imag**2).sum(axis=1, dtype=np.float64) / n_el**2
        g = int(np.argmax(p_beam))
        resid = p_mean - float(p_beam[g])
        # Blandford (1974): F = (N-1)/N * sum_t (sum_n x_n)^2 / sum_t sum_n (x_n - b)^2,
        # which with b = mean beam is (N-1) * P_beam / (P_mean - P_beam).
        best_f[w] = (n_el - 1) * float(p_beam[g]) / resid if resid > 0.0 else 0.0
        best_baz[w] = np.degrees(grid_baz[g]) % 360.0
        best_vel[w] = grid_vel[g] / 1000.0
    return BeamformResult(
        array=_array_name(stream),
        starttime=start,
        window_offsets_s=starts / fs,
        window_s=nwin / fs,
        freq_band_hz=(fmin, fmax),
        n_elements=n_el,
        n_bins=n_bins,
        back_azimuth_deg=best_baz,
        trace_velocity_km_s=best_vel,
        f_stat=best_f,
    )


def f_threshold(dof: tuple[int, int], false_alarm_probability: float) -> float:
    """F above which noise alone lies with the given probability.

    Parameters
    ----------
    dof
        Degrees of freedom ``(2BT, 2BT(N - 1))``.
    false_alarm_probability
        Probability (0-1) that incoherent Gaussian noise exceeds the threshold at one beam.

    Returns
    -------
    float
        The ``1 - p`` quantile of the F-distribution.
    """
    if not 0.0 < false_alarm_probability < 1.0:
        raise InputError("must be between 0 and 1", where="false_alarm_probability")
    return float(stats.f.isf(false_alarm_probability, dof[0], dof[1]))


def adaptive_f_scale(result: BeamformResult) -> float:
    """Factor by which the observed F of a record exceeds the F-distribution of noise.

    Following the idea of the adaptive F-detector of Arrowsmith et al. (2008, 2009), the bulk
    of the windows is taken as noise and the observed F values are modelled as ``c``
    times an F-distributed variable with ``(2BT, 2BT(N - 1))`` degrees of freedom. Where
    Arrowsmith et al. fit the peak of the histogram, this estimate uses the median,
    ``c = median(F_obs) / median(F(2BT, 2BT(N - 1)))``, which is robust as long as
    signals occupy fewer than half of the windows. The factor is never below 1.

    Parameters
    ----------
    result
        Output of :func:`beamform`, preferably over a long record (tens of windows).

    Returns
    -------
    float
        ``c >= 1``, to pass as ``f_scale`` to :func:`detect`.
    """
    if result.f_stat.size == 0:
        return 1.0
    d1, d2 = result.dof
    ratio = float(np.median(result.f_stat)) / float(stats.f.median(d1, d2))
    return max(1.0, ratio)


@dataclass(frozen=True)
class InfrasoundDetection:
    """A coherent infrasound arrival: consecutive windows above the F threshold.

    Attributes
    ----------
    array
        Array name, ``NET.STA``.
    start, end, peak
        UTC start of the first window, end of the last, and start of the window of
        maximum F.
    back_azimuth_deg
        Circular mean of the windows' back-azimuths, degrees clockwise from north.
    trace_velocity_km_s
        Mean trace velocity of the windows, km/s. Weak windows at the edges of an arrival
        scatter over the grid, which extends further above the acoustic velocities than
        below them, so this mean lies above the peak value (see the infrapy comparison in
        docs/monitoring-infrasound.md).
    max_f_stat
        Largest F of the detection.
    n_windows
        Number of windows merged.
    f_threshold
        Threshold used (already multiplied by ``f_scale``).
    false_alarm_probability
        Nominal per-beam false-alarm probability of the threshold.
    freq_band_hz
        Analysis band, Hz.
    peak_back_azimuth_deg, peak_trace_velocity_km_s
        Back-azimuth (degrees) and trace velocity (km/s) of the window of maximum F, the
        values infrapy reports for a detection (``nan`` when not given).
    """

    array: str
    start: datetime
    end: datetime
    peak: datetime
    back_azimuth_deg: float
    trace_velocity_km_s: float
    max_f_stat: float
    n_windows: int
    f_threshold: float
    false_alarm_probability: float
    freq_band_hz: tuple[float, float]
    peak_back_azimuth_deg: float = float("nan")
    peak_trace_velocity_km_s: float = float("nan")

    @property
    def duration_s(self) -> float:
        """End minus start, s."""
        return (self.end - self.start).total_seconds()

    def to_record_body(self) -> dict[str, Any]:
        """The body of an ``infrasound_detection`` record (JSON types only)."""
        return {
            "array": self.array,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "peak": self.peak.isoformat(),
            "back_azimuth_deg": round(self.back_azimuth_deg, 2),
            "trace_velocity_km_s": round(self.trace_velocity_km_s, 4),
            "max_f_stat": round(self.max_f_stat, 3),
            "n_windows": self.n_windows,
            "f_threshold": round(self.f_threshold, 4),
            "false_alarm_probability": self.false_alarm_probability,
            "freq_band_hz": [self.freq_band_hz[0], self.freq_band_hz[1]],
            "peak_back_azimuth_deg": _rounded(self.peak_back_azimuth_deg, 2),
            "peak_trace_velocity_km_s": _rounded(self.peak_trace_velocity_km_s, 4),
        }


def _rounded(value: float, digits: int) -> float | None:
    return round(value, digits) if np.isfinite(value) else None


def _utc(t: obspy.UTCDateTime) -> datetime:
    return datetime.fromtimestamp(float(t.timestamp), tz=UTC)


def detect(
    result: BeamformResult,
    *,
    false_alarm_probability: float = 0.01,
    f_scale: float = 1.0,
    min_windows: int = 1,
    max_back_azimuth_step_deg: float = 15.0,
    min_duration_s: float = 0.0,
) -> list[InfrasoundDetection]:
    """Detections from windows whose F exceeds the F-distribution threshold.

    Parameters
    ----------
    result
        Output of :func:`beamform`.
    false_alarm_probability
        Per-beam false-alarm probability ``p`` (0-1) of the threshold
        ``F_{1-p}(2BT, 2BT(N - 1))``.
    f_scale
        Factor (>= 1 to be stricter) on the threshold, for noise that is coherent or
        not white (the "C-value" of the adaptive F-detector; 1 = none).
    min_windows
        Fewest consecutive windows that make a detection.
    max_back_azimuth_step_deg
        Largest change of back-azimuth (degrees) between consecutive windows of one
        detection; a larger step starts a new detection (two sources in succession).
    min_duration_s
        Shortest detection kept, s, from the start of its first window to the end of its
        last (0 keeps all; one 10 s window lasts 10 s, two with 50 % overlap 15 s).

    Returns
    -------
    list of InfrasoundDetection
        In time order.
    """
    if f_scale <= 0.0:
        raise InputError("must be positive", where="f_scale")
    if min_windows < 1:
        raise InputError("must be at least 1", where="min_windows")
    if not min_duration_s >= 0.0:
        raise InputError("must be zero or positive", where="min_duration_s")
    thresh = f_threshold(result.dof, false_alarm_probability) * f_scale
    above = result.f_stat > thresh
    detections: list[InfrasoundDetection] = []
    w = 0
    n = above.size
    while w < n:
        if not above[w]:
            w += 1
            continue
        first = w
        w += 1
        while w < n and above[w]:
            step = abs(result.back_azimuth_deg[w] - result.back_azimuth_deg[w - 1]) % 360.0
            if min(step, 360.0 - step) > max_back_azimuth_step_deg:
                break
            w += 1
        idx = np.arange(first, w)
        duration = float(result.window_offsets_s[w - 1] - result.window_offsets_s[first])
        if idx.size < min_windows or duration + result.window_s < min_duration_s - 1e-9:
            continue
        az = np.radians(result.back_azimuth_deg[idx])
        mean_baz = float(np.degrees(np.arctan2(np.sin(az).mean(), np.cos(az).mean())) % 360.0)
        peak = int(idx[np.argmax(result.f_stat[idx])])
        t0 = result.starttime
        detections.append(
            InfrasoundDetection(
                array=result.array,
                start=_utc(t0 + float(result.window_offsets_s[first])),
                end=_utc(t0 + float(result.window_offsets_s[w - 1]) + result.window_s),
                peak=_utc(t0 + float(result.window_offsets_s[peak])),
                back_azimuth_deg=mean_baz,
                trace_velocity_km_s=float(result.trace_velocity_km_s[idx].mean()),
                max_f_stat=float(result.f_stat[peak]),
                n_windows=int(idx.size),
                f_threshold=thresh,
                false_alarm_probability=false_alarm_probability,
                freq_band_hz=result.freq_band_hz,
                peak_back_azimuth_deg=float(result.back_azimuth_deg[peak]),
                peak_trace_velocity_km_s=float(result.trace_velocity_km_s[peak]),
            )
        )
    return detections


@dataclass(frozen=True)
class DetectionFamily:
    """Consecutive detections of one source: same direction and trace velocity, short gaps.

    Attributes
    ----------
    members
        The detections, in time order.
    """

    members: tuple[InfrasoundDetection, ...]

    @property
    def start(self) -> datetime:
        """UTC start of the first member."""
        return self.members[0].start

    @property
    def end(self) -> datetime:
        """UTC end of the last member."""
        return max(d.end for d in self.members)

    @property
    def duration_s(self) -> float:
        """End minus start, s."""
        return (self.end - self.start).total_seconds()

    @property
    def strongest(self) -> InfrasoundDetection:
        """The member of largest F."""
        return max(self.members, key=lambda d: d.max_f_stat)

    def to_record_body(self) -> dict[str, Any]:
        """JSON body: the strongest member's values with the family's span and size."""
        body = self.strongest.to_record_body()
        body.update(
            {
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "n_windows": sum(d.n_windows for d in self.members),
                "n_detections": len(self.members),
            }
        )
        return body


def _direction(d: InfrasoundDetection) -> tuple[float, float]:
    baz = d.peak_back_azimuth_deg if np.isfinite(d.peak_back_azimuth_deg) else d.back_azimuth_deg
    vel = (
        d.peak_trace_velocity_km_s
        if np.isfinite(d.peak_trace_velocity_km_s)
        else d.trace_velocity_km_s
    )
    return baz, vel


def group_families(
    detections: Sequence[InfrasoundDetection],
    *,
    max_gap_s: float = 30.0,
    max_back_azimuth_diff_deg: float = 10.0,
    max_trace_velocity_diff: float = 0.1,
) -> list[DetectionFamily]:
    """Group consecutive detections of one source into families.

    A detection joins the family of the previous one when it starts at most ``max_gap_s``
    after that family ends and its back-azimuth and trace velocity (of the peak window)
    are within the tolerances of the family's strongest member. All three defaults are
    choices, not published values: 30 s is three 10 s windows; 10 degrees is several times
    the back-azimuth scatter of the BRP arrivals (about 2 degrees window to window) and
    below the 15 degree step that splits detections in :func:`detect`; 10 % of the trace
    velocity is about twice the window-to-window scatter on BRP (0.335-0.36 km/s).

    Parameters
    ----------
    detections
        Output of :func:`detect`, in time order.
    max_gap_s
        Largest gap between a family's end and the next detection's start, s.
    max_back_azimuth_diff_deg
        Largest back-azimuth difference, degrees.
    max_trace_velocity_diff
        Largest relative trace-velocity difference (0.1 = 10 %).

    Returns
    -------
    list of DetectionFamily
        In time order; a lone detection is a family of one.
    """
    if not (max_gap_s >= 0.0 and max_back_azimuth_diff_deg >= 0.0 and max_trace_velocity_diff >= 0):
        raise InputError("family tolerances must be zero or positive", where="group_families")
    families: list[list[InfrasoundDetection]] = []
    for det in sorted(detections, key=lambda d: d.start):
        if families:
            current = families[-1]
            ref_baz, ref_vel = _direction(max(current, key=lambda d: d.max_f_stat))
            baz, vel = _direction(det)
            gap = (det.start - max(d.end for d in current)).total_seconds()
            dbaz = abs((baz - ref_baz + 180.0) % 360.0 - 180.0)
            if (
                gap <= max_gap_s
                and dbaz <= max_back_azimuth_diff_deg
                and abs(vel - ref_vel) <= max_trace_velocity_diff * ref_vel
            ):
                current.append(det)
                continue
        families.append([det])
    return [DetectionFamily(tuple(members)) for members in families]
