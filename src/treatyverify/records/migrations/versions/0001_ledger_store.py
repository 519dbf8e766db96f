"""The ledger store: the ``records`` and ``ledger_meta`` tables.

Revision ID: 0001
Revises:
Create Date: 2025-11-22

Exactly the tables of ``records/store.py`` when migrations were introduced (stores made
before then have no version table and are this revision).
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
        "records",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("ref", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("kind", "party", "ref", name="uq_records_kind_party_ref"),
    )
    op.create_table(
        "ledger_meta",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("ledger_meta")
    op.drop_table("records")
