"""`timbra day|month --rules FILE`: an institution tries its own file before installing it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli.main import main

TIMBRA = str(Path(sys.executable).parent / "timbra")

OWN = """\
institution ospedale {
    name "Azienda sanitaria di prova"
    timezone "Europe/Rome"
    holidays IT "MI"
}

rules from 2026-01-01 "Regolamento orario" {
    profile full_time {
        weekly 36h
        days mon..fri
        due 7h12m
        entry 07:00..09:00
    }
    profile short {
        weekly 30h
        days lun..ven
        due 6h
    }
}
"""


@pytest.fixture
def own(tmp_path: Path) -> Path:
    path = tmp_path / "ospedale.rules"
    path.write_text(OWN, encoding="utf-8")
    return path


def test_day_with_a_file_that_is_not_installed(
    own: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["day", "--rules", str(own), "--profile", "short", "--date", "2026-03-02",
                 "--stamps", "in 08:00, out 14:30", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["worked"], result["due"], result["balance"]) == (390, 360, 30)
    # Every figure is explained with the line of this very file.
    assert any(e["source"].endswith(f"{own.name}:17") for e in result["explain"])


@pytest.mark.parametrize(("day", "due"), [("2026-03-06", 360), ("2026-03-07", 0)])
def test_italian_days_choose_the_working_days(
    own: Path, day: str, due: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """`days lun..ven`: Friday 6 March 2026 is due, Saturday 7 March is not."""
    assert main(["day", "--rules", str(own), "--profile", "short", "--date", day,
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["due"] == due


def test_month_with_a_file_that_is_not_installed(
    own: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "march.csv"
    csv.write_text("date,time,direction,code\n2026-03-02,08:00,in,\n2026-03-02,15:12,out,\n",
                   encoding="utf-8")
    assert main(["month", "--rules", str(own), "--month", "2026-03", "--through", "2026-03-02",
                 "--stamps-file", str(csv), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["worked"], result["due"]) == (432, 432)


def test_a_broken_file_is_checked_first_and_every_error_is_told(
    own: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own.write_text(OWN.replace("due 7h12m", "due 7h12").replace("due 6h", "dew 6h"),
                   encoding="utf-8")
    assert main(["day", "--rules", str(own), "--date", "2026-03-02",
                 "--stamps", "in 08:00, out 14:30"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    first = lines.index(f"{own}:11:15: unexpected word '12'")
    assert lines[first + 1] == "            due 7h12"
    assert lines[first + 2] == "    " + " " * 14 + "^"
    assert f"{own}:17:9: unexpected word 'dew'" in lines
    assert "Traceback" not in captured.err


def test_a_file_the_checker_refuses_is_not_evaluated(
    own: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own.write_text(OWN.replace("weekly 30h", "weekly 31h"), encoding="utf-8")
    assert main(["month", "--rules", str(own), "--month", "2026-03",
                 "--stamps-file", str(own)]) == 2
    err = capsys.readouterr().err
    assert f"{own}:15:9: weekly 31h does not match due × days" in err


def test_institution_and_rules_exclude_each_other(
    own: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["day", "--institution", "school", "--rules", str(own), "--date", "2026-03-02"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_missing_file_is_a_clear_error(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["day", "--rules", str(tmp_path / "none.rules"), "--date", "2026-03-02"]) == 2
    assert "cannot read rule file" in capsys.readouterr().err


def test_the_console_script_takes_rules(own: Path) -> None:
    result = subprocess.run(
        [TIMBRA, "day", "--rules", str(own), "--date", "2026-03-02",
         "--stamps", "in 07:30, out 14:42"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "balance         0m" in result.stdout
