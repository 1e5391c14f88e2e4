"""The year's pages as an office clerk and an employee read them in Italian (issue 16, looked
at in Chromium): profiles by their labels, one day of ferie said as one day, a request filed
for an employee confirmed where it went, the leave report's headings agreeing with any leave."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from web_pages import csrf, form, signed_in
from world import WebWorld, fresh_web_world

from server.days.rules_in_force import policy_at
from server.db.models import Employee
from server.minutes import hours
from server.policy.model import Policy


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    with fresh_web_world(tmp_path_factory.mktemp("web_year_pages")) as world:
        yield world


def _ferie(policy: Policy, world: WebWorld) -> str:
    label = policy.version_on(world.today).leaves["ferie"].label
    assert label is not None
    return label.value


def _rules(world: WebWorld) -> tuple[Policy, Employee]:
    with Session(world.engine) as session:
        policy, _ = policy_at(session, "university", datetime.now(UTC))
        me = session.get(Employee, world.ids[("university", "self_employee")])
        assert me is not None
        session.expunge(me)
    return policy, me


def test_the_office_reads_profiles_by_their_labels_and_goes_on_to_the_months(
        world: WebWorld, stack: ExitStack) -> None:
    policy, me = _rules(world)
    label = policy.version_on(world.today).profile_label(me.profile)
    assert label != me.profile  # the seed's rules give each profile a label
    office = signed_in(world, stack, "university", "office")
    listing = office.get("/admin/employees").text
    row = listing[listing.index(f">{me.number}</a>"):].split("</tr>", 1)[0]
    assert f">{label}" in row and f">{me.profile}<" not in row
    # The import's example is introduced in Italian only (it once carried an English line).
    assert "Esempio:" in listing and "Header required" not in listing
    page = office.get(f"/admin/employees/{me.id}").text
    card = page.split('id="employee"', 1)[1].split("</dl>", 1)[0]
    assert label in card and me.profile not in card.replace('id="profile"', "")
    for href in (f"/timecard/{me.id}", f"/summaries/{me.id}", f"/employees/{me.id}/openings"):
        assert f'href="{href}"' in page, href


def test_the_import_lists_the_profile_names_its_file_needs(
        world: WebWorld, stack: ExitStack) -> None:
    """The file names a profile as the rules do (full_time), which no page showed: the form
    lists each name the rules in force define with its label, and its example uses one."""
    policy, _ = _rules(world)
    version = policy.version_on(world.today)
    office = signed_in(world, stack, "university", "office")
    listing = html.unescape(office.get("/admin/employees").text)
    table = listing.split('id="import-profiles"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td><code>([^<]+)</code></td><td>([^<]+)</td></tr>", table)
    assert rows == [(name, version.profile_label(name)) for name in sorted(version.profiles)]
    example = listing.split("<pre>", 1)[1].split("</pre>", 1)[0]
    assert {line.split(";")[2] for line in example.splitlines()[1:]} <= set(version.profiles)


def test_the_employee_page_has_one_form_for_profile_and_part_time(
        world: WebWorld, stack: ExitStack) -> None:
    """Two forms changed the profile from a date; the contracts' one is left, its home."""
    _, me = _rules(world)
    office = signed_in(world, stack, "university", "office")
    page = html.unescape(office.get(f"/admin/employees/{me.id}").text)
    assert 'id="profile-change"' not in page and "Correzione del profilo" not in page
    contracts = page.split('id="contracts"', 1)[1].split("</section>", 1)[0]
    assert ('<h3 id="contract-change">Modifica profilo o part time da una data</h3>'
            in contracts)


def test_one_day_of_ferie_left_reads_as_one_day_and_a_request_filed_for_her_is_confirmed(
        world: WebWorld, stack: ExitStack) -> None:
    policy, me = _rules(world)
    ferie = _ferie(policy, world)
    start = world.today.replace(day=1)
    office = signed_in(world, stack, "university", "office")
    uploaded = office.post("/admin/employees/openings", data={"_csrf_token": csrf(office)},
                           files={"file": ("saldi.csv", f"matricola;data;ferie\r\n{me.number};"
                                           f"{start:%d/%m/%Y};1\r\n".encode(), "text/csv")},
                           follow_redirects=False)
    assert uploaded.status_code == 303, uploaded.text
    openings = office.get(f"/employees/{me.id}/openings").text
    assert "1 giorno residuo" in openings and "1 giorni" not in openings
    employee = signed_in(world, stack, "university", "employee")
    home = employee.get("/").text
    assert re.search(rf"{ferie}: <b>1 giorno</b>", home), home

    day = world.today.replace(day=28)  # a day of the month the opening counts for
    filed = office.post("/requests/justification", data=form(
        office, employee_id=str(me.id), code="FER", day=day.isoformat(), start="", end="",
        notes="", override_balance="1"), files={"attachment": ("", b"")},
        follow_redirects=False)
    assert (filed.status_code, filed.headers.get("location")) == (303, "/requests?filed=1"), (
        filed.text)
    page = office.get("/requests?filed=1").text
    assert "<h1>Richieste per un dipendente</h1>" in page
    assert 'id="filed"' in page and 'href="/approvals"' in page

    # Her home says the day waiting beside the one left, so a refusal of one more day
    # ("restano 0 giorni": it counts the pending one) does not contradict it; the refusal
    # tells her the office can file it beyond the balance.
    home = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", employee.get("/").text))
    assert f"{ferie}: 1 giorno su 28 , 1 in attesa di approvazione" in home, home
    refused = employee.post("/requests/justification", data=form(
        employee, code="FER", day=(day - timedelta(days=1)).isoformat(), start="", end="",
        notes=""), files={"attachment": ("", b"")})
    assert refused.status_code == 400
    said = re.sub(r"\s+", " ", html.unescape(refused.text))
    assert "restano 0 giorni" in said
    assert "l'ufficio del personale può registrarla oltre il saldo" in said, said

    # The office files that day anyway (its override): the approver sees it went beyond
    # the balance, on the desk and in the API; the day within the balance is not marked.
    beyond = office.post("/requests/justification", data=form(
        office, employee_id=str(me.id), code="FER", day=(day - timedelta(days=1)).isoformat(),
        start="", end="", notes="", override_balance="1"), files={"attachment": ("", b"")},
        follow_redirects=False)
    assert beyond.status_code == 303, beyond.text
    waiting = {r["day"]: r for r in office.get("/api/v1/approvals").json()
               if r["employee_id"] == me.id}
    over, within = waiting[(day - timedelta(days=1)).isoformat()], waiting[day.isoformat()]
    assert (over["beyond_balance"], within["beyond_balance"]) == (True, False)
    desk = html.unescape(office.get("/approvals").text)
    marked = {r["id"]: "Registrata dall'ufficio oltre il saldo" in desk.split(
        f'id="r{r["id"]}"', 1)[1].split("</tr>", 1)[0] for r in (over, within)}
    assert marked == {over["id"]: True, within["id"]: False}, desk
    detail = html.unescape(office.get(f"/requests/{over['id']}").text)
    assert "Registrata dall'ufficio oltre il saldo" in detail


def test_the_home_shows_the_hours_account_apart_from_the_months_balance(
        world: WebWorld, stack: ExitStack) -> None:
    policy, me = _rules(world)
    assert policy.version_on(world.today).account is not None  # the university keeps one
    employee = signed_in(world, stack, "university", "employee")
    summary = employee.get(f"/api/v1/summaries/{me.id}?month={world.today:%Y-%m}").json()
    home = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", employee.get("/").text))
    # The month's balance to yesterday and the account (the months before carried): both
    # the one computation's, each under its own name.
    assert f"Saldo del mese fino a ieri {hours(summary['balance'])}" in home, home
    assert f"Conto ore fino a ieri {hours(summary['account']['closing'])}" in home, home


def test_the_leave_columns_of_the_account_report_say_days(
        world: WebWorld, stack: ExitStack) -> None:
    policy, me = _rules(world)
    ferie = _ferie(policy, world)
    office = signed_in(world, stack, "university", "office")
    data = office.get("/reports/account/csv").content.decode("utf-8-sig")
    heads = next(csv.reader(io.StringIO(data), delimiter=";"))
    # "Ferie: fruiti" disagreed with the feminine leave; "giorni" agrees with every one.
    assert {f"{ferie}: giorni spettanti", f"{ferie}: giorni fruiti",
            f"{ferie}: giorni residui"} <= set(heads), heads

    # The permits to recover: one name in Riepiloghi and in the report, apart from the
    # account's "Debito da recuperare" on the same page.
    overtime = office.get("/reports/overtime/csv").content.decode("utf-8-sig")
    assert "Permessi da recuperare" in next(csv.reader(io.StringIO(overtime), delimiter=";"))
    summaries = office.get(f"/summaries/{me.id}").text
    assert "<dt>Permessi da recuperare</dt>" in summaries
    assert "<dt>Da recuperare</dt>" not in summaries


def test_a_phone_card_shows_no_label_with_nothing_under_it(
        world: WebWorld, stack: ExitStack) -> None:
    """On a phone each day is a card of labelled lines (timbra.css): "Anomalie" or "Codici"
    with nothing under them was read as something missing."""
    _, me = _rules(world)
    employee = signed_in(world, stack, "university", "employee")
    month = f"{world.today:%Y-%m}"
    data = employee.get(f"/api/v1/timecard/{me.id}?month={month}").json()
    page = employee.get(f"/timecard?month={month}").text
    rows = dict(re.findall(r'<tr id="d([0-9-]+)"[^>]*>(.*?)</tr>', page, re.S))
    labelled = {"Timbrature": "stamps", "Codici": "by_code", "Anomalie": "anomalies"}
    seen = {label: 0 for label in labelled}
    for day in data["days"]:
        if not day["computed"]:
            continue
        for label, key in labelled.items():
            cell = re.search(rf'<td data-label="{label}"[^>]*>(.*?)</td>', rows[day["date"]],
                             re.S)
            assert cell is not None or not day[key], (day["date"], label)
            if cell is not None:  # a label only over something to read
                assert re.sub(r"<[^>]+>|\s", "", cell.group(1)), (day["date"], label)
                seen[label] += 1
    assert seen["Timbrature"] and seen["Codici"] + seen["Anomalie"] < 2 * len(data["days"])
    css = employee.get("/static/timbra.css").text
    phone = css[css.index("@media (max-width: 640px)"):]
    assert "td.empty { display: none; }" in phone.split("\n}", 1)[0]
