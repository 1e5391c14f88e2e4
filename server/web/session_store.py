"""Web sessions in the database: a Litestar `Store` on the `web_sessions` table.

Every worker process and every machine behind the balancer reads the same rows, so a
person logged in by one worker stays logged in whichever worker answers next, and a
restart logs nobody out. The queries are short and run in a worker thread, off the event
loop, each in its own transaction. `with_namespace("sso")` is the same table under keys
prefixed `sso:` (the single sign-ons under way), so those too are seen by every worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from anyio import to_thread
from litestar.stores.base import NamespacedStore
from sqlalchemy import ColumnElement, Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from server.db.models import WebSession


def _now() -> datetime:
    return datetime.now(UTC)


def _seconds(value: int | timedelta) -> int:
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


KEY_LENGTH = 128  # the column's; a longer key (a forged callback's) names nothing


class DatabaseStore(NamespacedStore):
    def __init__(self, engine: Engine, namespace: str = "") -> None:
        self.engine = engine
        self.namespace = namespace
        self.sessions = sessionmaker(engine)

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(self.engine, f"{self.namespace}{namespace}:")

    def _key(self, key: str) -> str | None:
        full = self.namespace + key
        return full if len(full) <= KEY_LENGTH else None

    async def set(self, key: str, value: str | bytes,
                  expires_in: int | timedelta | None = None) -> None:
        full = self._key(key)
        if full is None:
            raise ValueError(f"a store key is at most {KEY_LENGTH} characters")
        data = value.encode() if isinstance(value, str) else value
        expires = _now() + timedelta(seconds=_seconds(expires_in)) if expires_in else None
        await to_thread.run_sync(self._set, full, data, expires)

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
        full = self._key(key)
        if full is None:
            return None
        return await to_thread.run_sync(self._get, full, renew_for)

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
        full = self._key(key)
        if full is not None:
            await to_thread.run_sync(self._delete, WebSession.id == full)

    async def delete_all(self) -> None:
        """This namespace's keys and those of the namespaces under it."""
        await to_thread.run_sync(self._delete, WebSession.id.startswith(self.namespace,
                                                                       autoescape=True))

    async def delete_expired(self) -> None:
        """Sessions whose cookie never comes back are otherwise kept forever."""
        await to_thread.run_sync(self._delete, WebSession.expires_at <= _now())

    def _delete(self, where: ColumnElement[bool]) -> None:
        with self.sessions.begin() as session:
            session.execute(delete(WebSession).where(where))

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        full = self._key(key)
        return None if full is None else await to_thread.run_sync(self._expires_in, full)

    def _expires_in(self, key: str) -> int | None:
        with self.sessions() as session:
            expires = session.scalar(select(WebSession.expires_at)
                                     .where(WebSession.id == key))
        if expires is None:
            return None
        return max(0, int((expires - _now()).total_seconds()))
