"""The nodes of `example` blocks: a day to evaluate and what it must give."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from dsl.ast.base import At, Pos

# ---- examples -------------------------------------------------------------------


@dataclass(frozen=True)
class StampLit:
    direction: Literal["in", "out"] | None
    minute: int  # 1440 and more for `07:00+1`, the morning after
    code: str | None
    pos: Pos


@dataclass(frozen=True)
class RequestLit:
    code: str
    start: int | None  # None for a whole-day request
    end: int | None
    pos: Pos


@dataclass(frozen=True)
class Expectation:
    kind: Literal["minutes", "bool", "code", "anomaly", "no_anomalies"]
    name: str  # figure name, code or anomaly code
    minutes: int = 0
    flag: bool = False
    pos: Pos = field(default_factory=lambda: Pos("", 0, 0))


@dataclass(frozen=True)
class Example:
    name: str
    pos: Pos
    end_line: int
    profile: At[str] | None = None
    chosen: At[tuple[int, ...]] | None = None
    shift: At[str] | None = None
    date: At[date] | None = None
    stamps: tuple[StampLit, ...] = ()
    requests: tuple[RequestLit, ...] = ()
    expectations: tuple[Expectation, ...] = ()
