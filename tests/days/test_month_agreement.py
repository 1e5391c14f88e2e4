"""Property: the same month reads the same everywhere. Random months of random employees of
all four institutions, with random stamps, corrections and approved requests: the timecard
(page data and JSON), the summaries JSON, the office's report rows, the figures the month
close stores and the monthly PDF show the same figures, day by day and in total.

Issue 9: "timecard balance +0h25, summaries -123h05 with 17 anomalies"; "one computation,
read everywhere".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, date, datetime
from itertools import count

import msgspec
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdf_text import pdf_text
from sqlalchemy.orm import Session
from world import World, world

from server.db import make_engine, upgrade
from server.db.directory import ensure_institution
from server.db.models import Request as RequestRow
from server.db.models import Stamp, User
from server.errors import OfficeError
from server.minutes import hours as page_hours
from server.office import activation, closing, corrections, decisions, requests
from server.office.closing import FIGURES, EmployeeFigures
from server.office.reports import ReportTable, hours, institution_report, to_csv
from server.office.summary import month_summary
from server.policy.load import load_policy
from server.web.month_pdf import month_pdf
from server.web.routes.summaries import DEADLINE_LABELS
from server.web.summary_view import summary_out
from server.web.timecard import month_view

INSTITUTIONS = ("university", "school", "academy", "chamber")
NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)  # a Sunday: December is in progress
MONTHS = [(2026, m) for m in range(1, 13)]
numbers = count(1)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, World]]:
    """One SQLite database, the four institutions with their people, kept for all examples:
    each example adds employees of its own."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('agreement')}/timbra.db")
    upgrade(engine)
    with Session(engine) as session:
        out = {}
        for institution in INSTITUTIONS:
            ensure_institution(session, institution, institution.title())
            out[institution] = world(session, institution)
        yield out
    engine.dispose()


@st.composite
def stamp_days(draw: st.DrawFn) -> list[tuple[int, list[tuple[str, int, bool]]]]:
    """Up to 8 days: (day of month, [(direction, minute, with a code)])."""
    days = draw(st.lists(st.integers(1, 28), max_size=8, unique=True))
    out = []
    for day in days:
        minutes = sorted(draw(st.lists(st.integers(6 * 60, 20 * 60), min_size=1, max_size=5,
                                       unique=True)))
        out.append((day, [("in" if i % 2 == 0 else "out", m, draw(st.booleans()) and i > 0)
                          for i, m in enumerate(minutes)]))
    return out


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(institution=st.sampled_from(INSTITUTIONS), month=st.sampled_from(MONTHS),
       profile_pick=st.integers(0, 99), days=stamp_days(), code_pick=st.integers(0, 99),
       corrections_wanted=st.lists(st.tuples(st.integers(0, 99), st.booleans(),
                                             st.integers(-60, 60)), max_size=3),
       missed=st.lists(st.tuples(st.integers(1, 28), st.integers(7 * 60, 19 * 60),
                                 st.booleans()), max_size=2),
       justified=st.lists(st.tuples(st.integers(1, 28), st.integers(0, 99)), max_size=2))
def test_every_page_shows_the_same_month(
        worlds: dict[str, World], institution: str, month: tuple[int, int], profile_pick: int,
        days: list[tuple[int, list[tuple[str, int, bool]]]], code_pick: int,
        corrections_wanted: list[tuple[int, bool, int]], missed: list[tuple[int, int, bool]],
        justified: list[tuple[int, int]]) -> None:
    w = worlds[institution]
    year, number = month
    version = load_policy(institution).version_on(date(year, number, 1))
    profiles = sorted(version.profiles)
    key = f"p{next(numbers)}"
    employee = w.employee(key, profile=profiles[profile_pick % len(profiles)], unit="lab")
    terminal_codes = sorted(c for c, d in version.codes.items()
                            if d.entered and "terminal" in d.entered.value)
    web_codes = sorted(c for c, d in version.codes.items()
                       if d.entered and "web" in d.entered.value and d.kind
                       and not d.kind.value.startswith("overtime"))
    for day, stamps in days:
        text = ", ".join(
            f"{d} {m // 60:02d}:{m % 60:02d}"
            + (f" code {terminal_codes[(code_pick + m) % len(terminal_codes)]}"
               if coded and terminal_codes else "") for d, m, coded in stamps)
        w.stamps(key, date(year, number, day), text)
    office, manager = w.users["office"], w.users["lab_head"]
    _correct(w, employee.id, corrections_wanted)
    # A random request the rules refuse (overlap, in the future, ...) is simply not made.
    for day, minute, is_out in missed:
        with suppress(OfficeError):
            _approve(w, requests.file_missed_stamp(
                w.session, office, employee.id, date(year, number, day), minute,
                "out" if is_out else "in", "dimenticato", now=NOW), manager)
    for day, pick in justified:
        with suppress(OfficeError):
            if web_codes:
                _approve(w, requests.file_justification(
                    w.session, office, employee.id, date(year, number, day),
                    web_codes[pick % len(web_codes)], notes="x", now=NOW), office)
    w.session.commit()

    card = month_view(w.session, employee, year, number, now=NOW)
    summary = month_summary(w.session, office, employee.id, year, number, now=NOW)
    data = msgspec.to_builtins(summary_out(summary))  # what the summary API answers
    figures = ("worked", "due", "balance", "meal_vouchers", "due_in_month")
    assert [getattr(card, f) for f in figures] == [data[f] for f in figures]
    assert card.anomalies == len(data["anomalies"])
    by_day = {d["date"]: d for d in data["days"]}
    for shown in card.days:
        if shown.computed:
            day = by_day.pop(shown.date)
            assert (shown.worked, shown.due, shown.balance, shown.meal_voucher) == (
                day["worked"], day["due"], day["balance"], day["meal_voucher"])
            assert [a.code for a in shown.anomalies] == [a["code"] for a in day["anomalies"]]
        else:
            assert shown.date >= data["today"] and not shown.anomalies
    assert not by_day, "the summaries evaluated days the timecard does not show"
    balances = _row(institution_report(w.session, office, year, number, "balances", now=NOW),
                    employee.number)
    assert balances[3:8] == [hours(data["worked"]), hours(data["due"]),
                             hours(data["balance"]), str(data["meal_vouchers"]),
                             str(len(data["anomalies"]))]
    overtime = _row(institution_report(w.session, office, year, number, "overtime", now=NOW),
                    employee.number)
    assert overtime[3:] == [hours(data[f]) for f in ("overtime_paid", "overtime_banked",
                                                     "to_recover", "negative_flex",
                                                     "unjustified")]
    text = pdf_text(month_pdf(w.session, summary, NOW, DEADLINE_LABELS))
    # The PDF writes hours as the pages do (7h12), the report's files as a spreadsheet (7:12).
    assert (f"Lavorato {page_hours(data['worked'])} · Dovuto {page_hours(data['due'])} · "
            f"Saldo {page_hours(data['balance'])}") in text
    assert f"Buoni pasto {data['meal_vouchers']}" in text
    account = data["account"]  # the hours account: the same on the timecard and the PDF
    if account is None:
        assert card.account_opening is None and card.account_closing is None
    else:
        assert (card.account_opening, card.account_closing) == (account["opening"],
                                                                account["closing"])
        running = [d.account for d in card.days if d.account is not None]
        came_in = next(m["effect"] for m in account["movements"] if m["kind"] == "month")
        assert (running[-1] if running else account["opening"]) + card.account_adjustment \
            == account["opening"] + came_in
        assert f"Saldo finale {page_hours(account['closing'])}" in text
    if month < (NOW.year, NOW.month):  # only an ended month can be closed
        closed = _close(w, year, number, employee.id)
        assert [getattr(closed, f) for f in FIGURES] == [data[f] for f in FIGURES]
        assert closed.anomalies == len(data["anomalies"])
    activation.deactivate_employee(w.session, office, employee.id, reason="fine prova",
                                   now=NOW)
    w.session.commit()


def _close(w: World, year: int, month: int, employee_id: int) -> EmployeeFigures:
    """The month closed (with a reason: random months have open anomalies), its stored
    figures read back, and the month reopened for the next example."""
    office = w.users["office"]
    closing.close_month(w.session, office, year, month, reason="prova", now=NOW)
    figures = [f for f in closing.close_figures(w.session, office, year, month)
               if f.employee_id == employee_id]
    closing.reopen(w.session, office, year, month, "prova", now=NOW)
    w.session.commit()
    assert len(figures) == 1
    return figures[0]


def _correct(w: World, employee_id: int, wanted: list[tuple[int, bool, int]]) -> None:
    for pick, void, shift in wanted:
        ids = list(w.session.scalars(sa.select(Stamp.id).where(
            Stamp.employee_id == employee_id, Stamp.void.is_(False)).order_by(Stamp.id)))
        if not ids:
            return
        stamp = w.session.get(Stamp, ids[pick % len(ids)])
        assert stamp is not None
        with suppress(OfficeError):
            if void:
                corrections.void_stamp(w.session, w.users["office"], stamp.id, "errata",
                                       now=NOW)
            else:
                minute = min(max(stamp.local_minute + shift, 0), 24 * 60 - 1)
                corrections.correct_stamp(
                    w.session, w.users["office"], stamp.id, minute=minute,
                    direction=stamp.direction, code=stamp.code, reason="orario errato",
                    now=NOW)


def _approve(w: World, filed: RequestRow, who: User) -> None:
    if filed.state == "pending":
        decisions.approve(w.session, who, filed.id, now=NOW)


def _row(table: ReportTable, number: str) -> list[str]:
    """The employee's line of the report as the office reads it: the CSV, in hours."""
    data = to_csv(table)
    rows = [r for r in csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")
            if r[0] == number]
    assert len(rows) == 1
    return rows[0]
