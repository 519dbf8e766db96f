"""Load test: writers of both parties append at once through a real server; nothing is lost.

A uvicorn server on loopback serves a fresh New START ledger. Writer threads for ``us``
and ``ru`` (two per party) each append records through their own
:class:`~treatyverify.service.client.RemoteLedger`, which signs each record on the head
it read and signs again when another writer took that place first (409). Afterwards
every record a writer got back is in the ledger at its sequence number with its hash,
none twice, the count is exact and :func:`verify_ledger` passes. The test is bounded in
records (4 writers x 25 records, a few of them batches) and in time (``WALL_CLOCK_S``).

The same test runs on PostgreSQL when ``TREATYVERIFY_TEST_POSTGRES_URL`` names a server
(``tests/pg_database.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_helpers import make_service, running_server

from pg_database import ADMIN_URL, SKIP_REASON, fresh_database_url
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Entry, Ledger, Record
from treatyverify.records.verify import verify_ledger
from treatyverify.service.client import RemoteLedger, ServiceClient

WRITERS_PER_PARTY = 2
PARTIES = ("us", "ru")
RECORDS_PER_WRITER = 25
BATCH_EVERY = 5
"""Every fifth submission of a writer is a batch of three records (one request)."""
WALL_CLOCK_S = 120.0
"""Bound on the whole test (server start, writes, checks)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """``None`` for a SQLite file in the test's folder, else a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    if ADMIN_URL is None:
        pytest.skip(SKIP_REASON)
    with fresh_database_url() as url:
        yield url


def _write(base_url: str, key: PartyKey, key_index: int, out: list[Record]) -> None:
    """Append ``RECORDS_PER_WRITER`` records as ``key.party``; keep what was acknowledged."""
    member = key.party
    ledger = RemoteLedger(ServiceClient(base_url, key, timeout_s=WALL_CLOCK_S))
    try:
        written = 0
        submission = 0
        while written < RECORDS_PER_WRITER:
            submission += 1
            size = 3 if submission % BATCH_EVERY == 0 else 1
            size = min(size, RECORDS_PER_WRITER - written)
            entries = [
                Entry(
                    "note",
                    {"text": str(written + i), "subject": f"{member}-{key_index}"},
                    f"{member}-{key_index}-{written + i}",
                )
                for i in range(size)
            ]
            out.extend(ledger.append_many(entries, key))
            written += size
    finally:
        ledger.close()


@pytest.mark.slow
def test_concurrent_writers_lose_nothing_and_keep_the_chain_valid(
    tmp_path: Path, ledger_location: str | None
) -> None:
    began = time.monotonic()
    service = make_service(tmp_path, ledger=ledger_location)
    acknowledged: dict[str, list[Record]] = {}
    failures: list[BaseException] = []

    def run(member: str, index: int) -> None:
        try:
            _write(base_url, service.keys[member], index, acknowledged[f"{member}-{index}"])
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    try:
        with running_server(service.app) as base_url:
            threads = []
            for member in PARTIES:
                for index in range(WRITERS_PER_PARTY):
                    acknowledged[f"{member}-{index}"] = []
                    threads.append(threading.Thread(target=run, args=(member, index), daemon=True))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=max(0.0, WALL_CLOCK_S - (time.monotonic() - began)))
            assert not any(t.is_alive() for t in threads), (
                f"writers still busy after {WALL_CLOCK_S} s"
            )
        assert not failures, f"a writer failed: {failures[0]!r}"

        location = ledger_location or str(tmp_path / "ledger.sqlite")
        with Ledger.open(location) as ledger:
            report = verify_ledger(ledger)
            held = {record.seq: record for record in ledger.records()}
        total = len(PARTIES) * WRITERS_PER_PARTY * RECORDS_PER_WRITER
        assert report.size == len(held) == 1 + total
        seen: set[int] = set()
        for writer, records in acknowledged.items():
            assert len(records) == RECORDS_PER_WRITER, writer
            for record in records:
                assert record.seq not in seen, f"two writers were told they hold {record.seq}"
                seen.add(record.seq)
                stored = held[record.seq]
                assert stored.hash == record.hash, f"{writer}: record {record.seq} was replaced"
                assert stored.party == writer.split("-")[0]
        assert seen == set(range(1, 1 + total))
        # Each writer's records are in the order it wrote them, all references unique.
        for writer, records in acknowledged.items():
            numbers = [int(held[r.seq].body["text"]) for r in sorted(records, key=lambda r: r.seq)]
            assert numbers == list(range(RECORDS_PER_WRITER)), writer
    finally:
        service.close()
    assert time.monotonic() - began < WALL_CLOCK_S
