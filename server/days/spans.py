"""What the rules in force say of an employee's own schedule: the weekdays a profile lets
each employee choose, the shifts it defines, and where a day's work ends, past midnight for
a night shift. The one place the loader and the office ask.

Written against branch `sched` (the profile's `choose`/`days choose`, `shifts`, and
`DayPlan.stamps_until`), read by name so it also runs before that branch is merged: then
the choosable days are the profile's working days, there are no shifts, and every day's
work ends at midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dsl import ast
from server.engine.context import context_for
from server.engine.inputs import Schedule
from server.engine.plan import DayPlan, plan_for
from server.policy.model import Policy

MIDNIGHT = 1440


@dataclass(frozen=True)
class ScheduleTerms:
    """What the rules in force on a day allow an employee's record to say of a profile."""

    profile: str
    choosable: frozenset[int]  # ISO weekdays the employee may choose
    count: int | None  # how many they choose, where the profile says (`choose 2 of …`)
    shifts: frozenset[str]  # the rota's shift names


def schedule_terms(policy: Policy, day: date, profile: str) -> ScheduleTerms | None:
    """None when the rules in force on `day` define no such profile."""
    version = policy.version_on(day)
    found = version.profiles.get(profile)
    if found is None:
        return None
    choosable, count = choosable_days(found, plan_for(policy, version, profile))
    return ScheduleTerms(profile, choosable, count, shift_names(found))


def choosable_days(profile: ast.Profile, plan: DayPlan) -> tuple[frozenset[int], int | None]:
    """`choose N of …` (the returns) or `days choose N of …` (a vertical part time's days):
    N of those weekdays; a profile of a language that has them but says neither: none;
    before the language had them: the profile's working days, any number."""
    choice = getattr(profile, "choose", None) or getattr(profile, "contract_days", None)
    if choice is not None:
        return frozenset(choice.among), int(choice.count)
    if hasattr(profile, "choose"):
        return frozenset(), None
    return plan.days, None


def shift_names(profile: ast.Profile) -> frozenset[str]:
    """The shifts the profile is worked in (`shifts morning, night`); none before the
    language had them."""
    shifts = getattr(profile, "shifts", None)
    return frozenset(shifts.value) if shifts is not None else frozenset()


def plan_span_end(plan: DayPlan) -> int | None:
    """Up to which minute the day owns stamps (`DayPlan.stamps_until`: past 1440 for a
    night shift, its span's end plus a margin)."""
    end = getattr(plan, "stamps_until", None)
    return end if isinstance(end, int) else None


def day_end(policy: Policy | None, schedule: Schedule, day: date) -> int:
    """Up to which minute stamps belong to `day`: past 1440 for a shift that crosses
    midnight, whose next morning's stamps up to then count on the day it starts."""
    if policy is None or schedule.shift is None:
        return MIDNIGHT
    try:
        end = plan_span_end(context_for(policy, schedule, day).plan)
    except LookupError:  # no rules that day, or a profile they lack: nothing to carry
        return MIDNIGHT
    return max(end or MIDNIGHT, MIDNIGHT)
