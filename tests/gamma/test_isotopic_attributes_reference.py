"""Isotopic attributes on spectra no one here made: the GADRAS reference set.

The spectra (../shared/data/gamma/reference, INVENTORY.md) were computed by GADRAS for
a Fulcrum-40h HPGe and a 2x4x16 NaI detector; the enrichment of ``U235_Unshielded_XXXX``
is in its name, ``U238_*`` is depleted uranium. The thresholds are the treaty's
(warhead-dismantlement). The full table, with every spectrum, is
``benchmarks/gamma_validation.py``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from treatyverify.errors import MethodRefusedError
from treatyverify.methods.decision import Decision
from treatyverify.methods.gamma.io import load_spectrum
from treatyverify.methods.gamma.isotopic_attributes import pu240_pu239_ratio, pu_age, u_enrichment
from treatyverify.methods.gamma.measurement import GammaMeasurement
from treatyverify.methods.gamma.resolution import measurement_from_spectrum
from treatyverify.treaty import load_treaty

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "data" / "gamma" / "reference"
HPGE, NAI = REFERENCE / "hpge-fulcrum-40h", REFERENCE / "nai-2x4x16"
pytestmark = pytest.mark.skipif(
    not HPGE.is_dir(), reason=f"GADRAS reference spectra not present at {REFERENCE}"
)
SPEC = load_treaty("warhead-dismantlement")


def params(method_id: str) -> dict[str, float]:
    method = next(m for m in SPEC.methods if m.id == method_id)
    return {k: float(v) for k, v in method.parameters.items() if isinstance(v, int | float)}


def measurement(folder: Path, name: str) -> GammaMeasurement:
    return measurement_from_spectrum(load_spectrum(folder / f"{name}.txt"))


@pytest.mark.parametrize(
    ("name", "truth", "decision"),
    [
        ("U235_Unshielded_0200", 0.02, Decision.FAIL),
        ("U235_Unshielded_1000", 0.10, Decision.FAIL),
        ("U235_Unshielded_4000", 0.40, Decision.PASS),
        ("U235_Unshielded_9330", 0.933, Decision.PASS),
        ("U238_Unshielded", 0.002, Decision.FAIL),
    ],
)
def test_enrichment_within_three_sigma_and_decided_right(
    name: str, truth: float, decision: Decision
) -> None:
    result = u_enrichment(measurement(HPGE, name), **params("u-enrichment"))
    assert result.enrichment is not None
    value = result.enrichment
    assert abs(value.value - truth) < 3.0 * value.sigma
    assert value.lower <= value.value <= value.upper
    assert result.verdict.decision is decision


def test_weapon_grade_plutonium_passes_and_is_seen() -> None:
    item = measurement(HPGE, "Pu239_Shielded")
    ratio = pu240_pu239_ratio(item, **params("pu-isotopic-ratio"))
    assert ratio.pu239.seen and ratio.ratio is not None
    assert ratio.verdict.decision is Decision.PASS
    assert 0.03 < ratio.ratio.value < 0.08
    age = pu_age(item, **params("pu-age"))
    assert age.age_years is not None and age.age_years.value > 5.0


@pytest.mark.parametrize(
    "name",
    [
        "Cs137_Unshielded",
        "Am241_Unshielded",
        "U235_Unshielded_2000",
        # Np-237's daughter Pa-233 has lines beside Pu-239's 345.0, 375.1 and 413.7 keV.
        "Np237_Unshielded",
        "Np237_Shielded",
    ],
)
def test_plutonium_attributes_fail_without_pu239(name: str) -> None:
    item = measurement(HPGE, name)
    ratio = pu240_pu239_ratio(item, **params("pu-isotopic-ratio"))
    assert not ratio.pu239.seen and ratio.ratio is None
    assert ratio.verdict.decision is Decision.FAIL and ratio.verdict.reason == "no-signature"
    assert pu_age(item, **params("pu-age")).verdict.decision is Decision.FAIL


def test_radium_is_not_taken_for_uranium() -> None:
    # Ra-226 at 186.2 keV sits on U-235's 185.7 keV: the signature leaves that line out.
    result = u_enrichment(measurement(HPGE, "Ra226_Unshielded"), **params("u-enrichment"))
    assert not result.u235.seen
    assert result.verdict.decision is not Decision.PASS


def test_uranium_in_plutonium_is_fitted_not_mistaken() -> None:
    # Pu239_Shielded with a 10 % HEU spectrum added: U-235's 143.8, 163.4 and 205.3 keV
    # lines sit on or beside Pu-239 and Pu-241 lines; left out of the fit they halved
    # the Pu-240/Pu-239 ratio.
    base = measurement(HPGE, "Pu239_Shielded")
    heu = load_spectrum(HPGE / "U235_Unshielded.txt")
    rng = np.random.default_rng(5)
    keep = min(0.1 * base.spectrum.total_counts / heu.total_counts, 1.0)
    added = rng.binomial(heu.counts.astype(np.int64), keep).astype(np.float64)
    mixed = dataclasses.replace(base.spectrum, counts=base.spectrum.counts + added)
    item = dataclasses.replace(base, spectrum=mixed)
    pure = pu240_pu239_ratio(base, **params("pu-isotopic-ratio")).ratio
    ratio = pu240_pu239_ratio(item, **params("pu-isotopic-ratio")).ratio
    assert pure is not None and ratio is not None
    assert abs(ratio.value - pure.value) < 0.5 * pure.sigma


@pytest.mark.parametrize("name", ["U235_Unshielded_9330", "Pu239_Shielded", "Cs137_Unshielded"])
def test_nai_spectra_are_refused(name: str) -> None:
    with pytest.raises(MethodRefusedError) as caught:
        item = measurement(NAI, name)
        u_enrichment(item, **params("u-enrichment"))
    assert caught.value.code == "needs-high-resolution"
