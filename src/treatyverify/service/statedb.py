"""The service's own database: opened, created and migrated with Alembic.

The tables are those of :mod:`treatyverify.service.state`; the migrations live in
``service/migrations`` (package data, no ``alembic.ini``), with their own version table
``service_alembic_version`` so that they never mix with a ledger store's, even in one
database. A SQLite file is configured as a ledger store is (WAL, ``synchronous=FULL``:
a nonce once recorded survives a power cut, so a request cannot be replayed after one),
with explicit transactions; pass ``execution_options(treatyverify_write=True)`` on a
connection to begin ``IMMEDIATE`` (one writer at a time, no lost upgrade of a read lock).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from treatyverify.errors import LedgerError
from treatyverify.records.store import WRITE_OPTION, _configure_sqlite, display_name, store_url

__all__ = ["MIGRATIONS", "VERSION_TABLE", "migration_config", "open_state", "script_revisions"]

MIGRATIONS = Path(__file__).with_name("migrations")
"""The Alembic script directory of the service's tables."""
VERSION_TABLE = "service_alembic_version"
"""Alembic's version table for these migrations (the ledger store's is ``alembic_version``)."""
PG_LOCK_KEY = 0x7476_7374_6174_6564  # "tvstated": serializes concurrent upgrades on a server
"""Key of the PostgreSQL transaction advisory lock held while the tables are upgraded."""

_version_table = Table(VERSION_TABLE, MetaData(), Column("version_num", String(32)))


def migration_config(connection: Connection | None = None) -> Config:
    """Return an Alembic configuration for the service's migrations.

    Parameters
    ----------
    connection
        The connection the migrations run on, inside a transaction the caller opened
        (``engine.begin()``); needed by ``command.upgrade``, not by the script directory.
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


def open_state(location: str | Path) -> Engine:
    """Open the service's database, creating it and upgrading its tables as needed.

    Parameters
    ----------
    location
        A SQLite file path (created with its folder when missing) or a SQLAlchemy URL
        of an existing database, such as ``postgresql+psycopg://user@host/dbname``.

    Returns
    -------
    Engine
        An engine on the database at the newest revision; the caller disposes of it.

    Raises
    ------
    LedgerError
        The database cannot be made, opened or upgraded, or it is at a revision this
        code does not know (a newer treatyverify made it). The error names the
        location, with a URL's password masked.
    """
    url = store_url(location)
    name = display_name(location)
    try:
        parsed = make_url(url)
        is_sqlite = parsed.get_backend_name() == "sqlite"
        if is_sqlite and parsed.database not in (None, "", ":memory:"):
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_pre_ping=not is_sqlite)
    except ArgumentError:
        raise LedgerError("not a valid database URL", where=name) from None
    except ImportError as exc:
        raise LedgerError(f"the database driver is not installed ({exc})", where=name) from None
    except (OSError, SQLAlchemyError) as exc:
        raise LedgerError(
            f"cannot open the service state database: {_reason(exc)}", where=name
        ) from None
    if is_sqlite:
        _configure_sqlite(engine)
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})"))
                found: list[str] = []
                if inspect(connection).has_table(VERSION_TABLE):
                    found = [str(v) for v in connection.scalars(select(_version_table.c[0]))]
                known = script_revisions()
                if len(found) > 1 or (found and found[0] not in known):
                    raise LedgerError(
                        f"the service tables are at revision {', '.join(sorted(found))}, which "
                        "this version of treatyverify does not know (made by a newer "
                        "version?); refusing them",
                        where=name,
                    )
                command.upgrade(migration_config(connection), "head")
    except LedgerError:
        engine.dispose()
        raise
    except (SQLAlchemyError, CommandError, sqlite3.Error, OSError) as exc:
        engine.dispose()
        raise LedgerError(
            f"cannot open the service state database: {_reason(exc)}", where=name
        ) from None
    return engine


def _reason(exc: BaseException) -> str:
    """The first line of a database error's message (the driver's, when there is one)."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).splitlines()
    return lines[0] if lines and lines[0] else type(original).__name__
