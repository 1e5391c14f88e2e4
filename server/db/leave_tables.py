"""Opening balances of leave in days, recorded when an institution adopts timbra.

One row per employee and leave (the rule file's `leave` name): on `on`, `left_halves` of
that year's own days were left and `carried_halves` of the year before's (they lapse at
the rule's carry date). Draws before `on` are in these figures; the engine counts the
draws from `on` on (`server.engine.leave`). Amounts are half days, as the engine counts.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models import Base
from server.db.types import UTCDateTime


class LeaveOpening(Base):
    __tablename__ = "leave_openings"
    __table_args__ = (UniqueConstraint("employee_id", "leave", name="uq_leave_openings"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    leave: Mapped[str] = mapped_column(String(60))
    on: Mapped[date] = mapped_column(Date)
    left_halves: Mapped[int] = mapped_column(Integer)
    carried_halves: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
