"""A rule file activated by an administrator reaches a running ingest, on SQLite and
PostgreSQL: the web (its own engine here) uploads and activates through the office
service; the ingest keeps one `Lookup` for its whole life, as `timbra ingest` does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import world

from server.db.directory import add_badge, add_terminal
from server.db.models import Stamp, User
from server.ingest.incoming import Incoming
from server.ingest.lookup import Lookup
from server.ingest.store import store_stamps
from server.office import rules_upload
from terminals.protocol import StampMessage, topic

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 4, 1, 13, 30, tzinfo=UTC)  # when the batches arrive
UNIVERSITY = (Path(__file__).parents[2] / "plugins/university/university.rules").read_text()
# The same rules with a five-minute double-swipe window instead of one.
FIVE_MINUTES = UNIVERSITY.replace("double_swipe 1m", "double_swipe 5m")


@pytest.fixture
def ids(db_engine: sa.Engine) -> dict[str, int]:
    """University staff: Ann holds badge A1, Bob B1; one terminal."""
    with Session(db_engine) as session:
        w = world(session, "university")
        add_badge(session, w.employees["ann"], "A1")
        add_badge(session, w.employees["bob"], "B1")
        add_terminal(session, "university", "t1")
        session.commit()
        return {"ann": w.employees["ann"].id, "bob": w.employees["bob"].id}


def stamp(seq: int, day: date, clock: str, badge: str) -> Incoming:
    moment = datetime.fromisoformat(f"{day.isoformat()}T{clock}:00").replace(tzinfo=ROME)
    message = StampMessage("t1", seq, f"t1-{seq}", badge, moment)
    return Incoming(topic("university", "t1", "stamp"), message.encode(), NOW, seq, 1)


def ingest(engine: sa.Engine, lookup: Lookup, *batch: Incoming) -> dict[int, str]:
    """One batch in one transaction, as the ingest's writer does; seq -> stored flags."""
    with Session(engine) as session, session.begin():
        outcome = store_stamps(session, lookup, batch, NOW)
    acks = outcome.acks[("university", "t1")]
    assert {a.status for a in acks} == {"stored"}
    with Session(engine) as session:
        rows = session.execute(sa.select(Stamp.seq, Stamp.flags).where(
            Stamp.seq.in_([a.seq for a in acks])))
        return {seq: flags for seq, flags in rows if seq is not None}


def activate_from_april(web: sa.Engine, source: str) -> None:
    """What the administrator's rules page does: upload, then activate from 1 April."""
    with Session(web) as session:
        admin = session.scalars(sa.select(User).where(User.username == "university.admin")).one()
        draft = rules_upload.upload_rules(session, admin, "university-5m.rules", source)
        rules_upload.activate(session, admin, draft.id, date(2026, 4, 1), now=NOW)
        session.commit()


def test_a_running_ingest_flags_double_swipes_with_the_window_activated_from_its_date_on(
        db_engine: sa.Engine, web: sa.Engine, ids: dict[str, int]) -> None:
    """Seed 001's rule file (plugins/university/university.rules):

        rules from 2016-01-01 "Seed 001: il sistema di rilevazione delle timbrature" {
            stamping { ... double_swipe 1m }

    a second swipe within 1 minute is flagged `double_swipe`. The administrator activates
    a file with `double_swipe 5m` from 1 April: the ingest, running since before, flags
    a 2-minute gap on 1 April from the next batch on, and not on 31 March, where the
    plugin's file is still in force."""
    lookup = Lookup()
    april, march = date(2026, 4, 1), date(2026, 3, 31)
    before = ingest(db_engine, lookup, stamp(1, april, "08:00", "A1"),
                    stamp(2, april, "08:02", "A1"))
    assert before == {1: "", 2: ""}  # 2 minutes apart: outside the plugin's 1 minute
    activate_from_april(web, FIVE_MINUTES)
    after = ingest(db_engine, lookup, stamp(3, april, "12:00", "A1"),
                   stamp(4, april, "12:02", "A1"), stamp(5, march, "12:00", "B1"),
                   stamp(6, march, "12:02", "B1"))
    assert after == {3: "", 4: "double_swipe", 5: "late", 6: "late"}


def test_a_rule_file_activation_costs_the_steady_state_no_query_after_the_next_batch(
        db_engine: sa.Engine, web: sa.Engine, ids: dict[str, int]) -> None:
    """The window is a dict lookup per stamp: the rule files are read again once, in the
    batch after the activation, and not in the batches after it."""
    lookup = Lookup()
    april = date(2026, 4, 1)
    ingest(db_engine, lookup, stamp(1, april, "08:00", "A1"))
    activate_from_april(web, FIVE_MINUTES)
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731  (statement)
    sa.event.listen(db_engine, "before_cursor_execute", listener)
    try:
        ingest(db_engine, lookup, stamp(2, april, "09:00", "A1"))
        read_after_activation = sum("FROM rule_versions" in s for s in seen)
        seen.clear()
        ingest(db_engine, lookup, stamp(3, april, "10:00", "A1"))
    finally:
        sa.event.remove(db_engine, "before_cursor_execute", listener)
    assert read_after_activation == 1
    assert not any("FROM rule_versions" in s for s in seen)
