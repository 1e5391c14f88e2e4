"""The notifications people are told of, one table: `server.office.notifications` writes
them, `server.office.outbox` delivers their e-mails."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models import Base, BigId
from server.db.types import UTCDateTime


class Notification(Base):
    """Something a user is told: listed on their home page and, with an e-mail address,
    delivered by the outbox sender (`server.office.outbox`).

    Written in the same transaction as the change it tells of, so an SMTP server that is
    down loses nothing; `event_key` makes telling the same event twice a no-op.
    `email_state`: pending (to send), sent, failed (gave up), none (no address).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "event_key", name="uq_notifications_user_event"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_email_due", "email_state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))  # request_filed, request_decided, …
    event_key: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)  # filled into the message
    link: Mapped[str] = mapped_column(String(200))  # the page that deals with it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
