"""The home page of each role, as its reader checks it: the employee's today, the manager's
unit, the office's month; notifications in the page and their count in the header; the
e-mail addresses the office sets. Read in a fixed number of queries whatever the number of
people."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from web_pages import form, signed_in
from world import ROME, WebWorld, World, fresh_web_world

from server.days.results import refresh_days
from server.db.models import AuditEntry, Stamp, User
from server.db.notifications import Notification
from server.engine import Stamp as EngineStamp
from server.engine import evaluate_day
from server.minutes import clock, hours, parse_clock
from server.policy.load import load_policy


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path) as world:
        yield world


@pytest.fixture
def both(web_world: WebWorld) -> WebWorld:
    """The demo world on SQLite and on PostgreSQL (`db_url` is parametrized)."""
    return web_world


def text(html: str) -> str:
    """The page's words as a reader sees them, one space between."""
    main = html[html.index("<main"):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def local_minute_now() -> tuple[date, int]:
    now = datetime.now(UTC).astimezone(ROME)
    return now.date(), now.hour * 60 + now.minute


def stamp_in_now(world: WebWorld, sample: str) -> int:
    """A terminal entry stamped this minute for `sample`; its local minute."""
    day, minute = local_minute_now()
    with Session(world.engine) as session, session.begin():
        employee_id = world.ids[("university", sample)]
        moment = datetime.now(UTC).replace(second=0, microsecond=0)
        session.add(Stamp(institution_id="university", source="terminal",
                          employee_id=employee_id, terminal_time=moment, received_at=moment,
                          local_date=day, local_minute=minute, direction="in", flags="",
                          void=False, terminal_stamp_id=f"home-{sample}"))
    return minute


def test_the_employee_sees_today_and_the_month_as_the_summary_computes_it(
        both: WebWorld, stack: ExitStack) -> None:
    world = both
    minute = stamp_in_now(world, "self_employee")
    employee = signed_in(world, stack, "university", "employee")
    me = world.ids[("university", "self_employee")]
    today, _ = local_minute_now()
    summary = employee.get(f"/api/v1/summaries/{me}?month={today:%Y-%m}").json()
    page = text(employee.get("/").text)
    assert "La tua giornata" in page and today.strftime("%d/%m/%Y") in page
    assert f"Timbrature di oggi: {clock(minute)} ENTRATA" in page
    assert f"In servizio dalle {clock(minute)}" in page
    # The balance to yesterday and the leave left: the figures of the one computation.
    assert f"Saldo del mese fino a ieri {hours(summary['balance'])}" in page
    for allowance in summary["allowances"]:
        assert f"{allowance['label']}: {hours(allowance['left'])}" in page
    assert "Richieste in sospeso 0" in page


def test_the_manager_sees_who_is_in_and_the_requests_waiting(world: WebWorld,
                                                            stack: ExitStack) -> None:
    minute = stamp_in_now(world, "unit_colleague")
    colleague = world.ids[("university", "unit_colleague")]
    employee = signed_in(world, stack, "university", "employee")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert employee.post("/requests/missed-stamp", data=form(
        employee, day=yesterday, time="08:00", direction="in",
        circumstances="badge dimenticato"), follow_redirects=False).status_code == 303
    manager = signed_in(world, stack, "university", "manager")
    html = manager.get("/").text
    page = text(html)
    assert f'<a href="/timecard/{colleague}">' in html
    assert f"Presente dalle {clock(minute)}" in page
    assert "1 presenti su" in page
    assert "Richieste in attesa della tua decisione: 1" in page
    # The manager is told, in the page and in the header's count.
    assert "Maria Rossi ha presentato una richiesta (Mancata timbratura)" in page
    assert re.search(r'class="count"[^>]*>1<', html)
    assert manager.post("/notifications/read", data=form(manager),
                        follow_redirects=False).status_code == 303
    assert not re.search(r'class="count"', manager.get("/").text)


def test_the_office_sees_the_months_anomalies_requests_and_closes(world: WebWorld,
                                                                 stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    page = text(office.get("/").text)
    # M900 ("Altra Persona") never stamps: every working day of the month is an anomaly.
    found = re.search(r"Anomalie da sistemare (\d+)", page)
    assert found is not None and int(found.group(1)) > 0
    assert "Altra Persona" in page and "Assenza da giustificare" in page
    assert "Chiusure in corso 0" in page
    html = office.get("/").text
    for link in ("/reports", "/office/close", "/office/flags"):
        assert f'href="{link}"' in html


def _last_month_short(world: WebWorld, sample: str) -> None:
    """`sample` left every working day of last month an hour early: a debt to recover."""
    first = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    employee_id = world.ids[("university", sample)]
    with Session(world.engine) as session, session.begin():
        exits = session.scalars(sa.select(Stamp).where(
            Stamp.employee_id == employee_id, Stamp.local_date >= first,
            Stamp.local_date < date.today().replace(day=1), Stamp.direction == "out",
            Stamp.local_minute >= 14 * 60)).all()
        for stamp in exits:
            stamp.local_minute -= 60
        refresh_days(session, {("university", employee_id, s.local_date) for s in exits},
                     datetime.now(UTC))
    assert exits


def test_the_home_page_s_recovery_deadline_is_the_nearest_debt_s(world: WebWorld,
                                                                  stack: ExitStack) -> None:
    _last_month_short(world, "self_employee")
    employee = signed_in(world, stack, "university", "employee")
    me = world.ids[("university", "self_employee")]
    today = date.today()
    summary = employee.get(f"/api/v1/summaries/{me}?month={today:%Y-%m}").json()
    dues = [d["due"] for d in summary["account"]["debts"] if d["due"]]
    assert dues, summary["account"]
    nearest = date.fromisoformat(min(dues))
    page = text(employee.get("/").text)
    assert f"Recupero del saldo negativo: {nearest:%d/%m/%Y}" in page


@contextmanager
def counted(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _more_people(world: WebWorld, how_many: int) -> None:
    with Session(world.engine) as session, session.begin():
        w = World(session, "university")
        for n in range(how_many):
            w.employee(f"extra{n}", unit="Ufficio demo", number=f"X{n:03d}")


@pytest.mark.parametrize("role", ["manager", "office"])
def test_the_home_page_reads_the_same_number_of_queries_for_more_people(
        world: WebWorld, stack: ExitStack, role: str) -> None:
    client = signed_in(world, stack, "university", role)
    client.get("/")
    with counted(world.engine) as few:
        assert client.get("/").status_code == 200
    _more_people(world, 15)
    with counted(world.engine) as many:
        page = client.get("/")
    assert page.status_code == 200
    if role == "manager":  # the newcomers are listed, each a link to their timecard
        assert "Extra14" in page.text
    assert len(many) == len(few), "a query per person crept in"


def test_the_office_sets_an_address_and_a_wrong_one_changes_nothing(
        both: WebWorld, stack: ExitStack) -> None:
    world = both
    office = signed_in(world, stack, "university", "office")
    with Session(world.engine) as session:
        target = session.scalar(sa.select(User.id).where(
            User.username == world.usernames[("university", "employee")]))
        foreign = session.scalar(sa.select(User.id).where(User.institution_id == "school"))
    assert office.post(f"/admin/contacts/{target}", data=form(
        office, email="maria.rossi@unimi.example", language="en"),
        follow_redirects=False).status_code == 303
    bad = office.post(f"/admin/contacts/{target}", data=form(
        office, email="maria rossi@unimi", language="it"))
    assert bad.status_code == 400 and "Indirizzo e-mail non valido" in bad.text
    assert office.post(f"/admin/contacts/{foreign}", data=form(
        office, email="x@school.example", language="it")).status_code == 404
    with Session(world.engine) as session:
        user = session.get(User, target)
        assert user is not None and (user.email, user.language) == (
            "maria.rossi@unimi.example", "en")
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "user_contact_changed")) == 1
    assert "maria.rossi@unimi.example" in office.get("/admin/contacts").text
    employee = signed_in(world, stack, "university", "employee")
    assert employee.get("/admin/contacts").status_code == 403


def test_a_notification_is_only_its_recipients(world: WebWorld, stack: ExitStack) -> None:
    """Another user's notifications never show, nor count in the header."""
    with Session(world.engine) as session, session.begin():
        admin = session.scalar(sa.select(User).where(
            User.username == world.usernames[("school", "admin")]))
        assert admin is not None
        session.add(Notification(
            institution_id="school", user_id=admin.id, kind="terminal_offline",
            event_key="t", params={"code": "T-SECRET", "location": "x", "since": "y"},
            link="/admin/terminals", created_at=datetime.now(UTC), email_state="none",
            attempts=0))
    other = signed_in(world, stack, "university", "admin")
    assert "T-SECRET" not in other.get("/").text
    mine = signed_in(world, stack, "school", "admin")
    html = mine.get("/").text
    assert "Il terminale T-SECRET" in html and re.search(r'class="count"[^>]*>1<', html)


def test_if_i_leave_now_is_the_engines_day_with_an_exit_now(
        both: WebWorld, stack: ExitStack) -> None:
    """The home page and /api/v1/me/today answer "if I leave now" with the engine's day on
    today's stamps plus an exit now, and the earliest exits that reach more."""
    world = both
    employee = signed_in(world, stack, "university", "employee")
    assert employee.get("/api/v1/me/today").json()["state"] == "no_entry"
    assert "Oggi nessuna entrata timbrata" in text(employee.get("/").text)
    entry = stamp_in_now(world, "self_employee")
    answer = employee.get("/api/v1/me/today").json()
    assert answer["state"] == "at_work" and answer["now"] >= clock(entry)
    today, _ = local_minute_now()
    policy = load_policy("university")
    in_at = [EngineStamp(entry, "in")]
    leaving = evaluate_day(policy, "full_time", today, [*in_at, EngineStamp(
        parse_clock(answer["now"]), "out")])
    assert (answer["worked"], answer["balance"], answer["meal_voucher"]) == (
        leaving.worked, leaving.balance, leaving.meal_voucher)
    if answer["leave_for_due"] is not None:
        at = parse_clock(answer["leave_for_due"])
        assert evaluate_day(policy, "full_time", today, [
            *in_at, EngineStamp(at, "out")]).balance >= 0
    else:
        assert answer["due_reached"] or leaving.balance < 0
    assert answer["due_rule"]["source"].startswith("university.rules:")
    page = text(employee.get("/").text)
    assert "Se esci ora" in page and f"Saldo del giorno {hours(answer['balance'])}" in page
    assert f"regola {answer['due_rule']['source']}" in page
    # An account with no employee record is told so, and sees nobody else's day.
    admin = signed_in(world, stack, "university", "admin")
    refused = admin.get("/api/v1/me/today")
    assert refused.status_code == 404 and "scheda dipendente" in refused.text


def test_the_employee_s_pages_read_as_english_in_english(world: WebWorld,
                                                         stack: ExitStack) -> None:
    """They said "Your today", and gave the attachment's 5 MB bound in Italian only."""
    employee = signed_in(world, stack, "university", "employee")
    employee.post("/language", data=form(employee, lang="en", next="/"))
    assert "<h2 id=\"today-title\">Your day <small>" in employee.get("/").text
    assert "Attachment (if the code requires it, up to 5 MB)" in employee.get("/requests").text
