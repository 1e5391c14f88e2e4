"""One employee's page and API: the personnel office changes a profile (the open month's
day results follow) and deactivates someone who left (no more login, badges refused by
the ingest, past stamps kept)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from web_pages import (
    Client,
    activate_rules,
    day_of,
    form,
    json_headers,
    last_month,
    plain_days,
    signed_in,
)
from world import WebWorld, fresh_web_world

from server.db.models import Badge, Employee, Stamp
from server.ingest.incoming import Incoming
from server.ingest.lookup import Lookup
from server.ingest.store import store_stamps
from terminals.protocol import StampMessage, topic

FULL_TIME_DUE, PART_TIME_DUE = 7 * 60 + 15, 6 * 60  # university.rules: due 7h15m / 6h


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path) as world:
        yield world


def _first_of_last_month() -> str:
    return f"{last_month()}-01"


def _employee(world: WebWorld, employee_id: int) -> Employee:
    with Session(world.engine) as session:
        found = session.get(Employee, employee_id)
        assert found is not None
        session.expunge(found)
        return found


def test_the_clerk_changes_a_profile_on_the_employee_page_and_the_open_month_due_follows(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    day = plain_days(office, me)[0]["date"]
    assert day_of(office, me, day)["due"] == FULL_TIME_DUE
    assert f'href="/admin/employees/{me}"' in office.get("/admin/employees").text
    page = office.get(f"/admin/employees/{me}").text
    # One form changes the profile from a date, the contracts'; a second one, "Correzione
    # del profilo da una data passata", did the same with fewer fields.
    assert page.count('name="kind" value="change"') == 1
    assert f'action="/admin/employees/{me}/profile"' not in page
    assert "Correzione del profilo" not in page
    changed = office.post(f"/admin/employees/{me}/contracts", data=form(
        office, kind="change", start=_first_of_last_month(), profile="part_time_6h",
        reason="Richiesta della dipendente"), follow_redirects=False)
    assert changed.status_code == 303
    done = office.get(changed.headers["location"]).text
    assert "Contratto salvato" in done and "Contract saved" not in done
    assert day_of(office, me, day)["due"] == PART_TIME_DUE
    assert _employee(world, me).profile == "part_time_6h"


def test_the_contract_change_shows_its_errors_keeps_what_was_typed_and_changes_nothing(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    start = _first_of_last_month()
    for fields, italian, english in (
            ({"part_time_percent": "molti"}, "Percentuale non valida", "Invalid percentage"),
            ({"start": "31/02/2026"}, "Data non valida", "Invalid date")):
        sent = {"kind": "change", "start": start, "profile": "part_time_6h",
                "part_time_percent": "80", "reason": "Richiesta della dipendente", **fields}
        refused = office.post(f"/admin/employees/{me}/contracts", data=form(office, **sent))
        assert refused.status_code == 400, fields
        assert italian in refused.text and english not in refused.text, fields
        # The clerk corrects one field, not the whole form: it used to come back empty.
        change = refused.text.split('name="kind" value="change">', 1)[1].split("</form>")[0]
        assert f'name="part_time_percent" inputmode="numeric" value="{sent["part_time_percent"]}"' \
            in change, fields
        assert 'value="Richiesta della dipendente"' in change
        assert '<option value="part_time_6h" selected>' in change
        office.cookies.set("timbra_lang", "en", domain="testserver.local")
        in_english = office.post(f"/admin/employees/{me}/contracts", data=form(office, **sent))
        assert english in in_english.text and italian not in in_english.text, fields
        office.cookies.delete("timbra_lang", domain="testserver.local")
    employee = _employee(world, me)
    assert (employee.profile, employee.part_time_percent) == ("full_time", 100)


def test_the_api_changes_a_profile_and_the_open_month_due_follows(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    day = plain_days(office, me)[0]["date"]
    headers = json_headers(office)
    refused = office.post(f"/api/v1/admin/employees/{me}/profile",
                          json={"profile": "no_such"}, headers=headers)
    assert refused.status_code == 400 and "assente" in refused.json()["detail"]
    answer = office.post(f"/api/v1/admin/employees/{me}/profile", json={
        "profile": "part_time_6h", "part_time_percent": 83,
        "effective": _first_of_last_month()}, headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["employee"]["profile"] == "part_time_6h"
    assert body["employee"]["part_time_percent"] == 83
    assert body["start"] == _first_of_last_month() and body["refreshed"] > 0
    assert body["closed_months"] == []
    assert day_of(office, me, day)["due"] == PART_TIME_DUE
    assert office.get(f"/api/v1/admin/employees/{me}").json()["profile"] == "part_time_6h"


def test_a_clerk_of_another_institution_gets_404_and_changes_nothing(
        world: WebWorld, stack: ExitStack) -> None:
    office = signed_in(world, stack, "school", "office")
    foreign = world.ids[("university", "self_employee")]
    headers = json_headers(office)
    assert office.get(f"/admin/employees/{foreign}").status_code == 404
    assert office.get(f"/api/v1/admin/employees/{foreign}").status_code == 404
    assert office.post(f"/admin/employees/{foreign}/contracts", data=form(
        office, kind="change", start=_first_of_last_month(),
        part_time_percent="50")).status_code == 404
    assert office.post(f"/admin/employees/{foreign}/deactivate",
                       data=form(office)).status_code == 404
    assert office.post(f"/api/v1/admin/employees/{foreign}/profile",
                       json={"part_time_percent": 50}, headers=headers).status_code == 404
    assert office.post(f"/api/v1/admin/employees/{foreign}/deactivate", json={},
                       headers=headers).status_code == 404
    employee = _employee(world, foreign)
    assert (employee.part_time_percent, employee.active) == (100, True)


def test_employees_and_managers_are_refused_and_the_admin_may_not_change_a_profile(
        world: WebWorld, stack: ExitStack) -> None:
    me = world.ids[("university", "self_employee")]
    for role in ("employee", "manager"):
        client = signed_in(world, stack, "university", role)
        assert client.get(f"/admin/employees/{me}").status_code == 403
        assert client.post(f"/admin/employees/{me}/deactivate",
                           data=form(client)).status_code == 403
        assert client.post(f"/api/v1/admin/employees/{me}/profile", json={
            "part_time_percent": 50}, headers=json_headers(client)).status_code == 403
    admin = signed_in(world, stack, "university", "admin")
    page = admin.get(f"/admin/employees/{me}").text
    assert "Solo l'ufficio del personale gestisce i contratti" in page
    assert f'action="/admin/employees/{me}/contracts"' not in page
    assert admin.post(f"/admin/employees/{me}/contracts", data=form(
        admin, kind="change", start=_first_of_last_month(),
        part_time_percent="50")).status_code == 403
    assert _employee(world, me).part_time_percent == 100


def _swipe(world: WebWorld, badge: str) -> str:
    """A stamp of `badge` now at the live demo terminal, through the ingest's store with
    a fresh Lookup, as a restarted ingest would read it."""
    now = datetime.now(UTC)
    message = StampMessage("ingresso-festa", 900_001, "web-employees-1", badge, now)
    with Session(world.engine) as session, session.begin():
        outcome = store_stamps(session, Lookup(), [Incoming(
            topic("university", "ingresso-festa", "stamp"), message.encode(), now)], now)
    [ack] = outcome.acks[("university", "ingresso-festa")]
    return ack.status


def _stamps_of(world: WebWorld, employee_id: int) -> int:
    with Session(world.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Stamp).where(
            Stamp.employee_id == employee_id)) or 0


def test_deactivation_through_the_page_ends_login_and_the_ingest_refuses_the_badge(
        world: WebWorld, stack: ExitStack) -> None:
    me = world.ids[("university", "self_employee")]
    employee = signed_in(world, stack, "university", "employee")
    with Session(world.engine) as session:
        badge = session.scalars(sa.select(Badge.code).where(
            Badge.employee_id == me, Badge.revoked_at.is_(None))).one()
    stamps = _stamps_of(world, me)
    office = signed_in(world, stack, "university", "office")
    done = office.post(f"/admin/employees/{me}/deactivate", data=form(
        office, reason="dimissioni"), follow_redirects=False)
    assert done.status_code == 303
    page = office.get(done.headers["location"]).text
    assert "Dipendente disattivato" in page and ">disattivato<" in page
    assert f'action="/admin/employees/{me}/reactivate"' in page
    # The session they were in ends; a new login gets the wrong-password answer.
    ended = employee.get("/", follow_redirects=False)
    assert ended.status_code == 302 and ended.headers["location"].startswith("/login")
    again = world.login(employee, "university", "employee")
    assert again.status_code == 401 and "Nome utente o password errati" in again.text
    assert _swipe(world, badge) == "rejected"
    assert _stamps_of(world, me) == stamps  # past stamps stay
    assert plain_days(office, me)  # and so do last month's results
    twice = office.post(f"/admin/employees/{me}/deactivate", data=form(office))
    assert twice.status_code == 400 and "già disattivato" in twice.text
    assert "already inactive" not in twice.text  # Italian unless English is chosen


def test_reactivation_restores_login_and_badge_and_the_api_does_both(
        world: WebWorld, stack: ExitStack) -> None:
    me = world.ids[("university", "self_employee")]
    admin: Client = signed_in(world, stack, "university", "admin")
    headers = json_headers(admin)
    off = admin.post(f"/api/v1/admin/employees/{me}/deactivate",
                     json={"reason": "errore"}, headers=headers)
    assert off.status_code == 200 and off.json()["active"] is False
    assert admin.post(f"/api/v1/admin/employees/{me}/deactivate", json={},
                      headers=headers).status_code == 400
    employee = world.client(stack)
    assert world.login(employee, "university", "employee").status_code == 401
    office = signed_in(world, stack, "university", "office")
    on = office.post(f"/admin/employees/{me}/reactivate", data=form(office, reason="riga "
                                                                    "sbagliata"),
                     follow_redirects=False)
    assert on.status_code == 303 and "Dipendente riattivato" in office.get(
        on.headers["location"]).text
    assert world.login(employee, "university", "employee").status_code == 303
    with Session(world.engine) as session:
        badge = session.scalars(sa.select(Badge.code).where(
            Badge.employee_id == me, Badge.revoked_at.is_(None))).one()
    assert _swipe(world, badge) == "stored"
    assert admin.post(f"/api/v1/admin/employees/{me}/reactivate", json={},
                      headers=headers).status_code == 400


def test_the_profiles_offered_are_the_activated_rule_files(world: WebWorld,
                                                           stack: ExitStack) -> None:
    """The university activates a file with one more profile: the clerk may choose it."""
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    assert "part_time_5h" not in office.get(f"/admin/employees/{me}").text
    activate_rules(world, stack, "university", lambda text: text.replace(
        "    profile part_time_6h {",
        "    profile part_time_5h {\n        label \"Part time 5 ore\"\n        weekly 25h\n"
        "        days mon..fri\n        due 5h\n        time full\n    }\n\n"
        "    profile part_time_6h {", 1), "unimi-profili.rules")
    assert '<option value="part_time_5h"' in office.get(f"/admin/employees/{me}").text


def test_the_schedule_and_opening_forms_keep_what_was_typed_after_a_refusal(
        world: WebWorld, stack: ExitStack) -> None:
    """They came back empty: the clerk typed the period or the balances again."""
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    refused = office.post(f"/admin/employees/{me}/schedule", data=form(
        office, starts="2026-12-20", ends="2026-12-10", profile="part_time_6h", d2="1",
        reason="Settimana corta"))
    assert refused.status_code == 400 and "La fine precede l&#39;inizio" in refused.text
    schedule = refused.text.split('id="schedule"', 1)[1].split("</section>", 1)[0]
    for kept in ('name="starts" required value="2026-12-20"', 'name="ends" value="2026-12-10"',
                 '<option value="part_time_6h" selected>', 'name="d2" value="1" checked',
                 'value="Settimana corta"'):
        assert kept in schedule, kept
    assert 'name="d1" value="1" checked' not in schedule
    refused = office.post(f"/admin/employees/{me}/openings", data=form(
        office, start=_first_of_last_month(), balance="tre ore", reason="Adozione"))
    assert refused.status_code == 400
    openings = refused.text.split('id="openings"', 1)[1].split("</section>", 1)[0]
    assert 'value="tre ore"' in openings and 'value="Adozione"' in openings
    assert f'name="start" required value="{_first_of_last_month()}"' in openings
