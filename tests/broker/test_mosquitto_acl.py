"""The generated Mosquitto configuration, run by the real mosquitto 2.0 binary.

What an administrator would check after installing it: terminals log in with
the printed credentials and publish only under their own topic, strangers are
refused, and the server's persistent session loses no QoS 1 stamp while it is
away during a burst.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from databases import migrated_sqlite
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from server.broker.acl import SERVER_USER
from server.broker.embedded import free_port
from server.broker.mosquitto import BrokerSettings, write_config
from server.db.directory import add_terminal, ensure_institution
from server.db.engine import make_engine, make_sessionmaker
from terminals.protocol import topic

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
pytestmark = pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto not installed")

SERVER_PASSWORD = "server-test-password"


@dataclass
class Broker:
    port: int
    conf: Path
    terminals: dict[str, tuple[str, str]]  # "inst/term" -> (username, password)
    database: str
    settings: BrokerSettings
    process: subprocess.Popen[bytes] | None = None


def start_mosquitto(conf: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mosquitto exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("mosquitto did not start listening")


def make_config(directory: Path, *, max_queued_messages: int | None = None) -> Broker:
    database = migrated_sqlite(directory / "timbra.db")
    engine = make_engine(database)
    credentials = {}
    with make_sessionmaker(engine)() as session:
        for institution, code in (("university", "t01"), ("school", "atrio")):
            ensure_institution(session, institution, institution.title())
            created = add_terminal(session, institution, code, "test")
            credentials[f"{institution}/{code}"] = (created.terminal.username, created.password)
        session.commit()
        port = free_port()
        settings = BrokerSettings(port=port, bind="127.0.0.1",
                                  user="root" if os.geteuid() == 0 else None)
        if max_queued_messages is not None:
            settings = BrokerSettings(**{**vars(settings),
                                         "max_queued_messages": max_queued_messages})
        written = write_config(session, directory / "mosquitto", settings,
                               server_password=SERVER_PASSWORD)
    engine.dispose()
    return Broker(port, written.conf, credentials, database, settings)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    config = make_config(tmp_path)
    process = start_mosquitto(config.conf, config.port)
    config.process = process
    try:
        yield config
    finally:
        process.kill()
        process.wait()


class Client:
    """A paho client that records what it receives and how its connection went."""

    def __init__(self, port: int, username: str | None, password: str | None, *,
                 client_id: str = "", clean: bool = True,
                 protocol: mqtt.MQTTProtocolVersion = mqtt.MQTTv5) -> None:
        self.port = port
        self.client_id = client_id or f"test-{uuid.uuid4().hex[:8]}"
        self.messages: list[mqtt.MQTTMessage] = []
        self.connected = threading.Event()
        self.refused = threading.Event()
        self.subscribed = threading.Event()
        self.lock = threading.Lock()
        self.clean = clean
        self.protocol = protocol
        if protocol == mqtt.MQTTv5:
            self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                                      protocol=protocol)
        else:
            self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                                      protocol=protocol, clean_session=clean)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self.subscribed.set()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object,
                    reason: mqtt.ReasonCode, properties: object) -> None:
        (self.refused if reason.is_failure else self.connected).set()

    def _on_message(self, client: mqtt.Client, userdata: object,
                    message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append(message)

    def connect(self) -> Client:
        if self.protocol == mqtt.MQTTv5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = 3600
            self.client.connect("127.0.0.1", self.port, clean_start=self.clean,
                                properties=properties)
        else:
            self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        return self

    def wait_connected(self) -> bool:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.connected.is_set():
                return True
            if self.refused.is_set():
                return False
            time.sleep(0.01)
        return False

    def subscribe(self, pattern: str) -> None:
        self.subscribed.clear()
        self.client.subscribe(pattern, qos=1)
        assert self.subscribed.wait(5)

    def payloads(self) -> list[bytes]:
        with self.lock:
            return [m.payload for m in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def server(broker: Broker, **kwargs: object) -> Client:
    client = Client(broker.port, SERVER_USER, SERVER_PASSWORD, **kwargs)  # type: ignore[arg-type]
    assert client.connect().wait_connected()
    return client


def terminal(broker: Broker, key: str) -> Client:
    username, password = broker.terminals[key]
    client = Client(broker.port, username, password)
    assert client.connect().wait_connected(), f"{username} refused"
    return client


def wait_for(condition: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_terminal_publishes_only_under_its_own_topic(broker: Broker) -> None:
    listener = server(broker)
    listener.subscribe("timbra/+/+/stamp")
    a = terminal(broker, "university/t01")
    outcomes: dict[int, str] = {}
    a.client.on_publish = lambda client, data, mid, reason, props: outcomes.update(
        {mid: str(reason)})
    own = a.client.publish(topic("university", "t01", "stamp"), b"own", qos=1)
    forged = a.client.publish(topic("school", "atrio", "stamp"), b"forged", qos=1)
    sibling = a.client.publish(topic("university", "t02", "stamp"), b"sibling", qos=1)
    for info in (own, forged, sibling):
        info.wait_for_publish(5)
    # MQTT 5 tells the terminal why; the server's subscription is what really matters.
    assert outcomes[forged.mid] == outcomes[sibling.mid] == "Not authorized"
    assert outcomes[own.mid] != "Not authorized"
    # A marker from the real owner, sent after: once it arrives, the forged ones had their chance.
    b = terminal(broker, "school/atrio")
    b.client.publish(topic("school", "atrio", "stamp"), b"marker", qos=1).wait_for_publish(5)
    assert wait_for(lambda: b"marker" in listener.payloads())
    assert sorted(listener.payloads()) == [b"marker", b"own"]
    for client in (a, b, listener):
        client.close()


def test_terminal_cannot_read_another_terminals_ack(broker: Broker) -> None:
    a = terminal(broker, "university/t01")
    b = terminal(broker, "school/atrio")
    a.subscribe(topic("school", "atrio", "ack"))
    a.subscribe(topic("university", "t01", "ack"))
    b.subscribe(topic("school", "atrio", "ack"))
    sender = server(broker)
    sender.client.publish(topic("school", "atrio", "ack"), b"for-b", qos=1).wait_for_publish(5)
    sender.client.publish(topic("university", "t01", "ack"), b"for-a", qos=1).wait_for_publish(5)
    assert wait_for(lambda: b.payloads() == [b"for-b"] and a.payloads() == [b"for-a"])
    time.sleep(0.2)
    assert a.payloads() == [b"for-a"]
    for client in (a, b, sender):
        client.close()


def test_wrong_password_and_anonymous_are_refused(broker: Broker) -> None:
    username, password = broker.terminals["university/t01"]
    wrong = Client(broker.port, username, password + "x").connect()
    assert not wrong.wait_connected() and wrong.refused.is_set()
    stranger = Client(broker.port, None, None).connect()
    assert not stranger.wait_connected() and stranger.refused.is_set()
    impostor = Client(broker.port, SERVER_USER, password).connect()
    assert not impostor.wait_connected()
    right = Client(broker.port, username, password).connect()
    assert right.wait_connected()
    for client in (wrong, stranger, impostor, right):
        client.close()


def burst_to_absent_subscriber(broker: Broker, count: int) -> set[bytes]:
    """QoS 1 stamps published while the server's persistent session is slow, then away."""
    first = server(broker, client_id="ingest", clean=False)
    first.subscribe("timbra/+/+/stamp")
    # Slow: it reads its socket only a little before going away in mid-burst.
    a = terminal(broker, "university/t01")
    stamp_topic = topic("university", "t01", "stamp")
    infos = [a.client.publish(stamp_topic, str(i).encode(), qos=1) for i in range(count // 10)]
    first.close()
    infos += [a.client.publish(stamp_topic, str(i).encode(), qos=1)
              for i in range(count // 10, count)]
    for info in infos:
        info.wait_for_publish(20)
    again = server(broker, client_id="ingest", clean=False)
    wanted = {str(i).encode() for i in range(count)}
    got = set(first.payloads())
    # Until all came, or nothing more for 3 s: what a broker dropped never comes. (One
    # second of quiet ended the wait early on a loaded 2-core machine.)
    seen, quiet_since = -1, time.monotonic()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and time.monotonic() - quiet_since < 3.0:
        received = got | set(again.payloads())
        if received >= wanted:
            break
        if len(received) != seen:
            seen, quiet_since = len(received), time.monotonic()
        time.sleep(0.05)
    got |= set(again.payloads())
    for client in (a, again):
        client.close()
    return got


def test_persistent_server_session_gets_every_stamp_of_a_burst(broker: Broker) -> None:
    count = 5000
    assert burst_to_absent_subscriber(broker, count) == {str(i).encode() for i in range(count)}


def test_mosquittos_default_queue_would_drop_them(tmp_path: Path) -> None:
    # The control: the same scenario with Mosquitto's default limit loses stamps, so the
    # test above proves the setting and not a lucky timing.
    config = make_config(tmp_path, max_queued_messages=1000)
    process = start_mosquitto(config.conf, config.port)
    try:
        assert len(burst_to_absent_subscriber(config, 5000)) < 5000
    finally:
        process.kill()
        process.wait()


def test_a_terminal_added_later_works_after_regenerating_and_sighup(broker: Broker) -> None:
    listener = server(broker, client_id="ingest", clean=False)
    listener.subscribe("timbra/+/+/stamp")
    engine = make_engine(broker.database)
    with make_sessionmaker(engine)() as session:
        created = add_terminal(session, "university", "t02", "test")
        session.commit()
        write_config(session, broker.conf.parent, broker.settings,
                     server_password=SERVER_PASSWORD)
    engine.dispose()
    newcomer = Client(broker.port, created.terminal.username, created.password).connect()
    assert not newcomer.wait_connected()  # not before the reload
    newcomer.close()

    assert broker.process is not None
    broker.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while True:  # mosquitto rereads the files when its loop next turns
        newcomer = Client(broker.port, created.terminal.username, created.password).connect()
        if newcomer.wait_connected():
            break
        newcomer.close()
        assert time.monotonic() < deadline, "still refused after SIGHUP"
        time.sleep(0.1)
    newcomer.client.publish(topic("university", "t02", "stamp"), b"new", qos=1).wait_for_publish(5)
    # The reload kept the server's connection and subscription.
    assert wait_for(lambda: listener.payloads() == [b"new"])
    for client in (newcomer, listener):
        client.close()
