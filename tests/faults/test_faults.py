"""Faults against the real Mosquitto and both databases: no stamp lost, none doubled.

Each test starts a private Mosquitto, `timbra ingest` as a subprocess and
simulated terminals (real MQTT clients with their own SQLite queues), then
breaks one of them. What a personnel office would check afterwards: every
stamp the terminals took is in the database exactly once, with its own time.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from fault_harness import IngestProcess, PrivateMosquitto, PrivatePostgres, wait_for
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session

from server.broker.mosquitto import BrokerSettings as MosquittoSettings
from server.broker.mosquitto import write_config
from server.db import make_engine, upgrade
from server.db.directory import add_employee, add_terminal, ensure_institution
from server.db.models import DayResultRow, RejectedMessage, Stamp, Terminal
from terminals.config import BrokerConfig
from terminals.protocol import StampMessage, topic
from terminals.simulator import Simulator

pytestmark = pytest.mark.faults

TERMINALS, BADGES = 20, 10
# A burst that is still arriving when the ingest or the broker is killed (2,000 stamps in):
# each test checks it was. 20,000 made the same point at twice the run time.
BURST = 10_000


@dataclass
class Rig:
    engine: sa.Engine
    mosquitto: PrivateMosquitto
    ingest: IngestProcess
    workdir: Path
    credentials: dict[str, tuple[str, str | None]]  # terminal -> its broker login

    def simulator(self, terminals: int | list[str] = TERMINALS, **kwargs: object) -> Simulator:
        return Simulator(institution="university", workdir=self.workdir / "terminals",
                         terminals=terminals, badges=BADGES,
                         broker=BrokerConfig(port=self.mosquitto.port, protocol="5"),
                         credentials=self.credentials, resend_seconds=3,
                         heartbeat_seconds=5, **kwargs)  # type: ignore[arg-type]

    def stored(self) -> int:
        with self.engine.connect() as connection:
            return connection.scalar(sa.select(sa.func.count()).select_from(Stamp)) or 0

    def per_terminal_seqs(self) -> dict[str, list[int]]:
        with Session(self.engine) as session:
            rows = session.execute(sa.select(Terminal.code, Stamp.seq)
                                   .join(Terminal, Terminal.id == Stamp.terminal_id)
                                   .order_by(Terminal.code, Stamp.seq)).all()
        seqs: dict[str, list[int]] = {}
        for code, seq in rows:
            seqs.setdefault(code, []).append(seq)
        return seqs


@pytest.fixture
def rig(db_engine: sa.Engine, db_url: str, tmp_path: Path) -> Iterator[Rig]:
    yield from _rig(db_engine, db_url, tmp_path)


def _rig(engine: sa.Engine, url: str, tmp_path: Path) -> Iterator[Rig]:
    """Terminals and badges in `engine`, Mosquitto with timbra's configuration, the ingest."""
    mosquitto = PrivateMosquitto(tmp_path / "mosquitto")
    credentials: dict[str, tuple[str, str | None]] = {}
    with Session(engine) as session:
        _register_terminals(session, credentials)
        session.commit()
        # The configuration timbra ships: passwords and an ACL per terminal.
        written = write_config(session, tmp_path / "mosquitto", MosquittoSettings(
            port=mosquitto.port, bind="127.0.0.1", data_dir=tmp_path / "mosquitto" / "data",
            expiration="1d", user=getpass.getuser()),  # owns the 0600 password file
            server_password="fault-test-server")
    mosquitto.use_config(written.conf, "fault-test-server")
    mosquitto.start()
    ingest = IngestProcess(url, mosquitto.url, tmp_path / "ingest.log",
                           client_id=f"ingest-{uuid.uuid4().hex[:8]}")
    try:
        ingest.start()
        yield Rig(engine, mosquitto, ingest, tmp_path, credentials)
    finally:
        ingest.stop()
        mosquitto.stop()


def _register_terminals(session: Session, credentials: dict[str, tuple[str, str | None]]) -> None:
    ensure_institution(session, "university", "Università degli Studi di Milano")
    for t in range(TERMINALS + 1):  # the last one is the attackers' terminal
        made = add_terminal(session, "university", f"t{t + 1:02d}")
        credentials[made.terminal.code] = (made.terminal.username, made.password)
        for b in range(BADGES):
            badge = f"{t + 1:03d}{b + 1:05d}"  # the simulator's badge numbers
            add_employee(session, "university", badge, f"Dipendente {badge}", badge=badge)


def assert_exactly_once(rig: Rig, simulator: Simulator, total: int) -> None:
    assert simulator.wait_all_acked(180), f"{simulator.pending()} stamps never acknowledged"
    assert rig.stored() == total
    for code, seqs in rig.per_terminal_seqs().items():
        # Every sequence number the terminal issued, once: none lost, none doubled.
        assert seqs == list(range(1, len(seqs) + 1)), code


def burst(simulator: Simulator, total: int) -> threading.Thread:
    thread = threading.Thread(target=simulator.run, args=(total,), daemon=True)
    thread.start()
    return thread


def test_ingest_killed_with_sigkill_during_a_burst(rig: Rig) -> None:
    with rig.simulator() as simulator:
        simulator.start()
        sender = burst(simulator, BURST)
        wait_for(lambda: rig.stored() > 2_000, 60, "the first stamps to be stored")
        rig.ingest.kill9()
        assert rig.stored() < BURST, "the burst was over before the kill"
        time.sleep(1)
        rig.ingest.start()
        sender.join()
        assert_exactly_once(rig, simulator, BURST)


@pytest.mark.parametrize("how", ["restart", "kill9"])
def test_broker_restarted_during_a_burst(rig: Rig, how: str) -> None:
    with rig.simulator() as simulator:
        simulator.start()
        sender = burst(simulator, BURST)
        wait_for(lambda: rig.stored() > 2_000, 60, "the first stamps to be stored")
        assert rig.stored() < BURST, "the burst was over before the broker went down"
        if how == "restart":
            rig.mosquitto.restart()  # saves its queue on the way down
        else:
            rig.mosquitto.kill9()  # loses whatever it had queued: the terminals still have it
            time.sleep(1)
            rig.mosquitto.start()
        sender.join()
        assert_exactly_once(rig, simulator, BURST)


def test_terminal_offline_for_days_then_replays_its_queue(rig: Rig) -> None:
    with rig.simulator(terminals=["t01"]) as simulator:
        planned = simulator.plan(5_000, profile="peak")
        simulator.enqueue(planned)  # offline: everything waits in its SQLite queue
        simulator.start()
        assert_exactly_once(rig, simulator, 5_000)
    with Session(rig.engine) as session:
        times = sorted(session.scalars(sa.select(Stamp.terminal_time)))
        days = {(e, d) for e, d in session.execute(
            sa.select(Stamp.employee_id, Stamp.local_date).distinct())}
        flags = set(session.scalars(sa.select(Stamp.flags).distinct()))
    # Stored with the times they were taken at, not the time they arrived.
    assert times == sorted(s.time for s in planned if s.time is not None)
    assert "late" in flags
    wait_for(lambda: _computed_days(rig) >= len(days), 60, "the replayed days to be recomputed")


def _computed_days(rig: Rig) -> int:
    with rig.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(DayResultRow)) or 0


@dataclass
class Database:
    url: str
    down: Callable[[], AbstractContextManager[None]]  # unavailable while inside


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """SQLite: another process holds the write lock. PostgreSQL: a server of the test's
    own, stopped as in a crash and started again (the machine's serves everybody else)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/timbra.db"
        yield Database(url, lambda: _sqlite_locked(url))
        return
    server = PrivatePostgres(keep_log=tmp_path / "postgres.log")
    try:
        server.start()
        yield Database(server.url, lambda: _postgres_crashed(server))
    finally:
        server.close()


@contextmanager
def _sqlite_locked(url: str) -> Iterator[None]:
    lock = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        lock.rollback()
        lock.close()


@contextmanager
def _postgres_crashed(server: PrivatePostgres) -> Iterator[None]:
    server.stop_immediately()
    try:
        yield
    finally:
        server.restart()  # crash recovery


@pytest.fixture
def database_rig(database: Database, tmp_path: Path) -> Iterator[Rig]:
    engine = make_engine(database.url)
    upgrade(engine)
    try:
        yield from _rig(engine, database.url, tmp_path)
    finally:
        engine.dispose()


def test_database_unavailable_for_a_while(database_rig: Rig, database: Database) -> None:
    rig, sqlite = database_rig, database.url.startswith("sqlite")
    with rig.simulator() as simulator:
        simulator.start()
        simulator.run(500)
        assert simulator.wait_all_acked(60)
        with database.down():
            sender = burst(simulator, 4_500)
            time.sleep(4)
            acked_while_down = simulator.stats().acked
            stored_while_down = rig.stored() if sqlite else None  # a stopped server: no query
            time.sleep(2)
            # Nothing acknowledged that was not committed, and nothing committed meanwhile.
            assert simulator.stats().acked == acked_while_down == 500
            assert stored_while_down in (None, 500)
        sender.join()
        assert_exactly_once(rig, simulator, 5_000)
    # The same consumer caught up: it neither died nor had to be restarted.
    assert rig.ingest.process is not None and rig.ingest.process.poll() is None
    if not sqlite:  # SQLite's 30 s busy timeout outlasts the lock: the writer just waits
        assert "timbra.ingest WARNING database unavailable" in rig.ingest.log.read_text()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # a crash: a server's
def test_database_crashed_in_the_middle_of_a_burst(database_rig: Rig, database: Database) -> None:
    """PostgreSQL dies (immediate stop) while the writer commits, stays down ~3 s and
    comes back through crash recovery: a commit cut short must be retried, never acked."""
    rig = database_rig
    with rig.simulator() as simulator:
        simulator.start()
        sender = burst(simulator, 20_000)
        wait_for(lambda: rig.stored() > 4_000, 60, "the first stamps to be stored")
        wait_for(lambda: _writing(rig), 10, "a transaction that wrote to be open")
        with database.down():
            acked_at_crash = sum(len(seqs) for seqs in simulator.acked().values())
            time.sleep(3)
        assert acked_at_crash < 20_000, "the burst was over before the crash"
        sender.join()
        assert_exactly_once(rig, simulator, 20_000)
        acked, statuses = simulator.acked(), simulator.stats().by_status
    stored = rig.per_terminal_seqs()
    # No terminal was told "stored" for a stamp the crash took away.
    for code, seqs in acked.items():
        assert seqs <= set(stored.get(code, ())), code
    assert sum(len(seqs) for seqs in acked.values()) == 20_000
    assert set(statuses) <= {"stored", "duplicate"}, statuses  # none refused on the way
    assert rig.ingest.process is not None and rig.ingest.process.poll() is None
    assert "timbra.ingest WARNING database unavailable" in rig.ingest.log.read_text()
    # Its recompute worker (a process of its own on PostgreSQL) outlived the crash too.
    with rig.engine.connect() as connection:
        days = connection.scalar(sa.select(sa.func.count()).select_from(
            sa.select(Stamp.employee_id, Stamp.local_date).distinct().subquery()))
    wait_for(lambda: _computed_days(rig) >= (days or 0), 30, "the burst's days to be computed")


def _writing(rig: Rig) -> bool:
    """Some other session's transaction has written and not yet finished committing."""
    with rig.engine.connect() as connection:
        return bool(connection.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()")))


def test_broker_killed_while_the_server_is_down(rig: Rig) -> None:
    with rig.simulator() as simulator:
        simulator.start()
        rig.ingest.kill9()
        simulator.run(3_000)
        time.sleep(1)  # the broker now holds them for the server's persistent session...
        rig.mosquitto.kill9()  # ...and loses them
        rig.mosquitto.start()
        rig.ingest.start()
        assert_exactly_once(rig, simulator, 3_000)


# --- hostile payloads -------------------------------------------------------------------

ATTACKER = "t21"  # a registered terminal the simulator does not drive
# Values no field of a stamp accepts (null is fine for code and direction, so none here).
wrong_value = st.one_of(
    st.floats(allow_nan=False), st.booleans(), st.text(min_size=65, max_size=80),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers()))


def _valid(number: int, **change: object) -> bytes:
    """A well-formed stamp of the attackers' terminal, with one field changed."""
    message = StampMessage(ATTACKER, number, f"x{number}", "02100001", datetime.now(UTC))
    return json.dumps({**message.to_json(), **change}).encode()


hostile = st.one_of(
    st.binary(max_size=300).filter(lambda b: not b.strip().startswith(b"{")),  # not JSON
    st.builds(lambda n: b'{"seq": 1, "pad": "' + b"x" * n + b'"}', st.integers(5000, 200_000)),
    st.builds(lambda seq, field, value: _valid(seq, **{field: value}),
              st.integers(1, 10**6),
              st.sampled_from(["seq", "time", "badge", "terminal", "direction", "code", "id"]),
              wrong_value),
    st.builds(lambda seq: _valid(seq, badge="99999999"), st.integers(1, 10**6)),  # unknown
    st.builds(lambda seq: _valid(seq, terminal="t01"), st.integers(1, 10**6)),  # mismatched
)


# Four examples of 250: hypothesis' first example is its simplest (all empty payloads),
# the later ones are the varied ones. The rig lives across them, so counts are deltas.
@settings(max_examples=4, deadline=None, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(payloads=st.lists(hostile, min_size=250, max_size=250))
def test_a_thousand_hostile_payloads_are_rejected_and_valid_stamps_around_them_kept(
        rig: Rig, payloads: list[bytes]) -> None:
    rejected_before, stored_before = _rejected(rig), rig.stored()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(*rig.credentials[ATTACKER])  # a terminal gone rogue
    client.connect("127.0.0.1", rig.mosquitto.port)
    client.loop_start()
    with rig.simulator(terminals=["t01", "t02"]) as simulator:
        simulator.start()
        sender = burst(simulator, 500)
        infos = [client.publish(topic("university", ATTACKER, "stamp"), payload, qos=1)
                 for payload in payloads]
        infos[-1].wait_for_publish(60)
        assert all(info.is_published() for info in infos), "the broker did not take them all"
        sender.join()
        assert_exactly_once(rig, simulator, stored_before + 500)
    client.disconnect()
    client.loop_stop()
    expected = rejected_before + len(payloads)
    wait_for(lambda: _rejected(rig) >= expected, 60, "every hostile payload to be rejected")
    assert _rejected(rig) == expected
    assert rig.ingest.process is not None and rig.ingest.process.poll() is None


def _rejected(rig: Rig) -> int:
    with rig.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(RejectedMessage).where(
            RejectedMessage.terminal_code == ATTACKER)) or 0
