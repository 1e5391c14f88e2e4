"""The ingest service against a real Mosquitto of its own: stamps in, acks out after the commit."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from fake_terminal import ROME, FakeTerminal, wait_until
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session

from server.days.dirty import mark_dirty
from server.db.directory import add_employee, add_terminal, ensure_institution
from server.db.models import DayResultRow, RejectedMessage, Stamp, Terminal
from server.ingest.incoming import Incoming
from server.ingest.lookup import Lookup
from server.ingest.service import IngestService
from server.ingest.settings import BrokerSettings
from server.ingest.store import store_stamps
from terminals.protocol import (
    QueryMessage,
    StampMessage,
    StatusMessage,
    decode_config,
    decode_reply,
    topic,
)


@pytest.fixture
def setup(db_engine: sa.Engine, own_broker: tuple[str, int]
          ) -> Iterator[tuple[IngestService, FakeTerminal]]:
    # Institution ids are the rule file's; the terminal id is unique per test so retained
    # messages of the module's earlier tests never reach this one.
    code = f"t{uuid.uuid4().hex[:10]}"
    with Session(db_engine) as session:
        ensure_institution(session, "university", "Università degli Studi di Milano")
        add_employee(session, "university", "M001", "Maria Rossi", badge="1001")
        add_terminal(session, "university", code)
        session.commit()
    broker = BrokerSettings(host=own_broker[0], port=own_broker[1],
                            client_id=f"ingest-{uuid.uuid4().hex[:8]}", session_expiry_s=60)
    service = IngestService(db_engine, broker)
    service.start()
    assert service.connected.wait(10), "the module's Mosquitto did not answer"
    terminal = FakeTerminal("university", code, own_broker)
    try:
        yield service, terminal
    finally:
        terminal.close()
        service.stop()


def rows(service: IngestService, query: sa.Select) -> list:  # type: ignore[type-arg]
    with Session(service.engine) as session:
        return list(session.execute(query).all())


def test_stamps_are_stored_acknowledged_and_the_day_computed(setup) -> None:  # type: ignore[no-untyped-def]
    """Seed 001: E09:00 U12:00 E12:45 U16:30 with the 8/9-16 schedule: 6h45 worked."""
    service, terminal = setup
    for seq, at in enumerate(["09:00", "12:00", "12:45", "16:30"], start=1):
        terminal.stamp(seq, f"2026-03-02T{at}:00")
    wait_until(lambda: len(terminal.acks) == 4)
    assert {a.status for a in terminal.acks} == {"stored"}
    stamps = rows(service, sa.select(Stamp.seq, Stamp.local_minute).order_by(Stamp.seq))
    assert stamps == [(1, 540), (2, 720), (3, 765), (4, 990)]
    wait_until(lambda: bool(rows(service, sa.select(DayResultRow.stamps_seen).where(
        DayResultRow.stamps_seen == 4))))
    [(worked, balance)] = rows(service, sa.select(DayResultRow.worked, DayResultRow.balance))
    assert (worked, balance) == (6 * 60 + 45, -30)


def test_acks_leave_the_server_without_waiting_for_nagle(setup) -> None:  # type: ignore[no-untyped-def]
    service, _terminal = setup
    sock = service.client.socket()
    assert isinstance(sock, socket.socket)
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_a_replay_is_acknowledged_as_duplicate_and_stored_once(setup) -> None:  # type: ignore[no-untyped-def]
    service, terminal = setup
    terminal.stamp(1, "2026-03-02T08:00:00")
    terminal.stamp(1, "2026-03-02T08:00:00")
    wait_until(lambda: len(terminal.acks) == 2)
    assert [a.status for a in terminal.acks] == ["stored", "duplicate"]
    assert len(rows(service, sa.select(Stamp.id))) == 1


def test_a_stamp_another_writer_stored_meanwhile_is_a_duplicate_not_an_error(setup) -> None:  # type: ignore[no-untyped-def]
    """The ingest skips the existence check above the highest seq it knows per terminal;
    a key stored behind its back (a second ingest, by mistake) must still be recognised."""
    service, terminal = setup
    terminal.stamp(1, "2026-03-02T08:00:00")
    wait_until(lambda: len(terminal.acks) == 1)
    elsewhere = StampMessage(terminal.code, 2, "s2", "1001",
                             datetime(2026, 3, 2, 12, 0, tzinfo=ROME))
    with Session(service.engine) as session:
        store_stamps(session, Lookup(), [Incoming(topic("university", terminal.code, "stamp"),
                                                  elsewhere.encode(), datetime.now(UTC))],
                     datetime.now(UTC))
        session.commit()
    terminal.stamp(2, "2026-03-02T12:00:00")
    terminal.stamp(3, "2026-03-02T16:00:00")
    wait_until(lambda: len(terminal.acks) == 3)
    assert [(a.seq, a.status) for a in terminal.acks] == [
        (1, "stored"), (2, "duplicate"), (3, "stored")]
    assert len(rows(service, sa.select(Stamp.id))) == 3


def test_unknown_badge_is_shown_on_the_terminal_and_kept_with_its_reason(setup) -> None:  # type: ignore[no-untyped-def]
    service, terminal = setup
    terminal.stamp(1, "2026-03-02T08:00:00", badge="4242")
    terminal.stamp(2, "2026-03-02T08:01:00")
    wait_until(lambda: len(terminal.acks) == 2)
    by_seq = {a.seq: a for a in terminal.acks}
    assert by_seq[1].status == "rejected" and "Badge sconosciuto" in by_seq[1].display
    assert by_seq[2].status == "stored"
    assert rows(service, sa.select(RejectedMessage.reason).where(
        RejectedMessage.terminal_code == terminal.code)) == [("unknown badge 4242",)]


def test_status_heartbeat_records_the_clock_skew(setup) -> None:  # type: ignore[no-untyped-def]
    service, terminal = setup
    five_minutes_ahead = datetime.fromtimestamp(datetime.now(UTC).timestamp() + 300, UTC)
    status = StatusMessage("online", five_minutes_ahead, queued=3, last_seq=17)
    terminal.publish("status", status.encode())
    wait_until(lambda: rows(service, sa.select(Terminal.status))[0][0] == "online")
    [(skew, queued, last_seq)] = rows(
        service, sa.select(Terminal.clock_skew_s, Terminal.queued, Terminal.last_seq))
    assert 290 <= skew <= 300 and (queued, last_seq) == (3, 17)


def test_keypad_config_and_last_stamps_query(setup) -> None:  # type: ignore[no-untyped-def]
    """Seed 001 shows the last stamps on the terminal (F5, "strisciare il badge")."""
    _service, terminal = setup
    wait_until(lambda: terminal.config is not None)
    config = decode_config(terminal.config or b"")
    assert config.institution == "university" and config.direction == "alternate"
    # Only codes the rules let people type at a terminal: 29 and 35, not web-only 41.
    assert {c.code for c in config.codes} == {"29", "35"}
    terminal.stamp(1, "2026-03-02T08:00:00")
    wait_until(lambda: len(terminal.acks) == 1)
    terminal.publish("query", QueryMessage("q1", "1001").encode())
    wait_until(lambda: bool(terminal.replies))
    reply = decode_reply(terminal.replies[0])
    assert reply.request_id == "q1" and [s[0] for s in reply.stamps] == ["02/03 08:00"]


def test_days_left_dirty_by_a_crash_are_recomputed_at_start(
        db_engine: sa.Engine, own_broker: tuple[str, int]) -> None:
    """Stamps committed, then the process died before recomputing: the next start does it."""
    with Session(db_engine) as session:
        ensure_institution(session, "university", "Università degli Studi di Milano")
        employee = add_employee(session, "university", "M002", "Luca Verdi", badge="2002")
        day = datetime(2026, 3, 2).date()
        for minute in (9 * 60, 16 * 60):
            session.add(Stamp(institution_id="university", source="manual",
                              employee_id=employee.id, local_date=day, local_minute=minute,
                              terminal_time=datetime(2026, 3, 2, minute // 60 - 1, tzinfo=UTC),
                              received_at=datetime.now(UTC), flags="", void=False))
        mark_dirty(session, [("university", employee.id, day)], datetime.now(UTC))
        session.commit()
    broker = BrokerSettings(host=own_broker[0], port=own_broker[1],
                            client_id=f"ingest-{uuid.uuid4().hex[:8]}", session_expiry_s=60)
    with IngestService(db_engine, broker) as service:
        wait_until(lambda: bool(rows(service, sa.select(DayResultRow.worked))))
        [(worked,)] = rows(service, sa.select(DayResultRow.worked))
    assert worked > 0


def test_a_terminal_added_later_gets_its_keypad_codes_when_it_comes_online(  # type: ignore[no-untyped-def]
        setup, own_broker: tuple[str, int]) -> None:
    service, _ = setup
    code = f"t{uuid.uuid4().hex[:10]}"
    with Session(service.engine) as session:
        add_terminal(session, "university", code)
        session.commit()
    late = FakeTerminal("university", code, own_broker)
    try:
        late.publish("status", StatusMessage("online", datetime.now(UTC)).encode())
        wait_until(lambda: late.config is not None)
        assert decode_config(late.config or b"").institution == "university"
    finally:
        late.close()


def test_the_last_will_marks_the_terminal_offline(  # type: ignore[no-untyped-def]
        setup, own_broker: tuple[str, int]) -> None:
    """A terminal that drops off the network without a goodbye: its Will says offline."""
    service, terminal = setup
    will = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    will.will_set(topic("university", terminal.code, "status"),
                  StatusMessage("offline").encode(), qos=1, retain=True)
    will.connect(*own_broker)
    will.loop_start()
    terminal.publish("status", StatusMessage("online", datetime.now(UTC)).encode())
    wait_until(lambda: rows(service, sa.select(Terminal.status))[0][0] == "online")
    will.loop_stop()
    will.socket().close()  # a power cut: no DISCONNECT, so the broker publishes the Will
    wait_until(lambda: rows(service, sa.select(Terminal.status))[0][0] == "offline", 30)


def test_a_terminal_saying_online_is_told_the_highest_seq_stored_for_it(setup) -> None:  # type: ignore[no-untyped-def]
    """So a terminal whose queue file was lost numbers its new stamps above the old ones."""
    _service, terminal = setup
    terminal.publish("status", StatusMessage("online", datetime.now(UTC)).encode())
    wait_until(lambda: terminal.committed == [0])  # nothing stored yet
    for seq in (1, 2, 7):
        terminal.stamp(seq, f"2026-03-02T08:0{seq}:00")
    terminal.stamp(9, "2026-03-02T08:09:00", badge="4242")  # rejected: not a stored key
    wait_until(lambda: len(terminal.acks) == 4)
    terminal.publish("status", StatusMessage("online", datetime.now(UTC)).encode())  # heartbeat
    wait_until(lambda: terminal.committed == [0, 7])
    terminal.publish("status", StatusMessage("offline").encode())
    time.sleep(0.5)
    assert terminal.committed == [0, 7]  # only "online" asks
