"""Rule file upload: check with line and column, dry run of a month, activation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from world import World, world

from server.days.rules_in_force import policy_on
from server.errors import NotAllowed, OfficeError
from server.office import closing, rules_upload
from server.office.summary import month_summary
from server.policy.load import load_policy

SCHOOL = (Path(__file__).parents[2] / "plugins/school/school.rules").read_text()
# 35 hours instead of 36: the full-time day is due 7h instead of 7h12m.
SHORTER = SCHOOL.replace("        weekly 36h\n", "        weekly 35h\n", 1).replace(
    "        due 7h12m\n", "        due 7h\n", 1)
MAY = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def school(db_engine: sa.Engine) -> Iterator[World]:
    with Session(db_engine) as session:
        w = world(session, "school")
        w.stamps("ann", date(2026, 4, 7), "in 07:30, out 14:42")
        yield w


def test_a_broken_file_is_reported_at_its_line_and_column(school: World) -> None:
    broken = SCHOOL.replace("        due 7h12m\n", "        due 7x12m\n", 1)
    line = broken.splitlines().index("        due 7x12m") + 1
    problems = rules_upload.check_rules(broken, "school.rules", "school")
    assert problems and problems[0].line == line and problems[0].column > 1
    with pytest.raises(rules_upload.RulesRefused) as refused:
        rules_upload.upload_rules(school.session, school.users["admin"], "school.rules",
                                  broken)
    assert refused.value.problems == problems
    garbage = rules_upload.check_rules("institution {{{", "x.rules", "school")
    assert garbage[0].line == 1
    other = rules_upload.check_rules(SCHOOL, "school.rules", "academy")
    assert "non per 'academy'" in other[0].message


def test_the_dry_run_shows_the_difference_when_the_due_time_changes(school: World) -> None:
    w = school
    draft = rules_upload.upload_rules(w.session, w.users["admin"], "school-35h.rules", SHORTER)
    diffs = {d.number: d for d in rules_upload.dry_run(w.session, w.users["admin"], draft.id,
                                                       now=MAY)}
    ann = diffs["ANN"]
    # April 2026: 21 working days; Ann worked 7h12m on one of them: under the new rules 12
    # minutes beyond the due, which no authorisation covers ("In nessun caso è possibile il
    # prolungamento ... dell'orario senza preventiva autorizzazione"), so not credited.
    assert ann.changed["due"] == (21 * 432, 21 * 420)
    assert ann.changed["balance"] == (432 - 21 * 432, 420 - 21 * 420)
    assert ann.changed["worked"] == (432, 420)


def test_activation_from_a_month_puts_the_new_rules_in_force(school: World) -> None:
    w, admin = school, school.users["admin"]
    draft = rules_upload.upload_rules(w.session, admin, "school-35h.rules", SHORTER)
    with pytest.raises(OfficeError, match="primo giorno"):
        rules_upload.activate(w.session, admin, draft.id, date(2026, 4, 15), now=MAY)
    with pytest.raises(NotAllowed):
        rules_upload.activate(w.session, w.users["office"], draft.id, date(2026, 4, 1))
    rules_upload.activate(w.session, admin, draft.id, date(2026, 4, 1), now=MAY)
    april = month_summary(w.session, w.users["ann"], w.employees["ann"].id, 2026, 4)
    march = month_summary(w.session, w.users["ann"], w.employees["ann"].id, 2026, 3)
    assert april.result.due == 21 * 420 and march.result.due == 22 * 432
    assert policy_on(w.session, "school", date(2026, 4, 1)).file_name == "school-35h.rules"
    assert load_policy("school").file_name == "school.rules"  # the plugin's file is untouched


def test_a_closed_month_keeps_its_rules(school: World) -> None:
    w = school
    closing.close_month(w.session, w.users["office"], 2026, 4, now=MAY, reason="assenze")
    draft = rules_upload.upload_rules(w.session, w.users["admin"], "school-35h.rules", SHORTER)
    with pytest.raises(OfficeError, match="mese chiuso"):
        rules_upload.activate(w.session, w.users["admin"], draft.id, date(2026, 4, 1), now=MAY)
    rules_upload.activate(w.session, w.users["admin"], draft.id, date(2026, 5, 1), now=MAY)
