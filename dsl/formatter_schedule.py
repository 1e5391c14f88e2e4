"""The canonical form of the statements that shape days (`dsl.formatter` prints the rest).

A block's day statements print in the order `days`, `due`, `entry`, the end of the day
(`exit A..B` where it was written so, else `last_stamp` and `count_until`), `pause`, then
`on` blocks in file order; a profile prints its `on`, `choose`, `cycle` and `shifts` after
its other statements."""

from __future__ import annotations

from dsl import ast
from dsl import formatter as f
from dsl.layout import Node


def choice(c: ast.Choose) -> str:
    return f"choose {c.count} of {f.days(c.among)}"


def contract_days(p: ast.Profile) -> list[Node]:
    c = p.contract_days
    return [] if c is None else [f._line(f"days {choice(c)}", c.pos)]


def day_lines(d: ast.Profile | ast.DayPattern | ast.Shift) -> list[Node]:
    """due, entry and the end of the day, as any block that shapes a day writes them."""
    kids = [
        *f._opt(d.due, lambda v: f"due {f.duration(v)}"),
        *f._opt(d.entry_from, lambda v: f"entry {f.clock(v)}" + f._until(d.entry_until)),
    ]
    last, until = d.last_stamp, d.count_until
    if last is not None and until is not None and last.pos == until.pos:
        kids.append(f._line(f"exit {f.clock(last.value)}..{f.clock(until.value)}", last.pos))
        return kids
    return [
        *kids,
        *f._opt(last, lambda v: f"last_stamp {f.clock(v)}"),
        *f._opt(until, lambda v: f"count_until {f.clock(v)}"),
    ]


def _pattern(head: str, pattern: ast.DayPattern) -> Node:
    kids = [*f._opt(pattern.days, lambda v: f"days {f.days(v)}"), *day_lines(pattern)]
    if pattern.pause is not None:
        kids.append(f._pause(pattern.pause))
    kids += [_pattern(f"on {f.days(o.days)}", o.pattern) for o in pattern.on]
    return f._block(head, pattern.pos, pattern.end_line, kids)


def pattern_blocks(p: ast.Profile) -> list[Node]:
    kids = [_pattern(f"on {f.days(o.days)}", o.pattern) for o in p.on]
    if (c := p.choose) is not None and c.pattern is not None:
        kids.append(_pattern(choice(c), c.pattern))
    if (cycle := p.cycle) is not None:
        weeks = [_pattern(f"week {w.number}", w.pattern) for w in cycle.items]
        head = f"cycle {cycle.weeks} weeks from {cycle.anchor.isoformat()}"
        kids.append(f._block(head, cycle.pos, cycle.end_line, weeks))
    kids += f._opt(p.shifts, lambda v: "shifts " + ", ".join(v))
    return kids


def shift_block(s: ast.Shift) -> Node:
    kids = [
        *f._opt(s.label, lambda v: f"label {f.quote(v)}"),
        *f._opt(s.span, lambda v: f"span {f.clock(v[0])}..{f.clock(v[1])}"),
        *day_lines(s),
    ]
    return f._block(f"shift {s.name}", s.pos, s.end_line, kids)
