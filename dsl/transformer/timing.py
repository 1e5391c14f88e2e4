"""Blocks about how stamps and time are counted: stamping, pause, meal voucher, half day,
tolerance."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from dsl import ast
from dsl import vocabulary as vocab
from dsl.errors import M
from dsl.transformer.literals import clock_of, minutes_of, unquote
from dsl.transformer.walker import Walker


class TimingBlocks(Walker):
    def stamping(self, tree: Tree[Token]) -> ast.Stamping:
        fields = self.collect(tree, 0, "stamping", self.stamping_stmt)
        return ast.Stamping(self.pos(tree), self.end_line(tree), **fields)

    def stamping_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        arg = tree.children[0]
        if tree.data == "sources":
            assert isinstance(arg, Tree)
            names = tuple(self.word(t, vocab.SOURCES, M("stamp source")) for t in self.names(arg))
            return "sources", self.at(names, tree)
        assert isinstance(arg, Token)
        if tree.data == "direction":
            return "direction", self.at(self.word(arg, vocab.DIRECTIONS, M("direction")), tree)
        if tree.data == "missed_stamp_approval":
            approver = self.word(arg, vocab.APPROVERS, M("approver"))
            return "missed_stamp_approval", self.at(approver, tree)
        return str(tree.data), self.at(minutes_of(arg), tree)

    def pause(self, tree: Tree[Token]) -> ast.Pause:
        fields = self.collect(tree, 0, "pause", self.pause_stmt)
        # `after` and `from` are one threshold, said exclusive or inclusive: given twice.
        inclusive = any(isinstance(c, Tree) and c.data == "pause_from" for c in tree.children)
        return ast.Pause(self.pos(tree), self.end_line(tree), after_inclusive=inclusive, **fields)

    def pause_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        tokens = [c for c in tree.children if isinstance(c, Token)]
        if kind == "band":
            clocks = [clock_of(t) for t in tokens if t.type == "CLOCK"]
            labels = [unquote(t) for t in tokens if t.type == "STRING"]
            # Without a last exit, a pause may start anywhere in the band (seed: none given).
            last = clocks[2] if len(clocks) > 2 else clocks[1]
            return "bands+", ast.Band(clocks[0], clocks[1], last, labels[0] if labels else None,
                                      self.pos(tree), len(clocks) > 2)
        if kind in {"outside_band_code", "skipped_with"}:
            return kind, self.at(self.code_ref(tree.children[0]), tree)
        if kind == "inside_service":
            return kind, self.at(True, tree)
        if kind == "pause_from":  # `from 6h` is `after 6h` reached, not exceeded
            return "after", self.at(minutes_of(tokens[0]), tree)
        names = {"pause_after": "after", "pause_min": "min", "pause_max": "max"}
        return names.get(kind, kind), self.at(minutes_of(tokens[0]), tree)

    def meal_voucher(self, tree: Tree[Token]) -> ast.MealVoucher:
        fields = self.collect(tree, 0, "meal_voucher", self.flag_or_minutes)
        return ast.MealVoucher(self.pos(tree), self.end_line(tree), **fields)

    def flag_or_minutes(self, tree: Tree[Token]) -> tuple[str, Any]:
        tokens = [c for c in tree.children if isinstance(c, Token)]
        if not tokens:
            return str(tree.data), self.at(True, tree)
        return str(tree.data), self.at(minutes_of(tokens[0]), tree)

    def half_day(self, tree: Tree[Token]) -> ast.HalfDay:
        fields = self.collect(tree, 0, "half_day", self.flag_or_minutes)
        return ast.HalfDay(self.pos(tree), self.end_line(tree), **fields)

    def tolerance(self, tree: Tree[Token]) -> ast.Tolerance:
        tokens = [c for c in tree.children if isinstance(c, Token)]
        limit = int(str(tokens[1])) if len(tokens) > 1 else None
        return ast.Tolerance(minutes_of(tokens[0]), limit, self.pos(tree))
