"""A bench script run as the suite runs it: its quick mode, in a process of its own, and
the figures of its last line, each checked finite and positive (how fast is the bench's
business, not the suite's: the machine is shared)."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_run(script: str, last: re.Pattern[str], timeout: float,
              ) -> tuple[str, tuple[float, ...]]:
    """`bench/<script> --quick`'s whole output, and the figures its last line holds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, f"bench/{script}", "--quick"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    found = last.fullmatch(lines[-1])
    assert found, lines[-1]
    figures = tuple(float(x) for x in found.groups())
    for figure in figures:
        assert math.isfinite(figure) and figure > 0, lines[-1]
    return "\n".join(lines), figures
