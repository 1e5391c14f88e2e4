"""dirty days

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:46:36.640966
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dirty_days",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("marked_at", server.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
        ),
        sa.PrimaryKeyConstraint("employee_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("dirty_days")
