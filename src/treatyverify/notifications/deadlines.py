"""Deadlines of notices: late, missing and unacknowledged notices, and what is due.

Every time here is an aware UTC :class:`~datetime.datetime`.

Times of a notice
-----------------
* *event time*: ``event_time`` of the notice body (the planned launch, the movement).
* *effective time*: the time of the ledger record that carries the notice, i.e. when
  the notifying party submitted it.
* *deadline*: from the treaty's :class:`~treatyverify.treaty.Deadline` of the notice's
  type: ``event_time - hours`` for ``relation: before`` (the notice must be given at
  least that many hours ahead), ``event_time + hours`` for ``relation: after``.

A notice is **late** when its effective time is after its deadline.

Events and missing notices
--------------------------
An event that calls for a notice is known from a ledger record of kind ``"event"``
(:data:`EVENT_KIND`), for example a detected launch or a declared elimination, with the
body::

    {"code": "<notification type code>", "party": "<party that must notify>",
     "event_time": "<ISO 8601 UTC>", "notice": "<ref>"}   # "notice" optional

A notice *covers* the event when it has the same code, was submitted by ``party`` and
either has the ref named by ``"notice"`` or, without one, its ``event_time`` lies within
``match_window_hours`` of the event's (default 24 h, because the 1988 agreement's
notice gives a "planned date of launch", Article I, a calendar day rather than an
hour). Each notice covers at most one event. An event not covered by its deadline is a
**missing** notice.

Acknowledgements
----------------
A notified party acknowledges a notice with a record of kind ``"acknowledgement"``
(:data:`ACK_KIND`) and body ``{"notice": "<ref>", "notifying_party": "<party>"}``,
signed by the acknowledging party; its record time is the time of acknowledgement.
No limit is assumed: it is ``ack_hours`` when given, otherwise the notice type's
``conditions.acknowledgement_hours`` when the treaty sets one (the INF inspection notices:
one hour); with neither, acknowledgements are not checked. A notice not acknowledged
by every other party with the role ``notified`` within the limit is **unacknowledged**.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from treatyverify.compliance.findings import Finding
from treatyverify.errors import InputError
from treatyverify.notifications.notices import NOTICE_KIND
from treatyverify.records.ledger import Record, format_time
from treatyverify.treaty import Deadline, NotificationType, TreatySpec

__all__ = [
    "ACK_KIND",
    "DEFAULT_MATCH_WINDOW_HOURS",
    "EVENT_KIND",
    "DueItem",
    "NoticeTiming",
    "check_deadlines",
    "deadline_of",
    "due",
    "parse_utc",
]

EVENT_KIND = "event"
ACK_KIND = "acknowledgement"
DEFAULT_MATCH_WINDOW_HOURS = 24.0
"""Hours between a notice's and an event's times within which the notice covers the
event: one day, because a 1988-agreement notice gives the planned *date* (Article I)."""


def parse_utc(value: Any, *, where: str) -> datetime:
    """Parse an ISO 8601 time that must carry the UTC zone (``Z`` or ``+00:00``).

    Raises
    ------
    InputError
        Not text, not ISO 8601, no zone (naive), or a zone other than UTC; ``where``
        names the notice and field.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InputError(f"not an ISO 8601 time: {value!r}", where=where) from None
    else:
        raise InputError("a time is ISO 8601 text, e.g. 2026-01-01T00:00:00Z", where=where)
    offset = moment.utcoffset()
    if offset is None:
        raise InputError(f"time {value!s} has no time zone (append Z for UTC)", where=where)
    if offset != timedelta(0):
        raise InputError(f"time {value!s} is not in UTC (use Z or +00:00)", where=where)
    return moment.astimezone(UTC)


def deadline_of(rule: Deadline, event_time: datetime) -> datetime:
    """Deadline of a notice for an event at ``event_time`` (UTC) under ``rule`` (h)."""
    shift = timedelta(hours=float(rule.hours))
    return event_time - shift if rule.relation == "before" else event_time + shift


def _record_time(record: Record) -> datetime:
    return parse_utc(record.time, where=f"record {record.seq}: time")


@dataclass(frozen=True)
class NoticeTiming:
    """A notice in the ledger with its times (UTC).

    Attributes
    ----------
    record
        The notification record.
    ref, code, party
        Notice reference, type code and notifying party.
    event_time, submitted, deadline
        Event time, effective (submission) time and deadline.
    """

    record: Record
    ref: str
    code: str
    party: str
    event_time: datetime
    submitted: datetime
    deadline: datetime

    @property
    def late(self) -> bool:
        """Whether the notice was submitted after its deadline."""
        return self.submitted > self.deadline

    @property
    def hours_late(self) -> float:
        """Hours by which the deadline was missed (negative: hours to spare), h."""
        return (self.submitted - self.deadline).total_seconds() / 3600.0


@dataclass(frozen=True)
class _Event:
    record: Record
    ref: str
    code: str
    party: str
    event_time: datetime
    notice: str | None


@dataclass(frozen=True)
class DueItem:
    """A notice or acknowledgement owed, with its deadline.

    Attributes
    ----------
    what
        ``"notice"`` or ``"acknowledgement"``.
    code
        Notification type code.
    party
        The party that owes it.
    reference
        The event (for a notice) or the notice ref (for an acknowledgement).
    deadline
        When it is due (UTC).
    status
        ``"due"`` (deadline not passed at ``now``) or ``"overdue"``.
    hours_left
        Hours from ``now`` to the deadline (negative when overdue), h.
    """

    what: Literal["notice", "acknowledgement"]
    code: str
    party: str
    reference: str
    deadline: datetime
    status: Literal["due", "overdue"]
    hours_left: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "what": self.what,
            "code": self.code,
            "party": self.party,
            "reference": self.reference,
            "deadline": format_time(self.deadline),
            "status": self.status,
            "hours_left": round(self.hours_left, 3),
        }


def _text(body: Mapping[str, Any], name: str, where: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InputError(f"'{name}' must be non-empty text", where=f"{where}: {name}")
    return value


@dataclass
class _Ledgered:
    notices: list[NoticeTiming]
    events: list[_Event]
    acks: dict[tuple[str, str], list[tuple[str, datetime, Record]]]


def _collect(spec: TreatySpec, records: Iterable[Record]) -> _Ledgered:
    notices: list[NoticeTiming] = []
    events: list[_Event] = []
    acks: dict[tuple[str, str], list[tuple[str, datetime, Record]]] = {}
    for record in records:
        body = record.body
        if record.kind == NOTICE_KIND:
            ref = _text(body, "ref", f"record {record.seq}")
            where = f"notice {ref}"
            code = _text(body, "code", where)
            event_time = parse_utc(body.get("event_time"), where=f"{where}: event_time")
            rule = spec.notification(code).deadline
            notices.append(
                NoticeTiming(
                    record,
                    ref,
                    code,
                    record.party,
                    event_time,
                    _record_time(record),
                    deadline_of(rule, event_time),
                )
            )
        elif record.kind == EVENT_KIND:
            ref = record.ref or f"record {record.seq}"
            where = f"event {ref}"
            code = _text(body, "code", where)
            spec.notification(code)
            notice = body.get("notice")
            if notice is not None and not isinstance(notice, str):
                raise InputError("'notice' must be a notice ref", where=f"{where}: notice")
            events.append(
                _Event(
                    record,
                    ref,
                    code,
                    _text(body, "party", where),
                    parse_utc(body.get("event_time"), where=f"{where}: event_time"),
                    notice,
                )
            )
        elif record.kind == ACK_KIND:
            where = f"acknowledgement record {record.seq}"
            key = (_text(body, "notifying_party", where), _text(body, "notice", where))
            acks.setdefault(key, []).append((record.party, _record_time(record), record))
    return _Ledgered(notices, events, acks)


def _match(
    events: list[_Event], notices: list[NoticeTiming], window_hours: float
) -> dict[int, NoticeTiming]:
    """Notice covering each event (by index into ``events``); each notice used once."""
    window = timedelta(hours=window_hours)
    used: set[tuple[str, str]] = set()
    matched: dict[int, NoticeTiming] = {}
    for index, event in enumerate(events):
        candidates = [
            n
            for n in notices
            if n.code == event.code and n.party == event.party and (n.party, n.ref) not in used
        ]
        if event.notice is not None:
            candidates = [n for n in candidates if n.ref == event.notice]
        else:
            candidates = [n for n in candidates if abs(n.event_time - event.event_time) <= window]
        if candidates:
            best = min(candidates, key=lambda n: abs(n.event_time - event.event_time))
            used.add((best.party, best.ref))
            matched[index] = best
    return matched


def _ack_limit(notice_type: NotificationType, ack_hours: float | None) -> float | None:
    if ack_hours is not None:
        return ack_hours
    value = notice_type.conditions.get("acknowledgement_hours")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _acknowledgers(spec: TreatySpec, notifier: str) -> list[str]:
    return [p.id for p in spec.parties if "notified" in p.roles and p.id != notifier]


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600.0


def check_deadlines(
    spec: TreatySpec,
    records: Iterable[Record],
    now: datetime,
    *,
    ack_hours: float | None = None,
    match_window_hours: float = DEFAULT_MATCH_WINDOW_HOURS,
) -> list[Finding]:
    """Findings for late, missing and unacknowledged notices, as of ``now`` (UTC).

    Parameters
    ----------
    spec
        The treaty: notification types, their deadlines, sources and parties.
    records
        Ledger records; kinds ``notification``, ``event`` and ``acknowledgement`` are read.
    now
        The time of evaluation (UTC); a deadline not yet passed gives no finding.
    ack_hours
        Time allowed for an acknowledgement after the notice, h (see the module doc).
    match_window_hours
        Window within which a notice covers an event, h.

    Returns
    -------
    list of Finding
        Non-compliant findings only: rules ``notice-late:<code>``,
        ``notice-missing:<code>`` and ``notice-unacknowledged:<code>``, in ledger order.
    """
    now = parse_utc(now, where="now")
    ledgered = _collect(spec, records)
    findings: list[Finding] = []
    for n in ledgered.notices:
        if n.late:
            rule = spec.notification(n.code).deadline
            findings.append(
                Finding(
                    rule=f"notice-late:{n.code}",
                    subject=n.party,
                    statement=(
                        f"{n.party} gave notice {n.ref} at {format_time(n.submitted)}, "
                        f"{n.hours_late:.2f} h after its deadline {format_time(n.deadline)} "
                        f"({rule.hours} h {rule.relation} the {rule.reference})"
                    ),
                    compliant=False,
                    values={
                        "notices": [n.ref],
                        "event_time": format_time(n.event_time),
                        "submitted": format_time(n.submitted),
                        "deadline": format_time(n.deadline),
                        "hours_late": round(n.hours_late, 3),
                    },
                    source=spec.notification(n.code).source,
                    basis=(n.record,),
                )
            )
    matched = _match(ledgered.events, ledgered.notices, match_window_hours)
    for index, event in enumerate(ledgered.events):
        if index in matched:
            continue
        notice_type = spec.notification(event.code)
        deadline = deadline_of(notice_type.deadline, event.event_time)
        if now <= deadline:
            continue
        findings.append(
            Finding(
                rule=f"notice-missing:{event.code}",
                subject=event.party,
                statement=(
                    f"{event.party} gave no {event.code} notice for event {event.ref} at "
                    f"{format_time(event.event_time)}; it was due by {format_time(deadline)}"
                ),
                compliant=False,
                values={
                    "notices": [],
                    "event": event.ref,
                    "event_time": format_time(event.event_time),
                    "deadline": format_time(deadline),
                },
                source=notice_type.source,
                basis=(event.record,),
            )
        )
    for n in ledgered.notices:
        notice_type = spec.notification(n.code)
        limit = _ack_limit(notice_type, ack_hours)
        if limit is None:
            continue
        ack_deadline = n.submitted + timedelta(hours=limit)
        received = ledgered.acks.get((n.party, n.ref), [])
        for party in _acknowledgers(spec, n.party):
            from_party = [(t, r) for p, t, r in received if p == party]
            first = min(from_party, key=lambda item: item[0]) if from_party else None
            if first is not None and first[0] <= ack_deadline:
                continue
            if first is None and now <= ack_deadline:
                continue
            when = "not at all" if first is None else f"only at {format_time(first[0])}"
            findings.append(
                Finding(
                    rule=f"notice-unacknowledged:{n.code}",
                    subject=party,
                    statement=(
                        f"{party} acknowledged notice {n.ref} of {n.party} {when}; "
                        f"the acknowledgement was due by {format_time(ack_deadline)} "
                        f"({limit} h after the notice)"
                    ),
                    compliant=False,
                    values={
                        "notices": [n.ref],
                        "notifying_party": n.party,
                        "acknowledgement_deadline": format_time(ack_deadline),
                        "acknowledged": None if first is None else format_time(first[0]),
                        "ack_hours": limit,
                    },
                    source=notice_type.source,
                    basis=(n.record,) if first is None else (n.record, first[1]),
                )
            )
    return findings


def due(
    spec: TreatySpec,
    records: Iterable[Record],
    now: datetime,
    *,
    ack_hours: float | None = None,
    match_window_hours: float = DEFAULT_MATCH_WINDOW_HOURS,
) -> list[DueItem]:
    """What is owed as of ``now`` (UTC): notices for events, and acknowledgements.

    A notice is owed for every ``event`` record no notice covers; an acknowledgement for
    every notice not yet acknowledged by a notified party (only when an
    acknowledgement limit is known, see the module doc). Items are sorted by deadline.
    """
    now = parse_utc(now, where="now")
    ledgered = _collect(spec, records)
    items: list[DueItem] = []
    matched = _match(ledgered.events, ledgered.notices, match_window_hours)
    for index, event in enumerate(ledgered.events):
        if index in matched:
            continue
        deadline = deadline_of(spec.notification(event.code).deadline, event.event_time)
        left = _hours(deadline - now)
        items.append(
            DueItem(
                "notice",
                event.code,
                event.party,
                f"event {event.ref}",
                deadline,
                "due" if left >= 0 else "overdue",
                left,
            )
        )
    for n in ledgered.notices:
        limit = _ack_limit(spec.notification(n.code), ack_hours)
        if limit is None:
            continue
        deadline = n.submitted + timedelta(hours=limit)
        acknowledged = {p for p, _t, _r in ledgered.acks.get((n.party, n.ref), [])}
        for party in _acknowledgers(spec, n.party):
            if party in acknowledged:
                continue
            left = _hours(deadline - now)
            items.append(
                DueItem(
                    "acknowledgement",
                    n.code,
                    party,
                    f"notice {n.ref} of {n.party}",
                    deadline,
                    "due" if left >= 0 else "overdue",
                    left,
                )
            )
    items.sort(key=lambda item: (item.deadline, item.what, item.reference))
    return items
