"""``treatyverify monitor``: test-ban monitoring from the command line.

``process`` detects and locates the largest event of a set of station recordings,
``xcorr`` finds repeats of a known event's waveform, ``screen`` applies the IDC
event-screening criteria, ``infrasound`` finds coherent arrivals on an infrasound
array, ``xenon`` screens radioxenon samples against the CTBT specification's
discrimination line.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer
from obspy import UTCDateTime
from rich.progress import Progress

from treatyverify.cli.common import (
    App,
    ForceOption,
    JsonOption,
    console,
    emit_json,
    output_path,
    print_table,
)
from treatyverify.errors import InputError
from treatyverify.files import (
    check_output_dir,
    move_into_place,
    read_json,
    staging_folder,
    write_atomically,
)
from treatyverify.monitoring.infrasound import array as infrasound
from treatyverify.monitoring.radionuclide.xenon import DiscriminationLine, read_samples, screen
from treatyverify.monitoring.seismic.bulletin import (
    defining_picks,
    ims1_bulletin,
    quakeml_bytes,
    to_catalog,
)
from treatyverify.monitoring.seismic.detect import Band, detect
from treatyverify.monitoring.seismic.ingest import (
    Station,
    ingest,
    read_stations,
    read_waveforms,
)
from treatyverify.monitoring.seismic.locate import (
    Location,
    ModelError,
    Pick,
    read_station_corrections,
)
from treatyverify.monitoring.seismic.pipeline import calibrate, locate_events
from treatyverify.monitoring.seismic.screening import screen_depth, screen_ms_mb
from treatyverify.monitoring.seismic.traveltime import TravelTimeTable, load_table
from treatyverify.monitoring.seismic.xcorr import scan_template
from treatyverify.report import monitoring_plots
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
    png: Path | None = typer.Option(
        None,
        "--png",
        help="Directory to write record-section.png and map.png into "
        "(created if missing; replacing the plots there needs --force).",
    ),
    quakeml: Path | None = typer.Option(
        None, "--quakeml", help="Also write the event as a QuakeML 1.2 bulletin."
    ),
    ims1: Path | None = typer.Option(
        None, "--ims1", help="Also write the event as an IMS1.0-style (short) bulletin."
    ),
    model_error: float | None = typer.Option(
        None,
        "--model-error",
        help="Travel-time model error of P, s, combined with each pick's sigma in quadrature "
        "(no default: state the value and its source).",
    ),
    station_corrections: Path | None = typer.Option(
        None, "--station-corrections", help="CSV with columns station,correction_s (s)."
    ),
    calibration: Path | None = typer.Option(
        None,
        "--calibration",
        help="Recordings (file or directory) of a calibration event of known origin; "
        "its station residuals correct this event (needs --calibration-origin).",
    ),
    calibration_origin: str | None = typer.Option(
        None,
        "--calibration-origin",
        help="Published origin of the calibration event: 'LAT,LON,DEPTH_KM,TIME' "
        "(degrees, km, ISO UTC).",
    ),
    force: bool = ForceOption,
    as_json: bool = JsonOption,
) -> None:
    """Detect arrivals and locate the largest event, with its 90 % error ellipse; each
    station's P is the detection nearest the predicted first arrival; only the picks the
    location used are flagged defining in the bulletins. Further events in the window are
    listed (their bulletins and plots are not written)."""
    plots = _plot_paths(png, force) if png is not None else []  # before any work
    if model_error is not None and not (model_error >= 0.0 and math.isfinite(model_error)):
        raise InputError("must be a number of seconds >= 0", where="--model-error")
    if (calibration is None) != (calibration_origin is None):
        raise InputError(
            "--calibration and --calibration-origin go together", where="--calibration"
        )
    if calibration is not None and station_corrections is not None:
        raise InputError(
            "give station corrections either from a file or from a calibration event",
            where="--station-corrections",
        )
    origin = _calibration_origin(calibration_origin) if calibration_origin else None
    corrections = read_station_corrections(station_corrections) if station_corrections else None
    errors = (
        {"P": ModelError.constant("P", model_error, "--model-error")}
        if model_error is not None
        else None
    )
    bulletins = {
        kind: output_path(path, None, force=force)
        for kind, path in (("quakeml", quakeml), ("ims1", ims1))
        if path is not None
    }
    if len({p.resolve() for p in bulletins.values()}) < len(bulletins):
        raise InputError("--quakeml and --ims1 name one file", where="--ims1")
    files = _waveform_files(source)
    with Progress(console=console, transient=True, disable=as_json) as progress:
        task = progress.add_task("reading stations and waveforms", total=4)
        known = read_stations(stations)
        ingested = ingest(files, known)
        progress.update(task, advance=1, description="detecting arrivals")
        detections = detect(ingested.stream)
        coordinates = {key: (s.latitude, s.longitude) for key, s in known.items()}
        table = load_table(model)
        if calibration is not None and origin is not None:
            progress.update(task, description="measuring station corrections")
            corrections = _calibrate(calibration, known, coordinates, table, origin)
        progress.update(task, advance=1, description="associating, picking, locating")
        warnings = [f"{w.trace_id}: {w.problem}" for w in ingested.warnings]
        n_stations = len({d.station_key for d in detections if d.trace_id.endswith("Z")})
        try:
            events = locate_events(
                detections,
                coordinates,
                table=table,
                model_error=errors,
                corrections_s=corrections,
            )
        except InputError as exc:
            progress.stop()
            for warning in warnings:
                typer.echo(f"warning: {warning}", err=True)
            raise InputError(
                f"location failed: {exc.message} ({n_stations} stations with detections)",
                where=exc.where or str(source),
            ) from exc
        picks, location = events[0]
        progress.update(task, advance=2)
    ellipse = location.ellipse
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
        "depth_resolved": location.depth_resolved,
        "picks_used": location.n_picks,
        "stations_with_detections": len(picks),
        "rms_s": round(location.rms_s, 3),
        "model": location.model,
        "model_error_s": model_error,
        "stations_corrected": len(location.corrected_stations),
        "further_events": [
            {
                "origin_time": str(other.origin_time),
                "latitude_deg": round(other.latitude_deg, 4),
                "longitude_deg": round(other.longitude_deg, 4),
                "picks_used": other.n_picks,
            }
            for _, other in events[1:]
        ],
    }
    written: list[Path] = []
    if bulletins:
        written += _write_bulletins(bulletins, location, picks, coordinates)
    if png is not None:
        _make_folder(png)
        with staging_folder(plots[0]) as staging:  # both drawn, then both moved in
            monitoring_plots.record_section_png(
                ingested.stream,
                picks,
                location,
                known,
                staging / plots[0].name,
                predicted_model=location.model,
            )
            monitoring_plots.map_png(known, location, staging / plots[1].name)
            for plot in plots:
                try:
                    move_into_place(staging / plot.name, plot, replace=True)
                except OSError as exc:
                    raise InputError(
                        f"cannot write the plot ({exc.strerror or exc})", where=str(plot)
                    ) from None
                written.append(plot)
    if as_json:
        extra: dict[str, object] = {"residuals_s": location.residuals_s, "warnings": warnings}
        if written:
            extra["png"] = [str(p) for p in written]
        emit_json(summary | extra)
        return
    further = summary.pop("further_events")
    print_table("Located event", ["field", "value"], list(summary.items()))
    for other in further if isinstance(further, list) else []:
        console.print(
            f"further event: {other['origin_time']} {other['latitude_deg']} "
            f"{other['longitude_deg']} ({other['picks_used']} picks)"
        )
    for path in written:
        console.print(f"wrote {path}")
    for warning in warnings:
        console.print(f"warning: {warning}")


def _calibration_origin(text: str) -> tuple[float, float, float, float]:
    """'LAT,LON,DEPTH_KM,TIME' as degrees, degrees, km and POSIX epoch seconds."""
    parts = [p.strip() for p in text.split(",")]
    where = "--calibration-origin"
    if len(parts) != 4:
        raise InputError("give LAT,LON,DEPTH_KM,TIME (four values, commas)", where=where)
    try:
        lat, lon, depth = (float(p) for p in parts[:3])
        time = float(UTCDateTime(parts[3]))
    except (ValueError, TypeError):
        raise InputError(f"cannot read {text!r} as LAT,LON,DEPTH_KM,TIME", where=where) from None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 360.0 and depth >= 0.0):
        raise InputError("latitude, longitude or depth out of range", where=where)
    return lat, lon, depth, time


def _calibrate(
    source: Path,
    known: dict[str, Station],
    coordinates: dict[str, tuple[float, float]],
    table: TravelTimeTable,
    origin: tuple[float, float, float, float],
) -> dict[str, float]:
    """Station corrections from the calibration event's recordings and published origin."""
    ingested = ingest(_waveform_files(source), known)
    lat, lon, depth, time = origin
    corrections = calibrate(
        detect(ingested.stream),
        coordinates,
        table=table,
        latitude_deg=lat,
        longitude_deg=lon,
        depth_km=depth,
        origin_time=time,
    )
    if not corrections:
        raise InputError(
            "no station has a P near the time the calibration origin predicts",
            where=str(source),
        )
    return corrections


def _write_bulletins(
    targets: dict[str, Path],
    location: Location,
    picks: list[Pick],
    coordinates: dict[str, tuple[float, float]],
) -> list[Path]:
    """Write the QuakeML and IMS1.0 bulletins of the located event, each whole."""
    used = defining_picks(location, picks)
    written = []
    for kind, target in targets.items():
        if kind == "quakeml":
            catalog = to_catalog(location, picks, coordinates, defining=used)
            data = quakeml_bytes(catalog)
        else:
            data = ims1_bulletin(location, picks, coordinates, defining=used).encode("utf-8")
        written.append(write_atomically(target, data))
    return written


PLOTS = ("record-section.png", "map.png")
"""The files ``process --png DIR`` writes into DIR."""


def _plot_paths(folder: Path, force: bool) -> list[Path]:
    """The plot files in ``folder``, each checked like any output file; the folder
    must be one or one that can be made."""
    check_output_dir(folder)
    return [output_path(folder / name, None, force=force) for name in PLOTS]


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the directory ({exc.strerror or exc})", where=str(folder)
        ) from None


@app.command("infrasound")
def infrasound_command(
    files: list[Path] = typer.Argument(..., help="One file per array element (e.g. SAC)."),
    band: tuple[float, float] = typer.Option((0.5, 5.0), "--band", help="Band, Hz."),
    window_s: float = typer.Option(10.0, "--window", help="Window length, s."),
    false_alarm: float = typer.Option(
        0.001, "--false-alarm", help="Per-beam false-alarm probability of the F threshold."
    ),
    min_duration: float = typer.Option(
        0.0, "--min-duration", help="Hide rows (detections or families) shorter than this, s."
    ),
    families: bool = typer.Option(
        False, "--families", help="Group consecutive detections of one source into families."
    ),
    family_gap: float = typer.Option(30.0, "--family-gap", help="Largest gap in a family, s."),
    family_baz: float = typer.Option(
        10.0, "--family-baz", help="Largest back-azimuth difference in a family, degrees."
    ),
    family_velocity: float = typer.Option(
        0.1, "--family-velocity", help="Largest relative trace-velocity difference in a family."
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
    rows: list[infrasound.InfrasoundDetection | infrasound.DetectionFamily] = list(found)
    if families:
        rows = list(
            infrasound.group_families(
                found,
                max_gap_s=family_gap,
                max_back_azimuth_diff_deg=family_baz,
                max_trace_velocity_diff=family_velocity,
            )
        )
    if min_duration < 0.0:
        raise InputError("must be zero or positive", where="--min-duration")
    rows = [r for r in rows if r.duration_s >= min_duration]
    if as_json:
        emit_json([r.to_record_body() for r in rows])
        return
    peaks = [r.strongest if isinstance(r, infrasound.DetectionFamily) else r for r in rows]
    print_table(
        "Infrasound " + ("families" if families else "detections"),
        ["start", "end", "back-azimuth at peak (deg)", "trace velocity at peak (km/s)", "max F"],
        [
            (
                r.start.isoformat(timespec="seconds"),
                r.end.isoformat(timespec="seconds"),
                f"{d.peak_back_azimuth_deg:.1f}",
                f"{d.peak_trace_velocity_km_s:.3f}",
                f"{d.max_f_stat:.1f}",
            )
            for r, d in zip(rows, peaks, strict=True)
        ],
    )


@app.command("xenon")
def xenon_command(
    file: Path = typer.Argument(..., help="Radioxenon sample results (JSON or CSV)."),
    treaty: str = typer.Option(
        "ctbt", "--treaty", "-t", help="Treaty (id or YAML file) with the screening line."
    ),
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


@app.command("xcorr")
def xcorr_command(
    template: Path = typer.Argument(..., help="Waveform file of the known event (one channel)."),
    continuous: Path = typer.Argument(..., help="Waveform file to scan (same channel)."),
    start: str = typer.Option(..., "--start", help="Template window start (UTC, ISO 8601)."),
    length_s: float = typer.Option(60.0, "--length", help="Template window length, s."),
    band: tuple[float, float] = typer.Option((0.5, 2.0), "--band", help="Band-pass, Hz."),
    threshold: float = typer.Option(0.5, "--threshold", help="Correlation threshold."),
    mad_multiple: float | None = typer.Option(
        None, "--mad", help="Also require this multiple of the correlation trace's MAD."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Find repeats of a known event's waveform in continuous data."""
    try:
        window_start = UTCDateTime(start)
    except (TypeError, ValueError):
        raise InputError(f"not a UTC time: {start!r}", where="--start") from None
    known = read_waveforms(template)
    scanned = read_waveforms(continuous)
    if len(known) != 1 or len(scanned) != 1:
        raise InputError(
            "give one channel in each file (the template and the data to scan)",
            where=str(template if len(known) != 1 else continuous),
        )
    matches = scan_template(
        known[0],
        scanned[0],
        band=Band(*band),
        threshold=threshold,
        mad_multiple=mad_multiple,
        window=(window_start, window_start + length_s),
        reference=window_start,
    )
    rows = [
        {"time": str(m.time), "cc": round(m.cc, 3), "mad_multiple": round(m.mad_multiple, 1)}
        for m in matches
    ]
    if as_json:
        emit_json(rows)
        return
    print_table(
        "Template matches",
        ["time (UTC, template start)", "cc", "x MAD"],
        [(r["time"], r["cc"], r["mad_multiple"]) for r in rows],
    )


@app.command("screen")
def screen_command(
    event: Path = typer.Argument(
        ..., help="JSON with mb, mb_stderr, ms, ms_stderr, depth_km, depth_sigma_km."
    ),
    treaty: str = typer.Option(
        "ctbt", "--treaty", "-t", help="Treaty (id or YAML file) with the criteria."
    ),
    png: Path | None = typer.Option(
        None,
        "--png",
        help="Also write the Ms:mb screening plot to this PNG file (an existing one: --force).",
    ),
    force: bool = ForceOption,
    as_json: bool = JsonOption,
) -> None:
    """Apply the IDC event-screening criteria (mb:Ms and depth) and explain each decision."""
    if png is not None:  # a bad plot path fails before the event is read
        output_path(png, None, force=force, suffix=".png")
    values = read_json(event)
    if not isinstance(values, dict):
        raise InputError("holds a JSON object of magnitudes and depth", where=str(event))

    def number(name: str) -> float | None:
        value = values.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"field {name!r} is not a number", where=f"{event}: {name}")
        return float(value)

    spec = load_treaty(treaty)
    decisions = [
        screen_ms_mb(
            number("mb"),
            number("ms"),
            mb_stderr=number("mb_stderr"),
            ms_stderr=number("ms_stderr"),
            treaty=spec,
        ),
        screen_depth(
            number("depth_km"),
            number("depth_sigma_km"),
            depth_fixed=bool(values.get("depth_fixed", False)),
            treaty=spec,
        ),
    ]
    rows = [
        {"criterion": d.criterion, "outcome": d.outcome, "explanation": d.explanation}
        for d in decisions
    ]
    mb, ms = number("mb"), number("ms")
    if png is not None:
        if mb is None or ms is None:
            raise InputError("the screening plot needs both mb and ms", where=str(event))
        point = monitoring_plots.ScreeningPoint(
            event.stem, mb, ms, number("mb_stderr"), number("ms_stderr")
        )
        written = monitoring_plots.screening_png([point], png, treaty=spec)
        if not as_json:
            console.print(f"wrote {written}")
    if as_json:
        emit_json(rows)
        return
    print_table(
        f"Event screening ({spec.id})",
        ["criterion", "outcome", "explanation"],
        [(r["criterion"], r["outcome"], r["explanation"]) for r in rows],
    )


from treatyverify.cli.monitor_magnitude import magnitude_command  # noqa: E402

app.command("magnitude")(magnitude_command)

from treatyverify.cli.monitor_relocate import relocate_command  # noqa: E402

app.command("relocate")(relocate_command)

from treatyverify.cli.monitor_array import array_command  # noqa: E402

app.command("array")(array_command)

from treatyverify.cli.monitor_discriminant import discriminate_command  # noqa: E402

app.command("discriminate")(discriminate_command)
