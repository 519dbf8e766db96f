"""Declaration due dates of New START (Protocol Part Four, Section II, paragraphs 1-3).

Independent facts: entry into force 5 February 2011; the initial database is due 45
days later, on 22 March 2011 (the date the State Department gave for the first
exchange); the first six-month period begins on 1 March 2011 (first day of the month
after entry into force), ends on 31 August 2011, and its update is due 30 days later,
on 30 September 2011.
"""

from __future__ import annotations

from datetime import date

import pytest
from rule_helpers import declaration, record

from treatyverify.compliance.schedules import due_declarations, evaluate_schedules
from treatyverify.errors import InputError
from treatyverify.exchange.declarations import parse_declaration
from treatyverify.treaty import load_treaty

SPEC = load_treaty("new-start")
HOLDINGS = {"deployed-icbm": 400}


def _initial(seq: int, party: str, time: str) -> object:
    return declaration(seq, party, time, "initial-database", date(2011, 2, 5), HOLDINGS)


def _by_party(findings: list, rule: str) -> dict:
    return {f.subject: f for f in findings if f.rule == rule}


def test_initial_database_due_45_days_after_entry_into_force() -> None:
    records = [
        _initial(1, "us", "2011-03-22T23:00:00Z"),  # on the due date
        _initial(2, "ru", "2011-03-23T00:00:00Z"),  # a day late
    ]
    owed = {
        o.party: o
        for o in due_declarations(SPEC, records, as_of=date(2011, 4, 1))
        if o.schedule == "initial-database"
    }
    assert owed["us"].due == date(2011, 3, 22)
    found = _by_party(
        evaluate_schedules(SPEC, records, as_of=date(2011, 4, 1)),
        "declaration-due:initial-database",
    )
    assert found["us"].compliant
    assert not found["ru"].compliant and "late" in found["ru"].statement
    assert "Part Four, Section II, paragraph 1" in found["ru"].source


def test_a_missing_declaration_is_a_finding_only_after_its_due_date() -> None:
    assert evaluate_schedules(SPEC, [], as_of=date(2011, 3, 22)) == []
    found = _by_party(
        evaluate_schedules(SPEC, [], as_of=date(2011, 3, 23)), "declaration-due:initial-database"
    )
    assert set(found) == {"us", "ru"} and not any(f.compliant for f in found.values())
    assert found["us"].values["missing"] == ["2011-03-22"]


def test_first_six_month_update_covers_march_to_august_and_is_due_30_september() -> None:
    update = declaration(
        3, "us", "2011-09-30T12:00:00Z", "six-month-update", date(2011, 8, 31), HOLDINGS
    )
    owed = [
        o
        for o in due_declarations(SPEC, [update], as_of=date(2011, 10, 1))
        if o.schedule == "six-month-update"
    ]
    assert [(o.party, o.period, o.due) for o in owed] == [
        ("us", (date(2011, 3, 1), date(2011, 8, 31)), date(2011, 9, 30)),
        ("ru", (date(2011, 3, 1), date(2011, 8, 31)), date(2011, 9, 30)),
    ]
    found = _by_party(
        evaluate_schedules(SPEC, [update], as_of=date(2011, 10, 1)),
        "declaration-due:six-month-update",
    )
    assert found["us"].compliant and not found["ru"].compliant


def test_periods_stop_when_the_treaty_ends() -> None:
    # In force through 4 February 2026: the last period owed begins 1 September 2025.
    owed = [
        o
        for o in due_declarations(SPEC, [], as_of=date(2027, 1, 1))
        if o.schedule == "six-month-update" and o.party == "us"
    ]
    assert owed[-1].period == (date(2025, 9, 1), date(2026, 2, 28))
    assert len(owed) == 30


def test_a_change_declared_after_five_days_is_late() -> None:
    change = declaration(4, "ru", "2012-01-07T00:00:00Z", "data-change", date(2012, 1, 1), HOLDINGS)
    found = _by_party(
        evaluate_schedules(SPEC, [change], as_of=date(2012, 2, 1)), "declaration-due:data-change"
    )
    assert not found["ru"].compliant and found["ru"].values["late"][0]["due"] == "2012-01-06"


def test_a_declaration_dated_before_entry_into_force_is_refused() -> None:
    body = _initial(1, "us", "2011-03-01T00:00:00Z").body | {"as_of": "2011-02-04"}
    with pytest.raises(InputError, match="before treaty new-start entered into force") as caught:
        parse_declaration(body, where="d.json").check(SPEC)
    assert str(caught.value).count("\n") == 0 and "as_of" in str(caught.value)


def test_due_dates_before_the_ledger_opened_are_not_judged() -> None:
    # A ledger opened on 1 October 2011 could not have received the initial database
    # (due 22 March 2011) nor the first six-month update (due 30 September 2011).
    opened = record(0, "ledger_open", "us", "2011-10-01T00:00:00Z", {})
    found = evaluate_schedules(SPEC, [opened], as_of=date(2012, 5, 1))
    assert not [f for f in found if f.rule == "declaration-due:initial-database"]
    # The second period (1 September 2011 - 29 February 2012, a leap year) was due 30 days
    # after its last day: 30 March 2012.
    updates = _by_party(found, "declaration-due:six-month-update")
    assert updates["us"].values["missing"] == ["2012-03-30"]
    assert updates["us"].values["not_judged_before_opening"] == 1
    assert "1 due before the ledger opened on 2011-10-01 not judged" in updates["us"].statement
