"""Run folders that killed workers leave in memory are removed by the next run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from treatyverify.exercise.montecarlo import remove_stale_run_folders
from treatyverify.files import owner_tag


def _dead_pid() -> int:
    """The id of a process that has ended (a child that exited at once)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_folders_of_ended_processes_of_this_machine_are_removed(tmp_path: Path) -> None:
    host = owner_tag().rsplit("-", 1)[0]
    dead = tmp_path / f"treatyverify-run-{host}-{_dead_pid()}-abc"
    alive = tmp_path / f"treatyverify-run-{owner_tag()}-def"
    elsewhere = tmp_path / f"treatyverify-run-0000beef-{_dead_pid()}-ghi"
    foreign = tmp_path / "treatyverify-run-notours"
    for folder in (dead, alive, elsewhere, foreign):
        folder.mkdir()
        (folder / "ledger.sqlite").write_bytes(b"x")
    assert remove_stale_run_folders(str(tmp_path)) == [dead]
    assert not dead.exists()
    assert alive.exists() and elsewhere.exists() and foreign.exists()
    assert os.listdir(alive) == ["ledger.sqlite"]
