"""The monthly timecard as a PDF (cartellino mensile): the same month the Riepiloghi page
shows (`server.office.summary.month_summary`), worded the same way and in the reader's
language — weekdays and dates as they write them, anomalies by name — under the
institution's letterhead with the month's closure status, ending with the signature lines.
Hours read as on the pages ("1h05", `server.minutes.hours`): the rules' explanations in the
account's lines are written so, and one sheet must not mix "1:05" with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from server.engine import MonthResult
from server.engine.leave import LeaveYear, days
from server.engine.results import Anomaly, DayResult
from server.i18n.current import gettext
from server.i18n.formats import day_text, weekday_text
from server.minutes import clock, hours
from server.office.printing import Align, Sheet, letterhead
from server.office.summary import MonthSummary
from server.web.wording import anomaly_name, say

WIDTHS = (30, 75, 18, 18, 18, 40, 78)
ALIGNS: tuple[Align, ...] = ("L", "L", "R", "R", "R", "L", "L")


def month_pdf(session: Session, summary: MonthSummary, now: datetime,
              deadline_labels: Mapping[str, str]) -> bytes:
    """The employee's month: one row a day, then totals, deadlines, allowances,
    anomalies, flags, leave in days and the hours account; `deadline_labels` are the message ids the
    summaries page uses."""
    r, e = summary.result, summary.employee
    title = gettext("Timecard of %(name)s (%(number)s)", name=e.name, number=e.number)
    pdf = Sheet(letterhead(session, e.institution_id, title, r.year, r.month, now))
    heads = [gettext(h) for h in ("Day", "Stamps", "Worked", "Due", "Balance", "Codes",
                                  "Anomalies")]
    pdf.grid(WIDTHS, [heads, *(_day(d) for d in r.days)], ALIGNS)
    pdf.ln(3)
    for text in [*_totals(r, deadline_labels), *(leave_line(y) for y in summary.leave),
                 *_account_lines(summary)]:
        pdf.text_line(text, size=8)
    pdf.signatures()
    return pdf.bytes()


def _day(d: DayResult) -> list[str]:
    stamps = ", ".join(f"{gettext(direction)} {clock(minute)}" + (f" ({code})" if code else "")
                       for direction, minute, code in d.stamps)
    codes = ", ".join(f"{code} {hours(minutes)}" for code, minutes in d.by_code.items())
    anomalies = "; ".join(anomaly_name(a.code) for a in d.anomalies)
    return [f"{weekday_text(d.day)} {day_text(d.day)}", stamps, hours(d.worked),
            hours(d.due), hours(d.balance), codes, anomalies]


def _totals(r: MonthResult, deadline_labels: Mapping[str, str]) -> list[str]:
    through = (gettext("Totals up to %(date)s", date=day_text(r.days[-1].day)) if r.days
               else gettext("No day concluded yet"))
    in_month = gettext("due in the month %(due)s", due=hours(r.due_in_month))
    flag = gettext("Flag")
    lines = [
        f"{through} ({in_month})",
        gettext("Worked %(worked)s · Due %(due)s · Balance %(balance)s",
                worked=hours(r.worked), due=hours(r.due), balance=hours(r.balance)),
        gettext("Overtime paid %(paid)s · banked %(banked)s · Meal vouchers %(vouchers)s",
                paid=hours(r.overtime_paid), banked=hours(r.overtime_banked),
                vouchers=r.meal_vouchers),
    ]
    for name, when in r.deadlines.items():
        label = gettext(deadline_labels[name]) if name in deadline_labels else name
        day = when.date() if isinstance(when, datetime) else when
        lines.append(f"{label}: {day_text(day)}")
    lines += [gettext("%(label)s: used %(used)s, left %(left)s", label=a.label,
                      used=hours(a.used), left=hours(a.left)) for a in r.allowances]
    lines += [_anomaly_line(a) for a in r.anomalies]
    lines += [f"{flag}: {say(f, 'message')} ({f.count})" for f in r.flags]
    return lines


def _account_lines(summary: MonthSummary) -> list[str]:
    """The hours account as the Riepiloghi list it: opening, each movement with its rule's
    file:line, closing, the debts it still holds with their dates, what the office is told."""
    account = summary.account
    if account is None:
        return []
    moves = [f"  {say(m.explain)} ({m.explain.source})"
             for m in account.movements]
    debts = [f"    {hours(d.minutes)} ({d.since:%m/%Y})" + (
        f" – {gettext('to recover by')} {day_text(d.due)}" if d.due else "")
        for d in account.closing.debts]
    state = (gettext("The month is closed: its closing balance is the one the close kept.")
             if account.frozen else
             gettext("The month is not over: what falls due at its end is not in yet.")
             if not account.complete else "")
    return [f"{gettext('Hours account')}: {gettext('Opening balance')} "
            f"{hours(account.opening.balance)}", *moves,
            f"  {gettext('Closing balance')} {hours(account.closing.balance)}", *debts,
            *([f"  {state}"] if state else []), *map(_anomaly_line, account.anomalies)]


def leave_line(y: LeaveYear) -> str:
    """A leave in days (seed 004 Art. 9.2: "i giorni/ore di ferie, festività soppresse,
    permessi retribuiti"): the year's, or a capped leave's month."""
    if not y.yearly:
        return gettext("%(label)s: %(taken)s days this month, of %(cap)s", label=y.label,
                       taken=str(days(y.month_taken)), cap=str(days(y.month_cap or 0)))
    line = gettext("%(label)s %(year)s: entitled %(entitled)s, taken %(taken)s, left "
                   "%(left)s days", label=y.label, year=y.year, entitled=str(days(y.entitled)),
                   taken=str(days(y.taken + y.carried_used)), left=str(days(y.total_left)))
    if y.carried_in and y.carry_until is not None:
        line += " " + gettext("(%(carried)s from last year, usable until %(until)s)",
                              carried=str(days(y.carried_in)), until=day_text(y.carry_until))
    return line


def _anomaly_line(anomaly: Anomaly) -> str:
    text = f"{day_text(anomaly.day)} " if anomaly.day else ""
    text += f"{anomaly_name(anomaly.code)}: {say(anomaly, 'message')}"
    if anomaly.fix_by is not None:
        text += " – " + gettext("fix by %(when)s", when=day_text(anomaly.fix_by.date()))
    return text
