"""The interface every regime implements, and what a regime reports back after a run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from treatyverify.exercise.scenario import ScenarioBase
from treatyverify.treaty import TreatySpec

if TYPE_CHECKING:
    from treatyverify.exercise.world import RunContext

__all__ = ["Regime", "RunTruth"]


@dataclass(frozen=True)
class RunTruth:
    """The ground truth of one run, known to the simulation and never to the parties.

    Attributes
    ----------
    effort
        Inspection effort spent, by name (for example ``inspections``, ``team_days``,
        ``measurements``, ``counting_time_s``).
    cheating_subjects
        Subjects (items, sites, periods, events) that were part of the violation; an
        alarm on one of them is a detection, any other alarm a false alarm.
    items
        For each item measured: its true kind and whether it is what was declared.
    notes
        Short facts about how the run was made, for the report (for example
        ``{"waveforms": "real: regional-event-a"}``); never sensitive values.
    """

    effort: Mapping[str, float]
    cheating_subjects: frozenset[str] = frozenset()
    items: Mapping[str, tuple[str, bool]] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)


class Regime(Protocol):
    """One kind of exercise: its scenario model, its checks, and one run.

    Attributes
    ----------
    name
        The value of a scenario's ``regime`` field.
    model
        The pydantic model of its scenarios.
    strategies
        The strategy kinds it can run (always including ``compliant``).
    """

    name: str
    model: type[ScenarioBase]
    strategies: frozenset[str]

    def check(self, scenario: Any, spec: TreatySpec) -> None:
        """Check the scenario against the treaty; raise ``ScenarioError`` with ``loc``."""

    def prepare(self, scenario: Any, spec: TreatySpec) -> Any:
        """Build what every run of the scenario shares (once per process)."""

    def run(self, context: RunContext, scenario: Any, prepared: Any) -> RunTruth:
        """Play one run through ``context`` (ledger, draws, barrier, findings)."""
