"""Input lines from the badge reader and keypad, turned into swipes.

A badge reader is a keyboard wedge: it types the badge number and Enter, so
one line is one badge. Keys pressed before the badge prepare the swipe:

- a keypad code (seed 004: code first, then the badge): `*35`, `code 35`, `codice 35`;
- a direction key: `E`/`in`/`entrata` or `U`/`out`/`uscita`;
- `F5` or `?`: the next badge shows its last stamps instead of stamping
  (seed 001: "premere il tasto F5 e attendere che appaia la scritta strisciare").

Several tokens may share a line (`E *35 12345`). What was pressed is
forgotten if no badge follows within `timeout` seconds, so a code left by one
person is never attached to the next person's swipe.

Pure: no I/O and no clock of its own; the caller passes `now`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from terminals.protocol import Direction

DirectionMode = Literal["keys", "alternate", "any"]
DIRECTION_MODES: tuple[str, ...] = ("keys", "alternate", "any")

_BADGE = re.compile(r"[A-Za-z0-9]{1,32}\Z")
_CODE = re.compile(r"[A-Za-z0-9]{1,8}\Z")
_DIRECTION_KEYS: dict[str, Direction] = {
    "e": "in", "in": "in", "entrata": "in",
    "u": "out", "out": "out", "uscita": "out",
}
_CODE_WORDS = frozenset({"code", "codice", "cod"})
_QUERY_KEYS = frozenset({"f5", "?"})
# Keyboard wedges may send control characters around the number (STX/ETX, tabs).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Swipe:
    """A badge read that becomes a stamp."""

    badge: str
    direction: Direction | None
    code: str | None


@dataclass(frozen=True)
class LastStampsRequest:
    """A badge read after F5: show its last stamps, record nothing."""

    badge: str


@dataclass(frozen=True)
class Pending:
    """Keys were pressed; the display invites the badge."""

    direction: Direction | None
    code: str | None
    query: bool


@dataclass(frozen=True)
class Invalid:
    """Something that is neither a key nor a badge; `reason` is for the display."""

    text: str
    reason: str


@dataclass(frozen=True)
class Expired:
    """Keys were pressed but no badge came in time: they were dropped."""


Event = Swipe | LastStampsRequest | Pending | Invalid | Expired


class Reader:
    """Keeps what was pressed until a badge arrives.

    `mode` says what happens when a badge comes without a direction key:
    `any` leaves the direction to the server ("indifferentemente", seed 001),
    `alternate` gives each badge in, out, in… within a day, and `keys`
    refuses the swipe and asks for E or U. A key pressed always wins.
    `codes`, when known (the retained config from the server), limits the
    keypad to the codes of the rules in force.
    """

    def __init__(self, mode: DirectionMode = "any", *, timeout: float = 10.0,
                 codes: frozenset[str] | None = None) -> None:
        if mode not in DIRECTION_MODES:
            raise ValueError(f"direction mode must be one of {DIRECTION_MODES}, not {mode!r}")
        self.mode: DirectionMode = mode
        self.timeout = timeout
        self.codes = codes
        self._direction: Direction | None = None
        self._code: str | None = None
        self._query = False
        self._expecting_code = False
        self._since: datetime | None = None
        self._last_direction: dict[str, tuple[date, Direction]] = {}

    @property
    def pending(self) -> bool:
        return self._since is not None

    def tick(self, now: datetime) -> list[Event]:
        """Drop keys pressed too long ago; call it now and then to clear the display."""
        if self._since is not None and (now - self._since).total_seconds() > self.timeout:
            self._reset()
            return [Expired()]
        return []

    def feed(self, line: str, now: datetime) -> list[Event]:
        """One line typed by the reader or the keypad; returns what the display should show."""
        events = self.tick(now)
        tokens = _CONTROL.sub(" ", line).split()
        for token in tokens:
            event = self._token(token, now)
            # "code 35" is two key presses but one thing to show.
            if isinstance(event, Pending) and events and isinstance(events[-1], Pending):
                events[-1] = event
            else:
                events.append(event)
        return events

    def _token(self, token: str, now: datetime) -> Event:
        word = token.lower()
        if self._expecting_code:
            self._expecting_code = False
            return self._set_code(token, now)
        if word in _DIRECTION_KEYS:
            self._direction = _DIRECTION_KEYS[word]
            return self._pressed(now)
        if word in _CODE_WORDS:
            self._expecting_code = True
            self._since = now
            return Pending(self._direction, None, self._query)
        if token.startswith("*") and len(token) > 1:
            return self._set_code(token[1:], now)
        if word in _QUERY_KEYS:
            self._query = True
            return self._pressed(now)
        if _BADGE.match(token):
            return self._badge(token, now)
        return Invalid(token, "Lettura non valida")

    def _set_code(self, code: str, now: datetime) -> Event:
        if not _CODE.match(code):
            return Invalid(code, "Codice non valido")
        if self.codes is not None and code not in self.codes:
            return Invalid(code, f"Codice {code} non previsto")
        self._code = code
        return self._pressed(now)

    def _pressed(self, now: datetime) -> Pending:
        self._since = now
        return Pending(self._direction, self._code, self._query)

    def _badge(self, badge: str, now: datetime) -> Event:
        direction, code, query = self._direction, self._code, self._query
        self._reset()
        if query:
            return LastStampsRequest(badge)
        if direction is None:
            if self.mode == "keys":
                return Invalid(badge, "Premere E (entrata) o U (uscita) prima del badge")
            if self.mode == "alternate":
                previous = self._last_direction.get(badge)
                direction = ("out" if previous and previous[0] == now.date()
                             and previous[1] == "in" else "in")
        if direction is not None:
            self._last_direction[badge] = (now.date(), direction)
        return Swipe(badge, direction, code)

    def _reset(self) -> None:
        self._direction = None
        self._code = None
        self._query = False
        self._expecting_code = False
        self._since = None
