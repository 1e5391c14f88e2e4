"""What handlers can ask for by parameter name: `db: DbSession` (the request's unit of
work) and `user: AuthUser` (the CurrentUser of a guarded route).

The unit of work is one Session per request: committed when the handler returns (after
its response is built, before it is sent, so a failed commit is a 500, never a false
success), rolled back when the handler raises. Handlers do not commit. A page that
shows its form again after a refusal wraps the refused change in `db.begin_nested()`,
so what the service flushed is undone and the form's queries see the month as it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from anyio import to_thread
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.orm import Session

from server.web.guards import current_user
from server.web.identity import CurrentUser


async def provide_db(state: State) -> AsyncIterator[Session]:
    session = Session(state.engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await to_thread.run_sync(session.rollback)
        raise
    else:  # commit and close block on the database: not on the event loop
        await to_thread.run_sync(session.commit)
        for action in session.info.pop(AFTER_COMMIT, []):
            action()
    finally:
        await to_thread.run_sync(session.close)


AFTER_COMMIT = "timbra_after_commit"


def after_commit(session: Session, action: Callable[[], object]) -> None:
    """Run `action` once the request's changes are committed (never if they are rolled
    back): a thread that reads them, like the month close's, must not start before."""
    session.info.setdefault(AFTER_COMMIT, []).append(action)


def provide_user(request: Request[Any, Any, Any]) -> CurrentUser:
    return current_user(request)


DbSession = NamedDependency[Session]
AuthUser = NamedDependency[CurrentUser]
