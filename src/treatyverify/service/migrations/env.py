"""Alembic environment of the service's own tables (version table ``service_alembic_version``).

Run through :func:`treatyverify.service.statedb.open_state` (no ``alembic.ini``): the
caller opens a transaction and passes its connection in
``config.attributes["connection"]``, so a whole upgrade is one transaction.
"""

from __future__ import annotations

from alembic import context

from treatyverify.service.state import metadata
from treatyverify.service.statedb import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "the service state migrations run only through treatyverify.service.statedb, "
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
