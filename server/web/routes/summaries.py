"""Riepiloghi / Summaries: one month of one employee as totals — allowances used and
left, balance and its recovery deadline, overtime, meal vouchers — each with the rule
that made it; the monthly report as PDF.

The figures come from `server.office.summary.month_summary` (the engine's month over the
facts), so they match the month close and the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from server.days.rules_in_force import policy_on
from server.engine.results import Explain
from server.i18n.current import N_, gettext
from server.office.summary import MOVEMENT_LABELS, MonthSummary, month_summary
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import EMPLOYEE, MANAGER, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.month_pdf import month_pdf
from server.web.office_calls import acting_user, month_of
from server.web.routing import together
from server.web.scope import NO_TIMECARD, known_id, visible_employee
from server.web.summary_view import SummaryOut, summary_out

READERS = allow(EMPLOYEE, MANAGER, OFFICE)
# What each deadline of `dsl.vocabulary.DEADLINES` is called. The month lists only those that
# ask something of the person that month (`server.engine.month`: fix the anomalies only in a
# month with some, recover only a negative balance, take rest only for overtime banked).
DEADLINE_LABELS = {
    "negative_balance": N_("Negative balance to recover by"),
    "anomaly_fix": N_("Fix anomalies by"),
    "missed_stamp": N_("Declare missed stamps by"),
    "report": N_("Report due"),
    "correction_request": N_("Correction requests by"),
    "compensatory_rest": N_("Compensatory rest to take by"),
}


@dataclass(frozen=True)
class RuleLine:
    """Where a figure's rule is written, and the line itself."""

    source: str  # file:line
    text: str


def _summary(db: Session, user: CurrentUser, employee_id: int,
             month: str | None) -> MonthSummary:
    visible_employee(db, user, known_id(employee_id))
    year, number = month_of(month, date.today())
    return month_summary(db, acting_user(db, user), employee_id, year, number)


def _rule_line(lines: list[str], file_name: str, source: str) -> RuleLine:
    name, _, line = source.rpartition(":")
    text = ""
    if name == file_name and line.isdigit() and 0 < int(line) <= len(lines):
        text = lines[int(line) - 1].split("#")[0].strip()
    return RuleLine(source, text)


def _context(db: Session, summary: MonthSummary, base: str) -> dict[str, Any]:
    result = summary.result
    first = date(result.year, result.month, 1)
    policy = policy_on(db, summary.employee.institution_id, first)
    steps: dict[str, list[Explain]] = {}
    for step in result.explanations():
        steps.setdefault(step.figure, []).append(step)
    previous = date.fromordinal(first.toordinal() - 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return {
        "s": summary, "r": result, "steps": steps, "base": base,
        "month": f"{first:%Y-%m}", "previous": f"{previous:%Y-%m}",
        "next": f"{following:%Y-%m}", "deadline_labels": DEADLINE_LABELS,
        "allowance_rules": {a.name: _rule_line(policy.lines, policy.file_name, a.source)
                            for a in result.allowances},
        "flag_rules": {f.name: _rule_line(policy.lines, policy.file_name, f.source)
                       for f in result.flags},
        "timecard": f"/timecard/{summary.employee.id}?month={first:%Y-%m}",
        "account": summary.account, "movement_labels": MOVEMENT_LABELS,
    }


@get("/summaries", opt=READERS, sync_to_thread=True)
def own_summary(db: DbSession, user: AuthUser, month: FromQuery[str | None] = None) -> Template:
    """Riepiloghi of the logged-in person."""
    if user.employee_id is None:
        raise NotFoundException(gettext(NO_TIMECARD))
    summary = _summary(db, user, user.employee_id, month)
    return Template("summaries.html", context=_context(db, summary, "/summaries"))


@get("/summaries/{employee_id:int}", opt=READERS, sync_to_thread=True)
def employee_summary(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                     month: FromQuery[str | None] = None) -> Template:
    """Someone's Riepiloghi: themselves, their unit for a manager, anyone for the office."""
    summary = _summary(db, user, employee_id, month)
    return Template("summaries.html",
                    context=_context(db, summary, f"/summaries/{employee_id}"))


@get("/summaries/{employee_id:int}/report.pdf", opt=READERS, sync_to_thread=True,
     media_type="application/pdf")
def month_report_pdf(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                     month: FromQuery[str | None] = None) -> Response[bytes]:
    """The monthly report (cartellino mensile) to print or keep."""
    summary = _summary(db, user, employee_id, month)
    r = summary.result
    name = f"cartellino-{summary.employee.number}-{r.year:04d}-{r.month:02d}.pdf"
    pdf = month_pdf(db, summary, datetime.now(UTC), DEADLINE_LABELS)
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@get("/api/v1/summaries/{employee_id:int}", opt=READERS, sync_to_thread=True)
def summary_api(db: DbSession, user: AuthUser, employee_id: FromPath[int],
                month: FromQuery[str | None] = None) -> SummaryOut:
    """One employee's month (`month=YYYY-MM`): totals in minutes, allowances (entitled,
    used before, used, left, recover by, source), deadlines, anomalies with fix-by dates,
    flags, meal vouchers, the explanation steps of the month's figures, and the hours account
    (opening, movements with their rule, closing, debts with their dates) where the rules
    keep one."""
    return summary_out(_summary(db, user, employee_id, month))


ROUTES = together(own_summary, employee_summary, month_report_pdf, summary_api, tag="Summaries")
