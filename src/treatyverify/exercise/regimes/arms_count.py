"""Regime ``arms-count``: declared strategic arms at bases, reductions, Type One inspections.

The host declares its deployed missiles base by base (with the number of reentry
vehicles each carries), eliminates some during the timeline and notifies each
elimination, and sends a periodic update that is checked against the roll-forward of its
notices. The inspecting party runs Type One inspections: a base is drawn by commit-reveal,
the host briefs the number of reentry vehicles on each deployed missile there, one
missile is drawn for the count, and the team compares what it sees with the roll-forward
of the declarations and with the briefing.

Violation ``undeclared-warheads``: extra warheads, either loaded on some missiles of a
declared base (found only when such a missile is drawn for the count) or kept at an
undeclared facility (which no inspection in this regime can reach).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, cast

from pydantic import Field

from treatyverify.compliance.findings import Finding
from treatyverify.compliance.inspections import compare_with_declaration, reentry_vehicle_finding
from treatyverify.compliance.limits import evaluate_limits
from treatyverify.compliance.rollforward import check_declaration
from treatyverify.exchange.declarations import Declaration, submit_declaration
from treatyverify.exchange.inspections import InspectionReport, submit_inspection
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
from treatyverify.notifications.notices import NOTICE_KIND, Notice, submit_notice
from treatyverify.notifications.rollforward import (
    Baseline,
    CountDeclaration,
    rollforward,
)
from treatyverify.records.ledger import Record
from treatyverify.treaty import TreatySpec

__all__ = ["BRIEFING_KIND", "REGIME", "ArmsCountScenario", "treaty_year"]

BRIEFING_KIND = "site_briefing"
"""Record kind of the host's pre-inspection briefing (reentry vehicles per missile)."""

BRIEFING_SOURCE = (
    "New START Treaty (2010), Article XI.2 (Type One inspections confirm the number of "
    "warheads emplaced on deployed ICBMs and SLBMs); Protocol Part Five (inspection "
    "procedures; paragraph not checked here)"
)


class Base(Facility):
    """A declared base with deployed missiles.

    Attributes
    ----------
    missiles
        Deployed missiles at the base at the start of the timeline.
    warheads_per_missile
        Reentry vehicles the host declares on each missile.
    missile_class, warhead_class, launcher_class
        The treaty's item classes of the missiles, of their warheads and of their
        launchers (``launcher_class`` may be null when the treaty counts none).
    """

    missiles: int = Field(ge=1, le=1_000)
    warheads_per_missile: int = Field(ge=1, le=20)
    missile_class: str
    warhead_class: str
    launcher_class: str | None = None


class Elimination(Strict):
    """Missiles the host eliminates at one base (a reduction), each notified.

    Attributes
    ----------
    base
        The base.
    missiles
        How many missiles are eliminated.
    at
        When (UTC).
    notified_after_days
        Delay of each elimination notice after the event (days).
    """

    base: str
    missiles: int = Field(ge=1, le=1_000)
    at: datetime
    notified_after_days: float = Field(ge=0.0, le=365.0)


class UndeclaredWarheads(Strategy):
    """The host holds warheads it does not declare.

    Attributes
    ----------
    facility
        A declared base (extra reentry vehicles on some of its missiles) or an
        undeclared facility listed under ``facilities`` (warheads stored there).
    missiles
        At a base: how many missiles carry extra reentry vehicles (chosen at random each
        run among those never eliminated); 0 at an undeclared facility.
    extra_warheads
        Extra reentry vehicles per missile at a base; warheads stored at a facility.
    """

    kind: Literal["undeclared-warheads"]
    facility: str
    missiles: int = Field(ge=0, le=1_000)
    extra_warheads: int = Field(ge=1, le=100_000)


class ArmsCountScenario(ScenarioBase):
    """A scenario of the ``arms-count`` regime (see docs/exercises.md).

    Attributes
    ----------
    inspection_type
        The treaty's inspection type the inspectors use (for example ``type-one``).
    inspection_days
        Length of one inspection (days).
    baseline_schedule, update_schedule
        The treaty's declaration schedules of the baseline and of the periodic update.
    update_as_of
        The time the periodic update holds for (UTC); sent one day later.
    bases
        The declared bases with deployed missiles.
    facilities
        Places other than bases (for example undeclared storage).
    eliminations
        Missiles the host eliminates (reductions), each notified.
    """

    regime: Literal["arms-count"]
    strategy: Annotated[Compliant | UndeclaredWarheads, Field(discriminator="kind")]
    inspection_type: str
    inspection_days: float = Field(gt=0.0, le=60.0)
    baseline_schedule: str
    update_schedule: str
    update_as_of: datetime
    bases: tuple[Base, ...] = Field(min_length=1, max_length=200)
    facilities: tuple[Facility, ...] = ()
    eliminations: tuple[Elimination, ...] = ()


def treaty_year(entered_into_force: date, moment: datetime) -> int:
    """Treaty year of ``moment``: 1 in the first year after entry into force."""
    day = moment.date()
    years = day.year - entered_into_force.year
    if (day.month, day.day) < (entered_into_force.month, entered_into_force.day):
        years -= 1
    return years + 1


def inspection_times(scenario: ArmsCountScenario) -> list[datetime]:
    """Start of each inspection: spread evenly over the timeline, each ending inside it."""
    quota = scenario.inspector.quota
    last_start = scenario.timeline.end - timedelta(days=scenario.inspection_days + 1.0)
    span = last_start - scenario.timeline.start
    return [scenario.timeline.start + span * ((k + 0.5) / quota) for k in range(quota)]


def _missile_ids(base: Base) -> list[str]:
    return [f"{base.id}/m{number:03d}" for number in range(1, base.missiles + 1)]


class _ArmsCount:
    name = "arms-count"
    model = ArmsCountScenario
    strategies = frozenset({"compliant", "undeclared-warheads"})

    # Checks -------------------------------------------------------------------------

    def check(self, scenario: Any, spec: TreatySpec) -> None:
        """Check the scenario against the treaty (see the module doc)."""
        scenario = cast(ArmsCountScenario, scenario)
        self._check_treaty_life(scenario, spec)
        self._check_places(scenario, spec)
        self._check_inspections(scenario, spec)
        self._check_declarations(scenario, spec)
        self._check_eliminations(scenario, spec)
        self._check_strategy(scenario, spec)

    @staticmethod
    def _check_treaty_life(scenario: ArmsCountScenario, spec: TreatySpec) -> None:
        start, end = scenario.timeline.start, scenario.timeline.end
        if spec.entered_into_force is None or start.date() < spec.entered_into_force:
            raise ScenarioError(
                f"{spec.id} is not in force at the start of the timeline "
                f"(entry into force: {spec.entered_into_force or 'none'})",
                loc=("timeline", "start"),
            )
        if spec.expires is not None and end.date() > spec.expires:
            raise ScenarioError(
                f"{spec.id} expires on {spec.expires}, before the timeline ends",
                loc=("timeline", "end"),
            )

    @staticmethod
    def _check_places(scenario: ArmsCountScenario, spec: TreatySpec) -> None:
        classes = {item.id for item in spec.item_classes}
        seen: set[str] = set()
        for index, base in enumerate(scenario.bases):
            if base.id in seen:
                raise ScenarioError(f"base {base.id} is listed twice", loc=("bases", index, "id"))
            seen.add(base.id)
            if not base.declared:
                raise ScenarioError(
                    "a base with deployed missiles is declared; list hidden places under "
                    "facilities",
                    loc=("bases", index, "declared"),
                )
            for field in ("missile_class", "warhead_class", "launcher_class"):
                value = getattr(base, field)
                if value is not None and value not in classes:
                    raise ScenarioError(
                        f"{spec.id} has no item class {value!r}", loc=("bases", index, field)
                    )
        for index, facility in enumerate(scenario.facilities):
            if facility.id in seen:
                raise ScenarioError(
                    f"facility {facility.id} is listed twice", loc=("facilities", index, "id")
                )
            seen.add(facility.id)

    @staticmethod
    def _check_inspections(scenario: ArmsCountScenario, spec: TreatySpec) -> None:
        if scenario.inspector.methods:
            raise ScenarioError(
                "this regime measures nothing behind the information barrier (the "
                "reentry-vehicle count is the inspection team's observation); list no methods",
                loc=("inspector", "methods"),
            )
        try:
            inspection = spec.inspection(scenario.inspection_type)
        except Exception as exc:  # the treaty's own message names the known types
            raise ScenarioError(str(exc), loc=("inspection_type",)) from None
        resources = scenario.inspector
        if inspection.team_size is not None and resources.team_size > inspection.team_size:
            raise ScenarioError(
                f"{inspection.name} teams have at most {inspection.team_size} inspectors",
                loc=("inspector", "team_size"),
            )
        needed = resources.quota * resources.team_size * scenario.inspection_days
        if needed > resources.team_days:
            raise ScenarioError(
                f"{resources.quota} inspections of {resources.team_size} inspectors for "
                f"{scenario.inspection_days:g} days need {needed:g} team-days; "
                f"the scenario gives {resources.team_days:g}",
                loc=("inspector", "team_days"),
            )
        if resources.quota * scenario.inspection_days > scenario.timeline.days - 1.0:
            raise ScenarioError(
                f"{resources.quota} inspections of {scenario.inspection_days:g} days do not "
                "fit in the timeline",
                loc=("inspector", "quota"),
            )
        if resources.quota == 0:
            return
        if spec.entered_into_force is None:
            raise ScenarioError(f"{spec.id} has no entry into force", loc=("treaty",))
        per_year: dict[int, int] = {}
        for moment in inspection_times(scenario):
            year = treaty_year(spec.entered_into_force, moment)
            per_year[year] = per_year.get(year, 0) + 1
        for year, count in sorted(per_year.items()):
            try:
                allowed = inspection.quota_for_year(year)
            except Exception as exc:  # no quota for that year
                raise ScenarioError(str(exc), loc=("inspector", "quota")) from None
            if count > allowed:
                raise ScenarioError(
                    f"{count} {inspection.name} inspections fall in treaty year {year}; "
                    f"the treaty allows {allowed} ({inspection.source.strip()})",
                    loc=("inspector", "quota"),
                )

    @staticmethod
    def _check_declarations(scenario: ArmsCountScenario, spec: TreatySpec) -> None:
        for field in ("baseline_schedule", "update_schedule"):
            try:
                spec.declaration(getattr(scenario, field))
            except Exception as exc:
                raise ScenarioError(str(exc), loc=(field,)) from None
        timeline = scenario.timeline
        if not timeline.start < scenario.update_as_of < timeline.end - timedelta(days=1):
            raise ScenarioError(
                "the update must hold for a time inside the timeline, one day before its end",
                loc=("update_as_of",),
            )

    @staticmethod
    def _check_eliminations(scenario: ArmsCountScenario, spec: TreatySpec) -> None:
        bases = {base.id: base for base in scenario.bases}
        if scenario.eliminations:
            try:
                spec.notification("elimination")
            except Exception:
                raise ScenarioError(
                    f"{spec.id} defines no elimination notice to report reductions",
                    loc=("eliminations",),
                ) from None
        left = {base.id: base.missiles for base in scenario.bases}
        for index, elimination in enumerate(scenario.eliminations):
            if elimination.base not in bases:
                raise ScenarioError(
                    f"no base {elimination.base!r} (bases: {', '.join(sorted(bases))})",
                    loc=("eliminations", index, "base"),
                )
            notified = elimination.at + timedelta(days=elimination.notified_after_days)
            if not scenario.timeline.start < elimination.at or notified > scenario.timeline.end:
                raise ScenarioError(
                    "the elimination and its notice must fall inside the timeline",
                    loc=("eliminations", index, "at"),
                )
            left[elimination.base] -= elimination.missiles
            if left[elimination.base] < 0:
                raise ScenarioError(
                    f"base {elimination.base} has fewer missiles than are eliminated",
                    loc=("eliminations", index, "missiles"),
                )

    @staticmethod
    def _check_strategy(scenario: ArmsCountScenario, spec: TreatySpec) -> None:
        strategy = scenario.strategy
        if not isinstance(strategy, UndeclaredWarheads):
            return
        counted = {c for limit in spec.limits for c in limit.counts}
        if not any(base.warhead_class in counted for base in scenario.bases):
            raise ScenarioError(
                f"{spec.id} limits no warhead class of these bases, so undeclared warheads "
                "break no rule it states",
                loc=("strategy", "kind"),
            )
        bases = {base.id: base for base in scenario.bases}
        hidden = {facility.id: facility for facility in scenario.facilities}
        if strategy.facility in bases:
            base = bases[strategy.facility]
            eliminated = sum(
                e.missiles for e in scenario.eliminations if e.base == strategy.facility
            )
            if not 1 <= strategy.missiles <= base.missiles - eliminated:
                raise ScenarioError(
                    f"between 1 and {base.missiles - eliminated} missiles of base {base.id} "
                    "(those never eliminated) can carry extra warheads",
                    loc=("strategy", "missiles"),
                )
        elif strategy.facility in hidden:
            if hidden[strategy.facility].declared:
                raise ScenarioError(
                    f"facility {strategy.facility} is declared but holds no missiles; store "
                    "undeclared warheads at an undeclared facility or load them on missiles",
                    loc=("strategy", "facility"),
                )
            if strategy.missiles:
                raise ScenarioError(
                    "an undeclared facility holds no deployed missiles; set missiles to 0",
                    loc=("strategy", "missiles"),
                )
        else:
            known = sorted(bases) + sorted(hidden)
            raise ScenarioError(
                f"no base or facility {strategy.facility!r} (known: {', '.join(known)})",
                loc=("strategy", "facility"),
            )

    # Runs ---------------------------------------------------------------------------

    def prepare(self, scenario: Any, spec: TreatySpec) -> None:
        """Nothing to share between runs."""
        return None

    def run(self, context: RunContext, scenario: Any, prepared: Any) -> RunTruth:
        """Play one run (see the module doc)."""
        return _Run(context, cast(ArmsCountScenario, scenario)).play()


@dataclass(frozen=True)
class _Event:
    time: datetime
    order: int
    action: str
    payload: Any


class _Run:
    """The state of one run of the arms-count regime."""

    def __init__(self, context: RunContext, scenario: ArmsCountScenario) -> None:
        self.context = context
        self.scenario = scenario
        self.spec = context.spec
        self.host = scenario.host
        self.inspector = scenario.inspectors[0]
        self.bases = {base.id: base for base in scenario.bases}
        self.missiles = {base.id: _missile_ids(base) for base in scenario.bases}
        self.loading = {
            missile: base.warheads_per_missile
            for base in scenario.bases
            for missile in self.missiles[base.id]
        }
        self.cheating: frozenset[str] = frozenset()
        self.eliminated: set[str] = set()
        self.baseline = Baseline(
            ref=f"{self.host}-baseline",
            party=self.host,
            as_of=scenario.timeline.start,
            items={
                missile: (base.missile_class, base.id)
                for base in scenario.bases
                for missile in self.missiles[base.id]
            },
        )
        if self.spec.entered_into_force is None:  # the regime's check refuses such a treaty
            raise ScenarioError(f"{self.spec.id} has no entry into force", loc=("treaty",))
        self.entered_into_force: date = self.spec.entered_into_force
        self.inspections = 0

    # The truth ----------------------------------------------------------------------

    def _hide_warheads(self) -> None:
        strategy = self.scenario.strategy
        if not self.context.cheat or not isinstance(strategy, UndeclaredWarheads):
            return
        if strategy.facility not in self.bases:
            self.cheating = frozenset({strategy.facility})
            return
        eliminated = sum(
            e.missiles for e in self.scenario.eliminations if e.base == strategy.facility
        )
        # The host eliminates the lowest-numbered missiles first and loads among the rest.
        kept = self.missiles[strategy.facility][eliminated:]
        chosen = self.context.rng.choice(len(kept), size=strategy.missiles, replace=False)
        loaded = sorted(kept[int(i)] for i in chosen)
        for missile in loaded:
            self.loading[missile] += strategy.extra_warheads
        self.cheating = frozenset(loaded)

    # Steps --------------------------------------------------------------------------

    def play(self) -> RunTruth:
        self._hide_warheads()
        baseline_record = self._declare_baseline()
        for event in self._events():
            if event.action == "eliminate":
                self._eliminate(event.payload)
            elif event.action == "inspect":
                self._inspect(event.payload, event.time, baseline_record)
            else:
                self._update()
        resources = self.scenario.inspector
        return RunTruth(
            effort={
                "inspections": float(self.inspections),
                "team_days": self.inspections * resources.team_size * self.scenario.inspection_days,
                "reentry_vehicle_counts": float(self.inspections),
            },
            cheating_subjects=self.cheating,
            notes={
                "reentry-vehicle count": "observed by the inspection team (no barrier method)",
            },
        )

    def _events(self) -> list[_Event]:
        events = [
            _Event(elimination.at, 0, "eliminate", elimination)
            for elimination in self.scenario.eliminations
        ]
        events += [
            _Event(moment, 1, "inspect", number)
            for number, moment in enumerate(inspection_times(self.scenario), start=1)
        ]
        events.append(_Event(self.scenario.update_as_of + timedelta(days=1), 2, "update", None))
        return sorted(events, key=lambda e: (e.time, e.order))

    def _holdings(
        self, counts: Mapping[str, int], as_of: date, ref: str, schedule: str
    ) -> Declaration:
        holdings = []
        for base_id, count in sorted(counts.items()):
            base = self.bases[base_id]
            warheads = count * base.warheads_per_missile
            holdings.append({"item_class": base.missile_class, "site": base_id, "count": count})
            holdings.append({"item_class": base.warhead_class, "site": base_id, "count": warheads})
            if base.launcher_class is not None:
                holdings.append(
                    {"item_class": base.launcher_class, "site": base_id, "count": count}
                )
        return Declaration.model_validate(
            {"ref": ref, "schedule": schedule, "as_of": as_of, "holdings": holdings}
        )

    def _propose_all(self, findings: Sequence[Finding]) -> None:
        for finding in findings:
            self.context.propose(finding, by=self.inspector)

    def _declare_baseline(self) -> Record:
        """Declare the bases as of the start; return the declaration record."""
        context = self.context
        declaration = self._holdings(
            {base.id: base.missiles for base in self.scenario.bases},
            self.scenario.timeline.start.date(),
            self.baseline.ref,
            self.scenario.baseline_schedule,
        )
        record = submit_declaration(
            context.ledger,
            self.spec,
            context.keys[self.host],
            declaration,
            time=context.advance(hours=1),
        )
        self._propose_all(evaluate_limits(self.spec, {self.host: (record, declaration)}))
        return record

    def _eliminate(self, elimination: Elimination) -> None:
        context = self.context
        remaining = [m for m in self.missiles[elimination.base] if m not in self.eliminated]
        gone = remaining[: elimination.missiles]
        context.move_to(elimination.at + timedelta(days=elimination.notified_after_days))
        for missile in gone:
            self.eliminated.add(missile)
            notice = Notice(
                ref=f"{self.host}-elimination-{missile}",
                code="elimination",
                event_time=elimination.at,
                fields={"item": missile},
            )
            submit_notice(
                context.ledger,
                self.spec,
                context.keys[self.host],
                notice,
                time=context.advance(minutes=1),
            )

    def _notices(self) -> tuple[list[dict[str, Any]], dict[str, Record]]:
        records = list(self.context.ledger.records(kinds=[NOTICE_KIND]))
        return [r.body for r in records], {str(r.body["ref"]): r for r in records}

    def _rolled_counts(self, until: datetime) -> dict[str, int]:
        bodies, _ = self._notices()
        rolled = rollforward(self.baseline, bodies, until=until)
        counts = {base_id: 0 for base_id in self.bases}
        for (_item_class, facility), count in rolled.counts().items():
            counts[facility] = counts.get(facility, 0) + count
        return counts

    def _inspect(self, number: int, moment: datetime, baseline_record: Record) -> None:
        context, scenario = self.context, self.scenario
        context.move_to(moment)
        ref = f"{scenario.inspection_type}-{number}"
        declared = self._rolled_counts(context.now)
        sites = [base_id for base_id, count in sorted(declared.items()) if count > 0]
        site = context.draw(
            ref,
            purpose=f"{scenario.inspection_type} inspection site",
            population=sites,
            count=1,
            opener=self.inspector,
        )[0]
        present = [m for m in self.missiles[site] if m not in self.eliminated]
        base = self.bases[site]
        briefing = context.ledger.append(
            BRIEFING_KIND,
            {
                "inspection": ref,
                "site": site,
                "reentry_vehicles": {m: base.warheads_per_missile for m in present},
            },
            context.keys[self.host],
            ref=f"{ref}-briefing",
            time=context.advance(hours=1),
        )
        missile = context.draw(
            f"{ref}-missile",
            purpose="deployed missile designated for the reentry-vehicle count",
            population=present,
            count=1,
            opener=self.inspector,
        )[0]
        context.advance(days=scenario.inspection_days)
        observed = {base.missile_class: len(present)}
        if base.launcher_class is not None:
            observed[base.launcher_class] = len(present)
        report = InspectionReport(
            ref=ref,
            inspection_type=scenario.inspection_type,
            inspected_party=self.host,
            site=site,
            draw=ref,
            treaty_year=treaty_year(self.entered_into_force, context.now),
            team_size=scenario.inspector.team_size,
            observed=observed,
        )
        record = submit_inspection(
            context.ledger, self.spec, context.keys[self.inspector], report, time=context.now
        )
        self.inspections += 1
        rolled = self._holdings(
            {site: declared[site]},
            context.now.date(),
            f"{self.host}-baseline+notices",
            scenario.baseline_schedule,
        )
        self._propose_all([compare_with_declaration(record, (baseline_record, rolled))])
        finding = reentry_vehicle_finding(
            report=record,
            briefing=briefing,
            host=self.host,
            missile=missile,
            briefed=base.warheads_per_missile,
            counted=self.loading[missile],
            source=BRIEFING_SOURCE,
        )
        self._propose_all([finding])

    def _update(self) -> None:
        context, scenario = self.context, self.scenario
        context.move_to(scenario.update_as_of + timedelta(days=1))
        counts = self._rolled_counts(scenario.update_as_of)
        declaration = self._holdings(
            counts, scenario.update_as_of.date(), f"{self.host}-update", scenario.update_schedule
        )
        record = submit_declaration(
            context.ledger, self.spec, context.keys[self.host], declaration, time=context.now
        )
        bodies, by_ref = self._notices()
        rolled = rollforward(self.baseline, bodies, until=scenario.update_as_of)
        declared = CountDeclaration(
            ref=declaration.ref,
            party=self.host,
            as_of=scenario.update_as_of,
            counts={
                (self.bases[base_id].missile_class, base_id): count
                for base_id, count in counts.items()
                if count > 0
            },
        )
        schedule = self.spec.declaration(scenario.update_schedule)
        self._propose_all(
            check_declaration(rolled, declared, source=schedule.source, records=by_ref)
        )
        self._propose_all(evaluate_limits(self.spec, {self.host: (record, declaration)}))


REGIME = _ArmsCount()
"""The ``arms-count`` regime."""
