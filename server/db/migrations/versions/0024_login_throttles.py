"""login_throttles: failed logins and reset requests per client address, shared by the
web workers

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("waits", sa.Integer(), nullable=False),
        sa.Column("until", server.db.types.UTCDateTime(), nullable=True),
        sa.Column("expires_at", server.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "address"),
    )
    op.create_index("ix_login_throttles_expires_at", "login_throttles", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttles_expires_at", table_name="login_throttles")
    op.drop_table("login_throttles")
