"""bench/openings.py runs in the suite, outside timing assertions: its quick mode imports
a file of 200 lines on SQLite and on the test PostgreSQL (on a database of its own),
against the same file read, checked and bulk inserted, and asserts itself that both wrote
the same rows. What is checked is what a reader of its output relies on: a line of
figures per database, positive and finite, and the last line in the form the bench's
docstring gives. How fast is the bench's business, not this test's: the machine is shared."""

from __future__ import annotations

import re

import pytest
from bench_runs import quick_run

LAST = re.compile(r"import_ms_per_line (\S+) anchor_ms_per_line (\S+) ratio (\S+)")


@pytest.mark.slow
def test_the_openings_bench_prints_its_figures_in_quick_mode() -> None:
    output, (per_line, anchor, ratio) = quick_run("openings.py", LAST, 600)
    assert ratio == pytest.approx(per_line / anchor, rel=0.02)
    for database in ("sqlite", "postgresql"):
        assert re.search(rf"^{database} +200 lines: import +[\d.]+ s \([\d.]+ ms/line\), "
                         r"anchor +[\d.]+ s \([\d.]+ ms/line\), ratio [\d.]+", output,
                         re.M), output
