"""An employee's opening balances, all three kinds at once: the hours account
(`account_openings`), each leave in days (`leave.record_opening`) and the yearly
allowances already used (`allowance_openings`).

One line of the office's import file and one submission of the employee page's form are
the same thing, a `Line`: the texts as a person writes them (`-3:30`, `12,5`) under the
keys `OpeningKeys` names; `read_line` turns it into figures or sentences saying what is
wrong, and `apply_line` hands each figure to its service, which checks and audits it;
`apply_figures` does so for one line of a file, all of whose figures are written together
(`server.office.opening_batch`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.rules_in_force import RulesInForce
from server.db.account_tables import AccountOpening
from server.db.allowance_tables import AllowanceOpening
from server.db.leave_tables import LeaveOpening
from server.db.models import Employee, User
from server.errors import OfficeError
from server.minutes import parse_hours
from server.office.account_openings import account_opening, openings_of
from server.office.allowance_openings import (
    allowance_opening,
    allowance_openings_of,
    names_on,
)
from server.office.bounds import within_reach
from server.office.file_dates import file_day
from server.office.leave import leave_opening
from server.office.opening_batch import OpeningBatch
from server.office.people import employee_visible, require_office

MAX_FIELD = 100  # characters of one figure or date: more is not one
MAX_REASON = 500
_DECIMAL = re.compile(r"([+-]?)(\d{1,4})(?:[.,](\d{1,2}))?")

Line = dict[str, str]  # key (`start`, `balance`, `leave:ferie`, …) → the text written


@dataclass(frozen=True)
class OpeningKeys:
    """What a line may hold under the rules in force: each leave and each yearly name,
    with the label a person reads."""

    leaves: dict[str, str]
    yearly: dict[str, str]
    carried: frozenset[str] = frozenset()  # the leaves whose days carry into next year


@dataclass
class Figures:
    """A line read: what to set, and what is wrong (Italian, English) with the rest."""

    starts: date | None = None
    balance: int | None = None  # minutes, negative: a debt
    leaves: dict[str, tuple[int, int]] = field(default_factory=dict)  # halves: left, carried
    used: dict[str, int] = field(default_factory=dict)  # minutes
    reason: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class EmployeeOpenings:
    """What the office has recorded for the employee, each kind earliest first."""

    account: list[AccountOpening]
    leaves: list[LeaveOpening]
    allowances: list[AllowanceOpening]
    keys: OpeningKeys


def keys_on(session: Session, institution_id: str, day: date) -> OpeningKeys:
    """The leaves and yearly names of the institution's rules in force on `day`."""
    policy = RulesInForce(session, [institution_id]).on(institution_id, day)
    try:
        leaves = policy.version_on(day).leaves if policy is not None else {}
    except LookupError:
        leaves = {}
    # A leave with no yearly entitlement (days capped per month) has no balance to bring.
    owed = {n: rule for n, rule in leaves.items() if rule.entitlements}
    return OpeningKeys({n: rule.label.value if rule.label else n for n, rule in owed.items()},
                       names_on(session, institution_id, day),
                       frozenset(n for n, rule in owed.items() if rule.carry is not None))


def halves(text: str) -> int:
    """Days as written ('12', '12,5', '3.5') in half days; ValueError otherwise."""
    decimal = _DECIMAL.fullmatch(text.strip())
    if decimal is None or decimal.group(1):
        raise ValueError(text)
    fraction = (decimal.group(3) or "0").ljust(2, "0")
    if fraction not in ("00", "50"):
        raise ValueError(text)
    return int(decimal.group(2)) * 2 + (fraction == "50")


def _is_days(text: str) -> bool:
    try:
        halves(text)
    except ValueError:
        return False
    return True


def read_line(line: Line, keys: OpeningKeys) -> Figures:
    """The figures of `line`; every problem a sentence naming the column."""
    out = Figures()
    for key, text in line.items():
        if len(text) > (MAX_REASON if key == "reason" else MAX_FIELD):
            out.errors.append((f"«{_title(key, keys)}» è troppo lungo.",
                               f"“{key}” is too long."))
    if out.errors:
        return out
    start = line.get("start", "").strip()
    try:
        out.starts = file_day(start) if start else None
    except ValueError:
        out.errors.append((f"la data «{start}» non è valida (GG/MM/AAAA).",
                           f"the date “{start}” is not valid (DD/MM/YYYY)."))
    if not start:
        out.errors.append(("manca la data da cui valgono i saldi.",
                           "the date the balances start from is missing."))
    out.reason = line.get("reason", "").strip()
    balance = line.get("balance", "").strip()
    if balance:
        try:
            out.balance = parse_hours(balance, signed=True)
        except ValueError:
            out.errors.append((f"il saldo ore «{balance}» non è un numero di ore come "
                               "-3:30 o 12:15.", f"the hours balance “{balance}” is not "
                               "hours like -3:30 or 12:15."))
    for name, label in keys.leaves.items():
        left, carried = (line.get(f"{k}:{name}", "").strip() for k in ("leave", "carried"))
        if not left and not carried:
            continue
        if not left:
            out.errors.append((f"«{label.lower()} anno precedente» è dato, ma manca "
                               f"«{label.lower()}» (i giorni dell'anno).",
                               f"last year's {name} is given without this year's."))
            continue
        try:
            out.leaves[name] = (halves(left), halves(carried) if carried else 0)
        except ValueError:
            bad = next(t for t in (left, carried) if t and not _is_days(t))
            out.errors.append((f"{label}: «{bad}» non è un numero di giorni come 12 o 12,5.",
                               f"{name}: “{bad}” is not days like 12 or 12.5."))
    for name, label in keys.yearly.items():
        used = line.get(f"used:{name}", "").strip()
        if not used:
            continue
        try:
            out.used[name] = parse_hours(used, signed=False)
        except ValueError:
            out.errors.append((f"{label}: le ore usate «{used}» non sono ore come 12:30.",
                               f"{name}: the hours used “{used}” are not hours like "
                               "12:30."))
    if not out.errors and out.balance is None and not out.leaves and not out.used:
        out.errors.append(("nessun saldo da registrare: servono il saldo ore, i giorni "
                           "di un congedo o le ore usate di un limite annuo.",
                           "no balance to record: give the hours balance, a leave's days "
                           "or the hours used of a yearly limit."))
    return out


def apply_line(session: Session, actor: User, employee: Employee, figures: Figures, *,
               now: datetime) -> list[tuple[str, str]]:
    """Hand each figure to its service and write what they set; what each refuses, as
    sentences. The caller undoes everything when any is refused (a savepoint)."""
    require_office(actor, "registrare i saldi iniziali", "record opening balances")
    batch = OpeningBatch(session, actor, now, [employee.id])
    errors = apply_figures(batch, employee, figures)
    if not errors:
        batch.write()
    return errors


def apply_figures(batch: OpeningBatch, employee: Employee, figures: Figures,
                  ) -> list[tuple[str, str]]:
    """`apply_line` of one line of many: each figure checked and set in `batch`, which the
    caller writes once every line is in."""
    starts = figures.starts
    errors = list(figures.errors)  # and what the services refuse of the figures read
    if starts is None:
        return errors
    try:
        within_reach(starts, batch.now.date(), "starts")
    except OfficeError as error:
        return [*errors, (error.italian, error.english)]
    reason = figures.reason
    if figures.balance is not None:
        errors += _refused("saldo ore", account_opening, batch, employee, starts,
                           figures.balance, reason)
    for name, (left, carried) in figures.leaves.items():
        errors += _refused(name, leave_opening, batch, employee, name, starts, left, carried,
                           reason)
    for name, minutes in figures.used.items():
        errors += _refused(name, allowance_opening, batch, employee, name, starts, minutes,
                           reason)
    return errors


def openings_on_record(session: Session, actor: User, employee_id: int,
                       today: date) -> EmployeeOpenings:
    """The three kinds of openings of an employee the actor may see, and what the rules
    in force today let a line hold."""
    employee = employee_visible(session, actor, employee_id)
    leaves = list(session.scalars(select(LeaveOpening).where(
        LeaveOpening.employee_id == employee.id).order_by(LeaveOpening.leave)))
    return EmployeeOpenings(openings_of(session, actor, employee.id), leaves,
                            list(allowance_openings_of(session, actor, employee.id)),
                            keys_on(session, employee.institution_id, today))


def _refused(what: str, service: Callable[..., object], *args: Any, **kwargs: Any,
             ) -> list[tuple[str, str]]:
    """What `service` refuses, as a sentence naming the column it came from."""
    try:
        service(*args, **kwargs)
    except OfficeError as error:
        return [(f"{what}: {error.italian}", f"{what}: {error.english}")]
    return []


def _title(key: str, keys: OpeningKeys) -> str:
    kind, _, name = key.partition(":")
    if kind == "leave":
        return keys.leaves.get(name, name)
    if kind == "carried":
        return f"{keys.leaves.get(name, name)} anno precedente"
    if kind == "used":
        return keys.yearly.get(name, name)
    return {"start": "data", "balance": "saldo ore", "reason": "motivo"}.get(key, key)
