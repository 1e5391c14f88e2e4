"""month_close_entries by (employee, close): an employee's latest frozen account closing
found without reading every close's entries

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 05:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The key leads with the close: the hours account's look-up of an employee's latest
    # closed month (`server.days.account`) scanned every entry of every close on SQLite
    # (EXPLAIN QUERY PLAN), once per employee, so a month's close grew with the months
    # closed before it.
    op.create_index("ix_month_close_entries_employee", "month_close_entries",
                    ["employee_id", "month_close_id"])


def downgrade() -> None:
    op.drop_index("ix_month_close_entries_employee", table_name="month_close_entries")
