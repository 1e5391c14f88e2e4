"""Failed logins per client address: an address that fails too often waits, each wait
twice the one before, and is answered at once (429) without a password check, so guessing
from one address is slow and costs the server nothing.

The account's own lock (`server.office.accounts`) stops guesses at one account from many
addresses; this stops one address trying many accounts. The address is the one the ASGI
server gives (uvicorn puts the client's there from `X-Forwarded-For` only when the proxy
is among its `forwarded_allow_ips`).

The policy is `count_failure`'s; where the counts live is the app's choice (`app.py`):
`LoginThrottle` here, in the memory of one process, where the sessions are not shared
either (`timbra run`, the tests' apps); `DatabaseThrottle` (shared_throttle.py) in the
database beside the sessions, where every worker of `timbra web` reads and counts them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FAILURES = 20  # in WINDOW_S from one address, before it must wait
WINDOW_S = 15 * 60.0
FIRST_WAIT_S = 60.0
LONGEST_WAIT_S = 30 * 60.0
ADDRESSES = 10_000  # remembered at most in one process; the oldest are forgotten first


class Throttle(Protocol):
    def wait_left(self, address: str, now: float | None = None) -> float:
        """Seconds this address must still wait before its next attempt (0: none)."""
        ...

    def failed(self, address: str, now: float | None = None, db: Session | None = None
               ) -> None:
        """One more failure (or ask) from this address; counted in the request's unit of
        work `db` where the counts are in its database, so kept or undone with it."""
        ...


@dataclass
class Address:
    failures: list[float] = field(default_factory=list)
    waits: int = 0  # waits imposed since the address last stopped failing for a WINDOW
    until: float = 0.0

    def forgettable_after(self) -> float:
        """When this entry stops mattering: after it, a new failure counts as if it were
        the address's first (no failure left in the window, the wait count started over)."""
        return max([self.until, *self.failures]) + WINDOW_S


def count_failure(entry: Address, now: float) -> None:
    entry.failures = [t for t in entry.failures if now - t < WINDOW_S] + [now]
    if len(entry.failures) == 1 and now - entry.until > WINDOW_S:
        entry.waits = 0
    if len(entry.failures) >= FAILURES:
        entry.until = now + min(FIRST_WAIT_S * 2 ** min(entry.waits, 16), LONGEST_WAIT_S)
        entry.waits += 1
        entry.failures = []


class LoginThrottle:
    """The counts in this process's memory: for a server of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, Address] = OrderedDict()

    def wait_left(self, address: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._seen.get(address)
            return max(0.0, entry.until - now) if entry else 0.0

    def failed(self, address: str, now: float | None = None, db: Session | None = None
               ) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._seen.pop(address, None) or Address()
            self._seen[address] = entry  # most recent last
            count_failure(entry, now)
            while len(self._seen) > ADDRESSES:
                self._seen.popitem(last=False)
