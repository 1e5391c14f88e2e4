"""Employment contracts: from which day to which an employee is employed, on which profile
of the rule file and at which part-time percentage.

One row per contract or change of contract, each with its dates (inclusive; `ends` None:
open-ended); rows of one employee never overlap (`server.office.contracts` refuses it).
Read through `server.days.employment`, the one home of "employed on a day". A start of
`NO_START` (0001-01-01) means no start on record: the employees that existed before
contracts (migration 0016) and those added without a start date are employed from the
earliest day, as every employee was before.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models import Base
from server.db.types import UTCDateTime

NO_START = date(1, 1, 1)


class ContractRow(Base):
    __tablename__ = "contracts"
    __table_args__ = (Index("ix_contracts_employee", "employee_id", "starts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date | None] = mapped_column(Date)
    profile: Mapped[str] = mapped_column(String(60))
    part_time_percent: Mapped[int] = mapped_column(Integer, default=100)
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: migration, import
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
