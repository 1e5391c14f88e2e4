"""The terminal's YAML file: a good one loads, a bad one says which key and what is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from terminals.config import ConfigError, load_config

EXAMPLE = Path(__file__).parents[2] / "terminals" / "example.yaml"
TERMINAL = str(Path(sys.executable).parent / "timbra-terminal")

GOOD = """
institution: university
terminal: t-01
outbox: queue/outbox.sqlite
broker: {host: broker.example, port: 8883, username: t-01, password: 1234, tls: true,
         protocol: "3.1.1"}
direction: keys
heartbeat_seconds: 15
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "terminal.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_with_defaults_for_what_it_leaves_out(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert (config.institution, config.terminal, config.direction) == ("university", "t-01",
                                                                      "keys")
    assert config.outbox == tmp_path / "queue" / "outbox.sqlite"  # relative to the file
    assert config.broker.host == "broker.example" and config.broker.port == 8883
    assert config.broker.password == "1234" and config.broker.tls
    assert config.broker.protocol == "3.1.1"
    assert config.heartbeat_seconds == 15 and config.resend_seconds == 60
    assert config.code_timeout_seconds == 10
    assert config.first_seq is None  # a new queue file asks the server where to start


def test_first_seq_is_kept_when_given(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, GOOD + "first_seq: 5001\n")).first_seq == 5001


def test_the_shipped_example_is_valid() -> None:
    config = load_config(EXAMPLE)
    assert config.timezone == "Europe/Rome" and config.now().utcoffset() is not None


@pytest.mark.parametrize(("text", "message"), [
    ("institution: [unclosed", "not valid YAML at line 1"),
    ("- a list", "expected a mapping"),
    (GOOD.replace("terminal: t-01", "terminal: Terminale 1"), "'terminal' 'Terminale 1' must be"),
    (GOOD.replace("terminal: t-01\n", ""), "'terminal' is missing"),
    (GOOD.replace("port: 8883", "port: 99999"), "'broker.port' must be from 1 to 65535"),
    (GOOD.replace("port: 8883", "port: yes"), "'broker.port' must be a whole number"),
    (GOOD.replace("tls: true", "tls: maybe"), "'broker.tls' must be true or false"),
    (GOOD.replace('"3.1.1"', "4"), "'broker.protocol' must be one of auto, 5, 3.1.1"),
    (GOOD.replace("direction: keys", "direction: both"), "'direction' must be one of"),
    (GOOD.replace("heartbeat_seconds", "heartbeat_secnds"), "unknown key 'heartbeat_secnds'"),
    (GOOD.replace("heartbeat_seconds: 15", "heartbeat_seconds: -1"), "positive number"),
    (GOOD + "timezone: Europe/Atlantis\n", "'timezone' 'Europe/Atlantis' is not a known"),
    (GOOD + "broker_host: x\n", "unknown key 'broker_host'"),
    (GOOD.replace("tls: true", "tls: true, hots: x"), "unknown key 'broker.hots'"),
])
def test_a_bad_file_names_the_key_and_the_problem(tmp_path: Path, text: str,
                                                  message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "nowhere.yaml")


def test_the_program_prints_one_clear_line_and_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("port: 8883", "port: eighty"))
    done = subprocess.run([TERMINAL, "--config", str(path)], capture_output=True, text=True,
                          input="", timeout=30)
    assert done.returncode == 2
    assert "'broker.port' must be a whole number" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
