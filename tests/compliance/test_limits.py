"""Compliance of declarations with treaty limits, against hand-computed totals."""

from __future__ import annotations

from datetime import date

import pytest

from treatyverify.compliance.limits import (
    MALFORMED_DECLARATION_RULE,
    evaluate_declarations,
    evaluate_limits,
)
from treatyverify.errors import SpecError, UnknownNameError
from treatyverify.exchange.declarations import (
    Declaration,
    DeclaredHolding,
    declarations_in_effect,
)
from treatyverify.records.ledger import Record
from treatyverify.treaty import load_treaty

FAKE_RECORD = Record(
    7, "00" * 32, "new-start", "declaration", "ru", "k", "t", None, {}, b"", b"", bytes(32)
)


def decl(*holdings: tuple[str, str, int]) -> Declaration:
    return Declaration(
        ref="ru-1",
        schedule="six-month-update",
        as_of=date(2022, 3, 1),
        holdings=[DeclaredHolding(item_class=c, site=s, count=n) for c, s, n in holdings],
    )


def test_limits_sum_over_classes_and_sites() -> None:
    spec = load_treaty("new-start")
    declaration = decl(
        ("deployed-icbm", "a", 300),
        ("deployed-icbm", "b", 100),
        ("deployed-slbm", "c", 250),
        ("deployed-heavy-bomber", "d", 51),  # 701 > 700
        ("warheads-deployed-icbm", "a", 1000),
        ("warheads-deployed-slbm", "c", 499),
        ("warheads-heavy-bomber", "d", 51),  # one per bomber, Article III.2(c): 1,550
    )
    findings = {f.rule: f for f in evaluate_limits(spec, {"ru": (FAKE_RECORD, declaration)})}
    vehicles = findings["limit:delivery-vehicles"]
    assert vehicles.values["declared"] == 701 and vehicles.compliant is False
    assert vehicles.values["maximum"] == 700
    assert "Article II.1(a)" in vehicles.source
    warheads = findings["limit:warheads"]
    assert warheads.values["declared"] == 1550 and warheads.compliant is True
    assert findings["limit:launchers"].values["declared"] == 51  # only the bombers count
    body = vehicles.body("new-start")
    assert body["basis"] == [{"seq": 7, "hash": "00" * 32}]
    assert "701" in body["statement"] and "700" in body["statement"]


def test_a_treaty_without_limits_is_an_error_naming_the_field() -> None:
    spec = load_treaty("ctbt")
    with pytest.raises(SpecError, match="limits"):
        evaluate_limits(spec, {})


def test_declaration_names_the_unknown_item_class() -> None:
    spec = load_treaty("new-start")
    with pytest.raises(UnknownNameError) as caught:
        decl(("cruise-missile", "a", 1)).check(spec)
    assert "holdings[0].item_class" in str(caught.value)


def test_declaration_of_an_unknown_schedule_is_refused() -> None:
    spec = load_treaty("new-start")
    declaration = decl(("deployed-icbm", "a", 1)).model_copy(update={"schedule": "weekly"})
    with pytest.raises(UnknownNameError, match="schedule"):
        declaration.check(spec)


def test_record_placeholder_is_independent_of_the_ledger() -> None:
    # The finding's basis is taken from the record it is given, not recomputed.
    other = FAKE_RECORD._replace(seq=9)
    spec = load_treaty("new-start")
    findings = evaluate_limits(spec, {"ru": (other, decl(("deployed-icbm", "a", 1)))})
    assert {f.body("new-start")["basis"][0]["seq"] for f in findings} == {9}


def _record(seq: int, body: object) -> Record:
    return FAKE_RECORD._replace(seq=seq, body=body)


def _warheads(ref: str, as_of: date, count: int) -> dict[str, object]:
    return {
        "ref": ref,
        "schedule": "six-month-update",
        "as_of": as_of.isoformat(),
        "holdings": [{"item_class": "warheads-deployed-icbm", "site": "a", "count": count}],
    }


def test_a_declaration_dated_ahead_cannot_hide_a_later_one() -> None:
    spec = load_treaty("new-start")
    records = [
        _record(1, _warheads("ru-ahead", date(2030, 1, 1), 1500)),
        _record(2, _warheads("ru-now", date(2026, 6, 1), 2000)),
    ]
    today = declarations_in_effect(records, date(2026, 6, 2), spec)
    assert today.effective["ru"][1].ref == "ru-now"
    assert [d.ref for _r, d in today.pending] == ["ru-ahead"]
    warheads = {f.rule: f for f in evaluate_declarations(spec, today)}["limit:warheads"]
    assert warheads.values["declared"] == 2000 and warheads.compliant is False
    # Once its date has come, the early record still gives way to the one after it.
    later = declarations_in_effect(records, date(2030, 6, 1), spec)
    assert later.effective["ru"][1].ref == "ru-now" and not later.pending


def test_an_unreadable_declaration_is_a_finding_not_a_crash() -> None:
    spec = load_treaty("new-start")
    bad_count = _warheads("ru-bad", date(2026, 1, 1), 10)
    bad_count["holdings"] = [{"item_class": "warheads-deployed-icbm", "site": "a", "count": -3}]
    unknown_class = _warheads("ru-odd", date(2026, 1, 1), 10)
    unknown_class["holdings"] = [{"item_class": "cruise-missile", "site": "a", "count": 1}]
    records = [
        _record(1, _warheads("ru-good", date(2026, 1, 1), 1400)),
        _record(2, bad_count),
        _record(3, ["not", "an", "object"]),
        _record(4, unknown_class),
    ]
    state = declarations_in_effect(records, date(2026, 6, 1), spec)
    assert [r.seq for r, _why in state.malformed] == [2, 3, 4]
    assert "holdings.0.count" in state.malformed[0][1] and "-3" not in state.malformed[0][1]
    findings = evaluate_declarations(spec, state)
    bad = [f for f in findings if f.rule == MALFORMED_DECLARATION_RULE]
    assert [f.values["seq"] for f in bad] == [2, 3, 4] and not any(f.compliant for f in bad)
    warheads = {f.rule: f for f in findings}["limit:warheads"]
    assert warheads.values["declared"] == 1400 and warheads.basis[0].seq == 1
