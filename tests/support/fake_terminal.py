"""A bare MQTT client on the terminal's side of the wire, for tests that talk to the ingest."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from services import mosquitto_address

from terminals.protocol import AckItem, StampMessage, decode_ack, topic

BROKER = mosquitto_address()
ROME = ZoneInfo("Europe/Rome")


class FakeTerminal:
    """A bare paho client speaking the terminal's side of the wire."""

    def __init__(self, institution: str, code: str,
                 broker: tuple[str, int] = BROKER) -> None:
        """`broker`: the machine's Mosquitto unless a test brings its own."""
        self.institution, self.code = institution, code
        self.acks: list[AckItem] = []
        self.committed: list[int] = []  # committed_seq answers to "online"
        self.config: bytes | None = None
        self.configs: list[bytes] = []  # every config received, the retained one first
        self.replies: list[bytes] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.connect(*broker)
        self.client.subscribe([(topic(institution, code, "ack"), 1),
                               (topic(institution, code, "config"), 1),
                               (topic(institution, code, "reply"), 1)])
        self.client.loop_start()

    def _on_message(self, client: object, userdata: object, message: mqtt.MQTTMessage) -> None:
        if message.topic.endswith("/ack"):
            ack = decode_ack(message.payload)
            self.acks.extend(ack.items)
            if ack.committed_seq is not None:
                self.committed.append(ack.committed_seq)
        elif message.topic.endswith("/config"):
            self.config = message.payload
            self.configs.append(message.payload)
        else:
            self.replies.append(message.payload)

    def stamp(self, seq: int, at: str, badge: str = "1001", terminal: str | None = None) -> None:
        moment = datetime.fromisoformat(at).replace(tzinfo=ROME)
        message = StampMessage(terminal or self.code, seq, f"s{seq}", badge, moment)
        self.publish("stamp", message.encode())

    def publish(self, kind: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic(self.institution, self.code, kind), payload,  # type: ignore[arg-type]
                            qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        for kind in ("config", "status"):  # leave no retained messages behind
            self.client.publish(topic(self.institution, self.code, kind), b"", qos=1,  # type: ignore[arg-type]
                                retain=True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)
