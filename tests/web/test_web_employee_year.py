"""The employee's year end to end through the web and the API (issue 16's "done when"): a
part-time employee hired mid-year, with ferie, a permit recovered only in part, and one
never recovered, at the university (plugins/university, seed 002).

The office creates the person (the CSV import of its API) and their contract (the
contracts API), the administrator their account; the stamps arrive through the terminal
ingest (`server.ingest.store.store_stamps`, as the broker hands them); the employee files
ferie on the request form and the manager approves them on the approvals desk. What the
person and the office check is then read on every page that shows it: the timecard,
Riepiloghi (page, API and PDF), the office's report (CSV) and the leave API, and compared
one with the other.

The year is last year, so every month of it is over and its account complete.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from fractions import Fraction
from math import floor
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from chromium import ARTIFACTS, chromium
from fault_harness import free_port
from pdf_text import pdf_text
from sqlalchemy.orm import Session
from test_web_one_language import leftovers, quoted
from web_pages import Client, form, json_headers, signed_in
from world import WebWorld, fresh_web_world, log_in

from server.db.models import Institution, Terminal, User
from server.demo.load import ARCHIVE
from server.ingest.incoming import Incoming
from server.ingest.lookup import Lookup
from server.ingest.store import store_stamps
from server.minutes import clock, hours, signed_hours
from server.office.home import employee_today
from server.plugins import institutions
from server.web.routes.home import leave_view
from server.web.serve import serve_web
from terminals.protocol import StampMessage, topic

ROME = ZoneInfo("Europe/Rome")
RULES = institutions()["university"].rule_file
BADGE = "UNI7016"
NUMBER = "P016"
UNIT = "Ufficio demo"  # the demo manager's unit: the manager approves
PART_TIME = 50
# six_days: "due 6h" a day, mon..sat; at 50% three hours, whole five minutes as the
# terminal rounds them (seed 002: "La timbratura è arrotondata ai 5 minuti").
DUE = 6 * 60 * PART_TIME // 100


def rule_line(text: str, after: str = "") -> str:
    """`university.rules:N` of the first line holding `text` (after the first holding
    `after`), as explanations cite it."""
    lines = RULES.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    for number, line in enumerate(lines[start:], start + 1):
        if text in line:
            return f"{RULES.name}:{number}"
    raise AssertionError(f"{text!r} is not in {RULES.name}")


SEED_002 = 'rules from 2023-09-01 "Seed 002'  # the section in force in the test's year


def hm(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    return f"{sign}{abs(minutes) // 60}:{abs(minutes) % 60:02d}"


@dataclass
class Year:
    world: WebWorld
    year: int
    employee_id: int
    password: str
    hired: date
    ferie: list[date]
    # "partly" (April, half of it recovered in May), "never" (June), "late" (August, worked
    # back only in October, after its deadline)
    permits: dict[str, date]
    late_back: date  # the day of October she stays half an hour longer


def _ingest(world: WebWorld, stamps: list[tuple[date, str, str | None]],
            first: int = 900_001) -> None:
    """The stamps as the terminal sends them, stored by the ingest as the broker hands
    them over; `first`: the terminal's sequence number of the first."""
    now = datetime.now(UTC)
    batch = []
    # The archive terminal's demo stamps took the first sequence numbers: a number already
    # stored is a copy the ingest acknowledges and drops.
    for seq, (day, at, code) in enumerate(stamps, first):
        hour, minute = at.split(":")
        moment = datetime(day.year, day.month, day.day, int(hour), int(minute), tzinfo=ROME)
        message = StampMessage(ARCHIVE, seq, f"{ARCHIVE}-y{seq}", BADGE, moment, None, code)
        batch.append(Incoming(topic("university", ARCHIVE, "stamp"), message.encode(), now,
                              seq, 1))
    with Session(world.engine) as session:
        assert session.query(Terminal).filter_by(institution_id="university",
                                                 code=ARCHIVE).count() == 1
        outcome = store_stamps(session, Lookup(), batch, now)
        session.commit()
    stored = [a.status for acks in outcome.acks.values() for a in acks]
    assert stored == ["stored"] * len(stamps), set(stored)


def _due_days(client: Client, employee_id: int, month: str) -> list[dict[str, Any]]:
    days = client.get(f"/api/v1/timecard/{employee_id}?month={month}").json()["days"]
    return [d for d in days if d["due"] > 0]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    with fresh_web_world(tmp_path_factory.mktemp("employee_year")) as world, \
            ExitStack() as stack:
        yield _live_the_year(world, stack)


def _live_the_year(world: WebWorld, stack: ExitStack) -> Year:
    y = world.today.year - 1
    # The demo institution was created today; this one has used timbra since before the
    # year (leave counts no year before an institution's adoption).
    with Session(world.engine) as session, session.begin():
        session.execute(sa.update(Institution).where(Institution.id == "university")
                        .values(created_at=datetime(y, 1, 1, tzinfo=UTC)))
    hired = date(y, 3, 16)
    office = signed_in(world, stack, "university", "office")
    imported = office.post("/api/v1/admin/employees/import", headers=json_headers(office),
                           json={"csv": "matricola;nome;profilo;unità;badge\n"
                                        f"{NUMBER};Paola Parziale;six_days;{UNIT};{BADGE}\n"})
    assert imported.status_code in (200, 201), imported.text
    me = next(e["id"] for e in office.get("/api/v1/admin/employees").json()
              if e["number"] == NUMBER)
    url = f"/api/v1/admin/employees/{me}/contracts"
    [first] = office.get(url).json()
    dated = office.post(f"{url}/{first['id']}/dates", headers=json_headers(office),
                        json={"start": hired.isoformat(), "reason": "assunzione"})
    assert dated.status_code == 200, dated.text
    halved = office.post(f"{url}/change", headers=json_headers(office), json={
        "effective": hired.isoformat(), "part_time_percent": PART_TIME,
        "reason": "part time 50%"})
    assert halved.status_code in (200, 201), halved.text
    admin = signed_in(world, stack, "university", "admin")
    made = admin.post("/api/v1/admin/users", headers=json_headers(admin), json={
        "username": "university.paola", "role": "employee", "employee_number": NUMBER})
    assert made.status_code in (200, 201), made.text
    employee = world.client(stack)
    assert log_in(employee, "university.paola", made.json()["password"]).status_code == 303
    password = "anno-intero-2-paola"
    changed = employee.post("/password", data=form(employee, current=made.json()["password"],
                                                   new=password, confirm=password),
                            follow_redirects=False)
    assert changed.status_code == 303, changed.text

    months = {m: _due_days(office, me, f"{y}-{m:02d}") for m in range(3, 11)}
    # Two days of ferie in April, the permits in April, June and August, each on a working
    # day of its own; half an hour more on a day of May and on a day of October.
    april, may, june = months[4], months[5], months[6]
    ferie = [date.fromisoformat(april[i]["date"]) for i in (10, 11)]
    permits = {"partly": date.fromisoformat(april[3]["date"]),
               "never": date.fromisoformat(june[3]["date"]),
               "late": date.fromisoformat(months[8][3]["date"])}
    late_back = date.fromisoformat(months[10][5]["date"])
    longer = {date.fromisoformat(may[5]["date"]), late_back}
    stamps: list[tuple[date, str, str | None]] = []
    for days in months.values():
        for d in days:
            day = date.fromisoformat(d["date"])
            assert d["due"] == DUE, d
            if day in ferie:
                continue
            if day in permits.values():  # seed 001: "U10:00 cod. 29 – E11:00"
                stamps += [(day, "08:00", None), (day, "09:00", "29"), (day, "10:00", None),
                           (day, "11:00", None)]
            else:
                stamps += [(day, "08:00", None), (day, "11:30" if day in longer else "11:00",
                                                  None)]
    _ingest(world, stamps)

    # On the request form: the days of ferie, and each permit's authorisation (seed 001:
    # code 29 is typed at the terminal, "richieste e autorizzate mediante la compilazione
    # di specifica modulistica").
    filings = [{"code": "FER", "day": day.isoformat()} for day in ferie] + [
        {"code": "29", "day": day.isoformat(), "start": "09:00", "end": "10:00",
         "notes": "esigenze personali"} for day in permits.values()]
    for filing in filings:
        filed = employee.post("/requests/justification", data=form(employee, **filing),
                              files={"attachment": ("", b"", "application/octet-stream")},
                              follow_redirects=False)
        assert filed.status_code == 303, filed.text
    pending = [r["id"] for r in employee.get("/api/v1/requests").json()
               if r["state"] == "pending"]
    assert len(pending) == len(filings)
    manager = signed_in(world, stack, "university", "manager")
    desk = manager.get("/approvals?q=P016").text
    assert all(f'<tr id="r{i}">' in desk for i in pending)
    decided = manager.post("/approvals/bulk", data=form(manager, decision="approve",
                                                         note="ok", q="P016",
                                                         ids=[str(i) for i in pending]))
    assert decided.status_code == 200
    assert f"Richieste decise: {len(filings)}." in decided.text
    return Year(world, y, me, password, hired, ferie, permits, late_back)


def _summary(client: Client, year: Year, month: int) -> Any:
    got = client.get(f"/api/v1/summaries/{year.employee_id}?month={year.year}-{month:02d}")
    assert got.status_code == 200, got.text
    return got.json()


def _text(html: str) -> str:
    main = html[html.index("<main"):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def _last_day(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1) - date.resolution)


def test_nothing_is_due_before_the_hiring_and_half_the_profile_after(
        year: Year, stack: ExitStack) -> None:
    """The contract from 16 March at 50%: the days before it are not due, not absent; each
    working day after owes half of six_days' "due 6h", explained with the percentage."""
    office = signed_in(year.world, stack, "university", "office")
    march = office.get(f"/api/v1/timecard/{year.employee_id}?month={year.year}-03").json()
    before = [d for d in march["days"] if date.fromisoformat(d["date"]) < year.hired]
    after = [d for d in march["days"] if date.fromisoformat(d["date"]) >= year.hired]
    assert before and all(d["due"] == 0 and not d["anomalies"] for d in before)
    working = [d for d in after if d["due"]]
    assert working and {d["due"] for d in working} == {DUE}
    explained = working[0]["explain"]["due"][0]
    assert explained["args"] == [DUE, 6 * 60, PART_TIME]
    assert explained["source"] == rule_line("due 6h", after="profile six_days {")
    assert all(d["balance"] == 0 and not d["anomalies"] for d in working)


def _ferie(client: Client, year: Year) -> Any:
    found = {y["name"]: y for y in client.get(
        f"/api/v1/employees/{year.employee_id}/leave?on={year.year}-12-31").json()}
    return found["ferie"]


def _signed_in_as_her(year: Year, stack: ExitStack) -> Client:
    employee = year.world.client(stack)
    assert log_in(employee, "university.paola", year.password).status_code == 303
    return employee


def test_the_ferie_are_prorated_and_reduced_by_the_days_taken(year: Year,
                                                              stack: ExitStack) -> None:
    """`leave ferie { … prorate part_time, contract }` ("28 for a 5-day week, 32 for a
    6-day one", the rule file's note on the CCNL): at 50% at most half of the six-day
    week's 32 days, less the two days approved; the same on the API, Riepiloghi (JSON and
    page) and the PDF. The proration by the months under contract is the test below."""
    employee = _signed_in_as_her(year, stack)
    ferie = _ferie(employee, year)
    sources = [e["source"] for e in ferie["explain"]]
    assert sources[0] in (rule_line("entitlement 32 days per year week 6"),
                          rule_line("entitlement 30 days per year week 6 first 3 years"))
    assert rule_line("prorate part_time, contract") in sources
    assert 0 < ferie["entitled"] <= 32 * PART_TIME / 100
    assert ferie["taken"] == len(year.ferie)
    assert ferie["left"] == ferie["entitled"] - len(year.ferie)
    month = year.ferie[0].month
    summary = {y["name"]: y for y in _summary(employee, year, month)["leave"]}
    year_figures = [k for k in ferie if not k.startswith("month_")]  # not the month's own
    assert {k: summary["ferie"][k] for k in year_figures} == {k: ferie[k] for k in year_figures}
    page = _text(employee.get(f"/summaries?month={year.year}-{month:02d}").text)
    shown = f"{_days(ferie['entitled'])} — {_days(ferie['taken'])} {_days(ferie['left'])}"
    assert re.search(rf"Ferie .*? {shown} Festività soppresse", page), page
    pdf = pdf_text(employee.get(f"/summaries/{year.employee_id}/report.pdf"
                                f"?month={year.year}-{month:02d}").content)
    assert (f"Ferie {year.year}: spettanti {_days(ferie['entitled'])}, fruiti "
            f"{_days(ferie['taken'])}, residui {_days(ferie['left'])} giorni") in pdf, pdf


def test_the_ferie_are_prorated_from_the_hiring(year: Year, stack: ExitStack) -> None:
    """Issue 16: "yearly totals are prorated by the rule file's formula". Hired on 16 March,
    in her first three years of service ("26 and 30 in the first three years of service"):
    the six-day week's 30 days, at 50%, for the months under contract (a month counts
    with more than 15 of its days: March's 16 from the 16th), to the nearest half day."""
    ferie = _ferie(_signed_in_as_her(year, stack), year)
    months = 12 - year.hired.month + (1 if _last_day(year.year, 3).day - year.hired.day
                                      + 1 > 15 else 0)
    expected = Fraction(30 * PART_TIME, 100) * months / 12
    assert ferie["entitled"] == floor(expected * 2 + Fraction(1, 2)) / 2


def _days(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{int(value)}½"


def test_the_account_carries_the_permits_and_deducts_what_is_not_recovered(
        year: Year, stack: ExitStack) -> None:
    """Seed 002: personal permits "da recuperare entro il mese successivo"; negative
    flexibility "deve essere recuperata entro il mese successivo, in caso di mancato
    recupero si determina la proporzionale decurtazione della retribuzione". April's permit
    (U09:00 cod. 29 – E10:00) is recovered only for the half hour worked more in May, the
    rest deducted at May's end; June's is never recovered and is deducted at July's end."""
    office = signed_in(year.world, stack, "university", "office")
    months = {m: _summary(office, year, m) for m in range(3, 8)}
    accounts = {m: s["account"] for m, s in months.items()}
    permit, extra = 60, 30  # 09:00..10:00 under code 29; 11:30 instead of 11:00
    assert accounts[3]["opening"] == 0  # the first month with a stamp
    for m in range(4, 8):
        assert accounts[m]["opening"] == accounts[m - 1]["closing"]
    for m, account in accounts.items():
        assert months[m]["anomalies"] == [] and account["anomalies"] == []
        assert account["complete"] and not account["frozen"]
        assert account["opening"] + sum(x["effect"] for x in account["movements"]) == \
            account["closing"]
        assert months[m]["balance"] == next(x["effect"] for x in account["movements"]
                                            if x["kind"] == "month")

    def moved(m: int, kind: str) -> list[Any]:
        return [x for x in accounts[m]["movements"] if x["kind"] == kind]

    allowance = rule_line("allowance personal_needs {", after=SEED_002)
    [april_debt] = moved(4, "debt")
    assert months[4]["to_recover"] == permit
    assert (april_debt["minutes"], april_debt["explain"]["source"]) == (permit, allowance)
    assert april_debt["explain"]["args"][1] == _last_day(year.year, 5).isoformat()
    [recovered] = moved(5, "recover")
    [deducted_may] = moved(5, "deduct")
    assert recovered["minutes"] == extra
    assert deducted_may["minutes"] == permit - extra
    not_recovered = rule_line("not_recovered deduct")
    assert deducted_may["explain"]["source"] == not_recovered
    assert deducted_may["explain"]["args"][1:] == [f"{year.year}-04",
                                                   _last_day(year.year, 5).isoformat()]
    assert accounts[5]["debts"] == []
    [june_debt] = moved(6, "debt")
    assert june_debt["explain"]["args"][1] == _last_day(year.year, 7).isoformat()
    assert moved(7, "recover") == []
    [deducted_july] = moved(7, "deduct")
    assert (deducted_july["minutes"], deducted_july["explain"]["source"]) == (permit,
                                                                              not_recovered)
    assert accounts[7]["closing"] == 0 and accounts[7]["debts"] == []
    used = {m: next(a for a in months[m]["allowances"] if a["name"] == "personal_needs")
            for m in (4, 6)}
    assert used[4]["used"] == used[6]["used"] == permit
    assert used[6]["used_before"] == permit


def test_the_same_figures_on_the_timecard_riepiloghi_pdf_and_report(
        year: Year, stack: ExitStack) -> None:
    """What the API says of each month, the timecard, Riepiloghi, the month's PDF and the
    office's CSV say too: the month's balance and permits to recover, the account's opening,
    each movement and closing, the deduction with its rule's file:line."""
    employee = year.world.client(stack)
    assert log_in(employee, "university.paola", year.password).status_code == 303
    office = signed_in(year.world, stack, "university", "office")
    for m in range(3, 8):
        month = f"{year.year}-{m:02d}"
        api = _summary(employee, year, m)
        account = api["account"]
        timecard = _text(employee.get(f"/timecard?month={month}").text)
        assert (f"Conto ore a inizio mese: {hours(account['opening'])}" in timecard
                ), timecard
        assert f"Conto ore a fine mese: {hours(account['closing'])}" in timecard
        page = _text(employee.get(f"/summaries?month={month}").text)
        pdf = re.sub(r"\s+", " ", pdf_text(employee.get(
            f"/summaries/{year.employee_id}/report.pdf?month={month}").content))
        for moved in account["movements"]:
            # Signed as every page signs minutes ("-0h30", never a typographic minus).
            assert not re.search(r"\u2212\d", page), page
            assert (signed_hours(moved["minutes"] if moved["effect"] > 0 else -moved["minutes"])
                    if moved["effect"] else f"({hours(moved['minutes'])})") in page
            if moved["kind"] == "deduct":
                assert moved["explain"]["source"] in page and moved["explain"]["source"] in pdf
        # The PDF writes hours as the pages do, its account lines as its rule lines.
        assert f"Saldo iniziale {hours(account['opening'])}" in pdf, pdf
        assert f"Saldo finale {hours(account['closing'])}" in pdf, pdf
        row = _report_row(office, "balances", month)
        assert row[3:6] == [hours(api["worked"], ":"), hours(api["due"], ":"),
                            hours(api["balance"], ":")]
        assert _report_row(office, "overtime", month)[5] == hours(api["to_recover"], ":")


def _report_row(office: Client, kind: str, month: str) -> list[str]:
    got = office.get(f"/reports/{kind}/csv?month={month}")
    assert got.status_code == 200, got.text
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig")), delimiter=";"))
    return next(r for r in rows if r[0] == NUMBER)


def test_a_permit_recovered_late_is_deducted_at_its_deadline_and_the_later_time_is_its_own(
        year: Year, stack: ExitStack) -> None:
    """Seed 002: personal permits "da recuperare entro il mese successivo", and "in caso di
    mancato recupero si determina la proporzionale decurtazione della retribuzione".
    August's permit (U09:00 cod. 29 – E10:00) is not recovered in September: it is deducted
    at September's end, its deadline. The half hour she works more in October comes after
    it: it recovers nothing (the debt is gone), it is October's own credit."""
    office = signed_in(year.world, stack, "university", "office")
    months = {m: _summary(office, year, m) for m in (7, 8, 9, 10)}
    accounts = {m: s["account"] for m, s in months.items()}
    permit, extra = 60, 30
    for m in (8, 9, 10):
        assert accounts[m]["opening"] == accounts[m - 1]["closing"]
        assert months[m]["anomalies"] == [] and accounts[m]["complete"]

    def moved(m: int, kind: str) -> list[Any]:
        return [x for x in accounts[m]["movements"] if x["kind"] == kind]

    [debt] = moved(8, "debt")
    assert (debt["minutes"], debt["explain"]["source"]) == (
        permit, rule_line("allowance personal_needs {", after=SEED_002))
    assert debt["explain"]["args"][1] == _last_day(year.year, 9).isoformat()
    assert moved(9, "recover") == []
    [deducted] = moved(9, "deduct")
    assert (deducted["minutes"], deducted["effect"]) == (permit, permit)
    assert deducted["explain"]["source"] == rule_line("not_recovered deduct")
    assert deducted["explain"]["args"][1:] == [f"{year.year}-08",
                                               _last_day(year.year, 9).isoformat()]
    assert accounts[9]["closing"] == accounts[8]["opening"] and accounts[9]["debts"] == []
    # October: nothing left to recover; the half hour is the month's balance, kept.
    assert moved(10, "recover") == [] and moved(10, "deduct") == []
    assert months[10]["balance"] == extra
    assert accounts[10]["closing"] == accounts[10]["opening"] + extra
    late = year.late_back.isoformat()
    [longer] = [d for d in office.get(f"/api/v1/timecard/{year.employee_id}?month="
                                      f"{late[:7]}").json()["days"] if d["date"] == late]
    assert (longer["balance"], longer["account"]) == (extra, accounts[10]["closing"])


def test_the_deduction_reads_its_month_and_day_as_people_say_them(
        year: Year, stack: ExitStack) -> None:
    """August's permit deducted at September's end, as each reader gets it: the Riepiloghi
    page, the month's PDF and the payroll's list of deductions in Italian ("agosto",
    "30 settembre"), the API's text and the page in English ("August", "30 September");
    never the ISO month or day inside a sentence."""
    employee = _signed_in_as_her(year, stack)
    office = signed_in(year.world, stack, "university", "office")
    month, y = f"{year.year}-09", year.year
    last = _last_day(y, 9).day
    italian = (f"{hours(60)} del debito di agosto {y} non recuperate entro il {last} "
               f"settembre {y}: decurtate dalla retribuzione")
    page = _text(employee.get(f"/summaries?month={month}").text)
    assert italian in page, page
    pdf = re.sub(r"\s+", " ", pdf_text(employee.get(
        f"/summaries/{year.employee_id}/report.pdf?month={month}").content))
    assert italian in pdf, pdf
    [_, _, _, hours_, reason, rule] = _report_row(office, "deductions", month)
    assert (hours_, reason, rule) == (hours(60, ":"), italian,
                                      rule_line("not_recovered deduct"))
    [deducted] = [m for m in _summary(employee, year, 9)["account"]["movements"]
                  if m["kind"] == "deduct"]
    english = (f"{hours(60)} of the debt of August {y} not recovered by {last} September {y}: "
               "deducted from pay")
    assert deducted["explain"]["detail"] == english
    employee.cookies.set("timbra_lang", "en")  # the page in the reader's other language
    in_english = _text(employee.get(f"/summaries?month={month}").text)
    assert english in in_english, in_english
    assert not re.search(rf"{y}-0[89]", page + pdf + english + in_english)


def test_the_timecard_names_the_profile_and_the_contract_of_the_month(
        year: Year, stack: ExitStack) -> None:
    """The timecard's header: the profile as the rule file labels it (`label` of
    `profile six_days`), not its name; the contract in force that month with its part time,
    and its first day in the month it starts (16 March)."""
    employee = _signed_in_as_her(year, stack)
    lines = RULES.read_text(encoding="utf-8").splitlines()
    at = int(rule_line("label", after="profile six_days {").partition(":")[2])
    label = re.findall(r'label "([^"]+)"', lines[at - 1])[0]
    header = {m: _text(employee.get(f"/timecard?month={year.year}-{m:02d}").text)
              for m in (2, 3, 4)}
    assert (f"{label}, part time al {PART_TIME}%, dal {year.hired.day} marzo {year.year}"
            in header[3]), header[3]
    assert f"{label}, part time al {PART_TIME}% " in header[4]
    assert "dal " not in header[4].partition("Cartellino")[2].split("‹")[0]
    assert "nessun contratto in questo mese" in header[2]
    assert not any("six_days" in h for h in header.values())
    api = employee.get(f"/api/v1/timecard/{year.employee_id}?month={year.year}-03").json()
    assert api["contracts"] == [{"profile": "six_days", "profile_label": label,
                                 "part_time_percent": PART_TIME,
                                 "start": year.hired.isoformat(), "end": None}]


def test_riepiloghi_list_only_the_deadlines_that_ask_something(year: Year,
                                                              stack: ExitStack) -> None:
    """Seed 002's deadlines: "Tali anomalie ... devono essere sanate ... entro e non oltre
    il giorno 3 del mese successivo" and "La flessibilità negativa deve essere recuperata
    entro il mese successivo". A month without anomalies asks no fixing; a month whose
    balance is not negative asks no recovery. November, never stamped, is all absences."""
    employee = _signed_in_as_her(year, stack)
    fix, recover = "Sistemare le anomalie", "Recupero del saldo negativo"
    summaries = {m: _summary(employee, year, m) for m in (4, 5, 11)}
    # Each case is seen: a negative month without anomalies, a month with neither, and
    # one with anomalies.
    assert not summaries[4]["anomalies"] and summaries[4]["balance"] < 0
    assert not summaries[5]["anomalies"] and summaries[5]["balance"] >= 0
    assert summaries[11]["anomalies"]
    for m, summary in summaries.items():
        page = _text(employee.get(f"/summaries?month={year.year}-{m:02d}").text)
        anomalies, negative = bool(summary["anomalies"]), summary["balance"] < 0
        assert ("anomaly_fix" in summary["deadlines"]) == anomalies == (fix in page), m
        assert ("negative_balance" in summary["deadlines"]) == negative == (recover in page), m
    pdf = pdf_text(employee.get(f"/summaries/{year.employee_id}/report.pdf"
                                f"?month={year.year}-04").content)
    assert recover in pdf and fix not in pdf, pdf


def _first_exit_reaching(minute: int) -> str:
    """The earliest exit that counts as `minute` or later: stamps are rounded to the nearest
    five minutes (seed 002: "La timbratura è arrotondata ai 5 minuti, es. 08:03 è
    arrotondato a 08:05"; `rounding nearest 5m`)."""
    return clock(next(m for m in range(minute - 5, minute + 1) if (m + 2) // 5 * 5 >= minute))


def _leaving_at(year: Year, moment: datetime) -> Any:
    """What GET /api/v1/me/today answers her at `moment` (the route reads the clock; the
    same services at a moment of their own)."""
    with Session(year.world.engine) as session:
        me = session.scalars(sa.select(User).filter_by(username="university.paola")).one()
        today = employee_today(session, me, moment.astimezone(UTC))
        assert today is not None
        return leave_view(today)


def test_if_she_leaves_now_she_reaches_her_halved_due_and_the_whole_voucher_threshold(
        year: Year, stack: ExitStack) -> None:
    """"If I leave now" on a working day of hers at a fixed moment: stamped in at 08:00, at
    09:00 the time to leave is when her due is reached, half of six_days' "due 6h"; the
    meal voucher ("min_worked 6h", "requires regular_pause": seed 002 "La regolare
    timbratura permette la maturazione del buono pasto") is out of reach without a pause
    stamped. Once she stamps a pause (12:00–12:30), the voucher is reached at six hours
    worked, the rule's whole threshold: the part time halves the due, not the voucher."""
    office = signed_in(year.world, stack, "university", "office")
    day = date.fromisoformat(_due_days(office, year.employee_id, f"{year.year}-11")[5]["date"])
    _ingest(year.world, [(day, "08:00", None)], first=950_001)
    at_nine = _leaving_at(year, datetime.combine(day, time(9, 0), ROME))
    assert (at_nine.state, at_nine.due, at_nine.due_reached) == ("at_work", DUE, False)
    assert at_nine.leave_for_due == _first_exit_reaching(8 * 60 + DUE)
    assert at_nine.due_rule.source == rule_line("due 6h", after="profile six_days {")
    assert at_nine.voucher_in_rules and at_nine.leave_for_voucher is None
    assert at_nine.voucher_rule.source == rule_line("min_worked 6h", after=SEED_002)
    _ingest(year.world, [(day, "12:00", None), (day, "12:30", None)], first=950_002)
    after_pause = _leaving_at(year, datetime.combine(day, time(12, 40), ROME))
    assert after_pause.state == "at_work" and after_pause.due_reached
    morning = 12 * 60 - 8 * 60
    assert after_pause.leave_for_voucher == _first_exit_reaching(12 * 60 + 30 + 6 * 60 - morning)
    assert after_pause.worked == morning + 10 and not after_pause.meal_voucher
    # Today, under the same open contract and not stamped: the endpoint answers her, with
    # nothing to compute yet.
    answer = _signed_in_as_her(year, stack).get("/api/v1/me/today")
    assert answer.status_code == 200 and answer.json()["state"] == "no_entry", answer.text


# The phone and desk of tests/browser/test_browser_home.py.
SIZES = {"phone": {"width": 375, "height": 667}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.browser
def test_the_timecard_and_riepiloghi_in_chromium_on_a_phone_and_a_desk(
        year: Year, stack: ExitStack, tmp_path: Path) -> None:
    """The person's May in Chromium, in Italian, on a phone and a desk: the timecard's
    account at the month's start and end, Riepiloghi's movements with the deduction and
    its rule's file:line; no English sentence. Screenshots in tests/artifacts/."""
    reader = year.world.client(stack)
    assert log_in(reader, "university.paola", year.password).status_code == 303
    month = f"{year.year}-05"
    account = reader.get(f"/api/v1/summaries/{year.employee_id}?month={month}").json()[
        "account"]
    deduct = next(m for m in account["movements"] if m["kind"] == "deduct")
    expected = {
        "timecard": [f"Conto ore a inizio mese: {hours(account['opening'])}",
                     f"Conto ore a fine mese: {hours(account['closing'])}"],
        "summaries": ["Conto ore individuale", hours(deduct["minutes"]),
                      f"Saldo iniziale {hours(account['opening'])}"]}
    with chromium() as browser, serve_web(year.world.engine, port=free_port(),
                                          data_dir=tmp_path, secure_cookies=False) as url:
        base = url.rstrip("/")
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, locale="it-IT",
                                          is_mobile=size == "phone")
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "university.paola")
            page.fill("input[name=password]", year.password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            for view, words in expected.items():
                page.goto(f"{base}/{view}?month={month}")
                seen = re.sub(r"\s+", " ", page.inner_text("main"))
                for word in words:
                    assert word in seen, (view, size, word, seen)
                html = page.content()
                if view == "summaries":  # the rule behind the deduction, a tap away
                    assert deduct["explain"]["source"] in html
                assert leftovers(html, "it", quoted("university")) == [], (view, size)
                page.screenshot(path=str(ARTIFACTS / f"employee-year-{view}-{size}.png"),
                                full_page=True)
            context.close()
