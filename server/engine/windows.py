"""Limits over windows of weeks: `max 10% of due per 4 weeks from 2026-01-05` on a code.

The national contracts cap a part time's supplementary work at a share of the hours due
over a few weeks ("in misura non superiore al 10% ... riferita a periodi non superiori
ad un mese"). The windows are counted from the anchor, a Monday, and do not follow the
months: a window is measured against the due of all its days, those of the month before
(`Opening.earlier_days`, the caller's results of them) and after (the profile's due)
included. Day after day through the window, the code's minutes count until they reach
the share; what lies beyond is taken from the month's figure the code fed, kept in
`over_cap`, explained with the rule's `file:line` and flagged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from dsl import ast
from server.engine import notes as N
from server.engine.day import evaluate_day
from server.engine.inputs import Schedule
from server.engine.limits import recovered, take
from server.engine.notes import Note
from server.engine.results import DayResult, Explain, Flag, MonthResult
from server.policy.model import Policy, Version


def has_windows(policy: Policy) -> bool:
    """Whether a code of some version has a window limit: the month then needs the days
    before it (`Opening.earlier_days`)."""
    key = "window_limits"
    if key not in policy.plan_cache:
        policy.plan_cache[key] = any(c.window for v in policy.versions for c in v.codes.values())
    return bool(policy.plan_cache[key])


def limit_windows(policy: Policy, version: Version, result: MonthResult,
                  schedule_on: Mapping[date, Schedule | str], profile: Schedule | str,
                  earlier_days: Sequence[DayResult]) -> None:
    """Each code's window limit on the month's days (`result.days`, in date order)."""
    if not result.days or not has_windows(policy):
        return
    days = _Days(policy, result, {d.day: d for d in earlier_days}, schedule_on, profile)
    for rule in version.codes.values():
        window = rule.window
        if window is None:
            continue
        length = timedelta(weeks=window.weeks)
        first, last = result.days[0].day, result.days[-1].day
        start = window.anchor + length * ((first - window.anchor) // length)
        while start <= last:
            _one_window(policy, rule, window, result, start, start + length, days,
                        recovered(version, rule))
            start += length


class _Days:
    """The due and the code's minutes of any day a window holds."""

    def __init__(self, policy: Policy, result: MonthResult, before: Mapping[date, DayResult],
                 schedule_on: Mapping[date, Schedule | str], profile: Schedule | str) -> None:
        self.policy, self.before, self.on, self.profile = policy, before, schedule_on, profile
        self.month = {d.day: d for d in result.days}

    def day(self, day: date) -> DayResult | None:
        return self.month.get(day) or self.before.get(day)

    def due(self, day: date) -> int:
        known = self.day(day)
        if known is not None:
            return known.due
        if day < self.policy.versions[0].effective:
            return 0  # before the first rules, nothing was due
        return evaluate_day(self.policy, self.on.get(day, self.profile), day, (), ()).due


def _one_window(policy: Policy, rule: ast.CodeDef, window: ast.WindowCap, result: MonthResult,
                start: date, end: date, days: _Days, recover: bool) -> None:
    span = [start + timedelta(days=n) for n in range((end - start).days)]
    due = sum(days.due(d) for d in span)
    share = due * window.percent // 100
    counted = over = 0
    for day in span:
        found = days.day(day)
        minutes = 0 if found is None else (found.by_code.get(rule.code, 0)
                                           - found.over_cap.get(rule.code, 0))
        beyond = min(minutes, counted + minutes - share) if counted + minutes > share else 0
        counted += minutes
        if day in days.month and beyond > 0:
            over += beyond
    if over <= 0:
        return
    kind = rule.kind.value if rule.kind else "hourly_absence"
    take(result, kind, over, recover=recover)
    result.over_cap[rule.code] = result.over_cap.get(rule.code, 0) + over
    args = (rule.code, window.weeks, start.isoformat(), counted, window.percent, due, share,
            over)
    pos = window.pos
    explain = Explain(policy.rule_text(pos), policy.where(pos),
                      "overtime_paid" if kind == "overtime_paid" else "by_code",
                      regulation=policy.regulation(pos))
    note = Note(explain, N.OVER_WINDOW, args)
    result.explain.append(note)
    result.flags.append(Flag(f"{rule.code}_over_limit", over, share, note.render().detail,
                             policy.where(pos), N.OVER_WINDOW, args))
