"""unique keys that include the institution: stamps (institution, terminal, seq) and
dirty_days (institution, employee, day)

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-06 22:40:00.000000
"""

from __future__ import annotations

import warnings

from alembic import op
from sqlalchemy.exc import SAWarning

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None


def _primary_key(columns: list[str]) -> None:
    """dirty_days' primary key on `columns`. SQLite's is unnamed and goes with the copy
    batch mode makes; PostgreSQL's has its default name."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    # On SQLite the copy's key replaces the reflected one, as wanted; SQLAlchemy warns
    # that the two differ, which is the point of the change.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_dirty_days'", SAWarning)
        with op.batch_alter_table("dirty_days", schema=None, recreate="always") as batch_op:
            if not sqlite:
                batch_op.drop_constraint("dirty_days_pkey", type_="primary")
            batch_op.create_primary_key("dirty_days_pkey", columns)


def upgrade() -> None:
    # A table partitioned or distributed by institution (PostgreSQL partitions, Citus)
    # can keep a unique key only if the key holds the partitioning column. A terminal
    # belongs to one institution, so the new keys refuse exactly what the old ones did.
    with op.batch_alter_table("stamps", schema=None) as batch_op:
        batch_op.drop_constraint("uq_stamps_terminal_seq", type_="unique")
        batch_op.create_unique_constraint("uq_stamps_institution_terminal_seq",
                                          ["institution_id", "terminal_id", "seq"])
    _primary_key(["institution_id", "employee_id", "day"])


def downgrade() -> None:
    _primary_key(["employee_id", "day"])
    with op.batch_alter_table("stamps", schema=None) as batch_op:
        batch_op.drop_constraint("uq_stamps_institution_terminal_seq", type_="unique")
        batch_op.create_unique_constraint("uq_stamps_terminal_seq", ["terminal_id", "seq"])
