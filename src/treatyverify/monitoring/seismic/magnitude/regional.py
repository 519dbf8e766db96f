"""Regional mb(Lg): Nuttli's (1973) magnitude from 1 s Lg waves.

``mb(Lg) = log10(A/T) + 3.75 + 0.90 log10(Delta)`` (0.5-4 degrees) or
``log10(A/T) + 3.30 + 1.66 log10(Delta)`` (4-30 degrees)
    A: vertical ground amplitude of 1 s Lg waves, micrometres; T: period, s; Delta:
    epicentral distance, degrees. Nuttli (1973, J. Geophys. Res. 78, 876-885) as the
    USGS NEIC page "Magnitude Definitions Used by the NEIC"
    (neic.usgs.gov/neis/phase_data/mag_formulas.html) states it. The formula was
    calibrated in central and eastern North America; elsewhere it is a regional
    magnitude of that definition, not a calibrated one. The IASPEI (2013) mb_Lg, which
    needs a regional attenuation coefficient, is not implemented (its text was not read).
    Window (group velocities 3.6-3.0 km/s) and filter (0.7-1.5 Hz, 3 poles, around the
    1 s period the definition names) are this package's choices.
"""

from __future__ import annotations

import math

import numpy as np
import obspy
from obspy.core.inventory import Inventory

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.magnitude.formulas import _KM_PER_DEG, MagnitudeKind, _positive
from treatyverify.monitoring.seismic.magnitude.station import (
    StationMagnitude,
    _has_response,
    _not,
    _station_key,
    measure_half_peak_to_peak,
)

#: Distance range of Nuttli's mb(Lg), degrees (USGS NEIC magnitude definitions: 0.5-30).
MBLG_DISTANCE_DEG = (0.5, 30.0)
#: Band around the 1 s Lg period of mb(Lg), Hz (this package's choice).
MBLG_BAND_HZ = (0.7, 1.5)
#: Lg window as group velocities, km/s, fast then slow (this package's choice).
LG_GROUP_VELOCITY_KM_S = (3.6, 3.0)


def mblg_value(amplitude_nm: float, period_s: float, distance_deg: float) -> float:
    """Nuttli (1973) mb(Lg) as the USGS NEIC states it.

    ``log10(A/T) + 3.75 + 0.90 log10(Delta)`` for 0.5-4 degrees and
    ``log10(A/T) + 3.30 + 1.66 log10(Delta)`` for 4-30 degrees, A in micrometres.

    Parameters
    ----------
    amplitude_nm
        Vertical Lg ground amplitude, nm (converted to micrometres here).
    period_s
        Its period, s.
    distance_deg
        Epicentral distance, degrees, within :data:`MBLG_DISTANCE_DEG`.
    """
    _positive(amplitude_nm, "amplitude_nm")
    _positive(period_s, "period_s")
    lo, hi = MBLG_DISTANCE_DEG
    if not lo <= distance_deg <= hi:
        raise InputError(f"mb(Lg) is defined for {lo:g}-{hi:g} degrees", where="distance_deg")
    log_at = math.log10(amplitude_nm / 1000.0 / period_s)
    if distance_deg <= 4.0:
        return log_at + 3.75 + 0.90 * math.log10(distance_deg)
    return log_at + 3.30 + 1.66 * math.log10(distance_deg)


def station_mblg(
    trace: obspy.Trace,
    *,
    origin_time: obspy.UTCDateTime,
    distance_deg: float,
    inventory: Inventory | None = None,
) -> StationMagnitude:
    """Measure one station's mb(Lg) from a vertical trace with a known response.

    The response is removed to displacement (nm), the trace band-passed
    :data:`MBLG_BAND_HZ` (causal, 3 poles) and the largest half peak-to-peak amplitude
    between the group velocities :data:`LG_GROUP_VELOCITY_KM_S` taken with its period.

    Parameters
    ----------
    trace
        Raw vertical trace, counts.
    origin_time
        Event origin time, UTC.
    distance_deg
        Epicentral distance, degrees.
    inventory
        Station metadata with responses; otherwise ``trace.stats.response`` is used.
    """
    kind: MagnitudeKind = "mb(Lg)"
    if not _has_response(trace, inventory):
        return _not(trace, kind, "no response")
    lo, hi = MBLG_DISTANCE_DEG
    if not lo <= distance_deg <= hi:
        return _not(trace, kind, f"distance {distance_deg:.1f} degrees outside {lo:g}-{hi:g}")
    tr = trace.copy()
    tr.detrend("demean")
    tr.taper(0.05)
    rate = float(tr.stats.sampling_rate)
    tr.remove_response(
        inventory=inventory, output="DISP", pre_filt=(0.005, 0.01, 0.4 * rate, 0.45 * rate)
    )
    tr.data = tr.data * 1e9
    tr.filter("bandpass", freqmin=MBLG_BAND_HZ[0], freqmax=MBLG_BAND_HZ[1], corners=3)
    dist_km = distance_deg * _KM_PER_DEG
    fast, slow = LG_GROUP_VELOCITY_KM_S
    tr.trim(origin_time + dist_km / fast, origin_time + dist_km / slow)
    amp, period = measure_half_peak_to_peak(np.asarray(tr.data, dtype=np.float64), rate)
    if not (math.isfinite(amp) and amp > 0.0):
        return _not(trace, kind, "no measurable amplitude in the Lg window")
    value = mblg_value(amp, period, distance_deg)
    return StationMagnitude(_station_key(trace.id), kind, "computed", value, amp, period, trace.id)
