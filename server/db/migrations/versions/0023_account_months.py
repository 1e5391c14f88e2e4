"""account_months: each month's computed closing of the hours account, kept until a fact
dated in it or before changes

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_months",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("debts", sa.JSON(), nullable=False),
        sa.Column("computed_at", server.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"]),
        sa.PrimaryKeyConstraint("employee_id", "year", "month"),
    )


def downgrade() -> None:
    op.drop_table("account_months")
