"""What the engine is fed: the employee's schedule, stamps (facts) and approved requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["in", "out"]


@dataclass(frozen=True, slots=True)
class Stamp:
    """One badge event on the day being evaluated, in local minutes since midnight."""

    minute: int
    direction: Direction | None = None
    code: str | None = None
    source: str = "terminal"  # terminal, web, app, manual, declared (a missed stamp)


@dataclass(frozen=True, slots=True)
class Request:
    """An approved justification: a code over a span of the day, or the whole day."""

    code: str
    start: int | None = None
    end: int | None = None

    @property
    def whole_day(self) -> bool:
        return self.start is None or self.end is None


@dataclass(frozen=True, slots=True)
class Schedule:
    """An employee's schedule on one day: the rule file's profile plus their own record's choices.

    `chosen` holds the ISO weekdays (1 = Monday) the employee's record names where the profile
    lets each employee choose (the afternoon returns, the days of a vertical part time);
    `shift` is the rota's shift for the day where the profile is worked in shifts. With both
    empty the profile alone decides, exactly as a bare profile name does.

    `part_time` is the percentage of the employee's contract on the day
    (`server.days.employment`): it scales the day's due where the profile does not give part
    time its own schedule (`server.engine.schedule.part_time_due`).
    """

    profile: str
    chosen: frozenset[int] = frozenset()
    shift: str | None = None
    part_time: int = 100


def schedule_of(profile: str | Schedule) -> Schedule:
    return profile if isinstance(profile, Schedule) else Schedule(profile)
