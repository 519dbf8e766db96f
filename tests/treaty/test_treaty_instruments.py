"""The ``instruments:`` section: profiles with their sources, named by methods."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from treaty_helpers import dump, minimal_spec

from treatyverify.errors import SpecError
from treatyverify.treaty import (
    DetectorKind,
    InstrumentProfile,
    load_treaty,
    parse_treaty_yaml,
    treaty_markdown,
)

HPGE: dict[str, Any] = {
    "id": "portal-hpge",
    "name": "Mechanically cooled coaxial HPGe",
    "detector": "hpge",
    "fwhm_noise_kev": 1.2,
    "fwhm_fano_kev": 0.0025,
    "efficiency": {
        "energies_kev": [100.0, 400.0, 1000.0],
        "relative_efficiency": [1.0, 0.55, 0.25],
        "relative_uncertainty": [0.02, 0.02, 0.03],
    },
    "source": "unit test fixture",
}


def with_instruments(*profiles: dict[str, Any], method_instrument: object = None) -> dict[str, Any]:
    data = minimal_spec()
    data["instruments"] = list(profiles)
    if method_instrument is not None:
        data["methods"][0]["parameters"]["instrument"] = method_instrument
    return data


def test_instruments_are_optional_and_empty_by_default() -> None:
    spec = parse_treaty_yaml(dump(minimal_spec()), "t.yaml")
    assert spec.instruments == ()
    assert spec.method_instrument("ratio") is None


def test_a_method_names_an_instrument_of_the_treaty() -> None:
    spec = parse_treaty_yaml(dump(with_instruments(HPGE, method_instrument="portal-hpge")))
    profile = spec.method_instrument("ratio")
    assert isinstance(profile, InstrumentProfile)
    assert profile.detector is DetectorKind.HPGE
    assert profile.has_resolution
    assert profile.efficiency is not None
    assert profile.efficiency.energies_kev == (100.0, 400.0, 1000.0)
    assert spec.instrument("portal-hpge") is profile


@pytest.mark.parametrize("named", ["nai-probe", 3])
def test_an_unknown_instrument_is_refused_naming_treaty_and_field(named: object) -> None:
    with pytest.raises(SpecError) as caught:
        parse_treaty_yaml(dump(with_instruments(HPGE, method_instrument=named)), "t.yaml")
    where = caught.value.where or ""
    assert where.startswith("t.yaml:") and where.endswith(": methods[0].parameters.instrument")
    assert "portal-hpge" in caught.value.message  # the known ones are listed


def test_asking_for_an_absent_instrument_names_the_field() -> None:
    spec = parse_treaty_yaml(dump(minimal_spec()))
    with pytest.raises(SpecError) as caught:
        spec.instrument("nai-probe")
    assert caught.value.where == "treaty test-treaty: instruments.nai-probe"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"detector": "germanium"}, "instruments[0].detector", "hpge"),
        ({"fwhm_fano_kev": None}, "instruments[0]", "both resolution terms"),
        ({"fwhm_noise_kev": -1.0}, "instruments[0].fwhm_noise_kev", "greater than"),
        ({"fwhm_noise_kev": 0, "fwhm_fano_kev": 0}, "instruments[0]", "zero"),
        ({"source": ""}, "instruments[0].source", "at least 1"),
        (
            {"efficiency": {"energies_kev": [1.0, 1.0], "relative_efficiency": [1.0, 1.0]}},
            "instruments[0].efficiency",
            "increase",
        ),
        (
            {"efficiency": {"energies_kev": [1.0, 2.0], "relative_efficiency": [1.0, 0.0]}},
            "instruments[0].efficiency.relative_efficiency[1]",
            "greater than 0",
        ),
        (
            {"efficiency": {"energies_kev": [1.0, 2.0], "relative_efficiency": [1.0]}},
            "instruments[0].efficiency.relative_efficiency",
            "at least 2",
        ),
        (
            {
                "efficiency": {
                    "energies_kev": [1.0, 2.0, 3.0],
                    "relative_efficiency": [1.0, 1, 1],
                    "relative_uncertainty": [0.1, 0.1],
                }
            },
            "instruments[0].efficiency.relative_uncertainty",
            "2 values for 3 energies",
        ),
        (
            {"absorbers": [{"material": "lead", "areal_density_g_cm2": 1.0}]},
            "instruments[0].absorbers[0].material",
            "Pb",
        ),
        (
            {"absorbers": [{"material": "Cd", "areal_density_g_cm2": 0}]},
            "instruments[0].absorbers[0].areal_density_g_cm2",
            "greater than 0",
        ),
    ],
)
def test_bad_profiles_name_the_field(change: dict[str, Any], field: str, words: str) -> None:
    profile = {**HPGE, **change}
    profile = {k: v for k, v in profile.items() if v is not None}
    with pytest.raises(SpecError) as caught:
        parse_treaty_yaml(dump(with_instruments(profile)), "t.yaml")
    text = f"{caught.value.where} {caught.value.message}"
    assert field in text
    assert words in caught.value.message


def test_a_profile_declares_its_absorbers() -> None:
    filtered = {**HPGE, "absorbers": [{"material": "Cd", "areal_density_g_cm2": 0.865}]}
    spec = parse_treaty_yaml(dump(with_instruments(filtered)), "t.yaml")
    (absorber,) = spec.instrument("portal-hpge").absorbers
    assert (absorber.material, absorber.areal_density_g_cm2) == ("Cd", 0.865)


def test_duplicate_instrument_ids_are_refused() -> None:
    with pytest.raises(SpecError, match="instruments: duplicate id 'portal-hpge'"):
        parse_treaty_yaml(dump(with_instruments(HPGE, HPGE)))


def write_treaty_with_csv(tmp_path: Path, csv_text: str) -> Path:
    (tmp_path / "eff.csv").write_text(csv_text, encoding="utf-8")
    profile = {**HPGE, "efficiency": {"file": "eff.csv"}}
    path = tmp_path / "treaty.yaml"
    path.write_text(dump(with_instruments(profile)), encoding="utf-8")
    return path


def test_the_efficiency_is_read_from_a_csv_beside_the_treaty(tmp_path: Path) -> None:
    path = write_treaty_with_csv(
        tmp_path,
        "# relative efficiency, measured 2026\nenergy_kev,eff,unc\n"
        "121.8,1.0,0.02\n344.3,0.62,0.02\n1408.0,0.21,0.03\n",
    )
    curve = load_treaty(path).instruments[0].efficiency
    assert curve is not None
    assert curve.file == "eff.csv"
    assert curve.energies_kev == (121.8, 344.3, 1408.0)
    assert curve.relative_efficiency == (1.0, 0.62, 0.21)
    assert curve.relative_uncertainty == (0.02, 0.02, 0.03)


@pytest.mark.parametrize(
    ("csv_text", "words"),
    [
        ("100,1.0\n90,0.5\n", "energies must increase"),
        ("100,1.0\n200,-0.5\n", "greater than 0"),
        ("100,1.0\n200,abc\n", "line 2: not a number"),
        ("100,1.0,0.1,7\n", "2 or 3 columns"),
        ("100,1.0,0.1\n200,0.5\n", "line 2: every row"),
        ("# nothing\n", "no rows"),
    ],
)
def test_a_bad_efficiency_csv_names_the_file(tmp_path: Path, csv_text: str, words: str) -> None:
    path = write_treaty_with_csv(tmp_path, csv_text)
    with pytest.raises(SpecError) as caught:
        load_treaty(path)
    assert caught.value.where is not None and caught.value.where.startswith("treaty.yaml")
    assert "eff.csv" in caught.value.message or "efficiency" in caught.value.where
    assert words in caught.value.message


def test_a_missing_efficiency_file_is_named(tmp_path: Path) -> None:
    profile = {**HPGE, "efficiency": {"file": "absent.csv"}}
    path = tmp_path / "treaty.yaml"
    path.write_text(dump(with_instruments(profile)), encoding="utf-8")
    with pytest.raises(SpecError, match=r"absent\.csv: cannot read the efficiency file"):
        load_treaty(path)


def test_values_and_a_file_together_are_refused(tmp_path: Path) -> None:
    profile = {**HPGE, "efficiency": {**HPGE["efficiency"], "file": "eff.csv"}}
    with pytest.raises(SpecError, match="not both"):
        parse_treaty_yaml(dump(with_instruments(profile)))


def test_the_page_lists_the_instruments_with_their_source() -> None:
    spec = parse_treaty_yaml(dump(with_instruments(HPGE, method_instrument="portal-hpge")))
    page = treaty_markdown(spec)
    assert "## Instruments" in page
    row = next(line for line in page.splitlines() if line.startswith("| portal-hpge"))
    for text in ["hpge", "1.2", "0.0025", "3 points, 100.0-1000.0 keV", "unit test fixture"]:
        assert text in row


def test_a_treaty_without_instruments_keeps_its_digest() -> None:
    data = minimal_spec()
    before = parse_treaty_yaml(dump(data)).digest()
    data["instruments"] = []
    assert parse_treaty_yaml(dump(data)).digest() == before
