"""An employee's contracts, kept by the personnel office: the "Contracts" card of the
employee's page (`/admin/employees/{id}`, whose page is `employee_changes.py`) and the API.
The service is `server.office.contracts`; the stored days a change affects are marked
dirty and the web's recompute worker is kicked after the commit. Another institution's
employee is a 404; refusals (bad or overlapping dates, a closed month, an unknown profile)
are 400 with the form `field` in `extra`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from litestar import get, post
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from server.db.contract_tables import NO_START, ContractRow
from server.db.models import Employee
from server.errors import OfficeError
from server.i18n.current import gettext
from server.office.contracts import (
    ContractChange,
    add_contract,
    change_contract,
    contracts_on_record,
    set_dates,
)
from server.web.dependencies import AuthUser, DbSession, after_commit
from server.web.errors import status_of
from server.web.guards import MANAGER, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.office_calls import acting_user, parse_day
from server.web.routes.employee_changes import employee_page_with
from server.web.routing import FORM, together
from server.web.scope import known_id, mine

OFFICE_ONLY = allow(OFFICE)
READERS = allow(MANAGER, OFFICE)
MAX_REASON = 500


@dataclass(frozen=True)
class ContractView:
    id: int
    start: date | None  # None: no start on record (employed from the earliest day)
    end: date | None  # inclusive; None: open-ended
    profile: str
    part_time_percent: int
    reason: str
    set_at: datetime


@dataclass
class ContractIn:
    """A new contract: `end` absent for open-ended; `profile` absent for the employee's."""

    start: date
    end: date | None = None
    profile: str | None = None
    part_time_percent: int = 100
    reason: str = ""


@dataclass
class ContractChangeIn:
    """From `effective` on, the contract in force continues with this profile and/or
    part-time percentage."""

    effective: date
    profile: str | None = None
    part_time_percent: int | None = None
    reason: str = ""


@dataclass
class ContractDatesIn:
    """The contract's start and end (`end` absent or null: open-ended)."""

    start: date
    end: date | None = None
    reason: str = ""


@dataclass(frozen=True)
class ContractOutcome:
    contract: ContractView
    marked: int  # stored day results marked for recompute


@dataclass
class ContractForm:
    kind: str = "add"  # add, change, dates
    contract_id: str = ""  # for dates
    start: str = ""
    end: str = ""
    profile: str = ""
    part_time_percent: str = ""
    reason: str = ""


def contract_view(row: ContractRow) -> ContractView:
    return ContractView(row.id, None if row.starts == NO_START else row.starts, row.ends,
                        row.profile, row.part_time_percent, row.reason, row.set_at)


def _outcome(change: ContractChange) -> ContractOutcome:
    return ContractOutcome(contract_view(change.contract), change.marked)


def _percent(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise OfficeError("Percentuale non valida (1-100)", "Invalid percentage (1-100)",
                          field="part_time_percent") from None


def _from_form(db: Session, user: CurrentUser, employee: Employee,
               data: ContractForm) -> ContractChange:
    actor = acting_user(db, user)
    reason = data.reason[:MAX_REASON + 1]
    end = parse_day(data.end, "end") if data.end.strip() else None
    percent = _percent(data.part_time_percent)
    if data.kind == "change":
        return change_contract(db, actor, employee.id, effective=parse_day(data.start, "start"),
                               profile=data.profile.strip() or None,
                               part_time_percent=percent, reason=reason)
    if data.kind == "dates":
        if not data.contract_id.strip().isdigit():
            raise OfficeError("Contratto non indicato", "No contract given", field="start")
        start = parse_day(data.start, "start") if data.start.strip() else NO_START
        return set_dates(db, actor, employee.id, known_id(int(data.contract_id)),
                         start=start, end=end, reason=reason)
    return add_contract(db, actor, employee.id, start=parse_day(data.start, "start"), end=end,
                        profile=data.profile.strip() or None,
                        part_time_percent=100 if percent is None else percent, reason=reason)


@post("/admin/employees/{employee_id:int}/contracts", opt=OFFICE_ONLY, sync_to_thread=True,
      status_code=303)
def contract_form(db: DbSession, user: AuthUser, state: State, employee_id: FromPath[int],
                  data: Annotated[ContractForm, FORM]) -> Template | Redirect:
    """The card's three forms: a new contract, a change from a date, a contract's dates."""
    employee = mine(db, Employee, employee_id, user)
    try:
        with db.begin_nested():
            _from_form(db, user, employee, data)
    except OfficeError as error:
        return employee_page_with(db, user, employee, error=error, error_in="contract",
                                  typed=vars(data), status=status_of(error))
    after_commit(db, state.day_worker.kick)
    return Redirect(f"/admin/employees/{employee.id}?done=contract#contracts",
                    status_code=303)


@get("/api/v1/admin/employees/{employee_id:int}/contracts", opt=READERS, sync_to_thread=True)
def contracts_api(db: DbSession, user: AuthUser,
                  employee_id: FromPath[int]) -> list[ContractView]:
    """The employee's contracts, earliest first; a day none covers is not due."""
    return [contract_view(c) for c in contracts_on_record(db, acting_user(db, user),
                                                          known_id(employee_id))]


def _bounded(reason: str, profile: str | None) -> None:
    if len(reason) > MAX_REASON or len(profile or "") > 60:
        raise ValidationException(gettext("Fields too long"))


@post("/api/v1/admin/employees/{employee_id:int}/contracts", opt=OFFICE_ONLY,
      sync_to_thread=True, status_code=201)
def add_contract_api(db: DbSession, user: AuthUser, state: State, employee_id: FromPath[int],
                     data: JSONBody[ContractIn]) -> ContractOutcome:
    """A new contract (a hiring). Refused (400): an end before the start, a contract it
    overlaps, a percentage outside 1-100, a profile the rules in force lack, a boundary
    in a closed month, a date more than a year ahead."""
    _bounded(data.reason, data.profile)
    change = add_contract(db, acting_user(db, user), mine(db, Employee, employee_id, user).id,
                          start=data.start, end=data.end, profile=data.profile,
                          part_time_percent=data.part_time_percent, reason=data.reason)
    after_commit(db, state.day_worker.kick)
    return _outcome(change)


@post("/api/v1/admin/employees/{employee_id:int}/contracts/change", opt=OFFICE_ONLY,
      sync_to_thread=True, status_code=200)
def change_contract_api(db: DbSession, user: AuthUser, state: State,
                        employee_id: FromPath[int],
                        data: JSONBody[ContractChangeIn]) -> ContractOutcome:
    """A change of profile and/or part-time percentage from `effective`: the contract in
    force that day ends the day before, the new one takes the rest of its term."""
    _bounded(data.reason, data.profile)
    change = change_contract(db, acting_user(db, user),
                             mine(db, Employee, employee_id, user).id,
                             effective=data.effective, profile=data.profile,
                             part_time_percent=data.part_time_percent, reason=data.reason)
    after_commit(db, state.day_worker.kick)
    return _outcome(change)


@post("/api/v1/admin/employees/{employee_id:int}/contracts/{contract_id:int}/dates",
      opt=OFFICE_ONLY, sync_to_thread=True, status_code=200)
def contract_dates_api(db: DbSession, user: AuthUser, state: State,
                       employee_id: FromPath[int], contract_id: FromPath[int],
                       data: JSONBody[ContractDatesIn]) -> ContractOutcome:
    """Set a contract's start and end: a contract ending, a start corrected."""
    _bounded(data.reason, None)
    change = set_dates(db, acting_user(db, user), mine(db, Employee, employee_id, user).id,
                       known_id(contract_id), start=data.start, end=data.end,
                       reason=data.reason)
    after_commit(db, state.day_worker.kick)
    return _outcome(change)


ROUTES = together(contract_form, contracts_api, add_contract_api, change_contract_api,
                  contract_dates_api, tag="Office: contracts")
