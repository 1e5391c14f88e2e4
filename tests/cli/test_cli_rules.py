"""`timbra rules check` and `timbra rules fmt`, in-process and as the installed script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import server.plugins
from server.cli.main import main
from server.institutions import InstitutionSpec

DATA = Path(__file__).parents[1] / "data"
VALID = (DATA / "valid.rules").read_text(encoding="utf-8")
BAD = VALID.replace("weekly 36h", "weekly 35h")
SYNTAX_ERROR = VALID.replace("due 7h12m", "due 7h12")
MESSY = 'institution demo { name "Demo" timezone "Europe/Rome" holidays IT "MI" }\n'


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name, text in [("valid", VALID), ("bad", BAD), ("syntax", SYNTAX_ERROR),
                       ("messy", MESSY)]:
        paths[name] = tmp_path / f"{name}.rules"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def timbra_script() -> str:
    beside = Path(sys.executable).parent / "timbra"
    found = str(beside) if beside.exists() else shutil.which("timbra")
    assert found, "the timbra console script is not installed"
    return found


# ---- check -------------------------------------------------------------------------------


def test_check_valid_file(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(files["valid"])]) == 0
    assert capsys.readouterr().err == "1 file(s) checked, 0 error(s)\n"


def test_check_reports_diagnostics(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check", str(files["valid"]), str(files["bad"])]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{files['bad']}:9:9: weekly 35h does not match due × days"
    assert err[1] == "            weekly 35h"
    assert err[2] == "            ^"
    assert err[3] == "    hint: due 7h12m × 5 days = 36h"
    assert err[-1] == "2 file(s) checked, 1 error(s)"


def test_check_reports_syntax_errors_without_traceback(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check", str(files["syntax"]), str(files["bad"])]) == 1
    err = capsys.readouterr().err
    assert f"{files['syntax']}:11:15: unexpected word '12'" in err
    assert "Traceback" not in err
    # The checker reads on past the syntax error: `due 7h` (the `12` skipped) × 5 ≠ 36h.
    assert f"{files['syntax']}:9:9: weekly 36h does not match due × days" in err
    assert err.endswith("2 file(s) checked, 3 error(s)\n")


def test_check_without_files_checks_installed_institutions(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = {name: InstitutionSpec(name, name.title(), files[name], "test", "0")
             for name in ("valid", "bad")}
    monkeypatch.setattr(server.plugins, "institutions", lambda: specs)
    assert main(["rules", "check"]) == 1
    err = capsys.readouterr().err
    assert f"{files['bad']}:9:9:" in err
    assert err.endswith("2 file(s) checked, 1 error(s)\n")


# ---- fmt ---------------------------------------------------------------------------------


def test_fmt_prints_canonical_form(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "fmt", str(files["messy"])]) == 0
    assert capsys.readouterr().out == (
        'institution demo {\n    name "Demo"\n    timezone "Europe/Rome"\n'
        '    holidays IT "MI"\n}\n'
    )


def test_fmt_check(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "fmt", "--check", str(files["valid"])]) == 0
    assert main(["rules", "fmt", "--check", str(files["valid"]), str(files["messy"])]) == 1
    captured = capsys.readouterr()
    assert f"{files['messy']}: not in canonical form" in captured.err
    assert "+    timezone \"Europe/Rome\"" in captured.out
    assert files["messy"].read_text(encoding="utf-8") == MESSY


def test_fmt_write(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "fmt", "--write", str(files["messy"])]) == 0
    assert files["messy"].read_text(encoding="utf-8").startswith("institution demo {\n")
    assert main(["rules", "fmt", "--check", str(files["messy"])]) == 0


def test_fmt_of_a_broken_file_shows_diagnostics(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "fmt", str(files["syntax"])]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{files['syntax']}:11:15:" in captured.err
    assert "hint: durations are written like" in captured.err


def test_fmt_prints_only_one_file(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "fmt", str(files["valid"]), str(files["messy"])]) == 2


def test_missing_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["rules"]) == 2
    assert "rules" in capsys.readouterr().err


# ---- the installed script ------------------------------------------------------------------


def test_installed_script(files: dict[str, Path]) -> None:
    result = subprocess.run(
        [timbra_script(), "rules", "check", str(files["bad"]), str(files["syntax"])],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert f"{files['bad']}:9:9: weekly 35h does not match due × days" in lines
    caret = lines.index(f"{files['syntax']}:11:15: unexpected word '12'") + 2
    assert lines[caret] == "    " + " " * 14 + "^"
    assert "Traceback" not in result.stderr
    assert lines[-1] == "2 file(s) checked, 3 error(s)"
    ok = subprocess.run([timbra_script(), "rules", "check", str(files["valid"])],
                        capture_output=True, text=True, check=False, timeout=60)
    assert ok.returncode == 0, ok.stderr
