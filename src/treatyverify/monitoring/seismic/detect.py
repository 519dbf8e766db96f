"""Signal detection per channel: band-pass, recursive STA/LTA, AIC onset, amplitude and period.

For each channel and each configured frequency band the trace is

1. demeaned and filtered **once** with a causal Butterworth band-pass in second-order
   sections (:func:`scipy.signal.sosfilt`; the design is cached per sampling rate, band and
   order, and the filter starts in its steady state so the first samples do not ring);
2. run through ObsPy's recursive STA/LTA (:func:`obspy.signal.trigger.recursive_sta_lta`,
   the C implementation) and :func:`obspy.signal.trigger.trigger_onset` with on/off
   thresholds;
3. for each trigger, the onset is refined with an AIC picker in the form of Maeda (1985),
   ``AIC(k) = k log var(x[:k]) + (N - k - 1) log var(x[k:])``, evaluated for every ``k``
   at once from cumulative sums over a window around the trigger. The AIC runs on the
   unfiltered samples of that window with a straight line removed (which takes out most
   of the long-period microseism over a few seconds): a causal filter would delay the
   onset and a zero-phase one would smear it earlier, by a few tenths of a second each;
4. measured in the detection band: signal-to-noise ratio (RMS after / RMS before the
   onset), the largest STA/LTA value, the peak absolute amplitude (counts: no instrument
   response is applied) and its period (twice the interval between the zero crossings
   either side of the peak).

Detections of one channel in several bands whose onsets lie within ``merge_s`` of each
other are one arrival: the one with the highest SNR is kept.

Reference: Maeda, N. (1985). A method for reading and checking phase times in
auto-processing system of seismic wave data. Zisin (J. Seismol. Soc. Japan) 38, 365-379.

The bands and thresholds are data (:class:`DetectorConfig`, :meth:`DetectorConfig.from_mapping`
reads them from a configuration mapping); the defaults below are documented starting points
for regional short-period P, not properties of the algorithm.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
import obspy
from numpy.typing import NDArray
from obspy.signal.trigger import recursive_sta_lta, trigger_onset
from scipy.signal import butter, detrend, sosfilt, sosfilt_zi

from treatyverify.errors import InputError

__all__ = [
    "DEFAULT_BANDS",
    "Band",
    "Detection",
    "DetectorConfig",
    "aic_pick",
    "bandpass_sos",
    "detect",
]

_log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Band:
    """A detection frequency band.

    Parameters
    ----------
    low_hz
        Lower corner frequency (Hz), > 0.
    high_hz
        Upper corner frequency (Hz), > ``low_hz``; must lie below the Nyquist frequency
        of a channel for the band to be used on it.
    """

    low_hz: float
    high_hz: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low_hz) and math.isfinite(self.high_hz)):
            raise InputError("band corners must be finite numbers", where="band")
        if not 0.0 < self.low_hz < self.high_hz:
            raise InputError(
                f"band needs 0 < low_hz < high_hz, got {self.low_hz:g}-{self.high_hz:g} Hz",
                where="band",
            )

    @property
    def label(self) -> str:
        """A short name such as ``"1-3Hz"``."""
        return f"{self.low_hz:g}-{self.high_hz:g}Hz"


DEFAULT_BANDS: tuple[Band, ...] = (Band(1.0, 3.0), Band(2.0, 5.0))
"""Default bands: 1-3 Hz and 2-5 Hz, where regional P (Pn, Pg) from shallow events of
magnitude 3 to 6 rises most clearly above the microseism and cultural noise at broadband
stations (a starting point; set the bands for each network from its noise)."""


@dataclass(frozen=True)
class DetectorConfig:
    """Parameters of the detector (all times in seconds).

    Parameters
    ----------
    bands
        Frequency bands to detect in; each channel is filtered once per band.
    sta_s
        Short-term average window (s).
    lta_s
        Long-term average window (s).
    on
        STA/LTA value (ratio of mean squared amplitudes) that starts a trigger.
    off
        STA/LTA value that ends it.
    corners
        Order of the Butterworth band-pass (number of poles of the low-pass prototype).
    aic_pre_s
        AIC window start before the trigger-on time (s).
    aic_post_s
        AIC window end after the trigger-on time (s).
    noise_s
        Noise window before the onset for the SNR (s).
    signal_s
        Signal window after the onset for the SNR and the amplitude (s).
    merge_s
        Detections of one channel in different bands with onsets closer than this are
        one arrival (s).
    """

    bands: tuple[Band, ...] = DEFAULT_BANDS
    sta_s: float = 1.0
    lta_s: float = 30.0
    on: float = 5.0
    off: float = 2.0
    corners: int = 4
    aic_pre_s: float = 3.0
    aic_post_s: float = 1.0
    noise_s: float = 10.0
    signal_s: float = 5.0
    merge_s: float = 3.0

    def __post_init__(self) -> None:
        if not self.bands:
            raise InputError("at least one band is needed", where="detector.bands")
        positive = ("sta_s", "lta_s", "aic_pre_s", "aic_post_s", "noise_s", "signal_s")
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError("must be a positive number of seconds", where=f"detector.{name}")
        if self.lta_s <= self.sta_s:
            raise InputError("lta_s must exceed sta_s", where="detector.lta_s")
        if not 0 < self.off <= self.on:
            raise InputError("thresholds need 0 < off <= on", where="detector.on")
        if not 1 <= self.corners <= 10:
            raise InputError("corners must be 1 to 10", where="detector.corners")
        if self.merge_s < 0:
            raise InputError("must not be negative", where="detector.merge_s")

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> DetectorConfig:
        """Build from a configuration mapping (for example a YAML section).

        ``bands`` is a list of ``[low_hz, high_hz]`` pairs or of mappings with ``low_hz``
        and ``high_hz``; every other key is a field of this class.
        """
        known = set(cls.__dataclass_fields__)
        unknown = set(config) - known
        if unknown:
            raise InputError(f"unknown key(s) {', '.join(sorted(unknown))}", where="detector")
        values = dict(config)
        if "bands" in values:
            values["bands"] = tuple(_band_from(item) for item in values["bands"])
        try:
            return cls(**values)
        except TypeError as exc:
            raise InputError(f"bad value ({exc})", where="detector") from exc


def _band_from(item: Any) -> Band:
    if isinstance(item, Band):
        return item
    if isinstance(item, Mapping):
        return Band(float(item["low_hz"]), float(item["high_hz"]))
    low, high = item
    return Band(float(low), float(high))


@dataclass(frozen=True)
class Detection:
    """One arrival detected on one channel.

    Parameters
    ----------
    trace_id
        SEED identifier ``NET.STA.LOC.CHA``.
    onset
        Onset time from the AIC picker (UTC).
    trigger_on
        Time the STA/LTA first exceeded ``on`` (UTC).
    trigger_off
        Time it fell below ``off`` (UTC).
    band
        The band the detection was made and measured in.
    snr
        RMS amplitude in ``signal_s`` after the onset over RMS in ``noise_s`` before it.
    stalta_max
        Largest STA/LTA value during the trigger.
    amplitude_counts
        Largest absolute filtered amplitude within ``signal_s`` after the onset (counts).
    period_s
        Period at that peak: twice the interval between the zero crossings around it (s).
    """

    trace_id: str
    onset: obspy.UTCDateTime
    trigger_on: obspy.UTCDateTime
    trigger_off: obspy.UTCDateTime
    band: Band
    snr: float
    stalta_max: float
    amplitude_counts: float
    period_s: float

    @property
    def station_key(self) -> str:
        """``"NET.STA"`` of the channel."""
        return ".".join(self.trace_id.split(".")[:2])

    def to_record_body(self) -> dict[str, Any]:
        """A JSON-ready body for a ledger record of kind ``"detection"``."""
        return {
            "kind": "detection",
            "trace_id": self.trace_id,
            "onset_utc": self.onset.isoformat() + "Z",
            "trigger_on_utc": self.trigger_on.isoformat() + "Z",
            "trigger_off_utc": self.trigger_off.isoformat() + "Z",
            "band_hz": [self.band.low_hz, self.band.high_hz],
            "snr": round(self.snr, 3),
            "stalta_max": round(self.stalta_max, 3),
            "amplitude_counts": round(self.amplitude_counts, 3),
            "period_s": round(self.period_s, 4) if math.isfinite(self.period_s) else None,
        }


@lru_cache(maxsize=256)
def _design(rate_hz: float, low_hz: float, high_hz: float, corners: int) -> tuple[Any, Any]:
    sos = butter(corners, [low_hz, high_hz], btype="bandpass", fs=rate_hz, output="sos")
    zi = sosfilt_zi(sos)
    return sos, zi


def bandpass_sos(rate_hz: float, band: Band, corners: int = 4) -> FloatArray:
    """Second-order sections of the Butterworth band-pass (cached per rate, band, order).

    Parameters
    ----------
    rate_hz
        Sampling rate (Hz).
    band
        Pass band; its upper corner must be below the Nyquist frequency.
    corners
        Filter order of the low-pass prototype.

    Raises
    ------
    InputError
        The band does not fit below the Nyquist frequency.
    """
    if band.high_hz >= 0.5 * rate_hz:
        raise InputError(
            f"band {band.label} reaches the Nyquist frequency of {0.5 * rate_hz:g} Hz",
            where="band",
        )
    sos, _ = _design(float(rate_hz), band.low_hz, band.high_hz, corners)
    return np.array(sos, dtype=np.float64)  # a copy: the cached design stays intact


def aic_pick(x: FloatArray, margin: int = 5) -> int:
    """Index of the AIC minimum (Maeda 1985), the first sample of the later segment.

    ``AIC(k) = k log var(x[:k]) + (N - k - 1) log var(x[k:])`` for all ``k`` at once from
    cumulative sums of ``x`` and ``x**2``.

    Parameters
    ----------
    x
        The window to pick in (any unit).
    margin
        Samples excluded at either end, where a variance rests on too few samples.
    """
    n = int(x.size)
    if n < 2 * margin + 2:
        raise InputError(f"AIC window of {n} samples is too short", where="aic")
    x = x - x.mean()
    c1 = np.concatenate(([0.0], np.cumsum(x)))
    c2 = np.concatenate(([0.0], np.cumsum(x * x)))
    k = np.arange(margin, n - margin, dtype=np.float64)
    ki = k.astype(np.intp)
    var1 = c2[ki] / k - (c1[ki] / k) ** 2
    rest = n - k
    var2 = (c2[n] - c2[ki]) / rest - ((c1[n] - c1[ki]) / rest) ** 2
    tiny = np.finfo(np.float64).tiny
    aic = k * np.log(np.maximum(var1, tiny)) + (n - k - 1) * np.log(np.maximum(var2, tiny))
    return int(ki[int(np.argmin(aic))])


def _crossing_before(y: FloatArray, i: int) -> float:
    sign = np.signbit(y[: i + 1])
    changes = np.flatnonzero(sign[1:] != sign[:-1])
    if changes.size == 0:
        return math.nan
    j = int(changes[-1])
    return j + float(y[j]) / float(y[j] - y[j + 1])


def _crossing_after(y: FloatArray, i: int) -> float:
    sign = np.signbit(y[i:])
    changes = np.flatnonzero(sign[1:] != sign[:-1])
    if changes.size == 0:
        return math.nan
    j = i + int(changes[0])
    return j + float(y[j]) / float(y[j] - y[j + 1])


def _rms(y: FloatArray) -> float:
    return float(np.sqrt(np.mean(y * y))) if y.size else math.nan


def _detect_trace(tr: obspy.Trace, cfg: DetectorConfig) -> list[Detection]:
    rate = float(tr.stats.sampling_rate)
    x = np.asarray(tr.data, dtype=np.float64)
    x = x - x.mean()
    nsta = max(1, round(cfg.sta_s * rate))
    nlta = max(nsta + 1, round(cfg.lta_s * rate))
    if x.size <= nlta:
        _log.info("%s: shorter than the LTA window; not processed", tr.id)
        return []
    start = tr.stats.starttime
    found: list[Detection] = []
    for band in cfg.bands:
        if band.high_hz >= 0.5 * rate:
            _log.warning("%s: band %s above Nyquist; band skipped", tr.id, band.label)
            continue
        sos, zi = _design(rate, band.low_hz, band.high_hz, cfg.corners)
        y, _ = sosfilt(sos, x, zi=zi * x[0])
        cft = recursive_sta_lta(y, nsta, nlta)
        triggers = trigger_onset(cft, cfg.on, cfg.off)
        for on_i, off_i in triggers:
            det = _measure(tr, x, y, cft, int(on_i), int(off_i), band, sos, cfg, rate, start)
            if det is not None:
                found.append(det)
    return _merge(found, cfg.merge_s)


def _measure(
    tr: obspy.Trace,
    x: FloatArray,
    y: FloatArray,
    cft: FloatArray,
    on_i: int,
    off_i: int,
    band: Band,
    sos: Any,
    cfg: DetectorConfig,
    rate: float,
    start: obspy.UTCDateTime,
) -> Detection | None:
    n = x.size
    lo = max(0, on_i - round(cfg.aic_pre_s * rate))
    hi = min(n, on_i + round(cfg.aic_post_s * rate))
    try:
        window = detrend(x[lo:hi], type="linear")
        onset_i = lo + aic_pick(window)
    except (InputError, ValueError):
        onset_i = on_i
    sig = y[onset_i : min(n, onset_i + round(cfg.signal_s * rate))]
    noise = y[max(0, onset_i - round(cfg.noise_s * rate)) : onset_i]
    noise_rms = _rms(noise)
    if sig.size < 2 or not noise_rms > 0:
        return None
    snr = _rms(sig) / noise_rms
    peak = int(np.argmax(np.abs(sig)))
    before = _crossing_before(sig, peak)
    after = _crossing_after(sig, peak)
    period = 2.0 * (after - before) / rate
    return Detection(
        trace_id=str(tr.id),
        onset=start + onset_i / rate,
        trigger_on=start + on_i / rate,
        trigger_off=start + off_i / rate,
        band=band,
        snr=float(snr),
        stalta_max=float(cft[on_i : max(off_i, on_i + 1)].max()),
        amplitude_counts=float(abs(sig[peak])),
        period_s=float(period),
    )


def _merge(found: list[Detection], merge_s: float) -> list[Detection]:
    found.sort(key=lambda d: d.onset)
    out: list[Detection] = []
    for det in found:
        if out and det.onset - out[-1].onset < merge_s:
            if det.snr > out[-1].snr:
                out[-1] = det
            continue
        out.append(det)
    return out


def detect(
    stream: obspy.Stream | Iterable[obspy.Trace],
    bands: Sequence[Band] | None = None,
    sta_s: float | None = None,
    lta_s: float | None = None,
    on: float | None = None,
    off: float | None = None,
    *,
    config: DetectorConfig | None = None,
) -> list[Detection]:
    """Detect arrivals on every channel of a stream.

    Parameters
    ----------
    stream
        Waveforms, one trace per channel (run :func:`..ingest.check_stream` first to merge
        gaps and drop bad traces).
    bands
        Frequency bands; overrides ``config.bands``.
    sta_s, lta_s
        STA and LTA windows (s); override the config.
    on, off
        Trigger thresholds (STA/LTA ratio); override the config.
    config
        The detector configuration; :class:`DetectorConfig` defaults when ``None``.

    Returns
    -------
    list[Detection]
        Detections sorted by onset time.
    """
    cfg = config or DetectorConfig()
    overrides: dict[str, Any] = {}
    if bands is not None:
        overrides["bands"] = tuple(bands)
    for name, value in (("sta_s", sta_s), ("lta_s", lta_s), ("on", on), ("off", off)):
        if value is not None:
            overrides[name] = value
    if overrides:
        cfg = replace(cfg, **overrides)
    out: list[Detection] = []
    for tr in stream:
        out.extend(_detect_trace(tr, cfg))
    out.sort(key=lambda d: (d.onset, d.trace_id))
    return out
