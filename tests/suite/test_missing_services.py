"""A run without PostgreSQL or Mosquitto stops before any test, with one line naming what is
missing and the command that starts it, and a failing status (never a skip)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fault_harness import free_port
from services import START_MOSQUITTO, START_POSTGRES

ROOT = Path(__file__).resolve().parents[2]
SOME_TEST = "tests/dsl/test_dsl_parser.py"


def run_pytest(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", SOME_TEST, "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
        check=False)


@pytest.mark.parametrize(("variable", "value", "named", "start", "other"), [
    ("TIMBRA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:{port}/test", "PostgreSQL",
     START_POSTGRES, "Mosquitto"),
    ("TIMBRA_TEST_MQTT", "127.0.0.1:{port}", "Mosquitto", START_MOSQUITTO, "PostgreSQL"),
])
def test_a_missing_service_is_named_with_the_command_that_starts_it(
        variable: str, value: str, named: str, start: str, other: str) -> None:
    port = free_port()  # nothing listens there
    run = run_pytest(**{variable: value.format(port=port)})
    output = run.stdout + run.stderr
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert run.returncode not in (0, 5), output
    assert len(errors) == 1, output
    assert named in errors[0] and f":{port}" in errors[0] and start in errors[0]
    assert other not in errors[0]
    assert "passed" not in output and "skipped" not in output


def test_with_both_services_up_the_same_run_passes() -> None:
    run = run_pytest()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "passed" in run.stdout
