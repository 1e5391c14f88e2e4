"""Terminal heartbeats and Last Wills: online/offline, last seen, queue, clock skew."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.db.models import RejectedMessage, Terminal
from server.ingest.incoming import Incoming
from server.ingest.lookup import Lookup
from terminals.protocol import ProtocolError, decode_status, parse_topic


def apply_status(session: Session, lookup: Lookup, item: Incoming) -> bool:
    """Record one status message; returns whether the terminal just came online."""
    try:
        where = parse_topic(item.topic)
        status = decode_status(item.payload)
    except ProtocolError as exc:
        session.add(RejectedMessage(received_at=item.received_at, topic=item.topic[:300],
                                    reason=exc.reason, payload=item.printable_payload()))
        return False
    known = lookup.terminal(session, where.institution, where.terminal)
    if known is None and item.retain:
        return False  # an old retained status, read again at every start: not news
    if known is None:
        session.add(RejectedMessage(
            received_at=item.received_at, topic=item.topic[:300],
            institution_id=where.institution, terminal_code=where.terminal,
            reason=f"status from unknown terminal {where.institution}/{where.terminal}",
            payload=item.printable_payload()))
        return False
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
            terminal.clock_skew_s = skew
            lookup.skew_s[known.id] = skew
    return came_online
