"""Terminals against a real Mosquitto of the module's own, with a test-side server stand-in.

The `Acker` plays the server's ingest: it receives stamps and, when told to,
acknowledges them on the terminal's ack topic. What is checked is what the
terminal's owner cares about: a stamp leaves the queue only once acked,
nothing is lost across disconnections, the program shows the right messages.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from terminals.config import BrokerConfig
from terminals.events import Acked, Configured, ConnectionChanged, LinkEvent, Replied
from terminals.link import Link
from terminals.outbox import Outbox
from terminals.protocol import (
    AckItem,
    AckMessage,
    ConfigMessage,
    KeypadCode,
    ReplyMessage,
    StampMessage,
    decode_query,
    decode_stamp,
    decode_status,
    topic,
)
from terminals.simulator import Simulator

HOST = "127.0.0.1"
TERMINAL = str(Path(sys.executable).parent / "timbra-terminal")


def _broker_up(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return False
    return True


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Acker:
    """A stand-in for the server's ingest: records stamps and acks them when `acking` is set."""

    def __init__(self, institution: str, port: int, protocol: Any = mqtt.MQTTv5,
                 reject: frozenset[str] = frozenset()) -> None:
        self.institution = institution
        self.reject = reject
        self.received: list[StampMessage] = []
        self.statuses: list[tuple[str, Any]] = []
        self.acking = threading.Event()
        self.acking.set()
        # The server answers a live "online" with the highest seq it stored for the terminal.
        self.committed: dict[str, int] = {}
        self.answering = threading.Event()
        self.answering.set()
        self.lock = threading.Lock()
        self.retained: set[str] = set()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"acker-{institution}", protocol=protocol)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect(HOST, port)
        self.client.loop_start()
        self.client.subscribe([(f"timbra/{institution}/+/stamp", 1),
                               (f"timbra/{institution}/+/status", 1),
                               (f"timbra/{institution}/+/query", 1)])
        assert subscribed.wait(5)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            _, institution, terminal, kind = message.topic.split("/")
            payload = bytes(message.payload)
            if kind == "status":
                if payload:
                    status = decode_status(payload)
                    with self.lock:
                        self.retained.add(message.topic)
                        self.statuses.append((terminal, status))
                    if status.state == "online" and not message.retain:
                        self._answer_online(institution, terminal)
            elif kind == "query":
                query = decode_query(payload)
                reply = ReplyMessage(query.request_id, query.badge, "",
                                     (("2026-03-02T08:03:00+01:00", "in", None),))
                client.publish(topic(institution, terminal, "reply"), reply.encode(), 1)
            elif kind == "stamp":
                stamp = decode_stamp(payload)
                with self.lock:
                    self.received.append(stamp)
                if self.acking.is_set():
                    rejected = stamp.badge in self.reject
                    if not rejected:
                        with self.lock:
                            self.committed[terminal] = max(self.committed.get(terminal, 0),
                                                           stamp.seq)
                    item = (AckItem(stamp.seq, "rejected", "Badge sconosciuto", "unknown badge")
                            if rejected else AckItem(stamp.seq, "stored", "Timbratura registrata"))
                    client.publish(topic(institution, terminal, "ack"),
                                   AckMessage((item,)).encode(), 1)
        except Exception as exc:  # a failing assertion must not kill paho's thread silently
            print("acker error:", exc, file=sys.stderr)

    def _answer_online(self, institution: str, terminal: str) -> None:
        if self.answering.is_set():
            with self.lock:
                committed = self.committed.get(terminal, 0)
            self.client.publish(topic(institution, terminal, "ack"),
                                AckMessage(committed_seq=committed).encode(), 1)

    def seqs(self, terminal: str) -> list[int]:
        with self.lock:
            return [s.seq for s in self.received if s.terminal == terminal]

    def retain(self, terminal: str, kind: Any, payload: bytes) -> None:
        name = topic(self.institution, terminal, kind)
        with self.lock:
            self.retained.add(name)
        self.client.publish(name, payload, 1, retain=True).wait_for_publish(5)

    def close(self) -> None:
        with self.lock:
            names = sorted(self.retained)
        for name in names:  # leave no retained message behind for other tests
            self.client.publish(name, b"", 1, retain=True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def institution() -> str:
    return f"test-{secrets.token_hex(4)}"


@pytest.fixture
def port(own_broker: tuple[str, int]) -> int:
    """The broker's port: one of the module's own, where no other run's ingest answers
    our terminals in the acker's place."""
    return own_broker[1]


@pytest.fixture
def acker(institution: str, port: int) -> Iterator[Acker]:
    acker = Acker(institution, port)
    yield acker
    acker.close()


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite", "t1")
    yield box
    box.close()


class Events:
    """A link's events, for waiting on one kind whatever order they arrive in."""

    def __init__(self) -> None:
        self.seen: list[LinkEvent] = []
        self.lock = threading.Lock()

    def __call__(self, event: LinkEvent) -> None:
        with self.lock:
            self.seen.append(event)

    def next(self, kind: type, timeout: float = 5.0) -> Any:
        """The first event of `kind` not taken yet."""
        taken: list[LinkEvent] = []

        def found() -> bool:
            with self.lock:
                for i, event in enumerate(self.seen):
                    if isinstance(event, kind):
                        taken.append(self.seen.pop(i))
                        return True
            return False

        assert wait_for(found, timeout), f"no {kind.__name__} event"
        return taken[0]


def make_link(outbox: Outbox, institution: str, port: int, **options: Any) -> Link:
    options.setdefault("broker", BrokerConfig(HOST, port))
    return Link(outbox, institution=institution, **options)


def test_a_stamp_leaves_the_queue_only_when_the_server_acks_it(
        outbox: Outbox, acker: Acker, institution: str, port: int) -> None:
    acker.acking.clear()
    link = make_link(outbox, institution, port, resend_seconds=1.0)
    link.start()
    try:
        assert link.wait_connected(5)
        for badge in ("100", "200", "300"):
            link.stamp(badge, "in")
        assert wait_for(lambda: len(acker.seqs("t1")) >= 3)
        time.sleep(0.3)
        assert outbox.count() == 3  # received by the broker and the server, but not acked

        acker.acking.set()  # the "server" commits and acks the re-sent copies
        assert wait_for(lambda: outbox.count() == 0, timeout=5)
        assert set(acker.seqs("t1")) == {1, 2, 3}
        assert link.acked == 3
    finally:
        link.stop()


def test_the_terminal_sends_each_small_packet_at_once(outbox: Outbox, institution: str,
                                                     port: int) -> None:
    """Nagle's algorithm would hold a stamp back until the broker's TCP ack of the
    previous packet, up to 40 ms on every swipe."""
    link = make_link(outbox, institution, port)
    link.start()
    try:
        assert link.wait_connected(5)
        assert link._client is not None
        sock = link._client.socket()
        assert isinstance(sock, socket.socket)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        link.stop()


def test_unacked_stamps_are_replayed_in_order_after_reconnecting(
        outbox: Outbox, acker: Acker, institution: str, port: int) -> None:
    acker.acking.clear()
    link = make_link(outbox, institution, port)
    link.start()
    try:
        assert link.wait_connected(5)
        for i in range(5):
            link.stamp(f"{i}", "in")
        assert wait_for(lambda: len(acker.seqs("t1")) == 5)
    finally:
        link.kill()  # power cut while nothing was acked
    offline = make_link(outbox, institution, port)  # the box reboots with the network down
    for i in range(3):
        offline.stamp(f"9{i}", "out")  # swiping goes on, into the queue
    assert outbox.count() == 8

    acker.acking.set()
    with acker.lock:
        acker.received.clear()
    again = make_link(outbox, institution, port)
    again.start()
    try:
        assert wait_for(lambda: outbox.count() == 0, timeout=5)
        replay = acker.seqs("t1")
        assert replay[:8] == [1, 2, 3, 4, 5, 6, 7, 8]
    finally:
        again.stop()


def test_a_dropped_connection_is_restored_and_the_queue_replayed(
        outbox: Outbox, acker: Acker, institution: str, port: int) -> None:
    acker.acking.clear()
    events = Events()
    link = make_link(outbox, institution, port, resend_seconds=600, on_event=events)
    link.start()
    try:
        assert events.next(ConnectionChanged).connected
        for i in range(3):
            link.stamp(f"{i}", "in")
        assert wait_for(lambda: len(acker.seqs("t1")) == 3)
        acker.acking.set()
        sock = link._client.socket() if link._client else None
        assert isinstance(sock, socket.socket)
        sock.shutdown(socket.SHUT_RDWR)  # the line drops; nobody restarts anything
        assert not events.next(ConnectionChanged).connected
        assert events.next(ConnectionChanged, timeout=10).connected
        # no re-send timer could have fired (600 s): the reconnect itself replayed them
        assert wait_for(lambda: outbox.count() == 0, timeout=5)
    finally:
        link.stop()


def test_swiping_never_waits_for_an_unreachable_broker(outbox: Outbox, institution: str) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind((HOST, 0))
        port = closed.getsockname()[1]
    link = make_link(outbox, institution, port)
    link.start()
    try:
        started = time.monotonic()
        for i in range(20):
            link.stamp(f"{i}", "in")
        assert time.monotonic() - started < 1.0
        assert outbox.count() == 20 and not link.connected
        assert link.query("1") is None  # the last-stamps view needs the network
    finally:
        link.stop()


def test_the_server_can_refuse_a_stamp_and_the_terminal_says_why(
        outbox: Outbox, institution: str, port: int) -> None:
    acker = Acker(institution, port, reject=frozenset({"999"}))
    events = Events()
    link = make_link(outbox, institution, port, on_event=events)
    link.start()
    try:
        assert link.wait_connected(5)
        link.stamp("999", "in")
        acked = events.next(Acked)
        assert acked.item.status == "rejected" and acked.item.display == "Badge sconosciuto"
        assert outbox.count() == 0  # the server stored the refusal: nothing left to send
    finally:
        link.stop()
        acker.close()


def test_heartbeat_reports_the_queue_and_the_will_says_offline(
        outbox: Outbox, acker: Acker, institution: str, port: int) -> None:
    acker.acking.clear()
    link = make_link(outbox, institution, port, heartbeat_seconds=0.3)

    def statuses() -> list[Any]:
        with acker.lock:
            return [s for t, s in acker.statuses if t == "t1"]

    link.start()
    try:
        assert link.wait_connected(5)
        link.stamp("100", "in")
        link.stamp("100", "out")
        assert wait_for(lambda: any(s.queued == 2 for s in statuses()), timeout=5)
    finally:
        # Its heartbeat thread must not outlive the test: the outbox closes after it.
        link.kill()
    online = [s for s in statuses() if s.queued == 2][-1]
    assert online.state == "online" and online.last_seq == 2
    assert online.time is not None and abs(online.time - datetime.now().astimezone()) < \
        timedelta(seconds=5)  # the terminal's clock, for the server's skew check
    assert wait_for(lambda: statuses()[-1].state == "offline", timeout=5)


def test_config_is_received_and_last_stamps_are_answered(
        outbox: Outbox, acker: Acker, institution: str, port: int) -> None:
    config = ConfigMessage(institution, "Accademia", "2026-01-01", "keys", 60,
                           (KeypadCode("1", "Uscita per servizio"),))
    acker.retain("t1", "config", config.encode())
    events = Events()
    link = make_link(outbox, institution, port, on_event=events)
    link.start()
    try:
        assert events.next(Configured).config == config
        assert events.next(ConnectionChanged).connected
        request = link.query("777")
        assert request is not None
        reply = events.next(Replied).reply
        assert reply.request_id == request and reply.badge == "777"
    finally:
        link.stop()


def test_simulated_terminals_get_every_stamp_acked(tmp_path: Path, acker: Acker, port: int,
                                                   institution: str) -> None:
    with Simulator(institution=institution, workdir=tmp_path, terminals=3, badges=10,
                   broker=BrokerConfig(HOST, port)) as sim:
        sim.start()
        assert sim.run(600, rate=None) == 600
        assert sim.wait_all_acked(timeout=15)
        stats = sim.stats()
        assert stats.acked == 600 and stats.pending == 0 and stats.queued == 600
        assert stats.by_status == {"stored": 600}
        assert stats.p99_ack_ms is not None and stats.p99_ack_ms < 5000
        for name in sim.names:  # each terminal numbered its own stamps 1..n, none lost
            seqs = sorted(set(acker.seqs(name)))
            assert seqs == list(range(1, len(seqs) + 1))
        assert sum(len(set(acker.seqs(n))) for n in sim.names) == 600


def test_an_offline_terminal_queues_dated_stamps_then_delivers_them(
        tmp_path: Path, acker: Acker, institution: str, port: int) -> None:
    with Simulator(institution=institution, workdir=tmp_path, terminals=2, badges=5,
                   broker=BrokerConfig(HOST, port)) as sim:
        sim.start(["t01"])  # t02's line is down
        sim.run(200, shift=timedelta(days=-2))
        assert sim.wait_all_acked(timeout=0.5) is False
        backlog = sim.outboxes["t02"].count()
        assert backlog > 0 and acker.seqs("t02") == []
        assert wait_for(lambda: sim.outboxes["t01"].count() == 0)

        sim.start(["t02"])
        assert sim.wait_all_acked(timeout=10)
        with acker.lock:
            late = [s for s in acker.received if s.terminal == "t02"]
        assert sorted({s.seq for s in late}) == list(range(1, backlog + 1))
        # Their own times, two days back, not the arrival (compared as instants: the
        # terminal's local date and this machine's differ around midnight).
        then = datetime.now(UTC) - timedelta(days=2)
        assert all(abs(s.time - then) < timedelta(hours=1) for s in late), late[:3]


def test_a_terminal_falls_back_to_mqtt_311_for_a_broker_without_v5(
        tmp_path: Path, outbox: Outbox, institution: str) -> None:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    conf = tmp_path / "amqtt.yaml"
    conf.write_text(f"listeners:\n  default:\n    type: tcp\n    bind: {HOST}:{port}\n"
                    "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
                    "    allow_anonymous: true\n")
    broker = subprocess.Popen([str(Path(sys.executable).parent / "amqtt"), "-c", str(conf)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: _broker_up(port), timeout=10)
        acker = Acker(institution, port, protocol=mqtt.MQTTv311)
        link = make_link(outbox, institution, port, broker=BrokerConfig(HOST, port, keepalive=30))
        link.start()
        try:
            link.stamp("100", "in")  # queued while the v5 attempt goes unanswered
            assert link.wait_connected(10)
            assert link.protocol == "3.1.1"
            assert wait_for(lambda: outbox.count() == 0, timeout=5)
        finally:
            link.stop()
            acker.client.disconnect()
            acker.client.loop_stop()
    finally:
        broker.terminate()
        broker.wait(10)


def test_the_terminal_program_shows_what_happens(tmp_path: Path, institution: str,
                                                  port: int) -> None:
    acker = Acker(institution, port, reject=frozenset({"999"}))
    config = tmp_path / "terminal.yaml"
    config.write_text(
        f"institution: {institution}\nterminal: t1\noutbox: outbox.sqlite\n"
        f"broker: {{host: {HOST}, port: {port}}}\ndirection: any\ntimezone: Europe/Rome\n")
    program = subprocess.Popen([TERMINAL, "--config", str(config)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert program.stdin is not None and program.stdout is not None
    lines: list[str] = []
    output = program.stdout
    reader = threading.Thread(
        target=lambda: lines.extend(line.rstrip("\n") for line in output), daemon=True)
    reader.start()
    try:
        assert wait_for(lambda: "In linea" in lines, timeout=10), lines
        program.stdin.write("E\n*35\n12345\n999\nF5\n12345\n")
        program.stdin.flush()
        assert wait_for(lambda: "Badge sconosciuto" in lines
                        and "02/03 08:03 E" in lines, timeout=10), lines
    finally:
        program.stdin.close()
        program.wait(10)
        reader.join(5)
        acker.close()
    assert program.returncode == 0
    shown = "\n".join(lines)
    assert "Entrata cod. 35: strisciare il badge" in shown
    assert "Timbratura registrata" in shown and " E cod. 35" in shown
    assert "Ultime timbrature badge 12345" in shown
    with acker.lock:
        stamps = [s for s in acker.received if s.badge == "12345"]
    assert [(s.direction, s.code) for s in stamps][:1] == [("in", "35")]
    assert json.loads(stamps[0].encode())["time"].endswith(("+01:00", "+02:00"))


def test_the_simulator_command_line(tmp_path: Path, acker: Acker, institution: str,
                                    port: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "terminals.simulator", "--institution", institution,
         "--host", HOST, "--port", str(port),
         "--terminals", "3", "--badges", "5", "--stamps", "90", "--offline", "1",
         "--profile", "peak", "--workdir", str(tmp_path), "--timeout", "10"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    assert stats["acked"] == 90 and stats["pending"] == 0
    assert stats["p99_ack_ms"] is not None
    with acker.lock:
        assert len({(s.terminal, s.seq) for s in acker.received}) == 90


# --- a new queue file takes the server's committed sequence first ------------------------


def test_a_new_queue_file_sends_nothing_until_the_server_gives_its_sequence(
        outbox: Outbox, acker: Acker, institution: str, port: int) -> None:
    """The box was replaced: the server holds t1's stamps up to 300 from the old one."""
    acker.committed["t1"] = 300
    acker.answering.clear()  # a server that answers late
    link = make_link(outbox, institution, port, heartbeat_seconds=600)
    link.start()
    try:
        assert link.wait_connected(5)
        for badge in ("100", "200", "300"):
            link.stamp(badge, "in")
        time.sleep(0.5)
        assert acker.seqs("t1") == [] and outbox.count() == 3  # they wait, safe in the queue
        acker.answering.set()
        link.send_status()  # the next heartbeat gets the answer
        assert wait_for(lambda: outbox.count() == 0)
        assert sorted(set(acker.seqs("t1"))) == [301, 302, 303]
        assert outbox.confirmed and link.stamp("400", "out").seq == 304
    finally:
        link.stop()


def test_acks_left_for_the_replaced_box_do_not_drop_the_new_queue(
        outbox: Outbox, acker: Acker, institution: str, port: int) -> None:
    acker.committed["t1"] = 10
    acker.answering.clear()
    link = make_link(outbox, institution, port, heartbeat_seconds=600)
    link.start()
    try:
        assert link.wait_connected(5)
        link.stamp("100", "in")
        link.stamp("100", "out")
        stale = AckMessage((AckItem(1, "stored", ""), AckItem(2, "stored", "")))
        acker.client.publish(topic(institution, "t1", "ack"), stale.encode(), 1)
        time.sleep(0.5)
        assert outbox.count() == 2 and link.acked == 0  # seqs 1 and 2 were the old box's
        acker.answering.set()
        link.send_status()
        assert wait_for(lambda: outbox.count() == 0)
        assert sorted(set(acker.seqs("t1"))) == [11, 12]
    finally:
        link.stop()


def test_a_queue_file_already_in_use_sends_at_once_without_waiting_for_the_server(
        tmp_path: Path, acker: Acker, institution: str, port: int) -> None:
    acker.answering.clear()  # an older server, which never answers
    with Outbox(tmp_path / "configured.sqlite", "t1", first_seq=1) as box:
        link = make_link(box, institution, port)
        link.start()
        try:
            assert link.wait_connected(5)
            link.stamp("100", "in")
            assert wait_for(lambda: box.count() == 0)
            assert acker.seqs("t1") == [1]
        finally:
            link.stop()
