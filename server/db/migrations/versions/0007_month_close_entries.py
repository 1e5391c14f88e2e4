"""month_close_entries: the employees a month's close evaluates, and their figures

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 19:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FIGURES = ("worked", "due", "balance", "overtime_paid", "overtime_banked", "to_recover",
           "negative_flex", "unjustified", "meal_vouchers", "anomalies")


def upgrade() -> None:
    # A new table needs no batch mode, even on SQLite. A month left "closing" by an older
    # version has no snapshot: `close_step` takes it from the employees active at resume.
    op.create_table(
        "month_close_entries",
        sa.Column("month_close_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("evaluations", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", server.db.types.UTCDateTime(), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=True) for name in FIGURES],
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"]),
        sa.ForeignKeyConstraint(["month_close_id"], ["month_closes.id"]),
        sa.PrimaryKeyConstraint("month_close_id", "employee_id"),
    )


def downgrade() -> None:
    op.drop_table("month_close_entries")
