"""Leave in days at the office: who may see a balance, the refusal of a request beyond it
(or the office's explicit override, recorded in the audit), and the opening balances
recorded when an institution adopts timbra. The figures come from `server.days.leave`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.leave import balances, beyond_with
from server.days.rules_in_force import RulesInForce
from server.db.leave_tables import LeaveOpening
from server.db.models import AuditEntry, Employee, User
from server.engine.leave import LeaveYear, days, drawn_halves
from server.errors import OfficeError
from server.office.audit import utcnow
from server.office.bounds import bounded_text
from server.office.opening_batch import OpeningBatch
from server.office.people import OFFICE_ROLES, employee_visible, require_office
from server.policy.model import Policy

MAX_OPENING_HALVES = 2 * 366
_MONTHS_IT = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio",
              "agosto", "settembre", "ottobre", "novembre", "dicembre")


def leave_of_employee(session: Session, actor: User, employee_id: int, on: date, *,
                      now: datetime | None = None) -> list[LeaveYear]:
    """An employee's leave balances on a day: their own, a manager's unit, the office's
    institution."""
    employee = employee_visible(session, actor, employee_id)
    rules = RulesInForce(session, [employee.institution_id])
    return balances(session, rules, [employee], on, now=now)[employee.id]


def check_balance(session: Session, actor: User, employee: Employee, policy: Policy,
                  day: date, code: str, *, override: bool) -> bool:
    """Refuse a request that draws beyond the balance of its leave; the personnel office
    may file it anyway by saying so (`override`). True when it does: the audit says so."""
    year = beyond_with(session, RulesInForce(session, [employee.institution_id]), employee,
                       day, code, policy)
    if year is None:
        return False
    if override and actor.role in OFFICE_ROLES:
        return True
    italian, english = _beyond_message(year, day, drawn_halves(policy.version_on(day), code))
    if actor.role in OFFICE_ROLES:
        italian += "; per registrarla comunque conferma il superamento del saldo"
        english += "; to file it anyway, confirm going beyond the balance"
    else:  # the override is the office's: the employee learns whom to ask
        italian += "; l'ufficio del personale può registrarla oltre il saldo"
        english += "; the personnel office can file it beyond the balance"
    raise OfficeError(italian, english, field="code")


def filed_beyond_balance(session: Session, request_ids: Collection[int]) -> set[int]:
    """Of these requests, those the office filed beyond their leave's balance (its override,
    which the filing's audit entry records): one query whatever their number."""
    if not request_ids:
        return set()
    targets = {f"request:{i}": i for i in request_ids}
    rows = session.execute(select(AuditEntry.target, AuditEntry.detail).where(
        AuditEntry.action == "request_filed", AuditEntry.target.in_(list(targets))))
    return {targets[target] for target, detail in rows
            if isinstance(detail, dict) and detail.get("beyond_balance")}


def _beyond_message(year: LeaveYear, day: date, halves: int) -> tuple[str, str]:
    if year.month_cap is not None and year.month_taken > year.month_cap:
        month = _MONTHS_IT[day.month - 1]
        used = days(year.month_taken - halves)  # without the day asked for
        return (f"{year.label}: nel mese di {month} {day.year} sono già stati chiesti "
                f"{used} giorni su {days(year.month_cap)} consentiti",
                f"{year.label}: {used} of the {days(year.month_cap)} days allowed in "
                f"{day:%B %Y} are already asked for")
    # What was left before this request (the year counts it): of the year's days, or of
    # those earned by its day where the leave accrues.
    earned = year.accrued - year.taken + year.carried_left
    left = days(max(min(year.total_left, earned) + halves, 0))
    return (f"{year.label}: saldo insufficiente per il {day:%d/%m/%Y}, restano {left} "
            f"giorni", f"{year.label}: not enough left for {day:%d/%m/%Y}, {left} days "
            "left")


def record_opening(session: Session, actor: User, employee_id: int, leave: str, on: date,
                   left_halves: int, carried_halves: int = 0, reason: str = "",
                   now: datetime | None = None) -> LeaveOpening:
    """What an employee had left of a leave on the day the institution adopted timbra;
    the personnel office records it (again: the new figures replace the old, audited)."""
    require_office(actor, "registrare i saldi iniziali", "record opening balances")
    employee = employee_visible(session, actor, employee_id)
    batch = OpeningBatch(session, actor, now or utcnow(), [employee.id])
    leave_opening(batch, employee, leave, on, left_halves, carried_halves, reason)
    batch.write()
    return session.scalars(select(LeaveOpening).where(
        LeaveOpening.employee_id == employee.id, LeaveOpening.leave == leave)).one()


def leave_opening(batch: OpeningBatch, employee: Employee, leave: str, on: date,
                  left_halves: int, carried_halves: int, reason: str) -> None:
    """`record_opening` in a batch: checked against what the batch read, written with it."""
    bounded_text(reason, "reason")
    version = batch.version_on(on)
    if leave not in (version.leaves if version is not None else {}):
        raise OfficeError(f"Le regole in vigore il {on:%d/%m/%Y} non prevedono '{leave}'",
                          f"The rules in force on {on.isoformat()} have no leave '{leave}'",
                          field="leave")
    for value, name in ((left_halves, "left"), (carried_halves, "carried")):
        if not 0 <= value <= MAX_OPENING_HALVES:
            raise OfficeError("Un saldo va da 0 a 366 giorni", "A balance is 0 to 366 days",
                              field=name)
    row = batch.leaves.get((employee.id, leave))
    # As the account's and the allowances' openings: a closed month keeps the balances it
    # closed with, so neither the new day nor the one replaced may fall in one.
    for day in (on,) if row is None else (on, row.on):
        if batch.is_locked(day):
            raise OfficeError(f"Il mese {day:%m/%Y} è chiuso: il saldo è quello della "
                              "chiusura", f"Month {day:%Y-%m} is closed: its balance is the "
                              "one the close kept", field="on")
    before = None if row is None else {"on": row.on.isoformat(), "left": row.left_halves / 2,
                                       "carried": row.carried_halves / 2}
    batch.put(LeaveOpening, row, (employee.id, leave),
              {"institution_id": employee.institution_id, "employee_id": employee.id,
               "leave": leave},
              {"on": on, "left_halves": left_halves, "carried_halves": carried_halves,
               "reason": reason, "set_by": batch.actor.id, "set_at": batch.now})
    batch.audit("leave_opening", f"employee:{employee.id}",
                {"leave": leave, "on": on.isoformat(), "left": left_halves / 2,
                 "carried": carried_halves / 2, "before": before, "reason": reason})
