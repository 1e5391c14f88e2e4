"""«Password dimenticata?»: the link mailed through the outbox to a real SMTP server
(aiosmtpd), used once, within its time, for a password the institution's rules allow;
the same silence for whoever is not mailed. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session
from test_office_notifications import Inbox, free_port, smtp
from world import World, cheap_hashing, world

from server.db import make_engine, upgrade
from server.db.models import AuditEntry, User
from server.db.notifications import Notification
from server.db.password_resets import PasswordReset
from server.errors import OfficeError
from server.office.outbox import deliver
from server.office.password_reset import (
    LIFETIME,
    PER_USER,
    request_reset,
    reset_password,
    token_hash,
)
from server.office.passwords import verify_password

NOW = datetime(2026, 3, 16, 8, 30, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("cheap")


@pytest.fixture
def cheap() -> Iterator[None]:
    with cheap_hashing():
        yield


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def mailbox(smtp_port: int) -> Iterator[Inbox]:
    """A real SMTP server on a private port, running for the test."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def chamber(db_engine: sa.Engine) -> Iterator[World]:
    yield from _chamber(db_engine)


@pytest.fixture
def chamber_on_sqlite(tmp_path: Path) -> Iterator[World]:
    """For what no storage decides: one database is enough."""
    engine = make_engine(f"sqlite:///{tmp_path}/timbra.db")
    upgrade(engine)
    try:
        yield from _chamber(engine)
    finally:
        engine.dispose()


def _chamber(engine: sa.Engine) -> Iterator[World]:
    with Session(engine) as session:
        w = world(session, "chamber")
        w.users["ann"].email = "ann@camera.example"
        w.users["ann"].must_change_password = False
        w.users["ann"].password_changed_at = datetime(2026, 1, 5, tzinfo=UTC)
        w.users["ann"].failed_logins, w.users["ann"].lockouts = 3, 2
        session.commit()
        yield w


def audit(w: World, action: str) -> list[AuditEntry]:
    return list(w.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.id)))


def test_the_mailed_link_sets_a_password_the_rules_allow_once(
        chamber: World, db_engine: sa.Engine, smtp_port: int, mailbox: Inbox) -> None:
    """Seed 000: «La password dovrà contenere un minimo di otto caratteri, con la presenza
    di almeno un carattere numerico ed uno alfabetico»."""
    w = chamber
    request_reset(w.session, "chamber.ann", now=NOW)
    w.session.commit()
    assert deliver(db_engine, smtp(smtp_port), now=NOW).sent == 1
    (to, mail), = mailbox.messages
    assert to == "ann@camera.example"
    assert mail["Subject"].startswith("timbra: È stata chiesta una nuova password di timbra")
    body = mail.get_content()  # type: ignore[attr-defined]
    found = re.search(r"https://presenze\.ateneo\.example/password/reset/([\w-]+)", body)
    assert found and "Scegli qui la nuova password" in body and "30 minuti" in body
    token = found.group(1)
    # Only the token's hash is kept, and the sent mail's row no longer holds the link.
    w.session.expire_all()
    reset = w.session.scalars(sa.select(PasswordReset)).one()
    assert reset.token_hash == token_hash(token) and token not in reset.token_hash
    assert token not in w.session.scalars(sa.select(Notification.link)).one()
    before = w.users["ann"].password_hash
    problems = reset_password(w.session, token, "corta", "corta", now=NOW)
    assert problems == ["Troppo corta: servono almeno 8 caratteri. / "
                        "Too short: at least 8 characters.",
                        "Manca una cifra (0-9). / It needs a digit (0-9)."]
    assert w.users["ann"].password_hash == before  # nothing changed
    assert reset_password(w.session, token, "nuova2026", "nuova2027", now=NOW) == [
        "Le due nuove password non coincidono. / The two new passwords differ."]
    assert reset_password(w.session, token, "nuova2026", "nuova2026",
                          now=NOW + timedelta(minutes=5)) == []
    w.session.commit()
    user = w.session.get(User, w.users["ann"].id)
    assert user is not None and verify_password(user.password_hash, "nuova2026")
    assert (user.failed_logins, user.lockouts, user.locked_until) == (0, 0, None)
    assert [e.user_id for e in audit(w, "password_reset_done")] == [user.id]
    with pytest.raises(OfficeError) as used:  # once only
        reset_password(w.session, token, "ancora2026", "ancora2026", now=NOW)
    assert "non è valido o è scaduto" in used.value.italian


def test_a_link_past_its_time_is_refused(chamber_on_sqlite: World) -> None:
    w = chamber_on_sqlite
    request_reset(w.session, "chamber.ann", now=NOW)
    link = w.session.scalars(sa.select(Notification.link)).one()
    token = link.rsplit("/", 1)[1]
    with pytest.raises(OfficeError):
        reset_password(w.session, token, "nuova2026", "nuova2026", now=NOW + LIFETIME)
    for wrong in ("", "x" * 500, token[:-1]):
        with pytest.raises(OfficeError):
            reset_password(w.session, wrong, "nuova2026", "nuova2026", now=NOW)


def test_whoever_is_not_mailed_leaves_only_the_audit_behind(chamber_on_sqlite: World) -> None:
    """Unknown name, no address, inactive account, asked too often: nothing is sent, and
    the caller answers alike; the audit keeps why."""
    w = chamber_on_sqlite
    w.users["bob"].email = None
    w.user("gone", "employee").email = "gone@camera.example"
    w.users["gone"].active = False
    for username in ("chamber.nobody", "chamber.bob", "chamber.gone"):
        request_reset(w.session, username, now=NOW)
    for minute in range(PER_USER + 2):
        request_reset(w.session, "chamber.ann", now=NOW + timedelta(minutes=minute))
    w.session.commit()
    told = w.session.scalars(sa.select(Notification.user_id)).all()
    assert told == [w.users["ann"].id] * PER_USER
    assert [e.detail["reason"] for e in audit(w, "password_reset_refused")] == [
        "unknown username", "no e-mail address", "inactive", "asked too often",
        "asked too often"]


def test_an_account_of_the_sign_in_provider_is_told_to_use_it(chamber_on_sqlite: World) -> None:
    w = chamber_on_sqlite
    provided = w.user("provided", "employee")
    provided.email, provided.must_change_password = "p@camera.example", False
    request_reset(w.session, "chamber.provided", sso_institutions={"chamber"}, now=NOW)
    # Someone with a password of their own still gets a link where the provider is set up.
    request_reset(w.session, "chamber.ann", sso_institutions={"chamber"}, now=NOW)
    rows = {n.user_id: (n.kind, n.link) for n in w.session.scalars(sa.select(Notification))}
    assert rows[provided.id] == ("password_sso", "/login")
    assert rows[w.users["ann"].id][0] == "password_reset"
    assert w.session.scalar(sa.select(sa.func.count()).select_from(PasswordReset)) == 1
