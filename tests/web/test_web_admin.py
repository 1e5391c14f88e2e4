"""The administrator's pages and their API twins, through the real app: terminals with their
live status and fault reports, the CSV import, users, rule files, plugins, audit log.

Who may reach each route is `test_web_access.py`'s job; here, what the pages do.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import Session
from world import WebWorld, fresh_web_world, log_in

from server.db.models import Employee, Terminal, User
from server.plugins import institutions

INSTITUTION = "school"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    folder = tmp_path_factory.mktemp("web_admin")
    with fresh_web_world(folder) as world:
        yield world


@pytest.fixture
def admin(world: WebWorld) -> Iterator[TestClient[Litestar]]:
    with ExitStack() as stack:
        client = world.client(stack)
        assert world.login(client, INSTITUTION, "admin").status_code == 303
        yield client


def form(client: TestClient[Litestar], url: str, data: dict[str, str], **kw: Any) -> Any:
    return client.post(url, data={**data, "_csrf_token": client.cookies.get("timbra_csrf", "")},
                       follow_redirects=False, **kw)


def api(client: TestClient[Litestar], url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json=body,
                       headers={"x-csrftoken": client.cookies.get("timbra_csrf", "")})


def test_terminal_added_shows_its_password_once_and_its_live_status(
        world: WebWorld, admin: TestClient[Litestar]) -> None:
    page = form(admin, "/admin/terminals", {"code": "aula-magna", "location": "Aula magna"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    password = re.search(r'<code class="secret">([^<]+)</code>', page.text)
    assert password and "school.aula-magna" in page.text
    # The next step in full: the Italian said only "e ricaricalo." ("and reload it.").
    assert "Poi rigenera la configurazione del broker e ricaricala." in page.text
    assert password.group(1) not in admin.get("/admin/terminals").text
    with Session(world.engine) as session, session.begin():
        row = session.scalar(sa.select(Terminal).where(Terminal.code == "aula-magna"))
        assert row is not None and row.password_hash != password.group(1)
        row.status, row.queued, row.clock_skew_s = "online", 7, -95
        row.last_seen = datetime.now(UTC) - timedelta(seconds=20)
    listed = {t["code"]: t for t in admin.get("/api/v1/admin/terminals").json()}
    live = listed["aula-magna"]
    assert (live["status"], live["queued"], live["clock_skew_s"]) == ("online", 7, -95)
    assert 15 <= live["seconds_since_seen"] < 120
    assert ">in linea<" in admin.get("/admin/terminals").text
    refused = form(admin, "/admin/terminals", {"code": "aula-magna"})
    assert refused.status_code == 400 and "already exists" in refused.text


def test_a_fault_is_reported_followed_and_closed(world: WebWorld,
                                                 admin: TestClient[Litestar]) -> None:
    terminal = world.ids[(INSTITUTION, "terminal")]
    made = api(admin, f"/api/v1/admin/terminals/{terminal}/faults", {
        "description": "spento, nessun segnale luminoso", "contact_name": "Anna Neri",
        "contact_email": "anna@example.org", "contact_phone": "091 000", "unit_head": "DSGA"})
    assert made.status_code == 201, made.text
    fault = made.json()
    assert fault["state"] == "open" and fault["terminal_id"] == terminal
    moved = form(admin, f"/admin/faults/{fault['id']}", {"state": "working",
                                                         "note": "tecnico chiamato"})
    assert moved.status_code == 303
    closed = api(admin, f"/api/v1/admin/faults/{fault['id']}", {"state": "closed",
                                                               "note": "sostituito"})
    assert [s["state"] for s in closed.json()["history"]] == ["open", "working", "closed"]
    page = admin.get("/admin/faults").text
    assert "tecnico chiamato" in page and "Anna Neri" in page
    assert [f["id"] for f in admin.get("/api/v1/admin/faults?state=closed").json()] \
        == [fault["id"]]
    foreign = world.ids[("university", "fault")]
    assert api(admin, f"/api/v1/admin/faults/{foreign}", {"state": "closed"}).status_code == 404


def test_csv_import_reports_every_bad_line_and_writes_nothing(
        world: WebWorld, admin: TestClient[Litestar]) -> None:
    def count() -> int:
        with Session(world.engine) as session:
            return session.scalar(sa.select(sa.func.count()).select_from(Employee).where(
                Employee.institution_id == INSTITUTION)) or 0
    before = count()
    bad = ("number,name,profile\nN1,Uno Bene,full_time\nM001,Doppio,full_time\n"
           "N3,Tre,nessun_profilo\n")
    page = form(admin, "/admin/employees/import", {},
                files={"file": ("people.csv", bad.encode(), "text/csv")})
    assert page.status_code == 400
    assert "riga <b>3</b>" in page.text and "riga <b>4</b>" in page.text
    assert "i profili validi sono: " in page.text and "Part-time %</th>" in page.text
    assert count() == before
    good = "number,name,profile,unit\nN10,Dieci Nuovo,full_time,Segreteria\n"
    done = form(admin, "/admin/employees/import", {},
                files={"file": ("people.csv", good.encode(), "text/csv")})
    assert done.status_code == 303 and count() == before + 1
    refused = api(admin, "/api/v1/admin/employees/import", {"csv": good})
    assert refused.status_code == 400
    assert "riga 2: la matricola N10 è già presente." in refused.json()["detail"]
    italian = "matricola;nome;profilo;unità\r\nN11;Undici Nuovo;full_time;Segreteria\r\n"
    done = form(admin, "/admin/employees/import", {},
                files={"file": ("persone.csv", italian.encode("cp1252"), "text/csv")})
    assert done.status_code == 303 and count() == before + 2
    assert "1 dipendente importato." in admin.get(done.headers["location"]).text


def test_users_added_reset_and_unlocked(world: WebWorld, admin: TestClient[Litestar]) -> None:
    made = form(admin, "/admin/users", {"username": "school.nuovo", "role": "office",
                                        "display_name": "Nuovo Impiegato"})
    assert made.status_code == 200
    otp = re.search(r'<code class="secret">([^<]+)</code>', made.text)
    assert otp is not None
    with ExitStack() as stack:
        newcomer = world.client(stack)
        first = log_in(newcomer, "school.nuovo", otp.group(1))
        assert first.headers["location"] == "/password"  # one-time: change it first
    with Session(world.engine) as session, session.begin():
        user = session.scalar(sa.select(User).where(User.username == "school.nuovo"))
        assert user is not None
        user.locked_until, user.failed_logins = datetime.now(UTC) + timedelta(minutes=9), 0
        user_id = user.id
    listed = {u["username"]: u for u in admin.get("/api/v1/admin/users").json()}
    assert listed["school.nuovo"]["locked"] is True
    assert api(admin, f"/api/v1/admin/users/{user_id}/unlock").json()["locked"] is False
    reset = api(admin, f"/api/v1/admin/users/{user_id}/reset").json()
    assert reset["password"] != otp.group(1) and reset["user"]["must_change_password"]
    refused = api(admin, "/api/v1/admin/users", {"username": "school.x", "role": "employee"})
    assert refused.status_code == 400 and "employee" in refused.json()["detail"]


def _school_rules() -> str:
    return institutions()[INSTITUTION].rule_file.read_text(encoding="utf-8")


def test_rule_file_errors_are_shown_at_their_line_with_a_caret(
        admin: TestClient[Litestar]) -> None:
    broken = _school_rules().replace("due 7h12m", "due 7x12m", 1)
    page = form(admin, "/admin/rules", {"text": broken, "file_name": "nuove.rules"})
    assert page.status_code == 400
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "7x12m" in text)
    assert f"nuove.rules:{line}:13" in page.text
    assert "        due 7x12m\n            ^</pre>" in page.text
    checked = api(admin, "/api/v1/admin/rules/check", {"file_name": "n.rules",
                                                        "text": broken}).json()
    assert not checked["ok"] and checked["problems"][0]["caret"] == " " * 12 + "^"


def test_an_uploaded_file_s_problems_cite_its_own_name(admin: TestClient[Litestar]) -> None:
    """After a refusal the form keeps the refused text and its name; the next file chosen
    was then checked, and its problems cited, under that stale name."""
    broken = _school_rules().replace("due 7h12m", "due 7x12m", 1)
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "7x12m" in text)
    page = form(admin, "/admin/rules", {"text": "", "file_name": "incollato.rules"},
                files={"file": ("scuola.rules", broken.encode(), "text/plain")})
    assert page.status_code == 400
    assert f"scuola.rules:{line}:13" in page.text and "incollato.rules:" not in page.text


def test_rule_file_errors_are_in_the_admin_s_language(admin: TestClient[Litestar]) -> None:
    """Issue 14: the checker's words reach the reader in their language, place and caret
    unchanged; English reads as the command line prints it."""
    broken = _school_rules().replace("due 7h12m", "due 7x12m", 1)
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "7x12m" in text)
    italian = html.unescape(form(admin, "/admin/rules", {"text": broken,
                                                         "file_name": "nuove.rules"}).text)
    assert f"nuove.rules:{line}:13</code>: 'due 7x12m' non è ammesso qui" in italian
    assert "        due 7x12m\n            ^</pre>" in italian
    assert ("forse intendevi 'due DURATION'? atteso una durata come 7h12m, 30m o 2h"
            in italian) and "is not supported" not in italian
    form(admin, "/language", {"lang": "en", "next": "/admin/rules"})
    english = html.unescape(form(admin, "/admin/rules", {"text": broken,
                                                         "file_name": "nuove.rules"}).text)
    assert f"nuove.rules:{line}:13</code>: 'due 7x12m' is not supported here" in english
    assert "        due 7x12m\n            ^</pre>" in english
    assert "did you mean 'due DURATION'? expected a duration like 7h12m, 30m or 2h" in english


def test_the_check_api_words_problems_in_the_request_s_language_with_their_ids(
        admin: TestClient[Litestar]) -> None:
    renamed = _school_rules().replace("profile full_time", "profile tempo_pieno", 1)
    body = {"file_name": "n.rules", "text": renamed}
    first = api(admin, "/api/v1/admin/rules/check", body).json()["problems"][0]
    assert first["message"].startswith("nessun profilo 'full_time' nelle regole in vigore dal ")
    assert first["hint"] == ("ogni ente ne ha bisogno; definiscilo in questa sezione o in una "
                             "precedente")
    assert first["message_id"] == "no profile '{}' in the rules in force from {}"
    assert first["args"][0] == "full_time" and first["caret"] == "^"
    admin.cookies.set("timbra_lang", "en")
    english = api(admin, "/api/v1/admin/rules/check", body).json()["problems"][0]
    assert english["message"] == first["message_id"].format(*first["args"])
    assert english["hint"] == first["hint_id"] == (
        "every institution needs one; define it in this section or an earlier one")


def test_rule_file_dry_run_then_activation(world: WebWorld, admin: TestClient[Litestar]) -> None:
    rules = _school_rules()
    profile = rules.index("weekly 36h")  # the full-time profile's week, then its due
    due = rules.index("due 7h12m", profile)
    shorter = (rules[:profile] + "weekly 35h" + rules[profile + 10:due] + "due 7h"
               + rules[due + 9:])
    uploaded = form(admin, "/admin/rules", {"text": shorter, "file_name": "school-35h.rules"})
    assert uploaded.status_code == 303, uploaded.text
    version = int(uploaded.headers["location"].rsplit("/", 1)[1])
    # The version's page words its state in Italian: it said "draft".
    assert f"<small>#{version} · bozza</small>" in admin.get(f"/admin/rules/{version}").text
    dry = admin.get(f"/api/v1/admin/rules/{version}/dry-run").json()
    changed = {e["number"]: {c["figure"]: (c["old"], c["new"]) for c in e["changes"]}
               for e in dry["employees"]}
    old_due, new_due = changed["M001"]["due"]
    assert new_due < old_due  # 12 minutes a working day fewer
    assert "dovuto:" in admin.get(f"/admin/rules/{version}/dry-run").text
    today = date.today()
    first_next = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    wrong = form(admin, f"/admin/rules/{version}/activate", {"active_from": "2030-01-15"})
    assert wrong.status_code == 400
    on = form(admin, f"/admin/rules/{version}/activate",
              {"active_from": first_next.isoformat()})
    assert on.status_code == 303
    listed = {v["id"]: v for v in admin.get("/api/v1/admin/rules").json()}
    assert listed[version]["state"] == "active"
    assert listed[version]["active_from"] == first_next.isoformat()
    # The pages give the date as people write it; they showed 2026-12-01.
    shown = f"{first_next:%d/%m/%Y}"
    assert f"attiva · dal {shown}</small>" in admin.get(f"/admin/rules/{version}").text
    listing = admin.get("/admin/rules").text
    assert f">{shown}</td>" in listing and first_next.isoformat() not in listing


def test_plugins_and_filtered_audit_log(admin: TestClient[Litestar]) -> None:
    plugins = {p["name"]: p for p in admin.get("/api/v1/admin/plugins").json()}
    assert plugins["school"]["institutions"] == ["school"] and plugins["school"]["version"]
    assert "<code>" in admin.get("/admin/plugins").text
    entries = admin.get("/api/v1/admin/audit?action=login&username=school.admin").json()
    assert entries["entries"] and {e["action"] for e in entries["entries"]} == {"login"}
    assert admin.get("/api/v1/admin/audit?username=university.admin").json()["entries"] == []
    assert admin.get("/api/v1/admin/audit?since=yesterday").status_code == 400
    assert "school.admin" in admin.get("/admin/audit?action=login").text
