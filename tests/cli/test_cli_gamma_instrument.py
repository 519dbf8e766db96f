"""``--instrument`` of ``treatyverify gamma show`` and ``gamma attributes``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.methods.gamma.io import write_n42
from treatyverify.methods.gamma.simulate import HPGE_COAXIAL, simulate_item
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.treaty.loader import _shipped_dir

runner = CliRunner()
TREATY = "warhead-dismantlement"
ITEM_CLASS = "warhead-in-container"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def plutonium_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spectrum = simulate_item(
        "weapon-grade-pu",
        mass_kg=4.0,
        detector=HPGE_COAXIAL,
        live_time_s=1800.0,
        distance_cm=50.0,
        rng=np.random.default_rng(31),
    )
    path = tmp_path_factory.mktemp("pu") / "item.n42"
    write_n42(spectrum, path)
    return path


@pytest.fixture(scope="module")
def flat_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A calibrated spectrum without peaks: no resolution can be measured on it."""
    spectrum = Spectrum(
        counts=np.random.default_rng(2).poisson(50.0, 4096).astype(np.float64),
        live_time_s=60.0,
        real_time_s=60.0,
        channel_edges_kev=np.arange(4097, dtype=np.float64) * 0.5,
        source="flat.n42",
    )
    path = tmp_path_factory.mktemp("flat") / "flat.n42"
    write_n42(spectrum, path)
    return path


def profile_file(tmp_path: Path, **fields: Any) -> Path:
    data = {"id": "probe", "name": "hand-held probe", "detector": "nai", "source": "test"}
    path = tmp_path / "probe.yaml"
    path.write_text(yaml.safe_dump({**data, **fields}), encoding="utf-8")
    return path


def treaty_with_instrument(tmp_path: Path, detector: str = "nai") -> Path:
    data = yaml.safe_load((_shipped_dir() / f"{TREATY}.yaml").read_text(encoding="utf-8"))
    data["instruments"] = [
        {"id": "agreed", "name": "agreed detector", "detector": detector, "source": "test"}
    ]
    for method in data["methods"]:
        if method["method"].startswith("gamma."):
            method.setdefault("parameters", {})["instrument"] = "agreed"
    path = tmp_path / "treaty.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_show_prints_the_detector_and_the_resolution(plutonium_file: Path) -> None:
    code, out, err = run("gamma", "show", str(plutonium_file), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["detector"] == "HPGe (class of the resolution measured on the spectrum)"
    assert document["resolution"].startswith("FWHM^2 = ")
    assert "keV at 662 keV" in document["resolution"]


def test_show_uses_the_profile_given(plutonium_file: Path, tmp_path: Path) -> None:
    path = profile_file(
        tmp_path, id="lab", detector="hpge", fwhm_noise_kev=0.75, fwhm_fano_kev=0.002
    )
    code, out, err = run("gamma", "show", str(plutonium_file), "--instrument", str(path))
    assert code == 0, err
    assert "HPGe (instrument 'lab')" in out
    assert "FWHM^2 = 0.750^2 + 0.00200 E keV (instrument" in out


def test_show_says_why_there_is_no_resolution(flat_file: Path, tmp_path: Path) -> None:
    code, out, err = run(
        "gamma", "show", str(flat_file), "--instrument", str(profile_file(tmp_path)), "--json"
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["detector"] == "NaI (instrument 'probe')"
    assert document["resolution"].startswith("none: ")


def test_a_nai_profile_is_refused_when_no_resolution_is_measured(
    flat_file: Path, tmp_path: Path
) -> None:
    code, _, err = run(
        "gamma",
        "attributes",
        str(flat_file),
        "-t",
        TREATY,
        "-c",
        ITEM_CLASS,
        "--instrument",
        str(profile_file(tmp_path)),
    )
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "flat.n42" in err and "high-resolution (HPGe-class)" in err
    assert "NaI-class detector (instrument 'probe')" in err


def test_an_unknown_instrument_id_names_the_treaty_field(plutonium_file: Path) -> None:
    code, _, err = run(
        "gamma", "attributes", str(plutonium_file), "-t", TREATY, "-c", ITEM_CLASS,
        "--instrument", "nai-probe",
    )  # fmt: skip
    assert code == 2
    assert f"treaty {TREATY}: instruments.nai-probe" in err
    assert "Traceback" not in err


def test_a_bad_profile_file_is_one_line(plutonium_file: Path, tmp_path: Path) -> None:
    path = profile_file(tmp_path, detector="germanium")
    code, _, err = run(
        "gamma", "attributes", str(plutonium_file), "-t", TREATY, "-c", ITEM_CLASS,
        "--instrument", str(path),
    )  # fmt: skip
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert f"{path}: detector" in err


def test_the_treaty_instrument_is_used_and_no_other(flat_file: Path, tmp_path: Path) -> None:
    treaty = str(treaty_with_instrument(tmp_path))
    code, _, err = run("gamma", "attributes", str(flat_file), "-t", treaty, "-c", ITEM_CLASS)
    assert code == 2
    assert "NaI-class detector (instrument 'agreed')" in err
    other = profile_file(tmp_path, id="other", detector="hpge")
    code, _, err = run(
        "gamma", "attributes", str(flat_file), "-t", treaty, "-c", ITEM_CLASS,
        "--instrument", str(other),
    )  # fmt: skip
    assert code == 2
    assert "name instrument 'agreed', not 'other'" in err
