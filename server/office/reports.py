"""The reports of seed 001, as CSV, XLSX and PDF, and the year's figures beside them.

Seed 001: "la stampa di due differenti tipi di tabulati: quello dei saldi e quello
delle voci di "straordinario", "ore per recupero" e "assenze ingiustificate"".
`institution_report` builds a table for a month (the personnel office sees
everyone, a manager their unit: "spediti alle singole strutture"), its headings in the
reader's language; `to_csv`, `to_xlsx` and `to_pdf` render it, each with a totals row.
Besides seed 001's two, `account` gives each person's hours account (opening, the month's
movements by kind, closing) and leave in days (entitled, taken, left), as the Riepiloghi
show them (`server.office.summary`: the one computation); `deductions` lists what the
account docks from pay that month (seed 002: "la proporzionale decurtazione della
retribuzione"), for payroll.
The table keeps minutes as integers and days as `Days`; the files show hours: "7:15"
(negatives "-0:30") in CSV, "7h15" in the PDF (as the pages, which a person reads beside
it), real time cells in XLSX (a fraction of a day
formatted `[h]:mm`, so Excel adds them up; the 1904 date system, so a negative balance
shows "-0:30" and not "####"); days as the pages write them ("12½") in CSV and PDF,
numbers in XLSX. The CSV is the one Italian Excel opens by a double click: `;` between
fields, UTF-8 with a BOM.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterable
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
from server.days.month import PersonMonth
from server.days.rules_in_force import RulesInForce, policy_on
from server.db.models import Employee, User
from server.engine.account import KINDS as MOVEMENT_KINDS
from server.engine.account import AccountMonth, account_rules
from server.engine.leave import Days, LeaveYear, days
from server.engine.notes import worded
from server.errors import NotAllowed, OfficeError
from server.i18n.current import N_, current_locale, gettext
from server.minutes import hours as minutes_text
from server.office.printing import Align, Letterhead, Sheet, letterhead
from server.office.summary import (
    MOVEMENT_LABELS,
    month_accounts,
    month_leave,
    months_of,
)

Cell = str | int | float

# Each report's title, as a message id worded when built; in the order the page lists them.
KINDS: dict[str, str] = {
    "balances": N_("Balances report"),
    "overtime": N_("Overtime, hours to recover, unjustified absences"),
    "account": N_("Hours account and leave"),
    "deductions": N_("Deductions from pay"),
}
# Seed 001's two lists: [(figure of the month, column heading)].
FIGURES: dict[str, list[tuple[str, str]]] = {
    "balances": [
        ("worked", N_("Worked")), ("due", N_("Due")), ("balance", N_("Balance")),
        ("meal_vouchers", N_("Meal vouchers")), ("anomalies", N_("Anomalies"))],
    "overtime": [
        ("overtime_paid", N_("Overtime paid")), ("overtime_banked", N_("Overtime banked")),
        ("to_recover", N_("Permits to recover")), ("negative_flex", N_("Negative flex")),
        ("unjustified", N_("Unjustified absences"))],
}
BASE = (N_("Number"), N_("Name"), N_("Unit"))
COUNTS = frozenset({"meal_vouchers", "anomalies"})  # not minutes
# A leave's columns, yearly or capped by the month (smart working).
YEARLY = (N_("%(leave)s: entitled"), N_("%(leave)s: from last year"), N_("%(leave)s: taken"),
          N_("%(leave)s: left"))
MONTHLY = (N_("%(leave)s: allowed this month"), N_("%(leave)s: taken this month"),
           N_("%(leave)s: left this month"))
# A text cell starting with one of these is a formula to Excel and LibreOffice: a name
# imported as `=HYPERLINK(...)` would run on the reader's machine (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TIME_FORMAT = "[h]:mm"
MINUTES_A_DAY = 24 * 60
WIDE_TABLE = 8  # figure columns beyond which the PDF narrows names and type
TEXT_WEIGHT = 3  # a text column's width, in figure columns


@dataclass
class ReportTable:
    kind: str
    heading: Letterhead
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    minute_columns: frozenset[int] = frozenset()
    day_columns: frozenset[int] = frozenset()  # `Days`
    text_columns: frozenset[int] = frozenset()  # words past the base: no total

    @property
    def title(self) -> str:
        return f"{self.heading.title} – {self.heading.period}"

    @property
    def figure_columns(self) -> range:
        return range(len(BASE), len(self.columns))

    @property
    def summed_columns(self) -> list[int]:
        return [i for i in self.figure_columns if i not in self.text_columns]

    def totals(self) -> list[Cell]:
        """"Totale" and the sum of each figure (minutes, days or counts); a person the
        figure does not apply to (an empty cell) adds nothing."""
        sums: list[Cell] = ["" for _ in self.figure_columns]
        for i in self.summed_columns:
            found = [c for c in (row[i] for row in self.rows) if not isinstance(c, str)]
            sums[i - len(BASE)] = (Days(sum(found)) if i in self.day_columns
                                   else int(sum(found)))
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
    rules = RulesInForce(session, [actor.institution_id])
    people = months_of(session, rules, employees, year, month, now=now)
    table = ReportTable(kind, letterhead(session, actor.institution_id, gettext(KINDS[kind]),
                                         year, month, now or datetime.now(UTC)),
                        [gettext(h) for h in BASE])
    if kind in FIGURES:
        _month_figures(table, FIGURES[kind], employees, people)
        return table
    accounts = month_accounts(session, rules, people.values(), now=now)
    if kind == "account":
        _accounts(table, employees, accounts, month_leave(session, rules, people.values()))
    else:
        _deductions(table, employees, accounts)
    return table


def report_kinds(session: Session, institution_id: str, year: int, month: int
                 ) -> dict[str, str]:
    """The reports a month has to give: the account's only where the rules in force keep an
    hours account or leave in days, the deductions only where the account docks from pay
    (`not_recovered deduct`); every one in a month no rules are in force in."""
    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    try:
        policy = policy_on(session, institution_id, first)
        account = account_rules(policy, year, month)
        leaves = bool(policy.version_on(last).leaves)
    except LookupError:  # no rules that month: each download says so
        return dict(KINDS)
    deducts = account is not None and account.not_recovered is not None and (
        account.not_recovered.kind == "deduct")
    return {kind: title for kind, title in KINDS.items()
            if (kind != "account" or account is not None or leaves)
            and (kind != "deductions" or deducts)}


def _base(employee: Employee) -> list[Cell]:
    return [employee.number, employee.name, employee.unit or ""]


def _add_columns(table: ReportTable, headings: Iterable[str], *, minutes: bool = False,
                 days_: bool = False, text: bool = False) -> None:
    for heading in headings:
        index = len(table.columns)
        table.columns.append(heading)
        if minutes:
            table.minute_columns |= {index}
        if days_:
            table.day_columns |= {index}
        if text:
            table.text_columns |= {index}


def _month_figures(table: ReportTable, figures: list[tuple[str, str]],
                   employees: list[Employee], people: dict[int, PersonMonth]) -> None:
    for name, heading in figures:
        _add_columns(table, [gettext(heading)], minutes=name not in COUNTS)
    for employee in employees:
        result = people[employee.id].result
        table.rows.append([*_base(employee), *(
            len(result.anomalies) if name == "anomalies" else int(getattr(result, name))
            for name, _ in figures)])


def _accounts(table: ReportTable, employees: list[Employee],
              accounts: dict[int, AccountMonth | None],
              leave: dict[int, list[LeaveYear]]) -> None:
    """Opening, each kind of movement the month has (its effect on the balance where it
    has one, else the hours it moved: a debt compensated, recovered), closing; then each
    leave's days. A person whose rules keep no account, or lack a leave, has empty cells;
    where nobody's do, the account has no columns."""
    kept = [a for a in accounts.values() if a is not None]
    kinds = [k for k in MOVEMENT_KINDS
             if (k == "month" and bool(kept)) or any(m.kind == k for a in kept
                                                     for m in a.movements)]
    if kept:
        _add_columns(table, [gettext("Opening balance"), *(gettext(MOVEMENT_LABELS[k])
                                                           for k in kinds),
                             gettext("Closing balance")], minutes=True)
    leaves: dict[str, tuple[str, bool, bool]] = {}  # name → label, yearly, carried
    for year in (y for found in leave.values() for y in found):
        _, _, carried = leaves.get(year.name, (year.label, year.yearly, False))
        leaves[year.name] = (year.label, year.yearly, carried or bool(year.carried_in))
    for label, yearly, carried in leaves.values():
        headings = [h for h in YEARLY if carried or h != YEARLY[1]] if yearly else MONTHLY
        _add_columns(table, [gettext(h, leave=label) for h in headings], days_=True)
    for employee in employees:
        account = accounts.get(employee.id)
        row = _base(employee)
        if account is None:
            row += [""] * (len(kinds) + 2) if kept else []
        else:
            row += [account.opening.balance,
                    *(sum(m.effect or m.minutes for m in account.movements if m.kind == k)
                      for k in kinds), account.closing.balance]
        mine = {y.name: y for y in leave.get(employee.id, [])}
        for name, (_, yearly, carried) in leaves.items():
            row += _leave_cells(mine.get(name), yearly, carried)
        table.rows.append(row)


def _leave_cells(year: LeaveYear | None, yearly: bool, carried: bool) -> list[Cell]:
    """As the Riepiloghi show a leave: the year's days, last year's, taken of both, left;
    a leave capped by the month, the month's."""
    if year is None:
        return [""] * (3 + (yearly and carried))
    if not yearly:
        return [days(year.month_cap or 0), days(year.month_taken),
                days(year.month_left or 0)]
    return [days(year.entitled), *([days(year.carried_in)] if carried else []),
            days(year.taken + year.carried_used), days(year.total_left)]


def _deductions(table: ReportTable, employees: list[Employee],
                accounts: dict[int, AccountMonth | None]) -> None:
    """One row per debt the month's end docks from pay: the hours, why, the rule."""
    _add_columns(table, [gettext("Hours to deduct")], minutes=True)
    _add_columns(table, [gettext("Reason"), gettext("Rule")], text=True)
    for employee in employees:
        account = accounts.get(employee.id)
        for move in account.movements if account is not None else ():
            if move.kind == "deduct":
                explain = move.explain
                table.rows.append([*_base(employee), move.minutes,
                                   worded(explain.message_id, explain.args,
                                          current_locale()),
                                   explain.source])


def hours(minutes: int) -> str:
    """The files' form of a duration: 7:40, -0:15."""
    return minutes_text(minutes, sep=":")


def _shown(table: ReportTable, row: list[Cell], sep: str = ":") -> list[str]:
    """A row as the CSV ("7:15", a spreadsheet's form) and the PDF (`sep` "h": "7h15", as
    the pages write it) write it: hours for minutes, inert text."""
    return [minutes_text(cell, sep) if index in table.minute_columns and isinstance(cell, int)
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
    for index in table.summed_columns:
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


def _xlsx_row(table: ReportTable, row: list[Cell]) -> list[Cell | None]:
    """Minutes as a fraction of a day: Excel's time value; days as numbers (12.5); a
    figure that does not apply, an empty cell."""
    return [cell / MINUTES_A_DAY if index in table.minute_columns and isinstance(cell, int)
            else None if cell == "" and index >= len(BASE)
            else cell for index, cell in enumerate(_inert(row))]


def _inert(row: list[Cell]) -> list[Cell]:
    """OWASP's remedy: a leading `'` makes a would-be formula text; numbers stay numbers."""
    return [f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell
            for cell in row]


def to_pdf(table: ReportTable) -> bytes:
    """One row per person under the letterhead; a table of many figures (the account and
    each leave's days) narrows the names and the type so its columns still hold a figure;
    a text (the reason of a deduction) is given room to read."""
    pdf = Sheet(table.heading)
    many = len(table.figure_columns) > WIDE_TABLE
    base = (18, 40, 24) if many else (22, 60, 40)
    weights = [TEXT_WEIGHT if i in table.text_columns else 1 for i in table.figure_columns]
    unit = (pdf.epw - sum(base)) / max(sum(weights), 1)  # no figure: the rules keep none
    aligns: list[Align] = ["L", "L", "L", *("L" if i in table.text_columns else "R"
                                            for i in table.figure_columns)]
    pdf.grid((*base, *(unit * w for w in weights)),
             [table.columns, *(_shown(table, r, "h") for r in table.rows),
              _shown(table, table.totals(), "h")], aligns, totals=True, size=6.5 if many else 8)
    return pdf.bytes()
