"""Findings on notices: late, missing and unacknowledged notices.

The times come from :mod:`treatyverify.notifications.deadlines` (its module doc says
when a notice is late, when an event lacks its notice and when an acknowledgement is
due); the rules here turn them into findings naming the notification type's source.
Rule ``notice-deadline`` gives ``notice-late:<code>`` and ``notice-missing:<code>``
findings, rule ``notice-acknowledgement`` gives ``notice-unacknowledged:<code>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from treatyverify.compliance.findings import Finding
from treatyverify.notifications.deadlines import (
    DEFAULT_MATCH_WINDOW_HOURS,
    Ledgered,
    acknowledgement_limit,
    acknowledging_parties,
    collect_ledgered,
    deadline_of,
    match_notices,
    parse_utc,
)
from treatyverify.records.ledger import Record, format_time
from treatyverify.treaty import TreatySpec

__all__ = ["check_deadlines", "evaluate_acknowledgements", "evaluate_notice_deadlines"]


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
    ledgered = collect_ledgered(spec, records)
    return _late_and_missing(spec, ledgered, now, match_window_hours) + _unacknowledged(
        spec, ledgered, now, ack_hours
    )


def evaluate_notice_deadlines(
    spec: TreatySpec, records: Iterable[Record], now: datetime
) -> list[Finding]:
    """Late and missing notices as of ``now`` (UTC), under each type's ``deadline``."""
    now = parse_utc(now, where="now")
    return _late_and_missing(spec, collect_ledgered(spec, records), now, DEFAULT_MATCH_WINDOW_HOURS)


def evaluate_acknowledgements(
    spec: TreatySpec, records: Iterable[Record], now: datetime
) -> list[Finding]:
    """Notices not acknowledged within the type's ``conditions.acknowledgement_hours``."""
    now = parse_utc(now, where="now")
    return _unacknowledged(spec, collect_ledgered(spec, records), now, None)


def _late_and_missing(
    spec: TreatySpec, ledgered: Ledgered, now: datetime, match_window_hours: float
) -> list[Finding]:
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
    matched = match_notices(ledgered.events, ledgered.notices, match_window_hours)
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
    return findings


def _unacknowledged(
    spec: TreatySpec, ledgered: Ledgered, now: datetime, ack_hours: float | None
) -> list[Finding]:
    findings: list[Finding] = []
    for n in ledgered.notices:
        notice_type = spec.notification(n.code)
        limit = acknowledgement_limit(notice_type, ack_hours)
        if limit is None:
            continue
        ack_deadline = n.submitted + timedelta(hours=limit)
        received = ledgered.acks.get((n.party, n.ref), [])
        for party in acknowledging_parties(spec, n.party):
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
