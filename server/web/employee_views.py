"""An employee as the admin pages and the API show them."""

from __future__ import annotations

from dataclasses import dataclass

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
