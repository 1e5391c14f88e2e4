"""contracts: each employee's contracts with their dates, profile and part-time percentage

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0016"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    contracts = op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=True),
        sa.Column("profile", sa.String(length=60), nullable=False),
        sa.Column("part_time_percent", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", server.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"]),
        sa.ForeignKeyConstraint(["set_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contracts_employee", "contracts", ["employee_id", "starts"])
    # Every existing employee gets one open contract on their profile and percentage. No
    # creation date was ever recorded, so it starts at 0001-01-01 ("no start on record"):
    # every day stays employed as before, and the office sets the real date on the page.
    employees = sa.table("employees", sa.column("id", sa.Integer()),
                         sa.column("institution_id", sa.String()),
                         sa.column("profile", sa.String()),
                         sa.column("part_time_percent", sa.Integer()))
    rows = op.get_bind().execute(sa.select(
        employees.c.id, employees.c.institution_id, employees.c.profile,
        employees.c.part_time_percent)).all()
    now = datetime.now(UTC)
    if rows:
        op.bulk_insert(contracts, [
            {"institution_id": r.institution_id, "employee_id": r.id, "starts": date(1, 1, 1),
             "ends": None, "profile": r.profile, "part_time_percent": r.part_time_percent,
             "reason": "", "set_by": None, "set_at": now} for r in rows])


def downgrade() -> None:
    op.drop_index("ix_contracts_employee", table_name="contracts")
    op.drop_table("contracts")
