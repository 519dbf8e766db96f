"""Passive neutron multiplicity counting: the point model and simulated pulse trains."""

from __future__ import annotations

from treatyverify.methods.neutron.constants import PU240_SF_PU239_INDUCED, PointModelConstants
from treatyverify.methods.neutron.point_model import (
    PointModelSolution,
    Rates,
    exponential_gate_fractions,
    predicted_rates,
    pu_mass_from_m240eff,
    solve_point_model,
)
from treatyverify.methods.neutron.pulse_train import (
    MultiplicityDistributions,
    PulseTrain,
    ShiftRegisterResult,
    multiplicity_distributions,
    shift_register,
    simulate_pulse_train,
)

__all__ = [
    "PU240_SF_PU239_INDUCED",
    "MultiplicityDistributions",
    "PointModelConstants",
    "PointModelSolution",
    "PulseTrain",
    "Rates",
    "ShiftRegisterResult",
    "exponential_gate_fractions",
    "multiplicity_distributions",
    "predicted_rates",
    "pu_mass_from_m240eff",
    "shift_register",
    "simulate_pulse_train",
    "solve_point_model",
]
