"""Bulletins of located events: QuakeML through ObsPy, and IMS1.0-style text.

QuakeML (:func:`to_catalog`, :func:`write_quakeml`) uses :mod:`obspy.core.event`: one
:class:`~obspy.core.event.Event` per located event with its
:class:`~obspy.core.event.Origin` (time, epicentre, depth with uncertainties, the 90 %
error ellipse as an :class:`~obspy.core.event.OriginUncertainty`, quality), one
:class:`~obspy.core.event.Pick` and :class:`~obspy.core.event.Arrival` per station (time
residual, distance, azimuth) and the network magnitudes.

IMS1.0 text (:func:`ims1_bulletin`) follows the BULLETIN data type, ``IMS1.0:short``
subformat, of the IDC "Formats and Protocols for Messages" (IDC 3.4.1): a
``DATA_TYPE BULLETIN IMS1.0:short`` line, then per event an ``EVENT`` title line, the
origin block (header line and one origin line: date, time, fixed flag, time error, rms,
latitude, longitude, fixed flag, semi-major and semi-minor axes of the 90 % ellipse,
azimuth of the major axis, depth, fixed flag, depth error, ndef, nsta, gap, minimum and
maximum distance, analysis type, location method, event type, author, origin id), the
magnitude block, and the phase block (station, distance, event-to-station azimuth, phase,
arrival time, time residual, ..., the three defining flags in columns 74-76, ..., arrival
id). Free-text comment lines are written in parentheses starting in column 2. The column
positions below are those of that document as far as they could be checked here, which
was from secondary descriptions (the ISC's description of IMS1.0 returns and the IASPEI
Seismic Format, which extends IMS1.0), not from the IDC document itself: treat the text
as "IMS1.0-style". ObsPy's IMS1.0 bulletin reader (:mod:`obspy.io.iaspei`, format
``IMS10BULLETIN``), whose comments give the same column positions, reads the text back
(tests/monitoring/test_seismic_relocate_cli.py). Columns the pipeline does not measure
(station azimuth and slowness, amplitudes) are left blank.

Location-defining picks. Both writers take ``defining``: the picks (or station keys) the
location used. Only those are flagged defining: in QuakeML the arrival's ``timeWeight``
is 1 for a defining pick and 0 for one that is associated but was not used (QuakeML 1.2,
``Arrival.timeWeight``: "weight of the arrival time for computation of the associated
Origin"), and ``OriginQuality.usedPhaseCount``/``usedStationCount`` count the defining
ones; in IMS1.0 the time-defining flag (column 74) is ``T`` for a defining phase and
``_`` otherwise, and the origin's Ndef and Nsta (columns 84-87 and 89-92: number of
defining phases and of defining stations) count them. Without ``defining`` every pick is
flagged defining, as before this option existed; :func:`defining_picks` gives the picks a
:class:`~.locate.Location` used.

Relative catalogues (:func:`relative_catalog`, :func:`relative_ims1_bulletin`) write the
master event and every event located relative to it (:mod:`.relocate`). A relative event
is an origin like any other (its epicentre is the master's plus the offset, its origin
time the master's plus the shift), but its uncertainties, covariance and ellipse are
those of the offset from the master, not of an absolute position; a comment on the origin
(QuakeML) or a comment line (IMS1.0) says so and names the master's origin. A master whose
hypocentre was given (a catalogue's) is written with its time, epicentre and depth fixed
(QuakeML ``timeFixed``/``epicenterFixed``, IMS1.0 fixed flags in columns 23, 55 and 77)
and none of its picks defining.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from obspy import UTCDateTime
from obspy.core.event import (
    Arrival,
    Catalog,
    Comment,
    CreationInfo,
    Event,
    EventDescription,
    Magnitude,
    Origin,
    OriginQuality,
    OriginUncertainty,
    Pick,
    QuantityError,
    ResourceIdentifier,
    WaveformStreamID,
)

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.locate import KM_PER_DEG, P_PHASES, ErrorEllipse, Location
from treatyverify.monitoring.seismic.locate import Pick as LocPick
from treatyverify.monitoring.seismic.magnitude import NetworkMagnitude
from treatyverify.monitoring.seismic.relocate import MasterOrigin, RelativeCatalog, RelativeEvent

__all__ = [
    "defining_picks",
    "ims1_bulletin",
    "quakeml_bytes",
    "relative_catalog",
    "relative_ims1_bulletin",
    "to_catalog",
    "write_quakeml",
]

_PREFIX = "smi:treatyverify"


def _dist_az(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    """Great-circle distance (degrees) and azimuth (degrees, 0-360) from 1 to 2."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    hav = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    dist = 2.0 * math.asin(math.sqrt(min(1.0, max(0.0, hav))))
    az = math.atan2(
        math.sin(dl) * math.cos(p2),
        math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl),
    )
    return math.degrees(dist), math.degrees(az) % 360.0


def _gap_deg(azimuths: Sequence[float]) -> float:
    if not azimuths:
        return 360.0
    a = sorted(azimuths)
    gaps = [b - x for x, b in itertools.pairwise(a)] + [a[0] + 360.0 - a[-1]]
    return max(gaps)


def _sigma(cov: np.ndarray, k: int) -> float | None:
    v = float(cov[k, k])
    return math.sqrt(v) if v > 0.0 and math.isfinite(v) else None


def _geometry(
    location: Location, picks: Sequence[LocPick], stations: Mapping[str, tuple[float, float]]
) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for p in picks:
        coords = stations.get(p.station)
        if coords is None:
            raise InputError("no coordinates for this station", where=p.station)
        out[p.station] = _dist_az(
            location.latitude_deg, location.longitude_deg, float(coords[0]), float(coords[1])
        )
    return out


Defining = Iterable[LocPick | str] | None
"""Location-defining picks: the picks themselves or their station keys; ``None``: all."""


def _defining_flags(picks: Sequence[LocPick], defining: Defining) -> list[bool]:
    """For each pick, whether it is location-defining."""
    if defining is None:
        return [True] * len(picks)
    chosen = list(defining)
    keys = {d for d in chosen if isinstance(d, str)}
    objects = [d for d in chosen if not isinstance(d, str)]
    known = {p.station for p in picks}
    for key in keys - known:
        raise InputError("a defining station has no pick in the bulletin", where=key)
    for obj in objects:
        if not any(obj == p for p in picks):
            raise InputError("a defining pick is not among the picks", where=obj.station)
    return [p.station in keys or any(p == d for d in objects) for p in picks]


def defining_picks(location: Location, picks: Sequence[LocPick]) -> list[LocPick]:
    """The picks a location used: one first-arriving P-type pick per station that has a
    residual in ``location`` (the earliest, when a station has several).

    Parameters
    ----------
    location
        The location (its ``residuals_s`` name the stations it used).
    picks
        The picks associated with the event, used or not.
    """
    earliest: dict[str, LocPick] = {}
    for p in picks:
        if p.station not in location.residuals_s or p.phase not in P_PHASES:
            continue
        held = earliest.get(p.station)
        if held is None or p.epoch_s < held.epoch_s:
            earliest[p.station] = p
    return [p for p in picks if earliest.get(p.station) is p]


def _quakeml_event(
    location: Location,
    picks: Sequence[LocPick],
    stations: Mapping[str, tuple[float, float]],
    *,
    defining: Defining,
    magnitudes: Sequence[NetworkMagnitude],
    info: CreationInfo,
    event_id: str,
    method: str = "grid-search-geiger",
    fixed: bool = False,
    comments: Sequence[str] = (),
    name: str | None = None,
) -> Event:
    geometry = _geometry(location, picks, stations)
    flags = _defining_flags(picks, defining)
    cov = location.covariance
    origin = Origin(
        resource_id=ResourceIdentifier(f"{_PREFIX}/origin/{event_id}"),
        time=location.origin_time,
        latitude=location.latitude_deg,
        longitude=location.longitude_deg,
        depth=location.depth_km * 1000.0,
        depth_type="operator assigned" if location.depth_fixed or fixed else "from location",
        time_fixed=fixed,
        epicenter_fixed=fixed,
        method_id=ResourceIdentifier(f"{_PREFIX}/method/{method}"),
        earth_model_id=ResourceIdentifier(f"{_PREFIX}/earth-model/{location.model}"),
        creation_info=info,
    )
    if not fixed:
        t_sigma, n_sigma, e_sigma, z_sigma = (_sigma(cov, k) for k in range(4))
        origin.time_errors = QuantityError(uncertainty=t_sigma)
        if n_sigma is not None:
            origin.latitude_errors = QuantityError(uncertainty=n_sigma / KM_PER_DEG)
        if e_sigma is not None:
            coslat = max(math.cos(math.radians(location.latitude_deg)), 1e-6)
            origin.longitude_errors = QuantityError(uncertainty=e_sigma / (KM_PER_DEG * coslat))
        if z_sigma is not None and not location.depth_fixed:
            origin.depth_errors = QuantityError(uncertainty=z_sigma * 1000.0)
        ell = location.ellipse
        origin.origin_uncertainty = OriginUncertainty(
            max_horizontal_uncertainty=ell.semi_major_km * 1000.0,
            min_horizontal_uncertainty=ell.semi_minor_km * 1000.0,
            azimuth_max_horizontal_uncertainty=ell.azimuth_deg,
            confidence_level=ell.confidence * 100.0,
            preferred_description="uncertainty ellipse",
        )
    for text in comments:
        origin.comments.append(Comment(text=text))
    event = Event(resource_id=ResourceIdentifier(f"{_PREFIX}/event/{event_id}"), creation_info=info)
    if name is not None:
        event.event_descriptions.append(EventDescription(text=name))
    for k, (p, used) in enumerate(zip(picks, flags, strict=True)):
        net, _, sta = p.station.partition(".")
        pick = Pick(
            resource_id=ResourceIdentifier(f"{_PREFIX}/pick/{event_id}/{k + 1}"),
            time=UTCDateTime(p.epoch_s),
            time_errors=QuantityError(uncertainty=p.sigma_s),
            waveform_id=WaveformStreamID(network_code=net, station_code=sta),
            phase_hint=p.phase,
            evaluation_mode="automatic",
        )
        event.picks.append(pick)
        dist, az = geometry[p.station]
        origin.arrivals.append(
            Arrival(
                resource_id=ResourceIdentifier(f"{_PREFIX}/arrival/{event_id}/{k + 1}"),
                pick_id=pick.resource_id,
                phase=p.phase,
                time_residual=location.residuals_s.get(p.station),
                time_weight=1.0 if used else 0.0,
                distance=dist,
                azimuth=az,
            )
        )
    used_picks = [p for p, used in zip(picks, flags, strict=True) if used]
    azimuths = [geometry[p.station][1] for p in used_picks]
    dists = [geometry[p.station][0] for p in used_picks]
    origin.quality = OriginQuality(
        associated_phase_count=len(picks),
        used_phase_count=location.n_picks if defining is None else len(used_picks),
        associated_station_count=len({p.station for p in picks}),
        used_station_count=len({p.station for p in used_picks}),
        standard_error=location.rms_s if math.isfinite(location.rms_s) else None,
        azimuthal_gap=_gap_deg(azimuths) if azimuths else None,
        minimum_distance=min(dists) if dists else None,
        maximum_distance=max(dists) if dists else None,
    )
    event.origins.append(origin)
    event.preferred_origin_id = origin.resource_id
    for m in magnitudes:
        if m.value is None:
            continue
        stderr = m.stderr if m.stderr is not None and math.isfinite(m.stderr) else None
        mag = Magnitude(
            resource_id=ResourceIdentifier(f"{_PREFIX}/magnitude/{event_id}/{m.kind}"),
            mag=m.value,
            mag_errors=QuantityError(uncertainty=stderr),
            magnitude_type=m.kind,
            origin_id=origin.resource_id,
            station_count=m.n_stations,
            method_id=ResourceIdentifier(f"{_PREFIX}/method/{m.method}"),
        )
        event.magnitudes.append(mag)
    if event.magnitudes:
        event.preferred_magnitude_id = event.magnitudes[0].resource_id
    return event


def to_catalog(
    location: Location,
    picks: Sequence[LocPick],
    stations: Mapping[str, tuple[float, float]],
    *,
    magnitudes: Sequence[NetworkMagnitude] = (),
    agency: str = "TV",
    event_id: str = "1",
    defining: Defining = None,
) -> Catalog:
    """A one-event ObsPy catalogue of a located event.

    Parameters
    ----------
    location
        The location (origin, covariance, ellipse, residuals).
    picks
        The picks associated with the event (``station`` keys ``NET.STA``), used by the
        location or not.
    stations
        Station key to (latitude, longitude), degrees.
    magnitudes
        Network magnitudes; those not computed are left out.
    agency
        Agency id written in creation info.
    event_id
        Identifier used in the resource ids.
    defining
        The picks (or station keys) the location used, for example
        :func:`defining_picks`; only their arrivals get ``time_weight`` 1, the others 0.
        ``None``: every pick is defining.
    """
    info = CreationInfo(agency_id=agency, creation_time=UTCDateTime())
    event = _quakeml_event(
        location,
        picks,
        stations,
        defining=defining,
        magnitudes=magnitudes,
        info=info,
        event_id=event_id,
    )
    return Catalog(events=[event], creation_info=info)


def quakeml_bytes(catalog: Catalog) -> bytes:
    """A catalogue as QuakeML 1.2 (UTF-8), for writing atomically."""
    buffer = io.BytesIO()
    catalog.write(buffer, format="QUAKEML")
    return buffer.getvalue()


def write_quakeml(path: str | Path, catalog: Catalog) -> Path:
    """Write a catalogue as QuakeML 1.2 and return the path."""
    out = Path(path)
    catalog.write(str(out), format="QUAKEML")
    return out


def _master_location(master: MasterOrigin, model: str) -> tuple[Location, bool]:
    """The master as a :class:`Location`, and whether its hypocentre was given (fixed)."""
    if master.location is not None:
        return master.location, False
    if master.origin_time is None:
        raise InputError(
            "a bulletin needs the master's origin time; give it with the hypocentre",
            where=master.name,
        )
    return (
        Location(
            origin_time=master.origin_time,
            latitude_deg=master.latitude_deg,
            longitude_deg=master.longitude_deg,
            depth_km=master.depth_km,
            depth_fixed=True,
            covariance=np.zeros((4, 4)),
            ellipse=ErrorEllipse(0.0, 0.0, 0.0),
            residuals_s={},
            rms_s=math.nan,
            variance_factor=math.nan,
            covariance_scale=1.0,
            iterations=0,
            model=model,
        ),
        True,
    )


def _relative_location(master: MasterOrigin, event: RelativeEvent, model: str) -> Location:
    """A relative event as a :class:`Location` whose uncertainties are those of the offset."""
    if event.origin_time is None:
        raise InputError(
            "a bulletin needs the master's origin time; give it with the hypocentre",
            where=master.name,
        )
    rel = event.location
    cov = np.zeros((4, 4))
    cov[:3, :3] = rel.covariance
    factor = rel.variance_factor
    return Location(
        origin_time=event.origin_time,
        latitude_deg=rel.latitude_deg,
        longitude_deg=rel.longitude_deg,
        depth_km=master.depth_km,
        depth_fixed=True,
        covariance=cov,
        ellipse=rel.ellipse_90,
        residuals_s={k: v for k, v in rel.residuals_s.items() if " " not in k},
        rms_s=rel.rms_s,
        variance_factor=factor,
        covariance_scale=max(factor, 1.0) if math.isfinite(factor) else 1.0,
        iterations=rel.iterations,
        model=model,
    )


def _relative_note(catalogue: RelativeCatalog, event: RelativeEvent, master_ref: str) -> str:
    rel = event.location
    how = (
        "against the master alone"
        if catalogue.method == "master"
        else "jointly from all event pairs, master fixed"
    )
    return (
        f"relative location ({how}): {rel.north_km:.3f} km north and {rel.east_km:.3f} km "
        f"east of the master origin {master_ref}, origin time {rel.origin_shift_s:+.3f} s "
        f"from the master's; the uncertainties, covariance and ellipse are those of the "
        f"offset from the master, not of an absolute position; {event.n_differential} "
        f"differential P times by waveform cross-correlation at {len(event.stations)} "
        f"stations, Earth model {catalogue.model}, depth held at the master's"
    )


def _master_note(master: MasterOrigin, fixed: bool) -> str:
    held = "given, held fixed" if fixed else "located from the data"
    return f"master event {master.name} of a relative catalogue; hypocentre {held}: {master.source}"


def relative_catalog(
    catalogue: RelativeCatalog,
    picks: Mapping[str, Sequence[LocPick]],
    stations: Mapping[str, tuple[float, float]],
    *,
    agency: str = "TV",
    first_id: int = 1,
) -> Catalog:
    """An ObsPy catalogue of a relative catalogue: the master, then each relative event.

    Parameters
    ----------
    catalogue
        The relative catalogue (:func:`.relocate.relocate_sequence`); the master's origin
        time must be known.
    picks
        Picks per event name (the master's and each event's), written as picks and
        arrivals. Defining: for the master, the picks its location used
        (:func:`defining_picks`), none when its hypocentre was given; for a relative
        event, the picks at the stations whose differential times entered its solve.
    stations
        Station key to (latitude, longitude), degrees.
    agency
        Agency id written in creation info.
    first_id
        Identifier of the master's event and origin; the events follow in order.
    """
    info = CreationInfo(agency_id=agency, creation_time=UTCDateTime())
    master = catalogue.master
    location, fixed = _master_location(master, catalogue.model)
    master_picks = list(picks.get(master.name, ()))
    events = [
        _quakeml_event(
            location,
            master_picks,
            stations,
            defining=[] if fixed else defining_picks(location, master_picks),
            magnitudes=(),
            info=info,
            event_id=str(first_id),
            method="given" if fixed else "grid-search-geiger",
            fixed=fixed,
            comments=[_master_note(master, fixed)],
            name=master.name,
        )
    ]
    master_ref = f"{_PREFIX}/origin/{first_id}"
    for k, event in enumerate(catalogue.events, start=first_id + 1):
        own = list(picks.get(event.name, ()))
        used = set(event.stations)
        events.append(
            _quakeml_event(
                _relative_location(master, event, catalogue.model),
                own,
                stations,
                defining=[p.station for p in own if p.station in used],
                magnitudes=(),
                info=info,
                event_id=str(k),
                method=f"relative-xcorr-{catalogue.method}",
                comments=[_relative_note(catalogue, event, master_ref)],
                name=event.name,
            )
        )
    return Catalog(events=events, creation_info=info)


def _f(value: float | None, width: int, decimals: int) -> str:
    if value is None or not math.isfinite(value):
        return " " * width
    text = f"{value:{width}.{decimals}f}"
    return text if len(text) <= width else "*" * width


def _i(value: int | None, width: int) -> str:
    return " " * width if value is None else f"{value:{width}d}"[-width:]


def _place(*fields: tuple[int, str]) -> str:
    """A fixed-column line: each text starts at its 1-based column."""
    line = ""
    for col, text in fields:
        if len(line) > col - 1:
            raise ValueError(f"field at column {col} overlaps the one before")
        line = line.ljust(col - 1) + text
    return line.rstrip()


def _comment(text: str) -> str:
    """An IMS1.0 comment line: free text in parentheses from column 2, one line."""
    flat = " ".join(text.replace("(", "[").replace(")", "]").split())
    return f" ({flat})"


_ORIGIN_HEADER = (
    "   Date       Time        Err   RMS Latitude Longitude  Smaj  Smin  Az Depth   Err "
    "Ndef Nsta Gap  mdist  Mdist Qual   Author      OrigID"
)
_MAG_HEADER = "Magnitude  Err Nsta Author      OrigID"
_PHASE_HEADER = (
    "Sta     Dist  EvAz Phase        Time      TRes  Azim AzRes   Slow   SRes Def   SNR"
    "       Amp   Per Qual Magnitude    ArrID"
)


def _ims1_event(
    location: Location,
    picks: Sequence[LocPick],
    stations: Mapping[str, tuple[float, float]],
    *,
    defining: Defining,
    magnitudes: Sequence[NetworkMagnitude],
    author: str,
    event_id: int,
    region: str,
    fixed: bool = False,
    method_code: str = "i",
    comments: Sequence[str] = (),
    first_arrival_id: int = 1,
) -> list[str]:
    """The lines of one event: EVENT title, origin, comments, magnitudes, phases."""
    geometry = _geometry(location, picks, stations)
    flags = _defining_flags(picks, defining)
    used_picks = [p for p, used in zip(picks, flags, strict=True) if used]
    cov = location.covariance
    t = location.origin_time
    ell = location.ellipse
    dists = [geometry[p.station][0] for p in used_picks]
    azimuths = [geometry[p.station][1] for p in used_picks]
    z_sigma = None if location.depth_fixed or fixed else _sigma(cov, 3)
    origin = _place(
        (1, f"{t.year:04d}/{t.month:02d}/{t.day:02d}"),
        (12, f"{t.hour:02d}:{t.minute:02d}:{t.second + t.microsecond / 1e6:05.2f}"),
        (23, "f" if fixed else " "),
        (25, _f(None if fixed else _sigma(cov, 0), 5, 2)),
        (31, _f(location.rms_s, 5, 2)),
        (37, _f(location.latitude_deg, 8, 4)),
        (46, _f(location.longitude_deg, 9, 4)),
        (55, "f" if fixed else " "),
        (56, _f(None if fixed else ell.semi_major_km, 5, 1)),
        (62, _f(None if fixed else ell.semi_minor_km, 5, 1)),
        (68, " " * 3 if fixed else _i(round(ell.azimuth_deg) % 180, 3)),
        (72, _f(location.depth_km, 5, 1)),
        (77, "f" if location.depth_fixed or fixed else " "),
        (79, _f(z_sigma, 4, 1)),
        (84, _i(location.n_picks if defining is None else len(used_picks), 4)),
        (89, _i(len({p.station for p in used_picks}), 4)),
        (94, _i(round(_gap_deg(azimuths)), 3) if azimuths else "   "),
        (98, _f(min(dists) if dists else None, 6, 2)),
        (105, _f(max(dists) if dists else None, 6, 2)),
        (112, "a"),  # analysis type: automatic
        (114, method_code),  # location method: i inversion, o other
        (116, "uk"),  # event type: unknown (no claim about the source)
        (119, f"{author[:9]:<9s}"),
        (129, f"{event_id:>8d}"),
    )
    lines = [
        f"EVENT {event_id:>8d} {region}".rstrip(),
        _ORIGIN_HEADER,
        origin,
        *(_comment(text) for text in comments),
    ]
    computed = [m for m in magnitudes if m.value is not None]
    if computed:
        lines += ["", _MAG_HEADER]
        for m in computed:
            err = m.stderr if m.stderr is not None and math.isfinite(m.stderr) else None
            lines.append(
                f"{m.kind:<5s} {_f(m.value, 4, 1)} {_f(err, 3, 1)} {_i(m.n_stations, 4)} "
                f"{author[:9]:<9s} {event_id:>8d}"
            )
    lines += ["", _PHASE_HEADER]
    order = sorted(range(len(picks)), key=lambda k: geometry[picks[k].station][0])
    for n, k in enumerate(order, start=first_arrival_id):
        p = picks[k]
        dist, az = geometry[p.station]
        at = UTCDateTime(p.epoch_s)
        sta = p.station.partition(".")[2] or p.station
        res = location.residuals_s.get(p.station)
        lines.append(
            _place(
                (1, f"{sta[:5]:<5s}"),
                (7, _f(dist, 6, 2)),
                (14, _f(az, 5, 1)),
                (20, f"{p.phase[:8]:<8s}"),
                (29, f"{at.hour:02d}:{at.minute:02d}:{at.second + at.microsecond / 1e6:06.3f}"),
                (42, _f(res, 5, 1)),
                # defining flags for time, azimuth, slowness: only time is ever used
                (74, "T__" if flags[k] else "___"),
                (100, "a__"),  # automatic pick
                (115, f"{n:>8d}"),
            )
        )
    return lines


def ims1_bulletin(
    location: Location,
    picks: Sequence[LocPick],
    stations: Mapping[str, tuple[float, float]],
    *,
    magnitudes: Sequence[NetworkMagnitude] = (),
    author: str = "TV",
    event_id: int = 1,
    region: str = "",
    title: str = "treatyverify bulletin",
    defining: Defining = None,
) -> str:
    """IMS1.0-style (``IMS1.0:short``) bulletin text of one located event.

    Parameters
    ----------
    location, picks, stations, magnitudes
        As for :func:`to_catalog`.
    author
        Author (agency) code, at most 9 characters.
    event_id
        Event and origin identifier (at most 8 digits).
    region
        Region name for the ``EVENT`` line.
    title
        Bulletin title line.
    defining
        The picks (or station keys) the location used, for example
        :func:`defining_picks`; only they get the time-defining flag ``T`` (column 74)
        and count in Ndef and Nsta. ``None``: every pick is defining.
    """
    lines = ["DATA_TYPE BULLETIN IMS1.0:short", title]
    lines += _ims1_event(
        location,
        picks,
        stations,
        defining=defining,
        magnitudes=magnitudes,
        author=author,
        event_id=event_id,
        region=region,
    )
    return "\n".join(lines) + "\n"


def relative_ims1_bulletin(
    catalogue: RelativeCatalog,
    picks: Mapping[str, Sequence[LocPick]],
    stations: Mapping[str, tuple[float, float]],
    *,
    author: str = "TV",
    first_id: int = 1,
    region: str = "",
    title: str = "treatyverify relative catalogue",
) -> str:
    """IMS1.0-style (``IMS1.0:short``) bulletin of a relative catalogue.

    The master comes first (event and origin id ``first_id``), then each relative event
    with a comment line after its origin line naming the master and saying that its
    uncertainties are those of the offset. Picks and defining flags as for
    :func:`relative_catalog`.

    Parameters
    ----------
    catalogue, picks, stations
        As for :func:`relative_catalog`.
    author
        Author (agency) code, at most 9 characters.
    first_id
        Event and origin identifier of the master; the events follow in order.
    region
        Region name for the ``EVENT`` lines.
    title
        Bulletin title line.
    """
    master = catalogue.master
    location, fixed = _master_location(master, catalogue.model)
    master_picks = list(picks.get(master.name, ()))
    lines = ["DATA_TYPE BULLETIN IMS1.0:short", title]
    lines += _ims1_event(
        location,
        master_picks,
        stations,
        defining=[] if fixed else defining_picks(location, master_picks),
        magnitudes=(),
        author=author,
        event_id=first_id,
        region=region,
        fixed=fixed,
        method_code="o" if fixed else "i",
        comments=[_master_note(master, fixed)],
    )
    arrival = len(master_picks) + 1
    for k, event in enumerate(catalogue.events, start=first_id + 1):
        own = list(picks.get(event.name, ()))
        used = set(event.stations)
        lines.append("")
        lines += _ims1_event(
            _relative_location(master, event, catalogue.model),
            own,
            stations,
            defining=[p.station for p in own if p.station in used],
            magnitudes=(),
            author=author,
            event_id=k,
            region=region,
            comments=[
                f"{event.name}: " + _relative_note(catalogue, event, f"{first_id}"),
            ],
            first_arrival_id=arrival,
        )
        arrival += len(own)
    return "\n".join(lines) + "\n"
