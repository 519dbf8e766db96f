"""Roll-forward of holdings from a baseline through movement, conversion, elimination
and new-item notices, and checks of periodic declarations against it."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from treatyverify.compliance.rollforward import check_declaration
from treatyverify.errors import InputError, UnknownNameError
from treatyverify.notifications.rollforward import (
    Baseline,
    CountDeclaration,
    parse_declaration,
    rollforward,
)

CLASSES = {"deployed-icbm", "non-deployed-icbm-launcher", "deployed-icbm-launcher"}


def baseline_doc() -> dict[str, Any]:
    return {
        "ref": "ru-base",
        "party": "ru",
        "as_of": "2026-01-01T00:00:00Z",
        "items": [
            {"item": "m-1", "item_class": "deployed-icbm", "facility": "base-a"},
            {"item": "m-2", "item_class": "deployed-icbm", "facility": "base-a"},
            {"item": "l-1", "item_class": "deployed-icbm-launcher", "facility": "base-b"},
        ],
    }


def notice(ref: str, code: str, day: int, **fields: str) -> dict[str, Any]:
    return {
        "ref": ref,
        "code": code,
        "event_time": f"2026-01-{day:02d}T12:00:00Z",
        "fields": fields,
    }


def stream() -> list[dict[str, Any]]:
    return [
        notice("n-4", "elimination", 9, item="m-2", facility="base-a"),
        notice("n-1", "movement", 2, item="m-1", from_facility="base-a", to_facility="base-c"),
        notice("n-2", "conversion", 3, item="l-1", new_class="non-deployed-icbm-launcher"),
        notice("n-3", "new-item", 4, item="m-3", item_class="deployed-icbm", facility="base-c"),
        notice("n-5", "movement", 10, item="m-1", from_facility="base-c", to_facility="base-a"),
        {"ref": "x-1", "code": "launch", "event_time": "2026-01-05T00:00:00Z", "fields": {}},
    ]


def base() -> Baseline:
    parsed = parse_declaration(baseline_doc(), where="base.json", item_classes=CLASSES)
    assert isinstance(parsed, Baseline)
    return parsed


def test_rollforward_applies_notices_in_event_order() -> None:
    rolled = rollforward(base(), stream(), item_classes=CLASSES)
    assert rolled.items == {
        "m-1": ("deployed-icbm", "base-a"),
        "m-3": ("deployed-icbm", "base-c"),
        "l-1": ("non-deployed-icbm-launcher", "base-b"),
    }
    assert rolled.eliminated == {"m-2": "n-4"}
    assert rolled.applied == ["n-1", "n-2", "n-3", "n-4", "n-5"]
    assert rolled.ignored == ["x-1"]
    assert rolled.touched["m-1"] == ["n-1", "n-5"]
    assert rolled.by_facility() == {
        "base-a": {"deployed-icbm": 1},
        "base-b": {"non-deployed-icbm-launcher": 1},
        "base-c": {"deployed-icbm": 1},
    }
    assert base().items["m-2"] == ("deployed-icbm", "base-a")  # baseline unchanged


def test_until_and_notices_before_the_baseline_are_skipped() -> None:
    old = notice("n-0", "elimination", 1, item="m-1")
    old["event_time"] = "2025-12-31T00:00:00Z"
    rolled = rollforward(base(), [old, *stream()], until=datetime(2026, 1, 5, tzinfo=UTC))
    assert rolled.skipped == ["n-0", "n-4", "n-5"]
    assert rolled.items["m-1"] == ("deployed-icbm", "base-c")


def test_codes_can_be_mapped_to_actions() -> None:
    renamed = [dict(n, code="arrival") if n["code"] == "movement" else n for n in stream()]
    actions = {"arrival": "movement", "conversion": "conversion", "elimination": "elimination"}
    actions["new-item"] = "new-item"
    rolled = rollforward(base(), renamed, actions=actions)
    assert rolled.items["m-1"] == ("deployed-icbm", "base-a")


@pytest.mark.parametrize(
    ("bad", "where", "message"),
    [
        (
            notice("b-1", "movement", 5, item="zz", from_facility="a", to_facility="b"),
            "notice b-1: fields.item",
            "unknown item",
        ),
        (
            notice("b-1", "movement", 5, item="m-2", from_facility="base-z", to_facility="b"),
            "notice b-1: fields.from_facility",
            "is at 'base-a'",
        ),
        (
            notice("b-1", "movement", 5, item="m-2", to_facility="b"),
            "notice b-1: fields.from_facility",
            "needs from_facility",
        ),
        (
            notice("b-1", "new-item", 5, item="m-2", item_class="deployed-icbm", facility="x"),
            "notice b-1: fields.item",
            "already exists",
        ),
        (
            notice("b-1", "conversion", 5, item="m-2", new_class="rowboat"),
            "notice b-1: fields.new_class",
            "unknown item class",
        ),
        (
            notice("b-1", "elimination", 5, item="m-2", facility="base-b"),
            "notice b-1: fields.facility",
            "is at 'base-a'",
        ),
        (notice("n-1", "elimination", 5, item="m-2"), "notice n-1: ref", "duplicate"),
        (notice("b-1", "elimination", 12, item="m-2"), "notice b-1: fields.item", "eliminated by"),
        (
            dict(notice("b-1", "elimination", 5, item="m-2"), event_time="2026-01-05T12:00:00"),
            "notice b-1: event_time",
            "no time zone",
        ),
        (
            dict(
                notice("b-1", "elimination", 5, item="m-2"), event_time="2026-01-05T12:00:00+01:00"
            ),
            "notice b-1: event_time",
            "not in UTC",
        ),
    ],
)
def test_bad_notices_name_the_notice_and_field(
    bad: dict[str, Any], where: str, message: str
) -> None:
    before = copy.deepcopy(base())
    with pytest.raises(InputError) as caught:
        rollforward(base(), [*stream(), bad], item_classes=CLASSES)
    assert caught.value.where == where
    assert message in caught.value.message
    assert base() == before


def test_bad_baselines() -> None:
    doc = baseline_doc()
    doc["items"].append(dict(doc["items"][0]))
    with pytest.raises(InputError, match="duplicate item"):
        parse_declaration(doc, where="b.json")
    doc = baseline_doc()
    doc["items"][0]["item_class"] = "rowboat"
    with pytest.raises(UnknownNameError) as caught:
        parse_declaration(doc, where="b.json", item_classes=CLASSES)
    assert caught.value.where == "b.json: items[0].item_class"
    doc = baseline_doc()
    doc["as_of"] = "2026-01-01T00:00:00"
    with pytest.raises(InputError, match="no time zone"):
        parse_declaration(doc, where="b.json")


def test_item_declaration_mismatches_name_the_notices() -> None:
    rolled = rollforward(base(), stream())
    declared = baseline_doc() | {"ref": "ru-2026-02", "as_of": "2026-02-01T00:00:00Z"}
    declared["items"] = [
        {"item": "m-1", "item_class": "deployed-icbm", "facility": "base-c"},  # stale
        {"item": "m-2", "item_class": "deployed-icbm", "facility": "base-a"},  # eliminated
        {"item": "l-1", "item_class": "non-deployed-icbm-launcher", "facility": "base-b"},
    ]  # m-3 left out
    periodic = parse_declaration(declared, where="d.json")
    findings = {f.values["item"]: f for f in check_declaration(rolled, periodic)}
    assert set(findings) == {"m-1", "m-2", "m-3"}
    assert findings["m-1"].rule == "rollforward:item-mismatch"
    assert findings["m-1"].values["notices"] == ["n-1", "n-5"]
    assert findings["m-2"].rule == "rollforward:item-unexpected"
    assert "eliminated by notice n-4" in findings["m-2"].statement
    assert findings["m-3"].rule == "rollforward:item-undeclared"
    assert findings["m-3"].values["notices"] == ["n-3"]
    assert all(not f.compliant and f.subject == "ru" for f in findings.values())


def test_count_declaration_mismatches_name_the_facility_notices() -> None:
    rolled = rollforward(base(), stream())
    periodic = parse_declaration(
        {
            "ref": "ru-2026-02",
            "party": "ru",
            "as_of": "2026-02-01",
            "holdings": [
                {"item_class": "deployed-icbm", "site": "base-a", "count": 2},
                {"item_class": "deployed-icbm", "site": "base-c", "count": 1},
                {"item_class": "non-deployed-icbm-launcher", "site": "base-b", "count": 1},
            ],
        },
        where="d.json",
    )
    assert isinstance(periodic, CountDeclaration)
    findings = check_declaration(rolled, periodic, source="Protocol Part Four, Section II")
    assert len(findings) == 1
    only = findings[0]
    assert only.rule == "rollforward:count-mismatch"
    assert (only.values["declared"], only.values["rolled"]) == (2, 1)
    assert only.values["notices"] == ["n-1", "n-4", "n-5"]
    assert only.source == "Protocol Part Four, Section II"


def test_matching_declaration_gives_no_findings_and_other_party_is_refused() -> None:
    rolled = rollforward(base(), stream())
    same = Baseline("ru-2", "ru", rolled.baseline.as_of, dict(rolled.items))
    assert check_declaration(rolled, same) == []
    with pytest.raises(InputError, match="declaration is by"):
        check_declaration(rolled, Baseline("us-2", "us", same.as_of, {}))


def test_large_random_stream_keeps_counts_consistent() -> None:
    rng = random.Random(20260301)
    items = [
        {"item": f"i-{k}", "item_class": "deployed-icbm", "facility": f"f-{k % 50}"}
        for k in range(500)
    ]
    start = parse_declaration(
        {"ref": "b", "party": "ru", "as_of": "2026-01-01T00:00:00Z", "items": items}, where="b"
    )
    assert isinstance(start, Baseline)
    where = {row["item"]: row["facility"] for row in items}
    notices = []
    for n in range(5000):
        item = f"i-{rng.randrange(500)}"
        target = f"f-{rng.randrange(50)}"
        notices.append(
            {
                "ref": f"n-{n}",
                "code": "movement",
                "event_time": f"2026-02-01T00:00:{n // 1000:02d}.{n % 1000:03d}000Z",
                "fields": {"item": item, "from_facility": where[item], "to_facility": target},
            }
        )
        where[item] = target
    rolled = rollforward(start, notices)
    assert {k: v[1] for k, v in rolled.items.items()} == where
    assert sum(rolled.counts().values()) == 500
