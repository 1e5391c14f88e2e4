""""If I leave now": the day evaluated with a hypothetical exit, and the earliest exits that
reach the day's due and earn the meal voucher.

Nothing here knows a pause, a rounding or a voucher rule: every answer is `evaluate_day`
run on the day's real stamps plus one exit that has not happened. The search scans each
minute from now to the end of the day, because the engine's figures are not monotonic in
the exit time: a rule file that deducts an unstamped pause once the day passes its length
(seed 002: "decurtazione dell'intera fascia di flessibilità della pausa pranzo") makes a
later exit worth less than an earlier one, and only the engine knows where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from server.engine.context import context_for
from server.engine.day import evaluate_day
from server.engine.inputs import Request, Schedule, Stamp
from server.engine.results import DayResult, Explain
from server.policy.model import Policy

DAY_END = 24 * 60  # the scan stops at midnight: an exit after it belongs to tomorrow

State = Literal["no_entry", "at_work", "out"]


@dataclass(frozen=True)
class LeaveNow:
    """The answer for one employee at one minute of their day.

    `state`: "no_entry" (no stamp yet: nothing to compute), "at_work" (the last stamp is
    an entry: `result` is the day if they stamp out at `now`), "out" (the last stamp is an
    exit: `result` is the day as stamped). `due_at` / `voucher_at` are the earliest exit
    minutes after `now` that reach the due / earn the voucher, None when already reached
    (`result` says so) or when no exit before midnight does; `due_rule` / `voucher_rule`
    are the rule file lines that set them."""

    now: int
    state: State
    result: DayResult | None
    due_at: int | None = None
    voucher_at: int | None = None
    due_rule: Explain | None = None
    voucher_rule: Explain | None = None

    @property
    def due_reached(self) -> bool:
        return self.result is not None and self.result.balance >= 0

    @property
    def has_voucher_rule(self) -> bool:
        return self.voucher_rule is not None


def leave_now(policy: Policy, schedule: str | Schedule, day: date, stamps: Sequence[Stamp],
              requests: Sequence[Request], now: int) -> LeaveNow:
    """The day if the employee stamps out at minute `now`, and when leaving reaches more."""
    context = context_for(policy, schedule, day)
    plan = context.plan
    # The due's rule is the one the day opened with: the profile's due, or the holiday or
    # rest day that makes it nothing.
    due_rule = next((n.explain for n in context.opening if n.explain.figure == "due"),
                    plan.explain_due)
    rules = due_rule, plan.explain_meal
    if not stamps:
        return LeaveNow(now, "no_entry", None, None, None, *rules)
    as_stamped = evaluate_day(policy, schedule, day, stamps, requests)
    if not as_stamped.stamps or as_stamped.stamps[-1][0] != "in":
        return LeaveNow(now, "out", as_stamped, None, None, *_rules(as_stamped, rules))
    # An exit before the entry it closes is no exit: a clock behind the terminal's waits.
    now = max(now, max(s.minute for s in stamps))

    def leaving(minute: int) -> DayResult:
        return evaluate_day(policy, schedule, day, [*stamps, Stamp(minute, "out")], requests)

    result = leaving(now)
    want_due = result.balance < 0
    want_voucher = plan.meal_min is not None and not result.meal_voucher
    due_at = voucher_at = None
    for minute in range(now + 1, DAY_END):
        if not (want_due or want_voucher):
            break
        later = leaving(minute)
        if want_due and later.balance >= 0:
            due_at, want_due = minute, False
        if want_voucher and later.meal_voucher:
            voucher_at, want_voucher = minute, False
    return LeaveNow(now, "at_work", result, due_at, voucher_at, *_rules(result, rules))


def _rules(result: DayResult, found: tuple[Explain | None, Explain | None]
           ) -> tuple[Explain | None, Explain | None]:
    """The rules the evaluated day names for its due (a swapped day says its own)."""
    due = next((n.explain for n in result.explain if n.explain.figure == "due"), found[0])
    return due, found[1]
