"""Who and what the server knows: institutions, employees with badges, terminals.

Small, explicit writes used by the CLI, the demo loader and the tests. Each
function adds to the given session and leaves the commit to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.broker_passwords import hash_password, new_password
from server.db.contract_tables import NO_START, ContractRow
from server.db.models import Badge, Employee, Institution, Terminal
from terminals.protocol import valid_name


class DirectoryError(ValueError):
    """A registration that cannot be made, told plainly."""


def now() -> datetime:
    return datetime.now(UTC)


def ensure_institution(session: Session, institution_id: str, name: str) -> Institution:
    found = session.get(Institution, institution_id)
    if found is None:
        found = Institution(id=institution_id, name=name, created_at=now())
        session.add(found)
        session.flush()
    return found


def add_employee(session: Session, institution_id: str, number: str, name: str, *,
                 profile: str = "full_time", badge: str | None = None,
                 category: str | None = None, part_time_percent: int = 100,
                 unit: str | None = None, start: date | None = None) -> Employee:
    """A new employee and their first contract, open-ended from `start` (None: no start
    on record, employed from the earliest day; `server.db.contract_tables`)."""
    employee = Employee(institution_id=institution_id, number=number, name=name,
                        profile=profile, category=category,
                        part_time_percent=part_time_percent, unit=unit, active=True)
    session.add(employee)
    session.flush()
    session.add(ContractRow(institution_id=institution_id, employee_id=employee.id,
                            starts=start or NO_START, ends=None, profile=profile,
                            part_time_percent=part_time_percent, reason="", set_at=now()))
    if badge is not None:
        add_badge(session, employee, badge)
    return employee


def add_badge(session: Session, employee: Employee, code: str) -> Badge:
    taken = session.scalar(select(Badge).where(
        Badge.institution_id == employee.institution_id, Badge.code == code))
    if taken is not None:
        raise DirectoryError(f"badge {code} is already issued in {employee.institution_id}")
    badge = Badge(institution_id=employee.institution_id, code=code,
                  employee_id=employee.id, issued_at=now())
    session.add(badge)
    session.flush()
    return badge


@dataclass(frozen=True)
class NewTerminal:
    terminal: Terminal
    password: str  # shown once; only its hash is stored


def add_terminal(session: Session, institution_id: str, code: str,
                 location: str = "") -> NewTerminal:
    if not valid_name(code):
        raise DirectoryError(
            f"terminal id {code!r}: use lowercase letters, digits, '-' or '_' (at most 40)")
    if session.get(Institution, institution_id) is None:
        raise DirectoryError(f"unknown institution {institution_id!r}")
    exists = session.scalar(select(Terminal).where(
        Terminal.institution_id == institution_id, Terminal.code == code))
    if exists is not None:
        raise DirectoryError(f"terminal {code!r} already exists in {institution_id}")
    password = new_password()
    terminal = Terminal(institution_id=institution_id, code=code, location=location,
                        username=terminal_username(institution_id, code),
                        password_hash=hash_password(password), created_at=now(),
                        status="never", queued=0, last_seq=0)
    session.add(terminal)
    session.flush()
    return NewTerminal(terminal, password)


def terminal_username(institution_id: str, code: str) -> str:
    return f"{institution_id}.{code}"


def terminal_could_use(client_id: str) -> bool:
    """Whether a terminal may connect with this MQTT client id: its username
    (`<institution>.<terminal>`, the id Mosquitto and the embedded broker give it) or its
    own default (`timbra-<institution>-<terminal>`, `terminals/session.py`). The server's
    client must never be one: a terminal connecting with it would disconnect the server."""
    return "." in client_id or (client_id.startswith("timbra-") and client_id.count("-") >= 2)
