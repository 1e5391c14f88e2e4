"""Badge replacement fees, as the rule file's `fee` statements say.

Seed 003 (school): "una somma pari a 5 euro per la prima richiesta ed a 10 euro per
le successive" (`fee badge_replacement 5.00 EUR then 10.00 EUR`). Seed 004
(academy): 5 € for damage or loss, free when demagnetised (`fee badge_damaged`,
`badge_lost`, `badge_demagnetised`). A fee named after the reason wins over
the general `badge_replacement`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.db.directory import add_badge
from server.db.models import Badge, BadgeFee, User
from server.office.audit import record, utcnow
from server.office.errors import OfficeError
from server.office.people import employee_in_reach, require_office
from server.office.rules_in_force import policy_on
from server.policy.model import Version

REASONS = ("lost", "damaged", "demagnetised", "stolen")


def fee_for(version: Version, reason: str, earlier: int) -> tuple[str, int]:
    """(fee name, cents) for a replacement after `earlier` charged ones; pure."""
    for name in (f"badge_{reason}", "badge_replacement"):
        fee = version.fees.get(name)
        if fee is not None:
            then = fee.then_cents if fee.then_cents is not None else fee.first_cents
            return name, fee.first_cents if earlier == 0 else then
    raise OfficeError("Le regole in vigore non prevedono un costo per la sostituzione del badge",
                      "The rules in force define no badge replacement fee", field="reason")


def replace_badge(session: Session, actor: User, employee_id: int, reason: str, *,
                  new_badge: str | None = None, day: date | None = None,
                  now: datetime | None = None) -> BadgeFee:
    """Charge the fee, revoke the employee's badges and issue `new_badge` when given."""
    require_office(actor, "sostituire i badge", "replace badges")
    if reason not in REASONS:
        raise OfficeError("Motivo non valido: smarrito, danneggiato, smagnetizzato o rubato",
                          "Invalid reason: lost, damaged, demagnetised or stolen",
                          field="reason")
    now = now or utcnow()
    employee = employee_in_reach(session, actor, employee_id)
    day = day or now.date()
    version = policy_on(session, employee.institution_id, day).version_on(day)
    earlier = session.scalar(select(func.count()).select_from(BadgeFee).where(
        BadgeFee.employee_id == employee.id)) or 0
    name, cents = fee_for(version, reason, earlier)
    old = list(session.scalars(select(Badge.code).where(
        Badge.employee_id == employee.id, Badge.revoked_at.is_(None))))
    session.execute(update(Badge).where(Badge.employee_id == employee.id,
                                        Badge.revoked_at.is_(None)).values(revoked_at=now))
    if new_badge:
        add_badge(session, employee, new_badge)
    fee = BadgeFee(institution_id=employee.institution_id, employee_id=employee.id,
                   badge_code=old[0] if old else (new_badge or ""), reason=reason,
                   amount_cents=cents, created_by=actor.id, created_at=now)
    session.add(fee)
    session.flush()
    record(session, actor, "badge_replaced", f"employee:{employee.id}",
           {"fee": name, "amount_cents": cents, "reason": reason, "revoked": old,
            "new_badge": new_badge}, now=now)
    return fee


def fees_of(session: Session, actor: User, employee_id: int | None = None) -> list[BadgeFee]:
    """The fees charged in the actor's institution, or to one employee; newest first."""
    stmt = select(BadgeFee).where(BadgeFee.institution_id == actor.institution_id)
    if employee_id is not None:
        stmt = stmt.where(BadgeFee.employee_id == employee_id)
    return list(session.scalars(stmt.order_by(BadgeFee.created_at.desc(), BadgeFee.id.desc())))
