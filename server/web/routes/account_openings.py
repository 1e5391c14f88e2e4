"""Opening balances of the hours account (conto ore), kept by the personnel office: the
API an institution adopting timbra imports its old system's balances through. The service
is `server.office.account_openings`; the balances are read, not stored, by the pages
(`server.days.account` carries them on every read), so nothing needs recomputing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from litestar import get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody

from server.db.account_tables import AccountOpening
from server.db.models import Employee
from server.i18n.current import gettext
from server.office.account_openings import openings_of, set_opening
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import MANAGER, OFFICE, allow
from server.web.office_calls import acting_user
from server.web.routing import together
from server.web.scope import mine

OFFICE_ONLY = allow(OFFICE)
READERS = allow(MANAGER, OFFICE)
MAX_REASON = 500


@dataclass(frozen=True)
class OpeningView:
    starts: date  # the first day of a month
    balance: int  # minutes; negative: a debt
    reason: str
    set_at: datetime


@dataclass
class OpeningIn:
    """The account's balance in minutes (negative: a debt) when `starts`, the first day of
    a month, begins."""

    starts: date
    balance: int
    reason: str = ""


def _view(row: AccountOpening) -> OpeningView:
    return OpeningView(row.starts, row.balance, row.reason, row.set_at)


@get("/api/v1/admin/employees/{employee_id:int}/account-openings", opt=READERS,
     sync_to_thread=True)
def openings_api(db: DbSession, user: AuthUser, employee_id: FromPath[int]) -> list[OpeningView]:
    """The employee's opening balances of the hours account, earliest first."""
    return [_view(r) for r in openings_of(db, acting_user(db, user), employee_id)]


@post("/api/v1/admin/employees/{employee_id:int}/account-openings", opt=OFFICE_ONLY,
      sync_to_thread=True, status_code=201)
def opening_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                data: JSONBody[OpeningIn]) -> OpeningView:
    """Set the employee's opening balance from a month (replacing one set for that month);
    audited. Refused (400, the field in `extra`): a day other than the 1st, a balance beyond
    ±9999 hours, a month more than a year ahead, a closed month."""
    if len(data.reason) > MAX_REASON:
        raise ValidationException(gettext("Reason too long"))
    row = set_opening(db, acting_user(db, user), mine(db, Employee, employee_id, user).id,
                      data.starts, data.balance, reason=data.reason)
    return _view(row)


ROUTES = together(openings_api, opening_api, tag="Hours account")
