"""``treatyverify gamma show`` and ``treatyverify template compare`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.methods.gamma.io import write_n42
from treatyverify.methods.gamma.spectrum import Spectrum

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gamma"
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def synthetic(path: Path, *, seed: int, line_kev: float = 661.657, channels: int = 2048) -> Path:
    rng = np.random.default_rng(seed)
    edges = np.arange(channels + 1, dtype=np.float64) * 0.5
    centres = 0.5 * (edges[:-1] + edges[1:])
    sigma = 0.7
    rate = 20.0 * np.exp(-centres / 400.0) + 4000.0 * 0.5 * np.exp(
        -0.5 * ((centres - line_kev) / sigma) ** 2
    ) / (sigma * np.sqrt(2 * np.pi))
    spectrum = Spectrum(
        counts=rng.poisson(rate).astype(np.float64),
        live_time_s=300.0,
        real_time_s=301.0,
        channel_edges_kev=edges,
        source=path.name,
    )
    write_n42(spectrum, path)
    return path


@pytest.mark.skipif(not DATA.is_dir(), reason=f"shared measured data not present at {DATA}")
def test_gamma_show_names_the_ba133_lines_and_plots(tmp_path: Path) -> None:
    png = tmp_path / "ba.png"
    code, out, err = run(
        "gamma", "show", str(DATA / "ba133_source_640s_20100317.n42"), "--json", "--png", str(png)
    )
    assert code == 0, err
    document = json.loads(out)
    named = {
        round(p["energy_kev"]): p["candidates"][0]["nuclide"]
        for p in document["peaks"]
        if p["candidates"]
    }
    for energy in (276, 303, 356, 384):
        assert any(named.get(energy + d) == "Ba-133" for d in (-1, 0, 1)), energy
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_gamma_show_of_a_synthetic_file_finds_its_line(tmp_path: Path) -> None:
    path = synthetic(tmp_path / "cs.n42", seed=1)
    code, out, err = run("gamma", "show", str(path), "--json")
    assert code == 0, err
    peaks = json.loads(out)["peaks"]
    assert any(abs(p["energy_kev"] - 661.66) < 0.5 and p["candidates"] for p in peaks)


@pytest.mark.parametrize("content", [b"", b"not a spectrum at all\n", bytes(range(256)) * 8])
def test_gamma_show_of_a_bad_file_is_one_line_and_status_2(
    tmp_path: Path, content: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.spe"
    path.write_bytes(content)
    code, _out, err = run("gamma", "show", str(path))
    assert code == 2
    assert err.count("\n") == 1 and str(path) in err
    assert "Traceback" not in err
    native = capfd.readouterr()
    assert "Failed" not in native.out and "Failed" not in native.err


def test_template_compare_reveals_only_pass_by_default(tmp_path: Path) -> None:
    template = synthetic(tmp_path / "template.n42", seed=2)
    same_type = synthetic(tmp_path / "candidate.n42", seed=3)
    code, out, err = run(
        "template",
        "compare",
        str(template),
        str(same_type),
        "-t",
        "warhead-dismantlement",
        "--json",
    )
    assert code == 0, err
    document = json.loads(out)
    assert set(document["outputs"]) == {"pass"}
    assert isinstance(document["outputs"]["pass"], bool)
    assert document["false_alarm_probability"] == 0.05
    # The template against itself: zero deviance, a pass whatever the noise.
    code, out, err = run(
        "template", "compare", str(template), str(template), "-t", "warhead-dismantlement", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["outputs"] == {"pass": True}


def test_template_compare_catches_a_different_line(tmp_path: Path) -> None:
    template = synthetic(tmp_path / "template.n42", seed=4)
    hoax = synthetic(tmp_path / "hoax.n42", seed=5, line_kev=609.3)
    code, out, err = run(
        "template",
        "compare",
        str(template),
        str(hoax),
        "--treaty",
        "warhead-dismantlement",
        "--json",
        "--all-outputs",
    )
    assert code == 0, err
    outputs = json.loads(out)["outputs"]
    assert outputs["pass"] is False
    assert outputs["p_value"] < 1e-6


def test_template_compare_refuses_different_channel_counts(tmp_path: Path) -> None:
    template = synthetic(tmp_path / "template.n42", seed=6)
    other = synthetic(tmp_path / "other.n42", seed=7, channels=1024)
    code, _out, err = run(
        "template", "compare", str(template), str(other), "-t", "warhead-dismantlement"
    )
    assert code == 2 and "channel count" in err and err.count("\n") == 1


def test_template_compare_needs_a_treaty_with_a_template_method(tmp_path: Path) -> None:
    template = synthetic(tmp_path / "template.n42", seed=8)
    code, _out, err = run("template", "compare", str(template), str(template), "-t", "new-start")
    assert code == 2 and "template.spectrum-match" in err


@pytest.fixture(scope="module")
def plutonium_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from treatyverify.methods.gamma.simulate import HPGE_COAXIAL, simulate_item

    spectrum = simulate_item(
        "weapon-grade-pu",
        mass_kg=4.0,
        detector=HPGE_COAXIAL,
        live_time_s=1800.0,
        distance_cm=100.0,
        shielding=[("Fe", 2.0)],
        age_years=20.0,  # well clear of the treaty's 10-year threshold
        rng=np.random.default_rng(21),
    )
    path = tmp_path_factory.mktemp("pu") / "item.n42"
    write_n42(spectrum, path)
    return path


def test_gamma_attributes_release_only_pass(plutonium_file: Path) -> None:
    code, out, err = run(
        "gamma",
        "attributes",
        str(plutonium_file),
        "-t",
        "warhead-dismantlement",
        "-c",
        "warhead-in-container",
        "--json",
    )
    assert code == 0, err
    releases = json.loads(out)["releases"]
    assert [r["method_id"] for r in releases] == [
        "pu-presence",
        "pu-isotopic-ratio",
        "pu-age",
        "oxide-absence",
    ]
    for release in releases:
        assert release["status"] == "ok", release
        assert release["outputs"] == {"pass": True}
    assert '"ratio"' not in out and "age_years" not in out and "0.06" not in out


def test_gamma_attributes_are_recorded_in_the_ledger(plutonium_file: Path, tmp_path: Path) -> None:
    from treatyverify.records.keys import generate_party_key, write_key_pair
    from treatyverify.records.ledger import Ledger
    from treatyverify.records.verify import verify_ledger
    from treatyverify.treaty import load_treaty

    spec = load_treaty("warhead-dismantlement")
    keys = {p.id: generate_party_key(p.id) for p in spec.parties}
    write_key_pair(keys["inspector-1"], tmp_path)
    ledger_path = tmp_path / "ledger.sqlite"
    Ledger.create(
        ledger_path,
        treaty=spec.id,
        spec_digest=spec.digest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=spec.consensus_parties(),
        opener=keys["host"],
    ).close()
    code, _out, err = run(
        "gamma",
        "attributes",
        str(plutonium_file),
        "-t",
        "warhead-dismantlement",
        "-c",
        "warhead-in-container",
        "--record",
        "W-0007",
        "--key",
        str(tmp_path / "inspector-1.key"),
        "--ledger",
        str(ledger_path),
    )
    assert code == 0, err
    with Ledger.open(ledger_path) as ledger:
        record = ledger.get(1)
        assert record.kind == "measurement_result"
        assert record.body["item"] == "W-0007"
        assert {r["outputs"]["pass"] for r in record.body["releases"]} == {True}
        verify_ledger(ledger)


def test_gamma_attributes_for_a_class_without_gamma_methods_is_refused(
    plutonium_file: Path,
) -> None:
    code, _out, err = run(
        "gamma",
        "attributes",
        str(plutonium_file),
        "-t",
        "warhead-dismantlement",
        "-c",
        "fissile-material-in-container",
    )
    assert code == 2 and "no gamma attribute" in err


def test_template_compare_by_multiplets(plutonium_file: Path, tmp_path: Path) -> None:
    from treatyverify.methods.gamma.simulate import HPGE_COAXIAL, simulate_item

    hoax = tmp_path / "hoax.n42"
    write_n42(
        simulate_item(
            "reactor-grade-substitute",
            mass_kg=4.0,
            detector=HPGE_COAXIAL,
            live_time_s=1800.0,
            distance_cm=100.0,
            shielding=[("Fe", 2.0)],
            rng=np.random.default_rng(22),
        ),
        hoax,
    )
    common = ["-t", "warhead-dismantlement", "--method-id", "template-multiplets", "--json"]
    resolution = ["--fwhm-noise-kev", "0.7293", "--fwhm-fano-kev", "0.00209"]
    code, out, err = run(
        "template", "compare", str(plutonium_file), str(plutonium_file), *common, *resolution
    )
    assert code == 0, err
    assert json.loads(out)["outputs"] == {"pass": True}
    code, out, err = run(
        "template", "compare", str(plutonium_file), str(hoax), *common, *resolution
    )
    assert code == 0, err
    assert json.loads(out)["outputs"] == {"pass": False}
