"""Web sessions in the database (server/web/session_store.py), on SQLite and PostgreSQL:
what one process stores another reads, renewal moves the expiry, an expired session is
gone, the purge of expired ones leaves the live ones, and the single sign-ons under way
(the `sso` namespace) stay apart from the sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest
import sqlalchemy as sa

from server.db import make_engine
from server.db.models import WebSession
from server.web.session_store import DatabaseStore


def test_two_processes_share_sessions_and_expiry_holds(db_url: str,
                                                       db_engine: sa.Engine) -> None:
    other_engine = make_engine(db_url)  # as another worker has its own
    first, second = DatabaseStore(db_engine), DatabaseStore(other_engine)

    async def scenario() -> None:
        await first.set("alpha", b'{"uid": 1}', expires_in=3600)
        assert await second.get("alpha") == b'{"uid": 1}'
        await second.set("alpha", "changed", expires_in=60)  # same id: replaced
        assert await first.get("alpha") == b"changed"
        left = await first.expires_in("alpha")
        assert left is not None and 50 <= left <= 60
        await first.get("alpha", renew_for=7200)
        renewed = await second.expires_in("alpha")
        assert renewed is not None and 7100 <= renewed <= 7200
        await first.set("stale", b"old", expires_in=1)
        with db_engine.begin() as connection:  # as if its hour had passed
            connection.execute(sa.update(WebSession).where(WebSession.id == "stale")
                               .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        assert await second.get("stale") is None
        assert not await second.exists("stale")
        await first.set("gone-later", b"x", expires_in=3600)
        await first.delete("gone-later")
        assert await second.get("gone-later") is None and await second.exists("alpha")
        await first.set("expired-too", b"y", expires_in=1)
        with db_engine.begin() as connection:
            connection.execute(sa.update(WebSession).where(WebSession.id == "expired-too")
                               .values(expires_at=datetime.now(UTC) - timedelta(hours=1)))
        await second.delete_expired()
        await first.delete_all()
        assert await second.get("alpha") is None

    try:
        anyio.run(scenario)
    finally:
        other_engine.dispose()


def test_the_expired_are_removed_and_the_live_kept(db_engine: sa.Engine) -> None:
    store = DatabaseStore(db_engine)

    async def scenario() -> list[str]:
        await store.set("live", b"a", expires_in=3600)
        await store.set("dead", b"b", expires_in=3600)
        with db_engine.begin() as connection:
            connection.execute(sa.update(WebSession).where(WebSession.id == "dead")
                               .values(expires_at=datetime.now(UTC) - timedelta(hours=1)))
        await store.delete_expired()
        with db_engine.connect() as connection:
            return list(connection.scalars(sa.select(WebSession.id)))

    assert anyio.run(scenario) == ["live"]


def test_a_namespace_keeps_its_keys_apart_and_a_forged_long_key_names_nothing(
        db_engine: sa.Engine) -> None:
    sessions = DatabaseStore(db_engine)
    pending = sessions.with_namespace("sso")

    async def scenario() -> None:
        await sessions.set("abc", b"a session", expires_in=60)
        await pending.set("abc", b"a sign-in under way", expires_in=60)
        assert await sessions.get("abc") == b"a session"
        assert await pending.get("abc") == b"a sign-in under way"
        await pending.delete_all()  # the sign-ins only
        assert await pending.get("abc") is None and await sessions.get("abc") == b"a session"
        forged = "oidc:" + "x" * 500  # a callback's state is the caller's to choose
        assert await pending.get(forged) is None and await pending.expires_in(forged) is None
        await pending.delete(forged)
        with pytest.raises(ValueError, match="at most 128"):
            await pending.set(forged, b"x")

    anyio.run(scenario)
