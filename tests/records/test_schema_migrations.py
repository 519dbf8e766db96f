"""Alembic migrations of the ledger store (``records/migrations``, ``records/schema.py``).

The migrations must build exactly the schema that ``metadata.create_all`` builds for a
new store, which is stamped at the head revision; ``upgrade_store`` upgrades an existing
store and refuses one at a revision this code does not know. Every check runs on SQLite
and, when ``TREATYVERIFY_TEST_POSTGRES_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

import importlib.resources
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from ledger_helpers import fill, new_ledger
from sqlalchemy import create_engine, text

from pg_database import fresh_database_url, schema_of
from treatyverify.errors import LedgerError
from treatyverify.records import store as store_module
from treatyverify.records.ledger import Ledger
from treatyverify.records.schema import (
    MIGRATIONS,
    migration_config,
    script_revisions,
    upgrade_store,
)
from treatyverify.records.store import (
    LEDGER_REVISION,
    LEDGER_REVISIONS,
    VERSION_TABLE,
    Store,
    metadata,
    store_url,
)
from treatyverify.records.verify import verify_ledger

NewDatabase = Callable[[], str]


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """A maker of fresh, empty databases on one backend: a SQLite path or a URL."""
    with ExitStack() as stack:
        made: list[str] = []

        def make() -> str:
            if request.param == "sqlite":
                location = str(tmp_path / f"db{len(made)}.db")
            else:
                location = stack.enter_context(fresh_database_url())
            made.append(location)
            return location

        yield make


def upgrade_empty(location: str) -> None:
    """Run ``alembic upgrade head`` on an empty database, as an operator would."""
    engine = create_engine(store_url(location))
    try:
        with engine.begin() as connection:
            command.upgrade(migration_config(connection), "head")
    finally:
        engine.dispose()


def revision_of(location: str) -> str | None:
    """The revision Alembic reads from a database."""
    engine = create_engine(store_url(location))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def schema_at(location: str) -> dict[str, object]:
    """The schema of a database, version table included (see ``pg_database.schema_of``)."""
    engine = create_engine(store_url(location))
    try:
        with engine.connect() as connection:
            return schema_of(connection)
    finally:
        engine.dispose()


def set_revision(location: str, revision: str) -> None:
    """Overwrite the stamped revision, as a newer treatyverify would have left it."""
    engine = create_engine(store_url(location))
    try:
        with engine.begin() as connection:
            connection.execute(
                text(f"UPDATE {VERSION_TABLE} SET version_num = :v"), {"v": revision}
            )
    finally:
        engine.dispose()


def test_the_revisions_in_store_py_are_those_of_the_migration_scripts() -> None:
    assert script_revisions() == LEDGER_REVISIONS
    assert LEDGER_REVISIONS[-1] == LEDGER_REVISION


def test_the_migrations_are_package_data() -> None:
    shipped = importlib.resources.files("treatyverify.records") / "migrations"
    assert Path(str(shipped)) == MIGRATIONS
    for name in ("env.py", "script.py.mako", "versions/0001_ledger_store.py"):
        assert (MIGRATIONS / name).is_file(), name


def test_upgrade_head_on_an_empty_database_builds_the_schema_of_create_all(
    new_database: NewDatabase,
) -> None:
    migrated = new_database()
    upgrade_empty(migrated)
    engine = create_engine(store_url(migrated))
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    engine.dispose()

    created = new_database()
    engine = create_engine(store_url(created))
    metadata.create_all(engine)
    engine.dispose()
    skip = frozenset({VERSION_TABLE})
    migrated_schema = {k: v for k, v in schema_at(migrated).items() if k not in skip}
    assert migrated_schema == schema_at(created)
    assert migrated_schema["records"]["unique"] == [
        ("uq_records_kind_party_ref", ("kind", "party", "ref"))
    ]
    assert revision_of(migrated) == LEDGER_REVISION


def test_a_new_store_is_stamped_at_the_head_revision_with_alembics_own_table(
    new_database: NewDatabase,
) -> None:
    created = new_database()
    Store(created, create=True).close()
    assert revision_of(created) == LEDGER_REVISION
    migrated = new_database()
    upgrade_empty(migrated)
    assert schema_at(created) == schema_at(migrated)
    # Upgrading a new store changes nothing.
    before = schema_at(created)
    upgrade_empty(created)
    assert upgrade_store(created) == LEDGER_REVISION
    assert schema_at(created) == before


def test_a_ledger_is_created_in_a_server_database_migrated_beforehand() -> None:
    # (A new SQLite ledger is always a new file; a server database may be prepared first.)
    with fresh_database_url() as location:
        upgrade_empty(location)
        ledger, keys = new_ledger(location)  # type: ignore[arg-type]
        fill(ledger, keys, 3)
        ledger.close()
        with Ledger.open(location) as reopened:
            assert verify_ledger(reopened).size == 4
        assert revision_of(location) == LEDGER_REVISION


def test_a_store_made_before_migrations_is_stamped_by_upgrade_store(
    new_database: NewDatabase,
) -> None:
    location = new_database()
    ledger, keys = new_ledger(location)  # type: ignore[arg-type]
    fill(ledger, keys, 4)
    root = ledger.root()
    ledger.close()
    engine = create_engine(store_url(location))
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    engine.dispose()
    with Ledger.open(location) as unstamped:  # the first revision's schema: still readable
        assert unstamped.root() == root
    assert upgrade_store(location) == LEDGER_REVISION
    assert revision_of(location) == LEDGER_REVISION
    with Ledger.open(location) as upgraded:
        assert verify_ledger(upgraded).root == root.hex()


def test_a_store_at_an_unknown_revision_is_refused(new_database: NewDatabase) -> None:
    location = new_database()
    ledger, _ = new_ledger(location)  # type: ignore[arg-type]
    ledger.close()
    set_revision(location, "ffff")
    with pytest.raises(LedgerError, match=r"revision ffff.*does not know") as caught:
        upgrade_store(location)
    assert caught.value.where == store_module.display_name(location)
    with pytest.raises(LedgerError, match="revision ffff"):
        Ledger.open(location)
    assert revision_of(location) == "ffff"  # left as it was


def test_a_store_at_an_older_revision_must_be_upgraded_before_it_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, _ = new_ledger(tmp_path / "old.db")
    ledger.close()
    monkeypatch.setattr(store_module, "LEDGER_REVISIONS", ("0001", "0002"))
    monkeypatch.setattr(store_module, "LEDGER_REVISION", "0002")
    with pytest.raises(LedgerError, match="older than 0002; upgrade it") as caught:
        Ledger.open(tmp_path / "old.db")
    assert caught.value.where == str(tmp_path / "old.db")


def test_upgrade_store_refuses_what_is_not_a_ledger(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="no ledger here"):
        upgrade_store(tmp_path / "missing.db")
    (tmp_path / "text.db").write_text("not a database")
    with pytest.raises(LedgerError, match="not a SQLite database"):
        upgrade_store(tmp_path / "text.db")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE something (x INTEGER)")
    with pytest.raises(LedgerError, match="no ledger tables") as caught:
        upgrade_store(other)
    assert caught.value.where == str(other)
    with sqlite3.connect(other) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert names == {"something"}  # the refused upgrade left nothing behind


def test_upgrade_store_errors_mask_a_urls_password() -> None:
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed")
    url = "postgresql+psycopg://treaty:s3cret-pw@127.0.0.1:1/ledger?connect_timeout=2"
    with pytest.raises(LedgerError, match="cannot upgrade the ledger store") as caught:
        upgrade_store(url)
    assert "s3cret-pw" not in str(caught.value)
    assert (
        caught.value.where == "postgresql+psycopg://treaty:***@127.0.0.1:1/ledger?connect_timeout=2"
    )
