"""An explanation step never contradicts the figure it explains.

Each step of a day's explanation names a figure (`pause_deducted`,
`unjustified`, `by_code`...) and, in its text, often an amount of it ("pause
of 0h15: 0h15 deducted"). A person reading the timecard checks the step
against the figure next to it; so does this test, over random days of the four
institutions, on the general path and the fast path alike.
"""

from __future__ import annotations

import string
from collections import defaultdict
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.parser import parse_stamps
from server.engine import DayResult, Request, Stamp, evaluate_day
from server.engine import notes as N
from server.engine.day import evaluate_day_general
from server.engine.results import MINUTE_FIGURES
from server.minutes import hours
from server.policy.load import load_policy

INSTITUTIONS = ("university", "school", "academy", "chamber")
OTHER_FIGURES = {"stamps", "by_code", "meal_voucher"}


def contradictions(result: DayResult) -> list[str]:
    """What a reader would find wrong between the steps and the figures, if anything."""
    found: list[str] = []
    stated: dict[str, int] = defaultdict(int)
    per_code: dict[str, int] = defaultdict(int)
    for note in result.explain:
        figure, text = note.explain.figure, note.render().detail
        if figure not in MINUTE_FIGURES and figure not in OTHER_FIGURES:
            found.append(f"{text!r} names no figure of the day: {figure}")
        if note.template in N.AMOUNT:
            index = N.AMOUNT[note.template]
            amount = 0 if index is None else int(note.args[index])  # type: ignore[call-overload]
            if figure == "by_code":
                per_code[str(note.args[0])] += amount
            else:
                stated[figure] += amount
        elif figure == "pause_deducted" and not result.pause_deducted:
            found.append(f"{text!r} while pause_deducted is 0")
        if figure == "meal_voucher" and (note.args == (N.MEAL_EARNED,)) != result.meal_voucher:
            found.append(f"{text!r} while meal_voucher is {result.meal_voucher}")
    for figure, minutes in stated.items():
        if minutes != getattr(result, figure):
            found.append(f"steps state {figure} {hours(minutes)}, the day has "
                         f"{hours(getattr(result, figure))}")
    for code, minutes in per_code.items():
        if minutes != result.by_code.get(code, 0):
            found.append(f"steps state code {code} {hours(minutes)}, the day has "
                         f"{hours(result.by_code.get(code, 0))}")
    # The figures a person asks "why?" about have a step that answers.
    for figure in ("pause_deducted", "unjustified", "tolerated"):
        if getattr(result, figure) and figure not in stated:
            found.append(f"{figure} {hours(getattr(result, figure))} has no step")
    found += [f"code {c} has no step" for c in result.by_code if c not in per_code]
    return found


def test_every_template_with_minutes_says_whether_they_are_its_figure() -> None:
    templates = [value for name, value in vars(N).items()
                 if name.isupper() and isinstance(value, str)]
    with_minutes = [t for t in templates
                    if any(spec == "hm" for _, _, spec, _ in string.Formatter().parse(t))]
    # gross work and the longest stretch, not a pause; the work cut after count_until, not
    # the worked figure; what a limit took away, not the figure; the month's own steps
    context = {N.PAUSE_DUE, N.CONTINUOUS, N.AFTER_COUNT} | N.TAKEN_AWAY | N.MONTH
    assert set(with_minutes) - context == set(N.AMOUNT)


@st.composite
def days(draw: st.DrawFn) -> tuple[str, str, date, list[Stamp], list[Request]]:
    name = draw(st.sampled_from(INSTITUTIONS))
    policy = load_policy(name)
    version = policy.versions[draw(st.integers(0, len(policy.versions) - 1))]
    day = version.effective + timedelta(days=draw(st.integers(0, 300)))
    version = policy.version_on(day)
    profile = draw(st.sampled_from(sorted(version.profiles)))
    codes = [None] * 6 + sorted(version.codes) + ["ZZ"]
    entry = draw(st.integers(400, 600))
    gaps = draw(st.lists(st.integers(0, 300), min_size=1, max_size=7))
    times = [entry]
    for gap in gaps:
        times.append(min(times[-1] + gap, 1439))
    regular = draw(st.integers(0, 4)) > 0
    stamps = [Stamp(minute, ("in", "out")[i % 2] if regular else draw(
                  st.sampled_from(["in", "out", None])), draw(st.sampled_from(codes)))
              for i, minute in enumerate(times)]
    requests = []
    for code in draw(st.lists(st.sampled_from(codes[6:]), max_size=2)):
        if draw(st.booleans()):
            requests.append(Request(code))
        else:
            start = draw(st.integers(420, 1000))
            requests.append(Request(code, start, start + draw(st.integers(0, 240))))
    return name, profile, day, stamps, requests


@settings(max_examples=800, deadline=None)
@given(days())
def test_steps_agree_with_the_figures(
    case: tuple[str, str, date, list[Stamp], list[Request]],
) -> None:
    name, profile, day, stamps, requests = case
    policy = load_policy(name)
    for result in (evaluate_day(policy, profile, day, stamps, requests),
                   evaluate_day_general(policy, profile, day, stamps, requests)):
        assert contradictions(result) == [], [e.detail for e in result.explanations()]


def university(text: str) -> DayResult:
    stamps = [Stamp(s.minute, s.direction, s.code) for s in parse_stamps(text)]
    return evaluate_day(load_policy("university"), "full_time", date(2026, 3, 2), stamps)


def test_a_pause_taken_inside_a_service_span_is_deducted_and_says_so() -> None:
    """Seed 002: "la pausa sarà decurtata dal giustificativo": the 30 minutes come off
    the service code's time and show as pause_deducted, not as a deduction of 0."""
    result = university("in 08:00, out 12:00 code 41, in 13:00, out 16:30")
    details = [(e.figure, e.detail) for e in result.explanations()]
    assert result.pause_deducted == 30
    assert ("pause_deducted", "pause taken inside the span of code 41: 0h30 deducted from it"
            ) in details
    assert result.worked == 4 * 60 + 3 * 60 + 30 + 60 - 30
    assert contradictions(result) == []


def test_a_regular_pause_is_not_called_due() -> None:
    """Seed 002: "Dopo un periodo di lavoro pari alle 6 ore si matura il diritto alla pausa
    pranzo": a pause taken in its band deducts nothing, and the step says so."""
    result = university("in 08:00, out 12:30, in 13:15, out 16:00")
    details = [e.detail for e in result.explanations()]
    assert result.pause_deducted == 0
    assert "7h15 of work, pause of 0h45 taken: nothing deducted" in details
    assert not any("a pause is due" in d for d in details)


def test_a_service_code_credited_until_the_last_stamp_is_filed_under_its_code() -> None:
    """Seed 001: "E09:00 – U12:00 – E12:45 – U15:00 cod. 41 (commissioni)": the step that
    credits code 41 until 16:00 explains by_code, not unjustified."""
    stamps = [Stamp(s.minute, s.direction, s.code)
              for s in parse_stamps("in 09:00, out 12:00, in 12:45, out 15:00 code 41")]
    result = evaluate_day(load_policy("university"), "full_time", date(2020, 3, 2), stamps)
    [step] = [e for e in result.explanations() if "credited until" in e.detail]
    assert step.figure == "by_code" and result.unjustified == 0
    assert contradictions(result) == []


def test_lateness_is_filed_under_unjustified() -> None:
    """Seed 002: an uncoded late entry is unjustified, and its step says so."""
    result = university("in 10:00, out 12:30, in 13:15, out 17:00")
    [late] = [e for e in result.explanations() if "late" in e.detail]
    assert late.figure == "unjustified" and result.unjustified > 0
    assert contradictions(result) == []
