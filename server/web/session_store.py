"""Web sessions in the database: a Litestar `Store` on the `web_sessions` table.

Every worker process and every machine behind the balancer reads the same rows, so a
person logged in by one worker stays logged in whichever worker answers next, and a
restart logs nobody out. The queries are short and run in a worker thread, off the event
loop, each in its own transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from anyio import to_thread
from litestar.stores.base import Store
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from server.db.models import WebSession


def _now() -> datetime:
    return datetime.now(UTC)


def _seconds(value: int | timedelta) -> int:
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


class DatabaseStore(Store):
    def __init__(self, engine: Engine) -> None:
        self.sessions = sessionmaker(engine)

    async def set(self, key: str, value: str | bytes,
                  expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        expires = _now() + timedelta(seconds=_seconds(expires_in)) if expires_in else None
        await to_thread.run_sync(self._set, key, data, expires)

    def _set(self, key: str, data: bytes, expires: datetime | None) -> None:
        values = {"data": data, "expires_at": expires}
        for _ in range(2):  # two workers may create the same id at once: the loser updates
            with self.sessions.begin() as session:
                if session.execute(update(WebSession).where(WebSession.id == key)
                                   .values(**values)).rowcount:  # type: ignore[attr-defined]
                    return
            try:
                with self.sessions.begin() as session:
                    session.add(WebSession(id=key, **values))
                return
            except IntegrityError:
                continue

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await to_thread.run_sync(self._get, key, renew_for)

    def _get(self, key: str, renew_for: int | timedelta | None) -> bytes | None:
        with self.sessions.begin() as session:
            row = session.get(WebSession, key)
            if row is None:
                return None
            now = _now()
            if row.expires_at is not None and row.expires_at <= now:
                session.delete(row)
                return None
            if renew_for and row.expires_at is not None:
                row.expires_at = now + timedelta(seconds=_seconds(renew_for))
            return row.data

    async def delete(self, key: str) -> None:
        await to_thread.run_sync(self._delete, WebSession.id == key)

    async def delete_all(self) -> None:
        await to_thread.run_sync(self._delete, None)

    async def delete_expired(self) -> None:
        """Sessions whose cookie never comes back are otherwise kept forever."""
        await to_thread.run_sync(self._delete, WebSession.expires_at <= _now())

    def _delete(self, where: object) -> None:
        statement = delete(WebSession)
        if where is not None:
            statement = statement.where(where)  # type: ignore[arg-type]
        with self.sessions.begin() as session:
            session.execute(statement)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        return await to_thread.run_sync(self._expires_in, key)

    def _expires_in(self, key: str) -> int | None:
        with self.sessions() as session:
            expires = session.scalar(select(WebSession.expires_at)
                                     .where(WebSession.id == key))
        if expires is None:
            return None
        return max(0, int((expires - _now()).total_seconds()))
