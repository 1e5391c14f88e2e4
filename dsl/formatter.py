"""The canonical form of a rule file, printed from its syntax tree.

- 4-space indentation, one statement per line, blocks as `name {` ... `}`,
  an empty block as `name {}`;
- top-level items (institution, rules sections, examples) and the statements of
  a rules section keep their file order; inside any other block the statements
  follow the order of the grammar's alternatives (repeatable ones such as
  `band`, `request` or `require` keep their file order among themselves);
- durations `7h15m`, `30m`, `2h`; clock times `08:00`; a run of three or more
  days as `mon..fri`, otherwise a list; money `5.00`;
- strings re-quoted with `\\` before `"` and `\\`; codes quoted where they are
  defined or referred to by the rules (`code "49" {`, `outside_band code "49"`),
  bare in examples (`out 16:30 code 35`) unless they need quotes;
- comments and blank lines as described in `dsl.layout`.

`parse(format_rules(f))` equals `f` but for positions, and formatting twice
gives the same text as formatting once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from dsl import ast
from dsl.formatter_account import account_block
from dsl.formatter_leave import leave_block
from dsl.formatter_schedule import contract_days, day_lines, pattern_blocks, shift_block
from dsl.layout import Node, render
from dsl.sources import as_comments
from dsl.vocabulary import DAYS

T = TypeVar("T")
_CODE = re.compile(r"[0-9]+[A-Za-z]*|[A-Za-z][A-Za-z0-9]*")  # the grammar's CODE terminal
_PERIODS = {
    "this_month": "this_month",
    "next_month": "next_month",
    "this_year": "year",
    "school_year": "school_year",
}


def format_rules(rule_file: ast.RuleFile) -> str:
    """The canonical text of a rule file, comments included."""
    items: list[Node] = []
    if rule_file.institution is not None:
        items.append(_institution(rule_file.institution))
    items.extend(_section(s) for s in rule_file.sections)
    items.extend(_example(e) for e in rule_file.examples)
    items.sort(key=lambda n: (n.line, n.column))
    end = len(rule_file.source.splitlines()) + 1
    root = Node("", 0, 0, items, end, "loose")
    return render(root, as_comments(rule_file), rule_file.source)


# ---- words ------------------------------------------------------------------------


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{rest}m"
    return f"{hours}h" if hours else f"{rest}m"


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bare_code(code: str) -> str:
    """A code as examples write it: bare when the grammar reads it bare."""
    return code if _CODE.fullmatch(code) else quote(code)


def days(numbers: tuple[int, ...]) -> str:
    names = [DAYS[n - 1] for n in numbers]
    run = list(range(numbers[0], numbers[-1] + 1)) if numbers else []
    if len(numbers) >= 3 and list(numbers) == run:
        return f"{names[0]}..{names[-1]}"
    return ", ".join(names)


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d} EUR"


def when(w: ast.When) -> str:
    period = "" if w.period is None else _PERIODS.get(w.period, f"month + {w.months}")
    if w.kind == "day_of":
        return f"day {w.number} of {period}"
    if w.kind == "end_of":
        return f"end of {period}"
    if w.kind == "next_day_at":
        return f"{clock(w.number)} of next_day"
    if w.kind == "open_ended":
        return "open"
    after = "" if w.anchor is None else f" after {w.anchor}"
    if w.kind == "within_time":
        return f"{duration(w.number)}{after}"
    return f"{w.number} days{after}"


# ---- nodes ------------------------------------------------------------------------


def _line(text: str, pos: ast.Pos) -> Node:
    return Node(text, pos.line, pos.column)


def _opt(at: ast.At[T] | None, show: Callable[[T], str]) -> list[Node]:
    return [] if at is None or at.value is False else [_line(show(at.value), at.pos)]


def _block(text: str, pos: ast.Pos, end_line: int, children: list[Node]) -> Node:
    return Node(text, pos.line, pos.column, children, end_line)


def _institution(inst: ast.Institution) -> Node:
    kids = [
        *_opt(inst.name, lambda v: f"name {quote(v)}"),
        *_opt(inst.timezone, lambda v: f"timezone {quote(v)}"),
    ]
    if (h := inst.holidays) is not None:
        sub = "" if h.subdivision is None else " " + quote(h.subdivision)
        kids.append(_line(f"holidays {h.country}{sub}", h.pos))
    return _block(f"institution {inst.id}", inst.pos, inst.end_line, kids)


def _section(section: ast.RulesSection) -> Node:
    title = "" if section.title is None else " " + quote(section.title)
    kids = [_statement(s) for s in section.statements]
    node = _block(f"rules from {section.effective.isoformat()}{title}", section.pos,
                  section.end_line, kids)
    node.spacing = "section"
    return node


def _statement(stmt: ast.Statement) -> Node:
    match stmt:
        case ast.Stamping():
            return _stamping(stmt)
        case ast.Profile():
            return _profile(stmt)
        case ast.CodeDef():
            return _code_def(stmt)
        case ast.Pause():
            return _pause(stmt)
        case ast.MealVoucher():
            return _meal_voucher(stmt)
        case ast.Allowance():
            return _allowance(stmt)
        case ast.Deadlines():
            return _deadlines(stmt)
        case ast.Flag():
            return _flag(stmt)
        case ast.Fee():
            return _fee(stmt)
        case ast.PasswordPolicy():
            return _password(stmt)
        case ast.HalfDay():
            return _half_day(stmt)
        case ast.Tolerance():
            return _tolerance(stmt)
        case ast.Overtime():
            return _overtime(stmt)
        case ast.Shift():
            return shift_block(stmt)
        case ast.Leave():
            return leave_block(stmt)
        case ast.Account():
            return account_block(stmt)


def _stamping(s: ast.Stamping) -> Node:
    kids = [
        *_opt(s.sources, lambda v: "sources " + ", ".join(v)),
        *_opt(s.direction, lambda v: f"direction {v}"),
        *_opt(s.rounding, lambda v: f"rounding nearest {duration(v)}"),
        *_opt(s.double_swipe, lambda v: f"double_swipe {duration(v)}"),
        *_opt(s.missed_stamp_approval, lambda v: f"missed_stamp approval {v}"),
    ]
    return _block("stamping", s.pos, s.end_line, kids)


def _profile(p: ast.Profile) -> Node:
    kids = [
        *_opt(p.label, lambda v: f"label {quote(v)}"),
        *_opt(p.weekly, lambda v: f"weekly {duration(v)}"),
        *_opt(p.days, lambda v: f"days {days(v)}"),
        *contract_days(p),
        *day_lines(p),
        *_opt(p.scheduled_pause, lambda v: f"scheduled_pause {duration(v)}"),
    ]
    if (wt := p.working_time) is not None:
        kids.append(_line(_working_time(wt), wt.pos))
    kids += [
        *_opt(p.category, lambda v: f"category {v}"),
        *_opt(p.flags, lambda v: "flags " + ", ".join(v)),
    ]
    if (m := p.monte_ore) is not None:
        kids.append(_line(f"monte_ore {duration(m.minutes)} per {m.unit} over {m.period}", m.pos))
    if p.pause is not None:
        kids.append(_pause(p.pause))
    kids += _opt(p.no_pause, lambda v: "pause none")
    kids += pattern_blocks(p)
    return _block(f"profile {p.name}", p.pos, p.end_line, kids)


def _until(until: ast.At[int] | None) -> str:
    return "" if until is None else f"..{clock(until.value)}"


def _working_time(wt: ast.WorkingTime) -> str:
    words = ["time", wt.mode]
    if wt.arrangement is not None:
        words.append(wt.arrangement)
    if wt.mode != "full" or wt.percent != 100:
        words.append(f"{wt.percent}%")
    return " ".join(words)


def _code_def(c: ast.CodeDef) -> Node:
    kids = [
        *_opt(c.label, lambda v: f"label {quote(v)}"),
        *_opt(c.kind, lambda v: f"kind {v}"),
        *_opt(c.entered, lambda v: "entered " + ", ".join(v)),
        *_opt(c.attachment_required, lambda v: "attachment required"),
        *_opt(c.notes_required, lambda v: "notes required"),
        *_opt(c.approval, lambda v: f"approval {v}" + _approval_options(c)),
        *_opt(c.allowance, lambda v: f"allowance {v}" + _then(c.allowance_then)),
        *(_line(_cap(cap), cap.pos) for cap in c.caps),
        *([] if (w := c.window) is None else [_line(
            f"max {w.percent}% of due per {w.weeks} weeks from {w.anchor.isoformat()}", w.pos)]),
        *_opt(c.not_for, lambda v: "not_for " + ", ".join(v)),
    ]
    return _block(f"code {quote(c.code)}", c.pos, c.end_line, kids)


def _approval_options(c: ast.CodeDef) -> str:
    words = [
        *_words(c.approval_prior, lambda v: "prior" + (f" {duration(v)}" if v else "")),
        *_words(c.approval_within, lambda v: f"within {duration(v)}"),
        *_words(c.approval_except, lambda v: "except " + ", ".join(v)),
    ]
    return "".join(" " + w for w in words)


def _words(item: ast.At[T] | None, text: Callable[[T], str]) -> list[str]:
    return [] if item is None else [text(item.value)]


def _then(then: ast.At[str] | None) -> str:
    return "" if then is None else f" then {then.value}"


def _cap(cap: ast.Cap) -> str:
    return f"max {duration(cap.minutes)} per {cap.period}"


def _overtime(o: ast.Overtime) -> Node:
    kids = [
        *(_line(_cap(cap), cap.pos) for cap in o.caps),
        *_opt(o.unauthorised, lambda v: "unauthorised not_credited"),
        *(_line("unit_budget " + ("" if b.unit is None else quote(b.unit) + " ")
                + f"{duration(b.minutes)} per year", b.pos) for b in o.unit_budgets),
    ]
    return _block("overtime", o.pos, o.end_line, kids)


def _pause(p: ast.Pause) -> Node:
    threshold = "from" if p.after_inclusive else "after"
    kids = [
        *_opt(p.after, lambda v: f"{threshold} {duration(v)}"),
        *_opt(p.mandatory_over, lambda v: f"mandatory_over {duration(v)}"),
        *_opt(p.min, lambda v: f"min {duration(v)}"),
        *_opt(p.max, lambda v: f"max {duration(v)}"),
        *(_line(_band(b), b.pos) for b in p.bands),
        *_opt(p.deduct_unstamped, lambda v: f"deduct_unstamped {duration(v)}"),
        *_opt(p.outside_band_code, lambda v: f"outside_band code {quote(v)}"),
        *_opt(p.inside_service, lambda v: "inside_service deduct_min"),
        *_opt(p.skipped_with, lambda v: f"skipped_with code {quote(v)}"),
    ]
    return _block("pause", p.pos, p.end_line, kids)


def _band(b: ast.Band) -> str:
    label = "" if b.label is None else " " + quote(b.label)
    last = f" last_exit {clock(b.last_exit)}" if b.last_exit_given else ""
    return f"band {clock(b.start)}..{clock(b.end)}{last}{label}"


def _meal_voucher(m: ast.MealVoucher) -> Node:
    kids = [
        *_opt(m.min_worked, lambda v: f"min_worked {duration(v)}"),
        *_opt(m.requires_regular_pause, lambda v: "requires regular_pause"),
    ]
    return _block("meal_voucher", m.pos, m.end_line, kids)


def _allowance(a: ast.Allowance) -> Node:
    kids = [
        *_opt(a.label, lambda v: f"label {quote(v)}"),
        *_opt(a.amount, lambda v: f"amount {duration(v)} per year"),
        *_opt(a.max_half_due, lambda v: "max_per_use half_due"),
        *_opt(a.prorate_part_time, lambda v: "prorate part_time"),
        *_opt(a.requires_flag, lambda v: f"requires flag {v}"),
    ]
    if a.recover_by is not None:
        kids.append(_line(f"recover_by {when(a.recover_by)}", a.recover_by.pos))
    return _block(f"allowance {a.name}", a.pos, a.end_line, kids)


def _deadlines(d: ast.Deadlines) -> Node:
    kids = [_line(f"{item.name} {when(item.when)}", item.pos) for item in d.items]
    return _block("deadlines", d.pos, d.end_line, kids)


def _flag(f: ast.Flag) -> Node:
    message = "" if f.message is None else " " + quote(f.message)
    return _line(f"flag {f.name} over {f.over} per month{message}", f.pos)


def _fee(f: ast.Fee) -> Node:
    then = "" if f.then_cents is None else f" then {money(f.then_cents)}"
    return _line(f"fee {f.name} {money(f.first_cents)}{then}", f.pos)


def _password(p: ast.PasswordPolicy) -> Node:
    kids = [
        *_opt(p.min_length, lambda v: f"min_length {v}"),
        *(_line(f"require {r.value}", r.pos) for r in p.require),
        *_opt(p.change_at_first_login, lambda v: "change_at_first_login"),
    ]
    return _block("password", p.pos, p.end_line, kids)


def _half_day(h: ast.HalfDay) -> Node:
    kids = [
        *_opt(h.morning_credit, lambda v: f"morning credit {duration(v)}"),
        *_opt(h.afternoon_work, lambda v: f"afternoon work {duration(v)}"),
    ]
    return _block("half_day", h.pos, h.end_line, kids)


def _tolerance(t: ast.Tolerance) -> Node:
    limit = "" if t.repeat_limit is None else f" repeat_limit {t.repeat_limit} per month"
    return _line(f"tolerance {duration(t.minutes)}{limit}", t.pos)


# ---- examples -----------------------------------------------------------------------


def _example(e: ast.Example) -> Node:
    kids = [
        *_opt(e.profile, lambda v: f"profile {v}"),
        *_opt(e.chosen, lambda v: f"chosen {days(v)}"),
        *_opt(e.shift, lambda v: f"shift {v}"),
        *_opt(e.date, lambda v: f"date {v.isoformat()}"),
    ]
    if e.stamps:
        kids.append(_line("stamps " + ", ".join(map(stamp, e.stamps)), e.stamps[0].pos))
    kids += [_line(_request(r), r.pos) for r in e.requests]
    if e.expectations:
        text = "expect " + " ".join(map(expectation, e.expectations))
        kids.append(_line(text, e.expectations[0].pos))
    return _block(f"example {quote(e.name)}", e.pos, e.end_line, kids)


def stamp(s: ast.StampLit) -> str:
    """One stamp as `parse_stamps` reads it: `in 08:03`, `out 12:00 code 35`."""
    words: list[str] = [] if s.direction is None else [s.direction]
    day, minute = divmod(s.minute, 24 * 60)
    words.append(clock(minute) + ("+1" if day else ""))  # the morning after: a night shift
    if s.code is not None:
        words += ["code", bare_code(s.code)]
    return " ".join(words)


def _request(r: ast.RequestLit) -> str:
    span = "day" if r.start is None or r.end is None else f"{clock(r.start)}..{clock(r.end)}"
    return f"request {bare_code(r.code)} {span}"


def expectation(x: ast.Expectation) -> str:
    if x.kind == "minutes":
        sign = "-" if x.minutes < 0 else ""
        return f"{x.name} {sign}{duration(abs(x.minutes))}"
    if x.kind == "bool":
        return f"{x.name} {'yes' if x.flag else 'no'}"
    if x.kind == "code":
        return f"code {bare_code(x.name)} {duration(x.minutes)}"
    if x.kind == "anomaly":
        return f"anomaly {x.name}"
    return "anomalies none"
