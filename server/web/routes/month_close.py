"""Chiusura del mese / Month close: check it, start it, watch its progress bar, see the
figures it stored, reopen it (audited).

The pre-check page lists each employee's pending requests and open anomalies; closing
over them needs a reason. Starting checks, takes the snapshot of the employees and locks
the month in the request (so a refusal shows at once); the evaluation of every employee
then runs in a background thread that commits after each batch, and the page polls
`/api/v1/closes/{month}` for `done`/`total`. The thread lives in this server process: if
the process stops midway the month stays "closing" (locked, nothing lost) and the page
offers to resume it from the first employee not yet evaluated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Annotated

from litestar import get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from server.db.models import User
from server.errors import OfficeError
from server.i18n.current import N_, gettext
from server.office import closing
from server.web.dependencies import AuthUser, DbSession, after_commit
from server.web.errors import status_of
from server.web.guards import MANAGER, OFFICE, allow
from server.web.identity import CurrentUser
from server.web.language import said
from server.web.office_calls import acting_user, month_of, previous_month
from server.web.routing import together

OFFICE_ONLY = allow(OFFICE)
LOG = logging.getLogger(__name__)
BATCH = 50
_running: set[tuple[str, int, int]] = set()
# The last error of a close, until retried; worded when shown, in that reader's language.
_failed: dict[tuple[str, int, int], Callable[[], str]] = {}
_running_lock = threading.Lock()
INTERNAL = N_("Internal error: %(error)s")


@dataclass(frozen=True)
class CloseProgress:
    month: str
    state: str | None  # None (never closed), closing, closed, reopened
    done: int
    total: int
    percent: int
    running: bool  # a thread of this server is working on it now
    error: str | None  # why the last run stopped before the end (the month stays locked)


@dataclass
class MonthForm:
    month: str = ""
    reason: str = ""


@dataclass(frozen=True)
class PrecheckView:
    month: str
    clear: bool  # nothing open: the close needs no reason
    pending_requests: int
    open_anomalies: int
    employees: list[closing.OpenItems]  # only those with something open


def _precheck_view(check: closing.Precheck) -> PrecheckView:
    return PrecheckView(check.month, check.clear, check.pending_requests,
                        check.open_anomalies, check.employees)


def _progress(db: Session, institution_id: str, year: int, month: int) -> CloseProgress:
    p = closing.close_progress(db, institution_id, year, month)
    with _running_lock:
        running = (institution_id, year, month) in _running
        failed = _failed.get((institution_id, year, month))
    error = failed() if failed else None
    return CloseProgress(f"{year:04d}-{month:02d}", p.state, p.done, p.total, p.percent,
                         running, error)


def _run(engine: Engine, user_id: int, year: int, month: int) -> None:
    key: tuple[str, int, int] | None = None
    try:
        with Session(engine, expire_on_commit=False) as session:
            actor = session.get(User, user_id)
            assert actor is not None
            key = (actor.institution_id, year, month)
            closing.close_month(session, actor, year, month, batch=BATCH)
    except OfficeError as error:  # e.g. an employee whose profile the rules lack
        with _running_lock:
            _failed[key or ("", year, month)] = partial(said, error)
    except Exception as error:  # nobody to raise it to: the log and the page say it
        LOG.exception("month close %04d-%02d failed", year, month)
        with _running_lock:
            _failed[key or ("", year, month)] = partial(gettext, INTERNAL, error=repr(error))
    finally:
        with _running_lock:
            _running.discard(key or ("", year, month))


def start_in_background(engine: Engine, user: CurrentUser, year: int, month: int) -> bool:
    """Run (or resume) the close in a thread, unless this server already runs it."""
    key = (user.institution_id, year, month)
    with _running_lock:
        if key in _running:
            return False
        _running.add(key)
        _failed.pop(key, None)
    threading.Thread(target=_run, args=(engine, user.id, year, month), daemon=True,
                     name=f"close-{year:04d}-{month:02d}").start()
    return True


def _page(db: Session, user: CurrentUser, month: str | None, *,
          error: OfficeError | None = None, status_code: int = 200) -> Template:
    today = date.today()
    try:
        year, number = month_of(month or previous_month(today), today)
    except OfficeError as bad:
        year, number, error, status_code = today.year, today.month, bad, 400
    history = closing.close_history(db, user.institution_id)
    progress = _progress(db, user.institution_id, year, number)
    figures = closing.close_figures(db, acting_user(db, user), year, number) \
        if progress.state == "closed" else []
    return Template("office_close.html", status_code=status_code, context={
        "progress": progress, "history": history, "figures": figures, "error": error})


def _check_page(db: Session, user: CurrentUser, month: str, *, reason: str = "",
                error: OfficeError | None = None, status_code: int = 200) -> Template:
    year, number = month_of(month, date.today())
    check = closing.precheck(db, acting_user(db, user), year, number)
    return Template("office_close_check.html", status_code=status_code, context={
        "check": check, "reason": reason, "reason_max": closing.REASON_MAX, "error": error})


@get("/office/close", opt=OFFICE_ONLY, sync_to_thread=True)
def close_page(db: DbSession, user: AuthUser, month: FromQuery[str | None] = None) -> Template:
    """The month's state, the progress bar while closing, the reopen form once closed."""
    return _page(db, user, month)


@get("/office/close/check", opt=OFFICE_ONLY, sync_to_thread=True)
def check_page(db: DbSession, user: AuthUser, month: FromQuery[str | None] = None,
               ) -> Template:
    """Before closing: each employee's pending requests and open anomalies, and the form
    that closes (with a reason when anything is open)."""
    try:
        return _check_page(db, user, month or previous_month(date.today()))
    except OfficeError as error:
        return _page(db, user, None, error=error, status_code=status_of(error))


@post("/office/close", opt=OFFICE_ONLY, sync_to_thread=True)
def start_close(db: DbSession, user: AuthUser, state: State,
                data: Annotated[MonthForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                ) -> Template | Redirect:
    """Begin (or resume an interrupted) close; the page then shows its progress."""
    try:
        with db.begin_nested():
            year, number = month_of(data.month, date.today())
            progress = closing.close_progress(db, user.institution_id, year, number)
            if progress.state != "closing":
                closing.begin_close(db, acting_user(db, user), year, number, reason=data.reason)
    except OfficeError as error:
        if error.field == "reason":  # back to the list, with what was typed
            return _check_page(db, user, data.month, reason=data.reason[:closing.REASON_MAX],
                               error=error, status_code=status_of(error))
        return _page(db, user, data.month, error=error, status_code=status_of(error))
    after_commit(db, lambda: start_in_background(state.engine, user, year, number))
    return Redirect(f"/office/close?month={year:04d}-{number:02d}", status_code=303)


@post("/office/close/reopen", opt=OFFICE_ONLY, sync_to_thread=True)
def reopen(db: DbSession, user: AuthUser,
           data: Annotated[MonthForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
           ) -> Template | Redirect:
    """Unlock a closed month; the reason goes to the audit log with who and when."""
    try:
        with db.begin_nested():
            year, number = month_of(data.month, date.today())
            closing.reopen(db, acting_user(db, user), year, number, data.reason)
    except OfficeError as error:
        return _page(db, user, data.month, error=error, status_code=status_of(error))
    return Redirect(f"/office/close?month={year:04d}-{number:02d}", status_code=303)


@get("/api/v1/closes/{month:str}", opt=allow(OFFICE, MANAGER), sync_to_thread=True)
def close_progress_api(db: DbSession, user: AuthUser, month: FromPath[str]) -> CloseProgress:
    """The close of `month` (YYYY-MM) in the user's institution: state, employees done of
    total, percent. Small on purpose: the close page polls it every second."""
    year, number = month_of(month, date.today())
    return _progress(db, user.institution_id, year, number)


@dataclass
class Reason:
    reason: str


@dataclass
class CloseRequest:
    reason: str = ""  # required when the pre-check finds anything open


@get("/api/v1/closes/{month:str}/precheck", opt=OFFICE_ONLY, sync_to_thread=True)
def precheck_api(db: DbSession, user: AuthUser, month: FromPath[str]) -> PrecheckView:
    """Per employee, the pending requests and open anomalies of `month`: with any, the
    close needs a `reason`."""
    year, number = month_of(month, date.today())
    return _precheck_view(closing.precheck(db, acting_user(db, user), year, number))


@get("/api/v1/closes/{month:str}/figures", opt=OFFICE_ONLY, sync_to_thread=True)
def figures_api(db: DbSession, user: AuthUser,
                month: FromPath[str]) -> list[closing.EmployeeFigures]:
    """The month's figures per employee as the close stored them (minutes; meal vouchers
    and anomalies are counts); empty before the close evaluates anyone."""
    year, number = month_of(month, date.today())
    return closing.close_figures(db, acting_user(db, user), year, number)


@post("/api/v1/closes/{month:str}", opt=OFFICE_ONLY, sync_to_thread=True, status_code=202)
def start_close_api(db: DbSession, user: AuthUser, state: State, month: FromPath[str],
                    data: JSONBody[CloseRequest | None] = None) -> CloseProgress:
    """Begin (or resume) closing `month`; 202 at once, then poll GET for the progress.
    With pending requests or open anomalies (see `/precheck`) a `reason` is required."""
    year, number = month_of(month, date.today())
    if closing.close_progress(db, user.institution_id, year, number).state != "closing":
        closing.begin_close(db, acting_user(db, user), year, number,
                            reason=data.reason if data else None)
    after_commit(db, lambda: start_in_background(state.engine, user, year, number))
    # running: this server's thread starts (or goes on) as soon as the close is committed
    return replace(_progress(db, user.institution_id, year, number), running=True)


@post("/api/v1/closes/{month:str}/reopen", opt=OFFICE_ONLY, sync_to_thread=True,
      status_code=200)
def reopen_api(db: DbSession, user: AuthUser, month: FromPath[str],
               data: JSONBody[Reason]) -> CloseProgress:
    """Unlock a closed month; `reason` is required and audited."""
    year, number = month_of(month, date.today())
    closing.reopen(db, acting_user(db, user), year, number, data.reason)
    return _progress(db, user.institution_id, year, number)


ROUTES = together(close_page, check_page, start_close, reopen, close_progress_api, precheck_api,
                  figures_api, start_close_api, reopen_api, tag="Office: month close")
