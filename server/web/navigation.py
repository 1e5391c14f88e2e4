"""The menu: each page that belongs in it adds one `NavItem` here, with the roles that see it.

The menu only hides links; the route's own `allow(...)` is what protects it.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.web.guards import ADMIN, EMPLOYEE, MANAGER, OFFICE


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # "Italiano / English"
    roles: frozenset[str]


NAV: list[NavItem] = [
    NavItem("/", "Home", frozenset({EMPLOYEE, MANAGER, OFFICE, ADMIN})),
    NavItem("/timecard", "Cartellino / Timecard", frozenset({EMPLOYEE, MANAGER, OFFICE})),
    # The administrator's pages (web/routes/admin_*.py)
    NavItem("/admin/terminals", "Terminali / Terminals", frozenset({ADMIN})),
    NavItem("/admin/faults", "Guasti / Faults", frozenset({ADMIN, OFFICE})),
    NavItem("/admin/employees", "Dipendenti / Employees", frozenset({ADMIN, OFFICE})),
    NavItem("/admin/users", "Utenti / Users", frozenset({ADMIN})),
    NavItem("/admin/rules", "Regole / Rules", frozenset({ADMIN})),
    NavItem("/admin/plugins", "Plugin", frozenset({ADMIN})),
    NavItem("/admin/audit", "Registro / Audit log", frozenset({ADMIN})),
    NavItem("/password", "Password", frozenset({EMPLOYEE, MANAGER, OFFICE, ADMIN})),
]


def menu_for(role: str) -> list[NavItem]:
    return [item for item in NAV if role in item.roles]
