"""«Password dimenticata?» through the pages: the login page's link, one answer for any
name, the mailed link (read from the outbox row before it is sent), the institution's
rules, every session of the user ended; the pages in Italian and English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from web_pages import Client, form, signed_in
from world import WebWorld, fresh_web_world, log_in

from server.db.models import User
from server.db.notifications import Notification
from server.web.throttle import FAILURES


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path_factory.mktemp("web_password_reset")) as built:
        with Session(built.engine) as session, session.begin():
            session.execute(sa.update(User).where(
                User.username == built.usernames[("chamber", "employee")]).values(
                email="dipendente@camera.example", password_changed_at=sa.func.now()))
        yield built


def ask(client: Client, username: str) -> str:
    page = client.get("/password/forgot")
    assert page.status_code == 200
    answer = client.post("/password/forgot", data=form(client, username=username))
    assert answer.status_code == 200, answer.text
    return re.sub(r'name="_csrf_token" value="[^"]*"', "", answer.text)  # per browser


def mailed_link(world: WebWorld, username: str) -> str:
    with Session(world.engine) as session:
        link = session.scalars(sa.select(Notification.link).join(
            User, User.id == Notification.user_id).where(
            User.username == username, Notification.kind == "password_reset")
            .order_by(Notification.id.desc())).first()
    assert link is not None
    return link


def test_a_forgotten_password_is_set_again_through_the_mailed_link(world: WebWorld,
                                                                    stack: ExitStack) -> None:
    """Seed 000: «La password dovrà contenere un minimo di otto caratteri, con la presenza
    di almeno un carattere numerico ed uno alfabetico»."""
    username = world.usernames[("chamber", "employee")]
    elsewhere = signed_in(world, stack, "chamber", "employee")  # a session on another device
    visitor = world.client(stack)
    assert 'href="/password/forgot">Password dimenticata?' in visitor.get("/login").text
    told = ask(visitor, username)
    assert "Se il nome utente esiste e ha un indirizzo e-mail" in told
    # The same words for a name nobody has: nothing tells which usernames exist.
    assert ask(world.client(stack), "chamber.nessuno") == told
    link = mailed_link(world, username)
    assert link.startswith("/password/reset/")
    page = visitor.get(link)
    assert page.status_code == 200 and "Almeno 8 caratteri, con una cifra" in page.text
    assert "At least" not in page.text
    weak = visitor.post(link, data=form(visitor, new="soloLettere", confirm="soloLettere"))
    assert weak.status_code == 400 and "Manca una cifra (0-9)." in weak.text
    assert "It needs" not in weak.text
    done = visitor.post(link, data=form(visitor, new="Nuova2026x", confirm="Nuova2026x"),
                        follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/login?reset=done")
    assert "La nuova password è impostata" in visitor.get("/login?reset=done").text
    # The session on the other device has ended; the new password logs in; the link is spent.
    assert elsewhere.get("/", follow_redirects=False).status_code in (302, 303)
    assert log_in(world.client(stack), username, "Nuova2026x").status_code == 303
    spent = visitor.get(link)
    assert spent.status_code == 400 and "non è valido o è scaduto" in spent.text


def test_the_pages_in_english_and_the_address_that_asks_too_often(world: WebWorld,
                                                                   stack: ExitStack) -> None:
    client = world.client(stack)
    client.post("/language", data=form(client, lang="en", next="/password/forgot"))
    page = client.get("/password/forgot").text
    assert "Forgot your password?" in page and "Password dimenticata" not in page
    assert "If the username exists" in ask(client, "chamber.nessuno")
    dead = client.get("/password/reset/" + "x" * 43)
    assert dead.status_code == 400 and "The link is not valid or has expired" in dead.text
    for _ in range(FAILURES):
        last = client.post("/password/forgot", data=form(client, username="chamber.nessuno"))
    assert last.status_code == 429 and "retry-after" in last.headers
