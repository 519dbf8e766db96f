"""Array geometry: element offsets from StationXML coordinates.

Method
------
**Geometry.** Element coordinates come from StationXML (an ObsPy ``Inventory``,
``get_coordinates`` of each channel at the data's start time). Offsets east and north of a
reference element (by default the element nearest the mean position; for Yellowknife the
crossing of the two lines) are WGS84 geodesics
(:func:`treatyverify.monitoring.arrays.horizontal_offsets_m`). Elevations are not used:
the delay a 100 m height difference adds to steep teleseismic P is below 0.02 s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import obspy
from numpy.typing import NDArray

from treatyverify.errors import InputError
from treatyverify.monitoring.arrays import horizontal_offsets_m

FloatArray = NDArray[np.float64]

#: Radius of the iasp91 and ak135 Earth models, km (Kennett & Engdahl 1991; Kennett,
#: Engdahl & Buland 1995, Geophys. J. Int. 122, 108-124).
EARTH_RADIUS_KM = 6371.0
#: Kilometres per degree of great-circle arc on that sphere.
KM_PER_DEG = EARTH_RADIUS_KM * math.pi / 180.0


@dataclass(frozen=True, eq=False)
class ArrayGeometry:
    """Element positions of an array, relative to a reference element.

    Attributes
    ----------
    name
        Array name: the common prefix of the station codes (``"CN.YK"``).
    trace_ids
        SEED ids of the elements, in the order of the offsets.
    latitudes_deg, longitudes_deg, elevations_m
        Element coordinates (WGS84), degrees and metres, from StationXML.
    reference_id
        SEED id of the reference element.
    reference_latitude_deg, reference_longitude_deg
        Its coordinates, degrees.
    offsets_m
        Shape ``(N, 2)``: east and north offsets from the reference element, metres.
    """

    name: str
    trace_ids: tuple[str, ...]
    latitudes_deg: FloatArray
    longitudes_deg: FloatArray
    elevations_m: FloatArray
    reference_id: str
    reference_latitude_deg: float
    reference_longitude_deg: float
    offsets_m: FloatArray

    @property
    def n_elements(self) -> int:
        """Number of elements ``N``."""
        return len(self.trace_ids)

    @property
    def aperture_km(self) -> float:
        """Largest distance between two elements, km."""
        xy = self.offsets_m
        d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        return float(d.max()) / 1000.0

    @property
    def centre_deg(self) -> tuple[float, float]:
        """Mean latitude and longitude of the elements, degrees."""
        return float(self.latitudes_deg.mean()), float(self.longitudes_deg.mean())


def _common_prefix(codes: Sequence[str]) -> str:
    first, last = min(codes), max(codes)
    i = 0
    while i < min(len(first), len(last)) and first[i] == last[i]:
        i += 1
    return first[:i] or first


def array_geometry(
    stream: obspy.Stream, inventory: obspy.Inventory, *, reference: str | None = None
) -> ArrayGeometry:
    """Element offsets of the traces of ``stream`` from StationXML coordinates.

    Parameters
    ----------
    stream
        One trace per element (see :func:`check_array_stream`).
    inventory
        Station metadata with the channels of the traces.
    reference
        SEED id or station code of the reference element; default the element nearest
        the mean position of the elements.

    Raises
    ------
    InputError
        A channel without coordinates at the data's time, or an unknown reference.
    """
    ids = [str(tr.id) for tr in stream]
    coords = []
    for tr in stream:
        try:
            c = inventory.get_coordinates(tr.id, tr.stats.starttime)
        except Exception as exc:  # ObsPy raises a plain Exception when nothing matches
            raise InputError("channel not in the StationXML", where=str(tr.id)) from exc
        coords.append((float(c["latitude"]), float(c["longitude"]), float(c["elevation"])))
    table = np.array(coords, dtype=np.float64).reshape(-1, 3)
    centre_offsets = horizontal_offsets_m(table[:, 0], table[:, 1])
    if reference is None:
        ref = int(np.argmin(np.hypot(centre_offsets[:, 0], centre_offsets[:, 1])))
    else:
        matches = [i for i, tid in enumerate(ids) if reference in (tid, tid.split(".")[1])]
        if len(matches) != 1:
            raise InputError("reference element is not one of the array's", where=reference)
        ref = matches[0]
    offsets = horizontal_offsets_m(
        table[:, 0], table[:, 1], reference=(float(table[ref, 0]), float(table[ref, 1]))
    )
    net = str(stream[0].stats.network)
    return ArrayGeometry(
        name=f"{net}.{_common_prefix([str(tr.stats.station) for tr in stream])}",
        trace_ids=tuple(ids),
        latitudes_deg=table[:, 0].copy(),
        longitudes_deg=table[:, 1].copy(),
        elevations_m=table[:, 2].copy(),
        reference_id=ids[ref],
        reference_latitude_deg=float(table[ref, 0]),
        reference_longitude_deg=float(table[ref, 1]),
        offsets_m=offsets,
    )
