"""Deadlines counted in hours, from another deadline, or open, as the engine resolves them."""

from __future__ import annotations

from datetime import date, datetime

from dsl import ast
from server.engine import Stamp, evaluate_day, evaluate_month
from server.engine.deadlines import fix_by, resolve
from server.policy.load import load_policy

POS = ast.Pos("t.rules", 1, 1)
DAY = date(2026, 3, 2)


def when(kind: ast.WhenKind, number: int = 0, anchor: str | None = None) -> ast.When:
    return ast.When(kind, number, None, 0, POS, anchor)


def test_hours_count_from_the_moment_given_or_the_days_end() -> None:
    """«entro le 48 ore successive» (issue 11): 48 h after the missed stamp."""
    assert resolve(when("within_time", 48 * 60), DAY, minute=13 * 60) == datetime(2026, 3, 4, 13)
    assert fix_by(when("within_time", 48 * 60), DAY) == datetime(2026, 3, 5, 0, 0)


def test_a_deadline_counted_from_another() -> None:
    report = ast.Deadline("report", ast.When("day_of", 15, "next_month", 0, POS), POS)
    deadlines = {"report": report}
    assert resolve(when("within_days", 5, "report"), DAY, deadlines) == date(2026, 4, 20)
    assert resolve(when("within_time", 36 * 60, "report"), DAY, deadlines) == datetime(
        2026, 4, 17, 12)
    assert resolve(when("within_days", 5, "report"), DAY, {}) is None


def test_an_open_deadline_has_no_date_and_an_anomaly_waits_for_the_month_close() -> None:
    assert resolve(when("open_ended"), DAY) is None
    assert fix_by(when("open_ended"), DAY) == datetime(2026, 3, 31, 23, 59)


def test_the_academys_corrections_are_asked_within_5_days_of_the_prospetto() -> None:
    """Seed 004 art. 9: «Entro il giorno 15 del mese successivo ... il prospetto individuale
    delle presenze ... sarà disponibile»; «Eventuali rettifiche devono essere richieste entro
    i 5 giorni successivi»."""
    academy = load_policy("academy")
    month = evaluate_month(academy, "full_time", 2026, 3, {}, through=date(2026, 3, 31))
    assert month.deadlines["report"] == date(2026, 4, 15)
    assert month.deadlines["correction_request"] == date(2026, 4, 20)
    assert "missed_stamp" not in month.deadlines
    step = next(e for e in month.explanations() if e.figure == "correction_request")
    assert (step.source, step.rule) == ("academy.rules:312",
                                        "correction_request 5 days after report")


def test_the_academys_missed_stamp_has_no_term() -> None:
    """Seed 004 art. 3: «certificare nel più breve tempo possibile»: no number, no term."""
    academy = load_policy("academy")
    result = evaluate_day(academy, "full_time", DAY, [Stamp(450, "in")])
    assert [(a.code, a.fix_by) for a in result.anomalies] == [
        ("unpaired_stamps", datetime(2026, 3, 31, 23, 59))]
