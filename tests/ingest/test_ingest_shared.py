"""Several ingest processes at once: shared subscriptions, conflict-free inserts, nothing
decided from one process's memory, one recompute worker at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fake_terminal import FakeTerminal, wait_until
from fault_harness import PrivateMosquitto
from sqlalchemy.orm import Session

from server.cli.main import main
from server.days.dirty import mark_dirty
from server.days.worker import Recomputer
from server.db import make_engine
from server.db.directory import add_employee, add_terminal, ensure_institution
from server.db.models import Employee, Stamp
from server.ingest.incoming import Incoming
from server.ingest.lookup import Lookup
from server.ingest.service import IngestService
from server.ingest.settings import BrokerSettings, SettingsError
from server.ingest.store import store_stamps
from server.ingest.terminal_status import apply_status
from terminals.protocol import StampMessage, StatusMessage, topic

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_engine: sa.Engine) -> sa.Engine:
    with Session(db_engine) as session:
        ensure_institution(session, "university", "Università degli Studi di Milano")
        add_employee(session, "university", "M001", "Maria Rossi", badge="1001")
        add_terminal(session, "university", "t1")
        add_terminal(session, "university", "t2")
        session.commit()
    return db_engine


def stamp(seq: int, at: str, terminal: str = "t1") -> Incoming:
    moment = datetime.fromisoformat(at).replace(tzinfo=ROME)
    message = StampMessage(terminal, seq, f"{terminal}-{seq}", "1001", moment)
    return Incoming(topic("university", terminal, "stamp"), message.encode(), NOW, seq, 1)


# --- settings ---------------------------------------------------------------------------


def test_share_in_the_broker_url_names_the_group_and_gives_each_process_its_own_id() -> None:
    settings = BrokerSettings.from_url("mqtt://127.0.0.1:1883?share=timbra&client_id=ing")
    assert settings.shared and settings.share_group == "timbra"
    first, second = settings.process_client_id(), settings.process_client_id()
    assert first != second and first.startswith("ing-") and second.startswith("ing-")
    assert "shared by group timbra" in settings.redacted()
    alone = BrokerSettings.from_url("mqtt://127.0.0.1:1883?client_id=ing")
    assert alone.process_client_id() == "ing"  # one process: its fixed id and session


@pytest.mark.parametrize(("url", "why"), [
    ("mqtt://h?share=a/b", "share is 1-40 letters"),
    ("mqtt://h?share=%23", "share is 1-40 letters"),
    ("mqtt://h?share=", "share is 1-40 letters"),
    ("mqtt://h?share=timbra&protocol=4", "need MQTT 5"),
])
def test_a_group_that_is_not_one_topic_level_or_mqtt_3_is_refused(url: str, why: str) -> None:
    with pytest.raises(SettingsError, match=why):
        BrokerSettings.from_url(url)


def test_sqlite_refuses_shared_mode_clearly_and_creates_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "timbra.db"
    code = main(["ingest", "--database", f"sqlite:///{database}", "--mqtt",
                 "mqtt://127.0.0.1:1", "--share", "timbra"])
    assert code == 2
    assert "shared subscriptions (--share) need PostgreSQL" in capsys.readouterr().err
    assert not database.exists()
    engine = make_engine(f"sqlite:///{database}")
    with pytest.raises(SettingsError, match="need PostgreSQL"):
        IngestService(engine, BrokerSettings(share_group="timbra"))
    engine.dispose()


# --- what two processes see alike --------------------------------------------------------


def test_double_swipe_is_seen_across_two_ingests(engine: sa.Engine) -> None:
    """Seed 001's rule file: `double_swipe 1m`. The first swipe taken by one ingest, the
    second, 40 s later, by another: flagged all the same."""
    with Session(engine) as session:
        store_stamps(session, Lookup(), [stamp(1, "2026-03-02T08:03:00")], NOW)
        session.commit()
        store_stamps(session, Lookup(), [stamp(2, "2026-03-02T08:03:40", "t2")], NOW)
        session.commit()
        flags = dict(session.execute(sa.select(Stamp.seq, Stamp.flags)).all())
    assert flags == {1: "late", 2: "late,double_swipe"}


def test_clock_skew_reported_to_one_ingest_flags_stamps_taken_by_another(
        engine: sa.Engine) -> None:
    ahead = NOW + timedelta(minutes=5)  # the terminal's clock, five minutes fast
    status = Incoming(topic("university", "t1", "status"),
                      StatusMessage("online", ahead, queued=0, last_seq=0).encode(), NOW)
    stamps_ingest = Lookup()  # has seen the terminal before its clock went wrong
    with Session(engine) as session:
        store_stamps(session, stamps_ingest, [stamp(1, "2026-03-03T12:49:00")], NOW)
        session.commit()
        apply_status(session, Lookup(), status)  # the heartbeat went to another ingest
        session.commit()
        store_stamps(session, stamps_ingest, [stamp(2, "2026-03-03T12:50:00")], NOW)
        session.commit()
        flags = dict(session.execute(sa.select(Stamp.seq, Stamp.flags)).all())
    assert flags == {1: "", 2: "skewed"}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_ingests_writing_the_same_keys_at_once_store_each_once(engine: sa.Engine) -> None:
    """A terminal resends a stamp that another ingest is still committing: the second
    insert waits for the first commit, skips the key and answers `duplicate`; no error,
    so no batch falls back to one-by-one writes."""
    batch = [stamp(seq, f"2026-03-02T08:{seq:02d}:00") for seq in range(1, 51)]
    first = Session(engine)
    done: list[object] = []
    try:
        stored = store_stamps(first, Lookup(), batch, NOW)  # not committed yet

        def second() -> None:
            with Session(engine) as session:
                done.append(store_stamps(session, Lookup(), list(reversed(batch)), NOW))
                session.commit()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive(), "the second insert must wait for the first commit"
        first.commit()
        thread.join(30)
    finally:
        first.close()
    [outcome] = done
    assert stored.stored == 50 and (outcome.stored, outcome.duplicates) == (0, 50)  # type: ignore[attr-defined]
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Stamp)) == 50


# --- through the real Mosquitto ------------------------------------------------------------


@pytest.fixture
def shared_pair(engine: sa.Engine, tmp_path: Path
                ) -> Iterator[tuple[list[IngestService], FakeTerminal]]:
    """Two ingests sharing a subscription on a Mosquitto of the test's own: on the
    machine's, every other ingest running meanwhile would answer our terminal too."""
    broker = PrivateMosquitto(tmp_path / "mosquitto")
    broker.start()
    services = [IngestService(engine, BrokerSettings(port=broker.port, client_id="test-ingest",
                                                     share_group="timbra"), recompute=False)
                for _ in range(2)]
    terminal = FakeTerminal("university", "t1", ("127.0.0.1", broker.port))
    try:
        for service in services:
            service.start()
            assert service.connected.wait(10), "the private Mosquitto did not answer"
        yield services, terminal
    finally:
        terminal.close()
        for service in services:
            service.stop()
        broker.stop()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_shared_ingests_split_the_stamps_and_each_is_answered_once(
        shared_pair: tuple[list[IngestService], FakeTerminal]) -> None:
    services, terminal = shared_pair
    assert len({s.client_id for s in services}) == 2
    for seq in range(1, 201):
        terminal.stamp(seq, f"2026-03-02T{8 + seq // 60:02d}:{seq % 60:02d}:00")
    wait_until(lambda: len(terminal.acks) >= 200, 30)
    # Each stamp reached one ingest: one ack each, all "stored", none "duplicate".
    assert sorted(a.seq for a in terminal.acks) == list(range(1, 201))
    assert {a.status for a in terminal.acks} == {"stored"}
    assert [s.stats.stored > 0 for s in services] == [True, True]  # both took a share


# --- one recompute worker at a time --------------------------------------------------------


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_one_recompute_worker_works_the_other_takes_over_when_it_is_gone(
        engine: sa.Engine) -> None:
    with Session(engine) as session:
        employee = session.scalars(sa.select(Employee.id)).one()
        mark_dirty(session, [("university", employee, NOW.date())], NOW)
        session.commit()
    clock = lambda: NOW + timedelta(hours=1)  # noqa: E731
    first, second = Recomputer(engine, clock), Recomputer(engine, clock)
    try:
        assert first.turn.holds() and not second.turn.holds()
        assert second.run_once() is False and second.recomputed == 0
        first.turn.release()  # a worker stopping: it hands the turn over before it returns
        assert second.turn.holds() and not first.turn.holds()
        second.run_once()
        assert second.recomputed == 1
        # A worker killed: its backend goes, and the lock with it once the backend exits.
        with engine.connect() as admin:
            admin.execute(sa.text(
                "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d"
                " ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted"
                " AND d.datname = current_database()"))
        wait_until(first.turn.holds, 10)
        assert not second.turn.holds()
    finally:
        first.turn.release()
        second.turn.release()


def test_on_sqlite_the_single_worker_always_has_the_turn(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/timbra.db")
    assert Recomputer(engine, lambda: datetime.now(UTC)).turn.holds()
    engine.dispose()


def test_a_worker_waiting_out_a_burst_stops_soon_after_its_ingest_is_gone(
        tmp_path: Path) -> None:
    """`timbra recompute` beside an ingest killed with SIGKILL mid-burst: the marks stay
    fresh (busy), and the worker must notice its parent is gone, not wait MAX_LAG_S."""
    engine = make_engine(f"sqlite:///{tmp_path}/timbra.db")
    gone = threading.Event()
    worker = threading.Thread(target=Recomputer(engine, lambda: datetime.now(UTC)).loop,
                              args=(threading.Event(),),
                              kwargs={"alive": lambda: not gone.is_set(),
                                      "busy": lambda: True}, daemon=True)
    worker.start()
    time.sleep(0.5)  # in its wait for the burst to end
    gone.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
    engine.dispose()
