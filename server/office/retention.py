"""How long timbra keeps what it needs only for a while, and the purge that enforces it.

- Rejected messages (`rejected_messages`) keep up to 4 KiB of what a terminal sent, badge
  numbers included: kept `rejected_days` to diagnose a terminal, then removed.
- Audit entries (`audit_log`): kept `audit_days`. The purge's own entries are never
  removed, so the record of what was removed, when and how much, stays.
- Expired web sessions: removed at every purge.
- Positions: a phone's position is checked against the area and never stored, so there
  is nothing to keep or remove.

Stamps, corrections and every fact a figure is computed from are never purged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from server.db.models import AuditEntry, Base, RejectedMessage, WebSession
from server.errors import OfficeError
from server.office.audit import record

PURGE_ACTION = "retention_purge"
# Below these, a typo (1 instead of 100) would erase what an inspection may still ask for.
MIN_REJECTED_DAYS = 1
MIN_AUDIT_DAYS = 90
MAX_DAYS = 36_500


@dataclass(frozen=True)
class Retention:
    rejected_days: int = 90  # TIMBRA_RETAIN_REJECTED_DAYS
    audit_days: int = 1825  # TIMBRA_RETAIN_AUDIT_DAYS: five years

    def __post_init__(self) -> None:
        _check("rejected messages", self.rejected_days, MIN_REJECTED_DAYS)
        _check("audit entries", self.audit_days, MIN_AUDIT_DAYS)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> Retention:
        return cls(rejected_days=_days(env, "TIMBRA_RETAIN_REJECTED_DAYS", cls.rejected_days),
                   audit_days=_days(env, "TIMBRA_RETAIN_AUDIT_DAYS", cls.audit_days))


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise OfficeError(f"{name}: un numero di giorni, non {text!r}",
                          f"{name}: a number of days, not {text!r}", field=name)
    return int(text)


def _check(what: str, days: int, minimum: int) -> None:
    if not minimum <= days <= MAX_DAYS:
        raise OfficeError(f"{what}: conservazione tra {minimum} e {MAX_DAYS} giorni, "
                          f"non {days}",
                          f"{what}: keep between {minimum} and {MAX_DAYS} days, not {days}")


@dataclass(frozen=True)
class Purged:
    rejected: int
    audit: int
    sessions: int
    rejected_before: datetime
    audit_before: datetime


def purge(session: Session, retention: Retention, now: datetime, *,
          dry_run: bool = False) -> Purged:
    """Remove what is older than the retention; audited (unless a dry run) in the same
    transaction, so a purge either happened and is recorded or did neither."""
    rejected_before = now - timedelta(days=retention.rejected_days)
    audit_before = now - timedelta(days=retention.audit_days)
    rejected = RejectedMessage.received_at < rejected_before
    audit = (AuditEntry.at < audit_before) & (AuditEntry.action != PURGE_ACTION)
    expired = WebSession.expires_at <= now
    act = _count if dry_run else _delete
    purged = Purged(act(session, RejectedMessage, rejected), act(session, AuditEntry, audit),
                    act(session, WebSession, expired), rejected_before, audit_before)
    if dry_run:
        return purged
    record(session, None, PURGE_ACTION, "retention", {
        "rejected_messages": purged.rejected, "audit_entries": purged.audit,
        "web_sessions": purged.sessions,
        "rejected_before": rejected_before.isoformat(), "audit_before": audit_before.isoformat(),
        "by": os.environ.get("USER") or os.environ.get("LOGNAME") or ""}, now=now)
    return purged


def _count(session: Session, model: type[Base], where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(where)) or 0


def _delete(session: Session, model: type[Base], where: ColumnElement[bool]) -> int:
    result = session.execute(delete(model).where(where))
    return int(result.rowcount)  # type: ignore[attr-defined]
