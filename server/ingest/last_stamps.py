"""Answer a terminal's query for a badge's last stamps (seed 001, F5 "strisciare")."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Stamp
from server.ingest.lookup import Lookup
from terminals.protocol import QueryMessage, ReplyMessage

SHOWN = 6


def last_stamps(session: Session, lookup: Lookup, institution_id: str,
                query: QueryMessage) -> ReplyMessage:
    holder = lookup.holders(session, {institution_id: {query.badge}}).get(
        (institution_id, query.badge))
    now = datetime.now(UTC)
    # A lost card must not show its holder's stamps to whoever found it.
    if holder is None or not holder.valid_at(now):
        return ReplyMessage(query.request_id, query.badge, "Badge sconosciuto / Unknown badge")
    rows = session.execute(
        select(Stamp.terminal_time, Stamp.direction, Stamp.code)
        .where(Stamp.employee_id == holder.employee_id, Stamp.void.is_(False))
        .order_by(Stamp.terminal_time.desc()).limit(SHOWN)).all()
    zone = lookup.zone(institution_id, now)
    shown = tuple((t.astimezone(zone).strftime("%d/%m %H:%M"), d, c) for t, d, c in reversed(rows))
    text = "Ultime timbrature / Last stamps" if shown else "Nessuna timbratura / No stamps"
    return ReplyMessage(query.request_id, query.badge, text, shown)
