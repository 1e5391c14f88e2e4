"""The login throttle's counts in the database (`login_throttles`), beside the sessions:
every worker of `timbra web`, on one machine or many, counts the same failures of an
address and holds it to the same wait, so more workers give an attacker no more guesses.

The policy is throttle.py's, on wall-clock time (workers share no monotonic clock). A
failure is counted under the address's row lock (PostgreSQL: `SELECT … FOR UPDATE`;
SQLite: one writer at a time), so two workers counting at once both count. Rows that say
nothing any more are deleted by a sweep, at most once a minute per worker and at start.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from server.db.login_throttles import ADDRESS_LENGTH, ThrottledAddress
from server.web.throttle import Address, count_failure

KINDS = ("login", "reset")
SWEEP_S = 60.0
SWEEP_ROWS = 1000  # deleted per statement


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class DatabaseThrottle:
    """One door's throttle (`kind`: "login", or "reset" for the reset requests)."""

    def __init__(self, engine: Engine, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"a throttle is one of {KINDS}, not {kind!r}")
        self.kind = kind
        self.sessions = sessionmaker(engine)
        self._next_sweep = 0.0

    def _where(self, address: str) -> Any:
        return (ThrottledAddress.kind == self.kind,
                ThrottledAddress.address == address[:ADDRESS_LENGTH])

    def wait_left(self, address: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        with self.sessions() as session:
            until = session.scalar(select(ThrottledAddress.until)
                                   .where(*self._where(address)))
        return max(0.0, until.timestamp() - now) if until is not None else 0.0

    def failed(self, address: str, now: float | None = None, db: Session | None = None
               ) -> None:
        """Counted in `db`'s transaction when given (the request's: on SQLite, whose one
        writer the request already is once it has written, a transaction of our own would
        wait for it), else in one of our own. Either way the count is committed before the
        answer is sent, and the row stays locked until then."""
        now = time.time() if now is None else now
        if db is not None:
            self._count(db, address, now)
            return
        with self.sessions.begin() as session:
            self._count(session, address, now)

    def _count(self, session: Session, address: str, now: float) -> None:
        row = self._locked_row(session, address[:ADDRESS_LENGTH], now)
        entry = Address(list(row.failures), row.waits,
                        row.until.timestamp() if row.until is not None else 0.0)
        count_failure(entry, now)
        row.failures = entry.failures
        row.waits = entry.waits
        row.until = _moment(entry.until) if entry.until else None
        row.expires_at = _moment(entry.forgettable_after())
        session.flush()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_S
            self._sweep(session, _moment(now))

    def _locked_row(self, session: Session, address: str, now: float) -> ThrottledAddress:
        """The address's row, created empty if missing, locked until the transaction ends:
        a worker counting the same address meanwhile waits, then counts on this count.
        Another worker's sweep may delete an expired row between the insert (the row was
        there) and the lock: the lock then finds none, and the insert is made again."""
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        while True:
            session.execute(dialect.insert(ThrottledAddress).values(
                kind=self.kind, address=address, failures=[], waits=0, until=None,
                expires_at=_moment(now)).on_conflict_do_nothing())
            row = session.scalars(select(ThrottledAddress).where(*self._where(address))
                                  .with_for_update()).one_or_none()
            if row is not None:
                return row

    def forget_expired(self, now: float | None = None) -> None:
        """The rows past their use, in a transaction of our own."""
        with self.sessions.begin() as session:
            self._sweep(session, _moment(time.time() if now is None else now))

    def _sweep(self, session: Session, moment: datetime) -> None:
        """Rows another worker holds locked are left to the next sweep (SKIP LOCKED): a
        sweep never waits for a login, nor two sweeps for each other."""
        while True:
            addresses = list(session.scalars(
                select(ThrottledAddress.address)
                .where(ThrottledAddress.kind == self.kind, ThrottledAddress.expires_at <= moment)
                .limit(SWEEP_ROWS).with_for_update(skip_locked=True)))
            if addresses:
                session.execute(delete(ThrottledAddress).where(
                    ThrottledAddress.kind == self.kind,
                    ThrottledAddress.address.in_(addresses)))
            if len(addresses) < SWEEP_ROWS:
                return
