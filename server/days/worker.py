"""The worker that keeps day results current from the dirty-days table.

It runs as a thread of the ingest service or as a process of its own
(`timbra recompute`): the engine's CPU work then never holds the ingest's
interpreter lock while stamps wait for their commit and ack. However many
run, one works at a time (`server/days/turn.py`): the others would only
compute the same days again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from server.days.account_months import keep
from server.days.account_refresh import Closings, carry_forward, missing
from server.days.dirty import Taken, clear_dirty, marked_since, take_dirty
from server.days.facts import EmployeeDay
from server.days.month import MonthUnavailable
from server.days.results import evaluate_days, store_results
from server.days.turn import Turn
from server.db.engine import make_sessionmaker

log = logging.getLogger("timbra.recompute")

ROUND = 2000  # employee-days read per round
ACCOUNT_ROUND = 200  # employees whose account closings are filled per idle round
WRITE_CHUNK = 100  # employee-days per write transaction: SQLite has one writer
PAUSE_S = 2.0  # during a burst, a day is recomputed at most this often
MAX_LAG_S = 30.0  # however busy the ingest, day results are at most this late
# Days marked more recently than this: the ingest is still busy. Not less: a big batch
# on PostgreSQL commits about a second after the time its marks carry.
BURST_GAP_S = 2.0


# Result rows, the dirty marks they clear, the hours account's closings to keep.
Computed = tuple[list[dict[str, Any]], list[Taken], Closings]


class Recomputer:
    """`write`, when given, receives each chunk to write instead of writing it here: the
    ingest passes its writer thread's queue, so SQLite never sees two writers.
    `fill_accounts`: when idle, keep the account closings still missing; the web's own
    worker does not (its writes would hold SQLite while requests write)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime],
                 write: Callable[[Computed], None] | None = None, *,
                 fill_accounts: bool = True) -> None:
        self.sessions = make_sessionmaker(engine)
        self.clock = clock
        self.write = write or self.store
        self.recomputed = 0
        self.turn = Turn(engine)
        self.fill_accounts = fill_accounts

    def store(self, computed: Computed) -> None:
        results, taken, closings = computed
        with self.sessions.begin() as session:
            self.recomputed += store_results(session, results,
                                             [(e, d) for (_, e, d), _ in taken])
            clear_dirty(session, taken)
            keep(session, closings, self.clock())

    def loop(self, stop: threading.Event, wake: threading.Event | None = None,
             alive: Callable[[], bool] = lambda: True,
             busy: Callable[[], bool] = lambda: False) -> None:
        """Until `stop`: recompute what is dirty (a crash may have left some), then wait
        for `wake` (or poll when there is none), never more often than PAUSE_S.

        While `busy()` (stamps arriving faster than they are written) it waits, up to
        MAX_LAG_S: the terminals wait for acks, nobody waits for a day result."""
        try:
            self._loop(stop, wake, alive, busy)
        finally:
            self.turn.release()

    def _loop(self, stop: threading.Event, wake: threading.Event | None,
              alive: Callable[[], bool], busy: Callable[[], bool]) -> None:
        while not stop.is_set() and alive():
            deadline = time.monotonic() + MAX_LAG_S
            # While waiting out a burst too: an ingest killed mid-burst leaves its marks
            # fresh, and its worker would wait the whole lag for a parent that is gone.
            while busy() and time.monotonic() < deadline and not stop.is_set():
                if not alive():
                    return
                stop.wait(0.2)
            try:
                while not stop.is_set() and self.run_once():
                    if busy() and time.monotonic() < deadline:
                        break  # a burst began meanwhile: it goes first
            except (OperationalError, InterfaceError) as exc:
                log.warning("database unavailable for recompute (%s)", type(exc).__name__)
            except Exception:
                log.exception("recompute failed; the days stay marked and are retried")
            stop.wait(PAUSE_S)
            if wake is not None:
                while not wake.wait(0.5):
                    if stop.is_set() or not alive():
                        return
                wake.clear()

    def stamps_arriving(self) -> bool:
        """A burst in progress, seen from another process than the ingest's: some day
        was marked in the last BURST_GAP_S. The `busy` of `timbra recompute`.

        The database down: not busy, so the round that follows meets the outage inside
        `loop`'s handler and waits PAUSE_S (an exception here would end the process)."""
        try:
            with self.sessions() as session:
                return marked_since(session, self.clock() - timedelta(seconds=BURST_GAP_S))
        except (OperationalError, InterfaceError):
            return False

    def _accounts(self, compute: Callable[[], Closings]) -> Closings:
        """The account's closings, or none when an employee's rules are missing: their
        days still get their results, and a page says what is missing."""
        try:
            return compute()
        except MonthUnavailable as error:
            log.warning("hours account not kept: %s", error.english)
            return {}

    def run_once(self) -> bool:
        """One round; returns whether there may be more (never while another worker has
        the turn)."""
        if not self.turn.holds():
            return False
        with self.sessions() as session:  # reading only: no write lock held meanwhile
            taken = take_dirty(session, ROUND)
            if not taken:  # idle: the accounts that keep no closing of last month yet
                if not self.fill_accounts:
                    return False
                kept = self._accounts(lambda: missing(session, self.clock(), ACCOUNT_ROUND))
                if kept:
                    self.write(([], [], kept))
                return len(kept) >= ACCOUNT_ROUND
            # One call per date: evaluate_days reads employees x dates, which across
            # many dates (a terminal replaying last week) would read far too much.
            by_date: dict[date, list[EmployeeDay]] = defaultdict(list)
            for day, _ in taken:
                by_date[day[2]].append(day)
            results = [row for days in by_date.values()
                       for row in evaluate_days(session, days, self.clock())]
            # A day changed in a month that is over: the account's closings from it on.
            since: dict[int, tuple[int, int]] = {}
            for (_, employee_id, changed), _ in taken:
                month = (changed.year, changed.month)
                since[employee_id] = min(since.get(employee_id, month), month)
            kept = self._accounts(lambda: carry_forward(session, since, self.clock()))
        for start in range(0, len(taken), WRITE_CHUNK):
            chunk = taken[start:start + WRITE_CHUNK]
            keys = {(e, d) for (_, e, d), _ in chunk}
            self.write(([r for r in results if (r["employee_id"], r["day"]) in keys], chunk,
                        {}))
        if kept:  # after the days: a page between the two carries the months itself
            self.write(([], [], kept))
        # One line per round: how many days each worker computed, for the office and the
        # fault tests (several workers must never compute the same marks).
        log.info("computed %d employee-days", len(taken))
        return len(taken) >= ROUND
