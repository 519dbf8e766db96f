"""Tests of the point model: hand-computed rates, round trips, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.neutron.constants import PU240_SF_PU239_INDUCED
from treatyverify.methods.neutron.point_model import (
    exponential_gate_fractions,
    predicted_rates,
    pu_mass_from_m240eff,
    solve_point_model,
)

EPS = 0.5
FD = 0.6
FT = 0.36


def test_rates_without_multiplication_or_alpha_by_hand() -> None:
    # 10 g of 240Pu-effective: F = 473 * 10 = 4730 fissions/s.
    # S = F eps nu_s1           = 4730 * 0.5 * 2.154                 = 5094.21
    # D = F eps^2 fd nu_s2 / 2  = 4730 * 0.25 * 0.6 * 3.789 / 2      = 1344.14775
    # T = F eps^3 ft nu_s3 / 6  = 4730 * 0.125 * 0.36 * 5.211 / 6    = 184.860225
    rates = predicted_rates(
        10.0, 1.0, 0.0, efficiency=EPS, doubles_gate_fraction=FD, triples_gate_fraction=FT
    )
    assert rates.singles_per_s == pytest.approx(5094.21, rel=1e-12)
    assert rates.doubles_per_s == pytest.approx(1344.14775, rel=1e-12)
    assert rates.triples_per_s == pytest.approx(184.860225, rel=1e-12)


def test_alpha_scales_singles_only_without_multiplication() -> None:
    base = predicted_rates(
        10.0, 1.0, 0.0, efficiency=EPS, doubles_gate_fraction=FD, triples_gate_fraction=FT
    )
    with_alpha = predicted_rates(
        10.0, 1.0, 2.0, efficiency=EPS, doubles_gate_fraction=FD, triples_gate_fraction=FT
    )
    assert with_alpha.singles_per_s == pytest.approx(3 * base.singles_per_s, rel=1e-12)
    assert with_alpha.doubles_per_s == pytest.approx(base.doubles_per_s, rel=1e-12)
    assert with_alpha.triples_per_s == pytest.approx(base.triples_per_s, rel=1e-12)


def test_multiplied_doubles_by_hand() -> None:
    # M = 1.2, alpha = 1: x = 0.2 / 2.163, nu_s1 (1 + alpha) = 4.308.
    c = PU240_SF_PU239_INDUCED
    x = 0.2 / 2.163
    f = 4730.0
    doubles = f * 0.25 * 0.6 * 1.44 / 2 * (3.789 + x * 4.308 * 8.240)
    rates = predicted_rates(
        10.0, 1.2, 1.0, efficiency=EPS, doubles_gate_fraction=FD, triples_gate_fraction=FT
    )
    assert rates.singles_per_s == pytest.approx(f * 0.5 * 1.2 * 4.308, rel=1e-12)
    assert rates.doubles_per_s == pytest.approx(doubles, rel=1e-12)
    assert c.nu_i1 - 1 == pytest.approx(2.163)


MASSES = [10.0, 100.0, 500.0, 2000.0]
MULTS = [1.0, 1.05, 1.2, 1.5]
ALPHAS = [0.0, 0.5, 2.0, 5.0]


@pytest.mark.parametrize("mass", MASSES)
def test_round_trip_recovers_parameters(mass: float) -> None:
    for mult in MULTS:
        for alpha in ALPHAS:
            r = predicted_rates(
                mass,
                mult,
                alpha,
                efficiency=EPS,
                doubles_gate_fraction=FD,
                triples_gate_fraction=FT,
            )
            sol = solve_point_model(
                r.singles_per_s,
                r.doubles_per_s,
                r.triples_per_s,
                efficiency=EPS,
                doubles_gate_fraction=FD,
                triples_gate_fraction=FT,
            )
            assert sol.m240eff_g == pytest.approx(mass, rel=1e-9)
            assert sol.multiplication == pytest.approx(mult, rel=1e-9)
            assert sol.alpha == pytest.approx(alpha, rel=1e-9, abs=1e-9)


def test_uncertainty_propagation_matches_monte_carlo() -> None:
    r = predicted_rates(
        50.0, 1.1, 1.0, efficiency=EPS, doubles_gate_fraction=FD, triples_gate_fraction=FT
    )
    sigma = (0.001 * r.singles_per_s, 0.002 * r.doubles_per_s, 0.004 * r.triples_per_s)
    sol = solve_point_model(
        r.singles_per_s,
        r.doubles_per_s,
        r.triples_per_s,
        efficiency=EPS,
        doubles_gate_fraction=FD,
        triples_gate_fraction=FT,
        sigma_per_s=sigma,
    )
    rng = np.random.default_rng(7)
    draws = r.as_array() + rng.normal(size=(2000, 3)) * np.array(sigma)
    masses = [
        solve_point_model(
            *row, efficiency=EPS, doubles_gate_fraction=FD, triples_gate_fraction=FT
        ).m240eff_g
        for row in draws
    ]
    assert float(np.std(masses)) == pytest.approx(sol.m240eff_sigma_g, rel=0.1)
    assert sol.multiplication_sigma > 0
    assert sol.alpha_sigma > 0


def test_covariance_and_sigma_agree_when_diagonal() -> None:
    r = predicted_rates(
        50.0, 1.1, 1.0, efficiency=EPS, doubles_gate_fraction=FD, triples_gate_fraction=FT
    )
    sigma = (10.0, 5.0, 3.0)
    kw = {"efficiency": EPS, "doubles_gate_fraction": FD, "triples_gate_fraction": FT}
    a = solve_point_model(
        r.singles_per_s, r.doubles_per_s, r.triples_per_s, sigma_per_s=sigma, **kw
    )
    b = solve_point_model(
        r.singles_per_s,
        r.doubles_per_s,
        r.triples_per_s,
        covariance=np.diag(np.square(sigma)),
        **kw,
    )
    np.testing.assert_allclose(a.covariance, b.covariance)


def test_gate_fractions() -> None:
    fd, ft = exponential_gate_fractions(50e-6, 4.5e-6, 64e-6)
    assert fd == pytest.approx(math.exp(-4.5 / 50) * (1 - math.exp(-64 / 50)))
    assert ft == pytest.approx(fd**2)


def test_pu_mass_from_m240eff() -> None:
    # Weapons-grade-like: 0.01 % 238, 6 % 240, 0.05 % 242 -> weight 0.060252 + 0.00084.
    weight = 2.52 * 0.0001 + 0.06 + 1.68 * 0.0005
    assert pu_mass_from_m240eff(120.0, f238=0.0001, f240=0.06, f242=0.0005) == pytest.approx(
        120.0 / weight
    )


@pytest.mark.parametrize(
    ("rates", "field"),
    [
        ((1000.0, 0.0, 10.0), "doubles_per_s"),
        ((1000.0, -5.0, 10.0), "doubles_per_s"),
        ((-1.0, 100.0, 10.0), "singles_per_s"),
        ((1000.0, 100.0, math.nan), "triples_per_s"),
        ((1000.0, 100.0, 1.0), "triples_per_s"),  # triples too low: no M >= 1
    ],
)
def test_bad_rates_raise_input_error_naming_field(
    rates: tuple[float, float, float], field: str
) -> None:
    with pytest.raises(InputError) as info:
        solve_point_model(
            *rates, efficiency=EPS, doubles_gate_fraction=FD, triples_gate_fraction=FT
        )
    assert info.value.where == field


def test_doubles_too_low_for_singles() -> None:
    # Enough triples for a large M, whose chain doubles then exceed the measured D.
    r = predicted_rates(
        50.0, 1.3, 0.0, efficiency=EPS, doubles_gate_fraction=FD, triples_gate_fraction=FT
    )
    with pytest.raises(InputError) as info:
        solve_point_model(
            r.singles_per_s * 50,
            r.doubles_per_s,
            r.triples_per_s,
            efficiency=EPS,
            doubles_gate_fraction=FD,
            triples_gate_fraction=FT,
        )
    assert info.value.where == "doubles_per_s"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"efficiency": 0.0}, "efficiency"),
        ({"efficiency": 1.5}, "efficiency"),
        ({"doubles_gate_fraction": -0.1}, "doubles_gate_fraction"),
        ({"sigma_per_s": (1.0, -1.0, 1.0)}, "sigma_per_s"),
        ({"covariance": np.eye(2)}, "covariance"),
    ],
)
def test_bad_settings_raise(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "efficiency": EPS,
        "doubles_gate_fraction": FD,
        "triples_gate_fraction": FT,
    }
    args.update(kwargs)
    with pytest.raises(InputError) as info:
        solve_point_model(1000.0, 100.0, 20.0, **args)  # type: ignore[arg-type]
    assert info.value.where == field


def test_predicted_rates_rejects_unphysical_parameters() -> None:
    kw = {"efficiency": EPS, "doubles_gate_fraction": FD, "triples_gate_fraction": FT}
    with pytest.raises(InputError, match="multiplication"):
        predicted_rates(10.0, 0.9, 0.0, **kw)
    with pytest.raises(InputError, match="alpha"):
        predicted_rates(10.0, 1.0, -1.0, **kw)
    with pytest.raises(InputError, match="m240eff_g"):
        predicted_rates(-1.0, 1.0, 0.0, **kw)


def test_pu_mass_rejects_bad_fractions() -> None:
    with pytest.raises(InputError) as info:
        pu_mass_from_m240eff(10.0, f238=0.0, f240=1.2, f242=0.0)
    assert info.value.where == "f240"
    with pytest.raises(InputError):
        pu_mass_from_m240eff(10.0, f238=0.0, f240=0.0, f242=0.0)
