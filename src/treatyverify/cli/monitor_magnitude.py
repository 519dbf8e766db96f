"""``treatyverify monitor magnitude``: event magnitudes, and magnitudes relative to a master.

The command says first which magnitude types the data allow and why the others are not
valid (no response, distance or depth outside a type's range, no long-period data, no
sourced mb distance-depth table), then prints the network magnitudes it could compute
and, with ``--relative-to``, the magnitude of the event relative to a master event from
amplitude ratios at common stations (which needs no instrument response). The science is
in :mod:`treatyverify.monitoring.seismic.magnitude` and ``.response``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from treatyverify.cli.common import JsonOption, console, emit_json, print_table
from treatyverify.errors import InputError

__all__ = ["magnitude_command"]

_SUFFIXES = {".mseed", ".miniseed", ".msd", ".sac", ".gse", ".gse2", ".w", ".wfdisc"}


def _files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise InputError("no such file or directory", where=str(source))
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in _SUFFIXES)
    if not files:
        raise InputError("no waveform files in the directory", where=str(source))
    return files


def _origin(
    label: str,
    quakeml: Path | None,
    time: str | None,
    latitude: float | None,
    longitude: float | None,
    depth_km: float | None,
) -> Any:
    """An :class:`EventOrigin` from a QuakeML file or from the four options."""
    import obspy

    from treatyverify.monitoring.seismic.magnitude import EventOrigin

    given = [v is not None for v in (time, latitude, longitude)]
    if quakeml is not None:
        if any(given):
            raise InputError(f"give the {label} origin as QuakeML or as options, not both")
        if not quakeml.is_file():
            raise InputError("QuakeML file not found", where=str(quakeml))
        try:
            catalog = obspy.read_events(str(quakeml))
        except Exception as exc:  # ObsPy raises many types for malformed XML
            raise InputError(
                f"cannot read QuakeML ({type(exc).__name__})", where=str(quakeml)
            ) from None
        origins = [
            ev.preferred_origin() or (ev.origins[0] if ev.origins else None) for ev in catalog
        ]
        found = [o for o in origins if o is not None]
        if len(found) != 1:
            raise InputError(
                f"holds {len(found)} origins; give a file with one", where=str(quakeml)
            )
        o = found[0]
        if o.latitude is None or o.longitude is None or o.time is None:
            raise InputError("origin lacks time, latitude or longitude", where=str(quakeml))
        depth = 0.0 if o.depth is None else float(o.depth) / 1000.0  # QuakeML depth in m
        return EventOrigin(o.time, float(o.latitude), float(o.longitude), depth)
    if not all(given):
        raise InputError(
            f"give the {label} origin: --{label}-quakeml, or time, latitude and longitude"
            if label == "master"
            else "give the origin: --quakeml, or --origin-time, --latitude and --longitude"
        )
    try:
        when = obspy.UTCDateTime(time)
    except (TypeError, ValueError):
        raise InputError(f"not a UTC time: {time!r}", where=f"{label} origin time") from None
    return EventOrigin(
        when, float(latitude or 0.0), float(longitude or 0.0), float(depth_km or 0.0)
    )


def _stations_and_inventory(stations: Path, inventory: Path | None) -> tuple[dict[str, Any], Any]:
    """Coordinates from ``stations``; the response inventory from ``inventory``, or from
    ``stations`` when it is StationXML holding responses."""
    from treatyverify.monitoring.seismic.ingest import read_stations
    from treatyverify.monitoring.seismic.response import read_inventory

    known = read_stations(stations)
    coords = {key: (s.latitude, s.longitude) for key, s in known.items()}
    if inventory is not None:
        return coords, read_inventory(inventory)
    text = stations.read_text(encoding="utf-8-sig", errors="replace").lstrip()
    if text.startswith("<"):
        inv = read_inventory(stations)
        has = [
            c.response is not None and bool(c.response.response_stages)
            for n in inv
            for s in n
            for c in s
        ]
        if any(has):  # with some channels lacking one, each channel used is checked
            return coords, inv
    return coords, None


@contextlib.contextmanager
def _quiet_ingest() -> Iterator[None]:
    """Keep the ingest checks' log lines off the terminal: the command reports them
    itself, after the results, so that an error stays one line."""
    log = logging.getLogger("treatyverify.monitoring.seismic.ingest")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _read(source: Path, warnings: list[str]) -> Any:
    from treatyverify.monitoring.seismic.ingest import ingest

    with _quiet_ingest():
        result = ingest(_files(source), None)
    warnings.extend(f"{w.trace_id}: {w.problem}" for w in result.warnings)
    return result.stream


def _round(value: float | None, digits: int = 3) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def magnitude_command(
    waveforms: Path = typer.Argument(..., help="A waveform file or a directory of them."),
    stations: Path = typer.Option(
        ..., "--stations", "-s", help="Station coordinates: CSV or StationXML."
    ),
    inventory: Path | None = typer.Option(
        None, "--inventory", help="StationXML with instrument responses (every channel used)."
    ),
    quakeml: Path | None = typer.Option(None, "--quakeml", help="QuakeML with the origin."),
    origin_time: str | None = typer.Option(None, "--origin-time", help="Origin time (UTC)."),
    latitude: float | None = typer.Option(None, "--latitude", help="Epicentre latitude, deg."),
    longitude: float | None = typer.Option(None, "--longitude", help="Epicentre longitude, deg."),
    depth_km: float | None = typer.Option(None, "--depth", help="Source depth, km (default 0)."),
    relative_to: Path | None = typer.Option(
        None, "--relative-to", help="Waveforms of a master event recorded at the same stations."
    ),
    master_quakeml: Path | None = typer.Option(
        None, "--master-quakeml", help="QuakeML with the master's origin."
    ),
    master_time: str | None = typer.Option(None, "--master-time", help="Master origin time."),
    master_latitude: float | None = typer.Option(None, "--master-latitude", help="deg."),
    master_longitude: float | None = typer.Option(None, "--master-longitude", help="deg."),
    master_depth_km: float | None = typer.Option(None, "--master-depth", help="km."),
    master_inventory: Path | None = typer.Option(
        None, "--master-inventory", help="StationXML of the master's epoch (with --inventory)."
    ),
    phase: str = typer.Option("P", "--phase", help="Relative magnitude phase: P or Lg."),
    band: tuple[float, float] = typer.Option(
        (0.7, 1.5), "--band", help="Relative magnitude band, Hz (default around 1 s period)."
    ),
    method: str = typer.Option("norm", "--method", help="Ratio: norm (L2 norms) or lsq."),
    as_json: bool = JsonOption,
) -> None:
    """Magnitudes the data allow, why the others are not valid, and relative magnitudes."""
    from treatyverify.monitoring.seismic.magnitude import event_magnitudes, relative_magnitude
    from treatyverify.monitoring.seismic.response import read_inventory

    if phase not in ("P", "Lg"):
        raise InputError("must be P or Lg", where="--phase")
    if method not in ("norm", "lsq"):
        raise InputError("must be norm or lsq", where="--method")
    if not (0.0 < band[0] < band[1]):
        raise InputError("needs 0 < low < high", where="--band")
    if master_inventory is not None and inventory is None:
        raise InputError("--master-inventory needs --inventory for the event", where="--inventory")
    origin = _origin("event", quakeml, origin_time, latitude, longitude, depth_km)
    master_given = (master_quakeml, master_time, master_latitude, master_longitude)
    if relative_to is None and any(v is not None for v in master_given):
        raise InputError("the master's origin needs --relative-to", where="--relative-to")
    master = None
    if relative_to is not None:
        master = _origin(
            "master",
            master_quakeml,
            master_time,
            master_latitude,
            master_longitude,
            master_depth_km,
        )
    coords, inv = _stations_and_inventory(stations, inventory)
    warnings: list[str] = []
    stream = _read(waveforms, warnings)
    used = [tr for tr in stream if ".".join(tr.id.split(".")[:2]) in coords]
    if not used:
        raise InputError("no trace belongs to a station in the station file", where=str(stations))
    result = event_magnitudes(
        stream,
        coords,
        origin,
        inventory=inv,
        source=str(inventory or stations),
        has_master=relative_to is not None,
    )
    summary: dict[str, Any] = {
        "origin": {
            "time": str(origin.time),
            "latitude_deg": origin.latitude_deg,
            "longitude_deg": origin.longitude_deg,
            "depth_km": origin.depth_km,
        },
        "response": inv is not None,
        "validity": [
            {"kind": v.kind, "valid": v.valid, "reason": v.reason, "stations": v.stations_in_range}
            for v in result.validity
        ],
        "network": {
            kind: {
                "value": _round(nm.value, 2),
                "stderr": _round(nm.stderr, 2),
                "n_stations": nm.n_stations,
                "status": nm.status,
            }
            for kind, nm in result.network.items()
        },
    }
    if result.log_a_over_t:
        values = list(result.log_a_over_t.values())
        summary["mb_log10_A_over_T"] = {
            "median": _round(statistics.median(values)),
            "n_channels": len(values),
            "note": "log10(A/T), A in nm, T in s, IDC band; mb = this + Q(distance, depth)",
        }
    if relative_to is not None and master is not None:
        master_stream = _read(relative_to, warnings)
        inv_master = read_inventory(master_inventory) if master_inventory is not None else None
        rel = relative_magnitude(
            stream,
            master_stream,
            coords,
            origin,
            master,
            phase="P" if phase == "P" else "Lg",
            band_hz=(float(band[0]), float(band[1])),
            method="norm" if method == "norm" else "lsq",
            inventory_a=inv_master,
            inventory_b=inv if inv_master is not None else None,
        )
        summary["relative"] = {
            "delta_magnitude": _round(rel.value),
            "stderr": _round(rel.stderr),
            "sigma": _round(rel.sigma),
            "n_stations": rel.n_stations,
            "phase": rel.phase,
            "band_hz": list(rel.band_hz),
            "method": rel.method,
            "status": rel.status,
            "stations": [
                {
                    "trace_id": s.trace_id,
                    "status": s.status,
                    "delta_magnitude": _round(s.delta_magnitude),
                    "lsq_delta_magnitude": _round(s.lsq_delta_magnitude),
                    "cc": _round(s.cc, 2),
                    "snr_master": _round(s.snr_a, 1),
                    "snr_event": _round(s.snr_b, 1),
                    "distance_deg": _round(s.distance_deg, 2),
                }
                for s in rel.stations
            ],
        }
    summary["warnings"] = warnings
    if as_json:
        emit_json(summary)
        return
    print_table(
        "Which magnitudes the data allow",
        ["magnitude", "valid", "why"],
        [(v["kind"], "yes" if v["valid"] else "no", v["reason"]) for v in summary["validity"]],
    )
    if summary["network"]:
        print_table(
            "Network magnitudes",
            ["magnitude", "value", "standard error", "stations", "status"],
            [
                (k, v["value"], v["stderr"], v["n_stations"], v["status"])
                for k, v in summary["network"].items()
            ],
        )
    if "mb_log10_A_over_T" in summary:
        part = summary["mb_log10_A_over_T"]
        console.print(
            f"mb amplitude term log10(A/T): median {part['median']} over "
            f"{part['n_channels']} channels ({part['note']})"
        )
    if "relative" in summary:
        rel_out = summary["relative"]
        print_table(
            f"Relative magnitude ({rel_out['phase']}, {band[0]:g}-{band[1]:g} Hz, {method})",
            ["channel", "status", "delta m", "cc"],
            [
                (s["trace_id"], s["status"], s["delta_magnitude"], s["cc"])
                for s in rel_out["stations"]
            ],
        )
        console.print(
            f"event minus master: {rel_out['delta_magnitude']} +/- {rel_out['stderr']} "
            f"({rel_out['n_stations']} stations; {rel_out['status']})"
        )
    for warning in warnings:
        console.print(f"warning: {warning}")
