"""Badge replacement fees, as the rule file's `fee` statements say.

Seed 003 (school): "una somma pari a 5 euro per la prima richiesta ed a 10 euro per
le successive" (`fee badge_replacement 5.00 EUR then 10.00 EUR`). Seed 004
(academy): 5 € for damage or loss, free when demagnetised (`fee badge_damaged`,
`badge_lost`, `badge_demagnetised`). A fee named after the reason wins over
the general `badge_replacement`.

Seed 001 (university) states no fee: "Lo smarrimento o il furto del badge dovrà essere
segnalato alla Divisione Stipendi per il rilascio di una nuova tessera". Rules that define
no `badge_*` fee at all replace the badge for free and record no fee. Rules that price some
reasons but neither this one nor `badge_replacement` are refused: what to charge is theirs
to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.days.rules_in_force import policy_at, policy_on
from server.db.directory import add_badge
from server.db.models import Badge, BadgeFee, User
from server.errors import OfficeError
from server.office.audit import record, utcnow
from server.office.people import employee_in_reach, require_office
from server.policy.model import Version

REASONS = ("lost", "damaged", "demagnetised", "stolen")
REASON_WORDS = {"lost": "smarrito", "damaged": "danneggiato", "demagnetised": "smagnetizzato",
                "stolen": "rubato"}


@dataclass(frozen=True)
class Replacement:
    """What `replace_badge` did: the fee row (None when the rules define no fee), the
    badges revoked, the badge issued."""

    fee: BadgeFee | None
    revoked: list[str] = field(default_factory=list)
    new_badge: str | None = None


def badge_fees(version: Version) -> dict[str, tuple[int, int | None]]:
    """The rules' badge fees: name → (first cents, later cents or None); pure."""
    return {name: (fee.first_cents, fee.then_cents) for name, fee in version.fees.items()
            if name.startswith("badge_")}


def fee_for(version: Version, reason: str, earlier: int) -> tuple[str, int] | None:
    """(fee name, cents) for a replacement after `earlier` charged ones, None when the
    rules define no badge fee at all; pure."""
    for name in (f"badge_{reason}", "badge_replacement"):
        fee = version.fees.get(name)
        if fee is not None:
            then = fee.then_cents if fee.then_cents is not None else fee.first_cents
            return name, fee.first_cents if earlier == 0 else then
    if not badge_fees(version):
        return None
    word = REASON_WORDS.get(reason, reason)
    raise OfficeError(f"Le regole in vigore non prevedono un costo per la sostituzione del "
                      f"badge per il motivo «{word}», ma solo per altri motivi",
                      f"The rules in force define no badge replacement fee for the reason "
                      f"'{reason}', only for other reasons", field="reason")


def replace_badge(session: Session, actor: User, employee_id: int, reason: str, *,
                  new_badge: str | None = None, day: date | None = None,
                  now: datetime | None = None) -> Replacement:
    """Charge the fee the rules define (none if they define none), revoke the employee's
    badges and issue `new_badge` when given."""
    require_office(actor, "sostituire i badge", "replace badges")
    if reason not in REASONS:
        raise OfficeError("Motivo non valido: smarrito, danneggiato, smagnetizzato o rubato",
                          "Invalid reason: lost, damaged, demagnetised or stolen",
                          field="reason")
    now = now or utcnow()
    employee = employee_in_reach(session, actor, employee_id)
    if day is None:
        policy, day = policy_at(session, employee.institution_id, now)
    else:
        policy = policy_on(session, employee.institution_id, day)
    version = policy.version_on(day)
    earlier = session.scalar(select(func.count()).select_from(BadgeFee).where(
        BadgeFee.employee_id == employee.id)) or 0
    charged = fee_for(version, reason, earlier)
    old = list(session.scalars(select(Badge.code).where(
        Badge.employee_id == employee.id, Badge.revoked_at.is_(None))))
    session.execute(update(Badge).where(Badge.employee_id == employee.id,
                                        Badge.revoked_at.is_(None)).values(revoked_at=now))
    if new_badge:
        add_badge(session, employee, new_badge)
    fee = None
    if charged is not None:
        fee = BadgeFee(institution_id=employee.institution_id, employee_id=employee.id,
                       badge_code=old[0] if old else (new_badge or ""), reason=reason,
                       amount_cents=charged[1], created_by=actor.id, created_at=now)
        session.add(fee)
    session.flush()
    record(session, actor, "badge_replaced", f"employee:{employee.id}",
           {"fee": charged[0] if charged else None,
            "amount_cents": charged[1] if charged else None, "reason": reason,
            "revoked": old, "new_badge": new_badge}, now=now)
    return Replacement(fee, old, new_badge)


def fees_of(session: Session, actor: User, employee_id: int | None = None) -> list[BadgeFee]:
    """The fees charged in the actor's institution, or to one employee; newest first."""
    stmt = select(BadgeFee).where(BadgeFee.institution_id == actor.institution_id)
    if employee_id is not None:
        stmt = stmt.where(BadgeFee.employee_id == employee_id)
    return list(session.scalars(stmt.order_by(BadgeFee.created_at.desc(), BadgeFee.id.desc())))
