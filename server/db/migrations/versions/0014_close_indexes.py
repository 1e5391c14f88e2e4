"""requests by (institution, state, day): the month close's pre-check counts a month's
pending requests without reading every request the institution ever had

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only the institution was indexed: the pre-check filtered every request of every
    # year by state and day, a cost that grew with the history (EXPLAIN on both databases).
    op.create_index("ix_requests_institution_state_day", "requests",
                    ["institution_id", "state", "day"])


def downgrade() -> None:
    op.drop_index("ix_requests_institution_state_day", table_name="requests")
