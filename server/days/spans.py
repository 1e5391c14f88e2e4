"""What the rules in force say of an employee's own schedule: the weekdays a profile lets
each employee choose, the shifts it defines, and where a day's work ends, past midnight for
a night shift. The one place the loader and the office ask.

The language has no shifts and no choosable days yet (branch `sched` adds them to the
engine's `DayPlan`: the day's shifts, the span end plus its margin). Until then the plan
is read for them by name and the answers fall back to what the language says today:
the choosable days are the profile's working days, there are no shifts, and every day's
work ends at midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
    shifts: frozenset[str]  # the rota's shift names


def schedule_terms(policy: Policy, day: date, profile: str) -> ScheduleTerms | None:
    """None when the rules in force on `day` define no such profile."""
    version = policy.version_on(day)
    if profile not in version.profiles:
        return None
    plan = plan_for(policy, version, profile)
    return ScheduleTerms(profile, choosable_days(plan), shift_names(plan))


def choosable_days(plan: DayPlan) -> frozenset[int]:
    chosen = getattr(plan, "choosable", None)
    return frozenset(chosen) if chosen is not None else plan.days


def shift_names(plan: DayPlan) -> frozenset[str]:
    return frozenset(getattr(plan, "shifts", None) or ())


def plan_span_end(plan: DayPlan) -> int | None:
    """The minute the day's span ends plus its margin (past 1440 across midnight)."""
    end = getattr(plan, "span_end", None)
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
