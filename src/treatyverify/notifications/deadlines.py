"""Deadlines of notices: when notices and acknowledgements are due, and what is owed.

The findings on late, missing and unacknowledged notices are made by
:mod:`treatyverify.compliance.notices` from the times computed here.

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

from treatyverify.errors import InputError
from treatyverify.notifications.notices import NOTICE_KIND
from treatyverify.records.ledger import Record, format_time
from treatyverify.treaty import Deadline, NotificationType, TreatySpec

__all__ = [
    "ACK_KIND",
    "DEFAULT_MATCH_WINDOW_HOURS",
    "EVENT_KIND",
    "DueItem",
    "Ledgered",
    "LedgeredEvent",
    "NoticeTiming",
    "acknowledgement_limit",
    "acknowledging_parties",
    "collect_ledgered",
    "deadline_of",
    "due",
    "match_notices",
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
class LedgeredEvent:
    """An ``event`` record that calls for a notice (see the module doc)."""

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
class Ledgered:
    """The notices, events and acknowledgements of a ledger, by kind."""

    notices: list[NoticeTiming]
    events: list[LedgeredEvent]
    acks: dict[tuple[str, str], list[tuple[str, datetime, Record]]]


def collect_ledgered(spec: TreatySpec, records: Iterable[Record]) -> Ledgered:
    """Read notices, events and acknowledgements; InputError naming a bad field."""
    notices: list[NoticeTiming] = []
    events: list[LedgeredEvent] = []
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
                LedgeredEvent(
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
    return Ledgered(notices, events, acks)


def match_notices(
    events: list[LedgeredEvent], notices: list[NoticeTiming], window_hours: float
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


def acknowledgement_limit(notice_type: NotificationType, ack_hours: float | None) -> float | None:
    """Hours allowed to acknowledge a notice: ``ack_hours``, else the type's
    ``conditions.acknowledgement_hours``, else ``None`` (not checked)."""
    if ack_hours is not None:
        return ack_hours
    value = notice_type.conditions.get("acknowledgement_hours")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def acknowledging_parties(spec: TreatySpec, notifier: str) -> list[str]:
    """Parties with the role ``notified``, other than ``notifier``."""
    return [p.id for p in spec.parties if "notified" in p.roles and p.id != notifier]


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600.0


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
    ledgered = collect_ledgered(spec, records)
    items: list[DueItem] = []
    matched = match_notices(ledgered.events, ledgered.notices, match_window_hours)
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
        limit = acknowledgement_limit(spec.notification(n.code), ack_hours)
        if limit is None:
            continue
        deadline = n.submitted + timedelta(hours=limit)
        acknowledged = {p for p, _t, _r in ledgered.acks.get((n.party, n.ref), [])}
        for party in acknowledging_parties(spec, n.party):
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
