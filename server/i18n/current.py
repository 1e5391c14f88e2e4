"""The language of what is being rendered now, and translation into it.

A request (or a command) sets it once with `use_locale`; everything rendered inside reads
it, in the event loop and in the worker threads Litestar copies the context into.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from server.i18n.catalogues import DEFAULT, LOCALES, translations

_locale: ContextVar[str] = ContextVar("timbra_locale", default=DEFAULT)
# The time zone times are shown in: the reader's institution's (the web sets it per request).
_zone: ContextVar[str] = ContextVar("timbra_zone", default="Europe/Rome")


def current_locale() -> str:
    return _locale.get()


def pick_locale(wanted: str | None) -> str:
    """A supported locale: the one asked for, else Italian."""
    return wanted if wanted in LOCALES else DEFAULT


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    token = _locale.set(pick_locale(locale))
    try:
        yield _locale.get()
    finally:
        _locale.reset(token)


def N_(message: str) -> str:
    """Marks a message id for extraction where it is translated later (a menu label)."""
    return message


def either(italian: str, english: str) -> str:
    """Of a refusal the office words in both languages, the half the reader reads."""
    return english if _locale.get() == "en" else italian


def current_zone() -> str:
    return _zone.get()


@contextmanager
def use_zone(zone: str) -> Iterator[str]:
    token = _zone.set(zone)
    try:
        yield zone
    finally:
        _zone.reset(token)


def gettext(message: str, **params: object) -> str:
    """`message` in the current language, with `%(name)s` placeholders filled."""
    text = translations(_locale.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(_locale.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}
