"""The exact derivatives of the Poisson deviance that MIGRAD and the covariance use."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
from iminuit import Minuit
from scipy.special import ndtr

from treatyverify.methods.gamma.peaks import FWHM_PER_SIGMA, _Deviance, _Model, fit_multiplet

FloatArray = npt.NDArray[np.float64]


def central_gradient(function: Callable[[FloatArray], float], p: FloatArray) -> FloatArray:
    """Central finite differences, step 1e-6 relative (at least 1e-6 absolute)."""
    out = np.zeros_like(p)
    for i in range(p.size):
        step = np.zeros_like(p)
        step[i] = 1e-6 * max(1.0, abs(p[i]))
        out[i] = (function(p + step) - function(p - step)) / (2.0 * step[i])
    return out


def parameters(model: _Model) -> FloatArray:
    """A point away from the minimum: two peaks, a sloping background."""
    values = {"area0": 500.0, "area1": 300.0, "shift": 0.3, "x0": 30.2, "x1": 37.5}
    values |= {"fwhm": 5.0, "fwhm0": 4.5, "fwhm1": 5.5, "b_lo": 15.0, "b_hi": 22.0, "b2": 0.01}
    return np.array([values[name] for name in model.names])


@pytest.mark.parametrize("background", ["linear", "quadratic"])
@pytest.mark.parametrize("width_mode", ["shared", "each"])
@pytest.mark.parametrize("tied", [False, True])
def test_gradient_and_hessian_match_finite_differences(
    background: str, width_mode: str, tied: bool
) -> None:
    base = np.array([30.0, 37.0]) if tied else None
    model = _Model(10, 60, 2, background, base, width_mode, None)  # type: ignore[arg-type]
    assert model.analytic
    counts = np.random.default_rng(3).poisson(20.0, 50).astype(np.float64)
    deviance = _Deviance(counts, model)
    p = parameters(model)
    numeric = central_gradient(deviance, p)
    assert np.allclose(deviance.gradient(p), numeric, rtol=1e-6, atol=1e-4)
    # Column j of the Hessian: finite differences of the exact gradient along p_j.
    hessian = np.column_stack(
        [
            (deviance.gradient(p + step) - deviance.gradient(p - step)) / (2.0 * step.sum())
            for step in np.diag(1e-6 * np.maximum(1.0, np.abs(p)))
        ]
    )
    exact = deviance.hessian_matrix(p)
    assert np.allclose(exact, exact.T)
    assert np.allclose(exact, hessian, rtol=1e-6, atol=1e-6 * np.abs(hessian).max())


def test_the_step_background_and_the_width_model_stay_numerical() -> None:
    def shape(x: FloatArray) -> FloatArray:
        return np.ones_like(x)

    assert not _Model(10, 60, 1, "step", None, "shared", None).analytic
    assert not _Model(10, 60, 1, "linear", None, "model", shape).analytic


def test_covariance_matches_a_numerical_hesse() -> None:
    """The covariance from the exact Hessian equals iminuit's finite-difference HESSE."""
    rng = np.random.default_rng(5)
    edges = np.arange(201, dtype=np.float64)
    sigma = 5.0 / FWHM_PER_SIGMA
    mu = 20.0 + 800.0 * np.diff(ndtr((edges - 100.2) / sigma))
    mu += 400.0 * np.diff(ndtr((edges - 107.7) / sigma))
    counts = rng.poisson(mu).astype(np.float64)
    fit = fit_multiplet(counts, 85, 125, [99.0, 108.0], fwhm_guess=4.5, shared_width=False)
    assert fit.converged
    model = _Model(85, 125, 2, "linear", None, "each", None)
    numeric = Minuit(
        _Deviance(counts[85:125], model), fit.values, grad=False, name=fit.parameter_names
    )
    numeric.errordef = Minuit.LEAST_SQUARES
    numeric.hesse()
    assert numeric.covariance is not None
    reference = np.array(numeric.covariance)
    sd_exact = np.sqrt(np.diag(fit.covariance))
    sd_numeric = np.sqrt(np.diag(reference))
    assert np.allclose(sd_exact, sd_numeric, rtol=0.01)
    correlation = fit.covariance / np.outer(sd_exact, sd_exact)
    assert np.allclose(correlation, reference / np.outer(sd_numeric, sd_numeric), atol=0.01)
