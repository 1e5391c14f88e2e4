"""The deployment files of docs/deploy/ are checked, not just written.

systemd units: `systemd-analyze verify` accepts every one without a warning, with the
installed `timbra` and `timbra-terminal` where the units expect them (/opt/…/bin); the
command each starts is a real timbra command. The compose file (docker cannot run here):
each timbra command it runs parses with timbra's own parser, each TIMBRA_ variable it sets
is one timbra reads, each service it depends on and each volume it mounts is declared.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
# Where the units expect the programs, and where this run has them (the venv's bin).
PROGRAMS = {"/opt/timbra/bin/timbra": Path(sys.executable).with_name("timbra"),
            "/opt/timbra-terminal/bin/timbra-terminal":
                Path(sys.executable).with_name("timbra-terminal")}
VARIABLE = re.compile(r"\bTIMBRA_[A-Z_]+\b")


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    # Never a skip: `make test` installs Debian's systemd package when it is missing.
    assert found, "systemd-analyze is missing: apt-get install systemd (make test does)"
    return found


def verify(folder: Path, names: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([systemd_analyze(), "verify", *(str(folder / n) for n in names)],
                          capture_output=True, text=True, timeout=120, check=False)


def installed_copy(unit: Path, folder: Path) -> Path:
    text = unit.read_text(encoding="utf-8")
    for expected, here in PROGRAMS.items():
        assert here.exists(), f"{here} is not installed"
        text = text.replace(expected, str(here))
    (folder / unit.name).write_text(text, encoding="utf-8")
    return folder / unit.name


def runs_a_command(args: list[str]) -> argparse.Namespace:
    parsed = build_parser().parse_args(args)  # SystemExit (a failure) if it does not parse
    assert parsed.func.__name__ != "show_help", f"timbra {' '.join(args)} is no command"
    return parsed


def test_the_units_cover_the_box_the_ingest_the_recompute_and_the_web() -> None:
    names = {unit.name for unit in UNITS}
    assert {"timbra-terminal.service", "timbra-ingest.service", "timbra-recompute.service",
            "timbra-web.service"} <= names


def test_systemd_accepts_every_unit_without_a_warning(tmp_path: Path) -> None:
    for unit in UNITS:
        installed_copy(unit, tmp_path)
    checked = verify(tmp_path, [unit.name for unit in UNITS])
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


def test_a_wrong_unit_would_be_reported(tmp_path: Path) -> None:
    unit = installed_copy(DEPLOY / "systemd" / "timbra-web.service", tmp_path)
    unit.write_text(unit.read_text().replace("Type=exec", "Type=sometimes"))
    assert "Failed to parse service type" in verify(tmp_path, [unit.name]).stderr


@pytest.mark.parametrize("unit", [u for u in UNITS if u.suffix == ".service"],
                         ids=lambda unit: unit.name)
def test_each_unit_starts_a_real_command(unit: Path) -> None:
    starts = [line.split("=", 1)[1] for line in unit.read_text().splitlines()
              if line.startswith("ExecStart=")]
    assert len(starts) == 1
    program, *args = shlex.split(starts[0])
    assert program in PROGRAMS
    if program.endswith("/timbra"):
        runs_a_command(args)
    else:
        assert args[:1] == ["--config"]


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def read_by_timbra() -> set[str]:
    """The TIMBRA_ variables timbra's own code names (the tests' own are not counted)."""
    return {name for path in (ROOT / "server").rglob("*.py")
            for name in VARIABLE.findall(path.read_text(encoding="utf-8"))}


def test_the_compose_file_runs_real_commands_with_real_settings() -> None:
    services = compose()["services"]
    assert {"postgres", "mosquitto", "migrate", "web", "ingest", "recompute"} <= set(services)
    commands = {name: s["command"] for name, s in services.items()
                if s.get("command", [""])[0] == "timbra"}
    assert set(commands) >= {"migrate", "web", "ingest", "recompute", "mosquitto-config"}
    for command in commands.values():
        runs_a_command(command[1:])
    named = set(VARIABLE.findall((DEPLOY / "compose.yaml").read_text(encoding="utf-8")))
    assert named and named <= read_by_timbra(), named - read_by_timbra()
    for name, service in services.items():
        needs = service.get("depends_on", {})
        assert set(needs) <= set(services), f"{name} depends on {set(needs) - set(services)}"
        volumes = {v.split(":")[0] for v in service.get("volumes", [])}
        assert volumes <= set(compose()["volumes"]), f"{name} mounts {volumes}"


def test_the_environment_file_and_the_deploy_guide_name_only_real_settings() -> None:
    for document in (DEPLOY / "timbra.env.example", ROOT / "docs" / "deploy.md"):
        named = set(VARIABLE.findall(document.read_text(encoding="utf-8")))
        assert named and named <= read_by_timbra(), (document.name, named - read_by_timbra())


def test_the_image_copies_what_exists() -> None:
    copies = [line.split()[1:-1] for line in (DEPLOY / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY ")]
    missing = [path for paths in copies for path in paths if not (ROOT / path).exists()]
    assert copies and not missing, missing
