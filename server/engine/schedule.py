"""A day's plan from the profile and the employee's schedule for the day.

A profile may shape its days apart (`on`, `choose`, `cycle`, `days choose`) or take them from
the rota (`shifts`); `day_plan` resolves them, with the employee's `Schedule` (the chosen
weekdays, the day's shift), into a plain `DayPlan`, so the general path and the fast path
both see one plan and stay one definition. Which block wins is `dsl.day_layers`; every
figure it sets is explained by the statement it came from.

Cached per (version, schedule, weekday, week of the cycle): a month of 10,000 employees
resolves a handful of plans per profile, not one per day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TypeVar

from dsl import ast
from dsl import day_layers as L
from dsl.formatter import days as day_names
from server.engine import notes as N
from server.engine.inputs import Schedule
from server.engine.plan import DayPlan, pause_plan, plan_for
from server.engine.results import Explain
from server.policy.model import Policy, Version

T = TypeVar("T")
Problem = tuple[str, ...]  # (anomaly code, message id, its arguments…)
EVERY_DAY = frozenset(range(1, 8))
NO_DAY: frozenset[int] = frozenset()


def day_plan(policy: Policy, version: Version, schedule: Schedule, day: date) -> DayPlan:
    base = plan_for(policy, version, schedule.profile)
    profile = version.profiles[schedule.profile]
    scaled = schedule.part_time != 100 and scales_due(profile)
    if not _shaped(profile) and not schedule.chosen and schedule.shift is None and not scaled:
        return base
    week = L.week_of(profile.cycle, day) if profile.cycle is not None else None
    key = ("day_plan", id(version), schedule, day.isoweekday(), week.number if week else 0)
    plan: DayPlan | None = policy.plan_cache.get(key)
    if plan is None:
        plan = base
        if _shaped(profile) or schedule.chosen or schedule.shift is not None:
            plan = _resolve(policy, version, base, profile, schedule, day.isoweekday(), week)
        if scaled:
            plan = part_time_due(plan, schedule.part_time)
        policy.plan_cache[key] = plan
    return plan


def scales_due(p: ast.Profile) -> bool:
    """Whether the contract's part-time percentage scales this profile's due: yes, unless
    the rule file gives part time its own schedule (`time part …`: its days and dues are
    already the part-time ones) or owes hours over a period (`monte_ore`), not by day."""
    own = p.working_time is not None and p.working_time.mode == "part"
    return not own and p.monte_ore is None


def part_time_due(plan: DayPlan, percent: int) -> DayPlan:
    """A full-time profile worked at `percent`: each working day owes that share of the
    profile's due, to the minute (half a minute rounds to even), explained by the profile's
    `due` with the percentage named (`notes.DUE_PART_TIME`). Nothing else of the day moves:
    its entry window, pause and meal voucher stay the rule file's."""
    return replace(plan, due=round(plan.due * percent / 100), full_due=plan.due,
                   part_time=percent)


def _shaped(p: ast.Profile) -> bool:
    return bool(p.on or p.choose or p.contract_days or p.cycle or p.shifts)


def _x(policy: Policy, at: ast.At[T] | ast.Choose | None, figure: str,
       detail: str = "") -> Explain | None:
    if at is None:
        return None
    return Explain(policy.rule_text(at.pos), policy.where(at.pos), figure, detail,
                   regulation=policy.regulation(at.pos))


def _resolve(policy: Policy, version: Version, base: DayPlan, p: ast.Profile,
             schedule: Schedule, weekday: int, week: ast.CycleWeek | None) -> DayPlan:
    problem = _choice_problem(policy, p, schedule)
    if p.shifts is not None:
        return _shift_day(policy, version, base, p, schedule, problem)
    if schedule.shift is not None:
        problem = problem or ("schedule_invalid", N.A_SHIFT_NOT_IN_SHIFTS, schedule.shift,
                              p.name)
    chosen = problem is None and weekday in schedule.chosen
    found = L.layers(p, weekday, week, chosen and p.choose is not None)
    if p.contract_days is not None:
        working = frozenset(schedule.chosen) if problem is None else NO_DAY
        explain_days = _x(policy, p.contract_days, "due", "not one of the employee's days")
    else:
        listed = L.working_days(p, week)
        working = frozenset(listed.value if listed else L.WEEKDAYS)
        explain_days = _x(policy, listed, "due", "not a working day of the profile")
    pause = L.pause_of(found)
    return _with_day(policy, found, replace(
        base, days=working, explain_days=explain_days, schedule_problem=problem,
        pause=base.pause if pause is None or pause is p.pause else pause_plan(policy, pause)))


def _with_day(policy: Policy, found: list[L.Layer], plan: DayPlan,
              shift_start: int | None = None) -> DayPlan:
    """The due, entry window and end of the day the latest block gives, each explained by
    its statement; past midnight for a shift's clock times before its start."""
    def at(name: str) -> ast.At[int] | None:
        return L.last(found, name)

    def clock(item: ast.At[int] | None) -> int | None:
        if item is None:
            return None
        late = shift_start is not None and item.value <= shift_start
        return item.value + L.MINUTES_PER_DAY if late else item.value

    due, entry, last, until = at("due"), at("entry_from"), at("last_stamp"), at("count_until")
    return replace(
        plan,
        due=due.value if due else 0,
        explain_due=_x(policy, due, "due"),
        explain_absent=_x(policy, due, "unjustified"),
        entry_from=entry.value if entry else None,
        entry_until=clock(at("entry_until")),
        explain_entry=_x(policy, entry, "worked"),
        explain_late=_x(policy, entry, "unjustified"),
        last_stamp=clock(last),
        explain_last_stamp=_x(policy, last, "unjustified"),
        explain_credited_until=_x(policy, last, "by_code"),
        count_until=clock(until),
        explain_count_until=_x(policy, until, "worked"),
    )


def _choice_problem(policy: Policy, p: ast.Profile, schedule: Schedule) -> Problem | None:
    choice = p.choose or p.contract_days
    picked = tuple(sorted(schedule.chosen))
    if choice is None:
        if not picked:
            return None
        return ("schedule_invalid", N.A_CHOSEN_NOT_ALLOWED, day_names(picked), p.name)
    rule = (policy.rule_text(choice.pos).rstrip(" {"), policy.where(choice.pos))
    if not picked:
        return ("schedule_missing", N.A_CHOSEN_MISSING, *rule)
    if len(picked) != choice.count or not set(picked) <= set(choice.among):
        return ("schedule_invalid", N.A_CHOSEN_WRONG, day_names(picked), *rule)
    return None


def _shift_day(policy: Policy, version: Version, base: DayPlan, p: ast.Profile,
               schedule: Schedule, problem: Problem | None) -> DayPlan:
    """A day in shifts: a working day iff the rota sets a shift, its figures the shift's."""
    assert p.shifts is not None
    name = schedule.shift
    shift = version.shifts.get(name) if name is not None else None
    if name is not None and (shift is None or name not in p.shifts.value):
        problem = problem or ("schedule_invalid", N.A_SHIFT_UNLISTED, name,
                              policy.rule_text(p.shifts.pos), policy.where(p.shifts.pos))
        shift = None
    rest = _x(policy, p.shifts, "due", "no shift on the rota")
    if shift is None or shift.span is None:
        return replace(base, days=NO_DAY, explain_days=rest, schedule_problem=problem)
    start = shift.span.value[0]
    end = L.shift_end(shift) or start
    span = ast.At(start, shift.span.pos)
    # The span stands for what the shift does not say: its length is due, work before its
    # start is not counted, an exit before its end is early.
    implied = replace(shift, due=shift.due or ast.At(end - start, shift.span.pos),
                      entry_from=shift.entry_from or span,
                      last_stamp=shift.last_stamp or ast.At(end % L.MINUTES_PER_DAY,
                                                            shift.span.pos))
    plan = replace(base, days=EVERY_DAY, explain_days=rest, schedule_problem=problem,
                   stamps_until=L.stamps_until(shift))
    return _with_day(policy, [p, implied], plan, shift_start=start)
