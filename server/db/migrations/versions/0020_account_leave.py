"""account_leave: the leave days the hours account drew in a closed month

`not_recovered use leave` draws days of a leave when a debt falls due; the month's close
keeps them beside the closing balance, so the leave balances read them as the close left
them.

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-07 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("month_close_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_leave", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("month_close_entries", schema=None) as batch_op:
        batch_op.drop_column("account_leave")
