"""One interface for every compliance rule: records in, findings out.

Each :class:`Rule` has an id, the section of the specification it reads, and a check
that turns ledger records into findings. :func:`evaluate` applies every rule of
:data:`RULES` that the treaty states; :func:`stated_rules` lists, for one treaty,
every rule its specification states and the rule (or library check) that reads it,
so that nothing a treaty states goes unchecked without saying so.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from treatyverify.compliance.counting import evaluate_counting
from treatyverify.compliance.findings import Finding
from treatyverify.compliance.inspections import (
    evaluate_area,
    evaluate_duration,
    evaluate_notice,
    evaluate_quota,
    evaluate_team_size,
)
from treatyverify.compliance.limits import evaluate_declarations, malformed_findings
from treatyverify.compliance.notices import evaluate_acknowledgements, evaluate_notice_deadlines
from treatyverify.compliance.schedules import evaluate_schedules
from treatyverify.errors import InputError
from treatyverify.exchange.declarations import DECLARATION_KIND, declarations_in_effect
from treatyverify.records.ledger import Record
from treatyverify.treaty import TreatySpec

__all__ = ["RULES", "Rule", "StatedRule", "evaluate", "rule", "stated_rules", "unchecked"]

Check = Callable[[TreatySpec, Sequence[Record], datetime], list[Finding]]


@dataclass(frozen=True)
class Rule:
    """A named compliance rule.

    Attributes
    ----------
    id
        Name, also the prefix of its findings' ``rule`` (``"limit"`` gives
        ``"limit:warheads"``).
    reads
        Patterns (``fnmatch``) of the specification fields the rule reads, e.g.
        ``"limits.*.maximum"``.
    description
        What the rule checks, in one line.
    check
        ``check(spec, records, as_of)``: the findings, ``as_of`` an aware UTC time.
    """

    id: str
    reads: tuple[str, ...]
    description: str
    check: Check

    def applies(self, spec: TreatySpec) -> bool:
        """Whether ``spec`` states a field this rule reads."""
        return any(self.covers(field) for field, _value, _source in _stated(spec))

    def covers(self, field: str) -> bool:
        """Whether this rule reads specification field ``field``."""
        return any(fnmatch.fnmatchcase(field, pattern) for pattern in self.reads)


def _declarations(spec: TreatySpec, records: Sequence[Record], as_of: datetime) -> list[Finding]:
    state = declarations_in_effect(
        (r for r in records if r.kind == DECLARATION_KIND), as_of.date(), spec
    )
    if spec.limits:
        return evaluate_declarations(spec, state)
    return malformed_findings(spec, state) + evaluate_counting(spec, state.effective)


RULES: tuple[Rule, ...] = (
    Rule(
        "limit",
        (
            "limits.*.maximum",
            "limits.*.effective",
            "counting_rules.*",
        ),
        "declarations in effect: readable, counting rules, and limits from their effective date",
        _declarations,
    ),
    Rule(
        "declaration-due",
        ("declarations.*.due",),
        "each declaration of a schedule given by its due date",
        lambda spec, records, as_of: evaluate_schedules(spec, records, as_of=as_of.date()),
    ),
    Rule(
        "notice-deadline",
        ("notifications.*.deadline",),
        "notices given by their deadline; events with no notice",
        evaluate_notice_deadlines,
    ),
    Rule(
        "notice-acknowledgement",
        ("notifications.*.conditions.acknowledgement_hours",),
        "notices acknowledged by every notified party in time",
        evaluate_acknowledgements,
    ),
    Rule(
        "inspection-quota",
        ("inspections.*.annual_quota", "inspections.*.quota_by_period"),
        "inspections per type and treaty year within the quota",
        lambda spec, records, _as_of: evaluate_quota(spec, records),
    ),
    Rule(
        "inspection-team-size",
        ("inspections.*.team_size",),
        "inspection teams within the team size",
        lambda spec, records, _as_of: evaluate_team_size(spec, records),
    ),
    Rule(
        "inspection-duration",
        ("inspections.*.duration_hours", "inspections.*.extension_hours"),
        "time on site within the duration and its extension",
        lambda spec, records, _as_of: evaluate_duration(spec, records),
    ),
    Rule(
        "inspection-notice",
        ("inspections.*.notice_hours",),
        "inspections notified the stated hours before they start",
        lambda spec, records, _as_of: evaluate_notice(spec, records),
    ),
    Rule(
        "inspection-area",
        ("inspections.*.max_area_km2", "inspections.*.max_linear_extent_km"),
        "inspection areas within the stated area and linear extent",
        lambda spec, records, _as_of: evaluate_area(spec, records),
    ),
)
"""Every compliance rule, in the order :func:`evaluate` applies them."""

LIBRARY_CHECKS: dict[str, str] = {
    "notifications.*.conditions.min_range_km_exclusive": (
        "treatyverify.notifications.geometry.launch_requires_notice"
    ),
    "notifications.*.conditions.directions_*": (
        "treatyverify.notifications.geometry.launch_requires_notice"
    ),
    "notifications.*.conditions.impact_area": (
        "treatyverify.notifications.geometry.parse_impact_area"
    ),
    "notifications.*.required_fields": "treatyverify.notifications.notices.Notice.check",
    "inspections.*.may_record": "treatyverify.exchange.inspections.submit_inspection",
}
"""Stated rules read by a library check outside the findings rules (pattern -> callable):
they decide whether a notice is due or refuse a notice that lacks its fields."""


def rule(rule_id: str) -> Rule:
    """The rule named ``rule_id``; KeyError listing the rules if unknown."""
    for entry in RULES:
        if entry.id == rule_id:
            return entry
    raise KeyError(f"no rule {rule_id!r} (rules: {', '.join(r.id for r in RULES)})")


def _as_of(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InputError("a time of evaluation needs its zone (UTC)", where="as_of")
        return value.astimezone(UTC)
    return datetime.combine(value, time(23, 59, 59), tzinfo=UTC)


def evaluate(
    spec: TreatySpec, records: Iterable[Record], *, as_of: datetime | date
) -> list[Finding]:
    """Apply every rule the treaty states to the ledger's records.

    Parameters
    ----------
    spec
        The treaty specification.
    records
        The ledger's records, in ledger order.
    as_of
        Time of the evaluation (aware, UTC), or a UTC day (its last second).

    Returns
    -------
    list of Finding
        The findings of each rule of :data:`RULES` in turn.
    """
    moment = _as_of(as_of)
    ledger = list(records)
    stated = [field for field, _value, _source in _stated(spec)]
    findings: list[Finding] = []
    for entry in RULES:
        if any(entry.covers(field) for field in stated):
            findings.extend(entry.check(spec, ledger, moment))
    return findings


@dataclass(frozen=True)
class StatedRule:
    """One rule a specification states, and what checks it.

    Attributes
    ----------
    treaty
        Treaty id.
    field
        Specification field, e.g. ``"limits.warheads.maximum"``.
    value
        The stated value, as text.
    source
        Its treaty article or paragraph.
    checker
        The rule id (of :data:`RULES`) or library callable that reads it; ``None``
        when nothing does.
    """

    treaty: str
    field: str
    value: str
    source: str
    checker: str | None


def _stated(spec: TreatySpec) -> list[tuple[str, str, str]]:
    """(field, value, source) of every rule the specification states."""
    out: list[tuple[str, str, str]] = []
    for limit in spec.limits:
        out.append((f"limits.{limit.id}.maximum", f"{limit.maximum} {limit.unit}", limit.source))
        out.append((f"limits.{limit.id}.effective", str(limit.effective), limit.source))
    for counting in spec.counting_rules:
        out.append((f"counting_rules.{counting.id}", counting.kind, counting.source))
    for schedule in spec.declarations:
        due = schedule.due.model_dump(exclude_none=True)
        out.append((f"declarations.{schedule.id}.due", _text(due), schedule.source))
    for notice in spec.notifications:
        d = notice.deadline
        deadline = f"{d.hours} h {d.relation} {d.reference}"
        out.append((f"notifications.{notice.code}.deadline", deadline, notice.source))
        if notice.required_fields:
            fields = ", ".join(notice.required_fields)
            out.append((f"notifications.{notice.code}.required_fields", fields, notice.source))
        for key, value in notice.conditions.items():
            out.append((f"notifications.{notice.code}.conditions.{key}", str(value), notice.source))
    for inspection in spec.inspections:
        if inspection.quota_by_period:
            periods = "; ".join(
                f"years {p.from_year}-{p.to_year}: {p.per_year}" for p in inspection.quota_by_period
            )
            out.append((f"inspections.{inspection.id}.quota_by_period", periods, inspection.source))
        if inspection.may_record:
            classes = ", ".join(inspection.may_record)
            out.append((f"inspections.{inspection.id}.may_record", classes, inspection.source))
        for name in (
            "annual_quota",
            "notice_hours",
            "duration_hours",
            "extension_hours",
            "team_size",
            "max_area_km2",
            "max_linear_extent_km",
        ):
            value = getattr(inspection, name)
            if value is not None:
                out.append((f"inspections.{inspection.id}.{name}", str(value), inspection.source))
    return out


def _text(values: dict[str, object]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items())


def stated_rules(spec: TreatySpec) -> list[StatedRule]:
    """Every rule ``spec`` states, each with the rule or library check that reads it."""
    listed: list[StatedRule] = []
    for field, value, source in _stated(spec):
        checker = next((r.id for r in RULES if r.covers(field)), None)
        if checker is None:
            checker = next(
                (c for pattern, c in LIBRARY_CHECKS.items() if fnmatch.fnmatchcase(field, pattern)),
                None,
            )
        listed.append(StatedRule(spec.id, field, value, source, checker))
    return listed


def unchecked(spec: TreatySpec) -> list[StatedRule]:
    """The rules ``spec`` states that nothing checks."""
    return [s for s in stated_rules(spec) if s.checker is None]
