"""notifications: the outbox of what people are told (in the page and by e-mail), and the
users' e-mail address and language

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-06 23:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(), nullable=False),
        sa.Column("read_at", server.db.types.UTCDateTime(), nullable=True),
        sa.Column("email_state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", server.db.types.UTCDateTime(), nullable=True),
        sa.Column("sent_at", server.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "event_key", name="uq_notifications_user_event"),
    )
    op.create_index("ix_notifications_user_read", "notifications", ["user_id", "read_at"])
    op.create_index("ix_notifications_email_due", "notifications",
                    ["email_state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_email_due", table_name="notifications")
    op.drop_index("ix_notifications_user_read", table_name="notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
        batch_op.drop_column("email")
