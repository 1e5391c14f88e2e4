"""Persistence: SQLAlchemy models, engines for SQLite and PostgreSQL, migrations.

Facts (stamps) are only ever inserted; corrections are new rows that point
at what they replace. Day results are derived and kept current.
"""

# Imported for their effect: the directory-revision listeners on every Session, and the
# schedule, contract, leave, account and allowance tables joining the models' metadata.
from server.db import (  # noqa: F401
    account_tables,
    allowance_tables,
    contract_tables,
    leave_tables,
    revision,
    schedule_tables,
)
from server.db.engine import make_engine, make_sessionmaker
from server.db.migrate import upgrade

__all__ = ["make_engine", "make_sessionmaker", "upgrade"]
