"""Whether an employee is employed on a day, and under which contract: the one rule, read
by the month a person sees (`server.days.month`), the stored day results
(`server.days.results`) and the schedules fed to the engine (`server.days.schedules`).

A day is employed when one of the employee's contracts covers it (from its `start` to its
`end`, both inclusive; `server.db.contract_tables`) and it is not after a deactivation.
Days outside every contract, like the days after a deactivation, are not due and are not
evaluated at all: no absence, no anomaly. A deactivated employee's last day is the local
date of the deactivation: the ingest still counts their stamps taken before that moment
(`server.ingest.lookup.Holder`), so that day is theirs. Someone who left in December still
belongs to November's close, reports and flags (`employed_from`).

For those who build on contracts (an hours account, leave prorated by days under
contract): `contracts_of`, `contracts_between` and `contract_on` answer `Contract`s, each
with its `start` (`NO_START`, 0001-01-01, when none is on record), `end` (None: open),
`part_time_percent` and `profile`. An employee with no contract row at all (a row written
outside `server.db.directory.add_employee`) has one open contract on their profile and
percentage from `NO_START`, so every day stays employed as before contracts existed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from server.db.contract_tables import NO_START, ContractRow
from server.db.keys import one_of
from server.db.models import Employee


class Employment(Protocol):
    """An `Employee` row, or any row with these two columns."""

    @property
    def active(self) -> bool: ...

    @property
    def deactivated_at(self) -> datetime | None: ...


class Holder(Protocol):
    """An `Employee` row, or any row with these columns: whose contracts to read."""

    @property
    def id(self) -> int: ...

    @property
    def profile(self) -> str: ...

    @property
    def part_time_percent(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Contract:
    """One contract, or one change of contract, with its dates (both inclusive)."""

    start: date  # NO_START: no start on record, employed from the earliest day
    end: date | None  # None: open-ended
    part_time_percent: int  # 100: full time
    profile: str  # the rule file's profile of its days (a schedule period may override it)

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, first: date, last: date) -> bool:
        return self.start <= last and (self.end is None or self.end >= first)


Contracts = dict[int, tuple[Contract, ...]]  # employee id -> contracts, by start


def contracts_of(session: Session, employees: Collection[Holder]) -> Contracts:
    """Every contract of these employees, by start, in one query."""
    found: dict[int, list[Contract]] = {}
    ids = [e.id for e in employees]
    for start in range(0, len(ids), 5000):
        rows = session.execute(select(
            ContractRow.employee_id, ContractRow.starts, ContractRow.ends,
            ContractRow.part_time_percent, ContractRow.profile).where(
            one_of(ContractRow.employee_id, ids[start:start + 5000])))
        for employee_id, starts, ends, percent, profile in rows:
            found.setdefault(employee_id, []).append(Contract(starts, ends, percent, profile))
    return {e.id: tuple(sorted(found[e.id], key=lambda c: c.start)) if e.id in found
            else (Contract(NO_START, None, e.part_time_percent, e.profile),)
            for e in employees}


def contracts_between(session: Session, employee: Holder, first: date,
                      last: date) -> list[Contract]:
    """The employee's contracts that cover any day from `first` to `last`, by start."""
    return [c for c in contracts_of(session, [employee])[employee.id]
            if c.overlaps(first, last)]


def contract_on(session: Session, employee: Holder, day: date) -> Contract | None:
    """The contract that covers `day`; None: not under contract that day."""
    return covering(contracts_of(session, [employee])[employee.id], day)


def covering(contracts: Sequence[Contract], day: date) -> Contract | None:
    for contract in contracts:
        if contract.covers(day):
            return contract
    return None


def last_day(employee: Employment, zone: ZoneInfo) -> date | None:
    """The last day a deactivated employee was employed; None while active."""
    if employee.active or employee.deactivated_at is None:
        return None
    return employee.deactivated_at.astimezone(zone).date()


def employed_on(employee: Employment, day: date, zone: ZoneInfo,
                contracts: Sequence[Contract]) -> bool:
    """Under one of `contracts` (the employee's, `contracts_of`) and not after a
    deactivation."""
    last = last_day(employee, zone)
    return (last is None or day <= last) and covering(contracts, day) is not None


def days_off(employee: Employment, contracts: Sequence[Contract], zone: ZoneInfo,
             first: date, last: date) -> frozenset[date]:
    """The days from `first` to `last` the employee is not employed on (`employed_on`)."""
    gone = last_day(employee, zone)
    if (gone is None or gone >= last) and any(c.covers(first) and c.covers(last)
                                              for c in contracts):
        return frozenset()  # the common case, without a look at each day
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return frozenset(d for d in days if not employed_on(employee, d, zone, contracts))


def employed_from(first: date, zone: ZoneInfo) -> ColumnElement[bool]:
    """SQL condition: employed on `first` or later (active, or deactivated on or after
    that local day), so a month's lists keep whoever worked any day of it."""
    start = datetime.combine(first, time(), zone).astimezone(UTC)
    return or_(Employee.active.is_(True), Employee.deactivated_at >= start)
