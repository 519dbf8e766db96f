"""``treatyverify gamma``: look at a gamma spectrum file and name its evident lines."""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.barrier.barrier import InformationBarrier, record_releases
from treatyverify.barrier.catalog import default_registry
from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.cli.common import (
    App,
    ForceOption,
    JsonOption,
    LedgerOption,
    console,
    emit_json,
    ledger_spec,
    open_ledger,
    output_path,
    print_table,
    read_key,
)
from treatyverify.errors import InputError, TreatyVerifyError
from treatyverify.methods.gamma.attributes import GammaMeasurement
from treatyverify.methods.gamma.identify import identify_lines
from treatyverify.methods.gamma.instrument import (
    InstrumentProfile,
    detector_label,
    instrument_from_metadata,
    resolve_instrument,
)
from treatyverify.methods.gamma.io import load_spectrum
from treatyverify.methods.gamma.resolution import describe_detector, measurement_from_spectrum
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.report.spectrum_plots import spectrum_png
from treatyverify.treaty import TreatySpec, load_treaty

InstrumentOption = typer.Option(
    None,
    "--instrument",
    help="Instrument profile: an id of the treaty's instruments, or a profile YAML file.",
)

app = App(help="Gamma spectra: show a file and the lines it holds.", no_args_is_help=True)


@app.command("show")
def show_command(
    file: Path = typer.Argument(..., help="Spectrum file (N42, SPE, CNF, CHN, SPC, TKA, PCF...)."),
    index: int | None = typer.Option(
        None, "--index", help="Which spectrum of a multi-spectrum file (default: their sum)."
    ),
    png: Path | None = typer.Option(
        None, "--png", help="Also write a plot to this PNG file (an existing one: --force)."
    ),
    force: bool = ForceOption,
    min_significance: float = typer.Option(
        5.0, "--min-significance", help="Peak search threshold (standard deviations)."
    ),
    instrument: str | None = InstrumentOption,
    treaty: str | None = typer.Option(
        None,
        "--treaty",
        "-t",
        help="Treaty id or YAML file whose instruments --instrument names.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Summarize a spectrum file, its detector and resolution, and list its peaks."""
    if png is not None:  # a bad plot path fails before the spectrum is read
        output_path(png, None, force=force, suffix=".png")
    spec = load_treaty(treaty) if treaty is not None else None
    profile = resolve_instrument(instrument, spec) if instrument is not None else None
    spectrum = load_spectrum(file, index)
    peaks = (
        identify_lines(spectrum, min_significance=min_significance) if spectrum.calibrated else []
    )
    summary = {
        "file": str(file),
        "title": spectrum.title,
        "channels": spectrum.n_channels,
        "live_time_s": spectrum.live_time_s,
        "real_time_s": spectrum.real_time_s,
        "total_counts": spectrum.total_counts,
        "start_time": spectrum.start_time.isoformat() if spectrum.start_time else None,
        "energy_range_kev": (
            [float(spectrum.channel_edges_kev[0]), float(spectrum.channel_edges_kev[-1])]
            if spectrum.channel_edges_kev is not None
            else None
        ),
    }
    if spectrum.calibrated:
        summary |= _detector(spectrum, profile or instrument_from_metadata(file))
    if png is not None:  # last, once nothing else can fail
        spectrum_png(spectrum, peaks, png)
    if as_json:
        emit_json(
            summary
            | {
                "peaks": [
                    {
                        "energy_kev": round(p.energy_kev, 2),
                        "significance": round(p.significance, 1),
                        "candidates": [
                            {"nuclide": c.nuclide, "energy_kev": c.energy_kev} for c in p.candidates
                        ],
                    }
                    for p in peaks
                ]
            }
        )
        return
    print_table("Spectrum", ["field", "value"], [(k, v) for k, v in summary.items()])
    if not spectrum.calibrated:
        console.print("No energy calibration in the file: peaks are not identified.")
        return
    print_table(
        f"Peaks at {min_significance:g} sigma or more",
        ["energy (keV)", "significance", "tabulated lines within tolerance"],
        [
            (
                f"{p.energy_kev:.2f}",
                f"{p.significance:.1f}",
                ", ".join(f"{c.nuclide} {c.energy_kev:.2f}" for c in p.candidates[:3]) or "-",
            )
            for p in peaks
        ],
    )
    if png is not None:
        console.print(f"Plot written to {png}")


@app.command("attributes")
def attributes_command(
    file: Path = typer.Argument(..., help="Spectrum file of the item (calibrated)."),
    treaty: str = typer.Option(..., "--treaty", "-t", help="Treaty id or YAML file."),
    item_class: str = typer.Option(..., "--item-class", "-c", help="Declared item class."),
    fwhm_noise_kev: float | None = typer.Option(
        None, "--fwhm-noise-kev", help="Instrument resolution: constant term a (keV)."
    ),
    fwhm_fano_kev: float | None = typer.Option(
        None,
        "--fwhm-fano-kev",
        help="Instrument resolution: statistical term c in FWHM^2 = a^2 + c E (keV). "
        "Without both terms the resolution is measured on the spectrum.",
    ),
    all_outputs: bool = typer.Option(
        False,
        "--all-outputs",
        help="Also print the physics values (ratio, age, ...). Only for data that are not "
        "sensitive: by default only what the treaty reveals is printed.",
    ),
    record: str | None = typer.Option(
        None, "--record", help="Append the releases to the ledger as this item's record."
    ),
    key: Path | None = typer.Option(None, "--key", "-k", help="Signing key for --record."),
    instrument: str | None = InstrumentOption,
    ledger: str | None = LedgerOption,
    as_json: bool = JsonOption,
) -> None:
    """Run the treaty's gamma attributes for an item class behind the information barrier."""
    spec = load_treaty(treaty)
    registry = default_registry()
    gamma_methods = [
        m.id
        for m in spec.methods_for(item_class)
        if m.method.startswith("gamma.") and m.method in registry.names()
    ]
    if not gamma_methods:
        raise InputError(
            f"the treaty lists no gamma attribute for item class {item_class}",
            where=f"{spec.id}: methods",
        )
    if record is not None and key is None:
        raise InputError("--record needs the signing key (--key)", where="--key")
    if (fwhm_noise_kev is None) != (fwhm_fano_kev is None):
        raise InputError("give both resolution terms or neither", where="--fwhm-fano-kev")
    signer = read_key(key) if record is not None and key is not None else None
    profile = _instrument(instrument, spec, gamma_methods, file)
    measurement = _measurement(file, fwhm_noise_kev, fwhm_fano_kev, profile)
    data = SensitiveData({"gamma": measurement})
    barrier = InformationBarrier(spec, item_class, registry, method_ids=gamma_methods)
    releases = barrier.evaluate(data)
    rows: list[dict[str, object]] = []
    for release, method in zip(releases, barrier.methods, strict=True):
        row: dict[str, object] = {
            "method_id": release.method_id,
            "status": release.status,
            "outputs": release.outputs,
        }
        if release.reason is not None:
            row["reason"] = release.reason
        if all_outputs:
            try:
                row["all_outputs"] = dict(registry.get(method.method).run(data, method))
            except TreatyVerifyError as exc:
                row["all_outputs"] = {"error": exc.message}
            except Exception as exc:  # a bug in a method: name it, never a traceback
                row["all_outputs"] = {"error": f"the method failed ({type(exc).__name__})"}
        rows.append(row)
    # One append, after everything else has succeeded: a failure writes nothing.
    if record is not None and signer is not None:
        with open_ledger(ledger) as book:
            ledger_spec(book, treaty)  # the releases are of the ledger's own specification
            written = record_releases(
                book, signer, item=record, item_class=item_class, releases=releases
            )
        if not as_json:
            console.print(f"Releases recorded as record {written.seq}.")
    if as_json:
        emit_json({"treaty": spec.id, "item_class": item_class, "releases": rows})
        return
    print_table(
        f"Attributes of {file.name} as {item_class} ({spec.id})",
        ["method", "status", "released"] + (["all outputs"] if all_outputs else []),
        [
            [
                r["method_id"],
                r["status"] if "reason" not in r else f"{r['status']}: {r['reason']}",
                r["outputs"],
            ]
            + ([r.get("all_outputs")] if all_outputs else [])
            for r in rows
        ],
    )


def _measurement(
    file: Path,
    fwhm_noise_kev: float | None,
    fwhm_fano_kev: float | None,
    instrument: InstrumentProfile | None = None,
) -> GammaMeasurement:
    """The spectrum of ``file`` with its calibration and resolution, or one clear error.

    Every error names the file, and one the analysis did not foresee becomes a line
    naming its type only: the spectrum is sensitive before it enters the barrier too.
    """
    spectrum = load_spectrum(file)
    try:
        return measurement_from_spectrum(
            spectrum,
            fwhm_noise_kev=fwhm_noise_kev,
            fwhm_fano_kev=fwhm_fano_kev,
            instrument=instrument,
        )
    except TreatyVerifyError as exc:
        where = exc.where or ""
        if file.name not in where:  # name the file: the field alone would not say which
            where = f"{file}: {where}" if where else str(file)
        raise InputError(exc.message, where=where) from None
    except Exception as exc:  # the analysis failed on these data: no text, no digits
        raise InputError(
            f"the calibration or the resolution could not be worked out from the spectrum "
            f"({type(exc).__name__}); give the instrument's resolution (--fwhm-noise-kev "
            "and --fwhm-fano-kev)",
            where=str(file),
        ) from None


def _instrument(
    option: str | None, spec: TreatySpec, method_ids: list[str], file: Path
) -> InstrumentProfile | None:
    """The profile of ``--instrument``, else the one the methods name, else the file's.

    The treaty's gamma methods for the item class may name one instrument; naming
    another with ``--instrument`` is an error. Without either, the detector the file's
    metadata names, if SpecUtils knows it (its kind only).
    """
    named = {p.id: p for m in method_ids if (p := spec.method_instrument(m)) is not None}
    if len(named) > 1:
        raise InputError(
            f"the gamma methods name different instruments ({', '.join(sorted(named))}); "
            "one spectrum comes from one",
            where=f"{spec.id}: methods",
        )
    agreed = next(iter(named.values()), None)
    if option is None:
        return agreed if agreed is not None else instrument_from_metadata(file)
    chosen = resolve_instrument(option, spec)
    if agreed is not None and chosen.id != agreed.id:
        raise InputError(
            f"the treaty's gamma methods name instrument {agreed.id!r}, not {chosen.id!r}",
            where="--instrument",
        )
    return chosen


def _detector(spectrum: Spectrum, profile: InstrumentProfile | None) -> dict[str, object]:
    """The detector and resolution rows of ``gamma show``."""
    report = describe_detector(spectrum, profile)
    kind = detector_label(report.kind) if report.kind is not None else "unknown"
    fwhm = report.fwhm_kev(662.0)
    return {
        "detector": f"{kind} ({report.basis})",
        "resolution": (
            f"FWHM^2 = {report.fwhm_noise_kev:.3f}^2 + {report.fwhm_fano_kev:.5f} E keV "
            f"({report.resolution_source}; {fwhm:.2f} keV at 662 keV)"
            if fwhm is not None
            else f"none: {report.problem}"
        ),
    }
