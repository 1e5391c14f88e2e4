"""A half-timer's debt not recovered, drawn from her ferie in her own days (issue 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import world

from server.days.rules_in_force import RulesInForce
from server.engine.account import day_of_leave
from server.office.contracts import change_contract
from server.office.leave import leave_of_employee
from server.office.summary import month_summary

APRIL_10 = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)


def test_a_half_timer_missing_a_whole_day_gives_a_whole_day_of_ferie(
        db_engine: sa.Engine) -> None:
    """Seed 003: «Il mancato recupero del debito orario, entro i due mesi successivi a quello
    in cui si é verificato, comporterà ... o a scelta del dipendente la compensazione con
    giorni di ferie». Ann works at 50% on school.rules' full-time profile (`due 7h12m`): her
    day owes 3h36. She works every January day in full but the 14th, which she misses; not
    recovered by March, that debt is one of her days, so one day of ferie, not half of one."""
    with Session(db_engine) as session:
        w = world(session, "school")
        ann = w.employees["ann"].id
        change_contract(session, w.users["office"], ann, effective=date(2025, 12, 1),
                        part_time_percent=50, now=APRIL_10)
        day = date(2026, 1, 2)
        while day.month == 1:
            if day.weekday() < 5 and day not in (date(2026, 1, 6), date(2026, 1, 14)):
                w.stamps("ann", day, "in 08:00, out 11:36")
            day += timedelta(days=1)
        session.commit()

        policy = RulesInForce(session, ["school"]).on("school", date(2026, 3, 31))
        assert policy is not None
        her_day = day_of_leave(policy, "full_time", date(2026, 3, 31), part_time=50)
        january = month_summary(session, w.users["office"], ann, 2026, 1, now=APRIL_10)
        assert -january.result.balance == her_day  # the 14th, missed

        march = month_summary(session, w.users["office"], ann, 2026, 3, now=APRIL_10)
        assert march.account is not None
        used = next(m for m in march.account.movements if m.kind == "leave")
        assert (used.minutes, used.leave, used.halves) == (her_day, "ferie", 2)
        ferie = next(y for y in leave_of_employee(session, w.users["ann"], ann,
                                                  date(2026, 4, 10), now=APRIL_10)
                     if y.name == "ferie")
        assert ferie.compensated == 2
