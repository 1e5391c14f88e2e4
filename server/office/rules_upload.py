"""Rule files uploaded by an administrator: check, dry run, activate from a date.

1. `upload_rules` checks the text (every problem with line and column, worded by
   `dsl`: never a raw parser exception) and keeps it as a draft `RuleVersion`.
2. `dry_run` computes a month (by default the last one) of every employee with
   the rules in force and with the draft, and lists the differences per employee.
3. `activate` puts the draft in force from the first day of a month that is not
   closed (a closed month keeps the figures it was closed with); from then on
   `rules_in_force` gives it to the engine, the services and ingest (a running ingest
   from its next batch: the activation bumps the directory revision, `server.db.revision`).
   Every stored day result from that date, of every employee of the institution, is
   marked dirty in the activation's own transaction (`server.days.dirty`), so a month
   never runs under two rule files. They can be many (employees x days), so they are not
   computed inside the request: a recompute worker works them off (`timbra recompute`,
   the ingest's thread, or the web app's own, `server.web.day_worker`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dsl.errors import RuleError
from server.days.account_months import forget_institution
from server.days.dirty import mark_dirty
from server.days.rules_in_force import RulesInForce, compile_source
from server.db.models import DayResultRow, Employee, MonthClose, RuleVersion, User
from server.errors import MonthClosed, NotAllowed, NotFound, OfficeError
from server.office.audit import record, utcnow
from server.office.summary import evaluate_months
from server.policy.model import Policy

FIGURES = ("worked", "due", "balance", "credited", "unjustified", "negative_flex",
           "to_recover", "overtime_paid", "overtime_banked", "meal_vouchers")


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    message: str
    source_line: str = ""
    hint: str | None = None


class RulesRefused(OfficeError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"Il file di regole ha {len(problems)} errori",
                         f"The rule file has {len(problems)} errors")


def rule_versions(session: Session, institution_id: str) -> list[RuleVersion]:
    """The institution's rule files, drafts included, newest first."""
    return list(session.scalars(select(RuleVersion).where(
        RuleVersion.institution_id == institution_id).order_by(RuleVersion.id.desc())))


def check_rules(text: str, file_name: str, institution_id: str) -> list[Problem]:
    """Every problem of the file, sorted by place; empty when it can be activated."""
    try:
        policy = compile_source(text, file_name)
    except RuleError as exc:
        return sorted((Problem(d.line, d.column, d.message, d.source_line, d.hint)
                       for d in exc.diagnostics), key=lambda p: (p.line, p.column))
    if policy.institution_id != institution_id:
        return [Problem(1, 1, f"il file è per '{policy.institution_id}', non per "
                              f"'{institution_id}' / the file is for '{policy.institution_id}'"
                              f", not '{institution_id}'")]
    return []


def upload_rules(session: Session, actor: User, file_name: str, text: str, *,
                 now: datetime | None = None) -> RuleVersion:
    _admin(actor)
    problems = check_rules(text, file_name, actor.institution_id)
    if problems:
        raise RulesRefused(problems)
    row = RuleVersion(institution_id=actor.institution_id, file_name=file_name, source=text,
                      state="draft", uploaded_by=actor.id, uploaded_at=now or utcnow())
    session.add(row)
    session.flush()
    record(session, actor, "rules_uploaded", f"rules:{row.id}", {"file": file_name}, now=now)
    return row


@dataclass(frozen=True)
class Difference:
    employee_id: int
    number: str
    name: str
    old: dict[str, int]
    new: dict[str, int]
    error: str | None = None  # the new rules cannot evaluate this employee (missing profile)

    @property
    def changed(self) -> dict[str, tuple[int, int]]:
        return {k: (self.old[k], self.new.get(k, 0)) for k in self.old
                if self.old[k] != self.new.get(k, 0)}


class _Draft:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def on(self, institution_id: str, day: date) -> Policy | None:
        return self.policy


def dry_run(session: Session, actor: User, version_id: int, year: int | None = None,
            month: int | None = None, *, now: datetime | None = None) -> list[Difference]:
    """Old vs new figures per employee for a month (the last one unless given)."""
    _admin(actor)
    row = _version(session, actor, version_id)
    if year is None or month is None:
        today = (now or utcnow()).date()
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    draft = _Draft(compile_source(row.source, row.file_name))
    employees = list(session.scalars(select(Employee).where(
        Employee.institution_id == actor.institution_id, Employee.active.is_(True))
        .order_by(Employee.number)))
    old = evaluate_months(session, RulesInForce(session, [actor.institution_id]), employees,
                          year, month)
    out = []
    for employee in employees:
        before = {f: int(getattr(old[employee.id], f)) for f in FIGURES}
        before["anomalies"] = len(old[employee.id].anomalies)
        try:
            result = evaluate_months(session, draft, [employee], year, month)[employee.id]
        except OfficeError as exc:
            out.append(Difference(employee.id, employee.number, employee.name, before, {},
                                  str(exc)))
            continue
        after = {f: int(getattr(result, f)) for f in FIGURES}
        after["anomalies"] = len(result.anomalies)
        out.append(Difference(employee.id, employee.number, employee.name, before, after))
    return out


def activate(session: Session, actor: User, version_id: int, active_from: date, *,
             now: datetime | None = None) -> RuleVersion:
    _admin(actor)
    row = _version(session, actor, version_id)
    if row.state != "draft":
        raise OfficeError("Solo una bozza si può attivare", "Only a draft can be activated")
    if active_from.day != 1:
        raise OfficeError("Le regole si attivano dal primo giorno di un mese",
                          "Rules are activated from the first day of a month",
                          field="active_from")
    closed = session.scalar(select(MonthClose.id).where(
        MonthClose.institution_id == actor.institution_id,
        MonthClose.state.in_(("closing", "closed")),
        MonthClose.year * 12 + MonthClose.month >= active_from.year * 12 + active_from.month))
    if closed is not None:
        raise MonthClosed("Un mese chiuso non può cambiare regole: riaprilo prima",
                          "A closed month cannot change rules: reopen it first",
                          field="active_from")
    try:
        compile_source(row.source, row.file_name).version_on(active_from)
    except LookupError:
        raise OfficeError("Il file non ha regole in vigore dalla data scelta",
                          "The file has no rules in force from that date",
                          field="active_from") from None
    superseded = list(session.scalars(select(RuleVersion).where(
        RuleVersion.institution_id == actor.institution_id, RuleVersion.state == "active",
        RuleVersion.active_from >= active_from)))
    for old in superseded:
        old.state = "retired"
    row.state, row.active_from = "active", active_from
    session.flush()
    stale = [(actor.institution_id, employee_id, day) for employee_id, day in session.execute(
        select(DayResultRow.employee_id, DayResultRow.day)
        .join(Employee, Employee.id == DayResultRow.employee_id)
        .where(Employee.institution_id == actor.institution_id,
               DayResultRow.day >= active_from))]
    mark_dirty(session, stale, now or utcnow())
    forget_institution(session, actor.institution_id, active_from)  # the account too
    record(session, actor, "rules_activated", f"rules:{row.id}",
           {"active_from": active_from.isoformat(), "retired": [o.id for o in superseded],
            "days_to_recompute": len(stale)}, now=now)
    return row


def _admin(actor: User) -> None:
    if actor.role != "admin":
        raise NotAllowed("Solo l'amministratore gestisce i file di regole",
                         "Only the administrator manages rule files")


def _version(session: Session, actor: User, version_id: int) -> RuleVersion:
    row = session.get(RuleVersion, version_id)
    if row is None or row.institution_id != actor.institution_id:
        raise NotFound(f"File di regole {version_id} non trovato",
                       f"Rule file {version_id} not found")
    return row
