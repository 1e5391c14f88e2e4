"""Corrections by the personnel office and signature sheets (seed 000)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, hm, world

from server.db.models import AuditEntry, DayResultRow, Stamp
from server.errors import NotAllowed, NotFound, OfficeError
from server.office import corrections
from server.office.corrections import SheetLine

DAY = date(2026, 2, 2)  # a Monday
NOW = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def chamber(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        w = world(session, "chamber")
        w.employee("dan", profile="auxiliary", unit="lab")
        w.session.commit()
        yield w


def stamp_ids(w: World, key: str) -> list[int]:
    return list(w.session.scalars(sa.select(Stamp.id).where(
        Stamp.employee_id == w.employees[key].id).order_by(Stamp.id)))


def test_a_correction_replaces_the_stamp_and_the_original_stays_visible(chamber: World) -> None:
    w = chamber
    w.stamps("ann", DAY, "in 08:00, out 14:00")
    first, exit_ = stamp_ids(w, "ann")
    fixed = corrections.correct_stamp(w.session, w.users["office"], exit_, minute=hm("15:12"),
                                      direction="out", code=None,
                                      reason="uscita registrata in anticipo per errore", now=NOW)
    views = corrections.day_stamps(w.session, w.users["ann"], w.employees["ann"].id, DAY)
    assert [(v.clock, v.in_force, v.replaced_by, v.source) for v in views] == [
        ("08:00", True, None, "terminal"), ("14:00", False, fixed.id, "terminal"),
        ("15:12", True, None, "manual")]
    assert (fixed.author, fixed.replaces_id) == ("chamber.office", exit_)
    result = w.session.get(DayResultRow, (w.employees["ann"].id, DAY))
    assert result is not None and (result.worked, result.balance) == (hm("07:12"), 0)
    with pytest.raises(OfficeError, match="già stata corretta"):
        corrections.void_stamp(w.session, w.users["office"], exit_, "di nuovo", now=NOW)
    assert first in stamp_ids(w, "ann")


def test_a_voided_stamp_no_longer_counts(chamber: World) -> None:
    w = chamber
    w.stamps("ann", DAY, "in 08:00, in 08:01, out 15:12")
    _, double, _ = stamp_ids(w, "ann")
    corrections.void_stamp(w.session, w.users["office"], double, "doppia entrata", now=NOW)
    result = w.session.get(DayResultRow, (w.employees["ann"].id, DAY))
    assert result is not None and (result.worked, result.anomalies) == (hm("07:12"), 0)
    entry = w.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.detail["replaces"], entry.detail["reason"]) == (
        "stamp_voided", double, "doppia entrata")


def test_only_the_office_corrects_and_always_with_a_reason(chamber: World) -> None:
    w = chamber
    w.stamps("ann", DAY, "in 08:00")
    [only] = stamp_ids(w, "ann")
    for key in ("ann", "lab_head", "admin"):
        with pytest.raises(NotAllowed):
            corrections.void_stamp(w.session, w.users[key], only, "errore", now=NOW)
    with pytest.raises(OfficeError, match="motivo"):
        corrections.void_stamp(w.session, w.users["office"], only, "  ", now=NOW)
    with pytest.raises(OfficeError, match="al massimo 2000 caratteri") as refused:
        corrections.void_stamp(w.session, w.users["office"], only, "z" * 2001, now=NOW)
    assert refused.value.field == "reason" and stamp_ids(w, "ann") == [only]


def test_an_employee_sees_only_their_own_stamps(chamber: World) -> None:
    """Someone else's stamps are not found, as with another institution's: nobody
    learns what they may not read."""
    w = chamber
    with pytest.raises(NotFound):
        corrections.day_stamps(w.session, w.users["bob"], w.employees["ann"].id, DAY)


def test_signature_sheet_of_auxiliary_staff_becomes_manual_stamps(chamber: World) -> None:
    """Seed 000: "Per il personale ausiliario la presenza sarà attestata a mezzo firma e
    orario di entrata/uscita apposti su specifici fogli"."""
    w = chamber
    lines = [SheetLine(DAY, hm("07:30"), hm("14:42")),
             SheetLine(date(2026, 2, 3), hm("08:00"), hm("15:00"))]
    rows = corrections.enter_signature_sheet(w.session, w.users["office"],
                                             w.employees["dan"].id, lines, sheet="02/2026",
                                             now=NOW)
    assert [(r.source, r.direction, r.local_minute) for r in rows[:2]] == [
        ("manual", "in", hm("07:30")), ("manual", "out", hm("14:42"))]
    result = w.session.get(DayResultRow, (w.employees["dan"].id, DAY))
    assert result is not None and (result.worked, result.balance) == (hm("07:12"), 0)


def test_a_signature_sheet_with_one_bad_line_writes_nothing(chamber: World) -> None:
    w = chamber
    lines = [SheetLine(DAY, hm("07:30"), hm("14:42")),
             SheetLine(date(2026, 2, 3), hm("15:00"), hm("08:00"))]
    with pytest.raises(OfficeError, match="03/02/2026"):
        corrections.enter_signature_sheet(w.session, w.users["office"], w.employees["dan"].id,
                                          lines, now=NOW)
    assert stamp_ids(w, "dan") == []
    # Staff who stamp on the web are not on signature sheets.
    with pytest.raises(OfficeError, match="non firma"):
        corrections.enter_signature_sheet(w.session, w.users["office"], w.employees["ann"].id,
                                          lines[:1], now=NOW)
