"""The simulator's plans: a realistic day, time-shifted stamps, honest statistics."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

from terminals.delivery import percentile
from terminals.simulator import ROME, Simulator

MONDAY = date(2026, 3, 2)


def test_peak_profile_looks_like_a_working_morning(tmp_path: Path) -> None:
    sim = Simulator(institution="plan", workdir=tmp_path, terminals=4, badges=50,
                    broker=None, seed=7)
    try:
        plan = sim.plan(2000, profile="peak", day=MONDAY)
    finally:
        sim.close()
    assert len(plan) == 2000
    assert all(p.time is not None for p in plan)
    times = [p.time for p in plan if p.time is not None]
    assert times == sorted(times)  # oldest first, as a day unfolds
    assert {t.weekday() for t in times} <= {0, 1, 2, 3, 4}  # no weekend
    assert max(times).date() <= MONDAY
    assert all(t.tzinfo is ROME for t in times)

    entries = [p.time.time() for p in plan
               if p.direction == "in" and p.time and p.time.hour < 11]
    morning = [t for t in entries if time(7, 45) <= t <= time(8, 15)]
    assert len(morning) / len(entries) > 0.85  # most entries around 08:00
    exits = Counter(p.time.hour for p in plan
                    if p.direction == "out" and p.time and p.time.hour >= 13)
    assert exits[14] > 0 and exits[16] > 0 and exits[16] > exits[15]

    # each terminal swipes only its own badges
    assert all(p.badge in sim.badges[p.terminal] for p in plan)


def test_now_profile_alternates_each_badge_and_can_date_stamps_in_the_past(
        tmp_path: Path) -> None:
    sim = Simulator(institution="plan", workdir=tmp_path, terminals=2, badges=3)
    try:
        live = sim.plan(60)
        past = sim.plan(10, shift=timedelta(days=-3))
    finally:
        sim.close()
    assert all(p.time is None for p in live)  # the terminal's own clock at sending time
    by_badge: dict[str, list[str | None]] = {}
    for p in live:
        by_badge.setdefault(p.badge, []).append(p.direction)
    for directions in by_badge.values():
        assert directions[::2] == ["in"] * len(directions[::2])
        assert directions[1::2] == ["out"] * len(directions[1::2])
    three_days_ago = datetime.now(ROME).date() - timedelta(days=3)
    assert {p.time.date() for p in past if p.time} == {three_days_ago}


def test_terminals_have_distinct_badges_and_their_own_outbox_files(tmp_path: Path) -> None:
    with Simulator(institution="plan", workdir=tmp_path, terminals=3, badges=4) as sim:
        every = [b for badges in sim.badges.values() for b in badges]
        assert len(every) == len(set(every)) == 12
        assert sorted(p.name for p in tmp_path.glob("*.sqlite")) == [
            "t01.sqlite", "t02.sqlite", "t03.sqlite"]
        assert sim.enqueue(sim.plan(9)) == 9  # offline: straight into the queues
        assert sim.pending() == 9 and sim.stats().acked == 0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.50) == 50.0
    assert percentile([5.0], 0.99) == 5.0
    assert percentile([], 0.99) is None
