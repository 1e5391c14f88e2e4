"""Approved requests as the engine sees them.

Shared by `server.ingest.recompute` (stored day results) and the month summary,
so the timecard and the month close compute the same figures from the same facts:
- a justification is an engine `Request` over its span, or the whole day;
- a missed stamp is a stamp with source "declared" (the month counts them for
  the missed-stamps flag);
- an overtime request is the authorisation the overtime code needs: an engine
  `Request` with the code and an empty span, so it clears `needs_approval`
  without crediting anything or touching the day's gaps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Request as RequestRow
from server.engine.inputs import Direction, Request, Stamp

EmployeeDayKey = tuple[int, date]

COLUMNS = (RequestRow.id, RequestRow.employee_id, RequestRow.day, RequestRow.kind,
           RequestRow.code, RequestRow.start_minute, RequestRow.end_minute,
           RequestRow.direction)


def approved_rows(session: Session, employee_ids: Collection[int], *,
                  days: Collection[date] | None = None,
                  between: tuple[date, date] | None = None) -> list[Any]:
    """Approved requests of these employees on `days` or in `between` (inclusive)."""
    if not employee_ids:
        return []
    stmt = select(*COLUMNS).where(RequestRow.employee_id.in_(employee_ids),
                                  RequestRow.state == "approved")
    if days is not None:
        stmt = stmt.where(RequestRow.day.in_(days))
    if between is not None:
        stmt = stmt.where(RequestRow.day >= between[0], RequestRow.day <= between[1])
    return list(session.execute(stmt.order_by(RequestRow.id)))


def engine_inputs(rows: Collection[Any]) -> tuple[dict[EmployeeDayKey, list[Request]],
                                                  dict[EmployeeDayKey, list[Stamp]]]:
    """(requests, declared stamps) per employee-day."""
    requests: dict[EmployeeDayKey, list[Request]] = defaultdict(list)
    declared: dict[EmployeeDayKey, list[Stamp]] = defaultdict(list)
    for row in rows:
        key = (row.employee_id, row.day)
        if row.kind == "missed_stamp" and row.start_minute is not None:
            declared[key].append(Stamp(row.start_minute, _direction(row.direction), row.code,
                                       "declared"))
        elif row.kind == "overtime" and row.code:
            requests[key].append(Request(row.code, 0, 0))
        elif row.kind == "justification" and row.code:
            requests[key].append(Request(row.code, row.start_minute, row.end_minute))
    return requests, declared


def _direction(text: str | None) -> Direction | None:
    if text == "in":
        return "in"
    if text == "out":
        return "out"
    return None
