"""The evident lines of the real spectra in ../shared/data/gamma are found and named.

Facts: the trinitite sample holds Cs-137 (661.657 keV, fallout from the 1945 test) and
natural K-40 (1460.8 keV); the Ba-133 check source shows its lines at 276.40, 302.85,
356.01 and 383.85 keV (DDEP Ba-133 table, in the curated data).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.gamma.identify import IdentifiedPeak, identify_lines
from treatyverify.methods.gamma.io import load_spectrum
from treatyverify.methods.gamma.spectrum import Spectrum

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gamma"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared measured data not present at {DATA}"
)


def nearest(peaks: list[IdentifiedPeak], energy_kev: float) -> IdentifiedPeak:
    best = min(peaks, key=lambda p: abs(p.energy_kev - energy_kev))
    assert abs(best.energy_kev - energy_kev) < 1.0, f"no peak within 1 keV of {energy_kev}"
    return best


@needs_data
def test_trinitite_shows_cs137_and_k40() -> None:
    peaks = identify_lines(load_spectrum(DATA / "trinitite_sample_b.n42"))
    cs137 = nearest(peaks, 661.657)
    assert cs137.nuclides[0] in {"Cs-137", "Ba-137m"}
    assert cs137.significance > 50
    assert nearest(peaks, 1460.8).nuclides[0] == "K-40"


@needs_data
@pytest.mark.parametrize("energy", [276.40, 302.85, 356.01, 383.85])
def test_the_ba133_source_shows_its_four_lines(energy: float) -> None:
    peaks = identify_lines(load_spectrum(DATA / "ba133_source_640s_20100317.n42"))
    assert nearest(peaks, energy).nuclides[0] == "Ba-133"


def test_an_uncalibrated_spectrum_is_refused() -> None:
    spectrum = Spectrum(counts=np.ones(256), live_time_s=1.0, real_time_s=1.0, source="x.spe")
    with pytest.raises(InputError) as caught:
        identify_lines(spectrum)
    assert caught.value.where == "x.spe"


def test_a_planted_line_is_named() -> None:
    rng = np.random.default_rng(5)
    edges = np.arange(4097, dtype=np.float64) * 0.5  # 0.5 keV per channel
    centres = 0.5 * (edges[:-1] + edges[1:])
    sigma = 1.5 / 2.3548
    rate = 5.0 + 3000.0 * np.exp(-0.5 * ((centres - 1460.82) / sigma) ** 2) * 0.5 / (
        sigma * np.sqrt(2 * np.pi)
    )
    spectrum = Spectrum(
        counts=rng.poisson(rate).astype(np.float64),
        live_time_s=100.0,
        real_time_s=100.0,
        channel_edges_kev=edges,
        source="synthetic",
    )
    peaks = identify_lines(spectrum)
    assert nearest(peaks, 1460.82).nuclides == ("K-40",)
