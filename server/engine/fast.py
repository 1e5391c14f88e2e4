"""The common day, evaluated in one pass.

Most days have no approved request and nothing wrong with them: stamps that
alternate in and out, known codes that need no approval. For those,
`fast_day` gives exactly what `day._Day` gives, explanation included, without
its per-day objects and indirections: plain tuples, one loop over the stamps,
few calls, and the explanation steps that open a day built once per (date,
profile) in `context.py`. Where both paths do the same thing they call the
same step (`steps.py`).

The moment a day needs anything else (a request, an anomaly) it returns None
and the general path evaluates the day from the start: the general path is the
definition, this is only a faster way to the same result.
`tests/engine/test_engine_fast_path.py` and
`tests/engine/test_engine_equivalence.py` hold the two to the same output.

The helpers below `fast_day` handle the less common shapes: codes typed at the
terminal, work before the entry window, a pause not found free in its band.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from server.engine import notes as N
from server.engine.inputs import Stamp
from server.engine.limits import not_credited
from server.engine.notes import Moves, Note
from server.engine.plan import CodePlan, DayPlan, PausePlan
from server.engine.results import DayResult, Explain
from server.engine.steps import (
    Gap,
    Interval,
    clamp,
    credit_spans,
    edge_spans,
    in_band,
    overtime,
    pause_on_duty,
    pause_taken,
    pause_unstamped,
)

if TYPE_CHECKING:
    from server.engine.context import DayContext

_NOTE = tuple.__new__  # a Note without NamedTuple's keyword-handling constructor
_new = object.__new__

# direction, minute, code: the stamps as the day counted them
Kept = tuple[str, int, str | None]
# what the stamps make of a day: stamps kept, intervals, gaps between them, gross minutes,
# and whether a code was typed
Read = tuple[list[Kept], list[Interval], list[Gap], int, bool]

# Before any stamp, however early: the first is never out of order nor a double swipe.
_NEVER = -1_000_000_000


def _minute(stamp: Stamp) -> int:
    return stamp.minute


def fast_day(context: DayContext, stamps: Sequence[Stamp]) -> DayResult | None:
    """The day's result, or None when the day needs the general path."""
    plan, working = context.plan, context.working
    notes = [*context.opening]
    read = _read(plan, stamps, notes) if plan.schedule_problem is None else None
    if read is None:
        return None
    kept, intervals, gaps, gross, coded = read
    due = plan.due if working else 0
    if coded:
        figures = _coded(plan, intervals, gaps, due, notes)
        if figures is None:
            return None
        set_apart, service, credited, to_recover, paid, banked, by_code, allowance_used = figures
    else:
        set_apart = service = credited = to_recover = paid = banked = 0
        by_code, allowance_used = {}, {}
    pause = plan.pause
    pause_deducted, from_service, regular_pause = 0, 0, False
    if pause is not None and intervals:
        taken = _pause(pause, plan.codes, intervals, gaps, gross, service, notes)
        if taken is None:
            return None
        pause_deducted, regular_pause, service, from_service = taken
    unjustified = 0
    if working and not plan.presence_only:
        if not intervals:
            if due:
                return None  # absent without justification: an anomaly
        elif (plan.entry_until is not None and intervals[0][0] > plan.entry_until) or (
                plan.last_stamp is not None and intervals[-1][1] < plan.last_stamp):
            unjustified = _late(plan, intervals, notes)
    worked = gross - set_apart - pause_deducted + from_service
    worked = (worked if worked > 0 else 0) + service
    if plan.explain_excess is not None:  # no request on this path: nothing is authorised
        worked -= not_credited(plan.explain_excess, worked, worked + credited - due, notes)
    balance, tolerated = worked + credited - due, 0
    if plan.tolerance and -plan.tolerance <= balance < 0 and intervals:
        tolerated, balance = -balance, 0
        if plan.explain_tolerance is not None:
            notes.append(_NOTE(Note, (plan.explain_tolerance, N.MARGIN, (tolerated,))))
    negative_flex = -balance - unjustified - to_recover
    meal_voucher = False
    if plan.meal_min is not None and worked >= plan.meal_min:
        meal_voucher = regular_pause or not plan.meal_requires_pause
        if plan.meal_notes is not None:
            notes.append(plan.meal_notes[meal_voucher])
    # Fields set on an instance made without __init__: 21 keywords cost a sixth of the day.
    result = _new(DayResult)
    result.day, result.profile, result.working_day = context.day, plan.profile, working
    result.worked, result.due, result.balance = worked, due, balance
    result.pause_deducted, result.credited, result.unjustified = (
        pause_deducted, credited, unjustified)
    result.negative_flex = negative_flex if negative_flex > 0 else 0
    result.tolerated, result.to_recover, result.overtime_paid, result.overtime_banked = (
        tolerated, to_recover, paid, banked)
    result.meal_voucher, result.regular_pause = meal_voucher, regular_pause
    result.by_code, result.allowance_used, result.over_cap = by_code, allowance_used, {}
    result.anomalies, result.explain, result.stamps = [], notes, kept
    return result


Figures = tuple[int, int, int, int, int, int, dict[str, int], dict[str, int]]


def _read(plan: DayPlan, stamps: Sequence[Stamp], notes: list[Note]) -> Read | None:
    """Stamps rounded, double swipes dropped, paired into intervals, work before the entry
    window dropped; None for an anomaly, or for work past `count_until` (the general path)."""
    codes, step, window, alternate = plan.codes, plan.rounding, plan.double_swipe, plan.alternate
    half = step // 2
    kept: list[Kept] = []
    intervals: list[Interval] = []
    gaps: list[Gap] = []
    moved = inside = coded = False
    first_note = len(notes)
    previous = last_minute = _NEVER
    last_direction: str | None = None
    open_minute = gross = 0
    open_code: str | None = None
    for s in stamps:
        raw = s.minute
        if raw < previous:  # rare; the general path sorts stably, so does this
            del notes[first_note:]
            return _read(plan, sorted(stamps, key=_minute), notes)
        previous = raw
        code = s.code
        if code is not None:
            if code not in codes or codes[code].special:
                return None  # undefined (an anomaly), limited or banned: the general path
            coded = True
        minute = (raw + half) // step * step if step else raw
        if minute != raw:
            moved = True
        direction = s.direction
        if window:
            if minute - last_minute <= window and (alternate or direction == last_direction):
                if plan.explain_double_swipe is not None:
                    notes.append(_NOTE(Note, (plan.explain_double_swipe, N.DOUBLE_SWIPE, (raw,))))
                continue
            last_minute, last_direction = minute, direction
        if inside:
            if direction == "in":
                return None  # two entries in a row: an anomaly
            if intervals:
                before = intervals[-1]
                gaps.append((before[1], open_minute, before[3] or open_code))
            intervals.append((open_minute, minute, open_code, code))
            gross += minute - open_minute
            kept.append((direction or "out", minute, code))
            inside = False
        else:
            if direction is not None and direction != "in":
                return None  # an exit without an entry: an anomaly
            kept.append(("in", minute, code))
            open_minute, open_code, inside = minute, code, True
    if inside:
        return None  # an entry without its exit: an anomaly
    if moved and plan.explain_rounding is not None:
        moves = _NOTE(Moves, (tuple(stamps), step))
        notes.append(_NOTE(Note, (plan.explain_rounding, N.ROUNDED, (moves,))))
    if plan.entry_from is not None and intervals and intervals[0][0] < plan.entry_from:
        intervals, gaps, gross = _clamp(intervals, gaps, gross, plan.entry_from,
                                        plan.explain_entry, notes)
    past = plan.count_until is not None and intervals and intervals[-1][1] > plan.count_until
    return None if past else (kept, intervals, gaps, gross, coded)


def _pause(pause: PausePlan, codes: dict[str, CodePlan], intervals: list[Interval],
           gaps: list[Gap], gross: int, service: int,
           notes: list[Note]) -> tuple[int, bool, int, int] | None:
    """(pause deducted, regular pause, service, the part of the deduction taken from
    service), or None for an anomaly or a day for the general path."""
    if service and not pause.inside_service:
        return None  # service time is work for the pause rules: the general path
    bands = pause.bands
    for start, end, code in gaps:
        if code is None:
            if not bands:
                break
            # in_band, written out: this runs for nearly every day
            for low, high, last_exit, _ in bands:
                if low <= start <= last_exit and end <= high:
                    break
            else:
                continue
            break
    else:
        return _unfound_pause(pause, codes, intervals, gaps, gross, service, notes)
    if gross <= pause.after:
        return 0, True, service, 0
    return pause_taken(pause, end - start, gross, notes), True, service, 0


def _late(plan: DayPlan, intervals: list[Interval], notes: list[Note]) -> int:
    """Minutes unjustified by a late entry or an early exit."""
    unjustified = 0
    until, first_in = plan.entry_until, intervals[0][0]
    if until is not None and first_in > until and not intervals[0][2]:
        unjustified = first_in - until
        if plan.explain_late is not None:
            notes.append(_NOTE(Note, (plan.explain_late, N.LATE, (first_in, unjustified))))
    end, last_out = plan.last_stamp, intervals[-1][1]
    if end is not None and last_out < end and not intervals[-1][3]:
        early = end - last_out
        unjustified += early
        if plan.explain_last_stamp is not None:
            notes.append(_NOTE(Note, (plan.explain_last_stamp, N.EARLY, (last_out, early))))
    return unjustified


def _clamp(
    intervals: list[Interval], gaps: list[Gap], gross: int, entry_from: int,
    explain: Explain | None, notes: list[Note],
) -> tuple[list[Interval], list[Gap], int]:
    """Work before the entry window is not counted: intervals, gaps and gross without it."""
    start, end, in_code, out_code = intervals[0]
    if end > entry_from:  # the common case: only the first interval starts before the entry
        if explain is not None:
            notes.append(_NOTE(Note, (explain, N.BEFORE_ENTRY, (entry_from, start))))
        intervals[0] = (entry_from, end, in_code, out_code)
        return intervals, gaps, gross - (entry_from - start)
    kept = clamp(intervals, entry_from, explain, notes)
    # A gap survives when the interval before it does, that is when it ends after the entry.
    gaps = [gap for gap in gaps if gap[0] > entry_from]
    return kept, gaps, sum(end - start for start, end, _, _ in kept)


def _coded(plan: DayPlan, intervals: list[Interval], gaps: list[Gap], due: int,
           notes: list[Note]) -> Figures | None:
    """Time set apart by codes typed at the terminal: overtime, then coded spans.

    Returns (overtime, service, credited, to_recover, overtime paid, overtime
    banked, minutes by code, allowance used), or None for a code that needs an
    approval (an anomaly).
    """
    by_code: dict[str, int] = {}
    allowance_used: dict[str, int] = {}
    paid, banked, used = overtime(plan.codes, intervals, due, by_code, notes)
    if any(info.approval for info in used):
        return None
    spans = [gap for gap in gaps if gap[2]]
    if intervals:
        edge_spans(plan, intervals, spans, notes)
    service, credited, to_recover, credits = credit_spans(plan.codes, spans, by_code,
                                                          allowance_used, notes)
    if any(info.approval for _, info in credits):
        return None
    return (paid + banked, service, credited, to_recover, paid, banked, by_code,
            allowance_used)


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
            in_service = next((c for s, e, c in gaps if c and in_band(pause, s, e)
                               and c in codes and codes[c].kind == "service"), None)
    if gross <= pause.after:
        return 0, found is not None, service, 0
    if found is not None:
        return pause_taken(pause, found[1] - found[0], gross, notes), True, service, 0
    if in_service is not None:
        taken = pause_on_duty(pause, in_service, service, gross, notes)
        return taken, True, service - taken, taken
    if any(c is None for _, _, c in gaps):
        return None  # a pause stamped outside its band: an anomaly
    return pause_unstamped(pause, intervals, [], gross, notes), False, service, 0
