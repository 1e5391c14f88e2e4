"""schedule_periods and rota_days: the employee's own schedule, effective-dated, and the rota

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables only: no batch mode needed on SQLite. Existing employees get no period:
    # a day no period covers follows `employees.profile`, as every day did before.
    op.create_table(
        "schedule_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=True),
        sa.Column("profile", sa.String(length=60), nullable=False),
        sa.Column("chosen", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("set_at", server.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"]),
        sa.ForeignKeyConstraint(["set_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_schedule_periods_employee", "schedule_periods",
                    ["employee_id", "starts"])
    op.create_table(
        "rota_days",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("shift", sa.String(length=40), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("set_at", server.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"]),
        sa.ForeignKeyConstraint(["set_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("employee_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("rota_days")
    op.drop_index("ix_schedule_periods_employee", table_name="schedule_periods")
    op.drop_table("schedule_periods")
