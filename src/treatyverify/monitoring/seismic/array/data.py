"""Array input: read the waveforms and their StationXML, and check them."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import obspy

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.array.geometry import ArrayGeometry, FloatArray, array_geometry
from treatyverify.monitoring.seismic.ingest import read_waveforms

_TIME_TOL = 0.25  # fraction of a sample by which element samples may be misaligned


@dataclass(frozen=True, eq=False)
class ArrayData:
    """Checked array waveforms with their metadata.

    Attributes
    ----------
    stream
        One trace per element, same sampling rate, trimmed to the common span, aligned.
    inventory
        The StationXML inventory (coordinates and responses).
    geometry
        Element offsets, in the order of ``stream``.
    """

    stream: obspy.Stream
    inventory: obspy.Inventory
    geometry: ArrayGeometry

    @property
    def rate_hz(self) -> float:
        """Sampling rate, Hz."""
        return float(self.stream[0].stats.sampling_rate)

    @property
    def starttime(self) -> obspy.UTCDateTime:
        """Start of the common data, UTC."""
        return self.stream[0].stats.starttime

    def data(self) -> FloatArray:
        """Samples, shape ``(N, npts)``, counts."""
        return np.vstack([np.asarray(tr.data, dtype=np.float64) for tr in self.stream])


def _listed(ids: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _has_response(inventory: obspy.Inventory, tr: obspy.Trace) -> bool:
    try:
        resp = inventory.get_response(tr.id, tr.stats.starttime)
    except Exception:  # ObsPy raises a plain Exception when no response matches
        return False
    return bool(resp.response_stages) and resp.instrument_sensitivity is not None


def _declared_rate(inventory: obspy.Inventory, tr: obspy.Trace) -> float | None:
    """Sampling rate the StationXML declares for the trace's channel, if it gives one."""
    st = tr.stats
    found = inventory.select(
        network=st.network,
        station=st.station,
        location=st.location,
        channel=st.channel,
        time=st.starttime,
    )
    for net in found:
        for sta in net:
            for cha in sta:
                if cha.sample_rate:
                    return float(cha.sample_rate)
    return None


def check_array_stream(
    stream: obspy.Stream,
    inventory: obspy.Inventory,
    *,
    waveforms: str = "waveforms",
    stations: str = "StationXML",
    need_response: bool = True,
) -> obspy.Stream:
    """Check array waveforms against their StationXML; each problem is one line.

    Every channel is checked before anything is raised, so that one error names all
    channels with the same problem (a summary, not one message per channel).

    Parameters
    ----------
    stream
        Waveforms of the array.
    inventory
        Its StationXML.
    waveforms, stations
        Names of the two files, for the messages.
    need_response
        Whether every channel must have an instrument response (for amplitudes).

    Returns
    -------
    obspy.Stream
        A copy, one trace per element, trimmed to the span common to all elements.

    Raises
    ------
    InputError
        No traces; mixed sampling rates; gaps or overlaps; channels not in the
        StationXML; channels without response; channels whose rate differs from the
        StationXML's; elements that do not overlap in time or
        whose samples are not aligned; fewer than 3 elements.
    """
    if len(stream) == 0:
        raise InputError("no traces", where=waveforms)
    rates = Counter(float(tr.stats.sampling_rate) for tr in stream)
    if len(rates) > 1:
        main = rates.most_common(1)[0][0]
        odd = sorted({str(tr.id) for tr in stream if float(tr.stats.sampling_rate) != main})
        parts = ", ".join(f"{r:g} Hz ({n} traces)" for r, n in sorted(rates.items()))
        raise InputError(
            f"mixed sampling rates: {parts}; differing: {_listed(odd)}; resample to one rate",
            where=waveforms,
        )
    per_id = Counter(str(tr.id) for tr in stream)
    split = sorted(tid for tid, n in per_id.items() if n > 1)
    if split:
        raise InputError(
            f"gaps or overlaps in {len(split)} channel(s) ({_listed(split)}): "
            "f-k analysis needs continuous data; fill or cut the gaps first",
            where=waveforms,
        )
    missing: list[str] = []
    no_response: list[str] = []
    wrong_rate: list[str] = []
    for tr in stream:
        try:
            inventory.get_coordinates(tr.id, tr.stats.starttime)
        except Exception:  # ObsPy raises a plain Exception when nothing matches
            missing.append(str(tr.id))
            continue
        if need_response and not _has_response(inventory, tr):
            no_response.append(str(tr.id))
        if _declared_rate(inventory, tr) not in (None, float(tr.stats.sampling_rate)):
            wrong_rate.append(str(tr.id))
    if missing:
        raise InputError(
            f"{len(missing)} channel(s) not in the StationXML at the data's time: "
            f"{_listed(sorted(missing))}",
            where=stations,
        )
    if no_response:
        raise InputError(
            f"{len(no_response)} channel(s) without instrument response: "
            f"{_listed(sorted(no_response))}",
            where=stations,
        )
    if wrong_rate:
        raise InputError(
            f"{len(wrong_rate)} channel(s) whose sampling rate differs from the "
            f"StationXML's: {_listed(sorted(wrong_rate))}",
            where=stations,
        )
    if len(stream) < 3:
        raise InputError(f"an array needs at least 3 elements, got {len(stream)}", where=waveforms)
    for tr in stream:
        if not np.all(np.isfinite(np.asarray(tr.data, dtype=np.float64))):
            raise InputError("samples contain NaN or infinity", where=str(tr.id))
    start = max(tr.stats.starttime for tr in stream)
    end = min(tr.stats.endtime for tr in stream)
    if end <= start:
        raise InputError("elements do not overlap in time", where=waveforms)
    rate = float(stream[0].stats.sampling_rate)
    out = obspy.Stream()
    for tr in stream:
        i0 = math.ceil((start - tr.stats.starttime) * rate - 1e-6)
        if abs(tr.stats.starttime + i0 / rate - start) > _TIME_TOL / rate:
            raise InputError("samples not aligned with the other elements", where=str(tr.id))
        piece = tr.copy()
        piece.data = np.asarray(tr.data, dtype=np.float64)[i0:]
        piece.stats.starttime = start
        out.append(piece)
    npts = min(tr.stats.npts for tr in out)
    for tr in out:
        tr.data = tr.data[:npts]
    out.sort(keys=["network", "station", "location", "channel"])
    return out


def read_array(
    waveforms: str | Path | Sequence[str | Path],
    stations: str | Path,
    *,
    reference: str | None = None,
    need_response: bool = True,
) -> ArrayData:
    """Read array waveforms and their StationXML, and check them.

    Parameters
    ----------
    waveforms
        Waveform file(s), any format ObsPy reads (miniSEED, SAC, ...).
    stations
        StationXML file with the coordinates (and responses) of every channel.
    reference
        Reference element (SEED id or station code); default nearest the centre.
    need_response
        Whether every channel must carry an instrument response.

    Raises
    ------
    InputError
        One line naming the file or channels: see :func:`check_array_stream`.
    """
    path = Path(stations)
    if not path.is_file():
        raise InputError("StationXML file not found", where=str(path))
    try:
        inventory = obspy.read_inventory(str(path))
    except Exception as exc:  # ObsPy raises many types for malformed XML
        raise InputError(
            f"cannot read StationXML ({type(exc).__name__})", where=str(path)
        ) from None
    files = [waveforms] if isinstance(waveforms, str | Path) else list(waveforms)
    stream = read_waveforms(files)
    where = str(files[0]) if len(files) == 1 else f"{files[0]} (+{len(files) - 1} files)"
    checked = check_array_stream(
        stream, inventory, waveforms=where, stations=str(path), need_response=need_response
    )
    return ArrayData(checked, inventory, array_geometry(checked, inventory, reference=reference))
