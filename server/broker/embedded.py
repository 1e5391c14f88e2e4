"""An MQTT broker inside the timbra process, for `make run` when no broker is configured.

amqtt 0.12 in a background thread with its own asyncio loop. It speaks MQTT
3.1.1 only: clients must connect with `MQTTv311` (paho's MQTT 5 CONNECT is
refused). It keeps everything in memory, so durability never depends on it:
terminals keep each stamp until the server's ack names it.

What amqtt does with QoS 1, and how this module is set up for it (amqtt 0.12.1):

* Messages for a disconnected subscriber are queued only if its session is
  persistent (clean session off) and *not anonymous*. amqtt's
  `AnonymousAuthPlugin` with `allow_anonymous: true` marks every session
  anonymous, even those that give a username, and so queues nothing for anyone.
  We therefore never allow anonymous clients: a client must give a username.
  The offline queue has no size limit and sessions never expire.
* Messages queued while the subscriber was away are delivered on reconnect
  with the RETAIN flag set (amqtt's quirk): a subscriber must not discard
  retained `stamp` messages.
* A QoS 1 message in flight (sent, PUBACK not yet received) when a persistent
  subscriber disconnects, or whose PUBACK takes more than 5 seconds (hard-coded),
  is forgotten by amqtt, not redelivered as MQTT requires. `_KeepingHandler`
  puts such a message back in the session's offline queue, so it is sent again
  at the next reconnect (a duplicate at worst, which the ingest's (terminal, seq)
  key absorbs). A slow subscriber that stays connected still gets it only then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

# amqtt ships no type information (no py.typed): its classes are `Any` to mypy.
from amqtt.broker import Broker, RetainedApplicationMessage  # type: ignore[import-untyped]
from amqtt.contexts import Action, BaseContext  # type: ignore[import-untyped]
from amqtt.errors import AMQTTError, MQTTError  # type: ignore[import-untyped]
from amqtt.mqtt.connack import NOT_AUTHORIZED, ConnackPacket  # type: ignore[import-untyped]
from amqtt.mqtt.protocol.broker_handler import (  # type: ignore[import-untyped]
    BrokerProtocolHandler,
)
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin  # type: ignore[import-untyped]
from amqtt.session import (  # type: ignore[import-untyped]
    IncomingApplicationMessage,
    OutgoingApplicationMessage,
    Session,
)
from amqtt.utils import gen_client_id  # type: ignore[import-untyped]

from server.broker.acl import grants_for, permits
from server.db.broker_passwords import verify_password

_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 15.0


class EmbeddedBrokerError(RuntimeError):
    """The embedded broker could not start (port taken, bad password file…)."""


class EmbeddedBroker:
    """amqtt running in a daemon thread; `start()` returns once it accepts connections.

    With `password_file` — the file `timbra terminals mosquitto` writes, and the one
    `timbra run` writes at each start — passwords are checked against its `$7$` hashes
    before the client id is looked at, a client's id is its username (no terminal can
    take the server's), and each user gets the same topic grants as in Mosquitto's ACL.
    Without it (the broker's own tests), any client that gives a username is let in and
    may use any topic.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 1883, *,
                 password_file: Path | str | None = None) -> None:
        self.host = host
        self.port = port
        self.password_file = Path(password_file) if password_file is not None else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Broker | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> EmbeddedBroker:
        if self.running:
            return self
        quiet_amqtt_logging()
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()
        self._loop = loop

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start_broker())
            except BaseException as exc:  # reported to the caller of start()
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=serve, name=f"amqtt:{self.port}", daemon=True)
        self._thread.start()
        if not ready.wait(_START_TIMEOUT_S):
            raise EmbeddedBrokerError(f"embedded broker on {self.url} did not start")
        if failure:
            self._thread.join()
            self._thread = self._loop = None
            raise EmbeddedBrokerError(
                f"embedded broker on {self.url} could not start: {failure[0]}") from failure[0]
        return self

    def stop(self) -> None:
        loop, thread, broker = self._loop, self._thread, self._broker
        if loop is None or thread is None:
            return
        if broker is not None and thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(broker.shutdown(), loop)
            with contextlib.suppress(Exception):
                future.result(_STOP_TIMEOUT_S)
        if thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_STOP_TIMEOUT_S)
        self._loop = self._thread = self._broker = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    async def _start_broker(self) -> None:
        self._broker = _RedeliveringBroker(
            broker_config(self.host, self.port, self.password_file),
            bind_client_ids=self.password_file is not None)
        await self._broker.start()


def broker_config(host: str, port: int, password_file: Path | None = None) -> dict[str, Any]:
    """amqtt 0.12's dictionary config (the `plugins` mapping replaced 0.10's `auth`)."""
    auth = {"password_file": str(password_file) if password_file else None}
    plugins: dict[str, Any] = {f"{__name__}.UsernameAuthPlugin": auth}
    if password_file is not None:
        plugins[f"{__name__}.GrantsTopicPlugin"] = {}
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        # None: a persistent session and its queued messages are kept until the broker stops.
        "session_expiry_interval": None,
        # Listing plugins replaces amqtt's defaults: no $SYS publisher, no packet logger.
        "plugins": plugins,
    }


class _Subscriptions(dict[str, list[tuple[Session, int]]]):
    """amqtt's subscriptions by topic filter. Its broadcast loops over `items()` and awaits
    inside the loop (amqtt/broker.py `_run_broadcast`): a client subscribing meanwhile
    changed the dict's size and the broadcast died with a RuntimeError. A snapshot to loop
    over keeps it delivering; the lists themselves are still amqtt's own."""

    def items(self) -> Any:
        return list(super().items())


class _RedeliveringBroker(Broker):  # type: ignore[misc]
    """amqtt's broker, keeping the unacknowledged QoS 1 messages of persistent sessions, and
    checking credentials before a connection touches any session."""

    def __init__(self, config: dict[str, Any], *, bind_client_ids: bool) -> None:
        super().__init__(config)
        self._bind_client_ids = bind_client_ids
        self._subscriptions = _Subscriptions()


    async def _initialize_client_session(self, reader: Any, writer: Any, remote_address: str,
                                         remote_port: int) -> tuple[Any, Session]:
        """amqtt's own, authenticating first. amqtt looks the client id up (and deletes a
        clean session's namesake) before it checks the password, and registers even a
        refused connection under that id: a stranger using the ingest's client id ended the
        ingest's session. With a password file an accepted client's id is its username, as
        Mosquitto's `use_username_as_clientid` does: no terminal can take the server's."""
        try:
            handler, fresh = await BrokerProtocolHandler.init_from_connect(
                reader, writer, self.plugins_manager)
        except (AMQTTError, MQTTError) as exc:
            raise AMQTTError(exc) from exc
        if not await self._authenticate(fresh, None):
            await ConnackPacket.build(0, NOT_AUTHORIZED).to_stream(writer)
            await writer.close()
            raise MQTTError(f"{fresh.username or 'anonymous'}: not authorised")
        if self._bind_client_ids:
            fresh.client_id = fresh.username
        elif not fresh.client_id:  # a clean session may leave it to the broker
            fresh.client_id = gen_client_id()
        session = fresh
        if fresh.clean_session:
            await self._delete_session(fresh.client_id)
        elif (kept := self._sessions.get(fresh.client_id, (None, None))[0]) is not None:
            # As amqtt does: the session stays, the new connection brings its settings.
            for name in ("will_flag", "will_message", "will_topic", "will_qos", "keep_alive",
                         "username", "password"):
                setattr(kept, name, getattr(fresh, name))
            session = kept
        session.parent = 0 if session is fresh else 1
        delay = self.config.get("timeout-disconnect-delay", 0)
        if session.keep_alive > 0 and isinstance(delay, int):
            session.keep_alive += delay
        return handler, session

    async def _handle_client_session(self, reader: Any, writer: Any, client_session: Session,
                                     handler: BrokerProtocolHandler, server: Any,
                                     listener_name: str) -> None:
        # amqtt builds its handler itself; the subclass adds no state, so swapping is safe.
        handler.__class__ = _KeepingHandler
        await super()._handle_client_session(reader, writer, client_session, handler, server,
                                             listener_name)


class _KeepingHandler(BrokerProtocolHandler):  # type: ignore[misc]
    """Puts an outgoing QoS 1 message back in the session's queue when its flow fails.

    amqtt forgets a message whose PUBACK times out (5 s) or whose connection closes
    first; a persistent session must get it again when it reconnects.
    """

    async def _handle_qos1_message_flow(
            self, app_message: OutgoingApplicationMessage | IncomingApplicationMessage) -> None:
        session = self.session
        try:
            await super()._handle_qos1_message_flow(app_message)
        except BaseException:
            if (isinstance(app_message, OutgoingApplicationMessage)
                    and app_message.puback_packet is None and session is not None
                    and not session.clean_session and not session.is_anonymous):
                session.retained_messages.put_nowait(RetainedApplicationMessage(
                    None, app_message.topic, app_message.data, app_message.qos))
            raise


class UsernameAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    """Requires a username (so the session is not anonymous and gets its queue kept)."""

    @dataclass
    class Config:
        password_file: str | None = None

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self._hashes: dict[str, str] | None = None
        path = self._get_config_option("password_file")
        if path:
            self._hashes = read_password_file(Path(path))

    async def authenticate(self, *, session: Session) -> bool | None:
        if not session.username:
            return False
        if self._hashes is None:
            return True
        stored = self._hashes.get(session.username)
        return stored is not None and verify_password(session.password or "", stored)


class GrantsTopicPlugin(BaseTopicPlugin):  # type: ignore[misc]
    """The ACL of `server.broker.acl`, the same that Mosquitto's ACL file carries."""

    async def topic_filtering(self, *, session: Session | None = None,
                              topic: str | None = None,
                              action: Action | None = None) -> bool | None:
        if session is None or not session.username or not topic:
            return False
        if action == Action.PUBLISH:
            return permits(grants_for(session.username), topic, "write")
        return permits(grants_for(session.username), topic, "read")


def read_password_file(path: Path) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            username, _, stored = line.partition(":")
            hashes[username] = stored
    return hashes


def quiet_amqtt_logging() -> None:
    """amqtt logs every connection at INFO; keep its warnings only."""
    for name in ("amqtt", "transitions"):
        logging.getLogger(name).setLevel(logging.WARNING)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for tests and `make run`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
