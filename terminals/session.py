"""A terminal's MQTT session: connecting with backoff, MQTT 5 with a fall back to 3.1.1,
the Will and the heartbeat, the retained configuration and the replies to queries.

It carries no stamps itself: `terminals.link.Link` builds on it and fills in the hooks at
the bottom of the class (what to send once subscribed and on every tick, what to forget
when the connection drops, what an ack removes).

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
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from terminals.config import BrokerConfig
from terminals.events import Configured, ConnectionChanged, LinkEvent, Replied
from terminals.protocol import (
    ConfigMessage,
    ProtocolError,
    QueryMessage,
    StatusMessage,
    decode_config,
    decode_reply,
    topic,
)
from terminals.transport import disable_nagle

log = logging.getLogger(__name__)

# A broker that speaks only MQTT 3.1.1 (amqtt) stays silent after a v5 CONNECT
# instead of refusing it; this long without a CONNACK means "try 3.1.1".
V5_ANSWER_SECONDS = 3.0


class Session(ABC):
    """One terminal's connection to the broker, kept up until `stop()` or `kill()`.

    `on_event` is called on paho's network thread; it must be quick and must not
    block. `max_inflight` sizes paho's memory queue; `tick_seconds` is how often
    the background thread checks the fallback, the heartbeat and the hooks.
    """

    def __init__(
        self,
        *,
        institution: str,
        terminal: str,
        broker: BrokerConfig | None,
        client_id: str | None,
        heartbeat_seconds: float,
        tick_seconds: float,
        max_inflight: int,
        session_expiry_seconds: int,
        reconnect_delay: tuple[int, int],
        on_event: Callable[[LinkEvent], None] | None,
        clock: Callable[[], datetime],
        software: str,
    ) -> None:
        self.institution = institution
        self.terminal = terminal
        self.broker = broker or BrokerConfig()
        self.client_id = client_id or f"timbra-{institution}-{terminal}"
        self.heartbeat_seconds = heartbeat_seconds
        self.session_expiry_seconds = session_expiry_seconds
        self.reconnect_delay = reconnect_delay
        self.on_event = on_event
        self.clock = clock
        self.software = software
        self.config: ConfigMessage | None = None

        self._tick_seconds = tick_seconds
        self._max_inflight = max_inflight
        self._lock = threading.RLock()
        self._ready = False  # connected and subscribed to our ack topic
        self._connack_seen = False
        self._socket_opened: float | None = None  # when the current TCP connection opened
        self._subscribe_mid: int | None = None
        self._protocol = "3.1.1" if self.broker.protocol == "3.1.1" else "5"
        self._fallback = threading.Event()
        self._stopping = threading.Event()
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

    def _status(self, state: Any) -> bytes:
        now = self.clock()
        queued, last_seq = self._queue_state()
        return StatusMessage(state, now, queued, last_seq, self.software).encode()

    def _new_client(self) -> mqtt.Client:
        version = mqtt.MQTTv5 if self._protocol == "5" else mqtt.MQTTv311
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=version,
                             clean_session=None if version == mqtt.MQTTv5 else False)
        # Our own outbox keeps unsent stamps; paho's memory queue only needs to hold the window.
        client.max_inflight_messages_set(self._max_inflight)
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

    def _set_ready(self, ready: bool, detail: str) -> None:
        with self._lock:
            changed = ready != self._ready
            self._ready = ready
            if not ready:
                self._connection_lost()
        if changed:
            self._emit(ConnectionChanged(ready, detail))

    def _emit(self, event: LinkEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception("%s: event handler failed on %r", self.terminal, event)

    def _tick_loop(self) -> None:
        next_beat = time.monotonic() + self.heartbeat_seconds
        while not self._stopping.wait(self._tick_seconds):
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
                self._tick()
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

    def _may_fall_back(self) -> bool:
        return (self.broker.protocol == "auto" and self._protocol == "5"
                and not self._stopping.is_set())

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
            self._subscribed()
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

    # --- hooks: what the link does with the session -----------------------------------

    @abstractmethod
    def _queue_state(self) -> tuple[int, int]:
        """Stamps waiting and the last sequence number, for the status message."""

    @abstractmethod
    def _subscribed(self) -> None:
        """Connected and subscribed: what waits can go out."""

    @abstractmethod
    def _tick(self) -> None:
        """Periodic work, on the session's own thread."""

    @abstractmethod
    def _connection_lost(self) -> None:
        """The connection is gone (called under the lock)."""

    @abstractmethod
    def _handle_ack(self, payload: bytes) -> None:
        """An ack arrived (on paho's network thread)."""
