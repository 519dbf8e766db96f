"""The service's own database (``service/statedb.py``, ``service/migrations``).

``open_state`` creates the database when it is missing and runs ``alembic upgrade
head``; the result must be exactly the tables of ``service/state.py``. Every check runs
on SQLite and, when ``TREATYVERIFY_TEST_POSTGRES_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, select, text

from pg_database import fresh_database_url, schema_of
from treatyverify.errors import LedgerError
from treatyverify.records.store import VERSION_TABLE as LEDGER_VERSION_TABLE
from treatyverify.records.store import Store, display_name, store_url
from treatyverify.service.state import metadata, sessions
from treatyverify.service.statedb import MIGRATIONS, VERSION_TABLE, open_state, script_revisions

NewDatabase = Callable[[], str]


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """A maker of fresh, empty databases on one backend: a SQLite path or a URL."""
    with ExitStack() as stack:
        made: list[str] = []

        def make() -> str:
            if request.param == "sqlite":
                location = str(tmp_path / "state" / f"db{len(made)}.db")
            else:
                location = stack.enter_context(fresh_database_url())
            made.append(location)
            return location

        yield make


def revision_of(location: str) -> str | None:
    engine = create_engine(store_url(location))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()
    finally:
        engine.dispose()


def test_the_migrations_are_package_data_with_their_revisions() -> None:
    for name in (
        "env.py",
        "script.py.mako",
        "versions/0001_service_state.py",
        "versions/0002_checkpoint_signatures.py",
    ):
        assert (MIGRATIONS / name).is_file(), name
    assert script_revisions() == ("0001", "0002")


def test_open_state_builds_exactly_the_tables_of_state_py(new_database: NewDatabase) -> None:
    migrated = new_database()
    engine = open_state(migrated)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert context.get_current_revision() == script_revisions()[-1]
        assert compare_metadata(context, metadata) == []
        migrated_schema = schema_of(connection, skip=frozenset({VERSION_TABLE}))
    engine.dispose()

    created = new_database()
    if "://" not in created:
        Path(created).parent.mkdir(exist_ok=True)
    engine = create_engine(store_url(created))
    metadata.create_all(engine)
    with engine.connect() as connection:
        assert migrated_schema == schema_of(connection)
    engine.dispose()
    assert set(migrated_schema) == {
        "checkpoint_signatures",
        "exercise_runs",
        "request_nonces",
        "sessions",
    }
    assert ("ix_request_nonces_time", ("time",), False) in migrated_schema["request_nonces"][
        "indexes"
    ]


def test_opening_twice_changes_nothing_and_keeps_the_rows(new_database: NewDatabase) -> None:
    location = new_database()
    engine = open_state(location)
    with engine.begin() as connection:
        connection.execute(
            insert(sessions).values(
                token_hash="ab" * 32, member="us", key_id="k1", expires="2030-01-01T00:00:00Z"
            )
        )
        before = schema_of(connection)
    engine.dispose()
    again = open_state(location)
    with again.connect() as connection:
        assert schema_of(connection) == before
        assert connection.execute(select(sessions.c.member)).scalars().all() == ["us"]
    again.dispose()
    assert revision_of(location) == script_revisions()[-1]


def test_a_new_sqlite_state_file_is_made_with_its_folder_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "state.db"
    engine = open_state(path)
    engine.dispose()
    header = path.read_bytes()[:20]
    assert header.startswith(b"SQLite format 3\x00")
    assert header[18] == header[19] == 2  # WAL (sqlite.org/fileformat.html)


def test_an_unknown_revision_is_refused_and_left_alone(new_database: NewDatabase) -> None:
    location = new_database()
    open_state(location).dispose()
    engine = create_engine(store_url(location))
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(LedgerError, match="revision 9999, which this version") as caught:
        open_state(location)
    assert caught.value.where == display_name(location)
    assert revision_of(location) == "9999"


def test_the_state_and_a_ledger_store_share_a_database_without_mixing(
    new_database: NewDatabase,
) -> None:
    location = new_database()
    Store(location, create=True).close()
    open_state(location).dispose()
    engine = create_engine(store_url(location))
    with engine.connect() as connection:
        tables = set(schema_of(connection))
        ledger_revision = connection.execute(
            text(f"SELECT version_num FROM {LEDGER_VERSION_TABLE}")
        ).scalar_one()
    engine.dispose()
    assert {LEDGER_VERSION_TABLE, VERSION_TABLE, "records", "sessions"} <= tables
    assert ledger_revision == "0001"
    assert revision_of(location) == script_revisions()[-1]


def test_a_file_that_is_not_a_database_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not SQLite" * 20)
    with pytest.raises(LedgerError, match="cannot open the service state database") as caught:
        open_state(path)
    assert caught.value.where == str(path)
    with sqlite3.connect(path) as connection, pytest.raises(sqlite3.DatabaseError):
        connection.execute("SELECT 1 FROM sqlite_master")


def test_errors_mask_a_urls_password() -> None:
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed")
    url = "postgresql+psycopg://svc:s3cret-pw@127.0.0.1:1/state?connect_timeout=2"
    with pytest.raises(LedgerError, match="cannot open the service state database") as caught:
        open_state(url)
    assert "s3cret-pw" not in str(caught.value)
    assert caught.value.where == "postgresql+psycopg://svc:***@127.0.0.1:1/state?connect_timeout=2"


def test_a_bad_url_is_refused_by_name() -> None:
    with pytest.raises(LedgerError, match="not a valid database URL"):
        open_state("no such scheme://x")


def test_a_state_database_at_0001_is_upgraded_keeping_its_rows(new_database: NewDatabase) -> None:
    from alembic import command

    from treatyverify.service.statedb import migration_config

    location = new_database()
    if "://" not in location:
        Path(location).parent.mkdir(exist_ok=True)
    engine = create_engine(store_url(location))
    with engine.begin() as connection:
        command.upgrade(migration_config(connection), "0001")
        connection.execute(
            insert(sessions).values(
                token_hash="cd" * 32, member="ru", key_id="k2", expires="2030-01-01T00:00:00Z"
            )
        )
    engine.dispose()
    assert revision_of(location) == "0001"
    upgraded = open_state(location)
    with upgraded.connect() as connection:
        assert connection.execute(select(sessions.c.member)).scalars().all() == ["ru"]
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, metadata) == []
    upgraded.dispose()
    assert revision_of(location) == "0002"
