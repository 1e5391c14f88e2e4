"""Terminal fault reports (seed 002, "Terminali - segnalazione guasti"): what the
university's ticket asks for — the terminal and where it is, a rough description of the
fault (on, off, lights, sounds), a contact person with e-mail and phone, the head of the
unit — then followed up: open → in progress → closed, each step with a note and who.

The personnel office may report and read them; only the administrator moves them on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect, Template

from server.office.terminals import (
    FAULT_STATES,
    FaultContact,
    FaultReport,
    fault_list,
    report_fault,
    terminals_of,
    update_fault,
)
from server.web.dependencies import AuthUser, DbSession
from server.web.guards import ADMIN, OFFICE, allow
from server.web.office_calls import acting_user
from server.web.routing import FORM, together
from server.web.scope import known_id

# `state` is a name Litestar reserves for the app state: the parameter is named apart.
ByState = Annotated[str | None, QueryParameter(name="state", description="open, working, closed")]


@dataclass
class FaultForm:
    description: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    unit_head: str = ""


@dataclass
class FaultUpdate:
    state: str = ""
    note: str = ""


def _contact(form: FaultForm) -> FaultContact:
    return FaultContact(form.description, form.contact_name, form.contact_email,
                        form.contact_phone, form.unit_head)


@get("/admin/faults", opt=allow(ADMIN, OFFICE), sync_to_thread=True)
def faults_page(db: DbSession, user: AuthUser, wanted: ByState = None) -> Template:
    terminals = terminals_of(db, user.institution_id)
    return Template("admin_faults.html", context={
        "faults": fault_list(db, user.institution_id, wanted), "states": FAULT_STATES,
        "state": wanted, "terminals": terminals, "can_update": user.role == ADMIN})


@post("/admin/terminals/{terminal_id:int}/faults", opt=allow(ADMIN, OFFICE),
      sync_to_thread=True, status_code=303)
def report_fault_page(db: DbSession, user: AuthUser, terminal_id: FromPath[int],
                      data: Annotated[FaultForm, FORM]) -> Redirect:
    made = report_fault(db, acting_user(db, user), known_id(terminal_id), _contact(data))
    return Redirect(f"/admin/faults#f{made.id}", status_code=303)


@post("/admin/faults/{fault_id:int}", opt=allow(ADMIN), sync_to_thread=True, status_code=303)
def update_fault_page(db: DbSession, user: AuthUser, fault_id: FromPath[int],
                      data: Annotated[FaultUpdate, FORM]) -> Redirect:
    update_fault(db, acting_user(db, user), known_id(fault_id), data.state, data.note)
    return Redirect(f"/admin/faults#f{fault_id}", status_code=303)


@get("/api/v1/admin/faults", opt=allow(ADMIN, OFFICE), sync_to_thread=True)
def faults_api(db: DbSession, user: AuthUser, wanted: ByState = None) -> list[FaultReport]:
    """Terminal fault reports, newest first; `state` = open, working or closed."""
    return fault_list(db, user.institution_id, wanted)


@post("/api/v1/admin/terminals/{terminal_id:int}/faults", opt=allow(ADMIN, OFFICE),
      sync_to_thread=True)
def report_fault_api(db: DbSession, user: AuthUser, terminal_id: FromPath[int],
                     data: JSONBody[FaultForm]) -> FaultReport:
    """Report a terminal fault: description, contact name (required), e-mail, phone, head
    of unit."""
    return report_fault(db, acting_user(db, user), known_id(terminal_id), _contact(data))


@post("/api/v1/admin/faults/{fault_id:int}", opt=allow(ADMIN), sync_to_thread=True,
      status_code=200)
def update_fault_api(db: DbSession, user: AuthUser, fault_id: FromPath[int],
                     data: JSONBody[FaultUpdate]) -> FaultReport:
    """Move a fault report on (open, working, closed) with a note."""
    return update_fault(db, acting_user(db, user), known_id(fault_id), data.state,
                        data.note)


ROUTES = together(faults_page, report_fault_page, update_fault_page, faults_api, report_fault_api,
                  update_fault_api, tag="Admin: terminal faults")
