"""The nodes of a `leave NAME { … }` block: leave counted in days (ferie, festività
soppresse, permessi retribuiti, smart-working days) and what draws on it.

Amounts are whole days as written; the engine counts in half days (`half_days`).
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.ast.base import At, Pos


@dataclass(frozen=True)
class Entitlement:
    """`entitlement 26 days per year week 5 first 3 years`: the yearly days of a full-time
    employee whose week has `week` working days (None: any week) while their seniority is
    under `first_years` years (None: any seniority). The most specific line that holds
    applies."""

    days: int
    pos: Pos
    week: int | None = None
    first_years: int | None = None


@dataclass(frozen=True)
class LeaveCap:
    """`max 7 days per month`: at most this many days drawn in one month."""

    days: int
    period: str  # "month"
    pos: Pos


@dataclass(frozen=True)
class LeaveCarry:
    """`carry until 30 apr`: the year's unused days may be used until that day of the
    next year, then they lapse."""

    day: int
    month: int  # 1..12
    pos: Pos


@dataclass(frozen=True)
class Leave:
    name: str
    pos: Pos
    end_line: int
    label: At[str] | None = None
    entitlements: tuple[Entitlement, ...] = ()
    caps: tuple[LeaveCap, ...] = ()
    prorate: At[tuple[str, ...]] | None = None  # part_time, contract
    accrue: At[str] | None = None  # monthly: earned month by month under contract
    carry: LeaveCarry | None = None
    half_days: At[bool] | None = None  # half-day codes draw half a day
    drawn_by: At[tuple[str, ...]] | None = None  # the codes that draw on it
