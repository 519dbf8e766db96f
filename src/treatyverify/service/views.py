"""What the dashboard shows: page data computed from the treaty, the ledger and the time.

Each ``*_view`` function takes the treaty specification, the ledger and the current
time (UTC) and returns a small frozen dataclass that a template of
``templates/dashboard`` displays. The rules are the library's own (limits from
:func:`~treatyverify.compliance.limits.evaluate_limits`, deadlines from
:mod:`treatyverify.notifications.deadlines`, draws from
:func:`~treatyverify.records.draws.compute_outcome`, consensus from
:func:`~treatyverify.records.consensus.consensus_state`, verification from
:func:`~treatyverify.records.verify.verify_ledger`); nothing here decides compliance.

Nothing from behind the information barrier is shown: a ``measurement_result`` record
holds, and the page shows, the method, the item and the outputs the treaty declares
for the method, exactly as the ledger holds them.

A record whose body a rule cannot read (the ledger checks signatures and links, not
every body) does not break a page: the section shows the error, naming the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from treatyverify.barrier.barrier import RELEASE_KIND, STATUS_INCONCLUSIVE, STATUS_OK
from treatyverify.compliance.findings import FINDING_KIND, REPORT_KIND
from treatyverify.compliance.limits import evaluate_limits
from treatyverify.compliance.notices import check_deadlines
from treatyverify.errors import TreatyVerifyError, VerificationError
from treatyverify.exchange.declarations import DECLARATION_KIND, declarations_in_effect
from treatyverify.exchange.inspections import INSPECTION_KIND
from treatyverify.notifications.deadlines import (
    NoticeTiming,
    deadline_of,
    due,
    parse_utc,
)
from treatyverify.notifications.notices import NOTICE_KIND
from treatyverify.records import draws
from treatyverify.records.consensus import consensus_state
from treatyverify.records.ledger import Ledger, Record, parse_time
from treatyverify.records.pinned import pins
from treatyverify.records.verify import verify_ledger
from treatyverify.service.config import MAX_SERVICE_SKEW_S
from treatyverify.service.worldmap import COASTLINE_SOURCE, MapMarker, world_map_svg
from treatyverify.treaty import TreatySpec

__all__ = [
    "BULLETIN_KIND",
    "PAGES",
    "BulletinRow",
    "DissentRow",
    "DrawRow",
    "FindingRow",
    "FindingsView",
    "InspectionRow",
    "InspectionsView",
    "LedgerView",
    "LimitRow",
    "MeasurementRow",
    "MonitoringView",
    "NotificationRow",
    "NotificationsView",
    "ReleaseRow",
    "TreatyStatus",
    "findings_view",
    "inspections_view",
    "ledger_view",
    "monitoring_view",
    "notifications_view",
    "render_page",
    "show_time",
    "treaty_status",
]

BULLETIN_KIND = "seismic_bulletin"
"""Kind of the bulletin records of :mod:`treatyverify.exercise.regimes.test_ban` (one per
monitoring window). Written out rather than imported, because that module loads ObsPy
(seconds) and the dashboard only reads the records; a test checks the two agree."""

PAGES: tuple[tuple[str, str, str], ...] = (
    ("status", "", "Treaty status"),
    ("notifications", "notifications", "Notifications"),
    ("inspections", "inspections", "Inspections and draws"),
    ("findings", "findings", "Findings"),
    ("monitoring", "monitoring", "Monitoring"),
    ("ledger", "ledger", "Ledger"),
)
"""The dashboard's pages: (template name, path under ``/dashboard``, title)."""


def show_time(moment: datetime | str | None) -> str:
    """A UTC time as ``YYYY-MM-DD HH:MM:SS UTC`` (seconds dropped when zero); ``""`` for None."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        try:
            when = parse_time(moment)
        except TreatyVerifyError:
            return moment
    else:
        when = moment.astimezone(UTC)
    text = when.strftime("%Y-%m-%d %H:%M:%S" if when.second else "%Y-%m-%d %H:%M")
    return f"{text} UTC"


def _problem(exc: TreatyVerifyError) -> str:
    return str(exc)


# Treaty status ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitRow:
    """One party's declared total against one limit.

    Attributes
    ----------
    limit_id, description, unit, source
        The limit as the treaty defines it.
    maximum
        The limit, in ``unit``.
    party
        The declaring party.
    declared
        The party's declared total of the limit's item classes, in ``unit``.
    within
        Whether ``declared`` is within the limit.
    as_of
        Date of the declaration (ISO 8601).
    declaration_seq, declaration_ref
        The declaration record the number rests on.
    by_class
        Declared count of each item class of the limit.
    """

    limit_id: str
    description: str
    unit: str
    source: str
    maximum: float
    party: str
    declared: int
    within: bool
    as_of: str
    declaration_seq: int
    declaration_ref: str
    by_class: tuple[tuple[str, int], ...]

    @property
    def relation(self) -> str:
        """``"within"`` or ``"exceeded"``."""
        return "within" if self.within else "exceeded"


@dataclass(frozen=True)
class TreatyStatus:
    """The treaty and each party's latest declaration against its limits."""

    treaty: str
    name: str
    short_name: str
    status: str
    parties: tuple[tuple[str, str, str], ...]
    limits: tuple[LimitRow, ...]
    undeclared: tuple[str, ...]
    note: str
    problem: str | None = None

    @property
    def exceeded(self) -> int:
        """Number of (party, limit) pairs over the limit."""
        return sum(not row.within for row in self.limits)

    @property
    def by_limit(self) -> tuple[tuple[LimitRow, ...], ...]:
        """The rows grouped by limit, in the treaty's order of limits."""
        groups: dict[str, list[LimitRow]] = {}
        for row in self.limits:
            groups.setdefault(row.limit_id, []).append(row)
        return tuple(tuple(rows) for rows in groups.values())


def treaty_status(spec: TreatySpec, ledger: Ledger, now: datetime) -> TreatyStatus:
    """Declared totals against the treaty's limits, from each party's declaration in
    effect on the day of ``now`` (see
    :func:`~treatyverify.exchange.declarations.declarations_in_effect`).

    Parameters
    ----------
    spec
        The treaty specification the ledger pins.
    ledger
        The ledger.
    now
        Time of the page (UTC): declarations dated after its day are not yet in effect.
    """
    parties = tuple((p.id, p.name, ", ".join(p.roles)) for p in spec.parties)
    base: dict[str, Any] = {
        "treaty": spec.id,
        "name": spec.name,
        "short_name": spec.short_name,
        "status": spec.status,
        "parties": parties,
    }
    state = declarations_in_effect(ledger.records(kinds=[DECLARATION_KIND]), now.date(), spec)
    latest = state.effective
    if state.malformed:
        record, reason = state.malformed[0]
        base["problem"] = (
            f"declaration record {record.seq} of {record.party} is unreadable ({reason}); "
            "limits are shown without it"
        )
    undeclared = tuple(p for p in spec.consensus_parties() if p not in latest)
    if not spec.limits:
        note = f"{spec.short_name} defines no numerical limits."
        return TreatyStatus(**base, limits=(), undeclared=undeclared, note=note)
    limits = {limit.id: limit for limit in spec.limits}
    rows: list[LimitRow] = []
    for finding in evaluate_limits(spec, latest):
        limit = limits[finding.rule.removeprefix("limit:")]
        record = finding.basis[0]
        rows.append(
            LimitRow(
                limit_id=limit.id,
                description=limit.description,
                unit=limit.unit,
                source=limit.source,
                maximum=limit.maximum,
                party=finding.subject,
                declared=int(finding.values["declared"]),
                within=finding.compliant,
                as_of=str(finding.values["as_of"]),
                declaration_seq=record.seq,
                declaration_ref=record.ref or "",
                by_class=tuple(sorted(finding.values["by_class"].items())),
            )
        )
    rows.sort(key=lambda row: (list(limits).index(row.limit_id), row.party))
    note = "" if latest else "No party has declared its holdings yet."
    return TreatyStatus(**base, limits=tuple(rows), undeclared=undeclared, note=note)


# Notifications ---------------------------------------------------------------------------

ON_TIME = "on time"
LATE = "late"
DUE = "due"
OVERDUE = "overdue-unanswered"
UNACKNOWLEDGED = "unacknowledged"
ACK_DUE = "acknowledgement due"


@dataclass(frozen=True)
class NotificationRow:
    """A notice given, a notice owed, or an acknowledgement owed.

    Attributes
    ----------
    what
        ``"notice"`` (given), ``"notice owed"`` (an event no notice covers) or
        ``"acknowledgement owed"``.
    code
        Notification type code.
    party
        The party that gave or owes it.
    seq
        The notice record, or the event record of a notice owed; None when none.
    reference
        The notice or event reference.
    event_time, effective, deadline
        Event time, effective time (when the notice was recorded; empty when owed) and
        deadline, as shown.
    state
        ``"on time"``, ``"late"``, ``"due"``, ``"overdue-unanswered"``,
        ``"acknowledgement due"`` or ``"unacknowledged"``.
    overdue
        Owed and past its deadline (``"overdue-unanswered"``, ``"unacknowledged"``).
    detail
        One line on the state.
    """

    what: str
    code: str
    party: str
    seq: int | None
    reference: str
    event_time: str
    effective: str
    deadline: str
    state: str
    overdue: bool
    detail: str
    sort_key: str = ""


@dataclass(frozen=True)
class NotificationsView:
    """Notices with their deadlines and what is owed, as of ``now``."""

    rows: tuple[NotificationRow, ...]
    acknowledgement_note: str
    problem: str | None = None

    @property
    def overdue(self) -> int:
        """Number of items owed past their deadline."""
        return sum(row.overdue for row in self.rows)

    @property
    def late(self) -> int:
        """Number of notices given after their deadline."""
        return sum(row.state == LATE for row in self.rows)


def _acknowledgement_note(spec: TreatySpec) -> str:
    limited = [n.code for n in spec.notifications if "acknowledgement_hours" in n.conditions]
    if not limited:
        return (
            f"{spec.short_name} sets no time limit for acknowledgements, "
            "so acknowledgements are not checked."
        )
    return f"Acknowledgement time limits apply to: {', '.join(limited)}."


def _notice_rows(spec: TreatySpec, records: Sequence[Record]) -> list[NotificationRow]:
    rows = []
    for record in records:
        if record.kind != NOTICE_KIND:
            continue
        where = f"record {record.seq}"
        code = str(record.body.get("code"))
        event_time = parse_utc(record.body.get("event_time"), where=f"{where}: event_time")
        timing = NoticeTiming(
            record,
            str(record.body.get("ref")),
            code,
            record.party,
            event_time,
            parse_utc(record.time, where=f"{where}: time"),
            deadline_of(spec.notification(code).deadline, event_time),
        )
        hours = abs(timing.hours_late)
        detail = (
            f"given {hours:.1f} h after its deadline"
            if timing.late
            else f"given {hours:.1f} h before its deadline"
        )
        rows.append(
            NotificationRow(
                what="notice",
                code=code,
                party=record.party,
                seq=record.seq,
                reference=timing.ref,
                event_time=show_time(event_time),
                effective=show_time(timing.submitted),
                deadline=show_time(timing.deadline),
                state=LATE if timing.late else ON_TIME,
                overdue=False,
                detail=detail,
                sort_key=record.time,
            )
        )
    return rows


def _event_seqs(records: Iterable[Record]) -> dict[str, int]:
    """Sequence number of each ``event`` record by the reference the deadline module uses."""
    return {f"event {r.ref or f'record {r.seq}'}": r.seq for r in records if r.kind == "event"}


def notifications_view(spec: TreatySpec, ledger: Ledger, now: datetime) -> NotificationsView:
    """Notices given (on time or late) and notices and acknowledgements owed, as of ``now``.

    The states come from :func:`~treatyverify.compliance.notices.check_deadlines`
    (missing and unacknowledged notices past their deadlines) and
    :func:`~treatyverify.notifications.deadlines.due` (what is still owed within its
    deadline).
    """
    note = _acknowledgement_note(spec)
    records = list(ledger.records(kinds=[NOTICE_KIND, "event", "acknowledgement"]))
    try:
        rows = _notice_rows(spec, records)
        findings = check_deadlines(spec, records, now)
        owed = due(spec, records, now)
    except TreatyVerifyError as exc:
        return NotificationsView((), note, problem=_problem(exc))
    events = _event_seqs(records)
    for finding in findings:
        kind = finding.rule.split(":", 1)[0]
        code = finding.rule.split(":", 1)[1]
        values = finding.values
        if kind == "notice-missing":
            rows.append(
                NotificationRow(
                    what="notice owed",
                    code=code,
                    party=finding.subject,
                    seq=finding.basis[0].seq,
                    reference=f"event {values['event']}",
                    event_time=show_time(values["event_time"]),
                    effective="",
                    deadline=show_time(values["deadline"]),
                    state=OVERDUE,
                    overdue=True,
                    detail=finding.statement,
                    sort_key=values["deadline"],
                )
            )
        elif kind == "notice-unacknowledged":
            rows.append(
                NotificationRow(
                    what="acknowledgement owed",
                    code=code,
                    party=finding.subject,
                    seq=finding.basis[0].seq,
                    reference=f"notice {values['notices'][0]} of {values['notifying_party']}",
                    event_time="",
                    effective=show_time(values["acknowledged"]),
                    deadline=show_time(values["acknowledgement_deadline"]),
                    state=UNACKNOWLEDGED,
                    overdue=True,
                    detail=finding.statement,
                    sort_key=values["acknowledgement_deadline"],
                )
            )
    for item in owed:
        if item.status != "due":
            continue  # past its deadline: a finding above says so
        rows.append(
            NotificationRow(
                what=f"{item.what} owed",
                code=item.code,
                party=item.party,
                seq=events.get(item.reference) if item.what == "notice" else None,
                reference=item.reference,
                event_time="",
                effective="",
                deadline=show_time(item.deadline),
                state=DUE if item.what == "notice" else ACK_DUE,
                overdue=False,
                detail=f"{item.hours_left:.1f} h left",
                sort_key=item.deadline.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            )
        )
    rows.sort(key=lambda row: (not row.overdue, row.sort_key))
    return NotificationsView(tuple(rows), note)


# Inspections and draws -------------------------------------------------------------------


@dataclass(frozen=True)
class DrawRow:
    """A verifiable random draw and where it stands.

    Attributes
    ----------
    draw, purpose, seq
        Draw identifier, what is drawn, and the opening record.
    statement
        Hash of the opening record (hex): what every commitment binds to.
    population, count
        Number of labels drawn from, and how many are drawn.
    parties
        Parties taking part.
    commit_by, reveal_by
        Deadlines, as shown.
    committed, revealed
        Parties with a commitment record, and with a reveal record.
    missing_reveals
        Parties whose reveal is missing (by the result, once settled).
    outcome
        ``"settled"``, ``"ready to settle"``, ``"open"`` or ``"failed"``.
    selected, seed, result_seq
        The selection and seed (settled or recomputed), and the result record.
    message
        One line on the outcome.
    """

    draw: str
    purpose: str
    seq: int
    statement: str
    population: int
    count: int
    parties: tuple[str, ...]
    commit_by: str
    reveal_by: str
    committed: tuple[str, ...]
    revealed: tuple[str, ...]
    missing_reveals: tuple[str, ...]
    outcome: str
    selected: tuple[str, ...]
    seed: str
    result_seq: int | None
    message: str


@dataclass(frozen=True)
class InspectionRow:
    """An inspection report as the ledger holds it."""

    seq: int
    time: str
    ref: str
    inspection_type: str
    inspecting: str
    inspected: str
    site: str
    draw: str
    treaty_year: str
    team_size: str
    observed: tuple[tuple[str, str], ...]


_VERDICT_BADGES = {
    "pass": "ok",
    "fail": "bad",
    "inconclusive": "warn",
    "error": "bad",
    "released": "info",
}


@dataclass(frozen=True)
class ReleaseRow:
    """One method's release: the declared outputs only."""

    method_id: str
    method: str
    status: str
    outputs: tuple[tuple[str, str], ...]
    reason: str

    @property
    def verdict(self) -> str:
        """What the release says: ``"pass"``, ``"fail"``, ``"inconclusive"`` (measured
        but not decided at the treaty's confidence: never a pass, the item is to be
        measured again), ``"error"`` (any other status), or ``"released"`` for an ``ok``
        release without a ``pass`` output (a count, an identifier match)."""
        if self.status == STATUS_INCONCLUSIVE:
            return "inconclusive"
        if self.status != STATUS_OK:
            return "error"
        passed = dict(self.outputs).get("pass")
        if passed in ("True", "False"):
            return "pass" if passed == "True" else "fail"
        return "released"

    @property
    def badge(self) -> str:
        """The page's badge class for :attr:`verdict`."""
        return _VERDICT_BADGES[self.verdict]


@dataclass(frozen=True)
class MeasurementRow:
    """A ``measurement_result`` record: the item and what the barrier released."""

    seq: int
    time: str
    party: str
    item: str
    item_class: str
    releases: tuple[ReleaseRow, ...]


@dataclass(frozen=True)
class InspectionsView:
    """Draws, inspection reports and measurement results."""

    draws: tuple[DrawRow, ...]
    inspections: tuple[InspectionRow, ...]
    measurements: tuple[MeasurementRow, ...]
    problem: str | None = None


def _parties(records: Iterable[Record], kind: str) -> tuple[str, ...]:
    seen: list[str] = []
    for record in records:
        if record.kind == kind and record.party not in seen:
            seen.append(record.party)
    return tuple(seen)


def _draw_row(opening: Record, records: Sequence[Record], now: datetime) -> DrawRow:
    body = opening.body
    draw = str(body.get("draw"))
    parties = tuple(str(p) for p in body.get("parties", []))
    committed = _parties(records, draws.COMMIT_KIND)
    revealed = _parties(records, draws.REVEAL_KIND)
    result = next((r for r in records if r.kind == draws.RESULT_KIND), None)
    if result is not None:
        outcome = "settled"
        selected = tuple(str(s) for s in result.body.get("selected", []))
        seed = str(result.body.get("seed", ""))
        missing = tuple(str(p) for p in result.body.get("defaulted", []))
        message = f"settled in record {result.seq}"
    else:
        missing = tuple(p for p in parties if p not in revealed)
        try:
            computed = draws.compute_outcome(records, draw, now=now)
        except TreatyVerifyError as exc:
            failed = "no party revealed" in exc.message
            outcome, selected, seed, message = ("failed" if failed else "open"), (), "", exc.message
        else:
            outcome, selected, seed = "ready to settle", tuple(computed.selected), computed.seed
            missing = tuple(computed.defaulted)
            message = "every reveal is in or the reveal deadline has passed; not yet settled"
    return DrawRow(
        draw=draw,
        purpose=str(body.get("purpose", "")),
        seq=opening.seq,
        statement=opening.hash_hex,
        population=len(body.get("population", [])),
        count=int(body.get("count", 0)),
        parties=parties,
        commit_by=show_time(str(body.get("commit_by"))),
        reveal_by=show_time(str(body.get("reveal_by"))),
        committed=committed,
        revealed=revealed,
        missing_reveals=missing,
        outcome=outcome,
        selected=selected,
        seed=seed,
        result_seq=None if result is None else result.seq,
        message=message,
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _inspection_row(record: Record) -> InspectionRow:
    body = record.body
    observed = body.get("observed")
    counts = observed.items() if isinstance(observed, Mapping) else ()
    return InspectionRow(
        seq=record.seq,
        time=show_time(record.time),
        ref=_text(body.get("ref")),
        inspection_type=_text(body.get("inspection_type")),
        inspecting=record.party,
        inspected=_text(body.get("inspected_party")),
        site=_text(body.get("site")),
        draw=_text(body.get("draw")),
        treaty_year=_text(body.get("treaty_year")),
        team_size=_text(body.get("team_size")),
        observed=tuple((str(c), _text(n)) for c, n in sorted(counts)),
    )


def _measurement_row(record: Record) -> MeasurementRow:
    body = record.body
    releases = []
    for release in body.get("releases", []):
        if not isinstance(release, Mapping):
            continue
        outputs = release.get("outputs")
        values = outputs.items() if isinstance(outputs, Mapping) else ()
        releases.append(
            ReleaseRow(
                method_id=_text(release.get("method_id")),
                method=_text(release.get("method")),
                status=_text(release.get("status")),
                outputs=tuple((str(k), _text(v)) for k, v in sorted(values)),
                reason=_text(release.get("reason")),
            )
        )
    return MeasurementRow(
        seq=record.seq,
        time=show_time(record.time),
        party=record.party,
        item=_text(body.get("item")),
        item_class=_text(body.get("item_class")),
        releases=tuple(releases),
    )


def inspections_view(spec: TreatySpec, ledger: Ledger, now: datetime) -> InspectionsView:
    """Draws (commitments, reveals, missing reveals, outcome), inspection reports and
    measurement results (released outputs only)."""
    del spec
    by_draw: dict[str, list[Record]] = {}
    for record in ledger.records(kinds=draws.DRAW_KINDS):
        by_draw.setdefault(str(record.body.get("draw")), []).append(record)
    rows: list[DrawRow] = []
    problem = None
    for records in by_draw.values():
        opening = next((r for r in records if r.kind == draws.OPEN_KIND), None)
        if opening is None:
            continue
        try:
            rows.append(_draw_row(opening, records, now))
        except (TreatyVerifyError, TypeError, ValueError) as exc:
            problem = f"draw opened in record {opening.seq} is unreadable: {exc}"
    inspections = tuple(_inspection_row(r) for r in ledger.records(kinds=[INSPECTION_KIND]))
    measurements = tuple(_measurement_row(r) for r in ledger.records(kinds=[RELEASE_KIND]))
    return InspectionsView(tuple(rows), inspections, measurements, problem)


# Findings and reports --------------------------------------------------------------------


@dataclass(frozen=True)
class DissentRow:
    """A party's standing dissent and its reason."""

    party: str
    reason: str


@dataclass(frozen=True)
class FindingRow:
    """A finding or report with its consensus state.

    Attributes
    ----------
    seq, kind, time, proposer
        The record, ``"finding"`` or ``"report"``, when and by whom it was proposed.
    title
        The finding's rule, or the report's title.
    subject
        The party the finding concerns (empty for a report).
    statement
        The finding's statement, or the report's summary.
    compliant
        The finding's verdict (None for a report).
    source
        Where the rule comes from (empty for a report).
    basis
        Sequence numbers of the records it rests on (for a report: its findings).
    status
        ``"adopted"``, ``"pending"`` or ``"disputed"``.
    signed, pending
        Parties that signed it, and parties that have taken no position.
    dissents
        Standing dissents with their reasons.
    """

    seq: int
    kind: str
    time: str
    proposer: str
    title: str
    subject: str
    statement: str
    compliant: bool | None
    source: str
    basis: tuple[int, ...]
    status: str
    signed: tuple[str, ...]
    pending: tuple[str, ...]
    dissents: tuple[DissentRow, ...]


@dataclass(frozen=True)
class FindingsView:
    """Findings and reports, in ledger order."""

    findings: tuple[FindingRow, ...]
    reports: tuple[FindingRow, ...]
    consensus_parties: tuple[str, ...]

    def count(self, status: str) -> int:
        """Number of findings and reports with ``status``."""
        return sum(row.status == status for row in (*self.findings, *self.reports))


def _seqs(items: Any) -> tuple[int, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        i["seq"] for i in items if isinstance(i, Mapping) and isinstance(i.get("seq"), int)
    )


def findings_view(spec: TreatySpec, ledger: Ledger, now: datetime) -> FindingsView:
    """Every finding and report with who co-signed, who dissents (and why), who is pending."""
    del spec, now
    findings: list[FindingRow] = []
    reports: list[FindingRow] = []
    for record in ledger.records(kinds=[FINDING_KIND, REPORT_KIND]):
        state = consensus_state(ledger, record.seq)
        body = record.body
        is_finding = record.kind == FINDING_KIND
        compliant = body.get("compliant")
        row = FindingRow(
            seq=record.seq,
            kind=record.kind,
            time=show_time(record.time),
            proposer=record.party,
            title=_text(body.get("rule") if is_finding else body.get("title")),
            subject=_text(body.get("subject")) if is_finding else "",
            statement=_text(body.get("statement") if is_finding else body.get("summary")),
            compliant=compliant if is_finding and isinstance(compliant, bool) else None,
            source=_text(body.get("source")) if is_finding else "",
            basis=_seqs(body.get("basis") if is_finding else body.get("findings")),
            status=state.status,
            signed=tuple(state.signed),
            pending=tuple(state.pending),
            dissents=tuple(DissentRow(p, r) for p, r in state.dissents.items()),
        )
        (findings if is_finding else reports).append(row)
    return FindingsView(tuple(findings), tuple(reports), ledger.consensus_parties)


# Monitoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulletinRow:
    """A monitoring window's bulletin and one located event, if any (a window with several
    events has one row for each).

    Attributes
    ----------
    seq, window, start, end, analyst
        The bulletin record, the window and its bounds (as shown), the signer.
    located
        Whether an event was located.
    origin
        Origin time (as shown).
    latitude_deg, longitude_deg, depth_km
        Epicentre (degrees) and depth (km); depth ``fixed`` when held fixed.
    mb
        Body-wave magnitude as shown (value ± standard error, or why none).
    screening
        (criterion, outcome, explanation) of each screening criterion applied.
    inside_territory
        Whether the epicentre is inside the monitored territory (None: not said).
    reason
        Why no event was located.
    """

    seq: int
    window: str
    start: str
    end: str
    analyst: str
    located: bool
    origin: str
    latitude_deg: float | None
    longitude_deg: float | None
    depth_km: str
    mb: str
    screening: tuple[tuple[str, str, str], ...]
    inside_territory: bool | None
    reason: str
    event_index: int = 0

    @property
    def label(self) -> str:
        """The event's values in one line (the map marker's tooltip)."""
        inside = {True: "inside", False: "outside", None: "territory not stated"}
        screening = "; ".join(f"{c}: {o}" for c, o, _ in self.screening) or "none"
        return (
            f"{self.window}: origin {self.origin}, {self.latitude_deg:.3f}°, "
            f"{self.longitude_deg:.3f}°, depth {self.depth_km} km, mb {self.mb}, "
            f"{inside[self.inside_territory]} the territory, screening: {screening}"
        )


@dataclass(frozen=True)
class MonitoringView:
    """Monitoring bulletins and the map of their located events."""

    bulletins: tuple[BulletinRow, ...]
    map_svg: Markup
    map_source: str
    problem: str | None = None

    @property
    def events(self) -> tuple[BulletinRow, ...]:
        """The bulletins that located an event."""
        return tuple(b for b in self.bulletins if b.located)


def _magnitude(magnitudes: Any, kind: str) -> str:
    entry = magnitudes.get(kind) if isinstance(magnitudes, Mapping) else None
    if not isinstance(entry, Mapping):
        return "none"
    value, stderr = entry.get("value"), entry.get("stderr")
    if isinstance(value, int | float):
        return f"{value:.2f} ± {stderr:.2f}" if isinstance(stderr, int | float) else f"{value:.2f}"
    return _text(entry.get("status")) or "none"


def _bulletin_rows(record: Record) -> list[BulletinRow]:
    """One row for the bulletin's largest event (or its absence), one for each further."""
    further = record.body.get("further_events")
    events = further if isinstance(further, list) else []
    first = _bulletin_row(record, record.body.get("event"), 0)
    return [first] + [_bulletin_row(record, e, k) for k, e in enumerate(events, start=1)]


def _bulletin_row(record: Record, event: Any, index: int) -> BulletinRow:
    body = record.body
    base: dict[str, Any] = {
        "seq": record.seq,
        "window": _text(body.get("window")),
        "start": show_time(_text(body.get("start_utc"))),
        "end": show_time(_text(body.get("end_utc"))),
        "analyst": record.party,
    }
    if not isinstance(event, Mapping):
        return BulletinRow(
            **base,
            located=False,
            origin="",
            latitude_deg=None,
            longitude_deg=None,
            depth_km="",
            mb="",
            screening=(),
            inside_territory=None,
            reason=_text(body.get("no_event_reason")),
        )
    screening = event.get("screening")
    criteria = screening.items() if isinstance(screening, Mapping) else ()
    depth = event.get("depth_km")
    inside = event.get("inside_territory")
    return BulletinRow(
        **base,
        located=True,
        origin=show_time(_text(event.get("origin_utc"))),
        latitude_deg=float(event["latitude_deg"]),
        longitude_deg=float(event["longitude_deg"]),
        depth_km=(f"{depth:.1f}" if isinstance(depth, int | float) else "not stated")
        + (" (fixed)" if event.get("depth_fixed") else ""),
        mb=_magnitude(event.get("magnitudes"), "mb"),
        screening=tuple(
            (str(c), _text(d.get("outcome")), _text(d.get("explanation")))
            for c, d in criteria
            if isinstance(d, Mapping)
        ),
        inside_territory=inside if isinstance(inside, bool) else None,
        reason="",
        event_index=index,
    )


def monitoring_view(spec: TreatySpec, ledger: Ledger, now: datetime) -> MonitoringView:
    """Seismic bulletins (window, origin, epicentre, depth, mb, screening, territory) and
    the world map with each located event."""
    del spec, now
    rows: list[BulletinRow] = []
    problem = None
    for record in ledger.records(kinds=[BULLETIN_KIND]):
        try:
            rows.extend(_bulletin_rows(record))
        except (KeyError, TypeError, ValueError):
            problem = f"bulletin record {record.seq} has no readable epicentre"
    markers = [
        MapMarker(
            row.latitude_deg,
            row.longitude_deg,
            row.label,
            alarm=bool(row.inside_territory),
            ident=f"event-{row.seq}" + (f"-{row.event_index}" if row.event_index else ""),
        )
        for row in rows
        if row.latitude_deg is not None and row.longitude_deg is not None
    ]
    try:
        svg = world_map_svg(markers, title="Located monitoring events")
    except TreatyVerifyError as exc:
        return MonitoringView(tuple(rows), Markup(""), COASTLINE_SOURCE, problem=_problem(exc))
    # The SVG is built from numbers and escaped text only (see worldmap).
    return MonitoringView(tuple(rows), Markup(svg), COASTLINE_SOURCE, problem)  # noqa: S704


# Ledger ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerView:
    """The ledger's verification state.

    Attributes
    ----------
    treaty, size, root
        Treaty, number of records and Merkle root (hex).
    verified
        Whether every record verified (signatures, links, order, semantics).
    bad_seq, reason
        The first bad record and what is wrong with it, when not verified.
    kinds
        Number of records of each kind (when verified).
    spec_digest, spec_matches
        The specification digest pinned in record 0, and whether the specification the
        service uses has it.
    keys
        Each party's pinned key id.
    consensus_parties
        Parties whose co-signatures adopt a finding.
    """

    treaty: str
    size: int
    root: str
    verified: bool
    bad_seq: int | None
    reason: str
    kinds: tuple[tuple[str, int], ...]
    spec_digest: str
    spec_matches: bool
    keys: tuple[tuple[str, str], ...]
    consensus_parties: tuple[str, ...]
    checked_at: str


def ledger_view(spec: TreatySpec, ledger: Ledger, now: datetime) -> LedgerView:
    """Re-verify the whole ledger (:func:`~treatyverify.records.verify.verify_ledger`)."""
    base: dict[str, Any] = {
        "treaty": ledger.treaty,
        "spec_digest": ledger.spec_digest,
        "spec_matches": pins(ledger, spec),
        "keys": tuple((party, key.key_id) for party, key in sorted(ledger.keys.items())),
        "consensus_parties": ledger.consensus_parties,
        "checked_at": show_time(now),
    }
    try:
        # A record may stand up to the service's largest clock skew ahead of the page.
        report = verify_ledger(ledger, clock=now, skew_s=MAX_SERVICE_SKEW_S)
    except TreatyVerifyError as exc:
        try:
            size, root = ledger.size, ledger.root().hex()
        except TreatyVerifyError:
            size, root = 0, ""
        seq = exc.seq if isinstance(exc, VerificationError) else None
        return LedgerView(
            **base,
            size=size,
            root=root,
            verified=False,
            bad_seq=seq,
            reason=exc.message if exc.where is None or seq is not None else str(exc),
            kinds=(),
        )
    return LedgerView(
        **base,
        size=report.size,
        root=report.root,
        verified=True,
        bad_seq=None,
        reason="",
        kinds=tuple(report.kinds.items()),
    )


# Rendering -------------------------------------------------------------------------------

_TEMPLATES = Path(__file__).with_name("templates") / "dashboard"


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,g}"
    return f"{int(value):,}"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["num"] = _number
    return environment


def render_page(
    page: str,
    view: Any,
    *,
    spec: TreatySpec,
    now: datetime,
    viewer: str | None = None,
    base_path: str = "/dashboard",
) -> str:
    """The HTML of one dashboard page.

    Parameters
    ----------
    page
        Template name from :data:`PAGES` (``"status"``, ``"notifications"``, ...) or
        ``"login"``.
    view
        The page's data (from the matching ``*_view`` function, or the login page's).
    spec
        The treaty, named in the header.
    now
        Time of the page (UTC).
    viewer
        Who is looking (for example ``"us (party)"``), shown in the header; None on the
        login page.
    base_path
        Path the pages are served under.
    """
    template = _environment().get_template(f"{page}.html.j2")
    nav = [(name, f"{base_path}/{path}".rstrip("/"), title) for name, path, title in PAGES]
    return template.render(
        page=page,
        view=view,
        treaty=spec,
        now=show_time(now),
        viewer=viewer,
        nav=nav,
        logout=f"{base_path}/logout",
    )
