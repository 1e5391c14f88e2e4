"""A compiled rule file: the institution and its rule versions by date.

A version is what is in force from its date on: everything earlier sections
said, with what this section redeclares replacing it. The engine asks
`Policy.version_on(day)` and never looks at sections itself.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import holidays as holiday_calendars

from dsl import ast
from dsl.sources import innermost


@dataclass(frozen=True)
class Version:
    effective: date
    title: str | None
    pos: ast.Pos
    stamping: ast.Stamping | None
    pause: ast.Pause | None
    meal_voucher: ast.MealVoucher | None
    half_day: ast.HalfDay | None
    password: ast.PasswordPolicy | None
    tolerance: ast.Tolerance | None
    profiles: dict[str, ast.Profile]
    codes: dict[str, ast.CodeDef]
    allowances: dict[str, ast.Allowance]
    deadlines: dict[str, ast.Deadline]
    flags: dict[str, ast.Flag]
    fees: dict[str, ast.Fee]
    overtime: ast.Overtime | None = None
    shifts: dict[str, ast.Shift] = field(default_factory=dict)
    leaves: dict[str, ast.Leave] = field(default_factory=dict)
    account: ast.Account | None = None  # the hours account carried month to month

    def profile_label(self, name: str) -> str:
        """How a person reads a profile: its `label`, else its name (as codes, allowances
        and leave are read)."""
        profile = self.profiles.get(name)
        return profile.label.value if profile is not None and profile.label else name

    def pause_for(self, profile: ast.Profile) -> ast.Pause | None:
        """A profile's own pause block replaces the section's default; `pause none`, any."""
        if profile.no_pause is not None:
            return None
        return profile.pause if profile.pause is not None else self.pause


@dataclass(frozen=True, eq=False)
class Policy:
    institution_id: str
    name: str
    timezone: str
    holiday_country: str
    holiday_subdivision: str | None
    file_name: str
    source: str
    versions: tuple[Version, ...]
    holidays_pos: ast.Pos | None = None
    sources: tuple[ast.Source, ...] = ()  # `source "art. 5 c. 2"` before the statements
    _holidays: dict[int, frozenset[date]] = field(default_factory=dict, repr=False)
    _regulations: dict[int, str] = field(default_factory=dict, repr=False)
    # Filled by the engine: what depends only on (version, profile) or (date, profile),
    # so it is worked out once.
    plan_cache: dict[object, Any] = field(default_factory=dict, repr=False)

    def version_on(self, day: date) -> Version:
        index = bisect.bisect_right(self.effective_dates, day) - 1
        if index < 0:
            first = self.versions[0].effective
            raise LookupError(f"{self.institution_id}: no rules in force on {day} (first: {first})")
        return self.versions[index]

    @cached_property
    def effective_dates(self) -> list[date]:
        return [v.effective for v in self.versions]

    @cached_property
    def lines(self) -> list[str]:
        return self.source.splitlines()

    def where(self, pos: ast.Pos) -> str:
        return f"{self.file_name}:{pos.line}"

    def regulation(self, pos: ast.Pos) -> str:
        """Where in the regulation the rule at `pos` comes from (`source "art. 5 c. 2"` before
        it, or before the block around it); "" when the file does not say."""
        found = self._regulations.get(pos.line)
        if found is None:
            found = "; ".join(s.ref for s in innermost(self.sources, pos.line))
            self._regulations[pos.line] = found
        return found

    def rule_text(self, pos: ast.Pos) -> str:
        """The rule as written, comment stripped: what a person reads in an explanation."""
        line = self.lines[pos.line - 1] if 0 < pos.line <= len(self.lines) else ""
        return line.split(" #", 1)[0].strip()

    def is_holiday(self, day: date) -> bool:
        year = self._holidays.get(day.year)
        if year is None:
            calendar = holiday_calendars.country_holidays(
                self.holiday_country, subdiv=self.holiday_subdivision, years=day.year
            )
            year = frozenset(calendar.keys())
            self._holidays[day.year] = year
        return day in year

    def holiday_name(self, day: date) -> str | None:
        calendar = holiday_calendars.country_holidays(
            self.holiday_country, subdiv=self.holiday_subdivision, years=day.year, language="it"
        )
        name = calendar.get(day)
        return str(name) if name else None


def file_name(path: str) -> str:
    return Path(path).name
