"""`make run` against a Mosquitto with timbra's own files: the demo terminals log in."""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from fault_harness import ROOT, PrivateMosquitto, free_port, wait_for
from sqlalchemy.orm import Session

from server.broker.mosquitto import BrokerSettings, write_config
from server.db import make_engine, upgrade
from server.db.broker_passwords import verify_password
from server.db.models import Stamp, Terminal
from server.demo.load import load_demo
from server.demo.terminal_secrets import terminal_password


def test_a_demo_terminal_keeps_its_password_in_an_owner_only_file(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/timbra.db")
    upgrade(engine)
    [first, *_] = load_demo(engine, date.today())
    folder = tmp_path / "terminals"
    password = terminal_password(engine, folder, first.institution, first.code)
    [file] = folder.iterdir()
    assert file.stat().st_mode & 0o077 == 0
    with Session(engine) as session:
        stored = session.scalars(sa.select(Terminal.password_hash).where(
            Terminal.code == first.code)).one()
    assert verify_password(password, stored) and password not in stored
    # The next start reads the same password: the broker's files need not change.
    assert terminal_password(engine, folder, first.institution, first.code) == password


def test_timbra_run_with_timbras_mosquitto_files_gets_the_demo_stamps(tmp_path: Path) -> None:
    """First start, then `timbra terminals mosquitto`, then Mosquitto with those files."""
    data = tmp_path / "timbra-data"
    engine = make_engine(f"sqlite:///{data}/timbra.db")
    data.mkdir(exist_ok=True)
    upgrade(engine)
    live = load_demo(engine, date.today())  # what the first `make run` leaves behind
    for demo in live:
        terminal_password(engine, data / "terminals", demo.institution, demo.code)
    mosquitto = PrivateMosquitto(tmp_path / "mosquitto")
    with Session(engine) as session:
        written = write_config(session, tmp_path / "mosquitto", BrokerSettings(
            port=mosquitto.port, bind="127.0.0.1", data_dir=tmp_path / "mosquitto" / "data",
            user=getpass.getuser()), server_password="demo-test-server")
    mosquitto.use_config(written.conf, "demo-test-server")
    mosquitto.start()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TIMBRA_MQTT_URL": mosquitto.url}
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli.main", "run", "--swipe-every", "0.3",
         "--web-port", str(free_port())],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        codes = [demo.code for demo in live]
        wait_for(lambda: _live_stamps(engine, codes) > 0 or process.poll() is not None, 60,
                 "stamps from the demo terminals")
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
        mosquitto.stop()
    log = (tmp_path / "mosquitto" / "mosquitto.log")
    assert "not authorised" not in (log.read_text() if log.exists() else "")


def _live_stamps(engine: sa.Engine, codes: list[str]) -> int:
    time.sleep(0.2)
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(Stamp).join(
            Terminal, Terminal.id == Stamp.terminal_id).where(Terminal.code.in_(codes))) or 0
