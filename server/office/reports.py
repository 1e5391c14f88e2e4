"""The reports of seed 001, as CSV, XLSX and PDF.

Seed 001: "la stampa di due differenti tipi di tabulati: quello dei saldi e quello
delle voci di "straordinario", "ore per recupero" e "assenze ingiustificate"".
`institution_report` builds either table for a month (the personnel office sees
everyone, a manager their unit: "spediti alle singole strutture"), its headings in the
reader's language; `to_csv`, `to_xlsx` and `to_pdf` render it, each with a totals row.
The table keeps minutes as integers; the files show hours: "7:15" (negatives "-0:30") in
CSV and PDF, real time cells in XLSX (a fraction of a day formatted `[h]:mm`, so Excel
adds them up; the 1904 date system, so a negative balance shows "-0:30" and not "####").
The CSV is the one Italian Excel opens by a double click: `;` between fields, UTF-8 with
a BOM.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.employment import employed_from
from server.days.rules_in_force import RulesInForce, policy_on
from server.db.models import Employee, User
from server.errors import NotAllowed, OfficeError
from server.i18n.current import N_, gettext
from server.minutes import hours as minutes_text
from server.office.printing import Align, Letterhead, Sheet, letterhead
from server.office.summary import evaluate_months

Cell = str | int

# (title, [(figure, column heading)]) per report; message ids, worded when built.
KINDS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "balances": (N_("Balances report"), [
        ("worked", N_("Worked")), ("due", N_("Due")), ("balance", N_("Balance")),
        ("meal_vouchers", N_("Meal vouchers")), ("anomalies", N_("Anomalies"))]),
    "overtime": (N_("Overtime, hours to recover, unjustified absences"), [
        ("overtime_paid", N_("Overtime paid")), ("overtime_banked", N_("Overtime banked")),
        ("to_recover", N_("Permits to recover")), ("negative_flex", N_("Negative flex")),
        ("unjustified", N_("Unjustified absences"))]),
}
BASE = (N_("Number"), N_("Name"), N_("Unit"))
COUNTS = frozenset({"meal_vouchers", "anomalies"})  # not minutes
# A text cell starting with one of these is a formula to Excel and LibreOffice: a name
# imported as `=HYPERLINK(...)` would run on the reader's machine (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TIME_FORMAT = "[h]:mm"
MINUTES_A_DAY = 24 * 60


@dataclass
class ReportTable:
    kind: str
    heading: Letterhead
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    minute_columns: frozenset[int] = frozenset()

    @property
    def title(self) -> str:
        return f"{self.heading.title} – {self.heading.period}"

    @property
    def figure_columns(self) -> range:
        return range(len(BASE), len(self.columns))

    def totals(self) -> list[Cell]:
        """"Totale" and the sum of each figure (minutes or counts)."""
        sums: list[Cell] = [sum(int(row[i]) for row in self.rows) for i in self.figure_columns]
        return [gettext("Total"), "", "", *sums]


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
    table = ReportTable(
        kind, letterhead(session, actor.institution_id, gettext(title), year, month,
                         now or datetime.now(UTC)),
        [gettext(h) for h in BASE] + [gettext(h) for _, h in figures],
        minute_columns=frozenset(len(BASE) + i for i, (f, _) in enumerate(figures)
                                 if f not in COUNTS))
    for employee in employees:
        result = results[employee.id]
        values: list[Cell] = [employee.number, employee.name, employee.unit or ""]
        for name, _ in figures:
            values.append(len(result.anomalies) if name == "anomalies"
                          else int(getattr(result, name)))
        table.rows.append(values)
    return table


def hours(minutes: int) -> str:
    """The files' form of a duration: 7:40, -0:15."""
    return minutes_text(minutes, sep=":")


def _shown(table: ReportTable, row: list[Cell]) -> list[str]:
    """A row as the CSV and the PDF write it: hours for minutes, inert text."""
    return [hours(cell) if index in table.minute_columns and isinstance(cell, int)
            else str(cell) for index, cell in enumerate(_inert(row))]


def to_csv(table: ReportTable) -> bytes:
    """`;`-separated, hours as "7:15", a totals row; UTF-8 with BOM (Excel reads the
    accents right only with it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(_shown(table, row) for row in table.rows)
    writer.writerow(_shown(table, table.totals()))
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: ReportTable) -> bytes:
    """The letterhead, the headings, one row per person and a row of SUM formulas."""
    book = Workbook()
    book.epoch = CALENDAR_MAC_1904  # negative durations shown, not "####"
    sheet = book.active
    assert sheet is not None
    sheet.title = gettext("Report table")[:31]
    head = table.heading
    for line in (head.institution, table.title, head.status,
                 gettext("Printed on %(date)s", date=head.printed)):
        sheet.append([line])
    sheet["A1"].font = sheet["A2"].font = Font(bold=True)
    sheet.append(table.columns)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(_xlsx_row(table, row))
    last = sheet.max_row
    totals: list[Cell] = [gettext("Total")]
    sheet.append(totals)
    total_row = sheet.max_row
    sheet.cell(total_row, 1).font = Font(bold=True)
    for index in table.figure_columns:
        letter = get_column_letter(index + 1)
        cell = sheet.cell(total_row, index + 1,
                          f"=SUM({letter}{header_row + 1}:{letter}{last})" if table.rows else 0)
        cell.font = Font(bold=True)
        if index in table.minute_columns:
            cell.number_format = TIME_FORMAT
            for (data,) in sheet.iter_rows(min_row=header_row + 1, max_row=last,
                                           min_col=index + 1, max_col=index + 1):
                data.number_format = TIME_FORMAT
    for index, _ in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 28 if index == 2 else 16
    sheet.freeze_panes = f"A{header_row + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_row(table: ReportTable, row: list[Cell]) -> list[Cell | float]:
    """Minutes as a fraction of a day: Excel's time value."""
    return [cell / MINUTES_A_DAY if index in table.minute_columns and isinstance(cell, int)
            else cell for index, cell in enumerate(_inert(row))]


def _inert(row: list[Cell]) -> list[Cell]:
    """OWASP's remedy: a leading `'` makes a would-be formula text; numbers stay numbers."""
    return [f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell
            for cell in row]


def to_pdf(table: ReportTable) -> bytes:
    pdf = Sheet(table.heading)
    figures = len(table.columns) - len(BASE)
    widths = (22, 60, 40, *[(pdf.epw - 122) / figures] * figures)
    right: list[Align] = ["R"] * figures
    aligns: list[Align] = ["L", "L", "L", *right]
    pdf.grid(widths, [table.columns, *(_shown(table, r) for r in table.rows),
                      _shown(table, table.totals())], aligns, totals=True, size=8)
    return pdf.bytes()
