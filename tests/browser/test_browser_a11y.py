"""Accessibility in Chromium, as AgID requires of public administrations (WCAG 2.1 AA):
axe-core (tests/support/axe, `make browser` installs it) runs on every page of each role
and on the public pages, on a desk and on a phone, in Italian and in English, and finds no
serious or critical violation; the pages' CSP blocks nothing of theirs; an employee files a
request with the keyboard alone, on a phone, through the folded menu.

Each page is opened once: axe runs at the desk's width, then at the phone's without a
reload. The roles share the two languages and the first viewport between them.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from chromium import ARTIFACTS

from server.demo.users import demo_password

pytestmark = pytest.mark.browser

AXE = Path(__file__).parents[1] / "support" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
INSTITUTION = "university"
NEW_PASSWORD = "Nuova-password-2026"
PHONE = {"width": 375, "height": 667}
DESK = {"width": 1280, "height": 900}
SUFFIX = {"employee": "dipendente", "manager": "responsabile", "office": "personale",
          "admin": "admin"}
LANGUAGE = {"employee": "it", "manager": "en", "office": "en", "admin": "it"}
# Pages no menu item leads to: typed, or (DETAILS) the first link of a list page to one of
# its rows. "/no-such-page" is the error page.
MORE = {"employee": ["/timecard?view=calendar", "/no-such-page"], "manager": [],
        "office": ["/office/close/check"], "admin": ["/admin/contacts"]}
DETAILS = {"/requests": "main a[href^='/requests/']:not([href$='/attachment'])",
           "/approvals": "main a[href^='/requests/']:not([href$='/attachment'])",
           "/admin/employees": "main a[href^='/admin/employees/']:not([href$='.csv'])",
           "/admin/terminals": "main a[href^='/admin/terminals/']",
           "/admin/rules": "main a[href^='/admin/rules/']:not([href$='/dry-run'])"}
# WCAG 2.1 A and AA, the level AgID's guidelines require.
AXE_RUN = """() => axe.run(document, {resultTypes: ["violations"], runOnly: {type: "tag",
    values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))"""


# The pages checked so far in this run: each is checked once, in the first role that has it.
SEEN: set[str] = set()


@pytest.fixture(scope="module")
def browser(browser: Any) -> Any:
    """tests/browser/conftest.py's Chromium, once axe-core is known to be there."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make browser` installs axe-core (npm ci)")
    return browser


class Checker:
    """Runs axe-core in the page, and keeps what it and the CSP found, page by page."""

    def __init__(self, page: Any) -> None:
        # Through the DevTools protocol, into every document the page opens: a <script>
        # tag would be refused by the pages' CSP (script-src 'self').
        page.context.add_init_script(path=str(AXE))
        self.page = page
        self.problems: list[str] = []
        self.checked: list[str] = []
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"{self.page.url}: CSP: {message.text}")

    def check(self, label: str) -> None:
        for v in self.page.evaluate(AXE_RUN):
            if v["impact"] in ("serious", "critical"):
                self.problems.append(f"{label} {self.page.url}: {v['impact']} {v['id']} "
                                     f"({v['help']}) at {v['nodes']}")
        self.checked.append(f"{label} {self.page.url}")

    def at(self, size: dict[str, int]) -> None:
        self.page.set_viewport_size(size)
        self.check("desk" if size == DESK else "phone")


CHANGED: set[str] = set()  # the roles whose one-time demo password this run has changed


def _kind(path: str) -> str:
    """One page per template: /requests/12 and /requests/40 are the same page."""
    return re.sub(r"/\d+", "/{id}", path)


def _first_login(page: Any, base: str, role: str, institution: str = INSTITUTION) -> None:
    """The demo password is a one-time one: changed at the first login."""
    if f"{institution}.{role}" in CHANGED:
        page.goto(f"{base}/login")
        page.fill("input[name=username]", f"{institution}.{SUFFIX[role]}")
        page.fill("input[name=password]", NEW_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/")
        return
    CHANGED.add(f"{institution}.{role}")
    page.goto(f"{base}/login")
    page.fill("input[name=username]", f"{institution}.{SUFFIX[role]}")
    page.fill("input[name=password]", demo_password(institution, role))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/password")
    page.fill("input[name=current]", demo_password(institution, role))
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _speak(page: Any, language: str) -> None:
    """The footer's language button, as a person would press it."""
    if language == "en":
        page.click("footer button[value=en]")
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language


@pytest.mark.parametrize("role", list(SUFFIX))
def test_every_page_of_the_role_passes_axe_on_a_desk_and_a_phone(
        base_url: str, browser: Any, role: str) -> None:
    """The home page at both widths (and its screenshots); the other pages of the menu
    once each, at the desk's and the phone's width in turn; a page another role's menu
    has already led to (the timecard, the password) is not checked again."""
    context = browser.new_context(viewport=DESK, locale="it-IT")
    page = context.new_page()
    checker = Checker(page)
    _first_login(page, base_url, role)
    _speak(page, LANGUAGE[role])
    for size, name in ((DESK, "desktop"), (PHONE, "phone")):
        checker.at(size)
        page.screenshot(path=str(ARTIFACTS / f"a11y-home-{role}-{name}.png"),
                        full_page=size == DESK)
    paths = [a.get_attribute("href") for a in page.locator("nav#menu a").all()]
    assert paths[0] == "/" and "/password" in paths
    todo = [p for p in paths[1:] + MORE[role] if _kind(p) not in SEEN]
    for path in todo:
        SEEN.add(_kind(path))
        page.goto(base_url + path)
        assert page.locator("html").get_attribute("lang") == LANGUAGE[role], path
        checker.at(PHONE if len(checker.checked) % 2 else DESK)
        if "view=calendar" in path:  # for a person to look at: the month on a phone
            page.set_viewport_size(PHONE)
            page.screenshot(path=str(ARTIFACTS / "a11y-calendar-phone.png"), full_page=True)
        row = page.locator(DETAILS.get(path, "no-such-element")).first
        if row.count() and _kind(row.get_attribute("href")) not in SEEN:
            todo.append(row.get_attribute("href"))
    context.close()
    assert len(checker.checked) == 2 + len(todo)
    assert not checker.problems, "\n".join(checker.problems)


def test_the_login_and_the_statement_pass_axe_in_both_languages(
        base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    checker = Checker(page)
    page.goto(f"{base_url}/login")
    checker.at(PHONE)
    page.click("footer a[href='/accessibility']")
    page.wait_for_url(f"{base_url}/accessibility")
    assert page.locator("h1").inner_text() == "Dichiarazione di accessibilità"
    checker.at(PHONE)
    _speak(page, "en")
    assert page.locator("h1").inner_text() == "Accessibility statement"
    checker.at(DESK)
    page.goto(f"{base_url}/login")
    checker.at(DESK)
    context.close()
    assert not checker.problems, "\n".join(checker.problems)


def test_the_stamping_buttons_are_one_pair_readable_on_a_phone(base_url: str,
                                                              browser: Any) -> None:
    """The chamber stamps from the workstation (seed 000: "digitare il tasto ENTRATA /
    USCITA"): one pair of buttons, whose words axe finds readable (they were 1.15:1)."""
    context = browser.new_context(viewport=PHONE, locale="it-IT", is_mobile=True)
    page = context.new_page()
    checker = Checker(page)
    _first_login(page, base_url, "employee", institution="chamber")
    page.goto(f"{base_url}/stamp")
    buttons = page.locator("main button[name=direction]")
    assert buttons.all_inner_texts() == ["ENTRATA", "USCITA"]
    checker.at(PHONE)
    page.screenshot(path=str(ARTIFACTS / "a11y-stamp-phone.png"))
    context.close()
    assert not checker.problems, "\n".join(checker.problems)


DUOMO = {"latitude": 45.46416, "longitude": 9.19199}


@pytest.fixture(scope="module")
def duomo_area(base_url: str, browser: Any) -> None:
    """The personnel office draws an area of 300 m around Piazza del Duomo."""
    context = browser.new_context(viewport=DESK, locale="it-IT")
    page = context.new_page()
    _first_login(page, base_url, "office")
    page.goto(f"{base_url}/office/areas")
    page.fill("input[name=name]", "Piazza del Duomo")
    page.fill("input[name=latitude]", str(DUOMO["latitude"]))
    page.fill("input[name=longitude]", str(DUOMO["longitude"]))
    page.fill("input[name=radius_m]", "300")
    with page.expect_navigation():
        page.click("main button[type=submit]:text-is('Aggiungi')")
    assert "Piazza del Duomo" in page.locator("main table").inner_text()
    context.close()


@pytest.mark.usefixtures("duomo_area")
def test_inside_the_area_the_phone_stamps_with_its_position(base_url: str,
                                                            browser: Any) -> None:
    """Seed 002: "Nel momento in cui il/la dipendente si trova nell'area prevista è possibile
    effettuare la timbratura". The page's script asks the phone for its position and sends it
    with the button pressed; the stamp is the phone's (source app)."""
    context = browser.new_context(viewport=PHONE, locale="it-IT", is_mobile=True,
                                  geolocation=DUOMO, permissions=["geolocation"])
    page = context.new_page()
    _first_login(page, base_url, "employee")
    page.goto(f"{base_url}/stamp")
    assert page.locator("main button[name=direction]").all_inner_texts() == [
        "ENTRATA", "USCITA"]
    with page.expect_navigation(url=re.compile(r".*/stamp\?done=in.*")):
        page.click("main button[value=in]")
    assert page.locator("main li").last.inner_text().endswith("entrata · app")
    context.close()


@pytest.mark.usefixtures("duomo_area")
def test_without_scripts_the_menu_shows_and_no_stamp_goes_without_the_position(
        base_url: str, browser: Any) -> None:
    """A phone with scripts off: the menu is a visible row and its button is hidden; the
    university's ENTRATA is sent without the position and refused, the refusal said in
    the page."""
    context = browser.new_context(viewport=PHONE, locale="it-IT", java_script_enabled=False)
    page = context.new_page()
    _first_login(page, base_url, "employee")
    assert page.locator("#menu").is_visible() and not page.locator("#menu-button").is_visible()
    header = page.locator("header.top").bounding_box()
    assert header is not None and header["height"] <= 0.25 * PHONE["height"], header
    page.goto(f"{base_url}/stamp")
    page.click("main button[value=in]")
    assert "chiedono la posizione" in page.locator("main p.error").first.inner_text()
    context.close()


def _tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Tab until `selector` has the focus; each stop must show where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("""s => { const e = document.activeElement,
            c = getComputedStyle(e); return {match: e.matches(s), outline: c.outlineStyle,
            width: parseFloat(c.outlineWidth), tag: e.tagName, name: e.name || e.href}; }""",
            selector)
        assert focused["outline"] != "none" and focused["width"] >= 2, str(focused)
        if focused["match"]:
            return
    raise AssertionError(f"{selector} never got the focus in {limit} tabs")


def test_an_employee_files_a_request_with_the_keyboard_alone_on_a_phone(
        base_url: str, browser: Any) -> None:
    """Menu button, "Le mie richieste", the justification form, Invia: no mouse, no touch."""
    context = browser.new_context(viewport=PHONE, locale="it-IT", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    checker = Checker(page)
    _first_login(page, base_url, "employee")
    menu = page.locator("#menu")
    assert not menu.is_visible()  # folded: the page starts on the first screen
    _tab_to(page, "#menu-button")
    page.keyboard.press("Enter")
    assert page.locator("#menu-button").get_attribute("aria-expanded") == "true"
    assert menu.is_visible()
    _tab_to(page, "#menu a[href='/requests']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/requests")
    day = date.today()  # the form's own default: the order of a date's parts is the browser's
    form = "form[action='/requests/justification']"
    _tab_to(page, f"{form} select[name=code]")
    page.keyboard.type("20")  # 20 · missione oraria
    # "A": the morning, where the browser's clock has twelve hours; ignored where 24.
    _tab_to(page, f"{form} input[name=start]")
    page.keyboard.type("1000A")
    _tab_to(page, f"{form} input[name=end]")
    page.keyboard.type("1100A")
    _tab_to(page, f"{form} textarea[name=notes]")
    page.keyboard.type("Missione a Città Studi, solo tastiera")
    values = page.evaluate("""f => Object.fromEntries(new FormData(document.querySelector(f))
        .entries().filter(([k]) => k !== '_csrf_token' && k !== 'attachment'))""", form)
    assert values == {"code": "20", "day": day.isoformat(), "start": "10:00", "end": "11:00",
                      "notes": "Missione a Città Studi, solo tastiera"}, values
    _tab_to(page, f"{form} button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    filed = page.locator("tr.req", has_text="Missione a Città Studi, solo tastiera")
    assert filed.count() == 1, page.locator(".error, tr.req").all_inner_texts()
    assert f"{day:%d/%m/%Y}" in filed.inner_text() or day.isoformat() in filed.inner_text()
    # The request's own page, which no list of the demo leads to before this one is filed.
    page.goto(base_url + filed.locator("a[href^='/requests/']").first.get_attribute("href"))
    checker.at(PHONE)
    context.close()
    assert not checker.problems, "\n".join(checker.problems)
