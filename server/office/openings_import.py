"""Opening balances imported from the office's CSV file: one line per employee, every line
checked first, then all written or none.

The file is read as every office CSV is (`server.office.csv_files`). Headings, in any
order and case: matricola (or badge) and data (the day the balances start from) are
required; then any of saldo ore (the hours account, `-3:30` or `12:15`, from the 1st of a
month), each leave of the rules in force by its name or label (`ferie`, `festività
soppresse`: the days left, `12,5`) and its `… anno precedente` (last year's days still
left), each yearly allowance or limit by its name or label, `… ore usate` accepted (the
hours already used that year, `12:30`), and motivo. Each figure goes to its own service,
which checks and audits it (`server.office.openings.apply_figures`), against what was
read once for the whole file and written with every other line's figures at the end
(`server.office.opening_batch`: thousands of lines, a few statements); any problem, in
any line, refuses the whole file, each told with its line number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Badge, Employee, User
from server.office.audit import record, utcnow
from server.office.csv_files import ImportRefused, LineError, csv_lines, data_rows, heading
from server.office.opening_batch import OpeningBatch
from server.office.openings import OpeningKeys, apply_figures, keys_on, read_line
from server.office.people import require_office

MAX_CSV_BYTES = 2 * 1024 * 1024  # some thousands of people
MAX_LINES = 10_000  # one per employee: more is not one institution's staff
NOTHING_IT, NOTHING_EN = "nessun saldo registrato", "no balance written"
FIXED: dict[str, tuple[str, frozenset[str]]] = {
    "number": ("matricola", frozenset({"matricola", "number", "numero matricola",
                                       "n matricola", "n. matricola"})),
    "badge": ("badge", frozenset({"badge", "tessera", "codice badge", "n badge"})),
    "start": ("data", frozenset({"data", "date", "start", "dal", "data inizio", "inizio",
                                 "data adozione", "alla data"})),
    "balance": ("saldo ore", frozenset({"saldo ore", "saldo", "conto ore", "saldo conto ore",
                                        "balance"})),
    "reason": ("motivo", frozenset({"motivo", "note", "reason"})),
    "name": ("nome", frozenset({"nome", "name", "nominativo", "cognome e nome",
                                "nome e cognome", "dipendente"})),  # read, not written
}


@dataclass(frozen=True)
class OpeningsImported:
    numbers: list[str]  # the employees whose balances were written, in file order


def template_headings(keys: OpeningKeys) -> list[str]:
    """The headings of the file the office fills in, as the import reads them."""
    leaves = [text for name, label in keys.leaves.items()
              for text in (label.lower(), f"{label.lower()} anno precedente")
              if name in keys.carried or not text.endswith(" anno precedente")]
    return ["matricola", "nome", "data", "saldo ore", *leaves,
            *(f"{label} - ore usate" for label in keys.yearly.values()), "motivo"]


def template_csv(session: Session, actor: User) -> str:
    """The empty file to fill in: `;` and a BOM, as Italian Excel opens it."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(
        template_headings(keys_on(session, actor.institution_id, utcnow().date())))
    return "\ufeff" + out.getvalue()


def column_of(keys: OpeningKeys) -> dict[str, str]:
    """Each heading taken, as `heading` compares it → the key of `server.office.openings`."""
    known = {heading(alias): key for key, (_, aliases) in FIXED.items() for alias in aliases}
    for name, label in keys.leaves.items():
        for text in (name, label):
            known[heading(text)] = f"leave:{name}"
            for tail in (" anno precedente", " anno prec", " residue anno precedente"):
                known[heading(text + tail)] = f"carried:{name}"
    for name, label in keys.yearly.items():
        for text in (name, label):
            for tail in ("", " usate", " ore usate", " usati"):
                known.setdefault(heading(text + tail), f"used:{name}")
    return known


def import_openings(session: Session, actor: User, data: bytes | str, *,
                    now: datetime | None = None) -> OpeningsImported:
    """Check every line, hand every figure to its service, then keep all or nothing."""
    require_office(actor, "importare i saldi iniziali", "import opening balances")
    if len(data) > MAX_CSV_BYTES:
        raise ImportRefused([LineError(1, "il file supera 2 MB: non è un elenco del "
                                          "personale.", "the file is over 2 MB: not a "
                                                        "staff list.")],
                            NOTHING_IT, NOTHING_EN)
    now = now or utcnow()
    lines = csv_lines(data)
    if len(lines) > MAX_LINES + 1:
        raise ImportRefused([LineError(MAX_LINES + 2, f"il file ha più di {MAX_LINES} righe.",
                                       f"the file has more than {MAX_LINES} lines.")],
                            NOTHING_IT, NOTHING_EN)
    keys = keys_on(session, actor.institution_id, now.date())
    columns = _header(lines[0] if lines else [], keys)
    people = _People(session, actor.institution_id)
    rows = list(data_rows(lines, columns))
    errors: list[LineError] = []
    written: list[str] = []
    with session.begin_nested():  # any refusal below undoes every line
        # What every figure is checked against, read once for the file's employees.
        batch = OpeningBatch(session, actor, now, people.named(rows))
        for line, row in rows:
            if isinstance(row, LineError):
                errors.append(row)
                continue
            employee, problem = people.of(line, row)
            if employee is None:
                errors.append(LineError(line, *problem))
                continue
            figures = read_line(row, keys)
            # Each figure's audit entry says where it came from when the file gives no reason.
            figures.reason = figures.reason or f"importazione dei saldi iniziali, riga {line}"
            found = apply_figures(batch, employee, figures)
            errors += [LineError(line, it, en) for it, en in found]
            written.append(employee.number)
        if not errors and not written:
            errors.append(LineError(2, "il file non contiene saldi, solo l'intestazione.",
                                    "the file holds no balance, only the header."))
        if errors:
            raise ImportRefused(sorted(errors, key=lambda e: e.line), NOTHING_IT,
                                NOTHING_EN)
        batch.write()
        record(session, actor, "openings_imported", f"institution:{actor.institution_id}",
               {"count": len(written), "numbers": written}, now=now)
    return OpeningsImported(written)


def _header(fields: list[str], keys: OpeningKeys) -> list[str]:
    known = column_of(keys)
    columns = [known.get(heading(text), "") for text in fields]
    errors = [LineError(1, f"la colonna «{text.strip()[:60]}» non è riconosciuta; le colonne "
                           f"valide sono {', '.join(template_headings(keys))}.",
                        f"the column “{text.strip()[:60]}” is not known.")
              for text, column in zip(fields, columns, strict=True)
              if not column and text.strip()]
    twice = [c for c in dict.fromkeys(columns) if c and columns.count(c) > 1]
    errors += [LineError(1, f"la colonna «{fields[columns.index(c)].strip()[:60]}» compare "
                            "due volte.", f"the column “{c}” appears twice.") for c in twice]
    if "number" not in columns and "badge" not in columns:
        errors.append(LineError(1, "manca la colonna «matricola» (o «badge»).",
                                "the column “matricola” (or “badge”) is missing."))
    if "start" not in columns:
        errors.append(LineError(1, "manca la colonna «data».", "the column “data” is missing."))
    if errors:
        raise ImportRefused(errors, NOTHING_IT, NOTHING_EN)
    return columns


class _People:
    """The institution's employees by number and by badge, and the lines each is on."""

    def __init__(self, session: Session, institution_id: str) -> None:
        self.by_number = {e.number: e for e in session.scalars(select(Employee).where(
            Employee.institution_id == institution_id))}
        by_id = {e.id: e for e in self.by_number.values()}
        self.by_badge = {code: by_id[employee_id] for code, employee_id in session.execute(
            select(Badge.code, Badge.employee_id).where(
                Badge.institution_id == institution_id, Badge.revoked_at.is_(None)))
            if employee_id in by_id}
        self.lines: dict[int, int] = {}

    def named(self, rows: list[tuple[int, dict[str, str] | LineError]]) -> set[int]:
        """The ids of the employees the lines name, by number or badge."""
        return {e.id for _, row in rows if isinstance(row, dict)
                for e in (self.by_number.get(row.get("number", "")[:60]),
                          self.by_badge.get(row.get("badge", "")[:60])) if e is not None}

    def of(self, line: int, row: dict[str, str]) -> tuple[Employee | None, tuple[str, str]]:
        number, badge = row.get("number", "")[:60], row.get("badge", "")[:60]
        employee = self.by_number.get(number) if number else self.by_badge.get(badge)
        if not number and not badge:
            return None, ("manca la matricola (o il badge).", "the number (or badge) is missing.")
        if employee is None:
            what = f"la matricola {number}" if number else f"il badge {badge}"
            return None, (f"{what} non corrisponde a nessun dipendente.",
                          f"{'number ' + number if number else 'badge ' + badge} matches no "
                          "employee.")
        if number and badge and self.by_badge.get(badge) is not employee:
            return None, (f"il badge {badge} non è della matricola {number}.",
                          f"badge {badge} is not number {number}'s.")
        if employee.id in self.lines:
            return None, (f"il dipendente {employee.number} compare già alla riga "
                          f"{self.lines[employee.id]}.",
                          f"employee {employee.number} is already on line "
                          f"{self.lines[employee.id]}.")
        self.lines[employee.id] = line
        return employee, ("", "")
