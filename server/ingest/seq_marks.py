"""The highest sequence committed per terminal, so new stamps skip the existence check.

Terminals number their stamps upwards, and only the ingest writes terminal
stamps, so a seq above a terminal's committed mark cannot be stored yet: only
the replays at or below it need the database. A mark is read once per
terminal and raised with each stamp written, before the commit. Too high a
mark (a rolled-back batch) only costs a query. Too low a mark (a second
writer, by mistake) lets a stored key through to the unique key, which
refuses the batch; the batch had raised the mark above all its seqs, so the
message-by-message retry checks each one and answers "duplicate".
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Stamp


def committed_seq(session: Session, terminal_id: int) -> int:
    """The highest sequence stored for a terminal, 0 if none."""
    # ORDER BY … LIMIT 1 walks the (terminal_id, seq) unique index backwards on both
    # databases; max() would scan all of the terminal's stamps on SQLite.
    highest = session.scalar(
        select(Stamp.seq).where(Stamp.terminal_id == terminal_id, Stamp.seq.is_not(None))
        .order_by(Stamp.seq.desc()).limit(1))
    return int(highest or 0)


class SeqMarks:
    def __init__(self) -> None:
        self._marks: dict[int, int] = {}

    def may_exist(self, session: Session, terminal_id: int, seq: int) -> bool:
        mark = self._marks.get(terminal_id)
        if mark is None:
            mark = self._marks[terminal_id] = committed_seq(session, terminal_id)
        return seq <= mark

    def written(self, terminal_id: int, seq: int) -> None:
        """A stamp with this seq is being stored. Raised before the commit: if the
        transaction rolls back the mark is too high, which only costs a query."""
        if seq > self._marks.get(terminal_id, 0):
            self._marks[terminal_id] = seq
