"""Loading specifications: shipped ids, files, and every way a file can be wrong."""

from __future__ import annotations

import contextlib
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from treaty_helpers import dump, minimal_spec

from treatyverify.errors import InputError, SpecError, UnknownNameError
from treatyverify.treaty import (
    list_treaties,
    load_treaty,
    parse_treaty_yaml,
    validate_treaty_file,
)


def test_unknown_treaty_id_names_it_and_lists_known() -> None:
    with pytest.raises(UnknownNameError) as info:
        load_treaty("start-iv")
    assert "'start-iv'" in str(info.value)
    for known in list_treaties():
        assert known in str(info.value)


def test_load_from_path_and_validate_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(dump(minimal_spec()), encoding="utf-8")
    assert load_treaty(path).id == "test-treaty"
    assert load_treaty(str(path)).id == "test-treaty"
    assert validate_treaty_file(path).id == "test-treaty"


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nname: [unclosed\nshort_name: y\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        validate_treaty_file(path)
    assert info.value.where is not None
    assert info.value.where.startswith("broken.yaml:")
    line = int(info.value.where.split(":")[1])
    assert line in {2, 3, 4}
    assert "malformed YAML" in info.value.message


def test_bad_indentation_line_number() -> None:
    text = "id: x\nparties:\n  - id: a\n   name: b\n"
    with pytest.raises(SpecError) as info:
        parse_treaty_yaml(text, "t.yaml")
    assert info.value.where == "t.yaml:4:8" or (info.value.where or "").startswith("t.yaml:4")


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n", "42\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    with pytest.raises(SpecError, match="top level must be a mapping"):
        parse_treaty_yaml(text, "t.yaml")


def test_impossible_date_is_a_spec_error() -> None:
    data = dump(minimal_spec()).replace("2020-01-01", "2020-13-45")
    with pytest.raises(SpecError):
        parse_treaty_yaml(data, "t.yaml")


def test_first_validation_error_only_one_line() -> None:
    data = minimal_spec()
    data["limits"][0]["maximum"] = -5
    data["inspections"][0]["annual_quota"] = -1
    with pytest.raises(SpecError) as info:
        parse_treaty_yaml(dump(data), "new-start.yaml")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("new-start.yaml:")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        validate_treaty_file(tmp_path / "nope.yaml")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"id: caf\xe9\n")
    with pytest.raises(SpecError, match="UTF-8"):
        validate_treaty_file(path)


def test_recursive_alias_is_a_spec_error() -> None:
    text = dump(minimal_spec()) + "notes: &a [*a]\n"
    with pytest.raises(SpecError):
        parse_treaty_yaml(text, "t.yaml")


_YAMLISH = st.text(
    alphabet=string.ascii_letters + string.digits + " \n\t:-[]{},'\"#&*!|>%@`.?_",
    max_size=300,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_YAMLISH)
def test_loader_raises_only_input_errors_on_random_text(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_treaty_yaml(text, "fuzz.yaml")


_VALID_LINES = dump(minimal_spec()).splitlines()


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=len(_VALID_LINES) - 1),
    replacement=st.text(
        alphabet=string.ascii_letters + string.digits + " :-[]{},'\"#&*.", max_size=40
    ),
)
def test_loader_raises_only_input_errors_on_mutated_spec(index: int, replacement: str) -> None:
    lines = list(_VALID_LINES)
    lines[index] = replacement
    with contextlib.suppress(InputError):
        parse_treaty_yaml("\n".join(lines), "fuzz.yaml")
