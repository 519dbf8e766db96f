"""Crash test of the service: the server killed with SIGKILL mid-writes leaves a valid ledger.

``python -m treatyverify serve CONFIG --port P`` runs as a child process over a SQLite
ledger. Writer threads of both parties append through their own
:class:`~treatyverify.service.client.RemoteLedger`; once some records are acknowledged an
exercise run is queued, and after a random moment (a seeded generator, so the schedule
is reproducible) the server is killed with SIGKILL. The ledger, opened here from its
file, must verify and hold every record a writer saw acknowledged (201), at its
sequence number with its hash. The server is then started again on the same files: it
serves, takes new writes, and reports the cut-off exercise run as *interrupted*. Two
rounds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from service_helpers import free_port, write_service_files

from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Entry, Ledger, Record
from treatyverify.records.verify import verify_ledger
from treatyverify.service.client import RemoteLedger, ServiceClient, ServiceError

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

ROUNDS = 2
WRITERS = (("us", 0), ("ru", 0), ("us", 1), ("ru", 1))
ACKNOWLEDGED_BEFORE_KILL = 30
"""Records acknowledged in a round before the kill is scheduled."""
START_TIMEOUT_S = 30.0
ROUND_TIMEOUT_S = 40.0
WALL_CLOCK_S = 150.0


@contextmanager
def serve(config: Path, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Start ``treatyverify serve`` on a free port; yield the process and its base URL."""
    port = free_port()
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "treatyverify", "serve", str(config), "--port", str(port)],
            stdout=sink,
            stderr=sink,
        )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def wait_until_serving(process: subprocess.Popen[bytes], client: ServiceClient, log: Path) -> int:
    """Poll the ledger head until the server answers; its size."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            return int(client.call("GET", "/api/ledger")["size"])
        except ServiceError as exc:
            if exc.status != 0:
                raise
        if time.monotonic() > deadline:
            pytest.fail(f"the server did not answer within {START_TIMEOUT_S} s")
        time.sleep(0.1)


class Writers:
    """Writer threads that append until the server goes away; what each saw acknowledged."""

    def __init__(self, base_url: str, keys: dict[str, PartyKey], round_number: int) -> None:
        self.acknowledged: list[Record] = []
        self.failures: list[BaseException] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(
                target=self._write,
                args=(base_url, keys[party], f"{party}-{index}-r{round_number}"),
                daemon=True,
            )
            for party, index in WRITERS
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def _write(self, base_url: str, key: PartyKey, name: str) -> None:
        ledger: RemoteLedger | None = None
        try:
            ledger = RemoteLedger(ServiceClient(base_url, key, timeout_s=ROUND_TIMEOUT_S))
            for step in range(100_000):
                size = 4 if step % 3 == 2 else 1
                entries = [Entry("note", {"text": f"{name} {step} {i}"}) for i in range(size)]
                records = ledger.append_many(entries, key)
                with self.lock:
                    self.acknowledged.extend(records)
        except ServiceError as exc:
            if exc.status != 0:  # anything but "the server is gone" is a failure
                self.failures.append(exc)
        except BaseException as exc:
            self.failures.append(exc)
        finally:
            if ledger is not None:
                ledger.close()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=ROUND_TIMEOUT_S)
        assert not any(t.is_alive() for t in self.threads), "a writer did not stop"


def check_ledger(path: Path, acknowledged: list[Record]) -> int:
    """Verify the ledger file and find every acknowledged record in it; its size."""
    with Ledger.open(path) as ledger:
        report = verify_ledger(ledger)
        for record in acknowledged:
            held = ledger.get(record.seq)
            assert held.hash == record.hash, f"acknowledged record {record.seq} is not held"
        size = ledger.size
    assert report.size == size
    return size


@pytest.mark.slow
def test_sigkill_during_writes_leaves_a_ledger_that_verifies(tmp_path: Path) -> None:
    began = time.monotonic()
    config, keys = write_service_files(tmp_path)
    ledger_path = tmp_path / "ledger.sqlite"
    log = tmp_path / "server.log"
    schedule = random.Random(20261122)
    acknowledged: list[Record] = []
    runs: list[str] = []
    size = 1

    for round_number in range(ROUNDS):
        with serve(config, log) as (process, base_url):
            probe = ServiceClient(base_url, keys["us"])
            try:
                assert wait_until_serving(process, probe, log) == size
                if runs:  # the run cut off by the previous kill
                    row = probe.call("GET", f"/api/exercises/{runs[-1]}")
                    assert row["status"] == "interrupted", row
                    assert "stopped" in row["message"]

                writers = Writers(base_url, keys, round_number)
                writers.start()
                deadline = time.monotonic() + ROUND_TIMEOUT_S
                while writers.count() < ACKNOWLEDGED_BEFORE_KILL:
                    assert not writers.failures, f"a writer failed: {writers.failures[0]!r}"
                    assert time.monotonic() < deadline, "too few records acknowledged in time"
                    time.sleep(0.01)
                queued = probe.call(
                    "POST",
                    "/api/exercises",
                    body={"scenario": "warhead-dismantlement", "runs": 50, "seed": round_number},
                )
                assert queued["status"] == "queued"
                runs.append(queued["id"])
                time.sleep(schedule.uniform(0.05, 0.5))
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
                assert process.returncode == -signal.SIGKILL
                writers.join()
            finally:
                probe.close()
        assert not writers.failures, f"a writer failed: {writers.failures[0]!r}"
        acknowledged.extend(writers.acknowledged)
        after = check_ledger(ledger_path, acknowledged)
        assert after >= size + ACKNOWLEDGED_BEFORE_KILL
        size = after

    # Started again after the last kill: it serves, takes writes, marks the run interrupted.
    with serve(config, log) as (process, base_url):
        client = ServiceClient(base_url, keys["ru"])
        try:
            assert wait_until_serving(process, client, log) == size
        except BaseException:
            client.close()
            raise
        ledger = RemoteLedger(client)
        try:
            row = ledger.client.call("GET", f"/api/exercises/{runs[-1]}")
            assert row["status"] == "interrupted", row
            record = ledger.append("note", {"text": "after restart"}, keys["ru"])
            assert record.seq == size
            assert ledger.client.call("GET", "/api/ledger/verify")["verified"] is True
        finally:
            ledger.close()
    check_ledger(ledger_path, [*acknowledged, record])
    assert time.monotonic() - began < WALL_CLOCK_S
