"""What the administrator's pages share: the acting user as the office services want it,
form bodies, and office refusals turned into HTTP answers.

Every admin route is `allow(ADMIN)` (a few also OFFICE); the data is always the admin's
own institution's, taken from `user.institution_id`, never from the request.
"""

from __future__ import annotations

from typing import Any, TypeVar

from litestar import Router
from litestar.enums import RequestEncodingType
from litestar.exceptions import (
    NotFoundException,
    ValidationException,
)
from litestar.params import Body

from server.db.models import User
from server.web.dependencies import AuthUser, DbSession
from server.web.identity import CurrentUser
from server.web.scope import NOT_FOUND, in_institution

T = TypeVar("T")
# Ids are 64-bit in every database timbra runs on; a larger one in a URL is no row, and
# SQLite (OverflowError) or PostgreSQL (DataError) would otherwise answer it with a 500.
MAX_ID = 2**63 - 1

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
UPLOAD = Body(media_type=RequestEncodingType.MULTI_PART)
# Pages that show a secret once (a terminal's or a user's password) must not be cached.
NO_STORE = {"Cache-Control": "no-store"}


def actor(db: DbSession, user: AuthUser) -> User:
    """The user's row: the office services check roles and institution on it themselves."""
    row = db.get(User, user.id)
    if row is None:  # the identity middleware loaded it a moment ago
        raise NotFoundException(NOT_FOUND)
    return row


def mine(db: DbSession, model: type[T], row_id: int, user: CurrentUser) -> T:
    """The row with this id if it is the user's institution's; otherwise 404."""
    if not 0 < row_id <= MAX_ID:
        raise NotFoundException(NOT_FOUND)
    return in_institution(db.get(model, row_id), user)


def month_arg(month: str | None) -> tuple[int, int] | None:
    """`YYYY-MM` → (year, month); None when absent; 400 when malformed."""
    if not month:
        return None
    try:
        year, number = (int(part) for part in month.split("-"))
    except ValueError:
        raise ValidationException("month: use YYYY-MM / mese: usare AAAA-MM") from None
    if not (1 <= number <= 12 and 2000 <= year <= 2100):
        raise ValidationException("month: use YYYY-MM / mese: usare AAAA-MM")
    return year, number


def together(*handlers: Any) -> list[Router]:
    """A module's handlers as one Router. Litestar 2.25 registers handlers one by one and,
    each time one joins an existing path, runs `on_registration` again on the path's earlier
    handlers: a `sync_to_thread` handler is then wrapped twice and answers a coroutine (500).
    Registered together, each handler is wrapped once."""
    return [Router("/", route_handlers=list(handlers))]
