"""Opening balances of the hours account, set by the personnel office.

An institution adopting timbra brings each employee's balance from its old system: the
balance in minutes (negative: a debt) at the start of a month. The account is carried
from the latest opening, unless a later month has been closed (`server.days.account`).
A closed month cannot take an opening: its balance is the one the close kept. Every
change is audited with the balance before and after.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.account_tables import AccountOpening
from server.db.models import Employee, User
from server.errors import OfficeError
from server.office.audit import utcnow
from server.office.bounds import bounded_text, within_reach
from server.office.opening_batch import OpeningBatch
from server.office.people import employee_in_reach, employee_visible, require_office

LIMIT = 9999 * 60  # minutes either way: more than anyone's account could hold


def openings_of(session: Session, actor: User, employee_id: int) -> list[AccountOpening]:
    """The employee's opening balances, earliest first: the office, their manager, themselves."""
    employee = employee_visible(session, actor, employee_id)
    return list(session.scalars(select(AccountOpening).where(
        AccountOpening.employee_id == employee.id).order_by(AccountOpening.starts)))


def set_opening(session: Session, actor: User, employee_id: int, starts: date, minutes: int,
                *, reason: str = "", now: datetime | None = None) -> AccountOpening:
    """The employee's account holds `minutes` when `starts` (the 1st of a month) begins."""
    require_office(actor, "impostare il saldo iniziale del conto ore",
                   "set the opening balance of the hours account")
    employee = employee_in_reach(session, actor, employee_id)
    batch = OpeningBatch(session, actor, now or utcnow(), [employee.id])
    account_opening(batch, employee, starts, minutes, reason)
    batch.write()
    return session.scalars(select(AccountOpening).where(
        AccountOpening.employee_id == employee.id, AccountOpening.starts == starts)).one()


def account_opening(batch: OpeningBatch, employee: Employee, starts: date, minutes: int,
                    reason: str) -> None:
    """`set_opening` in a batch: checked against what the batch read, written with it."""
    if starts.day != 1:
        raise OfficeError("Il saldo iniziale vale dal primo giorno di un mese",
                          "An opening balance starts on the first day of a month",
                          field="starts")
    within_reach(starts, batch.now.date(), "starts")
    if not -LIMIT <= minutes <= LIMIT:
        raise OfficeError(f"Il saldo iniziale va da -{LIMIT // 60} a {LIMIT // 60} ore",
                          f"An opening balance lies between -{LIMIT // 60} and {LIMIT // 60} "
                          "hours", field="balance")
    reason = bounded_text(reason.strip(), "reason")
    if batch.is_locked(starts):
        raise OfficeError(f"Il mese {starts:%m/%Y} è chiuso: il suo saldo è quello della "
                          "chiusura", f"Month {starts:%Y-%m} is closed: its balance is the "
                          "one the close kept", field="starts")
    row = batch.account.get((employee.id, starts))
    before = None if row is None else row.balance
    batch.put(AccountOpening, row, (employee.id, starts),
              {"institution_id": employee.institution_id, "employee_id": employee.id,
               "starts": starts},
              {"balance": minutes, "reason": reason, "set_by": batch.actor.id,
               "set_at": batch.now})
    batch.forget_from(employee.id, starts)  # the account carries from here again
    batch.audit("account_opening_set", f"employee:{employee.id}",
                {"starts": starts.isoformat(), "before": before, "after": minutes,
                 "reason": reason})
