"""The world a test stands in, for every area: institutions, their people, an app.

`World` is one institution being built in a session, its employees and users known by a
short name, its stamps typed as text; `world()` casts the office's small institution.
`WebWorld` is the demo of two institutions behind a Litestar app; the people and samples it
adds to the demo are added through `World`, and it knows them by `(institution, sample)`
in `ids`. An office world that needs the web signs in with `open_client` and `log_in`.

Password hashing is made cheap here (argon2 with tiny costs): the tests exercise the flow,
not argon2's parameters, and a full-cost hash takes a quarter of a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from argon2 import PasswordHasher
from databases import TEMPLATES, Template, copy_sqlite
from litestar import Litestar
from litestar.middleware.session.base import BaseSessionBackend
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient
from sqlalchemy.orm import Session

import server.office.passwords
from server.db import make_engine
from server.db.directory import add_employee, ensure_institution
from server.db.models import Employee, Geofence, RuleVersion, Stamp, Terminal, TerminalFault, User
from server.db.models import Request as RequestRow
from server.demo.load import load_demo
from server.demo.users import create_demo_users, demo_password
from server.plugins import institutions
from server.web.app import SESSION_COOKIE, bind_run, create_app
from server.web.identity import load_user

ROME = ZoneInfo("Europe/Rome")
INSTITUTIONS = ("university", "school")  # A and B of every cross-institution check
ROLES = ("employee", "manager", "office", "admin")
ANONYMOUS = "anonymous"
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def at(day: date, clock: str) -> datetime:
    """A local wall-clock moment in Rome, as an aware UTC datetime."""
    return datetime.combine(day, time()).replace(tzinfo=ROME).astimezone(UTC) + timedelta(
        minutes=hm(clock))


@dataclass
class World:
    session: Session
    institution: str
    employees: dict[str, Employee] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    seq: int = 0

    def employee(self, key: str, *, profile: str = "full_time", unit: str | None = "lab",
                 category: str | None = None, number: str | None = None,
                 name: str | None = None) -> Employee:
        """Number and name default to the key: "ann" is ANN, Ann."""
        employee = add_employee(self.session, self.institution, number or key.upper(),
                                name or key.title(), profile=profile, unit=unit,
                                category=category)
        self.employees[key] = employee
        return employee

    def user(self, key: str, role: str, *, employee: str | None = None,
             unit: str | None = None) -> User:
        user = User(institution_id=self.institution, username=f"{self.institution}.{key}",
                    display_name=key.title(), role=role, unit=unit,
                    employee_id=self.employees[employee].id if employee else None,
                    password_hash="x", must_change_password=False, failed_logins=0,
                    active=True, created_at=datetime(2026, 1, 1, tzinfo=UTC))
        self.session.add(user)
        self.session.flush()
        self.users[key] = user
        return user

    def stamps(self, key: str, day: date, text: str) -> None:
        """'in 08:00, out 12:00 code 29' as terminal stamps."""
        for item in text.split(","):
            words = item.split()
            direction, clock = words[0], words[1]
            code = words[3] if len(words) > 3 else None
            self.seq += 1
            moment = at(day, clock)
            self.session.add(Stamp(
                institution_id=self.institution, source="terminal", employee_id=
                self.employees[key].id, terminal_time=moment, received_at=moment,
                local_date=day, local_minute=hm(clock), direction=direction, code=code,
                flags="", void=False, terminal_stamp_id=f"w{self.seq}"))
        self.session.flush()


def world(session: Session, institution: str) -> World:
    """Ann (lab), Bob (lab), Cat (library); a manager of each unit; the office; an admin."""
    ensure_institution(session, institution, institution.title())
    w = World(session, institution)
    w.employee("ann", unit="lab")
    w.employee("bob", unit="lab")
    w.employee("cat", unit="library")
    w.user("ann", "employee", employee="ann")
    w.user("bob", "employee", employee="bob")
    w.user("cat", "employee", employee="cat")
    w.user("lab_head", "manager", unit="lab")
    w.user("library_head", "manager", unit="library")
    w.user("office", "office")
    w.user("admin", "admin")
    session.commit()
    return w


# ---- the web ------------------------------------------------------------------------------


@contextmanager
def cheap_hashing() -> Iterator[PasswordHasher]:
    saved = server.office.passwords.HASHER
    server.office.passwords.HASHER = CHEAP
    try:
        yield CHEAP
    finally:
        server.office.passwords.HASHER = saved


SECRET = "x" * 40


def app_on(engine: sa.Engine, data_dir: Path) -> Litestar:
    return create_app(engine, data_dir=data_dir, session_store=MemoryStore(), secret=SECRET)


# Apps `app_on` built, waiting to be lent again. Building one is Litestar registering every
# route (~0.4 s, and most web tests paid it); what a test can change of an app is the run it
# serves, and `bind_run` gives a lent one all of that afresh, as `create_app` does.
_SPARE_APPS: list[Litestar] = []


@contextmanager
def lent_app(engine: sa.Engine, data_dir: Path) -> Iterator[Litestar]:
    """What `app_on` returns, on `engine`, from the spare apps when one is free: its
    sessions, throttles, day worker and settings are new, only its routes were used before.
    Lent to one holder at a time, so two worlds alive together have an app each."""
    if _SPARE_APPS:
        app = _SPARE_APPS.pop()
        bind_run(app, engine, data_dir=data_dir, session_store=MemoryStore())
    else:
        app = app_on(engine, data_dir)
    try:
        yield app
    finally:
        _SPARE_APPS.append(app)


def open_client(app: Litestar, stack: ExitStack) -> TestClient[Litestar]:
    """A TestClient, closed with `stack`, already holding a CSRF cookie (GET /login sets
    it). https, because the cookies are Secure and would not be sent over http."""
    client = stack.enter_context(TestClient(app, base_url="https://testserver.local"))
    client.get("/login")
    return client


def log_in(client: TestClient[Litestar], username: str, password: str) -> Any:
    return client.post("/login", data={
        "username": username, "password": password,
        "_csrf_token": client.cookies.get("timbra_csrf", "")}, follow_redirects=False)


@dataclass
class WebWorld:
    engine: sa.Engine
    app: Litestar
    today: date
    # (institution, role) → username; the demo password is demo_password(institution, role)
    usernames: dict[tuple[str, str], str] = field(default_factory=dict)
    # (institution, sample) → id. Employees: self_employee (M001, the employee user),
    # manager_self (M002), unit_colleague (M003, the manager's unit), other_unit (M900),
    # leaver (M901, an employee already deactivated). Admin samples: terminal, fault (a
    # report on it), rule_draft (a draft rule version), spare_user (a user whose password
    # the admin tests may reset). Request samples: own_request, colleague_request,
    # self_stamp, area.
    ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def client(self, stack: ExitStack) -> TestClient[Litestar]:
        return open_client(self.app, stack)

    def login(self, client: TestClient[Litestar], institution: str, role: str,
              password: str | None = None) -> Any:
        return log_in(client, self.usernames[(institution, role)],
                      password or demo_password(institution, role))

    def signed_in(self, client: TestClient[Litestar]) -> bool:
        """Whether the client's next request comes from a logged-in user: the question the
        app's IdentityMiddleware asks (the session its cookie names, stored, naming an
        active user whose password has not changed), asked without a request, which costs
        a whole round through the app."""
        key = client.cookies.get(SESSION_COOKIE)
        if not key or key == "null":
            return False
        raw = client.blocking_portal.call(self.app.stores.get("sessions").get, key)
        if raw is None:
            return False
        data = BaseSessionBackend.deserialize_data(raw)
        return load_user(self.engine, self.app.state.secret, data) is not None

    def set_must_change(self, institution: str, role: str, value: bool) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(sa.update(User).where(
                User.username == self.usernames[(institution, role)]).values(
                must_change_password=value))


@dataclass(frozen=True)
class WebSamples:
    """What `fill_web_world` put in a database, for a `WebWorld` on it or on a copy of it."""

    today: date
    usernames: dict[tuple[str, str], str]
    ids: dict[tuple[str, str], int]


def fill_web_world(engine: sa.Engine, *, must_change: bool = False) -> WebSamples:
    """Demo data, demo users (passwords already changed unless `must_change`) and the
    samples, in a migrated database. Call it inside `cheap_hashing()`."""
    today = date.today()
    load_demo(engine, today)
    users = create_demo_users(engine)
    usernames: dict[tuple[str, str], str] = {}
    ids: dict[tuple[str, str], int] = {}
    with Session(engine) as session, session.begin():
        for user in users:
            usernames[(user.institution, user.role)] = user.username
        session.execute(sa.update(User).values(must_change_password=must_change))
        for institution in INSTITUTIONS:
            w = World(session, institution)
            _demo_people(w)
            samples = {**{key: e.id for key, e in w.employees.items()},
                       **_admin_samples(w), **_request_samples(w)}
            ids.update({(institution, key): id_ for key, id_ in samples.items()})
    return WebSamples(today, usernames, ids)


def web_world_on(engine: sa.Engine, data_dir: Path, samples: WebSamples,
                 app: Litestar | None = None) -> WebWorld:
    """An app (`app`, or a new one) on a database `fill_web_world` filled (or on a copy
    of one)."""
    return WebWorld(engine, app or app_on(engine, data_dir), samples.today,
                    dict(samples.usernames), dict(samples.ids))


def build_web_world(engine: sa.Engine, data_dir: Path, *, must_change: bool = False
                    ) -> WebWorld:
    """Demo data, demo users (passwords already changed unless `must_change`), an app.
    Call it inside `cheap_hashing()` and keep that open while the world is used."""
    return web_world_on(engine, data_dir, fill_web_world(engine, must_change=must_change))


def _demo_people(w: World) -> None:
    """The demo's people the tests name, and two more: one in another unit, one who left."""
    for key, number in (("self_employee", "M001"), ("manager_self", "M002"),
                        ("unit_colleague", "M003")):
        employee = w.session.scalar(sa.select(Employee).where(
            Employee.institution_id == w.institution, Employee.number == number))
        assert employee is not None
        w.employees[key] = employee
    w.employee("other_unit", number="M900", name="Altra Persona", unit="Altra unità")
    w.employee("leaver", number="M901", name="Persona Uscita", unit=None).active = False


def _admin_samples(w: World) -> dict[str, int]:
    """A terminal with a fault report, a draft rule file and a spare user, for the admin
    routes' path parameters."""
    now = datetime.now(UTC)
    session, institution = w.session, w.institution
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
    spare = w.user("spare", "office")
    session.add_all([fault, draft])
    session.flush()
    return {"terminal": terminal.id, "fault": fault.id, "rule_draft": draft.id,
            "spare_user": spare.id}


def _request_samples(w: World) -> dict[str, int]:
    """For the request, approval, correction and area routes: requests already decided or
    withdrawn (so the access walk's POSTs change nothing), a stamp, a stamping area."""
    now = datetime.now(UTC)
    session, institution = w.session, w.institution
    user = session.scalar(sa.select(User).where(User.institution_id == institution,
                                                User.role == "employee"))
    assert user is not None
    day = now.date().replace(day=1)

    def request(employee: str, state: str) -> RequestRow:
        return RequestRow(institution_id=institution, employee_id=w.employees[employee].id,
                          kind="justification", code="X", day=day, notes="campione / sample",
                          attachment_name="certificato.pdf", attachment=b"%PDF-1.4 sample",
                          state=state, created_by=user.id, created_at=now)

    own, colleague = request("self_employee", "withdrawn"), request("unit_colleague", "rejected")
    # A missed stamp: the unit's manager decides it where the rules name no approver
    # (the university); the school's `missed_stamp approval director` leaves it to the DSGA.
    colleague.kind, colleague.code, colleague.start_minute, colleague.direction = (
        "missed_stamp", None, 8 * 60, "in")
    area = Geofence(institution_id=institution, name="Sede / Main site", latitude=45.46,
                    longitude=9.19, radius_m=200)
    session.add_all([own, colleague, area])
    session.flush()
    stamp = session.scalar(sa.select(Stamp.id).where(
        Stamp.employee_id == w.employees["self_employee"].id).order_by(Stamp.id))
    assert stamp is not None
    return {"own_request": own.id, "colleague_request": colleague.id, "self_stamp": stamp,
            "area": area.id}


def other(institution: str) -> str:
    return INSTITUTIONS[1 - INSTITUTIONS.index(institution)]


def _filled(engine: sa.Engine) -> WebSamples:
    with cheap_hashing():
        return fill_web_world(engine)


def web_world_template(backend: str) -> Template:
    """The run's database holding the web world, filled the first time it is asked for."""
    return TEMPLATES.get(backend, "web world", _filled)


@contextmanager
def fresh_web_world(folder: Path) -> Iterator[WebWorld]:
    """The demo world in a SQLite database of its own in `folder` (a copy of the run's
    template); hashing stays cheap while it lives, and the engine is released afterwards."""
    template = web_world_template("sqlite")
    engine = make_engine(copy_sqlite(template, folder / "timbra.db"))
    try:
        with cheap_hashing(), lent_app(engine, folder) as app:
            yield web_world_on(engine, folder, template.made, app)
    finally:
        engine.dispose()
