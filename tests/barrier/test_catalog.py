"""The method catalog: every implemented treaty method, through the barrier, releasing `pass`."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pytest
from scipy import special

from treatyverify.barrier.barrier import InformationBarrier
from treatyverify.barrier.catalog import NOT_IMPLEMENTED, default_registry
from treatyverify.barrier.registry import MethodPlugin, MethodRegistry, OutputValue
from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.errors import SpecError
from treatyverify.methods.gamma.attributes import PU241_ALPHA_BRANCHING, GammaMeasurement
from treatyverify.methods.gamma.calibration import EnergyCalibration
from treatyverify.methods.gamma.simulate import HPGE_COAXIAL, simulate_item
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.neutron.attribute import MultiplicityMeasurement
from treatyverify.methods.neutron.point_model import predicted_rates
from treatyverify.methods.nucdata.tables import nuclide
from treatyverify.treaty.loader import load_treaty
from treatyverify.treaty.models import MethodSpec

SPEC = load_treaty("warhead-dismantlement")
N_CHANNELS = 4600
CAL = EnergyCalibration((0.0, 0.25), np.zeros((2, 2)), (0.0, float(N_CHANNELS)))


def gamma(activities: Mapping[str, float], seed: int) -> GammaMeasurement:
    """Lines of ``activities`` (1/s) on a flat-ish continuum, eps ~ (E/400)^-0.9, 1000 s."""
    edges = CAL.edges(N_CHANNELS)
    centre = 0.5 * (edges[:-1] + edges[1:])
    mu = 12.5 * (20.0 * np.exp(-centre / 250.0) + 1.0)
    for name, activity in activities.items():
        for ln in nuclide(name).lines:
            area = activity * ln.probability * 1000.0 * (ln.energy_kev / 400.0) ** -0.9
            sigma = math.sqrt(0.64 + 0.0012 * ln.energy_kev) / 2.3548
            mu = mu + area * np.diff(special.ndtr((edges - ln.energy_kev) / sigma))
    counts = np.random.default_rng(seed).poisson(mu).astype(np.float64)
    return GammaMeasurement(
        Spectrum(counts=counts, live_time_s=1000.0, real_time_s=1000.0), CAL, 0.8, 0.0012
    )


def simulated(kind: str, seed: int) -> GammaMeasurement:
    """A 4 kg item of the simulator's preset ``kind``, 1800 s on its coaxial HPGe, with
    the simulator's calibration and resolution: items the isotopic attributes, which
    model self-attenuation and a germanium detector, should decide."""
    spectrum = simulate_item(kind, mass_kg=4.0, live_time_s=1800.0, age_years=20.0, rng=seed)
    det = HPGE_COAXIAL
    cal = EnergyCalibration(
        (det.offset_kev, det.gain_kev_per_channel), np.zeros((2, 2)), (0.0, float(det.n_channels))
    )
    fano = det.fwhm_b_kev + det.fwhm_c * 500.0
    return GammaMeasurement(spectrum, cal, math.sqrt(det.fwhm_a_kev2), fano)


def weapon_plutonium(a239: float = 1.0e8) -> dict[str, float]:
    """Pu-240/239 = 0.06 atoms, Pu-241/239 = 0.004, separated 20 years ago."""
    t = {n: nuclide(n).half_life_s.value for n in ("Pu-239", "Pu-240", "Pu-241", "Am-241")}
    a241 = a239 * 0.004 * t["Pu-239"] / t["Pu-241"]
    lam_am, lam_pu = math.log(2) / t["Am-241"], math.log(2) / t["Pu-241"]
    q = lam_am / (lam_pu - lam_am) * math.expm1((lam_pu - lam_am) * 20.0 * 365.2422 * 86400)
    return {
        "Pu-239": a239,
        "Pu-240": a239 * 0.06 * t["Pu-239"] / t["Pu-240"],
        "Pu-241": a241,
        "U-237": a241 * PU241_ALPHA_BRANCHING,
        "Am-241": q * a241,
    }


def neutron(mass_kg: float) -> MultiplicityMeasurement:
    rates = predicted_rates(
        1000.0 * mass_kg * 0.06,
        1.1,
        0.0,
        efficiency=0.5,
        doubles_gate_fraction=0.65,
        triples_gate_fraction=0.4225,
    ).as_array()
    return MultiplicityMeasurement(
        float(rates[0]),
        float(rates[1]),
        float(rates[2]),
        np.diag((0.01 * rates) ** 2),
        0.5,
        0.65,
        0.4225,
        0.0,
        0.06,
        0.0,
    )


def _uid(data: SensitiveData, method: MethodSpec) -> Mapping[str, OutputValue]:
    return {"identifier-match": True}


def registry() -> MethodRegistry:
    methods = default_registry()
    methods.register(
        MethodPlugin("unique-identifier", ("tag",), frozenset({"identifier-match"}), _uid)
    )
    return methods


def test_catalog_covers_the_treaty_methods() -> None:
    used = {m.method for m in SPEC.methods}
    implemented = set(default_registry().names())
    assert used - implemented == {"unique-identifier"}
    assert used - implemented <= NOT_IMPLEMENTED
    assert "gamma.u-enrichment" in used and "gamma.symmetry" in used


def test_warhead_passes_every_attribute_and_releases_only_pass() -> None:
    data = SensitiveData(
        {"gamma": simulated("weapon-grade-pu", 1), "neutron": neutron(4.0), "tag": "T"}
    )
    releases = InformationBarrier(SPEC, "warhead-in-container", registry()).evaluate(data)
    assert [r.method_id for r in releases] == [
        m.id for m in SPEC.methods_for("warhead-in-container")
    ]
    for release in releases:
        assert release.status == "ok", release
        expected = "identifier-match" if release.method == "unique-identifier" else "pass"
        assert release.outputs == {expected: True}


def test_fuel_grade_light_item_fails_ratio_and_mass() -> None:
    data = SensitiveData(
        {"gamma": simulated("fuel-grade-pu", 2), "neutron": neutron(0.3), "tag": "T"}
    )
    by_id = {
        r.method_id: r
        for r in InformationBarrier(SPEC, "warhead-in-container", registry()).evaluate(data)
    }
    assert by_id["pu-isotopic-ratio"].outputs == {"pass": False}
    assert by_id["pu-mass"].outputs == {"pass": False}
    assert by_id["pu-presence"].outputs == {"pass": True}


def test_component_class_runs_templates_enrichment_and_symmetry() -> None:
    pu = weapon_plutonium(2e7)
    data = SensitiveData(
        {
            "gamma": simulated("heu", 3),
            "template": gamma(pu, 4).spectrum,
            "candidate": gamma(pu, 5).spectrum,
            "template_gamma": gamma(pu, 4),
            "candidate_gamma": gamma(pu, 5),
            "positions": [gamma(pu, 6 + k) for k in range(4)],
            "tag": "T",
        }
    )
    releases = InformationBarrier(SPEC, "nuclear-component-in-container", registry()).evaluate(data)
    assert {r.method_id: r.outputs for r in releases} == {
        "template-match": {"pass": True},
        "template-multiplets": {"pass": True},
        "u-enrichment": {"pass": True},
        "component-symmetry": {"pass": True},
        "uid-component-container": {"identifier-match": True},
    }


def test_missing_input_and_missing_parameter() -> None:
    data = SensitiveData({"tag": "T"})
    releases = InformationBarrier(SPEC, "warhead-in-container", registry()).evaluate(data)
    assert {r.reason for r in releases if r.method != "unique-identifier"} == {"missing-input"}
    method = next(m for m in SPEC.methods if m.method == "gamma.pu240-pu239-ratio")
    bare = method.model_copy(update={"parameters": {}})
    plugin = default_registry().get("gamma.pu240-pu239-ratio")
    with pytest.raises(SpecError, match="max_ratio"):
        plugin.run(SensitiveData({"gamma": gamma(weapon_plutonium(), 7)}), bare)
