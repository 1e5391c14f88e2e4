"""The web's throttle of failed logins and reset requests per client address
(server/web/shared_throttle.py), in the database so that every web worker counts the
same failures and holds the same waits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models import Base
from server.db.types import UTCDateTime

ADDRESS_LENGTH = 64  # an IPv6 address with its zone fits; a longer one is cut


class ThrottledAddress(Base):
    """One client address's recent failures at one door (`kind`: "login", "reset").
    A row past `expires_at` says nothing any more (no failure in the window, no wait
    still counted on) and is deleted by the next sweep."""

    __tablename__ = "login_throttles"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)
    # Wall-clock seconds (time.time) of the failures still in the window: at most FAILURES.
    failures: Mapped[list[float]] = mapped_column(JSON)
    waits: Mapped[int]  # waits imposed since the address last stopped failing for a window
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
