"""Leave in days: the rule file's `leave` blocks, the employee's terms and the days drawn
→ the balance of each leave for a year, its carry from the year before and when that
lapses, each figure explained by the rule (`file:line`) that made it.

Pure: nothing here reads a clock or a database. Amounts are counted in half days.

- The entitlement is the most specific `entitlement` line that holds for the employee's
  week (days worked a week) and seniority; `prorate part_time` multiplies it by the
  part-time percentage, `prorate contract` by the months under contract in the year over
  12 (a month counts when the contract covers more than 15 of its days); the result is
  rounded to the nearest half day, a quarter rounding up. When the percentage changes in
  the year (100% to June, 50% from July), each month counts at the percentage of the
  contract that covers most of its days (a tie: the later one), so each period's months
  count at its own percentage whichever day is asked about.
- `accrue monthly`: a month's share is earned on its first day under contract (weighed by
  its part-time percentage when that prorates the leave); drawing beyond what is earned by
  a day is drawing beyond the balance.
- `carry until 30 apr`: what is left of a year may be drawn until that day of the next
  year, before the new year's days; what is not drawn by then lapses. Without it, what is
  left at the year's end lapses.
- `max 7 days per month`: at most that many days drawn in one month.
- An opening balance (adoption) says what was left of the year, and carried from the one
  before, on a day: draws before it are already in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from math import floor
from typing import Any

from dsl import ast
from dsl.vocabulary import LEAVE_DRAWS
from server.engine.leave_contracts import matching, months_under_contract, percent_of_month
from server.engine.notes import word
from server.engine.results import Explain
from server.i18n.current import Nn_
from server.policy.model import Policy, Version

E_ENTITLED = Nn_("{:n} day a year", "{:n} days a year")
E_NO_ENTITLEMENT = Nn_("no entitlement for a {:n}-day week", "no entitlement for a {:n}-day week")
E_PART_TIME = Nn_("part time {}%: {:n} day", "part time {}%: {:n} days")
E_CONTRACT = Nn_("{:n} month of {} under contract", "{:n} months of {} under contract")
E_CONTRACTED = Nn_("prorated by the months under contract: {:n} day",
                   "prorated by the months under contract: {:n} days")
E_PERIOD = Nn_("{:n} month of {} at {}%", "{:n} months of {} at {}%")
E_PERIODS = Nn_("prorated by each contract's part time: {:n} day",
                "prorated by each contract's part time: {:n} days")
E_ACCRUED = Nn_("{:n} day earned by {:day}", "{:n} days earned by {:day}")
E_CARRIED = Nn_("{:n} day left of {}, usable until {:day}",
                "{:n} days left of {}, usable until {:day}")
E_LAPSED = Nn_("{:n} day of {} lapsed on {:day}", "{:n} days of {} lapsed on {:day}")
E_OPENING = Nn_("opening balance on {:day}: {:n} day left, {} carried",
                "opening balance on {:day}: {:n} days left, {} carried")
E_CAP = Nn_("at most {:n} day a month", "at most {:n} days a month")
# Seniority is counted in whole years of service; a month of the year counts when the
# contract covers more than half of it (CCNL practice: "frazione superiore a 15 giorni").
_LOOKBACK_YEARS = 10  # carries are chained from at most this many years back


class Days(float):
    """Half days printed as days: 12, 12½."""

    def __format__(self, spec: str) -> str:
        sign, size = ("-" if self < 0 else ""), abs(self)
        whole = int(size)
        if size == whole:
            return f"{sign}{whole}"
        return f"{sign}{whole or ''}½"

    def __str__(self) -> str:
        return format(self, "")


def days(halves: int) -> Days:
    return Days(halves / 2)


@dataclass(frozen=True)
class Contract:
    start: date | None  # None: since before anything counted here
    end: date | None  # None: open-ended
    part_time_percent: int | None = None  # None: the terms' `part_time_percent`


@dataclass(frozen=True)
class LeaveTerms:
    """What the employee's record says that leave depends on."""

    week_days: int  # days worked a week by the profile
    part_time_percent: int = 100  # in force on the day asked; a month no contract covers
    contracts: tuple[Contract, ...] = (Contract(None, None),)
    service_start: date | None = None  # None: unknown, counted as past any seniority step


@dataclass(frozen=True)
class Draw:
    """A day (or half day) of leave drawn by an approved or pending request; or the half
    days the hours account draws on a leave by name (`not_recovered use leave NAME`,
    `server.engine.account`), with the step that explains them."""

    day: date
    code: str
    ref: object = None  # what drew it (a request id), handed back in `beyond`
    leave: str | None = None  # drawn on this leave by name, not by a code
    halves: int = 0  # for a draw by name
    why: Explain | None = None  # for a draw by name: the account's movement


@dataclass(frozen=True)
class Opening:
    """What was left on `on` when the institution adopted timbra (in half days)."""

    on: date
    left: int  # of the year's own days
    carried: int = 0  # of last year's days, lapsing at the rule's carry date


@dataclass
class LeaveYear:
    name: str
    label: str
    year: int
    entitled: int = 0  # halves, for the whole year
    accrued: int = 0  # halves earned by the day asked about (the entitlement without accrual)
    carried_in: int = 0
    carry_until: date | None = None
    carried_used: int = 0
    carried_lapsed: int = 0
    taken: int = 0  # halves drawn on the year's own days (planned ones included)
    compensated: int = 0  # halves of `taken` and `carried_used` the hours account drew
    month_cap: int | None = None  # halves
    month_taken: int = 0  # in the month asked about
    yearly: bool = True  # False: the leave only has a monthly cap (smart working)
    beyond: list[Draw] = field(default_factory=list)  # draws beyond the balance, in order
    explain: list[Explain] = field(default_factory=list)

    @property
    def left(self) -> int:
        """The year's own days not drawn (negative: overdrawn)."""
        return self.entitled - self.taken if self.yearly else 0

    @property
    def carried_left(self) -> int:
        return self.carried_in - self.carried_used - self.carried_lapsed

    @property
    def total_left(self) -> int:
        return self.left + self.carried_left

    @property
    def month_left(self) -> int | None:
        return None if self.month_cap is None else self.month_cap - self.month_taken

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "year": self.year,
            "entitled": self.entitled / 2, "accrued": self.accrued / 2,
            "carried_in": self.carried_in / 2,
            "carry_until": self.carry_until.isoformat() if self.carry_until else None,
            "carried_used": self.carried_used / 2, "carried_lapsed": self.carried_lapsed / 2,
            "taken": self.taken / 2, "compensated": self.compensated / 2,
            "left": self.left / 2, "total_left": self.total_left / 2,
            "month_cap": None if self.month_cap is None else self.month_cap / 2,
            "month_taken": self.month_taken / 2,
            "month_left": None if self.month_left is None else self.month_left / 2,
            "beyond": [d.day.isoformat() for d in self.beyond],
            "explain": [e.to_json() for e in self.explain],
        }


def drawn_halves(version: Version, code: str) -> int:
    """How much one request of `code` draws: a whole day 2, a half day 1 (halves)."""
    info = version.codes.get(code)
    kind = info.kind.value if info is not None and info.kind else "hourly_absence"
    return LEAVE_DRAWS.get(kind, 0)


def leave_of(version: Version, code: str) -> ast.Leave | None:
    return next((lv for lv in version.leaves.values()
                 if lv.drawn_by and code in lv.drawn_by.value), None)


def leave_balances(policy: Policy, terms: LeaveTerms, on: date, draws: Iterable[Draw],
                   openings: Mapping[str, Opening] | None = None, since: date | None = None,
                   ) -> list[LeaveYear]:
    """Each leave of the rules in force on `on`, for `on`'s year: entitled, carried,
    taken (all the year's draws, planned ones too), and the draws beyond the balance.
    `since`: the day draws were first recorded (the adoption); no year before it is
    counted, so nothing is carried from a year nobody recorded."""
    openings = openings or {}
    version = _version(policy, on)
    if version is None:
        return []
    ordered = sorted(draws, key=lambda d: d.day)
    out = []
    for leave in version.leaves.values():
        opening = openings.get(leave.name)
        first = _first_year(policy, terms, on.year, opening, since)
        carried: tuple[int, date | None] = (0, None)
        year: LeaveYear | None = None
        for y in range(first, on.year + 1):
            ask = on if y == on.year else date(y, 12, 31)
            year = _year(policy, leave.name, terms, y, ask, ordered, carried,
                         opening if opening is not None and opening.on.year == y else None)
            # A year whose rules lack the leave carries nothing to the next.
            carried = (0, None) if year is None else _carry_out(policy, leave.name, year)
        if year is not None and year.year == on.year:
            out.append(year)
    return out


def _version(policy: Policy, day: date) -> Version | None:
    try:
        return policy.version_on(day)
    except LookupError:
        return None


def _first_year(policy: Policy, terms: LeaveTerms, year: int, opening: Opening | None,
                since: date | None) -> int:
    """Where the chain of carries starts: the opening balance's year, else the first year
    of the rules, of the records or of the contract, at most `_LOOKBACK_YEARS` back."""
    if opening is not None and opening.on.year <= year:
        return opening.on.year
    starts = [policy.versions[0].effective.year, year - _LOOKBACK_YEARS]
    starts += [since.year] if since is not None else []
    starts += [c.start.year for c in terms.contracts if c.start is not None][:1]
    return min(max(starts), year)


def _year(policy: Policy, name: str, terms: LeaveTerms, year: int, on: date,
          draws: Sequence[Draw], carried: tuple[int, date | None],
          opening: Opening | None) -> LeaveYear | None:
    version = _version(policy, min(on, date(year, 12, 31)))
    leave = version.leaves.get(name) if version is not None else None
    if version is None or leave is None:
        return None
    label = leave.label.value if leave.label else name
    result = LeaveYear(name, label, year, yearly=bool(leave.entitlements))
    result.entitled = _entitlement(policy, leave, terms, year, result.explain)
    result.carried_in, result.carry_until = carried
    taken = 0
    if opening is not None:  # what was drawn before adoption is in the opening balance
        result.carried_in, taken = opening.carried, result.entitled - opening.left
        result.carry_until = _carry_date(policy, leave, year)
        draws = [d for d in draws if d.day >= opening.on]
        result.explain.append(_explain(policy, leave.pos, E_OPENING, opening.on.isoformat(),
                                       days(opening.left), days(opening.carried)))
    elif result.carried_in:
        result.explain.append(_explain(policy, leave.carry.pos if leave.carry else leave.pos,
                                       E_CARRIED, days(result.carried_in), year - 1,
                                       result.carry_until))
    cap = leave.caps[0] if leave.caps else None
    if cap is not None:
        result.month_cap = cap.days * 2
        result.explain.append(_explain(policy, cap.pos, E_CAP, cap.days))
    _ledger(result, version, leave, terms, on, draws, taken)
    result.accrued = _accrued(leave, terms, result.entitled, year, on)
    if leave.accrue is not None:
        result.explain.append(_explain(policy, leave.accrue.pos, E_ACCRUED,
                                       days(result.accrued), on.isoformat()))
    if result.carry_until is not None and on > result.carry_until and result.carried_left > 0:
        result.carried_lapsed = result.carried_left
        result.explain.append(_explain(policy, leave.carry.pos if leave.carry else leave.pos,
                                       E_LAPSED, days(result.carried_lapsed), year - 1,
                                       result.carry_until.isoformat()))
    return result


def _ledger(result: LeaveYear, version: Version, leave: ast.Leave, terms: LeaveTerms,
            on: date, draws: Sequence[Draw], taken: int) -> None:
    """The year's draws in date order: last year's days first while they last, then the
    year's own; a draw beyond what is earned by its day, or beyond the month's cap, is
    kept in `beyond`."""
    carry_left = result.carried_in
    by_month: dict[int, int] = {}
    codes = leave.drawn_by.value if leave.drawn_by else ()
    for draw in draws:
        if draw.day.year != result.year:
            continue
        if draw.leave is not None:  # the hours account's debt, compensated
            if draw.leave != leave.name:
                continue
            halves = draw.halves
            result.compensated += halves
            if draw.why is not None:
                result.explain.append(draw.why)
        elif draw.code in codes:
            halves = drawn_halves(version, draw.code)
        else:
            continue
        from_carry = 0
        if result.carry_until is not None and draw.day <= result.carry_until:
            from_carry = min(carry_left, halves)
        carry_left -= from_carry
        result.carried_used += from_carry
        taken += halves - from_carry
        month = by_month[draw.day.month] = by_month.get(draw.day.month, 0) + halves
        earned = _accrued(leave, terms, result.entitled, result.year, draw.day)
        over_year = bool(leave.entitlements) and taken > earned
        if over_year or (result.month_cap is not None and month > result.month_cap):
            result.beyond.append(draw)
    result.taken = taken
    result.month_taken = by_month.get(on.month, 0)


def _carry_out(policy: Policy, name: str, year: LeaveYear) -> tuple[int, date | None]:
    """What a year hands to the next: its own days left, when the rule carries them."""
    version = _version(policy, date(year.year, 12, 31))
    leave = version.leaves.get(name) if version is not None else None
    if leave is None or leave.carry is None or year.left <= 0:
        return 0, None
    return year.left, _carry_date(policy, leave, year.year + 1)


def _carry_date(policy: Policy, leave: ast.Leave, year: int) -> date | None:
    return None if leave.carry is None else date(year, leave.carry.month, leave.carry.day)


def _entitlement(policy: Policy, leave: ast.Leave, terms: LeaveTerms, year: int,
                 explain: list[Explain]) -> int:
    line = matching(leave, terms, date(year, 1, 1))
    if line is None:
        if leave.entitlements:
            explain.append(_explain(policy, leave.pos, E_NO_ENTITLEMENT, terms.week_days))
        return 0
    amount = Fraction(line.days * 2)
    explain.append(_explain(policy, line.pos, E_ENTITLED, line.days))
    prorate = leave.prorate.value if leave.prorate else ()
    pos = leave.prorate.pos if leave.prorate else line.pos
    months = months_under_contract(terms, year)
    counted = months if "contract" in prorate else list(range(1, 13))
    percents = [percent_of_month(terms, year, m) for m in counted]
    if "part_time" in prorate and len(set(percents)) > 1:
        # Each period's months at its own percentage, over the year's 12.
        amount = amount * sum(percents) / 100 / 12
        for percent in sorted(set(percents), key=percents.index):
            explain.append(_explain(policy, pos, E_PERIOD, percents.count(percent), year,
                                    percent))
        explain.append(_explain(policy, pos, E_PERIODS, days(_round(amount))))
        return _round(amount)
    percent = percents[0] if percents else terms.part_time_percent
    if "part_time" in prorate and percent != 100:
        amount = amount * percent / 100
        explain.append(_explain(policy, pos, E_PART_TIME, percent, days(_round(amount))))
    if "contract" in prorate and len(months) != 12:
        amount = amount * len(months) / 12
        # Two steps, as the part-time periods: one sentence cannot count months and days.
        explain.append(_explain(policy, pos, E_CONTRACT, len(months), year))
        explain.append(_explain(policy, pos, E_CONTRACTED, days(_round(amount))))
    return _round(amount)



def _accrued(leave: ast.Leave, terms: LeaveTerms, entitled: int, year: int, on: date) -> int:
    """Without `accrue`, the whole entitlement; with it, the share of the months under
    contract that have started by `on`, each weighed by its part-time percentage where the
    leave is prorated by it (a full-time month earns twice a half-time one)."""
    if leave.accrue is None:
        return entitled
    months = months_under_contract(terms, year)
    if not months:
        return 0
    by_part_time = leave.prorate is not None and "part_time" in leave.prorate.value
    weight = {m: percent_of_month(terms, year, m) if by_part_time else 1 for m in months}
    started = sum(weight[m] for m in months if date(year, m, 1) <= on)
    return _round(Fraction(entitled * started, sum(weight.values()) or 1))


def _round(halves: Fraction) -> int:
    """To the nearest half day; a quarter day rounds up."""
    return floor(halves + Fraction(1, 2))


def _explain(policy: Policy, pos: ast.Pos, template: str, *args: object) -> Explain:
    return Explain(policy.rule_text(pos), policy.where(pos), "leave", word(template, args),
                   template, tuple(format(a) if isinstance(a, Days | date) else a
                                   for a in args))
