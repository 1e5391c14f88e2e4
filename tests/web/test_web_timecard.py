"""The timecard (cartellino) as the employee sees it: a demo month's figures, each one's
explanation naming the rule file line, anomalies with their fix-by date, and nobody
reading a timecard that is not theirs to read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from web_pages import form, json_headers, signed_in
from world import WebWorld, fresh_web_world, other

from dsl.ast import Pos
from server.days.results import refresh_days
from server.db.models import DayResultRow, Employee, Stamp, User
from server.minutes import hours
from server.policy.load import load_policy
from server.web import timecard

RULES = Path(__file__).resolve().parents[2] / "plugins"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    folder = tmp_path_factory.mktemp("web_timecard")
    with fresh_web_world(folder) as world:
        yield world



def last_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def a_demo_day(world: WebWorld, institution: str = "university") -> DayResultRow:
    """A working day of last month with a pause deducted or a meal voucher: rich figures."""
    employee_id = world.ids[(institution, "self_employee")]
    first = (world.today.replace(day=1) - timedelta(days=1)).replace(day=1)
    with Session(world.engine) as session:
        rows = list(session.scalars(sa.select(DayResultRow).where(
            DayResultRow.employee_id == employee_id, DayResultRow.day >= first,
            DayResultRow.due > 0).order_by(DayResultRow.day)))
    assert rows, "the demo has no day results for last month"
    return rows[0]


def rule_line(source: str) -> str:
    file_name, line = source.split(":")
    path = RULES / file_name.removesuffix(".rules") / file_name
    return path.read_text(encoding="utf-8").splitlines()[int(line) - 1]


def test_the_employee_sees_a_demo_day_and_its_explanation(world: WebWorld,
                                                          stack: ExitStack) -> None:
    client = world.client(stack)
    world.login(client, "university", "employee")
    day = a_demo_day(world)
    page = client.get(f"/timecard?month={day.day:%Y-%m}")
    assert page.status_code == 200 and "Maria Rossi" in page.text
    row = page.text.split(f'id="d{day.day.isoformat()}"', 1)[1].split("</tr>", 1)[0]
    # The figures of that day, as the seeds write durations.
    for minutes in (day.worked, day.due, day.balance):
        assert f"<summary>{hours(minutes)}</summary>" in row, row
    # The due figure opens onto its rule: the text and where it is written.
    due_part = row.split(f"<summary>{hours(day.due)}</summary>", 1)[1].split("</details>")[0]
    sources = re.findall(r"university\.rules:\d+", due_part)
    assert sources, due_part
    rule_text = re.search(r'<code class="rule">([^<]+)</code>', due_part)
    assert rule_text and rule_text.group(1) in rule_line(sources[0])
    # And where in the regulation each rule comes from (the `source` lines of the file).
    policy = load_policy("university")
    shown = re.findall(r'<span class="source">(university\.rules:\d+)</span> · '
                       r'<span class="regulation" title="Norma">([^<]+)</span>', page.text)
    assert shown, "no step of the month names its regulation"
    for source, regulation in shown:
        line = int(source.split(":")[1])
        assert regulation == policy.regulation(Pos("university.rules", line, 1)), source
    if not policy.regulation(Pos("university.rules", int(sources[0].split(":")[1]), 1)):
        assert 'class="regulation"' not in due_part
    # Each stamp with its time and source.
    with Session(world.engine) as session:
        first = session.scalars(sa.select(Stamp).where(
            Stamp.employee_id == world.ids[("university", "self_employee")],
            Stamp.local_date == day.day).order_by(Stamp.local_minute)).first()
    assert first is not None
    assert f"{first.local_minute // 60:02d}:{first.local_minute % 60:02d}" in row
    assert "terminal" in row


def test_the_json_api_gives_the_same_month_with_sources(world: WebWorld,
                                                        stack: ExitStack) -> None:
    client = world.client(stack)
    world.login(client, "university", "employee")
    day = a_demo_day(world)
    employee_id = world.ids[("university", "self_employee")]
    month = client.get(f"/api/v1/timecard/{employee_id}?month={day.day:%Y-%m}").json()
    found = next(d for d in month["days"] if d["date"] == day.day.isoformat())
    assert (found["worked"], found["due"], found["balance"]) == (day.worked, day.due,
                                                                  day.balance)
    for step in found["explain"]["due"]:
        assert re.fullmatch(r"university\.rules:\d+", step["source"])
        assert step["rule"] in rule_line(step["source"])
    assert month["worked"] == sum(d["worked"] for d in month["days"])


def test_month_navigation(world: WebWorld, stack: ExitStack) -> None:
    client = world.client(stack)
    world.login(client, "university", "employee")
    page = client.get("/timecard?month=2026-01").text
    assert 'href="/timecard?month=2025-12"' in page and 'href="/timecard?month=2026-02"' in page
    # Issue 14: months read as a person says them ("dicembre 2026"), not `2026-12`.
    assert "‹ dicembre 2025</a>" in page and "<strong>gennaio 2026</strong>" in page
    client.post("/language", data=form(client, lang="en", next="/"))
    assert "<strong>January 2026</strong>" in client.get("/timecard?month=2026-01").text
    assert client.get("/timecard?month=2026-13").status_code == 400
    assert client.get("/api/v1/timecard/1?month=january").status_code in (400, 404)


def test_an_anomaly_is_highlighted_with_its_fix_by_date(world: WebWorld, stack: ExitStack) -> None:
    employee_id = world.ids[("university", "self_employee")]
    day = a_demo_day(world).day + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    with Session(world.engine) as session, session.begin():
        # A forgotten exit: one new "in" stamp alone on a day that had none left in force.
        session.execute(sa.delete(DayResultRow).where(DayResultRow.employee_id == employee_id,
                                                      DayResultRow.day == day))
        existing = list(session.scalars(sa.select(Stamp).where(
            Stamp.employee_id == employee_id, Stamp.local_date == day)))
        now = datetime.now(UTC)
        for stamp in existing:  # corrections that void them, as the office would
            session.add(Stamp(institution_id="university", source="manual",
                              employee_id=employee_id, terminal_time=stamp.terminal_time,
                              received_at=now, local_date=day, local_minute=stamp.local_minute,
                              replaces_id=stamp.id, void=True, author="test", reason="test",
                              flags=""))
        session.add(Stamp(institution_id="university", source="web", employee_id=employee_id,
                          terminal_time=now, received_at=now, local_date=day,
                          local_minute=8 * 60, direction="in", flags=""))
        session.flush()
        refresh_days(session, {("university", employee_id, day)}, now)
    client = world.client(stack)
    world.login(client, "university", "employee")
    page = client.get(f"/timecard?month={day:%Y-%m}").text
    row_start = page.index(f'id="d{day.isoformat()}"')
    row = page[page.rindex("<tr", 0, row_start):].split("</tr>", 1)[0]
    assert 'class="anomaly' in row, row
    assert "da sistemare entro" in row and "08:00" in row and "web" in row
    # The deadline reads as the home page and Riepiloghi write it, day first, not 2026-04-03.
    deadline = row.split("da sistemare entro", 1)[1].split("</small>", 1)[0]
    assert re.fullmatch(r" il \d{2}/\d{2}/\d{4}( \d{2}:\d{2})?", deadline), deadline


@pytest.mark.parametrize("sample, page_status", [
    ("unit_colleague", 404), ("other_unit", 404), ("foreign:self_employee", 404)])
def test_an_employee_cannot_read_another_timecard_by_changing_the_id(
        world: WebWorld, stack: ExitStack, sample: str, page_status: int) -> None:
    client = world.client(stack)
    world.login(client, "university", "employee")
    institution = "university"
    if sample.startswith("foreign:"):
        institution, sample = other(institution), sample.removeprefix("foreign:")
    target = world.ids[(institution, sample)]
    with Session(world.engine) as session:
        victim = session.get(Employee, target)
        assert victim is not None
        name = victim.name
    for url in (f"/timecard/{target}", f"/api/v1/timecard/{target}",
                f"/timecard/{target}?month={last_month(world.today)}"):
        answer = client.get(url)
        assert answer.status_code == page_status
        assert f"matricola {victim.number}" not in answer.text
    assert name not in client.get(f"/api/v1/timecard/{target}").text


def test_manager_and_office_see_within_their_reach_only(world: WebWorld,
                                                        stack: ExitStack) -> None:
    manager, office = world.client(stack), world.client(stack)
    world.login(manager, "school", "manager")
    world.login(office, "school", "office")
    colleague = world.ids[("school", "unit_colleague")]
    elsewhere = world.ids[("school", "other_unit")]
    foreign = world.ids[("university", "unit_colleague")]
    assert manager.get(f"/timecard/{colleague}").status_code == 200
    assert manager.get(f"/timecard/{elsewhere}").status_code == 404
    assert office.get(f"/timecard/{elsewhere}").status_code == 200
    assert office.get(f"/api/v1/timecard/{foreign}").status_code == 404


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_scoping_holds_on_postgresql(web_world: WebWorld, stack: ExitStack) -> None:
    world = web_world
    client = world.client(stack)
    world.login(client, "school", "employee")
    own = world.ids[("school", "self_employee")]
    assert client.get(f"/api/v1/timecard/{own}?month="
                      f"{last_month(world.today)}").json()["worked"] > 0
    for target in (world.ids[("school", "unit_colleague")],
                   world.ids[("university", "self_employee")]):
        assert client.get(f"/api/v1/timecard/{target}").status_code == 404


def test_an_id_no_row_can_have_is_not_found_not_a_server_error(
        world: WebWorld, stack: ExitStack) -> None:
    client = world.client(stack)
    world.login(client, "university", "employee")
    huge = 10**30  # beyond 64 bits: the database driver overflows before any query runs
    assert client.get(f"/api/v1/timecard/{huge}").status_code == 404
    assert client.get(f"/timecard/{huge}").status_code == 404


@pytest.mark.parametrize("institution", ["university", "school", "academy", "chamber"])
def test_this_month_agrees_on_the_timecard_and_the_summaries(world: WebWorld, stack: ExitStack,
                                                             institution: str) -> None:
    """Issue 9: the demo employee's month read "+0h25" on the timecard and "-123h05 with 17
    anomalies" in the summaries, which counted every day still to come as an absence."""
    client = world.client(stack)
    world.login(client, institution, "employee")
    with Session(world.engine) as session:
        employee_id = session.scalar(sa.select(User.employee_id).where(
            User.username == world.usernames[(institution, "employee")]))
    month = world.today.strftime("%Y-%m")
    card = client.get(f"/api/v1/timecard/{employee_id}?month={month}").json()
    summary = client.get(f"/api/v1/summaries/{employee_id}?month={month}").json()
    assert (card["worked"], card["due"], card["balance"], card["meal_vouchers"],
            card["anomalies"], card["due_in_month"]) == (
        summary["worked"], summary["due"], summary["balance"], summary["meal_vouchers"],
        len(summary["anomalies"]), summary["due_in_month"])
    today = card["today"]
    assert all(a["date"] < today for a in summary["anomalies"])
    assert all(d["state"] == "future" and not d["anomalies"] and not d["computed"]
               for d in card["days"] if d["date"] > today)
    assert card["due"] == sum(d["due"] for d in card["days"] if d["computed"])
    page = client.get(f"/summaries?month={month}")
    assert page.status_code == 200 and "Dovuto nel mese" in page.text


def test_the_hours_account_is_the_same_on_the_summaries_and_the_timecard(
        world: WebWorld, stack: ExitStack) -> None:
    """Seed 002: «automaticamente compensata, in caso di conto ore individuale positivo»: the
    account the Riepiloghi list (opening, movements, closing) is the one the timecard runs
    day by day, in the API and on the Italian pages."""
    client = world.client(stack)
    world.login(client, "university", "employee")
    employee_id = world.ids[("university", "self_employee")]
    month = last_month(world.today)
    summary = client.get(f"/api/v1/summaries/{employee_id}?month={month}").json()
    card = client.get(f"/api/v1/timecard/{employee_id}?month={month}").json()
    account = summary["account"]
    assert account is not None and account["complete"]
    assert (card["account_opening"], card["account_closing"]) == (account["opening"],
                                                                  account["closing"])
    assert account["opening"] + sum(m["effect"] for m in account["movements"]) == account[
        "closing"]
    running = [d["account"] for d in card["days"] if d["account"] is not None]
    assert len(running) == len(summary["days"])
    came_in = next(m["effect"] for m in account["movements"] if m["kind"] == "month")
    assert came_in == summary["balance"]
    assert running[-1] + card["account_adjustment"] == account["opening"] + came_in
    for movement in account["movements"]:
        assert rule_line(movement["explain"]["source"]).strip() == movement["explain"]["rule"]
    page = client.get(f"/summaries/{employee_id}?month={month}").text
    assert "Conto ore individuale" in page and "Saldo iniziale" in page
    assert f"{hours(account['closing'])}</b></td></tr>" in page
    timecard = client.get(f"/timecard/{employee_id}?month={month}").text
    closing = f"{hours(account['closing'])}</b>"
    assert "Conto ore a fine mese" in timecard and closing in timecard


def test_the_office_imports_an_opening_balance_through_the_api(
        world: WebWorld, stack: ExitStack) -> None:
    """Adoption: the balance of the old system opens the account; only the office sets it,
    within its institution, and the month's Riepiloghi open with it."""
    employee_id = world.ids[("university", "self_employee")]
    url = f"/api/v1/admin/employees/{employee_id}/account-openings"
    month = last_month(world.today)
    starts = f"{month}-01"
    employee = signed_in(world, stack, "university", "employee")
    assert employee.post(url, json={"starts": starts, "balance": 600},
                         headers=json_headers(employee)).status_code == 403
    office = signed_in(world, stack, "university", "office")
    wrong_day = office.post(url, json={"starts": f"{month}-02", "balance": 600},
                            headers=json_headers(office))
    assert wrong_day.status_code == 400 and "primo giorno" in wrong_day.json()["detail"]
    foreign = signed_in(world, stack, "school", "office")
    assert foreign.post(url, json={"starts": starts, "balance": 600},
                        headers=json_headers(foreign)).status_code == 404
    done = office.post(url, json={"starts": starts, "balance": 600, "reason": "adozione"},
                       headers=json_headers(office))
    assert done.status_code == 201 and done.json()["balance"] == 600
    assert [o["balance"] for o in office.get(url).json()] == [600]
    summary = office.get(f"/api/v1/summaries/{employee_id}?month={month}").json()
    assert summary["account"]["opening"] == 600


def test_steps_under_no_figure_are_offered_in_the_reader_s_language(
        world: WebWorld, stack: ExitStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A day's steps that belong to no figure of the page sit behind "altro…": written in
    Italian on the English page too. No step of today's engine lacks a figure, so the test
    takes the pause's steps away from "worked" to have some."""
    monkeypatch.setitem(timecard.FIGURE_STEPS, "worked",
                        ("worked", "stamps", "credited", "by_code"))
    employee = signed_in(world, stack, "university", "employee")
    month = last_month(world.today)
    page = employee.get(f"/timecard?month={month}").text
    assert "altro…" in page and "other…" not in page
    employee.post("/language", data=form(employee, lang="en", next="/"))
    english = employee.get(f"/timecard?month={month}").text
    assert "other…" in english and "altro…" not in english


def test_a_stamp_missing_on_the_timecard_leads_to_its_form_on_that_day(
        tmp_path: Path) -> None:
    """The employee saw the anomaly and its deadline, but not where to fix it: the day now
    links to the missed stamp's form, open and on that day."""
    with fresh_web_world(tmp_path) as world, ExitStack() as stack:
        me = world.ids[("university", "self_employee")]
        day = date.today() - timedelta(days=1)  # fixable until the 3rd of the next month
        moment = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
        with Session(world.engine) as session, session.begin():
            session.add(Stamp(institution_id="university", source="terminal", employee_id=me,
                              terminal_time=moment, received_at=moment, local_date=day,
                              local_minute=23 * 60, direction="in", flags="", void=False,
                              terminal_stamp_id="fix-link"))
            session.flush()
            refresh_days(session, {("university", me, day)}, datetime.now(UTC))
        employee = signed_in(world, stack, "university", "employee")
        page = employee.get(f"/timecard?month={day:%Y-%m}").text
        row = page.split(f'id="d{day.isoformat()}"', 1)[1].split("</tr>", 1)[0]
        link = f"/requests?day={day.isoformat()}&amp;form=missed_stamp#missed-stamp"
        assert f'<a class="fix" href="{link}">Dichiara la timbratura mancata</a>' in row
        forms = employee.get(link.replace("&amp;", "&")).text
        missed = forms.split('id="missed-stamp"', 1)[1].split("</details>", 1)[0]
        assert missed.startswith(" open>")
        assert f'name="day" required value="{day.isoformat()}"' in missed
        assert 'id="justification" >' in forms  # the other form folded
        # Someone else's timecard, as the office reads it, has no such link.
        office = signed_in(world, stack, "university", "office")
        assert 'class="fix"' not in office.get(f"/timecard/{me}?month={day:%Y-%m}").text
