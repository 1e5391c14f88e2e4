"""The common day, evaluated in one pass by a function generated for one plan.

Most days have no approved request and nothing wrong with them: stamps that
alternate in and out, known codes that need no approval. For those, the
generated function gives exactly what `day._Day` gives, explanation included,
without its per-day objects and indirections: the plan's figures are written
into its source as literals and the options the plan does not use are left out
(`fast_source`), and the explanation steps that never change are built once.

The moment a day needs anything else (a request, an anomaly) the function
returns None and the general path evaluates the day from the start: the
general path is the definition, this is only a faster way to the same result.
`tests/engine/test_engine_equivalence.py` holds the two to the same output.

The helpers below handle, in plain Python, the less common shapes the
generated function hands over: codes typed at the terminal, work before the
entry window that spans more than the first interval, a pause not found free
in its band.
"""

from __future__ import annotations

import itertools
import linecache
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from server.engine import notes as N
from server.engine.fast_source import render
from server.engine.inputs import Stamp
from server.engine.notes import Moves, Note
from server.engine.plan import CodePlan, DayPlan, PausePlan
from server.engine.results import DayResult, Explain

_NOTE = tuple.__new__  # a Note without NamedTuple's keyword-handling constructor

# start, end, code typed on the entry, code typed on the exit
Interval = tuple[int, int, str | None, str | None]
# start, end, code that justifies it
Gap = tuple[int, int, str | None]

FastDay = Callable[[Sequence[Stamp]], DayResult | None]
ForDay = Callable[[date, bool, tuple[Note, ...]], FastDay]

_serial = itertools.count(1)


def _minute(stamp: Stamp) -> int:
    return stamp.minute


def compile_fast(plan: DayPlan) -> ForDay:
    """The plan's day function: bound to a date by (day, working, opening), then fed stamps."""
    pause = plan.pause
    flags = {
        "rounding": bool(plan.rounding),
        "explain_rounding": bool(plan.rounding) and plan.explain_rounding is not None,
        "double_swipe": bool(plan.double_swipe),
        "alternate": plan.alternate,
        "explain_double_swipe": plan.explain_double_swipe is not None,
        "entry_from": plan.entry_from is not None,
        "explain_entry": plan.explain_entry is not None,
        "explain_late": plan.explain_late is not None,
        "pause": pause is not None,
        "service_is_work": bool(pause and not pause.inside_service),
        "bands": bool(pause and pause.bands),
        "explain_pause_min": bool(pause and pause.explain_min is not None),
        "deduct_without_gaps": bool(pause and pause.mandatory_over is None),
        "explain_deduct": bool(pause and pause.explain_deduct is not None),
        "late_checks": not plan.presence_only,
        "entry_until": plan.entry_until is not None,
        "last_stamp": plan.last_stamp is not None,
        "explain_last_stamp": plan.explain_last_stamp is not None,
        "tolerance": bool(plan.tolerance),
        "explain_tolerance": plan.explain_tolerance is not None,
        "meal": plan.meal_min is not None,
        "meal_requires_pause": plan.meal_requires_pause,
        "explain_meal": plan.explain_meal is not None,
    }
    values: dict[str, object] = {
        "due": plan.due,
        "step": plan.rounding,
        "half_step": plan.rounding // 2,
        "window": plan.double_swipe,
        "entry_from": plan.entry_from,
        "entry_until": plan.entry_until,
        "last_stamp": plan.last_stamp,
        "after": pause.after if pause else 0,
        "pause_min": pause.min if pause else 0,
        "deduct": pause.deduct_unstamped if pause else 0,
        "in_band": " or ".join(
            f"{b.start} <= gap[0] <= {b.last_exit} and gap[1] <= {b.end}"
            for b in (pause.bands if pause else ())),
        "tolerance": plan.tolerance,
        "meal_min": plan.meal_min,
    }
    namespace: dict[str, Any] = {
        "DayResult": DayResult, "Note": Note, "Moves": Moves, "N": N,
        "_NOTE": _NOTE, "_minute": _minute, "_coded": _coded, "_clamp": _clamp,
        "_unfound_pause": _unfound_pause,
        "profile": plan.profile, "codes": plan.codes, "pause": pause,
        "overtime_codes": frozenset(c for c, info in plan.codes.items() if info.overtime),
        "entry_until": plan.entry_until, "last_stamp": plan.last_stamp,
        "x_swipe": plan.explain_double_swipe, "x_rounding": plan.explain_rounding,
        "x_entry": plan.explain_entry, "x_last": plan.explain_last_stamp,
        "x_late": plan.explain_late, "x_until": plan.explain_credited_until,
        "x_tolerance": plan.explain_tolerance,
        "x_after": pause.explain_after if pause else None,
        "x_min": pause.explain_min if pause else None,
        "x_deduct": pause.explain_deduct if pause else None,
        "meal_notes": _meal_notes(plan.explain_meal),
    }
    source = render(flags, values)
    # Registered so that a traceback through the generated function shows its lines.
    filename = f"<timbra fast day: {plan.profile} #{next(_serial)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    for_day: ForDay = namespace["for_day"]
    return for_day


def _meal_notes(explain: Explain | None) -> tuple[Note, Note] | None:
    """Indexed by whether the voucher is earned."""
    if explain is None:
        return None
    return (Note(explain, N.MEAL, (N.MEAL_NOT_EARNED,)), Note(explain, N.MEAL, (N.MEAL_EARNED,)))


def _clamp(
    intervals: list[Interval], gaps: list[Gap], entry_from: int, explain: Explain | None,
    notes: list[Note],
) -> tuple[list[Interval], list[Gap], int]:
    """Work before the entry window is not counted: intervals, gaps and gross without it."""
    kept = []
    for start, end, in_code, out_code in intervals:
        if end <= entry_from:
            continue
        if start < entry_from:
            if explain is not None:
                notes.append(_NOTE(Note, (explain, N.BEFORE_ENTRY, (entry_from, start))))
            start = entry_from
        kept.append((start, end, in_code, out_code))
    # A gap survives when the interval before it does, that is when it ends after the entry.
    gaps = [gap for gap in gaps if gap[0] > entry_from]
    return kept, gaps, sum(end - start for start, end, _, _ in kept)


def _coded(
    codes: dict[str, CodePlan],
    overtime_codes: frozenset[str],
    intervals: list[Interval],
    gaps: list[Gap],
    due: int,
    entry_until: int | None,
    last_stamp: int | None,
    x_until: Explain | None,
    notes: list[Note],
) -> tuple[int, int, int, int, int, int, dict[str, int], dict[str, int]] | None:
    """Time set apart by codes typed at the terminal: overtime, then coded spans.

    Returns (overtime, service, credited, to_recover, overtime paid, overtime
    banked, minutes by code, allowance used), or None for an anomaly.
    """
    by_code: dict[str, int] = {}
    allowance_used: dict[str, int] = {}
    overtime = service = credited = to_recover = overtime_paid = overtime_banked = 0
    for interval in intervals:
        if interval[2] in overtime_codes or interval[3] in overtime_codes:
            figures = _overtime(codes, intervals, due, by_code, notes)
            if figures is None:
                return None
            overtime_paid, overtime_banked = figures
            overtime = overtime_paid + overtime_banked
            break

    spans = [gap for gap in gaps if gap[2]]
    if intervals:
        first, last = intervals[0], intervals[-1]
        if first[2] and entry_until is not None and first[0] > entry_until:
            spans.append((entry_until, first[0], first[2]))
        if last[3] and last_stamp is not None and last[1] < last_stamp:
            # Seed 001: a service code closes the day only up to the last scheduled stamp.
            spans.append((last[1], last_stamp, last[3]))
            if x_until is not None:
                notes.append(_NOTE(Note, (x_until, N.CREDITED_UNTIL, (last[3], last_stamp))))
    for start, end, code in spans:
        info = codes.get(code) if code else None
        if info is None:
            return None  # an unknown code: an anomaly
        minutes = end - start
        if info.overtime or minutes <= 0:
            continue
        if info.approval:
            return None  # a code that needs an approval it does not have: an anomaly
        by_code[info.code] = by_code.get(info.code, 0) + minutes
        notes.append(_NOTE(Note, (info.explain, N.CODE, (info.code, info.label, minutes))))
        if info.kind == "service":
            service += minutes
        elif info.kind != "pause_outside_band":
            if info.allowance:
                allowance_used[info.allowance] = allowance_used.get(info.allowance, 0) + minutes
            if info.recover:
                to_recover += minutes
            else:
                credited += minutes
    return (overtime, service, credited, to_recover, overtime_paid, overtime_banked,
            by_code, allowance_used)


def _overtime(
    codes: dict[str, CodePlan], intervals: list[Interval], due: int, by_code: dict[str, int],
    notes: list[Note],
) -> tuple[int, int] | None:
    """(paid, banked): a coded entry makes its interval overtime; a coded exit, what
    lies beyond the day's due. None for an anomaly."""
    paid = banked = cumulative = 0
    for start, end, in_code, out_code in intervals:
        length = end - start
        info = codes.get(in_code) if in_code else None
        if info is not None and info.overtime:
            minutes = length
        else:
            cumulative += length
            info = codes.get(out_code) if out_code else None
            if info is None or not info.overtime:
                continue
            minutes = min(length, max(0, cumulative - due))
            cumulative -= minutes
        if info.approval:
            return None  # overtime without its approval: an anomaly
        if info.kind == "overtime_paid":
            paid += minutes
        else:
            banked += minutes
        by_code[info.code] = by_code.get(info.code, 0) + minutes
        notes.append(_NOTE(Note, (info.explain, N.CODE, (info.code, info.label, minutes))))
    return paid, banked


def _in_band(pause: PausePlan, start: int, end: int) -> bool:
    return not pause.bands or any(b.start <= start <= b.last_exit and end <= b.end
                                  for b in pause.bands)


def _unfound_pause(
    pause: PausePlan,
    codes: dict[str, CodePlan],
    intervals: list[Interval],
    gaps: list[Gap],
    gross: int,
    service: int,
    notes: list[Note],
) -> tuple[int, bool, int, int] | None:
    """No free gap in a band: a gap coded for it, a pause on duty, or none stamped.

    Returns (pause deducted, regular pause, service, the part of the deduction
    taken from service), or None for an anomaly.
    """
    found = in_service = None
    if gaps:
        outside = pause.outside_band_code
        found = next(((s, e) for s, e, c in gaps if c is not None and c == outside), None)
        if found is None and pause.inside_service:
            in_service = next((c for s, e, c in gaps if c and _in_band(pause, s, e)
                               and c in codes and codes[c].kind == "service"), None)
    if gross <= pause.after:
        return 0, found is not None, service, 0
    x_after, x_min = pause.explain_after, pause.explain_min
    if found is not None:
        taken = found[1] - found[0]
        short = pause.min - taken
        if short <= 0:
            notes.append(_NOTE(Note, (x_after, N.PAUSE_TAKEN, (gross, taken))))
            return 0, True, service, 0
        notes.append(_NOTE(Note, (x_after, N.PAUSE_DUE, (gross,))))
        if x_min is not None:
            notes.append(_NOTE(Note, (x_min, N.PAUSE_SHORT, (taken, short))))
        return short, True, service, 0
    if in_service is not None:
        taken = min(pause.min, service)
        if not taken:
            return 0, True, service, 0
        notes.append(_NOTE(Note, (x_after, N.PAUSE_DUE, (gross,))))
        if pause.explain_inside_service is not None:
            notes.append(_NOTE(Note, (pause.explain_inside_service, N.PAUSE_ON_DUTY,
                                      (in_service, taken))))
        return taken, True, service - taken, taken
    if any(c is None for _, _, c in gaps):
        return None  # a pause stamped outside its band: an anomaly
    longest = 0
    if pause.mandatory_over is not None:
        longest = max(end - start for start, end, _, _ in intervals)
        if longest <= pause.mandatory_over:
            return 0, False, service, 0
    if not pause.deduct_unstamped:
        return 0, False, service, 0
    notes.append(_NOTE(Note, (x_after, N.PAUSE_DUE, (gross,))))
    if pause.explain_mandatory is not None and pause.mandatory_over is not None:
        notes.append(_NOTE(Note, (pause.explain_mandatory, N.CONTINUOUS, (longest,))))
    deducted = min(pause.deduct_unstamped, gross)
    if pause.explain_deduct is not None:
        notes.append(_NOTE(Note, (pause.explain_deduct, N.NO_PAUSE, (deducted,))))
    return deducted, False, service, 0
