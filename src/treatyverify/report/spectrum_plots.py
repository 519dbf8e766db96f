"""Plots of gamma spectra, written as PNG."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from treatyverify.errors import InputError
from treatyverify.files import write_atomically
from treatyverify.methods.gamma.identify import IdentifiedPeak
from treatyverify.methods.gamma.spectrum import Spectrum

__all__ = ["spectrum_png"]


def spectrum_png(spectrum: Spectrum, peaks: Sequence[IdentifiedPeak], path: str | Path) -> Path:
    """Write a log-scale plot of ``spectrum`` with the named peaks marked (atomically).

    The caller checks ``path`` first (the command line refuses an existing file
    without ``--force``, the ledger, keys and non-regular files).
    """
    from matplotlib.figure import Figure

    target = Path(path)
    if target.suffix.lower() != ".png":
        raise InputError("the plot file must end in .png", where=str(target))
    figure = Figure(figsize=(11, 5), dpi=120)
    axes = figure.add_subplot()
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
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return write_atomically(target, buffer.getvalue())
