"""What a day's evaluation knows before it looks at a single stamp.

The version in force, the profile's plan, whether the day is working and the
explanation steps that open every day of that kind depend only on (date,
profile): they are worked out once and kept on the policy, so a month of
10,000 employees asks the calendar 31 times per profile, not 310,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from server.engine import notes as N
from server.engine.fast import fast_day
from server.engine.inputs import Schedule, Stamp, schedule_of
from server.engine.notes import Note
from server.engine.plan import DayPlan
from server.engine.results import DayResult, Explain
from server.engine.schedule import day_plan
from server.policy.model import Policy


@dataclass(frozen=True, slots=True)  # slots: read on every day, faster than a NamedTuple
class DayContext:
    plan: DayPlan
    day: date
    working: bool
    opening: tuple[Note, ...]

    def fast(self, stamps: Sequence[Stamp]) -> DayResult | None:
        """The day by the fast path (`fast.py`), or None where it needs the general one."""
        return fast_day(self, stamps)


def context_for(policy: Policy, profile: str | Schedule, day: date) -> DayContext:
    # A schedule keys by its fields: a tuple hashes in C, a dataclass in Python, per day.
    key = (day, profile) if isinstance(profile, str) else (
        day, profile.profile, profile.chosen, profile.shift, profile.part_time)
    context: DayContext | None = policy.plan_cache.get(key)
    if context is None:
        context = policy.plan_cache[key] = _build(policy, profile, day)
    return context


def _build(policy: Policy, profile: str | Schedule, day: date) -> DayContext:
    plan = day_plan(policy, policy.version_on(day), schedule_of(profile), day)
    working = day.isoweekday() in plan.days and not policy.is_holiday(day)
    return DayContext(plan, day, working, _opening(policy, plan, day, working))


def _opening(policy: Policy, plan: DayPlan, day: date, working: bool) -> tuple[Note, ...]:
    if working:
        if plan.explain_due is None:
            return ()
        if plan.part_time != 100:
            return (Note(plan.explain_due, N.DUE_PART_TIME,
                         (plan.due, plan.full_due, plan.part_time)),)
        return (Note(plan.explain_due, N.DUE, (plan.due,)),)
    if day.isoweekday() not in plan.days:
        if plan.explain_days is None:
            return ()
        return (Note(plan.explain_days, N.REST_DAY),)
    name = policy.holiday_name(day) or "festività"
    pos = policy.holidays_pos
    if pos is None:
        return ()
    rule = Explain(policy.rule_text(pos), policy.where(pos), "due",
                   regulation=policy.regulation(pos))
    # The calendar it came from rides along (unused by the template) so a page can name the
    # holiday in the reader's language.
    where = (policy.holiday_country, policy.holiday_subdivision or "")
    return (Note(rule, N.HOLIDAY, (day.isoformat(), name, *where)),)
