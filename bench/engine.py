"""Engine speed: a synthetic month for N employees of each institution.

Prints employee-days per second for the rule-driven engine, and for a plain
hand-written function of the university's day rules run on the same data in
the same run, then the ratio (hand-written / engine: 1.0 means as fast).
Last line: `engine <N> employee-days/s handwritten <M> employee-days/s ratio <M/N> month_10k_s <S>`.

Run: .venv/bin/python bench/engine.py [--employees 10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from datetime import date
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.engine import Stamp, evaluate_day, evaluate_month
from server.engine.context import context_for
from server.policy.load import load_policy

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


def measure(label: str, months: list[dict[date, list[Stamp]]], fn: object) -> float:
    started = time.perf_counter()
    count = 0
    for month in months:
        for day, stamps in month.items():
            fn(day, stamps)  # type: ignore[operator]
            count += 1
    elapsed = time.perf_counter() - started
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
    started = time.perf_counter()
    for month in months:
        evaluate_month(university, "full_time", YEAR, MONTH, month)
    month_s = time.perf_counter() - started
    print(f"engine {engine:.0f} employee-days/s handwritten {handwritten:.0f} employee-days/s "
          f"ratio {handwritten / engine:.2f} month_10k_s {month_s * 10_000 / args.employees:.2f}")


if __name__ == "__main__":
    main()
