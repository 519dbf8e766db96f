"""Atomic writes: the whole new file or the old one, never a part."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from treatyverify.errors import InputError
from treatyverify.files import write_atomically


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
