"""One batch of stamp messages into the database, in the caller's transaction.

`store_stamps` decides every message of the batch (stored, duplicate,
conflict, rejected), writes what it decided, and returns the acks to send
and the employee-days to recompute. Nothing is sent from here: the caller
commits first and acknowledges after.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.days.facts import EmployeeDay
from server.days.month_lock import LOCKED_STATES
from server.db.models import MONTH_CLOSES, STAMPS, RejectedMessage, StampConflict, Terminal
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


Key = tuple[str, int, int]  # (institution, terminal id, seq): the stamps' unique key


@dataclass
class _Accepted:
    incoming: Incoming
    message: StampMessage
    terminal: KnownTerminal

    @property
    def key(self) -> Key:
        return (self.terminal.institution_id, self.terminal.id, self.message.seq)


def store_stamps(session: Session, lookup: Lookup, batch: Sequence[Incoming],
                 now: datetime) -> BatchOutcome:
    """Insert the batch's new keys in one statement that skips the keys already stored
    (`ON CONFLICT DO NOTHING RETURNING`), then read back only the keys it skipped to
    answer `duplicate` or `conflict`. Nothing here is remembered from one batch to the
    next, so any number of ingest processes may write at once: a key another one is
    inserting makes ours wait for its commit, then be skipped."""
    outcome = BatchOutcome()
    accepted = [a for item in batch if (a := _accept(session, lookup, item, outcome))]
    holders = _holders(session, lookup, accepted)
    first: dict[Key, _Accepted] = {}  # the first copy of each key with a valid badge
    for item in accepted:
        holder = holders.get((item.terminal.institution_id, item.message.badge))
        if holder is not None and holder.valid_at(item.message.time):
            first.setdefault(item.key, item)
    rows = _rows(session, lookup, first.values(), holders, now)
    _flag_double_swipes(session, lookup, rows)
    _flag_closed_months(session, rows)
    inserted = _insert(session, rows)
    known = _existing(session, {item.key for item in accepted} - inserted.keys())
    conflicts: list[StampConflict] = []
    by_key = {(r["institution_id"], r["terminal_id"], r["seq"]): r for r in rows}
    for item in accepted:  # in the batch's order, so are the acks
        key, body = item.key, item.message.body()
        if key in inserted and first[key] is item:
            _stored(item, by_key[key], outcome)
            continue
        found = (inserted[key], by_key[key]["body"]) if key in inserted else known.get(key)
        if found is None:  # nothing stored under this key: the badge was refused
            holder = holders.get((item.terminal.institution_id, item.message.badge))
            reject(session, item.incoming, refusal(item.message.badge, holder, item.message.time),
                   outcome, item.terminal.institution_id, item.terminal.code,
                   item.message.seq, SHOW_UNKNOWN_BADGE)
        elif conflict := _repeat(item, found, body, outcome):
            conflicts.append(conflict)
    session.add_all(conflicts)
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


def _existing(session: Session, keys: set[Key]) -> dict[Key, tuple[int, str]]:
    """Key -> (stamp id, body) for these keys, where stored."""
    if not keys:
        return {}
    seqs: dict[tuple[str, int], set[int]] = defaultdict(set)
    for institution, terminal, seq in keys:
        seqs[(institution, terminal)].add(seq)
    # One round trip, one index lookup per key. Not `(terminal, seq) IN (VALUES …)`,
    # which SQLite answers by scanning the table, nor two separate INs, which return
    # the stamps of every terminal at those seqs: terminals advance in step.
    column = STAMPS.c
    rows = session.connection().execute(
        select(column.institution_id, column.terminal_id, column.seq, column.id, column.body)
        .where(or_(*(and_(column.institution_id == i, column.terminal_id == t,
                          column.seq.in_(sorted(q))) for (i, t), q in seqs.items()))))
    return {(i, t, q): (stamp_id, body or "") for i, t, q, stamp_id, body in rows}


@cache
def _insert_statement(dialect_name: str) -> Any:
    """INSERT … ON CONFLICT (the unique key) DO NOTHING RETURNING, built once: SQLite has
    both since 3.35, PostgreSQL since 9.5 and 8.2."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    column = STAMPS.c
    statement: Any = dialect.insert(STAMPS)
    return statement.on_conflict_do_nothing(
        index_elements=["institution_id", "terminal_id", "seq"]).returning(
        column.institution_id, column.terminal_id, column.seq, column.id)


def _insert(session: Session, rows: list[dict[str, Any]]) -> dict[Key, int]:
    """Key -> new stamp id, for the rows actually inserted."""
    if not rows:
        return {}
    # In key order: two ingests inserting some of the same keys then wait for each other
    # in the same order, never in a cycle.
    rows.sort(key=lambda r: (r["institution_id"], r["terminal_id"], r["seq"]))
    connection = session.connection()
    # Core on the connection, not the ORM's bulk path: these rows need no objects.
    result = connection.execute(_insert_statement(connection.dialect.name), rows)
    return {(i, t, q): stamp_id for i, t, q, stamp_id in result}


def _holders(session: Session, lookup: Lookup,
             accepted: list[_Accepted]) -> dict[tuple[str, str], Holder]:
    badges: dict[str, set[str]] = defaultdict(set)
    for item in accepted:
        badges[item.terminal.institution_id].add(item.message.badge)
    return lookup.holders(session, badges)


def _repeat(item: _Accepted, known: tuple[int, str], body: str,
            outcome: BatchOutcome) -> StampConflict | None:
    """A key already stored: the same body is a harmless replay, another body is flagged."""
    terminal = item.terminal
    key = (terminal.institution_id, terminal.code)
    if known[1] == body:
        outcome.duplicates += 1
        outcome.acks[key].append(AckItem(item.message.seq, "duplicate", SHOW_DUPLICATE))
        return None
    outcome.conflicts += 1
    outcome.acks[key].append(AckItem(
        item.message.seq, "conflict", SHOW_CONFLICT,
        "same terminal and sequence as a stored stamp, different content: kept the first"))
    return StampConflict(stamp_id=known[0], received_at=item.incoming.received_at, body=body)


def _skews(session: Session, accepted: Iterable[_Accepted]) -> dict[int, int | None]:
    """Terminal id -> the clock skew its last heartbeat reported, whichever ingest took it."""
    ids = {item.terminal.id for item in accepted}
    if not ids:
        return {}
    rows = session.execute(select(Terminal.id, Terminal.clock_skew_s)
                           .where(Terminal.id.in_(sorted(ids))))
    return {terminal_id: skew for terminal_id, skew in rows}


def _rows(session: Session, lookup: Lookup, items: Iterable[_Accepted],
          holders: dict[tuple[str, str], Holder], now: datetime) -> list[dict[str, Any]]:
    items = list(items)
    skews = _skews(session, items)
    return [_row(lookup, item, holders[(item.terminal.institution_id, item.message.badge)],
                 now, skews.get(item.terminal.id)) for item in items]


def _stored(item: _Accepted, row: dict[str, Any], outcome: BatchOutcome) -> None:
    institution, day = row["institution_id"], row["local_date"]
    outcome.stored += 1
    if "closed_month" not in row["flags"].split(","):
        outcome.affected.add((institution, row["employee_id"], day))
    outcome.acks[(institution, item.terminal.code)].append(AckItem(
        item.message.seq, "stored", f"{SHOW_STORED} {row['local_minute'] // 60:02d}:"
                                    f"{row['local_minute'] % 60:02d}"))


def _row(lookup: Lookup, item: _Accepted, holder: Holder, now: datetime,
         skew: int | None) -> dict[str, Any]:
    message, terminal = item.message, item.terminal
    institution = terminal.institution_id
    local = message.time.astimezone(lookup.zone(institution, message.time))
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
        "flags": ",".join(_flags(lookup, terminal, message.time, local.date(), now, skew)),
        "body": message.body(),
        "void": False,
    }


def _add_flag(row: dict[str, Any], flag: str) -> None:
    row["flags"] = ",".join(filter(None, [row["flags"], flag]))


def _flags(lookup: Lookup, terminal: KnownTerminal, moment: datetime, day: date,
           now: datetime, skew: int | None) -> list[str]:
    flags = []
    if moment > now + FUTURE_MARGIN:
        flags.append("future")
    if skew is not None and abs(skew) > SKEW_LIMIT_S:
        flags.append("skewed")
    if day < now.astimezone(lookup.zone(terminal.institution_id, now)).date():
        flags.append("late")  # replayed after its day: that day is recomputed
    return flags


def _flag_closed_months(session: Session, rows: list[dict[str, Any]]) -> None:
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
            _add_flag(row, "closed_month")


def _flag_double_swipes(session: Session, lookup: Lookup, rows: list[dict[str, Any]]) -> None:
    """A swipe of the same badge's employee inside the window of the rules in force on
    its day (seed 001's file: 1m) after another of their stamps, stored or earlier in
    this batch. Read from the stamps, not remembered: another ingest may have taken the
    previous one. Two swipes committed at the same instant by two ingests see neither
    the other and stay unflagged; the flag only tells the office, the engine applies
    the window itself to the day's stamps."""
    windows = [lookup.double_swipe_s(r["institution_id"], r["local_date"]) for r in rows]
    wanted = [(row, window) for row, window in zip(rows, windows, strict=True) if window]
    if not wanted:
        return
    column = STAMPS.c
    days = [row["local_date"] for row, _ in wanted]
    moments = [row["terminal_time"] for row, _ in wanted]
    widest = timedelta(seconds=max(window for _, window in wanted))
    seen: dict[int, list[datetime]] = defaultdict(list)
    # The dates let the (employee, local date) index find the rows; the times keep out
    # the rest of a day that already holds many stamps.
    for employee_id, moment in session.connection().execute(
            select(column.employee_id, column.terminal_time).where(
                column.employee_id.in_(sorted({row["employee_id"] for row, _ in wanted})),
                column.local_date.between(min(days) - timedelta(days=1), max(days)),
                column.terminal_time.between(min(moments) - widest, max(moments)),
                column.void.is_(False))):
        seen[employee_id].append(moment)
    for row, window in wanted:
        moment, earlier = row["terminal_time"], seen[row["employee_id"]]
        if any(0 <= (moment - other).total_seconds() < window for other in earlier):
            _add_flag(row, "double_swipe")
        earlier.append(moment)


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
