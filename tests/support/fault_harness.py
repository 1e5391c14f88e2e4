"""Real processes to break: a private Mosquitto, a private PostgreSQL and the ingest service.

The fault tests kill these with SIGKILL (or stop PostgreSQL the way a crash
does) and start them again. They use the real binaries with a configuration
of their own on a free port, so restarting them disturbs neither the
machine's broker on 1883 nor its PostgreSQL on 5432, which others use.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from server.broker.acl import SERVER_USER

ROOT = Path(__file__).resolve().parents[2]
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
        self.password = server_password
        self.user = f"{SERVER_USER}:{server_password}@"

    @property
    def url(self) -> str:
        return f"mqtt://{self.user}127.0.0.1:{self.port}"

    def url_as(self, username: str) -> str:
        """The broker's URL for another server user of the same password."""
        return f"mqtt://{username}:{self.password}@127.0.0.1:{self.port}"

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
                 client_id: str = "timbra-ingest", options: tuple[str, ...] = ()) -> None:
        """`options`: more of `timbra ingest`'s, e.g. ("--share", "timbra")."""
        self.database, self.mqtt_url, self.log = database, mqtt_url, log
        self.client_id = client_id
        self.options = options
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, wait: bool = True) -> None:
        """`wait=False` returns at once: several start together, then `wait_listening`."""
        # Credentials by environment, as an administrator should pass them: argv is public.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TIMBRA_MQTT_URL": self.mqtt_url,
               "TIMBRA_DATABASE_URL": self.database}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli.main", "ingest",
                 "--client-id", self.client_id, *self.options],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_listening()

    def wait_listening(self) -> None:
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


class RecomputeProcess:
    """`timbra recompute` in its own process, its log (stderr) in a file."""

    def __init__(self, database: str, log: Path) -> None:
        self.database, self.log = database, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TIMBRA_DATABASE_URL": self.database}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli.main", "recompute"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def postgres_bindir() -> Path:
    """The newest installed PostgreSQL server: Debian keeps each major version apart."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda pg_ctl: int(pg_ctl.parent.parent.name))
    if not found:  # a missing PostgreSQL must fail, not skip
        raise AssertionError("no PostgreSQL server under /usr/lib/postgresql/*/bin")
    return found[-1].parent


class PrivatePostgres:
    """A PostgreSQL cluster of its own, to stop the way a crash does and start again.

    It lives in a temporary directory (not pytest's, which only its owner may enter)
    with its own port and socket directory. PostgreSQL refuses to run as root, and
    the tests run as root in CI: then its binaries run as the `postgres` user, which
    owns the directory.
    """

    def __init__(self, keep_log: Path | None = None) -> None:
        self.bindir = postgres_bindir()
        self.directory = Path(tempfile.mkdtemp(prefix="timbra-pg-"))
        self.data = self.directory / "data"
        self.server_log = self.directory / "postgres.log"
        self.keep_log = keep_log
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Creates the cluster the first time; later, after a crash, recovers it."""
        if not self.data.exists():
            # --no-sync only spares initdb's own flush; the server keeps fsync on.
            self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres",
                      "--no-sync", "--no-locale", "-E", "UTF8")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.directory} -c max_connections=30")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.server_log), "-w",
                  "-t", "60", "-o", options, "start")

    def stop_immediately(self) -> None:
        """Every server process quits at once, without a checkpoint: as in a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def restart(self) -> None:
        self.start()

    def close(self) -> None:
        """Stops what is left even after a failed test, keeps the log, removes the files."""
        pid = self._postmaster_pid()
        if pid is not None:
            subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data),
                            "-m", "immediate", "stop"], cwd=self.directory,
                           capture_output=True, timeout=30, check=False)
            if self._postmaster_pid() == pid:  # pg_ctl could not stop it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.keep_log is not None and self.server_log.exists():
            shutil.copyfile(self.server_log, self.keep_log)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(self.bindir / program), *args],
                              cwd=self.directory, capture_output=True, timeout=90, check=False)
        if done.returncode != 0:
            log = self.server_log.read_text() if self.server_log.exists() else ""
            raise AssertionError(f"{program} failed ({done.returncode}):\n"
                                 f"{done.stdout.decode()}{done.stderr.decode()}{log[-3000:]}")

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            return None
