"""The audit log: every state change the office services make, with who and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import AuditEntry, User


def utcnow() -> datetime:
    return datetime.now(UTC)


def record(session: Session, user: User | None, action: str, target: str,
           detail: dict[str, Any] | None = None, *, institution_id: str | None = None,
           now: datetime | None = None) -> AuditEntry:
    """Add one entry; `institution_id` defaults to the user's."""
    entry = AuditEntry(**entry_row(user, action, target, detail,
                                   institution_id=institution_id, now=now))
    session.add(entry)
    session.flush()
    return entry


def entry_row(user: User | None, action: str, target: str,
              detail: dict[str, Any] | None = None, *, institution_id: str | None = None,
              now: datetime | None = None) -> dict[str, Any]:
    """One entry's columns, as `record` adds it: for a service that inserts many at once."""
    return {"at": now or utcnow(),
            "institution_id": institution_id or (user.institution_id if user else None),
            "user_id": user.id if user else None, "action": action, "target": target,
            "detail": detail or {}}


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit page; all optional but the institution."""

    institution_id: str
    action: str | None = None
    user_id: int | None = None
    target_prefix: str | None = None  # "request:12", "employee:", "month:2026-03"
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200
    offset: int = 0


def user_named(session: Session, institution_id: str, username: str) -> int | None:
    """The id of the institution's user of that name: a name from elsewhere finds none."""
    return session.scalar(select(User.id).where(
        User.username == username, User.institution_id == institution_id))


def usernames(session: Session, entries: list[AuditEntry]) -> dict[int, str]:
    """Who made each of these entries, by user id."""
    ids = {e.user_id for e in entries if e.user_id}
    return dict(list(session.execute(
        select(User.id, User.username).where(User.id.in_(ids))).all()))


def audit_actions(session: Session, institution_id: str) -> list[str]:
    """The actions the institution's log holds, to filter it by, sorted."""
    return sorted(session.scalars(select(AuditEntry.action).where(
        AuditEntry.institution_id == institution_id).distinct()))


def audit_log(session: Session, query: AuditQuery) -> list[AuditEntry]:
    """Newest first; only the institution's own entries."""
    stmt = select(AuditEntry).where(AuditEntry.institution_id == query.institution_id)
    if query.action:
        stmt = stmt.where(AuditEntry.action == query.action)
    if query.user_id is not None:
        stmt = stmt.where(AuditEntry.user_id == query.user_id)
    if query.target_prefix:
        stmt = stmt.where(AuditEntry.target.startswith(query.target_prefix, autoescape=True))
    if query.since is not None:
        stmt = stmt.where(AuditEntry.at >= query.since)
    if query.until is not None:
        stmt = stmt.where(AuditEntry.at < query.until)
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return list(session.scalars(stmt.limit(query.limit).offset(query.offset)))
