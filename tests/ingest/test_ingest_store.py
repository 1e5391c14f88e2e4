"""Storing a batch of stamp messages, on SQLite and on PostgreSQL, without a broker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.days.dirty import clear_dirty, mark_dirty, marked_since, pending, take_dirty
from server.days.results import refresh_days
from server.db.directory import add_employee, add_terminal, ensure_institution
from server.db.models import (
    DayResultRow,
    MonthClose,
    RejectedMessage,
    Stamp,
    StampConflict,
    User,
)
from server.ingest.incoming import Incoming
from server.ingest.lookup import Lookup
from server.ingest.store import store_stamps
from terminals.protocol import StampMessage, topic

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def session(db_engine: sa.Engine) -> Iterator[Session]:
    with Session(db_engine) as session:
        ensure_institution(session, "university", "Università degli Studi di Milano")
        add_employee(session, "university", "M001", "Maria Rossi", badge="1001")
        add_terminal(session, "university", "t1", "Via Festa del Perdono, atrio")
        session.commit()
        yield session


def stamp(seq: int, at: str, badge: str = "1001", terminal: str = "t1",
          code: str | None = None) -> Incoming:
    moment = datetime.fromisoformat(at).replace(tzinfo=ROME)
    message = StampMessage(terminal, seq, f"{terminal}-{seq}", badge, moment, None, code)
    return Incoming(topic("university", "t1", "stamp"), message.encode(), NOW, seq, 1)


def store(session: Session, *batch: Incoming, lookup: Lookup | None = None):  # type: ignore[no-untyped-def]
    outcome = store_stamps(session, lookup or Lookup(), batch, NOW)
    session.commit()
    return outcome


def count(session: Session, model: type) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_a_stamp_is_stored_on_its_local_day_and_acknowledged(session: Session) -> None:
    outcome = store(session, stamp(1, "2026-03-02T08:03:00"))
    row = session.scalars(sa.select(Stamp)).one()
    assert (row.local_date, row.local_minute, row.seq, row.source) == (
        date(2026, 3, 2), 8 * 60 + 3, 1, "terminal")
    assert row.terminal_time == datetime(2026, 3, 2, 7, 3, tzinfo=UTC)
    [[ack]] = outcome.acks.values()
    assert (ack.seq, ack.status) == (1, "stored")
    assert "08:03" in ack.display
    assert outcome.affected == {("university", row.employee_id, date(2026, 3, 2))}


@pytest.mark.parametrize("ingest", ["restarted", "running"])
def test_the_same_message_twice_is_one_row(session: Session, ingest: str) -> None:
    lookup = Lookup() if ingest == "running" else None  # one ingest sees both, or two do
    first = stamp(1, "2026-03-02T08:03:00")
    store(session, first, lookup=lookup)
    outcome = store(session, first, first, lookup=lookup)
    assert count(session, Stamp) == 1
    assert [a.status for a in outcome.acks[("university", "t1")]] == ["duplicate", "duplicate"]


def test_a_batch_rolled_back_is_stored_when_it_comes_again(session: Session) -> None:
    """The broker redelivers a batch whose commit failed: it must be stored, not taken
    for a replay of itself."""
    lookup = Lookup()
    store_stamps(session, lookup, [stamp(1, "2026-03-02T08:03:00")], NOW)
    session.rollback()
    outcome = store(session, stamp(1, "2026-03-02T08:03:00"), lookup=lookup)
    assert count(session, Stamp) == 1
    assert [a.status for a in outcome.acks[("university", "t1")]] == ["stored"]


def test_same_key_different_body_is_flagged_never_written_over(session: Session) -> None:
    store(session, stamp(7, "2026-03-02T08:03:00"))
    outcome = store(session, stamp(7, "2026-03-02T17:45:00"))
    row = session.scalars(sa.select(Stamp)).one()
    assert row.local_minute == 8 * 60 + 3  # the first one stays
    conflict = session.scalars(sa.select(StampConflict)).one()
    assert conflict.stamp_id == row.id and "17:45" in conflict.body
    assert outcome.acks[("university", "t1")][0].status == "conflict"


def test_conflict_inside_one_batch(session: Session) -> None:
    outcome = store(session, stamp(3, "2026-03-02T08:03:00"), stamp(3, "2026-03-02T09:00:00"))
    assert count(session, Stamp) == 1 and count(session, StampConflict) == 1
    assert [a.status for a in outcome.acks[("university", "t1")]] == ["stored", "conflict"]


def test_unknown_badge_is_rejected_with_its_reason_and_the_rest_stored(session: Session) -> None:
    outcome = store(session, stamp(1, "2026-03-02T08:03:00"),
                    stamp(2, "2026-03-02T08:04:00", badge="9999"),
                    stamp(3, "2026-03-02T12:00:00"))
    assert count(session, Stamp) == 2
    rejected = session.scalars(sa.select(RejectedMessage)).one()
    assert rejected.reason == "unknown badge 9999" and rejected.seq == 2
    statuses = {a.seq: (a.status, a.display) for a in outcome.acks[("university", "t1")]}
    assert statuses[2] == ("rejected", "Badge sconosciuto / Unknown badge")


def test_payload_terminal_must_match_its_topic(session: Session) -> None:
    forged = stamp(1, "2026-03-02T08:03:00", terminal="t2")  # published on t1's topic
    store(session, forged)
    assert count(session, Stamp) == 0
    reason = session.scalars(sa.select(RejectedMessage.reason)).one()
    assert "does not match topic" in reason


def test_unknown_terminal_and_garbage_are_rejected(session: Session) -> None:
    unknown = Incoming(topic("university", "ghost", "stamp"),
                       StampMessage("ghost", 1, "g1", "1001", NOW).encode(), NOW)
    garbage = Incoming(topic("university", "t1", "stamp"), b"\xff{not json", NOW)
    store(session, unknown, garbage)
    reasons = set(session.scalars(sa.select(RejectedMessage.reason)))
    assert reasons == {"unknown terminal university/ghost", "payload is not UTF-8"}
    assert count(session, Stamp) == 0


def test_a_payload_with_nul_bytes_is_kept_escaped(session: Session) -> None:
    """PostgreSQL text cannot hold NUL: the rejected payload is stored escaped, not lost."""
    store(session, Incoming(topic("university", "t1", "stamp"), b'{"seq": 1\x00}', NOW))
    assert session.scalars(sa.select(RejectedMessage.payload)).one() == '{"seq": 1\\x00}'


def test_future_and_replayed_stamps_are_flagged(session: Session) -> None:
    later = (NOW + timedelta(hours=2)).astimezone(ROME).replace(tzinfo=None).isoformat()
    store(session, stamp(1, later), stamp(2, "2026-02-27T08:00:00"))
    flags = dict(session.execute(sa.select(Stamp.seq, Stamp.flags)).all())
    assert flags == {1: "future", 2: "late"}


def test_double_swipe_inside_the_rule_window_is_stored_and_flagged(session: Session) -> None:
    """Seed 001's rule file: `double_swipe 1m`; both stamps are kept, the second flagged."""
    store(session, stamp(1, "2026-03-02T08:03:00"), stamp(2, "2026-03-02T08:03:40"),
          stamp(3, "2026-03-02T08:05:00"))
    flags = dict(session.execute(sa.select(Stamp.seq, Stamp.flags)).all())
    assert flags == {1: "late", 2: "late,double_swipe", 3: "late"}


def test_a_stamp_for_a_closed_month_is_kept_and_flagged_not_recomputed(session: Session) -> None:
    office = User(institution_id="university", username="uff", display_name="Ufficio",
                  role="office", password_hash="x", created_at=NOW)
    session.add(office)
    session.flush()
    session.add(MonthClose(institution_id="university", year=2026, month=2, state="closed",
                           started_by=office.id, started_at=NOW))
    session.commit()
    outcome = store(session, stamp(1, "2026-02-27T08:00:00"))
    assert session.scalars(sa.select(Stamp.flags)).one() == "late,closed_month"
    assert outcome.affected == set()


def test_day_result_follows_the_rules_seed_001(session: Session) -> None:
    """Seed 001: E09:00 U12:00 E12:45 U16:30 with the 8/9-16 schedule: 6h45 worked."""
    outcome = store(session, *(stamp(i, f"2026-03-02T{t}:00") for i, t in
                               enumerate(["09:00", "12:00", "12:45", "16:30"], start=1)))
    refresh_days(session, outcome.affected, NOW)
    session.commit()
    result = session.scalars(sa.select(DayResultRow)).one()
    assert (result.day, result.worked, result.due, result.balance) == (
        date(2026, 3, 2), 6 * 60 + 45, 7 * 60 + 15, -30)
    assert result.stamps_seen == 4
    assert [s["time"] for s in result.data["stamps"]] == ["09:00", "12:00", "12:45", "16:30"]


def test_a_day_marked_again_while_being_recomputed_stays_marked(session: Session) -> None:
    """The recompute worker clears only what it computed: newer stamps keep the day dirty."""
    day = ("university", 1, date(2026, 3, 2))
    mark_dirty(session, [day], NOW)
    session.commit()
    taken = take_dirty(session)
    mark_dirty(session, [day], NOW + timedelta(seconds=1))  # a stamp arrives meanwhile
    clear_dirty(session, taken)
    session.commit()
    assert pending(session) == [(1, date(2026, 3, 2))]
    clear_dirty(session, take_dirty(session))
    session.commit()
    assert pending(session) == []


def test_a_recompute_process_sees_a_burst_from_the_marks_it_leaves(session: Session) -> None:
    """`timbra recompute` runs apart from the ingest: it holds back while days are still
    being marked, and goes ahead once the marks are two seconds old."""
    mark_dirty(session, [("university", 1, date(2026, 3, 2))], NOW)
    session.commit()
    assert marked_since(session, NOW - timedelta(seconds=2))
    assert not marked_since(session, NOW)
