"""The one error type of the office services, worded for the person who caused it.

Messages are Italian first and English second, as the pages show them; the
two halves are kept apart too, so the JSON API can return either.
"""

from __future__ import annotations


class OfficeError(ValueError):
    """A request the rules or the roles refuse, told plainly."""

    def __init__(self, italian: str, english: str, *, field: str | None = None) -> None:
        self.italian = italian
        self.english = english
        self.field = field  # the form field at fault, when there is one
        super().__init__(f"{italian} / {english}")


class NotAllowed(OfficeError):
    """The user's role, unit or institution does not allow this."""


class MonthClosed(OfficeError):
    """The month is closed (or being closed): nothing in it may change."""


class NotFound(OfficeError):
    """No such record in the user's institution."""


class Busy(OfficeError):
    """The server is at its limit for this kind of work right now: try again shortly."""
