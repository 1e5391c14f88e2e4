"""Where a node was written (`Pos`), a value with its position (`At`), and comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Pos:
    """A place in a rule file."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class At(Generic[T]):
    """A value together with the place that wrote it."""

    value: T
    pos: Pos


@dataclass(frozen=True)
class Comment:
    line: int
    text: str
    own_line: bool


@dataclass(frozen=True)
class Source:
    """`source "art. 5 c. 2" "quote"`: the regulation sentence that the statement after it
    implements. `target` is where that statement starts, `target_end` its last line (a
    block's closing brace), so a step cited anywhere inside the block finds its source."""

    ref: str
    quote: str | None
    pos: Pos
    target: Pos
    target_end: int
