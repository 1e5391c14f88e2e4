"""Which of several recompute workers works: one at a time, whoever holds the turn.

Every ingest host may run `timbra recompute` (or the ingest's thread): on
PostgreSQL only the worker holding a session-level advisory lock takes dirty
days, the others stand by and try again every round. The lock lives on a
connection of its own, so a worker killed with SIGKILL hands the turn over as
soon as PostgreSQL sees its connection close; no row of `dirty_days` is ever
locked, so the ingest's marks never wait for a recompute. SQLite has one
process: its worker always has the turn.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("timbra.recompute")

# The advisory lock's key, per database: the bytes of "timbra" read as one integer.
LOCK_KEY = int.from_bytes(b"timbra", "big")


class Turn:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.shared = engine.dialect.name == "postgresql"
        self._held: Connection | None = None

    def holds(self) -> bool:
        """Whether this worker has the turn now (taking it when it is free)."""
        if not self.shared:
            return True
        try:
            if self._held is not None:
                self._held.execute(text("SELECT 1"))  # the lock lives while this does
                return True
            return self._take()
        except SQLAlchemyError as exc:
            log.warning("recompute turn lost (%s)", type(exc).__name__)
            self.release()
            return False

    def _take(self) -> bool:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                           {"key": LOCK_KEY}))
        except BaseException:
            connection.close()
            raise
        if not taken:
            connection.close()  # back to the pool: it holds no lock
            return False
        self._held = connection
        log.info("recompute worker active (it has the turn)")
        return True

    def release(self) -> None:
        """Give the turn back: unlocked at once, then the connection closed.

        Closing alone would end the lock only when the server's backend has finished
        exiting, which lags the client's close under load: a worker stopping on purpose
        hands over before it returns. A worker that is killed hands over when its backend
        exits; the others try again every round."""
        held, self._held = self._held, None
        if held is None:
            return
        with suppress(SQLAlchemyError):  # a broken connection's lock goes with its backend
            held.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        try:
            held.invalidate()  # never back to the pool, whatever the unlock did
            held.close()
        except SQLAlchemyError:
            pass
