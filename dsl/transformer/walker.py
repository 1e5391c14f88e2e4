"""What every block's builder shares: positions, diagnostics, closed word lists, and the
pieces several blocks are made of (name lists, code references, dates)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, TypeVar

from lark import Token, Tree

from dsl import ast
from dsl.errors import Diagnostic, M, one_of, source_line
from dsl.transformer.literals import unquote

Node = Tree[Token] | Token
T = TypeVar("T")


class Walker:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self.diagnostics: list[Diagnostic] = []

    def pos(self, node: Node) -> ast.Pos:
        if isinstance(node, Token):
            return ast.Pos(self.file, node.line or 1, node.column or 1)
        return ast.Pos(self.file, node.meta.line, node.meta.column)

    def end_line(self, node: Tree[Token]) -> int:
        return node.meta.end_line

    def error(self, node: Node, message: str, hint: str | None = None) -> None:
        p = self.pos(node)
        self.diagnostics.append(
            Diagnostic(self.file, p.line, p.column, message, source_line(self.text, p.line), hint)
        )

    def word(self, token: Token, allowed: Iterable[str], what: str) -> str:
        value = str(token)
        choices = frozenset(allowed)
        if value not in choices:
            self.error(token, M("unknown {} '{}'", what, value), one_of(value, choices))
        return value

    def at(self, value: T, node: Node) -> ast.At[T]:
        return ast.At(value, self.pos(node))

    def collect(
        self, tree: Tree[Token], skip: int, block: str, convert: Callable[[Tree[Token]], Any]
    ) -> dict[str, Any]:
        """Turn a block's statements into keyword arguments, refusing repeats."""
        fields: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for child in tree.children[skip:]:
            if not isinstance(child, Tree):
                continue
            key, value = convert(child)
            if key.endswith("+"):  # repeatable statement, gathered in a tuple
                key = key[:-1]
                fields[key] = (*fields.get(key, ()), value)
                continue
            if key in fields:
                self.error(
                    child,
                    M("'{}' is given twice in {}", child.data, block),
                    M("the first is at line {}; keep one", lines[key]),
                )
            fields[key] = value
            lines[key] = child.meta.line
        return fields

    def names(self, tree: Tree[Token]) -> list[Token]:
        return [c for c in tree.children if isinstance(c, Token)]

    def code_ref(self, tree: Node) -> str:
        token = tree.children[0] if isinstance(tree, Tree) else tree
        assert isinstance(token, Token)
        return unquote(token) if token.type == "STRING" else str(token)

    def date(self, token: Token) -> date:
        try:
            return date.fromisoformat(str(token))
        except ValueError:
            self.error(token, M("'{}' is not a calendar date", token))
            return date(1970, 1, 1)
