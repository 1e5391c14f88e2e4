"""Yearly allowances used before timbra, added to what the year's months count.

An institution adopting timbra on a day brings, per employee, what each yearly allowance
(or a code's or the overtime block's yearly limit) had already used that year
(`server.db.allowance_tables`). A month of that year from the opening's day on starts from
those minutes plus what timbra counted in the earlier months: `AllowanceBalance.left` and
the `max … per year` limits (`server.engine.limits`) then check "36 h a year" against the
whole year. A later opening of the same name in the same year replaces an earlier one.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.allowance_tables import AllowanceOpening
from server.db.keys import one_of
from server.engine.limits import OVERTIME
from server.engine.month import Opening


@dataclass(frozen=True, slots=True)
class Opened:
    name: str
    starts: date
    minutes: int


def opened_of(session: Session, employee_ids: Collection[int]) -> dict[int, list[Opened]]:
    """Each employee's allowance openings, earliest first, in one query."""
    out: dict[int, list[Opened]] = {i: [] for i in employee_ids}
    if not employee_ids:
        return out
    for row in session.execute(select(
            AllowanceOpening.employee_id, AllowanceOpening.name, AllowanceOpening.starts,
            AllowanceOpening.minutes).where(
            one_of(AllowanceOpening.employee_id, list(employee_ids))).order_by(
            AllowanceOpening.starts)):
        out[row.employee_id].append(Opened(row.name, row.starts, row.minutes))
    return out


def used_before_timbra(opened: Iterable[Opened], year: int, month: int) -> dict[str, int]:
    """The minutes each name had used before timbra, as the month (`year`, `month`) counts
    them: the latest opening of that year on or before the month's last day."""
    last = date(year, month, calendar.monthrange(year, month)[1])
    used: dict[str, int] = {}
    for o in opened:  # earliest first: a later opening replaces an earlier one
        if o.starts.year == year and o.starts <= last:
            used[o.name] = o.minutes
    return used


def with_openings(opening: Opening, opened: Iterable[Opened], year: int,
                  month: int) -> Opening:
    """`opening` (what the year's earlier months in timbra left) plus what was used before
    timbra. A name is added where the engine may read it: an allowance's, a code's yearly
    limit, or `overtime` for the overtime block's; the engine reads only the names the rules
    define, so one added where it means nothing is never counted."""
    before = used_before_timbra(opened, year, month)
    if not before:
        return opening
    allowances, codes = dict(opening.allowance_used), dict(opening.code_used)
    overtime = opening.overtime_used
    for name, minutes in before.items():
        if name == OVERTIME:
            overtime += minutes
            continue
        allowances[name] = allowances.get(name, 0) + minutes
        codes[name] = codes.get(name, 0) + minutes
    return replace(opening, allowance_used=allowances, code_used=codes, overtime_used=overtime)
