"""Failed logins per client address, in this process: an address that fails too often
waits, each wait twice the one before, and is answered at once (429) without a password
check, so guessing from one address is slow and costs the server nothing.

The account's own lock (`server.office.accounts`) stops guesses at one account from many
addresses; this stops one address trying many accounts. The address is the one the ASGI
server gives (uvicorn puts the client's there from `X-Forwarded-For` only when the proxy
is among its `forwarded_allow_ips`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

FAILURES = 20  # in WINDOW_S from one address, before it must wait
WINDOW_S = 15 * 60.0
FIRST_WAIT_S = 60.0
LONGEST_WAIT_S = 30 * 60.0
ADDRESSES = 10_000  # remembered at most; the oldest are forgotten first


@dataclass
class _Address:
    failures: list[float] = field(default_factory=list)
    waits: int = 0  # waits imposed since the address last stopped failing for a WINDOW
    until: float = 0.0


class LoginThrottle:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, _Address] = OrderedDict()

    def wait_left(self, address: str, now: float | None = None) -> float:
        """Seconds this address must still wait before its next login attempt (0: none)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._seen.get(address)
            return max(0.0, entry.until - now) if entry else 0.0

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._seen.pop(address, None) or _Address()
            self._seen[address] = entry  # most recent last
            entry.failures = [t for t in entry.failures if now - t < WINDOW_S] + [now]
            if len(entry.failures) == 1 and now - entry.until > WINDOW_S:
                entry.waits = 0
            if len(entry.failures) >= FAILURES:
                entry.until = now + min(FIRST_WAIT_S * 2 ** min(entry.waits, 16),
                                        LONGEST_WAIT_S)
                entry.waits += 1
                entry.failures = []
            while len(self._seen) > ADDRESSES:
                self._seen.popitem(last=False)
