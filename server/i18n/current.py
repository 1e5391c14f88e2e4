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


def keep_locale(locale: str | None) -> str:
    """Sets the language for the rest of the running task, where no `use_locale` block can
    hold it (a web request's error answered after the middleware that set it returned).
    An ASGI server runs each request in a task of its own, so it ends with the request."""
    _locale.set(pick_locale(locale))
    return _locale.get()


def N_(message: str) -> str:
    """Marks a message id for extraction where it is translated later (a menu label)."""
    return message


# The plural of each message id marked `Nn_`, by its singular. A result keeps one message id,
# the singular, with its arguments; a reader finds the plural here to say the form its count
# asks for (`translated`, `server.engine.notes`).
PLURALS: dict[str, str] = {}


def Nn_(singular: str, plural: str) -> str:
    """Marks a message id that has a plural for extraction (`make messages`: `Nn_:1,2`); the id
    is the singular, and its plural is recorded in `PLURALS`."""
    PLURALS[singular] = plural
    return singular


def translated(message_id: str, count: int | None, locale: str) -> str:
    """`message_id` in `locale`, its fields left to fill: of an id with a plural (`Nn_`), the
    form `count` asks for in that language (None: the singular's)."""
    catalogue = translations(locale)
    plural = PLURALS.get(message_id)
    if plural is None or count is None:
        return catalogue.gettext(message_id)
    return catalogue.ngettext(message_id, plural, count)


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
