"""password_resets: one-time links to set a new password, the token kept hashed

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", server.db.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", server.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_password_resets_user_created", "password_resets",
                    ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_password_resets_user_created", table_name="password_resets")
    op.drop_table("password_resets")
