"""``treatyverify monitor relocate``: a sequence of events located relative to a master.

The master's recordings and each event's are read and checked, P arrivals are detected
and picked (the pipeline of ``monitor process``), differential P times are measured by
waveform cross-correlation (:func:`.xcorr.differential_times`) for each event against the
master or, with ``--joint``, for every pair, and the events are located relative to the
master (:func:`.relocate.relocate_sequence`): offsets, origin shifts, covariances and
90 % ellipses, a relative catalogue. ``--quakeml`` and ``--ims1`` write it as bulletins
(:func:`.bulletin.relative_catalog`, :func:`.bulletin.relative_ims1_bulletin`), only the
picks that entered a solve flagged defining.

The master's hypocentre is ``--master-origin`` (for example a catalogue's), the preferred
origin of the one event of ``--master-quakeml`` whose origin time falls in the master's
recordings, or, when neither is given, the pipeline's own location of the master. Bad
input is refused before any processing, one line and exit status 2: an unknown model, a
master whose P waves would arrive outside its recordings, an event sharing fewer than 4
stations with the master, an output file that exists (without ``--force``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from treatyverify.cli.common import ForceOption, JsonOption, console, emit_json, print_table
from treatyverify.cli.common import output_path as checked_output
from treatyverify.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from obspy import Stream

    from treatyverify.monitoring.seismic.detect import Detection
    from treatyverify.monitoring.seismic.ingest import Station
    from treatyverify.monitoring.seismic.locate import ErrorEllipse, Pick
    from treatyverify.monitoring.seismic.relocate import RelativeCatalog
    from treatyverify.monitoring.seismic.traveltime import TravelTimeTable

__all__ = ["relocate_command"]

STATION_FILES = ("stations.csv", "stations.xml", "station.xml", "stationxml.xml")
"""Station files looked for in a data directory when ``--stations`` is not given."""

MASTER_PICK_TOLERANCE_S = 10.0
"""A master pick further than this from the P time predicted from a given master origin
is not the master's (another event, or noise) and is left out, s. Regional P residuals
of the global models are a few seconds (docs/benchmarks.md: origin-time errors under 1 s
and epicentre errors under 10 km for the two explosions), so 10 s keeps every true pick."""


@dataclass(frozen=True)
class _Source:
    """One event's data as given on the command line."""

    name: str
    files: tuple[Path, ...]
    station_file: Path | None


def _source(text: str, option: str) -> _Source:
    try:
        return _read_source(text, option)
    except OSError as exc:  # a name too long, a folder that cannot be listed
        raise InputError(f"unusable path ({exc.strerror or exc})", where=option) from None


def _read_source(text: str, option: str) -> _Source:
    from treatyverify.cli.monitor import WAVEFORM_SUFFIXES

    parts = [Path(p) for p in text.split(",") if p.strip()]
    if not parts:
        raise InputError("give a directory or waveform files", where=option)
    if len(parts) == 1 and parts[0].is_dir():
        folder = parts[0]
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in WAVEFORM_SUFFIXES)
        if not files:
            raise InputError(
                f"no waveform files ({', '.join(sorted(WAVEFORM_SUFFIXES))}) in the directory",
                where=str(folder),
            )
        found = next((folder / n for n in STATION_FILES if (folder / n).is_file()), None)
        return _Source(folder.resolve().name, tuple(files), found)
    for path in parts:
        if not path.is_file():
            raise InputError("no such file", where=str(path))
    return _Source(parts[0].stem, tuple(parts), None)


def _master_origin_option(values: tuple[float, float, float, str]) -> tuple[float, ...]:
    from obspy import UTCDateTime

    lat, lon, depth, time_text = values
    if not (-90.0 <= lat <= 90.0 and -360.0 <= lon <= 360.0):
        raise InputError("latitude/longitude out of range", where="--master-origin")
    if not (math.isfinite(depth) and 0.0 <= depth <= 800.0):
        raise InputError("depth must be 0 to 800 km", where="--master-origin")
    try:
        time = UTCDateTime(time_text)
    except (TypeError, ValueError):
        raise InputError(f"not a UTC time: {time_text!r}", where="--master-origin") from None
    return (lat, lon, depth, time.timestamp)


def _quakeml_origins(path: Path) -> list[tuple[float, float, float, float, str]]:
    """(latitude, longitude, depth km, origin epoch s, description) of each event's
    preferred origin (else its first)."""
    import obspy

    try:
        catalog = obspy.read_events(str(path))
    except Exception as exc:  # ObsPy raises many kinds on a malformed file
        raise InputError(
            f"cannot read as QuakeML ({type(exc).__name__})", where=str(path)
        ) from None
    out = []
    for event in catalog:
        origin = event.preferred_origin() or (event.origins[0] if event.origins else None)
        if origin is None or origin.latitude is None or origin.longitude is None:
            continue
        depth_km = (origin.depth or 0.0) / 1000.0
        out.append(
            (
                float(origin.latitude),
                float(origin.longitude),
                max(depth_km, 0.0),
                float(origin.time.timestamp),
                f"QuakeML {path.name}, origin {origin.resource_id}",
            )
        )
    if not out:
        raise InputError("holds no event with an origin", where=str(path))
    return out


def _arrival(
    table: TravelTimeTable, origin: tuple[float, ...], coords: tuple[float, float]
) -> float | None:
    """Predicted first-P arrival (epoch s) at a station, or None beyond the table."""
    from obspy.geodetics import locations2degrees

    lat, lon, depth, t0 = origin
    dist = float(locations2degrees(lat, lon, coords[0], coords[1]))
    if dist > float(table.distances_deg[-1]):
        return None
    return t0 + float(table.time(dist, depth))


def _covers(
    stream: Stream,
    coordinates: dict[str, tuple[float, float]],
    origin: tuple[float, ...],
    table: TravelTimeTable,
) -> tuple[int, float, float, float]:
    """Stations whose vertical recording spans the P arrival predicted from ``origin``;
    with the span of the recordings and the earliest predicted arrival (epoch s)."""
    covered = 0
    first = math.inf
    starts, ends = [], []
    for trace in stream:
        if not trace.stats.channel.endswith("Z"):
            continue
        key = f"{trace.stats.network}.{trace.stats.station}"
        start, end = trace.stats.starttime.timestamp, trace.stats.endtime.timestamp
        starts.append(start)
        ends.append(end)
        if key not in coordinates:
            continue
        arrival = _arrival(table, origin, coordinates[key])
        if arrival is None:
            continue
        first = min(first, arrival)
        if start + 1.0 <= arrival <= end - 8.0:  # the correlation window must fit
            covered += 1
    return covered, min(starts, default=math.nan), max(ends, default=math.nan), first


def relocate_command(
    master: str = typer.Option(
        ...,
        "--master",
        help="The master event: a directory of waveform files (with stations.csv or "
        "stations.xml), a waveform file, or files separated by commas.",
    ),
    events: list[str] = typer.Option(
        ..., "--event", help="An event to locate relative to the master (as --master); repeat."
    ),
    stations: Path | None = typer.Option(
        None,
        "--stations",
        "-s",
        help="StationXML or CSV of stations (default: the station files in the directories).",
    ),
    master_origin: tuple[float, float, float, str] | None = typer.Option(
        None,
        "--master-origin",
        metavar="LAT LON DEPTH TIME",
        help="The master's hypocentre: degrees, degrees, km, UTC time (ISO 8601).",
    ),
    master_quakeml: Path | None = typer.Option(
        None,
        "--master-quakeml",
        help="QuakeML holding the master's origin (the event whose origin time falls in "
        "the master's recordings).",
    ),
    model: str = typer.Option("iasp91", "--model", help="Earth model: iasp91 or ak135."),
    joint: bool = typer.Option(
        False, "--joint", help="Locate all events jointly from every pair, master fixed."
    ),
    sigma_s: float = typer.Option(
        0.02, "--sigma", help="Differential-time uncertainty at cc = 1, s (divided by cc)."
    ),
    min_cc: float = typer.Option(
        0.7, "--min-cc", help="Smallest correlation coefficient of a differential time kept."
    ),
    quakeml: Path | None = typer.Option(
        None, "--quakeml", help="Write the relative catalogue as QuakeML to this file."
    ),
    ims1: Path | None = typer.Option(
        None, "--ims1", help="Write the relative catalogue as an IMS1.0 bulletin to this file."
    ),
    force: bool = ForceOption,
    as_json: bool = JsonOption,
) -> None:
    """Locate events relative to a master from cross-correlation differential times."""
    from treatyverify.monitoring.seismic.traveltime import MODELS

    if model not in MODELS:
        raise InputError(f"unknown Earth model {model!r}; choose one of {', '.join(MODELS)}")
    if master_origin is not None and master_quakeml is not None:
        raise InputError("give the master's hypocentre once: --master-origin or --master-quakeml")
    if not (math.isfinite(sigma_s) and sigma_s > 0):
        raise InputError("must be a positive number of seconds", where="--sigma")
    if not -1.0 <= min_cc <= 1.0:
        raise InputError("must lie in [-1, 1]", where="--min-cc")
    outputs = [p for p in (quakeml, ims1) if p is not None]
    if len(outputs) == 2 and outputs[0].resolve() == outputs[1].resolve():
        raise InputError("--quakeml and --ims1 name the same file", where=str(outputs[0]))
    for path in outputs:  # before any work
        checked_output(path, None, force=force)
    given = _master_origin_option(master_origin) if master_origin is not None else None
    master_source = _source(master, "--master")
    sources = [_source(text, "--event") for text in events]
    names = [master_source.name] + [s.name for s in sources]
    for k, name in enumerate(names):
        if name in names[:k]:
            where = "--master" if k == 0 else "--event"
            raise InputError(
                "two events of the same name; give each its own directory", where=f"{where} {name}"
            )
    catalogue = _quakeml_origins(master_quakeml) if master_quakeml is not None else None
    run = _Run(master_source, sources, stations, model)
    origin_text = "--master-origin on the command line"
    if catalogue is not None:
        given, origin_text = run.quakeml_origin(catalogue)
    if given is not None:
        run.check_master_present(given)
    run.check_common_stations()
    result = run.process(given, origin_text, joint=joint, sigma_s=sigma_s, min_cc=min_cc)
    written = run.write(result, quakeml, ims1)
    _report(result, written, as_json)


class _Run:
    """The data of one ``relocate`` run, read and checked before processing."""

    def __init__(
        self, master: _Source, events: list[_Source], stations: Path | None, model: str
    ) -> None:
        from treatyverify.monitoring.seismic.ingest import ingest, read_stations
        from treatyverify.monitoring.seismic.traveltime import load_table

        known: dict[str, Station] = {}
        if stations is not None:
            known = read_stations(stations)
        else:
            for source in (master, *events):
                if source.station_file is not None:
                    for key, value in read_stations(source.station_file).items():
                        known.setdefault(key, value)
            if not known:
                raise InputError(
                    "no station coordinates: give --stations, or put stations.csv or "
                    "stations.xml in the data directories",
                    where="--stations",
                )
        self.known = known
        self.coordinates = {k: (s.latitude, s.longitude) for k, s in known.items()}
        self.master = master
        self.events = events
        self.streams: dict[str, Stream] = {}
        self.warnings: list[str] = []
        for source in (master, *events):
            ingested = ingest(list(source.files), known)
            self.streams[source.name] = ingested.stream
            self.warnings += [
                f"{source.name}: {w.trace_id}: {w.problem}" for w in ingested.warnings
            ]
        self.table = load_table(model)

    def _vertical_stations(self, name: str) -> set[str]:
        return {
            f"{t.stats.network}.{t.stats.station}"
            for t in self.streams[name]
            if t.stats.channel.endswith("Z")
        } & set(self.coordinates)

    def quakeml_origin(
        self, origins: list[tuple[float, float, float, float, str]]
    ) -> tuple[tuple[float, ...], str]:
        """The origin whose time falls in the master's recordings."""
        stream = self.streams[self.master.name]
        start = min(t.stats.starttime.timestamp for t in stream)
        end = max(t.stats.endtime.timestamp for t in stream)
        inside = [o for o in origins if start - 3600.0 <= o[3] <= end]
        if not inside:
            raise InputError(
                f"the master event is absent from the data: no origin in the QuakeML file "
                f"falls within an hour before or during the master's recordings "
                f"({_utc(start)} to {_utc(end)})",
                where="--master-quakeml",
            )
        best = min(inside, key=lambda o: abs(o[3] - start))
        return best[:4], best[4]

    def check_master_present(self, origin: tuple[float, ...]) -> None:
        """Refuse a master whose P arrivals fall outside its recordings."""
        stream = self.streams[self.master.name]
        covered, start, end, first = _covers(stream, self.coordinates, origin, self.table)
        if covered < 4:
            when = f"its first P would arrive at {_utc(first)}" if math.isfinite(first) else ""
            raise InputError(
                f"the master event (origin {_utc(origin[3])}) is absent from the data: "
                f"{covered} stations record its P arrival (4 needed); the recordings span "
                f"{_utc(start)} to {_utc(end)}" + (f", {when}" if when else ""),
                where=f"--master {self.master.name}",
            )

    def check_common_stations(self) -> None:
        """Refuse an event that shares fewer than 4 stations with the master."""
        mine = self._vertical_stations(self.master.name)
        if len(mine) < 4:
            raise InputError(
                f"only {len(mine)} stations with coordinates and a vertical channel "
                "(relative location needs 4)",
                where=f"--master {self.master.name}",
            )
        for source in self.events:
            common = mine & self._vertical_stations(source.name)
            if not common:
                raise InputError(
                    "no station in common with the master", where=f"--event {source.name}"
                )
            if len(common) < 4:
                raise InputError(
                    f"only {len(common)} stations in common with the master "
                    "(relative location needs 4)",
                    where=f"--event {source.name}",
                )

    def _event_picks(self, name: str, detections: Sequence[Detection]) -> list[Pick]:
        """An event's P picks, nearest the arrivals predicted from its own pipeline
        location; each station's earliest detection (with a warning) when the event
        cannot be located on its own."""
        from treatyverify.monitoring.seismic.pipeline import event_picks, first_arrival_picks

        try:
            return event_picks(detections, self.coordinates, table=self.table)[0]
        except InputError as exc:
            self.warnings.append(
                f"{name}: not located on its own ({exc.message}); each station's earliest "
                "detection anchors its correlation window"
            )
            return first_arrival_picks(detections)

    def process(
        self,
        given: tuple[float, ...] | None,
        origin_text: str,
        *,
        joint: bool,
        sigma_s: float,
        min_cc: float,
    ) -> _Result:
        from obspy import UTCDateTime

        from treatyverify.monitoring.seismic.detect import detect
        from treatyverify.monitoring.seismic.locate import Pick
        from treatyverify.monitoring.seismic.pipeline import event_picks
        from treatyverify.monitoring.seismic.relocate import MasterOrigin, relocate_sequence
        from treatyverify.monitoring.seismic.xcorr import differential_times

        detections = {name: detect(stream) for name, stream in self.streams.items()}
        name = self.master.name
        picks: dict[str, list[Pick]] = {}
        if given is not None:
            lat, lon, depth, t0 = given
            picks[name], _ = event_picks(
                detections[name],
                self.coordinates,
                table=self.table,
                hypocentre=(lat, lon, depth, t0),
                window_s=MASTER_PICK_TOLERANCE_S,
            )
            if len(picks[name]) < 4:
                raise InputError(
                    f"the master event is absent from the data: {len(picks[name])} P picks "
                    f"lie within {MASTER_PICK_TOLERANCE_S:g} s of the times predicted from "
                    "its origin (4 needed)",
                    where=f"--master {name}",
                )
            master = MasterOrigin(
                name, lat, ((lon + 180.0) % 360.0) - 180.0, depth, UTCDateTime(t0), origin_text
            )
        else:
            try:
                picks[name], located = event_picks(
                    detections[name], self.coordinates, table=self.table
                )
            except InputError as exc:
                raise InputError(
                    f"the master could not be located from the data: {exc.message}; give "
                    "--master-origin or --master-quakeml",
                    where=f"--master {name}",
                ) from None
            assert located is not None  # event_picks locates when no hypocentre is given
            location = located
            master = MasterOrigin(
                name,
                location.latitude_deg,
                location.longitude_deg,
                location.depth_km,
                location.origin_time,
                f"located from the data by the pipeline ({location.model}, "
                f"{location.n_picks} picks)",
                location,
            )
        for source in self.events:
            picks[source.name] = self._event_picks(source.name, detections[source.name])
        order = [name] + [s.name for s in self.events]
        wanted = (
            [(a, b) for i, a in enumerate(order) for b in order[i + 1 :]]
            if joint
            else [(name, b) for b in order[1:]]
        )
        differential = {
            (a, b): differential_times(
                self.streams[a], self.streams[b], picks[a], picks[b], min_cc=min_cc
            )
            for a, b in wanted
        }
        for b in order[1:]:
            n = len(differential[(name, b)])
            if n < 4 and not joint:
                raise InputError(
                    f"{n} stations correlate with the master at cc >= {min_cc:g} (4 needed)",
                    where=f"--event {b}",
                )
        catalogue = relocate_sequence(
            differential,
            master,
            order[1:],
            self.coordinates,
            joint=joint,
            sigma_s=sigma_s,
            table=self.table,
        )
        # each event's picks: at the stations correlated with the master, the master's
        # pick moved by the differential time (the arrival the solve used); elsewhere
        # the event's own pick
        master_at = {p.station: p for p in picks[name]}
        bulletin_picks: dict[str, list[Pick]] = {name: list(picks[name])}
        for b in order[1:]:
            derived = {
                d.station: Pick(
                    d.station,
                    master_at[d.station].phase,
                    master_at[d.station].epoch_s + d.dt_s,
                    sigma_s / d.cc,
                )
                for d in differential[(name, b)]
                if d.station in master_at
            }
            own = [derived.get(p.station, p) for p in picks[b]]
            own += [p for key, p in sorted(derived.items()) if key not in {q.station for q in own}]
            bulletin_picks[b] = own
        return _Result(catalogue, bulletin_picks, self.coordinates, self.warnings)

    def write(self, result: _Result, quakeml: Path | None, ims1: Path | None) -> list[Path]:
        from treatyverify.files import write_atomically
        from treatyverify.monitoring.seismic.bulletin import (
            quakeml_bytes,
            relative_catalog,
            relative_ims1_bulletin,
        )

        written = []
        if quakeml is not None:
            catalog = relative_catalog(result.catalogue, result.picks, result.coordinates)
            written.append(write_atomically(quakeml, quakeml_bytes(catalog)))
        if ims1 is not None:
            text = relative_ims1_bulletin(result.catalogue, result.picks, result.coordinates)
            written.append(write_atomically(ims1, text.encode("utf-8")))
        return written


@dataclass(frozen=True)
class _Result:
    """What a run found: the relative catalogue and the picks the bulletins write."""

    catalogue: RelativeCatalog
    picks: dict[str, list[Pick]]
    coordinates: dict[str, tuple[float, float]]
    warnings: list[str]


def _utc(epoch_s: float) -> str:
    from obspy import UTCDateTime

    if not math.isfinite(epoch_s):
        return "unknown"
    return str(UTCDateTime(epoch_s))[:22] + "Z"


def _report(result: _Result, written: list[Path], as_json: bool) -> None:
    catalogue = result.catalogue
    m = catalogue.master
    summary: dict[str, object] = {
        "master": {
            "name": m.name,
            "origin_time": None if m.origin_time is None else str(m.origin_time),
            "latitude_deg": round(m.latitude_deg, 4),
            "longitude_deg": round(m.longitude_deg, 4),
            "depth_km": m.depth_km,
            "source": m.source,
        },
        "method": catalogue.method,
        "model": catalogue.model,
        "sigma_s": catalogue.sigma_s,
        "events": [
            {
                "name": e.name,
                "north_km": round(e.location.north_km, 4),
                "east_km": round(e.location.east_km, 4),
                "distance_km": round(e.location.distance_km, 4),
                "origin_shift_s": round(e.location.origin_shift_s, 4),
                "origin_time": None if e.origin_time is None else str(e.origin_time),
                "latitude_deg": round(e.location.latitude_deg, 5),
                "longitude_deg": round(e.location.longitude_deg, 5),
                "ellipse_90": _ellipse(e.location.ellipse_90),
                "ellipse_1sigma": _ellipse(e.location.ellipse_1sigma),
                "stations": list(e.stations),
                "differential_times": e.n_differential,
                "rms_s": round(e.location.rms_s, 4),
                "variance_factor": _finite(e.location.variance_factor),
            }
            for e in catalogue.events
        ],
        "written": [str(p) for p in written],
        "warnings": result.warnings,
    }
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"master {m.name}: {m.latitude_deg:.4f} N {m.longitude_deg:.4f} E, {m.depth_km:g} km, "
        f"{m.origin_time} ({m.source})"
    )
    print_table(
        f"Relative catalogue ({catalogue.method}, {catalogue.model})",
        [
            "event",
            "north km",
            "east km",
            "distance km",
            "90 % ellipse km (az)",
            "origin time",
            "stations",
            "rms ms",
        ],
        [
            (
                e.name,
                f"{e.location.north_km:+.3f}",
                f"{e.location.east_km:+.3f}",
                f"{e.location.distance_km:.3f}",
                f"{e.location.ellipse_90.semi_major_km:.3f} x "
                f"{e.location.ellipse_90.semi_minor_km:.3f} "
                f"({e.location.ellipse_90.azimuth_deg:.0f} deg)",
                str(e.origin_time),
                len(e.stations),
                f"{e.location.rms_s * 1000:.1f}",
            )
            for e in catalogue.events
        ],
    )
    for path in written:
        console.print(f"wrote {path}")
    for warning in result.warnings:
        console.print(f"warning: {warning}")


def _ellipse(ellipse: ErrorEllipse) -> dict[str, float]:
    return {
        "semi_major_km": round(ellipse.semi_major_km, 4),
        "semi_minor_km": round(ellipse.semi_minor_km, 4),
        "azimuth_deg": round(ellipse.azimuth_deg, 1),
        "confidence": ellipse.confidence,
    }


def _finite(value: float) -> float | None:
    return round(value, 3) if math.isfinite(value) else None
