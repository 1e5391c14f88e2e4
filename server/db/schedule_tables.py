"""The employee's own schedule: effective-dated periods and the rota.

A day no period covers follows the profile of the employee's contract that day
(`server.db.contract_tables`; `Employee.profile` shows today's): the base with its dates
there, the schedule's changes from a date here. The part-time percentage is the
contract's. Read through the hook `timbra_employee_schedules`, whose core default is
`server.days.schedules`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models import Base
from server.db.types import UTCDateTime


class SchedulePeriod(Base):
    """An employee's schedule from `starts` to `ends` (inclusive; None: open-ended): the rule
    file's profile and the ISO weekdays their record chooses where the profile lets each
    employee choose (afternoon returns, a vertical part time's days). A new period trims or
    splits what it overlaps (`server.office.schedules`); `set_by`, `set_at`, `reason` say
    who last shaped the row and why, the audit log keeps every change."""

    __tablename__ = "schedule_periods"
    __table_args__ = (Index("ix_schedule_periods_employee", "employee_id", "starts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date | None] = mapped_column(Date)
    profile: Mapped[str] = mapped_column(String(60))
    chosen: Mapped[str] = mapped_column(String(20), default="")  # ISO weekdays: "2,4"
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def chosen_days(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.chosen.split(",") if d)


class RotaDay(Base):
    """The rota: the shift an employee works on a day. Clearing a day deletes its row (a
    plan, not a fact); the audit log keeps who set or cleared what."""

    __tablename__ = "rota_days"

    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    shift: Mapped[str] = mapped_column(String(40))
    set_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


def weekdays_text(days: frozenset[int] | set[int]) -> str:
    """The stored form of chosen weekdays: sorted, comma-separated."""
    return ",".join(str(d) for d in sorted(days))


ROTA_DAYS: Table = Base.metadata.tables["rota_days"]
SCHEDULE_PERIODS: Table = Base.metadata.tables["schedule_periods"]
