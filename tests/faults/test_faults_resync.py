"""A terminal whose queue file is lost starts again above what the server already holds.

The SD card dies, the box is replaced, the file is deleted: the new queue file
would restart at seq 1 and every new stamp would collide with an old key and
be kept only as a conflict. Against the private Mosquitto with the shipped
configuration and `timbra ingest` as a subprocess, on SQLite and PostgreSQL,
the personnel office must find every swipe of both boxes in `stamps`, once,
with its own badge and time, and nothing to sort out among the conflicts.
"""

# The `rig` fixture is imported from test_faults and taken as an argument, which
# pyflakes reads as redefining the import.
# ruff: noqa: F811

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from test_faults import Rig, rig  # noqa: F401

from server.db.models import RejectedMessage, Stamp, StampConflict, Terminal
from terminals.simulator import ROME, Simulator
from terminals.swipes import PlannedStamp

pytestmark = pytest.mark.faults

BOX = "t01"
# Yesterday from 07:00, one swipe a minute: every swipe has a time of its own.
START = datetime.combine(datetime.now(ROME).date() - timedelta(days=1),
                         datetime.min.time(), ROME) + timedelta(hours=7)


def swipes(simulator: Simulator, first: int, count: int) -> list[PlannedStamp]:
    """Swipes number first … first+count-1 of the day, the box's ten badges in turn."""
    badges = simulator.badges[BOX]
    return [PlannedStamp(BOX, badges[i % len(badges)], START + timedelta(minutes=i),
                         "in" if (i // len(badges)) % 2 == 0 else "out")
            for i in range(first, first + count)]


def old_box_stamps_then_its_queue_file_is_lost(rig: Rig, count: int) -> list[PlannedStamp]:
    with rig.simulator(terminals=[BOX]) as old:
        old.start()
        taken = swipes(old, 0, count)
        old.run(stamps=taken)
        assert old.wait_all_acked(120), f"{old.pending()} stamps of the old box never acked"
    for lost in rig.workdir.glob(f"terminals/{BOX}.sqlite*"):
        lost.unlink()
    return taken


def assert_the_office_finds_every_swipe_once(rig: Rig, taken: list[PlannedStamp]) -> None:
    with Session(rig.engine) as session:
        stored = session.execute(
            sa.select(Stamp.seq, Stamp.badge, Stamp.terminal_time)
            .join(Terminal, Terminal.id == Stamp.terminal_id)
            .where(Terminal.code == BOX).order_by(Stamp.seq)).all()
        conflicts = session.scalar(sa.select(sa.func.count()).select_from(StampConflict))
        rejected = session.scalar(sa.select(sa.func.count()).select_from(RejectedMessage))
    assert [seq for seq, _, _ in stored] == list(range(1, len(taken) + 1))
    assert sorted((badge, at) for _, badge, at in stored) == sorted(
        (s.badge, s.time) for s in taken)
    # Numbered in the order they were swiped, across the two boxes.
    assert [at for _, _, at in stored] == [s.time for s in taken]
    assert conflicts == 0 and rejected == 0  # nothing for the office to sort out
    per_badge = Counter(badge for _, badge, _ in stored)
    assert per_badge == Counter(s.badge for s in taken)  # no employee's day misses a stamp


def test_a_replacement_queue_file_stores_offline_and_online_stamps_above_the_old_ones(
        rig: Rig) -> None:
    taken = old_box_stamps_then_its_queue_file_is_lost(rig, 300)
    with rig.simulator(terminals=[BOX]) as new:
        offline, online = swipes(new, 300, 100), swipes(new, 400, 100)
        new.run(stamps=offline)  # the new box is not on the network yet
        box = new.outboxes[BOX]
        assert box.count() == 100 and not box.confirmed
        new.start()
        new.run(stamps=online)
        assert new.wait_all_acked(120), f"{new.pending()} stamps of the new box never acked"
        assert new.stats().by_status == {"stored": 200}
        assert box.confirmed and box.last_seq() == 500
    assert_the_office_finds_every_swipe_once(rig, taken + offline + online)


def test_a_replacement_queue_file_waits_for_a_server_that_answers_late(rig: Rig) -> None:
    taken = old_box_stamps_then_its_queue_file_is_lost(rig, 300)
    rig.ingest.kill9()
    with rig.simulator(terminals=[BOX]) as new:
        new.start()  # the broker is there, the server is not
        waiting = swipes(new, 300, 100)
        new.run(stamps=waiting)
        time.sleep(2)
        assert new.pending() == 100 and not new.outboxes[BOX].confirmed
        rig.ingest.start()
        assert new.wait_all_acked(120), f"{new.pending()} stamps of the new box never acked"
    assert_the_office_finds_every_swipe_once(rig, taken + waiting)
