"""The monthly timecard as a PDF (cartellino mensile): the same month the Riepiloghi page
shows (`server.office.summary.month_summary`), worded the same way and in the reader's
language — weekdays and dates as they write them, anomalies by name — under the
institution's letterhead with the month's closure status, ending with the signature lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from server.engine import MonthResult
from server.engine.results import Anomaly, DayResult
from server.i18n.current import gettext
from server.i18n.formats import day_text, weekday_text
from server.minutes import clock
from server.office.printing import Align, Sheet, letterhead
from server.office.reports import hours
from server.office.summary import MonthSummary
from server.web.wording import anomaly_name, say

WIDTHS = (30, 75, 18, 18, 18, 40, 78)
ALIGNS: tuple[Align, ...] = ("L", "L", "R", "R", "R", "L", "L")


def month_pdf(session: Session, summary: MonthSummary, now: datetime,
              deadline_labels: Mapping[str, str]) -> bytes:
    """The employee's month: one row a day, then totals, deadlines, allowances,
    anomalies and flags; `deadline_labels` are the message ids the summaries page uses."""
    r, e = summary.result, summary.employee
    title = gettext("Timecard of %(name)s (%(number)s)", name=e.name, number=e.number)
    pdf = Sheet(letterhead(session, e.institution_id, title, r.year, r.month, now))
    heads = [gettext(h) for h in ("Day", "Stamps", "Worked", "Due", "Balance", "Codes",
                                  "Anomalies")]
    pdf.grid(WIDTHS, [heads, *(_day(d) for d in r.days)], ALIGNS)
    pdf.ln(3)
    for text in _totals(r, deadline_labels):
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


def _anomaly_line(anomaly: Anomaly) -> str:
    text = f"{day_text(anomaly.day)} " if anomaly.day else ""
    text += f"{anomaly_name(anomaly.code)}: {say(anomaly, 'message')}"
    if anomaly.fix_by is not None:
        text += " – " + gettext("fix by %(when)s", when=day_text(anomaly.fix_by.date()))
    return text
