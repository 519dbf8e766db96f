"""Declaration schedules: each declaration given by its due date.

The due date comes from the schedule's ``due`` rule in the treaty
(:class:`~treatyverify.treaty.DueRule`); a declaration is *given* on the UTC day of the
ledger record that carries it, and is on time when that day is not after the due date
("no later than N days after ..."):

* ``initial``: due ``days_after_entry_into_force`` after entry into force (or
  ``days_after_signature`` after signature); a party with none recorded by the due
  date has missed it.
* ``periodic``: periods of ``interval_months`` from ``first_period_starts``; the
  declaration for a period is one whose ``as_of`` lies in it, due
  ``days_after_period_end`` after the period's last day. Only periods that begin
  while the treaty is in force are owed.
* ``on-change``: a declaration's ``as_of`` is the day of the change; it is due
  ``days_after_event`` later. A change never declared cannot be seen in the ledger.

Only due dates passed before the evaluation date give findings: one per party and
schedule, compliant when every declaration due was given on time. Due dates before the
ledger opened (the day of its record 0, when the records include it) are not judged:
the ledger could not have received those declarations; the finding says how many.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from treatyverify.compliance.findings import Finding
from treatyverify.errors import InputError
from treatyverify.exchange.declarations import DECLARATION_KIND, Declaration, parse_declaration
from treatyverify.notifications.deadlines import parse_utc
from treatyverify.records.ledger import GENESIS_KIND, Record
from treatyverify.treaty import DeclarationSchedule, TreatySpec

__all__ = ["DueDeclaration", "due_declarations", "evaluate_schedules"]


@dataclass(frozen=True)
class DueDeclaration:
    """One declaration owed by one party, and what the ledger holds for it.

    Attributes
    ----------
    schedule, party
        Schedule id and the party that owes it.
    period
        First and last day of the period it covers (periodic), else ``None``.
    due
        Last day on which it is on time (UTC).
    given
        The record that gave it (the first, for a period), or ``None``.
    """

    schedule: str
    party: str
    period: tuple[date, date] | None
    due: date
    given: Record | None

    @property
    def late(self) -> bool:
        """Whether it was given after its due date."""
        return self.given is not None and _day(self.given) > self.due


def _add_months(start: date, months: int) -> date:
    """Calendar arithmetic: ``start`` plus ``months``, clipped to the month's last day."""
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return date(year, month + 1, min(start.day, monthrange(year, month + 1)[1]))


def _day(record: Record) -> date:
    return parse_utc(record.time, where=f"record {record.seq}: time").date()


def _readable(records: Iterable[Record], spec: TreatySpec) -> list[tuple[Record, Declaration]]:
    found: list[tuple[Record, Declaration]] = []
    for record in records:
        if record.kind != DECLARATION_KIND:
            continue
        try:
            declaration = parse_declaration(record.body, where=f"record {record.seq}")
            declaration.check(spec)
        except InputError:
            continue  # reported by the rule declaration:well-formed
        found.append((record, declaration))
    return found


def _end_of_treaty(spec: TreatySpec) -> date | None:
    ends = [d for d in (spec.expires, spec.terminated) if d is not None]
    return min(ends) if ends else None


def _first_period_start(spec: TreatySpec, schedule: DeclarationSchedule) -> date | None:
    eif = spec.entered_into_force
    if eif is None:
        return None
    if schedule.due.first_period_starts == "entry-into-force":
        return eif
    return _add_months(eif.replace(day=1), 1)


def due_declarations(
    spec: TreatySpec, records: Iterable[Record], *, as_of: date
) -> list[DueDeclaration]:
    """Every declaration owed with a due date before ``as_of`` (on-change: every one
    given by then), with the record that gave it; the treaty's parties that vote on
    findings owe each schedule."""
    given = _readable(records, spec)
    parties = spec.consensus_parties()
    owed: list[DueDeclaration] = []
    for schedule in spec.declarations:
        of_schedule = [(r, d) for r, d in given if d.schedule == schedule.id]
        for party in parties:
            mine = [(r, d) for r, d in of_schedule if r.party == party]
            owed.extend(_owed(spec, schedule, party, mine, as_of))
    return owed


def _owed(
    spec: TreatySpec,
    schedule: DeclarationSchedule,
    party: str,
    mine: list[tuple[Record, Declaration]],
    as_of: date,
) -> list[DueDeclaration]:
    due_rule = schedule.due
    if schedule.kind == "initial":
        start: date | None = spec.signed
        days: int | None = due_rule.days_after_signature
        if due_rule.days_after_entry_into_force is not None:
            start, days = spec.entered_into_force, due_rule.days_after_entry_into_force
        if start is None or days is None:
            return []  # the treaty has not reached the date the rule counts from
        due = start + timedelta(days=days)
        if due >= as_of:
            return []  # it may still be given on time
        first = mine[0][0] if mine else None
        return [DueDeclaration(schedule.id, party, None, due, first)]
    if schedule.kind == "on-change":
        days = due_rule.days_after_event or 0
        return [
            DueDeclaration(schedule.id, party, None, d.as_of + timedelta(days=days), r)
            for r, d in mine
            if d.as_of <= as_of
        ]
    start = _first_period_start(spec, schedule)
    interval = due_rule.interval_months
    after_end = due_rule.days_after_period_end
    if start is None or interval is None or after_end is None:
        return []
    end_of_treaty = _end_of_treaty(spec)
    owed: list[DueDeclaration] = []
    k = 0
    while True:
        begin = _add_months(start, k * interval)
        last = _add_months(start, (k + 1) * interval) - timedelta(days=1)
        due = last + timedelta(days=after_end)
        if due >= as_of or (end_of_treaty is not None and begin >= end_of_treaty):
            return owed
        covering = [r for r, d in mine if begin <= d.as_of <= last]
        owed.append(
            DueDeclaration(
                schedule.id, party, (begin, last), due, covering[0] if covering else None
            )
        )
        k += 1


def evaluate_schedules(
    spec: TreatySpec, records: Iterable[Record], *, as_of: date
) -> list[Finding]:
    """One finding per party and declaration schedule with a due date passed by
    ``as_of``; rule ``declaration-due:<schedule>``, compliant when none is missing or
    late."""
    listed = list(records)
    opened = next((_day(r) for r in listed if r.kind == GENESIS_KIND), None)
    owed = due_declarations(spec, listed, as_of=as_of)
    findings: list[Finding] = []
    for schedule in spec.declarations:
        for party in spec.consensus_parties():
            items = [o for o in owed if o.schedule == schedule.id and o.party == party]
            earlier = [o for o in items if opened is not None and o.due < opened]
            judged = [o for o in items if o not in earlier]
            if judged:
                findings.append(_finding(schedule, party, judged, as_of, len(earlier), opened))
    return findings


def _label(item: DueDeclaration) -> str:
    if item.period is None:
        return f"due {item.due}"
    return f"period {item.period[0]} to {item.period[1]}, due {item.due}"


def _finding(
    schedule: DeclarationSchedule,
    party: str,
    items: list[DueDeclaration],
    as_of: date,
    earlier: int = 0,
    opened: date | None = None,
) -> Finding:
    missing = [o for o in items if o.given is None]
    late = [o for o in items if o.late]
    compliant = not missing and not late
    parts = [f"{len(items)} {schedule.id} declaration(s) due by {as_of}"]
    if missing:
        parts.append(f"{len(missing)} missing (first: {_label(missing[0])})")
    if late:
        first = late[0]
        given = first.given
        seq = "" if given is None else f" record {given.seq} on {_day(given)}"
        parts.append(f"{len(late)} late (first:{seq}, {_label(first)})")
    if compliant:
        parts.append("all given on time")
    if earlier:
        parts.append(f"{earlier} due before the ledger opened on {opened} not judged")
    return Finding(
        rule=f"declaration-due:{schedule.id}",
        subject=party,
        statement=f"{party}: " + "; ".join(parts),
        compliant=compliant,
        values={
            "due": [o.due.isoformat() for o in items],
            "missing": [o.due.isoformat() for o in missing],
            "late": [
                {"due": o.due.isoformat(), "seq": o.given.seq} for o in late if o.given is not None
            ],
            "as_of": as_of.isoformat(),
            "not_judged_before_opening": earlier,
        },
        source=schedule.source,
        basis=tuple(o.given for o in items if o.given is not None),
    )
