"""The year's figures read the same wherever people look (issue 16, "Where people see it":
"Riepiloghi, the PDF, reports and API show opening, movements, closing and leave balances,
the same figures everywhere"): Ann's hours account opens March with February's debt, her
March has a day of ferie, and the timecard, the Riepiloghi page, its PDF, the office's CSV
and XLSX reports and the API all show the same opening, closing and ferie left — each
read the way its reader reads it, then compared with the others, never with a number
written here. Seed 002: "La flessibilità negativa deve essere recuperata entro il mese
successivo, in caso di mancato recupero si determina la proporzionale decurtazione della
retribuzione": February's debt not recovered by 31 March is on the payroll's list."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pdf_text import pdf_text
from sqlalchemy.orm import Session
from world import app_on, cheap_hashing, log_in, open_client, world

from server.db import make_engine, upgrade
from server.office import decisions, requests

MARCH = "2026-03"
FILED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the ferie asked for a week ahead
FERIE_DAY = date(2026, 3, 10)
SHORT_AFTER = {date(2026, 3, 30): "15:00", date(2026, 3, 31): "15:00"}
PASSWORD = "una parola lunga 1!"
Client = TestClient[Litestar]


def weekdays(year: int, month: int) -> Iterator[date]:
    day = date(year, month, 1)
    while day.month == month:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, int]]:
    """The university (an hours account that docks what is not recovered, ferie in days):
    Ann stamps February short of her hours, March in full but for a day of ferie and its
    last two days; the office signed in."""
    folder = tmp_path_factory.mktemp("year_figures")
    engine = make_engine(f"sqlite:///{folder}/timbra.db")
    upgrade(engine)
    with Session(engine) as session, cheap_hashing() as hasher, ExitStack() as stack:
        w = world(session, "university")
        for day in weekdays(2026, 2):
            w.stamps("ann", day, "in 08:00, out 12:00, in 12:45, out 15:00")
        for day in weekdays(2026, 3):
            if day != FERIE_DAY:  # the last two days short: a new debt, to recover by April
                leaving = SHORT_AFTER.get(day, "16:00")
                w.stamps("ann", day, f"in 08:00, out 12:00, in 12:45, out {leaving}")
        ann = w.employees["ann"].id
        asked = requests.file_justification(session, w.users["ann"], ann, FERIE_DAY, "FER",
                                            now=FILED)
        decisions.approve(session, w.users["lab_head"], asked.id, now=FILED)
        w.users["office"].password_hash = hasher.hash(PASSWORD)
        session.commit()
        client = open_client(app_on(engine, folder), stack)
        assert log_in(client, w.users["office"].username, PASSWORD).status_code == 303
        yield client, ann
    engine.dispose()


def minutes(text: str) -> int:
    """"-12h30" (the pages) or "-12:30" (the files) → -750."""
    found = re.fullmatch(r"(-?)(\d+)[h:](\d\d)", text.strip())
    assert found, text
    value = int(found.group(2)) * 60 + int(found.group(3))
    return -value if found.group(1) else value


def days(text: str) -> float:
    """"27½" → 27.5: leave in days as the pages and the files write it."""
    found = re.fullmatch(r"(-?)(\d*)(½?)", text.strip())
    assert found and (found.group(2) or found.group(3)), text
    value = int(found.group(2) or 0) + (0.5 if found.group(3) else 0)
    return -value if found.group(1) else value


def get(client: Client, path: str) -> Any:
    answer = client.get(f"{path}{'&' if '?' in path else '?'}month={MARCH}")
    assert answer.status_code == 200, (path, answer.text[:300])
    return answer


def from_timecard(client: Client, ann: int) -> dict[str, float]:
    page = get(client, f"/timecard/{ann}").text
    opening = re.search(r'class="account-opening">[^<]*<b[^>]*>([^<]+)</b>', page)
    closing = re.search(r'class="account-closing">.*?<b[^>]*>([^<]+)</b>', page, re.S)
    assert opening and closing, "the timecard shows no account"
    api = get(client, f"/api/v1/timecard/{ann}").json()
    assert (api["account_opening"], api["account_closing"]) == (
        minutes(opening.group(1)), minutes(closing.group(1))), "timecard page and its API"
    # Day by day from the opening, then the month's end (the debt docked) to the closing.
    running = [d["account"] for d in api["days"] if d["account"] is not None]
    assert running[-1] + api["account_adjustment"] + api["account_month_end"] == (
        api["account_closing"])
    return {"opening": api["account_opening"], "closing": api["account_closing"]}


def from_summaries(client: Client, ann: int) -> dict[str, float]:
    page = html.unescape(get(client, f"/summaries/{ann}").text)
    opening = re.search(r'<tr class="opening">.*?<td[^>]*>([^<]+)</td></tr>', page)
    closing = re.search(r'<tr class="closing">.*?<b>([^<]+)</b>', page)
    leave = page.split("Ferie e permessi in giorni", 1)[1]
    ferie = next(row for row in leave.split("<tr>") if "<summary>Ferie</summary>" in row)
    left = re.search(r'data-label="Residuo"[^>]*>([^<]+)</td>', ferie)
    assert opening and closing and left, "the Riepiloghi show no account or ferie"
    return {"opening": minutes(opening.group(1)), "closing": minutes(closing.group(1)),
            "ferie left": days(left.group(1))}


def from_summary_api(client: Client, ann: int) -> dict[str, float]:
    data = get(client, f"/api/v1/summaries/{ann}").json()
    ferie = next(y for y in data["leave"] if y["name"] == "ferie")
    return {"opening": data["account"]["opening"], "closing": data["account"]["closing"],
            "ferie left": ferie["total_left"], "ferie taken": ferie["taken"],
            "deducted": sum(m["minutes"] for m in data["account"]["movements"]
                            if m["kind"] == "deduct")}


def from_pdf(client: Client, ann: int) -> dict[str, float]:
    text = pdf_text(get(client, f"/summaries/{ann}/report.pdf").content)
    opening = re.search(r"Conto ore individuale: Saldo iniziale (\S+)", text)
    closing = re.search(r"^\s*Saldo finale (\S+)", text, re.M)
    left = re.search(r"^Ferie 2026: .*residui (\S+) giorni", text, re.M)
    assert opening and closing and left, text
    return {"opening": minutes(opening.group(1)), "closing": minutes(closing.group(1)),
            "ferie left": days(left.group(1))}


def from_csv(client: Client) -> dict[str, float]:
    data = get(client, "/reports/account/csv").content.decode("utf-8-sig")
    heads, *rows = csv.reader(io.StringIO(data), delimiter=";")
    ann = dict(zip(heads, next(r for r in rows if r[0] == "ANN"), strict=True))
    return {"opening": minutes(ann["Saldo iniziale"]), "closing": minutes(ann["Saldo finale"]),
            "ferie left": days(ann["Ferie: giorni residui"])}


def from_xlsx(client: Client) -> dict[str, float]:
    sheet = openpyxl.load_workbook(io.BytesIO(get(client, "/reports/account/xlsx").content)
                                   ).active
    assert sheet is not None
    heads = [c.value for c in sheet[5]]
    row = next(r for r in sheet.iter_rows(min_row=6, values_only=True) if r[0] == "ANN")
    ann = dict(zip(heads, row, strict=True))
    # Time cells: openpyxl reads a `[h]:mm` cell back as the duration it is.
    return {"opening": ann["Saldo iniziale"] // timedelta(minutes=1),
            "closing": ann["Saldo finale"] // timedelta(minutes=1),
            "ferie left": ann["Ferie: giorni residui"]}


def from_report_api(client: Client) -> dict[str, float]:
    data = get(client, "/api/v1/reports/account").json()
    ann = dict(zip(data["columns"], next(r for r in data["rows"] if r[0] == "ANN"),
                   strict=True))
    return {"opening": ann["Saldo iniziale"], "closing": ann["Saldo finale"],
            "ferie left": ann["Ferie: giorni residui"]}


def test_the_account_and_the_ferie_read_the_same_everywhere(
        office: tuple[Client, int]) -> None:
    client, ann = office
    seen = {"timecard": from_timecard(client, ann), "Riepiloghi": from_summaries(client, ann),
            "summary API": from_summary_api(client, ann), "PDF": from_pdf(client, ann),
            "CSV": from_csv(client), "XLSX": from_xlsx(client),
            "report API": from_report_api(client)}
    for figure in ("opening", "closing", "ferie left"):
        found = {where: shown[figure] for where, shown in seen.items() if figure in shown}
        assert len(set(found.values())) == 1, (figure, found)
    api = seen["summary API"]
    # Not a trivial month: February's debt opens it, the month's end docks it, March's own
    # debt closes it, and the day of ferie is counted.
    assert api["opening"] < 0 and api["closing"] < 0 and api["closing"] != api["opening"]
    assert api["deducted"] > 0 and api["ferie taken"] == 1


def test_the_payroll_list_holds_the_debt_docked_from_pay(office: tuple[Client, int]) -> None:
    """What the account deducts at March's end is the payroll's line for Ann, with the
    rule that says so."""
    client, ann = office
    assert "/reports/deductions/csv" in get(client, "/reports").text  # the page offers it
    data = get(client, "/reports/deductions/csv").content.decode("utf-8-sig")
    heads, *rows = csv.reader(io.StringIO(data), delimiter=";")
    assert heads == ["Matricola", "Nome", "Unità", "Ore da decurtare", "Motivo", "Regola"]
    lines = [dict(zip(heads, r, strict=True)) for r in rows if r[0] == "ANN"]
    deducted = from_summary_api(client, ann)["deducted"]
    assert [minutes(line["Ore da decurtare"]) for line in lines] == [deducted]
    assert "decurtat" in lines[0]["Motivo"] and lines[0]["Regola"].startswith(
        "university.rules:")
    assert rows[-1][0] == "Totale" and minutes(rows[-1][3]) == deducted
