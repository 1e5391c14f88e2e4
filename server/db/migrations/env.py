"""Alembic environment: the engine comes from `server.db.migrate`, never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from server.db import (  # noqa: F401  (their tables join the metadata)
    account_tables,
    allowance_tables,
    contract_tables,
    leave_tables,
    schedule_tables,
)
from server.db.models import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through server.db.migrate.upgrade(engine)")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    context.run_migrations()
