"""The canonical form of a `leave` block (`dsl.formatter` prints the rest): `label`, the
entitlements in file order, `max`, `prorate`, `accrue`, `carry`, `half_days`, `drawn_by`."""

from __future__ import annotations

from dsl import ast
from dsl import formatter as f
from dsl.layout import Node
from dsl.vocabulary import MONTHS


def entitlement(e: ast.Entitlement) -> str:
    text = f"entitlement {e.days} days per year"
    if e.week is not None:
        text += f" week {e.week}"
    if e.first_years is not None:
        text += f" first {e.first_years} years"
    return text


def carry(c: ast.LeaveCarry) -> str:
    return f"carry until {c.day} {MONTHS[c.month - 1]}"


def leave_block(leave: ast.Leave) -> Node:
    kids = [
        *f._opt(leave.label, lambda v: f"label {f.quote(v)}"),
        *(f._line(entitlement(e), e.pos) for e in leave.entitlements),
        *(f._line(f"max {c.days} days per {c.period}", c.pos) for c in leave.caps),
        *f._opt(leave.prorate, lambda v: "prorate " + ", ".join(v)),
        *f._opt(leave.accrue, lambda v: f"accrue {v}"),
        *([f._line(carry(leave.carry), leave.carry.pos)] if leave.carry else []),
        *f._opt(leave.half_days, lambda v: "half_days"),
        *f._opt(leave.drawn_by, lambda v: "drawn_by " + ", ".join(f.quote(c) for c in v)),
    ]
    return f._block(f"leave {leave.name}", leave.pos, leave.end_line, kids)
