"""Many terminals in one process, for load and fault tests.

Each simulated terminal is the real thing minus the keyboard: its own outbox
file, its own MQTT client and client id, the same `Link` the terminal box
runs. So what the simulator shows about delivery (replay, re-send, acks) is
what the terminals do.

    sim = Simulator(institution="university", terminals=20, badges=50, workdir=tmp)
    sim.start()
    sim.run(total=20000, rate=1000)
    sim.wait_all_acked(timeout=60)
    print(sim.stats())
    sim.close()

A terminal not started is offline: `run()` still queues its stamps in its
outbox, and `start([name])` later connects it and it replays them in order.

What the terminals swipe is planned in `terminals.swipes`; what delivery looked like
(acks by status, swipe -> ack latency) is tallied in `terminals.delivery`.

Command line: `python -m terminals.simulator --terminals 20 --stamps 20000 …`
(see `--help`); it prints the statistics and exits 0 when every stamp was acked.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from terminals.config import PROTOCOL_VERSIONS, BrokerConfig
from terminals.delivery import SimStats, Tally
from terminals.events import Acked, LinkEvent
from terminals.link import Link
from terminals.outbox import NewStamp, Outbox
from terminals.protocol import valid_name
from terminals.swipes import PlannedStamp, Profile, plan

ROME = ZoneInfo("Europe/Rome")


class Simulator:
    """N terminals, each a real MQTT client with its own outbox file and client id.

    `terminals`: a count (named t01, t02, …) or explicit names. `badges`: a
    count per terminal (distinct numbers) or the badges of each terminal.
    `broker` is shared; `credentials` overrides the username and password per
    terminal (the server issues one pair per terminal). `workdir` holds the
    outbox files: reusing it resumes the queues of an earlier run.
    `clock_skew` sets a terminal's clock wrong by that much (for skew reports).
    """

    def __init__(
        self,
        *,
        institution: str,
        workdir: str | Path,
        terminals: int | Sequence[str] = 2,
        badges: int | Mapping[str, Sequence[str]] = 20,
        broker: BrokerConfig | None = None,
        credentials: Mapping[str, tuple[str, str | None]] | None = None,
        resend_seconds: float = 30.0,
        heartbeat_seconds: float = 30.0,
        window: int = 500,
        reconnect_delay: tuple[int, int] = (1, 30),
        clock_skew: Mapping[str, timedelta] | None = None,
        tz: tzinfo = ROME,
        seed: int = 0,
    ) -> None:
        if not valid_name(institution):
            raise ValueError(f"institution id {institution!r} is not a valid name")
        self.institution = institution
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.names = ([f"t{i + 1:02d}" for i in range(terminals)]
                      if isinstance(terminals, int) else list(terminals))
        if isinstance(badges, int):
            self.badges = {name: [f"{i + 1:03d}{j + 1:05d}" for j in range(badges)]
                           for i, name in enumerate(self.names)}
        else:
            self.badges = {name: list(badges[name]) for name in self.names}
        self.tz = tz
        self.rng = random.Random(seed)
        self.broker = broker or BrokerConfig()
        self.tally = Tally()
        self.outboxes: dict[str, Outbox] = {}
        self.links: dict[str, Link] = {}
        for name in self.names:
            outbox = Outbox(self.workdir / f"{name}.sqlite", name)
            broker_for = self.broker
            if credentials and name in credentials:
                user, password = credentials[name]
                broker_for = BrokerConfig(**{**asdict(self.broker), "username": user,
                                             "password": password})
            skew = (clock_skew or {}).get(name, timedelta(0))
            self.outboxes[name] = outbox
            self.links[name] = Link(
                outbox, institution=institution, broker=broker_for,
                heartbeat_seconds=heartbeat_seconds, resend_seconds=resend_seconds,
                window=window, reconnect_delay=reconnect_delay,
                on_event=self._listener(name),
                clock=_SkewedClock(tz, skew),
            )
        self._running: set[str] = set()

    # --- connections ----------------------------------------------------------------

    def start(self, names: Iterable[str] | None = None, timeout: float = 10.0) -> None:
        """Connect these terminals (all by default) and wait until each is subscribed."""
        chosen = list(self.names if names is None else names)
        for name in chosen:
            if name not in self._running:
                self.links[name].start()
                self._running.add(name)
        deadline = time.monotonic() + timeout
        late = [n for n in chosen
                if not self.links[n].wait_connected(max(0.0, deadline - time.monotonic()))]
        if late:
            raise TimeoutError(f"terminals not connected after {timeout} s: {', '.join(late)}"
                               f" (broker {self.broker.host}:{self.broker.port})")

    def stop(self, names: Iterable[str] | None = None) -> None:
        """Disconnect cleanly; their queues stay on disk."""
        for name in list(self.names if names is None else names):
            if name in self._running:
                self.links[name].stop()
                self._running.discard(name)

    def kill(self, names: Iterable[str] | None = None) -> None:
        """Drop the connections without a DISCONNECT (a power cut): their Wills fire."""
        for name in list(self.names if names is None else names):
            if name in self._running:
                self.links[name].kill()
                self._running.discard(name)

    def close(self) -> None:
        self.stop()
        for outbox in self.outboxes.values():
            outbox.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what to swipe --------------------------------------------------------------

    def plan(self, total: int, *, profile: Profile = "now", day: date | None = None,
             shift: timedelta = timedelta(0)) -> list[PlannedStamp]:
        """`total` swipes spread over the terminals' badges (see `terminals.swipes.plan`)."""
        return plan(self.badges, total, profile=profile, day=day, shift=shift, tz=self.tz,
                    rng=self.rng)

    def enqueue(self, stamps: Iterable[PlannedStamp]) -> int:
        """Write stamps straight into the outboxes in one transaction per terminal.

        For preparing an offline backlog quickly; they are sent when their
        terminal is (or next is) connected. Not counted in the ack latency.
        """
        grouped: dict[str, list[NewStamp]] = {}
        for s in stamps:
            grouped.setdefault(s.terminal, []).append(
                NewStamp(s.badge, s.time or datetime.now(self.tz), s.direction, s.code))
        for name, batch in grouped.items():
            self.outboxes[name].add_many(batch)
            self.links[name].flush()
        added = sum(len(b) for b in grouped.values())
        self.tally.queued(added)
        return added

    def run(self, total: int | None = None, *, rate: float | None = None,
            profile: Profile = "now", day: date | None = None,
            shift: timedelta = timedelta(0),
            stamps: Sequence[PlannedStamp] | None = None) -> int:
        """Swipe `stamps` (or `plan(total, …)`) through the terminals; returns how many.

        `rate` is swipes per second over all terminals (None: as fast as the
        outboxes take them). One thread per terminal, so their disk flushes
        overlap as on real boxes. Returns when every swipe is queued, not acked.
        """
        if stamps is None:
            if total is None:
                raise ValueError("give either total or stamps")
            stamps = self.plan(total, profile=profile, day=day, shift=shift)
        per_terminal: dict[str, list[tuple[int, PlannedStamp]]] = {}
        for index, s in enumerate(stamps):
            per_terminal.setdefault(s.terminal, []).append((index, s))
        t0 = time.monotonic()
        self.tally.start(t0)
        errors: list[BaseException] = []
        threads = [threading.Thread(target=self._swipe_all, args=(name, batch, t0, rate, errors),
                                    name=f"sim-{name}", daemon=True)
                   for name, batch in per_terminal.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return len(stamps)

    def _swipe_all(self, name: str, batch: Sequence[tuple[int, PlannedStamp]], t0: float,
                   rate: float | None, errors: list[BaseException]) -> None:
        link = self.links[name]
        try:
            for index, s in batch:
                if rate:
                    delay = t0 + index / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                swiped = time.monotonic()
                message = link.stamp(s.badge, s.direction, s.code, s.time)
                self.tally.swiped(name, message.seq, swiped)
        except BaseException as exc:
            errors.append(exc)

    # --- results --------------------------------------------------------------------

    def _listener(self, name: str) -> _Listener:
        return _Listener(self, name)

    def _on_ack(self, name: str, event: Acked) -> None:
        self.tally.acked(name, event.item)

    def acked(self) -> dict[str, set[int]]:
        """The sequence numbers the server acknowledged so far, per terminal."""
        return self.tally.acked_seqs()

    def pending(self) -> int:
        """Stamps still in the outboxes, over all terminals."""
        return sum(outbox.count() for outbox in self.outboxes.values())

    def wait_all_acked(self, timeout: float) -> bool:
        """Wait until every outbox is empty; False if some stamps are still queued."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def latencies_ms(self) -> list[float]:
        """Swipe -> ack of every acknowledged stamp swiped by `run()`."""
        return self.tally.latencies_ms()

    def stats(self) -> SimStats:
        stats = self.tally.stats()
        stats.published = sum(link.published for link in self.links.values())
        stats.pending = self.pending()
        return stats


class _SkewedClock:
    """A terminal's clock, possibly wrong by `skew`."""

    def __init__(self, tz: tzinfo, skew: timedelta) -> None:
        self.tz = tz
        self.skew = skew

    def __call__(self) -> datetime:
        return datetime.now(self.tz) + self.skew


class _Listener:
    """Receives one terminal's link events (on its network thread)."""

    def __init__(self, simulator: Simulator, name: str) -> None:
        self.simulator = simulator
        self.name = name

    def __call__(self, event: LinkEvent) -> None:
        if isinstance(event, Acked):
            self.simulator._on_ack(self.name, event)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m terminals.simulator",
        description="Drive N simulated terminals against a broker; print delivery statistics.")
    parser.add_argument("--institution", default="sim")
    parser.add_argument("--terminals", type=int, default=20)
    parser.add_argument("--badges", type=int, default=50, help="badges per terminal")
    parser.add_argument("--stamps", type=int, default=1000, help="total swipes")
    parser.add_argument("--rate", type=float, default=None, help="swipes per second, all "
                        "terminals together (default: as fast as possible)")
    parser.add_argument("--profile", choices=["now", "peak"], default="now")
    parser.add_argument("--day", type=date.fromisoformat, default=None,
                        help="last day of the peak profile (default: yesterday)")
    parser.add_argument("--shift-days", type=float, default=0.0,
                        help="date 'now' stamps this many days away (negative: in the past)")
    parser.add_argument("--offline", type=int, default=0,
                        help="this many terminals queue while offline and connect afterwards")
    parser.add_argument("--workdir", default="sim-outboxes")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--protocol", choices=PROTOCOL_VERSIONS, default="auto")
    parser.add_argument("--resend-seconds", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for acks")
    args = parser.parse_args(argv)

    broker = BrokerConfig(host=args.host, port=args.port, username=args.username,
                          password=args.password, tls=args.tls, protocol=args.protocol)
    with Simulator(institution=args.institution, workdir=args.workdir,
                   terminals=args.terminals, badges=args.badges, broker=broker,
                   resend_seconds=args.resend_seconds) as sim:
        offline = sim.names[:args.offline]
        sim.start([n for n in sim.names if n not in offline])
        sim.run(args.stamps, rate=args.rate, profile=args.profile, day=args.day,
                shift=timedelta(days=args.shift_days))
        if offline:
            sim.start(offline)
        done = sim.wait_all_acked(args.timeout)
        print(json.dumps(asdict(sim.stats()), indent=2))
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
