"""Terminal heartbeats and Last Wills: online/offline, last seen, queue, clock skew.

A live "online" is also answered with the highest sequence committed for the
terminal, so one whose queue file was lost numbers its new stamps above it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import RejectedMessage, Stamp, Terminal
from server.ingest.incoming import Incoming
from server.ingest.lookup import KnownTerminal, Lookup
from terminals.protocol import AckMessage, ProtocolError, decode_status, parse_topic, topic


@dataclass(frozen=True)
class StatusApplied:
    came_online: bool = False
    # For a live "online": the highest seq stored for the terminal, read in this transaction.
    committed_seq: int | None = None

    def answer(self, status_topic: str) -> tuple[str, bytes] | None:
        """The ack topic and payload that tell the terminal its committed sequence."""
        if self.committed_seq is None:
            return None
        where = parse_topic(status_topic)
        return (topic(where.institution, where.terminal, "ack"),
                AckMessage(committed_seq=self.committed_seq).encode())


def apply_status(session: Session, lookup: Lookup, item: Incoming) -> StatusApplied:
    """Record one status message: whether the terminal just came online, its committed seq."""
    try:
        where = parse_topic(item.topic)
        status = decode_status(item.payload)
    except ProtocolError as exc:
        session.add(RejectedMessage(received_at=item.received_at, topic=item.topic[:300],
                                    reason=exc.reason, payload=item.printable_payload()))
        return StatusApplied()
    known = lookup.terminal(session, where.institution, where.terminal)
    if known is None and item.retain:
        return StatusApplied()  # an old retained status, read again at every start: not news
    if known is None:
        session.add(RejectedMessage(
            received_at=item.received_at, topic=item.topic[:300],
            institution_id=where.institution, terminal_code=where.terminal,
            reason=f"status from unknown terminal {where.institution}/{where.terminal}",
            payload=item.printable_payload()))
        return StatusApplied()
    terminal = session.get(Terminal, known.id)
    assert terminal is not None
    came_online = status.state == "online" and terminal.status != "online"
    terminal.status = status.state
    if status.state == "online":
        terminal.last_seen = item.received_at
        terminal.queued = status.queued
        terminal.last_seq = max(terminal.last_seq, status.last_seq)
        if status.time is not None and not item.retain:
            skew = round((status.time - item.received_at).total_seconds())
            # Read by every ingest's next batch (`store._skews`): whichever took this
            # heartbeat, the terminal's stamps are flagged alike.
            terminal.clock_skew_s = skew
    live_online = status.state == "online" and not item.retain
    return StatusApplied(came_online, committed_seq(session, known) if live_online else None)


def committed_seq(session: Session, terminal: KnownTerminal) -> int:
    """The highest sequence stored for a terminal, 0 if none."""
    # ORDER BY … LIMIT 1 walks the unique index (institution, terminal, seq) backwards on
    # both databases; max() would scan all of the terminal's stamps on SQLite.
    highest = session.scalar(
        select(Stamp.seq).where(Stamp.institution_id == terminal.institution_id,
                                Stamp.terminal_id == terminal.id, Stamp.seq.is_not(None))
        .order_by(Stamp.seq.desc()).limit(1))
    return int(highest or 0)
