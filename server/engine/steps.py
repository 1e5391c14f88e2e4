"""The steps of a day that the general path (`day.py`) and the fast path (`fast.py`) share.

Each step works on plain tuples and appends its explanation steps to `notes`.
Where a step credits a code that may need an approval it returns the codes it
used, and each path decides what that means: the general path records an
anomaly for a missing approval, the fast path declines the day.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.engine import notes as N
from server.engine.inputs import Request
from server.engine.notes import Note
from server.engine.plan import CodePlan, DayPlan, PausePlan
from server.engine.results import Explain

# start, end, code typed on the entry, code typed on the exit
Interval = tuple[int, int, str | None, str | None]
# start, end, code that justifies it
Gap = tuple[int, int, str | None]

_NOTE = tuple.__new__  # a Note without NamedTuple's keyword-handling constructor


def clamp(intervals: list[Interval], entry_from: int, explain: Explain | None,
          notes: list[Note]) -> list[Interval]:
    """Work before the entry window is not counted."""
    kept = []
    for start, end, in_code, out_code in intervals:
        if end <= entry_from:
            continue
        if start < entry_from:
            if explain is not None:
                notes.append(_NOTE(Note, (explain, N.BEFORE_ENTRY, (entry_from, start))))
            start = entry_from
        kept.append((start, end, in_code, out_code))
    return kept


def cut_after(codes: dict[str, CodePlan], intervals: list[Interval], until: int,
              covered: list[tuple[int, int]], explain: Explain | None,
              notes: list[Note]) -> list[Interval]:
    """Work after `count_until` is not counted, unless an overtime code typed on its interval
    or an approved overtime request over it says it was asked for."""
    for start, end in sorted(covered):
        if start <= until < end:
            until = end
    kept: list[Interval] = []
    dropped = 0
    for interval in intervals:
        start, end, in_code, out_code = interval
        coded = [codes.get(c) for c in (in_code, out_code) if c]
        if end <= until or any(info is not None and info.overtime for info in coded):
            kept.append(interval)
            continue
        dropped += end - max(start, until)
        if start < until:
            kept.append((start, until, in_code, out_code))
    if dropped and explain is not None:
        notes.append(_NOTE(Note, (explain, N.AFTER_COUNT, (until, dropped))))
    return kept


def overtime(codes: dict[str, CodePlan], intervals: list[Interval], due: int,
             by_code: dict[str, int], notes: list[Note]) -> tuple[int, int, list[CodePlan]]:
    """(paid, banked, the overtime codes used): a coded entry makes its interval
    overtime; a coded exit, what lies beyond the day's due."""
    paid = banked = cumulative = 0
    used: list[CodePlan] = []
    for start, end, in_code, out_code in intervals:
        length = end - start
        info = codes.get(in_code) if in_code else None
        if info is not None and info.overtime and not info.forbidden:
            minutes = length
        else:
            cumulative += length
            info = codes.get(out_code) if out_code else None
            if info is None or not info.overtime or info.forbidden:
                continue
            minutes = min(length, max(0, cumulative - due))
            cumulative -= minutes
        if info.kind == "overtime_paid":
            paid += minutes
        else:
            banked += minutes
        by_code[info.code] = by_code.get(info.code, 0) + minutes
        notes.append(_NOTE(Note, (info.explain, N.CODE, (info.code, info.label, minutes))))
        used.append(info)
    return paid, banked, used


def edge_spans(plan: DayPlan, intervals: list[Interval], spans: list[Gap],
               notes: list[Note]) -> None:
    """A code typed on a late first entry covers from the entry window; one typed on an
    early last exit, up to the last scheduled stamp."""
    first, last = intervals[0], intervals[-1]
    until = plan.entry_until
    if first[2] and until is not None and first[0] > until:
        spans.append((until, first[0], first[2]))
    end = plan.last_stamp
    if last[3] and end is not None and last[1] < end:
        # Seed 001: a service code closes the day only up to the last scheduled stamp.
        spans.append((last[1], end, last[3]))
        if plan.explain_credited_until is not None:
            notes.append(_NOTE(Note, (plan.explain_credited_until, N.CREDITED_UNTIL,
                                      (last[3], end))))


def credit_spans(
    codes: dict[str, CodePlan], spans: list[Gap], by_code: dict[str, int],
    allowance_used: dict[str, int], notes: list[Note],
) -> tuple[int, int, int, list[tuple[Gap, CodePlan]]]:
    """(service, credited, to_recover, each span credited with its code): service time
    counts as work, a pause outside its band is only shown, other codes are credited
    or, drawn from an allowance to recover, owed. An undefined code credits nothing."""
    service = credited = to_recover = 0
    used: list[tuple[Gap, CodePlan]] = []
    for span in spans:
        start, end, code = span
        info = codes.get(code) if code else None
        minutes = end - start
        if info is None or info.overtime or minutes <= 0 or info.forbidden \
                or info.kind == "pause_waiver":  # an authorisation: it counts no time
            continue
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
        used.append((span, info))
    return service, credited, to_recover, used


def in_band(pause: PausePlan, start: int, end: int) -> bool:
    """Whether a pause from start to end lies in one of the pause's bands (any, if none)."""
    for low, high, last_exit, _ in pause.bands:
        if low <= start <= last_exit and end <= high:
            return True
    return not pause.bands


def pause_taken(pause: PausePlan, taken: int, gross: int, notes: list[Note]) -> int:
    """A pause stamped, in its band or coded for outside it: what a short one deducts."""
    short = pause.min - taken
    if short > 0:
        notes.append(_NOTE(Note, (pause.explain_after, N.PAUSE_DUE, (gross,))))
        if pause.explain_min is not None:
            notes.append(_NOTE(Note, (pause.explain_min, N.PAUSE_SHORT, (taken, short))))
        return short
    notes.append(_NOTE(Note, (pause.explain_after, N.PAUSE_TAKEN, (gross, taken))))
    return 0


def pause_on_duty(pause: PausePlan, code: str, service: int, gross: int,
                  notes: list[Note]) -> int:
    """A pause taken inside a service span (`inside_service`): what it takes from it.

    Seed 001: a service code counts "solo oltre il tempo minimo previsto ... per
    effettuare la pausa"; seed 002: "la pausa sarà decurtata dal giustificativo"."""
    taken = min(pause.min, service)
    if taken:
        notes.append(_NOTE(Note, (pause.explain_after, N.PAUSE_DUE, (gross,))))
        if pause.explain_inside_service is not None:
            notes.append(_NOTE(Note, (pause.explain_inside_service, N.PAUSE_ON_DUTY,
                                      (code, taken))))
    return taken


def pause_unstamped(pause: PausePlan, intervals: list[Interval],
                    on_duty: list[tuple[int, int]], gross: int, notes: list[Note]) -> int:
    """No pause stamped in a day longer than the pause's `after`: what is deducted."""
    longest = 0
    if pause.mandatory_over is not None:
        longest = longest_stretch(intervals, on_duty)
        if longest <= pause.mandatory_over:
            return 0
    if not pause.deduct_unstamped:
        return 0
    deducted = min(pause.deduct_unstamped, gross)
    notes.append(_NOTE(Note, (pause.explain_after, N.PAUSE_DUE, (gross,))))
    if pause.mandatory_over is not None and pause.explain_mandatory is not None:
        notes.append(_NOTE(Note, (pause.explain_mandatory, N.CONTINUOUS, (longest,))))
    if pause.explain_deduct is not None:
        notes.append(_NOTE(Note, (pause.explain_deduct, N.NO_PAUSE, (deducted,))))
    return deducted


def longest_stretch(intervals: list[Interval], on_duty: list[tuple[int, int]]) -> int:
    """The longest continuous work: intervals joined by the service spans between them."""
    joins = set(on_duty)
    longest = current = 0
    previous_end: int | None = None
    for start, end, _, _ in intervals:
        joined = previous_end is not None and (previous_end, start) in joins
        current = current + (end - previous_end if previous_end is not None else 0) \
            if joined else end - start
        longest = max(longest, current)
        previous_end = end
    return longest


def covered(hourly: Sequence[Request], start: int, end: int) -> int:
    """Minutes of [start, end) that approved hourly requests justify."""
    return sum(max(0, min(end, int(q.end or 0)) - max(start, int(q.start or 0)))
               for q in hourly)
