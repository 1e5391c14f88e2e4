"""The `account` block: the hours account carried month to month (`dsl/ast/account.py`)."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from dsl import ast
from dsl.errors import M
from dsl.transformer.codes import CodeBlocks
from dsl.transformer.literals import minutes_of, unquote

# What a debt not recovered may draw on: the leave kinds counted in days.
ACCOUNT_LEAVE = frozenset({"ferie", "festivita_soppresse", "permessi_retribuiti"})


class AccountBlock(CodeBlocks):
    def account(self, tree: Tree[Token]) -> ast.Account:
        fields = self.collect(tree, 0, "account", self.account_stmt)
        return ast.Account(self.pos(tree), self.end_line(tree), **fields)

    def account_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        tokens = [c for c in tree.children if isinstance(c, Token)]
        subtrees = [c for c in tree.children if isinstance(c, Tree)]
        if kind == "label":
            return kind, self.at(unquote(tokens[0]), tree)
        if kind == "compensate":
            return kind, self.at(True, tree)
        if kind == "carry_monthly":
            cap = minutes_of(tokens[0]) if tokens else None
            return kind, ast.CarryMonthly(cap, self.pos(tree))
        if kind == "recover_by":
            when = self.when(subtrees[0])
            if when.anchor is not None:
                self.error(tree, M("an account's recover_by is counted from the month of the debt"),
                           M("remove 'after {}'", when.anchor))
            return kind, when
        if kind == "not_recovered":
            return kind, self.settle(subtrees[0])
        return "year_end+", self.year_end(tree, subtrees)

    def settle(self, tree: Tree[Token]) -> ast.Settle:
        if tree.data == "settle_leave":
            name = tree.children[0]
            assert isinstance(name, Token)
            leave = self.word(name, ACCOUNT_LEAVE, M("leave"))
            return ast.Settle("leave", leave, self.pos(tree))
        kind: ast.SettleKind = "deduct" if tree.data == "settle_deduct" else "anomaly"
        return ast.Settle(kind, None, self.pos(tree))

    def year_end(self, tree: Tree[Token], subtrees: list[Tree[Token]]) -> ast.YearEnd:
        keep_tree = subtrees[0]
        profiles = tuple(str(t) for t in self.names(subtrees[1])) if len(subtrees) > 1 else ()
        if keep_tree.data == "keep_max":
            amount = keep_tree.children[0]
            assert isinstance(amount, Token)
            return ast.YearEnd("max", minutes_of(amount), profiles, self.pos(tree))
        keep: ast.KeepKind = "all" if keep_tree.data == "keep_all" else "none"
        return ast.YearEnd(keep, 0, profiles, self.pos(tree))
