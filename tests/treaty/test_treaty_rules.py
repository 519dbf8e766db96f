"""Rules as data in a specification: counting rules, due rules and quotas, and the bad
input ``treaty validate`` refuses with one line naming the file and field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from treaty_helpers import dump, minimal_spec
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.errors import SpecError
from treatyverify.treaty import load_treaty, parse_treaty_yaml
from treatyverify.treaty.rules import AttributionRule, ConsistencyRule


def _flat(message: str) -> str:
    """The message with ``a[0].b`` written ``a.0.b``, whichever form the loader uses."""
    return re.sub(r"\[(\d+)\]", r".\1", message)


ATTRIBUTION = {
    "id": "gadget-per-widget",
    "kind": "attribution",
    "item_class": "widget",
    "attributed_class": "gadget",
    "per_item": 1,
    "source": "unit test fixture",
}


def _with(**sections: Any) -> dict[str, Any]:
    data = minimal_spec()
    data.update(sections)
    return data


def test_new_start_states_its_counting_rules_with_their_articles() -> None:
    spec = load_treaty("new-start")
    rules = {r.id: r for r in spec.counting_rules}
    bombers = rules["heavy-bomber-warheads"]
    assert isinstance(bombers, AttributionRule)
    assert (bombers.item_class, bombers.attributed_class, bombers.per_item) == (
        "deployed-heavy-bomber",
        "warheads-heavy-bomber",
        1,
    )
    assert bombers.source.endswith("Article III.2(c)")
    icbm = rules["icbm-in-deployed-launcher"]
    assert isinstance(icbm, ConsistencyRule) and icbm.equals == "deployed-icbm-launcher"
    due = spec.declaration("six-month-update").due
    assert due.first_period_starts == "month-after-entry-into-force"


def test_a_spec_without_counting_rules_keeps_its_digest_fields() -> None:
    spec = parse_treaty_yaml(dump(minimal_spec()))
    assert "counting_rules" not in spec.model_dump(exclude_defaults=True)
    with_rule = parse_treaty_yaml(dump(_with(counting_rules=[ATTRIBUTION])))
    assert with_rule.digest() != spec.digest()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"kind": "ratio"}, "counting_rules.0", "attribution"),  # a rule the engine does not know
        ({"item_class": "sprocket"}, "counting_rules.0.item_class", "sprocket"),
        ({"attributed_class": "sprocket"}, "counting_rules.0.attributed_class", "sprocket"),
        ({"per_item": 0}, "per_item", "greater than or equal to 1"),
    ],
)
def test_bad_counting_rules_are_refused_naming_the_field(
    change: dict[str, Any], field: str, words: str
) -> None:
    text = dump(_with(counting_rules=[ATTRIBUTION | change]))
    with pytest.raises(SpecError) as caught:
        parse_treaty_yaml(text, "mine.yaml")
    message = _flat(str(caught.value))
    assert "mine.yaml" in message and "counting_rules.0" in message
    assert field in message and words in message
    assert "\n" not in message


def test_a_consistency_rule_needs_exactly_one_relation() -> None:
    rule = {"id": "c", "kind": "consistency", "item_class": "widget", "source": "fixture"}
    with pytest.raises(SpecError, match="equals"):
        parse_treaty_yaml(dump(_with(counting_rules=[rule])))
    both = rule | {"equals": "gadget", "at_most": "gadget"}
    with pytest.raises(SpecError, match="exactly one"):
        parse_treaty_yaml(dump(_with(counting_rules=[both])))


def test_a_quota_without_a_period_is_refused() -> None:
    data = minimal_spec()
    del data["inspections"][0]["annual_quota"]
    data["inspections"][0]["quota_by_period"] = [{"per_year": 5, "source": "fixture"}]
    with pytest.raises(SpecError) as caught:
        parse_treaty_yaml(dump(data), "mine.yaml")
    assert "inspections.0.quota_by_period.0.from_year" in _flat(str(caught.value))


def test_a_limit_naming_an_unknown_item_class_is_refused() -> None:
    data = minimal_spec()
    data["limits"][0]["counts"] = ["widget", "sprocket"]
    with pytest.raises(SpecError) as caught:
        parse_treaty_yaml(dump(data))
    assert "limits.0.counts" in _flat(str(caught.value)) and "'sprocket'" in str(caught.value)


def test_a_periodic_declaration_needs_its_first_period() -> None:
    schedule = {
        "id": "update",
        "kind": "periodic",
        "description": "Updates.",
        "due": {"interval_months": 6, "days_after_period_end": 30},
        "source": "fixture",
    }
    with pytest.raises(SpecError, match="first_period_starts"):
        parse_treaty_yaml(dump(_with(declarations=[schedule])))
    schedule["due"]["first_period_starts"] = "entry-into-force"
    assert parse_treaty_yaml(dump(_with(declarations=[schedule]))).declarations


def test_treaty_validate_refuses_an_unknown_rule_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(dump(_with(counting_rules=[ATTRIBUTION | {"kind": "ratio"}])), "utf-8")
    result = CliRunner().invoke(app, ["treaty", "validate", str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "counting_rules.0" in _flat(lines[0]) and "mine.yaml" in lines[0]
