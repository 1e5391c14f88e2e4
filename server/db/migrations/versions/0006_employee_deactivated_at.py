"""employees.deactivated_at: when the office deactivated an employee

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Left NULL on rows already inactive: nobody knows when they were deactivated, so the
    # ingest keeps refusing all their stamps, as it did before this column existed.
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_at", server.db.types.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
