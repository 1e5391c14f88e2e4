"""The office changes an employee's profile: the stored day results of open months follow,
closed months never change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.days.results import refresh_days
from server.db.models import AuditEntry, DayResultRow, MonthClose
from server.errors import MonthClosed, NotAllowed, OfficeError
from server.office.profiles import change_profile

FEBRUARY_DAY, MARCH_2, MARCH_4 = date(2026, 2, 10), date(2026, 3, 2), date(2026, 3, 4)
COMPUTED = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
FULL_TIME_DUE, PART_TIME_DUE = 7 * 60 + 15, 6 * 60  # university.rules: due 7h15m / 6h


@pytest.fixture
def university(db_engine: sa.Engine) -> Iterator[World]:
    """Ann, full time, stamped on a February day (February closed) and on 2 and 4 March;
    their results were stored with the full-time profile."""
    with Session(db_engine) as session:
        w = world(session, "university")
        ann = w.employees["ann"]
        for day in (FEBRUARY_DAY, MARCH_2, MARCH_4):
            w.stamps("ann", day, "in 08:00, out 16:00")
        refresh_days(session, [("university", ann.id, d)
                               for d in (FEBRUARY_DAY, MARCH_2, MARCH_4)], COMPUTED)
        session.add(MonthClose(institution_id="university", year=2026, month=2,
                               state="closed", done=3, total=3,
                               started_by=w.users["office"].id, started_at=COMPUTED,
                               closed_at=COMPUTED))
        session.commit()
        yield w


def stored(w: World) -> dict[date, tuple[int, datetime]]:
    w.session.expire_all()
    return {r.day: (r.due, r.computed_at) for r in w.session.scalars(
        sa.select(DayResultRow).where(DayResultRow.employee_id == w.employees["ann"].id))}


def test_a_profile_change_refreshes_the_open_month_and_leaves_the_closed_month_untouched(
        university: World) -> None:
    w = university
    assert {d: due for d, (due, _) in stored(w).items()} == {
        FEBRUARY_DAY: FULL_TIME_DUE, MARCH_2: FULL_TIME_DUE, MARCH_4: FULL_TIME_DUE}
    change = change_profile(w.session, w.users["office"], w.employees["ann"].id,
                            profile="part_time_6h", part_time_percent=83, now=NOW)
    w.session.commit()
    assert (change.start, change.refreshed) == (date(2026, 3, 1), 2)
    assert stored(w) == {FEBRUARY_DAY: (FULL_TIME_DUE, COMPUTED),
                         MARCH_2: (PART_TIME_DUE, NOW), MARCH_4: (PART_TIME_DUE, NOW)}
    entry = w.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "employee_profile_changed")).one()
    assert entry.detail["before"] == {"profile": "full_time", "part_time_percent": 100}
    assert entry.detail["after"] == {"profile": "part_time_6h", "part_time_percent": 83}


def test_a_profile_change_dated_in_a_closed_month_is_refused_and_one_in_the_open_month_applies(
        university: World) -> None:
    w = university
    """A change of contract dated in a closed month would change that month's figures: it
    is refused naming the month, and nothing changes; dated in the open month, it
    refreshes the days from its date."""
    with pytest.raises(MonthClosed, match="02/2026"):
        change_profile(w.session, w.users["office"], w.employees["ann"].id,
                       profile="part_time_6h", effective=date(2026, 2, 1), now=NOW)
    w.session.rollback()
    assert stored(w)[FEBRUARY_DAY] == (FULL_TIME_DUE, COMPUTED)
    change = change_profile(w.session, w.users["office"], w.employees["ann"].id,
                            profile="part_time_6h", effective=date(2026, 3, 1), now=NOW)
    later = change_profile(w.session, w.users["office"], w.employees["ann"].id,
                           profile="full_time", effective=date(2026, 3, 3), now=NOW)
    w.session.commit()
    assert (change.refreshed, later.refreshed) == (2, 1)
    assert {d: due for d, (due, _) in stored(w).items()} == {
        FEBRUARY_DAY: FULL_TIME_DUE, MARCH_2: PART_TIME_DUE, MARCH_4: FULL_TIME_DUE}


def test_a_profile_change_is_refused_for_non_office_unknown_profiles_and_future_dates(
        university: World) -> None:
    w, ann = university, university.employees["ann"].id
    with pytest.raises(NotAllowed):
        change_profile(w.session, w.users["lab_head"], ann, profile="part_time_6h", now=NOW)
    with pytest.raises(OfficeError, match="assente"):
        change_profile(w.session, w.users["office"], ann, profile="no_such", now=NOW)
    with pytest.raises(OfficeError, match="futuro"):
        change_profile(w.session, w.users["office"], ann, profile="part_time_6h",
                       effective=date(2026, 3, 6), now=NOW)
    with pytest.raises(OfficeError, match="1-100"):
        change_profile(w.session, w.users["office"], ann, part_time_percent=0, now=NOW)
    w.session.rollback()
    assert {due for due, _ in stored(w).values()} == {FULL_TIME_DUE}


def test_a_profile_change_effective_before_the_institution_has_rules_is_refused_on_the_date(
        university: World) -> None:
    w = university
    with pytest.raises(OfficeError, match="Nessuna regola in vigore") as refused:
        change_profile(w.session, w.users["office"], w.employees["ann"].id,
                       profile="part_time_6h", effective=date(1990, 1, 1), now=NOW)
    assert refused.value.field == "effective"
