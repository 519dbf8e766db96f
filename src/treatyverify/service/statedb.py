"""The service's own database: opened, created and migrated with Alembic.

The tables are those of :mod:`treatyverify.service.state`; the migrations live in
``service/migrations`` (package data, no ``alembic.ini``), with their own version table
``service_alembic_version`` so that they never mix with a ledger store's, even in one
database. A SQLite file is configured as a ledger store is (WAL, ``synchronous=FULL``:
a nonce once recorded survives a power cut, so a request cannot be replayed after one),
with explicit transactions; pass ``execution_options(treatyverify_write=True)`` on a
connection to begin ``IMMEDIATE`` (one writer at a time, no lost upgrade of a read lock).

It also defines the table of collected checkpoint signatures, on the metadata of
:mod:`treatyverify.service.state` (so the migrations and their tests see one schema),
with the two queries that use it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from treatyverify.errors import LedgerError
from treatyverify.records.store import WRITE_OPTION, _configure_sqlite, display_name, store_url
from treatyverify.service.state import metadata

__all__ = [
    "MIGRATIONS",
    "VERSION_TABLE",
    "checkpoint_signatures",
    "latest_checkpoint_signatures",
    "migration_config",
    "open_state",
    "script_revisions",
    "store_checkpoint_signature",
]

MIGRATIONS = Path(__file__).with_name("migrations")
"""The Alembic script directory of the service's tables."""
VERSION_TABLE = "service_alembic_version"
"""Alembic's version table for these migrations (the ledger store's is ``alembic_version``)."""
PG_LOCK_KEY = 0x7476_7374_6174_6564  # "tvstated": serializes concurrent upgrades on a server
"""Key of the PostgreSQL transaction advisory lock held while the tables are upgraded."""

_version_table = Table(VERSION_TABLE, MetaData(), Column("version_num", String(32)))

checkpoint_signatures = Table(
    "checkpoint_signatures",
    metadata,
    Column("tree_size", BigInteger, primary_key=True),
    Column("party", String(64), primary_key=True),
    Column("root", String(64), nullable=False),
    Column("line", Text, nullable=False),
    Column("received", String(40), nullable=False),
)
"""Checkpoint signatures the parties posted (migration 0002): one line per party and tree
size, verified under the party's pinned key over this ledger's checkpoint of that size
(root in hex) before it was stored; a party's newer line replaces its older one."""


def store_checkpoint_signature(
    engine: Engine, *, tree_size: int, party: str, root: str, line: str, received: str
) -> None:
    """Keep ``party``'s signature line of the checkpoint of ``tree_size``, replacing the
    line it posted before for that size (one transaction)."""
    table = checkpoint_signatures
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            connection.execute(
                delete(table).where(table.c.tree_size == tree_size, table.c.party == party)
            )
            connection.execute(
                insert(table).values(
                    tree_size=tree_size, party=party, root=root, line=line, received=received
                )
            )


def latest_checkpoint_signatures(
    engine: Engine, size: int | None = None
) -> tuple[int, list[tuple[str, str]]] | None:
    """The tree size of the largest checkpoint signed so far (``size`` when given) and
    its signatures as (root in hex, line) ordered by party; None when there is none."""
    table = checkpoint_signatures
    with engine.connect() as connection:
        if size is None:
            size = connection.execute(select(func.max(table.c.tree_size))).scalar_one_or_none()
            if size is None:
                return None
        rows = connection.execute(
            select(table.c.root, table.c.line)
            .where(table.c.tree_size == size)
            .order_by(table.c.party)
        ).all()
    if not rows:
        return None
    return int(size), [(str(row.root), str(row.line)) for row in rows]


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
