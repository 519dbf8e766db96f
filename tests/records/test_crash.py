"""Crash test: a writer killed with SIGKILL never leaves a ledger that fails to verify.

A child process appends to the ledger in a loop, alternating single records and
batches of 50 (one transaction each). The parent waits until the ledger has grown by
some hundred records, sleeps a random moment and kills the child with SIGKILL, five
times with different timings (a seeded generator, so the schedule is reproducible).
After every kill the ledger must open and verify, its size must never decrease, and
every batch must be either wholly present or wholly absent.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from ledger_helpers import new_ledger

from treatyverify.records.keys import write_key_pair
from treatyverify.records.ledger import Ledger
from treatyverify.records.verify import verify_ledger

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

BATCH = 50
ROUNDS = 5
ROUND_TIMEOUT_S = 8.0

CHILD = textwrap.dedent(
    """
    import json
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from treatyverify.records.keys import load_private_key
    from treatyverify.records.ledger import Entry, Ledger

    path, key_path, round_number = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    key = load_private_key(key_path)
    ledger = Ledger.open(path)
    last = ledger.get(ledger.size - 1).time
    moment = datetime.strptime(last, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    print("ready", flush=True)
    step = 0
    while True:
        step += 1
        moment += timedelta(milliseconds=1)
        ledger.append("note", {"text": json.dumps([round_number, step])}, key, time=moment)
        moment += timedelta(milliseconds=1)
        entries = [
            Entry("note", {"text": json.dumps([round_number, step, i, BATCH])})
            for i in range(BATCH)
        ]
        ledger.append_many(entries, key, time=moment)
    """
).replace("BATCH", str(BATCH))


def _size(path: Path) -> int:
    connection = sqlite3.connect(path, timeout=10)
    try:
        row = connection.execute("SELECT value FROM ledger_meta WHERE name='head_size'").fetchone()
    finally:
        connection.close()
    return int(row[0])


def _kill_during_appends(
    path: Path, script: Path, key_path: Path, round_number: int, grow_by: int, delay_s: float
) -> int:
    """Run the writer until the ledger grew by ``grow_by``; SIGKILL it after ``delay_s``.

    Returns the size last seen before the kill (all of it committed).
    """
    start = _size(path)
    child = subprocess.Popen(
        [sys.executable, str(script), str(path), str(key_path), str(round_number)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + ROUND_TIMEOUT_S
        seen = start
        while seen < start + grow_by:
            if child.poll() is not None:
                _out, err = child.communicate()
                pytest.fail(f"the writer died by itself: {err.decode(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the writer appended only {seen - start} records in time")
            time.sleep(0.005)
            seen = _size(path)
        time.sleep(delay_s)
        seen = _size(path)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
        if child.stderr is not None:
            child.stderr.close()
    return seen


def test_sigkill_during_appends_never_breaks_the_ledger(tmp_path: Path) -> None:
    began = time.monotonic()
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    ledger.close()
    key_path, _ = write_key_pair(keys["ru"], tmp_path / "keys")
    script = tmp_path / "writer.py"
    script.write_text(CHILD, encoding="utf-8")

    schedule = random.Random(20260101)
    size = 1
    for round_number in range(ROUNDS):
        grow_by = schedule.randint(120, 320)
        delay_s = schedule.uniform(0.0, 0.05)
        seen = _kill_during_appends(path, script, key_path, round_number, grow_by, delay_s)

        with Ledger.open(path) as reopened:
            report = verify_ledger(reopened)
            after = reopened.size
            ticks = [json.loads(r.body["text"]) for r in reopened.records(kinds=["note"])]
        assert report.size == after
        assert after >= seen >= size, (round_number, size, seen, after)
        assert after >= size + grow_by
        size = after

        # Every batch is all there or not there at all.
        batches = Counter((tick[0], tick[1]) for tick in ticks if len(tick) == 4)
        assert set(batches.values()) == {BATCH}
        singles = {(tick[0], tick[1]) for tick in ticks if len(tick) == 2}
        assert set(batches) <= singles  # each batch follows its single record

    assert size > 1 + ROUNDS * 120
    assert time.monotonic() - began < 30
