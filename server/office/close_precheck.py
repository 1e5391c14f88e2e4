"""The close's pre-check: per employee, the month's pending requests and open anomalies.

A request still pending when the month locks can no longer be decided, and seed 002 says
unfixed anomalies prevent "la chiusura del mese". A month already stored and current is
read from its stored day results (`server.days.stored_anomalies`); the others are
evaluated as the pages evaluate them (`month_results`), and the months so evaluated can be
handed to the close that follows (`open_items(handover=...)`), which then does not
evaluate them again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.days import employment
from server.days.employment import employed_from
from server.days.month import PersonMonth, month_bounds, month_through
from server.days.rules_in_force import RulesInForce, policy_on
from server.days.stored_anomalies import stored_anomalies
from server.db.keys import one_of
from server.db.models import Employee
from server.db.models import Request as RequestRow
from server.engine import MonthResult
from server.office.audit import utcnow
from server.office.summary import months_of

CHECK_BATCH = 200  # employees evaluated at a time by the pre-check


@dataclass(frozen=True)
class OpenItems:
    """What one employee still has open in the month."""

    employee_id: int
    number: str
    name: str
    pending_requests: int
    open_anomalies: int


@dataclass(frozen=True)
class Precheck:
    month: str  # YYYY-MM
    employees: list[OpenItems]  # only those with something open, by employee number

    @property
    def pending_requests(self) -> int:
        return sum(e.pending_requests for e in self.employees)

    @property
    def open_anomalies(self) -> int:
        return sum(e.open_anomalies for e in self.employees)

    @property
    def clear(self) -> bool:
        return not self.employees


def month_results(session: Session, institution_id: str, employees: Sequence[Employee],
                  year: int, month: int) -> dict[int, MonthResult]:
    """The month of these employees, as every page shows it: the one place the close and
    its pre-check compute a month, so both follow whatever computes it for the pages."""
    return {e: m.result for e, m in close_months(session, institution_id, employees, year,
                                            month, None).items()}


def close_months(session: Session, institution_id: str, employees: Sequence[Employee],
            year: int, month: int, now: datetime | None) -> dict[int, PersonMonth]:
    return months_of(session, RulesInForce(session, [institution_id]), employees, year,
                     month, now=now)


Handover = Callable[[dict[int, PersonMonth]], None]


def open_items(session: Session, institution_id: str, year: int, month: int, *,
               now: datetime | None = None, handover: Handover | None = None) -> Precheck:
    """What is open in the month; `handover` receives each batch of months the check had
    to evaluate (as the close computes them at `now`), for the close to keep."""
    first, last = month_bounds(year, month)
    pending = _pending(session, institution_id, first, last)
    zone = zone_of(session, institution_id, first)
    active = list(session.scalars(select(Employee).where(
        Employee.institution_id == institution_id, employed_from(first, zone))
        .order_by(Employee.id)))
    # A month over for someone employed to its end: its stored day results, if current,
    # count its anomalies; the others are evaluated as the pages evaluate them.
    whole = [e.id for e in active if _through(now or utcnow(), zone, e, last) == last]
    anomalies = Counter(stored_anomalies(session, institution_id, whole, first, last))
    evaluated = [e for e in active if e.id not in anomalies]
    for start in range(0, len(evaluated), CHECK_BATCH):
        months = close_months(session, institution_id, evaluated[start:start + CHECK_BATCH],
                              year, month, now)
        anomalies.update({e: len(m.result.anomalies) for e, m in months.items()})
        if handover is not None:
            handover(months)
    anomalies = +anomalies  # only those with something open
    people = {e.id: e for e in active}
    missing = set(pending) - set(people)
    if missing:
        people.update({e.id: e for e in session.scalars(
            select(Employee).where(one_of(Employee.id, missing)))})
    listed = [OpenItems(e, people[e].number, people[e].name, pending[e], anomalies[e])
              for e in set(pending) | set(anomalies)]
    return Precheck(f"{year:04d}-{month:02d}",
                    sorted(listed, key=lambda o: (o.number, o.employee_id)))


def pending_requests(session: Session, institution_id: str, year: int, month: int) -> int:
    """The month's requests still pending, of anyone."""
    return sum(_pending(session, institution_id, *month_bounds(year, month)).values())


def _pending(session: Session, institution_id: str, first: date, last: date,
             ) -> Counter[int]:
    # Anyone's pending request counts, active or not: once locked, nobody can decide it.
    return Counter(dict(session.execute(
        select(RequestRow.employee_id, func.count()).where(
            RequestRow.institution_id == institution_id, RequestRow.state == "pending",
            RequestRow.day.between(first, last)).group_by(RequestRow.employee_id)).all()))


def _through(now: datetime, zone: ZoneInfo, employee: Employee, last: date) -> date:
    """The last day of the month that counts for this employee today, as the month a
    person sees counts it (`server.days.month`)."""
    return month_through(now.astimezone(zone).date(), employment.last_day(employee, zone), last)


def zone_of(session: Session, institution_id: str, day: date) -> ZoneInfo:
    return ZoneInfo(policy_on(session, institution_id, day).timezone)
