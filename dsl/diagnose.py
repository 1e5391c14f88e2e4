"""Everything wrong with a rule file in one run: syntax errors (read past, see
`dsl.recovery`), the transformer's closed word lists and the checker's findings on what
could be read. The command line, `--rules` and the language server all ask here, so an
editor shows what `timbra rules check` prints.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dsl.checker import check
from dsl.errors import Diagnostic, M
from dsl.parser import parse_partial

# What a caret points at: a quoted text, or a run of characters up to a space or brace.
_EXTENT = re.compile(r'"(?:[^"\\]|\\.)*"?|[^\s{},]+')


def diagnose(text: str, file: str = "<rules>") -> list[Diagnostic]:
    """Every problem of a rule file's text, by line and column; empty when it is sound."""
    rule_file, problems = parse_partial(text, file)
    if rule_file is not None:
        problems = [*problems, *check(rule_file)]
    unique = dict.fromkeys(problems)  # the checker may see again what the parser said
    return sorted(unique, key=lambda d: (d.line, d.column))


def diagnose_file(path: str | Path) -> list[Diagnostic]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Diagnostic(str(p), 1, 1, M("cannot read rule file: {}", exc))]
    return diagnose(text, str(p))


def end_column(diagnostic: Diagnostic) -> int:
    """The column just after the word the diagnostic points at (its line's end at most)."""
    line = diagnostic.source_line
    start = diagnostic.column - 1
    found = _EXTENT.match(line, start) if 0 <= start < len(line) else None
    if found is None:
        return diagnostic.column + 1 if start < len(line) else diagnostic.column
    return found.end() + 1


def as_json(diagnostic: Diagnostic) -> dict[str, Any]:
    """One diagnostic as `timbra rules check --format json` prints it."""
    return {
        "file": diagnostic.file,
        "line": diagnostic.line,
        "col": diagnostic.column,
        "end": {"line": diagnostic.line, "col": end_column(diagnostic)},
        "severity": "error",
        "message": diagnostic.message,
        "hint": diagnostic.hint,
    }
