"""Demo accounts for the four demo institutions: an employee linked to a demo person, a
manager of the demo unit, a personnel-office clerk and an administrator.

Their passwords are fixed and printed by `timbra run`: demo data only, public by design.
They still must be changed at the first login, as a real one-time password must.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from server.db.models import Employee, Institution, User
from server.office.accounts import add_user

DEMO_UNIT = "Ufficio demo"
# (role, username suffix, demo employee number or None)
ACCOUNTS = (("employee", "dipendente", "M001"), ("manager", "responsabile", "M002"),
            ("office", "personale", None), ("admin", "admin", None))


@dataclass(frozen=True)
class DemoUser:
    institution: str
    username: str
    role: str
    password: str
    changed: bool  # the password was already changed, so the printed one no longer works


def demo_password(institution: str, role: str) -> str:
    """Fixed and public (demo only); a digit and a letter, 10+ characters, for every policy."""
    return f"demo-{institution}-{role}-1"


def create_demo_users(engine: Engine) -> list[DemoUser]:
    """Create the demo accounts that are missing; the demo people join the demo unit."""
    made: list[DemoUser] = []
    with Session(engine) as session, session.begin():
        for institution in session.scalars(select(Institution.id).order_by(Institution.id)):
            employees = {e.number: e for e in session.scalars(select(Employee).where(
                Employee.institution_id == institution))}
            if not employees:
                continue
            for employee in employees.values():
                employee.unit = employee.unit or DEMO_UNIT
            for role, suffix, number in ACCOUNTS:
                username = f"{institution}.{suffix}"
                password = demo_password(institution, role)
                found = session.scalar(select(User).where(User.username == username))
                if found is None:
                    add_user(session, institution, username, role,
                             employee_number=number if number in employees else None,
                             unit=DEMO_UNIT if role == "manager" else None,
                             display_name=_display(role, employees.get(number or "")),
                             password=password)
                made.append(DemoUser(institution, username, role, password,
                                     changed=found is not None and not found.must_change_password))
    return made


def _display(role: str, employee: Employee | None) -> str:
    if employee is not None:
        return employee.name
    return {"office": "Ufficio Personale (demo)", "admin": "Amministratore (demo)"}.get(role, role)


def print_demo_users(url: str, users: list[DemoUser]) -> None:
    print(f"  web:      {url}")
    print("  demo users (DEMO passwords, fixed and public: demo data only; "
          "change at first login) / utenti demo:")
    for user in users:
        note = "  (password already changed)" if user.changed else ""
        print(f"    {user.institution:<10} {user.role:<8} {user.username:<24} "
              f"{user.password}{note}")
