"""The employee's month (cartellino), day by day, from the stored day results and stamps.

Every figure carries the explanation steps that made it, as the engine wrote them
(`rule` as written, `source` as file:line), so the page and the API can show why.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import DayResultRow, Employee
from server.db.models import Stamp as StampRow
from server.ingest.recompute import in_force

WEEKDAYS = ("lun", "mar", "mer", "gio", "ven", "sab", "dom")
# Which explanation steps belong to which figure of the page; the rest go under "other".
FIGURE_STEPS: dict[str, tuple[str, ...]] = {
    "worked": ("worked", "stamps", "pause_deducted", "credited", "by_code"),
    "due": ("due",),
    "balance": ("balance", "tolerated", "negative_flex", "to_recover", "unjustified",
                "overtime_paid", "overtime_banked"),
    "meal_voucher": ("meal_voucher",),
}


@dataclass(frozen=True)
class Step:
    rule: str  # the rule as written in the rule file
    source: str  # file:line
    figure: str
    detail: str


@dataclass(frozen=True)
class StampView:
    time: str  # HH:MM local, as stamped (rounding is an explanation step)
    direction: str | None
    code: str | None
    source: str  # terminal, web, app, manual
    flags: list[str]
    corrected: bool  # a correction that replaced an earlier stamp


@dataclass(frozen=True)
class AnomalyView:
    code: str
    message: str
    fix_by: str | None  # ISO date or date-time
    overdue: bool


@dataclass(frozen=True)
class DayView:
    date: str
    weekday: str
    computed: bool  # False: no day result (no stamps and nothing due, or not yet computed)
    worked: int = 0  # minutes
    due: int = 0
    balance: int = 0
    meal_voucher: bool = False
    by_code: dict[str, int] = field(default_factory=dict)
    stamps: list[StampView] = field(default_factory=list)
    anomalies: list[AnomalyView] = field(default_factory=list)
    explain: dict[str, list[Step]] = field(default_factory=dict)  # figure → steps


@dataclass(frozen=True)
class MonthView:
    employee_id: int
    employee_number: str
    employee_name: str
    month: str  # YYYY-MM
    previous: str
    next: str
    worked: int
    due: int
    balance: int
    meal_vouchers: int
    anomalies: int
    days: list[DayView]


def parse_month(text: str | None, today: date) -> tuple[int, int]:
    """`YYYY-MM`, or this month; ValueError for anything else."""
    if not text:
        return today.year, today.month
    year_text, _, month_text = text.partition("-")
    year, month = int(year_text), int(month_text)
    if not (1900 < year < 3000 and 1 <= month <= 12) or len(month_text) != 2:
        raise ValueError(text)
    return year, month


def month_view(session: Session, employee: Employee, year: int, month: int,
               today: date) -> MonthView:
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    results = {row.day: row for row in session.scalars(select(DayResultRow).where(
        DayResultRow.employee_id == employee.id, DayResultRow.day.between(first, last)))}
    stamps = _stamps(session, employee.id, first, last)
    days = [_day(date.fromordinal(n), results.get(date.fromordinal(n)),
                 stamps.get(date.fromordinal(n), []), today)
            for n in range(first.toordinal(), last.toordinal() + 1)]
    before = first.replace(day=1).toordinal() - 1
    after = last.toordinal() + 1
    return MonthView(
        employee_id=employee.id, employee_number=employee.number, employee_name=employee.name,
        month=f"{year:04d}-{month:02d}", previous=date.fromordinal(before).strftime("%Y-%m"),
        next=date.fromordinal(after).strftime("%Y-%m"),
        worked=sum(d.worked for d in days), due=sum(d.due for d in days),
        balance=sum(d.balance for d in days),
        meal_vouchers=sum(1 for d in days if d.meal_voucher),
        anomalies=sum(len(d.anomalies) for d in days), days=days)


def _stamps(session: Session, employee_id: int, first: date,
            last: date) -> dict[date, list[StampView]]:
    rows = list(session.execute(select(
        StampRow.id, StampRow.employee_id, StampRow.local_date, StampRow.terminal_time,
        StampRow.local_minute, StampRow.direction, StampRow.code, StampRow.source,
        StampRow.void, StampRow.flags, StampRow.replaces_id).where(
        StampRow.employee_id == employee_id, StampRow.local_date.between(first, last))))
    replaced = {r.replaces_id for r in rows if r.replaces_id is not None}
    out: dict[date, list[StampView]] = {}
    for r in in_force(rows, replaced):
        out.setdefault(r.local_date, []).append(StampView(
            time=f"{r.local_minute // 60:02d}:{r.local_minute % 60:02d}",
            direction=r.direction, code=r.code, source=r.source,
            flags=[f for f in (r.flags or "").split(",") if f],
            corrected=r.replaces_id is not None))
    return out


def _day(day: date, row: DayResultRow | None, stamps: list[StampView], today: date) -> DayView:
    weekday = WEEKDAYS[day.weekday()]
    if row is None:
        return DayView(date=day.isoformat(), weekday=weekday, computed=False, stamps=stamps)
    data: dict[str, Any] = row.data or {}
    steps = [Step(str(e.get("rule", "")), str(e.get("source", "")), str(e.get("figure", "")),
                  str(e.get("detail", ""))) for e in data.get("explain", [])]
    explain: dict[str, list[Step]] = {figure: [] for figure in FIGURE_STEPS}
    explain["other"] = []
    for step in steps:
        home = next((f for f, names in FIGURE_STEPS.items() if step.figure in names), "other")
        explain[home].append(step)
    anomalies = [AnomalyView(str(a.get("code", "")), str(a.get("message", "")),
                             a.get("fix_by"), _overdue(a.get("fix_by"), today))
                 for a in data.get("anomalies", [])]
    return DayView(date=day.isoformat(), weekday=weekday, computed=True, worked=row.worked,
                   due=row.due, balance=row.balance,
                   meal_voucher=bool(data.get("meal_voucher")),
                   by_code={str(k): int(v) for k, v in (data.get("by_code") or {}).items()},
                   stamps=stamps, anomalies=anomalies, explain=explain)


def _overdue(fix_by: Any, today: date) -> bool:
    if not isinstance(fix_by, str) or len(fix_by) < 10:
        return False
    try:
        return date.fromisoformat(fix_by[:10]) < today
    except ValueError:
        return False


def hours(minutes: int) -> str:
    """7h40, -0h15: how the seeds write durations."""
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}{minutes // 60}h{minutes % 60:02d}"
