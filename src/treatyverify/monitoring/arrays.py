"""Array geometry and plane-wave conventions shared by the seismic and infrasound arrays.

Both kinds of array measure the same thing: the horizontal slowness vector of a plane
wave crossing elements at known positions. This module holds the two pieces they share.

* :func:`horizontal_offsets_m`: east and north offsets (m) of elements from a reference
  point, as geodesics on the WGS84 ellipsoid (:func:`obspy.geodetics.gps2dist_azimuth`).
  Over the few kilometres to tens of kilometres of an array the flat (tangent-plane)
  coordinates this gives differ from the curved surface by well under a metre.
* :func:`slowness_vector` and :func:`back_azimuth_slowness`: the convention that a wave
  arriving *from* back-azimuth ``beta`` (degrees clockwise from north) with horizontal
  slowness ``u`` (s per unit length) has the slowness vector
  ``s = -u (sin beta, cos beta)``, pointing the way the wave travels, so that it reaches
  the element at offset ``r`` at ``t0 + s . r``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from obspy.geodetics import gps2dist_azimuth

from treatyverify.errors import InputError

__all__ = [
    "back_azimuth_slowness",
    "horizontal_offsets_m",
    "plane_wave_delays_s",
    "slowness_vector",
]


def horizontal_offsets_m(
    latitudes_deg: ArrayLike,
    longitudes_deg: ArrayLike,
    reference: tuple[float, float] | None = None,
) -> NDArray[np.float64]:
    """East and north offsets of array elements from a reference point.

    Parameters
    ----------
    latitudes_deg, longitudes_deg
        Element coordinates, degrees (WGS84), one per element.
    reference
        (latitude, longitude) of the reference point, degrees; default the mean of the
        element coordinates (the array centre).

    Returns
    -------
    numpy.ndarray
        Shape ``(N, 2)``: east and north offsets in metres, in the order given.

    Raises
    ------
    InputError
        No elements, coordinates that are not finite, or arrays of different lengths.
    """
    lat = np.asarray(latitudes_deg, dtype=np.float64).ravel()
    lon = np.asarray(longitudes_deg, dtype=np.float64).ravel()
    if lat.size == 0 or lat.shape != lon.shape:
        raise InputError("need one latitude and one longitude per element", where="array")
    if not (np.all(np.isfinite(lat)) and np.all(np.isfinite(lon))):
        raise InputError("element coordinates must be finite", where="array")
    lat0, lon0 = (
        (float(lat.mean()), float(lon.mean())) if reference is None else map(float, reference)
    )
    offsets = np.zeros((lat.size, 2))
    for i in range(lat.size):
        dist_m, az_deg, _ = gps2dist_azimuth(lat0, lon0, float(lat[i]), float(lon[i]))
        az = math.radians(az_deg)
        offsets[i] = (dist_m * math.sin(az), dist_m * math.cos(az))
    return offsets


def slowness_vector(back_azimuth_deg: ArrayLike, slowness: ArrayLike) -> NDArray[np.float64]:
    """Slowness vector(s) (east, north) of a wave from a back-azimuth.

    Parameters
    ----------
    back_azimuth_deg
        Direction the wave comes from, degrees clockwise from north.
    slowness
        Horizontal slowness (s per unit length; the vector has the same unit).

    Returns
    -------
    numpy.ndarray
        Shape ``(..., 2)``: ``-slowness * (sin beta, cos beta)``.
    """
    beta = np.radians(np.asarray(back_azimuth_deg, dtype=np.float64))
    u = np.asarray(slowness, dtype=np.float64)
    return np.stack([-u * np.sin(beta), -u * np.cos(beta)], axis=-1)


def back_azimuth_slowness(
    slowness_east: ArrayLike, slowness_north: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Back-azimuth (degrees, 0-360) and slowness magnitude of slowness vector(s).

    Parameters
    ----------
    slowness_east, slowness_north
        Components of the slowness vector (pointing the way the wave travels).

    Returns
    -------
    tuple
        (back-azimuth in degrees clockwise from north, in ``[0, 360)``; slowness in the
        unit of the components).
    """
    sx = np.asarray(slowness_east, dtype=np.float64)
    sy = np.asarray(slowness_north, dtype=np.float64)
    baz = np.degrees(np.arctan2(-sx, -sy)) % 360.0
    return baz, np.hypot(sx, sy)


def plane_wave_delays_s(
    offsets_m: ArrayLike, slowness_east_s_m: ArrayLike, slowness_north_s_m: ArrayLike
) -> NDArray[np.float64]:
    """Arrival-time delays (s) of plane waves at the elements, relative to the reference point.

    Parameters
    ----------
    offsets_m
        Element offsets, shape ``(N, 2)``, east and north in metres.
    slowness_east_s_m, slowness_north_s_m
        Slowness vector components, s/m; any shape ``S`` (broadcast together).

    Returns
    -------
    numpy.ndarray
        Shape ``S + (N,)``: ``s . r_n`` in seconds.
    """
    xy = np.asarray(offsets_m, dtype=np.float64)
    sx = np.asarray(slowness_east_s_m, dtype=np.float64)[..., None]
    sy = np.asarray(slowness_north_s_m, dtype=np.float64)[..., None]
    delays: NDArray[np.float64] = sx * xy[:, 0] + sy * xy[:, 1]
    return delays
