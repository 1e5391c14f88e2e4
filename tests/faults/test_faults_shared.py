"""Three ingest processes share one MQTT 5 subscription on PostgreSQL; one dies mid-burst.

20 simulated terminals send 20,000 stamps through a private Mosquitto with timbra's own
configuration to three `timbra ingest --share timbra`, and one of the three is killed
with SIGKILL once some thousands are stored. What the office checks afterwards: every
stamp the terminals took is in the database once (rows = distinct keys = stamps sent),
every stamp a terminal was told about is there, no ingest had to fall back to writing a
batch message by message (they insert without conflicts), and the days the burst
dirtied are each computed by exactly one of two `timbra recompute` workers.
"""

from __future__ import annotations

import getpass
import re
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from fault_harness import IngestProcess, PrivateMosquitto, RecomputeProcess, wait_for
from sqlalchemy.orm import Session

from server.broker.acl import server_users
from server.broker.mosquitto import BrokerSettings as MosquittoSettings
from server.broker.mosquitto import write_config
from server.db.directory import add_employee, add_terminal, ensure_institution
from server.db.models import DayResultRow, DirtyDay, Stamp, Terminal
from terminals.config import BrokerConfig
from terminals.simulator import Simulator

pytestmark = pytest.mark.faults

TERMINALS, BADGES, STAMPS, INGESTS = 20, 10, 20_000, 3


@pytest.fixture
def mosquitto(db_engine: sa.Engine, tmp_path: Path) -> Iterator[
        tuple[PrivateMosquitto, dict[str, tuple[str, str | None]]]]:
    """Terminals and badges in the database, Mosquitto with the configuration timbra
    writes for them (passwords and an ACL per terminal)."""
    broker = PrivateMosquitto(tmp_path / "mosquitto")
    credentials: dict[str, tuple[str, str | None]] = {}
    with Session(db_engine) as session:
        ensure_institution(session, "university", "Università degli Studi di Milano")
        for t in range(TERMINALS):
            made = add_terminal(session, "university", f"t{t + 1:02d}")
            credentials[made.terminal.code] = (made.terminal.username, made.password)
            for b in range(BADGES):
                badge = f"{t + 1:03d}{b + 1:05d}"  # the simulator's badge numbers
                add_employee(session, "university", badge, f"Dipendente {badge}", badge=badge)
        session.commit()
        written = write_config(session, tmp_path / "mosquitto", MosquittoSettings(
            port=broker.port, bind="127.0.0.1", data_dir=tmp_path / "mosquitto" / "data",
            expiration="1d", user=getpass.getuser()), server_password="fault-test-server",
            server_count=INGESTS)
    broker.use_config(written.conf, "fault-test-server")
    broker.start()
    try:
        yield broker, credentials
    finally:
        broker.stop()


def _count(engine: sa.Engine, query: sa.Select) -> int:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _stored_seqs(engine: sa.Engine) -> dict[str, list[int]]:
    with Session(engine) as session:
        rows = session.execute(sa.select(Terminal.code, Stamp.seq)
                               .join(Terminal, Terminal.id == Stamp.terminal_id)
                               .order_by(Terminal.code, Stamp.seq)).all()
    seqs: dict[str, list[int]] = {}
    for code, seq in rows:
        seqs.setdefault(code, []).append(seq)
    return seqs


def _logged(log: Path, pattern: str) -> list[str]:
    return re.findall(pattern, log.read_text(errors="replace"))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_three_shared_ingests_one_killed_with_sigkill_mid_burst(
        db_engine: sa.Engine, db_url: str, tmp_path: Path, stack: ExitStack,
        mosquitto: tuple[PrivateMosquitto, dict[str, tuple[str, str | None]]]) -> None:
    broker, credentials = mosquitto
    # One broker user each: Mosquitto makes the client id the username
    # (`use_username_as_clientid`), so two ingests of one user would throw each other out.
    ingests = [IngestProcess(db_url, broker.url_as(user), tmp_path / f"ingest{n}.log",
                             options=("--share", "timbra"))
               for n, user in enumerate(server_users(INGESTS))]
    workers = [RecomputeProcess(db_url, tmp_path / f"recompute{n}.log") for n in range(2)]
    for process in [*ingests, *workers]:
        stack.callback(process.stop)  # whatever fails: stopping twice is harmless
    simulator = Simulator(institution="university", workdir=tmp_path / "terminals",
                          terminals=TERMINALS, badges=BADGES,
                          broker=BrokerConfig(port=broker.port, protocol="5"),
                          credentials=credentials, resend_seconds=3, heartbeat_seconds=5)
    for ingest in ingests:
        ingest.start(wait=False)
    for ingest in ingests:
        ingest.wait_listening()
    with simulator:
        simulator.start()
        # Working days around an 08:00 peak, on past days: a handful of stamps per
        # employee-day, as in real life, so the burst dirties thousands of days.
        sender = threading.Thread(target=simulator.run, args=(STAMPS,),
                                  kwargs={"profile": "peak"}, daemon=True)
        sender.start()
        wait_for(lambda: _count(db_engine, sa.select(Stamp.id)) > 4_000, 60,
                 "the first stamps to be stored")
        ingests[1].kill9()  # its unacknowledged share is sent again by the terminals
        sender.join()
        assert simulator.wait_all_acked(120), f"{simulator.pending()} never acknowledged"
        acked, statuses = simulator.acked(), simulator.stats().by_status
        # Every stamp is committed, and with it the marks of its day: the workers
        # start now, while the rest is checked.
        days = _count(db_engine, sa.select(Stamp.employee_id, Stamp.local_date).distinct())
        assert _count(db_engine, sa.select(DirtyDay.employee_id)) == days > 1_000
        for worker in workers:
            worker.start()
    for ingest in ingests:
        ingest.stop()  # its totals are logged on the way out

    stored = _stored_seqs(db_engine)
    rows = _count(db_engine, sa.select(Stamp.id))
    keys = _count(db_engine, sa.select(Stamp.institution_id, Stamp.terminal_id, Stamp.seq)
                  .distinct())
    assert rows == keys == STAMPS
    for code in stored:
        assert stored[code] == list(range(1, len(stored[code]) + 1)), code  # none lost
    # Every stamp a terminal was told about is stored, and all were told.
    for code, seqs in acked.items():
        assert seqs <= set(stored.get(code, ())), code
    assert sum(len(seqs) for seqs in acked.values()) == STAMPS
    assert set(statuses) <= {"stored", "duplicate"}, statuses

    # The survivors shared the work, and none wrote a batch message by message.
    survivors = [ingests[0].log, ingests[2].log]
    for log in survivors:
        [stored_by] = _logged(log, r"stopped: IngestStats\(stored=(\d+)")
        assert int(stored_by) > 0, log.read_text()[-2000:]
        assert set(_logged(log, r"fallbacks=(\d+)")) == {"0"}
        # Nobody took its connection: each ingest connected once and stayed.
        taken = _logged(log, "disconnected from the broker: (?!Normal disconnection)")
        assert not taken, log.read_text()[-2000:]
    for ingest in ingests:
        assert not _logged(ingest.log, "writing one by one"), ingest.log.read_text()[-3000:]

    wait_for(lambda: _count(db_engine, sa.select(DirtyDay.employee_id)) == 0, 90,
             "the dirty days to be recomputed")
    for worker in workers:
        worker.stop()
    _each_dirty_day_computed_once(db_engine, workers, days)


def _each_dirty_day_computed_once(engine: sa.Engine, workers: list[RecomputeProcess],
                                  days: int) -> None:
    """Two `timbra recompute` workers on the dirty days the burst left: one works, the
    other stands by, and each day is computed once, after its last stamp."""
    computed = [sum(map(int, _logged(w.log, r"computed (\d+) employee-days"))) for w in workers]
    assert sum(computed) == days, computed
    # One works at a time; once the first has nothing left it gives the turn back and the
    # other may take it (with nothing to do): the sum above is what shows no day twice.
    assert sum(len(_logged(w.log, "recompute worker active")) for w in workers) >= 1
    # Each day's result counts all its stamps: computed after the last one arrived.
    per_day = (sa.select(Stamp.employee_id, Stamp.local_date, sa.func.count().label("n"))
               .group_by(Stamp.employee_id, Stamp.local_date).subquery())
    matching = sa.select(DayResultRow.employee_id).join(per_day, sa.and_(
        per_day.c.employee_id == DayResultRow.employee_id,
        per_day.c.local_date == DayResultRow.day, per_day.c.n == DayResultRow.stamps_seen))
    assert _count(engine, matching) == days
