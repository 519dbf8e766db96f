"""The peak shape against numerical integration of its definition."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from treatyverify.methods.gamma.lineshape import (
    PeakShape,
    peak_columns,
    peak_columns_derivatives,
)

SIGMA, TAU = 0.8, 1.6  # keV


def gaussian(u: float) -> float:
    return math.exp(-0.5 * (u / SIGMA) ** 2) / (math.sqrt(2 * math.pi) * SIGMA)


def tail_density(x: float) -> float:
    """Density of G - Y (G normal, Y exponential of mean TAU), by quadrature."""
    return float(integrate.quad(lambda y: gaussian(x + y) * math.exp(-y / TAU) / TAU, 0.0, 80.0)[0])


@pytest.mark.parametrize("x", [-6.0, -2.0, -0.5, 0.0, 0.7, 2.0])
def test_tail_density_is_the_exponential_convolution(x: float) -> None:
    edges = np.array([x - 1e-4, x + 1e-4])
    peaks, _ = peak_columns(
        edges, np.array([0.0]), np.array([SIGMA]), PeakShape(1.0, TAU / SIGMA, 0.0)
    )
    assert peaks[0, 0] / 2e-4 == pytest.approx(tail_density(x), rel=1e-6)


def test_areas_are_one_and_the_step_is_flat_below() -> None:
    edges = np.linspace(-60.0, 20.0, 8001)
    peaks, steps = peak_columns(
        edges, np.array([0.0, 5.0]), np.array([SIGMA, 1.0]), PeakShape(0.3, 2.0, 0.01)
    )
    np.testing.assert_allclose(peaks.sum(axis=0), 1.0, atol=1e-9)
    # far below a peak the step is 0.01 per keV of its area, in channels of 0.01 keV
    np.testing.assert_allclose(steps[:100, 0], 0.01 * 0.01, rtol=1e-9)
    assert steps[-1, 0] == pytest.approx(0.0, abs=1e-12)


def test_derivatives_match_finite_differences() -> None:
    edges = np.linspace(90.0, 110.0, 161)
    centre, width = np.array([100.0, 103.0]), np.array([0.8, 0.9])
    shape = PeakShape(0.15, 2.5, 0.004)
    cols, dc, ds, de, dk, dst = peak_columns_derivatives(edges, centre, width, shape)
    p, s = peak_columns(edges, centre, width, shape)
    np.testing.assert_allclose(cols, p + s, atol=1e-15)
    h = 1e-6

    def moved(**kw: object) -> np.ndarray:
        c = centre + float(kw.get("c", 0.0))  # type: ignore[arg-type]
        w = width + float(kw.get("w", 0.0))  # type: ignore[arg-type]
        sh = PeakShape(
            0.15 + float(kw.get("e", 0.0)),  # type: ignore[arg-type]
            2.5 + float(kw.get("k", 0.0)),  # type: ignore[arg-type]
            0.004 + float(kw.get("s", 0.0)),  # type: ignore[arg-type]
        )
        a, b = peak_columns(edges, c, w, sh)
        return (a + b - p - s) / h

    for derivative, key in ((dc, "c"), (ds, "w"), (de, "e"), (dk, "k"), (dst, "s")):
        np.testing.assert_allclose(derivative, moved(**{key: h}), atol=2e-7)
