"""Station magnitudes: mb, Ms_20 or ML measured on one trace with a known response.

Station magnitudes need the instrument response to turn counts into nm: where a trace
carries no response (``trace.stats.response``, as attached from StationXML or RESP) and no
inventory is given, :func:`station_magnitude` returns status ``"not computed: no
response"`` and no value; a response is never assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import obspy
from numpy.typing import NDArray

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.magnitude.formulas import (
    MB_BAND_HZ,
    MB_DISTANCE_DEG,
    WOOD_ANDERSON_PAZ,
    DistanceDepthTable,
    MagnitudeKind,
    mb_value,
    ml_value,
    ms20_value,
)

FloatArray = NDArray[np.float64]

NOT_COMPUTED_NO_RESPONSE = "not computed: no response"


def measure_half_peak_to_peak(y: FloatArray, rate_hz: float) -> tuple[float, float]:
    """Largest half peak-to-peak amplitude between adjacent extrema, and its period.

    Parameters
    ----------
    y
        Samples (any unit).
    rate_hz
        Sampling rate, Hz.

    Returns
    -------
    tuple
        (amplitude in the unit of ``y``, period in s: twice the time between the two
        extrema). ``(nan, nan)`` when the window holds fewer than two extrema.
    """
    dy = np.diff(y)
    turn = np.flatnonzero(np.sign(dy[1:]) * np.sign(dy[:-1]) < 0) + 1
    if turn.size < 2:
        return math.nan, math.nan
    swings = np.abs(np.diff(y[turn])) / 2.0
    k = int(np.argmax(swings))
    return float(swings[k]), 2.0 * float(turn[k + 1] - turn[k]) / rate_hz


@dataclass(frozen=True)
class StationMagnitude:
    """One station's magnitude, or why there is none.

    Parameters
    ----------
    station
        ``NET.STA`` key.
    kind
        ``"mb"``, ``"Ms_20"`` or ``"ML"``.
    status
        ``"computed"`` or ``"not computed: <reason>"``.
    value
        Magnitude, or ``None`` when not computed.
    amplitude_nm, period_s
        The measurement, nm and s (``None`` when not measured).
    trace_id
        SEED id of the trace measured.
    """

    station: str
    kind: MagnitudeKind
    status: str
    value: float | None = None
    amplitude_nm: float | None = None
    period_s: float | None = None
    trace_id: str = ""

    @property
    def computed(self) -> bool:
        """Whether a value was computed."""
        return self.value is not None


def _station_key(trace_id: str) -> str:
    return ".".join(trace_id.split(".")[:2])


def _not(trace: obspy.Trace, kind: MagnitudeKind, reason: str) -> StationMagnitude:
    return StationMagnitude(
        _station_key(trace.id), kind, f"not computed: {reason}", trace_id=trace.id
    )


def _has_response(trace: obspy.Trace, inventory: obspy.Inventory | None) -> bool:
    if inventory is not None:
        try:
            inventory.get_response(trace.id, trace.stats.starttime)
        except Exception:  # ObsPy raises a plain Exception when no response matches
            return False
        return True
    return trace.stats.get("response") is not None


def station_magnitude(
    trace: obspy.Trace,
    kind: MagnitudeKind,
    *,
    onset: obspy.UTCDateTime,
    distance_deg: float,
    depth_km: float = 0.0,
    inventory: obspy.Inventory | None = None,
    correction: DistanceDepthTable | None = None,
    simulation_paz: dict[str, Any] | None = None,
    window_s: tuple[float, float] | None = None,
) -> StationMagnitude:
    """Measure one station magnitude from a trace with a known instrument response.

    The response is removed to ground displacement (nm); for ML the Wood-Anderson
    response (:data:`WOOD_ANDERSON_PAZ`) is simulated; for mb the displacement is
    band-passed :data:`MB_BAND_HZ` (or ``simulation_paz`` is simulated when given, for a
    user who wants a WWSSN-SP-like response instead) and the station must lie within
    :data:`MB_DISTANCE_DEG`; for Ms_20 the displacement is
    band-passed 1/22-1/18 Hz (zero-phase, 2 corners). The largest half peak-to-peak
    amplitude in the window after ``onset`` and its period give the magnitude.

    Parameters
    ----------
    trace
        Raw trace in counts.
    kind
        Magnitude type.
    onset
        Phase onset (P for mb and ML windows, Rayleigh-window start for Ms_20), UTC.
    distance_deg
        Epicentral distance, degrees.
    depth_km
        Source depth, km.
    inventory
        Station metadata with responses; otherwise ``trace.stats.response`` is used.
    correction
        Distance-depth correction for mb (required for mb).
    simulation_paz
        Optional short-period simulation poles and zeros for mb, used instead of the band-pass.
    window_s
        Measurement window after ``onset``, s; default (0, 5) for mb (the "5" of the IDC's
        A5/2 amplitude name, read as a 5 s window), (0, 30) for ML,
        (0, 300) for Ms_20 (analyst choices, not standard values).
    """
    if kind not in ("mb", "Ms_20", "ML"):
        raise InputError(f"station_magnitude measures mb, Ms_20 or ML, not {kind}", where="kind")
    if not _has_response(trace, inventory):
        return _not(trace, kind, "no response")
    if kind == "mb" and correction is None:
        return _not(trace, kind, "no distance-depth correction (Veith-Clawson table) given")
    if kind == "mb" and not MB_DISTANCE_DEG[0] <= distance_deg <= MB_DISTANCE_DEG[1]:
        lo, hi = MB_DISTANCE_DEG
        return _not(trace, kind, f"distance {distance_deg:.1f} degrees outside {lo:g}-{hi:g}")
    start, end = window_s or {"mb": (0.0, 5.0), "ML": (0.0, 30.0), "Ms_20": (0.0, 300.0)}[kind]
    tr = trace.copy()
    tr.detrend("demean")
    tr.taper(0.05)
    rate = float(tr.stats.sampling_rate)
    pre_filt = (0.005, 0.01, 0.4 * rate, 0.45 * rate)
    tr.remove_response(inventory=inventory, output="DISP", pre_filt=pre_filt)
    tr.data = tr.data * 1e9  # m -> nm
    if kind == "ML":
        tr.simulate(paz_simulate=WOOD_ANDERSON_PAZ)
    elif kind == "mb" and simulation_paz is not None:
        tr.simulate(paz_simulate=simulation_paz)
    elif kind == "mb":
        tr.filter("bandpass", freqmin=MB_BAND_HZ[0], freqmax=MB_BAND_HZ[1], corners=3)
    else:
        tr.filter("bandpass", freqmin=1 / 22.0, freqmax=1 / 18.0, corners=2, zerophase=True)
    tr.trim(onset + start, onset + end)
    amp, period = measure_half_peak_to_peak(np.asarray(tr.data, dtype=np.float64), rate)
    key = _station_key(trace.id)
    if not (math.isfinite(amp) and amp > 0.0):
        return _not(trace, kind, "no measurable amplitude in the window")
    try:
        if kind == "mb" and correction is not None:
            value = mb_value(amp, period, distance_deg, depth_km, correction)
        elif kind == "Ms_20":
            value = ms20_value(amp, period, distance_deg)
        else:
            r_km = math.hypot(distance_deg * 6371.0 * math.pi / 180.0, depth_km)
            value = ml_value(amp, r_km)
    except InputError as exc:
        return StationMagnitude(
            key, kind, f"not computed: {exc.message}", None, amp, period, trace.id
        )
    return StationMagnitude(key, kind, "computed", value, amp, period, trace.id)
