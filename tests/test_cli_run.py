"""`make run` on a fresh directory: embedded broker, ingest, two terminals, day results."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from fault_harness import ROOT, free_port


def test_timbra_run_shows_live_stamps_in_the_day_results(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli.main", "run", "--port", str(free_port()),
         "--swipe-every", "0.5"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    time.sleep(13)  # the report comes every 10 s
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "timbra è in esecuzione" in out and "terminal: university/ingresso-festa" in out
    stored = [int(n) for n in re.findall(r"ingest: stored (\d+)", out)]
    assert stored and stored[-1] > 0, out
    # Demo people's rows for today, with the stamps the terminals sent.
    assert re.search(r"UNI1001 Maria Rossi +stamps [1-9]", out), out
    assert (tmp_path / "timbra-data" / "timbra.db").exists()
    assert "Traceback" not in err
