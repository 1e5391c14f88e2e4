"""Month close speed: the office's close against its own parts, on SQLite and PostgreSQL.

For each database: N employees of the university, one month of stamps (March 2026) bulk
inserted (not through the services); then, in the same run,
- the anchor: the same facts read and evaluated once (`load_facts` + the engine's month);
- the close: `close_month` as the office runs it (pre-check, snapshot, steps that evaluate,
  store the day results and the month's figures, lock).
Then the history: the same employees with a year of stamps before the month, the month
before it closed (untimed, as an office closes every month: the hours account then
carries from its frozen closing, not from a year of months never closed), and the month
closed again: year_vs_month is that close over the close with one month of stamps. Each
close is timed `--runs` times; the best counts and every run is printed.
On PostgreSQL with the year in place and March open again: p50/p95/p99 of the timecard's
service (no HTTP), first with the hours account carried from where it begins, then once
the recompute worker has kept each month's closing (a year of balances, against the same
months evaluated without them); then of the page and its API; the forward recompute
after a stamp 11 months back for one employee, against its months evaluated alone; and
the time from a late stamp (a forgotten exit of a past day) to its day result and its
month being current.

The close figure is scaled to 10,000 employees (a close is linear in its employees).
Last line: `close_10k_s <S> anchor_10k_s <A> ratio <S/A> year_vs_month <Y>`, where S and
A are those of the last database measured (PostgreSQL unless --database).

Run: .venv/bin/python bench/close.py [--employees 10000] [--database URL] [--quick]
[--reading-only] (the PostgreSQL reading side alone, without the closes)
[--close-only] (the closes alone) [--history-employees N] [--runs R]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.close_data import (  # noqa: E402
    HISTORY,
    HISTORY_FROM,
    INSTITUTION,
    MONTH,
    YEAR,
    add_history,
    build,
    fresh_database,
)
from bench.close_pages import (  # noqa: E402
    SAMPLE,
    fill_accounts_s,
    forward_s,
    late_stamp_s,
    months_s,
    page_percentiles,
    service_p95,
)
from server.days.facts import load_facts  # noqa: E402
from server.days.month import month_bounds  # noqa: E402
from server.days.rules_in_force import policy_on  # noqa: E402
from server.db.models import Employee, User  # noqa: E402
from server.engine import evaluate_month  # noqa: E402
from server.office.closing import close_month, precheck, reopen  # noqa: E402

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)  # March is over; its close may start
BATCH = 500  # employees per close step: the CLI's largest


def anchor(engine: Engine) -> float:
    """Read the month's facts of everyone and evaluate their months: the close's parts."""
    first, last = month_bounds(YEAR, MONTH)
    with Session(engine) as session:
        started = time.perf_counter()
        employees = list(session.execute(select(Employee.id, Employee.profile)))
        policy = policy_on(session, INSTITUTION, first)
        facts = load_facts(session, [e.id for e in employees], first, last)
        days = [first.replace(day=d) for d in range(1, last.day + 1)]
        for e in employees:
            evaluate_month(policy, e.profile, YEAR, MONTH,
                           {d: facts.stamps[(e.id, d)] for d in days
                            if (e.id, d) in facts.stamps},
                           {d: facts.requests[(e.id, d)] for d in days
                            if (e.id, d) in facts.requests}, through=last)
        return time.perf_counter() - started


def close(engine: Engine, reopen_first: bool = False, year: int = YEAR,
          month: int = MONTH) -> float:
    with Session(engine, expire_on_commit=False) as session:
        actor = session.scalar(select(User).where(User.role == "office"))
        assert actor is not None
        if reopen_first:
            reopen(session, actor, year, month, "bench: close again", now=NOW)
            session.commit()
        started = time.perf_counter()
        close_month(session, actor, year, month, batch=BATCH, reason="bench", now=NOW)
        return time.perf_counter() - started


def reopen_month(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        actor = session.scalar(select(User).where(User.role == "office"))
        assert actor is not None
        reopen(session, actor, YEAR, MONTH, "bench: the year open", now=NOW)
        session.commit()


def precheck_s(engine: Engine) -> float:
    """The close's pre-check alone (pending requests, open anomalies of everyone): it
    evaluates the month before the start, to ask for a reason when something is open."""
    with Session(engine) as session:
        actor = session.scalar(select(User).where(User.role == "office"))
        assert actor is not None
        started = time.perf_counter()
        precheck(session, actor, YEAR, MONTH)
        return time.perf_counter() - started


def timed(runs: int, measure: Callable[[], float]) -> list[float]:
    """`runs` measures; the best counts: this machine is shared, and a slow spell is not
    the code."""
    return [measure() for _ in range(runs)]


def best(runs: int, measure: Callable[[], float]) -> float:
    return min(timed(runs, measure))


def shown(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def one_database(url: str, employees: int, history: int, runs: int,
                 pages: bool, quick: bool = False) -> tuple[float, float, float]:
    scale = 10_000 / employees
    engine = build(url, employees)
    first_s = close(engine)  # the first close; the figure is a close again, as the year's
    # Anchor and close in turn, not all of one then all of the other: this machine's
    # speed drifts over minutes, and the ratio must compare like with like.
    anchors, closes = [], []
    for _ in range(runs):
        anchors.append(anchor(engine))
        closes.append(close(engine, reopen_first=True))
    anchor_s, close_s = min(anchors), min(closes)
    kind = engine.dialect.name
    check_s = best(runs, lambda: precheck_s(engine))
    print(f"{kind:<10} {employees} employees x 1 month: close {close_s:6.2f} s, anchor "
          f"{anchor_s:6.2f} s (x{scale:.1f} for 10k: {close_s * scale:.2f} s, "
          f"{anchor_s * scale:.2f} s); of the close, the pre-check {check_s:6.2f} s; "
          f"first close {first_s:.2f} s; runs {shown(closes)}, anchors {shown(anchors)}",
          flush=True)
    add_history(engine, employees if history == 0 else history)
    close(engine, year=HISTORY[-1][0], month=HISTORY[-1][1])  # the month before
    years = timed(runs, lambda: close(engine, reopen_first=True))
    year_s = min(years)
    print(f"{kind:<10} the same close with a year of stamps before it: {year_s:6.2f} s "
          f"(year/month {year_s / close_s:.2f}); runs {shown(years)}", flush=True)
    if pages:
        # March open again: the year's months all open, the account carried through them.
        reopen_month(engine)
        reading(engine, quick)
    engine.dispose()
    return close_s * scale, anchor_s * scale, year_s / close_s


def reading(engine: Engine, quick: bool) -> None:
    """The reading side (`bench.close_pages`) on a database with the year in place."""
    kind = engine.dialect.name
    # The worker as at NOW keeps the closings up to March: the pages (on today's date)
    # read March, whose account carries from February's.
    size = 40 if quick else SAMPLE  # the suite's run: figures printed, not judged
    carried = service_p95(engine, " (no closings kept)", size)
    fill = fill_accounts_s(engine, NOW)
    alone = months_s(engine, NOW, HISTORY_FROM)
    print(f"{kind:<10} a year of balances (the worker keeps every account's closings): "
          f"{fill:.1f} s, the same months without balances {alone:.1f} s, "
          f"ratio {fill / alone:.2f}", flush=True)
    kept = service_p95(engine, "", size)
    print(f"{kind:<10} timecard service p95 kept/carried: {kept / carried:.2f}", flush=True)
    page_percentiles(engine, NOW)
    took, baseline = forward_s(engine, NOW)
    print(f"{kind:<10} a stamp 11 months back -> its later closings kept again: "
          f"{took * 1000:.0f} ms (its months evaluated without balances "
          f"{baseline * 1000:.0f} ms, ratio {took / baseline:.2f})", flush=True)
    print(f"{kind:<10} late stamp -> its day and month current: "
          f"{late_stamp_s(engine) * 1000:.0f} ms", flush=True)


def reading_only(url: str, employees: int) -> None:
    """No close: the employees, a year of stamps each, then the reading side."""
    engine = build(url, employees)
    add_history(engine, employees)
    reading(engine, quick=False)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--history-employees", type=int, default=0, metavar="N",
                        help="employees given a year of stamps (default: all of them)")
    parser.add_argument("--database", action="append", metavar="URL",
                        help="a database URL (repeatable); default: a SQLite file and "
                             "a fresh database on the test PostgreSQL")
    parser.add_argument("--runs", type=int, default=1, help="best of this many runs")
    parser.add_argument("--quick", action="store_true",
                        help="100 employees, 20 with a year of stamps: for the suite (no "
                             "timing asserted)")
    parser.add_argument("--close-only", action="store_true",
                        help="the closes alone, without the PostgreSQL reading side: for a "
                             "run at the full 10,000 employees")
    parser.add_argument("--reading-only", action="store_true",
                        help="PostgreSQL only, no close: the timecard, the account's "
                             "closings and the late stamps (no last line)")
    args = parser.parse_args()
    if args.reading_only:
        with fresh_database(args.database) as urls:
            for url in urls:
                if url.startswith("postgresql"):
                    reading_only(url, args.employees)
        return
    if args.quick:
        args.employees, args.history_employees = 100, 20
    figures = None
    with fresh_database(args.database) as urls:
        for url in urls:
            figures = one_database(url, args.employees, args.history_employees, args.runs,
                                   pages=url.startswith("postgresql") and not args.close_only,
                                   quick=args.quick)
    assert figures is not None
    close_s, anchor_s, year_vs_month = figures
    print(f"close_10k_s {close_s:.2f} anchor_10k_s {anchor_s:.2f} "
          f"ratio {close_s / anchor_s:.2f} year_vs_month {year_vs_month:.2f}")


if __name__ == "__main__":
    main()
