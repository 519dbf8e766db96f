"""Notice types of issue 9 read from the treaty texts: INF notices of intent to inspect
(including elimination inspections) and New START notices relating to inspection
activities.

The numbers below are stated independently of the YAML files, from the treaty texts:

* INF Protocol Regarding Inspections (1987), Section IV, paragraph 1, Russian text
  (equally authentic), docs.cntd.ru/document/1902104/titles/A760N8: notice of intent to
  inspect "не менее чем за 16 часов" (no less than 16 hours) before the estimated time
  of arrival of the inspection team at the point of entry for inspections under
  Article XI, paragraphs 3, 4 or 5 (para 1(a)), "не менее чем за 72 часа" (72 hours)
  for inspections under Article XI, paragraphs 7 or 8 (para 1(b)); receipt acknowledged
  "не позднее чем через один час" (within one hour) (para 1).
* New START Protocol, Part Four, Section VI, Russian text (equally authentic),
  businesspravo.ru document 172449, fragment 108: the standing diplomatic clearance
  number "не менее чем за 30 дней" (30 days) before the beginning of each calendar year
  (para 1); the flight plan of an inspection airplane "не менее чем за шесть часов"
  (six hours) before its scheduled departure from the last airfield before it enters
  the inspected Party's airspace (para 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from treatyverify.compliance.notices import check_deadlines
from treatyverify.errors import InputError
from treatyverify.notifications.deadlines import (
    ACK_KIND,
    EVENT_KIND,
    deadline_of,
    due,
)
from treatyverify.notifications.notices import Notice, submit_notice
from treatyverify.records.keys import PartyKey, generate_party_key
from treatyverify.records.ledger import Ledger
from treatyverify.treaty import TreatySpec, load_treaty


@dataclass(frozen=True)
class Case:
    """One new notice type, with its numbers from the treaty text."""

    treaty: str
    code: str
    notifier: str
    hours_before: float
    fields: dict[str, Any]
    event_time: datetime
    deadline: datetime  # hand-computed: event_time minus hours_before
    citation: str


CASES = [
    Case(
        treaty="inf",
        code="inspection-intent",
        notifier="us",
        hours_before=16,  # INF Protocol Regarding Inspections, Section IV, para 1(a)
        fields={
            "point_of_entry": "Moscow",
            "site_specification_time": "2026-03-10T14:00:00Z",
            "team_list": ["inspector-1", "inspector-2", "aircrew-1"],
        },
        event_time=datetime(2026, 3, 10, 12, 0, tzinfo=UTC),  # ETA at the point of entry
        deadline=datetime(2026, 3, 9, 20, 0, tzinfo=UTC),  # 12:00 - 16 h
        citation="paragraph 1(a)",
    ),
    Case(
        treaty="inf",
        code="elimination-inspection-intent",
        notifier="su",
        hours_before=72,  # INF Protocol Regarding Inspections, Section IV, para 1(b)
        fields={"point_of_entry": "Frankfurt"},
        event_time=datetime(2026, 3, 10, 12, 0, tzinfo=UTC),  # ETA at the point of entry
        deadline=datetime(2026, 3, 7, 12, 0, tzinfo=UTC),  # three days earlier
        citation="paragraph 1(b)",
    ),
    Case(
        treaty="new-start",
        code="diplomatic-clearance-number",
        notifier="ru",
        hours_before=30 * 24,  # New START Protocol Part Four, Section VI, para 1
        fields={"clearance_number": "RU-2027-001", "calendar_year": 2027},
        event_time=datetime(2027, 1, 1, tzinfo=UTC),  # beginning of the calendar year
        deadline=datetime(2026, 12, 2, tzinfo=UTC),  # 30 days before 1 January 2027
        citation="Part Four, Section VI, paragraph 1",
    ),
    Case(
        treaty="new-start",
        code="inspection-flight-plan",
        notifier="us",
        hours_before=6,  # New START Protocol Part Four, Section VI, para 2
        fields={"flight_plan": {"from": "ETAR", "to": "UUEE", "departure": "06:00Z"}},
        event_time=datetime(2026, 3, 10, 6, 0, tzinfo=UTC),  # scheduled departure
        deadline=datetime(2026, 3, 10, 0, 0, tzinfo=UTC),  # 06:00 - 6 h
        citation="Part Four, Section VI, paragraph 2",
    ),
]
IDS = [f"{c.treaty}:{c.code}" for c in CASES]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def notice(case: Case, ref: str, **drop: bool) -> Notice:
    fields = {k: v for k, v in case.fields.items() if not drop.get(k)}
    return Notice(ref=ref, code=case.code, event_time=case.event_time, fields=fields)


@pytest.fixture
def make_ledger(tmp_path: Path) -> Iterator[Any]:
    opened: list[Ledger] = []

    def make(spec: TreatySpec, start: datetime) -> tuple[Ledger, dict[str, PartyKey]]:
        keys = {p.id: generate_party_key(p.id) for p in spec.parties}
        first = next(iter(keys.values()))
        ledger = Ledger.create(
            tmp_path / f"{spec.id}.sqlite",
            treaty=spec.id,
            spec_digest=spec.digest(),
            keys={p: k.public for p, k in keys.items()},
            consensus_parties=list(spec.consensus_parties()),
            opener=first,
            time=start - timedelta(days=10),
        )
        opened.append(ledger)
        return ledger, keys

    yield make
    for ledger in opened:
        ledger.close()


def test_inf_notice_types_match_the_protocol_regarding_inspections() -> None:
    spec = load_treaty("inf")
    intent = spec.notification("inspection-intent")
    elimination = spec.notification("elimination-inspection-intent")
    # Section IV, para 1(a): 16 h; para 1(b): 72 h; both before the ETA at the point of entry.
    assert (intent.deadline.relation, intent.deadline.hours) == ("before", 16)
    assert (elimination.deadline.relation, elimination.deadline.hours) == ("before", 72)
    for note in (intent, elimination):
        assert "point of entry" in note.deadline.reference
        assert "point_of_entry" in note.required_fields
        assert note.conditions["acknowledgement_hours"] == 1  # Section IV, para 1
        assert "Section IV, paragraph 1" in note.source
    # Section IV, para 1(a)(i)-(iv): point of entry, ETA (event_time), time of site
    # specification, preliminary list of inspectors and aircrew.
    assert set(intent.required_fields) == {
        "point_of_entry",
        "site_specification_time",
        "team_list",
    }
    assert "paragraph 1(a)" in intent.source and "paragraph 1(b)" in elimination.source
    assert {"inspection-intent", "elimination-inspection-intent"} <= set(
        spec.stage("data-exchange").measures
    )


def test_new_start_notice_types_match_part_four_section_vi() -> None:
    spec = load_treaty("new-start")
    clearance = spec.notification("diplomatic-clearance-number")
    flight = spec.notification("inspection-flight-plan")
    # Para 1: 30 days = 720 h before the calendar year; para 2: six hours before departure.
    assert (clearance.deadline.relation, clearance.deadline.hours) == ("before", 30 * 24)
    assert (flight.deadline.relation, flight.deadline.hours) == ("before", 6)
    assert set(clearance.required_fields) == {"clearance_number", "calendar_year"}
    assert flight.required_fields == ("flight_plan",)
    assert "Section VI, paragraph 1" in clearance.source
    assert "Section VI, paragraph 2" in flight.source
    # No acknowledgement limit is stated in the paragraphs read.
    assert "acknowledgement_hours" not in clearance.conditions
    assert "acknowledgement_hours" not in flight.conditions


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_deadline_is_computed_from_the_spec(case: Case) -> None:
    rule = load_treaty(case.treaty).notification(case.code).deadline
    assert rule.hours == case.hours_before, case.citation
    assert deadline_of(rule, case.event_time) == case.deadline


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_timely_notice_is_accepted_and_a_late_one_is_a_finding(
    case: Case, make_ledger: Any
) -> None:
    spec = load_treaty(case.treaty)
    ledger, keys = make_ledger(spec, case.deadline)
    signer = keys[case.notifier]
    # One second before the deadline: on time. Ninety minutes after it: late.
    on_time = case.deadline - timedelta(seconds=1)
    late = case.deadline + timedelta(hours=1.5)
    others = [p for p in keys if p != case.notifier]
    for ref, when in (("n-ok", on_time), ("n-late", late)):
        submit_notice(ledger, spec, signer, notice(case, ref), time=when)
        for party in others:  # acknowledged at once, so only lateness is in question
            body = {"notice": ref, "notifying_party": case.notifier}
            ledger.append(ACK_KIND, body, keys[party], time=when + timedelta(minutes=1))
    findings = check_deadlines(spec, list(ledger.records()), case.event_time)
    assert [f.rule for f in findings] == [f"notice-late:{case.code}"]
    finding = findings[0]
    assert finding.subject == case.notifier and not finding.compliant
    assert finding.values["notices"] == ["n-late"]
    assert finding.values["hours_late"] == pytest.approx(1.5)
    assert finding.values["deadline"] == iso(case.deadline).replace("Z", ".000000Z")
    assert finding.source == spec.notification(case.code).source
    assert case.citation in finding.source


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_missing_required_field_is_refused_naming_notice_and_field(
    case: Case, make_ledger: Any
) -> None:
    spec = load_treaty(case.treaty)
    ledger, keys = make_ledger(spec, case.deadline)
    field = spec.notification(case.code).required_fields[-1]
    bad = notice(case, "n-bad", **{field: True})
    with pytest.raises(InputError) as caught:
        submit_notice(ledger, spec, keys[case.notifier], bad, time=case.deadline)
    assert caught.value.where == f"notice n-bad: fields.{field}"
    assert case.code in caught.value.message and field in caught.value.message
    assert list(ledger.records(kinds=["notification"])) == []


def test_inf_acknowledgement_within_one_hour_comes_from_the_treaty(make_ledger: Any) -> None:
    case = CASES[1]  # elimination-inspection-intent, notified by su
    spec = load_treaty("inf")
    ledger, keys = make_ledger(spec, case.deadline)
    sent = case.deadline - timedelta(hours=10)
    submit_notice(ledger, spec, keys["su"], notice(case, "n-1"), time=sent)
    records = list(ledger.records())
    # No ack_hours given: the one-hour limit of Section IV, para 1 applies.
    items = due(spec, records, sent + timedelta(minutes=30))
    assert [(i.what, i.party, i.status) for i in items] == [("acknowledgement", "us", "due")]
    assert items[0].hours_left == pytest.approx(0.5)
    late_ack = {"notice": "n-1", "notifying_party": "su"}
    ledger.append(ACK_KIND, late_ack, keys["us"], time=sent + timedelta(minutes=61))
    findings = check_deadlines(spec, list(ledger.records()), sent + timedelta(hours=2))
    assert [f.rule for f in findings] == ["notice-unacknowledged:elimination-inspection-intent"]
    assert findings[0].subject == "us"
    assert findings[0].values["ack_hours"] == 1


def test_inspection_without_notice_is_a_missing_notice(make_ledger: Any) -> None:
    case = CASES[0]  # INF inspection-intent, inspecting party us
    spec = load_treaty("inf")
    ledger, keys = make_ledger(spec, case.deadline)
    arrival = {"code": case.code, "party": "us", "event_time": iso(case.event_time)}
    ledger.append(EVENT_KIND, arrival, keys["su"], ref="arrival-1", time=case.event_time)
    findings = check_deadlines(spec, list(ledger.records()), case.event_time)
    assert [f.rule for f in findings] == ["notice-missing:inspection-intent"]
    assert findings[0].values["deadline"] == "2026-03-09T20:00:00.000000Z"  # ETA - 16 h
