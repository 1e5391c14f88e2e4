"""The web as a thin adapter: one mapping from the office's refusals to HTTP (a page gets
the error page, the API gets JSON with the field), one status for a closed month through
any route, and one unit of work that commits what a handler did or, if it raised, nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar import Litestar, get
from litestar.testing import TestClient
from sqlalchemy.orm import Session
from web_pages import form, json_headers, signed_in
from world import WebWorld, fresh_web_world

from server.db.models import AuditEntry, MonthClose, User
from server.errors import OfficeError
from server.office.audit import record
from server.web.dependencies import AFTER_COMMIT, DbSession, after_commit, provide_db
from server.web.errors import office_refusal


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path) as world:
        yield world


def _close(world: WebWorld, institution: str, day: date) -> None:
    with Session(world.engine) as session, session.begin():
        admin = session.scalar(sa.select(User).where(
            User.username == world.usernames[(institution, "office")]))
        assert admin is not None
        session.add(MonthClose(institution_id=institution, year=day.year, month=day.month,
                               state="closed", started_by=admin.id,
                               started_at=datetime.now(UTC), closed_at=datetime.now(UTC)))


def test_a_closed_month_is_409_through_a_request_and_a_rule_activation_page_or_api(
        world: WebWorld, stack: ExitStack) -> None:
    first = date.today().replace(day=1)
    _close(world, "school", first)
    employee = signed_in(world, stack, "school", "employee")
    filed = employee.post("/api/v1/requests", json={
        "kind": "justification", "day": first.isoformat(), "code": "20",
        "start": "18:00", "end": "19:00"}, headers=json_headers(employee))
    assert filed.status_code == 409 and "chiuso" in filed.json()["detail"]
    admin = signed_in(world, stack, "school", "admin")
    draft = world.ids[("school", "rule_draft")]
    activated = admin.post(f"/api/v1/admin/rules/{draft}/activate",
                           json={"active_from": first.isoformat()},
                           headers=json_headers(admin))
    assert activated.status_code == 409
    assert activated.json()["field"] == "active_from" and "chiuso" in activated.json()["detail"]
    page = admin.post(f"/admin/rules/{draft}/activate",
                      data=form(admin, active_from=first.isoformat()))
    assert page.status_code == 409 and "chiuso" in page.text


def test_a_refusal_is_json_with_its_field_for_the_api_and_the_error_page_for_a_page(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    api = office.get("/api/v1/reports/balances?month=2026-13")
    assert api.status_code == 400
    assert api.json()["field"] == "month" and "Mese non valido" in api.json()["detail"]
    page = office.get("/reports/balances/csv?month=2026-13")
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "Mese non valido" in page.text and "Torna alla home" in page.text


def test_a_page_shows_its_form_with_the_refusal(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    before = _audit_count(world.engine)
    refused = office.post("/office/fees", data=form(
        office, employee_id=str(world.ids[("university", "self_employee")]),
        reason="not a reason"))
    assert refused.status_code == 400 and "<form" in refused.text
    assert _audit_count(world.engine) == before


def _audit_count(engine: sa.Engine) -> int:
    with Session(engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0


@get("/api/flush-then-refuse", sync_to_thread=True)
def flush_then_refuse(db: DbSession) -> None:
    record(db, None, "uow_probe_refused", "probe", institution_id="school")  # flushed
    raise OfficeError("Rifiutato dopo la scrittura", "Refused after the write")


@get("/api/flush-then-crash", sync_to_thread=True)
def flush_then_crash(db: DbSession) -> None:
    record(db, None, "uow_probe_crashed", "probe", institution_id="school")
    raise RuntimeError("a bug after the service flushed")


@get("/page/refused-form", sync_to_thread=True)
def refused_form(db: DbSession) -> str:
    """As a page does: the refused change in a savepoint, then the form shown again."""
    try:
        with db.begin_nested():
            record(db, None, "uow_probe_undone", "probe", institution_id="school")
            raise OfficeError("Rifiutato", "Refused")
    except OfficeError as error:
        record(db, None, "uow_probe_page_shown", "probe", institution_id="school")
        return f"form with {error.english}"


@get("/api/flush-then-return", sync_to_thread=True)
def flush_then_return(db: DbSession) -> dict[str, bool]:
    record(db, None, "uow_probe_kept", "probe", institution_id="school")
    after_commit(db, lambda: SEEN_AFTER_COMMIT.extend(_probes(db.get_bind())))
    return {"queued": AFTER_COMMIT in db.info}


SEEN_AFTER_COMMIT: list[str] = []  # what an after-commit action read from the database


def _probes(engine: object) -> list[str]:
    assert isinstance(engine, sa.Engine)
    with Session(engine) as session:
        return list(session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.action.startswith("uow_probe"))))


def test_the_unit_of_work_commits_a_returning_handler_and_nothing_of_a_raising_one(
        db_engine: sa.Engine) -> None:
    SEEN_AFTER_COMMIT.clear()
    app = Litestar([flush_then_refuse, flush_then_crash, flush_then_return, refused_form],
                   dependencies={"db": provide_db},
                   exception_handlers={OfficeError: office_refusal})
    app.state.engine = db_engine
    with TestClient(app) as client:
        refused = client.get("/api/flush-then-refuse")
        assert refused.status_code == 400 and refused.json()["field"] is None
        assert client.get("/api/flush-then-crash").status_code == 500
        assert _probes(db_engine) == []
        assert client.get("/api/flush-then-return").json() == {"queued": True}
        assert SEEN_AFTER_COMMIT == ["uow_probe_kept"]  # committed before it ran
        assert client.get("/page/refused-form").text == "form with Refused"
    assert sorted(_probes(db_engine)) == ["uow_probe_kept", "uow_probe_page_shown"]
