"""Inspection rules re-checked on the ledger: quotas, team sizes, durations, notice, area.

The reports are records written by hand, as an import or another implementation could
write them, so the checks at submission do not hide them. Independent facts: New START
allows ten Type One inspections a year (State Department fact sheet, 17 May 2012); INF
allowed twenty short-notice inspections a year in treaty years 1-3 and fifteen in years
4-8 (Article XI.5), with notice 16 hours ahead (Protocol Regarding Inspections, Section
IV, para 1(a)); a CTBT inspection area is at most 1000 km² (Protocol Part II, para 3).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rule_helpers import record

from treatyverify.canonical import canonical_bytes
from treatyverify.compliance.engine import evaluate
from treatyverify.compliance.inspections import (
    evaluate_area,
    evaluate_duration,
    evaluate_notice,
    evaluate_quota,
    evaluate_team_size,
)
from treatyverify.treaty import load_treaty


def _report(seq: int, party: str, inspected: str, kind: str, year: int, **extra: Any) -> Any:
    body = {
        "ref": f"{party}-insp-{seq}",
        "inspection_type": kind,
        "inspected_party": inspected,
        "site": "base",
        "treaty_year": year,
        "team_size": extra.pop("team_size", 5),
        "observed": {},
        **extra,
    }
    return record(seq, "inspection_report", party, "2019-06-01T00:00:00Z", body, body["ref"])


def test_an_eleventh_type_one_inspection_in_a_year_breaks_the_quota() -> None:
    spec = load_treaty("new-start")
    reports = [_report(n, "us", "ru", "type-one", 9) for n in range(1, 12)]
    (finding,) = [f for f in evaluate_quota(spec, reports) if f.rule == "inspection-quota:type-one"]
    assert not finding.compliant and finding.values["used_by_year"] == {"9": 11}
    assert finding.values["breaches"] == ["us-insp-11"]
    assert finding.values["quota_by_year"] == {"9": 10}
    ten = evaluate_quota(spec, reports[:10])
    assert [f.compliant for f in ten] == [True]
    odd = _report(99, "us", "ru", "type-three", 9)
    (unread,) = [f for f in evaluate_quota(spec, [odd]) if f.rule == "inspection:well-formed"]
    assert not unread.compliant and unread.values == {"seq": 99}


def test_inf_short_notice_quota_changes_with_the_treaty_year() -> None:
    spec = load_treaty("inf")
    year_one = [_report(n, "us", "su", "short-notice", 1) for n in range(1, 21)]
    year_four = [_report(100 + n, "us", "su", "short-notice", 4) for n in range(1, 17)]
    (finding,) = evaluate_quota(spec, year_one + year_four)
    assert finding.values["quota_by_year"] == {"1": 20, "4": 15}
    assert finding.values["breaches"] == ["us-insp-116"]
    # Article XI.5 grants short-notice inspections for thirteen years only.
    (after,) = evaluate_quota(spec, [_report(200, "us", "su", "short-notice", 14)])
    assert not after.compliant and after.values["quota_by_year"] == {"14": 0}


def test_team_size_duration_and_notice_of_inf_short_notice_inspections() -> None:
    spec = load_treaty("inf")
    start = datetime(1989, 6, 10, 12, tzinfo=UTC)

    def at(t: datetime) -> str:
        return t.isoformat().replace("+00:00", "Z")

    ok = _report(
        1, "us", "su", "short-notice", 2, start=at(start), end=at(start + timedelta(hours=20))
    )
    long = _report(
        2,
        "us",
        "su",
        "short-notice",
        2,
        team_size=11,
        start=at(start),
        end=at(start + timedelta(hours=30)),
    )
    untimed = _report(3, "us", "su", "short-notice", 2)
    notice = record(
        0,
        "notification",
        "us",
        at(start - timedelta(hours=17)),
        {"ref": "n1", "code": "inspection-intent", "event_time": at(start), "fields": {}},
        "n1",
    )
    records = [notice, ok, long, untimed]
    (team,) = evaluate_team_size(spec, records)
    assert team.values["breaches"] == ["us-insp-2"]
    (duration,) = evaluate_duration(spec, records)
    assert duration.values["breaches"] == ["us-insp-2", "us-insp-3"]  # 30 h > 24 h; no times
    (notice_finding,) = evaluate_notice(spec, records)
    assert notice_finding.values["breaches"] == ["us-insp-3"]
    late = notice._replace(time=at(start - timedelta(hours=10)))
    (late_finding,) = evaluate_notice(spec, [late, ok])
    assert not late_finding.compliant and "10.00 h" in late_finding.statement


def test_ctbt_inspection_area_above_1000_km2_is_a_finding() -> None:
    spec = load_treaty("ctbt")
    big = _report(
        1, "state-b", "state-a", "on-site-inspection", 1, area_km2=1200.0, linear_extent_km=40.0
    )
    findings = {f.rule: f for f in evaluate_area(spec, [big])}
    assert not findings["inspection-area:on-site-inspection"].compliant
    assert findings["inspection-extent:on-site-inspection"].compliant


def test_evaluate_applies_every_inspection_rule_the_treaty_states() -> None:
    spec = load_treaty("new-start")
    reports = [_report(n, "us", "ru", "type-two", 9) for n in range(1, 10)]
    findings = evaluate(spec, reports, as_of=datetime(2019, 7, 1, tzinfo=UTC))
    assert "inspection-quota:type-two" in {f.rule for f in findings}
    for finding in findings:  # each can be proposed as a record (RFC 8785 JSON)
        canonical_bytes(finding.body(spec.id))
