"""The multiplet comparison: genuine plutonium items pass at the stated rate, hoaxes fail.

Items are simulated (``simulate_item``): a weapon-grade plutonium template of 4 kg at
50 cm, 10 minutes; genuine candidates differ by up to 2 % in mass and 1 cm in
distance; hoaxes are the simulator's reactor-grade substitute, lead and depleted
uranium objects of the declared mass.
"""

from __future__ import annotations

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.gamma.attributes import GammaMeasurement
from treatyverify.methods.gamma.resolution import measurement_from_spectrum
from treatyverify.methods.gamma.simulate import HPGE_COAXIAL, simulate_item
from treatyverify.methods.template.multiplets import compare_multiplets

# The detector's resolution as a straight line in FWHM^2 over 200-700 keV (the same
# instrument calibration docs/benchmarks.md uses).
NOISE_KEV, FANO_KEV = 0.7293, 0.00209


def item(kind: str, rng: np.random.Generator, *, vary: bool = True) -> GammaMeasurement:
    mass = 4.0 * (1.0 + (0.02 * rng.uniform(-1.0, 1.0) if vary else 0.0))
    distance = 50.0 + (rng.uniform(-1.0, 1.0) if vary else 0.0)
    spectrum = simulate_item(
        kind,
        mass_kg=mass,
        detector=HPGE_COAXIAL,
        live_time_s=600.0,
        distance_cm=distance,
        age_years=20.0,
        rng=rng,
    )
    return measurement_from_spectrum(spectrum, fwhm_noise_kev=NOISE_KEV, fwhm_fano_kev=FANO_KEV)


def test_genuine_items_pass_at_the_stated_false_alarm_rate() -> None:
    rng = np.random.default_rng(2026)
    trials, alpha = 120, 0.05
    failures = 0
    p_values = []
    for _ in range(trials):
        template = item("weapon-grade-pu", rng, vary=False)
        result = compare_multiplets(
            template, item("weapon-grade-pu", rng), false_alarm_probability=alpha
        )
        failures += not result.passed
        p_values.append(result.p_value)
    # 6 expected; a rate beyond 13 in 120 (binomial tail below 0.3 %) means a miscalibrated test.
    assert failures <= 13
    assert 0.3 < float(np.median(p_values)) < 0.7


@pytest.mark.parametrize("hoax", ["reactor-grade-substitute", "lead-hoax", "du-hoax"])
def test_hoaxes_are_caught(hoax: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(15):
        template = item("weapon-grade-pu", rng, vary=False)
        result = compare_multiplets(template, item(hoax, rng), false_alarm_probability=0.01)
        assert not result.passed
        assert result.p_value < 1e-6


def test_a_template_without_plutonium_is_refused() -> None:
    rng = np.random.default_rng(3)
    with pytest.raises(InputError) as caught:
        compare_multiplets(
            item("lead-hoax", rng), item("weapon-grade-pu", rng), false_alarm_probability=0.05
        )
    assert "plutonium" in caught.value.message


def test_the_threshold_must_be_a_probability() -> None:
    rng = np.random.default_rng(4)
    measurement = item("weapon-grade-pu", rng)
    with pytest.raises(InputError):
        compare_multiplets(measurement, measurement, false_alarm_probability=0.0)
