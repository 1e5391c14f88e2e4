"""Docs describe only what exists; a test fails when a doc names a rule line that is not there.

A citation `university.rules:603` in a README, in docs/ or in a rule file's comment names one
line of a plugin's rule file. Lines move whenever a merge inserts a `source`, a block or a code
above them, and a citation left behind then points at a blank line, a comment or another
statement. The checks are deliberately simple:

- the line exists and is a statement: not past the file's end, not blank, not a comment;
- `example at F:N` (and `examples at F:N, F:M and F:K`) names lines starting with `example`;
- `code X (F:N)` / `code "X" (F:N)`, and a code table row starting with `` `X` `` whose
  first citation cell is `F:N`, name the line `code "X" {`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "node_modules", "build", "dist"}
CITE = r"([a-z_]+\.rules):(\d+)"
CITATION = re.compile(CITE)
EXAMPLES = re.compile(rf"\bexamples? at ({CITE}(?:(?:,| and|, and) {CITE})*)")
CODE = re.compile(rf"\bcode \"?([A-Z0-9]+)\"? \({CITE}")
CODE_ROW = re.compile(rf"^\| `([A-Z0-9]+)`(?:, `[A-Z0-9]+`)* \|.*?\| {CITE} \|", re.M)


def rule_files() -> dict[str, list[str]]:
    return {path.name: path.read_text(encoding="utf-8").splitlines()
            for path in sorted((ROOT / "plugins").glob("*/*.rules"))}


def prose(path: Path) -> str:
    """What a reader reads in the file: a document whole, a rule file's comments joined
    line to line (a list of examples may run on to the next comment line)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".rules":
        return text
    comments = [line.split("#", 1)[1].strip() for line in text.splitlines()
                if line.lstrip().startswith("#")]
    return " ".join(comments)


def misplaced(text: str, rules: dict[str, list[str]]) -> list[str]:
    """Every citation in `text` of a file in `rules` whose line is not what it is cited as."""

    def line(name: str, number: str) -> str | None:
        lines = rules[name]
        return lines[int(number) - 1].strip() if 0 < int(number) <= len(lines) else None

    found = []
    for match in CITATION.finditer(text):
        if match[1] not in rules:
            continue
        target = line(match[1], match[2])
        if target is None:
            found.append(f"{match[0]} is past the end of the file ({len(rules[match[1]])} lines)")
        elif not target or target.startswith("#"):
            found.append(f"{match[0]} is a blank or comment line: {target!r}")
    for match in EXAMPLES.finditer(text):
        for cited in CITATION.finditer(match[1]):
            target = line(cited[1], cited[2]) if cited[1] in rules else "example"
            if target is not None and not target.startswith("example"):
                found.append(f"example at {cited[0]} is not an example: {target!r}")
    for match in [*CODE.finditer(text), *CODE_ROW.finditer(text)]:
        code, name, number = match.groups()
        target = line(name, number) if name in rules else f'code "{code}" {{'
        if target is not None and target != f'code "{code}" {{':
            found.append(f"code {code} at {name}:{number} is not its `code \"{code}\" {{` line: "
                         f"{target!r}")
    return found


def documents() -> list[Path]:
    found = [path for path in ROOT.rglob("*.md")
             if not SKIP_DIRS & set(path.relative_to(ROOT).parts)]
    return sorted([*found, *(ROOT / "plugins").glob("*/*.rules")])


@pytest.mark.parametrize("path", documents(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_each_rule_line_a_document_cites_is_the_statement_it_means(path: Path) -> None:
    assert misplaced(prose(path), rule_files()) == []


def test_the_plugins_docs_and_rule_files_cite_rule_lines() -> None:
    cited = {path.relative_to(ROOT).as_posix() for path in documents()
             if any(m[1] in rule_files() for m in CITATION.finditer(prose(path)))}
    assert {"docs/rule-language.md", "plugins/chamber/README.md",
            "plugins/university/university.rules", "plugins/academy/academy.rules"} <= cited


def test_a_citation_left_behind_by_moved_lines_is_found() -> None:
    rules = {"t.rules": ["institution t {", "", "    # a comment", "    code \"FER\" {",
                         "        kind whole_day", "    }", "    example \"a day\" {"]}
    assert misplaced("see t.rules:1, t.rules:4 and t.rules:7; example at t.rules:7", rules) == []
    assert misplaced("| `FER` | ferie | art. 38 | t.rules:4 | whole day |", rules) == []
    found = misplaced("t.rules:2, t.rules:3, t.rules:8; examples at t.rules:7 and t.rules:5; "
                      'code "FER" (t.rules:5); other.rules:99', rules)
    assert found == ["t.rules:2 is a blank or comment line: ''",
                     "t.rules:3 is a blank or comment line: '# a comment'",
                     "t.rules:8 is past the end of the file (7 lines)",
                     "example at t.rules:5 is not an example: 'kind whole_day'",
                     "code FER at t.rules:5 is not its `code \"FER\" {` line: 'kind whole_day'"]
    assert misplaced("| `FER` | ferie | art. 38 | t.rules:1 | whole day |", rules) == [
        "code FER at t.rules:1 is not its `code \"FER\" {` line: 'institution t {'"]


def test_a_rule_files_comments_are_read_across_lines(tmp_path: Path) -> None:
    rules = {"t.rules": ['example "a" {', "}", "kind x"]}
    path = tmp_path / "t.rules"
    path.write_text("    # examples at t.rules:1 and\n    # t.rules:3\n    kind x  # t.rules:2\n",
                    encoding="utf-8")
    assert misplaced(prose(path), rules) == ["example at t.rules:3 is not an example: 'kind x'"]
