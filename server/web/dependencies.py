"""What handlers can ask for by parameter name: `db: DbSession` (a SQLAlchemy Session,
closed after the response) and `user: AuthUser` (the CurrentUser of a guarded route)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.orm import Session

from server.web.guards import current_user
from server.web.identity import CurrentUser


def provide_db(state: State) -> Iterator[Session]:
    """One Session per request, closed after the response; handlers commit what they change."""
    with Session(state.engine, expire_on_commit=False) as session:
        yield session


def provide_user(request: Request[Any, Any, Any]) -> CurrentUser:
    return current_user(request)


DbSession = NamedDependency[Session]
AuthUser = NamedDependency[CurrentUser]
