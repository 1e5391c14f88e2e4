"""The blocks that shape days: the day statements a profile, an `on`, a `choose`, a cycle's
week and a shift share (`due`, `entry`, `exit`, `last_stamp`, `count_until`), and the shifts
of a rota."""

from __future__ import annotations

from typing import Any

from lark import Token, Tree

from dsl import ast
from dsl import vocabulary as vocab
from dsl.errors import M
from dsl.transformer.literals import clock_of, minutes_of, unquote
from dsl.transformer.timing import TimingBlocks

DAY_STATEMENTS = frozenset(
    {"due", "entry_from", "entry_window", "last_stamp", "exit_window", "count_until"})


class ScheduleBlocks(TimingBlocks):
    def day_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        """One day statement as (field, value); `entry`/`exit` come as pairs `split` opens."""
        kind = str(tree.data)
        if kind == "due":
            first = tree.children[0]
            assert isinstance(first, Token)
            return "due", self.at(minutes_of(first), tree)
        clocks = [self.at(clock_of(t), tree) for t in tree.children if isinstance(t, Token)]
        if kind in {"entry_window", "entry_from"}:
            return "entry", (clocks[0], clocks[1] if len(clocks) > 1 else None)
        if kind == "exit_window":
            return "exit", (clocks[0], clocks[1])
        return kind, clocks[0]  # last_stamp, count_until

    def split(self, tree: Tree[Token], fields: dict[str, Any]) -> dict[str, Any]:
        """Open the `entry` and `exit` pairs into their fields; `exit A..B` is `last_stamp A`
        and `count_until B` written once, so it cannot stand beside either."""
        if "entry" in fields:
            fields["entry_from"], fields["entry_until"] = fields.pop("entry")
        if "exit" in fields:
            last, until = fields.pop("exit")
            for name in ("last_stamp", "count_until"):
                if name in fields:
                    self.error(tree, M("'exit' and '{}' both say when the day ends", name),
                               M("keep one: exit FROM..UNTIL is last_stamp FROM and count_until "
                                 "UNTIL"))
            fields["last_stamp"], fields["count_until"] = last, until
        return fields

    def pattern(self, tree: Tree[Token], skip: int, block: str) -> ast.DayPattern:
        fields = self.split(tree, self.collect(tree, skip, block, self.pattern_stmt))
        return ast.DayPattern(self.pos(tree), self.end_line(tree), **fields)

    def pattern_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        if kind == "pause":
            return "pause", self.pause(tree)
        if kind == "days":
            first = tree.children[0]
            assert isinstance(first, Tree)
            return "days", self.at(self.day_set(first), tree)
        if kind == "on_days":
            return "on+", self.on_days(tree)
        return self.day_stmt(tree)

    def on_days(self, tree: Tree[Token]) -> ast.OnDays:
        first = tree.children[0]
        assert isinstance(first, Tree)
        days = self.day_set(first)
        return ast.OnDays(days, self.pattern(tree, 1, "on"), self.pos(tree))

    def choose(self, tree: Tree[Token], with_block: bool) -> ast.Choose:
        count, among = tree.children[0], tree.children[1]
        assert isinstance(count, Token) and isinstance(among, Tree)
        pattern = self.pattern(tree, 2, "choose") if with_block else None
        return ast.Choose(int(str(count)), self.day_set(among), pattern, self.pos(tree))

    def cycle(self, tree: Tree[Token]) -> ast.Cycle:
        weeks, anchor = tree.children[0], tree.children[1]
        assert isinstance(weeks, Token) and isinstance(anchor, Token)
        items: list[ast.CycleWeek] = []
        for child in tree.children[2:]:
            assert isinstance(child, Tree)
            number = child.children[0]
            assert isinstance(number, Token)
            pattern = self.pattern(child, 1, f"week {number}")
            items.append(ast.CycleWeek(int(str(number)), pattern, self.pos(child)))
        return ast.Cycle(int(str(weeks)), self.date(anchor), tuple(items), self.pos(tree),
                         self.end_line(tree))

    def shift(self, tree: Tree[Token]) -> ast.Shift:
        name = tree.children[0]
        assert isinstance(name, Token)
        fields = self.split(tree, self.collect(tree, 1, f"shift {name}", self.shift_stmt))
        return ast.Shift(str(name), self.pos(tree), self.end_line(tree), **fields)

    def shift_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        tokens = [c for c in tree.children if isinstance(c, Token)]
        if kind == "label":
            return "label", self.at(unquote(tokens[0]), tree)
        if kind == "span":
            start, end = (clock_of(t) for t in tokens)
            return "span", self.at((start, end), tree)
        return self.day_stmt(tree)

    def day_set(self, tree: Tree[Token]) -> tuple[int, ...]:
        listed = tree if tree.data == "day_range" else tree.children[0]
        assert isinstance(listed, Tree)
        tokens = self.names(listed)
        words = [self.word(t, vocab.DAY_NAMES, M("day")) for t in tokens]
        numbers = [n for w in words if (n := vocab.day_number(w)) is not None]
        if tree.data == "day_range" and len(numbers) == 2:
            low, high = numbers
            if high < low:
                self.error(tree, M("the day range runs backwards"), M("write it like mon..fri"))
            return tuple(range(low, high + 1))
        return tuple(sorted(set(numbers)))
