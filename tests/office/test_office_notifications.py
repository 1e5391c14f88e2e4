"""Notifications: who is told of what, in their language, and the outbox that delivers the
e-mails through a real SMTP server (aiosmtpd on a private port): nothing lost while it is
down, each mail delivered once when it is back. On SQLite and PostgreSQL."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy.orm import Session
from world import World, at, hm, world

from server.db.models import Terminal
from server.db.notifications import Notification
from server.office import decisions, requests
from server.office.outbox import MAX_ATTEMPTS, deliver
from server.office.reminders import scan
from server.settings import SmtpSettings, smtp_settings

DAY = date(2026, 3, 16)  # a Monday
LATER = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)


class Inbox:
    """What the SMTP server received, one parsed message per recipient."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Message]] = []

    async def handle_DATA(self, server: SMTP, session: SmtpSession,
                          envelope: Envelope) -> str:
        for recipient in envelope.rcpt_tos:
            self.messages.append((recipient, message_from_bytes(
                envelope.original_content or b"", policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def inbox(port: int) -> Iterator[Inbox]:
    """A real SMTP server on a private port, running for the test."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def smtp(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, starttls=False, user=None, password=None,
                        sender="timbra@ateneo.example",
                        public_url="https://presenze.ateneo.example")


@pytest.fixture
def uni(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        w = world(session, "university")
        w.users["ann"].email = "ann@ateneo.example"
        w.users["lab_head"].email = "lab.head@ateneo.example"
        w.users["office"].email = "personale@ateneo.example"
        w.users["office"].language = "en"
        session.commit()
        yield w


def notes_of(w: World, key: str) -> list[Notification]:
    return list(w.session.scalars(sa.select(Notification).where(
        Notification.user_id == w.users[key].id).order_by(Notification.id)))


def file_missed_stamp(w: World) -> int:
    w.stamps("ann", DAY, "out 17:00")
    row = requests.file_missed_stamp(w.session, w.users["ann"], w.employees["ann"].id, DAY,
                                     hm("08:00"), "in", "badge dimenticato", now=LATER)
    w.session.commit()
    return row.id


def test_a_filed_request_tells_its_deciders_and_its_decision_tells_the_employee(
        uni: World) -> None:
    w = uni
    request_id = file_missed_stamp(w)
    # A missed stamp is the unit's manager's or the office's to decide; nobody else hears.
    assert [n.kind for n in notes_of(w, "lab_head")] == ["request_filed"]
    assert [n.kind for n in notes_of(w, "office")] == ["request_filed"]
    for key in ("ann", "bob", "library_head", "admin"):
        assert notes_of(w, key) == []
    decisions.reject(w.session, w.users["lab_head"], request_id, "manca la firma", now=LATER)
    w.session.commit()
    told = notes_of(w, "ann")
    assert [(n.kind, n.params["note"], n.link) for n in told] == [
        ("request_rejected", "manca la firma", "/requests")]


def test_smtp_down_keeps_the_mails_and_back_up_delivers_each_once(
        uni: World, db_engine: sa.Engine, port: int) -> None:
    w = uni
    file_missed_stamp(w)  # two deciders with an address: two e-mails
    down = deliver(db_engine, smtp(port), now=LATER)  # nothing listens on the port yet
    assert (down.sent, down.retrying) == (0, 1)
    w.session.expire_all()
    waiting = [n for key in ("lab_head", "office") for n in notes_of(w, key)]
    assert {n.email_state for n in waiting} == {"pending"}
    assert sorted(n.attempts for n in waiting) == [0, 1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # The failed one waits for its backoff; the other goes at once.
        assert deliver(db_engine, smtp(port), now=LATER).sent == 1
        later = LATER + timedelta(minutes=5)
        assert deliver(db_engine, smtp(port), now=later).sent == 1
        assert deliver(db_engine, smtp(port), now=later + timedelta(hours=7)).sent == 0
    finally:
        controller.stop()
    assert sorted(to for to, _ in handler.messages) == [
        "lab.head@ateneo.example", "personale@ateneo.example"]
    w.session.expire_all()
    assert {n.email_state for key in ("lab_head", "office") for n in notes_of(w, key)} == {
        "sent"}


def test_each_mail_is_in_its_recipients_language(uni: World, db_engine: sa.Engine,
                                                 port: int, inbox: Inbox) -> None:
    w = uni
    file_missed_stamp(w)
    assert deliver(db_engine, smtp(port), now=LATER).sent == 2
    mails = {to: message for to, message in inbox.messages}
    italian = mails["lab.head@ateneo.example"]
    english = mails["personale@ateneo.example"]
    assert italian["Subject"] == ("timbra: Ann ha presentato una richiesta (Mancata "
                                  "timbratura) per il 16/03/2026: attende la tua decisione")
    assert english["Subject"] == ("timbra: Ann filed a request (Missed stamp) for "
                                  "16/03/2026: it awaits your decision")
    assert italian["From"] == "timbra@ateneo.example"
    assert ("Apri timbra per vederla: https://presenze.ateneo.example/approvals#r"
            in str(italian.get_payload()))


def test_a_user_without_an_address_is_told_in_the_page_only(uni: World,
                                                            db_engine: sa.Engine,
                                                            port: int, inbox: Inbox) -> None:
    w = uni
    w.users["lab_head"].email = None
    w.session.commit()
    file_missed_stamp(w)
    assert [n.email_state for n in notes_of(w, "lab_head")] == ["none"]
    deliver(db_engine, smtp(port), now=LATER)
    assert [to for to, _ in inbox.messages] == ["personale@ateneo.example"]


def test_a_mail_refused_every_time_is_given_up_after_the_last_attempt(
        uni: World, db_engine: sa.Engine, port: int) -> None:
    w = uni
    w.users["office"].email = None
    w.session.commit()
    file_missed_stamp(w)
    moment = LATER
    for _ in range(MAX_ATTEMPTS):
        deliver(db_engine, smtp(port), now=moment)  # nobody listens
        moment += timedelta(hours=7)
    w.session.expire_all()
    (note,) = notes_of(w, "lab_head")
    assert (note.email_state, note.attempts) == ("failed", MAX_ATTEMPTS)
    assert (note.last_error or "").startswith("ConnectionRefusedError")


def test_anomalies_due_soon_are_told_once_however_often_the_scan_runs(
        db_engine: sa.Engine) -> None:
    """Seed 003 (the missed-stamp form): "Da inviare entro le ore 08.30 del giorno
    successivo": an unpaired stamp of Monday is due by Tuesday 08:30."""
    with Session(db_engine) as session:
        w = world(session, "school")
        w.stamps("ann", DAY, "in 08:00")
        session.commit()
        early = at(DAY + timedelta(days=1), "07:00")
        assert scan(session, early, timedelta(hours=24)).deadlines == 1
        session.commit()
        assert scan(session, early + timedelta(minutes=20), timedelta(hours=24)).deadlines == 0
        session.commit()
        (note,) = notes_of(w, "ann")
        assert (note.kind, note.params["code"], note.params["fix_by_time"]) == (
            "anomaly_deadline", "unpaired_stamps", "08:30")
        # Bob and Cat, absent that day, have until the month's end: not yet told.
        assert notes_of(w, "bob") == [] and notes_of(w, "cat") == []


def test_a_terminal_offline_is_told_to_its_administrators_once_per_outage(
        db_engine: sa.Engine) -> None:
    with Session(db_engine) as session:
        w = world(session, "university")
        seen = datetime(2026, 3, 17, 8, 0, tzinfo=UTC)
        terminal = Terminal(institution_id="university", code="T-07", location="Via Festa",
                            username="university.T-07", password_hash="x", created_at=seen,
                            last_seen=seen, status="offline")
        session.add(terminal)
        session.commit()
        assert scan(session, seen + timedelta(hours=1)).terminals == 1
        assert scan(session, seen + timedelta(hours=2)).terminals == 0
        terminal.last_seen, terminal.status = seen + timedelta(hours=3), "online"
        assert scan(session, seen + timedelta(hours=3, minutes=1)).terminals == 0
        terminal.status = "offline"  # heard again, then lost again: a new outage
        assert scan(session, seen + timedelta(hours=5)).terminals == 1
        session.commit()
        assert [n.kind for n in notes_of(w, "admin")] == ["terminal_offline"] * 2
        assert notes_of(w, "office") == []


def test_the_smtp_settings_come_from_the_environment() -> None:
    assert smtp_settings({}) is None
    settings = smtp_settings({"TIMBRA_SMTP_HOST": "mail.example", "TIMBRA_SMTP_PORT": "587",
                              "TIMBRA_SMTP_STARTTLS": "1", "TIMBRA_SMTP_USER": "timbra",
                              "TIMBRA_SMTP_PASSWORD": "s3cret",
                              "TIMBRA_SMTP_FROM": "presenze@example",
                              "TIMBRA_PUBLIC_URL": "https://presenze.example/"})
    assert settings == SmtpSettings("mail.example", 587, True, "timbra", "s3cret",
                                    "presenze@example", "https://presenze.example")
    with pytest.raises(ValueError, match="TIMBRA_SMTP_PORT"):
        smtp_settings({"TIMBRA_SMTP_HOST": "mail.example", "TIMBRA_SMTP_PORT": "smtp"})


def test_two_senders_at_once_deliver_each_mail_once(uni: World, db_engine: sa.Engine,
                                                    port: int, inbox: Inbox) -> None:
    """Two `timbra notify` processes on the same outbox (PostgreSQL locks each row it
    sends and the other skips it; SQLite has one writer at a time)."""
    w = uni
    for n in range(12):
        w.user(f"office{n}", "office").email = f"ufficio{n}@ateneo.example"
    w.session.commit()
    file_missed_stamp(w)
    with ThreadPoolExecutor(2) as pool:
        rounds = list(pool.map(lambda _: deliver(db_engine, smtp(port), now=LATER), range(2)))
    sent = sorted(to for to, _ in inbox.messages)
    assert len(sent) == len(set(sent)) == 14
    assert sum(r.sent for r in rounds) == 14


def test_a_withdrawn_request_tells_its_deciders_and_a_revoked_one_the_employee_by_mail(
        uni: World, db_engine: sa.Engine, port: int, inbox: Inbox) -> None:
    w = uni
    first = file_missed_stamp(w)
    decisions.withdraw(w.session, w.users["ann"], first, now=LATER)
    w.session.commit()
    # Those who were asked to decide hear it is gone; Ann, who withdrew it, is not told.
    assert [n.kind for n in notes_of(w, "lab_head")] == ["request_filed", "request_withdrawn"]
    assert [n.kind for n in notes_of(w, "office")] == ["request_filed", "request_withdrawn"]
    assert notes_of(w, "ann") == []
    second = requests.file_missed_stamp(w.session, w.users["ann"], w.employees["ann"].id, DAY,
                                        hm("08:05"), "in", "badge dimenticato", now=LATER)
    w.session.commit()
    decisions.approve(w.session, w.users["lab_head"], second.id, now=LATER)
    decisions.revoke(w.session, w.users["office"], second.id, "era in ferie", now=LATER)
    w.session.commit()
    assert [(n.kind, n.params["note"]) for n in notes_of(w, "ann")] == [
        ("request_approved", ""), ("request_revoked", "era in ferie")]
    assert deliver(db_engine, smtp(port), now=LATER).sent == 8
    subjects = {(to, m["Subject"]) for to, m in inbox.messages}
    assert ("lab.head@ateneo.example", "timbra: Ann ha ritirato la richiesta (Mancata "
            "timbratura) per il 16/03/2026: non c'è più nulla da decidere") in subjects
    assert ("personale@ateneo.example", "timbra: Ann withdrew the request (Missed stamp) for "
            "16/03/2026: nothing left to decide") in subjects
    assert ("ann@ateneo.example", "timbra: L'approvazione della tua richiesta (Mancata "
            "timbratura) per il 16/03/2026 è stata revocata: era in ferie") in subjects
