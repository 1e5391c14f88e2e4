"""A small institution for the office tests: employees, users of every role, stamps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from server.db.directory import add_employee, ensure_institution
from server.db.models import Employee, Stamp, User

ROME = ZoneInfo("Europe/Rome")


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def at(day: date, clock: str) -> datetime:
    """A local wall-clock moment in Rome, as an aware UTC datetime."""
    return datetime.combine(day, time()).replace(tzinfo=ROME).astimezone(UTC) + timedelta(
        minutes=hm(clock))


@dataclass
class World:
    session: Session
    institution: str
    employees: dict[str, Employee] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    seq: int = 0

    def employee(self, key: str, *, profile: str = "full_time", unit: str | None = "lab",
                 category: str | None = None) -> Employee:
        employee = add_employee(self.session, self.institution, key.upper(), key.title(),
                                profile=profile, unit=unit, category=category)
        self.employees[key] = employee
        return employee

    def user(self, key: str, role: str, *, employee: str | None = None,
             unit: str | None = None) -> User:
        user = User(institution_id=self.institution, username=f"{self.institution}.{key}",
                    display_name=key.title(), role=role, unit=unit,
                    employee_id=self.employees[employee].id if employee else None,
                    password_hash="x", must_change_password=False, failed_logins=0,
                    active=True, created_at=datetime(2026, 1, 1, tzinfo=UTC))
        self.session.add(user)
        self.session.flush()
        self.users[key] = user
        return user

    def stamps(self, key: str, day: date, text: str) -> None:
        """'in 08:00, out 12:00 code 29' as terminal stamps."""
        for item in text.split(","):
            words = item.split()
            direction, clock = words[0], words[1]
            code = words[3] if len(words) > 3 else None
            self.seq += 1
            moment = at(day, clock)
            self.session.add(Stamp(
                institution_id=self.institution, source="terminal", employee_id=
                self.employees[key].id, terminal_time=moment, received_at=moment,
                local_date=day, local_minute=hm(clock), direction=direction, code=code,
                flags="", void=False, terminal_stamp_id=f"w{self.seq}"))
        self.session.flush()


def world(session: Session, institution: str) -> World:
    """Ann (lab), Bob (lab), Cat (library); a manager of each unit; the office; an admin."""
    ensure_institution(session, institution, institution.title())
    w = World(session, institution)
    w.employee("ann", unit="lab")
    w.employee("bob", unit="lab")
    w.employee("cat", unit="library")
    w.user("ann", "employee", employee="ann")
    w.user("bob", "employee", employee="bob")
    w.user("cat", "employee", employee="cat")
    w.user("lab_head", "manager", unit="lab")
    w.user("library_head", "manager", unit="library")
    w.user("office", "office")
    w.user("admin", "admin")
    session.commit()
    return w
