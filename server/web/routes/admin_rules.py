"""Rule files: upload → check (each error at file:line:col with its source line and a caret)
→ dry run of a month (the last one by default) under the new rules, the differences per
employee → activate from the first day of a month (`server.office.rules_upload`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated

from litestar import get, post
from litestar.datastructures import State, UploadFile
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from dsl.errors import M
from dsl.vocabulary import MINUTE_FIGURES
from server.db.models import RuleVersion
from server.i18n.current import N_, gettext
from server.office.rules_upload import (
    Difference,
    activate,
    check_rules,
    dry_run,
    rule_versions,
    upload_rules,
)
from server.web.dependencies import AuthUser, DbSession, after_commit
from server.web.guards import ADMIN, allow
from server.web.office_calls import acting_user, month_of
from server.web.routing import FORM, UPLOAD, together
from server.web.scope import mine
from server.web.wording import rule_args, say_rule

MAX_RULES_BYTES = 512 * 1024  # the largest seed file is a few KiB
# How the dry run names each figure it compares; which are minutes comes from the one
# declaration of the figures (`dsl.vocabulary`), the rest are counts.
FIGURE_WORDS = {
    "worked": N_("worked"), "due": N_("due"), "balance": N_("balance"),
    "credited": N_("credited"), "unjustified": N_("unjustified"),
    "negative_flex": N_("negative flex"),
    "to_recover": N_("to recover"), "overtime_paid": N_("overtime paid"),
    "overtime_banked": N_("overtime banked"),
    "meal_vouchers": N_("meal vouchers"), "anomalies": N_("anomalies")}
# A version's state as the pages word it: the stored word is English.
RULE_STATES = {"draft": N_("draft"), "active": N_("active"), "retired": N_("retired")}


@dataclass(frozen=True)
class RuleProblem:
    """One error of a rule file, where it is written and how it reads there."""

    file: str
    line: int
    column: int
    message: str
    source_line: str
    caret: str  # spaces then "^" under the column, for a monospaced display
    hint: str | None
    # `message` and `hint` are in the request's language; a client that words them itself
    # finds the English message ids (`str.format` templates) and their arguments here.
    message_id: str | None = None
    args: list[str] = field(default_factory=list)
    hint_id: str | None = None
    hint_args: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class RuleVersionView:
    id: int
    file_name: str
    state: str  # draft, active, retired
    active_from: date | None
    uploaded_at: datetime


@dataclass(frozen=True)
class FigureChange:
    figure: str
    old: int
    new: int


@dataclass(frozen=True)
class EmployeeDifference:
    employee_id: int
    number: str
    name: str
    changes: list[FigureChange]  # empty: the new rules give the same month
    error: str | None  # the new rules cannot evaluate this employee (missing profile, …)


@dataclass(frozen=True)
class DryRun:
    version_id: int
    month: str
    employees: list[EmployeeDifference]


@dataclass
class RulesText:
    file_name: str
    text: str


@dataclass
class UploadForm:
    file: UploadFile | None = None
    text: str = ""
    file_name: str = ""


@dataclass
class ActivateForm:
    active_from: str = ""


@dataclass
class ActivateRequest:
    active_from: date


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    problems: list[RuleProblem] = field(default_factory=list)


def problems_of(text: str, file_name: str, institution_id: str) -> list[RuleProblem]:
    """The file's problems, worded in the reader's language."""
    return [RuleProblem(file_name, p.line, p.column, say_rule(p.message) or "", p.source_line,
                        " " * max(p.column - 1, 0) + "^", say_rule(p.hint),
                        _template(p.message), rule_args(p.message), _template(p.hint),
                        rule_args(p.hint))
            for p in check_rules(text, file_name, institution_id)]


def _template(text: str | None) -> str | None:
    return text.template if isinstance(text, M) else None


def versions(db: Session, institution_id: str) -> list[RuleVersionView]:
    return [_view(r) for r in rule_versions(db, institution_id)]


def _view(row: RuleVersion) -> RuleVersionView:
    return RuleVersionView(row.id, row.file_name, row.state, row.active_from, row.uploaded_at)


def store(db: Session, user: AuthUser, file_name: str, text: str) -> RuleVersionView:
    """Check, then keep as a draft; 400 with the problems when it does not check."""
    file_name = (file_name.strip() or "regole.rules")[:200]
    problems = problems_of(text, file_name, user.institution_id)
    if problems:
        # Refusals are answered as {status_code, detail}: the places go in the detail.
        raise ValidationException(gettext(
            "The rule file has errors: %(problems)s",
            problems="; ".join(f"{p.where}: {p.message}" for p in problems)))
    row = upload_rules(db, acting_user(db, user), file_name, text)
    return _view(row)


def run_dry(db: Session, user: AuthUser, version_id: int, month: str | None) -> DryRun:
    mine(db, RuleVersion, version_id, user)
    wanted = month_of(month, date.today()) if month else None
    savepoint = db.begin_nested()
    try:
        found = dry_run(db, acting_user(db, user), version_id, *(wanted or (None, None)))
    except LookupError:  # neither file has rules in force in that month
        raise ValidationException(gettext("No rules in force in that month.")) from None
    finally:
        savepoint.rollback()  # a dry run writes nothing, whatever the evaluation touched
    label = f"{wanted[0]:04d}-{wanted[1]:02d}" if wanted else _last_month()
    return DryRun(version_id, label, [_difference(d) for d in found])


def _last_month() -> str:
    today = date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _difference(d: Difference) -> EmployeeDifference:
    changes = [FigureChange(k, old, new) for k, (old, new) in d.changed.items()]
    return EmployeeDifference(d.employee_id, d.number, d.name, [] if d.error else changes,
                              d.error)


def switch_on(db: Session, user: AuthUser, version_id: int, active_from: date,
              state: State) -> RuleVersionView:
    mine(db, RuleVersion, version_id, user)
    row = activate(db, acting_user(db, user), version_id, active_from)
    after_commit(db, state.day_worker.kick)  # the days the activation marked dirty
    return _view(row)


def _page(db: Session, user: AuthUser, *, problems: list[RuleProblem] | None = None,
          text: str = "", file_name: str = "", status: int = 200) -> Template:
    return Template("admin_rules.html", status_code=status, context={
        "versions": versions(db, user.institution_id), "problems": problems or [],
        "states": RULE_STATES,
        "text": text, "file_name": file_name})


@get("/admin/rules", opt=allow(ADMIN), sync_to_thread=True)
def rules_page(db: DbSession, user: AuthUser) -> Template:
    return _page(db, user)


@post("/admin/rules", opt=allow(ADMIN), sync_to_thread=True, status_code=303)
def upload_page(db: DbSession, user: AuthUser,
                data: Annotated[UploadForm, UPLOAD]) -> Template | Redirect:
    text, name = data.text, data.file_name
    if data.file is not None and data.file.filename:
        raw = data.file.file.read(MAX_RULES_BYTES + 1)
        # The chosen file's own name: the name field is for pasted text, and after a refusal
        # it still holds the refused file's name, which its problems would then cite.
        name = data.file.filename
        try:
            text = raw.decode("utf-8-sig") if len(raw) <= MAX_RULES_BYTES else ""
        except UnicodeDecodeError:
            text = ""
    if not text.strip():
        return _page(db, user, status=400, file_name=name, problems=[RuleProblem(
            name or "?", 1, 1, gettext("empty, not UTF-8 or too large"), "", "^", None)])
    name = (name.strip() or "regole.rules")[:200]
    problems = problems_of(text, name, user.institution_id)
    if problems:
        return _page(db, user, problems=problems, text=text, file_name=name, status=400)
    made = store(db, user, name, text)
    return Redirect(f"/admin/rules/{made.id}", status_code=303)


@get("/admin/rules/{version_id:int}", opt=allow(ADMIN), sync_to_thread=True)
def version_page(db: DbSession, user: AuthUser, version_id: FromPath[int]) -> Template:
    """A rule file, the form of its dry run and of its activation."""
    row = mine(db, RuleVersion, version_id, user)
    return Template("admin_rule.html", context={
        "v": _view(row), "source": row.source, "dry": None, "words": FIGURE_WORDS,
        "states": RULE_STATES,
        "minutes": MINUTE_FIGURES, "last_month": _last_month()})


@get("/admin/rules/{version_id:int}/dry-run", opt=allow(ADMIN), sync_to_thread=True)
def dry_run_page(db: DbSession, user: AuthUser, version_id: FromPath[int],
                 month: FromQuery[str | None] = None) -> Template:
    dry = run_dry(db, user, version_id, month)
    row = mine(db, RuleVersion, version_id, user)
    return Template("admin_rule.html", context={
        "v": _view(row), "source": row.source, "dry": dry, "words": FIGURE_WORDS,
        "states": RULE_STATES,
        "minutes": MINUTE_FIGURES, "last_month": dry.month})


@post("/admin/rules/{version_id:int}/activate", opt=allow(ADMIN), sync_to_thread=True,
      status_code=303)
def activate_page(db: DbSession, user: AuthUser, version_id: FromPath[int],
                  data: Annotated[ActivateForm, FORM], state: State) -> Redirect:
    try:
        active_from = date.fromisoformat(data.active_from)
    except ValueError:
        raise ValidationException(gettext("Invalid date (YYYY-MM-DD).")) from None
    switch_on(db, user, version_id, active_from, state)
    return Redirect("/admin/rules", status_code=303)


@get("/api/v1/admin/rules", opt=allow(ADMIN), sync_to_thread=True)
def rules_api(db: DbSession, user: AuthUser) -> list[RuleVersionView]:
    """The uploaded rule files of the institution, newest first."""
    return versions(db, user.institution_id)


@post("/api/v1/admin/rules/check", opt=allow(ADMIN), sync_to_thread=True, status_code=200)
def check_api(user: AuthUser, data: JSONBody[RulesText]) -> CheckResult:
    """Check a rule file without keeping it: every problem at file:line:col."""
    _refuse_too_large(data.text)
    problems = problems_of(data.text, data.file_name or "regole.rules", user.institution_id)
    return CheckResult(not problems, problems)


@post("/api/v1/admin/rules", opt=allow(ADMIN), sync_to_thread=True)
def upload_api(db: DbSession, user: AuthUser, data: JSONBody[RulesText]) -> RuleVersionView:
    """Upload a rule file: checked, then kept as a draft (400 with the problems if not)."""
    _refuse_too_large(data.text)
    return store(db, user, data.file_name, data.text)


def _refuse_too_large(text: str) -> None:
    """The check refuses what the upload would: a check of the first 512 KB of a larger
    file said "valid" about a file that can never be stored."""
    if len(text.encode("utf-8")) > MAX_RULES_BYTES:
        raise HTTPException(status_code=413, detail=gettext(
            "File too large (at most %(size)s KB)", size=MAX_RULES_BYTES // 1024))


@get("/api/v1/admin/rules/{version_id:int}/dry-run", opt=allow(ADMIN), sync_to_thread=True)
def dry_run_api(db: DbSession, user: AuthUser, version_id: FromPath[int],
                month: FromQuery[str | None] = None) -> DryRun:
    """Each employee's month (`YYYY-MM`, default last month) under the rules in force and
    under this file: the figures that differ."""
    return run_dry(db, user, version_id, month)


@post("/api/v1/admin/rules/{version_id:int}/activate", opt=allow(ADMIN), sync_to_thread=True,
      status_code=200)
def activate_api(db: DbSession, user: AuthUser, version_id: FromPath[int],
                 data: JSONBody[ActivateRequest], state: State) -> RuleVersionView:
    """Put a draft in force from the first day of a month that is not closed; the stored
    day results from that date are recomputed in the background."""
    return switch_on(db, user, version_id, data.active_from, state)


ROUTES = together(rules_page, upload_page, version_page, dry_run_page, activate_page, rules_api,
                  check_api, upload_api, dry_run_api, activate_api, tag="Admin: rule files")
