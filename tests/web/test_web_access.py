"""Every route × every role × two institutions: who gets what.

THE ROUTE TABLE BELOW MUST LIST EVERY ROUTE OF THE APP. A route added without a row here
fails `test_every_route_is_declared`. A row says, for one (method, path) and one choice of
path parameters, the status each kind of visitor gets:

    Case("GET", "/timecard/{employee_id}", expect(employee=404, manager=200, office=200,
         admin=403), params={"employee_id": "unit_colleague"})

`params` values name a sample of `tests/support/world.py` (`WebWorld.ids`), taken from the
visitor's own institution, or from the other one with a "foreign:" prefix. LOGIN means
"sent to the login page" (302 to /login for a page, 401 for /api/). Each case is asked by
an anonymous visitor and by the four demo users of each of the two institutions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import Session
from world import (
    ANONYMOUS,
    INSTITUTIONS,
    ROLES,
    WebWorld,
    fresh_web_world,
    other,
)

from server.db.models import Employee, User
from server.web.app import route_handlers

LOGIN = "login"
Status = int | str


def expect(*, anonymous: Status = LOGIN, employee: Status, manager: Status, office: Status,
           admin: Status) -> dict[str, Status]:
    return {ANONYMOUS: anonymous, "employee": employee, "manager": manager, "office": office,
            "admin": admin}


def everyone(status: Status, anonymous: Status = LOGIN) -> dict[str, Status]:
    return expect(anonymous=anonymous, employee=status, manager=status, office=status,
                  admin=status)


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # exactly as Litestar lists the route: "/timecard/{employee_id}"
    expect: dict[str, Status]
    params: dict[str, str] = field(default_factory=dict)  # name → sample (see module doc)
    query: str = ""
    form: dict[str, str] = field(default_factory=dict)  # for POST; the CSRF token is added
    # Where an institution's rules answer otherwise: institution → role → status.
    rules_say: dict[str, dict[str, Status]] = field(default_factory=dict)

    def wanted(self, institution: str, role: str) -> Status:
        return self.rules_say.get(institution, {}).get(role, self.expect[role])


PUBLIC_200 = everyone(200, anonymous=200)
TIMECARD_READERS = expect(employee=200, manager=200, office=200, admin=403)
ADMIN_ONLY = expect(employee=403, manager=403, office=403, admin=200)
ADMIN_ONLY_400 = expect(employee=403, manager=403, office=403, admin=400)
ADMIN_OFFICE = expect(employee=403, manager=403, office=200, admin=200)
ADMIN_OFFICE_400 = expect(employee=403, manager=403, office=400, admin=400)
OFFICE_400 = expect(employee=403, manager=403, office=400, admin=403)
MANAGER_OFFICE = expect(employee=403, manager=200, office=200, admin=403)
# Another institution's row: refused by role first, else not found.
NOBODY_404 = expect(employee=403, manager=403, office=403, admin=404)

ROUTES: list[Case] = [
    # --- core: login, home, password ---
    Case("GET", "/login", PUBLIC_200),
    Case("POST", "/login", everyone(401, anonymous=401),
         form={"username": "nobody", "password": "wrong"}),
    Case("POST", "/logout", everyone(303)),
    Case("POST", "/language", everyone(303, anonymous=303), form={"lang": "en"}),
    # --- the installable web app and the accessibility statement: before logging in too ---
    Case("GET", "/manifest.webmanifest", PUBLIC_200),
    Case("GET", "/accessibility", PUBLIC_200),
    # «Password dimenticata?»: public, one answer for any name; a link nobody has is a 400.
    Case("GET", "/password/forgot", PUBLIC_200),
    Case("POST", "/password/forgot", everyone(200, anonymous=200),
         form={"username": "nessuno"}),
    *[Case(method, "/password/reset/{token}", everyone(400, anonymous=400),
           params={"token": "=not-a-link"}, form={"new": "x", "confirm": "x"})
      for method in ("GET", "POST")],
    Case("GET", "/password", everyone(200)),
    Case("POST", "/password", everyone(400), form={"current": "wrong", "new": "x", "confirm": "x"}),
    # --- single sign-on: public, and not found where the institution has none configured
    # (this world has none; tests/web/test_sso_*.py configure it) ---
    *[Case(method, path, everyone(404, anonymous=404), params={"institution": "=university"},
           form=form)
      for method, path, form in (
          ("GET", "/sso/{institution}/ldap", {}),
          ("POST", "/sso/{institution}/ldap", {"username": "x", "password": "y"}),
          ("GET", "/sso/{institution}/oidc", {}),
          ("GET", "/sso/{institution}/oidc/callback", {}),
          ("GET", "/sso/{institution}/saml", {}),
          ("POST", "/sso/{institution}/saml/acs", {"SAMLResponse": "x"}),
          ("GET", "/sso/{institution}/saml/metadata", {}))],
    Case("GET", "/", everyone(200)),
    Case("GET", "/api/v1/me", everyone(200)),
    # "If I leave now" (routes/home.py): the caller's own day; an account with no employee
    # record has no day to compute.
    Case("GET", "/api/v1/me/today", expect(employee=200, manager=200, office=404, admin=404)),
    # --- notifications and the addresses they are e-mailed to ---
    Case("POST", "/notifications/read", everyone(303)),
    Case("GET", "/admin/contacts", ADMIN_OFFICE),
    Case("POST", "/admin/contacts/{user_id}",
         expect(employee=403, manager=403, office=303, admin=303),
         params={"user_id": "spare_user"}, form={"email": "spare@example.org", "language": "it"}),
    Case("POST", "/admin/contacts/{user_id}",
         expect(employee=403, manager=403, office=404, admin=404),
         params={"user_id": "foreign:spare_user"}, form={"email": "x@example.org"}),
    # --- timecard: own, then by id for each kind of person ---
    Case("GET", "/timecard", expect(employee=200, manager=200, office=404, admin=403)),
    Case("GET", "/timecard/{employee_id}", TIMECARD_READERS,
         params={"employee_id": "self_employee"}, query="month=2026-01"),
    Case("GET", "/timecard/{employee_id}",
         expect(employee=404, manager=200, office=200, admin=403),
         params={"employee_id": "unit_colleague"}),
    Case("GET", "/timecard/{employee_id}",
         expect(employee=404, manager=404, office=200, admin=403),
         params={"employee_id": "other_unit"}),
    Case("GET", "/timecard/{employee_id}",
         expect(employee=404, manager=404, office=404, admin=403),
         params={"employee_id": "foreign:self_employee"}),
    Case("GET", "/api/v1/timecard/{employee_id}",
         expect(employee=404, manager=200, office=200, admin=403),
         params={"employee_id": "manager_self"}),
    Case("GET", "/api/v1/timecard/{employee_id}",
         expect(employee=404, manager=404, office=404, admin=403),
         params={"employee_id": "foreign:unit_colleague"}),
    # --- administrator: terminals, faults, employees, users, rules, plugins, audit ---
    *[Case("GET", path, ADMIN_ONLY) for path in (
        "/admin/terminals", "/api/v1/admin/terminals", "/admin/users", "/api/v1/admin/users",
        "/admin/rules", "/api/v1/admin/rules", "/admin/plugins", "/api/v1/admin/plugins",
        "/admin/audit", "/api/v1/admin/audit")],
    *[Case("GET", path, ADMIN_OFFICE) for path in (
        "/admin/faults", "/api/v1/admin/faults", "/admin/employees", "/api/v1/admin/employees")],
    Case("POST", "/admin/terminals", ADMIN_ONLY_400, form={"code": "NOT VALID"}),
    Case("POST", "/api/v1/admin/terminals", ADMIN_ONLY_400, form={"code": "NOT VALID"}),
    Case("GET", "/admin/terminals/{terminal_id}", ADMIN_ONLY, params={"terminal_id": "terminal"}),
    Case("GET", "/admin/terminals/{terminal_id}", NOBODY_404,
         params={"terminal_id": "foreign:terminal"}),
    Case("POST", "/admin/terminals/{terminal_id}/faults", ADMIN_OFFICE_400,
         params={"terminal_id": "terminal"}, form={"description": ""}),
    Case("POST", "/admin/terminals/{terminal_id}/faults",
         expect(employee=403, manager=403, office=404, admin=404),
         params={"terminal_id": "foreign:terminal"}, form={"description": "x"}),
    Case("POST", "/api/v1/admin/terminals/{terminal_id}/faults", ADMIN_OFFICE_400,
         params={"terminal_id": "terminal"}, form={"description": ""}),
    Case("POST", "/admin/faults/{fault_id}", ADMIN_ONLY_400, params={"fault_id": "fault"},
         form={"state": "nonsense"}),
    Case("POST", "/admin/faults/{fault_id}", NOBODY_404, params={"fault_id": "foreign:fault"},
         form={"state": "closed"}),
    Case("POST", "/api/v1/admin/faults/{fault_id}", ADMIN_ONLY_400,
         params={"fault_id": "fault"}, form={"state": "nonsense"}),
    Case("POST", "/admin/employees/import", ADMIN_OFFICE_400),
    Case("POST", "/api/v1/admin/employees/import", ADMIN_OFFICE_400, form={"csv": "x"}),
    # One employee's page (routes/employee_changes.py): the profile is the office's; the
    # office and the admin deactivate (the sample `leaver` is inactive already, so the
    # walk's POSTs change nothing: 400) and reactivate (`other_unit` is active: 400).
    *[Case("GET", path, ADMIN_OFFICE, params={"employee_id": "self_employee"}) for path in (
        "/admin/employees/{employee_id}", "/api/v1/admin/employees/{employee_id}")],
    *[Case("GET", path, expect(employee=403, manager=403, office=404, admin=404),
           params={"employee_id": "foreign:self_employee"}) for path in (
        "/admin/employees/{employee_id}", "/api/v1/admin/employees/{employee_id}")],
    # A form body where the API wants JSON: 400 once the role is allowed.
    Case("POST", "/api/v1/admin/employees/{employee_id}/profile",
         expect(employee=403, manager=403, office=400, admin=403),
         params={"employee_id": "self_employee"}, form={"profile": "x"}),
    *[Case("POST", path, ADMIN_OFFICE_400, params={"employee_id": "leaver"})
      for path in ("/admin/employees/{employee_id}/deactivate",
                   "/api/v1/admin/employees/{employee_id}/deactivate")],
    *[Case("POST", path, ADMIN_OFFICE_400, params={"employee_id": "other_unit"})
      for path in ("/admin/employees/{employee_id}/reactivate",
                   "/api/v1/admin/employees/{employee_id}/reactivate")],
    *[Case("POST", path, expect(employee=403, manager=403, office=404, admin=404),
           params={"employee_id": "foreign:other_unit"}) for path in (
        "/admin/employees/{employee_id}/deactivate", "/admin/employees/{employee_id}/reactivate")],
    # The employee's schedule periods and the rota (routes/schedules.py): kept by the office;
    # read by the office and the managers (their unit); a form missing its date is a 400.
    Case("POST", "/admin/employees/{employee_id}/schedule", OFFICE_400,
         params={"employee_id": "self_employee"}, form={"starts": "not-a-day"}),
    Case("POST", "/admin/employees/{employee_id}/schedule",
         expect(employee=403, manager=403, office=404, admin=403),
         params={"employee_id": "foreign:self_employee"}, form={"starts": "2026-01-01"}),
    Case("GET", "/api/v1/admin/employees/{employee_id}/schedules", MANAGER_OFFICE,
         params={"employee_id": "unit_colleague"}),
    Case("GET", "/api/v1/admin/employees/{employee_id}/schedules",
         expect(employee=403, manager=404, office=404, admin=403),
         params={"employee_id": "foreign:unit_colleague"}),
    Case("POST", "/api/v1/admin/employees/{employee_id}/schedules", OFFICE_400,
         params={"employee_id": "self_employee"}, form={"profile": "x"}),
    # The employee's contracts (routes/contracts.py): kept by the office; read by the office
    # and the managers (their unit); another institution's employee is not found.
    Case("POST", "/admin/employees/{employee_id}/contracts", OFFICE_400,
         params={"employee_id": "self_employee"}, form={"kind": "add", "start": "not-a-day"}),
    Case("POST", "/admin/employees/{employee_id}/contracts",
         expect(employee=403, manager=403, office=404, admin=403),
         params={"employee_id": "foreign:self_employee"}, form={"start": "2026-01-01"}),
    Case("GET", "/api/v1/admin/employees/{employee_id}/contracts", MANAGER_OFFICE,
         params={"employee_id": "unit_colleague"}),
    Case("GET", "/api/v1/admin/employees/{employee_id}/contracts",
         expect(employee=403, manager=404, office=404, admin=403),
         params={"employee_id": "foreign:unit_colleague"}),
    *[Case("POST", path, OFFICE_400, params={"employee_id": "self_employee",
                                            "contract_id": "=1"}, form={"start": "x"})
      for path in ("/api/v1/admin/employees/{employee_id}/contracts",
                   "/api/v1/admin/employees/{employee_id}/contracts/change",
                   "/api/v1/admin/employees/{employee_id}/contracts/{contract_id}/dates")],
    # The hours account's opening balances (routes/account_openings.py): the same readers.
    Case("GET", "/api/v1/admin/employees/{employee_id}/account-openings", MANAGER_OFFICE,
         params={"employee_id": "unit_colleague"}),
    Case("GET", "/api/v1/admin/employees/{employee_id}/account-openings",
         expect(employee=403, manager=404, office=404, admin=403),
         params={"employee_id": "foreign:unit_colleague"}),
    Case("POST", "/api/v1/admin/employees/{employee_id}/account-openings", OFFICE_400,
         params={"employee_id": "self_employee"}, form={"balance": "x"}),
    # Opening balances at adoption (routes/openings.py): the office imports and edits them,
    # a manager reads them (their unit); another institution's employee is not found.
    Case("POST", "/admin/employees/openings", OFFICE_400),
    Case("GET", "/admin/employees/openings.csv",
         expect(employee=403, manager=403, office=200, admin=403)),
    Case("POST", "/api/v1/admin/openings/import", OFFICE_400, form={"csv": "x"}),
    Case("POST", "/admin/employees/{employee_id}/openings", OFFICE_400,
         params={"employee_id": "self_employee"}, form={"start": "not-a-day"}),
    Case("POST", "/admin/employees/{employee_id}/openings",
         expect(employee=403, manager=403, office=404, admin=403),
         params={"employee_id": "foreign:self_employee"}, form={"start": "2026-01-01"}),
    *[Case("GET", path, MANAGER_OFFICE, params={"employee_id": "unit_colleague"})
      for path in ("/api/v1/admin/employees/{employee_id}/openings",
                   "/api/v1/admin/employees/{employee_id}/allowance-openings")],
    *[Case("GET", path, expect(employee=403, manager=404, office=404, admin=403),
           params={"employee_id": "foreign:unit_colleague"})
      for path in ("/api/v1/admin/employees/{employee_id}/openings",
                   "/api/v1/admin/employees/{employee_id}/allowance-openings")],
    Case("GET", "/employees/{employee_id}/openings",
         expect(employee=200, manager=200, office=200, admin=403),
         params={"employee_id": "self_employee"}),
    Case("GET", "/employees/{employee_id}/openings",
         expect(employee=404, manager=404, office=200, admin=403),
         params={"employee_id": "other_unit"}),
    Case("GET", "/employees/{employee_id}/openings",
         expect(employee=404, manager=404, office=404, admin=403),
         params={"employee_id": "foreign:self_employee"}),
    Case("POST", "/api/v1/admin/employees/{employee_id}/allowance-openings", OFFICE_400,
         params={"employee_id": "self_employee"}, form={"name": "x"}),
    *[Case("GET", path, MANAGER_OFFICE) for path in ("/office/rota", "/api/v1/office/rota")],
    Case("POST", "/office/rota", OFFICE_400, form={"day": "not-a-day"}),
    *[Case("POST", path, OFFICE_400) for path in (
        "/office/rota/import", "/api/v1/office/rota", "/api/v1/office/rota/import")],
    Case("POST", "/admin/users", ADMIN_ONLY_400, form={"username": "", "role": "admin"}),
    Case("POST", "/api/v1/admin/users", ADMIN_ONLY_400, form={"username": ""}),
    *[Case("POST", path, expect(employee=403, manager=403, office=403, admin=200),
           params={"user_id": "spare_user"}) for path in (
        "/admin/users/{user_id}/reset", "/api/v1/admin/users/{user_id}/reset",
        "/api/v1/admin/users/{user_id}/unlock")],
    Case("POST", "/admin/users/{user_id}/unlock",
         expect(employee=403, manager=403, office=403, admin=303),
         params={"user_id": "spare_user"}),
    *[Case("POST", path, NOBODY_404, params={"user_id": "foreign:spare_user"}) for path in (
        "/admin/users/{user_id}/reset", "/api/v1/admin/users/{user_id}/reset",
        "/admin/users/{user_id}/unlock", "/api/v1/admin/users/{user_id}/unlock")],
    Case("POST", "/admin/rules", ADMIN_ONLY_400, form={"text": "", "file_name": "x.rules"}),
    Case("POST", "/api/v1/admin/rules", ADMIN_ONLY_400, form={"file_name": "x", "text": "x"}),
    # A form body where the API wants JSON: 400 for the admin, the role refused for others.
    Case("POST", "/api/v1/admin/rules/check", ADMIN_ONLY_400,
         form={"file_name": "x.rules", "text": "x"}),
    *[Case("GET", path, ADMIN_ONLY, params={"version_id": "rule_draft"}) for path in (
        "/admin/rules/{version_id}", "/admin/rules/{version_id}/dry-run",
        "/api/v1/admin/rules/{version_id}/dry-run")],
    *[Case("GET", path, NOBODY_404, params={"version_id": "foreign:rule_draft"}) for path in (
        "/admin/rules/{version_id}", "/api/v1/admin/rules/{version_id}/dry-run")],
    Case("POST", "/admin/rules/{version_id}/activate", ADMIN_ONLY_400,
         params={"version_id": "rule_draft"}, form={"active_from": "nonsense"}),
    Case("POST", "/api/v1/admin/rules/{version_id}/activate", ADMIN_ONLY_400,
         params={"version_id": "rule_draft"}, form={"active_from": "nonsense"}),
    # --- employees' requests, summaries, stamping; approvals; personnel office ---
    # Samples (world._request_samples): own_request is self_employee's, withdrawn;
    # colleague_request is unit_colleague's, rejected: POSTs on them can change nothing.
    *[Case("GET", path, expect(employee=200, manager=200, office=200, admin=403))
      for path in ("/requests", "/stamp")],
    *[Case("GET", path, expect(employee=200, manager=200, office=404, admin=403))
      for path in ("/summaries", "/api/v1/requests")],
    *[Case("POST", path, expect(employee=400, manager=400, office=404, admin=403))
      for path in ("/requests/justification", "/requests/missed-stamp", "/requests/overtime",
                   "/stamp")],
    # A form sent to a JSON route: refused as unreadable before anything else is looked at.
    *[Case("POST", path, expect(employee=400, manager=400, office=400, admin=403))
      for path in ("/api/v1/requests", "/api/v1/stamps")],
    *[Case("GET", path, expect(employee=200, manager=200, office=200, admin=403),
           params={"request_id": "own_request"})
      for path in ("/requests/{request_id}", "/requests/{request_id}/attachment",
                   "/api/v1/requests/{request_id}")],
    *[Case("GET", path, expect(employee=404, manager=200, office=200, admin=403),
           params={"request_id": "colleague_request"})
      for path in ("/requests/{request_id}", "/api/v1/requests/{request_id}")],
    *[Case(method, path, expect(employee=404, manager=404, office=404, admin=403),
           params={"request_id": "foreign:own_request"}, form={"decision": "approve"})
      for method, path in (("GET", "/requests/{request_id}"),
                           ("GET", "/requests/{request_id}/attachment"),
                           ("POST", "/requests/{request_id}/withdraw"),
                           ("POST", "/api/v1/requests/{request_id}/withdraw"))],
    *[Case("POST", path, expect(employee=400, manager=403, office=403, admin=403),
           params={"request_id": "own_request"})
      for path in ("/requests/{request_id}/withdraw", "/api/v1/requests/{request_id}/withdraw")],
    *[Case("GET", path, expect(employee=403, manager=200, office=200, admin=403))
      for path in ("/approvals", "/api/v1/approvals", "/office/flags", "/api/v1/flags",
                   "/reports")],
    # The school's missed stamps are the DS/DSGA's (missed_stamp approval director), not the
    # unit manager's: refused to them before the request's state is looked at.
    Case("POST", "/approvals/{request_id}/decide",
         expect(employee=403, manager=400, office=400, admin=403),
         params={"request_id": "colleague_request"}, form={"decision": "approve"},
         rules_say={"school": {"manager": 403}}),
    Case("POST", "/approvals/{request_id}/decide",
         expect(employee=403, manager=404, office=404, admin=403),
         params={"request_id": "foreign:colleague_request"}, form={"decision": "approve"}),
    Case("POST", "/api/v1/requests/{request_id}/decision",
         expect(employee=403, manager=400, office=400, admin=403),
         params={"request_id": "colleague_request"}, form={"decision": "approve"}),
    # Bulk: a request nobody has is listed as refused on the page; the API takes JSON only.
    Case("POST", "/approvals/bulk", expect(employee=403, manager=200, office=200, admin=403),
         form={"decision": "approve", "ids": "999999999"}),
    Case("POST", "/api/v1/approvals/bulk",
         expect(employee=403, manager=400, office=400, admin=403),
         form={"decision": "approve", "ids": "999999999"}),
    # Only the office revokes, and only an approved request: the rejected sample is refused.
    *[Case("POST", path, expect(employee=403, manager=403, office=400, admin=403),
           params={"request_id": "colleague_request"}, form={"reason": "errore"})
      for path in ("/approvals/{request_id}/revoke", "/api/v1/requests/{request_id}/revoke")],
    Case("POST", "/approvals/{request_id}/revoke",
         expect(employee=403, manager=403, office=404, admin=403),
         params={"request_id": "foreign:colleague_request"}, form={"reason": "errore"}),
    *[Case("GET", path, expect(employee=200, manager=200, office=200, admin=403),
           params={"employee_id": "self_employee"}, query="month=2026-01")
      for path in ("/summaries/{employee_id}", "/summaries/{employee_id}/report.pdf",
                   "/api/v1/summaries/{employee_id}", "/api/v1/stamps/{employee_id}")],
    *[Case("GET", path, expect(employee=404, manager=404, office=200, admin=403),
           params={"employee_id": "other_unit"})
      for path in ("/summaries/{employee_id}", "/summaries/{employee_id}/report.pdf",
                   "/api/v1/summaries/{employee_id}", "/api/v1/stamps/{employee_id}")],
    *[Case("GET", path, expect(employee=404, manager=404, office=404, admin=403),
           params={"employee_id": "foreign:self_employee"})
      for path in ("/summaries/{employee_id}", "/api/v1/summaries/{employee_id}",
                   "/api/v1/stamps/{employee_id}")],
    # Leave in days: read as Riepiloghi are; opening balances are the office's (a form
    # instead of JSON is a 400 once the role is allowed).
    Case("GET", "/api/v1/employees/{employee_id}/leave", TIMECARD_READERS,
         params={"employee_id": "self_employee"}),
    Case("GET", "/api/v1/employees/{employee_id}/leave",
         expect(employee=404, manager=404, office=200, admin=403),
         params={"employee_id": "other_unit"}),
    Case("POST", "/api/v1/employees/{employee_id}/leave/openings", OFFICE_400,
         params={"employee_id": "self_employee"}),
    *[Case("GET", path, expect(employee=403, manager=403, office=200, admin=403))
      for path in ("/office/stamps", "/office/sheets", "/office/fees", "/api/v1/fees",
                   "/office/areas", "/office/close")],
    *[Case("POST", path, expect(employee=403, manager=403, office=400, admin=403),
           params={"stamp_id": "self_stamp"})
      for path in ("/office/stamps/{stamp_id}/correct", "/api/v1/stamps/{stamp_id}/correction")],
    Case("POST", "/office/stamps/{stamp_id}/correct",
         expect(employee=403, manager=403, office=404, admin=403),
         params={"stamp_id": "foreign:self_stamp"}, form={"reason": "x"}),
    *[Case("POST", path, expect(employee=403, manager=403, office=404, admin=403),
           form={"employee_id": "x"})
      for path in ("/office/stamps/add", "/office/sheets", "/office/fees")],
    Case("POST", "/office/areas", expect(employee=403, manager=403, office=400, admin=403),
         form={"name": "x", "latitude": "north"}),
    Case("POST", "/office/areas/{area_id}/delete",
         expect(employee=403, manager=403, office=404, admin=403),
         params={"area_id": "foreign:area"}),
    Case("POST", "/office/areas/{area_id}/delete",  # deletes it: keep after the foreign row
         expect(employee=403, manager=403, office=303, admin=403), params={"area_id": "area"}),
    *[Case("POST", path, expect(employee=403, manager=403, office=400, admin=403),
           form={"month": "not-a-month"})
      for path in ("/office/close", "/office/close/reopen")],
    Case("GET", "/api/v1/closes/{month}", expect(employee=403, manager=200, office=200,
                                                 admin=403), params={"month": "=2026-01"}),
    Case("GET", "/office/close/check", expect(employee=403, manager=403, office=200,
                                              admin=403), query="month=2026-01"),
    *[Case("GET", path, expect(employee=403, manager=403, office=200, admin=403),
           params={"month": "=2026-01"})
      for path in ("/api/v1/closes/{month}/precheck", "/api/v1/closes/{month}/figures")],
    *[Case("POST", path, expect(employee=403, manager=403, office=400, admin=403),
           params={"month": "=not-a-month"})
      for path in ("/api/v1/closes/{month}", "/api/v1/closes/{month}/reopen")],
    *[Case("POST", path, expect(employee=403, manager=403, office=400, admin=403))
      for path in ("/api/v1/fees", "/api/v1/sheets")],
    *[Case("GET", path, expect(employee=403, manager=200, office=200, admin=403),
           params={"kind": "=balances", "fmt": "=csv"}, query="month=2026-01")
      for path in ("/reports/{kind}/{fmt}", "/api/v1/reports/{kind}")],
    Case("GET", "/reports/{kind}/{fmt}", expect(employee=403, manager=404, office=404,
                                                admin=403),
         params={"kind": "=salaries", "fmt": "=csv"}),
    # --- static files and the OpenAPI document: public ---
    Case("GET", "/static/{file_path}", PUBLIC_200, params={"file_path": "=timbra.css"}),
    Case("HEAD", "/static/{file_path}", PUBLIC_200, params={"file_path": "=timbra.css"}),
    Case("GET", "/schema", PUBLIC_200),
    Case("GET", "/schema/openapi.json", PUBLIC_200),
    Case("GET", "/schema/swagger", PUBLIC_200),
    Case("GET", "/schema/oauth2-redirect.html", PUBLIC_200),
    Case("GET", "/schema/{path}", everyone(404, anonymous=404), params={"path": "=nothing"}),
    # --- for the machines that run it: no login; /metrics only with its token (none here) ---
    Case("GET", "/healthz", PUBLIC_200),
    Case("GET", "/readyz", PUBLIC_200),
    Case("GET", "/metrics", everyone(404, anonymous=404)),
]


def declared_routes(app: Litestar) -> set[tuple[str, str]]:
    """(method, path) of every route, but Litestar's automatic OPTIONS answers."""
    return {(method, path) for path, handler in route_handlers(app)
            for method in handler.http_methods if method != "OPTIONS"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    folder = tmp_path_factory.mktemp("web_access")
    with fresh_web_world(folder) as world:
        yield world


def test_every_route_is_declared(world: WebWorld) -> None:
    in_app = declared_routes(world.app)
    in_table = {(case.method, case.path) for case in ROUTES}
    assert not in_app - in_table, f"routes missing from ROUTES in this file: {in_app - in_table}"
    assert not in_table - in_app, f"ROUTES lists routes the app lacks: {in_table - in_app}"


def _url(world: WebWorld, case: Case, institution: str) -> str:
    path = case.path
    for name, sample in case.params.items():
        if sample.startswith("="):
            value = sample[1:]
        elif sample.startswith("foreign:"):
            value = str(world.ids[(other(institution), sample.removeprefix("foreign:"))])
        else:
            value = str(world.ids[(institution, sample)])
        path = path.replace("{" + name + "}", value)
    return path + (f"?{case.query}" if case.query else "")


def _ask(client: TestClient[Litestar], case: Case, url: str) -> Any:
    if case.method in ("GET", "HEAD"):
        return client.request(case.method, url, follow_redirects=False)
    token = client.cookies.get("timbra_csrf", "")
    return client.request(case.method, url, data={**case.form, "_csrf_token": token},
                          follow_redirects=False)


def _check(response: Any, wanted: Status, url: str, login_page: str) -> str | None:
    if wanted == LOGIN:
        if url.startswith("/api/"):
            ok = response.status_code == 401
        else:
            ok = (response.status_code == 302
                  and response.headers["location"].startswith(login_page))
    else:
        ok = response.status_code == wanted
    if ok:
        return None
    return f"{response.status_code} {response.headers.get('location', '')} (wanted {wanted})"


def test_every_route_with_every_role_of_two_institutions(world: WebWorld) -> None:
    failures: list[str] = []
    with ExitStack() as stack:
        clients: dict[tuple[str, str], TestClient[Litestar]] = {}
        for institution in INSTITUTIONS:
            clients[(institution, ANONYMOUS)] = world.client(stack)
            for role in ROLES:
                clients[(institution, role)] = client = world.client(stack)
                assert world.login(client, institution, role).status_code == 303
        for case in ROUTES:
            for (institution, role), client in clients.items():
                url = _url(world, case, institution)
                problem = _check(_ask(client, case, url), case.wanted(institution, role), url,
                                 "/login")
                if problem:
                    failures.append(f"{case.method} {url} as {institution}/{role}: {problem}")
            if case.method not in ("GET", "HEAD"):
                _log_in_again_where_logged_out(world, clients)
    assert not failures, "\n".join(failures)


def _log_in_again_where_logged_out(world: WebWorld,
                                   clients: dict[tuple[str, str], TestClient[Litestar]]) -> None:
    """A POST may have ended a session: its own (logout) or another user's (a password
    changed, an account deactivated). Every next row must be asked as the role it names,
    so each session is checked after each POST row and, where it ended, opened again.
    Checked, not always renewed: a login is a whole request, and there are ~100 POST rows."""
    for (institution, role), client in clients.items():
        if role != ANONYMOUS and not world.signed_in(client):
            assert world.login(client, institution, role).status_code == 303


def test_signed_in_answers_as_the_app_does(world: WebWorld) -> None:
    """The walk above trusts `signed_in` to know when a session has ended, whether by the
    client's own POST or by a change to the user behind it."""
    institution = INSTITUTIONS[0]

    def set_active(value: bool) -> None:
        with Session(world.engine) as session, session.begin():
            session.execute(sa.update(User).where(User.username == world.usernames[
                (institution, "employee")]).values(active=value))

    with ExitStack() as stack:
        client = world.client(stack)
        assert not world.signed_in(client)
        assert world.login(client, institution, "employee").status_code == 303
        assert world.signed_in(client) and client.get("/").status_code == 200
        set_active(False)
        try:
            assert not world.signed_in(client)
            assert client.get("/", follow_redirects=False).status_code == 302
        finally:
            set_active(True)
        assert world.signed_in(client)
        assert _ask(client, Case("POST", "/logout", everyone(303)), "/logout").status_code == 303
        assert not world.signed_in(client)


def test_a_user_who_must_change_password_reaches_only_the_password_pages(
        world: WebWorld) -> None:
    institution = INSTITUTIONS[0]
    reachable = {("GET", "/password"), ("POST", "/password"), ("POST", "/logout")}
    failures: list[str] = []
    with ExitStack() as stack:
        for role in ROLES:
            world.set_must_change(institution, role, True)
            try:
                client = world.client(stack)
                assert world.login(client, institution, role).headers["location"] == "/password"
                for case in ROUTES:
                    if case.expect[ANONYMOUS] != LOGIN or (case.method, case.path) in reachable:
                        continue
                    url = _url(world, case, institution)
                    problem = _check(_ask(client, case, url), 403 if url.startswith("/api/")
                                     else LOGIN, url, "/password")
                    if problem:
                        failures.append(f"{case.method} {url} as {role}: {problem}")
            finally:
                world.set_must_change(institution, role, False)
    assert not failures, "\n".join(failures)


def test_openapi_document_lists_the_api(world: WebWorld) -> None:
    with TestClient(world.app, base_url="https://testserver.local") as client:
        paths = client.get("/schema/openapi.json").json()["paths"]
    assert "/api/v1/timecard/{employee_id}" in paths and "/api/v1/me" in paths


def test_the_samples_belong_where_the_table_says(world: WebWorld) -> None:
    """Else the cross-institution and cross-unit rows above would prove nothing."""
    with Session(world.engine) as session:
        for institution in INSTITUTIONS:
            def get(name: str, inst: str = institution) -> Employee:
                found = session.get(Employee, world.ids[(inst, name)])
                assert found is not None
                return found
            assert get("self_employee").institution_id == institution
            assert get("unit_colleague").unit == get("manager_self").unit
            assert get("other_unit").unit != get("manager_self").unit
            assert get("self_employee", other(institution)).institution_id != institution
