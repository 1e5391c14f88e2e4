"""Limits and authorisations, the one place the engine applies them.

Day (called by `day._Day`): a code's minutes over its `max … per day`, a skipped pause
excused by an approved `skipped_with` request (given back, or counted as overtime), and
work beyond the due that `overtime { unauthorised not_credited }` does not credit without an
approved overtime request. Month (called by `month.evaluate_month`): a code's `max … per
month|year` and the `overtime` block's limits, the year counted from the month's `Opening`.
What lies over a limit is taken from the figure the code fed (credited, to recover, worked
for service, overtime paid or banked), kept in `over_cap` by code, and explained with the
limit's `file:line`; the month also raises a flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dsl import ast
from server.engine import notes as N
from server.engine.inputs import Request
from server.engine.notes import Note
from server.engine.plan import DayPlan
from server.engine.results import DayResult, Explain, Flag, MonthResult
from server.policy.model import Policy, Version

OVERTIME = "overtime"  # the `over_cap` key of the overtime block's limits


# ---- the day -------------------------------------------------------------------------


def cap_day(plan: DayPlan, r: DayResult) -> int:
    """Take each code's minutes over its day limit from its figure; the service minutes
    taken (service is added to `worked` later, by the caller)."""
    service = 0
    for code, minutes in r.by_code.items():
        info = plan.codes.get(code)
        if info is None or info.day_cap is None or minutes <= info.day_cap:
            continue
        over = minutes - info.day_cap
        r.over_cap[code] = over
        if info.kind == "service":
            service += over
        elif info.kind == "overtime_paid":
            r.overtime_paid -= over
        elif info.kind == "overtime_banked":
            r.overtime_banked -= over
        else:
            if info.allowance:
                r.allowance_used[info.allowance] = r.allowance_used.get(info.allowance, 0) - over
            if info.recover:
                r.to_recover -= over
            else:
                r.credited -= over
        if info.explain_cap is not None:
            args = (code, info.day_cap, N.PER_DAY, over)
            r.explain.append(Note(info.explain_cap, N.OVER_CAP, args))
    return service


def skipped_pause(plan: DayPlan, r: DayResult, approved: set[str], mark: int) -> bool:
    """Seed 004 art. 5 c. 3: a pause deducted though worked is "fatto salvo il riconoscimento
    quale prestazione straordinaria, a seguito di autorizzazione". With an approved request of
    the pause's `skipped_with` code: an overtime code counts the deducted minutes as overtime;
    a `pause_waiver` code gives them back (the pause counts as regular). True when given back:
    the caller then restores what it took from service time. `mark` is where the pause's own
    steps start in the explanation: a pause given back drops them."""
    p = plan.pause
    code = p.skipped_with if p is not None else None
    info = plan.codes.get(code) if code is not None else None
    if p is None or info is None or code not in approved or not r.pause_deducted:
        return False
    explain = p.explain_skipped
    if info.overtime:
        minutes = r.pause_deducted
        if info.kind == "overtime_paid":
            r.overtime_paid += minutes
        else:
            r.overtime_banked += minutes
        r.by_code[info.code] = r.by_code.get(info.code, 0) + minutes
        if explain is not None:
            step = Explain(explain.rule, explain.source, "by_code",
                           regulation=explain.regulation)
            r.explain.append(Note(step, N.PAUSE_AS_OVERTIME, (info.code, info.label, minutes)))
        return False
    given_back = r.pause_deducted
    del r.explain[mark:]
    r.pause_deducted = 0
    if explain is not None:
        r.explain.append(Note(explain, N.PAUSE_SKIPPED, (info.code, given_back)))
    return True


def unauthorised_excess(plan: DayPlan, r: DayResult, requests: Iterable[Request]) -> None:
    """Seed 003: "In nessun caso è possibile il prolungamento ... dell'orario senza preventiva
    autorizzazione": uncoded work beyond the due counts only with an approved overtime request."""
    if plan.explain_excess is None:
        return
    for q in requests:
        info = plan.codes.get(q.code)
        if info is not None and info.overtime and not info.forbidden:
            return
    r.worked -= not_credited(plan.explain_excess, r.worked, r.worked + r.credited - r.due,
                             r.explain)


def not_credited(explain: Explain, worked: int, surplus: int, notes: list[Note]) -> int:
    """The minutes of `worked` beyond the due (`surplus`: worked + credited − due) that no
    authorisation covers; the one rule of it, for the general and the fast path."""
    over = surplus if surplus < worked else worked
    if over <= 0:
        return 0
    notes.append(Note(explain, N.EXCESS, (over,)))
    return over


# ---- the month -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cut:
    minutes: int
    cap: ast.Cap
    counted: int  # what the window counted against the limit, the year's earlier months included


def limit_month(policy: Policy, version: Version, result: MonthResult,
                code_used: Mapping[str, int], overtime_used: int) -> None:
    """A code's month and year limits, then the overtime block's, on the month's figures."""
    for code, rule in version.codes.items():
        caps = [c for c in rule.caps if c.period != "day"]
        counted = result.by_code.get(code, 0) - result.over_cap.get(code, 0)
        if not caps or counted <= 0:
            continue
        cut = _cut(caps, counted, code_used.get(code, 0))
        if cut is not None:
            take(result, rule.kind.value if rule.kind else "hourly_absence", cut.minutes,
                 recover=recovered(version, rule))
            _report(policy, result, code, N.F_CODE_OVER_LIMIT, (code,), cut)
    block = version.overtime
    counted = result.overtime_paid + result.overtime_banked
    if block is None or not block.caps or counted <= 0:
        return
    cut = _cut(block.caps, counted, overtime_used)
    if cut is not None:
        # The paid hours are the budget's ("nel limite delle risorse che finanziano il lavoro
        # straordinario"): they go first; banked hours only once none is left to pay.
        paid = min(cut.minutes, result.overtime_paid)
        result.overtime_paid -= paid
        result.overtime_banked -= cut.minutes - paid
        _report(policy, result, OVERTIME, N.F_OVERTIME_OVER_LIMIT, (), cut)


def draw_in_order(policy: Policy, version: Version, result: MonthResult) -> None:
    """`allowance a then b`: what a code uses beyond what is left of `a` (the year's earlier
    months included) is drawn on `b`. The days count it on `a`; the month moves it."""
    balances = {b.name: b for b in result.allowances}
    for code, rule in version.codes.items():
        first = balances.get(rule.allowance.value) if rule.allowance else None
        then = balances.get(rule.allowance_then.value) if rule.allowance_then else None
        minutes = result.by_code.get(code, 0) - result.over_cap.get(code, 0)
        if first is None or then is None or rule.allowance_then is None or minutes <= 0:
            continue
        moved = min(minutes, -first.left)
        if moved <= 0:
            continue
        first.used -= moved
        then.used += moved
        pos = rule.allowance_then.pos
        result.explain.append(Note(Explain(policy.rule_text(pos), policy.where(pos), "allowances",
                                           regulation=policy.regulation(pos)),
                                   N.M_DRAWN, (code, moved, first.name, then.name)))


def has_year_limits(policy: Policy) -> bool:
    """Whether some version limits a code or overtime per year: the month then needs the
    year's earlier months (`Opening.code_used`, `Opening.overtime_used`)."""
    key = "year_limits"
    if key not in policy.plan_cache:
        policy.plan_cache[key] = any(
            cap.period == "year"
            for v in policy.versions
            for caps in [*(c.caps for c in v.codes.values()),
                         v.overtime.caps if v.overtime else ()]
            for cap in caps)
    return bool(policy.plan_cache[key])


def _cut(caps: Iterable[ast.Cap], counted: int, before: int) -> _Cut | None:
    best: _Cut | None = None
    for cap in caps:
        if cap.period == "day":
            continue
        window = counted + (before if cap.period == "year" else 0)
        over = min(counted, window - cap.minutes)
        if over > 0 and (best is None or over > best.minutes):
            best = _Cut(over, cap, window)
    return best


def recovered(version: Version, rule: ast.CodeDef) -> bool:
    allowance = version.allowances.get(rule.allowance.value) if rule.allowance else None
    return bool(allowance and allowance.recover_by)


def take(result: MonthResult, kind: str, minutes: int, *, recover: bool) -> None:
    if kind == "overtime_paid":
        result.overtime_paid -= minutes
    elif kind == "overtime_banked":
        result.overtime_banked -= minutes
    elif recover:
        result.to_recover -= minutes
    else:
        if kind == "service":
            result.worked -= minutes
        else:
            result.credited -= minutes
        before = result.balance
        result.balance -= minutes
        result.negative_flex += max(0, -result.balance) - max(0, -before)


def _report(policy: Policy, result: MonthResult, key: str, template: str,
            what: tuple[str, ...], cut: _Cut) -> None:
    result.over_cap[key] = result.over_cap.get(key, 0) + cut.minutes
    where = policy.where(cut.cap.pos)
    period = N.THIS_PERIOD.get(cut.cap.period, f"this {cut.cap.period}")
    args = (*what, cut.counted, period, cut.cap.minutes, cut.minutes)
    message = N.word(template, args)
    figure = "overtime_paid" if key == OVERTIME else "by_code"
    result.explain.append(Note(Explain(policy.rule_text(cut.cap.pos), where, figure, message,
                                       regulation=policy.regulation(cut.cap.pos)),
                               template, args))
    result.flags.append(Flag(f"{key}_over_limit", cut.minutes, cut.cap.minutes, message, where,
                             template, args))
