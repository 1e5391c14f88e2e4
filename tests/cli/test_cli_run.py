"""`make run` on a fresh directory: embedded broker, ingest, two terminals, day results,
and the web pages with the demo users printed at start."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from fault_harness import ROOT, free_port

# `timbra run`'s first start (demo world, demo passwords hashed) takes 7 s here and over
# 40 s on a loaded 2-core machine: a wait for it, not a limit on it.
STARTED_WITHIN_S = 180


def _start(folder: Path, web_port: int, *options: str,
           ) -> tuple[subprocess.Popen[str], list[str], list[str], list[threading.Thread]]:
    """`timbra run` in `folder`, its stdout and stderr lines collected as they come."""
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli.main", "run", "--port", str(free_port()),
         "--web-port", str(web_port), *options],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    lines: list[str] = []
    errors: list[str] = []
    readers = [threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True),
               threading.Thread(target=lambda: errors.extend(process.stderr or []), daemon=True)]
    for reader in readers:
        reader.start()
    return process, lines, errors, readers


def test_timbra_run_shows_live_stamps_in_the_day_results(tmp_path: Path) -> None:
    web_port = free_port()
    # A swipe a second: one every half second kept the ingest "busy" (server/days/worker.py
    # waits for a burst to end, up to MAX_LAG_S = 30 s), so the first day results came
    # half a minute after the start instead of a second or two.
    process, lines, errors, readers = _start(tmp_path, web_port, "--swipe-every", "1",
                                             "--report-every", "1")
    deadline = time.monotonic() + STARTED_WITHIN_S
    # The first start hashes the demo passwords; then a report comes every second (10 s
    # unless told).
    while time.monotonic() < deadline and process.poll() is None and not re.search(
            r"UNI1001 Maria Rossi +stamps [1-9]", "".join(lines)):
        time.sleep(0.5)
    # The pages answer while it runs: the login page, and the OpenAPI document.
    with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=10) as page:
        login_page = page.read().decode()
    with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/schema/openapi.json",
                                timeout=10) as schema:
        api_paths = schema.read().decode()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    for reader in readers:
        reader.join(5)
    out, err = "".join(lines), "".join(errors)
    assert process.returncode == 0, err
    assert "timbra è in esecuzione" in out and "terminal: university/ingresso-festa" in out
    stored = [int(n) for n in re.findall(r"ingest: stored (\d+)", out)]
    assert stored and stored[-1] > 0, out
    # Demo people's rows for today, with the stamps the terminals sent.
    assert re.search(r"UNI1001 Maria Rossi +stamps [1-9]", out), out
    assert (tmp_path / "timbra-data" / "timbra.db").exists()
    assert "Traceback" not in err
    # The web address and a demo user per role and institution, with its demo password.
    assert f"web:      http://127.0.0.1:{web_port}/" in out
    assert re.search(r"university +employee +university\.dipendente +demo-university-employee-1",
                     out), out
    assert "DEMO passwords" in out and "Day results are printed below every 1 s." in out
    assert 'name="password"' in login_page and "_csrf_token" in login_page
    assert "/api/v1/timecard/{employee_id}" in api_paths
    # The web secret was made at first start, readable by its owner only.
    secret = tmp_path / "timbra-data" / "web-secret"
    assert secret.stat().st_mode & 0o077 == 0
    assert secret.read_text().strip() not in out + err


def test_timbra_run_no_terminals_serves_the_pages_without_simulated_terminals(
        tmp_path: Path) -> None:
    """`--no-terminals` (documented in `timbra run --help`) crashed at start with
    "zip() argument 2 is longer than argument 1"."""
    web_port = free_port()
    process, lines, errors, readers = _start(tmp_path, web_port, "--no-terminals")
    deadline = time.monotonic() + STARTED_WITHIN_S
    while (time.monotonic() < deadline and process.poll() is None
           and "Ctrl+C to stop" not in "".join(lines)):
        time.sleep(0.2)
    assert process.poll() is None, "".join(errors)
    with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=10) as page:
        login_page = page.read().decode()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    for reader in readers:
        reader.join(5)
    out, err = "".join(lines), "".join(errors)
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    assert "timbra è in esecuzione" in out and "terminal:" not in out
    assert 'name="password"' in login_page and "_csrf_token" in login_page
    assert not (tmp_path / "timbra-data" / "terminals").exists()
