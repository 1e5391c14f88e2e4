"""A month's open anomalies read from the stored day results, where those are current.

The pre-check of a month close counts each employee's open anomalies. A month's
anomalies are its days' (`server.engine.month` adds none of its own), and the stored
day results are kept current: a day whose stamps, requests or rules changed waits in
`dirty_days` until its result is stored again (`server.days.dirty`; the day before a
rota's night shift with it), and a profile change refreshes its days at once. So for
an employee whose every day of the month has a stored result and none waits, the
stored results count the month's anomalies: the pre-check reads them instead of
evaluating the whole month a second time, just before the close evaluates it.

Everyone else (a day never evaluated, one waiting, a month not over, a deactivation
during it) is left out, for the caller to evaluate as the pages do.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.keys import one_of
from server.db.models import DAY_RESULTS, DirtyDay

IDS_PER_QUERY = 500  # employees per query: a bounded IN list on either database


def stored_anomalies(session: Session, institution_id: str, employee_ids: Collection[int],
                     first: date, last: date) -> dict[int, int]:
    """Open anomalies from `first` to `last` of those employees whose stored results
    cover every one of these days and are current; the others are not in the answer."""
    days = (last - first).days + 1
    waiting = set(session.scalars(select(DirtyDay.employee_id).where(
        DirtyDay.institution_id == institution_id, DirtyDay.day.between(first, last))
        .distinct()))
    wanted = sorted(set(employee_ids) - waiting)
    column = DAY_RESULTS.c
    found: dict[int, int] = {}
    for start in range(0, len(wanted), IDS_PER_QUERY):
        # By the primary key (employee, day): a month's rows whatever the history.
        found.update({employee_id: int(anomalies or 0) for employee_id, stored, anomalies
                      in session.execute(
                          select(column.employee_id, func.count(), func.sum(column.anomalies))
                          .where(one_of(column.employee_id, wanted[start:start + IDS_PER_QUERY]),
                                 column.day >= first, column.day <= last)
                          .group_by(column.employee_id))
                      if stored == days})
    return found
