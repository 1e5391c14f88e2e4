"""Opening balances through the pages and the API: the office uploads its file on the
employees page (a malformed one changes nothing and lists each line's problem), downloads
the template, sees and edits an employee's openings on their page; a manager reads them;
another institution's clerk gets 404. On both databases."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from typing import Any

from web_pages import csrf, form, json_headers, signed_in
from world import WebWorld


def _upload(client: Any, text: str, encoding: str = "cp1252") -> Any:
    """As Excel saves it: Windows-1252, or UTF-8 with its BOM."""
    return client.post("/admin/employees/openings", data={"_csrf_token": csrf(client)},
                       files={"file": ("saldi.csv", text.encode(encoding), "text/csv")},
                       follow_redirects=False)


def test_the_office_imports_sees_and_edits_openings_and_a_bad_file_changes_nothing(
        web_world: WebWorld, stack: ExitStack) -> None:
    world = web_world
    office = signed_in(world, stack, "university", "office")
    me = world.ids[("university", "self_employee")]
    api = f"/api/v1/admin/employees/{me}/openings"
    start = date.today().replace(day=1)
    nothing = office.get(api).json()

    template = office.get("/admin/employees/openings.csv")
    assert template.status_code == 200 and template.headers["content-type"].startswith(
        "text/csv")
    headings = template.text.removeprefix("\ufeff").strip().split(";")
    assert {"matricola", "data", "saldo ore", "ferie"} <= set(headings)

    bad = _upload(office, "matricola;data;saldo ore;ferie\r\n"
                          f"M001;{start:%d/%m/%Y};-3:30;10\r\n"
                          f"M003;{start:%d/%m/%Y};tre ore;\r\n")
    assert bad.status_code == 400
    assert "riga" in bad.text or "line" in bad.text
    assert "«tre ore» non è un numero di ore" in bad.text
    assert office.get(api).json() == nothing

    good = _upload(office, "\ufeffmatricola;data;saldo ore;ferie\r\n"
                           f"M001;{start:%d/%m/%Y};-3:30;10\r\n", "utf-8")
    assert (good.status_code, good.headers["location"]) == (303, "/admin/employees?openings=1")
    recorded = office.get(api).json()
    assert [(a["starts"], a["balance"]) for a in recorded["account"]] == [
        (start.isoformat(), -(3 * 60 + 30))]
    assert [(v["leave"], v["left_days"]) for v in recorded["leaves"]] == [("ferie", 10)]

    edited = office.post(f"/admin/employees/{me}/openings", data=form(
        office, start=start.isoformat(), **{"used:personal_needs": "12:30"}),
        follow_redirects=False)
    assert edited.status_code == 303, edited.text
    page = office.get(f"/admin/employees/{me}")
    # The table writes hours as every page does ("-3h30"), whatever form the file used.
    table = page.text.split('id="opening-list"', 1)[1].split("</table>", 1)[0]
    assert "12h30" in table and "-3h30" in table and ":30" not in table
    assert [(a["name"], a["minutes"]) for a in office.get(api).json()["allowances"]] == [
        ("personal_needs", 12 * 60 + 30)]
    refused = office.post(f"/admin/employees/{me}/openings", data=form(
        office, start=start.isoformat(), balance="x"))
    assert refused.status_code == 400 and "non è un numero di ore" in refused.text

    by_api = office.post("/api/v1/admin/openings/import", headers=json_headers(office), json={
        "csv": f"matricola;data;ferie\nM001;{start:%d/%m/%Y};11\nM404;{start:%d/%m/%Y};1\n"})
    assert by_api.status_code == 400
    assert [e["line"] for e in by_api.json()["extra"]] == [3]
    assert [v["left_days"] for v in office.get(api).json()["leaves"]] == [10]
    after_edit = office.get(api).json()
    manager = signed_in(world, stack, "university", "manager")
    colleague = world.ids[("university", "unit_colleague")]
    assert manager.get(f"/api/v1/admin/employees/{colleague}/openings").status_code == 200
    read_only = manager.get(f"/employees/{me}/openings")  # the Riepiloghi link to it
    assert read_only.status_code == 200 and "12h30" in read_only.text
    card = read_only.text.split('id="openings"')[1].split("</section>")[0]
    assert "<input" not in card  # nothing to edit there
    assert manager.post(f"/admin/employees/{colleague}/openings", data=form(
        manager, start=start.isoformat(), balance="1:00")).status_code == 403

    foreign = signed_in(world, stack, "school", "office")
    assert foreign.get(api).status_code == 404
    assert foreign.post(f"/admin/employees/{me}/openings", data=form(
        foreign, start=start.isoformat(), balance="1:00")).status_code == 404
    assert foreign.post(f"/api/v1/admin/employees/{me}/allowance-openings",
                        headers=json_headers(foreign), json={
                            "name": "personal_needs", "starts": start.isoformat(),
                            "minutes": 60}).status_code == 404
    assert office.get(api).json() == after_edit
