"""Scenario generator: determinism, diversion, and Monte Carlo agreement with sigma-MUF."""

from __future__ import annotations

import numpy as np
import pytest

from treatyverify.methods.accountancy import (
    abrupt,
    enrichment_plant,
    material_balance,
    protracted,
    reprocessing_plant,
)


def test_same_seed_same_year() -> None:
    a = material_balance(reprocessing_plant(7), "Pu").muf_kg
    b = material_balance(reprocessing_plant(7), "Pu").muf_kg
    c = material_balance(reprocessing_plant(8), "Pu").muf_kg
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("plant", "element"), [(reprocessing_plant, "Pu"), (enrichment_plant, "U")]
)
def test_true_muf_is_the_diversion(plant: object, element: str) -> None:
    diversion = protracted(24.0, 3, 8)
    facility = plant(0, diversion_kg=diversion, measurement_errors=False)  # type: ignore[operator]
    result = material_balance(facility, element)
    np.testing.assert_allclose(result.muf_kg, diversion, atol=1e-6)
    assert len(result.period_ids) == 12


def test_diversion_helpers() -> None:
    assert abrupt(8.0, 5)[5] == 8.0 and sum(abrupt(8.0, 5)) == 8.0
    assert sum(protracted(12.0)) == pytest.approx(12.0)
    assert protracted(12.0, 2, 4)[1] == 0.0 and protracted(12.0, 2, 4)[3] == 4.0


def test_throughput_is_as_stated() -> None:
    # 800 t HM/yr x 1 % Pu = 8000 kg Pu/yr in receipts.
    result = material_balance(reprocessing_plant(0, measurement_errors=False), "Pu")
    assert result.receipts_kg.sum() == pytest.approx(8000.0)


def test_monte_carlo_covariance_matches_propagation() -> None:
    # The propagated covariance of the error-free plant is the exact covariance of the
    # generator's MUFs (the error model is linear in the true masses). Whiten N simulated
    # MUF vectors with its Cholesky factor: their empirical covariance must be the
    # identity. For N samples the standard error of an off-diagonal entry is 1/sqrt(N)
    # and of a diagonal entry sqrt(2/N); we allow 4.5 standard errors on each of the 78
    # distinct entries (probability of a false failure under 1e-3 in total, Bonferroni),
    # and the seed is fixed.
    n = 300
    rng = np.random.default_rng(20250101)
    exact = material_balance(reprocessing_plant(0, measurement_errors=False), "Pu")
    chol = np.linalg.cholesky(exact.covariance_kg2)
    samples = np.array([material_balance(reprocessing_plant(rng), "Pu").muf_kg for _ in range(n)])
    white = np.linalg.solve(chol, samples.T).T
    cov = np.cov(white, rowvar=False)
    off = cov - np.diag(np.diag(cov))
    assert np.max(np.abs(off)) < 4.5 / np.sqrt(n)
    assert np.max(np.abs(np.diag(cov) - 1.0)) < 4.5 * np.sqrt(2.0 / n)
    # the whitened MUFs have mean zero (no diversion), standard error 1/sqrt(N)
    assert np.all(np.abs(white.mean(axis=0)) < 4.5 / np.sqrt(n))
