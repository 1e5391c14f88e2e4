"""terminal fault reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "terminal_faults",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=60), nullable=False),
        sa.Column("unit_head", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=False),
        sa.Column("reported_at", server.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"]),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals.id"]),
        sa.ForeignKeyConstraint(["reported_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("terminal_faults", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_terminal_faults_institution_id"),
                              ["institution_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("terminal_faults", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terminal_faults_institution_id"))
    op.drop_table("terminal_faults")
