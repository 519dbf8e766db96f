"""``treatyverify monitor discriminate``: regional P/S (Pg/Lg) spectral ratio of an event.

Per-station ``log10(P/S)`` in a high-frequency band (6-8 Hz by default) and the network
mean with its standard error (:mod:`treatyverify.monitoring.seismic.discriminant`). No
threshold is built in: without ``--threshold`` and its ``--threshold-source`` the decision
is "not decided".
"""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.cli.common import JsonOption, console, emit_json, print_table
from treatyverify.errors import InputError

__all__ = ["discriminate_command"]


def discriminate_command(
    waveforms: list[Path] = typer.Argument(..., help="Waveform file(s) with vertical channels."),
    stations: Path = typer.Option(..., "--stations", "-s", help="StationXML or CSV of stations."),
    origin_time: str = typer.Option(..., "--origin-time", help="Origin time (UTC, ISO 8601)."),
    latitude: float = typer.Option(..., "--latitude", help="Epicentre latitude, degrees."),
    longitude: float = typer.Option(..., "--longitude", help="Epicentre longitude, degrees."),
    band: tuple[float, float] = typer.Option((6.0, 8.0), "--band", help="Band LOW HIGH, Hz."),
    min_snr: float = typer.Option(
        2.0, "--min-snr", help="Least band-power SNR of Pg and Lg (a choice)."
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="Threshold on network log10(P/S), from a publication."
    ),
    threshold_source: str | None = typer.Option(
        None, "--threshold-source", help="Citation of the publication giving --threshold."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Measure the regional Pg/Lg spectral ratio; decide only with a sourced threshold."""
    from obspy import UTCDateTime

    from treatyverify.monitoring.seismic.discriminant import SourcedThreshold, network_ps_ratio
    from treatyverify.monitoring.seismic.ingest import read_stations, read_waveforms

    if (threshold is None) != (threshold_source is None):
        raise InputError(
            "--threshold and --threshold-source go together (a threshold needs its source)",
            where="--threshold",
        )
    try:
        t0 = UTCDateTime(origin_time)
    except (TypeError, ValueError):
        raise InputError(f"not a UTC time: {origin_time!r}", where="--origin-time") from None
    sourced = (
        None
        if threshold is None or threshold_source is None
        else SourcedThreshold(threshold, threshold_source)
    )
    result = network_ps_ratio(
        read_waveforms(waveforms),
        read_stations(stations),
        origin_time=t0,
        latitude_deg=latitude,
        longitude_deg=longitude,
        band_hz=band,
        min_snr=min_snr,
        threshold=sourced,
    )
    if as_json:
        emit_json(result.to_dict())
        return
    print_table(
        f"Pg/Lg spectral ratio, {band[0]:g}-{band[1]:g} Hz",
        ["station", "distance (km)", "log10(P/S)", "std. error", "note"],
        [
            (
                s.station,
                f"{s.distance_km:.0f}",
                "" if s.log10_ps is None else f"{s.log10_ps:.2f}",
                "" if s.stderr is None else f"{s.stderr:.2f}",
                s.reason,
            )
            for s in result.stations
        ],
    )
    console.print(f"{result.decision}: {result.explanation}")
