"""The checker's rules for deadlines counted from another one (`5 days after report`), in
hours (`48h`) and open-ended (`open`). Called by `dsl.checker` with the deadlines the
sections so far define."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping

from dsl import ast
from dsl.errors import M

Error = Callable[..., None]
# Counted from the day or the stamp they are about: another deadline is no anchor for them.
_PER_DAY = frozenset({"anomaly_fix", "missed_stamp"})


def check_deadlines(error: Error, block: ast.Deadlines,
                    known: MutableMapping[str, ast.When]) -> None:
    """`known` holds the deadlines of earlier sections; this block's are added to it."""
    known.update({d.name: d.when for d in block.items})
    for item in block.items:
        anchor = item.when.anchor
        if anchor is None:
            continue
        if item.name in _PER_DAY:
            error(item.when.pos, M("{} is counted from the day it is about", item.name),
                  M("remove 'after {}'", anchor), word="after")
        elif anchor == item.name:
            error(item.when.pos, M("deadline '{}' is counted from itself", item.name),
                  M("name another deadline"), word=anchor)
        elif anchor not in known:
            error(item.when.pos, M("deadline '{}' is counted from '{}', which is not given",
                                   item.name, anchor), M("add: {} day 10 of next_month",
                                                         anchor), word=anchor)
        elif known[anchor].anchor is not None:
            error(item.when.pos, M("'{}' is itself counted from another deadline", anchor),
                  M("count from a deadline that names its own date"), word=anchor)
        elif anchor in _PER_DAY:
            error(item.when.pos, M("'{}' is a deadline per day, not per month", anchor),
                  M("count from report, negative_balance or compensatory_rest"), word=anchor)


def check_recover_by(error: Error, allowance: ast.Allowance) -> None:
    when = allowance.recover_by
    if when is not None and when.anchor is not None:
        error(when.pos, M("an allowance's recover_by is counted from the month it is used in"),
              M("remove 'after {}'", when.anchor), word="after")
