"""Magnitude formulas: mb (IDC manner), Ms_20 (IASPEI) and ML (IASPEI), with their ranges.

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
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from treatyverify.errors import InputError

MagnitudeKind = Literal["mb", "Ms_20", "ML", "mb(Lg)"]

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
#: Deepest source for Ms_20, km (SeisComP manual, Ms_20: "Depth range: <= 100 km").
MS20_MAX_DEPTH_KM = 100.0
#: Kilometres per degree of great-circle arc (mean Earth radius 6371 km, as ObsPy uses).
_KM_PER_DEG = 6371.0 * math.pi / 180.0


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
