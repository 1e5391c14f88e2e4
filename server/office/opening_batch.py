"""What the three opening services (`account_openings`, `leave`, `allowance_openings`)
check a figure against and what they write, for one employee or a file's thousands.

An `OpeningBatch` reads once what every figure is checked against: the institution's
closed months, its rules in force, and the openings already recorded for the employees
given. Each service then checks its figure with no query, sets its row (a row on record
changed in the session, a new one queued) and queues its audit entry and the kept account
closings to forget; `write` flushes the changes, inserts the new rows and the audit
entries table by table (no ORM object each: that was most of what remained) and forgets
the closings, a few statements for any number of figures. The import of 10,000 people is
then the speed of its rows, not of 60,000 queries and flushes; the employee page's card
takes the same path with one employee. The caller checks that the actor is the office,
and undoes the batch (a savepoint) when any figure is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.days.account_months import forget
from server.days.month_lock import locked_months
from server.days.rules_in_force import RulesInForce
from server.db.account_tables import AccountOpening
from server.db.allowance_tables import AllowanceOpening
from server.db.keys import one_of
from server.db.leave_tables import LeaveOpening
from server.db.models import AuditEntry, Base, User
from server.office.audit import entry_row
from server.policy.model import Version

CHUNK = 500  # employees a query reads the openings of


class OpeningBatch:
    """The openings of some employees of the actor's institution, checked and written
    together."""

    def __init__(self, session: Session, actor: User, now: datetime,
                 employee_ids: Iterable[int]) -> None:
        self.session, self.actor, self.now = session, actor, now
        self.institution_id = actor.institution_id
        self._locked = locked_months(session, self.institution_id)
        self._rules = RulesInForce(session, [self.institution_id])
        self._versions: dict[date, Version | None] = {}
        # The yearly names on a day (`allowance_openings.yearly_names`), once a batch.
        self.yearly: dict[date, dict[str, str]] = {}
        self.account: dict[tuple[int, date], AccountOpening] = {}
        self.leaves: dict[tuple[int, str], LeaveOpening] = {}
        self.allowances: dict[tuple[int, str, date], AllowanceOpening] = {}
        ids = sorted(set(employee_ids))
        for start in range(0, len(ids), CHUNK):
            self._read(ids[start:start + CHUNK])
        self._new: dict[type[Base], dict[tuple[Any, ...], dict[str, Any]]] = {}
        self._audit: list[dict[str, Any]] = []
        self._forget: list[tuple[int, date]] = []

    def _read(self, ids: list[int]) -> None:
        for account in self.session.scalars(select(AccountOpening).where(
                one_of(AccountOpening.employee_id, ids))):
            self.account[(account.employee_id, account.starts)] = account
        for leave in self.session.scalars(select(LeaveOpening).where(
                one_of(LeaveOpening.employee_id, ids))):
            self.leaves[(leave.employee_id, leave.leave)] = leave
        for used in self.session.scalars(select(AllowanceOpening).where(
                one_of(AllowanceOpening.employee_id, ids))):
            self.allowances[(used.employee_id, used.name, used.starts)] = used

    def is_locked(self, day: date) -> bool:
        """Whether `day`'s month is closed (or being closed): its balances are the close's."""
        return (day.year, day.month) in self._locked

    def version_on(self, day: date) -> Version | None:
        """The institution's rules in force on `day`; None when none is."""
        if day not in self._versions:
            policy = self._rules.on(self.institution_id, day)
            try:
                self._versions[day] = policy.version_on(day) if policy is not None else None
            except LookupError:  # no version yet on that day
                self._versions[day] = None
        return self._versions[day]

    def put(self, table: type[Base], on_record: Base | None, key: tuple[Any, ...],
            identity: dict[str, Any], values: dict[str, Any]) -> None:
        """`values` set on the row on record, or a new row of `identity` and `values`,
        `key` its unique key, inserted with the others by `write`. A key is set once a
        batch (one line per employee, one figure per name): a new row is never set again."""
        if on_record is not None:
            for column, value in values.items():
                setattr(on_record, column, value)
            return
        new = self._new.setdefault(table, {})
        assert key not in new, key
        new[key] = {**identity, **values}

    def audit(self, action: str, target: str, detail: dict[str, Any]) -> None:
        self._audit.append(entry_row(self.actor, action, target, detail, now=self.now))

    def forget_from(self, employee_id: int, day: date) -> None:
        """The account's kept closings from `day`'s month on are forgotten when written."""
        self._forget.append((employee_id, day))

    def write(self) -> None:
        """The rows set, the closings forgotten, the audit entries: in this transaction."""
        self.session.flush()
        for table, rows in self._new.items():
            self.session.execute(insert(table), list(rows.values()))
        forget(self.session, self._forget)
        if self._audit:
            self.session.execute(insert(AuditEntry), self._audit)
        self._new, self._audit, self._forget = {}, [], []
