"""The terminal's queue: nothing reported as stored is ever lost, no sequence is ever reused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
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


def test_only_acknowledged_stamps_leave_and_their_seqs_are_never_reused(tmp_path: Path) -> None:
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
                                 cwd=Path(__file__).parent.parent)
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
