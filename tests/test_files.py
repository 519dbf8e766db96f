"""Atomic writes (the whole new file or the old one, never a part) and strict reads."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from treatyverify.errors import InputError
from treatyverify.files import (
    YAMLLimitError,
    load_yaml,
    parse_json,
    read_text,
    write_atomically,
)


def test_the_file_holds_exactly_the_data_and_is_readable(tmp_path: Path) -> None:
    target = write_atomically(tmp_path / "out.bin", b"abc")
    assert target.read_bytes() == b"abc"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_a_failed_replace_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def refuse(*_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("treatyverify.files.os.replace", refuse)
    with pytest.raises(InputError) as caught:
        write_atomically(target, b"new")
    assert caught.value.where == str(target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


@pytest.mark.parametrize("kind", ["missing-folder", "is-folder"])
def test_a_bad_path_is_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "absent" / "x.bin" if kind == "missing-folder" else tmp_path
    with pytest.raises(InputError) as caught:
        write_atomically(path, b"x")
    assert caught.value.where == str(path)


# Reading -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "not a regular file"),
        (lambda p: p.write_bytes(b"ok \xff\xfe bad"), "not UTF-8 text (byte 3)"),
    ],
)
def test_read_text_refuses_with_one_line_naming_the_file(
    tmp_path: Path, make: Callable[[Path], object], words: str
) -> None:
    path = tmp_path / "input.json"
    make(path)
    with pytest.raises(InputError) as caught:
        read_text(path)
    assert caught.value.where == str(path) and words in caught.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 201 + "]" * 201, "nested more than 200 deep"),
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": -Infinity}', "-Infinity is not a JSON number"),
        ('{"a": 1e999}', "out of range"),
        ("{", "not valid JSON"),
    ],
)
def test_parse_json_is_strict(text: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_json(text, where="f.json")


def test_parse_json_counts_no_bracket_inside_a_string() -> None:
    text = '{"a": "' + "[" * 500 + '\\"]", "b": [[1.5]]}'
    assert parse_json(text, where="f.json") == {"a": "[" * 500 + '"]', "b": [[1.5]]}
    assert parse_json("[" * 200 + "]" * 200, where="f.json") is not None


def test_load_yaml_refuses_an_alias_bomb_before_building_it() -> None:
    # Nine levels of ten aliases each stand for 10^9 scalars in a few hundred bytes.
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(YAMLLimitError, match="aliases are expanded"):
        load_yaml("\n".join(lines))
    assert load_yaml("a: &x [1, 2]\nb: *x") == {"a": [1, 2], "b": [1, 2]}


def test_load_yaml_refuses_deep_nesting() -> None:
    with pytest.raises(YAMLLimitError, match="nested"):
        load_yaml("a: " + "[" * 150 + "]" * 150)
