"""The service's own tables: ``request_nonces``, ``sessions`` and ``exercise_runs``.

Revision ID: 0001
Revises:
Create Date: 2025-11-22

Exactly the tables of ``service/state.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_nonces",
        sa.Column("member", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("time", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("member", "nonce"),
    )
    op.create_index("ix_request_nonces_time", "request_nonces", ["time"])
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("member", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("expires", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "exercise_runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("scenario", sa.String(100), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("finished", sa.String(40), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("exercise_runs")
    op.drop_table("sessions")
    op.drop_index("ix_request_nonces_time", table_name="request_nonces")
    op.drop_table("request_nonces")
