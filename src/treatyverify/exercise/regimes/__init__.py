"""The regimes an exercise can run, found by the scenario's ``regime`` field."""

from __future__ import annotations

import importlib
from typing import cast

from treatyverify.exercise.regime import Regime
from treatyverify.exercise.scenario import ScenarioError

__all__ = ["REGIMES", "get_regime"]

REGIMES: dict[str, str] = {
    "arms-count": "treatyverify.exercise.regimes.arms_count",
    "dismantlement": "treatyverify.exercise.regimes.dismantlement",
    "material-balance": "treatyverify.exercise.regimes.material_balance",
    "test-ban": "treatyverify.exercise.regimes.test_ban",
}
"""Regime name -> module; each module defines ``REGIME``."""


def get_regime(name: str) -> Regime:
    """The regime called ``name``."""
    if name not in REGIMES:
        raise ScenarioError(
            f"unknown regime {name!r} (known: {', '.join(sorted(REGIMES))})", loc=("regime",)
        )
    module = importlib.import_module(REGIMES[name])
    return cast(Regime, module.REGIME)
