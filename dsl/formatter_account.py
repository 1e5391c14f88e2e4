"""The canonical form of the `account` block (`dsl.formatter` prints the rest): its
statements in the grammar's order, the `year_end` lines in file order."""

from __future__ import annotations

from dsl import ast
from dsl import formatter as f
from dsl.layout import Node


def account_block(a: ast.Account) -> Node:
    kids = [*f._opt(a.label, lambda v: f"label {f.quote(v)}")]
    if (carry := a.carry_monthly) is not None:
        cap = "" if carry.max is None else f" max {f.duration(carry.max)}"
        kids.append(f._line(f"carry monthly{cap}", carry.pos))
    kids.extend(f._opt(a.compensate, lambda v: "compensate automatic"))
    if a.recover_by is not None:
        kids.append(f._line(f"recover_by {f.when(a.recover_by)}", a.recover_by.pos))
    if (settle := a.not_recovered) is not None:
        kids.append(f._line(f"not_recovered {settle_words(settle)}", settle.pos))
    kids.extend(f._line(f"year_end {keep_words(y)}", y.pos) for y in a.year_end)
    return f._block("account", a.pos, a.end_line, kids)


def settle_words(settle: ast.Settle) -> str:
    return f"use leave {settle.leave}" if settle.kind == "leave" else settle.kind


def keep_words(y: ast.YearEnd) -> str:
    keep = {"all": "carry all", "none": "expire"}.get(y.keep, f"carry max {f.duration(y.minutes)}")
    return keep + (f" for {', '.join(y.profiles)}" if y.profiles else "")
