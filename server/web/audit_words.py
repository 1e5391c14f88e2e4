"""What each audit action is called on the audit log page (the key stays in the link and
the filter, so a search by action works in any language)."""

from __future__ import annotations

from server.i18n.current import N_, gettext

AUDIT_ACTIONS = {
    "account_opening_set": N_("hours account opening set"),
    "allowance_opening_set": N_("yearly allowance used at adoption set"),
    "badge_replaced": N_("badge replaced"),
    "contract_added": N_("contract added"),
    "contract_changed": N_("contract changed"),
    "employee_deactivated": N_("employee deactivated"),
    "employee_profile_changed": N_("employee's profile changed"),
    "employee_reactivated": N_("employee reactivated"),
    "employees_imported": N_("employees imported"),
    "geofence_added": N_("stamping area added"),
    "geofence_deleted": N_("stamping area deleted"),
    "leave_opening": N_("leave opening set"),
    "login": N_("login"),
    "login_failed": N_("login failed"),
    "login_locked": N_("login locked"),
    "login_refused_locked": N_("login refused: locked"),
    "logout": N_("logout"),
    "month_close_started": N_("month close started"),
    "month_closed": N_("month closed"),
    "month_reopened": N_("month reopened"),
    "openings_imported": N_("opening balances imported"),
    "password_changed": N_("password changed"),
    "password_reset": N_("password reset"),
    "password_reset_done": N_("password reset done"),
    "password_reset_refused": N_("password reset refused"),
    "password_reset_requested": N_("password reset requested"),
    "request_approved": N_("request approved"),
    "request_filed": N_("request filed"),
    "request_rejected": N_("request rejected"),
    "request_revoked": N_("request approval revoked"),
    "request_withdrawn": N_("request withdrawn"),
    "retention": N_("old data removed"),
    "rota_set": N_("rota set"),
    "rules_activated": N_("rules activated"),
    "rules_uploaded": N_("rules uploaded"),
    "schedule_period_set": N_("schedule period set"),
    "signature_sheet_entered": N_("signature sheet entered"),
    "sso_failed": N_("institution login failed"),
    "sso_refused": N_("institution login refused"),
    "stamp_added": N_("stamp added"),
    "stamp_corrected": N_("stamp corrected"),
    "stamp_voided": N_("stamp voided"),
    "terminal_added": N_("terminal added"),
    "terminal_fault_reported": N_("terminal fault reported"),
    "terminal_fault_updated": N_("terminal fault updated"),
    "user_contact_changed": N_("user's contact changed"),
    "user_created": N_("user created"),
    "user_provisioned": N_("user provisioned"),
    "user_unlocked": N_("user unlocked"),
}


def audit_action(action: str) -> str:
    """The action in the reader's words; one this list does not know, as recorded."""
    return gettext(AUDIT_ACTIONS[action]) if action in AUDIT_ACTIONS else action
