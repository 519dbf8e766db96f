"""Ingest seismic waveforms and station metadata, with quality checks that never crash.

Waveforms are read with ObsPy (:func:`obspy.read`, format detected from the content:
miniSEED, SAC, GSE2, CSS3.0 and the other formats ObsPy knows). Station coordinates come
from StationXML (:func:`obspy.read_inventory`) or from a CSV file with the columns
``network,station,latitude,longitude,elevation_m``.

:func:`ingest` reads the files and runs :func:`check_stream`, which returns the cleaned
stream together with a list of :class:`IngestWarning`, one per trace and problem. What
happens to a bad trace:

========================  ===============================================================
problem                   action
========================  ===============================================================
gap                       merged, the gap filled by linear interpolation (warning gives
                          the gap length in seconds)
overlap                   merged, the later segment's samples kept
mixed sampling rates      segments of one channel at a rate other than the channel's
                          dominant rate are dropped; channels whose rate differs from
                          the stream's dominant rate are kept (filters are designed per
                          rate), all named in one summary warning
clipped                   kept, flagged: amplitudes are unreliable
constant                  dropped
not finite (NaN, inf)     repaired by linear interpolation when at most 10 % of
                          the samples; dropped otherwise
empty                     dropped
unknown station           dropped (no coordinates to locate with)
corrupt record            the readable part is kept; warning names the file
========================  ===============================================================

A file that cannot be read at all raises :class:`~treatyverify.errors.InputError` naming
the file. Warnings are also logged through :mod:`logging` (logger
``treatyverify.monitoring.seismic.ingest``); neither the warnings nor the log carry data
values, only trace identifiers, times, rates and sample counts.
"""

from __future__ import annotations

import csv
import logging
import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import obspy
from numpy.typing import NDArray

from treatyverify.errors import InputError

__all__ = [
    "CLIP_MIN_RUN",
    "MAX_NONFINITE_FRACTION",
    "IngestResult",
    "IngestWarning",
    "Station",
    "check_stream",
    "ingest",
    "read_stations",
    "read_waveforms",
]

_log = logging.getLogger(__name__)

CLIP_MIN_RUN = 5
"""Shortest run of consecutive samples at the trace's maximum or minimum that marks the
trace as clipped (samples). A digitiser that saturates holds its full-scale value for
many samples; an unclipped peak rarely repeats the same value five times in a row."""

MAX_NONFINITE_FRACTION = 0.1
"""Largest fraction of non-finite samples (NaN, inf) a trace may have and still be repaired
by linear interpolation; above it the trace is dropped (a choice of this module)."""

_CSV_COLUMNS = ("network", "station", "latitude", "longitude", "elevation_m")


@dataclass(frozen=True)
class Station:
    """Coordinates of one seismic station.

    Parameters
    ----------
    network
        FDSN network code, for example ``"IC"``.
    station
        Station code, for example ``"MDJ"``.
    latitude
        Geographic latitude (degrees north, WGS84).
    longitude
        Geographic longitude (degrees east, WGS84).
    elevation_m
        Elevation above sea level (m).
    """

    network: str
    station: str
    latitude: float
    longitude: float
    elevation_m: float

    @property
    def key(self) -> str:
        """The ``"NET.STA"`` key that station tables are indexed by."""
        return f"{self.network}.{self.station}"


@dataclass(frozen=True)
class IngestWarning:
    """A problem found in the input and what was done about it.

    Parameters
    ----------
    trace_id
        SEED identifier ``NET.STA.LOC.CHA`` of the trace, or the file name for a problem
        in a file.
    problem
        What is wrong and what was done, in one sentence without data values.
    """

    trace_id: str
    problem: str


@dataclass
class IngestResult:
    """Waveforms after the quality checks, with the warnings raised on the way.

    Parameters
    ----------
    stream
        The cleaned waveforms (ObsPy ``Stream``).
    warnings
        One :class:`IngestWarning` per trace and problem, in the order found.
    """

    stream: obspy.Stream
    warnings: list[IngestWarning] = field(default_factory=list)


def _warn(found: list[IngestWarning], trace_id: str, problem: str) -> None:
    found.append(IngestWarning(trace_id, problem))
    _log.warning("%s: %s", trace_id, problem)


def _read_one(path: Path, found: list[IngestWarning] | None) -> obspy.Stream:
    """Read one waveform file; ObsPy's warnings about it become :class:`IngestWarning`."""
    if not path.is_file():
        raise InputError("waveform file not found", where=str(path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            stream = obspy.read(str(path))
        except Exception as exc:  # ObsPy raises many types for unreadable input
            raise InputError(
                f"cannot read waveforms ({type(exc).__name__}): corrupt or unknown format",
                where=str(path),
            ) from exc
    for item in caught:
        text = str(item.message).splitlines()[0][:200]
        if found is not None:
            _warn(found, path.name, f"corrupt or unusual data while reading: {text}")
        else:
            _log.warning("%s: %s", path.name, text)
    return stream


def read_waveforms(paths: str | Path | Iterable[str | Path]) -> obspy.Stream:
    """Read waveform files into one ObsPy stream, format detected from the content.

    Parameters
    ----------
    paths
        One file or several (miniSEED, SAC, GSE2, CSS3.0, or any other format ObsPy reads).

    Returns
    -------
    obspy.Stream
        All traces of all files, unchecked (see :func:`ingest` for the checked version).

    Raises
    ------
    InputError
        A file is missing, unreadable or of no known format; the error names the file.
    """
    stream = obspy.Stream()
    for path in _as_paths(paths):
        stream += _read_one(path, None)
    return stream


def _as_paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(paths, str | Path):
        return [Path(paths)]
    out = [Path(p) for p in paths]
    if not out:
        raise InputError("no waveform files given")
    return out


def ingest(
    paths: str | Path | Iterable[str | Path],
    stations: Mapping[str, Station] | None = None,
    *,
    clip_min_run: int = CLIP_MIN_RUN,
) -> IngestResult:
    """Read waveform files and run the quality checks of :func:`check_stream`.

    Parameters
    ----------
    paths
        Waveform files (any format ObsPy reads).
    stations
        Station table keyed by ``"NET.STA"``; traces of stations not in it are dropped.
        ``None`` skips that check.
    clip_min_run
        Run length (samples) at the extreme value that marks a trace as clipped.

    Of several files, one that cannot be read at all (corrupt, or of no known format)
    becomes a warning naming it and is skipped, so one bad file does not stop a network.

    Raises
    ------
    InputError
        A file is missing; the only file given, or every file, cannot be read. The error
        names the file.
    """
    found: list[IngestWarning] = []
    stream = obspy.Stream()
    files = _as_paths(paths)
    unreadable: list[InputError] = []
    for path in files:
        try:
            stream += _read_one(path, found)
        except InputError as exc:
            if not path.is_file() or len(files) == 1:
                raise
            unreadable.append(exc)
            _warn(found, path.name, f"{exc.message}; file skipped")
    if unreadable and len(unreadable) == len(files):
        raise unreadable[0]
    result = check_stream(stream, stations, clip_min_run=clip_min_run)
    result.warnings[:0] = found
    return result


def _longest_run(mask: NDArray[np.bool_]) -> int:
    """Length of the longest run of ``True`` in a boolean array (vectorised)."""
    if not mask.any():
        return 0
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[0::2]).max())


def _dominant_rate(traces: Sequence[obspy.Trace]) -> float:
    weights: Counter[float] = Counter()
    for tr in traces:
        weights[float(tr.stats.sampling_rate)] += int(tr.stats.npts)
    return max(weights.items(), key=lambda kv: (kv[1], kv[0]))[0]


def check_stream(
    stream: obspy.Stream,
    stations: Mapping[str, Station] | None = None,
    *,
    clip_min_run: int = CLIP_MIN_RUN,
) -> IngestResult:
    """Check and clean a stream; see the module docstring for what happens to each problem.

    Parameters
    ----------
    stream
        Waveforms to check; not modified (the result holds new traces).
    stations
        Station table keyed by ``"NET.STA"``, or ``None`` to skip the unknown-station check.
    clip_min_run
        Run length (samples) at the extreme value that marks a trace as clipped.

    Returns
    -------
    IngestResult
        The cleaned stream, one trace per SEED id, and the warnings.
    """
    found: list[IngestWarning] = []
    by_id: dict[str, list[obspy.Trace]] = defaultdict(list)
    for tr in stream:
        tid = str(tr.id)
        if tr.stats.npts == 0:
            _warn(found, tid, "empty trace; dropped")
            continue
        bad = ~np.isfinite(np.asarray(tr.data, dtype=np.float64))
        if bad.any():
            if bad.mean() > MAX_NONFINITE_FRACTION:
                _warn(found, tid, f"{int(bad.sum())} samples not finite numbers; dropped")
                continue
            tr = tr.copy()
            good = np.flatnonzero(~bad)
            tr.data[bad] = np.interp(np.flatnonzero(bad), good, tr.data[good])
            _warn(
                found,
                tid,
                f"{int(bad.sum())} samples not finite numbers; repaired by linear interpolation",
            )
        if stations is not None:
            key = f"{tr.stats.network}.{tr.stats.station}"
            if key not in stations:
                _warn(found, tid, f"station {key} not in the station table; dropped")
                continue
        by_id[tid].append(tr)

    merged: list[obspy.Trace] = []
    for tid, segments in by_id.items():
        rate = _dominant_rate(segments)
        kept = [tr for tr in segments if float(tr.stats.sampling_rate) == rate]
        for tr in segments:
            if float(tr.stats.sampling_rate) != rate:
                _warn(
                    found,
                    tid,
                    f"segment from {tr.stats.starttime} at {tr.stats.sampling_rate:g} Hz "
                    f"differs from the channel's {rate:g} Hz; segment dropped",
                )
        merged.append(_merge_channel(tid, kept, found))

    out = obspy.Stream()
    for tr in merged:
        tid = str(tr.id)
        data = np.asarray(tr.data)
        top, bottom = data.max(), data.min()
        if top == bottom:
            _warn(found, tid, "constant trace (no signal); dropped")
            continue
        run = max(_longest_run(data == top), _longest_run(data == bottom))
        if run >= clip_min_run:
            _warn(
                found,
                tid,
                f"clipped: {run} consecutive samples at the trace extreme; kept, "
                "amplitudes unreliable",
            )
        out.append(tr)

    if len(out) > 0:
        rate = _dominant_rate(list(out))
        others = [tr for tr in out if float(tr.stats.sampling_rate) != rate]
        if others:  # one line for all of them, not one per channel
            listed = ", ".join(f"{tr.id} ({tr.stats.sampling_rate:g} Hz)" for tr in others[:6])
            more = f" and {len(others) - 6} more" if len(others) > 6 else ""
            _warn(
                found,
                f"{len(others)} channel{'s' if len(others) > 1 else ''}",
                f"sampling rate other than the stream's dominant {rate:g} Hz: {listed}{more}; "
                "kept (filters are designed per rate)",
            )
    return IngestResult(out, found)


def _merge_channel(
    tid: str, segments: list[obspy.Trace], found: list[IngestWarning]
) -> obspy.Trace:
    """Merge the segments of one channel, reporting gaps and overlaps."""
    if len(segments) == 1:
        return segments[0].copy()
    part = obspy.Stream([tr.copy() for tr in segments])
    part.sort(keys=["starttime"])
    for gap in part.get_gaps():
        delta_s = float(gap[6])
        if delta_s > 0:
            _warn(
                found,
                tid,
                f"gap of {delta_s:.3f} s after {gap[4]}; filled by linear interpolation",
            )
        else:
            _warn(
                found,
                tid,
                f"overlap of {-delta_s:.3f} s at {gap[5]}; later segment's samples kept",
            )
    part.merge(method=1, fill_value="interpolate")
    if len(part) != 1:  # pragma: no cover - merge of one id at one rate gives one trace
        raise InputError("cannot merge the segments of the channel", where=tid)
    return part[0]


def read_stations(path: str | Path) -> dict[str, Station]:
    """Read station coordinates from StationXML or CSV.

    Parameters
    ----------
    path
        A StationXML file (recognised by its content starting with ``<``) or a CSV file
        with a header row ``network,station,latitude,longitude,elevation_m`` (latitude
        and longitude in degrees, elevation in metres).

    Returns
    -------
    dict[str, Station]
        Stations keyed by ``"NET.STA"``. For StationXML the first epoch of a station is used.

    Raises
    ------
    InputError
        The file is missing, malformed, lacks a column, has a bad number or a coordinate
        out of range, or lists a station twice (CSV); the error names the file and line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read station file ({type(exc).__name__})", where=str(path)
        ) from exc
    if text.lstrip().startswith("<"):
        return _read_stationxml(path)
    return _read_station_csv(path, text)


def _checked_station(
    network: str, station: str, lat: float, lon: float, elev: float, where: str
) -> Station:
    if not network or not station:
        raise InputError("empty network or station code", where=where)
    if not all(math.isfinite(v) for v in (lat, lon, elev)):
        raise InputError("coordinate is not a finite number", where=where)
    if not -90.0 <= lat <= 90.0:
        raise InputError("latitude outside [-90, 90] degrees", where=where)
    if not -180.0 <= lon <= 360.0:
        raise InputError("longitude outside [-180, 360] degrees", where=where)
    return Station(network, station, lat, lon, elev)


def _read_station_csv(path: Path, text: str) -> dict[str, Station]:
    try:
        return _station_rows(path, text)
    except csv.Error as exc:  # a field past the csv module's size limit, a NUL byte
        raise InputError(f"not a readable CSV file ({exc})", where=str(path)) from None


def _station_rows(path: Path, text: str) -> dict[str, Station]:
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in _CSV_COLUMNS if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", where=str(path))
    reader.fieldnames = header
    out: dict[str, Station] = {}
    for line_no, row in enumerate(reader, start=2):
        where = f"{path}: line {line_no}"
        try:
            lat, lon, elev = (float(row[c]) for c in ("latitude", "longitude", "elevation_m"))
        except (TypeError, ValueError) as exc:
            raise InputError("coordinate is not a number", where=where) from exc
        sta = _checked_station(
            (row["network"] or "").strip(), (row["station"] or "").strip(), lat, lon, elev, where
        )
        if sta.key in out:
            raise InputError(f"station {sta.key} listed twice", where=where)
        out[sta.key] = sta
    if not out:
        raise InputError("no stations in file", where=str(path))
    return out


def _read_stationxml(path: Path) -> dict[str, Station]:
    try:
        inventory = obspy.read_inventory(str(path))
    except Exception as exc:  # ObsPy raises many types for malformed XML
        raise InputError(f"cannot read StationXML ({type(exc).__name__})", where=str(path)) from exc
    out: dict[str, Station] = {}
    for net in inventory:
        for sta in net:
            where = f"{path}: {net.code}.{sta.code}"
            station = _checked_station(
                str(net.code),
                str(sta.code),
                float(sta.latitude),
                float(sta.longitude),
                float(sta.elevation),
                where,
            )
            out.setdefault(station.key, station)
    if not out:
        raise InputError("no stations in file", where=str(path))
    return out
