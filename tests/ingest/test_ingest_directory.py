"""Badges and employees changed by another process reach a running ingest, on SQLite and
PostgreSQL: the web (its own engine here) revokes, issues and deactivates; the ingest keeps
one `Lookup` for its whole life, as `timbra ingest` does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import world

from server.days.results import refresh_days
from server.db.contract_tables import ContractRow
from server.db.directory import add_badge, add_terminal
from server.db.models import Badge, DayResultRow, Employee, RejectedMessage, Stamp, User
from server.db.revision import revisions
from server.ingest.incoming import Incoming
from server.ingest.lookup import Lookup
from server.ingest.store import BatchOutcome, store_stamps
from server.office.activation import deactivate_employee, reactivate_employee
from server.office.fees import replace_badge
from terminals.protocol import StampMessage, topic

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)  # when the batches arrive
REVOKED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # 11:00 in Rome: the card was lost
DEACTIVATED = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 12:00 in Rome: Bob's last day


@pytest.fixture
def ids(db_engine: sa.Engine) -> dict[str, int]:
    """School staff: Ann holds badge S1, Bob B1; one terminal."""
    with Session(db_engine) as session:
        w = world(session, "school")
        add_badge(session, w.employees["ann"], "S1")
        add_badge(session, w.employees["bob"], "B1")
        add_terminal(session, "school", "t1")
        session.commit()
        return {"ann": w.employees["ann"].id, "bob": w.employees["bob"].id}


def stamp(seq: int, local: str, badge: str) -> Incoming:
    moment = datetime.fromisoformat(f"2026-03-02T{local}:00").replace(tzinfo=ROME)
    return at(seq, moment, badge)


def at(seq: int, moment: datetime, badge: str) -> Incoming:
    message = StampMessage("t1", seq, f"t1-{seq}", badge, moment)
    return Incoming(topic("school", "t1", "stamp"), message.encode(), NOW, seq, 1)


def ingest(engine: sa.Engine, lookup: Lookup, *batch: Incoming) -> BatchOutcome:
    """One batch in one transaction, as the ingest's writer does."""
    with Session(engine) as session, session.begin():
        return store_stamps(session, lookup, batch, NOW)


def statuses(outcome: BatchOutcome) -> dict[int, str]:
    return {a.seq: a.status for a in outcome.acks[("school", "t1")]}


def replace_lost_badge(web: sa.Engine, employee_id: int, new_badge: str | None) -> None:
    """What the office's "Sostituzione badge" page does, committed by the web process."""
    with Session(web) as session:
        office = session.scalars(sa.select(User).where(User.username == "school.office")).one()
        replace_badge(session, office, employee_id, "lost", new_badge=new_badge, now=REVOKED)
        session.commit()


def test_a_badge_revoked_in_the_web_is_refused_by_the_running_ingest(
        db_engine: sa.Engine, web: sa.Engine, ids: dict[str, int]) -> None:
    """Rule: a stamp is accepted when its badge was not yet revoked at the stamp's own
    time (terminal time < revoked_at). S1 revoked at 11:00, swiped again at 14:00."""
    lookup = Lookup()
    assert statuses(ingest(db_engine, lookup, stamp(1, "08:00", "S1"))) == {1: "stored"}
    replace_lost_badge(web, ids["ann"], None)
    outcome = ingest(db_engine, lookup, stamp(2, "14:00", "S1"))
    [ack] = outcome.acks[("school", "t1")]
    assert (ack.status, ack.display) == ("rejected", "Badge sconosciuto / Unknown badge")
    with Session(db_engine) as session:
        reason = session.scalars(sa.select(RejectedMessage.reason)).one()
    assert reason == "unknown badge S1 (revoked at 2026-03-02T10:00:00+00:00)"


def test_a_stamp_taken_before_the_revocation_and_replayed_later_is_stored(
        db_engine: sa.Engine, web: sa.Engine, ids: dict[str, int]) -> None:
    """Rule: a stamp is accepted when its badge was not yet revoked at the stamp's own
    time (terminal time < revoked_at). A terminal offline since 08:00 replays its queue at
    14:30 (server time), after S1 was revoked at 11:00: 09:15 and 10:59 stand, 11:00 not."""
    lookup = Lookup()
    ingest(db_engine, lookup, stamp(1, "08:00", "S1"))
    replace_lost_badge(web, ids["ann"], "S2")
    outcome = ingest(db_engine, lookup, stamp(2, "09:15", "S1"), stamp(3, "10:59", "S1"),
                     stamp(4, "11:00", "S1"))
    assert statuses(outcome) == {2: "stored", 3: "stored", 4: "rejected"}
    with Session(db_engine) as session:
        owners = set(session.scalars(sa.select(Stamp.employee_id)))
    assert owners == {ids["ann"]}


def test_the_replacement_badge_is_accepted_at_once_even_from_a_clock_a_little_behind(
        db_engine: sa.Engine, web: sa.Engine, ids: dict[str, int]) -> None:
    """Issued badges are not refused on issued_at: terminal clocks may be minutes off."""
    lookup = Lookup()
    ingest(db_engine, lookup, stamp(1, "08:00", "S1"))
    replace_lost_badge(web, ids["ann"], "S2")
    with Session(db_engine) as session:
        issued = session.scalars(sa.select(Badge.issued_at).where(Badge.code == "S2")).one()
    outcome = ingest(db_engine, lookup, at(2, issued - timedelta(minutes=3), "S2"))
    assert statuses(outcome) == {2: "stored"}
    with Session(db_engine) as session:
        assert session.scalars(sa.select(Stamp.employee_id).where(Stamp.seq == 2)).one() == \
            ids["ann"]


def test_an_employee_inactive_with_no_recorded_deactivation_time_is_refused_at_any_time(
        db_engine: sa.Engine, web: sa.Engine, ids: dict[str, int]) -> None:
    """A row made inactive with no `deactivated_at` (deactivated before migration 0006, or
    by hand) refuses every stamp, even one taken before: nobody knows when they left."""
    lookup = Lookup()
    assert statuses(ingest(db_engine, lookup, stamp(1, "08:00", "B1"))) == {1: "stored"}
    with Session(web) as session:
        bob = session.get(Employee, ids["bob"])
        assert bob is not None
        bob.active = False
        session.commit()
    outcome = ingest(db_engine, lookup, stamp(2, "08:05", "B1"), at(3, NOW - timedelta(
        days=1), "B1"))
    assert statuses(outcome) == {2: "rejected", 3: "rejected"}
    with Session(db_engine) as session:
        reasons = set(session.scalars(sa.select(RejectedMessage.reason)))
    assert reasons == {"unknown badge B1 (employee deactivated)"}


def set_active(web: sa.Engine, employee_id: int, active: bool, when: datetime) -> None:
    """What the office's employee page does at `when`, committed by the web process."""
    with Session(web) as session:
        office = session.scalars(sa.select(User).where(User.username == "school.office")).one()
        change = reactivate_employee if active else deactivate_employee
        change(session, office, employee_id, reason="ultimo giorno", now=when)
        session.commit()


def test_a_stamp_taken_before_the_deactivation_and_replayed_after_it_is_stored(
        db_engine: sa.Engine, web: sa.Engine, ids: dict[str, int]) -> None:
    """Rule: a stamp counts when taken before its employee's deactivation (terminal time <
    deactivated_at), as before a badge's revocation. Bob's last day: the office deactivates
    him at 12:00 (Rome); the terminal, offline since 07:55, replays at 14:30 (server time):
    08:00 and 11:59 are stored and reach his day result, 12:00 is refused with the reason,
    by the running ingest and by a restarted one alike."""
    lookup = Lookup()
    ingest(db_engine, lookup, stamp(1, "07:55", "B1"))  # the running ingest caches B1
    set_active(web, ids["bob"], False, DEACTIVATED)
    outcome = ingest(db_engine, lookup, stamp(2, "08:00", "B1"), stamp(3, "11:59", "B1"),
                     stamp(4, "12:00", "B1"))
    assert statuses(outcome) == {2: "stored", 3: "stored", 4: "rejected"}
    restarted = ingest(db_engine, Lookup(), stamp(5, "11:58", "B1"), stamp(6, "13:00", "B1"))
    assert statuses(restarted) == {5: "stored", 6: "rejected"}
    with Session(db_engine) as session, session.begin():
        reasons = set(session.scalars(sa.select(RejectedMessage.reason)))
        refresh_days(session, outcome.affected | restarted.affected, NOW)
    assert reasons == {"unknown badge B1 (employee deactivated at 2026-03-02T11:00:00+00:00)"}
    with Session(db_engine) as session:
        seen = session.scalars(sa.select(DayResultRow.stamps_seen).where(
            DayResultRow.employee_id == ids["bob"])).one()
    assert seen == 4  # 07:55, 08:00, 11:58, 11:59: the last day is not lost


def test_reactivation_makes_new_stamps_count_again(
        db_engine: sa.Engine, web: sa.Engine, ids: dict[str, int]) -> None:
    """Reactivating undoes a deactivation made by mistake: `deactivated_at` is cleared, so
    the running ingest stores new stamps, and those taken in between, again."""
    lookup = Lookup()
    set_active(web, ids["bob"], False, DEACTIVATED)
    assert statuses(ingest(db_engine, lookup, stamp(1, "12:30", "B1"))) == {1: "rejected"}
    set_active(web, ids["bob"], True, DEACTIVATED + timedelta(hours=1))
    with Session(db_engine) as session:
        bob = session.get(Employee, ids["bob"])
        assert bob is not None and (bob.active, bob.deactivated_at) == (True, None)
    outcome = ingest(db_engine, lookup, stamp(2, "12:31", "B1"), stamp(3, "14:00", "B1"))
    assert statuses(outcome) == {2: "stored", 3: "stored"}


def test_an_unchanged_directory_costs_one_revision_query_and_no_badge_or_rule_query(
        db_engine: sa.Engine, ids: dict[str, int]) -> None:
    lookup = Lookup()
    ingest(db_engine, lookup, stamp(1, "08:00", "S1"), stamp(2, "08:01", "B1"))
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731  (statement)
    sa.event.listen(db_engine, "before_cursor_execute", listener)
    try:
        ingest(db_engine, lookup, stamp(3, "12:00", "S1"), stamp(4, "12:01", "B1"))
    finally:
        sa.event.remove(db_engine, "before_cursor_execute", listener)
    assert sum("directory_revision" in s for s in seen) == 1
    assert not any("FROM badges" in s or "FROM rule_versions" in s for s in seen)


def test_recompute_evaluates_a_day_with_the_profile_changed_in_another_process(
        db_engine: sa.Engine, web: sa.Engine, ids: dict[str, int]) -> None:
    """Seed 003: full time is due 7h12m a day, part time vertical 6h (Monday)."""
    lookup = Lookup()
    day = [("school", ids["ann"], date(2026, 3, 2))]

    def due() -> int:
        with Session(db_engine) as session, session.begin():
            refresh_days(session, day, NOW)
        with Session(db_engine) as session:
            return session.scalars(sa.select(DayResultRow.due)).one()

    ingest(db_engine, lookup, stamp(1, "08:00", "S1"), stamp(2, "14:00", "S1"))
    assert due() == 7 * 60 + 12
    with Session(web) as session:
        ann = session.get(Employee, ids["ann"])
        assert ann is not None
        ann.profile = "part_time_vertical"
        # The contract is where a profile lives (server/days/employment.py).
        session.execute(sa.update(ContractRow).where(ContractRow.employee_id == ann.id)
                        .values(profile="part_time_vertical"))
        session.commit()
    assert due() == 0  # `days choose 3 of mon..fri`: her record names no days yet


def test_the_directory_revision_follows_orm_changes_and_bulk_statements_only(
        db_engine: sa.Engine, ids: dict[str, int]) -> None:
    def revision() -> int:
        with Session(db_engine) as session:
            return revisions(session, ["school"])["school"]

    before = revision()
    with Session(db_engine) as session:
        session.add(RejectedMessage(received_at=NOW, topic="x", reason="x", payload=""))
        ann = session.get(Employee, ids["ann"])
        assert ann is not None
        ann.name = ann.name  # assigned, not changed
        session.commit()
    assert revision() == before
    with Session(db_engine) as session:
        session.execute(sa.update(Badge).where(Badge.code == "B1").values(revoked_at=NOW))
        session.commit()
    assert revision() == before + 1
    with Session(db_engine) as session:
        badge = session.scalars(sa.select(Badge).where(Badge.code == "S1")).one()
        badge.revoked_at = NOW
        session.commit()
    assert revision() == before + 2
