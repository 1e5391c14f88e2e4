"""The hours account's closings kept between reads (issue 16, "Adoption and the past"; issue
13, the timecard's p95): the recompute worker keeps each month's closing, a page carries
from the latest one, and a stamp dated in the past makes every later balance of that
employee follow at once on the pages and again in the table once the worker has run."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session
from world import World, world

from server.days.dirty import mark_dirty
from server.days.worker import Recomputer
from server.db.account_tables import AccountMonthRow
from server.office.summary import month_summary

APRIL_10 = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)


def work_off(engine: sa.Engine) -> None:
    """What `timbra recompute` (or the ingest's thread) does when the days are done."""
    worker = Recomputer(engine, lambda: APRIL_10)
    try:
        while worker.run_once():
            pass
    finally:
        worker.turn.release()


def kept(session: Session, employee_id: int) -> dict[tuple[int, int], int]:
    session.expire_all()
    return {(r.year, r.month): r.balance for r in session.scalars(
        select(AccountMonthRow).where(AccountMonthRow.employee_id == employee_id))}


def april(w: World, employee_id: int) -> tuple[int, int]:
    """April's account as the Riepiloghi show it: opening, and March's month balance."""
    summary = month_summary(w.session, w.users["office"], employee_id, 2026, 4, now=APRIL_10)
    march = month_summary(w.session, w.users["office"], employee_id, 2026, 3, now=APRIL_10)
    assert summary.account is not None and march.account is not None
    return summary.account.opening.balance, march.account.closing.balance


def test_a_stamp_dated_in_the_past_moves_every_later_balance(db_engine: sa.Engine) -> None:
    """Seed 002: «La flessibilità negativa deve essere recuperata, ovvero è automaticamente
    compensata, in caso di conto ore individuale positivo»: February's debt is carried into
    March; a stamp of March found in April changes what April opens with."""
    with Session(db_engine) as session:
        w = world(session, "university")
        ann = w.employees["ann"].id
        w.stamps("ann", date(2026, 2, 2), "in 08:00, out 12:00, in 12:45, out 16:00")
        w.session.commit()
        carried = april(w, ann)  # nothing kept yet: carried from February on the page
        assert carried[0] == carried[1]  # April opens with March's closing

        work_off(db_engine)
        assert kept(session, ann)[(2026, 3)] == carried[0]
        assert april(w, ann) == carried  # read from the kept closing: the same figure

        # A day of March reaches the database late, as the ingest writes it.
        w.stamps("ann", date(2026, 3, 2), "in 08:00, out 12:00, in 12:45, out 16:00")
        mark_dirty(w.session, [("university", ann, date(2026, 3, 2))], APRIL_10)
        w.session.commit()
        assert (2026, 3) not in kept(session, ann)  # March on: forgotten with the stamp
        assert (2026, 2) in kept(session, ann)  # February's facts did not change
        after = april(w, ann)
        assert after[0] == after[1] != carried[0]  # the pages follow before the worker

        work_off(db_engine)
        assert kept(session, ann)[(2026, 3)] == after[0]
        assert april(w, ann) == after
