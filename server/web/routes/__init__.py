"""Every route of the web app, one module per area; `create_app` mounts `ROUTE_HANDLERS`.

To add an area: write `server/web/routes/<area>.py` with a `ROUTES` list and add it below.
"""

from __future__ import annotations

from typing import Any

from server.web.routes import (
    account_openings,
    admin_employees,
    admin_faults,
    admin_rules,
    admin_system,
    admin_terminals,
    admin_users,
    approvals,
    auth,
    contracts,
    corrections,
    employee_changes,
    health,
    home,
    installable,
    leave,
    month_close,
    notifications,
    office,
    openings,
    password_reset,
    reports,
    requests,
    requests_api,
    schedules,
    sso,
    stamping,
    summaries,
    timecard,
)

ROUTE_HANDLERS: list[Any] = [*auth.ROUTES, *password_reset.ROUTES, *sso.ROUTES, *home.ROUTES,
                                *timecard.ROUTES, *notifications.ROUTES, *installable.ROUTES]
# For the machines that run it: health, readiness, metrics
ROUTE_HANDLERS += health.ROUTES
# Employees' requests, summaries, stamping; approvals; the personnel office's pages
ROUTE_HANDLERS += [*requests.ROUTES, *requests_api.ROUTES, *approvals.ROUTES,
                   *summaries.ROUTES, *leave.ROUTES, *stamping.ROUTES, *corrections.ROUTES,
                   *month_close.ROUTES, *office.ROUTES, *reports.ROUTES]
# The administrator's pages and API (web/routes/admin_*.py)
ROUTE_HANDLERS += [*admin_terminals.ROUTES, *admin_faults.ROUTES, *admin_employees.ROUTES,
                   *employee_changes.ROUTES, *contracts.ROUTES, *schedules.ROUTES,
                   *account_openings.ROUTES, *openings.ROUTES,
                   *admin_users.ROUTES, *admin_rules.ROUTES, *admin_system.ROUTES]
