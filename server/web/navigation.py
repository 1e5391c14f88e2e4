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
    # Employees' pages, approvals and the personnel office (web/routes/requests.py, …)
    NavItem("/stamp", "Timbra / Stamp", frozenset({EMPLOYEE, MANAGER})),
    NavItem("/requests", "Le mie richieste / My requests", frozenset({EMPLOYEE, MANAGER})),
    NavItem("/summaries", "Riepiloghi / Summaries", frozenset({EMPLOYEE, MANAGER})),
    NavItem("/approvals", "Da approvare / To approve", frozenset({MANAGER, OFFICE})),
    NavItem("/office/stamps", "Correzioni / Corrections", frozenset({OFFICE})),
    NavItem("/office/rota", "Turni / Rota", frozenset({MANAGER, OFFICE})),
    NavItem("/office/sheets", "Fogli firma / Signature sheets", frozenset({OFFICE})),
    NavItem("/office/flags", "Segnalazioni / Flags", frozenset({MANAGER, OFFICE})),
    NavItem("/office/fees", "Badge", frozenset({OFFICE})),
    NavItem("/office/areas", "Aree / Areas", frozenset({OFFICE})),
    NavItem("/office/close", "Chiusura mese / Month close", frozenset({OFFICE})),
    NavItem("/reports", "Tabulati / Reports", frozenset({MANAGER, OFFICE})),
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
