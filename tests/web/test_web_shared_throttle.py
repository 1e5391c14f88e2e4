"""The login throttle of `timbra web`'s workers (server/web/shared_throttle.py), on SQLite
and PostgreSQL: two workers over one database count the same failures of an address and
hold it to the same wait, failures counted at the same moment by both are all counted, and
the rows of addresses that stopped failing are deleted."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy import event
from sqlalchemy.orm import Session
from world import WebWorld, lent_app, log_in, open_client

from server.db import make_engine
from server.db.login_throttles import ThrottledAddress
from server.demo.users import demo_password
from server.web.app import bind_run
from server.web.session_store import DatabaseStore
from server.web.shared_throttle import DatabaseThrottle
from server.web.throttle import FAILURES, FIRST_WAIT_S, WINDOW_S


def _workers(world: WebWorld, web: sa.Engine, stack: ExitStack, tmp_path: Path
             ) -> tuple[Litestar, Litestar]:
    """Two apps as `timbra web` builds each worker's (production.py): its own engine, the
    sessions in the database."""
    first = world.app
    bind_run(first, world.engine, data_dir=tmp_path, session_store=DatabaseStore(world.engine))
    second = stack.enter_context(lent_app(web, tmp_path))
    bind_run(second, web, data_dir=tmp_path, session_store=DatabaseStore(web))
    return first, second


def test_two_workers_share_an_address_failures_and_its_wait(
        web_world: WebWorld, web: sa.Engine, stack: ExitStack, tmp_path: Path) -> None:
    one, other = (open_client(app, stack) for app in _workers(web_world, web, stack, tmp_path))
    # The balancer hands the attacker's guesses to either worker, the last one to the first.
    for i in range(FAILURES):
        client = other if i % 2 == 0 else one
        assert log_in(client, f"nobody-{i}", "x").status_code == 401
    # The wait the first imposed holds at the second, even for a right password: one
    # worker alone saw half the failures, and each let it in on its own count.
    username = web_world.usernames[("university", "employee")]
    for client in (other, one):
        right = log_in(client, username, demo_password("university", "employee"))
        assert right.status_code == 429 and "Troppi tentativi da questo indirizzo" in right.text
        assert int(right.headers["retry-after"]) == FIRST_WAIT_S


def test_two_workers_share_an_address_asks_for_a_reset_link(
        web_world: WebWorld, web: sa.Engine, stack: ExitStack, tmp_path: Path) -> None:
    one, other = (open_client(app, stack) for app in _workers(web_world, web, stack, tmp_path))
    for i in range(FAILURES):
        client = other if i % 2 == 0 else one
        asked = client.post("/password/forgot", data={
            "username": "chamber.nessuno", "_csrf_token": client.cookies.get("timbra_csrf")})
        assert asked.status_code == 200
    for client in (other, one):
        asked = client.post("/password/forgot", data={
            "username": "chamber.nessuno", "_csrf_token": client.cookies.get("timbra_csrf")})
        assert asked.status_code == 429 and "retry-after" in asked.headers


def test_failures_two_workers_count_at_the_same_moment_are_all_counted(
        db_url: str, db_engine: sa.Engine) -> None:
    other_engine = make_engine(db_url)  # as another worker has its own
    workers = [DatabaseThrottle(db_engine, "login"), DatabaseThrottle(other_engine, "login")]
    now, start = 1_000_000.0, threading.Barrier(FAILURES)

    def fail(i: int) -> None:
        start.wait()
        workers[i % 2].failed("203.0.113.9", now)

    try:
        with ThreadPoolExecutor(FAILURES) as pool:
            list(pool.map(fail, range(FAILURES)))
        # Exactly the allowance: one count lost and the address would not wait.
        assert [w.wait_left("203.0.113.9", now) for w in workers] == [FIRST_WAIT_S] * 2
    finally:
        other_engine.dispose()


def _fail(throttle: DatabaseThrottle, address: str, now: float, times: int = FAILURES
          ) -> None:
    for _ in range(times):
        throttle.failed(address, now)


def test_the_shared_wait_doubles_and_holds_one_address_at_one_door(
        db_engine: sa.Engine) -> None:
    login, reset = DatabaseThrottle(db_engine, "login"), DatabaseThrottle(db_engine, "reset")
    now = 1_000_000.0
    _fail(login, "10.1.1.1", now)
    assert login.wait_left("10.1.1.1", now) == FIRST_WAIT_S
    assert login.wait_left("10.2.2.2", now) == 0 and reset.wait_left("10.1.1.1", now) == 0
    now += FIRST_WAIT_S
    _fail(login, "10.1.1.1", now, FAILURES - 1)
    assert login.wait_left("10.1.1.1", now) == 0  # one failure short of the allowance
    login.failed("10.1.1.1", now)
    assert login.wait_left("10.1.1.1", now) == 2 * FIRST_WAIT_S
    # A window without failures after the wait: the next wait is the first's again.
    now += 2 * FIRST_WAIT_S + WINDOW_S + 1
    _fail(login, "10.1.1.1", now)
    assert login.wait_left("10.1.1.1", now) == FIRST_WAIT_S


def test_the_rows_of_addresses_that_stopped_failing_are_deleted(
        db_engine: sa.Engine) -> None:
    login = DatabaseThrottle(db_engine, "login")
    now = 1_000_000.0
    _fail(login, "10.1.1.1", now)  # waits a minute, remembered a window after it
    login.failed("10.3.3.3", now)
    login.failed("2001:db8::" + "f" * 200, now)  # a forged header's address: cut, kept
    assert len(_addresses(db_engine)) == 3
    login.failed("10.4.4.4", now + WINDOW_S + 1)  # the sweep, a minute after the last
    assert _addresses(db_engine) == ["10.1.1.1", "10.4.4.4"]
    login.failed("10.4.4.4", now + FIRST_WAIT_S + WINDOW_S + 1)
    assert _addresses(db_engine) == ["10.4.4.4"]


def _addresses(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.scalars(sa.select(ThrottledAddress.address)))


# PostgreSQL only: SQLite has one writer, so no sweep runs between the two statements.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_failure_counted_while_a_sweep_deletes_the_address_s_row_is_counted(
        db_engine: sa.Engine) -> None:
    """Another worker's sweep may lock and delete an address's expired row between this
    worker's insert of it (nothing to do: it is there) and its lock: the login must still
    be counted, not answered with a server fault."""
    login, sweeper = DatabaseThrottle(db_engine, "login"), DatabaseThrottle(db_engine, "login")
    now = 1_000_000.0
    login.failed("10.9.9.9", now)
    later = now + WINDOW_S + 1  # the row says nothing any more: the sweep's to delete
    other = Session(db_engine)
    swept = threading.Event()

    def sweep_once(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        if swept.is_set() or not statement.startswith("INSERT INTO login_throttles"):
            return
        swept.set()
        sweeper._sweep(other, datetime.fromtimestamp(later, UTC))  # locked and deleted
        threading.Timer(0.3, other.commit).start()  # while this worker waits for the lock

    event.listen(db_engine, "after_cursor_execute", sweep_once)
    try:
        login.failed("10.9.9.9", later)
    finally:
        event.remove(db_engine, "after_cursor_execute", sweep_once)
        other.close()
    assert swept.is_set()
    with Session(db_engine) as session:
        row = session.scalars(sa.select(ThrottledAddress)).one()
    assert row.failures == [later]
