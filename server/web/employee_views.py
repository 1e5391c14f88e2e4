"""An employee as the admin pages and the API show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from server.days.rules_in_force import policy_at
from server.db.models import Employee


@dataclass(frozen=True)
class EmployeeRow:
    id: int
    number: str
    name: str
    profile: str
    category: str | None
    part_time_percent: int
    unit: str | None
    active: bool


def employee_row(e: Employee) -> EmployeeRow:
    return EmployeeRow(e.id, e.number, e.name, e.profile, e.category, e.part_time_percent,
                       e.unit, e.active)


def profiles_in_force(db: Session, institution_id: str) -> dict[str, str]:
    """The profiles the rules in force today define, by name, each with the label a person
    reads (as the timecard shows it): the office chooses among labels, not internal names."""
    try:
        policy, today = policy_at(db, institution_id, datetime.now(UTC))
        version = policy.version_on(today)
    except LookupError:  # no rules at all (UnknownInstitution), or none yet today
        return {}
    return {name: version.profile_label(name) for name in sorted(version.profiles)}
