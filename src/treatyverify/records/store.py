"""Durable storage of ledger records through SQLAlchemy.

SQLite in write-ahead-log mode is the default (a path); any SQLAlchemy URL, such as
``postgresql+psycopg://...``, serves shared deployments. The store knows bytes and a
few mirror columns for queries; it knows nothing of signatures or treaties. Every
database failure becomes a :class:`~treatyverify.errors.LedgerError` naming the store.

The schema is versioned by the Alembic migrations in ``records/migrations``. A new store
is made with ``metadata.create_all`` and stamped at the head revision in the same
transaction (fast: no migration scripts are read); :func:`treatyverify.records.schema.upgrade_store`
upgrades an older one. Opening refuses a store stamped at any other revision.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError

from treatyverify.errors import InputError, LedgerError

__all__ = [
    "LEDGER_REVISION",
    "LEDGER_REVISIONS",
    "DuplicateRowError",
    "Store",
    "StoredRecord",
    "Writer",
    "display_name",
    "sqlite_path_exists",
    "store_url",
]

metadata = MetaData()

records_table = Table(
    "records",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("content", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("party", String(64), nullable=False),
    Column("time", String(40), nullable=False),
    Column("ref", String(200), nullable=True),
    # One index serves both uniqueness of a party's reference per kind and the scans
    # by kind (its leading column), so an append updates two B-trees, not three.
    UniqueConstraint("kind", "party", "ref", name="uq_records_kind_party_ref"),
)

meta_table = Table(
    "ledger_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

SQLITE_INSERT = (
    "INSERT INTO records (seq, content, signature, hash, kind, party, time, ref) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
WRITE_OPTION = "treatyverify_write"
"""Execution option that marks a connection as a writer (SQLite: BEGIN IMMEDIATE)."""
HEAD_SIZE = "head_size"
HEAD_HASH = "head_hash"

LEDGER_REVISIONS = ("0001",)
"""Alembic revisions of the store schema, oldest first (``records/migrations/versions``);
a test checks them against the migration scripts. A new migration appends its id here."""
LEDGER_REVISION = LEDGER_REVISIONS[-1]
"""The revision this code reads and writes; new stores are stamped with it."""
VERSION_TABLE = "alembic_version"

version_table = Table(
    VERSION_TABLE,
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
)
"""Alembic's version table, defined as Alembic itself creates it
(``alembic.ddl.impl.DefaultImpl.version_table_impl``), kept out of ``metadata``."""


class DuplicateRowError(LedgerError):
    """The store refused rows that repeat a unique key; the transaction is undone."""


class StoredRecord(NamedTuple):
    """One row of the record table, exactly as stored (a tuple in column order)."""

    seq: int
    content: bytes
    signature: bytes
    hash: bytes
    kind: str
    party: str
    time: str
    ref: str | None = None


def store_url(location: str | Path) -> str:
    """Return the SQLAlchemy URL for a path or URL.

    A string containing ``://`` is taken as a URL; anything else as a SQLite file path.
    """
    text = str(location)
    if "\x00" in text:
        raise InputError("a ledger location cannot hold a NUL character", where="--ledger")
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve()}"


def sqlite_path_exists(path: Path, name: str) -> bool:
    """Whether a SQLite ledger file exists at ``path``; LedgerError for a path the system
    cannot use (a name too long, a file where a folder should be)."""
    try:
        return path.exists()
    except OSError as exc:
        raise LedgerError(f"unusable path ({exc.strerror or exc})", where=name) from None


SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_HEADER_BYTES = 100
WAL_FORMAT = 2
"""File format version bytes 18 and 19 of a database in WAL mode (sqlite.org/fileformat.html)."""


def display_name(location: str | Path) -> str:
    """How errors name the store: the path, or the URL with any password masked."""
    text = str(location)
    if "://" not in text:
        return text
    try:
        return make_url(text).render_as_string(hide_password=True)
    except ArgumentError:
        return text.split("://", 1)[0] + "://(unreadable URL)"


def _check_sqlite_header(path: Path, name: str) -> None:
    """Refuse, before connecting, a file that cannot be a ledger this package made.

    Every ledger is created in WAL mode, which SQLite records in the file header; so
    an empty file, a non-SQLite file or a SQLite database in rollback-journal mode is
    refused without any connection that could change it.
    """
    try:
        with path.open("rb") as handle:
            header = handle.read(SQLITE_HEADER_BYTES)
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger file: {exc.strerror}", where=name) from None
    if not header:
        raise LedgerError("the file is empty, not a ledger", where=name)
    if len(header) < SQLITE_HEADER_BYTES or not header.startswith(SQLITE_MAGIC):
        raise LedgerError("not a SQLite database file", where=name)
    if header[18] != WAL_FORMAT or header[19] != WAL_FORMAT:
        raise LedgerError("not a treatyverify ledger (the database is not in WAL mode)", where=name)


def check_revision(found: Sequence[str], where: str, *, allow_older: bool = False) -> None:
    """Refuse a store whose schema revision this code cannot work with.

    Parameters
    ----------
    found
        The revisions in the store's version table (empty for a store made before
        migrations existed, whose schema is the first revision's).
    where
        The store's display name, for the error.
    allow_older
        Accept a known revision older than :data:`LEDGER_REVISION` (for an upgrade).
    """
    if not found:
        return
    if len(found) > 1 or found[0] not in LEDGER_REVISIONS:
        raise LedgerError(
            f"the schema is at revision {', '.join(sorted(found))}, which this version of "
            "treatyverify does not know (made by a newer version?); refusing it",
            where=where,
        )
    if found[0] != LEDGER_REVISION and not allow_older:
        raise LedgerError(
            f"the schema is at revision {found[0]}, older than {LEDGER_REVISION}; upgrade it "
            "with treatyverify.records.schema.upgrade_store",
            where=where,
        )


def read_revisions(connection: Connection) -> list[str]:
    """Return the revisions in the version table; empty when it has none or is absent."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return []
    return [str(v) for v in connection.scalars(select(version_table.c.version_num))]


def _configure_sqlite(engine: Engine) -> None:
    """Make pysqlite transactions explicit and exclusive for writers.

    Following SQLAlchemy's documented recipe for pysqlite, the driver's own
    transaction handling is switched off and write transactions begin with
    ``BEGIN IMMEDIATE``, so that two writers never both read the same chain head;
    readers begin deferred and read a snapshot without waiting for a writer.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writing = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN DEFERRED")


class Store:
    """Record storage behind one SQLAlchemy engine.

    Parameters
    ----------
    location
        A SQLite file path or a SQLAlchemy URL.
    create
        Create the tables (a new ledger). When false, the store must already exist.
    """

    def __init__(self, location: str | Path, *, create: bool = False) -> None:
        self.url = store_url(location)
        self.name = display_name(location)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            path = Path(self.url.removeprefix("sqlite:///"))
            exists = sqlite_path_exists(path, self.name)
            if not create and not exists:
                raise LedgerError("no ledger here (create one first)", where=self.name)
            if create and exists:
                raise LedgerError(
                    "a file already exists here; refusing to overwrite it", where=self.name
                )
            if not create:
                _check_sqlite_header(path, self.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(self.url)
            _configure_sqlite(self.engine)
        else:
            with self._guard("open"):
                self.engine = create_engine(self.url, pool_pre_ping=True)
        try:
            with self._guard("open"):
                if create:
                    self._create_schema()
                else:
                    self._check_schema()
        except LedgerError:
            self.engine.dispose()
            raise

    def _create_schema(self) -> None:
        """Create the tables and stamp the head revision, in one transaction."""
        with self.engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                # A new SQLite file is empty, so nothing need be looked up first; a
                # server database may already hold the (empty) tables, made by
                # ``alembic upgrade head``, and is then stamped already.
                checkfirst = not self.is_sqlite
                metadata.create_all(connection, checkfirst=checkfirst)
                version_table.create(connection, checkfirst=checkfirst)
                found = []
                if checkfirst:
                    found = [
                        str(v) for v in connection.scalars(select(version_table.c.version_num))
                    ]
                    check_revision(found, self.name)
                if not found:
                    connection.execute(insert(version_table).values(version_num=LEDGER_REVISION))

    def _check_schema(self) -> None:
        with self.engine.connect() as connection:
            rows = connection.execute(select(meta_table.c.name)).all()
            if not {HEAD_SIZE, HEAD_HASH} <= {row[0] for row in rows}:
                raise LedgerError("not a treatyverify ledger (no chain head)", where=self.name)
            check_revision(read_revisions(connection), self.name)

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except LedgerError:
            raise
        except (DBAPIError, SQLAlchemyError, sqlite3.Error) as exc:
            original = getattr(exc, "orig", exc)
            reason = str(original).splitlines()[0] if str(original) else type(original).__name__
            raise LedgerError(
                f"cannot {action} the ledger store: {reason}", where=self.name
            ) from None

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    # Metadata -------------------------------------------------------------------------

    def read_meta(self) -> dict[str, str]:
        """Return all metadata entries."""
        with self._guard("read"), self.engine.connect() as connection:
            rows = connection.execute(select(meta_table.c.name, meta_table.c.value)).all()
        return {str(name): str(value) for name, value in rows}

    # Writing --------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Writer]:
        """Open one exclusive write transaction; all or nothing is committed."""
        with self._guard("write to"), self.engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                yield Writer(connection, self.is_sqlite)

    # Reading --------------------------------------------------------------------------

    def count(self) -> int:
        """Number of stored rows."""
        with self._guard("read"), self.engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(records_table)).scalar_one()
            )

    def get(self, seq: int) -> StoredRecord | None:
        """Return the row with sequence number ``seq``, or ``None``."""
        if not 0 <= seq < 2**63:  # the column's range: no such row
            return None
        with self._guard("read"), self.engine.connect() as connection:
            row = connection.execute(
                select(records_table).where(records_table.c.seq == seq)
            ).first()
        return None if row is None else StoredRecord(*row)

    def scan(
        self,
        start: int = 0,
        kinds: Sequence[str] | None = None,
        batch: int = 2000,
        ref: str | None = None,
    ) -> Iterator[StoredRecord]:
        """Yield rows in sequence order from ``start``, optionally of some kinds only
        and with one reference only."""
        query = select(records_table).where(records_table.c.seq >= start)
        if kinds is not None:
            query = query.where(records_table.c.kind.in_(list(kinds)))
        if ref is not None:
            query = query.where(records_table.c.ref == ref)
        query = query.order_by(records_table.c.seq)
        with self._guard("read"), self.engine.connect() as connection:
            result = connection.execution_options(yield_per=batch).execute(query)
            for row in result:
                yield StoredRecord(*row)

    def hashes(self, start: int = 0, stop: int | None = None) -> list[bytes]:
        """Return the stored record hashes in sequence order, of the rows with
        ``start <= seq < stop`` (``stop`` ``None``: to the last row), 32 bytes each."""
        query = select(records_table.c.hash).order_by(records_table.c.seq)
        if start > 0:
            query = query.where(records_table.c.seq >= start)
        if stop is not None:
            query = query.where(records_table.c.seq < stop)
        with self._guard("read"), self.engine.connect() as connection:
            return [bytes(row[0]) for row in connection.execute(query)]

    def committed_refs(self, party: str, kind: str, refs: Sequence[str]) -> set[str]:
        """Which of ``refs`` party ``party`` has used for ``kind`` in committed records.

        Read on a connection of its own, so it works after a failed statement has
        spoiled a write transaction (PostgreSQL refuses any query in it after that).
        """
        with self._guard("read"), self.engine.connect() as connection:
            return Writer(connection, self.is_sqlite).existing_refs(party, kind, refs)


class Writer:
    """Operations inside one write transaction (see :meth:`Store.write`)."""

    def __init__(self, connection: Connection, is_sqlite: bool) -> None:
        self.connection = connection
        self.is_sqlite = is_sqlite

    def head(self) -> tuple[int, bytes]:
        """Return the chain head (number of records, hash of the last) under a lock."""
        query = select(meta_table.c.name, meta_table.c.value).where(
            meta_table.c.name.in_([HEAD_SIZE, HEAD_HASH])
        )
        if not self.is_sqlite:
            query = query.with_for_update()
        values = dict(self.connection.execute(query).all())
        return int(values[HEAD_SIZE]), bytes.fromhex(values[HEAD_HASH])

    def hash_of(self, seq: int) -> bytes | None:
        """Return the stored hash of record ``seq``, or ``None`` when there is none."""
        query = select(records_table.c.hash).where(records_table.c.seq == seq)
        value = self.connection.execute(query).scalar_one_or_none()
        return None if value is None else bytes(value)

    def time_of(self, seq: int) -> str | None:
        """Return the time of record ``seq``, or ``None`` when there is none."""
        query = select(records_table.c.time).where(records_table.c.seq == seq)
        value = self.connection.execute(query).scalar_one_or_none()
        return None if value is None else str(value)

    def existing_refs(self, party: str, kind: str, refs: Sequence[str]) -> set[str]:
        """Return which of ``refs`` party ``party`` has used for ``kind``."""
        if not refs:
            return set()
        query = select(records_table.c.ref).where(
            records_table.c.party == party,
            records_table.c.kind == kind,
            records_table.c.ref.in_(list(refs)),
        )
        return {str(row[0]) for row in self.connection.execute(query)}

    def rows_of_kinds(self, kinds: Sequence[str], stop: int) -> list[StoredRecord]:
        """Rows of the given kinds before sequence number ``stop``, in order."""
        query = (
            select(records_table)
            .where(records_table.c.kind.in_(list(kinds)), records_table.c.seq < stop)
            .order_by(records_table.c.seq)
        )
        return [StoredRecord(*row) for row in self.connection.execute(query)]

    def put_meta(self, values: dict[str, str]) -> None:
        """Insert metadata entries (a new ledger)."""
        self.connection.execute(
            insert(meta_table), [{"name": k, "value": v} for k, v in values.items()]
        )

    def append(self, rows: Sequence[StoredRecord]) -> None:
        """Insert rows and move the chain head to the last of them.

        Raises
        ------
        DuplicateRowError
            A row repeats a sequence number or a party's (kind, reference). Raised
            out of :meth:`Store.write`, it rolls the whole transaction back.
        """
        try:
            if self.is_sqlite:
                # The driver's own cursor takes the rows as they are (tuples in column
                # order), inside the transaction the connection is in; this spares the
                # per-row parameter processing of SQLAlchemy on the hot path.
                cursor = self.connection.connection.cursor()
                try:
                    cursor.executemany(SQLITE_INSERT, rows)
                finally:
                    cursor.close()
            else:
                self.connection.execute(insert(records_table), [r._asdict() for r in rows])
        except (IntegrityError, sqlite3.IntegrityError):
            raise DuplicateRowError(
                "a record repeats a sequence number or a party's reference", where="records"
            ) from None
        last = rows[-1]
        self.set_head(last.seq + 1, last.hash)

    def set_head(self, size: int, head_hash: bytes) -> None:
        """Record the chain head."""
        for name, value in ((HEAD_SIZE, str(size)), (HEAD_HASH, head_hash.hex())):
            self.connection.execute(
                update(meta_table).where(meta_table.c.name == name).values(value=value)
            )
