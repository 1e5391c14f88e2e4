"""Each plugin README maps the seed's rule sentences to rule-file lines; those lines exist.

A table row cites `<id>.rules:LINE`; the line must hold a statement (not blank,
not a comment, not a lone brace), so the table cannot silently drift when a
rule file is edited.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
CITATION = re.compile(r"\b([a-z_]+\.rules):(\d+)\b")
INSTITUTIONS = ("chamber", "university", "school", "academy")


def table_rows(readme: Path) -> list[list[str]]:
    """The rows of the first table under the "Coverage" heading."""
    text = readme.read_text(encoding="utf-8")
    _, found, after = text.partition("## Coverage")
    assert found, f"{readme} has no Coverage section"
    rows: list[list[str]] = []
    for line in after.splitlines():
        if line.startswith("|"):
            if not set(line) <= set("|-: "):
                rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[1:]  # the header


@pytest.mark.parametrize("institution", INSTITUTIONS)
def test_coverage_table_cites_real_statements(institution: str) -> None:
    readme = PLUGINS / institution / "README.md"
    rows = table_rows(readme)
    assert len(rows) >= 10, f"{readme} has no real coverage table"
    for row in rows:
        assert len(row) >= 3, f"{readme}: row without three columns: {row}"
        assert row[1], f"{readme}: sentence without an implementation or reason: {row[0]}"
        for file_name, number in CITATION.findall(row[1]):
            lines = (PLUGINS / institution / file_name).read_text(encoding="utf-8").splitlines()
            assert 0 < int(number) <= len(lines), f"{readme}: {file_name}:{number} past the end"
            text = lines[int(number) - 1].strip()
            assert text and not text.startswith("#") and text != "}", (
                f"{readme}: {file_name}:{number} is not a statement: {text!r}")


@pytest.mark.parametrize("institution", INSTITUTIONS)
def test_rows_without_a_rule_line_say_why(institution: str) -> None:
    for row in table_rows(PLUGINS / institution / "README.md"):
        if row[1] in {"", "—", "-"}:
            assert row[2], f"{institution}: '{row[0][:60]}…' is not implemented and says not why"
