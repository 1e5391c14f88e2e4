"""Employees imported from CSV: every line checked first, then all written or none.

Columns (header required, order free): number, name, profile; optional unit,
category, part_time_percent, badge, start (the first contract's start date, YYYY-MM-DD or
DD/MM/YYYY; empty: no start on record, `server.db.contract_tables`). Each problem is
reported with its line number; with any problem nothing is written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.rules_in_force import policy_on
from server.db.directory import add_employee
from server.db.models import Badge, Employee, User
from server.errors import OfficeError
from server.office.audit import record, utcnow
from server.office.bounds import within_reach
from server.office.people import require_office

REQUIRED = ("number", "name", "profile")
OPTIONAL = ("unit", "category", "part_time_percent", "badge", "start")


@dataclass(frozen=True)
class LineError:
    line: int
    italian: str
    english: str

    def __str__(self) -> str:
        return f"riga {self.line}: {self.italian} / line {self.line}: {self.english}"


class ImportRefused(OfficeError):
    """The file has problems; nothing was written."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__(
            f"Importazione annullata, nessun dipendente inserito: {len(errors)} errori",
            f"Import refused, no employee written: {len(errors)} errors")


@dataclass
class ImportResult:
    created: list[Employee] = field(default_factory=list)


def import_employees(session: Session, actor: User, data: bytes | str, *,
                     today: date | None = None, now: datetime | None = None) -> ImportResult:
    """Check every line against the rules in force today and the directory, then write."""
    if actor.role not in ("admin", "office"):
        require_office(actor, "importare i dipendenti", "import employees")
    now = now or utcnow()
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        raise ImportRefused([LineError(
            1, f"intestazione: mancano {missing}, sconosciute {unknown}",
            f"header: missing {missing}, unknown {unknown}")])
    institution = actor.institution_id
    version = policy_on(session, institution, today or now.date()).version_on(today or now.date())
    numbers = set(session.scalars(select(Employee.number).where(
        Employee.institution_id == institution)))
    badges = set(session.scalars(select(Badge.code).where(Badge.institution_id == institution)))
    errors: list[LineError] = []
    rows: list[dict[str, str]] = []
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            errors.append(LineError(line, "troppe colonne", "too many columns"))
            continue
        errors += _check(line, row, version.profiles, numbers, badges, today or now.date())
        numbers.add(row.get("number", ""))
        if row.get("badge"):
            badges.add(row["badge"])
        rows.append(row)
    if errors:
        raise ImportRefused(errors)
    if not rows:
        raise ImportRefused([LineError(2, "nessun dipendente nel file", "no employee in file")])
    result = ImportResult()
    with session.begin_nested():  # one savepoint: a failure below undoes every line
        for row in rows:
            result.created.append(add_employee(
                session, institution, row["number"], row["name"], profile=row["profile"],
                badge=row.get("badge") or None, category=row.get("category") or None,
                part_time_percent=int(row.get("part_time_percent") or 100),
                unit=row.get("unit") or None, start=_start(row.get("start", ""))))
    record(session, actor, "employees_imported", f"institution:{institution}",
           {"count": len(rows), "numbers": [r["number"] for r in rows]}, now=now)
    return result


def _check(line: int, row: dict[str, str], profiles: Mapping[str, object], numbers: set[str],
           badges: set[str], today: date) -> list[LineError]:
    errors = []
    for column in REQUIRED:
        if not row.get(column):
            errors.append(LineError(line, f"manca {column}", f"{column} is missing"))
    number, profile, badge = row.get("number", ""), row.get("profile", ""), row.get("badge")
    if number and number in numbers:
        errors.append(LineError(line, f"matricola {number} già presente",
                                f"number {number} already exists"))
    if profile and profile not in profiles:
        errors.append(LineError(line, f"profilo '{profile}' assente dalle regole in vigore",
                                f"profile '{profile}' is not in the rules in force"))
    if badge and badge in badges:
        errors.append(LineError(line, f"badge {badge} già assegnato",
                                f"badge {badge} is already issued"))
    percent = row.get("part_time_percent")
    if percent and not (percent.isdigit() and 1 <= int(percent) <= 100):
        errors.append(LineError(line, f"percentuale '{percent}' non valida (1-100)",
                                f"invalid percentage '{percent}' (1-100)"))
    start = row.get("start", "")
    try:
        within_reach(_start(start) or today, today, "start")
    except OfficeError:  # a ValueError too: first
        errors.append(LineError(line, f"data di inizio '{start}' troppo lontana",
                                f"start date '{start}' too far ahead"))
    except ValueError:
        errors.append(LineError(line, f"data di inizio '{start[:20]}' non valida (GG/MM/AAAA)",
                                f"invalid start date '{start[:20]}' (YYYY-MM-DD)"))
    return errors


def _start(text: str) -> date | None:
    """'2026-03-16' or '16/03/2026'; '' is None; anything else a ValueError."""
    if not text:
        return None
    if "/" in text:
        day, month, year = text.split("/")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text)
