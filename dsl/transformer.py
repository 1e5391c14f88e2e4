"""Lark parse tree -> frozen dataclasses of `dsl.ast`, checking closed word lists.

Written as a small tree walker rather than a `lark.Transformer` so every
method is typed; problems are collected, not raised, so one run reports them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Literal, TypeVar

from lark import Token, Tree

from dsl import ast
from dsl import vocabulary as vocab
from dsl.errors import Diagnostic, one_of, source_line

Node = Tree[Token] | Token
T = TypeVar("T")
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?")


def minutes_of(text: str) -> int:
    m = _DURATION.fullmatch(text)
    if not m or not text:
        raise ValueError(f"not a duration: {text}")
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def clock_of(text: str) -> int:
    """Minutes since midnight of a time of day, 00:00 to 24:00; anything else is refused."""
    m = _CLOCK.fullmatch(text)
    if m is None or int(m.group(2)) > 59 or int(m.group(1)) * 60 + int(m.group(2)) > 24 * 60:
        raise ValueError(f"not a time of day: {text!r} (use HH:MM, 00:00 to 24:00)")
    return int(m.group(1)) * 60 + int(m.group(2))


def unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


class ToAst:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self.diagnostics: list[Diagnostic] = []

    # ---- helpers -------------------------------------------------------------
    def pos(self, node: Node) -> ast.Pos:
        if isinstance(node, Token):
            return ast.Pos(self.file, node.line or 1, node.column or 1)
        return ast.Pos(self.file, node.meta.line, node.meta.column)

    def end_line(self, node: Tree[Token]) -> int:
        return node.meta.end_line

    def error(self, node: Node, message: str, hint: str | None = None) -> None:
        p = self.pos(node)
        self.diagnostics.append(
            Diagnostic(self.file, p.line, p.column, message, source_line(self.text, p.line), hint)
        )

    def word(self, token: Token, allowed: Iterable[str], what: str) -> str:
        value = str(token)
        choices = frozenset(allowed)
        if value not in choices:
            self.error(token, f"unknown {what} '{value}'", one_of(value, choices))
        return value

    def at(self, value: T, node: Node) -> ast.At[T]:
        return ast.At(value, self.pos(node))

    def collect(
        self, tree: Tree[Token], skip: int, block: str, convert: Callable[[Tree[Token]], Any]
    ) -> dict[str, Any]:
        """Turn a block's statements into keyword arguments, refusing repeats."""
        fields: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for child in tree.children[skip:]:
            if not isinstance(child, Tree):
                continue
            key, value = convert(child)
            if key.endswith("+"):  # repeatable statement, gathered in a tuple
                key = key[:-1]
                fields[key] = (*fields.get(key, ()), value)
                continue
            if key in fields:
                self.error(
                    child,
                    f"'{child.data}' is given twice in {block}",
                    f"the first is at line {lines[key]}; keep one",
                )
            fields[key] = value
            lines[key] = child.meta.line
        return fields

    # ---- file ----------------------------------------------------------------
    def rule_file(self, tree: Tree[Token]) -> ast.RuleFile:
        institution: ast.Institution | None = None
        sections: list[ast.RulesSection] = []
        examples: list[ast.Example] = []
        for item in tree.children:
            assert isinstance(item, Tree)
            if item.data == "institution":
                if institution is not None:
                    self.error(item, "a rule file describes one institution", "remove this block")
                institution = self.institution(item)
            elif item.data == "rules_section":
                sections.append(self.rules_section(item))
            else:
                examples.append(self.example(item))
        return ast.RuleFile(self.file, self.text, institution, tuple(sections), tuple(examples))

    def institution(self, tree: Tree[Token]) -> ast.Institution:
        name_token = tree.children[0]
        assert isinstance(name_token, Token)
        fields = self.collect(tree, 1, "institution", self.inst_stmt)
        return ast.Institution(str(name_token), self.pos(tree), self.end_line(tree), **fields)

    def inst_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kids = [c for c in tree.children if isinstance(c, Token)]
        if tree.data == "inst_name":
            return "name", self.at(unquote(kids[0]), kids[0])
        if tree.data == "timezone":
            return "timezone", self.at(unquote(kids[0]), kids[0])
        sub = unquote(kids[1]) if len(kids) > 1 else None
        return "holidays", ast.Holidays(str(kids[0]), sub, self.pos(tree))

    def rules_section(self, tree: Tree[Token]) -> ast.RulesSection:
        date_token = tree.children[0]
        assert isinstance(date_token, Token)
        effective = self.date(date_token)
        title: str | None = None
        first = 1
        maybe_title = tree.children[1] if len(tree.children) > 1 else None
        if isinstance(maybe_title, Token):
            title = unquote(maybe_title)
            first = 2
        statements = [self.statement(c) for c in tree.children[first:] if isinstance(c, Tree)]
        return ast.RulesSection(
            effective, title, self.pos(tree), self.end_line(tree), tuple(statements)
        )

    def date(self, token: Token) -> date:
        try:
            return date.fromisoformat(str(token))
        except ValueError:
            self.error(token, f"'{token}' is not a calendar date")
            return date(1970, 1, 1)

    # ---- statements of a rules section -----------------------------------------
    def statement(self, tree: Tree[Token]) -> ast.Statement:
        handler: dict[str, Callable[[Tree[Token]], ast.Statement]] = {
            "stamping": self.stamping,
            "profile": self.profile,
            "code_def": self.code_def,
            "pause": self.pause,
            "meal_voucher": self.meal_voucher,
            "allowance": self.allowance,
            "deadlines": self.deadlines,
            "flag": self.flag,
            "fee": self.fee,
            "password": self.password,
            "half_day": self.half_day,
            "tolerance": self.tolerance,
        }
        return handler[str(tree.data)](tree)

    def stamping(self, tree: Tree[Token]) -> ast.Stamping:
        fields = self.collect(tree, 0, "stamping", self.stamping_stmt)
        return ast.Stamping(self.pos(tree), self.end_line(tree), **fields)

    def stamping_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        arg = tree.children[0]
        if tree.data == "sources":
            assert isinstance(arg, Tree)
            names = tuple(self.word(t, vocab.SOURCES, "stamp source") for t in self.names(arg))
            return "sources", self.at(names, tree)
        assert isinstance(arg, Token)
        if tree.data == "direction":
            return "direction", self.at(self.word(arg, vocab.DIRECTIONS, "direction"), tree)
        return str(tree.data), self.at(minutes_of(arg), tree)

    def names(self, tree: Tree[Token]) -> list[Token]:
        return [c for c in tree.children if isinstance(c, Token)]

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

    def code_ref(self, tree: Node) -> str:
        token = tree.children[0] if isinstance(tree, Tree) else tree
        assert isinstance(token, Token)
        return unquote(token) if token.type == "STRING" else str(token)

    def code_def(self, tree: Tree[Token]) -> ast.CodeDef:
        code = self.code_ref(tree.children[0])
        fields = self.collect(tree, 1, f"code {code}", self.code_stmt)
        return ast.CodeDef(code, self.pos(tree), self.end_line(tree), **fields)

    def code_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        if kind in {"attachment_required", "notes_required"}:
            return kind, self.at(True, tree)
        arg = tree.children[0]
        if kind == "entered":
            assert isinstance(arg, Tree)
            channels = tuple(self.word(t, vocab.ENTRY_CHANNELS, "channel") for t in self.names(arg))
            return "entered", self.at(channels, tree)
        assert isinstance(arg, Token)
        if kind == "label":
            return "label", self.at(unquote(arg), tree)
        if kind == "kind":
            return "kind", self.at(self.word(arg, vocab.CODE_KINDS, "code kind"), tree)
        if kind == "approval":
            return "approval", self.at(self.word(arg, vocab.APPROVERS, "approver"), tree)
        return "allowance", self.at(str(arg), tree)

    def pause(self, tree: Tree[Token]) -> ast.Pause:
        fields = self.collect(tree, 0, "pause", self.pause_stmt)
        return ast.Pause(self.pos(tree), self.end_line(tree), **fields)

    def pause_stmt(self, tree: Tree[Token]) -> tuple[str, Any]:
        kind = str(tree.data)
        tokens = [c for c in tree.children if isinstance(c, Token)]
        if kind == "band":
            start, end, last = (clock_of(t) for t in tokens[:3])
            label = unquote(tokens[3]) if len(tokens) > 3 else None
            return "bands+", ast.Band(start, end, last, label, self.pos(tree))
        if kind == "outside_band_code":
            return kind, self.at(self.code_ref(tree.children[0]), tree)
        if kind == "inside_service":
            return kind, self.at(True, tree)
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
        if kind == "next_day_at":
            number = clock_of(tokens[0])
        elif tokens:
            number = int(str(tokens[0]))
        if kind == "day_of" and not 1 <= number <= 28:
            self.error(tree, "a day of the month for a deadline lies between 1 and 28",
                       "later days do not exist in every month")
        when_kind: ast.WhenKind = kind  # type: ignore[assignment]
        return ast.When(when_kind, number, period, months, self.pos(tree))

    def deadlines(self, tree: Tree[Token]) -> ast.Deadlines:
        items: list[ast.Deadline] = []
        seen: dict[str, int] = {}
        for child in tree.children:
            assert isinstance(child, Tree)
            name_token, when = child.children
            assert isinstance(name_token, Token) and isinstance(when, Tree)
            name = self.word(name_token, vocab.DEADLINES, "deadline")
            if name in seen:
                self.error(child, f"deadline '{name}' is given twice",
                           f"the first is at line {seen[name]}")
            seen[name] = child.meta.line
            items.append(ast.Deadline(name, self.when(when), self.pos(child)))
        return ast.Deadlines(self.pos(tree), self.end_line(tree), tuple(items))

    def flag(self, tree: Tree[Token]) -> ast.Flag:
        tokens = [c for c in tree.children if isinstance(c, Token)]
        metric = self.word(tokens[0], vocab.FLAG_METRICS, "flag metric")
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
            word = self.word(tokens[0], vocab.PASSWORD_REQUIREMENTS, "password requirement")
            return "require+", self.at(word, tree)
        if kind == "min_length":
            return kind, self.at(int(str(tokens[0])), tree)
        return kind, self.at(True, tree)

    def half_day(self, tree: Tree[Token]) -> ast.HalfDay:
        fields = self.collect(tree, 0, "half_day", self.flag_or_minutes)
        return ast.HalfDay(self.pos(tree), self.end_line(tree), **fields)

    def tolerance(self, tree: Tree[Token]) -> ast.Tolerance:
        tokens = [c for c in tree.children if isinstance(c, Token)]
        limit = int(str(tokens[1])) if len(tokens) > 1 else None
        return ast.Tolerance(minutes_of(tokens[0]), limit, self.pos(tree))

    # ---- examples ---------------------------------------------------------------
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
        assert isinstance(arg, Token)
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
            else:
                minute = clock_of(child)
        return ast.StampLit(direction, minute, code, self.pos(tree))

    def request(self, tree: Tree[Token]) -> ast.RequestLit:
        code = self.code_ref(tree.children[0])
        span = tree.children[1]
        assert isinstance(span, Tree)
        if span.data == "day_span":
            return ast.RequestLit(code, None, None, self.pos(tree))
        start, end = (clock_of(t) for t in span.children if isinstance(t, Token))
        if end <= start:
            self.error(span, "a request ends after it starts")
        return ast.RequestLit(code, start, end, self.pos(tree))

    def expectation(self, tree: Tree[Token]) -> ast.Expectation:
        kind = str(tree.data)
        pos = self.pos(tree)
        tokens = [c for c in tree.children if isinstance(c, Token)]
        if kind == "expect_no_anomalies":
            return ast.Expectation("no_anomalies", "", pos=pos)
        if kind == "expect_anomaly":
            name = self.word(tokens[0], vocab.ANOMALIES, "anomaly")
            return ast.Expectation("anomaly", name, pos=pos)
        if kind == "expect_code":
            code = self.code_ref(tree.children[0])
            return ast.Expectation("code", code, minutes=minutes_of(tokens[-1]), pos=pos)
        if kind == "expect_bool":
            name = self.word(tokens[0], vocab.BOOL_FIGURES, "yes/no figure")
            return ast.Expectation("bool", name, flag=str(tokens[1]) == "yes", pos=pos)
        name = self.word(tokens[0], vocab.MINUTE_FIGURES, "figure")
        sign = -1 if any(t.type == "SIGN" for t in tokens) else 1
        return ast.Expectation("minutes", name, minutes=sign * minutes_of(tokens[-1]), pos=pos)
