"""Blocks about absences and their limits: codes, allowances, and the deadlines by which
something must be declared or recovered."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from dsl import ast
from dsl import vocabulary as vocab
from dsl.errors import M
from dsl.transformer.limits import LimitBlocks
from dsl.transformer.literals import clock_of, minutes_of, unquote


class CodeBlocks(LimitBlocks):
    def code_def(self, tree: Tree[Token]) -> ast.CodeDef:
        code = self.code_ref(tree.children[0])
        fields = self.collect(tree, 1, f"code {code}", self.code_stmt)
        fields.update(fields.pop("approval", {}))  # the approval with its timing and waiver
        fields.update(fields.pop("allowance", {}))  # the allowance and the one after it
        return ast.CodeDef(code, self.pos(tree), self.end_line(tree), **fields)

    def code_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        if kind in {"attachment_required", "notes_required"}:
            return kind, self.at(True, tree)
        if kind == "cap":
            return "caps+", self.cap(tree)
        if kind == "window_cap":
            return "window", self.window_cap(tree)
        if kind == "approval":
            return self.approval(tree)
        if kind == "not_for":
            return self.not_for(tree)
        arg = tree.children[0]
        if kind == "entered":
            assert isinstance(arg, Tree)
            channels = tuple(self.word(t, vocab.ENTRY_CHANNELS, M("channel"))
                             for t in self.names(arg))
            return "entered", self.at(channels, tree)
        assert isinstance(arg, Token)
        if kind == "label":
            return "label", self.at(unquote(arg), tree)
        if kind == "kind":
            return "kind", self.at(self.word(arg, vocab.CODE_KINDS, M("code kind")), tree)
        then = tree.children[1] if len(tree.children) > 1 else None
        return "allowance", {"allowance": self.at(str(arg), tree),
                             "allowance_then": self.at(str(then), then) if then else None}

    def allowance(self, tree: Tree[Token]) -> ast.Allowance:
        name = tree.children[0]
        assert isinstance(name, Token)
        fields = self.collect(tree, 1, f"allowance {name}", self.allowance_stmt)
        return ast.Allowance(str(name), self.pos(tree), self.end_line(tree), **fields)

    def allowance_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        arg = tree.children[0] if tree.children else None
        if kind == "recover_by":
            assert isinstance(arg, Tree)
            return kind, self.when(arg)
        if kind == "label":
            assert isinstance(arg, Token)
            return kind, self.at(unquote(arg), tree)
        if kind == "requires_flag":
            assert isinstance(arg, Token)
            return kind, self.at(str(arg), tree)
        if kind == "amount":
            assert isinstance(arg, Token)
            return kind, self.at(minutes_of(arg), tree)
        return kind, self.at(True, tree)

    def when(self, tree: Tree[Token]) -> ast.When:
        kind = str(tree.data)
        tokens = [c for c in tree.children if isinstance(c, Token)]
        periods = [c for c in tree.children if isinstance(c, Tree)]
        period: ast.PeriodKind | None = None
        months = 0
        if periods:
            period = periods[0].data  # type: ignore[assignment]
            if period == "month_plus":
                months = int(str(periods[0].children[0]))
        number = 0
        anchor: str | None = None
        if kind == "next_day_at":
            number = clock_of(tokens[0])
        elif kind == "within_time":
            number = minutes_of(tokens[0])
        elif tokens:
            number = int(str(tokens[0]))
        if kind in {"within_days", "within_time"} and len(tokens) > 1:
            anchor = self.word(tokens[1], vocab.DEADLINES, M("deadline"))
        if kind == "day_of" and not 1 <= number <= 28:
            self.error(tree, M("a day of the month for a deadline lies between 1 and 28"),
                       M("later days do not exist in every month"))
        when_kind: ast.WhenKind = kind  # type: ignore[assignment]
        return ast.When(when_kind, number, period, months, self.pos(tree), anchor)

    def deadlines(self, tree: Tree[Token]) -> ast.Deadlines:
        items: list[ast.Deadline] = []
        seen: dict[str, int] = {}
        for child in tree.children:
            assert isinstance(child, Tree)
            name_token, when = child.children
            assert isinstance(name_token, Token) and isinstance(when, Tree)
            name = self.word(name_token, vocab.DEADLINES, M("deadline"))
            if name in seen:
                self.error(child, M("deadline '{}' is given twice", name),
                           M("the first is at line {}", seen[name]))
            seen[name] = child.meta.line
            items.append(ast.Deadline(name, self.when(when), self.pos(child)))
        return ast.Deadlines(self.pos(tree), self.end_line(tree), tuple(items))
