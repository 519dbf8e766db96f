"""The service's own tables: request nonces, dashboard sessions and exercise runs.

They live in their own database (a SQLite file beside the ledger by default, or any
SQLAlchemy URL), apart from the ledger store, so that recording a request's nonce never
waits for the ledger's write lock. The schema is created and upgraded by the Alembic
migrations in ``treatyverify/service/migrations`` (version table
``service_alembic_version``); this module holds the table definitions those migrations
create, for queries.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

__all__ = ["exercise_runs", "metadata", "request_nonces", "sessions"]

metadata = MetaData()

request_nonces = Table(
    "request_nonces",
    metadata,
    Column("member", String(64), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("time", String(40), nullable=False),
    Index("ix_request_nonces_time", "time"),
)
"""Nonces of signed requests seen within the accepted clock window (replay refusal)."""

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("member", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("expires", String(40), nullable=False),
)
"""Read-only dashboard sessions: SHA-256 of the token, the member and key it is bound to."""

exercise_runs = Table(
    "exercise_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("scenario", String(100), nullable=False),
    Column("runs", Integer, nullable=True),
    Column("seed", Integer, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("finished", String(40), nullable=True),
    Column("message", Text, nullable=True),
)
"""Exercise runs requested through the service, with their state (queued, running,
done, failed, interrupted) and, once done or failed, a one-line message."""
