"""The profile block: an employee's schedule, days, working time, hours bank and its own
pause block."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from dsl import ast
from dsl import vocabulary as vocab
from dsl.errors import M
from dsl.transformer.literals import minutes_of, unquote
from dsl.transformer.schedule import DAY_STATEMENTS, ScheduleBlocks


# On top of the schedule blocks (and so the timing blocks): a profile holds day statements,
# day patterns and a pause block of its own.
class ProfileBlock(ScheduleBlocks):
    def profile(self, tree: Tree[Token]) -> ast.Profile:
        name = tree.children[0]
        assert isinstance(name, Token)
        fields = self.split(tree, self.collect(tree, 1, f"profile {name}", self.profile_stmt))
        return ast.Profile(str(name), self.pos(tree), self.end_line(tree), **fields)

    def profile_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        kids = tree.children
        first = kids[0] if kids else None
        if kind == "pause":
            return "pause", self.pause(tree)
        if kind == "no_pause":
            return "no_pause", self.at(True, tree)
        if kind in DAY_STATEMENTS:
            return self.day_stmt(tree)
        if kind == "on_days":
            return "on+", self.on_days(tree)
        if kind in {"choose", "contract_days"}:
            return kind, self.choose(tree, with_block=kind == "choose")
        if kind == "cycle":
            return "cycle", self.cycle(tree)
        if kind == "profile_shifts":
            assert isinstance(first, Tree)
            return "shifts", self.at(tuple(str(t) for t in self.names(first)), tree)
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
            return "category", self.at(self.word(first, vocab.CATEGORIES, M("category")), tree)
        return kind, self.at(minutes_of(first), tree)  # weekly, scheduled_pause

    def monte_ore(self, tree: Tree[Token]) -> ast.MonteOre:
        amount, unit, period = (c for c in tree.children if isinstance(c, Token))
        return ast.MonteOre(
            minutes_of(amount),
            self.word(unit, vocab.MONTE_ORE_UNITS, M("monte ore unit")),
            self.word(period, vocab.MONTE_ORE_PERIODS, M("monte ore period")),
            self.pos(tree),
        )

    def working_time(self, tree: Tree[Token]) -> ast.WorkingTime:
        tokens = [c for c in tree.children if isinstance(c, Token)]
        mode = self.word(tokens[0], vocab.WORKING_MODES, M("working time"))
        arrangement: str | None = None
        percent = 100
        for token in tokens[1:]:
            if token.type == "PERCENT":
                percent = int(str(token)[:-1])
                if not 0 < percent <= 100:
                    self.error(token, M("a part-time percentage lies between 1% and 100%"))
            else:
                arrangement = self.word(token, vocab.ARRANGEMENTS, M("part-time arrangement"))
        if mode == "part" and (arrangement is None or percent == 100):
            self.error(tree, M("part time needs its arrangement and percentage"),
                       M("e.g. time part horizontal 50%"))
        if mode == "full" and (arrangement is not None or percent != 100):
            self.error(tree, M("full time takes no arrangement or percentage"),
                       M("write: time full"))
        return ast.WorkingTime(mode, arrangement, percent, self.pos(tree))
