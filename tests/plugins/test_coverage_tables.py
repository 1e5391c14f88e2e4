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
    """The rows of the tables under the "Coverage" heading: the one generated from the rule
    file's sources and the one of what lies outside the rule file."""
    text = readme.read_text(encoding="utf-8")
    _, found, after = text.partition("## Coverage")
    assert found, f"{readme} has no Coverage section"
    rows: list[list[str]] = []
    for line in after.splitlines():
        if line.startswith("## "):
            break
        if line.startswith("|") and not set(line) <= set("|-: "):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if cells[0] != "seed sentence":  # a header
                rows.append(cells)
    return rows


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


HOOK = re.compile(r"\btimbra_[a-z_]+\b")
SPAN = re.compile(r"`([^`]+)`")
# Where a statement quoted alone in a README may stand: the blocks of a rules section.
WRAPPERS = (
    "rules from 2026-01-01 {{ {} }}",
    "rules from 2026-01-01 {{ profile p {{ {} }} }}",
    "rules from 2026-01-01 {{ pause {{ {} }} }}",
    'rules from 2026-01-01 {{ code "x" {{ {} }} }}',
    "rules from 2026-01-01 {{ stamping {{ {} }} }}",
    "rules from 2026-01-01 {{ allowance a {{ {} }} }}",
    "rules from 2026-01-01 {{ shift s {{ {} }} }}",
    "rules from 2026-01-01 {{ deadlines {{ {} }} }}",
    "rules from 2026-01-01 {{ account {{ {} }} }}",
    'example "e" {{ {} }}',
)


def hooks_there_are() -> set[str]:
    from server.plugins import get_plugin_manager

    return {name for name in dir(get_plugin_manager().hook) if name.startswith("timbra_")}


def keywords() -> set[str]:
    grammar = (Path(__file__).resolve().parents[2] / "dsl" / "grammar.lark").read_text()
    return set(re.findall(r'"([a-z_]+)"', grammar))


def is_statement(span: str) -> bool:
    from dsl.errors import RuleError
    from dsl.parser import parse

    for wrapper in WRAPPERS:
        try:
            parse(wrapper.format(span))
        except RuleError:
            continue
        return True
    return False


def unknown_hooks(text: str, known: set[str]) -> set[str]:
    """Hooks a text names that do not exist, but for cells that say they do "not yet"."""
    return {hook for line in text.splitlines() for cell in line.split("|")
            if not cell.strip().startswith("not yet") for hook in HOOK.findall(cell)} - known


@pytest.mark.parametrize("institution", INSTITUTIONS)
def test_readmes_name_only_hooks_there_are(institution: str) -> None:
    text = (PLUGINS / institution / "README.md").read_text(encoding="utf-8")
    missing = unknown_hooks(text, hooks_there_are())
    assert not missing, f"{institution}/README.md names hooks there are not: {missing}"


def test_a_readme_naming_a_hook_that_is_not_there_is_caught() -> None:
    known = hooks_there_are()
    assert "timbra_rule_file" in known
    assert unknown_hooks("| 003:l.1 «…» | hook timbra_made_up | |", known) == {"timbra_made_up"}
    assert unknown_hooks("| 003:l.1 «…» | not yet: hook timbra_made_up | |", known) == set()
    assert unknown_hooks("| 003:l.1 «…» | hook timbra_rule_file | |", known) == set()


@pytest.mark.parametrize("institution", INSTITUTIONS)
def test_coverage_tables_name_only_constructs_there_are(institution: str) -> None:
    """A statement a coverage row quotes is one the language reads, or is in the rule file."""
    rules = (PLUGINS / institution / f"{institution}.rules").read_text(encoding="utf-8")
    words = keywords()
    for row in table_rows(PLUGINS / institution / "README.md"):
        for cell in row[1:]:
            if cell.startswith("not yet"):
                continue
            for span in SPAN.findall(cell):
                if len(span.split()) < 2 or span.split()[0] not in words:
                    continue  # a name, a figure or a word, not a statement
                assert is_statement(span) or span in rules, (
                    f"{institution}/README.md quotes `{span}`, which the language does not read")


def test_a_readme_quoting_a_construct_that_is_not_there_is_caught() -> None:
    assert is_statement("days choose 3 of mon..fri")
    assert not is_statement("approval director except profile coadiutore")
    assert not is_statement("due mon 9h, tue 6h")


DOCS = Path(__file__).resolve().parents[2] / "docs"
# A hook's name; not a distribution's file name (timbra_terminal-0.1.0-py3-none-any.whl).
HOOK_NAME = re.compile(r"\btimbra_[a-z_]+\b(?![-\w])")


def _hooks() -> set[str]:
    import server.hookspecs as specs

    return {name for name in vars(specs) if name.startswith("timbra_")}


def _texts() -> list[Path]:
    # The hooks' own page, and the READMEs (other pages name cookies like `timbra_sso`).
    return [*(PLUGINS / i / "README.md" for i in INSTITUTIONS), DOCS / "plugins.md"]


def test_readmes_and_docs_name_only_hooks_that_exist() -> None:
    """Issue 11: the READMEs cited five hooks that did not exist, so those seed rules were
    implemented nowhere while the table looked complete."""
    hooks = _hooks()
    assert "timbra_rule_file" in hooks  # the scan below reads real specifications
    for path in _texts():
        named = set(HOOK_NAME.findall(path.read_text(encoding="utf-8")))
        assert named <= hooks, f"{path.name} names hooks that do not exist: {named - hooks}"
