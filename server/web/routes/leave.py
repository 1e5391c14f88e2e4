"""Leave in days through the API: an employee's balances on a day, and the opening balances
the personnel office records when the institution adopts timbra. The services are
`server.office.leave`; the figures are the ones Riepiloghi shows (`leave` in its JSON).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from litestar import get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, JSONBody

from server.errors import OfficeError
from server.i18n.current import gettext
from server.office.leave import leave_of_employee, record_opening
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import EMPLOYEE, MANAGER, OFFICE, allow
from server.web.office_calls import acting_user, parse_day
from server.web.routing import together
from server.web.scope import known_id, visible_employee
from server.web.summary_view import LeaveOut, leave_out

READERS = allow(EMPLOYEE, MANAGER, OFFICE)
OFFICE_ONLY = allow(OFFICE)
MAX_REASON = 500
MAX_NAME = 60


@dataclass
class OpeningIn:
    """What was left of a leave on the adoption day, in days (halves as .5): `left` of
    that year's own days, `carried` of the year before's (they lapse at the rule's date)."""

    leave: str
    on: date
    left: float
    carried: float = 0
    reason: str = ""


@dataclass(frozen=True)
class OpeningOut:
    employee_id: int
    leave: str
    on: date
    left: float
    carried: float


@get("/api/v1/employees/{employee_id:int}/leave", opt=READERS, sync_to_thread=True)
def leave_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
              on: FromQuery[str | None] = None) -> list[LeaveOut]:
    """The employee's leave in days for the year of `on` (YYYY-MM-DD, default today):
    entitled, carried and until when, taken, left, a capped leave's month; each figure
    with the rule that made it. Oneself, one's unit for a manager, anyone for the office."""
    visible_employee(db, user, known_id(employee_id))
    day = parse_day(on, "on") if on else datetime.now(UTC).date()
    return [leave_out(y) for y in leave_of_employee(db, acting_user(db, user), employee_id,
                                                    day)]


@post("/api/v1/employees/{employee_id:int}/leave/openings", opt=OFFICE_ONLY,
      sync_to_thread=True, status_code=201)
def opening_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                data: JSONBody[OpeningIn]) -> OpeningOut:
    """Record what an employee had left of a leave on the adoption day (again: replaces
    it; audited). Refused (400, the field in `extra`): a leave the rules in force that day
    lack, an amount outside 0–366 days or not a multiple of half a day."""
    if len(data.reason) > MAX_REASON or len(data.leave) > MAX_NAME:
        raise ValidationException(gettext("Fields too long"))
    left, carried = _halves(data.left, "left"), _halves(data.carried, "carried")
    row = record_opening(db, acting_user(db, user), known_id(employee_id), data.leave.strip(),
                         data.on, left, carried, data.reason)
    return OpeningOut(row.employee_id, row.leave, row.on, row.left_halves / 2,
                      row.carried_halves / 2)


def _halves(days: float, field: str) -> int:
    halves = days * 2
    if not math.isfinite(halves) or halves != int(halves):
        raise OfficeError("Indica i giorni interi o con mezza giornata (es. 12,5)",
                          "Give whole or half days (e.g. 12.5)", field=field)
    return int(halves)


ROUTES = together(leave_api, opening_api, tag="Leave")
