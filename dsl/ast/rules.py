"""The nodes of an institution and its rule sections: what the engine reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from dsl.ast.account import Account
from dsl.ast.base import At, Comment, Pos, Source
from dsl.ast.examples import Example
from dsl.ast.leave import Leave

# ---- identity ---------------------------------------------------------------


@dataclass(frozen=True)
class Holidays:
    country: str
    subdivision: str | None
    pos: Pos


@dataclass(frozen=True)
class Institution:
    id: str
    pos: Pos
    end_line: int
    name: At[str] | None = None
    timezone: At[str] | None = None
    holidays: Holidays | None = None


# ---- rule statements ----------------------------------------------------------


@dataclass(frozen=True)
class Stamping:
    pos: Pos
    end_line: int
    sources: At[tuple[str, ...]] | None = None
    direction: At[str] | None = None
    rounding: At[int] | None = None
    double_swipe: At[int] | None = None
    missed_stamp_approval: At[str] | None = None  # who approves a declared missed stamp


@dataclass(frozen=True)
class Band:
    start: int
    end: int
    last_exit: int
    label: str | None
    pos: Pos
    last_exit_given: bool = True  # False: any exit inside the band starts a pause


@dataclass(frozen=True)
class Pause:
    pos: Pos
    end_line: int
    after: At[int] | None = None
    mandatory_over: At[int] | None = None
    min: At[int] | None = None
    max: At[int] | None = None
    bands: tuple[Band, ...] = ()
    deduct_unstamped: At[int] | None = None
    outside_band_code: At[str] | None = None
    inside_service: At[bool] | None = None  # a pause inside a service span is taken from it
    after_inclusive: bool = False  # `from 6h`: a pause is due at 6h of work, not only over it
    skipped_with: At[str] | None = None  # an approved request of this code excuses a skipped pause


@dataclass(frozen=True)
class WorkingTime:
    mode: str  # "full" or "part"
    arrangement: str | None  # "horizontal", "vertical" or None
    percent: int  # 100 for full time
    pos: Pos


@dataclass(frozen=True)
class MonteOre:
    """Hours owed per `unit` (a week), settled over `period` (a month), not day by day."""

    minutes: int
    unit: str
    period: str
    pos: Pos


@dataclass(frozen=True)
class DayPattern:
    """What shapes the days a block applies to: `on mon { … }`, `choose 2 of mon..thu { … }`,
    `week 2 { … }`. What it does not say, the profile says."""

    pos: Pos
    end_line: int
    days: At[tuple[int, ...]] | None = None  # only in a cycle's week
    due: At[int] | None = None
    entry_from: At[int] | None = None
    entry_until: At[int] | None = None
    last_stamp: At[int] | None = None  # `exit A..B` sets it and count_until at one place
    count_until: At[int] | None = None
    pause: Pause | None = None
    on: tuple[OnDays, ...] = ()  # only in a cycle's week


@dataclass(frozen=True)
class OnDays:
    """`on mon, fri { … }`: those weekdays differ from the profile's ordinary day."""

    days: tuple[int, ...]
    pattern: DayPattern
    pos: Pos


@dataclass(frozen=True)
class Choose:
    """`choose 2 of mon..thu { … }` (the returns) or `days choose 3 of mon..fri` (the days of
    a vertical part time): which weekdays, the employee's record says (`Schedule.chosen`)."""

    count: int
    among: tuple[int, ...]
    pattern: DayPattern | None  # None for `days choose`
    pos: Pos


@dataclass(frozen=True)
class CycleWeek:
    number: int
    pattern: DayPattern
    pos: Pos


@dataclass(frozen=True)
class Cycle:
    """`cycle 2 weeks from 2026-01-05 { week 1 { … } week 2 { … } }`: weeks counted from the
    anchor, a Monday."""

    weeks: int
    anchor: date
    items: tuple[CycleWeek, ...]
    pos: Pos
    end_line: int


@dataclass(frozen=True)
class Shift:
    """A shift of the rota (`shift night { span 21:00..07:00 due 10h }`); a span that ends
    before it starts ends the next day and counts on the day it starts."""

    name: str
    pos: Pos
    end_line: int
    label: At[str] | None = None
    span: At[tuple[int, int]] | None = None
    due: At[int] | None = None
    entry_from: At[int] | None = None
    entry_until: At[int] | None = None
    last_stamp: At[int] | None = None
    count_until: At[int] | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    pos: Pos
    end_line: int
    label: At[str] | None = None
    weekly: At[int] | None = None
    days: At[tuple[int, ...]] | None = None  # ISO weekdays, 1 = Monday
    due: At[int] | None = None
    entry_from: At[int] | None = None
    entry_until: At[int] | None = None
    last_stamp: At[int] | None = None
    scheduled_pause: At[int] | None = None
    working_time: WorkingTime | None = None
    category: At[str] | None = None
    flags: At[tuple[str, ...]] | None = None
    monte_ore: MonteOre | None = None
    pause: Pause | None = None
    no_pause: At[bool] | None = None  # `pause none`: no pause rule, no voucher lost for it
    count_until: At[int] | None = None
    contract_days: Choose | None = None
    on: tuple[OnDays, ...] = ()
    choose: Choose | None = None
    cycle: Cycle | None = None
    shifts: At[tuple[str, ...]] | None = None


@dataclass(frozen=True)
class CodeDef:
    code: str
    pos: Pos
    end_line: int
    label: At[str] | None = None
    kind: At[str] | None = None
    entered: At[tuple[str, ...]] | None = None
    attachment_required: At[bool] | None = None
    notes_required: At[bool] | None = None
    approval: At[str] | None = None
    allowance: At[str] | None = None
    approval_prior: At[int] | None = None  # asked before the time it covers, this long before
    approval_within: At[int] | None = None  # decided within this long after the time it covers
    approval_except: At[tuple[str, ...]] | None = None  # profiles that need no approval
    caps: tuple[Cap, ...] = ()
    allowance_then: At[str] | None = None  # drawn on once `allowance` is used up (month)
    not_for: At[tuple[str, ...]] | None = None  # profiles that may not use the code
    window: WindowCap | None = None  # `max 10% of due per 4 weeks from DATE`


CapPeriod = Literal["day", "month", "year"]


@dataclass(frozen=True)
class Cap:
    """At most `minutes` per `period`: what lies beyond is not credited or paid."""

    minutes: int
    period: CapPeriod
    pos: Pos


@dataclass(frozen=True)
class WindowCap:
    """At most `percent` of the due of each window of `weeks` weeks, the windows counted
    from `anchor` (a Monday): what lies beyond, day after day, is not credited or paid."""

    percent: int
    weeks: int
    anchor: date
    pos: Pos


@dataclass(frozen=True)
class Overtime:
    """Limits on all overtime codes together, and what unauthorised excess work counts."""

    pos: Pos
    end_line: int
    caps: tuple[Cap, ...] = ()
    unauthorised: At[bool] | None = None  # uncoded excess credited only when authorised
    unit_budgets: tuple[UnitBudget, ...] = ()  # `unit_budget ["unit"] D per year`


@dataclass(frozen=True)
class UnitBudget:
    """The paid overtime all employees of a unit may have in a year ("nel limite del monte
    ore ... della struttura"): `unit` None for every unit without an amount of its own."""

    unit: str | None
    minutes: int
    pos: Pos


@dataclass(frozen=True)
class MealVoucher:
    pos: Pos
    end_line: int
    min_worked: At[int] | None = None
    requires_regular_pause: At[bool] | None = None


PeriodKind = Literal["this_month", "next_month", "month_plus", "this_year", "school_year"]
WhenKind = Literal["day_of", "end_of", "next_day_at", "within_days", "within_time", "open_ended"]


@dataclass(frozen=True)
class When:
    """A deadline relative to the day or month it is about."""

    kind: WhenKind
    number: int  # day of month, clock minutes, number of days, or minutes (within_time)
    period: PeriodKind | None
    months: int  # for month_plus
    pos: Pos
    anchor: str | None = None  # counted from another deadline: `5 days after report`


@dataclass(frozen=True)
class Allowance:
    name: str
    pos: Pos
    end_line: int
    label: At[str] | None = None
    amount: At[int] | None = None
    max_half_due: At[bool] | None = None
    prorate_part_time: At[bool] | None = None
    requires_flag: At[str] | None = None
    recover_by: When | None = None


@dataclass(frozen=True)
class Deadline:
    name: str
    when: When
    pos: Pos


@dataclass(frozen=True)
class Deadlines:
    pos: Pos
    end_line: int
    items: tuple[Deadline, ...] = ()


@dataclass(frozen=True)
class Flag:
    name: str
    over: int
    message: str | None
    pos: Pos


@dataclass(frozen=True)
class Fee:
    name: str
    first_cents: int
    then_cents: int | None
    pos: Pos


@dataclass(frozen=True)
class PasswordPolicy:
    pos: Pos
    end_line: int
    min_length: At[int] | None = None
    require: tuple[At[str], ...] = ()
    change_at_first_login: At[bool] | None = None


@dataclass(frozen=True)
class HalfDay:
    pos: Pos
    end_line: int
    morning_credit: At[int] | None = None
    afternoon_work: At[int] | None = None


@dataclass(frozen=True)
class Tolerance:
    minutes: int
    repeat_limit: int | None
    pos: Pos


Statement = (
    Stamping
    | Profile
    | CodeDef
    | Pause
    | MealVoucher
    | Allowance
    | Deadlines
    | Flag
    | Fee
    | PasswordPolicy
    | HalfDay
    | Tolerance
    | Overtime
    | Shift
    | Leave
    | Account
)


@dataclass(frozen=True)
class RulesSection:
    effective: date
    title: str | None
    pos: Pos
    end_line: int
    statements: tuple[Statement, ...] = ()


@dataclass(frozen=True)
class RuleFile:
    path: str
    source: str
    institution: Institution | None
    sections: tuple[RulesSection, ...]
    examples: tuple[Example, ...]
    comments: tuple[Comment, ...] = ()
    sources: tuple[Source, ...] = ()  # read beside the tree, like comments (`dsl.sources`)
