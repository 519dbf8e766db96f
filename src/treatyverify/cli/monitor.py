"""``treatyverify monitor``: test-ban monitoring from the command line.

``process`` detects and locates the largest event of a set of station recordings,
``infrasound`` finds coherent arrivals on an infrasound array, ``xenon`` screens
radioxenon samples against the CTBT specification's discrimination line.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from treatyverify.cli.common import App, JsonOption, console, emit_json, print_table
from treatyverify.errors import InputError
from treatyverify.monitoring.infrasound import array as infrasound
from treatyverify.monitoring.radionuclide.xenon import DiscriminationLine, read_samples, screen
from treatyverify.monitoring.seismic.detect import detect
from treatyverify.monitoring.seismic.ingest import ingest, read_stations
from treatyverify.monitoring.seismic.locate import locate_from_picks
from treatyverify.monitoring.seismic.pipeline import first_arrival_picks
from treatyverify.treaty import load_treaty

app = App(help="Test-ban monitoring: seismic, infrasound, radionuclide.", no_args_is_help=True)

WAVEFORM_SUFFIXES = {".mseed", ".miniseed", ".msd", ".sac", ".gse", ".gse2", ".w", ".wfdisc"}
"""Files taken from a directory given to ``process``: the waveform formats ObsPy reads."""


def _waveform_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise InputError("no such file or directory", where=str(source))
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in WAVEFORM_SUFFIXES)
    if not files:
        raise InputError(
            f"no waveform files ({', '.join(sorted(WAVEFORM_SUFFIXES))}) in the directory",
            where=str(source),
        )
    return files


@app.command("process")
def process_command(
    source: Path = typer.Argument(..., help="A waveform file or a directory of them."),
    stations: Path = typer.Option(..., "--stations", "-s", help="StationXML or CSV of stations."),
    model: str = typer.Option("iasp91", "--model", help="Earth model: iasp91 or ak135."),
    as_json: bool = JsonOption,
) -> None:
    """Detect arrivals and locate the largest event, with its 90 % error ellipse."""
    files = _waveform_files(source)
    with Progress(console=console, transient=True, disable=as_json) as progress:
        task = progress.add_task("reading stations and waveforms", total=4)
        known = read_stations(stations)
        ingested = ingest(files, known)
        progress.update(task, advance=1, description="detecting arrivals")
        detections = detect(ingested.stream)
        progress.update(task, advance=1, description="picking first arrivals")
        picks = first_arrival_picks(detections)
        progress.update(task, advance=1, description="associating and locating")
        coordinates = {key: (s.latitude, s.longitude) for key, s in known.items()}
        location = locate_from_picks(picks, coordinates, model=model)
        progress.update(task, advance=1)
    ellipse = location.ellipse
    warnings = [f"{w.trace_id}: {w.problem}" for w in ingested.warnings]
    summary: dict[str, object] = {
        "origin_time": str(location.origin_time),
        "latitude_deg": round(location.latitude_deg, 4),
        "longitude_deg": round(location.longitude_deg, 4),
        "depth_km": location.depth_km,
        "depth_fixed": location.depth_fixed,
        "ellipse_90": {
            "semi_major_km": round(ellipse.semi_major_km, 2),
            "semi_minor_km": round(ellipse.semi_minor_km, 2),
            "azimuth_deg": round(ellipse.azimuth_deg, 1),
        },
        "picks_used": location.n_picks,
        "stations_with_detections": len(picks),
        "rms_s": round(location.rms_s, 3),
        "model": location.model,
    }
    if as_json:
        emit_json(summary | {"residuals_s": location.residuals_s, "warnings": warnings})
        return
    print_table("Located event", ["field", "value"], list(summary.items()))
    for warning in warnings:
        console.print(f"warning: {warning}")


@app.command("infrasound")
def infrasound_command(
    files: list[Path] = typer.Argument(..., help="One file per array element (e.g. SAC)."),
    band: tuple[float, float] = typer.Option((0.5, 5.0), "--band", help="Band, Hz."),
    window_s: float = typer.Option(10.0, "--window", help="Window length, s."),
    false_alarm: float = typer.Option(
        0.001, "--false-alarm", help="Per-beam false-alarm probability of the F threshold."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Beamform an infrasound array and list the coherent arrivals."""
    stream = infrasound.read_array([str(f) for f in files])
    coordinates = infrasound.element_offsets(stream)
    result = infrasound.beamform(stream, coordinates, freq_band_hz=band, window_s=window_s)
    found = infrasound.detect(
        result,
        false_alarm_probability=false_alarm,
        f_scale=infrasound.adaptive_f_scale(result),
    )
    if as_json:
        emit_json([d.to_record_body() for d in found])
        return
    print_table(
        "Infrasound detections",
        ["start", "end", "back-azimuth (deg)", "trace velocity (km/s)", "max F"],
        [
            (
                d.start.isoformat(timespec="seconds"),
                d.end.isoformat(timespec="seconds"),
                f"{d.back_azimuth_deg:.1f}",
                f"{d.trace_velocity_km_s:.3f}",
                f"{d.max_f_stat:.1f}",
            )
            for d in found
        ],
    )


@app.command("xenon")
def xenon_command(
    file: Path = typer.Argument(..., help="Radioxenon sample results (JSON or CSV)."),
    treaty: str = typer.Option("ctbt", "--treaty", "-t", help="Treaty with the screening line."),
    confidence: float = typer.Option(0.95, "--confidence", help="Joint confidence level."),
    as_json: bool = JsonOption,
) -> None:
    """Screen radioxenon samples against the treaty's four-isotope discrimination line."""
    line = DiscriminationLine.from_criterion(load_treaty(treaty).screening("xenon-isotopic-ratios"))
    rows = []
    for sample in read_samples(file):
        result = screen(sample, line, confidence)
        rows.append(
            {
                "sample": sample.sample_id,
                "station": sample.station,
                "decision": result.decision,
                "margin_log10": result.margin_log10,
                "explanation": result.explanation,
            }
        )
    if as_json:
        emit_json(
            {
                "line": {
                    "slope": line.slope,
                    "intercept_log10": line.intercept_log10,
                    "source": line.source,
                },
                "samples": rows,
            }
        )
        return
    print_table(
        f"Four-isotope screening ({treaty})",
        ["sample", "station", "decision", "explanation"],
        [(r["sample"], r["station"], r["decision"], r["explanation"]) for r in rows],
    )
