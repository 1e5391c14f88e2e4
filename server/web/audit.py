"""The audit log: who did what, when, in which institution. Never a password."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from server.db.models import AuditEntry


def audit(session: Session, action: str, *, institution_id: str | None, user_id: int | None,
          target: str = "", **detail: Any) -> AuditEntry:
    """Add an entry to `session`; the caller commits it with the change it records."""
    entry = AuditEntry(at=datetime.now(UTC), institution_id=institution_id, user_id=user_id,
                       action=action, target=target[:200], detail=detail)
    session.add(entry)
    return entry
