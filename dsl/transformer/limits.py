"""Limits and approvals: `max … per …` on a code or on all overtime, a code forbidden to
profiles, when an approval is asked (`prior`, `within`) and for whom it is waived (`except`),
and the `overtime` block."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from dsl import ast
from dsl import vocabulary as vocab
from dsl.errors import M
from dsl.transformer.literals import minutes_of, unquote
from dsl.transformer.walker import Walker


class LimitBlocks(Walker):
    def cap(self, tree: Tree[Token]) -> ast.Cap:
        amount, period = (c for c in tree.children if isinstance(c, Token))
        word = self.word(period, vocab.CAP_PERIODS, M("limit period"))
        minutes = minutes_of(amount)
        if minutes <= 0:
            self.error(amount, M("a limit allows more than 0 minutes"),
                       M("remove it, or use not_for"))
        return ast.Cap(minutes, word, self.pos(tree))  # type: ignore[arg-type]

    def window_cap(self, tree: Tree[Token]) -> ast.WindowCap:
        percent, weeks, anchor = (c for c in tree.children if isinstance(c, Token))
        share = int(str(percent).rstrip("%"))
        if not 0 < share <= 100:
            self.error(percent, M("a share of the due is from 1% to 100%, not {}", percent),
                       M("write it like max 10% of due per 4 weeks from 2026-01-05"))
        if not 0 < int(weeks) <= 52:
            self.error(weeks, M("a window is 1 to 52 weeks, not {}", weeks))
        return ast.WindowCap(share, int(weeks), self.date(anchor), self.pos(tree))

    def approval(self, tree: Tree[Token]) -> tuple[str, Any]:
        """`approval WHO [prior D] [within D] [except p, …]` as the code's fields."""
        who = tree.children[0]
        assert isinstance(who, Token)
        fields: dict[str, Any] = {
            "approval": self.at(self.word(who, vocab.APPROVERS, M("approver")), tree)}
        for option in tree.children[1:]:
            assert isinstance(option, Tree)
            key = str(option.data)
            if key in fields:
                self.error(option, M("'{}' is given twice in the approval",
                                     key.removeprefix('approval_')), M("keep one"))
            arg = option.children[0] if option.children else None
            if key == "approval_except":
                assert isinstance(arg, Tree)
                fields[key] = self.at(tuple(str(t) for t in self.names(arg)), option)
            else:
                fields[key] = self.at(minutes_of(arg) if isinstance(arg, Token) else 0, option)
        return "approval", fields

    def not_for(self, tree: Tree[Token]) -> tuple[str, Any]:
        listed = tree.children[0]
        assert isinstance(listed, Tree)
        return "not_for", self.at(tuple(str(t) for t in self.names(listed)), tree)

    def overtime(self, tree: Tree[Token]) -> ast.Overtime:
        fields = self.collect(tree, 0, "overtime", self.overtime_stmt)
        return ast.Overtime(self.pos(tree), self.end_line(tree), **fields)

    def overtime_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        if tree.data == "cap":
            return "caps+", self.cap(tree)
        if tree.data == "unit_budget":
            tokens = [c for c in tree.children if isinstance(c, Token)]
            unit = unquote(tokens[0]) if tokens[0].type == "STRING" else None
            minutes = minutes_of(tokens[-1])
            if minutes <= 0:
                self.error(tokens[-1], M("a budget allows more than 0 minutes"))
            return "unit_budgets+", ast.UnitBudget(unit, minutes, self.pos(tree))
        return "unauthorised", self.at(True, tree)
