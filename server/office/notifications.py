"""What people are told, and when: a request filed (its approvers), decided (the employee),
an anomaly whose deadline is near (the employee), a terminal gone offline (the
administrators).

Each notification is a row of `notifications`, written in the caller's transaction, so it
exists exactly when the change it tells of does; `outbox` sends its e-mail later, SMTP up
or down. Telling the same event to the same person twice is a no-op (`event_key`), so the
scans may run as often as wanted. Texts are message ids filled at reading time, in the
reader's language: the page's, or the recipient's for an e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.days.rules_in_force import policy_at
from server.db.models import Employee, Institution, User
from server.db.models import Request as RequestRow
from server.db.notifications import Notification
from server.i18n.current import N_, gettext
from server.i18n.formats import day_text
from server.office.people import may_decide
from server.office.terminals import terminal_statuses

# The message id of each kind: subject line and page text alike.
MESSAGES = {
    "request_filed": N_("%(employee)s filed a request (%(what)s) for %(day)s: it awaits "
                        "your decision"),
    "request_approved": N_("Your request (%(what)s) for %(day)s was approved"),
    "request_rejected": N_("Your request (%(what)s) for %(day)s was rejected: %(note)s"),
    "request_revoked": N_("The approval of your request (%(what)s) for %(day)s was revoked: "
                          "%(note)s"),
    "request_withdrawn": N_("%(employee)s withdrew the request (%(what)s) for %(day)s: "
                            "nothing left to decide"),
    "password_reset": N_("Someone asked for a new timbra password for your account: the "
                         "link below works once, within %(minutes)s minutes. If it was not "
                         "you, ignore this mail: your password stays as it is."),
    "password_sso": N_("Someone asked for a new timbra password for your account: you sign "
                       "in with your institution's credentials, so there is no timbra "
                       "password to reset. Use \"Sign in with your institution's "
                       "credentials\" on the login page."),
    "anomaly_deadline": N_("The anomaly of %(day)s (%(code)s) must be fixed by %(fix_by)s"),
    "terminal_offline": N_("Terminal %(code)s (%(location)s) is not connected: last heard "
                           "%(since)s"),
}
WHAT = {"justification": N_("Justification"), "missed_stamp": N_("Missed stamp"),
        "overtime": N_("Overtime")}
SILENT = ("offline", "silent")  # terminal states worth a word to the administrators


@dataclass(frozen=True)
class Shown:
    """A notification as a page lists it."""

    id: int
    text: str
    link: str
    created_at: datetime
    unread: bool


def text_of(row: Notification) -> str:
    """The notification in the current language (`use_locale` picks it)."""
    params = dict(row.params)
    for name in ("day", "fix_by_day"):
        if isinstance(params.get(name), str):
            params[name] = day_text(params[name])
    if "what" in params:
        params["what"] = gettext(WHAT.get(params["what"], params["what"]))
    if "fix_by_day" in params:
        params["fix_by"] = f"{params.pop('fix_by_day')} {params.pop('fix_by_time', '')}".strip()
    return gettext(MESSAGES[row.kind], **params)


def tell(session: Session, users: Iterable[User], kind: str, event_key: str,
         params: dict[str, object], link: str, now: datetime) -> int:
    """One notification per user who has not had this event yet; how many were added."""
    users = [u for u in users if u.active]
    if not users:
        return 0
    told = set(session.scalars(select(Notification.user_id).where(
        Notification.user_id.in_([u.id for u in users]),
        Notification.event_key == event_key)))
    added = 0
    for user in users:
        if user.id in told:
            continue
        session.add(Notification(
            institution_id=user.institution_id, user_id=user.id, kind=kind,
            event_key=event_key, params=params, link=link, created_at=now,
            email_state="pending" if user.email else "none", attempts=0,
            next_attempt_at=now if user.email else None))
        added += 1
    session.flush()
    return added


def request_filed(session: Session, row: RequestRow, approval: str | None,
                  now: datetime) -> int:
    """Tell whoever may decide a pending request that it waits for them."""
    employee = session.get(Employee, row.employee_id)
    assert employee is not None  # a foreign key
    deciders = _deciders(session, row, employee, approval)
    return tell(session, deciders, "request_filed", f"request_filed:{row.id}",
                {"employee": employee.name, "what": row.kind, "day": row.day.isoformat()},
                f"/approvals#r{row.id}", now)


def request_decided(session: Session, row: RequestRow, now: datetime) -> int:
    """Tell the employee (their accounts) that their request was approved or rejected."""
    if row.state not in ("approved", "rejected"):
        return 0
    users = session.scalars(select(User).where(User.employee_id == row.employee_id))
    return tell(session, users, f"request_{row.state}", f"request_{row.state}:{row.id}",
                {"what": row.kind, "day": row.day.isoformat(),
                 "note": row.decision_note or ""}, "/requests", now)


def request_revoked(session: Session, row: RequestRow, now: datetime) -> int:
    """Tell the employee that an approval was taken back, and why: their day changed."""
    users = session.scalars(select(User).where(User.employee_id == row.employee_id))
    return tell(session, users, "request_revoked", f"request_revoked:{row.id}",
                {"what": row.kind, "day": row.day.isoformat(),
                 "note": row.decision_note or ""}, "/requests", now)


def request_withdrawn(session: Session, row: RequestRow, approval: str | None,
                      actor: User, now: datetime) -> int:
    """Tell those who were asked to decide that the request is gone (the one who withdrew
    it knows)."""
    employee = session.get(Employee, row.employee_id)
    assert employee is not None  # a foreign key
    deciders = [u for u in _deciders(session, row, employee, approval) if u.id != actor.id]
    return tell(session, deciders, "request_withdrawn", f"request_withdrawn:{row.id}",
                {"employee": employee.name, "what": row.kind, "day": row.day.isoformat()},
                "/approvals", now)


def _deciders(session: Session, row: RequestRow, employee: Employee,
              approval: str | None) -> list[User]:
    return [u for u in session.scalars(select(User).where(
        User.institution_id == row.institution_id, User.role.in_(("manager", "office"))))
        if may_decide(u, employee, approval)]


@dataclass(frozen=True)
class NearDeadline:
    employee_id: int
    day: date
    code: str
    fix_by: datetime  # local


def anomaly_deadlines(session: Session, near: Sequence[NearDeadline], now: datetime) -> int:
    """Tell each employee of their anomalies whose fix-by is near (`home.near_deadlines`
    finds them with the month computation)."""
    if not near:
        return 0
    users: dict[int, list[User]] = {}
    for user in session.scalars(select(User).where(
            User.employee_id.in_({n.employee_id for n in near}))):
        users.setdefault(user.employee_id or 0, []).append(user)
    return sum(tell(session, users.get(n.employee_id, []), "anomaly_deadline",
                    f"anomaly:{n.day.isoformat()}:{n.code}",
                    {"day": n.day.isoformat(), "code": n.code,
                     "fix_by_day": n.fix_by.date().isoformat(),
                     "fix_by_time": n.fix_by.strftime("%H:%M")},
                    f"/timecard?month={n.day:%Y-%m}#d{n.day.isoformat()}", now)
               for n in near)


def terminals_offline(session: Session, now: datetime) -> int:
    """Tell each institution's administrators of its terminals offline or silent; once per
    outage (a terminal heard again and lost again is a new one)."""
    added = 0
    for institution in session.scalars(select(Institution)):
        statuses = [s for s in terminal_statuses(session, institution.id, now)
                    if s.status in SILENT and s.last_seen is not None]
        if not statuses:
            continue
        admins = list(session.scalars(select(User).where(
            User.institution_id == institution.id, User.role == "admin")))
        zone = _zone_of(session, institution.id)
        for status in statuses:
            assert status.last_seen is not None
            since = status.last_seen.astimezone(zone)
            added += tell(session, admins, "terminal_offline",
                          f"terminal_offline:{status.id}:{status.last_seen.isoformat()}",
                          {"code": status.code, "location": status.location or "-",
                           "since": f"{since:%d/%m/%Y %H:%M}"},
                          f"/admin/terminals/{status.id}", now)
    return added


def _zone_of(session: Session, institution_id: str) -> ZoneInfo:
    try:
        return ZoneInfo(policy_at(session, institution_id, datetime.now(UTC))[0].timezone)
    except LookupError:
        return ZoneInfo("Europe/Rome")


# ---- in the page --------------------------------------------------------------------------


def latest(session: Session, user: User, limit: int = 10) -> list[Shown]:
    """The user's latest notifications, newest first, in the current language."""
    rows = session.scalars(select(Notification).where(Notification.user_id == user.id)
                           .order_by(Notification.id.desc()).limit(limit))
    return [Shown(r.id, text_of(r), r.link, r.created_at, r.read_at is None) for r in rows]


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user: User, now: datetime) -> int:
    """All the user's notifications read; how many were unread."""
    result = session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=now))
    return int(getattr(result, "rowcount", 0) or 0)

