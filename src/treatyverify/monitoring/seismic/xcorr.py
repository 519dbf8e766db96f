"""Waveform cross-correlation: find repeats of a known event, measure differential times.

:func:`scan_template` slides the waveform of a known event (the *template*, for example
the P-to-S window of an explosion recorded at one station) along continuous data of the
same channel and reports where the normalized cross-correlation coefficient exceeds a
threshold. Both traces are demeaned, tapered and band-passed with the same zero-phase
Butterworth filter; the correlation is ObsPy's FFT-based
:func:`obspy.signal.cross_correlation.correlate_template` with ``normalize="full"``, so
the coefficient lies in [-1, 1] and does not depend on the amplitude of either trace.

The threshold is absolute (a coefficient, default 0.5) and, when ``mad_multiple`` is
given, also a multiple of the median absolute deviation (MAD) of the correlation trace
about its median, the detection statistic of Gibbons & Ringdal (2006, Geophys. J. Int.
165, 149-166) and Shelly et al. (2007, Nature 446, 305-307); a detection must exceed both.

:func:`differential_times` measures, station by station on vertical channels, the
difference between the P arrival times of two events by cross-correlating a window around
the P onset of event a with the same-length window of event b, searched within
``max_lag_s``; the peak of the correlation is refined to a fraction of a sample by fitting
a parabola through it and its two neighbours. Pairs whose peak coefficient is below
``min_cc`` are discarded. These are the data of the relative location in
:mod:`.relocate`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import obspy
from obspy.signal.cross_correlation import correlate_template
from scipy.signal import find_peaks

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.detect import Band
from treatyverify.monitoring.seismic.locate import Pick

__all__ = [
    "DEFAULT_XCORR_BAND",
    "DifferentialTime",
    "TemplateMatch",
    "differential_times",
    "parabolic_peak",
    "scan_template",
]

FloatArray = npt.NDArray[np.float64]

#: Fraction of each end of a trace tapered (Hann) before filtering.
_TAPER_FRACTION = 0.05

#: Butterworth order used for the identical band-pass of both traces.
_CORNERS = 4

#: Default band of :func:`differential_times` (Hz): on the two Korean-peninsula
#: explosion sets, regional P correlated over 8 s in 2-6 Hz gave coefficients of 0.7 to
#: 0.95 and the smallest relative-location residuals (9 ms rms) of the bands tried
#: (0.5-2, 1-4, 2-6 Hz); set it from each network's data.
DEFAULT_XCORR_BAND = Band(2.0, 6.0)


@dataclass(frozen=True)
class TemplateMatch:
    """One detection of a template in continuous data.

    Parameters
    ----------
    time
        Time in the continuous data that matches the template's reference time (its
        ``reference`` argument, else its first sample), UTC, to a fraction of a sample.
    cc
        Peak normalized cross-correlation coefficient (dimensionless, <= 1).
    mad_multiple
        The coefficient divided by the MAD of the correlation trace (dimensionless).
    """

    time: obspy.UTCDateTime
    cc: float
    mad_multiple: float


@dataclass(frozen=True)
class DifferentialTime:
    """Differential P arrival time of event b minus event a at one station.

    Parameters
    ----------
    station
        Station key ``"NET.STA"``.
    trace_id
        SEED identifier of the vertical channel used.
    dt_s
        Arrival time at the station of event b minus that of event a, s (this includes
        the difference of the origin times).
    cc
        Peak normalized cross-correlation coefficient of the two P windows.
    """

    station: str
    trace_id: str
    dt_s: float
    cc: float


def parabolic_peak(values: FloatArray, index: int) -> tuple[float, float]:
    """Sub-sample position and height of a peak by a parabola through three samples.

    Parameters
    ----------
    values
        Sampled function (for example a correlation trace).
    index
        Index of a sample at the peak.

    Returns
    -------
    tuple[float, float]
        Fractional index of the vertex (samples) and the value there; ``index`` and
        ``values[index]`` at either end of the array or on a flat top.
    """
    if index <= 0 or index >= values.size - 1:
        return float(index), float(values[index])
    y0, y1, y2 = float(values[index - 1]), float(values[index]), float(values[index + 1])
    curvature = y0 - 2.0 * y1 + y2
    if curvature >= 0.0:
        return float(index), y1
    shift = 0.5 * (y0 - y2) / curvature
    return index + shift, y1 - 0.25 * (y0 - y2) * shift


def _filtered(trace: obspy.Trace, band: Band, where: str) -> obspy.Trace:
    rate = float(trace.stats.sampling_rate)
    if not band.high_hz < 0.5 * rate:
        raise InputError(
            f"band {band.label} reaches the Nyquist frequency {0.5 * rate:g} Hz", where=where
        )
    data = np.asarray(trace.data, dtype=np.float64)
    if data.size == 0 or not np.all(np.isfinite(data)):
        raise InputError("trace is empty or holds non-finite samples", where=where)
    out = trace.copy()
    out.data = data.copy()
    out.detrend("demean")
    out.taper(_TAPER_FRACTION, type="hann")
    out.filter(
        "bandpass", freqmin=band.low_hz, freqmax=band.high_hz, corners=_CORNERS, zerophase=True
    )
    return out


def _mad(values: FloatArray) -> float:
    return float(np.median(np.abs(values - np.median(values))))


def scan_template(
    template: obspy.Trace,
    continuous: obspy.Trace,
    *,
    band: Band,
    threshold: float = 0.5,
    mad_multiple: float | None = None,
    window: tuple[obspy.UTCDateTime, obspy.UTCDateTime] | None = None,
    reference: obspy.UTCDateTime | None = None,
) -> list[TemplateMatch]:
    """Detect repeats of a template waveform in continuous data.

    Parameters
    ----------
    template
        Recording of the known event (one channel); it is filtered whole, then cut to
        ``window`` when given, so the filter's edge effects stay outside the template.
    continuous
        Continuous data of the same channel type, same sampling rate (Hz).
    band
        Band-pass applied identically to both traces (Hz).
    threshold
        Absolute threshold on the correlation coefficient, in (0, 1].
    mad_multiple
        When given, a detection must also exceed this multiple of the MAD of the
        correlation trace (dimensionless, > 0; 8 to 12 are usual).
    window
        Start and end (UTC) of the template cut from ``template`` after filtering.
    reference
        Time in the template (UTC; for example its P onset) that detections report;
        default the template's first sample.

    Returns
    -------
    list[TemplateMatch]
        Detections in time order, at most one per template length.

    Raises
    ------
    InputError
        Different sampling rates, a template longer than the data, a band beyond the
        Nyquist frequency, or thresholds out of range.
    """
    if not 0.0 < threshold <= 1.0:
        raise InputError("threshold must lie in (0, 1]", where="threshold")
    if mad_multiple is not None and not (math.isfinite(mad_multiple) and mad_multiple > 0):
        raise InputError("mad_multiple must be a positive number", where="mad_multiple")
    rate = float(template.stats.sampling_rate)
    if not math.isclose(rate, float(continuous.stats.sampling_rate), rel_tol=1e-6):
        raise InputError(
            "template and continuous data have different sampling rates", where=continuous.id
        )
    tpl = _filtered(template, band, template.id)
    if window is not None:
        tpl = tpl.slice(window[0], window[1])
    data = _filtered(continuous, band, continuous.id)
    n = len(tpl.data)
    if n < 3 or n > len(data.data):
        raise InputError(
            "the template must hold at least 3 samples and be shorter than the data",
            where=template.id,
        )
    cc = np.asarray(
        correlate_template(data.data, tpl.data, mode="valid", normalize="full"), dtype=np.float64
    )
    mad = _mad(cc)
    level = threshold
    if mad_multiple is not None:
        level = max(level, mad_multiple * mad)
    peaks, _ = find_peaks(cc, height=level, distance=n)
    offset_s = 0.0 if reference is None else float(reference - tpl.stats.starttime)
    found: list[TemplateMatch] = []
    for index in peaks:
        where, height = parabolic_peak(cc, int(index))
        time = data.stats.starttime + where / rate + offset_s
        found.append(TemplateMatch(time, min(height, 1.0), height / mad if mad > 0 else math.inf))
    return found


def _vertical(stream: obspy.Stream) -> dict[str, obspy.Trace]:
    out: dict[str, obspy.Trace] = {}
    for trace in sorted(stream, key=lambda t: t.id):
        if not trace.stats.channel.endswith("Z"):
            continue
        key = f"{trace.stats.network}.{trace.stats.station}"
        held = out.get(key)
        if held is None or trace.stats.npts > held.stats.npts:
            out[key] = trace
    return out


def _epoch(pick: Pick) -> float:
    return pick.epoch_s


def differential_times(
    stream_a: obspy.Stream,
    stream_b: obspy.Stream,
    picks_a: Sequence[Pick],
    picks_b: Sequence[Pick],
    *,
    window_s: float = 8.0,
    pre_s: float = 1.0,
    band: Band = DEFAULT_XCORR_BAND,
    max_lag_s: float = 2.0,
    min_cc: float = 0.7,
    align: bool = True,
    stations: Collection[str] | None = None,
) -> list[DifferentialTime]:
    """Differential P arrival times of event b minus event a by cross-correlation.

    Parameters
    ----------
    stream_a, stream_b
        Recordings of the two events; vertical channels (code ending in ``Z``) are used.
    picks_a, picks_b
        First-arrival P picks of each event, for example
        ``pipeline.event_picks(detect(stream), ...)``, or picks made from predicted
        travel times.
    window_s
        Length of the correlation window, s, starting ``pre_s`` before event a's onset.
    pre_s
        Part of the window before the onset, s.
    band
        Band-pass applied identically to both recordings (Hz); default
        :data:`DEFAULT_XCORR_BAND`.
    max_lag_s
        Largest shift searched either side of event b's expected onset, s.
    min_cc
        Smallest peak correlation coefficient kept (dimensionless).
    align
        When true, event b's expected onset at a station is event a's pick plus the
        median over common stations of (pick b - pick a): for two events a few km apart
        the differential times differ from a common shift by far less than single-pick
        errors, so one bad pick of b does not misplace its window. When false, b's own
        pick is used.
    stations
        Station keys ``"NET.STA"`` to use; default all with picks for both events.

    Returns
    -------
    list[DifferentialTime]
        One entry per station that passed ``min_cc``, sorted by station.
    """
    if not (window_s > 0 and pre_s >= 0 and max_lag_s > 0 and pre_s < window_s):
        raise InputError("need window_s > pre_s >= 0 and max_lag_s > 0", where="window")
    if not -1.0 <= min_cc <= 1.0:
        raise InputError("min_cc must lie in [-1, 1]", where="min_cc")
    onset_a = {p.station: _epoch(p) for p in picks_a}
    onset_b = {p.station: _epoch(p) for p in picks_b}
    common = sorted(set(onset_a) & set(onset_b))
    if stations is not None:
        common = [key for key in common if key in stations]
    if not common:
        return []
    shift = float(np.median([onset_b[k] - onset_a[k] for k in common]))
    traces_a, traces_b = _vertical(stream_a), _vertical(stream_b)
    out: list[DifferentialTime] = []
    for key in common:
        tr_a, tr_b = traces_a.get(key), traces_b.get(key)
        if tr_a is None or tr_b is None:
            continue
        rate = float(tr_a.stats.sampling_rate)
        if not math.isclose(rate, float(tr_b.stats.sampling_rate), rel_tol=1e-6):
            continue
        try:
            fa, fb = _filtered(tr_a, band, tr_a.id), _filtered(tr_b, band, tr_b.id)
        except InputError:
            continue
        start_a = obspy.UTCDateTime(onset_a[key] - pre_s)
        n = round(window_s * rate)
        lag_n = round(max_lag_s * rate)
        seg_a = fa.slice(start_a, start_a + (n - 1) / rate + 0.5 / rate)
        expected_b = onset_a[key] + shift if align else onset_b[key]
        start_b = obspy.UTCDateTime(expected_b - pre_s - lag_n / rate)
        seg_b = fb.slice(start_b, start_b + (n + 2 * lag_n - 1) / rate + 0.5 / rate)
        if len(seg_a.data) < n or len(seg_b.data) < n + 2 * lag_n:
            continue  # too near an end of a recording or in a gap
        a = np.asarray(seg_a.data[:n], dtype=np.float64)
        b = np.asarray(seg_b.data[: n + 2 * lag_n], dtype=np.float64)
        if not (np.any(a) and np.any(b)):
            continue
        cc = np.asarray(correlate_template(b, a, mode="valid", normalize="full"), dtype=np.float64)
        index = int(np.argmax(cc))
        where, height = parabolic_peak(cc, index)
        if height < min_cc or index in (0, cc.size - 1):
            continue  # weak, or the peak lies at the edge of the search
        dt = float(seg_b.stats.starttime - seg_a.stats.starttime) + where / rate
        out.append(DifferentialTime(key, tr_a.id, dt, min(height, 1.0)))
    return out
