"""Employees imported from CSV: every line checked first, then all written or none.

The file Italian Excel writes is accepted as it is (`server.office.csv_files`); headings
in Italian or English, in any order and case: matricola/number,
nome/name, profilo/profile are required; unità/unit, categoria/category,
part-time/part_time_percent (`50` or `50%`), badge, inizio/start (the first contract's
start, DD/MM/YYYY or YYYY-MM-DD; empty: no start on record) are optional. Each problem is a sentence
with its line number, in Italian and English; a profile the rules in force lack is told
with the profiles they have. With any problem nothing is written.
"""

from __future__ import annotations

from collections.abc import Collection
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
from server.office.csv_files import ImportRefused, LineError, csv_lines, data_rows, heading
from server.office.file_dates import file_day
from server.office.people import require_office

REQUIRED = ("number", "name", "profile")
OPTIONAL = ("unit", "category", "part_time_percent", "badge", "start")
# Each column: its Italian heading (the one errors name) and every heading taken for it,
# written as `heading` normalises them (lower case, no accents, spaces for - and _).
HEADINGS: dict[str, tuple[str, frozenset[str]]] = {
    "number": ("matricola", frozenset({"number", "matricola", "numero matricola",
                                       "n matricola", "n. matricola"})),
    "name": ("nome", frozenset({"name", "nome", "nominativo", "cognome e nome",
                                "nome e cognome", "dipendente"})),
    "profile": ("profilo", frozenset({"profile", "profilo", "profilo orario"})),
    "unit": ("unità", frozenset({"unit", "unita", "struttura", "ufficio", "reparto"})),
    "category": ("categoria", frozenset({"category", "categoria"})),
    "part_time_percent": ("part-time", frozenset({
        "part time percent", "part time", "parttime", "percentuale part time",
        "% part time", "part time %", "percentuale"})),
    "badge": ("badge", frozenset({"badge", "tessera", "codice badge", "n badge"})),
    "start": ("inizio", frozenset({"start", "inizio", "data inizio", "inizio contratto",
                                   "data assunzione", "assunzione"})),
}
# What a missing value is called in a sentence: (Italian, English).
NOUNS = {"number": ("la matricola", "the number"), "name": ("il nome", "the name"),
         "profile": ("il profilo", "the profile")}


@dataclass
class ImportResult:
    created: list[Employee] = field(default_factory=list)


def read_header(fields: list[str]) -> list[str]:
    """The columns the headings name; `ImportRefused` (line 1) naming what is wrong."""
    known = {alias: column for column, (_, aliases) in HEADINGS.items() for alias in aliases}
    columns = [known.get(heading(text), "") for text in fields]
    errors = [LineError(1, f"la colonna «{text.strip()}» non è riconosciuta; le colonne "
                           f"valide sono {_valid_headings()}.",
                        f"the column “{text.strip()}” is not known; the valid columns are "
                        f"{', '.join(REQUIRED + OPTIONAL)}.")
              for text, column in zip(fields, columns, strict=True)
              if not column and text.strip()]  # Excel's trailing separators: no heading
    errors += [LineError(1, f"la colonna «{HEADINGS[c][0]}» compare due volte.",
                         f"the column “{c}” appears twice.")
               for c in dict.fromkeys(columns) if c and columns.count(c) > 1]
    errors += [LineError(1, f"manca la colonna «{HEADINGS[c][0]}» (o «{c}»).",
                         f"the column “{c}” (or “{HEADINGS[c][0]}”) is missing.")
               for c in REQUIRED if c not in columns]
    if errors:
        raise ImportRefused(errors)
    return columns


def _valid_headings() -> str:
    return ", ".join(HEADINGS[c][0] for c in REQUIRED + OPTIONAL)


def import_employees(session: Session, actor: User, data: bytes | str, *,
                     today: date | None = None, now: datetime | None = None) -> ImportResult:
    """Check every line against the rules in force today and the directory, then write."""
    if actor.role not in ("admin", "office"):
        require_office(actor, "importare i dipendenti", "import employees")
    now = now or utcnow()
    lines = csv_lines(data)
    columns = read_header(lines[0] if lines else [])
    institution = actor.institution_id
    version = policy_on(session, institution, today or now.date()).version_on(today or now.date())
    seen = _Seen(set(session.scalars(select(Employee.number).where(
        Employee.institution_id == institution))), set(session.scalars(
        select(Badge.code).where(Badge.institution_id == institution))))
    errors: list[LineError] = []
    rows: list[dict[str, str]] = []
    for line, row in data_rows(lines, columns):
        if isinstance(row, LineError):
            errors.append(row)
            continue
        errors += _check(line, row, sorted(version.profiles), seen, today or now.date())
        rows.append(row)
    if errors:
        raise ImportRefused(errors)
    if not rows:
        raise ImportRefused([LineError(2, "il file non contiene dipendenti, solo "
                                          "l'intestazione.",
                                       "the file holds no employee, only the header.")])
    return _write(session, actor, rows, now)


def _write(session: Session, actor: User, rows: list[dict[str, str]],
           now: datetime) -> ImportResult:
    result = ImportResult()
    with session.begin_nested():  # one savepoint: a failure below undoes every line
        for row in rows:
            result.created.append(add_employee(
                session, actor.institution_id, row["number"], row["name"],
                profile=row["profile"], badge=row.get("badge") or None,
                category=row.get("category") or None,
                part_time_percent=percent(row.get("part_time_percent", "")) or 100,
                unit=row.get("unit") or None, start=_start(row.get("start", ""))))
    record(session, actor, "employees_imported", f"institution:{actor.institution_id}",
           {"count": len(rows), "numbers": [r["number"] for r in rows]}, now=now)
    return result


@dataclass
class _Seen:
    """Numbers and badges taken: in the directory, or by a line above (which one)."""

    numbers: set[str]
    badges: set[str]
    number_lines: dict[str, int] = field(default_factory=dict)
    badge_lines: dict[str, int] = field(default_factory=dict)


def percent(text: str) -> int | None:
    """"50", "50%" or "50 %" → 50; None when empty or not a whole number."""
    value = text.removesuffix("%").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _check(line: int, row: dict[str, str], profiles: Collection[str],
           seen: _Seen, today: date) -> list[LineError]:
    errors = [LineError(line, f"manca {NOUNS[c][0]}.", f"{NOUNS[c][1]} is missing.")
              for c in REQUIRED if not row.get(c)]
    number, profile, badge = row.get("number", ""), row.get("profile", ""), row.get("badge")
    if number in seen.number_lines:
        errors.append(LineError(
            line, f"la matricola {number} compare già alla riga {seen.number_lines[number]}.",
            f"the number {number} is already on line {seen.number_lines[number]}."))
    elif number in seen.numbers:
        errors.append(LineError(line, f"la matricola {number} è già presente.",
                                f"the number {number} already exists."))
    if profile and profile not in profiles:
        errors.append(LineError(
            line, f"il profilo «{profile}» non esiste nelle regole in vigore; i profili "
                  f"validi sono: {', '.join(profiles)}.",
            f"the profile “{profile}” is not in the rules in force; the valid profiles "
            f"are: {', '.join(profiles)}."))
    if badge and badge in seen.badge_lines:
        errors.append(LineError(
            line, f"il badge {badge} compare già alla riga {seen.badge_lines[badge]}.",
            f"the badge {badge} is already on line {seen.badge_lines[badge]}."))
    elif badge and badge in seen.badges:
        errors.append(LineError(line, f"il badge {badge} è già assegnato.",
                                f"the badge {badge} is already issued."))
    given = row.get("part_time_percent", "")
    if given and not 1 <= (percent(given) or 0) <= 100:
        errors.append(LineError(
            line, f"la percentuale di part-time «{given}» non è un numero intero da 1 a 100.",
            f"the part-time percentage “{given}” is not a whole number from 1 to 100."))
    errors += _check_start(line, row.get("start", ""), today)
    if number:
        seen.number_lines.setdefault(number, line)
    if badge:
        seen.badge_lines.setdefault(badge, line)
    return errors


def _check_start(line: int, start: str, today: date) -> list[LineError]:
    try:
        within_reach(_start(start) or today, today, "start")
    except OfficeError:  # a subclass of ValueError: caught first
        return [LineError(line, f"la data di inizio «{start}» è troppo lontana.",
                          f"the start date “{start}” is too far ahead.")]
    except ValueError:
        return [LineError(line, f"la data di inizio «{start[:20]}» non è valida (GG/MM/AAAA).",
                          f"the start date “{start[:20]}” is not valid (DD/MM/YYYY).")]
    return []


def _start(text: str) -> date | None:
    """'2026-03-16' or '16/03/2026'; '' is None; anything else a ValueError."""
    return file_day(text) if text else None
