"""Real processes to break: a private Mosquitto and the ingest service as a subprocess.

The fault tests kill these with SIGKILL and start them again. They use the
real `mosquitto` binary with a configuration of their own on a free port, so
restarting it does not disturb the machine's broker on 1883.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from server.broker.acl import SERVER_USER

ROOT = Path(__file__).resolve().parent.parent
MOSQUITTO = "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class PrivateMosquitto:
    """`mosquitto -c` with settings that keep QoS 1 messages for slow subscribers.

    Anonymous by default; `use_config` swaps in timbra's shipped configuration
    (credentials and ACL generated from the database by `write_config`).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.conf = directory / "mosquitto.conf"
        self.user = ""  # "user:password@" for URLs, once use_config is called
        directory.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "set_tcp_nodelay true\n"  # as the shipped configuration
            "persistence true\n"
            f"persistence_location {directory}/\n"
            "autosave_interval 1\n"
            # Mosquitto's default of 1000 drops QoS 1 messages for a slow subscriber.
            "max_queued_messages 0\n"
            "max_inflight_messages 0\n"
            "persistent_client_expiration 1d\n"
            f"log_dest file {directory}/mosquitto.log\n")

    def use_config(self, conf: Path, server_password: str) -> None:
        self.conf = conf
        self.user = f"{SERVER_USER}:{server_password}@"

    @property
    def url(self) -> str:
        return f"mqtt://{self.user}127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(self.port), 10, "mosquitto to listen")

    def kill9(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        """A clean restart: mosquitto saves its persistence file on SIGTERM."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()
            self.process = None


class IngestProcess:
    """`timbra ingest` in its own process, so it can be killed with SIGKILL."""

    def __init__(self, database: str, mqtt_url: str, log: Path,
                 client_id: str = "timbra-ingest") -> None:
        self.database, self.mqtt_url, self.log = database, mqtt_url, log
        self.client_id = client_id
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # Credentials by environment, as an administrator should pass them: argv is public.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TIMBRA_MQTT_URL": self.mqtt_url,
               "TIMBRA_DATABASE_URL": self.database}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli.main", "ingest",
                 "--client-id", self.client_id],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._listening, 30, "timbra ingest to start")

    def _listening(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"timbra ingest exited:\n{self.log.read_text()[-3000:]}")
        return "listening on" in self.log.read_text()

    def kill9(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None
            # The next start must not mistake the old "listening" line for its own.
            self.log.write_text("")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()
            self.process = None
