"""The `leave` block: yearly days by week and seniority, monthly caps, proration, accrual,
carry-over and the codes that draw on it."""

from __future__ import annotations

import calendar
from typing import Any

from lark import Token, Tree

from dsl import ast
from dsl import vocabulary as vocab
from dsl.errors import M
from dsl.transformer.literals import unquote
from dsl.transformer.walker import Walker

# A day of leave is at most a year's days: more is a typo, not an entitlement.
MAX_LEAVE_DAYS = 366


class LeaveBlock(Walker):
    def leave(self, tree: Tree[Token]) -> ast.Leave:
        name = tree.children[0]
        assert isinstance(name, Token)
        fields = self.collect(tree, 1, f"leave {name}", self.leave_stmt)
        return ast.Leave(str(name), self.pos(tree), self.end_line(tree), **fields)

    def leave_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        tokens = [c for c in tree.children if isinstance(c, Token)]
        if kind == "label":
            return "label", self.at(unquote(tokens[0]), tree)
        if kind == "entitlement":
            return "entitlements+", self.entitlement(tree, tokens[0])
        if kind == "leave_cap":
            days = self.leave_days(tokens[0])
            period = self.word(tokens[1], vocab.LEAVE_CAP_PERIODS, M("leave period"))
            return "caps+", ast.LeaveCap(days, period, self.pos(tree))
        if kind == "leave_prorate":
            listed = tree.children[0]
            assert isinstance(listed, Tree)
            words = tuple(self.word(t, vocab.LEAVE_PRORATE, M("proration"))
                          for t in self.names(listed))
            return "prorate", self.at(words, tree)
        if kind == "leave_accrue":
            return "accrue", self.at(self.word(tokens[0], vocab.LEAVE_ACCRUALS, M("accrual")),
                                     tree)
        if kind == "leave_carry":
            return "carry", self.carry(tree, tokens[0], tokens[1])
        if kind == "leave_half_days":
            return "half_days", self.at(True, tree)
        codes = tuple(self.code_ref(c) for c in tree.children)
        return "drawn_by", self.at(codes, tree)

    def entitlement(self, tree: Tree[Token], amount: Token) -> ast.Entitlement:
        week: int | None = None
        first: int | None = None
        for condition in tree.children[1:]:
            assert isinstance(condition, Tree)
            number = condition.children[0]
            assert isinstance(number, Token)
            if condition.data == "leave_week":
                if week is not None:
                    self.error(condition, M("'week' is given twice in the entitlement"),
                               M("keep one"))
                week = int(str(number))
                if not 1 <= week <= 7:
                    self.error(number, M("a week has 1 to 7 working days, not {}", week),
                               M("write week 5 or week 6"))
            else:
                if first is not None:
                    self.error(condition, M("'first' is given twice in the entitlement"),
                               M("keep one"))
                first = int(str(number))
                if not 1 <= first <= 50:
                    self.error(number, M("'first {} years' is no seniority step", first),
                               M("the national contract's step is: first 3 years"))
        return ast.Entitlement(self.leave_days(amount), self.pos(tree), week, first)

    def leave_days(self, token: Token) -> int:
        days = int(str(token))
        if not 0 < days <= MAX_LEAVE_DAYS:
            self.error(token, M("{} days is no amount of leave", days),
                       M("give 1 to {} days", MAX_LEAVE_DAYS))
        return days

    def carry(self, tree: Tree[Token], day_token: Token, month_token: Token) -> ast.LeaveCarry:
        month = vocab.month_number(self.word(month_token, vocab.MONTH_NAMES, M("month"))) or 1
        day = int(str(day_token))
        # A carry lasts to a day of any next year: 29 February is not one.
        last = calendar.monthrange(2027, month)[1]
        if not 1 <= day <= last:
            self.error(day_token, M("{} has no day {}", vocab.MONTHS[month - 1], day),
                       M("give a day from 1 to {}", last))
            day = 1
        return ast.LeaveCarry(day, month, self.pos(tree))
