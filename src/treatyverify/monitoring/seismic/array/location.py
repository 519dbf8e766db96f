"""Single-array location: an epicentre from one detection's back-azimuth and distance.

Method
------
**Single-array location.** The epicentre is the point at the distance of the identified
phase (:mod:`treatyverify.monitoring.seismic.array.phases`) along the
back-azimuth from the reference element (spherical Earth, geographic latitudes), the
origin time the arrival time less the travel time. This is the location one array
gives on its own (back-azimuth, and the distance its slowness implies), the kind a data
centre forms when only one array detects an event; its uncertainty region is the annular sector of
back-azimuth within ``z`` standard errors and the distance range. Depth cannot be
resolved from one arrival: it is assumed (0 km by default), and a deep source seen with a
surface-source assumption appears farther away (the benchmark shows by how much).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import obspy

from treatyverify.monitoring.seismic.array.fk import FkEstimate
from treatyverify.monitoring.seismic.array.geometry import (
    EARTH_RADIUS_KM,
    KM_PER_DEG,
    ArrayGeometry,
)
from treatyverify.monitoring.seismic.array.phases import Z90, PhaseIdentification


def destination(
    latitude_deg: float, longitude_deg: float, azimuth_deg: float, distance_deg: float
) -> tuple[float, float]:
    """Point at a great-circle distance and azimuth from another (sphere), degrees."""
    p1, l1 = math.radians(latitude_deg), math.radians(longitude_deg)
    th, de = math.radians(azimuth_deg), math.radians(distance_deg)
    p2 = math.asin(
        max(
            -1.0, min(1.0, math.sin(p1) * math.cos(de) + math.cos(p1) * math.sin(de) * math.cos(th))
        )
    )
    l2 = l1 + math.atan2(
        math.sin(th) * math.sin(de) * math.cos(p1), math.cos(de) - math.sin(p1) * math.sin(p2)
    )
    lon = (math.degrees(l2) + 540.0) % 360.0 - 180.0
    return math.degrees(p2), lon


@dataclass(frozen=True)
class ArrayLocation:
    """A single-array event location: back-azimuth and distance from one detection.

    Attributes
    ----------
    latitude_deg, longitude_deg
        Epicentre, degrees.
    origin_time
        Arrival time less the travel time, UTC.
    distance_deg
        Distance from the reference element, degrees.
    distance_range_deg
        Distances consistent with the slowness (``confidence``), degrees.
    back_azimuth_deg
        Back-azimuth, degrees.
    back_azimuth_range_deg
        Back-azimuth within ``z`` standard errors (``confidence``), degrees; the upper
        bound may exceed 360.
    radial_half_width_km, transverse_half_width_km
        Half-widths of the uncertainty sector along and across the ray, km.
    depth_km
        Assumed depth, km.
    phase
        Phase the distance was read from.
    model
        Earth model.
    confidence
        Confidence of each of the two ranges (0.9).
    region
        Boundary of the sector, (latitude, longitude) pairs, degrees.
    """

    latitude_deg: float
    longitude_deg: float
    origin_time: obspy.UTCDateTime
    distance_deg: float
    distance_range_deg: tuple[float, float]
    back_azimuth_deg: float
    back_azimuth_range_deg: tuple[float, float]
    radial_half_width_km: float
    transverse_half_width_km: float
    depth_km: float
    phase: str
    model: str
    confidence: float
    region: tuple[tuple[float, float], ...] = field(repr=False)


def single_array_location(
    geometry: ArrayGeometry,
    arrival: obspy.UTCDateTime,
    fk: FkEstimate,
    phase: PhaseIdentification,
    *,
    z: float = Z90,
    confidence: float = 0.9,
) -> ArrayLocation | None:
    """Locate an event from one array detection, as the IDC does with a single array.

    Parameters
    ----------
    geometry
        The array (the location is measured from its reference element).
    arrival
        Arrival time at the reference element, UTC.
    fk
        Back-azimuth and slowness with uncertainties.
    phase
        Identified phase and distance range (:func:`identify_phase`).
    z, confidence
        Standard errors of back-azimuth spanned by the region, and the confidence that
        corresponds (two-sided normal).

    Returns
    -------
    ArrayLocation or None
        ``None`` when the phase is unidentified.
    """
    if phase.distance_deg is None or phase.distance_range_deg is None:
        return None
    lat0, lon0 = geometry.reference_latitude_deg, geometry.reference_longitude_deg
    baz = fk.back_azimuth_deg
    dbaz = min(z * fk.back_azimuth_sigma_deg, 180.0)
    lat, lon = destination(lat0, lon0, baz, phase.distance_deg)
    d_lo, d_hi = phase.distance_range_deg
    boundary: list[tuple[float, float]] = []
    arc = np.linspace(baz - dbaz, baz + dbaz, 9)
    boundary += [destination(lat0, lon0, float(a), d_lo) for a in arc]
    boundary += [destination(lat0, lon0, float(a), d_hi) for a in arc[::-1]]
    return ArrayLocation(
        latitude_deg=lat,
        longitude_deg=lon,
        origin_time=arrival - float(phase.travel_time_s or 0.0),
        distance_deg=phase.distance_deg,
        distance_range_deg=(d_lo, d_hi),
        back_azimuth_deg=baz,
        back_azimuth_range_deg=(baz - dbaz, baz + dbaz),
        radial_half_width_km=0.5 * (d_hi - d_lo) * KM_PER_DEG,
        transverse_half_width_km=math.sin(math.radians(phase.distance_deg))
        * math.radians(dbaz)
        * EARTH_RADIUS_KM,
        depth_km=phase.depth_km,
        phase=phase.phase,
        model=phase.model,
        confidence=confidence,
        region=tuple(boundary),
    )
