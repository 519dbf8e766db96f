"""Relative magnitudes: event b against a master event a from amplitude ratios.

Relative magnitudes (:func:`relative_magnitude`) need no response: at each station that
recorded both events on the same vertical channel, the two waveforms are filtered alike,
aligned by cross-correlation, and the magnitude difference is ``log10(|b| / |a|)`` (the
ratio of the L2 norms of the aligned windows, noise energy subtracted); the least-squares
scale ``<a, b> / <a, a>``, which is smaller by the correlation coefficient, is reported
beside it. The event difference is the median over stations with a robust standard error
``sqrt(pi/2) * 1.4826 MAD / sqrt(n)`` (1.4826 MAD estimates the standard deviation of a
normal sample; Rousseeuw & Croux 1993, J. Am. Stat. Assoc. 88, 1273-1283). It assumes the
instrument gain is the same for both events unless StationXML of both epochs is given, in
which case each trace is first divided by its overall sensitivity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import obspy
from numpy.typing import NDArray
from obspy.core.inventory import Inventory

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic import response as _response
from treatyverify.monitoring.seismic.magnitude.event import EventOrigin, _p_time
from treatyverify.monitoring.seismic.magnitude.formulas import _KM_PER_DEG
from treatyverify.monitoring.seismic.magnitude.regional import LG_GROUP_VELOCITY_KM_S
from treatyverify.monitoring.seismic.magnitude.station import _station_key

#: Default band of relative magnitudes, Hz: around the 1 s period at which mb is read
#: (teleseismic P reaching the IDC is dominated by about 1 Hz, and Nuttli's mb(Lg) uses
#: 1 s waves). Regional P keeps energy to 5 Hz and more, and the amplitude ratio of a large
#: to a small explosion falls with frequency (corner frequencies), so the IDC's
#: 0.8-4.5 Hz band on regional P does not reproduce teleseismic mb differences. The same
#: numbers as :data:`MBLG_BAND_HZ`; this package's choice, made with the DPRK data of
#: docs/benchmarks.md in view (see docs/monitoring-magnitude-screening.md).
RELATIVE_BAND_HZ = (0.7, 1.5)


def robust_median(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, robust standard deviation (1.4826 MAD) and standard error of the median.

    The standard error is ``sqrt(pi/2) * 1.4826 MAD / sqrt(n)``; ``nan`` for one value.

    Parameters
    ----------
    values
        Numbers (at least one).
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        raise InputError("no values to average", where="values")
    med = float(np.median(arr))
    if arr.size == 1:
        return med, math.nan, math.nan
    sigma = 1.4826 * float(np.median(np.abs(arr - med)))
    return med, sigma, math.sqrt(math.pi / 2.0) * sigma / math.sqrt(arr.size)


@dataclass(frozen=True)
class RelativeStation:
    """The amplitude ratio of two events at one station.

    Parameters
    ----------
    station
        ``NET.STA`` key.
    trace_id
        SEED id of the channel used.
    status
        ``"computed"`` or ``"not computed: <reason>"``.
    delta_magnitude
        ``log10(|b| / |a|)`` of the aligned windows (noise energy subtracted).
    lsq_delta_magnitude
        ``log10(<a, b> / <a, a>)``, the least-squares scale of a onto b.
    cc
        Normalized correlation coefficient at the alignment.
    lag_s
        Shift of b's window from its predicted position, s.
    snr_a, snr_b
        RMS of the signal window over RMS of the noise window before P.
    distance_deg
        Epicentral distance from event a, degrees.
    """

    station: str
    trace_id: str
    status: str
    delta_magnitude: float | None = None
    lsq_delta_magnitude: float | None = None
    cc: float | None = None
    lag_s: float | None = None
    snr_a: float | None = None
    snr_b: float | None = None
    distance_deg: float | None = None

    @property
    def computed(self) -> bool:
        """Whether a ratio was measured."""
        return self.delta_magnitude is not None


@dataclass(frozen=True)
class RelativeMagnitude:
    """Magnitude of event b relative to event a from amplitude ratios.

    Parameters
    ----------
    value
        Median station ``delta_magnitude`` (b minus a), or ``None``.
    stderr
        Robust standard error of the median (``nan`` with one station).
    sigma
        Robust spread of the station values (1.4826 MAD).
    n_stations
        Stations used.
    phase
        ``"P"`` or ``"Lg"``.
    band_hz
        Filter band, Hz.
    method
        ``"norm"`` (L2-norm ratio) or ``"lsq"`` (least-squares scale).
    stations
        Every station tried, with its status.
    """

    value: float | None
    stderr: float | None
    sigma: float | None
    n_stations: int
    phase: str
    band_hz: tuple[float, float]
    method: str
    stations: tuple[RelativeStation, ...]

    @property
    def status(self) -> str:
        """``"computed"`` or why not."""
        if self.value is not None:
            return "computed"
        reasons = sorted({s.status.removeprefix("not computed: ") for s in self.stations})
        return "not computed: " + ("; ".join(reasons) or "no common stations")


def _prepared(trace: obspy.Trace, band_hz: tuple[float, float], gain: float) -> obspy.Trace:
    rate = float(trace.stats.sampling_rate)
    if not band_hz[1] < 0.5 * rate:
        raise InputError(
            f"band {band_hz[0]:g}-{band_hz[1]:g} Hz reaches the Nyquist frequency",
            where=trace.id,
        )
    tr = trace.copy()
    tr.data = np.asarray(tr.data, dtype=np.float64) / gain
    tr.detrend("demean")
    tr.taper(0.05)
    tr.filter("bandpass", freqmin=band_hz[0], freqmax=band_hz[1], corners=3)
    return tr


def _segment(tr: obspy.Trace, start: obspy.UTCDateTime, n: int) -> NDArray[np.float64] | None:
    i0 = round((start - tr.stats.starttime) * tr.stats.sampling_rate)
    if i0 < 0 or i0 + n > tr.stats.npts:
        return None
    return np.asarray(tr.data[i0 : i0 + n], dtype=np.float64)


def relative_station(
    trace_a: obspy.Trace,
    trace_b: obspy.Trace,
    *,
    start_a: obspy.UTCDateTime,
    start_b: obspy.UTCDateTime,
    length_s: float,
    band_hz: tuple[float, float] = RELATIVE_BAND_HZ,
    max_lag_s: float = 2.0,
    noise_end_a: obspy.UTCDateTime | None = None,
    noise_end_b: obspy.UTCDateTime | None = None,
    noise_length_s: float = 20.0,
    min_cc: float = 0.6,
    min_snr: float = 3.0,
    gain_a: float = 1.0,
    gain_b: float = 1.0,
    distance_deg: float | None = None,
) -> RelativeStation:
    """Amplitude ratio of event b to event a at one channel.

    Both traces are demeaned, tapered and band-passed alike (causal 3-pole Butterworth).
    A window of ``length_s`` from ``start_a`` is cut from a; b's window of the same
    length is searched within ``max_lag_s`` of ``start_b`` for the largest absolute
    normalized correlation. At that alignment the station value is
    ``log10(sqrt(E_b - n N_b) / sqrt(E_a - n N_a))`` (window energies less the noise
    energy expected from the mean square ``N`` of the noise window), and the
    least-squares scale ``<a, b>/<a, a>`` is reported beside it.

    Parameters
    ----------
    trace_a, trace_b
        The same channel's raw recordings of events a and b (counts).
    start_a, start_b
        Window starts (for example predicted P minus a lead), UTC.
    length_s
        Window length, s.
    band_hz
        Filter band, Hz.
    max_lag_s
        Alignment search half-width, s.
    noise_end_a, noise_end_b
        End of each noise window (default: the window start minus 5 s).
    noise_length_s
        Noise window length, s.
    min_cc
        Smallest absolute correlation accepted.
    min_snr
        Smallest signal-to-noise RMS ratio accepted for each event.
    gain_a, gain_b
        Overall sensitivities to divide by (1 when no StationXML: same gain assumed).
    distance_deg
        Epicentral distance, degrees (reported only).
    """
    key = _station_key(trace_a.id)

    def no(reason: str) -> RelativeStation:
        return RelativeStation(
            key, trace_a.id, f"not computed: {reason}", distance_deg=distance_deg
        )

    rate = float(trace_a.stats.sampling_rate)
    if not math.isclose(rate, float(trace_b.stats.sampling_rate), rel_tol=1e-6):
        return no("sampling rates of the two events differ")
    if not (length_s > 0 and max_lag_s >= 0 and noise_length_s > 0):
        raise InputError("window, lag and noise lengths must be positive", where="window")
    for tr in (trace_a, trace_b):
        data = np.asarray(tr.data, dtype=np.float64)
        if data.size == 0 or not np.all(np.isfinite(data)):
            return no("empty trace or non-finite samples")
    a = _prepared(trace_a, band_hz, gain_a)
    b = _prepared(trace_b, band_hz, gain_b)
    n = round(length_s * rate)
    lag_n = round(max_lag_s * rate)
    wa = _segment(a, start_a, n)
    wide = _segment(b, start_b - lag_n / rate, n + 2 * lag_n)
    n_noise = round(noise_length_s * rate)
    na = _segment(a, (noise_end_a or start_a - 5.0) - noise_length_s, n_noise)
    nb = _segment(b, (noise_end_b or start_b - 5.0) - noise_length_s, n_noise)
    if wa is None or wide is None or na is None or nb is None:
        return no("window outside the recording")
    energy_a = float(wa @ wa)
    if energy_a <= 0.0:
        return no("no signal in event a's window")
    # normalized correlation of wa against every n-sample window of `wide`
    windows = np.lib.stride_tricks.sliding_window_view(wide, n)
    dots = windows @ wa
    norms = np.sqrt(np.einsum("ij,ij->i", windows, windows) * energy_a)
    with np.errstate(invalid="ignore", divide="ignore"):
        ccs = np.where(norms > 0, dots / norms, 0.0)
    k = int(np.argmax(np.abs(ccs)))
    cc = float(ccs[k])
    wb = windows[k]
    energy_b = float(wb @ wb)
    noise_a, noise_b = float(np.mean(na**2)), float(np.mean(nb**2))
    snr_a = math.sqrt(energy_a / n / noise_a) if noise_a > 0 else math.inf
    snr_b = math.sqrt(energy_b / n / noise_b) if noise_b > 0 else math.inf
    lag_s = (k - lag_n) / rate
    base = RelativeStation(key, trace_a.id, "", None, None, cc, lag_s, snr_a, snr_b, distance_deg)
    if abs(cc) < min_cc:
        return _with_status(base, f"not computed: correlation {abs(cc):.2f} below {min_cc:g}")
    if min(snr_a, snr_b) < min_snr:
        return _with_status(base, f"not computed: signal-to-noise below {min_snr:g}")
    sig_a = energy_a - n * noise_a
    sig_b = energy_b - n * noise_b
    if sig_a <= 0.0 or sig_b <= 0.0:
        return _with_status(base, "not computed: window energy not above the noise")
    delta = 0.5 * math.log10(sig_b / sig_a)
    lsq = float(wa @ wb) / energy_a
    lsq_delta = math.log10(abs(lsq)) if lsq != 0.0 else None
    return RelativeStation(
        key, trace_a.id, "computed", delta, lsq_delta, cc, lag_s, snr_a, snr_b, distance_deg
    )


def _with_status(item: RelativeStation, status: str) -> RelativeStation:
    return RelativeStation(
        item.station,
        item.trace_id,
        status,
        None,
        None,
        item.cc,
        item.lag_s,
        item.snr_a,
        item.snr_b,
        item.distance_deg,
    )


def _verticals(stream: obspy.Stream) -> dict[str, obspy.Trace]:
    out: dict[str, obspy.Trace] = {}
    for tr in sorted(stream, key=lambda t: t.id):
        if tr.stats.channel.endswith("Z"):
            out.setdefault(tr.id, tr)
    return out


def relative_magnitude(
    stream_b: obspy.Stream,
    stream_a: obspy.Stream,
    stations: Mapping[str, tuple[float, float]],
    origin_b: EventOrigin,
    origin_a: EventOrigin,
    *,
    phase: Literal["P", "Lg"] = "P",
    band_hz: tuple[float, float] = RELATIVE_BAND_HZ,
    lead_s: float = 1.0,
    length_s: float = 10.0,
    max_lag_s: float = 2.0,
    min_cc: float = 0.6,
    min_snr: float = 3.0,
    method: Literal["norm", "lsq"] = "norm",
    inventory_a: Inventory | None = None,
    inventory_b: Inventory | None = None,
    model: str = "iasp91",
) -> RelativeMagnitude:
    """Magnitude of event b relative to event a from amplitude ratios at common stations.

    For every vertical channel recorded for both events at a station with coordinates,
    :func:`relative_station` measures the ratio in a window starting ``lead_s`` before
    the predicted P (``model``) or, for ``phase="Lg"``, between group velocities 3.6 and
    3.0 km/s; the result is the median over stations with its robust standard error
    (:func:`robust_median`). No response is needed; when StationXML is given for both
    epochs, each trace is divided by its overall sensitivity first, which removes a
    gain change between the two recordings.

    Parameters
    ----------
    stream_b, stream_a
        Raw recordings of the event to measure (b) and of the master (a), counts.
    stations
        ``NET.STA`` -> (latitude, longitude), degrees.
    origin_b, origin_a
        Origins of the two events.
    phase
        ``"P"`` or ``"Lg"``.
    band_hz
        Filter band, Hz (default :data:`RELATIVE_BAND_HZ`, 0.7-1.5 Hz).
    lead_s, length_s
        P window: start before the predicted P, and length, s (``phase="P"``).
    max_lag_s
        Alignment search half-width, s.
    min_cc, min_snr
        Acceptance thresholds (this package's defaults: 0.6 and 3).
    method
        ``"norm"`` (L2-norm ratio, default) or ``"lsq"`` (least-squares scale).
    inventory_a, inventory_b
        StationXML with responses for each event's epoch (optional; both or neither).
    model
        Earth model for predicted P times.
    """
    if (inventory_a is None) != (inventory_b is None):
        raise InputError("give StationXML for both events or for neither", where="inventory")
    verts_a, verts_b = _verticals(stream_a), _verticals(stream_b)
    common = sorted(set(verts_a) & set(verts_b))
    results: list[RelativeStation] = []
    for tid in common:
        key = _station_key(tid)
        if key not in stations:
            continue
        ta, tb = verts_a[tid], verts_b[tid]
        gain_a = gain_b = 1.0
        if inventory_a is not None and inventory_b is not None:
            _response.check_responses([ta], inventory_a, source="master StationXML")
            _response.check_responses([tb], inventory_b, source="StationXML")
            gain_a = _response.response_gain(inventory_a, ta)
            gain_b = _response.response_gain(inventory_b, tb)
        dist_a = origin_a.distance_deg(*stations[key])
        dist_b = origin_b.distance_deg(*stations[key])
        try:
            p_a, p_b = _p_time(origin_a, dist_a, model), _p_time(origin_b, dist_b, model)
        except InputError as exc:
            results.append(RelativeStation(key, tid, f"not computed: {exc.message}"))
            continue
        if phase == "P":
            start_a, start_b = p_a - lead_s, p_b - lead_s
            win = length_s
            noise_a = noise_b = None
        else:
            fast, slow = LG_GROUP_VELOCITY_KM_S
            start_a = origin_a.time + dist_a * _KM_PER_DEG / fast
            start_b = origin_b.time + dist_b * _KM_PER_DEG / fast
            win = dist_a * _KM_PER_DEG * (1.0 / slow - 1.0 / fast)
            noise_a, noise_b = p_a - 5.0, p_b - 5.0
        results.append(
            relative_station(
                ta,
                tb,
                start_a=start_a,
                start_b=start_b,
                length_s=win,
                band_hz=band_hz,
                max_lag_s=max_lag_s,
                noise_end_a=noise_a,
                noise_end_b=noise_b,
                min_cc=min_cc,
                min_snr=min_snr,
                gain_a=gain_a,
                gain_b=gain_b,
                distance_deg=dist_a,
            )
        )
    if method == "lsq":
        values = [r.lsq_delta_magnitude for r in results if r.lsq_delta_magnitude is not None]
    else:
        values = [r.delta_magnitude for r in results if r.delta_magnitude is not None]
    if not values:
        return RelativeMagnitude(None, None, None, 0, phase, band_hz, method, tuple(results))
    med, sigma, stderr = robust_median(values)
    return RelativeMagnitude(
        med, stderr, sigma, len(values), phase, band_hz, method, tuple(results)
    )
