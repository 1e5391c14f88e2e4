"""One employee's day: stamps and approved requests -> figures and their explanation.

`evaluate_day` first tries the fast path (`fast.py`), which handles the
common day in one pass and declines anything else; `_Day` below is the
general path and the definition of what a day means.

Order of work: codes the rules do not define reported; whole-day
justifications; stamps rounded, de-duplicated and paired into work intervals;
time before the entry window dropped; overtime set apart; coded spans (gaps,
late entry, early exit) credited by kind; the lunch pause found or deducted;
lateness; totals, tolerance, meal voucher.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from itertools import pairwise

from server.engine import notes as N
from server.engine.context import DayContext, context_for
from server.engine.deadlines import fix_by
from server.engine.fast import fast_day
from server.engine.inputs import Request, Schedule, Stamp, schedule_of
from server.engine.limits import cap_day, skipped_pause, unauthorised_excess
from server.engine.notes import Moves, Note
from server.engine.plan import CodePlan, DayPlan
from server.engine.results import Anomaly, DayResult, Explain
from server.engine.steps import (
    Gap,
    Interval,
    clamp,
    covered,
    credit_spans,
    cut_after,
    edge_spans,
    in_band,
    overtime,
    pause_on_duty,
    pause_taken,
    pause_unstamped,
)
from server.policy.model import Policy

# Anomalies of the stamps themselves: the employee fixes them by declaring a missed stamp.
STAMP_ANOMALIES = frozenset({"unpaired_stamps", "not_alternating"})


def evaluate_day(
    policy: Policy,
    profile: str | Schedule,
    day: date,
    stamps: Sequence[Stamp],
    requests: Sequence[Request] = (),
) -> DayResult:
    context = (policy.plan_cache.get((day, profile)) if profile.__class__ is str else None) \
        or context_for(policy, profile, day)
    if not requests:
        fast = fast_day(context, stamps)
        if fast is not None:
            return fast
    return _general(policy, context, profile, day, stamps, requests)


def evaluate_day_general(
    policy: Policy,
    profile: str | Schedule,
    day: date,
    stamps: Sequence[Stamp],
    requests: Sequence[Request] = (),
) -> DayResult:
    """The definition of a day, without the fast path: what tests hold the fast path to."""
    return _general(policy, context_for(policy, profile, day), profile, day, stamps, requests)


def _general(
    policy: Policy,
    context: DayContext,
    profile: str | Schedule,
    day: date,
    stamps: Sequence[Stamp],
    requests: Sequence[Request],
) -> DayResult:
    result = DayResult(day=day, profile=schedule_of(profile).profile, working_day=context.working)
    result.explain.extend(context.opening)
    _Day(policy, context.plan, result, requests).run(stamps)
    return result


class _Day:
    def __init__(
        self, policy: Policy, plan: DayPlan, result: DayResult, requests: Sequence[Request]
    ) -> None:
        self.policy = policy
        self.plan = plan
        self.r = result
        self.requests = requests
        self.hourly = [q for q in requests if not q.whole_day]
        self.approved_codes = {q.code for q in requests}
        self.half: str | None = None
        self.service = 0  # minutes credited as work by service codes
        self.pause_from_service = 0  # the part of pause_deducted taken from service time
        self.unknown: set[str] = set()  # undefined codes already reported
        self.regular_pause = False
        self.request_marks: set[Gap] = set()

    # ---- the steps ---------------------------------------------------------------
    def run(self, stamps: Sequence[Stamp]) -> None:
        r, plan = self.r, self.plan
        if r.working_day:
            r.due = plan.due
        if plan.schedule_problem is not None:
            self.anomaly(*plan.schedule_problem)
        self.unknown_codes(stamps)
        for q in self.requests:
            if q.whole_day:
                self.whole_day(q)
        intervals = self.intervals(stamps)
        gross = sum(end - start for start, end, _, _ in intervals)
        set_apart = self.overtime(intervals)
        gaps = self.coded_spans(intervals)
        self.service -= cap_day(plan, r)
        mark = len(r.explain)
        self.pause(intervals, gaps, gross)
        if skipped_pause(plan, r, self.approved_codes, mark):
            self.service += self.pause_from_service
            self.pause_from_service, self.regular_pause = 0, True
        if r.working_day and not plan.presence_only:
            self.lateness(intervals)
        deducted_from_work = r.pause_deducted - self.pause_from_service
        r.worked = max(0, gross - set_apart - deducted_from_work) + self.service
        unauthorised_excess(plan, r, self.requests)
        r.regular_pause = self.regular_pause
        self.totals(bool(intervals))

    def note(self, explain: Explain | None, template: str = "", *args: object) -> None:
        if explain is not None:
            self.r.explain.append(Note(explain, template, args))

    def unknown_codes(self, stamps: Sequence[Stamp]) -> None:
        """Every code the rules in force do not define (or forbid to the profile), wherever
        typed or requested: a code on the first entry or last exit credits no span."""
        typed = [s.code for s in sorted(stamps, key=lambda s: s.minute) if s.code is not None]
        for code in [*typed, *(q.code for q in self.requests)]:
            info = self.plan.codes.get(code)
            if (info is None or info.forbidden) and code not in self.unknown:
                self.unknown.add(code)
                if info is None:
                    self.anomaly("unknown_code", N.A_UNKNOWN_CODE, code)
                else:
                    self.anomaly("code_not_for_profile", N.A_NOT_FOR_PROFILE, code, self.r.profile)

    def code(self, code: str) -> CodePlan | None:
        return self.plan.codes.get(code)  # an undefined one was reported by unknown_codes

    def anomaly(self, code: str, template: str, *args: object) -> None:
        missed = code in STAMP_ANOMALIES and self.plan.missed_stamp
        when = self.plan.missed_stamp if missed else self.plan.anomaly_fix
        self.r.anomalies.append(Anomaly(code, N.word(template, args), fix_by(when, self.r.day),
                                        None, template, N.plain(args)))

    def whole_day(self, q: Request) -> None:
        info = self.code(q.code)
        if info is None or info.forbidden or info.overtime or info.kind == "pause_waiver":
            return  # an authorisation credits no time of its own: the stamps say how much
        r, due = self.r, self.r.due
        if info.kind == "service_day":
            self.service += due
            self.add_code(info, due)
        elif info.kind == "half_day_morning" and self.plan.morning_credit is not None:
            self.half = "morning"
            self.credit(info, min(due, self.plan.morning_credit))
        elif info.kind == "half_day_afternoon" and self.plan.afternoon_work is not None:
            self.half = "afternoon"
            self.credit(info, max(0, due - self.plan.afternoon_work))
        elif info.kind == "day_swap":
            r.due = self.plan.due if not r.working_day else 0
            r.working_day = not r.working_day
            self.add_code(info, 0)
            # The day's opening step told the due before the swap.
            r.explain = [n for n in r.explain if n.explain.figure != "due"]
            self.note(replace(info.explain, figure="due"), N.DAY_SWAPPED, info.code, r.due)
        else:
            self.credit(info, due)
        if self.half:
            self.note(self.plan.explain_half_day, N.HALF_DAY, self.half)

    def add_code(self, info: CodePlan, minutes: int) -> None:
        self.r.by_code[info.code] = self.r.by_code.get(info.code, 0) + minutes
        self.note(info.explain, N.CODE, info.code, info.label, minutes)

    def credit(self, info: CodePlan, minutes: int) -> None:
        self.add_code(info, minutes)
        if info.allowance:
            used = self.r.allowance_used
            used[info.allowance] = used.get(info.allowance, 0) + minutes
        if info.recover:
            self.r.to_recover += minutes
        else:
            self.r.credited += minutes

    # ---- stamps -> work intervals ------------------------------------------------------
    def intervals(self, stamps: Sequence[Stamp]) -> list[Interval]:
        plan = self.plan
        step, window = plan.rounding, plan.double_swipe
        rounded: list[tuple[int, str | None, str | None]] = []
        moved = False
        ordered = sorted(stamps, key=lambda s: s.minute)
        for s in ordered:
            minute = (s.minute + step // 2) // step * step if step else s.minute
            if minute != s.minute:
                moved = True
            if rounded and window and minute - rounded[-1][0] <= window and (
                plan.alternate or s.direction == rounded[-1][1]
            ):
                self.note(plan.explain_double_swipe, N.DOUBLE_SWIPE, s.minute)
                continue
            rounded.append((minute, s.direction, s.code))
        if moved:
            self.note(plan.explain_rounding, N.ROUNDED, Moves(tuple(ordered), step))
        return self.pair(rounded)

    def pair(self, stamps: list[tuple[int, str | None, str | None]]) -> list[Interval]:
        intervals: list[Interval] = []
        open_in: tuple[int, str | None] | None = None
        expected = "in"
        for minute, direction, code in stamps:
            direction = direction or (expected if self.plan.alternate else None) or expected
            self.r.stamps.append((direction, minute, code))
            if direction == "in":
                if open_in is not None:
                    self.anomaly("not_alternating", N.A_TWO_ENTRIES, minute)
                open_in, expected = (minute, code), "out"
            elif open_in is None:
                self.anomaly("not_alternating", N.A_EXIT_WITHOUT_ENTRY, minute)
            else:
                intervals.append((open_in[0], minute, open_in[1], code))
                open_in, expected = None, "in"
        if open_in is not None:
            self.anomaly("unpaired_stamps", N.A_NO_EXIT, open_in[0])
        return self.clamp(intervals)

    def clamp(self, intervals: list[Interval]) -> list[Interval]:
        plan, start = self.plan, self.plan.entry_from
        if start is not None and intervals and intervals[0][0] < start:
            intervals = clamp(intervals, start, plan.explain_entry, self.r.explain)
        if plan.count_until is None or not intervals or intervals[-1][1] <= plan.count_until:
            return intervals
        asked = [(int(q.start or 0), int(q.end or 0)) for q in self.hourly
                 if (info := plan.codes.get(q.code)) is not None and info.overtime]
        return cut_after(plan.codes, intervals, plan.count_until, asked,
                         plan.explain_count_until, self.r.explain)

    # ---- overtime, codes -------------------------------------------------------------------
    def overtime(self, intervals: list[Interval]) -> int:
        r = self.r
        paid, banked, used = overtime(self.plan.codes, intervals, r.due, r.by_code, r.explain)
        r.overtime_paid += paid
        r.overtime_banked += banked
        for info in used:
            self.check_approval(info)
        return paid + banked

    def check_approval(self, info: CodePlan) -> None:
        if info.approval and info.code not in self.approved_codes:
            self.anomaly("needs_approval", N.A_NEEDS_APPROVAL, info.code, info.label,
                         info.approval)

    def coded_spans(self, intervals: list[Interval]) -> list[Gap]:
        """Credit every coded span; return the gaps between intervals with their code."""
        r = self.r
        gaps: list[Gap] = []
        for before, after in pairwise(intervals):
            gaps.append((before[1], after[0], before[3] or after[2]))
        spans = [g for g in gaps if g[2]]
        if intervals:
            edge_spans(self.plan, intervals, spans, r.explain)
        self.request_spans(intervals, gaps, spans)
        service, credited, to_recover, used = credit_spans(
            self.plan.codes, spans, r.by_code, r.allowance_used, r.explain)
        self.service += service
        r.credited += credited
        r.to_recover += to_recover
        for span, info in used:
            if span not in self.request_marks:
                self.check_approval(info)
        return gaps

    def request_spans(self, intervals: list[Interval], gaps: list[Gap], spans: list[Gap]) -> None:
        if not self.hourly:
            return
        free, cursor = [], 0
        for start, end, _, _ in intervals:
            free.append((cursor, start))
            cursor = end
        free.append((cursor, max(24 * 60, self.plan.stamps_until)))
        stamped = list(spans)  # a code typed at the terminal and also requested counts once
        for q in self.hourly:
            for low, high in free:
                start, end = max(low, int(q.start or 0)), min(high, int(q.end or 0))
                if end > start and not any(s < end and e > start for s, e, _ in stamped):
                    span = (start, end, q.code)
                    spans.append(span)
                    self.request_marks.add(span)
            for index, (g_start, g_end, code) in enumerate(gaps):
                if code is None and int(q.start or 0) < g_end and int(q.end or 0) > g_start:
                    gaps[index] = (g_start, g_end, q.code)

    # ---- pause, lateness, totals ---------------------------------------------------------------
    def pause(self, intervals: list[Interval], gaps: list[Gap],
              gross: int) -> None:
        p = self.plan.pause
        if p is None or not intervals:
            return
        outside = p.outside_band_code
        found: tuple[int, int] | None = None
        for start, end, code in gaps:
            if code is None and self.in_band(start, end):
                found = (start, end)
                break
        if found is None:
            found = next(((s, e) for s, e, c in gaps if c is not None and c == outside), None)
        in_service = None
        if found is None and p.inside_service:
            in_service = next(((s, e, c) for s, e, c in gaps if c and self.in_band(s, e)
                               and self.kind(c) == "service"), None)
        # Seeds 003/004: time out on service is still work ("ancora in servizio"): it
        # counts towards the day's length and does not break its continuity. A file that
        # takes the pause out of the service span instead (`inside_service`, seed 002)
        # says so, and its service spans stay apart.
        on_duty = [] if p.inside_service else [
            (s, e) for s, e, c in gaps if c and e > s and self.kind(c) == "service"]
        gross += sum(e - s for s, e in on_duty)
        if gross <= p.after:
            self.regular_pause = found is not None
            return
        r = self.r
        if found is not None:
            self.regular_pause = True
            r.pause_deducted = pause_taken(p, found[1] - found[0], gross, r.explain)
        elif in_service is not None:
            self.regular_pause = True
            taken = pause_on_duty(p, in_service[2], self.service, gross, r.explain)
            self.service -= taken
            self.pause_from_service = taken
            r.pause_deducted = taken
        elif any(c is None for _, _, c in gaps):
            template = N.A_PAUSE_OUTSIDE_BAND_CODE if outside else N.A_PAUSE_OUTSIDE_BAND
            self.anomaly("pause_outside_band", template, *([outside] if outside else []))
        else:
            r.pause_deducted = pause_unstamped(p, intervals, on_duty, gross, r.explain)

    def kind(self, code: str) -> str | None:
        info = self.plan.codes.get(code)
        return info.kind if info else None

    def in_band(self, start: int, end: int) -> bool:
        return self.plan.pause is None or in_band(self.plan.pause, start, end)

    def lateness(self, intervals: list[Interval]) -> None:
        plan, r = self.plan, self.r
        if not intervals:
            stamped = any(a.code in STAMP_ANOMALIES for a in r.anomalies)
            if not self.requests and r.due and not stamped:
                r.unjustified = r.due
                self.anomaly("absent", N.A_ABSENT)
                self.note(plan.explain_absent, N.ABSENT, r.due)
            return
        until = plan.entry_until
        if self.half == "morning" and plan.entry_from is not None and plan.morning_credit:
            until = plan.entry_from + plan.morning_credit + plan.scheduled_pause
        first_in = intervals[0][0]
        if until is not None and first_in > until and not intervals[0][2]:
            late = first_in - until - covered(self.hourly, until, first_in)
            if late > 0:
                r.unjustified += late
                self.note(plan.explain_late, N.LATE, first_in, late)
        last_out = intervals[-1][1]
        end = plan.last_stamp
        if end is not None and last_out < end and not intervals[-1][3] \
                and self.half != "afternoon":
            early = end - last_out - covered(self.hourly, last_out, end)
            if early > 0:
                r.unjustified += early
                self.note(plan.explain_last_stamp, N.EARLY, last_out, early)

    def totals(self, stamped: bool) -> None:
        r, plan = self.r, self.plan
        r.balance = r.worked + r.credited - r.due
        if plan.tolerance and -plan.tolerance <= r.balance < 0 and stamped:
            r.tolerated = -r.balance
            r.balance = 0
            self.note(plan.explain_tolerance, N.MARGIN, r.tolerated)
        r.negative_flex = max(0, -r.balance - r.unjustified - r.to_recover)
        if plan.meal_min is not None and r.worked >= plan.meal_min:
            r.meal_voucher = self.regular_pause or not plan.meal_requires_pause
            if plan.meal_notes is not None:
                r.explain.append(plan.meal_notes[r.meal_voucher])

