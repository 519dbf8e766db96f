"""Regional P/S (Pg/Lg) spectral-ratio discriminant at high frequency (6-8 Hz by default).

Explosions radiate relatively more compressional than shear energy at high frequency than
earthquakes do, so ``log10(P/S)`` of regional phases is higher for explosions (for the
Korean Peninsula see for example Kitov & Rozhkov 2017, arXiv:1712.01819, Pg/Lg at USRK,
KSRS, SEHB and MDJ for the DPRK tests; Tibi, SnT2021, cross-spectral Pg/Lg and Pn/Lg).
Those studies separate the populations with discriminant functions fitted to local event
populations (Mahalanobis distance, quadratic discriminants); none of them publishes a single
threshold on a network-mean Pg/Lg that could be applied here. **No threshold is built in**:
without a threshold given together with its published source, the result is always
``"not decided"`` (fail closed), and the ratio is reported with its uncertainty.

Measurement, per station (vertical component):

* windows from the epicentral distance ``d`` (km) and group velocities (**choices**, stated
  here, not taken from a publication): Pg from ``d / 6.2`` to ``d / 5.0`` s after the origin,
  Lg from ``d / 3.6`` to ``d / 3.0`` s (the usual crustal Pg and Lg group-velocity spans);
  noise: the 30 s ending 5 s before the predicted Pn at ``d / 8.1`` s (choices);
* each window demeaned, Hann-tapered and Fourier transformed; power spectral density
  ``|X|^2 / (fs sum w^2)`` so windows of different lengths compare;
* noise correction: the noise PSD, averaged over the band, is subtracted from the signal PSD
  averaged over the band (power subtraction);
* a station is used only when both windows have band power at least ``min_snr`` (default 2,
  a choice) times the noise power, else it is listed with the reason;
* ``log10(P/S) = 0.5 log10(P_Pg / P_Lg)`` from the corrected band powers; its standard error
  is the scatter of the same ratio over 0.5 Hz sub-bands divided by the square root of their
  number.

The instrument response cancels in the ratio (same channel, same frequencies), so raw counts
are fine. The network value is the mean over used stations with the standard error
``std(ddof=1) / sqrt(n)`` (needs at least two stations). Lg is blocked across oceanic crust
(e.g. the Sea of Japan), which raises P/S at such stations whatever the source: the
per-station table shows it; the mean is not path-corrected.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import obspy
from numpy.typing import NDArray
from obspy.geodetics import gps2dist_azimuth
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.ingest import Station

__all__ = [
    "Decision",
    "NetworkRatio",
    "PSWindows",
    "SourcedThreshold",
    "StationRatio",
    "network_ps_ratio",
    "station_ps_ratio",
]

Decision = Literal["not decided", "explosion-like", "earthquake-like"]


@dataclass(frozen=True)
class PSWindows:
    """Group velocities (km/s) and noise window of the measurement; all are choices.

    Attributes
    ----------
    p_fast_km_s, p_slow_km_s
        Pg window from ``d / p_fast`` to ``d / p_slow`` s after the origin (6.2, 5.0).
    s_fast_km_s, s_slow_km_s
        Lg window from ``d / s_fast`` to ``d / s_slow`` s (3.6, 3.0).
    pn_km_s
        Velocity predicting the first arrival, Pn (8.1 km/s); the noise window ends
        ``noise_gap_s`` before it.
    noise_s, noise_gap_s
        Noise window length (30 s) and gap before Pn (5 s).
    """

    p_fast_km_s: float = 6.2
    p_slow_km_s: float = 5.0
    s_fast_km_s: float = 3.6
    s_slow_km_s: float = 3.0
    pn_km_s: float = 8.1
    noise_s: float = 30.0
    noise_gap_s: float = 5.0


@dataclass(frozen=True)
class SourcedThreshold:
    """A threshold on network-mean ``log10(P/S)`` with the publication it comes from.

    Attributes
    ----------
    log10_ps
        Threshold on ``log10(P/S)``; above it (by the confidence margin) is explosion-like.
    source
        Citation of the publication that gives the threshold for this region and band.
    """

    log10_ps: float
    source: str

    def __post_init__(self) -> None:
        if not math.isfinite(self.log10_ps):
            raise InputError("threshold must be finite", where="threshold")
        if not self.source.strip():
            raise InputError("a threshold needs its published source", where="threshold")


@dataclass(frozen=True)
class StationRatio:
    """P/S measurement at one station.

    Attributes
    ----------
    station
        ``NET.STA``.
    distance_km
        Epicentral distance, km.
    log10_ps
        ``log10(P/S)`` from noise-corrected band powers (``None`` when not measured).
    stderr
        Its standard error from the sub-band scatter (``None`` when not measured).
    snr_p, snr_s
        Band power of the Pg and Lg windows over the noise power.
    reason
        Why the station was not used (empty when used).
    """

    station: str
    distance_km: float
    log10_ps: float | None
    stderr: float | None
    snr_p: float | None = None
    snr_s: float | None = None
    reason: str = ""

    @property
    def used(self) -> bool:
        """Whether the station contributes to the network mean."""
        return self.log10_ps is not None


@dataclass(frozen=True)
class NetworkRatio:
    """Network P/S discriminant result.

    Attributes
    ----------
    band_hz
        Band, Hz.
    stations
        Per-station measurements, by distance.
    mean_log10_ps, stderr
        Network mean of ``log10(P/S)`` and its standard error (``None`` with fewer than
        two used stations).
    decision
        ``"not decided"`` without a sourced threshold or when the interval straddles it.
    explanation
        One sentence with the numbers.
    threshold
        The sourced threshold used, if any.
    """

    band_hz: tuple[float, float]
    stations: tuple[StationRatio, ...]
    mean_log10_ps: float | None
    stderr: float | None
    decision: Decision
    explanation: str
    threshold: SourcedThreshold | None = field(default=None)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary."""
        return {
            "band_hz": list(self.band_hz),
            "mean_log10_ps": self.mean_log10_ps,
            "stderr": self.stderr,
            "decision": self.decision,
            "explanation": self.explanation,
            "threshold": None
            if self.threshold is None
            else {"log10_ps": self.threshold.log10_ps, "source": self.threshold.source},
            "stations": [
                {
                    "station": s.station,
                    "distance_km": round(s.distance_km, 1),
                    "log10_ps": s.log10_ps,
                    "stderr": s.stderr,
                    "snr_p": s.snr_p,
                    "snr_s": s.snr_s,
                    "reason": s.reason,
                }
                for s in self.stations
            ],
        }


def _psd(x: NDArray[np.float64], fs: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = x - x.mean()
    w = np.hanning(x.size)
    spec = np.fft.rfft(x * w)
    freqs = np.asarray(np.fft.rfftfreq(x.size, 1.0 / fs), dtype=np.float64)
    return freqs, np.abs(spec) ** 2 / (fs * float(np.sum(w**2)))


def _band_power(f: NDArray[np.float64], p: NDArray[np.float64], lo: float, hi: float) -> float:
    sel = (f >= lo) & (f <= hi)
    return float(p[sel].mean()) if sel.any() else math.nan


def _cut(trace: obspy.Trace, t0: obspy.UTCDateTime, t1: obspy.UTCDateTime) -> NDArray[np.float64]:
    if t0 < trace.stats.starttime or t1 > trace.stats.endtime:
        return np.empty(0)
    fs = float(trace.stats.sampling_rate)
    i0 = round((t0 - trace.stats.starttime) * fs)
    i1 = round((t1 - trace.stats.starttime) * fs)
    return np.asarray(trace.data[i0:i1], dtype=np.float64)


def station_ps_ratio(
    trace: obspy.Trace,
    distance_km: float,
    origin_time: obspy.UTCDateTime,
    *,
    band_hz: tuple[float, float] = (6.0, 8.0),
    windows: PSWindows | None = None,
    min_snr: float = 2.0,
    sub_band_hz: float = 0.5,
) -> StationRatio:
    """``log10(P/S)`` at one station from its vertical trace.

    Parameters
    ----------
    trace
        Vertical component (any units; the response cancels in the ratio).
    distance_km
        Epicentral distance, km.
    origin_time
        Event origin time, UTC.
    band_hz
        Band (low, high), Hz; high below the Nyquist frequency.
    windows
        Group velocities and noise window (defaults: :class:`PSWindows`).
    min_snr
        Least band-power ratio of each phase window over the noise window (a choice).
    sub_band_hz
        Width of the sub-bands whose scatter gives the standard error, Hz.
    """
    win = windows or PSWindows()
    name = f"{trace.stats.network}.{trace.stats.station}"
    fs = float(trace.stats.sampling_rate)
    lo, hi = band_hz
    if not 0.0 < lo < hi < fs / 2.0:
        raise InputError(f"band must satisfy 0 < low < high < Nyquist ({fs / 2} Hz)", where=name)
    d = float(distance_km)
    pn = origin_time + d / win.pn_km_s
    cuts = {
        "noise": (pn - win.noise_gap_s - win.noise_s, pn - win.noise_gap_s),
        "P": (origin_time + d / win.p_fast_km_s, origin_time + d / win.p_slow_km_s),
        "S": (origin_time + d / win.s_fast_km_s, origin_time + d / win.s_slow_km_s),
    }
    data = {k: _cut(trace, *v) for k, v in cuts.items()}
    short = [k for k, v in data.items() if v.size < round(2.0 * fs / (hi - lo)) or v.size < 16]
    if short:
        return StationRatio(
            name, d, None, None, reason=f"{', '.join(short)} window not covered by the data"
        )
    spectra = {k: _psd(v, fs) for k, v in data.items()}
    edges = np.arange(lo, hi + 1e-9, sub_band_hz)
    bands = [(lo, hi), *((float(a), float(b)) for a, b in itertools.pairwise(edges))]
    ratios = []
    snr: dict[str, float] = {}
    for i, (a, b) in enumerate(bands):
        power = {k: _band_power(*spectra[k], a, b) for k in spectra}
        noise = power["noise"]
        if not noise > 0.0:
            return StationRatio(name, d, None, None, reason="no power in the noise window")
        if i == 0:
            snr = {k: power[k] / noise for k in ("P", "S")}
        corrected = {k: power[k] - noise for k in ("P", "S")}
        if min(corrected.values()) <= 0.0:
            ratios.append(math.nan)
            continue
        ratios.append(0.5 * math.log10(corrected["P"] / corrected["S"]))
    snr_p, snr_s = snr["P"], snr["S"]
    if not (snr_p >= min_snr and snr_s >= min_snr):
        return StationRatio(
            name,
            d,
            None,
            None,
            snr_p,
            snr_s,
            f"SNR Pg {snr_p:.1f}, Lg {snr_s:.1f} below {min_snr:g}",
        )
    sub = np.array(ratios[1:])
    if not math.isfinite(ratios[0]) or sub.size < 2 or not np.all(np.isfinite(sub)):
        return StationRatio(name, d, None, None, snr_p, snr_s, "noise exceeds signal in a sub-band")
    stderr = float(sub.std(ddof=1) / math.sqrt(sub.size))
    return StationRatio(name, d, float(ratios[0]), stderr, snr_p, snr_s)


def network_ps_ratio(
    stream: obspy.Stream,
    stations: Mapping[str, Station],
    *,
    origin_time: obspy.UTCDateTime,
    latitude_deg: float,
    longitude_deg: float,
    band_hz: tuple[float, float] = (6.0, 8.0),
    windows: PSWindows | None = None,
    min_snr: float = 2.0,
    distance_range_km: tuple[float, float] = (200.0, 1500.0),
    threshold: SourcedThreshold | None = None,
    confidence: float = 0.95,
) -> NetworkRatio:
    """Network-mean ``log10(P/S)`` and, only with a sourced threshold, a decision.

    Parameters
    ----------
    stream
        Waveforms; the vertical channel (``??Z``) of each station is used.
    stations
        Station coordinates keyed by ``NET.STA``.
    origin_time, latitude_deg, longitude_deg
        Event origin (UTC, degrees).
    band_hz
        Band, Hz.
    windows
        Group velocities and noise window (:class:`PSWindows`).
    min_snr
        Least band-power SNR of both phases (a choice).
    distance_range_km
        Stations used, km: 200-1500 km, where Pg and Lg are separate regional phases
        (a choice).
    threshold
        Threshold with its published source; without it the decision is "not decided".
    confidence
        Two-sided confidence of the interval compared with the threshold.
    """
    if not 0.0 < confidence < 1.0:
        raise InputError("must be between 0 and 1", where="confidence")
    rows: list[StationRatio] = []
    for key, sta in stations.items():
        z = stream.select(network=sta.network, station=sta.station, channel="??Z")
        if len(z) == 0:
            continue
        if len(z) > 1:
            rows.append(StationRatio(key, math.nan, None, None, reason="vertical trace has gaps"))
            continue
        dist = gps2dist_azimuth(latitude_deg, longitude_deg, sta.latitude, sta.longitude)[0] / 1e3
        if not distance_range_km[0] <= dist <= distance_range_km[1]:
            rows.append(StationRatio(key, dist, None, None, reason="outside distance range"))
            continue
        rows.append(
            station_ps_ratio(
                z[0], dist, origin_time, band_hz=band_hz, windows=windows, min_snr=min_snr
            )
        )
    rows.sort(key=lambda r: r.distance_km)
    values = np.array([r.log10_ps for r in rows if r.log10_ps is not None], dtype=np.float64)
    band = f"{band_hz[0]:g}-{band_hz[1]:g} Hz"
    if values.size < 2:
        return NetworkRatio(
            band_hz,
            tuple(rows),
            float(values[0]) if values.size else None,
            None,
            "not decided",
            f"{values.size} station(s) measured log10(P/S) at {band}; at least two are needed "
            "for a network mean with an uncertainty: not decided",
            threshold,
        )
    mean = float(values.mean())
    se = float(values.std(ddof=1) / math.sqrt(values.size))
    text = f"network log10(P/S) at {band} = {mean:.2f} +/- {se:.2f} ({values.size} stations)"
    if threshold is None:
        return NetworkRatio(
            band_hz,
            tuple(rows),
            mean,
            se,
            "not decided",
            text + "; no published threshold for this region is configured: not decided",
            None,
        )
    k = float(stats.t.ppf(0.5 + confidence / 2.0, values.size - 1))
    low, high = mean - k * se, mean + k * se
    decision: Decision
    if low > threshold.log10_ps:
        decision = "explosion-like"
    elif high < threshold.log10_ps:
        decision = "earthquake-like"
    else:
        decision = "not decided"
    return NetworkRatio(
        band_hz,
        tuple(rows),
        mean,
        se,
        decision,
        text + f"; {confidence:.0%} interval [{low:.2f}, {high:.2f}] against threshold "
        f"{threshold.log10_ps:g} ({threshold.source}): {decision}",
        threshold,
    )
