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


DOCS = Path(__file__).resolve().parents[2] / "docs"
# A hook's name; not a distribution's file name (timbra_terminal-0.1.0-py3-none-any.whl).
HOOK_NAME = re.compile(r"\btimbra_[a-z_]+\b(?![-\w])")


def _hooks() -> set[str]:
    import server.hookspecs as specs

    return {name for name in vars(specs) if name.startswith("timbra_")}


def _texts() -> list[Path]:
    return [*(PLUGINS / i / "README.md" for i in INSTITUTIONS), *sorted(DOCS.glob("*.md"))]


def test_readmes_and_docs_name_only_hooks_that_exist() -> None:
    """Issue 11: the READMEs cited five hooks that did not exist, so those seed rules were
    implemented nowhere while the table looked complete."""
    hooks = _hooks()
    assert "timbra_rule_file" in hooks  # the scan below reads real specifications
    for path in _texts():
        named = set(HOOK_NAME.findall(path.read_text(encoding="utf-8")))
        assert named <= hooks, f"{path.name} names hooks that do not exist: {named - hooks}"


def _language_words() -> set[str]:
    from dsl import vocabulary

    grammar = (PLUGINS.parent / "dsl" / "grammar.lark").read_text(encoding="utf-8")
    words = set(re.findall(r'"([a-z_]+)"', grammar))
    for value in vars(vocabulary).values():
        if isinstance(value, frozenset | tuple) and all(isinstance(x, str) for x in value):
            words |= set(value)
    return words


@pytest.mark.parametrize("institution", INSTITUTIONS)
def test_statements_a_coverage_table_quotes_are_in_the_language(institution: str) -> None:
    """A table that says `approval director except coadiutore` or `from 6h` quotes a statement:
    each of its words is a word of the language or a name the institution's rules define."""
    folder = PLUGINS / institution
    rules = next(folder.glob("*.rules")).read_text(encoding="utf-8")
    names = set(re.findall(r"\b(?:profile|allowance|fee)\s+([a-z_0-9]+)", rules))
    known = _language_words() | names
    _, _, coverage = (folder / "README.md").read_text(encoding="utf-8").partition("## Coverage")
    quoted = [s for s in re.findall(r"`([^`]+)`", coverage) if re.match(r"[a-z_]+ ", s)]
    if institution != "chamber":  # the chamber's table quotes no statement
        assert quoted, "the table quotes no statement: nothing to hold it to"
    for snippet in quoted:
        unknown = set(re.findall(r'(?<![\w".…])[a-z_]+(?![\w"])', snippet)) - known
        assert not unknown, f"{institution}: `{snippet}` is not the language's: {unknown}"


def test_a_made_up_statement_is_caught() -> None:
    known = _language_words()
    assert "inclusive" not in known and {"from", "after", "skipped_with"} <= known
