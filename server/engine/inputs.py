"""What the engine is fed: stamps (facts) and approved requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["in", "out"]


@dataclass(frozen=True, slots=True)
class Stamp:
    """One badge event on the day being evaluated, in local minutes since midnight."""

    minute: int
    direction: Direction | None = None
    code: str | None = None
    source: str = "terminal"  # terminal, web, app, manual, declared (a missed stamp)


@dataclass(frozen=True, slots=True)
class Request:
    """An approved justification: a code over a span of the day, or the whole day."""

    code: str
    start: int | None = None
    end: int | None = None

    @property
    def whole_day(self) -> bool:
        return self.start is None or self.end is None
