"""The summary API's response: one employee's month as `server.office.summary` hands it
out, typed, with the keys the API has always written (the engine's `to_json` for the
CLI and the stored day results writes the same ones).

The minute figures are not listed here: the day and the month inherit them from
`dsl.vocabulary.MinuteFigures`, where they are declared once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import msgspec

from dsl.vocabulary import MINUTE_FIGURES, MinuteFigures
from server.engine import DayResult
from server.engine.account import AccountMonth
from server.engine.leave import LeaveYear
from server.engine.results import FIX_BY_FORMAT, AllowanceBalance, Anomaly, Explain, Flag
from server.minutes import clock
from server.office.summary import MonthSummary


@dataclass(frozen=True)
class EmployeeRef:
    id: int
    number: str
    name: str
    unit: str | None


# A Struct, not a dataclass: an anomaly without a date or a deadline has no such key
# (not a null), as the API has always written it.
class AnomalyOut(msgspec.Struct, frozen=True, omit_defaults=True):
    code: str
    message: str  # English; message_id and args say it in any language (server/i18n)
    fix_by: str | None = None  # local YYYY-MM-DDTHH:MM
    date: str | None = None
    message_id: str = ""
    args: list[str | int] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class AllowanceOut:
    name: str
    label: str
    entitled: int
    used_before: int
    used: int
    left: int
    recover_by: str | None  # ISO date
    source: str  # file:line


@dataclass(frozen=True)
class LeaveOut:
    """A leave in days for the year (`server.engine.leave.LeaveYear`), in days (halves as
    .5); `month_*` for a leave with a monthly cap, else null."""

    name: str
    label: str
    year: int
    entitled: float
    accrued: float
    carried_in: float
    carry_until: str | None  # ISO date: last year's days lapse after it
    carried_used: float
    carried_lapsed: float
    taken: float
    left: float  # the year's own days
    total_left: float  # and last year's still usable
    month_cap: float | None
    month_taken: float
    month_left: float | None
    beyond: list[str]  # ISO days drawn beyond the balance (the office's overrides)
    explain: list[Explain]
    compensated: float = 0  # of `taken` and `carried_used`: drawn by the hours account


@dataclass(frozen=True)
class StampOut:
    direction: str
    time: str  # HH:MM
    code: str | None


@dataclass(kw_only=True)
class DayOut(MinuteFigures):
    date: str
    profile: str
    meal_voucher: bool
    by_code: dict[str, int]
    anomalies: list[AnomalyOut]
    explain: list[Explain]
    stamps: list[StampOut]


@dataclass(frozen=True)
class MovementOut:
    kind: str  # month, compensate, debt, recover, deduct, leave, anomaly, lapse, expire
    minutes: int  # how much moved
    effect: int  # on the balance: opening + the effects = closing
    leave: str | None  # the leave a `leave` movement draws on (ferie)
    explain: Explain  # the rule as written, file:line, what it did
    leave_days: float = 0  # the days of it a `leave` movement draws


@dataclass(frozen=True)
class DebtOut:
    minutes: int
    since: str  # YYYY-MM-DD, the first day of the month it arose in
    due: str | None  # ISO date it falls due; None: no date, or left to the office
    source: str  # file:line of the rule that dated it


@dataclass(frozen=True)
class AccountOut:
    """The hours account (conto ore) in minutes: opening, the month's movements, closing."""

    opening: int
    movements: list[MovementOut]
    closing: int
    debts: list[DebtOut]  # what the closing owes, with dates
    complete: bool  # the month is over: its end movements are in
    frozen: bool  # a closed month: the closing is the one the close kept
    anomalies: list[AnomalyOut]


@dataclass(kw_only=True)
class SummaryOut(MinuteFigures):
    employee: EmployeeRef
    pending_requests: int
    today: str
    in_progress: DayOut | None  # today so far, not in the totals
    month: str  # YYYY-MM
    profile: str
    through: str | None  # the last day counted (ISO); None: the whole month
    due_in_month: int
    meal_vouchers: int
    by_code: dict[str, int]
    allowances: list[AllowanceOut]
    leave: list[LeaveOut]
    anomalies: list[AnomalyOut]
    flags: list[Flag]
    deadlines: dict[str, str]  # what → ISO date or date-time
    explain: list[Explain]
    days: list[DayOut]
    account: AccountOut | None = None  # None: the rules keep no hours account


def summary_out(summary: MonthSummary) -> SummaryOut:
    result, employee, progress = summary.result, summary.employee, summary.month.in_progress
    return _with_figures(result, SummaryOut(
        employee=EmployeeRef(employee.id, employee.number, employee.name, employee.unit),
        pending_requests=summary.pending_requests, today=summary.month.today.isoformat(),
        in_progress=_day(progress) if progress else None,
        month=f"{result.year:04d}-{result.month:02d}", profile=result.profile,
        through=result.through.isoformat() if result.through else None,
        due_in_month=result.due_in_month,
        meal_vouchers=result.meal_vouchers, by_code=dict(result.by_code),
        allowances=[_allowance(a) for a in result.allowances],
        leave=[leave_out(y) for y in summary.leave],
        anomalies=[_anomaly(a) for a in result.anomalies], flags=list(result.flags),
        deadlines={k: v.isoformat() for k, v in result.deadlines.items()},
        explain=result.explanations(), days=[_day(d) for d in result.days],
        account=account_out(summary.account) if summary.account else None))


def account_out(account: AccountMonth) -> AccountOut:
    return AccountOut(
        opening=account.opening.balance,
        movements=[MovementOut(m.kind, m.minutes, m.effect, m.leave, m.explain, m.halves / 2)
                   for m in account.movements],
        closing=account.closing.balance,
        debts=[DebtOut(d.minutes, d.since.isoformat(), d.due.isoformat() if d.due else None,
                       d.source) for d in account.closing.debts],
        complete=account.complete, frozen=account.frozen,
        anomalies=[_anomaly(a) for a in account.anomalies])


Out = TypeVar("Out", bound=MinuteFigures)


def _with_figures(result: MinuteFigures, out: Out) -> Out:
    for name in MINUTE_FIGURES:
        setattr(out, name, getattr(result, name))
    return out


def _day(day: DayResult) -> DayOut:
    return _with_figures(day, DayOut(
        date=day.day.isoformat(), profile=day.profile,
        meal_voucher=day.meal_voucher, by_code=dict(day.by_code),
        anomalies=[_anomaly(a) for a in day.anomalies], explain=day.explanations(),
        stamps=[StampOut(d, clock(m), c) for d, m, c in day.stamps]))


def _anomaly(a: Anomaly) -> AnomalyOut:
    return AnomalyOut(a.code, a.message,
                      a.fix_by.strftime(FIX_BY_FORMAT) if a.fix_by is not None else None,
                      a.day.isoformat() if a.day is not None else None,
                      a.message_id, list(a.args))


def _allowance(a: AllowanceBalance) -> AllowanceOut:
    return AllowanceOut(a.name, a.label, a.entitled, a.used_before, a.used, a.left,
                        a.recover_by.isoformat() if a.recover_by else None, a.source)


def leave_out(y: LeaveYear) -> LeaveOut:
    return LeaveOut(
        y.name, y.label, y.year, y.entitled / 2, y.accrued / 2, y.carried_in / 2,
        y.carry_until.isoformat() if y.carry_until else None, y.carried_used / 2,
        y.carried_lapsed / 2, y.taken / 2, y.left / 2, y.total_left / 2,
        None if y.month_cap is None else y.month_cap / 2, y.month_taken / 2,
        None if y.month_left is None else y.month_left / 2,
        [d.day.isoformat() for d in y.beyond], list(y.explain), y.compensated / 2)
