"""Issue 11: "percentages over a multi-week window (supplementary work ≤ 10 % over four
weeks)". The clinic's part time (tests/data/schedules.rules: 3h36m a day, Monday to Friday)
has the code SUPPL, «in misura non superiore al 10% della durata dell'orario di lavoro a
tempo parziale riferita a periodi non superiori ad un mese»: `max 10% of due per 4 weeks
from 2026-01-05`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dsl.parser import parse
from server.engine import Stamp, evaluate_month
from server.engine.month import Opening
from server.engine.notes import worded
from server.policy.compile import compile_policy
from server.policy.model import Policy

RULES = Path(__file__).parents[1] / "data" / "schedules.rules"


@pytest.fixture(scope="module")
def clinic() -> Policy:
    return compile_policy(parse(RULES.read_text(encoding="utf-8"), RULES.name))


def supplementary(*days: date) -> dict[date, list[Stamp]]:
    """3h36m due, 6h36m stamped, the exit coded SUPPL: 3h of supplementary work a day."""
    return {d: [Stamp(8 * 60, "in"), Stamp(14 * 60 + 36, "out", "SUPPL")] for d in days}


def window_line() -> int:
    lines = RULES.read_text(encoding="utf-8").splitlines()
    return next(n for n, t in enumerate(lines, 1) if "max 10% of due per 4 weeks" in t)


def test_beyond_a_tenth_of_the_four_weeks_due_is_not_paid(clinic: Policy) -> None:
    # The window of 2 to 29 March: 20 working days of 3h36m = 72h, a tenth 7h12m.
    month = evaluate_month(clinic, "part_time", 2026, 3,
                           supplementary(date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 17)))
    assert month.by_code["SUPPL"] == 9 * 60
    assert month.over_cap["SUPPL"] == 60 + 48  # 9h - 7h12m
    assert month.overtime_paid == 7 * 60 + 12
    (flag,) = month.flags
    assert (flag.name, flag.count, flag.over) == ("SUPPL_over_limit", 108, 7 * 60 + 12)
    (step,) = [e for e in month.explanations() if e.rule.startswith("max 10%")]
    assert step.source == f"schedules.rules:{window_line()}"
    assert step.regulation == "CCNL, lavoro supplementare"
    assert step.detail == ("code SUPPL in the 4 weeks from 2 March 2026: 9h00, over 10% of "
                           "their due 72h00 (7h12): 1h48 not counted")
    # The manager's flag says the same, and both read the window's start as people say it.
    assert flag.message == step.detail
    for said in (step, flag):
        assert worded(said.message_id, said.args, "it") == (
            "codice SUPPL nelle 4 settimane dal 2 marzo 2026: 9h00, oltre il 10% del loro "
            "dovuto 72h00 (7h12): 1h48 non conteggiate")


def test_within_the_share_nothing_is_taken(clinic: Policy) -> None:
    month = evaluate_month(clinic, "part_time", 2026, 3,
                           supplementary(date(2026, 3, 3), date(2026, 3, 10)))
    assert month.overtime_paid == 6 * 60 and "SUPPL" not in month.over_cap
    assert month.flags == []


def test_a_window_across_two_months_counts_the_days_of_the_month_before(
        clinic: Policy) -> None:
    """The window of 30 March to 26 April: 19 working days (Easter Monday is a holiday),
    68h24m due, a tenth 6h50m. 6h in March fit; 3h more on 1 April pass it by 2h10m."""
    march = evaluate_month(clinic, "part_time", 2026, 3,
                           supplementary(date(2026, 3, 30), date(2026, 3, 31)))
    assert march.overtime_paid == 6 * 60 and "SUPPL" not in march.over_cap
    april_alone = evaluate_month(clinic, "part_time", 2026, 4, supplementary(date(2026, 4, 1)))
    assert april_alone.overtime_paid == 3 * 60  # without March, the window seems empty
    april = evaluate_month(clinic, "part_time", 2026, 4, supplementary(date(2026, 4, 1)),
                           opening=Opening(earlier_days=tuple(march.days)))
    assert april.over_cap["SUPPL"] == 2 * 60 + 10
    assert april.overtime_paid == 50
    (step,) = [e for e in april.explanations() if e.rule.startswith("max 10%")]
    assert step.detail == ("code SUPPL in the 4 weeks from 30 March 2026: 9h00, over 10% of "
                           "their due 68h24 (6h50): 2h10 not counted")


def test_a_window_that_starts_before_the_first_rules_owes_nothing_then(clinic: Policy) -> None:
    """January 2026: the window of 8 December to 4 January reaches before the file's rules
    (from 1 January); those days owe nothing, and the month is evaluated."""
    month = evaluate_month(clinic, "part_time", 2026, 1, supplementary(date(2026, 1, 2)))
    # The window's due is 2 January's alone (the 1st is a holiday): 3h36m, a tenth 21m.
    assert month.over_cap["SUPPL"] == 3 * 60 - 21
