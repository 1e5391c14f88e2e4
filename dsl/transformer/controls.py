"""What the office checks and charges: flags over a monthly count, fees, the password
policy."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from dsl import ast
from dsl import vocabulary as vocab
from dsl.errors import M
from dsl.transformer.literals import unquote
from dsl.transformer.walker import Walker


class ControlBlocks(Walker):
    def flag(self, tree: Tree[Token]) -> ast.Flag:
        tokens = [c for c in tree.children if isinstance(c, Token)]
        metric = self.word(tokens[0], vocab.FLAG_METRICS, M("flag metric"))
        message = unquote(tokens[2]) if len(tokens) > 2 else None
        return ast.Flag(metric, int(str(tokens[1])), message, self.pos(tree))

    def fee(self, tree: Tree[Token]) -> ast.Fee:
        tokens = [c for c in tree.children if isinstance(c, Token)]
        cents = [int(str(t).replace(".", "")) for t in tokens[1:]]
        then = cents[1] if len(cents) > 1 else None
        return ast.Fee(str(tokens[0]), cents[0], then, self.pos(tree))

    def password(self, tree: Tree[Token]) -> ast.PasswordPolicy:
        fields = self.collect(tree, 0, "password", self.password_stmt)
        return ast.PasswordPolicy(self.pos(tree), self.end_line(tree), **fields)

    def password_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        tokens = [c for c in tree.children if isinstance(c, Token)]
        if kind == "require":
            word = self.word(tokens[0], vocab.PASSWORD_REQUIREMENTS, M("password requirement"))
            return "require+", self.at(word, tree)
        if kind == "min_length":
            return kind, self.at(int(str(tokens[0])), tree)
        return kind, self.at(True, tree)
