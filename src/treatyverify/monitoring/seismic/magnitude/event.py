"""Event magnitudes: the origin, which magnitude types the data allow, and each valid one."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import obspy
from obspy.core.inventory import Inventory
from obspy.geodetics import gps2dist_azimuth, kilometers2degrees

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic import response as _response
from treatyverify.monitoring.seismic.magnitude.formulas import (
    _KM_PER_DEG,
    MB_DISTANCE_DEG,
    ML_DISTANCE_KM,
    MS20_DISTANCE_DEG,
    MS20_MAX_DEPTH_KM,
    DistanceDepthTable,
)
from treatyverify.monitoring.seismic.magnitude.network import NetworkMagnitude, network_magnitude
from treatyverify.monitoring.seismic.magnitude.regional import (
    LG_GROUP_VELOCITY_KM_S,
    MBLG_DISTANCE_DEG,
    station_mblg,
)
from treatyverify.monitoring.seismic.magnitude.station import (
    StationMagnitude,
    _not,
    _station_key,
    measure_half_peak_to_peak,
    station_magnitude,
)


@dataclass(frozen=True)
class EventOrigin:
    """Where and when an event happened.

    Parameters
    ----------
    time
        Origin time, UTC.
    latitude_deg, longitude_deg
        Epicentre, degrees (WGS84).
    depth_km
        Source depth, km.
    """

    time: obspy.UTCDateTime
    latitude_deg: float
    longitude_deg: float
    depth_km: float

    def __post_init__(self) -> None:
        if not -90.0 <= self.latitude_deg <= 90.0:
            raise InputError("latitude outside [-90, 90] degrees", where="latitude")
        if not -180.0 <= self.longitude_deg <= 360.0:
            raise InputError("longitude outside [-180, 360] degrees", where="longitude")
        if not (math.isfinite(self.depth_km) and -10.0 <= self.depth_km <= 800.0):
            raise InputError("depth outside [-10, 800] km", where="depth")

    def distance_deg(self, latitude_deg: float, longitude_deg: float) -> float:
        """Epicentral distance to a point, degrees (WGS84 geodesic, ObsPy)."""
        metres, _, _ = gps2dist_azimuth(
            self.latitude_deg, self.longitude_deg, latitude_deg, longitude_deg
        )
        return float(kilometers2degrees(metres / 1000.0))


@dataclass(frozen=True)
class MagnitudeValidity:
    """Whether a magnitude type can be computed from the data given, and why (not).

    Parameters
    ----------
    kind
        Magnitude type (``"mb"``, ``"mb(Lg)"``, ``"ML"``, ``"Ms_20"``, ``"relative"``).
    valid
        Whether it can be computed.
    reason
        Why it can or cannot, in one sentence.
    stations_in_range
        Stations whose distance lies in the type's range.
    """

    kind: str
    valid: bool
    reason: str
    stations_in_range: int = 0


def assess_magnitudes(
    distances_deg: Mapping[str, float],
    depth_km: float,
    *,
    has_response: bool,
    has_long_period: bool,
    has_correction: bool,
    has_master: bool = False,
) -> list[MagnitudeValidity]:
    """Say which magnitude types the data allow, and why the others are not valid.

    Parameters
    ----------
    distances_deg
        Epicentral distance per station, degrees.
    depth_km
        Source depth, km.
    has_response
        Whether every channel has an instrument response (StationXML).
    has_long_period
        Whether the data resolve 20 s periods (a channel sampled at 1 Hz or faster
        whose response reaches 20 s: broadband, not short-period).
    has_correction
        Whether a sourced mb distance-depth correction (Q table) was given.
    has_master
        Whether a master event's waveforms were given for relative magnitudes.
    """

    def count(lo: float, hi: float) -> int:
        return sum(lo <= d <= hi for d in distances_deg.values())

    out: list[MagnitudeValidity] = []
    no_resp = "no instrument response (StationXML with responses needed)"
    n = count(*MB_DISTANCE_DEG)
    lo, hi = MB_DISTANCE_DEG
    if not n:
        out.append(MagnitudeValidity("mb", False, f"no station at {lo:g}-{hi:g} degrees", 0))
    elif not has_response:
        out.append(MagnitudeValidity("mb", False, no_resp, n))
    elif not has_correction:
        out.append(
            MagnitudeValidity(
                "mb",
                False,
                "no Veith-Clawson distance-depth table shipped (no checkable copy); "
                "give one with its source; log10(A/T) is reported instead",
                n,
            )
        )
    else:
        out.append(MagnitudeValidity("mb", True, f"{n} stations at {lo:g}-{hi:g} degrees", n))
    lo, hi = MBLG_DISTANCE_DEG
    n = count(lo, hi)
    if not n:
        out.append(MagnitudeValidity("mb(Lg)", False, f"no station at {lo:g}-{hi:g} degrees"))
    elif not has_response:
        out.append(MagnitudeValidity("mb(Lg)", False, no_resp, n))
    else:
        out.append(
            MagnitudeValidity(
                "mb(Lg)", True, f"{n} stations at {lo:g}-{hi:g} degrees (Nuttli 1973)", n
            )
        )
    lo_km, hi_km = ML_DISTANCE_KM
    n = sum(lo_km <= math.hypot(d * _KM_PER_DEG, depth_km) <= hi_km for d in distances_deg.values())
    if not n:
        out.append(
            MagnitudeValidity("ML", False, f"no station at {lo_km:g}-{hi_km:g} km hypocentral")
        )
    elif not has_response:
        out.append(MagnitudeValidity("ML", False, no_resp, n))
    else:
        out.append(
            MagnitudeValidity("ML", True, f"{n} stations at {lo_km:g}-{hi_km:g} km (IASPEI)", n)
        )
    lo, hi = MS20_DISTANCE_DEG
    n = count(lo, hi)
    if not n:
        out.append(MagnitudeValidity("Ms_20", False, f"no station at {lo:g}-{hi:g} degrees"))
    elif depth_km > MS20_MAX_DEPTH_KM:
        out.append(
            MagnitudeValidity("Ms_20", False, f"source deeper than {MS20_MAX_DEPTH_KM:g} km", n)
        )
    elif not has_response:
        out.append(MagnitudeValidity("Ms_20", False, no_resp, n))
    elif not has_long_period:
        out.append(MagnitudeValidity("Ms_20", False, "no long-period (20 s) data", n))
    else:
        out.append(MagnitudeValidity("Ms_20", True, f"{n} stations at {lo:g}-{hi:g} degrees", n))
    out.append(
        MagnitudeValidity(
            "relative",
            has_master,
            "amplitude ratios at common stations need no response"
            if has_master
            else "no master event given (--relative-to)",
        )
    )
    return out


def _is_long_period(trace: obspy.Trace, inventory: Inventory) -> bool:
    """Whether a channel's response passes 20 s: its amplitude at 0.05 Hz is at least a
    tenth of the overall sensitivity (a choice of this package)."""
    if trace.stats.sampling_rate < 1.0:
        return False
    try:
        resp = inventory.get_response(trace.id, trace.stats.starttime)
        gain = float(resp.instrument_sensitivity.value)
        values = resp.get_evalresp_response_for_frequencies([0.05], output="VEL")
    except Exception:  # ObsPy/evalresp raise many types for unusual responses
        return False
    return abs(complex(values[0])) >= 0.1 * gain


@dataclass(frozen=True)
class EventMagnitudes:
    """Magnitudes of one event: what is valid, network values, and mb amplitudes.

    Parameters
    ----------
    validity
        One :class:`MagnitudeValidity` per magnitude type.
    network
        Network magnitude per computed type.
    log_a_over_t
        For mb without a Q table: per-station ``log10(A/T)`` (A in nm, T in s) of the
        IDC mb amplitude, the part of mb that the data determine.
    """

    validity: tuple[MagnitudeValidity, ...]
    network: dict[str, NetworkMagnitude] = field(default_factory=dict)
    log_a_over_t: dict[str, float] = field(default_factory=dict)


def _p_time(origin: EventOrigin, distance_deg: float, model: str = "iasp91") -> obspy.UTCDateTime:
    from treatyverify.monitoring.seismic.traveltime import load_table

    table = load_table(model)
    t = float(table.time(distance_deg, max(origin.depth_km, 0.0)))
    if not math.isfinite(t):
        raise InputError(f"no P travel time at {distance_deg:.1f} degrees", where="distance")
    return origin.time + t


def event_magnitudes(
    stream: obspy.Stream,
    stations: Mapping[str, tuple[float, float]],
    origin: EventOrigin,
    *,
    inventory: Inventory | None = None,
    correction: DistanceDepthTable | None = None,
    source: str = "StationXML",
    has_master: bool = False,
) -> EventMagnitudes:
    """Compute every magnitude the data allow and say why the others are not valid.

    Parameters
    ----------
    stream
        Raw traces, counts.
    stations
        ``NET.STA`` -> (latitude, longitude), degrees.
    origin
        Event origin.
    inventory
        StationXML with responses; each trace's response is checked
        (:func:`treatyverify.monitoring.seismic.response.check_responses`) and a missing
        one is an :class:`InputError` naming the channel.
    correction
        Sourced mb distance-depth table; without it mb is not computed.
    source
        Name of the StationXML file, for error lines.
    has_master
        Whether a master event is given for a relative magnitude (reported only).
    """
    traces = [tr for tr in stream if _station_key(tr.id) in stations]
    if not traces:
        raise InputError("no trace belongs to a station with coordinates", where="stations")
    distances = {
        _station_key(tr.id): origin.distance_deg(*stations[_station_key(tr.id)]) for tr in traces
    }
    has_response = inventory is not None
    long_period = False
    if inventory is not None:
        _response.check_responses(traces, inventory, source=source)
        long_period = any(
            _is_long_period(tr, inventory) for tr in traces if tr.stats.channel.endswith("Z")
        )
    validity = assess_magnitudes(
        distances,
        origin.depth_km,
        has_response=has_response,
        has_long_period=long_period,
        has_correction=correction is not None,
        has_master=has_master,
    )
    valid = {v.kind for v in validity if v.valid}
    network: dict[str, NetworkMagnitude] = {}
    log_at: dict[str, float] = {}
    if inventory is None:
        return EventMagnitudes(tuple(validity), network, log_at)
    per_kind: dict[str, list[StationMagnitude]] = {}
    for tr in traces:
        key = _station_key(tr.id)
        dist = distances[key]
        vertical = tr.stats.channel.endswith("Z")
        horizontal = tr.stats.channel[-1:] in ("N", "E", "1", "2")
        lo, hi = MB_DISTANCE_DEG
        if vertical and lo <= dist <= hi:
            try:
                p_time = _p_time(origin, dist)
            except InputError as exc:
                per_kind.setdefault("mb", []).append(_not(tr, "mb", exc.message))
                continue
            if "mb" in valid:
                per_kind.setdefault("mb", []).append(
                    station_magnitude(
                        tr,
                        "mb",
                        onset=p_time,
                        distance_deg=dist,
                        depth_km=origin.depth_km,
                        inventory=inventory,
                        correction=correction,
                    )
                )
            else:
                amp, period = _idc_mb_amplitude(tr, inventory, p_time)
                if math.isfinite(amp) and amp > 0.0 and period > 0.0:
                    log_at[tr.id] = math.log10(amp / period)
        if vertical and "mb(Lg)" in valid:
            per_kind.setdefault("mb(Lg)", []).append(
                station_mblg(tr, origin_time=origin.time, distance_deg=dist, inventory=inventory)
            )
        if vertical and "Ms_20" in valid and MS20_DISTANCE_DEG[0] <= dist <= MS20_DISTANCE_DEG[1]:
            # window from the origin to distance / 3.5 km/s + 30 s (SeisComP manual, Ms_20)
            end_s = dist * _KM_PER_DEG / 3.5 + 30.0
            per_kind.setdefault("Ms_20", []).append(
                station_magnitude(
                    tr,
                    "Ms_20",
                    onset=origin.time,
                    distance_deg=dist,
                    inventory=inventory,
                    window_s=(0.0, end_s),
                )
            )
        if horizontal and "ML" in valid:
            r_km = math.hypot(dist * _KM_PER_DEG, origin.depth_km)
            if ML_DISTANCE_KM[0] <= r_km <= ML_DISTANCE_KM[1]:
                p_time = _p_time(origin, dist)
                end_s = dist * _KM_PER_DEG / LG_GROUP_VELOCITY_KM_S[1] + 30.0
                per_kind.setdefault("ML", []).append(
                    station_magnitude(
                        tr,
                        "ML",
                        onset=p_time,
                        distance_deg=dist,
                        depth_km=origin.depth_km,
                        inventory=inventory,
                        window_s=(0.0, end_s - (p_time - origin.time)),
                    )
                )
    for kind, items in per_kind.items():
        network[kind] = network_magnitude(items, kind)  # type: ignore[arg-type]
    return EventMagnitudes(tuple(validity), network, log_at)


def _idc_mb_amplitude(
    trace: obspy.Trace, inventory: Inventory, onset: obspy.UTCDateTime
) -> tuple[float, float]:
    """IDC mb amplitude (nm, half peak-to-peak) and period (s) in the 5 s after ``onset``."""
    tr = _response.to_displacement_nm(trace, inventory)
    _response.simulate_idc_short_period(tr)
    tr.trim(onset, onset + 5.0)
    return measure_half_peak_to_peak(
        np.asarray(tr.data, dtype=np.float64), float(tr.stats.sampling_rate)
    )
