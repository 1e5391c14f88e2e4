"""Requests as the pages and the API show them, and the choices the forms offer.

The forms offer only what the rules in force allow on the web (`entered web`), so an
employee does not pick a code only to be told it is typed at the terminal; the service
checks again on the request's own day, which may fall under other rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.days.rules_in_force import RulesInForce, policy_at
from server.db.models import Employee, User
from server.db.models import Request as RequestRow
from server.i18n.current import N_, gettext
from server.minutes import clock
from server.office.decisions import approval_of
from server.office.leave import filed_beyond_balance
from server.office.requests import HOURLY_KINDS, OVERTIME_KIND, WHOLE_DAY_KINDS, filed_on_web
from server.policy.model import Version

KIND_LABELS = {"justification": N_("Justification"),
               "missed_stamp": N_("Missed stamp"),
               "overtime": N_("Overtime")}
STATE_LABELS = {"pending": N_("Pending"), "approved": N_("Approved"),
                "rejected": N_("Rejected"), "withdrawn": N_("Withdrawn"),
                "revoked": N_("Revoked")}
APPROVER_LABELS = {"manager": N_("Manager"), "director": N_("Director"),
                   "office": N_("Personnel office")}


@dataclass(frozen=True)
class RequestView:
    id: int
    employee_id: int
    employee_name: str
    employee_number: str
    unit: str | None
    kind: str
    kind_label: str
    code: str | None
    day: date
    start: str  # HH:MM or "" (whole day)
    end: str
    direction: str | None  # a missed stamp's in/out
    overtime_mode: str | None  # paid, banked
    notes: str
    attachment_name: str | None
    state: str
    state_label: str
    approver: str | None  # who must decide, as the rules say: manager, director, office
    approver_label: str | None
    filed_by: str
    decided_by: str | None
    decided_at: str | None  # ISO, UTC
    decision_note: str | None
    # The office filed it beyond the leave's balance, knowingly (its override, audited): the
    # approver must see it before deciding.
    beyond_balance: bool = False
    # What the code means, as the rules in force on its day call it: an approver reads
    # "29 · Permesso per esigenze personali", not a bare 29.
    code_label: str | None = None


@dataclass(frozen=True)
class CodeChoice:
    code: str
    label: str
    whole_day: bool
    attachment_required: bool
    notes_required: bool
    approval: str | None


def request_views(session: Session, rows: list[RequestRow]) -> list[RequestView]:
    """Rows with names and code labels filled in and the office's overrides of a balance
    marked, in four queries whatever their number."""
    people = {e.id: e for e in session.scalars(select(Employee).where(
        Employee.id.in_({r.employee_id for r in rows})))} if rows else {}
    user_ids = {r.created_by for r in rows} | {r.decided_by for r in rows if r.decided_by}
    names = {uid: name for uid, name in session.execute(
        select(User.id, User.display_name).where(User.id.in_(user_ids)))} if rows else {}
    beyond = filed_beyond_balance(session, [r.id for r in rows])
    labels = _code_labels(session, rows)
    return [_view(session, r, people[r.employee_id], names, r.id in beyond, labels.get(r.id))
            for r in rows]


def _code_labels(session: Session, rows: list[RequestRow]) -> dict[int, str]:
    """Request id → its code's label in the rules in force on its day."""
    coded = [r for r in rows if r.code]
    rules = RulesInForce(session, {r.institution_id for r in coded})
    labels: dict[int, str] = {}
    for row in coded:
        policy = rules.on(row.institution_id, row.day)
        try:
            version = policy.version_on(row.day) if policy is not None else None
        except LookupError:  # a day before the rules' first section
            continue
        info = version.codes.get(row.code or "") if version is not None else None
        if info is not None and info.label:
            labels[row.id] = info.label.value
    return labels


def _view(session: Session, row: RequestRow, employee: Employee,
          names: dict[int, str], beyond_balance: bool, code_label: str | None) -> RequestView:
    approver = approval_of(session, row) if row.state == "pending" else None
    return RequestView(
        id=row.id, employee_id=row.employee_id, employee_name=employee.name,
        employee_number=employee.number, unit=employee.unit, kind=row.kind,
        kind_label=gettext(KIND_LABELS.get(row.kind, row.kind)), code=row.code, day=row.day,
        start=_clock(row.start_minute), end=_clock(row.end_minute), direction=row.direction,
        overtime_mode=row.overtime_mode, notes=row.notes,
        attachment_name=row.attachment_name, state=row.state,
        state_label=gettext(STATE_LABELS.get(row.state, row.state)),
        approver=approver, approver_label=_approver_label(approver),
        filed_by=names.get(row.created_by, ""),
        decided_by=names.get(row.decided_by) if row.decided_by else None,
        decided_at=row.decided_at.isoformat() if row.decided_at else None,
        decision_note=row.decision_note, beyond_balance=beyond_balance, code_label=code_label)


def version_today(session: Session, institution_id: str,
                  now: datetime) -> tuple[Version | None, date]:
    """The rules in force at `now` and the institution's date then (None: no rules)."""
    try:
        policy, today = policy_at(session, institution_id, now)
    except LookupError:
        return None, now.date()
    try:
        return policy.version_on(today), today
    except LookupError:
        return None, today


def web_codes(version: Version | None) -> list[CodeChoice]:
    """The justification codes an employee may file on the web under `version`
    (`server.office.requests.filed_on_web`)."""
    if version is None:
        return []
    out = []
    for code, info in version.codes.items():
        kind = info.kind.value if info.kind else "hourly_absence"
        if kind in OVERTIME_KIND.values() or not filed_on_web(info):
            continue
        out.append(CodeChoice(
            code, info.label.value if info.label else code,
            whole_day=kind in WHOLE_DAY_KINDS and kind not in HOURLY_KINDS,
            attachment_required=bool(info.attachment_required
                                     and info.attachment_required.value),
            notes_required=bool(info.notes_required and info.notes_required.value),
            approval=info.approval.value if info.approval else None))
    return out


@dataclass(frozen=True)
class OvertimeCode:
    code: str
    label: str
    mode: str  # paid, banked


def overtime_codes(version: Version | None) -> list[OvertimeCode]:
    """The overtime codes to choose from, when a mode has more than one (the academy's
    codes 3, 6, 7, 8 are all paid): with one per mode the code goes without saying."""
    if version is None:
        return []
    found = [OvertimeCode(code, info.label.value if info.label else code, mode)
             for code, info in version.codes.items() if info.kind
             for mode, kind in OVERTIME_KIND.items() if info.kind.value == kind]
    modes = [c.mode for c in found]
    return found if len(set(modes)) < len(modes) else []


def overtime_modes(version: Version | None) -> list[str]:
    """paid and/or banked, as far as the rules define a code for them."""
    if version is None:
        return []
    kinds = {info.kind.value for info in version.codes.values() if info.kind}
    return [mode for mode, kind in OVERTIME_KIND.items() if kind in kinds]


def rounding_minutes(version: Version | None) -> int:
    if version is None or version.stamping is None or version.stamping.rounding is None:
        return 0
    return version.stamping.rounding.value


def _clock(minute: int | None) -> str:
    return "" if minute is None else clock(minute)


def _approver_label(approver: str | None) -> str | None:
    """Who decides, in the reader's language (the API's labels follow the page's language)."""
    return gettext(APPROVER_LABELS[approver]) if approver in APPROVER_LABELS else approver
