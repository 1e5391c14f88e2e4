"""The hours account (conto ore): one employee's month carried into the next, a pure function.

`carry_month(policy, profile, opening, month)` takes what the account held when the month
began (a credit and the debts still to recover, each with the date it falls due) and the
month's result, and gives the month's movements by kind and the closing state, each
movement explained by the rule (`file:line`) that made it. Seed 002: negative flexibility
"deve essere recuperata, ovvero è automaticamente compensata, in caso di conto ore
individuale positivo", and "deve essere recuperata entro il mese successivo, in caso di
mancato recupero si determina la proporzionale decurtazione".

The movements, and what each does to the balance (credit less debts):
- `difference`: a closed month's figures changed after its close (a late stamp, a contract
  dated in the past): its closing stays as the close froze it, and the first open month
  takes the difference (`corrections`), before its own balance: a credit pays the oldest
  debts first, a debt is compensated by the credit first where the rules say so, as a
  month's own debt is, and the rest runs from the closed month with the date the closed
  month's debt would have had;
- `month`: the month's balance comes in;
- `compensate`: a new debt paid at once by the credit (`compensate automatic`): no change;
- `debt`: what is left of a negative month, with the date it falls due: no change (the
  `month` movement brought it);
- `recover`: a positive month pays an older debt first: no change;
- `deduct`, `leave`: a debt past its date leaves the account, docked from pay (listed for
  payroll) or drawn from days of leave, in half days of the employee's own day
  (`day_of_leave`), a started half day counting whole: the balance rises by it;
- `anomaly`: a debt past its date stays, and the office is told;
- `lapse`: the credit over `carry monthly max` is lost at the month's end;
- `expire`: the credit over what `year_end` keeps is lost at the year's end.
Month-end movements happen only once the month is over (`complete`).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from dsl import ast
from server.engine.deadlines import resolve
from server.engine.leave import days
from server.engine.notes import Note, word
from server.engine.results import Anomaly, Explain, MonthResult
from server.engine.schedule import scales_due
from server.i18n.current import N_, Nn_
from server.policy.model import Policy

# The arguments stay data (a month `2026-02`, a day `2026-03-31`); `{:month}` and `{:day}`
# word them as the reader says them (`server.engine.notes.word`).
M_MONTH = N_("balance of the month: {:hm}")
M_DIFFERENCE = N_("difference from closed month {:month}: {:hm}, changed after its close")
M_COMPENSATE = N_("{:hm} of debt compensated by the credit in the account")
M_DEBT = N_("{:hm} of debt to recover by {:day}")
M_DEBT_OPEN = N_("{:hm} of debt to recover, no date given")
M_RECOVER = N_("{:hm} of the debt of {:month} recovered")
M_DEDUCT = N_("{:hm} of the debt of {:month} not recovered by {:day}: deducted from pay")
M_LEAVE = Nn_("{:hm} of the debt of {:month} not recovered by {:day}: compensated with {:n} day "
              "of {} (a day: {:hm})", "{:hm} of the debt of {:month} not recovered by {:day}: "
              "compensated with {:n} days of {} (a day: {:hm})")
M_LEAVE_NO_DAY = N_("{:hm} of the debt of {:month} not recovered by {:day}: the profile gives "
                    "no day's hours to convert into days of {}")
M_ANOMALY = N_("{:hm} of the debt of {:month} not recovered by {:day}")
M_LAPSE = N_("credit over {:hm} not carried: {:hm} lapse")
M_EXPIRE = N_("year end: {:hm} of credit expire")
A_NOT_RECOVERED = N_("{:hm} of the debt of {:month} not recovered by {:day}")

KINDS = ("difference", "month", "compensate", "debt", "recover", "deduct", "leave", "anomaly",
         "lapse", "expire")


@dataclass(frozen=True, slots=True)
class Debt:
    minutes: int
    since: date  # the first day of the month it arose in
    due: date | None  # None: no date, or past it and left to the office
    source: str  # file:line of the rule that dated it

    def to_json(self) -> dict[str, Any]:
        return {"minutes": self.minutes, "since": self.since.isoformat(),
                "due": self.due.isoformat() if self.due else None, "source": self.source}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Debt:
        due = data.get("due")
        return cls(int(data["minutes"]), date.fromisoformat(data["since"]),
                   date.fromisoformat(due) if due else None, str(data.get("source", "")))


@dataclass(frozen=True, slots=True)
class AccountState:
    """What the account holds: a credit, and the debts still to recover, oldest first."""

    credit: int = 0
    debts: tuple[Debt, ...] = ()

    @property
    def balance(self) -> int:
        return self.credit - sum(d.minutes for d in self.debts)

    @classmethod
    def of_balance(cls, minutes: int, since: date) -> AccountState:
        """An imported opening balance: a debt in it has no date of its own."""
        if minutes >= 0:
            return cls(minutes)
        return cls(0, (Debt(-minutes, since, None, ""),))

    def to_json(self) -> dict[str, Any]:
        return {"balance": self.balance, "credit": self.credit,
                "debts": [d.to_json() for d in self.debts]}


@dataclass(frozen=True, slots=True)
class Movement:
    kind: str  # one of KINDS
    minutes: int  # how much moved
    effect: int  # what it did to the balance: opening + the effects = closing
    note: Note
    leave: str | None = None  # the leave a `leave` movement draws on
    halves: int = 0  # the half days of it the movement draws
    closed: str | None = None  # the closed month (2026-02) a `difference` comes from

    @property
    def explain(self) -> Explain:
        return self.note.render()

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "minutes": self.minutes, "effect": self.effect,
               "explain": self.note.to_json()}
        if self.leave is not None:
            out["leave"] = self.leave
            out["leave_days"] = self.halves / 2
        if self.closed is not None:
            out["closed_month"] = self.closed
        return out


@dataclass(frozen=True, slots=True)
class Correction:
    """What a closed month's figures, computed again, differ by from what its close froze
    (net of what an earlier difference already carried); `server.days.account` finds it."""

    year: int
    month: int
    minutes: int


@dataclass(slots=True)
class AccountMonth:
    year: int
    month: int
    opening: AccountState
    closing: AccountState
    movements: list[Movement] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    complete: bool = True  # the month-end movements are in
    frozen: bool = False  # read from a closed month, not computed (server side)

    def total(self, kind: str) -> int:
        return sum(m.minutes for m in self.movements if m.kind == kind)

    @property
    def carried(self) -> int:
        """What the closed months' differences added to the opening."""
        return sum(m.effect for m in self.movements if m.kind == "difference")

    def to_json(self) -> dict[str, Any]:
        return {"month": f"{self.year:04d}-{self.month:02d}", "complete": self.complete,
                "frozen": self.frozen, "opening": self.opening.to_json(),
                "movements": [m.to_json() for m in self.movements],
                "closing": self.closing.to_json(),
                "anomalies": [a.to_json() for a in self.anomalies]}


def account_rules(policy: Policy, year: int, month: int) -> ast.Account | None:
    """The account block in force on the month's last day, if the rules keep one."""
    last = date(year, month, calendar.monthrange(year, month)[1])
    return policy.version_on(last).account


def running_balance(opening: AccountState, result: MonthResult,
                    carried: int = 0) -> list[tuple[date, int]]:
    """The account's balance at the end of each evaluated day: the opening, what a closed
    month's `difference` carried (`AccountMonth.carried`) and the days' balances so far.
    The month's own rules (a margin repeated, a monte ore) adjust the month's balance
    beyond its days'; `month_adjustment` says by how much."""
    balance = opening.balance + carried
    out = []
    for day in result.days:
        balance += day.balance
        out.append((day.day, balance))
    return out


def month_adjustment(result: MonthResult) -> int:
    return result.balance - sum(d.balance for d in result.days)


def carry_month(policy: Policy, profile: str, opening: AccountState, result: MonthResult,
                *, complete: bool = True, corrections: Sequence[Correction] = (),
                part_time: int = 100) -> AccountMonth:
    """The month's movements and closing state; `complete`: the month is over;
    `corrections`: the closed months' differences this month, the first open one, takes;
    `part_time`: the contract's percentage at the month's end, which sizes a day of leave
    a debt not recovered is converted into (`day_of_leave`)."""
    rules = account_rules(policy, result.year, result.month)
    out = AccountMonth(result.year, result.month, opening, opening, complete=complete)
    if rules is None:
        return out
    ledger = _Ledger(policy, rules, out, opening)
    for correction in corrections:
        if correction.minutes:
            ledger.difference(correction)
    ledger.month(result)
    if complete:
        ledger.month_end(profile, part_time)
    out.closing = AccountState(ledger.credit, tuple(ledger.debts))
    return out


class _Ledger:
    def __init__(self, policy: Policy, rules: ast.Account, out: AccountMonth,
                 opening: AccountState) -> None:
        self.policy, self.rules, self.out = policy, rules, out
        self.credit = opening.credit
        self.debts = list(opening.debts)
        self.first = date(out.year, out.month, 1)
        self.last = date(out.year, out.month, calendar.monthrange(out.year, out.month)[1])

    def move(self, kind: str, minutes: int, effect: int, pos: ast.Pos | None,
             template: str, *args: object, leave: str | None = None, halves: int = 0) -> None:
        where = self.rules.pos if pos is None else pos
        explain = Explain(self.policy.rule_text(where), self.policy.where(where), "account")
        self.out.movements.append(Movement(kind, minutes, effect,
                                           Note(explain, template, args), leave, halves))

    def difference(self, correction: Correction) -> None:
        first = date(correction.year, correction.month, 1)
        name, minutes = _month_name(first), correction.minutes
        carry = self.rules.carry_monthly
        pos = self.rules.pos if carry is None else carry.pos
        explain = Explain(self.policy.rule_text(pos), self.policy.where(pos), "account")
        self.out.movements.append(Movement("difference", abs(minutes), minutes,
                                           Note(explain, M_DIFFERENCE, (name, minutes)),
                                           closed=name))
        if minutes > 0:
            self.recover(minutes)
            return
        minutes = -self.compensate(-minutes)  # a debt found late is still flex to compensate
        if not minutes:
            return
        last = date(correction.year, correction.month,
                    calendar.monthrange(correction.year, correction.month)[1])
        when = self.rules.recover_by
        due = resolve(when, last) if when is not None else None
        due = due.date() if isinstance(due, datetime) else due
        where = self.policy.where(when.pos if when is not None else self.rules.pos)
        # Oldest first, as a positive month recovers them.
        self.debts = sorted([*self.debts, Debt(-minutes, first, due, where)],
                            key=lambda d: d.since)

    def month(self, result: MonthResult) -> None:
        saldo = result.balance
        carry = self.rules.carry_monthly
        self.move("month", abs(saldo), saldo, carry.pos if carry else None, M_MONTH, saldo)
        if saldo >= 0:
            self.recover(saldo)
        else:
            self.owe(-saldo, result)

    def recover(self, minutes: int) -> None:
        """A positive month pays the oldest debts first, then adds to the credit."""
        kept: list[Debt] = []
        for debt in self.debts:
            paid = min(minutes, debt.minutes)
            if paid:
                minutes -= paid
                self.move("recover", paid, 0, None, M_RECOVER, paid, _month_name(debt.since))
            if debt.minutes > paid:
                kept.append(replace(debt, minutes=debt.minutes - paid))
        self.debts = kept
        self.credit += minutes

    def compensate(self, minutes: int) -> int:
        """A new debt paid at once by the credit where the rules say so; what is left."""
        if self.rules.compensate is not None and self.credit:
            paid = min(self.credit, minutes)
            self.credit -= paid
            minutes -= paid
            self.move("compensate", paid, 0, self.rules.compensate.pos, M_COMPENSATE, paid)
        return minutes

    def owe(self, minutes: int, result: MonthResult) -> None:
        minutes = self.compensate(minutes)
        # A permit to recover keeps its allowance's date (`recover_by` of the allowance);
        # the rest of the debt, the account's.
        for allowance in result.allowances:
            if minutes and allowance.recover_by is not None and allowance.used:
                part = min(minutes, allowance.used)
                minutes -= part
                self.add_debt(part, allowance.recover_by, allowance.source)
        if minutes:
            when = self.rules.recover_by
            due = resolve(when, self.last) if when is not None else None
            due = due.date() if isinstance(due, datetime) else due
            where = self.policy.where(when.pos if when is not None else self.rules.pos)
            self.add_debt(minutes, due, where)

    def add_debt(self, minutes: int, due: date | None, source: str) -> None:
        self.debts.append(Debt(minutes, self.first, due, source))
        explain = Explain(_rule_at(self.policy, source), source, "account")
        note = (Note(explain, M_DEBT, (minutes, due.isoformat())) if due is not None
                else Note(explain, M_DEBT_OPEN, (minutes,)))
        self.out.movements.append(Movement("debt", minutes, 0, note))

    def month_end(self, profile: str, part_time: int) -> None:
        self.settle(profile, part_time)
        carry = self.rules.carry_monthly
        if carry is not None and carry.max is not None and self.credit > carry.max:
            lost = self.credit - carry.max
            self.credit = carry.max
            self.move("lapse", lost, -lost, carry.pos, M_LAPSE, carry.max, lost)
        year_end = self.rules.year_end_for(profile) if self.out.month == 12 else None
        if year_end is not None and year_end.keep != "all":
            keep = year_end.minutes if year_end.keep == "max" else 0
            if self.credit > keep:
                lost = self.credit - keep
                self.credit = keep
                self.move("expire", lost, -lost, year_end.pos, M_EXPIRE, lost)

    def settle(self, profile: str, part_time: int) -> None:
        """The debts whose date has passed by the month's end do what `not_recovered` says;
        without it the office is told (an anomaly), as it is for `anomaly`."""
        settle = self.rules.not_recovered
        kept: list[Debt] = []
        for debt in self.debts:
            if debt.due is None or debt.due > self.last:
                kept.append(debt)
                continue
            args = (debt.minutes, _month_name(debt.since), debt.due.isoformat())
            pos = settle.pos if settle is not None else None
            if settle is not None and settle.kind == "deduct":
                self.move("deduct", debt.minutes, debt.minutes, pos, M_DEDUCT, *args)
            elif settle is not None and settle.kind == "leave" and settle.leave:
                self.draw_leave(debt, settle.leave, settle.pos, profile, part_time, args)
            else:
                self.move("anomaly", debt.minutes, 0, pos, M_ANOMALY, *args)
                self.out.anomalies.append(Anomaly(
                    "debt_not_recovered", word(A_NOT_RECOVERED, args), day=self.last,
                    message_id=A_NOT_RECOVERED, args=args))
                kept.append(replace(debt, due=None))  # told once; the office decides
        self.debts = kept


    def draw_leave(self, debt: Debt, leave: str, pos: ast.Pos, profile: str, part_time: int,
                   args: tuple[object, ...]) -> None:
        """Seed 003: the debt not recovered is compensated "con giorni di ferie": the hours
        become half days of the employee's day, a started half day counting whole."""
        day = day_of_leave(self.policy, profile, self.last, part_time)
        if day is None:  # nothing to convert by: the debt stays and the office decides
            self.move("anomaly", debt.minutes, 0, pos, M_LEAVE_NO_DAY, *args, leave)
            self.out.anomalies.append(Anomaly(
                "debt_not_recovered", word(A_NOT_RECOVERED, args), day=self.last,
                message_id=A_NOT_RECOVERED, args=args))
            self.debts.append(replace(debt, due=None))
            return
        halves = -(-debt.minutes * 2 // day)
        self.move("leave", debt.minutes, debt.minutes, pos, M_LEAVE, *args, days(halves),
                  leave, day, leave=leave, halves=halves)


def day_of_leave(policy: Policy, profile: str, on: date, part_time: int = 100) -> int | None:
    """The minutes a day of leave stands for: the profile's `due`, else its `weekly` over
    its working days; None when the profile says neither. At a contract's `part_time`
    percentage, that share of it where the profile's due scales (`scales_due`): a half
    timer on a 7h12m profile owes 3h36 a day, so 3h36 of debt is a whole day of leave."""
    try:
        rules = policy.version_on(on).profiles.get(profile)
    except LookupError:
        return None
    if rules is None:
        return None
    if rules.due is not None and rules.due.value > 0:
        day = rules.due.value
    elif rules.weekly is not None and rules.days is not None and rules.days.value:
        day = rules.weekly.value // len(rules.days.value)
    else:
        return None
    # Rounded as `part_time_due` rounds a working day's due, so both agree to the minute.
    return round(day * part_time / 100) if part_time != 100 and scales_due(rules) else day


def _month_name(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def _rule_at(policy: Policy, source: str) -> str:
    """The rule text at `file:line` (a debt's source), as an explanation cites it."""
    line = source.rpartition(":")[2]
    return policy.rule_text(ast.Pos(policy.file_name, int(line), 1)) if line.isdigit() else ""
