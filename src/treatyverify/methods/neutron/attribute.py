"""The plutonium-mass attribute from passive neutron multiplicity counting.

The measured singles, doubles and triples rates and the instrument calibration
(efficiency, gate fractions) give the 240Pu-effective mass, the leakage multiplication
and alpha in the point model (:func:`solve_point_model`); the isotopic mass fractions
turn the 240Pu-effective mass into the plutonium mass (:func:`pu_mass_from_m240eff`,
[Ensslin1998] in :mod:`treatyverify.methods.neutron.constants`). The decision compares
the mass with the treaty threshold passed in. Everything here is sensitive and stays
behind the information barrier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from treatyverify.errors import InputError
from treatyverify.methods.neutron.point_model import pu_mass_from_m240eff, solve_point_model

__all__ = ["MassResult", "MultiplicityMeasurement", "pu_mass_attribute"]


@dataclass(frozen=True, eq=False)
class MultiplicityMeasurement:
    """Measured rates, instrument calibration and isotopics of one item.

    Parameters
    ----------
    singles_per_s, doubles_per_s, triples_per_s
        Measured S, D, T (1/s), dead-time and background corrected.
    rates_covariance
        3x3 covariance of ``(S, D, T)`` (1/s^2).
    efficiency
        Neutron detection efficiency (dimensionless).
    doubles_gate_fraction, triples_gate_fraction
        Gate fractions fd and ft (dimensionless).
    f238, f240, f242
        Mass fractions of Pu-238, Pu-240 and Pu-242 in plutonium (dimensionless),
        declared or measured by gamma spectrometry.
    """

    singles_per_s: float
    doubles_per_s: float
    triples_per_s: float
    rates_covariance: NDArray[np.float64] = field(repr=False)
    efficiency: float
    doubles_gate_fraction: float
    triples_gate_fraction: float
    f238: float
    f240: float
    f242: float

    def __post_init__(self) -> None:
        cov = np.asarray(self.rates_covariance, dtype=np.float64)
        if cov.shape != (3, 3) or not np.all(np.isfinite(cov)):
            raise InputError("must be a finite 3x3 matrix (1/s^2)", where="rates_covariance")
        if not np.allclose(cov, cov.T) or np.any(np.diag(cov) < 0):
            raise InputError(
                "must be symmetric with a non-negative diagonal", where="rates_covariance"
            )
        object.__setattr__(self, "rates_covariance", cov)

    def __repr__(self) -> str:
        return "MultiplicityMeasurement(<sensitive>)"


@dataclass(frozen=True)
class MassResult:
    """Plutonium mass (kept behind the barrier).

    Parameters
    ----------
    mass_kg, mass_sigma_kg
        Plutonium mass and its standard uncertainty (kg), from the rates only (the
        isotopic fractions are taken as exact).
    m240eff_g
        240Pu-effective mass (g).
    multiplication, alpha
        Leakage multiplication and (alpha,n)/SF ratio (dimensionless).
    min_mass_kg
        The treaty threshold.
    passed
        ``mass_kg >= min_mass_kg``.
    """

    mass_kg: float
    mass_sigma_kg: float
    m240eff_g: float
    multiplication: float
    alpha: float
    min_mass_kg: float
    passed: bool


def pu_mass_attribute(measurement: MultiplicityMeasurement, *, min_mass_kg: float) -> MassResult:
    """Plutonium mass from multiplicity counting, and the threshold decision.

    Decision: pass when the estimated mass ``>= min_mass_kg``. An item of true mass
    ``m`` fails with probability about ``Phi((min_mass_kg - m) / sigma)``.

    Parameters
    ----------
    measurement
        Rates, calibration and isotopic fractions.
    min_mass_kg
        Treaty threshold (kg).

    Raises
    ------
    InputError
        Rates without a physical point-model solution, or bad fractions.
    """
    m = measurement
    solution = solve_point_model(
        m.singles_per_s,
        m.doubles_per_s,
        m.triples_per_s,
        efficiency=m.efficiency,
        doubles_gate_fraction=m.doubles_gate_fraction,
        triples_gate_fraction=m.triples_gate_fraction,
        covariance=m.rates_covariance,
    )
    mass_g = pu_mass_from_m240eff(solution.m240eff_g, f238=m.f238, f240=m.f240, f242=m.f242)
    scale = mass_g / solution.m240eff_g if solution.m240eff_g > 0 else 0.0
    mass_kg = mass_g / 1000.0
    sigma_kg = scale * solution.m240eff_sigma_g / 1000.0
    if not math.isfinite(mass_kg):
        raise InputError("the point model gave no finite mass", where="neutron")
    return MassResult(
        mass_kg=mass_kg,
        mass_sigma_kg=sigma_kg,
        m240eff_g=solution.m240eff_g,
        multiplication=solution.multiplication,
        alpha=solution.alpha,
        min_mass_kg=min_mass_kg,
        passed=mass_kg >= min_mass_kg,
    )
