"""The ledger on PostgreSQL through SQLAlchemy (the store for shared deployments).

Runs when ``TREATYVERIFY_TEST_POSTGRES_URL`` names a server's maintenance database,
for example ``postgresql+psycopg://postgres@/postgres?host=/tmp/pg&port=55432`` (``.ci/run``
starts such a server), and the ``psycopg`` driver is installed (``pip install -e '.[postgres]'``);
each test makes and drops its own database (``tests/pg_database.py``). Otherwise the tests
are skipped with that reason.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_helpers import at, fill, new_ledger, note, note_body

from pg_database import ADMIN_URL, SKIP_REASON, fresh_database_url
from treatyverify.errors import RecordRejectedError, VerificationError
from treatyverify.records.ledger import Entry, Ledger, Record
from treatyverify.records.verify import verify_ledger

pytestmark = pytest.mark.skipif(ADMIN_URL is None, reason=SKIP_REASON)


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh, empty database; its URL."""
    with fresh_database_url() as url:
        yield url


def test_a_ledger_on_postgresql_appends_and_verifies(database: str) -> None:
    ledger, keys = new_ledger(database)  # type: ignore[arg-type]
    records = fill(ledger, keys, 20)
    assert ledger.size == 21
    report = verify_ledger(ledger)
    assert report.size == 21
    assert ledger.get(7).hash == records[6].hash
    ledger.close()
    with Ledger.open(database) as reopened:
        assert verify_ledger(reopened).root == report.root


def test_a_duplicate_reference_writes_nothing_on_postgresql(database: str) -> None:
    ledger, keys = new_ledger(database)  # type: ignore[arg-type]
    ledger.append("note", note({"i": 0}), keys["us"], ref="taken", time=at(1))
    batch = [Entry("note", note({"i": 1}), ref="fresh"), Entry("note", note({}), ref="taken")]
    with pytest.raises(RecordRejectedError) as caught:
        ledger.append_many(batch, keys["us"], time=at(2))
    assert "taken" in str(caught.value)
    assert ledger.size == 2
    verify_ledger(ledger)
    ledger.close()


def test_a_postgresql_replica_of_a_sqlite_ledger_is_identical(
    database: str, tmp_path: Path
) -> None:
    source, keys = new_ledger(tmp_path / "a.db")
    fill(source, keys, 15)
    documents = [record.to_json() for record in source.records()]
    replica, _ = new_ledger(database)  # type: ignore[arg-type]
    imported = [Record.from_json(d, where=f"document {i}") for i, d in enumerate(documents)]
    assert replica.import_records(imported) == 15
    assert replica.root() == source.root()
    assert verify_ledger(replica).root == verify_ledger(source).root
    source.close()
    replica.close()


def test_concurrent_writers_on_postgresql_keep_one_valid_chain(database: str) -> None:
    ledger, keys = new_ledger(database)  # type: ignore[arg-type]
    ledger.close()
    errors: list[BaseException] = []

    def write(party: str) -> None:
        try:
            with Ledger.open(database) as mine:
                for i in range(15):
                    body = note_body(i)
                    mine.append("note", body, keys[party], ref=f"{party}-{i}", time=at(5))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(party,)) for party in ("us", "ru")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with Ledger.open(database) as ledger:
        assert ledger.size == 31
        try:
            verify_ledger(ledger)
        except VerificationError as exc:  # pragma: no cover - the failure to report
            pytest.fail(f"the chain broke under concurrent writers: {exc}")
