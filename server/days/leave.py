"""Leave in days as the pages, the API, the PDF and the request checks read it: the
employee's terms, the requests that draw on a leave and the opening balances, handed to
the pure `server.engine.leave.leave_balances` (the one computation of a balance).

`leave_terms` is the one place that reads what an employee's contracts say for leave
(`server.days.employment`): the contract in force gives the days worked a week (its
profile's); each contract its dates (cut at a deactivation), which the `prorate contract`
and `accrue monthly` of the rule file count, and its part-time percentage, which
`prorate part_time` counts month by month (100% to June and 50% from July: each period's
months at its own percentage, whichever day is asked about); the first contract's start
the service that seniority steps count from (no start on record: no seniority step
applies, as before contracts had dates).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days import employment
from server.days.account_leave import leave_draws
from server.days.month import PolicySource
from server.db.contract_tables import NO_START
from server.db.keys import one_of
from server.db.leave_tables import LeaveOpening
from server.db.models import Employee, Institution
from server.db.models import Request as RequestRow
from server.engine.leave import (
    Contract,
    Draw,
    LeaveTerms,
    LeaveYear,
    Opening,
    leave_balances,
    leave_of,
)
from server.policy.model import Policy

COUNTED = ("approved",)  # what a balance shows as taken (planned days included)
LIVE = ("pending", "approved")  # what a new request must fit beside
_FULL_WEEK = 5  # a profile that names no working days works Monday to Friday
_LOOKBACK_YEARS = 10


def leave_terms(employee: Employee, policy: Policy, day: date,
                contracts: Sequence[employment.Contract]) -> LeaveTerms:
    """What the employee's contracts (`employment.contracts_of`) say that leave depends on
    on `day`: the contract in force then, else the last one begun by then, else the first."""
    begun = [c for c in contracts if c.start <= day]
    current = (employment.covering(contracts, day) or (begun[-1] if begun else None)
               or (contracts[0] if contracts else None))
    try:
        profile = policy.version_on(day).profiles.get(
            current.profile if current is not None else employee.profile)
    except LookupError:
        profile = None
    week = _FULL_WEEK
    if profile is not None and profile.contract_days is not None:
        week = len(profile.contract_days.among)
    elif profile is not None and profile.days is not None:
        week = len(profile.days.value)
    last = employment.last_day(employee, ZoneInfo(policy.timezone))
    spans = tuple(_span(c, last) for c in contracts if last is None or c.start <= last)
    first = contracts[0].start if contracts else NO_START
    return LeaveTerms(
        week_days=week,
        part_time_percent=current.part_time_percent if current is not None
        else employee.part_time_percent,
        contracts=spans or (Contract(None, last),),
        service_start=None if first == NO_START else first)


def _span(contract: employment.Contract, last: date | None) -> Contract:
    """A contract's days as the engine counts them, cut at a deactivation."""
    end = contract.end if last is None or (contract.end is not None and contract.end < last) \
        else last
    return Contract(None if contract.start == NO_START else contract.start, end,
                    contract.part_time_percent)


def balances(session: Session, rules: PolicySource, employees: Collection[Employee],
             on: date, *, states: tuple[str, ...] = COUNTED,
             extra: dict[int, list[Draw]] | None = None,
             now: datetime | None = None) -> dict[int, list[LeaveYear]]:
    """Each employee's leave balances for `on`'s year, read in a few queries whatever their
    number, with the days the hours account drew (`server.days.account.leave_draws`);
    `extra` adds draws not yet stored (a request being filed)."""
    policies = {e.id: rules.on(e.institution_id, on) for e in employees}
    known = [p for p in policies.values() if p is not None]
    if not employees or not known:
        return {e.id: [] for e in employees}
    ids = [e.id for e in employees]
    openings = load_openings(session, ids)
    adopted = _adopted(session, {e.institution_id for e in employees})
    # The draws of the years the engine counts: from the rules, the adoption (a day early
    # in UTC at worst) or an opening balance, at most `_LOOKBACK_YEARS` back.
    first = date(max(min(p.versions[0].effective.year for p in known),
                     min((a.year for a in adopted.values()), default=0),
                     on.year - _LOOKBACK_YEARS), 1, 1)
    first = min([first, *(o.on.replace(month=1, day=1) for x in openings.values()
                          for o in x.values())])
    draws = load_draws(session, ids, first, date(on.year, 12, 31), states)
    account = leave_draws(session, rules, employees, on, now=now)
    contracts = employment.contracts_of(session, employees)
    out: dict[int, list[LeaveYear]] = {}
    for employee in employees:
        policy = policies[employee.id]
        if policy is None:
            out[employee.id] = []
            continue
        mine = [*draws.get(employee.id, []), *account[employee.id],
                *(extra or {}).get(employee.id, [])]
        since = adopted.get(employee.institution_id)
        out[employee.id] = leave_balances(
            policy, leave_terms(employee, policy, on, contracts[employee.id]), on, mine,
            openings.get(employee.id),
            since.astimezone(ZoneInfo(policy.timezone)).date() if since else None)
    return out


def _adopted(session: Session, institutions: Collection[str]) -> dict[str, datetime]:
    """When each institution started recording (its row's creation): no year before it
    carries leave, unless an opening balance says so."""
    rows = session.execute(select(Institution.id, Institution.created_at).where(
        Institution.id.in_(list(institutions))))
    return {institution: created for institution, created in rows}


def load_draws(session: Session, ids: Iterable[int], first: date, last: date,
               states: tuple[str, ...] = COUNTED) -> dict[int, list[Draw]]:
    """The requests with a code between two days, as draws (the engine keeps those whose
    code draws on a leave, and counts a whole or half day by the code's kind)."""
    rows = session.execute(select(RequestRow.employee_id, RequestRow.day, RequestRow.code,
                                  RequestRow.id).where(
        one_of(RequestRow.employee_id, list(ids)), RequestRow.kind == "justification",
        RequestRow.code.is_not(None), RequestRow.state.in_(states),
        RequestRow.day.between(first, last)))
    out: dict[int, list[Draw]] = defaultdict(list)
    for employee_id, day, code, request_id in rows:
        out[employee_id].append(Draw(day, code or "", request_id))
    return dict(out)


def load_openings(session: Session, ids: Iterable[int]) -> dict[int, dict[str, Opening]]:
    out: dict[int, dict[str, Opening]] = defaultdict(dict)
    for row in session.scalars(select(LeaveOpening).where(
            one_of(LeaveOpening.employee_id, list(ids)))):
        out[row.employee_id][row.leave] = Opening(row.on, row.left_halves, row.carried_halves)
    return dict(out)


def beyond_with(session: Session, rules: PolicySource, employee: Employee, day: date,
                code: str, policy: Policy) -> LeaveYear | None:
    """The balance a request of `code` on `day` would overdraw, beside every live request
    (pending or approved): the year with it, when it leaves more draws beyond the balance
    than there were; None when the code draws on no leave, or the request fits."""
    leave = leave_of(policy.version_on(day), code)
    if leave is None:
        return None
    before, after = (
        next((y for y in balances(session, rules, [employee], day, states=LIVE,
                                  extra=extra)[employee.id] if y.name == leave.name), None)
        for extra in (None, {employee.id: [Draw(day, code, "new")]}))
    if after is None or len(after.beyond) <= len(before.beyond if before else ()):
        return None
    return after
