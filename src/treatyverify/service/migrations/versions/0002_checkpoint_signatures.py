"""The table ``checkpoint_signatures``: cosigned checkpoints collected by the service.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07

Exactly the table of ``service/statedb.py`` (``checkpoint_signatures``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkpoint_signatures",
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("received", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", "party"),
    )


def downgrade() -> None:
    op.drop_table("checkpoint_signatures")
