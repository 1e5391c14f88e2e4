"""The terminal's queue: nothing reported as stored is ever lost, no sequence is ever reused."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from terminals.outbox import NewStamp, Outbox, OutboxError

ROME = timezone(timedelta(hours=1))
T0 = datetime(2026, 3, 2, 8, 3, tzinfo=ROME)


def test_stamps_come_back_in_order_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, "t1") as box:
        added = [box.add(NewStamp(f"10{i}", T0 + timedelta(minutes=i), "in", None))
                 for i in range(3)]
        added.append(box.add(NewStamp("200", T0, "out", "35")))
    assert [m.seq for m in added] == [1, 2, 3, 4]
    with Outbox(path, "t1") as box:
        pending = box.pending()
        assert pending == added  # same seq, id, badge, time (with offset), direction, code
        assert pending[3].code == "35" and pending[3].time.utcoffset() == timedelta(hours=1)
        assert box.count() == 4
        assert [m.seq for m in box.pending(after=2)] == [3, 4]
        assert [m.seq for m in box.pending(limit=2)] == [1, 2]


@pytest.mark.parametrize("sqlite", ["3.35 or newer", "older"])
def test_only_acknowledged_stamps_leave_and_their_seqs_are_never_reused(
        tmp_path: Path, sqlite: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Terminal boxes with an SQLite before 3.35 (no DELETE … RETURNING) take another path.
    monkeypatch.setattr("terminals.outbox._RETURNING", sqlite != "older")
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, "t1") as box:
        box.add_many([NewStamp("1", T0), NewStamp("2", T0), NewStamp("3", T0)])
        assert box.ack([2, 99]) == [2]  # 99 was never queued: ignored
        assert box.ack([2]) == []  # a second ack for the same stamp changes nothing
        assert [m.seq for m in box.pending()] == [1, 3]
        assert box.ack([1, 3]) == [1, 3]
        assert box.count() == 0
    with Outbox(path, "t1") as box:
        assert box.last_seq() == 3
        assert box.add(NewStamp("4", T0)).seq == 4


def test_a_queue_file_belongs_to_one_terminal(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    Outbox(path, "t1").close()
    with pytest.raises(OutboxError, match="queue of terminal 't1'"):
        Outbox(path, "t2")


def test_first_seq_lets_a_replacement_queue_start_above_the_old_one(tmp_path: Path) -> None:
    with Outbox(tmp_path / "new.sqlite", "t1", first_seq=5000) as box:
        assert box.add(NewStamp("1", T0)).seq == 5000


CHILD = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from terminals.outbox import NewStamp, Outbox
    box = Outbox(sys.argv[1], "t1")
    now = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    while True:
        message = box.add(NewStamp("12345", now, "in", None))
        print(message.seq, flush=True)
""")


@pytest.mark.faults
def test_kill_9_mid_burst_loses_no_stamp_reported_as_stored(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    reported: list[int] = []
    for _round in range(2):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)],
                                 stdout=subprocess.PIPE, text=True,
                                 cwd=Path(__file__).parents[2])
        assert child.stdout is not None
        before = len(reported)
        while len(reported) < before + 300:
            line = child.stdout.readline()
            assert line, "the child stopped before storing anything"
            reported.append(int(line))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()

    with Outbox(path, "t1") as box:
        queued = [m.seq for m in box.pending()]
        assert set(reported) <= set(queued)
        assert len(queued) == len(set(queued)) == queued[-1]  # 1..n, no hole, no repeat
        assert box.add(NewStamp("1", T0)).seq == queued[-1] + 1


# --- a replacement queue file takes the server's committed sequence -------------------


def test_a_new_queue_file_waits_for_the_server_sequence(tmp_path: Path) -> None:
    with Outbox(tmp_path / "new.sqlite", "t1") as box:
        assert not box.confirmed
    with Outbox(tmp_path / "given.sqlite", "t1", first_seq=1) as box:
        assert box.confirmed  # the administrator has said where to start


def test_stamps_queued_before_the_answer_are_renumbered_above_the_server(
        tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, "t1") as box:
        box.add_many([NewStamp(f"{i}", T0 + timedelta(minutes=i), "in") for i in range(3)])
        assert box.resume_after(300) == 3
        assert box.confirmed and box.last_seq() == 303
        assert box.add(NewStamp("9", T0)).seq == 304
    with Outbox(path, "t1") as box:  # the renumbering is on disk, not only in memory
        pending = box.pending()
        assert [(m.seq, m.id, m.badge) for m in pending] == [
            (301, "t1-301", "0"), (302, "t1-302", "1"), (303, "t1-303", "2"), (304, "t1-304", "9")]
        assert pending[1].time == T0 + timedelta(minutes=1)
        assert box.confirmed


def test_renumbering_below_the_queued_numbers_keeps_every_stamp(tmp_path: Path) -> None:
    with Outbox(tmp_path / "outbox.sqlite", "t1") as box:
        box.add_many([NewStamp(f"{i}", T0) for i in range(5)])
        assert box.resume_after(2) == 5  # old 1..5 and new 3..7 overlap
        assert [(m.seq, m.badge) for m in box.pending()] == [
            (3, "0"), (4, "1"), (5, "2"), (6, "3"), (7, "4")]
        assert box.last_seq() == 7


def test_a_server_that_has_nothing_leaves_the_numbers_as_they_are(tmp_path: Path) -> None:
    with Outbox(tmp_path / "outbox.sqlite", "t1") as box:
        box.add_many([NewStamp("1", T0), NewStamp("2", T0)])
        box.resume_after(0)
        assert [m.seq for m in box.pending()] == [1, 2] and box.last_seq() == 2


def test_a_confirmed_queue_is_never_renumbered_but_its_counter_is_raised(
        tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, "t1") as box:
        box.resume_after(0)
        box.add_many([NewStamp("1", T0), NewStamp("2", T0)])
        assert box.resume_after(1) == 0  # behind us: nothing changes
        assert box.last_seq() == 2
        assert box.resume_after(50) == 0  # the queued ones may be on the wire already
        assert [m.seq for m in box.pending()] == [1, 2]
        assert box.add(NewStamp("3", T0)).seq == 51
    with Outbox(path, "t1") as box:
        assert box.last_seq() == 51


def test_an_old_schema_queue_file_counts_as_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # as the terminal software wrote it before
        db.executescript("""
            CREATE TABLE counter (id INTEGER PRIMARY KEY CHECK (id = 1),
                                  terminal TEXT NOT NULL, last_seq INTEGER NOT NULL);
            CREATE TABLE stamp (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, badge TEXT NOT NULL,
                                time TEXT NOT NULL, direction TEXT, code TEXT);
            INSERT INTO counter VALUES (1, 't1', 7);
            INSERT INTO stamp VALUES (7, 't1-7', '123', '2026-03-02T08:03:00+01:00', 'in', NULL);
        """)
    db.close()
    with Outbox(path, "t1") as box:
        assert box.confirmed
        assert [m.seq for m in box.pending()] == [7]
        assert box.add(NewStamp("1", T0)).seq == 8


def test_first_seq_frees_a_queue_still_waiting_for_the_server(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, "t1") as box:
        box.add(NewStamp("1", T0))
    with Outbox(path, "t1", first_seq=1000) as box:  # set by hand in the YAML
        assert box.confirmed
        assert [m.seq for m in box.pending()] == [1000]


def test_an_impossible_committed_sequence_is_refused(tmp_path: Path) -> None:
    with Outbox(tmp_path / "outbox.sqlite", "t1") as box:
        with pytest.raises(OutboxError):
            box.resume_after(-1)
        assert not box.confirmed


RENUMBER_CHILD = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from terminals.outbox import NewStamp, Outbox
    box = Outbox(sys.argv[1], "t1")
    now = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    box.add_many([NewStamp(str(i), now) for i in range(20000)])
    print("queued", flush=True)
    box.resume_after(300)
    print("renumbered", flush=True)
""")


@pytest.mark.faults
@pytest.mark.parametrize("delay", [0.0, 0.01, 0.03, 0.1])
def test_kill_9_while_renumbering_leaves_the_old_numbers_or_the_new_ones(
        tmp_path: Path, delay: float) -> None:
    path = tmp_path / "outbox.sqlite"
    child = subprocess.Popen([sys.executable, "-c", RENUMBER_CHILD, str(path)],
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    assert child.stdout is not None
    assert child.stdout.readline() == "queued\n"
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    with Outbox(path, "t1") as box:
        pending = box.pending()
        assert [m.badge for m in pending] == [str(i) for i in range(20000)]  # none lost
        first = 301 if box.confirmed else 1  # never half renumbered
        assert [m.seq for m in pending] == list(range(first, first + 20000))
        assert all(m.id == f"t1-{m.seq}" for m in pending)
        assert box.last_seq() == first + 19999


def test_a_second_program_cannot_open_a_queue_in_use(tmp_path: Path) -> None:
    """Two terminal programs on one queue file would hand out the same seqs twice."""
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, "t1") as box:
        box.add(NewStamp("100", T0))
        with pytest.raises(OutboxError, match="in use"):
            Outbox(path, "t1")
        assert box.count() == 1
    with Outbox(path, "t1") as box:  # free again once the first one closed
        assert box.count() == 1


def test_an_ack_of_more_stamps_than_one_statement_takes_drops_them_all(tmp_path: Path) -> None:
    with Outbox(tmp_path / "outbox.sqlite", "t1") as box:
        box.add_many([NewStamp(str(n), T0) for n in range(1, 1201)])
        assert box.ack(range(1, 1201)) == list(range(1, 1201))
        assert box.count() == 0
