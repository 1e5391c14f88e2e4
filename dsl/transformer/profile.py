"""The profile block: an employee's schedule, days, working time, hours bank and its own
pause block."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from dsl import ast
from dsl import vocabulary as vocab
from dsl.transformer.literals import clock_of, minutes_of, unquote
from dsl.transformer.timing import TimingBlocks


# On top of the timing blocks because a profile may hold a pause block of its own.
class ProfileBlock(TimingBlocks):
    def profile(self, tree: Tree[Token]) -> ast.Profile:
        name = tree.children[0]
        assert isinstance(name, Token)
        fields = self.collect(tree, 1, f"profile {name}", self.profile_stmt)
        if "entry" in fields:
            fields["entry_from"], fields["entry_until"] = fields.pop("entry")
        return ast.Profile(str(name), self.pos(tree), self.end_line(tree), **fields)

    def profile_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        kids = tree.children
        first = kids[0] if kids else None
        if kind == "pause":
            return "pause", self.pause(tree)
        if kind == "no_pause":
            return "no_pause", self.at(True, tree)
        if kind == "days":
            assert isinstance(first, Tree)
            return "days", self.at(self.day_set(first), tree)
        if kind == "working_time":
            return "working_time", self.working_time(tree)
        if kind == "profile_flags":
            assert isinstance(first, Tree)
            return "flags", self.at(tuple(str(t) for t in self.names(first)), tree)
        if kind == "monte_ore":
            return "monte_ore", self.monte_ore(tree)
        assert isinstance(first, Token)
        if kind == "label":
            return "label", self.at(unquote(first), tree)
        if kind == "category":
            return "category", self.at(self.word(first, vocab.CATEGORIES, "category"), tree)
        if kind == "entry_window":
            second = kids[1]
            assert isinstance(second, Token)
            return "entry", (self.at(clock_of(first), tree), self.at(clock_of(second), tree))
        if kind == "entry_from":
            return "entry", (self.at(clock_of(first), tree), None)
        if kind == "last_stamp":
            return "last_stamp", self.at(clock_of(first), tree)
        return kind, self.at(minutes_of(first), tree)  # weekly, due, scheduled_pause

    def monte_ore(self, tree: Tree[Token]) -> ast.MonteOre:
        amount, unit, period = (c for c in tree.children if isinstance(c, Token))
        return ast.MonteOre(
            minutes_of(amount),
            self.word(unit, vocab.MONTE_ORE_UNITS, "monte ore unit"),
            self.word(period, vocab.MONTE_ORE_PERIODS, "monte ore period"),
            self.pos(tree),
        )

    def day_set(self, tree: Tree[Token]) -> tuple[int, ...]:
        listed = tree if tree.data == "day_range" else tree.children[0]
        assert isinstance(listed, Tree)
        tokens = self.names(listed)
        words = [self.word(t, vocab.DAYS, "day") for t in tokens]
        numbers = [vocab.DAYS.index(w) + 1 for w in words if w in vocab.DAYS]
        if tree.data == "day_range" and len(numbers) == 2:
            low, high = numbers
            if high < low:
                self.error(tree, "the day range runs backwards", "write it like mon..fri")
            return tuple(range(low, high + 1))
        return tuple(sorted(set(numbers)))

    def working_time(self, tree: Tree[Token]) -> ast.WorkingTime:
        tokens = [c for c in tree.children if isinstance(c, Token)]
        mode = self.word(tokens[0], vocab.WORKING_MODES, "working time")
        arrangement: str | None = None
        percent = 100
        for token in tokens[1:]:
            if token.type == "PERCENT":
                percent = int(str(token)[:-1])
                if not 0 < percent <= 100:
                    self.error(token, "a part-time percentage lies between 1% and 100%")
            else:
                arrangement = self.word(token, vocab.ARRANGEMENTS, "part-time arrangement")
        if mode == "part" and (arrangement is None or percent == 100):
            self.error(tree, "part time needs its arrangement and percentage",
                       "e.g. time part horizontal 50%")
        if mode == "full" and (arrangement is not None or percent != 100):
            self.error(tree, "full time takes no arrangement or percentage", "write: time full")
        return ast.WorkingTime(mode, arrangement, percent, self.pos(tree))
