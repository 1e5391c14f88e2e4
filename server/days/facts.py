"""The engine's inputs read from the database: the one loader of them.

- the stamps in force: no correction replaces them and they are not void, in time order;
- approved missed stamps ("declared") join them as stamps;
- approved justifications are engine `Request`s over their span, or the whole day;
- an approved overtime request is the authorisation its code needs: a `Request` with the
  code and an empty span, which clears `needs_approval` without crediting anything.

`shown` keeps, beside the engine's view, every stamp as a person reads it on the
timecard: a corrected original struck through next to its correction, a declared stamp
with its source.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.allowance_openings import Opened
from server.db.keys import one_of
from server.db.models import Request as RequestRow
from server.db.models import Stamp as StampRow
from server.engine.inputs import Direction, Request, Stamp
from server.minutes import clock

Key = tuple[int, date]  # (employee id, day)
EmployeeDay = tuple[str, int, date]  # institution, employee id, local date
FactRow = Any  # a Row of STAMP_COLUMNS: plain rows, not ORM objects, for speed
STAMP_COLUMNS = (StampRow.id, StampRow.employee_id, StampRow.local_date,
                 StampRow.local_minute, StampRow.direction, StampRow.code, StampRow.source,
                 StampRow.void, StampRow.replaces_id)
# Each day's stamps in the order they happened: sorted by the database, which reads them
# by the (employee, day) index anyway, so neither the time nor a sort reaches Python.
STAMP_ORDER = (StampRow.employee_id, StampRow.local_date, StampRow.terminal_time,
               StampRow.id)
REQUEST_COLUMNS = (RequestRow.id, RequestRow.employee_id, RequestRow.day, RequestRow.kind,
                   RequestRow.code, RequestRow.start_minute, RequestRow.end_minute,
                   RequestRow.direction)


@dataclass(frozen=True)
class ShownStamp:
    """A stamp as the timecard shows it."""

    minute: int  # local minutes since midnight, as stamped
    direction: str | None
    code: str | None
    source: str  # terminal, web, app, manual (a correction), declared (a missed stamp)
    flags: tuple[str, ...] = ()
    in_force: bool = True  # False: replaced by a correction or voided, shown struck through
    corrects: bool = False  # a correction that replaced an earlier stamp
    voided: bool = False  # the office removed it (the voiding row itself is not shown)

    @property
    def time(self) -> str:
        return clock(self.minute)


@dataclass
class Facts:
    stamps: dict[Key, list[Stamp]] = field(default_factory=lambda: defaultdict(list))
    requests: dict[Key, list[Request]] = field(default_factory=lambda: defaultdict(list))
    shown: dict[Key, list[ShownStamp]] = field(default_factory=lambda: defaultdict(list))
    # Stamps in force per day, declared ones apart: what a stored day result says it saw.
    seen: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    # Per employee: yearly allowances used before the institution adopted timbra, read by
    # the month (`server.days.month`) when it counts the year.
    opened: dict[int, list[Opened]] = field(default_factory=dict)


def replaced_ids(rows: Iterable[FactRow]) -> set[int]:
    """The stamps these rows correct or void. A correction lives on the day it corrects,
    so reading whole days of stamps reads their corrections too."""
    return {r.replaces_id for r in rows if r.replaces_id is not None}


def in_force(rows: Iterable[FactRow], replaced: set[int]) -> list[FactRow]:
    """The stamps no correction replaces and that are not void, in the rows' order (read
    in `STAMP_ORDER`: the time order)."""
    return [r for r in rows if not r.void and r.id not in replaced]


def engine_stamp(row: FactRow) -> Stamp:
    return _stamp(row.local_minute, row.direction, row.code, row.source)


@lru_cache(maxsize=1 << 16)
def _stamp(minute: int, way: str | None, code: str | None, source: str) -> Stamp:
    """Stamps are immutable values, and a month of an institution repeats the same few
    thousand: one object each, not one per row read."""
    return Stamp(minute, direction(way), code, source)


def load_facts(session: Session, employee_ids: Collection[int], first: date, last: date, *,
               shown: bool = False) -> Facts:
    """Everything the engine needs for these employees' days from `first` to `last`."""
    facts = Facts()
    if not employee_ids:
        return facts
    columns = STAMP_COLUMNS + ((StampRow.flags,) if shown else ())
    # Core, not the ORM's row loading: plain rows are all the engine needs.
    rows = session.connection().execute(select(*columns).where(
        one_of(StampRow.employee_id, employee_ids), StampRow.local_date.between(first, last))
        .order_by(*STAMP_ORDER)).all()
    replaced = replaced_ids(rows)
    stamps, seen = facts.stamps, facts.seen
    # Unpacked, not read by name: a month of an institution is a quarter of a million rows.
    for _, employee_id, day, minute, way, code, source, *_ in in_force(rows, replaced):
        stamps[(employee_id, day)].append(_stamp(minute, way, code, source))
        seen[(employee_id, day)] += 1
    if shown:
        _show_rows(facts, rows, replaced)
    approved = approved_rows(session, employee_ids, between=(first, last))
    requests, declared = engine_inputs(approved)
    facts.requests.update(requests)
    for key, extra in declared.items():
        facts.stamps[key].extend(extra)
        if shown:
            facts.shown[key].extend(ShownStamp(s.minute, s.direction, s.code, "declared")
                                    for s in extra)
            facts.shown[key].sort(key=lambda s: s.minute)
    return facts


def _show_rows(facts: Facts, rows: Sequence[FactRow], replaced: set[int]) -> None:
    voided = {r.replaces_id for r in rows if r.void and r.replaces_id is not None}
    # Stable: stamps of the same minute stay in the order they happened.
    for row in sorted(rows, key=lambda r: r.local_minute):
        if row.void and row.replaces_id is not None:
            continue  # a voiding row: its original shows, struck through, as voided
        facts.shown[(row.employee_id, row.local_date)].append(ShownStamp(
            row.local_minute, row.direction, row.code, row.source,
            tuple(f for f in (row.flags or "").split(",") if f),
            in_force=not row.void and row.id not in replaced,
            corrects=row.replaces_id is not None, voided=row.id in voided))


def approved_rows(session: Session, employee_ids: Collection[int], *,
                  days: Collection[date] | None = None,
                  between: tuple[date, date] | None = None) -> list[Any]:
    """Approved requests of these employees on `days` or in `between` (inclusive)."""
    if not employee_ids:
        return []
    stmt = select(*REQUEST_COLUMNS).where(one_of(RequestRow.employee_id, employee_ids),
                                          RequestRow.state == "approved")
    if days is not None:
        stmt = stmt.where(one_of(RequestRow.day, days))
    if between is not None:
        stmt = stmt.where(RequestRow.day >= between[0], RequestRow.day <= between[1])
    return list(session.execute(stmt.order_by(RequestRow.id)))


def engine_inputs(rows: Collection[Any]) -> tuple[dict[Key, list[Request]],
                                                  dict[Key, list[Stamp]]]:
    """(requests, declared stamps) per employee-day."""
    requests: dict[Key, list[Request]] = defaultdict(list)
    declared: dict[Key, list[Stamp]] = defaultdict(list)
    for row in rows:
        key = (row.employee_id, row.day)
        if row.kind == "missed_stamp" and row.start_minute is not None:
            declared[key].append(Stamp(row.start_minute, direction(row.direction), row.code,
                                       "declared"))
        elif row.kind == "overtime" and row.code:
            requests[key].append(Request(row.code, 0, 0))
        elif row.kind == "justification" and row.code:
            requests[key].append(Request(row.code, row.start_minute, row.end_minute))
    return requests, declared


def direction(text: str | None) -> Direction | None:
    if text == "in":
        return "in"
    if text == "out":
        return "out"
    return None
