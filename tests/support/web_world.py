"""A small world for web tests: the demo of two institutions with their demo users, one
extra employee in another unit each, and logged-in TestClients per (institution, role).

Password hashing is made cheap here (argon2 with tiny costs): the tests exercise the flow,
not argon2's parameters, and a full-cost hash takes a quarter of a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient
from sqlalchemy.orm import Session

import server.office.passwords
from server.db import make_engine, upgrade
from server.db.directory import add_employee
from server.db.models import (
    Employee,
    Geofence,
    RuleVersion,
    Stamp,
    Terminal,
    TerminalFault,
    User,
)
from server.db.models import Request as RequestRow
from server.demo.load import load_demo
from server.demo.users import create_demo_users, demo_password
from server.office.accounts import add_user
from server.plugins import institutions
from server.web import create_app

INSTITUTIONS = ("university", "school")  # A and B of every cross-institution check
ROLES = ("employee", "manager", "office", "admin")
ANONYMOUS = "anonymous"
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@contextmanager
def cheap_hashing() -> Iterator[None]:
    saved = server.office.passwords.HASHER
    server.office.passwords.HASHER = CHEAP
    try:
        yield
    finally:
        server.office.passwords.HASHER = saved


@dataclass
class World:
    engine: sa.Engine
    app: Litestar
    today: date
    # (institution, role) → username; the demo password is demo_password(institution, role)
    usernames: dict[tuple[str, str], str] = field(default_factory=dict)
    # (institution, name) → employee id; names: self_employee (M001, the employee user),
    # manager_self (M002), unit_colleague (M003, the manager's unit), other_unit (M900)
    # Admin samples (other ids): terminal, fault (a report on it), rule_draft (a draft
    # rule version), spare_user (a user whose password the admin tests may reset),
    # leaver (M901, an employee already deactivated)
    employees: dict[tuple[str, str], int] = field(default_factory=dict)

    def client(self, stack: ExitStack) -> TestClient[Litestar]:
        """A TestClient, closed with `stack`, already holding a CSRF cookie (GET /login
        sets it). https, because the cookies are Secure and would not be sent over http."""
        client = stack.enter_context(TestClient(self.app, base_url="https://testserver.local"))
        client.get("/login")
        return client

    def login(self, client: TestClient[Litestar], institution: str, role: str,
              password: str | None = None) -> Any:
        return client.post("/login", data={
            "username": self.usernames[(institution, role)],
            "password": password or demo_password(institution, role),
            "_csrf_token": client.cookies.get("timbra_csrf", "")}, follow_redirects=False)

    def set_must_change(self, institution: str, role: str, value: bool) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(sa.update(User).where(
                User.username == self.usernames[(institution, role)]).values(
                must_change_password=value))


def build_world(engine: sa.Engine, data_dir: Path, *, must_change: bool = False) -> World:
    """Demo data, demo users (passwords already changed unless `must_change`), an app.
    Call it inside `cheap_hashing()` and keep that open while the world is used."""
    today = date.today()
    load_demo(engine, today)
    users = create_demo_users(engine)
    world = World(engine, create_app(engine, data_dir=data_dir, session_store=MemoryStore(),
                                     secret="x" * 40), today)
    with Session(engine) as session, session.begin():
        for user in users:
            world.usernames[(user.institution, user.role)] = user.username
        session.execute(sa.update(User).values(must_change_password=must_change))
        for institution in INSTITUTIONS:
            numbers = {number: id_ for number, id_ in session.execute(
                sa.select(Employee.number, Employee.id).where(
                    Employee.institution_id == institution))}
            other = add_employee(session, institution, "M900", "Altra Persona",
                                 unit="Altra unità")
            leaver = add_employee(session, institution, "M901", "Persona Uscita")
            leaver.active = False
            world.employees.update({
                (institution, "leaver"): leaver.id,
                (institution, "self_employee"): numbers["M001"],
                (institution, "manager_self"): numbers["M002"],
                (institution, "unit_colleague"): numbers["M003"],
                (institution, "other_unit"): other.id,
            })
            world.employees.update(_admin_samples(session, institution))
            world.employees.update(_request_samples(session, institution, world.employees))
    return world


def _admin_samples(session: Session, institution: str) -> dict[tuple[str, str], int]:
    """A terminal with a fault report, a draft rule file and a spare user, for the admin
    routes' path parameters."""
    now = datetime.now(UTC)
    admin = session.scalar(sa.select(User).where(User.institution_id == institution,
                                                 User.role == "admin"))
    terminal = session.scalar(sa.select(Terminal).where(Terminal.institution_id == institution)
                              .order_by(Terminal.id))
    assert admin is not None and terminal is not None
    fault = TerminalFault(institution_id=institution, terminal_id=terminal.id,
                          description="spento / off", contact_name="Referente", state="open",
                          history=[], reported_by=admin.id, reported_at=now, updated_at=now)
    spec = institutions()[institution]
    draft = RuleVersion(institution_id=institution, file_name=spec.rule_file.name,
                        source=spec.rule_file.read_text(encoding="utf-8"), state="draft",
                        uploaded_by=admin.id, uploaded_at=now)
    spare = add_user(session, institution, f"{institution}.spare", "office").user
    session.add_all([fault, draft])
    session.flush()
    return {(institution, "terminal"): terminal.id, (institution, "fault"): fault.id,
            (institution, "rule_draft"): draft.id, (institution, "spare_user"): spare.id}


def _request_samples(session: Session, institution: str,
                     known: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """For the request, approval, correction and area routes: requests already decided or
    withdrawn (so the access walk's POSTs change nothing), a stamp, a stamping area."""
    now = datetime.now(UTC)
    user = session.scalar(sa.select(User).where(User.institution_id == institution,
                                                User.role == "employee"))
    assert user is not None
    day = now.date().replace(day=1)

    def request(employee: str, state: str) -> RequestRow:
        return RequestRow(institution_id=institution, employee_id=known[(institution, employee)],
                          kind="justification", code="X", day=day, notes="campione / sample",
                          attachment_name="certificato.pdf", attachment=b"%PDF-1.4 sample",
                          state=state, created_by=user.id, created_at=now)

    own, colleague = request("self_employee", "withdrawn"), request("unit_colleague", "rejected")
    # A missed stamp: whatever the codes' `approval`, the unit's manager may decide it.
    colleague.kind, colleague.code, colleague.start_minute, colleague.direction = (
        "missed_stamp", None, 8 * 60, "in")
    area = Geofence(institution_id=institution, name="Sede / Main site", latitude=45.46,
                    longitude=9.19, radius_m=200)
    session.add_all([own, colleague, area])
    session.flush()
    stamp = session.scalar(sa.select(Stamp.id).where(
        Stamp.employee_id == known[(institution, "self_employee")]).order_by(Stamp.id))
    assert stamp is not None
    return {(institution, "own_request"): own.id, (institution, "colleague_request"): colleague.id,
            (institution, "self_stamp"): stamp, (institution, "area"): area.id}


def other(institution: str) -> str:
    return INSTITUTIONS[1 - INSTITUTIONS.index(institution)]


@contextmanager
def fresh_world(folder: Path) -> Iterator[World]:
    """A migrated SQLite database in `folder` holding the demo world; hashing stays cheap
    while it lives, and the engine is released afterwards."""
    engine = make_engine(f"sqlite:///{folder}/timbra.db")
    upgrade(engine)
    try:
        with cheap_hashing():
            yield build_world(engine, folder)
    finally:
        engine.dispose()
