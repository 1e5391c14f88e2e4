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

paho-mqtt runs its callbacks on its network thread, and an exception escaping
one would stop that thread for good; every callback here catches and logs.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from terminals.config import BrokerConfig
from terminals.outbox import NewStamp, Outbox
from terminals.protocol import (
    AckItem,
    ConfigMessage,
    Direction,
    ProtocolError,
    QueryMessage,
    ReplyMessage,
    StampMessage,
    StatusMessage,
    decode_ack,
    decode_config,
    decode_reply,
    topic,
)
from terminals.transport import disable_nagle

log = logging.getLogger(__name__)

SOFTWARE = "timbra-terminal 0.1.0"
# A broker that speaks only MQTT 3.1.1 (amqtt) stays silent after a v5 CONNECT
# instead of refusing it; this long without a CONNACK means "try 3.1.1".
V5_ANSWER_SECONDS = 3.0


@dataclass(frozen=True)
class Acked:
    """The server answered for one stamp; it has left the outbox."""

    item: AckItem


@dataclass(frozen=True)
class Replied:
    """The server's answer to `Link.query`: a badge's last stamps."""

    reply: ReplyMessage


@dataclass(frozen=True)
class Configured:
    """The retained configuration: the keypad's code table and the direction mode."""

    config: ConfigMessage


@dataclass(frozen=True)
class ConnectionChanged:
    connected: bool
    detail: str


LinkEvent = Acked | Replied | Configured | ConnectionChanged


def local_now() -> datetime:
    """The box's clock with its UTC offset, as stamps and status carry it."""
    return datetime.now().astimezone()


class Link:
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
        self.outbox = outbox
        self.institution = institution
        self.terminal = outbox.terminal
        self.broker = broker or BrokerConfig()
        self.client_id = client_id or f"timbra-{institution}-{self.terminal}"
        self.heartbeat_seconds = heartbeat_seconds
        self.resend_seconds = resend_seconds
        self.window = window
        self.session_expiry_seconds = session_expiry_seconds
        self.reconnect_delay = reconnect_delay
        self.on_event = on_event
        self.clock = clock
        self.software = software
        self.config: ConfigMessage | None = None
        self.published = 0  # stamp publishes, replays and re-sends included
        self.acked = 0

        self._lock = threading.RLock()
        # seq -> (message, when it is due for a re-send, how many times it was sent)
        self._inflight: dict[int, tuple[StampMessage, float, int]] = {}
        self._sent_up_to = 0  # highest seq published since the last connect
        self._ready = False  # connected and subscribed to our ack topic
        self._connack_seen = False
        self._socket_opened: float | None = None  # when the current TCP connection opened
        self._subscribe_mid: int | None = None
        self._protocol = "3.1.1" if self.broker.protocol == "3.1.1" else "5"
        self._fallback = threading.Event()
        self._stopping = threading.Event()
        self._told_waiting = False  # logged once that we wait for the server's sequence
        self._ticker: threading.Thread | None = None
        self._client: mqtt.Client | None = None

    # --- public -----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Connected and subscribed: stamps go out as soon as they are queued."""
        return self._ready

    @property
    def protocol(self) -> str:
        """The MQTT version in use: "5", or "3.1.1" after a fallback or by configuration."""
        return self._protocol

    def topic(self, kind: Any) -> str:
        return topic(self.institution, self.terminal, kind)

    def start(self) -> None:
        """Connect in the background; retries with backoff until `stop()`."""
        self._stopping.clear()
        self._client = self._new_client()
        self._connect(self._client)
        self._ticker = threading.Thread(target=self._tick_loop, daemon=True,
                                        name=f"timbra-link-{self.terminal}")
        self._ticker.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Say "offline" and disconnect cleanly; queued stamps stay in the outbox."""
        self._stopping.set()
        client = self._client
        if client is not None and self._ready:
            info = client.publish(self.topic("status"), self._status("offline"), 1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                log.warning("%s: offline status not delivered before stopping", self.terminal)
        self._shutdown(graceful=True)

    def kill(self) -> None:
        """Drop the connection without a DISCONNECT, as a power cut would (the Will fires)."""
        self._stopping.set()
        self._shutdown(graceful=False)

    def wait_connected(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._ready:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

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

    def query(self, badge: str) -> str | None:
        """Ask the server for a badge's last stamps; None when offline (nothing is sent)."""
        client = self._client
        if client is None or not self._ready:
            return None
        request_id = uuid.uuid4().hex[:16]
        client.publish(self.topic("query"), QueryMessage(request_id, badge).encode(), 1)
        return request_id

    def send_status(self) -> None:
        """The heartbeat: online, the terminal's clock (for the skew), queue size, last seq."""
        client = self._client
        if client is not None and self._ready:
            client.publish(self.topic("status"), self._status("online"), 1, retain=True)

    # --- internals --------------------------------------------------------------------

    def _waiting_for_sequence(self) -> None:
        if not self._told_waiting:
            self._told_waiting = True
            log.info("%s: new queue file: stamps wait for the server's sequence before sending",
                     self.terminal)

    def _status(self, state: Any) -> bytes:
        return StatusMessage(state, self.clock(), self.outbox.count(),
                             self.outbox.last_seq(), self.software).encode()

    def _new_client(self) -> mqtt.Client:
        version = mqtt.MQTTv5 if self._protocol == "5" else mqtt.MQTTv311
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=version,
                             clean_session=None if version == mqtt.MQTTv5 else False)
        # Our own outbox keeps unsent stamps; paho's memory queue only needs to hold the window.
        client.max_inflight_messages_set(max(20, min(self.window, 1000)))
        client.reconnect_delay_set(*self.reconnect_delay)  # doubles from min to max
        client.will_set(self.topic("status"), StatusMessage("offline").encode(), 1, retain=True)
        if self.broker.username is not None:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set(ca_certs=self.broker.ca_file)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        client.on_socket_open = self._on_socket_open
        return client

    def _connect(self, client: mqtt.Client) -> None:
        self._connack_seen = False
        if self._protocol == "5":
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = self.session_expiry_seconds
            # paho's default, "clean start on the first connect only", would wipe the
            # session (and the acks queued in it) every time the terminal reboots.
            client.connect_async(self.broker.host, self.broker.port, self.broker.keepalive,
                                 clean_start=False, properties=properties)
        else:
            client.connect_async(self.broker.host, self.broker.port, self.broker.keepalive)
        client.loop_start()

    def _shutdown(self, *, graceful: bool) -> None:
        client = self._client
        self._set_ready(False, "fermato")
        if client is not None:
            if graceful:
                client.disconnect()
            else:
                sock = client.socket()
                if isinstance(sock, socket.socket):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
            client.loop_stop()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join(timeout=5)
        self._client = None

    def _publish_stamp(self, message: StampMessage, attempt: int = 1) -> None:
        assert self._client is not None
        self._client.publish(self.topic("stamp"), message.encode(), 1)
        # Each re-send waits twice as long as the one before (up to 16x): a server
        # that is alive but behind would otherwise drown in copies of its own backlog,
        # whole windows of them every `resend_seconds`.
        wait = self.resend_seconds * min(2 ** (attempt - 1), 16)
        self._inflight[message.seq] = (message, time.monotonic() + wait, attempt)
        self.published += 1

    def _set_ready(self, ready: bool, detail: str) -> None:
        with self._lock:
            changed = ready != self._ready
            self._ready = ready
            if not ready:
                # Whatever was in flight is replayed from the outbox on the next connect.
                self._inflight.clear()
                self._sent_up_to = 0
        if changed:
            self._emit(ConnectionChanged(ready, detail))

    def _emit(self, event: LinkEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception("%s: event handler failed on %r", self.terminal, event)

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

    def _tick_loop(self) -> None:
        next_beat = time.monotonic() + self.heartbeat_seconds
        while not self._stopping.wait(min(1.0, self.resend_seconds / 4)):
            try:
                opened = self._socket_opened
                if (opened is not None and not self._connack_seen and self._may_fall_back()
                        and time.monotonic() - opened > V5_ANSWER_SECONDS):
                    self._fallback.set()
                if self._fallback.is_set():
                    self._fall_back_to_311()
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + self.heartbeat_seconds
                    self.send_status()
                self._resend_overdue()
                self.flush()
            except Exception:
                log.exception("%s: periodic work failed", self.terminal)

    def _fall_back_to_311(self) -> None:
        self._fallback.clear()
        old = self._client
        if old is None or self._protocol != "5":
            return
        log.warning("%s: the broker does not answer MQTT 5; using MQTT 3.1.1", self.terminal)
        sock = old.socket()
        old.loop_stop()
        if sock is not None:
            sock.close()
        self._protocol = "3.1.1"
        self._client = self._new_client()
        self._connect(self._client)

    # --- paho callbacks (network thread: never let an exception escape) ---------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any,
                    reason: ReasonCode, properties: Any) -> None:
        try:
            self._connack_seen = True
            if reason.is_failure:
                log.warning("%s: broker refused the connection: %s", self.terminal, reason)
                if self._may_fall_back() and reason.value in (0x01, 0x84):
                    self._fallback.set()
                return
            _result, mid = client.subscribe([
                (self.topic("ack"), 1), (self.topic("config"), 1), (self.topic("reply"), 1),
            ])
            self._subscribe_mid = mid
        except Exception:
            log.exception("%s: on_connect failed", self.terminal)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int,
                      reason_codes: Any, properties: Any) -> None:
        try:
            if mid != self._subscribe_mid:
                return
            if any(getattr(rc, "is_failure", False) for rc in reason_codes):
                log.error("%s: subscription refused: %s (check the broker ACL)",
                          self.terminal, reason_codes)
            self._set_ready(True, f"MQTT {self._protocol}")
            self.send_status()
            self.flush()
        except Exception:
            log.exception("%s: on_subscribe failed", self.terminal)

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._socket_opened = time.monotonic()
        disable_nagle(client, userdata, sock)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any,
                       reason: Any, properties: Any) -> None:
        try:
            if not self._connack_seen and self._may_fall_back():
                self._fallback.set()
            self._connack_seen = False
            self._socket_opened = None
            self._set_ready(False, str(reason))
        except Exception:
            log.exception("%s: on_disconnect failed", self.terminal)

    def _may_fall_back(self) -> bool:
        return (self.broker.protocol == "auto" and self._protocol == "5"
                and not self._stopping.is_set())

    def _on_message(self, client: mqtt.Client, userdata: Any,
                    message: mqtt.MQTTMessage) -> None:
        try:
            kind = message.topic.rsplit("/", 1)[-1]
            if kind == "ack":
                self._handle_ack(bytes(message.payload))
            elif kind == "config":
                if message.payload:  # an empty retained message clears the config
                    self.config = decode_config(bytes(message.payload))
                    self._emit(Configured(self.config))
            elif kind == "reply":
                self._emit(Replied(decode_reply(bytes(message.payload))))
        except ProtocolError as exc:
            log.warning("%s: ignored a message on %s: %s", self.terminal, message.topic,
                        exc.reason)
        except Exception:
            log.exception("%s: failed to handle a message on %s", self.terminal, message.topic)

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

    def _resume_after(self, committed_seq: int) -> None:
        # Under the link's lock, so no flush reads the queue while it is renumbered.
        with self._lock:
            was_confirmed = self.outbox.confirmed
            renumbered = self.outbox.resume_after(committed_seq)
        if not was_confirmed:
            log.info("%s: the server has committed up to seq %d; %d queued stamps "
                     "renumbered from %d", self.terminal, committed_seq, renumbered,
                     committed_seq + 1)
