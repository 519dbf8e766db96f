"""Station and network magnitudes: mb (IDC manner), Ms_20 (IASPEI) and ML (IASPEI).

Formulas
--------
``mb = log10(A/T) + Q(Delta, h)``
    A: short-period P amplitude, nm of ground displacement, half the largest
    peak-to-peak excursion in a window after the P onset, on the vertical component
    converted to displacement and band-passed 0.8-4.5 Hz; T: its period, s; Q: a
    distance-depth correction; stations 20-105 degrees from the event. This is the IDC
    recipe as the SeisComP documentation of its mb(IDC) magnitude describes it
    (seiscomp.de, "mb_IDC", SeisComP 6/7 manual: "A5/2" amplitude, 0.8-4.5 Hz,
    20-105 degrees, Q after Veith & Clawson 1972 adjusted to half peak-to-peak). The IDC
    uses the Veith & Clawson (1972) correction (Veith, K. F. & Clawson, G. E., "Magnitude
    from short-period P-wave data", Bull. Seismol. Soc. Am. 62(2), 435-452, 1972).
    **No table of Q values is shipped**: a citable copy of the Veith-Clawson (or the
    Gutenberg & Richter 1956 P) table could not be obtained and checked here, so the
    correction is a :class:`DistanceDepthTable` supplied by the caller with its source.
    The filter order (3-pole Butterworth, causal, as for an onset-window measurement) is
    this package's choice; the page names the band, not the filter.
``Ms_20 = log10(A/T) + 1.66 log10(Delta) + 0.3``
    A: vertical Rayleigh-wave ground displacement, nm (half peak-to-peak); T: its period,
    18-22 s; Delta: epicentral distance, 20-160 degrees. IASPEI (2013), "Summary of
    Magnitude Working Group recommendations on standard procedures for determining
    earthquake magnitudes from digital data" (IASPEI Commission on Seismological
    Observation and Interpretation; ISC website), section Ms_20; the formula is that of
    Vaněk et al. (1962).
``ML = log10(A) + 1.11 log10(R) + 0.00189 R - 2.09``
    A: largest trace amplitude, nm, on a horizontal component filtered to replicate a
    Wood-Anderson seismograph with static magnification 1; R: hypocentral distance,
    km, 10-1000 km (as recommended for the formula). IASPEI (2013), same document,
    section ML; the formula is that of Hutton & Boore (1987, BSSA 77, 2074-2094) for
    southern California.

Station magnitudes need the instrument response to turn counts into nm: where a trace
carries no response (``trace.stats.response``, as attached from StationXML or RESP) and no
inventory is given, :func:`station_magnitude` returns status ``"not computed: no
response"`` and no value; a response is never assumed.

Network magnitude (:func:`network_magnitude`): the median of the computed station
magnitudes, with standard error ``sqrt(pi/2) * s / sqrt(n)`` (the large-sample standard
error of the median of a normal sample, s the sample standard deviation), or, on request,
the mean with ``s / sqrt(n)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import obspy
from numpy.typing import NDArray

from treatyverify.errors import InputError

__all__ = [
    "MB_BAND_HZ",
    "MB_DISTANCE_DEG",
    "ML_DISTANCE_KM",
    "MS20_DISTANCE_DEG",
    "MS20_PERIOD_S",
    "WOOD_ANDERSON_PAZ",
    "DistanceDepthTable",
    "MagnitudeKind",
    "NetworkMagnitude",
    "StationMagnitude",
    "mb_value",
    "measure_half_peak_to_peak",
    "ml_value",
    "ms20_value",
    "network_magnitude",
    "station_magnitude",
    "wood_anderson_paz",
]

FloatArray = NDArray[np.float64]
MagnitudeKind = Literal["mb", "Ms_20", "ML"]

#: Period range of the Ms_20 amplitude, s (IASPEI 2013, Ms_20).
MS20_PERIOD_S = (18.0, 22.0)
#: Distance range of Ms_20, degrees (IASPEI 2013, Ms_20).
MS20_DISTANCE_DEG = (20.0, 160.0)
#: Pass band of the IDC mb amplitude, Hz (SeisComP manual, mb_IDC).
MB_BAND_HZ = (0.8, 4.5)
#: Distance range of IDC mb station magnitudes, degrees (SeisComP manual, mb_IDC).
MB_DISTANCE_DEG = (20.0, 105.0)
#: Hypocentral distance range of the IASPEI ML formula, km (IASPEI 2013, ML).
ML_DISTANCE_KM = (10.0, 1000.0)

NOT_COMPUTED_NO_RESPONSE = "not computed: no response"


def wood_anderson_paz(
    period_s: float = 0.8, damping: float = 0.7, static_magnification: float = 1.0
) -> dict[str, Any]:
    """Poles and zeros (displacement input) of a Wood-Anderson torsion seismometer.

    A damped pendulum of natural period ``period_s`` and damping ``damping``:
    two zeros at the origin and poles ``-h w0 +/- i w0 sqrt(1 - h^2)``, ``w0 = 2 pi/T0``.
    The nominal values 0.8 s and 0.7 are those of Uhrhammer & Collins (1990, BSSA 80,
    702-716); the IASPEI (2013) ML standard asks for static magnification 1.

    Parameters
    ----------
    period_s
        Natural period, s.
    damping
        Fraction of critical damping.
    static_magnification
        Gain at high frequency (dimensionless).
    """
    w0 = 2.0 * math.pi / period_s
    re, im = -damping * w0, w0 * math.sqrt(1.0 - damping**2)
    return {
        "poles": [complex(re, im), complex(re, -im)],
        "zeros": [0j, 0j],
        "gain": 1.0,
        "sensitivity": static_magnification,
    }


#: Wood-Anderson response with static magnification 1 (IASPEI 2013 ML).
WOOD_ANDERSON_PAZ = wood_anderson_paz()


@dataclass(frozen=True)
class DistanceDepthTable:
    """A distance-depth correction Q(Delta, h) for mb, interpolated bilinearly.

    Parameters
    ----------
    distances_deg
        Increasing epicentral distances, degrees.
    depths_km
        Increasing depths, km (one depth makes Q a function of distance only).
    values
        ``values[i][j]`` is Q at ``depths_km[i]`` and ``distances_deg[j]``.
    source
        Where the numbers come from (required).
    """

    distances_deg: tuple[float, ...]
    depths_km: tuple[float, ...]
    values: tuple[tuple[float, ...], ...]
    source: str

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise InputError("a distance-depth correction needs its source", where="source")
        for name, axis in (("distances_deg", self.distances_deg), ("depths_km", self.depths_km)):
            if not axis or any(b <= a for a, b in itertools.pairwise(axis)):
                raise InputError("must be non-empty and strictly increasing", where=name)
        if len(self.values) != len(self.depths_km) or any(
            len(row) != len(self.distances_deg) for row in self.values
        ):
            raise InputError("shape must be len(depths_km) x len(distances_deg)", where="values")

    def __call__(self, distance_deg: float, depth_km: float) -> float:
        """Q at a distance (degrees) and depth (km); :class:`InputError` outside the table."""
        d, h = self.distances_deg, self.depths_km
        if not (d[0] <= distance_deg <= d[-1]):
            raise InputError(
                f"distance outside the correction table ({d[0]:g}-{d[-1]:g} degrees)",
                where="distance_deg",
            )
        if not (h[0] <= depth_km <= h[-1]):
            raise InputError(
                f"depth outside the correction table ({h[0]:g}-{h[-1]:g} km)", where="depth_km"
            )
        rows = [float(np.interp(distance_deg, d, row)) for row in self.values]
        if len(h) == 1:
            return rows[0]
        return float(np.interp(depth_km, h, rows))


def _positive(value: float, name: str) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise InputError("must be a positive finite number", where=name)


def mb_value(
    amplitude_nm: float,
    period_s: float,
    distance_deg: float,
    depth_km: float,
    correction: DistanceDepthTable,
) -> float:
    """Body-wave magnitude ``log10(A/T) + Q(Delta, h)``.

    Parameters
    ----------
    amplitude_nm
        Half peak-to-peak P amplitude, nm of ground displacement.
    period_s
        Period of that amplitude, s.
    distance_deg
        Epicentral distance, degrees.
    depth_km
        Source depth, km.
    correction
        Distance-depth correction with its source.
    """
    _positive(amplitude_nm, "amplitude_nm")
    _positive(period_s, "period_s")
    return math.log10(amplitude_nm / period_s) + correction(distance_deg, depth_km)


def ms20_value(amplitude_nm: float, period_s: float, distance_deg: float) -> float:
    """IASPEI Ms_20 ``log10(A/T) + 1.66 log10(Delta) + 0.3``.

    Parameters
    ----------
    amplitude_nm
        Rayleigh-wave vertical ground displacement, nm (half peak-to-peak).
    period_s
        Period, s, within 18-22 s.
    distance_deg
        Epicentral distance, degrees, within 20-160.
    """
    _positive(amplitude_nm, "amplitude_nm")
    lo, hi = MS20_PERIOD_S
    if not (lo <= period_s <= hi):
        raise InputError(f"Ms_20 needs a period of {lo:g}-{hi:g} s", where="period_s")
    lo, hi = MS20_DISTANCE_DEG
    if not (lo <= distance_deg <= hi):
        raise InputError(f"Ms_20 is defined for {lo:g}-{hi:g} degrees", where="distance_deg")
    return math.log10(amplitude_nm / period_s) + 1.66 * math.log10(distance_deg) + 0.3


def ml_value(amplitude_nm: float, hypocentral_distance_km: float) -> float:
    """IASPEI local magnitude ``log10(A) + 1.11 log10(R) + 0.00189 R - 2.09``.

    Parameters
    ----------
    amplitude_nm
        Largest Wood-Anderson (static magnification 1) trace amplitude, nm.
    hypocentral_distance_km
        Hypocentral distance R, km, within 10-1000 km.
    """
    _positive(amplitude_nm, "amplitude_nm")
    lo, hi = ML_DISTANCE_KM
    r = hypocentral_distance_km
    if not (lo <= r <= hi):
        raise InputError(f"ML is defined for {lo:g}-{hi:g} km", where="hypocentral_distance_km")
    return math.log10(amplitude_nm) + 1.11 * math.log10(r) + 0.00189 * r - 2.09


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


@dataclass(frozen=True)
class NetworkMagnitude:
    """A network magnitude from station magnitudes.

    Parameters
    ----------
    kind
        Magnitude type.
    value
        Network magnitude, or ``None`` when no station magnitude was computed.
    stderr
        Standard error (``nan`` with one station, ``None`` with none).
    n_stations
        Station magnitudes used.
    method
        ``"median"`` or ``"mean"``.
    stations
        All station magnitudes given, computed or not.
    """

    kind: MagnitudeKind
    value: float | None
    stderr: float | None
    n_stations: int
    method: str
    stations: tuple[StationMagnitude, ...]

    @property
    def status(self) -> str:
        """``"computed"`` or why not."""
        if self.value is not None:
            return "computed"
        reasons = sorted({s.status for s in self.stations}) or ["not computed: no stations"]
        return "not computed: " + "; ".join(r.removeprefix("not computed: ") for r in reasons)


def network_magnitude(
    stations: Iterable[StationMagnitude],
    kind: MagnitudeKind | None = None,
    *,
    method: Literal["median", "mean"] = "median",
) -> NetworkMagnitude:
    """Combine station magnitudes of one type into a network magnitude.

    Parameters
    ----------
    stations
        Station magnitudes (those not computed are kept in the result, not used).
    kind
        Magnitude type; taken from the first station magnitude when omitted.
    method
        ``"median"`` (standard error ``sqrt(pi/2) s/sqrt(n)``) or ``"mean"`` (``s/sqrt(n)``).
    """
    given: Sequence[StationMagnitude] = tuple(stations)
    if kind is None:
        if not given:
            raise InputError("no station magnitudes and no magnitude type", where="kind")
        kind = given[0].kind
    if any(s.kind != kind for s in given):
        raise InputError(f"station magnitudes of another type than {kind}", where="stations")
    values = np.array([s.value for s in given if s.value is not None], dtype=np.float64)
    n = int(values.size)
    if n == 0:
        return NetworkMagnitude(kind, None, None, 0, method, tuple(given))
    centre = float(np.median(values)) if method == "median" else float(values.mean())
    if n == 1:
        return NetworkMagnitude(kind, centre, math.nan, 1, method, tuple(given))
    s = float(values.std(ddof=1)) / math.sqrt(n)
    stderr = s * math.sqrt(math.pi / 2.0) if method == "median" else s
    return NetworkMagnitude(kind, centre, stderr, n, method, tuple(given))
