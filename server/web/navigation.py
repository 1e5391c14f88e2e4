"""The menu: each page that belongs in it adds one `NavItem` here, with the roles that see it.

The menu only hides links; the route's own `allow(...)` is what protects it.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.i18n.current import N_, gettext
from server.web.guards import ADMIN, EMPLOYEE, MANAGER, OFFICE


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # the message id; the page shows it in the reader's language
    roles: frozenset[str]
    # One's own month: an account linked to no employee (the demo's office clerk) would
    # follow it to a "not found".
    own: bool = False


NAV: list[NavItem] = [
    NavItem("/", N_("Home"), frozenset({EMPLOYEE, MANAGER, OFFICE, ADMIN})),
    NavItem("/timecard", N_("Timecard"), frozenset({EMPLOYEE, MANAGER, OFFICE}), own=True),
    # Employees' pages, approvals and the personnel office (web/routes/requests.py, …)
    NavItem("/stamp", N_("Stamp"), frozenset({EMPLOYEE, MANAGER}), own=True),
    NavItem("/requests", N_("My requests"), frozenset({EMPLOYEE, MANAGER}), own=True),
    NavItem("/summaries", N_("Summaries"), frozenset({EMPLOYEE, MANAGER}), own=True),
    NavItem("/approvals", N_("To approve"), frozenset({MANAGER, OFFICE})),
    NavItem("/office/stamps", N_("Corrections"), frozenset({OFFICE})),
    NavItem("/office/rota", N_("Rota"), frozenset({MANAGER, OFFICE})),
    NavItem("/office/sheets", N_("Signature sheets"), frozenset({OFFICE})),
    NavItem("/office/flags", N_("Flags"), frozenset({MANAGER, OFFICE})),
    NavItem("/office/fees", N_("Badge"), frozenset({OFFICE})),
    NavItem("/office/areas", N_("Areas"), frozenset({OFFICE})),
    NavItem("/office/close", N_("Month close"), frozenset({OFFICE})),
    NavItem("/reports", N_("Reports"), frozenset({MANAGER, OFFICE})),
    # The administrator's pages (web/routes/admin_*.py)
    NavItem("/admin/terminals", N_("Terminals"), frozenset({ADMIN})),
    NavItem("/admin/faults", N_("Faults"), frozenset({ADMIN, OFFICE})),
    NavItem("/admin/employees", N_("Employees"), frozenset({ADMIN, OFFICE})),
    NavItem("/admin/users", N_("Users"), frozenset({ADMIN})),
    NavItem("/admin/rules", N_("Rules"), frozenset({ADMIN})),
    NavItem("/admin/plugins", N_("Plugin"), frozenset({ADMIN})),
    NavItem("/admin/audit", N_("Audit log"), frozenset({ADMIN})),
    NavItem("/password", N_("Password"), frozenset({EMPLOYEE, MANAGER, OFFICE, ADMIN})),
]


def menu_for(role: str, employee_id: int | None) -> list[NavItem]:
    """The role's pages; one's own month only to an account linked to an employee."""
    return [item for item in NAV
            if role in item.roles and (employee_id is not None or not item.own)]

# How each role is called on the pages (the header, the users' list).
ROLE_NAMES = {"employee": N_("employee"), "manager": N_("manager"),
              "office": N_("personnel office"),
              "admin": N_("administrator")}


def role_name(role: str) -> str:
    return gettext(ROLE_NAMES[role]) if role in ROLE_NAMES else role
