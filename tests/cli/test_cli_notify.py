"""`timbra notify` against a scratch SQLite database and a real SMTP server (aiosmtpd):
one round tells the administrators of a terminal gone offline and e-mails them; a second
round sends nothing more."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy.orm import Session
from world import world

from server.cli.main import main
from server.db import make_engine, upgrade
from server.db.models import Terminal


class Recorder(Sink):
    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: SMTP, session: SmtpSession,
                          envelope: Envelope) -> str:
        self.recipients += envelope.rcpt_tos
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("TIMBRA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TIMBRA_SMTP_PORT", str(port))
    monkeypatch.setenv("TIMBRA_SMTP_FROM", "timbra@ateneo.example")
    try:
        yield recorder
    finally:
        controller.stop()


def test_one_round_tells_and_mails_a_second_round_nothing_more(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], smtp: Recorder) -> None:
    url = f"sqlite:///{tmp_path}/timbra.db"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        w = world(session, "university")
        w.users["admin"].email = "tecnico@ateneo.example"
        seen = datetime.now(UTC) - timedelta(hours=2)
        session.add(Terminal(institution_id="university", code="T-01", location="Atrio",
                             username="university.T-01", password_hash="x", created_at=seen,
                             last_seen=seen, status="offline"))
        session.commit()
    engine.dispose()
    assert main(["notify", "--database", url]) == 0
    first = capsys.readouterr().out
    assert "1 terminals" in first and "e-mails sent 1" in first
    assert main(["notify", "--database", url]) == 0
    assert "0 terminals" in capsys.readouterr().out
    assert smtp.recipients == ["tecnico@ateneo.example"]


def test_bounds_are_refused_before_any_work(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    assert main(["notify", "--within", "0", "--database",
                 f"sqlite:///{tmp_path}/x.db"]) == 2
    assert "--within" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()
