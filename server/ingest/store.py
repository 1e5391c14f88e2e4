"""One batch of stamp messages into the database, in the caller's transaction.

`store_stamps` decides every message of the batch (stored, duplicate,
conflict, rejected), writes what it decided, and returns the acks to send
and the employee-days to recompute. Nothing is sent from here: the caller
commits first and acknowledges after.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from server.days.facts import EmployeeDay
from server.days.month_lock import LOCKED_STATES
from server.db.models import MONTH_CLOSES, STAMPS, RejectedMessage, Stamp, StampConflict
from server.ingest.incoming import Incoming
from server.ingest.lookup import Holder, KnownTerminal, Lookup, refusal
from terminals.protocol import AckItem, ProtocolError, StampMessage, decode_stamp, parse_topic

FUTURE_MARGIN = timedelta(minutes=5)  # a stamp later than this after "now" is flagged
SKEW_LIMIT_S = 120  # a terminal whose clock is further off than this has its stamps flagged

# What the terminal's display shows, Italian first.
SHOW_STORED = "Timbratura registrata / Stamp recorded"
SHOW_DUPLICATE = "Timbratura già registrata / Already recorded"
SHOW_CONFLICT = "Timbratura in conflitto, avvisare l'ufficio / Conflict, tell the office"
SHOW_UNKNOWN_BADGE = "Badge sconosciuto / Unknown badge"
SHOW_UNKNOWN_TERMINAL = "Terminale non registrato / Terminal not registered"
SHOW_INVALID = "Messaggio non valido / Invalid message"



@dataclass
class BatchOutcome:
    acks: dict[tuple[str, str], list[AckItem]] = field(default_factory=lambda: defaultdict(list))
    affected: set[EmployeeDay] = field(default_factory=set)
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    came_online: list[str] = field(default_factory=list)  # status topics, for configs
    # (ack topic, payload) telling terminals that said "online" their committed seq
    seq_answers: list[tuple[str, bytes]] = field(default_factory=list)

    def merge(self, other: BatchOutcome) -> None:
        for key, items in other.acks.items():
            self.acks[key].extend(items)
        self.affected |= other.affected
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts
        self.rejected += other.rejected
        self.seq_answers.extend(other.seq_answers)
        self.came_online.extend(other.came_online)


@dataclass(frozen=True)
class _Conflict:
    terminal_id: int
    seq: int
    body: str
    received_at: datetime


@dataclass
class _Accepted:
    incoming: Incoming
    message: StampMessage
    terminal: KnownTerminal


def store_stamps(session: Session, lookup: Lookup, batch: Sequence[Incoming],
                 now: datetime) -> BatchOutcome:
    outcome = BatchOutcome()
    accepted = [a for item in batch if (a := _accept(session, lookup, item, outcome))]
    existing = _existing(session, lookup, accepted)
    holders = _holders(session, lookup, accepted)
    rows: list[dict[str, Any]] = []
    conflicts: list[_Conflict] = []
    fresh: dict[tuple[int, int], str] = {}
    for item in accepted:
        key = (item.terminal.id, item.message.seq)
        body = item.message.body()
        known = existing.get(key)
        if known is None and key in fresh:
            known = (0, fresh[key])
        if known is not None:
            if conflict := _repeat(item, known, body, outcome):
                conflicts.append(conflict)
            continue
        holder = holders.get((item.terminal.institution_id, item.message.badge))
        if holder is None or not holder.valid_at(item.message.time):
            reason = refusal(item.message.badge, holder, item.message.time)
            reject(session, item.incoming, reason, outcome, item.terminal.institution_id,
                   item.terminal.code, item.message.seq, SHOW_UNKNOWN_BADGE)
            continue
        fresh[key] = body
        rows.append(_row(lookup, item, holder, body, now, outcome))
    _flag_closed_months(session, rows, outcome)
    if rows:
        # Core on the connection, not the ORM's bulk path: these rows need no objects.
        session.connection().execute(insert(STAMPS), rows)
    _write_conflicts(session, conflicts)
    return outcome


def _accept(session: Session, lookup: Lookup, item: Incoming,
            outcome: BatchOutcome) -> _Accepted | None:
    """Decode and check who sent it; reject (with its reason) what cannot be a stamp."""
    try:
        where = parse_topic(item.topic)
    except ProtocolError as exc:
        reject(session, item, exc.reason, outcome)
        return None
    try:
        message = decode_stamp(item.payload)
    except ProtocolError as exc:
        reject(session, item, exc.reason, outcome, where.institution, where.terminal,
               _seq_hint(item.payload), SHOW_INVALID)
        return None
    if message.terminal != where.terminal:
        reason = f"payload terminal {message.terminal!r} does not match topic {where.terminal!r}"
        reject(session, item, reason, outcome, where.institution, where.terminal,
               message.seq, SHOW_INVALID)
        return None
    terminal = lookup.terminal(session, where.institution, where.terminal)
    if terminal is None:
        reject(session, item, f"unknown terminal {where.institution}/{where.terminal}",
               outcome, where.institution, where.terminal, message.seq, SHOW_UNKNOWN_TERMINAL)
        return None
    return _Accepted(item, message, terminal)


def _existing(session: Session, lookup: Lookup,
              accepted: list[_Accepted]) -> dict[tuple[int, int], tuple[int, str]]:
    """(terminal, seq) -> (stamp id, body) for the keys of this batch already stored."""
    if not accepted:
        return {}
    seqs: dict[int, set[int]] = defaultdict(set)
    for item in accepted:
        if lookup.seq_marks.may_exist(session, item.terminal.id, item.message.seq):
            seqs[item.terminal.id].add(item.message.seq)
    if not seqs:
        return {}
    # One round trip, one index lookup per key. Not `(terminal, seq) IN (VALUES …)`,
    # which SQLite answers by scanning the table, nor two separate INs, which return
    # the stamps of every terminal at those seqs: terminals advance in step.
    column = STAMPS.c
    rows = session.connection().execute(
        select(column.terminal_id, column.seq, column.id, column.body).where(
            or_(*(and_(column.terminal_id == t, column.seq.in_(q)) for t, q in seqs.items()))))
    return {(t, q): (stamp_id, body or "") for t, q, stamp_id, body in rows
            if t is not None and q is not None}


def _holders(session: Session, lookup: Lookup,
             accepted: list[_Accepted]) -> dict[tuple[str, str], Holder]:
    badges: dict[str, set[str]] = defaultdict(set)
    for item in accepted:
        badges[item.terminal.institution_id].add(item.message.badge)
    return lookup.holders(session, badges)


def _repeat(item: _Accepted, known: tuple[int, str] | None, body: str,
            outcome: BatchOutcome) -> _Conflict | None:
    """A key already stored: the same body is a harmless replay, another body is flagged."""
    terminal = item.terminal
    key = (terminal.institution_id, terminal.code)
    if known is not None and known[1] == body:
        outcome.duplicates += 1
        outcome.acks[key].append(AckItem(item.message.seq, "duplicate", SHOW_DUPLICATE))
        return None
    outcome.conflicts += 1
    outcome.acks[key].append(AckItem(
        item.message.seq, "conflict", SHOW_CONFLICT,
        "same terminal and sequence as a stored stamp, different content: kept the first"))
    return _Conflict(terminal.id, item.message.seq, body, item.incoming.received_at)


def _write_conflicts(session: Session, conflicts: list[_Conflict]) -> None:
    if not conflicts:
        return
    terminals = {c.terminal_id for c in conflicts}
    seqs = {c.seq for c in conflicts}
    ids = {(t, q): stamp_id for t, q, stamp_id in session.execute(
        select(Stamp.terminal_id, Stamp.seq, Stamp.id).where(
            Stamp.terminal_id.in_(terminals), Stamp.seq.in_(seqs)))}
    session.add_all(StampConflict(stamp_id=ids[(c.terminal_id, c.seq)],
                                  received_at=c.received_at, body=c.body) for c in conflicts)


def _row(lookup: Lookup, item: _Accepted, holder: Holder, body: str, now: datetime,
         outcome: BatchOutcome) -> dict[str, Any]:
    message, terminal = item.message, item.terminal
    institution = terminal.institution_id
    local = message.time.astimezone(lookup.zone(institution, message.time))
    flags = _flags(lookup, terminal, message.time, local.date(), now)
    if _double_swipe(lookup, holder, message.time, institution, local.date()):
        flags.append("double_swipe")
    outcome.stored += 1
    outcome.affected.add((institution, holder.employee_id, local.date()))
    lookup.seq_marks.written(terminal.id, message.seq)
    outcome.acks[(institution, terminal.code)].append(
        AckItem(message.seq, "stored", f"{SHOW_STORED} {local:%H:%M}"))
    return {
        "institution_id": institution,
        "source": "terminal",
        "terminal_id": terminal.id,
        "seq": message.seq,
        "terminal_stamp_id": message.id,
        "badge": message.badge,
        "employee_id": holder.employee_id,
        "terminal_time": message.time,
        "received_at": item.incoming.received_at,
        "local_date": local.date(),
        "local_minute": local.hour * 60 + local.minute,
        "direction": message.direction,
        "code": message.code,
        "flags": ",".join(flags),
        "body": body,
        "void": False,
    }


def _flags(lookup: Lookup, terminal: KnownTerminal, moment: datetime, day: date,
           now: datetime) -> list[str]:
    flags = []
    if moment > now + FUTURE_MARGIN:
        flags.append("future")
    skew = lookup.skew_s.get(terminal.id)
    if skew is not None and abs(skew) > SKEW_LIMIT_S:
        flags.append("skewed")
    if day < now.astimezone(lookup.zone(terminal.institution_id, now)).date():
        flags.append("late")  # replayed after its day: that day is recomputed
    return flags


def _flag_closed_months(session: Session, rows: list[dict[str, Any]],
                        outcome: BatchOutcome) -> None:
    """A stamp for a closed month is stored (never lost) but flagged for the office, and
    its day is not recomputed: the closed figures change only through a reopen."""
    months = {(r["institution_id"], r["local_date"].year, r["local_date"].month) for r in rows}
    if not months:
        return
    closes = MONTH_CLOSES.c
    locked = set(session.connection().execute(
        select(closes.institution_id, closes.year, closes.month).where(
            closes.institution_id.in_({m[0] for m in months}),
            closes.state.in_(LOCKED_STATES))).all())
    for row in rows:
        day = row["local_date"]
        if (row["institution_id"], day.year, day.month) in locked:
            row["flags"] = ",".join(filter(None, [row["flags"], "closed_month"]))
            outcome.affected.discard((row["institution_id"], row["employee_id"], day))


def _double_swipe(lookup: Lookup, holder: Holder, moment: datetime, institution: str,
                  day: date) -> bool:
    """A second swipe of the same badge inside the window of the rules in force on its
    day (seed 001's file: 1m)."""
    previous = lookup.last_swipe.get(holder.employee_id)
    if previous is None or moment >= previous:
        lookup.last_swipe[holder.employee_id] = moment
    if previous is None:
        return False
    gap = (moment - previous).total_seconds()
    return 0 <= gap < lookup.double_swipe_s(institution, day)


def reject(session: Session, item: Incoming, reason: str, outcome: BatchOutcome,
           institution: str | None = None, terminal: str | None = None,
           seq: int | None = None, show: str | None = None, payload: str | None = None) -> None:
    """Keep a message that cannot be a stamp, with why; ack it so the terminal moves on."""
    session.add(RejectedMessage(received_at=item.received_at, topic=item.topic[:300],
                                institution_id=institution, terminal_code=terminal, seq=seq,
                                reason=reason, payload=payload or item.printable_payload()))
    outcome.rejected += 1
    # The terminal drops a rejected stamp from its queue: the payload is kept here instead.
    if institution and terminal and seq is not None and show:
        outcome.acks[(institution, terminal)].append(AckItem(seq, "rejected", show, reason))


def _seq_hint(payload: bytes) -> int | None:
    """The seq of a payload that failed to decode, when it can still be read, to ack it."""
    try:
        seq = json.loads(payload).get("seq")
    except (ValueError, AttributeError, RecursionError):
        return None
    return seq if type(seq) is int and 1 <= seq < 2**63 else None
