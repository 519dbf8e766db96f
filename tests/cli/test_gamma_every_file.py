"""``treatyverify gamma attributes`` on every real spectrum file: releases or one clear line.

Every measured file in ../shared/data/gamma and every GADRAS-computed spectrum of the two
reference folders goes through the command for both item classes of the
warhead-dismantlement treaty that have gamma attributes. The command must end either
with status 0 and releases in the barrier's vocabulary, or with status 2 and one line
naming the file, with no digit of the measurement; never a traceback. Which attributes
pass is not checked here (the attribute physics has its own tests).

Bad input (no calibration, zero live time, negative or NaN counts) must also be refused
that way, and ``--record`` must then write nothing to the ledger.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result
from typer.testing import CliRunner

from treatyverify.barrier.barrier import (
    ERROR_REASONS,
    INCONCLUSIVE_REASONS,
    RELEASE_STATUSES,
)
from treatyverify.cli.app import app
from treatyverify.errors import InputError
from treatyverify.methods.gamma.io import load_spectrum, write_n42
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.records.keys import generate_party_key, write_key_pair
from treatyverify.records.ledger import Ledger
from treatyverify.treaty import load_treaty

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gamma"
FOLDERS = (DATA, DATA / "reference" / "hpge-fulcrum-40h", DATA / "reference" / "nai-2x4x16")
TREATY = "warhead-dismantlement"
CLASSES = ("warhead-in-container", "nuclear-component-in-container")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
runner = CliRunner()


def _files() -> list[Path]:
    return sorted(
        p for folder in FOLDERS if folder.is_dir() for p in folder.iterdir() if p.is_file()
    )


def attributes(path: Path, item_class: str, *extra: str) -> Result:
    args = ["gamma", "attributes", str(path), "--treaty", TREATY, "--item-class", item_class]
    return runner.invoke(app, [*args, *extra])


def measured(path: Path) -> set[float]:
    """Numbers of the measurement an error must not quote (none if the file is unreadable)."""
    try:
        spectrum = load_spectrum(path)
    except InputError:
        return set()
    values = {spectrum.live_time_s, spectrum.real_time_s, float(spectrum.n_channels)}
    values |= {spectrum.total_counts, float(spectrum.counts.max())}
    return values | {float(int(v)) for v in values}


def assert_one_clear_line(result: Result, path: Path, values: set[float]) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    err = result.stderr
    assert "Traceback" not in result.output and "Traceback" not in err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert path.name in err, err  # the file is named
    rest = err.replace(str(path), "").replace(path.name, "")
    assert [t for t in NUMBER.findall(rest) if float(t) in values] == [], err


def assert_releases(result: Result, item_class: str) -> None:
    assert result.exception is None, result.output
    assert "Traceback" not in result.output
    document = json.loads(result.stdout)
    assert document["item_class"] == item_class and document["releases"]
    reveals = {m.id: set(m.reveals) for m in load_treaty(TREATY).methods_for(item_class)}
    for release in document["releases"]:
        status, reason = release["status"], release.get("reason")
        assert status in RELEASE_STATUSES
        assert set(release["outputs"]) <= reveals[release["method_id"]]
        if status == "ok":
            assert reason is None and release["outputs"]
        else:
            assert release["outputs"] == {}
            vocabulary = INCONCLUSIVE_REASONS if status == "inconclusive" else ERROR_REASONS
            assert reason in vocabulary


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason=f"shared gamma spectra not present at {DATA}")
@pytest.mark.parametrize("item_class", CLASSES)
@pytest.mark.parametrize("path", _files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_file_gives_releases_or_one_clear_line(path: Path, item_class: str) -> None:
    result = attributes(path, item_class, "--json")
    if result.exit_code == 0:
        assert_releases(result, item_class)
    else:
        assert_one_clear_line(result, path, measured(path))


# Bad input, and nothing written to the ledger ---------------------------------------------

LIVE_S, REAL_S, N_CHANNELS = 4321.5, 4400.25, 2048
COUNTS = np.random.default_rng(5).poisson(731.0, N_CHANNELS).astype(np.float64)


def _good_file(path: Path, *, calibrated: bool = True) -> Path:
    spectrum = Spectrum(
        counts=COUNTS,
        live_time_s=LIVE_S,
        real_time_s=REAL_S,
        channel_edges_kev=np.arange(N_CHANNELS + 1) * 0.5 if calibrated else None,
        source=path.name,
    )
    write_n42(spectrum, path)
    return path


def _edited(path: Path, pattern: str, replacement: str) -> Path:
    _good_file(path)
    text = path.read_text(encoding="utf-8")
    edited = re.sub(pattern, replacement, text, count=1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    return path


BAD = {
    "uncalibrated": lambda p: _good_file(p, calibrated=False),
    "zero-live-time": lambda p: _edited(p, r"<LiveTimeDuration>[^<]*", "<LiveTimeDuration>PT0S"),
    "negative-counts": lambda p: _edited(p, r"<ChannelData[^>]*>\s*\S+", "<ChannelData>-731"),
    "nan-counts": lambda p: _edited(p, r"<ChannelData[^>]*>\s*\S+", "<ChannelData>NaN"),
}


@pytest.fixture
def ledger_and_key(tmp_path: Path) -> tuple[Path, Path]:
    spec = load_treaty(TREATY)
    keys = {p.id: generate_party_key(p.id) for p in spec.parties}
    write_key_pair(keys["inspector-1"], tmp_path)
    path = tmp_path / "ledger.sqlite"
    Ledger.create(
        path,
        treaty=spec.id,
        spec_digest=spec.digest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=spec.consensus_parties(),
        opener=keys["host"],
    ).close()
    return path, tmp_path / "inspector-1.key"


def _records(path: Path) -> int:
    with Ledger.open(path) as ledger:
        return len(list(ledger.records()))


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_and_records_nothing(
    case: str, tmp_path: Path, ledger_and_key: tuple[Path, Path]
) -> None:
    ledger, key = ledger_and_key
    path = BAD[case](tmp_path / f"{case}.n42")
    before = _records(ledger)
    result = attributes(
        path, CLASSES[0], "--record", "W-1", "--key", str(key), "--ledger", str(ledger)
    )
    values = {LIVE_S, REAL_S, float(N_CHANNELS), float(COUNTS.sum()), float(COUNTS.max())}
    assert_one_clear_line(result, path, values | {float(int(v)) for v in values} | {731.0})
    assert _records(ledger) == before


def test_a_good_file_is_recorded_once(tmp_path: Path, ledger_and_key: tuple[Path, Path]) -> None:
    """The same command on good input appends exactly one record (the control case)."""
    ledger, key = ledger_and_key
    path = _good_file(tmp_path / "flat.n42")
    before = _records(ledger)
    result = attributes(
        path,
        CLASSES[0],
        "--record",
        "W-1",
        "--key",
        str(key),
        "--ledger",
        str(ledger),
        "--fwhm-noise-kev",
        "0.7",
        "--fwhm-fano-kev",
        "0.002",
    )
    assert result.exit_code == 0, result.output
    assert _records(ledger) == before + 1
