"""Absorbers declared in an instrument profile enter the isotopics' efficiency model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from treatyverify.methods.gamma.io import load_spectrum
from treatyverify.methods.gamma.isotopic_attributes import u_enrichment
from treatyverify.methods.gamma.item_isotopics import efficiency_model
from treatyverify.methods.gamma.resolution import measurement_from_spectrum
from treatyverify.methods.nucdata.tables import mass_attenuation_array
from treatyverify.treaty import DeclaredAbsorber, DetectorKind, InstrumentProfile

HPGE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "gamma"
    / "reference"
    / "hpge-fulcrum-40h"
)

# NIST XCOM total attenuation with coherent scattering for iron (J. H. Hubbell and S. M.
# Seltzer, NIST X-ray mass attenuation coefficients, Table 3): cm^2/g.
IRON_MU_RHO = {200.0: 0.1460, 1000.0: 0.05995}
STEEL_1MM_G_CM2 = 0.787  # 0.1 cm x 7.87 g/cm^3 (iron's density, same table)


def _profile(*absorbers: DeclaredAbsorber) -> InstrumentProfile:
    return InstrumentProfile(
        id="coax",
        name="coaxial HPGe behind a steel wall",
        detector=DetectorKind.HPGE,
        absorbers=absorbers,
        source="unit test",
    )


def test_the_tables_match_nist_for_iron() -> None:
    for energy, mu in IRON_MU_RHO.items():
        assert float(mass_attenuation_array("Fe", [energy])[0]) == pytest.approx(mu, rel=0.01)


@pytest.mark.skipif(not HPGE.is_dir(), reason="GADRAS reference spectra not present")
def test_a_declared_wall_attenuates_the_item_lines_and_is_not_fitted() -> None:
    measurement = measurement_from_spectrum(load_spectrum(HPGE / "U235_Unshielded_2000.txt"))
    bare = efficiency_model(measurement, "U")
    walled_measurement = dataclasses.replace(
        measurement,
        instrument=_profile(DeclaredAbsorber(material="Fe", areal_density_g_cm2=STEEL_1MM_G_CM2)),
    )
    walled = efficiency_model(walled_measurement, "U")
    assert walled.names == bare.names == ("slope", "low_energy", "x_item")
    energies = np.array(sorted(IRON_MU_RHO))
    theta = bare.start(5.0)
    log_bare, _ = bare.log_efficiency(theta, bare.attenuation_table(energies))
    log_walled, _ = walled.log_efficiency(theta, walled.attenuation_table(energies))
    expected = -np.array([IRON_MU_RHO[e] for e in energies]) * STEEL_1MM_G_CM2
    np.testing.assert_allclose(log_walled - log_bare, expected, rtol=0.01)


@pytest.mark.skipif(not HPGE.is_dir(), reason="GADRAS reference spectra not present")
def test_an_absorber_declared_but_absent_moves_the_enrichment_within_its_uncertainty() -> None:
    # 20 % uranium measured bare, analysed as if behind 1 mm of steel: the item's own
    # thickness absorbs most of the difference, and the uncertainty covers the rest.
    measurement = measurement_from_spectrum(load_spectrum(HPGE / "U235_Unshielded_2000.txt"))
    walled = dataclasses.replace(
        measurement,
        instrument=_profile(DeclaredAbsorber(material="Fe", areal_density_g_cm2=STEEL_1MM_G_CM2)),
    )
    params = {
        "min_enrichment": 0.2,
        "confidence_level": 0.95,
        "max_relative_uncertainty": 0.5,
        "min_signature_sigma": 3.0,
    }
    bare_value = u_enrichment(measurement, **params).enrichment
    walled_value = u_enrichment(walled, **params).enrichment
    assert bare_value is not None and walled_value is not None
    assert walled_value.value != bare_value.value
    assert abs(walled_value.value - 0.20) < 2.0 * walled_value.sigma
