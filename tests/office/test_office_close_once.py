"""A month's first close evaluates each employee-day once (issue 13).

Nothing of April is stored before its first close, so its pre-check has to evaluate the
month; the close must not evaluate it a second time. Started with a reason, the start
evaluates nothing and the steps evaluate everyone; started without one (nothing open),
the months the check evaluated are the close's. Either way each April day of each
employee reaches the engine once, and the close keeps what the pages compute."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

import server.engine.month as engine_month
from server.db.models import DayResultRow
from server.office import closing
from server.office.summary import month_summary

APRIL = (2026, 4)
AFTER_APRIL = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
PEOPLE = ("ann", "bob", "cat")


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "school")


@pytest.mark.parametrize("reason", ["assenze da giustificare: si chiude per le paghe", None],
                         ids=["with a reason", "nothing open"])
def test_a_first_close_evaluates_each_employee_day_once(
        school: World, monkeypatch: pytest.MonkeyPatch, reason: str | None) -> None:
    w, office = school, school.users["office"]
    if reason is None:  # nothing open: every day April owes stamped in full
        for key in PEOPLE:
            for day in closing.month_results(w.session, w.institution, [w.employees[key]],
                                             *APRIL)[w.employees[key].id].days:
                if day.due:
                    w.stamps(key, day.day, "in 07:30, out 14:42")
    w.session.commit()
    ids = [w.employees[k].id for k in PEOPLE]
    assert w.session.scalar(sa.select(sa.func.count()).select_from(DayResultRow).where(
        DayResultRow.employee_id.in_(ids))) == 0  # nothing stored: the check evaluates
    evaluated: Counter[date] = Counter()
    real = engine_month.evaluate_day

    def counted(policy: Any, schedule: Any, day: date, *args: Any) -> Any:
        evaluated[day] += 1
        return real(policy, schedule, day, *args)

    monkeypatch.setattr(engine_month, "evaluate_day", counted)
    final = closing.close_month(w.session, office, *APRIL, batch=2, reason=reason,
                                now=AFTER_APRIL)
    monkeypatch.undo()
    assert (final.state, final.done, final.total) == ("closed", 3, 3)
    april = {day: n for day, n in evaluated.items() if (day.year, day.month) == APRIL}
    assert len(april) == 30 and set(april.values()) == {len(PEOPLE)}, april
    # What the close kept is what the month summary shows.
    figures = {f.employee_id: f for f in closing.close_figures(w.session, office, *APRIL)}
    for employee_id in ids:
        shown = month_summary(w.session, office, employee_id, *APRIL).result
        kept = figures[employee_id]
        assert (kept.worked, kept.due, kept.balance, kept.anomalies) == (
            shown.worked, shown.due, shown.balance, len(shown.anomalies))
    assert w.session.scalar(sa.select(sa.func.count()).select_from(DayResultRow).where(
        DayResultRow.employee_id.in_(ids))) == 30 * len(PEOPLE)
