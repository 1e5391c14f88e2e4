"""The tables. Stamps are facts: inserted, never updated or deleted.

A correction is a new `Stamp` row whose `replaces_id` names the row it
supersedes (`void` when the correction removes it), with author and reason.
The stamps in force are those no other row replaces, and that are not void.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.db.types import UTCDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a real bigint.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # as in the rule file
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bumped in the same transaction as any change to its badges or employees
    # (server.db.revision), so the ingest process knows when its cache is stale.
    directory_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Employee(Base):
    __tablename__ = "employees"
    __table_args__ = (UniqueConstraint("institution_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))  # matricola
    name: Mapped[str] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(60))  # a profile of the rule file
    category: Mapped[str | None] = mapped_column(String(60))
    part_time_percent: Mapped[int] = mapped_column(Integer, default=100)
    unit: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the office deactivated them (None while active, and on rows deactivated before
    # this column existed): the ingest still accepts stamps taken before it, replayed late.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Badge(Base):
    """A badge number; a replaced badge is revoked, never reassigned silently."""

    __tablename__ = "badges"
    __table_args__ = (UniqueConstraint("institution_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    code: Mapped[str] = mapped_column(String(32))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Terminal(Base):
    __tablename__ = "terminals"
    __table_args__ = (UniqueConstraint("institution_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    code: Mapped[str] = mapped_column(String(40))  # the <terminal> level of its topics
    location: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str] = mapped_column(String(100), unique=True)  # broker login
    password_hash: Mapped[str] = mapped_column(String(300))  # mosquitto_passwd format
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="never")  # online/offline/never
    clock_skew_s: Mapped[int | None] = mapped_column(Integer)  # terminal clock minus ours
    queued: Mapped[int] = mapped_column(Integer, default=0)  # stamps awaiting an ack
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Stamp(Base):
    __tablename__ = "stamps"
    __table_args__ = (
        # The durability contract: one row per (terminal, sequence), ever. The institution
        # leads the key so a table partitioned or distributed by it can keep the key.
        UniqueConstraint("institution_id", "terminal_id", "seq",
                         name="uq_stamps_institution_terminal_seq"),
        Index("ix_stamps_employee_day", "employee_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    source: Mapped[str] = mapped_column(String(20))  # terminal, web, app, manual
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    terminal_stamp_id: Mapped[str | None] = mapped_column(String(64))
    badge: Mapped[str | None] = mapped_column(String(32))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    terminal_time: Mapped[datetime] = mapped_column(UTCDateTime())  # when it happened
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    local_date: Mapped[date] = mapped_column(Date)  # in the institution's time zone
    local_minute: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str | None] = mapped_column(String(3))
    code: Mapped[str | None] = mapped_column(String(8))
    # Comma-separated: future, skewed, double_swipe, late (replayed after its day).
    flags: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str | None] = mapped_column(Text)  # the canonical payload, to tell duplicates
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("stamps.id"))
    void: Mapped[bool] = mapped_column(Boolean, default=False)
    author: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)


class StampConflict(Base):
    """A second message with a stored (terminal, seq) but a different body."""

    __tablename__ = "stamp_conflicts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    stamp_id: Mapped[int] = mapped_column(ForeignKey("stamps.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[str] = mapped_column(Text)


class RejectedMessage(Base):
    __tablename__ = "rejected_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    topic: Mapped[str] = mapped_column(String(300))
    institution_id: Mapped[str | None] = mapped_column(String(40))
    terminal_code: Mapped[str | None] = mapped_column(String(40))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)  # at most 4 KiB, undecodable bytes escaped


class DayResultRow(Base):
    """The engine's result for one employee-day, recomputed whenever its stamps change."""

    __tablename__ = "day_results"

    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    worked: Mapped[int] = mapped_column(Integer)
    due: Mapped[int] = mapped_column(Integer)
    balance: Mapped[int] = mapped_column(Integer)
    anomalies: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    stamps_seen: Mapped[int] = mapped_column(Integer)  # stamps in force when computed
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- the web side: people who log in, what they ask, what the office decides ------------


class User(Base):
    """Someone who logs in. Every user belongs to one institution and sees only it."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # employee, manager, office, admin
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    unit: Mapped[str | None] = mapped_column(String(120))  # a manager approves for this unit
    password_hash: Mapped[str] = mapped_column(String(300))  # argon2
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Lockouts since the last successful login: each lasts twice the one before.
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    email: Mapped[str | None] = mapped_column(String(254))  # where notifications go, if set
    language: Mapped[str | None] = mapped_column(String(5))  # of the e-mails; None: Italian


class Request(Base):
    """What an employee asks: a justification, a missed stamp, overtime paid or banked."""

    __tablename__ = "requests"
    __table_args__ = (Index("ix_requests_employee_day", "employee_id", "day"),
                      # the month close's pre-check: a month's pending requests
                      Index("ix_requests_institution_state_day", "institution_id", "state",
                            "day"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    kind: Mapped[str] = mapped_column(String(20))  # justification, missed_stamp, overtime
    code: Mapped[str | None] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    start_minute: Mapped[int | None] = mapped_column(Integer)  # None with end: whole day
    end_minute: Mapped[int | None] = mapped_column(Integer)
    direction: Mapped[str | None] = mapped_column(String(3))  # a missed stamp's direction
    overtime_mode: Mapped[str | None] = mapped_column(String(10))  # paid, banked
    notes: Mapped[str] = mapped_column(Text, default="")  # or a missed stamp's circumstances
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    # pending, approved, rejected, withdrawn
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)


class MonthClose(Base):
    """A month's close: progress while closing, then locked; a reopen is audited."""

    __tablename__ = "month_closes"
    __table_args__ = (UniqueConstraint("institution_id", "year", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12))  # closing, closed, reopened
    done: Mapped[int] = mapped_column(Integer, default=0)  # employees evaluated so far
    total: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    institution_id: Mapped[str | None] = mapped_column(String(40), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))  # login_failed, request_approved, …
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class BadgeFee(Base):
    """Badge replacement charged per the rule file's fees (seed: 5 € first, 10 € after)."""

    __tablename__ = "badge_fees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    badge_code: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(40))  # lost, damaged, demagnetised, …
    amount_cents: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RuleVersion(Base):
    """A rule file uploaded by an administrator: checked, dry-run, then active from a date."""

    __tablename__ = "rule_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    file_name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))  # draft, active, retired
    active_from: Mapped[date | None] = mapped_column(Date)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Geofence(Base):
    """The area inside which a phone may stamp (seed 002); positions are never stored."""

    __tablename__ = "geofences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    name: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[int] = mapped_column(Integer)


class TerminalFault(Base):
    """A terminal fault report (seed 002, "segnalazione guasti"): where, what it does, whom
    to call, and its state as it is followed up. `history` keeps every state change."""

    __tablename__ = "terminal_faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    description: Mapped[str] = mapped_column(Text)  # on, off, lights, sounds, …
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(60), default="")
    unit_head: Mapped[str] = mapped_column(String(200), default="")  # responsabile dell'unità
    state: Mapped[str] = mapped_column(String(12), default="open")  # open, working, closed
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reported_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DirtyDay(Base):
    """An employee-day whose stamps changed and whose result is not yet recomputed.

    Written in the same transaction as the stamps, so a crash between the commit
    and the recompute cannot leave a day result stale: the worker finds it here.
    """

    __tablename__ = "dirty_days"

    # The institution is part of the key, as in the stamps' (migration 0013).
    institution_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime())



class MonthCloseEntry(Base):
    """One employee of a month's close, fixed when the close begins, and their figures.

    The close evaluates the entries not yet `done` in employee order and marks each done
    in the same transaction as its figures, so a close resumed after a crash neither skips
    nor repeats anyone, whoever was deactivated or added meanwhile. `evaluations` counts
    the committed evaluations of the entry: 1 once the close is over.
    """

    __tablename__ = "month_close_entries"
    # An employee's entries across closes: the hours account's latest frozen closing.
    __table_args__ = (Index("ix_month_close_entries_employee", "employee_id",
                            "month_close_id"),)

    month_close_id: Mapped[int] = mapped_column(ForeignKey("month_closes.id"),
                                                primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    evaluations: Mapped[int] = mapped_column(Integer, default=0)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The month's figures in minutes (meal vouchers and anomalies are counts); None until done.
    worked: Mapped[int | None] = mapped_column(Integer)
    due: Mapped[int | None] = mapped_column(Integer)
    balance: Mapped[int | None] = mapped_column(Integer)
    overtime_paid: Mapped[int | None] = mapped_column(Integer)
    overtime_banked: Mapped[int | None] = mapped_column(Integer)
    to_recover: Mapped[int | None] = mapped_column(Integer)
    negative_flex: Mapped[int | None] = mapped_column(Integer)
    unjustified: Mapped[int | None] = mapped_column(Integer)
    meal_vouchers: Mapped[int | None] = mapped_column(Integer)
    anomalies: Mapped[int | None] = mapped_column(Integer)
    account_closing: Mapped[int | None] = mapped_column(Integer)  # the hours account, frozen
    # None is SQL NULL (no account kept), not JSON null: readers filter on IS NOT NULL.
    account_debts: Mapped[list[Any] | None] = mapped_column(
        JSON(none_as_null=True))  # its debts with their dates
    # The leave days the account drew in the month (`server.days.account.frozen_accounts`).
    account_leave: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))


class WebSession(Base):
    """A logged-in web session (server/web/session_store.py), shared by every web worker
    and machine: kept in the database, not in files beside one process."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


# The tables as Core objects, for bulk statements that need no ORM objects.
STAMPS: Table = Base.metadata.tables["stamps"]
DAY_RESULTS: Table = Base.metadata.tables["day_results"]
DIRTY_DAYS: Table = Base.metadata.tables["dirty_days"]
MONTH_CLOSES: Table = Base.metadata.tables["month_closes"]
MONTH_CLOSE_ENTRIES: Table = Base.metadata.tables["month_close_entries"]
