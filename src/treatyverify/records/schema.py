"""Schema migrations of the ledger store, through Alembic.

The migration scripts live in ``records/migrations`` (package data: no ``alembic.ini``
is read). :class:`~treatyverify.records.store.Store` creates a new store with
``metadata.create_all`` and stamps it at :data:`~treatyverify.records.store.LEDGER_REVISION`;
:func:`upgrade_store` brings an existing store to that revision.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from treatyverify.errors import LedgerError
from treatyverify.records.store import (
    LEDGER_REVISION,
    LEDGER_REVISIONS,
    WRITE_OPTION,
    _check_sqlite_header,
    _configure_sqlite,
    check_revision,
    display_name,
    meta_table,
    read_revisions,
    records_table,
    sqlite_path_exists,
    store_url,
)

__all__ = ["MIGRATIONS", "migration_config", "script_revisions", "upgrade_store"]

MIGRATIONS = Path(__file__).with_name("migrations")
"""The Alembic script directory of the ledger store."""

PG_LOCK_KEY = 0x7476_6C65_6467_6572  # "tvledger": serializes concurrent upgrades of one server
"""Key of the PostgreSQL transaction advisory lock held while a store is upgraded."""


def migration_config(connection: Connection | None = None) -> Config:
    """Return an Alembic configuration for the ledger store migrations.

    Parameters
    ----------
    connection
        The connection the migrations run on, inside a transaction the caller opened
        (``engine.begin()``); required by ``command.upgrade`` and the like, not by
        :class:`~alembic.script.ScriptDirectory`.
    """
    config = Config()
    # The option is read through configparser, which treats "%" as interpolation.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_revisions() -> tuple[str, ...]:
    """Return the revision ids of the migration scripts, oldest first."""
    script = ScriptDirectory.from_config(migration_config())
    return tuple(reversed([rev.revision for rev in script.walk_revisions()]))


def upgrade_store(location: str | Path) -> str:
    """Run ``alembic upgrade head`` on an existing ledger store.

    A store made before migrations existed (no version table, the tables of the first
    revision) is stamped at that revision first. The upgrade is one transaction, under
    the store's write lock (SQLite ``BEGIN IMMEDIATE``; a PostgreSQL advisory lock).

    Parameters
    ----------
    location
        A SQLite file path or a SQLAlchemy URL.

    Returns
    -------
    str
        The revision the store is at afterwards (:data:`LEDGER_REVISION`).

    Raises
    ------
    LedgerError
        No ledger there, a revision this code does not know (a newer treatyverify
        made it), or any database failure; the error names the store, with a URL's
        password masked.
    """
    url = store_url(location)
    name = display_name(location)
    is_sqlite = url.startswith("sqlite")
    if is_sqlite:
        path = Path(url.removeprefix("sqlite:///"))
        if not sqlite_path_exists(path, name):
            raise LedgerError("no ledger here (create one first)", where=name)
        _check_sqlite_header(path, name)
    try:
        engine = create_engine(url)
    except ImportError as exc:
        raise LedgerError(f"the database driver is not installed ({exc})", where=name) from None
    except SQLAlchemyError as exc:
        raise LedgerError(f"cannot open the ledger store: {_reason(exc)}", where=name) from None
    if is_sqlite:
        _configure_sqlite(engine)
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})"))
                found = read_revisions(connection)
                check_revision(found, name, allow_older=True)
                config = migration_config(connection)
                if not found:
                    tables = set(inspect(connection).get_table_names())
                    if not {records_table.name, meta_table.name} <= tables:
                        raise LedgerError(
                            "not a treatyverify ledger (no ledger tables); create one first",
                            where=name,
                        )
                    command.stamp(config, LEDGER_REVISIONS[0])
                command.upgrade(config, "head")
                check_revision(read_revisions(connection), name)
    except LedgerError:
        raise
    except (SQLAlchemyError, CommandError, sqlite3.Error) as exc:
        raise LedgerError(f"cannot upgrade the ledger store: {_reason(exc)}", where=name) from None
    finally:
        engine.dispose()
    return LEDGER_REVISION


def _reason(exc: BaseException) -> str:
    """The first line of a database error's message (the driver's, when there is one)."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).splitlines()
    return lines[0] if lines and lines[0] else type(original).__name__
