"""Issue 11: "rules carry their source (`source "art. 5 c. 2"`), and the coverage table is
generated from the rule file". Each plugin README's table is the one `timbra rules coverage`
prints from the rule file's sources; editing either alone fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl.coverage import BEGIN, END, coverage_table
from dsl.parser import parse, parse_file
from server.cli.main import main

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
INSTITUTIONS = ("chamber", "university", "school", "academy")


def readme_table(institution: str) -> str:
    text = (PLUGINS / institution / "README.md").read_text(encoding="utf-8")
    begin = BEGIN.format(path=f"plugins/{institution}/{institution}.rules")
    assert begin in text, f"{institution}/README.md has no generated table"
    return text.split(begin, 1)[1].split(END, 1)[0].lstrip("\n")


@pytest.mark.parametrize("institution", INSTITUTIONS)
def test_the_readme_table_is_the_one_generated_from_the_rule_file(institution: str) -> None:
    rule_file = parse_file(PLUGINS / institution / f"{institution}.rules")
    assert len(rule_file.sources) >= 9
    assert readme_table(institution) == coverage_table(rule_file), (
        f"plugins/{institution}/README.md: run `timbra rules coverage "
        f"plugins/{institution}/{institution}.rules` and paste its table")


def test_the_command_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "coverage", str(PLUGINS / "school" / "school.rules")]) == 0
    printed = capsys.readouterr().out
    assert printed == readme_table("school")
    # Seed 003: «Se l'orario continuativo sia superiore a 7 ore e 12 minuti, ... la pausa di
    # 30 minuti è irrinunciabile» is the pause's `mandatory_over`.
    row = next(r for r in printed.splitlines() if r.startswith("| 003:l.46 "))
    number = int(row.split("school.rules:")[1].split(" ")[0])
    lines = (PLUGINS / "school" / "school.rules").read_text(encoding="utf-8").splitlines()
    assert lines[number - 1].strip() == "mandatory_over 7h12m"
    assert row.endswith("| `mandatory_over 7h12m` |")


def test_a_rule_file_edited_without_its_table_no_longer_matches() -> None:
    path = PLUGINS / "school" / "school.rules"
    text = path.read_text(encoding="utf-8")
    moved = parse(text.replace("    pause {\n", "    # a new comment\n    pause {\n", 1), str(path))
    assert coverage_table(moved) != readme_table("school")


def test_rows_follow_the_regulation_and_quote_it() -> None:
    rule_file = parse('institution x {\n}\nrules from 2024-01-01 {\n'
                      '    source "art. 10" "dieci"\n    tolerance 5m\n'
                      '    source "art. 2 c. 1" "a | b"\n    flag missed_stamps over 3 per month\n'
                      '}\n', "x.rules")
    assert coverage_table(rule_file).splitlines()[2:] == [
        "| art. 2 c. 1 «a \\| b» | x.rules:7 | `flag missed_stamps over 3 per month` |",
        "| art. 10 «dieci» | x.rules:5 | `tolerance 5m` |",
    ]


def test_a_file_without_sources_is_told(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    bare = tmp_path / "bare.rules"
    bare.write_text("institution x {\n}\nrules from 2024-01-01 {\n    tolerance 5m\n}\n")
    assert main(["rules", "coverage", str(bare)]) == 1
    assert "has no source" in capsys.readouterr().err
