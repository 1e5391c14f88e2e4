"""Yearly allowances already used when an institution adopts timbra.

One row per employee, name and start day: on `starts` the employee had already used
`minutes` of the year's allowance (the rule file's `allowance` name), of a code's yearly
limit (`max … per year`), or of the overtime block's (`overtime`). The months of that year
from `starts` on count these minutes before their own (`server.days.allowance_openings`),
so "36 h a year" is checked against what the old system counted plus what timbra counts.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models import Base
from server.db.types import UTCDateTime


class AllowanceOpening(Base):
    __tablename__ = "allowance_openings"
    __table_args__ = (UniqueConstraint("employee_id", "name", "starts",
                                       name="uq_allowance_openings"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    name: Mapped[str] = mapped_column(String(60))
    starts: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
