"""Scenario files: the common fields every exercise has, validated by pydantic.

A scenario names a treaty, the host and the inspecting parties, a timeline, the
inspectors' resources, the host's strategy (compliant, or one violation) and the Monte
Carlo settings; each regime (``treatyverify.exercise.regimes``) adds the facilities,
items and parameters it needs. The file format is documented in docs/exercises.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from treatyverify.errors import InputError
from treatyverify.treaty.fielddocs import describe_fields

__all__ = [
    "ID_PATTERN",
    "Compliant",
    "Facility",
    "Identifier",
    "InspectorResources",
    "MonteCarlo",
    "ScenarioBase",
    "ScenarioError",
    "Strategy",
    "Strict",
    "Sweep",
    "Timeline",
]

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
"""Identifiers of scenarios, facilities and items: lower case, digits, ``.``, ``_``, ``-``."""

MAX_RUNS = 10_000_000
"""Upper bound on the runs of one Monte Carlo batch (a typo guard, not a physical limit)."""

MAX_TIMELINE = timedelta(days=366 * 50)
"""Upper bound on a timeline's length (a typo guard: no treaty exercise spans 50 years)."""

Identifier = Annotated[str, Field(pattern=ID_PATTERN, max_length=100)]


class ScenarioError(InputError):
    """A scenario is invalid; ``loc`` is the path of the field at fault.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    loc
        Keys and list positions leading to the field (for example
        ``("items", 3, "facility")``); the loader turns it into a line number.
    """

    def __init__(self, message: str, *, loc: Sequence[str | int] = ()) -> None:
        self.loc = tuple(loc)
        super().__init__(message)


class Strict(BaseModel):
    """Frozen, and unknown fields are errors (a misspelt field never goes unnoticed)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=describe_fields)


class Timeline(Strict):
    """When the exercise happens (UTC).

    Attributes
    ----------
    start, end
        First and last moment of the exercise; timezone-aware.
    """

    start: datetime
    end: datetime

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("give the time zone (for example 2027-01-04T00:00:00Z)")
        return moment

    @model_validator(mode="after")
    def _ordered(self) -> Timeline:
        if self.end <= self.start:
            raise ValueError("the timeline ends before it starts")
        if self.end - self.start > MAX_TIMELINE:
            raise ValueError("the timeline is longer than 50 years")
        return self

    @property
    def days(self) -> float:
        """Length of the timeline (days)."""
        return (self.end - self.start).total_seconds() / 86_400.0


class InspectorResources(Strict):
    """What the inspecting parties may spend.

    Attributes
    ----------
    quota
        Inspections (or measurement visits) over the whole timeline.
    team_size
        Inspectors per inspection.
    team_days
        Inspector-days available over the timeline.
    methods
        The treaty's method ids the inspectors bring (empty for a regime that uses
        no item measurement).
    """

    quota: int = Field(ge=0, le=100_000)
    team_size: int = Field(ge=1, le=1_000)
    team_days: float = Field(ge=0.0, le=1.0e7)
    methods: tuple[str, ...] = ()


class Strategy(Strict):
    """The host's strategy; each regime subclasses it with the violations it can run.

    Attributes
    ----------
    kind
        ``compliant`` or one violation (``undeclared-warheads``, ``hoax-items``,
        ``diversion``, ``undeclared-test``).
    """

    kind: str

    @property
    def cheats(self) -> bool:
        """Whether the strategy is a violation."""
        return self.kind != "compliant"


class Compliant(Strategy):
    """The host declares what it holds and does what it declares (every regime runs it)."""

    kind: Literal["compliant"]


class MonteCarlo(Strict):
    """Monte Carlo settings.

    Attributes
    ----------
    runs
        Runs per strategy and sweep point (the compliant twin runs as many again).
    seed
        Root seed; the same seed gives the same results on any number of workers.
    """

    runs: int = Field(ge=1, le=MAX_RUNS)
    seed: int = Field(ge=0, lt=2**63)


class Sweep(Strict):
    """Repeat the Monte Carlo for several values of one scenario field.

    Attributes
    ----------
    parameter
        Dotted path of the field (for example ``inspector.quota``).
    values
        The values to run, in order.
    """

    parameter: str = Field(pattern=r"^[a-z_][a-z0-9_]*(\.([a-z_][a-z0-9_]*|[0-9]+))*$")
    values: tuple[int | float | str, ...] = Field(min_length=1, max_length=100)


class Facility(Strict):
    """A place where items are held or material is processed.

    Attributes
    ----------
    id
        Facility identifier.
    declared
        Whether the host declares it (undeclared facilities exist only in the truth).
    """

    id: Identifier
    declared: bool = True


class ScenarioBase(Strict):
    """Fields every scenario has.

    Attributes
    ----------
    scenario
        Scenario identifier.
    title
        One line for reports.
    description
        What the exercise studies.
    regime
        Which regime runs it (``arms-count``, ``dismantlement``, ``material-balance``,
        ``test-ban``).
    treaty
        Treaty id (a shipped specification) or path of a specification file.
    host
        The inspected party.
    inspectors
        The inspecting parties.
    host_disputes
        Whether the host records a dissent on each finding of non-compliance about
        itself (the finding is then ``disputed``; it stays an alarm).
    timeline
        When the exercise happens (UTC).
    inspector
        What the inspecting parties may spend: quota, team, team-days, methods.
    strategy
        The host's strategy: ``compliant`` or one violation, by ``kind``.
    monte_carlo
        Runs and seed of the Monte Carlo.
    sweep
        Repeat the Monte Carlo for several values of one field (optional).
    """

    scenario: Identifier
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    regime: str
    treaty: str
    host: str
    inspectors: tuple[str, ...] = Field(min_length=1)
    host_disputes: bool = True
    timeline: Timeline
    inspector: InspectorResources
    strategy: Strategy
    monte_carlo: MonteCarlo
    sweep: Sweep | None = None
