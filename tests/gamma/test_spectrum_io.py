"""Reading real spectrum files, rejecting bad ones, and the N42-2012 round trip."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.gamma.io import load_spectra, load_spectrum, write_n42
from treatyverify.methods.gamma.spectrum import Spectrum

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gamma"
NEEDS_DATA = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"real gamma spectra not present at {DATA} (see INVENTORY.md)"
)
FILES = sorted(p.name for p in DATA.iterdir() if p.is_file()) if DATA.is_dir() else []

# Independent facts: INVENTORY.md for the first two; the others read from the files'
# own headers (SPE $MEAS_TIM "live real") and checked against SpecUtils' reading.
# name: (channels, live s, real s, calibrated)
EXPECTED = {
    "trinitite_sample_b.n42": (8192, 15569.38, 15882.02, True),
    "trinitite_sample_b_background.n42": (8192, 41610.32, 42101.54, True),
    "digibase_5min_30_1.spe": (1024, 296.0, 300.0, False),
    "nai_detector.spe": (1001, 3600.0, 3600.0, False),
    "SGM102432.spe": (4094, 300.0, 300.0, False),
    "1110C NAA cave pottery.Spe": (16384, 16543.0, 16557.0, True),
    "1110C NAA cave background May 2017.spe": (16384, 437817.0, 437903.0, True),
    "Alcatraz14.Spc": (8192, 900.0, 905.42, True),
    "01122014152731-GT01122014182338-GA37.4963000N-GO122.4633000W.cnf": (
        4096,
        841.42,
        849.51,
        True,
    ),
}


@NEEDS_DATA
@pytest.mark.parametrize("name", FILES)
def test_every_real_file_loads(name: str) -> None:
    spectra = load_spectra(DATA / name)
    assert spectra
    one = load_spectrum(DATA / name)
    assert one.n_channels in {1001, 1024, 4094, 4096, 8192, 16384}
    assert 0 < one.live_time_s <= one.real_time_s
    assert one.total_counts > 0
    assert one.start_time is not None and one.start_time.utcoffset() is not None
    assert name in one.source
    if name in EXPECTED:
        channels, live, real, calibrated = EXPECTED[name]
        assert one.n_channels == channels
        assert one.live_time_s == pytest.approx(live, abs=0.01)
        assert one.real_time_s == pytest.approx(real, abs=0.01)
        assert one.calibrated is calibrated
    if one.calibrated:
        assert 2500.0 < one.energies_kev[-1] < 3200.0  # all these cover about 0–3 MeV


@NEEDS_DATA
def test_inventory_times() -> None:
    # INVENTORY.md: trinitite sample b is 15,569 s (live), Ba-133 source is 640 s (real).
    assert round(load_spectrum(DATA / "trinitite_sample_b.n42").live_time_s) == 15569
    for s in load_spectra(DATA / "ba133_source_640s_20100317.n42"):
        assert s.real_time_s == pytest.approx(640.0, abs=0.1)
        assert s.live_time_s < s.real_time_s


@NEEDS_DATA
def test_multi_detector_n42_sums_first_foreground_sample() -> None:
    path = DATA / "ba133_source_640s_20100317.n42"
    detectors = load_spectra(path)
    assert len(detectors) == 8
    assert [s.source.split("detector ")[1].rstrip("]") for s in detectors] == [
        "A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"
    ]  # fmt: skip
    summed = load_spectrum(path)
    assert "sum of 8 detectors" in summed.source
    assert summed.total_counts == pytest.approx(sum(s.total_counts for s in detectors), rel=1e-6)
    assert summed.live_time_s == pytest.approx(np.mean([s.live_time_s for s in detectors]))
    assert summed.real_time_s == pytest.approx(640.0, abs=0.1)
    third = load_spectrum(path, index=2)
    np.testing.assert_array_equal(third.counts, detectors[2].counts)
    with pytest.raises(InputError, match="out of range") as info:
        load_spectrum(path, index=8)
    assert info.value.where == str(path)


# --------------------------------------------------------------------------- bad input


def _assert_one_line_error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_spectrum(path)
    assert info.value.where == str(path)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError):
        load_spectra(path)
    return info.value


@NEEDS_DATA
@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("trinitite_sample_b.n42", 200),
        ("ba133_source_640s_20100317.n42", 100_000),
        ("digibase_5min_30_1.spe", 200),
        ("digibase_5min_30_1.spe", 5000),
        ("Alcatraz14.Spc", 20_000),
        ("01122014152731-GT01122014182338-GA37.4963000N-GO122.4633000W.cnf", 20_000),
    ],
)
def test_truncated_copies_rejected(tmp_path: Path, name: str, size: int) -> None:
    path = tmp_path / name
    path.write_bytes((DATA / name).read_bytes()[:size])
    _assert_one_line_error(path)


def test_missing_empty_random_and_text_files(tmp_path: Path) -> None:
    assert "not found" in _assert_one_line_error(tmp_path / "absent.n42").message
    empty = tmp_path / "empty.n42"
    empty.write_bytes(b"")
    assert "empty" in _assert_one_line_error(empty).message
    noise = tmp_path / "noise.spe"
    noise.write_bytes(random.Random(7).randbytes(4096))
    _assert_one_line_error(noise)
    note = tmp_path / "note.txt"
    note.write_text("Minutes of the joint commission meeting.\nNo spectra here.\n")
    _assert_one_line_error(note)
    _assert_one_line_error(tmp_path)  # a directory


def test_zero_live_time_in_file(tmp_path: Path) -> None:
    path = tmp_path / "zero_live.spe"
    lines = ["$SPEC_ID:", "zero live", "$MEAS_TIM:", "0 10", "$DATA:", "0 1023"]
    lines += ["5"] * 1024
    path.write_text("\n".join(lines) + "\n")
    error = _assert_one_line_error(path)
    assert "live time" in error.message
    assert "5" not in error.message.replace("0 s", "")


# --------------------------------------------------------------------------- writing


def _synthetic(calibrated: bool = True) -> Spectrum:
    rng = np.random.default_rng(20240611)
    counts = rng.poisson(50.0, size=1024).astype(np.float64)
    edges = 0.5 + 0.73 * np.arange(1025) + 2e-6 * np.arange(1025) ** 2 if calibrated else None
    return Spectrum(
        counts=counts,
        live_time_s=123.456789,
        real_time_s=130.25,
        channel_edges_kev=edges,
        source="synthetic",
        title="seeded Poisson test spectrum",
        start_time=datetime(2024, 6, 11, 8, 30, 15, 250000, tzinfo=UTC),
    )


@pytest.mark.parametrize("calibrated", [True, False])
def test_write_n42_round_trip(tmp_path: Path, calibrated: bool) -> None:
    original = _synthetic(calibrated)
    path = tmp_path / "out.n42"
    write_n42(original, path)
    back = load_spectrum(path)
    np.testing.assert_array_equal(back.counts, original.counts)
    # SpecUtils keeps times as 32-bit floats
    assert back.live_time_s == pytest.approx(original.live_time_s, rel=1e-7)
    assert back.real_time_s == pytest.approx(original.real_time_s, rel=1e-7)
    assert back.start_time == original.start_time
    assert back.title == original.title
    assert back.calibrated is calibrated
    if calibrated:
        np.testing.assert_allclose(back.channel_edges_kev, original.channel_edges_kev, rtol=1e-6)  # type: ignore[arg-type]
    assert [p.name for p in tmp_path.iterdir()] == ["out.n42"]  # no temporary left over


def test_write_n42_irregular_edges(tmp_path: Path) -> None:
    original = _synthetic().rebinned(3)  # last channel narrower: not a polynomial
    path = tmp_path / "irregular.n42"
    write_n42(original, path)
    back = load_spectrum(path)
    np.testing.assert_allclose(back.counts, original.counts, rtol=1e-6)
    np.testing.assert_allclose(back.channel_edges_kev, original.channel_edges_kev, rtol=1e-5)  # type: ignore[arg-type]


@NEEDS_DATA
def test_write_n42_real_file_round_trip(tmp_path: Path) -> None:
    original = load_spectrum(DATA / "trinitite_sample_b.n42")
    path = tmp_path / "copy.n42"
    write_n42(original, path)
    write_n42(original, path)  # replacing an existing file
    back = load_spectrum(path)
    np.testing.assert_array_equal(back.counts, original.counts)
    assert back.live_time_s == pytest.approx(original.live_time_s, rel=1e-7)
    assert back.channel_edges_kev is not None and original.channel_edges_kev is not None
    np.testing.assert_allclose(
        back.channel_edges_kev, original.channel_edges_kev, rtol=1e-6, atol=1e-6
    )


def test_write_n42_unwritable_directory(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "out.n42"
    with pytest.raises(InputError) as info:
        write_n42(_synthetic(), target)
    assert info.value.where == str(target)
    assert not target.parent.exists()
    assert os.listdir(tmp_path) == []
