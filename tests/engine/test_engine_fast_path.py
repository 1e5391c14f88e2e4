"""The fast path gives what the general path gives, or declines the day.

`evaluate_day` answers most days with `server/engine/fast.py`, a one-pass
evaluation of the common day; `evaluate_day_general` is the definition. Property
tests draw days of every institution, profile and rule version, shaped like
real days more often than not, so that the fast path really answers them.
"""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.parser import parse_file
from server.engine import DayResult, Stamp, evaluate_day
from server.engine.context import context_for
from server.engine.day import evaluate_day_general
from server.engine.inputs import Schedule
from server.engine.notes import Note
from server.minutes import clock, hours
from server.policy.compile import compile_policy
from server.policy.load import load_policy

INSTITUTIONS = ("university", "school", "academy", "chamber")


def snapshot(result: DayResult) -> dict[str, Any]:
    return {**result.to_json(), "working_day": result.working_day,
            "regular_pause": result.regular_pause,
            "allowance_used": dict(result.allowance_used)}


@st.composite
def days(draw: st.DrawFn) -> tuple[str, str, date, list[Stamp]]:
    name = draw(st.sampled_from(INSTITUTIONS))
    policy = load_policy(name)
    index = draw(st.integers(0, len(policy.versions) - 1))
    version = policy.versions[index]
    start = version.effective
    day = start + timedelta(days=draw(st.integers(0, 400)))
    if index + 1 < len(policy.versions):
        day = min(day, policy.versions[index + 1].effective - timedelta(days=1))
    profile = draw(st.sampled_from(sorted(version.profiles)))
    codes = [None] * 8 + sorted(version.codes) + ["ZZ"]
    minute = st.integers(360, 1260) | st.integers(-90, 1600)
    minutes = draw(st.lists(minute, min_size=0, max_size=8))
    if draw(st.integers(0, 9)):
        minutes.sort()
    regular = draw(st.booleans())
    stamps = []
    for i, minute in enumerate(minutes):
        direction = ("in", "out")[i % 2] if regular else draw(
            st.sampled_from(["in", "out", None]))
        code = draw(st.sampled_from(codes))
        stamps.append(Stamp(minute, direction, code))  # type: ignore[arg-type]
    return name, profile, day, stamps


@settings(max_examples=1500, deadline=None)
@given(days())
def test_fast_path_matches_the_general_path(case: tuple[str, str, date, list[Stamp]]) -> None:
    name, profile, day, stamps = case
    policy = load_policy(name)
    assert snapshot(evaluate_day(policy, profile, day, stamps)) == snapshot(
        evaluate_day_general(policy, profile, day, stamps))


SCHEDULES = compile_policy(parse_file(Path(__file__).parents[1] / "data" / "schedules.rules"))


@st.composite
def scheduled_days(draw: st.DrawFn) -> tuple[Schedule, date, list[Stamp]]:
    """Days of every schedule construct (tests/data/schedules.rules): chosen days right,
    wrong or missing, shifts of the rota or not, stamps past midnight and past 19:00."""
    version = SCHEDULES.versions[0]
    profile = draw(st.sampled_from(sorted(version.profiles)))
    chosen = draw(st.sets(st.integers(1, 5), max_size=4) | st.sampled_from([{2, 4}, {1, 3, 5}]))
    shift = draw(st.sampled_from([None, None, "morning", "night", "evening"]))
    day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 120)))
    minutes = sorted(draw(st.lists(st.integers(360, 1320) | st.integers(1200, 1990),
                                   max_size=6)))
    codes = [None] * 10 + ["STR"]
    stamps = [Stamp(m, ("in", "out")[i % 2], draw(st.sampled_from(codes)))  # type: ignore[arg-type]
              for i, m in enumerate(minutes)]
    return Schedule(profile, frozenset(chosen), shift), day, stamps


@settings(max_examples=800, deadline=None)
@given(scheduled_days())
def test_fast_path_matches_the_general_path_on_every_schedule(
        case: tuple[Schedule, date, list[Stamp]]) -> None:
    schedule, day, stamps = case
    assert snapshot(evaluate_day(SCHEDULES, schedule, day, stamps)) == snapshot(
        evaluate_day_general(SCHEDULES, schedule, day, stamps))


def test_fast_path_answers_ordinary_scheduled_days() -> None:
    """Returns, uneven weeks, cycles, contract days and night shifts stay on the fast path."""
    cases = [(Schedule("full_time_returns", frozenset({2, 4})), date(2026, 3, 3), 480, 1050),
             (Schedule("uneven"), date(2026, 3, 2), 480, 1020),
             (Schedule("alternating"), date(2026, 3, 12), 480, 1020),
             (Schedule("part_time_vertical", frozenset({1, 3, 5})), date(2026, 3, 4), 480, 840),
             (Schedule("nurse", shift="night"), date(2026, 3, 4), 1260, 1860)]
    for schedule, day, start, end in cases:
        stamps = [Stamp(start, "in"), Stamp(end, "out")]
        fast = context_for(SCHEDULES, schedule, day).fast(stamps)
        assert fast is not None, schedule
        assert snapshot(fast) == snapshot(evaluate_day_general(SCHEDULES, schedule, day, stamps))


def test_fast_path_answers_most_ordinary_days() -> None:
    """A seeded sweep of ordinary days: equal results, and the fast path really used."""
    rng = random.Random(5)
    answered = total = 0
    for name in INSTITUTIONS:
        policy = load_policy(name)
        for _ in range(1500):
            version = rng.choice(policy.versions)
            day = version.effective + timedelta(days=rng.randrange(300))
            profile = rng.choice(sorted(version.profiles))
            entry = rng.randint(440, 560)
            out = rng.randint(700, 820)
            back = out + rng.randint(20, 80)
            times = [entry, out, back, back + rng.randint(150, 300)]
            if rng.random() < 0.2:
                times = [entry, entry + rng.randint(300, 520)]
            # A stamp carries only a code the keypad offers (server/ingest/keypad.py): the
            # chamber's codes are all filed from the web.
            codes = [None] * 12 + sorted(c for c, d in version.codes.items()
                                         if d.entered is None or "terminal" in d.entered.value)
            stamps = [Stamp(m, ("in", "out")[i % 2], rng.choice(codes) if i else None)
                      for i, m in enumerate(times)]
            if policy.version_on(day) is not version:
                continue
            total += 1
            fast = context_for(policy, profile, day).fast(stamps)
            general = evaluate_day_general(policy, profile, day, stamps)
            if fast is not None:
                answered += 1
                assert snapshot(fast) == snapshot(general), (name, profile, day, stamps)
    assert answered > 0.5 * total


def test_the_fast_path_sets_every_field_of_the_day() -> None:
    """It builds its result field by field: a field added to DayResult and not set there
    would be missing from every ordinary day."""
    policy = load_policy("university")
    stamps = [Stamp(483, "in"), Stamp(782, "out"), Stamp(815, "in"), Stamp(962, "out")]
    result = context_for(policy, "full_time", date(2026, 3, 2)).fast(stamps)
    assert result is not None
    missing = [f.name for f in fields(DayResult) if not hasattr(result, f.name)]
    assert missing == []


def test_explanations_are_worded_when_read() -> None:
    policy = load_policy("university")
    stamps = [Stamp(483, "in"), Stamp(484, "in"), Stamp(782, "out"), Stamp(815, "in"),
              Stamp(962, "out")]
    result = evaluate_day(policy, "full_time", date(2026, 3, 2), stamps)
    assert all(isinstance(note, Note) for note in result.explain)
    details = [e.detail for e in result.explanations()]
    assert "08:04 ignored: double swipe" in details
    assert "08:03 → 08:05, 08:04 → 08:05, 13:02 → 13:00, 16:02 → 16:00" in details
    assert "7h20 of work, pause of 0h35 taken: nothing deducted" in details
    assert (hours(-30), hours(435), clock(485)) == ("-0h30", "7h15", "08:05")
