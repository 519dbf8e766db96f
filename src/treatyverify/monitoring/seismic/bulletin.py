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
arrival time, time residual, ..., arrival id). The column positions below are those of
that document as far as they could be checked here, which was from secondary
descriptions (the ISC's description of IMS1.0 returns and the IASPEI Seismic Format,
which extends IMS1.0), not from the IDC document itself: treat the text as
"IMS1.0-style". Columns the pipeline does not measure (station azimuth and slowness,
amplitudes) are left blank.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from obspy import UTCDateTime
from obspy.core.event import (
    Arrival,
    Catalog,
    CreationInfo,
    Event,
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
from treatyverify.monitoring.seismic.locate import KM_PER_DEG, Location
from treatyverify.monitoring.seismic.locate import Pick as LocPick
from treatyverify.monitoring.seismic.magnitude import NetworkMagnitude

__all__ = ["ims1_bulletin", "to_catalog", "write_quakeml"]

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


def to_catalog(
    location: Location,
    picks: Sequence[LocPick],
    stations: Mapping[str, tuple[float, float]],
    *,
    magnitudes: Sequence[NetworkMagnitude] = (),
    agency: str = "TV",
    event_id: str = "1",
) -> Catalog:
    """A one-event ObsPy catalogue of a located event.

    Parameters
    ----------
    location
        The location (origin, covariance, ellipse, residuals).
    picks
        The picks used (``station`` keys ``NET.STA``).
    stations
        Station key to (latitude, longitude), degrees.
    magnitudes
        Network magnitudes; those not computed are left out.
    agency
        Agency id written in creation info.
    event_id
        Identifier used in the resource ids.
    """
    geometry = _geometry(location, picks, stations)
    info = CreationInfo(agency_id=agency, creation_time=UTCDateTime())
    cov = location.covariance
    origin = Origin(
        resource_id=ResourceIdentifier(f"{_PREFIX}/origin/{event_id}"),
        time=location.origin_time,
        latitude=location.latitude_deg,
        longitude=location.longitude_deg,
        depth=location.depth_km * 1000.0,
        depth_type="operator assigned" if location.depth_fixed else "from location",
        time_fixed=False,
        epicenter_fixed=False,
        method_id=ResourceIdentifier(f"{_PREFIX}/method/grid-search-geiger"),
        earth_model_id=ResourceIdentifier(f"{_PREFIX}/earth-model/{location.model}"),
        creation_info=info,
    )
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
    event = Event(resource_id=ResourceIdentifier(f"{_PREFIX}/event/{event_id}"), creation_info=info)
    for k, p in enumerate(picks):
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
                distance=dist,
                azimuth=az,
            )
        )
    azimuths = [geometry[p.station][1] for p in picks]
    dists = [geometry[p.station][0] for p in picks]
    origin.quality = OriginQuality(
        associated_phase_count=len(picks),
        used_phase_count=location.n_picks,
        used_station_count=len({p.station for p in picks}),
        standard_error=location.rms_s,
        azimuthal_gap=_gap_deg(azimuths),
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
    return Catalog(events=[event], creation_info=info)


def write_quakeml(path: str | Path, catalog: Catalog) -> Path:
    """Write a catalogue as QuakeML 1.2 and return the path."""
    out = Path(path)
    catalog.write(str(out), format="QUAKEML")
    return out


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


_ORIGIN_HEADER = (
    "   Date       Time        Err   RMS Latitude Longitude  Smaj  Smin  Az Depth   Err "
    "Ndef Nsta Gap  mdist  Mdist Qual   Author      OrigID"
)
_MAG_HEADER = "Magnitude  Err Nsta Author      OrigID"
_PHASE_HEADER = (
    "Sta     Dist  EvAz Phase        Time      TRes  Azim AzRes   Slow   SRes Def   SNR"
    "       Amp   Per Qual Magnitude    ArrID"
)


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
    """
    geometry = _geometry(location, picks, stations)
    cov = location.covariance
    t = location.origin_time
    ell = location.ellipse
    dists = [geometry[p.station][0] for p in picks]
    z_sigma = None if location.depth_fixed else _sigma(cov, 3)
    gap = _gap_deg([geometry[p.station][1] for p in picks])
    origin = _place(
        (1, f"{t.year:04d}/{t.month:02d}/{t.day:02d}"),
        (12, f"{t.hour:02d}:{t.minute:02d}:{t.second + t.microsecond / 1e6:05.2f}"),
        (25, _f(_sigma(cov, 0), 5, 2)),
        (31, _f(location.rms_s, 5, 2)),
        (37, _f(location.latitude_deg, 8, 4)),
        (46, _f(location.longitude_deg, 9, 4)),
        (56, _f(ell.semi_major_km, 5, 1)),
        (62, _f(ell.semi_minor_km, 5, 1)),
        (68, _i(round(ell.azimuth_deg) % 180, 3)),
        (72, _f(location.depth_km, 5, 1)),
        (77, "f" if location.depth_fixed else " "),
        (79, _f(z_sigma, 4, 1)),
        (84, _i(location.n_picks, 4)),
        (89, _i(len({p.station for p in picks}), 4)),
        (94, _i(round(gap), 3)),
        (98, _f(min(dists) if dists else None, 6, 2)),
        (105, _f(max(dists) if dists else None, 6, 2)),
        (112, "a"),  # analysis type: automatic
        (114, "i"),  # location method: inversion
        (116, "uk"),  # event type: unknown (no claim about the source)
        (119, f"{author[:9]:<9s}"),
        (129, f"{event_id:>8d}"),
    )
    lines = [
        "DATA_TYPE BULLETIN IMS1.0:short",
        title,
        f"EVENT {event_id:>8d} {region}".rstrip(),
        _ORIGIN_HEADER,
        origin,
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
    for n, k in enumerate(order, start=1):
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
                (74, "T__"),  # used in location for time, not azimuth or slowness
                (100, "a__"),  # automatic pick
                (115, f"{n:>8d}"),
            )
        )
    return "\n".join(lines) + "\n"
