"""Yearly allowances already used when an institution adopts timbra, set by the office.

On the day the institution starts with timbra an employee may have used, say, 12 of the
36 hours of personal permits the rules give a year: the office records those 12 hours
under the rule file's name (`personal_needs`), and the months of that year count them
before their own (`server.days.allowance_openings`). A name is an `allowance`, a code
with a `max … per year`, or `overtime` when the overtime block has one. A closed month
cannot take an opening; every change is audited with the minutes before and after.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.rules_in_force import RulesInForce
from server.db.allowance_tables import AllowanceOpening
from server.db.models import Employee, User
from server.engine.limits import OVERTIME
from server.errors import OfficeError
from server.office.audit import utcnow
from server.office.bounds import bounded_text, within_reach
from server.office.opening_batch import OpeningBatch
from server.office.people import employee_in_reach, employee_visible, require_office
from server.policy.model import Version

LIMIT = 9999 * 60  # minutes: more than any yearly allowance holds


def yearly_names(version: Version) -> dict[str, str]:
    """What an opening may name in these rules, with the label a person reads: each
    allowance, each code with a yearly limit, and overtime when it has one."""
    names = {name: rule.label.value if rule.label else name
             for name, rule in version.allowances.items()}
    for code, rule in version.codes.items():
        if any(cap.period == "year" for cap in rule.caps):
            names.setdefault(code, rule.label.value if rule.label else code)
    if version.overtime is not None and any(c.period == "year" for c in version.overtime.caps):
        names.setdefault(OVERTIME, "Straordinario")
    return names


def names_on(session: Session, institution_id: str, day: date) -> dict[str, str]:
    """`yearly_names` of the institution's rules in force on `day`."""
    policy = RulesInForce(session, [institution_id]).on(institution_id, day)
    try:
        return yearly_names(policy.version_on(day)) if policy is not None else {}
    except LookupError:  # no version yet on that day
        return {}


def allowance_openings_of(session: Session, actor: User, employee_id: int
                          ) -> list[AllowanceOpening]:
    """The employee's openings, earliest first: the office, their manager, themselves."""
    employee = employee_visible(session, actor, employee_id)
    return list(session.scalars(select(AllowanceOpening).where(
        AllowanceOpening.employee_id == employee.id).order_by(
        AllowanceOpening.starts, AllowanceOpening.name)))


def set_allowance_opening(session: Session, actor: User, employee_id: int, name: str,
                          starts: date, minutes: int, *, reason: str = "",
                          now: datetime | None = None) -> AllowanceOpening:
    """On `starts` the employee had already used `minutes` of that year's `name`."""
    require_office(actor, "registrare le ore già usate", "record the hours already used")
    employee = employee_in_reach(session, actor, employee_id)
    batch = OpeningBatch(session, actor, now or utcnow(), [employee.id])
    allowance_opening(batch, employee, name, starts, minutes, reason)
    batch.write()
    return session.scalars(select(AllowanceOpening).where(
        AllowanceOpening.employee_id == employee.id, AllowanceOpening.name == name,
        AllowanceOpening.starts == starts)).one()


def allowance_opening(batch: OpeningBatch, employee: Employee, name: str, starts: date,
                      minutes: int, reason: str) -> None:
    """`set_allowance_opening` in a batch: checked against what the batch read, written
    with it."""
    within_reach(starts, batch.now.date(), "starts")
    known = batch.yearly.get(starts)
    if known is None:
        version = batch.version_on(starts)
        known = batch.yearly[starts] = yearly_names(version) if version is not None else {}
    if name not in known:
        listed = ", ".join(sorted(known)) or "nessuno"
        raise OfficeError(f"Le regole in vigore il {starts:%d/%m/%Y} non hanno un limite "
                          f"annuo «{name[:60]}»; quelli validi sono: {listed}",
                          f"The rules in force on {starts.isoformat()} have no yearly "
                          f"limit '{name[:60]}'; the valid ones are: "
                          f"{', '.join(sorted(known)) or 'none'}", field="name")
    if not 0 <= minutes <= LIMIT:
        raise OfficeError(f"Le ore già usate vanno da 0 a {LIMIT // 60}",
                          f"The hours already used lie between 0 and {LIMIT // 60}",
                          field="minutes")
    reason = bounded_text(reason.strip(), "reason")
    if batch.is_locked(starts):
        raise OfficeError(f"Il mese {starts:%m/%Y} è chiuso: le ore usate sono quelle della "
                          "chiusura", f"Month {starts:%Y-%m} is closed: the hours used are "
                          "the ones the close kept", field="starts")
    row = batch.allowances.get((employee.id, name, starts))
    before = None if row is None else row.minutes
    batch.put(AllowanceOpening, row, (employee.id, name, starts),
              {"institution_id": employee.institution_id, "employee_id": employee.id,
               "name": name, "starts": starts},
              {"minutes": minutes, "reason": reason, "set_by": batch.actor.id,
               "set_at": batch.now})
    batch.audit("allowance_opening_set", f"employee:{employee.id}",
                {"name": name, "starts": starts.isoformat(), "before": before,
                 "after": minutes, "reason": reason})
