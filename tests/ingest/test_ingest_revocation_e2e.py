"""`timbra ingest` in its own process refuses a badge revoked while it runs, no restart.

A private Mosquitto (anonymous, a free port) keeps the ingest's 7-day MQTT session off
the machine's shared broker.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from fault_harness import IngestProcess, PrivateMosquitto, wait_for
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session
from world import world

from server.db.directory import add_badge, add_terminal
from server.db.models import Employee, User
from server.office.fees import replace_badge
from terminals.protocol import AckItem, StampMessage, decode_ack, topic

ROME = ZoneInfo("Europe/Rome")


class Terminal:
    """The terminal's side of the wire: publish stamps, collect acks."""

    def __init__(self, port: int, code: str) -> None:
        self.code = code
        self.acks: dict[int, AckItem] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda _c, _u, m: self.acks.update(
            {a.seq: a for a in decode_ack(m.payload).items})
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topic("school", code, "ack"), 1)
        self.client.loop_start()

    def stamp(self, seq: int, badge: str, moment: datetime) -> None:
        message = StampMessage(self.code, seq, f"s{seq}", badge, moment)
        self.client.publish(topic("school", self.code, "stamp"), message.encode(),
                            qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def running(db_url: str, db_engine: sa.Engine, tmp_path: Path) -> Iterator[Terminal]:
    """Ann holds badge S1 at the school; `timbra ingest` runs; a terminal is connected."""
    with Session(db_engine) as session:
        w = world(session, "school")
        add_badge(session, w.employees["ann"], "S1")
        add_terminal(session, "school", "t1")
        session.commit()
    mosquitto = PrivateMosquitto(tmp_path / "mosquitto")
    mosquitto.start()
    ingest = IngestProcess(db_url, f"{mosquitto.url}?protocol=5", tmp_path / "ingest.log",
                           client_id=f"ingest-{uuid.uuid4().hex[:8]}")
    terminal: Terminal | None = None
    try:
        ingest.start()
        terminal = Terminal(mosquitto.port, "t1")
        yield terminal
    finally:
        if terminal is not None:
            terminal.close()
        ingest.stop()
        mosquitto.stop()


def test_a_badge_revoked_while_ingest_runs_is_refused_within_seconds(
        running: Terminal, db_engine: sa.Engine) -> None:
    """Rule: a stamp is accepted when its badge was not yet revoked at the stamp's own
    time (terminal time < revoked_at). The ingest had S1 cached from a first stamp; the
    office revokes it (lost card) in another process; the next swipe is refused."""
    terminal = running
    terminal.stamp(1, "S1", datetime.now(ROME))
    wait_for(lambda: 1 in terminal.acks, 10, "the first stamp's ack")
    assert terminal.acks[1].status == "stored"
    with Session(db_engine) as session:
        office = session.scalars(sa.select(User).where(User.username == "school.office")).one()
        ann = session.scalars(sa.select(Employee).where(Employee.number == "ANN")).one()
        replace_badge(session, office, ann.id, "lost")
        session.commit()
    revoked = time.monotonic()
    terminal.stamp(2, "S1", datetime.now(UTC) + timedelta(seconds=1))
    wait_for(lambda: 2 in terminal.acks, 5, "the second stamp's ack")
    assert time.monotonic() - revoked < 5
    assert (terminal.acks[2].status, terminal.acks[2].display) == (
        "rejected", "Badge sconosciuto / Unknown badge")
