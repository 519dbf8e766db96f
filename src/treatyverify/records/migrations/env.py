"""Alembic environment of the ledger store schema.

Run through :mod:`treatyverify.records.schema` (no ``alembic.ini``): the caller opens a
transaction and passes its connection in ``config.attributes["connection"]``, so a
whole upgrade is one transaction (SQLite and PostgreSQL both have transactional DDL).
"""

from __future__ import annotations

from alembic import context

from treatyverify.records.store import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "the ledger store migrations run only through treatyverify.records.schema, "
        "with a connection in config.attributes['connection']"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    # SQLite alters tables by copying them; later migrations need batch mode there.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
