"""Each employee-day's `Schedule` (profile, chosen weekdays, the rota's shift), read in one
place for the month a person sees and the stored day results, and the night shift's
stamps moved onto the day the shift starts.

The schedules come from the hook `timbra_employee_schedules`; this module is also its
core default (registered `trylast`, `server.plugins.DEFAULT_PLUGINS`): the periods and the
rota the office keeps (`server.db.schedule_tables`). Only the days that differ from the
employee's base profile (`Employee.profile`) are kept: a day missing follows the base.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Protocol, TypeVar

import pluggy
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.days.employment import Contracts, contracts_of
from server.days.facts import ShownStamp
from server.days.spans import MIDNIGHT, day_end
from server.db.keys import one_of
from server.db.models import Employee
from server.db.schedule_tables import RotaDay, SchedulePeriod
from server.engine.inputs import Schedule, Stamp
from server.hookspecs import DaySchedule, hookimpl
from server.plugins import get_plugin_manager
from server.policy.model import Policy

Key = tuple[int, date]  # (employee id, day)
S = TypeVar("S", Stamp, ShownStamp)  # what the engine reads, what the timecard shows
DayEnd = Callable[[Key, Schedule], int]  # up to which minute stamps belong to the day


class Person(Protocol):
    """An `Employee` row, or any row with these columns."""

    @property
    def id(self) -> int: ...

    @property
    def institution_id(self) -> str: ...

    @property
    def number(self) -> str: ...

    @property
    def profile(self) -> str: ...

    @property
    def part_time_percent(self) -> int: ...


def load_schedules(session: Session, employees: Collection[Person], first: date,
                   last: date, pm: pluggy.PluginManager | None = None,
                   contracts: Contracts | None = None) -> dict[Key, Schedule]:
    """The schedules of these employees from `first` to `last` that differ from their
    base profile, one hook call per institution (`pm`: the process's plugin manager), with
    their contracts' profile and part-time percentage (`contracts`: read when not given)."""
    by_institution: dict[str, dict[int, str]] = defaultdict(dict)
    for employee in employees:
        by_institution[employee.institution_id][employee.id] = employee.number
    hook = (pm or get_plugin_manager()).hook.timbra_employee_schedules
    found: dict[Key, Schedule] = {}
    for institution_id, wanted in sorted(by_institution.items()):
        answer = hook(session=session, institution_id=institution_id, employees=wanted,
                      first=first, last=last)
        for employee_id, days in (answer or {}).items():
            if employee_id not in wanted:
                continue  # another institution's, or someone not asked about
            for day, schedule in days.items():
                if first <= day <= last:
                    found[(employee_id, day)] = as_schedule(schedule)
    _under_contract(found, employees, contracts if contracts is not None
                    else contracts_of(session, employees), first, last)
    return found


def _under_contract(found: dict[Key, Schedule], employees: Collection[Person],
                    contracts: Contracts, first: date, last: date) -> None:
    """Each day takes its contract's part-time percentage, and its contract's profile where
    no period or rota (the hook) set the day's own: the contract is the day's base."""
    shared: dict[tuple[str, int], Schedule] = {}
    for employee in employees:
        terms = contracts.get(employee.id, ())
        if all(c.profile == employee.profile and c.part_time_percent == 100 for c in terms):
            continue  # every day on the base profile, full time: nothing differs
        for term in terms:
            if not term.overlaps(first, last):
                continue
            start = max(term.start, first)
            stop = last if term.end is None else min(term.end, last)
            for n in range((stop - start).days + 1):
                key = (employee.id, start + timedelta(days=n))
                own = found.get(key)
                if own is not None:
                    if own.part_time != term.part_time_percent:
                        found[key] = replace(own, part_time=term.part_time_percent)
                elif term.profile != employee.profile or term.part_time_percent != 100:
                    base = (term.profile, term.part_time_percent)
                    if base not in shared:
                        shared[base] = Schedule(term.profile, part_time=term.part_time_percent)
                    found[key] = shared[base]


def as_schedule(schedule: DaySchedule) -> Schedule:
    """The engine's own type, whatever object a plugin answered with."""
    if isinstance(schedule, Schedule):
        return schedule
    return Schedule(str(schedule.profile), frozenset(int(d) for d in schedule.chosen),
                    None if schedule.shift is None else str(schedule.shift))


@hookimpl(trylast=True)
def timbra_employee_schedules(session: Session, institution_id: str,
                              employees: Mapping[int, str], first: date, last: date,
                              ) -> dict[int, dict[date, Schedule]]:
    """The core's default: the periods and the rota kept in the database."""
    return stored_schedules(session, institution_id, list(employees), first, last)


def stored_schedules(session: Session, institution_id: str, employee_ids: Collection[int],
                     first: date, last: date) -> dict[int, dict[date, Schedule]]:
    found: dict[int, dict[date, Schedule]] = defaultdict(dict)
    if not employee_ids:
        return found
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    shared: dict[tuple[str, str, str | None], Schedule] = {}  # one object per schedule

    def schedule(profile: str, chosen: str, shift: str | None = None) -> Schedule:
        key = (profile, chosen, shift)
        if key not in shared:
            shared[key] = Schedule(profile, frozenset(int(d) for d in chosen.split(",") if d),
                                   shift)
        return shared[key]

    periods = session.execute(select(
        SchedulePeriod.employee_id, SchedulePeriod.starts, SchedulePeriod.ends,
        SchedulePeriod.profile, SchedulePeriod.chosen).where(
        SchedulePeriod.institution_id == institution_id,
        one_of(SchedulePeriod.employee_id, employee_ids), SchedulePeriod.starts <= last,
        or_(SchedulePeriod.ends.is_(None), SchedulePeriod.ends >= first)))
    own: dict[int, dict[date, tuple[str, str]]] = defaultdict(dict)
    for employee_id, starts, ends, profile, chosen in periods:
        start = max((starts - first).days, 0)
        stop = len(days) if ends is None else min((ends - first).days + 1, len(days))
        found[employee_id].update(dict.fromkeys(days[start:stop], schedule(profile, chosen)))
        own[employee_id].update(dict.fromkeys(days[start:stop], (profile, chosen)))
    rota = list(session.execute(select(RotaDay.employee_id, RotaDay.day, RotaDay.shift).where(
        RotaDay.institution_id == institution_id, one_of(RotaDay.employee_id, employee_ids),
        RotaDay.day.between(first, last))))
    base = _base_profiles(session, {row.employee_id for row in rota})
    for employee_id, day, shift in rota:
        profile, chosen = own[employee_id].get(day) or (base[employee_id], "")
        found[employee_id][day] = schedule(profile, chosen, shift)
    return found


def _base_profiles(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Employee.id, Employee.profile).where(one_of(Employee.id, ids)))
    return {employee_id: profile for employee_id, profile in rows}


def carry_night_stamps(stamps: dict[Key, list[S]], schedules: Mapping[Key, Schedule],
                       day_end: DayEnd) -> None:
    """A shift that crosses midnight counts on the day it starts: the next morning's stamps
    up to the shift's end move onto that day as minutes past 1440, and the next day no
    longer sees them."""
    shifts: list[Key] = sorted(k for k, v in schedules.items() if v.shift is not None)
    for day in shifts:
        end = day_end(day, schedules[day])
        if end <= MIDNIGHT:
            continue
        after = (day[0], day[1] + timedelta(days=1))
        morning: list[S] = [s for s in stamps.get(after, ()) if s.minute <= end - MIDNIGHT]
        if not morning:
            continue
        stamps[after] = [s for s in stamps[after] if s.minute > end - MIDNIGHT]
        moved: list[S] = [replace(s, minute=s.minute + MIDNIGHT) for s in morning]
        stamps[day] = stamps.get(day, []) + moved


def ends_by(policy_on: Callable[[Key], Policy | None]) -> DayEnd:
    """A `DayEnd` asking the plan (`spans.day_end`) with the policy of each employee-day."""

    def end(key: Key, schedule: Schedule) -> int:
        return day_end(policy_on(key), schedule, key[1])
    return end


def changed_days(before: Mapping[Key, Schedule], after: Mapping[Key, Schedule],
                 base: Mapping[int, str], first: date, last: date) -> set[Key]:
    """The employee-days from `first` to `last` whose schedule differs between `before` and
    `after` (`base`: the employees' base profiles), with the morning after a changed shift,
    whose stamps may move onto it or back."""
    changed: set[Key] = set()
    for employee_id, profile in base.items():
        day = first
        while day <= last:
            key = (employee_id, day)
            old = before.get(key) or Schedule(profile)
            new = after.get(key) or Schedule(profile)
            if old != new:
                changed.add(key)
                if old.shift is not None or new.shift is not None:
                    changed.add((employee_id, day + timedelta(days=1)))
            day += timedelta(days=1)
    return changed
