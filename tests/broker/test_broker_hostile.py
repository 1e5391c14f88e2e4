"""A terminal's credentials used against the server, on the real Mosquitto (the shipped
configuration, started privately by the test) and on the embedded broker of `timbra run`.

Issue 12 found that Mosquitto did not tie client ids to usernames: a terminal connecting
with client id `timbra-ingest` disconnected the server's ingest and wiped its session, for
every institution, as often as it liked; and the embedded broker let in any client with
any password (amqtt even ended the ingest's session for a client it then refused).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from fault_harness import ROOT
from paho.mqtt.enums import CallbackAPIVersion
from test_mosquitto_acl import (
    SERVER_PASSWORD,
    Broker,
    make_config,
    start_mosquitto,
    wait_for,
)

from server.broker.acl import SERVER_USER
from server.broker.embedded import EmbeddedBroker, free_port
from server.broker.mosquitto import render_passwd
from server.db.broker_passwords import hash_password
from server.ingest.settings import BrokerSettings, SettingsError
from terminals.protocol import topic

INGEST_ID = "timbra-ingest"


class Peer:
    """A paho client that records its messages and every disconnection it suffers."""

    def __init__(self, port: int, username: str | None, password: str | None, *,
                 client_id: str, clean: bool = True,
                 protocol: mqtt.MQTTProtocolVersion = mqtt.MQTTv311) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=protocol, clean_session=clean)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.connected, self.refused = threading.Event(), threading.Event()
        self.subscribed = threading.Event()
        self.drops = 0
        self.messages: list[bytes] = []
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = lambda c, u, m: self.messages.append(m.payload)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object,
                    reason: mqtt.ReasonCode, properties: object) -> None:
        (self.refused if reason.is_failure else self.connected).set()

    def _on_disconnect(self, *args: object) -> None:
        if self.connected.is_set():
            self.drops += 1

    def answered(self, timeout: float = 5) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.connected.is_set() or self.refused.is_set():
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Broker]:
    config = make_config(tmp_path)
    config.process = start_mosquitto(config.conf, config.port)
    try:
        yield config
    finally:
        config.process.kill()
        config.process.wait()


def _ingest(port: int, password: str) -> Peer:
    ingest = Peer(port, SERVER_USER, password, client_id=INGEST_ID, clean=False)
    assert ingest.answered() and ingest.connected.is_set()
    ingest.client.subscribe("timbra/+/+/stamp", qos=1)
    assert ingest.subscribed.wait(5)
    return ingest


def test_a_terminal_taking_the_ingests_client_id_on_mosquitto_leaves_it_connected(
        mosquitto: Broker) -> None:
    ingest = _ingest(mosquitto.port, SERVER_PASSWORD)
    username, password = mosquitto.terminals["university/t01"]
    attacker = Peer(mosquitto.port, username, password, client_id=INGEST_ID)
    # Mosquitto lets the terminal in under its own name (use_username_as_clientid).
    assert attacker.answered() and attacker.connected.is_set()
    attacker.client.publish(topic("university", "t01", "stamp"), b"after", qos=1
                            ).wait_for_publish(5)
    assert wait_for(lambda: b"after" in ingest.messages)
    # On main the ingest was disconnected here, its session taken over.
    assert ingest.drops == 0 and ingest.client.is_connected()
    for peer in (attacker, ingest):
        peer.close()


def test_the_ingest_refuses_a_client_id_a_terminal_may_take() -> None:
    for taken in ("university.t01", "timbra-university-t01"):
        with pytest.raises(SettingsError, match="a terminal may take"):
            BrokerSettings(client_id=taken)
        with pytest.raises(SettingsError, match="a terminal may take"):
            BrokerSettings.from_url(f"mqtt://127.0.0.1:1883?client_id={taken}")
    assert BrokerSettings().client_id == INGEST_ID
    cli = subprocess.run(
        [sys.executable, "-m", "server.cli.main", "ingest", "--mqtt",
         "mqtt://127.0.0.1:1", "--client-id", "university.t01"],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(ROOT)})
    assert cli.returncode == 2 and "a terminal may take" in cli.stderr


def _password_file(folder: Path, terminal_password: str) -> Path:
    passwd = folder / "passwd"
    passwd.write_text(render_passwd([(SERVER_USER, hash_password("server-secret")),
                                     ("university.t01", hash_password(terminal_password))]))
    return passwd


def test_on_the_embedded_broker_neither_a_stranger_nor_a_terminal_ends_the_ingests_session(
        tmp_path: Path) -> None:
    port = free_port()
    with EmbeddedBroker("127.0.0.1", port, password_file=_password_file(tmp_path, "t01-pw")):
        ingest = _ingest(port, "server-secret")
        stranger = Peer(port, "university.t01", "wrong", client_id=INGEST_ID)
        assert stranger.answered() and stranger.refused.is_set()
        terminal = Peer(port, "university.t01", "t01-pw", client_id=INGEST_ID)
        assert terminal.answered() and terminal.connected.is_set()
        terminal.client.publish(topic("university", "t01", "stamp"), b"after", qos=1
                                ).wait_for_publish(5)
        assert wait_for(lambda: b"after" in ingest.messages)
        # On main both connections ended the ingest's (amqtt registered them under its id
        # before checking the password).
        assert ingest.drops == 0 and ingest.client.is_connected()
        for peer in (terminal, stranger, ingest):
            peer.close()


def test_timbra_runs_embedded_broker_lets_in_only_known_credentials(tmp_path: Path) -> None:
    broker_port, web_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli.main", "run", "--port", str(broker_port),
         "--web-port", str(web_port), "--swipe-every", "0.5", "--report-every", "1"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True)
    reader.start()
    try:
        # The first start takes 7 s here and over 40 s on a loaded 2-core machine.
        assert wait_for(lambda: "Ctrl+C to stop" in "".join(lines), 180), "".join(lines)
        # On main any username with any password got in.
        for username, password in (("dev", "x"), ("university.ingresso-festa", "guess"),
                                   (SERVER_USER, "guess"), (None, None)):
            peer = Peer(broker_port, username, password, client_id=f"x-{uuid.uuid4().hex[:6]}")
            assert peer.answered() and peer.refused.is_set(), username
            peer.close()
        # The simulated terminals, with the credentials in the database, still deliver.
        assert wait_for(lambda: _stored("".join(lines)) > 0, 60), "".join(lines)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        reader.join(5)
    assert process.returncode == 0, "".join(lines)


def _stored(output: str) -> int:
    found = re.findall(r"ingest: stored (\d+)", output)
    return int(found[-1]) if found else 0
