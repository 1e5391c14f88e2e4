"""`timbra day`, `timbra month` and `timbra demo`: the interface other programs rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli.main import main

TIMBRA = str(Path(sys.executable).parent / "timbra")
DAY = ["day", "--institution", "university", "--profile", "full_time", "--date", "2026-03-02"]


def test_day_json_through_the_console_script() -> None:
    out = subprocess.run(
        [TIMBRA, *DAY, "--stamps", "in 08:03, out 12:00, in 12:45, out 15:00 code 35", "--json"],
        capture_output=True, text=True, check=True,
    ).stdout
    result = json.loads(out)
    assert {"worked", "due", "balance", "pause_deducted", "meal_voucher", "by_code",
            "anomalies", "explain"} <= result.keys()
    # 08:05-12:00 + 12:45-15:00 = 6h10, plus code 35 credited to the last scheduled stamp 16:00
    assert result["worked"] == 6 * 60 + 10 + 60
    assert result["by_code"] == {"35": 60}
    assert all(set(e) >= {"rule", "source"} and ".rules:" in e["source"]
               for e in result["explain"])


def test_day_table_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*DAY, "--stamps", "in 09:00, out 12:00, in 12:45, out 16:30"]) == 0
    out = capsys.readouterr().out
    assert "worked          6h45m" in out and "balance         -30m" in out


@pytest.mark.parametrize(("stamps", "message"), [
    ("in 8:00", "unexpected"),
    ("in 08:00, sideways 12:00", "unexpected"),
])
def test_bad_stamps_are_a_clear_error(stamps: str, message: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*DAY, "--stamps", stamps]) == 2
    err = capsys.readouterr().err
    assert "--stamps:1:" in err and message in err and "Traceback" not in err


def test_unknown_institution(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["day", "--institution", "nowhere", "--date", "2026-03-02"]) == 2
    assert "unknown institution 'nowhere'" in capsys.readouterr().err


def test_month_from_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "march.csv"
    csv.write_text("date,time,direction,code\n"
                   "2026-03-02,07:30,in,\n2026-03-02,15:12,out,\n"  # school: 7h42 continuous
                   "2026-03-03,07:30,in,\n2026-03-03,13:00,out,\n"
                   "2026-03-03,13:30,in,\n2026-03-03,15:12,out,\n", encoding="utf-8")
    assert main(["month", "--institution", "school", "--month", "2026-03",
                 "--stamps-file", str(csv), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    days = {d["date"]: d for d in result["days"]}
    assert days["2026-03-02"]["pause_deducted"] == 30
    assert days["2026-03-03"]["worked"] == 7 * 60 + 12
    assert result["due"] == 22 * (7 * 60 + 12)  # 22 working days in March 2026 in Palermo
    assert any(a["code"] == "absent" for a in result["anomalies"])


def test_demo_prints_a_timecard_per_institution(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for name in ("chamber", "university", "school", "academy"):
        assert f"({name})" in out
    assert out.count("total") == 4


MONTH = ["month", "--institution", "school", "--month", "2026-03"]


def write_csv(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "stamps.csv"
    path.write_text("date,time,direction,code\n" + rows, encoding="utf-8")
    return path


def test_month_evaluates_up_to_through_and_no_later(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """As the pages count a month: days after `--through` (by default yesterday) owe
    nothing yet and are no absences; the month's whole due is apart."""
    csv = tmp_path / "march.csv"
    csv.write_text("date,time,direction,code\n2026-03-02,07:30,in,\n2026-03-02,14:42,out,\n",
                   encoding="utf-8")
    assert main(["month", "--institution", "school", "--month", "2026-03", "--through",
                 "2026-03-04", "--stamps-file", str(csv), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [d["date"] for d in result["days"]] == ["2026-03-01", "2026-03-02", "2026-03-03",
                                                    "2026-03-04"]
    assert result["due"] == 3 * (7 * 60 + 12)
    assert result["due_in_month"] == 22 * (7 * 60 + 12)
    assert {a["date"] for a in result["anomalies"]} == {"2026-03-03", "2026-03-04"}


@pytest.mark.parametrize("time", ["25:99", "12:60", "24:01", "7", "07:3", "ab:cd"])
def test_month_refuses_a_time_that_is_no_time_of_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], time: str,
) -> None:
    csv = write_csv(tmp_path, f"2026-03-02,07:30,in,\n2026-03-02,{time},out,\n")
    assert main([*MONTH, "--stamps-file", str(csv)]) == 2
    captured = capsys.readouterr()
    assert f"{csv}:3: bad row" in captured.err and "not a time of day" in captured.err
    assert captured.out == "" and "Traceback" not in captured.err


def test_month_refuses_rows_of_another_month_naming_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    csv = write_csv(tmp_path, "2026-03-02,07:30,in,\n2026-03-02,14:42,out,\n"
                              "2026-04-01,07:30,in,\n2026-03-03,07:30,in,\n"
                              "2026-02-28,14:42,out,\n")
    assert main([*MONTH, "--stamps-file", str(csv)]) == 2
    captured = capsys.readouterr()
    assert "2 row(s) not in 2026-03, on line(s) 4, 6" in captured.err
    assert captured.out == ""


def test_month_refuses_a_request_of_another_month(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    csv = write_csv(tmp_path, "2026-03-02,07:30,in,\n")
    assert main([*MONTH, "--stamps-file", str(csv), "--request", "2026-04-01 FER day"]) == 2
    assert "2026-04-01 is not in 2026-03" in capsys.readouterr().err


@pytest.mark.parametrize("month", ["2026-13", "2026-3-1", "march"])
def test_month_refuses_a_month_that_is_not_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], month: str,
) -> None:
    csv = write_csv(tmp_path, "")
    assert main(["month", "--institution", "school", "--month", month,
                 "--stamps-file", str(csv)]) == 2
    assert "is not a month (use YYYY-MM)" in capsys.readouterr().err


def test_month_json_into_a_reader_that_stops_early_exits_quietly(tmp_path: Path) -> None:
    """`timbra month --json | head`: the reader is gone before the month is printed."""
    csv = write_csv(tmp_path, "2026-03-02,07:30,in,\n2026-03-02,14:42,out,\n")
    proc = subprocess.Popen([TIMBRA, *MONTH, "--stamps-file", str(csv), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the program writes a byte: its first write breaks the pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert err == ""


def test_the_help_of_each_command_names_its_own_request_form(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 16: `timbra month --help` said `--request CODE SPAN`; a month's request is dated."""
    for command, form in (("month", "--request 'DATE CODE SPAN'"),
                          ("day", "--request 'CODE SPAN'")):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert form in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("request_text", ["661MO 10:00..11:20", "2026-03-02 661MO",
                                          "2026-03-02 661MO 10:00..11:20..12:00",
                                          "2026-03-02 661MO 25:00..26:00"])
def test_a_month_request_without_its_date_or_span_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], request_text: str,
) -> None:
    """Issue 16: `"661MO 10:00..11:20"` ended in a traceback; now exit 2 and one line."""
    csv = write_csv(tmp_path, "2026-03-02,07:30,in,\n2026-03-02,14:00,out,\n")
    assert main([*MONTH, "--stamps-file", str(csv), "--request", request_text]) == 2
    err = capsys.readouterr().err
    assert err.startswith("timbra month: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_an_undefined_code_on_a_re_entry_after_a_coded_exit_is_an_anomaly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 16: an undefined code on the entry after a coded exit (35, Commissioni) was
    dropped with no `unknown_code`; on a day and in a month alike it is named."""
    assert main([*DAY, "--stamps", "in 08:00, out 10:00 code 35, in 11:00 code 999ZZ, "
                 "out 16:00", "--json"]) == 0
    day = json.loads(capsys.readouterr().out)
    assert [a["code"] for a in day["anomalies"]] == ["unknown_code"]
    assert "999ZZ" in day["anomalies"][0]["message"]
    csv = write_csv(tmp_path, "2026-03-02,08:00,in,\n2026-03-02,10:00,out,35\n"
                              "2026-03-02,11:00,in,999ZZ\n2026-03-02,16:00,out,\n")
    assert main(["month", "--institution", "university", "--month", "2026-03",
                 "--stamps-file", str(csv), "--through", "2026-03-02", "--json"]) == 0
    month = json.loads(capsys.readouterr().out)
    (first,) = [d for d in month["days"] if d["date"] == "2026-03-02"]
    assert [a["code"] for a in first["anomalies"]] == ["unknown_code"]
