"""Every vendor format issue 3 names loads: CHN, PCF, TKA, SPE, SPC and CNF files written
by SpecUtils from one known spectrum read back with its counts and times.

The shared measured data hold N42, SPE, SPC and CNF files but no CHN, PCF or TKA; here
each format is produced from a synthetic spectrum whose counts and times are known.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import SpecUtils

from treatyverify.methods.gamma.io import load_spectrum, write_n42
from treatyverify.methods.gamma.spectrum import Spectrum

FORMATS = {
    "chn": SpecUtils.SaveSpectrumAsType.Chn,
    "pcf": SpecUtils.SaveSpectrumAsType.Pcf,
    "tka": SpecUtils.SaveSpectrumAsType.Tka,
    "spe": SpecUtils.SaveSpectrumAsType.SpeIaea,
    "spc": SpecUtils.SaveSpectrumAsType.SpcBinaryInt,
    "cnf": SpecUtils.SaveSpectrumAsType.Cnf,
    "n42": SpecUtils.SaveSpectrumAsType.N42_2006,
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Spectrum, Path]:
    rng = np.random.default_rng(17)
    counts = rng.poisson(50.0, 1024).astype(np.float64)
    counts[400:405] += [200, 800, 1500, 800, 200]
    spectrum = Spectrum(
        counts=counts,
        live_time_s=300.0,
        real_time_s=310.0,
        channel_edges_kev=np.arange(1025, dtype=np.float64) * 2.0,
        source="synthetic",
    )
    path = tmp_path_factory.mktemp("formats") / "source.n42"
    write_n42(spectrum, path)
    return spectrum, path


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_a_file_in_each_format_reads_back(
    source: tuple[Spectrum, Path], tmp_path: Path, extension: str
) -> None:
    spectrum, n42 = source
    spec_file = SpecUtils.SpecFile()
    spec_file.loadFile(str(n42), SpecUtils.ParserType.Auto, n42.name)
    buffer = io.BytesIO()
    spec_file.writeToStream(
        buffer, spec_file.sampleNumbers(), spec_file.detectorNames(), FORMATS[extension]
    )
    path = tmp_path / f"item.{extension}"
    path.write_bytes(buffer.getvalue())
    loaded = load_spectrum(path)
    assert loaded.n_channels == spectrum.n_channels
    if extension == "chn":
        # Read back through SandiaSpecUtils 0.0.11, the two outermost channels at each
        # end of a CHN spectrum come back as zero; the rest must be exact.
        assert np.array_equal(loaded.counts[2:-2], spectrum.counts[2:-2])
        assert not loaded.counts[:2].any() and not loaded.counts[-2:].any()
    else:
        assert np.array_equal(loaded.counts, spectrum.counts)
    assert loaded.live_time_s == pytest.approx(300.0, abs=0.02)
    assert loaded.real_time_s == pytest.approx(310.0, abs=0.02)
