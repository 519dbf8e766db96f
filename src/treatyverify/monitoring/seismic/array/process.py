"""The whole array chain from files: read, detect, measure, identify and locate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import obspy

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.array.data import read_array
from treatyverify.monitoring.seismic.array.detections import ArrayDetection, array_detections
from treatyverify.monitoring.seismic.array.geometry import ArrayGeometry


@dataclass(frozen=True, eq=False)
class ArrayResult:
    """Everything :func:`process_array` found.

    Attributes
    ----------
    geometry
        The array.
    detections
        Array detections in time order.
    band_hz
        Analysis band, Hz.
    """

    geometry: ArrayGeometry
    detections: tuple[ArrayDetection, ...]
    band_hz: tuple[float, float]


def process_array(
    waveforms: str | Path | Sequence[str | Path],
    stations: str | Path,
    *,
    band_hz: tuple[float, float] = (1.0, 3.0),
    window_s: float = 4.0,
    start: obspy.UTCDateTime | None = None,
    end: obspy.UTCDateTime | None = None,
    depth_km: float = 0.0,
    model: str = "iasp91",
    reference: str | None = None,
) -> ArrayResult:
    """Read an array, detect arrivals, and measure, identify and locate each one.

    Parameters
    ----------
    waveforms
        Waveform file(s) of the array.
    stations
        StationXML with coordinates and responses.
    band_hz
        Detection and f-k band, Hz.
    window_s
        f-k window, s.
    start, end
        Span of detections to report, UTC.
    depth_km
        Assumed source depth, km.
    model
        Earth model.
    reference
        Reference element (default nearest the centre).

    Raises
    ------
    InputError
        Bad input, one line (see :func:`read_array`).
    """
    if start is not None and end is not None and end <= start:
        raise InputError("end must be after start", where="--end")
    array = read_array(waveforms, stations, reference=reference)
    found = array_detections(
        array,
        band_hz=band_hz,
        window_s=window_s,
        start=start,
        end=end,
        depth_km=depth_km,
        model=model,
    )
    return ArrayResult(array.geometry, tuple(found), (float(band_hz[0]), float(band_hz[1])))
