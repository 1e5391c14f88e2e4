"""Engine speed: a synthetic month for N employees of each institution.

Prints employee-days per second for the rule-driven engine, and for a plain
hand-written function of the university's day rules run on the same data in
the same run, then the ratio (hand-written / engine: 1.0 means as fast).
Then the same for uneven weeks and shifts: employees with two returns chosen each (36 h as
3 × 6 h + 2 × 9 h) and nurses on a rota of morning, afternoon and night shifts (the night
ending the next morning), and its ratio to the same hand-written baseline.
Then a year of the hours account carried for each employee (`server/engine/account.py`).
Last line: `engine <N> employee-days/s handwritten <M> employee-days/s ratio <M/N> month_10k_s <S>
schedules <R> employee-days/s schedules_ratio <M/R> account_year_ratio <A>`, A being a year
of months with their balances carried over the same months without (target: under 2).

Times are the process's CPU time (`time.process_time`), not the wall clock: on a machine
shared with other work the wall clock measures the queue for a core, not the engine.

Run: .venv/bin/python bench/engine.py [--employees 10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dsl.parser import parse
from server.engine import Stamp, evaluate_day, evaluate_month
from server.engine.account import AccountState, carry_month
from server.engine.context import context_for
from server.engine.inputs import Schedule
from server.policy.compile import compile_policy
from server.policy.load import load_policy
from server.policy.model import Policy

YEAR, MONTH = 2026, 3
INSTITUTIONS = ("university", "school", "academy", "chamber")


def synthetic_day(rng: random.Random) -> list[Stamp]:
    """A plausible day: entry 07:50-09:10, lunch, sometimes a service exit, no pause."""
    entry = rng.randint(470, 550)
    shape = rng.random()
    if shape < 0.08:  # forgot the lunch pause
        return [Stamp(entry, "in"), Stamp(entry + rng.randint(420, 500), "out")]
    out = rng.randint(715, 800)
    back = out + rng.randint(25, 70)
    end = back + rng.randint(180, 280)
    stamps = [Stamp(entry, "in"), Stamp(out, "out"), Stamp(back, "in")]
    if shape < 0.18:  # leaves on a service errand and does not come back
        return [*stamps, Stamp(end - 60, "out", "35")]
    return [*stamps, Stamp(end, "out")]


def synthetic_month(employees: int, seed: int) -> list[dict[date, list[Stamp]]]:
    rng = random.Random(seed)
    days = [date(YEAR, MONTH, d) for d in range(1, 32)]
    working = [d for d in days if d.isoweekday() <= 5]
    return [{d: synthetic_day(rng) for d in working} for _ in range(employees)]


# ---- the baseline: the university's day rules (seed 002), written by hand ------------
DUE, ENTRY_FROM, ENTRY_UNTIL, LAST_STAMP = 435, 480, 540, 960
BAND_START, BAND_END, LAST_EXIT, PAUSE_MIN, DEDUCT, AFTER = 705, 870, 840, 30, 135, 360
SERVICE = {"35", "20", "36", "37", "38", "23", "41"}


def handwritten_day(day: date, stamps: Sequence[Stamp]) -> dict[str, object]:
    if day.isoweekday() > 5:
        return {"worked": 0, "due": 0, "balance": 0, "pause_deducted": 0, "meal_voucher": False}
    times = sorted(((s.minute + 2) // 5 * 5, s.code) for s in stamps)
    intervals = []
    for i in range(0, len(times) - 1, 2):
        start, in_code = times[i]
        end, out_code = times[i + 1]
        intervals.append((max(start, ENTRY_FROM), end, in_code, out_code))
    gross = sum(e - s for s, e, _, _ in intervals)
    service = 0
    by_code: dict[str, int] = {}
    gaps = []
    for (_, e1, _, c1), (s2, _, c2, _) in pairwise(intervals):
        gaps.append((e1, s2, c1 or c2))
    last = intervals[-1] if intervals else None
    if last and last[3] in SERVICE and last[1] < LAST_STAMP:
        service += LAST_STAMP - last[1]
        by_code[last[3]] = LAST_STAMP - last[1]
    pause_deducted, regular = 0, False
    for s, e, c in gaps:
        if c is None and BAND_START <= s <= LAST_EXIT and e <= BAND_END:
            regular = True
            pause_deducted = max(0, PAUSE_MIN - (e - s)) if gross >= AFTER else 0
            break
    if not regular and not gaps and gross >= AFTER:  # `from 6h`: "pari alle 6 ore"
        pause_deducted = min(DEDUCT, gross)
    worked = gross - pause_deducted + service
    return {"worked": worked, "due": DUE, "balance": worked - DUE,
            "pause_deducted": pause_deducted, "meal_voucher": worked >= 360 and regular,
            "by_code": by_code}


# ---- uneven weeks and shifts ------------------------------------------------------------
SCHEDULES = """
institution bench { name "Bench" timezone "Europe/Rome" holidays IT "MI" }
rules from 2026-01-01 {
    stamping { rounding nearest 5m double_swipe 1m }
    shift morning { span 07:00..14:00 }
    shift afternoon { span 14:00..21:00 }
    shift night { span 21:00..07:00 due 10h }
    profile full_time { weekly 36h days mon..fri due 7h12m }
    profile full_time_returns {
        weekly 36h days mon..fri due 6h entry 07:30..09:00 last_stamp 14:00
        pause { after 6h min 30m band 11:45..14:15 last_exit 13:45 deduct_unstamped 30m }
        choose 2 of mon..fri {
            due 9h exit 16:30..19:00
            pause { after 6h min 30m band 11:45..14:30 last_exit 14:00 deduct_unstamped 30m }
        }
    }
    profile nurse { shifts morning, afternoon, night pause { after 7h min 20m } }
    code "35" { label "Commissioni" kind service }
}
"""
ROTA = ("morning", "afternoon", "night", None)
SPANS = {"morning": (420, 840), "afternoon": (840, 1260), "night": (1260, 1860)}


def scheduled_months(employees: int, seed: int) -> list[dict[date, tuple[Schedule, list[Stamp]]]]:
    """Half the staff with two returns a week, half nurses on a four-day rota."""
    rng = random.Random(seed)
    days = [date(YEAR, MONTH, d) for d in range(1, 32)]
    months = []
    for n in range(employees):
        if n % 2:
            returns = Schedule("full_time_returns", frozenset({1 + n % 4, 1 + (n + 2) % 4}))
            months.append({d: (returns, synthetic_day(rng)) for d in days if d.isoweekday() <= 5})
            continue
        month = {}
        for d in days:
            shift = ROTA[(n + d.day) % 4]
            stamps: list[Stamp] = []
            if shift is not None:
                start, end = SPANS[shift]
                stamps = [Stamp(start + rng.randint(-10, 5), "in"),
                          Stamp(end + rng.randint(-5, 15), "out")]
            month[d] = (Schedule("nurse", shift=shift), stamps)
        months.append(month)
    return months


def measure_schedules(months: list[dict[date, tuple[Schedule, list[Stamp]]]]) -> float:
    policy = compile_policy(parse(SCHEDULES, "bench.rules"))
    started = time.process_time()
    count = 0
    for month in months:
        for day, (schedule, stamps) in month.items():
            evaluate_day(policy, schedule, day, stamps)
            count += 1
    elapsed = time.process_time() - started
    rate = count / elapsed
    print(f"{'engine uneven weeks, shifts':<28} {count:>8} employee-days in {elapsed:6.2f} s = "
          f"{rate:>9.0f}/s")
    return rate


def measure(label: str, months: list[dict[date, list[Stamp]]], fn: object) -> float:
    started = time.process_time()
    count = 0
    for month in months:
        for day, stamps in month.items():
            fn(day, stamps)  # type: ignore[operator]
            count += 1
    elapsed = time.process_time() - started
    rate = count / elapsed
    print(f"{label:<28} {count:>8} employee-days in {elapsed:6.2f} s = {rate:>9.0f}/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=10_000)
    args = parser.parse_args()
    months = synthetic_month(args.employees, seed=7)
    university = load_policy("university")
    for name in INSTITUTIONS:
        policy = load_policy(name)
        measure(f"engine {name}", months,
                lambda d, s, p=policy: evaluate_day(p, "full_time", d, s))
    engine = measure("engine university (again)", months,
                     lambda d, s: evaluate_day(university, "full_time", d, s))
    handwritten = measure("handwritten university", months, handwritten_day)
    agree = sum(
        evaluate_day(university, "full_time", d, s).worked == handwritten_day(d, s)["worked"]
        for month in months[:500] for d, s in month.items()
    )
    print(f"agreement on worked minutes (first 500 employees): {agree} days")
    # The engine's speed rests on its fast path; say how many days it answered.
    answered = sum(context_for(university, "full_time", d).fast(s) is not None
                   for month in months[:500] for d, s in month.items())
    print(f"fast path answered (first 500 employees): {answered} days")
    started = time.process_time()
    for month in months:
        evaluate_month(university, "full_time", YEAR, MONTH, month)
    month_s = time.process_time() - started
    account_s = measure_account(university, months)
    schedules = measure_schedules(scheduled_months(args.employees, seed=11))
    print(f"engine {engine:.0f} employee-days/s handwritten {handwritten:.0f} employee-days/s "
          f"ratio {handwritten / engine:.2f} month_10k_s {month_s * 10_000 / args.employees:.2f} "
          f"schedules {schedules:.0f} employee-days/s "
          f"schedules_ratio {handwritten / schedules:.2f} "
          f"account_year_ratio {(account_s + 12 * month_s) / (12 * month_s):.3f}")


def measure_account(policy: Policy, months: list[dict[date, list[Stamp]]]) -> float:
    """A year of the hours account: each employee's month carried twelve times (the months'
    evaluation aside, one employee at a time as the pages do), as a year of balances adds
    to a year of months."""
    elapsed = 0.0
    for stamps in months:
        result = evaluate_month(policy, "full_time", YEAR, MONTH, stamps)
        year = [replace(result, month=m, days=[]) for m in range(1, 13)]
        started = time.process_time()
        state = AccountState()
        for one in year:
            state = carry_month(policy, "full_time", state, one).closing
        elapsed += time.process_time() - started
    print(f"{'account, a year':<28} {len(months) * 12:>8} employee-months in {elapsed:6.2f} s")
    return elapsed


if __name__ == "__main__":
    main()
