"""The timecard (cartellino): a page and the same data as JSON."""

from __future__ import annotations

from datetime import date

from litestar import get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from server.i18n.current import gettext
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import EMPLOYEE, MANAGER, OFFICE, allow
from server.web.routing import together
from server.web.scope import visible_employee
from server.web.timecard import (
    MonthView,
    calendar_weeks,
    month_view,
    parse_month,
    week_of,
)
from server.web.wording import FIX_FORMS, FIX_LINKS, SOURCE_LABELS, WEEKDAYS

READERS = allow(EMPLOYEE, MANAGER, OFFICE)
# How the page lays the month out: the table of days, or a calendar of weeks (a phone's).
VIEWS = ("table", "calendar")


def _month(db: DbSession, user: AuthUser, employee_id: int, month: str | None) -> MonthView:
    employee = visible_employee(db, user, employee_id)
    today = date.today()
    try:
        year, number = parse_month(month, today)
    except ValueError:
        raise ValidationException(gettext("month: use YYYY-MM")) from None
    return month_view(db, employee, year, number)


@get("/timecard", opt=READERS, sync_to_thread=True)
def own_timecard(db: DbSession, user: AuthUser, month: FromQuery[str | None] = None,
                 view: FromQuery[str] = "table") -> Template:
    """The logged-in person's own month, as a table or (`view=calendar`) a calendar."""
    _check(view)
    if user.employee_id is None:
        raise NotFoundException(gettext("No timecard is linked to this account."))
    return _page(_month(db, user, user.employee_id, month), own=True, layout=view)


@get("/timecard/{employee_id:int}", opt=READERS, sync_to_thread=True)
def employee_timecard(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                      month: FromQuery[str | None] = None,
                      view: FromQuery[str] = "table") -> Template:
    """Someone's month: themselves, their unit's people for a manager, anyone for the office."""
    _check(view)
    return _page(_month(db, user, employee_id, month), own=employee_id == user.employee_id,
                 layout=view)


def _check(layout: str) -> None:
    if layout not in VIEWS:
        raise ValidationException(gettext("view: table or calendar"))


def _page(view: MonthView, *, own: bool, layout: str) -> Template:
    base = "/timecard" if own else f"/timecard/{view.employee_id}"
    return Template("timecard.html", context={
        "view": view, "base": base, "source_labels": SOURCE_LABELS, "weekday_names": WEEKDAYS,
        "fix_forms": FIX_FORMS if own else {}, "fix_links": FIX_LINKS,
        "layout": layout, "weeks": calendar_weeks(view) if layout == "calendar" else [],
        "week": week_of(view)})


@get("/api/v1/timecard/{employee_id:int}", opt=READERS, sync_to_thread=True)
def timecard_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                 month: FromQuery[str | None] = None) -> MonthView:
    """An employee's month (`month=YYYY-MM`, default this one): day by day, minutes, with the
    explanation steps of every figure (rule as written, file:line)."""
    return _month(db, user, employee_id, month)


ROUTES = together(own_timecard, employee_timecard, timecard_api, tag="Timecard")
