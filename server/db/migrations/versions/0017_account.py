"""account: the hours account's opening balances, and each closed month's closing balance

Revision ID: 0017
Revises: 0018
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0017"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_openings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("set_at", server.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"]),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"]),
        sa.ForeignKeyConstraint(["set_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("employee_id", "starts"),
    )
    with op.batch_alter_table("month_close_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_closing", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("account_debts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("month_close_entries", schema=None) as batch_op:
        batch_op.drop_column("account_debts")
        batch_op.drop_column("account_closing")
    op.drop_table("account_openings")
