"""Logins under attack, on both databases, through a real uvicorn with parallel clients.

Each test is one finding of issue 12 (about 2,500 hostile requests on this machine):
parallel wrong logins got 26 guesses checked before the lock instead of 5, and a right
password inside such a burst logged in; five anonymous failures locked anyone for 15
minutes, and only existing accounts said "locked"; no limit per address; forty logins at
once took 64 MiB of argon2 each. The answer to each is asserted as a person (or the
attacker) would see it: the status, the message, the audit, the lock in the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from argon2 import PasswordHasher
from litestar.stores.memory import MemoryStore
from sqlalchemy.orm import Session
from world import CHEAP, WebWorld, log_in

import server.office.passwords as passwords
from server.broker.embedded import free_port
from server.db.models import AuditEntry, User
from server.demo.users import demo_password
from server.office.accounts import MAX_FAILURES
from server.web import throttle as throttle_module
from server.web.app import create_app
from server.web.throttle import LoginThrottle

REFUSED = "Nome utente o password errati, oppure troppi tentativi"
VERIFY_S = 0.25  # what one argon2 verification costs at full strength


class SlowHasher(PasswordHasher):
    """Cheap argon2 that takes as long as the real one and counts what it does: the
    races need the real duration, not the real memory."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.lock = threading.Lock()
        self.running = self.most = self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self.lock:
            self.running += 1
            self.verified += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(VERIFY_S)
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


@contextmanager
def serving(world: WebWorld, folder: Path) -> Iterator[str]:
    """The world's database behind a real uvicorn on a free loopback port (plain http, so
    cookies without `Secure`)."""
    app = create_app(world.engine, data_dir=folder, session_store=MemoryStore(),
                     secret="s" * 40, secure_cookies=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def world(web_world: WebWorld) -> WebWorld:
    return web_world


@pytest.fixture
def slow(world: WebWorld) -> Iterator[SlowHasher]:
    hasher = SlowHasher()
    passwords.HASHER = hasher
    passwords._dummy_hash.cache_clear()
    try:
        yield hasher
    finally:
        passwords.HASHER = CHEAP
        passwords._dummy_hash.cache_clear()


class Start:
    """The moment parallel browsers post together: each says when it holds its form, and
    `go` lets them all post once every one does (rather than sleeping and hoping they do)."""

    def __init__(self, browsers: int) -> None:
        self.browsers = browsers
        self.holding = threading.Semaphore(0)
        self.posting = threading.Event()

    def ready(self) -> None:
        self.holding.release()
        self.posting.wait()

    def go(self) -> float:
        """Returns the moment they were let go (time.monotonic)."""
        for _ in range(self.browsers):
            assert self.holding.acquire(timeout=60), "a browser never got its form"
        begun = time.monotonic()
        self.posting.set()
        return begun


def attempt(url: str, username: str, password: str, start: Start | None = None
            ) -> httpx.Response:
    """One browser: fetch the form (for its CSRF cookie), then post it."""
    with httpx.Client(base_url=url, timeout=60) as client:
        client.get("/login")
        if start is not None:
            start.ready()
        return client.post("/login", data={
            "username": username, "password": password,
            "_csrf_token": client.cookies.get("timbra_csrf", "")}, follow_redirects=False)


def actions(world: WebWorld, username: str) -> list[str]:
    with Session(world.engine) as session:
        user_id = session.scalar(sa.select(User.id).where(User.username == username))
        return list(session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.target == f"user:{user_id}").order_by(AuditEntry.id)))


def burst(url: str, username: str, passwords_sent: list[str]) -> list[httpx.Response]:
    start = Start(len(passwords_sent))
    with ThreadPoolExecutor(len(passwords_sent)) as pool:
        futures = [pool.submit(attempt, url, username, p, start) for p in passwords_sent]
        start.go()
        return [f.result() for f in futures]


def test_fifteen_parallel_guesses_check_five_passwords_then_the_lock_holds(
        world: WebWorld, slow: SlowHasher, tmp_path: Path) -> None:
    username = world.usernames[("university", "admin")]
    with serving(world, tmp_path) as url:
        # Fewer than the address's own limit (throttle.FAILURES): the account's lock is
        # what is tested here.
        answers = burst(url, username, [f"guess-{i}-x" for i in range(15)])
        assert {a.status_code for a in answers} == {401}
        assert all(REFUSED in a.text for a in answers)
        # The right password now: the lock set by the fifth guess holds.
        right = attempt(url, username, demo_password("university", "admin"))
    assert right.status_code == 401 and REFUSED in right.text
    done = actions(world, username)
    # On main all 15 (26 of a larger burst) were checked, each `login_failed`.
    assert done.count("login_failed") == MAX_FAILURES
    assert done.count("login_locked") == 1
    assert done.count("login_refused_locked") == 15 - MAX_FAILURES + 1


def test_a_right_password_sent_inside_a_burst_of_wrong_ones_does_not_log_in(
        world: WebWorld, slow: SlowHasher, tmp_path: Path) -> None:
    username = world.usernames[("school", "office")]
    with serving(world, tmp_path) as url, ThreadPoolExecutor(1) as late:
        start = Start(10)
        with ThreadPoolExecutor(10) as pool:
            wrong = [pool.submit(attempt, url, username, f"guess-{i}-x", start)
                     for i in range(10)]
            start.go()
            time.sleep(0.05)  # the wrong ones are being checked now
            right = late.submit(attempt, url, username, demo_password("school", "office"))
            assert all(f.result().status_code == 401 for f in wrong)
        # On main this one logged in: the lock was not yet written when it read the row.
        assert right.result().status_code == 401
    assert actions(world, username).count("login") == 0


def test_a_locked_account_and_an_unknown_name_get_the_same_answer_and_cost(
        world: WebWorld, slow: SlowHasher, tmp_path: Path) -> None:
    username = world.usernames[("school", "employee")]
    with serving(world, tmp_path) as url:
        for i in range(MAX_FAILURES):
            attempt(url, username, f"guess-{i}-x")
        slow.verified = 0
        locked = attempt(url, username, demo_password("school", "employee"))
        unknown = attempt(url, "school.nessuno", "whatever-1")
    assert locked.status_code == unknown.status_code == 401
    assert _error_of(locked.text) == _error_of(unknown.text)
    # One verification each: the time does not tell them apart either (on main a locked
    # account answered without any, in a fraction of the time).
    assert slow.verified == 2


def _error_of(page: str) -> str:
    return page.split('class="error" role="alert">', 1)[1].split("<", 1)[0]


def test_one_address_failing_on_many_names_must_wait_and_is_not_hashed(
        world: WebWorld, stack: ExitStack, slow: SlowHasher) -> None:
    client = world.client(stack)
    for i in range(throttle_module.FAILURES):
        assert log_in(client, f"nobody-{i}", "x").status_code == 401
    slow.verified = 0
    # Even a right password: this address waits now, answered at once (on main: 303).
    right = world.login(client, "university", "employee")
    assert right.status_code == 429 and "Troppi tentativi da questo indirizzo" in right.text
    assert int(right.headers["retry-after"]) == throttle_module.FIRST_WAIT_S
    assert slow.verified == 0


def test_the_address_wait_doubles_and_other_addresses_are_not_held() -> None:
    throttle, now = LoginThrottle(), 1000.0
    for _ in range(throttle_module.FAILURES):
        throttle.failed("10.1.1.1", now)
    assert throttle.wait_left("10.1.1.1", now) == throttle_module.FIRST_WAIT_S
    assert throttle.wait_left("10.2.2.2", now) == 0
    now += throttle_module.FIRST_WAIT_S
    for _ in range(throttle_module.FAILURES):
        throttle.failed("10.1.1.1", now)
    assert throttle.wait_left("10.1.1.1", now) == 2 * throttle_module.FIRST_WAIT_S


def test_at_most_a_few_password_hashes_run_at_once_the_rest_are_told_to_retry(
        world: WebWorld, slow: SlowHasher, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setattr(passwords, "WAIT_FOR_SLOT_S", 0.1)
    names = [f"nobody-{i}" for i in range(16)]
    with serving(world, tmp_path) as url:
        start = Start(len(names))
        with ThreadPoolExecutor(len(names)) as pool:
            futures = [pool.submit(attempt, url, n, "x-1", start) for n in names]
            begun = start.go()
            answers = [f.result() for f in futures]
            elapsed = time.monotonic() - begun
    assert slow.most <= passwords.MAX_HASHING  # on main all 16 ran at once
    busy = [a for a in answers if a.status_code == 503]
    assert busy and all(a.headers["retry-after"] == "5" for a in busy)
    assert "riprova tra qualche secondo" in busy[0].text
    assert {a.status_code for a in answers} <= {401, 503}
    assert elapsed < 16 * VERIFY_S  # the refused were not queued behind the others
