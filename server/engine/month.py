"""One employee's month: its days summed, allowances, deadlines and flags."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from dsl.ast import Allowance, MonteOre, Pos
from server.engine.context import context_for
from server.engine.day import evaluate_day
from server.engine.deadlines import resolve
from server.engine.inputs import Request, Schedule, Stamp, schedule_of
from server.engine.limits import draw_in_order, limit_month
from server.engine.notes import (
    COUNTED,
    DEADLINE_STEPS,
    F_COUNT,
    F_MONTE_ORE,
    F_OVER_HALF_DAY,
    M_MARGIN_DEBT,
    M_MONTE_ORE_DUE,
    UNITS,
    Note,
    word,
)
from server.engine.results import (
    MINUTE_FIGURES,
    MINUTES_OF,
    AllowanceBalance,
    DayResult,
    Explain,
    Flag,
    MonthResult,
)
from server.engine.windows import limit_windows
from server.policy.model import Policy, Version


@dataclass(frozen=True)
class Opening:
    """What the month starts from: allowance minutes already used this year, and the minutes
    the year's earlier months counted against yearly limits (by code, and all overtime)."""

    allowance_used: Mapping[str, int] = field(default_factory=dict)
    employee_flags: frozenset[str] = frozenset()
    code_used: Mapping[str, int] = field(default_factory=dict)
    overtime_used: int = 0
    # The days before the month that a window limit reaches back to (`server.engine.windows`).
    earlier_days: tuple[DayResult, ...] = ()


def evaluate_month(
    policy: Policy,
    profile: str | Schedule,
    year: int,
    month: int,
    stamps: Mapping[date, Sequence[Stamp]],
    requests: Mapping[date, Sequence[Request]] | None = None,
    opening: Opening | None = None,
    *,
    through: date | None = None,
    schedules: Mapping[date, Schedule] | None = None,
    off: Collection[date] = (),
) -> MonthResult:
    """The month's days up to `through` (all when None) summed, with the month's rules.

    Days after `through` have not happened yet: they are not evaluated (no absence,
    no anomaly, no due in the balance); only their due adds to `due_in_month`.
    `schedules` gives the days where the employee's record sets another schedule than
    `profile` (a change of contract days, a rota's shift, a week's change of schedule).
    Days in `off` are not employed (before a contract's start, after its end or a
    deactivation; `server.days.employment`): not evaluated and not due at all."""
    requests = requests or {}
    on = schedules or {}
    opening = opening or Opening()
    all_days = [d for d in _days(year, month) if d not in off]
    counted = [d for d in all_days if through is None or d <= through]
    days = [
        evaluate_day(policy, on.get(day, profile), day, stamps.get(day, ()),
                     requests.get(day, ()))
        for day in counted
    ]
    name = schedule_of(profile).profile
    result = MonthResult(year=year, month=month, profile=name, days=days, through=through)
    _sum(result)
    later = all_days[len(counted):]
    result.due_in_month = result.due + sum(
        evaluate_day(policy, on.get(day, profile), day, (), ()).due for day in later)
    last = date(year, month, calendar.monthrange(year, month)[1])
    version = policy.version_on(last)
    _tolerance(policy, version, result)
    _monte_ore(policy, name, result, counted, later)
    limit_month(policy, version, result, opening.code_used, opening.overtime_used)
    limit_windows(policy, version, result, on, profile, opening.earlier_days)
    _deadlines(policy, version, result, last)
    _allowances(policy, version, name, result, opening)
    _flags(policy, version, result, stamps)
    return result


def _days(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def _sum(result: MonthResult) -> None:
    # Column sums of the days' figures read at once: this runs for every month evaluated.
    totals = map(sum, zip(*map(MINUTES_OF, result.days), strict=True))
    for name, total in zip(MINUTE_FIGURES, totals, strict=False):  # no days: left 0
        setattr(result, name, total)
    result.meal_vouchers = sum(1 for d in result.days if d.meal_voucher)
    for d in result.days:
        for code, minutes in d.by_code.items():
            result.by_code[code] = result.by_code.get(code, 0) + minutes
        for code, minutes in d.over_cap.items():
            result.over_cap[code] = result.over_cap.get(code, 0) + minutes
        for anomaly in d.anomalies:
            result.anomalies.append(replace(anomaly, day=d.day))


def _note(policy: Policy, pos: Pos, figure: str, detail: str) -> Note:
    return Note(Explain(policy.rule_text(pos), policy.where(pos), figure, detail,
                        regulation=policy.regulation(pos)))


def _tolerance(policy: Policy, version: Version, result: MonthResult) -> None:
    """Seed 003: margins trigger no recovery "unless repeated and cumulated in the month"."""
    rule = version.tolerance
    tolerated_days = [d for d in result.days if d.tolerated]
    if rule is None or rule.repeat_limit is None or len(tolerated_days) <= rule.repeat_limit:
        return
    result.balance -= result.tolerated
    result.negative_flex += result.tolerated
    args = (len(tolerated_days), rule.repeat_limit, result.tolerated)
    result.explain.append(Note(_note(policy, rule.pos, "balance", "").explain,
                               M_MARGIN_DEBT, args))


def _monte_ore(policy: Policy, profile: str, result: MonthResult, counted: list[date],
               later: list[date]) -> None:
    """Seed 004 Art. 4: EP staff prove "il raggiungimento del monte ore previsto da CCNL".

    A profile with `monte_ore 36h per week over month` owes no day a due of its own:
    the month owes the weekly hours spread over the profile's working days
    (holidays owe nothing), and a shortfall shows in the month's balance, with its rule."""
    key = ("monte_ore", profile)
    if key not in policy.plan_cache:  # asked once per profile, not per employee-month
        policy.plan_cache[key] = any(
            p.monte_ore is not None for v in policy.versions
            if (p := v.profiles.get(profile)) is not None)
    if not policy.plan_cache[key]:
        return
    owed = _owed(policy, profile, counted)
    due = sum(minutes for minutes, _ in owed.values())
    result.due_in_month += due + sum(
        minutes for minutes, _ in _owed(policy, profile, later).values())
    if not owed:
        return
    for rule, (minutes, days) in owed.items():
        args = (rule.minutes, UNITS.get(rule.unit, rule.unit),
                UNITS.get(rule.period, rule.period), days, minutes)
        result.explain.append(Note(_note(policy, rule.pos, "due", "").explain,
                                   M_MONTE_ORE_DUE, args))
    before = result.balance
    result.due += due
    result.balance -= due
    # The debt grows by what the monte ore took from the balance beyond what was already debt.
    result.negative_flex += max(0, -result.balance) - max(0, -before)
    complete = result.through is None or result.through >= _days(result.year, result.month)[-1]
    reached = result.worked + result.credited
    if reached < due and complete:
        rule = next(iter(owed))
        short = due - reached
        reach = (reached, due, short)
        message = word(F_MONTE_ORE, reach)
        result.explain.append(Note(_note(policy, rule.pos, "balance", message).explain,
                                   F_MONTE_ORE, reach))
        result.flags.append(Flag("monte_ore", short, 0, message, policy.where(rule.pos),
                                 F_MONTE_ORE, reach))


def _owed(policy: Policy, profile: str, days: list[date]) -> dict[MonteOre, tuple[int, int]]:
    """Per monte ore rule in force on the days: (minutes owed, working days)."""
    shares: dict[MonteOre, list[int]] = {}
    for day in days:
        rule = policy.version_on(day).profiles[profile].monte_ore
        context = context_for(policy, profile, day)
        if rule is None or not context.working:
            continue
        shares.setdefault(rule, [0, len(context.plan.days)])[0] += 1
    # Rounded once per rule, not per day: 22 days of 36h/5 are 158h24, not 22 × 7h12 rounded.
    return {rule: (rule.minutes * count // per_week, count)
            for rule, (count, per_week) in shares.items()}


def _deadlines(policy: Policy, version: Version, result: MonthResult, last: date) -> None:
    """The month's deadlines that ask something of the person: a deadline to fix anomalies,
    recover a negative balance or take compensatory rest only in a month that has some."""
    for name, deadline in version.deadlines.items():
        if name == "missed_stamp":
            continue  # per day, not per month: attached to each anomaly
        if name == "anomaly_fix" and not result.anomalies:
            continue
        if name == "negative_balance" and result.balance >= 0:
            continue
        if name == "compensatory_rest" and not result.overtime_banked:
            continue
        resolved = resolve(deadline.when, last, version.deadlines)
        if resolved is None:
            continue  # `open`: the rules give no term
        result.deadlines[name] = resolved
        result.explain.append(Note(_note(policy, deadline.pos, name, "").explain,
                                   DEADLINE_STEPS[name], (resolved.isoformat(),)))


def _allowances(
    policy: Policy, version: Version, profile: str, result: MonthResult, opening: Opening
) -> None:
    prof = version.profiles[profile]
    flags = set(prof.flags.value if prof.flags else ()) | set(opening.employee_flags)
    percent = prof.working_time.percent if prof.working_time else 100
    last = date(result.year, result.month, calendar.monthrange(result.year, result.month)[1])
    for name, rule in version.allowances.items():
        if rule.requires_flag and rule.requires_flag.value not in flags:
            continue
        amount = rule.amount.value if rule.amount else 0
        if rule.prorate_part_time:
            amount = amount * percent // 100
        used = sum(d.allowance_used.get(name, 0) for d in result.days)
        result.allowances.append(AllowanceBalance(
            name=name,
            label=rule.label.value if rule.label else name,
            entitled=amount,
            used_before=opening.allowance_used.get(name, 0),
            used=used,
            recover_by=_recover_by(rule, last) if used else None,
            source=policy.where(rule.pos),
        ))
        if rule.max_half_due:
            _half_due(policy, rule.max_half_due.pos, name, result.days, result)
    draw_in_order(policy, version, result)


def _half_due(policy: Policy, pos: Pos, name: str, days: list[DayResult],
              result: MonthResult) -> None:
    """Seed 002: these permissions "non possono essere di durata superiore alla metà"."""
    for d in days:
        used = d.allowance_used.get(name, 0)
        if d.due and used > d.due // 2:
            args = (d.day.isoformat(), used, name, d.due)
            result.flags.append(Flag(f"{name}_over_half_day", 1, 0,
                                     word(F_OVER_HALF_DAY, args), policy.where(pos),
                                     F_OVER_HALF_DAY, args))


def _recover_by(rule: Allowance, last: date) -> date | None:
    if rule.recover_by is None:
        return None
    when = resolve(rule.recover_by, last)
    return when.date() if isinstance(when, datetime) else when  # None: open


def _flags(policy: Policy, version: Version, result: MonthResult,
           stamps: Mapping[date, Sequence[Stamp]]) -> None:
    counts = {
        "missed_stamps": sum(1 for day in stamps.values() for s in day if s.source == "declared")
        + sum(1 for d in result.days if any(a.code == "unpaired_stamps" for a in d.anomalies)),
        "tolerated_margins": sum(1 for d in result.days if d.tolerated),
        "anomaly_days": sum(1 for d in result.days if d.anomalies),
    }
    for name, rule in version.flags.items():
        count = counts.get(name, 0)
        if count > rule.over:
            # The rule file's own words are the institution's: shown as written.
            args = () if rule.message else (COUNTED.get(name, name), count, rule.over)
            message = rule.message or word(F_COUNT, args)
            result.flags.append(Flag(name, count, rule.over, message, policy.where(rule.pos),
                                     "" if rule.message else F_COUNT, args))
