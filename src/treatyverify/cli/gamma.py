"""``treatyverify gamma``: look at a gamma spectrum file and name its evident lines."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import typer

from treatyverify.cli.common import App, JsonOption, console, emit_json, print_table
from treatyverify.errors import InputError
from treatyverify.methods.gamma.identify import IdentifiedPeak, identify_lines
from treatyverify.methods.gamma.io import load_spectrum
from treatyverify.methods.gamma.spectrum import Spectrum

app = App(help="Gamma spectra: show a file and the lines it holds.", no_args_is_help=True)


@app.command("show")
def show_command(
    file: Path = typer.Argument(..., help="Spectrum file (N42, SPE, CNF, CHN, SPC, TKA, PCF...)."),
    index: int | None = typer.Option(
        None, "--index", help="Which spectrum of a multi-spectrum file (default: their sum)."
    ),
    png: Path | None = typer.Option(None, "--png", help="Also write a plot to this PNG file."),
    min_significance: float = typer.Option(
        5.0, "--min-significance", help="Peak search threshold (standard deviations)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Summarize a spectrum file and list its peaks with the tabulated lines near each."""
    spectrum = load_spectrum(file, index)
    peaks = (
        identify_lines(spectrum, min_significance=min_significance) if spectrum.calibrated else []
    )
    if png is not None:
        _plot(spectrum, peaks, png)
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


def _plot(spectrum: Spectrum, peaks: list[IdentifiedPeak], out: Path) -> None:
    """Write a log-scale plot of the spectrum with the named peaks marked (atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    if out.suffix.lower() != ".png":
        raise InputError("the plot file must end in .png", where=str(out))
    figure, axes = pyplot.subplots(figsize=(11, 5))
    counts = spectrum.counts
    if spectrum.channel_edges_kev is not None:
        x = spectrum.energies_kev
        axes.set_xlabel("energy (keV)")
    else:
        x = np.arange(spectrum.n_channels, dtype=np.float64) + 0.5
        axes.set_xlabel("channel")
    axes.step(x, counts, where="mid", linewidth=0.6)
    axes.set_yscale("log")
    axes.set_ylim(bottom=0.5)
    axes.set_ylabel("counts per channel")
    axes.set_title(f"{spectrum.source}: live time {spectrum.live_time_s:g} s")
    for peak in peaks:
        if peak.candidates:
            axes.annotate(
                peak.candidates[0].nuclide,
                (peak.energy_kev, max(float(counts.max()) * 0.5, 1.0)),
                rotation=90,
                fontsize=6,
                ha="center",
            )
    directory = out.parent if str(out.parent) else Path(".")
    if not directory.is_dir():
        pyplot.close(figure)
        raise InputError("the folder for the plot does not exist", where=str(out))
    descriptor, temporary = tempfile.mkstemp(suffix=".png", dir=directory)
    os.close(descriptor)
    try:
        figure.savefig(temporary, dpi=120)
        os.replace(temporary, out)
    finally:
        pyplot.close(figure)
        if os.path.exists(temporary):
            os.unlink(temporary)
