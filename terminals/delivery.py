"""What the simulator measures of delivery: stamps queued, acks by status, and the time from
each swipe to its ack. Written from the swiping threads and paho's network threads at once,
so every figure is kept under one lock."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from terminals.protocol import AckItem


@dataclass
class SimStats:
    queued: int = 0  # stamps written to the outboxes by run() and enqueue()
    published: int = 0  # MQTT publishes of stamps, replays and re-sends included
    acked: int = 0  # stamps the server acknowledged (they left their outbox)
    pending: int = 0  # stamps still waiting in the outboxes
    by_status: dict[str, int] = field(default_factory=dict)
    p50_ack_ms: float | None = None  # from the swipe to its ack, stamps sent by run() only
    p99_ack_ms: float | None = None
    max_ack_ms: float | None = None
    elapsed_s: float = 0.0  # from the first swipe of run() to the last ack seen


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile: the smallest value with `fraction` of them at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class Tally:
    """Swipes and acks keyed by (terminal, seq), with the moment each happened."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._swiped_at: dict[tuple[str, int], float] = {}
        self._acked_at: dict[tuple[str, int], float] = {}
        self._status: Counter[str] = Counter()
        self._queued = 0
        self._started_at: float | None = None

    def start(self, at: float) -> None:
        """The first call of `run()` starts the clock of `elapsed_s`."""
        with self._lock:
            if self._started_at is None:
                self._started_at = at

    def queued(self, count: int) -> None:
        with self._lock:
            self._queued += count

    def swiped(self, name: str, seq: int, at: float) -> None:
        with self._lock:
            self._swiped_at[(name, seq)] = at
            self._queued += 1

    def acked(self, name: str, item: AckItem) -> None:
        with self._lock:
            self._acked_at[(name, item.seq)] = time.monotonic()
            self._status[item.status] += 1

    def acked_seqs(self) -> dict[str, set[int]]:
        seqs: dict[str, set[int]] = {}
        with self._lock:
            for name, seq in self._acked_at:
                seqs.setdefault(name, set()).add(seq)
        return seqs

    def latencies_ms(self) -> list[float]:
        with self._lock:
            return [(self._acked_at[key] - swiped) * 1000
                    for key, swiped in self._swiped_at.items() if key in self._acked_at]

    def stats(self) -> SimStats:
        """Everything but what the outboxes and links hold (`published`, `pending`)."""
        latencies = self.latencies_ms()
        with self._lock:
            last_ack = max(self._acked_at.values(), default=None)
            status = dict(self._status)
            queued, started = self._queued, self._started_at
        return SimStats(
            queued=queued,
            acked=sum(status.values()),
            by_status=status,
            p50_ack_ms=percentile(latencies, 0.50),
            p99_ack_ms=percentile(latencies, 0.99),
            max_ack_ms=max(latencies, default=None),
            elapsed_s=(last_ack - started) if last_ack and started else 0.0,
        )
