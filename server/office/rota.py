"""The rota: which shift each employee works on a day, set by the personnel office for a
month on the rota page or its API, or imported from a CSV file.

A shift must be one the rules in force that day define for the employee's profile on that
day (`server.days.spans.schedule_terms`); a day of a closed month cannot change; with any
problem nothing is written. Clearing a day removes its row (a plan, not a fact); the audit
log keeps every entry set or cleared. The stored day results whose schedule changed (and
the morning after a changed shift) are marked dirty for the recompute worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.days import spans
from server.days.dirty import mark_stored_dirty
from server.days.month import month_bounds
from server.days.month_lock import ensure_open
from server.days.rules_in_force import RulesInForce
from server.days.schedules import changed_days, load_schedules
from server.db.keys import employee_days, one_of
from server.db.models import Employee, User
from server.db.schedule_tables import ROTA_DAYS, RotaDay
from server.errors import NotFound, OfficeError
from server.office.audit import record, utcnow
from server.office.csv_files import ImportRefused, LineError, csv_lines, csv_text
from server.office.file_dates import file_day
from server.office.people import employees_seen_by, require_office

MAX_ENTRIES = 20_000  # a month of 650 people: more is not one office's rota
MAX_CSV_BYTES = 2_000_000
MAX_SHIFT = 40
HEADERS = {"number": "number", "matricola": "number", "day": "day", "data": "day",
           "shift": "shift", "turno": "shift"}
Entries = Mapping[tuple[int, date], str | None]  # (employee id, day) → shift, None clears


@dataclass(frozen=True)
class RotaChange:
    set: int
    cleared: int
    marked: int  # stored day results marked for recompute


@dataclass(frozen=True)
class RotaMonth:
    year: int
    month: int
    days: list[date]
    employees: list[Employee]
    shifts: dict[tuple[int, date], str]


def rota_month(session: Session, actor: User, year: int, month: int,
               unit: str | None = None) -> RotaMonth:
    """The month's rota of the employees the actor sees (of `unit`, when given)."""
    first, last = month_bounds(year, month)
    people = [e for e in employees_seen_by(session, actor, first)
              if unit is None or e.unit == unit]
    ids = [e.id for e in people]
    shifts: dict[tuple[int, date], str] = {}
    if ids:
        shifts = {(e, d): s for e, d, s in session.execute(
            select(RotaDay.employee_id, RotaDay.day, RotaDay.shift).where(
                one_of(RotaDay.employee_id, ids), RotaDay.day.between(first, last)))}
    days = [date(year, month, n) for n in range(1, last.day + 1)]
    return RotaMonth(year, month, days, people, shifts)


def set_rota(session: Session, actor: User, year: int, month: int, entries: Entries, *,
             now: datetime | None = None) -> RotaChange:
    """Set (or, with None, clear) these days of the month; the first problem refuses all."""
    first, last = month_bounds(year, month)
    outside = [d for _, d in entries if not first <= d <= last]
    if outside:
        raise OfficeError(f"Giorno {outside[0]:%d/%m/%Y} fuori dal mese {month:02d}/{year}",
                          f"Day {outside[0]} is outside {year}-{month:02d}", field="day")
    problems = _problems(session, actor, entries)
    if problems:
        italian, english = next(iter(problems.values()))
        raise OfficeError(italian, english, field="shift")
    return _write(session, actor, entries, now or utcnow())


def import_rota(session: Session, actor: User, data: bytes | str, *,
                now: datetime | None = None) -> RotaChange:
    """Columns number;day;shift (or matricola;data;turno), separated by semicolons or
    commas; an empty shift clears the day. Every line is checked, then all are written or
    none (`ImportRefused` lists each line's problem)."""
    require_office(actor, "importare i turni", "import the rota")
    if len(data) > MAX_CSV_BYTES:
        raise OfficeError(f"File troppo grande: al massimo {MAX_CSV_BYTES} byte",
                          f"File too large: at most {MAX_CSV_BYTES} bytes", field="file")
    text = csv_text(data)
    entries, lines, errors = _parse(session, actor, text)
    by_key = {key: lines[key] for key in entries}
    errors += [LineError(by_key[key], italian, english)
               for key, (italian, english) in _problems(session, actor, entries).items()]
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: e.line))
    return _write(session, actor, entries, now or utcnow())


def _parse(session: Session, actor: User, text: str,
           ) -> tuple[dict[tuple[int, date], str | None], dict[tuple[int, date], int],
                      list[LineError]]:
    reader = iter(csv_lines(text))
    names = [HEADERS.get(h.strip().lower(), h.strip()) for h in next(reader, [])]
    if sorted(names) != ["day", "number", "shift"]:
        raise ImportRefused([LineError(1, "intestazione: servono number, day, shift",
                                       "header: number, day, shift are needed")])
    numbers = {number: employee_id for number, employee_id in session.execute(
        select(Employee.number, Employee.id).where(
            Employee.institution_id == actor.institution_id))}
    entries: dict[tuple[int, date], str | None] = {}
    lines: dict[tuple[int, date], int] = {}
    errors: list[LineError] = []
    for line, cells in enumerate(reader, start=2):
        if line > MAX_ENTRIES + 1:
            errors.append(LineError(line, f"oltre {MAX_ENTRIES} righe",
                                    f"more than {MAX_ENTRIES} lines"))
            break
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != 3:
            errors.append(LineError(line, "servono 3 colonne", "3 columns are needed"))
            continue
        row = dict(zip(names, (c.strip() for c in cells), strict=True))
        employee_id = numbers.get(row["number"])
        day = _day(row["day"])
        if employee_id is None or day is None:
            errors.append(LineError(line, "matricola o data non valida",
                                    "unknown number or invalid date"))
        elif (employee_id, day) in entries:
            errors.append(LineError(line, "giorno ripetuto", "day given twice"))
        else:
            entries[(employee_id, day)] = row["shift"] or None
            lines[(employee_id, day)] = line
    return entries, lines, errors


def _day(text: str) -> date | None:
    try:
        return file_day(text)
    except ValueError:
        return None


def _problems(session: Session, actor: User, entries: Entries,
              ) -> dict[tuple[int, date], tuple[str, str]]:
    """What is wrong with each entry (Italian, English); empty when all may be written."""
    require_office(actor, "cambiare i turni", "change the rota")
    if len(entries) > MAX_ENTRIES:
        raise OfficeError(f"Troppi giorni: al massimo {MAX_ENTRIES}",
                          f"Too many days: at most {MAX_ENTRIES}", field="entries")
    if not entries:
        return {}
    employees = {e.id: e for e in session.scalars(select(Employee).where(
        Employee.id.in_({e for e, _ in entries}),
        Employee.institution_id == actor.institution_id))}
    missing = {e for e, _ in entries} - set(employees)
    if missing:
        raise NotFound(f"Dipendente {min(missing)} non trovato",
                       f"Employee {min(missing)} not found")
    for month in sorted({(d.year, d.month) for _, d in entries}):
        ensure_open(session, actor.institution_id, date(*month, 1))
    days = [d for _, d in entries]
    schedules = load_schedules(session, list(employees.values()), min(days), max(days))
    rules = RulesInForce(session, [actor.institution_id])
    problems = {}
    for (employee_id, day), shift in sorted(entries.items()):
        if shift is None:
            continue
        own = schedules.get((employee_id, day))
        profile = own.profile if own else employees[employee_id].profile
        policy = rules.on(actor.institution_id, day)
        terms = spans.schedule_terms(policy, day, profile) if policy else None
        if len(shift) > MAX_SHIFT or terms is None or shift not in terms.shifts:
            problems[(employee_id, day)] = (
                f"turno '{shift[:MAX_SHIFT]}' non definito per il profilo '{profile}' il "
                f"{day:%d/%m/%Y}",
                f"shift '{shift[:MAX_SHIFT]}' is not defined for profile '{profile}' on {day}")
    return problems


def _write(session: Session, actor: User, entries: Entries, now: datetime) -> RotaChange:
    if not entries:
        return RotaChange(0, 0, 0)
    keys = sorted(entries)
    first, last = min(d for _, d in keys), max(d for _, d in keys)
    employees = list(session.scalars(select(Employee).where(
        Employee.id.in_({e for e, _ in keys}))))
    before = load_schedules(session, employees, first, last)
    for start in range(0, len(keys), 500):
        session.execute(delete(ROTA_DAYS).where(employee_days(ROTA_DAYS, keys[start:start + 500])))
    rows = [{"employee_id": e, "day": d, "institution_id": actor.institution_id, "shift": s,
             "set_by": actor.id, "set_at": now} for (e, d), s in entries.items() if s]
    if rows:
        session.execute(ROTA_DAYS.insert(), rows)
    after = load_schedules(session, employees, first, last)
    marked = mark_stored_dirty(session, actor.institution_id, changed_days(
        before, after, {e.id: e.profile for e in employees}, first, last), now)
    record(session, actor, "rota_set", f"rota:{first:%Y-%m}",
           {"set": len(rows), "cleared": len(keys) - len(rows), "marked": marked,
            "entries": [[e, d.isoformat(), entries[(e, d)]] for e, d in keys]}, now=now)
    return RotaChange(len(rows), len(keys) - len(rows), marked)
