"""The ingest service: MQTT in, batched commits, acknowledgements after the commit.

Three threads: paho's network thread only queues what arrives (an exception
in `on_message` would silently kill it, so nothing there can raise); the
writer takes batches, commits them, then sends the MQTT PUBACKs (manual_ack)
and the timbra acks; the recomputer keeps day results current. A database
outage stalls the writer on its retry loop: nothing is acknowledged, the
broker stops sending once our receive window is full, and everything
resumes when the database is back.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from server.days.dirty import mark_dirty
from server.days.worker import Computed, Recomputer
from server.db.engine import make_sessionmaker
from server.ingest.incoming import Incoming
from server.ingest.keypad import KeypadConfigs
from server.ingest.last_stamps import last_stamps
from server.ingest.lookup import Lookup
from server.ingest.settings import BrokerSettings, SettingsError
from server.ingest.store import BatchOutcome, reject, store_stamps
from server.ingest.terminal_status import apply_status
from server.observe.metrics import ACK_SECONDS, INBOX_DEPTH, INGEST_MESSAGES, INGEST_OUTCOMES
from terminals.protocol import (
    ACK_ITEMS_PER_MESSAGE,
    AckMessage,
    Kind,
    ProtocolError,
    decode_query,
    parse_topic,
    subscription,
    topic,
)
from terminals.transport import disable_nagle

log = logging.getLogger("timbra.ingest")

# Unacknowledged QoS 1 messages the broker may send us at once. They wait in memory
# for their commit (at most 10,000 x 4 KiB); a wider window lets a burst reach the
# writer in bigger batches, so fewer commits and fewer ack messages per stamp.
RECEIVE_MAXIMUM = 10_000


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class IngestStats:
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    batches: int = 0
    db_errors: int = 0
    fallbacks: int = 0  # batches the database refused whole, then written one by one

    def add(self, outcome: BatchOutcome) -> None:
        self.stored += outcome.stored
        self.duplicates += outcome.duplicates
        self.conflicts += outcome.conflicts
        self.rejected += outcome.rejected
        self.batches += 1


class IngestService:
    def __init__(self, engine: Engine, broker: BrokerSettings, *, batch_max: int = 1000,
                 batch_wait_s: float = 0.003, clock: Callable[[], datetime] = utc_now,
                 recompute: bool = True) -> None:
        """`recompute=False` when a `timbra recompute` process keeps day results current."""
        if broker.shared and engine.dialect.name == "sqlite":
            raise SettingsError("shared subscriptions need PostgreSQL: SQLite has one writer, "
                                "so run a single ingest without share=")
        self.engine = engine
        self.broker = broker
        self.client_id = broker.process_client_id()
        self.batch_max = batch_max
        self.batch_wait_s = batch_wait_s
        self.clock = clock
        self.sessions = make_sessionmaker(engine)
        self.lookup = Lookup()
        self.recompute = recompute
        # Results computed by the recompute thread are written by the writer thread.
        self._computed: queue.Queue[Computed] = queue.Queue()
        self.recomputer = Recomputer(engine, clock, write=self._computed.put)
        self.stats = IngestStats()
        self.connected = threading.Event()
        self._inbox: queue.Queue[Incoming] = queue.Queue()
        self._dirty = threading.Event()  # the writer marked days to recompute
        self._running = threading.Event()
        self._stopped = threading.Event()
        self._busy = threading.Event()
        self._last_batch = 0.0  # monotonic time of the last stamp batch
        self._threads: list[threading.Thread] = []
        self.client = self._make_client()
        self.keypad = KeypadConfigs(self.sessions, self.lookup, clock, self._publish_retained)

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._running.set()
        loops = [(self._write_loop, "ingest-writer")]
        if self.recompute:
            loops.append((self._recompute_loop, "ingest-recompute"))
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        clean, properties = self._session()
        self.client.connect_async(self.broker.host, self.broker.port, self.broker.keepalive,
                                  clean_start=clean, properties=properties)
        self.client.loop_start()
        log.info("ingest %s connecting to %s", self.client_id, self.broker.redacted())

    def _session(self) -> tuple[Any, Properties | None]:
        """clean_start and the CONNECT properties.

        Alone: clean_start=False on every connect, including the first after a restart
        (paho's default would wipe the session that holds our unacknowledged stamps).
        Shared: a clean session that ends with the connection. A session left behind by a
        process that is gone would hold its share of the stamps for nobody; what it had
        not acknowledged the terminals send again (an EMQX cluster hands it to another
        member), and the unique key makes that a duplicate."""
        if self.broker.protocol != 5:
            return mqtt.MQTT_CLEAN_START_FIRST_ONLY, None
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        if self.broker.shared:
            properties.SessionExpiryInterval = 0
            return True, properties
        properties.SessionExpiryInterval = self.broker.session_expiry_s
        return False, properties

    def stop(self, timeout: float = 10.0) -> None:
        self._running.clear()
        self._stopped.set()
        for thread in self._threads:
            thread.join(timeout)
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> IngestService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- MQTT callbacks: queue only, never raise -----------------------------------------

    def _make_client(self) -> mqtt.Client:
        protocol = mqtt.MQTTv5 if self.broker.protocol == 5 else mqtt.MQTTv311
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=protocol, manual_ack=True,
                             clean_session=None if protocol == mqtt.MQTTv5 else False)
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        client.reconnect_delay_set(1, 5)
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_socket_open = disable_nagle
        return client

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: Any,
                    reason: Any, properties: Any) -> None:
        try:
            if reason.is_failure:
                log.error("broker refused the connection: %s", reason)
                return
            # Subscriptions may not have survived a broker that lost its state.
            client.subscribe([(self._filter("stamp"), 1), (self._filter("status"), 1),
                              (self._filter("query"), 1)])
            log.info("ingest connected (session present: %s)", flags.session_present)
            self.keypad.publish_all()  # by the writer thread, the one that uses the lookup
        except Exception:
            log.exception("on_connect failed")

    def _filter(self, kind: Kind) -> str:
        if self.broker.shared:
            return f"$share/{self.broker.share_group}/{subscription(kind)}"
        return subscription(kind)

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int,
                      reasons: Any, properties: Any) -> None:
        # Ready only once the broker has the subscription: earlier stamps would miss us.
        self.connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: Any,
                       reason: Any, properties: Any) -> None:
        self.connected.clear()
        level = logging.WARNING if reason.is_failure else logging.INFO
        log.log(level, "ingest disconnected from the broker: %s", reason)

    def _on_message(self, client: mqtt.Client, userdata: object,
                    message: mqtt.MQTTMessage) -> None:
        try:
            try:
                name = message.topic
            except UnicodeDecodeError:
                name = repr(message._topic)
            self._inbox.put(Incoming(name, bytes(message.payload), self.clock(),
                                     message.mid, message.qos, bool(message.retain)))
        except Exception:
            log.exception("could not queue a message; the broker will redeliver it")

    # --- the writer ---------------------------------------------------------------------

    def _write_loop(self) -> None:
        while self._running.is_set():
            self.keypad.tick()
            batch = self._take_batch()
            if not batch:
                self._write_computed()
                continue
            self._busy.set()
            self._last_batch = time.monotonic()
            try:
                outcome = self._commit(batch)
                if outcome is None:
                    return  # stopping while the database is down: nothing was acknowledged
                self._acknowledge(batch, outcome)
            except Exception:
                log.exception("writer failed on a batch of %d; not acknowledged", len(batch))
            finally:
                self._busy.clear()
            self._write_computed(limit=1)  # a little between batches, stamps first

    def _write_computed(self, limit: int = 20) -> None:
        for _ in range(limit):
            try:
                computed = self._computed.get_nowait()
            except queue.Empty:
                return
            try:
                self.recomputer.store(computed)
            except (OperationalError, InterfaceError):
                self._dirty.set()  # still marked dirty: computed again later
                return

    def _take_batch(self) -> list[Incoming]:
        try:
            first = self._inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        # The batch gathers while this thread sleeps: waiting on the queue instead would
        # wake it (a context switch) for every message that arrives meanwhile.
        if self._inbox.qsize() < self.batch_max - 1:
            time.sleep(self.batch_wait_s)
        batch = [first]
        while len(batch) < self.batch_max:
            try:
                batch.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        return batch

    def _commit(self, batch: list[Incoming]) -> BatchOutcome | None:
        """Write the batch in one transaction, retrying while the database is unavailable.

        An error that is not about the connection (a value the database refuses)
        would come back at every retry: the batch is then written message by
        message, so one bad message cannot hold up the others.
        """
        delay = 0.1
        while True:
            try:
                with self.sessions.begin() as session:
                    return self._write(session, batch)
            except (OperationalError, InterfaceError) as exc:
                self.stats.db_errors += 1
                log.warning("database unavailable (%s); retrying in %.1fs",
                            type(exc.orig or exc).__name__, delay)
                if not self._running.is_set():
                    return None
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
            except DBAPIError as exc:
                self.stats.fallbacks += 1
                log.warning("batch refused by the database (%s); writing one by one",
                            type(exc.orig or exc).__name__)
                return self._commit_each(batch)

    def _commit_each(self, batch: list[Incoming]) -> BatchOutcome | None:
        total = BatchOutcome()
        for item in batch:
            try:
                with self.sessions.begin() as session:
                    outcome = self._write(session, [item])
            except (OperationalError, InterfaceError):
                return None if not self._running.is_set() else self._commit(batch)
            except DBAPIError as exc:
                with self.sessions.begin() as session:
                    outcome = BatchOutcome()
                    reject(session, item, f"refused by the database: {type(exc.orig).__name__}",
                           outcome, payload=item.payload.hex())
            total.merge(outcome)
        return total

    def _write(self, session: Session, batch: list[Incoming]) -> BatchOutcome:
        stamps = [m for m in batch if m.topic.endswith("/stamp")]
        now = self.clock()
        outcome = store_stamps(session, self.lookup, stamps, now)
        mark_dirty(session, outcome.affected, now)
        # In topic order: two ingests updating the same terminals lock their rows alike.
        for item in sorted(batch, key=lambda m: m.topic):
            if item.topic.endswith("/status"):
                applied = apply_status(session, self.lookup, item)
                if applied.came_online:
                    outcome.came_online.append(item.topic)
                if (answer := applied.answer(item.topic)) is not None:
                    outcome.seq_answers.append(answer)
        return outcome

    def _acknowledge(self, batch: list[Incoming], outcome: BatchOutcome) -> None:
        self.stats.add(outcome)
        for item in batch:
            if item.qos > 0:
                self.client.ack(item.mid, item.qos)
        self._measure(batch, outcome)
        for (institution, terminal), items in outcome.acks.items():
            for start in range(0, len(items), ACK_ITEMS_PER_MESSAGE):
                chunk = tuple(items[start:start + ACK_ITEMS_PER_MESSAGE])
                self.client.publish(topic(institution, terminal, "ack"),
                                    AckMessage(chunk).encode(), qos=1)
        for ack_topic, payload in outcome.seq_answers:
            self.client.publish(ack_topic, payload, qos=1)
        if outcome.affected:
            self._dirty.set()
        for item in batch:
            if item.topic.endswith("/query"):
                self._answer(item)
        if outcome.came_online:
            self.keypad.came_online((w.institution, w.terminal)
                                    for w in map(parse_topic, outcome.came_online))

    def _measure(self, batch: list[Incoming], outcome: BatchOutcome) -> None:
        """Prometheus figures (server/observe/metrics.py), once the batch is acknowledged."""
        for name in INGEST_OUTCOMES:
            INGEST_MESSAGES.labels(name).inc(getattr(outcome, name))
        now = self.clock()
        for item in batch:
            if item.topic.endswith("/stamp"):
                ACK_SECONDS.observe(max(0.0, (now - item.received_at).total_seconds()))
        INBOX_DEPTH.set(self._inbox.qsize())

    def _answer(self, item: Incoming) -> None:
        try:
            where = parse_topic(item.topic)
            query = decode_query(item.payload)
        except ProtocolError as exc:
            log.info("ignored query on %s: %s", item.topic, exc.reason)
            return
        with self.sessions() as session:
            reply = last_stamps(session, self.lookup, where.institution, query)
        self.client.publish(topic(where.institution, where.terminal, "reply"), reply.encode(),
                            qos=1)

    # --- day results ----------------------------------------------------------------------

    def _recompute_loop(self) -> None:
        self.recomputer.loop(self._stopped, self._dirty, busy=self._busy_with_stamps)

    def _busy_with_stamps(self) -> bool:
        return self._inbox.qsize() > 0 or time.monotonic() - self._last_batch < 0.5

    # --- retained configuration for keypads (server/ingest/keypad.py) ---------------------

    def _publish_retained(self, name: str, payload: bytes) -> None:
        self.client.publish(name, payload, qos=1, retain=True)
