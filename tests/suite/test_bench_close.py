"""bench/close.py runs in the suite (issue 13), outside timing assertions: its quick mode
builds 100 employees (20 with a year of stamps) on SQLite and on the test PostgreSQL,
closes March with one month and then with a year of stamps, times the timecard and
follows a late stamp. What is checked
is what a reader of its output relies on: every figure printed, positive and finite, and
the last line in the form the issue gives. How fast is the bench's business, not this
test's: the machine is shared."""

from __future__ import annotations

import re

import pytest
from bench_runs import quick_run

LAST = re.compile(r"close_10k_s (\S+) anchor_10k_s (\S+) ratio (\S+) year_vs_month (\S+)")


@pytest.mark.slow
def test_the_close_bench_prints_its_figures_in_quick_mode() -> None:
    output, (close_s, anchor_s, ratio, _) = quick_run("close.py", LAST, 1200)
    assert ratio == pytest.approx(close_s / anchor_s, rel=0.02)
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
