"""Badge replacement fees from the rule files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.db.directory import add_badge
from server.db.models import AuditEntry, Badge, BadgeFee
from server.errors import NotAllowed, OfficeError
from server.office.fees import replace_badge

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def session(db_engine: sa.Engine) -> Iterator[Session]:
    with Session(db_engine) as session:
        yield session


def charge(w: World, reason: str, badge: str | None = None) -> int:
    fee = replace_badge(w.session, w.users["office"], w.employees["ann"].id, reason,
                        new_badge=badge, now=NOW).fee
    assert fee is not None
    return fee.amount_cents


def test_school_charges_5_euro_the_first_time_and_10_after(session: Session) -> None:
    """Seed 003, art. 3: "una somma pari a 5 euro per la prima richiesta ed a 10 euro per
    le successive" (school.rules: `fee badge_replacement 5.00 EUR then 10.00 EUR`)."""
    w = world(session, "school")
    assert [charge(w, "lost", "2001"), charge(w, "damaged", "2002"),
            charge(w, "lost", "2003")] == [500, 1000, 1000]
    live = session.scalars(sa.select(Badge.code).where(Badge.revoked_at.is_(None))).all()
    assert live == ["2003"]


def test_academy_charges_5_euro_for_damage_or_loss_and_nothing_if_demagnetised(
        session: Session) -> None:
    """Seed 004: "In caso di smagnetizzazione del badge ... provvederà a sostituirlo
    gratuitamente"; damage or loss: "la relativa spesa pari a € 5,00"."""
    w = world(session, "academy")
    assert [charge(w, "demagnetised"), charge(w, "lost"), charge(w, "damaged")] == [
        0, 500, 500]
    # Rules that price some reasons but not this one (nor badge_replacement) are refused.
    with pytest.raises(OfficeError, match=r"non prevedono.*rubato"):
        charge(w, "stolen")


def test_university_replaces_a_lost_badge_with_no_fee_recorded(session: Session) -> None:
    """Seed 001 states no fee: "Lo smarrimento o il furto del badge dovrà essere
    segnalato alla Divisione Stipendi per il rilascio di una nuova tessera";
    university.rules has no `fee`. The badge is replaced, nothing is charged."""
    w = world(session, "university")
    ann = w.employees["ann"]
    add_badge(session, ann, "U1")
    replaced = replace_badge(session, w.users["office"], ann.id, "lost", new_badge="U2",
                             now=NOW)
    session.commit()
    assert (replaced.fee, replaced.revoked, replaced.new_badge) == (None, ["U1"], "U2")
    assert session.scalar(sa.select(sa.func.count()).select_from(BadgeFee)) == 0
    badges = dict(session.execute(sa.select(Badge.code, Badge.revoked_at)).all())
    assert badges["U1"] is not None and badges["U2"] is None
    entry = session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "badge_replaced")).one()
    assert (entry.detail["fee"], entry.detail["amount_cents"]) == (None, None)


def test_only_the_office_replaces_badges(session: Session) -> None:
    w = world(session, "school")
    with pytest.raises(NotAllowed):
        replace_badge(session, w.users["lab_head"], w.employees["ann"].id, "lost", now=NOW,
                      day=date(2026, 3, 2))
