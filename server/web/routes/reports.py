"""Tabulati / Reports (seed 001): balances; overtime, hours to recover and unjustified
absences; the hours account and leave; the deductions from pay — for a month, as CSV,
XLSX and PDF downloads and as JSON. The office sees the
institution, a manager their unit ("spediti alle singole strutture").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from server.errors import OfficeError
from server.i18n.current import gettext
from server.office.reports import (
    KINDS,
    ReportTable,
    institution_report,
    report_kinds,
    to_csv,
    to_pdf,
    to_xlsx,
)
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import MANAGER, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.office_calls import acting_user, month_of, previous_month
from server.web.routing import together

READERS = allow(MANAGER, OFFICE)
FORMATS = {
    "csv": ("text/csv", to_csv),  # Litestar adds the charset to text/*
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
    "pdf": ("application/pdf", to_pdf),
}


@dataclass(frozen=True)
class ReportJson:
    kind: str
    month: str
    title: str
    columns: list[str]
    rows: list[list[str | int | float]]
    minute_columns: list[int]  # which columns are minutes
    day_columns: list[int]  # which are days (12.5: twelve and a half; the rest text or counts)


def _table(db: DbSession, user: CurrentUser, kind: str,
           month: str | None) -> tuple[ReportTable, str]:
    if kind not in KINDS:
        raise NotFoundException(gettext("Unknown report"))
    year, number = month_of(month or previous_month(date.today()), date.today())
    return (institution_report(db, acting_user(db, user), year, number, kind),
            f"{year:04d}-{number:02d}")


@get("/reports", opt=READERS, sync_to_thread=True)
def reports_page(db: DbSession, user: AuthUser, month: FromQuery[str | None] = None
                 ) -> Template:
    """The reports of a month (seed 001's two first), each in three formats; those the
    rules in force give nothing to (no hours account, no deductions) are not offered."""
    chosen = month or previous_month(date.today())
    try:
        kinds = report_kinds(db, user.institution_id, *month_of(chosen, date.today()))
    except OfficeError:  # a month the form did not give: each download says what is wrong
        kinds = KINDS
    return Template("reports.html", context={
        "month": chosen, "kinds": kinds,
        "formats": list(FORMATS), "unit": user.unit if user.role == MANAGER else None})


@get("/reports/{kind:str}/{fmt:str}", opt=READERS, sync_to_thread=True)
def download(db: DbSession, user: AuthUser, kind: FromPath[str], fmt: FromPath[str],
             month: FromQuery[str | None] = None) -> Response[bytes]:
    """`fmt`: csv, xlsx or pdf, in the reader's language: hours ("7:15") in CSV (`;`, as
    Italian Excel opens it) and PDF, time cells (`[h]:mm`) in XLSX, each with a totals row."""
    if fmt not in FORMATS:
        raise NotFoundException(gettext("Unknown format: csv, xlsx, pdf"))
    table, label = _table(db, user, kind, month)
    media_type, render = FORMATS[fmt]
    name = f"tabulato-{kind}-{label}.{fmt}"
    return Response(render(table), media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@get("/api/v1/reports/{kind:str}", opt=READERS, sync_to_thread=True)
def report_api(db: DbSession, user: AuthUser, kind: FromPath[str],
               month: FromQuery[str | None] = None) -> ReportJson:
    """A report (`balances`, `overtime`, `account` or `deductions`) for `month` (YYYY-MM,
    default last month); the figures in `minute_columns` are minutes, those in
    `day_columns` days, for programs (the files show hours and "12½")."""
    table, label = _table(db, user, kind, month)
    rows = [[float(cell) if isinstance(cell, float) else cell for cell in row]
            for row in table.rows]  # `Days` as plain numbers
    return ReportJson(kind, label, table.title, table.columns, rows,
                      sorted(table.minute_columns), sorted(table.day_columns))


ROUTES = together(reports_page, download, report_api, tag="Reports")
