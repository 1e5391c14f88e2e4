"""What the language server answers, without the protocol: the word under the cursor,
where a code, allowance or profile is defined, and the text a hover shows.

Lines and columns here are 1-based like every `Diagnostic`; `dsl.lsp.server` turns them
into the protocol's 0-based positions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from dsl import ast
from dsl.near_miss import open_block
from dsl.sources import innermost

Kind = Literal["code", "allowance", "profile"]
# Where the user manual lives in a checkout (an editable install); a wheel has no docs/.
MANUAL = Path(__file__).resolve().parents[2] / "docs" / "rule-language.md"
_WORD = re.compile(r'"(?:[^"\\\n]|\\.)*"|[A-Za-z0-9_]+')
# The word before a name says what the name refers to.
_REFERS = {"code": "code", "request": "code", "allowance": "allowance", "profile": "profile"}


@dataclass(frozen=True)
class Span:
    line: int
    column: int
    end_column: int


@dataclass(frozen=True)
class Word:
    text: str  # unquoted
    span: Span
    before: str  # the word before it on its line, "" if none


def word_at(text: str, line: int, column: int) -> Word | None:
    """The word (or quoted text) at a 1-based place, with the word before it."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    source = lines[line - 1]
    comment = _comment_start(source)
    previous = ""
    for found in _WORD.finditer(source[:comment]):
        if found.start() <= column - 1 <= found.end():  # the cursor may sit just after it
            raw = found.group()
            span = Span(line, found.start() + 1, found.end() + 1)
            return Word(raw.strip('"'), span, previous)
        previous = found.group()
    return None


def reference(word: Word) -> tuple[Kind, str] | None:
    """What a word names, judged by the word before it: `code 29`, `allowance personal`…"""
    kind = _REFERS.get(word.before)
    if kind is None:
        return None
    return kind, word.text  # type: ignore[return-value]


def definitions(rule_file: ast.RuleFile, kind: Kind, name: str) -> list[Span]:
    """Where `kind name` is defined: in every rules section that defines it, in file order."""
    found: list[Span] = []
    for section in rule_file.sections:
        for statement in section.statements:
            defined = _defines(statement)
            if defined == (kind, name):
                found.append(_name_span(rule_file.source, statement.pos, name))
    return found


def _defines(statement: ast.Statement) -> tuple[Kind, str] | None:
    if isinstance(statement, ast.CodeDef):
        return "code", statement.code
    if isinstance(statement, ast.Allowance):
        return "allowance", statement.name
    if isinstance(statement, ast.Profile):
        return "profile", statement.name
    return None


def _name_span(text: str, pos: ast.Pos, name: str) -> Span:
    lines = text.splitlines()
    source = lines[pos.line - 1] if 0 < pos.line <= len(lines) else ""
    found = re.compile(rf'"{re.escape(name)}"|\b{re.escape(name)}\b').search(
        source, pos.column - 1 + 1)
    if found is None:
        return Span(pos.line, pos.column, pos.column + 1)
    return Span(pos.line, found.start() + 1, found.end() + 1)


# ---- hover ----------------------------------------------------------------------------


def hover(rule_file: ast.RuleFile | None, text: str, line: int, column: int) -> str | None:
    """Markdown for the place: the statement's documentation, what a name refers to, and
    the comment block (the quoted regulation) right above the rule."""
    word = word_at(text, line, column)
    if word is None:
        return None
    parts: list[str] = []
    target = reference(word)
    if target is not None and rule_file is not None:
        parts += _target_summary(rule_file, *target)
    if not parts:
        where = _offset(text, line, column)
        block = open_block(text, where)[0]
        doc = statement_doc(word.text, block)
        if doc:
            parts.append(doc)
    if rule_file is not None:
        parts += [source_markdown(s) for s in innermost(rule_file.sources, line)]
    quoted = comment_above(text, line)
    if quoted:
        parts.append("\n".join(f"> {c}" if c else ">" for c in quoted))
    return "\n\n".join(parts) or None


def source_markdown(source: ast.Source) -> str:
    """`source "art. 5 c. 2" "…"` as a hover shows it: the place, then the sentence."""
    said = f"**{source.ref}**"
    return said if source.quote is None else f"{said}: «{source.quote}»"


def _target_summary(rule_file: ast.RuleFile, kind: Kind, name: str) -> list[str]:
    parts: list[str] = []
    for section in rule_file.sections:
        for statement in section.statements:
            if _defines(statement) != (kind, name):
                continue
            label = getattr(statement, "label", None)
            said = f' — {label.value}' if isinstance(label, ast.At) else ""
            kind_at = getattr(statement, "kind", None) if kind == "code" else None
            extra = f" ({kind_at.value})" if isinstance(kind_at, ast.At) else ""
            pos: ast.Pos = statement.pos
            parts.append(f"**{kind} {name}**{said}{extra}, rules from "
                         f"{section.effective.isoformat()} (line {pos.line})")
            quoted = comment_above(rule_file.source, pos.line)
            if quoted:
                parts.append("\n".join(f"> {c}" if c else ">" for c in quoted))
    return parts


def comment_above(text: str, line: int) -> list[str]:
    """The full-line comments right above `line`, or above the head of its block when the
    line itself has none: where a rule file quotes its regulation."""
    lines = text.splitlines()
    found = _comments_ending_at(lines, line - 1)
    if found:
        return found
    _, head_line, _ = open_block(text, _offset(text, line, 1))
    if head_line and head_line != line:
        return _comments_ending_at(lines, head_line - 1)
    return []


def _comments_ending_at(lines: list[str], last: int) -> list[str]:
    found: list[str] = []
    number = last
    while 0 < number <= len(lines) and lines[number - 1].lstrip().startswith("#"):
        found.insert(0, lines[number - 1].lstrip()[1:].strip())
        number -= 1
    return found


def _offset(text: str, line: int, column: int) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(x) for x in lines[: line - 1]) + column - 1


def _comment_start(line: str) -> int:
    in_string = False
    for i, ch in enumerate(line):
        if ch == '"' and (i == 0 or line[i - 1] != "\\"):
            in_string = not in_string
        elif ch == "#" and not in_string:
            return i
    return len(line)


# ---- the manual -----------------------------------------------------------------------


def statement_doc(keyword: str, block: str) -> str | None:
    """What docs/rule-language.md says of a statement, preferring the table of its block."""
    tables = manual_tables()
    rows = tables.get(block, {}).get(keyword)
    if rows is None and keyword in tables:  # a block's head: what may go inside it
        return f"**{keyword} {{ … }}**: " + ", ".join(f"`{k}`" for k in tables[keyword])
    if rows is None:
        rows = next((t[keyword] for t in tables.values() if keyword in t), None)
    return "\n\n".join(rows) if rows else None


@cache
def manual_tables(path: Path = MANUAL) -> dict[str, dict[str, list[str]]]:
    """The statement tables of the manual: heading -> first word -> rows (`form`: text)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    tables: dict[str, dict[str, list[str]]] = {}
    heading = ""
    for raw in text.splitlines():
        if raw.startswith("### "):
            heading = raw[4:].strip()
            continue
        row = re.match(r"\|\s*`([^`]+)`[^|]*(?:\\\|[^|]*)*\|\s*(.+?)\s*\|\s*$", raw)
        if row and heading:
            form, said = row.group(1), row.group(2)
            first = form.split()[0]
            tables.setdefault(heading, {}).setdefault(first, []).append(
                f"`{form}`: {said}")
    return tables
