"""Deadlines, missing and unacknowledged notices, and what is due, on a real ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from treatyverify.canonical import canonical_bytes
from treatyverify.compliance.notices import check_deadlines
from treatyverify.errors import InputError, RecordRejectedError
from treatyverify.notifications.deadlines import (
    ACK_KIND,
    EVENT_KIND,
    deadline_of,
    due,
    parse_utc,
)
from treatyverify.notifications.notices import NOTICE_KIND
from treatyverify.records.keys import PartyKey, generate_party_key
from treatyverify.records.ledger import RECORD_DOMAIN, Ledger, Record, format_time
from treatyverify.treaty import Deadline, TreatySpec, load_treaty

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SPEC = load_treaty("us-ussr-launch-notification-1988")


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def launch(ref: str, event: datetime) -> dict[str, Any]:
    return {
        "ref": ref,
        "code": "launch",
        "event_time": iso(event),
        "fields": {
            "planned_launch_date": event.date().isoformat(),
            "launch_area": "Vandenberg",
            "impact_area": {"centre": [167.7, 9.0], "radius_km": 100},
        },
    }


@pytest.fixture
def book(tmp_path: Path) -> Iterator[tuple[Ledger, dict[str, PartyKey]]]:
    keys = {party: generate_party_key(party) for party in ("us", "su")}
    ledger = Ledger.create(
        tmp_path / "ledger.sqlite",
        treaty=SPEC.id,
        spec_digest=SPEC.digest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=list(SPEC.consensus_parties()),
        opener=keys["us"],
        time=T0 - timedelta(days=1),
    )
    with ledger:
        yield ledger, keys


def scenario(ledger: Ledger, keys: dict[str, PartyKey]) -> list[Record]:
    us, su = keys["us"], keys["su"]
    ledger.append(NOTICE_KIND, launch("n-ok", h(48)), us, ref="n-ok", time=h(0))
    ledger.append(ACK_KIND, {"notice": "n-ok", "notifying_party": "us"}, su, time=h(1))
    ledger.append(NOTICE_KIND, launch("n-late", h(30)), us, ref="n-late", time=h(10))
    ledger.append(
        EVENT_KIND,
        {"code": "launch", "party": "us", "event_time": iso(h(50))},
        su,
        ref="e-1",
        time=h(60),
    )
    ledger.append(
        EVENT_KIND,
        {"code": "launch", "party": "su", "event_time": iso(h(100))},
        us,
        ref="e-2",
        time=h(60),
    )
    return list(ledger.records())


def by_rule(findings: list[Any]) -> dict[str, Any]:
    return {f.rule: f for f in findings}


def test_deadline_before_and_after_an_event() -> None:
    before = Deadline(relation="before", hours=24, reference="launch")
    after = Deadline(relation="after", hours=5, reference="change")
    assert deadline_of(before, h(48)) == h(24)
    assert deadline_of(after, h(48)) == h(53)


def test_late_missing_and_unacknowledged_notices(
    book: tuple[Ledger, dict[str, PartyKey]],
) -> None:
    records = scenario(*book)
    findings = check_deadlines(SPEC, records, h(80), ack_hours=2)
    rules = by_rule(findings)
    assert set(rules) == {
        "notice-late:launch",
        "notice-missing:launch",
        "notice-unacknowledged:launch",
    }
    late = rules["notice-late:launch"]
    # Event at +30 h, 24 h ahead (Article I) -> deadline +6 h; submitted at +10 h.
    assert late.values["hours_late"] == pytest.approx(4.0)
    assert late.values["notices"] == ["n-late"]
    assert late.subject == "us" and not late.compliant
    missing = rules["notice-missing:launch"]
    assert missing.subject == "su"
    assert missing.values["event"] == "e-2"
    assert missing.values["deadline"] == "2026-03-04T04:00:00.000000Z"  # +100 h - 24 h
    unack = rules["notice-unacknowledged:launch"]
    assert unack.subject == "su" and unack.values["notices"] == ["n-late"]
    body = late.body(SPEC.id)
    assert body["basis"][0]["seq"] == late.basis[0].seq
    assert "Article I" in body["source"]


def test_no_ack_limit_means_acknowledgements_are_not_checked(
    book: tuple[Ledger, dict[str, PartyKey]],
) -> None:
    records = scenario(*book)
    rules = by_rule(check_deadlines(SPEC, records, h(80)))
    assert "notice-unacknowledged:launch" not in rules
    assert all(item.what == "notice" for item in due(SPEC, records, h(80)))


def test_due_lists_owed_notices_and_acknowledgements(
    book: tuple[Ledger, dict[str, PartyKey]],
) -> None:
    records = scenario(*book)
    items = due(SPEC, records, h(70), ack_hours=2)
    assert [(i.what, i.party, i.status) for i in items] == [
        ("acknowledgement", "su", "overdue"),  # n-late, due at +12 h
        ("notice", "su", "due"),  # for e-2, due at +76 h
    ]
    assert items[1].hours_left == pytest.approx(6.0)
    assert items[1].as_dict()["deadline"] == "2026-03-04T04:00:00.000000Z"
    assert due(SPEC, records, h(77))[0].status == "overdue"
    # Before its deadline a missing notice is due, not a finding.
    assert "notice-missing:launch" not in by_rule(check_deadlines(SPEC, records, h(70)))


def test_event_naming_its_notice_is_covered_only_by_that_notice(
    book: tuple[Ledger, dict[str, PartyKey]],
) -> None:
    ledger, keys = book
    ledger.append(NOTICE_KIND, launch("n-1", h(48)), keys["us"], ref="n-1", time=h(0))
    ledger.append(
        EVENT_KIND,
        {"code": "launch", "party": "us", "event_time": iso(h(48)), "notice": "n-9"},
        keys["su"],
        ref="e-1",
        time=h(50),
    )
    findings = check_deadlines(SPEC, list(ledger.records()), h(60))
    assert [f.rule for f in findings] == ["notice-missing:launch"]


def test_acknowledgement_after_the_limit_is_a_finding(
    book: tuple[Ledger, dict[str, PartyKey]],
) -> None:
    ledger, keys = book
    ledger.append(NOTICE_KIND, launch("n-1", h(48)), keys["us"], ref="n-1", time=h(0))
    ledger.append(ACK_KIND, {"notice": "n-1", "notifying_party": "us"}, keys["su"], time=h(3))
    findings = check_deadlines(SPEC, list(ledger.records()), h(4), ack_hours=2)
    assert len(findings) == 1
    assert findings[0].values["acknowledged"] == "2026-03-01T03:00:00.000000Z"
    assert len(findings[0].basis) == 2


@pytest.mark.parametrize(
    ("event_time", "message"),
    [
        ("2026-03-03T00:00:00", "no time zone"),
        ("2026-03-03T03:00:00+03:00", "not in UTC"),
        ("3 March 2026", "not an ISO 8601 time"),
    ],
)
def test_bad_times_name_the_notice_and_field(
    book: tuple[Ledger, dict[str, PartyKey]], event_time: str, message: str
) -> None:
    """The record kind registry refuses the record; the deadline check, reading records
    from elsewhere, names the notice and field too."""
    ledger, keys = book
    body = launch("n-bad", h(48)) | {"event_time": event_time}
    with pytest.raises(RecordRejectedError) as refused:
        ledger.append(NOTICE_KIND, body, keys["us"], ref="n-bad", time=h(0))
    assert "event_time" in refused.value.message
    assert message in refused.value.message
    last = ledger.get(ledger.size - 1)
    envelope = {
        **{"v": 1, "seq": ledger.size, "prev": last.hash_hex, "treaty": ledger.treaty},
        **{"kind": NOTICE_KIND, "party": "us", "key": keys["us"].key_id, "ref": "n-bad"},
        **{"time": format_time(h(0)), "body": body},
    }
    signature = keys["us"].sign(RECORD_DOMAIN + canonical_bytes(envelope))
    forged = Record.from_json({"envelope": envelope, "signature": signature.hex()}, where="x")
    with pytest.raises(InputError) as caught:
        check_deadlines(SPEC, [*ledger.records(), forged], h(1))
    assert caught.value.where == "notice n-bad: event_time"
    assert message in caught.value.message


def test_naive_now_is_refused() -> None:
    with pytest.raises(InputError):
        due(SPEC, [], datetime(2026, 1, 1))


def test_parse_utc_accepts_z_and_zero_offset() -> None:
    assert parse_utc("2026-03-01T00:00:00Z", where="x") == T0
    assert parse_utc("2026-03-01T00:00:00+00:00", where="x") == T0


def spec_with_ack_hours() -> TreatySpec:
    document = SPEC.model_dump(mode="json", exclude_defaults=True)
    document["notifications"][0]["conditions"]["acknowledgement_hours"] = 1
    return TreatySpec.model_validate(document)


def test_acknowledgement_limit_can_come_from_the_treaty(
    book: tuple[Ledger, dict[str, PartyKey]],
) -> None:
    ledger, keys = book
    ledger.append(NOTICE_KIND, launch("n-1", h(48)), keys["us"], ref="n-1", time=h(0))
    items = due(spec_with_ack_hours(), list(ledger.records()), h(0.5))
    assert [(i.what, i.status) for i in items] == [("acknowledgement", "due")]
    assert items[0].hours_left == pytest.approx(0.5)
