"""Filing requests: justifications, missed stamps, overtime.

Each filing is checked against the rules in force on its day: the code exists
and is entered on the web, or is typed at the terminal and needs an approval (the
request is then its authorisation: `filed_on_web`), times are rounded as the
stamping block says, whole-day codes carry no times and hourly ones must (seed
002: "E' obbligatorio indicare, nei casi di giustificativi orari, l'ora di inizio e
l'ora di fine"), attachment and notes when the code requires them, the missed-stamp deadline.
A code without `approval` needs nobody's decision: it is approved as filed.
Decisions and withdrawals are in `server.office.decisions`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dsl import ast
from server.days.month_lock import ensure_open
from server.days.results import refresh_days
from server.days.rules_in_force import policy_on
from server.db.models import Employee, User
from server.db.models import Request as RequestRow
from server.engine.deadlines import resolve
from server.errors import OfficeError
from server.office import notifications
from server.office.approval_timing import approver, filed_late, local, refuse_late_filing
from server.office.audit import record, utcnow
from server.office.bounds import MAX_FILE_NAME, bounded_text, within_reach
from server.office.leave import check_balance
from server.office.people import OFFICE_ROLES, employee_for_filing
from server.policy.model import Policy, Version

WHOLE_DAY_KINDS = frozenset({"service_day", "day_absence", "half_day_morning",
                             "half_day_afternoon", "day_swap", "pause_waiver"})
HOURLY_KINDS = frozenset({"service", "hourly_absence", "pause_outside_band"})
OVERTIME_KIND = {"paid": "overtime_paid", "banked": "overtime_banked"}
MAX_ATTACHMENT = 5 * 1024 * 1024
LIVE_STATES = ("pending", "approved")


def file_justification(session: Session, actor: User, employee_id: int, day: date,
                       code: str, *, start: int | None = None, end: int | None = None,
                       notes: str = "", attachment: tuple[str, bytes] | None = None,
                       now: datetime | None = None, override_balance: bool = False,
                       ) -> RequestRow:
    """A justification (giustificativo) with a code, for the whole day or a span; a code
    that draws on a leave beyond its balance is refused, unless the office overrides it."""
    _in_bounds(day, notes, now)
    if attachment:
        bounded_text(attachment[0], "attachment", MAX_FILE_NAME)
    employee = employee_for_filing(session, actor, employee_id)
    ensure_open(session, employee.institution_id, day)
    policy, version = _rules(session, employee, day)
    info = _code(version, code)
    kind = info.kind.value if info.kind else "hourly_absence"
    if kind in OVERTIME_KIND.values():
        raise OfficeError(f"Il codice {code} è di straordinario: usa la richiesta di straordinario",
                          f"Code {code} is overtime: file an overtime request", field="code")
    if not filed_on_web(info):
        raise OfficeError(f"Il codice {code} si digita al terminale, non si inserisce dal web",
                          f"Code {code} is typed at the terminal, not entered on the web",
                          field="code")
    if kind in WHOLE_DAY_KINDS:
        if start is not None or end is not None:
            raise OfficeError(f"Il codice {code} vale per l'intera giornata: niente orari",
                              f"Code {code} covers the whole day: no times", field="start")
    else:
        if start is None or end is None:
            raise OfficeError("Indica l'ora di inizio e l'ora di fine",
                              "Give the start and end times", field="start")
        start, end = _span(version, start, end)
    if info.attachment_required and info.attachment_required.value and not attachment:
        raise OfficeError(f"Il codice {code} richiede un allegato",
                          f"Code {code} requires an attachment", field="attachment")
    if info.notes_required and info.notes_required.value and not notes.strip():
        raise OfficeError(f"Il codice {code} richiede le note",
                          f"Code {code} requires notes", field="notes")
    if attachment and len(attachment[1]) > MAX_ATTACHMENT:
        raise OfficeError("L'allegato supera 5 MB", "The attachment exceeds 5 MB",
                          field="attachment")
    _no_overlap(session, employee, day, start, end)
    late = _timing(policy, actor, employee, info, day, start, now)
    beyond = check_balance(session, actor, employee, policy, day, code, override=override_balance)
    row = _new(session, actor, employee, "justification", day, code=code, start=start, end=end,
               notes=notes, attachment=attachment, now=now)
    return _filed(session, actor, row, approver(info, employee.profile), now, late=late,
                  beyond_balance=beyond)


def filed_on_web(info: ast.CodeDef) -> bool:
    """Whether a justification of this code may be filed on the web: a code entered on the
    web, or a keypad code that needs an approval, whose request is the authorisation the
    stamped code waits for (`needs_approval`; seed 001: "specifiche assenze orarie,
    richieste e autorizzate mediante la compilazione di specifica modulistica"). The engine
    counts a span both typed at the terminal and requested once."""
    return "web" in (info.entered.value if info.entered else ()) or info.approval is not None


def file_missed_stamp(session: Session, actor: User, employee_id: int, day: date,
                      minute: int, direction: str, circumstances: str, *,
                      code: str | None = None, now: datetime | None = None) -> RequestRow:
    """A missed stamp (omissione di timbratura) declared with its circumstances.

    Employees must declare it by the rule file's `missed_stamp` deadline (or
    `anomaly_fix` when it has none): seed 003, "Non è ammessa giustificazione
    oltre il termine sopra indicato". The personnel office may still record a
    late one (from the emergency register); the audit entry says it was late.
    """
    now = now or utcnow()
    _in_bounds(day, circumstances, now)
    employee = employee_for_filing(session, actor, employee_id)
    ensure_open(session, employee.institution_id, day)
    policy, version = _rules(session, employee, day)
    if direction not in ("in", "out"):
        raise OfficeError("Indica se è un'entrata o un'uscita", "Say whether it is in or out",
                          field="direction")
    if not circumstances.strip():
        raise OfficeError("Descrivi le circostanze della mancata timbratura",
                          "Describe the circumstances of the missed stamp", field="notes")
    if code is not None:
        _code(version, code)
    minute = _minute(version, minute, "start")
    local_now = now.astimezone(ZoneInfo(policy.timezone)).replace(tzinfo=None)
    if datetime.combine(day, time()) + timedelta(minutes=minute) > local_now:
        raise OfficeError("Non si può dichiarare una timbratura futura",
                          "A stamp in the future cannot be declared", field="start")
    deadline = missed_stamp_deadline(version, day, minute)
    late = deadline is not None and past(deadline, local_now)
    if late and actor.role not in OFFICE_ROLES:
        assert deadline is not None
        raise OfficeError(
            f"Termine scaduto: la mancata timbratura andava dichiarata entro {_when(deadline)}",
            f"Too late: the missed stamp had to be declared by {_when(deadline)}",
            field="day")
    row = _new(session, actor, employee, "missed_stamp", day, code=code, start=minute,
               end=None, notes=circumstances, direction=direction, now=now)
    return _filed(session, actor, row, missed_stamp_approver(version), now, late=late)


def file_overtime(session: Session, actor: User, employee_id: int, day: date, mode: str, *,
                  code: str | None = None, start: int | None = None, end: int | None = None,
                  notes: str = "", now: datetime | None = None) -> RequestRow:
    """The authorisation of overtime to be paid or banked (seed 003: "previa specifica
    autorizzazione scritta"); the hours themselves come from the coded stamps."""
    _in_bounds(day, notes, now)
    employee = employee_for_filing(session, actor, employee_id)
    ensure_open(session, employee.institution_id, day)
    policy, version = _rules(session, employee, day)
    if mode not in OVERTIME_KIND:
        raise OfficeError("Scegli retribuito o a recupero", "Choose paid or banked",
                          field="overtime_mode")
    kind = OVERTIME_KIND[mode]
    codes = [c for c, d in version.codes.items() if d.kind and d.kind.value == kind]
    if code is None:
        if len(codes) != 1:
            raise OfficeError(
                "Indica il codice di straordinario" if codes else
                "Le regole in vigore non prevedono straordinario di questo tipo",
                "Give the overtime code" if codes else
                "The rules in force define no overtime of this kind", field="code")
        code = codes[0]
    elif code not in codes:
        raise OfficeError(f"Il codice {code} non è uno straordinario {_mode_it(mode)}",
                          f"Code {code} is not {mode} overtime", field="code")
    if (start is None) != (end is None):
        raise OfficeError("Indica inizio e fine, o nessuno dei due",
                          "Give both start and end, or neither", field="start")
    if start is not None and end is not None:
        start, end = _span(version, start, end)
    info = version.codes[code]
    late = _timing(policy, actor, employee, info, day, start, now)
    row = _new(session, actor, employee, "overtime", day, code=code, start=start, end=end,
               notes=notes, overtime_mode=mode, now=now)
    return _filed(session, actor, row, approver(info, employee.profile), now, late=late)


def missed_stamp_approver(version: Version) -> str:
    """Who approves a declared missed stamp: the stamping block's `missed_stamp approval`,
    else a manager of the employee's unit (or the office)."""
    stamping = version.stamping
    given = stamping.missed_stamp_approval if stamping else None
    return given.value if given is not None else "manager"


def missed_stamp_deadline(version: Version, day: date,
                          minute: int | None = None) -> date | datetime | None:
    """By when a stamp missed at `minute` of `day` is declared (`48h` counts from it); None
    when the rules give no term (none, or `missed_stamp open`)."""
    deadline = version.deadlines.get("missed_stamp") or version.deadlines.get("anomaly_fix")
    return resolve(deadline.when, day, version.deadlines, minute) if deadline else None


def past(deadline: date | datetime, local_now: datetime) -> bool:
    if isinstance(deadline, datetime):
        return local_now > deadline
    return local_now.date() > deadline  # a date deadline lasts the whole day


def round_minute(version: Version, minute: int) -> int:
    """As the engine rounds stamps: to the nearest step, a half step rounds up."""
    step = version.stamping.rounding.value if version.stamping and version.stamping.rounding \
        else 0
    return (minute + step // 2) // step * step if step else minute


# ---- helpers ----------------------------------------------------------------------------


def _in_bounds(day: date, notes: str, now: datetime | None) -> None:
    # Checked first: a day years ahead must not reach the month lock or the rules lookup.
    within_reach(day, (now or utcnow()).date())
    bounded_text(notes, "notes")


def _rules(session: Session, employee: Employee, day: date) -> tuple[Policy, Version]:
    policy = policy_on(session, employee.institution_id, day)
    try:
        return policy, policy.version_on(day)
    except LookupError:
        raise OfficeError(f"Nessuna regola in vigore il {day:%d/%m/%Y}",
                          f"No rules in force on {day.isoformat()}", field="day") from None


def _code(version: Version, code: str) -> ast.CodeDef:
    info = version.codes.get(code)
    if info is None:
        raise OfficeError(f"Il codice {code} non esiste nelle regole in vigore quel giorno",
                          f"Code {code} does not exist in the rules in force that day",
                          field="code")
    return info


def _timing(policy: Policy, actor: User, employee: Employee, info: ast.CodeDef, day: date,
            start: int | None, now: datetime | None) -> bool:
    """Refuse a code the employee's profile may not use, and a prior authorisation asked too
    late (the office may record one late: True then, for the audit)."""
    if info.not_for is not None and employee.profile in info.not_for.value:
        raise OfficeError(f"Il codice {info.code} non è previsto per il profilo "
                          f"{employee.profile}", f"Code {info.code} is not for the profile "
                          f"{employee.profile}", field="code")
    by = filed_late(info, employee.profile, day, start, local(now or utcnow(), policy.timezone))
    if by is not None and actor.role not in OFFICE_ROLES:
        lead = info.approval_prior.value if info.approval_prior else 0
        raise refuse_late_filing(by, info.code, lead)
    return by is not None


def _minute(version: Version, minute: int, field: str) -> int:
    if not 0 <= minute <= 24 * 60:
        raise OfficeError("Orario non valido", "Invalid time", field=field)
    return round_minute(version, minute)


def _span(version: Version, start: int, end: int) -> tuple[int, int]:
    start, end = _minute(version, start, "start"), _minute(version, end, "end")
    if end <= start:
        raise OfficeError("L'ora di fine deve seguire l'ora di inizio",
                          "The end must come after the start", field="end")
    return start, end


def _no_overlap(session: Session, employee: Employee, day: date, start: int | None,
                end: int | None) -> None:
    others = session.execute(select(RequestRow.code, RequestRow.start_minute,
                                    RequestRow.end_minute).where(
        RequestRow.employee_id == employee.id, RequestRow.day == day,
        RequestRow.kind == "justification", RequestRow.state.in_(LIVE_STATES)))
    for other, o_start, o_end in others:
        if start is None or end is None or o_start is None or o_end is None or (
                o_start < end and o_end > start):
            raise OfficeError(f"C'è già una richiesta (codice {other}) su questo orario",
                              f"A request (code {other}) already covers this time",
                              field="start")


def _new(session: Session, actor: User, employee: Employee, kind: str, day: date, *,
         code: str | None, start: int | None, end: int | None, notes: str,
         attachment: tuple[str, bytes] | None = None, direction: str | None = None,
         overtime_mode: str | None = None, now: datetime | None) -> RequestRow:
    row = RequestRow(
        institution_id=employee.institution_id, employee_id=employee.id, kind=kind, code=code,
        day=day, start_minute=start, end_minute=end, direction=direction,
        overtime_mode=overtime_mode, notes=notes,
        attachment_name=attachment[0] if attachment else None,
        attachment=attachment[1] if attachment else None, state="pending",
        created_by=actor.id, created_at=now or utcnow())
    session.add(row)
    session.flush()
    return row


def _filed(session: Session, actor: User, row: RequestRow, approval: str | None,
           now: datetime | None, *, late: bool = False, beyond_balance: bool = False,
           ) -> RequestRow:
    now = now or utcnow()
    detail = {"employee_id": row.employee_id, "day": row.day.isoformat(), "kind": row.kind,
              "code": row.code, "approval": approval, "late": late}
    if beyond_balance:  # the office's explicit override of a leave balance
        detail["beyond_balance"] = True
    record(session, actor, "request_filed", f"request:{row.id}", detail, now=now)
    if approval is None:
        # The rules ask nobody's approval for this code: it counts as filed.
        row.state, row.decided_at = "approved", now
        row.decision_note = ("Nessuna approvazione richiesta dalle regole / "
                             "No approval required by the rules")
        record(session, actor, "request_approved", f"request:{row.id}",
               {**detail, "automatic": True}, now=now)
        session.flush()
        refresh_days(session, [(row.institution_id, row.employee_id, row.day)], now)
    else:
        notifications.request_filed(session, row, approval, now)
    return row


def _when(deadline: date | datetime) -> str:
    if isinstance(deadline, datetime):
        return f"{deadline:%d/%m/%Y %H:%M}"
    return f"{deadline:%d/%m/%Y}"


def _mode_it(mode: str) -> str:
    return "retribuito" if mode == "paid" else "a recupero"
