"""The pages in a real browser: Debian's Chromium driven by Playwright against the real app
(uvicorn on a free port, a fresh SQLite database with the demo and its demo users).

One story, as people would live it: the employee logs in (changing the one-time demo
password first), sees last month, opens the explanation of a figure (the rule as written
and its file:line), and files a justification for a day short of time; the manager logs
in and approves it; the employee's balance goes up. An administrator's pages are looked at
too. Screenshots of every main page go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from chromium import ARTIFACTS

from server.demo.users import demo_password

pytestmark = pytest.mark.browser

INSTITUTION = "university"
NEW_PASSWORD = "Nuova-password-2026"
JUSTIFICATION_CODE = "20"  # missione oraria: service time, approved by the unit's manager


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page: Any, base: str, role: str, *, first_time: bool,
           institution: str = INSTITUTION) -> None:
    """Log in; the first time, the demo password must be changed (as a one-time one)."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", f"{institution}.{_suffix(role)}")
    page.fill("input[name=password]",
              demo_password(institution, role) if first_time else NEW_PASSWORD)
    page.click("button[type=submit]")
    if first_time:
        page.wait_for_url(f"{base}/password")
        page.fill("input[name=current]", demo_password(institution, role))
        page.fill("input[name=new]", NEW_PASSWORD)
        page.fill("input[name=confirm]", NEW_PASSWORD)
        page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _suffix(role: str) -> str:
    return {"employee": "dipendente", "manager": "responsabile", "office": "personale",
            "admin": "admin"}[role]


def _logout(page: Any, base: str) -> None:
    page.click("text=Esci")
    page.wait_for_url(f"{base}/login")


def _minutes(text: str) -> int:
    """"-1h40" → -100: how the pages write durations."""
    found = re.fullmatch(r"(-?)(\d+)h(\d\d)", text.strip())
    assert found, text
    value = int(found.group(2)) * 60 + int(found.group(3))
    return -value if found.group(1) else value


def _month_balance(page: Any) -> int:
    return _minutes(page.locator(".totals div", has_text="Saldo")
                    .locator("dd").inner_text())


def test_employee_justifies_a_day_manager_approves_balance_changes(
        base_url: str, browser: Any) -> None:
    last_day = date.today().replace(day=1) - timedelta(days=1)
    month = f"{last_day.year}-{last_day.month:02d}"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()

    _login(page, base_url, "employee", first_time=True)
    _shot(page, "01-employee-home")
    page.goto(f"{base_url}/timecard?month={month}")
    before = _month_balance(page)
    # A worked day that fell short: the justification will cover the time after leaving.
    short = page.locator("table.month tbody tr").filter(
        has=page.locator("td[data-label='Saldo'].neg")).first
    day = short.get_attribute("id").removeprefix("d")
    last_stamp = short.locator(".stamp").last.inner_text().split()[0]
    _shot(page, "02-employee-timecard")

    due = short.locator("td[data-label='Dovuto'] details.figure")
    due.locator("summary").click()
    explanation = due.locator(".explain")
    assert explanation.is_visible()
    assert explanation.locator("code.rule").first.inner_text().strip()
    assert re.search(r"university\.rules:\d+", explanation.locator(".source").first.inner_text())
    _shot(page, "03-employee-explanation")

    hour, minute = map(int, last_stamp.split(":"))
    start = -(-(hour * 60 + minute) // 5) * 5  # rounded up to the rules' 5 minutes
    page.goto(f"{base_url}/requests")
    form = page.locator("form[action='/requests/justification']")
    form.locator("select[name=code]").select_option(JUSTIFICATION_CODE)
    form.locator("input[name=day]").fill(day)
    form.locator("input[name=start]").fill(f"{start // 60:02d}:{start % 60:02d}")
    form.locator("input[name=end]").fill(f"{(start + 60) // 60:02d}:{(start + 60) % 60:02d}")
    form.locator("textarea[name=notes]").fill("Missione presso la sede di via Celoria")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    filed = page.locator("tr.req", has_text="Missione presso la sede di via Celoria")
    assert filed.count() == 1 and "pending" in (filed.get_attribute("class") or "")
    _shot(page, "04-employee-requests")
    _logout(page, base_url)

    _login(page, base_url, "manager", first_time=True)
    page.goto(f"{base_url}/approvals")
    row = page.locator("tr", has_text="Missione presso la sede di via Celoria")
    _shot(page, "05-manager-approvals")
    row.locator("button[value=approve]").click()
    page.wait_for_load_state()
    assert page.locator("tr", has_text="Missione presso la sede di via Celoria").count() == 0
    _shot(page, "06-manager-approved")
    _logout(page, base_url)

    _login(page, base_url, "employee", first_time=False)
    page.goto(f"{base_url}/timecard?month={month}")
    after = _month_balance(page)
    assert after > before, (before, after)
    _shot(page, "07-employee-timecard-after")
    context.close()


def test_administrator_pages(base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    _login(page, base_url, "admin", first_time=True)
    for number, path, text in (
            ("08", "/admin/terminals", "ingresso-festa"),
            ("09", "/admin/faults", "Segnalazione guasti"),
            ("10", "/admin/employees", "Maria Rossi"),
            ("11", "/admin/users", "university.dipendente"),
            ("12", "/admin/rules", "Carica un file"),
            ("13", "/admin/plugins", "university"),
            ("14", "/admin/audit", "password_changed")):
        page.goto(base_url + path)
        assert text in page.content(), path
        _shot(page, f"{number}-admin-{path.rsplit('/', 1)[1]}")
    # A fault reported from the terminal's page shows up in the list.
    page.goto(f"{base_url}/admin/terminals")
    page.click("text=ingresso-festa")
    page.fill("textarea[name=description]", "Display spento, nessun segnale acustico")
    page.fill("input[name=contact_name]", "Anna Neri")
    page.click("button:text-is('Segnala')")
    page.wait_for_url(re.compile(r".*/admin/faults.*"))
    assert "Display spento" in page.content()
    _shot(page, "15-admin-fault-reported")
    context.close()


def test_chamber_employee_stamps_entrata_then_uscita_from_the_browser(
        base_url: str, browser: Any) -> None:
    """Seed 000: "rilevazione della timbratura on-line dalla propria postazione
    informatica ... alla funzione RILEVATORE, e digitare il tasto ENTRATA / USCITA".
    The chamber has no terminals: this page is its only way to stamp."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    _login(page, base_url, "employee", first_time=True, institution="chamber")
    page.goto(f"{base_url}/stamp")
    assert "Nessuna timbratura oggi" in page.content()
    times = {}
    for button, word in (("in", "entrata"), ("out", "uscita")):
        page.click(f"form[action='/stamp'] button[value={button}]")
        page.wait_for_url(re.compile(r".*/stamp\?done=.*"))
        status = page.locator("p.ok[role=status]").inner_text()
        found = re.search(rf"{word} (\d\d:\d\d)", status)
        assert found, status
        times[button] = found.group(1)
    listed = [item.strip() for item in page.locator("main ul li").all_inner_texts()]
    assert listed == [f"{times['in']} entrata · postazione web",
                      f"{times['out']} uscita · postazione web"], listed
    _shot(page, "17-chamber-stamp")
    context.close()


def test_pages_fit_a_phone_screen(base_url: str, browser: Any) -> None:
    """Italian public employees check their month on a phone: no page may need sideways
    scrolling of the whole screen (a wide table scrolls inside its own box)."""
    last_day = date.today().replace(day=1) - timedelta(days=1)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="it-IT",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    _login(page, base_url, "office", first_time=True)
    for path in ("/", "/approvals", "/office/stamps", "/office/close", "/office/close/check",
                 "/reports", "/office/rota"):
        _fits_the_phone(page, base_url, path)
    _logout(page, base_url)
    # The employee's own pages; the first test already changed this password.
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", f"{INSTITUTION}.{_suffix('employee')}")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    for path in (f"/timecard?month={last_day:%Y-%m}", "/requests", "/summaries", "/stamp"):
        _fits_the_phone(page, base_url, path)
    context.close()


def _fits_the_phone(page: Any, base: str, path: str) -> None:
    answer = page.goto(base + path)
    assert answer is not None and answer.status < 400, path
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{path} is {overflow}px wider than the phone"
    _shot(page, "16-phone" + (path.split("?")[0].replace("/", "-") if path != "/" else "-home"))


def test_the_pages_scripts_run_under_the_content_security_policy(base_url: str,
                                                                 browser: Any) -> None:
    """The CSP allows no inline code (issue 12: there was no CSP at all); the pages' own
    scripts in /static must still run, and the browser must report no violation."""
    page = browser.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    _login(page, base_url, "admin", first_time=True, institution="school")
    page.goto(f"{base_url}/admin/faults")
    form = page.locator("section", has_text="Segnala un guasto").locator("form")
    chosen = page.locator("#fault-terminal option").last.get_attribute("value")
    form.evaluate("f => f.setAttribute('action', '/elsewhere')")
    page.select_option("#fault-terminal", chosen)
    page.dispatch_event("#fault-terminal", "change")
    # static/faults.js ran: the form posts to the terminal chosen.
    assert form.get_attribute("action") == f"/admin/terminals/{chosen}/faults"
    _logout(page, base_url)
    _login(page, base_url, "office", first_time=True, institution="school")
    for path in ("/office/areas", "/office/close"):
        page.goto(f"{base_url}{path}")
    assert violations == []
    page.close()
