"""`timbra ingest --metrics-bind` against the real Mosquitto: Prometheus sees the stamps it
committed by outcome and their ack latency; its logs are one JSON object per line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa
from fake_terminal import BROKER, FakeTerminal, wait_until
from fault_harness import free_port, wait_for
from sqlalchemy.orm import Session

from server.db.directory import add_employee, add_terminal, ensure_institution


def sample(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert found, f"{name} missing from\n{text}"
    return float(found.group(1))


def scrape(port: int) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text
    except httpx.HTTPError:
        return ""


def test_the_ingest_counts_stamps_by_outcome_and_times_their_acks(
        db_url: str, db_engine: sa.Engine, tmp_path: Path) -> None:
    code = f"t{uuid.uuid4().hex[:10]}"  # retained messages of other runs never reach us
    with Session(db_engine) as session:
        ensure_institution(session, "university", "Università degli Studi di Milano")
        add_employee(session, "university", "M001", "Maria Rossi", badge="1001")
        add_terminal(session, "university", code)
        session.commit()
    port, log = free_port(), tmp_path / "ingest.log"
    mqtt = f"mqtt://{BROKER[0]}:{BROKER[1]}?client_id=ingest-{uuid.uuid4().hex[:8]}"
    with log.open("w") as err:
        ingest = subprocess.Popen(
            [sys.executable, "-m", "server.cli.main", "ingest", "--recompute", "none",
             "--metrics-bind", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=err,
            text=True, env={**os.environ, "TIMBRA_DATABASE_URL": db_url,
                            "TIMBRA_MQTT_URL": mqtt, "TIMBRA_LOG_FORMAT": "json"})
    terminal = None
    try:
        assert ingest.stdout is not None
        wait_for(lambda: "listening" in ingest.stdout.readline() or ingest.poll() is not None,
                 60, "the ingest to subscribe")
        assert ingest.poll() is None, log.read_text()
        before = scrape(port)
        assert sample(before, 'timbra_ingest_messages_total{outcome="stored"}') == 0
        terminal = FakeTerminal("university", code)
        for seq, at in enumerate(["08:00", "12:00", "13:00"], start=1):
            terminal.stamp(seq, f"2026-03-02T{at}:00")
        # The broker is shared: other runs' ingests may ack our terminal too, and their
        # terminals' stamps reach ours (rejected: unknown here). Only our own terminal's
        # stamps can be stored or duplicates in this database, so those counts are exact.
        stored = 'timbra_ingest_messages_total{outcome="stored"}'
        wait_until(lambda: sample(scrape(port), stored) == 3, 30)
        terminal.stamp(2, "2026-03-02T12:00:00")  # sent again: already stored
        duplicates = 'timbra_ingest_messages_total{outcome="duplicates"}'
        wait_until(lambda: sample(scrape(port), duplicates) == 1, 30)
        # The latencies are observed just after the outcomes: a scrape may fall between.
        latencies = "timbra_ingest_ack_latency_seconds_count"
        wait_until(lambda: sample(scrape(port), latencies) >= 4, 5)
        after = scrape(port)
        assert sample(after, stored) == 3
        assert sample(after, "timbra_ingest_ack_latency_seconds_sum") < 30
    finally:
        if terminal is not None:
            terminal.close()
        ingest.terminate()
        ingest.wait(30)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(e["logger"] == "timbra.ingest" and "connected" in e["message"] for e in events)
