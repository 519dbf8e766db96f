"""Errors in YAML files name the file, the line and column, and the field path."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from treaty_helpers import dump, minimal_spec

from treatyverify.errors import InputError, SpecError
from treatyverify.scenarios import parse_exchange_scenario
from treatyverify.treaty import parse_treaty_yaml, validate_treaty_file
from treatyverify.treaty.loader import format_path, locate


def _error(data: dict[str, Any]) -> tuple[str, SpecError]:
    text = dump(data)
    with pytest.raises(SpecError) as caught:
        parse_treaty_yaml(text, "mytreaty.yaml")
    return text, caught.value


def _place(text: str, needle: str) -> str:
    """``line:column`` of the first line that, stripped, starts with ``needle``; the
    column is that of the node, after a list item's ``- ``."""
    line, column = next(
        (number, row.index(needle.removeprefix("- ")) + 1)
        for number, row in enumerate(text.splitlines(), start=1)
        if row.strip().startswith(needle)
    )
    return f"{line}:{column}"


def test_format_path_writes_positions_in_brackets() -> None:
    assert format_path(("limits", 1, "counts", 0)) == "limits[1].counts[0]"
    assert format_path(()) == ""


def test_a_limit_naming_an_unknown_item_class_points_at_the_item() -> None:
    data = minimal_spec()
    data["limits"][0]["counts"] = ["widget", "foo"]
    text, error = _error(data)
    assert error.where == f"mytreaty.yaml:{_place(text, '- foo')}: limits[0].counts[1]"
    assert error.message.startswith("'foo' is not a declared item class")


def test_a_field_error_points_at_the_field() -> None:
    data = minimal_spec()
    data["inspections"][0]["annual_quota"] = -1
    text, error = _error(data)
    place = _place(text, "annual_quota:")
    assert error.where == f"mytreaty.yaml:{place}: inspections[0].annual_quota"
    assert str(error).count("\n") == 0


def test_a_missing_field_points_at_its_entry() -> None:
    data = minimal_spec()
    del data["item_classes"][1]["source"]
    text, error = _error(data)
    assert error.where == f"mytreaty.yaml:{_place(text, '- id: gadget')}: item_classes[1].source"
    assert error.message == "Field required"


def test_a_union_member_name_is_not_part_of_the_path() -> None:
    data = minimal_spec()
    data["limits"][0]["effective"] = "2030-01-01T10:30:00"  # a time, where a date is asked
    text, error = _error(data)
    assert error.where == f"mytreaty.yaml:{_place(text, 'effective:')}: limits[0].effective"


def test_a_field_a_whole_model_check_names_is_located() -> None:
    data = minimal_spec()
    data["entered_into_force"] = "2019-01-01"  # before the signature
    text, error = _error(data)
    assert error.where == f"mytreaty.yaml:{_place(text, 'entered_into_force:')}: entered_into_force"
    assert error.message == "must not be before signed"


def test_a_file_error_names_the_file(tmp_path: Path) -> None:
    data = minimal_spec()
    data["stages"][0]["measures"].append("nowhere")
    path = tmp_path / "mine.yaml"
    path.write_text(dump(data), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        validate_treaty_file(path)
    where = caught.value.where or ""
    assert where.startswith("mine.yaml:")
    assert where.endswith(": stages[0].measures[2]")


def test_locate_drops_the_names_pydantic_gives_union_members() -> None:
    text = "rules:\n  - kind: attribution\n    id: x\n"
    loc = ("rules", 0, "attribution", "per_item")  # a member chosen by its kind
    assert locate(text, loc, "Field required")[:3] == ("rules[0].per_item", 2, 5)
    text = "limits:\n  - effective: 2030-01-01T10:00:00\n"
    loc = ("limits", 0, "effective", "date")  # a member of date | str
    assert locate(text, loc, "bad")[:3] == ("limits[0].effective", 2, 5)


def test_locate_keeps_a_path_the_document_does_not_have() -> None:
    text = "a:\n  b: 1\n"
    assert locate(text, ("a", "c"), "Field required") == ("a.c", 1, 1, "Field required")
    assert locate("", ("a",), "x") == ("a", None, None, "x")


def test_an_exchange_scenario_error_names_line_and_field() -> None:
    name = "new-start-exchange-2022.yaml"
    text = (resources.files("treatyverify") / "scenarios" / name).read_text(encoding="utf-8")
    bad = text.replace("inspection_team: 9", "inspection_team: nine")
    with pytest.raises(InputError) as caught:
        parse_exchange_scenario(bad, name)
    assert caught.value.where == f"{name}:{_place(bad, 'inspection_team:')}: inspection_team"
