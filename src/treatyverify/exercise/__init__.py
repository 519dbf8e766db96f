"""Verification exercises: simulate a whole regime, with cheating strategies, over many runs.

A scenario file (see docs/exercises.md) names a treaty, the parties, facilities and
items, a timeline, the host's strategy and the inspectors' resources. Each run plays
through the real code paths (ledger, draws, information barrier, methods, findings,
co-signed report); the Monte Carlo estimates detection probability, false alarms,
effort and what left the barrier.
"""

from __future__ import annotations

from treatyverify.exercise.loader import (
    LoadedScenario,
    load_scenario,
    parse_scenario,
    shipped_scenarios,
)
from treatyverify.exercise.montecarlo import ExerciseResult, PointResult, run_exercise
from treatyverify.exercise.outcome import Alarm, MethodResult, RunOutcome, TimelineEvent
from treatyverify.exercise.stats import Estimate

__all__ = [
    "Alarm",
    "Estimate",
    "ExerciseResult",
    "LoadedScenario",
    "MethodResult",
    "PointResult",
    "RunOutcome",
    "TimelineEvent",
    "load_scenario",
    "parse_scenario",
    "run_exercise",
    "shipped_scenarios",
]
