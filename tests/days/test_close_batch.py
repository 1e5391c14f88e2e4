"""The month close evaluates each employee-day once and keeps the month's own days as the
stored day results: they must be exactly what the recompute of those days stores
(`refresh_days`), stamp corrections, a void, an approved missed stamp and a deactivation
included, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, at, hm, world

from server.days.dirty import mark_dirty
from server.days.results import refresh_days
from server.db.models import DAY_RESULTS, MONTH_CLOSE_ENTRIES, Stamp
from server.office import closing, corrections, decisions, requests

APRIL = (2026, 4)
AFTER_APRIL = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
DAYS = [date(2026, 4, 1) + timedelta(days=n) for n in range(30)]
COMPARED = ("worked", "due", "balance", "anomalies", "data", "stamps_seen", "computed_at")


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "school")


def stored(w: World) -> dict[tuple[int, date], tuple[Any, ...]]:
    rows = w.session.execute(sa.select(DAY_RESULTS).where(
        DAY_RESULTS.c.day.between(DAYS[0], DAYS[-1])))
    return {(r.employee_id, r.day): tuple(getattr(r, c) for c in COMPARED) for r in rows}


def test_the_close_stores_the_day_results_the_recompute_stores(school: World) -> None:
    w = school
    ann, bob, cat = (w.employees[k] for k in ("ann", "bob", "cat"))
    for day in (date(2026, 4, 7), date(2026, 4, 8), date(2026, 4, 9)):
        w.stamps("ann", day, "in 07:30, out 14:42")
    w.stamps("bob", date(2026, 4, 7), "in 07:40")  # the exit declared later
    w.stamps("cat", date(2026, 4, 8), "in 07:30, out 11:00, in 11:05, out 14:42")
    w.session.commit()
    out_id, = w.session.scalars(sa.select(Stamp.id).where(
        Stamp.employee_id == ann.id, Stamp.local_date == date(2026, 4, 8),
        Stamp.direction == "out"))
    corrections.correct_stamp(w.session, w.users["office"], out_id, minute=hm("15:30"),
                              direction="out", code=None, reason="uscita errata",
                              now=AFTER_APRIL - timedelta(days=10))
    doubled, = w.session.scalars(sa.select(Stamp.id).where(
        Stamp.employee_id == cat.id, Stamp.local_minute == hm("11:05")))
    corrections.void_stamp(w.session, w.users["office"], doubled, "timbratura doppia",
                           now=AFTER_APRIL - timedelta(days=10))
    filed = requests.file_missed_stamp(w.session, w.users["bob"], bob.id, date(2026, 4, 7),
                                       hm("14:42"), "out", "dimenticato",
                                       now=at(date(2026, 4, 7), "18:00"))
    decisions.approve(w.session, w.users["office"], filed.id,
                      now=at(date(2026, 4, 7), "19:00"))
    cat.active, cat.deactivated_at = False, at(date(2026, 4, 20), "12:00")
    w.session.commit()

    closing.close_month(w.session, w.users["office"], *APRIL, batch=2, reason="assenze",
                        now=AFTER_APRIL)
    by_close = stored(w)
    people = list(w.employees.values())
    refresh_days(w.session, [("school", e.id, d) for e in people for d in DAYS], AFTER_APRIL)
    by_recompute = stored(w)
    # When each was computed aside (the services stored the corrected days before the
    # close, which keeps them as they are): the same rows.
    assert {k: v[:-1] for k, v in by_close.items()} == {
        k: v[:-1] for k, v in by_recompute.items()}
    # What the comparison covers: whole months, the declared exit, the correction, the
    # void, and no day of Cat's after she left.
    assert len([k for k in by_close if k[0] == ann.id]) == 30
    assert by_close[(bob.id, date(2026, 4, 7))][0] == hm("07:02")
    assert by_close[(bob.id, date(2026, 4, 7))][5] == 1  # the declared exit is not a row
    assert by_close[(ann.id, date(2026, 4, 8))][5] == 2
    assert by_close[(cat.id, date(2026, 4, 8))][5] == 3
    assert max(d for e, d in by_close if e == cat.id) == date(2026, 4, 20)


def test_the_close_rewrites_only_the_days_that_changed_since_the_recompute(
        school: World) -> None:
    """What the recompute worker already stored stays; the days of someone with a day
    waiting for the worker, and the days after a deactivation, are what the close writes
    and deletes."""
    w = school
    ann, cat = w.employees["ann"], w.employees["cat"]
    for day in (date(2026, 4, 7), date(2026, 4, 8)):
        w.stamps("ann", day, "in 07:30, out 14:42")
        w.stamps("cat", day, "in 07:30, out 14:42")
    w.session.commit()
    recomputed = AFTER_APRIL - timedelta(days=3)
    people = list(w.employees.values())
    refresh_days(w.session, [("school", e.id, d) for e in people for d in DAYS], recomputed)
    w.session.commit()
    w.stamps("ann", date(2026, 4, 9), "in 07:30, out 16:00")  # not recomputed yet
    mark_dirty(w.session, [("school", ann.id, date(2026, 4, 9))], recomputed)
    cat.active, cat.deactivated_at = False, at(date(2026, 4, 20), "12:00")
    bob = w.employees["bob"]  # most of his stored month goes: written again by range
    bob.active, bob.deactivated_at = False, at(date(2026, 4, 2), "12:00")
    w.session.commit()

    closing.close_month(w.session, w.users["office"], *APRIL, batch=1, reason="assenze",
                        now=AFTER_APRIL)
    by_close = stored(w)
    assert sorted(d for e, d in by_close if e == bob.id) == DAYS[:2]
    when = {key: row[-1].replace(tzinfo=UTC) for key, row in by_close.items()}
    assert when[(ann.id, date(2026, 4, 9))] == AFTER_APRIL  # its stamps came later
    assert by_close[(ann.id, date(2026, 4, 9))][0] > 0
    # Ann's other days are written too (her month had a day waiting); Cat's stay.
    assert when[(ann.id, date(2026, 4, 8))] == AFTER_APRIL
    assert when[(cat.id, date(2026, 4, 8))] == recomputed
    assert max(d for e, d in by_close if e == cat.id) == date(2026, 4, 20)
    refresh_days(w.session, [("school", e.id, d) for e in people for d in DAYS], AFTER_APRIL)
    assert {k: v[:-1] for k, v in stored(w).items()} == {
        k: v[:-1] for k, v in by_close.items()}


def april_closed(session: Session, institution: str, ann_on_the_7th: str) -> World:
    """The institution's April closed (with a reason: its people's absences are open), Ann
    having stamped on the 7th."""
    w = world(session, institution)
    w.stamps("ann", date(2026, 4, 7), ann_on_the_7th)
    w.session.commit()
    closing.close_month(w.session, w.users["office"], *APRIL, reason="assenze",
                        now=AFTER_APRIL)
    return w


def test_a_month_closed_without_an_account_keeps_sql_null_not_json_null(
        db_engine: sa.Engine) -> None:
    """The chamber's rules keep no hours account: its entries keep no closing, no debts and
    no leave draws, as SQL NULL, for the readers that filter on IS NOT NULL (a JSON
    `null` read back as None broke the leave draws' reading)."""
    with Session(db_engine) as session:
        w = april_closed(session, "chamber", "in 08:00, out 14:00")
        entries = MONTH_CLOSE_ENTRIES.c
        kept = w.session.execute(sa.select(sa.func.count()).where(
            sa.or_(entries.account_closing.is_not(None), entries.account_debts.is_not(None),
                   entries.account_leave.is_not(None)))).scalar()
        done = w.session.execute(sa.select(sa.func.count()).where(
            entries.done.is_(True))).scalar()
        assert (kept, done) == (0, 3)


def test_the_frozen_account_read_back_is_the_one_the_close_computed(
        db_engine: sa.Engine) -> None:
    """The university keeps an hours account: a short day in April leaves a debt with its
    deadline. The entry keeps the closing, its debts and its (empty) leave draws as the
    account computed them, on both databases (PostgreSQL writes them in one UPDATE of
    unnested arrays, SQLite in an executemany)."""
    with Session(db_engine) as session:
        w = april_closed(session, "university", "in 08:00, out 11:00")
        entries = MONTH_CLOSE_ENTRIES.c
        kept = {row.employee_id: row for row in w.session.execute(sa.select(
            entries.employee_id, entries.balance, entries.evaluations, entries.account_closing,
            entries.account_debts, entries.account_leave))}
        ann = kept.pop(w.employees["ann"].id)
        assert kept and all(row.balance < ann.balance < 0 for row in kept.values())
        for row in (ann, *kept.values()):  # each row its own figures, not a neighbour's
            assert row.evaluations == 1 and row.account_leave == []
            assert row.account_closing == row.balance == -sum(
                debt["minutes"] for debt in row.account_debts)
            assert {debt["due"] for debt in row.account_debts} == {"2026-05-31"}
