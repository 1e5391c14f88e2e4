"""The web app of a demo world with single sign-on configured, and what the SSO tests read
back: who the home page greets, the audit entries a sign-in left."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from litestar import Litestar
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient
from sqlalchemy.orm import Session
from world import WebWorld

from server.db.models import AuditEntry, User
from server.office.sso.config import SsoSettings
from server.web.app import create_app

BASE = "https://testserver.local"


def sso_app(world: WebWorld, data_dir: Path, sso: SsoSettings) -> Litestar:
    return create_app(world.engine, data_dir=data_dir, session_store=MemoryStore(),
                      secret="x" * 40, sso=sso)


def browser(app: Litestar, stack: ExitStack) -> TestClient[Litestar]:
    """A fresh browser at the login page (which sets the CSRF cookie)."""
    client = stack.enter_context(TestClient(app, base_url=BASE))
    client.get("/login")
    return client


def greeted(client: TestClient[Litestar]) -> str | None:
    """The display name the home page shows, or None when it sends to the login page."""
    home = client.get("/", follow_redirects=False)
    if home.status_code != 200:
        return None
    name = home.text.split('<div class="who">', 1)[1].split("<span", 1)[1]
    return name.split(">", 1)[1].split(" · ", 1)[0].strip()


def display_name(world: WebWorld, username: str) -> str:
    with Session(world.engine) as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        assert user is not None
        return user.display_name


def audit_since(world: WebWorld, first_id: int) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(action, institution, detail) of the audit entries after `first_id`."""
    with Session(world.engine) as session:
        return [(e.action, e.institution_id, dict(e.detail)) for e in session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > first_id).order_by(AuditEntry.id))]


def last_audit_id(world: WebWorld) -> int:
    with Session(world.engine) as session:
        return session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
