"""The embedded broker of `make run`: MQTT 3.1.1, no QoS 1 message lost, a clean stop."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from server.broker.acl import SERVER_USER
from server.broker.embedded import EmbeddedBroker, EmbeddedBrokerError, _Subscriptions, free_port
from server.broker.mosquitto import render_passwd
from server.db.broker_passwords import hash_password


class Client:
    def __init__(self, port: int, client_id: str, *, username: str | None = "dev",
                 password: str | None = None, clean: bool = True,
                 delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv311, clean_session=clean)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.received: list[bytes] = []
        self.lock = threading.Lock()
        self.outcome = threading.Event()
        self.accepted = False
        self.subscribed = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object,
                    reason: mqtt.ReasonCode, properties: object) -> None:
        self.accepted = not reason.is_failure
        self.outcome.set()

    def _on_message(self, client: mqtt.Client, userdata: object,
                    message: mqtt.MQTTMessage) -> None:
        time.sleep(self.delay_s)  # a slow consumer: the broker keeps many in flight
        with self.lock:
            self.received.append(message.payload)

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int,
                      codes: list[mqtt.ReasonCode], properties: object) -> None:
        if all(not code.is_failure for code in codes):
            self.subscribed.set()

    def connected(self) -> bool:
        return self.outcome.wait(5) and self.accepted

    def subscribe(self, pattern: str) -> bool:
        self.subscribed.clear()
        self.client.subscribe(pattern, qos=1)
        return self.subscribed.wait(3)

    def unique(self) -> set[bytes]:
        with self.lock:
            return set(self.received)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():  # type: ignore[operator]
        time.sleep(0.05)


def publish_all(publisher: Client, count: int, start: int = 0) -> None:
    infos = [publisher.client.publish("timbra/university/t01/stamp", str(i).encode(), qos=1)
             for i in range(start, start + count)]
    for info in infos:
        info.wait_for_publish(20)


def test_every_qos1_message_reaches_the_subscriber() -> None:
    port = free_port()
    with EmbeddedBroker("127.0.0.1", port) as broker:
        assert broker.url == f"mqtt://127.0.0.1:{port}"
        subscriber = Client(port, "ingest")
        assert subscriber.connected()
        assert subscriber.subscribe("timbra/+/+/stamp")
        publisher = Client(port, "university.t01")
        assert publisher.connected()
        publish_all(publisher, 2000)
        wanted = {str(i).encode() for i in range(2000)}
        wait_until(lambda: subscriber.unique() >= wanted)
        assert subscriber.unique() == wanted
        publisher.close()
        subscriber.close()


def test_persistent_subscriber_away_during_a_burst_gets_everything() -> None:
    # amqtt forgets the messages in flight when a subscriber disconnects; the embedded
    # broker puts them back in the session's queue. Without that, hundreds go missing here.
    port = free_port()
    with EmbeddedBroker("127.0.0.1", port):
        first = Client(port, "ingest", clean=False, delay_s=0.002)
        assert first.connected() and first.subscribe("timbra/+/+/stamp")
        publisher = Client(port, "university.t01")
        assert publisher.connected()
        publish_all(publisher, 1000)
        first.close()
        publish_all(publisher, 1000, start=1000)
        again = Client(port, "ingest", clean=False)
        assert again.connected()
        wanted = {str(i).encode() for i in range(2000)}
        wait_until(lambda: (first.unique() | again.unique()) >= wanted)
        assert first.unique() | again.unique() == wanted
        publisher.close()
        again.close()


def test_stop_releases_the_port_and_a_taken_port_is_reported() -> None:
    port = free_port()
    broker = EmbeddedBroker("127.0.0.1", port).start()
    with pytest.raises(EmbeddedBrokerError, match=str(port)):
        EmbeddedBroker("127.0.0.1", port).start()
    broker.stop()
    assert not broker.running
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", port))  # raises if the broker still held it
    with EmbeddedBroker("127.0.0.1", port):  # and it can start again on the same port
        client = Client(port, "again")
        assert client.connected()
        client.close()


def test_clients_without_username_are_refused() -> None:
    # A session without a username is anonymous to amqtt, which keeps no queue for it.
    port = free_port()
    with EmbeddedBroker("127.0.0.1", port):
        anonymous = Client(port, "nobody", username=None)
        assert not anonymous.connected()
        anonymous.close()


def test_with_a_password_file_it_checks_passwords_and_topics(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_text(render_passwd([(SERVER_USER, hash_password("server-pw")),
                                     ("university.t01", hash_password("terminal-pw"))]))
    port = free_port()
    with EmbeddedBroker("127.0.0.1", port, password_file=passwd):
        wrong = Client(port, "w", username="university.t01", password="nope")
        assert not wrong.connected()
        server = Client(port, "ingest", username=SERVER_USER, password="server-pw")
        assert server.connected() and server.subscribe("timbra/+/+/stamp")
        terminal = Client(port, "t", username="university.t01", password="terminal-pw")
        assert terminal.connected()
        assert not terminal.subscribe("timbra/+/+/stamp")  # another terminal's stamps
        for target in ("school/atrio", "university/t01"):
            info = terminal.client.publish(f"timbra/{target}/stamp", target.encode(), qos=1)
            info.wait_for_publish(5)
        wait_until(lambda: server.unique() == {b"university/t01"}, timeout=5)
        time.sleep(0.2)
        assert server.unique() == {b"university/t01"}
        for client in (wrong, server, terminal):
            client.close()


def test_a_subscription_made_during_a_broadcast_does_not_stop_it() -> None:
    """amqtt's broadcast loops over the subscriptions and awaits inside the loop; a terminal
    subscribing meanwhile made it raise "dictionary changed size during iteration" (seen in
    `timbra run`). The embedded broker's subscriptions loop over a snapshot."""
    subscriptions = _Subscriptions({"timbra/a/stamps": []})
    seen = []
    for topic, _ in subscriptions.items():
        subscriptions[f"{topic}/later"] = []  # what a subscribe does while the loop awaits
        seen.append(topic)
    assert seen == ["timbra/a/stamps"] and "timbra/a/stamps/later" in subscriptions
