"""The example blocks a rule file carries for `timbra rules test`, and the stamp list the
command line takes (`in 08:03, out 12:00 code 35`)."""

from __future__ import annotations

from typing import Any, Literal

from lark import Token, Tree

from dsl import ast
from dsl import vocabulary as vocab
from dsl.errors import M
from dsl.transformer.literals import clock_of, minutes_of, unquote
from dsl.transformer.schedule import ScheduleBlocks

MINUTES_PER_DAY = 24 * 60


class ExampleBlock(ScheduleBlocks):
    def example(self, tree: Tree[Token]) -> ast.Example:
        title = tree.children[0]
        assert isinstance(title, Token)
        fields = self.collect(tree, 1, "example", self.example_stmt)
        return ast.Example(unquote(title), self.pos(tree), self.end_line(tree), **fields)

    def example_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        arg = tree.children[0]
        if kind == "ex_stamps":
            assert isinstance(arg, Tree)
            return "stamps", self.stamp_list(arg)
        if kind == "ex_request":
            return "requests+", self.request(tree)
        if kind == "ex_expect":
            found = tuple(self.expectation(c) for c in tree.children if isinstance(c, Tree))
            return "expectations", found
        if kind == "ex_chosen":
            assert isinstance(arg, Tree)
            return "chosen", self.at(self.day_set(arg), tree)
        assert isinstance(arg, Token)
        if kind == "ex_shift":
            return "shift", self.at(str(arg), tree)
        if kind == "ex_profile":
            return "profile", self.at(str(arg), tree)
        return "date", self.at(self.date(arg), tree)

    def stamp_list(self, tree: Tree[Token]) -> tuple[ast.StampLit, ...]:
        return tuple(self.stamp(c) for c in tree.children if isinstance(c, Tree))

    def stamp(self, tree: Tree[Token]) -> ast.StampLit:
        direction: Literal["in", "out"] | None = None
        minute = 0
        code: str | None = None
        for child in tree.children:
            if isinstance(child, Tree):
                code = self.code_ref(child)
            elif child.type == "DIRECTION":
                direction = "in" if str(child) == "in" else "out"
            elif child.type == "NEXT_DAY":
                minute += MINUTES_PER_DAY
            else:
                minute += clock_of(child)
        return ast.StampLit(direction, minute, code, self.pos(tree))

    def request(self, tree: Tree[Token]) -> ast.RequestLit:
        code = self.code_ref(tree.children[0])
        span = tree.children[1]
        assert isinstance(span, Tree)
        if span.data == "day_span":
            return ast.RequestLit(code, None, None, self.pos(tree))
        start, end = (clock_of(t) for t in span.children if isinstance(t, Token))
        if end <= start:
            self.error(span, M("a request ends after it starts"))
        return ast.RequestLit(code, start, end, self.pos(tree))

    def expectation(self, tree: Tree[Token]) -> ast.Expectation:
        kind = str(tree.data)
        pos = self.pos(tree)
        tokens = [c for c in tree.children if isinstance(c, Token)]
        if kind == "expect_no_anomalies":
            return ast.Expectation("no_anomalies", "", pos=pos)
        if kind == "expect_anomaly":
            name = self.word(tokens[0], vocab.ANOMALIES, M("anomaly"))
            return ast.Expectation("anomaly", name, pos=pos)
        if kind == "expect_code":
            code = self.code_ref(tree.children[0])
            return ast.Expectation("code", code, minutes=minutes_of(tokens[-1]), pos=pos)
        if kind == "expect_bool":
            name = self.word(tokens[0], vocab.BOOL_FIGURES, M("yes/no figure"))
            return ast.Expectation("bool", name, flag=str(tokens[1]) == "yes", pos=pos)
        name = self.word(tokens[0], vocab.MINUTE_FIGURES, M("figure"))
        sign = -1 if any(t.type == "SIGN" for t in tokens) else 1
        return ast.Expectation("minutes", name, minutes=sign * minutes_of(tokens[-1]), pos=pos)
