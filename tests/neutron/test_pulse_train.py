"""Tests of the pulse-train simulator and shift-register analysis against the point model."""

from __future__ import annotations

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.neutron.constants import PU240_SF_PU239_INDUCED
from treatyverify.methods.neutron.point_model import (
    exponential_gate_fractions,
    predicted_rates,
    solve_point_model,
)
from treatyverify.methods.neutron.pulse_train import (
    factorial_moments,
    multiplicity_distributions,
    shift_register,
    simulate_pulse_train,
    terrell_distribution,
)

TAU_S = 50e-6
PREDELAY_S = 4.5e-6
GATE_S = 64e-6
LONG_DELAY_S = 1024e-6
EPS = 0.5


def test_distributions_have_the_tabulated_moments() -> None:
    c = PU240_SF_PU239_INDUCED
    d = multiplicity_distributions(c)
    assert factorial_moments(d.spontaneous) == pytest.approx((c.nu_s1, c.nu_s2, c.nu_s3), rel=1e-9)
    assert factorial_moments(d.induced) == pytest.approx((c.nu_i1, c.nu_i2, c.nu_i3), rel=1e-9)
    for p in (d.spontaneous, d.induced):
        assert np.all(p >= 0)
        assert p.sum() == pytest.approx(1.0)
    # Terrell's shape is close to the measured 240Pu distribution: the most likely
    # multiplicity is 2, and P(0) is a few per cent.
    assert int(np.argmax(d.spontaneous)) == 2
    assert 0.03 < d.spontaneous[0] < 0.10


def test_terrell_rejects_impossible_moments() -> None:
    with pytest.raises(InputError):
        terrell_distribution(2.0, 0.1, 5.0)


def _measure(
    m240eff_g: float, mult: float, alpha: float, duration_s: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    train = simulate_pulse_train(
        m240eff_g, mult, alpha, efficiency=EPS, die_away_s=TAU_S, duration_s=duration_s, seed=seed
    )
    result = shift_register(
        train, predelay_s=PREDELAY_S, gate_s=GATE_S, long_delay_s=LONG_DELAY_S, n_cycles=25
    )
    fd, ft = exponential_gate_fractions(TAU_S, PREDELAY_S, GATE_S)
    predicted = predicted_rates(
        m240eff_g, mult, alpha, efficiency=EPS, doubles_gate_fraction=fd, triples_gate_fraction=ft
    ).as_array()
    measured = np.array([result.singles_per_s, result.doubles_per_s, result.triples_per_s])
    assert result.foreground.sum() == result.accidentals.sum()
    return measured, predicted, result.covariance


@pytest.mark.parametrize(
    ("m240eff_g", "mult", "alpha", "seed"),
    [(10.0, 1.0, 0.0, 1), (20.0, 1.1, 1.0, 2), (10.0, 1.3, 0.5, 3)],
)
def test_simulated_rates_agree_with_point_model(
    m240eff_g: float, mult: float, alpha: float, seed: int
) -> None:
    measured, predicted, cov = _measure(m240eff_g, mult, alpha, 40.0, seed)
    pulls = (measured - predicted) / np.sqrt(np.diag(cov))
    assert np.all(np.abs(pulls) < 4.0), pulls
    # The rates themselves are measured to a few per cent at most.
    assert np.all(np.sqrt(np.diag(cov)) / predicted < 0.10)


def test_solving_simulated_rates_recovers_mass() -> None:
    m240eff_g, mult, alpha = 20.0, 1.1, 1.0
    measured, _, cov = _measure(m240eff_g, mult, alpha, 40.0, 11)
    fd, ft = exponential_gate_fractions(TAU_S, PREDELAY_S, GATE_S)
    sol = solve_point_model(
        *measured,
        efficiency=EPS,
        doubles_gate_fraction=fd,
        triples_gate_fraction=ft,
        covariance=cov,
    )
    assert abs(sol.m240eff_g - m240eff_g) < 3.0 * sol.m240eff_sigma_g
    assert abs(sol.multiplication - mult) < 3.0 * sol.multiplication_sigma
    assert abs(sol.alpha - alpha) < 3.0 * sol.alpha_sigma
    assert sol.m240eff_sigma_g / m240eff_g < 0.15


@pytest.mark.slow
def test_two_kilogram_item_recovers_mass() -> None:
    # About 2 kg of weapons-grade plutonium: 120 g 240Pu-effective, 200 s.
    m240eff_g, mult, alpha = 120.0, 1.15, 0.8
    measured, predicted, cov = _measure(m240eff_g, mult, alpha, 100.0, 5)
    pulls = (measured - predicted) / np.sqrt(np.diag(cov))
    assert np.all(np.abs(pulls) < 4.0), pulls
    fd, ft = exponential_gate_fractions(TAU_S, PREDELAY_S, GATE_S)
    sol = solve_point_model(
        *measured,
        efficiency=EPS,
        doubles_gate_fraction=fd,
        triples_gate_fraction=ft,
        covariance=cov,
    )
    assert abs(sol.m240eff_g - m240eff_g) < 3.0 * sol.m240eff_sigma_g


def test_same_seed_same_train() -> None:
    kw = {"efficiency": EPS, "die_away_s": TAU_S, "duration_s": 1.0}
    a = simulate_pulse_train(5.0, 1.1, 1.0, seed=42, **kw)
    b = simulate_pulse_train(5.0, 1.1, 1.0, seed=np.random.default_rng(42), **kw)
    np.testing.assert_array_equal(a.times_s, b.times_s)
    assert np.all(np.diff(a.times_s) >= 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"m240eff_g": 0.0}, "m240eff_g"),
        ({"multiplication": 0.9}, "multiplication"),
        ({"multiplication": 50.0}, "multiplication"),
        ({"alpha": -0.1}, "alpha"),
        ({"efficiency": 0.0}, "efficiency"),
        ({"die_away_s": -1.0}, "die_away_s"),
        ({"duration_s": 0.0}, "duration_s"),
    ],
)
def test_simulator_rejects_bad_input(kwargs: dict[str, float], field: str) -> None:
    args: dict[str, float] = {
        "m240eff_g": 5.0,
        "multiplication": 1.1,
        "alpha": 1.0,
        "efficiency": EPS,
        "die_away_s": TAU_S,
        "duration_s": 1.0,
    }
    args.update(kwargs)
    with pytest.raises(InputError) as info:
        simulate_pulse_train(
            args["m240eff_g"],
            args["multiplication"],
            args["alpha"],
            efficiency=args["efficiency"],
            die_away_s=args["die_away_s"],
            duration_s=args["duration_s"],
            seed=0,
        )
    assert info.value.where == field


def test_shift_register_rejects_bad_settings() -> None:
    train = simulate_pulse_train(
        5.0, 1.0, 0.0, efficiency=EPS, die_away_s=TAU_S, duration_s=1.0, seed=0
    )
    with pytest.raises(InputError) as info:
        shift_register(train, predelay_s=PREDELAY_S, gate_s=GATE_S, long_delay_s=10e-6)
    assert info.value.where == "long_delay_s"
    with pytest.raises(InputError) as info:
        shift_register(train, predelay_s=PREDELAY_S, gate_s=0.0, long_delay_s=LONG_DELAY_S)
    assert info.value.where == "gate_s"
    with pytest.raises(InputError) as info:
        shift_register(
            train, predelay_s=PREDELAY_S, gate_s=GATE_S, long_delay_s=LONG_DELAY_S, n_cycles=1
        )
    assert info.value.where == "n_cycles"
