"""Litestar's own refusals of a request's data, reworded in the reader's language.

When a JSON body, a form or a query/path parameter does not convert to what the route
declares, Litestar raises `ValidationException("Validation failed for POST /api/…")` whose
`extra` items carry msgspec's English ("Expected `int`, got `str`"); a required parameter
left out, or a body that is not JSON, is refused in English too. The error handler asks
`reworded` for each refusal: it answers only those Litestar itself raised (a route's own
`ValidationException(gettext(...))` is already in the reader's language) with one detail
from the catalogue and, per item, its `key` and `source` with a message of ours.

msgspec's messages are matched by their shape; one this module does not know becomes
"invalid value", never its English.

Litestar's refusals of the request itself (a Content-Length that is no number or beyond the
limit, a multipart form it cannot parse, a missing CSRF token) are matched by the start of
their English; any other of its refusals (a method the path does not take, a path no route
has) is worded by its status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from litestar.exceptions import HTTPException, SerializationException, ValidationException

from server.i18n.current import N_, gettext

INVALID_DATA = N_("The request's data are not valid")
NOT_JSON = N_("The request's body is not valid JSON")
BAD_LENGTH = N_("The request's Content-Length header is not a valid length")
NOT_MULTIPART = N_("The request's form is not valid multipart/form-data")
TOO_LARGE = N_("Request too large")
CSRF_REFUSED = N_("The form's security token is missing or no longer valid: "
                  "reload the page and try again")
# Litestar's English (as its detail starts) for each refusal it words itself.
PLAIN: tuple[tuple[str, str], ...] = (
    ("Invalid content-length", BAD_LENGTH),
    ("Invalid multipart/form-data", NOT_MULTIPART),
    ("Unexpected eof in multipart/form-data", NOT_MULTIPART),
    ("multipart boundary missing", NOT_MULTIPART),
    # A body beyond the limit, or a multipart form of too many parts (a 400 for that).
    ("Request Entity Too Large", TOO_LARGE),
    ("CSRF token verification failed", CSRF_REFUSED),
)
# Any other of Litestar's refusals, by its status; else `BAD_REQUEST` or `SERVER_FAULT`.
BY_STATUS = {
    401: N_("Login required"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    413: TOO_LARGE,
}
BAD_REQUEST = N_("The request is not valid")
SERVER_FAULT = N_("Something went wrong on the server")

# What a wrong-typed value should have been, by msgspec's name of the type.
EXPECTED = {
    "int": N_("expected an integer"),
    "float": N_("expected a number"),
    "str": N_("expected a text"),
    "bool": N_("expected true or false"),
    "array": N_("expected a list"),
    "object": N_("expected an object"),
}
WRONG_TYPE = N_("a value of another type was expected")
MISSING = N_("required field missing")
UNKNOWN_FIELD = N_("unknown field")
TOO_LONG = N_("too long (at most %(limit)s)")
TOO_SHORT = N_("too short (at least %(limit)s)")
OUT_OF_RANGE = N_("out of range (%(bound)s)")
BAD_DATE = N_("not a valid date (YYYY-MM-DD)")
INVALID = N_("invalid value")

_TYPE = re.compile(r"Expected `(?P<expected>[^`]+)`, got `[^`]+`")
_LENGTH = re.compile(r"Expected `[^`]+` of length (?P<op>[<>]=?) (?P<limit>\d+)")
_RANGE = re.compile(r"Expected `[^`]+` (?P<op>[<>]=?) (?P<bound>\S+)")
_FIELD = re.compile(r"Object (?P<what>missing required|contains unknown) field `(?P<name>[^`]*)`")
_MISSING_PARAMETER = re.compile(r"Missing required (?P<source>\w+) parameter '(?P<key>[^']*)'")
# The bound as a reader writes it, in either language.
_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


@dataclass(frozen=True)
class Reworded:
    detail: str
    extra: list[dict[str, Any]] | None


def reworded(exc: HTTPException) -> Reworded | None:
    """The refusal in the reader's words, if Litestar raised it; None for any other."""
    if not _raised_by_litestar(exc):
        return None
    if isinstance(exc.__cause__, SerializationException):
        return Reworded(gettext(NOT_JSON), None)
    plain = next((ours for english, ours in PLAIN if str(exc.detail).startswith(english)),
                 None)
    if plain is not None:
        return Reworded(gettext(plain), None)
    if not isinstance(exc, ValidationException):
        fallback = SERVER_FAULT if exc.status_code >= 500 else BAD_REQUEST
        return Reworded(gettext(BY_STATUS.get(exc.status_code, fallback)), None)
    if isinstance(exc.extra, list):
        return Reworded(gettext(INVALID_DATA), [_item(i) for i in exc.extra
                                                if isinstance(i, dict)])
    missing = _MISSING_PARAMETER.match(str(exc.detail))
    extra = [{"key": missing["key"], "source": missing["source"],
              "message": gettext(MISSING)}] if missing else None
    return Reworded(gettext(INVALID_DATA), extra)


def _raised_by_litestar(exc: BaseException) -> bool:
    """Whose refusal it is: the module of the frame that raised it. A route's own
    `ValidationException` is raised in `server.web.routes`, already translated."""
    trace = exc.__traceback__
    if trace is None:
        return False
    while trace.tb_next is not None:
        trace = trace.tb_next
    module = str(trace.tb_frame.f_globals.get("__name__", ""))
    return module == "litestar" or module.startswith("litestar.")


def _item(item: dict[str, Any]) -> dict[str, Any]:
    """One item: its key and source kept, its message ours. A missing or unknown field is
    named by the message alone (the key is the object holding it), so the key names it."""
    said = str(item.get("message", ""))
    kept: dict[str, Any] = {name: item[name] for name in ("key", "source") if name in item}
    field = _FIELD.fullmatch(said)
    if field:
        holder = kept.get("key", "data")
        kept["key"] = field["name"] if holder == "data" else f"{holder}.{field['name']}"
        known = field["what"] == "contains unknown"
        return {**kept, "message": gettext(UNKNOWN_FIELD if known else MISSING)}
    return {**kept, "message": message_of(said)}


def message_of(said: str) -> str:
    """msgspec's English for one value, as the reader's message."""
    if wrong := _TYPE.fullmatch(said):
        wanted = [t for t in wrong["expected"].split(" | ") if t != "null"]
        one = wanted[0] if len(wanted) == 1 else ""
        return gettext(EXPECTED.get(one, WRONG_TYPE))
    if length := _LENGTH.fullmatch(said):
        longest = length["op"].startswith("<")
        return gettext(TOO_LONG if longest else TOO_SHORT, limit=length["limit"])
    if bound := _RANGE.fullmatch(said):
        return gettext(OUT_OF_RANGE, bound=f"{_SIGNS[bound['op']]} {bound['bound']}")
    if said == "Invalid RFC3339 encoded date":
        return gettext(BAD_DATE)
    return gettext(INVALID)
