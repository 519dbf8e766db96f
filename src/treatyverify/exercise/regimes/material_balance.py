"""The ``material-balance`` regime: diversion from a reprocessing plant, caught by accountancy.

The host runs a reprocessing plant (the notional 800 t HM/yr plant of
:func:`treatyverify.methods.accountancy.reprocessing_plant`, monthly operator balances,
its notional measurement error model) for one or more *campaigns* of twelve months. The
inspectors close a material balance at each physical inventory verification (PIV): with
``p`` PIVs per campaign the inspectors' balance periods are ``12 / p`` months long, and
the operator's intermediate inventories, which nobody verified, drop out of the balance.

A run, campaign by campaign:

1. the plant year is generated from the run's random stream (measurement errors, and,
   when the host cheats, the diversion: material removed without record);
2. at the end of each inspectors' balance period the host declares its accounting report
   (a signed record holding the period, the number of inventory changes and a salted
   commitment to the book data; no mass);
3. the inspectors verify the physical inventory (a signed PIV record);
4. after the campaign's last PIV the material balances (MUF vector and covariance, from
   :func:`~treatyverify.methods.accountancy.material_balance`) go through the information
   barrier to the treaty's ``accountancy.mass-balance`` method (Page's test on SITMUF at
   the treaty's campaign false-alarm probability); only ``pass`` leaves;
5. the inspectors propose a finding on the campaign (``values["item"]`` is the campaign
   id); a failed balance is an alarm.

Classification: the violation's subjects are the campaigns in which material was really
diverted. The decision is per campaign (the treaty reveals only ``pass``), so an alarm on
a campaign with diversion is a detection whenever it comes; whether it came within the
treaty's timeliness goal for the material (counted from the start of the first month of
diversion in that campaign to the release of the decision) is reported apart, as the
effort entries ``timely_detection`` and ``late_detection`` (1 or 0 per run). An alarm
on a campaign without diversion is a false alarm, even in a run in which the host cheats
elsewhere: each campaign opens with a verified physical inventory, so its balance
cannot see material taken in an earlier one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal, TypeVar

import numpy as np
from pydantic import Field, model_validator

from treatyverify.barrier.barrier import InformationBarrier
from treatyverify.barrier.catalog import default_registry
from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.compliance.authentication import material_balance_finding
from treatyverify.errors import InputError
from treatyverify.exercise.regime import RunTruth
from treatyverify.exercise.scenario import (
    Compliant,
    Facility,
    ScenarioBase,
    ScenarioError,
    Strategy,
    Strict,
)
from treatyverify.exercise.world import RunContext
from treatyverify.methods.accountancy import (
    BalancePeriod,
    abrupt,
    material_balance,
    protracted,
    reprocessing_plant,
)
from treatyverify.methods.accountancy import Facility as Records
from treatyverify.records.ledger import Record
from treatyverify.treaty import TreatySpec
from treatyverify.treaty.models import InspectionType, MethodSpec

__all__ = [
    "ACCOUNTING_REPORT_KIND",
    "PIV_KIND",
    "REGIME",
    "AccountancyPlan",
    "DiversionStrategy",
    "MaterialBalanceRegime",
    "MaterialBalanceScenario",
    "Plant",
    "Prepared",
]

ACCOUNTING_REPORT_KIND = "accounting_report"
"""Record kind of the host's accounting report for one balance period (no masses)."""

PIV_KIND = "physical_inventory_verification"
"""Record kind of the inspectors' physical inventory verification."""

MONTHS_PER_CAMPAIGN = 12
"""Operator balance periods (months) per campaign: the plant model's year."""

SHORTEST_MONTH_DAYS = 28
"""A PIV must end before the next balance period closes (days)."""

PLANTS: dict[str, tuple[str, str]] = {"reprocessing": ("plutonium", "Pu")}
"""Plant model -> (the treaty material it balances, the element of its batches)."""

MASS_BALANCE = "accountancy.mass-balance"
"""The method plugin that decides on a campaign of balances."""

T = TypeVar("T")

_MARGIN = timedelta(hours=1)
"""Time after the last PIV for the decision, the findings and the report."""


# ----------------------------------------------------------------------------- scenario


class Plant(Facility):
    """The reprocessing plant under safeguards.

    Attributes
    ----------
    plant
        The plant model: ``reprocessing`` (800 t HM/yr, plutonium balance; see
        :func:`treatyverify.methods.accountancy.reprocessing_plant`).
    """

    plant: Literal["reprocessing"] = "reprocessing"


class AccountancyPlan(Strict):
    """How the inspectors verify the plant's material balance.

    Attributes
    ----------
    method
        The treaty's ``accountancy.mass-balance`` method id (for example
        ``pu-mass-balance``).
    inspection
        The treaty's inspection type for physical inventory verifications.
    campaigns
        Consecutive twelve-month campaigns from the start of the timeline; each is judged
        on its own at the treaty's campaign false-alarm probability.
    piv_days
        Days on site for one physical inventory verification (d).
    """

    method: str
    inspection: str
    campaigns: int = Field(ge=1, le=20)
    piv_days: float = Field(gt=0.0, le=365.0)


class DiversionStrategy(Strategy):
    """The host removes material without record.

    Attributes
    ----------
    pattern
        ``abrupt`` (all in one month) or ``protracted`` (equal parts every month from
        ``first_month`` to ``last_month``).
    amount_kg, amount_sq
        The diverted mass: in kg, or in significant quantities of the treaty's material
        (give exactly one).
    first_month, last_month
        Operator months of the diversion, counted from 1 at the start of the timeline
        across campaigns (month 13 is the first of the second campaign); an abrupt
        diversion takes only ``first_month``.
    """

    kind: Literal["diversion"]
    pattern: Literal["abrupt", "protracted"]
    amount_kg: float | None = Field(default=None, gt=0.0, le=1.0e6)
    amount_sq: float | None = Field(default=None, gt=0.0, le=1.0e4)
    first_month: int = Field(ge=1, le=MONTHS_PER_CAMPAIGN * 20)
    last_month: int | None = Field(default=None, ge=1, le=MONTHS_PER_CAMPAIGN * 20)

    @model_validator(mode="after")
    def _one_amount(self) -> DiversionStrategy:
        if (self.amount_kg is None) == (self.amount_sq is None):
            raise ValueError("give exactly one of amount_kg and amount_sq")
        return self


class MaterialBalanceScenario(ScenarioBase):
    """A scenario of the ``material-balance`` regime (see the module docstring).

    Attributes
    ----------
    facility
        The reprocessing plant whose material is balanced.
    accountancy
        The material accountancy plan: method, inspections and campaigns.
    """

    regime: Literal["material-balance"]
    facility: Plant
    accountancy: AccountancyPlan
    strategy: Annotated[Compliant | DiversionStrategy, Field(discriminator="kind")]


# ----------------------------------------------------------------------------- prepared


@dataclass(frozen=True)
class Prepared:
    """What every run of one scenario point shares.

    Attributes
    ----------
    barrier
        The information barrier running the treaty's mass-balance method.
    method
        The treaty's method.
    material, element
        The treaty material balanced and the element of the plant's batches.
    significant_quantity_kg
        The treaty's significant quantity of the material (kg), if it gives one.
    timeliness_goal_days
        The treaty's timeliness goal for the material (d), if it gives one.
    diversion_kg
        Mass diverted in each operator month when the host cheats (kg).
    campaign_starts
        Start of each campaign (UTC).
    pivs_per_campaign
        Physical inventory verifications (closed balance periods) per campaign.
    """

    barrier: InformationBarrier
    method: MethodSpec
    material: str
    element: str
    significant_quantity_kg: float | None
    timeliness_goal_days: float | None
    diversion_kg: tuple[float, ...]
    campaign_starts: tuple[datetime, ...]
    pivs_per_campaign: int


# ----------------------------------------------------------------------------- checks


def _mass_balance_methods(spec: TreatySpec) -> list[MethodSpec]:
    return [m for m in spec.methods if m.method == MASS_BALANCE]


def _check_expressible(scenario: MaterialBalanceScenario, spec: TreatySpec) -> None:
    """A diversion needs a treaty with material accountancy and significant quantities."""
    if not scenario.strategy.cheats:
        return
    missing = []
    if not _mass_balance_methods(spec):
        missing.append(f"no {MASS_BALANCE} method")
    if not spec.significant_quantities:
        missing.append("no significant quantities")
    if missing:
        raise ScenarioError(
            f"{spec.id} cannot express a diversion of material: it has {' and '.join(missing)}",
            loc=("strategy", "kind"),
        )


def _method(scenario: MaterialBalanceScenario, spec: TreatySpec) -> MethodSpec:
    """The treaty's mass-balance method named by the scenario, checked against the plant."""
    wanted = scenario.accountancy.method
    listed = _mass_balance_methods(spec)
    found = [m for m in listed if m.id == wanted]
    if not found:
        names = ", ".join(m.id for m in listed) or "none"
        raise ScenarioError(
            f"{spec.id} lists no {MASS_BALANCE} method {wanted!r} (mass-balance methods: {names})",
            loc=("accountancy", "method"),
        )
    method = found[0]
    material = _spec_value(lambda: method.text("material"), ("accountancy", "method"))
    balanced, _ = PLANTS[scenario.facility.plant]
    if material != balanced:
        raise ScenarioError(
            f"method {wanted!r} balances {material}; a {scenario.facility.plant} plant "
            f"balances {balanced}",
            loc=("accountancy", "method"),
        )
    _spec_value(lambda: method.number("false_alarm_probability"), ("accountancy", "method"))
    return method


def _spec_value(read: Callable[[], T], loc: tuple[str | int, ...]) -> T:
    """Read a treaty value; a missing one is a ScenarioError at ``loc`` naming the field."""
    try:
        return read()
    except InputError as exc:
        where = f" ({exc.where})" if exc.where else ""
        raise ScenarioError(f"{exc.message}{where}", loc=loc) from None


def _check_facility(scenario: MaterialBalanceScenario) -> None:
    if not scenario.facility.declared:
        raise ScenarioError(
            "a material balance needs the operator's records: the plant must be declared",
            loc=("facility", "declared"),
        )
    if scenario.inspector.methods and scenario.accountancy.method not in scenario.inspector.methods:
        raise ScenarioError(
            f"the inspectors do not bring the accountancy method {scenario.accountancy.method!r}",
            loc=("inspector", "methods"),
        )


def _pivs_per_campaign(scenario: MaterialBalanceScenario) -> int:
    """PIVs per campaign from the quota; each must close an equal whole number of months."""
    quota, campaigns = scenario.inspector.quota, scenario.accountancy.campaigns
    per = quota // campaigns if quota % campaigns == 0 else 0
    if per < 1 or MONTHS_PER_CAMPAIGN % per:
        divisors = [d for d in range(1, MONTHS_PER_CAMPAIGN + 1) if MONTHS_PER_CAMPAIGN % d == 0]
        raise ScenarioError(
            f"{quota} physical inventory verifications over {campaigns} campaign(s) do not "
            f"close equal balance periods: give {campaigns} x one of "
            f"{', '.join(map(str, divisors))}",
            loc=("inspector", "quota"),
        )
    return per


def _inspection(scenario: MaterialBalanceScenario, spec: TreatySpec) -> InspectionType:
    loc = ("accountancy", "inspection")
    inspection = _spec_value(lambda: spec.inspection(scenario.accountancy.inspection), loc)
    if inspection.team_size is not None and scenario.inspector.team_size > inspection.team_size:
        raise ScenarioError(
            f"{spec.id} allows teams of at most {inspection.team_size} for "
            f"{inspection.id}, the scenario sends {scenario.inspector.team_size}",
            loc=("inspector", "team_size"),
        )
    if inspection.annual_quota is not None or inspection.quota_by_period:
        years = math.ceil(scenario.timeline.days / 365.25)
        allowed = sum(inspection.quota_for_year(year) for year in range(1, years + 1))
        if scenario.inspector.quota > allowed:
            raise ScenarioError(
                f"{spec.id} allows {allowed} {inspection.id} inspections over the "
                f"timeline's {years} treaty year(s), the scenario asks {scenario.inspector.quota}",
                loc=("inspector", "quota"),
            )
    return inspection


def _check_effort(scenario: MaterialBalanceScenario, pivs_per_campaign: int) -> None:
    plan, inspector = scenario.accountancy, scenario.inspector
    shortest_days = SHORTEST_MONTH_DAYS * (MONTHS_PER_CAMPAIGN // pivs_per_campaign)
    if plan.piv_days >= shortest_days:
        raise ScenarioError(
            f"a PIV of {plan.piv_days:g} days does not end before the next balance closes",
            loc=("accountancy", "piv_days"),
        )
    needed = inspector.quota * inspector.team_size * plan.piv_days
    if needed > inspector.team_days:
        raise ScenarioError(
            f"{inspector.quota} PIVs of {inspector.team_size} inspectors for "
            f"{plan.piv_days:g} days need {needed:g} team-days, more than the "
            f"{inspector.team_days:g} available",
            loc=("inspector", "team_days"),
        )


def _campaign_starts(scenario: MaterialBalanceScenario) -> tuple[datetime, ...]:
    """Start of each campaign; the timeline must hold every campaign and its last PIV."""
    start = scenario.timeline.start
    if start.day > SHORTEST_MONTH_DAYS:
        raise ScenarioError(
            "monthly balance periods start on the same day of every month: start the "
            f"timeline on day 1 to {SHORTEST_MONTH_DAYS} of a month",
            loc=("timeline", "start"),
        )
    campaigns = scenario.accountancy.campaigns
    ends = start.replace(year=start.year + campaigns)
    needed = ends + timedelta(days=scenario.accountancy.piv_days) + _MARGIN
    if needed > scenario.timeline.end:
        raise ScenarioError(
            f"{campaigns} campaign(s) of {MONTHS_PER_CAMPAIGN} months and the last PIV need "
            f"the timeline to run to {needed.isoformat()}",
            loc=("accountancy", "campaigns"),
        )
    return tuple(start.replace(year=start.year + c) for c in range(campaigns))


def _amount_kg(strategy: DiversionStrategy, spec: TreatySpec, material: str) -> float:
    if strategy.amount_kg is not None:
        return strategy.amount_kg
    quantity = _spec_value(lambda: spec.significant_quantity(material), ("strategy", "amount_sq"))
    return float(quantity.quantity_kg) * float(strategy.amount_sq or 0.0)


def _diversion(scenario: MaterialBalanceScenario, spec: TreatySpec, material: str) -> list[float]:
    """Mass diverted in each operator month (kg), checked against the timeline and plant."""
    months = MONTHS_PER_CAMPAIGN * scenario.accountancy.campaigns
    strategy = scenario.strategy
    if not isinstance(strategy, DiversionStrategy):
        return [0.0] * months
    mass = _amount_kg(strategy, spec, material)
    last = strategy.first_month if strategy.last_month is None else strategy.last_month
    if strategy.pattern == "abrupt" and last != strategy.first_month:
        raise ScenarioError(
            "an abrupt diversion takes one month: leave out last_month or make it first_month",
            loc=("strategy", "last_month"),
        )
    for name, month in (("first_month", strategy.first_month), ("last_month", last)):
        if month > months:
            raise ScenarioError(
                f"month {month} is after the {months} months of {scenario.accountancy.campaigns} "
                "campaign(s)",
                loc=("strategy", name),
            )
    if last < strategy.first_month:
        raise ScenarioError("last_month is before first_month", loc=("strategy", "last_month"))
    if strategy.pattern == "abrupt":
        pattern = abrupt(mass, strategy.first_month - 1, months)
    else:
        pattern = protracted(mass, strategy.first_month - 1, last - 1, months)
    return list(pattern)


def _check_plant(scenario: MaterialBalanceScenario, diversion: list[float]) -> None:
    """The plant model accepts the diversion (no month loses more than it receives)."""
    amount = "amount_kg" if getattr(scenario.strategy, "amount_kg", None) else "amount_sq"
    for index, start in enumerate(_campaign_starts(scenario)):
        chunk = diversion[index * MONTHS_PER_CAMPAIGN : (index + 1) * MONTHS_PER_CAMPAIGN]
        try:
            reprocessing_plant(0, diversion_kg=chunk, measurement_errors=False, start=start)
        except InputError as exc:
            raise ScenarioError(
                f"the plant cannot run this diversion: {exc.message}", loc=("strategy", amount)
            ) from None


# ----------------------------------------------------------------------------- run steps


def _inspectors_records(records: Records, periods_per_balance: int) -> Records:
    """The operator's year as the inspectors balance it: periods closed by PIVs only."""
    step = periods_per_balance
    merged = []
    for first in range(0, len(records.periods), step):
        group = records.periods[first : first + step]
        label = group[0].id if step == 1 else f"{group[0].id}..{group[-1].id}"
        changes = tuple(change for period in group for change in period.changes)
        merged.append(BalancePeriod(label, group[0].start, group[-1].end, changes))
    return Records(
        mba=records.mba,
        error_model=records.error_model,
        inventories=records.inventories[::step],
        periods=tuple(merged),
        calibrations=records.calibrations,
    )


def _book_commitment(context: RunContext, records: Records, index: int) -> str:
    """Salted commitment to one period's book data (held by the host, no mass released)."""
    period = records.periods[index]
    flows = np.array([c.sign * c.batch.mass_kg for c in period.changes], dtype=np.float64)
    stock = np.array(
        [item.mass_kg for item in records.inventories[index + 1].items], dtype=np.float64
    )
    book = SensitiveData({"flows_kg": flows, "ending_kg": stock}, salt=context.rng.bytes(32))
    return book.commitment()


def _declare_and_verify(
    context: RunContext,
    scenario: MaterialBalanceScenario,
    records: Records,
    campaign: str,
) -> list[Record]:
    """Accounting report (host) and PIV (inspectors) for every balance period of a campaign."""
    host, lead = scenario.host, scenario.inspectors[0]
    basis = []
    for index, period in enumerate(records.periods):
        context.move_to(period.end)
        report = context.ledger.append(
            ACCOUNTING_REPORT_KIND,
            {
                "facility": scenario.facility.id,
                "campaign": campaign,
                "period": period.id,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "inventory_changes": len(period.changes),
                "inventory_items": len(records.inventories[index + 1].items),
                "book_commitment": _book_commitment(context, records, index),
            },
            context.keys[host],
            ref=f"{campaign}/{period.id}",
            time=context.advance(minutes=1),
        )
        piv = context.ledger.append(
            PIV_KIND,
            {
                "facility": scenario.facility.id,
                "inspection": scenario.accountancy.inspection,
                "period": period.id,
                "team_size": scenario.inspector.team_size,
                "days": scenario.accountancy.piv_days,
            },
            context.keys[lead],
            ref=f"{campaign}/{period.id}/piv",
            time=context.advance(days=scenario.accountancy.piv_days),
        )
        basis += [report, piv]
    return basis


def _judge(
    context: RunContext,
    scenario: MaterialBalanceScenario,
    prepared: Prepared,
    records: Records,
    campaign: str,
    basis: list[Record],
) -> bool:
    """Run the campaign's balances through the barrier and propose the finding; pass?"""
    balance = material_balance(records, prepared.element)
    data = SensitiveData({"balance": balance}, salt=context.rng.bytes(32))
    lead = scenario.inspectors[0]
    releases, release = context.measure(prepared.barrier, data, item=campaign, by=lead)
    finding = material_balance_finding(
        method=prepared.method,
        host=scenario.host,
        facility=scenario.facility.id,
        material=prepared.material,
        campaign=campaign,
        periods=len(records.periods),
        release=releases[0],
        basis=(*basis, release),
    )
    context.propose(finding, by=lead)
    return finding.compliant


@dataclass
class _Tally:
    """What the runs of the campaigns add up to."""

    cheating: set[str]
    items: dict[str, tuple[str, bool]]
    timely: int = 0
    late: int = 0
    delays: list[float] | None = None


def _campaign(
    context: RunContext,
    scenario: MaterialBalanceScenario,
    prepared: Prepared,
    number: int,
    tally: _Tally,
) -> None:
    """Play one campaign: generate the plant year, declare, verify, judge."""
    campaign = f"{scenario.facility.id}/campaign-{number + 1}"
    months = slice(number * MONTHS_PER_CAMPAIGN, (number + 1) * MONTHS_PER_CAMPAIGN)
    diverted = prepared.diversion_kg[months] if context.cheat else (0.0,) * MONTHS_PER_CAMPAIGN
    operator = reprocessing_plant(
        context.rng, diversion_kg=diverted, start=prepared.campaign_starts[number]
    )
    step = MONTHS_PER_CAMPAIGN // prepared.pivs_per_campaign
    records = _inspectors_records(operator, step)
    basis = _declare_and_verify(context, scenario, records, campaign)
    passed = _judge(context, scenario, prepared, records, campaign, basis)
    cheated = any(mass > 0.0 for mass in diverted)
    tally.items[campaign] = ("diversion" if cheated else "no-diversion", not cheated)
    if not cheated:
        return
    tally.cheating.add(campaign)
    if passed:
        return
    first = next(i for i, mass in enumerate(diverted) if mass > 0.0)
    delay_days = (context.now - operator.periods[first].start).total_seconds() / 86_400.0
    if tally.delays is None:
        tally.delays = []
    tally.delays.append(delay_days)
    goal = prepared.timeliness_goal_days
    if goal is not None and delay_days <= goal:
        tally.timely = 1
    elif goal is not None:
        tally.late = 1


def _truth(scenario: MaterialBalanceScenario, prepared: Prepared, tally: _Tally) -> RunTruth:
    pivs = prepared.pivs_per_campaign * scenario.accountancy.campaigns
    effort: dict[str, float] = {
        "inspections": float(pivs),
        "balance_periods": float(pivs),
        "team_days": pivs * scenario.inspector.team_size * scenario.accountancy.piv_days,
        "campaigns": float(scenario.accountancy.campaigns),
    }
    notes = {
        "plant": "reprocessing_plant: 800 t HM/yr, notional error model (methods.accountancy)",
        "balance_periods_per_campaign": str(prepared.pivs_per_campaign),
    }
    if prepared.timeliness_goal_days is not None:
        effort["timely_detection"] = float(tally.timely)
        effort["late_detection"] = float(tally.late)
        notes["timeliness_goal_days"] = f"{prepared.timeliness_goal_days:g}"
    if tally.delays:
        notes["detection_delay_days"] = ", ".join(f"{d:.1f}" for d in tally.delays)
    return RunTruth(
        effort=effort,
        cheating_subjects=frozenset(tally.cheating),
        items=dict(tally.items),
        notes=notes,
    )


# ----------------------------------------------------------------------------- regime


class MaterialBalanceRegime:
    """Material accountancy at a reprocessing plant against diversion (module docstring)."""

    name = "material-balance"
    model: type[ScenarioBase] = MaterialBalanceScenario
    strategies = frozenset({"compliant", "diversion"})

    def check(self, scenario: MaterialBalanceScenario, spec: TreatySpec) -> None:
        """Check the scenario against ``spec``; raise :class:`ScenarioError` with its field.

        Parameters
        ----------
        scenario
            The validated scenario.
        spec
            The treaty it names.
        """
        _check_expressible(scenario, spec)
        method = _method(scenario, spec)
        _check_facility(scenario)
        _inspection(scenario, spec)
        _check_effort(scenario, _pivs_per_campaign(scenario))
        _campaign_starts(scenario)
        material = method.text("material")
        _check_plant(scenario, _diversion(scenario, spec, material))

    def prepare(self, scenario: MaterialBalanceScenario, spec: TreatySpec) -> Prepared:
        """The barrier, the treaty's numbers and the diversion pattern (deterministic).

        Parameters
        ----------
        scenario
            One sweep point of the scenario (already checked).
        spec
            The treaty.
        """
        method = spec.method(scenario.accountancy.method)
        material = method.text("material")
        _, element = PLANTS[scenario.facility.plant]
        quantities = {q.material: float(q.quantity_kg) for q in spec.significant_quantities}
        goals = [g.goal_days for g in spec.timeliness_goals if material in g.materials]
        barrier = InformationBarrier(spec, method.item_class, default_registry(), [method.id])
        return Prepared(
            barrier=barrier,
            method=method,
            material=material,
            element=element,
            significant_quantity_kg=quantities.get(material),
            timeliness_goal_days=float(goals[0]) if goals else None,
            diversion_kg=tuple(_diversion(scenario, spec, material)),
            campaign_starts=_campaign_starts(scenario),
            pivs_per_campaign=_pivs_per_campaign(scenario),
        )

    def run(
        self, context: RunContext, scenario: MaterialBalanceScenario, prepared: Prepared
    ) -> RunTruth:
        """Play every campaign of one run (module docstring) and return the ground truth.

        Parameters
        ----------
        context
            The run's ledger, keys, clock and random streams.
        scenario
            The scenario point.
        prepared
            From :meth:`prepare`.
        """
        tally = _Tally(cheating=set(), items={})
        for number in range(scenario.accountancy.campaigns):
            _campaign(context, scenario, prepared, number, tally)
        if not context.cheat:
            tally.cheating.clear()
        return _truth(scenario, prepared, tally)


REGIME = MaterialBalanceRegime()
"""The regime instance the exercise framework loads."""
