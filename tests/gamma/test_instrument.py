"""Instrument profiles, the detector class of a resolution, and the refusal of
spectra that a line analysis cannot use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from treatyverify.errors import InputError, MethodRefusedError, SpecError
from treatyverify.methods.gamma.attributes import GammaMeasurement
from treatyverify.methods.gamma.instrument import (
    CLASS_BOUNDARIES,
    HPGE_CLASS_MAX,
    DetectorKind,
    InstrumentProfile,
    detector_label,
    load_instrument_profile,
    reference_energy_kev,
    require_high_resolution,
    resolution_class,
    resolve_instrument,
)
from treatyverify.methods.gamma.resolution import calibration_from_edges
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.treaty import parse_treaty_yaml

PROFILE = {
    "id": "lab-hpge",
    "name": "Coaxial HPGe, 40 % relative efficiency",
    "detector": "hpge",
    "fwhm_noise_kev": 0.75,
    "fwhm_fano_kev": 0.0021,
    "source": "acceptance test report, unit test fixture",
}


def measurement(
    relative_fwhm_662: float, profile: InstrumentProfile | None = None
) -> GammaMeasurement:
    """A measurement whose resolution is all statistical, with the given relative FWHM
    at 662 keV."""
    edges = np.arange(4097, dtype=np.float64) * 0.5
    spectrum = Spectrum(
        counts=np.full(4096, 10.0),
        live_time_s=10.0,
        real_time_s=10.0,
        channel_edges_kev=edges,
        source="item.n42",
    )
    energy = reference_energy_kev()
    fano = (relative_fwhm_662 * energy) ** 2 / energy
    return GammaMeasurement(spectrum, calibration_from_edges(spectrum), 0.0, fano, profile)


def test_the_reference_energy_is_the_cs137_line() -> None:
    assert reference_energy_kev() == pytest.approx(661.66, abs=0.01)


@pytest.mark.parametrize(
    ("relative", "kind"),
    [
        (0.0025, DetectorKind.HPGE),  # 0.2-0.3 %
        (HPGE_CLASS_MAX, DetectorKind.HPGE),
        (0.0063, DetectorKind.CZT),  # small cooled CZT
        (0.02, DetectorKind.CZT),  # coplanar-grid CZT
        (0.0285, DetectorKind.LABR3),  # LaBr3(Ce)
        (0.04, DetectorKind.LABR3),  # CeBr3 falls in the LaBr3 class
        (0.07, DetectorKind.NAI),  # NaI(Tl)
        (0.5, DetectorKind.NAI),
    ],
)
def test_published_resolutions_fall_in_their_class(relative: float, kind: DetectorKind) -> None:
    assert resolution_class(relative) is kind


def test_the_class_boundaries_increase() -> None:
    bounds = [b for b, _ in CLASS_BOUNDARIES]
    assert bounds == sorted(bounds) and bounds[-1] == float("inf")
    with pytest.raises(InputError):
        resolution_class(float("nan"))


def test_an_hpge_resolution_is_accepted() -> None:
    require_high_resolution(measurement(0.003), "gamma.pu240-pu239-ratio")


@pytest.mark.parametrize(("relative", "label"), [(0.012, "CZT"), (0.03, "LaBr3"), (0.07, "NaI")])
def test_a_low_resolution_is_refused_without_digits(relative: float, label: str) -> None:
    with pytest.raises(MethodRefusedError) as caught:
        require_high_resolution(measurement(relative), "gamma.pu-age")
    error = caught.value
    assert error.code == "needs-high-resolution"
    assert error.where == "item.n42"
    assert f"{label}-class" in error.message and "gamma.pu-age" in error.message
    assert "resolution of the spectrum" in error.message
    digits = error.message.replace("gamma.pu-age", "").replace("LaBr3", "")
    assert not any(ch.isdigit() for ch in digits)
    assert "\n" not in str(error)


def test_the_profile_kind_refuses_even_a_sharp_resolution() -> None:
    nai = InstrumentProfile(id="probe", name="NaI probe", detector="nai", source="test")
    with pytest.raises(MethodRefusedError, match="from a NaI detector \\(instrument 'probe'\\)"):
        require_high_resolution(measurement(0.003, nai), "gamma.u-enrichment")


def test_an_hpge_profile_does_not_excuse_a_wide_resolution() -> None:
    hpge = InstrumentProfile.model_validate(PROFILE)
    with pytest.raises(MethodRefusedError, match="the instrument's resolution is that of a NaI"):
        require_high_resolution(measurement(0.07, hpge), "gamma.pu-presence")
    other = InstrumentProfile(id="x", name="x", detector="other", source="test")
    require_high_resolution(measurement(0.003, other), "gamma.pu-presence")


def write(tmp_path: Path, data: object, name: str = "hpge.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_profile_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "eff.csv").write_text("59.5,0.4\n122,1.0\n1332,0.2\n", encoding="utf-8")
    path = write(tmp_path, {**PROFILE, "efficiency": {"file": "eff.csv"}})
    profile = load_instrument_profile(path)
    assert profile.detector is DetectorKind.HPGE and profile.has_resolution
    assert profile.efficiency is not None
    assert profile.efficiency.relative_efficiency == (0.4, 1.0, 0.2)
    assert profile.efficiency.relative_uncertainty is None


@pytest.mark.parametrize(
    ("data", "where", "words"),
    [
        ({**PROFILE, "detector": "germanium"}, "detector", "hpge"),
        ({k: v for k, v in PROFILE.items() if k != "source"}, "source", "required"),
        ({**PROFILE, "fwhm_fano_kev": "0.002"}, "fwhm_fano_kev", "number"),
        ({**PROFILE, "colour": "blue"}, "colour", "not permitted"),
        ([1, 2], None, "mapping"),
    ],
)
def test_a_bad_profile_file_names_file_and_field(
    tmp_path: Path, data: object, where: str | None, words: str
) -> None:
    path = write(tmp_path, data)
    with pytest.raises(SpecError) as caught:
        load_instrument_profile(path)
    assert caught.value.where is not None and caught.value.where.startswith(str(path))
    if where is not None:
        assert caught.value.where.endswith(where)
    assert words in caught.value.message


def test_unreadable_and_malformed_profile_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read instrument file"):
        load_instrument_profile(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError, match="malformed YAML") as caught:
        load_instrument_profile(bad)
    assert caught.value.where is not None and caught.value.where.startswith(f"{bad}:")


def test_an_instrument_is_named_by_treaty_id_or_by_file(tmp_path: Path) -> None:
    data = {
        "id": "t",
        "name": "Test treaty",
        "short_name": "Test",
        "status": "notional",
        "sources": ["unit test fixture"],
        "parties": [{"id": "aa", "name": "State A", "roles": ["inspected"]}],
        "instruments": [PROFILE],
    }
    spec = parse_treaty_yaml(yaml.safe_dump(data))
    assert resolve_instrument("lab-hpge", spec).name == PROFILE["name"]
    with pytest.raises(SpecError, match="no instrument 'nai-probe'"):
        resolve_instrument("nai-probe", spec)
    with pytest.raises(InputError, match="no treaty"):
        resolve_instrument("lab-hpge")
    path = write(tmp_path, {**PROFILE, "id": "from-file"})
    assert resolve_instrument(str(path), spec).id == "from-file"


def test_every_kind_has_a_label() -> None:
    assert [detector_label(k) for k in DetectorKind][:2] == ["HPGe", "CZT"]
    assert all(detector_label(k) for k in DetectorKind)
