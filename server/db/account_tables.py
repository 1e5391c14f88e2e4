"""The hours account's opening balances: where an employee's account starts.

An institution adopting timbra imports each employee's balance on a start date (the first
day of a month); the account is carried from there (`server.days.account`). A closed month
keeps its closing balance frozen in `month_close_entries` (`account_closing`,
`account_debts`), so the carry restarts from the latest closed month. Each month that is
over keeps its computed closing in `account_months` until a fact dated in it or before
changes (`server.days.account_months`): a page carries from there, not from January."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models import Base
from server.db.types import UTCDateTime


class AccountOpening(Base):
    """An employee's account balance (minutes, negative: a debt) when `starts` begins."""

    __tablename__ = "account_openings"
    __table_args__ = (UniqueConstraint("employee_id", "starts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    starts: Mapped[date] = mapped_column(Date)  # the first day of a month
    balance: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountMonthRow(Base):
    """An employee's account when a month that is over closes (minutes, and its debts
    with their dates), as the carry computed it from the facts in force."""

    __tablename__ = "account_months"

    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    balance: Mapped[int] = mapped_column(Integer)
    debts: Mapped[list[Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
