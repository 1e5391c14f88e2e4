"""The hours account (conto ore): how a month's balance is carried into the next, when a
debt falls due and what happens then, and what is left of the credit at the year's end.

`account { … }` is a block of a rules section, like `pause`: a later section that writes
one replaces it whole. The engine's ledger (`server/engine/account.py`) reads it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from dsl.ast.base import At, Pos

if TYPE_CHECKING:  # the rules import this module for their `Statement`
    from dsl.ast.rules import When

SettleKind = Literal["deduct", "leave", "anomaly"]
KeepKind = Literal["all", "max", "none"]


@dataclass(frozen=True)
class Settle:
    """What a debt not recovered by its date becomes: `deduct` (listed for payroll),
    `use leave ferie` (days of that leave), or `anomaly` (the office decides)."""

    kind: SettleKind
    leave: str | None  # the leave drawn on, for `use leave NAME`
    pos: Pos


@dataclass(frozen=True)
class YearEnd:
    """`year_end carry max 36h for tecnico`: the credit kept into the new year (all, up to
    `minutes`, or none: `expire`), for the profiles named, or every other one."""

    keep: KeepKind
    minutes: int  # for `carry max`
    profiles: tuple[str, ...]  # empty: the profiles no other `year_end` names
    pos: Pos


@dataclass(frozen=True)
class CarryMonthly:
    """`carry monthly [max D]`: the month's closing balance opens the next; a credit over
    `max` lapses."""

    max: int | None
    pos: Pos


@dataclass(frozen=True)
class Account:
    pos: Pos
    end_line: int
    label: At[str] | None = None
    carry_monthly: CarryMonthly | None = None
    compensate: At[bool] | None = None  # a debt is paid at once by the credit in the account
    recover_by: When | None = None  # when a month's debt falls due
    not_recovered: Settle | None = None
    year_end: tuple[YearEnd, ...] = ()

    def year_end_for(self, profile: str) -> YearEnd | None:
        """The profile's own `year_end`, else the one that names no profile."""
        named = [y for y in self.year_end if profile in y.profiles]
        if named:
            return named[0]
        return next((y for y in self.year_end if not y.profiles), None)
