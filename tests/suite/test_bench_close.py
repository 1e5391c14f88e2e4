"""bench/close.py runs in the suite (issue 13), outside timing assertions: its quick mode
builds 100 employees (20 with a year of stamps) on SQLite and on the test PostgreSQL,
closes March with one month and then with a year of stamps, times the timecard and
follows a late stamp. What is checked
is what a reader of its output relies on: every figure printed, positive and finite, and
the last line in the form the issue gives. How fast is the bench's business, not this
test's: the machine is shared."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAST = re.compile(r"close_10k_s (\S+) anchor_10k_s (\S+) ratio (\S+) year_vs_month (\S+)")


@pytest.mark.slow
def test_the_close_bench_prints_its_figures_in_quick_mode() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "bench/close.py", "--quick"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    found = LAST.fullmatch(lines[-1])
    assert found, lines[-1]
    close_s, anchor_s, ratio, year_vs_month = (float(x) for x in found.groups())
    for figure in (close_s, anchor_s, ratio, year_vs_month):
        assert math.isfinite(figure) and figure > 0
    assert ratio == pytest.approx(close_s / anchor_s, rel=0.02)
    output = "\n".join(lines)
    for database in ("sqlite", "postgresql"):
        assert re.search(rf"^{database} +100 employees x 1 month: close ", output, re.M)
        assert re.search(rf"^{database} +the same close with a year of stamps", output, re.M)
    for kind in ("page", "api"):
        timed = re.search(rf"postgresql timecard {kind} +over 100 employees: p50 (\d+) ms "
                          r"p95 (\d+) ms p99 (\d+) ms", output)
        assert timed, output
        p50, p95, p99 = (int(x) for x in timed.groups())
        assert 0 < p50 <= p95 <= p99
    late = re.search(r"late stamp -> its day and month current: (\d+) ms", output)
    assert late and int(late.group(1)) > 0
