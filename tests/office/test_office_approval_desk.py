"""The approver's desk: the queue searched and paged, and many requests decided at once,
each through the single decision (approval timing, month lock, audit, notification). On
SQLite and PostgreSQL (the `db_engine` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from test_office_approval_timing import activate
from world import World, at, hm, world

from server.db import make_engine, upgrade
from server.db.models import AuditEntry
from server.db.models import Request as RequestRow
from server.db.notifications import Notification
from server.errors import OfficeError
from server.office import decisions, requests
from server.office.approval_desk import MAX_BULK, MAX_PAGE_SIZE, decide_many, search_queue
from server.plugins import institutions

DAY = date(2026, 3, 16)  # a Monday


@pytest.fixture
def uni(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "university")


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "school")


@pytest.fixture
def school_on_sqlite(tmp_path: Path) -> Iterator[World]:
    """Checks made before any row is touched: one database is enough."""
    engine = make_engine(f"sqlite:///{tmp_path}/timbra.db")
    upgrade(engine)
    try:
        with Session(engine) as session:
            yield world(session, "school")
    finally:
        engine.dispose()


def missed(w: World, key: str, day: date) -> int:
    row = requests.file_missed_stamp(w.session, w.users["office"], w.employees[key].id, day,
                                     hm("08:00"), "in", "badge dimenticato",
                                     now=at(DAY + timedelta(days=1), "09:00"))
    return row.id


def test_the_queue_is_searched_by_name_number_code_and_day_a_page_at_a_time(
        uni: World) -> None:
    w = uni
    anns = [missed(w, "ann", DAY - timedelta(days=n)) for n in (0, 3, 4)]  # Mon, Fri, Thu
    cat = missed(w, "cat", DAY)
    bob = requests.file_justification(w.session, w.users["bob"], w.employees["bob"].id, DAY,
                                      "20", start=hm("18:00"), end=hm("19:00"),
                                      now=at(DAY, "20:00")).id
    w.session.commit()
    office = w.users["office"]

    def ids(**search: object) -> list[int]:
        return [r.id for r in search_queue(w.session, office, **search).rows]  # type: ignore[arg-type]

    assert ids() == [bob, *anns, cat]  # oldest first: Bob filed his on the day
    assert ids(text="ann") == anns and ids(text="AN") == anns  # the name, case aside
    assert ids(text="cat") == [cat]  # the number (CAT) or name
    assert ids(text="20") == [bob]  # the code
    assert ids(day=DAY) == [bob, anns[0], cat]
    assert ids(text="ann", day=DAY) == [anns[0]]
    assert ids(text="%") == [] and ids(text="_") == []  # no wildcard gets through
    # The lab's manager sees only the lab's requests, searched or not.
    assert [r.id for r in search_queue(w.session, w.users["lab_head"]).rows] == [bob, *anns]
    assert search_queue(w.session, w.users["lab_head"], text="cat").total == 0
    first = search_queue(w.session, office, size=2)
    assert (first.total, first.pages, [r.id for r in first.rows]) == (5, 3, [bob, anns[0]])
    last = search_queue(w.session, office, size=2, page=3)
    assert [r.id for r in last.rows] == [cat]
    assert search_queue(w.session, office, size=2, page=99).page == 3  # past the end: last
    for bad in ({"size": 0}, {"size": MAX_PAGE_SIZE + 1}, {"text": "x" * 101}):
        with pytest.raises(OfficeError):
            search_queue(w.session, office, **bad)  # type: ignore[arg-type]


def test_a_bulk_approval_decides_the_decidable_and_lists_the_others_with_why(
        school: World) -> None:
    """Each request goes through the single decision: the code's `approval director within
    48h` (approval_timing) refuses the late one, which stays pending; the others are
    approved, audited and told to the employee."""
    w = school
    source = institutions()["school"].rule_file.read_text(encoding="utf-8")
    start = source.index('code "PB" {')
    block = source[start:source.index("allowance short_permit", start)]
    activate(w, (block, block.replace("entered terminal\n", "entered terminal, web\n")
                 .replace("approval director\n", "approval director within 48h\n")))

    def permit(day: date) -> int:
        return requests.file_justification(w.session, w.users["ann"], w.employees["ann"].id,
                                           day, "PB", start=hm("10:00"), end=hm("11:00"),
                                           now=at(day, "09:00")).id

    late, on_time, also = permit(DAY), permit(DAY + timedelta(days=1)), permit(
        DAY + timedelta(days=2))
    gone = permit(DAY + timedelta(days=3))
    decisions.withdraw(w.session, w.users["ann"], gone, now=at(DAY, "12:00"))
    w.session.commit()
    office = w.users["office"]
    outcome = decide_many(w.session, office, [late, on_time, gone, also, on_time], "approve",
                          "visto", now=at(date(2026, 3, 19), "10:59"))
    w.session.commit()
    assert outcome.decided == [on_time, also]
    refused = {r.request_id: r.error for r in outcome.refused}
    assert set(refused) == {late, gone}
    assert "Termine scaduto" in refused[late].italian and "rifiutare" in refused[late].italian
    assert "già stata decisa o ritirata" in refused[gone].italian
    w.session.expire_all()
    states = {r.id: r.state for r in w.session.scalars(sa.select(RequestRow))}
    assert states == {late: "pending", on_time: "approved", also: "approved", gone: "withdrawn"}
    audited = w.session.scalars(sa.select(AuditEntry.target).where(
        AuditEntry.action == "request_approved")).all()
    assert sorted(audited) == sorted([f"request:{on_time}", f"request:{also}"])
    told = w.session.scalars(sa.select(Notification.event_key).where(
        Notification.user_id == w.users["ann"].id,
        Notification.kind == "request_approved")).all()
    assert sorted(told) == sorted([f"request_approved:{on_time}", f"request_approved:{also}"])


def test_a_bulk_decision_wrong_as_a_whole_changes_nothing(school_on_sqlite: World) -> None:
    w = school_on_sqlite
    filed = requests.file_missed_stamp(w.session, w.users["office"], w.employees["ann"].id,
                                       DAY, hm("08:00"), "in", "badge dimenticato",
                                       now=at(DAY, "09:00")).id
    w.session.commit()
    office = w.users["office"]
    for ids, decision, note, field in (
            ([filed], "reject", "  ", "decision_note"),  # a rejection says why
            ([], "approve", "", "ids"),
            (list(range(1, MAX_BULK + 2)), "approve", "", "ids"),
            ([filed], "maybe", "", "decision")):
        with pytest.raises(OfficeError) as refused:
            decide_many(w.session, office, ids, decision, note, now=at(DAY, "10:00"))
        assert refused.value.field == field
    w.session.rollback()
    assert w.session.get(RequestRow, filed).state == "pending"  # type: ignore[union-attr]
    outcome = decide_many(w.session, office, [filed, 10**30], "reject", "manca la firma",
                          now=at(DAY, "10:00"))
    assert outcome.decided == [filed] and [r.request_id for r in outcome.refused] == [10**30]
