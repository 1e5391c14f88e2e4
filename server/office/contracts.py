"""An employee's contracts, kept by the personnel office.

Three changes, each refused with a clear message when it makes no sense (the end before
the start, a percentage outside 1-100, a profile the rules in force lack, two contracts
over one day, a boundary in a closed month) and then nothing is written:
- `add_contract`: a new contract (a hiring, a return), from its start to its end or open;
- `change_contract`: from an effective date the profile and/or the part-time percentage
  change: the contract in force that day ends the day before, a new one takes the rest of
  its term (this is also what `server.office.profiles.change_profile` does);
- `set_dates`: a contract's start or end set or corrected (a contract ending).

The employee row keeps the profile and percentage of the contract in force today (or the
nearest to come), for the pages and imports that show one. Every change is audited with
the contracts before and after; the stored day results whose contract changed (employed
or not, profile, percentage) are marked dirty (`server.days.dirty`) for the recompute
worker, so a change dated in the past recomputes the days it touches. Days that become
employed have no stored result yet: they are computed when first asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.dirty import mark_stored_dirty
from server.days.employment import Contract, contracts_of, covering
from server.days.month_lock import ensure_open
from server.days.rules_in_force import RulesInForce
from server.db.contract_tables import NO_START, ContractRow
from server.db.models import DayResultRow, Employee, User
from server.errors import NotFound, OfficeError
from server.office.audit import record, utcnow
from server.office.bounds import bounded_text, within_reach
from server.office.people import employee_in_reach, employee_visible, require_office

ONE_DAY = timedelta(days=1)
WHAT_IT, WHAT_EN = "cambiare i contratti dei dipendenti", "change employees' contracts"


@dataclass(frozen=True)
class ContractChange:
    contract: ContractRow  # the contract added, changed or whose dates were set
    marked: int  # stored day results marked for recompute


def contracts_on_record(session: Session, actor: User, employee_id: int) -> list[ContractRow]:
    """The employee's contracts, earliest first: the office, their manager, themselves."""
    employee = employee_visible(session, actor, employee_id)
    return _rows(session, employee.id)


def add_contract(session: Session, actor: User, employee_id: int, *, start: date,
                 end: date | None = None, profile: str | None = None,
                 part_time_percent: int = 100, reason: str = "",
                 now: datetime | None = None) -> ContractChange:
    """A new contract from `start` to `end` (None: open-ended), on `profile` (default the
    employee's); it may not overlap another."""
    require_office(actor, WHAT_IT, WHAT_EN)
    now = now or utcnow()
    employee = employee_in_reach(session, actor, employee_id)
    row = ContractRow(institution_id=employee.institution_id, employee_id=employee.id,
                      starts=start, ends=end, profile=profile or employee.profile,
                      part_time_percent=part_time_percent,
                      reason=bounded_text(reason.strip(), "reason", 500), set_by=actor.id,
                      set_at=now)
    _check(session, employee, row, now, ignore=None)
    before = contracts_of(session, [employee])[employee.id]
    session.add(row)
    return _done(session, actor, employee, row, before, "contract_added", now)


def change_contract(session: Session, actor: User, employee_id: int, *, effective: date,
                    profile: str | None = None, part_time_percent: int | None = None,
                    reason: str = "", now: datetime | None = None) -> ContractChange:
    """From `effective` on, the contract in force that day continues with this profile
    and/or percentage: it ends the day before and a new contract takes the rest of its
    term (or, when it starts that very day, it is changed in place)."""
    require_office(actor, WHAT_IT, WHAT_EN)
    now = now or utcnow()
    employee = employee_in_reach(session, actor, employee_id)
    if profile is None and part_time_percent is None:
        raise OfficeError("Indica il nuovo profilo o la nuova percentuale",
                          "Give the new profile or the new percentage", field="profile")
    current = next((r for r in _rows(session, employee.id) if _term(r).covers(effective)),
                   None)
    if current is None:
        raise OfficeError(f"Nessun contratto in vigore il {effective:%d/%m/%Y}",
                          f"No contract in force on {effective}", field="effective")
    row = ContractRow(institution_id=employee.institution_id, employee_id=employee.id,
                      starts=effective, ends=current.ends,
                      profile=profile or current.profile,
                      part_time_percent=part_time_percent if part_time_percent is not None
                      else current.part_time_percent,
                      reason=bounded_text(reason.strip(), "reason", 500), set_by=actor.id,
                      set_at=now)
    _check(session, employee, row, now, ignore=current.id)
    before = contracts_of(session, [employee])[employee.id]
    if current.starts == effective:
        current.profile, current.part_time_percent = row.profile, row.part_time_percent
        current.reason, current.set_by, current.set_at = row.reason, actor.id, now
        row = current
    else:
        current.ends = effective - ONE_DAY
        session.add(row)
    return _done(session, actor, employee, row, before, "contract_changed", now)


def set_dates(session: Session, actor: User, employee_id: int, contract_id: int, *,
              start: date, end: date | None, reason: str = "",
              now: datetime | None = None) -> ContractChange:
    """Set the contract's start and end (None: open-ended): a contract ending, a start
    corrected."""
    require_office(actor, WHAT_IT, WHAT_EN)
    now = now or utcnow()
    employee = employee_in_reach(session, actor, employee_id)
    row = session.get(ContractRow, contract_id)
    if row is None or row.employee_id != employee.id:
        raise NotFound(f"Contratto {contract_id} non trovato",
                       f"Contract {contract_id} not found")
    before = contracts_of(session, [employee])[employee.id]
    old = (row.starts, row.ends)
    trial = ContractRow(institution_id=row.institution_id, employee_id=employee.id,
                        starts=start, ends=end, profile=row.profile,
                        part_time_percent=row.part_time_percent)
    _check(session, employee, trial, now, ignore=row.id, moved=old)
    row.starts, row.ends = start, end
    row.reason = bounded_text(reason.strip(), "reason", 500) or row.reason
    row.set_by, row.set_at = actor.id, now
    return _done(session, actor, employee, row, before, "contract_dates_set", now)


def describe(row: ContractRow) -> dict[str, Any]:
    return {"id": row.id, "start": None if row.starts == NO_START else row.starts.isoformat(),
            "end": row.ends.isoformat() if row.ends else None, "profile": row.profile,
            "part_time_percent": row.part_time_percent, "reason": row.reason}


def _rows(session: Session, employee_id: int) -> list[ContractRow]:
    return list(session.scalars(select(ContractRow).where(
        ContractRow.employee_id == employee_id).order_by(ContractRow.starts)))


def _term(row: ContractRow) -> Contract:
    return Contract(row.starts, row.ends, row.part_time_percent, row.profile)


def _check(session: Session, employee: Employee, row: ContractRow, now: datetime, *,
           ignore: int | None, moved: tuple[date, date | None] | None = None) -> None:
    """Dates, percentage, profile, overlaps and closed months, before anything is
    written."""
    today = now.date()
    if row.starts != NO_START:
        within_reach(row.starts, today, "start")
    if row.ends is not None:
        within_reach(row.ends, today, "end")
        if row.ends < row.starts:
            raise OfficeError(
                f"La fine ({row.ends:%d/%m/%Y}) precede l'inizio ({row.starts:%d/%m/%Y})",
                f"The end ({row.ends}) is before the start ({row.starts})", field="end")
    if not 1 <= row.part_time_percent <= 100:
        raise OfficeError("Percentuale non valida (1-100)", "Invalid percentage (1-100)",
                          field="part_time_percent")
    _check_profile(session, employee, row, today)
    for other in _rows(session, employee.id):
        if other.id != ignore and _term(other).overlaps(row.starts, row.ends or date.max):
            since = "—" if other.starts == NO_START else f"{other.starts:%d/%m/%Y}"
            until = f"{other.ends:%d/%m/%Y}" if other.ends else "…"
            raise OfficeError(
                f"Si sovrappone al contratto dal {since} al {until}",
                f"It overlaps the contract from {_iso(other.starts)} to "
                f"{other.ends.isoformat() if other.ends else '…'}", field="start")
    # A boundary that moves into or out of a closed month would change its figures.
    for day in _boundaries(row, moved):
        ensure_open(session, employee.institution_id, day)


def _check_profile(session: Session, employee: Employee, row: ContractRow,
                   today: date) -> None:
    """The profile as the rules in force on its start and today (if it covers today)
    define it."""
    rules = RulesInForce(session, [employee.institution_id])
    days = {row.starts} - {NO_START}
    if _term(row).covers(today) or not days:
        days.add(today)
    for day in sorted(days):
        policy = rules.on(employee.institution_id, day)
        if policy is None:
            raise OfficeError(f"Nessuna regola in vigore il {day:%d/%m/%Y}",
                              f"No rules in force on {day}", field="start")
        if row.profile not in policy.version_on(day).profiles:
            raise OfficeError(
                f"Profilo '{row.profile}' assente dalle regole in vigore il {day:%d/%m/%Y}",
                f"Profile '{row.profile}' is not in the rules in force on {day}",
                field="profile")


def _boundaries(row: ContractRow, moved: tuple[date, date | None] | None) -> set[date]:
    days = {row.starts, *([row.ends] if row.ends else [])}
    if moved is not None:
        days |= {moved[0], *([moved[1]] if moved[1] else [])}
        days -= {d for d in (row.starts, row.ends) if d in moved}  # unchanged ones stay
    return days - {NO_START}


def _iso(day: date) -> str:
    return "—" if day == NO_START else day.isoformat()


def _done(session: Session, actor: User, employee: Employee, row: ContractRow,
          before: tuple[Contract, ...], action: str, now: datetime) -> ContractChange:
    session.flush()
    after = contracts_of(session, [employee])[employee.id]
    today = now.date()
    mirror = covering(after, today) or next((c for c in after if c.start > today), after[-1])
    employee.profile, employee.part_time_percent = mirror.profile, mirror.part_time_percent
    stored = session.scalars(select(DayResultRow.day).where(
        DayResultRow.employee_id == employee.id))
    changed = [(employee.id, d) for d in stored if _in(before, d) != _in(after, d)]
    marked = mark_stored_dirty(session, employee.institution_id, changed, now)
    record(session, actor, action, f"employee:{employee.id}",
           {"contract": describe(row), "before": [_said(c) for c in before],
            "after": [_said(c) for c in after], "marked": marked}, now=now)
    return ContractChange(row, marked)


def _in(contracts: tuple[Contract, ...], day: date) -> tuple[str, int] | None:
    found = covering(contracts, day)
    return None if found is None else (found.profile, found.part_time_percent)


def _said(c: Contract) -> dict[str, Any]:
    return {"start": None if c.start == NO_START else c.start.isoformat(),
            "end": c.end.isoformat() if c.end else None, "profile": c.profile,
            "part_time_percent": c.part_time_percent}
