"""Atomic writes (the whole new file or the old one, never a part) and strict reads."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import treatyverify.files as files
from treatyverify.errors import InputError
from treatyverify.files import (
    YAMLLimitError,
    check_output_folder,
    foreign_entries,
    load_yaml,
    parse_json,
    publish_folder,
    read_text,
    remove_stale_staging,
    staging_folder,
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


def test_a_secret_never_replaces_a_file(tmp_path: Path) -> None:
    target = write_atomically(tmp_path / "s.key", b"first", mode=0o600, replace=False)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    with pytest.raises(InputError, match="exists") as caught:
        write_atomically(target, b"second", mode=0o600, replace=False)
    assert caught.value.where == str(target)
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.key"]


# Staging -------------------------------------------------------------------------------


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _left(folder: Path, target: str, pid: int, role: str, host: str | None = None) -> Path:
    tag = f"{host or files._host_tag()}-{pid}"
    path = folder / f".{target}.{tag}.a1b2c3.{role}"
    if role == "tmp":
        path.write_bytes(b"half")
    else:
        path.mkdir()
        (path / "inside").write_bytes(b"half")
    return path


def test_stale_staging_of_a_dead_process_is_removed_and_nothing_else(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale = [_left(tmp_path, "out.bin", dead, role) for role in ("tmp", "partial", "old")]
    kept = [
        _left(tmp_path, "out.bin", os.getpid(), "partial"),  # a live process: this one
        _left(tmp_path, "out.bin", 1, "tmp"),  # a live process: init
        _left(tmp_path, "out.bin", dead, "partial", host="0" * 8),  # another machine's
        _left(tmp_path, "other.bin", dead, "tmp"),  # another target's
    ]
    (tmp_path / ".out.bin.something.partial").mkdir()  # not named as ours
    assert sorted(remove_stale_staging(tmp_path / "out.bin")) == sorted(stale)
    assert all(os.path.lexists(p) for p in kept)
    assert (tmp_path / ".out.bin.something.partial").is_dir()


def test_a_write_removes_the_temporary_file_a_killed_write_left(tmp_path: Path) -> None:
    _left(tmp_path, "out.bin", _dead_pid(), "tmp")
    write_atomically(tmp_path / "out.bin", b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_a_staging_folder_is_removed_on_any_exit_unless_published(tmp_path: Path) -> None:
    target = tmp_path / "report"
    with pytest.raises(KeyboardInterrupt), staging_folder(target) as staging:
        (staging / "half.html").write_text("<html>")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    target.mkdir()
    (target / "old.html").write_text("old")
    with staging_folder(target, mode=0o700) as staging:
        assert stat.S_IMODE(staging.stat().st_mode) == 0o700
        (staging / "new.html").write_text("new")
        publish_folder(staging, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    assert sorted(p.name for p in target.iterdir()) == ["new.html"]


# Output folders ------------------------------------------------------------------------


def test_foreign_entries_are_what_the_layout_does_not_describe(tmp_path: Path) -> None:
    (tmp_path / "figures" / "deep").mkdir(parents=True)
    (tmp_path / "report.html").write_text("")
    (tmp_path / "figures" / "a.png").write_text("")
    (tmp_path / "figures" / "b.txt").write_text("")
    (tmp_path / "figures" / "deep" / "c.png").write_text("")
    (tmp_path / "empty").mkdir()
    (tmp_path / "link.html").symlink_to(tmp_path / "report.html")
    _left(tmp_path, "report.html", 12345, "tmp")  # ours, whatever its state
    layout = ["report.html", "link.html", "figures/*.png"]
    assert foreign_entries(tmp_path, layout) == [
        "empty/",
        "figures/b.txt",
        "figures/deep/",
        "link.html",
    ]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.write_text("x"), "not a folder"),
        (lambda p: p.symlink_to(p.parent), "symbolic link"),
        (lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine")), "not an earlier x"),
        (
            lambda p: (p.mkdir(), (p / "MARK").write_text(""), (p / "notes.txt").write_text("")),
            "notes.txt",
        ),
        (lambda p: (p.mkdir(), (p / "MARK").write_text(""), (p / "a.db").write_text("")), "ledger"),
    ],
)
def test_an_output_folder_replaces_only_an_earlier_output_of_its_kind(
    tmp_path: Path, make: Callable[[Path], object], words: str
) -> None:
    target = tmp_path / "out"
    make(target)
    with pytest.raises(InputError, match=words) as caught:
        check_output_folder(
            target,
            marker="MARK",
            layout=["*.html", "a.db"],
            what="an earlier x",
            protected=[target / "a.db"],
        )
    assert caught.value.where == str(target)


def test_an_output_folder_may_be_new_empty_or_an_earlier_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def check(path: Path) -> Path:
        return check_output_folder(path, marker="MARK", layout=["*.html"], what="x")

    assert check(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    (tmp_path / "empty").mkdir()
    assert check(tmp_path / "empty") == tmp_path / "empty"
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "MARK").write_text("")
    (earlier / "page.html").write_text("")
    assert check(earlier) == earlier
    monkeypatch.chdir(earlier / "..")
    with pytest.raises(InputError, match="current folder"):
        check(tmp_path)  # replacing it would pull the folder from under the command
    monkeypatch.chdir(earlier)
    with pytest.raises(InputError, match="current folder"):
        check(earlier)


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
