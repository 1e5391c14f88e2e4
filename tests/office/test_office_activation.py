"""The office deactivates an employee who left (and reactivates one deactivated by
mistake), on SQLite and PostgreSQL: audited, past facts kept, badges refused by the ingest
from the commit on, including by an ingest that cached the badge before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.days.results import refresh_days
from server.db.directory import add_badge, add_terminal
from server.db.models import AuditEntry, DayResultRow, Employee, Stamp
from server.db.revision import revisions
from server.errors import NotAllowed, NotFound, OfficeError
from server.ingest.incoming import Incoming
from server.ingest.lookup import Lookup
from server.ingest.store import store_stamps
from server.office.activation import deactivate_employee, reactivate_employee
from terminals.protocol import StampMessage, topic

ROME = ZoneInfo("Europe/Rome")
DAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    """Ann holds badge S1 and stamped on 2 March (result stored); one terminal."""
    with Session(db_engine) as session:
        w = world(session, "school")
        add_badge(session, w.employees["ann"], "S1")
        add_terminal(session, "school", "t1")
        w.stamps("ann", DAY, "in 08:00, out 14:00")
        refresh_days(session, [("school", w.employees["ann"].id, DAY)], NOW)
        session.commit()
        yield w


def swipe(engine: sa.Engine, lookup: Lookup, seq: int, clock: str) -> str:
    """One badge S1 stamp through the ingest's store, in its own transaction."""
    moment = datetime.fromisoformat(f"2026-03-03T{clock}:00").replace(tzinfo=ROME)
    message = StampMessage("t1", seq, f"t1-{seq}", "S1", moment)
    with Session(engine) as session, session.begin():
        outcome = store_stamps(session, lookup, [Incoming(
            topic("school", "t1", "stamp"), message.encode(), NOW, seq, 1)], NOW)
    [ack] = outcome.acks[("school", "t1")]
    return ack.status


def test_deactivation_is_audited_keeps_past_stamps_and_results_and_bumps_the_directory(
        db_engine: sa.Engine, school: World) -> None:
    w, ann = school, school.employees["ann"].id
    before = revisions(w.session, ["school"])["school"]
    deactivate_employee(w.session, w.users["office"], ann, reason="dimissioni", now=NOW)
    w.session.commit()
    w.session.expire_all()
    employee = w.session.get(Employee, ann)
    assert employee is not None and employee.active is False
    assert employee.deactivated_at == NOW  # the ingest refuses stamps taken from then on
    assert revisions(w.session, ["school"])["school"] > before
    entry = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "employee_deactivated")).one()
    assert (entry.target, entry.user_id, entry.detail["reason"]) == (
        f"employee:{ann}", w.users["office"].id, "dimissioni")
    assert w.session.scalar(sa.select(sa.func.count()).select_from(Stamp).where(
        Stamp.employee_id == ann)) == 2
    assert w.session.scalars(sa.select(DayResultRow.day).where(
        DayResultRow.employee_id == ann)).all() == [DAY]


def test_deactivating_an_inactive_employee_is_refused_and_reactivation_restores_them(
        school: World) -> None:
    w, ann = school, school.employees["ann"].id
    deactivate_employee(w.session, w.users["admin"], ann, now=NOW)
    w.session.commit()
    with pytest.raises(OfficeError, match="già disattivato") as refused:
        deactivate_employee(w.session, w.users["office"], ann, now=NOW)
    assert "already inactive" in refused.value.english
    reactivate_employee(w.session, w.users["office"], ann, reason="riga sbagliata", now=NOW)
    w.session.commit()
    employee = w.session.get(Employee, ann)
    assert employee is not None and (employee.active, employee.deactivated_at) == (True, None)
    with pytest.raises(OfficeError, match="già attivo"):
        reactivate_employee(w.session, w.users["office"], ann, now=NOW)
    actions = w.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.target == f"employee:{ann}").order_by(AuditEntry.id)).all()
    assert actions == ["employee_deactivated", "employee_reactivated"]


def test_only_office_and_admin_deactivate_and_only_their_own_institution(
        db_engine: sa.Engine, school: World) -> None:
    w, ann = school, school.employees["ann"].id
    for role in ("bob", "lab_head"):  # an employee, a manager
        with pytest.raises(NotAllowed):
            deactivate_employee(w.session, w.users[role], ann, now=NOW)
    with Session(db_engine) as session:
        other = world(session, "university")
        with pytest.raises(NotFound):
            deactivate_employee(session, other.users["office"], ann, now=NOW)
        with pytest.raises(NotFound):
            reactivate_employee(session, other.users["admin"], ann, now=NOW)
    w.session.expire_all()
    employee = w.session.get(Employee, ann)
    assert employee is not None and employee.active is True


def test_nobody_deactivates_the_employee_they_log_in_as(school: World) -> None:
    w = school
    clerk = w.users["office"]
    clerk.employee_id = w.employees["cat"].id
    w.session.flush()
    with pytest.raises(OfficeError, match="te stesso"):
        deactivate_employee(w.session, clerk, w.employees["cat"].id, now=NOW)


def test_the_ingest_refuses_the_badge_once_deactivated_and_accepts_it_again_once_reactivated(
        db_engine: sa.Engine, school: World) -> None:
    """A running ingest keeps its `Lookup` (badge S1 cached at 08:00); a fresh one, as a
    restarted ingest has, must refuse too."""
    w, ann = school, school.employees["ann"].id
    running = Lookup()
    assert swipe(db_engine, running, 1, "08:00") == "stored"
    deactivate_employee(w.session, w.users["office"], ann, now=NOW)
    w.session.commit()
    assert swipe(db_engine, running, 2, "12:00") == "rejected"
    assert swipe(db_engine, Lookup(), 3, "12:01") == "rejected"
    reactivate_employee(w.session, w.users["office"], ann, now=NOW)
    w.session.commit()
    assert swipe(db_engine, running, 4, "14:00") == "stored"
