"""The one error type of the rule language.

Whatever goes wrong in a rule file (a character the lexer cannot read, a
statement in the wrong place, an unknown code) reaches the user as a
`Diagnostic`: `file:line:col: message`, the source line, a caret under the
column, and a hint where one helps. Raw Lark exceptions never leave `dsl/`.

A message or hint is written `M("unknown code '{}'", code)`: it reads as the English
sentence (the command line prints it as it is), and keeps its template and arguments so
a reader in another language can have the template translated and filled again. The
template is the message id the catalogues extract (babel keyword `M`, `dsl/**.py`);
`dsl` itself knows nothing of catalogues.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class M(str):
    """An English message that remembers its template (`str.format` style) and arguments."""

    template: str
    args: tuple[Any, ...]

    def __new__(cls, template: str, *args: Any) -> M:
        made = super().__new__(cls, template.format(*args) if args else template)
        made.template = template
        made.args = args
        return made


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    column: int
    message: str
    source_line: str = ""
    hint: str | None = None

    def render(self) -> str:
        head = f"{self.file}:{self.line}:{self.column}: {self.message}"
        parts = [head]
        if self.source_line:
            parts.append("    " + self.source_line.rstrip("\n").expandtabs(4))
            parts.append("    " + " " * max(self.column - 1, 0) + "^")
        if self.hint:
            parts.append(f"    hint: {self.hint}")
        return "\n".join(parts)


class RuleError(Exception):
    """One or more problems in a rule file, each with its place."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


def source_line(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return M("did you mean '{}'?", close[0]) if close else None


def one_of(word: str, choices: Iterable[str]) -> str:
    ordered = sorted(choices)
    return did_you_mean(word, ordered) or M("expected one of: {}", ", ".join(ordered))
