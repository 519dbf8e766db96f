"""A fresh PostgreSQL database for a test, on the server ``.ci/run`` starts.

``TREATYVERIFY_TEST_POSTGRES_URL`` names the server's maintenance database, for example
``postgresql+psycopg://postgres@/postgres?host=/tmp/pg&port=55432``; each use of
:func:`fresh_database_url` creates a database of its own and drops it afterwards.
Without the variable, or without the ``psycopg`` driver, the test is skipped with
that reason. :func:`schema_of` describes a database's tables as plain data, so that
two databases (one migrated, one made by ``metadata.create_all``) can be compared on
any backend.

Imported as ``from pg_database import ...``: ``tests`` has no ``__init__.py``, so
pytest's default (prepend) import mode puts this directory on ``sys.path`` (it holds
``conftest.py``), as it does ``tests/records`` for ``ledger_helpers``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import make_url

ENV_VAR = "TREATYVERIFY_TEST_POSTGRES_URL"
ADMIN_URL = os.environ.get(ENV_VAR)
SKIP_REASON = f"{ENV_VAR} is not set (no PostgreSQL server)"


@contextmanager
def fresh_database_url() -> Iterator[str]:
    """Create an empty database, yield its URL (password included), then drop it."""
    if ADMIN_URL is None:
        pytest.skip(SKIP_REASON)
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed")
    name = f"tv_{uuid.uuid4().hex[:12]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def schema_of(connection: Connection, *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The tables of a database, with every column, key, constraint and index, by name.

    Tables named in ``skip`` are left out. On SQLite the ``CREATE`` statements are
    included too, so that two databases compare equal only with identical DDL.
    """
    inspector = inspect(connection)
    tables: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - skip):
        primary = inspector.get_pk_constraint(table)
        tables[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            "primary_key": (primary.get("name"), tuple(primary["constrained_columns"])),
            "unique": sorted(
                (str(u["name"]), tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (str(i["name"]), tuple(str(c) for c in i["column_names"]), i["unique"])
                for i in inspector.get_indexes(table)
            ),
            "foreign_keys": sorted(
                (str(f["name"]), tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
        }
        if connection.dialect.name == "sqlite":
            tables[table]["sql"] = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
                {"name": table},
            ).scalar_one()
    return tables
