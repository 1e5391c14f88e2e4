"""The terminal's local queue of stamps: written before anything is sent.

A stamp leaves this queue only when the server's ack names its sequence
number, so neither a broker restart nor a modem line down for hours loses
one. The file is SQLite in WAL mode with `synchronous=FULL`: once `add()`
returns, the stamp survives `kill -9` and a power cut (seed 003: a power cut
does not stop acquisition).

The sequence number is the server's unique key together with the terminal
id, so it must never be reused: it lives in its own row, bumped in the same
transaction that stores the stamp, and deleting acknowledged stamps does not
lower it.

A file created without an explicit `first_seq` is "unconfirmed": it may be a
replacement for a lost one, whose old numbers the server already holds. Its
stamps are not sent until the server has said the highest sequence it
committed for this terminal (`resume_after`), and are renumbered above it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from terminals.protocol import MAX_SEQ, Direction, StampMessage, valid_name

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    terminal TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS stamp (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    badge TEXT NOT NULL,
    time TEXT NOT NULL,
    direction TEXT,
    code TEXT
);
-- The counter follows every insert inside the insert's own transaction, so storing
-- one stamp is one statement: the sequence can never fall behind a stored stamp.
CREATE TRIGGER IF NOT EXISTS stamp_raises_counter AFTER INSERT ON stamp
BEGIN
    UPDATE counter SET last_seq = NEW.seq WHERE id = 1 AND last_seq < NEW.seq;
END;
"""
_INSERT = "INSERT INTO stamp (seq, id, badge, time, direction, code) VALUES (?, ?, ?, ?, ?, ?)"

_SQL_VARIABLES = 500  # per statement: old SQLite builds allow 999
_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)


class OutboxError(RuntimeError):
    """The queue file cannot be used as asked (wrong terminal, exhausted sequence)."""


@dataclass(frozen=True)
class NewStamp:
    """A swipe to be queued; the outbox gives it its sequence number and id."""

    badge: str
    time: datetime
    direction: Direction | None = None
    code: str | None = None


class Outbox:
    """A durable FIFO of stamps for one terminal. Safe to share between threads.

    `first_seq`, when given, makes the file confirmed: a new file starts
    there, an unconfirmed one is renumbered from there. Without it a new file
    waits for the server's committed sequence (`resume_after`), so a terminal
    whose old queue file was lost does not reuse keys the server already has.
    """

    def __init__(self, path: str | Path, terminal: str, *,
                 first_seq: int | None = None) -> None:
        if not valid_name(terminal):
            raise OutboxError(f"terminal id {terminal!r} is not a valid name")
        if first_seq is not None and not 1 <= first_seq <= MAX_SEQ:
            raise OutboxError("first_seq must be from 1 to 2^63-1")
        self.path = Path(path)
        self.terminal = terminal
        self._lock = threading.Lock()
        # Autocommit mode: a lone statement is its own transaction and anything longer is
        # wrapped explicitly, so nothing is left half-open by Python's implicit BEGIN.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=1.0)
        # One process owns the queue: the file stays locked while it is open, so a second
        # terminal program started on it by mistake stops here instead of reusing seqs.
        # It also spares WAL's shared-memory index and a lock round per swipe.
        self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._open(terminal, first_seq)
        except BaseException as exc:
            self._db.close()  # or the lock would outlive this failed open
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise OutboxError(f"{self.path} is in use by another terminal program") from None
            raise

    def _open(self, terminal: str, first_seq: int | None) -> None:
        with self._transaction():
            self._add_confirmed_column()
            row = self._db.execute("SELECT terminal FROM counter WHERE id = 1").fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO counter (id, terminal, last_seq, confirmed) VALUES (1, ?, ?, ?)",
                    (terminal, (first_seq or 1) - 1, first_seq is not None),
                )
            elif row[0] != terminal:
                raise OutboxError(
                    f"{self.path} is the queue of terminal {row[0]!r}, not {terminal!r}"
                )
            elif first_seq is not None:
                # The administrator has told the number the server would: take it as
                # the server's word, so a terminal stuck waiting can be freed by hand.
                self._resume(first_seq - 1)
            self._last_seq, self._confirmed = self._counter()

    def _add_confirmed_column(self) -> None:
        """A file of the old schema counts as confirmed: its terminal was sending before the
        upgrade, and must go on sending after it without waiting for the server."""
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(counter)")}
        if "confirmed" not in columns:
            self._db.execute(
                "ALTER TABLE counter ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1")

    def _counter(self) -> tuple[int, bool]:
        last, confirmed = self._db.execute(
            "SELECT last_seq, confirmed FROM counter WHERE id = 1").fetchone()
        return int(last), bool(confirmed)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def add(self, stamp: NewStamp) -> StampMessage:
        """Store one stamp durably and return it numbered, ready to publish."""
        return self.add_many([stamp])[0]

    def add_many(self, stamps: Sequence[NewStamp]) -> list[StampMessage]:
        """Store several stamps in one transaction (one disk flush for all).

        A single stamp is one INSERT in its own implicit transaction, with no
        BEGIN or COMMIT around it: each statement is a round through the
        interpreter lock, and a terminal program swipes from one thread while
        its network thread waits for that lock.
        """
        if not stamps:
            return []
        with self._lock:
            last = self._last_seq  # the file's owner keeps it current: see last_seq()
            if last + len(stamps) > MAX_SEQ:
                raise OutboxError("the 64-bit sequence is exhausted")
            messages = [
                StampMessage(terminal=self.terminal, seq=last + i, id=f"{self.terminal}-{last + i}",
                             badge=s.badge, time=s.time, direction=s.direction, code=s.code)
                for i, s in enumerate(stamps, start=1)
            ]
            rows = [(m.seq, m.id, m.badge, m.time.isoformat(), m.direction, m.code)
                    for m in messages]
            if len(rows) == 1:
                self._db.execute(_INSERT, rows[0])
            else:
                with self._transaction():
                    self._db.executemany(_INSERT, rows)
            self._last_seq = messages[-1].seq
        return messages

    def pending(self, *, after: int = 0, limit: int | None = None) -> list[StampMessage]:
        """Unacknowledged stamps with a sequence above `after`, oldest first."""
        sql = ("SELECT seq, id, badge, time, direction, code FROM stamp"
               " WHERE seq > ? ORDER BY seq")
        params: tuple[int, ...] = (after,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (after, limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            StampMessage(
                terminal=self.terminal, seq=seq, id=sid, badge=badge,
                time=datetime.fromisoformat(time), direction=direction, code=code,
            )
            for seq, sid, badge, time, direction, code in rows
        ]

    def ack(self, seqs: Iterable[int]) -> list[int]:
        """Drop the stamps the server has acknowledged; return the seqs actually removed.

        A seq that is not queued (a second ack for the same stamp) is ignored.
        """
        wanted = sorted(set(seqs))
        if not wanted:
            return []
        removed: list[int] = []
        with self._lock:
            # A deletion lost to a power cut only means the stamp is sent again and the
            # server answers "duplicate", so it need not wait for the disk; the next
            # add() flushes it anyway.
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                if len(wanted) <= _SQL_VARIABLES:  # an ack holds at most 200: the usual case
                    return self._delete(wanted)  # in the statement's own transaction
                with self._transaction():
                    for start in range(0, len(wanted), _SQL_VARIABLES):
                        removed += self._delete(wanted[start:start + _SQL_VARIABLES])
            finally:
                self._db.execute("PRAGMA synchronous=FULL")
        return removed

    def _delete(self, seqs: list[int]) -> list[int]:
        """Remove these seqs, returning those that were queued: one statement for a whole
        ack where SQLite has DELETE … RETURNING (3.35), a SELECT first on older boxes."""
        marks = ",".join("?" * len(seqs))
        if _RETURNING:
            return sorted(seq for (seq,) in self._db.execute(
                f"DELETE FROM stamp WHERE seq IN ({marks}) RETURNING seq", seqs))
        found = sorted(seq for (seq,) in self._db.execute(
            f"SELECT seq FROM stamp WHERE seq IN ({marks})", seqs))
        self._db.execute(f"DELETE FROM stamp WHERE seq IN ({marks})", seqs)
        return found

    @property
    def confirmed(self) -> bool:
        """Whether the server's committed sequence is known (or `first_seq` was given)."""
        return self._confirmed

    def resume_after(self, committed_seq: int) -> int:
        """Take the server's highest committed sequence for this terminal.

        An unconfirmed file renumbers its queued stamps from `committed_seq + 1`
        and becomes confirmed. A confirmed file never renumbers (its stamps may
        be on the wire already) but still raises its counter above the server's,
        so its next stamps do not collide. One transaction: a power cut leaves
        either the old numbering or the new one. Returns how many were renumbered.
        """
        if type(committed_seq) is not int or not 0 <= committed_seq <= MAX_SEQ:
            raise OutboxError("the committed sequence must be from 0 to 2^63-1")
        with self._lock:
            if self._confirmed and committed_seq <= self._last_seq:
                return 0  # the usual answer to a heartbeat: nothing to write
            with self._transaction():
                renumbered = self._resume(committed_seq)
                self._last_seq, self._confirmed = self._counter()
        return renumbered

    def _resume(self, committed_seq: int) -> int:
        last, confirmed = self._counter()
        renumbered = 0 if confirmed else self._renumber(committed_seq)
        self._db.execute("UPDATE counter SET last_seq = ?, confirmed = 1 WHERE id = 1",
                         (max(last, committed_seq + renumbered),))
        return renumbered

    def _renumber(self, committed_seq: int) -> int:
        seqs = [seq for (seq,) in self._db.execute("SELECT seq FROM stamp ORDER BY seq")]
        if committed_seq + len(seqs) > MAX_SEQ:
            raise OutboxError("the 64-bit sequence is exhausted")
        # Through negative numbers: an old and a new number may be the same key.
        self._db.execute("UPDATE stamp SET seq = -seq")
        self._db.executemany(
            "UPDATE stamp SET seq = ?, id = ? WHERE seq = ?",
            [(new, f"{self.terminal}-{new}", -old)
             for new, old in enumerate(seqs, start=committed_seq + 1)],
        )
        return len(seqs)

    def count(self) -> int:
        """How many stamps wait for an ack."""
        with self._lock:
            (n,) = self._db.execute("SELECT count(*) FROM stamp").fetchone()
        return int(n)

    def last_seq(self) -> int:
        """The highest sequence number ever given out (0 before the first stamp).

        Kept in memory: one process owns the file, and the row is only read at open.
        """
        return int(self._last_seq)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back if the block raises."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        # IMMEDIATE takes the write lock up front, so a second process opening the
        # same file by mistake waits or fails here instead of mid-transaction.
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
