"""``treatyverify monitor array``: f-k analysis of a seismic array, per detection.

Detections with back-azimuth, slowness, phase and the single-array location, from the
array's waveforms and StationXML (:mod:`treatyverify.monitoring.seismic.array`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from treatyverify.cli.common import JsonOption, console, emit_json, print_table
from treatyverify.errors import InputError

if TYPE_CHECKING:
    from obspy import UTCDateTime

__all__ = ["array_command"]


def _utc(value: str | None, option: str) -> UTCDateTime | None:
    if value is None:
        return None
    from obspy import UTCDateTime

    try:
        return UTCDateTime(value)
    except (TypeError, ValueError):
        raise InputError(f"not a UTC time: {value!r}", where=option) from None


def array_command(
    waveforms: list[Path] = typer.Argument(..., help="Waveform file(s) of the array elements."),
    stations: Path = typer.Option(
        ..., "--stations", "-s", help="StationXML with coordinates and responses."
    ),
    start: str | None = typer.Option(None, "--start", help="Report detections from (UTC)."),
    end: str | None = typer.Option(None, "--end", help="Report detections until (UTC)."),
    window: float | None = typer.Option(
        None, "--window", help="Report detections for this many seconds after --start."
    ),
    band: tuple[float, float] = typer.Option((1.0, 3.0), "--band", help="Band FMIN FMAX, Hz."),
    fk_window_s: float = typer.Option(4.0, "--fk-window", help="f-k window length, s."),
    depth_km: float = typer.Option(
        0.0, "--depth", help="Source depth assumed for phase and location, km."
    ),
    model: str = typer.Option("iasp91", "--model", help="Earth model: iasp91 or ak135."),
    reference: str | None = typer.Option(
        None, "--reference", help="Reference element (default: nearest the centre)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Detect arrivals on a seismic array; give back-azimuth, slowness, phase and location."""
    from treatyverify.monitoring.seismic.array import process_array

    if window is not None and end is not None:
        raise InputError("give --end or --window, not both", where="--window")
    if window is not None and not window > 0:
        raise InputError("must be a positive number of seconds", where="--window")
    t_start = _utc(start, "--start")
    t_end = _utc(end, "--end")
    if window is not None:
        if t_start is None:
            raise InputError("--window needs --start", where="--window")
        t_end = t_start + window
    files: list[str | Path] = list(waveforms)
    result = process_array(
        files,
        stations,
        band_hz=(float(band[0]), float(band[1])),
        window_s=fk_window_s,
        start=t_start,
        end=t_end,
        depth_km=depth_km,
        model=model,
        reference=reference,
    )
    geo = result.geometry
    if as_json:
        emit_json(
            {
                "array": geo.name,
                "reference": geo.reference_id,
                "reference_latitude_deg": geo.reference_latitude_deg,
                "reference_longitude_deg": geo.reference_longitude_deg,
                "n_elements": geo.n_elements,
                "aperture_km": round(geo.aperture_km, 2),
                "band_hz": list(result.band_hz),
                "detections": [d.to_record_body() for d in result.detections],
            }
        )
        return
    console.print(
        f"{geo.name}: {geo.n_elements} elements, aperture {geo.aperture_km:.1f} km, "
        f"reference {geo.reference_id}, band {result.band_hz[0]:g}-{result.band_hz[1]:g} Hz"
    )
    rows = []
    for d in result.detections:
        fk = d.fk
        loc = d.location
        rows.append(
            (
                d.time.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4],
                d.phase.phase,
                f"{fk.back_azimuth_deg:.1f} ± {fk.back_azimuth_sigma_deg:.1f}",
                f"{fk.slowness_s_deg:.2f} ± {fk.slowness_sigma_s_deg:.2f}",
                f"{fk.relative_power:.2f}",
                "-" if loc is None else f"{loc.distance_deg:.1f}",
                "-" if loc is None else f"{loc.latitude_deg:.2f}, {loc.longitude_deg:.2f}",
                "-" if loc is None else loc.origin_time.strftime("%H:%M:%S"),
            )
        )
    print_table(
        f"Array detections (depth assumed {depth_km:g} km, {model})",
        [
            "time (UTC)",
            "phase",
            "back-azimuth (deg)",
            "slowness (s/deg)",
            "rel. power",
            "distance (deg)",
            "epicentre (lat, lon)",
            "origin",
        ],
        rows,
    )
