"""Approvals with timing, as the office enforces them: prior authorisation (`prior`), a
deadline to decide by (`within`), a waiver for one profile (`except`), a code a profile may
not use (`not_for`). On SQLite and PostgreSQL (the `db_engine` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, at, hm, world

from server.days.rules_in_force import RulesInForce
from server.db.models import AuditEntry, RuleVersion, User
from server.errors import NotAllowed, OfficeError
from server.office import decisions, requests
from server.office.summary import evaluate_months
from server.plugins import institutions

DAY = date(2026, 3, 16)  # a Monday


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        yield world(session, "school")


@pytest.fixture
def academy(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        w = world(session, "academy")
        w.employee("dan", profile="coadiutore", unit="lab")
        w.user("dan", "employee", employee="dan")
        session.commit()
        yield w


def activate(w: World, edit: tuple[str, str]) -> None:
    """The plugin's rule file with one statement changed, active from 2026-01-01."""
    spec = institutions()[w.institution]
    source = spec.rule_file.read_text(encoding="utf-8")
    assert edit[0] in source
    admin = w.session.scalar(sa.select(User).where(User.institution_id == w.institution,
                                                   User.role == "admin"))
    assert admin is not None
    w.session.add(RuleVersion(institution_id=w.institution, file_name=spec.rule_file.name,
                              source=source.replace(edit[0], edit[1], 1), state="active",
                              active_from=date(2026, 1, 1), uploaded_by=admin.id,
                              uploaded_at=datetime(2026, 1, 1, tzinfo=UTC)))
    w.session.commit()


def test_overtime_asked_after_it_began_is_refused_for_want_of_prior_authorisation(
        school: World) -> None:
    """Seed 003: "Il lavoro straordinario deve essere preventivamente autorizzato"."""
    w = school
    with pytest.raises(OfficeError) as refused:
        requests.file_overtime(w.session, w.users["ann"], w.employees["ann"].id, DAY, "paid",
                               start=hm("15:00"), end=hm("16:00"), now=at(DAY, "15:30"))
    assert "autorizzazione preventiva" in refused.value.italian
    assert "16/03/2026 15:00" in refused.value.italian
    w.session.rollback()
    filed = requests.file_overtime(w.session, w.users["ann"], w.employees["ann"].id, DAY,
                                   "paid", start=hm("15:00"), end=hm("16:00"),
                                   now=at(DAY, "14:59"))
    assert filed.state == "pending"


def test_the_office_may_record_a_late_authorisation_and_the_audit_says_so(school: World) -> None:
    w = school
    filed = requests.file_overtime(w.session, w.users["office"], w.employees["ann"].id, DAY,
                                   "paid", start=hm("15:00"), end=hm("16:00"),
                                   now=at(DAY, "17:00"))
    entry = w.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "request_filed", AuditEntry.target == f"request:{filed.id}"))
    assert entry is not None and entry.detail["late"] is True


def test_a_lead_time_counts_back_from_the_start(school: World) -> None:
    w = school
    activate(w, ('        approval director prior  # "Il lavoro straordinario',
                 '        approval director prior 24h  # "Il lavoro straordinario'))
    with pytest.raises(OfficeError) as refused:
        requests.file_overtime(w.session, w.users["ann"], w.employees["ann"].id, DAY, "paid",
                               start=hm("15:00"), end=hm("16:00"), now=at(DAY, "09:00"))
    assert "15/03/2026 15:00" in refused.value.italian and "24h00" in refused.value.italian


def test_an_approval_after_its_deadline_is_refused_and_a_rejection_still_allowed(
        school: World) -> None:
    w = school
    activate(w, ('        approval director\n        allowance short_permit',
                 '        approval director within 48h\n        allowance short_permit'))
    web = ('        entered terminal\n        source "003:l.150"',
           '        entered terminal, web\n        source "003:l.150"')
    row = w.session.scalar(sa.select(RuleVersion))
    assert row is not None and web[0] in row.source
    row.source = row.source.replace(web[0], web[1], 1)
    w.session.commit()
    filed = requests.file_justification(w.session, w.users["ann"], w.employees["ann"].id, DAY,
                                        "PB", start=hm("10:00"), end=hm("11:00"),
                                        now=at(DAY, "09:00"))
    w.session.commit()
    with pytest.raises(OfficeError) as refused:  # the day ends 16/03 24:00, + 48 h
        decisions.approve(w.session, w.users["office"], filed.id, now=at(date(2026, 3, 18),
                                                                          "11:01"))
    assert "18/03/2026 11:00" in refused.value.italian and "rifiutare" in refused.value.italian
    w.session.rollback()
    decisions.reject(w.session, w.users["office"], filed.id, "fuori termine",
                     now=at(date(2026, 3, 19), "09:00"))
    on_time = requests.file_justification(w.session, w.users["ann"], w.employees["ann"].id,
                                          date(2026, 3, 17), "PB", start=hm("10:00"),
                                          end=hm("11:00"), now=at(date(2026, 3, 17), "09:00"))
    approved = decisions.approve(w.session, w.users["office"], on_time.id,
                                 now=at(date(2026, 3, 19), "10:59"))
    assert approved.state == "approved"


def test_a_coadiutore_needs_no_approval_for_code_1(academy: World) -> None:
    """Seed 004 art. 3: uscite autorizzate dal Direttore Amministrativo "eccetto quelle
    disposte per l'affidamento di incarichi rientranti nelle mansioni del personale
    coadiutore"."""
    w = academy  # code 1 is also entered on the web (academy.rules): filed afterwards
    for key, state in (("dan", "approved"), ("ann", "pending")):
        filed = requests.file_justification(
            w.session, w.users[key], w.employees[key].id, DAY, "1", start=hm("10:00"),
            end=hm("11:00"), notes="consegna", now=at(DAY, "12:00"))
        assert filed.state == state, key


def test_a_code_not_for_the_profile_is_refused(school: World) -> None:
    w = school
    activate(w, ('        approval director prior  # "Il lavoro straordinario',
                 '        not_for full_time\n        approval director prior  # "Il lavoro'))
    with pytest.raises(OfficeError) as refused:
        requests.file_overtime(w.session, w.users["ann"], w.employees["ann"].id, DAY, "paid",
                               start=hm("15:00"), end=hm("16:00"), now=at(DAY, "09:00"))
    assert refused.value.italian == "Il codice STRP non è previsto per il profilo full_time"


def test_a_missed_stamp_is_declared_within_48_hours_of_it(school: World) -> None:
    """«entro le 48 ore successive» (issue 11): counted from the stamp that was missed."""
    w = school
    activate(w, ("        missed_stamp 08:30 of next_day", "        missed_stamp 48h"))
    ann = w.employees["ann"].id
    later = date(2026, 3, 18)
    with pytest.raises(OfficeError) as refused:
        requests.file_missed_stamp(w.session, w.users["ann"], ann, DAY, hm("13:00"), "out",
                                   "dimenticato", now=at(later, "13:01"))
    assert refused.value.italian == ("Termine scaduto: la mancata timbratura andava "
                                     "dichiarata entro 18/03/2026 13:00")
    w.session.rollback()
    filed = requests.file_missed_stamp(w.session, w.users["ann"], ann, DAY, hm("13:00"), "out",
                                       "dimenticato", now=at(later, "12:59"))
    assert filed.state == "pending"


def test_who_approves_a_declared_missed_stamp_is_the_rules(school: World) -> None:
    """Seed 003, the self-certification form: «Autorizza / Non autorizza IL DSGA»."""
    w = school
    ann = w.employees["ann"].id
    activate(w, ('        source "003:l.230 form" "Autorizza / Non autorizza IL DSGA"\n'
                 "        missed_stamp approval director\n", ""))  # without it: a manager
    first = requests.file_missed_stamp(w.session, w.users["ann"], ann, DAY, hm("13:00"), "out",
                                       "dimenticato", now=at(DAY, "18:00"))
    assert decisions.approval_of(w.session, first) == "manager"
    w.session.execute(sa.delete(RuleVersion))  # back to the plugin's file: the DSGA
    w.session.commit()
    second = requests.file_missed_stamp(w.session, w.users["bob"], w.employees["bob"].id, DAY,
                                        hm("13:00"), "out", "dimenticato", now=at(DAY, "18:00"))
    assert decisions.approval_of(w.session, second) == "director"
    with pytest.raises(NotAllowed):
        decisions.approve(w.session, w.users["lab_head"], second.id, now=at(DAY, "19:00"))
    assert decisions.approve(w.session, w.users["office"], second.id,
                             now=at(DAY, "19:00")).state == "approved"


def test_a_yearly_overtime_limit_counts_the_earlier_months_in_every_computation(
        school: World) -> None:
    """The month close and the reports read the month without asking for its opening: a rule
    file with a yearly limit makes them read the year's earlier months all the same."""
    w = school
    activate(w, ("    overtime {\n", "    overtime {\n        max 1h30m per year\n"))
    for day in (date(2026, 1, 12), date(2026, 3, 16)):  # 1h of paid overtime on each
        w.stamps("ann", day, "in 07:30, out 13:00, in 13:30, out 16:12 code STRP")
    w.session.commit()
    rules = RulesInForce(w.session, ["school"])
    march = evaluate_months(w.session, rules, [w.employees["ann"]], 2026, 3,
                            now=datetime(2026, 4, 2, 9, tzinfo=UTC))[w.employees["ann"].id]
    assert (march.overtime_paid, march.over_cap) == (30, {"overtime": 30})
    [flag] = [f for f in march.flags if f.name == "overtime_over_limit"]
    assert flag.message == ("overtime: 2h00 this year, over the limit of 1h30: 0h30 not "
                            "counted")
