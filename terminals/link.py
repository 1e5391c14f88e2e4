"""The terminal's MQTT side: publish queued stamps, drop them when the server acks.

Durability lives in the outbox, not in the broker: Mosquitto killed with
`kill -9` loses its queued messages, amqtt keeps nothing for anonymous
clients. So every connect replays the whole outbox in sequence order, a stamp
unacknowledged for `resend_seconds` is sent again, and only an ack naming a
sequence removes a stamp. The server deduplicates on (terminal, seq), so
sending twice is harmless and losing is not.

A new queue file (the old one lost, the box replaced) would restart at seq 1
and collide with keys the server holds. Such an outbox is unconfirmed: nothing
is sent until the server, answering our "online", says the highest seq it
committed for us; the outbox renumbers its queue above it, then we send.

The connection itself (fallback to MQTT 3.1.1, the Will, heartbeats, queries and
configuration) is `terminals.session.Session`, which `Link` builds on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from terminals.config import BrokerConfig
from terminals.events import Acked, LinkEvent
from terminals.outbox import NewStamp, Outbox
from terminals.protocol import Direction, StampMessage, decode_ack
from terminals.session import Session

log = logging.getLogger(__name__)

SOFTWARE = "timbra-terminal 0.1.0"


def local_now() -> datetime:
    """The box's clock with its UTC offset, as stamps and status carry it."""
    return datetime.now().astimezone()


class Link(Session):
    """One terminal's connection to the broker, feeding from and draining its outbox.

    `window` bounds how many stamps are in flight at once, so a terminal that
    comes back after hours offline does not push thousands of messages into
    paho's memory and the broker's queue in one go. `on_event` is called on
    paho's network thread; it must be quick and must not block.
    """

    def __init__(
        self,
        outbox: Outbox,
        *,
        institution: str,
        broker: BrokerConfig | None = None,
        client_id: str | None = None,
        heartbeat_seconds: float = 30.0,
        resend_seconds: float = 60.0,
        window: int = 500,
        session_expiry_seconds: int = 7 * 24 * 3600,
        reconnect_delay: tuple[int, int] = (1, 30),
        on_event: Callable[[LinkEvent], None] | None = None,
        clock: Callable[[], datetime] = local_now,
        software: str = SOFTWARE,
    ) -> None:
        super().__init__(
            institution=institution, terminal=outbox.terminal, broker=broker,
            client_id=client_id, heartbeat_seconds=heartbeat_seconds,
            tick_seconds=min(1.0, resend_seconds / 4), max_inflight=max(20, min(window, 1000)),
            session_expiry_seconds=session_expiry_seconds, reconnect_delay=reconnect_delay,
            on_event=on_event, clock=clock, software=software,
        )
        self.outbox = outbox
        self.resend_seconds = resend_seconds
        self.window = window
        self.published = 0  # stamp publishes, replays and re-sends included
        self.acked = 0
        # seq -> (message, when it is due for a re-send, how many times it was sent)
        self._inflight: dict[int, tuple[StampMessage, float, int]] = {}
        self._sent_up_to = 0  # highest seq published since the last connect
        self._told_waiting = False  # logged once that we wait for the server's sequence

    # --- public -----------------------------------------------------------------------

    def stamp(self, badge: str, direction: Direction | None = None, code: str | None = None,
              at: datetime | None = None) -> StampMessage:
        """Queue a swipe durably, then send it if connected. Never blocks on the network."""
        message = self.outbox.add(NewStamp(badge, at or self.clock(), direction, code))
        self.flush(message)
        return message

    def flush(self, queued: StampMessage | None = None) -> None:
        """Send what the window allows; called after queueing, on acks and on a timer.

        `queued`, the stamp just queued, is sent as it is when it is the only one
        unsent: the usual case, which then needs no read of the queue file.
        """
        with self._lock:
            last = self.outbox.last_seq()
            if not self._ready or self._sent_up_to >= last:
                return
            if not self.outbox.confirmed:
                self._waiting_for_sequence()
                return
            room = self.window - len(self._inflight)
            if room <= 0:
                return
            if queued is not None and queued.seq == last == self._sent_up_to + 1:
                self._publish_stamp(queued)
                self._sent_up_to = queued.seq
                return
            for message in self.outbox.pending(after=self._sent_up_to, limit=room):
                self._publish_stamp(message)
                self._sent_up_to = message.seq

    # --- internals --------------------------------------------------------------------

    def _waiting_for_sequence(self) -> None:
        if not self._told_waiting:
            self._told_waiting = True
            log.info("%s: new queue file: stamps wait for the server's sequence before sending",
                     self.terminal)

    def _publish_stamp(self, message: StampMessage, attempt: int = 1) -> None:
        assert self._client is not None
        self._client.publish(self.topic("stamp"), message.encode(), 1)
        # Each re-send waits twice as long as the one before (up to 16x): a server
        # that is alive but behind would otherwise drown in copies of its own backlog,
        # whole windows of them every `resend_seconds`.
        wait = self.resend_seconds * min(2 ** (attempt - 1), 16)
        self._inflight[message.seq] = (message, time.monotonic() + wait, attempt)
        self.published += 1

    def _resend_overdue(self) -> None:
        now = time.monotonic()
        with self._lock:
            if not self._ready:
                return
            overdue = sorted((m.seq, m, attempt) for m, due, attempt in self._inflight.values()
                             if now >= due)
            for _seq, message, attempt in overdue:
                self._publish_stamp(message, attempt + 1)
        if overdue:
            log.info("%s: re-sent %d unacknowledged stamps", self.terminal, len(overdue))

    def _resume_after(self, committed_seq: int) -> None:
        # Under the link's lock, so no flush reads the queue while it is renumbered.
        with self._lock:
            was_confirmed = self.outbox.confirmed
            renumbered = self.outbox.resume_after(committed_seq)
        if not was_confirmed:
            log.info("%s: the server has committed up to seq %d; %d queued stamps "
                     "renumbered from %d", self.terminal, committed_seq, renumbered,
                     committed_seq + 1)

    # --- the session's hooks ----------------------------------------------------------

    def _queue_state(self) -> tuple[int, int]:
        return self.outbox.count(), self.outbox.last_seq()

    def _subscribed(self) -> None:
        self.flush()

    def _tick(self) -> None:
        self._resend_overdue()
        self.flush()

    def _connection_lost(self) -> None:
        # Whatever was in flight is replayed from the outbox on the next connect.
        self._inflight.clear()
        self._sent_up_to = 0

    def _handle_ack(self, payload: bytes) -> None:
        ack = decode_ack(payload)
        items = ack.items
        if items and not self.outbox.confirmed:
            # Left in the broker's session for the box this one replaced: its seqs name
            # other stamps than ours, which must not be dropped.
            log.info("%s: ignored an ack of %d stamps sent before this queue file",
                     self.terminal, len(items))
            items = ()
        removed = set(self.outbox.ack(item.seq for item in items))
        with self._lock:
            for item in items:
                self._inflight.pop(item.seq, None)
        self.acked += len(removed)
        for item in items:
            if item.seq in removed:
                self._emit(Acked(item))
        if ack.committed_seq is not None:
            self._resume_after(ack.committed_seq)
        self.flush()
