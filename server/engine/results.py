"""Day and month results, each figure explained by the rule that made it.

Their minute figures are declared once, in `dsl.vocabulary.MinuteFigures`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from dsl.vocabulary import MINUTE_FIGURES as MINUTE_FIGURES  # re-exported: the results print them
from dsl.vocabulary import MinuteFigures
from server.minutes import clock

if TYPE_CHECKING:
    from server.engine.notes import Note


@dataclass(frozen=True, slots=True)
class Explain:
    """One step of the explanation: the rule as written and where it is written."""

    rule: str
    source: str
    figure: str
    detail: str = ""
    # The detail as a message id and its arguments, so a page can say it in its reader's
    # language (`detail` is the English).
    message_id: str = ""
    args: tuple[Any, ...] = ()
    # Where in the regulation the rule comes from (`source "art. 5 c. 2"`), if the file says.
    regulation: str = ""

    def to_json(self) -> dict[str, Any]:
        """The step as the API shows it: its fields, by name."""
        return {name: getattr(self, name) for name in _EXPLAIN_FIELDS}


_EXPLAIN_FIELDS = tuple(f.name for f in fields(Explain))


# How a `fix_by` is written: a local date and time to the minute, 2026-03-03T08:30.
FIX_BY_FORMAT = "%Y-%m-%dT%H:%M"
# A day's minute figures read at once: every stored day result writes them.
MINUTES_OF = attrgetter(*MINUTE_FIGURES)


@dataclass(frozen=True, slots=True)
class Anomaly:
    code: str
    message: str  # English; `message_id` and `args` say it in any language
    fix_by: datetime | None = None  # local time; the engine always sets it
    day: date | None = None
    message_id: str = ""
    args: tuple[Any, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fix_by is not None:
            out["fix_by"] = self.fix_by.strftime(FIX_BY_FORMAT)
        if self.day is not None:
            out["date"] = self.day.isoformat()
        if self.message_id:
            out["message_id"] = self.message_id
        if self.args:
            out["args"] = list(self.args)
        return out


@dataclass(frozen=True, slots=True)
class Flag:
    """Something the manager is told about: a threshold crossed in the month."""

    name: str
    count: int
    over: int
    message: str  # English (or the rule file's own words); `message_id` and `args` say it
    source: str   # in any language
    message_id: str = ""
    args: tuple[Any, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "count": self.count, "over": self.over,
                               "message": self.message, "source": self.source}
        if self.message_id:
            out["message_id"] = self.message_id
            out["args"] = list(self.args)
        return out


@dataclass(slots=True, kw_only=True)
class DayResult(MinuteFigures):
    day: date
    profile: str
    working_day: bool
    meal_voucher: bool = False
    regular_pause: bool = False
    by_code: dict[str, int] = field(default_factory=dict)
    allowance_used: dict[str, int] = field(default_factory=dict)
    over_cap: dict[str, int] = field(default_factory=dict)  # minutes over a code's day limit
    anomalies: list[Anomaly] = field(default_factory=list)
    explain: list[Note] = field(default_factory=list)
    stamps: list[tuple[str, int, str | None]] = field(default_factory=list)

    def explanations(self) -> list[Explain]:
        return [note.render() for note in self.explain]

    def to_json(self, *, explain: bool = True) -> dict[str, Any]:
        """`explain=False` leaves the explanation out: the stored day results keep the
        figures, anomalies and stamps, and a page recomputes the explanation it shows
        (wording every step of every day made the month close's writes several times
        larger and slower than its figures)."""
        return {
            "date": self.day.isoformat(),
            "profile": self.profile,
            **dict(zip(MINUTE_FIGURES, MINUTES_OF(self), strict=True)),
            "meal_voucher": self.meal_voucher,
            "by_code": dict(self.by_code),
            "anomalies": [a.to_json() for a in self.anomalies],
            **({"explain": [note.to_json() for note in self.explain]} if explain else {}),
            "stamps": [
                {"direction": d, "time": clock(m), "code": c}
                for d, m, c in self.stamps
            ],
        }


@dataclass(slots=True)
class AllowanceBalance:
    name: str
    label: str
    entitled: int
    used_before: int
    used: int
    recover_by: date | None
    source: str

    @property
    def left(self) -> int:
        return self.entitled - self.used_before - self.used

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "entitled": self.entitled,
            "used_before": self.used_before, "used": self.used, "left": self.left,
            "recover_by": self.recover_by.isoformat() if self.recover_by else None,
            "source": self.source,
        }


@dataclass(slots=True, kw_only=True)
class MonthResult(MinuteFigures):
    year: int
    month: int
    profile: str
    days: list[DayResult]
    meal_vouchers: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    allowances: list[AllowanceBalance] = field(default_factory=list)
    over_cap: dict[str, int] = field(default_factory=dict)  # by code, "overtime": not counted
    anomalies: list[Anomaly] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    deadlines: dict[str, date | datetime] = field(default_factory=dict)
    explain: list[Note] = field(default_factory=list)
    # The last day evaluated (None: the whole month). Later days count for nothing
    # but `due_in_month`, the due of every day of the month, shown apart.
    through: date | None = None
    due_in_month: int = 0

    def explanations(self) -> list[Explain]:
        return [note.render() for note in self.explain]

    def to_json(self) -> dict[str, Any]:
        return {
            "month": f"{self.year:04d}-{self.month:02d}",
            "profile": self.profile,
            "through": self.through.isoformat() if self.through else None,
            **dict(zip(MINUTE_FIGURES, MINUTES_OF(self), strict=True)),
            "due_in_month": self.due_in_month,
            "meal_vouchers": self.meal_vouchers,
            "by_code": dict(self.by_code),
            "allowances": [a.to_json() for a in self.allowances],
            "anomalies": [a.to_json() for a in self.anomalies],
            "flags": [f.to_json() for f in self.flags],
            "deadlines": {k: v.isoformat() for k, v in self.deadlines.items()},
            "explain": [note.to_json() for note in self.explain],
            "days": [d.to_json() for d in self.days],
        }
