"""The reports of seed 001 and the employee's monthly report, as bytes.

Seed 001: "la stampa di due differenti tipi di tabulati: quello dei saldi e quello
delle voci di "straordinario", "ore per recupero" e "assenze ingiustificate"".
`institution_report` builds either table for a month (the personnel office sees
everyone, a manager their unit: "spediti alle singole strutture"); `to_csv`,
`to_xlsx` and `to_pdf` render it; `employee_month_pdf` prints one timecard.
Minutes are kept as integers in CSV and XLSX (exact for payroll) and printed as
h:mm in PDF.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.employment import employed_from
from server.days.rules_in_force import RulesInForce, policy_on
from server.db.models import Employee, User
from server.engine.notes import word
from server.errors import NotAllowed, OfficeError
from server.i18n.current import gettext
from server.minutes import hours as minutes_text
from server.office.summary import MonthSummary, evaluate_months

Cell = str | int

# (figure, Italian heading / English heading), per report.
KINDS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "balances": ("Tabulato dei saldi / Balances", [
        ("worked", "Lavorato / Worked"), ("due", "Dovuto / Due"),
        ("balance", "Saldo / Balance"), ("meal_vouchers", "Buoni pasto / Meal vouchers"),
        ("anomalies", "Anomalie / Anomalies")]),
    "overtime": ("Straordinario, ore per recupero, assenze ingiustificate / "
                 "Overtime, hours to recover, unjustified absences", [
        ("overtime_paid", "Straordinario retribuito / Overtime paid"),
        ("overtime_banked", "Straordinario a recupero / Overtime banked"),
        ("to_recover", "Permessi da recuperare / Permits to recover"),
        ("negative_flex", "Flessibilità negativa / Negative flex"),
        ("unjustified", "Assenze ingiustificate / Unjustified absences")]),
}
COUNTS = frozenset({"meal_vouchers", "anomalies"})  # not minutes
# A text cell starting with one of these is a formula to Excel and LibreOffice: a name
# imported as `=HYPERLINK(...)` would run on the reader's machine (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ReportTable:
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    minute_columns: frozenset[int] = frozenset()


def institution_report(session: Session, actor: User, year: int, month: int,
                       kind: str, *, now: datetime | None = None) -> ReportTable:
    if kind not in KINDS:
        raise OfficeError(f"Tabulato sconosciuto: {kind}", f"Unknown report: {kind}")
    first = date(year, month, 1)
    zone = ZoneInfo(policy_on(session, actor.institution_id, first).timezone)
    stmt = select(Employee).where(Employee.institution_id == actor.institution_id,
                                  employed_from(first, zone))
    if actor.role == "manager" and actor.unit is not None:
        stmt = stmt.where(Employee.unit == actor.unit)
    elif actor.role not in ("office", "manager"):
        raise NotAllowed("Solo l'ufficio del personale e i responsabili vedono i tabulati",
                         "Only the personnel office and managers see the reports")
    employees = list(session.scalars(stmt.order_by(Employee.number)))
    results = evaluate_months(session, RulesInForce(session, [actor.institution_id]),
                              employees, year, month, now=now)
    title, figures = KINDS[kind]
    base = ["Matricola / Number", "Nome / Name", "Unità / Unit"]
    table = ReportTable(f"{title} {month:02d}/{year}", base + [h for _, h in figures],
                        minute_columns=frozenset(len(base) + i for i, (f, _) in
                                                 enumerate(figures) if f not in COUNTS))
    for employee in employees:
        result = results[employee.id]
        values: list[Cell] = [employee.number, employee.name, employee.unit or ""]
        for name, _ in figures:
            values.append(len(result.anomalies) if name == "anomalies"
                          else int(getattr(result, name)))
        table.rows.append(values)
    return table


def hours(minutes: int) -> str:
    """The spreadsheets' and the PDF's form: 7:40, -0:15."""
    return minutes_text(minutes, sep=":")


def to_csv(table: ReportTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(_inert(row) for row in table.rows)
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read the accents right


def to_xlsx(table: ReportTable) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Tabulato"
    sheet.append([table.title])
    sheet.append(["Valori in minuti / Figures in minutes"])
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append(_inert(row))
    for index, _ in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _inert(row: list[Cell]) -> list[Cell]:
    """OWASP's remedy: a leading `'` makes a would-be formula text; numbers stay numbers."""
    return [f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell
            for cell in row]


def to_pdf(table: ReportTable) -> bytes:
    pdf = _pdf(table.title)
    width = (pdf.w - 20) / len(table.columns)
    pdf.set_font("Helvetica", "B", 7)
    for column in table.columns:
        pdf.cell(width, 8, _latin(column.split(" / ")[0]), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for row in table.rows:
        for index, value in enumerate(row):
            text = hours(value) if index in table.minute_columns and isinstance(value, int) \
                else str(value)
            pdf.cell(width, 6, _latin(text), border=1)
        pdf.ln()
    return bytes(pdf.output())


def employee_month_pdf(summary: MonthSummary) -> bytes:
    """The employee's monthly report: days, totals, allowances, anomalies, flags."""
    r, e = summary.result, summary.employee
    pdf = _pdf(f"Cartellino {r.month:02d}/{r.year} - {e.name} ({e.number})")
    pdf.set_font("Helvetica", "B", 8)
    heads = ["Giorno", "Timbrature", "Lavorato", "Dovuto", "Saldo", "Codici", "Anomalie"]
    widths = [22, 70, 20, 20, 20, 40, 85]
    for head, width in zip(heads, widths, strict=True):
        pdf.cell(width, 7, head, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 7)
    for d in r.days:
        stamps = " ".join(f"{'E' if s[0] == 'in' else 'U'}{hours(s[1])}"
                          + (f"/{s[2]}" if s[2] else "") for s in d.stamps)
        codes = " ".join(f"{c} {hours(m)}" for c, m in d.by_code.items())
        anomalies = "; ".join(a.code for a in d.anomalies)
        for text, width in zip([d.day.strftime("%a %d"), stamps, hours(d.worked),
                                hours(d.due), hours(d.balance), codes, anomalies],
                               widths, strict=True):
            pdf.cell(width, 5, _latin(text)[:60], border=1)
        pdf.ln()
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 9)
    lines = [
        (f"Totali fino al {r.days[-1].day:%d/%m/%Y}" if r.days else "Nessun giorno concluso")
        + f"  (dovuto nel mese {hours(r.due_in_month)})",
        f"Lavorato {hours(r.worked)}  Dovuto {hours(r.due)}  Saldo {hours(r.balance)}",
        f"Straordinario retribuito {hours(r.overtime_paid)}  a recupero "
        f"{hours(r.overtime_banked)}  Buoni pasto {r.meal_vouchers}",
        *[f"Scadenza {name}: {when.isoformat()}" for name, when in r.deadlines.items()],
        *[f"{a.label}: usati {hours(a.used)}, residui {hours(a.left)}" for a in r.allowances],
        *[f"Anomalia {a.day} {a.code}: da sanare entro {a.fix_by}" for a in r.anomalies],
        *[f"Segnalazione: {f.message} ({f.count})" for f in r.flags],
        *_account_lines(summary),
    ]
    for line in lines:
        pdf.cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _account_lines(summary: MonthSummary) -> list[str]:
    """The hours account as the Riepiloghi list it: opening, each movement with its rule's
    file:line, closing."""
    account = summary.account
    if account is None:
        return []
    moves = [f"  {word(gettext(m.explain.message_id), m.explain.args)} ({m.explain.source})"
             for m in account.movements]
    return [f"{gettext('Hours account')}: {gettext('Opening balance')} "
            f"{hours(account.opening.balance)}", *moves,
            f"  {gettext('Closing balance')} {hours(account.closing.balance)}"]


def _pdf(title: str) -> FPDF:
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=10)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 10, _latin(title), new_x="LMARGIN", new_y="NEXT")
    return pdf


def _latin(text: str) -> str:
    # The PDF core fonts speak Latin-1: Italian accents pass, anything else becomes '?'.
    return text.replace("’", "'").replace("€", "EUR").encode("latin-1", "replace").decode(
        "latin-1")
